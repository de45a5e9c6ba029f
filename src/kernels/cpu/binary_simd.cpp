// Highway kernels for float32 add/sub/mul/div/maximum/minimum/atan2 (see binary_simd.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/binary_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include <cmath>

#include "kernels/cpu/binary_simd.h"

HWY_BEFORE_NAMESPACE();
namespace sinter::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <ArithOp Op>
struct Arith {
  // Vector form.
  template <class D, class V>
  static HWY_INLINE V apply(D d, V a, V b, V alpha, bool unit) {
    if constexpr (Op == ArithOp::Add) return unit ? hn::Add(a, b) : hn::Add(a, hn::Mul(alpha, b));
    else if constexpr (Op == ArithOp::Sub) return unit ? hn::Sub(a, b) : hn::Sub(a, hn::Mul(alpha, b));
    else if constexpr (Op == ArithOp::Mul) return hn::Mul(a, b);
    else if constexpr (Op == ArithOp::Div) return hn::Div(a, b);
    else if constexpr (Op == ArithOp::Atan2) {
      // atan2(a, b) = atan(a / b) (+-pi when b < 0), or +-pi/2 - atan(b / a) when |a| > |b|, so
      // that the atan argument stays in [-1, 1]. Zero/zero and infinities are left to std::atan2.
      using T = hn::TFromD<D>;
      const auto sign_a = hn::And(hn::SignBit(d), a);
      const auto swap = hn::Gt(hn::Abs(a), hn::Abs(b));
      const auto t = hn::Atan(d, hn::Div(hn::IfThenElse(swap, b, a), hn::IfThenElse(swap, a, b)));
      const auto pi = hn::Or(hn::Set(d, T(3.14159265358979323846)), sign_a);
      const auto half_pi = hn::Or(hn::Set(d, T(1.57079632679489661923)), sign_a);
      const auto direct = hn::IfThenElse(hn::Lt(b, hn::Zero(d)), hn::Add(t, pi), t);
      return hn::IfThenElse(swap, hn::Sub(half_pi, t), direct);
    } else {
      // NaN in either operand gives NaN (a + b is NaN exactly when one of them is).
      auto nan = hn::Or(hn::IsNaN(a), hn::IsNaN(b));
      auto m = Op == ArithOp::Max ? hn::Max(a, b) : hn::Min(a, b);
      return hn::IfThenElse(nan, hn::Add(a, b), m);
    }
  }
  // Scalar form (tails).
  static HWY_INLINE float apply1(float a, float b, float alpha, bool unit) {
    if constexpr (Op == ArithOp::Add) return unit ? a + b : a + alpha * b;
    else if constexpr (Op == ArithOp::Sub) return unit ? a - b : a - alpha * b;
    else if constexpr (Op == ArithOp::Mul) return a * b;
    else if constexpr (Op == ArithOp::Div) return a / b;
    else if constexpr (Op == ArithOp::Atan2) return std::atan2(a, b);
    else if constexpr (Op == ArithOp::Max) return (a != a || b != b) ? a + b : (a > b ? a : b);
    else return (a != a || b != b) ? a + b : (a < b ? a : b);
  }
};

/// Computes and stores one full vector; atan2 redoes blocks with special operands in scalar code.
template <ArithOp Op, bool Unit, class D, class V>
HWY_INLINE void block(D d, float* o, V a, V b, V alpha) {
  hn::StoreU(Arith<Op>::apply(d, a, b, alpha, Unit), d, o);
  if constexpr (Op == ArithOp::Atan2) {
    const auto zero = hn::Zero(d);
    const auto special = hn::Or(hn::And(hn::Eq(a, zero), hn::Eq(b, zero)), hn::Or(hn::IsInf(a), hn::IsInf(b)));
    if (!hn::AllFalse(d, special)) {
      float ta[64], tb[64];  // at least MaxLanes floats
      hn::StoreU(a, d, ta);
      hn::StoreU(b, d, tb);
      for (size_t j = 0; j < hn::Lanes(d); ++j) o[j] = std::atan2(ta[j], tb[j]);
    }
  }
}

template <ArithOp Op, bool Unit>
HWY_INLINE void run(float* o, const float* a, int64_t sa, const float* b, int64_t sb, int64_t n,
                    float alpha) {
  const hn::ScalableTag<float> d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  const auto va_alpha = hn::Set(d, alpha);
  int64_t i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + L <= n; i += L)
      block<Op, Unit>(d, o + i, hn::LoadU(d, a + i), hn::LoadU(d, b + i), va_alpha);
    for (; i < n; ++i) o[i] = Arith<Op>::apply1(a[i], b[i], alpha, Unit);
  } else if (sa == 1) {
    const auto vb = hn::Set(d, b[0]);
    for (; i + L <= n; i += L) block<Op, Unit>(d, o + i, hn::LoadU(d, a + i), vb, va_alpha);
    for (; i < n; ++i) o[i] = Arith<Op>::apply1(a[i], b[0], alpha, Unit);
  } else if (sb == 1) {
    const auto va = hn::Set(d, a[0]);
    for (; i + L <= n; i += L) block<Op, Unit>(d, o + i, va, hn::LoadU(d, b + i), va_alpha);
    for (; i < n; ++i) o[i] = Arith<Op>::apply1(a[0], b[i], alpha, Unit);
  } else {
    float v = Arith<Op>::apply1(a[0], b[0], alpha, Unit);
    for (; i < n; ++i) o[i] = v;
  }
}

void ArithF32(int op, float* o, const float* a, int64_t sa, const float* b, int64_t sb, int64_t n, float alpha) {
  bool unit = alpha == 1.0f;
  switch (static_cast<ArithOp>(op)) {
    case ArithOp::Add:
      return unit ? run<ArithOp::Add, true>(o, a, sa, b, sb, n, alpha) : run<ArithOp::Add, false>(o, a, sa, b, sb, n, alpha);
    case ArithOp::Sub:
      return unit ? run<ArithOp::Sub, true>(o, a, sa, b, sb, n, alpha) : run<ArithOp::Sub, false>(o, a, sa, b, sb, n, alpha);
    case ArithOp::Mul: return run<ArithOp::Mul, true>(o, a, sa, b, sb, n, alpha);
    case ArithOp::Div: return run<ArithOp::Div, true>(o, a, sa, b, sb, n, alpha);
    case ArithOp::Max: return run<ArithOp::Max, true>(o, a, sa, b, sb, n, alpha);
    case ArithOp::Min: return run<ArithOp::Min, true>(o, a, sa, b, sb, n, alpha);
    case ArithOp::Atan2: return run<ArithOp::Atan2, true>(o, a, sa, b, sb, n, alpha);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace sinter::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace sinter::kernels {

HWY_EXPORT(ArithF32);

void arith_f32(ArithOp op, float* o, const float* a, int64_t sa, const float* b, int64_t sb, int64_t n, float alpha) {
  HWY_DYNAMIC_DISPATCH(ArithF32)(static_cast<int>(op), o, a, sa, b, sb, n, alpha);
}

}  // namespace sinter::kernels
#endif  // HWY_ONCE
