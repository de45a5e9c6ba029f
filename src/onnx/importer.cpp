// ONNX ModelProto -> graph::Graph: graph inputs, initializers, nodes through the importer
// table (ops.cpp), outputs; plus the summary behind `sinter inspect`.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <set>

#include "graph/graph_util.h"
#include "onnx/onnx_internal.h"
#include "sinter/ops/factory.h"

namespace sinter::onnx {
namespace detail {

// ---- Ctx ---------------------------------------------------------------------------------

size_t Ctx::num_inputs() const {
  size_t n = static_cast<size_t>(node.input_size());
  while (n > 0 && node.input(static_cast<int>(n - 1)).empty()) --n;
  return n;
}

graph::Value* Ctx::in(size_t i) const {
  if (!has_in(i)) invalid(sinter::detail::str_cat("input ", i, " is required"));
  const std::string& n = node.input(static_cast<int>(i));
  auto it = names_.find(n);
  if (it == names_.end()) invalid("input '" + n + "' is not defined by a graph input, initializer or earlier node");
  if (!it->second) unsupported("input '" + n + "' is an optional output that the importer does not produce");
  return it->second;
}

Tensor Ctx::const_in(size_t i, const char* what) const {
  graph::Value* v = in(i);
  if (!v->is_initializer())
    unsupported(sinter::detail::str_cat(what, " (input ", i, " '", v->name, "') must be a constant"));
  return v->constant;
}

std::vector<int64_t> Ctx::const_ints(size_t i, const char* what) const {
  Tensor t = const_in(i, what);
  if (!is_integral(t.dtype())) invalid(sinter::detail::str_cat(what, " must be an integer tensor"));
  if (t.dim() > 1) invalid(sinter::detail::str_cat(what, " must be 1-D"));
  Tensor l = t.to(DType::Long).contiguous();
  const int64_t* p = static_cast<const int64_t*>(l.data_ptr());
  return std::vector<int64_t>(p, p + l.numel());
}

const ::onnx::AttributeProto* Ctx::attr(const char* name) const {
  for (auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t Ctx::attr_i(const char* name, int64_t def) const {
  auto* a = attr(name);
  if (!a) return def;
  if (a->type() != ::onnx::AttributeProto::INT && !(a->type() == 0 && a->has_i()))
    invalid(std::string("attribute '") + name + "' must be an int");
  return a->i();
}
double Ctx::attr_f(const char* name, double def) const {
  auto* a = attr(name);
  if (!a) return def;
  if (a->type() != ::onnx::AttributeProto::FLOAT && !(a->type() == 0 && a->has_f()))
    invalid(std::string("attribute '") + name + "' must be a float");
  return a->f();
}
std::string Ctx::attr_s(const char* name, const std::string& def) const {
  auto* a = attr(name);
  if (!a) return def;
  if (a->type() != ::onnx::AttributeProto::STRING && !(a->type() == 0 && a->has_s()))
    invalid(std::string("attribute '") + name + "' must be a string");
  return a->s();
}
std::vector<int64_t> Ctx::attr_ints(const char* name, std::vector<int64_t> def) const {
  auto* a = attr(name);
  if (!a) return def;
  if (a->ints_size() > 1024) invalid(std::string("attribute '") + name + "' has too many values");
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}
std::vector<double> Ctx::attr_floats(const char* name) const {
  auto* a = attr(name);
  if (!a) return {};
  return std::vector<double>(a->floats().begin(), a->floats().end());
}
std::vector<std::string> Ctx::attr_strings(const char* name) const {
  auto* a = attr(name);
  if (!a) return {};
  if (a->strings_size() > 1024) invalid(std::string("attribute '") + name + "' has too many values");
  return std::vector<std::string>(a->strings().begin(), a->strings().end());
}
Tensor Ctx::attr_t(const char* name) const {
  auto* a = attr(name);
  if (!a || !a->has_t()) invalid(std::string("attribute '") + name + "' must be a tensor");
  return tensor_from_proto(a->t(), opts_, std::string("attribute '") + name + "'");
}

std::string Ctx::fresh(const std::string& base) {
  std::string n = base;
  for (int k = 1; g.find(n) != nullptr || names_.count(n); ++k) n = base + "_" + std::to_string(k);
  return n;
}

graph::Value* Ctx::constant(const Tensor& t) {
  std::string base = (node.name().empty() ? node.op_type() : node.name()) + "/const";
  if (t.nbytes() > opts_.max_tensor_bytes)
    invalid(sinter::detail::str_cat("constant of shape ", shape_str(t.sizes()), " is above the tensor size limit"));
  return g.add_initializer(fresh(base), t.is_contiguous() ? t : t.contiguous());
}

graph::Value* Ctx::scalar(double v, DType dt) { return constant(ops::scalar_tensor(Scalar(v), dt).to(dt)); }

std::vector<graph::Value*> Ctx::emit_n(const char* op, std::vector<graph::Value*> inputs, ops::Attrs attrs,
                                        AttrIn attr_in) {
  if (attr_in.empty()) return emit_n(op, std::move(inputs), std::move(attrs));
  const ops::OpDef* def = ops::Registry::get().find(op);
  SINTER_ASSERT(def != nullptr, "onnx importer names unknown op ", op);
  bool all_const = true;
  for (auto& [a, v] : attr_in) all_const = all_const && v->is_initializer();
  if (all_const) {  // resolve now; the op then folds like any other
    graph::Node tmp;
    tmp.op = def;
    tmp.kind = op;
    tmp.name = node.name().empty() ? node.op_type() : node.name();
    for (auto& [a, v] : attr_in) {
      for (size_t k = attrs.size(); k < a; ++k) attrs[k] = def->attr_specs[k].default_value;
      try {
        attrs[a] = graph::attr_from_tensor(tmp, a, v->constant);
      } catch (const ValueError& e) {
        invalid(e.what());
      }
    }
    return emit_n(op, std::move(inputs), std::move(attrs));
  }
  std::vector<graph::ValueRef> refs;
  for (auto* v : inputs) refs.emplace_back(v);
  std::string base = (node.name().empty() ? node.op_type() : node.name()) + "/" + op;
  graph::Node* n = g.add_node(*def, std::move(refs), std::move(attrs), -1, fresh(base));
  for (auto& [a, v] : attr_in) g.bind_attr_input(n, a, v);
  return n->outputs;
}

graph::Value* Ctx::shape_of(graph::Value* v, int64_t start, int64_t end) {
  if (v->is_tensor() && !v->shape) g.infer_shapes();
  if (v->is_tensor() && !v->shape) return emit("shape", {v}, {start, end});  // rank known only at run time
  graph::Shape s = shape(v);
  int64_t r = static_cast<int64_t>(s.size());
  start = std::clamp<int64_t>(start < 0 ? start + r : start, 0, r);
  end = std::clamp<int64_t>(end < 0 ? end + r : end, start, r);
  bool stat = true;
  for (int64_t i = start; i < end; ++i) stat = stat && s[i].is_static();
  if (stat) {
    std::vector<int64_t> d;
    for (int64_t i = start; i < end; ++i) d.push_back(s[i].value);
    return constant(d.empty() ? empty({0}, TensorOptions(DType::Long)) : tensor(d));
  }
  return emit("shape", {v}, {start, end});
}

SubgraphImport Ctx::subgraph(const char* name, const std::vector<DType>& dtypes) {
  auto* a = attr(name);
  if (!a || !a->has_g()) invalid(std::string("attribute '") + name + "' must be a graph");
  SINTER_ASSERT(import_subgraph != nullptr, "importer: no subgraph importer");
  return import_subgraph(a->g(), dtypes);
}

std::vector<graph::Value*> Ctx::emit_control(const char* kind, std::vector<graph::Value*> inputs, ops::Attrs attrs,
                                              std::vector<std::shared_ptr<graph::Graph>> bodies, size_t n_out) {
  std::string base = (node.name().empty() ? node.op_type() : node.name()) + "/" + kind;
  std::string name = fresh(base);
  // Control nodes' outputs are "<name>.<i>": a taken first output name means a taken node name.
  for (int k = 1; g.find(name + ".0"); ++k) name = fresh(base + "_" + std::to_string(k));
  std::vector<std::string> outs;
  for (size_t i = 0; i < n_out; ++i) outs.push_back(fresh(name + "." + std::to_string(i)));
  std::vector<graph::ValueRef> refs;
  for (auto* v : inputs) refs.emplace_back(v);
  return g.add_control_node(kind, std::move(refs), std::move(attrs), std::move(outs), std::move(bodies), name)->outputs;
}

graph::Value* Ctx::element(graph::Value* v, int64_t i) { return emit("clone", {emit("select", {v}, {int64_t(0), i})}); }

std::vector<graph::Value*> Ctx::emit_n(const char* op, std::vector<graph::Value*> inputs, ops::Attrs attrs) {
  for (auto* v : inputs)
    if (v && !v->is_tensor())
      invalid("'" + v->name + "' is a " + graph::value_type_name(v->type) + ", the op takes tensors");
  const ops::OpDef* def = ops::Registry::get().find(op);
  SINTER_ASSERT(def != nullptr, "onnx importer names unknown op ", op);
  bool all_const = !graph::is_nondeterministic(*def);  // random ops draw at every run
  for (auto* v : inputs)
    if (v && !v->is_initializer()) all_const = false;
  if (all_const && !inputs.empty()) {
    std::vector<Tensor> ts;
    for (auto* v : inputs) ts.push_back(v ? v->constant : Tensor());
    ops::Attrs full = attrs;
    for (size_t k = full.size(); k < def->attr_specs.size(); ++k) full[k] = def->attr_specs[k].default_value;
    // Folding computes at load time: refuse results beyond the tensor size limit first.
    std::array<ops::OutSpec, ops::kMaxOutputs> spec;
    size_t n_spec = 0;
    ops::OpCall call{*def, ts, full, {}};
    def->meta(call, spec, n_spec);
    for (size_t k = 0; k < n_spec; ++k) {
      double bytes = static_cast<double>(element_size(spec[k].dtype));
      for (auto d : spec[k].sizes) bytes *= static_cast<double>(d);
      if (bytes > static_cast<double>(opts_.max_tensor_bytes))
        invalid(sinter::detail::str_cat(op, " of constants would make ", shape_str(spec[k].sizes),
                                        " (above the tensor size limit)"));
    }
    auto outs = ops::dispatch(*def, ts, full);
    std::vector<graph::Value*> r;
    for (size_t k = 0; k < outs.n; ++k) r.push_back(constant(outs[k]));
    return r;
  }
  std::vector<graph::ValueRef> refs;
  for (auto* v : inputs) refs.emplace_back(v);
  std::string base = (node.name().empty() ? node.op_type() : node.name()) + "/" + op;
  graph::Node* n = g.add_node(*def, std::move(refs), std::move(attrs), -1, fresh(base));
  return n->outputs;
}

void Ctx::set_out(size_t i, graph::Value* v) {
  if (!has_out(i)) return;
  const std::string& n = node.output(static_cast<int>(i));
  if (names_.count(n)) invalid("output '" + n + "' is already defined");
  names_[n] = v;
}

graph::Shape Ctx::shape(graph::Value* v) {
  if (!v->is_tensor())
    invalid("'" + v->name + "' is a " + graph::value_type_name(v->type) + ", the op takes a tensor");
  if (!v->shape) g.infer_shapes();
  if (!v->shape) unsupported("the shape of '" + v->name + "' is unknown");
  return *v->shape;
}
DimVector Ctx::static_shape(graph::Value* v, const char* why) {
  auto s = shape(v);
  if (!graph::is_static(s))
    unsupported(sinter::detail::str_cat(why, " needs a static shape for '", v->name, "', got ", graph::shape_string(s)));
  return graph::static_sizes(s);
}
DType Ctx::dtype(graph::Value* v) {
  if (v->kind == graph::Value::Kind::NodeOutput && v->is_tensor() && v->producer->op && !v->shape) g.infer_shapes();
  return v->dtype;
}
int64_t Ctx::axis(int64_t a, int64_t r, const char* what) const {
  if (a < -r || a >= r)
    invalid(sinter::detail::str_cat(what, " ", a, " is out of range for rank ", r));
  return a < 0 ? a + r : a;
}

void Ctx::unsupported(const std::string& what) const { throw NotImplementedError(what); }
void Ctx::invalid(const std::string& what) const { throw ValueError(what); }

namespace {

template <class E>
[[noreturn]] void rethrow_as(const std::string& prefix, const E& e) {
  throw E(prefix + e.what());
}

[[noreturn]] void rethrow_with(const std::string& prefix) {
  try {
    throw;
  } catch (const ShapeError& e) { rethrow_as(prefix, e);
  } catch (const DTypeError& e) { rethrow_as(prefix, e);
  } catch (const IndexError& e) { rethrow_as(prefix, e);
  } catch (const IOError& e) { rethrow_as(prefix, e);
  } catch (const NotImplementedError& e) { rethrow_as(prefix, e);
  } catch (const ValueError& e) { rethrow_as(prefix, e);
  } catch (const InternalError& e) { throw;
  } catch (const Error& e) { throw ValueError(prefix + e.what());
  } catch (const std::bad_alloc&) { throw ValueError(prefix + "out of memory");
  } catch (const std::exception& e) { throw ValueError(prefix + e.what());
  }
}

graph::Shape value_info_shape(const ::onnx::ValueInfoProto& vi, const LoadOptions& o, DType dt) {
  graph::Shape s;
  const auto& tt = vi.type().tensor_type();
  if (!tt.has_shape()) throw NotImplementedError("onnx: input '" + vi.name() + "' has no shape (rank unknown)");
  if (tt.shape().dim_size() > 64) throw ShapeError("onnx: input '" + vi.name() + "' has too many dims");
  const int64_t limit = o.max_tensor_bytes / static_cast<int64_t>(element_size(dt));
  int k = 0;
  for (auto& d : tt.shape().dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0)
        throw ShapeError(sinter::detail::str_cat("onnx: input '", vi.name(), "': negative dim ", d.dim_value()));
      if (d.dim_value() > limit)
        throw ShapeError(sinter::detail::str_cat("onnx: input '", vi.name(), "': dim ", d.dim_value(),
                                                 " exceeds the tensor size limit"));
      s.emplace_back(d.dim_value());
    } else if (d.has_dim_param() && !d.dim_param().empty()) {
      s.emplace_back(d.dim_param());
    } else {
      s.emplace_back(vi.name() + "_dim" + std::to_string(k));
    }
    ++k;
  }
  return s;
}

const OpEntry* find_entry(const std::string& op_type, int opset) {
  for (auto& e : op_table())
    if (e.op_type == op_type && opset >= e.since && opset <= e.until) return &e;
  return nullptr;
}

int model_opset(const ::onnx::ModelProto& m) {
  int opset = -1;
  for (auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = static_cast<int>(o.version());
  if (opset < 0 && m.opset_import_size() == 0) opset = 1;
  // A model of other domains only (training updates): default-domain nodes, if any, read as
  // the newest opset.
  if (opset < 0)
    for (auto& o : m.opset_import())
      if (o.domain() == kTrainingDomain) opset = kMaxOpset;
  return opset;
}

std::map<std::string, int> domain_opsets(const ::onnx::ModelProto& m) {
  std::map<std::string, int> r;
  for (auto& o : m.opset_import())
    if (!o.domain().empty() && o.domain() != "ai.onnx") r[o.domain()] = static_cast<int>(o.version());
  return r;
}

// Exact GELU as exporters write it: Mul(Mul(X, Add(Erf(Div(X, sqrt 2)), 1)), 0.5).
// Recognised on the ONNX nodes and imported as one registry gelu.
struct GeluMatch {
  std::vector<int> nodes;  // the five nodes, in pattern order
  std::string x, out;
};

class GeluMatcher {
 public:
  GeluMatcher(const ::onnx::GraphProto& gp, const LoadOptions& o) : gp_(gp), o_(o) {
    for (int i = 0; i < gp.node_size(); ++i) {
      for (auto& out : gp.node(i).output()) producer_[out] = i;
      for (auto& in : gp.node(i).input()) consumers_[in].push_back(i);
    }
    for (auto& out : gp.output()) consumers_[out.name()].push_back(-1);
    for (auto& t : gp.initializer()) inits_[t.name()] = &t;
  }

  std::optional<GeluMatch> match(int k) const {
    const auto& n0 = gp_.node(k);
    if (n0.op_type() != "Div" || n0.input_size() != 2 || n0.output_size() != 1) return std::nullopt;
    if (!near(n0.input(1), std::sqrt(2.0))) return std::nullopt;
    const std::string& x = n0.input(0);
    auto n1 = only_consumer(n0.output(0), "Erf");
    if (!n1) return std::nullopt;
    auto n2 = only_consumer(gp_.node(*n1).output(0), "Add");
    if (!n2 || !other_is(*n2, gp_.node(*n1).output(0), 1.0)) return std::nullopt;
    auto n3 = only_consumer(gp_.node(*n2).output(0), "Mul");
    if (!n3 || other_input(*n3, gp_.node(*n2).output(0)) != x) return std::nullopt;
    auto n4 = only_consumer(gp_.node(*n3).output(0), "Mul");
    if (!n4 || !other_is(*n4, gp_.node(*n3).output(0), 0.5)) return std::nullopt;
    for (int i : {*n1, *n2, *n3, *n4})
      if (gp_.node(i).output_size() != 1 || !gp_.node(i).domain().empty()) return std::nullopt;
    return GeluMatch{{k, *n1, *n2, *n3, *n4}, x, gp_.node(*n4).output(0)};
  }

 private:
  std::optional<int> only_consumer(const std::string& name, const char* op) const {
    auto it = consumers_.find(name);
    if (it == consumers_.end() || it->second.size() != 1 || it->second[0] < 0) return std::nullopt;
    if (gp_.node(it->second[0]).op_type() != op) return std::nullopt;
    return it->second[0];
  }
  std::string other_input(int n, const std::string& name) const {
    const auto& nd = gp_.node(n);
    if (nd.input_size() != 2) return "";
    return nd.input(0) == name ? nd.input(1) : nd.input(1) == name ? nd.input(0) : "";
  }
  bool other_is(int n, const std::string& name, double v) const {
    std::string o = other_input(n, name);
    return !o.empty() && near(o, v);
  }
  bool near(const std::string& name, double v) const {
    const ::onnx::TensorProto* t = nullptr;
    if (auto it = inits_.find(name); it != inits_.end()) t = it->second;
    else if (auto p = producer_.find(name); p != producer_.end()) {
      const auto& nd = gp_.node(p->second);
      if (nd.op_type() == "Constant" && nd.attribute_size() == 1 && nd.attribute(0).name() == "value" &&
          nd.attribute(0).has_t())
        t = &nd.attribute(0).t();
    }
    if (!t) return false;
    try {
      Tensor c = tensor_from_proto(*t, o_, "constant");
      if (c.numel() != 1 || !is_floating_point(c.dtype())) return false;
      return std::abs(c.reshape({}).item().to_double() - v) <= 1e-4 * v;
    } catch (const Error&) {
      return false;
    }
  }
  const ::onnx::GraphProto& gp_;
  const LoadOptions& o_;
  std::map<std::string, int> producer_;
  std::map<std::string, std::vector<int>> consumers_;
  std::map<std::string, const ::onnx::TensorProto*> inits_;
};

// One graph being imported: its value names, and (for a subgraph) the enclosing scope whose
// values it may read, which become extra inputs of the subgraph.
struct Scope {
  graph::Graph* g = nullptr;
  std::map<std::string, graph::Value*> names;
  Scope* parent = nullptr;
  std::vector<graph::Value*> captured;  // enclosing values, in the order of the capture inputs

  bool has(const std::string& name) { return names.count(name) || (parent && parent->has(name)); }
  /// The value `name` names here; from an enclosing graph it becomes a capture input first.
  graph::Value* lookup(const std::string& name) {
    if (auto it = names.find(name); it != names.end()) return it->second;
    if (!parent) return nullptr;
    graph::Value* outer = parent->lookup(name);
    if (!outer) return nullptr;
    std::string local = name;
    for (int k = 1; g->find(local); ++k) local = name + "#outer" + std::to_string(k);
    graph::Value* in = g->add_input(local, outer->dtype, outer->shape.value_or(graph::Shape{}));
    if (!outer->shape) in->shape.reset();
    in->type = outer->type;
    names[name] = in;
    captured.push_back(outer);
    return in;
  }
};

class Importer {
 public:
  Importer(int opset, std::map<std::string, int> domains, const LoadOptions& o)
      : opset_(opset), domains_(std::move(domains)), o_(o) {}

  /// Imports gp's initializers, inputs, nodes and outputs into sc.g. Subgraph inputs may have
  /// no declared shape (loop-carried values); the top graph's must.
  void import_graph(const ::onnx::GraphProto& gp, Scope& sc, int depth, const std::vector<DType>& input_dtypes = {}) {
    if (depth > 16) throw ValueError("onnx: subgraphs nested more than 16 deep");
    graph::Graph& g = *sc.g;
    auto define = [&](const std::string& name, graph::Value* v, const char* what) {
      if (name.empty()) throw ValueError(std::string("onnx: ") + what + " with an empty name");
      if (!sc.names.emplace(name, v).second) throw ValueError(std::string("onnx: ") + what + " '" + name + "' is defined twice");
    };
    std::set<std::string> init_names;
    for (auto& t : gp.initializer()) {
      Tensor tensor = tensor_from_proto(t, o_, "initializer");
      if (g.find(t.name())) throw ValueError("onnx: initializer '" + t.name() + "' is defined twice");
      define(t.name(), g.add_initializer(t.name(), tensor), "initializer");
      init_names.insert(t.name());
    }
    if (gp.sparse_initializer_size() > 0) throw NotImplementedError("onnx: sparse initializers are not supported");
    size_t formal = 0;
    for (auto& vi : gp.input()) {
      if (init_names.count(vi.name())) continue;  // IR < 4: initializers listed as inputs
      size_t idx = formal++;
      if (depth > 0 && vi.type().value_case() == ::onnx::TypeProto::VALUE_NOT_SET && idx < input_dtypes.size()) {
        if (vi.name().empty() || sc.names.count(vi.name()) || g.find(vi.name()))
          throw ValueError("onnx: body input '" + vi.name() + "' is unnamed or defined twice");
        graph::Value* v = g.add_input(vi.name(), input_dtypes[idx], {});
        v->shape.reset();
        define(vi.name(), v, "input");
        continue;
      }
      if (!vi.type().has_tensor_type()) {  // a sequence or optional: its element shape is not kept
        auto [type, edt] = value_type_from_onnx(vi.type(), "onnx: input '" + vi.name() + "'");
        if (vi.name().empty() || sc.names.count(vi.name()) || g.find(vi.name()))
          throw ValueError("onnx: input '" + vi.name() + "' is unnamed or defined twice");
        graph::Value* v = g.add_input(vi.name(), edt, {});
        v->shape.reset();
        v->type = type;
        define(vi.name(), v, "input");
        continue;
      }
      DType dt = dtype_from_onnx(vi.type().tensor_type().elem_type(), "input '" + vi.name() + "'");
      if (vi.name().empty()) throw ValueError("onnx: graph input with an empty name");
      if (sc.names.count(vi.name()) || g.find(vi.name())) throw ValueError("onnx: input '" + vi.name() + "' is defined twice");
      if (depth > 0 && !vi.type().tensor_type().has_shape()) {
        graph::Value* v = g.add_input(vi.name(), dt, {});
        v->shape.reset();
        define(vi.name(), v, "input");
        continue;
      }
      define(vi.name(), g.add_input(vi.name(), dt, value_info_shape(vi, o_, dt)), "input");
    }
    GeluMatcher gelu(gp, o_);
    std::set<int> fused;
    int k = 0;
    for (auto& node : gp.node()) {
      if (fused.count(k)) {
        ++k;
        continue;
      }
      if (auto gm = gelu.match(k); gm && sc.has(gm->x) && !sc.names.count(gm->out) && sc.lookup(gm->x)) {
        ::onnx::NodeProto fusedn;
        fusedn.set_name(gp.node(gm->nodes.back()).name().empty() ? "gelu" : gp.node(gm->nodes.back()).name());
        fusedn.set_op_type("Gelu");
        fusedn.add_input(gm->x);
        fusedn.add_output(gm->out);
        try {
          Ctx c(g, fusedn, opset_, sc.names, o_);
          c.set_out(0, c.emit("gelu", {c.in(0)}));
        } catch (...) {
          rethrow_with("onnx: node '" + fusedn.name() + "' (Gelu pattern): ");
        }
        fused.insert(gm->nodes.begin(), gm->nodes.end());
        ++k;
        continue;
      }
      std::string label = node.name().empty() ? node.op_type() + "#" + std::to_string(k) : node.name();
      std::string prefix = sinter::detail::str_cat("onnx: node '", label, "' (", node.op_type(), ", opset ", opset_, "): ");
      ++k;
      int node_opset = opset_;
      const OpEntry* e = nullptr;
      if (!node.domain().empty() && node.domain() != "ai.onnx") {
        auto d = domains_.find(node.domain());
        if (node.domain() != kTrainingDomain || d == domains_.end())
          throw NotImplementedError(prefix + "domain '" + node.domain() + "' is not supported");
        node_opset = d->second;
        e = find_entry(node.domain() + "." + node.op_type(), node_opset);
        if (!e)
          throw NotImplementedError(prefix + "op type " + node.op_type() + " of domain " + node.domain() +
                                    " is not supported at version " + std::to_string(node_opset));
      } else {
        e = find_entry(node.op_type(), opset_);
      }
      if (!e) throw NotImplementedError(prefix + "op type " + node.op_type() + " is not supported at opset " + std::to_string(opset_));
      for (int i = 0; i < node.input_size(); ++i)
        if (!node.input(i).empty() && !sc.has(node.input(i)))
          throw ValueError(prefix + "input '" + node.input(i) + "' is not defined by a graph input, initializer or earlier node");
      for (int i = 0; i < node.input_size(); ++i)
        if (!node.input(i).empty()) sc.lookup(node.input(i));  // captures from enclosing graphs
      for (int i = 0; i < node.output_size(); ++i)
        if (!node.output(i).empty() && sc.names.count(node.output(i)))
          throw ValueError(prefix + "output '" + node.output(i) + "' is already defined");
      try {
        Ctx c(g, node, node_opset, sc.names, o_);
        c.import_subgraph = [&](const ::onnx::GraphProto& sub, const std::vector<DType>& dts) {
          auto sg = std::make_shared<graph::Graph>(sub.name().empty() ? label + "/body" : sub.name());
          Scope inner;
          inner.g = sg.get();
          inner.parent = &sc;
          import_graph(sub, inner, depth + 1, dts);
          return SubgraphImport{sg, inner.captured};
        };
        e->build(c);
      } catch (...) {
        rethrow_with(prefix);
      }
      for (int i = 0; i < node.output_size(); ++i)
        if (!node.output(i).empty() && !sc.names.count(node.output(i))) {
          // an optional output the importer does not produce: fine unless something reads it
          sc.names.emplace(node.output(i), nullptr);
        }
    }
    // Outputs: keep the ONNX names (a value may appear once; duplicates get a copy).
    std::vector<graph::ValueRef> outs;
    std::set<std::string> seen;
    for (auto& vi : gp.output()) {
      graph::Value* v = sc.has(vi.name()) ? sc.lookup(vi.name()) : nullptr;
      if (!v) throw ValueError("onnx: graph output '" + vi.name() + "' is not produced by any node, input or initializer");
      if (!seen.insert(vi.name()).second && depth == 0)
        throw ValueError("onnx: graph output '" + vi.name() + "' is listed twice");
      if (v->name != vi.name() || (depth > 0 && std::any_of(outs.begin(), outs.end(), [&](auto& r) { return r.value == v; }))) {
        if (v->kind == graph::Value::Kind::NodeOutput && !g.find(vi.name()) &&
            std::none_of(outs.begin(), outs.end(), [&](auto& r) { return r.value == v; })) {
          g.rename(v, vi.name());
        } else {
          const ops::OpDef* clone = ops::Registry::get().find("clone");
          std::string nm = vi.name();
          for (int j = 1; g.find(nm); ++j) nm = vi.name() + "#copy" + std::to_string(j);
          if (depth == 0 && nm != vi.name()) throw ValueError("onnx: graph output name '" + vi.name() + "' clashes with another value");
          if (v->is_tensor()) {
            v = g.add_node(*clone, {v}, {}, std::vector<std::string>{nm}, nm + "/copy")->output();
          } else {  // sequences and optionals pass through an Identity sequence node
            graph::Value* c = g.add_control_node("Identity", {v}, {}, {nm}, {}, nm + "/copy")->output();
            c->type = v->type;
            c->dtype = v->dtype;
            v = c;
          }
        }
      }
      outs.emplace_back(v);
    }
    g.set_outputs(std::move(outs));
    try {
      g.infer_shapes();
    } catch (...) {
      rethrow_with("onnx: ");
    }
  }

 private:
  int opset_;
  std::map<std::string, int> domains_;
  const LoadOptions& o_;
};

std::unique_ptr<graph::Graph> import_model(const ::onnx::ModelProto& m, const LoadOptions& o) {
  int opset = model_opset(m);
  if (opset < 0) throw NotImplementedError("onnx: the model imports no default-domain (ai.onnx) opset");
  if (opset > 17 || opset < 1)
    throw NotImplementedError(sinter::detail::str_cat("onnx: opset ", opset, " is not supported (1-17 are)"));
  const auto& gp = m.graph();
  auto g = std::make_unique<graph::Graph>(gp.name().empty() ? "onnx" : gp.name());
  Scope top;
  top.g = g.get();
  Importer(opset, domain_opsets(m), o).import_graph(gp, top, 0);
  return g;
}

}  // namespace
}  // namespace detail

std::unique_ptr<graph::Graph> load_bytes(std::string_view bytes, LoadOptions options) {
  if (static_cast<int64_t>(bytes.size()) > options.max_file_bytes)
    throw IOError(sinter::detail::str_cat("onnx: model is ", bytes.size(), " bytes, above the limit of ", options.max_file_bytes));
  ::onnx::ModelProto m;
  detail::parse_message(bytes, m, "model");
  return detail::import_model(m, options);
}

std::unique_ptr<graph::Graph> load(const std::string& path, LoadOptions options) {
  std::string bytes = detail::read_file(path, options.max_file_bytes);
  if (options.base_dir.empty()) options.base_dir = std::filesystem::path(path).parent_path().string();
  if (options.base_dir.empty()) options.base_dir.assign(1, '.');
  try {
    return load_bytes(bytes, options);
  } catch (const IOError& e) {
    throw IOError(path + ": " + e.what());
  }
}

const std::vector<OpSupport>& supported_ops() {
  static const std::vector<OpSupport> v = [] {
    std::vector<OpSupport> r;
    for (auto& e : detail::op_table()) r.push_back({e.op_type, e.since, e.until});
    return r;
  }();
  return v;
}

ModelInfo inspect(const std::string& path, LoadOptions options) {
  std::string bytes = detail::read_file(path, options.max_file_bytes);
  ::onnx::ModelProto m;
  detail::parse_message(bytes, m, path);
  ModelInfo info;
  info.producer = m.producer_name() + (m.producer_version().empty() ? "" : " " + m.producer_version());
  info.ir_version = m.ir_version();
  info.opset = detail::model_opset(m);
  std::map<std::string, int64_t> hist;
  for (auto& n : m.graph().node()) hist[n.op_type()]++;
  info.op_histogram.assign(hist.begin(), hist.end());
  std::sort(info.op_histogram.begin(), info.op_histogram.end(),
            [](auto& a, auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  if (options.base_dir.empty()) options.base_dir = std::filesystem::path(path).parent_path().string();
  if (options.base_dir.empty()) options.base_dir.assign(1, '.');
  auto g = detail::import_model(m, options);
  for (auto* v : g->inputs()) info.inputs.push_back({v->name, v->type_str()});
  for (auto* v : g->outputs()) info.outputs.push_back({v->name, v->type_str()});
  // parameters: the model's initializers (not constants the importer made)
  for (auto& t : m.graph().initializer()) {
    int64_t n = 1;
    for (auto d : t.dims()) n *= d;
    info.parameters += n;
  }
  // symbolic dims (a dynamic batch) count as 1
  auto numel = [](const graph::Value* v) -> double {
    if (!v || !v->shape) return 0;
    double n = 1;
    for (auto& d : *v->shape) n *= d.is_static() ? static_cast<double>(d.value) : 1.0;
    return n;
  };
  for (auto* n : g->nodes()) {
    if (!n->op || n->inputs.size() < 2 || !n->inputs[1]) continue;
    const std::string& k = n->kind;
    const graph::Value* w = n->inputs[1];
    if (k == "conv1d" || k == "conv2d") {
      // 2 x out elements x (in_channels / groups x kernel) multiply-adds
      if (!w->shape || !graph::is_static(*w->shape)) continue;
      double per = 1;
      for (size_t i = 1; i < w->shape->size(); ++i) per *= static_cast<double>((*w->shape)[i].value);
      info.flops += 2 * numel(n->output()) * per;
    } else if (k == "matmul" || k == "linear" || k == "mm" || k == "bmm" || k == "addmm") {
      const graph::Value* a = k == "addmm" ? n->inputs[1] : n->inputs[0];
      if (!a || !a->shape || a->shape->empty() || !(*a->shape).back().is_static()) continue;
      info.flops += 2 * numel(n->output()) * static_cast<double>(a->shape->back().value);
    } else if (k == "conv_transpose2d") {
      if (!w->shape || !graph::is_static(*w->shape)) continue;
      info.flops += 2 * numel(n->inputs[0]) * numel(w) / static_cast<double>((*w->shape)[0].value);
    }
  }
  return info;
}

}  // namespace sinter::onnx
