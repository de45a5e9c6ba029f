#include "ops/elementwise.h"

#include "sinter/autograd.h"

namespace sinter::ops {

void binary_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  out[0].sizes = broadcast_shapes(c.op.name.c_str(), c.in[0].sizes(), c.in[1].sizes());
  out[0].dtype = result_type(c.in.subspan(0, 2));
  n = 1;
}
void binary_float_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  binary_meta(c, out, n);
  if (!is_floating_point(out[0].dtype)) out[0].dtype = default_dtype();
}
void compare_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  binary_meta(c, out, n);
  out[0].dtype = kBool;
}
void unary_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  out[0].sizes = DimVector(c.in[0].sizes());
  out[0].dtype = c.in[0].dtype();
  n = 1;
}
void unary_float_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  unary_meta(c, out, n);
  if (!is_floating_point(out[0].dtype)) out[0].dtype = default_dtype();
}

Tensor as_dtype(const Tensor& t, DType d) {
  if (t.dtype() == d) return t;
  NoGradGuard g;
  return t.to(d);
}

Tensor wrap_scalar(const Scalar& s) {
  Tensor t = scalar_tensor(s, s.is_floating_point() ? kDouble : s.dtype());
  t.impl()->wrapped_number = true;
  return t;
}

}  // namespace sinter::ops
