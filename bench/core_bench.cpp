// sinter's core benchmarks; each figure is printed beside an anchor measured in the same run
// by bench/run.py (PyTorch, LibTorch, the machine's FMA peak and a STREAM-style triad).
#include <immintrin.h>
#include <omp.h>

#include <cstring>
#include <vector>

#include "bench_util.h"
#include "sinter/sinter.h"

using namespace sinter;

namespace {

// The machine's fp32 FMA peak: independent FMA chains in registers, on every thread.
__attribute__((target("avx2,fma"))) double fma_peak_gflops() {
  const long iters = 20'000'000;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double t0 = omp_get_wtime();
    float sink = 0;
#pragma omp parallel reduction(+ : sink)
    {
      __m256 a0 = _mm256_set1_ps(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
      const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
      for (long i = 0; i < iters; ++i) {
        a0 = _mm256_fmadd_ps(a0, m, c); a1 = _mm256_fmadd_ps(a1, m, c); a2 = _mm256_fmadd_ps(a2, m, c);
        a3 = _mm256_fmadd_ps(a3, m, c); a4 = _mm256_fmadd_ps(a4, m, c); a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c); a7 = _mm256_fmadd_ps(a7, m, c); a8 = _mm256_fmadd_ps(a8, m, c);
        a9 = _mm256_fmadd_ps(a9, m, c);
      }
      __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                               _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(_mm256_add_ps(a6, a7), _mm256_add_ps(a8, a9))));
      float out[8];
      _mm256_storeu_ps(out, s);
      sink += out[0];
    }
    double t = omp_get_wtime() - t0;
    double flops = 2.0 * 8 * 10 * static_cast<double>(iters) * omp_get_max_threads();
    best = std::max(best, flops / t / 1e9);
    if (sink == 12345.f) std::printf(" ");
  }
  return best;
}

// STREAM triad a = b + s * c over n floats, GB/s counting 3 streams.
double triad_gbs(int64_t n) {
  std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
  const float s = 3.0f;
  double t = bench::median_seconds([&] {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
  }, 3, 7);
  return 3.0 * 4 * n / t / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  manual_seed(0);
  bench::report("threads", get_num_threads(), "");
  bench::report("fma_peak", fma_peak_gflops(), "GFLOP/s");

  {  // eager overhead: 16-element add
    Tensor a = randn({16}), b = randn({16});
    Tensor c;
    double t = bench::median_seconds([&] { c = a + b; }, 200000, 7);
    bench::report("eager_add16", t * 1e6, "us");
  }
  {  // autograd: 1000-op chain forward + backward, per op
    Tensor x = randn({16}).requires_grad_();
    double t = bench::median_seconds([&] {
      Tensor y = x;
      for (int i = 0; i < 500; ++i) {
        y = y * 1.0001;
        y = y + 0.5;
      }
      y.sum().backward();
    }, 20, 7);
    bench::report("autograd_per_op", t / 1000 * 1e6, "us");
  }
  const int64_t n = 16 * 1024 * 1024;
  {
    Tensor a = randn({n}), b = randn({n});
    Tensor c = a + b;
    double t = bench::median_seconds([&] { c = a + b; }, 5, 7);
    bench::report("add_16M", 3.0 * 4 * n / t / 1e9, "GB/s");
    double ts = bench::median_seconds([&] { c = a.sum(); }, 5, 7);
    bench::report("sum_16M", 4.0 * n / ts / 1e9, "GB/s");
    bench::report("triad_16M", triad_gbs(n), "GB/s");
  }
  {
    Tensor x = randn({32, 1000});
    Tensor y;
    double t = bench::median_seconds([&] { y = softmax(x, 1); }, 200, 7);
    bench::report("softmax_32x1000", t * 1e6, "us");
  }
  for (int64_t N : {256, 1024, 2048}) {
    if (quick && N > 1024) break;
    Tensor a = randn({N, N}), b = randn({N, N});
    Tensor c;
    int inner = N <= 256 ? 50 : N <= 1024 ? 5 : 2;
    double t = bench::median_seconds([&] { c = matmul(a, b); }, inner, 5);
    bench::report("matmul_" + std::to_string(N), 2.0 * N * N * N / t / 1e9, "GFLOP/s");
  }
  {
    const int64_t B = quick ? 8 : 32;
    Tensor x = randn({B, 64, 56, 56}), w = randn({64, 64, 3, 3}) * 0.05;
    double flops = 2.0 * B * 64 * 64 * 9 * 56 * 56;
    Tensor y;
    double t = bench::median_seconds([&] { y = conv2d(x, w, {}, 1, 1); }, 1, 5);
    bench::report("conv2d_fwd", flops / t / 1e9, "GFLOP/s");
    Tensor xg = x.detach().requires_grad_(), wg = w.detach().requires_grad_();
    Tensor go = randn({B, 64, 56, 56});
    double tb = bench::median_seconds([&] {
      Tensor out = conv2d(xg, wg, {}, 1, 1);
      autograd::grad({out}, {xg, wg}, {go});
    }, 1, 5);
    bench::report("conv2d_fwd_bwd", 3 * flops / tb / 1e9, "GFLOP/s");
  }
  return 0;
}
