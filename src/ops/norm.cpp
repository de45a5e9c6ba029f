// Normalisation layers: batch_norm, layer_norm, group_norm, rms_norm.
//
// Each forward op computes its statistics in one kernel (two passes over the data with
// blocked accumulation, so float inputs keep double-like accuracy) and returns them as extra
// outputs for its backward. The first-order backward runs a fused kernel (the *_backward op);
// when a graph of the gradient is wanted (create_graph), the same gradient is written with
// sinter ops from the input instead, so higher-order gradients come from autograd.
#include <cmath>
#include <limits>
#include <vector>

#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/reduce_simd.h"
#include "ops/registry.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/nn.h"
#include "sinter/ops/unary.h"

namespace sinter {
namespace ops {
namespace {

Tensor contig(const Tensor& t) {
  if (!t.defined() || t.is_contiguous()) return t;
  NoGradGuard g;
  return t.contiguous();
}
/// The dtype statistics are kept in: float for float/half/bfloat16, double for double.
DType stat_dtype(DType d) { return d == kDouble ? kDouble : kFloat; }
/// t as a contiguous tensor of dtype d (undefined stays undefined), without autograd.
Tensor as_contig(const Tensor& t, DType d) {
  if (!t.defined()) return t;
  NoGradGuard g;
  Tensor r = t.dtype() == d ? t : t.to(d);
  return r.contiguous();
}
template <class A>
const A* ptr_or_null(const Tensor& t) {
  return t.defined() ? static_cast<const A*>(t.data_ptr()) : nullptr;
}

void check_float(const char* op, const char* what, const Tensor& t) {
  if (t.defined() && !is_floating_point(t.dtype()))
    throw DTypeError(detail::str_cat(op, ": expected ", what, " to be a floating point tensor, got dtype ",
                                     dtype_name(t.dtype())));
}

constexpr int64_t kBlock = 4096;

/// Sum over i in [0, n) of f(i), accumulated in A within blocks and in double across blocks.
template <class A, class F>
double bsum(int64_t n, F&& f) {
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    int64_t e = std::min(n, b + kBlock);
    A acc = 0;
#pragma omp simd reduction(+ : acc)
    for (int64_t i = b; i < e; ++i) acc += f(i);
    total += static_cast<double>(acc);
  }
  return total;
}

/// Sum of a contiguous row: the runtime-dispatched SIMD kernel for float/double, else bsum.
template <class T, class A>
double row_sum(const T* x, int64_t n) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) return kernels::simd::sum(x, n);
  else return bsum<A>(n, [&](int64_t j) { return static_cast<A>(x[j]); });
}
/// Sum of (x - c)^2 over a contiguous row (SIMD for float/double).
template <class T, class A>
double row_sq_dev(const T* x, int64_t n, A c) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    return kernels::simd::sum_sq_dev(x, n, c);
  } else {
    return bsum<A>(n, [&](int64_t j) {
      A d = static_cast<A>(x[j]) - c;
      return d * d;
    });
  }
}

/// Two sums in one pass: (sum of f(i).first, sum of f(i).second), blocked like bsum.
template <class A, class F>
std::pair<double, double> bsum2(int64_t n, F&& f) {
  double t1 = 0, t2 = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    int64_t e = std::min(n, b + kBlock);
    A a1 = 0, a2 = 0;
#pragma omp simd reduction(+ : a1, a2)
    for (int64_t i = b; i < e; ++i) {
      auto [v1, v2] = f(i);
      a1 += v1;
      a2 += v2;
    }
    t1 += static_cast<double>(a1);
    t2 += static_cast<double>(a2);
  }
  return {t1, t2};
}

/// The weight as a dense A array: w itself, or ones when there is none (keeps loops branch-free).
template <class A>
const A* weight_or_ones(const A* w, int64_t n, std::vector<A>& ones) {
  if (w) return w;
  ones.assign(static_cast<size_t>(n), A(1));
  return ones.data();
}

/// Splits `rows` rows into one chunk per thread; f(chunk, begin, end) runs each chunk.
template <class F>
int64_t for_row_chunks(int64_t rows, int64_t row_work, F&& f) {
  int64_t nt = std::max(1, omp_get_max_threads());
  int64_t chunks = rows * row_work < kernels::kGrainSize ? 1 : std::min<int64_t>(nt, rows);
  chunks = std::max<int64_t>(chunks, 1);
  kernels::parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) f(k, rows * k / chunks, rows * (k + 1) / chunks);
  });
  return chunks;
}

template <class F>
void parallel_rows(int64_t rows, int64_t row_work, F&& f) {
  int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(row_work, 1));
  kernels::parallel_for(rows, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) f(i);
  });
}

/// A (C) vector viewed as (1, C, 1, ..., 1) for an input of `ndim` dims.
Tensor per_channel(const Tensor& v, int64_t ndim) {
  DimVector s(static_cast<size_t>(ndim), 1);
  s[1] = v.numel();
  return v.reshape(s);
}

DimVector iota_dims(int64_t from, int64_t to) {
  DimVector d;
  for (int64_t i = from; i < to; ++i) d.push_back(i);
  return d;
}

/// x normalised over `dims` with sinter ops (differentiable to any order):
/// xhat = (x - mean) * rstd, rstd = rsqrt(var + eps) (biased variance).
struct Normed {
  Tensor xhat, rstd;
};
Normed normalize_composite(const Tensor& x, IntArrayRef dims, int64_t count, double eps) {
  double inv = 1.0 / static_cast<double>(count);
  Tensor xc = x - x.sum(dims, true) * inv;
  Tensor rstd = rsqrt((xc * xc).sum(dims, true) * inv + eps);
  return {xc * rstd, rstd};
}
/// The vector-Jacobian product of that normalisation for an upstream gradient g (same dims):
/// rstd * (g - mean(g) - xhat * mean(g * xhat)).
Tensor normalize_vjp(const Normed& n, const Tensor& g, IntArrayRef dims, int64_t count) {
  double inv = 1.0 / static_cast<double>(count);
  return n.rstd * (g - g.sum(dims, true) * inv - n.xhat * ((g * n.xhat).sum(dims, true) * inv));
}

// ================================ layer_norm ================================================
// layer_norm(input, weight?, bias?; normalized_shape, eps) -> (out, mean, rstd)
// mean/rstd: input.shape[:-k] + (1,)*k in the statistics dtype.

struct LnGeom {
  int64_t M = 1, D = 1;  // rows, row length
  DimVector stat_sizes;
};

LnGeom ln_geom(const char* op, const Tensor& x, IntArrayRef ns) {
  SINTER_CHECK(!ns.empty(), ShapeError, op,
               ": expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got "
               "normalized_shape = ()");
  int64_t k = static_cast<int64_t>(ns.size());
  bool ok = x.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i) ok = x.size(x.dim() - k + i) == ns[i];
  if (!ok) {
    std::string dims;
    for (size_t i = 0; i < ns.size(); ++i) dims += (i ? ", " : "") + std::to_string(ns[i]);
    throw ShapeError(detail::str_cat(op, ": given normalized_shape=[", dims, "], expected input with shape [*, ", dims,
                                     "], but got input of shape ", shape_str(x.sizes())));
  }
  LnGeom g;
  for (int64_t i = 0; i < x.dim() - k; ++i) {
    g.M *= x.size(i);
    g.stat_sizes.push_back(x.size(i));
  }
  for (int64_t i = 0; i < k; ++i) {
    g.D *= ns[i];
    g.stat_sizes.push_back(1);
  }
  return g;
}

void check_affine_shape(const char* op, const char* what, const Tensor& t, IntArrayRef ns) {
  if (!t.defined()) return;
  SINTER_CHECK(t.sizes() == ns, ShapeError, op, ": expected ", what, " to be of same shape as normalized_shape, but got ",
               what, " of shape ", shape_str(t.sizes()), " and normalized_shape = ", shape_str(ns));
}

void layer_norm_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& x = c.in[0];
  check_float(op, "input", x);
  check_float(op, "weight", c.in[1]);
  check_float(op, "bias", c.in[2]);
  IntArrayRef ns = c.attrs.ints(0);
  LnGeom g = ln_geom(op, x, ns);
  check_affine_shape(op, "weight", c.in[1], ns);
  check_affine_shape(op, "bias", c.in[2], ns);
  out[0].sizes = DimVector(x.sizes());
  out[0].dtype = x.dtype();
  out[1].sizes = out[2].sizes = g.stat_sizes;
  out[1].dtype = out[2].dtype = stat_dtype(x.dtype());
  n = 3;
}

template <bool Fast>
void layer_norm_kernel(const OpCall& c) {
  const Tensor& x0 = c.in[0];
  LnGeom g = ln_geom(c.op.name.c_str(), x0, c.attrs.ints(0));
  double eps = c.attrs.f(1);
  Tensor x = contig(x0);
  DType sd = stat_dtype(x.dtype());
  Tensor w = as_contig(c.in[1], sd), b = as_contig(c.in[2], sd);
  const int64_t M = g.M, D = g.D;
  visit_float_dtype(x.dtype(), "layer_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(c.out[0].data_ptr());
    A* mp = static_cast<A*>(c.out[1].data_ptr());
    A* rp = static_cast<A*>(c.out[2].data_ptr());
    const A* wp = ptr_or_null<A>(w);
    const A* bp = ptr_or_null<A>(b);
    parallel_rows(M, 3 * D, [&](int64_t i) {
      const T* xr = xp + i * D;
      T* yr = yp + i * D;
      double mean, var;
      if constexpr (Fast) {
        mean = row_sum<T, A>(xr, D) / static_cast<double>(D);
        var = row_sq_dev<T, A>(xr, D, static_cast<A>(mean)) / static_cast<double>(D);
      } else {
        double s = 0, s2 = 0;
        for (int64_t j = 0; j < D; ++j) s += static_cast<double>(static_cast<A>(xr[j]));
        mean = s / static_cast<double>(D);
        for (int64_t j = 0; j < D; ++j) {
          double d = static_cast<double>(static_cast<A>(xr[j])) - mean;
          s2 += d * d;
        }
        var = s2 / static_cast<double>(D);
      }
      const A m = static_cast<A>(mean);
      const A r = static_cast<A>(1.0 / std::sqrt(var + eps));
      mp[i] = m;
      rp[i] = r;
      if (wp && bp) {
#pragma omp simd
        for (int64_t j = 0; j < D; ++j) yr[j] = T((static_cast<A>(xr[j]) - m) * r * wp[j] + bp[j]);
      } else if (wp) {
#pragma omp simd
        for (int64_t j = 0; j < D; ++j) yr[j] = T((static_cast<A>(xr[j]) - m) * r * wp[j]);
      } else if (bp) {
#pragma omp simd
        for (int64_t j = 0; j < D; ++j) yr[j] = T((static_cast<A>(xr[j]) - m) * r + bp[j]);
      } else {
#pragma omp simd
        for (int64_t j = 0; j < D; ++j) yr[j] = T((static_cast<A>(xr[j]) - m) * r);
      }
    });
  });
}

// layer_norm_backward(grad_out, input, mean, rstd, weight?; normalized_shape, output_mask)
//   -> (grad_input, grad_weight, grad_bias); outputs not in the mask are empty.
void layer_norm_bwd_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& x = c.in[1];
  IntArrayRef ns = c.attrs.ints(0);
  IntArrayRef mask = c.attrs.ints(1);
  LnGeom g = ln_geom(op, x, ns);
  SINTER_CHECK(c.in[0].sizes() == x.sizes(), ShapeError, op, ": grad_output ", shape_str(c.in[0].sizes()),
               " does not match input ", shape_str(x.sizes()));
  SINTER_CHECK(c.in[2].numel() == g.M && c.in[3].numel() == g.M, ShapeError, op, ": mean/rstd of ", c.in[2].numel(),
               " elements do not match ", g.M, " rows");
  SINTER_CHECK(mask.size() == 3, ValueError, op, ": output_mask must have 3 entries");
  check_affine_shape(op, "weight", c.in[4], ns);
  out[0].sizes = mask[0] ? DimVector(x.sizes()) : DimVector{0};
  out[1].sizes = mask[1] ? DimVector(ns) : DimVector{0};
  out[2].sizes = mask[2] ? DimVector(ns) : DimVector{0};
  out[0].dtype = x.dtype();
  out[1].dtype = out[2].dtype = c.in[4].defined() ? c.in[4].dtype() : x.dtype();
  n = 3;
}

template <bool Fast>
void layer_norm_bwd_kernel(const OpCall& c) {
  LnGeom g = ln_geom(c.op.name.c_str(), c.in[1], c.attrs.ints(0));
  IntArrayRef mask = c.attrs.ints(1);
  Tensor go = contig(c.in[0]), x = contig(c.in[1]);
  DType sd = stat_dtype(x.dtype());
  Tensor mean = as_contig(c.in[2], sd), rstd = as_contig(c.in[3], sd), w = as_contig(c.in[4], sd);
  const int64_t M = g.M, D = g.D;
  visit_float_dtype(x.dtype(), "layer_norm_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* gp = static_cast<const T*>(go.data_ptr());
    const T* xp = static_cast<const T*>(x.data_ptr());
    const A* mp = static_cast<const A*>(mean.data_ptr());
    const A* rp = static_cast<const A*>(rstd.data_ptr());
    const A* wp = ptr_or_null<A>(w);
    std::vector<A> ones;
    const A* wv = weight_or_ones(wp, D, ones);
    T* gi = mask[0] ? static_cast<T*>(c.out[0].data_ptr()) : nullptr;
    bool need_wb = mask[1] || mask[2];
    // Per-chunk partial sums of grad_weight (gO * xhat) and grad_bias (gO), in double.
    int64_t max_chunks = std::max(1, omp_get_max_threads());
    std::vector<double> pw(need_wb ? static_cast<size_t>(max_chunks * D) : 0, 0.0);
    std::vector<double> pb(need_wb ? static_cast<size_t>(max_chunks * D) : 0, 0.0);
    int64_t chunks = for_row_chunks(M, 4 * D, [&](int64_t k, int64_t rb, int64_t re) {
      double* pwk = need_wb ? pw.data() + k * D : nullptr;
      double* pbk = need_wb ? pb.data() + k * D : nullptr;
      for (int64_t i = rb; i < re; ++i) {
        const T* gr = gp + i * D;
        const T* xr = xp + i * D;
        const A m = mp[i], r = rp[i];
        if (gi) {
          double sg, sgx;
          if constexpr (Fast) {
            std::tie(sg, sgx) = bsum2<A>(D, [&](int64_t j) {
              A gj = static_cast<A>(gr[j]) * wv[j];
              return std::pair<A, A>(gj, gj * (static_cast<A>(xr[j]) - m));
            });
          } else {
            sg = sgx = 0;
            for (int64_t j = 0; j < D; ++j) {
              double gj = static_cast<double>(static_cast<A>(gr[j])) * static_cast<double>(wv[j]);
              sg += gj;
              sgx += gj * (static_cast<double>(static_cast<A>(xr[j])) - static_cast<double>(m));
            }
          }
          // grad_input = r * (g - mean(g) - xhat * mean(g * xhat)), xhat = (x - m) * r
          const A a = static_cast<A>(sg / static_cast<double>(D));
          const A bcoef = static_cast<A>(sgx / static_cast<double>(D)) * r * r;
          T* out = gi + i * D;
#pragma omp simd
          for (int64_t j = 0; j < D; ++j) {
            A gj = static_cast<A>(gr[j]) * wv[j];
            out[j] = T(r * (gj - a - (static_cast<A>(xr[j]) - m) * bcoef));
          }
        }
        if (need_wb) {
          for (int64_t j = 0; j < D; ++j) {
            double gj = static_cast<double>(static_cast<A>(gr[j]));
            pwk[j] += gj * static_cast<double>((static_cast<A>(xr[j]) - m) * r);
            pbk[j] += gj;
          }
        }
      }
    });
    auto finish = [&](int which, const std::vector<double>& part) {
      if (!mask[which]) return;
      const Tensor& o = c.out[which];
      visit_float_dtype(o.dtype(), "layer_norm_backward", [&](auto otag) {
        using O = typename decltype(otag)::type;
        O* op = static_cast<O*>(o.data_ptr());
        for (int64_t j = 0; j < D; ++j) {
          double s = 0;
          for (int64_t k = 0; k < chunks; ++k) s += part[static_cast<size_t>(k * D + j)];
          op[j] = cast<O>(s);
        }
      });
    };
    finish(1, pw);
    finish(2, pb);
  });
}

// The gradient of layer_norm written with sinter ops (used when a graph of it is wanted).
TensorList layer_norm_grad_composite(const Tensor& go, const Tensor& x, const Tensor& w, IntArrayRef ns, double eps,
                                     const std::vector<bool>& need) {
  int64_t k = static_cast<int64_t>(ns.size());
  DimVector dims = iota_dims(x.dim() - k, x.dim()), lead = iota_dims(0, x.dim() - k);
  int64_t D = 1;
  for (auto s : ns) D *= s;
  Normed nm = normalize_composite(x, dims, D, eps);
  const Tensor& xhat = nm.xhat;
  TensorList r(3);
  if (need[0]) r[0] = normalize_vjp(nm, w.defined() ? go * w : go, dims, D);
  if (need[1]) r[1] = lead.empty() ? go * xhat : (go * xhat).sum(lead);
  if (need[2]) r[2] = lead.empty() ? go : go.sum(lead);
  return r;
}

extern OpDef& layer_norm_bwd_op;

TensorList layer_norm_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  const Tensor& w = c.input(1);
  std::vector<bool> need{c.needs(0), c.needs(1) && w.defined(), c.needs(2) && c.input(2).defined()};
  if (GradMode::is_enabled())
    return layer_norm_grad_composite(g[0], x, w, c.attrs.ints(0), c.attrs.f(1), need);
  Outputs o = call_multi(layer_norm_bwd_op, {g[0], x, c.output(1), c.output(2), w},
                         {DimVector(c.attrs.ints(0)), DimVector{need[0], need[1], need[2]}});
  TensorList r(3);
  for (size_t i = 0; i < 3; ++i)
    if (need[i]) r[i] = o.release(i);
  return r;
}

OpDef& layer_norm_op = def("layer_norm").input("input").input("weight").input("bias").attr("normalized_shape")
                           .attr("eps", 1e-5).outputs(3).set_meta(layer_norm_meta).set_cpu(layer_norm_kernel<true>)
                           .set_cpu_ref(layer_norm_kernel<false>)
                           .set_backward(layer_norm_backward, kSaveInputs | kSaveOutputs)
                           .set_onnx("LayerNormalization");
OpDef& layer_norm_bwd_op = def("layer_norm_backward").input("grad_output").input("input").input("mean").input("rstd")
                               .input("weight").attr("normalized_shape").attr("output_mask", DimVector{1, 1, 1})
                               .outputs(3).set_meta(layer_norm_bwd_meta).set_cpu(layer_norm_bwd_kernel<true>)
                               .set_cpu_ref(layer_norm_bwd_kernel<false>);

// ================================ rms_norm ==================================================
// rms_norm(input, weight?; normalized_shape, eps (None: finfo(dtype).eps)) -> (out, rstd)

double rms_eps(const Attrs& a, DType d) {
  if (!a.is_none(1)) return a.f(1);
  switch (d) {
    case kDouble: return std::numeric_limits<double>::epsilon();
    case kHalf: return 0.0009765625;     // 2^-10
    case kBFloat16: return 0.0078125;    // 2^-7
    default: return std::numeric_limits<float>::epsilon();
  }
}

void rms_norm_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& x = c.in[0];
  check_float(op, "input", x);
  check_float(op, "weight", c.in[1]);
  IntArrayRef ns = c.attrs.ints(0);
  LnGeom g = ln_geom(op, x, ns);
  check_affine_shape(op, "weight", c.in[1], ns);
  out[0].sizes = DimVector(x.sizes());
  out[0].dtype = x.dtype();
  out[1].sizes = g.stat_sizes;
  out[1].dtype = stat_dtype(x.dtype());
  n = 2;
}

template <bool Fast>
void rms_norm_kernel(const OpCall& c) {
  LnGeom g = ln_geom(c.op.name.c_str(), c.in[0], c.attrs.ints(0));
  Tensor x = contig(c.in[0]);
  double eps = rms_eps(c.attrs, x.dtype());
  DType sd = stat_dtype(x.dtype());
  Tensor w = as_contig(c.in[1], sd);
  const int64_t M = g.M, D = g.D;
  visit_float_dtype(x.dtype(), "rms_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(c.out[0].data_ptr());
    A* rp = static_cast<A*>(c.out[1].data_ptr());
    const A* wp = ptr_or_null<A>(w);
    parallel_rows(M, 2 * D, [&](int64_t i) {
      const T* xr = xp + i * D;
      T* yr = yp + i * D;
      double ss;
      if constexpr (Fast) {
        ss = row_sq_dev<T, A>(xr, D, A(0));
      } else {
        ss = 0;
        for (int64_t j = 0; j < D; ++j) {
          double v = static_cast<double>(static_cast<A>(xr[j]));
          ss += v * v;
        }
      }
      const A r = static_cast<A>(1.0 / std::sqrt(ss / static_cast<double>(D) + eps));
      rp[i] = r;
      if (wp) {
#pragma omp simd
        for (int64_t j = 0; j < D; ++j) yr[j] = T(static_cast<A>(xr[j]) * r * wp[j]);
      } else {
#pragma omp simd
        for (int64_t j = 0; j < D; ++j) yr[j] = T(static_cast<A>(xr[j]) * r);
      }
    });
  });
}

// rms_norm_backward(grad_out, input, rstd, weight?; normalized_shape, output_mask) -> (grad_input, grad_weight)
void rms_norm_bwd_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& x = c.in[1];
  IntArrayRef ns = c.attrs.ints(0);
  IntArrayRef mask = c.attrs.ints(1);
  LnGeom g = ln_geom(op, x, ns);
  SINTER_CHECK(c.in[0].sizes() == x.sizes() && c.in[2].numel() == g.M && mask.size() == 2, ShapeError, op,
               ": grad_output ", shape_str(c.in[0].sizes()), " / rstd ", shape_str(c.in[2].sizes()),
               " do not match input ", shape_str(x.sizes()));
  check_affine_shape(op, "weight", c.in[3], ns);
  out[0].sizes = mask[0] ? DimVector(x.sizes()) : DimVector{0};
  out[1].sizes = mask[1] ? DimVector(ns) : DimVector{0};
  out[0].dtype = x.dtype();
  out[1].dtype = c.in[3].defined() ? c.in[3].dtype() : x.dtype();
  n = 2;
}

template <bool Fast>
void rms_norm_bwd_kernel(const OpCall& c) {
  LnGeom g = ln_geom(c.op.name.c_str(), c.in[1], c.attrs.ints(0));
  IntArrayRef mask = c.attrs.ints(1);
  Tensor go = contig(c.in[0]), x = contig(c.in[1]);
  DType sd = stat_dtype(x.dtype());
  Tensor rstd = as_contig(c.in[2], sd), w = as_contig(c.in[3], sd);
  const int64_t M = g.M, D = g.D;
  visit_float_dtype(x.dtype(), "rms_norm_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* gp = static_cast<const T*>(go.data_ptr());
    const T* xp = static_cast<const T*>(x.data_ptr());
    const A* rp = static_cast<const A*>(rstd.data_ptr());
    std::vector<A> ones;
    const A* wv = weight_or_ones(ptr_or_null<A>(w), D, ones);
    T* gi = mask[0] ? static_cast<T*>(c.out[0].data_ptr()) : nullptr;
    int64_t max_chunks = std::max(1, omp_get_max_threads());
    std::vector<double> pw(mask[1] ? static_cast<size_t>(max_chunks * D) : 0, 0.0);
    int64_t chunks = for_row_chunks(M, 3 * D, [&](int64_t k, int64_t rb, int64_t re) {
      for (int64_t i = rb; i < re; ++i) {
        const T* gr = gp + i * D;
        const T* xr = xp + i * D;
        const A r = rp[i];
        if (gi) {
          double sgx;
          if constexpr (Fast) {
            sgx = bsum<A>(D, [&](int64_t j) { return static_cast<A>(gr[j]) * wv[j] * static_cast<A>(xr[j]); });
          } else {
            sgx = 0;
            for (int64_t j = 0; j < D; ++j)
              sgx += static_cast<double>(static_cast<A>(gr[j])) * static_cast<double>(wv[j]) *
                     static_cast<double>(static_cast<A>(xr[j]));
          }
          // grad_input = r * g - x * r^3 * mean(g * x), g = gO * w
          const A bcoef = static_cast<A>(sgx / static_cast<double>(D)) * r * r * r;
          T* out = gi + i * D;
#pragma omp simd
          for (int64_t j = 0; j < D; ++j)
            out[j] = T(r * static_cast<A>(gr[j]) * wv[j] - static_cast<A>(xr[j]) * bcoef);
        }
        if (mask[1]) {
          double* pwk = pw.data() + k * D;
          for (int64_t j = 0; j < D; ++j)
            pwk[j] += static_cast<double>(static_cast<A>(gr[j])) * static_cast<double>(static_cast<A>(xr[j]) * r);
        }
      }
    });
    if (mask[1]) {
      const Tensor& o = c.out[1];
      visit_float_dtype(o.dtype(), "rms_norm_backward", [&](auto otag) {
        using O = typename decltype(otag)::type;
        O* op = static_cast<O*>(o.data_ptr());
        for (int64_t j = 0; j < D; ++j) {
          double s = 0;
          for (int64_t k = 0; k < chunks; ++k) s += pw[static_cast<size_t>(k * D + j)];
          op[j] = cast<O>(s);
        }
      });
    }
  });
}

extern OpDef& rms_norm_bwd_op;

TensorList rms_norm_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  const Tensor& w = c.input(1);
  IntArrayRef ns = c.attrs.ints(0);
  std::vector<bool> need{c.needs(0), c.needs(1) && w.defined()};
  TensorList r(2);
  if (GradMode::is_enabled()) {
    int64_t k = static_cast<int64_t>(ns.size());
    DimVector dims = iota_dims(x.dim() - k, x.dim()), lead = iota_dims(0, x.dim() - k);
    int64_t D = 1;
    for (auto s : ns) D *= s;
    double inv = 1.0 / static_cast<double>(D);
    Tensor rstd = rsqrt((x * x).sum(dims, true) * inv + rms_eps(c.attrs, x.dtype()));
    if (need[0]) {
      Tensor gw = w.defined() ? g[0] * w : g[0];
      r[0] = rstd * gw - x * (rstd * rstd * rstd) * ((gw * x).sum(dims, true) * inv);
    }
    if (need[1]) r[1] = lead.empty() ? g[0] * x * rstd : (g[0] * x * rstd).sum(lead);
    return r;
  }
  Outputs o = call_multi(rms_norm_bwd_op, {g[0], x, c.output(1), w}, {DimVector(ns), DimVector{need[0], need[1]}});
  for (size_t i = 0; i < 2; ++i)
    if (need[i]) r[i] = o.release(i);
  return r;
}

OpDef& rms_norm_op = def("rms_norm").input("input").input("weight").attr("normalized_shape").attr("eps").outputs(2)
                         .set_meta(rms_norm_meta).set_cpu(rms_norm_kernel<true>).set_cpu_ref(rms_norm_kernel<false>)
                         .set_backward(rms_norm_backward, kSaveInputs | kSaveOutputs).set_onnx("RMSNormalization");
OpDef& rms_norm_bwd_op = def("rms_norm_backward").input("grad_output").input("input").input("rstd").input("weight")
                             .attr("normalized_shape").attr("output_mask", DimVector{1, 1}).outputs(2)
                             .set_meta(rms_norm_bwd_meta).set_cpu(rms_norm_bwd_kernel<true>)
                             .set_cpu_ref(rms_norm_bwd_kernel<false>);

// ================================ batch_norm ================================================
// batch_norm(input, weight?, bias?, running_mean?, running_var?; training, momentum, eps)
//   -> (out, save_mean (C), save_invstd (C)). In training the batch statistics normalise (biased
//   variance) and the running statistics, when given, are updated in place with the unbiased
//   variance; in evaluation the running statistics normalise.

struct BnGeom {
  int64_t N = 0, C = 0, S = 1;  // input viewed as (N, C, S)
};
BnGeom bn_geom(const Tensor& x) {
  BnGeom g;
  g.N = x.size(0);
  g.C = x.size(1);
  for (int64_t d = 2; d < x.dim(); ++d) g.S *= x.size(d);
  return g;
}

void check_channels(const char* op, const char* what, const Tensor& t, int64_t C) {
  if (!t.defined()) return;
  SINTER_CHECK(t.numel() == C, ShapeError, op, ": ", what, " should contain ", C, " elements not ", t.numel(),
               " (got shape ", shape_str(t.sizes()), " for an input with ", C, " channels)");
}

void batch_norm_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& x = c.in[0];
  SINTER_CHECK(x.dim() >= 2, ShapeError, op, ": expected an input of shape (N, C, *) with at least 2 dims, got shape ",
               shape_str(x.sizes()));
  check_float(op, "input", x);
  const char* names[] = {"input", "weight", "bias", "running_mean", "running_var"};
  for (size_t i = 1; i < 5; ++i) {
    check_float(op, names[i], c.in[i]);
    check_channels(op, names[i], c.in[i], x.size(1));
  }
  bool training = c.attrs.b(0);
  if (!training) {
    SINTER_CHECK(c.in[3].defined(), ValueError, op, ": running_mean must be defined in evaluation mode");
    SINTER_CHECK(c.in[4].defined(), ValueError, op, ": running_var must be defined in evaluation mode");
  } else {
    BnGeom g = bn_geom(x);
    SINTER_CHECK(g.N * g.S > 1, ValueError, op, ": expected more than 1 value per channel when training, got input of shape ",
                 shape_str(x.sizes()));
  }
  out[0].sizes = DimVector(x.sizes());
  out[0].dtype = x.dtype();
  out[1].sizes = out[2].sizes = DimVector{x.size(1)};
  out[1].dtype = out[2].dtype = stat_dtype(x.dtype());
  n = 3;
}

/// Reads element i of a 1-D (possibly strided) float tensor as double.
double get1(const Tensor& t, int64_t i) {
  return visit_float_dtype(t.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    return static_cast<double>(static_cast<compute_t<T>>(static_cast<const T*>(t.data_ptr())[i * t.stride(-1)]));
  });
}
void set1(const Tensor& t, int64_t i, double v) {
  visit_float_dtype(t.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    static_cast<T*>(t.data_ptr())[i * t.stride(-1)] = cast<T>(v);
  });
}

template <bool Fast>
void batch_norm_kernel(const OpCall& c) {
  Tensor x = contig(c.in[0]);
  DType sd = stat_dtype(x.dtype());
  Tensor w = as_contig(c.in[1], sd), b = as_contig(c.in[2], sd);
  Tensor rm = c.in[3], rv = c.in[4];
  bool training = c.attrs.b(0);
  double momentum = c.attrs.f(1), eps = c.attrs.f(2);
  BnGeom g = bn_geom(x);
  const int64_t N = g.N, C = g.C, S = g.S;
  const int64_t M = N * S;
  visit_float_dtype(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(c.out[0].data_ptr());
    A* mp = static_cast<A*>(c.out[1].data_ptr());
    A* ip = static_cast<A*>(c.out[2].data_ptr());
    const A* wp = ptr_or_null<A>(w);
    const A* bp = ptr_or_null<A>(b);
    std::vector<double> var_unbiased(static_cast<size_t>(C), 0.0);
    if (training) {
      parallel_rows(C, 2 * M, [&](int64_t ch) {
        double s = 0;
        for (int64_t n = 0; n < N; ++n) {
          const T* pl = xp + (n * C + ch) * S;
          if constexpr (Fast) s += row_sum<T, A>(pl, S);
          else
            for (int64_t j = 0; j < S; ++j) s += static_cast<double>(static_cast<A>(pl[j]));
        }
        double mean = M ? s / static_cast<double>(M) : 0.0;
        double s2 = 0;
        const A m = static_cast<A>(mean);
        for (int64_t n = 0; n < N; ++n) {
          const T* pl = xp + (n * C + ch) * S;
          if constexpr (Fast) {
            s2 += row_sq_dev<T, A>(pl, S, m);
          } else {
            for (int64_t j = 0; j < S; ++j) {
              double d = static_cast<double>(static_cast<A>(pl[j])) - mean;
              s2 += d * d;
            }
          }
        }
        double var = M ? s2 / static_cast<double>(M) : 0.0;
        mp[ch] = m;
        ip[ch] = static_cast<A>(1.0 / std::sqrt(var + eps));
        var_unbiased[static_cast<size_t>(ch)] = M > 1 ? s2 / static_cast<double>(M - 1) : 0.0;
      });
      // running = (1 - momentum) * running + momentum * batch statistic
      for (int64_t ch = 0; ch < C; ++ch) {
        if (rm.defined()) set1(rm, ch, (1 - momentum) * get1(rm, ch) + momentum * static_cast<double>(mp[ch]));
        if (rv.defined())
          set1(rv, ch, (1 - momentum) * get1(rv, ch) + momentum * var_unbiased[static_cast<size_t>(ch)]);
      }
      if (rm.defined()) rm.storage()->bump_version();
      if (rv.defined() && !(rm.defined() && rv.storage() == rm.storage())) rv.storage()->bump_version();
    } else {
      for (int64_t ch = 0; ch < C; ++ch) {
        mp[ch] = static_cast<A>(get1(rm, ch));
        ip[ch] = static_cast<A>(1.0 / std::sqrt(get1(rv, ch) + eps));
      }
    }
    // y = (x - mean) * alpha + bias per channel (centred first: exact when x is near the mean)
    parallel_rows(N * C, S, [&](int64_t pl) {
      int64_t ch = pl % C;
      const A alpha = ip[ch] * (wp ? wp[ch] : A(1));
      const A beta = bp ? bp[ch] : A(0);
      const A m = mp[ch];
      const T* xr = xp + pl * S;
      T* yr = yp + pl * S;
      if constexpr (Fast) {
#pragma omp simd
        for (int64_t j = 0; j < S; ++j) yr[j] = T((static_cast<A>(xr[j]) - m) * alpha + beta);
      } else {
        for (int64_t j = 0; j < S; ++j)
          yr[j] = T((static_cast<A>(xr[j]) - mp[ch]) * ip[ch] * (wp ? wp[ch] : A(1)) + (bp ? bp[ch] : A(0)));
      }
    });
  });
}

// batch_norm_backward(grad_out, input, weight?, save_mean, save_invstd; training, output_mask)
//   -> (grad_input, grad_weight, grad_bias)
void batch_norm_bwd_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& x = c.in[1];
  IntArrayRef mask = c.attrs.ints(1);
  SINTER_CHECK(x.dim() >= 2 && c.in[0].sizes() == x.sizes() && mask.size() == 3, ShapeError, op, ": grad_output ",
               shape_str(c.in[0].sizes()), " does not match input ", shape_str(x.sizes()));
  check_channels(op, "weight", c.in[2], x.size(1));
  check_channels(op, "save_mean", c.in[3], x.size(1));
  check_channels(op, "save_invstd", c.in[4], x.size(1));
  DimVector cs{x.size(1)};
  out[0].sizes = mask[0] ? DimVector(x.sizes()) : DimVector{0};
  out[1].sizes = mask[1] ? cs : DimVector{0};
  out[2].sizes = mask[2] ? cs : DimVector{0};
  out[0].dtype = x.dtype();
  out[1].dtype = out[2].dtype = c.in[2].defined() ? c.in[2].dtype() : x.dtype();
  n = 3;
}

template <bool Fast>
void batch_norm_bwd_kernel(const OpCall& c) {
  Tensor go = contig(c.in[0]), x = contig(c.in[1]);
  DType sd = stat_dtype(x.dtype());
  Tensor w = as_contig(c.in[2], sd), mean = as_contig(c.in[3], sd), invstd = as_contig(c.in[4], sd);
  bool training = c.attrs.b(0);
  IntArrayRef mask = c.attrs.ints(1);
  BnGeom g = bn_geom(x);
  const int64_t N = g.N, C = g.C, S = g.S, M = N * S;
  visit_float_dtype(x.dtype(), "batch_norm_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* gp = static_cast<const T*>(go.data_ptr());
    const T* xp = static_cast<const T*>(x.data_ptr());
    const A* wp = ptr_or_null<A>(w);
    const A* mp = static_cast<const A*>(mean.data_ptr());
    const A* ip = static_cast<const A*>(invstd.data_ptr());
    // Per channel: sum(gO) and sum(gO * (x - mean)).
    std::vector<double> sg(static_cast<size_t>(C)), sgx(static_cast<size_t>(C));
    parallel_rows(C, 2 * M, [&](int64_t ch) {
      double a = 0, b = 0;
      const A m = mp[ch];
      for (int64_t n = 0; n < N; ++n) {
        const T* gpl = gp + (n * C + ch) * S;
        const T* xpl = xp + (n * C + ch) * S;
        if constexpr (Fast) {
          a += bsum<A>(S, [&](int64_t j) { return static_cast<A>(gpl[j]); });
          b += bsum<A>(S, [&](int64_t j) { return static_cast<A>(gpl[j]) * (static_cast<A>(xpl[j]) - m); });
        } else {
          for (int64_t j = 0; j < S; ++j) {
            double gj = static_cast<double>(static_cast<A>(gpl[j]));
            a += gj;
            b += gj * (static_cast<double>(static_cast<A>(xpl[j])) - static_cast<double>(m));
          }
        }
      }
      sg[static_cast<size_t>(ch)] = a;
      sgx[static_cast<size_t>(ch)] = b;
    });
    if (mask[0]) {
      T* gi = static_cast<T*>(c.out[0].data_ptr());
      // grad_input = ka * gO + kb * (x - mean) + kc per channel.
      std::vector<A> ka(static_cast<size_t>(C)), kb(static_cast<size_t>(C)), kc(static_cast<size_t>(C));
      for (int64_t ch = 0; ch < C; ++ch) {
        double r = static_cast<double>(ip[ch]);
        double k1 = r * (wp ? static_cast<double>(wp[ch]) : 1.0);
        size_t u = static_cast<size_t>(ch);
        if (training && M > 0) {
          double b = -k1 * r * r * sgx[u] / static_cast<double>(M);
          ka[u] = static_cast<A>(k1);
          kb[u] = static_cast<A>(b);
          kc[u] = static_cast<A>(-k1 * sg[u] / static_cast<double>(M));
        } else {
          ka[u] = static_cast<A>(k1);
          kb[u] = kc[u] = A(0);
        }
      }
      parallel_rows(N * C, S, [&](int64_t pl) {
        size_t u = static_cast<size_t>(pl % C);
        const A a = ka[u], b = kb[u], k = kc[u], m = mp[pl % C];
        const T* gr = gp + pl * S;
        const T* xr = xp + pl * S;
        T* out = gi + pl * S;
#pragma omp simd
        for (int64_t j = 0; j < S; ++j) out[j] = T(a * static_cast<A>(gr[j]) + b * (static_cast<A>(xr[j]) - m) + k);
      });
    }
    auto put = [&](int which, auto&& val) {
      if (!mask[which]) return;
      const Tensor& o = c.out[which];
      visit_float_dtype(o.dtype(), "batch_norm_backward", [&](auto otag) {
        using O = typename decltype(otag)::type;
        O* op = static_cast<O*>(o.data_ptr());
        for (int64_t ch = 0; ch < C; ++ch) op[ch] = cast<O>(val(ch));
      });
    };
    put(1, [&](int64_t ch) { return sgx[static_cast<size_t>(ch)] * static_cast<double>(ip[ch]); });
    put(2, [&](int64_t ch) { return sg[static_cast<size_t>(ch)]; });
  });
}

TensorList batch_norm_grad_composite(BackwardCtx& c, const Tensor& go, const std::vector<bool>& need) {
  const Tensor& x = c.input(0);
  const Tensor& w = c.input(1);
  bool training = c.attrs.b(0);
  double eps = c.attrs.f(2);
  DimVector dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  BnGeom g = bn_geom(x);
  int64_t M = g.N * g.S;
  TensorList r(5);
  Tensor xhat;
  Normed nm;
  if (training) {
    nm = normalize_composite(x, dims, M, eps);
    xhat = nm.xhat;
  } else {
    Tensor mean = per_channel(c.output(1).detach().to(x.dtype()), x.dim());
    Tensor invstd = per_channel(c.output(2).detach().to(x.dtype()), x.dim());
    xhat = (x - mean) * invstd;
  }
  if (need[0]) {
    Tensor wv = w.defined() ? per_channel(w, x.dim()) : Tensor();
    if (training) {
      r[0] = normalize_vjp(nm, wv.defined() ? go * wv : go, dims, M);
    } else {
      Tensor invstd = per_channel(c.output(2).detach().to(x.dtype()), x.dim());
      r[0] = wv.defined() ? go * (invstd * wv) : go * invstd;
    }
  }
  if (need[1]) r[1] = (go * xhat).sum(dims);
  if (need[2]) r[2] = go.sum(dims);
  return r;
}

extern OpDef& batch_norm_bwd_op;

TensorList batch_norm_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& w = c.input(1);
  std::vector<bool> need{c.needs(0), c.needs(1) && w.defined(), c.needs(2) && c.input(2).defined()};
  if (GradMode::is_enabled()) return batch_norm_grad_composite(c, g[0], need);
  Outputs o = call_multi(batch_norm_bwd_op, {g[0], c.input(0), w, c.output(1), c.output(2)},
                         {c.attrs[0], DimVector{need[0], need[1], need[2]}});
  TensorList r(5);
  for (size_t i = 0; i < 3; ++i)
    if (need[i]) r[i] = o.release(i);
  return r;
}

OpDef& batch_norm_op = def("batch_norm").input("input").input("weight").input("bias").input("running_mean")
                           .input("running_var").attr("training", false).attr("momentum", 0.1).attr("eps", 1e-5)
                           .outputs(3).set_meta(batch_norm_meta).set_cpu(batch_norm_kernel<true>)
                           .set_cpu_ref(batch_norm_kernel<false>)
                           .set_backward(batch_norm_backward, kSaveInputs | kSaveOutputs, 0b00111)
                           .set_onnx("BatchNormalization");
OpDef& batch_norm_bwd_op = def("batch_norm_backward").input("grad_output").input("input").input("weight")
                               .input("save_mean").input("save_invstd").attr("training", true)
                               .attr("output_mask", DimVector{1, 1, 1}).outputs(3).set_meta(batch_norm_bwd_meta)
                               .set_cpu(batch_norm_bwd_kernel<true>).set_cpu_ref(batch_norm_bwd_kernel<false>);

// ================================ group_norm ================================================
// group_norm(input, weight?, bias?; num_groups, eps) -> (out, mean (N, G), rstd (N, G))

struct GnGeom {
  int64_t N = 0, C = 0, S = 1, G = 1;
  int64_t Cg() const { return C / G; }
  int64_t D() const { return Cg() * S; }  // elements per group
};
GnGeom gn_geom(const char* op, const Tensor& x, int64_t G) {
  SINTER_CHECK(x.dim() >= 2, ShapeError, op, ": expected an input of shape (N, C, *) with at least 2 dims, got shape ",
               shape_str(x.sizes()));
  SINTER_CHECK(G > 0, ValueError, op, ": num_groups must be positive, got ", G);
  SINTER_CHECK(x.size(1) % G == 0, ShapeError, op,
               ": expected number of channels in input to be divisible by num_groups, but got input of shape ",
               shape_str(x.sizes()), " and num_groups=", G);
  GnGeom g;
  g.N = x.size(0);
  g.C = x.size(1);
  g.G = G;
  for (int64_t d = 2; d < x.dim(); ++d) g.S *= x.size(d);
  return g;
}

void group_norm_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& x = c.in[0];
  GnGeom g = gn_geom(op, x, c.attrs.i(0));
  check_float(op, "input", x);
  check_float(op, "weight", c.in[1]);
  check_float(op, "bias", c.in[2]);
  check_channels(op, "weight", c.in[1], g.C);
  check_channels(op, "bias", c.in[2], g.C);
  out[0].sizes = DimVector(x.sizes());
  out[0].dtype = x.dtype();
  out[1].sizes = out[2].sizes = DimVector{g.N, g.G};
  out[1].dtype = out[2].dtype = stat_dtype(x.dtype());
  n = 3;
}

template <bool Fast>
void group_norm_kernel(const OpCall& c) {
  Tensor x = contig(c.in[0]);
  GnGeom g = gn_geom(c.op.name.c_str(), x, c.attrs.i(0));
  double eps = c.attrs.f(1);
  DType sd = stat_dtype(x.dtype());
  Tensor w = as_contig(c.in[1], sd), b = as_contig(c.in[2], sd);
  const int64_t D = g.D(), S = g.S, Cg = g.Cg(), C = g.C, G = g.G;
  visit_float_dtype(x.dtype(), "group_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(c.out[0].data_ptr());
    A* mp = static_cast<A*>(c.out[1].data_ptr());
    A* rp = static_cast<A*>(c.out[2].data_ptr());
    const A* wp = ptr_or_null<A>(w);
    const A* bp = ptr_or_null<A>(b);
    parallel_rows(g.N * G, 3 * D, [&](int64_t ng) {
      const T* xr = xp + ng * D;
      T* yr = yp + ng * D;
      double mean, var;
      if constexpr (Fast) {
        mean = row_sum<T, A>(xr, D) / static_cast<double>(D);
        var = row_sq_dev<T, A>(xr, D, static_cast<A>(mean)) / static_cast<double>(D);
      } else {
        double s = 0, s2 = 0;
        for (int64_t j = 0; j < D; ++j) s += static_cast<double>(static_cast<A>(xr[j]));
        mean = D ? s / static_cast<double>(D) : 0.0;
        for (int64_t j = 0; j < D; ++j) {
          double d = static_cast<double>(static_cast<A>(xr[j])) - mean;
          s2 += d * d;
        }
        var = D ? s2 / static_cast<double>(D) : 0.0;
      }
      if (D == 0) mean = var = 0;
      const A m = static_cast<A>(mean);
      const A r = static_cast<A>(1.0 / std::sqrt(var + eps));
      mp[ng] = m;
      rp[ng] = r;
      int64_t g0 = ng % G;
      for (int64_t k = 0; k < Cg; ++k) {
        int64_t ch = g0 * Cg + k;
        const A alpha = r * (wp ? wp[ch] : A(1));
        const A beta = bp ? bp[ch] : A(0);
        const T* xs = xr + k * S;
        T* ys = yr + k * S;
#pragma omp simd
        for (int64_t j = 0; j < S; ++j) ys[j] = T((static_cast<A>(xs[j]) - m) * alpha + beta);
      }
    });
    (void)C;
  });
}

// group_norm_backward(grad_out, input, mean, rstd, weight?; num_groups, output_mask)
void group_norm_bwd_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& x = c.in[1];
  GnGeom g = gn_geom(op, x, c.attrs.i(0));
  IntArrayRef mask = c.attrs.ints(1);
  SINTER_CHECK(c.in[0].sizes() == x.sizes() && c.in[2].numel() == g.N * g.G && c.in[3].numel() == g.N * g.G &&
                   mask.size() == 3,
               ShapeError, op, ": grad_output ", shape_str(c.in[0].sizes()), " / statistics ", shape_str(c.in[2].sizes()),
               " do not match input ", shape_str(x.sizes()));
  check_channels(op, "weight", c.in[4], g.C);
  DimVector cs{g.C};
  out[0].sizes = mask[0] ? DimVector(x.sizes()) : DimVector{0};
  out[1].sizes = mask[1] ? cs : DimVector{0};
  out[2].sizes = mask[2] ? cs : DimVector{0};
  out[0].dtype = x.dtype();
  out[1].dtype = out[2].dtype = c.in[4].defined() ? c.in[4].dtype() : x.dtype();
  n = 3;
}

template <bool Fast>
void group_norm_bwd_kernel(const OpCall& c) {
  Tensor go = contig(c.in[0]), x = contig(c.in[1]);
  GnGeom g = gn_geom(c.op.name.c_str(), x, c.attrs.i(0));
  IntArrayRef mask = c.attrs.ints(1);
  DType sd = stat_dtype(x.dtype());
  Tensor mean = as_contig(c.in[2], sd), rstd = as_contig(c.in[3], sd), w = as_contig(c.in[4], sd);
  const int64_t N = g.N, C = g.C, S = g.S, G = g.G, Cg = g.Cg(), D = g.D();
  visit_float_dtype(x.dtype(), "group_norm_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* gp = static_cast<const T*>(go.data_ptr());
    const T* xp = static_cast<const T*>(x.data_ptr());
    const A* mp = static_cast<const A*>(mean.data_ptr());
    const A* rp = static_cast<const A*>(rstd.data_ptr());
    const A* wp = ptr_or_null<A>(w);
    // Per (n, c) plane: ds = sum(gO * (x - mean)), db = sum(gO).
    std::vector<double> ds(static_cast<size_t>(N * C)), db(static_cast<size_t>(N * C));
    parallel_rows(N * C, 2 * S, [&](int64_t pl) {
      const T* gr = gp + pl * S;
      const T* xr = xp + pl * S;
      const A m = mp[(pl / C) * G + (pl % C) / Cg];
      if constexpr (Fast) {
        ds[static_cast<size_t>(pl)] = bsum<A>(S, [&](int64_t j) { return static_cast<A>(gr[j]) * (static_cast<A>(xr[j]) - m); });
        db[static_cast<size_t>(pl)] = bsum<A>(S, [&](int64_t j) { return static_cast<A>(gr[j]); });
      } else {
        double a = 0, b = 0;
        for (int64_t j = 0; j < S; ++j) {
          a += static_cast<double>(static_cast<A>(gr[j])) * (static_cast<double>(static_cast<A>(xr[j])) - static_cast<double>(m));
          b += static_cast<double>(static_cast<A>(gr[j]));
        }
        ds[static_cast<size_t>(pl)] = a;
        db[static_cast<size_t>(pl)] = b;
      }
    });
    if (mask[0]) {
      T* gi = static_cast<T*>(c.out[0].data_ptr());
      parallel_rows(N * G, 2 * D, [&](int64_t ng) {
        int64_t n = ng / G, g0 = ng % G;
        double r = static_cast<double>(rp[ng]);
        double swdb = 0, swds = 0;
        for (int64_t k = 0; k < Cg; ++k) {
          int64_t ch = g0 * Cg + k;
          double wc = wp ? static_cast<double>(wp[ch]) : 1.0;
          swdb += wc * db[static_cast<size_t>(n * C + ch)];
          swds += wc * ds[static_cast<size_t>(n * C + ch)];
        }
        // grad_input = r * (g - mean(g) - xhat * mean(g * xhat)), g = gO * w_c
        double mg = swdb / static_cast<double>(D);
        double mgx = r * swds / static_cast<double>(D);
        const A b = static_cast<A>(-r * r * mgx);
        const A k0 = static_cast<A>(-r * mg);
        const A mA = mp[ng];
        for (int64_t k = 0; k < Cg; ++k) {
          int64_t ch = g0 * Cg + k;
          const A a = static_cast<A>(r * (wp ? static_cast<double>(wp[ch]) : 1.0));
          const T* gr = gp + (n * C + ch) * S;
          const T* xr = xp + (n * C + ch) * S;
          T* out = gi + (n * C + ch) * S;
#pragma omp simd
          for (int64_t j = 0; j < S; ++j) out[j] = T(a * static_cast<A>(gr[j]) + b * (static_cast<A>(xr[j]) - mA) + k0);
        }
      });
    }
    auto put = [&](int which, auto&& val) {
      if (!mask[which]) return;
      const Tensor& o = c.out[which];
      visit_float_dtype(o.dtype(), "group_norm_backward", [&](auto otag) {
        using O = typename decltype(otag)::type;
        O* op = static_cast<O*>(o.data_ptr());
        for (int64_t ch = 0; ch < C; ++ch) op[ch] = cast<O>(val(ch));
      });
    };
    // grad_weight_c = sum_n r ds; grad_bias_c = sum_n db
    put(1, [&](int64_t ch) {
      double s = 0;
      for (int64_t n = 0; n < N; ++n) {
        int64_t ng = n * G + ch / Cg;
        size_t u = static_cast<size_t>(n * C + ch);
        s += static_cast<double>(rp[ng]) * ds[u];
      }
      return s;
    });
    put(2, [&](int64_t ch) {
      double s = 0;
      for (int64_t n = 0; n < N; ++n) s += db[static_cast<size_t>(n * C + ch)];
      return s;
    });
  });
}

extern OpDef& group_norm_bwd_op;

TensorList group_norm_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  const Tensor& w = c.input(1);
  std::vector<bool> need{c.needs(0), c.needs(1) && w.defined(), c.needs(2) && c.input(2).defined()};
  TensorList r(3);
  if (GradMode::is_enabled()) {
    // Composite: normalise x viewed as (N, G, rest), then the per-channel affine.
    int64_t G = c.attrs.i(0);
    double eps = c.attrs.f(1);
    GnGeom geo = gn_geom("group_norm", x, G);
    DimVector grouped{geo.N, G, geo.D()}, last{2};
    Normed nm = normalize_composite(x.reshape(grouped), last, geo.D(), eps);
    Tensor xhat = nm.xhat.reshape(x.sizes());
    DimVector dims{0};
    for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
    if (need[0]) {
      Tensor gx = w.defined() ? g[0] * per_channel(w, x.dim()) : g[0];
      r[0] = normalize_vjp(nm, gx.reshape(grouped), last, geo.D()).reshape(x.sizes());
    }
    if (need[1]) r[1] = (g[0] * xhat).sum(dims);
    if (need[2]) r[2] = g[0].sum(dims);
    return r;
  }
  Outputs o = call_multi(group_norm_bwd_op, {g[0], x, c.output(1), c.output(2), w},
                         {c.attrs[0], DimVector{need[0], need[1], need[2]}});
  for (size_t i = 0; i < 3; ++i)
    if (need[i]) r[i] = o.release(i);
  return r;
}

OpDef& group_norm_op = def("group_norm").input("input").input("weight").input("bias").attr("num_groups")
                           .attr("eps", 1e-5).outputs(3).set_meta(group_norm_meta).set_cpu(group_norm_kernel<true>)
                           .set_cpu_ref(group_norm_kernel<false>)
                           .set_backward(group_norm_backward, kSaveInputs | kSaveOutputs)
                           .set_onnx("GroupNormalization");
OpDef& group_norm_bwd_op = def("group_norm_backward").input("grad_output").input("input").input("mean").input("rstd")
                               .input("weight").attr("num_groups").attr("output_mask", DimVector{1, 1, 1}).outputs(3)
                               .set_meta(group_norm_bwd_meta).set_cpu(group_norm_bwd_kernel<true>)
                               .set_cpu_ref(group_norm_bwd_kernel<false>);

}  // namespace
}  // namespace ops

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  return ops::call_multi(ops::batch_norm_op, {input, weight, bias, running_mean, running_var}, {training, momentum, eps})
      .release(0);
}

Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  return ops::call_multi(ops::layer_norm_op, {input, weight, bias}, {DimVector(normalized_shape), eps}).release(0);
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps) {
  return ops::call_multi(ops::group_norm_op, {input, weight, bias}, {num_groups, eps}).release(0);
}

Tensor rms_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight, std::optional<double> eps) {
  ops::Attrs a{DimVector(normalized_shape), std::monostate{}};
  if (eps) a[1] = *eps;
  return ops::call_multi(ops::rms_norm_op, {input, weight}, a).release(0);
}

}  // namespace sinter
