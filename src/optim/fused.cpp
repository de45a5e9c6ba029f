// Fused optimizer update kernels (see fused.h). This file is compiled once per SIMD target by
// Highway's foreach_target; the scalar parts are guarded to be defined once.
// No contraction of a * b + c into an fma beyond the ones written out: the rounding of each
// step is PyTorch's, and the SIMD and scalar paths must round alike.
#ifndef SINTER_OPTIM_FUSED_FP_CONTRACT_OFF
#define SINTER_OPTIM_FUSED_FP_CONTRACT_OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "optim/fused.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <atomic>
#include <cmath>

#include "optim/fused.h"

#ifndef SINTER_OPTIM_FUSED_SCALAR_ONCE
#define SINTER_OPTIM_FUSED_SCALAR_ONCE
namespace sinter::optim::kernels::scalar {

// Coefficients rounded to T once, exactly as ATen rounds a Python scalar for a T tensor.

template <class T>
struct SGD {
  T neg_lr, momentum, one_minus_dampening, weight_decay;
  bool has_wd, has_momentum, nesterov, maximize, first_step;
  explicit SGD(const SGDCoeffs& c)
      : neg_lr(T(-c.lr)), momentum(T(c.momentum)), one_minus_dampening(T(1 - c.dampening)),
        weight_decay(T(c.weight_decay)), has_wd(c.weight_decay != 0), has_momentum(c.momentum != 0),
        nesterov(c.nesterov), maximize(c.maximize), first_step(c.first_step) {}
  void operator()(T& p, T g, T* buf) const {
    T d = maximize ? -g : g;
    if (has_wd) d = std::fma(weight_decay, p, d);                   // d_p.add(param, alpha=wd)
    if (has_momentum) {
      T b = first_step ? d : std::fma(one_minus_dampening, d, *buf * momentum);  // buf.mul_(m).add_(d_p, 1-damp)
      *buf = b;
      d = nesterov ? std::fma(momentum, b, d) : b;                  // d_p.add(buf, alpha=momentum)
    }
    p = std::fma(neg_lr, d, p);                                     // param.add_(d_p, alpha=-lr)
  }
};

template <class T>
struct Adam {
  T neg_step_size, beta1, one_minus_beta1, beta2, one_minus_beta2, bc2_sqrt, eps, weight_decay, decay;
  bool has_wd, decoupled, amsgrad, maximize;
  explicit Adam(const AdamCoeffs& c) {
    double step = double(c.step);
    double bias_correction1 = 1 - std::pow(c.beta1, step);
    double bias_correction2 = 1 - std::pow(c.beta2, step);
    double step_size = c.lr / bias_correction1;
    neg_step_size = T(-step_size);
    beta1 = T(c.beta1);
    one_minus_beta1 = T(1 - c.beta1);
    beta2 = T(c.beta2);
    one_minus_beta2 = T(1 - c.beta2);
    bc2_sqrt = T(std::sqrt(bias_correction2));
    eps = T(c.eps);
    weight_decay = T(c.weight_decay);
    decay = T(1 - c.lr * c.weight_decay);
    decoupled = c.decoupled;
    has_wd = !c.decoupled && c.weight_decay != 0;
    amsgrad = c.amsgrad;
    maximize = c.maximize;
  }
  void operator()(T& p, T g, T& m, T& v, T* vmax) const {
    T gi = maximize ? -g : g;
    if (decoupled) p = p * decay;                                   // param.mul_(1 - lr*wd)
    else if (has_wd) gi = std::fma(weight_decay, p, gi);            // grad.add(param, alpha=wd)
    m = std::fma(one_minus_beta1, gi, m * beta1);                   // exp_avg.mul_(b1).add_(g, 1-b1)
    v = std::fma(one_minus_beta2 * gi, gi, v * beta2);              // exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2)
    T vh = v;
    if (amsgrad) {                                                  // torch.maximum (NaN propagates)
      T r = v > *vmax ? v : *vmax;
      if (v != v) r = v;
      *vmax = r;
      vh = r;
    }
    T denom = std::sqrt(vh) / bc2_sqrt + eps;
    p = p + (neg_step_size * m) / denom;                            // param.addcdiv_(m, denom, -step_size)
  }
};

template <class T>
struct RMSprop {
  T neg_lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
  bool has_wd, has_momentum, centered, maximize;
  explicit RMSprop(const RMSpropCoeffs& c)
      : neg_lr(T(-c.lr)), alpha(T(c.alpha)), one_minus_alpha(T(1 - c.alpha)), eps(T(c.eps)),
        weight_decay(T(c.weight_decay)), momentum(T(c.momentum)), has_wd(c.weight_decay != 0),
        has_momentum(c.momentum > 0), centered(c.centered), maximize(c.maximize) {}
  void operator()(T& p, T g, T& sq, T* ga, T* buf) const {
    T gi = maximize ? -g : g;
    if (has_wd) gi = std::fma(weight_decay, p, gi);
    sq = std::fma(one_minus_alpha * gi, gi, sq * alpha);            // square_avg.mul_(a).addcmul_(g, g, 1-a)
    T avg;
    if (centered) {
      T a = std::fma(one_minus_alpha, gi, *ga * alpha);             // grad_avg.mul_(a).add_(g, 1-a)
      *ga = a;
      avg = std::sqrt(std::fma(-a, a, sq));                         // square_avg.addcmul(ga, ga, -1).sqrt_()
    } else {
      avg = std::sqrt(sq);
    }
    avg = avg + eps;
    if (has_momentum) {
      T b = *buf * momentum + gi / avg;                             // buf.mul_(m).addcdiv_(g, avg)
      *buf = b;
      p = std::fma(neg_lr, b, p);                                   // param.add_(buf, alpha=-lr)
    } else {
      p = p + (neg_lr * gi) / avg;                                  // param.addcdiv_(g, avg, -lr)
    }
  }
};

template <class T>
struct Adagrad {
  T neg_clr, weight_decay, eps;
  bool has_wd, maximize;
  explicit Adagrad(const AdagradCoeffs& c)
      : neg_clr(T(-(c.lr / (1 + (double(c.step) - 1) * c.lr_decay)))), weight_decay(T(c.weight_decay)),
        eps(T(c.eps)), has_wd(c.weight_decay != 0), maximize(c.maximize) {}
  void operator()(T& p, T g, T& sum) const {
    T gi = maximize ? -g : g;
    if (has_wd) gi = std::fma(weight_decay, p, gi);
    sum = std::fma(gi, gi, sum);                                    // state_sum.addcmul_(g, g, 1)
    T std_ = std::sqrt(sum) + eps;
    p = p + (neg_clr * gi) / std_;                                  // param.addcdiv_(g, std, -clr)
  }
};

// Scalar loops over [b, e) (the references, and the tails of the SIMD loops).
template <class T>
inline void sgd_range(T* p, const T* g, T* buf, int64_t b, int64_t e, const SGD<T>& s) {
  for (int64_t i = b; i < e; ++i) s(p[i], g[i], buf ? buf + i : nullptr);
}
template <class T>
inline void adam_range(T* p, const T* g, T* m, T* v, T* vmax, int64_t b, int64_t e, const Adam<T>& s) {
  for (int64_t i = b; i < e; ++i) s(p[i], g[i], m[i], v[i], vmax ? vmax + i : nullptr);
}
template <class T>
inline void rmsprop_range(T* p, const T* g, T* sq, T* ga, T* buf, int64_t b, int64_t e, const RMSprop<T>& s) {
  for (int64_t i = b; i < e; ++i) s(p[i], g[i], sq[i], ga ? ga + i : nullptr, buf ? buf + i : nullptr);
}
template <class T>
inline void adagrad_range(T* p, const T* g, T* sum, int64_t b, int64_t e, const Adagrad<T>& s) {
  for (int64_t i = b; i < e; ++i) s(p[i], g[i], sum[i]);
}

}  // namespace sinter::optim::kernels::scalar
#endif  // SINTER_OPTIM_FUSED_SCALAR_ONCE

HWY_BEFORE_NAMESPACE();
namespace sinter::optim::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class T>
void SgdImpl(T* HWY_RESTRICT p, const T* HWY_RESTRICT g, T* HWY_RESTRICT buf, int64_t n, const SGDCoeffs& c) {
  const scalar::SGD<T> s(c);
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto neg_lr = hn::Set(d, s.neg_lr), mom = hn::Set(d, s.momentum);
  const auto omd = hn::Set(d, s.one_minus_dampening), wd = hn::Set(d, s.weight_decay);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    auto pv = hn::LoadU(d, p + i);
    auto dv = hn::LoadU(d, g + i);
    if (s.maximize) dv = hn::Neg(dv);
    if (s.has_wd) dv = hn::MulAdd(wd, pv, dv);
    if (s.has_momentum) {
      auto b = s.first_step ? dv : hn::MulAdd(omd, dv, hn::Mul(hn::LoadU(d, buf + i), mom));
      hn::StoreU(b, d, buf + i);
      dv = s.nesterov ? hn::MulAdd(mom, b, dv) : b;
    }
    hn::StoreU(hn::MulAdd(neg_lr, dv, pv), d, p + i);
  }
  scalar::sgd_range(p, g, buf, i, n, s);
}

template <class T>
void AdamImpl(T* HWY_RESTRICT p, const T* HWY_RESTRICT g, T* HWY_RESTRICT m, T* HWY_RESTRICT v,
              T* HWY_RESTRICT vmax, int64_t n, const AdamCoeffs& c) {
  const scalar::Adam<T> s(c);
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto neg_ss = hn::Set(d, s.neg_step_size), b1 = hn::Set(d, s.beta1), omb1 = hn::Set(d, s.one_minus_beta1);
  const auto b2 = hn::Set(d, s.beta2), omb2 = hn::Set(d, s.one_minus_beta2), bc2s = hn::Set(d, s.bc2_sqrt);
  const auto eps = hn::Set(d, s.eps), wd = hn::Set(d, s.weight_decay), decay = hn::Set(d, s.decay);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    auto pv = hn::LoadU(d, p + i);
    auto gv = hn::LoadU(d, g + i);
    if (s.maximize) gv = hn::Neg(gv);
    if (s.decoupled) pv = hn::Mul(pv, decay);
    else if (s.has_wd) gv = hn::MulAdd(wd, pv, gv);
    auto mv = hn::MulAdd(omb1, gv, hn::Mul(hn::LoadU(d, m + i), b1));
    auto vv = hn::MulAdd(hn::Mul(omb2, gv), gv, hn::Mul(hn::LoadU(d, v + i), b2));
    hn::StoreU(mv, d, m + i);
    hn::StoreU(vv, d, v + i);
    auto vh = vv;
    if (s.amsgrad) {
      auto old = hn::LoadU(d, vmax + i);
      vh = hn::IfThenElse(hn::Gt(vv, old), vv, old);
      vh = hn::IfThenElse(hn::IsNaN(vv), vv, vh);
      hn::StoreU(vh, d, vmax + i);
    }
    auto denom = hn::Add(hn::Div(hn::Sqrt(vh), bc2s), eps);
    hn::StoreU(hn::Add(pv, hn::Div(hn::Mul(neg_ss, mv), denom)), d, p + i);
  }
  scalar::adam_range(p, g, m, v, vmax, i, n, s);
}

template <class T>
void RmspropImpl(T* HWY_RESTRICT p, const T* HWY_RESTRICT g, T* HWY_RESTRICT sq, T* HWY_RESTRICT ga,
                 T* HWY_RESTRICT buf, int64_t n, const RMSpropCoeffs& c) {
  const scalar::RMSprop<T> s(c);
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto neg_lr = hn::Set(d, s.neg_lr), alpha = hn::Set(d, s.alpha), oma = hn::Set(d, s.one_minus_alpha);
  const auto eps = hn::Set(d, s.eps), wd = hn::Set(d, s.weight_decay), mom = hn::Set(d, s.momentum);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    auto pv = hn::LoadU(d, p + i);
    auto gv = hn::LoadU(d, g + i);
    if (s.maximize) gv = hn::Neg(gv);
    if (s.has_wd) gv = hn::MulAdd(wd, pv, gv);
    auto sqv = hn::MulAdd(hn::Mul(oma, gv), gv, hn::Mul(hn::LoadU(d, sq + i), alpha));
    hn::StoreU(sqv, d, sq + i);
    auto var = sqv;
    if (s.centered) {
      auto a = hn::MulAdd(oma, gv, hn::Mul(hn::LoadU(d, ga + i), alpha));
      hn::StoreU(a, d, ga + i);
      var = hn::NegMulAdd(a, a, sqv);
    }
    const auto avg = hn::Add(hn::Sqrt(var), eps);
    if (s.has_momentum) {
      auto b = hn::Add(hn::Mul(hn::LoadU(d, buf + i), mom), hn::Div(gv, avg));
      hn::StoreU(b, d, buf + i);
      hn::StoreU(hn::MulAdd(neg_lr, b, pv), d, p + i);
    } else {
      hn::StoreU(hn::Add(pv, hn::Div(hn::Mul(neg_lr, gv), avg)), d, p + i);
    }
  }
  scalar::rmsprop_range(p, g, sq, ga, buf, i, n, s);
}

template <class T>
void AdagradImpl(T* HWY_RESTRICT p, const T* HWY_RESTRICT g, T* HWY_RESTRICT sum, int64_t n, const AdagradCoeffs& c) {
  const scalar::Adagrad<T> s(c);
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto neg_clr = hn::Set(d, s.neg_clr), wd = hn::Set(d, s.weight_decay), eps = hn::Set(d, s.eps);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    auto pv = hn::LoadU(d, p + i);
    auto gv = hn::LoadU(d, g + i);
    if (s.maximize) gv = hn::Neg(gv);
    if (s.has_wd) gv = hn::MulAdd(wd, pv, gv);
    auto sv = hn::MulAdd(gv, gv, hn::LoadU(d, sum + i));
    hn::StoreU(sv, d, sum + i);
    auto stdv = hn::Add(hn::Sqrt(sv), eps);
    hn::StoreU(hn::Add(pv, hn::Div(hn::Mul(neg_clr, gv), stdv)), d, p + i);
  }
  scalar::adagrad_range(p, g, sum, i, n, s);
}

void SgdF32(float* p, const float* g, float* buf, int64_t n, const SGDCoeffs& c) { SgdImpl(p, g, buf, n, c); }
void SgdF64(double* p, const double* g, double* buf, int64_t n, const SGDCoeffs& c) { SgdImpl(p, g, buf, n, c); }
void AdamF32(float* p, const float* g, float* m, float* v, float* vmax, int64_t n, const AdamCoeffs& c) {
  AdamImpl(p, g, m, v, vmax, n, c);
}
void AdamF64(double* p, const double* g, double* m, double* v, double* vmax, int64_t n, const AdamCoeffs& c) {
  AdamImpl(p, g, m, v, vmax, n, c);
}
void RmspropF32(float* p, const float* g, float* sq, float* ga, float* buf, int64_t n, const RMSpropCoeffs& c) {
  RmspropImpl(p, g, sq, ga, buf, n, c);
}
void RmspropF64(double* p, const double* g, double* sq, double* ga, double* buf, int64_t n, const RMSpropCoeffs& c) {
  RmspropImpl(p, g, sq, ga, buf, n, c);
}
void AdagradF32(float* p, const float* g, float* sum, int64_t n, const AdagradCoeffs& c) { AdagradImpl(p, g, sum, n, c); }
void AdagradF64(double* p, const double* g, double* sum, int64_t n, const AdagradCoeffs& c) {
  AdagradImpl(p, g, sum, n, c);
}

}  // namespace HWY_NAMESPACE
}  // namespace sinter::optim::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/loops.h"

namespace sinter::optim::kernels {

HWY_EXPORT(SgdF32);
HWY_EXPORT(SgdF64);
HWY_EXPORT(AdamF32);
HWY_EXPORT(AdamF64);
HWY_EXPORT(RmspropF32);
HWY_EXPORT(RmspropF64);
HWY_EXPORT(AdagradF32);
HWY_EXPORT(AdagradF64);

namespace {
std::atomic<bool> g_reference{false};
template <class T>
T* off(T* ptr, int64_t b) {
  return ptr ? ptr + b : nullptr;
}
}  // namespace

void set_reference_kernels(bool on) { g_reference.store(on, std::memory_order_relaxed); }
bool reference_kernels() { return g_reference.load(std::memory_order_relaxed); }

// ---- references --------------------------------------------------------------------------------
template <class T>
void sgd_ref(T* p, const T* g, T* buf, int64_t n, const SGDCoeffs& c) {
  scalar::sgd_range(p, g, buf, 0, n, scalar::SGD<T>(c));
}
template <class T>
void adam_ref(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamCoeffs& c) {
  scalar::adam_range(p, g, m, v, vmax, 0, n, scalar::Adam<T>(c));
}
template <class T>
void rmsprop_ref(T* p, const T* g, T* sq, T* ga, T* buf, int64_t n, const RMSpropCoeffs& c) {
  scalar::rmsprop_range(p, g, sq, ga, buf, 0, n, scalar::RMSprop<T>(c));
}
template <class T>
void adagrad_ref(T* p, const T* g, T* sum, int64_t n, const AdagradCoeffs& c) {
  scalar::adagrad_range(p, g, sum, 0, n, scalar::Adagrad<T>(c));
}

// ---- SIMD (one thread) -------------------------------------------------------------------------
template <>
void sgd_simd<float>(float* p, const float* g, float* buf, int64_t n, const SGDCoeffs& c) {
  HWY_DYNAMIC_DISPATCH(SgdF32)(p, g, buf, n, c);
}
template <>
void sgd_simd<double>(double* p, const double* g, double* buf, int64_t n, const SGDCoeffs& c) {
  HWY_DYNAMIC_DISPATCH(SgdF64)(p, g, buf, n, c);
}
template <>
void adam_simd<float>(float* p, const float* g, float* m, float* v, float* vmax, int64_t n, const AdamCoeffs& c) {
  HWY_DYNAMIC_DISPATCH(AdamF32)(p, g, m, v, vmax, n, c);
}
template <>
void adam_simd<double>(double* p, const double* g, double* m, double* v, double* vmax, int64_t n,
                       const AdamCoeffs& c) {
  HWY_DYNAMIC_DISPATCH(AdamF64)(p, g, m, v, vmax, n, c);
}
template <>
void rmsprop_simd<float>(float* p, const float* g, float* sq, float* ga, float* buf, int64_t n,
                         const RMSpropCoeffs& c) {
  HWY_DYNAMIC_DISPATCH(RmspropF32)(p, g, sq, ga, buf, n, c);
}
template <>
void rmsprop_simd<double>(double* p, const double* g, double* sq, double* ga, double* buf, int64_t n,
                          const RMSpropCoeffs& c) {
  HWY_DYNAMIC_DISPATCH(RmspropF64)(p, g, sq, ga, buf, n, c);
}
template <>
void adagrad_simd<float>(float* p, const float* g, float* sum, int64_t n, const AdagradCoeffs& c) {
  HWY_DYNAMIC_DISPATCH(AdagradF32)(p, g, sum, n, c);
}
template <>
void adagrad_simd<double>(double* p, const double* g, double* sum, int64_t n, const AdagradCoeffs& c) {
  HWY_DYNAMIC_DISPATCH(AdagradF64)(p, g, sum, n, c);
}

// ---- parallel updates --------------------------------------------------------------------------
template <class T>
void sgd_update(T* p, const T* g, T* buf, int64_t n, const SGDCoeffs& c) {
  if (reference_kernels()) return sgd_ref(p, g, buf, n, c);
  sinter::kernels::parallel_for(n, kOptimGrain, [&](int64_t b, int64_t e) {
    sgd_simd(p + b, g + b, off(buf, b), e - b, c);
  });
}
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamCoeffs& c) {
  if (reference_kernels()) return adam_ref(p, g, m, v, vmax, n, c);
  sinter::kernels::parallel_for(n, kOptimGrain, [&](int64_t b, int64_t e) {
    adam_simd(p + b, g + b, m + b, v + b, off(vmax, b), e - b, c);
  });
}
template <class T>
void rmsprop_update(T* p, const T* g, T* sq, T* ga, T* buf, int64_t n, const RMSpropCoeffs& c) {
  if (reference_kernels()) return rmsprop_ref(p, g, sq, ga, buf, n, c);
  sinter::kernels::parallel_for(n, kOptimGrain, [&](int64_t b, int64_t e) {
    rmsprop_simd(p + b, g + b, sq + b, off(ga, b), off(buf, b), e - b, c);
  });
}
template <class T>
void adagrad_update(T* p, const T* g, T* sum, int64_t n, const AdagradCoeffs& c) {
  if (reference_kernels()) return adagrad_ref(p, g, sum, n, c);
  sinter::kernels::parallel_for(n, kOptimGrain, [&](int64_t b, int64_t e) {
    adagrad_simd(p + b, g + b, sum + b, e - b, c);
  });
}

#define SINTER_OPTIM_INSTANTIATE(T)                                                                    \
  template void sgd_ref<T>(T*, const T*, T*, int64_t, const SGDCoeffs&);                               \
  template void sgd_update<T>(T*, const T*, T*, int64_t, const SGDCoeffs&);                            \
  template void adam_ref<T>(T*, const T*, T*, T*, T*, int64_t, const AdamCoeffs&);                     \
  template void adam_update<T>(T*, const T*, T*, T*, T*, int64_t, const AdamCoeffs&);                  \
  template void rmsprop_ref<T>(T*, const T*, T*, T*, T*, int64_t, const RMSpropCoeffs&);               \
  template void rmsprop_update<T>(T*, const T*, T*, T*, T*, int64_t, const RMSpropCoeffs&);            \
  template void adagrad_ref<T>(T*, const T*, T*, int64_t, const AdagradCoeffs&);                       \
  template void adagrad_update<T>(T*, const T*, T*, int64_t, const AdagradCoeffs&);
SINTER_OPTIM_INSTANTIATE(float)
SINTER_OPTIM_INSTANTIATE(double)
#undef SINTER_OPTIM_INSTANTIATE

}  // namespace sinter::optim::kernels
#endif  // HWY_ONCE
