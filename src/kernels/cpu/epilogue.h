// What a fused kernel applies to its result before writing it: an optional residual added
// elementwise, then an optional activation (in oneDNN: a sum post-op, then an eltwise one).
#pragma once
#include <string_view>

#include "sinter/tensor.h"

namespace dnnl {
struct post_ops;
}

namespace sinter::kernels {

/// y = act(y): none, relu, or clamp to [lo, hi].
struct Activation {
  enum class Kind { None, Relu, Clamp };
  Kind kind = Kind::None;
  double lo = 0, hi = 0;
};

/// The activation a fused op's attributes name ("none", "relu", "clamp" with bounds lo, hi);
/// ValueError naming `op` for anything else.
Activation parse_activation(const char* op, std::string_view name, double lo, double hi);

/// y = act(y + residual): residual (undefined: none) has y's sizes and dtype.
struct Epilogue {
  Tensor residual;
  Activation act;
  bool empty() const { return !residual.defined() && act.kind == Activation::Kind::None; }
};

/// Applies `e` to a contiguous y in place with plain loops (the reference, and the fallback
/// where oneDNN does not run the op).
void apply_epilogue(const Tensor& y, const Epilogue& e);

/// Appends e's activation to oneDNN post-ops (the residual's sum post-op is the caller's,
/// since it must come first).
void append_activation(dnnl::post_ops& po, const Activation& a);

}  // namespace sinter::kernels
