// Records for the image ops: resize (against F.interpolate where PyTorch has the same mode),
// grid_sampler_2d (F.grid_sample), roi_align (sampled with F.grid_sample as torchvision's
// roi_align defines it) and non_max_suppression (a greedy selection written with torch ops).
#include <cmath>
#include <sstream>

#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;

namespace {

const ops::OpDef& op_named(const char* n) { return *ops::Registry::get().find(n); }

std::string py_tuple(const std::vector<double>& v) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << (v.size() == 1 ? ",)" : ")");
  return os.str();
}
std::string py_tuple(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

struct ResizeCfg {
  std::string torch_mode;  // F.interpolate's mode
  bool align_corners;      // passed to PyTorch for linear / cubic modes
  std::vector<int64_t> size;
  std::vector<double> scale;  // spatial factors (instead of size)
  std::string mode, coord, nearest = "round_prefer_floor";
};

/// resize of x to `size` (spatial dims), or by `scale` (spatial factors, sizes floored).
Tensor run_resize(const Tensor& x, const ResizeCfg& cfg) {
  int64_t sp = x.dim() - 2;
  DimVector out{x.size(0), x.size(1)};
  Tensor scales;
  if (!cfg.scale.empty()) {
    std::vector<double> s{1.0, 1.0};
    for (int64_t i = 0; i < sp; ++i) {
      double f = cfg.scale[static_cast<size_t>(i)];
      s.push_back(f);
      out.push_back(static_cast<int64_t>(std::floor(static_cast<double>(x.size(2 + i)) * f)));
    }
    scales = empty({x.dim()}, kFloat);
    for (size_t i = 0; i < s.size(); ++i) scales[static_cast<int64_t>(i)].fill_(Scalar(s[i]));
  } else {
    for (auto v : cfg.size) out.push_back(v);
  }
  return ops::call(op_named("resize"), {x, scales, Tensor()},
                   {out, cfg.mode, cfg.coord, cfg.nearest, -0.75, false, 0.0});
}

}  // namespace

TEST(ImageOps, ResizeMatchesInterpolate) {
  std::vector<ResizeCfg> cfgs = {
      {"nearest", false, {}, {2.0, 3.0}, "nearest", "asymmetric", "floor"},
      {"nearest", false, {}, {0.6, 1.7}, "nearest", "asymmetric", "floor"},
      {"nearest-exact", false, {3, 7}, {}, "nearest", "half_pixel", "round_prefer_ceil"},
      {"bilinear", true, {7, 3}, {}, "linear", "align_corners"},
      {"bilinear", false, {7, 3}, {}, "linear", "pytorch_half_pixel"},
      {"bilinear", false, {}, {1.5, 0.5}, "linear", "half_pixel"},
      {"linear", false, {9}, {}, "linear", "half_pixel"},
      {"trilinear", true, {3, 5, 2}, {}, "linear", "align_corners"},
      {"bicubic", false, {6, 3}, {}, "cubic", "half_pixel"},
      {"bicubic", true, {6, 9}, {}, "cubic", "align_corners"},
  };
  for (const auto& cfg : cfgs) {
    SCOPED_TRACE(cfg.torch_mode + " " + cfg.coord);
    size_t sp = cfg.scale.empty() ? cfg.size.size() : cfg.scale.size();
    OpRecord r;
    r.ops = {"resize"};
    std::string args = cfg.scale.empty() ? "size=" + py_tuple(cfg.size) : "scale_factor=" + py_tuple(cfg.scale);
    bool interp = cfg.torch_mode != "nearest" && cfg.torch_mode != "nearest-exact";
    r.torch = "F.interpolate(a0, " + args + ", mode='" + cfg.torch_mode + "'" +
              (interp ? std::string(", align_corners=") + (cfg.align_corners ? "True" : "False") : "") + ")";
    r.fn = [cfg](const TensorList& x) { return TensorList{run_resize(x[0], cfg)}; };
    r.samples = [sp](DType d) {
      DimVector a{2, 3}, b{1, 2};
      int64_t dims[3] = {5, 4, 3};
      for (size_t i = 0; i < sp; ++i) {
        a.push_back(dims[i]);
        b.push_back(dims[2 - i] + 1);
      }
      DimVector e = a;
      e[0] = 0;
      return std::vector<OpSample>{{{make_tensor(a, d)}, "batch"}, {{make_noncontiguous(b, d)}, "non-contiguous"},
                                   {{make_tensor(e, d)}, "empty batch"}};
    };
    r.grad_inputs = {};
    r.gradcheck = false;
    if (cfg.mode == "nearest") r.dtypes = {kFloat, kDouble, kByte};
    r.errors = {
        expect_error<ShapeError>("output_size rank",
                                 [] { ops::call(op_named("resize"), {ones({1, 1, 4, 4}, kFloat), Tensor(), Tensor()}, {DimVector{8, 8}}); },
                                 "resize: output_size (8, 8) does not match the input's rank"),
        expect_error<ValueError>("mode",
                                 [] {
                                   ops::call(op_named("resize"), {ones({1, 4}, kFloat), Tensor(), Tensor()},
                                             {DimVector{1, 8}, std::string("area")});
                                 },
                                 "resize: mode 'area'"),
        expect_error<DTypeError>("int linear",
                                 [] {
                                   ops::call(op_named("resize"), {ones({1, 4}, kLong), Tensor(), Tensor()},
                                             {DimVector{1, 8}, std::string("linear")});
                                 },
                                 "resize: expected a floating point input"),
        expect_error<ValueError>("tf_crop_and_resize without roi",
                                 [] {
                                   ops::call(op_named("resize"), {ones({1, 4}, kFloat), Tensor(), Tensor()},
                                             {DimVector{1, 8}, std::string("linear"), std::string("tf_crop_and_resize")});
                                 },
                                 "resize: tf_crop_and_resize needs roi"),
        expect_error<ValueError>("negative scale",
                                 [] {
                                   ops::call(op_named("resize"), {ones({1, 4}, kFloat), full({2}, -1.0, kFloat), Tensor()},
                                             {DimVector{1, 8}});
                                 },
                                 "resize: scales must be positive"),
    };
    sinter::testing::check_record(r);
  }
}

TEST(ImageOps, GridSampler2d) {
  const char* modes[] = {"bilinear", "nearest", "bicubic"};
  const char* pads[] = {"zeros", "border", "reflection"};
  for (int64_t m = 0; m < 3; ++m)
    for (int64_t p = 0; p < 3; ++p)
      for (bool ac : {false, true}) {
        SCOPED_TRACE(std::string(modes[m]) + " " + pads[p] + (ac ? " align_corners" : ""));
        OpRecord r;
        r.ops = {"grid_sampler_2d", "grid_sampler_2d_backward"};
        r.torch = std::string("F.grid_sample(a0, a1, mode='") + modes[m] + "', padding_mode='" + pads[p] +
                  "', align_corners=" + (ac ? "True" : "False") + ")";
        r.fn = [m, p, ac](const TensorList& t) {
          return TensorList{ops::call(op_named("grid_sampler_2d"), {t[0], t[1]}, {m, p, ac})};
        };
        r.samples = [](DType d) {
          return std::vector<OpSample>{
              {{make_tensor({2, 3, 5, 4}, d), make_tensor({2, 3, 6, 2}, d, -1.3, 1.3)}, "batch"},
              {{make_noncontiguous({1, 2, 4, 6}, d), make_tensor({1, 5, 2, 2}, d, -2.5, 2.5)}, "far outside"},
              {{make_tensor({0, 2, 3, 3}, d), make_tensor({0, 2, 2, 2}, d)}, "empty batch"},
          };
        };
        // Nearest has no gradient for the grid (PyTorch's is zero; finite differences jump).
        r.grad_inputs = m == 1 ? std::vector<size_t>{0} : std::vector<size_t>{0, 1};
        r.errors = {
            expect_error<ShapeError>("grid shape",
                                     [] { ops::call(op_named("grid_sampler_2d"), {ones({1, 1, 4, 4}, kFloat), ones({1, 2, 2, 3}, kFloat)}); },
                                     "grid_sampler_2d: expected input (N, C, H, W) and grid (N, H_out, W_out, 2)"),
            expect_error<DTypeError>("int input",
                                     [] { ops::call(op_named("grid_sampler_2d"), {ones({1, 1, 4, 4}, kLong), ones({1, 2, 2, 2}, kLong)}); },
                                     "grid_sampler_2d: expected a floating point input"),
        };
        sinter::testing::check_record(r);
      }
}

namespace {
// torchvision's roi_align: bins of sampled bilinear values, a sample outside [-1, size] reading
// zero and one inside clamped to the image (F.grid_sample with border padding).
const char* kRoiAlignRef = R"PY(
import math
def roi_align_ref(x, rois, idx, oh, ow, sr, scale, aligned):
    N, C, H, W = x.shape
    out = torch.zeros(rois.shape[0], C, oh, ow, dtype=x.dtype)
    off = 0.5 if aligned else 0.0
    for r in range(rois.shape[0]):
        x1, y1, x2, y2 = [float(v) * scale - off for v in rois[r]]
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = sr if sr > 0 else math.ceil(rh / oh)
        gw = sr if sr > 0 else math.ceil(rw / ow)
        if gh * gw == 0:
            continue
        ys = torch.tensor([y1 + (i + 0.5) * rh / (oh * gh) for i in range(oh * gh)], dtype=torch.float64)
        xs = torch.tensor([x1 + (i + 0.5) * rw / (ow * gw) for i in range(ow * gw)], dtype=torch.float64)
        yy, xx = torch.meshgrid(ys, xs, indexing='ij')
        grid = torch.stack([xx / (W - 1) * 2 - 1, yy / (H - 1) * 2 - 1], -1)[None].to(torch.float64)
        v = F.grid_sample(x[int(idx[r])][None].to(torch.float64), grid, mode='bilinear', padding_mode='border', align_corners=True)[0]
        inside = ((yy >= -1) & (yy <= H))[:, :].to(torch.float64) * ((xx >= -1) & (xx <= W)).to(torch.float64)
        v = v * inside
        out[r] = v.view(C, oh, gh, ow, gw).mean(dim=(2, 4)).to(x.dtype)
    return out
)PY";
}  // namespace

TEST(ImageOps, RoiAlign) {
  for (bool aligned : {false, true})
    for (int64_t sr : {0, 2}) {
      SCOPED_TRACE(std::string(aligned ? "aligned" : "not aligned") + " sampling_ratio " + std::to_string(sr));
      OpRecord r;
      r.ops = {"roi_align"};
      r.stmt = kRoiAlignRef;
      r.torch = std::string("roi_align_ref(a0, a1, a2, 3, 2, ") + std::to_string(sr) + ", 0.5, " +
                (aligned ? "True" : "False") + ")";
      r.fn = [aligned, sr](const TensorList& t) {
        return TensorList{ops::call(op_named("roi_align"), {t[0], t[1], t[2]},
                                    {int64_t(3), int64_t(2), sr, 0.5, aligned, int64_t(0)})};
      };
      r.samples = [](DType d) {
        Tensor rois = tensor(std::vector<double>{0, 0, 9, 9, 2, 3, 7, 13, -3, -2, 4, 5, 10, 12, 30, 14, 5, 5, 5.5, 5.2})
                          .view({5, 4}).to(d);
        Tensor idx = tensor(std::vector<int64_t>{0, 1, 1, 0, 1});
        return std::vector<OpSample>{
            {{make_tensor({2, 3, 8, 7}, d), rois, idx}, "boxes"},
            {{make_noncontiguous({2, 2, 6, 9}, d), rois, idx}, "non-contiguous"},
        };
      };
      r.grad_inputs = {};
      r.gradcheck = false;
      r.errors = {
          expect_error<ShapeError>("rois shape",
                                   [] {
                                     ops::call(op_named("roi_align"), {ones({1, 1, 4, 4}, kFloat), ones({2, 5}, kFloat), zeros({2}, kLong)});
                                   },
                                   "roi_align: expected input (N, C, H, W), rois (R, 4) and batch_indices (R)"),
          expect_error<IndexError>("batch index",
                                   [] {
                                     ops::call(op_named("roi_align"), {ones({1, 1, 4, 4}, kFloat), ones({1, 4}, kFloat), ones({1}, kLong)});
                                   },
                                   "roi_align: batch index 1 is out of range"),
          expect_error<ValueError>("huge box",
                                   [] {
                                     Tensor box = tensor(std::vector<double>{0, 0, 1e30, 1e30}).view({1, 4}).to(kFloat);
                                     ops::call(op_named("roi_align"), {ones({1, 1, 4, 4}, kFloat), box, zeros({1}, kLong)});
                                   },
                                   "samples per bin (more than 2^24)"),
      };
      sinter::testing::check_record(r);
    }
}

namespace {
// ONNX NonMaxSuppression: per batch and class, greedy by descending score (stable), IoU of
// corner-sorted boxes.
const char* kNmsRef = R"PY(
def nms_ref(boxes, scores, max_out, iou_thr, score_thr, center):
    rows = []
    b = boxes.to(torch.float64)
    if center:
        b = torch.stack([b[..., 1] - b[..., 3] / 2, b[..., 0] - b[..., 2] / 2, b[..., 1] + b[..., 3] / 2, b[..., 0] + b[..., 2] / 2], -1)
    y0, y1 = torch.minimum(b[..., 0], b[..., 2]), torch.maximum(b[..., 0], b[..., 2])
    x0, x1 = torch.minimum(b[..., 1], b[..., 3]), torch.maximum(b[..., 1], b[..., 3])
    for bi in range(scores.shape[0]):
        for ci in range(scores.shape[1]):
            s = scores[bi, ci].to(torch.float64)
            order = [int(i) for i in torch.argsort(-s, stable=True) if s[i] > score_thr]
            kept = []
            for i in order:
                if len(kept) >= max_out:
                    break
                ok = True
                for k in kept:
                    iw = min(x1[bi, i], x1[bi, k]) - max(x0[bi, i], x0[bi, k])
                    ih = min(y1[bi, i], y1[bi, k]) - max(y0[bi, i], y0[bi, k])
                    if iw <= 0 or ih <= 0:
                        continue
                    ai = (x1[bi, i] - x0[bi, i]) * (y1[bi, i] - y0[bi, i])
                    ak = (x1[bi, k] - x0[bi, k]) * (y1[bi, k] - y0[bi, k])
                    inter = iw * ih
                    if ai > 0 and ak > 0 and inter / (ai + ak - inter) > iou_thr:
                        ok = False
                        break
                if ok:
                    kept.append(i)
                    rows.append([bi, ci, i])
    return torch.tensor(rows, dtype=torch.int64).view(-1, 3)
)PY";
}  // namespace

TEST(ImageOps, NonMaxSuppression) {
  struct Cfg {
    int64_t max_out;
    double iou, score;
    int64_t center;
  };
  for (Cfg cfg : {Cfg{3, 0.5, 0.0, 0}, Cfg{100, 0.3, -1e300, 0}, Cfg{2, 0.6, 0.2, 1}, Cfg{0, 0.5, 0.0, 0}}) {
    OpRecord r;
    r.ops = {"non_max_suppression"};
    r.stmt = kNmsRef;
    std::ostringstream os;
    os << "nms_ref(a0, a1, " << cfg.max_out << ", " << cfg.iou << ", " << cfg.score << ", " << cfg.center << ")";
    r.torch = os.str();
    r.fn = [cfg](const TensorList& t) {
      return TensorList{ops::call(op_named("non_max_suppression"), {t[0], t[1]}, {cfg.max_out, cfg.iou, cfg.score, cfg.center})};
    };
    r.samples = [](DType d) {
      // Overlapping boxes on a small grid, so that suppression happens.
      Tensor b = make_tensor({2, 12, 4}, d, 0, 6);
      Tensor s = make_tensor({2, 3, 12}, d, 0, 1);
      return std::vector<OpSample>{{{b, s}, "two batches, three classes"},
                                   {{make_tensor({1, 0, 4}, d), make_tensor({1, 2, 0}, d)}, "no boxes"}};
    };
    r.grad_inputs = {};
    r.gradcheck = false;
    r.errors = {
        expect_error<ShapeError>("scores shape",
                                 [] { ops::call(op_named("non_max_suppression"), {ones({1, 3, 4}, kFloat), ones({1, 2, 4}, kFloat)}, {int64_t(1)}); },
                                 "non_max_suppression: expected boxes (B, N, 4) and scores (B, C, N)"),
        expect_error<ValueError>("iou threshold",
                                 [] { ops::call(op_named("non_max_suppression"), {ones({1, 3, 4}, kFloat), ones({1, 2, 3}, kFloat)}, {int64_t(1), 2.0}); },
                                 "non_max_suppression: iou_threshold 2 is outside [0, 1]"),
    };
    sinter::testing::check_record(r);
  }
}
