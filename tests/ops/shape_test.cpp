// Test records for the copying shape ops: cat/concat/stack, split/chunk, repeat/tile, flip,
// roll, tril/triu, pad.
#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::check_record;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;

namespace {

std::vector<DType> all() { return sinter::testing::all_dtypes(); }

/// 0-dim, 1-D, 2-D, non-contiguous 3-D, transposed, empty.
std::vector<OpSample> shapes(DType d, bool with_0dim = true) {
  std::vector<OpSample> s = {{{make_tensor({7}, d)}, "1-D"},
                             {{make_tensor({3, 5}, d)}, "2-D"},
                             {{make_noncontiguous({2, 3, 4}, d)}, "3-D non-contiguous"},
                             {{make_tensor({4, 3}, d).t()}, "transposed"},
                             {{make_tensor({0, 3}, d)}, "empty"}};
  if (with_0dim) s.insert(s.begin(), {{make_tensor({}, d)}, "0-dim"});
  return s;
}

/// Checks r's forward in every dtype and its gradients in float32/float64: a gradient that sums
/// repeated elements rounds in half precision wherever the reduction order differs from PyTorch's.
void check_summing_backward(OpRecord r) {
  OpRecord fwd = r;
  fwd.grad_inputs = {};
  fwd.dtypes = all();
  check_record(fwd);
  r.dtypes = {kFloat, kDouble};
  r.errors.clear();
  check_record(r);
}

}  // namespace

TEST(ShapeOps, Cat) {
  OpRecord r;
  r.ops = {"cat"};
  r.torch = "(torch.cat([a0, a1, a2], 1), torch.cat([a0, a1, a2], -1))";
  r.fn = [](const TensorList& x) { return TensorList{cat({x[0], x[1], x[2]}, 1), cat({x[0], x[1], x[2]}, -1)}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{make_tensor({2, 3}, d), make_tensor({2, 1}, d), make_tensor({2, 4}, d)}, "2-D"},
        {{make_noncontiguous({2, 3}, d), make_tensor({3, 2}, d).t(), make_tensor({2, 0}, d)}, "non-contiguous, empty part"},
        {{make_tensor({2, 3}, d), make_tensor({0}, d), make_tensor({2, 2}, d)}, "legacy empty 1-D skipped"}};
  };
  r.dtypes = all();
  r.grad_inputs = {0, 1, 2};
  r.gradgradcheck = true;
  r.errors = {
      expect_error<ValueError>("empty list", [] { cat({}, 0); }, "cat"),
      expect_error<ShapeError>("0-dim", [] { cat({ones({}), ones({2})}); }, "zero-dimensional tensor (at position 0)"),
      expect_error<ShapeError>("rank", [] { cat({ones({2, 3}), ones({2, 3, 1})}); }, "cat"),
      expect_error<ShapeError>("sizes", [] { cat({ones({2, 3}), ones({2, 4})}); }, "Expected size 3 but got size 4 for tensor number 1"),
      expect_error<IndexError>("dim", [] { cat({ones({2, 3}), ones({2, 3})}, 2); }, "cat")};
  check_record(r);
}

TEST(ShapeOps, CatDim0AndLarge) {
  // dim 0 (one block per input) and a size that takes the parallel path.
  OpRecord r;
  r.ops = {"cat"};
  r.torch = "(torch.cat([a0, a1]), torch.cat([a0, a1], 1))";
  r.fn = [](const TensorList& x) { return TensorList{cat({x[0], x[1]}), cat({x[0], x[1]}, 1)}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({300, 200}, d), make_tensor({300, 200}, d)}, "large"},
                                 {{make_tensor({2, 3}, d), make_tensor({2, 3}, d)}, "small"}};
  };
  r.dtypes = {kFloat, kDouble, kLong, kByte};
  r.grad_inputs = {0, 1};
  check_record(r);
}

TEST(ShapeOps, CatPromotion) {
  OpRecord r;
  r.ops = {"cat"};
  r.torch = "(torch.cat([a0, a1.int(), a2.half()]), torch.cat([a1.int(), torch.zeros(0, dtype=torch.float64)]), "
            "torch.cat([a2.bool(), a1.to(torch.uint8)]), torch.cat([a2.half(), a2.bfloat16()]))";
  r.fn = [](const TensorList& x) {
    return TensorList{cat({x[0], x[1].to(kInt), x[2].to(kHalf)}), cat({x[1].to(kInt), zeros({0}, kDouble)}),
                      cat({x[2].to(kBool), x[1].to(kByte)}), cat({x[2].to(kHalf), x[2].to(kBFloat16)})};
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({2, 3}, d, 0, 5), make_tensor({1, 3}, d, 0, 5), make_tensor({3, 3}, d, 0, 5)},
                                  "mixed dtypes"}};
  };
  r.dtypes = {kLong, kFloat, kDouble};
  r.grad_inputs = {0, 1, 2};
  r.gradcheck = false;  // the casts to half in between make finite differences meaningless
  check_record(r);
  EXPECT_EQ(cat({ones({2}, kInt), ones({2}, kHalf)}).dtype(), kHalf);
  EXPECT_EQ(cat({ones({2}, kByte), ones({2}, kChar)}).dtype(), kShort);
  EXPECT_EQ(concat({ones({2}, kInt), ones({0}, kDouble)}).dtype(), kDouble);
}

TEST(ShapeOps, Stack) {
  OpRecord r;
  r.ops = {"cat", "unsqueeze"};
  r.torch = "(torch.stack([a0, a1]), torch.stack([a0, a1], 1), torch.stack([a0, a1], -1))";
  r.fn = [](const TensorList& x) { return TensorList{stack({x[0], x[1]}), stack({x[0], x[1]}, 1), stack({x[0], x[1]}, -1)}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({2, 3}, d), make_noncontiguous({2, 3}, d)}, "2-D"},
                                 {{make_tensor({0, 2}, d), make_tensor({0, 2}, d)}, "empty"}};
  };
  r.dtypes = all();
  r.grad_inputs = {0, 1};
  r.errors = {expect_error<ValueError>("empty list", [] { stack({}); }, "stack"),
              expect_error<ShapeError>("sizes", [] { stack({ones({2, 3}), ones({2, 4})}); }, "stack"),
              expect_error<IndexError>("dim", [] { stack({ones({2, 3}), ones({2, 3})}, 3); }, "stack")};
  check_record(r);
  // 0-dim inputs stack into a 1-D tensor.
  EXPECT_TRUE(stack({tensor(1.0), tensor(2.0)}, -1).equal(tensor({1.0, 2.0})));
}

TEST(ShapeOps, Split) {
  OpRecord r;
  r.ops = {"slice"};
  r.torch = "(*a0.split(2), *a0.split(2, 1), *a0.split([1, 0, 2], 1), *a0.split(5, -1))";
  r.fn = [](const TensorList& x) {
    TensorList out;
    for (auto& t : x[0].split(2)) out.push_back(t);
    for (auto& t : x[0].split(2, 1)) out.push_back(t);
    for (auto& t : x[0].split(IntArrayRef{1, 0, 2}, 1)) out.push_back(t);
    for (auto& t : x[0].split(5, -1)) out.push_back(t);
    return out;
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({5, 3, 4}, d)}, "3-D"}, {{make_noncontiguous({5, 3, 4}, d)}, "non-contiguous"}};
  };
  r.dtypes = all();
  r.errors = {expect_error<ValueError>("negative", [] { ones({3}).split(-1); }, "split"),
              expect_error<ValueError>("zero size", [] { ones({3}).split(0); }, "split"),
              expect_error<ValueError>("sizes sum", [] { ones({3}).split(IntArrayRef{1, 1}); }, "split_with_sizes"),
              expect_error<ValueError>("negative sizes", [] { ones({3}).split(IntArrayRef{4, -1}); }, "split_with_sizes"),
              expect_error<ShapeError>("0-dim", [] { ones({}).split(1); }, "split")};
  check_record(r);
  EXPECT_EQ(zeros({0, 3}).split(0).size(), 1u);
  EXPECT_EQ(zeros({0, 3}).split(2).size(), 1u);
}

TEST(ShapeOps, Chunk) {
  OpRecord r;
  r.ops = {"slice"};
  r.torch = "(*a0.chunk(2), *a0.chunk(3, 1), *a0.chunk(10, -1), *a1.chunk(3))";
  r.fn = [](const TensorList& x) {
    TensorList out;
    for (auto& t : x[0].chunk(2)) out.push_back(t);
    for (auto& t : x[0].chunk(3, 1)) out.push_back(t);
    for (auto& t : x[0].chunk(10, -1)) out.push_back(t);
    for (auto& t : x[1].chunk(3)) out.push_back(t);
    return out;
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({5, 3, 4}, d), make_tensor({0, 2}, d)}, "3-D, empty"}};
  };
  r.dtypes = all();
  r.errors = {expect_error<ValueError>("zero chunks", [] { ones({3}).chunk(0); }, "chunk"),
              expect_error<ShapeError>("0-dim", [] { ones({}).chunk(2); }, "chunk")};
  check_record(r);
}

TEST(ShapeOps, Repeat) {
  OpRecord r;
  r.ops = {"repeat"};
  r.torch = "a0.repeat(2, 1, 3, 2)";
  r.fn = [](const TensorList& x) { return TensorList{x[0].repeat({2, 1, 3, 2})}; };
  r.samples = [](DType d) { return shapes(d); };
  r.gradgradcheck = true;
  r.errors = {expect_error<ShapeError>("too few", [] { ones({2, 3}).repeat({2}); }, "repeat"),
              expect_error<ShapeError>("negative", [] { ones({2, 3}).repeat({2, -1}); }, "repeat")};
  check_summing_backward(r);

  OpRecord r2;  // repeats of 1 (a copy) and of 0 (empty)
  r2.ops = {"repeat"};
  r2.torch = "(a0.repeat([1] * a0.dim()), a0.repeat([2] + [0] * a0.dim()))";
  r2.fn = [](const TensorList& x) {
    DimVector ones_(static_cast<size_t>(x[0].dim()), 1), zeros_(static_cast<size_t>(x[0].dim()) + 1, 0);
    zeros_[0] = 2;
    return TensorList{x[0].repeat(ones_), x[0].repeat(zeros_)};
  };
  r2.samples = [](DType d) { return shapes(d); };
  r2.dtypes = all();
  check_record(r2);
}

TEST(ShapeOps, Tile) {
  OpRecord r;
  r.ops = {"repeat"};
  r.torch = "a0.tile((2, 1, 3))";
  r.fn = [](const TensorList& x) { return TensorList{x[0].tile({2, 1, 3})}; };
  r.samples = [](DType d) { return shapes(d); };
  check_summing_backward(r);
  // Fewer reps than dims: leading ones are implied.
  Tensor x = arange(6).view({2, 3});
  EXPECT_TRUE(x.tile({2}).equal(cat({x, x}, 1)));
}

TEST(ShapeOps, Flip) {
  OpRecord r;
  r.ops = {"flip"};
  r.torch = "(a0.flip(0), a0.flip(-1), a0.flip(list(range(a0.dim()))), a0.flip([]))";
  r.fn = [](const TensorList& x) {
    DimVector alld;
    for (int64_t i = 0; i < x[0].dim(); ++i) alld.push_back(i);
    return TensorList{x[0].flip({0}), x[0].flip({-1}), x[0].flip(alld), x[0].flip({})};
  };
  r.samples = [](DType d) { return shapes(d); };
  r.dtypes = all();
  r.gradgradcheck = true;
  r.errors = {expect_error<ValueError>("repeated", [] { ones({2, 3}).flip({0, -2}); }, "flip"),
              expect_error<IndexError>("dim", [] { ones({2, 3}).flip({2}); }, "flip")};
  check_record(r);
}

TEST(ShapeOps, Roll) {
  OpRecord r;
  r.ops = {"roll"};
  r.torch = "(a0.roll(2), a0.roll(-3), a0.roll(1, 0), a0.roll(7, -1), a0.roll((1, -1), (0, -1)), a0.roll((1, 2), (0, 0)))";
  r.fn = [](const TensorList& x) {
    return TensorList{x[0].roll({2}), x[0].roll({-3}), x[0].roll({1}, {0}), x[0].roll({7}, {-1}), x[0].roll({1, -1}, {0, -1}),
                      x[0].roll({1, 2}, {0, 0})};
  };
  r.samples = [](DType d) { return shapes(d, false); };
  r.dtypes = all();
  r.gradgradcheck = true;
  r.errors = {expect_error<ShapeError>("shifts vs dims", [] { ones({2, 3}).roll({1, 2}, {0}); }, "roll"),
              expect_error<ShapeError>("shifts without dims", [] { ones({2, 3}).roll({1, 2}); }, "roll"),
              expect_error<ValueError>("no shifts", [] { ones({2, 3}).roll({}); }, "roll"),
              expect_error<IndexError>("dim", [] { ones({2, 3}).roll({1}, {2}); }, "roll"),
              expect_error<IndexError>("0-dim with dim", [] { ones({}).roll({1}, {0}); }, "roll")};
  check_record(r);
  // 0-dim without dims: unchanged.
  EXPECT_TRUE(tensor(3.0).roll({5}).equal(tensor(3.0)));
}

TEST(ShapeOps, TrilTriu) {
  OpRecord r;
  r.ops = {"tril", "triu"};
  r.torch = "(a0.tril(), a0.tril(1), a0.tril(-2), a0.triu(), a0.triu(2), a0.triu(-1), a0.tril(10), a0.triu(-10))";
  r.fn = [](const TensorList& x) {
    return TensorList{x[0].tril(), x[0].tril(1), x[0].tril(-2), x[0].triu(), x[0].triu(2), x[0].triu(-1), x[0].tril(10),
                      x[0].triu(-10)};
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({4, 5}, d)}, "2-D"},
                                 {{make_noncontiguous({2, 5, 3}, d)}, "batched non-contiguous"},
                                 {{make_tensor({5, 4}, d).t()}, "transposed"},
                                 {{make_tensor({0, 3}, d)}, "empty"}};
  };
  r.dtypes = all();
  r.gradgradcheck = true;
  r.errors = {expect_error<ShapeError>("1-D", [] { ones({3}).tril(); }, "tril"),
              expect_error<ShapeError>("0-dim", [] { ones({}).triu(); }, "triu")};
  check_record(r);

  OpRecord large;  // enough rows for the parallel path
  large.ops = {"tril", "triu"};
  large.torch = "(a0.tril(1), a0.triu(-1))";
  large.fn = [](const TensorList& x) { return TensorList{x[0].tril(1), x[0].triu(-1)}; };
  large.samples = [](DType d) { return std::vector<OpSample>{{{make_tensor({150, 300}, d)}, "large"}}; };
  large.dtypes = {kFloat};
  check_record(large);
}

TEST(ShapeOps, PadConstant) {
  OpRecord r;
  r.ops = {"pad"};
  r.torch = "(F.pad(a0, (1, 2)), F.pad(a0, (0, 1, 2, 0), value=3.5), F.pad(a0, (-1, 1, 1, -1)), F.pad(a0, ()), "
            "F.pad(a1, (1, 1, 0, 2, 1, 0), value=2), F.pad(a0, (-4, 1), value=1))";
  r.fn = [](const TensorList& x) {
    return TensorList{pad(x[0], {1, 2}), pad(x[0], {0, 1, 2, 0}, "constant", 3.5), pad(x[0], {-1, 1, 1, -1}), pad(x[0], {}),
                      pad(x[1], {1, 1, 0, 2, 1, 0}, "constant", 2), pad(x[0], {-4, 1}, "constant", 1)};
  };
  r.samples = [](DType d) {
    return std::vector<OpSample>{{{make_tensor({3, 4}, d), make_tensor({2, 3, 2}, d)}, "contiguous"},
                                 {{make_noncontiguous({3, 4}, d), make_noncontiguous({2, 3, 2}, d)}, "non-contiguous"},
                                 {{make_tensor({2, 4}, d), make_tensor({2, 0, 2}, d)}, "empty"}};
  };
  r.dtypes = all();
  r.gradgradcheck = true;
  r.errors = {expect_error<ValueError>("odd length", [] { pad(ones({2, 3}), {1, 2, 3}); }, "pad"),
              expect_error<ValueError>("too long", [] { pad(ones({2}), {1, 1, 1, 1}); }, "pad"),
              expect_error<ShapeError>("negative size", [] { pad(ones({2, 4}), {-3, -2}); }, "pad"),
              expect_error<NotImplementedError>("mode", [] { pad(ones({2, 4}), {1, 1}, "mirror"); }, "pad"),
              expect_error<ValueError>("value overflows", [] { pad(ones({2, 4}, kByte), {1, 1}, "constant", -2); },
                                       "cannot be converted to type uint8")};
  check_record(r);
  EXPECT_TRUE(pad(ones({2}, kBool), {1, 0}).equal(tensor({false, true, true})));
  EXPECT_TRUE(pad(ones({2}, kLong), {1, 0}, "constant", 2.7).equal(tensor({2, 1, 1})));
}

TEST(ShapeOps, PadReflectReplicateCircular) {
  for (std::string mode : {"reflect", "replicate", "circular"}) {
    OpRecord r;
    r.ops = {"pad"};
    bool circ = mode == "circular";
    // Reference through float64: torch only has float kernels for reflect/replicate.
    std::string m = "mode='" + mode + "'";
    r.torch = "(F.pad(a0.double(), (1, 2), " + m + ").to(a0.dtype), F.pad(a1.double(), (2, 1, 1, 0), " + m +
              ").to(a0.dtype), F.pad(a0.double(), (-1, 1), " + m + ").to(a0.dtype), F.pad(a2.double(), (1, 1, 2, 0, 0, 1), " + m +
              ").to(a0.dtype)" + (circ ? "" : ", F.pad(a1[0].double(), (1, 2), " + m + ").to(a0.dtype)") + ")";
    r.fn = [mode, circ](const TensorList& x) {
      TensorList out{pad(x[0], {1, 2}, mode), pad(x[1], {2, 1, 1, 0}, mode), pad(x[0], {-1, 1}, mode),
                     pad(x[2], {1, 1, 2, 0, 0, 1}, mode)};
      if (!circ) out.push_back(pad(x[1][0], {1, 2}, mode));
      return out;
    };
    r.samples = [](DType d) {
      return std::vector<OpSample>{
          {{make_tensor({2, 2, 4}, d), make_tensor({1, 2, 3, 3}, d), make_tensor({1, 2, 3, 3, 2}, d)}, "contiguous"},
          {{make_noncontiguous({2, 3, 4}, d), make_noncontiguous({2, 3, 4, 3}, d), make_noncontiguous({1, 1, 2, 3, 2}, d)},
           "non-contiguous"}};
    };
    r.dtypes = all();
    r.gradgradcheck = true;
    r.errors = {expect_error<ValueError>("value", [mode] { pad(ones({1, 2, 3}), {1, 1}, mode, 1.0); }, "pad"),
                expect_error<NotImplementedError>("1-D input", [mode] { pad(ones({3}), {1, 1}, mode); }, "pad"),
                expect_error<NotImplementedError>("3 padded dims of 3-D",
                                                  [mode] { pad(ones({2, 3, 4}), {1, 1, 1, 1, 1, 1}, mode); }, "pad")};
    if (mode == "reflect")
      r.errors.push_back(expect_error<ShapeError>("too large", [] { pad(ones({2, 3, 4}), {4, 1}, "reflect"); },
                                                  "padding size should be less than the corresponding input dimension"));
    if (circ) {
      r.errors.push_back(expect_error<ShapeError>("wraps twice", [] { pad(ones({2, 3, 4}), {5, 1}, "circular"); }, "pad"));
      r.errors.push_back(expect_error<ShapeError>("unbatched", [] { pad(ones({3, 4}), {1, 1}, "circular"); }, "pad"));
    }
    check_record(r);
  }
}

// ---- shape / numel (sizes as tensors) --------------------------------------------------------

TEST(ShapeOps, ShapeAndNumel) {
  const ops::OpDef& shape_op = *ops::Registry::get().find("shape");
  const ops::OpDef& numel_op = *ops::Registry::get().find("numel");
  struct Case {
    std::string py;
    ops::Attrs attrs;
  };
  for (const Case& cs : {Case{"", {}}, Case{"1:", {int64_t(1)}}, Case{"-2:", {int64_t(-2)}},
                         Case{":-1", {std::monostate{}, int64_t(-1)}}, Case{"5:9", {int64_t(5), int64_t(9)}},
                         Case{"2:1", {int64_t(2), int64_t(1)}}}) {
    OpRecord r;
    r.ops = {"shape"};
    r.torch = "torch.tensor(list(a0.shape)[" + (cs.py.empty() ? std::string(":") : cs.py) + "], dtype=torch.int64)";
    r.fn = [&shape_op, cs](const TensorList& x) { return TensorList{ops::call(shape_op, {x[0]}, cs.attrs)}; };
    r.samples = [](DType d) { return shapes(d); };
    r.dtypes = all();
    r.grad_inputs = {};
    SCOPED_TRACE(r.torch);
    check_record(r);
  }
  OpRecord r;
  r.ops = {"numel"};
  r.torch = "torch.tensor(a0.numel(), dtype=torch.int64)";
  r.fn = [&numel_op](const TensorList& x) { return TensorList{ops::call(numel_op, {x[0]})}; };
  r.samples = [](DType d) { return shapes(d); };
  r.dtypes = all();
  r.grad_inputs = {};
  check_record(r);
}

TEST(ShapeOps, FullAndArangeOps) {
  const ops::OpDef& full_op = *ops::Registry::get().find("full");
  const ops::OpDef& arange_op = *ops::Registry::get().find("arange");
  struct FullCase {
    std::string py;
    ops::Attrs attrs;
  };
  for (const FullCase& cs : {FullCase{"torch.full((2, 3), 1.5)", {DimVector{2, 3}, Scalar(1.5)}},
                             FullCase{"torch.full((4,), 7)", {DimVector{4}, Scalar(int64_t(7))}},
                             FullCase{"torch.full((0, 2), 2.0, dtype=torch.float64)", {DimVector{0, 2}, Scalar(2.0), kDouble}},
                             FullCase{"torch.full((), True)", {DimVector{}, Scalar(true)}},
                             FullCase{"torch.full((3,), 2.5, dtype=torch.int32)", {DimVector{3}, Scalar(2.5), kInt}}}) {
    OpRecord r;
    r.ops = {"full"};
    r.torch = cs.py;
    r.fn = [&full_op, cs](const TensorList&) { return TensorList{ops::call(full_op, {}, cs.attrs)}; };
    r.samples = [](DType) { return std::vector<OpSample>{{{}, "no inputs"}}; };
    r.dtypes = {kFloat};
    r.grad_inputs = {};
    r.errors = {expect_error<ValueError>("negative size", [&full_op] { ops::call(full_op, {}, {DimVector{-1}, Scalar(1.0)}); }, "full")};
    SCOPED_TRACE(r.torch);
    check_record(r);
  }
  struct RangeCase {
    std::string py;
    ops::Attrs attrs;
  };
  for (const RangeCase& cs : {RangeCase{"torch.arange(0, 5)", {Scalar(int64_t(0)), Scalar(int64_t(5))}},
                              RangeCase{"torch.arange(10, 1, -3)", {Scalar(int64_t(10)), Scalar(int64_t(1)), Scalar(int64_t(-3))}},
                              RangeCase{"torch.arange(0.5, 2.0, 0.25)", {Scalar(0.5), Scalar(2.0), Scalar(0.25)}},
                              RangeCase{"torch.arange(1, 4, dtype=torch.int32)", {Scalar(int64_t(1)), Scalar(int64_t(4)), Scalar(int64_t(1)), kInt}},
                              RangeCase{"torch.arange(-1.0, 1.0, 0.5, dtype=torch.float64)", {Scalar(-1.0), Scalar(1.0), Scalar(0.5), kDouble}},
                              // ONNX Range: a step pointing away from the end gives an empty range
                              RangeCase{"torch.zeros(0, dtype=torch.int64)", {Scalar(int64_t(5)), Scalar(int64_t(1)), Scalar(int64_t(2))}}}) {
    OpRecord r;
    r.ops = {"arange"};
    r.torch = cs.py;
    r.fn = [&arange_op, cs](const TensorList&) { return TensorList{ops::call(arange_op, {}, cs.attrs)}; };
    r.samples = [](DType) { return std::vector<OpSample>{{{}, "no inputs"}}; };
    r.dtypes = {kFloat};
    r.grad_inputs = {};
    r.errors = {expect_error<ValueError>("step 0", [&arange_op] { ops::call(arange_op, {}, {Scalar(0.0), Scalar(1.0), Scalar(0.0)}); }, "arange")};
    SCOPED_TRACE(r.torch);
    check_record(r);
  }
}
