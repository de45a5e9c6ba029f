// Spectral ops over ONNX's layout for complex numbers (a trailing dim of 2 holds (real,
// imaginary); a trailing dim of 1 is a real signal):
//   dft(self; dim, n, inverse, onesided)                 torch.fft.fft / ifft / rfft
//   stft(signal, window; frame_step, frame_length, onesided)   torch.stft, center=False
//   mel_weight_matrix(; num_mel_bins, dft_length, sample_rate, lower_edge_hertz,
//                       upper_edge_hertz, dtype)          ONNX MelWeightMatrix
// Transforms run in double precision (kernels/cpu/fft.h); the reference kernels use the O(n^2)
// definition.
#include <cmath>
#include <optional>
#include <vector>

#include "kernels/cpu/fft.h"
#include "ops/registry.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/index.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/shape.h"
#include "sinter/ops/signal.h"

namespace sinter {
namespace ops {
namespace {

using kernels::cdouble;

void check_signal(const char* op, const Tensor& x, int64_t min_dim) {
  SINTER_CHECK(x.dtype() == DType::Float || x.dtype() == DType::Double, DTypeError, op,
               ": expected a float or double signal, got ", dtype_name(x.dtype()), " of shape ", shape_str(x.sizes()));
  SINTER_CHECK(x.dim() >= min_dim && (x.size(-1) == 1 || x.size(-1) == 2), ShapeError, op,
               ": expected a signal with at least ", min_dim, " dims whose last is 1 (real) or 2 (real, imaginary), got shape ",
               shape_str(x.sizes()));
}

/// One transform of n points in place: the plan when there is one, else the definition.
struct LineTransform {
  std::optional<kernels::FftPlan> plan;
  std::vector<cdouble> line, tmp;
  LineTransform(int64_t n, bool fast) : line(static_cast<size_t>(n)), tmp(static_cast<size_t>(n)) {
    if (fast) plan.emplace(n);
  }
  void run(bool inverse) {
    if (plan) return plan->run(line.data(), inverse);
    kernels::dft_naive(line.data(), tmp.data(), static_cast<int64_t>(line.size()), inverse);
    line.swap(tmp);
  }
};

// ---- dft -------------------------------------------------------------------------------------

/// x viewed as (outer, len, inner, channels); the transform has n points and keeps out_len.
struct DftGeom {
  int64_t dim, outer = 1, len, inner = 1, channels, n, out_len;
  bool inverse, onesided;
};

DftGeom dft_geom(const OpCall& c) {
  const Tensor& x = c.in[0];
  check_signal("dft", x, 2);
  DftGeom g;
  g.dim = wrap_dim("dft", c.attrs.i(0), x.dim());
  SINTER_CHECK(g.dim != x.dim() - 1, ValueError, "dft: dim ", c.attrs.i(0), " of input ", shape_str(x.sizes()),
               " is its (real, imaginary) dim; the signal dims are 0 to ", x.dim() - 2);
  g.len = x.size(g.dim);
  g.n = c.attrs.is_none(1) ? g.len : c.attrs.i(1);
  SINTER_CHECK(g.n >= 1, ValueError, "dft: the transform needs at least one point, got ", g.n, " along dim ", g.dim,
               " of input ", shape_str(x.sizes()));
  g.inverse = c.attrs.b(2);
  g.onesided = c.attrs.b(3);
  g.out_len = g.onesided ? g.n / 2 + 1 : g.n;
  for (int64_t d = 0; d < g.dim; ++d) g.outer *= x.size(d);
  for (int64_t d = g.dim + 1; d < x.dim() - 1; ++d) g.inner *= x.size(d);
  g.channels = x.size(-1);
  return g;
}

void dft_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  DftGeom g = dft_geom(c);
  DimVector s(c.in[0].sizes());
  s[g.dim] = g.out_len;
  s.back() = 2;
  out[0].sizes = s;
  out[0].dtype = c.in[0].dtype();
  n = 1;
}

template <bool Fast>
void dft_kernel(const OpCall& c) {
  const DftGeom g = dft_geom(c);
  Tensor x = c.in[0].contiguous();
  if (c.out[0].numel() == 0) return;
  LineTransform t(g.n, Fast);
  const int64_t m = std::min(g.len, g.n), C = g.channels;
  visit_float_dtype(x.dtype(), "dft", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(c.out[0].data_ptr());
    for (int64_t o = 0; o < g.outer; ++o)
      for (int64_t i = 0; i < g.inner; ++i) {
        for (int64_t j = 0; j < g.n; ++j) {
          const T* p = xp + ((o * g.len + j) * g.inner + i) * C;
          t.line[static_cast<size_t>(j)] =
              j < m ? cdouble(static_cast<double>(p[0]), C == 2 ? static_cast<double>(p[1]) : 0.0) : cdouble(0, 0);
        }
        t.run(g.inverse);
        for (int64_t k = 0; k < g.out_len; ++k) {
          T* q = yp + ((o * g.out_len + k) * g.inner + i) * 2;
          q[0] = static_cast<T>(t.line[static_cast<size_t>(k)].real());
          q[1] = static_cast<T>(t.line[static_cast<size_t>(k)].imag());
        }
      }
  });
}

/// x zero-extended or cut to `size` along dim.
Tensor fit_to(const Tensor& x, int64_t dim, int64_t size) {
  int64_t have = x.size(dim);
  if (have > size) return narrow(x, dim, 0, size);
  if (have == size) return x;
  DimVector s(x.sizes());
  s[dim] = size - have;
  return cat({x, zeros(s, x.dtype())}, dim);
}

// The transform is linear: y = F x with F the forward DFT (adjoint conj(F)^T = n * inverse DFT)
// or conj(F) / n (adjoint F / n). Onesided outputs are the first rows of the full one, padding
// and truncation are their own adjoints' counterparts, a real input takes the real part.
/// The adjoint of an n-point transform along dim applied to g, for an input of `len` points
/// along dim and `channels` (1 real, 2 complex) in its last dim.
Tensor dft_adjoint(const Tensor& g, int64_t dim, int64_t n, int64_t len, int64_t channels, bool inverse) {
  Tensor h = dft(fit_to(g, dim, n), dim, std::nullopt, !inverse, false);
  h = inverse ? h * (1.0 / static_cast<double>(n)) : h * static_cast<double>(n);
  h = fit_to(h, dim, len);
  return channels == 1 ? narrow(h, -1, 0, 1) : h;
}

TensorList dft_backward(BackwardCtx& c, const TensorList& grads) {
  const Tensor& x = c.input(0);
  int64_t dim = wrap_dim("dft", c.attrs.i(0), x.dim());
  int64_t n = c.attrs.is_none(1) ? x.size(dim) : c.attrs.i(1);
  return {dft_adjoint(grads[0], dim, n, x.size(dim), x.size(-1), c.attrs.b(2))};
}

// ---- stft ------------------------------------------------------------------------------------

struct StftGeom {
  int64_t batch, length, channels, step, frame_len, frames, bins;
};

StftGeom stft_geom(const OpCall& c) {
  const Tensor& x = c.in[0];
  const Tensor& w = c.in[1];
  check_signal("stft", x, 3);
  SINTER_CHECK(x.dim() == 3, ShapeError, "stft: expected a signal (batch, length, 1 or 2), got shape ", shape_str(x.sizes()));
  StftGeom g{x.size(0), x.size(1), x.size(2), c.attrs.i(0), 0, 0, 0};
  SINTER_CHECK(g.step >= 1, ValueError, "stft: frame_step must be positive, got ", g.step);
  if (w.defined()) {
    SINTER_CHECK(w.dim() == 1, ShapeError, "stft: expected a 1-D window, got shape ", shape_str(w.sizes()));
    SINTER_CHECK(w.dtype() == x.dtype(), DTypeError, "stft: the window (", dtype_name(w.dtype()),
                 ") must have the signal's dtype (", dtype_name(x.dtype()), ")");
    g.frame_len = w.size(0);
    SINTER_CHECK(c.attrs.is_none(1) || c.attrs.i(1) == g.frame_len, ValueError, "stft: frame_length ", c.attrs.i(1),
                 " differs from the window's length ", g.frame_len);
  } else {
    SINTER_CHECK(!c.attrs.is_none(1), ValueError, "stft: needs a window or a frame_length");
    g.frame_len = c.attrs.i(1);
  }
  SINTER_CHECK(g.frame_len >= 1 && g.frame_len <= g.length, ValueError, "stft: frame length ", g.frame_len,
               " must be in [1, ", g.length, "] for a signal of shape ", shape_str(x.sizes()));
  bool onesided = c.attrs.b(2);
  SINTER_CHECK(!onesided || g.channels == 1, ValueError,
               "stft: a onesided transform needs a real signal, got a complex one of shape ", shape_str(x.sizes()));
  g.frames = (g.length - g.frame_len) / g.step + 1;
  g.bins = onesided ? g.frame_len / 2 + 1 : g.frame_len;
  return g;
}

void stft_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  StftGeom g = stft_geom(c);
  out[0].sizes = DimVector{g.batch, g.frames, g.bins, 2};
  out[0].dtype = c.in[0].dtype();
  n = 1;
}

template <bool Fast>
void stft_kernel(const OpCall& c) {
  const StftGeom g = stft_geom(c);
  Tensor x = c.in[0].contiguous();
  Tensor w = c.in[1].defined() ? c.in[1].contiguous() : Tensor();
  if (c.out[0].numel() == 0) return;
  LineTransform t(g.frame_len, Fast);
  const int64_t C = g.channels;
  visit_float_dtype(x.dtype(), "stft", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = static_cast<const T*>(x.data_ptr());
    const T* wp = w.defined() ? static_cast<const T*>(w.data_ptr()) : nullptr;
    T* yp = static_cast<T*>(c.out[0].data_ptr());
    for (int64_t b = 0; b < g.batch; ++b)
      for (int64_t f = 0; f < g.frames; ++f) {
        for (int64_t k = 0; k < g.frame_len; ++k) {
          const T* p = xp + (b * g.length + f * g.step + k) * C;
          double s = wp ? static_cast<double>(wp[k]) : 1.0;
          t.line[static_cast<size_t>(k)] = cdouble(s * static_cast<double>(p[0]), C == 2 ? s * static_cast<double>(p[1]) : 0.0);
        }
        t.run(false);
        T* q = yp + (b * g.frames + f) * g.bins * 2;  // (bins, 2)
        for (int64_t k = 0; k < g.bins; ++k) {
          q[2 * k] = static_cast<T>(t.line[static_cast<size_t>(k)].real());
          q[2 * k + 1] = static_cast<T>(t.line[static_cast<size_t>(k)].imag());
        }
      }
  });
}

// stft is a transform of the windowed frames x[b, f step + k] w[k]: the frames' gradient is the
// adjoint transform of the output's; the signal's adds it up over overlapping frames (times the
// window), the window's sums it against the frames.
TensorList stft_backward(BackwardCtx& c, const TensorList& grads) {
  const Tensor& x = c.input(0);
  const Tensor& w = c.input(1);
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), step = c.attrs.i(0);
  const int64_t L = w.defined() ? w.size(0) : c.attrs.i(1), F = grads[0].size(1);
  Tensor gf = dft_adjoint(grads[0], 2, L, L, C, false);  // (B, F, L, C)
  std::vector<int64_t> pos(static_cast<size_t>(F * L));
  for (int64_t f = 0; f < F; ++f)
    for (int64_t k = 0; k < L; ++k) pos[static_cast<size_t>(f * L + k)] = f * step + k;
  Tensor idx = tensor(pos);
  Tensor gx, gw;
  if (c.needs(0)) {
    Tensor v = w.defined() ? gf * w.view({1, 1, L, 1}) : gf;
    gx = index_put(zeros({B, T, C}, x.dtype()), {std::nullopt, idx}, v.reshape({B, F * L, C}), /*accumulate=*/true);
  }
  if (c.needs(1) && w.defined()) gw = sum(gf * index_select(x, 1, idx).view({B, F, L, C}), {0, 1, 3});
  return {gx, gw};
}

// ---- mel_weight_matrix -----------------------------------------------------------------------

/// The num_mel_bins + 2 filter edges as spectrum bins: equal steps on the mel scale
/// (2595 log10(1 + hz / 700)) from lower to upper edge, mapped to floor((dft_length + 1) hz / rate).
std::vector<int64_t> mel_edges(const Attrs& a) {
  const int64_t nb = a.i(0), dl = a.i(1), sr = a.i(2);
  const double lo = a.f(3), hi = a.f(4);
  SINTER_CHECK(nb >= 1 && dl >= 1 && sr >= 1, ValueError, "mel_weight_matrix: num_mel_bins (", nb, "), dft_length (", dl,
               ") and sample_rate (", sr, ") must be positive");
  SINTER_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo >= 0 && lo < hi, ValueError,
               "mel_weight_matrix: expected 0 <= lower_edge_hertz < upper_edge_hertz, got ", lo, " and ", hi);
  auto mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  const double lo_mel = mel(lo), step = (mel(hi) - lo_mel) / static_cast<double>(nb + 2);
  const int64_t spectrum = dl / 2 + 1;
  std::vector<int64_t> e(static_cast<size_t>(nb + 2));
  for (int64_t i = 0; i < nb + 2; ++i) {
    double hz = 700.0 * (std::pow(10.0, (static_cast<double>(i) * step + lo_mel) / 2595.0) - 1.0);
    e[static_cast<size_t>(i)] = static_cast<int64_t>(std::floor(static_cast<double>(dl + 1) * hz / static_cast<double>(sr)));
  }
  SINTER_CHECK(e.back() < spectrum, ValueError, "mel_weight_matrix: upper_edge_hertz ", hi, " maps to spectrum bin ",
               e.back(), ", beyond the ", spectrum, " bins of a ", dl, "-point transform at sample rate ", sr);
  return e;
}

void mel_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  mel_edges(c.attrs);
  DType dt = c.attrs.dtype(5);
  SINTER_CHECK(dt == DType::Float || dt == DType::Double, DTypeError,
               "mel_weight_matrix: expected a float or double output, got ", dtype_name(dt));
  out[0].sizes = DimVector{c.attrs.i(1) / 2 + 1, c.attrs.i(0)};
  out[0].dtype = dt;
  n = 1;
}

// Filter i rises linearly from edge i to edge i + 1 and falls to edge i + 2.
void mel_kernel(const OpCall& c) {
  const std::vector<int64_t> e = mel_edges(c.attrs);
  const int64_t nb = c.attrs.i(0);
  Tensor out = c.out[0];
  visit_float_dtype(out.dtype(), "mel_weight_matrix", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = static_cast<T*>(out.data_ptr());  // (spectrum, nb)
    std::fill(o, o + out.numel(), T(0));
    for (int64_t i = 0; i < nb; ++i) {
      const int64_t l = e[static_cast<size_t>(i)], m = e[static_cast<size_t>(i + 1)], h = e[static_cast<size_t>(i + 2)];
      if (m == l) o[m * nb + i] = T(1);
      else
        for (int64_t j = l; j <= m; ++j) o[j * nb + i] = static_cast<T>(static_cast<double>(j - l) / static_cast<double>(m - l));
      for (int64_t j = m; j < h; ++j) o[j * nb + i] = static_cast<T>(static_cast<double>(h - j) / static_cast<double>(h - m));
    }
  });
}

}  // namespace

OpDef& dft_op = def("dft").input("self").attr("dim", int64_t(1)).attr("n").attr("inverse", false).attr("onesided", false)
                    .set_meta(dft_meta).set_cpu(dft_kernel<true>).set_cpu_ref(dft_kernel<false>)
                    .set_backward(dft_backward).set_onnx("DFT");
OpDef& stft_op = def("stft").input("signal").input("window").attr("frame_step").attr("frame_length").attr("onesided", true)
                     .set_meta(stft_meta).set_cpu(stft_kernel<true>).set_cpu_ref(stft_kernel<false>)
                     .set_backward(stft_backward).set_onnx("STFT");
OpDef& mel_weight_matrix_op = def("mel_weight_matrix").attr("num_mel_bins").attr("dft_length").attr("sample_rate")
                                  .attr("lower_edge_hertz", 0.0).attr("upper_edge_hertz").attr("dtype", DType::Float)
                                  .set_meta(mel_meta).set_cpu(mel_kernel).set_onnx("MelWeightMatrix");

}  // namespace ops

namespace {
ops::AttrValue opt_int(std::optional<int64_t> v) { return v ? ops::AttrValue(*v) : ops::AttrValue(std::monostate{}); }
}  // namespace

Tensor dft(const Tensor& x, int64_t dim, std::optional<int64_t> n, bool inverse, bool onesided) {
  return ops::call(ops::dft_op, {x}, {dim, opt_int(n), inverse, onesided});
}

Tensor stft(const Tensor& signal, int64_t frame_step, const Tensor& window, std::optional<int64_t> frame_length,
            bool onesided) {
  return ops::call(ops::stft_op, {signal, window}, {frame_step, opt_int(frame_length), onesided});
}

Tensor mel_weight_matrix(int64_t num_mel_bins, int64_t dft_length, int64_t sample_rate, double lower_edge_hertz,
                         double upper_edge_hertz, DType dtype) {
  return ops::call(ops::mel_weight_matrix_op, {},
                   {num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz, dtype});
}

}  // namespace sinter
