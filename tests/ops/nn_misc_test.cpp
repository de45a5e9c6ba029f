// Records for dropout, embedding, one_hot and interpolate.
#include "op_record.h"

#include <algorithm>
#include <sstream>

#include "sinter/threading.h"

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::tensors_close;
using sinter::testing::unary_samples;

namespace {
/// Python helper: bfloat16 tensors go up to float32, so the reference is the exact result
/// rounded once (sinter accumulates bfloat16 and float16 in float32).
const std::string kUpcast =
    "u = lambda t: t.float() if t is not None and t.dtype in (torch.bfloat16, torch.float16) else t\n";
}  // namespace

// ---- dropout --------------------------------------------------------------------------------

TEST(NnMiscOps, DropoutDeterministicCases) {
  // p = 0 and evaluation are the identity; p = 1 gives zeros (and zero gradients).
  OpRecord r;
  r.ops = {"native_dropout"};
  r.torch = "(F.dropout(a0, 0.0, True), F.dropout(a0, 0.5, False), F.dropout(a0, 1.0, True))";
  r.fn = [](const TensorList& x) {
    return TensorList{dropout(x[0], 0.0, true), dropout(x[0], 0.5, false), dropout(x[0], 1.0, true)};
  };
  r.samples = [](DType d) { return unary_samples(d); };
  r.dtypes = {kFloat, kDouble, kBFloat16, kHalf};
  r.errors = {
      expect_error<ValueError>("p > 1", [] { dropout(ones({3}, kFloat), 1.5); },
                               "dropout: dropout probability has to be between 0 and 1, but got 1.5"),
      expect_error<ValueError>("p < 0", [] { dropout(ones({3}, kFloat), -0.1); }, "dropout"),
      expect_error<DTypeError>("int64 input", [] { dropout(ones({3}, kLong), 0.5); }, "dropout"),
  };
  sinter::testing::check_record(r);
}

TEST(NnMiscOps, DropoutStatistics) {
  const int64_t n = 200000;
  for (double p : {0.1, 0.5, 0.8}) {
    manual_seed(123);
    Tensor x = ones({n}, kFloat);
    Tensor y = dropout(x, p, true);
    double dropped = (y == 0).sum().item<double>() / static_cast<double>(n);
    // The fraction dropped is Binomial(n, p) / n: std below 0.0012 here, so 0.01 is > 8 sigma.
    EXPECT_NEAR(dropped, p, 0.01) << "p = " << p;
    // Kept elements are scaled by 1 / (1 - p); the mean is preserved.
    Tensor kept = y.masked_select(y != 0);
    EXPECT_TRUE(tensors_close(kept, full_like(kept, 1.0 / (1.0 - p)), 1e-6, 1e-6));
    EXPECT_NEAR(y.mean().item<double>(), 1.0, 0.03);
  }
  // Two calls draw different masks; the same seed gives the same mask.
  manual_seed(7);
  Tensor a = dropout(ones({1000}, kFloat), 0.5, true);
  Tensor b = dropout(ones({1000}, kFloat), 0.5, true);
  manual_seed(7);
  Tensor a2 = dropout(ones({1000}, kFloat), 0.5, true);
  EXPECT_FALSE(a.equal(b));
  EXPECT_TRUE(a.equal(a2));
}

TEST(NnMiscOps, DropoutIndependentOfThreadCount) {
  int nt = get_num_threads();
  manual_seed(99);
  Tensor a = dropout(ones({100000}, kFloat), 0.3, true);
  set_num_threads(1);
  manual_seed(99);
  Tensor b = dropout(ones({100000}, kFloat), 0.3, true);
  set_num_threads(nt);
  EXPECT_TRUE(a.equal(b));
}

TEST(NnMiscOps, DropoutBackwardUsesTheForwardMask) {
  manual_seed(5);
  Tensor x = make_tensor({40, 30}, kDouble, 1, 2).requires_grad_(true);
  Tensor y = dropout(x, 0.4, true);
  Tensor g = make_tensor({40, 30}, kDouble);
  y.backward(g);
  Tensor mask = (y != 0).to(kDouble);
  EXPECT_TRUE(tensors_close(x.grad(), g * mask / 0.6, 1e-12, 1e-12));
  EXPECT_TRUE(tensors_close(y.detach(), x.detach() * mask / 0.6, 1e-12, 1e-12));
  // With the seed fixed in the function, the mask is fixed: gradcheck and gradgradcheck apply.
  auto fn = [](const TensorList& t) {
    manual_seed(17);
    return TensorList{dropout(t[0], 0.4, true)};
  };
  Tensor xs = make_tensor({3, 4}, kDouble).requires_grad_(true);
  EXPECT_TRUE(gradcheck(fn, {xs}));
  EXPECT_TRUE(gradgradcheck(fn, {xs}));
}

// ---- embedding ------------------------------------------------------------------------------

TEST(NnMiscOps, Embedding) {
  for (std::optional<int64_t> pad : {std::optional<int64_t>(), std::optional<int64_t>(2), std::optional<int64_t>(-1)}) {
    OpRecord r;
    r.ops = {"embedding", "embedding_backward"};
    r.stmt = kUpcast;
    r.torch = "F.embedding(a1, u(a0)" + (pad ? ", padding_idx=" + std::to_string(*pad) : std::string()) + ").to(a0.dtype)";
    r.fn = [pad](const TensorList& x) { return TensorList{embedding(x[0], x[1], pad)}; };
    r.samples = [](DType d) {
      auto w = [d] { return make_tensor({6, 3}, d); };
      Tensor rep = tensor({2, 2, 0, 5, 2}, kLong);  // repeated rows accumulate; 2 is the padding row
      return std::vector<OpSample>{
          {{w(), make_tensor({4}, kLong, 0, 6)}, "1-D indices"},
          {{w(), make_tensor({2, 3}, kLong, 0, 6)}, "2-D indices"},
          {{w(), rep}, "repeated indices"},
          {{w(), make_tensor({}, kLong, 0, 6)}, "0-dim index"},
          {{w(), make_tensor({3, 2}, kInt, 0, 6)}, "int32 indices"},
          {{make_noncontiguous({6, 3}, d), make_tensor({5}, kLong, 0, 6)}, "non-contiguous weight"},
          {{w(), make_tensor({6, 2}, kLong, 0, 6).t()}, "non-contiguous indices"},
          {{w(), make_tensor({0}, kLong, 0, 6)}, "empty"},
      };
    };
    r.dtypes = {kFloat, kDouble, kBFloat16, kHalf, kLong};
    r.grad_inputs = {0};
    // The output reads the padding row, whose gradient is zero by definition: finite
    // differences disagree there, so only the unpadded record is gradchecked.
    r.gradcheck = !pad.has_value();
    r.gradgradcheck = true;
    r.errors = {
        expect_error<IndexError>("index too large", [] { embedding(ones({3, 2}, kFloat), tensor({1, 3}, kLong)); },
                                 "embedding: index 3 is out of range"),
        expect_error<IndexError>("negative index", [] { embedding(ones({3, 2}, kFloat), tensor({-1}, kLong)); },
                                 "embedding: index -1 is out of range"),
        expect_error<DTypeError>("float indices", [] { embedding(ones({3, 2}, kFloat), ones({2}, kFloat)); },
                                 "embedding: expected indices of dtype int64 or int32, got float32"),
        expect_error<ShapeError>("1-D weight", [] { embedding(ones({3}, kFloat), tensor({1}, kLong)); },
                                 "embedding: 'weight' must be 2-D"),
        expect_error<ValueError>("padding_idx out of range",
                                 [] { embedding(ones({3, 2}, kFloat), tensor({1}, kLong), 3); }, "embedding: padding_idx"),
    };
    sinter::testing::check_record(r);
  }
}

TEST(NnMiscOps, EmbeddingPaddingRowGetsNoGradient) {
  Tensor w = make_tensor({4, 3}, kFloat).requires_grad_(true);
  Tensor y = embedding(w, tensor({1, 1, 3, 0}, kLong), 1);
  y.sum().backward();
  EXPECT_TRUE(w.grad().equal(tensor({1.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f}).view({4, 3})));
}

// ---- one_hot --------------------------------------------------------------------------------

TEST(NnMiscOps, OneHot) {
  for (int64_t k : {-1, 6}) {
    OpRecord r;
    r.ops = {"one_hot"};
    r.torch = "F.one_hot(a0, " + std::to_string(k) + ")";
    r.fn = [k](const TensorList& x) { return TensorList{one_hot(x[0], k)}; };
    r.samples = [k](DType) {
      std::vector<OpSample> s{
          {{make_tensor({5}, kLong, 0, 6)}, "1-D"},
          {{make_tensor({2, 3}, kLong, 0, 6)}, "2-D"},
          {{make_tensor({}, kLong, 0, 6)}, "0-dim"},
          {{make_tensor({4, 3}, kLong, 0, 6).t()}, "non-contiguous"},
      };
      if (k > 0) s.push_back({{make_tensor({0, 2}, kLong, 0, 6)}, "empty"});
      return s;
    };
    r.dtypes = {kLong};
    r.grad_inputs = {};
    r.errors = {
        expect_error<ValueError>("negative class", [] { one_hot(tensor({1, -1}, kLong)); },
                                 "one_hot: class values must be non-negative"),
        expect_error<ValueError>("class too large", [] { one_hot(tensor({1, 5}, kLong), 3); },
                                 "one_hot: class values must be smaller than num_classes"),
        expect_error<DTypeError>("float input", [] { one_hot(ones({2}, kFloat)); }, "one_hot"),
        expect_error<ValueError>("empty input, inferred classes", [] { one_hot(zeros({0}, kLong)); },
                                 "one_hot: can not infer total number of classes from empty tensor"),
    };
    sinter::testing::check_record(r);
  }
}

// ---- interpolate ----------------------------------------------------------------------------

namespace {
struct InterpCfg {
  std::string mode;
  std::optional<std::vector<int64_t>> size;
  std::optional<std::vector<double>> scale;
  std::optional<bool> align_corners;
  bool three_d = false;
};

std::string py_list(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}
std::string py_list(const std::vector<double>& v) {
  std::ostringstream os;
  if (v.size() == 1) {  // one factor for every spatial dim
    os << v[0];
    return os.str();
  }
  os << "(";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << (v.size() == 1 ? ",)" : ")");
  return os.str();
}
}  // namespace

TEST(NnMiscOps, Interpolate) {
  std::vector<InterpCfg> cfgs = {
      {"nearest", std::vector<int64_t>{7, 9}, {}, {}},
      {"nearest", std::vector<int64_t>{3, 2}, {}, {}},
      {"nearest", {}, std::vector<double>{2.0}, {}},
      {"nearest", {}, std::vector<double>{1.7, 0.6}, {}},
      {"bilinear", std::vector<int64_t>{7, 9}, {}, false},
      {"bilinear", std::vector<int64_t>{7, 9}, {}, true},
      {"bilinear", std::vector<int64_t>{2, 3}, {}, false},
      {"bilinear", {}, std::vector<double>{1.7, 2.5}, false},
      {"bilinear", {}, std::vector<double>{0.6}, true},
      {"area", std::vector<int64_t>{3, 2}, {}, {}},
      {"nearest", std::vector<int64_t>{7}, {}, {}, true},
      {"linear", {}, std::vector<double>{2.5}, false, true},
      {"linear", std::vector<int64_t>{9}, {}, true, true},
  };
  for (const auto& cfg : cfgs) {
    OpRecord r;
    r.ops = cfg.mode == "nearest" ? std::vector<std::string>{"upsample_nearest2d", "upsample_nearest2d_backward"}
            : cfg.mode == "area"  ? std::vector<std::string>{"adaptive_avg_pool2d"}
                                  : std::vector<std::string>{"upsample_bilinear2d", "upsample_bilinear2d_backward"};
    r.stmt = kUpcast;
    std::string args = cfg.size ? "size=" + py_list(*cfg.size) : "scale_factor=" + py_list(*cfg.scale);
    std::string ac = cfg.align_corners ? std::string(", align_corners=") + (*cfg.align_corners ? "True" : "False") : "";
    r.torch = "F.interpolate(u(a0), " + args + ", mode='" + cfg.mode + "'" + ac + ").to(a0.dtype)";
    r.fn = [cfg](const TensorList& x) {
      return TensorList{interpolate(x[0], cfg.size, cfg.scale, cfg.mode, cfg.align_corners)};
    };
    r.samples = [cfg](DType d) {
      if (cfg.three_d)
        return std::vector<OpSample>{
            {{make_tensor({2, 3, 5}, d)}, "3-D"},
            {{make_noncontiguous({2, 2, 6}, d)}, "non-contiguous"},
            {{make_tensor({1, 2, 4}, d)}, "small"},
            {{make_tensor({0, 2, 4}, d)}, "empty batch"},
        };
      std::vector<OpSample> s{
          {{make_tensor({2, 3, 5, 4}, d)}, "4-D"},
          {{make_noncontiguous({2, 2, 4, 6}, d)}, "non-contiguous"},
          {{make_tensor({1, 2, 3, 4}, d)}, "small"},
          {{make_tensor({0, 2, 3, 3}, d)}, "empty batch"},
      };
      bool downscales = cfg.scale && std::any_of(cfg.scale->begin(), cfg.scale->end(), [](double v) { return v < 1; });
      if (!downscales) s.push_back({{make_tensor({1, 1, 1, 1}, d)}, "single pixel"});
      return s;
    };
    r.dtypes = {kFloat, kDouble, kBFloat16, kHalf};
    if (cfg.mode == "nearest" && !cfg.three_d) r.dtypes.push_back(kByte);
    r.gradgradcheck = true;
    r.errors = {
        expect_error<ValueError>("size and scale_factor",
                                 [] { interpolate(ones({1, 1, 4, 4}, kFloat), std::vector<int64_t>{8, 8}, std::vector<double>{2.0}); },
                                 "interpolate: only one of size or scale_factor should be defined"),
        expect_error<ValueError>("neither size nor scale_factor",
                                 [] { interpolate(ones({1, 1, 4, 4}, kFloat), std::nullopt); },
                                 "interpolate: either size or scale_factor should be defined"),
        expect_error<ValueError>("align_corners with nearest",
                                 [] { interpolate(ones({1, 1, 4, 4}, kFloat), std::vector<int64_t>{8, 8}, {}, "nearest", true); },
                                 "interpolate: align_corners option can only be set with the interpolating modes"),
        expect_error<NotImplementedError>("bilinear on 3-D",
                                          [] { interpolate(ones({1, 1, 4}, kFloat), std::vector<int64_t>{8}, {}, "bilinear"); },
                                          "interpolate: got 3-D input, but bilinear mode needs 4-D input"),
        expect_error<ValueError>("size length", [] { interpolate(ones({1, 1, 4, 4}, kFloat), std::vector<int64_t>{8, 8, 8}); },
                                 "interpolate: input and output must have the same number of spatial dimensions"),
        expect_error<NotImplementedError>("unknown mode",
                                          [] { interpolate(ones({1, 1, 4, 4}, kFloat), std::vector<int64_t>{8, 8}, {}, "bicubic"); },
                                          "interpolate: mode 'bicubic'"),
        expect_error<ValueError>("zero output", [] { interpolate(ones({1, 1, 4, 4}, kFloat), std::nullopt, std::vector<double>{0.1}); },
                                 "interpolate: input and output sizes should be greater than 0"),
        expect_error<DTypeError>("int64 bilinear",
                                 [] { interpolate(ones({1, 1, 4, 4}, kLong), std::vector<int64_t>{8, 8}, {}, "bilinear"); },
                                 "upsample_bilinear2d"),
    };
    sinter::testing::check_record(r);
  }
}
