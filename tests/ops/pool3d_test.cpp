// Records for the 3-D pooling ops: max_pool3d (+ indices, backward), avg_pool3d (+ backward).
#include <cmath>
#include <limits>

#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;

namespace {

std::string py_tuple(IntArrayRef v) {
  if (v.size() == 1) return std::to_string(v[0]);
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + ")";
}

/// 5-D, 4-D (unbatched), non-contiguous, small (gradcheck), a NaN (max only), an empty batch.
std::vector<OpSample> pool3d_samples(DType d, bool with_nan) {
  std::vector<OpSample> r = {
      {{make_tensor({2, 2, 5, 6, 5}, d)}, "5-D"},
      {{make_tensor({2, 4, 5, 4}, d)}, "4-D"},
      {{make_noncontiguous({1, 2, 4, 5, 4}, d)}, "non-contiguous"},
      {{make_tensor({1, 2, 4, 3, 4}, d)}, "small"},
      {{make_tensor({0, 2, 4, 4, 4}, d)}, "empty batch"},
  };
  if (with_nan) {
    Tensor t = make_tensor({1, 1, 4, 4, 4}, d);
    NoGradGuard g;
    t.view({-1})[21].fill_(std::numeric_limits<double>::quiet_NaN());
    r.push_back({{t}, "NaN"});
  }
  return r;
}

const char* kUpcast = "u = lambda t: t.float() if t is not None and t.dtype in (torch.bfloat16, torch.float16) else t";

}  // namespace

TEST(PoolOps, MaxPool3d) {
  struct Cfg {
    DimVector k, s, p, d;
    bool ceil;
  };
  std::vector<Cfg> cfgs = {
      {{2}, {}, {0}, {1}, false},
      {{3, 2, 3}, {2, 1, 2}, {1, 0, 1}, {1, 2, 1}, false},
      {{3}, {2}, {1}, {1}, true},
  };
  for (const auto& cfg : cfgs) {
    for (bool with_indices : {false, true}) {
      OpRecord r;
      r.ops = with_indices ? std::vector<std::string>{"max_pool3d_with_indices", "max_pool3d_with_indices_backward"}
                           : std::vector<std::string>{"max_pool3d"};
      r.stmt = kUpcast;
      std::string call = "F.max_pool3d(u(a0), " + py_tuple(cfg.k) + ", stride=" + (cfg.s.empty() ? "None" : py_tuple(cfg.s)) +
                         ", padding=" + py_tuple(cfg.p) + ", dilation=" + py_tuple(cfg.d) +
                         ", ceil_mode=" + (cfg.ceil ? "True" : "False");
      r.torch = with_indices ? "(lambda r: (r[0].to(a0.dtype), r[1]))(" + call + ", return_indices=True))"
                             : call + ").to(a0.dtype)";
      r.fn = [cfg, with_indices](const TensorList& x) {
        if (with_indices) {
          auto [o, i] = max_pool3d_with_indices(x[0], cfg.k, cfg.s, cfg.p, cfg.d, cfg.ceil);
          return TensorList{o, i};
        }
        return TensorList{max_pool3d(x[0], cfg.k, cfg.s, cfg.p, cfg.d, cfg.ceil)};
      };
      r.samples = [](DType d) { return pool3d_samples(d, true); };
      r.dtypes = {kFloat, kDouble, kBFloat16};
      r.gradcheck = with_indices;
      r.gradgradcheck = with_indices;
      r.errors = {
          expect_error<ShapeError>("3-D input", [] { max_pool3d(ones({3, 3, 3}, kFloat), {2}); },
                                   "max_pool3d: expected a non-empty 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input"),
          expect_error<ShapeError>("kernel larger than padded input",
                                   [] { max_pool3d(ones({1, 1, 1, 4, 4}, kFloat), {2}); }, "max_pool3d"),
          expect_error<ValueError>("padding over half the kernel",
                                   [] { max_pool3d(ones({1, 1, 5, 5, 5}, kFloat), {2}, {}, {0, 2, 0}); },
                                   "max_pool3d: pad should be at most half of kernel size, but got padding (0, 2, 0)"),
          expect_error<ValueError>("two kernel sizes", [] { max_pool3d(ones({1, 1, 5, 5, 5}, kFloat), {2, 2}); },
                                   "max_pool3d: kernel_size must either be a single int, or a tuple of three ints"),
          expect_error<DTypeError>("int64 input", [] { max_pool3d(ones({1, 1, 4, 4, 4}, kLong), {2}); }, "int64"),
      };
      sinter::testing::check_record(r);
    }
  }
}

TEST(PoolOps, AvgPool3d) {
  struct Cfg {
    DimVector k, s, p;
    bool ceil, cip;
    std::optional<int64_t> div;
  };
  std::vector<Cfg> cfgs = {
      {{2}, {}, {0}, false, true, std::nullopt},
      {{3, 2, 3}, {2, 1, 2}, {1, 1, 0}, false, false, std::nullopt},
      {{3}, {2}, {1}, true, true, std::nullopt},
      {{3}, {2}, {1}, true, false, std::nullopt},
      {{2}, {1}, {1}, false, true, 5},
  };
  for (const auto& cfg : cfgs) {
    OpRecord r;
    r.ops = {"avg_pool3d", "avg_pool3d_backward"};
    r.stmt = kUpcast;
    r.torch = "F.avg_pool3d(u(a0), " + py_tuple(cfg.k) + ", stride=" + (cfg.s.empty() ? "None" : py_tuple(cfg.s)) +
              ", padding=" + py_tuple(cfg.p) + ", ceil_mode=" + (cfg.ceil ? "True" : "False") +
              ", count_include_pad=" + (cfg.cip ? "True" : "False") +
              ", divisor_override=" + (cfg.div ? std::to_string(*cfg.div) : "None") + ").to(a0.dtype)";
    r.fn = [cfg](const TensorList& x) {
      return TensorList{avg_pool3d(x[0], cfg.k, cfg.s, cfg.p, cfg.ceil, cfg.cip, cfg.div)};
    };
    r.samples = [](DType d) { return pool3d_samples(d, false); };
    r.dtypes = {kFloat, kDouble, kBFloat16};
    r.gradgradcheck = true;
    r.errors = {
        expect_error<ShapeError>("2-D input", [] { avg_pool3d(ones({3, 3}, kFloat), {2}); }, "avg_pool3d"),
        expect_error<ValueError>("padding over half the kernel",
                                 [] { avg_pool3d(ones({1, 1, 5, 5, 5}, kFloat), {2}, {}, {2}); },
                                 "avg_pool3d: pad should be at most half"),
        expect_error<ValueError>("zero divisor",
                                 [] { avg_pool3d(ones({1, 1, 5, 5, 5}, kFloat), {2}, {}, {0}, false, true, 0); },
                                 "avg_pool3d: divisor must be not zero"),
        expect_error<DTypeError>("int32 input", [] { avg_pool3d(ones({1, 1, 4, 4, 4}, kInt), {2}); }, "avg_pool3d"),
    };
    sinter::testing::check_record(r);
  }
}

TEST(PoolOps, MaxPool3dOpBackwardRecomputesIndices) {
  const ops::OpDef* op = ops::Registry::get().find("max_pool3d");
  ASSERT_NE(op, nullptr);
  Tensor x = make_tensor({1, 2, 5, 4, 5}, kDouble).requires_grad_(true);
  ops::Attrs a{DimVector{3}, DimVector{2}, DimVector{1}, DimVector{1}, true};
  Tensor y = ops::call(*op, {x}, a);
  Tensor go = make_tensor(y.sizes(), kDouble);
  Tensor g = autograd::grad({y}, {x}, {go})[0];
  Tensor y2 = max_pool3d(x, {3}, {2}, {1}, {1}, true);
  Tensor g2 = autograd::grad({y2}, {x}, {go})[0];
  EXPECT_TRUE(y.detach().equal(y2.detach()));
  EXPECT_TRUE(sinter::testing::tensors_close(g, g2, 0, 0));
}
