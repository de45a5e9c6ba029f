// Shared pieces of the unary op and activation families: dtype checks, the scalar reference
// kernel driver and the float32 SIMD fast path.
#pragma once
#include <limits>

#include "kernels/cpu/unary_simd.h"
#include "ops/elementwise.h"

namespace sinter::ops {

/// Elements per task for transcendental kernels (each element costs tens of flops).
constexpr int64_t kMathGrain = 8192;

/// Throws DTypeError naming the op unless input 0 is floating point.
inline void check_floating_input(const OpCall& c) {
  DType d = c.in[0].dtype();
  SINTER_CHECK(is_floating_point(d), DTypeError, c.op.name, ": expected a floating point tensor, got dtype ",
               dtype_name(d));
}
/// Throws DTypeError naming the op when input 0 is bool.
inline void check_not_bool(const OpCall& c) {
  SINTER_CHECK(c.in[0].dtype() != kBool, DTypeError, c.op.name, ": bool tensors are not supported (got dtype bool)");
}

/// Meta of activations defined on floating tensors only (same shape and dtype).
inline void float_only_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  check_floating_input(c);
  unary_meta(c, out, n);
}

/// Reference kernel: out = f(in) elementwise, evaluated in the compute type of out's (floating)
/// dtype: float for float16/bfloat16/float32, double for float64. f is generic over that type.
template <class F>
void unary_ref(const OpCall& c, F&& f) {
  const Tensor& out = c.out[0];
  Tensor x = as_dtype(c.in[0], out.dtype());
  visit_float_dtype(out.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    kernels::unary_loop<T, T>(out, x, [&](T v) { return T(f(A(v))); });
  });
}

/// Fast kernel: float32 goes through the SIMD kernel `op` (contiguous runs) and f elsewhere;
/// other dtypes through unary_ref.
template <class F>
void unary_fast(const OpCall& c, kernels::UnaryOp op, const kernels::UnaryParams& p, F&& f,
                int64_t grain = kMathGrain) {
  if (c.out[0].dtype() != kFloat) return unary_ref(c, f);
  Tensor x = as_dtype(c.in[0], kFloat);
  kernels::unary_f32_loop(c.out[0], x, op, p, [&](float v) { return f(v); }, grain);
}

/// A bool mask as a tensor of dtype d (1 where true), for masked gradients.
inline Tensor mask_as(const Tensor& mask, DType d) {
  NoGradGuard g;
  return mask.to(d);
}

/// Evaluates a backward formula f(g, t) in float32 when the gradient g is float16/bfloat16 (as
/// PyTorch's kernels compute in float) and returns it in g's dtype. The casts are sinter ops,
/// so the result stays differentiable.
template <class F>
Tensor opmath(const Tensor& g, const Tensor& t, F&& f) {
  DType d = g.dtype();
  if (d != kHalf && d != kBFloat16) return f(g, t);
  return f(g.to(kFloat), t.to(kFloat)).to(d);
}

/// min(max(x, lo), hi) with NaN passing through, for clamp and hardtanh.
template <class A>
inline A clamp_value(A v, A lo, A hi, bool has_lo, bool has_hi) {
  if constexpr (std::is_floating_point_v<A>)
    if (v != v) return v;
  if (has_lo && v < lo) v = lo;
  if (has_hi && v > hi) v = hi;
  return v;
}

}  // namespace sinter::ops
