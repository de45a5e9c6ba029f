// Image ops with ONNX semantics: resize (N-D nearest / linear / cubic interpolation with every
// ONNX coordinate transformation), grid_sampler_2d (PyTorch's grid_sample), roi_align and
// non_max_suppression (whose output length depends on the data).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"
#include "ops/registry.h"

namespace sinter::ops {
namespace {

Tensor contig(const Tensor& t) {
  if (!t.defined() || t.is_contiguous()) return t;
  NoGradGuard g;
  return t.contiguous();
}

void check_float(const char* op, const char* what, const Tensor& x) {
  if (!is_floating_point(x.dtype()))
    throw DTypeError(detail::str_cat(op, ": expected a floating point ", what, ", got dtype ", dtype_name(x.dtype())));
}

/// The values of a 1-D tensor as doubles.
std::vector<double> doubles_of(const Tensor& t) {
  Tensor d = contig(t.to(kDouble));
  const double* p = static_cast<const double*>(d.data_ptr());
  return std::vector<double>(p, p + d.numel());
}

// ================================ resize ====================================================
// resize(self, scales?, roi?; output_size, mode, coordinate_transformation_mode, nearest_mode,
//        cubic_coeff_a, exclude_outside, extrapolation_value)
// ONNX Resize on every axis: output index x maps to a source coordinate x_ori (by the
// coordinate transformation, with scale = scales[d], or output/input size when scales is
// absent); the n = 2 (nearest, linear) or 4 (cubic) input elements nearest to x_ori, the input
// padded by repeating its edges, are weighted by the mode's coefficients. Axes are resized one
// after the other (the interpolation is separable).

enum class RMode { Nearest, Linear, Cubic };
enum class Coord { HalfPixel, PytorchHalfPixel, AlignCorners, Asymmetric, TfHalfPixelForNN, TfCropAndResize };
enum class NMode { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };

struct ResizeCfg {
  RMode mode;
  Coord coord;
  NMode nearest;
  double a;
  bool exclude;
  double extrapolation;
};

ResizeCfg resize_cfg(const Attrs& at) {
  ResizeCfg c{};
  const std::string& m = at.str(1);
  if (m == "nearest") c.mode = RMode::Nearest;
  else if (m == "linear") c.mode = RMode::Linear;
  else if (m == "cubic") c.mode = RMode::Cubic;
  else throw ValueError("resize: mode '" + m + "' (expected nearest, linear or cubic)");
  const std::string& t = at.str(2);
  if (t == "half_pixel") c.coord = Coord::HalfPixel;
  else if (t == "pytorch_half_pixel") c.coord = Coord::PytorchHalfPixel;
  else if (t == "align_corners") c.coord = Coord::AlignCorners;
  else if (t == "asymmetric") c.coord = Coord::Asymmetric;
  else if (t == "tf_half_pixel_for_nn") c.coord = Coord::TfHalfPixelForNN;
  else if (t == "tf_crop_and_resize") c.coord = Coord::TfCropAndResize;
  else throw ValueError("resize: coordinate_transformation_mode '" + t + "' is not known");
  const std::string& n = at.str(3);
  if (n == "round_prefer_floor") c.nearest = NMode::RoundPreferFloor;
  else if (n == "round_prefer_ceil") c.nearest = NMode::RoundPreferCeil;
  else if (n == "floor") c.nearest = NMode::Floor;
  else if (n == "ceil") c.nearest = NMode::Ceil;
  else throw ValueError("resize: nearest_mode '" + n + "' is not known");
  c.a = at.f(4);
  c.exclude = at.b(5);
  c.extrapolation = at.f(6);
  return c;
}

void resize_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  ResizeCfg cfg = resize_cfg(c.attrs);
  if (cfg.mode != RMode::Nearest) check_float("resize", "input for linear and cubic modes", x);
  SINTER_CHECK(x.dtype() != kBool, DTypeError, "resize: bool input is not supported");
  SINTER_CHECK(!c.attrs.is_none(0), ValueError, "resize: output_size is required");
  IntArrayRef os = c.attrs.ints(0);
  SINTER_CHECK(static_cast<int64_t>(os.size()) == x.dim(), ShapeError, "resize: output_size ", shape_str(os),
               " does not match the input's rank (input ", shape_str(x.sizes()), ")");
  for (int64_t d = 0; d < x.dim(); ++d) {
    SINTER_CHECK(os[d] >= 0, ValueError, "resize: negative output size ", shape_str(os));
    SINTER_CHECK(os[d] == 0 || x.size(d) > 0, ValueError, "resize: cannot resize an empty axis of input ",
                 shape_str(x.sizes()), " to ", shape_str(os));
  }
  const Tensor& scales = c.in[1];
  if (scales.defined()) {
    check_float("resize", "scales", scales);
    SINTER_CHECK(scales.dim() == 1 && scales.size(0) == x.dim(), ShapeError, "resize: scales of shape ",
                 shape_str(scales.sizes()), " for an input of shape ", shape_str(x.sizes()));
  }
  const Tensor& roi = c.in[2];
  if (roi.defined())
    SINTER_CHECK(roi.dim() == 1 && roi.size(0) == 2 * x.dim(), ShapeError, "resize: roi of shape ",
                 shape_str(roi.sizes()), " for an input of shape ", shape_str(x.sizes()), " (needs 2 * rank values)");
  SINTER_CHECK(cfg.coord != Coord::TfCropAndResize || roi.defined(), ValueError,
               "resize: tf_crop_and_resize needs roi");
  out[0].sizes = DimVector(os);
  out[0].dtype = x.dtype();
  n = 1;
}

/// The taps of one axis: output o reads in[idx[o*n + k]] with weight w[o*n + k] (k < n), or
/// the extrapolation value when skip[o].
struct AxisTaps {
  int n = 0;
  std::vector<int64_t> idx;
  std::vector<double> w;
  std::vector<uint8_t> skip;
};

void coeffs(const ResizeCfg& cfg, double ratio, bool integer, double* c) {
  switch (cfg.mode) {
    case RMode::Nearest: {
      bool second;
      if (integer) second = true;
      else if (cfg.nearest == NMode::RoundPreferFloor) second = ratio > 0.5;
      else if (cfg.nearest == NMode::RoundPreferCeil) second = ratio >= 0.5;
      else second = cfg.nearest == NMode::Ceil;
      c[0] = second ? 0 : 1;
      c[1] = second ? 1 : 0;
      return;
    }
    case RMode::Linear:
      c[0] = 1 - ratio;
      c[1] = ratio;
      return;
    case RMode::Cubic: {
      const double A = cfg.a, r = ratio, s = 1 - ratio;
      c[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
      c[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
      c[2] = ((A + 2) * s - (A + 3)) * s * s + 1;
      c[3] = ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A;
      return;
    }
  }
}

AxisTaps axis_taps(const ResizeCfg& cfg, int64_t I, int64_t O, double scale, bool has_scale, double r0, double r1) {
  AxisTaps t;
  t.n = cfg.mode == RMode::Cubic ? 4 : 2;
  const int n = t.n;
  if (!has_scale) scale = static_cast<double>(O) / static_cast<double>(I);
  const double ow = has_scale ? scale * static_cast<double>(I) : static_cast<double>(O);
  const double in1 = static_cast<double>(I - 1);
  const int64_t pad = (n + 1) / 2;
  t.idx.resize(static_cast<size_t>(O * n));
  t.w.resize(static_cast<size_t>(O * n));
  t.skip.assign(static_cast<size_t>(O), 0);
  for (int64_t o = 0; o < O; ++o) {
    const double x = static_cast<double>(o);
    double xo = 0;
    switch (cfg.coord) {
      case Coord::HalfPixel: xo = (x + 0.5) / scale - 0.5; break;
      case Coord::PytorchHalfPixel: xo = ow == 1 ? -0.5 : (x + 0.5) / scale - 0.5; break;
      case Coord::AlignCorners: xo = ow == 1 ? 0 : x * in1 / (ow - 1); break;
      case Coord::Asymmetric: xo = x / scale; break;
      case Coord::TfHalfPixelForNN: xo = (x + 0.5) / scale; break;
      case Coord::TfCropAndResize:
        xo = ow == 1 ? (r1 - r0) * in1 / 2 : x * (r1 - r0) * in1 / (ow - 1);
        xo += r0 * in1;
        if (xo < 0 || xo > in1) t.skip[static_cast<size_t>(o)] = 1;
        break;
    }
    double fl = std::floor(xo);
    bool integer = fl == xo;
    double ratio = integer ? 1.0 : xo - fl;
    // The n neighbours of xo in the edge-padded input (a window kept inside the padding).
    int64_t base = static_cast<int64_t>(fl) - (integer ? n / 2 : n / 2 - 1);
    base = std::clamp<int64_t>(base, -pad, std::max<int64_t>(-pad, I - 1 + pad - (n - 1)));
    double cf[4];
    coeffs(cfg, ratio, integer, cf);
    if (cfg.exclude) {
      double sum = 0;
      for (int k = 0; k < n; ++k) {
        int64_t i = base + k;
        if (i < 0 || i >= I) cf[k] = 0;
        sum += cf[k];
      }
      if (sum != 0)
        for (int k = 0; k < n; ++k) cf[k] /= sum;
    }
    for (int k = 0; k < n; ++k) {
      size_t j = static_cast<size_t>(o * n + k);
      t.idx[j] = std::clamp<int64_t>(base + k, 0, I - 1);
      t.w[j] = cf[k];
    }
  }
  if (cfg.mode == RMode::Nearest) {  // one tap per output: the neighbour the rounding picked
    for (int64_t o = 0; o < O; ++o) {
      size_t j = static_cast<size_t>(o * n);
      t.idx[static_cast<size_t>(o)] = t.idx[j + (t.w[j + 1] > t.w[j] ? 1 : 0)];
    }
    t.idx.resize(static_cast<size_t>(O));
    t.n = 1;
  }
  return t;
}

/// src (outer, I, inner) -> dst (outer, O, inner) along one axis.
template <class S, class D, class A>
void resize_axis(const S* src, D* dst, int64_t outer, int64_t I, int64_t O, int64_t inner, const AxisTaps& t,
                 A extrap) {
  const int n = t.n;
  kernels::parallel_for(outer * O, std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(inner * n, 1)),
                        [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t po = r / O, o = r % O;
      D* d = dst + r * inner;
      if (t.skip[static_cast<size_t>(o)]) {
        for (int64_t j = 0; j < inner; ++j) d[j] = static_cast<D>(extrap);
        continue;
      }
      const S* s = src + po * I * inner;
      const int64_t* ix = t.idx.data() + o * n;
      if (n == 1) {
        const S* row = s + ix[0] * inner;
        for (int64_t j = 0; j < inner; ++j) d[j] = static_cast<D>(static_cast<A>(row[j]));
        continue;
      }
      const double* w = t.w.data() + o * n;
      for (int64_t j = 0; j < inner; ++j) {
        A acc = 0;
        for (int k = 0; k < n; ++k) acc += static_cast<A>(w[k]) * static_cast<A>(s[ix[k] * inner + j]);
        d[j] = static_cast<D>(acc);
      }
    }
  });
}

void resize_kernel(const OpCall& c) {
  const Tensor& xin = c.in[0];
  const Tensor& y = c.out[0];
  ResizeCfg cfg = resize_cfg(c.attrs);
  IntArrayRef os = c.attrs.ints(0);
  const int64_t nd = xin.dim();
  std::vector<double> scales, roi;
  if (c.in[1].defined()) {
    scales = doubles_of(c.in[1]);
    for (double s : scales)
      SINTER_CHECK(s > 0 && std::isfinite(s), ValueError, "resize: scales must be positive and finite, got ", s);
  }
  if (c.in[2].defined()) roi = doubles_of(c.in[2]);
  if (y.numel() == 0) return;
  Tensor x = contig(xin);
  // Axes that change (an axis kept at its size with scale 1 maps every index to itself).
  std::vector<int64_t> axes;
  for (int64_t d = 0; d < nd; ++d) {
    double s = scales.empty() ? 1.0 : scales[static_cast<size_t>(d)];
    bool identity = x.size(d) == os[d] && s == 1.0 && cfg.coord != Coord::TfCropAndResize &&
                    cfg.coord != Coord::TfHalfPixelForNN;
    if (!identity) axes.push_back(d);
  }
  // Shrinking axes first: no intermediate is larger than the input or the output.
  std::stable_sort(axes.begin(), axes.end(), [&](int64_t a, int64_t b) {
    return static_cast<double>(os[a]) / static_cast<double>(x.size(a)) <
           static_cast<double>(os[b]) / static_cast<double>(x.size(b));
  });
  visit_dtype_no_wide_uint(x.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      return;
    } else {
      using A = compute_t<T>;
      const T* xp = static_cast<const T*>(x.data_ptr());
      T* yp = static_cast<T*>(y.data_ptr());
      const A extrap = static_cast<A>(cfg.extrapolation);
      if (axes.empty()) {
        std::copy(xp, xp + x.numel(), yp);
        return;
      }
      DimVector cur(x.sizes());
      std::vector<A> buf_a, buf_b;
      const A* src = nullptr;  // the current values in A (after the first axis)
      for (size_t k = 0; k < axes.size(); ++k) {
        int64_t d = axes[k];
        int64_t outer = 1, inner = 1;
        for (int64_t i = 0; i < d; ++i) outer *= cur[static_cast<size_t>(i)];
        for (int64_t i = d + 1; i < nd; ++i) inner *= cur[static_cast<size_t>(i)];
        int64_t I = cur[static_cast<size_t>(d)], O = os[d];
        size_t sd = static_cast<size_t>(d);
        AxisTaps t = axis_taps(cfg, I, O, scales.empty() ? 1.0 : scales[sd], !scales.empty(),
                               roi.empty() ? 0.0 : roi[sd], roi.empty() ? 1.0 : roi[sd + static_cast<size_t>(nd)]);
        bool last = k + 1 == axes.size();
        std::vector<A>& dst = (k % 2 == 0) ? buf_a : buf_b;
        if (!last) dst.resize(static_cast<size_t>(outer * O * inner));
        if (k == 0) {
          if (last) resize_axis<T, T, A>(xp, yp, outer, I, O, inner, t, extrap);
          else resize_axis<T, A, A>(xp, dst.data(), outer, I, O, inner, t, extrap);
        } else {
          if (last) resize_axis<A, T, A>(src, yp, outer, I, O, inner, t, extrap);
          else resize_axis<A, A, A>(src, dst.data(), outer, I, O, inner, t, extrap);
        }
        src = dst.data();
        cur[sd] = O;
      }
    }
  });
}

OpDef& resize_op = def("resize").input("self").input("scales").input("roi").attr("output_size")
                       .attr("mode", std::string("nearest")).attr("coordinate_transformation_mode", std::string("half_pixel"))
                       .attr("nearest_mode", std::string("round_prefer_floor")).attr("cubic_coeff_a", -0.75)
                       .attr("exclude_outside", false).attr("extrapolation_value", 0.0)
                       .set_meta(resize_meta).set_cpu(resize_kernel).set_onnx("Resize");

// ================================ grid_sampler_2d ===========================================
// grid_sampler_2d(input (N, C, H, W), grid (N, Ho, Wo, 2); interpolation_mode (0 bilinear,
// 1 nearest, 2 bicubic), padding_mode (0 zeros, 1 border, 2 reflection), align_corners):
// PyTorch's grid_sample. grid[..., 0] is x (width), grid[..., 1] is y, both in [-1, 1].

void grid_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  const Tensor& g = c.in[1];
  check_float("grid_sampler_2d", "input", x);
  SINTER_CHECK(g.dtype() == x.dtype(), DTypeError, "grid_sampler_2d: grid dtype ", dtype_name(g.dtype()),
               " differs from input dtype ", dtype_name(x.dtype()));
  SINTER_CHECK(x.dim() == 4 && g.dim() == 4 && g.size(3) == 2 && g.size(0) == x.size(0), ShapeError,
               "grid_sampler_2d: expected input (N, C, H, W) and grid (N, H_out, W_out, 2), got input ",
               shape_str(x.sizes()), " and grid ", shape_str(g.sizes()));
  SINTER_CHECK(x.numel() > 0 || x.size(0) == 0 || x.size(1) == 0, ShapeError,
               "grid_sampler_2d: empty spatial input ", shape_str(x.sizes()));
  int64_t im = c.attrs.i(0), pm = c.attrs.i(1);
  SINTER_CHECK(im >= 0 && im <= 2, ValueError, "grid_sampler_2d: interpolation_mode ", im, " (expected 0, 1 or 2)");
  SINTER_CHECK(pm >= 0 && pm <= 2, ValueError, "grid_sampler_2d: padding_mode ", pm, " (expected 0, 1 or 2)");
  out[0].sizes = DimVector{x.size(0), x.size(1), g.size(1), g.size(2)};
  out[0].dtype = x.dtype();
  n = 1;
}

template <class A>
A gs_unnormalize(A v, int64_t size, bool ac) {
  return ac ? (v + 1) / 2 * static_cast<A>(size - 1) : ((v + 1) * static_cast<A>(size) - 1) / 2;
}
template <class A>
A gs_clip(A v, int64_t size) {
  return std::min(static_cast<A>(size - 1), std::max(v, A(0)));
}
template <class A>
A gs_reflect(A v, int64_t twice_low, int64_t twice_high) {
  if (twice_low == twice_high) return A(0);
  A mn = static_cast<A>(twice_low) / 2, span = static_cast<A>(twice_high - twice_low) / 2;
  v = std::fabs(v - mn);
  A extra = std::fmod(v, span);
  int64_t flips = static_cast<int64_t>(std::floor(v / span));
  return flips % 2 == 0 ? extra + mn : span - extra + mn;
}
template <class A>
A gs_pad(A v, int64_t size, int64_t pm, bool ac) {
  if (pm == 1) return gs_clip(v, size);
  if (pm == 2) {
    v = ac ? gs_reflect(v, 0, 2 * (size - 1)) : gs_reflect(v, -1, 2 * size - 1);
    return gs_clip(v, size);
  }
  return v;
}
template <class A>
void cubic_conv(A t, A* w) {  // A = -0.75
  const A a = A(-0.75);
  auto c1 = [&](A x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
  auto c2 = [&](A x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };
  w[0] = c2(t + 1);
  w[1] = c1(t);
  w[2] = c1(1 - t);
  w[3] = c2(2 - t);
}

// Bicubic taps at (ix, iy): floor positions f, cubic weights along each axis, and each tap's
// padded coordinate (-1 where it is out of bounds or NaN, which reads zero).
template <class A>
void cubic_taps(A ix, A iy, int64_t W, int64_t H, int64_t pm, bool ac, A& fx, A& fy, A* wx, A* wy, int64_t* cx,
                int64_t* cy) {
  fx = std::floor(ix);
  fy = std::floor(iy);
  cubic_conv(ix - fx, wx);
  cubic_conv(iy - fy, wy);
  for (int k = 0; k < 4; ++k) {
    A vx = gs_pad(fx - 1 + static_cast<A>(k), W, pm, ac), vy = gs_pad(fy - 1 + static_cast<A>(k), H, pm, ac);
    cx[k] = vx >= 0 && vx < static_cast<A>(W) ? static_cast<int64_t>(vx) : -1;
    cy[k] = vy >= 0 && vy < static_cast<A>(H) ? static_cast<int64_t>(vy) : -1;
  }
}

void grid_kernel(const OpCall& c) {
  Tensor x = contig(c.in[0]), g = contig(c.in[1]);
  const Tensor& y = c.out[0];
  if (y.numel() == 0) return;
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), Ho = g.size(1), Wo = g.size(2);
  const int64_t im = c.attrs.i(0), pm = c.attrs.i(1);
  const bool ac = c.attrs.b(2);
  visit_float_dtype(x.dtype(), "grid_sampler_2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    const T* gp = static_cast<const T*>(g.data_ptr());
    T* yp = static_cast<T*>(y.data_ptr());
    auto at = [&](const T* pl, int64_t iy, int64_t ix) -> A {
      return (iy >= 0 && iy < H && ix >= 0 && ix < W) ? static_cast<A>(pl[iy * W + ix]) : A(0);
    };
    kernels::parallel_for(N * Ho * Wo, std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(C * 16, 1)),
                          [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        int64_t nb = p / (Ho * Wo), q = p % (Ho * Wo);
        A gx = static_cast<A>(gp[p * 2]), gy = static_cast<A>(gp[p * 2 + 1]);
        const T* xb = xp + nb * C * H * W;
        T* yb = yp + nb * C * Ho * Wo + q;
        if (im == 2) {  // bicubic: 4x4 neighbours, each coordinate padded separately
          A ix = gs_unnormalize(gx, W, ac), iy = gs_unnormalize(gy, H, ac);
          A fx, fy, wx[4], wy[4];
          int64_t cx[4], cy[4];
          cubic_taps(ix, iy, W, H, pm, ac, fx, fy, wx, wy, cx, cy);
          for (int64_t ch = 0; ch < C; ++ch) {
            const T* pl = xb + ch * H * W;
            A acc = 0;
            for (int j = 0; j < 4; ++j) {
              A row = 0;
              for (int k = 0; k < 4; ++k) row += at(pl, cy[j], cx[k]) * wx[k];
              acc += row * wy[j];
            }
            yb[ch * Ho * Wo] = T(acc);
          }
          continue;
        }
        A ix = gs_pad(gs_unnormalize(gx, W, ac), W, pm, ac), iy = gs_pad(gs_unnormalize(gy, H, ac), H, pm, ac);
        if (im == 1) {
          A rx = std::nearbyint(ix), ry = std::nearbyint(iy);
          bool in = rx >= 0 && rx < W && ry >= 0 && ry < H;
          int64_t xi = in ? static_cast<int64_t>(rx) : 0, yi = in ? static_cast<int64_t>(ry) : 0;
          for (int64_t ch = 0; ch < C; ++ch) yb[ch * Ho * Wo] = in ? xb[ch * H * W + yi * W + xi] : T(0);
          continue;
        }
        if (!(std::fabs(ix) < A(1e9) && std::fabs(iy) < A(1e9))) {  // far outside (or NaN): zero
          for (int64_t ch = 0; ch < C; ++ch) yb[ch * Ho * Wo] = T(0);
          continue;
        }
        A fx = std::floor(ix), fy = std::floor(iy);
        int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
        A tx = ix - fx, ty = iy - fy;
        A wnw = (1 - tx) * (1 - ty), wne = tx * (1 - ty), wsw = (1 - tx) * ty, wse = tx * ty;
        for (int64_t ch = 0; ch < C; ++ch) {
          const T* pl = xb + ch * H * W;
          A v = at(pl, y0, x0) * wnw + at(pl, y0, x0 + 1) * wne + at(pl, y0 + 1, x0) * wsw + at(pl, y0 + 1, x0 + 1) * wse;
          yb[ch * Ho * Wo] = T(v);
        }
      }
    });
  });
}

// grid_sampler_2d_backward(grad_output, input, grid; <forward attrs>) -> (grad_input, grad_grid):
// PyTorch's formulas (the padding functions' derivatives: 0 where clipped, -1 where reflected).
// grad_grid is zero for nearest.

template <class A>
A gs_clip_g(A v, int64_t size, A& g) {
  if (v <= 0) { g = 0; return A(0); }
  A mx = static_cast<A>(size - 1);
  if (v >= mx) { g = 0; return mx; }
  g = 1;
  return v;
}
template <class A>
A gs_reflect_g(A v, int64_t twice_low, int64_t twice_high, A& g) {
  if (twice_low == twice_high) { g = 0; return A(0); }
  A mn = static_cast<A>(twice_low) / 2, span = static_cast<A>(twice_high - twice_low) / 2;
  v -= mn;
  A mult = 1;
  if (v < 0) { mult = -1; v = -v; }
  A extra = std::fmod(v, span);
  int64_t flips = static_cast<int64_t>(std::floor(v / span));
  if (flips % 2 == 0) { g = mult; return extra + mn; }
  g = -mult;
  return span - extra + mn;
}
/// The padded source coordinate and its derivative with respect to the grid value.
template <class A>
A gs_source_g(A v, int64_t size, int64_t pm, bool ac, A& g) {
  A gu = ac ? static_cast<A>(size - 1) / 2 : static_cast<A>(size) / 2;
  v = gs_unnormalize(v, size, ac);
  A gc = 1, gr = 1;
  if (pm == 1) v = gs_clip_g(v, size, gc);
  else if (pm == 2) {
    v = ac ? gs_reflect_g(v, 0, 2 * (size - 1), gr) : gs_reflect_g(v, -1, 2 * size - 1, gr);
    v = gs_clip_g(v, size, gc);
  }
  g = gu * gr * gc;
  return v;
}
template <class A>
void cubic_conv_grad(A t, A* w) {
  const A a = A(-0.75);
  A x = -1 - t;
  w[0] = (-3 * a * x - 10 * a) * x - 8 * a;
  x = -t;
  w[1] = (-3 * (a + 2) * x - 2 * (a + 3)) * x;
  x = 1 - t;
  w[2] = (3 * (a + 2) * x - 2 * (a + 3)) * x;
  x = 2 - t;
  w[3] = (3 * a * x - 10 * a) * x + 8 * a;
}

void grid_bwd_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  OpCall fwd{c.op, c.in.subspan(1, 2), c.attrs, c.out};
  grid_meta(fwd, out, n);
  SINTER_CHECK(c.in[0].sizes() == IntArrayRef(out[0].sizes), ShapeError, "grid_sampler_2d_backward: grad_output ",
               shape_str(c.in[0].sizes()), " does not match the output ", shape_str(out[0].sizes));
  out[0].sizes = DimVector(c.in[1].sizes());
  out[1].sizes = DimVector(c.in[2].sizes());
  out[0].dtype = out[1].dtype = c.in[1].dtype();
  n = 2;
}

void grid_bwd_kernel(const OpCall& c) {
  Tensor go = contig(c.in[0]), x = contig(c.in[1]), g = contig(c.in[2]);
  const Tensor& gi = c.out[0];
  const Tensor& gg = c.out[1];
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), Ho = g.size(1), Wo = g.size(2);
  const int64_t im = c.attrs.i(0), pm = c.attrs.i(1);
  const bool ac = c.attrs.b(2);
  visit_float_dtype(x.dtype(), "grid_sampler_2d_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    const T* gp = static_cast<const T*>(g.data_ptr());
    const T* op = static_cast<const T*>(go.data_ptr());
    T* ggp = static_cast<T*>(gg.data_ptr());
    // Per image: grad_input accumulates in A, so images run in parallel without races.
    std::vector<A> acc(static_cast<size_t>(gi.numel()), A(0));
    auto inb = [&](int64_t iy, int64_t ix) { return iy >= 0 && iy < H && ix >= 0 && ix < W; };
    kernels::parallel_for(N, 1, [&](int64_t b, int64_t e) {
      for (int64_t nb = b; nb < e; ++nb) {
        const T* xb = xp + nb * C * H * W;
        A* ab = acc.data() + nb * C * H * W;
        for (int64_t q = 0; q < Ho * Wo; ++q) {
          int64_t p = nb * Ho * Wo + q;
          A gx = static_cast<A>(gp[p * 2]), gy = static_cast<A>(gp[p * 2 + 1]);
          const T* ob = op + nb * C * Ho * Wo + q;
          A gix = 0, giy = 0, mx = 0, my = 0;
          if (im == 2) {
            A ix = gs_unnormalize(gx, W, ac), iy = gs_unnormalize(gy, H, ac);
            mx = ac ? static_cast<A>(W - 1) / 2 : static_cast<A>(W) / 2;
            my = ac ? static_cast<A>(H - 1) / 2 : static_cast<A>(H) / 2;
            A fx, fy, wx[4], wy[4], dx[4], dy[4];
            int64_t cx[4], cy[4];
            cubic_taps(ix, iy, W, H, pm, ac, fx, fy, wx, wy, cx, cy);
            cubic_conv_grad(ix - fx, dx);
            cubic_conv_grad(iy - fy, dy);
            for (int64_t ch = 0; ch < C; ++ch) {
              A o = static_cast<A>(ob[ch * Ho * Wo]);
              const T* pl = xb + ch * H * W;
              A* al = ab + ch * H * W;
              for (int j = 0; j < 4; ++j)
                for (int k = 0; k < 4; ++k) {
                  if (!inb(cy[j], cx[k])) continue;
                  al[cy[j] * W + cx[k]] += o * wx[k] * wy[j];
                  A v = static_cast<A>(pl[cy[j] * W + cx[k]]);
                  gix -= v * dx[k] * wy[j] * o;
                  giy -= v * dy[j] * wx[k] * o;
                }
            }
          } else {
            A ix = gs_source_g(gx, W, pm, ac, mx), iy = gs_source_g(gy, H, pm, ac, my);
            if (im == 1) {
              A rx = std::nearbyint(ix), ry = std::nearbyint(iy);
              if (rx >= 0 && rx < W && ry >= 0 && ry < H) {
                int64_t xi = static_cast<int64_t>(rx), yi = static_cast<int64_t>(ry);
                for (int64_t ch = 0; ch < C; ++ch) ab[ch * H * W + yi * W + xi] += static_cast<A>(ob[ch * Ho * Wo]);
              }
              mx = my = 0;
            } else if (std::fabs(ix) < A(1e9) && std::fabs(iy) < A(1e9)) {
              A fx = std::floor(ix), fy = std::floor(iy);
              int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
              A tx = ix - fx, ty = iy - fy;
              A wgt[4] = {(1 - tx) * (1 - ty), tx * (1 - ty), (1 - tx) * ty, tx * ty};
              int64_t ys[4] = {y0, y0, y0 + 1, y0 + 1}, xs[4] = {x0, x0 + 1, x0, x0 + 1};
              // d weight / d ix and d weight / d iy of nw, ne, sw, se.
              A wdx[4] = {-(1 - ty), 1 - ty, -ty, ty}, wdy[4] = {-(1 - tx), -tx, 1 - tx, tx};
              for (int64_t ch = 0; ch < C; ++ch) {
                A o = static_cast<A>(ob[ch * Ho * Wo]);
                const T* pl = xb + ch * H * W;
                A* al = ab + ch * H * W;
                for (int k = 0; k < 4; ++k) {
                  if (!inb(ys[k], xs[k])) continue;
                  al[ys[k] * W + xs[k]] += wgt[k] * o;
                  A v = static_cast<A>(pl[ys[k] * W + xs[k]]);
                  gix += v * wdx[k] * o;
                  giy += v * wdy[k] * o;
                }
              }
            }
          }
          ggp[p * 2] = T(mx * gix);
          ggp[p * 2 + 1] = T(my * giy);
        }
      }
    });
    T* gip = static_cast<T*>(gi.data_ptr());
    for (size_t i = 0; i < acc.size(); ++i) gip[i] = T(acc[i]);
  });
}

extern OpDef& grid_bwd_op;
TensorList grid_backward(BackwardCtx& c, const TensorList& g) {
  if (!g[0].defined()) return {Tensor(), Tensor()};
  Outputs o = call_multi(grid_bwd_op, {g[0], c.input(0), c.input(1)}, c.attrs);
  return {c.needs(0) ? o.release(0) : Tensor(), c.needs(1) ? o.release(1) : Tensor()};
}

OpDef& grid_op = def("grid_sampler_2d").input("input").input("grid").attr("interpolation_mode", int64_t(0))
                     .attr("padding_mode", int64_t(0)).attr("align_corners", false)
                     .set_meta(grid_meta).set_cpu(grid_kernel).set_backward(grid_backward).set_onnx("GridSample");
OpDef& grid_bwd_op = def("grid_sampler_2d_backward").input("grad_output").input("input").input("grid").outputs(2)
                         .attr("interpolation_mode", int64_t(0)).attr("padding_mode", int64_t(0))
                         .attr("align_corners", false).set_meta(grid_bwd_meta).set_cpu(grid_bwd_kernel);

// ================================ roi_align =================================================
// roi_align(input (N, C, H, W), rois (R, 4) as (x1, y1, x2, y2), batch_indices (R); output_height,
// output_width, sampling_ratio, spatial_scale, aligned, mode) -> (R, C, oh, ow): each bin is the
// average (mode 0) or maximum (mode 1, ONNX Runtime's: of the weighted corner values) of
// bilinear samples on a regular grid (sampling_ratio per side, or ceil(roi size / bins)).
// aligned shifts the box by half a pixel (torchvision's aligned=True, ONNX's half_pixel).

void roi_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  const Tensor& r = c.in[1];
  const Tensor& bi = c.in[2];
  check_float("roi_align", "input", x);
  SINTER_CHECK(r.dtype() == x.dtype(), DTypeError, "roi_align: rois dtype ", dtype_name(r.dtype()),
               " differs from input dtype ", dtype_name(x.dtype()));
  SINTER_CHECK(is_integral(bi.dtype()), DTypeError, "roi_align: batch_indices must be integers, got ",
               dtype_name(bi.dtype()));
  SINTER_CHECK(x.dim() == 4 && r.dim() == 2 && r.size(1) == 4 && bi.dim() == 1 && bi.size(0) == r.size(0), ShapeError,
               "roi_align: expected input (N, C, H, W), rois (R, 4) and batch_indices (R), got ", shape_str(x.sizes()),
               ", ", shape_str(r.sizes()), " and ", shape_str(bi.sizes()));
  int64_t oh = c.attrs.i(0), ow = c.attrs.i(1), mode = c.attrs.i(5);
  SINTER_CHECK(oh > 0 && ow > 0, ValueError, "roi_align: output size (", oh, ", ", ow, ") must be positive");
  SINTER_CHECK(c.attrs.i(2) >= 0, ValueError, "roi_align: negative sampling_ratio ", c.attrs.i(2));
  SINTER_CHECK(mode == 0 || mode == 1, ValueError, "roi_align: mode ", mode, " (0 avg, 1 max)");
  out[0].sizes = DimVector{r.size(0), x.size(1), oh, ow};
  out[0].dtype = x.dtype();
  n = 1;
}

void roi_kernel(const OpCall& c) {
  Tensor x = contig(c.in[0]), r = contig(c.in[1]), bi = contig(c.in[2].to(kLong));
  const Tensor& y = c.out[0];
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), R = r.size(0);
  const int64_t PH = c.attrs.i(0), PW = c.attrs.i(1), sr = c.attrs.i(2);
  const double scale = c.attrs.f(3);
  const bool aligned = c.attrs.b(4), is_max = c.attrs.i(5) == 1;
  const int64_t* bp = static_cast<const int64_t*>(bi.data_ptr());
  for (int64_t i = 0; i < R; ++i)
    SINTER_CHECK(bp[i] >= 0 && bp[i] < N, IndexError, "roi_align: batch index ", bp[i], " is out of range for ", N,
                 " images");
  if (sr == 0) {  // adaptive sampling: each box's sample count must be finite and bounded
    Tensor rd = contig(r.to(kDouble));
    const double* q = static_cast<const double*>(rd.data_ptr());
    for (int64_t i = 0; i < R; ++i) {
      double h = (q[i * 4 + 3] - q[i * 4 + 1]) * scale, w = (q[i * 4 + 2] - q[i * 4]) * scale;
      double n = std::ceil(std::max(h, 1.0) / static_cast<double>(PH)) * std::ceil(std::max(w, 1.0) / static_cast<double>(PW));
      SINTER_CHECK(n <= double(1 << 24), ValueError, "roi_align: box ", i, " (", q[i * 4], ", ", q[i * 4 + 1], ", ",
                   q[i * 4 + 2], ", ", q[i * 4 + 3], ") at spatial_scale ", scale, " needs ", n,
                   " samples per bin (more than 2^24)");
    }
  }
  if (y.numel() == 0) return;
  visit_float_dtype(x.dtype(), "roi_align", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    const T* rp = static_cast<const T*>(r.data_ptr());
    T* yp = static_cast<T*>(y.data_ptr());
    kernels::parallel_for(R * C, 1, [&](int64_t b, int64_t e) {
      for (int64_t rc = b; rc < e; ++rc) {
        int64_t ri = rc / C, ch = rc % C;
        const T* pl = xp + (bp[ri] * C + ch) * H * W;
        const T* box = rp + ri * 4;
        A off = aligned ? A(0.5) : A(0);
        A sx = static_cast<A>(box[0]) * static_cast<A>(scale) - off, sy = static_cast<A>(box[1]) * static_cast<A>(scale) - off;
        A ex = static_cast<A>(box[2]) * static_cast<A>(scale) - off, ey = static_cast<A>(box[3]) * static_cast<A>(scale) - off;
        A rw = ex - sx, rh = ey - sy;
        if (!aligned) {
          rw = std::max(rw, A(1));
          rh = std::max(rh, A(1));
        }
        A bh = rh / static_cast<A>(PH), bw = rw / static_cast<A>(PW);
        int64_t gh = sr > 0 ? sr : static_cast<int64_t>(std::ceil(rh / static_cast<A>(PH)));
        int64_t gw = sr > 0 ? sr : static_cast<int64_t>(std::ceil(rw / static_cast<A>(PW)));
        gh = std::max<int64_t>(gh, 0);
        gw = std::max<int64_t>(gw, 0);
        A count = static_cast<A>(std::max<int64_t>(gh * gw, 1));
        T* out = yp + rc * PH * PW;
        for (int64_t ph = 0; ph < PH; ++ph)
          for (int64_t pw = 0; pw < PW; ++pw) {
            A acc = 0;
            bool first = true;
            for (int64_t iy = 0; iy < gh; ++iy) {
              A yy = sy + static_cast<A>(ph) * bh + (static_cast<A>(iy) + A(0.5)) * bh / static_cast<A>(gh);
              for (int64_t ix = 0; ix < gw; ++ix) {
                A xx = sx + static_cast<A>(pw) * bw + (static_cast<A>(ix) + A(0.5)) * bw / static_cast<A>(gw);
                A w[4] = {0, 0, 0, 0};
                A v[4] = {0, 0, 0, 0};
                if (!(yy < -1 || yy > static_cast<A>(H) || xx < -1 || xx > static_cast<A>(W))) {
                  A y1 = std::max(yy, A(0)), x1 = std::max(xx, A(0));
                  int64_t yl = static_cast<int64_t>(y1), xl = static_cast<int64_t>(x1), yh, xh;
                  if (yl >= H - 1) { yh = yl = H - 1; y1 = static_cast<A>(yl); } else yh = yl + 1;
                  if (xl >= W - 1) { xh = xl = W - 1; x1 = static_cast<A>(xl); } else xh = xl + 1;
                  A ly = y1 - static_cast<A>(yl), lx = x1 - static_cast<A>(xl), hy = 1 - ly, hx = 1 - lx;
                  w[0] = hy * hx; w[1] = hy * lx; w[2] = ly * hx; w[3] = ly * lx;
                  v[0] = static_cast<A>(pl[yl * W + xl]); v[1] = static_cast<A>(pl[yl * W + xh]);
                  v[2] = static_cast<A>(pl[yh * W + xl]); v[3] = static_cast<A>(pl[yh * W + xh]);
                }
                if (is_max) {
                  A m = std::max(std::max(w[0] * v[0], w[1] * v[1]), std::max(w[2] * v[2], w[3] * v[3]));
                  acc = first ? m : std::max(acc, m);
                  first = false;
                } else {
                  acc += w[0] * v[0] + w[1] * v[1] + w[2] * v[2] + w[3] * v[3];
                }
              }
            }
            out[ph * PW + pw] = T(is_max ? acc : acc / count);
          }
      }
    });
  });
}

OpDef& roi_op = def("roi_align").input("input").input("rois").input("batch_indices").attr("output_height", int64_t(1))
                    .attr("output_width", int64_t(1)).attr("sampling_ratio", int64_t(0)).attr("spatial_scale", 1.0)
                    .attr("aligned", false).attr("mode", int64_t(0))
                    .set_meta(roi_meta).set_cpu(roi_kernel).set_onnx("RoiAlign");

// ================================ non_max_suppression =======================================
// non_max_suppression(boxes (B, N, 4), scores (B, C, N); max_output_boxes_per_class,
// iou_threshold, score_threshold, center_point_box) -> (K, 3) int64 rows (batch, class, box):
// ONNX NonMaxSuppression. Per batch and class, boxes scoring above score_threshold are taken
// by descending score (ties: lower index first); a box is dropped when its IoU with a kept
// one exceeds iou_threshold. Boxes are (y1, x1, y2, x2) with corners in any order, or
// (x_center, y_center, width, height) when center_point_box.

std::vector<int64_t> nms_select(const OpCall& c) {
  const Tensor& bx = c.in[0];
  const Tensor& sc = c.in[1];
  check_float("non_max_suppression", "boxes", bx);
  check_float("non_max_suppression", "scores", sc);
  SINTER_CHECK(bx.dim() == 3 && bx.size(2) == 4 && sc.dim() == 3 && sc.size(0) == bx.size(0) && sc.size(2) == bx.size(1),
               ShapeError, "non_max_suppression: expected boxes (B, N, 4) and scores (B, C, N), got ",
               shape_str(bx.sizes()), " and ", shape_str(sc.sizes()));
  const int64_t max_out = c.attrs.i(0);
  const double iou_thr = c.attrs.f(1), score_thr = c.attrs.f(2);
  const bool center = c.attrs.i(3) != 0;
  SINTER_CHECK(c.attrs.i(3) == 0 || c.attrs.i(3) == 1, ValueError, "non_max_suppression: center_point_box ",
               c.attrs.i(3), " (expected 0 or 1)");
  SINTER_CHECK(iou_thr >= 0 && iou_thr <= 1, ValueError, "non_max_suppression: iou_threshold ", iou_thr,
               " is outside [0, 1]");
  std::vector<int64_t> sel;
  if (max_out <= 0 || bx.numel() == 0 || sc.numel() == 0) return sel;
  std::vector<double> b = doubles_of(bx.reshape({-1})), s = doubles_of(sc.reshape({-1}));
  const int64_t B = bx.size(0), N = bx.size(1), C = sc.size(1);
  // Boxes as (x1, y1, x2, y2), sorted corners.
  std::vector<double> corners(static_cast<size_t>(B * N * 4));
  for (int64_t i = 0; i < B * N; ++i) {
    const double* p = b.data() + i * 4;
    double* q = corners.data() + i * 4;
    if (center) {
      q[0] = p[0] - p[2] / 2; q[2] = p[0] + p[2] / 2;
      q[1] = p[1] - p[3] / 2; q[3] = p[1] + p[3] / 2;
    } else {
      q[0] = std::min(p[1], p[3]); q[2] = std::max(p[1], p[3]);
      q[1] = std::min(p[0], p[2]); q[3] = std::max(p[0], p[2]);
    }
  }
  auto suppress = [&](const double* u, const double* v) {
    double ix0 = std::max(u[0], v[0]), iy0 = std::max(u[1], v[1]);
    double ix1 = std::min(u[2], v[2]), iy1 = std::min(u[3], v[3]);
    if (ix1 <= ix0 || iy1 <= iy0) return false;
    double inter = (ix1 - ix0) * (iy1 - iy0);
    double au = (u[2] - u[0]) * (u[3] - u[1]), av = (v[2] - v[0]) * (v[3] - v[1]);
    double uni = au + av - inter;
    if (au <= 0 || av <= 0 || uni <= 0) return false;
    return inter / uni > iou_thr;
  };
  std::vector<int64_t> order, kept;
  for (int64_t bi = 0; bi < B; ++bi)
    for (int64_t ci = 0; ci < C; ++ci) {
      const double* sp = s.data() + (bi * C + ci) * N;
      order.clear();
      for (int64_t i = 0; i < N; ++i)
        if (sp[i] > score_thr) order.push_back(i);
      std::stable_sort(order.begin(), order.end(), [&](int64_t l, int64_t r) { return sp[l] > sp[r]; });
      kept.clear();
      for (int64_t i : order) {
        if (static_cast<int64_t>(kept.size()) >= max_out) break;
        const double* u = corners.data() + (bi * N + i) * 4;
        bool drop = false;
        for (int64_t k : kept)
          if (suppress(corners.data() + (bi * N + k) * 4, u)) {
            drop = true;
            break;
          }
        if (drop) continue;
        kept.push_back(i);
        sel.insert(sel.end(), {bi, ci, i});
      }
    }
  return sel;
}

void nms_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  out[0].sizes = DimVector{static_cast<int64_t>(nms_select(c).size() / 3), 3};
  out[0].dtype = kLong;
  n = 1;
}

void nms_kernel(const OpCall& c) {
  std::vector<int64_t> sel = nms_select(c);
  SINTER_ASSERT(static_cast<int64_t>(sel.size()) == c.out[0].numel(), "non_max_suppression: count changed");
  if (!sel.empty()) std::copy(sel.begin(), sel.end(), static_cast<int64_t*>(c.out[0].data_ptr()));
}

OpDef& nms_op = def("non_max_suppression").input("boxes").input("scores").attr("max_output_boxes_per_class", int64_t(0))
                    .attr("iou_threshold", 0.0).attr("score_threshold", -std::numeric_limits<double>::infinity())
                    .attr("center_point_box", int64_t(0)).set_meta(nms_meta).data_dependent_shape()
                    .set_cpu(nms_kernel).set_onnx("NonMaxSuppression");

}  // namespace
}  // namespace sinter::ops
