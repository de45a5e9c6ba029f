// Records of the unsigned 16/32/64-bit dtypes across the ops that support them, checked against
// NumPy (PyTorch 1.x has no uint16/32/64), and of bitwise_left_shift / bitwise_right_shift on
// every integer dtype (against PyTorch for the others).
#include <cstdio>
#include <filesystem>

#include "op_record.h"
#include "sinter/io/npy.h"

using namespace sinter;
using sinter::testing::binary_samples;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::wide_uint_dtypes;

namespace {

using Fn2 = std::function<Tensor(const Tensor&, const Tensor&)>;

/// numpy's name of a dtype ("uint32").
std::string np_dtype(DType d) { return "np." + std::string(dtype_name(d)); }

/// The top of the value range used for d's samples (products and sums of these wrap around).
double high_of(DType d) {
  if (d == kUInt16) return 65536;
  if (d == kUInt32) return 4294967296.0;
  return 4.6e18;
}

std::vector<OpSample> reduce_samples(DType d, double hi) {
  return {{{make_tensor({3, 5}, d, 0, hi)}, "2-D"},
          {{make_noncontiguous({4, 3}, d, 0, hi)}, "non-contiguous"},
          {{make_tensor({5, 4}, d, 0, hi).t()}, "transposed"},
          {{make_tensor({3, 0}, d, 0, hi)}, "empty rows"}};
}

void check_binary(const std::string& op, const std::string& numpy, Fn2 f, double lo2, double hi2,
                  double hi = 0) {
  OpRecord r;
  r.ops = {op};
  r.numpy = numpy;
  r.fn = [f](const TensorList& x) { return TensorList{f(x[0], x[1])}; };
  r.samples = [=](DType d) { return binary_samples(d, 0, hi > 0 ? hi : high_of(d), lo2, hi2 > 0 ? hi2 : high_of(d)); };
  r.dtypes = wide_uint_dtypes();
  r.grad_inputs = {};
  SCOPED_TRACE(op);
  sinter::testing::check_record(r);
}

}  // namespace

TEST(UIntOps, Arithmetic) {
  check_binary("add", "a0 + a1", [](const Tensor& a, const Tensor& b) { return a + b; }, 0, 0);
  check_binary("sub", "a0 - a1", [](const Tensor& a, const Tensor& b) { return a - b; }, 0, 0);  // wraps
  check_binary("mul", "a0 * a1", [](const Tensor& a, const Tensor& b) { return a * b; }, 0, 0);  // wraps
  check_binary("div", "np.floor_divide(a0, a1)", [](const Tensor& a, const Tensor& b) { return div(a, b, "floor"); }, 1, 0);
  check_binary("div", "np.floor_divide(a0, a1)", [](const Tensor& a, const Tensor& b) { return div(a, b, "trunc"); }, 1, 0);
  check_binary("div", "np.true_divide(a0, a1).astype(np.float32)", [](const Tensor& a, const Tensor& b) { return a / b; },
               1, 1000, 1000);
  check_binary("remainder", "np.remainder(a0, a1)", [](const Tensor& a, const Tensor& b) { return remainder(a, b); }, 1, 0);
  check_binary("fmod", "np.fmod(a0, a1)", [](const Tensor& a, const Tensor& b) { return fmod(a, b); }, 1, 0);
  check_binary("pow", "np.power(a0, a1)", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, 0, 40, 12);
  check_binary("maximum", "np.maximum(a0, a1)", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, 0, 0);
  check_binary("minimum", "np.minimum(a0, a1)", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, 0, 0);
  // Python numbers keep the unsigned dtype.
  OpRecord r;
  r.ops = {"add", "mul", "sub"};
  r.numpy = "(a0 + a0.dtype.type(3), a0 * a0.dtype.type(5), a0 - a0.dtype.type(7))";  // numpy would widen 0-dim + int
  r.fn = [](const TensorList& x) { return TensorList{x[0] + 3, x[0] * 5, x[0] - 7}; };
  r.samples = [](DType d) { return sinter::testing::unary_samples(d, 0, high_of(d)); };
  r.dtypes = wide_uint_dtypes();
  r.grad_inputs = {};
  r.errors = {expect_error<ValueError>("integer division by zero",
                                       [] { div(ones({2}, kUInt32), zeros({2}, kUInt32), "floor"); }, "div"),
              expect_error<ValueError>("integer modulus by zero",
                                       [] { remainder(ones({2}, kUInt64), zeros({2}, kUInt64)); }, "remainder")};
  sinter::testing::check_record(r);
  EXPECT_EQ((ones({2}, kUInt32) * 2.5).dtype(), kFloat);  // a float number gives the default float dtype
}

TEST(UIntOps, Bitwise) {
  check_binary("bitwise_and", "a0 & a1", [](const Tensor& a, const Tensor& b) { return a & b; }, 0, 0);
  check_binary("bitwise_or", "a0 | a1", [](const Tensor& a, const Tensor& b) { return a | b; }, 0, 0);
  check_binary("bitwise_xor", "a0 ^ a1", [](const Tensor& a, const Tensor& b) { return a ^ b; }, 0, 0);
  // numpy's shifts by the width or more give 0, like sinter's
  check_binary("bitwise_left_shift", "np.left_shift(a0, a1)",
               [](const Tensor& a, const Tensor& b) { return a << b; }, 0, 70);
  check_binary("bitwise_right_shift", "np.right_shift(a0, a1)",
               [](const Tensor& a, const Tensor& b) { return bitwise_right_shift(a, b); }, 0, 70);
  OpRecord r;
  r.ops = {"bitwise_not", "neg", "abs"};
  r.numpy = "(~a0, -a0, np.abs(a0))";
  r.fn = [](const TensorList& x) { return TensorList{bitwise_not(x[0]), neg(x[0]), abs(x[0])}; };
  r.samples = [](DType d) { return sinter::testing::unary_samples(d, 0, high_of(d)); };
  r.dtypes = wide_uint_dtypes();
  r.grad_inputs = {};
  sinter::testing::check_record(r);
}

// Shifts of the other integer dtypes against PyTorch: counts in [0, 8) for the signed types
// (PyTorch 1.13's vectorised int32/int64 shifts wrap larger counts), past the width for uint8.
TEST(UIntOps, ShiftsAgainstTorch) {
  for (bool left : {true, false}) {
    OpRecord r;
    r.ops = {left ? "bitwise_left_shift" : "bitwise_right_shift"};
    r.torch = left ? "torch.bitwise_left_shift(a0, a1)" : "torch.bitwise_right_shift(a0, a1)";
    r.fn = [left](const TensorList& x) {
      return TensorList{left ? bitwise_left_shift(x[0], x[1]) : x[0].bitwise_right_shift(x[1])};
    };
    r.samples = [](DType d) { return binary_samples(d, -100, 100, 0, d == kByte ? 12 : 8); };
    r.dtypes = sinter::testing::int_dtypes();
    r.grad_inputs = {};
    r.errors = {expect_error<DTypeError>("float", [] { bitwise_left_shift(ones({2}, kFloat), ones({2}, kLong)); },
                                         "bitwise_left_shift"),
                expect_error<DTypeError>("bool", [] { bitwise_right_shift(ones({2}, kBool), ones({2}, kBool)); },
                                         "bitwise_right_shift"),
                expect_error<ShapeError>("shapes", [] { bitwise_left_shift(ones({2, 3}, kInt), ones({2}, kInt)); },
                                         "bitwise_left_shift")};
    sinter::testing::check_record(r);
  }
  // Counts outside [0, bits): PyTorch 2's rules (exact values, computed by hand).
  Tensor a = tensor({5, -5, 1}).to(kChar);
  EXPECT_TRUE(equal(bitwise_left_shift(a, full({3}, 8, kChar)), zeros({3}, kChar)));
  EXPECT_TRUE(equal(bitwise_right_shift(a, full({3}, 9, kChar)), tensor({0, -1, 0}).to(kChar)));
  EXPECT_TRUE(equal(bitwise_left_shift(a, full({3}, -1, kChar)), zeros({3}, kChar)));
  Tensor u = full({1}, Scalar(int64_t(-1)), kUInt64);  // 2^64 - 1
  EXPECT_TRUE(equal(u >> full({1}, 63, kUInt64), ones({1}, kUInt64)));
  EXPECT_TRUE(equal(u << full({1}, 64, kUInt64), zeros({1}, kUInt64)));
}

TEST(UIntOps, Comparisons) {
  const char* names[] = {"eq", "ne", "lt", "le", "gt", "ge"};
  const char* syms[] = {"==", "!=", "<", "<=", ">", ">="};
  Fn2 fns[] = {[](const Tensor& a, const Tensor& b) { return a == b; }, [](const Tensor& a, const Tensor& b) { return a != b; },
               [](const Tensor& a, const Tensor& b) { return a < b; },  [](const Tensor& a, const Tensor& b) { return a <= b; },
               [](const Tensor& a, const Tensor& b) { return a > b; },  [](const Tensor& a, const Tensor& b) { return a >= b; }};
  for (int k = 0; k < 6; ++k)
    check_binary(names[k], std::string("a0 ") + syms[k] + " a1", fns[k], 0, 4, 4);  // small values: ties occur
}

TEST(UIntOps, WhereClamp) {
  OpRecord r;
  r.ops = {"where", "clamp"};
  r.numpy = "(np.where(np.asarray(a0), a1, a2), np.clip(a1, 3, 50))";
  r.fn = [](const TensorList& x) { return TensorList{where(x[0], x[1], x[2]), clamp(x[1], 3, 50)}; };
  r.samples = [](DType d) {
    return std::vector<OpSample>{
        {{make_tensor({3, 4}, kBool), make_tensor({3, 4}, d, 0, 100), make_tensor({3, 4}, d, 0, 100)}, "same shape"},
        {{make_tensor({3, 1}, kBool), make_tensor({3, 4}, d, 0, 100), make_tensor({4}, d, 0, 100)}, "broadcast"},
        {{make_tensor({0, 4}, kBool), make_tensor({0, 4}, d, 0, 100), make_tensor({4}, d, 0, 100)}, "empty"}};
  };
  r.dtypes = wide_uint_dtypes();
  r.grad_inputs = {};
  sinter::testing::check_record(r);
}

TEST(UIntOps, Reductions) {
  OpRecord r;
  r.ops = {"sum", "prod", "amax", "amin", "argmax", "argmin", "cumsum"};
  r.numpy = "(np.sum(a0), np.sum(a0, axis=1), np.prod(a0, axis=1), np.amax(a0, axis=0), np.amin(a0, axis=1), "
            "np.argmax(a0, axis=1), np.argmin(a0, axis=0), np.cumsum(a0, axis=0))";
  r.fn = [](const TensorList& x) {
    const Tensor& a = x[0];
    return TensorList{sum(a),          sum(a, {1}),         prod(a, 1),         amax(a, {0}),
                      amin(a, {1}),    argmax(a, 1),        argmin(a, 0),       cumsum(a, 0)};
  };
  r.samples = [](DType d) {
    auto s = reduce_samples(d, high_of(d));  // sums and products wrap around
    s.pop_back();                            // argmax of an empty row is an error
    return s;
  };
  r.dtypes = wide_uint_dtypes();
  r.grad_inputs = {};
  r.errors = {expect_error<DTypeError>("mean", [] { mean(ones({2}, kUInt32)); }, "mean")};
  sinter::testing::check_record(r);

  OpRecord e;  // the empty cases, without argmax
  e.ops = {"sum", "prod", "amax"};
  e.numpy = "(np.sum(a0, axis=1), np.prod(a0, axis=1), np.amax(a0, axis=1))";
  e.fn = [](const TensorList& x) { return TensorList{sum(x[0], {1}), prod(x[0], 1), amax(x[0], {1})}; };
  e.samples = [](DType d) { return std::vector<OpSample>{{{make_tensor({3, 0}, d, 0, 9).t()}, "empty"}}; };
  e.dtypes = wide_uint_dtypes();
  e.grad_inputs = {};
  sinter::testing::check_record(e);
  EXPECT_TRUE(equal(max(tensor({3, 9, 1}).to(kUInt16)), full({}, 9, kUInt16)));
}

TEST(UIntOps, Casts) {
  const DType targets[] = {kFloat, kDouble, kLong, kInt, kShort, kChar, kByte, kBool, kUInt16, kUInt32, kUInt64};
  // From each unsigned dtype to every dtype (C conversions: integers wrap, floats round).
  OpRecord r;
  r.ops = {"to_dtype"};
  r.numpy = "[a0.astype(np.float32), a0.astype(np.float64), a0.astype(np.int64), a0.astype(np.int32), "
            "a0.astype(np.int16), a0.astype(np.int8), a0.astype(np.uint8), a0.astype(bool), a0.astype(np.uint16), "
            "a0.astype(np.uint32), a0.astype(np.uint64)]";
  r.fn = [targets](const TensorList& x) {
    TensorList o;
    for (DType t : targets) o.push_back(x[0].to(t));
    return o;
  };
  r.samples = [](DType d) { return sinter::testing::unary_samples(d, 0, high_of(d)); };
  r.dtypes = wide_uint_dtypes();
  r.grad_inputs = {};
  sinter::testing::check_record(r);
  // Into each unsigned dtype from the other dtypes (negative integers wrap around).
  for (DType u : wide_uint_dtypes()) {
    OpRecord c;
    c.ops = {"to_dtype"};
    c.numpy = "np.asarray(a0).astype(" + np_dtype(u) + ")";
    c.fn = [u](const TensorList& x) { return TensorList{x[0].to(u)}; };
    c.samples = [](DType) {
      std::vector<OpSample> s;
      for (DType from : {kFloat, kDouble})
        s.push_back({{make_tensor({7}, from, 0, 60000)}, std::string(dtype_name(from))});
      for (DType from : {kLong, kInt, kShort, kChar, kByte, kBool})
        s.push_back({{make_tensor({7}, from, -100, 100)}, std::string(dtype_name(from))});
      for (DType from : wide_uint_dtypes()) s.push_back({{make_tensor({7}, from, 0, high_of(from))}, std::string(dtype_name(from))});
      return s;
    };
    c.dtypes = {u};
    c.grad_inputs = {};
    sinter::testing::check_record(c);
  }
  // float -> uint64 keeps [2^63, 2^64); values computed by hand
  EXPECT_EQ(full({}, 1.5e19, kDouble).to(kUInt64).item().to<uint64_t>(), uint64_t(15000000000000000000ull));
}

TEST(UIntOps, Promotion) {
  // Integer pairs: numpy's result_type, through the sum of the two tensors.
  OpRecord r;
  r.ops = {"add"};
  r.numpy = "np.asarray(a0) + np.asarray(a1)";
  r.fn = [](const TensorList& x) { return TensorList{x[0] + x[1]}; };
  r.samples = [](DType d) {
    std::vector<OpSample> s;
    for (DType o : {kBool, kByte, kChar, kShort, kInt, kLong, kUInt16, kUInt32, kUInt64}) {
      s.push_back({{make_tensor({2, 3}, d, 0, 50), make_tensor({2, 3}, o, 0, 50)}, "with " + std::string(dtype_name(o))});
      s.push_back({{make_tensor({3}, o, 0, 50), make_tensor({2, 3}, d, 0, 50)}, std::string(dtype_name(o)) + " with"});
    }
    return s;
  };
  r.dtypes = wide_uint_dtypes();
  r.grad_inputs = {};
  sinter::testing::check_record(r);
  // With floats the float wins (PyTorch's category rule; numpy would widen float16/float32).
  EXPECT_EQ(promote_types(kUInt64, kFloat), kFloat);
  EXPECT_EQ(promote_types(kHalf, kUInt16), kHalf);
  EXPECT_EQ(promote_types(kUInt64, kLong), kDouble);
  EXPECT_EQ(promote_types(kUInt32, kChar), kLong);
  EXPECT_EQ(promote_types(kByte, kUInt16), kUInt16);
  EXPECT_EQ(promote_types(kBool, kUInt32), kUInt32);
}

TEST(UIntOps, FactoriesAndIndexing) {
  for (DType d : wide_uint_dtypes()) {
    OpRecord r;
    r.ops = {"arange", "full", "cat", "index_select"};
    r.numpy = "(np.arange(2, 20, 3, dtype=" + np_dtype(d) + "), np.full((2, 3), 7, dtype=" + np_dtype(d) +
              "), np.zeros((2,), dtype=" + np_dtype(d) + "), np.concatenate([a0, a0[:1]], axis=0), "
              "np.take(a0, np.asarray(a1), axis=1))";
    r.fn = [d](const TensorList& x) {
      return TensorList{arange(2, 20, 3, TensorOptions(d)), full({2, 3}, 7, d), zeros({2}, d),
                        cat({x[0], x[0].slice(0, 0, 1)}, 0), index_select(x[0], 1, x[1])};
    };
    r.samples = [](DType dt) {
      return std::vector<OpSample>{{{make_tensor({3, 4}, dt, 0, high_of(dt)), tensor({3, 0, 0, 2})}, "2-D"}};
    };
    r.dtypes = {d};
    r.grad_inputs = {};
    sinter::testing::check_record(r);
  }
}

TEST(UIntOps, UnsupportedOpsThrow) {
  EXPECT_THROW(matmul(ones({2, 2}, kUInt32), ones({2, 2}, kUInt32)), DTypeError);
  EXPECT_THROW(max_pool2d(ones({1, 1, 4, 4}, kUInt16), {2, 2}), DTypeError);
}

TEST(UIntOps, PrintAndNpy) {
  Tensor t = full({2}, Scalar(int64_t(-1)), kUInt64);
  EXPECT_EQ(t.toString(), "tensor([18446744073709551615, 18446744073709551615], dtype=torch.uint64)");
  EXPECT_EQ(full({1}, 65535, kUInt16).toString(), "tensor([65535], dtype=torch.uint16)");
  auto dir = std::filesystem::temp_directory_path();
  for (DType d : wide_uint_dtypes()) {
    Tensor x = make_tensor({3, 2}, d, 0, high_of(d));
    std::string path = (dir / ("sinter_uint_" + std::string(dtype_name(d)) + ".npy")).string();
    io::save_npy(path, x);
    Tensor y = io::load_npy(path);
    std::remove(path.c_str());
    EXPECT_EQ(y.dtype(), d);
    EXPECT_TRUE(equal(x, y));
  }
}
