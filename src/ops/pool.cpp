// 2-D and 3-D pooling over (N, C, [D,] H, W) or (C, [D,] H, W) inputs: max_pool2d/3d (with and
// without indices), avg_pool2d/3d and adaptive_avg_pool2d. One geometry serves both ranks (a 2-D
// pool is a 3-D one with a unit depth); the fast kernels cover the 2-D case. Each forward sits beside its backward; the backward ops
// are registry ops themselves whose own backward is the adjoint (gather for max, the forward
// pool for the averages), so double backward works.
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"
#include "ops/registry.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/index.h"
#include "sinter/ops/nn.h"

namespace sinter {
namespace ops {
namespace {

Tensor contig(const Tensor& t) {
  if (t.is_contiguous()) return t;
  NoGradGuard g;
  return t.contiguous();
}

int64_t div_floor(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::string pair_str(int64_t a, int64_t b) { return detail::str_cat("(", a, ", ", b, ")"); }

/// Geometry of one pooling call: planes of D x H x W input, OD x OH x OW output (D = OD = 1 and
/// a unit depth window for 2-D pooling).
struct Pool {
  int64_t nd = 2;
  bool batched = true;
  int64_t N = 1, C = 1, D = 1, H = 0, W = 0, OD = 1, OH = 0, OW = 0;
  int64_t kd = 1, kh = 1, kw = 1, sd = 1, sh = 1, sw = 1, pd = 0, ph = 0, pw = 0, dd = 1, dh = 1, dw = 1;
  bool ceil = false;
  int64_t planes() const { return N * C; }
  int64_t in_plane() const { return D * H * W; }
  int64_t out_plane() const { return OD * OH * OW; }
  int64_t window() const { return kd * kh * kw; }
  /// "(h, w)" or "(d, h, w)".
  std::string str(int64_t d, int64_t h, int64_t w) const {
    return nd == 3 ? detail::str_cat("(", d, ", ", h, ", ", w, ")") : pair_str(h, w);
  }
  DimVector out_sizes() const {
    DimVector r;
    if (batched) r.push_back(N);
    r.push_back(C);
    if (nd == 3) r.push_back(OD);
    r.push_back(OH);
    r.push_back(OW);
    return r;
  }
};

const char* layout_str(int64_t nd, bool batched) {
  if (nd == 3) return batched ? "5-D (N, C, D, H, W)" : "4-D (C, D, H, W)";
  return batched ? "4-D (N, C, H, W)" : "3-D (C, H, W)";
}

/// Reads the dims of an input of shape (C, *spatial) or (N, C, *spatial) with `nd` spatial dims
/// into p (from `sizes`, the input's or an input_size attribute).
void read_sizes(const char* op, IntArrayRef sizes, int64_t nd, Pool& p) {
  const int64_t r = static_cast<int64_t>(sizes.size());
  bool ok = r == nd + 1 || r == nd + 2;
  if (ok)
    for (int64_t d = r - nd - 1; d < r; ++d) ok &= sizes[static_cast<size_t>(d)] > 0;
  SINTER_CHECK(ok, ShapeError, op, ": expected a non-empty ", layout_str(nd, false), " or ", layout_str(nd, true),
               " input, got shape ", shape_str(sizes));
  p.nd = nd;
  p.batched = r == nd + 2;
  p.N = p.batched ? sizes[0] : 1;
  p.C = sizes[static_cast<size_t>(r - nd - 1)];
  p.D = nd == 3 ? sizes[static_cast<size_t>(r - 3)] : 1;
  p.H = sizes[static_cast<size_t>(r - 2)];
  p.W = sizes[static_cast<size_t>(r - 1)];
}
void read_input(const char* op, const Tensor& x, int64_t nd, Pool& p) { read_sizes(op, x.sizes(), nd, p); }

/// One value per spatial dim from a single int or an nd-tuple; a 2-D result has a leading 1.
std::array<int64_t, 3> spatial(const char* op, const char* what, IntArrayRef v, int64_t nd, int64_t unit = 1) {
  SINTER_CHECK(v.size() == 1 || static_cast<int64_t>(v.size()) == nd, ValueError, op, ": ", what,
               " must either be a single int, or a tuple of ", nd == 3 ? "three" : "two", " ints, got ", shape_str(v));
  auto at = [&](size_t i) { return v.size() == 1 ? v[0] : v[i]; };
  if (nd == 3) return {at(0), at(1), at(2)};
  return {unit, at(0), at(1)};
}
std::array<int64_t, 2> two(const char* op, const char* what, IntArrayRef v) {
  auto r = spatial(op, what, v, 2);
  return {r[1], r[2]};
}

/// PyTorch's pooling_output_shape.
int64_t pool_out(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil) {
  int64_t out = div_floor(in + 2 * pad - dil * (k - 1) - 1 + (ceil ? stride - 1 : 0), stride) + 1;
  if (ceil && (out - 1) * stride >= in + pad) --out;
  return out;
}

/// Kernel/stride/padding/dilation from attrs at k, k+1, k+2 (and k+3 when has_dilation), checked;
/// p.nd must be set.
void read_window(const char* op, const Attrs& a, size_t k, bool has_dilation, Pool& p) {
  const int64_t nd = p.nd;
  auto ks = spatial(op, "kernel_size", a.ints(k), nd);
  IntArrayRef st = a.ints(k + 1);
  SINTER_CHECK(st.size() <= 1 || static_cast<int64_t>(st.size()) == nd, ValueError, op,
               ": stride must either be omitted, a single int, or a tuple of ", nd == 3 ? "three" : "two", " ints, got ",
               shape_str(st));
  auto ss = st.size() == 0 ? ks : spatial(op, "stride", st, nd);
  auto pp = spatial(op, "padding", a.ints(k + 2), nd, 0);
  std::array<int64_t, 3> dl{1, 1, 1};
  if (has_dilation) dl = spatial(op, "dilation", a.ints(k + 3), nd);
  p.kd = ks[0], p.kh = ks[1], p.kw = ks[2], p.sd = ss[0], p.sh = ss[1], p.sw = ss[2];
  p.pd = pp[0], p.ph = pp[1], p.pw = pp[2], p.dd = dl[0], p.dh = dl[1], p.dw = dl[2];
  SINTER_CHECK(p.kd > 0 && p.kh > 0 && p.kw > 0, ValueError, op, ": kernel size should be greater than zero, got ",
               p.str(p.kd, p.kh, p.kw));
  SINTER_CHECK(p.sd > 0 && p.sh > 0 && p.sw > 0, ValueError, op, ": stride should be greater than zero, got ",
               p.str(p.sd, p.sh, p.sw));
  SINTER_CHECK(p.dd > 0 && p.dh > 0 && p.dw > 0, ValueError, op, ": dilation should be greater than zero, got ",
               p.str(p.dd, p.dh, p.dw));
  SINTER_CHECK(p.pd >= 0 && p.ph >= 0 && p.pw >= 0 && p.pd <= p.kd / 2 && p.ph <= p.kh / 2 && p.pw <= p.kw / 2,
               ValueError, op, ": pad should be at most half of kernel size, but got padding ", p.str(p.pd, p.ph, p.pw),
               " and kernel_size ", p.str(p.kd, p.kh, p.kw));
}

void compute_out(const char* op, Pool& p) {
  p.OD = p.nd == 3 ? pool_out(p.D, p.kd, p.pd, p.sd, p.dd, p.ceil) : 1;
  p.OH = pool_out(p.H, p.kh, p.ph, p.sh, p.dh, p.ceil);
  p.OW = pool_out(p.W, p.kw, p.pw, p.sw, p.dw, p.ceil);
  SINTER_CHECK(p.OD >= 1 && p.OH >= 1 && p.OW >= 1, ShapeError, op, ": input of spatial size ", p.str(p.D, p.H, p.W),
               " is too small for kernel_size ", p.str(p.kd, p.kh, p.kw), " with padding ", p.str(p.pd, p.ph, p.pw),
               ", dilation ", p.str(p.dd, p.dh, p.dw), " and stride ", p.str(p.sd, p.sh, p.sw),
               ": the calculated output size ", p.str(p.OD, p.OH, p.OW), " is too small");
}

void check_float(const char* op, const Tensor& x) {
  if (!is_floating_point(x.dtype()))
    throw DTypeError(detail::str_cat(op, ": expected a floating point input, got dtype ", dtype_name(x.dtype())));
}

/// Parallel loop over planes, with a grain that keeps small planes together.
template <class F>
void for_planes(int64_t planes, int64_t work_per_plane, F&& f) {
  int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(work_per_plane, 1));
  kernels::parallel_for(planes, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) f(i);
  });
}

// ---- max_pool2d / max_pool3d ----------------------------------------------------------------
// attrs: kernel_size, stride (empty = kernel_size), padding, dilation, ceil_mode

template <int ND>
Pool max_geom(const OpCall& c) {
  const char* op = c.op.name.c_str();
  Pool p;
  read_input(op, c.in[0], ND, p);
  read_window(op, c.attrs, 0, true, p);
  p.ceil = c.attrs.b(4);
  compute_out(op, p);
  return p;
}

template <int ND>
void max_pool_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  check_float(c.op.name.c_str(), c.in[0]);
  Pool p = max_geom<ND>(c);
  out[0].sizes = p.out_sizes();
  out[0].dtype = c.in[0].dtype();
  n = 1;
  if (c.op.num_outputs == 2) {
    out[1].sizes = p.out_sizes();
    out[1].dtype = kLong;
    n = 2;
  }
}

/// The window of output (od, oh, ow) as PyTorch walks it: first valid index, end (exclusive).
struct Window {
  int64_t d0, d1, h0, h1, w0, w1;
};
inline Window max_window(const Pool& p, int64_t od, int64_t oh, int64_t ow) {
  Window w;
  w.d0 = od * p.sd - p.pd;
  w.h0 = oh * p.sh - p.ph;
  w.w0 = ow * p.sw - p.pw;
  w.d1 = std::min(w.d0 + (p.kd - 1) * p.dd + 1, p.D);
  w.h1 = std::min(w.h0 + (p.kh - 1) * p.dh + 1, p.H);
  w.w1 = std::min(w.w0 + (p.kw - 1) * p.dw + 1, p.W);
  while (w.d0 < 0) w.d0 += p.dd;
  while (w.h0 < 0) w.h0 += p.dh;
  while (w.w0 < 0) w.w0 += p.dw;
  return w;
}

// Scalar kernel: one window at a time; NaN wins, ties keep the first position (as PyTorch).
/// The max of output (od, oh, ow)'s window over plane xp and its flat position in the plane.
template <class T>
std::pair<compute_t<T>, int64_t> max_of_window(const Pool& p, const T* xp, int64_t od, int64_t oh, int64_t ow) {
  using A = compute_t<T>;
  Window w = max_window(p, od, oh, ow);
  A best = -std::numeric_limits<A>::infinity();
  int64_t bi = (w.d0 * p.H + w.h0) * p.W + w.w0;
  for (int64_t id = w.d0; id < w.d1; id += p.dd)
    for (int64_t ih = w.h0; ih < w.h1; ih += p.dh)
      for (int64_t iw = w.w0; iw < w.w1; iw += p.dw) {
        const int64_t j = (id * p.H + ih) * p.W + iw;
        A v = static_cast<A>(xp[j]);
        if (v > best || std::isnan(v)) {
          best = v;
          bi = j;
        }
      }
  return {best, bi};
}

template <class T>
void max_pool_plain(const Pool& p, const T* x, T* y, int64_t* ind) {
  for_planes(p.planes(), p.out_plane() * p.window(), [&](int64_t pl) {
    const T* xp = x + pl * p.in_plane();
    T* yp = y + pl * p.out_plane();
    int64_t* ip = ind ? ind + pl * p.out_plane() : nullptr;
    for (int64_t od = 0; od < p.OD; ++od)
      for (int64_t oh = 0; oh < p.OH; ++oh)
        for (int64_t ow = 0; ow < p.OW; ++ow) {
          auto [best, bi] = max_of_window(p, xp, od, oh, ow);
          const int64_t o = (od * p.OH + oh) * p.OW + ow;
          yp[o] = T(best);
          if (ip) ip[o] = bi;
        }
  });
}

// 2-D, dilation 1, with indices. Interior outputs (window inside the row) run as loops over ow for
// each window offset, with selects the compiler vectorises (compares on random data mispredict
// as branches); border outputs take the scalar path. Visit order and NaN/tie rules are those of
// max_pool_plain (the reference): row-major within the window, strict >, NaN wins.
template <class T>
void max_pool_idx_fast(const Pool& p, const T* x, T* y, int64_t* ind) {
  using A = compute_t<T>;
  std::vector<int64_t> hb(p.OH), he(p.OH);
  for (int64_t oh = 0; oh < p.OH; ++oh) {
    Window w = max_window(p, 0, oh, 0);
    hb[oh] = w.h0;
    he[oh] = w.h1;
  }
  // Interior columns: ow * sw - pw >= 0 and ow * sw - pw + kw <= W.
  const int64_t a = std::min(p.OW, (p.pw + p.sw - 1) / p.sw);
  const int64_t b = std::max(a, std::min(p.OW, p.W - p.kw + p.pw >= 0 ? (p.W - p.kw + p.pw) / p.sw + 1 : 0));
  for_planes(p.planes(), p.OH * p.OW * p.kh * p.kw, [&](int64_t pl) {
    const T* xp = x + pl * p.H * p.W;
    T* yp = y + pl * p.OH * p.OW;
    int64_t* ip = ind + pl * p.OH * p.OW;
    thread_local std::vector<A> best_buf;
    if (best_buf.size() < static_cast<size_t>(p.OW)) best_buf.resize(static_cast<size_t>(p.OW));
    A* best = best_buf.data();
    for (int64_t oh = 0; oh < p.OH; ++oh) {
      const int64_t h0 = hb[oh], h1 = he[oh];
      T* yrow = yp + oh * p.OW;
      int64_t* irow = ip + oh * p.OW;
      auto scalar = [&](int64_t ow) {
        auto [bv, bi] = max_of_window(p, xp, 0, oh, ow);
        yrow[ow] = T(bv);
        irow[ow] = bi;
      };
      for (int64_t ow = 0; ow < a; ++ow) scalar(ow);
      for (int64_t ow = b; ow < p.OW; ++ow) scalar(ow);
      if (b <= a) continue;
      for (int64_t ow = a; ow < b; ++ow) best[ow] = -std::numeric_limits<A>::infinity();
      for (int64_t ow = a; ow < b; ++ow) irow[ow] = h0 * p.W + ow * p.sw - p.pw;
      const int64_t sw = p.sw;
      for (int64_t ih = h0; ih < h1; ++ih)
        for (int64_t kj = 0; kj < p.kw; ++kj) {
          const int64_t base = ih * p.W + kj - p.pw;
          const T* src = xp + base;
          for (int64_t ow = a; ow < b; ++ow) {
            const A v = static_cast<A>(src[ow * sw]);
            const bool take = (v > best[ow]) | (v != v);
            best[ow] = take ? v : best[ow];
            irow[ow] = take ? base + ow * sw : irow[ow];
          }
        }
      for (int64_t ow = a; ow < b; ++ow) yrow[ow] = T(best[ow]);
    }
  });
}

inline float nanmax(float a, float b) { return ((b > a) | (b != b)) ? b : a; }  // one select: vectorises
inline double nanmax(double a, double b) { return ((b > a) | (b != b)) ? b : a; }

// Values only, 2-D, dilation 1: per output row, the elementwise max of the window's input rows
// (a vectorisable pass over W, into a row padded with -inf), then the max of every kw-wide
// window of that row (kw vectorisable passes), then every sw-th of those.
template <class T>
void max_pool_rows(const Pool& p, const T* x, T* y) {
  using A = compute_t<T>;
  const A ninf = -std::numeric_limits<A>::infinity();
  const int64_t span = (p.OW - 1) * p.sw + 1;               // window starts needed
  const int64_t padded = std::max(p.pw + p.W, span + p.kw);  // row length with the padding
  for_planes(p.planes(), p.OH * p.OW * p.kh * p.kw, [&](int64_t pl) {
    std::vector<A> row(static_cast<size_t>(padded), ninf), win(static_cast<size_t>(span));
    const T* xp = x + pl * p.H * p.W;
    T* yp = y + pl * p.OH * p.OW;
    for (int64_t oh = 0; oh < p.OH; ++oh) {
      int64_t h0 = std::max<int64_t>(oh * p.sh - p.ph, 0), h1 = std::min(oh * p.sh - p.ph + p.kh, p.H);
      A* r = row.data() + p.pw;
      for (int64_t iw = 0; iw < p.W; ++iw) r[iw] = ninf;
      for (int64_t ih = h0; ih < h1; ++ih) {
        const T* src = xp + ih * p.W;
        for (int64_t iw = 0; iw < p.W; ++iw) r[iw] = nanmax(r[iw], static_cast<A>(src[iw]));
      }
      const A* rp = row.data();
      A* w = win.data();
      for (int64_t j = 0; j < span; ++j) w[j] = rp[j];
      for (int64_t t = 1; t < p.kw; ++t)
        for (int64_t j = 0; j < span; ++j) w[j] = nanmax(w[j], rp[j + t]);
      for (int64_t ow = 0; ow < p.OW; ++ow) yp[oh * p.OW + ow] = T(w[ow * p.sw]);
    }
  });
}

// Values only, 2-D, channels-last input and output (N, H, W, C in memory): each output pixel is
// the elementwise max of its window's C-vectors (a vectorisable pass over C per window tap).
template <class T>
void max_pool_nhwc(const Pool& p, const T* x, T* y) {
  using A = compute_t<T>;
  const int64_t C = p.C;
  const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(p.OW * p.kh * p.kw * C, 1));
  kernels::parallel_for(p.N * p.OH, grain, [&](int64_t b, int64_t e) {
    std::vector<A> acc(static_cast<size_t>(C));
    for (int64_t t = b; t < e; ++t) {
      const int64_t n = t / p.OH, oh = t % p.OH;
      for (int64_t ow = 0; ow < p.OW; ++ow) {
        Window w = max_window(p, 0, oh, ow);
        A* a = acc.data();
        for (int64_t ch = 0; ch < C; ++ch) a[ch] = -std::numeric_limits<A>::infinity();
        for (int64_t ih = w.h0; ih < w.h1; ih += p.dh)
          for (int64_t iw = w.w0; iw < w.w1; iw += p.dw) {
            const T* src = x + ((n * p.H + ih) * p.W + iw) * C;
            for (int64_t ch = 0; ch < C; ++ch) a[ch] = nanmax(a[ch], static_cast<A>(src[ch]));
          }
        T* dst = y + ((n * p.OH + oh) * p.OW + ow) * C;
        for (int64_t ch = 0; ch < C; ++ch) dst[ch] = T(a[ch]);
      }
    }
  });
}

template <int ND, bool Fast>
void max_pool_kernel(const OpCall& c) {
  Pool p = max_geom<ND>(c);
  bool with_idx = c.out.size() == 2;
  const Tensor& y = c.out[0];
  // A channels-last input and output (an executor's plan between convolutions) stay so.
  const bool nhwc = Fast && ND == 2 && !with_idx && detail::is_channels_last(c.in[0]) &&
                    detail::is_channels_last(y);
  if (!nhwc && !y.is_contiguous()) {  // computed plain, then copied into the output's layout
    Tensor tmp = detail::make_empty(y.sizes(), y.dtype(), y.device());
    std::vector<Tensor> outs{tmp};
    if (with_idx) outs.push_back(c.out[1]);
    max_pool_kernel<ND, Fast>(OpCall{c.op, c.in, c.attrs, std::span<Tensor>(outs.data(), outs.size())});
    NoGradGuard g;
    kernels::copy_kernel(y, tmp);
    return;
  }
  Tensor x = nhwc ? c.in[0] : contig(c.in[0]);
  visit_float_dtype(x.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(y.data_ptr());
    if (nhwc) return max_pool_nhwc<T>(p, xp, yp);
    const bool fast2d = Fast && ND == 2 && p.dh == 1 && p.dw == 1;
    if (fast2d && !with_idx) return max_pool_rows<T>(p, xp, yp);
    if (fast2d && with_idx)
      return max_pool_idx_fast<T>(p, xp, yp, static_cast<int64_t*>(c.out[1].data_ptr()));
    max_pool_plain<T>(p, xp, yp, with_idx ? static_cast<int64_t*>(c.out[1].data_ptr()) : nullptr);
  });
}

Attrs pool_attrs_of(const Attrs& a, size_t n) {
  Attrs r;
  for (size_t i = 0; i < n; ++i) r.push(a[i]);
  return r;
}

extern OpDef& max_pool_idx_op;
extern OpDef& max_pool_bwd_op;
extern OpDef& max_pool3d_idx_op;
extern OpDef& max_pool3d_bwd_op;
extern OpDef& avg_pool_op;
extern OpDef& avg_pool_bwd_op;
extern OpDef& avg_pool3d_op;
extern OpDef& avg_pool3d_bwd_op;

/// The ops of one pooling rank.
template <int ND>
struct PoolOps {
  static OpDef& max_idx() { return ND == 2 ? max_pool_idx_op : max_pool3d_idx_op; }
  static OpDef& max_bwd() { return ND == 2 ? max_pool_bwd_op : max_pool3d_bwd_op; }
  static OpDef& avg() { return ND == 2 ? avg_pool_op : avg_pool3d_op; }
  static OpDef& avg_bwd() { return ND == 2 ? avg_pool_bwd_op : avg_pool3d_bwd_op; }
};

// grad_input = scatter-add of grad_output into the argmax positions of each plane.
template <int ND>
TensorList max_pool_backward(BackwardCtx& c, const TensorList& g) {
  Tensor idx = c.outputs.size() > 1 && c.output(1).defined() ? c.output(1) : Tensor();
  if (!idx.defined()) {  // max pooling without indices: recompute them
    NoGradGuard ng;
    idx = call_multi(PoolOps<ND>::max_idx(), {c.input(0)}, pool_attrs_of(c.attrs, 5))[1];
  }
  return {call(PoolOps<ND>::max_bwd(), {g[0], idx}, {DimVector(c.input(0).sizes())})};
}

OpDef& max_pool_op = def("max_pool2d").input("self").attr("kernel_size").attr("stride", DimVector{})
                         .attr("padding", DimVector{0}).attr("dilation", DimVector{1}).attr("ceil_mode", false)
                         .set_meta(max_pool_meta<2>).set_cpu(max_pool_kernel<2, true>)
                         .set_cpu_ref(max_pool_kernel<2, false>).set_backward(max_pool_backward<2>, kSaveInputs)
                         .set_onnx("MaxPool").writes_channels_last(OpDef::ChannelsLast::IfInput);
OpDef& max_pool_idx_op = def("max_pool2d_with_indices").input("self").attr("kernel_size").attr("stride", DimVector{})
                             .attr("padding", DimVector{0}).attr("dilation", DimVector{1}).attr("ceil_mode", false)
                             .outputs(2).set_meta(max_pool_meta<2>).set_cpu(max_pool_kernel<2, true>)
                             .set_cpu_ref(max_pool_kernel<2, false>)
                             .set_backward(max_pool_backward<2>, kSaveInputs | kSaveOutputs);
OpDef& max_pool3d_op = def("max_pool3d").input("self").attr("kernel_size").attr("stride", DimVector{})
                           .attr("padding", DimVector{0}).attr("dilation", DimVector{1}).attr("ceil_mode", false)
                           .set_meta(max_pool_meta<3>).set_cpu(max_pool_kernel<3, true>)
                           .set_cpu_ref(max_pool_kernel<3, false>).set_backward(max_pool_backward<3>, kSaveInputs)
                           .set_onnx("MaxPool");
OpDef& max_pool3d_idx_op = def("max_pool3d_with_indices").input("self").attr("kernel_size").attr("stride", DimVector{})
                               .attr("padding", DimVector{0}).attr("dilation", DimVector{1}).attr("ceil_mode", false)
                               .outputs(2).set_meta(max_pool_meta<3>).set_cpu(max_pool_kernel<3, true>)
                               .set_cpu_ref(max_pool_kernel<3, false>)
                               .set_backward(max_pool_backward<3>, kSaveInputs | kSaveOutputs);

/// The product of the last nd sizes.
int64_t trailing(IntArrayRef s, int64_t nd) {
  int64_t r = 1;
  for (int64_t i = 0; i < nd; ++i) r *= s[s.size() - 1 - static_cast<size_t>(i)];
  return r;
}

// max_pool{2,3}d_with_indices_backward(grad_output, indices; input_size)
template <int ND>
void max_pool_bwd_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& g = c.in[0];
  const Tensor& idx = c.in[1];
  IntArrayRef in_sizes = c.attrs.ints(0);
  SINTER_CHECK(g.sizes() == idx.sizes() && idx.dtype() == kLong && (g.dim() == ND + 1 || g.dim() == ND + 2) &&
                   in_sizes.size() == static_cast<size_t>(g.dim()),
               ShapeError, c.op.name, ": grad_output ", shape_str(g.sizes()), " and indices ", shape_str(idx.sizes()),
               " (", dtype_name(idx.dtype()), ") do not match an input of shape ", shape_str(in_sizes));
  for (int64_t d = 0; d < g.dim() - ND; ++d)
    SINTER_CHECK(g.size(d) == in_sizes[d], ShapeError, c.op.name, ": grad_output ", shape_str(g.sizes()),
                 " does not match the input's leading dims ", shape_str(in_sizes));
  check_float(c.op.name.c_str(), g);
  out[0].sizes = DimVector(in_sizes);
  out[0].dtype = g.dtype();
  n = 1;
}
template <int ND>
void max_pool_bwd_kernel(const OpCall& c) {
  Tensor g = contig(c.in[0]);
  Tensor idx = contig(c.in[1]);
  const Tensor& o = c.out[0];
  int64_t plane_in = trailing(o.sizes(), ND), plane_out = trailing(g.sizes(), ND);
  int64_t planes = plane_out ? g.numel() / plane_out : 0;
  visit_float_dtype(g.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* gp = static_cast<const T*>(g.data_ptr());
    const int64_t* ip = static_cast<const int64_t*>(idx.data_ptr());
    T* op = static_cast<T*>(o.data_ptr());
    std::atomic<bool> bad{false};
    for_planes(planes, plane_out + plane_in, [&](int64_t pl) {
      std::vector<A> acc(static_cast<size_t>(plane_in), A(0));
      const T* gpl = gp + pl * plane_out;
      const int64_t* ipl = ip + pl * plane_out;
      for (int64_t k = 0; k < plane_out; ++k) {
        int64_t j = ipl[k];
        if (j < 0 || j >= plane_in) {
          bad.store(true, std::memory_order_relaxed);
          continue;
        }
        acc[static_cast<size_t>(j)] += static_cast<A>(gpl[k]);
      }
      T* opl = op + pl * plane_in;
      for (int64_t j = 0; j < plane_in; ++j) opl[j] = T(acc[static_cast<size_t>(j)]);
    });
    if (planes == 0) return;
    SINTER_CHECK(!bad.load(), IndexError, c.op.name, ": an index is out of range for input planes of ", plane_in, " elements");
  });
}
// Adjoint of the scatter: gather the incoming gradient at the same positions.
template <int ND>
TensorList max_pool_bwd_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (c.needs(0)) {
    const Tensor& idx = c.input(1);
    r[0] = gather(g[0].flatten(-ND), -1, idx.flatten(-ND)).view(idx.sizes());
  }
  return r;
}
OpDef& max_pool_bwd_op = def("max_pool2d_with_indices_backward").input("grad_output").input("indices")
                             .attr("input_size").set_meta(max_pool_bwd_meta<2>).set_cpu(max_pool_bwd_kernel<2>)
                             .set_backward(max_pool_bwd_backward<2>, kSaveInputs, 0b10);
OpDef& max_pool3d_bwd_op = def("max_pool3d_with_indices_backward").input("grad_output").input("indices")
                               .attr("input_size").set_meta(max_pool_bwd_meta<3>).set_cpu(max_pool_bwd_kernel<3>)
                               .set_backward(max_pool_bwd_backward<3>, kSaveInputs, 0b10);

// ---- avg_pool2d / avg_pool3d ----------------------------------------------------------------
// attrs: kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override

void avg_read_params(const char* op, const Attrs& a, size_t k, Pool& p) {
  read_window(op, a, k, false, p);
  p.ceil = a.b(k + 3);
  if (!a.is_none(k + 5)) SINTER_CHECK(a.i(k + 5) != 0, ValueError, op, ": divisor must be not zero");
}

template <int ND>
Pool avg_geom(const OpCall& c) {
  const char* op = c.op.name.c_str();
  Pool p;
  read_input(op, c.in[0], ND, p);
  avg_read_params(op, c.attrs, 0, p);
  compute_out(op, p);
  return p;
}

void check_avg_dtype(const char* op, const Tensor& x) {
  if (!is_floating_point(x.dtype()) && x.dtype() != kLong)
    throw DTypeError(detail::str_cat(op, ": expected a floating point or int64 input, got dtype ", dtype_name(x.dtype())));
}

template <int ND>
void avg_pool_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  check_avg_dtype(c.op.name.c_str(), c.in[0]);
  Pool p = avg_geom<ND>(c);
  out[0].sizes = p.out_sizes();
  out[0].dtype = c.in[0].dtype();
  n = 1;
}

/// PyTorch's avg pool window: clipped bounds and the divisor.
struct AvgWindow {
  int64_t d0, d1, h0, h1, w0, w1, div;
  bool empty() const { return d0 >= d1 || h0 >= h1 || w0 >= w1; }
};
inline AvgWindow avg_window(const Pool& p, int64_t od, int64_t oh, int64_t ow, bool count_include_pad,
                            int64_t divisor_override) {
  AvgWindow w;
  w.d0 = od * p.sd - p.pd;
  w.h0 = oh * p.sh - p.ph;
  w.w0 = ow * p.sw - p.pw;
  w.d1 = std::min(w.d0 + p.kd, p.D + p.pd);
  w.h1 = std::min(w.h0 + p.kh, p.H + p.ph);
  w.w1 = std::min(w.w0 + p.kw, p.W + p.pw);
  int64_t pool_size = (w.d1 - w.d0) * (w.h1 - w.h0) * (w.w1 - w.w0);
  w.d0 = std::max<int64_t>(w.d0, 0);
  w.h0 = std::max<int64_t>(w.h0, 0);
  w.w0 = std::max<int64_t>(w.w0, 0);
  w.d1 = std::min(w.d1, p.D);
  w.h1 = std::min(w.h1, p.H);
  w.w1 = std::min(w.w1, p.W);
  if (divisor_override) w.div = divisor_override;
  else w.div = count_include_pad ? pool_size : (w.d1 - w.d0) * (w.h1 - w.h0) * (w.w1 - w.w0);
  return w;
}

template <int ND, bool Fast>
void avg_pool_kernel(const OpCall& c) {
  Pool p = avg_geom<ND>(c);
  bool cip = c.attrs.b(4);
  int64_t dov = c.attrs.is_none(5) ? 0 : c.attrs.i(5);
  Tensor x = contig(c.in[0]);
  visit_dtype_no_wide_uint(x.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_float_type_v<T> || std::is_same_v<T, int64_t>) {
      using A = compute_t<T>;
      const T* xp = static_cast<const T*>(x.data_ptr());
      T* yp = static_cast<T*>(c.out[0].data_ptr());
      for_planes(p.planes(), p.out_plane() * p.window(), [&](int64_t pl) {
        const T* xpl = xp + pl * p.in_plane();
        T* ypl = yp + pl * p.out_plane();
        for (int64_t od = 0; od < p.OD; ++od)
          for (int64_t oh = 0; oh < p.OH; ++oh)
            for (int64_t ow = 0; ow < p.OW; ++ow) {
              const int64_t o = (od * p.OH + oh) * p.OW + ow;
              AvgWindow w = avg_window(p, od, oh, ow, cip, dov);
              if (w.empty()) {
                ypl[o] = T(0);
                continue;
              }
              A sum = 0;
              for (int64_t id = w.d0; id < w.d1; ++id) {
                const T* sl = xpl + id * p.H * p.W;
                if (Fast) {
                  for (int64_t ih = w.h0; ih < w.h1; ++ih) {
                    const T* r = sl + ih * p.W;
                    for (int64_t iw = w.w0; iw < w.w1; ++iw) sum += static_cast<A>(r[iw]);
                  }
                } else {
                  for (int64_t iw = w.w0; iw < w.w1; ++iw)
                    for (int64_t ih = w.h0; ih < w.h1; ++ih) sum += static_cast<A>(sl[ih * p.W + iw]);
                }
              }
              ypl[o] = T(sum / static_cast<A>(w.div));
            }
      });
    } else {
      throw_dtype(c.op.name.c_str(), x.dtype(), c.op.name.c_str());
    }
  });
}

template <int ND>
TensorList avg_pool_backward(BackwardCtx& c, const TensorList& g) {
  Attrs a{DimVector(c.input(0).sizes())};
  for (size_t i = 0; i < 6; ++i) a.push(c.attrs[i]);
  return {call(PoolOps<ND>::avg_bwd(), {g[0]}, a)};
}
OpDef& avg_pool_op = def("avg_pool2d").input("self").attr("kernel_size").attr("stride", DimVector{})
                         .attr("padding", DimVector{0}).attr("ceil_mode", false).attr("count_include_pad", true)
                         .attr("divisor_override").set_meta(avg_pool_meta<2>).set_cpu(avg_pool_kernel<2, true>)
                         .set_cpu_ref(avg_pool_kernel<2, false>).set_backward(avg_pool_backward<2>)
                         .set_onnx("AveragePool");
OpDef& avg_pool3d_op = def("avg_pool3d").input("self").attr("kernel_size").attr("stride", DimVector{})
                           .attr("padding", DimVector{0}).attr("ceil_mode", false).attr("count_include_pad", true)
                           .attr("divisor_override").set_meta(avg_pool_meta<3>).set_cpu(avg_pool_kernel<3, true>)
                           .set_cpu_ref(avg_pool_kernel<3, false>).set_backward(avg_pool_backward<3>)
                           .set_onnx("AveragePool");

// avg_pool{2,3}d_backward(grad_output; input_size, kernel_size, stride, padding, ceil_mode,
// count_include_pad, divisor_override): each output's gradient spread evenly (by its divisor)
// over its window.
template <int ND>
Pool avg_bwd_geom(const OpCall& c) {
  const char* op = c.op.name.c_str();
  IntArrayRef in_sizes = c.attrs.ints(0);
  const Tensor& g = c.in[0];
  Pool p;
  read_sizes(op, in_sizes, ND, p);
  avg_read_params(op, c.attrs, 1, p);
  compute_out(op, p);
  SINTER_CHECK(g.sizes() == IntArrayRef(p.out_sizes()), ShapeError, op, ": grad_output of shape ", shape_str(g.sizes()),
               " does not match the pooled shape ", shape_str(p.out_sizes()), " of an input of shape ", shape_str(in_sizes));
  return p;
}
template <int ND>
void avg_pool_bwd_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  check_avg_dtype(c.op.name.c_str(), c.in[0]);
  avg_bwd_geom<ND>(c);
  out[0].sizes = DimVector(c.attrs.ints(0));
  out[0].dtype = c.in[0].dtype();
  n = 1;
}
template <int ND>
void avg_pool_bwd_kernel(const OpCall& c) {
  Pool p = avg_bwd_geom<ND>(c);
  bool cip = c.attrs.b(5);
  int64_t dov = c.attrs.is_none(6) ? 0 : c.attrs.i(6);
  Tensor g = contig(c.in[0]);
  visit_dtype_no_wide_uint(g.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_float_type_v<T> || std::is_same_v<T, int64_t>) {
      using A = compute_t<T>;
      const T* gp = static_cast<const T*>(g.data_ptr());
      T* op = static_cast<T*>(c.out[0].data_ptr());
      for_planes(p.planes(), p.out_plane() * p.window() + p.in_plane(), [&](int64_t pl) {
        std::vector<A> acc(static_cast<size_t>(p.in_plane()), A(0));
        const T* gpl = gp + pl * p.out_plane();
        for (int64_t od = 0; od < p.OD; ++od)
          for (int64_t oh = 0; oh < p.OH; ++oh)
            for (int64_t ow = 0; ow < p.OW; ++ow) {
              AvgWindow w = avg_window(p, od, oh, ow, cip, dov);
              A v = static_cast<A>(gpl[(od * p.OH + oh) * p.OW + ow]) / static_cast<A>(w.div);
              for (int64_t id = w.d0; id < w.d1; ++id)
                for (int64_t ih = w.h0; ih < w.h1; ++ih)
                  for (int64_t iw = w.w0; iw < w.w1; ++iw) acc[static_cast<size_t>((id * p.H + ih) * p.W + iw)] += v;
            }
        T* opl = op + pl * p.in_plane();
        for (int64_t j = 0; j < p.in_plane(); ++j) opl[j] = T(acc[static_cast<size_t>(j)]);
      });
    } else {
      throw_dtype(c.op.name.c_str(), g.dtype(), c.op.name.c_str());
    }
  });
}
template <int ND>
TensorList avg_pool_bwd_backward(BackwardCtx& c, const TensorList& g) {
  Attrs a;
  for (size_t i = 1; i < 7; ++i) a.push(c.attrs[i]);
  return {call(PoolOps<ND>::avg(), {g[0]}, a)};
}
OpDef& avg_pool_bwd_op = def("avg_pool2d_backward").input("grad_output").attr("input_size").attr("kernel_size")
                             .attr("stride", DimVector{}).attr("padding", DimVector{0}).attr("ceil_mode", false)
                             .attr("count_include_pad", true).attr("divisor_override")
                             .set_meta(avg_pool_bwd_meta<2>).set_cpu(avg_pool_bwd_kernel<2>)
                             .set_backward(avg_pool_bwd_backward<2>, kSaveNone);
OpDef& avg_pool3d_bwd_op = def("avg_pool3d_backward").input("grad_output").attr("input_size").attr("kernel_size")
                               .attr("stride", DimVector{}).attr("padding", DimVector{0}).attr("ceil_mode", false)
                               .attr("count_include_pad", true).attr("divisor_override")
                               .set_meta(avg_pool_bwd_meta<3>).set_cpu(avg_pool_bwd_kernel<3>)
                               .set_backward(avg_pool_bwd_backward<3>, kSaveNone);

// ---- adaptive_avg_pool2d -------------------------------------------------------------------
// Output cell o of O over an input of I covers [floor(o*I/O), ceil((o+1)*I/O)).

inline int64_t ad_start(int64_t o, int64_t O, int64_t I) { return (o * I) / O; }
inline int64_t ad_end(int64_t o, int64_t O, int64_t I) { return ((o + 1) * I + O - 1) / O; }

Pool adaptive_geom(const char* op, const Tensor& x, IntArrayRef osz) {
  Pool p;
  SINTER_CHECK(x.dim() == 3 || x.dim() == 4, ShapeError, op, ": expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ",
               shape_str(x.sizes()));
  for (int64_t d = 1; d < x.dim(); ++d)
    SINTER_CHECK(x.size(d) > 0, ShapeError, op, ": expected input to have non-zero size for non-batch dimensions, but input has shape ",
                 shape_str(x.sizes()), " with dimension ", d, " being empty");
  read_input(op, x, 2, p);
  auto o = two(op, "output_size", osz);
  SINTER_CHECK(o[0] >= 0 && o[1] >= 0, ValueError, op, ": output_size must be non-negative, got ", pair_str(o[0], o[1]));
  p.OH = o[0];
  p.OW = o[1];
  return p;
}

void adaptive_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  check_float(c.op.name.c_str(), c.in[0]);
  Pool p = adaptive_geom(c.op.name.c_str(), c.in[0], c.attrs.ints(0));
  out[0].sizes = p.out_sizes();
  out[0].dtype = c.in[0].dtype();
  n = 1;
}

template <bool Fast>
void adaptive_kernel(const OpCall& c) {
  Pool p = adaptive_geom(c.op.name.c_str(), c.in[0], c.attrs.ints(0));
  Tensor x = contig(c.in[0]);
  visit_float_dtype(x.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(c.out[0].data_ptr());
    if (Fast && p.OH == 1 && p.OW == 1) {  // global average pooling
      for_planes(p.planes(), p.H * p.W, [&](int64_t pl) {
        const T* r = xp + pl * p.H * p.W;
        A s = 0;
        for (int64_t j = 0; j < p.H * p.W; ++j) s += static_cast<A>(r[j]);
        yp[pl] = T(s / static_cast<A>(p.H * p.W));
      });
      return;
    }
    for_planes(p.planes(), p.H * p.W + p.OH * p.OW, [&](int64_t pl) {
      const T* xpl = xp + pl * p.H * p.W;
      T* ypl = yp + pl * p.OH * p.OW;
      for (int64_t oh = 0; oh < p.OH; ++oh) {
        int64_t h0 = ad_start(oh, p.OH, p.H), h1 = ad_end(oh, p.OH, p.H);
        for (int64_t ow = 0; ow < p.OW; ++ow) {
          int64_t w0 = ad_start(ow, p.OW, p.W), w1 = ad_end(ow, p.OW, p.W);
          A s = 0;
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw) s += static_cast<A>(xpl[ih * p.W + iw]);
          ypl[oh * p.OW + ow] = T(s / static_cast<A>((h1 - h0) * (w1 - w0)));
        }
      }
    });
  });
}

extern OpDef& adaptive_op;
extern OpDef& adaptive_bwd_op;

TensorList adaptive_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& go = g[0];
  return {call(adaptive_bwd_op, {go}, {DimVector(c.input(0).sizes()), DimVector{go.size(-2), go.size(-1)}})};
}
OpDef& adaptive_op = def("adaptive_avg_pool2d").input("self").attr("output_size").set_meta(adaptive_meta)
                         .set_cpu(adaptive_kernel<true>).set_cpu_ref(adaptive_kernel<false>)
                         .set_backward(adaptive_backward);

// adaptive_avg_pool2d_backward(grad_output; input_size, output_size)
void adaptive_bwd_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& g = c.in[0];
  IntArrayRef in_sizes = c.attrs.ints(0);
  check_float(c.op.name.c_str(), g);
  IntArrayRef osz = c.attrs.ints(1);
  bool ok = (g.dim() == 3 || g.dim() == 4) && in_sizes.size() == static_cast<size_t>(g.dim()) && osz.size() == 2 &&
            g.size(-2) == osz[0] && g.size(-1) == osz[1];
  for (int64_t d = 0; ok && d < g.dim() - 2; ++d) ok = g.size(d) == in_sizes[d];
  SINTER_CHECK(ok, ShapeError, c.op.name, ": grad_output of shape ", shape_str(g.sizes()),
               " does not match an input of shape ", shape_str(in_sizes));
  out[0].sizes = DimVector(in_sizes);
  out[0].dtype = g.dtype();
  n = 1;
}
void adaptive_bwd_kernel(const OpCall& c) {
  Tensor g = contig(c.in[0]);
  const Tensor& o = c.out[0];
  int64_t H = o.size(-2), W = o.size(-1), OH = g.size(-2), OW = g.size(-1);
  int64_t planes = H * W != 0 ? o.numel() / (H * W) : 0;
  visit_float_dtype(g.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* gp = static_cast<const T*>(g.data_ptr());
    T* op = static_cast<T*>(o.data_ptr());
    for_planes(planes, H * W + OH * OW, [&](int64_t pl) {
      std::vector<A> acc(static_cast<size_t>(H * W), A(0));
      const T* gpl = gp + pl * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh) {
        int64_t h0 = ad_start(oh, OH, H), h1 = ad_end(oh, OH, H);
        for (int64_t ow = 0; ow < OW; ++ow) {
          int64_t w0 = ad_start(ow, OW, W), w1 = ad_end(ow, OW, W);
          A v = static_cast<A>(gpl[oh * OW + ow]) / static_cast<A>((h1 - h0) * (w1 - w0));
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw) acc[static_cast<size_t>(ih * W + iw)] += v;
        }
      }
      T* opl = op + pl * H * W;
      for (int64_t j = 0; j < H * W; ++j) opl[j] = T(acc[static_cast<size_t>(j)]);
    });
  });
}
// The adjoint of the backward is the forward pool to the grad_output's spatial size.
TensorList adaptive_bwd_backward(BackwardCtx& c, const TensorList& g) {
  return {call(adaptive_op, {g[0]}, {DimVector(c.attrs.ints(1))})};
}
OpDef& adaptive_bwd_op = def("adaptive_avg_pool2d_backward").input("grad_output").attr("input_size")
                             .attr("output_size").set_meta(adaptive_bwd_meta).set_cpu(adaptive_bwd_kernel)
                             .set_backward(adaptive_bwd_backward, kSaveNone);

}  // namespace
}  // namespace ops

namespace {
ops::Attrs max_pool_attrs(IntArrayRef k, IntArrayRef s, IntArrayRef p, IntArrayRef d, bool ceil) {
  return {DimVector(k), DimVector(s), DimVector(p), DimVector(d), ceil};
}

Tensor max_pool_nd(const ops::OpDef& op, const ops::OpDef& idx_op, const Tensor& input, const ops::Attrs& a) {
  // With autograd, compute the argmax positions once in forward rather than again in backward.
  if (GradMode::is_enabled() && input.requires_grad()) return ops::call_multi(idx_op, {input}, a).release(0);
  return ops::call(op, {input}, a);
}

std::tuple<Tensor, Tensor> max_pool_nd_with_indices(const ops::OpDef& idx_op, const Tensor& input, const ops::Attrs& a) {
  auto o = ops::call_multi(idx_op, {input}, a);
  return {o.release(0), o.release(1)};
}

ops::Attrs avg_pool_attrs(IntArrayRef k, IntArrayRef s, IntArrayRef p, bool ceil_mode, bool count_include_pad,
                          std::optional<int64_t> divisor_override) {
  ops::Attrs a{DimVector(k), DimVector(s), DimVector(p), ceil_mode, count_include_pad, std::monostate{}};
  if (divisor_override) a[5] = *divisor_override;
  return a;
}
}  // namespace

Tensor max_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding,
                  IntArrayRef dilation, bool ceil_mode) {
  return max_pool_nd(ops::max_pool_op, ops::max_pool_idx_op, input,
                     max_pool_attrs(kernel_size, stride, padding, dilation, ceil_mode));
}
Tensor max_pool3d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding,
                  IntArrayRef dilation, bool ceil_mode) {
  return max_pool_nd(ops::max_pool3d_op, ops::max_pool3d_idx_op, input,
                     max_pool_attrs(kernel_size, stride, padding, dilation, ceil_mode));
}

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride,
                                                   IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  return max_pool_nd_with_indices(ops::max_pool_idx_op, input,
                                  max_pool_attrs(kernel_size, stride, padding, dilation, ceil_mode));
}
std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride,
                                                   IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  return max_pool_nd_with_indices(ops::max_pool3d_idx_op, input,
                                  max_pool_attrs(kernel_size, stride, padding, dilation, ceil_mode));
}

Tensor avg_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  return ops::call(ops::avg_pool_op, {input},
                   avg_pool_attrs(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override));
}
Tensor avg_pool3d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  return ops::call(ops::avg_pool3d_op, {input},
                   avg_pool_attrs(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override));
}

Tensor adaptive_avg_pool2d(const Tensor& input, IntArrayRef output_size) {
  return ops::call(ops::adaptive_op, {input}, {DimVector(output_size)});
}

}  // namespace sinter
