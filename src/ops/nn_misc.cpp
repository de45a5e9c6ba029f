// Functional layers without weights of their own shape logic: dropout, embedding, one_hot and
// interpolate (nearest / bilinear upsampling, with backward ops whose backward is the forward).
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"
#include "ops/registry.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/nn.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/shape.h"

namespace sinter {
namespace ops {
namespace {

Tensor contig(const Tensor& t) {
  if (!t.defined() || t.is_contiguous()) return t;
  NoGradGuard g;
  return t.contiguous();
}

void check_float(const char* op, const Tensor& x) {
  if (!is_floating_point(x.dtype()))
    throw DTypeError(detail::str_cat(op, ": expected a floating point input, got dtype ", dtype_name(x.dtype())));
}

template <class F>
void for_planes(int64_t planes, int64_t work_per_plane, F&& f) {
  int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(work_per_plane, 1));
  kernels::parallel_for(planes, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) f(i);
  });
}

// ================================ dropout ===================================================
// native_dropout(input; p, train) -> (output, mask). Element i is kept when a counter-based
// hash of (seed, i) falls below 1 - p; the seed is one draw from the global generator, so a
// call is reproducible under manual_seed and independent of the thread count.

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void dropout_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  check_float("dropout", c.in[0]);
  double p = c.attrs.f(0);
  SINTER_CHECK(p >= 0 && p <= 1, ValueError, "dropout: dropout probability has to be between 0 and 1, but got ", p);
  out[0].sizes = out[1].sizes = DimVector(c.in[0].sizes());
  out[0].dtype = c.in[0].dtype();
  out[1].dtype = kBool;
  n = 2;
}

double dropout_scale(double p) { return p >= 1 ? 0.0 : 1.0 / (1.0 - p); }

void dropout_kernel(const OpCall& c) {
  double p = c.attrs.f(0);
  bool train = c.attrs.b(1);
  Tensor x = contig(c.in[0]);
  const int64_t n = x.numel();
  bool* mp = static_cast<bool*>(c.out[1].data_ptr());
  uint64_t seed = 0;
  // keep iff (hash >> 11) < threshold, a 53-bit fraction of 1 - p.
  uint64_t threshold = train ? static_cast<uint64_t>(std::ldexp(1.0 - p, 53)) : (uint64_t(1) << 53);
  if (train && n > 0) seed = static_cast<uint64_t>(randint(0, int64_t(1) << 53, {}, kLong).item<int64_t>());
  visit_float_dtype(x.dtype(), "dropout", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(c.out[0].data_ptr());
    const A scale = static_cast<A>(train ? dropout_scale(p) : 1.0);
    kernels::parallel_for(n, kernels::kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        bool keep = (mix64(seed + static_cast<uint64_t>(i + 1) * 0x9e3779b97f4a7c15ull) >> 11) < threshold;
        mp[i] = keep;
        yp[i] = keep ? T(static_cast<A>(xp[i]) * scale) : T(A(0));
      }
    });
  });
}

// The gradient flows through the kept elements, scaled like them: the same mask as forward.
TensorList dropout_backward(BackwardCtx& c, const TensorList& g) {
  double p = c.attrs.f(0);
  bool train = c.attrs.b(1);
  const Tensor& mask = c.output(1);
  return {g[0] * mask.to(g[0].dtype()) * (train ? dropout_scale(p) : 1.0)};
}

OpDef& dropout_op = def("native_dropout").draws_random().input("input").attr("p", 0.5).attr("train", true).outputs(2)
                        .set_meta(dropout_meta).set_cpu(dropout_kernel).set_backward(dropout_backward, kSaveOutputs)
                        .set_onnx("Dropout");

// ================================ embedding =================================================
// embedding(weight (V, D), indices (*); padding_idx) -> (*, D)

void embedding_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& w = c.in[0];
  const Tensor& idx = c.in[1];
  SINTER_CHECK(w.dim() == 2, ShapeError, "embedding: 'weight' must be 2-D, got shape ", shape_str(w.sizes()));
  SINTER_CHECK(idx.dtype() == kLong || idx.dtype() == kInt, DTypeError,
               "embedding: expected indices of dtype int64 or int32, got ", dtype_name(idx.dtype()));
  if (!c.attrs.is_none(0)) {
    int64_t pad = c.attrs.i(0);
    SINTER_CHECK(pad >= 0 && pad < w.size(0), ValueError, "embedding: padding_idx ", pad,
                 " must be within num_embeddings (", w.size(0), ")");
  }
  out[0].sizes = DimVector(idx.sizes());
  out[0].sizes.push_back(w.size(1));
  out[0].dtype = w.dtype();
  n = 1;
}

/// Indices as int64, contiguous; throws IndexError naming `op` when one is outside [0, V).
std::vector<int64_t> read_indices(const char* op, const Tensor& idx0, int64_t V) {
  Tensor idx = contig(idx0);
  std::vector<int64_t> r(static_cast<size_t>(idx.numel()));
  visit_dtype_no_wide_uint(idx.dtype(), op, [&](auto tag) {
    using I = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<I> && !std::is_same_v<I, bool>) {
      const I* p = static_cast<const I*>(idx.data_ptr());
      for (size_t i = 0; i < r.size(); ++i) {
        int64_t v = static_cast<int64_t>(p[i]);
        SINTER_CHECK(v >= 0 && v < V, IndexError, op, ": index ", v, " is out of range for a weight of ", V,
                     " rows (expected an index in [0, ", V, "))");
        r[i] = v;
      }
    }
  });
  return r;
}

void embedding_kernel(const OpCall& c) {
  Tensor w = contig(c.in[0]);
  const int64_t V = w.size(0), D = w.size(1);
  std::vector<int64_t> idx = read_indices("embedding", c.in[1], V);
  const size_t esz = static_cast<size_t>(w.element_size());
  const char* wp = static_cast<const char*>(w.data_ptr());
  char* op = static_cast<char*>(c.out[0].data_ptr());
  for_planes(static_cast<int64_t>(idx.size()), D, [&](int64_t i) {
    std::memcpy(op + static_cast<size_t>(i * D) * esz, wp + static_cast<size_t>(idx[static_cast<size_t>(i)] * D) * esz,
                static_cast<size_t>(D) * esz);
  });
}

extern OpDef& embedding_op;
extern OpDef& embedding_bwd_op;

TensorList embedding_backward(BackwardCtx& c, const TensorList& g) {
  Attrs a{c.input(0).size(0), c.attrs[0]};
  return {call(embedding_bwd_op, {g[0], c.input(1)}, a), Tensor()};
}

OpDef& embedding_op = def("embedding").input("weight").input("indices").attr("padding_idx").set_meta(embedding_meta)
                          .set_cpu(embedding_kernel).set_backward(embedding_backward).set_onnx("Gather");

// embedding_backward(grad (*, D), indices (*); num_weights, padding_idx) -> (num_weights, D):
// rows of grad summed into the rows their indices name; padding_idx's row stays zero.
void embedding_bwd_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& g = c.in[0];
  const Tensor& idx = c.in[1];
  bool ok = g.dim() == idx.dim() + 1;
  for (int64_t d = 0; ok && d < idx.dim(); ++d) ok = g.size(d) == idx.size(d);
  SINTER_CHECK(ok, ShapeError, "embedding_backward: grad of shape ", shape_str(g.sizes()),
               " does not match indices of shape ", shape_str(idx.sizes()));
  check_float("embedding_backward", g);
  out[0].sizes = DimVector{c.attrs.i(0), g.size(-1)};
  out[0].dtype = g.dtype();
  n = 1;
}
void embedding_bwd_kernel(const OpCall& c) {
  const Tensor& o = c.out[0];
  const int64_t V = o.size(0), D = o.size(1);
  std::vector<int64_t> idx = read_indices("embedding_backward", c.in[1], V);
  int64_t pad = c.attrs.is_none(1) ? -1 : c.attrs.i(1);
  Tensor g = contig(c.in[0]);
  visit_float_dtype(g.dtype(), "embedding_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* gp = static_cast<const T*>(g.data_ptr());
    T* op = static_cast<T*>(o.data_ptr());
    // Each task owns a slice of columns of every row: no two tasks write the same element.
    // Reduced precision types accumulate in float and round once.
    int64_t col_grain = std::max<int64_t>(16, kernels::kGrainSize / std::max<int64_t>(1, static_cast<int64_t>(idx.size())));
    kernels::parallel_for(D, col_grain, [&](int64_t c0, int64_t c1) {
      const int64_t w = c1 - c0;
      std::vector<A> buf(std::is_same_v<A, T> ? 0 : static_cast<size_t>(V * w), A(0));
      A* acc;
      int64_t ld;  // row stride of acc
      if constexpr (std::is_same_v<A, T>) {
        acc = op + c0;
        ld = D;
        for (int64_t r = 0; r < V; ++r)
          for (int64_t j = 0; j < w; ++j) acc[r * ld + j] = A(0);
      } else {
        acc = buf.data();
        ld = w;
      }
      for (size_t i = 0; i < idx.size(); ++i) {
        int64_t row = idx[i];
        if (row == pad) continue;
        A* dst = acc + row * ld;
        const T* src = gp + static_cast<int64_t>(i) * D + c0;
#pragma omp simd
        for (int64_t j = 0; j < w; ++j) dst[j] += static_cast<A>(src[j]);
      }
      if constexpr (!std::is_same_v<A, T>) {
        for (int64_t r = 0; r < V; ++r)
          for (int64_t j = 0; j < w; ++j) op[r * D + c0 + j] = T(acc[r * ld + j]);
      }
    });
  });
}
// Adjoint of the row sum: look the rows up again (padding rows contribute nothing).
TensorList embedding_bwd_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (!c.needs(0)) return r;
  const Tensor& idx = c.input(1);
  Tensor rows = call(embedding_op, {g[0], idx}, {std::monostate{}});
  if (!c.attrs.is_none(1)) rows = rows * ne(idx, Scalar(c.attrs.i(1))).unsqueeze(-1).to(rows.dtype());
  r[0] = rows;
  return r;
}
OpDef& embedding_bwd_op = def("embedding_backward").input("grad").input("indices").attr("num_weights")
                              .attr("padding_idx").set_meta(embedding_bwd_meta).set_cpu(embedding_bwd_kernel)
                              .set_backward(embedding_bwd_backward, kSaveInputs, 0b10);

// ================================ one_hot ===================================================
// one_hot(indices int64; num_classes >= 0) -> int64 (*, num_classes)

void one_hot_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  SINTER_CHECK(c.in[0].dtype() == kLong, DTypeError,
               "one_hot: one_hot is only applicable to index tensor (int64), got dtype ", dtype_name(c.in[0].dtype()));
  int64_t k = c.attrs.i(0);
  SINTER_CHECK(k >= 0, ValueError, "one_hot: num_classes must be non-negative (or -1 to infer it), got ", k);
  out[0].sizes = DimVector(c.in[0].sizes());
  out[0].sizes.push_back(k);
  out[0].dtype = kLong;
  n = 1;
}
void one_hot_kernel(const OpCall& c) {
  Tensor idx = contig(c.in[0]);
  int64_t k = c.attrs.i(0);
  const int64_t* ip = static_cast<const int64_t*>(idx.data_ptr());
  int64_t* op = static_cast<int64_t*>(c.out[0].data_ptr());
  const int64_t n = idx.numel();
  for (int64_t i = 0; i < n; ++i) {
    SINTER_CHECK(ip[i] >= 0, ValueError, "one_hot: class values must be non-negative, got ", ip[i]);
    SINTER_CHECK(ip[i] < k, ValueError, "one_hot: class values must be smaller than num_classes (", k, "), got ", ip[i]);
  }
  std::memset(op, 0, static_cast<size_t>(n * k) * sizeof(int64_t));
  for (int64_t i = 0; i < n; ++i) op[i * k + ip[i]] = 1;
}
OpDef& one_hot_op = def("one_hot").input("self").attr("num_classes").set_meta(one_hot_meta).set_cpu(one_hot_kernel)
                        .set_onnx("OneHot");

// ================================ upsampling ================================================
// upsample_nearest2d(input; output_size, scales_h, scales_w)
// upsample_bilinear2d(input; output_size, align_corners, scales_h, scales_w)
// Source positions follow PyTorch: a scale given by the caller is used as 1/scale, otherwise
// input/output; nearest takes floor(dst * scale) in float; bilinear uses the half-pixel rule
// (or the corner-aligned one) in the op-math type.

struct Up2d {
  bool batched = true;
  int64_t N = 1, C = 1, H = 0, W = 0, OH = 0, OW = 0;
  int64_t planes() const { return N * C; }
  DimVector in_sizes() const { return batched ? DimVector{N, C, H, W} : DimVector{C, H, W}; }
  DimVector out_sizes() const { return batched ? DimVector{N, C, OH, OW} : DimVector{C, OH, OW}; }
};

Up2d up_geom(const char* op, IntArrayRef in_sizes, IntArrayRef osz) {
  SINTER_CHECK(in_sizes.size() == 4, ShapeError, op, ": expected a 4-D (N, C, H, W) input, got shape ", shape_str(in_sizes));
  SINTER_CHECK(osz.size() == 2, ValueError, op, ": output_size must have 2 elements, got ", shape_str(osz));
  Up2d u;
  u.N = in_sizes[0];
  u.C = in_sizes[1];
  u.H = in_sizes[2];
  u.W = in_sizes[3];
  u.OH = osz[0];
  u.OW = osz[1];
  SINTER_CHECK(u.H > 0 && u.W > 0 && u.OH > 0 && u.OW > 0, ShapeError, op,
               ": input and output sizes should be greater than 0, but got input (H: ", u.H, ", W: ", u.W,
               ") output (H: ", u.OH, ", W: ", u.OW, ")");
  return u;
}

std::optional<double> opt_scale(const Attrs& a, size_t k) {
  if (a.is_none(k)) return std::nullopt;
  return a.f(k);
}

/// The nearest source of destination position i.
int64_t nearest_src(int64_t i, int64_t in, int64_t out, std::optional<double> scale) {
  float s = (scale && *scale > 0) ? static_cast<float>(1.0 / *scale) : static_cast<float>(in) / static_cast<float>(out);
  return std::min(static_cast<int64_t>(std::floor(static_cast<float>(i) * s)), in - 1);
}
std::vector<int64_t> nearest_index(int64_t in, int64_t out, std::optional<double> scale) {
  std::vector<int64_t> r(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) r[static_cast<size_t>(i)] = nearest_src(i, in, out, scale);
  return r;
}

/// Linear interpolation taps: out[i] = l0 * in[i0] + l1 * in[i0 + off].
template <class A>
struct Taps {
  std::vector<int64_t> i0, off;
  std::vector<A> l0, l1;
};
template <class A>
Taps<A> linear_taps(int64_t in, int64_t out, bool align_corners, std::optional<double> scale) {
  A s;
  if (align_corners) s = out > 1 ? static_cast<A>(in - 1) / static_cast<A>(out - 1) : A(0);
  else s = (scale && *scale > 0) ? static_cast<A>(1.0 / *scale) : static_cast<A>(in) / static_cast<A>(out);
  Taps<A> t;
  for (int64_t i = 0; i < out; ++i) {
    A real = align_corners ? s * static_cast<A>(i) : std::max(s * (static_cast<A>(i) + A(0.5)) - A(0.5), A(0));
    int64_t i0 = static_cast<int64_t>(real);
    int64_t off = i0 < in - 1 ? 1 : 0;
    A l1 = std::min(std::max(real - static_cast<A>(i0), A(0)), A(1));
    t.i0.push_back(i0);
    t.off.push_back(off);
    t.l0.push_back(A(1) - l1);
    t.l1.push_back(l1);
  }
  return t;
}

void up_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  // Nearest is a copy: like PyTorch it also takes uint8 images.
  if (!(c.op.name == "upsample_nearest2d" && c.in[0].dtype() == kByte)) check_float(op, c.in[0]);
  Up2d u = up_geom(op, c.in[0].sizes(), c.attrs.ints(0));
  out[0].sizes = u.out_sizes();
  out[0].dtype = c.in[0].dtype();
  n = 1;
}

template <bool Fast>
void nearest_kernel(const OpCall& c) {
  Up2d u = up_geom(c.op.name.c_str(), c.in[0].sizes(), c.attrs.ints(0));
  Tensor x = contig(c.in[0]);
  auto sh = opt_scale(c.attrs, 1), sw = opt_scale(c.attrs, 2);
  std::vector<int64_t> ih = nearest_index(u.H, u.OH, sh), iw = nearest_index(u.W, u.OW, sw);
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(c.out[0].data_ptr());
    for_planes(u.planes(), u.OH * u.OW, [&](int64_t pl) {
      const T* xpl = xp + pl * u.H * u.W;
      T* ypl = yp + pl * u.OH * u.OW;
      for (int64_t oh = 0; oh < u.OH; ++oh) {
        if (Fast) {
          const T* row = xpl + ih[static_cast<size_t>(oh)] * u.W;
          T* dst = ypl + oh * u.OW;
          for (int64_t ow = 0; ow < u.OW; ++ow) dst[ow] = row[iw[static_cast<size_t>(ow)]];
        } else {
          for (int64_t ow = 0; ow < u.OW; ++ow)
            ypl[oh * u.OW + ow] = xpl[nearest_src(oh, u.H, u.OH, sh) * u.W + nearest_src(ow, u.W, u.OW, sw)];
        }
      }
    });
  };
  if (x.dtype() == kByte) run(type_tag<uint8_t>{});
  else visit_float_dtype(x.dtype(), c.op.name.c_str(), run);
}

template <bool Fast>
void bilinear_kernel(const OpCall& c) {
  Up2d u = up_geom(c.op.name.c_str(), c.in[0].sizes(), c.attrs.ints(0));
  Tensor x = contig(c.in[0]);
  bool ac = c.attrs.b(1);
  auto sh = opt_scale(c.attrs, 2), sw = opt_scale(c.attrs, 3);
  visit_float_dtype(x.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    Taps<A> th = linear_taps<A>(u.H, u.OH, ac, sh), tw = linear_taps<A>(u.W, u.OW, ac, sw);
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(c.out[0].data_ptr());
    for_planes(u.planes(), 4 * u.OH * u.OW, [&](int64_t pl) {
      const T* xpl = xp + pl * u.H * u.W;
      T* ypl = yp + pl * u.OH * u.OW;
      for (int64_t oh = 0; oh < u.OH; ++oh) {
        size_t a = static_cast<size_t>(oh);
        const T* r0 = xpl + th.i0[a] * u.W;
        const T* r1 = r0 + th.off[a] * u.W;
        const A h0 = th.l0[a], h1 = th.l1[a];
        for (int64_t ow = 0; ow < u.OW; ++ow) {
          size_t b = static_cast<size_t>(ow);
          int64_t w0 = tw.i0[b], w1 = w0 + tw.off[b];
          A v;
          if (Fast) {
            v = h0 * (tw.l0[b] * static_cast<A>(r0[w0]) + tw.l1[b] * static_cast<A>(r0[w1])) +
                h1 * (tw.l0[b] * static_cast<A>(r1[w0]) + tw.l1[b] * static_cast<A>(r1[w1]));
          } else {
            v = h0 * tw.l0[b] * static_cast<A>(r0[w0]) + h0 * tw.l1[b] * static_cast<A>(r0[w1]) +
                h1 * tw.l0[b] * static_cast<A>(r1[w0]) + h1 * tw.l1[b] * static_cast<A>(r1[w1]);
          }
          ypl[oh * u.OW + ow] = T(v);
        }
      }
    });
  });
}

extern OpDef& nearest_op;
extern OpDef& bilinear_op;
extern OpDef& nearest_bwd_op;
extern OpDef& bilinear_bwd_op;

/// attrs of a backward op: input_size, then the forward's attrs.
Attrs bwd_attrs(const Tensor& input, const Attrs& fwd, size_t n) {
  Attrs a{DimVector(input.sizes())};
  for (size_t i = 0; i < n; ++i) a.push(fwd[i]);
  return a;
}
Attrs fwd_attrs(const Attrs& bwd, size_t n) {
  Attrs a;
  for (size_t i = 1; i <= n; ++i) a.push(bwd[i]);
  return a;
}

TensorList nearest_backward(BackwardCtx& c, const TensorList& g) {
  return {call(nearest_bwd_op, {g[0]}, bwd_attrs(c.input(0), c.attrs, 3))};
}
TensorList bilinear_backward(BackwardCtx& c, const TensorList& g) {
  return {call(bilinear_bwd_op, {g[0]}, bwd_attrs(c.input(0), c.attrs, 4))};
}

OpDef& nearest_op = def("upsample_nearest2d").input("self").attr("output_size").attr("scales_h").attr("scales_w")
                        .set_meta(up_meta).set_cpu(nearest_kernel<true>).set_cpu_ref(nearest_kernel<false>)
                        .set_backward(nearest_backward).set_onnx("Resize");
OpDef& bilinear_op = def("upsample_bilinear2d").input("self").attr("output_size").attr("align_corners", false)
                         .attr("scales_h").attr("scales_w").set_meta(up_meta).set_cpu(bilinear_kernel<true>)
                         .set_cpu_ref(bilinear_kernel<false>).set_backward(bilinear_backward).set_onnx("Resize");

// *_backward(grad_output; input_size, <forward attrs>): the transpose of the forward's
// interpolation matrix applied to grad_output; its own backward is the forward op.
void up_bwd_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  check_float(op, c.in[0]);
  Up2d u = up_geom(op, c.attrs.ints(0), c.attrs.ints(1));
  SINTER_CHECK(c.in[0].sizes() == IntArrayRef(u.out_sizes()), ShapeError, op, ": grad_output of shape ",
               shape_str(c.in[0].sizes()), " does not match the output shape ", shape_str(u.out_sizes()));
  out[0].sizes = u.in_sizes();
  out[0].dtype = c.in[0].dtype();
  n = 1;
}

void nearest_bwd_kernel(const OpCall& c) {
  Up2d u = up_geom(c.op.name.c_str(), c.attrs.ints(0), c.attrs.ints(1));
  Tensor g = contig(c.in[0]);
  std::vector<int64_t> ih = nearest_index(u.H, u.OH, opt_scale(c.attrs, 2)), iw = nearest_index(u.W, u.OW, opt_scale(c.attrs, 3));
  visit_float_dtype(g.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* gp = static_cast<const T*>(g.data_ptr());
    T* op = static_cast<T*>(c.out[0].data_ptr());
    for_planes(u.planes(), u.OH * u.OW + u.H * u.W, [&](int64_t pl) {
      std::vector<A> acc(static_cast<size_t>(u.H * u.W), A(0));
      const T* gpl = gp + pl * u.OH * u.OW;
      for (int64_t oh = 0; oh < u.OH; ++oh) {
        A* row = acc.data() + ih[static_cast<size_t>(oh)] * u.W;
        for (int64_t ow = 0; ow < u.OW; ++ow) row[iw[static_cast<size_t>(ow)]] += static_cast<A>(gpl[oh * u.OW + ow]);
      }
      T* opl = op + pl * u.H * u.W;
      for (int64_t j = 0; j < u.H * u.W; ++j) opl[j] = T(acc[static_cast<size_t>(j)]);
    });
  });
}

void bilinear_bwd_kernel(const OpCall& c) {
  Up2d u = up_geom(c.op.name.c_str(), c.attrs.ints(0), c.attrs.ints(1));
  Tensor g = contig(c.in[0]);
  bool ac = c.attrs.b(2);
  auto sh = opt_scale(c.attrs, 3), sw = opt_scale(c.attrs, 4);
  visit_float_dtype(g.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    Taps<A> th = linear_taps<A>(u.H, u.OH, ac, sh), tw = linear_taps<A>(u.W, u.OW, ac, sw);
    const T* gp = static_cast<const T*>(g.data_ptr());
    T* op = static_cast<T*>(c.out[0].data_ptr());
    for_planes(u.planes(), 4 * u.OH * u.OW + u.H * u.W, [&](int64_t pl) {
      std::vector<A> acc(static_cast<size_t>(u.H * u.W), A(0));
      const T* gpl = gp + pl * u.OH * u.OW;
      for (int64_t oh = 0; oh < u.OH; ++oh) {
        size_t a = static_cast<size_t>(oh);
        A* r0 = acc.data() + th.i0[a] * u.W;
        A* r1 = r0 + th.off[a] * u.W;
        for (int64_t ow = 0; ow < u.OW; ++ow) {
          size_t b = static_cast<size_t>(ow);
          int64_t w0 = tw.i0[b], w1 = w0 + tw.off[b];
          A v = static_cast<A>(gpl[oh * u.OW + ow]);
          r0[w0] += th.l0[a] * tw.l0[b] * v;
          r0[w1] += th.l0[a] * tw.l1[b] * v;
          r1[w0] += th.l1[a] * tw.l0[b] * v;
          r1[w1] += th.l1[a] * tw.l1[b] * v;
        }
      }
      T* opl = op + pl * u.H * u.W;
      for (int64_t j = 0; j < u.H * u.W; ++j) opl[j] = T(acc[static_cast<size_t>(j)]);
    });
  });
}

TensorList nearest_bwd_backward(BackwardCtx& c, const TensorList& g) { return {call(nearest_op, {g[0]}, fwd_attrs(c.attrs, 3))}; }
TensorList bilinear_bwd_backward(BackwardCtx& c, const TensorList& g) {
  return {call(bilinear_op, {g[0]}, fwd_attrs(c.attrs, 4))};
}

OpDef& nearest_bwd_op = def("upsample_nearest2d_backward").input("grad_output").attr("input_size").attr("output_size")
                            .attr("scales_h").attr("scales_w").set_meta(up_bwd_meta).set_cpu(nearest_bwd_kernel)
                            .set_backward(nearest_bwd_backward, kSaveNone);
OpDef& bilinear_bwd_op = def("upsample_bilinear2d_backward").input("grad_output").attr("input_size")
                             .attr("output_size").attr("align_corners", false).attr("scales_h").attr("scales_w")
                             .set_meta(up_bwd_meta).set_cpu(bilinear_bwd_kernel)
                             .set_backward(bilinear_bwd_backward, kSaveNone);

std::string dims_str(IntArrayRef v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + ")";
}

}  // namespace
}  // namespace ops

// ---- public functions -----------------------------------------------------------------------

Tensor dropout(const Tensor& x, double p, bool training) {
  SINTER_CHECK(p >= 0 && p <= 1, ValueError, "dropout: dropout probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0 || x.numel() == 0) {
    if (!is_floating_point(x.dtype()) && training)
      throw DTypeError(detail::str_cat("dropout: expected a floating point input, got dtype ", dtype_name(x.dtype())));
    return x;
  }
  return ops::call_multi(ops::dropout_op, {x}, {p, true}).release(0);
}

Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx) {
  ops::Attrs a{std::monostate{}};
  if (padding_idx) {
    int64_t pad = *padding_idx;
    int64_t V = weight.dim() == 2 ? weight.size(0) : 0;
    SINTER_CHECK(pad < V && pad >= -V, ValueError, "embedding: padding_idx ", pad, " must be within num_embeddings (", V,
                 ")");
    a[0] = pad < 0 ? pad + V : pad;
  }
  return ops::call(ops::embedding_op, {weight, indices}, a);
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  SINTER_CHECK(indices.dtype() == kLong, DTypeError,
               "one_hot: one_hot is only applicable to index tensor (int64), got dtype ", dtype_name(indices.dtype()));
  if (num_classes == -1) {
    SINTER_CHECK(indices.numel() > 0, ValueError, "one_hot: can not infer total number of classes from empty tensor");
    NoGradGuard g;
    num_classes = sinter::max(indices).item<int64_t>() + 1;
  }
  return ops::call(ops::one_hot_op, {indices}, {num_classes});
}

Tensor interpolate(const Tensor& input, std::optional<std::vector<int64_t>> size,
                   std::optional<std::vector<double>> scale_factor, std::string_view mode,
                   std::optional<bool> align_corners) {
  const char* op = "interpolate";
  bool linear = mode == "bilinear" || mode == "linear";
  SINTER_CHECK(mode == "nearest" || mode == "area" || linear, NotImplementedError, op, ": mode '", mode,
               "' is not supported (supported: nearest, linear, bilinear, area)");
  SINTER_CHECK(!align_corners || linear, ValueError, op,
               ": align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | "
               "trilinear");
  SINTER_CHECK(input.dim() == 3 || input.dim() == 4, NotImplementedError, op,
               ": input must be 3-D (N, C, L) or 4-D (N, C, H, W), got shape ", shape_str(input.sizes()));
  SINTER_CHECK(mode != "bilinear" || input.dim() == 4, NotImplementedError, op, ": got ", input.dim(),
               "-D input, but bilinear mode needs 4-D input");
  SINTER_CHECK(mode != "linear" || input.dim() == 3, NotImplementedError, op, ": got ", input.dim(),
               "-D input, but linear mode needs 3-D input");
  SINTER_CHECK(size.has_value() != scale_factor.has_value(), ValueError, op,
               size ? ": only one of size or scale_factor should be defined"
                    : ": either size or scale_factor should be defined");
  const int64_t sd = input.dim() - 2;  // spatial dims
  DimVector in_sp(input.sizes().begin() + 2, input.sizes().end());
  DimVector out_sp;
  std::vector<std::optional<double>> scales(static_cast<size_t>(sd));
  if (size) {
    SINTER_CHECK(static_cast<int64_t>(size->size()) == sd || size->size() == 1, ValueError, op,
                 ": input and output must have the same number of spatial dimensions, but got input with spatial "
                 "dimensions of ",
                 ops::dims_str(in_sp), " and output size of ", ops::dims_str(*size));
    for (int64_t i = 0; i < sd; ++i) out_sp.push_back((*size)[size->size() == 1 ? 0 : static_cast<size_t>(i)]);
  } else {
    SINTER_CHECK(static_cast<int64_t>(scale_factor->size()) == sd || scale_factor->size() == 1, ValueError, op,
                 ": input and scale_factor must have the same number of spatial dimensions, but got input with spatial "
                 "dimensions of ",
                 ops::dims_str(in_sp), " and a scale_factor of ", scale_factor->size(), " elements");
    for (int64_t i = 0; i < sd; ++i) {
      double s = (*scale_factor)[scale_factor->size() == 1 ? 0 : static_cast<size_t>(i)];
      SINTER_CHECK(s > 0 && std::isfinite(s), ValueError, op, ": scale_factor must be positive and finite, got ", s);
      out_sp.push_back(static_cast<int64_t>(std::floor(static_cast<double>(in_sp[static_cast<size_t>(i)]) * s)));
      scales[static_cast<size_t>(i)] = s;
    }
  }
  for (int64_t i = 0; i < sd; ++i)
    SINTER_CHECK(out_sp[static_cast<size_t>(i)] > 0, ValueError, op,
                 ": input and output sizes should be greater than 0, but got input ", ops::dims_str(in_sp), " and output ",
                 ops::dims_str(out_sp));
  // 3-D inputs run as (N, C, 1, L).
  Tensor x = sd == 1 ? input.unsqueeze(2) : input;
  DimVector osz = sd == 1 ? DimVector{1, out_sp[0]} : out_sp;
  auto attr_of = [](const std::optional<double>& s) -> ops::AttrValue {
    if (s) return *s;
    return std::monostate{};
  };
  ops::AttrValue sh = sd == 1 ? ops::AttrValue(std::monostate{}) : attr_of(scales[0]);
  ops::AttrValue sw = attr_of(scales[static_cast<size_t>(sd - 1)]);
  Tensor y;
  if (mode == "area") y = adaptive_avg_pool2d(x, osz);
  else if (mode == "nearest") y = ops::call(ops::nearest_op, {x}, {osz, sh, sw});
  else y = ops::call(ops::bilinear_op, {x}, {osz, align_corners.value_or(false), sh, sw});
  return sd == 1 ? y.squeeze(2) : y;
}

}  // namespace sinter
