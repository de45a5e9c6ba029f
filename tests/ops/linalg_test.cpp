#include <cmath>
#include <limits>

#include "kernels/cpu/dnnl_common.h"
#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;

namespace {

/// float32, float64, bfloat16 and the integer dtypes: what PyTorch's CPU matmul supports.
/// (bfloat16 has its own test below: PyTorch 1.13 rounds its bfloat16 GEMM sums to bfloat16 as it
/// goes on CPUs without native bfloat16, so it is compared with float32 instead.)
std::vector<DType> gemm_dtypes() { return {kFloat, kDouble, kLong, kInt, kShort, kChar, kByte}; }

/// Small ranges keep integer products exact and bfloat16 sums close.
Tensor mk(IntArrayRef shape, DType d) { return make_tensor(shape, d, -2, 2); }
/// A (rows, cols) matrix stored column-major: the transpose of a contiguous (cols, rows).
Tensor mk_t(int64_t rows, int64_t cols, DType d) { return mk({cols, rows}, d).t(); }

}  // namespace

TEST(LinalgOps, Mm) {
  OpRecord r;
  r.ops = {"mm"};
  r.torch = "torch.mm(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{mm(x[0], x[1])}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{mk({3, 4}, d), mk({4, 5}, d)}, "plain"},
        {{mk_t(3, 4, d), mk({4, 5}, d)}, "transposed lhs"},
        {{mk({3, 4}, d), mk_t(4, 5, d)}, "transposed rhs"},
        {{mk_t(3, 4, d), mk_t(4, 5, d)}, "both transposed"},
        {{make_noncontiguous({3, 4}, d, -2, 2), make_noncontiguous({4, 2}, d, -2, 2)}, "strided (copied)"},
        {{mk({1, 4}, d), mk({4, 1}, d)}, "row times column"},
        {{mk({4, 1}, d), mk({1, 3}, d)}, "column times row (K=1)"},
        {{mk({0, 4}, d), mk({4, 5}, d)}, "empty rows"},
        {{mk({3, 0}, d), mk({0, 5}, d)}, "K = 0 gives zeros"},
        {{mk({3, 4}, d), mk({4, 0}, d)}, "empty columns"},
        {{mk({17, 70}, d), mk({70, 33}, d)}, "larger"},
    };
  };
  r.dtypes = gemm_dtypes();
  r.grad_inputs = {0, 1};
  r.gradgradcheck = true;
  r.atol = 1e-4;
  r.errors = {
      expect_error<ShapeError>("inner sizes", [] { mm(ones({2, 3}), ones({4, 5})); },
                               "mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
      expect_error<ShapeError>("3-D", [] { mm(ones({2, 3, 1}), ones({3, 5})); }, "mm: expected 2-D matrices, but got self (2, 3, 1)"),
      expect_error<DTypeError>("dtype mismatch", [] { mm(ones({2, 3}, kFloat), ones({3, 5}, kDouble)); },
                               "mm: expected mat1 and mat2 to have the same dtype, but got float32 and float64"),
      expect_error<DTypeError>("float16", [] { mm(ones({2, 3}, kHalf), ones({3, 5}, kHalf)); }, "mm: matrix multiplication is not supported for dtype float16"),
      expect_error<DTypeError>("bool", [] { mm(ones({2, 3}, kBool), ones({3, 5}, kBool)); }, "bool"),
  };
  sinter::testing::check_record(r);
}

TEST(LinalgOps, Bmm) {
  OpRecord r;
  r.ops = {"bmm"};
  r.torch = "torch.bmm(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{bmm(x[0], x[1])}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{mk({2, 3, 4}, d), mk({2, 4, 5}, d)}, "plain"},
        {{mk({2, 4, 3}, d).mT(), mk({2, 5, 4}, d).mT()}, "transposed matrices"},
        {{mk({3, 2, 4}, d).permute({1, 0, 2}), mk({4, 2, 2}, d).permute({1, 0, 2})}, "batch dim not outermost"},
        {{mk({1, 2, 3}, d).expand({3, 2, 3}), mk({3, 3, 2}, d)}, "expanded batch (stride 0)"},
        {{mk({0, 3, 4}, d), mk({0, 4, 5}, d)}, "empty batch"},
        {{mk({2, 3, 0}, d), mk({2, 0, 5}, d)}, "K = 0"},
        {{mk({3, 40, 30}, d).mT(), mk({3, 40, 20}, d)}, "larger, transposed lhs"},
    };
  };
  r.dtypes = gemm_dtypes();
  r.grad_inputs = {0, 1};
  r.gradgradcheck = true;
  r.atol = 1e-4;
  r.errors = {
      expect_error<ShapeError>("batch", [] { bmm(ones({2, 3, 4}), ones({3, 4, 5})); },
                               "bmm: batch1 (2, 3, 4) and batch2 (3, 4, 5) have different batch sizes"),
      expect_error<ShapeError>("inner", [] { bmm(ones({2, 3, 4}), ones({2, 5, 5})); }, "cannot be multiplied (3x4 and 5x5)"),
      expect_error<ShapeError>("rank", [] { bmm(ones({3, 4}), ones({2, 4, 5})); }, "bmm: expected 3-D tensors"),
      expect_error<DTypeError>("dtype", [] { bmm(ones({2, 3, 4}, kInt), ones({2, 4, 5}, kFloat)); }, "bmm: expected batch1 and batch2"),
  };
  sinter::testing::check_record(r);
}

TEST(LinalgOps, Addmm) {
  for (auto [beta, alpha] : std::vector<std::pair<double, double>>{{1, 1}, {0.5, -2}, {0, 1}}) {
    OpRecord r;
    r.ops = {"addmm"};
    bool unit = beta == 1 && alpha == 1;
    r.torch = unit ? "torch.addmm(a0, a1, a2)"
                   : "torch.addmm(a0, a1, a2, beta=" + std::to_string(beta) + ", alpha=" + std::to_string(alpha) + ")";
    r.fn = [=](const TensorList& x) {
      return TensorList{unit ? addmm(x[0], x[1], x[2]) : x[0].addmm(x[1], x[2], beta, alpha)};
    };
    r.samples = [](DType d) {
      return std::vector<OpSample>{
          {{mk({3, 5}, d), mk({3, 4}, d), mk({4, 5}, d)}, "full self"},
          {{mk({5}, d), mk({3, 4}, d), mk({4, 5}, d)}, "1-D self (bias)"},
          {{mk({3, 1}, d), mk({3, 4}, d), mk_t(4, 5, d)}, "column self, transposed mat2"},
          {{mk({}, d), mk_t(3, 4, d), mk({4, 5}, d)}, "0-dim self"},
          {{mk({5}, d), mk({3, 0}, d), mk({0, 5}, d)}, "K = 0"},
          {{mk({30, 50}, d), mk({30, 40}, d), mk({50, 40}, d).t()}, "larger"},
          {{mk({50}, d), mk({40, 30}, d).t(), mk({40, 50}, d)}, "larger, 1-D self"},
      };
    };
    r.dtypes = {kFloat, kDouble};
    r.grad_inputs = {0, 1, 2};
    r.atol = 1e-4;
    r.errors = {
        expect_error<ShapeError>("self shape", [] { addmm(ones({3, 5}), ones({2, 3}), ones({3, 5})); },
                                 "addmm: self (3, 5) cannot be broadcast to the result (2, 5)"),
        expect_error<ShapeError>("inner", [] { addmm(ones({2, 5}), ones({2, 3}), ones({4, 5})); },
                                 "addmm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
        expect_error<DTypeError>("self dtype", [] { addmm(ones({2, 5}, kDouble), ones({2, 3}, kFloat), ones({3, 5}, kFloat)); },
                                 "addmm: expected self and mat2 to have the same dtype"),
    };
    sinter::testing::check_record(r);
  }
}

TEST(LinalgOps, AddmmBetaZeroIgnoresSelf) {
  // As in PyTorch, beta = 0 means self is not read: its NaNs do not reach the result.
  Tensor self = full({2, 2}, std::numeric_limits<double>::quiet_NaN(), kDouble);
  Tensor r = addmm(self, eye(2, kDouble), ones({2, 2}, kDouble), 0, 1);
  EXPECT_TRUE(r.equal(ones({2, 2}, kDouble)));
}

TEST(LinalgOps, Matmul) {
  OpRecord r;
  r.ops = {"matmul"};
  r.torch = "torch.matmul(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{matmul(x[0], x[1])}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{mk({4}, d), mk({4}, d)}, "1-D . 1-D (dot)"},
        {{mk({4}, d), mk({4, 3}, d)}, "1-D . 2-D"},
        {{mk({3, 4}, d), mk({4}, d)}, "2-D . 1-D"},
        {{mk({3, 4}, d), mk({4, 2}, d)}, "2-D . 2-D"},
        {{mk({2, 3, 4}, d), mk({4}, d)}, "batched . 1-D"},
        {{mk({4}, d), mk({2, 4, 3}, d)}, "1-D . batched"},
        {{mk({2, 3, 4}, d), mk({4, 2}, d)}, "batched . 2-D (rows folded)"},
        {{mk({3, 4}, d), mk({2, 4, 2}, d)}, "2-D . batched"},
        {{mk({2, 1, 3, 4}, d), mk({5, 4, 2}, d)}, "broadcast batch dims (2,1,3,4) @ (5,4,2)"},
        {{mk({2, 4, 3}, d).mT(), mk({2, 2, 4}, d).mT()}, "transposed batched"},
        {{mk({4, 2, 3}, d).permute({1, 2, 0}), mk({4, 2}, d)}, "permuted batched lhs"},
        {{mk({1, 3, 4}, d).expand({2, 3, 4}), mk({2, 4, 2}, d)}, "expanded lhs"},
        {{make_noncontiguous({2, 3, 4}, d, -2, 2), mk({4, 3}, d)}, "strided lhs (copied)"},
        {{mk({0, 3, 4}, d), mk({4, 2}, d)}, "empty batch"},
        {{mk({2, 3, 0}, d), mk({0, 2}, d)}, "K = 0"},
        {{mk({0}, d), mk({0}, d)}, "empty dot"},
    };
  };
  r.dtypes = gemm_dtypes();
  r.grad_inputs = {0, 1};
  r.gradgradcheck = true;
  r.errors = {
      expect_error<ShapeError>("inner", [] { matmul(ones({2, 3}), ones({4, 5})); },
                               "matmul: shapes (2, 3) and (4, 5) cannot be multiplied (3 != 4"),
      expect_error<ShapeError>("dot sizes", [] { matmul(ones({3}), ones({4})); }, "matmul: shapes (3,) and (4,)"),
      expect_error<ShapeError>("batch broadcast", [] { matmul(ones({2, 3, 4}), ones({3, 4, 5})); }, "matmul"),
      expect_error<ShapeError>("0-dim", [] { matmul(ones({}), ones({3})); }, "matmul: both arguments need to be at least 1-D"),
      expect_error<DTypeError>("dtype", [] { matmul(ones({2, 3}, kFloat), ones({3}, kDouble)); },
                               "matmul: expected both operands to have the same dtype, but got float32 and float64"),
  };
  sinter::testing::check_record(r);
}

TEST(LinalgOps, MatmulLarge) {
  // Sizes where oneDNN's blocked kernels and the batch folding do real work.
  OpRecord r;
  r.ops = {"matmul"};
  r.torch = "torch.matmul(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{matmul(x[0], x[1])}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{mk({96, 300}, d), mk({300, 130}, d)}, "96x300 @ 300x130"},
        {{mk({300, 96}, d).t(), mk({130, 300}, d).t()}, "both transposed"},
        {{mk({4, 33, 70}, d), mk({70, 65}, d)}, "batched @ shared weight"},
        {{mk({3, 1, 20, 40}, d), mk({2, 40, 30}, d)}, "broadcast batches"},
        {{mk({3, 40, 24}, d).mT(), mk({3, 20, 40}, d).mT()}, "transposed batched"},
        {{mk({40, 3, 24}, d).permute({1, 2, 0}), mk({3, 40, 20}, d)}, "permuted batched lhs"},
        {{mk({1, 24, 40}, d).expand({3, 24, 40}), mk({3, 40, 20}, d)}, "expanded lhs batch"},
        {{mk({24, 40}, d), mk({3, 40, 20}, d)}, "2-D @ batched"},
        {{mk({300}, d), mk({300, 40}, d)}, "1-D @ 2-D"},
        {{mk({40, 300}, d), mk({300}, d)}, "2-D @ 1-D"},
        {{mk({5, 30, 300}, d), mk({300}, d)}, "batched @ 1-D"},
        {{mk({300}, d), mk({4, 300, 20}, d)}, "1-D @ batched"},
        {{make_noncontiguous({30, 300}, d, -2, 2), mk({300, 20}, d)}, "strided lhs (copied)"},
    };
  };
  r.dtypes = {kFloat, kDouble, kLong};
  r.grad_inputs = {0, 1};
  r.atol = 1e-4;
  r.rtol = 1e-4;
  sinter::testing::check_record(r);
}

TEST(LinalgOps, Linear) {
  OpRecord r;
  r.ops = {"linear"};
  r.torch = "F.linear(a0, a1, a2)";
  r.fn = [](const TensorList& x) { return TensorList{linear(x[0], x[1], x[2])}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{mk({3, 4}, d), mk({5, 4}, d), mk({5}, d)}, "2-D with bias"},
        {{mk({3, 4}, d), mk({5, 4}, d), Tensor()}, "no bias"},
        {{mk({2, 3, 4}, d), mk({5, 4}, d), mk({5}, d)}, "3-D input"},
        {{mk({4}, d), mk({5, 4}, d), mk({5}, d)}, "1-D input"},
        {{mk({2, 3, 4}, d), mk({4}, d), Tensor()}, "1-D weight"},
        {{mk({4}, d), mk({4}, d), Tensor()}, "1-D input and weight"},
        {{mk({3, 4}, d), mk({5, 4}, d), mk({3, 5}, d)}, "bias of the output's shape"},
        {{make_noncontiguous({3, 4}, d, -2, 2), mk({4, 5}, d).t(), mk({5}, d)}, "strided input, transposed weight"},
        {{mk({4, 2, 3}, d).permute({1, 0, 2}), mk({5, 3}, d), mk({5}, d)}, "permuted 3-D input"},
        {{mk({0, 4}, d), mk({5, 4}, d), mk({5}, d)}, "empty batch"},
        {{mk({4, 30, 40}, d), mk({50, 40}, d), mk({50}, d)}, "larger 3-D with bias"},
        {{mk({30, 40}, d), mk({40, 50}, d).t(), Tensor()}, "larger, transposed weight, no bias"},
        {{mk({30, 40}, d), mk({50, 40}, d), mk({30, 50}, d)}, "larger, full-shape bias"},
    };
  };
  r.dtypes = {kFloat, kDouble, kLong};
  r.grad_inputs = {0, 1, 2};
  r.gradgradcheck = true;
  r.atol = 1e-4;
  r.errors = {
      expect_error<ShapeError>("in_features", [] { linear(ones({32, 785}), ones({256, 784})); },
                               "linear: input (32, 785) does not match weight (256, 784)"),
      expect_error<ShapeError>("bias", [] { linear(ones({32, 784}), ones({256, 784}), ones({255})); },
                               "linear: bias (255,) does not match the output (32, 256)"),
      expect_error<DTypeError>("weight dtype", [] { linear(ones({2, 4}, kFloat), ones({3, 4}, kDouble)); },
                               "linear: expected input and weight to have the same dtype, but got float32 and float64"),
      expect_error<DTypeError>("bias dtype", [] { linear(ones({2, 4}, kFloat), ones({3, 4}, kFloat), ones({3}, kDouble)); },
                               "linear: expected input and bias"),
      expect_error<ShapeError>("3-D weight", [] { linear(ones({2, 4}), ones({3, 4, 1})); }, "linear: weight must be 1-D or 2-D"),
  };
  sinter::testing::check_record(r);
}

// The fused inference linear (a oneDNN matmul with an eltwise post-op on the larger samples)
// against the unfused PyTorch computation.
TEST(LinalgOps, LinearFused) {
  const ops::OpDef& op = *ops::Registry::get().find("linear_fused");
  auto fused = [&op](const Tensor& x, const Tensor& w, const Tensor& b, const std::string& act, double lo, double hi) {
    return ops::call(op, {x, w, b}, {act, lo, hi});
  };
  struct Case {
    std::string act, torch;
    double lo, hi;
  };
  for (const Case& cs : {Case{"relu", "torch.relu(F.linear(a0, a1, a2))", 0, 0},
                         Case{"clamp", "torch.clamp(F.linear(a0, a1, a2), -0.5, 6)", -0.5, 6},
                         Case{"none", "F.linear(a0, a1, a2)", 0, 0}}) {
    SCOPED_TRACE(cs.act);
    OpRecord r;
    r.ops = {"linear_fused"};
    r.torch = cs.torch;
    r.fn = [=](const TensorList& x) { return TensorList{fused(x[0], x[1], x[2], cs.act, cs.lo, cs.hi)}; };
    r.samples = [](DType d) {
      return std::vector<OpSample>{
          {{mk({3, 4}, d), mk({5, 4}, d), mk({5}, d)}, "small (plain loop)"},
          {{mk({4, 30, 40}, d), mk({50, 40}, d), mk({50}, d)}, "3-D input"},
          {{mk({30, 40}, d), mk({40, 50}, d).t(), Tensor()}, "transposed weight, no bias"},
          {{mk({30, 40}, d), mk({50, 40}, d), mk({30, 50}, d)}, "full-shape bias"},
      };
    };
    r.dtypes = {kFloat, kDouble};
    r.grad_inputs = {};
    r.gradcheck = false;
    r.atol = 1e-4;
    if (cs.act == "relu")
      r.errors = {
          expect_error<ShapeError>("in_features", [&] { fused(ones({3, 5}), ones({4, 4}), {}, "relu", 0, 0); },
                                   "linear: input (3, 5) does not match weight (4, 4)"),
          expect_error<ValueError>("activation", [&] { fused(ones({3, 4}), ones({4, 4}), {}, "swish", 0, 0); },
                                   "linear_fused: unknown activation 'swish'"),
      };
    sinter::testing::check_record(r);
  }
}

TEST(LinalgOps, Dot) {
  OpRecord r;
  r.ops = {"matmul"};
  r.torch = "torch.dot(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{x[0].dot(x[1])}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{mk({5}, d), mk({5}, d)}, "plain"},
        {{make_noncontiguous({5}, d, -2, 2), mk({5}, d)}, "strided"},
        {{mk({0}, d), mk({0}, d)}, "empty"},
    };
  };
  r.dtypes = gemm_dtypes();
  r.grad_inputs = {0, 1};
  r.errors = {
      expect_error<ShapeError>("sizes", [] { dot(ones({3}), ones({4})); }, "dot: inconsistent tensor sizes (3,) and (4,)"),
      expect_error<ShapeError>("2-D", [] { dot(ones({3, 1}), ones({3})); }, "dot: expected 1-D tensors, but got (3, 1) and (3,)"),
      expect_error<DTypeError>("dtype", [] { dot(ones({3}, kFloat), ones({3}, kDouble)); }, "dot: expected both operands to have the same dtype"),
  };
  sinter::testing::check_record(r);
}

TEST(LinalgOps, Mv) {
  OpRecord r;
  r.ops = {"matmul"};
  r.torch = "torch.mv(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{x[0].mv(x[1])}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{mk({3, 4}, d), mk({4}, d)}, "plain"},
        {{mk_t(3, 4, d), make_noncontiguous({4}, d, -2, 2)}, "transposed matrix, strided vector"},
        {{mk({0, 4}, d), mk({4}, d)}, "empty"},
    };
  };
  r.dtypes = gemm_dtypes();
  r.grad_inputs = {0, 1};
  r.errors = {
      expect_error<ShapeError>("sizes", [] { mv(ones({2, 3}), ones({4})); }, "mv: size mismatch, matrix (2, 3) and vector (4,)"),
      expect_error<ShapeError>("rank", [] { mv(ones({2, 3}), ones({3, 1})); }, "mv: expected a 2-D matrix and a 1-D vector"),
      expect_error<DTypeError>("dtype", [] { mv(ones({2, 3}, kDouble), ones({3}, kFloat)); }, "mv: expected matrix and vector"),
  };
  sinter::testing::check_record(r);
}

TEST(LinalgOps, Outer) {
  OpRecord r;
  r.ops = {"mul"};
  r.torch = "torch.outer(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{x[0].outer(x[1])}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{mk({3}, d), mk({4}, d)}, "plain"},
        {{make_noncontiguous({3}, d, -2, 2), mk({0}, d)}, "strided, empty"},
    };
  };
  r.dtypes = gemm_dtypes();
  r.grad_inputs = {0, 1};
  r.errors = {expect_error<ShapeError>("2-D", [] { outer(ones({3}), ones({2, 2})); }, "outer: expected 1-D vectors, but got (3,) and (2, 2)")};
  sinter::testing::check_record(r);
  // Like PyTorch, outer promotes mixed dtypes.
  EXPECT_EQ(outer(ones({2}, kInt), ones({3}, kFloat)).dtype(), kFloat);
}

TEST(LinalgOps, Einsum) {
  struct Case {
    std::string eq;
    std::vector<std::vector<int64_t>> shapes;
  };
  std::vector<Case> cases = {
      {"ij,jk->ik", {{3, 4}, {4, 5}}},
      {"ij,jk", {{3, 4}, {4, 2}}},                      // implicit output
      {"bij,bjk->bik", {{2, 3, 4}, {2, 4, 5}}},
      {"bij,bjk->bik", {{2, 3, 4}, {1, 4, 5}}},         // size-1 broadcast
      {"i,i", {{5}, {5}}},                              // dot
      {"i,j->ij", {{3}, {4}}},                          // outer
      {"ij,ij->ij", {{3, 4}, {3, 4}}},                  // elementwise
      {"ij->ji", {{3, 4}}},
      {"ij->", {{3, 4}}},
      {"ii->i", {{4, 4}}},                              // diagonal
      {"ii", {{4, 4}}},                                 // trace
      {"...ij,...jk", {{5, 2, 3}, {3, 4}}},             // ellipsis
      {"b...i,bi->b...", {{2, 3, 4}, {2, 4}}},
      {"ij,jk,kl->il", {{2, 3}, {3, 4}, {4, 5}}},       // three operands
      {"bn,anm,bm->ba", {{2, 3}, {4, 3, 5}, {2, 5}}},   // bilinear
      {"ijk,jl,kl->il", {{2, 3, 4}, {3, 5}, {4, 5}}},
      {"ab,cd->", {{2, 3}, {4, 5}}},
      {"iij,jk->ik", {{3, 3, 4}, {4, 2}}},              // diagonal, then a contraction
  };
  for (auto& cs : cases) {
    OpRecord r;
    std::string args;
    for (size_t i = 0; i < cs.shapes.size(); ++i) args += ", a" + std::to_string(i);
    r.torch = "torch.einsum('" + cs.eq + "'" + args + ")";
    r.fn = [eq = cs.eq](const TensorList& x) { return TensorList{einsum(eq, x)}; };
    r.samples = [shapes = cs.shapes](DType d) {
      TensorList in;
      for (auto& s : shapes) in.push_back(mk(s, d));
      return std::vector<OpSample>{{in, "sample"}};
    };
    r.dtypes = {kFloat, kDouble, kLong};
    r.grad_inputs.clear();
    for (size_t i = 0; i < cs.shapes.size(); ++i) r.grad_inputs.push_back(i);
    sinter::testing::check_record(r);
  }
  OpRecord r;
  r.torch = "torch.einsum('ij,jk->ik', a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{einsum("ij,jk->ik", x)}; };
  r.samples = [](DType d) { return std::vector<OpSample>{{{mk({2, 3}, d), mk({3, 2}, d)}, "sample"}}; };
  r.gradgradcheck = true;
  r.grad_inputs = {0, 1};
  r.errors = {
      expect_error<ValueError>("operands", [] { einsum("ij,jk->ik", {ones({2, 3})}); },
                               "einsum(): fewer operands were provided than specified in the equation"),
      expect_error<ShapeError>("sizes", [] { einsum("ij,jk", {ones({2, 3}), ones({4, 4})}); },
                               "einsum(): subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3"),
      expect_error<ValueError>("repeated output", [] { einsum("ij,jk->ikk", {ones({2, 3}), ones({3, 4})}); },
                               "einsum(): output subscript k appears more than once in the output"),
      expect_error<ValueError>("unknown output", [] { einsum("ij,jk->iz", {ones({2, 3}), ones({3, 4})}); },
                               "einsum(): output subscript z does not appear in the equation for any input operand"),
      expect_error<ShapeError>("rank", [] { einsum("ij,jk->ik", {ones({2, 3, 1}), ones({3, 4})}); },
                               "einsum(): the number of subscripts in the equation (2) does not match the number of dimensions (3) for operand 0"),
      expect_error<DTypeError>("dtype", [] { einsum("i,i", {ones({3}, kFloat), ones({3}, kDouble)}); },
                               "einsum(): expected all operands to have the same dtype"),
      expect_error<ShapeError>("repeated sizes", [] { einsum("ii", {ones({2, 3}, kFloat)}); },
                               "einsum(): subscript i is repeated for operand 0 but the sizes don't match, 2 != 3"),
      expect_error<ValueError>("bad subscript", [] { einsum("i1,i", {ones({3, 3}), ones({3})}); }, "einsum(): invalid subscript"),
  };
  sinter::testing::check_record(r);
}

TEST(LinalgOps, BFloat16) {
  // bfloat16 products accumulate in float32 and round once: they match the float32 product of the
  // same (bfloat16-valued) inputs to bfloat16 precision, for every entry point and layout.
  Tensor a = randn({2, 17, 70}).to(kBFloat16), b = randn({70, 33}).to(kBFloat16), bias = randn({33}).to(kBFloat16);
  Tensor af = a.to(kFloat), bf = b.to(kFloat), biasf = bias.to(kFloat);
  auto close = [](const Tensor& x, const Tensor& ref) {
    EXPECT_EQ(x.dtype(), kBFloat16);
    return sinter::testing::tensors_close(x.to(kFloat), ref.to(kBFloat16).to(kFloat), 1e-2, 1e-2);
  };
  EXPECT_TRUE(close(matmul(a, b), matmul(af, bf)));
  EXPECT_TRUE(close(mm(a[0], b), mm(af[0], bf)));
  EXPECT_TRUE(close(mm(b.t(), a[1].t()), mm(bf.t(), af[1].t())));
  EXPECT_TRUE(close(bmm(a, b.expand({2, 70, 33})), bmm(af, bf.expand({2, 70, 33}))));
  EXPECT_TRUE(close(addmm(bias, a[0], b, 0.5, 2), addmm(biasf, af[0], bf, 0.5, 2)));
  EXPECT_TRUE(close(linear(a, b.t(), bias), linear(af, bf.t(), biasf)));
  // Gradients flow in bfloat16 too.
  Tensor x = a.detach().requires_grad_(), xf = af.detach().requires_grad_();
  matmul(x, b).sum().backward();
  matmul(xf, bf).sum().backward();
  EXPECT_TRUE(close(x.grad(), xf.grad()));
}

TEST(LinalgOps, PrimitiveCacheReused) {
  using kernels::onednn::cache_stats;
  Tensor b = randn({48, 40});
  mm(randn({64, 48}), b);
  auto before = cache_stats();
  for (int i = 0; i < 3; ++i) mm(randn({64, 48}), randn({48, 40}));
  auto after = cache_stats();
  EXPECT_EQ(after.misses, before.misses);  // the same shape builds nothing
  EXPECT_EQ(after.hits, before.hits + 3);
  mm(randn({65, 48}), b);  // a new shape is a new primitive
  EXPECT_EQ(cache_stats().misses, after.misses + 1);
}

TEST(LinalgOps, TransposedOperandsAreReadInPlace) {
  // A transposed view and its contiguous copy give the same product (no layout confusion).
  Tensor a = randn({40, 30}), b = randn({50, 40});
  Tensor r1 = matmul(a.t(), b.t());
  Tensor r2 = matmul(a.t().contiguous(), b.t().contiguous());
  EXPECT_TRUE(r1.allclose(r2, 1e-5, 1e-5));
  // Views that start inside their storage (non-zero offsets), in the oneDNN and the plain path.
  Tensor big = randn({3, 50, 60});
  Tensor x = big[1].narrow(0, 5, 40), y = big[2].narrow(0, 2, 45).t();  // (40, 60), (60, 45) transposed
  EXPECT_TRUE(matmul(x, y).allclose(matmul(x.contiguous(), y.contiguous()), 1e-5, 1e-5));
  Tensor xs = big[2].narrow(0, 3, 2).narrow(1, 1, 3), ys = big[1].narrow(0, 2, 3).narrow(1, 4, 2);  // (2, 3) @ (3, 2)
  EXPECT_TRUE(mm(xs, ys).allclose(mm(xs.contiguous(), ys.contiguous()), 1e-5, 1e-5));
}

TEST(LinalgOps, MatmulDoubleBackward) {
  // A function with a non-zero second derivative in both operands: (a @ b) * (a @ b).
  Tensor a = randn({3, 4}, kDouble).requires_grad_(), b = randn({4, 2}, kDouble).requires_grad_();
  auto f = [](const TensorList& x) {
    Tensor y = matmul(x[0], x[1]);
    return TensorList{y * y};
  };
  EXPECT_TRUE(gradcheck(f, {a, b}));
  EXPECT_TRUE(gradgradcheck(f, {a, b}));
}
