#include "kernels/cpu/fft.h"

#include <cmath>
#include <numbers>

namespace sinter::kernels {
namespace {

bool is_pow2(int64_t n) { return (n & (n - 1)) == 0; }

// exp(-2 pi i num / den) with num reduced modulo den first (exact angles for large indices).
cdouble unit_root(int64_t num, int64_t den) {
  double a = -2.0 * std::numbers::pi * static_cast<double>(num % den) / static_cast<double>(den);
  return {std::cos(a), std::sin(a)};
}

}  // namespace

FftPlan::FftPlan(int64_t n) : n_(n), m_(1) {
  if (is_pow2(n)) {
    m_ = n;
  } else {
    while (m_ < 2 * n - 1) m_ *= 2;
  }
  twiddle_.resize(static_cast<size_t>(m_ / 2));
  for (int64_t k = 0; k < m_ / 2; ++k) twiddle_[static_cast<size_t>(k)] = unit_root(k, m_);
  if (m_ == n_) return;
  // chirp w_k = exp(-pi i k^2 / n) = exp(-2 pi i (k^2 mod 2n) / 2n)
  chirp_.resize(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) chirp_[static_cast<size_t>(k)] = unit_root((k * k) % (2 * n), 2 * n);
  // b_k = conj(w_|k|) for k in (-n, n), laid out circularly over m
  kernel_.assign(static_cast<size_t>(m_), cdouble(0, 0));
  kernel_[0] = std::conj(chirp_[0]);
  for (int64_t k = 1; k < n; ++k)
    kernel_[static_cast<size_t>(k)] = kernel_[static_cast<size_t>(m_ - k)] = std::conj(chirp_[static_cast<size_t>(k)]);
  pow2(kernel_.data(), false);
  work_.resize(static_cast<size_t>(m_));
}

// Iterative Cooley-Tukey over m_ points: bit-reversal permutation, then log2(m) butterfly passes.
void FftPlan::pow2(cdouble* a, bool inverse) const {
  const int64_t m = m_;
  for (int64_t i = 1, j = 0; i < m; ++i) {
    int64_t bit = m >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (int64_t len = 2; len <= m; len <<= 1) {
    const int64_t half = len / 2, step = m / len;
    for (int64_t s = 0; s < m; s += len)
      for (int64_t k = 0; k < half; ++k) {
        cdouble w = twiddle_[static_cast<size_t>(k * step)];
        if (inverse) w = std::conj(w);
        cdouble u = a[s + k], v = a[s + k + half] * w;
        a[s + k] = u + v;
        a[s + k + half] = u - v;
      }
  }
}

void FftPlan::run(cdouble* x, bool inverse) const {
  if (m_ == n_) {
    pow2(x, inverse);
  } else {
    // X_k = conj?(w_k) * sum_j (x_j w_j) conj(w_{k-j}): the forward transform of conj(x) gives
    // the inverse as conj(F conj(x)).
    for (int64_t k = 0; k < n_; ++k) {
      cdouble v = inverse ? std::conj(x[k]) : x[k];
      work_[static_cast<size_t>(k)] = v * chirp_[static_cast<size_t>(k)];
    }
    std::fill(work_.begin() + n_, work_.end(), cdouble(0, 0));
    pow2(work_.data(), false);
    for (int64_t k = 0; k < m_; ++k) work_[static_cast<size_t>(k)] *= kernel_[static_cast<size_t>(k)];
    pow2(work_.data(), true);
    const double inv_m = 1.0 / static_cast<double>(m_);
    for (int64_t k = 0; k < n_; ++k) {
      cdouble v = work_[static_cast<size_t>(k)] * inv_m * chirp_[static_cast<size_t>(k)];
      x[k] = inverse ? std::conj(v) : v;
    }
  }
  if (inverse) {
    const double s = 1.0 / static_cast<double>(n_);
    for (int64_t k = 0; k < n_; ++k) x[k] *= s;
  }
}

void dft_naive(const cdouble* x, cdouble* y, int64_t n, bool inverse) {
  for (int64_t k = 0; k < n; ++k) {
    cdouble acc(0, 0);
    for (int64_t j = 0; j < n; ++j) {
      cdouble w = unit_root((j * k) % n, n);
      acc += x[j] * (inverse ? std::conj(w) : w);
    }
    y[k] = inverse ? acc / static_cast<double>(n) : acc;
  }
}

}  // namespace sinter::kernels
