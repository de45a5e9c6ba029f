// Session: results equal eager sinter, constant folding and DCE, the memory plan, symbolic
// batch sizes, concurrent runs, input errors.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "ops/registry.h"
#include "test_util.h"
#include "sinter/graph.h"
#include "sinter/sinter.h"

using namespace sinter;
using sinter::testing::contains;
using sinter::testing::expect_throws;
using graph::Graph;
using graph::Session;

namespace {

double max_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e30;
  if (a.numel() == 0) return 0;
  return (a.to(kDouble) - b.to(kDouble)).abs().max().item<double>();
}


struct Mlp {
  Tensor w1 = randn({16, 8}), b1 = randn({16}), w2 = randn({5, 16}), b2 = randn({5});
  std::unique_ptr<Graph> graph() const {
    auto g = std::make_unique<Graph>("mlp");
    auto* x = g->add_input("x", kFloat, {"N", 8});
    g->add_initializer("w1", w1);
    g->add_initializer("b1", b1);
    g->add_initializer("w2", w2);
    g->add_initializer("b2", b2);
    auto* h = g->add_node("linear", {x, "w1", "b1"}, {}, {"h"})->output();
    auto* r = g->add_node("relu", {h}, {}, {"r"})->output();
    auto* o = g->add_node("linear", {r, "w2", "b2"}, {}, {"o"})->output();
    auto* y = g->add_node("softmax", {o}, {int64_t(1)}, {"y"})->output();
    g->set_outputs({y});
    return g;
  }
  Tensor eager(const Tensor& x) const { return softmax(linear(relu(linear(x, w1, b1)), w2, b2), 1); }
};

struct ConvNet {
  Tensor cw = randn({4, 3, 3, 3}) * 0.3, cb = randn({4}), gamma = rand({4}) + 0.5, beta = randn({4}),
         mean = randn({4}) * 0.1, var = rand({4}) + 0.5, fw = randn({10, 64}) * 0.1, fb = randn({10});
  std::unique_ptr<Graph> graph() const {
    auto g = std::make_unique<Graph>("convnet");
    auto* x = g->add_input("x", kFloat, {"N", 3, 8, 8});
    for (auto& [n, t] : std::vector<std::pair<std::string, Tensor>>{
             {"cw", cw}, {"cb", cb}, {"gamma", gamma}, {"beta", beta}, {"mean", mean}, {"var", var}, {"fw", fw}, {"fb", fb}})
      g->add_initializer(n, t);
    auto* c = g->add_node("conv2d", {x, "cw", "cb"}, {DimVector{1, 1}, DimVector{1, 1}, DimVector{1, 1}, int64_t(1)},
                          {"c"})->output();
    auto* b = g->add_node("batch_norm", {c, "gamma", "beta", "mean", "var"}, {false, 0.1, 1e-5}, {"bn"})->output();
    auto* r = g->add_node("relu", {b}, {}, {"r"})->output();
    auto* p = g->add_node("max_pool2d", {r}, {DimVector{2, 2}, DimVector{2, 2}}, {"p"})->output();
    auto* f = g->add_node("view", {p}, {DimVector{-1, 64}}, {"flat"})->output();
    auto* y = g->add_node("linear", {f, "fw", "fb"}, {}, {"y"})->output();
    g->set_outputs({y});
    return g;
  }
  Tensor eager(const Tensor& x) const {
    Tensor c = conv2d(x, cw, cb, {1, 1}, IntArrayRef{1, 1});
    Tensor b = batch_norm(c, mean, var, gamma, beta, false, 0.1, 1e-5);
    return linear(flatten(max_pool2d(relu(b), {2, 2}, {2, 2}), 1), fw, fb);
  }
};

// Every pair of buffers live at the same time occupies disjoint bytes, inside the arena.
void check_plan(const graph::MemoryPlan& p) {
  for (size_t i = 0; i < p.buffers.size(); ++i) {
    const auto& a = p.buffers[i];
    EXPECT_EQ(a.offset % 64, 0);
    EXPECT_LE(a.offset + a.bytes, p.peak_bytes);
    for (size_t j = i + 1; j < p.buffers.size(); ++j) {
      const auto& b = p.buffers[j];
      bool live_together = a.first <= b.last && b.first <= a.last;
      bool disjoint = a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset;
      if (live_together && a.bytes > 0 && b.bytes > 0) {
        EXPECT_TRUE(disjoint) << a.values[0] << " [" << a.offset << ", +" << a.bytes << ") and " << b.values[0] << " ["
                              << b.offset << ", +" << b.bytes << ") are live together";
      }
    }
  }
}

}  // namespace

TEST(GraphSession, MlpMatchesEagerAtTwoBatchSizes) {
  manual_seed(1);
  Mlp m;
  Session s(*m.graph());
  EXPECT_EQ(s.cached_plans(), 0u);  // symbolic batch: planned per shape on first use
  for (int64_t n : {5, 3, 5}) {
    Tensor x = randn({n, 8});
    auto out = s.run({x});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_LE(max_diff(out[0], m.eager(x)), 1e-6) << "batch " << n;
  }
  EXPECT_EQ(s.cached_plans(), 2u);
  auto named = s.run_named({{"x", randn({2, 8})}});
  ASSERT_EQ(named.count("y"), 1u);
  EXPECT_EQ(named["y"].sizes(), IntArrayRef({2, 5}));
  check_plan(s.memory_plan({{5, 8}}));
}

TEST(GraphSession, ConvNetMatchesEager) {
  manual_seed(2);
  ConvNet net;
  auto g = net.graph();
  g->infer_shapes();
  EXPECT_EQ(graph::shape_string(*g->value("y")->shape), "[N, 10]");
  Session s(*g, {.fuse = false});  // the plan below is checked buffer by buffer
  for (int64_t n : {2, 3}) {
    Tensor x = randn({n, 3, 8, 8});
    auto out = s.run({x});
    EXPECT_LE(max_diff(out[0], net.eager(x)), 1e-6) << "batch " << n;
  }
  auto plan = s.memory_plan({{2, 3, 8, 8}});
  check_plan(plan);
  EXPECT_LT(plan.peak_bytes, plan.total_bytes);
  // The flattened view shares the pooled buffer.
  bool pooled_with_view = false;
  for (auto& b : plan.buffers)
    if (b.values[0] == "p") pooled_with_view = b.values.size() == 2 && b.values[1] == "flat";
  EXPECT_TRUE(pooled_with_view);
}

TEST(GraphSession, ConstantFoldingAndDeadCode) {
  manual_seed(3);
  Tensor w = randn({4, 6}), scale = randn({6, 4});
  Graph g("fold");
  auto* x = g.add_input("x", kFloat, {"N", 6});
  g.add_initializer("w", w);
  g.add_initializer("scale", scale);
  auto* wt = g.add_node("transpose", {"w"}, {int64_t(0), int64_t(1)}, {"wt"})->output();     // constant view
  auto* ws = g.add_node("mul", {wt, "scale"}, {}, {"ws"})->output();                         // constant
  auto* wr = g.add_node("transpose", {ws}, {int64_t(0), int64_t(1)}, {"wr"})->output();       // constant
  auto* y = g.add_node("linear", {x, wr, ""}, {}, {"y"})->output();                          // depends on x
  g.add_node("relu", {x}, {}, {"unused1"});                                                  // dead
  g.add_node("exp", {"unused1"}, {}, {"unused2"});                                           // dead
  g.add_initializer("orphan", randn({3}));                                                   // unused constant
  auto* z = g.add_node("relu", {y}, {}, {"z"})->output();
  g.set_outputs({z});
  EXPECT_EQ(g.num_nodes(), 7u);
  Session s(g, {.fuse = false});
  EXPECT_EQ(s.stats().nodes_before, 7u);
  EXPECT_EQ(s.stats().folded, 3u);
  EXPECT_EQ(s.stats().removed, 2u);
  EXPECT_EQ(s.graph().num_nodes(), 2u);
  EXPECT_EQ(s.stats().nodes_after, 2u);
  EXPECT_EQ(g.num_nodes(), 7u);  // the caller's graph is untouched
  ASSERT_NE(s.graph().find("wr"), nullptr);
  EXPECT_TRUE(s.graph().find("wr")->is_constant());
  EXPECT_EQ(s.graph().find("orphan"), nullptr);
  EXPECT_EQ(s.graph().find("unused1"), nullptr);
  EXPECT_LE(max_diff(s.graph().find("wr")->constant, (w.t() * scale).t()), 0.0);
  Tensor xi = randn({3, 6});
  EXPECT_LE(max_diff(s.run({xi})[0], relu(linear(xi, (w.t() * scale).t()))), 1e-6);
  // Without the passes the same graph runs unchanged and gives the same result.
  Session raw(g, {.fold_constants = false, .eliminate_dead_code = false, .fuse = false});
  EXPECT_EQ(raw.graph().num_nodes(), 7u);
  EXPECT_LE(max_diff(raw.run({xi})[0], s.run({xi})[0]), 1e-6);
}

TEST(GraphSession, PlannerReusesMemoryOnAChain) {
  Graph g("chain");
  auto* x = g.add_input("x", kFloat, {64, 64});
  graph::Value* v = x;
  const char* ops[] = {"relu", "exp", "neg", "sigmoid", "tanh", "abs", "relu", "exp"};
  for (int i = 0; i < 8; ++i) v = g.add_node(ops[i], {v}, {}, {std::string("v").append(std::to_string(i))})->output();
  g.set_outputs({v});
  Session s(g);
  EXPECT_EQ(s.cached_plans(), 1u);  // static shapes: planned at load
  auto p = s.memory_plan({{64, 64}});
  check_plan(p);
  ASSERT_EQ(p.buffers.size(), 7u);  // the last value is the output, allocated for the caller
  EXPECT_EQ(p.total_bytes, 7 * 64 * 64 * 4);
  EXPECT_EQ(p.peak_bytes, 2 * 64 * 64 * 4);  // a chain needs two buffers
  Tensor xi = randn({64, 64});
  Tensor e = exp(relu(abs(tanh(sigmoid(neg(exp(relu(xi))))))));
  EXPECT_LE(max_diff(s.run({xi})[0], e), 1e-6);
}

TEST(GraphSession, ViewsKeepTheirBaseAlive) {
  // a = relu(x); b = view(a) used last; the buffer of a must outlive c and d.
  Graph g("views");
  auto* x = g.add_input("x", kFloat, {8, 16});
  auto* a = g.add_node("relu", {x}, {}, {"a"})->output();
  auto* b = g.add_node("view", {a}, {DimVector{16, 8}}, {"b"})->output();
  auto* c = g.add_node("exp", {x}, {}, {"c"})->output();
  auto* d = g.add_node("neg", {c}, {}, {"d"})->output();
  auto* dv = g.add_node("view", {d}, {DimVector{16, 8}}, {"dv"})->output();
  auto* e = g.add_node("add", {dv, b}, {}, {"e"})->output();
  auto* t = g.add_node("transpose", {c}, {int64_t(0), int64_t(1)}, {"ct"})->output();  // view output
  g.set_outputs({e, t, x});
  Session s(g);
  auto p = s.memory_plan({{8, 16}});
  check_plan(p);
  int seen = 0;
  for (auto& buf : p.buffers) {
    if (buf.values[0] == "a") {
      ++seen;
      EXPECT_EQ(buf.last, 5) << "a is read through b by the add (step 5)";
    }
    if (buf.values[0] == "c") {
      ++seen;
      EXPECT_EQ(buf.last, 7) << "c is returned through a view: live to the end";
    }
  }
  EXPECT_EQ(seen, 2);
  Tensor xi = randn({8, 16});
  auto out = s.run({xi});
  Tensor ee = neg(exp(xi)).view({16, 8}) + relu(xi).view({16, 8});
  EXPECT_LE(max_diff(out[0], ee), 1e-6);
  EXPECT_LE(max_diff(out[1], exp(xi).t()), 1e-6);
  EXPECT_LE(max_diff(out[2], xi), 0.0);
  EXPECT_FALSE(out[2].is_same(xi));  // copied: the caller owns every output
  // Outputs survive later runs (none of them points into a pooled arena).
  Tensor keep = out[1].clone();
  s.run({randn({8, 16})});
  s.run({randn({8, 16})});
  EXPECT_LE(max_diff(out[1], keep), 0.0);
}

// Activations between convolutions are planned channels-last (no reorder around each oneDNN
// convolution); readers of any kind still see the right values, and a value read by a view
// stays plain.
TEST(GraphSession, ChannelsLastBetweenConvolutions) {
  manual_seed(12);
  Tensor w1 = randn({16, 3, 3, 3}) * 0.3, b1 = randn({16}), w2 = randn({16, 16, 3, 3}) * 0.1, b2 = randn({16}),
         w3 = randn({16, 1, 3, 3}) * 0.3, w4 = randn({8, 16, 1, 1}) * 0.3, fw = randn({5, 16}) * 0.3;
  Graph g("cl");
  auto* x = g.add_input("x", kFloat, {"N", 3, 12, 12});
  for (auto& [n, t] : std::vector<std::pair<std::string, Tensor>>{
           {"w1", w1}, {"b1", b1}, {"w2", w2}, {"b2", b2}, {"w3", w3}, {"w4", w4}, {"fw", fw}})
    g.add_initializer(n, t);
  const DimVector one{1, 1}, zero{0, 0};
  auto conv = [&](graph::Value* in, const char* w, const char* b, DimVector pad, int64_t groups, const char* name) {
    return g.add_node("conv2d", {in, w, b ? graph::ValueRef(b) : graph::ValueRef(nullptr)},
                      {one, pad, one, groups}, {name})->output();
  };
  auto* r1 = g.add_node("relu", {conv(x, "w1", "b1", one, 1, "c1")}, {}, {"r1"})->output();
  auto* p = g.add_node("max_pool2d", {r1}, {DimVector{3, 3}, DimVector{2, 2}, one}, {"p"})->output();
  auto* c2 = conv(p, "w2", "b2", one, 1, "c2");
  auto* r2 = g.add_node("relu", {g.add_node("add", {c2, p}, {}, {"s2"})->output()}, {}, {"r2"})->output();
  auto* c3 = conv(r2, "w3", nullptr, one, 16, "c3");
  auto* silu = g.add_node("mul", {c3, g.add_node("sigmoid", {c3}, {}, {"sg"})->output()}, {}, {"silu"})->output();
  auto* m = g.add_node("mean", {silu}, {DimVector{2, 3}, false}, {"m"})->output();
  auto* y = g.add_node("linear", {m, "fw", nullptr}, {}, {"y"})->output();
  auto* c4 = conv(r2, "w4", nullptr, zero, 1, "c4");
  auto* flat = g.add_node("view", {c4}, {DimVector{-1}}, {"flat"})->output();
  g.set_outputs({y, flat});

  auto eager = [&](const Tensor& xi) {
    Tensor e1 = relu(conv2d(xi, w1, b1, {1, 1}, IntArrayRef{1, 1}));
    Tensor ep = max_pool2d(e1, {3, 3}, {2, 2}, {1, 1});
    Tensor e2 = relu(conv2d(ep, w2, b2, {1, 1}, IntArrayRef{1, 1}) + ep);
    Tensor e3 = conv2d(e2, w3, Tensor(), {1, 1}, IntArrayRef{1, 1}, {1, 1}, 16);
    Tensor ey = linear((e3 * sigmoid(e3)).mean({2, 3}), fw);
    return std::vector<Tensor>{ey, conv2d(e2, w4).view({-1})};
  };
  graph::SessionOptions plain;
  plain.channels_last = false;
  Session s(g), sp(g, plain);
  for (int64_t n : {1, 3}) {
    Tensor xi = randn({n, 3, 12, 12});
    auto want = eager(xi);
    auto got = s.run({xi}), got_plain = sp.run({xi});
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_LE(max_diff(got[i], want[i]), 1e-4) << "output " << i << " batch " << n;
      EXPECT_LE(max_diff(got_plain[i], want[i]), 1e-4) << "output " << i << " batch " << n;
    }
    std::set<std::string> cl, cl_plain;
    for (auto& b : s.memory_plan({{n, 3, 12, 12}}).buffers)
      if (b.channels_last) cl.insert(b.values[0]);
    for (auto& b : sp.memory_plan({{n, 3, 12, 12}}).buffers) EXPECT_FALSE(b.channels_last) << b.values[0];
    // The convolutions' and the pool's outputs; not c4, which a view reads, nor the mean's.
    EXPECT_EQ(cl.size(), 4u);
    EXPECT_TRUE(cl.count("p")) << "the pool reads and writes channels-last";
    EXPECT_FALSE(cl.count("c4")) << "a view reads c4: it stays plain";
    EXPECT_FALSE(cl.count("m"));
  }
}

TEST(GraphSession, ConcurrentRuns) {
  manual_seed(4);
  // Each round has new weights, so the threads' first runs race to pack them (the packed
  // weights were once freed by one thread while another still read them).
  for (int round = 0; round < 20; ++round) {
    ConvNet net;
    Session s(*net.graph());
    EXPECT_GT(s.stats().fused, 0u);  // the fused convolution's cached weights are shared by the threads
    std::vector<Tensor> xs, want;
    for (int i = 0; i < 8; ++i) {
      xs.push_back(randn({1 + i % 3, 3, 8, 8}));
      want.push_back(net.eager(xs.back()));
    }
    std::atomic<int> bad{0};
    std::vector<std::thread> th;
    for (int t = 0; t < 8; ++t)
      th.emplace_back([&, t] {
        for (int k = 0; k < 12; ++k) {
          int i = (t + k) % 8;
          auto out = s.run({xs[i]});
          if (out[0].sizes() != want[i].sizes() || max_diff(out[0], want[i]) > 1e-5) {
            if (++bad == 1)
              std::fprintf(stderr, "round %d thread %d run %d: max diff %g\n", round, t, k, max_diff(out[0], want[i]));
          }
        }
      });
    for (auto& x : th) x.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_EQ(s.cached_plans(), 3u);
  }
}

TEST(GraphSession, InputErrors) {
  manual_seed(5);
  Mlp m;
  Session s(*m.graph());
  auto e1 = expect_throws<ShapeError>([&] { s.run({randn({2, 9})}); });
  EXPECT_TRUE(contains(e1, "'x'") && contains(e1, "[N, 8]") && contains(e1, "(2, 9)")) << e1;
  auto e2 = expect_throws<DTypeError>([&] { s.run({randn({2, 8}, kDouble)}); });
  EXPECT_TRUE(contains(e2, "'x'")) << e2;
  expect_throws<ValueError>([&] { s.run(std::vector<Tensor>{}); });
  expect_throws<ValueError>([&] { s.run_named({{"q", randn({2, 8})}}); });
  // A symbol bound by one input must agree with the other inputs.
  Graph g("two");
  auto* a = g.add_input("a", kFloat, {"N", 4});
  auto* b = g.add_input("b", kFloat, {"N", 4});
  g.set_outputs({g.add_node("add", {a, b}, {}, {"c"})->output()});
  Session s2(g);
  auto e3 = expect_throws<ShapeError>([&] { s2.run({randn({2, 4}), randn({3, 4})}); });
  EXPECT_TRUE(contains(e3, "'b'") && contains(e3, "N = 3") && contains(e3, "N = 2")) << e3;
  EXPECT_LE(max_diff(s2.run({ones({3, 4}), ones({3, 4})})[0], full({3, 4}, 2.0)), 0.0);
  // Non-contiguous inputs are accepted.
  Tensor nc = randn({8, 3}).t();
  EXPECT_LE(max_diff(s.run({nc.t().t().contiguous().t().t()})[0], m.eager(nc.t().t())), 1e-6);
  // An unknown control-flow kind: a typed error at load.
  Graph cf("cf");
  auto* c = cf.add_input("c", kBool, {});
  auto body = std::make_shared<Graph>("then");
  body->set_outputs({body->add_input("z", kFloat, {1})});
  cf.set_outputs({cf.add_control_node("Switch", {c}, {}, {"o"}, {body, body})->output()});
  expect_throws<NotImplementedError>([&] { Session bad(cf); });
}

TEST(GraphSession, ControlFlow) {
  // If: branches read the captured x (passed as their inputs) and give x + 1 or x * 2.
  Graph g("if");
  auto* c = g.add_input("c", kBool, {});
  c->shape.reset();  // any shape: the executor checks the condition
  auto* x = g.add_input("x", kFloat, {"N"});
  auto branch = [](const char* op, double v) {
    auto b = std::make_shared<Graph>(op);
    auto* bx = b->add_input("x", kFloat, {"N"});
    b->add_initializer("k", full({}, v));
    b->set_outputs({b->add_node(op, {bx, "k"}, {}, {"y"})->output()});
    return b;
  };
  auto* node = g.add_control_node("If", {c, x, x}, {int64_t(1)}, {"o"}, {branch("add", 1), branch("mul", 2)});
  g.set_outputs({node->output()});
  Session s(g);
  Tensor xv = tensor({1.f, 2.f, 3.f});
  EXPECT_LE(max_diff(s.run({full({}, true, TensorOptions(kBool)), xv})[0], xv + 1), 0.0);
  EXPECT_LE(max_diff(s.run({full({}, false, TensorOptions(kBool)), xv})[0], xv * 2), 0.0);
  auto e = expect_throws<ValueError>([&] { s.run({full({2}, true, TensorOptions(kBool)), xv}); });
  EXPECT_TRUE(contains(e, "(If)") && contains(e, "condition")) << e;
  // Loop: acc = acc * 2 + i for M iterations; the scan output collects acc per iteration.
  Graph l("loop");
  auto* m = l.add_input("M", kLong, {});
  auto* a0 = l.add_input("a0", kLong, {});
  auto body = std::make_shared<Graph>("body");
  auto* it = body->add_input("i", kLong, {});
  auto* cin = body->add_input("cond", kBool, {});
  auto* acc = body->add_input("acc", kLong, {});
  body->add_initializer("two", full({}, int64_t(2), TensorOptions(kLong)));
  auto* na = body->add_node("add", {body->add_node("mul", {acc, "two"})->output(), it}, {}, {"next"})->output();
  auto* nc = body->add_node("clone", {cin}, {}, {"cond_out"})->output();
  auto* sc = body->add_node("clone", {na}, {}, {"scan"})->output();
  body->set_outputs({nc, na, sc});
  auto* ln = l.add_control_node("Loop", {m, nullptr, a0}, {int64_t(1)}, {"final", "all"}, {body});
  l.set_outputs({ln->output(0), ln->output(1)});
  Session sl(l);
  auto out = sl.run({full({}, int64_t(4), TensorOptions(kLong)), full({}, int64_t(1), TensorOptions(kLong))});
  // 1 -> 2 -> 5 -> 12 -> 27
  EXPECT_EQ(out[0].item().to_long(), 27);
  EXPECT_LE(max_diff(out[1], tensor(std::vector<int64_t>{2, 5, 12, 27})), 0.0);
  auto zero = sl.run({full({}, int64_t(0), TensorOptions(kLong)), full({}, int64_t(7), TensorOptions(kLong))});
  EXPECT_EQ(zero[0].item().to_long(), 7);
  EXPECT_EQ(zero[1].numel(), 0);
}

TEST(GraphSession, DataDependentOps) {
  // Over a graph input the planner cannot size nonzero's output: the run allocates per node.
  Graph g("nz");
  auto* x = g.add_input("x", kFloat, {4});
  auto* nzx = g.add_node("nonzero", {x}, {}, {"nz"})->output();
  g.set_outputs({g.add_node("mul", {nzx, nzx}, {}, {"sq"})->output()});
  Session sg(g);
  for (auto v : {std::vector<float>{0, 2, 0, 3}, std::vector<float>{1, 1, 1, 0}, std::vector<float>{0, 0, 0, 0}}) {
    Tensor in = tensor(v);
    Tensor want = nonzero(in) * nonzero(in);
    auto got = sg.run({in});
    ASSERT_EQ(got[0].sizes(), want.sizes());
    EXPECT_LE(max_diff(got[0], want), 0.0);
  }
  // Over a constant it is folded at load.
  Graph c("nzc");
  auto* y = c.add_input("y", kLong, {"K", 1});
  c.add_initializer("mask", tensor({0.f, 2.f, 0.f, 3.f}));
  auto* nz = c.add_node("nonzero", {"mask"}, {}, {"nz"})->output();
  c.set_outputs({c.add_node("add", {nz, y}, {}, {"out"})->output()});
  Session s(c);
  EXPECT_EQ(s.stats().folded, 1u);
  auto out = s.run({full({2, 1}, int64_t(10), TensorOptions(kLong))});
  EXPECT_LE(max_diff(out[0], tensor({int64_t(11), int64_t(13)}).view({2, 1})), 0.0);
}

TEST(GraphSession, AttributeInputs) {
  // reshape(x, [N * 4]) with the target computed from x's shape: planned with static shapes,
  // the shape arithmetic done once per plan.
  Graph g("flat");
  auto* x = g.add_input("x", kFloat, {"N", 4});
  auto* shp = g.add_node("shape", {x}, {}, {"shp"})->output();
  auto* n = g.add_node("numel", {x}, {}, {"n"})->output();
  auto* one = g.add_node("unsqueeze", {n}, {int64_t(0)}, {"n1"})->output();
  auto* v = g.add_node("view", {x}, {}, {"flat"});
  g.bind_attr_input(v, 0, one);
  auto* r = g.add_node("view", {x}, {}, {"back"});
  g.bind_attr_input(r, 0, shp);
  g.set_outputs({v->output(), r->output()});
  g.infer_shapes();
  EXPECT_EQ(shape_string(*v->output()->shape), "[?]");  // N * 4 has no name
  EXPECT_EQ(shape_string(*r->output()->shape), "[N, 4]");
  EXPECT_NE(g.str().find("size=%n1"), std::string::npos) << g.str();
  Session s(g);
  for (int64_t N : {1, 3, 5}) {
    Tensor in = randn({N, 4});
    auto out = s.run({in});
    EXPECT_LE(max_diff(out[0], in.reshape({N * 4})), 0.0);
    EXPECT_LE(max_diff(out[1], in), 0.0);
    auto plan = s.memory_plan({{N, 4}});
    EXPECT_EQ(plan.buffers.size(), 0u);  // both outputs are owned copies; shape arithmetic is no buffer
  }
  // The target from a graph input: plans keyed by its value.
  Graph h("reshape_in");
  auto* d = h.add_input("d", kFloat, {2, 6});
  auto* t = h.add_input("t", kLong, {2});
  auto* rn = h.add_node("view", {d}, {}, {"y"});
  h.bind_attr_input(rn, 0, t);
  h.set_outputs({h.add_node("relu", {rn->output()}, {}, {"z"})->output()});
  h.infer_shapes();
  EXPECT_FALSE(rn->output()->shape.has_value());
  Session sh(h);
  Tensor data = randn({2, 6});
  for (auto target : {std::vector<int64_t>{3, 4}, std::vector<int64_t>{-1, 2}, std::vector<int64_t>{3, 4}}) {
    Tensor tt = tensor(target);
    auto out = sh.run({data, tt});
    EXPECT_LE(max_diff(out[0], relu(data.reshape(IntArrayRef(target)))), 0.0);
  }
  EXPECT_EQ(sh.cached_plans(), 2u);
  // A bad value is a typed error naming the node, not a crash.
  auto e = expect_throws<ShapeError>([&] { sh.run({data, tensor(std::vector<int64_t>{5, 5})}); });
  EXPECT_TRUE(contains(e, "view")) << e;
  Graph hf("reshape_float");
  auto* fv = hf.add_node("view", {hf.add_input("d", kFloat, {2, 6})}, {}, {"y"});
  hf.bind_attr_input(fv, 0, hf.add_input("t", kFloat, {2}));
  hf.set_outputs({fv->output()});
  Session sf(hf);
  auto e2 = expect_throws<ValueError>([&] { sf.run({data, tensor(std::vector<float>{3, 4})}); });
  EXPECT_TRUE(contains(e2, "attribute input 'size'") && contains(e2, "float32(2,)")) << e2;
  // Verifier: an attribute bound twice, or one the op does not have.
  Graph bad("bad");
  auto* bx = bad.add_input("x", kFloat, {4});
  auto* bs = bad.add_input("s", kLong, {1});
  auto* bv = bad.add_node("view", {bx}, {}, {"y"});
  bad.bind_attr_input(bv, 0, bs);
  expect_throws<ValueError>([&] { bad.bind_attr_input(bv, 0, bs); });
  expect_throws<ValueError>([&] { bad.bind_attr_input(bv, 3, bs); });
}

// String values run through a plan outside the arena (their elements need constructors), and
// a string input that decides a shape (string_normalizer) makes the plan dynamic.
TEST(Session, StringTensors) {
  Graph g("strings");
  auto* x = g.add_input("x", kFloat, {"N"});
  auto* s = g.add_node("to_dtype", {x}, {kString}, {"s"})->output();
  auto* t = g.add_node("transpose", {g.add_node("view", {s}, {DimVector{1, -1}}, {"row"})->output()},
                       {int64_t(0), int64_t(1)}, {"col"})->output();
  auto* c = g.add_node("clone", {t}, {}, {"c"})->output();
  auto* back = g.add_node("to_dtype", {c}, {kDouble}, {"back"})->output();
  g.set_outputs({c, back});
  Session sess(g, {.fuse = false});
  auto plan = sess.memory_plan({{3}});
  for (auto& b : plan.buffers)
    for (auto& v : b.values) EXPECT_TRUE(v != "s" && v != "c" && v != "row" && v != "col") << v << " in the arena";
  auto out = sess.run({tensor({1.5f, -0.0f, 1e20f})});
  EXPECT_EQ(out[0].sizes(), IntArrayRef({3, 1}));
  EXPECT_EQ(out[0].strings(), (std::vector<std::string>{"1.5", "-0.0", "1e+20"}));
  EXPECT_EQ(out[1].view({3}).to(kFloat).equal(tensor({1.5f, -0.0f, 1e20f})), true);

  Graph g2("normalize");
  auto* w = g2.add_input("w", kString, {"C"});
  g2.add_initializer("stop", strings({"b"}));
  auto* n = g2.add_node("string_normalizer", {w, "stop"}, {std::string("UPPER"), false, std::string()}, {"n"})->output();
  g2.set_outputs({n});
  Session s2(g2);
  for (int k = 0; k < 2; ++k) {  // the second run reuses the cached plan
    auto r = s2.run({strings({"a", "B", "c"})});
    EXPECT_EQ(r[0].strings(), (std::vector<std::string>{"A", "C"}));
  }
  EXPECT_EQ(s2.run({strings({"b"})})[0].strings(), std::vector<std::string>{""});
  std::string msg = expect_throws<DTypeError>([&] {
    Graph g3("bad");
    auto* i = g3.add_input("i", kString, {2});
    g3.set_outputs({g3.add_node("neg", {i}, {}, {"o"})->output()});
    Session s3(g3);
    s3.run({strings({"a", "b"})});
  });
  EXPECT_TRUE(contains(msg, "neg: not supported for dtype string")) << msg;
}
