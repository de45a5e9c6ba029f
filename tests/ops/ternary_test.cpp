// Records of the ternary ops: where, addcmul, addcdiv (and their in-place forms).
#include "op_record.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;

namespace {

// Three inputs in the standard layouts; `first` is the dtype of input 0 (kBool for where).
std::vector<OpSample> ternary_samples(DType first, DType d, double low = -3, double high = 3, double low2 = -3,
                                      double high2 = 3) {
  auto m0 = [first](IntArrayRef s) { return make_tensor(s, first, -3, 3); };
  auto m1 = [=](IntArrayRef s) { return make_tensor(s, d, low, high); };
  auto m2 = [=](IntArrayRef s) { return make_tensor(s, d, low2, high2); };
  return {
      {{m0({3, 4}), m1({3, 4}), m2({3, 4})}, "same shape"},
      {{m0({3, 1}), m1({1, 4}), m2({3, 4})}, "broadcast all"},
      {{m0({2, 1, 4}), m1({3, 1}), m2({4})}, "broadcast to 3-D"},
      {{m0({}), m1({3, 4}), m2({})}, "0-dim first and last"},
      {{m0({3, 4}), m1({}), m2({4})}, "0-dim middle"},
      {{make_noncontiguous({3, 4}, first), make_tensor({4, 3}, d, low, high).t(), make_noncontiguous({3, 4}, d, low2, high2)},
       "non-contiguous"},
      {{m0({0, 4}), m1({4}), m2({1, 4})}, "empty"},
  };
}

}  // namespace

TEST(TernaryOps, Where) {
  OpRecord r;
  r.ops = {"where"};
  r.torch = "torch.where(a0, a1, a2)";
  r.fn = [](const TensorList& x) { return TensorList{where(x[0], x[1], x[2])}; };
  r.samples = [](DType d) {
    auto s = ternary_samples(kBool, d);
    // A uint8 condition is still accepted (deprecated in PyTorch).
    s.push_back({{make_tensor({3, 1}, kBool).to(kByte), make_tensor({1, 4}, d), make_tensor({3, 4}, d)}, "uint8 condition"});
    return s;
  };
  r.dtypes = sinter::testing::all_dtypes();
  r.grad_inputs = {1, 2};
  r.gradgradcheck = true;
  r.errors = {expect_error<DTypeError>("float condition", [] { where(ones({2}, kFloat), ones({2}, kFloat), ones({2}, kFloat)); }, "where"),
              expect_error<DTypeError>("int64 condition", [] { where(ones({2}, kLong), ones({2}, kFloat), ones({2}, kFloat)); }, "where"),
              expect_error<ShapeError>("shapes", [] { where(ones({2, 3}, kBool), ones({3}, kFloat), ones({2}, kFloat)); }, "where")};
  sinter::testing::check_record(r);
}

TEST(TernaryOps, WherePromotion) {
  OpRecord r;
  r.ops = {"where"};
  r.torch = "torch.where(a0, a1, a2)";
  r.fn = [](const TensorList& x) { return TensorList{where(x[0], x[1], x[2])}; };
  r.samples = [](DType d) {
    auto c = [](IntArrayRef s) { return make_tensor(s, kBool); };
    return std::vector<OpSample>{
        {{c({3, 4}), make_tensor({3, 4}, kLong), make_tensor({3, 4}, d)}, "int64 and this dtype"},
        {{c({3, 4}), make_tensor({4}, d), make_tensor({3, 1}, kInt)}, "this dtype and int32"},
        {{c({3, 4}), make_tensor({3, 4}, d), make_tensor({}, kDouble)}, "0-dim float64 other"},
        {{c({3, 4}), make_tensor({3, 4}, kByte), make_tensor({3, 4}, kChar)}, "uint8 and int8"},
    };
  };
  r.dtypes = {kFloat, kDouble, kHalf, kBFloat16, kInt, kBool};
  r.grad_inputs = {1, 2};
  sinter::testing::check_record(r);
}

TEST(TernaryOps, WhereScalar) {
  for (int form = 0; form < 4; ++form) {
    OpRecord r;
    r.ops = {"where"};
    const char* exprs[] = {"torch.where(a0, a1, 2.5)", "torch.where(a0, -1.5, a1)", "torch.where(a0, a1, 2)",
                           "torch.where(a1, a0, a2)"};
    r.torch = exprs[form];
    r.fn = [form](const TensorList& x) {
      switch (form) {
        case 0: return TensorList{where(x[0], x[1], 2.5)};
        case 1: return TensorList{where(x[0], -1.5, x[1])};
        case 2: return TensorList{where(x[0], x[1], 2)};
        default: return TensorList{x[0].where(x[1], x[2])};  // Tensor::where(condition, other)
      }
    };
    r.samples = [form](DType d) {
      auto s = ternary_samples(kBool, d);
      for (auto& t : s) {
        if (form == 3) std::swap(t.inputs[0], t.inputs[1]);
        else t.inputs.erase(t.inputs.begin() + 2);
      }
      return s;
    };
    r.dtypes = {kFloat, kDouble, kHalf, kBFloat16, kLong, kInt, kByte};
    r.grad_inputs = {form == 3 ? size_t(0) : size_t(1)};
    if (form == 3) r.grad_inputs.push_back(2);
    sinter::testing::check_record(r);
  }
}

TEST(TernaryOps, Addcmul) {
  for (std::string value : {"0.5", "1", "-2"}) {
    OpRecord r;
    r.ops = {"addcmul"};
    r.torch = "torch.addcmul(a0, a1, a2, value=" + value + ")";
    Scalar v = value == "0.5" ? Scalar(0.5) : Scalar(std::stol(value));
    r.fn = [v](const TensorList& x) { return TensorList{addcmul(x[0], x[1], x[2], v)}; };
    r.samples = [](DType d) { return ternary_samples(d, d); };
    r.dtypes = {kFloat, kDouble, kBFloat16};
    if (value != "0.5") r.dtypes.insert(r.dtypes.end(), {kLong, kInt, kShort, kChar, kByte});
    r.grad_inputs = {0, 1, 2};
    r.gradgradcheck = true;
    r.errors = {expect_error<DTypeError>("bool", [] { addcmul(ones({2}, kBool), ones({2}, kBool), ones({2}, kBool)); }, "addcmul"),
                expect_error<ShapeError>("shapes", [] { addcmul(ones({2, 3}, kFloat), ones({3}, kFloat), ones({2}, kFloat)); }, "addcmul")};
    sinter::testing::check_record(r);
  }
  // Mixed dtypes promote over all three inputs.
  OpRecord r;
  r.ops = {"addcmul"};
  r.torch = "torch.addcmul(a0, a1, a2, value=2)";
  r.fn = [](const TensorList& x) { return TensorList{x[0].addcmul(x[1], x[2], 2)}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({3}, kInt), make_tensor({3}, d), make_tensor({3}, kLong)}, "int, this, long"},
                                 {{make_tensor({3}, d), make_tensor({}, kDouble), make_tensor({3}, kByte)}, "0-dim double"}};
  };
  r.dtypes = {kFloat, kDouble};
  r.grad_inputs = {1};
  sinter::testing::check_record(r);
}

TEST(TernaryOps, Addcdiv) {
  for (std::string value : {"0.5", "1", "-2"}) {
    OpRecord r;
    r.ops = {"addcdiv"};
    r.torch = "torch.addcdiv(a0, a1, a2, value=" + value + ")";
    Scalar v = value == "0.5" ? Scalar(0.5) : Scalar(std::stol(value));
    r.fn = [v](const TensorList& x) { return TensorList{x[0].addcdiv(x[1], x[2], v)}; };
    r.samples = [](DType d) { return ternary_samples(d, d, -3, 3, 0.5, 3); };  // divisors away from zero
    r.dtypes = {kFloat, kDouble, kBFloat16};
    r.grad_inputs = {0, 1, 2};
    r.gradgradcheck = true;
    // The gradients of broadcast inputs are sums of bfloat16 terms of either sign (value / a2
    // is up to 4): cancellation leaves an absolute error of a few ulps of the terms, which a
    // relative tolerance on a small sum cannot cover (bfloat16 atol 1e-3, gradients 1e-2).
    r.atol = 1e-5;
    r.errors = {
        expect_error<DTypeError>("int / int", [] { addcdiv(ones({2}, kFloat), ones({2}, kLong), ones({2}, kInt)); }, "addcdiv"),
        expect_error<DTypeError>("bool", [] { addcdiv(ones({2}, kBool), ones({2}, kBool), ones({2}, kBool)); }, "addcdiv"),
        expect_error<ShapeError>("shapes", [] { addcdiv(ones({2, 3}, kFloat), ones({3}, kFloat), ones({4}, kFloat)); }, "addcdiv")};
    sinter::testing::check_record(r);
  }
}

TEST(TernaryOps, InplaceAddcmulAddcdiv) {
  for (bool div : {false, true}) {
    OpRecord r;
    r.ops = {div ? "addcdiv" : "addcmul"};
    r.torch = div ? "a0.clone().addcdiv_(a1, a2, value=0.5)" : "a0.clone().addcmul_(a1, a2, value=0.5)";
    r.fn = [div](const TensorList& x) {
      Tensor y = x[0].clone();
      if (div) y.addcdiv_(x[1], x[2], 0.5);
      else y.addcmul_(x[1], x[2], 0.5);
      return TensorList{y};
    };
    r.samples = [](DType d) {
      return std::vector<OpSample>{
          {{make_tensor({3, 4}, d), make_tensor({3, 4}, d), make_tensor({3, 4}, d, 0.5, 3)}, "same shape"},
          {{make_noncontiguous({3, 4}, d), make_tensor({4}, d), make_tensor({3, 1}, d, 0.5, 3)}, "broadcast into self"}};
    };
    r.dtypes = {kFloat, kDouble};
    r.grad_inputs = {0, 1, 2};
    r.errors = {expect_error<ShapeError>("broadcast changes self's shape", [] { ones({3}, kFloat).addcmul_(ones({2, 3}, kFloat), ones({3}, kFloat)); }, "addcmul"),
                expect_error<DTypeError>("float into int", [] { ones({3}, kLong).addcmul_(ones({3}, kFloat), ones({3}, kFloat)); }, "addcmul")};
    sinter::testing::check_record(r);
  }
}
