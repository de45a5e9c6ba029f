// Load-time passes: constant folding and dead-code elimination.
#include <set>

#include "graph/graph_util.h"
#include "sinter/autograd.h"
#include "sinter/graph/session.h"

namespace sinter::graph {

namespace {

bool foldable(const Node& n) {
  if (!n.op || !n.subgraphs.empty() || is_nondeterministic(*n.op) || !(n.op->cpu || n.op->is_view)) return false;
  for (Value* v : n.inputs)
    if (v && !v->is_constant()) return false;
  return true;
}

}  // namespace

size_t fold_constants(Graph& g) {
  size_t folded = 0;
  for (Node* n : g.topo_order()) {
    if (!foldable(*n)) continue;
    std::vector<Tensor> in;
    for (Value* v : n->inputs) in.push_back(v ? v->constant : Tensor());
    auto attrs = resolve_attrs(*n, n->full_attrs(), in);
    SINTER_ASSERT(attrs.has_value(), "constant attribute inputs hold data");
    std::vector<Tensor> outs;
    {
      NoGradGuard ng;
      outs = evaluate_node(*n, std::span<const Tensor>(in.data(), n->num_op_inputs()), *attrs);
    }
    // The node's outputs become initializers under the same names (a fresh copy, so a folded
    // view never aliases another constant).
    std::vector<std::pair<Value*, std::string>> renames;
    for (size_t i = 0; i < n->outputs.size(); ++i) {
      Value* o = n->outputs[i];
      Tensor t = outs[i];
      if (n->op->is_view || !t.is_contiguous()) t = t.clone(MemoryFormat::Contiguous);
      std::string tmp = o->name;
      for (int k = 0; g.find(tmp); ++k) tmp = o->name + "#folded" + std::to_string(k);
      Value* c = g.add_initializer(tmp, t);
      g.replace_all_uses(o, c);
      renames.emplace_back(c, o->name);
    }
    g.remove_node(n);
    for (auto& [c, name] : renames) g.rename(c, name);
    ++folded;
  }
  return folded;
}

size_t eliminate_dead_code(Graph& g) {
  std::set<const Node*> live;
  std::vector<Value*> work(g.outputs().begin(), g.outputs().end());
  while (!work.empty()) {
    Value* v = work.back();
    work.pop_back();
    if (!v->producer || !live.insert(v->producer).second) continue;
    for (Value* i : v->producer->inputs)
      if (i) work.push_back(i);
  }
  auto order = g.topo_order();
  size_t removed = 0;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (live.count(*it)) continue;
    g.remove_node(*it);
    ++removed;
  }
  std::set<const Value*> outs(g.outputs().begin(), g.outputs().end());
  for (Value* v : g.initializers())
    if (v->uses.empty() && !outs.count(v)) g.remove_value(v);
  return removed;
}

}  // namespace sinter::graph
