// Inference fusion (see sinter/graph/fuse.h).
#include "sinter/graph/fuse.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>

#include "graph/graph_util.h"
#include "sinter/autograd.h"
#include "sinter/sinter.h"

namespace sinter::graph {

namespace {

bool is_graph_output(const Graph& g, const Value* v) {
  return std::find(g.outputs().begin(), g.outputs().end(), v) != g.outputs().end();
}

// The node that is v's only consumer (null if v has several uses, none, or is a graph output).
Node* only_consumer(const Graph& g, const Value* v) {
  if (v->uses.size() != 1 || is_graph_output(g, v)) return nullptr;
  return v->uses[0].node;
}

// A registry op node of this kind whose attributes are all static (a node with attribute inputs
// computes some of them at run time, so its attrs() do not tell what it does).
bool is_op(const Node* n, std::string_view kind) {
  return n && n->op && n->kind == kind && n->attr_inputs.empty();
}

bool is_float(DType d) { return d == kFloat || d == kDouble || d == kBFloat16; }

std::string fresh_name(const Graph& g, const std::string& base) {
  std::string name = base;
  for (int k = 1; g.find(name); ++k) name = base + "_" + std::to_string(k);
  return name;
}

// Removes `v` if it is an initializer nothing uses any more.
void drop_if_unused(Graph& g, Value* v) {
  if (v && v->is_initializer() && v->uses.empty() && !is_graph_output(g, v)) g.remove_value(v);
}

// Makes `fused` (the output of a new node) stand for `old`, the last value of the chain it
// replaces: every use and the graph-output slot move over, the chain's nodes (last first) are
// removed, and `fused` takes over old's name.
void replace_chain(Graph& g, Value* old, Value* fused, const std::vector<Node*>& chain) {
  fused->dtype = old->dtype;
  fused->shape = old->shape;
  std::string name = old->name;
  g.replace_all_uses(old, fused);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) g.remove_node(*it);
  g.rename(fused, name);
}

// ---- 1. batch norm folded into the convolution before it ---------------------------------------

bool fold_batch_norm(Graph& g, Node* bn) {
  if (!is_op(bn, "batch_norm") || bn->full_attrs().b(0)) return false;  // training mode
  Node* conv = bn->inputs[0] ? bn->inputs[0]->producer : nullptr;
  if (!is_op(conv, "conv2d") && !is_op(conv, "conv1d")) return false;
  if (only_consumer(g, conv->output()) != bn) return false;
  for (size_t i = 1; i < bn->outputs.size(); ++i)
    if (!bn->outputs[i]->uses.empty() || is_graph_output(g, bn->outputs[i])) return false;
  auto constant = [](Value* v) { return !v || v->is_initializer(); };
  Value* w = conv->inputs[1];
  Value* b = conv->inputs.size() > 2 ? conv->inputs[2] : nullptr;
  if (!w || !w->is_initializer() || !constant(b) || !is_float(w->dtype)) return false;
  for (size_t i = 1; i <= 4; ++i)
    if (!constant(bn->inputs[i])) return false;
  if (!bn->inputs[3] || !bn->inputs[4]) return false;

  NoGradGuard ng;
  const Tensor& wt = w->constant;
  const int64_t O = wt.size(0);
  auto as_double = [&](Value* v, double fill) {
    return v ? v->constant.to(kDouble).reshape({O}) : full({O}, fill, TensorOptions().dtype(kDouble));
  };
  const double eps = bn->full_attrs().f(2);
  Tensor scale = as_double(bn->inputs[1], 1.0) / (as_double(bn->inputs[4], 1.0) + eps).sqrt();  // (O)
  DimVector bshape(static_cast<size_t>(wt.dim()), 1);
  bshape[0] = O;
  Tensor nw = (wt.to(kDouble) * scale.reshape(bshape)).to(wt.dtype()).contiguous();
  Tensor nb = ((as_double(b, 0.0) - as_double(bn->inputs[3], 0.0)) * scale + as_double(bn->inputs[2], 0.0))
                  .to(wt.dtype())
                  .contiguous();
  if (conv->inputs.size() < 3) return false;  // the schema always gives the bias slot
  Value* wv = g.add_initializer(fresh_name(g, conv->name + ".folded_weight"), nw);
  Value* bv = g.add_initializer(fresh_name(g, conv->name + ".folded_bias"), nb);
  std::vector<Value*> stats(bn->inputs.begin() + 1, bn->inputs.end());
  g.replace_input(conv, 1, wv);
  g.replace_input(conv, 2, bv);
  Value* out = bn->output(0);
  std::string name = out->name;
  g.replace_all_uses(out, conv->output());
  g.remove_node(bn);
  drop_if_unused(g, w);
  drop_if_unused(g, b);
  for (Value* s : stats) drop_if_unused(g, s);
  if (!g.find(name)) g.rename(conv->output(), name);
  return true;
}

// ---- 2. matmul by a constant matrix, plus a constant bias: linear --------------------------------

bool matmul_to_linear(Graph& g, Node* mm) {
  if (!is_op(mm, "matmul")) return false;
  Value *x = mm->inputs[0], *w = mm->inputs[1];
  if (!x || !w || !w->is_initializer() || w->constant.dim() != 2 || !is_float(w->dtype) || x->is_initializer())
    return false;
  if (!x->shape || x->shape->size() < 2) return false;  // a 1-D x would drop its dim in matmul
  Node* add = only_consumer(g, mm->output());
  if (!is_op(add, "add") || add->full_attrs().s(0).to_double() != 1.0) return false;
  Value* bias = add->inputs[add->inputs[0] == mm->output() ? 1 : 0];
  const int64_t N = w->constant.size(1);
  if (!bias || !bias->is_initializer() || bias->dtype != w->dtype || bias->constant.dim() != 1 ||
      bias->constant.size(0) != N)
    return false;
  Tensor wt = w->constant.t().contiguous();  // (N, K)
  Value* wv = g.add_initializer(fresh_name(g, w->name + ".transposed"), wt);
  Node* lin = g.add_node("linear", {x, wv, bias}, {}, 1, fresh_name(g, mm->name + "_linear"));
  replace_chain(g, add->output(), lin->output(), {mm, add});
  drop_if_unused(g, w);
  return true;
}

// ---- 3, 4. epilogues --------------------------------------------------------------------------

struct Act {
  std::string kind = "none";
  double lo = 0, hi = 0;
};

// The activation `n` applies, if it is one the fused ops take.
bool activation_of(const Node* n, Act& a) {
  if (is_op(n, "relu")) {
    a.kind = "relu";
    return true;
  }
  if (is_op(n, "clamp")) {
    ops::Attrs at = n->full_attrs();
    a.kind = "clamp";
    a.lo = at.is_none(0) ? -HUGE_VAL : at.s(0).to_double();
    a.hi = at.is_none(1) ? HUGE_VAL : at.s(1).to_double();
    return a.lo <= a.hi;
  }
  if (is_op(n, "hardtanh")) {
    ops::Attrs at = n->full_attrs();
    a.kind = "clamp";
    a.lo = at.f(0);
    a.hi = at.f(1);
    return a.lo <= a.hi;
  }
  return false;
}

bool same_type(const Value* a, const Value* b) {
  return a->dtype == b->dtype && a->shape && b->shape && *a->shape == *b->shape;
}

bool fuse_conv(Graph& g, Node* conv) {
  if (!is_op(conv, "conv2d") || conv->inputs.size() < 3) return false;
  std::vector<Node*> chain{conv};
  Value* last = conv->output();
  Value* residual = nullptr;
  Node* next = only_consumer(g, last);
  if (is_op(next, "add") && next->full_attrs().s(0).to_double() == 1.0) {
    Value* other = next->inputs[next->inputs[0] == last ? 1 : 0];
    if (other && other != last && same_type(other, last) && same_type(next->output(), last)) {
      residual = other;
      chain.push_back(next);
      last = next->output();
      next = only_consumer(g, last);
    }
  }
  Act act;
  if (activation_of(next, act)) {
    chain.push_back(next);
    last = next->output();
  }
  // A convolution with nothing to absorb still becomes conv2d_fused: the inference primitive
  // keeps its reordered weights between runs.
  ops::Attrs ca = conv->full_attrs(), a;
  for (size_t i = 0; i < 5; ++i) a.push(ca[i]);
  a.push(act.kind);
  a.push(act.lo);
  a.push(act.hi);
  Node* f = g.add_node("conv2d_fused", {conv->inputs[0], conv->inputs[1], conv->inputs[2], residual}, a, 1,
                       fresh_name(g, conv->name + "_fused"));
  replace_chain(g, last, f->output(), chain);
  return true;
}

bool fuse_linear(Graph& g, Node* lin) {
  if (!is_op(lin, "linear")) return false;
  Node* next = only_consumer(g, lin->output());
  Act act;
  if (!activation_of(next, act)) return false;
  Node* f = g.add_node("linear_fused", {lin->inputs[0], lin->inputs[1], lin->inputs[2]}, {act.kind, act.lo, act.hi}, 1,
                       fresh_name(g, lin->name + "_fused"));
  replace_chain(g, next->output(), f->output(), {lin, next});
  return true;
}

// Runs `rewrite` on every node (a snapshot of the topological order; nodes a rewrite removed
// are skipped).
template <class F>
size_t for_each_node(Graph& g, F&& rewrite) {
  size_t n = 0;
  std::vector<Node*> order = g.topo_order();
  for (size_t i = 0; i < order.size(); ++i) {
    Node* node = order[i];
    auto live = g.nodes();
    if (std::find(live.begin(), live.end(), node) == live.end()) continue;
    n += rewrite(g, node) ? 1 : 0;
  }
  return n;
}

}  // namespace

size_t fuse_for_inference(Graph& g) {
  size_t n = 0;
  n += for_each_node(g, fold_batch_norm);
  n += for_each_node(g, matmul_to_linear);
  n += for_each_node(g, fuse_conv);
  n += for_each_node(g, fuse_linear);
  return n;
}

}  // namespace sinter::graph
