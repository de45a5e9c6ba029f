// The single dispatch path of every op: meta -> allocate -> kernel -> autograd -> anomaly.
#include <cmath>

#include "autograd/autograd_internal.h"
#include "core/tensor_util.h"
#include "ops/registry.h"
#include "sinter/ops/factory.h"

namespace sinter::ops {

using autograd::detail::SavedTensor;

namespace {

/// The tape node of a registry op.
struct OpNode final : Node {
  const OpDef* op;
  Attrs attrs;
  std::vector<SavedTensor> saved_in, saved_out;
  std::vector<bool> needs;
  bool released = false;

  std::string name() const override { return op->backward_name; }

  TensorList apply(TensorList&& grads) override {
    SINTER_CHECK(!released, AutogradError, "Trying to backward through the graph a second time (op ", op->name,
                 "), or to directly access saved tensors after they have already been freed. Saved intermediate "
                 "values of the graph are freed when you call backward() or autograd::grad(). Specify "
                 "retain_graph=true if you need to backward through the graph a second time.");
    for (size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined() && is_floating_point(output_meta[i].dtype))
        grads[i] = sinter::zeros(output_meta[i].sizes, TensorOptions(output_meta[i].dtype).device(output_meta[i].device));
    BackwardCtx ctx{*op, attrs, {}, {}, needs};
    auto self = shared_from_this();
    ctx.inputs.reserve(saved_in.size());
    for (auto& s : saved_in) ctx.inputs.push_back(s.unpack(self, 0, op->name.c_str()));
    for (uint32_t i = 0; i < saved_out.size(); ++i) ctx.outputs.push_back(saved_out[i].unpack(self, i, op->name.c_str()));
    return op->backward(ctx, grads);
  }
  void release_variables() override {
    saved_in.clear();
    saved_out.clear();
    released = true;
  }
};

Device device_of(std::span<const Tensor> in) {
  for (auto& t : in)
    if (t.defined()) return t.device();
  return Device();
}

const Attrs& with_defaults(const OpDef& op, const Attrs& attrs, Attrs& storage) {
  if (attrs.size() >= op.attr_specs.size()) return attrs;
  storage = attrs;
  for (size_t i = attrs.size(); i < op.attr_specs.size(); ++i) storage.push(op.attr_specs[i].default_value);
  return storage;
}

bool any_requires_grad(std::span<const Tensor> in) {
  for (auto& t : in)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

std::shared_ptr<OpNode> make_node(const OpDef& op, std::span<const Tensor> in, const Attrs& attrs,
                                  const Tensor* saved_self_override) {
  auto node = std::make_shared<OpNode>();
  node->op = &op;
  node->attrs = attrs;
  node->next_edges.reserve(in.size());
  node->needs.reserve(in.size());
  for (auto& t : in) {
    Edge e = t.defined() ? autograd::detail::gradient_edge(t) : Edge{};
    node->needs.push_back(e.valid());
    node->next_edges.push_back(std::move(e));
  }
  if (op.save & kSaveInputs) {
    node->saved_in.resize(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      if (!(op.save_input_mask >> i & 1u) || !in[i].defined()) continue;
      const Tensor& t = (i == 0 && saved_self_override) ? *saved_self_override : in[i];
      node->saved_in[i] = SavedTensor(t, false);
    }
  }
  if (AnomalyMode::is_enabled()) {
    node->anomaly_op = op.name;
    node->anomaly_stack = capture_call_stack();
    node->anomaly_recorded = true;
  }
  return node;
}

void attach_outputs(const std::shared_ptr<OpNode>& node, Outputs& outs) {
  node->output_meta.reserve(outs.n);
  for (uint32_t i = 0; i < outs.n; ++i) {
    node->output_meta.push_back(autograd::detail::output_meta_of(outs[i]));
    if (is_floating_point(outs[i].dtype())) autograd::detail::set_history(outs[i], node, i);
  }
  if (node->op->save & kSaveOutputs) {
    node->saved_out.reserve(outs.n);
    for (uint32_t i = 0; i < outs.n; ++i) node->saved_out.emplace_back(outs[i], true);
  }
}

void anomaly_check(const OpDef& op, const Outputs& outs) {
  if (autograd::detail::in_backward()) return;  // the engine checks what backward functions return
  for (size_t i = 0; i < outs.n; ++i)
    if (outs.t[i].defined() && is_floating_point(outs.t[i].dtype()))
      autograd::detail::check_finite(outs.t[i], "forward op '" + op.name + "' output " + std::to_string(i), nullptr);
}

KernelFn kernel_for(const OpDef& op, Device dev) {
  SINTER_CHECK(dev.is_cpu(), NotImplementedError, op.name, ": no kernel for device ", dev.str());
  KernelFn k = ReferenceKernels::enabled() ? op.cpu_ref : op.cpu;
  SINTER_ASSERT(k != nullptr, "op ", op.name, " has no CPU kernel");
  return k;
}

}  // namespace

Outputs dispatch(const OpDef& op, std::span<const Tensor> inputs, const Attrs& attrs_in) {
  Attrs filled;
  const Attrs& attrs = with_defaults(op, attrs_in, filled);
  std::array<OutSpec, kMaxOutputs> specs;
  size_t n = 0;
  Outputs outs;
  OpCall c{op, inputs, attrs, {}};
  check_string_inputs(op, inputs);
  op.meta(c, specs, n);
  check_string_outputs(op, inputs, specs, n);
  outs.n = n;
  if (op.is_view) {
    for (size_t i = 0; i < n; ++i) outs[i] = detail::make_alias(inputs[0], specs[i].sizes, specs[i].strides, specs[i].offset);
  } else {
    Device dev = device_of(inputs);
    for (size_t i = 0; i < n; ++i) outs[i] = detail::make_empty(specs[i].sizes, specs[i].dtype, dev);
    OpCall kc{op, inputs, attrs, std::span<Tensor>(outs.t.data(), n)};
    kernel_for(op, dev)(kc);
  }
  if (op.backward && GradMode::is_enabled() && any_requires_grad(inputs)) {
    auto node = make_node(op, inputs, attrs, nullptr);
    attach_outputs(node, outs);
  }
  if (AnomalyMode::is_enabled()) anomaly_check(op, outs);
  return outs;
}

Tensor call(const OpDef& op, std::initializer_list<Tensor> inputs, const Attrs& attrs) {
  return dispatch(op, std::span<const Tensor>(inputs.begin(), inputs.size()), attrs).release(0);
}

Outputs call_multi(const OpDef& op, std::initializer_list<Tensor> inputs, const Attrs& attrs) {
  return dispatch(op, std::span<const Tensor>(inputs.begin(), inputs.size()), attrs);
}

static bool can_cast(DType from, DType to) {
  // PyTorch's canCast: no float->integral, no non-bool->bool.
  if (is_floating_point(from) && is_integral(to, false)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

static void check_out(const OpDef& op, const OutSpec& spec, const Tensor& out, bool inplace) {
  SINTER_CHECK(out.sizes() == IntArrayRef(spec.sizes), ShapeError, op.name, inplace ? "_" : "",
               ": output with shape ", shape_str(out.sizes()), " doesn't match the broadcast shape ",
               shape_str(spec.sizes));
  SINTER_CHECK(can_cast(spec.dtype, out.dtype()), DTypeError, op.name, inplace ? "_" : "", ": result type ",
               dtype_name(spec.dtype), " can't be cast to the desired output type ", dtype_name(out.dtype()));
}

Tensor& call_inplace(const OpDef& op, Tensor& self, std::initializer_list<Tensor> inputs, const Attrs& attrs_in) {
  return call_inplace(op, self, std::span<const Tensor>(inputs.begin(), inputs.size()), attrs_in);
}

Tensor& call_inplace(const OpDef& op, Tensor& self, std::span<const Tensor> in, const Attrs& attrs_in) {
  Attrs filled;
  const Attrs& attrs = with_defaults(op, attrs_in, filled);
  std::array<OutSpec, kMaxOutputs> specs;
  size_t n = 0;
  OpCall c{op, in, attrs, {}};
  check_string_inputs(op, in);
  op.meta(c, specs, n);
  check_string_outputs(op, in, specs, n);
  check_out(op, specs[0], self, true);
  bool record = op.backward && GradMode::is_enabled() && any_requires_grad(in);
  if (record) {
    SINTER_CHECK(!(self.requires_grad() && self.is_leaf()), AutogradError, op.name,
                 "_: a leaf Variable that requires grad is being used in an in-place operation.");
  }
  // If the backward needs the old value of self, keep a copy (with its history).
  Tensor old_self;
  if (record && (op.save & kSaveInputs) && (op.save_input_mask & 1u)) old_self = self.clone();
  std::shared_ptr<OpNode> node;
  if (record) node = make_node(op, in, attrs, old_self.defined() ? &old_self : nullptr);

  Outputs outs;
  outs.n = n;
  if (specs[0].dtype == self.dtype()) {
    outs[0] = self;
    for (size_t i = 1; i < n; ++i) outs[i] = detail::make_empty(specs[i].sizes, specs[i].dtype, self.device());
    OpCall kc{op, in, attrs, std::span<Tensor>(outs.t.data(), n)};
    kernel_for(op, self.device())(kc);
  } else {
    for (size_t i = 0; i < n; ++i) outs[i] = detail::make_empty(specs[i].sizes, specs[i].dtype, self.device());
    OpCall kc{op, in, attrs, std::span<Tensor>(outs.t.data(), n)};
    kernel_for(op, self.device())(kc);
    NoGradGuard g;
    self.copy_(outs[0]);
  }
  self.storage()->bump_version();
  if (record) {
    outs[0] = self;
    attach_outputs(node, outs);
  }
  if (AnomalyMode::is_enabled()) anomaly_check(op, outs);
  return self;
}

Tensor& call_out(const OpDef& op, Tensor& out, std::initializer_list<Tensor> inputs, const Attrs& attrs_in) {
  std::span<const Tensor> in(inputs.begin(), inputs.size());
  Attrs filled;
  const Attrs& attrs = with_defaults(op, attrs_in, filled);
  std::array<OutSpec, kMaxOutputs> specs;
  size_t n = 0;
  OpCall c{op, in, attrs, {}};
  check_string_inputs(op, in);
  op.meta(c, specs, n);
  check_string_outputs(op, in, specs, n);
  SINTER_CHECK(!(GradMode::is_enabled() && (any_requires_grad(in) || out.requires_grad())), AutogradError, op.name,
               "(): functions with out=... arguments don't support automatic differentiation");
  check_out(op, specs[0], out, false);
  Tensor tmp = detail::make_empty(specs[0].sizes, specs[0].dtype, out.device());
  Outputs outs;
  outs.n = n;
  outs[0] = specs[0].dtype == out.dtype() && out.is_contiguous() ? out : tmp;
  for (size_t i = 1; i < n; ++i) outs[i] = detail::make_empty(specs[i].sizes, specs[i].dtype, out.device());
  OpCall kc{op, in, attrs, std::span<Tensor>(outs.t.data(), n)};
  kernel_for(op, out.device())(kc);
  if (!outs[0].is_same(out)) out.copy_(outs[0]);
  out.storage()->bump_version();
  return out;
}

}  // namespace sinter::ops
