// The fused SIMD update kernels against their scalar reference loops: every option path, float32
// and float64, lengths with SIMD tails, and the parallel split of long arrays.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "optim/fused.h"

namespace {

using namespace sinter::optim::kernels;

template <class T>
std::vector<T> random_vec(int64_t n, std::mt19937& rng, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(u(rng));
  return v;
}

// State buffers: fast and reference copies of p and up to three state arrays.
template <class T>
struct Buffers {
  std::vector<T> p, g, s0, s1, s2;
  Buffers(int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    p = random_vec<T>(n, rng, -1, 1);
    g = random_vec<T>(n, rng, -1, 1);
    s0 = random_vec<T>(n, rng, 0, 0.5);  // non-negative: square averages / sums
    s1 = random_vec<T>(n, rng, -0.1, 0.1);
    s2 = random_vec<T>(n, rng, 0, 0.7);
  }
};

template <class T>
::testing::AssertionResult same(const std::vector<T>& a, const std::vector<T>& b, const char* what) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && !(std::isnan(a[i]) && std::isnan(b[i])))
      return ::testing::AssertionFailure() << what << "[" << i << "]: simd " << a[i] << " vs reference " << b[i];
  }
  return ::testing::AssertionSuccess();
}

template <class T>
void check_all(int64_t n, uint32_t seed) {
  SCOPED_TRACE("n=" + std::to_string(n) + (sizeof(T) == 4 ? " float32" : " float64"));
  // SGD
  for (bool first : {false, true})
    for (bool nesterov : {false, true})
      for (double momentum : {0.0, 0.9})
        for (bool maximize : {false, true}) {
          if (nesterov && momentum == 0) continue;
          SGDCoeffs c{0.05, momentum, nesterov ? 0.0 : 0.2, 0.01, nesterov, maximize, first};
          Buffers<T> a(n, seed), b(n, seed);
          T* buf_a = momentum != 0 ? a.s1.data() : nullptr;
          T* buf_b = momentum != 0 ? b.s1.data() : nullptr;
          sgd_simd(a.p.data(), a.g.data(), buf_a, n, c);
          sgd_ref(b.p.data(), b.g.data(), buf_b, n, c);
          EXPECT_TRUE(same(a.p, b.p, "sgd p"));
          EXPECT_TRUE(same(a.s1, b.s1, "sgd buf"));
          EXPECT_FALSE(same(a.p, Buffers<T>(n, seed).p, "changed")) << "sgd did not update";
        }
  // Adam / AdamW
  for (bool amsgrad : {false, true})
    for (bool decoupled : {false, true})
      for (bool maximize : {false, true}) {
        AdamCoeffs c{1e-2, 0.9, 0.999, 1e-8, 0.1, amsgrad, maximize, decoupled, 3};
        Buffers<T> a(n, seed), b(n, seed);
        adam_simd(a.p.data(), a.g.data(), a.s1.data(), a.s0.data(), amsgrad ? a.s2.data() : nullptr, n, c);
        adam_ref(b.p.data(), b.g.data(), b.s1.data(), b.s0.data(), amsgrad ? b.s2.data() : nullptr, n, c);
        EXPECT_TRUE(same(a.p, b.p, "adam p"));
        EXPECT_TRUE(same(a.s1, b.s1, "adam m"));
        EXPECT_TRUE(same(a.s0, b.s0, "adam v"));
        EXPECT_TRUE(same(a.s2, b.s2, "adam vmax"));
      }
  // RMSprop
  for (bool centered : {false, true})
    for (double momentum : {0.0, 0.9})
      for (bool maximize : {false, true}) {
        RMSpropCoeffs c{1e-2, 0.99, 1e-8, 0.05, momentum, centered, maximize};
        Buffers<T> a(n, seed), b(n, seed);
        rmsprop_simd(a.p.data(), a.g.data(), a.s0.data(), centered ? a.s1.data() : nullptr,
                     momentum > 0 ? a.s2.data() : nullptr, n, c);
        rmsprop_ref(b.p.data(), b.g.data(), b.s0.data(), centered ? b.s1.data() : nullptr,
                    momentum > 0 ? b.s2.data() : nullptr, n, c);
        EXPECT_TRUE(same(a.p, b.p, "rmsprop p"));
        EXPECT_TRUE(same(a.s0, b.s0, "rmsprop square_avg"));
        EXPECT_TRUE(same(a.s1, b.s1, "rmsprop grad_avg"));
        EXPECT_TRUE(same(a.s2, b.s2, "rmsprop momentum_buffer"));
      }
  // Adagrad
  for (bool maximize : {false, true}) {
    AdagradCoeffs c{0.1, 0.01, 0.1, 1e-10, maximize, 4};
    Buffers<T> a(n, seed), b(n, seed);
    adagrad_simd(a.p.data(), a.g.data(), a.s0.data(), n, c);
    adagrad_ref(b.p.data(), b.g.data(), b.s0.data(), n, c);
    EXPECT_TRUE(same(a.p, b.p, "adagrad p"));
    EXPECT_TRUE(same(a.s0, b.s0, "adagrad sum"));
  }
}

TEST(FusedKernels, SimdMatchesReference) {
  for (int64_t n : {1, 7, 16, 33, 1000, 1027}) {
    check_all<float>(n, 7 + static_cast<uint32_t>(n));
    check_all<double>(n, 9 + static_cast<uint32_t>(n));
  }
}

// The parallel driver splits long arrays across threads; chunk boundaries must not change a value.
TEST(FusedKernels, ParallelUpdateMatchesReference) {
  const int64_t n = 3 * kOptimGrain + 123;
  {
    AdamCoeffs c{1e-3, 0.9, 0.999, 1e-8, 0.0, true, false, true, 10};
    Buffers<float> a(n, 1), b(n, 1);
    adam_update(a.p.data(), a.g.data(), a.s1.data(), a.s0.data(), a.s2.data(), n, c);
    adam_ref(b.p.data(), b.g.data(), b.s1.data(), b.s0.data(), b.s2.data(), n, c);
    EXPECT_TRUE(same(a.p, b.p, "adam p"));
    EXPECT_TRUE(same(a.s2, b.s2, "adam vmax"));
  }
  {
    SGDCoeffs c{0.1, 0.9, 0.0, 1e-4, true, false, false};
    Buffers<double> a(n, 2), b(n, 2);
    sgd_update(a.p.data(), a.g.data(), a.s1.data(), n, c);
    sgd_ref(b.p.data(), b.g.data(), b.s1.data(), n, c);
    EXPECT_TRUE(same(a.p, b.p, "sgd p"));
  }
  {
    RMSpropCoeffs c{1e-2, 0.9, 1e-8, 0.0, 0.5, true, false};
    Buffers<float> a(n, 3), b(n, 3);
    rmsprop_update(a.p.data(), a.g.data(), a.s0.data(), a.s1.data(), a.s2.data(), n, c);
    rmsprop_ref(b.p.data(), b.g.data(), b.s0.data(), b.s1.data(), b.s2.data(), n, c);
    EXPECT_TRUE(same(a.p, b.p, "rmsprop p"));
  }
  {
    AdagradCoeffs c{0.1, 0.0, 0.0, 1e-10, false, 1};
    Buffers<float> a(n, 4), b(n, 4);
    adagrad_update(a.p.data(), a.g.data(), a.s0.data(), n, c);
    adagrad_ref(b.p.data(), b.g.data(), b.s0.data(), n, c);
    EXPECT_TRUE(same(a.p, b.p, "adagrad p"));
  }
}

// NaN handling of amsgrad's running max follows torch.maximum (NaN propagates) in both paths.
TEST(FusedKernels, AmsgradMaxPropagatesNaN) {
  const int64_t n = 40;
  AdamCoeffs c{1e-3, 0.9, 0.999, 1e-8, 0.0, true, false, false, 1};
  Buffers<float> a(n, 5), b(n, 5);
  a.g[3] = b.g[3] = NAN;     // v becomes NaN here (SIMD body)
  a.s2[5] = b.s2[5] = NAN;   // vmax is NaN here
  a.g[38] = b.g[38] = NAN;   // scalar tail
  adam_simd(a.p.data(), a.g.data(), a.s1.data(), a.s0.data(), a.s2.data(), n, c);
  adam_ref(b.p.data(), b.g.data(), b.s1.data(), b.s0.data(), b.s2.data(), n, c);
  EXPECT_TRUE(std::isnan(a.s2[3]));
  EXPECT_TRUE(std::isnan(a.s2[5]));
  EXPECT_TRUE(std::isnan(a.s2[38]));
  EXPECT_TRUE(same(a.s2, b.s2, "vmax"));
  EXPECT_TRUE(same(a.p, b.p, "p"));
}

}  // namespace
