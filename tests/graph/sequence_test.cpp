// Sequence and optional nodes in the Session: construction, indexing, insertion and erasure,
// split/concat, SequenceMap, optionals, Loop-carried sequences, and typed errors for misuse.
#include <gtest/gtest.h>

#include "test_util.h"
#include "sinter/graph.h"
#include "sinter/sinter.h"

using namespace sinter;
using sinter::testing::contains;
using sinter::testing::expect_throws;
using graph::Graph;
using graph::RunValue;
using graph::Session;
using graph::Value;
using graph::ValueType;

namespace {

bool same(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.sizes() == b.sizes() &&
         (a.numel() == 0 || (a.to(kDouble) - b.to(kDouble)).abs().max().item<double>() == 0.0);
}

Tensor lng(int64_t v) { return full({}, v, TensorOptions(kLong)); }

// A sequence/optional node with one output of type t.
Value* seq_node(Graph& g, const char* kind, std::vector<graph::ValueRef> in, ops::Attrs a, const char* out,
                ValueType t, DType dt = kFloat) {
  Value* v = g.add_control_node(kind, std::move(in), std::move(a), {out}, {})->output();
  v->type = t;
  v->dtype = dt;
  return v;
}

}  // namespace

TEST(GraphSequence, BuildIndexInsertErase) {
  Graph g("seq");
  auto* x = g.add_input("x", kFloat, {"N"});
  auto* p = g.add_input("p", kLong, {});
  auto* x2 = g.add_node("add", {x, x}, {}, {"x2"})->output();
  auto* s = seq_node(g, "SequenceConstruct", {x, x2}, {}, "s", ValueType::Sequence);
  auto* s1 = seq_node(g, "SequenceInsert", {s, x2, p}, {}, "s1", ValueType::Sequence);  // [x, x2, x2] at p
  auto* s2 = seq_node(g, "SequenceErase", {s1, nullptr}, {}, "s2", ValueType::Sequence);  // drops the last
  auto* len = seq_node(g, "SequenceLength", {s2}, {}, "len", ValueType::Tensor, kLong);
  auto* at = seq_node(g, "SequenceAt", {s1, p}, {}, "at", ValueType::Tensor);
  auto* cc = seq_node(g, "ConcatFromSequence", {s2}, {int64_t(0), false}, "cat", ValueType::Tensor);
  auto* stk = seq_node(g, "ConcatFromSequence", {s2}, {int64_t(-1), true}, "stk", ValueType::Tensor);
  g.set_outputs({s1, len, at, cc, stk});
  g.verify();
  g.infer_shapes();
  EXPECT_FALSE(s1->shape.has_value());
  EXPECT_TRUE(contains(g.str(), "%s1: seq<f32> = SequenceInsert(%s, %x2, %p)")) << g.str();
  Session sess(g);
  Tensor xv = tensor({1.f, 2.f, 3.f});
  auto r = sess.run_values({xv, lng(0)});
  ASSERT_EQ(r.size(), 5u);
  ASSERT_TRUE(r[0].is_sequence());
  ASSERT_EQ(r[0].sequence.size(), 3u);
  EXPECT_TRUE(same(r[0].sequence[0], xv * 2) && same(r[0].sequence[1], xv) && same(r[0].sequence[2], xv * 2));
  EXPECT_EQ(r[1].tensor.item().to_long(), 2);
  EXPECT_TRUE(same(r[2].tensor, xv * 2));
  EXPECT_TRUE(same(r[3].tensor, sinter::cat({xv * 2, xv}, 0)));
  EXPECT_TRUE(same(r[4].tensor, stack({xv * 2, xv}, 1)));
  // Outputs are the caller's: changing them leaves the input alone.
  r[0].sequence[1].fill_(7.0);
  EXPECT_EQ(xv[0].item().to_double(), 1.0);
  // Negative positions count from the end; out of range is an IndexError naming the node.
  auto r2 = sess.run_values({xv, lng(-1)});
  EXPECT_TRUE(same(r2[2].tensor, xv * 2));
  auto e = expect_throws<IndexError>([&] { sess.run_values({xv, lng(5)}); });
  EXPECT_TRUE(contains(e, "SequenceInsert") && contains(e, "position 5") && contains(e, "length 2")) << e;
  // run() refuses a graph that gives sequences.
  auto e2 = expect_throws<ValueError>([&] { sess.run({xv, lng(0)}); });
  EXPECT_TRUE(contains(e2, "run_values")) << e2;
  // Wrong input kinds and dtypes.
  expect_throws<ValueError>([&] { sess.run_values({RunValue::seq({xv}), lng(0)}); });
  expect_throws<DTypeError>([&] { sess.run_values({xv.to(kDouble), lng(0)}); });
}

TEST(GraphSequence, SequenceInputsAndSplit) {
  Graph g("split");
  auto* s = g.add_input("s", kFloat, {});
  s->shape.reset();
  s->type = ValueType::Sequence;
  auto* x = g.add_input("x", kFloat, {5, 2});
  g.add_input("k", kLong, {});
  auto* c = g.add_input("c", kLong, {});
  auto* parts = seq_node(g, "SplitToSequence", {x, c}, {int64_t(0), true}, "parts", ValueType::Sequence);
  auto* ones_ = seq_node(g, "SplitToSequence", {x, nullptr}, {int64_t(1), false}, "cols", ValueType::Sequence);
  auto* at = seq_node(g, "SequenceAt", {s, "k"}, {}, "at", ValueType::Tensor);
  g.set_outputs({parts, ones_, at});
  Session sess(g);
  Tensor xv = arange(10).to(kFloat).view({5, 2});
  Tensor a = tensor({1.f}), b = tensor({2.f, 3.f});
  auto r = sess.run_values({RunValue::seq({a, b}), xv, lng(1), lng(2)});
  ASSERT_EQ(r[0].sequence.size(), 3u);  // chunks of 2, the last of 1
  EXPECT_TRUE(same(r[0].sequence[0], xv.narrow(0, 0, 2)) && same(r[0].sequence[2], xv.narrow(0, 4, 1)));
  ASSERT_EQ(r[1].sequence.size(), 2u);  // one per column, axis squeezed
  EXPECT_TRUE(same(r[1].sequence[1], xv.select(1, 1)));
  EXPECT_TRUE(same(r[2].tensor, b));
  expect_throws<IndexError>([&] { sess.run_values({RunValue::seq({a, b}), xv, lng(2), lng(2)}); });  // at 2 of 2
  // A split that does not cover the axis.
  auto es = expect_throws<ValueError>([&] { sess.run_values({RunValue::seq({a, b}), xv, lng(1), lng(0)}); });
  EXPECT_TRUE(contains(es, "SplitToSequence")) << es;
  // Sequence inputs: element dtypes are checked.
  auto e = expect_throws<DTypeError>([&] { sess.run_values({RunValue::seq({a.to(kLong)}), xv, lng(0), lng(1)}); });
  EXPECT_TRUE(contains(e, "'s'")) << e;
  expect_throws<ValueError>([&] { sess.run_values({xv, xv, lng(1), lng(1)}); });
}

TEST(GraphSequence, Optionals) {
  Graph g("opt");
  auto* o = g.add_input("o", kFloat, {});
  o->shape.reset();
  o->type = ValueType::OptionalTensor;
  auto* has = seq_node(g, "OptionalHasElement", {o}, {}, "has", ValueType::Tensor, kBool);
  auto* get = seq_node(g, "OptionalGetElement", {o}, {}, "get", ValueType::Tensor);
  auto* wrap = seq_node(g, "Optional", {get}, {}, "wrap", ValueType::OptionalTensor);
  auto* none = seq_node(g, "Optional", {}, {}, "none", ValueType::OptionalSequence);
  auto* has2 = seq_node(g, "OptionalHasElement", {none}, {}, "has2", ValueType::Tensor, kBool);
  g.set_outputs({has, wrap, has2});
  Session sess(g);
  Tensor xv = tensor({4.f, 5.f});
  auto r = sess.run_values({xv});
  EXPECT_TRUE(r[0].tensor.item().to_bool());
  EXPECT_TRUE(same(r[1].tensor, xv));
  EXPECT_FALSE(r[2].tensor.item().to_bool());
  auto e = expect_throws<ValueError>([&] { sess.run_values({RunValue::none()}); });
  EXPECT_TRUE(contains(e, "OptionalGetElement") && contains(e, "empty")) << e;
  // An empty optional that nothing unwraps.
  Graph h("opt2");
  auto* o2 = h.add_input("o", kFloat, {});
  o2->type = ValueType::OptionalSequence;
  h.set_outputs({seq_node(h, "OptionalHasElement", {o2}, {}, "has", ValueType::Tensor, kBool), o2});
  Session hs(h);
  auto r2 = hs.run_values({RunValue::none()});
  EXPECT_FALSE(r2[0].tensor.item().to_bool());
  EXPECT_TRUE(r2[1].is_none());
  auto r3 = hs.run_values({RunValue::seq({xv})});
  EXPECT_TRUE(r3[0].tensor.item().to_bool());
  ASSERT_TRUE(r3[1].is_sequence());
  EXPECT_TRUE(same(r3[1].sequence[0], xv));
  expect_throws<ValueError>([&] { hs.run_values({xv}); });  // a tensor is not an optional sequence
}

TEST(GraphSequence, MapAndLoop) {
  // SequenceMap: each element plus a tensor formal input plus a captured scale.
  Graph g("map");
  auto* s = g.add_input("s", kFloat, {});
  s->type = ValueType::Sequence;
  auto* y = g.add_input("y", kFloat, {2});
  auto* k = g.add_input("k", kFloat, {});
  auto body = std::make_shared<Graph>("body");
  auto* be = body->add_input("e", kFloat, {2});
  auto* by = body->add_input("y", kFloat, {2});
  auto* bk = body->add_input("k", kFloat, {});
  body->set_outputs({body->add_node("mul", {body->add_node("add", {be, by})->output(), bk}, {}, {"o"})->output()});
  auto* m = g.add_control_node("SequenceMap", {s, y, k}, {int64_t(2)}, {"mapped"}, {body})->output();
  m->type = ValueType::Sequence;
  g.set_outputs({m});
  Session sess(g);
  Tensor a = tensor({1.f, 2.f}), b = tensor({3.f, 4.f}), yv = tensor({10.f, 20.f});
  auto r = sess.run_values({RunValue::seq({a, b}), yv, full({}, 2.0)});
  ASSERT_EQ(r[0].sequence.size(), 2u);
  EXPECT_TRUE(same(r[0].sequence[0], (a + yv) * 2) && same(r[0].sequence[1], (b + yv) * 2));
  EXPECT_EQ(sess.run_values({RunValue::seq({}), yv, full({}, 2.0)})[0].sequence.size(), 0u);

  // Loop carrying a sequence: appends the iteration number M times.
  Graph l("loop");
  auto* mm = l.add_input("M", kLong, {});
  auto* e0 = seq_node(l, "SequenceEmpty", {}, {}, "e0", ValueType::Sequence, kLong);
  auto lb = std::make_shared<Graph>("lbody");
  auto* it = lb->add_input("i", kLong, {});
  auto* cin = lb->add_input("cond", kBool, {});
  auto* acc = lb->add_input("acc", kLong, {});
  acc->shape.reset();
  acc->type = ValueType::Sequence;
  auto* ins = seq_node(*lb, "SequenceInsert", {acc, it, nullptr}, {}, "acc2", ValueType::Sequence, kLong);
  lb->set_outputs({lb->add_node("clone", {cin}, {}, {"c2"})->output(), ins});
  auto* ln = l.add_control_node("Loop", {mm, nullptr, e0}, {int64_t(1)}, {"all"}, {lb})->output();
  ln->type = ValueType::Sequence;
  ln->dtype = kLong;
  l.set_outputs({ln});
  Session ls(l);
  auto lr = ls.run_values({lng(3)});
  ASSERT_EQ(lr[0].sequence.size(), 3u);
  EXPECT_EQ(lr[0].sequence[2].item().to_long(), 2);
}

TEST(GraphSequence, VerifyErrors) {
  // A registry op cannot read a sequence.
  Graph g("bad");
  auto* s = g.add_input("s", kFloat, {});
  s->type = ValueType::Sequence;
  g.set_outputs({g.add_node("relu", {s}, {}, {"r"})->output()});
  auto e = expect_throws<ValueError>([&] { g.verify(); });
  EXPECT_TRUE(contains(e, "'s'") && contains(e, "sequence")) << e;
  // A sequence node given a tensor where it takes a sequence.
  Graph h("bad2");
  auto* x = h.add_input("x", kFloat, {2});
  h.set_outputs({seq_node(h, "SequenceLength", {x}, {}, "n", ValueType::Tensor, kLong)});
  auto e2 = expect_throws<ValueError>([&] { Session bad(h); });
  EXPECT_TRUE(contains(e2, "SequenceLength") && contains(e2, "must be a sequence")) << e2;
}
