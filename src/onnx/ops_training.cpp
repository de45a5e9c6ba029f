// ONNX's training-update ops (domain ai.onnx.preview.training, version 1): Adagrad, Momentum
// (standard and Nesterov) and Adam, composed from registry ops. Inputs: learning rate R and
// update count T (scalars), then n tensors each of X, G and the optimizer's state; outputs the
// updated X, then the updated state tensors.
#include <map>
#include <set>

#include "onnx/onnx_internal.h"

namespace sinter::onnx::detail {
namespace {

using V = graph::Value*;

struct Groups {
  V r, t;
  size_t n;
  std::vector<V> x, g;
  std::vector<std::vector<V>> state;
};

Groups groups(Ctx& c, size_t n_state) {
  size_t total = c.num_inputs();
  if (total < 2 || (total - 2) % (2 + n_state) != 0)
    c.invalid(sinter::detail::str_cat("expects R, T and ", 2 + n_state, " groups of tensors, got ", total, " inputs"));
  Groups gr{c.in(0), c.in(1), (total - 2) / (2 + n_state), {}, {}, {}};
  gr.state.resize(n_state);
  for (size_t i = 0; i < gr.n; ++i) {
    gr.x.push_back(c.in(2 + i));
    gr.g.push_back(c.in(2 + gr.n + i));
    for (size_t s = 0; s < n_state; ++s) gr.state[s].push_back(c.in(2 + (2 + s) * gr.n + i));
  }
  return gr;
}

V num(Ctx& c, double v, V like) { return c.scalar(v, c.dtype(like)); }
V cast_like(Ctx& c, V v, V like) {
  return c.dtype(v) == c.dtype(like) ? v : c.emit("to_dtype", {v}, {c.dtype(like)});
}
V mul(Ctx& c, V a, V b) { return c.emit("mul", {a, b}); }
V add(Ctx& c, V a, V b) { return c.emit("add", {a, b}); }
V sub(Ctx& c, V a, V b) { return c.emit("sub", {a, b}); }
// norm_coefficient * X + G
V regularized(Ctx& c, V x, V g) {
  double nc = c.attr_f("norm_coefficient", 0);
  return nc == 0 ? g : add(c, mul(c, num(c, nc, x), x), g);
}

void adagrad_build(Ctx& c) {
  Groups gr = groups(c, 1);
  double decay = c.attr_f("decay_factor", 0), eps = c.attr_f("epsilon", 1e-6);
  for (size_t i = 0; i < gr.n; ++i) {
    V x = gr.x[i], h = gr.state[0][i];
    V r = cast_like(c, gr.r, x), t = cast_like(c, gr.t, x);
    V rr = c.emit("div", {r, add(c, num(c, 1, x), mul(c, t, num(c, decay, x)))});
    V gg = regularized(c, x, gr.g[i]);
    V hn = add(c, h, mul(c, gg, gg));
    V ha = add(c, c.emit("sqrt", {hn}), num(c, eps, x));
    c.set_out(i, sub(c, x, c.emit("div", {mul(c, rr, gg), ha})));
    c.set_out(gr.n + i, hn);
  }
}

void momentum_build(Ctx& c) {
  Groups gr = groups(c, 1);
  double alpha = c.attr_f("alpha", 0), beta = c.attr_f("beta", 0);
  std::string mode = c.attr_s("mode", "standard");
  if (mode != "standard" && mode != "nesterov") c.invalid("mode must be 'standard' or 'nesterov'");
  for (size_t i = 0; i < gr.n; ++i) {
    V x = gr.x[i], v = gr.state[0][i];
    V r = cast_like(c, gr.r, x);
    V t_pos = c.emit("gt", {gr.t, c.scalar(0, c.dtype(gr.t))});
    V beta_adj = c.emit("where", {t_pos, num(c, beta, x), num(c, 1, x)});
    V gg = regularized(c, x, gr.g[i]);
    V vn = add(c, mul(c, num(c, alpha, x), v), mul(c, beta_adj, gg));
    V step = mode == "standard" ? vn : add(c, gg, mul(c, num(c, alpha, x), vn));
    c.set_out(i, sub(c, x, mul(c, r, step)));
    c.set_out(gr.n + i, vn);
  }
}

void adam_build(Ctx& c) {
  Groups gr = groups(c, 2);
  double alpha = c.attr_f("alpha", 0.9), beta = c.attr_f("beta", 0.999), eps = c.attr_f("epsilon", 1e-6);
  double post = c.attr_f("norm_coefficient_post", 0);
  for (size_t i = 0; i < gr.n; ++i) {
    V x = gr.x[i], v = gr.state[0][i], h = gr.state[1][i];
    V r = cast_like(c, gr.r, x), t = cast_like(c, gr.t, x);
    V gg = regularized(c, x, gr.g[i]);
    V vn = add(c, mul(c, num(c, alpha, x), v), mul(c, num(c, 1 - alpha, x), gg));
    V hn = add(c, mul(c, num(c, beta, x), h), mul(c, num(c, 1 - beta, x), mul(c, gg, gg)));
    V hs = add(c, c.emit("sqrt", {hn}), num(c, eps, x));
    // Bias correction once T > 0: R * sqrt(1 - beta^T) / (1 - alpha^T).
    V corr = c.emit("div", {c.emit("sqrt", {sub(c, num(c, 1, x), c.emit("pow", {num(c, beta, x), t}))}),
                            sub(c, num(c, 1, x), c.emit("pow", {num(c, alpha, x), t}))});
    V t_pos = c.emit("gt", {gr.t, c.scalar(0, c.dtype(gr.t))});
    V ra = c.emit("where", {t_pos, mul(c, r, corr), r});
    V xn = sub(c, x, mul(c, ra, c.emit("div", {vn, hs})));
    c.set_out(i, post == 0 ? xn : mul(c, num(c, 1 - post, x), xn));
    c.set_out(gr.n + i, vn);
    c.set_out(2 * gr.n + i, hn);
  }
}

const TableRegistrar training_entries([] {
  std::vector<OpEntry> v;
  std::string d = std::string(kTrainingDomain) + ".";
  v.push_back({d + "Adagrad", 1, 1, adagrad_build});
  v.push_back({d + "Momentum", 1, 1, momentum_build});
  v.push_back({d + "Adam", 1, 1, adam_build});
  return v;
}());

}  // namespace
}  // namespace sinter::onnx::detail

namespace sinter::onnx::detail {
namespace {

// Gradient(xs, y): the gradients of y (summed, seeded with ones) with respect to the values
// xs, for the forward computation already imported. The nodes y depends on (back to xs, graph
// inputs and constants) are copied into a body graph taking [xs..., other values read...];
// the Session runs that body with autograd and returns d y / d xs.
void gradient_build(Ctx& c) {
  auto* xs_attr = c.attr("xs");
  if (!xs_attr || xs_attr->strings_size() == 0) c.invalid("attribute 'xs' must name the inputs to differentiate");
  std::string y_name = c.attr_s("y", "");
  if (y_name.empty()) c.invalid("attribute 'y' must name the differentiated value");
  std::vector<V> xs;
  for (auto& n : xs_attr->strings()) {
    V v = c.lookup(n);
    if (!v) c.invalid("xs names '" + n + "', which is not defined before the Gradient node");
    xs.push_back(v);
  }
  if (c.num_outputs() != xs.size()) c.invalid("needs one output per entry of xs");
  V y = c.lookup(y_name);
  if (!y) c.invalid("y names '" + y_name + "', which is not defined before the Gradient node");
  // Nodes between xs and y, in order.
  std::set<const graph::Node*> need;
  std::vector<V> work{y};
  std::set<V> stop(xs.begin(), xs.end());
  while (!work.empty()) {
    V v = work.back();
    work.pop_back();
    if (stop.count(v) || !v->producer || need.count(v->producer)) continue;
    if (!v->producer->op) c.unsupported("Gradient through a control-flow node");
    need.insert(v->producer);
    for (V i : v->producer->inputs)
      if (i) work.push_back(i);
  }
  auto body = std::make_shared<graph::Graph>("gradient_body");
  std::map<V, V> map;
  std::vector<V> captured;
  for (V x : xs) map[x] = body->add_input(x->name, x->dtype, x->shape.value_or(graph::Shape{}));
  for (V x : xs)
    if (!x->shape) map[x]->shape.reset();
  auto get = [&](V v) -> V {
    if (!v) return nullptr;
    if (auto it = map.find(v); it != map.end()) return it->second;
    V b = v->is_constant() ? body->add_initializer(v->name, v->constant)
                           : body->add_input(v->name, v->dtype, v->shape.value_or(graph::Shape{}));
    if (!v->is_constant()) {
      if (!v->shape) b->shape.reset();
      captured.push_back(v);
    }
    return map[v] = b;
  };
  for (graph::Node* n : c.g.topo_order()) {
    if (!need.count(n)) continue;
    std::vector<graph::ValueRef> ins;
    for (size_t i = 0; i < n->num_op_inputs(); ++i) ins.emplace_back(get(n->inputs[i]));
    std::vector<std::string> outs;
    for (V o : n->outputs) outs.push_back(o->name);
    graph::Node* b = body->add_node(*n->op, std::move(ins), n->attrs(), outs, n->name);
    for (size_t k = 0; k < n->attr_inputs.size(); ++k)
      body->bind_attr_input(b, n->attr_inputs[k], get(n->inputs[n->num_op_inputs() + k]));
    for (size_t i = 0; i < n->outputs.size(); ++i) map[n->outputs[i]] = b->outputs[i];
  }
  body->set_outputs({get(y)});
  std::vector<V> ins = xs;
  ins.insert(ins.end(), captured.begin(), captured.end());
  auto outs = c.emit_control("Gradient", ins, {int64_t(xs.size())}, {body}, xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    outs[i]->dtype = xs[i]->dtype;
    c.set_out(i, outs[i]);
  }
}

const TableRegistrar gradient_entries({{std::string(kTrainingDomain) + ".Gradient", 1, 1, gradient_build}});

}  // namespace
}  // namespace sinter::onnx::detail
