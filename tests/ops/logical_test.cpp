// Records of the logical and bitwise ops, the & | ^ operators, and equal / isclose / allclose.
#include <limits>

#include "op_record.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::binary_samples;
using sinter::testing::expect_error;
using sinter::testing::make_tensor;

namespace {

// Small integer values (zeros and repeats occur), converted to d, in the standard layouts.
std::vector<OpSample> small_int_samples(DType d, DType d2) {
  auto mk = [](IntArrayRef shape, DType t) { return make_tensor(shape, kLong, -3, 4).to(t); };
  auto nc = [](IntArrayRef shape, DType t) {
    DimVector big(shape);
    big.back() *= 2;
    return make_tensor(big, kLong, -3, 4).to(t).slice(-1, 0, std::nullopt, 2);
  };
  return {
      {{mk({3, 4}, d), mk({3, 4}, d2)}, "same shape"},
      {{mk({3, 1}, d), mk({1, 4}, d2)}, "broadcast both"},
      {{mk({2, 3, 4}, d), mk({4}, d2)}, "broadcast rhs"},
      {{mk({}, d), mk({5}, d2)}, "0-dim lhs"},
      {{mk({3, 4}, d), mk({}, d2)}, "0-dim rhs"},
      {{nc({3, 4}, d), mk({4, 3}, d2).t()}, "non-contiguous"},
      {{mk({0, 4}, d), mk({4}, d2)}, "empty"},
  };
}

std::vector<OpSample> with_mixed(DType d) {
  auto s = small_int_samples(d, d);
  for (auto& t : small_int_samples(d, d == kBool ? kByte : kBool)) {
    t.desc = "mixed dtypes, " + t.desc;
    s.push_back(t);
  }
  return s;
}

}  // namespace

TEST(LogicalOps, LogicalAndOrXor) {
  const char* names[] = {"logical_and", "logical_or", "logical_xor"};
  using Fn = Tensor (*)(const Tensor&, const Tensor&);
  Fn fns[] = {logical_and, logical_or, logical_xor};
  for (int k = 0; k < 3; ++k) {
    OpRecord r;
    r.ops = {names[k]};
    r.torch = std::string("torch.") + names[k] + "(a0, a1)";
    Fn f = fns[k];
    r.fn = [f](const TensorList& x) { return TensorList{f(x[0], x[1])}; };
    r.samples = [](DType d) {
      auto s = with_mixed(d);
      if (is_floating_point(d)) {  // NaN counts as true
        double nan = std::numeric_limits<double>::quiet_NaN();
        s.push_back({{tensor({nan, nan, 0.0, 1.0}).to(d), tensor({nan, 0.0, nan, 0.0}).to(d)}, "NaN"});
      }
      return s;
    };
    r.dtypes = sinter::testing::all_dtypes();
    r.grad_inputs = {};
    r.errors = {expect_error<ShapeError>("shapes", [f] { f(ones({2, 3}, kFloat), ones({2}, kFloat)); }, names[k])};
    sinter::testing::check_record(r);
  }
  // Tensor methods.
  Tensor a = tensor({0, 1, 2}), b = tensor({1.0, 0.0, 3.0});
  EXPECT_TRUE(equal(a.logical_and(b), tensor({false, false, true})));
  EXPECT_TRUE(equal(a.logical_or(b), tensor({true, true, true})));
  EXPECT_TRUE(equal(a.logical_xor(b), tensor({true, true, false})));
}

TEST(LogicalOps, Bitwise) {
  const char* names[] = {"bitwise_and", "bitwise_or", "bitwise_xor"};
  const char* syms[] = {"&", "|", "^"};
  using Fn = Tensor (*)(const Tensor&, const Tensor&);
  Fn fns[] = {bitwise_and, bitwise_or, bitwise_xor};
  Fn opers[] = {[](const Tensor& a, const Tensor& b) { return a & b; },
                [](const Tensor& a, const Tensor& b) { return a | b; },
                [](const Tensor& a, const Tensor& b) { return a ^ b; }};
  for (int k = 0; k < 3; ++k) {
    for (bool oper : {false, true}) {
      OpRecord r;
      r.ops = {names[k]};
      r.torch = oper ? std::string("a0 ") + syms[k] + " a1" : std::string("torch.") + names[k] + "(a0, a1)";
      Fn f = oper ? opers[k] : fns[k];
      r.fn = [f](const TensorList& x) { return TensorList{f(x[0], x[1])}; };
      r.samples = [](DType d) {
        auto s = with_mixed(d);  // int with bool: the integer dtype; uint8 with bool: uint8
        s.push_back({{make_tensor({3, 4}, d, -100, 100), make_tensor({3, 4}, kChar, -100, 100)}, "with int8"});
        return s;
      };
      r.dtypes = sinter::testing::int_dtypes();
      r.dtypes.push_back(kBool);
      r.grad_inputs = {};
      std::string name = names[k];
      r.errors = {expect_error<DTypeError>("float", [f] { f(ones({2}, kFloat), ones({2}, kLong)); }, name),
                  expect_error<DTypeError>("double, double", [f] { f(ones({2}, kDouble), ones({2}, kDouble)); }, name),
                  expect_error<DTypeError>("int with 0-dim float", [f] { f(ones({2}, kInt), ones({}, kHalf)); }, name),
                  expect_error<ShapeError>("shapes", [f] { f(ones({2, 3}, kInt), ones({2}, kInt)); }, name)};
      sinter::testing::check_record(r);
    }
  }
  Tensor a = tensor({12, 10}), b = tensor({10, 3});
  EXPECT_TRUE(equal(a.bitwise_and(b), tensor({8, 2})));
  EXPECT_TRUE(equal(a.bitwise_or(b), tensor({14, 11})));
  EXPECT_TRUE(equal(a.bitwise_xor(b), tensor({6, 9})));
}

TEST(LogicalOps, Equal) {
  OpRecord r;
  r.ops = {"eq"};
  r.torch = "torch.equal(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{full({}, equal(x[0], x[1]), kBool)}; };
  r.samples = [](DType d) {
    Tensor a = make_tensor({3, 4}, d);
    auto s = std::vector<OpSample>{{{a, a.clone()}, "equal"},
                                   {{a, a.t().contiguous().t()}, "equal, other layout"},
                                   {{make_tensor({3, 4}, d), make_tensor({3, 4}, d)}, "random"},
                                   {{a, a.reshape({4, 3})}, "same values, other shape"},
                                   {{a, a.slice(0, 0, 1)}, "broadcastable shape"},
                                   {{make_tensor({0}, d), make_tensor({0}, d)}, "empty"},
                                   {{a, a.to(kDouble)}, "other dtype, same values"}};
    if (is_floating_point(d)) {
      Tensor n = full({2}, std::numeric_limits<double>::quiet_NaN(), d);
      s.push_back({{n, n}, "NaN"});
    }
    return s;
  };
  r.dtypes = sinter::testing::all_dtypes();
  r.grad_inputs = {};
  sinter::testing::check_record(r);
  EXPECT_TRUE(ones({2, 2}, kFloat).equal(ones({2, 2}, kFloat)));
  EXPECT_FALSE(ones({2, 2}, kFloat).equal(zeros({2, 2}, kFloat)));
}

TEST(LogicalOps, Isclose) {
  for (std::string args : {"", ", rtol=0.01, atol=0.001", ", rtol=0.0, atol=0.0", ", rtol=0.4, atol=1.0", ", equal_nan=True"}) {
    OpRecord r;
    r.ops = {"isclose"};
    r.torch = "torch.isclose(a0, a1" + args + ")";
    double rtol = 1e-5, atol = 1e-8;
    bool equal_nan = args.find("equal_nan") != std::string::npos;
    if (args.find("rtol=0.01") != std::string::npos) rtol = 0.01, atol = 0.001;
    if (args.find("rtol=0.0,") != std::string::npos) rtol = 0, atol = 0;
    if (args.find("rtol=0.4") != std::string::npos) rtol = 0.4, atol = 1.0;
    r.fn = [=](const TensorList& x) { return TensorList{isclose(x[0], x[1], rtol, atol, equal_nan)}; };
    r.samples = [equal_nan](DType d) {
      std::vector<OpSample> s;
      for (auto& t : small_int_samples(d, d)) {
        // PyTorch's equal_nan path fails unless self already has the broadcast shape.
        bool self_full = t.inputs[0].dim() >= t.inputs[1].dim() && t.inputs[0].numel() >= t.inputs[1].numel();
        if (!equal_nan || self_full) s.push_back(t);
      }
      if (is_floating_point(d)) {
        // Close but not equal values around the tolerances, and the special values.
        Tensor a = make_tensor({40}, d, -2, 2);
        Tensor noise = (make_tensor({40}, kDouble, -1, 1) * make_tensor({40}, kDouble, 0, 1).pow(6) * 0.05).to(d);
        s.push_back({{a, a + noise}, "perturbed"});
        double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
        s.push_back({{tensor({nan, nan, inf, inf, -inf, 1.0, 0.0}).to(d), tensor({nan, 1.0, inf, -inf, -inf, inf, -0.0}).to(d)},
                     "NaN and inf"});
      }
      return s;
    };
    r.dtypes = sinter::testing::all_dtypes();
    r.grad_inputs = {};
    r.errors = {expect_error<DTypeError>("dtypes differ", [] { isclose(ones({2}, kFloat), ones({2}, kLong)); }, "isclose"),
                expect_error<ValueError>("negative rtol", [] { isclose(ones({2}, kFloat), ones({2}, kFloat), -1.0); }, "isclose"),
                expect_error<ValueError>("negative atol", [] { isclose(ones({2}, kFloat), ones({2}, kFloat), 1e-5, -1.0); }, "isclose"),
                expect_error<ShapeError>("shapes", [] { isclose(ones({2}, kFloat), ones({3}, kFloat)); }, "isclose")};
    sinter::testing::check_record(r);
  }
}

TEST(LogicalOps, Allclose) {
  OpRecord r;
  r.ops = {"isclose"};
  r.torch = "torch.allclose(a0, a1, rtol=0.001, atol=0.0001)";
  r.fn = [](const TensorList& x) { return TensorList{full({}, allclose(x[0], x[1], 1e-3, 1e-4), kBool)}; };
  r.samples = [](DType d) {
    Tensor a = make_tensor({3, 4}, d);
    Tensor tiny = (make_tensor({3, 4}, kDouble, -1, 1) * 1e-4).to(d);
    return std::vector<OpSample>{{{a, a + tiny}, "close"},
                                 {{a, a + 0.5}, "far"},
                                 {{a, a.slice(0, 0, 1)}, "broadcast"},
                                 {{make_tensor({0, 2}, d), make_tensor({2}, d)}, "empty"}};
  };
  r.dtypes = {kFloat, kDouble, kHalf, kBFloat16};
  r.grad_inputs = {};
  r.errors = {expect_error<ShapeError>("shapes", [] { allclose(ones({2}, kFloat), ones({3}, kFloat)); }, "allclose"),
              expect_error<DTypeError>("dtypes differ", [] { allclose(ones({2}, kFloat), ones({2}, kLong)); }, "allclose")};
  sinter::testing::check_record(r);
  Tensor nan = full({2}, std::numeric_limits<double>::quiet_NaN());
  EXPECT_FALSE(nan.allclose(nan));
  EXPECT_TRUE(nan.allclose(nan, 1e-5, 1e-8, /*equal_nan=*/true));
}
