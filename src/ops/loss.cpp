// Loss functions. Each loss is one op whose forward kernel computes the elementwise loss and
// its reduction in one pass; backwards are written with sinter ops, so double backward works.
// nll_loss has a gather-style kernel and a scatter-style backward op (nll_loss_backward) whose
// own backward is nll_loss again. cross_entropy is log_softmax followed by nll_loss.
#include <omp.h>

#include <atomic>
#include <cmath>
#include <limits>

#include "kernels/cpu/loops.h"
#include "kernels/cpu/unary_simd.h"
#include "ops/elementwise.h"
#include "ops/registry.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/loss.h"
#include "sinter/ops/nn.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/unary.h"

namespace sinter {
namespace ops {
namespace {

// ---- reductions ---------------------------------------------------------------------------

// PyTorch's reduction enum, kept as the ops' int attribute "reduction".
enum Reduction : int64_t { kNone = 0, kMean = 1, kSum = 2 };

int64_t parse_reduction(const char* op, std::string_view r) {
  if (r == "none") return kNone;
  if (r == "mean") return kMean;
  if (r == "sum") return kSum;
  throw ValueError(detail::str_cat(op, ": '", r, "' is not a valid value for reduction (expected 'none', 'mean' or 'sum')"));
}

int64_t numel_of(IntArrayRef shape) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

/// float16/bfloat16 tensors as float32 (others as they are). Backward formulas compute in
/// float32 and round once, when the engine casts each gradient to its input's dtype.
Tensor opmath(const Tensor& t) {
  return t.defined() && (t.dtype() == kHalf || t.dtype() == kBFloat16) ? t.to(kFloat) : t;
}

/// The gradient of the unreduced (elementwise) loss given the gradient of the op's output.
Tensor unreduced_grad(const Tensor& g, int64_t reduction, int64_t numel) {
  return reduction == kMean ? opmath(g) / static_cast<double>(numel) : opmath(g);
}

// ---- pointwise losses: loss(x, y, w, pw) over the broadcast shape, then the reduction ---------
//
// A loss functor computes one element in the compute type A (float for float/half/bfloat16,
// double for double): `template <class A> A operator()(A x, A y, A w, A pw) const`. Inputs 0
// and 1 are input and target; inputs 2 and 3 (weight, pos_weight) are optional and read as 1
// when absent.
//
// Losses built on exp/log also give a float32 SIMD path (kSimd): transcend(x, y, t1, t2, n)
// fills t1/t2 with the transcendental parts through the Highway unary kernels, and
// combine(x, y, w, pw, t1, t2) finishes the element with plain (vectorisable) arithmetic.

/// Runs f's SIMD path over n contiguous float32 elements in blocks; sink(j, loss_j) takes the
/// results. w and q are contiguous when w_full/q_full, else one broadcast value.
template <class F, class Sink>
void simd_blocks(const F& f, const float* x, const float* y, const float* w, bool w_full, const float* q,
                 bool q_full, int64_t n, Sink&& sink) {
  constexpr int64_t kBlock = 256;
  float t1[kBlock], t2[kBlock];
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t m = std::min(kBlock, n - b);
    f.transcend(x + b, y + b, t1, t2, m);
    sink(b, m, [&](int64_t j) {
      return f.combine(x[b + j], y[b + j], w_full ? w[b + j] : *w, q_full ? q[b + j] : *q, t1[j], t2[j]);
    });
  }
}

template <class F, class = void>
struct has_simd : std::false_type {};
template <class F>
struct has_simd<F, std::void_t<decltype(F::kSimd)>> : std::bool_constant<F::kSimd> {};

/// The op's inputs cast to T and broadcast to `shape` (absent ones as a broadcast 1).
template <class T>
std::array<Tensor, 4> loss_operands(const OpCall& c, IntArrayRef shape) {
  NoGradGuard g;
  constexpr DType d = dtype_of_v<T>;
  std::array<Tensor, 4> r;
  for (size_t k = 0; k < 4; ++k) {
    Tensor t = k < c.in.size() && c.in[k].defined() ? as_dtype(c.in[k], d) : scalar_tensor(Scalar(1), d);
    r[k] = kernels::broadcast_view(t, shape);
  }
  return r;
}

/// One partial sum per thread of a kernels::parallel_for (which runs on the calling thread alone
/// when it is already inside a parallel region).
class Partials {
 public:
  Partials() : v_(omp_in_parallel() ? 1 : static_cast<size_t>(omp_get_max_threads()), 0.0) {}
  double& mine() { return v_[v_.size() == 1 ? 0 : static_cast<size_t>(omp_get_thread_num())]; }
  double total() const {
    double t = 0;
    for (double x : v_) t += x;
    return t;
  }

 private:
  std::vector<double> v_;
};

/// Sum of g(i) for i in [0, n): blocked, 8 accumulators in A, blocks combined in double.
template <class A, class G>
double block_sum(int64_t n, G&& g) {
  double total = 0;
  constexpr int64_t kBlock = 4096;
  for (int64_t b = 0; b < n; b += kBlock) {
    int64_t e = std::min(n, b + kBlock);
    A acc[8] = {};
    int64_t i = b;
    for (; i + 8 <= e; i += 8)
      for (int k = 0; k < 8; ++k) acc[k] += g(i + k);
    A s = 0;
    for (; i < e; ++i) s += g(i);
    total += static_cast<double>(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + s);
  }
  return total;
}

/// out = f(x, y, w, pw) elementwise (fast: strided loops over the OpenMP pool).
template <class T, class F>
void pointwise_none(const Tensor& out, const std::array<Tensor, 4>& in, const F& f) {
  using A = compute_t<T>;
  kernels::StridedLoop<5> loop(out.sizes(), {&out, &in[0], &in[1], &in[2], &in[3]});
  loop.run([&](const std::array<char*, 5>& p, const std::array<int64_t, 5>& s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* x = reinterpret_cast<const T*>(p[1]);
    const T* y = reinterpret_cast<const T*>(p[2]);
    const T* w = reinterpret_cast<const T*>(p[3]);
    const T* q = reinterpret_cast<const T*>(p[4]);
    constexpr int64_t es = sizeof(T);
    if constexpr (std::is_same_v<T, float> && has_simd<F>::value) {
      if (s[0] == es && s[1] == es && s[2] == es && (s[3] == 0 || s[3] == es) && (s[4] == 0 || s[4] == es)) {
        simd_blocks(f, x, y, w, s[3] != 0, q, s[4] != 0, n, [&](int64_t b, int64_t m, auto&& loss) {
          for (int64_t j = 0; j < m; ++j) o[b + j] = loss(j);
        });
        return;
      }
    }
    if (s[0] == es && s[1] == es && s[2] == es && s[3] == 0 && s[4] == 0) {
      const A wv = A(*w), qv = A(*q);
      for (int64_t j = 0; j < n; ++j) o[j] = T(f(A(x[j]), A(y[j]), wv, qv));
    } else {
      const int64_t s0 = s[0] / es, s1 = s[1] / es, s2 = s[2] / es, s3 = s[3] / es, s4 = s[4] / es;
      for (int64_t j = 0; j < n; ++j) o[j * s0] = T(f(A(x[j * s1]), A(y[j * s2]), A(w[j * s3]), A(q[j * s4])));
    }
  });
}

/// Sum of f(x, y, w, pw) over `shape` (fast: per-thread partial sums).
template <class T, class F>
double pointwise_sum(IntArrayRef shape, const std::array<Tensor, 4>& in, const F& f) {
  using A = compute_t<T>;
  Partials part;
  kernels::StridedLoop<4> loop(shape, {&in[0], &in[1], &in[2], &in[3]});
  loop.run([&](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
    const T* x = reinterpret_cast<const T*>(p[0]);
    const T* y = reinterpret_cast<const T*>(p[1]);
    const T* w = reinterpret_cast<const T*>(p[2]);
    const T* q = reinterpret_cast<const T*>(p[3]);
    constexpr int64_t es = sizeof(T);
    double acc = 0;
    if constexpr (std::is_same_v<T, float> && has_simd<F>::value) {
      if (s[0] == es && s[1] == es && (s[2] == 0 || s[2] == es) && (s[3] == 0 || s[3] == es)) {
        simd_blocks(f, x, y, w, s[2] != 0, q, s[3] != 0, n,
                    [&](int64_t, int64_t m, auto&& loss) { acc += block_sum<float>(m, loss); });
        part.mine() += acc;
        return;
      }
    }
    if (s[0] == es && s[1] == es && s[2] == 0 && s[3] == 0) {
      const A wv = A(*w), qv = A(*q);
      acc = block_sum<A>(n, [&](int64_t j) { return f(A(x[j]), A(y[j]), wv, qv); });
    } else {
      const int64_t s0 = s[0] / es, s1 = s[1] / es, s2 = s[2] / es, s3 = s[3] / es;
      acc = block_sum<A>(n, [&](int64_t j) { return f(A(x[j * s0]), A(y[j * s1]), A(w[j * s2]), A(q[j * s3])); });
    }
    part.mine() += acc;
  });
  return part.total();
}

/// The operands as contiguous float64 copies (reference kernels compute in double, serially).
std::array<Tensor, 4> as_double(const std::array<Tensor, 4>& in) {
  NoGradGuard g;
  std::array<Tensor, 4> r;
  for (size_t k = 0; k < 4; ++k) r[k] = in[k].to(kDouble).contiguous();
  return r;
}

template <class T, class F>
void pointwise_none_ref(const Tensor& out, const std::array<Tensor, 4>& in, const F& f) {
  auto d = as_double(in);
  const double *x = static_cast<const double*>(d[0].data_ptr()), *y = static_cast<const double*>(d[1].data_ptr()),
               *w = static_cast<const double*>(d[2].data_ptr()), *q = static_cast<const double*>(d[3].data_ptr());
  T* o = static_cast<T*>(out.data_ptr());
  for (int64_t i = 0; i < out.numel(); ++i) o[i] = cast<T>(f(x[i], y[i], w[i], q[i]));
}

template <class T, class F>
double pointwise_sum_ref(IntArrayRef shape, const std::array<Tensor, 4>& in, const F& f) {
  auto d = as_double(in);
  const double *x = static_cast<const double*>(d[0].data_ptr()), *y = static_cast<const double*>(d[1].data_ptr()),
               *w = static_cast<const double*>(d[2].data_ptr()), *q = static_cast<const double*>(d[3].data_ptr());
  double s = 0;
  for (int64_t i = 0, n = numel_of(shape); i < n; ++i) s += f(x[i], y[i], w[i], q[i]);
  return s;
}

/// Runs loss functor f over the op's inputs: attribute 0 is the reduction; the loss is taken
/// over the broadcast shape of inputs 0 and 1.
template <bool Fast, class F>
void pointwise_kernel(const OpCall& c, const F& f) {
  const Tensor& out = c.out[0];
  const char* op = c.op.name.c_str();
  DimVector shape = broadcast_shapes(op, c.in[0].sizes(), c.in[1].sizes());
  int64_t reduction = c.attrs.i(0);
  visit_float_dtype(out.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto in = loss_operands<T>(c, shape);
    if (reduction == kNone) {
      if (Fast) pointwise_none<T>(out, in, f);
      else pointwise_none_ref<T>(out, in, f);
      return;
    }
    double s = Fast ? pointwise_sum<T>(shape, in, f) : pointwise_sum_ref<T>(shape, in, f);
    if (reduction == kMean) s /= static_cast<double>(numel_of(shape));
    *static_cast<T*>(out.data_ptr()) = cast<T>(s);
  });
}

/// Meta of a pointwise loss over (input, target): broadcast shape, promoted floating dtype.
void pointwise_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& x = c.in[0];
  const Tensor& y = c.in[1];
  DimVector shape = broadcast_shapes(op, x.sizes(), y.sizes());
  DType d = result_type(c.in.subspan(0, 2));
  SINTER_CHECK(is_floating_point(d), DTypeError, op, ": expected floating point input or target, got input ",
               dtype_name(x.dtype()), " and target ", dtype_name(y.dtype()));
  out[0].sizes = c.attrs.i(0) == kNone ? shape : DimVector{};
  out[0].dtype = d;
  n = 1;
}

/// d(loss)/d(input) and d(loss)/d(target) from the elementwise derivative `dx` (with respect to
/// the input) when the target's derivative is its negation.
TensorList difference_grads(BackwardCtx& c, const Tensor& dx) {
  TensorList r(2);
  if (c.needs(0)) r[0] = sum_to(dx, c.input(0).sizes());
  if (c.needs(1)) r[1] = sum_to(-dx, c.input(1).sizes());
  return r;
}

/// The elementwise gradient scale (g, or g / N for mean) of a pointwise loss over (x, y).
Tensor pointwise_grad_scale(BackwardCtx& c, const Tensor& g) {
  DimVector shape = broadcast_shapes(c.op.name.c_str(), c.input(0).sizes(), c.input(1).sizes());
  return unreduced_grad(g, c.attrs.i(0), numel_of(shape));
}

// mse_loss(self, target; reduction): (x - y)^2
struct MseF {
  template <class A>
  A operator()(A x, A y, A, A) const {
    A d = x - y;
    return d * d;
  }
};
template <bool Fast>
void mse_kernel(const OpCall& c) { pointwise_kernel<Fast>(c, MseF{}); }
TensorList mse_backward(BackwardCtx& c, const TensorList& g) {
  return difference_grads(c, (opmath(c.input(0)) - opmath(c.input(1))) * (pointwise_grad_scale(c, g[0]) * 2.0));
}

// l1_loss(self, target; reduction): |x - y|. Integer inputs are accepted with reduction none
// (same dtype) and sum (int64), as in PyTorch.
struct L1F {
  template <class A>
  A operator()(A x, A y, A, A) const { return std::abs(x - y); }
};
void l1_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  const Tensor& y = c.in[1];
  DimVector shape = broadcast_shapes("l1_loss", x.sizes(), y.sizes());
  DType d = result_type(c.in.subspan(0, 2));
  int64_t reduction = c.attrs.i(0);
  SINTER_CHECK(d != kBool, DTypeError, "l1_loss: subtraction of two bool tensors (input ", dtype_name(x.dtype()),
               ", target ", dtype_name(y.dtype()), ") is not supported");
  SINTER_CHECK(is_floating_point(d) || reduction != kMean, DTypeError,
               "l1_loss: reduction 'mean' needs a floating point input or target, got input ", dtype_name(x.dtype()),
               " and target ", dtype_name(y.dtype()));
  out[0].sizes = reduction == kNone ? shape : DimVector{};
  out[0].dtype = is_floating_point(d) || reduction == kNone ? d : kLong;
  n = 1;
}
template <bool Fast>
void l1_kernel(const OpCall& c) {
  DType d = result_type(c.in.subspan(0, 2));
  if (is_floating_point(d)) return pointwise_kernel<Fast>(c, L1F{});
  // Integers: |x - y| in the input dtype (wrapping like PyTorch), summed in int64.
  const Tensor& out = c.out[0];
  DimVector shape = broadcast_shapes("l1_loss", c.in[0].sizes(), c.in[1].sizes());
  visit_dtype_no_wide_uint(d, "l1_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      auto absdiff = [](T a, T b) {
        T v = static_cast<T>(a - b);
        if constexpr (std::is_signed_v<T>) v = static_cast<T>(v < 0 ? -v : v);
        return v;
      };
      auto in = loss_operands<T>(c, shape);
      if (c.attrs.i(0) == kNone) {
        kernels::binary_loop<T, T, T>(out, in[0], in[1], absdiff);
        return;
      }
      NoGradGuard g;
      Tensor x = in[0].contiguous(), y = in[1].contiguous();
      const T* xp = static_cast<const T*>(x.data_ptr());
      const T* yp = static_cast<const T*>(y.data_ptr());
      int64_t s = 0;
      for (int64_t i = 0; i < x.numel(); ++i) s += static_cast<int64_t>(absdiff(xp[i], yp[i]));
      *static_cast<int64_t*>(out.data_ptr()) = s;
    }
  });
}
TensorList l1_backward(BackwardCtx& c, const TensorList& g) {
  return difference_grads(c, (c.input(0) - c.input(1)).sign() * pointwise_grad_scale(c, g[0]));
}

/// Requires an input broadcastable to `shape` (weight, pos_weight) without growing it.
void check_broadcasts_to(const char* op, const char* what, const Tensor& t, IntArrayRef shape) {
  if (!t.defined()) return;
  const int64_t lead = static_cast<int64_t>(shape.size()) - t.dim();
  bool ok = lead >= 0;
  for (int64_t i = 0; ok && i < t.dim(); ++i) ok = t.size(i) == 1 || t.size(i) == shape[static_cast<size_t>(lead + i)];
  SINTER_CHECK(ok, ShapeError, op, ": ", what, " of shape ", shape_str(t.sizes()),
               " does not broadcast to the input's shape ", shape_str(shape));
}

// smooth_l1_loss(self, target; reduction, beta): 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta.
// (beta == 0 is l1_loss, dispatched by the public function as PyTorch does.)
struct SmoothL1F {
  double beta;
  template <class A>
  A operator()(A x, A y, A, A) const {
    const A b = A(beta), z = std::abs(x - y);
    return z < b ? A(0.5) * z * z / b : z - A(0.5) * b;
  }
};
void smooth_l1_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  SINTER_CHECK(c.attrs.f(1) > 0, ValueError, "smooth_l1_loss: beta must be positive (got ", c.attrs.f(1),
               "); beta = 0 is l1_loss and negative values are not supported");
  pointwise_meta(c, out, n);
}
template <bool Fast>
void smooth_l1_kernel(const OpCall& c) { pointwise_kernel<Fast>(c, SmoothL1F{c.attrs.f(1)}); }
TensorList smooth_l1_backward(BackwardCtx& c, const TensorList& g) {
  const double beta = c.attrs.f(1);
  return difference_grads(c, clamp((opmath(c.input(0)) - opmath(c.input(1))) / beta, -1.0, 1.0) * pointwise_grad_scale(c, g[0]));
}

// huber_loss(self, target; reduction, delta): 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta).
struct HuberF {
  double delta;
  template <class A>
  A operator()(A x, A y, A, A) const {
    const A dl = A(delta), z = std::abs(x - y);
    return z < dl ? A(0.5) * z * z : dl * (z - A(0.5) * dl);
  }
};
void huber_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  SINTER_CHECK(c.attrs.f(1) > 0, ValueError, "huber_loss: delta must be positive (got ", c.attrs.f(1), ")");
  pointwise_meta(c, out, n);
}
template <bool Fast>
void huber_kernel(const OpCall& c) { pointwise_kernel<Fast>(c, HuberF{c.attrs.f(1)}); }
TensorList huber_backward(BackwardCtx& c, const TensorList& g) {
  const double delta = c.attrs.f(1);
  return difference_grads(c, clamp(opmath(c.input(0)) - opmath(c.input(1)), -delta, delta) * pointwise_grad_scale(c, g[0]));
}

// binary_cross_entropy(self, target, weight; reduction):
//   -w (y max(log x, -100) + (1 - y) max(log(1 - x), -100)), x in [0, 1].
struct BceF {
  template <class A>
  A operator()(A x, A y, A w, A) const {
    const A lx = std::max(A(std::log(x)), A(-100)), l1x = std::max(A(std::log(A(1) - x)), A(-100));
    return w * ((y - A(1)) * l1x - y * lx);
  }
  static constexpr bool kSimd = true;
  void transcend(const float* x, const float* y, float* lx, float* l1x, int64_t n) const {
    kernels::unary_f32(kernels::UnaryOp::Log, x, lx, n);
    for (int64_t j = 0; j < n; ++j) l1x[j] = 1.0f - x[j];
    kernels::unary_f32(kernels::UnaryOp::Log, l1x, l1x, n);
  }
  float combine(float, float y, float w, float, float lx, float l1x) const {
    return w * ((y - 1.0f) * std::max(l1x, -100.0f) - y * std::max(lx, -100.0f));
  }
};
void bce_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  const Tensor& y = c.in[1];
  SINTER_CHECK(is_floating_point(x.dtype()), DTypeError, "binary_cross_entropy: expected a floating point input, got ",
               dtype_name(x.dtype()));
  SINTER_CHECK(y.sizes() == x.sizes(), ValueError, "binary_cross_entropy: target size ", shape_str(y.sizes()),
               " must be the same as input size ", shape_str(x.sizes()));
  SINTER_CHECK(y.dtype() == x.dtype(), DTypeError, "binary_cross_entropy: expected target of the input's dtype ",
               dtype_name(x.dtype()), ", got ", dtype_name(y.dtype()));
  check_broadcasts_to("binary_cross_entropy", "weight", c.in[2], x.sizes());
  out[0].sizes = c.attrs.i(0) == kNone ? DimVector(x.sizes()) : DimVector{};
  out[0].dtype = x.dtype();
  n = 1;
}
template <bool Fast>
void bce_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  std::atomic<bool> outside{false};
  visit_float_dtype(x.dtype(), "binary_cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    kernels::StridedLoop<1> loop(x.sizes(), {&x});
    loop.run([&](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
      bool bad = false;
      for (int64_t j = 0; j < n; ++j) {
        const A v = A(*reinterpret_cast<const T*>(p[0] + j * s[0]));
        bad |= !(v >= A(0) && v <= A(1));
      }
      if (bad) outside.store(true, std::memory_order_relaxed);
    });
  });
  SINTER_CHECK(!outside.load(), ValueError, "binary_cross_entropy: all elements of input should be between 0 and 1");
  pointwise_kernel<Fast>(c, BceF{});
}
TensorList bce_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor x = opmath(c.input(0)), y = opmath(c.input(1)), w = opmath(c.input(2));
  Tensor gs = unreduced_grad(g[0], c.attrs.i(0), x.numel());
  if (w.defined()) gs = gs * w;
  TensorList r(3);
  if (c.needs(0)) r[0] = sum_to((x - y) / clamp_min((1.0 - x) * x, 1e-12) * gs, x.sizes());
  if (c.needs(1)) r[1] = sum_to((log(1.0 - x) - log(x)) * gs, y.sizes());  // -logit(x)
  return r;
}

// binary_cross_entropy_with_logits(self, target, weight, pos_weight; reduction):
//   w ((1 - y) x + (1 + (pw - 1) y) softplus(-x)), softplus(-x) = log1p(exp(-|x|)) + max(-x, 0).
struct BceLogitsF {
  template <class A>
  A operator()(A x, A y, A w, A pw) const {
    const A sp = A(std::log1p(std::exp(-std::abs(x)))) + std::max(-x, A(0));
    return w * ((A(1) - y) * x + (A(1) + (pw - A(1)) * y) * sp);
  }
  static constexpr bool kSimd = true;  // softplus(-x) = -logsigmoid(x)
  void transcend(const float* x, const float*, float* ls, float*, int64_t n) const {
    kernels::unary_f32(kernels::UnaryOp::Logsigmoid, x, ls, n);
  }
  float combine(float x, float y, float w, float pw, float ls, float) const {
    return w * ((1.0f - y) * x - (1.0f + (pw - 1.0f) * y) * ls);
  }
};
void bce_logits_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = "binary_cross_entropy_with_logits";
  const Tensor& x = c.in[0];
  const Tensor& y = c.in[1];
  SINTER_CHECK(y.sizes() == x.sizes(), ValueError, op, ": target size ", shape_str(y.sizes()),
               " must be the same as input size ", shape_str(x.sizes()));
  DType d = result_type(c.in.subspan(0, 2));
  SINTER_CHECK(is_floating_point(x.dtype()) && is_floating_point(y.dtype()), DTypeError, op,
               ": expected floating point input and target, got input ", dtype_name(x.dtype()), " and target ",
               dtype_name(y.dtype()));
  check_broadcasts_to(op, "weight", c.in[2], x.sizes());
  check_broadcasts_to(op, "pos_weight", c.in[3], x.sizes());
  out[0].sizes = c.attrs.i(0) == kNone ? DimVector(x.sizes()) : DimVector{};
  out[0].dtype = d;
  n = 1;
}
template <bool Fast>
void bce_logits_kernel(const OpCall& c) { pointwise_kernel<Fast>(c, BceLogitsF{}); }
TensorList bce_logits_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor x = opmath(c.input(0)), y = opmath(c.input(1)), w = opmath(c.input(2)), pw = opmath(c.input(3));
  Tensor gs = unreduced_grad(g[0], c.attrs.i(0), x.numel());
  if (w.defined()) gs = gs * w;
  TensorList r(4);
  if (pw.defined()) {
    Tensor t = pw * y;
    if (c.needs(0)) r[0] = sum_to(((t + 1.0 - y) * sigmoid(x) - t) * gs, x.sizes());
    if (c.needs(1)) r[1] = sum_to((logsigmoid(-x) - logsigmoid(x) * pw) * gs, y.sizes());
  } else {
    if (c.needs(0)) r[0] = sum_to((sigmoid(x) - y) * gs, x.sizes());
    if (c.needs(1)) r[1] = sum_to(-x * gs, y.sizes());
  }
  return r;
}

// kl_div(self, target; reduction, log_target): target (log_)probabilities, self log-probabilities.
//   log_target: exp(y) (y - x); else xlogy(y, y) - y x (0 where y == 0).
struct KlDivF {
  bool log_target;
  template <class A>
  A operator()(A x, A y, A, A) const {
    if (log_target) return A(std::exp(y)) * (y - x);
    const A ylogy = std::isnan(y) ? y : (y == A(0) ? A(0) : y * A(std::log(y)));
    return ylogy - y * x;
  }
  static constexpr bool kSimd = true;  // t = exp(y) (log_target) or log(y)
  void transcend(const float*, const float* y, float* t, float*, int64_t n) const {
    kernels::unary_f32(log_target ? kernels::UnaryOp::Exp : kernels::UnaryOp::Log, y, t, n);
  }
  float combine(float x, float y, float, float, float t, float) const {
    if (log_target) return t * (y - x);
    return (y == 0.0f ? 0.0f : y * t) - y * x;  // y * log(y) is nan for a nan y
  }
};
void kl_div_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  SINTER_CHECK(is_floating_point(c.in[0].dtype()) && is_floating_point(c.in[1].dtype()), DTypeError,
               "kl_div: integral inputs are not supported (input ", dtype_name(c.in[0].dtype()), ", target ",
               dtype_name(c.in[1].dtype()), ")");
  pointwise_meta(c, out, n);
}
template <bool Fast>
void kl_div_kernel(const OpCall& c) { pointwise_kernel<Fast>(c, KlDivF{c.attrs.b(1)}); }
TensorList kl_div_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor x = opmath(c.input(0)), y = opmath(c.input(1));
  Tensor gs = pointwise_grad_scale(c, g[0]);
  DimVector shape = broadcast_shapes("kl_div", x.sizes(), y.sizes());
  // d/dx depends on y only: broadcast it to the loss's shape before summing down to x's.
  auto to_x = [&](const Tensor& t) { return sum_to(t.sizes() == IntArrayRef(shape) ? t : t.expand(shape), x.sizes()); };
  TensorList r(2);
  if (c.attrs.b(1)) {
    Tensor ey = exp(y);
    if (c.needs(0)) r[0] = to_x(-ey * gs);
    if (c.needs(1)) r[1] = sum_to(ey * (y - x + 1.0) * gs, y.sizes());
  } else {
    if (c.needs(0)) r[0] = to_x(-y * gs);
    // d xlogy(y, y) / dy = log(y) + y / y: nan at y == 0, as PyTorch's xlogy gradient.
    if (c.needs(1)) r[1] = sum_to((log(y) + y / y - x) * gs, y.sizes());
  }
  return r;
}

// ---- nll_loss -------------------------------------------------------------------------------
//
// nll_loss(self, target, weight; reduction, ignore_index) -> (output, total_weight)
//   self (C) with target (), or self (N, C, d1, ...) with target (N, d1, ...) of class indices.
//   loss[i] = -weight[t_i] * self[n, t_i, s] (0 where t_i == ignore_index);
//   mean = sum(loss) / sum(weight[t_i] over targets not ignored) (torch's weighted mean).
// nll_loss_backward(grad_output, self, target, weight, total_weight; reduction, ignore_index)
//   scatters -weight[t_i] * grad (/ total_weight for mean) into zeros of self's shape.

/// Validates class-index targets (and the weight) against input (C) or (N, C, d1, ...).
void check_class_target(const char* op, const Tensor& input, const Tensor& target, const Tensor& weight) {
  SINTER_CHECK(input.dim() >= 1, ValueError, op, ": expected an input with 1 or more dimensions (got a 0-dim tensor)");
  SINTER_CHECK(is_floating_point(input.dtype()), DTypeError, op, ": expected a floating point input, got ",
               dtype_name(input.dtype()));
  SINTER_CHECK(target.dtype() == kLong || target.dtype() == kByte, DTypeError, op,
               ": expected a target of class indices of dtype int64, got ", dtype_name(target.dtype()), " of shape ",
               shape_str(target.sizes()), " (for input of shape ", shape_str(input.sizes()), ")");
  if (input.dim() == 1) {
    SINTER_CHECK(target.dim() == 0, ShapeError, op, ": size mismatch (got input: ", shape_str(input.sizes()),
                 ", target: ", shape_str(target.sizes()), "); an input of shape (C) takes a 0-dim target");
  } else {
    SINTER_CHECK(target.dim() >= 1, ShapeError, op, ": expected a target of shape (N, d1, ...) for input of shape ",
                 shape_str(input.sizes()), ", got a 0-dim target");
    SINTER_CHECK(target.size(0) == input.size(0), ValueError, op, ": expected input batch_size (", input.size(0),
                 ") to match target batch_size (", target.size(0), "); input ", shape_str(input.sizes()), ", target ",
                 shape_str(target.sizes()));
    DimVector want{input.size(0)};
    for (int64_t d = 2; d < input.dim(); ++d) want.push_back(input.size(d));
    SINTER_CHECK(target.sizes() == IntArrayRef(want), ShapeError, op, ": expected target size ", shape_str(want),
                 ", got ", shape_str(target.sizes()), " (for input of shape ", shape_str(input.sizes()), ")");
  }
  if (weight.defined()) {
    int64_t C = input.dim() == 1 ? input.size(0) : input.size(1);
    SINTER_CHECK(weight.dim() == 1 && weight.numel() == C, ShapeError, op,
                 ": weight tensor should be defined either for all ", C,
                 " classes or no classes but got weight tensor of shape: ", shape_str(weight.sizes()));
  }
}

/// (N, C, S) view of an input (C) or (N, C, d1, ...): S is the product of the trailing dims.
struct NllGeom {
  int64_t N, C, S;
};
NllGeom nll_geom(const Tensor& self) {
  if (self.dim() == 1) return {1, self.size(0), 1};
  int64_t S = 1;
  for (int64_t d = 2; d < self.dim(); ++d) S *= self.size(d);
  return {self.size(0), self.size(1), S};
}

/// Remembers the first out-of-range class index seen by any thread.
struct BadTarget {
  std::atomic<bool> seen{false};
  std::atomic<int64_t> value{0};
  void record(int64_t v) {
    bool expected = false;
    if (seen.compare_exchange_strong(expected, true)) value.store(v);
  }
  void check(const char* op, const NllGeom& g, int64_t ignore_index) const {
    SINTER_CHECK(!seen.load(), IndexError, op, ": Target ", value.load(), " is out of bounds (expected a class index in [0, ",
                 g.C, ") or ignore_index ", ignore_index, ")");
  }
};

void nll_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& self = c.in[0];
  const Tensor& target = c.in[1];
  const Tensor& weight = c.in[2];
  check_class_target("nll_loss", self, target, weight);
  SINTER_CHECK(!weight.defined() || weight.dtype() == self.dtype(), DTypeError,
               "nll_loss: expected weight of the input's dtype ", dtype_name(self.dtype()), ", got ",
               dtype_name(weight.dtype()));
  out[0].sizes = c.attrs.i(0) == kNone ? DimVector(target.sizes()) : DimVector{};
  out[0].dtype = self.dtype();
  out[1].sizes = {};
  out[1].dtype = self.dtype();
  n = 2;
}

template <class T, class I, bool Fast>
void nll_forward(const OpCall& c) {
  using A = compute_t<T>;
  NoGradGuard guard;
  const Tensor x = c.in[0].contiguous(), t = c.in[1].contiguous();
  const Tensor w = c.in[2].defined() ? c.in[2].contiguous() : Tensor();
  const T* xp = static_cast<const T*>(x.data_ptr());
  const I* tp = static_cast<const I*>(t.data_ptr());
  const T* wp = w.defined() ? static_cast<const T*>(w.data_ptr()) : nullptr;
  const NllGeom g = nll_geom(x);
  const int64_t M = g.N * g.S;  // number of targets
  const int64_t reduction = c.attrs.i(0), ignore = c.attrs.i(1);
  BadTarget bad;
  // Loss of target i, and its class weight (0 when ignored).
  auto term = [&](int64_t i, A& wv) -> A {
    const int64_t cls = static_cast<int64_t>(tp[i]);
    wv = A(0);
    if (cls == ignore) return A(0);
    if (cls < 0 || cls >= g.C) {
      bad.record(cls);
      return A(0);
    }
    wv = wp ? A(wp[cls]) : A(1);
    if (Fast && g.S == 1) return -wv * A(xp[i * g.C + cls]);
    const int64_t n = i / g.S, s = i - n * g.S;
    return -wv * A(xp[(n * g.C + cls) * g.S + s]);
  };
  T* out = static_cast<T*>(c.out[0].data_ptr());
  T* total_weight = static_cast<T*>(c.out[1].data_ptr());
  if (reduction == kNone) {
    auto body = [&](int64_t b, int64_t e) {
      A wv;
      for (int64_t i = b; i < e; ++i) out[i] = T(term(i, wv));
    };
    if (Fast) kernels::parallel_for(M, kernels::kGrainSize / 4, body);
    else body(0, M);
    *total_weight = T(0);
  } else {
    double loss = 0, wsum = 0;
    if (Fast) {
      Partials lp, wp_;
      kernels::parallel_for(M, kernels::kGrainSize / 4, [&](int64_t b, int64_t e) {
        double l = 0, ws = 0;
        A wv;
        for (int64_t i = b; i < e; ++i) {
          l += static_cast<double>(term(i, wv));
          ws += static_cast<double>(wv);
        }
        lp.mine() += l;
        wp_.mine() += ws;
      });
      loss = lp.total();
      wsum = wp_.total();
    } else {
      A wv;
      for (int64_t i = 0; i < M; ++i) {
        loss += static_cast<double>(term(i, wv));
        wsum += static_cast<double>(wv);
      }
    }
    *out = cast<T>(reduction == kMean ? loss / wsum : loss);
    *total_weight = cast<T>(wsum);
  }
  bad.check("nll_loss", g, ignore);
}

template <bool Fast>
void nll_kernel(const OpCall& c) {
  visit_float_dtype(c.in[0].dtype(), "nll_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (c.in[1].dtype() == kLong) nll_forward<T, int64_t, Fast>(c);
    else nll_forward<T, uint8_t, Fast>(c);
  });
}

void nll_backward_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& self = c.in[1];
  check_class_target("nll_loss_backward", self, c.in[2], c.in[3]);
  DimVector want = c.attrs.i(0) == kNone ? DimVector(c.in[2].sizes()) : DimVector{};
  SINTER_CHECK(c.in[0].sizes() == IntArrayRef(want), ShapeError, "nll_loss_backward: expected grad_output of shape ",
               shape_str(want), ", got ", shape_str(c.in[0].sizes()));
  out[0].sizes = DimVector(self.sizes());
  out[0].dtype = self.dtype();
  n = 1;
}

template <class T, class I, bool Fast>
void nll_backward_impl(const OpCall& c) {
  using A = compute_t<T>;
  NoGradGuard guard;
  const Tensor go = as_dtype(c.in[0], dtype_of_v<T>).contiguous();
  const Tensor t = c.in[2].contiguous();
  const Tensor w = c.in[3].defined() ? c.in[3].contiguous() : Tensor();
  const NllGeom g = nll_geom(c.in[1]);
  const int64_t M = g.N * g.S;
  const int64_t reduction = c.attrs.i(0), ignore = c.attrs.i(1);
  const T* gp = static_cast<const T*>(go.data_ptr());
  const I* tp = static_cast<const I*>(t.data_ptr());
  const T* wp = w.defined() ? static_cast<const T*>(w.data_ptr()) : nullptr;
  T* gi = static_cast<T*>(c.out[0].data_ptr());  // (N, C, S), contiguous
  const A total_weight = reduction == kMean ? A(c.in[4].item<double>()) : A(1);
  const int64_t numel = c.out[0].numel();
  if (Fast) {
    kernels::parallel_for(numel, kernels::kGrainSize, [&](int64_t b, int64_t e) { std::fill(gi + b, gi + e, T(0)); });
  } else {
    for (int64_t i = 0; i < numel; ++i) gi[i] = T(0);
  }
  BadTarget bad;
  auto body = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t cls = static_cast<int64_t>(tp[i]);
      if (cls == ignore) continue;
      if (cls < 0 || cls >= g.C) {
        bad.record(cls);
        continue;
      }
      const A wv = wp ? A(wp[cls]) : A(1);
      const A grad = A(gp[reduction == kNone ? i : 0]);
      const int64_t n = i / g.S, s = i - n * g.S;
      gi[(n * g.C + cls) * g.S + s] = T(-wv * grad / total_weight);
    }
  };
  if (Fast) kernels::parallel_for(M, kernels::kGrainSize / 4, body);
  else body(0, M);
  bad.check("nll_loss_backward", g, ignore);
}

template <bool Fast>
void nll_backward_kernel(const OpCall& c) {
  visit_float_dtype(c.in[1].dtype(), "nll_loss_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (c.in[2].dtype() == kLong) nll_backward_impl<T, int64_t, Fast>(c);
    else nll_backward_impl<T, uint8_t, Fast>(c);
  });
}

extern OpDef& nll_loss_op;
extern OpDef& nll_loss_backward_op;

// d/d(self) of nll_loss is nll_loss_backward (linear in the incoming gradient).
TensorList nll_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(3);
  if (c.needs(0))
    r[0] = call(nll_loss_backward_op, {g[0], c.input(0), c.input(1), c.input(2), c.output(1)}, c.attrs);
  return r;
}
// nll_loss_backward is linear in grad_output with the same coefficients as nll_loss, so its
// gradient with respect to grad_output is nll_loss of the incoming gradient.
TensorList nll_backward_backward(BackwardCtx& c, const TensorList& gg) {
  TensorList r(5);
  if (c.needs(0)) r[0] = call_multi(nll_loss_op, {gg[0], c.input(2), c.input(3)}, c.attrs).release(0);
  return r;
}

OpDef& nll_loss_op = def("nll_loss").input("self").input("target").input("weight").outputs(2)
                         .attr("reduction", int64_t(kMean)).attr("ignore_index", int64_t(-100))
                         .set_meta(nll_meta).set_cpu(nll_kernel<true>).set_cpu_ref(nll_kernel<false>)
                         .set_backward(nll_backward, kSaveInputs | kSaveOutputs)
                         .set_onnx("NegativeLogLikelihoodLoss");
OpDef& nll_loss_backward_op = def("nll_loss_backward").input("grad_output").input("self").input("target")
                                  .input("weight").input("total_weight")
                                  .attr("reduction", int64_t(kMean)).attr("ignore_index", int64_t(-100))
                                  .set_meta(nll_backward_meta).set_cpu(nll_backward_kernel<true>)
                                  .set_cpu_ref(nll_backward_kernel<false>)
                                  .set_backward(nll_backward_backward, kSaveInputs, 0b01100);

OpDef& mse_loss_op = def("mse_loss").input("self").input("target").attr("reduction", int64_t(kMean))
                         .set_meta(pointwise_meta).set_cpu(mse_kernel<true>).set_cpu_ref(mse_kernel<false>)
                         .set_backward(mse_backward);
OpDef& l1_loss_op = def("l1_loss").input("self").input("target").attr("reduction", int64_t(kMean))
                        .set_meta(l1_meta).set_cpu(l1_kernel<true>).set_cpu_ref(l1_kernel<false>)
                        .set_backward(l1_backward);

OpDef& smooth_l1_loss_op = def("smooth_l1_loss").input("self").input("target").attr("reduction", int64_t(kMean))
                               .attr("beta", 1.0).set_meta(smooth_l1_meta).set_cpu(smooth_l1_kernel<true>)
                               .set_cpu_ref(smooth_l1_kernel<false>).set_backward(smooth_l1_backward);
OpDef& huber_loss_op = def("huber_loss").input("self").input("target").attr("reduction", int64_t(kMean))
                           .attr("delta", 1.0).set_meta(huber_meta).set_cpu(huber_kernel<true>)
                           .set_cpu_ref(huber_kernel<false>).set_backward(huber_backward);
OpDef& bce_op = def("binary_cross_entropy").input("self").input("target").input("weight")
                    .attr("reduction", int64_t(kMean)).set_meta(bce_meta).set_cpu(bce_kernel<true>)
                    .set_cpu_ref(bce_kernel<false>).set_backward(bce_backward);
OpDef& bce_logits_op = def("binary_cross_entropy_with_logits").input("self").input("target").input("weight")
                           .input("pos_weight").attr("reduction", int64_t(kMean)).set_meta(bce_logits_meta)
                           .set_cpu(bce_logits_kernel<true>).set_cpu_ref(bce_logits_kernel<false>)
                           .set_backward(bce_logits_backward);
OpDef& kl_div_op = def("kl_div").input("self").input("target").attr("reduction", int64_t(kMean))
                       .attr("log_target", false).set_meta(kl_div_meta).set_cpu(kl_div_kernel<true>)
                       .set_cpu_ref(kl_div_kernel<false>).set_backward(kl_div_backward, kSaveInputs);

}  // namespace
}  // namespace ops

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, std::string_view reduction,
                int64_t ignore_index) {
  int64_t r = ops::parse_reduction("nll_loss", reduction);
  return ops::call_multi(ops::nll_loss_op, {input, target, weight}, {r, ignore_index}).release(0);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, std::string_view reduction) {
  return ops::call(ops::mse_loss_op, {input, target}, {ops::parse_reduction("mse_loss", reduction)});
}

Tensor l1_loss(const Tensor& input, const Tensor& target, std::string_view reduction) {
  return ops::call(ops::l1_loss_op, {input, target}, {ops::parse_reduction("l1_loss", reduction)});
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, std::string_view reduction, double beta) {
  int64_t r = ops::parse_reduction("smooth_l1_loss", reduction);
  SINTER_CHECK(beta >= 0, ValueError, "smooth_l1_loss: beta must be non-negative (got ", beta, ")");
  if (beta == 0) return l1_loss(input, target, reduction);
  return ops::call(ops::smooth_l1_loss_op, {input, target}, {r, beta});
}

Tensor huber_loss(const Tensor& input, const Tensor& target, std::string_view reduction, double delta) {
  return ops::call(ops::huber_loss_op, {input, target}, {ops::parse_reduction("huber_loss", reduction), delta});
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            std::string_view reduction) {
  return ops::call(ops::bce_op, {input, target, weight}, {ops::parse_reduction("binary_cross_entropy", reduction)});
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        std::string_view reduction, const Tensor& pos_weight) {
  int64_t r = ops::parse_reduction("binary_cross_entropy_with_logits", reduction);
  return ops::call(ops::bce_logits_op, {input, target, weight, pos_weight}, {r});
}

Tensor kl_div(const Tensor& input, const Tensor& target, std::string_view reduction, bool log_target) {
  // 'batchmean' is the sum divided by the batch size (the size of dim 0).
  bool batchmean = reduction == "batchmean";
  SINTER_CHECK(batchmean || reduction == "none" || reduction == "mean" || reduction == "sum", ValueError, "kl_div: '",
               reduction, "' is not a valid value for reduction (expected 'none', 'batchmean', 'mean' or 'sum')");
  int64_t r = batchmean ? int64_t(ops::kSum) : ops::parse_reduction("kl_div", reduction);
  Tensor out = ops::call(ops::kl_div_op, {input, target}, {r, log_target});
  if (batchmean && input.dim() != 0) out = out / static_cast<double>(input.size(0));
  return out;
}

/// input (C) or (N, C, d1, ...); target class indices (N, d1, ...) or class probabilities
/// of the input's shape. The class dimension is 1 (0 for a 1-D input).
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, std::string_view reduction,
                     int64_t ignore_index, double label_smoothing) {
  const char* op = "cross_entropy";
  const int64_t red = ops::parse_reduction(op, reduction);
  SINTER_CHECK(input.dim() >= 1, ValueError, op, ": expected an input with 1 or more dimensions (got a 0-dim tensor)");
  SINTER_CHECK(is_floating_point(input.dtype()), DTypeError, op, ": expected a floating point input, got ",
               dtype_name(input.dtype()));
  SINTER_CHECK(!(label_smoothing > 1.0), ValueError, op, ": label_smoothing must be between 0.0 and 1.0. Got: ",
               label_smoothing);
  const int64_t class_dim = input.dim() == 1 ? 0 : 1;
  const int64_t C = input.size(class_dim);
  // float16/bfloat16 inputs: the loss is computed in float32 and returned in the input's dtype
  // (as under autocast), so that log_softmax and its gradient round once.
  const DType dt = input.dtype();
  const bool reduced = dt == kHalf || dt == kBFloat16;
  const std::optional<DType> compute = reduced ? std::optional<DType>(kFloat) : std::nullopt;
  auto in_dtype = [&](const Tensor& loss) { return reduced ? loss.to(dt) : loss; };
  // The weight broadcast along the class dimension: (C) or (1, C, 1, ...).
  auto class_weight = [&] {
    DimVector shape(static_cast<size_t>(input.dim()), 1);
    shape[static_cast<size_t>(class_dim)] = C;
    return ops::opmath(weight).view(shape);
  };

  if (input.sizes() == target.sizes()) {  // class probabilities
    SINTER_CHECK(is_floating_point(target.dtype()), DTypeError, op,
                 ": expected a floating point target for class probabilities (a target of the input's shape ",
                 shape_str(input.sizes()), "), got ", dtype_name(target.dtype()));
    SINTER_CHECK(ignore_index < 0, ValueError, op,
                 ": ignore_index is not supported for floating point target (class probabilities), got ignore_index ",
                 ignore_index);
    SINTER_CHECK(!weight.defined() || (weight.dim() == 1 && weight.numel() == C), ShapeError, op,
                 ": weight tensor should be defined either for all ", C,
                 " classes or no classes but got weight tensor of shape: ", shape_str(weight.sizes()));
    Tensor logp = log_softmax(input, class_dim, compute);
    Tensor t = ops::opmath(target);
    if (label_smoothing > 0) t = t * (1.0 - label_smoothing) + label_smoothing / static_cast<double>(C);
    Tensor prod = logp * t;
    if (weight.defined()) prod = prod * class_weight();
    if (red == ops::kNone) return in_dtype(-prod.sum({class_dim}));
    if (red == ops::kSum) return in_dtype(-prod.sum());
    const int64_t batch = C > 0 ? input.numel() / C : 0;  // mean over the non-class positions
    return in_dtype(-prod.sum() / static_cast<double>(batch));
  }

  // class indices
  ops::check_class_target(op, input, target, weight);
  SINTER_CHECK(!weight.defined() || weight.dtype() == input.dtype(), DTypeError, op,
               ": expected weight of the input's dtype ", dtype_name(input.dtype()), ", got ", dtype_name(weight.dtype()));
  Tensor logp = log_softmax(input, class_dim, compute);
  ops::Outputs nll;
  try {
    nll = ops::call_multi(ops::nll_loss_op, {logp, target, ops::opmath(weight)}, {red, ignore_index});
  } catch (const IndexError& e) {
    throw IndexError(std::string(op) + ": " + e.what());
  }
  if (!(label_smoothing > 0)) return in_dtype(nll.release(0));
  // Label smoothing: (1 - eps) nll + eps / C * (-sum over classes of w_c logp_c), with the same
  // ignore_index masking and, for mean, the same weighted denominator (total_weight) as nll.
  Tensor smooth = -(weight.defined() ? logp * class_weight() : logp).sum({class_dim});
  smooth = where(target == ignore_index, Scalar(0.0), smooth);
  Tensor ret = red == ops::kNone ? smooth : red == ops::kSum ? smooth.sum() : smooth.sum() / nll[1];
  return in_dtype(nll[0] * (1.0 - label_smoothing) + ret * (label_smoothing / static_cast<double>(C)));
}

}  // namespace sinter
