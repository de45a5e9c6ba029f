// Casts and fills: to_dtype (Tensor::to) and fill (fill_, the full factories).
#include "op_record.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::check_record;
using sinter::testing::expect_error;

TEST(CopyOps, ToDType) {
  OpRecord r;
  r.ops = {"to_dtype"};
  r.torch = "(a0.to(torch.float16), a0.to(torch.bfloat16), a0.to(torch.int64), a0.to(torch.int8), a0.to(torch.bool), "
            "a0.to(torch.float64))";
  r.fn = [](const TensorList& x) {
    return TensorList{x[0].to(kHalf), x[0].to(kBFloat16), x[0].to(kLong), x[0].to(kChar), x[0].to(kBool), x[0].to(kDouble)};
  };
  r.samples = [](DType d) { return sinter::testing::unary_samples(d, -100, 100); };
  r.dtypes = sinter::testing::all_dtypes();
  r.grad_inputs = {};
  check_record(r);
  // Differentiable between floating types: the gradient is cast back.
  r.torch = "(a0.to(torch.float32) * 2, a0.to(torch.float64))";
  r.fn = [](const TensorList& x) { return TensorList{x[0].to(kFloat) * 2, x[0].to(kDouble)}; };
  r.samples = [](DType d) { return sinter::testing::unary_samples(d, -3, 3); };
  r.dtypes = {kFloat, kDouble};
  r.grad_inputs = {0};
  r.gradcheck = false;  // finite differences through a float32 rounding are not exact; torch's grads are compared
  r.errors = {expect_error<AutogradError>("an integer cast ends the graph", [] {
    Tensor x = ones({2}).requires_grad_(true);
    Tensor y = x.to(kLong).sum().to(kFloat);
    y.backward();
  }, "backward")};
  check_record(r);
}

TEST(CopyOps, Fill) {
  OpRecord r;
  r.ops = {"fill"};
  r.torch = "(a0.clone().fill_(2.5), a0 * 0 + a0.clone().fill_(-1).sum(), torch.full_like(a0, 7))";
  r.fn = [](const TensorList& x) {
    return TensorList{x[0].clone().fill_(2.5), x[0] * 0 + x[0].clone().fill_(-1).sum(), full_like(x[0], 7)};
  };
  r.samples = [](DType d) { return sinter::testing::unary_samples(d); };
  r.dtypes = {kFloat, kDouble, kHalf, kBFloat16, kLong, kInt, kShort, kChar, kByte};
  r.grad_inputs = {0};
  r.errors = {expect_error<AutogradError>("leaf requiring grad", [] { ones({2}).requires_grad_(true).fill_(1); }, "fill")};
  check_record(r);
}
