// Attribute inputs (attributes whose values come from tensors) and evaluation of single nodes
// ahead of the run: shape inference and the Session's planner compute small shape-derived
// values (Shape -> Gather -> Concat) this way, so ops fed by them still get static shapes.
#include <algorithm>
#include <cstring>

#include "core/tensor_util.h"
#include "graph/graph_util.h"
#include "sinter/autograd.h"

namespace sinter::graph {

bool has_data(const Tensor& t) { return t.defined() && (t.numel() == 0 || t.storage()->data() != nullptr); }

bool is_nondeterministic(const ops::OpDef& op) { return op.random; }

ops::AttrValue attr_from_tensor(const Node& n, size_t attr, const Tensor& t_in) {
  const auto& spec = n.op->attr_specs.at(attr);
  auto fail = [&](const std::string& why) {
    throw ValueError(detail::str_cat("node '", n.name, "' (", n.kind, "): attribute input '", spec.name, "' ", why,
                                     " (got ", dtype_name(t_in.dtype()), shape_str(t_in.sizes()), ")"));
  };
  if (t_in.dim() > 1) fail("must be 0-D or 1-D");
  if (t_in.numel() > (int64_t(1) << 16)) fail("has too many elements");
  Tensor t = t_in.contiguous();
  const auto& def = spec.default_value;
  // Without a typed default, a 1-D integer tensor is a list (read as its element where the op
  // wants a scalar, see Attrs::s); a 1-D float tensor of one element is a scalar.
  bool want_list = std::holds_alternative<DimVector>(def) ||
                   (std::holds_alternative<std::monostate>(def) && t.dim() == 1 && is_integral(t.dtype()));
  if (want_list) {
    if (!is_integral(t.dtype())) fail("must be an integer tensor");
    Tensor l = t.to(DType::Long).contiguous();
    const int64_t* p = static_cast<const int64_t*>(l.data_ptr());
    return DimVector(IntArrayRef(p, static_cast<size_t>(l.numel())));
  }
  if (t.numel() != 1) fail("must hold one value");
  Scalar v = t.item();
  if (std::holds_alternative<int64_t>(def)) {
    if (!is_integral(t.dtype())) fail("must be an integer");
    return v.to<int64_t>();
  }
  if (std::holds_alternative<double>(def)) return v.to<double>();
  if (std::holds_alternative<bool>(def)) return v.to<bool>();
  if (std::holds_alternative<Scalar>(def)) return v;
  if (!std::holds_alternative<std::monostate>(def)) fail("cannot give this attribute's type");
  if (t.dtype() == DType::Bool) return v.to<bool>();
  if (is_integral(t.dtype())) return v.to<int64_t>();
  return v.to<double>();
}

std::optional<ops::Attrs> resolve_attrs(const Node& n, const ops::Attrs& full, std::span<const Tensor> inputs) {
  if (n.attr_inputs.empty()) return full;
  ops::Attrs a = full;
  size_t base = n.num_op_inputs();
  for (size_t k = 0; k < n.attr_inputs.size(); ++k) {
    const Tensor& t = inputs[base + k];
    if (!has_data(t)) return std::nullopt;
    a[n.attr_inputs[k]] = attr_from_tensor(n, n.attr_inputs[k], t);
  }
  return a;
}

bool can_evaluate_early(const Node& n, std::span<const Tensor> op_inputs) {
  if (!n.op || is_nondeterministic(*n.op) || !(n.op->cpu || n.op->is_view)) return false;
  for (const Tensor& t : op_inputs) {
    if (!t.defined()) continue;
    if (n.op->sizes_only) continue;
    if (!has_data(t) || t.numel() > kMaxEarlyNumel) return false;
  }
  return true;
}

std::vector<Tensor> evaluate_node(const Node& n, std::span<const Tensor> in, const ops::Attrs& attrs) {
  MetaResult m = run_meta(n, in, attrs);
  std::vector<Tensor> out;
  if (n.op->is_view) {
    for (size_t i = 0; i < m.n; ++i)
      out.push_back(sinter::detail::make_alias(in[0], m.specs[i].sizes, m.specs[i].strides, m.specs[i].offset));
    return out;
  }
  std::array<Tensor, ops::kMaxOutputs> outs;
  for (size_t i = 0; i < m.n; ++i) outs[i] = sinter::detail::make_empty(m.specs[i].sizes, m.specs[i].dtype);
  ops::OpCall c{*n.op, in, attrs, std::span<Tensor>(outs.data(), m.n)};
  ops::KernelFn kern = ops::ReferenceKernels::enabled() ? n.op->cpu_ref : n.op->cpu;
  SINTER_CHECK(kern != nullptr, NotImplementedError, "node '", n.name, "' (", n.kind, "): the op has no CPU kernel");
  {
    NoGradGuard ng;
    with_node_context(n, [&] { kern(c); });
  }
  for (size_t i = 0; i < m.n; ++i) out.push_back(std::move(outs[i]));
  return out;
}

}  // namespace sinter::graph
