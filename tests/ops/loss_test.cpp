// Loss functions against PyTorch: every reduction, weights, ignore_index, label smoothing,
// broadcasting, non-contiguous and empty inputs, gradcheck/gradgradcheck and error cases.
#include <algorithm>
#include <omp.h>

#include <optional>

#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::binary_samples;
using sinter::testing::expect_error;
using sinter::testing::make_tensor;

namespace {

const char* kReductions[] = {"none", "mean", "sum"};

std::string py_str(std::string_view s) { return "'" + std::string(s) + "'"; }

/// Class indices in [0, C) of the given shape; every third one is `ignore` when given.
Tensor class_target(IntArrayRef shape, int64_t C, std::optional<int64_t> ignore = std::nullopt) {
  Tensor t = randint(0, C, shape);
  if (ignore) {
    int64_t* p = t.data_ptr<int64_t>();
    for (int64_t i = 1; i < t.numel(); i += 3) p[i] = *ignore;
  }
  return t;
}

/// Runs a record; its bfloat16 samples are compared with PyTorch computing in float32 and
/// rounding to bfloat16 (PyTorch's bfloat16 CPU losses round every intermediate, and sum in
/// bfloat16; sinter computes in float and accumulates in double).
void check_record_bf16_upcast(OpRecord r) {
  auto it = std::find(r.dtypes.begin(), r.dtypes.end(), kBFloat16);
  bool bf16 = it != r.dtypes.end();
  if (bf16) r.dtypes.erase(it);
  if (!r.dtypes.empty()) sinter::testing::check_record(r);
  if (!bf16) return;
  r.dtypes = {kBFloat16};
  r.stmt = "for _k in [k for k in list(globals()) if k[:1] == 'a' and k[1:].isdigit()]:\n"
           "    _v = globals()[_k]\n"
           "    if isinstance(_v, torch.Tensor) and _v.dtype == torch.bfloat16: globals()[_k] = _v.float()\n";
  r.torch = "(" + r.torch + ").bfloat16()";
  r.gradcheck = false;  // done in float64 by the record above
  r.errors.clear();
  sinter::testing::check_record(r);
}

/// Inputs (log-probabilities or logits), class-index targets and an optional class weight.
/// (PyTorch's label-smoothed, weighted mean cannot take uint8 targets: byte_target = false.)
std::vector<OpSample> class_samples(DType d, bool weighted, std::optional<int64_t> ignore, bool byte_target = true) {
  auto w = [&](int64_t C) { return weighted ? make_tensor({C}, d, 0.5, 2) : Tensor(); };
  std::vector<OpSample> s = {
      {{make_tensor({5, 4}, d), class_target({5}, 4, ignore), w(4)}, "(N, C)"},
      {{make_tensor({4}, d), class_target({}, 4), w(4)}, "(C) with a 0-dim target"},
      {{make_tensor({2, 3, 4}, d), class_target({2, 4}, 3, ignore), w(3)}, "(N, C, d)"},
      {{make_tensor({2, 3, 2, 2}, d), class_target({2, 2, 2}, 3, ignore), w(3)}, "(N, C, H, W)"},
      {{make_tensor({1, 2, 1, 2, 2}, d), class_target({1, 1, 2, 2}, 2), w(2)}, "(N, C, d1, d2, d3)"},
      {{make_tensor({4, 5}, d).t(), class_target({5}, 4, ignore), w(4)}, "non-contiguous input"},
      {{make_tensor({0, 4}, d), class_target({0}, 4), w(4)}, "empty batch"},
  };
  if (byte_target) s.push_back({{make_tensor({5, 3}, d), class_target({5}, 3).to(kByte), w(3)}, "uint8 target"});
  return s;
}

}  // namespace

// ---- nll_loss ---------------------------------------------------------------------------------

TEST(LossOps, NllLoss) {
  for (const char* red : kReductions) {
    for (bool weighted : {false, true}) {
      for (int64_t ignore : {int64_t(-100), int64_t(1)}) {
        SCOPED_TRACE(std::string(red) + (weighted ? " weighted" : "") + " ignore_index=" + std::to_string(ignore));
        OpRecord r;
        r.ops = {"nll_loss", "nll_loss_backward"};
        r.torch = "F.nll_loss(a0, a1, weight=a2, reduction=" + py_str(red) + ", ignore_index=" + std::to_string(ignore) + ")";
        r.fn = [red, ignore](const TensorList& x) { return TensorList{nll_loss(x[0], x[1], x[2], red, ignore)}; };
        r.samples = [weighted, ignore](DType d) {
          return class_samples(d, weighted, ignore == -100 ? std::optional<int64_t>(-100) : std::nullopt);
        };
        r.dtypes = {kFloat, kDouble, kBFloat16};
        r.grad_inputs = {0};
        r.gradgradcheck = true;
        check_record_bf16_upcast(r);
      }
    }
  }
}

TEST(LossOps, NllLossErrors) {
  OpRecord r;
  r.ops = {"nll_loss"};
  r.torch = "F.nll_loss(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{nll_loss(x[0], x[1])}; };
  r.samples = [](DType d) { return std::vector<OpSample>{{{make_tensor({3, 4}, d), class_target({3}, 4)}, "(N, C)"}}; };
  r.errors = {
      expect_error<ValueError>("batch mismatch", [] { nll_loss(zeros({3, 4}), zeros({2}, kLong)); }, "nll_loss"),
      expect_error<ShapeError>("spatial mismatch", [] { nll_loss(zeros({3, 2, 2}), zeros({3, 1}, kLong)); }, "expected target size (3, 2)"),
      expect_error<ShapeError>("multi-target", [] { nll_loss(zeros({3, 4}), zeros({3, 4}, kLong)); }, "nll_loss"),
      expect_error<ShapeError>("1-D input, 1-D target", [] { nll_loss(zeros({4}), zeros({1}, kLong)); }, "nll_loss"),
      expect_error<IndexError>("class too large", [] { nll_loss(zeros({3, 4}), tensor({0, 1, 4})); }, "Target 4 is out of bounds"),
      expect_error<IndexError>("negative class", [] { nll_loss(zeros({3, 4}), tensor({0, -1, 2})); }, "nll_loss"),
      expect_error<IndexError>("class too large, none", [] { nll_loss(zeros({2, 3, 2}), tensor({0, 9, 1, 1}).view({2, 2}), {}, "none"); }, "nll_loss"),
      expect_error<DTypeError>("float target", [] { nll_loss(zeros({3, 4}), zeros({3})); }, "nll_loss"),
      expect_error<DTypeError>("int32 target", [] { nll_loss(zeros({3, 4}), zeros({3}, kInt)); }, "int32"),
      expect_error<DTypeError>("integer input", [] { nll_loss(ones({3, 4}, kLong), zeros({3}, kLong)); }, "nll_loss"),
      expect_error<ValueError>("0-dim input", [] { nll_loss(zeros({}), zeros({}, kLong)); }, "nll_loss"),
      expect_error<ShapeError>("weight size", [] { nll_loss(zeros({3, 4}), zeros({3}, kLong), zeros({5})); }, "weight tensor should be defined either for all 4 classes"),
      expect_error<DTypeError>("weight dtype", [] { nll_loss(zeros({3, 4}), zeros({3}, kLong), ones({4}, kDouble)); }, "nll_loss"),
      expect_error<ValueError>("bad reduction", [] { nll_loss(zeros({3, 4}), zeros({3}, kLong), {}, "avg"); }, "nll_loss: 'avg' is not a valid value for reduction"),
  };
  sinter::testing::check_record(r);
}

TEST(LossOps, NllLossAllIgnored) {
  // Mean over no targets is 0/0 = nan (as in PyTorch); sum is 0; the gradient is zero.
  Tensor x = randn({3, 4}).requires_grad_(true);
  Tensor t = full({3}, -100, kLong);
  Tensor mean = nll_loss(x, t);
  EXPECT_TRUE(std::isnan(mean.item<double>()));
  EXPECT_EQ(nll_loss(x, t, {}, "sum").item<double>(), 0.0);
  mean.backward();
  EXPECT_EQ(x.grad().abs().sum().item<double>(), 0.0);
}

TEST(LossOps, NllLossGradFnName) {
  Tensor x = randn({3, 4}).requires_grad_(true);
  EXPECT_EQ(nll_loss(x, tensor({0, 1, 2})).grad_fn()->name(), "NllLossBackward0");
}

// ---- mse_loss / l1_loss -----------------------------------------------------------------------

namespace {
/// binary_samples plus, for float32, mixed-dtype targets (promotion as in PyTorch).
std::vector<OpSample> pair_samples(DType d) {
  auto s = binary_samples(d);
  if (d == kFloat) {
    s.push_back({{make_tensor({3, 4}, kFloat), make_tensor({3, 4}, kDouble)}, "float32 input, float64 target"});
    s.push_back({{make_tensor({3, 4}, kFloat), make_tensor({3, 4}, kLong)}, "float32 input, int64 target"});
  }
  return s;
}
}  // namespace

TEST(LossOps, MseLoss) {
  for (const char* red : kReductions) {
    // PyTorch has no float16 mse backward on CPU: float16 is checked forward only, with a
    // tolerance for PyTorch rounding x - y to float16 before squaring (sinter squares in float).
    for (bool half : {false, true}) {
      SCOPED_TRACE(red);
      OpRecord r;
      r.ops = {"mse_loss"};
      r.torch = "F.mse_loss(a0, a1, reduction=" + py_str(red) + ")";
      r.fn = [red](const TensorList& x) { return TensorList{mse_loss(x[0], x[1], red)}; };
      r.samples = [](DType d) { return binary_samples(d); };
      r.dtypes = half ? std::vector<DType>{kHalf} : std::vector<DType>{kFloat, kDouble};
      r.grad_inputs = half ? std::vector<size_t>{} : std::vector<size_t>{0, 1};
      r.gradgradcheck = true;
      if (half) r.rtol = 1e-3;
      r.errors = {
          expect_error<ShapeError>("shapes", [] { mse_loss(zeros({3, 4}), zeros({4, 4})); }, "mse_loss"),
          expect_error<DTypeError>("integer", [] { mse_loss(ones({3}, kLong), ones({3}, kLong)); }, "mse_loss"),
          expect_error<ValueError>("bad reduction", [] { mse_loss(zeros({3}), zeros({3}), "batchmean"); }, "mse_loss"),
      };
      sinter::testing::check_record(r);
    }
  }
}

TEST(LossOps, MseLossPromotion) {
  // Forward promotes like PyTorch (its mse backward rejects mixed dtypes; sinter's casts back).
  Tensor x = randn({3, 4}).requires_grad_(true);
  Tensor y = randn({3, 4}, kDouble);
  Tensor l = mse_loss(x, y, "sum");
  EXPECT_EQ(l.dtype(), kDouble);
  Tensor d = x.detach().to(kDouble) - y;
  EXPECT_NEAR(l.item<double>(), (d * d).sum().item<double>(), 1e-9);
  l.backward();
  EXPECT_EQ(x.grad().dtype(), kFloat);
  EXPECT_TRUE(x.grad().allclose((d * 2).to(kFloat)));
  EXPECT_EQ(mse_loss(x, randint(0, 3, {3, 4})).dtype(), kFloat);
}

TEST(LossOps, L1Loss) {
  for (const char* red : kReductions) {
    SCOPED_TRACE(red);
    OpRecord r;
    r.ops = {"l1_loss"};
    r.torch = "F.l1_loss(a0, a1, reduction=" + py_str(red) + ")";
    r.fn = [red](const TensorList& x) { return TensorList{l1_loss(x[0], x[1], red)}; };
    r.samples = pair_samples;
    r.dtypes = {kFloat, kDouble, kHalf, kBFloat16};
    if (std::string(red) != "mean") r.dtypes.insert(r.dtypes.end(), {kLong, kInt, kChar, kByte});
    r.grad_inputs = {0, 1};
    r.gradgradcheck = true;
    r.errors = {
        expect_error<ShapeError>("shapes", [] { l1_loss(zeros({3, 4}), zeros({4, 4})); }, "l1_loss"),
        expect_error<DTypeError>("integer mean", [] { l1_loss(ones({3}, kLong), ones({3}, kLong)); }, "l1_loss"),
        expect_error<DTypeError>("bool", [] { l1_loss(ones({3}, kBool), ones({3}, kBool), "sum"); }, "l1_loss"),
        expect_error<ValueError>("bad reduction", [] { l1_loss(zeros({3}), zeros({3}), "mean "); }, "l1_loss"),
    };
    sinter::testing::check_record(r);
  }
}

// ---- smooth_l1_loss / huber_loss --------------------------------------------------------------

TEST(LossOps, SmoothL1Loss) {
  for (const char* red : kReductions) {
    for (double beta : {1.0, 0.5, 0.0}) {
      SCOPED_TRACE(std::string(red) + " beta=" + std::to_string(beta));
      OpRecord r;
      r.ops = {"smooth_l1_loss"};
      r.torch = "F.smooth_l1_loss(a0, a1, reduction=" + py_str(red) + ", beta=" + std::to_string(beta) + ")";
      r.fn = [red, beta](const TensorList& x) { return TensorList{smooth_l1_loss(x[0], x[1], red, beta)}; };
      r.samples = pair_samples;
      // At beta = 0 the gradient where input == target is a choice; random bfloat16 samples
      // can tie there, float32 and float64 ones practically never.
      r.dtypes = beta == 0 ? std::vector<DType>{kFloat, kDouble} : std::vector<DType>{kFloat, kDouble, kBFloat16};
      r.grad_inputs = {0, 1};
      r.gradgradcheck = true;
      r.errors = {
          expect_error<ValueError>("negative beta", [] { smooth_l1_loss(zeros({3}), zeros({3}), "mean", -1.0); }, "smooth_l1_loss"),
          expect_error<ShapeError>("shapes", [] { smooth_l1_loss(zeros({3, 4}), zeros({2, 4})); }, "smooth_l1_loss"),
          expect_error<DTypeError>("integer", [] { smooth_l1_loss(ones({3}, kLong), ones({3}, kLong)); }, "smooth_l1_loss"),
          expect_error<ValueError>("bad reduction", [] { smooth_l1_loss(zeros({3}), zeros({3}), "max"); }, "smooth_l1_loss"),
      };
      check_record_bf16_upcast(r);
    }
  }
}

TEST(LossOps, HuberLoss) {
  for (const char* red : kReductions) {
    for (double delta : {1.0, 0.5, 2.0}) {
      SCOPED_TRACE(std::string(red) + " delta=" + std::to_string(delta));
      OpRecord r;
      r.ops = {"huber_loss"};
      r.torch = "F.huber_loss(a0, a1, reduction=" + py_str(red) + ", delta=" + std::to_string(delta) + ")";
      r.fn = [red, delta](const TensorList& x) { return TensorList{huber_loss(x[0], x[1], red, delta)}; };
      r.samples = [](DType d) { return binary_samples(d); };  // PyTorch's backward rejects mixed dtypes
      r.dtypes = {kFloat, kDouble, kBFloat16};
      r.grad_inputs = {0, 1};
      r.gradgradcheck = true;
      r.errors = {
          expect_error<ValueError>("zero delta", [] { huber_loss(zeros({3}), zeros({3}), "mean", 0.0); }, "huber_loss"),
          expect_error<ShapeError>("shapes", [] { huber_loss(zeros({3, 4}), zeros({2, 4})); }, "huber_loss"),
          expect_error<DTypeError>("integer", [] { huber_loss(ones({3}, kLong), ones({3}, kLong)); }, "huber_loss"),
      };
      check_record_bf16_upcast(r);
    }
  }
}

// ---- binary_cross_entropy (with logits) -------------------------------------------------------

namespace {
/// Probabilities (or logits) with targets of the same shape and optional weights.
std::vector<OpSample> bce_samples(DType d, double lo, double hi, bool weighted, bool pos_weighted) {
  auto opt = [](bool on, Tensor t) { return on ? t : Tensor(); };
  auto s = [&](Tensor x, Tensor y, Tensor w, Tensor pw, std::string desc) {
    TensorList in{x, y, opt(weighted, w)};
    if (pos_weighted) in.push_back(pw);
    return OpSample{in, desc};
  };
  return {
      s(make_tensor({3, 4}, d, lo, hi), make_tensor({3, 4}, d, 0, 1), make_tensor({3, 4}, d, 0.5, 2),
        make_tensor({4}, d, 0.5, 3), "(3, 4), weight of the same shape"),
      s(make_tensor({3, 4}, d, lo, hi), make_tensor({3, 4}, d, 0, 2).floor().clamp_max(1), make_tensor({4}, d, 0.5, 2),
        make_tensor({3, 4}, d, 0.5, 3), "hard 0/1 targets, broadcast weight"),
      s(sinter::testing::make_noncontiguous({2, 3, 4}, d, lo, hi), make_tensor({4, 3, 2}, d, 0, 1).permute({2, 1, 0}),
        make_tensor({3, 1}, d, 0.5, 2), make_tensor({1, 4}, d, 0.5, 3), "non-contiguous"),
      s(make_tensor({}, d, lo, hi), make_tensor({}, d, 0, 1), make_tensor({}, d, 0.5, 2), make_tensor({}, d, 0.5, 3),
        "0-dim"),
      s(make_tensor({0, 4}, d, lo, hi), make_tensor({0, 4}, d, 0, 1), make_tensor({4}, d, 0.5, 2),
        make_tensor({4}, d, 0.5, 3), "empty"),
  };
}
}  // namespace

TEST(LossOps, BinaryCrossEntropy) {
  for (const char* red : kReductions) {
    for (bool weighted : {false, true}) {
      SCOPED_TRACE(std::string(red) + (weighted ? " weighted" : ""));
      OpRecord r;
      r.ops = {"binary_cross_entropy"};
      r.torch = "F.binary_cross_entropy(a0, a1, weight=a2, reduction=" + py_str(red) + ")";
      r.fn = [red](const TensorList& x) { return TensorList{binary_cross_entropy(x[0], x[1], x[2], red)}; };
      r.samples = [weighted](DType d) { return bce_samples(d, 0.02, 0.98, weighted, false); };
      r.dtypes = {kFloat, kDouble};
      r.grad_inputs = {0, 1};
      r.gradgradcheck = true;
      r.errors = {
          expect_error<ValueError>("input above 1", [] { binary_cross_entropy(full({3}, 1.5), zeros({3})); }, "between 0 and 1"),
          expect_error<ValueError>("negative input", [] { binary_cross_entropy(full({3}, -0.5), zeros({3}), {}, "none"); }, "binary_cross_entropy"),
          expect_error<ValueError>("nan input", [] { binary_cross_entropy(full({3}, NAN), zeros({3})); }, "binary_cross_entropy"),
          expect_error<ValueError>("target size", [] { binary_cross_entropy(zeros({3, 4}), zeros({4})); }, "binary_cross_entropy: target size (4,)"),
          expect_error<DTypeError>("target dtype", [] { binary_cross_entropy(zeros({3}), zeros({3}, kDouble)); }, "binary_cross_entropy"),
          expect_error<ShapeError>("weight too big", [] { binary_cross_entropy(zeros({3, 4}), zeros({3, 4}), zeros({2, 3, 4})); }, "binary_cross_entropy"),
          expect_error<ValueError>("bad reduction", [] { binary_cross_entropy(zeros({3}), zeros({3}), {}, "avg"); }, "binary_cross_entropy"),
      };
      sinter::testing::check_record(r);
    }
  }
}

TEST(LossOps, BinaryCrossEntropyAtZeroAndOne) {
  // log(0) is clamped at -100 as in PyTorch, so the loss stays finite at x = 0 and x = 1.
  OpRecord r;
  r.ops = {"binary_cross_entropy"};
  r.torch = "F.binary_cross_entropy(a0, a1, reduction='none')";
  r.fn = [](const TensorList& x) { return TensorList{binary_cross_entropy(x[0], x[1], {}, "none")}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{tensor({0.0, 1.0, 0.0, 1.0, 0.5}, d), tensor({0.0, 1.0, 1.0, 0.0, 0.3}, d)}, "x in {0, 1}"}};
  };
  r.grad_inputs = {};
  sinter::testing::check_record(r);
}

TEST(LossOps, BinaryCrossEntropyWithLogits) {
  for (const char* red : kReductions) {
    for (int weights = 0; weights < 4; ++weights) {
      bool weighted = weights & 1, pos_weighted = weights & 2;
      SCOPED_TRACE(std::string(red) + (weighted ? " weighted" : "") + (pos_weighted ? " pos_weight" : ""));
      OpRecord r;
      r.ops = {"binary_cross_entropy_with_logits"};
      r.torch = "F.binary_cross_entropy_with_logits(a0, a1, weight=a2, reduction=" + py_str(red) + ", pos_weight=" +
                (pos_weighted ? "a3" : "None") + ")";
      r.fn = [red, pos_weighted](const TensorList& x) {
        return TensorList{binary_cross_entropy_with_logits(x[0], x[1], x[2], red, pos_weighted ? x[3] : Tensor())};
      };
      r.samples = [weighted, pos_weighted](DType d) { return bce_samples(d, -4, 4, weighted, pos_weighted); };
      r.dtypes = {kFloat, kDouble, kBFloat16};
      r.grad_inputs = {0, 1};
      r.gradgradcheck = true;
      r.errors = {
          expect_error<ValueError>("target size", [] { binary_cross_entropy_with_logits(zeros({3, 4}), zeros({4})); }, "binary_cross_entropy_with_logits: target size (4,)"),
          expect_error<DTypeError>("integer target", [] { binary_cross_entropy_with_logits(zeros({3}), zeros({3}, kLong)); }, "binary_cross_entropy_with_logits"),
          expect_error<ShapeError>("pos_weight size", [] { binary_cross_entropy_with_logits(zeros({3, 4}), zeros({3, 4}), {}, "mean", ones({5}, kFloat)); }, "pos_weight"),
          expect_error<ShapeError>("weight too big", [] { binary_cross_entropy_with_logits(zeros({3, 4}), zeros({3, 4}), zeros({2, 3, 4})); }, "weight"),
      };
      check_record_bf16_upcast(r);
    }
  }
}

TEST(LossOps, BinaryCrossEntropyWithLogitsIsStable) {
  // Large logits: the naive log(sigmoid(x)) would give inf; the loss is |x| for a wrong label.
  Tensor x = tensor({100.0, -100.0, 100.0, -100.0}, kFloat);
  Tensor y = tensor({0.0, 1.0, 1.0, 0.0}, kFloat);
  Tensor l = binary_cross_entropy_with_logits(x, y, {}, "none");
  EXPECT_TRUE(l.allclose(tensor({100.0, 100.0, 0.0, 0.0}, kFloat)));
}

// ---- kl_div -----------------------------------------------------------------------------------

TEST(LossOps, KlDiv) {
  for (const char* red : {"none", "mean", "sum", "batchmean"}) {
    for (bool log_target : {false, true}) {
      SCOPED_TRACE(std::string(red) + (log_target ? " log_target" : ""));
      OpRecord r;
      r.ops = {"kl_div"};
      r.torch = "F.kl_div(a0, a1, reduction=" + py_str(red) + ", log_target=" + (log_target ? "True" : "False") + ")";
      r.fn = [red, log_target](const TensorList& x) { return TensorList{kl_div(x[0], x[1], red, log_target)}; };
      // Targets are probabilities (kept away from 0) or log-probabilities.
      r.samples = [log_target](DType d) { return binary_samples(d, -3, 0, log_target ? -3 : 0.05, log_target ? 0 : 1); };
      r.dtypes = {kFloat, kDouble, kBFloat16};
      r.grad_inputs = {0, 1};
      r.gradgradcheck = true;
      r.errors = {
          expect_error<DTypeError>("integer target", [] { kl_div(zeros({3}), zeros({3}, kLong)); }, "kl_div"),
          expect_error<ShapeError>("shapes", [] { kl_div(zeros({3, 4}), zeros({2, 4})); }, "kl_div"),
          expect_error<ValueError>("bad reduction", [] { kl_div(zeros({3}), zeros({3}), "avg"); }, "kl_div: 'avg'"),
      };
      check_record_bf16_upcast(r);
    }
  }
}

TEST(LossOps, KlDivZeroTarget) {
  // xlogy(0, 0) = 0 in the loss; the target's gradient at 0 is nan, as in PyTorch.
  OpRecord r;
  r.ops = {"kl_div"};
  r.torch = "F.kl_div(a0, a1, reduction='sum')";
  r.fn = [](const TensorList& x) { return TensorList{kl_div(x[0], x[1], "sum")}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{tensor({-1.0, -2.0, -0.5}, d), tensor({0.0, 0.7, 0.3}, d)}, "a zero target"}};
  };
  r.grad_inputs = {0, 1};
  r.gradcheck = false;
  sinter::testing::check_record(r);
}

// ---- cross_entropy ----------------------------------------------------------------------------

TEST(LossOps, CrossEntropyClassIndices) {
  for (const char* red : kReductions) {
    for (bool weighted : {false, true}) {
      for (double smoothing : {0.0, 0.2}) {
        SCOPED_TRACE(std::string(red) + (weighted ? " weighted" : "") + " label_smoothing=" + std::to_string(smoothing));
        OpRecord r;
        r.ops = {"nll_loss", "nll_loss_backward"};
        r.torch = "F.cross_entropy(a0, a1, weight=a2, reduction=" + py_str(red) + ", label_smoothing=" +
                  std::to_string(smoothing) + ")";
        r.fn = [red, smoothing](const TensorList& x) {
          return TensorList{cross_entropy(x[0], x[1], x[2], red, -100, smoothing)};
        };
        bool byte_target = !(weighted && smoothing > 0 && std::string(red) == "mean");
        r.samples = [weighted, byte_target](DType d) { return class_samples(d, weighted, -100, byte_target); };
        r.dtypes = {kFloat, kDouble, kBFloat16};
        r.grad_inputs = {0};
        r.gradgradcheck = true;
        check_record_bf16_upcast(r);
      }
    }
  }
}

TEST(LossOps, CrossEntropyIgnoreIndex) {
  for (double smoothing : {0.0, 0.3}) {
    OpRecord r;
    r.torch = "F.cross_entropy(a0, a1, weight=a2, ignore_index=2, label_smoothing=" + std::to_string(smoothing) + ")";
    r.fn = [smoothing](const TensorList& x) { return TensorList{cross_entropy(x[0], x[1], x[2], "mean", 2, smoothing)}; };
    r.samples = [](DType d) {
      auto s = class_samples(d, true, 2, /*byte_target=*/false);
      auto u = class_samples(d, false, std::nullopt);
      s.insert(s.end(), u.begin(), u.end());
      return s;
    };
    r.grad_inputs = {0};
    sinter::testing::check_record(r);
  }
}

TEST(LossOps, CrossEntropyProbabilities) {
  for (const char* red : kReductions) {
    for (bool weighted : {false, true}) {
      for (double smoothing : {0.0, 0.3}) {
        SCOPED_TRACE(std::string(red) + (weighted ? " weighted" : "") + " label_smoothing=" + std::to_string(smoothing));
        OpRecord r;
        r.torch = "F.cross_entropy(a0, a1, weight=a2, reduction=" + py_str(red) + ", label_smoothing=" +
                  std::to_string(smoothing) + ")";
        r.fn = [red, smoothing](const TensorList& x) {
          return TensorList{cross_entropy(x[0], x[1], x[2], red, -100, smoothing)};
        };
        r.samples = [weighted](DType d) {
          auto w = [&](int64_t C) { return weighted ? make_tensor({C}, d, 0.5, 2) : Tensor(); };
          auto probs = [&](IntArrayRef shape, int64_t dim) { return softmax(make_tensor(shape, d), dim); };
          return std::vector<OpSample>{
              {{make_tensor({5, 4}, d), probs({5, 4}, 1), w(4)}, "(N, C)"},
              {{make_tensor({4}, d), probs({4}, 0), w(4)}, "(C)"},
              {{make_tensor({2, 3, 4}, d), probs({2, 3, 4}, 1), w(3)}, "(N, C, d)"},
              {{make_tensor({4, 5}, d).t(), probs({4, 5}, 0).t(), w(4)}, "non-contiguous"},
              {{make_tensor({0, 4}, d), probs({0, 4}, 1), w(4)}, "empty batch"},
          };
        };
        r.dtypes = {kFloat, kDouble};
        r.grad_inputs = {0, 1};
        r.gradgradcheck = std::string(red) == "mean";
        sinter::testing::check_record(r);
      }
    }
  }
}

TEST(LossOps, CrossEntropyErrors) {
  OpRecord r;
  r.torch = "F.cross_entropy(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{cross_entropy(x[0], x[1])}; };
  r.samples = [](DType d) { return std::vector<OpSample>{{{make_tensor({3, 4}, d), class_target({3}, 4)}, "(N, C)"}}; };
  r.errors = {
      expect_error<ValueError>("batch mismatch", [] { cross_entropy(zeros({3, 4}), zeros({2}, kLong)); }, "cross_entropy"),
      expect_error<ShapeError>("spatial mismatch", [] { cross_entropy(zeros({3, 2, 2}), zeros({3, 1}, kLong)); }, "cross_entropy: expected target size (3, 2)"),
      expect_error<IndexError>("class out of range", [] { cross_entropy(zeros({3, 4}), tensor({0, 7, 1})); }, "cross_entropy"),
      expect_error<IndexError>("class out of range, smoothing", [] { cross_entropy(zeros({3, 4}), tensor({0, -2, 1}), {}, "mean", -100, 0.1); }, "Target -2 is out of bounds"),
      expect_error<DTypeError>("float target of another shape", [] { cross_entropy(zeros({3, 4}), zeros({3})); }, "cross_entropy"),
      expect_error<DTypeError>("int32 target", [] { cross_entropy(zeros({3, 4}), zeros({3}, kInt)); }, "cross_entropy"),
      expect_error<DTypeError>("integer probabilities", [] { cross_entropy(zeros({3, 4}), zeros({3, 4}, kLong)); }, "cross_entropy"),
      expect_error<ValueError>("ignore_index with probabilities", [] { cross_entropy(zeros({3, 4}), zeros({3, 4}), {}, "mean", 1); }, "cross_entropy"),
      expect_error<ValueError>("label_smoothing > 1", [] { cross_entropy(zeros({3, 4}), zeros({3}, kLong), {}, "mean", -100, 1.5); }, "label_smoothing must be between 0.0 and 1.0"),
      expect_error<ShapeError>("weight size", [] { cross_entropy(zeros({3, 4}), zeros({3}, kLong), zeros({3})); }, "cross_entropy: weight tensor"),
      expect_error<ShapeError>("weight size, probabilities", [] { cross_entropy(zeros({3, 4}), zeros({3, 4}), zeros({5})); }, "cross_entropy: weight tensor"),
      expect_error<ValueError>("bad reduction", [] { cross_entropy(zeros({3, 4}), zeros({3}, kLong), {}, "total"); }, "cross_entropy: 'total'"),
      expect_error<ValueError>("0-dim input", [] { cross_entropy(zeros({}), zeros({}, kLong)); }, "cross_entropy"),
  };
  sinter::testing::check_record(r);
}

TEST(LossOps, CrossEntropyTrainsAndDoubleBackward) {
  // grad_fn as PyTorch names it; second derivative through log_softmax + nll_loss.
  Tensor x = randn({4, 5}, kDouble).requires_grad_(true);
  Tensor t = tensor({0, 4, 2, 1});
  Tensor l = cross_entropy(x, t);
  EXPECT_EQ(l.grad_fn()->name(), "NllLossBackward0");
  Tensor g = autograd::grad({l}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  // d/dx of mean CE = (softmax(x) - onehot(t)) / N: rows sum to zero.
  EXPECT_LT(g.sum(1).abs().max().item<double>(), 1e-12);
  Tensor gg = autograd::grad({(g * g).sum()}, {x})[0];
  EXPECT_TRUE(gg.defined());
  EXPECT_GT(gg.abs().sum().item<double>(), 0.0);
}

// ---- large inputs: the parallel kernels against the scalar reference kernels -------------------

namespace {
/// Output and input gradients of fn, with the fast or the reference kernels.
TensorList run_kernels(const std::function<Tensor(const Tensor&)>& fn, const Tensor& x, bool reference) {
  ops::ReferenceKernels::set_enabled(reference);
  Tensor xr = x.detach().requires_grad_(true);
  Tensor out = fn(xr);
  Tensor g = autograd::grad({out}, {xr}, {ones_like(out)})[0];
  ops::ReferenceKernels::set_enabled(false);
  return {out, g};
}
void expect_fast_matches_reference(const std::function<Tensor(const Tensor&)>& fn, const Tensor& x) {
  TensorList fast = run_kernels(fn, x, false), ref = run_kernels(fn, x, true);
  EXPECT_TRUE(sinter::testing::tensors_close(fast[0], ref[0], 1e-5, 1e-5)) << "output";
  EXPECT_TRUE(sinter::testing::tensors_close(fast[1], ref[1], 1e-5, 1e-6)) << "gradient";
}
}  // namespace

TEST(LossOps, LargeInputsUseParallelKernels) {
  // Sizes above the parallel grain: partial sums across threads, parallel gather/scatter.
  Tensor logp = randn({10000, 3});
  Tensor t = class_target({10000}, 3, -100);
  Tensor w = rand({3}) + 0.5;
  Tensor logp3 = randn({2, 3, 5000});
  Tensor t3 = class_target({2, 5000}, 3, 1);
  Tensor x = randn({200, 170}), y = randn({200, 170});
  for (const char* red : kReductions) {
    SCOPED_TRACE(red);
    expect_fast_matches_reference([&](const Tensor& v) { return nll_loss(v, t, w, red); }, logp);
    expect_fast_matches_reference([&](const Tensor& v) { return nll_loss(v, t3, {}, red, 1); }, logp3);
    expect_fast_matches_reference([&](const Tensor& v) { return mse_loss(v, y, red); }, x);
    expect_fast_matches_reference([&](const Tensor& v) { return mse_loss(v.t(), y.t().contiguous(), red); }, x);
    expect_fast_matches_reference([&](const Tensor& v) { return binary_cross_entropy_with_logits(v, y.sigmoid(), {}, red); }, x);
    // float32 SIMD paths with full-size and broadcast weights
    Tensor wf = rand({200, 170}) + 0.5, pw = rand({170}) + 0.5;
    expect_fast_matches_reference(
        [&](const Tensor& v) { return binary_cross_entropy_with_logits(v, y.sigmoid(), wf, red, pw); }, x);
    expect_fast_matches_reference([&](const Tensor& v) { return binary_cross_entropy(v.sigmoid(), y.sigmoid(), wf, red); }, x);
    expect_fast_matches_reference([&](const Tensor& v) { return kl_div(v, y.sigmoid(), red); }, x);
    expect_fast_matches_reference([&](const Tensor& v) { return kl_div(v, y, red, /*log_target=*/true); }, x);
  }
}

TEST(LossOps, InsideAParallelRegion) {
  // Loss kernels called from the threads of a user's own OpenMP region.
  Tensor x = randn({300, 200}), y = randn({300, 200});
  Tensor logp = randn({40000, 3});
  Tensor t = class_target({40000}, 3);
  const double mse = mse_loss(x, y, "sum").item<double>();
  const double nll = nll_loss(logp, t, {}, "sum").item<double>();
  std::vector<double> got_mse(4, 0.0), got_nll(4, 0.0);
#pragma omp parallel num_threads(4)
  {
    const int k = omp_get_thread_num();
    got_mse[static_cast<size_t>(k)] = mse_loss(x, y, "sum").item<double>();
    got_nll[static_cast<size_t>(k)] = nll_loss(logp, t, {}, "sum").item<double>();
  }
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(got_mse[static_cast<size_t>(k)], mse, 1e-6 * std::abs(mse)) << "thread " << k;
    EXPECT_NEAR(got_nll[static_cast<size_t>(k)], nll, 1e-6 * std::abs(nll)) << "thread " << k;
  }
}
