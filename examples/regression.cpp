// Fits y = 0.5 x^3 - 2 x + 1 (plus noise) with a cubic model trained by gradient descent:
// eager tensors, autograd, no_grad parameter updates — the loop a PyTorch user writes.
#include <cstdio>

#include "sinter/sinter.h"

int main() {
  using namespace sinter;
  manual_seed(0);
  Tensor x = rand({256, 1}) * 4 - 2;  // (256, 1) in [-2, 2)
  Tensor y = x * x * x * 0.5 - x * 2 + 1 + randn({256, 1}) * 0.05;

  Tensor w = zeros({4}, requires_grad());  // coefficients of 1, x, x^2, x^3
  const double lr = 0.05;
  std::printf("fitting y = 0.5 x^3 - 2 x + 1 with gradient descent\n");
  for (int step = 0; step <= 400; ++step) {
    Tensor pred = w[0] + w[1] * x + w[2] * x * x + w[3] * x * x * x;
    Tensor loss = ((pred - y) * (pred - y)).sum() / x.size(0);
    loss.backward();
    {
      NoGradGuard no_grad;
      w.sub_(w.grad() * lr);
      w.mutable_grad().zero_();
    }
    if (step % 50 == 0) std::printf("step %3d  loss %.6f\n", step, loss.item<double>());
  }
  std::printf("learned coefficients (1, x, x^2, x^3): %s\n", w.detach().toString().c_str());
  return 0;
}
