// Shared pieces of elementwise op families: metas and kernel drivers over the strided loops.
#pragma once
#include "kernels/cpu/loops.h"
#include "ops/registry.h"

namespace sinter::ops {

/// Meta of a broadcasting binary op computing in the promoted dtype (out_dtype overrides, e.g. Bool).
void binary_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n);
/// Same, but integer inputs produce the default float dtype (true division, atan2, ...).
void binary_float_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n);
/// Comparison: broadcast, output bool.
void compare_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n);
/// Unary: same shape and dtype.
void unary_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n);
/// Unary producing a float (ints promote to the default dtype): exp, sin, sqrt, ...
void unary_float_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n);

/// `t` converted to dtype d (no autograd), or t itself when it already has it.
Tensor as_dtype(const Tensor& t, DType d);

/// The Scalar operand of `x op s`, as a wrapped-number tensor for type promotion.
Tensor wrap_scalar(const Scalar& s);

/// Runs f(a, b) -> T over out (dtype T) with a and b cast to T first.
template <class T, class F>
void binary_same(const OpCall& c, F&& f) {
  const Tensor& o = c.out[0];
  Tensor a = as_dtype(c.in[0], o.dtype()), b = as_dtype(c.in[1], o.dtype());
  kernels::binary_loop<T, T, T>(o, a, b, f);
}

}  // namespace sinter::ops
