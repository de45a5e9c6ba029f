// Highway kernels for float32 add/sub/mul/div/maximum/minimum (see binary_simd.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/binary_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

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
    else {
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
    else if constexpr (Op == ArithOp::Max) return (a != a || b != b) ? a + b : (a > b ? a : b);
    else return (a != a || b != b) ? a + b : (a < b ? a : b);
  }
};

template <ArithOp Op, bool Unit>
HWY_INLINE void run(float* o, const float* a, int64_t sa, const float* b, int64_t sb, int64_t n,
                    float alpha) {
  const hn::ScalableTag<float> d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  const auto va_alpha = hn::Set(d, alpha);
  int64_t i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + L <= n; i += L)
      hn::StoreU(Arith<Op>::apply(d, hn::LoadU(d, a + i), hn::LoadU(d, b + i), va_alpha, Unit), d, o + i);
    for (; i < n; ++i) o[i] = Arith<Op>::apply1(a[i], b[i], alpha, Unit);
  } else if (sa == 1) {
    const auto vb = hn::Set(d, b[0]);
    for (; i + L <= n; i += L) hn::StoreU(Arith<Op>::apply(d, hn::LoadU(d, a + i), vb, va_alpha, Unit), d, o + i);
    for (; i < n; ++i) o[i] = Arith<Op>::apply1(a[i], b[0], alpha, Unit);
  } else if (sb == 1) {
    const auto va = hn::Set(d, a[0]);
    for (; i + L <= n; i += L) hn::StoreU(Arith<Op>::apply(d, va, hn::LoadU(d, b + i), va_alpha, Unit), d, o + i);
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
