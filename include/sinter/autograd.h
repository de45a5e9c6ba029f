// Define-by-run autograd: tape nodes, grad modes, backward/grad, hooks, anomaly mode,
// custom functions and gradcheck. See docs/design.md section "Autograd".
#pragma once
#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sinter/tensor.h"

namespace sinter {

struct Node;

/// An edge of the graph: the `input_nr`-th gradient input of `fn`.
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
  bool valid() const { return fn != nullptr; }
};

/// Shape/dtype of one output of a node, to build a zero gradient when none arrives.
struct OutputMeta {
  DimVector sizes;
  DType dtype = DType::Float;
  Device device;
};

/// A node of the backward graph (a tape entry). `apply` maps the gradients of the forward
/// op's outputs to the gradients of its inputs (one per next edge).
struct Node : std::enable_shared_from_this<Node> {
  using PreHook = std::function<Tensor(const Tensor&)>;
  Node();
  virtual ~Node();
  /// "AddBackward0", "MulBackward0", ... as in PyTorch.
  virtual std::string name() const = 0;
  virtual TensorList apply(TensorList&& grads) = 0;
  /// Frees saved tensors once backward ran without retain_graph.
  virtual void release_variables() {}

  const std::vector<Edge>& next_functions() const { return next_edges; }
  uint32_t num_outputs() const { return static_cast<uint32_t>(output_meta.size()); }

  std::vector<Edge> next_edges;
  std::vector<OutputMeta> output_meta;
  /// Hooks on the gradient of output k (registered through Tensor::register_hook).
  std::vector<std::pair<uint32_t, PreHook>> pre_hooks;
  uint64_t sequence_nr;
  /// Set in anomaly mode: which forward op created the node, and the call stack of that call
  /// (resolved to the user's source line only when an anomaly is reported).
  std::string anomaly_op;
  std::vector<void*> anomaly_stack;
  bool anomaly_recorded = false;
};

/// Per-tensor autograd state (allocated only for tensors that take part in autograd).
struct AutogradMeta {
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  std::weak_ptr<Node> grad_accumulator;  // leaves only
  uint32_t output_nr = 0;
  bool requires_grad = false;
  bool retains_grad = false;
  std::vector<Node::PreHook> leaf_hooks;  // hooks registered on a leaf
};

/// True while gradients are being recorded on this thread (default true).
struct GradMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

/// Disables gradient recording in a scope: `{ NoGradGuard g; ... }`.
class NoGradGuard {
 public:
  NoGradGuard() : prev_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

/// Sets grad mode in a scope.
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled) : prev_(GradMode::is_enabled()) { GradMode::set_enabled(enabled); }
  ~AutoGradMode() { GradMode::set_enabled(prev_); }

 private:
  bool prev_;
};

/// Anomaly detection: every op records where it was called; a NaN/Inf produced in forward or
/// backward throws an AutogradError naming the forward op and the user's source line.
struct AnomalyMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard() : prev_(AnomalyMode::is_enabled()) { AnomalyMode::set_enabled(true); }
  ~DetectAnomalyGuard() { AnomalyMode::set_enabled(prev_); }

 private:
  bool prev_;
};

/// Captures the current call stack (anomaly mode) and names the first frame outside sinter
/// as "function at file:line" (falls back to the symbol name when no debug info is present).
std::vector<void*> capture_call_stack();
std::string describe_user_frame(const std::vector<void*>& stack);

namespace autograd {

/// Computes and accumulates gradients of `tensors` into the leaves' .grad().
void backward(const TensorList& tensors, const TensorList& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
              const TensorList& inputs = {});

/// Returns d(outputs)/d(inputs) without touching any .grad().
TensorList grad(const TensorList& outputs, const TensorList& inputs,
                const TensorList& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false, bool allow_unused = false);

/// Context handed to a custom Function's forward/backward.
struct AutogradContext {
  void save_for_backward(TensorList to_save);
  TensorList get_saved_variables() const;
  void mark_dirty(const TensorList& inputs);
  void mark_non_differentiable(const TensorList& outputs);
  bool needs_input_grad(size_t i) const;
  /// Arbitrary data for backward (ints, doubles, strings, ...).
  std::unordered_map<std::string, std::any> saved_data;

  // internal
  TensorList saved_;
  std::vector<uint32_t> saved_versions_;
  std::vector<bool> needs_input_grad_;
  std::vector<TensorImpl*> non_differentiable_;
  bool released_ = false;
};

namespace detail {
/// Wires the outputs of a custom function into the graph.
TensorList wrap_custom_function(const std::string& name, const TensorList& inputs, TensorList outputs,
                                std::shared_ptr<AutogradContext> ctx,
                                std::function<TensorList(AutogradContext*, TensorList)> backward);
TensorList to_list(const Tensor& t);
TensorList to_list(const TensorList& t);
template <class T>
void collect(TensorList& out, const T& v) {
  if constexpr (std::is_same_v<std::decay_t<T>, Tensor>) out.push_back(v);
  else if constexpr (std::is_same_v<std::decay_t<T>, TensorList>) out.insert(out.end(), v.begin(), v.end());
}
}  // namespace detail

/// Custom autograd function, as in LibTorch:
///   struct MyOp : Function<MyOp> {
///     static Tensor forward(AutogradContext* ctx, Tensor x) { ... }
///     static TensorList backward(AutogradContext* ctx, TensorList grad_outputs) { ... }
///   };
///   auto y = MyOp::apply(x);
template <class T>
struct Function {
  template <class... Args>
  static auto apply(Args&&... args) {
    auto ctx = std::make_shared<AutogradContext>();
    TensorList inputs;
    (detail::collect(inputs, args), ...);
    for (auto& t : inputs) ctx->needs_input_grad_.push_back(t.defined() && t.requires_grad());
    using Out = decltype(T::forward(ctx.get(), std::forward<Args>(args)...));
    Out out;
    {
      AutoGradMode g(false);
      out = T::forward(ctx.get(), std::forward<Args>(args)...);
    }
    TensorList outs = detail::wrap_custom_function(
        typeid(T).name(), inputs, detail::to_list(out), ctx,
        [](AutogradContext* c, TensorList g) { return T::backward(c, std::move(g)); });
    if constexpr (std::is_same_v<Out, Tensor>) return outs[0];
    else return outs;
  }
};

}  // namespace autograd

template <class T>
using Function = autograd::Function<T>;
using autograd::AutogradContext;

/// Options for gradcheck.
struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  bool check_backward_ad = true;
};
/// Compares analytic gradients of fn (w.r.t. the float64 inputs requiring grad) with central
/// finite differences. Returns true when they agree; on mismatch throws AutogradError that
/// names the input and the element (or returns false when raise_exception is false).
bool gradcheck(const std::function<TensorList(const TensorList&)>& fn, const TensorList& inputs,
               const GradcheckOptions& opts = {}, bool raise_exception = true);
/// Second-order check: gradcheck of the gradient function (create_graph=true).
bool gradgradcheck(const std::function<TensorList(const TensorList&)>& fn, const TensorList& inputs,
                   const GradcheckOptions& opts = {}, bool raise_exception = true);

}  // namespace sinter
