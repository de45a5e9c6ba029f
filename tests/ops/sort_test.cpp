// Records for topk, unique and det.
#include "op_record.h"

#include <cmath>

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::tensors_close;

namespace {

/// Distinct values (a shuffled range, shifted) so that the order is unambiguous for every dtype.
Tensor distinct(IntArrayRef shape, DType d) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return (randperm(n).to(kDouble) - static_cast<double>(n / 2)).view(shape).to(d);
}

std::string py_bool(bool b) { return b ? "True" : "False"; }

}  // namespace

TEST(SortOps, TopK) {
  struct Variant {
    int64_t k, dim;
    bool largest;
  };
  for (Variant v : {Variant{3, -1, true}, Variant{2, 0, true}, Variant{1, 1, false}, Variant{0, -1, false}}) {
    OpRecord r;
    r.ops = {"topk"};
    r.torch = "tuple(torch.topk(a0, " + std::to_string(v.k) + ", dim=" + std::to_string(v.dim) +
              ", largest=" + py_bool(v.largest) + "))";
    r.fn = [v](const TensorList& x) {
      auto [values, indices] = topk(x[0], v.k, v.dim, v.largest);
      return TensorList{values, indices};
    };
    r.samples = [](DType d) {
      return std::vector<OpSample>{{{distinct({4, 5}, d)}, "2-D"},
                                   {{distinct({3, 4, 5}, d).transpose(0, 2)}, "3-D non-contiguous"},
                                   {{distinct({2, 3, 4}, d)}, "3-D"}};
    };
    r.dtypes = {kFloat, kDouble, kLong, kInt};
    r.errors = {expect_error<ValueError>("k too large", [] { topk(ones({2, 3}), 4); }, "topk: k 4 is out of range"),
                expect_error<IndexError>("dim", [] { topk(ones({2, 3}), 1, 2); }, "topk"),
                expect_error<DTypeError>("bool", [] { topk(ones({3}, kBool), 1); }, "topk")};
    sinter::testing::check_record(r);
  }
}

// ONNX's order for equal values (lower index first) and NaN as the largest value.
TEST(SortOps, TopKTiesAndNaN) {
  Tensor x = tensor({1.0, 3.0, 3.0, 2.0, 3.0, 1.0}).to(kFloat);
  auto [v, i] = topk(x, 4);
  EXPECT_TRUE(v.equal(tensor({3.0, 3.0, 3.0, 2.0}).to(kFloat)));
  EXPECT_TRUE(i.equal(tensor({1, 2, 4, 3}).to(kLong)));
  auto [vs, is] = topk(x, 3, 0, false);
  EXPECT_TRUE(is.equal(tensor({0, 5, 3}).to(kLong)));
  Tensor y = tensor({1.0, std::nan(""), 2.0}).to(kFloat);
  auto [vn, in] = topk(y, 2);
  EXPECT_TRUE(in.equal(tensor({1, 2}).to(kLong)));
}

TEST(SortOps, Unique) {
  const char* stmt =
      "def uq(t, dim=None):\n"
      "    v, inv, cnt = torch.unique(t, sorted=True, return_inverse=True, return_counts=True, dim=dim)\n"
      "    inv = inv.reshape(-1)\n"
      "    n = inv.numel()\n"
      "    first = torch.full((cnt.numel(),), n, dtype=torch.int64).scatter_reduce(0, inv, torch.arange(n), 'amin')\n"
      "    return (v, first, inv, cnt)\n";
  for (int dim : {-2, 0, 1}) {  // -2: flattened
    OpRecord r;
    r.ops = {"unique"};
    r.stmt = stmt;
    r.torch = dim == -2 ? "uq(a0)" : "uq(a0, dim=" + std::to_string(dim) + ")";
    r.fn = [dim](const TensorList& x) {
      auto [v, first, inv, cnt] = dim == -2 ? unique(x[0]) : unique(x[0], true, dim);
      return TensorList{v, first, inv, cnt};
    };
    r.samples = [](DType d) {
      return std::vector<OpSample>{{{make_tensor({6, 2}, kLong, 0, 2).to(d)}, "2-D with repeats"},
                                   {{make_tensor({4, 5}, kLong, 0, 2).to(d).t()}, "non-contiguous"},
                                   {{make_tensor({3, 3}, kLong, 0, 9).to(d)}, "3x3"}};
    };
    r.dtypes = {kFloat, kDouble, kLong, kInt};
    r.grad_inputs = {};
    r.errors = {expect_error<IndexError>("dim", [] { unique(ones({2, 3}), true, 2); }, "unique")};
    sinter::testing::check_record(r);
  }
}

// sorted = false keeps the order of first occurrence (ONNX's Unique example).
TEST(SortOps, UniqueUnsorted) {
  auto [v, first, inv, cnt] = unique(tensor({2.0, 1.0, 1.0, 3.0, 4.0, 3.0}).to(kFloat), false);
  EXPECT_TRUE(v.equal(tensor({2.0, 1.0, 3.0, 4.0}).to(kFloat)));
  EXPECT_TRUE(first.equal(tensor({0, 1, 3, 4}).to(kLong)));
  EXPECT_TRUE(inv.equal(tensor({0, 1, 1, 2, 3, 2}).to(kLong)));
  EXPECT_TRUE(cnt.equal(tensor({1, 2, 2, 1}).to(kLong)));
}

TEST(SortOps, Det) {
  OpRecord r;
  r.ops = {"det"};
  r.torch = "torch.linalg.det(a0)";
  r.fn = [](const TensorList& x) { return TensorList{det(x[0])}; };
  r.samples = [](DType d) {
    Tensor singular = make_tensor({3, 3}, d);
    singular.select(0, 2).copy_(singular.select(0, 0));
    return std::vector<OpSample>{{{make_tensor({3, 3}, d)}, "3x3"},
                                 {{make_tensor({2, 4, 4}, d)}, "batched"},
                                 {{make_noncontiguous({5, 5}, d)}, "non-contiguous"},
                                 {{make_tensor({1, 1}, d)}, "1x1"},
                                 {{make_tensor({2, 0, 0}, d)}, "0x0"},
                                 {{singular}, "singular"}};
  };
  r.grad_inputs = {};
  r.errors = {expect_error<ShapeError>("not square", [] { det(ones({2, 3})); }, "det: expected square matrices"),
              expect_error<ShapeError>("1-D", [] { det(ones({3})); }, "det"),
              expect_error<DTypeError>("int", [] { det(ones({2, 2}, kLong)); }, "det")};
  sinter::testing::check_record(r);
}
