// A user's program built against an installed sinter: eager autograd, and a graph built with
// the public graph API (attributes included) run by a Session.
#include <sinter/graph.h>
#include <sinter/sinter.h>

#include <cmath>
#include <iostream>

int main() {
  sinter::Tensor x = sinter::ones({2, 2}, sinter::requires_grad());
  sinter::Tensor y = (x * x).sum();
  y.backward();
  std::cout << x.grad() << "\n";
  if (x.grad().sum().item<double>() != 8.0) return 1;

  sinter::graph::Graph g("consumer");
  g.add_input("x", sinter::kFloat, {"N", 4});
  g.add_initializer("w", sinter::ones({3, 4}));
  g.add_node("linear", {"x", "w", ""}, {}, 1, "h");
  g.add_node("softmax", {"h"}, sinter::ops::Attrs{int64_t{1}}, 1, "p");
  g.set_outputs({"p"});
  sinter::graph::Session session(g);
  sinter::Tensor p = session.run({sinter::ones({5, 4})})[0];
  std::cout << g;
  return p.sizes() == sinter::IntArrayRef({5, 3}) && std::abs(p.sum().item<double>() - 5.0) < 1e-5 ? 0 : 1;
}
