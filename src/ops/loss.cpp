// Loss functions. Each loss is one op whose forward kernel computes the elementwise loss and
// its reduction in one pass; backwards are written with sinter ops, so double backward works.
// nll_loss has a gather-style kernel and a scatter-style backward op (nll_loss_backward) whose
// own backward is nll_loss again. cross_entropy is log_softmax followed by nll_loss.
#include <omp.h>

#include <atomic>
#include <cmath>
#include <limits>

#include "kernels/cpu/loops.h"
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

/// The gradient of the unreduced (elementwise) loss given the gradient of the op's output.
Tensor unreduced_grad(const Tensor& g, int64_t reduction, int64_t numel) {
  return reduction == kMean ? g / static_cast<double>(numel) : g;
}

// ---- pointwise losses: loss(x, y, w, pw) over the broadcast shape, then the reduction ---------
//
// A loss functor computes one element in the compute type A (float for float/half/bfloat16,
// double for double): `template <class A> A operator()(A x, A y, A w, A pw) const`. Inputs 0
// and 1 are input and target; inputs 2 and 3 (weight, pos_weight) are optional and read as 1
// when absent.

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
  std::vector<double> part(static_cast<size_t>(omp_get_max_threads()), 0.0);
  kernels::StridedLoop<4> loop(shape, {&in[0], &in[1], &in[2], &in[3]});
  loop.run([&](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
    const T* x = reinterpret_cast<const T*>(p[0]);
    const T* y = reinterpret_cast<const T*>(p[1]);
    const T* w = reinterpret_cast<const T*>(p[2]);
    const T* q = reinterpret_cast<const T*>(p[3]);
    constexpr int64_t es = sizeof(T);
    double acc;
    if (s[0] == es && s[1] == es && s[2] == 0 && s[3] == 0) {
      const A wv = A(*w), qv = A(*q);
      acc = block_sum<A>(n, [&](int64_t j) { return f(A(x[j]), A(y[j]), wv, qv); });
    } else {
      const int64_t s0 = s[0] / es, s1 = s[1] / es, s2 = s[2] / es, s3 = s[3] / es;
      acc = block_sum<A>(n, [&](int64_t j) { return f(A(x[j * s0]), A(y[j * s1]), A(w[j * s2]), A(q[j * s3])); });
    }
    part[static_cast<size_t>(omp_get_thread_num())] += acc;
  });
  double total = 0;
  for (double v : part) total += v;
  return total;
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
  return difference_grads(c, (c.input(0) - c.input(1)) * (pointwise_grad_scale(c, g[0]) * 2.0));
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
  visit_dtype(d, [&](auto tag) {
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
  const Tensor& x = c.input(0);
  const Tensor& y = c.input(1);
  return difference_grads(c, (x - y).sign() * pointwise_grad_scale(c, g[0]));
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
      const size_t nt = static_cast<size_t>(omp_get_max_threads());
      std::vector<double> lp(nt, 0.0), wp_(nt, 0.0);
      kernels::parallel_for(M, kernels::kGrainSize / 4, [&](int64_t b, int64_t e) {
        double l = 0, ws = 0;
        A wv;
        for (int64_t i = b; i < e; ++i) {
          l += static_cast<double>(term(i, wv));
          ws += static_cast<double>(wv);
        }
        lp[static_cast<size_t>(omp_get_thread_num())] += l;
        wp_[static_cast<size_t>(omp_get_thread_num())] += ws;
      });
      for (size_t k = 0; k < nt; ++k) {
        loss += lp[k];
        wsum += wp_[k];
      }
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

}  // namespace sinter
