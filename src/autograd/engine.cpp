// The backward engine: reverse topological execution of the tape with gradient accumulation.
#include <atomic>
#include <cmath>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/autograd_internal.h"
#include "core/tensor_util.h"
#include "ops/registry.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/unary.h"

namespace sinter {

// ---- modes --------------------------------------------------------------------------------

// initial-exec TLS: a fixed offset from the thread pointer (no __tls_get_addr per op).
static thread_local bool t_grad_enabled __attribute__((tls_model("initial-exec"))) = true;
bool GradMode::is_enabled() { return t_grad_enabled; }
void GradMode::set_enabled(bool e) { t_grad_enabled = e; }

static std::atomic<bool> g_anomaly{false};
bool AnomalyMode::is_enabled() { return g_anomaly.load(std::memory_order_relaxed); }
void AnomalyMode::set_enabled(bool e) { g_anomaly.store(e); }

static thread_local uint64_t t_sequence_nr __attribute__((tls_model("initial-exec"))) = 0;
Node::Node() : sequence_nr(t_sequence_nr++) {}
Node::~Node() = default;

namespace autograd::detail {

static thread_local int t_backward_depth __attribute__((tls_model("initial-exec"))) = 0;
bool in_backward() { return t_backward_depth > 0; }

AutogradMeta& meta(const Tensor& t) {
  auto& m = t.impl()->autograd;
  if (!m) m = std::make_shared<AutogradMeta>();
  return *m;
}

OutputMeta output_meta_of(const Tensor& t) { return OutputMeta{DimVector(t.sizes()), t.dtype(), t.device()}; }

namespace {
/// Accumulates incoming gradients into a leaf's .grad().
struct AccumulateGrad final : Node {
  Tensor variable;
  explicit AccumulateGrad(Tensor v) : variable(std::move(v)) { output_meta.push_back(output_meta_of(variable)); }
  std::string name() const override { return "AccumulateGrad"; }
  TensorList apply(TensorList&& grads) override {
    Tensor g = std::move(grads[0]);
    if (!g.defined()) return {};
    auto& m = meta(variable);
    for (auto& h : m.leaf_hooks) {
      Tensor r = h(g);
      if (r.defined()) g = r;
    }
    if (!m.grad.defined()) {
      // Detach unless building a higher-order graph; copy so .grad never aliases a graph buffer.
      m.grad = GradMode::is_enabled() ? g : g.detach().clone();
    } else if (GradMode::is_enabled()) {
      m.grad = m.grad + g;
    } else {
      m.grad.add_(g);
    }
    return {};
  }
};
}  // namespace

Edge gradient_edge(const Tensor& t) {
  auto* m = t.impl()->autograd.get();
  if (!m) return {};
  if (m->grad_fn) return Edge{m->grad_fn, m->output_nr};
  if (!m->requires_grad) return {};
  auto acc = m->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    m->grad_accumulator = acc;
  }
  return Edge{acc, 0};
}

void set_history(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t nr) {
  auto& m = meta(t);
  m.grad_fn = fn;
  m.output_nr = nr;
  m.requires_grad = true;
}

void check_finite(const Tensor& t, const std::string& what, const Node* node) {
  if (t.numel() == 0) return;
  bool bad;
  {
    NoGradGuard g;
    bad = !sinter::isfinite(t).all().item<bool>();
  }
  if (!bad) return;
  std::string msg = "Anomaly detected: " + what + " contains NaN or Inf";
  if (node && node->anomaly_recorded) {
    msg += "; the forward op '" + node->anomaly_op + "' was called from " + describe_user_frame(node->anomaly_stack);
  } else if (!node) {
    msg += "; called from " + describe_user_frame(capture_call_stack());
  }
  throw AutogradError(msg);
}

SavedTensor::SavedTensor(const Tensor& t, bool is_output)
    : version_(t.storage()->version()), is_output_(is_output), requires_grad_(t.requires_grad()) {
  // An output is saved without its history (the node owns it, so a strong link would be a cycle).
  data_ = is_output ? sinter::detail::make_alias(t, t.sizes(), t.strides(), t.storage_offset()) : t;
}

Tensor SavedTensor::unpack(const std::shared_ptr<Node>& owner, uint32_t output_nr, const char* op) const {
  if (!data_.defined()) return {};
  SINTER_CHECK(data_.storage()->version() == version_, AutogradError,
               "one of the variables needed for gradient computation has been modified by an inplace operation: "
               "a tensor of shape ", shape_str(data_.sizes()), " saved by ", op, " is at version ",
               data_.storage()->version(), "; expected version ", version_, " instead.");
  if (!is_output_ || !requires_grad_) return data_;
  Tensor t = sinter::detail::make_alias(data_, data_.sizes(), data_.strides(), data_.storage_offset());
  set_history(t, owner, output_nr);
  return t;
}


namespace {

struct GraphRoot final : Node {
  TensorList grads;
  std::string name() const override { return "GraphRoot"; }
  TensorList apply(TensorList&&) override { return grads; }
};

/// Makes `g` match what `fn` expects for its input `nr` (undo broadcasting, cast dtype).
Tensor validate(Tensor g, const Edge& e, const Node& producer) {
  const OutputMeta& m = e.fn->output_meta[e.input_nr];
  if (g.sizes() != IntArrayRef(m.sizes)) {
    SINTER_ASSERT(g.dim() >= static_cast<int64_t>(m.sizes.size()), "backward of ", producer.name(),
                  " returned a gradient of shape ", shape_str(g.sizes()), " for an input of shape ", shape_str(m.sizes));
    g = ops::sum_to(g, m.sizes);
  }
  if (g.dtype() != m.dtype) g = g.to(m.dtype);
  return g;
}

}  // namespace

/// Runs backward from `roots`. With `capture`, returns the gradients flowing into those edges
/// and runs no AccumulateGrad (autograd::grad); `accumulate_only` limits accumulation.
TensorList run_backward(const std::vector<Edge>& roots, TensorList root_grads, bool keep_graph, bool create_graph,
                        const std::vector<Edge>* capture, const std::vector<Edge>* accumulate_only) {
  auto root = std::make_shared<GraphRoot>();
  root->grads = std::move(root_grads);
  root->next_edges = roots;

  // Dependencies (number of incoming edges) of every reachable node.
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack{root.get()};
  std::unordered_set<Node*> seen{root.get()};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (auto& e : n->next_edges) {
      if (!e.fn) continue;
      ++deps[e.fn.get()];
      if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
    }
  }

  // Which nodes to execute: with capture/accumulate_only, only those leading to a target.
  std::unordered_set<Node*> targets;
  const std::vector<Edge>* tgt = capture ? capture : accumulate_only;
  if (tgt)
    for (auto& e : *tgt)
      if (e.fn) targets.insert(e.fn.get());
  std::unordered_map<Node*, bool> needed;
  std::function<bool(Node*)> needs = [&](Node* n) -> bool {
    auto it = needed.find(n);
    if (it != needed.end()) return it->second;
    needed[n] = false;
    bool r = targets.count(n) > 0 && !capture;
    for (auto& e : n->next_edges)
      if (e.fn && (targets.count(e.fn.get()) || needs(e.fn.get()))) r = true;
    needed[n] = r;
    return r;
  };

  TensorList captured(capture ? capture->size() : 0);
  std::unordered_map<Node*, TensorList> buffers;
  auto cmp = [](Node* a, Node* b) { return a->sequence_nr < b->sequence_nr; };
  std::priority_queue<Node*, std::vector<Node*>, decltype(cmp)> ready(cmp);
  ready.push(root.get());

  AutoGradMode mode(create_graph);
  struct Depth {
    Depth() { ++t_backward_depth; }
    ~Depth() { --t_backward_depth; }
  } depth;
  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    TensorList in = n == root.get() ? TensorList{} : std::move(buffers[n]);
    buffers.erase(n);
    if (n != root.get()) in.resize(n->output_meta.size());
    for (auto& [nr, hook] : n->pre_hooks) {
      if (nr < in.size() && in[nr].defined()) {
        Tensor r = hook(in[nr]);
        if (r.defined()) in[nr] = r;
      }
    }
    if (capture) {
      for (size_t i = 0; i < capture->size(); ++i) {
        const Edge& c = (*capture)[i];
        if (c.fn.get() == n && c.input_nr < in.size() && in[c.input_nr].defined())
          captured[i] = captured[i].defined() ? captured[i] + in[c.input_nr] : in[c.input_nr];
      }
    }
    bool run = n == root.get() || (!tgt || needs(n) || (!capture && targets.count(n)));
    if (capture && dynamic_cast<AccumulateGrad*>(n)) run = false;
    TensorList out;
    if (run) {
      out = n->apply(std::move(in));
      if (!keep_graph && n != root.get()) n->release_variables();
      if (AnomalyMode::is_enabled() && n != root.get())
        for (size_t i = 0; i < out.size(); ++i)
          if (out[i].defined() && is_floating_point(out[i].dtype()))
            check_finite(out[i], "Function '" + n->name() + "' returned a gradient (output " + std::to_string(i) + ")", n);
    }
    for (size_t i = 0; i < n->next_edges.size(); ++i) {
      const Edge& e = n->next_edges[i];
      if (!e.fn) continue;
      if (run && i < out.size() && out[i].defined()) {
        Tensor g = validate(std::move(out[i]), e, *n);
        auto& buf = buffers[e.fn.get()];
        if (buf.size() < e.fn->output_meta.size()) buf.resize(e.fn->output_meta.size());
        Tensor& slot = buf[e.input_nr];
        slot = slot.defined() ? slot + g : g;
      }
      if (--deps[e.fn.get()] == 0) ready.push(e.fn.get());
    }
  }
  return captured;
}

namespace {
std::vector<Edge> root_edges(const TensorList& tensors, TensorList& grads, const TensorList& grad_tensors,
                             const char* fn) {
  std::vector<Edge> roots;
  SINTER_CHECK(grad_tensors.empty() || grad_tensors.size() == tensors.size(), ValueError, fn, ": got ",
               grad_tensors.size(), " gradients for ", tensors.size(), " tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    SINTER_CHECK(t.defined() && t.requires_grad(), AutogradError, fn, ": element ", i,
                 " of tensors does not require grad and does not have a grad_fn");
    Tensor g = i < grad_tensors.size() ? grad_tensors[i] : Tensor();
    if (!g.defined()) {
      SINTER_CHECK(t.numel() == 1, AutogradError, fn, ": grad can be implicitly created only for scalar outputs (got shape ",
                   shape_str(t.sizes()), ")");
      g = sinter::ones_like(t);
    } else {
      SINTER_CHECK(g.sizes() == t.sizes(), ShapeError, fn, ": mismatch in shape: grad_output[", i, "] has a shape of ",
                   shape_str(g.sizes()), " and output[", i, "] has a shape of ", shape_str(t.sizes()));
    }
    roots.push_back(gradient_edge(t));
    grads.push_back(g);
  }
  return roots;
}
}  // namespace

}  // namespace autograd::detail

namespace autograd {

void backward(const TensorList& tensors, const TensorList& grad_tensors, std::optional<bool> retain_graph,
              bool create_graph, const TensorList& inputs) {
  TensorList grads;
  auto roots = detail::root_edges(tensors, grads, grad_tensors, "backward");
  std::vector<Edge> acc;
  for (auto& t : inputs) {
    SINTER_CHECK(t.requires_grad(), AutogradError, "backward: an input does not require grad");
    acc.push_back(detail::gradient_edge(t));
  }
  if (!inputs.empty()) {
    // Only leaves listed in `inputs` accumulate; non-leaf inputs get .grad via retain_grad semantics.
    for (size_t i = 0; i < inputs.size(); ++i)
      if (!inputs[i].is_leaf()) inputs[i].retain_grad();
  }
  detail::run_backward(roots, std::move(grads), retain_graph.value_or(create_graph), create_graph, nullptr,
                       inputs.empty() ? nullptr : &acc);
}

TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                std::optional<bool> retain_graph, bool create_graph, bool allow_unused) {
  TensorList grads;
  auto roots = detail::root_edges(outputs, grads, grad_outputs, "grad");
  std::vector<Edge> capture;
  for (size_t i = 0; i < inputs.size(); ++i) {
    SINTER_CHECK(inputs[i].defined() && inputs[i].requires_grad(), AutogradError, "grad: input ", i,
                 " does not require grad");
    capture.push_back(detail::gradient_edge(inputs[i]));
  }
  TensorList r = detail::run_backward(roots, std::move(grads), retain_graph.value_or(create_graph), create_graph,
                                      &capture, nullptr);
  for (size_t i = 0; i < r.size(); ++i) {
    SINTER_CHECK(r[i].defined() || allow_unused, AutogradError, "grad: one of the differentiated Tensors (input ", i,
                 ") appears to not have been used in the graph. Set allow_unused=true if this is the desired behavior.");
    if (r[i].defined() && !create_graph) r[i] = r[i].detach();
  }
  return r;
}

}  // namespace autograd

// ---- Tensor autograd methods ----------------------------------------------------------------

bool Tensor::requires_grad() const {
  auto* m = impl_->autograd.get();
  return m && m->requires_grad;
}

Tensor& Tensor::requires_grad_(bool r) {
  auto* m = impl_->autograd.get();
  SINTER_CHECK(!(m && m->grad_fn) || r, AutogradError,
               "requires_grad_: you can only change requires_grad flags of leaf variables. If you want to use a "
               "computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
  SINTER_CHECK(!r || is_floating_point(), AutogradError,
               "requires_grad_: only Tensors of floating point dtype can require gradients (got ", dtype_name(dtype()), ")");
  autograd::detail::meta(*this).requires_grad = r;
  return *this;
}

bool Tensor::is_leaf() const {
  auto* m = impl_->autograd.get();
  return !m || !m->grad_fn;
}

Tensor& Tensor::mutable_grad() const { return autograd::detail::meta(*this).grad; }

const Tensor& Tensor::grad() const {
  static const Tensor undefined;
  auto* m = impl_->autograd.get();
  return m ? m->grad : undefined;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> none;
  auto* m = impl_->autograd.get();
  return m ? m->grad_fn : none;
}

int64_t Tensor::output_nr() const {
  auto* m = impl_->autograd.get();
  return m ? m->output_nr : 0;
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph,
                      const TensorList& inputs) const {
  autograd::backward({*this}, gradient.defined() ? TensorList{gradient} : TensorList{}, retain_graph, create_graph, inputs);
}

Tensor Tensor::detach() const { return detail::make_alias(*this, sizes(), strides(), storage_offset()); }

Tensor& Tensor::detach_() {
  auto* m = impl_->autograd.get();
  if (m) {
    m->grad_fn.reset();
    m->requires_grad = false;
    m->output_nr = 0;
  }
  return *this;
}

void Tensor::retain_grad() const {
  SINTER_CHECK(requires_grad(), AutogradError, "retain_grad: can't retain_grad on Tensor that has requires_grad=False");
  auto& m = autograd::detail::meta(*this);
  if (!m.grad_fn || m.retains_grad) return;  // leaves always keep .grad
  m.retains_grad = true;
  std::weak_ptr<AutogradMeta> weak = impl_->autograd;
  m.grad_fn->pre_hooks.push_back({m.output_nr, [weak](const Tensor& g) -> Tensor {
                                    if (auto mm = weak.lock()) {
                                      if (!mm->grad.defined()) mm->grad = GradMode::is_enabled() ? g : g.detach().clone();
                                      else mm->grad = mm->grad + g;
                                    }
                                    return {};
                                  }});
}

bool Tensor::retains_grad() const {
  auto* m = impl_->autograd.get();
  return m && m->retains_grad;
}

unsigned Tensor::register_hook_impl(std::function<Tensor(const Tensor&)> hook) const {
  SINTER_CHECK(requires_grad(), AutogradError,
               "register_hook: cannot register a hook on a tensor that doesn't require gradient");
  auto& m = autograd::detail::meta(*this);
  if (m.grad_fn) {
    m.grad_fn->pre_hooks.push_back({m.output_nr, std::move(hook)});
    return static_cast<unsigned>(m.grad_fn->pre_hooks.size() - 1);
  }
  m.leaf_hooks.push_back(std::move(hook));
  return static_cast<unsigned>(m.leaf_hooks.size() - 1);
}

// ---- custom functions ---------------------------------------------------------------------

namespace autograd {

void AutogradContext::save_for_backward(TensorList to_save) {
  saved_versions_.clear();
  for (auto& t : to_save) saved_versions_.push_back(t.defined() ? t.storage()->version() : 0);
  saved_ = std::move(to_save);
}

TensorList AutogradContext::get_saved_variables() const {
  SINTER_CHECK(!released_, AutogradError, "Trying to backward through the graph a second time: saved variables were freed");
  for (size_t i = 0; i < saved_.size(); ++i)
    SINTER_CHECK(!saved_[i].defined() || saved_[i].storage()->version() == saved_versions_[i], AutogradError,
                 "one of the variables needed for gradient computation has been modified by an inplace operation: "
                 "saved tensor ", i, " of shape ", shape_str(saved_[i].sizes()), " is at version ",
                 saved_[i].storage()->version(), "; expected version ", saved_versions_[i], " instead.");
  return saved_;
}
void AutogradContext::mark_dirty(const TensorList& inputs) {
  for (auto& t : inputs) t.storage()->bump_version();
}
void AutogradContext::mark_non_differentiable(const TensorList& outputs) {
  for (auto& t : outputs) non_differentiable_.push_back(t.impl());
}
bool AutogradContext::needs_input_grad(size_t i) const { return i < needs_input_grad_.size() && needs_input_grad_[i]; }

namespace detail {

TensorList to_list(const Tensor& t) { return {t}; }
TensorList to_list(const TensorList& t) { return t; }

namespace {
struct CustomNode final : Node {
  std::string fn_name;
  std::shared_ptr<AutogradContext> ctx;
  std::function<TensorList(AutogradContext*, TensorList)> fn;
  std::string name() const override { return fn_name; }
  TensorList apply(TensorList&& grads) override {
    for (size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined())
        grads[i] = sinter::zeros(output_meta[i].sizes, TensorOptions(output_meta[i].dtype));
    TensorList r = fn(ctx.get(), std::move(grads));
    SINTER_CHECK(r.size() >= next_edges.size(), AutogradError, "function ", fn_name, " returned ", r.size(),
                 " gradients, but expected ", next_edges.size());
    r.resize(next_edges.size());
    return r;
  }
  void release_variables() override {
    ctx->saved_.clear();
    ctx->released_ = true;
  }
};
}  // namespace

TensorList wrap_custom_function(const std::string& name, const TensorList& inputs, TensorList outputs,
                                std::shared_ptr<AutogradContext> ctx,
                                std::function<TensorList(AutogradContext*, TensorList)> backward) {
  bool any = false;
  for (auto& t : inputs) any |= t.defined() && t.requires_grad();
  if (!any || !GradMode::is_enabled()) return outputs;
  auto node = std::make_shared<CustomNode>();
  node->fn_name = name;
  node->ctx = ctx;
  node->fn = std::move(backward);
  for (auto& t : inputs) node->next_edges.push_back(t.defined() ? gradient_edge(t) : Edge{});
  for (uint32_t i = 0; i < outputs.size(); ++i) {
    Tensor& o = outputs[i];
    // An output that is an input returned as is becomes a new view so its history is fresh.
    for (auto& in : inputs)
      if (o.is_same(in)) o = o.detach();
    node->output_meta.push_back(output_meta_of(o));
    bool nd = false;
    for (auto* p : ctx->non_differentiable_) nd |= p == o.impl();
    if (!nd && o.is_floating_point()) set_history(o, node, i);
  }
  return outputs;
}

}  // namespace detail
}  // namespace autograd
}  // namespace sinter
