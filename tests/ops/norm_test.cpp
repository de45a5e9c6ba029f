// Records for the normalisation ops: batch_norm, layer_norm, group_norm, rms_norm.
#include "op_record.h"

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::tensors_close;

namespace {

/// The gradient with create_graph (the composite path) must equal the fused kernel's.
void expect_composite_grad_matches(const std::function<TensorList(const TensorList&)>& fn, TensorList inputs) {
  TensorList leaves;
  for (auto& t : inputs)
    if (t.defined()) {
      t = t.detach().clone().requires_grad_(true);
      leaves.push_back(t);
    }
  Tensor y = fn(inputs)[0];
  Tensor go = make_tensor(y.sizes(), y.dtype(), -1, 1).requires_grad_(true);
  TensorList fused = autograd::grad({y}, leaves, {go}, true, false);
  TensorList composite = autograd::grad({y}, leaves, {go}, true, true);
  ASSERT_EQ(fused.size(), composite.size());
  for (size_t i = 0; i < fused.size(); ++i) {
    EXPECT_TRUE(composite[i].requires_grad()) << "input " << i;
    EXPECT_TRUE(tensors_close(composite[i].detach(), fused[i], 1e-9, 1e-9)) << "input " << i;
  }
}

/// Python helper: bfloat16 tensors go up to float32, so the reference is the exact result
/// rounded once (sinter computes bfloat16 and float16 norms in float32).
const std::string kUpcast = "u = lambda t: t.float() if t is not None and t.dtype in (torch.bfloat16, torch.float16) else t\n";

/// Running statistics must be positive for the variance.
Tensor channel_vec(int64_t c, DType d, double lo = -1, double hi = 1) { return make_tensor({c}, d, lo, hi); }

}  // namespace

namespace {

/// (input, weight, bias, running_mean, running_var) samples for batch_norm.
std::vector<OpSample> bn_samples(DType d) {
  auto full = [d](Tensor x, std::string desc) {
    int64_t c = x.size(1);
    return OpSample{{x, channel_vec(c, d), channel_vec(c, d), channel_vec(c, d), channel_vec(c, d, 0.5, 2)}, desc};
  };
  return {
      full(make_tensor({4, 3}, d), "2-D"),
      full(make_tensor({2, 3, 5}, d), "3-D"),
      full(make_tensor({2, 3, 4, 5}, d), "4-D"),
      full(make_noncontiguous({2, 3, 4}, d), "non-contiguous"),
      full(make_tensor({3, 2, 4}, d).permute({1, 2, 0}), "permuted"),
      full(make_tensor({1, 2, 3, 3}, d), "small, batch of one"),
      {{make_tensor({3, 2, 2}, d), Tensor(), Tensor(), Tensor(), Tensor()}, "no affine, no running stats"},
      {{make_tensor({3, 2, 2}, d), channel_vec(2, d), Tensor(), channel_vec(2, d), channel_vec(2, d, 0.5, 2)},
       "weight only"},
  };
}

}  // namespace

TEST(NormOps, BatchNormTraining) {
  OpRecord r;
  r.ops = {"batch_norm", "batch_norm_backward"};
  r.stmt = kUpcast;
  r.torch = "F.batch_norm(u(a0), None if a3 is None else u(a3).clone(), None if a4 is None else u(a4).clone(), u(a1), "
            "u(a2), True, 0.1, 1e-3).to(a0.dtype)";
  r.fn = [](const TensorList& x) {
    Tensor rm = x[3].defined() ? x[3].clone() : Tensor();
    Tensor rv = x[4].defined() ? x[4].clone() : Tensor();
    return TensorList{batch_norm(x[0], rm, rv, x[1], x[2], true, 0.1, 1e-3)};
  };
  r.samples = bn_samples;
  r.dtypes = {kFloat, kDouble, kBFloat16, kHalf};
  r.grad_inputs = {0, 1, 2};
  r.gradgradcheck = true;
  r.errors = {
      expect_error<ShapeError>("1-D input", [] { batch_norm(ones({5}, kFloat), {}, {}, {}, {}, true); }, "batch_norm"),
      expect_error<ShapeError>("weight channel mismatch", [] { batch_norm(ones({2, 3, 4}, kFloat), {}, {}, ones({4}, kFloat), {}, true); },
                               "batch_norm: weight should contain 3 elements not 4"),
      expect_error<ShapeError>("running_mean channel mismatch",
                               [] { batch_norm(ones({2, 3, 4}, kFloat), zeros({2}), ones({3}, kFloat), {}, {}, true); },
                               "batch_norm: running_mean should contain 3 elements not 2"),
      expect_error<ValueError>("one value per channel", [] { batch_norm(ones({1, 3}, kFloat), zeros({3}), ones({3}, kFloat), {}, {}, true); },
                               "batch_norm: expected more than 1 value per channel when training"),
      expect_error<DTypeError>("int64 input", [] { batch_norm(ones({2, 3}, kLong), {}, {}, {}, {}, true); }, "int64"),
  };
  sinter::testing::check_record(r);
}

TEST(NormOps, BatchNormRunningStatsVsTorch) {
  // The in-place momentum update of running_mean / running_var, compared with torch's: both
  // sides update copies and return them beside the output.
  for (double momentum : {0.1, 0.3}) {
    OpRecord r;
    r.ops = {"batch_norm"};
    r.stmt = kUpcast + "rm = u(a3).clone() if a3 is not None else None\nrv = u(a4).clone() if a4 is not None else None";
    r.torch = "(F.batch_norm(u(a0), rm, rv, u(a1), u(a2), True, " + std::to_string(momentum) +
              ", 1e-5).to(a0.dtype), None if rm is None else rm.to(a3.dtype), None if rv is None else rv.to(a4.dtype))";
    r.fn = [momentum](const TensorList& x) {
      Tensor rm = x[3].defined() ? x[3].clone() : Tensor();
      Tensor rv = x[4].defined() ? x[4].clone() : Tensor();
      Tensor y = batch_norm(x[0], rm, rv, x[1], x[2], true, momentum, 1e-5);
      return TensorList{y, rm, rv};
    };
    r.samples = bn_samples;
    r.dtypes = {kFloat, kDouble, kBFloat16, kHalf};
    r.grad_inputs = {};
    sinter::testing::check_record(r);
  }
}

TEST(NormOps, BatchNormEval) {
  OpRecord r;
  r.ops = {"batch_norm", "batch_norm_backward"};
  r.stmt = kUpcast;
  r.torch = "F.batch_norm(u(a0), u(a3), u(a4), u(a1), u(a2), False, 0.1, 1e-5).to(a0.dtype)";
  r.fn = [](const TensorList& x) { return TensorList{batch_norm(x[0], x[3], x[4], x[1], x[2], false)}; };
  r.samples = [](DType d) {
    auto full = [d](Tensor x, std::string desc) {
      int64_t c = x.size(1);
      return OpSample{{x, channel_vec(c, d), channel_vec(c, d), channel_vec(c, d), channel_vec(c, d, 0.5, 2)}, desc};
    };
    return std::vector<OpSample>{
        full(make_tensor({4, 3}, d), "2-D"),
        full(make_tensor({2, 3, 4, 5}, d), "4-D"),
        full(make_noncontiguous({2, 3, 4}, d), "non-contiguous"),
        full(make_tensor({1, 2, 3}, d), "one sample"),
        full(make_tensor({0, 2, 3}, d), "empty batch"),
        {{make_tensor({2, 2, 3}, d), Tensor(), Tensor(), channel_vec(2, d), channel_vec(2, d, 0.5, 2)}, "no affine"},
    };
  };
  r.dtypes = {kFloat, kDouble, kBFloat16, kHalf};
  r.grad_inputs = {0, 1, 2};
  r.gradgradcheck = true;
  r.errors = {
      expect_error<ValueError>("no running stats in evaluation", [] { batch_norm(ones({2, 3}, kFloat), {}, {}, {}, {}, false); },
                               "batch_norm: running_mean must be defined in evaluation mode"),
  };
  sinter::testing::check_record(r);
}

TEST(NormOps, BatchNormRunningStats) {
  // The running statistics move by momentum toward the batch mean and the unbiased variance,
  // in place (the tensors' versions change), and evaluation then normalises with them.
  Tensor x = tensor({1.0, 2.0, 3.0, 6.0}, kDouble).view({4, 1});
  Tensor rm = zeros({1}, kDouble), rv = ones({1}, kDouble);
  int64_t v0 = rm._version();
  batch_norm(x, rm, rv, {}, {}, true, 0.5, 0.0);
  EXPECT_GT(rm._version(), v0);
  EXPECT_NEAR(rm.item<double>(), 0.5 * 3.0, 1e-12);
  EXPECT_NEAR(rv.item<double>(), 0.5 + 0.5 * (14.0 / 3.0), 1e-12);
  Tensor y = batch_norm(x, rm, rv, {}, {}, false, 0.5, 0.0);
  EXPECT_NEAR(y[3][0].item<double>(), (6.0 - 1.5) / std::sqrt(0.5 + 7.0 / 3.0), 1e-12);
}

TEST(NormOps, LayerNorm) {
  for (DimVector ns : {DimVector{5}, DimVector{4, 5}}) {
    OpRecord r;
    r.ops = {"layer_norm", "layer_norm_backward"};
    std::string nss = ns.size() == 1 ? "(5,)" : "(4, 5)";
    r.stmt = kUpcast;
    r.torch = "F.layer_norm(u(a0), " + nss + ", u(a1), u(a2), 1e-5).to(a0.dtype)";
    r.fn = [ns](const TensorList& x) { return TensorList{layer_norm(x[0], ns, x[1], x[2])}; };
    r.samples = [ns](DType d) {
      auto w = [&] { return make_tensor(ns, d); };
      return std::vector<OpSample>{
          {{make_tensor({3, 4, 5}, d), w(), w()}, "3-D"},
          {{make_tensor({2, 3, 4, 5}, d), w(), w()}, "4-D"},
          {{make_tensor({4, 5}, d), w(), w()}, "rows"},
          {{make_noncontiguous({2, 4, 5}, d), w(), w()}, "non-contiguous"},
          {{make_tensor({5, 4, 2}, d).permute({2, 1, 0}), w(), w()}, "permuted"},
          {{make_tensor({2, 4, 5}, d), Tensor(), Tensor()}, "no affine"},
          {{make_tensor({2, 4, 5}, d), w(), Tensor()}, "weight only"},
          {{make_tensor({2, 4, 5}, d), Tensor(), w()}, "bias only"},
          {{make_tensor({0, 4, 5}, d), w(), w()}, "empty"},
      };
    };
    r.dtypes = {kFloat, kDouble, kBFloat16, kHalf};
    r.grad_inputs = {0, 1, 2};
    r.gradgradcheck = true;
    r.errors = {
        expect_error<ShapeError>("trailing dims mismatch", [] { layer_norm(ones({2, 3}, kFloat), {4}); },
                                 "layer_norm: given normalized_shape=[4], expected input with shape [*, 4], but got input of shape (2, 3)"),
        expect_error<ShapeError>("weight shape", [] { layer_norm(ones({2, 5}, kFloat), {5}, ones({4}, kFloat)); },
                                 "layer_norm: expected weight to be of same shape as normalized_shape"),
        expect_error<ShapeError>("empty normalized_shape", [] { layer_norm(ones({2, 5}, kFloat), {}); }, "layer_norm"),
        expect_error<DTypeError>("int64 input", [] { layer_norm(ones({2, 5}, kLong), {5}); }, "int64"),
    };
    sinter::testing::check_record(r);
  }
}

TEST(NormOps, GroupNorm) {
  for (int64_t groups : {1, 2, 4}) {
    OpRecord r;
    r.ops = {"group_norm", "group_norm_backward"};
    r.stmt = kUpcast;
    r.torch = "F.group_norm(u(a0), " + std::to_string(groups) + ", u(a1), u(a2), 1e-5).to(a0.dtype)";
    r.fn = [groups](const TensorList& x) { return TensorList{group_norm(x[0], groups, x[1], x[2])}; };
    r.samples = [groups](DType d) {
      auto w = [&] { return make_tensor({4}, d); };
      std::vector<OpSample> s{
          {{make_tensor({2, 4, 5}, d), w(), w()}, "3-D"},
          {{make_tensor({2, 4, 3, 3}, d), w(), w()}, "4-D"},
          {{make_noncontiguous({2, 4, 3}, d), w(), w()}, "non-contiguous"},
          {{make_tensor({2, 4, 3}, d), Tensor(), Tensor()}, "no affine"},
          {{make_tensor({2, 4, 3}, d), w(), Tensor()}, "weight only"},
          {{make_tensor({0, 4, 3}, d), w(), w()}, "empty batch"},
      };
      // A 2-D input with one channel per group would normalise single values (ill-conditioned).
      if (groups < 4) s.push_back({{make_tensor({3, 4}, d), w(), w()}, "2-D"});
      return s;
    };
    r.dtypes = {kFloat, kDouble, kBFloat16, kHalf};
    r.grad_inputs = {0, 1, 2};
    r.gradgradcheck = true;
    r.errors = {
        expect_error<ShapeError>("channels not divisible", [] { group_norm(ones({2, 6, 5}, kFloat), 4); },
                                 "group_norm: expected number of channels in input to be divisible by num_groups, but got "
                                 "input of shape (2, 6, 5) and num_groups=4"),
        expect_error<ShapeError>("weight channel mismatch", [] { group_norm(ones({2, 6, 5}, kFloat), 3, ones({5}, kFloat)); },
                                 "group_norm: weight should contain 6 elements not 5"),
        expect_error<ShapeError>("1-D input", [] { group_norm(ones({6}, kFloat), 3); }, "group_norm"),
        expect_error<ValueError>("zero groups", [] { group_norm(ones({2, 6}, kFloat), 0); }, "group_norm"),
    };
    sinter::testing::check_record(r);
  }
}

TEST(NormOps, RmsNorm) {
  const std::string helper =
      "def rms(x, dims, w, eps):\n"
      "    if eps is None:\n"
      "        eps = torch.finfo(x.dtype).eps\n"
      "    xd = x.double()  # one cast: both uses of x accumulate their gradient in float64\n"
      "    y = xd * torch.rsqrt(xd.pow(2).mean(dims, keepdim=True) + eps)\n"
      "    if w is not None:\n"
      "        y = y * w.double()\n"
      "    return y.to(x.dtype)\n";
  struct Cfg {
    DimVector ns;
    std::optional<double> eps;
  };
  for (const Cfg& cfg : {Cfg{{5}, std::nullopt}, Cfg{{4, 5}, 1e-5}}) {
    OpRecord r;
    r.ops = {"rms_norm", "rms_norm_backward"};
    r.stmt = helper;
    r.torch = std::string("rms(a0, ") + (cfg.ns.size() == 1 ? "(-1,)" : "(-2, -1)") + ", a1, " +
              (cfg.eps ? "1e-5" : "None") + ")";
    r.fn = [cfg](const TensorList& x) { return TensorList{rms_norm(x[0], cfg.ns, x[1], cfg.eps)}; };
    r.samples = [cfg](DType d) {
      auto w = [&] { return make_tensor(cfg.ns, d); };
      return std::vector<OpSample>{
          {{make_tensor({3, 4, 5}, d), w()}, "3-D"},
          {{make_tensor({4, 5}, d), w()}, "rows"},
          {{make_noncontiguous({2, 4, 5}, d), w()}, "non-contiguous"},
          {{make_tensor({2, 4, 5}, d), Tensor()}, "no weight"},
          {{make_tensor({0, 4, 5}, d), w()}, "empty"},
      };
    };
    r.dtypes = {kFloat, kDouble, kBFloat16, kHalf};
    r.grad_inputs = {0, 1};
    r.gradgradcheck = true;
    r.errors = {
        expect_error<ShapeError>("trailing dims mismatch", [] { rms_norm(ones({2, 3}, kFloat), {4}); }, "rms_norm"),
        expect_error<ShapeError>("weight shape", [] { rms_norm(ones({2, 5}, kFloat), {5}, ones({2, 5}, kFloat)); },
                                 "rms_norm: expected weight to be of same shape as normalized_shape"),
        expect_error<DTypeError>("int64 input", [] { rms_norm(ones({2, 5}, kLong), {5}); }, "int64"),
    };
    sinter::testing::check_record(r);
  }
}

TEST(NormOps, RmsNormDefaultEps) {
  // eps defaults to finfo(dtype).eps: it dominates for an all-zero-but-tiny row.
  Tensor x = full({1, 4}, 1e-4, kFloat);
  float eps = std::numeric_limits<float>::epsilon();
  float expected = 1e-4f / std::sqrt(1e-8f + eps);
  EXPECT_NEAR(rms_norm(x, {4})[0][0].item<double>(), expected, 1e-6);
}

TEST(NormOps, CompositeGradientsMatchFusedKernels) {
  for (DType d : {kDouble}) {
    Tensor x = make_tensor({3, 4, 5}, d), w4 = make_tensor({4}, d), b4 = make_tensor({4}, d);
    Tensor w5 = make_tensor({5}, d), b5 = make_tensor({5}, d);
    Tensor rm = zeros({4}, d), rv = ones({4}, d);
    expect_composite_grad_matches(
        [](const TensorList& t) { return TensorList{batch_norm(t[0], {}, {}, t[1], t[2], true)}; }, {x, w4, b4});
    expect_composite_grad_matches(
        [rm, rv](const TensorList& t) { return TensorList{batch_norm(t[0], rm, rv, t[1], t[2], false)}; }, {x, w4, b4});
    expect_composite_grad_matches([](const TensorList& t) { return TensorList{layer_norm(t[0], {5}, t[1], t[2])}; },
                                  {x, w5, b5});
    expect_composite_grad_matches([](const TensorList& t) { return TensorList{group_norm(t[0], 2, t[1], t[2])}; },
                                  {x, w4, b4});
    expect_composite_grad_matches([](const TensorList& t) { return TensorList{rms_norm(t[0], {5}, t[1])}; }, {x, w5});
  }
}
