// Test records of the activations (src/ops/activation.cpp).
#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::expect_error;
using sinter::testing::make_tensor;

namespace {

// CPU PyTorch 1.13 has no float16 activation kernels, no bfloat16 mish or hardtanh backward, and
// its bfloat16 gelu rounds intermediates to bfloat16: the reference computes those in float32 and
// rounds once, as sinter does. H: float16 only; H2: float16 and bfloat16.
const char* kStmt =
    "def H(f, x):\n"
    "    return f(x.float()).to(x.dtype) if x.dtype == torch.float16 else f(x)\n"
    "def H2(f, x):\n"
    "    return f(x.float()).to(x.dtype) if x.dtype in (torch.float16, torch.bfloat16) else f(x)\n";

std::vector<OpSample> samples(DType d, double lo, double hi) {
  auto s = sinter::testing::unary_samples(d, lo, hi);
  s.push_back({{make_tensor({1003}, d, lo, hi)}, "1-D 1003 (vector body and tail)"});
  s.push_back({{make_tensor({37, 41}, d, lo, hi).t()}, "transposed 41x37"});
  s.push_back({{make_tensor({5, 40}, d, lo, hi).slice(1, 3, 37)}, "rows of a wider tensor"});
  if (d == kFloat) s.push_back({{make_tensor({20011}, d, lo, hi)}, "1-D 20011 (parallel)"});
  return s;
}

// Moves sample values sitting exactly on `points` (reachable in float16/bfloat16) off them by 1/8.
std::vector<OpSample> off_points(std::vector<OpSample> s, std::vector<double> points) {
  NoGradGuard g;
  for (auto& smp : s)
    for (auto& t : smp.inputs)
      if (t.is_floating_point() && t.numel() > 0)
        for (double p : points) t.add_((t == p).to(t.dtype()) * 0.125);
  return s;
}

std::vector<DType> floats() { return {kFloat, kDouble, kHalf, kBFloat16}; }
std::vector<DType> floats_and_ints() { return {kFloat, kDouble, kHalf, kBFloat16, kLong, kInt, kShort, kChar, kByte}; }

OpRecord record(std::string op, std::string torch, std::function<Tensor(const Tensor&)> f,
                std::vector<DType> dtypes = floats(), double lo = -5, double hi = 5) {
  OpRecord r;
  r.ops = {std::move(op)};
  r.torch = std::move(torch);
  r.stmt = kStmt;
  r.fn = [f](const TensorList& x) { return TensorList{f(x[0])}; };
  r.samples = [lo, hi](DType d) { return samples(d, lo, hi); };
  r.dtypes = std::move(dtypes);
  r.gradgradcheck = true;
  return r;
}

// Float-only activations reject integer tensors with a DTypeError naming the op and the dtype.
sinter::testing::ErrorCase int_input(const std::string& op, std::function<Tensor(const Tensor&)> f) {
  return expect_error<DTypeError>("int64 input", [f] { f(ones({2}, kLong)); },
                                  op + ": expected a floating point tensor, got dtype int64");
}

}  // namespace

TEST(Activations, Relu) {
  auto r = record("relu", "H(torch.relu, a0)", [](const Tensor& x) { return x.relu(); }, floats_and_ints());
  r.errors = {expect_error<DTypeError>("bool", [] { relu(ones({2}, kBool)); }, "relu: bool tensors are not supported")};
  sinter::testing::check_record(r);
}

TEST(Activations, Relu6) {
  auto r = record("hardtanh", "H2(F.relu6, a0)", [](const Tensor& x) { return relu6(x); }, floats_and_ints(), -9, 9);
  r.errors = {expect_error<DTypeError>("bool", [] { relu6(ones({2}, kBool)); }, "hardtanh: bool tensors")};
  sinter::testing::check_record(r);
}

TEST(Activations, Hardtanh) {
  auto r = record("hardtanh", "H2(lambda t: F.hardtanh(t, -0.5, 2.0), a0)",
                  [](const Tensor& x) { return hardtanh(x, -0.5, 2.0); });
  r.errors = {expect_error<ValueError>("uint8 with negative limits", [] { hardtanh(ones({2}, kByte)); },
                                       "hardtanh: cannot do hardtanh on an unsigned type (uint8) with negative limits")};
  sinter::testing::check_record(r);
  // Integer tensors: the limits truncate to integers, the dtype is kept.
  auto ri = record("hardtanh", "F.hardtanh(a0, -1.5, 2.5)", [](const Tensor& x) { return hardtanh(x, -1.5, 2.5); },
                   {kLong, kInt, kShort, kChar}, -5, 5);
  sinter::testing::check_record(ri);
  auto rd = record("hardtanh", "F.hardtanh(a0)", [](const Tensor& x) { return hardtanh(x); }, {kFloat, kDouble});
  sinter::testing::check_record(rd);
}

TEST(Activations, LeakyRelu) {
  auto r = record("leaky_relu", "H(F.leaky_relu, a0)", [](const Tensor& x) { return leaky_relu(x); });
  r.errors = {int_input("leaky_relu", [](const Tensor& x) { return leaky_relu(x); })};
  sinter::testing::check_record(r);
  auto r2 = record("leaky_relu", "H(lambda t: F.leaky_relu(t, 0.3), a0)", [](const Tensor& x) { return leaky_relu(x, 0.3); });
  sinter::testing::check_record(r2);
}

TEST(Activations, Elu) {
  auto r = record("elu", "H(F.elu, a0)", [](const Tensor& x) { return elu(x); });
  r.errors = {int_input("elu", [](const Tensor& x) { return elu(x); })};
  sinter::testing::check_record(r);
  auto r2 = record("elu", "H(lambda t: torch.ops.aten.elu(t, 1.5, 2.0, 0.5), a0)",
                   [](const Tensor& x) { return elu(x, 1.5, 2.0, 0.5); });
  sinter::testing::check_record(r2);
}

TEST(Activations, Selu) {
  auto r = record("elu", "H(F.selu, a0)", [](const Tensor& x) { return selu(x); });
  sinter::testing::check_record(r);
}

TEST(Activations, Gelu) {
  auto r = record("gelu", "H2(F.gelu, a0)", [](const Tensor& x) { return gelu(x); }, floats(), -6, 4);
  r.errors = {int_input("gelu", [](const Tensor& x) { return gelu(x); }),
              expect_error<ValueError>("bad approximate", [] { gelu(ones({2}, kFloat), "erf"); },
                                       "gelu: approximate argument must be either 'none' or 'tanh' (got 'erf')")};
  sinter::testing::check_record(r);
  auto rt = record("gelu", "H2(lambda t: F.gelu(t, approximate='tanh'), a0)",
                   [](const Tensor& x) { return gelu(x, "tanh"); }, floats(), -6, 4);
  sinter::testing::check_record(rt);
}

TEST(Activations, Silu) {
  // PyTorch's bfloat16 silu backward rounds every intermediate to bfloat16; sinter's computes in float.
  auto r = record("silu", "H2(F.silu, a0)", [](const Tensor& x) { return silu(x); }, floats(), -8, 8);
  r.errors = {int_input("silu", [](const Tensor& x) { return silu(x); })};
  sinter::testing::check_record(r);
}

TEST(Activations, Mish) {
  auto r = record("mish", "H2(F.mish, a0)", [](const Tensor& x) { return mish(x); }, floats(), -8, 8);
  r.errors = {int_input("mish", [](const Tensor& x) { return mish(x); })};
  sinter::testing::check_record(r);
}

TEST(Activations, Softplus) {
  auto r = record("softplus", "H(F.softplus, a0)", [](const Tensor& x) { return softplus(x); }, floats(), -8, 8);
  r.errors = {int_input("softplus", [](const Tensor& x) { return softplus(x); })};
  sinter::testing::check_record(r);
  // beta and a threshold inside the sampled range (both branches).
  auto r2 = record("softplus", "H(lambda t: F.softplus(t, beta=2.0, threshold=5.0), a0)",
                   [](const Tensor& x) { return softplus(x, 2.0, 5.0); }, floats(), -8, 8);
  sinter::testing::check_record(r2);
}

TEST(Activations, Hardsigmoid) {
  auto r = record("hardsigmoid", "H(F.hardsigmoid, a0)", [](const Tensor& x) { return hardsigmoid(x); });
  r.errors = {int_input("hardsigmoid", [](const Tensor& x) { return hardsigmoid(x); })};
  sinter::testing::check_record(r);
}

TEST(Activations, Hardswish) {
  auto r = record("hardswish", "H(F.hardswish, a0)", [](const Tensor& x) { return hardswish(x); });
  // PyTorch's own kernels disagree on the gradient exactly at x = 3 (vectorized: 1, scalar tail: 1.5).
  r.samples = [](DType d) { return off_points(samples(d, -5, 5), {-3.0, 3.0}); };
  r.errors = {int_input("hardswish", [](const Tensor& x) { return hardswish(x); })};
  sinter::testing::check_record(r);
}

TEST(Activations, Logsigmoid) {
  auto r = record("logsigmoid", "H(F.logsigmoid, a0)", [](const Tensor& x) { return logsigmoid(x); }, floats(), -20, 20);
  r.errors = {int_input("logsigmoid", [](const Tensor& x) { return logsigmoid(x); })};
  sinter::testing::check_record(r);
}

// Backward nodes carry PyTorch's names.
TEST(Activations, BackwardNames) {
  Tensor x = randn({3}).requires_grad_();
  EXPECT_EQ(relu(x).grad_fn()->name(), "ReluBackward0");
  EXPECT_EQ(gelu(x).grad_fn()->name(), "GeluBackward0");
  EXPECT_EQ(x.sigmoid().grad_fn()->name(), "SigmoidBackward0");
  EXPECT_EQ(leaky_relu(x).grad_fn()->name(), "LeakyReluBackward0");
}

TEST(ActivationOps, ThresholdBackward) {  // relu's backward: one pass, differentiable in grad_output
  const ops::OpDef* op = ops::Registry::get().find("threshold_backward");
  ASSERT_NE(op, nullptr);
  OpRecord r;
  r.ops = {"threshold_backward"};
  r.torch = "(torch.ops.aten.threshold_backward(a0, a1, 0.5), torch.ops.aten.threshold_backward(a0, a1, 0))";
  r.fn = [op](const TensorList& x) {
    return TensorList{ops::call(*op, {x[0], x[1]}, {0.5}), ops::call(*op, {x[0], x[1]}, {0.0})};
  };
  r.samples = [](DType d) {
    using sinter::testing::make_noncontiguous;
    return std::vector<OpSample>{{{make_tensor({5, 7}, d), make_tensor({5, 7}, d)}, "contiguous"},
                                 {{make_noncontiguous({4, 3, 6}, d), make_tensor({4, 3, 6}, d)}, "non-contiguous"},
                                 {{make_tensor({0, 3}, d), make_tensor({0, 3}, d)}, "empty"}};
  };
  r.dtypes = {kFloat, kDouble, kBFloat16};  // PyTorch 1.13 has no float16 threshold on the CPU
  r.grad_inputs = {0};
  r.gradgradcheck = true;
  r.errors = {expect_error<ShapeError>("shapes", [op] { ops::call(*op, {ones({2, 3}), ones({3})}, {0.0}); }, "threshold_backward"),
              expect_error<DTypeError>("ints", [op] { ops::call(*op, {ones({2}, kLong), ones({2}, kLong)}, {0.0}); },
                                       "threshold_backward")};
  check_record(r);
}
