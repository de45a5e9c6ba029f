// Copies and conversions: clone, contiguous, to(dtype), copy_, fill_.
#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"
#include "ops/registry.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/shape.h"

namespace sinter {
namespace ops {
namespace {

void same_shape_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  out[0].sizes = DimVector(c.in[0].sizes());
  out[0].dtype = c.attrs.size() > 0 && !c.attrs.is_none(0) ? c.attrs.dtype(0) : c.in[0].dtype();
  n = 1;
}
void copy_into_kernel(const OpCall& c) { kernels::copy_kernel(c.out[0], c.in[0]); }

TensorList clone_backward(BackwardCtx&, const TensorList& g) { return {g[0]}; }
OpDef& clone_op = def("clone").input("self").set_meta(same_shape_meta).set_cpu(copy_into_kernel).accepts_strings()
                      .set_backward(clone_backward, kSaveNone).set_onnx("Identity");

// to_dtype(self; dtype): differentiable cast; the gradient is cast back.
TensorList to_dtype_backward(BackwardCtx& c, const TensorList& g) { return {g[0].to(c.input(0).dtype())}; }
OpDef& to_dtype_op = def("to_dtype").input("self").attr("dtype").set_meta(same_shape_meta).set_cpu(copy_into_kernel).accepts_strings()
                         .set_backward(to_dtype_backward).set_onnx("Cast");

// copy(self, src): self's values replaced by src (broadcast, cast). Used in place as copy_.
void copy_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& self = c.in[0];
  const Tensor& src = c.in[1];
  DimVector b = broadcast_shapes("copy_", self.sizes(), src.sizes());
  SINTER_CHECK(b == DimVector(self.sizes()), ShapeError, "copy_: the source of shape ", shape_str(src.sizes()),
               " cannot be broadcast to the destination of shape ", shape_str(self.sizes()));
  out[0].sizes = DimVector(self.sizes());
  out[0].dtype = self.dtype();
  n = 1;
}
void copy_kernel_op(const OpCall& c) { kernels::copy_kernel(c.out[0], c.in[1]); }
TensorList copy_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (c.needs(0)) r[0] = zeros_like(g[0]);
  if (c.needs(1)) r[1] = g[0].to(c.input(1).dtype());
  return r;
}
OpDef& copy_op = def("copy").input("self").input("src").set_meta(copy_meta).set_cpu(copy_kernel_op).accepts_strings()
                     .set_backward(copy_backward, kSaveInputs, 0b10);

// fill(self; value)
void fill_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  out[0].sizes = DimVector(c.in[0].sizes());
  out[0].dtype = c.in[0].dtype();
  n = 1;
}
void fill_kernel(const OpCall& c) {
  const Tensor& o = c.out[0];
  Scalar v = c.attrs.s(0);
  visit_dtype(o.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T val = v.to<T>();
    kernels::StridedLoop<1> loop(o.sizes(), {&o});
    loop.run([&](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
      if (s[0] == sizeof(T)) std::fill_n(reinterpret_cast<T*>(p[0]), n, val);
      else for (int64_t j = 0; j < n; ++j) *reinterpret_cast<T*>(p[0] + j * s[0]) = val;
    });
  });
}
TensorList fill_backward(BackwardCtx&, const TensorList& g) { return {zeros_like(g[0])}; }
OpDef& fill_op = def("fill").input("self").attr("value").set_meta(fill_meta).set_cpu(fill_kernel)
                     .set_backward(fill_backward, kSaveNone);

}  // namespace
}  // namespace ops

Tensor clone(const Tensor& x) { return ops::call(ops::clone_op, {x}); }
Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }
Tensor Tensor::clone(MemoryFormat) const { return sinter::clone(*this); }
Tensor Tensor::contiguous(MemoryFormat) const { return is_contiguous() ? *this : sinter::clone(*this); }

Tensor Tensor::to(DType d, bool, bool copy) const {
  if (d == dtype() && !copy) return *this;
  return ops::call(ops::to_dtype_op, {*this}, {d});
}
Tensor Tensor::to(Device dev, DType d, bool nb, bool copy) const {
  SINTER_CHECK(dev.is_cpu(), NotImplementedError, "to: device ", dev.str(), " is not available in this build");
  return to(d, nb, copy);
}
Tensor Tensor::to(Device dev, bool nb, bool copy) const { return to(dev, dtype(), nb, copy); }
Tensor Tensor::to(const TensorOptions& o, bool nb, bool copy) const {
  return to(o.device(), o.has_dtype() ? o.dtype() : dtype(), nb, copy);
}

Tensor& Tensor::copy_(const Tensor& src, bool) {
  ops::call_inplace(ops::copy_op, *this, {*this, src});
  return *this;
}
Tensor& Tensor::fill_(const Scalar& v) { return ops::call_inplace(ops::fill_op, *this, {*this}, {v}); }
Tensor& Tensor::zero_() { return fill_(0); }

}  // namespace sinter
