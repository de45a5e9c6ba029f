// Highway kernels for float32 unary ops and activations, compiled once per SIMD target and
// picked at run time (foreach_target + HWY_EXPORT + HWY_DYNAMIC_DISPATCH).
//
// Accuracy: every kernel matches the scalar reference (std:: math in float) to a few ULP.
// Highway's Exp/Log/Tanh are only valid on part of the float range, so the kernels clamp
// their arguments and patch NaN, +-inf and 0 explicitly. erf/erfc are our own: x * P(x^2)
// for |x| < 0.75, else exp(-x^2) * Q(1 / (1 + 0.4 |x|)) with x^2 split exactly by an FMA;
// both polynomials are weighted least-squares fits to erf(x) / x on [0, 0.75] and
// erfc(x) exp(x^2) on [0, 12] (relative error < 4e-9).
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/cpu/unary_simd.h"

// SSSE3 adds nothing over SSE4 here and costs compile time.
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS HWY_SSSE3
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/unary_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

HWY_BEFORE_NAMESPACE();
namespace sinter::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr size_t kMaxLanes = 64;  // floats in the widest vector of any target, with room to spare

// NaN inputs give NaN (Highway's Exp/Log/min/max may not propagate them).
HWY_INLINE VF KeepNaN(VF x, VF y) { return hn::IfThenElse(hn::IsNaN(x), x, y); }

// e^x for every float: inf above 88.72, 0 below -104, NaN for NaN.
HWY_INLINE VF ExpAll(DF d, VF x) { return KeepNaN(x, hn::Exp(d, hn::Min(x, hn::Set(d, 100.0f)))); }

// Polynomials of the erf approximation (see the file comment).
constexpr float kErfSmall = 0.75f;  // |x| below: erf(x) = x * P(x^2)
constexpr float kErfcP = 0.4f;      // t = 1 / (1 + kErfcP * |x|)

HWY_INLINE VF ErfSmallPoly(DF d, VF u) {  // erf(x) / x with u = x^2, |x| < 0.75
  VF r = hn::Set(d, -6.749491933e-04f);
  r = hn::MulAdd(r, u, hn::Set(d, 5.114342531e-03f));
  r = hn::MulAdd(r, u, hn::Set(d, -2.683462307e-02f));
  r = hn::MulAdd(r, u, hn::Set(d, 1.128337654e-01f));
  r = hn::MulAdd(r, u, hn::Set(d, -3.761261875e-01f));
  return hn::MulAdd(r, u, hn::Set(d, 1.128379165e+00f));
}

HWY_INLINE VF ErfcxPoly(DF d, VF t) {  // erfc(x) * exp(x^2) with t = 1 / (1 + 0.4 x), 0 <= x <= 12
  VF r = hn::Set(d, -3.565315758e-02f);
  r = hn::MulAdd(r, t, hn::Set(d, 2.328116274e-01f));
  r = hn::MulAdd(r, t, hn::Set(d, -5.863332484e-01f));
  r = hn::MulAdd(r, t, hn::Set(d, 6.741425134e-01f));
  r = hn::MulAdd(r, t, hn::Set(d, -4.010831565e-01f));
  r = hn::MulAdd(r, t, hn::Set(d, 3.434216053e-01f));
  r = hn::MulAdd(r, t, hn::Set(d, 1.004043410e-01f));
  r = hn::MulAdd(r, t, hn::Set(d, 2.228680535e-01f));
  r = hn::MulAdd(r, t, hn::Set(d, 2.235861573e-01f));
  r = hn::MulAdd(r, t, hn::Set(d, 2.258409779e-01f));
  return hn::MulAdd(r, t, hn::Set(d, -5.709694128e-06f));
}

// erfc(a) for a >= 0 given a and a^2 = sq_hi + sq_lo (exact split): exp(-a^2) * Q(t).
HWY_INLINE VF ErfcLarge(DF d, VF a, VF sq_hi, VF sq_lo) {
  const VF one = hn::Set(d, 1.0f);
  VF t = hn::Div(one, hn::MulAdd(hn::Set(d, kErfcP), a, one));
  VF e = hn::Exp(d, hn::Neg(sq_hi));
  e = hn::NegMulAdd(e, sq_lo, e);  // exp(-hi - lo) = exp(-hi) * (1 - lo)
  return hn::Mul(e, ErfcxPoly(d, t));
}

// Stable logistic function: 1 / (1 + e^-x) from e = exp(-|x|) (never overflows).
HWY_INLINE VF Sigmoid(DF d, VF x) {
  const VF one = hn::Set(d, 1.0f);
  VF e = hn::Exp(d, hn::Neg(hn::Abs(x)));
  VF r = hn::Div(one, hn::Add(one, e));
  return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Mul(e, r), r);
}

// Scalar fallback for a vector with lanes outside a kernel's valid range.
template <class F>
HWY_INLINE VF PerLane(DF d, VF x, F f) {
  alignas(64) float buf[kMaxLanes];
  hn::Store(x, d, buf);
  for (size_t i = 0; i < hn::Lanes(d); ++i) buf[i] = f(buf[i]);
  return hn::Load(d, buf);
}

struct Params {
  float a, b, c;
};

// One functor per op: VF operator()(DF, VF) const.
#define SINTER_UNARY(Name, body)                        \
  struct Name {                                         \
    Params p;                                           \
    HWY_INLINE VF operator()(DF d, VF x) const { body } \
  };

SINTER_UNARY(OpAbs, { (void)d; return hn::Abs(x); })
SINTER_UNARY(OpNeg, { (void)d; return hn::Neg(x); })
SINTER_UNARY(OpSquare, { (void)d; return hn::Mul(x, x); })
SINTER_UNARY(OpReciprocal, { return hn::Div(hn::Set(d, 1.0f), x); })
SINTER_UNARY(OpSqrt, { (void)d; return hn::Sqrt(x); })
SINTER_UNARY(OpRsqrt, { return hn::Div(hn::Set(d, 1.0f), hn::Sqrt(x)); })
SINTER_UNARY(OpExp, { return ExpAll(d, x); })
SINTER_UNARY(OpExpm1, { return KeepNaN(x, hn::Expm1(d, hn::Min(x, hn::Set(d, 100.0f)))); })
SINTER_UNARY(OpFloor, { (void)d; return hn::Floor(x); })
SINTER_UNARY(OpCeil, { (void)d; return hn::Ceil(x); })
SINTER_UNARY(OpRound, { (void)d; return hn::Round(x); })  // ties to even, like torch.round
SINTER_UNARY(OpTrunc, { (void)d; return hn::Trunc(x); })
SINTER_UNARY(OpTanh, { return KeepNaN(x, hn::Tanh(d, x)); })
SINTER_UNARY(OpSigmoid, { return KeepNaN(x, Sigmoid(d, x)); })
SINTER_UNARY(OpSilu, { return KeepNaN(x, hn::Mul(x, Sigmoid(d, x))); })
SINTER_UNARY(OpRelu, { return hn::IfThenZeroElse(hn::Lt(x, hn::Zero(d)), x); })
SINTER_UNARY(OpLeakyRelu, { return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, hn::Mul(x, hn::Set(d, p.a))); })
SINTER_UNARY(OpClamp, { return KeepNaN(x, hn::Min(hn::Max(x, hn::Set(d, p.a)), hn::Set(d, p.b))); })

// log(x) with log(0) = -inf, log(x < 0) = NaN, log(inf) = inf.
HWY_INLINE VF LogFix(DF d, VF x, VF y, float at_zero_arg) {
  const VF z = hn::Set(d, at_zero_arg);
  y = hn::IfThenElse(hn::Eq(x, z), hn::Set(d, -kInf), y);
  y = hn::IfThenElse(hn::Lt(x, z), hn::Set(d, kNaN), y);
  y = hn::IfThenElse(hn::Eq(x, hn::Set(d, kInf)), x, y);
  return KeepNaN(x, y);
}
SINTER_UNARY(OpLog, { return LogFix(d, x, hn::Log(d, x), 0.0f); })
SINTER_UNARY(OpLog2, { return LogFix(d, x, hn::Log2(d, x), 0.0f); })
SINTER_UNARY(OpLog1p, { return LogFix(d, x, hn::Log1p(d, x), -1.0f); })

// Highway's Sin/Cos are valid on |x| <= 39000; other vectors (and inf/NaN) go lane by lane.
SINTER_UNARY(OpSin, {
  if (hn::AllTrue(d, hn::Le(hn::Abs(x), hn::Set(d, 39000.0f)))) return hn::Sin(d, x);
  return PerLane(d, x, [](float v) { return std::sin(v); });
})
SINTER_UNARY(OpCos, {
  if (hn::AllTrue(d, hn::Le(hn::Abs(x), hn::Set(d, 39000.0f)))) return hn::Cos(d, x);
  return PerLane(d, x, [](float v) { return std::cos(v); });
})

SINTER_UNARY(OpErf, {
  const VF a = hn::Abs(x);
  const auto small = hn::Lt(a, hn::Set(d, kErfSmall));
  VF r = hn::Mul(a, ErfSmallPoly(d, hn::Mul(a, a)));
  if (!hn::AllTrue(d, small)) {
    VF ac = hn::Min(a, hn::Set(d, 10.0f));  // erf = 1 beyond
    VF hi = hn::Mul(ac, ac);
    VF lo = hn::MulSub(ac, ac, hi);
    VF big = hn::Sub(hn::Set(d, 1.0f), ErfcLarge(d, ac, hi, lo));
    r = hn::IfThenElse(small, r, big);
  }
  return KeepNaN(x, hn::CopySign(r, x));
})

// gelu(x) = x/2 * (1 + erf(z)), z = x / sqrt 2. 1 + erf(z) needs only absolute accuracy where
// z >= 0 (it lies in [1, 2]) and is erfc(-z) where z < 0, so one erfc evaluation covers every x
// and the negative tail keeps its relative accuracy.
SINTER_UNARY(OpGeluErf, {
  const VF xc = hn::Min(hn::Abs(x), hn::Set(d, 28.0f));  // erfc(28 / sqrt 2) = 0 in float
  const VF hi = hn::Mul(xc, xc);
  const VF lo = hn::MulSub(xc, xc, hi);
  const VF half = hn::Set(d, 0.5f);
  const VF ec = ErfcLarge(d, hn::Mul(xc, hn::Set(d, 0.70710678118654752f)), hn::Mul(hi, half), hn::Mul(lo, half));
  const VF one_plus = hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Sub(hn::Set(d, 2.0f), ec), ec);
  return KeepNaN(x, hn::Mul(hn::Mul(x, half), one_plus));
})

// gelu_tanh(x) = x/2 * (1 + tanh(u)) = x * sigmoid(2u), u = sqrt(2/pi) * (x + 0.044715 x^3).
SINTER_UNARY(OpGeluTanh, {
  const VF x3 = hn::Mul(hn::Mul(x, x), x);
  const VF u = hn::Mul(hn::Set(d, 0.7978845608028654f), hn::MulAdd(hn::Set(d, 0.044715f), x3, x));
  return KeepNaN(x, hn::Mul(x, Sigmoid(d, hn::Add(u, u))));
})

// mish(x) = x * tanh(log1p(e^x)) = x * n / (n + 2) with n = e^x (e^x + 2).
SINTER_UNARY(OpMish, {
  const VF e = hn::Exp(d, hn::Min(x, hn::Set(d, 20.0f)));
  const VF two = hn::Set(d, 2.0f);
  const VF n = hn::Mul(e, hn::Add(e, two));
  return KeepNaN(x, hn::Mul(x, hn::Div(n, hn::Add(n, two))));
})

// softplus(x) = log1p(exp(beta x)) / beta, = x where beta x > threshold; written as
// (max(bx, 0) + log1p(exp(-|bx|))) / beta so that it never overflows.
SINTER_UNARY(OpSoftplus, {
  const VF beta = hn::Set(d, p.a);
  const VF bx = hn::Mul(x, beta);
  const VF lp = hn::Log1p(d, hn::Exp(d, hn::Neg(hn::Abs(bx))));
  const VF sp = hn::Div(hn::Add(hn::Max(bx, hn::Zero(d)), lp), beta);
  return KeepNaN(x, hn::IfThenElse(hn::Gt(bx, hn::Set(d, p.b)), x, sp));
})

// logsigmoid(x) = min(x, 0) - log1p(exp(-|x|)).
SINTER_UNARY(OpLogsigmoid, {
  const VF lp = hn::Log1p(d, hn::Exp(d, hn::Neg(hn::Abs(x))));
  return KeepNaN(x, hn::Sub(hn::Min(x, hn::Zero(d)), lp));
})

SINTER_UNARY(OpHardsigmoid, {
  const VF six = hn::Set(d, 6.0f);
  const VF r = hn::Min(hn::Max(hn::Add(x, hn::Set(d, 3.0f)), hn::Zero(d)), six);
  return KeepNaN(x, hn::Div(r, six));
})
SINTER_UNARY(OpHardswish, {
  const VF six = hn::Set(d, 6.0f);
  const VF r = hn::Min(hn::Max(hn::Add(x, hn::Set(d, 3.0f)), hn::Zero(d)), six);
  return KeepNaN(x, hn::Div(hn::Mul(x, r), six));
})

// elu(x) = x > 0 ? scale x : alpha scale (exp(input_scale x) - 1); p = {alpha scale, scale, input_scale}.
SINTER_UNARY(OpElu, {
  const VF neg = hn::Mul(hn::Expm1(d, hn::Min(hn::Mul(x, hn::Set(d, p.c)), hn::Set(d, 100.0f))), hn::Set(d, p.a));
  return KeepNaN(x, hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Mul(x, hn::Set(d, p.b)), neg));
})

#undef SINTER_UNARY

template <class Op>
HWY_INLINE void Apply(const Op& op, const float* x, float* y, size_t n) {
  const DF d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(op(d, hn::LoadU(d, x + i)), d, y + i);
  if (i < n) {  // tail through a padded buffer
    alignas(64) float buf[kMaxLanes] = {};
    std::memcpy(buf, x + i, (n - i) * sizeof(float));
    hn::Store(op(d, hn::Load(d, buf)), d, buf);
    std::memcpy(y + i, buf, (n - i) * sizeof(float));
  }
}

void UnaryF32(UnaryOp op, const float* x, float* y, size_t n, const UnaryParams& up) {
  const Params p{up.a, up.b, up.c};
  switch (op) {
    case UnaryOp::Abs: return Apply(OpAbs{p}, x, y, n);
    case UnaryOp::Neg: return Apply(OpNeg{p}, x, y, n);
    case UnaryOp::Square: return Apply(OpSquare{p}, x, y, n);
    case UnaryOp::Reciprocal: return Apply(OpReciprocal{p}, x, y, n);
    case UnaryOp::Sqrt: return Apply(OpSqrt{p}, x, y, n);
    case UnaryOp::Rsqrt: return Apply(OpRsqrt{p}, x, y, n);
    case UnaryOp::Exp: return Apply(OpExp{p}, x, y, n);
    case UnaryOp::Expm1: return Apply(OpExpm1{p}, x, y, n);
    case UnaryOp::Log: return Apply(OpLog{p}, x, y, n);
    case UnaryOp::Log2: return Apply(OpLog2{p}, x, y, n);
    case UnaryOp::Log1p: return Apply(OpLog1p{p}, x, y, n);
    case UnaryOp::Sin: return Apply(OpSin{p}, x, y, n);
    case UnaryOp::Cos: return Apply(OpCos{p}, x, y, n);
    case UnaryOp::Tanh: return Apply(OpTanh{p}, x, y, n);
    case UnaryOp::Sigmoid: return Apply(OpSigmoid{p}, x, y, n);
    case UnaryOp::Erf: return Apply(OpErf{p}, x, y, n);
    case UnaryOp::Floor: return Apply(OpFloor{p}, x, y, n);
    case UnaryOp::Ceil: return Apply(OpCeil{p}, x, y, n);
    case UnaryOp::Round: return Apply(OpRound{p}, x, y, n);
    case UnaryOp::Trunc: return Apply(OpTrunc{p}, x, y, n);
    case UnaryOp::Clamp: return Apply(OpClamp{p}, x, y, n);
    case UnaryOp::HardTanh: return Apply(OpClamp{p}, x, y, n);
    case UnaryOp::Relu: return Apply(OpRelu{p}, x, y, n);
    case UnaryOp::LeakyRelu: return Apply(OpLeakyRelu{p}, x, y, n);
    case UnaryOp::Elu: return Apply(OpElu{p}, x, y, n);
    case UnaryOp::GeluErf: return Apply(OpGeluErf{p}, x, y, n);
    case UnaryOp::GeluTanh: return Apply(OpGeluTanh{p}, x, y, n);
    case UnaryOp::Silu: return Apply(OpSilu{p}, x, y, n);
    case UnaryOp::Mish: return Apply(OpMish{p}, x, y, n);
    case UnaryOp::Softplus: return Apply(OpSoftplus{p}, x, y, n);
    case UnaryOp::Hardsigmoid: return Apply(OpHardsigmoid{p}, x, y, n);
    case UnaryOp::Hardswish: return Apply(OpHardswish{p}, x, y, n);
    case UnaryOp::Logsigmoid: return Apply(OpLogsigmoid{p}, x, y, n);
  }
}

}  // namespace sinter::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace sinter::kernels {

HWY_EXPORT(UnaryF32);

void unary_f32(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p) {
  if (n <= 0) return;
  HWY_DYNAMIC_DISPATCH(UnaryF32)(op, x, y, static_cast<size_t>(n), p);
}

}  // namespace sinter::kernels
#endif  // HWY_ONCE
