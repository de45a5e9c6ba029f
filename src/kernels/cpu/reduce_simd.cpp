// SIMD kernels of the reduction family; see reduce_simd.h. Compiled once per Highway target
// (foreach_target re-includes this file) and dispatched at run time.
#include "kernels/cpu/reduce_simd.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#ifndef SINTER_REDUCE_SIMD_SCALAR_
#define SINTER_REDUCE_SIMD_SCALAR_
// Scalar paths shared by every target: rows whose maximum is not finite (NaN, +-inf), where
// the vector exp's range reduction does not apply.
namespace sinter::kernels::simd::scalar {

template <class T>
T max_of(const T* x, int64_t n) {
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) return x[i];
    m = x[i] > m ? x[i] : m;
  }
  return m;
}

template <class T>
double logsumexp(const T* x, int64_t n) {
  T m = max_of(x, n);
  if (std::isnan(m)) return m;
  double shift = std::isinf(m) ? 0.0 : static_cast<double>(m);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::exp(static_cast<double>(x[i]) - shift);
  return std::log(s) + shift;
}

template <class T>
void softmax_row(T* y, const T* x, int64_t n, bool log) {
  const T m = max_of(x, n);
  T s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::exp(x[i] - m);
  if (log) {
    const T ls = std::log(s);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] - m - ls;
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i] - m) / s;
  }
}

// Column c of a (K, C) block.
template <class T>
void softmax_col(T* y, const T* x, int64_t K, int64_t C, bool log) {  // C: row stride
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t k = 0; k < K; ++k) {
    T v = x[k * C];
    if (std::isnan(v)) { m = v; break; }
    m = v > m ? v : m;
  }
  T s = 0;
  for (int64_t k = 0; k < K; ++k) s += std::exp(x[k * C] - m);
  const T ls = std::log(s);
  for (int64_t k = 0; k < K; ++k) y[k * C] = log ? x[k * C] - m - ls : std::exp(x[k * C] - m) / s;
}

}  // namespace sinter::kernels::simd::scalar
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/reduce_simd.cpp"
#include <hwy/foreach_target.h>  // must precede highway.h
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

HWY_BEFORE_NAMESPACE();
namespace sinter::kernels::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class T>
HWY_INLINE double SumImpl(const T* HWY_RESTRICT x, int64_t n) {
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  constexpr int64_t kBlock = 8192;  // values summed in T before the block total goes to double
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
    int64_t i = b;
    for (; i + 4 * N <= e; i += 4 * N) {
      a0 = hn::Add(a0, hn::LoadU(d, x + i));
      a1 = hn::Add(a1, hn::LoadU(d, x + i + N));
      a2 = hn::Add(a2, hn::LoadU(d, x + i + 2 * N));
      a3 = hn::Add(a3, hn::LoadU(d, x + i + 3 * N));
    }
    for (; i + N <= e; i += N) a0 = hn::Add(a0, hn::LoadU(d, x + i));
    double s = static_cast<double>(hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)))));
    for (; i < e; ++i) s += static_cast<double>(x[i]);
    total += s;
  }
  return total;
}
double SumF32(const float* x, int64_t n) { return SumImpl(x, n); }
double SumF64(const double* x, int64_t n) { return SumImpl(x, n); }

template <class T>
HWY_INLINE double SumSqDevImpl(const T* HWY_RESTRICT x, int64_t n, T c) {
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  constexpr int64_t kBlock = 8192;
  const auto vc = hn::Set(d, c);
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    auto a0 = hn::Zero(d), a1 = hn::Zero(d);
    int64_t i = b;
    for (; i + 2 * N <= e; i += 2 * N) {
      const auto d0 = hn::Sub(hn::LoadU(d, x + i), vc), d1 = hn::Sub(hn::LoadU(d, x + i + N), vc);
      a0 = hn::MulAdd(d0, d0, a0);
      a1 = hn::MulAdd(d1, d1, a1);
    }
    for (; i + N <= e; i += N) {
      const auto d0 = hn::Sub(hn::LoadU(d, x + i), vc);
      a0 = hn::MulAdd(d0, d0, a0);
    }
    double s = static_cast<double>(hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, a1))));
    for (; i < e; ++i) {
      const double v = static_cast<double>(x[i]) - static_cast<double>(c);
      s += v * v;
    }
    total += s;
  }
  return total;
}
double SumSqDevF32(const float* x, int64_t n, float c) { return SumSqDevImpl(x, n, c); }
double SumSqDevF64(const double* x, int64_t n, double c) { return SumSqDevImpl(x, n, c); }

// Column blocks of 4 vectors walk a tile of rows in registers; the tile's partial results
// (at most kTile values each, in T) then go to the double accumulators.
constexpr int64_t kTile = 32;

// acc[j] += sum over the rows of f(x[r * ld + j], j), f given as a vector op and a scalar op.
template <class T, class VecF, class ScalarF>
HWY_INLINE void FoldRows(double* HWY_RESTRICT acc, const T* HWY_RESTRICT x, int64_t rows, int64_t n, int64_t ld,
                         VecF vf, ScalarF sf) {
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  HWY_ALIGN T buf[4 * 64];
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t r1 = std::min(rows, r0 + kTile);
    int64_t j = 0;
    for (; j + 4 * N <= n; j += 4 * N) {
      auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
      for (int64_t r = r0; r < r1; ++r) {
        const T* p = x + r * ld + j;
        a0 = vf(d, a0, hn::LoadU(d, p), j);
        a1 = vf(d, a1, hn::LoadU(d, p + N), j + N);
        a2 = vf(d, a2, hn::LoadU(d, p + 2 * N), j + 2 * N);
        a3 = vf(d, a3, hn::LoadU(d, p + 3 * N), j + 3 * N);
      }
      hn::Store(a0, d, buf);
      hn::Store(a1, d, buf + N);
      hn::Store(a2, d, buf + 2 * N);
      hn::Store(a3, d, buf + 3 * N);
      for (int64_t t = 0; t < 4 * N; ++t) acc[j + t] += static_cast<double>(buf[t]);
    }
    for (; j + N <= n; j += N) {
      auto a0 = hn::Zero(d);
      for (int64_t r = r0; r < r1; ++r) a0 = vf(d, a0, hn::LoadU(d, x + r * ld + j), j);
      hn::Store(a0, d, buf);
      for (int64_t t = 0; t < N; ++t) acc[j + t] += static_cast<double>(buf[t]);
    }
    for (; j < n; ++j) {
      double s = 0;
      for (int64_t r = r0; r < r1; ++r) s += sf(x[r * ld + j], j);
      acc[j] += s;
    }
  }
}

template <class T>
HWY_INLINE void SumRowsImpl(double* acc, const T* x, int64_t rows, int64_t n, int64_t ld) {
  FoldRows(acc, x, rows, n, ld, [](auto d, auto a, auto v, int64_t) { return hn::Add(a, v); },
           [](T v, int64_t) { return static_cast<double>(v); });
}
void SumRowsF32(double* acc, const float* x, int64_t rows, int64_t n, int64_t ld) { SumRowsImpl(acc, x, rows, n, ld); }
void SumRowsF64(double* acc, const double* x, int64_t rows, int64_t n, int64_t ld) { SumRowsImpl(acc, x, rows, n, ld); }

template <class T>
HWY_INLINE void SqDevRowsImpl(double* acc, const T* x, const T* c, int64_t rows, int64_t n, int64_t ld) {
  FoldRows(
      acc, x, rows, n, ld,
      [c](auto d, auto a, auto v, int64_t j) {
        const auto dv = hn::Sub(v, hn::LoadU(d, c + j));
        return hn::MulAdd(dv, dv, a);
      },
      [c](T v, int64_t j) {
        const double dv = static_cast<double>(v) - static_cast<double>(c[j]);
        return dv * dv;
      });
}
void SqDevRowsF32(double* acc, const float* x, const float* c, int64_t rows, int64_t n, int64_t ld) {
  SqDevRowsImpl(acc, x, c, rows, n, ld);
}
void SqDevRowsF64(double* acc, const double* x, const double* c, int64_t rows, int64_t n, int64_t ld) {
  SqDevRowsImpl(acc, x, c, rows, n, ld);
}

template <bool IsMax, class V>
HWY_INLINE V Pick(V a, V b) {
  if constexpr (IsMax) return hn::Max(a, b);
  else return hn::Min(a, b);
}

// NaN is tracked separately: the vector Max/Min do not promise to propagate it.
template <bool IsMax, class T>
HWY_INLINE T ExtremumImpl(const T* HWY_RESTRICT x, int64_t n) {
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  T r;
  int64_t i;
  if (n >= N) {
    auto m0 = hn::LoadU(d, x), m1 = m0;
    auto nan = hn::IsNaN(m0);
    for (i = N; i + 2 * N <= n; i += 2 * N) {
      const auto v0 = hn::LoadU(d, x + i), v1 = hn::LoadU(d, x + i + N);
      m0 = Pick<IsMax>(m0, v0);
      m1 = Pick<IsMax>(m1, v1);
      nan = hn::Or(nan, hn::Or(hn::IsNaN(v0), hn::IsNaN(v1)));
    }
    for (; i + N <= n; i += N) {
      const auto v = hn::LoadU(d, x + i);
      m0 = Pick<IsMax>(m0, v);
      nan = hn::Or(nan, hn::IsNaN(v));
    }
    if (!hn::AllFalse(d, nan)) return std::numeric_limits<T>::quiet_NaN();
    m0 = Pick<IsMax>(m0, m1);
    r = hn::GetLane(IsMax ? hn::MaxOfLanes(d, m0) : hn::MinOfLanes(d, m0));
  } else {
    r = x[0];
    i = 1;
    if (std::isnan(r)) return r;
  }
  for (; i < n; ++i) {
    if (std::isnan(x[i])) return x[i];
    r = IsMax ? (x[i] > r ? x[i] : r) : (x[i] < r ? x[i] : r);
  }
  return r;
}
float MaxF32(const float* x, int64_t n) { return ExtremumImpl<true>(x, n); }
double MaxF64(const double* x, int64_t n) { return ExtremumImpl<true>(x, n); }
float MinF32(const float* x, int64_t n) { return ExtremumImpl<false>(x, n); }
double MinF64(const double* x, int64_t n) { return ExtremumImpl<false>(x, n); }

template <bool IsMax, class T>
HWY_INLINE void AccumulateExtremumImpl(T* HWY_RESTRICT acc, const T* HWY_RESTRICT x, int64_t n) {
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    const auto a = hn::LoadU(d, acc + i), v = hn::LoadU(d, x + i);
    // Take v when it beats a or is NaN; a NaN already in acc stays (comparisons with it fail).
    const auto take = hn::Or(IsMax ? hn::Lt(a, v) : hn::Lt(v, a), hn::IsNaN(v));
    hn::StoreU(hn::IfThenElse(take, v, a), d, acc + i);
  }
  for (; i < n; ++i)
    if ((IsMax ? acc[i] < x[i] : x[i] < acc[i]) || std::isnan(x[i])) acc[i] = x[i];
}

template <bool IsMax, class D, class V>
HWY_INLINE V PickNaN(D, V a, V v) {
  return hn::IfThenElse(hn::Or(IsMax ? hn::Lt(a, v) : hn::Lt(v, a), hn::IsNaN(v)), v, a);
}

template <bool IsMax, class T>
HWY_INLINE void ExtremumRowsImpl(T* HWY_RESTRICT acc, const T* HWY_RESTRICT x, int64_t rows, int64_t n, int64_t ld) {
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t r1 = std::min(rows, r0 + kTile);
    int64_t j = 0;
    for (; j + 4 * N <= n; j += 4 * N) {
      auto a0 = hn::LoadU(d, acc + j), a1 = hn::LoadU(d, acc + j + N), a2 = hn::LoadU(d, acc + j + 2 * N),
           a3 = hn::LoadU(d, acc + j + 3 * N);
      for (int64_t r = r0; r < r1; ++r) {
        const T* p = x + r * ld + j;
        a0 = PickNaN<IsMax>(d, a0, hn::LoadU(d, p));
        a1 = PickNaN<IsMax>(d, a1, hn::LoadU(d, p + N));
        a2 = PickNaN<IsMax>(d, a2, hn::LoadU(d, p + 2 * N));
        a3 = PickNaN<IsMax>(d, a3, hn::LoadU(d, p + 3 * N));
      }
      hn::StoreU(a0, d, acc + j);
      hn::StoreU(a1, d, acc + j + N);
      hn::StoreU(a2, d, acc + j + 2 * N);
      hn::StoreU(a3, d, acc + j + 3 * N);
    }
    for (; j + N <= n; j += N) {
      auto a0 = hn::LoadU(d, acc + j);
      for (int64_t r = r0; r < r1; ++r) a0 = PickNaN<IsMax>(d, a0, hn::LoadU(d, x + r * ld + j));
      hn::StoreU(a0, d, acc + j);
    }
    if (j < n)
      for (int64_t r = r0; r < r1; ++r) AccumulateExtremumImpl<IsMax>(acc + j, x + r * ld + j, n - j);
  }
}
void MaxRowsF32(float* acc, const float* x, int64_t rows, int64_t n, int64_t ld) { ExtremumRowsImpl<true>(acc, x, rows, n, ld); }
void MaxRowsF64(double* acc, const double* x, int64_t rows, int64_t n, int64_t ld) { ExtremumRowsImpl<true>(acc, x, rows, n, ld); }
void MinRowsF32(float* acc, const float* x, int64_t rows, int64_t n, int64_t ld) { ExtremumRowsImpl<false>(acc, x, rows, n, ld); }
void MinRowsF64(double* acc, const double* x, int64_t rows, int64_t n, int64_t ld) { ExtremumRowsImpl<false>(acc, x, rows, n, ld); }

// sum(exp(x - m)) over a row; when y is given it also receives exp(x - m).
template <class T>
HWY_INLINE double ExpSumImpl(T* y, const T* x, int64_t n, T m) {
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto vm = hn::Set(d, m);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto e0 = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), vm));
    const auto e1 = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i + N), vm));
    if (y) {
      hn::StoreU(e0, d, y + i);
      hn::StoreU(e1, d, y + i + N);
    }
    s0 = hn::Add(s0, e0);
    s1 = hn::Add(s1, e1);
  }
  for (; i + N <= n; i += N) {
    const auto e0 = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), vm));
    if (y) hn::StoreU(e0, d, y + i);
    s0 = hn::Add(s0, e0);
  }
  if (i < n) {  // tail, padded with -inf (whose exp is 0)
    HWY_ALIGN T buf[64];
    std::fill(buf, buf + N, -std::numeric_limits<T>::infinity());
    std::copy(x + i, x + n, buf);
    const auto e0 = hn::Exp(d, hn::Sub(hn::Load(d, buf), vm));
    hn::Store(e0, d, buf);
    if (y) std::copy(buf, buf + (n - i), y + i);
    s0 = hn::Add(s0, e0);
  }
  return static_cast<double>(hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1))));
}

template <class T>
HWY_INLINE double LogSumExpImpl(const T* HWY_RESTRICT x, int64_t n) {
  if (n == 0) return -std::numeric_limits<double>::infinity();
  const T m = ExtremumImpl<true>(x, n);
  if (!std::isfinite(m)) return scalar::logsumexp(x, n);
  return std::log(ExpSumImpl<T>(nullptr, x, n, m)) + static_cast<double>(m);
}
double LogSumExpF32(const float* x, int64_t n) { return LogSumExpImpl(x, n); }
double LogSumExpF64(const double* x, int64_t n) { return LogSumExpImpl(x, n); }

template <class T>
HWY_INLINE void SoftmaxRowImpl(T* y, const T* x, int64_t n, bool log) {
  const T m = ExtremumImpl<true>(x, n);
  if (!std::isfinite(m)) return scalar::softmax_row(y, x, n, log);
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  if (log) {  // (x - m) - log(sum): rounding x - m first keeps precision for large logits
    const T ls = static_cast<T>(std::log(ExpSumImpl<T>(nullptr, x, n, m)));
    const auto vm = hn::Set(d, m), vl = hn::Set(d, ls);
    int64_t i = 0;
    for (; i + N <= n; i += N) hn::StoreU(hn::Sub(hn::Sub(hn::LoadU(d, x + i), vm), vl), d, y + i);
    for (; i < n; ++i) y[i] = (x[i] - m) - ls;
  } else {
    const T inv = static_cast<T>(1.0 / ExpSumImpl<T>(y, x, n, m));
    const auto vi = hn::Set(d, inv);
    int64_t i = 0;
    for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, y + i), vi), d, y + i);
    for (; i < n; ++i) y[i] *= inv;
  }
}
void SoftmaxRowF32(float* y, const float* x, int64_t n, bool log) { SoftmaxRowImpl(y, x, n, log); }
void SoftmaxRowF64(double* y, const double* x, int64_t n, bool log) { SoftmaxRowImpl(y, x, n, log); }

template <class T>
HWY_INLINE void SoftmaxColsImpl(T* HWY_RESTRICT y, const T* HWY_RESTRICT x, int64_t K, int64_t C, int64_t ld,
                                bool log) {
  const hn::ScalableTag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  std::vector<T> m(x, x + C), s(static_cast<size_t>(C), T(0));
  for (int64_t k = 1; k < K; ++k) AccumulateExtremumImpl<true>(m.data(), x + k * ld, C);
  bool finite = true;
  for (int64_t c = 0; c < C; ++c) finite &= std::isfinite(m[c]);
  if (!finite) {
    for (int64_t c = 0; c < C; ++c) scalar::softmax_col(y + c, x + c, K, ld, log);
    return;
  }
  for (int64_t k = 0; k < K; ++k) {
    const T* xr = x + k * ld;
    T* yr = y + k * ld;
    int64_t c = 0;
    for (; c + N <= C; c += N) {
      const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, xr + c), hn::LoadU(d, m.data() + c)));
      if (!log) hn::StoreU(e, d, yr + c);
      hn::StoreU(hn::Add(hn::LoadU(d, s.data() + c), e), d, s.data() + c);
    }
    for (; c < C; ++c) {
      const T e = std::exp(xr[c] - m[c]);
      if (!log) yr[c] = e;
      s[c] += e;
    }
  }
  // s becomes the factor 1/s, or log s, of each column.
  for (int64_t c = 0; c < C; ++c) s[c] = log ? std::log(s[c]) : T(1) / s[c];
  for (int64_t k = 0; k < K; ++k) {
    const T* xr = x + k * ld;
    T* yr = y + k * ld;
    int64_t c = 0;
    if (log) {  // (x - m) - log s
      for (; c + N <= C; c += N)
        hn::StoreU(hn::Sub(hn::Sub(hn::LoadU(d, xr + c), hn::LoadU(d, m.data() + c)), hn::LoadU(d, s.data() + c)), d,
                   yr + c);
      for (; c < C; ++c) yr[c] = (xr[c] - m[c]) - s[c];
    } else {
      for (; c + N <= C; c += N) hn::StoreU(hn::Mul(hn::LoadU(d, yr + c), hn::LoadU(d, s.data() + c)), d, yr + c);
      for (; c < C; ++c) yr[c] *= s[c];
    }
  }
}
void SoftmaxColsF32(float* y, const float* x, int64_t K, int64_t C, int64_t ld, bool log) {
  SoftmaxColsImpl(y, x, K, C, ld, log);
}
void SoftmaxColsF64(double* y, const double* x, int64_t K, int64_t C, int64_t ld, bool log) {
  SoftmaxColsImpl(y, x, K, C, ld, log);
}

}  // namespace HWY_NAMESPACE
}  // namespace sinter::kernels::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace sinter::kernels::simd {

HWY_EXPORT(SumF32);
HWY_EXPORT(SumF64);
HWY_EXPORT(SumSqDevF32);
HWY_EXPORT(SumSqDevF64);
HWY_EXPORT(SumRowsF32);
HWY_EXPORT(SumRowsF64);
HWY_EXPORT(SqDevRowsF32);
HWY_EXPORT(SqDevRowsF64);
HWY_EXPORT(MaxRowsF32);
HWY_EXPORT(MaxRowsF64);
HWY_EXPORT(MinRowsF32);
HWY_EXPORT(MinRowsF64);
HWY_EXPORT(MaxF32);
HWY_EXPORT(MaxF64);
HWY_EXPORT(MinF32);
HWY_EXPORT(MinF64);
HWY_EXPORT(LogSumExpF32);
HWY_EXPORT(LogSumExpF64);
HWY_EXPORT(SoftmaxRowF32);
HWY_EXPORT(SoftmaxRowF64);
HWY_EXPORT(SoftmaxColsF32);
HWY_EXPORT(SoftmaxColsF64);

double sum(const float* x, int64_t n) { return HWY_DYNAMIC_DISPATCH(SumF32)(x, n); }
double sum(const double* x, int64_t n) { return HWY_DYNAMIC_DISPATCH(SumF64)(x, n); }
double sum_sq_dev(const float* x, int64_t n, float c) { return HWY_DYNAMIC_DISPATCH(SumSqDevF32)(x, n, c); }
double sum_sq_dev(const double* x, int64_t n, double c) { return HWY_DYNAMIC_DISPATCH(SumSqDevF64)(x, n, c); }
void accumulate_sum_rows(double* acc, const float* x, int64_t rows, int64_t n, int64_t ld) {
  HWY_DYNAMIC_DISPATCH(SumRowsF32)(acc, x, rows, n, ld);
}
void accumulate_sum_rows(double* acc, const double* x, int64_t rows, int64_t n, int64_t ld) {
  HWY_DYNAMIC_DISPATCH(SumRowsF64)(acc, x, rows, n, ld);
}
void accumulate_sq_dev_rows(double* acc, const float* x, const float* c, int64_t rows, int64_t n, int64_t ld) {
  HWY_DYNAMIC_DISPATCH(SqDevRowsF32)(acc, x, c, rows, n, ld);
}
void accumulate_sq_dev_rows(double* acc, const double* x, const double* c, int64_t rows, int64_t n, int64_t ld) {
  HWY_DYNAMIC_DISPATCH(SqDevRowsF64)(acc, x, c, rows, n, ld);
}
void accumulate_max_rows(float* acc, const float* x, int64_t rows, int64_t n, int64_t ld) {
  HWY_DYNAMIC_DISPATCH(MaxRowsF32)(acc, x, rows, n, ld);
}
void accumulate_max_rows(double* acc, const double* x, int64_t rows, int64_t n, int64_t ld) {
  HWY_DYNAMIC_DISPATCH(MaxRowsF64)(acc, x, rows, n, ld);
}
void accumulate_min_rows(float* acc, const float* x, int64_t rows, int64_t n, int64_t ld) {
  HWY_DYNAMIC_DISPATCH(MinRowsF32)(acc, x, rows, n, ld);
}
void accumulate_min_rows(double* acc, const double* x, int64_t rows, int64_t n, int64_t ld) {
  HWY_DYNAMIC_DISPATCH(MinRowsF64)(acc, x, rows, n, ld);
}
float max(const float* x, int64_t n) { return HWY_DYNAMIC_DISPATCH(MaxF32)(x, n); }
double max(const double* x, int64_t n) { return HWY_DYNAMIC_DISPATCH(MaxF64)(x, n); }
float min(const float* x, int64_t n) { return HWY_DYNAMIC_DISPATCH(MinF32)(x, n); }
double min(const double* x, int64_t n) { return HWY_DYNAMIC_DISPATCH(MinF64)(x, n); }
double logsumexp(const float* x, int64_t n) { return HWY_DYNAMIC_DISPATCH(LogSumExpF32)(x, n); }
double logsumexp(const double* x, int64_t n) { return HWY_DYNAMIC_DISPATCH(LogSumExpF64)(x, n); }
void softmax_row(float* y, const float* x, int64_t n, bool log) { HWY_DYNAMIC_DISPATCH(SoftmaxRowF32)(y, x, n, log); }
void softmax_row(double* y, const double* x, int64_t n, bool log) { HWY_DYNAMIC_DISPATCH(SoftmaxRowF64)(y, x, n, log); }
void softmax_cols(float* y, const float* x, int64_t K, int64_t C, int64_t ld, bool log) {
  HWY_DYNAMIC_DISPATCH(SoftmaxColsF32)(y, x, K, C, ld, log);
}
void softmax_cols(double* y, const double* x, int64_t K, int64_t C, int64_t ld, bool log) {
  HWY_DYNAMIC_DISPATCH(SoftmaxColsF64)(y, x, K, C, ld, log);
}

}  // namespace sinter::kernels::simd
#endif
