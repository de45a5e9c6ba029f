// Test records for indexing: the TensorIndex syntax against Python's, advanced indexing
// (index, index_put), index_select, gather/scatter, masked_fill/masked_select, nonzero.
#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using namespace sinter::indexing;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::TorchRef;
using sinter::testing::check_record;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::tensors_close;

namespace {

std::vector<DType> all() { return sinter::testing::all_dtypes(); }

Tensor idx(std::initializer_list<int64_t> v) { return tensor(v); }
Tensor rand_index(IntArrayRef shape, int64_t n) { return randint(-n, n, shape, kLong); }
/// Non-negative indices (index_select, gather and scatter reject negative ones, as PyTorch does).
Tensor pos_index(IntArrayRef shape, int64_t n) { return randint(0, n, shape, kLong); }
/// k distinct indices of [0, n) (no duplicate writes, so assignment is well defined).
Tensor unique_index(int64_t k, int64_t n) { return randperm(n).slice(0, 0, k); }

/// x.index(indices) must equal `expr` evaluated by PyTorch over a0 = x, a1... = extra.
void expect_index(const Tensor& x, const std::vector<TensorIndex>& indices, const TensorList& extra, const std::string& expr) {
  SCOPED_TRACE(expr);
  auto& ref = TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  TensorList in{x};
  in.insert(in.end(), extra.begin(), extra.end());
  auto res = ref.run(expr, in);
  ASSERT_TRUE(res.ok) << res.error_type << ": " << res.message;
  Tensor got = x.index(indices);
  EXPECT_TRUE(tensors_close(got, res.outputs[0]));
}

/// b = x.clone(); b[indices] = value must equal PyTorch's `b[<py>] = a1`.
void expect_setitem(const Tensor& x, const std::vector<TensorIndex>& indices, const Tensor& value, const TensorList& extra,
                    const std::string& py) {
  SCOPED_TRACE(py);
  auto& ref = TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  TensorList in{x, value};
  in.insert(in.end(), extra.begin(), extra.end());
  auto res = ref.run("b", in, {}, {}, "b = a0.clone()\nb[" + py + "] = a1");
  ASSERT_TRUE(res.ok) << res.error_type << ": " << res.message;
  Tensor b = x.clone();
  b.index_put_(indices, value);
  EXPECT_TRUE(tensors_close(b, res.outputs[0]));
}

}  // namespace

TEST(IndexOps, BasicSyntax) {
  Tensor x = make_tensor({4, 3, 5}, kFloat);
  expect_index(x, {Slice(1, None), None, Ellipsis, 0}, {}, "a0[1:, None, ..., 0]");
  expect_index(x, {0}, {}, "a0[0]");
  expect_index(x, {-1, 2}, {}, "a0[-1, 2]");
  expect_index(x, {1, Slice(), 2}, {}, "a0[1, :, 2]");
  expect_index(x, {Slice()}, {}, "a0[:]");
  expect_index(x, {Slice(None, None, 2)}, {}, "a0[::2]");
  expect_index(x, {Slice(-2, None)}, {}, "a0[-2:]");
  expect_index(x, {Slice(None, -1), Slice(1, None, 2)}, {}, "a0[:-1, 1::2]");
  expect_index(x, {Slice(5, 1)}, {}, "a0[5:1]");
  expect_index(x, {Slice(-10, 10)}, {}, "a0[-10:10]");
  expect_index(x, {Ellipsis, Slice(1, 3)}, {}, "a0[..., 1:3]");
  expect_index(x, {Ellipsis}, {}, "a0[...]");
  expect_index(x, {0, Ellipsis}, {}, "a0[0, ...]");
  expect_index(x, {Ellipsis, None}, {}, "a0[..., None]");
  expect_index(x, {None, Ellipsis, None, 1}, {}, "a0[None, ..., None, 1]");
  expect_index(x, {None}, {}, "a0[None]");
  expect_index(x, {true}, {}, "a0[True]");
  expect_index(x, {false}, {}, "a0[False]");
  expect_index(x, {None, true, 0}, {}, "a0[None, True, 0]");
  expect_index(x.transpose(0, 2), {Slice(1, None), 1}, {}, "a0[1:, 1]");
  Tensor s = make_tensor({}, kDouble);
  expect_index(s, {Ellipsis}, {}, "a0[...]");
  expect_index(s, {None}, {}, "a0[None]");
  expect_index(s, {true}, {}, "a0[True]");
  // Basic indexing returns views.
  Tensor v = x.index({Slice(1, None), 0});
  EXPECT_EQ(v.storage(), x.storage());
}

TEST(IndexOps, AdvancedSyntax) {
  Tensor x = make_tensor({4, 3, 5}, kFloat);
  Tensor i = idx({2, 0, -1, 2}), j = idx({1, 2, 0, 0}), col = idx({0, 2}).view({2, 1}), k = idx({4, 1, 2});
  expect_index(x, {i}, {i}, "a0[a1]");
  expect_index(x, {Slice(), j}, {j}, "a0[:, a1]");
  expect_index(x, {i, j}, {i, j}, "a0[a1, a2]");
  expect_index(x, {i, Slice(), i}, {i}, "a0[a1, :, a1]");       // separated: broadcast dims go first
  expect_index(x, {Slice(), col, k}, {col, k}, "a0[:, a1, a2]");  // adjacent in the middle, broadcast (2, 3)
  expect_index(x, {col, None, j}, {col, j}, "a0[a1, None, a2]");  // None between: not adjacent
  expect_index(x, {Ellipsis, k}, {k}, "a0[..., a1]");
  expect_index(x, {1, Slice(), k}, {k}, "a0[1, :, a1]");
  expect_index(x, {i.to(kInt)}, {i}, "a0[a1]");  // int32 indices
  expect_index(x, {tensor(int64_t(2))}, {}, "a0[2]");
  expect_index(x, {Slice(), scalar_tensor(true, kBool)}, {}, "a0[:, True]");
  expect_index(x, {Slice(), scalar_tensor(false, kBool)}, {}, "a0[:, False]");
  expect_index(x, {empty({0}, kLong)}, {}, "a0[torch.zeros(0, dtype=torch.long)]");
  Tensor m = make_tensor({4, 3}, kBool), m1 = make_tensor({5}, kBool);
  expect_index(x, {m}, {m}, "a0[a1]");
  expect_index(x, {Ellipsis, m1}, {m1}, "a0[..., a1]");
  expect_index(x, {Slice(), Slice(), m1}, {m1}, "a0[:, :, a1]");
  expect_index(x, {m.to(kByte)}, {m}, "a0[a1]");
  // A k-dim mask consumes k dims (as in NumPy; PyTorch 1.13 advances by one dim).
  expect_index(x, {m, 0}, {m}, "a0[:, :, 0][a1]");
  Tensor k1 = k.slice(0, 0, 1);
  expect_index(x, {m, k1}, {m, k1}, "a0[:, :, a2[0]][a1]");
  // operator[](Tensor)
  EXPECT_TRUE(x[i].equal(x.index({i})));
}

TEST(IndexOps, IndexingErrors) {
  Tensor x = ones({2, 3});
  auto check = [](std::function<void()> f, auto* type, std::string contains) {
    try {
      f();
      ADD_FAILURE() << "expected an error containing " << contains;
    } catch (const std::exception& e) {
      using E = std::remove_pointer_t<decltype(type)>;
      EXPECT_NE(dynamic_cast<const E*>(&e), nullptr) << e.what();
      EXPECT_NE(std::string(e.what()).find(contains), std::string::npos) << e.what();
    }
  };
  IndexError* ie = nullptr;
  DTypeError* de = nullptr;
  ValueError* ve = nullptr;
  check([&] { x.index({0, 0, 0}); }, ie, "too many indices for tensor of dimension 2");
  check([&] { x.index({5}); }, ie, "index 5 is out of bounds for dimension 0 with size 2");
  check([&] { x.index({0, -4}); }, ie, "index -4 is out of bounds for dimension 1 with size 3");
  check([&] { x.index({Ellipsis, Ellipsis}); }, ie, "single ellipsis");
  check([&] { x.index({Slice(None, None, 0)}); }, ve, "step");
  check([&] { x.index({Slice(None, None, -1)}); }, ve, "step");
  check([&] { ones({}).index({0}); }, ie, "invalid index of a 0-dim tensor");
  check([&] { x.index({idx({2})}); }, ie, "index: index 2 is out of bounds for dimension 0 with size 2");
  check([&] { x.index({Slice(), idx({-4})}); }, ie, "index -4 is out of bounds for dimension 1 with size 3");
  check([&] { x.index({tensor({0.5})}); }, de, "tensors used as indices must be long, int, byte or bool tensors");
  check([&] { x.index({idx({0, 1}), idx({0, 1, 2})}); }, ie, "shape mismatch: indexing tensors could not be broadcast together");
  check([&] { x.index({ones({2, 4}, kBool)}); }, ie, "shape of the mask [2, 4] at index 1 does not match");
  check([&] { x.index({ones({3}, kBool)}); }, ie, "shape of the mask [3] at index 0 does not match");
  check([&] { x.index({ones({2, 3, 1}, kBool)}); }, ie, "too many indices");
  check([&] { index(x, std::vector<std::optional<Tensor>>{idx({0}), idx({0}), idx({0})}); }, ie, "too many indices");
}

TEST(IndexOps, Index) {
  OpRecord r;
  r.ops = {"index"};
  r.torch = "(a0[a1], a0[:, a2], a0[a1, :, a2], a0[a3.long(), a2], a0[a3.long(), 1:])";
  r.fn = [](const TensorList& x) {
    return TensorList{x[0].index({x[1]}), x[0].index({Slice(), x[2]}), x[0].index({x[1], Slice(), x[2]}),
                      x[0].index({x[3], x[2]}), x[0].index({x[3], Slice(1, None)})};
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{make_tensor({4, 3, 3}, d), rand_index({5}, 3), rand_index({2, 1}, 3), rand_index({1, 3}, 4).to(kInt)}, "3-D"},
        {{make_noncontiguous({4, 3, 3}, d), rand_index({2}, 3), rand_index({}, 3), rand_index({}, 4).to(kInt)},
         "non-contiguous, 0-dim indices"},
        {{make_tensor({4, 3, 3}, d), rand_index({0}, 3), rand_index({1}, 3), rand_index({3}, 4).to(kInt)}, "empty index"}};
  };
  r.dtypes = all();
  r.gradgradcheck = true;
  check_record(r);
}

TEST(IndexOps, IndexLarge) {
  // Rows long enough for the parallel and memcpy paths, and an index along the last dim.
  OpRecord r;
  r.ops = {"index"};
  r.torch = "(a0[a1], a0[:, a2])";
  r.fn = [](const TensorList& x) { return TensorList{x[0].index({x[1]}), x[0].index({Slice(), x[2]})}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({64, 600}, d), rand_index({100}, 64), rand_index({50, 2}, 600)}, "large"}};
  };
  r.dtypes = {kFloat, kByte};
  check_record(r);
}

TEST(IndexOps, IndexPut) {
  for (bool acc : {false, true}) {
    OpRecord r;
    r.ops = {"index_put"};
    std::string a = acc ? "True" : "False";
    r.torch = "(a0.index_put((a2,), a1, accumulate=" + a + "), a0.index_put((torch.arange(4)[:, None], a3), a1[:1, :1], accumulate=" + a +
              "), a0.index_put((a2[:2, None], a3), a1[:1, 0], accumulate=" + a + "))";
    r.fn = [acc](const TensorList& x) {
      using O = std::vector<std::optional<Tensor>>;
      return TensorList{index_put(x[0], O{x[2]}, x[1], acc),
                        index_put(x[0], O{std::nullopt, x[3]}, x[1].slice(0, 0, 1).slice(1, 0, 1), acc),
                        index_put(x[0], O{x[2].slice(0, 0, 2).unsqueeze(1), x[3]}, x[1].slice(0, 0, 1).select(1, 0), acc)};
    };
    r.samples = [acc](DType d) {
      // Accumulation takes duplicate indices; assignment only distinct ones.
      Tensor i = acc ? rand_index({3}, 4) : unique_index(3, 4), j = acc ? rand_index({2}, 5) : unique_index(2, 5);
      return std::vector<OpSample>{{{make_tensor({4, 5}, d), make_tensor({3, 5}, d), i, j}, "2-D"},
                                   {{make_noncontiguous({4, 5}, d), make_tensor({3, 1}, d), i, j}, "non-contiguous, broadcast"}};
    };
    r.dtypes = all();
    if (acc) r.dtypes = {kFloat, kDouble, kLong, kInt, kShort, kChar, kByte};  // half sums round in another order
    r.grad_inputs = {0, 1};
    r.gradgradcheck = true;
    r.errors = {
        expect_error<IndexError>("bounds", [acc] { index_put(ones({3}), {idx({3})}, ones({1}), acc); },
                                 "index_put: index 3 is out of bounds for dimension 0 with size 3"),
        expect_error<DTypeError>("dtype", [acc] { index_put(ones({3}), {idx({0})}, ones({1}, kDouble), acc); }, "index_put"),
        expect_error<ShapeError>("values shape", [acc] { index_put(ones({3}), {idx({0, 1})}, ones({3}), acc); },
                                 "value tensor of shape (3,) cannot be broadcast to indexing result of shape (2,)"),
        expect_error<DTypeError>("index dtype", [acc] { index_put(ones({3}), {ones({1})}, ones({1}), acc); }, "index_put")};
    check_record(r);
  }
  // Duplicates add up with accumulate, for integers too.
  Tensor z = zeros({3}, kLong);
  EXPECT_TRUE(index_put(z, {idx({0, 0, 2, 0})}, tensor({1, 2, 3, 4}), true).equal(tensor({7, 0, 3})));
}

TEST(IndexOps, SetItem) {
  Tensor x = make_tensor({4, 3, 5}, kFloat);
  Tensor i = unique_index(2, 4), m = make_tensor({4, 3}, kBool);
  expect_setitem(x, {0}, make_tensor({3, 5}, kFloat), {}, "0");
  expect_setitem(x, {Slice(1, None), None, Ellipsis, 0}, make_tensor({3}, kFloat), {}, "1:, None, ..., 0");
  expect_setitem(x, {Ellipsis, 1}, make_tensor({1, 1, 3}, kFloat), {}, "..., 1");  // leading ones dropped
  expect_setitem(x, {Slice(None, None, 2), 1}, make_tensor({}, kFloat), {}, "::2, 1");
  expect_setitem(x, {i}, make_tensor({5}, kFloat), {i}, "a2");
  expect_setitem(x, {Slice(), Slice(1, None), i}, make_tensor({2, 2}, kFloat).t(), {i}, ":, 1:, a2");
  expect_setitem(x, {m}, make_tensor({5}, kFloat), {m}, "a2");
  expect_setitem(x, {true}, make_tensor({3, 5}, kFloat), {}, "True");
  expect_setitem(x, {false}, make_tensor({3, 5}, kFloat), {}, "False");
  Tensor y = x.clone();
  y.index_put_({0, Slice(1, 3)}, 2.5);
  EXPECT_TRUE(y.index({0, Slice(1, 3)}).eq(2.5).all().item<bool>());
  Tensor yi = zeros({3}, kLong);
  yi.index_put_({idx({0, 2})}, 7);
  EXPECT_TRUE(yi.equal(tensor({7, 0, 7})));

  auto shape_err = [] { zeros({2, 3}).index_put_({0}, ones({2})); };
  EXPECT_THROW(shape_err(), ShapeError);
  auto dtype_err = [] { zeros({2, 3}).index_put_({idx({0})}, ones({3}, kDouble)); };
  EXPECT_THROW(dtype_err(), DTypeError);
  auto leaf_err = [] {
    Tensor w = zeros({2, 3}).requires_grad_(true);
    w.index_put_({0}, 1.0);
  };
  EXPECT_THROW(leaf_err(), AutogradError);
  {
    NoGradGuard g;  // a leaf may be written under no_grad
    Tensor w = zeros({2, 3}).requires_grad_(true);
    w.index_put_({0}, 1.0);
    EXPECT_EQ(w.index({0, 0}).item<double>(), 1.0);
  }
}

TEST(IndexOps, SetItemBackward) {
  // Assignment into a tensor with history: gradients reach both the old values and the new ones.
  OpRecord r;
  r.ops = {"as_strided_scatter", "index_put", "copy"};
  r.torch = "b";
  r.stmt = "b = a0 * 2\nb[1:, a2] = a1\nb[0, :2] = a1[0, 0]";
  r.fn = [](const TensorList& x) {
    Tensor b = x[0] * 2;
    b.index_put_({Slice(1, None), x[2]}, x[1]);
    b.index_put_({0, Slice(None, 2)}, x[1].index({0, 0}));
    return TensorList{b};
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({3, 4}, d), make_tensor({2, 2}, d), unique_index(2, 4)}, "2-D"}};
  };
  r.grad_inputs = {0, 1};
  r.gradgradcheck = true;
  check_record(r);
}

TEST(IndexOps, AsStridedScatter) {
  OpRecord r;
  r.ops = {"as_strided_scatter"};
  r.torch = "(torch.as_strided_scatter(a0, a1, (2, 2), (1, 3), 1), torch.as_strided_scatter(a0, a1[0], (2,), (4,)))";
  r.fn = [](const TensorList& x) {
    auto& op = *ops::Registry::get().find("as_strided_scatter");
    return TensorList{ops::call(op, {x[0], x[1]}, {DimVector{2, 2}, DimVector{1, 3}, int64_t(1)}),
                      ops::call(op, {x[0], x[1].select(0, 0)}, {DimVector{2}, DimVector{4}, int64_t(0)})};
  };
  r.samples = [](DType d) { return std::vector<OpSample>{{{make_tensor({3, 4}, d), make_tensor({2, 2}, d)}, "2-D"}}; };
  r.dtypes = all();
  r.grad_inputs = {};  // PyTorch 1.13's backward of as_strided_scatter reads uninitialised memory
  auto& op = *ops::Registry::get().find("as_strided_scatter");
  r.errors = {expect_error<ShapeError>("src size", [&op] { ops::call(op, {ones({4}), ones({3})}, {DimVector{2}, DimVector{1}, int64_t(0)}); },
                                       "as_strided_scatter"),
              expect_error<IndexError>("bounds", [&op] { ops::call(op, {ones({4}), ones({2})}, {DimVector{2}, DimVector{3}, int64_t(1)}); },
                                       "as_strided_scatter")};
  check_record(r);
  // The gradients, by finite differences (and of second order).
  Tensor a = make_tensor({3, 4}, kDouble).requires_grad_(true), b = make_tensor({2, 2}, kDouble).requires_grad_(true);
  EXPECT_NO_THROW(gradcheck(r.fn, {a, b}));
  EXPECT_NO_THROW(gradgradcheck(r.fn, {a, b}));
}

TEST(IndexOps, IndexSelect) {
  OpRecord r;
  r.ops = {"index_select"};
  r.torch = "(a0.index_select(0, a1), a0.index_select(-1, a2), a0.index_select(1, a3.long()), a0.index_select(0, a4))";
  r.fn = [](const TensorList& x) {
    return TensorList{x[0].index_select(0, x[1]), x[0].index_select(-1, x[2]), x[0].index_select(1, x[3]),
                      x[0].index_select(0, x[4])};
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{make_tensor({4, 3, 5}, d), pos_index({6}, 4), pos_index({2}, 5), pos_index({3}, 3).to(kInt), pos_index({}, 4)},
         "3-D"},
        {{make_noncontiguous({4, 3, 5}, d), pos_index({0}, 4), pos_index({7}, 5), pos_index({1}, 3).to(kInt),
          pos_index({1}, 4)},
         "non-contiguous, empty index"}};
  };
  r.dtypes = all();
  r.gradgradcheck = true;
  r.errors = {expect_error<IndexError>("bounds", [] { ones({2, 3}).index_select(0, idx({2})); },
                                       "index_select: index 2 is out of bounds for dimension 0 with size 2"),
              expect_error<IndexError>("negative", [] { ones({2, 3}).index_select(0, idx({-1})); },
                                       "index_select: index -1 is out of bounds"),
              expect_error<IndexError>("2-D index", [] { ones({2, 3}).index_select(0, idx({0, 1}).view({1, 2})); },
                                       "index_select"),
              expect_error<DTypeError>("float index", [] { ones({2, 3}).index_select(0, tensor({0.0})); }, "index_select"),
              expect_error<IndexError>("dim", [] { ones({2, 3}).index_select(2, idx({0})); }, "index_select")};
  check_record(r);
  // 0-dim input.
  EXPECT_TRUE(tensor(2.0).index_select(0, idx({0})).equal(tensor(2.0)));
}

TEST(IndexOps, Gather) {
  OpRecord r;
  r.ops = {"gather"};
  r.torch = "(a0.gather(1, a1), a0.gather(0, a2), a0.gather(-1, a1[:, :2]))";
  r.fn = [](const TensorList& x) {
    return TensorList{x[0].gather(1, x[1]), x[0].gather(0, x[2]), x[0].gather(-1, x[1].slice(1, 0, 2))};
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{make_tensor({3, 4}, d), pos_index({3, 5}, 4), pos_index({2, 4}, 3)}, "2-D"},
        {{make_noncontiguous({3, 4}, d), pos_index({3, 2}, 4).t(), pos_index({0, 4}, 3)},
         "non-contiguous, empty"}};
  };
  r.dtypes = all();
  r.gradgradcheck = true;
  r.errors = {expect_error<DTypeError>("int32 index", [] { ones({2, 3}).gather(1, ones({2, 2}, kInt)); }, "gather"),
              expect_error<ShapeError>("rank", [] { ones({2, 3}).gather(1, ones({2}, kLong)); }, "gather"),
              expect_error<ShapeError>("size", [] { ones({2, 3}).gather(1, zeros({3, 2}, kLong)); },
                                       "gather: size does not match at dimension 0"),
              expect_error<IndexError>("bounds", [] { ones({2, 3}).gather(1, full({2, 2}, 3, kLong)); },
                                       "gather: index 3 is out of bounds for dimension 1 with size 3"),
              expect_error<IndexError>("negative", [] { ones({2, 3}).gather(1, full({2, 2}, -1, kLong)); },
                                       "gather: index -1 is out of bounds"),
              expect_error<IndexError>("dim", [] { ones({2, 3}).gather(2, zeros({2, 2}, kLong)); }, "gather")};
  check_record(r);
  EXPECT_TRUE(tensor(3.0).gather(0, tensor(int64_t(0))).equal(tensor(3.0)));
}

TEST(IndexOps, Scatter) {
  OpRecord r;
  r.ops = {"scatter"};
  r.torch = "(a0.scatter(1, a2, a1), a0.scatter(0, a3, 2.5))";
  r.fn = [](const TensorList& x) { return TensorList{x[0].scatter(1, x[2], x[1]), x[0].scatter(0, x[3], 2.5)}; };
  r.samples = [](DType d) {
    // Distinct indices along the scatter dim in each row (duplicates would leave which write wins open).
    Tensor i = stack({unique_index(2, 4), unique_index(2, 4), unique_index(2, 4)});
    return std::vector<OpSample>{{{make_tensor({3, 4}, d), make_tensor({3, 2}, d), i, pos_index({2, 4}, 3)}, "2-D"},
                                 {{make_noncontiguous({3, 4}, d), make_tensor({2, 3}, d).t(), i, zeros({0, 4}, kLong)},
                                  "non-contiguous, empty index"}};
  };
  r.dtypes = all();
  r.dtypes.pop_back();  // bool: a value of 2.5
  r.grad_inputs = {0, 1};
  r.gradgradcheck = true;
  r.errors = {expect_error<DTypeError>("int32 index", [] { ones({2, 3}).scatter(1, ones({2, 2}, kInt), ones({2, 2})); }, "scatter"),
              expect_error<DTypeError>("src dtype", [] { ones({2, 3}).scatter(1, zeros({2, 2}, kLong), ones({2, 2}, kDouble)); },
                                       "scatter"),
              expect_error<ShapeError>("src too small", [] { ones({2, 3}).scatter(1, zeros({2, 2}, kLong), ones({2, 1})); },
                                       "to be smaller size than src"),
              expect_error<ShapeError>("rank", [] { ones({2, 3}).scatter(1, zeros({2}, kLong), 1.0); }, "scatter"),
              expect_error<IndexError>("bounds", [] { ones({2, 3}).scatter(1, full({2, 2}, -4, kLong), 1.0); },
                                       "scatter: index -4 is out of bounds for dimension 1 with size 3")};
  check_record(r);

  // A src larger than index: its extra elements get a zero gradient (PyTorch 1.13 rejects this
  // backward).
  Tensor self = make_tensor({3, 4}, kDouble).requires_grad_(true), src = make_tensor({3, 3}, kDouble).requires_grad_(true);
  Tensor i = stack({unique_index(2, 4), unique_index(2, 4), unique_index(2, 4)});
  auto fn = [&](const TensorList& x) { return TensorList{x[0].scatter(1, i, x[1]), x[0].scatter_add(1, i, x[1])}; };
  EXPECT_NO_THROW(gradcheck(fn, {self, src}));
  Tensor g = autograd::grad({fn({self, src})[0].sum()}, {src})[0];
  EXPECT_TRUE(g.slice(1, 2).eq(0).all().item<bool>());
}

TEST(IndexOps, ScatterInPlace) {
  OpRecord r;
  r.ops = {"scatter", "scatter_add"};
  r.torch = "(a0.clone().scatter_(1, a2, a1), a0.clone().scatter_(1, a2, -1.0), a0.clone().scatter_add_(0, a3, a1))";
  r.fn = [](const TensorList& x) {
    Tensor a = x[0].clone(), b = x[0].clone(), c = x[0].clone();
    a.scatter_(1, x[2], x[1]);
    b.scatter_(1, x[2], -1.0);
    c.scatter_add_(0, x[3], x[1]);
    return TensorList{a, b, c};
  };
  r.samples = [](DType d) {
    Tensor i = stack({unique_index(3, 4), unique_index(3, 4), unique_index(3, 4)});
    return std::vector<OpSample>{{{make_tensor({3, 4}, d), make_tensor({3, 3}, d), i, pos_index({3, 3}, 3)}, "2-D"}};
  };
  r.dtypes = {kFloat, kDouble, kLong, kInt, kChar, kShort};
  r.grad_inputs = {0, 1};
  check_record(r);
  // In place on a leaf that requires grad is refused.
  Tensor w = ones({2, 2}).requires_grad_(true);
  EXPECT_THROW(w.scatter_(0, zeros({1, 2}, kLong), 2.0), AutogradError);
}

TEST(IndexOps, ScatterAdd) {
  OpRecord r;
  r.ops = {"scatter_add"};
  r.torch = "(a0.scatter_add(1, a2, a1), a0.scatter_add(0, a3, a4))";
  r.fn = [](const TensorList& x) { return TensorList{x[0].scatter_add(1, x[2], x[1]), x[0].scatter_add(0, x[3], x[4])}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{make_tensor({3, 4}, d), make_tensor({3, 5}, d), pos_index({3, 5}, 4), pos_index({2, 4}, 3), make_tensor({2, 4}, d)},
         "duplicates"},
        {{make_noncontiguous({3, 4}, d), make_noncontiguous({3, 5}, d), pos_index({3, 5}, 4), pos_index({0, 4}, 3),
          make_tensor({0, 4}, d)},
         "non-contiguous, empty index"}};
  };
  r.dtypes = {kFloat, kDouble, kLong, kInt, kShort, kChar, kByte};
  r.grad_inputs = {0, 1, 4};
  r.gradgradcheck = true;
  r.errors = {expect_error<DTypeError>("src dtype", [] { ones({2, 3}).scatter_add(1, zeros({2, 2}, kLong), ones({2, 2}, kInt)); },
                                       "scatter_add"),
              expect_error<IndexError>("bounds", [] { ones({2, 3}).scatter_add(0, full({1, 3}, 2, kLong), ones({2, 3})); },
                                       "scatter_add: index 2 is out of bounds for dimension 0 with size 2")};
  check_record(r);
}

TEST(IndexOps, MaskedFill) {
  OpRecord r;
  r.ops = {"masked_fill"};
  r.torch = "(a0.masked_fill(a1, 2.0), a0.masked_fill(a1[0], a2), a0.masked_fill(a1, a2.double()), "
            "a0[0].masked_fill(a1, 1.0), a0.clone().masked_fill_(a1, -1))";
  r.fn = [](const TensorList& x) {
    Tensor c = x[0].clone();
    c.masked_fill_(x[1], -1);
    return TensorList{x[0].masked_fill(x[1], 2.0), x[0].masked_fill(x[1][0], x[2]), x[0].masked_fill(x[1], x[2].to(kDouble)),
                      x[0][0].masked_fill(x[1], 1.0), c};
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({3, 4}, d), make_tensor({3, 4}, kBool), make_tensor({}, d)}, "2-D"},
                                 {{make_noncontiguous({2, 3}, d), make_tensor({2, 3}, kBool).t().contiguous().t(), make_tensor({}, d)},
                                  "non-contiguous"},
                                 {{make_tensor({2, 0}, d), make_tensor({2, 0}, kBool), make_tensor({}, d)}, "empty"}};
  };
  r.dtypes = all();
  r.grad_inputs = {0, 2};
  r.gradgradcheck = true;
  r.atol = 1e-5;  // the value's gradient sums several half-precision terms
  r.errors = {expect_error<DTypeError>("mask dtype", [] { ones({2}).masked_fill(ones({2}), 1.0); }, "masked_fill"),
              expect_error<ShapeError>("value dims", [] { ones({2}).masked_fill(ones({2}, kBool), ones({2})); }, "masked_fill"),
              expect_error<ShapeError>("broadcast", [] { ones({2}).masked_fill(ones({3}, kBool), 1.0); }, "masked_fill"),
              expect_error<ShapeError>("in place broadcast", [] { ones({3}).masked_fill_(ones({2, 3}, kBool), 1.0); },
                                       "masked_fill")};
  check_record(r);
  EXPECT_TRUE(ones({2}, kLong).masked_fill(tensor({true, false}), 2.7).equal(tensor({2, 1})));
  EXPECT_TRUE(ones({2}).masked_fill(tensor({1, 0}).to(kByte), 0.0).equal(tensor({0.0f, 1.0f})));
}

TEST(IndexOps, MaskedSelect) {
  OpRecord r;
  r.ops = {"index", "nonzero"};
  r.torch = "(a0.masked_select(a1), a0.masked_select(a1[0]), a0[0].masked_select(a1))";
  r.fn = [](const TensorList& x) {
    return TensorList{x[0].masked_select(x[1]), x[0].masked_select(x[1][0]), x[0][0].masked_select(x[1])};
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({3, 4}, d), make_tensor({3, 4}, kBool)}, "2-D"},
                                 {{make_noncontiguous({2, 3}, d), make_tensor({3, 2}, kBool).t()}, "non-contiguous"},
                                 {{make_tensor({2, 0}, d), make_tensor({2, 0}, kBool)}, "empty"}};
  };
  r.dtypes = all();
  r.gradgradcheck = true;
  r.errors = {expect_error<DTypeError>("mask dtype", [] { ones({2}).masked_select(ones({2}, kLong)); }, "masked_select"),
              expect_error<ShapeError>("broadcast", [] { ones({2}).masked_select(ones({3}, kBool)); }, "masked_select")};
  check_record(r);
  EXPECT_EQ(tensor(2.0).masked_select(tensor({true})).sizes(), IntArrayRef{1});
}

TEST(IndexOps, Nonzero) {
  OpRecord r;
  r.ops = {"nonzero"};
  r.torch = "(a0.nonzero(), torch.nonzero(a1))";
  r.fn = [](const TensorList& x) { return TensorList{x[0].nonzero(), nonzero(x[1])}; };
  r.samples = [](DType d) {
    auto sparse = [d](IntArrayRef shape) {
      Tensor t = make_tensor(shape, d, 0, 3);
      return t.masked_fill(make_tensor(shape, kBool), 0);
    };
    return std::vector<OpSample>{{{sparse({3, 4}), sparse({})}, "2-D, 0-dim"},
                                 {{sparse({2, 3, 4}).transpose(0, 2), sparse({5})}, "non-contiguous"},
                                 {{sparse({0, 3}), zeros({}, d)}, "empty, zero 0-dim"},
                                 {{sparse({200, 200}), sparse({1})}, "large"}};
  };
  r.dtypes = all();
  r.grad_inputs = {};
  check_record(r);
  Tensor nan = tensor({std::nan(""), 0.0});
  EXPECT_TRUE(nan.nonzero().equal(zeros({1, 1}, kLong)));
}
