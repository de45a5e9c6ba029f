// One LibTorch-shaped source, compiled twice: against Debian's libtorch (SINTER_BENCH_LIBTORCH)
// and against sinter through <sinter/torch.h>. Identical code, two frameworks.
#ifdef SINTER_BENCH_LIBTORCH
#include <torch/torch.h>
#define FRAMEWORK "libtorch"
#else
#include <sinter/torch.h>
#define FRAMEWORK "sinter"
#endif

#include <string>

#include "bench_util.h"

int main() {
  torch::manual_seed(0);
  {
    torch::Tensor a = torch::randn({16}), b = torch::randn({16});
    torch::Tensor c;
    double t = bench::median_seconds([&] { c = a + b; }, 200000, 7);
    bench::report("eager_add16", t * 1e6, "us");
  }
  {
    torch::Tensor x = torch::randn({16}, torch::requires_grad());
    double t = bench::median_seconds([&] {
      torch::Tensor y = x;
      for (int i = 0; i < 500; ++i) {
        y = y * 1.0001;
        y = y + 0.5;
      }
      y.sum().backward();
    }, 20, 7);
    bench::report("autograd_per_op", t / 1000 * 1e6, "us");
  }
  {
    torch::Tensor x = torch::randn({32, 1000});
    torch::Tensor y;
    double t = bench::median_seconds([&] { y = torch::softmax(x, 1); }, 200, 7);
    bench::report("softmax_32x1000", t * 1e6, "us");
  }
  {
    torch::Tensor a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
    torch::Tensor c;
    double t = bench::median_seconds([&] { c = torch::matmul(a, b); }, 5, 5);
    bench::report("matmul_1024", 2.0 * 1024 * 1024 * 1024 / t / 1e9, "GFLOP/s");
  }
  return 0;
}
