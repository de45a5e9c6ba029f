#include "op_record.h"

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
  r.errors = {expect_error<ShapeError>("shapes", [] { add(ones({2, 3}), ones({4})); }, "add"),
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
    r.errors = {expect_error<ValueError>("bad mode", [] { div(ones({2}), ones({2}), "round"); }, "div"),
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
