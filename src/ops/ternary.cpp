// Ternary elementwise ops, broadcasting all three inputs: where, addcmul, addcdiv.
#include "ops/elementwise.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/factory.h"

namespace sinter {
namespace ops {
namespace {

/// The broadcast shape of three inputs; the error names the op and shows all three shapes.
DimVector broadcast3(const OpCall& c) {
  IntArrayRef s0 = c.in[0].sizes(), s1 = c.in[1].sizes(), s2 = c.in[2].sizes();
  size_t n = std::max({s0.size(), s1.size(), s2.size()});
  DimVector r(n, 1);
  for (IntArrayRef s : {s0, s1, s2}) {
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& d = r[n - s.size() + i];
      SINTER_CHECK(s[i] == d || s[i] == 1 || d == 1, ShapeError, c.op.name, ": ", c.op.input_names[0], " ",
                   shape_str(s0), ", ", c.op.input_names[1], " ", shape_str(s1), " and ", c.op.input_names[2], " ",
                   shape_str(s2), " cannot be broadcast together (size ", d, " vs ", s[i], " at dimension ",
                   n - s.size() + i, ")");
      if (d == 1) d = s[i];
    }
  }
  return r;
}

/// out[i] = f(a[i], b[i], c[i]) with broadcasting; a plain loop where all four are contiguous.
template <class O, class A, class B, class C, class F>
void ternary_fast(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, F&& f) {
  Tensor ab = kernels::broadcast_view(a, out.sizes()), bb = kernels::broadcast_view(b, out.sizes()),
         cb = kernels::broadcast_view(c, out.sizes());
  kernels::StridedLoop<4> loop(out.sizes(), {&out, &ab, &bb, &cb});
  loop.run([&](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
    if (s[0] == sizeof(O) && s[1] == sizeof(A) && s[2] == sizeof(B) && s[3] == sizeof(C)) {
      O* o = reinterpret_cast<O*>(p[0]);
      const A* x = reinterpret_cast<const A*>(p[1]);
      const B* y = reinterpret_cast<const B*>(p[2]);
      const C* z = reinterpret_cast<const C*>(p[3]);
      for (int64_t j = 0; j < n; ++j) o[j] = f(x[j], y[j], z[j]);
    } else {
      for (int64_t j = 0; j < n; ++j)
        *reinterpret_cast<O*>(p[0] + j * s[0]) =
            f(*reinterpret_cast<const A*>(p[1] + j * s[1]), *reinterpret_cast<const B*>(p[2] + j * s[2]),
              *reinterpret_cast<const C*>(p[3] + j * s[3]));
    }
  });
}

template <bool Fast, class O, class A, class B, class C, class F>
void ternary(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, F&& f) {
  if constexpr (Fast) ternary_fast<O, A, B, C>(out, a, b, c, f);
  else kernels::ternary_loop<O, A, B, C>(out, a, b, c, f);
}

// where(condition, self, other): self where condition holds, else other. self and other
// promote; the condition is bool (uint8 accepted, as PyTorch still does).
void where_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  DType cd = c.in[0].dtype();
  SINTER_CHECK(cd == kBool || cd == kByte, DTypeError,
               "where: expected condition to be a bool tensor, but got a tensor with dtype ", dtype_name(cd));
  SINTER_CHECK((c.in[1].dtype() == kString) == (c.in[2].dtype() == kString), DTypeError, "where: self (",
               dtype_name(c.in[1].dtype()), ") and other (", dtype_name(c.in[2].dtype()), ") cannot be mixed");
  out[0].sizes = broadcast3(c);
  out[0].dtype = result_type(c.in.subspan(1, 2));
  n = 1;
}
template <bool Fast>
void where_kernel(const OpCall& c) {
  DType d = c.out[0].dtype();
  if (d == kString) {  // one element-assigning loop for both kernels
    kernels::ternary_loop<std::string, bool, std::string, std::string>(
        c.out[0], as_dtype(c.in[0], kBool), c.in[1], c.in[2],
        [](bool k, const std::string& x, const std::string& y) -> const std::string& { return k ? x : y; });
    return;
  }
  Tensor cond = as_dtype(c.in[0], kBool), a = as_dtype(c.in[1], d), b = as_dtype(c.in[2], d);
  visit_dtype(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    ternary<Fast, T, bool, T, T>(c.out[0], cond, a, b, [](bool k, T x, T y) { return k ? x : y; });
  });
}
TensorList where_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& cond = c.input(0);
  TensorList r(3);
  if (c.needs(1)) r[1] = where(cond, g[0], Scalar(0.0));
  if (c.needs(2)) r[2] = where(cond, Scalar(0.0), g[0]);
  return r;
}

// addcmul(self, tensor1, tensor2; value) = self + value * tensor1 * tensor2
// addcdiv(self, tensor1, tensor2; value) = self + value * tensor1 / tensor2 (no integer division)
void addc_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  out[0].sizes = broadcast3(c);
  out[0].dtype = result_type(c.in.subspan(0, 3));
  n = 1;
  DType s = c.in[0].dtype(), t1 = c.in[1].dtype(), t2 = c.in[2].dtype();
  SINTER_CHECK(out[0].dtype != kBool, DTypeError, c.op.name, ": not implemented for bool (self bool, tensor1 ",
               dtype_name(t1), ", tensor2 ", dtype_name(t2), ")");
  SINTER_CHECK(!(c.op.name == "addcdiv" && is_integral(t1, true) && is_integral(t2, true)), DTypeError,
               "addcdiv: integer division of tensor1 (", dtype_name(t1), ") by tensor2 (", dtype_name(t2),
               ") is not supported; use floating point tensors for a true division (self ", dtype_name(s), ")");
}
template <bool Div, bool Fast>
void addc_kernel(const OpCall& c) {
  DType d = c.out[0].dtype();
  Tensor s = as_dtype(c.in[0], d), t1 = as_dtype(c.in[1], d), t2 = as_dtype(c.in[2], d);
  Scalar value = c.attrs.s(0);
  visit_dtype(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    if constexpr (std::is_same_v<T, bool> || (Div && !is_float_type_v<T>)) {
      SINTER_ASSERT(false, "addcmul/addcdiv on ", dtype_name(d));
    } else {
      const A v = value.to<A>();
      ternary<Fast, T, T, T, T>(c.out[0], s, t1, t2, [v](T x, T y, T z) {
        if constexpr (Div) return T(A(x) + v * A(y) / A(z));
        else return T(A(x) + v * A(y) * A(z));
      });
    }
  });
}
TensorList addcmul_backward(BackwardCtx& c, const TensorList& g) {
  Scalar v = c.attrs.s(0);
  TensorList r(3);
  if (c.needs(0)) r[0] = g[0];
  if (c.needs(1)) r[1] = g[0] * (c.input(2) * v);
  if (c.needs(2)) r[2] = g[0] * (c.input(1) * v);
  return r;
}
TensorList addcdiv_backward(BackwardCtx& c, const TensorList& g) {
  Scalar v = c.attrs.s(0);
  const Tensor& t1 = c.input(1);
  const Tensor& t2 = c.input(2);
  TensorList r(3);
  if (c.needs(0)) r[0] = g[0];
  if (c.needs(1)) r[1] = g[0] * (v / t2);
  if (c.needs(2)) r[2] = -g[0] * (t1 * v / (t2 * t2));
  return r;
}

}  // namespace

OpDef& where_op = def("where").input("condition").input("self").input("other").set_meta(where_meta)
                      .set_cpu(where_kernel<true>).set_cpu_ref(where_kernel<false>)
                      .set_backward(where_backward, kSaveInputs, 0b001u).accepts_strings().set_onnx("Where");
OpDef& addcmul_op = def("addcmul").input("self").input("tensor1").input("tensor2").attr("value", Scalar(1))
                        .set_meta(addc_meta).set_cpu(addc_kernel<false, true>).set_cpu_ref(addc_kernel<false, false>)
                        .set_backward(addcmul_backward, kSaveInputs, 0b110u);
OpDef& addcdiv_op = def("addcdiv").input("self").input("tensor1").input("tensor2").attr("value", Scalar(1))
                        .set_meta(addc_meta).set_cpu(addc_kernel<true, true>).set_cpu_ref(addc_kernel<true, false>)
                        .set_backward(addcdiv_backward, kSaveInputs, 0b110u);

}  // namespace ops

using ops::call;
using ops::wrap_scalar;

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) { return call(ops::where_op, {cond, a, b}); }
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b) { return call(ops::where_op, {cond, wrap_scalar(a), b}); }
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) { return call(ops::where_op, {cond, a, wrap_scalar(b)}); }
Tensor Tensor::where(const Tensor& condition, const Tensor& other) const { return sinter::where(condition, *this, other); }

Tensor addcmul(const Tensor& self, const Tensor& t1, const Tensor& t2, const Scalar& value) {
  return call(ops::addcmul_op, {self, t1, t2}, {value});
}
Tensor addcdiv(const Tensor& self, const Tensor& t1, const Tensor& t2, const Scalar& value) {
  return call(ops::addcdiv_op, {self, t1, t2}, {value});
}
Tensor Tensor::addcmul(const Tensor& t1, const Tensor& t2, const Scalar& value) const {
  return sinter::addcmul(*this, t1, t2, value);
}
Tensor Tensor::addcdiv(const Tensor& t1, const Tensor& t2, const Scalar& value) const {
  return sinter::addcdiv(*this, t1, t2, value);
}
Tensor& Tensor::addcmul_(const Tensor& t1, const Tensor& t2, const Scalar& value) {
  return ops::call_inplace(ops::addcmul_op, *this, {*this, t1, t2}, {value});
}
Tensor& Tensor::addcdiv_(const Tensor& t1, const Tensor& t2, const Scalar& value) {
  return ops::call_inplace(ops::addcdiv_op, *this, {*this, t1, t2}, {value});
}

}  // namespace sinter
