// Binary arithmetic: add sub mul div pow fmod remainder maximum minimum atan2 lerp (forward +
// backward), with broadcasting and PyTorch's type promotion.
#include <atomic>
#include <cmath>

#include "kernels/cpu/binary_simd.h"
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

// float32 fast path: Highway inner loops on contiguous / broadcast-scalar runs, scalar otherwise.
// A zero-dim operand (a Python-number-like scalar) is read once, without a conversion tensor.
void float_arith(const OpCall& c, kernels::ArithOp op, float alpha) {
  constexpr int64_t F = sizeof(float);
  const Tensor& o = c.out[0];
  float sv[2] = {0, 0};
  bool is_s[2];
  for (int k = 0; k < 2; ++k) {
    const Tensor& t = c.in[k];
    is_s[k] = t.dim() == 0;
    if (is_s[k])
      sv[k] = visit_dtype(t.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        return cast<float>(*static_cast<const T*>(t.data_ptr()));
      });
  }
  auto one = [&](char* po, const float* pa, const float* pb) {
    kernels::arith_f32(op, reinterpret_cast<float*>(po), pa, 0, pb, 0, 1, alpha);
  };
  if (is_s[0] && is_s[1]) return one(static_cast<char*>(o.data_ptr()), &sv[0], &sv[1]);
  const Tensor& a0 = c.in[0];
  const Tensor& b0 = c.in[1];
  if (a0.dtype() == kFloat && b0.dtype() == kFloat && o.is_contiguous() && a0.is_contiguous() &&
      b0.is_contiguous() && a0.sizes() == o.sizes() && b0.sizes() == o.sizes()) {  // dense: no loop set-up
    float* po = static_cast<float*>(o.data_ptr());
    const float* pa = static_cast<const float*>(a0.data_ptr());
    const float* pb = static_cast<const float*>(b0.data_ptr());
    kernels::parallel_for(o.numel(), kernels::kGrainSize, [&](int64_t b, int64_t e) {
      kernels::arith_f32(op, po + b, pa + b, 1, pb + b, 1, e - b, alpha);
    });
    return;
  }
  if (is_s[0] || is_s[1]) {
    const int k = is_s[0] ? 1 : 0;  // the tensor operand
    Tensor x = kernels::broadcast_view(as_dtype(c.in[k], kFloat), o.sizes());
    kernels::StridedLoop<2> loop(o.sizes(), {&o, &x});
    loop.run([&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
      auto* px = reinterpret_cast<const float*>(p[1]);
      if (s[0] == F && (s[1] == F || s[1] == 0)) {
        auto* po = reinterpret_cast<float*>(p[0]);
        if (k == 0) return kernels::arith_f32(op, po, px, s[1] / F, &sv[1], 0, n, alpha);
        return kernels::arith_f32(op, po, &sv[0], 0, px, s[1] / F, n, alpha);
      }
      for (int64_t j = 0; j < n; ++j) {
        const float* xj = reinterpret_cast<const float*>(p[1] + j * s[1]);
        k == 0 ? one(p[0] + j * s[0], xj, &sv[1]) : one(p[0] + j * s[0], &sv[0], xj);
      }
    });
    return;
  }
  Tensor a = kernels::broadcast_view(as_dtype(c.in[0], kFloat), o.sizes());
  Tensor b = kernels::broadcast_view(as_dtype(c.in[1], kFloat), o.sizes());
  kernels::StridedLoop<3> loop(o.sizes(), {&o, &a, &b});
  loop.run([&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
    auto* pa = reinterpret_cast<const float*>(p[1]);
    auto* pb = reinterpret_cast<const float*>(p[2]);
    if (s[0] == F && (s[1] == F || s[1] == 0) && (s[2] == F || s[2] == 0))
      return kernels::arith_f32(op, reinterpret_cast<float*>(p[0]), pa, s[1] / F, pb, s[2] / F, n, alpha);
    for (int64_t j = 0; j < n; ++j)  // strided output: one element at a time
      one(p[0] + j * s[0], reinterpret_cast<const float*>(p[1] + j * s[1]),
          reinterpret_cast<const float*>(p[2] + j * s[2]));
  });
}

// add(self, other; alpha): self + alpha * other
void add_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  binary_meta(c, out, n);
  Scalar alpha = c.attrs.s(0);
  SINTER_CHECK(!(alpha.is_floating_point() && !is_floating_point(out[0].dtype)), DTypeError, c.op.name,
               ": for integral input tensors, argument alpha must not be a floating point number (got ", alpha, ")");
  if (c.op.name[0] == 's') {  // sub (add_meta serves add and sub)
    bool b0 = c.in[0].dtype() == kBool, b1 = c.in[1].dtype() == kBool;
    SINTER_CHECK(!(b0 && b1), DTypeError,
                 "sub: subtraction, the `-` operator, with two bool tensors is not supported. Use logical_xor() instead.");
    SINTER_CHECK(!b0 && !b1, DTypeError, "sub: subtraction, the `-` operator, with a bool tensor is not supported (",
                 dtype_name(c.in[0].dtype()), " - ", dtype_name(c.in[1].dtype()),
                 "). To invert a mask, use logical_not() instead.");
  }
}
// Integer arithmetic wraps around (two's complement), as PyTorch's does; computed in the
// unsigned type so that an overflowing int64 (a Slice bound of INT64_MAX plus a step) is
// defined behaviour. Types narrower than int cannot overflow in int arithmetic.
template <class A>
A wrapping(A a, A b, char op) {
  if constexpr (std::is_integral_v<A> && std::is_signed_v<A> && sizeof(A) >= sizeof(int)) {
    using U = std::make_unsigned_t<A>;
    const U x = static_cast<U>(a), y = static_cast<U>(b);
    return static_cast<A>(op == '+' ? x + y : op == '-' ? x - y : x * y);
  } else {
    return op == '+' ? A(a + b) : op == '-' ? A(a - b) : A(a * b);
  }
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
      constexpr char op = Sub ? '-' : '+';
      if (alpha == A(1)) return std::function<T(T, T)>([](T a, T b) { return T(wrapping(A(a), A(b), op)); });
      return std::function<T(T, T)>(
          [alpha](T a, T b) { return T(wrapping(A(a), wrapping(alpha, A(b), '*'), op)); });
    }
  });
}
// The alpha == 1 float/double fast path without std::function (keeps the loop vectorisable).
template <bool Sub>
void addsub_fast(const OpCall& c) {
  DType d = c.out[0].dtype();
  bool unit = c.attrs.s(0).to_double() == 1.0;
  if (d == kFloat) return float_arith(c, Sub ? kernels::ArithOp::Sub : kernels::ArithOp::Add, c.attrs.s(0).to<float>());
  if (unit && d == kDouble) return binary_same<double>(c, [](double a, double b) { return Sub ? a - b : a + b; });
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
    else return [](T a, T b) { return T(wrapping(A(a), A(b), '*')); };
  });
}
void mul_fast(const OpCall& c) {
  if (c.out[0].dtype() == kFloat) return float_arith(c, kernels::ArithOp::Mul, 1.0f);
  mul_kernel(c);
}
TensorList mul_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (c.needs(0)) r[0] = g[0] * c.input(1);
  if (c.needs(1)) r[1] = g[0] * c.input(0);
  return r;
}
OpDef& mul_op = def("mul").input("self").input("other").set_meta(binary_meta).set_cpu(mul_fast).set_cpu_ref(mul_kernel)
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
void div_fast(const OpCall& c) {
  if (c.attrs.is_none(0) && c.out[0].dtype() == kFloat) return float_arith(c, kernels::ArithOp::Div, 1.0f);
  div_kernel(c);
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

OpDef& div_op = def("div").input("self").input("other").attr("rounding_mode").set_meta(div_meta).set_cpu(div_fast).set_cpu_ref(div_kernel)
                    .set_backward(div_backward).set_onnx("Div");

namespace {

bool is_wrapped(const Tensor& t) { return t.defined() && t.impl()->wrapped_number; }

/// "(self float32, other int64)": the dtypes of a binary call, for error messages.
std::string dtypes_of(const OpCall& c) {
  return detail::str_cat("(", c.op.input_names[0], " ", dtype_name(c.in[0].dtype()), ", ", c.op.input_names[1], " ",
                         dtype_name(c.in[1].dtype()), ")");
}

// pow(self, exponent). A scalar exponent (or base) arrives as a wrapped-number tensor.
void pow_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  binary_meta(c, out, n);
  DType d = out[0].dtype;
  SINTER_CHECK(d != kBool, DTypeError, "pow: not implemented for bool ", dtypes_of(c));
  if (is_integral(d) && is_wrapped(c.in[1])) {
    Scalar e = c.in[1].item();
    SINTER_CHECK(!(e.is_integral() && e.to_long() < 0), ValueError,
                 "pow: integers to negative integer powers are not allowed (self ", dtype_name(c.in[0].dtype()),
                 ", exponent ", e, ")");
  }
}
/// Integer power by squaring, wrapping on overflow like PyTorch; negative exponents give
/// 1 / base^-e truncated: 1 for base 1, +-1 for base -1, else 0.
template <class T>
T int_pow(T base, T exp) {
  if constexpr (std::is_signed_v<T>) {
    if (exp < 0) {
      if (base == 1) return T(1);
      if (base == -1) return T(exp % 2 == 0 ? 1 : -1);
      return T(0);
    }
  }
  uint64_t r = 1, b = static_cast<uint64_t>(static_cast<int64_t>(base)), e = static_cast<uint64_t>(exp);
  while (e) {
    if (e & 1u) r *= b;
    b *= b;
    e >>= 1;
  }
  return static_cast<T>(r);
}
template <bool Fast>
void pow_kernel(const OpCall& c) {
  DType d = c.out[0].dtype();
  visit_dtype(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      SINTER_ASSERT(false, "pow on bool");
    } else if constexpr (std::is_integral_v<T>) {
      binary_same<T>(c, [](T a, T b) { return int_pow<T>(a, b); });
    } else {
      if (Fast && is_wrapped(c.in[1]) && c.in[0].sizes() == c.out[0].sizes()) {
        // Scalar exponent: the common powers become multiplies / square roots (as in PyTorch).
        double e = c.in[1].item().to_double();
        Tensor x = as_dtype(c.in[0], d);
        auto run = [&](auto f) { kernels::unary_loop<T, T>(c.out[0], x, [f](T v) { return T(f(A(v))); }); };
        if (e == 2) return run([](A v) { return v * v; });
        if (e == 3) return run([](A v) { return v * v * v; });
        if (e == 1) return run([](A v) { return v; });
        if (e == 0.5) return run([](A v) { return std::sqrt(v); });
        if (e == -0.5) return run([](A v) { return A(1) / std::sqrt(v); });
        if (e == -1) return run([](A v) { return A(1) / v; });
        if (e == -2) return run([](A v) { return A(1) / (v * v); });
        A ea = static_cast<A>(static_cast<T>(e));
        return run([ea](A v) { return std::pow(v, ea); });
      }
      binary_same<T>(c, [](T a, T b) { return T(std::pow(A(a), A(b))); });
    }
  });
}
Scalar scalar_minus_one(const Scalar& s) {
  return s.is_floating_point() ? Scalar(s.to_double() - 1) : Scalar(s.to_long() - 1);
}
TensorList pow_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& self = c.input(0);
  const Tensor& e = c.input(1);
  TensorList r(2);
  if (c.needs(0)) {
    if (is_wrapped(e)) {
      Scalar s = e.item();
      r[0] = s.to_double() == 0 ? zeros_like(g[0]) : g[0] * (self.pow(scalar_minus_one(s)) * s);
    } else {
      r[0] = where(e == 0, Scalar(0.0), g[0] * (e * self.pow(e - 1)));
    }
  }
  if (c.needs(1)) {
    const Tensor& result = c.output(0);
    Tensor at_zero = logical_and(self == 0, e >= 0);  // d/de 0^e is taken as 0 there
    r[1] = g[0] * where(at_zero, Scalar(0.0), result * log(self));
  }
  return r;
}

// fmod (C's, sign of the dividend) and remainder (Python's, sign of the divisor).
void mod_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  binary_meta(c, out, n);
  SINTER_CHECK(out[0].dtype != kBool, DTypeError, c.op.name, ": not implemented for bool ", dtypes_of(c));
}
template <bool Python>
void mod_kernel(const OpCall& c) {
  visit_dtype(c.out[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      SINTER_ASSERT(false, "modulus on bool");
    } else if constexpr (std::is_integral_v<T>) {
      std::atomic<bool> by_zero{false};
      binary_same<T>(c, [&by_zero](T a, T b) -> T {
        if (b == 0) {
          by_zero.store(true, std::memory_order_relaxed);
          return T(0);
        }
        if (std::is_signed_v<T> && b == T(-1)) return T(0);  // avoid the INT_MIN % -1 trap
        T r = T(a % b);
        if (Python && r != 0 && ((r < 0) != (b < 0))) r = T(r + b);
        return r;
      });
      SINTER_CHECK(!by_zero.load(), ValueError, c.op.name, ": ZeroDivisionError (integer modulus by zero)");
    } else {
      binary_same<T>(c, [](T a, T b) -> T {
        A m = std::fmod(A(a), A(b));
        if (Python && m != A(0) && ((A(b) < 0) != (m < 0))) m += A(b);
        return T(m);
      });
    }
  });
}
TensorList fmod_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (c.needs(0)) r[0] = g[0];
  if (c.needs(1)) r[1] = -g[0] * c.input(0).div(c.input(1), "trunc");
  return r;
}
TensorList remainder_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (c.needs(0)) r[0] = g[0];
  if (c.needs(1)) r[1] = -g[0] * c.input(0).div(c.input(1), "floor");
  return r;
}

// maximum / minimum: NaN propagating; on ties the gradient is split evenly.
template <bool Max>
void minmax_kernel(const OpCall& c) {
  visit_dtype(c.out[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    binary_same<T>(c, [](T a, T b) -> T {
      if constexpr (std::is_same_v<T, bool>) {
        return Max ? (a || b) : (a && b);
      } else {
        A x = A(a), y = A(b);
        if constexpr (is_float_type_v<T>) {
          if (x != x) return a;
          if (y != y) return b;
        }
        return Max ? (x < y ? b : a) : (y < x ? b : a);
      }
    });
  });
}
template <bool Max>
void minmax_fast(const OpCall& c) {
  if (c.out[0].dtype() == kFloat) return float_arith(c, Max ? kernels::ArithOp::Max : kernels::ArithOp::Min, 1.0f);
  minmax_kernel<Max>(c);
}
template <bool Max>
TensorList minmax_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& a = c.input(0);
  const Tensor& b = c.input(1);
  TensorList r(2);
  Tensor split = (c.needs(0) || c.needs(1)) ? where(a == b, g[0] * 0.5, g[0]) : Tensor();
  // The side that lost gets nothing; NaN compares false both ways, so both sides get the gradient.
  if (c.needs(0)) r[0] = where(Max ? a < b : a > b, Scalar(0.0), split);
  if (c.needs(1)) r[1] = where(Max ? a > b : a < b, Scalar(0.0), split);
  return r;
}

// atan2(self, other): angle of (other, self); integer inputs give the default float dtype.
void atan2_kernel(const OpCall& c) {
  visit_float_dtype(c.out[0].dtype(), "atan2", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    binary_same<T>(c, [](T a, T b) { return T(std::atan2(A(a), A(b))); });
  });
}
void atan2_fast(const OpCall& c) {
  if (c.out[0].dtype() == kFloat) return float_arith(c, kernels::ArithOp::Atan2, 1.0f);
  atan2_kernel(c);
}
TensorList atan2_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& a = c.input(0);
  const Tensor& b = c.input(1);
  TensorList r(2);
  Tensor recip = 1.0 / (a * a + b * b);
  if (c.needs(0)) r[0] = g[0] * b * recip;
  if (c.needs(1)) r[1] = g[0] * -a * recip;
  return r;
}

// lerp(self, end; weight): self + weight * (end - self), floating only, self and end of one dtype.
void lerp_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  DType s = c.in[0].dtype(), e = c.in[1].dtype();
  SINTER_CHECK(is_floating_point(s), DTypeError, "lerp: expected a floating point tensor for self but got dtype ",
               dtype_name(s));
  SINTER_CHECK(s == e, DTypeError, "lerp: expected dtype ", dtype_name(s), " for `end` but got dtype ", dtype_name(e));
  out[0].sizes = broadcast_shapes("lerp", c.in[0].sizes(), c.in[1].sizes());
  out[0].dtype = s;
  n = 1;
}
void lerp_kernel(const OpCall& c) {
  Scalar w = c.attrs.s(0);
  visit_float_dtype(c.out[0].dtype(), "lerp", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    A wt = w.to<A>();
    // Two forms, each exact at its end point (PyTorch's choice).
    if (std::abs(wt) < A(0.5))
      binary_same<T>(c, [wt](T a, T b) { return T(A(a) + wt * (A(b) - A(a))); });
    else
      binary_same<T>(c, [wt](T a, T b) { return T(A(b) - (A(b) - A(a)) * (A(1) - wt)); });
  });
}
TensorList lerp_backward(BackwardCtx& c, const TensorList& g) {
  double w = c.attrs.s(0).to_double();
  TensorList r(2);
  if (c.needs(0)) r[0] = g[0] * (1.0 - w);
  if (c.needs(1)) r[1] = g[0] * c.attrs.s(0);
  return r;
}

}  // namespace

OpDef& pow_op = def("pow").input("self").input("exponent").set_meta(pow_meta).set_cpu(pow_kernel<true>)
                    .set_cpu_ref(pow_kernel<false>).set_backward(pow_backward, kSaveInputs | kSaveOutputs)
                    .set_onnx("Pow");
OpDef& fmod_op = def("fmod").input("self").input("other").set_meta(mod_meta).set_cpu(mod_kernel<false>)
                     .set_backward(fmod_backward).set_onnx("Mod");
OpDef& remainder_op = def("remainder").input("self").input("other").set_meta(mod_meta).set_cpu(mod_kernel<true>)
                          .set_backward(remainder_backward).set_onnx("Mod");
OpDef& maximum_op = def("maximum").input("self").input("other").set_meta(binary_meta).set_cpu(minmax_fast<true>)
                        .set_cpu_ref(minmax_kernel<true>).set_backward(minmax_backward<true>).set_onnx("Max");
OpDef& minimum_op = def("minimum").input("self").input("other").set_meta(binary_meta).set_cpu(minmax_fast<false>)
                        .set_cpu_ref(minmax_kernel<false>).set_backward(minmax_backward<false>).set_onnx("Min");
OpDef& atan2_op = def("atan2").input("self").input("other").set_meta(binary_float_meta).set_cpu(atan2_fast)
                      .set_cpu_ref(atan2_kernel)
                      .set_backward(atan2_backward);
OpDef& lerp_op = def("lerp").input("self").input("end").attr("weight").set_meta(lerp_meta)
                     .set_cpu(lerp_kernel).set_backward(lerp_backward, kSaveNone);

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
Tensor floor_divide(const Tensor& a, const Tensor& b) {
  const Tensor ab[2] = {a, b};
  SINTER_CHECK(ops::result_type(ab) != kBool, DTypeError, "floor_divide: not implemented for bool (self ",
               dtype_name(a.dtype()), ", other ", dtype_name(b.dtype()), ")");
  return div(a, b, "floor");
}

Tensor pow(const Tensor& a, const Tensor& e) { return call(ops::pow_op, {a, e}); }
Tensor pow(const Tensor& a, const Scalar& e) { return call(ops::pow_op, {a, wrap_scalar(e)}); }
Tensor pow(const Scalar& a, const Tensor& e) { return call(ops::pow_op, {wrap_scalar(a), e}); }
Tensor fmod(const Tensor& a, const Tensor& b) { return call(ops::fmod_op, {a, b}); }
Tensor fmod(const Tensor& a, const Scalar& b) { return call(ops::fmod_op, {a, wrap_scalar(b)}); }
Tensor remainder(const Tensor& a, const Tensor& b) { return call(ops::remainder_op, {a, b}); }
Tensor remainder(const Tensor& a, const Scalar& b) { return call(ops::remainder_op, {a, wrap_scalar(b)}); }
Tensor maximum(const Tensor& a, const Tensor& b) { return call(ops::maximum_op, {a, b}); }
Tensor minimum(const Tensor& a, const Tensor& b) { return call(ops::minimum_op, {a, b}); }
Tensor atan2(const Tensor& a, const Tensor& b) { return call(ops::atan2_op, {a, b}); }
Tensor lerp(const Tensor& self, const Tensor& end, const Scalar& weight) { return call(ops::lerp_op, {self, end}, {weight}); }

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
Tensor operator%(const Tensor& a, const Tensor& b) { return remainder(a, b); }
Tensor operator%(const Tensor& a, const Scalar& b) { return remainder(a, b); }
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
Tensor Tensor::pow(const Tensor& e) const { return sinter::pow(*this, e); }
Tensor Tensor::pow(const Scalar& e) const { return sinter::pow(*this, e); }
Tensor& Tensor::pow_(const Scalar& e) { return ops::call_inplace(ops::pow_op, *this, {*this, wrap_scalar(e)}); }
Tensor Tensor::fmod(const Tensor& o) const { return sinter::fmod(*this, o); }
Tensor Tensor::fmod(const Scalar& o) const { return sinter::fmod(*this, o); }
Tensor Tensor::remainder(const Tensor& o) const { return sinter::remainder(*this, o); }
Tensor Tensor::remainder(const Scalar& o) const { return sinter::remainder(*this, o); }
Tensor Tensor::maximum(const Tensor& o) const { return sinter::maximum(*this, o); }
Tensor Tensor::minimum(const Tensor& o) const { return sinter::minimum(*this, o); }
Tensor Tensor::atan2(const Tensor& o) const { return sinter::atan2(*this, o); }
Tensor Tensor::lerp(const Tensor& end, const Scalar& weight) const { return sinter::lerp(*this, end, weight); }
Tensor& Tensor::lerp_(const Tensor& end, const Scalar& weight) {
  return ops::call_inplace(ops::lerp_op, *this, {*this, end}, {weight});
}

}  // namespace sinter
