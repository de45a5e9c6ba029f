// Importer entries for the convolution, pooling and normalisation families over 1 to 3 spatial
// dims: Conv, ConvInteger, QLinearConv, ConvTranspose, MaxPool (with Indices), AveragePool, MaxUnpool, LRN,
// BatchNormalization (inference and training mode) and Dropout (with its mask). What the
// registry ops do not cover directly (asymmetric or oversized pads, transposed-convolution
// output shapes, ONNX's flattened argmax indices) is composed here from registry ops.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "onnx/onnx_internal.h"
#include "sinter/ops/factory.h"

namespace sinter::onnx::detail {
namespace {

using graph::Value;
using V = Value*;
constexpr int kMax = kMaxOpset;

std::string nd_name(const char* base, int64_t nsp, const char* suffix = "") {
  return std::string(base) + std::to_string(nsp) + "d" + suffix;
}

void check_spatial(Ctx& c, int64_t r, const char* what) {
  if (r < 3 || r > 5)
    c.unsupported(std::string(what) + " over " + std::to_string(r - 2) + " spatial dims (1 to 3 are supported)");
}

/// ONNX pads (begin..., end...) as a `pad` op's list: last dim first, (begin, end) per dim.
DimVector pad_list(const DimVector& begin, const DimVector& end) {
  DimVector tp;
  for (size_t i = begin.size(); i-- > 0;) {
    tp.push_back(begin[i]);
    tp.push_back(end[i]);
  }
  return tp;
}

struct PoolGeom {
  DimVector kernel, stride, pad_begin, pad_end, dilation;
};

// Resolves kernel/strides/pads/dilations/auto_pad for `nsp` spatial dims of input x.
PoolGeom geometry(Ctx& c, V x, int64_t nsp, DimVector kernel) {
  PoolGeom g;
  g.kernel = kernel;
  auto st = c.attr_ints("strides", std::vector<int64_t>(nsp, 1));
  auto dl = c.attr_ints("dilations", std::vector<int64_t>(nsp, 1));
  auto pads = c.attr_ints("pads", std::vector<int64_t>(2 * nsp, 0));
  if (static_cast<int64_t>(st.size()) != nsp || static_cast<int64_t>(dl.size()) != nsp ||
      static_cast<int64_t>(pads.size()) != 2 * nsp || static_cast<int64_t>(kernel.size()) != nsp)
    c.invalid("kernel_shape/strides/dilations/pads do not match the " + std::to_string(nsp) + " spatial dims");
  for (int64_t i = 0; i < nsp; ++i) {
    if (st[i] <= 0 || dl[i] <= 0 || kernel[i] <= 0) c.invalid("strides, dilations and kernel sizes must be positive");
    if (pads[i] < 0 || pads[i + nsp] < 0) c.invalid("negative pads");
  }
  std::string ap = c.attr_s("auto_pad", "NOTSET");
  if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    DimVector s = c.static_shape(x, "auto_pad SAME");
    for (int64_t i = 0; i < nsp; ++i) {
      int64_t in = s[2 + i], out = (in + st[i] - 1) / st[i];
      int64_t total = std::max<int64_t>(0, (out - 1) * st[i] + (kernel[i] - 1) * dl[i] + 1 - in);
      int64_t small = total / 2, big = total - small;
      pads[i] = ap == "SAME_UPPER" ? small : big;
      pads[i + nsp] = ap == "SAME_UPPER" ? big : small;
    }
  } else if (ap == "VALID") {
    std::fill(pads.begin(), pads.end(), 0);
  } else if (ap != "NOTSET") {
    c.invalid("auto_pad '" + ap + "'");
  }
  g.stride = dv(st);
  g.dilation = dv(dl);
  g.pad_begin = dv(std::vector<int64_t>(pads.begin(), pads.begin() + nsp));
  g.pad_end = dv(std::vector<int64_t>(pads.begin() + nsp, pads.end()));
  return g;
}

// ---- Conv / ConvTranspose ----------------------------------------------------------------------

/// conv1d/2d/3d of x and w (b optional) with the node's Conv attributes.
V emit_conv(Ctx& c, V x, V w, V b) {
  int64_t r = c.rank(x);
  check_spatial(c, r, "Conv");
  int64_t nsp = r - 2;
  DimVector ws = c.static_shape(w, "Conv weight");
  if (static_cast<int64_t>(ws.size()) != r) c.invalid("weight rank differs from input rank");
  auto ks = c.attr_ints("kernel_shape", std::vector<int64_t>(ws.begin() + 2, ws.end()));
  PoolGeom g = geometry(c, x, nsp, dv(ks));
  int64_t groups = c.attr_i("group", 1);
  if (groups <= 0) c.invalid("group must be positive");
  ops::Attrs at{g.stride, g.pad_begin, g.dilation, groups};
  if (g.pad_begin != g.pad_end) at[4] = g.pad_end;
  return c.emit(nd_name("conv", nsp).c_str(), {x, w, b}, at);
}

void conv_build(Ctx& c) { c.set_out(0, emit_conv(c, c.in(0), c.in(1), c.opt_in(2))); }

/// A 1-D per-channel tensor shaped to broadcast over (N, C, *spatial) of rank r.
V per_channel(Ctx& c, V t, int64_t r) {
  if (c.rank(t) == 0) return t;
  DimVector s{-1};
  for (int64_t i = 2; i < r; ++i) s.push_back(1);
  return reshape(c, t, s);
}

/// t - zero_point in int64 (zp absent: 0); per_ch: the zero point may be one per output channel.
V minus_zero_point(Ctx& c, V t, V zp, bool per_ch) {
  V l = c.emit("to_dtype", {t}, {DType::Long});
  if (!zp) return l;
  V z = c.emit("to_dtype", {zp}, {DType::Long});
  if (per_ch) z = per_channel(c, z, c.rank(t));
  return c.emit("sub", {l, z});
}

// ConvInteger: the convolution of (x - x_zero_point) and (w - w_zero_point), exact in int64, as int32.
void conv_integer_build(Ctx& c) {
  V acc = emit_conv(c, minus_zero_point(c, c.in(0), c.opt_in(2), false), minus_zero_point(c, c.in(1), c.opt_in(3), true),
                    nullptr);
  c.set_out(0, c.emit("to_dtype", {acc}, {DType::Int}));
}

// QLinearConv: the integer convolution plus the int32 bias, scaled by x_scale * w_scale / y_scale
// (in float64), rounded half to even, shifted by y_zero_point and saturated to its type.
void qlinear_conv_build(Ctx& c) {
  V x = c.in(0), w = c.in(3);
  int64_t r = c.rank(x);
  V acc = emit_conv(c, minus_zero_point(c, x, c.in(2), false), minus_zero_point(c, w, c.in(5), true), nullptr);
  if (c.has_in(8)) acc = c.emit("add", {acc, per_channel(c, c.emit("to_dtype", {c.in(8)}, {DType::Long}), r)});
  auto dbl = [&](V t) { return c.emit("to_dtype", {t}, {DType::Double}); };
  V scale = c.emit("div", {c.emit("mul", {dbl(c.in(1)), per_channel(c, dbl(c.in(4)), r)}), dbl(c.in(6))});
  V y = c.emit("round", {c.emit("mul", {dbl(acc), scale})});
  y = c.emit("add", {y, dbl(c.in(7))});
  DType out = c.dtype(c.in(7));
  if (out != DType::Byte && out != DType::Char) c.unsupported("QLinearConv output other than uint8/int8");
  bool u8 = out == DType::Byte;
  y = c.emit("clamp", {y}, {Scalar(u8 ? 0.0 : -128.0), Scalar(u8 ? 255.0 : 127.0)});
  c.set_out(0, c.emit("to_dtype", {y}, {out}));
}

// The output of a transposed convolution with no padding has F = (in - 1) * s + (k - 1) * d + 1
// per dim; ONNX's output is that, cropped by pads (begin, end) and extended by output_padding.
// output_shape (or auto_pad SAME_*, whose output_shape is in * stride) fixes the pads instead.
void conv_transpose_build(Ctx& c) {
  V x = c.in(0), w = c.in(1), b = c.opt_in(2);
  int64_t r = c.rank(x);
  check_spatial(c, r, "ConvTranspose");
  int64_t nsp = r - 2;
  DimVector xs = c.static_shape(x, "ConvTranspose input"), ws = c.static_shape(w, "ConvTranspose weight");
  if (static_cast<int64_t>(ws.size()) != r) c.invalid("weight rank differs from input rank");
  auto ks = c.attr_ints("kernel_shape", std::vector<int64_t>(ws.begin() + 2, ws.end()));
  auto st = c.attr_ints("strides", std::vector<int64_t>(nsp, 1));
  auto dl = c.attr_ints("dilations", std::vector<int64_t>(nsp, 1));
  auto pads = c.attr_ints("pads", std::vector<int64_t>(2 * nsp, 0));
  auto opad = c.attr_ints("output_padding", std::vector<int64_t>(nsp, 0));
  auto n = static_cast<size_t>(nsp);
  if (ks.size() != n || st.size() != n || dl.size() != n || pads.size() != 2 * n || opad.size() != n)
    c.invalid("kernel_shape/strides/dilations/pads/output_padding do not match the " + std::to_string(nsp) +
              " spatial dims");
  for (size_t i = 0; i < n; ++i)
    if (st[i] <= 0 || dl[i] <= 0 || ks[i] <= 0 || ks[i] != ws[2 + i] || opad[i] < 0)
      c.invalid("strides, dilations and kernel sizes must be positive and match the weight");
  int64_t groups = c.attr_i("group", 1);
  if (groups <= 0) c.invalid("group must be positive");
  std::string ap = c.attr_s("auto_pad", "NOTSET");
  std::vector<int64_t> full(n);
  for (size_t i = 0; i < n; ++i) full[i] = (xs[2 + i] - 1) * st[i] + (ks[i] - 1) * dl[i] + 1;
  std::vector<int64_t> oshape = c.attr_ints("output_shape");
  if (oshape.size() == n + 2) oshape.erase(oshape.begin(), oshape.begin() + 2);
  if (oshape.empty() && (ap == "SAME_UPPER" || ap == "SAME_LOWER"))
    for (size_t i = 0; i < n; ++i) oshape.push_back(xs[2 + i] * st[i]);
  if (!oshape.empty()) {
    if (oshape.size() != n) c.invalid("output_shape does not match the spatial dims");
    for (size_t i = 0; i < n; ++i) {
      int64_t total = full[i] + opad[i] - oshape[i];
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);  // floor(total / 2)
      pads[i] = ap == "SAME_UPPER" ? half : total - half;
      pads[i + n] = total - pads[i];
    }
  } else if (ap == "VALID") {
    std::fill(pads.begin(), pads.end(), 0);
  } else if (ap != "NOTSET") {
    c.invalid("auto_pad '" + ap + "'");
  }
  std::string op = nd_name("conv_transpose", nsp);
  bool direct = true;
  for (size_t i = 0; i < n; ++i)
    direct &= pads[i] == pads[i + n] && pads[i] >= 0 && (opad[i] < st[i] || opad[i] < dl[i]);
  DimVector pb = dv(std::vector<int64_t>(pads.begin(), pads.begin() + nsp));
  if (direct) {
    c.set_out(0, c.emit(op.c_str(), {x, w, b}, {dv(st), pb, dv(opad), groups, dv(dl)}));
    return;
  }
  V y = c.emit(op.c_str(), {x, w, nullptr}, {dv(st), DimVector(nsp, 0), DimVector(nsp, 0), groups, dv(dl)});
  DimVector lo, hi;  // pad by (-begin, output_padding - end): a negative pad crops
  for (size_t i = 0; i < n; ++i) {
    lo.push_back(-pads[i]);
    hi.push_back(opad[i] - pads[i + n]);
  }
  y = c.emit("pad", {y}, {pad_list(lo, hi), std::string("constant"), 0.0});
  if (b) {
    DimVector bs{-1};
    for (size_t i = 0; i < n; ++i) bs.push_back(1);
    y = c.emit("add", {y, reshape(c, b, bs)});
  }
  c.set_out(0, y);
}

// ---- MaxPool / AveragePool ---------------------------------------------------------------------

/// ONNX's MaxPool Indices from per-plane row-major argmax positions over spatial sizes `sp`:
/// column-major within the plane when storage_order is 1, plus the plane's offset (n * C + c).
V onnx_indices(Ctx& c, V idx, const DimVector& shape, int64_t storage_order) {
  const int64_t nsp = static_cast<int64_t>(shape.size()) - 2;
  int64_t plane = 1;
  for (int64_t i = 0; i < nsp; ++i) plane *= shape[2 + i];
  if (storage_order == 1 && nsp > 1) {
    V rem = idx, col = nullptr;
    int64_t col_stride = 1;  // column-major: the first spatial dim varies fastest
    std::vector<V> coord(static_cast<size_t>(nsp));
    for (int64_t i = nsp; i-- > 0;) {
      V sz = c.scalar(static_cast<double>(shape[2 + i]), DType::Long);
      coord[static_cast<size_t>(i)] = c.emit("remainder", {rem, sz});
      rem = c.emit("div", {rem, sz}, {std::string("trunc")});
    }
    for (int64_t i = 0; i < nsp; ++i) {
      V term = c.emit("mul", {coord[static_cast<size_t>(i)], c.scalar(static_cast<double>(col_stride), DType::Long)});
      col = col ? c.emit("add", {col, term}) : term;
      col_stride *= shape[2 + i];
    }
    idx = col;
  } else if (storage_order != 0 && storage_order != 1) {
    c.invalid("storage_order must be 0 or 1");
  }
  DimVector os{shape[0], shape[1]};
  for (int64_t i = 0; i < nsp; ++i) os.push_back(1);
  Tensor offs = arange(shape[0] * shape[1], TensorOptions().dtype(DType::Long)).mul(plane).view(os);
  return c.emit("add", {idx, c.constant(offs)});
}

// 1-D pooling runs as 2-D over (N, C, 1, L). Pads that a registry op cannot take (asymmetric, or
// more than half the kernel) are applied explicitly: -inf for max; zeros for average, whose
// divisor without count_include_pad is then the pooled count of real input elements.
void pool_build(Ctx& c, bool is_max) {
  V x = c.in(0);
  int64_t r = c.rank(x);
  check_spatial(c, r, is_max ? "MaxPool" : "AveragePool");
  int64_t nsp = r - 2;
  PoolGeom g = geometry(c, x, nsp, dv(c.attr_ints("kernel_shape")));
  bool ceil = c.attr_i("ceil_mode", 0) != 0;
  bool include_pad = c.attr_i("count_include_pad", 0) != 0;
  bool want_idx = is_max && c.has_out(1);
  if (!is_max && (g.dilation != DimVector(nsp, 1))) c.unsupported("AveragePool with dilations");
  DimVector in_shape = want_idx ? c.static_shape(x, "MaxPool Indices") : DimVector{};
  if (nsp == 1) {
    x = c.emit("unsqueeze", {x}, {int64_t(2)});
    g.kernel.insert(0, 1); g.stride.insert(0, 1); g.pad_begin.insert(0, 0); g.pad_end.insert(0, 0); g.dilation.insert(0, 1);
  }
  const int64_t pn = static_cast<int64_t>(g.kernel.size());
  bool explicit_pad = g.pad_begin != g.pad_end;
  for (int64_t i = 0; i < pn; ++i) explicit_pad |= 2 * g.pad_begin[i] > g.kernel[i];
  DimVector pad = g.pad_begin;
  V counts = nullptr;
  if (explicit_pad) {
    if (want_idx) c.unsupported("MaxPool's Indices output with asymmetric or oversized pads");
    DimVector tp = pad_list(g.pad_begin, g.pad_end);
    if (!is_max && !include_pad) {
      DimVector s = c.static_shape(x, "AveragePool with asymmetric pads");
      s[0] = s[1] = 1;
      Tensor ones_t = ones(s, TensorOptions().dtype(c.dtype(x)));
      counts = c.emit("pad", {c.constant(ones_t)}, {tp, std::string("constant"), 0.0});
    }
    double v = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
    x = c.emit("pad", {x}, {tp, std::string("constant"), v});
    pad = DimVector(pn, 0);
  }
  // integer max pooling runs in float (exact for 8- and 16-bit values) and casts back
  DType in_dt = c.dtype(x);
  bool cast = is_max && is_integral(in_dt) && element_size(in_dt) <= 2;
  if (cast) x = c.emit("to_dtype", {x}, {DType::Float});
  V y, idx = nullptr;
  if (is_max) {
    ops::Attrs at{g.kernel, g.stride, pad, g.dilation, ceil};
    if (want_idx) {
      auto outs = c.emit_n(nd_name("max_pool", pn, "_with_indices").c_str(), {x}, at);
      y = outs[0];
      idx = outs[1];
    } else {
      y = c.emit(nd_name("max_pool", pn).c_str(), {x}, at);
    }
  } else {
    std::string op = nd_name("avg_pool", pn);
    if (counts) {
      ops::Attrs sum_at{g.kernel, g.stride, pad, ceil, true, int64_t(1)};
      y = c.emit("div", {c.emit(op.c_str(), {x}, sum_at), c.emit(op.c_str(), {counts}, sum_at)});
    } else {
      y = c.emit(op.c_str(), {x}, {g.kernel, g.stride, pad, ceil, include_pad});
    }
  }
  if (cast) y = c.emit("to_dtype", {y}, {in_dt});
  if (nsp == 1) {
    y = c.emit("squeeze", {y}, {int64_t(2)});
    if (idx) idx = c.emit("squeeze", {idx}, {int64_t(2)});
  }
  c.set_out(0, y);
  if (idx) c.set_out(1, onnx_indices(c, idx, in_shape, c.attr_i("storage_order", 0)));
}

// MaxUnpool(X, I[, output_shape]): zeros of the default output shape ((in - 1) * stride + kernel
// - pads) with X scattered to the flat positions I (ONNX's indices over that whole tensor); a
// given output_shape (a constant or computed at run time) then pads each spatial dim at its end.
void max_unpool_build(Ctx& c) {
  V x = c.in(0), idx = c.in(1);
  DimVector xs = c.static_shape(x, "MaxUnpool input");
  int64_t nsp = static_cast<int64_t>(xs.size()) - 2;
  if (nsp < 1) c.invalid("input must have spatial dims");
  auto ks = c.attr_ints("kernel_shape");
  auto st = c.attr_ints("strides", std::vector<int64_t>(static_cast<size_t>(nsp), 1));
  auto pads = c.attr_ints("pads", std::vector<int64_t>(static_cast<size_t>(2 * nsp), 0));
  auto n = static_cast<size_t>(nsp);
  if (ks.size() != n || st.size() != n || pads.size() != 2 * n) c.invalid("kernel_shape/strides/pads lengths");
  DimVector out{xs[0], xs[1]};
  for (size_t i = 0; i < n; ++i) out.push_back((xs[2 + i] - 1) * st[i] + ks[i] - pads[i] - pads[i + n]);
  int64_t total = 1;
  for (auto v : out) {
    if (v < 0) c.invalid("negative output size");
    total *= v;
  }
  V zero = c.constant(zeros({total}, TensorOptions().dtype(c.dtype(x))));
  V flat_i = reshape(c, c.emit("to_dtype", {idx}, {DType::Long}), {-1});
  V y = reshape(c, c.emit("scatter", {zero, flat_i, reshape(c, x, {-1})}, {int64_t(0)}), out);
  if (c.has_in(2)) {
    if (c.is_const(2)) {
      auto os = c.const_ints(2, "output_shape");
      if (os.size() != n + 2 || os[0] != out[0] || os[1] != out[1]) c.invalid("output_shape must have the input's rank, batch and channels");
      DimVector lo(n, 0), hi;
      for (size_t i = 0; i < n; ++i) {
        if (os[2 + i] < out[2 + i]) c.invalid("output_shape smaller than the default output");
        hi.push_back(os[2 + i] - out[2 + i]);
      }
      y = c.emit("pad", {y}, {pad_list(lo, hi), std::string("constant"), 0.0});
    } else {  // run-time output_shape: the pad list (0, os[d] - out[d]) per spatial dim, last dim first
      V diff = c.emit("sub", {c.emit("to_dtype", {c.in(2)}, {DType::Long}), c.constant(tensor(std::vector<int64_t>(out.begin(), out.end())))});
      std::vector<V> parts;
      V zero1 = c.constant(zeros({1}, TensorOptions().dtype(DType::Long)));
      for (int64_t i = static_cast<int64_t>(n) + 1; i >= 2; --i) {
        parts.push_back(zero1);
        parts.push_back(c.emit("view", {c.element(diff, i)}, {DimVector{1}}));
      }
      V pl = c.emit("cat", parts, {int64_t(0)});
      y = c.emit("pad", {y}, {DimVector{}, std::string("constant"), 0.0}, {{0, pl}});
    }
  }
  c.set_out(0, y);
}

// ---- LRN ---------------------------------------------------------------------------------------

// y = x / (bias + alpha / size * sum of x^2 over channels [c - (size-1)/2, c + ceil((size-1)/2)])^beta;
// the window sum runs as a 2-D sum pool over (N, 1, C, rest).
void lrn_build(Ctx& c) {
  V x = c.in(0);
  DimVector s = c.static_shape(x, "LRN input");
  if (s.size() < 3) c.invalid("input must have spatial dims");
  int64_t size = c.attr_i("size", 0);
  if (size <= 0) c.invalid("size must be positive");
  double alpha = c.attr_f("alpha", 1e-4), beta = c.attr_f("beta", 0.75), bias = c.attr_f("bias", 1.0);
  DType dt = c.dtype(x);
  int64_t rest = 1;
  for (size_t i = 2; i < s.size(); ++i) rest *= s[i];
  V sq = reshape(c, c.emit("mul", {x, x}), {s[0], 1, s[1], rest});
  int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  sq = c.emit("pad", {sq}, {DimVector{0, 0, lo, hi}, std::string("constant"), 0.0});
  V sum = c.emit("avg_pool2d", {sq}, {DimVector{size, 1}, DimVector{1, 1}, DimVector{0, 0}, false, true, int64_t(1)});
  V d = c.emit("add", {c.emit("mul", {reshape(c, sum, s), c.scalar(alpha / static_cast<double>(size), dt)}),
                       c.scalar(bias, dt)});
  c.set_out(0, c.emit("div", {x, c.emit("pow", {d, c.scalar(beta, dt)})}));
}

// ---- BatchNormalization / Dropout --------------------------------------------------------------

// Inference: batch_norm with the given statistics. Training (training_mode=1): normalise with the
// batch's mean and (biased) variance over all dims but the channel, and output the updated
// running statistics input * momentum + batch * (1 - momentum).
void batch_norm_build(Ctx& c) {
  if (c.opset < 7 && c.attr_i("is_test", 1) == 0) c.unsupported("BatchNormalization with is_test=0");
  double eps = c.attr_f("epsilon", 1e-5), mom = c.attr_f("momentum", 0.9);
  bool training = c.opset >= 14 && c.attr_i("training_mode", 0) != 0;
  if (!training) {
    for (size_t i = 1; i < c.num_outputs(); ++i)
      if (c.has_out(i) && c.opset >= 9) c.unsupported("BatchNormalization's training outputs outside training mode");
    auto outs = c.emit_n("batch_norm", {c.in(0), c.in(1), c.in(2), c.in(3), c.in(4)}, {false, 1.0 - mom, eps});
    c.set_out(0, outs[0]);
    return;
  }
  V x = c.in(0);
  int64_t r = c.rank(x);
  if (r < 2) c.invalid("input must have a channel dim");
  DType dt = c.dtype(x);
  DimVector dims{0};
  for (int64_t i = 2; i < r; ++i) dims.push_back(i);
  DimVector cs{-1};
  for (int64_t i = 2; i < r; ++i) cs.push_back(1);
  V mean = c.emit("mean", {x}, {dims, false});
  V var = c.emit("var", {x}, {dims, int64_t(0), false});
  V xc = c.emit("sub", {x, reshape(c, mean, cs)});
  V inv = c.emit("rsqrt", {c.emit("add", {var, c.scalar(eps, dt)})});
  V y = c.emit("mul", {xc, reshape(c, c.emit("mul", {inv, c.in(1)}), cs)});
  c.set_out(0, c.emit("add", {y, reshape(c, c.in(2), cs)}));
  auto blend = [&](V running, V batch) {
    return c.emit("add", {c.emit("mul", {running, c.scalar(mom, dt)}), c.emit("mul", {batch, c.scalar(1.0 - mom, dt)})});
  };
  if (c.has_out(1)) c.set_out(1, blend(c.in(3), mean));
  if (c.has_out(2)) c.set_out(2, blend(c.in(4), var));
}

// Inference (or a zero ratio) is the identity, and the mask all true. Training drops with
// native_dropout (sinter's random stream, not numpy's: such outputs match other frameworks only
// in distribution); a ratio or training_mode computed at run time binds its attributes then.
void dropout_build(Ctx& c) {
  V x = c.in(0);
  bool dyn = c.opset >= 12 && ((c.has_in(1) && !c.is_const(1)) || (c.has_in(2) && !c.is_const(2)));
  bool training = false;
  double ratio = c.opset >= 12 ? 0.5 : c.attr_f("ratio", 0.5);
  if (!dyn && c.opset >= 12) {
    if (c.has_in(2)) training = c.const_in(2, "training_mode").to(DType::Bool).item<bool>();
    if (c.has_in(1)) ratio = c.const_in(1, "ratio").to(DType::Double).item<double>();
  }
  if (dyn || (training && ratio != 0.0)) {
    Ctx::AttrIn ai;
    if (dyn && c.has_in(1)) ai.push_back({0, c.emit("to_dtype", {c.in(1)}, {DType::Double})});
    if (dyn && c.has_in(2)) ai.push_back({1, c.emit("to_dtype", {c.in(2)}, {DType::Bool})});
    auto outs = c.emit_n("native_dropout", {x}, {ratio, training}, ai);
    c.set_out(0, outs[0]);
    if (c.has_out(1)) c.set_out(1, outs[1]);
    return;
  }
  c.set_out(0, x);
  if (c.has_out(1)) {
    DimVector s = c.static_shape(x, "Dropout mask");
    c.set_out(1, c.constant(ones(s, TensorOptions().dtype(DType::Bool))));
  }
}

static const TableRegistrar reg({
    {"Conv", 1, kMax, conv_build},
    {"ConvTranspose", 1, kMax, conv_transpose_build},
    {"ConvInteger", 10, kMax, conv_integer_build},
    {"QLinearConv", 10, kMax, qlinear_conv_build},
    {"MaxPool", 1, kMax, [](Ctx& c) { pool_build(c, true); }},
    {"AveragePool", 1, kMax, [](Ctx& c) { pool_build(c, false); }},
    {"MaxUnpool", 9, kMax, max_unpool_build},
    {"LRN", 1, kMax, lrn_build},
    {"BatchNormalization", 1, kMax, batch_norm_build},
    {"Dropout", 1, kMax, dropout_build},
});

}  // namespace
}  // namespace sinter::onnx::detail
