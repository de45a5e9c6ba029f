// Loss functions against PyTorch: every reduction, weights, ignore_index, label smoothing,
// broadcasting, non-contiguous and empty inputs, gradcheck/gradgradcheck and error cases.
#include <optional>

#include "op_record.h"

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

/// Inputs (log-probabilities or logits), class-index targets and an optional class weight.
std::vector<OpSample> class_samples(DType d, bool weighted, std::optional<int64_t> ignore) {
  auto w = [&](int64_t C) { return weighted ? make_tensor({C}, d, 0.5, 2) : Tensor(); };
  return {
      {{make_tensor({5, 4}, d), class_target({5}, 4, ignore), w(4)}, "(N, C)"},
      {{make_tensor({4}, d), class_target({}, 4), w(4)}, "(C) with a 0-dim target"},
      {{make_tensor({2, 3, 4}, d), class_target({2, 4}, 3, ignore), w(3)}, "(N, C, d)"},
      {{make_tensor({2, 3, 2, 2}, d), class_target({2, 2, 2}, 3, ignore), w(3)}, "(N, C, H, W)"},
      {{make_tensor({1, 2, 1, 2, 2}, d), class_target({1, 1, 2, 2}, 2), w(2)}, "(N, C, d1, d2, d3)"},
      {{make_tensor({4, 5}, d).t(), class_target({5}, 4, ignore), w(4)}, "non-contiguous input"},
      {{make_tensor({5, 3}, d), class_target({5}, 3).to(kByte), w(3)}, "uint8 target"},
      {{make_tensor({0, 4}, d), class_target({0}, 4), w(4)}, "empty batch"},
  };
}

}  // namespace

// ---- nll_loss ---------------------------------------------------------------------------------

TEST(LossOps, NllLoss) {
  for (const char* red : kReductions) {
    for (bool weighted : {false, true}) {
      for (int64_t ignore : {int64_t(-100), int64_t(1)}) {
        // PyTorch sums bfloat16 losses in bfloat16; sinter accumulates in double. For the
        // reductions, bfloat16 is compared with PyTorch's float32 result rounded to bfloat16.
        for (bool bf16 : {false, true}) {
          SCOPED_TRACE(std::string(red) + (weighted ? " weighted" : "") + " ignore_index=" + std::to_string(ignore));
          bool upcast = bf16 && std::string(red) != "none";
          OpRecord r;
          r.ops = {"nll_loss", "nll_loss_backward"};
          std::string args = ", reduction=" + py_str(red) + ", ignore_index=" + std::to_string(ignore) + ")";
          r.torch = upcast ? "F.nll_loss(a0.float(), a1, weight=None if a2 is None else a2.float()" + args + ".bfloat16()"
                           : "F.nll_loss(a0, a1, weight=a2" + args;
          r.fn = [red, ignore](const TensorList& x) { return TensorList{nll_loss(x[0], x[1], x[2], red, ignore)}; };
          r.samples = [weighted, ignore](DType d) {
            return class_samples(d, weighted, ignore == -100 ? std::optional<int64_t>(-100) : std::nullopt);
          };
          r.dtypes = bf16 ? std::vector<DType>{kBFloat16} : std::vector<DType>{kFloat, kDouble};
          r.grad_inputs = {0};
          r.gradcheck = !bf16;
          r.gradgradcheck = !bf16;
          sinter::testing::check_record(r);
        }
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
