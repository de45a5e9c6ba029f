// ONNX linear quantization (uint8 / int8) composed from registry ops: QuantizeLinear,
// DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, QLinearMatMul.
//   quantize:   q = saturate(round_half_even(x / scale) + zero_point)
//   dequantize: x = (q - zero_point) * scale
// Integer products are accumulated in float64 (exact for any realistic inner size: each term
// is at most 2^16) and cast to int32 at the end.
#include "onnx/onnx_internal.h"
#include "sinter/ops/factory.h"

namespace sinter::onnx::detail {
namespace {

using V = graph::Value*;
constexpr int kMax = kMaxOpset;

bool is_8bit(DType t) { return t == DType::Byte || t == DType::Char; }

V to(Ctx& c, V x, DType dt) { return c.dtype(x) == dt ? x : c.emit("to_dtype", {x}, {dt}); }

// A per-axis parameter (1-D, one value per entry of x's `axis`) reshaped to broadcast against
// x; scalars (and 1-element 1-D tensors) stay as they are.
V along_axis(Ctx& c, V p, V x, int64_t axis, const char* what) {
  auto ps = c.shape(p);
  if (ps.empty() || (ps.size() == 1 && ps[0] == graph::Dim(1))) return p;
  if (ps.size() != 1) c.invalid(std::string(what) + " must be a scalar or 1-D");
  int64_t r = c.rank(x);
  int64_t a = c.axis(axis, r, "axis");
  auto xs = c.shape(x);
  if (ps[0].is_static() && xs[a].is_static() && ps[0].value != xs[a].value)
    c.invalid(sinter::detail::str_cat(what, " has ", ps[0].str(), " values for axis ", a, " of size ", xs[a].str()));
  DimVector s(static_cast<size_t>(r), 1);
  s[static_cast<size_t>(a)] = ps[0].is_static() ? ps[0].value : -1;
  return reshape(c, p, s);
}

// The zero point input i (uint8 0 when absent) and the quantized type it names.
V zero_point(Ctx& c, size_t i, DType* qtype) {
  if (!c.has_in(i)) {
    *qtype = DType::Byte;
    return c.scalar(0, DType::Byte);
  }
  V z = c.in(i);
  *qtype = c.dtype(z);
  if (!is_8bit(*qtype)) c.unsupported(sinter::detail::str_cat("zero point of type ", *qtype, " (uint8 and int8 are supported)"));
  return z;
}

// saturate(round(y) + zp) in the quantized type; y and zp float.
V saturate(Ctx& c, V y, V zp, DType qtype) {
  y = c.emit("add", {c.emit("round", {y}), zp});
  bool u = qtype == DType::Byte;
  y = c.emit("clamp", {y}, {Scalar(u ? 0.0 : -128.0), Scalar(u ? 255.0 : 127.0)});
  return c.emit("to_dtype", {y}, {qtype});
}

void quantize_build(Ctx& c) {
  V x = c.in(0);
  DType ft = is_floating_point(c.dtype(x)) ? c.dtype(x) : DType::Float;
  int64_t axis = c.opset >= 13 ? c.attr_i("axis", 1) : 1;
  DType qt;
  V zp = zero_point(c, 2, &qt);
  V scale = along_axis(c, to(c, c.in(1), ft), x, axis, "y_scale");
  zp = along_axis(c, to(c, zp, ft), x, axis, "y_zero_point");
  c.set_out(0, saturate(c, c.emit("div", {to(c, x, ft), scale}), zp, qt));
}

void dequantize_build(Ctx& c) {
  V x = c.in(0);
  DType xt = c.dtype(x);
  if (!is_8bit(xt) && xt != DType::Int) c.invalid(sinter::detail::str_cat("x must be uint8, int8 or int32, got ", xt));
  int64_t axis = c.opset >= 13 ? c.attr_i("axis", 1) : 1;
  V scale = c.in(1);
  DType ft = c.dtype(scale);
  if (!is_floating_point(ft)) c.invalid("x_scale must be floating-point");
  V y = to(c, x, ft);
  if (c.has_in(2)) y = c.emit("sub", {y, along_axis(c, to(c, c.in(2), ft), x, axis, "x_zero_point")});
  c.set_out(0, c.emit("mul", {y, along_axis(c, scale, x, axis, "x_scale")}));
}

// y_scale = (max(x, 0) - min(x, 0)) / 255, y_zero_point = saturate(round(-min(x, 0) / y_scale)).
void dynamic_quantize_build(Ctx& c) {
  V x = c.in(0);
  if (c.dtype(x) != DType::Float) c.invalid(sinter::detail::str_cat("x must be float32, got ", c.dtype(x)));
  int64_t r = c.rank(x);
  DimVector all;
  for (int64_t i = 0; i < r; ++i) all.push_back(i);
  V zero = c.scalar(0, DType::Float);
  V hi = c.emit("maximum", {c.emit("amax", {x}, {all, false}), zero});
  V lo = c.emit("minimum", {c.emit("amin", {x}, {all, false}), zero});
  V scale = c.emit("div", {c.emit("sub", {hi, lo}), c.scalar(255, DType::Float)});
  V zp = saturate(c, c.emit("div", {c.emit("neg", {lo}), scale}), zero, DType::Byte);
  c.set_out(0, saturate(c, c.emit("div", {x, scale}), to(c, zp, DType::Float), DType::Byte));
  if (c.has_out(1)) c.set_out(1, scale);
  if (c.has_out(2)) c.set_out(2, zp);
}

// (a - a_zero_point) @ (b - b_zero_point), accumulated in float64. a's zero point may be per
// row (1-D over a's second-to-last dim), b's per column (1-D over b's last dim).
V integer_matmul(Ctx& c, V a, V azp, V b, V bzp) {
  for (V v : {a, b})
    if (!is_8bit(c.dtype(v))) c.invalid(sinter::detail::str_cat("inputs must be uint8 or int8, got ", c.dtype(v)));
  if (c.rank(a) < 1 || c.rank(b) < 1) c.invalid("inputs must be at least 1-D");
  V A = to(c, a, DType::Double), B = to(c, b, DType::Double);
  if (azp) {
    V z = to(c, azp, DType::Double);
    if (c.rank(z) == 1 && c.rank(a) >= 2) z = c.emit("unsqueeze", {z}, {int64_t(1)});
    A = c.emit("sub", {A, z});
  }
  if (bzp) B = c.emit("sub", {B, to(c, bzp, DType::Double)});
  return c.emit("matmul", {A, B});
}

void matmul_integer_build(Ctx& c) {
  V y = integer_matmul(c, c.in(0), c.opt_in(2), c.in(1), c.opt_in(3));
  c.set_out(0, c.emit("to_dtype", {y}, {DType::Int}));
}

// QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp).
void qlinear_matmul_build(Ctx& c) {
  V acc = integer_matmul(c, c.in(0), c.in(2), c.in(3), c.in(5));
  DType qt = c.dtype(c.in(7));
  if (!is_8bit(qt)) c.invalid(sinter::detail::str_cat("y_zero_point must be uint8 or int8, got ", qt));
  V as = to(c, c.in(1), DType::Float), bs = to(c, c.in(4), DType::Float), ys = to(c, c.in(6), DType::Float);
  if (c.rank(as) == 1 && c.rank(c.in(0)) >= 2) as = c.emit("unsqueeze", {as}, {int64_t(1)});  // per row
  V m = c.emit("div", {c.emit("mul", {as, bs}), ys});
  V y = c.emit("mul", {to(c, acc, DType::Float), m});
  c.set_out(0, saturate(c, y, to(c, c.in(7), DType::Float), qt));
}

const TableRegistrar quant_entries({
    {"QuantizeLinear", 10, kMax, quantize_build},
    {"DequantizeLinear", 10, kMax, dequantize_build},
    {"DynamicQuantizeLinear", 11, kMax, dynamic_quantize_build},
    {"MatMulInteger", 10, kMax, matmul_integer_build},
    {"QLinearMatMul", 10, kMax, qlinear_matmul_build},
});

}  // namespace
}  // namespace sinter::onnx::detail
