#include <limits>
#include <vector>

#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::binary_samples;
using sinter::testing::expect_error;
using sinter::testing::make_tensor;

TEST(BinaryOps, Add) {
  OpRecord r;
  r.ops = {"add"};
  r.torch = "torch.add(a0, a1, alpha=2)";
  r.fn = [](const TensorList& x) { return TensorList{add(x[0], x[1], 2)}; };
  r.samples = [](DType d) { return binary_samples(d); };
  r.dtypes = sinter::testing::all_dtypes();
  r.dtypes.pop_back();  // bool: alpha=2 is not a bool
  r.grad_inputs = {0, 1};
  r.gradgradcheck = true;
  r.errors = {expect_error<ShapeError>("shapes", [] { add(ones({2, 3}, kFloat), ones({4}, kFloat)); }, "add"),
              expect_error<DTypeError>("float alpha on ints", [] { add(ones({2}, kLong), ones({2}, kLong), 0.5); }, "add")};
  sinter::testing::check_record(r);
}

TEST(BinaryOps, Sub) {
  OpRecord r;
  r.ops = {"sub"};
  r.torch = "torch.sub(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{x[0] - x[1]}; };
  r.samples = [](DType d) { return binary_samples(d); };
  r.dtypes = {kFloat, kDouble, kHalf, kBFloat16, kLong, kInt, kByte};
  r.grad_inputs = {0, 1};
  r.errors = {expect_error<DTypeError>("bool", [] { ones({2}, kBool) - ones({2}, kBool); }, "sub")};
  sinter::testing::check_record(r);
}

TEST(BinaryOps, Mul) {
  OpRecord r;
  r.ops = {"mul"};
  r.torch = "a0 * a1";
  r.fn = [](const TensorList& x) { return TensorList{x[0] * x[1]}; };
  r.samples = [](DType d) { return binary_samples(d); };
  r.dtypes = sinter::testing::all_dtypes();
  r.grad_inputs = {0, 1};
  r.gradgradcheck = true;
  sinter::testing::check_record(r);
}

// Integer overflow wraps around (two's complement), as PyTorch gives:
// torch.tensor([2**63-1, -2**63, 3]) + 1 == [-2**63, -2**63+1, 4], - 2 == [2**63-3, 2**63-2, 1],
// * 2 == [-2, 0, 6]; int32 2**31-1 + 1 == -2**31, * 3 == 2**31-3.
TEST(BinaryOps, IntegerOverflowWraps) {
  const int64_t mx = std::numeric_limits<int64_t>::max(), mn = std::numeric_limits<int64_t>::min();
  Tensor a = tensor({mx, mn, int64_t(3)});
  auto vals = [](const Tensor& t) {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t[i].item<int64_t>());
    return v;
  };
  EXPECT_EQ(vals(a + 1), (std::vector<int64_t>{mn, mn + 1, 4}));
  EXPECT_EQ(vals(a - 2), (std::vector<int64_t>{mx - 2, mx - 1, 1}));
  EXPECT_EQ(vals(a * 2), (std::vector<int64_t>{-2, 0, 6}));
  Tensor b = tensor({int32_t(std::numeric_limits<int32_t>::max())});
  EXPECT_EQ((b + 1).item<int32_t>(), std::numeric_limits<int32_t>::min());
  EXPECT_EQ((b * 3).item<int32_t>(), std::numeric_limits<int32_t>::max() - 2);
}

TEST(BinaryOps, Div) {
  for (std::string mode : {"", "trunc", "floor"}) {
    OpRecord r;
    r.ops = {"div"};
    r.torch = mode.empty() ? "torch.div(a0, a1)" : "torch.div(a0, a1, rounding_mode='" + mode + "')";
    r.fn = [mode](const TensorList& x) {
      return TensorList{mode.empty() ? div(x[0], x[1]) : div(x[0], x[1], std::string_view(mode))};
    };
    // Divisors kept away from zero.
    r.samples = [](DType d) { return binary_samples(d, -5, 5, 1, 4); };
    r.dtypes = {kFloat, kDouble, kLong, kInt};
    if (mode.empty()) r.dtypes.push_back(kHalf);
    r.grad_inputs = mode.empty() ? std::vector<size_t>{0, 1} : std::vector<size_t>{};
    r.errors = {expect_error<ValueError>("bad mode", [] { div(ones({2}, kFloat), ones({2}, kFloat), "round"); }, "div"),
                expect_error<ValueError>("int division by zero",
                                         [] { div(ones({2}, kLong), zeros({2}, kLong), "floor"); }, "div")};
    sinter::testing::check_record(r);
  }
}

TEST(BinaryOps, ScalarPromotion) {
  Tensor i = arange(4, kInt);
  EXPECT_EQ((i * 2).dtype(), kInt);
  EXPECT_EQ((i * 2.5).dtype(), kFloat);
  EXPECT_EQ((i + tensor(2.5, kDouble)).dtype(), kDouble);  // a 0-dim float tensor of a higher category wins
  EXPECT_EQ((ones({2}, kFloat) + ones({}, kDouble)).dtype(), kFloat);
  EXPECT_EQ((ones({2}, kByte) + ones({2}, kChar)).dtype(), kShort);
}

namespace {

using sinter::testing::OpSample;
using sinter::testing::make_noncontiguous;

std::vector<DType> numeric_dtypes() {  // all but bool
  auto d = sinter::testing::all_dtypes();
  d.pop_back();
  return d;
}

// Binary samples whose second input has no zeros and both signs (positive for uint8).
std::vector<OpSample> divisor_samples(DType d, double low = -5, double high = 5) {
  auto s = binary_samples(d, low, high, 1, 4);
  if (d == kByte) return s;
  NoGradGuard g;
  for (auto& x : s) {
    Tensor& b = x.inputs[1];
    b.mul_(make_tensor(b.sizes(), kBool).to(kChar) * 2 - 1);
  }
  return s;
}

// Binary samples of small integer values (converted to d), so that ties and zeros occur.
std::vector<OpSample> int_valued_samples(DType d) {
  auto mk = [d](IntArrayRef shape) { return make_tensor(shape, kLong, -2, 3).to(d); };
  auto nc = [d](IntArrayRef shape) {
    DimVector big(shape);
    big.back() *= 2;
    return make_tensor(big, kLong, -2, 3).to(d).slice(-1, 0, std::nullopt, 2);
  };
  return {
      {{mk({3, 4}), mk({3, 4})}, "same shape"},
      {{mk({3, 1}), mk({1, 4})}, "broadcast both"},
      {{mk({2, 3, 4}), mk({4})}, "broadcast rhs"},
      {{mk({}), mk({5})}, "0-dim lhs"},
      {{nc({3, 4}), mk({4, 3}).t()}, "non-contiguous"},
      {{mk({0, 4}), mk({4})}, "empty"},
  };
}

// One-input samples (for ops with a Scalar second operand).
std::vector<OpSample> firsts(std::vector<OpSample> s) {
  for (auto& x : s) x.inputs.resize(1);
  return s;
}

}  // namespace

TEST(BinaryOps, Rsub) {
  OpRecord r;
  r.ops = {"sub"};
  r.torch = "torch.rsub(a0, 3, alpha=2)";
  r.fn = [](const TensorList& x) { return TensorList{rsub(x[0], 3, 2)}; };
  r.samples = [](DType d) { return sinter::testing::unary_samples(d); };
  r.dtypes = numeric_dtypes();
  r.errors = {expect_error<DTypeError>("bool tensor", [] { rsub(ones({2}, kBool), 3); }, "sub"),
              expect_error<DTypeError>("bool scalar", [] { sub(ones({2}, kFloat), true); }, "sub")};
  sinter::testing::check_record(r);
  // The float form with a fractional alpha.
  r.torch = "torch.rsub(a0, 2.5, alpha=0.5)";
  r.fn = [](const TensorList& x) { return TensorList{rsub(x[0], 2.5, 0.5)}; };
  r.dtypes = {kFloat, kDouble, kHalf, kBFloat16};
  r.gradgradcheck = true;
  sinter::testing::check_record(r);
}

TEST(BinaryOps, FloorDivide) {
  OpRecord r;
  r.ops = {"div"};
  r.torch = "torch.floor_divide(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{floor_divide(x[0], x[1])}; };
  r.samples = [](DType d) { return divisor_samples(d); };
  r.dtypes = numeric_dtypes();
  r.grad_inputs = {};  // PyTorch defines no derivative for floor_divide
  r.errors = {expect_error<DTypeError>("bool", [] { floor_divide(ones({2}, kBool), ones({2}, kBool)); }, "floor_divide"),
              expect_error<ValueError>("int by zero", [] { floor_divide(ones({2}, kInt), zeros({2}, kInt)); }, "div"),
              expect_error<ShapeError>("shapes", [] { floor_divide(ones({2, 3}, kFloat), ones({2}, kFloat)); }, "div")};
  sinter::testing::check_record(r);
}

TEST(BinaryOps, PowTensorTensor) {
  OpRecord r;
  r.ops = {"pow"};
  r.torch = "torch.pow(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{pow(x[0], x[1])}; };
  r.samples = [](DType d) {
    if (is_floating_point(d)) return binary_samples(d, 0.5, 3, -2, 2);
    auto s = binary_samples(d, -3, 4, 0, 5);
    if (d != kByte)  // integer pow with negative exponents: 1 / base^-e truncated
      s.push_back({{tensor({-2, -1, 0, 1, 2, 3}, d), tensor({-1, -3, 2, -2, -1, -2}, d)}, "negative exponents"});
    return s;
  };
  r.dtypes = numeric_dtypes();
  r.grad_inputs = {0, 1};
  r.gradgradcheck = true;
  r.errors = {expect_error<DTypeError>("bool", [] { pow(ones({2}, kBool), ones({2}, kBool)); }, "pow"),
              expect_error<ShapeError>("shapes", [] { pow(ones({2, 3}, kFloat), ones({2}, kFloat)); }, "pow")};
  r.dtypes.erase(std::find(r.dtypes.begin(), r.dtypes.end(), kHalf));
  sinter::testing::check_record(r);
  // PyTorch's CPU log has no float16, so its pow backward fails there: compare the forward only.
  r.dtypes = {kHalf};
  r.grad_inputs = {};
  sinter::testing::check_record(r);
}

TEST(BinaryOps, PowTensorScalar) {
  // Integer exponents keep integer dtypes; the special powers take the fast path.
  for (int64_t e : {0, 1, 2, 3, 5}) {
    OpRecord r;
    r.ops = {"pow"};
    r.torch = "torch.pow(a0, " + std::to_string(e) + ")";
    r.fn = [e](const TensorList& x) { return TensorList{pow(x[0], e)}; };
    r.samples = [](DType d) { return sinter::testing::unary_samples(d, -2, 3); };
    r.dtypes = sinter::testing::all_dtypes();  // bool ** int is int64
    r.gradgradcheck = true;
    r.errors = {expect_error<ValueError>("int negative exponent", [] { pow(ones({2}, kLong), -1); }, "pow"),
                expect_error<ValueError>("int8 negative exponent", [] { pow(ones({2}, kChar), -2); }, "pow"),
                expect_error<DTypeError>("pow_ int to float", [] { ones({2}, kInt).pow_(0.5); }, "pow")};
    sinter::testing::check_record(r);
  }
  for (std::string e : {"2.0", "0.5", "-0.5", "-1.0", "-2.0", "2.5", "-1.25", "0.0"}) {
    OpRecord r;
    r.ops = {"pow"};
    r.torch = "torch.pow(a0, " + e + ")";
    double ev = std::stod(e);
    r.fn = [ev](const TensorList& x) { return TensorList{pow(x[0], ev)}; };
    r.samples = [](DType d) { return sinter::testing::unary_samples(d, 0.5, 3); };
    r.dtypes = sinter::testing::all_dtypes();
    r.gradgradcheck = true;
    sinter::testing::check_record(r);
  }
}

TEST(BinaryOps, PowScalarTensor) {
  for (std::string b : {"2", "2.5", "0.0"}) {
    OpRecord r;
    r.ops = {"pow"};
    r.torch = "torch.pow(" + b + ", a0)";
    Scalar base = b == "2" ? Scalar(2) : Scalar(std::stod(b));
    r.fn = [base](const TensorList& x) { return TensorList{pow(base, x[0])}; };
    r.samples = [](DType d) { return sinter::testing::unary_samples(d, -2, 3); };
    r.dtypes = numeric_dtypes();
    r.gradgradcheck = b != "0.0";  // 0^e: e's gradient is defined as zero, not by differences
    r.gradcheck = b != "0.0";
    sinter::testing::check_record(r);
  }
}

TEST(BinaryOps, PowInplace) {
  OpRecord r;
  r.ops = {"pow"};
  r.torch = "a0.clone().pow_(3)";
  r.fn = [](const TensorList& x) {
    Tensor y = x[0].clone();
    y.pow_(3);
    return TensorList{y};
  };
  r.samples = [](DType d) { return sinter::testing::unary_samples(d); };
  r.dtypes = numeric_dtypes();
  sinter::testing::check_record(r);
  r.torch = "a0.clone().pow_(-0.5)";
  r.fn = [](const TensorList& x) {
    Tensor y = x[0].clone();
    y.pow_(-0.5);
    return TensorList{y};
  };
  r.samples = [](DType d) { return sinter::testing::unary_samples(d, 0.5, 3); };
  r.dtypes = {kFloat, kDouble, kHalf, kBFloat16};
  sinter::testing::check_record(r);
}

TEST(BinaryOps, Fmod) {
  OpRecord r;
  r.ops = {"fmod"};
  r.torch = "torch.fmod(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{fmod(x[0], x[1])}; };
  r.samples = [](DType d) { return divisor_samples(d); };
  r.dtypes = numeric_dtypes();
  r.grad_inputs = {0, 1};
  r.errors = {expect_error<DTypeError>("bool", [] { fmod(ones({2}, kBool), ones({2}, kBool)); }, "fmod"),
              expect_error<ValueError>("int by zero", [] { fmod(ones({2}, kLong), zeros({2}, kLong)); }, "fmod"),
              expect_error<ValueError>("int by scalar zero", [] { fmod(ones({2}, kInt), 0); }, "fmod"),
              expect_error<ShapeError>("shapes", [] { fmod(ones({2, 3}, kFloat), ones({2}, kFloat)); }, "fmod")};
  // The divisor's gradient -trunc(a/b) jumps where a/b crosses an integer; in float16/bfloat16
  // the rounding of a/b itself decides the side, so that gradient is compared in f32/f64 only.
  r.grad_inputs = {0};
  sinter::testing::check_record(r);
  r.dtypes = {kFloat, kDouble};
  r.grad_inputs = {0, 1};
  sinter::testing::check_record(r);
  r.dtypes = numeric_dtypes();
  r.torch = "torch.fmod(a0, -2.5)";
  r.fn = [](const TensorList& x) { return TensorList{x[0].fmod(-2.5)}; };
  r.samples = [](DType d) { return sinter::testing::unary_samples(d, -5, 5); };
  r.grad_inputs = {0};
  sinter::testing::check_record(r);
  r.torch = "torch.fmod(a0, 3)";
  r.fn = [](const TensorList& x) { return TensorList{fmod(x[0], 3)}; };
  sinter::testing::check_record(r);
}

TEST(BinaryOps, Remainder) {
  OpRecord r;
  r.ops = {"remainder"};
  r.torch = "torch.remainder(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{x[0].remainder(x[1])}; };
  r.samples = [](DType d) { return divisor_samples(d); };
  r.dtypes = numeric_dtypes();
  r.grad_inputs = {0, 1};
  r.errors = {expect_error<DTypeError>("bool", [] { remainder(ones({2}, kBool), ones({2}, kBool)); }, "remainder"),
              expect_error<ValueError>("int by zero", [] { remainder(ones({2}, kShort), zeros({2}, kShort)); }, "remainder"),
              expect_error<ShapeError>("shapes", [] { remainder(ones({2, 3}, kFloat), ones({2}, kFloat)); }, "remainder")};
  r.grad_inputs = {0};  // the divisor's gradient -floor(a/b) as for fmod: f32/f64 only
  sinter::testing::check_record(r);
  r.torch = "a0 % a1";
  r.fn = [](const TensorList& x) { return TensorList{x[0] % x[1]}; };
  sinter::testing::check_record(r);
  r.dtypes = {kFloat, kDouble};
  r.grad_inputs = {0, 1};
  sinter::testing::check_record(r);
  r.torch = "a0 % -3";
  r.fn = [](const TensorList& x) { return TensorList{x[0] % -3}; };
  r.samples = [](DType d) { return sinter::testing::unary_samples(d, -5, 5); };
  r.dtypes = {kFloat, kDouble, kHalf, kBFloat16, kLong, kInt, kShort, kChar};
  r.grad_inputs = {0};
  sinter::testing::check_record(r);
  r.torch = "torch.remainder(a0, 2.5)";
  r.fn = [](const TensorList& x) { return TensorList{remainder(x[0], 2.5)}; };
  r.dtypes = numeric_dtypes();
  sinter::testing::check_record(r);
}

TEST(BinaryOps, MaximumMinimum) {
  for (bool is_max : {true, false}) {
    OpRecord r;
    r.ops = {is_max ? "maximum" : "minimum"};
    r.torch = is_max ? "torch.maximum(a0, a1)" : "torch.minimum(a0, a1)";
    r.fn = [is_max](const TensorList& x) { return TensorList{is_max ? x[0].maximum(x[1]) : minimum(x[0], x[1])}; };
    r.samples = [](DType d) { return binary_samples(d); };
    r.dtypes = sinter::testing::all_dtypes();
    r.grad_inputs = {0, 1};
    r.gradgradcheck = true;
    r.errors = {expect_error<ShapeError>("shapes", [is_max] { is_max ? maximum(ones({3}, kFloat), ones({2}, kFloat)) : minimum(ones({3}, kFloat), ones({2}, kFloat)); },
                                         is_max ? "maximum" : "minimum")};
    sinter::testing::check_record(r);
    // Ties: the gradient is split evenly (central differences agree; the second derivative
    // does not exist there).
    r.samples = [](DType d) { return int_valued_samples(d); };
    r.gradgradcheck = false;
    r.errors = {};
    sinter::testing::check_record(r);
    // NaN in either operand propagates, and both operands receive the gradient there.
    r.samples = [](DType d) {
      double nan = std::numeric_limits<double>::quiet_NaN();
      return std::vector<OpSample>{{{tensor({1.0, nan, 3.0, nan, -1.0}).to(d), tensor({nan, 2.0, 1.0, nan, -1.0}).to(d)}, "NaN"}};
    };
    r.dtypes = {kFloat, kDouble, kHalf, kBFloat16};
    r.gradcheck = false;
    r.errors = {};
    sinter::testing::check_record(r);
  }
}

TEST(BinaryOps, MaximumMixedDtypes) {
  OpRecord r;
  r.ops = {"maximum"};
  r.torch = "torch.maximum(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{maximum(x[0], x[1])}; };
  r.samples = [](DType) {
    return std::vector<OpSample>{{{make_tensor({3, 4}, kInt), make_tensor({4}, kFloat)}, "int32, float32"},
                                 {{make_tensor({3}, kByte), make_tensor({3}, kChar)}, "uint8, int8"},
                                 {{make_tensor({3}, kBool), make_tensor({}, kDouble)}, "bool, 0-dim float64"}};
  };
  r.dtypes = {kFloat};
  r.grad_inputs = {};
  sinter::testing::check_record(r);
}

TEST(BinaryOps, Atan2) {
  OpRecord r;
  r.ops = {"atan2"};
  r.torch = "torch.atan2(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{x[0].atan2(x[1])}; };
  r.samples = [](DType d) { return binary_samples(d); };
  r.dtypes = sinter::testing::all_dtypes();  // integers and bool give float32
  r.dtypes.erase(std::find(r.dtypes.begin(), r.dtypes.end(), kHalf));  // PyTorch's CPU atan2 has no float16
  r.rtol = 1.3e-6;  // float32 results for integer inputs too: float32's tolerance
  r.atol = 1e-5;
  r.grad_inputs = {0, 1};
  r.gradgradcheck = true;
  r.errors = {expect_error<ShapeError>("shapes", [] { atan2(ones({2, 3}, kFloat), ones({2}, kFloat)); }, "atan2")};
  sinter::testing::check_record(r);
}

TEST(BinaryOps, ReducedFloatsMatchFloat) {
  // float16 forms PyTorch's CPU kernels lack: compare with float32 computed and rounded.
  Tensor a = make_tensor({5, 6}, kFloat, -3, 3).to(kHalf), b = make_tensor({5, 6}, kFloat, -3, 3).to(kHalf);
  Tensor af = a.to(kFloat), bf = b.to(kFloat);
  EXPECT_TRUE(sinter::testing::tensors_close(atan2(a, b), atan2(af, bf).to(kHalf)));
  EXPECT_TRUE(sinter::testing::tensors_close(lerp(a, b, 0.3), lerp(af, bf, 0.3).to(kHalf)));
  EXPECT_TRUE(sinter::testing::tensors_close(lerp(a, b, 0.8), lerp(af, bf, 0.8).to(kHalf)));
}

TEST(BinaryOps, Lerp) {
  for (double w : {0.3, 0.75, -0.5, 1.5}) {  // both of the two formulas, and extrapolation
    OpRecord r;
    r.ops = {"lerp"};
    r.torch = "torch.lerp(a0, a1, " + std::to_string(w) + ")";
    r.fn = [w](const TensorList& x) { return TensorList{lerp(x[0], x[1], w)}; };
    r.samples = [](DType d) { return binary_samples(d); };
    r.dtypes = {kFloat, kDouble, kBFloat16};
    r.grad_inputs = {0, 1};
    r.gradgradcheck = true;
    r.errors = {expect_error<DTypeError>("int", [] { lerp(ones({2}, kLong), ones({2}, kLong), 0.5); }, "lerp"),
                expect_error<DTypeError>("dtypes differ", [] { lerp(ones({2}, kFloat), ones({2}, kDouble), 0.5); }, "lerp"),
                expect_error<ShapeError>("shapes", [] { lerp(ones({2, 3}, kFloat), ones({2}, kFloat), 0.5); }, "lerp"),
                expect_error<ShapeError>("in-place broadcast", [] { ones({3}, kFloat).lerp_(ones({2, 3}, kFloat), 0.5); }, "lerp")};
    sinter::testing::check_record(r);
  }
  OpRecord r;
  r.ops = {"lerp"};
  r.torch = "a0.clone().lerp_(a1, 0.25)";
  r.fn = [](const TensorList& x) {
    Tensor y = x[0].clone();
    return TensorList{y.lerp_(x[1], 0.25)};
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({3, 4}, d), make_tensor({3, 4}, d)}, "same shape"},
                                 {{make_tensor({3, 4}, d), make_tensor({4}, d)}, "broadcast end"},
                                 {{make_noncontiguous({3, 4}, d), make_tensor({}, d)}, "0-dim end"}};
  };
  r.dtypes = {kFloat, kDouble, kBFloat16};
  r.grad_inputs = {0, 1};
  sinter::testing::check_record(r);
}

TEST(BinaryOps, Comparisons) {
  const char* names[] = {"eq", "ne", "lt", "le", "gt", "ge"};
  using Fn = Tensor (*)(const Tensor&, const Tensor&);
  using FnS = Tensor (*)(const Tensor&, const Scalar&);
  Fn fns[] = {eq, ne, lt, le, gt, ge};
  FnS sfns[] = {eq, ne, lt, le, gt, ge};
  for (int k = 0; k < 6; ++k) {
    OpRecord r;
    r.ops = {names[k]};
    r.torch = std::string("torch.") + names[k] + "(a0, a1)";
    Fn f = fns[k];
    r.fn = [f](const TensorList& x) { return TensorList{f(x[0], x[1])}; };
    r.samples = [](DType d) {
      auto s = int_valued_samples(d);  // ties
      for (auto& t : binary_samples(d)) s.push_back(t);
      s.push_back({{make_tensor({3, 4}, kInt), make_tensor({4}, d)}, "int32 vs this dtype"});
      s.push_back({{make_tensor({3}, d), make_tensor({}, kDouble)}, "0-dim float64"});
      return s;
    };
    r.dtypes = sinter::testing::all_dtypes();
    r.grad_inputs = {};
    r.errors = {expect_error<ShapeError>("shapes", [f] { f(ones({2, 3}, kFloat), ones({2}, kFloat)); }, names[k])};
    sinter::testing::check_record(r);
    // Scalar forms: an integer and a fractional number.
    FnS sf = sfns[k];
    for (std::string v : {"1", "0.5"}) {
      r.torch = std::string("torch.") + names[k] + "(a0, " + v + ")";
      Scalar sv = v == "1" ? Scalar(1) : Scalar(0.5);
      r.fn = [sf, sv](const TensorList& x) { return TensorList{sf(x[0], sv)}; };
      r.samples = [](DType d) { return firsts(int_valued_samples(d)); };
      r.errors = {};
      sinter::testing::check_record(r);
    }
  }
}

TEST(BinaryOps, ComparisonOperators) {
  Tensor a = tensor({1, 2, 3}), b = tensor({3, 2, 1});
  EXPECT_TRUE(equal(a == b, tensor({false, true, false})));
  EXPECT_TRUE(equal(a != b, tensor({true, false, true})));
  EXPECT_TRUE(equal(a < b, tensor({true, false, false})));
  EXPECT_TRUE(equal(a <= b, tensor({true, true, false})));
  EXPECT_TRUE(equal(a > b, tensor({false, false, true})));
  EXPECT_TRUE(equal(a >= 2, tensor({false, true, true})));
  EXPECT_TRUE(equal(a > 1.5, tensor({false, true, true})));
  EXPECT_EQ((a == b).dtype(), kBool);
  EXPECT_FALSE((tensor({1.0}, kFloat).requires_grad_() < 2).requires_grad());
}

TEST(BinaryOps, FloatFastPathsMatchReference) {
  // Long runs (SIMD main loop + tail), scalar operands on either side, a strided in-place
  // output, and the multi-threaded split: the float32 fast kernels against the scalar ones.
  const int64_t n = 100003;
  Tensor a = make_tensor({n}, kFloat), b = make_tensor({n}, kFloat, 0.5, 3);
  for (int i = 0; i < 7; ++i) static_cast<float*>(a.data_ptr())[i * 3] = std::numeric_limits<float>::quiet_NaN();
  using F = std::function<Tensor()>;
  std::vector<std::pair<std::string, F>> cases = {
      {"a + b", [&] { return a + b; }},
      {"a - 2b", [&] { return sub(a, b, 2); }},
      {"a * b", [&] { return a * b; }},
      {"a / b", [&] { return a / b; }},
      {"a + 1.5", [&] { return a + 1.5; }},
      {"3 - a", [&] { return 3 - a; }},
      {"2 / b", [&] { return 2 / b; }},
      {"maximum", [&] { return maximum(a, b); }},
      {"minimum", [&] { return minimum(b, a); }},
      {"atan2", [&] { return atan2(a, b - 1.75); }},
      {"atan2 special values", [&] {
         double inf = std::numeric_limits<double>::infinity();
         Tensor v = tensor({0.0, -0.0, 1.0, -1.0, inf, -inf, 1e-30, -1e30, 3.0});
         // every pair, in runs long enough for the vector loop
         return atan2(v.reshape({9, 1}).expand({9, 9}).contiguous(),
                      v.reshape({1, 9}).expand({9, 9}).contiguous());
       }},
      {"atan2 by a scalar", [&] { return atan2(a, make_tensor({}, kFloat)); }},
      {"pow 2", [&] { return pow(b, 2); }},
      {"pow 0.5", [&] { return pow(b, 0.5); }},
      {"where", [&] { return where(a > 0, a, b); }},
      {"addcmul", [&] { return addcmul(a, b, a, 0.5); }},
      {"strided in-place add", [&] {
         Tensor m = make_tensor({64, 2 * 67}, kFloat).slice(1, 0, std::nullopt, 2);
         m.add_(make_tensor({67}, kFloat), 2);
         return m;
       }},
      {"strided in-place mul by a scalar", [&] {
         Tensor m = make_tensor({64, 2 * 67}, kFloat).slice(1, 0, std::nullopt, 2);
         return m.mul_(-1.5);
       }},
      {"0-dim / 0-dim", [&] { return make_tensor({}, kFloat) / make_tensor({}, kFloat, 0.5, 3); }},
      {"0-dim int64 tensor - broadcast row", [&] { return sub(make_tensor({}, kLong), make_tensor({5, 1}, kFloat).expand({5, 300}), 3); }},
      {"transposed mul", [&] { return make_tensor({300, 200}, kFloat).t() * make_tensor({200, 300}, kFloat); }},
  };
  for (auto& [name, f] : cases) {
    SCOPED_TRACE(name);
    manual_seed(7);
    Tensor fast = f();
    sinter::ops::ReferenceKernels::set_enabled(true);
    manual_seed(7);
    Tensor ref = f();
    sinter::ops::ReferenceKernels::set_enabled(false);
    EXPECT_TRUE(sinter::testing::tensors_close(fast, ref, 1e-6, 1e-6));
  }
}
