// Binary arithmetic: add sub mul div (forward + backward), with broadcasting and promotion.
#include <atomic>
#include <cmath>

#include "ops/elementwise.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/unary.h"

namespace sinter {
namespace ops {
namespace {

template <class F>
void arith(const OpCall& c, F&& f) {  // f(tag) -> lambda(a, b)
  visit_dtype(c.out[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    binary_same<T>(c, f(tag));
  });
}

// add(self, other; alpha): self + alpha * other
void add_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  binary_meta(c, out, n);
  Scalar alpha = c.attrs.s(0);
  SINTER_CHECK(!(alpha.is_floating_point() && !is_floating_point(out[0].dtype)), DTypeError, c.op.name,
               ": for integral input tensors, argument alpha must not be a floating point number (got ", alpha, ")");
  SINTER_CHECK(!(c.op.name == "sub" && out[0].dtype == kBool), DTypeError,
               "sub: subtraction, the `-` operator, with two bool tensors is not supported. Use logical_xor() instead.");
}
template <bool Sub>
void addsub_kernel(const OpCall& c) {
  Scalar alpha_s = c.attrs.s(0);
  arith(c, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      return [](bool a, bool b) { return Sub ? a != b : (a || b); };
    } else {
      A alpha = alpha_s.to<A>();
      if (alpha == A(1))
        return std::function<T(T, T)>([](T a, T b) { return T(Sub ? A(a) - A(b) : A(a) + A(b)); });
      return std::function<T(T, T)>([alpha](T a, T b) { return T(Sub ? A(a) - alpha * A(b) : A(a) + alpha * A(b)); });
    }
  });
}
// The alpha == 1 float/double fast path without std::function (keeps the loop vectorisable).
template <bool Sub>
void addsub_fast(const OpCall& c) {
  DType d = c.out[0].dtype();
  bool unit = c.attrs.s(0).to_double() == 1.0;
  if (unit && d == kFloat) return binary_same<float>(c, [](float a, float b) { return Sub ? a - b : a + b; });
  if (unit && d == kDouble) return binary_same<double>(c, [](double a, double b) { return Sub ? a - b : a + b; });
  if (d == kFloat) {
    float al = c.attrs.s(0).to<float>();
    return binary_same<float>(c, [al](float a, float b) { return Sub ? a - al * b : a + al * b; });
  }
  addsub_kernel<Sub>(c);
}
TensorList add_backward(BackwardCtx& c, const TensorList& g) {
  Scalar alpha = c.attrs.s(0);
  bool unit = alpha.to_double() == 1.0;
  TensorList r(2);
  if (c.needs(0)) r[0] = g[0];
  if (c.needs(1)) r[1] = unit ? g[0] : g[0] * alpha;
  return r;
}
TensorList sub_backward(BackwardCtx& c, const TensorList& g) {
  Scalar alpha = c.attrs.s(0);
  TensorList r(2);
  if (c.needs(0)) r[0] = g[0];
  if (c.needs(1)) r[1] = alpha.to_double() == 1.0 ? -g[0] : g[0] * (-alpha);
  return r;
}
OpDef& add_op = def("add").input("self").input("other").attr("alpha", Scalar(1)).set_meta(add_meta)
                    .set_cpu(addsub_fast<false>).set_cpu_ref(addsub_kernel<false>)
                    .set_backward(add_backward, kSaveNone).set_onnx("Add");
OpDef& sub_op = def("sub").input("self").input("other").attr("alpha", Scalar(1)).set_meta(add_meta)
                    .set_cpu(addsub_fast<true>).set_cpu_ref(addsub_kernel<true>)
                    .set_backward(sub_backward, kSaveNone).set_onnx("Sub");

// mul(self, other)
void mul_kernel(const OpCall& c) {
  arith(c, [](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    if constexpr (std::is_same_v<T, bool>) return [](bool a, bool b) { return a && b; };
    else return [](T a, T b) { return T(A(a) * A(b)); };
  });
}
TensorList mul_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (c.needs(0)) r[0] = g[0] * c.input(1);
  if (c.needs(1)) r[1] = g[0] * c.input(0);
  return r;
}
OpDef& mul_op = def("mul").input("self").input("other").set_meta(binary_meta).set_cpu(mul_kernel)
                    .set_backward(mul_backward).set_onnx("Mul");

// div(self, other; rounding_mode): true division promotes ints to float; "trunc"/"floor" keep dtype.
void div_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  if (c.attrs.is_none(0)) return binary_float_meta(c, out, n);
  const std::string& m = c.attrs.str(0);
  SINTER_CHECK(m == "trunc" || m == "floor", ValueError,
               "div: expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", m, "'");
  binary_meta(c, out, n);
  SINTER_CHECK(out[0].dtype != kBool, DTypeError, "div: rounding division is not supported for bool tensors");
}
void div_kernel(const OpCall& c) {
  int mode = c.attrs.is_none(0) ? 0 : c.attrs.str(0) == "trunc" ? 1 : 2;
  DType d = c.out[0].dtype();
  if (mode == 0 && d == kFloat) return binary_same<float>(c, [](float a, float b) { return a / b; });
  visit_dtype(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      SINTER_ASSERT(false, "bool division");
    } else if constexpr (std::is_integral_v<T>) {
      std::atomic<bool> by_zero{false};
      binary_same<T>(c, [mode, &by_zero](T a, T b) -> T {
        if (b == 0) {
          by_zero.store(true, std::memory_order_relaxed);
          return T(0);
        }
        if (std::is_signed_v<T> && b == T(-1)) return T(-static_cast<int64_t>(a));  // avoid INT_MIN / -1 trap
        T q = T(a / b);
        if (mode == 2 && (a % b != 0) && ((a < 0) != (b < 0))) q = T(q - 1);
        return q;
      });
      SINTER_CHECK(!by_zero.load(), ValueError, "div: ZeroDivisionError (integer division by zero)");
    } else {
      binary_same<T>(c, [mode](T a, T b) -> T {
        A q = A(a) / A(b);
        if (mode == 1) return T(std::trunc(q));
        if (mode == 2) {
          // Python's floor division: floor of the exact quotient, via fmod to avoid rounding issues.
          A mod = std::fmod(A(a), A(b));
          A div = (A(a) - mod) / A(b);
          if (mod != A(0) && ((A(b) < 0) != (mod < 0))) div -= A(1);
          if (div == A(0)) return T(std::copysign(A(0), q));
          A fl = std::floor(div);
          if (div - fl > A(0.5)) fl += A(1);
          return T(A(b) == A(0) ? q : fl);
        }
        return T(q);
      });
    }
  });
}
TensorList div_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (!c.attrs.is_none(0)) {  // rounding division: gradient zero almost everywhere
    if (c.needs(0)) r[0] = zeros_like(g[0]);
    if (c.needs(1)) r[1] = zeros_like(g[0]);
    return r;
  }
  const Tensor& a = c.input(0);
  const Tensor& b = c.input(1);
  if (c.needs(0)) r[0] = g[0] / b;
  if (c.needs(1)) r[1] = -g[0] * a / (b * b);
  return r;
}
}  // namespace

OpDef& div_op = def("div").input("self").input("other").attr("rounding_mode").set_meta(div_meta).set_cpu(div_kernel)
                    .set_backward(div_backward).set_onnx("Div");

}  // namespace ops

using ops::call;
using ops::wrap_scalar;

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) { return call(ops::add_op, {a, b}, {alpha}); }
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha) { return call(ops::add_op, {a, wrap_scalar(b)}, {alpha}); }
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) { return call(ops::sub_op, {a, b}, {alpha}); }
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha) { return call(ops::sub_op, {a, wrap_scalar(b)}, {alpha}); }
Tensor rsub(const Tensor& a, const Scalar& b, const Scalar& alpha) { return call(ops::sub_op, {wrap_scalar(b), a}, {alpha}); }
Tensor mul(const Tensor& a, const Tensor& b) { return call(ops::mul_op, {a, b}); }
Tensor mul(const Tensor& a, const Scalar& b) { return call(ops::mul_op, {a, wrap_scalar(b)}); }
static ops::Attrs rounding(std::optional<std::string_view> m) {
  ops::Attrs a;
  if (m) a.push(std::string(*m));
  else a.push(std::monostate{});
  return a;
}
Tensor div(const Tensor& a, const Tensor& b, std::optional<std::string_view> m) { return call(ops::div_op, {a, b}, rounding(m)); }
Tensor div(const Tensor& a, const Scalar& b, std::optional<std::string_view> m) {
  return call(ops::div_op, {a, wrap_scalar(b)}, rounding(m));
}
Tensor floor_divide(const Tensor& a, const Tensor& b) { return div(a, b, "floor"); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator+(const Tensor& a, const Scalar& b) { return add(a, b); }
Tensor operator+(const Scalar& a, const Tensor& b) { return add(b, a); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator-(const Tensor& a, const Scalar& b) { return sub(a, b); }
Tensor operator-(const Scalar& a, const Tensor& b) { return rsub(b, a); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator*(const Tensor& a, const Scalar& b) { return mul(a, b); }
Tensor operator*(const Scalar& a, const Tensor& b) { return mul(b, a); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator/(const Tensor& a, const Scalar& b) { return div(a, b); }
Tensor operator/(const Scalar& a, const Tensor& b) { return div(wrap_scalar(a), b); }
Tensor& operator+=(Tensor& a, const Tensor& b) { return a.add_(b); }
Tensor& operator+=(Tensor& a, const Scalar& b) { return a.add_(b); }
Tensor& operator-=(Tensor& a, const Tensor& b) { return a.sub_(b); }
Tensor& operator-=(Tensor& a, const Scalar& b) { return a.sub_(b); }
Tensor& operator*=(Tensor& a, const Tensor& b) { return a.mul_(b); }
Tensor& operator*=(Tensor& a, const Scalar& b) { return a.mul_(b); }
Tensor& operator/=(Tensor& a, const Tensor& b) { return a.div_(b); }
Tensor& operator/=(Tensor& a, const Scalar& b) { return a.div_(b); }

Tensor Tensor::add(const Tensor& o, const Scalar& alpha) const { return sinter::add(*this, o, alpha); }
Tensor Tensor::add(const Scalar& o, const Scalar& alpha) const { return sinter::add(*this, o, alpha); }
Tensor Tensor::sub(const Tensor& o, const Scalar& alpha) const { return sinter::sub(*this, o, alpha); }
Tensor Tensor::sub(const Scalar& o, const Scalar& alpha) const { return sinter::sub(*this, o, alpha); }
Tensor Tensor::mul(const Tensor& o) const { return sinter::mul(*this, o); }
Tensor Tensor::mul(const Scalar& o) const { return sinter::mul(*this, o); }
Tensor Tensor::div(const Tensor& o, std::optional<std::string_view> m) const { return sinter::div(*this, o, m); }
Tensor Tensor::div(const Scalar& o, std::optional<std::string_view> m) const { return sinter::div(*this, o, m); }
Tensor& Tensor::add_(const Tensor& o, const Scalar& alpha) { return ops::call_inplace(ops::add_op, *this, {*this, o}, {alpha}); }
Tensor& Tensor::add_(const Scalar& o, const Scalar& alpha) {
  return ops::call_inplace(ops::add_op, *this, {*this, wrap_scalar(o)}, {alpha});
}
Tensor& Tensor::sub_(const Tensor& o, const Scalar& alpha) { return ops::call_inplace(ops::sub_op, *this, {*this, o}, {alpha}); }
Tensor& Tensor::sub_(const Scalar& o, const Scalar& alpha) {
  return ops::call_inplace(ops::sub_op, *this, {*this, wrap_scalar(o)}, {alpha});
}
Tensor& Tensor::mul_(const Tensor& o) { return ops::call_inplace(ops::mul_op, *this, {*this, o}); }
Tensor& Tensor::mul_(const Scalar& o) { return ops::call_inplace(ops::mul_op, *this, {*this, wrap_scalar(o)}); }
Tensor& Tensor::div_(const Tensor& o) { return ops::call_inplace(ops::div_op, *this, {*this, o}, rounding(std::nullopt)); }
Tensor& Tensor::div_(const Scalar& o) {
  return ops::call_inplace(ops::div_op, *this, {*this, wrap_scalar(o)}, rounding(std::nullopt));
}

}  // namespace sinter
