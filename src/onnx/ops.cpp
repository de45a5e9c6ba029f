// The importer table: ONNX (op type, opset range) -> a builder emitting registry ops.
// Attribute conversion lives here; ops sinter lacks are composed from registry ops.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include "onnx/onnx_internal.h"
#include "sinter/ops/factory.h"

namespace sinter::onnx::detail {
namespace {

using graph::Value;
using V = Value*;
constexpr int kMax = kMaxOpset;

BuildFn unary(const char* op) {
  return [op](Ctx& c) { c.set_out(0, c.emit(op, {c.in(0)})); };
}

// Opsets < 7: with broadcast=1 and `axis`, B's dims align with A's starting at axis
// (B gets trailing ones); without axis, trailing alignment is numpy's.
V legacy_rhs(Ctx& c) {
  V b = c.in(1);
  if (c.opset >= 7 || !c.has_attr("axis") || c.attr_i("broadcast", 0) == 0) return b;
  int64_t ra = c.rank(c.in(0));
  int64_t a = c.axis(c.attr_i("axis", 0), ra, "axis");
  DimVector bs = c.static_shape(b, "legacy broadcast");
  if (a + static_cast<int64_t>(bs.size()) > ra) c.invalid("legacy broadcast: B does not fit A at axis");
  while (static_cast<int64_t>(bs.size()) < ra - a) bs.push_back(1);
  return reshape(c, b, bs);
}

BuildFn binary(const char* op) {
  return [op](Ctx& c) { c.set_out(0, c.emit(op, {c.in(0), legacy_rhs(c)})); };
}

BuildFn variadic(const char* op) {
  return [op](Ctx& c) {
    size_t n = c.num_inputs();
    if (n == 0) c.invalid("needs at least one input");
    V acc = c.in(0);
    if (n == 1) acc = c.emit("clone", {acc});
    for (size_t i = 1; i < n; ++i) acc = c.emit(op, {acc, c.in(i)});
    c.set_out(0, acc);
  };
}

void div_build(Ctx& c) {
  V a = c.in(0), b = legacy_rhs(c);
  ops::Attrs at;
  if (is_integral(c.dtype(a))) at = {std::string("trunc")};
  c.set_out(0, c.emit("div", {a, b}, at));
}

// ONNX Pow keeps the base's type (PyTorch promotes int ** float to float).
void pow_build(Ctx& c) {
  V x = c.in(0);
  V y = c.emit("pow", {x, legacy_rhs(c)});
  if (c.dtype(y) != c.dtype(x)) y = c.emit("to_dtype", {y}, {c.dtype(x)});
  c.set_out(0, y);
}

// Negative indices count from the end of a dimension of static size n.
V wrap_indices(Ctx& c, V idx, const graph::Dim& n) {
  if (!n.is_static()) return idx;
  DType dt = c.dtype(idx);
  V zero = c.scalar(0, dt);
  return c.emit("where", {c.emit("lt", {idx, zero}), c.emit("add", {idx, c.scalar(static_cast<double>(n.value), dt)}), idx});
}

void mod_build(Ctx& c) {
  c.set_out(0, c.emit(c.attr_i("fmod", 0) ? "fmod" : "remainder", {c.in(0), c.in(1)}));
}

void mean_build(Ctx& c) {
  size_t n = c.num_inputs();
  if (n == 0) c.invalid("needs at least one input");
  V acc = c.in(0);
  for (size_t i = 1; i < n; ++i) acc = c.emit("add", {acc, c.in(i)});
  c.set_out(0, c.emit("div", {acc, c.scalar(static_cast<double>(n), c.dtype(acc))}));
}

void identity_build(Ctx& c) { c.set_out(0, c.in(0)); }

void constant_build(Ctx& c) {
  Tensor t;
  if (c.has_attr("value")) t = c.attr_t("value");
  else if (c.has_attr("value_float")) t = ops::scalar_tensor(Scalar(c.attr_f("value_float", 0)), DType::Float).to(DType::Float);
  else if (c.has_attr("value_int")) t = ops::scalar_tensor(Scalar(c.attr_i("value_int", 0)), DType::Long);
  else if (c.has_attr("value_floats")) {
    auto f = c.attr_floats("value_floats");
    t = empty({static_cast<int64_t>(f.size())}, dtype(DType::Float));
    for (size_t i = 0; i < f.size(); ++i) static_cast<float*>(t.data_ptr())[i] = static_cast<float>(f[i]);
  } else if (c.has_attr("value_ints")) {
    auto v = c.attr_ints("value_ints");
    t = empty({static_cast<int64_t>(v.size())}, dtype(DType::Long));
    std::copy(v.begin(), v.end(), static_cast<int64_t*>(t.data_ptr()));
  } else {
    c.unsupported("Constant without value / value_float(s) / value_int(s)");
  }
  c.set_out(0, c.constant(t));
}

Tensor long_tensor(const std::vector<int64_t>& v) {
  Tensor t = empty({static_cast<int64_t>(v.size())}, dtype(DType::Long));
  std::copy(v.begin(), v.end(), static_cast<int64_t*>(t.data_ptr()));
  return t;
}

void shape_build(Ctx& c) {
  c.set_out(0, c.shape_of(c.in(0), c.attr_i("start", 0), c.attr_i("end", INT64_MAX)));
}

void size_build(Ctx& c) {
  graph::Shape s = c.shape(c.in(0));
  int64_t n = 1;
  for (auto& d : s) n = d.is_static() && n >= 0 ? n * d.value : -1;
  c.set_out(0, n >= 0 ? c.constant(ops::scalar_tensor(Scalar(n), DType::Long)) : c.emit("numel", {c.in(0)}));
}

// A 1-D int64 run-time value of static length (a shape-like input).
int64_t dyn_len(Ctx& c, V v, const char* what) {
  DimVector s = c.static_shape(v, what);
  if (s.size() != 1) c.invalid(std::string(what) + " must be 1-D");
  if (!is_integral(c.dtype(v))) c.invalid(std::string(what) + " must be an integer tensor");
  return s[0];
}
V as_long(Ctx& c, V v) { return c.dtype(v) == DType::Long ? v : c.emit("to_dtype", {v}, {DType::Long}); }

// 0/1 (int64) mask of length n marking the run-time axes `axes` (negative ones count from n).
V axes_mask(Ctx& c, V axes, int64_t k, int64_t n) {
  V a = as_long(c, axes);
  V an = c.emit("where", {c.emit("lt", {a, c.scalar(0, DType::Long)}), c.emit("add", {a, c.scalar(static_cast<double>(n), DType::Long)}), a});
  std::vector<int64_t> iota(static_cast<size_t>(n));
  std::iota(iota.begin(), iota.end(), 0);
  V hit = c.emit("eq", {reshape(c, an, {k, 1}), c.constant(long_tensor(iota).view({1, n}))});
  return c.emit("amax", {c.emit("to_dtype", {hit}, {DType::Long})}, {DimVector{0}, false});
}

// A value known to be contiguous (inputs, initializers, non-view node outputs).
V contiguous(Ctx& c, V v) {
  if (v->producer && v->producer->op && v->producer->op->is_view) return c.emit("clone", {v});
  return v;
}

}  // namespace

V reshape(Ctx& c, V x, DimVector shape) { return c.emit("view", {contiguous(c, x)}, {shape}); }

V activation(Ctx& c, const std::string& name, V x, std::optional<double> alpha, std::optional<double> beta) {
  DType dt = c.dtype(x);
  auto k = [&](double v) { return c.scalar(v, dt); };
  if (name == "Relu") return c.emit("relu", {x});
  if (name == "Tanh") return c.emit("tanh", {x});
  if (name == "Sigmoid") return c.emit("sigmoid", {x});
  if (name == "LeakyRelu") return c.emit("leaky_relu", {x}, {alpha.value_or(0.01)});
  if (name == "Elu") return c.emit("elu", {x}, {Scalar(alpha.value_or(1.0)), Scalar(1.0), Scalar(1.0)});
  if (name == "HardSigmoid") {
    V y = c.emit("add", {c.emit("mul", {x, k(alpha.value_or(0.2))}), k(beta.value_or(0.5))});
    return c.emit("clamp", {y}, {Scalar(0.0), Scalar(1.0)});
  }
  if (name == "Softsign") return c.emit("div", {x, c.emit("add", {c.emit("abs", {x}), k(1)})});
  if (name == "Softplus") return c.emit("softplus", {x}, {Scalar(1.0), Scalar(1e30)});
  if (name == "ThresholdedRelu") return c.emit("where", {c.emit("gt", {x, k(alpha.value_or(1.0))}), x, k(0)});
  if (name == "Affine") return c.emit("add", {c.emit("mul", {x, k(alpha.value_or(1.0))}), k(beta.value_or(0.0))});
  if (name == "ScaledTanh")
    return c.emit("mul", {c.emit("tanh", {c.emit("mul", {x, k(beta.value_or(1.0))})}), k(alpha.value_or(1.0))});
  c.unsupported("activation '" + name + "'");
}

namespace {

void reshape_build(Ctx& c) {
  V x = c.in(0);
  bool allowzero = c.opset >= 14 && c.attr_i("allowzero", 0) != 0;
  if (!c.is_const(1)) {  // target computed at run time; 0 copies the input's dim unless allowzero
    V t = as_long(c, c.in(1));
    int64_t k = dyn_len(c, t, "shape");
    if (!allowzero) {
      int64_t r = c.rank(x);
      V xs = c.shape_of(x, 0, std::min(k, r));
      if (k > r) xs = c.emit("cat", {xs, c.constant(zeros({k - r}, dtype(DType::Long)))}, {int64_t(0)});
      t = c.emit("where", {c.emit("eq", {t, c.scalar(0, DType::Long)}), xs, t});
    }
    c.set_out(0, c.emit("view", {contiguous(c, x)}, {}, {{0, t}}));
    return;
  }
  auto s = c.const_ints(1, "shape");
  if (s.size() > 64) c.invalid("shape has too many dims");
  if (!allowzero && std::find(s.begin(), s.end(), 0) != s.end()) {
    auto xs = c.shape(x);
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] == 0) {
        if (i >= xs.size()) c.invalid("shape has a 0 beyond the input's rank");
        if (!xs[i].is_static()) c.unsupported("Reshape copying a symbolic dim (0 in shape)");
        s[i] = xs[i].value;
      }
  }
  if (std::count(s.begin(), s.end(), -1) > 1) c.invalid("shape has more than one -1");
  for (auto d : s)
    if (d < -1) c.invalid("shape holds a negative dim " + std::to_string(d));
  c.set_out(0, reshape(c, x, dv(s)));
}

void flatten_build(Ctx& c) {
  V x = c.in(0);
  auto s = c.shape(x);
  int64_t r = static_cast<int64_t>(s.size());
  int64_t a = c.attr_i("axis", 1);
  if (a < -r || a > r) c.invalid("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(r));
  if (a < 0) a += r;
  auto prod = [&](int64_t lo, int64_t hi) -> int64_t {
    int64_t p = 1;
    for (int64_t i = lo; i < hi; ++i) {
      if (!s[i].is_static()) return -1;
      p *= s[i].value;
    }
    return p;
  };
  int64_t p0 = prod(0, a), p1 = prod(a, r);
  if (p0 < 0 && p1 < 0) c.unsupported("Flatten with symbolic dims on both sides of the axis");
  c.set_out(0, reshape(c, x, {p0, p1}));
}

void transpose_build(Ctx& c) {
  V x = c.in(0);
  int64_t r = c.rank(x);
  auto perm = c.attr_ints("perm");
  if (perm.empty())
    for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != r) c.invalid("perm has " + std::to_string(perm.size()) + " entries for rank " + std::to_string(r));
  for (auto& p : perm) p = c.axis(p, r, "perm entry");
  c.set_out(0, c.emit("permute", {x}, {dv(perm)}));
}

std::vector<int64_t> axes_of(Ctx& c, int input_from_opset, size_t input_index) {
  if (c.opset >= input_from_opset) return c.has_in(input_index) ? c.const_ints(input_index, "axes") : std::vector<int64_t>{};
  return c.attr_ints("axes");
}

void squeeze_build(Ctx& c) {
  V x = c.in(0);
  if (c.opset >= 13 && c.has_in(1) && !c.is_const(1)) {  // keep the dims not listed
    int64_t r = c.rank(x);
    V keep = c.emit("eq", {axes_mask(c, c.in(1), dyn_len(c, c.in(1), "axes"), r), c.scalar(0, DType::Long)});
    V idx = reshape(c, c.emit("nonzero", {keep}), {-1});
    V target = c.emit("index_select", {c.shape_of(x), idx}, {int64_t(0)});
    c.set_out(0, c.emit("view", {contiguous(c, x)}, {}, {{0, target}}));
    return;
  }
  auto axes = axes_of(c, 13, 1);
  if (axes.empty()) {
    c.set_out(0, c.emit("squeeze", {x}));
    return;
  }
  auto s = c.shape(x);
  int64_t r = static_cast<int64_t>(s.size());
  for (auto& a : axes) {
    a = c.axis(a, r, "axis");
    if (s[a].is_static() && s[a].value != 1) c.invalid("cannot squeeze axis " + std::to_string(a) + " of size " + s[a].str());
  }
  std::sort(axes.rbegin(), axes.rend());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  for (auto a : axes) x = c.emit("squeeze", {x}, {a});
  c.set_out(0, x);
}

void unsqueeze_build(Ctx& c) {
  V x = c.in(0);
  if (c.opset >= 13 && c.has_in(1) && !c.is_const(1)) {  // 1 at the listed axes, x's dims in order elsewhere
    int64_t r = c.rank(x), k = dyn_len(c, c.in(1), "axes"), n = r + k;
    V mask = axes_mask(c, c.in(1), k, n);
    V one = c.scalar(1, DType::Long);
    V target;
    if (r == 0) {
      target = c.constant(ones({n}, dtype(DType::Long)));
    } else {
      V pos = c.emit("sub", {c.emit("cumsum", {c.emit("sub", {one, mask})}, {int64_t(0)}), one});
      V idx = c.emit("where", {c.emit("eq", {mask, one}), c.scalar(0, DType::Long), pos});
      V dims = c.emit("index_select", {c.shape_of(x), idx}, {int64_t(0)});
      target = c.emit("where", {c.emit("eq", {mask, one}), one, dims});
    }
    c.set_out(0, c.emit("view", {contiguous(c, x)}, {}, {{0, target}}));
    return;
  }
  auto axes = axes_of(c, 13, 1);
  if (axes.empty()) c.invalid("Unsqueeze needs axes");
  int64_t r = c.rank(x) + static_cast<int64_t>(axes.size());
  for (auto& a : axes) a = c.axis(a, r, "axis");
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) c.invalid("repeated axis");
  for (auto a : axes) x = c.emit("unsqueeze", {x}, {a});
  c.set_out(0, x);
}

void concat_build(Ctx& c) {
  std::vector<V> ins;
  for (size_t i = 0; i < c.num_inputs(); ++i) ins.push_back(c.in(i));
  if (ins.empty()) c.invalid("Concat needs inputs");
  int64_t r = c.rank(ins[0]);
  int64_t a = c.axis(c.attr_i("axis", c.opset < 4 ? 1 : 0), r, "axis");
  c.set_out(0, c.emit("cat", ins, {a}));
}

void split_build(Ctx& c) {
  V x = c.in(0);
  auto s = c.shape(x);
  int64_t r = static_cast<int64_t>(s.size());
  int64_t a = c.axis(c.attr_i("axis", 0), r, "axis");
  if (!s[a].is_static()) c.unsupported("Split along a symbolic dim");
  if (c.opset >= 13 && c.has_in(1) && !c.is_const(1)) {  // boundaries from the cumulative sizes
    V sp = as_long(c, c.in(1));
    size_t n = c.num_outputs();
    if (dyn_len(c, sp, "split") != static_cast<int64_t>(n)) c.invalid("split needs one size per output");
    V cs = c.emit("cumsum", {sp}, {int64_t(0)});
    for (size_t i = 0; i < n; ++i) {
      V start = i == 0 ? c.scalar(0, DType::Long) : c.element(cs, static_cast<int64_t>(i) - 1);
      c.set_out(i, c.emit("slice", {x}, {a, std::monostate{}, std::monostate{}, int64_t(1)},
                          {{1, start}, {2, c.element(cs, static_cast<int64_t>(i))}}));
    }
    return;
  }
  std::vector<int64_t> parts = c.opset >= 13 ? (c.has_in(1) ? c.const_ints(1, "split") : std::vector<int64_t>{})
                                             : c.attr_ints("split");
  size_t n = c.num_outputs();
  if (parts.empty()) {
    int64_t chunk = (s[a].value + static_cast<int64_t>(n) - 1) / static_cast<int64_t>(n);
    for (size_t i = 0; i < n; ++i) parts.push_back(std::max<int64_t>(0, std::min(chunk, s[a].value - chunk * static_cast<int64_t>(i))));
  }
  if (parts.size() != n) c.invalid("split has " + std::to_string(parts.size()) + " sizes for " + std::to_string(n) + " outputs");
  int64_t start = 0;
  for (size_t i = 0; i < n; ++i) {
    if (parts[i] < 0) c.invalid("negative split size");
    c.set_out(i, c.emit("slice", {x}, {a, start, start + parts[i], int64_t(1)}));
    start += parts[i];
  }
  if (start != s[a].value) c.invalid("split sizes do not add up to the axis size " + s[a].str());
}

// v + n where v < 0 (0-d Long values).
V wrap_long(Ctx& c, V v, V n) {
  return c.emit("where", {c.emit("lt", {v, c.scalar(0, DType::Long)}), c.emit("add", {v, n}), v});
}

// x[start:end:step] along the run-time axis a (0-d Long values; step of either sign), with
// ONNX Slice's clamping: [0, n] for a positive step, [-1, n - 1] (end) and [0, n - 1] (start)
// for a negative one. Gathers the positions arange(start, end, step).
V slice_any_step(Ctx& c, V x, V a, V start, V end, V step) {
  V n = reshape(c, c.emit("index_select", {c.shape_of(x), reshape(c, a, {1})}, {int64_t(0)}), {});
  V zero = c.scalar(0, DType::Long), one = c.scalar(1, DType::Long);
  V pos = c.emit("gt", {step, zero});
  V hi = c.emit("where", {pos, n, c.emit("sub", {n, one})});
  V lo_end = c.emit("where", {pos, zero, c.scalar(-1, DType::Long)});
  V b = c.emit("minimum", {c.emit("maximum", {wrap_long(c, start, n), zero}), hi});
  V e = c.emit("minimum", {c.emit("maximum", {wrap_long(c, end, n), lo_end}), hi});
  V idx = c.emit("arange", {}, {Scalar(int64_t(0)), Scalar(int64_t(0)), Scalar(int64_t(1)), DType::Long},
                 {{0, b}, {1, e}, {2, step}});
  return c.emit("index_select", {x, idx}, {int64_t(0)}, {{0, a}});
}

void slice_build(Ctx& c) {
  V x = c.in(0);
  std::vector<int64_t> starts, ends, axes, steps;
  if (c.opset < 10) {
    starts = c.attr_ints("starts");
    ends = c.attr_ints("ends");
    axes = c.attr_ints("axes");
  } else if ((c.has_in(3) && !c.is_const(3)) || (c.has_in(4) && !c.is_const(4))) {
    // run-time axes or steps too: every slice attribute from the tensors; a step of either
    // sign, so each axis gathers arange(start, end, step) over the spec's clamped bounds
    int64_t k = dyn_len(c, c.in(1), "starts");
    if (dyn_len(c, c.in(2), "ends") != k) c.invalid("starts and ends differ in length");
    V st = as_long(c, c.in(1)), en = as_long(c, c.in(2));
    V ax = c.has_in(3) ? as_long(c, c.in(3)) : nullptr, sp = c.has_in(4) ? as_long(c, c.in(4)) : nullptr;
    if ((ax && dyn_len(c, ax, "axes") != k) || (sp && dyn_len(c, sp, "steps") != k)) c.invalid("axes/steps lengths differ from starts");
    int64_t r = c.rank(x);
    for (int64_t i = 0; i < k; ++i) {
      V a = ax ? wrap_long(c, c.element(ax, i), c.scalar(static_cast<double>(r), DType::Long)) : c.scalar(static_cast<double>(i), DType::Long);
      x = slice_any_step(c, x, a, c.element(st, i), c.element(en, i), sp ? c.element(sp, i) : c.scalar(1, DType::Long));
    }
    c.set_out(0, x);
    return;
  } else if (!c.is_const(1) || !c.is_const(2)) {  // run-time bounds: axes and steps must be constants
    int64_t k = dyn_len(c, c.in(1), "starts");
    if (dyn_len(c, c.in(2), "ends") != k) c.invalid("starts and ends differ in length");
    if (c.has_in(3)) axes = c.const_ints(3, "axes");
    if (c.has_in(4)) steps = c.const_ints(4, "steps");
    if (axes.empty())
      for (int64_t i = 0; i < k; ++i) axes.push_back(i);
    if (steps.empty()) steps.assign(static_cast<size_t>(k), 1);
    if (static_cast<int64_t>(axes.size()) != k || static_cast<int64_t>(steps.size()) != k) c.invalid("axes/steps lengths differ from starts");
    int64_t r = c.rank(x);
    V st = as_long(c, c.in(1)), en = as_long(c, c.in(2));
    for (int64_t i = 0; i < k; ++i) {
      if (steps[i] == 0) c.invalid("step 0");
      int64_t a = c.axis(axes[i], r, "axis");
      if (steps[i] < 0) {
        x = slice_any_step(c, x, c.scalar(static_cast<double>(a), DType::Long), c.element(st, i), c.element(en, i),
                           c.scalar(static_cast<double>(steps[i]), DType::Long));
        continue;
      }
      x = c.emit("slice", {x}, {a, std::monostate{}, std::monostate{}, steps[i]}, {{1, c.element(st, i)}, {2, c.element(en, i)}});
    }
    c.set_out(0, x);
    return;
  } else {
    starts = c.const_ints(1, "starts");
    ends = c.const_ints(2, "ends");
    if (c.has_in(3)) axes = c.const_ints(3, "axes");
    if (c.has_in(4)) steps = c.const_ints(4, "steps");
  }
  if (starts.size() != ends.size()) c.invalid("starts and ends differ in length");
  int64_t r = c.rank(x);
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size()) c.invalid("axes/steps lengths differ from starts");
  auto s = c.shape(x);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t a = c.axis(axes[i], r, "axis");
    int64_t step = steps[i];
    if (step == 0) c.invalid("step 0");
    if (!s[a].is_static()) {
      if (step != 1 || starts[i] < 0 || ends[i] < 0) c.unsupported("Slice of a symbolic dim with negative bounds or steps");
      x = c.emit("slice", {x}, {a, starts[i], ends[i], int64_t(1)});
      continue;
    }
    int64_t n = s[a].value;
    auto clampi = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0) v += n;
      return std::clamp(v, lo, hi);
    };
    if (step > 0) {
      int64_t b = clampi(starts[i], 0, n), e = clampi(ends[i], 0, n);
      x = c.emit("slice", {x}, {a, b, std::max(b, e), step});
    } else {
      int64_t b = clampi(starts[i], -1, n - 1), e = clampi(ends[i], -1, n - 1);
      // elements b, b+step, ... > e: flip, then slice forward
      int64_t cnt = b > e ? (b - e - 1) / (-step) + 1 : 0;
      V f = c.emit("flip", {x}, {DimVector{a}});
      int64_t fb = n - 1 - b;
      x = c.emit("slice", {f}, {a, fb, fb + (cnt - 1) * (-step) + (cnt ? 1 : 0), -step});
    }
  }
  c.set_out(0, x);
}

void gather_build(Ctx& c) {
  V x = c.in(0), idx = c.in(1);
  auto xs = c.shape(x);
  int64_t r = static_cast<int64_t>(xs.size());
  int64_t a = c.axis(c.attr_i("axis", 0), r, "axis");
  if (idx->is_initializer()) {
    Tensor t = idx->constant.to(DType::Long).contiguous();
    int64_t* p = static_cast<int64_t*>(t.data_ptr());
    if (!xs[a].is_static()) c.unsupported("Gather along a symbolic dim");
    int64_t n = xs[a].value;
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (p[i] < -n || p[i] >= n) c.invalid("index " + std::to_string(p[i]) + " is out of range for axis size " + std::to_string(n));
      if (p[i] < 0) p[i] += n;
    }
    if (t.dim() == 0) {
      c.set_out(0, c.emit("select", {x}, {a, p[0]}));
      return;
    }
    idx = c.constant(t);
  }
  if (!idx->is_initializer()) idx = wrap_indices(c, idx, xs[a]);
  auto is = c.shape(idx);
  if (is.size() == 1) {
    c.set_out(0, c.emit("index_select", {x, idx}, {a}));
    return;
  }
  DimVector xsz = c.static_shape(x, "Gather"), isz = c.static_shape(idx, "Gather");
  V flat = reshape(c, idx, {-1});
  V g = c.emit("index_select", {x, flat}, {a});
  DimVector out;
  for (int64_t i = 0; i < a; ++i) out.push_back(xsz[i]);
  for (auto d : isz) out.push_back(d);
  for (int64_t i = a + 1; i < r; ++i) out.push_back(xsz[i]);
  c.set_out(0, reshape(c, g, out));
}

void gather_elements_build(Ctx& c) {
  auto xs = c.shape(c.in(0));
  int64_t a = c.axis(c.attr_i("axis", 0), static_cast<int64_t>(xs.size()), "axis");
  c.set_out(0, c.emit("gather", {c.in(0), wrap_indices(c, c.in(1), xs[a])}, {a}));
}

void cast_build(Ctx& c) {
  DType to = dtype_from_onnx(static_cast<int32_t>(c.attr_i("to", 0)), "Cast 'to'");
  c.set_out(0, c.emit("to_dtype", {c.in(0)}, {to}));
}

void cast_like_build(Ctx& c) { c.set_out(0, c.emit("to_dtype", {c.in(0)}, {c.dtype(c.in(1))})); }

void hardmax_build(Ctx& c) {
  V x = c.in(0);
  DimVector s = c.static_shape(x, "Hardmax");
  int64_t r = static_cast<int64_t>(s.size());
  int64_t a = c.axis(c.attr_i("axis", c.opset >= 13 ? -1 : 1), r, "axis");
  V src = x;
  int64_t d = a;
  if (c.opset < 13) {  // coerced to 2-D at axis
    int64_t p0 = 1, p1 = 1;
    for (int64_t i = 0; i < r; ++i) (i < a ? p0 : p1) *= s[i];
    src = reshape(c, x, {p0, p1});
    d = 1;
  }
  DimVector ss = c.static_shape(src, "Hardmax");
  int64_t rr = static_cast<int64_t>(ss.size());
  V idx = c.emit("argmax", {src}, {d, false});
  V oh = c.emit("one_hot", {idx}, {ss[d]});  // class dim last
  DimVector perm;
  for (int64_t i = 0; i < rr - 1; ++i) {
    if (i == d) perm.push_back(rr - 1);
    perm.push_back(i);
  }
  if (d == rr - 1) perm.push_back(rr - 1);
  V y = c.emit("to_dtype", {c.emit("permute", {oh}, {perm})}, {c.dtype(x)});
  c.set_out(0, c.opset < 13 ? reshape(c, y, s) : y);
}

// Inverse and hyperbolic trigonometry composed from exp/log/sqrt/atan2.
void trig_build(Ctx& c, const std::string& f) {
  V x = c.in(0);
  DType dt = c.dtype(x);
  auto one = [&] { return c.scalar(1, dt); };
  auto sq = [&](V v) { return c.emit("mul", {v, v}); };
  V y = nullptr;
  if (f == "Sinh" || f == "Cosh") {
    V e = c.emit("exp", {x}), en = c.emit("exp", {c.emit("neg", {x})});
    y = c.emit("mul", {c.emit(f == "Sinh" ? "sub" : "add", {e, en}), c.scalar(0.5, dt)});
  } else if (f == "Atan") {
    y = c.emit("atan2", {x, c.emit("expand", {one()}, {c.static_shape(x, "Atan")})});
  } else if (f == "Asin" || f == "Acos") {
    V r = c.emit("sqrt", {c.emit("sub", {one(), sq(x)})});
    y = f == "Asin" ? c.emit("atan2", {x, r}) : c.emit("atan2", {r, x});
  } else if (f == "Asinh") {
    y = c.emit("log", {c.emit("add", {x, c.emit("sqrt", {c.emit("add", {sq(x), one()})})})});
  } else if (f == "Acosh") {
    y = c.emit("log", {c.emit("add", {x, c.emit("sqrt", {c.emit("sub", {sq(x), one()})})})});
  } else {  // Atanh
    V q = c.emit("div", {c.emit("add", {one(), x}), c.emit("sub", {one(), x})});
    y = c.emit("mul", {c.emit("log", {q}), c.scalar(0.5, dt)});
  }
  c.set_out(0, y);
}

void eye_like_build(Ctx& c) {
  V x = c.in(0);
  DimVector s = c.static_shape(x, "EyeLike");
  if (s.size() != 2) c.invalid("EyeLike needs a 2-D input");
  DType dt = c.has_attr("dtype") ? dtype_from_onnx(static_cast<int32_t>(c.attr_i("dtype", 1)), "EyeLike dtype") : c.dtype(x);
  int64_t k = c.attr_i("k", 0);
  Tensor t = zeros({s[0], s[1]}, dtype(DType::Double));
  double* p = static_cast<double*>(t.data_ptr());
  for (int64_t i = 0; i < s[0]; ++i)
    if (i + k >= 0 && i + k < s[1]) p[i * s[1] + i + k] = 1;
  c.set_out(0, c.constant(t.to(dt)));
}

void scatter_elements_build(Ctx& c) {
  std::string red = c.attr_s("reduction", "none");
  auto xs = c.shape(c.in(0));
  int64_t a = c.axis(c.attr_i("axis", 0), static_cast<int64_t>(xs.size()), "axis");
  V idx = wrap_indices(c, c.in(1), xs[a]);
  if (red == "none") c.set_out(0, c.emit("scatter", {c.in(0), idx, c.in(2)}, {a}));
  else if (red == "add") c.set_out(0, c.emit("scatter_add", {c.in(0), idx, c.in(2)}, {a}));
  else c.unsupported("ScatterElements reduction '" + red + "'");
}

void shrink_build(Ctx& c) {
  V x = c.in(0);
  DType dt = c.dtype(x);
  double l = c.attr_f("lambd", 0.5), b = c.attr_f("bias", 0);
  V hi = c.emit("gt", {x, c.scalar(l, dt)}), lo = c.emit("lt", {x, c.scalar(-l, dt)});
  V zero = c.scalar(0, dt);
  V y = c.emit("where", {hi, c.emit("sub", {x, c.scalar(b, dt)}), zero});
  c.set_out(0, c.emit("where", {lo, c.emit("add", {x, c.scalar(b, dt)}), y}));
}

void mvn_build(Ctx& c) {
  V x = c.in(0);
  auto axes = c.attr_ints("axes", {0, 2, 3});
  int64_t r = c.rank(x);
  for (auto& a : axes) a = c.axis(a, r, "axis");
  DType dt = c.dtype(x);
  V mean = c.emit("mean", {x}, {dv(axes), true});
  V d = c.emit("sub", {x, mean});
  V var = c.emit("mean", {c.emit("mul", {d, d})}, {dv(axes), true});
  c.set_out(0, c.emit("div", {d, c.emit("sqrt", {c.emit("add", {var, c.scalar(1e-9, dt)})})}));
}

// An ellipsis becomes letters the equation does not use, one per broadcast dim (right-aligned
// across operands); an implicit output lists them first.
std::string expand_ellipsis(Ctx& c, const std::string& eq) {
  if (eq.find("...") == std::string::npos) return eq;
  std::string free;
  for (char ch = 'A'; ch <= 'z'; ++ch)
    if (std::isalpha(static_cast<unsigned char>(ch)) && eq.find(ch) == std::string::npos) free += ch;
  auto arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow), r;
  int64_t most = 0;
  size_t k = 0, start = 0;
  for (size_t i = 0; i <= lhs.size(); ++i) {
    if (i < lhs.size() && lhs[i] != ',') continue;
    std::string t = lhs.substr(start, i - start);
    if (auto e = t.find("..."); e != std::string::npos) {
      if (k >= c.num_inputs()) c.invalid("equation '" + eq + "' names too many operands");
      int64_t n = c.rank(c.in(k)) - static_cast<int64_t>(t.size() - 3);
      if (n < 0 || n > static_cast<int64_t>(free.size())) c.invalid("operand " + std::to_string(k) + " rank does not fit '" + t + "'");
      most = std::max(most, n);
      t = t.substr(0, e) + free.substr(free.size() - static_cast<size_t>(n)) + t.substr(e + 3);
    }
    r += (k ? "," : "") + t;
    ++k;
    start = i + 1;
  }
  std::string dots = free.substr(free.size() - static_cast<size_t>(most));
  if (arrow == std::string::npos) {
    std::string rest;
    for (char ch = 'A'; ch <= 'z'; ++ch)
      if (std::isalpha(static_cast<unsigned char>(ch)) && std::count(lhs.begin(), lhs.end(), ch) == 1) rest += ch;
    return r + "->" + dots + rest;
  }
  std::string out = eq.substr(arrow + 2);
  if (auto e = out.find("..."); e != std::string::npos) out = out.substr(0, e) + dots + out.substr(e + 3);
  return r + "->" + out;
}

// Einsum: a letter repeated within an operand takes that operand's diagonal; then every operand
// is laid out over (output letters, contracted letters), multiplied with broadcasting, and
// summed over the contracted letters.
void einsum_build(Ctx& c) {
  std::string eq;
  for (char ch : c.attr_s("equation", "")) if (ch != ' ') eq += ch;
  eq = expand_ellipsis(c, eq);
  std::string lhs = eq, out;
  bool explicit_out = false;
  if (auto arrow = eq.find("->"); arrow != std::string::npos) {
    lhs = eq.substr(0, arrow);
    out = eq.substr(arrow + 2);
    explicit_out = true;
  }
  std::vector<std::string> terms;
  size_t start = 0;
  for (size_t i = 0; i <= lhs.size(); ++i)
    if (i == lhs.size() || lhs[i] == ',') {
      terms.push_back(lhs.substr(start, i - start));
      start = i + 1;
    }
  if (terms.size() != c.num_inputs()) c.invalid("equation '" + eq + "' names " + std::to_string(terms.size()) + " operands");
  std::vector<V> xs;
  for (size_t k = 0; k < terms.size(); ++k) {
    std::string& t = terms[k];
    V x = c.in(k);
    if (c.rank(x) != static_cast<int64_t>(t.size())) c.invalid("operand " + std::to_string(k) + " rank differs from '" + t + "'");
    for (size_t i = 0; i < t.size(); ++i)
      if (auto j = t.find(t[i], i + 1); j != std::string::npos) {  // diagonal dim goes last
        x = c.emit("diagonal", {x}, {int64_t(0), static_cast<int64_t>(i), static_cast<int64_t>(j)});
        t = t.substr(0, i) + t.substr(i + 1, j - i - 1) + t.substr(j + 1) + t[i];
        i = static_cast<size_t>(-1);
      }
    xs.push_back(x);
  }
  std::map<char, int> count;
  for (auto& t : terms) {
    for (char ch : t) {
      if (!std::isalpha(static_cast<unsigned char>(ch))) c.invalid("equation '" + eq + "': bad letter");
      count[ch]++;
    }
  }
  if (!explicit_out)
    for (auto& [ch, n] : count) if (n == 1) out += ch;
  for (char ch : out)
    if (!count.count(ch) || std::count(out.begin(), out.end(), ch) > 1) c.invalid("equation '" + eq + "': bad output letters");
  std::string order = out;
  for (auto& [ch, n] : count) if (out.find(ch) == std::string::npos) order += ch;
  V prod = nullptr;
  for (size_t k = 0; k < terms.size(); ++k) {
    const std::string& t = terms[k];
    V x = xs[k];
    std::vector<std::pair<size_t, int64_t>> pos;  // position in order, dim in x
    for (size_t i = 0; i < t.size(); ++i) pos.push_back({order.find(t[i]), static_cast<int64_t>(i)});
    std::sort(pos.begin(), pos.end());
    DimVector perm;
    for (auto& p : pos) perm.push_back(p.second);
    if (t.size() > 1) x = c.emit("permute", {x}, {perm});
    for (size_t i = 0; i < order.size(); ++i)
      if (t.find(order[i]) == std::string::npos) x = c.emit("unsqueeze", {x}, {static_cast<int64_t>(i)});
    prod = prod ? c.emit("mul", {prod, x}) : x;
  }
  if (order.size() > out.size()) {
    DimVector dims;
    for (size_t i = out.size(); i < order.size(); ++i) dims.push_back(static_cast<int64_t>(i));
    prod = c.emit("sum", {prod}, {dims, false});
  } else if (terms.size() == 1) {
    prod = c.emit("clone", {prod});
  }
  c.set_out(0, prod);
}

void clip_build(Ctx& c) {
  V x = c.in(0);
  ops::Attrs at{std::monostate{}, std::monostate{}};
  if (c.opset < 11) {
    if (c.has_attr("min")) at[0] = Scalar(c.attr_f("min", 0));
    if (c.has_attr("max")) at[1] = Scalar(c.attr_f("max", 0));
  } else {
    if ((c.has_in(1) && !c.in(1)->is_initializer()) || (c.has_in(2) && !c.in(2)->is_initializer())) {
      // bounds computed at run time: max(x, min) then min(., max)
      if (c.has_in(1)) x = c.emit("maximum", {x, c.in(1)});
      if (c.has_in(2)) x = c.emit("minimum", {x, c.in(2)});
      c.set_out(0, c.has_in(1) || c.has_in(2) ? x : c.emit("clone", {x}));
      return;
    }
    for (size_t i = 1; i <= 2; ++i)
      if (c.has_in(i)) {
        Tensor t = c.const_in(i, i == 1 ? "min" : "max");
        if (t.numel() != 1) c.invalid("min/max must be scalars");
        at[i - 1] = t.reshape({}).item();
      }
  }
  if (at.is_none(0) && at.is_none(1)) {
    c.set_out(0, c.emit("clone", {x}));
    return;
  }
  c.set_out(0, c.emit("clamp", {x}, at));
}

void softmax_build(Ctx& c, const char* op) {
  V x = c.in(0);
  int64_t r = c.rank(x);
  int64_t a = c.axis(c.attr_i("axis", c.opset >= 13 ? -1 : 1), r, "axis");
  if (c.opset >= 13 || a == r - 1) {
    c.set_out(0, c.emit(op, {x}, {a}));
    return;
  }
  // Before opset 13 the input is coerced to 2-D at `axis` and normalised over the tail.
  DimVector s = c.static_shape(x, "Softmax before opset 13");
  int64_t p0 = 1, p1 = 1;
  for (int64_t i = 0; i < r; ++i) (i < a ? p0 : p1) *= s[i];
  V y = c.emit(op, {reshape(c, x, {p0, p1})}, {int64_t(1)});
  c.set_out(0, reshape(c, y, s));
}

void gemm_build(Ctx& c) {
  V a = c.in(0), b = c.in(1), bias = c.opt_in(2);
  bool ta = c.attr_i("transA", 0) != 0, tb = c.attr_i("transB", 0) != 0;
  double alpha = c.attr_f("alpha", 1.0), beta = c.attr_f("beta", 1.0);
  if (c.rank(a) != 2 || c.rank(b) != 2) c.invalid("Gemm needs 2-D A and B");
  if (tb && !ta && alpha == 1.0 && (beta == 1.0 || !bias) && (!bias || c.rank(bias) <= 1)) {
    auto bs = bias ? c.shape(bias) : graph::Shape{};
    auto ws = c.shape(b);
    if (!bias || (bs.size() == 1 && bs[0] == ws[0])) {
      c.set_out(0, c.emit("linear", {a, b, bias}));
      return;
    }
  }
  if (ta) a = c.emit("permute", {a}, {DimVector{1, 0}});
  if (tb) b = c.emit("permute", {b}, {DimVector{1, 0}});
  V y = c.emit("matmul", {a, b});
  DType dt = c.dtype(y);
  if (alpha != 1.0) y = c.emit("mul", {y, c.scalar(alpha, dt)});
  if (bias && beta != 0.0) {
    V cb = beta == 1.0 ? bias : c.emit("mul", {bias, c.scalar(beta, dt)});
    y = c.emit("add", {y, cb});
  }
  c.set_out(0, y);
}

void global_pool_build(Ctx& c, const char* op) {
  V x = c.in(0);
  int64_t r = c.rank(x);
  if (r < 3) c.invalid("input must have spatial dims");
  DimVector dims;
  for (int64_t i = 2; i < r; ++i) dims.push_back(i);
  c.set_out(0, c.emit(op, {x}, {dims, true}));
}

void instance_norm_build(Ctx& c) {
  V x = c.in(0);
  DimVector s = c.static_shape(c.in(1), "InstanceNormalization scale");
  if (s.size() != 1) c.invalid("scale must be 1-D");
  auto outs = c.emit_n("group_norm", {x, c.in(1), c.in(2)}, {s[0], c.attr_f("epsilon", 1e-5)});
  c.set_out(0, outs[0]);
}

void layer_norm_build(Ctx& c) {
  V x = c.in(0);
  auto s = c.shape(x);
  int64_t r = static_cast<int64_t>(s.size());
  int64_t a = c.axis(c.attr_i("axis", -1), r, "axis");
  if ((c.has_out(1) || c.has_out(2)) && c.attr_i("stash_type", 1) != 1) c.unsupported("stash_type other than float");
  DimVector ns;
  for (int64_t i = a; i < r; ++i) {
    if (!s[i].is_static()) c.unsupported("LayerNormalization over a symbolic dim");
    ns.push_back(s[i].value);
  }
  V w = c.in(1), b = c.opt_in(2);
  // ONNX broadcasts scale/bias to the normalised shape; the registry wants them exactly.
  if (c.shape(w) != graph::make_shape(ns)) w = c.emit("expand", {w}, {ns});
  if (b && c.shape(b) != graph::make_shape(ns)) b = c.emit("expand", {b}, {ns});
  auto outs = c.emit_n("layer_norm", {x, contiguous(c, w), b ? contiguous(c, b) : nullptr}, {ns, c.attr_f("epsilon", 1e-5)});
  c.set_out(0, outs[0]);
  // Mean and InvStdDev: the input's shape with 1 over the normalised axes, as the registry's.
  for (size_t i = 1; i <= 2; ++i)
    if (c.has_out(i)) c.set_out(i, outs[i]);
}

void reduce_build(Ctx& c, const char* op, int axes_input_from) {
  V x = c.in(0);
  int64_t r = c.rank(x);
  std::string ro = op;
  if (c.opset >= axes_input_from && c.has_in(1) && !c.is_const(1) &&
      (ro == "sum" || ro == "mean" || ro == "amax" || ro == "amin" || ro == "sumsquare" || ro == "logsum")) {
    // Axes known at run time (empty: all, or a no-op with noop_with_empty_axes).
    bool keep = c.attr_i("keepdims", 1) != 0;
    V a = as_long(c, c.in(1));
    const char* base = ro == "sumsquare" || ro == "logsum" ? "sum" : op;
    auto reduce = [&](graph::Graph& g, V xv, V av) {
      const ops::OpDef& mul = *ops::Registry::get().find("mul");
      V in = ro == "sumsquare" ? g.add_node(mul, {xv, xv}, {})->output() : xv;
      graph::Node* n = g.add_node(*ops::Registry::get().find(base), {in}, {DimVector{}, keep});
      g.bind_attr_input(n, 0, av);
      V y = n->output();
      return ro == "logsum" ? g.add_node(*ops::Registry::get().find("log"), {y}, {})->output() : y;
    };
    if (!c.attr_i("noop_with_empty_axes", 0)) {
      c.set_out(0, reduce(c.g, x, a));
      return;
    }
    // Empty axes mean "no reduction": the output's rank depends on the data, so an If picks.
    auto then_g = std::make_shared<graph::Graph>("noop");
    V tx = then_g->add_input("x", c.dtype(x), c.shape(x));
    then_g->set_outputs({then_g->add_node(*ops::Registry::get().find("clone"), {tx}, {})->output()});
    auto else_g = std::make_shared<graph::Graph>("reduce");
    V ex = else_g->add_input("x", c.dtype(x), c.shape(x));
    V ea = else_g->add_input("axes", DType::Long, c.shape(a));
    else_g->set_outputs({reduce(*else_g, ex, ea)});
    V empty = c.emit("eq", {c.emit("numel", {a}), c.scalar(0, DType::Long)});
    auto outs = c.emit_control("If", {empty, x, x, a}, {int64_t(1)}, {then_g, else_g}, 1);
    outs[0]->dtype = else_g->outputs()[0]->dtype;
    c.set_out(0, outs[0]);
    return;
  }
  auto axes = axes_of(c, axes_input_from, 1);
  bool keep = c.attr_i("keepdims", 1) != 0;
  if (axes.empty() && c.opset >= axes_input_from && c.attr_i("noop_with_empty_axes", 0)) {
    c.set_out(0, c.emit("clone", {x}));
    return;
  }
  if (axes.empty())
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  for (auto& a : axes) a = c.axis(a, r, "axis");
  std::string o = op;
  V y;
  if (o == "prod") {
    std::sort(axes.rbegin(), axes.rend());
    y = x;
    for (auto a : axes) y = c.emit("prod", {y}, {a, keep});
    if (axes.empty()) y = c.emit("clone", {x});
  } else if (o == "l1" || o == "l2") {
    y = c.emit("norm", {x}, {o == "l1" ? 1.0 : 2.0, dv(axes), keep});
  } else if (o == "sumsquare") {
    y = c.emit("sum", {c.emit("mul", {x, x})}, {dv(axes), keep});
  } else if (o == "logsum") {
    y = c.emit("log", {c.emit("sum", {x}, {dv(axes), keep})});
  } else {
    y = c.emit(op, {x}, {dv(axes), keep});
  }
  c.set_out(0, y);
}

void arg_build(Ctx& c, const char* op) {
  V x = c.in(0);
  auto s = c.shape(x);
  int64_t a = c.axis(c.attr_i("axis", 0), static_cast<int64_t>(s.size()), "axis");
  bool keep = c.attr_i("keepdims", 1) != 0;
  if (c.attr_i("select_last_index", 0)) {
    // the last extreme: search the flipped tensor, then count back from the end
    if (!s[a].is_static()) c.unsupported("select_last_index along a symbolic dim");
    V i = c.emit(op, {c.emit("flip", {x}, {DimVector{a}})}, {a, keep});
    c.set_out(0, c.emit("sub", {c.scalar(static_cast<double>(s[a].value - 1), DType::Long), i}));
    return;
  }
  c.set_out(0, c.emit(op, {x}, {a, keep}));
}

// Edge or reflect padding by run-time ONNX pads p ([b0, b1, ..., e0, e1, ...]): along each dim
// d of size n, output position j reads input position i = j - b_d, clamped to [0, n - 1] (edge)
// or mirrored about 0 and n - 1 (reflect: m - |m - |i||, m = n - 1).
V pad_gather(Ctx& c, V x, V p, bool reflect) {
  int64_t r = c.rank(x);
  V shape = c.shape_of(x);
  V zero = c.scalar(0, DType::Long), one = c.scalar(1, DType::Long);
  for (int64_t d = 0; d < r; ++d) {
    V b = c.element(p, d), e = c.element(p, d + r);
    V n = c.element(shape, d);
    V len = c.emit("add", {c.emit("add", {n, b}), e});
    V i = c.emit("sub", {c.emit("arange", {}, {Scalar(int64_t(0)), Scalar(int64_t(0)), Scalar(int64_t(1)), DType::Long},
                                {{1, len}}),
                         b});
    V m = c.emit("sub", {n, one});
    i = reflect ? c.emit("sub", {m, c.emit("abs", {c.emit("sub", {m, c.emit("abs", {i})})})})
                : c.emit("minimum", {c.emit("maximum", {i, zero}), m});
    x = c.emit("index_select", {x, i}, {d});
  }
  return x;
}

void pad_build(Ctx& c) {
  V x = c.in(0);
  int64_t r = c.rank(x);
  std::string mode = c.attr_s("mode", "constant");
  std::vector<int64_t> pads;
  double value = 0;
  if (c.opset < 11) {
    pads = c.attr_ints(c.opset < 2 ? "paddings" : "pads");
    value = c.attr_f("value", 0);
  } else if (!c.is_const(1) || (c.has_in(2) && !c.is_const(2))) {  // registry order computed by the graph
    if (c.has_in(3)) c.unsupported("Pad with axes");
    V p = as_long(c, c.in(1));
    if (dyn_len(c, p, "pads") != 2 * r) c.invalid("pads must have 2 x rank entries");
    if (mode == "edge" || mode == "reflect") {
      c.set_out(0, pad_gather(c, x, p, mode == "reflect"));
      return;
    }
    if (mode != "constant") c.unsupported("Pad mode '" + mode + "' with run-time pads");
    // [b0.., e0..] -> [[b0, e0], ...] last dim first
    V tp = reshape(c, c.emit("clone", {c.emit("flip", {c.emit("permute", {reshape(c, p, {2, r})}, {DimVector{1, 0}})}, {DimVector{0}})}), {2 * r});
    Ctx::AttrIn ai{{0, tp}};
    if (c.has_in(2)) ai.push_back({2, c.emit("to_dtype", {c.in(2)}, {DType::Double})});
    c.set_out(0, c.emit("pad", {x}, {DimVector{}, mode, 0.0}, ai));
    return;
  } else {
    pads = c.const_ints(1, "pads");
    if (c.has_in(2)) {
      Tensor v = c.const_in(2, "constant_value");
      if (v.numel() != 1) c.invalid("constant_value must be a scalar");
      value = v.reshape({}).item().to_double();
    }
    if (c.has_in(3)) c.unsupported("Pad with axes");
  }
  if (static_cast<int64_t>(pads.size()) != 2 * r) c.invalid("pads must have 2 x rank entries");
  if (mode == "edge") mode = "replicate";
  else if (mode != "constant" && mode != "reflect") c.unsupported("Pad mode '" + mode + "'");
  // ONNX: [b0, b1, ..., e0, e1, ...]; registry (PyTorch): last dim first, (begin, end) pairs.
  int64_t first = 0;
  while (first < r && pads[first] == 0 && pads[first + r] == 0) ++first;
  DimVector tp;
  for (int64_t i = r - 1; i >= first; --i) {
    tp.push_back(pads[i]);
    tp.push_back(pads[i + r]);
  }
  if (tp.empty()) {
    c.set_out(0, c.emit("clone", {x}));
    return;
  }
  if (mode != "constant") {
    // non-constant modes pad the trailing dims of a (batch, channel, ...) input
    while (static_cast<int64_t>(tp.size()) / 2 < r - 2) {
      tp.push_back(0);
      tp.push_back(0);
    }
    value = 0;
  }
  c.set_out(0, c.emit("pad", {x}, {tp, mode, value}));
}

std::optional<double> opt_attr_f(Ctx& c, const char* name) {
  return c.has_attr(name) ? std::optional<double>(c.attr_f(name, 0)) : std::nullopt;
}
// Activation ops: one ONNX attribute pair (alpha, beta) each, as activation() takes them.
BuildFn activation_build(const char* name) {
  return [name](Ctx& c) { c.set_out(0, activation(c, name, c.in(0), opt_attr_f(c, "alpha"), opt_attr_f(c, "beta"))); };
}
void selu_build(Ctx& c) {
  double a = c.attr_f("alpha", 1.67326319217681884765625), g = c.attr_f("gamma", 1.05070102214813232421875);
  c.set_out(0, c.emit("elu", {c.in(0)}, {Scalar(a), Scalar(g), Scalar(1.0)}));
}
void prelu_build(Ctx& c) {
  V x = c.in(0), slope = c.in(1);
  DType dt = c.dtype(x);
  // Before opset 7 a 1-D slope of C values applies along the channel axis.
  auto xs = c.shape(x), ss = c.shape(slope);
  if (c.opset < 7 && xs.size() > 2 && ss.size() == 1 && ss[0] == xs[1] && ss[0].is_static() && ss[0].value > 1) {
    DimVector s{ss[0].value};
    for (size_t i = 2; i < xs.size(); ++i) s.push_back(1);
    slope = reshape(c, slope, s);
  }
  V neg = c.emit("mul", {x, slope});
  c.set_out(0, c.emit("where", {c.emit("gt", {x, c.scalar(0, dt)}), x, neg}));
}
void celu_build(Ctx& c) {
  double a = c.attr_f("alpha", 1.0);
  c.set_out(0, c.emit("elu", {c.in(0)}, {Scalar(a), Scalar(1.0), Scalar(1.0 / a)}));
}

void where_build(Ctx& c) { c.set_out(0, c.emit("where", {c.in(0), c.in(1), c.in(2)})); }

void expand_build(Ctx& c) {
  V x = c.in(0);
  if (!c.is_const(1) || !is_static(c.shape(x))) {  // bidirectional broadcast of x's shape and the target
    V t = as_long(c, c.in(1));
    int64_t k = dyn_len(c, t, "shape"), r = c.rank(x), n = std::max(k, r);
    V xs = c.shape_of(x);
    auto ones_ = [&](int64_t m) { return c.constant(ones({m}, dtype(DType::Long))); };
    if (r < n) xs = c.emit("cat", {ones_(n - r), xs}, {int64_t(0)});
    if (k < n) t = c.emit("cat", {ones_(n - k), t}, {int64_t(0)});
    V target = c.emit("where", {c.emit("eq", {xs, c.scalar(1, DType::Long)}), t, xs});
    c.set_out(0, c.emit("expand", {x}, {}, {{0, target}}));
    return;
  }
  auto shape = c.const_ints(1, "shape");
  DimVector xs = c.static_shape(x, "Expand");
  DimVector out = ops::broadcast_shapes("Expand", xs, dv(shape));
  c.set_out(0, c.emit("expand", {x}, {out}));
}

void tile_build(Ctx& c) {
  if (!c.is_const(1)) {
    V t = as_long(c, c.in(1));
    if (dyn_len(c, t, "repeats") != c.rank(c.in(0))) c.invalid("repeats must have one entry per dim");
    c.set_out(0, c.emit("repeat", {c.in(0)}, {}, {{0, t}}));
    return;
  }
  auto reps = c.const_ints(1, "repeats");
  if (static_cast<int64_t>(reps.size()) != c.rank(c.in(0))) c.invalid("repeats must have one entry per dim");
  for (auto r : reps)
    if (r < 0) c.invalid("negative repeat");
  c.set_out(0, c.emit("repeat", {c.in(0)}, {dv(reps)}));
}

void constant_of_shape_build(Ctx& c) {
  Tensor v = c.has_attr("value") ? c.attr_t("value") : zeros({1}, dtype(DType::Float));
  if (v.numel() != 1) c.invalid("value must hold one element");
  if (!c.is_const(0)) {
    dyn_len(c, c.in(0), "shape");
    c.set_out(0, c.emit("full", {}, {DimVector{}, v.reshape({}).item(), v.dtype()}, {{0, as_long(c, c.in(0))}}));
    return;
  }
  auto shape = c.const_ints(0, "shape");
  google::protobuf::RepeatedField<int64_t> dims(shape.begin(), shape.end());
  LoadOptions o;
  o.max_tensor_bytes = int64_t(1) << 30;
  DimVector sz = checked_dims(dims, v.dtype(), o, "ConstantOfShape");
  Tensor out = empty(sz, dtype(v.dtype()));
  out.fill_(v.reshape({}).item());
  c.set_out(0, c.constant(out));
}

void range_build(Ctx& c) {
  if (!c.is_const(0) || !c.is_const(1) || !c.is_const(2)) {
    DType dt = c.dtype(c.in(0));
    c.set_out(0, c.emit("arange", {}, {Scalar(int64_t(0)), Scalar(int64_t(0)), Scalar(int64_t(1)), dt},
                        {{0, c.in(0)}, {1, c.in(1)}, {2, c.in(2)}}));
    return;
  }
  Tensor s = c.const_in(0, "start"), l = c.const_in(1, "limit"), d = c.const_in(2, "delta");
  double st = s.item().to_double(), li = l.item().to_double(), de = d.item().to_double();
  if (de == 0) c.invalid("delta 0");
  double n = std::max(0.0, std::ceil((li - st) / de));
  if (n > static_cast<double>(int64_t(1) << 28)) c.invalid("Range of more than 2^28 elements");
  Tensor out = empty({static_cast<int64_t>(n)}, dtype(s.dtype()));
  for (int64_t i = 0; i < static_cast<int64_t>(n); ++i) out.select(0, i).fill_(Scalar(st + static_cast<double>(i) * de));
  if (is_integral(s.dtype())) {
    int64_t si = s.item().to<int64_t>(), di = d.item().to<int64_t>();
    for (int64_t i = 0; i < static_cast<int64_t>(n); ++i) out.select(0, i).fill_(Scalar(si + i * di));
  }
  c.set_out(0, c.constant(out));
}

void cumsum_build(Ctx& c) {
  V x = c.in(0);
  if (!c.is_const(1)) {
    bool rev = c.attr_i("reverse", 0) != 0;
    V y = c.emit("cumsum", {x}, {int64_t(0), std::monostate{}, rev}, {{0, c.in(1)}});
    if (c.attr_i("exclusive", 0)) y = c.emit("sub", {y, x});
    c.set_out(0, y);
    return;
  }
  Tensor at = c.const_in(1, "axis");
  if (at.numel() != 1) c.invalid("axis must be a scalar");
  int64_t a = c.axis(at.reshape({}).item().to<int64_t>(), c.rank(x), "axis");
  bool rev = c.attr_i("reverse", 0) != 0;
  V y = c.emit("cumsum", {x}, {a, std::monostate{}, rev});
  if (c.attr_i("exclusive", 0)) y = c.emit("sub", {y, x});
  c.set_out(0, y);
}

void isinf_build(Ctx& c) {
  V x = c.in(0);
  bool neg = c.attr_i("detect_negative", 1) != 0, pos = c.attr_i("detect_positive", 1) != 0;
  V inf = c.emit("isinf", {x});
  if (neg && pos) c.set_out(0, inf);
  else {
    DType dt = c.dtype(x);
    V side = c.emit(pos ? "gt" : "lt", {x, c.scalar(0, dt)});
    c.set_out(0, c.emit("logical_and", {inf, neg || pos ? side : c.emit("logical_not", {side})}));
  }
}

void trilu_build(Ctx& c) {
  int64_t k = 0;
  if (c.has_in(1) && !c.is_const(1)) {
    c.set_out(0, c.emit(c.attr_i("upper", 1) ? "triu" : "tril", {c.in(0)}, {}, {{0, c.in(1)}}));
    return;
  }
  if (c.has_in(1)) k = c.const_in(1, "k").reshape({}).item().to<int64_t>();
  c.set_out(0, c.emit(c.attr_i("upper", 1) ? "triu" : "tril", {c.in(0)}, {k}));
}


// Resize / Upsample. Constant scales or sizes on a 4-D input with a combination PyTorch's
// kernels compute (nearest floor asymmetric; linear half_pixel / pytorch_half_pixel /
// align_corners) become upsample_nearest2d / upsample_bilinear2d; everything else (other
// ranks and modes, run-time scales or sizes) is the registry op resize, with ONNX's semantics
// on every axis and its output size computed by the graph when it is known only at run time.
struct ResizeAttrs {
  std::string mode, coord, nearest_mode;
  double cubic_a = -0.75, extrapolation = 0;
  bool exclude_outside = false;
};

/// Emits the 2-D upsample kernels when they compute this resize; false when they do not.
bool resize_fast(Ctx& c, std::vector<double> scales, std::vector<int64_t> sizes, const ResizeAttrs& ra) {
  V x = c.in(0);
  auto sh = c.shape(x);
  if (sh.size() != 4 || !sh[2].is_static() || !sh[3].is_static()) return false;
  DimVector s;  // a symbolic batch or channel count is -1: only factors of 1 keep it
  for (auto& d : sh) s.push_back(d.is_static() ? d.value : -1);
  if (ra.exclude_outside) return false;
  if (sizes.empty()) {
    if (scales.size() != 4) c.invalid("scales must have 4 entries");
    if (scales[0] != 1 || scales[1] != 1) return false;
    for (int i = 2; i < 4; ++i) {
      if (!(scales[i] > 0) || scales[i] > 1e4) c.invalid("scale out of range");
      double o = static_cast<double>(s[i]) * scales[i];
      // align_corners maps over the unrounded output length, which the kernels do not.
      if (ra.coord == "align_corners" && o != std::floor(o)) return false;
      sizes.push_back(static_cast<int64_t>(std::floor(o)));
    }
  } else {
    if (sizes.size() != 4) c.invalid("sizes must have 4 entries");
    if (sizes[0] != s[0] || sizes[1] != s[1] || s[0] < 0 || s[1] < 0) return false;
    for (int i = 2; i < 4; ++i) {
      if (sizes[i] <= 0 || sizes[i] > (int64_t(1) << 24)) c.invalid("size out of range");
      scales.resize(4, 1.0);
      scales[i] = static_cast<double>(sizes[i]) / static_cast<double>(s[i]);
    }
    sizes.erase(sizes.begin(), sizes.begin() + 2);
  }
  if (sizes[0] <= 0 || sizes[1] <= 0) return false;
  DimVector out{sizes[0], sizes[1]};
  if (ra.mode == "nearest") {
    if (ra.coord != "asymmetric" || ra.nearest_mode != "floor") return false;
    c.set_out(0, c.emit("upsample_nearest2d", {x}, {out, scales[2], scales[3]}));
    return true;
  }
  if (ra.mode == "linear") {
    bool ac = ra.coord == "align_corners";
    if (!ac && ra.coord != "half_pixel" && ra.coord != "pytorch_half_pixel") return false;
    if (ra.coord == "pytorch_half_pixel" && (out[0] == 1 || out[1] == 1)) return false;
    c.set_out(0, c.emit("upsample_bilinear2d", {x}, {out, ac, scales[2], scales[3]}));
    return true;
  }
  return false;
}

std::vector<double> double_vec(const Tensor& t) {
  Tensor d = t.to(DType::Double).contiguous();
  const double* p = static_cast<const double*>(d.data_ptr());
  return std::vector<double>(p, p + d.numel());
}
std::vector<int64_t> long_vec(const Tensor& t) {
  Tensor d = t.to(DType::Long).contiguous();
  const int64_t* p = static_cast<const int64_t*>(d.data_ptr());
  return std::vector<int64_t>(p, p + d.numel());
}

/// Resize of input 0 by `scales` or `sizes` (exactly one non-null), `roi` for tf_crop_and_resize.
void resize_emit(Ctx& c, V scales, V sizes, V roi, ResizeAttrs ra) {
  V x = c.in(0);
  if (ra.mode == "bilinear") ra.mode = "linear";
  if (ra.mode != "nearest" && ra.mode != "linear" && ra.mode != "cubic") c.unsupported("Resize mode '" + ra.mode + "'");
  if ((!scales || scales->is_initializer()) && (!sizes || sizes->is_initializer()) &&
      resize_fast(c, scales ? double_vec(scales->constant) : std::vector<double>{},
                  sizes ? long_vec(sizes->constant) : std::vector<int64_t>{}, ra))
    return;
  int64_t r = c.rank(x);
  ops::AttrValue out_size;
  Ctx::AttrIn attr_in;
  if (sizes) {
    if (dyn_len(c, sizes, "sizes") != r) c.invalid("sizes must have one entry per input dim");
    if (sizes->is_initializer()) out_size = dv(long_vec(sizes->constant));
    else attr_in.push_back({0, as_long(c, sizes)});
    scales = nullptr;
  } else {
    DimVector ss = c.static_shape(scales, "scales");
    if (ss.size() != 1 || ss[0] != r) c.invalid("scales must have one entry per input dim");
    if (!is_floating_point(c.dtype(scales))) c.invalid("scales must be a float tensor");
    auto xs = c.shape(x);
    bool stat = scales->is_initializer();
    for (auto& d : xs) stat = stat && d.is_static();
    if (stat) {  // output size = floor(input size * scale)
      std::vector<double> sv = double_vec(scales->constant);
      DimVector o;
      for (int64_t i = 0; i < r; ++i) {
        if (!(sv[i] > 0) || sv[i] > 1e4) c.invalid("scale out of range");
        o.push_back(static_cast<int64_t>(std::floor(static_cast<double>(xs[i].value) * sv[i])));
      }
      out_size = o;
    } else {
      V prod = c.emit("mul", {c.emit("to_dtype", {c.shape_of(x)}, {DType::Double}),
                              c.emit("to_dtype", {scales}, {DType::Double})});
      attr_in.push_back({0, c.emit("to_dtype", {c.emit("floor", {prod})}, {DType::Long})});
    }
  }
  if (ra.coord == "tf_crop_and_resize") {
    if (!roi) c.invalid("tf_crop_and_resize needs roi");
    if (!is_floating_point(c.dtype(roi))) c.invalid("roi must be a float tensor");
  } else {
    roi = nullptr;
  }
  c.set_out(0, c.emit("resize", {x, scales, roi},
                      {out_size, ra.mode, ra.coord, ra.nearest_mode, ra.cubic_a, ra.exclude_outside, ra.extrapolation},
                      attr_in));
}

/// An input that is present and not an empty constant (opset 11 passes empty scales beside sizes).
V nonempty_in(Ctx& c, size_t i) {
  if (!c.has_in(i)) return nullptr;
  V v = c.in(i);
  if (v->is_initializer() && v->constant.numel() == 0) return nullptr;
  auto s = c.shape(v);
  if (s.size() == 1 && s[0].is_static() && s[0].value == 0) return nullptr;
  return v;
}

void resize_build(Ctx& c) {
  ResizeAttrs ra;
  ra.mode = c.attr_s("mode", "nearest");
  ra.coord = c.opset >= 11 ? c.attr_s("coordinate_transformation_mode", "half_pixel") : "asymmetric";
  ra.nearest_mode = c.opset >= 11 ? c.attr_s("nearest_mode", "round_prefer_floor") : "floor";
  if (c.opset >= 11) {
    ra.cubic_a = c.attr_f("cubic_coeff_a", -0.75);
    ra.exclude_outside = c.attr_i("exclude_outside", 0) != 0;
    ra.extrapolation = c.attr_f("extrapolation_value", 0.0);
  }
  if (c.opset >= 13 && (c.has_attr("antialias") || c.has_attr("axes"))) c.unsupported("Resize antialias/axes");
  if (c.opset < 11) {
    resize_emit(c, c.in(1), nullptr, nullptr, ra);
    return;
  }
  V sizes = nonempty_in(c, 3);
  V scales = sizes ? nullptr : nonempty_in(c, 2);
  if (!sizes && !scales) c.invalid("Resize needs non-empty scales or sizes");
  resize_emit(c, scales, sizes, c.opt_in(1), ra);
}

void upsample_build(Ctx& c) {
  ResizeAttrs ra;
  ra.mode = c.attr_s("mode", "nearest");
  ra.coord = "asymmetric";
  ra.nearest_mode = "floor";
  if (c.opset >= 9) {
    resize_emit(c, c.in(1), nullptr, nullptr, ra);
    return;
  }
  std::vector<double> scales;
  if (c.opset >= 7) {
    auto f = c.attr_floats("scales");
    scales.assign(f.begin(), f.end());
  } else {
    scales = {1, 1, c.attr_f("height_scale", 1), c.attr_f("width_scale", 1)};
  }
  Tensor t = empty({static_cast<int64_t>(scales.size())}, dtype(DType::Float));
  for (size_t i = 0; i < scales.size(); ++i) t.select(0, static_cast<int64_t>(i)).fill_(Scalar(scales[i]));
  resize_emit(c, c.constant(t), nullptr, nullptr, ra);
}

void matmul_build(Ctx& c) { c.set_out(0, c.emit("matmul", {c.in(0), c.in(1)})); }

void depth_to_space_build(Ctx& c) {
  V x = c.in(0);
  DimVector s = c.static_shape(x, "DepthToSpace");
  if (s.size() != 4) c.invalid("input must be 4-D");
  int64_t b = c.attr_i("blocksize", 0);
  if (b <= 0 || s[1] % (b * b)) c.invalid("blocksize must divide channels");
  int64_t N = s[0], C = s[1], H = s[2], W = s[3];
  bool crd = c.attr_s("mode", "DCR") == "CRD";
  V y = crd ? reshape(c, x, {N, C / (b * b), b, b, H, W}) : reshape(c, x, {N, b, b, C / (b * b), H, W});
  y = c.emit("permute", {y}, {crd ? DimVector{0, 1, 4, 2, 5, 3} : DimVector{0, 3, 4, 1, 5, 2}});
  c.set_out(0, reshape(c, y, {N, C / (b * b), H * b, W * b}));
}

void space_to_depth_build(Ctx& c) {
  V x = c.in(0);
  DimVector s = c.static_shape(x, "SpaceToDepth");
  if (s.size() != 4) c.invalid("input must be 4-D");
  int64_t b = c.attr_i("blocksize", 0);
  if (b <= 0 || s[2] % b || s[3] % b) c.invalid("blocksize must divide H and W");
  int64_t N = s[0], C = s[1], H = s[2], W = s[3];
  V y = reshape(c, x, {N, C, H / b, b, W / b, b});
  y = c.emit("permute", {y}, {DimVector{0, 3, 5, 1, 2, 4}});
  c.set_out(0, reshape(c, y, {N, C * b * b, H / b, W / b}));
}

const TableRegistrar core_entries([] {
    std::vector<OpEntry> v;
    auto add = [&](const char* op, int since, int until, BuildFn f) { v.push_back({op, since, until, std::move(f)}); };
    // elementwise
    for (auto [o, r] : std::initializer_list<std::pair<const char*, const char*>>{
             {"Relu", "relu"}, {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"}, {"Erf", "erf"}, {"Exp", "exp"}, {"Log", "log"},
             {"Neg", "neg"}, {"Abs", "abs"}, {"Sqrt", "sqrt"}, {"Reciprocal", "reciprocal"}, {"Floor", "floor"},
             {"Ceil", "ceil"}, {"Sin", "sin"}, {"Cos", "cos"}, {"Tan", "tan"}, {"Sign", "sign"}, {"Not", "logical_not"},
             {"Round", "round"}, {"IsNaN", "isnan"}, {"HardSwish", "hardswish"}, {"Mish", "mish"}})
      add(o, 1, kMax, unary(r));
    for (auto [o, r] : std::initializer_list<std::pair<const char*, const char*>>{
             {"Add", "add"}, {"Sub", "sub"}, {"Mul", "mul"}, {"Equal", "eq"}, {"Less", "lt"},
             {"Greater", "gt"}, {"LessOrEqual", "le"}, {"GreaterOrEqual", "ge"}, {"And", "logical_and"},
             {"Or", "logical_or"}, {"Xor", "logical_xor"}, {"BitwiseAnd", "bitwise_and"}, {"BitwiseOr", "bitwise_or"},
             {"BitwiseXor", "bitwise_xor"}})
      add(o, 1, kMax, binary(r));
    add("BitwiseNot", 1, kMax, unary("bitwise_not"));
    add("Div", 1, kMax, div_build);
    add("Pow", 1, kMax, pow_build);
    add("Mod", 10, kMax, mod_build);
    add("Max", 1, kMax, variadic("maximum"));
    add("Min", 1, kMax, variadic("minimum"));
    add("Sum", 1, kMax, variadic("add"));
    add("Mean", 1, kMax, mean_build);
    add("LeakyRelu", 1, kMax, activation_build("LeakyRelu"));
    add("Elu", 1, kMax, activation_build("Elu"));
    add("Selu", 1, kMax, selu_build);
    add("Celu", 12, kMax, celu_build);
    add("HardSigmoid", 1, kMax, activation_build("HardSigmoid"));
    add("PRelu", 1, kMax, prelu_build);
    add("Softsign", 1, kMax, activation_build("Softsign"));
    add("Softplus", 1, kMax, activation_build("Softplus"));
    add("ThresholdedRelu", 10, kMax, activation_build("ThresholdedRelu"));
    add("Clip", 1, kMax, clip_build);
    add("Where", 9, kMax, where_build);
    add("CastLike", 15, kMax, cast_like_build);
    add("Hardmax", 1, kMax, hardmax_build);
    for (const char* f : {"Sinh", "Cosh", "Asin", "Acos", "Atan", "Asinh", "Acosh", "Atanh"})
      add(f, 7, kMax, [f = std::string(f)](Ctx& c) { trig_build(c, f); });
    add("EyeLike", 9, kMax, eye_like_build);
    add("Einsum", 12, kMax, einsum_build);
    add("ScatterElements", 11, kMax, scatter_elements_build);
    add("Scatter", 9, 10, scatter_elements_build);
    add("Shrink", 9, kMax, shrink_build);
    add("MeanVarianceNormalization", 9, kMax, mvn_build);
    add("IsInf", 10, kMax, isinf_build);
    add("Cast", 6, kMax, cast_build);
    // linear algebra, conv, pooling, norms
    add("MatMul", 1, kMax, matmul_build);
    add("Gemm", 1, kMax, gemm_build);
    add("GlobalAveragePool", 1, kMax, [](Ctx& c) { global_pool_build(c, "mean"); });
    add("GlobalMaxPool", 1, kMax, [](Ctx& c) { global_pool_build(c, "amax"); });
    add("InstanceNormalization", 1, kMax, instance_norm_build);
    add("LayerNormalization", 17, kMax, layer_norm_build);
    add("Softmax", 1, kMax, [](Ctx& c) { softmax_build(c, "softmax"); });
    add("LogSoftmax", 1, kMax, [](Ctx& c) { softmax_build(c, "log_softmax"); });
    // reductions (axes become an input: ReduceSum at 13, the others at 18)
    add("ReduceSum", 1, kMax, [](Ctx& c) { reduce_build(c, "sum", 13); });
    add("ReduceMean", 1, kMax, [](Ctx& c) { reduce_build(c, "mean", 18); });
    add("ReduceMax", 1, kMax, [](Ctx& c) { reduce_build(c, "amax", 18); });
    add("ReduceMin", 1, kMax, [](Ctx& c) { reduce_build(c, "amin", 18); });
    add("ReduceProd", 1, kMax, [](Ctx& c) { reduce_build(c, "prod", 18); });
    add("ReduceL1", 1, kMax, [](Ctx& c) { reduce_build(c, "l1", 18); });
    add("ReduceL2", 1, kMax, [](Ctx& c) { reduce_build(c, "l2", 18); });
    add("ReduceLogSumExp", 1, kMax, [](Ctx& c) { reduce_build(c, "logsumexp", 18); });
    add("ReduceLogSum", 1, kMax, [](Ctx& c) { reduce_build(c, "logsum", 18); });
    add("ReduceSumSquare", 1, kMax, [](Ctx& c) { reduce_build(c, "sumsquare", 18); });
    add("ArgMax", 1, kMax, [](Ctx& c) { arg_build(c, "argmax"); });
    add("ArgMin", 1, kMax, [](Ctx& c) { arg_build(c, "argmin"); });
    add("CumSum", 11, kMax, cumsum_build);
    // shape and indexing
    add("Identity", 1, kMax, identity_build);
    add("Constant", 1, kMax, constant_build);
    add("Shape", 1, kMax, shape_build);
    add("Size", 1, kMax, size_build);
    add("Reshape", 5, kMax, reshape_build);
    add("Flatten", 1, kMax, flatten_build);
    add("Transpose", 1, kMax, transpose_build);
    add("Squeeze", 1, kMax, squeeze_build);
    add("Unsqueeze", 1, kMax, unsqueeze_build);
    add("Concat", 1, kMax, concat_build);
    add("Split", 2, kMax, split_build);
    add("Slice", 1, kMax, slice_build);
    add("Gather", 1, kMax, gather_build);
    add("GatherElements", 11, kMax, gather_elements_build);
    add("Pad", 2, kMax, pad_build);
    add("Expand", 8, kMax, expand_build);
    add("Tile", 6, kMax, tile_build);
    add("ConstantOfShape", 9, kMax, constant_of_shape_build);
    add("Range", 11, kMax, range_build);
    add("Trilu", 14, kMax, trilu_build);
    add("DepthToSpace", 1, kMax, depth_to_space_build);
    add("SpaceToDepth", 1, kMax, space_to_depth_build);
    add("Resize", 10, kMax, resize_build);
    add("Upsample", 7, 9, upsample_build);
    return v;
}());

}  // namespace

namespace {
std::vector<OpEntry>& table_storage() {
  static std::vector<OpEntry> t;
  return t;
}
}  // namespace

TableRegistrar::TableRegistrar(std::vector<OpEntry> entries) {
  auto& t = table_storage();
  for (auto& e : entries) t.push_back(std::move(e));
}

const std::vector<OpEntry>& op_table() { return table_storage(); }

}  // namespace sinter::onnx::detail
