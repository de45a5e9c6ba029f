// Discrete Fourier transforms of any length, in double precision: iterative radix-2 for powers
// of two, Bluestein's chirp-z (a circular convolution by power-of-two transforms) otherwise.
#pragma once
#include <complex>
#include <cstdint>
#include <vector>

namespace sinter::kernels {

using cdouble = std::complex<double>;

/// A plan for transforms of one length n >= 1 (twiddles and, for other lengths, the chirp),
/// reused over many lines.
class FftPlan {
 public:
  explicit FftPlan(int64_t n);
  int64_t size() const { return n_; }
  /// In place: X[k] = sum_j x[j] exp(-+2 pi i j k / n) (sign - forward, + inverse), scaled by
  /// 1/n when inverse.
  void run(cdouble* x, bool inverse) const;

 private:
  int64_t n_, m_;                  // m_: the power-of-two length the work runs at
  std::vector<cdouble> twiddle_;   // exp(-2 pi i k / m), k < m / 2
  std::vector<cdouble> chirp_;     // Bluestein: exp(-pi i k^2 / n), k < n
  std::vector<cdouble> kernel_;    // Bluestein: transform of the conjugate chirp, length m
  mutable std::vector<cdouble> work_;
  void pow2(cdouble* a, bool inverse) const;
};

/// The same transform by the O(n^2) definition (the reference the tests compare with).
void dft_naive(const cdouble* x, cdouble* y, int64_t n, bool inverse);

}  // namespace sinter::kernels
