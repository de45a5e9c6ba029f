// Records for softmax and log_softmax.
#include <cmath>
#include <limits>

#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::tensors_close;

namespace {

std::vector<OpSample> softmax_samples(DType d) {
  return {
      {{make_tensor({}, d)}, "0-dim"},
      {{make_tensor({7}, d)}, "1-D"},
      {{make_tensor({3, 5}, d)}, "2-D"},
      {{make_tensor({2, 3, 4}, d)}, "3-D"},
      {{make_noncontiguous({2, 3, 4}, d)}, "3-D non-contiguous"},
      {{make_tensor({5, 3}, d).t()}, "transposed"},
      {{make_tensor({2, 3, 37}, d, -20, 20)}, "rows longer than a vector (with a tail)"},
      {{make_tensor({4, 5, 19}, d, -20, 20)}, "middle dim over 19 columns"},
      {{make_tensor({3, 4}, d, 500, 1000)}, "large logits (exp overflows without the shift)"},
      {{make_tensor({0, 3}, d)}, "empty"},
  };
}

// dim chosen from the input's rank: last, first, and middle.
struct DimCase {
  std::string name, py;
  std::function<int64_t(int64_t)> dim;
};
std::vector<DimCase> dim_cases() {
  return {{"last", "-1", [](int64_t) { return -1; }},
          {"first", "0", [](int64_t) { return 0; }},
          {"middle", "(1 if a0.dim() >= 3 else 0)", [](int64_t n) { return n >= 3 ? 1 : 0; }}};
}

}  // namespace

TEST(SoftmaxOps, Softmax) {
  for (std::string op : {"softmax", "log_softmax"}) {
    for (const DimCase& dc : dim_cases()) {
      OpRecord r;
      r.ops = {op};
      r.torch = "torch." + op + "(a0, " + dc.py + ")";
      r.fn = [op, dc](const TensorList& x) {
        int64_t d = dc.dim(x[0].dim());
        return TensorList{op == "softmax" ? softmax(x[0], d) : x[0].log_softmax(d)};
      };
      r.samples = softmax_samples;
      r.dtypes = {kFloat, kDouble, kBFloat16};  // torch 1.13 has no CPU half softmax
      r.gradgradcheck = true;
      r.errors = {
          expect_error<IndexError>("dim out of range", [op] { op == "softmax" ? softmax(ones({2, 3}, kFloat), 2) : log_softmax(ones({2, 3}, kFloat), -3); }, op),
          expect_error<IndexError>("dim out of range, 0-dim", [op] { op == "softmax" ? softmax(ones({}, kFloat), 1) : log_softmax(ones({}, kFloat), 1); }, op),
          expect_error<DTypeError>("integer input", [op] { op == "softmax" ? softmax(ones({2, 3}, kLong), 1) : log_softmax(ones({2}, kInt), 0); }, op),
          expect_error<DTypeError>("integer dtype", [op] { op == "softmax" ? softmax(ones({2, 3}, kFloat), 1, kLong) : log_softmax(ones({2}, kFloat), 0, kInt); }, op),
      };
      SCOPED_TRACE(op + " over " + dc.name);
      // bfloat16 on its own: torch rounds its intermediates (and the gradient's) elsewhere.
      OpRecord h = r;
      r.dtypes = {kFloat, kDouble};
      sinter::testing::check_record(r);
      h.dtypes = {kBFloat16};
      h.rtol = 1e-3;
      h.atol = 1e-4;
      h.gradcheck = false;
      h.errors.clear();
      sinter::testing::check_record(h);
    }
  }
}

TEST(SoftmaxOps, Dtype) {  // dtype= casts first; the gradient returns in the input's dtype
  for (std::string op : {"softmax", "log_softmax"}) {
    OpRecord r;
    r.ops = {op};
    r.torch = "torch." + op + "(a0, 1, dtype=torch.float64)";
    r.fn = [op](const TensorList& x) {
      return TensorList{op == "softmax" ? x[0].softmax(1, kDouble) : log_softmax(x[0], 1, kDouble)};
    };
    r.samples = [](DType d) { return std::vector<OpSample>{{{make_tensor({3, 5}, d)}, "2-D"}}; };
    r.dtypes = {kFloat, kLong, kInt, kByte, kBool};
    r.rtol = 1e-7;  // float64 results for integer inputs
    r.atol = 1e-7;
    sinter::testing::check_record(r);
  }
}

TEST(SoftmaxOps, SpecialValues) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  for (std::string op : {"softmax", "log_softmax"}) {
    for (std::string dim : {"-1", "0"}) {
      OpRecord r;
      r.ops = {op};
      r.torch = "torch." + op + "(a0, " + dim + ")";
      r.fn = [op, dim](const TensorList& x) {
        int64_t d = std::stoll(dim);
        return TensorList{op == "softmax" ? softmax(x[0], d) : log_softmax(x[0], d)};
      };
      r.samples = [=](DType d) {
        Tensor masked = make_tensor({4, 21}, d);
        Tensor special = tensor({0.0, -inf, 1.0, -inf, -inf, -inf, 2.0, inf, 1.0, nan, 0.0, 1.0}, d).view({4, 3});
        // The same special values in vector-wide rows and columns.
        Tensor wide = make_tensor({4, 40}, d);
        {
          NoGradGuard g;
          masked.slice(1, 10).fill_(-inf);  // attention-style mask
          wide.slice(1, 0, 3).copy_(special);
        }
        return std::vector<OpSample>{{{masked}, "masked with -inf"}, {{special}, "-inf rows, inf, NaN"}, {{wide}, "wide"}};
      };
      r.grad_inputs = {};
      SCOPED_TRACE(op + " over " + dim);
      sinter::testing::check_record(r);
    }
  }
}

TEST(SoftmaxOps, HalfMatchesFloat) {  // torch 1.13 has no CPU half softmax; compare with float
  Tensor x = make_tensor({4, 33}, kFloat, -5, 5).to(kHalf).to(kFloat);
  for (int64_t d : {0, 1}) {
    EXPECT_TRUE(tensors_close(softmax(x.to(kHalf), d).to(kFloat), softmax(x, d), 2e-3, 1e-4));
    EXPECT_TRUE(tensors_close(log_softmax(x.to(kHalf), d).to(kFloat), log_softmax(x, d), 2e-3, 2e-3));
  }
}

TEST(SoftmaxOps, LargeMatchesReferenceAndTorch) {
  // (32, 1000) rows and a (3, 500, 40) middle dim: the parallel SIMD paths.
  Tensor rows = make_tensor({32, 1000}, kFloat, -10, 10), mid = make_tensor({3, 500, 40}, kFloat, -10, 10);
  auto& ref = sinter::testing::TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  auto r = ref.run("(torch.softmax(a0, -1), torch.log_softmax(a0, -1), torch.softmax(a1, 1), torch.log_softmax(a1, 1))",
                   {rows, mid});
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(tensors_close(softmax(rows, -1), r.outputs[0]));
  EXPECT_TRUE(tensors_close(log_softmax(rows, -1), r.outputs[1]));
  EXPECT_TRUE(tensors_close(softmax(mid, 1), r.outputs[2]));
  EXPECT_TRUE(tensors_close(log_softmax(mid, 1), r.outputs[3]));
}

TEST(SoftmaxOps, Registered) {
  auto* s = ops::Registry::get().find("softmax");
  auto* l = ops::Registry::get().find("log_softmax");
  ASSERT_NE(s, nullptr);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(s->onnx, std::vector<std::string>{"Softmax"});
  EXPECT_EQ(l->onnx, std::vector<std::string>{"LogSoftmax"});
}
