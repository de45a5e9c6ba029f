// Graph IR: builder, verifier errors, shape inference (static and symbolic), printer.
#include <gtest/gtest.h>

#include "ops/registry.h"
#include "test_util.h"
#include "sinter/graph.h"
#include "sinter/sinter.h"

using namespace sinter;
using sinter::testing::contains;
using sinter::testing::expect_throws;
using graph::Dim;
using graph::Graph;


TEST(GraphIR, BuildAndInferStatic) {
  Graph g("mlp");
  auto* x = g.add_input("x", kFloat, {2, 4});
  g.add_initializer("w", randn({3, 4}));
  g.add_initializer("b", randn({3}));
  auto* h = g.add_node("linear", {x, "w", "b"}, {}, {"h"})->output();
  auto* y = g.add_node("softmax", {h}, {int64_t(1)}, {"y"})->output();
  g.set_outputs({y});
  g.verify();
  g.infer_shapes();
  ASSERT_TRUE(y->shape.has_value());
  EXPECT_EQ(graph::shape_string(*y->shape), "[2, 3]");
  EXPECT_EQ(y->dtype, kFloat);
  EXPECT_EQ(h->uses.size(), 1u);
  EXPECT_EQ(h->uses[0].node, y->producer);
  EXPECT_EQ(x->uses.size(), 1u);
}

TEST(GraphIR, SymbolicBatchInference) {
  Graph g("net");
  auto* x = g.add_input("x", kFloat, {"N", 3, 8, 8});
  g.add_initializer("w", randn({4, 3, 3, 3}));
  auto* c = g.add_node("conv2d", {x, "w", ""}, {DimVector{1, 1}, DimVector{1, 1}}, {"c"})->output();
  auto* p = g.add_node("max_pool2d", {c}, {DimVector{2, 2}}, {"p"})->output();
  auto* f = g.add_node("view", {p}, {DimVector{-1, 64}}, {"f"})->output();
  auto* s = g.add_node("sum", {f}, {}, {"s"})->output();
  g.set_outputs({f, s});
  g.infer_shapes();
  EXPECT_EQ(graph::shape_string(*c->shape), "[N, 4, 8, 8]");
  EXPECT_EQ(graph::shape_string(*p->shape), "[N, 4, 4, 4]");
  EXPECT_EQ(graph::shape_string(*f->shape), "[N, 64]");
  EXPECT_EQ(graph::shape_string(*s->shape), "[]");
  // A dim that is a product of a symbol and a size is unknown.
  Graph g2("flat");
  auto* x2 = g2.add_input("x", kFloat, {"N", 3});
  auto* v2 = g2.add_node("view", {x2}, {DimVector{-1}}, {"v"})->output();
  g2.set_outputs({v2});
  g2.infer_shapes();
  EXPECT_EQ(graph::shape_string(*v2->shape), "[?]");
}

TEST(GraphIR, Printer) {
  Graph g("mlp");
  auto* x = g.add_input("x", kFloat, {"N", 4});
  g.add_initializer("w", zeros({3, 4}));
  auto* h = g.add_node("linear", {x, "w", nullptr}, {}, {"h"})->output();
  auto* y = g.add_node("softmax", {h}, {int64_t(1)}, {"y"})->output();
  auto* z = g.add_node("add", {y, y}, {Scalar(0.5)}, {"z"})->output();
  g.set_outputs({z});
  g.infer_shapes();
  EXPECT_EQ(g.str(),
            "graph mlp(%x: f32[N, 4]) {\n"
            "  %w: f32[3, 4] = constant\n"
            "  %h: f32[N, 3] = linear(%x, %w, None)\n"
            "  %y: f32[N, 3] = softmax(%h) {dim=1}\n"
            "  %z: f32[N, 3] = add(%y, %y) {alpha=0.5}\n"
            "  return %z\n"
            "}\n");
}

TEST(GraphIR, DefaultNamesAndMultiOutput) {
  Graph g("bn");
  auto* x = g.add_input("x", kFloat, {2, 3, 4, 4});
  for (const char* n : {"w", "b", "m", "v"}) g.add_initializer(n, ones({3}));
  auto* bn = g.add_node("batch_norm", {x, "w", "b", "m", "v"}, {false, 0.1, 1e-5});
  EXPECT_EQ(bn->outputs.size(), 3u);
  EXPECT_EQ(bn->name, "batch_norm_0");
  EXPECT_EQ(bn->output(1)->name, "batch_norm_0.1");
  auto* one = g.add_node("batch_norm", {x, "w", "b", "m", "v"}, {false, 0.1, 1e-5}, 1, "bn1");
  EXPECT_EQ(one->outputs.size(), 1u);
  EXPECT_EQ(one->output()->name, "bn1");
  g.set_outputs({one->output()});
  g.infer_shapes();
  EXPECT_EQ(graph::shape_string(*one->output()->shape), "[2, 3, 4, 4]");
  auto c = g.clone();
  EXPECT_EQ(c->str(), g.str());
  EXPECT_NE(c->value("bn1"), g.value("bn1"));
}

TEST(GraphIR, MalformedGraphsThrowTypedErrors) {
  {  // a dangling value name
    Graph g("g");
    auto* x = g.add_input("x", kFloat, {2});
    auto* y = g.add_node("add", {x, "nope"}, {}, {"y"})->output();
    g.set_outputs({y});
    auto m = expect_throws<ValueError>([&] { g.verify(); });
    EXPECT_TRUE(contains(m, "'nope'")) << m;
    EXPECT_TRUE(contains(m, "add")) << m;
  }
  {  // a cycle (built with forward references)
    Graph g("g");
    auto* x = g.add_input("x", kFloat, {2});
    g.add_node("add", {x, "b"}, {}, {"a"}, "node_a");
    g.add_node("relu", {"a"}, {}, {"b"}, "node_b");
    g.set_outputs({"b"});
    auto m = expect_throws<ValueError>([&] { g.verify(); });
    EXPECT_TRUE(contains(m, "cycle")) << m;
    EXPECT_TRUE(contains(m, "node_a")) << m;
  }
  {  // wrong input count for an op
    Graph g("g");
    auto* x = g.add_input("x", kFloat, {2});
    g.set_outputs({g.add_node("relu", {x, x}, {}, {"y"}, "r")->output()});
    auto m = expect_throws<ValueError>([&] { g.verify(); });
    EXPECT_TRUE(contains(m, "'r' (relu)")) << m;
    EXPECT_TRUE(contains(m, "expected 1 inputs")) << m;
  }
  {  // too many attributes
    Graph g("g");
    auto* x = g.add_input("x", kFloat, {2});
    g.set_outputs({g.add_node("relu", {x}, {int64_t(1)}, {"y"}, "r")->output()});
    auto m = expect_throws<ValueError>([&] { g.verify(); });
    EXPECT_TRUE(contains(m, "attributes")) << m;
  }
  {  // an out-of-range attribute: meta's error, naming the node
    Graph g("g");
    auto* x = g.add_input("x", kFloat, {2, 3});
    g.set_outputs({g.add_node("softmax", {x}, {int64_t(5)}, {"y"}, "sm")->output()});
    g.verify();
    auto m = expect_throws<IndexError>([&] { g.infer_shapes(); });
    EXPECT_TRUE(contains(m, "node 'sm' (softmax)")) << m;
  }
  {  // shapes that do not fit: ShapeError naming node, op and shapes
    Graph g("g");
    auto* x = g.add_input("x", kFloat, {"N", 5});
    g.add_initializer("w", zeros({3, 4}));
    g.set_outputs({g.add_node("linear", {x, "w", ""}, {}, {"y"}, "fc")->output()});
    auto m = expect_throws<ShapeError>([&] { g.infer_shapes(); });
    EXPECT_TRUE(contains(m, "node 'fc' (linear)")) << m;
  }
  {  // an undefined graph output, duplicate names, unknown op
    Graph g("g");
    auto* x = g.add_input("x", kFloat, {2});
    g.set_outputs({"ghost"});
    expect_throws<ValueError>([&] { g.verify(); });
    expect_throws<ValueError>([&] { g.add_input("x", kFloat, {2}); });
    expect_throws<ValueError>([&] { g.add_node("relu", {x}, {}, {"x"}); });
    expect_throws<ValueError>([&] { g.add_node("no_such_op", {x}); });
  }
}

TEST(GraphIR, DataDependentShapes) {
  // nonzero's output length depends on the input's values: inference knows dtype and rank only.
  Graph g("nz");
  auto* x = g.add_input("x", kFloat, {"N", 2});
  auto* nz = g.add_node("nonzero", {x}, {}, {"nz"})->output();
  auto* s = g.add_node("sum", {nz}, {}, {"s"})->output();
  g.set_outputs({s});
  g.infer_shapes();
  EXPECT_EQ(nz->type_str(), "i64[?, ?]");
  EXPECT_FALSE(s->shape.has_value());  // downstream of an unknown shape: unknown
}

TEST(GraphIR, SymbolThatMustMatchAStaticSize) {
  // N + a constant with 2 rows is valid only for N in {1, 2}: inference cannot tell, and
  // leaves the result unknown rather than rejecting the graph.
  Graph g("g");
  auto* x = g.add_input("x", kFloat, {"N", 3});
  g.add_initializer("c", zeros({2, 3}));
  auto* y = g.add_node("add", {x, "c"}, {}, {"y"})->output();
  g.set_outputs({y});
  g.infer_shapes();
  EXPECT_FALSE(y->shape.has_value());
  // A mismatch in a static dim is an error whatever N is.
  Graph h("h");
  auto* x2 = h.add_input("x", kFloat, {"N", 3});
  h.add_initializer("c", zeros({2, 4}));
  h.set_outputs({h.add_node("add", {x2, "c"}, {}, {"y"})->output()});
  auto m = expect_throws<ShapeError>([&] { h.infer_shapes(); });
  EXPECT_TRUE(contains(m, "(add)")) << m;
}

TEST(GraphIR, InferNodeAsNodesAreAdded) {
  Graph g("inc");
  auto* x = g.add_input("x", kFloat, {"B", 3, 8, 8});
  g.add_initializer("w", randn({5, 3, 3, 3}));
  auto* c = g.add_node("conv2d", {x, "w", ""}, {DimVector{2, 2}}, {"c"});
  g.infer_node(c);
  EXPECT_EQ(c->output()->type_str(), "f32[B, 5, 3, 3]");
  auto* a = g.add_node("argmax", {c->output()}, {int64_t(1)}, {"a"});
  g.infer_node(a);
  EXPECT_EQ(a->output()->type_str(), "i64[B, 3, 3]");
  auto* bad = g.add_node("mm", {a->output(), a->output()}, {}, {"m"}, "mm_node");
  auto m = expect_throws<ShapeError>([&] { g.infer_node(bad); });
  EXPECT_TRUE(contains(m, "'mm_node' (mm)")) << m;
  auto* fwd = g.add_node("relu", {"later"}, {}, {"r"});
  expect_throws<ValueError>([&] { g.infer_node(fwd); });
}

TEST(GraphIR, SubgraphsCaptureOuterValues) {
  Graph g("outer");
  auto* c = g.add_input("cond", kBool, {});
  auto* x = g.add_input("x", kFloat, {2});
  auto then_g = std::make_shared<Graph>("then");
  then_g->set_outputs({then_g->add_node("relu", {"x"}, {}, {"t"})->output()});  // x from the outer graph
  auto else_g = std::make_shared<Graph>("else");
  else_g->set_outputs({else_g->add_node("neg", {"x"}, {}, {"e"})->output()});
  auto* n = g.add_control_node("If", {c, x}, {}, {"y"}, {then_g, else_g}, "if0");
  g.set_outputs({n->output()});
  g.verify();
  g.infer_shapes();
  EXPECT_FALSE(n->output()->shape.has_value());  // control flow: unknown until run
  EXPECT_TRUE(contains(g.str(), "%y: f32[?] = If(%cond, %x)")) << g.str();
  EXPECT_TRUE(contains(g.str(), "    graph then() {\n      %t: f32[?] = relu(%x)\n      return %t\n    }\n")) << g.str();
  // A name defined nowhere is still an error, reported from inside the body.
  auto bad = std::make_shared<Graph>("body");
  bad->set_outputs({bad->add_node("relu", {"nowhere"}, {}, {"b"})->output()});
  g.add_control_node("If", {c}, {}, {"z"}, {bad}, "if1");
  auto m = expect_throws<ValueError>([&] { g.verify(); });
  EXPECT_TRUE(contains(m, "'nowhere'")) << m;
}
