// Importer entries for losses and indexing ops: NegativeLogLikelihoodLoss,
// SoftmaxCrossEntropyLoss, OneHot, GatherND, ScatterND, Compress, ReverseSequence, NonZero and
// the window generators. Each is a registry op or a composition of registry ops.
#include <cmath>
#include <limits>
#include <numbers>

#include "onnx/onnx_internal.h"
#include "sinter/ops/factory.h"

namespace sinter::onnx::detail {
namespace {

using V = graph::Value*;
constexpr int kMax = kMaxOpset;

int64_t prod(const DimVector& s, size_t lo, size_t hi) {
  int64_t p = 1;
  for (size_t i = lo; i < hi; ++i) p *= s[i];
  return p;
}

/// A Long constant holding v, viewed as `shape`.
V long_const(Ctx& c, const std::vector<int64_t>& v, DimVector shape) {
  Tensor t = empty({static_cast<int64_t>(v.size())}, dtype(DType::Long));
  std::copy(v.begin(), v.end(), static_cast<int64_t*>(t.data_ptr()));
  return c.constant(t.reshape(shape));
}

/// 0, 1, ..., n-1 as Long, laid along dim `at` of a rank-`rank` shape of ones.
V iota(Ctx& c, int64_t n, int64_t at, int64_t rank) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  DimVector shape(static_cast<size_t>(rank), 1);
  shape[static_cast<size_t>(at)] = n;
  return long_const(c, v, shape);
}

/// Negative entries of idx (Long) count from `n` (a scalar or a broadcastable Long value).
V wrap_negative(Ctx& c, V idx, V n) {
  return c.emit("where", {c.emit("lt", {idx, c.scalar(0, DType::Long)}), c.emit("add", {idx, n}), idx});
}

V as_long(Ctx& c, V v) { return c.dtype(v) == DType::Long ? v : c.emit("to_dtype", {v}, {DType::Long}); }

int64_t reduction_of(Ctx& c) {
  std::string r = c.attr_s("reduction", "mean");
  if (r == "none") return 0;
  if (r == "mean") return 1;
  if (r == "sum") return 2;
  c.invalid("reduction '" + r + "' (expected none, mean or sum)");
}

// ---- losses -------------------------------------------------------------------------------

/// nll_loss over log-probabilities (N, C, d1, ...) and class targets (N, d1, ...).
V nll(Ctx& c, V logp, size_t target_in, size_t weight_in) {
  V target = as_long(c, c.in(target_in));
  V w = c.opt_in(weight_in);
  if (w && c.dtype(w) != c.dtype(logp)) c.invalid("weights must have the input's dtype");
  // Without ignore_index every target is a class; the sentinel never matches one.
  int64_t ignore = c.has_attr("ignore_index") ? c.attr_i("ignore_index", 0) : std::numeric_limits<int64_t>::min();
  if (c.rank(logp) < 2) c.invalid("input must be (N, C) or (N, C, d1, ...)");
  return c.emit_n("nll_loss", {logp, target, w}, {reduction_of(c), ignore})[0];
}

void nll_build(Ctx& c) { c.set_out(0, nll(c, c.in(0), 1, 2)); }

void sce_build(Ctx& c) {
  V x = c.in(0);
  if (c.rank(x) < 2) c.invalid("scores must be (N, C) or (N, C, d1, ...)");
  V logp = c.emit("log_softmax", {x}, {int64_t(1)});
  c.set_out(0, nll(c, logp, 1, 2));
  c.set_out(1, logp);
}

// ---- indexing -----------------------------------------------------------------------------

/// A one-element input as a 0-d Long value (a constant when the input is one).
V scalar_long(Ctx& c, size_t i, const char* what) {
  DimVector s = c.static_shape(c.in(i), what);
  if (prod(s, 0, s.size()) != 1) c.invalid(std::string(what) + " must hold one value");
  return as_long(c, reshape(c, c.in(i), {}));
}

/// 0, 1, ..., n - 1 for a 0-d Long value n (computed at run time unless n is a constant).
V arange_of(Ctx& c, V n, DType dt) {
  return c.emit("arange", {}, {Scalar(int64_t(0)), Scalar(int64_t(0)), Scalar(int64_t(1)), dt}, {{1, n}});
}

// out[..., j, ...] (j on `axis`) = on if indices[...] (negative: + depth) == j else off.
void one_hot_build(Ctx& c) {
  V idx = as_long(c, c.in(0));
  V depth = scalar_long(c, 1, "depth");
  if (depth->is_initializer() && depth->constant.item().to<int64_t>() <= 0)
    c.invalid("depth must be positive, got " + std::to_string(depth->constant.item().to<int64_t>()));
  V values = c.in(2);
  if (c.static_shape(values, "OneHot values") != DimVector{2}) c.invalid("values must hold [off, on]");
  int64_t r = c.rank(idx);
  int64_t a = c.axis(c.attr_i("axis", -1), r + 1, "axis");
  idx = wrap_negative(c, idx, depth);
  V classes = arange_of(c, depth, DType::Long);  // laid along `a` of the output
  for (int64_t i = a; i < r; ++i) classes = c.emit("unsqueeze", {classes}, {int64_t(1)});
  V hit = c.emit("eq", {c.emit("unsqueeze", {idx}, {a}), classes});
  V off = c.emit("select", {values}, {int64_t(0), int64_t(0)}), on = c.emit("select", {values}, {int64_t(0), int64_t(1)});
  c.set_out(0, c.emit("where", {hit, on, off}));
}

/// Row-major linear offsets into dims[0..k) of the index tuples in idx (..., k), negative
/// entries wrapped: shape idx.shape[:-1].
V linear_index(Ctx& c, V idx, const DimVector& dims) {
  int64_t k = static_cast<int64_t>(dims.size());
  std::vector<int64_t> size(dims.begin(), dims.end()), stride(static_cast<size_t>(k), 1);
  for (int64_t j = k - 2; j >= 0; --j) stride[j] = stride[j + 1] * size[j + 1];
  idx = wrap_negative(c, as_long(c, idx), long_const(c, size, {k}));
  return c.emit("sum", {c.emit("mul", {idx, long_const(c, stride, {k})})}, {DimVector{-1}, false});
}

void gather_nd_build(Ctx& c) {
  V x = c.in(0), idx = c.in(1);
  DimVector xs = c.static_shape(x, "GatherND"), is = c.static_shape(idx, "GatherND");
  int64_t b = c.attr_i("batch_dims", 0), q = static_cast<int64_t>(is.size()), r = static_cast<int64_t>(xs.size());
  if (q < 1 || b < 0 || b >= q || b >= r) c.invalid("batch_dims " + std::to_string(b) + " out of range");
  int64_t k = is.back();
  if (k < 1 || b + k > r) c.invalid("index tuples of length " + std::to_string(k) + " for data of rank " + std::to_string(r));
  for (int64_t i = 0; i < b; ++i)
    if (xs[i] != is[i]) c.invalid("batch dims of data and indices differ");
  int64_t B = prod(xs, 0, b), P = prod(xs, b, b + k), M = prod(is, b, q - 1);
  V lin = linear_index(c, idx, DimVector(xs.begin() + b, xs.begin() + b + k));
  lin = reshape(c, lin, {B, M});
  if (B > 1) lin = c.emit("add", {lin, c.emit("mul", {iota(c, B, 0, 2), c.scalar(static_cast<double>(P), DType::Long)})});
  DimVector flat{B * P};
  for (int64_t i = b + k; i < r; ++i) flat.push_back(xs[i]);
  V g = c.emit("index_select", {reshape(c, x, flat), reshape(c, lin, {B * M})}, {int64_t(0)});
  DimVector out(is.begin(), is.end() - 1);
  for (int64_t i = b + k; i < r; ++i) out.push_back(xs[i]);
  c.set_out(0, reshape(c, g, out));
}

void scatter_nd_build(Ctx& c) {
  V x = c.in(0), idx = c.in(1), upd = c.in(2);
  DimVector xs = c.static_shape(x, "ScatterND"), is = c.static_shape(idx, "ScatterND");
  std::string red = c.attr_s("reduction", "none");
  if (red != "none" && red != "add" && red != "mul") c.unsupported("ScatterND reduction '" + red + "'");
  int64_t q = static_cast<int64_t>(is.size()), r = static_cast<int64_t>(xs.size());
  if (q < 1) c.invalid("indices must have rank >= 1");
  int64_t k = is.back();
  if (k < 1 || k > r) c.invalid("index tuples of length " + std::to_string(k) + " for data of rank " + std::to_string(r));
  DimVector us(is.begin(), is.end() - 1);
  for (int64_t i = k; i < r; ++i) us.push_back(xs[i]);
  if (c.static_shape(upd, "ScatterND") != us) c.invalid("updates must have shape " + shape_str(us));
  int64_t P = prod(xs, 0, k), R = prod(xs, k, r), M = prod(is, 0, q - 1);
  V lin = reshape(c, linear_index(c, idx, DimVector(xs.begin(), xs.begin() + k)), {M, 1});
  V data = reshape(c, x, {P, R});
  V u = reshape(c, upd, {M, R});
  V y;
  if (red == "mul") {
    // One update row at a time, so repeated indices multiply in.
    V ones = c.constant(sinter::ones({P, R}, dtype(c.dtype(x))));
    y = data;
    for (int64_t m = 0; m < M; ++m) {
      V row = c.emit("slice", {lin}, {int64_t(0), m, m + 1, int64_t(1)});
      V f = c.emit("scatter", {ones, c.emit("expand", {row}, {DimVector{1, R}}),
                               c.emit("slice", {u}, {int64_t(0), m, m + 1, int64_t(1)})}, {int64_t(0)});
      y = c.emit("mul", {y, f});
    }
  } else {
    V full = c.emit("expand", {lin}, {DimVector{M, R}});
    y = c.emit(red == "add" ? "scatter_add" : "scatter", {data, full, u}, {int64_t(0)});
  }
  c.set_out(0, reshape(c, y, xs));
}

void compress_build(Ctx& c) {
  V x = c.in(0), cond = c.in(1);
  int64_t a = 0;
  if (c.has_attr("axis")) a = c.axis(c.attr_i("axis", 0), c.rank(x), "axis");
  else x = reshape(c, x, {-1});
  DimVector cs = c.static_shape(cond, "Compress condition");
  if (cs.size() != 1) c.invalid("condition must be 1-D");
  auto xa = c.shape(x)[static_cast<size_t>(a)];
  if (xa.is_static() && cs[0] > xa.value) c.invalid("condition is longer than the axis (" + xa.str() + ")");
  V idx;
  if (cond->is_initializer()) {
    Tensor t = cond->constant.to(DType::Bool).contiguous();
    const bool* p = static_cast<const bool*>(t.data_ptr());
    std::vector<int64_t> keep;
    for (int64_t i = 0; i < t.numel(); ++i)
      if (p[i]) keep.push_back(i);
    idx = long_const(c, keep, {static_cast<int64_t>(keep.size())});
  } else {
    idx = c.emit("select", {c.emit("nonzero", {cond})}, {int64_t(1), int64_t(0)});
  }
  c.set_out(0, c.emit("index_select", {x, idx}, {a}));
}

// y[t, b] = x[L_b - 1 - t, b] for t < L_b, else x[t, b] (time and batch axes as attributes).
void reverse_sequence_build(Ctx& c) {
  V x = c.in(0);
  DimVector xs = c.static_shape(x, "ReverseSequence");
  int64_t r = static_cast<int64_t>(xs.size());
  if (r < 2) c.invalid("input must have rank >= 2");
  int64_t ta = c.axis(c.attr_i("time_axis", 0), r, "time_axis"), ba = c.axis(c.attr_i("batch_axis", 1), r, "batch_axis");
  if (ta == ba) c.invalid("time_axis and batch_axis must differ");
  V lens = c.in(1);
  if (c.static_shape(lens, "sequence_lens") != DimVector{xs[ba]}) c.invalid("sequence_lens must have one entry per batch");
  DimVector ls(static_cast<size_t>(r), 1);
  ls[ba] = xs[ba];
  V L = reshape(c, as_long(c, lens), ls);
  V t = iota(c, xs[ta], ta, r);
  V rev = c.emit("sub", {c.emit("sub", {L, c.scalar(1, DType::Long)}), t});
  V idx = c.emit("where", {c.emit("lt", {t, L}), rev, t});
  c.set_out(0, c.emit("gather", {x, c.emit("expand", {idx}, {xs})}, {ta}));
}

void nonzero_build(Ctx& c) {
  V nz = c.emit("nonzero", {c.in(0)});
  c.set_out(0, c.emit("clone", {c.emit("permute", {nz}, {DimVector{1, 0}})}));
}

// Hann / Hamming / Blackman windows: cosine sums over x = 2 pi n / N, N the size when
// periodic, else size - 1 (computed in double, then cast).
void window_build(Ctx& c, const std::string& kind) {
  if (!is_integral(c.dtype(c.in(0)))) c.invalid("size must be an integer");
  V n = scalar_long(c, 0, "size");
  if (n->is_initializer() && (n->constant.item().to<int64_t>() < 0 || n->constant.item().to<int64_t>() > (int64_t(1) << 28)))
    c.invalid("size " + std::to_string(n->constant.item().to<int64_t>()) + " out of range");
  DType dt = dtype_from_onnx(static_cast<int32_t>(c.attr_i("output_datatype", 1)), "output_datatype");
  auto k = [&](double v) { return c.scalar(v, DType::Double); };
  V N = c.emit("to_dtype", {n}, {DType::Double});
  if (!c.attr_i("periodic", 1)) N = c.emit("sub", {N, k(1)});
  V x = c.emit("div", {c.emit("mul", {arange_of(c, n, DType::Double), k(2 * std::numbers::pi)}), N});
  V cx = c.emit("cos", {x});
  V w;
  if (kind == "hann") w = c.emit("sub", {k(0.5), c.emit("mul", {cx, k(0.5)})});
  else if (kind == "hamming") w = c.emit("sub", {k(25.0 / 46.0), c.emit("mul", {cx, k(21.0 / 46.0)})});
  else w = c.emit("add", {c.emit("sub", {k(0.42), c.emit("mul", {cx, k(0.5)})}),
                          c.emit("mul", {c.emit("cos", {c.emit("mul", {x, k(2)})}), k(0.08)})});
  c.set_out(0, c.emit("to_dtype", {w}, {dt}));
}

// ---- sorting, linear algebra, bits ----------------------------------------------------------

void topk_build(Ctx& c) {
  V x = c.in(0);
  int64_t a = c.axis(c.attr_i("axis", -1), c.rank(x), "axis");
  bool largest = c.attr_i("largest", 1) != 0, sorted = c.attr_i("sorted", 1) != 0;
  std::vector<V> o;
  if (c.opset < 10) {
    o = c.emit_n("topk", {x}, {c.attr_i("k", -1), a, largest, sorted});
  } else {  // K: a one-element tensor, computed at run time or not
    if (c.static_shape(c.in(1), "K") != DimVector{1}) c.invalid("K must be a 1-D tensor of one value");
    o = c.emit_n("topk", {x}, {std::monostate{}, a, largest, sorted}, {{0, reshape(c, c.in(1), {})}});
  }
  c.set_out(0, o[0]);
  c.set_out(1, o[1]);
}

void unique_build(Ctx& c) {
  ops::Attrs at{c.attr_i("sorted", 1) != 0, std::monostate{}};
  if (c.has_attr("axis")) at[1] = c.axis(c.attr_i("axis", 0), c.rank(c.in(0)), "axis");
  auto o = c.emit_n("unique", {c.in(0)}, at);
  for (size_t i = 0; i < 4; ++i) c.set_out(i, o[i]);
}

// BitShift on unsigned tensors (uint8/16/32/64): counts of the width or more shift everything out.
void bit_shift_build(Ctx& c) {
  V x = c.in(0), y = c.in(1);
  DType dt = c.dtype(x);
  if (!is_unsigned(dt)) c.unsupported("BitShift on " + std::string(dtype_name(dt)) + " (unsigned types only)");
  std::string dir = c.attr_s("direction", "");
  if (dir != "LEFT" && dir != "RIGHT") c.invalid("direction must be LEFT or RIGHT, got '" + dir + "'");
  if (c.dtype(y) != dt) y = c.emit("to_dtype", {y}, {dt});
  c.set_out(0, c.emit(dir == "LEFT" ? "bitwise_left_shift" : "bitwise_right_shift", {x, y}));
}

// ---- random -------------------------------------------------------------------------------
// The seed attribute makes every run draw the same values; the outputs never match stored
// test data (a different generator), only its shape and dtype.

ops::AttrValue seed_attr(Ctx& c) { return c.has_attr("seed") ? ops::AttrValue(c.attr_f("seed", 0)) : std::monostate{}; }
ops::AttrValue dtype_attr(Ctx& c) {
  if (!c.has_attr("dtype")) return std::monostate{};
  return dtype_from_onnx(static_cast<int32_t>(c.attr_i("dtype", 1)), "dtype");
}

void random_like_build(Ctx& c, bool normal) {
  double a = normal ? c.attr_f("mean", 0) : c.attr_f("low", 0), b = normal ? c.attr_f("scale", 1) : c.attr_f("high", 1);
  c.set_out(0, c.emit(normal ? "random_normal_like" : "random_uniform_like", {c.in(0)}, {a, b, seed_attr(c), dtype_attr(c)}));
}

const TableRegistrar more_entries({
    {"NegativeLogLikelihoodLoss", 12, kMax, nll_build},
    {"SoftmaxCrossEntropyLoss", 12, kMax, sce_build},
    {"OneHot", 9, kMax, one_hot_build},
    {"GatherND", 11, kMax, gather_nd_build},
    {"ScatterND", 11, kMax, scatter_nd_build},
    {"Compress", 9, kMax, compress_build},
    {"ReverseSequence", 10, kMax, reverse_sequence_build},
    {"NonZero", 9, kMax, nonzero_build},
    {"HannWindow", 17, kMax, [](Ctx& c) { window_build(c, "hann"); }},
    {"HammingWindow", 17, kMax, [](Ctx& c) { window_build(c, "hamming"); }},
    {"BlackmanWindow", 17, kMax, [](Ctx& c) { window_build(c, "blackman"); }},
    {"TopK", 1, kMax, topk_build},
    {"Unique", 11, kMax, unique_build},
    {"Det", 11, kMax, [](Ctx& c) { c.set_out(0, c.emit("det", {c.in(0)})); }},
    {"BitShift", 11, kMax, bit_shift_build},
    {"RandomUniformLike", 1, kMax, [](Ctx& c) { random_like_build(c, false); }},
    {"RandomNormalLike", 1, kMax, [](Ctx& c) { random_like_build(c, true); }},
    {"Bernoulli", 15, kMax, [](Ctx& c) { c.set_out(0, c.emit("bernoulli", {c.in(0)}, {seed_attr(c), dtype_attr(c)})); }},
});

}  // namespace
}  // namespace sinter::onnx::detail
