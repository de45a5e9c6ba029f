// A user's program built against an installed sinter.
#include <sinter/sinter.h>

#include <iostream>

int main() {
  sinter::Tensor x = sinter::ones({2, 2}, sinter::requires_grad());
  sinter::Tensor y = (x * x).sum();
  y.backward();
  std::cout << x.grad() << "\n";
  return x.grad().sum().item<double>() == 8.0 ? 0 : 1;
}
