// Shape inference through the ops' meta functions.
#include <map>

#include "core/tensor_util.h"
#include "graph/graph_util.h"
#include "sinter/ops/factory.h"

namespace sinter::graph {

Tensor meta_tensor(IntArrayRef sizes, DType dtype) {
  Storage* st = Storage::wrap(nullptr, 0, Device(), nullptr, nullptr);
  auto* impl = new TensorImpl(st, dtype);
  impl->sizes.assign(sizes.begin(), sizes.end());
  impl->strides = ops::contiguous_strides(sizes);
  impl->refresh();
  return Tensor(impl);
}

MetaResult run_meta(const Node& n, std::span<const Tensor> inputs, const ops::Attrs& attrs) {
  MetaResult r;
  ops::OpCall c{*n.op, inputs, attrs, {}};
  with_node_context(n, [&] {
    ops::check_string_inputs(*n.op, inputs);
    n.op->meta(c, r.specs, r.n);
    ops::check_string_outputs(*n.op, inputs, r.specs, r.n);
  });
  SINTER_CHECK(r.n >= n.outputs.size(), ValueError, "node '", n.name, "' (", n.kind, "): the op gives ", r.n,
               " outputs, the node has ", n.outputs.size());
  return r;
}

namespace {

// Representative sizes of the k-th symbol in the two inference runs (distinct, so a dim that
// follows a symbol in both runs is recognised, and a static dim can never match both).
int64_t representative(size_t run, size_t k) { return run == 0 ? 97 + 2 * static_cast<int64_t>(k) : 61 + 2 * static_cast<int64_t>(k); }

}  // namespace

namespace {

/// Shape inference state: two stand-ins per value (one per representative-size run).
struct Inference {
  std::map<std::string, size_t, std::less<>>& symbols;
  std::map<const Value*, std::array<Tensor, 2>> st;

  size_t sym_index(const std::string& s) { return symbols.emplace(s, symbols.size()).first->second; }
  const std::string* symbol_at(size_t run, int64_t size) const {
    for (auto& [s, k] : symbols)
      if (representative(run, k) == size) return &s;
    return nullptr;
  }
  /// Makes v's stand-ins from its constant, its shape-derived value or its (fully known)
  /// shape; false if unknown.
  bool standin(const Value* v) {
    if (st.count(v)) return true;
    if (v->is_constant()) {
      st[v] = {v->constant, v->constant};
      return true;
    }
    if (has_data(v->shape_value[0]) && has_data(v->shape_value[1])) {
      st[v] = v->shape_value;
      return true;
    }
    if (!v->shape) return false;
    std::array<DimVector, 2> sz;
    for (auto& d : *v->shape) {
      if (d.is_unknown()) return false;
      for (size_t r = 0; r < 2; ++r) sz[r].push_back(d.is_static() ? d.value : representative(r, sym_index(d.symbol)));
    }
    st[v] = {meta_tensor(sz[0], v->dtype), meta_tensor(sz[1], v->dtype)};
    return true;
  }
  void node(Node* n);
  void forget(Node* n) {
    for (Value* o : n->outputs) {
      o->shape.reset();
      o->shape_value = {};
      st.erase(o);
    }
  }
};

// The dtype of an output whose attributes are known only at run time: the op's explicit
// dtype attribute when it has one, else its first input's.
DType fallback_dtype(const Node& n) {
  const auto& specs = n.op->attr_specs;
  for (size_t i = 0; i < specs.size() && i < n.attrs().size(); ++i)
    if (specs[i].name == "dtype" && std::holds_alternative<DType>(n.attrs()[i])) return std::get<DType>(n.attrs()[i]);
  for (size_t i = 0; i < n.num_op_inputs(); ++i)
    if (n.inputs[i]) return n.inputs[i]->dtype;
  return DType::Float;
}

void Inference::node(Node* n) {
  bool known = n->op != nullptr;
  for (Value* v : n->inputs)
    if (v && !standin(v)) known = false;
  if (!known) {
    forget(n);
    return;
  }
  const size_t n_op = n->num_op_inputs();
  const ops::Attrs full = n->full_attrs();
  std::array<std::vector<Tensor>, 2> ins;
  std::array<std::optional<ops::Attrs>, 2> attrs;
  for (size_t r = 0; r < 2; ++r) {
    for (Value* v : n->inputs) ins[r].push_back(v ? st.at(v)[r] : Tensor());
    attrs[r] = resolve_attrs(*n, full, ins[r]);
    ins[r].resize(n_op);
  }
  // Attributes from values known only at run time: dtype, and rank when that is fixed.
  if (!attrs[0] || !attrs[1]) {
    forget(n);
    for (Value* o : n->outputs) o->dtype = fallback_dtype(*n);
    return;
  }
  bool from_shapes = false;  // an attribute came from a shape-derived value
  for (size_t k = 0; k < n->attr_inputs.size(); ++k) from_shapes = from_shapes || !n->inputs[n_op + k]->is_constant();
  bool dynamic = false;  // a data-dependent op over non-constant inputs: dtype and rank only
  for (size_t i = 0; i < n_op; ++i)
    if (n->inputs[i] && n->op->data_dependent && !has_data(ins[0][i])) dynamic = true;
  if (dynamic) {
    std::vector<Tensor> in;  // meta reads values here: zeros of the representative shape
    for (size_t i = 0; i < n_op; ++i) {
      const Tensor& t = ins[0][i];
      if (!t.defined() || has_data(t)) in.push_back(t);
      else if (t.dtype() == DType::String) in.push_back(sinter::empty(t.sizes(), TensorOptions(t.dtype())));  // ""s
      else in.push_back(sinter::zeros(t.sizes(), TensorOptions(t.dtype())));
    }
    MetaResult m = run_meta(*n, in, *attrs[0]);
    forget(n);
    for (size_t i = 0; i < n->outputs.size(); ++i) {
      n->outputs[i]->dtype = m.specs[i].dtype;
      n->outputs[i]->shape = Shape(m.specs[i].sizes.size(), Dim::unknown());
    }
    return;  // outputs have no stand-ins: everything downstream stays unknown
  }
  std::array<MetaResult, 2> res;
  std::array<bool, 2> real{false, false};
  try {
    for (size_t r = 0; r < 2; ++r) {
      const auto& in = ins[r];
      res[r] = run_meta(*n, in, *attrs[r]);
      // Small shape arithmetic is computed for real, so what it feeds stays static/symbolic.
      if (can_evaluate_early(*n, in)) {
        bool small = true;
        for (size_t i = 0; i < res[r].n; ++i) {
          int64_t numel = 1;
          for (auto d : res[r].specs[i].sizes) numel *= d;
          small = small && numel <= kMaxEarlyNumel;
        }
        if (small) {
          auto outs = evaluate_node(*n, in, *attrs[r]);
          for (size_t i = 0; i < n->outputs.size(); ++i) st[n->outputs[i]][r] = outs[i];
          real[r] = true;
          continue;
        }
      }
      for (size_t i = 0; i < n->outputs.size(); ++i) {
        const auto& sp = res[r].specs[i];
        if (n->op->is_view) {
          st[n->outputs[i]][r] = sinter::detail::make_alias(in[0], sp.sizes, sp.strides, sp.offset);
        } else {
          st[n->outputs[i]][r] = meta_tensor(sp.sizes, sp.dtype);
        }
      }
    }
  } catch (const InternalError&) {
    throw;
  } catch (const Error&) {
    // With symbolic inputs the representative sizes may be what fails (a symbol that must
    // equal a static size, as N + a constant of 2 rows). Probe with every non-static dim
    // set to 1 (which broadcasts with anything): if that fails too, the graph is wrong.
    bool symbolic = from_shapes;
    std::vector<Tensor> probe;
    for (size_t i = 0; i < n_op; ++i) {
      Value* v = n->inputs[i];
      if (!v || v->is_constant()) {
        probe.push_back(v ? v->constant : Tensor());
        continue;
      }
      if (!v->shape) {
        symbolic = true;
        probe.push_back(ins[0][i]);
        continue;
      }
      DimVector sz;
      for (auto& d : *v->shape) {
        symbolic = symbolic || !d.is_static();
        sz.push_back(d.is_static() ? d.value : 1);
      }
      probe.push_back(meta_tensor(sz, v->dtype));
    }
    if (!symbolic) throw;
    if (!from_shapes) run_meta(*n, probe, *attrs[0]);  // throws the graph's error (sizes shown with symbols as 1)
    forget(n);  // known only at run time
    return;
  }
  for (size_t i = 0; i < n->outputs.size(); ++i) {
    Value* o = n->outputs[i];
    const auto& a = res[0].specs[i];
    const auto& b = res[1].specs[i];
    o->dtype = n->op->is_view && n->inputs[0] ? n->inputs[0]->dtype : a.dtype;
    if (real[0] && real[1])
      o->shape_value = st[o];
    else
      o->shape_value = {};
    Shape s;
    if (a.sizes.size() != b.sizes.size()) {
      o->shape.reset();  // rank depends on a symbol
      st.erase(o);
      continue;
    }
    for (size_t d = 0; d < a.sizes.size(); ++d) {
      if (a.sizes[d] == b.sizes[d]) {
        s.push_back(Dim(a.sizes[d]));
      } else {
        const std::string* sa = symbol_at(0, a.sizes[d]);
        const std::string* sb = symbol_at(1, b.sizes[d]);
        if (sa && sb && *sa == *sb)
          s.push_back(Dim(*sa));
        else
          s.push_back(Dim::unknown());
      }
    }
    o->shape = std::move(s);
  }
}

}  // namespace

void Graph::infer_shapes() {
  verify();
  Inference inf{symbols_, {}};
  for (auto& vp : values_)  // node outputs are (re)computed below, in order
    if (vp->kind != Value::Kind::NodeOutput) inf.standin(vp.get());
  for (Node* n : topo_order()) {
    for (Value* o : n->outputs) {
      o->shape.reset();
      o->shape_value = {};
    }
    inf.node(n);
  }
}

void Graph::infer_node(Node* n) {
  SINTER_CHECK(n != nullptr, ValueError, "graph '", name_, "': infer_node of a null node");
  for (Value* v : n->inputs)
    SINTER_CHECK(!v || v->kind != Value::Kind::Undefined, ValueError, "node '", n->name, "' (", n->kind,
                 "): input '", v->name, "' is not defined yet");
  Inference inf{symbols_, {}};
  inf.node(n);
}

}  // namespace sinter::graph
