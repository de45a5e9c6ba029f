// Inference fusion: a fused graph computes what the unfused one does, with the rewrites expected.
#include <gtest/gtest.h>

#include <map>

#include "sinter/graph.h"
#include "sinter/graph/fuse.h"
#include "sinter/sinter.h"

using namespace sinter;
using graph::Graph;
using graph::Session;

namespace {

double rel_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e30;
  double scale = b.to(kDouble).abs().max().item<double>();
  return (a.to(kDouble) - b.to(kDouble)).abs().max().item<double>() / (scale > 0 ? scale : 1);
}

std::map<std::string, int> histogram(const Graph& g) {
  std::map<std::string, int> h;
  for (auto* n : g.nodes()) ++h[n->kind];
  return h;
}

// conv -> bn -> relu -> conv -> bn (no affine weight) -> add(first relu) -> relu, 16 channels
// so that oneDNN runs blocked layouts, and a second output reading the first relu.
std::unique_ptr<Graph> conv_bn_graph() {
  auto g = std::make_unique<Graph>("conv_bn");
  auto* x = g->add_input("x", kFloat, {"N", 3, 10, 10});
  g->add_initializer("w1", randn({16, 3, 3, 3}));
  g->add_initializer("b1", randn({16}));
  g->add_initializer("w2", randn({16, 16, 3, 3}) * 0.2);
  g->add_initializer("bn1.gamma", rand({16}) + 0.5);
  g->add_initializer("bn1.beta", randn({16}) * 0.2);
  for (const char* bn : {"bn1", "bn2"}) {
    std::string s(bn);
    g->add_initializer(s + ".mean", randn({16}) * 0.5);
    g->add_initializer(s + ".var", rand({16}) + 0.5);
  }
  ops::Attrs conv_attrs{DimVector{1}, DimVector{1}, DimVector{1}, int64_t(1)};
  ops::Attrs bn_attrs{false, 0.1, 1e-5};
  auto* c1 = g->add_node("conv2d", {x, "w1", "b1"}, conv_attrs, {"c1"})->output();
  auto* n1 = g->add_node("batch_norm", {c1, "bn1.gamma", "bn1.beta", "bn1.mean", "bn1.var"}, bn_attrs,
                         {"n1", "n1.mean", "n1.invstd"})->output();
  auto* r1 = g->add_node("relu", {n1}, {}, {"r1"})->output();
  auto* c2 = g->add_node("conv2d", {r1, "w2", nullptr}, conv_attrs, {"c2"})->output();
  auto* n2 = g->add_node("batch_norm", {c2, nullptr, nullptr, "bn2.mean", "bn2.var"}, bn_attrs,
                         {"n2", "n2.mean", "n2.invstd"})->output();
  auto* s = g->add_node("add", {n2, r1}, {}, {"s"})->output();
  auto* y = g->add_node("relu", {s}, {}, {"y"})->output();
  auto* p = g->add_node("clamp", {r1}, {Scalar(0.0), Scalar(6.0)}, {"p"})->output();
  g->set_outputs({y, p});
  g->verify();
  g->infer_shapes();
  return g;
}

}  // namespace

TEST(Fuse, ConvBatchNormReluResidual) {
  manual_seed(3);
  auto g = conv_bn_graph();
  auto fused = g->clone();
  // 2 batch norms folded; conv1 + relu; conv2 + add + relu. (r1 has three uses, so conv1's relu
  // ends the first chain; the clamp reading r1 stays.)
  EXPECT_EQ(graph::fuse_for_inference(*fused), 4u);
  fused->verify();
  fused->infer_shapes();
  auto h = histogram(*fused);
  EXPECT_EQ(h["conv2d_fused"], 2);
  EXPECT_EQ(h["batch_norm"], 0);
  EXPECT_EQ(h["add"], 0);
  EXPECT_EQ(h["relu"], 0);
  EXPECT_EQ(h["clamp"], 1);
  EXPECT_EQ(fused->outputs()[0]->name, "y");
  EXPECT_EQ(fused->outputs()[1]->name, "p");
  EXPECT_EQ(fused->initializers().size(), 4u) << *fused;  // the folded weights and biases, nothing stale
  Session plain(*g, {.fuse = false}), fast(*fused);
  EXPECT_EQ(Session(*g).stats().fused, 4u);  // the Session fuses by default
  for (int64_t n : {1, 3}) {
    Tensor x = randn({n, 3, 10, 10});
    auto a = plain.run({x});
    auto b = fast.run({x});
    ASSERT_EQ(b.size(), 2u);
    EXPECT_LT(rel_diff(b[0], a[0]), 1e-5) << "batch " << n;
    EXPECT_LT(rel_diff(b[1], a[1]), 1e-5) << "batch " << n;
  }
  // Nothing left to fuse.
  EXPECT_EQ(graph::fuse_for_inference(*fused), 0u);
}

TEST(Fuse, MatmulBiasActivationBecomesLinearFused) {
  manual_seed(4);
  Graph g("mlp");
  auto* x = g.add_input("x", kFloat, {"N", 7, 16});
  g.add_initializer("w1", randn({16, 32}));
  g.add_initializer("b1", randn({32}));
  g.add_initializer("w2", randn({24, 32}));
  g.add_initializer("b2", randn({24}));
  auto* m = g.add_node("matmul", {x, "w1"}, {}, {"m"})->output();
  auto* a = g.add_node("add", {"b1", m}, {}, {"a"})->output();
  auto* r = g.add_node("relu", {a}, {}, {"r"})->output();
  auto* l = g.add_node("linear", {r, "w2", "b2"}, {}, {"l"})->output();
  auto* y = g.add_node("hardtanh", {l}, {-1.0, 2.0}, {"y"})->output();
  g.set_outputs({y});
  g.infer_shapes();
  auto fused = g.clone();
  // matmul + add -> linear; then each linear takes its activation.
  EXPECT_EQ(graph::fuse_for_inference(*fused), 3u);
  fused->verify();
  auto h = histogram(*fused);
  EXPECT_EQ(h["linear_fused"], 2);
  EXPECT_EQ(fused->num_nodes(), 2u);
  Session plain(g, {.fuse = false}), fast(*fused);
  Tensor xin = randn({5, 7, 16});
  EXPECT_LT(rel_diff(fast.run({xin})[0], plain.run({xin})[0]), 1e-5);
}

TEST(Fuse, LeavesSharedAndTrainingValuesAlone) {
  Graph g("shared");
  auto* x = g.add_input("x", kFloat, {2, 3, 6, 6});
  g.add_initializer("w", randn({4, 3, 3, 3}));
  for (const char* s : {"g", "b", "m", "v"}) g.add_initializer(s, rand({4}) + 0.5);
  auto* c = g.add_node("conv2d", {x, "w", nullptr}, {}, {"c"})->output();
  // the conv output is also a graph output: the batch norm cannot be folded into it, and the
  // training-mode batch norm never is
  auto* n = g.add_node("batch_norm", {c, "g", "b", "m", "v"}, {true, 0.1, 1e-5}, {"n", "n.m", "n.v"})->output();
  auto* r = g.add_node("relu", {n}, {}, {"r"})->output();
  g.set_outputs({c, r});
  g.infer_shapes();
  // only the convolution itself becomes the inference op (with nothing absorbed)
  EXPECT_EQ(graph::fuse_for_inference(g), 1u);
  auto h = histogram(g);
  EXPECT_EQ(h["conv2d_fused"], 1);
  EXPECT_EQ(h["batch_norm"], 1);
  EXPECT_EQ(h["relu"], 1);
  EXPECT_EQ(g.outputs()[0]->name, "c");
}

// A clamp whose bound is computed at run time (an attribute input) is not absorbed: its
// attributes do not say what it does.
TEST(Fuse, KeepsActivationsWithRunTimeAttributes) {
  Graph g("runtime_bound");
  auto* x = g.add_input("x", kFloat, {1, 3, 6, 6});
  auto* hi = g.add_input("hi", kLong, {1});
  g.add_initializer("w", randn({4, 3, 3, 3}));
  auto* c = g.add_node("conv2d", {x, "w", nullptr}, {}, {"c"})->output();
  auto* n = g.add_node("clamp", {c}, {Scalar(0.0), std::monostate{}}, {"y"});
  g.bind_attr_input(n, 1, hi);
  g.set_outputs({n->output()});
  g.infer_shapes();
  auto fused = g.clone();
  EXPECT_EQ(graph::fuse_for_inference(*fused), 1u);  // the convolution alone
  auto h = histogram(*fused);
  EXPECT_EQ(h["clamp"], 1);
  EXPECT_EQ(h["conv2d_fused"], 1);
  fused->verify();
}
