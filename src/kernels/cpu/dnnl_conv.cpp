#include "kernels/cpu/dnnl_conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/tensor_util.h"
#include "kernels/cpu/dnnl_common.h"
#include "kernels/cpu/loops.h"

namespace sinter::kernels {

namespace {

using onednn::dims;

Tensor contiguous_as(const Tensor& t, DType d) {
  if (t.dtype() == d && t.is_contiguous()) return t;
  Tensor c = sinter::detail::make_empty(t.sizes(), d, t.device());
  copy_kernel(c, t);
  return c;
}

// ---- direct loops (float64, integers, and the reference for every dtype) ----------------------

// The geometry with three spatial dims (leading unit dims added).
struct G3 {
  int64_t N, C, O, G, Cg, Og;
  int64_t I[3], K[3], Y[3], S[3], P[3], D[3];
  int64_t isz() const { return I[0] * I[1] * I[2]; }
  int64_t ksz() const { return K[0] * K[1] * K[2]; }
  int64_t ysz() const { return Y[0] * Y[1] * Y[2]; }
};

G3 to3(const ConvGeom& g) {
  G3 r;
  r.N = g.N;
  r.C = g.C;
  r.O = g.O;
  r.G = g.G;
  r.Cg = g.C / g.G;
  r.Og = g.O / g.G;
  int64_t lead = 3 - g.nd;
  for (int64_t i = 0; i < 3; ++i) {
    bool real = i >= lead;
    size_t j = static_cast<size_t>(i - lead);
    r.I[i] = real ? g.in[j] : 1;
    r.K[i] = real ? g.k[j] : 1;
    r.Y[i] = real ? g.out[j] : 1;
    r.S[i] = real ? g.stride[j] : 1;
    r.P[i] = real ? g.pad_l[j] : 0;
    r.D[i] = real ? g.dil[j] : 1;
  }
  return r;
}

template <class T>
using conv_acc_t = std::conditional_t<std::is_integral_v<T>, int64_t, double>;

// Runs f(i) for i in [0, n), in parallel when `work` (multiply-adds) is large enough to pay.
template <class F>
void for_each_task(int64_t n, double work, bool parallel, F&& f) {
  bool par = parallel && work > 1 << 16;
  parallel_for(n, par ? 1 : n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) f(i);
  });
}

template <class T>
void direct_forward(T* y, const T* x, const T* w, const T* bias, const G3& g, bool parallel) {
  using A = conv_acc_t<T>;
  const int64_t isz = g.isz(), ksz = g.ksz(), ysz = g.ysz();
  for_each_task(g.N * g.O, double(g.N) * g.O * ysz * g.Cg * ksz, parallel, [&](int64_t t) {
    const int64_t n = t / g.O, o = t % g.O, grp = o / g.Og;
    T* yo = y + t * ysz;
    for (int64_t a = 0; a < g.Y[0]; ++a)
      for (int64_t b = 0; b < g.Y[1]; ++b)
        for (int64_t c = 0; c < g.Y[2]; ++c) {
          A acc = bias ? static_cast<A>(bias[o]) : A(0);
          for (int64_t ci = 0; ci < g.Cg; ++ci) {
            const T* xc = x + (n * g.C + grp * g.Cg + ci) * isz;
            const T* wc = w + (o * g.Cg + ci) * ksz;
            for (int64_t ka = 0; ka < g.K[0]; ++ka) {
              int64_t ia = a * g.S[0] - g.P[0] + ka * g.D[0];
              if (ia < 0 || ia >= g.I[0]) continue;
              for (int64_t kb = 0; kb < g.K[1]; ++kb) {
                int64_t ib = b * g.S[1] - g.P[1] + kb * g.D[1];
                if (ib < 0 || ib >= g.I[1]) continue;
                for (int64_t kc = 0; kc < g.K[2]; ++kc) {
                  int64_t ic = c * g.S[2] - g.P[2] + kc * g.D[2];
                  if (ic < 0 || ic >= g.I[2]) continue;
                  acc += static_cast<A>(xc[(ia * g.I[1] + ib) * g.I[2] + ic]) *
                         static_cast<A>(wc[(ka * g.K[1] + kb) * g.K[2] + kc]);
                }
              }
            }
          }
          yo[(a * g.Y[1] + b) * g.Y[2] + c] = cast<T>(acc);
        }
  });
}

// The output index along one dim that input index i meets through kernel tap k, or -1.
inline int64_t out_index(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d, int64_t Y) {
  int64_t t = i + p - k * d;
  if (t < 0 || t % s != 0) return -1;
  t /= s;
  return t < Y ? t : -1;
}

template <class T>
void direct_backward_data(T* dx, const T* dy, const T* w, const G3& g, bool parallel) {
  using A = conv_acc_t<T>;
  const int64_t isz = g.isz(), ksz = g.ksz(), ysz = g.ysz();
  for_each_task(g.N * g.C, double(g.N) * g.C * isz * g.Og * ksz, parallel, [&](int64_t t) {
    const int64_t n = t / g.C, ci = t % g.C, grp = ci / g.Cg, cg = ci % g.Cg;
    T* dxc = dx + t * isz;
    for (int64_t a = 0; a < g.I[0]; ++a)
      for (int64_t b = 0; b < g.I[1]; ++b)
        for (int64_t c = 0; c < g.I[2]; ++c) {
          A acc = 0;
          for (int64_t og = 0; og < g.Og; ++og) {
            const int64_t o = grp * g.Og + og;
            const T* dyo = dy + (n * g.O + o) * ysz;
            const T* wo = w + (o * g.Cg + cg) * ksz;
            for (int64_t ka = 0; ka < g.K[0]; ++ka) {
              int64_t ya = out_index(a, ka, g.S[0], g.P[0], g.D[0], g.Y[0]);
              if (ya < 0) continue;
              for (int64_t kb = 0; kb < g.K[1]; ++kb) {
                int64_t yb = out_index(b, kb, g.S[1], g.P[1], g.D[1], g.Y[1]);
                if (yb < 0) continue;
                for (int64_t kc = 0; kc < g.K[2]; ++kc) {
                  int64_t yc = out_index(c, kc, g.S[2], g.P[2], g.D[2], g.Y[2]);
                  if (yc < 0) continue;
                  acc += static_cast<A>(dyo[(ya * g.Y[1] + yb) * g.Y[2] + yc]) *
                         static_cast<A>(wo[(ka * g.K[1] + kb) * g.K[2] + kc]);
                }
              }
            }
          }
          dxc[(a * g.I[1] + b) * g.I[2] + c] = cast<T>(acc);
        }
  });
}

template <class T>
void direct_backward_weight(T* dw, const T* x, const T* dy, const G3& g, bool parallel) {
  using A = conv_acc_t<T>;
  const int64_t isz = g.isz(), ksz = g.ksz(), ysz = g.ysz();
  for_each_task(g.O * g.Cg, double(g.N) * g.O * g.Cg * ksz * ysz, parallel, [&](int64_t t) {
    const int64_t o = t / g.Cg, cg = t % g.Cg, ci = (o / g.Og) * g.Cg + cg;
    for (int64_t ka = 0; ka < g.K[0]; ++ka)
      for (int64_t kb = 0; kb < g.K[1]; ++kb)
        for (int64_t kc = 0; kc < g.K[2]; ++kc) {
          A acc = 0;
          for (int64_t n = 0; n < g.N; ++n) {
            const T* xc = x + (n * g.C + ci) * isz;
            const T* dyo = dy + (n * g.O + o) * ysz;
            for (int64_t a = 0; a < g.Y[0]; ++a) {
              int64_t ia = a * g.S[0] - g.P[0] + ka * g.D[0];
              if (ia < 0 || ia >= g.I[0]) continue;
              for (int64_t b = 0; b < g.Y[1]; ++b) {
                int64_t ib = b * g.S[1] - g.P[1] + kb * g.D[1];
                if (ib < 0 || ib >= g.I[1]) continue;
                for (int64_t c = 0; c < g.Y[2]; ++c) {
                  int64_t ic = c * g.S[2] - g.P[2] + kc * g.D[2];
                  if (ic < 0 || ic >= g.I[2]) continue;
                  acc += static_cast<A>(xc[(ia * g.I[1] + ib) * g.I[2] + ic]) *
                         static_cast<A>(dyo[(a * g.Y[1] + b) * g.Y[2] + c]);
                }
              }
            }
          }
          dw[t * ksz + (ka * g.K[1] + kb) * g.K[2] + kc] = cast<T>(acc);
        }
  });
}

template <class F>
void visit_conv_dtype(DType d, F&& f) {
  visit_dtype_no_wide_uint(d, "convolution", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, Half>) {
      SINTER_ASSERT(false, "convolution of dtype ", dtype_name(d));
    } else {
      f(tag);
    }
  });
}

// ---- oneDNN (float32) ----------------------------------------------------------------------

bool onednn_ok(const ConvGeom& g) {
  if (g.N == 0 || g.C == 0 || g.O == 0) return false;
  for (int64_t i = 0; i < g.nd; ++i)
    if (g.in[i] == 0 || g.out[i] == 0 || g.k[i] == 0) return false;
  return true;
}

dims plain_strides(const dims& d) {
  dims s(d.size(), 1);
  for (size_t i = d.size() - 1; i-- > 0;) s[i] = s[i + 1] * d[i + 1];
  return s;
}
dnnl::memory::desc plain_md(const dims& d) { return dnnl::memory::desc(d, onednn::dt::f32, plain_strides(d)); }
// A 2-D convolution's tensor stored channels-last.
bool is_channels_last_2d(const Tensor& t, const ConvGeom& g) { return g.nd == 2 && sinter::detail::is_channels_last(t); }
dims onednn_dims(const Tensor& t) { return dims(t.sizes().begin(), t.sizes().end()); }
dnnl::memory::desc any_md(const dims& d) { return dnnl::memory::desc(d, onednn::dt::f32, dnnl::memory::format_tag::any); }

struct ConvDims {
  dims x, w, y, bias, strides, dilates, pad_l, pad_r;
};
ConvDims conv_dims(const ConvGeom& g) {
  ConvDims d;
  d.x = {g.N, g.C};
  d.y = {g.N, g.O};
  if (g.G == 1) d.w = {g.O, g.C};
  else d.w = {g.G, g.O / g.G, g.C / g.G};
  for (int64_t i = 0; i < g.nd; ++i) {
    d.x.push_back(g.in[i]);
    d.y.push_back(g.out[i]);
    d.w.push_back(g.k[i]);
    d.strides.push_back(g.stride[i]);
    d.dilates.push_back(g.dil[i] - 1);
    d.pad_l.push_back(g.pad_l[i]);
    d.pad_r.push_back(g.pad_r[i]);
  }
  d.bias = {g.O};
  return d;
}

onednn::Key conv_key(int64_t kind, const ConvGeom& g, bool bias) {
  onednn::Key k(kind);
  k.add(g.nd).add(g.N).add(g.C).add(g.O).add(g.G);
  k.add(g.in).add(g.k).add(g.stride).add(g.pad_l).add(g.pad_r).add(g.dil).add(bias ? 1 : 0);
  return k;
}

onednn::ConvShape conv_shape(const ConvDims& d, bool bias) {
  onednn::ConvShape s;
  s.src = any_md(d.x);
  s.wei = any_md(d.w);
  s.dst = any_md(d.y);
  if (bias) s.bias = plain_md(d.bias);
  s.strides = d.strides;
  s.dilates = d.dilates;
  s.pad_l = d.pad_l;
  s.pad_r = d.pad_r;
  return s;
}

// A user tensor in the layout a primitive wants: reordered into scratch when they differ.
struct Staged {
  dnnl::memory::desc user, want;
  std::optional<dnnl::reorder> to_want, to_user;
  void init(const dnnl::memory::desc& u, const dnnl::memory::desc& w, bool input) {
    user = u;
    want = w;
    if (u != w) {
      if (input) to_want = onednn::make_reorder(u, w);
      else to_user = onednn::make_reorder(w, u);
    }
  }
  // The memory the primitive reads (input) or writes (output), over `ptr` or scratch `slot`.
  dnnl::memory in(void* ptr, int slot) const {
    dnnl::memory um = onednn::wrap(user, ptr);
    if (!to_want) return um;
    dnnl::memory wm = onednn::wrap(want, onednn::scratch(slot, want.get_size()));
    onednn::reorder(*to_want, um, wm);
    return wm;
  }
  dnnl::memory out(void* ptr, int slot) const {
    if (!to_user) return onednn::wrap(user, ptr);
    return onednn::wrap(want, onednn::scratch(slot, want.get_size()));
  }
  void finish(const dnnl::memory& m, void* ptr) const {
    if (to_user) onednn::reorder(*to_user, m, onednn::wrap(user, ptr));
  }
};

struct FwdEntry : onednn::CacheEntry {
  dnnl::convolution_forward prim;
  Staged x, w, y;
  dnnl::memory::desc bias;
};

bool onednn_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  if (!onednn_ok(g)) return false;
  auto e = onednn::cached<FwdEntry>(conv_key(2, g, bias.defined()), [&] {
    ConvDims d = conv_dims(g);
    auto pd = onednn::conv_fwd_pd(conv_shape(d, bias.defined()), dnnl::prop_kind::forward_training);
    auto ent = std::make_shared<FwdEntry>();
    ent->prim = dnnl::convolution_forward(pd);
    ent->x.init(plain_md(d.x), pd.src_desc(), true);
    ent->w.init(plain_md(d.w), pd.weights_desc(), true);
    ent->y.init(plain_md(d.y), pd.dst_desc(), false);
    if (bias.defined()) ent->bias = plain_md(d.bias);
    return ent;
  });
  if (!e) return false;
  dnnl::memory xm = e->x.in(x.data_ptr(), 0), wm = e->w.in(w.data_ptr(), 1), ym = e->y.out(y.data_ptr(), 2);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}};
  if (bias.defined()) args.emplace(DNNL_ARG_BIAS, onednn::wrap(e->bias, bias.data_ptr()));
  onednn::execute(e->prim, args);
  e->y.finish(ym, y.data_ptr());
  return true;
}

struct BwdDataEntry : onednn::CacheEntry {
  dnnl::convolution_backward_data prim;
  Staged dy, w, dx;
};

bool onednn_backward_data(const Tensor& dx, const Tensor& dy, const Tensor& w, const ConvGeom& g) {
  if (!onednn_ok(g)) return false;
  auto e = onednn::cached<BwdDataEntry>(conv_key(3, g, false), [&] {
    ConvDims d = conv_dims(g);
    onednn::ConvShape s = conv_shape(d, false);
    auto hint = onednn::conv_fwd_pd(s, dnnl::prop_kind::forward_training);
    auto pd = onednn::conv_bwd_data_pd(s, hint);
    auto ent = std::make_shared<BwdDataEntry>();
    ent->prim = dnnl::convolution_backward_data(pd);
    ent->dy.init(plain_md(d.y), pd.diff_dst_desc(), true);
    ent->w.init(plain_md(d.w), pd.weights_desc(), true);
    ent->dx.init(plain_md(d.x), pd.diff_src_desc(), false);
    return ent;
  });
  if (!e) return false;
  dnnl::memory dym = e->dy.in(dy.data_ptr(), 0), wm = e->w.in(w.data_ptr(), 1), dxm = e->dx.out(dx.data_ptr(), 2);
  onednn::execute(e->prim, {{DNNL_ARG_DIFF_DST, dym}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DIFF_SRC, dxm}});
  e->dx.finish(dxm, dx.data_ptr());
  return true;
}

struct BwdWeightEntry : onednn::CacheEntry {
  dnnl::convolution_backward_weights prim;
  Staged x, dy, dw;
};

bool onednn_backward_weight(const Tensor& dw, const Tensor& x, const Tensor& dy, const ConvGeom& g) {
  if (!onednn_ok(g)) return false;
  auto e = onednn::cached<BwdWeightEntry>(conv_key(4, g, false), [&] {
    ConvDims d = conv_dims(g);
    onednn::ConvShape s = conv_shape(d, false);
    auto hint = onednn::conv_fwd_pd(s, dnnl::prop_kind::forward_training);
    auto pd = onednn::conv_bwd_weights_pd(s, hint);
    auto ent = std::make_shared<BwdWeightEntry>();
    ent->prim = dnnl::convolution_backward_weights(pd);
    ent->x.init(plain_md(d.x), pd.src_desc(), true);
    ent->dy.init(plain_md(d.y), pd.diff_dst_desc(), true);
    ent->dw.init(plain_md(d.w), pd.diff_weights_desc(), false);
    return ent;
  });
  if (!e) return false;
  dnnl::memory xm = e->x.in(x.data_ptr(), 0), dym = e->dy.in(dy.data_ptr(), 1), dwm = e->dw.out(dw.data_ptr(), 2);
  onednn::execute(e->prim, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DIFF_DST, dym}, {DNNL_ARG_DIFF_WEIGHTS, dwm}});
  e->dw.finish(dwm, dw.data_ptr());
  return true;
}

// ---- inference forward with a fused epilogue ------------------------------------------------

struct InferEntry : onednn::CacheEntry {
  dnnl::convolution_forward prim;
  Staged x, w, y;
  dnnl::memory::desc bias;
  std::optional<dnnl::reorder> residual_in;  // plain residual into the primitive's dst layout
};

// Weights reordered once into the layout a primitive wants, for as long as the weight tensor is
// unchanged (its storage version) and in the cache. Holding `source` keeps the weight's storage
// alive, so no other tensor can reuse its address while the entry exists.
struct PackedWeights : onednn::CacheEntry {
  Tensor source;
  void* data = nullptr;
  ~PackedWeights() override { std::free(data); }
};

// Stride 1, no padding, no groups, 1x1 kernel.
bool pointwise(const ConvGeom& g) {
  if (g.G != 1) return false;
  for (int64_t i = 0; i < g.nd; ++i)
    if (g.k[i] != 1 || g.stride[i] != 1 || g.pad_l[i] != 0 || g.pad_r[i] != 0 || g.dil[i] != 1) return false;
  return true;
}

// The user layouts of a fused call: plain NCHW or channels-last (NHWC strides), per tensor.
struct FusedLayouts {
  bool x = false, y = false, residual = false;
};

onednn::Key fused_key(const ConvGeom& g, bool bias, const Epilogue& ep, const FusedLayouts& l) {
  onednn::Key k = conv_key(5, g, bias);
  k.add(ep.residual.defined() ? 1 : 0).add(static_cast<int64_t>(ep.act.kind)).add_double(ep.act.lo).add_double(ep.act.hi);
  k.add(l.x ? 1 : 0).add(l.y ? 1 : 0).add(l.residual ? 1 : 0);
  return k;
}

dnnl::memory::desc nhwc_md(const dims& d) { return dnnl::memory::desc(d, onednn::dt::f32, dnnl::memory::format_tag::nhwc); }
dnnl::memory::desc user_md(const dims& d, bool channels_last) { return channels_last ? nhwc_md(d) : plain_md(d); }

// x, y and the residual are float32, each plain NCHW or (2-D only) channels-last. A channels-last
// input or output is read or written by the primitive in place; a plain one goes through a
// reorder into the primitive's blocked layout, unless the 1x1 case below reads it as is.
bool onednn_forward_fused(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g,
                          const Epilogue& ep, bool pack_weights) {
  if (!onednn_ok(g)) return false;
  const FusedLayouts lay{is_channels_last_2d(x, g), is_channels_last_2d(y, g),
                         ep.residual.defined() && is_channels_last_2d(ep.residual, g)};
  const onednn::Key key = fused_key(g, bias.defined(), ep, lay);
  auto e = onednn::cached<InferEntry>(key, [&] {
    ConvDims d = conv_dims(g);
    dnnl::post_ops po;
    if (ep.residual.defined()) po.append_sum(1.f);
    append_activation(po, ep.act);
    dnnl::primitive_attr attr;
    attr.set_post_ops(po);
    onednn::ConvShape shape = conv_shape(d, bias.defined());
    if (lay.x) shape.src = nhwc_md(d.x);
    if (lay.y) shape.dst = nhwc_md(d.y);
    std::optional<dnnl::convolution_forward::primitive_desc> pd;
    if (!lay.x && !lay.y && pointwise(g) && ep.act.kind == Activation::Kind::None) {
      // A 1x1 convolution over plain NCHW is a GEMM per image, about as fast as the blocked
      // kernels; reading and writing the user's layout saves a reorder on each side. (Not with
      // an eltwise post-op, which oneDNN 2's GEMM convolution applies several times slower.)
      onednn::ConvShape plain = shape;
      plain.src = plain_md(d.x);
      plain.dst = plain_md(d.y);
      try {
        pd = onednn::conv_fwd_pd(plain, dnnl::prop_kind::forward_inference, attr);
        if (std::string(pd->impl_info_str()).find("ref") != std::string::npos) pd.reset();
      } catch (const dnnl::error&) {
        pd.reset();
      }
    }
    if (!pd) pd = onednn::conv_fwd_pd(shape, dnnl::prop_kind::forward_inference, attr);
    auto ent = std::make_shared<InferEntry>();
    ent->prim = dnnl::convolution_forward(*pd);
    ent->x.init(user_md(d.x, lay.x), pd->src_desc(), true);
    ent->w.init(plain_md(d.w), pd->weights_desc(), true);
    ent->y.init(user_md(d.y, lay.y), pd->dst_desc(), false);
    if (bias.defined()) ent->bias = plain_md(d.bias);
    if (ep.residual.defined()) {
      dnnl::memory::desc r = user_md(d.y, lay.residual);
      if (r != ent->y.want) ent->residual_in = onednn::make_reorder(r, ent->y.want);
    }
    return ent;
  });
  if (!e) return false;
  dnnl::memory wm;
  std::shared_ptr<PackedWeights> pw;  // held to the end: the cache may drop its copy meanwhile
  if (pack_weights && e->w.to_want) {
    onednn::Key wk(6);
    for (int64_t v : key.values()) wk.add(v);
    wk.add(static_cast<int64_t>(reinterpret_cast<uintptr_t>(w.data_ptr()))).add(w._version());
    pw = onednn::cached<PackedWeights>(wk, [&] {
      auto p = std::make_shared<PackedWeights>();
      p->source = w;
      size_t bytes = (e->w.want.get_size() + 63) / 64 * 64;
      p->data = std::aligned_alloc(64, bytes);
      SINTER_CHECK(p->data != nullptr, Error, "out of memory allocating ", bytes, " bytes of packed weights");
      onednn::reorder(*e->w.to_want, onednn::wrap(e->w.user, w.data_ptr()), onednn::wrap(e->w.want, p->data));
      return p;
    });
    wm = onednn::wrap(e->w.want, pw->data);
  } else {
    wm = e->w.in(w.data_ptr(), 1);
  }
  dnnl::memory xm = e->x.in(x.data_ptr(), 0), ym = e->y.out(y.data_ptr(), 2);
  if (ep.residual.defined()) {  // the sum post-op adds what dst holds
    if (e->residual_in) {
      onednn::reorder(*e->residual_in, onednn::wrap(user_md(onednn_dims(ep.residual), lay.residual), ep.residual.data_ptr()), ym);
    } else {
      std::memcpy(ym.get_data_handle(), ep.residual.data_ptr(), static_cast<size_t>(y.numel()) * sizeof(float));
    }
  }
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}};
  if (bias.defined()) args.emplace(DNNL_ARG_BIAS, onednn::wrap(e->bias, bias.data_ptr()));
  onednn::execute(e->prim, args);
  e->y.finish(ym, y.data_ptr());
  return true;
}

// Runs f(result_tensor) on a float32 stand-in of `out` when out is bfloat16, then converts back.
template <class F>
void via_float(const Tensor& out, F&& f) {
  if (out.dtype() != kBFloat16) return f(out);
  Tensor tmp = sinter::detail::make_empty(out.sizes(), kFloat, out.device());
  f(tmp);
  copy_kernel(out, tmp);
}

}  // namespace

void add_channel_bias(const Tensor& y, const Tensor& bias) {
  if (y.numel() == 0) return;
  const int64_t N = y.size(0), O = y.size(1), inner = y.numel() / (N * O);
  Tensor b = contiguous_as(bias, y.dtype());
  visit_conv_dtype(y.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* yp = static_cast<T*>(y.data_ptr());
    const T* bp = static_cast<const T*>(b.data_ptr());
    parallel_for(N * O, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(inner, 1)), [&](int64_t s, int64_t e) {
      for (int64_t t = s; t < e; ++t) {
        T* row = yp + t * inner;
        const auto bv = static_cast<compute_t<T>>(bp[t % O]);
        for (int64_t i = 0; i < inner; ++i) row[i] = cast<T>(static_cast<compute_t<T>>(row[i]) + bv);
      }
    });
  });
}

void conv_forward(const Tensor& y, const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, const ConvGeom& g,
                  bool reference) {
  if (y.numel() == 0) return;
  const DType d = y.dtype();
  const bool f32 = !reference && (d == kFloat || d == kBFloat16);
  const DType cd = f32 ? kFloat : d;
  Tensor x = contiguous_as(x_in, cd), w = contiguous_as(w_in, cd), b = b_in.defined() ? contiguous_as(b_in, cd) : b_in;
  auto run = [&](const Tensor& yo) {
    if (f32 && onednn_forward(yo, x, w, b, g)) return;
    visit_conv_dtype(cd, [&](auto tag) {
      using T = typename decltype(tag)::type;
      direct_forward<T>(static_cast<T*>(yo.data_ptr()), static_cast<const T*>(x.data_ptr()),
                        static_cast<const T*>(w.data_ptr()), b.defined() ? static_cast<const T*>(b.data_ptr()) : nullptr,
                        to3(g), !reference);
    });
  };
  if (f32) via_float(y, run);
  else run(y);
}

void conv_backward_data(const Tensor& dx, const Tensor& dy_in, const Tensor& w_in, const ConvGeom& g, bool reference) {
  if (dx.numel() == 0) return;
  const DType d = dx.dtype();
  const bool f32 = !reference && (d == kFloat || d == kBFloat16);
  const DType cd = f32 ? kFloat : d;
  Tensor dy = contiguous_as(dy_in, cd), w = contiguous_as(w_in, cd);
  auto run = [&](const Tensor& o) {
    if (f32 && onednn_backward_data(o, dy, w, g)) return;
    visit_conv_dtype(cd, [&](auto tag) {
      using T = typename decltype(tag)::type;
      direct_backward_data<T>(static_cast<T*>(o.data_ptr()), static_cast<const T*>(dy.data_ptr()),
                              static_cast<const T*>(w.data_ptr()), to3(g), !reference);
    });
  };
  if (f32) via_float(dx, run);
  else run(dx);
}

void conv_backward_weight(const Tensor& dw, const Tensor& x_in, const Tensor& dy_in, const ConvGeom& g,
                          bool reference) {
  if (dw.numel() == 0) return;
  const DType d = dw.dtype();
  const bool f32 = !reference && (d == kFloat || d == kBFloat16);
  const DType cd = f32 ? kFloat : d;
  Tensor x = contiguous_as(x_in, cd), dy = contiguous_as(dy_in, cd);
  auto run = [&](const Tensor& o) {
    if (f32 && onednn_backward_weight(o, x, dy, g)) return;
    visit_conv_dtype(cd, [&](auto tag) {
      using T = typename decltype(tag)::type;
      direct_backward_weight<T>(static_cast<T*>(o.data_ptr()), static_cast<const T*>(x.data_ptr()),
                                static_cast<const T*>(dy.data_ptr()), to3(g), !reference);
    });
  };
  if (f32) via_float(dw, run);
  else run(dw);
}


void conv_forward_fused(const Tensor& y, const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, const ConvGeom& g,
                        const Epilogue& ep, bool reference) {
  if (y.numel() == 0) return;
  const DType d = y.dtype();
  const bool fast = !reference && (d == kFloat || d == kBFloat16);
  // Channels-last float32 tensors go to oneDNN as they are; anything else is made plain first.
  auto usable = [&](const Tensor& t) {
    return t.dtype() == kFloat && (t.is_contiguous() || is_channels_last_2d(t, g)) ? t : contiguous_as(t, kFloat);
  };
  if (!y.is_contiguous() && !(fast && d == kFloat && is_channels_last_2d(y, g))) {
    Tensor tmp = sinter::detail::make_empty(y.sizes(), d, y.device());
    conv_forward_fused(tmp, x_in, w_in, b_in, g, ep, reference);
    copy_kernel(y, tmp);
    return;
  }
  if (!fast) {
    conv_forward(y, x_in, w_in, b_in, g, reference);
    return apply_epilogue(y, ep);
  }
  Tensor x = usable(x_in), w = contiguous_as(w_in, kFloat);
  Tensor b = b_in.defined() ? contiguous_as(b_in, kFloat) : b_in;
  Epilogue e{ep.residual.defined() ? usable(ep.residual) : Tensor(), ep.act};
  // Only a weight read in place is packed and kept (a converted copy is new on every call).
  const bool pack = w.impl() == w_in.impl();
  via_float(y, [&](const Tensor& yo) {
    if (onednn_forward_fused(yo, x, w, b, g, e, pack)) return;
    Tensor yc = yo.is_contiguous() ? yo : sinter::detail::make_empty(yo.sizes(), kFloat, yo.device());
    conv_forward(yc, x, w, b, g, false);
    apply_epilogue(yc, e);
    if (!yc.is_same(yo)) copy_kernel(yo, yc);
  });
}

}  // namespace sinter::kernels
