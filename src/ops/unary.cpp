// Elementwise unary ops: forward and backward side by side.
#include <cmath>

#include "ops/elementwise.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/unary.h"

namespace sinter {
namespace ops {
namespace {

template <class F>
void unary_same(const OpCall& c, F&& make) {  // make(tag) -> lambda(T) -> T
  visit_dtype(c.out[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor x = as_dtype(c.in[0], c.out[0].dtype());
    kernels::unary_loop<T, T>(c.out[0], x, make(tag));
  });
}

// neg
void neg_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  SINTER_CHECK(c.in[0].dtype() != kBool, DTypeError,
               "neg: negation, the `-` operator, on a bool tensor is not supported. Use logical_not() instead.");
  unary_meta(c, out, n);
}
void neg_kernel(const OpCall& c) {
  unary_same(c, [](auto tag) {
    using T = typename decltype(tag)::type;
    return [](T v) { return T(-compute_t<T>(v)); };
  });
}
TensorList neg_backward(BackwardCtx&, const TensorList& g) { return {-g[0]}; }
OpDef& neg_op = def("neg").input("self").set_meta(neg_meta).set_cpu(neg_kernel).set_backward(neg_backward, kSaveNone)
                    .set_onnx("Neg");

// abs
void abs_kernel(const OpCall& c) {
  unary_same(c, [](auto tag) {
    using T = typename decltype(tag)::type;
    return [](T v) {
      if constexpr (std::is_same_v<T, bool> || std::is_unsigned_v<T>) return v;
      else return T(compute_t<T>(v) < 0 ? -compute_t<T>(v) : compute_t<T>(v));
    };
  });
}
TensorList abs_backward(BackwardCtx& c, const TensorList& g) { return {g[0] * c.input(0).sign()}; }
OpDef& abs_op = def("abs").input("self").set_meta(unary_meta).set_cpu(abs_kernel).set_backward(abs_backward).set_onnx("Abs");

// sign
void sign_kernel(const OpCall& c) {
  unary_same(c, [](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    return [](T v) {
      if constexpr (std::is_same_v<T, bool>) return v;
      else return T(A((A(v) > A(0)) - (A(v) < A(0))));
    };
  });
}
TensorList sign_backward(BackwardCtx&, const TensorList& g) { return {zeros_like(g[0])}; }
OpDef& sign_op = def("sign").input("self").set_meta(unary_meta).set_cpu(sign_kernel).set_backward(sign_backward, kSaveNone)
                     .set_onnx("Sign");

// isfinite (bool output, no gradient)
void bool_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  unary_meta(c, out, n);
  out[0].dtype = kBool;
}
void isfinite_kernel(const OpCall& c) {
  visit_dtype(c.in[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::unary_loop<bool, T>(c.out[0], c.in[0], [](T v) {
      if constexpr (is_float_type_v<T>) return std::isfinite(static_cast<compute_t<T>>(v));
      else return true;
    });
  });
}
OpDef& isfinite_op = def("isfinite").input("self").set_meta(bool_meta).set_cpu(isfinite_kernel);

}  // namespace
}  // namespace ops

Tensor neg(const Tensor& x) { return ops::call(ops::neg_op, {x}); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor Tensor::neg() const { return sinter::neg(*this); }
Tensor abs(const Tensor& x) { return ops::call(ops::abs_op, {x}); }
Tensor Tensor::abs() const { return sinter::abs(*this); }
Tensor sign(const Tensor& x) { return ops::call(ops::sign_op, {x}); }
Tensor Tensor::sign() const { return sinter::sign(*this); }
Tensor isfinite(const Tensor& x) { return ops::call(ops::isfinite_op, {x}); }
Tensor Tensor::isfinite() const { return sinter::isfinite(*this); }

}  // namespace sinter
