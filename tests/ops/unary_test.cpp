// Test records of the elementwise unary ops (src/ops/unary.cpp), their in-place forms, and the
// float32 SIMD kernels against double-precision math.
#include <cmath>
#include <limits>

#include "kernels/cpu/unary_simd.h"
#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::expect_error;
using sinter::testing::make_tensor;

namespace {

// CPU PyTorch 1.13 has no float16 kernel for most float functions (its CUDA build has): the
// reference computes float16 in float32 and rounds, which is what sinter does.
const char* kStmt =
    "def H(f, x):\n"
    "    return f(x.float()).to(x.dtype) if x.dtype == torch.float16 else f(x)\n";

// The standard unary samples plus shapes that reach the SIMD body, its tail, strided inner
// runs and (float32) the parallel split.
std::vector<OpSample> samples(DType d, double lo, double hi) {
  auto s = sinter::testing::unary_samples(d, lo, hi);
  s.push_back({{make_tensor({1003}, d, lo, hi)}, "1-D 1003 (vector body and tail)"});
  s.push_back({{make_tensor({37, 41}, d, lo, hi).t()}, "transposed 41x37"});
  s.push_back({{make_tensor({5, 40}, d, lo, hi).slice(1, 3, 37)}, "rows of a wider tensor"});
  if (d == kFloat) s.push_back({{make_tensor({20011}, d, lo, hi)}, "1-D 20011 (parallel)"});
  return s;
}

std::vector<DType> floats_and_ints() {
  return {kFloat, kDouble, kHalf, kBFloat16, kLong, kInt, kShort, kChar, kByte, kBool};
}
std::vector<DType> no_bool() { return {kFloat, kDouble, kHalf, kBFloat16, kLong, kInt, kShort, kChar, kByte}; }

OpRecord record(std::string op, std::string torch, std::function<Tensor(const Tensor&)> f, std::vector<DType> dtypes,
                double lo = -3, double hi = 3) {
  OpRecord r;
  r.ops = {op};
  r.torch = std::move(torch);
  r.stmt = kStmt;
  r.fn = [f](const TensorList& x) { return TensorList{f(x[0])}; };
  r.samples = [lo, hi](DType d) { return samples(d, lo, hi); };
  r.dtypes = std::move(dtypes);
  return r;
}

// Runs a record of a float function whose dtypes include integer ones: those produce float32
// (the default dtype), compared with float32's tolerance.
void check_promoting(OpRecord r) {
  std::vector<DType> fl, in;
  for (DType d : r.dtypes) (is_floating_point(d) ? fl : in).push_back(d);
  r.dtypes = fl;
  sinter::testing::check_record(r);
  if (in.empty()) return;
  r.dtypes = in;
  r.errors.clear();
  r.rtol = 1.3e-6;
  r.atol = 1e-5;
  SCOPED_TRACE("integer inputs");
  sinter::testing::check_record(r);
}

OpRecord without_half(OpRecord r) {
  std::erase(r.dtypes, kHalf);
  return r;
}
// float16 alone, for ops whose backward reads the saved output: the gradient comes from the
// float16-rounded output (as in PyTorch's CUDA float16 kernels), the reference's from a float32
// one, so 1 - y^2 and y (1 - y) differ by a float16 rounding of y.
OpRecord saved_output_half(OpRecord r) {
  r.dtypes = {kHalf};
  r.atol = 5e-6;  // float16: 5e-4 on outputs, 5e-3 on gradients
  r.errors.clear();
  return r;
}
using sinter::testing::check_record;

auto int_to_float_error(const char* op, std::function<void()> call) {
  return expect_error<DTypeError>(std::string(op) + "_ on int64",
                                  std::move(call), std::string(op) + "_: result type float32 can't be cast");
}

}  // namespace

TEST(UnaryOps, Neg) {
  auto r = record("neg", "torch.neg(a0)", [](const Tensor& x) { return -x; }, no_bool());
  r.gradgradcheck = true;
  r.errors = {expect_error<DTypeError>("bool", [] { neg(ones({2}, kBool)); }, "neg: negation")};
  sinter::testing::check_record(r);
}

TEST(UnaryOps, Abs) {
  auto r = record("abs", "torch.abs(a0)", [](const Tensor& x) { return x.abs(); }, no_bool());
  r.errors = {expect_error<DTypeError>("bool", [] { abs(ones({2}, kBool)); }, "abs: bool tensors are not supported")};
  sinter::testing::check_record(r);
}

TEST(UnaryOps, Sign) {
  auto r = record("sign", "torch.sign(a0)", [](const Tensor& x) { return x.sign(); }, floats_and_ints());
  sinter::testing::check_record(r);
}

TEST(UnaryOps, Square) {
  // Integers wrap like PyTorch's (int8: 100^2 = 16); bool promotes to int64.
  auto r = record("square", "torch.square(a0)", [](const Tensor& x) { return x.square(); }, floats_and_ints(), -100, 100);
  r.gradgradcheck = true;
  sinter::testing::check_record(r);
  EXPECT_EQ(square(ones({2}, kBool)).dtype(), kLong);
  EXPECT_EQ(square(full({1}, 100, kChar)).item<int64_t>(), 16);
}

TEST(UnaryOps, Exp) {
  auto r = record("exp", "H(torch.exp, a0)", [](const Tensor& x) { return x.exp(); }, floats_and_ints(), -5, 5);
  r.gradgradcheck = true;
  r.errors = {int_to_float_error("exp", [] { Tensor t = ones({2}, kLong); t.exp_(); })};
  check_promoting(r);
}

TEST(UnaryOps, Exp2) {
  auto r = record("exp2", "torch.exp2(a0)", [](const Tensor& x) { return x.exp2(); }, floats_and_ints(), -5, 5);
  r.gradgradcheck = true;
  check_promoting(r);
}

TEST(UnaryOps, Expm1) {
  auto r = record("expm1", "H(torch.expm1, a0)", [](const Tensor& x) { return x.expm1(); }, floats_and_ints(), -4, 4);
  r.gradgradcheck = true;
  check_promoting(r);
}

TEST(UnaryOps, Log) {
  auto r = record("log", "H(torch.log, a0)", [](const Tensor& x) { return x.log(); }, floats_and_ints(), 0.05, 20);
  r.gradgradcheck = true;
  r.errors = {int_to_float_error("log", [] { Tensor t = ones({2}, kLong); t.log_(); })};
  check_promoting(r);
}

TEST(UnaryOps, Log2) {
  auto r = record("log2", "H(torch.log2, a0)", [](const Tensor& x) { return x.log2(); }, floats_and_ints(), 0.05, 20);
  r.gradgradcheck = true;
  check_promoting(r);
}

TEST(UnaryOps, Log1p) {
  auto r = record("log1p", "H(torch.log1p, a0)", [](const Tensor& x) { return x.log1p(); }, floats_and_ints(), -0.9, 10);
  r.gradgradcheck = true;
  check_promoting(r);
}

TEST(UnaryOps, Sqrt) {
  auto r = record("sqrt", "H(torch.sqrt, a0)", [](const Tensor& x) { return x.sqrt(); }, floats_and_ints(), 0.05, 20);
  r.gradgradcheck = true;
  r.errors = {int_to_float_error("sqrt", [] { Tensor t = ones({2}, kLong); t.sqrt_(); })};
  check_promoting(r);
}

TEST(UnaryOps, Rsqrt) {
  auto r = record("rsqrt", "H(torch.rsqrt, a0)", [](const Tensor& x) { return x.rsqrt(); }, floats_and_ints(), 0.1, 20);
  r.gradgradcheck = true;
  check_promoting(r);
}

TEST(UnaryOps, Reciprocal) {
  auto r = record("reciprocal", "torch.reciprocal(a0)", [](const Tensor& x) { return x.reciprocal(); },
                  floats_and_ints(), 0.25, 8);
  r.gradgradcheck = true;
  check_promoting(r);
  // both signs
  auto n = record("reciprocal", "torch.reciprocal(a0)", [](const Tensor& x) { return x.reciprocal(); },
                  {kFloat, kDouble}, -8, -0.25);
  sinter::testing::check_record(n);
}

TEST(UnaryOps, Sin) {
  auto r = record("sin", "H(torch.sin, a0)", [](const Tensor& x) { return x.sin(); }, floats_and_ints(), -7, 7);
  r.gradgradcheck = true;
  check_promoting(r);
}

TEST(UnaryOps, Cos) {
  auto r = record("cos", "H(torch.cos, a0)", [](const Tensor& x) { return x.cos(); }, floats_and_ints(), -7, 7);
  r.gradgradcheck = true;
  check_promoting(r);
}

TEST(UnaryOps, Tan) {
  auto r = record("tan", "H(torch.tan, a0)", [](const Tensor& x) { return x.tan(); }, floats_and_ints(), -1.2, 1.2);
  r.gradgradcheck = true;
  check_promoting(r);
}

TEST(UnaryOps, Tanh) {
  auto r = record("tanh", "H(torch.tanh, a0)", [](const Tensor& x) { return x.tanh(); }, floats_and_ints(), -5, 5);
  r.gradgradcheck = true;
  check_promoting(without_half(r));
  check_record(saved_output_half(r));
}

TEST(UnaryOps, Sigmoid) {
  auto r = record("sigmoid", "H(torch.sigmoid, a0)", [](const Tensor& x) { return x.sigmoid(); }, floats_and_ints(), -8, 8);
  r.gradgradcheck = true;
  check_promoting(without_half(r));
  check_record(saved_output_half(r));
}

TEST(UnaryOps, Erf) {
  auto r = record("erf", "H(torch.erf, a0)", [](const Tensor& x) { return x.erf(); }, floats_and_ints(), -4, 4);
  r.gradgradcheck = true;
  check_promoting(r);
}

TEST(UnaryOps, Rounding) {
  struct Case { const char* op; const char* torch; Tensor (*f)(const Tensor&); };
  for (auto c : {Case{"floor", "H(torch.floor, a0)", &sinter::floor}, Case{"ceil", "H(torch.ceil, a0)", &sinter::ceil},
                 Case{"round", "H(torch.round, a0)", &sinter::round}, Case{"trunc", "H(torch.trunc, a0)", &sinter::trunc}}) {
    auto r = record(c.op, c.torch, c.f, no_bool(), -20, 20);
    std::string op = c.op;
    r.errors = {expect_error<DTypeError>("bool", [c] { c.f(ones({2}, kBool)); }, op + ": bool tensors are not supported")};
    sinter::testing::check_record(r);
  }
  // Half-way cases round to even, like torch.round.
  Tensor h = tensor({0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 1e7 + 0.5});
  EXPECT_TRUE(sinter::testing::tensors_close(round(h), tensor({0.0, 2.0, 2.0, -0.0, -2.0, -2.0, 4.0, 1e7}), 0, 0));
}

TEST(UnaryOps, Clamp) {
  struct Case { std::string torch; std::optional<Scalar> lo, hi; };
  for (auto& c : {Case{"torch.clamp(t, -1, 2)", -1, 2}, Case{"torch.clamp(t, min=0.5)", 0.5, std::nullopt},
                  Case{"torch.clamp(t, max=-0.5)", std::nullopt, -0.5}, Case{"torch.clamp(t, 2, -1)", 2, -1}}) {
    auto r = record("clamp", "H(lambda t: " + c.torch + ", a0)", [c](const Tensor& x) { return clamp(x, c.lo, c.hi); },
                    {kFloat, kDouble, kHalf, kBFloat16});
    r.gradgradcheck = true;
    sinter::testing::check_record(r);
  }
  // Integer inputs: integer bounds keep the dtype, float bounds promote; bool promotes to int64.
  auto ri = record("clamp", "torch.clamp(a0, -1, 2)", [](const Tensor& x) { return x.clamp(-1, 2); },
                   {kLong, kInt, kShort, kChar, kBool}, -5, 5);
  sinter::testing::check_record(ri);
  auto rf = record("clamp", "torch.clamp(a0, max=1.5)", [](const Tensor& x) { return x.clamp(std::nullopt, 1.5); },
                   {kLong, kInt, kByte}, -5, 5);
  sinter::testing::check_record(rf);
  EXPECT_EQ(clamp(ones({2}, kInt), 0, 1).dtype(), kInt);
  EXPECT_EQ(clamp(ones({2}, kInt), 0.5).dtype(), kFloat);
  EXPECT_EQ(clamp(ones({2}, kBool), 0, 1).dtype(), kLong);

  auto rmin = record("clamp", "torch.clamp_min(a0, 0.25)", [](const Tensor& x) { return x.clamp_min(0.25); },
                     {kFloat, kDouble, kBFloat16});
  sinter::testing::check_record(rmin);
  auto rmax = record("clamp", "torch.clamp_max(a0, 0.25)", [](const Tensor& x) { return clamp_max(x, 0.25); },
                     {kFloat, kDouble, kBFloat16});
  rmax.errors = {
      expect_error<ValueError>("neither bound", [] { clamp(ones({2}, kFloat), std::nullopt, std::nullopt); },
                               "clamp: at least one of 'min' or 'max' must not be None"),
      expect_error<DTypeError>("bool with bool bounds", [] { clamp(ones({2}, kBool), false, true); },
                               "clamp: not supported for dtype bool"),
      expect_error<ValueError>("bound overflows uint8", [] { clamp(ones({2}, kByte), 0, 300); },
                               "clamp: max value 300 cannot be converted to type uint8"),
      expect_error<DTypeError>("in-place float bound on int",
                               [] { Tensor t = ones({2}, kLong); t.clamp_(0.5, 1.5); }, "clamp_: result type float32")};
  sinter::testing::check_record(rmax);
  // NaN passes through clamp (fast and reference kernels).
  Tensor n = full({19}, std::numeric_limits<double>::quiet_NaN(), kFloat);
  EXPECT_TRUE(clamp(n, 0, 1).isnan().all().item<bool>());
}

TEST(UnaryOps, LogicalNot) {
  auto r = record("logical_not", "torch.logical_not(a0)", [](const Tensor& x) { return x.logical_not(); },
                  floats_and_ints());
  r.grad_inputs = {};
  sinter::testing::check_record(r);
  Tensor b = tensor({true, false});
  EXPECT_TRUE((!b).equal(tensor({false, true})));
}

TEST(UnaryOps, BitwiseNot) {
  auto r = record("bitwise_not", "torch.bitwise_not(a0)", [](const Tensor& x) { return ~x; },
                  {kLong, kInt, kShort, kChar, kByte, kBool}, -100, 100);
  r.grad_inputs = {};
  r.errors = {expect_error<DTypeError>("float", [] { bitwise_not(ones({2}, kFloat)); },
                                       "bitwise_not: expected an integer or bool tensor, got dtype float32")};
  sinter::testing::check_record(r);
}

TEST(UnaryOps, Classification) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  struct Case { const char* op; const char* torch; Tensor (*f)(const Tensor&); };
  for (auto c : {Case{"isnan", "torch.isnan(a0)", &sinter::isnan}, Case{"isinf", "torch.isinf(a0)", &sinter::isinf},
                 Case{"isfinite", "torch.isfinite(a0)", &sinter::isfinite}}) {
    OpRecord r;
    r.ops = {c.op};
    r.torch = c.torch;
    r.fn = [c](const TensorList& x) { return TensorList{c.f(x[0])}; };
    r.samples = [=](DType d) {
      auto s = samples(d, -3, 3);
      if (is_floating_point(d)) {
        s.push_back({{tensor({nan, inf, -inf, 0.0, 1.0, -1e300}, kDouble).to(d)}, "special values"});
        s.push_back({{tensor({nan, 1.0, inf, 2.0, -inf, 3.0, nan, 4.0}, kDouble).to(d).slice(0, 0, 8, 2)}, "strided"});
      }
      return s;
    };
    r.dtypes = floats_and_ints();
    r.grad_inputs = {};
    sinter::testing::check_record(r);
  }
}

// In-place forms: same values and gradients as PyTorch's, through autograd.
TEST(UnaryOps, InPlace) {
  struct Case { const char* op; const char* torch; Tensor& (*f)(Tensor&); double lo, hi; };
  for (auto c : {Case{"neg", "a0.clone().neg_()", [](Tensor& t) -> Tensor& { return t.neg_(); }, -3, 3},
                 Case{"abs", "a0.clone().abs_()", [](Tensor& t) -> Tensor& { return t.abs_(); }, -3, 3},
                 Case{"exp", "a0.clone().exp_()", [](Tensor& t) -> Tensor& { return t.exp_(); }, -3, 3},
                 Case{"log", "a0.clone().log_()", [](Tensor& t) -> Tensor& { return t.log_(); }, 0.1, 5},
                 Case{"sqrt", "a0.clone().sqrt_()", [](Tensor& t) -> Tensor& { return t.sqrt_(); }, 0.1, 5},
                 Case{"relu", "a0.clone().relu_()", [](Tensor& t) -> Tensor& { return t.relu_(); }, -3, 3},
                 Case{"sigmoid", "a0.clone().sigmoid_()", [](Tensor& t) -> Tensor& { return t.sigmoid_(); }, -3, 3},
                 Case{"tanh", "a0.clone().tanh_()", [](Tensor& t) -> Tensor& { return t.tanh_(); }, -3, 3},
                 Case{"clamp", "a0.clone().clamp_(-1, 0.5)",
                      [](Tensor& t) -> Tensor& { return t.clamp_(-1, 0.5); }, -3, 3}}) {
    OpRecord r;
    r.ops = {c.op};
    r.torch = c.torch;
    r.fn = [c](const TensorList& x) {
      Tensor y = x[0].clone();
      Tensor& z = c.f(y);
      EXPECT_TRUE(z.is_same(y)) << c.op << "_ returns self";
      return TensorList{y};
    };
    r.samples = [c](DType d) { return samples(d, c.lo, c.hi); };
    r.dtypes = {kFloat, kDouble, kBFloat16};
    r.gradgradcheck = true;
    std::string name = std::string(c.op) + "_";
    r.errors = {expect_error<AutogradError>("leaf requiring grad", [c] {
      Tensor t = ones({2}, kFloat).requires_grad_();
      c.f(t);
    }, name)};
    sinter::testing::check_record(r);
  }
  // In place on a strided view writes through to the base.
  Tensor base = randn({4, 6});
  Tensor expected = base.t().exp();
  Tensor view = base.t();
  view.exp_();
  EXPECT_TRUE(sinter::testing::tensors_close(base.t(), expected));
  Tensor half_view = base.slice(1, 0, 6, 2);
  Tensor clamped = half_view.clamp(0.5, 2);
  half_view.clamp_(0.5, 2);
  EXPECT_TRUE(sinter::testing::tensors_close(base.slice(1, 0, 6, 2), clamped));
  // Integer tensors keep integer in-place ops.
  Tensor i = tensor({-2, 3}, kLong);
  i.abs_();
  EXPECT_TRUE(i.equal(tensor({2, 3}, kLong)));
  i.neg_().relu_();
  EXPECT_TRUE(i.equal(tensor({0, 0}, kLong)));
  Tensor j = tensor({-5, 1, 9}, kInt);
  j.clamp_(-1, 4);
  EXPECT_TRUE(j.equal(tensor({-1, 1, 4}, kInt)));
}

// Outputs saved for backward (exp, tanh, sigmoid, ...) are checked against later in-place edits.
TEST(UnaryOps, SavedOutputVersion) {
  Tensor x = tensor({0.5, -1.0}).requires_grad_();
  Tensor y = x.exp();
  y.mul_(2);
  EXPECT_THROW(y.sum().backward(), AutogradError);
}

// Every SIMD kernel against the same function in double precision, on wide ranges.
TEST(UnarySimd, AccuracyAgainstDouble) {
  using kernels::UnaryOp;
  struct Case {
    const char* name;
    UnaryOp op;
    kernels::UnaryParams p;
    double lo, hi;
    double (*ref)(double);
    double max_rel;  // relative error allowed (float32 ulp = 6e-8)
  };
  const Case cases[] = {
      {"exp", UnaryOp::Exp, {}, -87, 88, [](double x) { return std::exp(x); }, 2e-7},
      {"expm1", UnaryOp::Expm1, {}, -10, 10, [](double x) { return std::expm1(x); }, 4e-7},
      {"expm1 small", UnaryOp::Expm1, {}, -1e-3, 1e-3, [](double x) { return std::expm1(x); }, 4e-7},
      {"log", UnaryOp::Log, {}, 1e-30, 1e30, [](double x) { return std::log(x); }, 2e-7},
      {"log near 1", UnaryOp::Log, {}, 0.9, 1.1, [](double x) { return std::log(x); }, 2e-7},
      {"log2", UnaryOp::Log2, {}, 1e-3, 1e3, [](double x) { return std::log2(x); }, 3e-7},
      {"log1p", UnaryOp::Log1p, {}, -0.999, 100, [](double x) { return std::log1p(x); }, 3e-7},
      {"log1p small", UnaryOp::Log1p, {}, -1e-4, 1e-4, [](double x) { return std::log1p(x); }, 3e-7},
      {"sin", UnaryOp::Sin, {}, -100, 100, [](double x) { return std::sin(x); }, 3e-7},
      {"cos", UnaryOp::Cos, {}, -100, 100, [](double x) { return std::cos(x); }, 3e-7},
      {"tanh", UnaryOp::Tanh, {}, -12, 12, [](double x) { return std::tanh(x); }, 3e-7},
      {"tanh small", UnaryOp::Tanh, {}, -1e-3, 1e-3, [](double x) { return std::tanh(x); }, 3e-7},
      {"sigmoid", UnaryOp::Sigmoid, {}, -80, 80, [](double x) { return 1 / (1 + std::exp(-x)); }, 3e-7},
      {"erf", UnaryOp::Erf, {}, -5, 5, [](double x) { return std::erf(x); }, 3e-7},
      {"erf small", UnaryOp::Erf, {}, -1e-3, 1e-3, [](double x) { return std::erf(x); }, 3e-7},
      {"gelu", UnaryOp::GeluErf, {}, -12, 8, [](double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }, 6e-7},
      {"silu", UnaryOp::Silu, {}, -80, 80, [](double x) { return x / (1 + std::exp(-x)); }, 3e-7},
      {"mish", UnaryOp::Mish, {}, -60, 60, [](double x) { return x * std::tanh(std::log1p(std::exp(x))); }, 4e-7},
      {"softplus", UnaryOp::Softplus, {1, 20, 0}, -60, 60,
       [](double x) { return x > 20 ? x : std::log1p(std::exp(x)); }, 3e-7},
      {"logsigmoid", UnaryOp::Logsigmoid, {}, -60, 60, [](double x) { return -std::log1p(std::exp(-x)); }, 3e-7},
      {"elu", UnaryOp::Elu, {1.5f, 1, 1}, -10, 10, [](double x) { return x > 0 ? x : 1.5 * std::expm1(x); }, 3e-7},
      {"rsqrt", UnaryOp::Rsqrt, {}, 1e-20, 1e20, [](double x) { return 1 / std::sqrt(x); }, 2e-7},
      {"sqrt", UnaryOp::Sqrt, {}, 0, 1e20, [](double x) { return std::sqrt(x); }, 1e-7},
  };
  Tensor u = rand({20011}, kDouble);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Tensor x = (u * (c.hi - c.lo) + c.lo).to(kFloat);
    Tensor y = empty({20011});
    const float* xp = x.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    kernels::unary_f32(c.op, xp, yp, x.numel(), c.p);
    double worst = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      double r = c.ref(xp[i]);
      if (std::fabs(r) < 1e-37) continue;  // subnormal results carry fewer bits
      double e = std::fabs(yp[i] - r) / std::fabs(r);
      if (e > worst) worst = e, at = i;
    }
    EXPECT_LE(worst, c.max_rel) << "at x = " << xp[at] << ": " << yp[at] << " vs " << c.ref(xp[at]);
  }
}

// Non-finite and extreme inputs through the SIMD kernels (and the reference ones), vs PyTorch.
TEST(UnarySimd, SpecialValues) {
  auto& ref = sinter::testing::TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = tensor({nan, inf, -inf, 0.0, -0.0, 1e-30, -1e-30, 1e-40, 100.0, -100.0, 1e4, -1e4, 0.5, -0.5, 2.5, -3.0,
                     3.0, 88.5, -88.5, 1e30, -1e30, 7.0},
                    kFloat);
  struct Case { const char* torch; std::function<Tensor(const Tensor&)> f; };
  const Case cases[] = {
      {"torch.exp(a0)", [](const Tensor& t) { return t.exp(); }},
      {"torch.expm1(a0)", [](const Tensor& t) { return t.expm1(); }},
      {"torch.log(a0)", [](const Tensor& t) { return t.log(); }},
      {"torch.log2(a0)", [](const Tensor& t) { return t.log2(); }},
      {"torch.log1p(a0)", [](const Tensor& t) { return t.log1p(); }},
      {"torch.sqrt(a0)", [](const Tensor& t) { return t.sqrt(); }},
      {"torch.rsqrt(a0)", [](const Tensor& t) { return t.rsqrt(); }},
      {"torch.reciprocal(a0)", [](const Tensor& t) { return t.reciprocal(); }},
      {"torch.sin(a0)", [](const Tensor& t) { return t.sin(); }},
      {"torch.cos(a0)", [](const Tensor& t) { return t.cos(); }},
      {"torch.tanh(a0)", [](const Tensor& t) { return t.tanh(); }},
      {"torch.sigmoid(a0)", [](const Tensor& t) { return t.sigmoid(); }},
      {"torch.erf(a0)", [](const Tensor& t) { return t.erf(); }},
      {"torch.floor(a0)", [](const Tensor& t) { return t.floor(); }},
      {"torch.round(a0)", [](const Tensor& t) { return t.round(); }},
      {"torch.clamp(a0, -1, 1)", [](const Tensor& t) { return t.clamp(-1, 1); }},
      {"torch.relu(a0)", [](const Tensor& t) { return t.relu(); }},
      {"F.leaky_relu(a0, 0.1)", [](const Tensor& t) { return leaky_relu(t, 0.1); }},
      {"F.elu(a0)", [](const Tensor& t) { return elu(t); }},
      {"F.gelu(a0)", [](const Tensor& t) { return gelu(t); }},
      {"F.gelu(a0, approximate='tanh')", [](const Tensor& t) { return gelu(t, "tanh"); }},
      {"F.silu(a0)", [](const Tensor& t) { return silu(t); }},
      {"F.mish(a0)", [](const Tensor& t) { return mish(t); }},
      {"F.softplus(a0)", [](const Tensor& t) { return softplus(t); }},
      {"F.logsigmoid(a0)", [](const Tensor& t) { return logsigmoid(t); }},
      {"F.hardsigmoid(a0)", [](const Tensor& t) { return hardsigmoid(t); }},
      {"F.hardswish(a0)", [](const Tensor& t) { return hardswish(t); }},
      {"F.hardtanh(a0)", [](const Tensor& t) { return hardtanh(t); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.torch);
    auto res = ref.run(c.torch, {x});
    ASSERT_TRUE(res.ok) << res.message;
    Tensor fast = c.f(x);
    ops::ReferenceKernels::set_enabled(true);
    Tensor slow = c.f(x);
    ops::ReferenceKernels::set_enabled(false);
    EXPECT_TRUE(sinter::testing::tensors_close(fast, res.outputs[0])) << "fast kernel";
    EXPECT_TRUE(sinter::testing::tensors_close(slow, res.outputs[0])) << "reference kernel";
  }
}
