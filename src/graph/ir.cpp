// Graph IR: builder, mutation, topological order, verifier and printer.
#include <algorithm>
#include <charconv>
#include <ostream>
#include <sstream>

#include "graph/graph_util.h"
#include "graph/sequence.h"
#include "ops/registry.h"
#include "sinter/graph/ir.h"

namespace sinter::graph {

// ---- dims and shapes ------------------------------------------------------------------------

std::string Dim::str() const {
  if (is_static()) return std::to_string(value);
  if (is_symbolic()) return symbol;
  return "?";
}

Shape make_shape(IntArrayRef sizes) { return Shape(sizes.begin(), sizes.end()); }

std::string shape_string(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) r += ", ";
    r += s[i].str();
  }
  return r + "]";
}

bool is_static(const Shape& s) {
  return std::all_of(s.begin(), s.end(), [](const Dim& d) { return d.is_static(); });
}

DimVector static_sizes(const Shape& s) {
  SINTER_CHECK(is_static(s), ValueError, "shape ", shape_string(s), " is not static");
  DimVector r;
  for (auto& d : s) r.push_back(d.value);
  return r;
}

std::string_view short_dtype(DType t) {
  switch (t) {
    case DType::Byte: return "u8";
    case DType::Char: return "i8";
    case DType::Short: return "i16";
    case DType::Int: return "i32";
    case DType::Long: return "i64";
    case DType::Half: return "f16";
    case DType::Float: return "f32";
    case DType::Double: return "f64";
    case DType::Bool: return "bool";
    case DType::BFloat16: return "bf16";
    case DType::UInt16: return "u16";
    case DType::UInt32: return "u32";
    case DType::UInt64: return "u64";
    case DType::String: return "str";
  }
  return "?";
}

std::string Value::type_str() const {
  std::string r(short_dtype(dtype));
  switch (type) {
    case ValueType::Sequence: return "seq<" + r + ">";
    case ValueType::OptionalTensor: return "opt<" + r + (shape ? shape_string(*shape) : "[?]") + ">";
    case ValueType::OptionalSequence: return "opt<seq<" + r + ">>";
    case ValueType::Tensor: break;
  }
  return r + (shape ? shape_string(*shape) : "[?]");
}

// ---- nodes ----------------------------------------------------------------------------------

Node::Node() : attrs_(std::make_unique<ops::Attrs>()) {}
Node::~Node() = default;

ops::Attrs Node::full_attrs() const {
  ops::Attrs a = *attrs_;
  if (op)
    for (size_t i = a.size(); i < op->attr_specs.size(); ++i) a.push(op->attr_specs[i].default_value);
  return a;
}

// ---- graph ----------------------------------------------------------------------------------

Graph::Graph(std::string name) : name_(std::move(name)) {}
Graph::~Graph() = default;

Value* Graph::new_value(std::string name, Value::Kind kind) {
  SINTER_CHECK(!name.empty(), ValueError, "graph '", name_, "': a value needs a name");
  auto it = by_name_.find(name);
  if (it != by_name_.end()) {
    Value* v = it->second;
    // A forward reference gets defined by its first definition.
    SINTER_CHECK(v->kind == Value::Kind::Undefined, ValueError, "graph '", name_, "': value '", name,
                 "' is defined more than once");
    v->kind = kind;
    return v;
  }
  auto v = std::make_unique<Value>();
  v->name = name;
  v->kind = kind;
  Value* p = v.get();
  values_.push_back(std::move(v));
  by_name_.emplace(std::move(name), p);
  return p;
}

Value* Graph::resolve(const ValueRef& r) {
  if (r.value) {
    SINTER_CHECK(find(r.value->name) == r.value, ValueError, "graph '", name_, "': value '", r.value->name,
                 "' belongs to another graph");
    return r.value;
  }
  if (r.name.empty()) return nullptr;
  if (Value* v = find(r.name)) return v;
  return new_value(r.name, Value::Kind::Undefined);
}

std::string Graph::fresh_node_name(std::string_view base) {
  std::string b(base);
  for (;;) {
    std::string n = b + "_" + std::to_string(counter_++);
    if (!node_names_.count(n) && !by_name_.count(n)) return n;
  }
}

Value* Graph::add_input(std::string name, DType dtype, Shape shape) {
  Value* v = new_value(std::move(name), Value::Kind::Input);
  v->dtype = dtype;
  v->shape = std::move(shape);
  inputs_.push_back(v);
  return v;
}

Value* Graph::add_initializer(std::string name, Tensor t) {
  SINTER_CHECK(t.defined(), ValueError, "graph '", name_, "': initializer '", name, "' is an undefined tensor");
  Value* v = new_value(std::move(name), Value::Kind::Initializer);
  v->dtype = t.dtype();
  v->shape = make_shape(t.sizes());
  v->constant = std::move(t);
  return v;
}

Node* Graph::add_node_impl(const ops::OpDef* op, std::string kind, std::vector<ValueRef> inputs, ops::Attrs attrs,
                           std::vector<std::string> output_names, std::string name) {
  if (name.empty()) name = fresh_node_name(kind);
  SINTER_CHECK(!node_names_.count(name), ValueError, "graph '", name_, "': node name '", name, "' is used twice");
  // Check output names first so a failed call changes nothing.
  for (size_t i = 0; i < output_names.size(); ++i) {
    const std::string& o = output_names[i];
    SINTER_CHECK(!o.empty(), ValueError, "node '", name, "' (", kind, "): output ", i, " has no name");
    Value* v = find(o);
    SINTER_CHECK(!v || v->kind == Value::Kind::Undefined, ValueError, "node '", name, "' (", kind, "): output '", o,
                 "' is already defined");
    for (size_t j = 0; j < i; ++j)
      SINTER_CHECK(output_names[j] != o, ValueError, "node '", name, "' (", kind, "): output name '", o,
                   "' appears twice");
  }
  auto node = std::make_unique<Node>();
  Node* n = node.get();
  n->op = op;
  n->kind = std::move(kind);
  n->name = name;
  *n->attrs_ = std::move(attrs);
  for (auto& r : inputs) {
    Value* v = resolve(r);
    if (v) v->uses.push_back({n, n->inputs.size()});
    n->inputs.push_back(v);
  }
  for (size_t i = 0; i < output_names.size(); ++i) {
    Value* v = new_value(output_names[i], Value::Kind::NodeOutput);
    v->producer = n;
    v->output_index = i;
    n->outputs.push_back(v);
  }
  node_names_.emplace(name, 1);
  nodes_.push_back(std::move(node));
  return n;
}

static std::vector<std::string> default_output_names(const std::string& node_name, int n) {
  std::vector<std::string> r;
  if (n == 1) return {node_name};
  for (int i = 0; i < n; ++i) r.push_back(node_name + "." + std::to_string(i));
  return r;
}

static const ops::OpDef& lookup(std::string_view op) {
  const ops::OpDef* d = ops::Registry::get().find(op);
  SINTER_CHECK(d != nullptr, ValueError, "graph: unknown op '", op, "' (not in the op registry)");
  return *d;
}

Node* Graph::add_node(const ops::OpDef& op, std::vector<ValueRef> inputs, ops::Attrs attrs, int n_outputs,
                      std::string name) {
  if (n_outputs < 0) n_outputs = op.num_outputs;
  SINTER_CHECK(n_outputs >= 1 && n_outputs <= static_cast<int>(ops::kMaxOutputs), ValueError, "node '", name, "' (",
               op.name, "): ", n_outputs, " outputs requested, expected 1 to ", ops::kMaxOutputs);
  if (name.empty()) name = fresh_node_name(op.name);
  auto outs = default_output_names(name, n_outputs);
  return add_node_impl(&op, op.name, std::move(inputs), std::move(attrs), std::move(outs), std::move(name));
}

Node* Graph::add_node(std::string_view op, std::vector<ValueRef> inputs, ops::Attrs attrs, int n_outputs,
                      std::string name) {
  return add_node(lookup(op), std::move(inputs), std::move(attrs), n_outputs, std::move(name));
}

Node* Graph::add_node(std::string_view op, std::vector<ValueRef> inputs) {
  return add_node(lookup(op), std::move(inputs), ops::Attrs{}, -1, "");
}

Node* Graph::add_node(const ops::OpDef& op, std::vector<ValueRef> inputs, ops::Attrs attrs,
                      std::vector<std::string> output_names, std::string name) {
  SINTER_CHECK(!output_names.empty() && output_names.size() <= ops::kMaxOutputs, ValueError, "node '", name, "' (",
               op.name, "): ", output_names.size(), " outputs requested, expected 1 to ", ops::kMaxOutputs);
  return add_node_impl(&op, op.name, std::move(inputs), std::move(attrs), std::move(output_names), std::move(name));
}

Node* Graph::add_node(std::string_view op, std::vector<ValueRef> inputs, ops::Attrs attrs,
                      std::vector<std::string> output_names, std::string name) {
  return add_node(lookup(op), std::move(inputs), std::move(attrs), std::move(output_names), std::move(name));
}

Node* Graph::add_control_node(std::string kind, std::vector<ValueRef> inputs, ops::Attrs attrs,
                              std::vector<std::string> output_names, std::vector<std::shared_ptr<Graph>> subgraphs,
                              std::string name) {
  Node* n = add_node_impl(nullptr, std::move(kind), std::move(inputs), std::move(attrs), std::move(output_names),
                          std::move(name));
  n->subgraphs = std::move(subgraphs);
  return n;
}

void Graph::bind_attr_input(Node* node, size_t attr, ValueRef v) {
  SINTER_CHECK(node != nullptr && node->op != nullptr, ValueError, "graph '", name_,
               "': bind_attr_input needs a registry-op node");
  SINTER_CHECK(attr < node->op->attr_specs.size(), ValueError, "node '", node->name, "' (", node->kind, "): attribute ",
               attr, " does not exist (the op has ", node->op->attr_specs.size(), ")");
  SINTER_CHECK(std::find(node->attr_inputs.begin(), node->attr_inputs.end(), attr) == node->attr_inputs.end(),
               ValueError, "node '", node->name, "' (", node->kind, "): attribute '", node->op->attr_specs[attr].name,
               "' is already bound to an input");
  Value* val = resolve(v);
  SINTER_CHECK(val != nullptr, ValueError, "node '", node->name, "' (", node->kind, "): attribute input '",
               node->op->attr_specs[attr].name, "' cannot be absent");
  val->uses.push_back({node, node->inputs.size()});
  node->inputs.push_back(val);
  node->attr_inputs.push_back(attr);
}

void Graph::set_outputs(std::vector<ValueRef> outputs) {
  std::vector<Value*> r;
  for (auto& o : outputs) {
    Value* v = resolve(o);
    SINTER_CHECK(v != nullptr, ValueError, "graph '", name_, "': a graph output cannot be absent");
    r.push_back(v);
  }
  outputs_ = std::move(r);
}

void Graph::add_output(ValueRef o) {
  Value* v = resolve(o);
  SINTER_CHECK(v != nullptr, ValueError, "graph '", name_, "': a graph output cannot be absent");
  outputs_.push_back(v);
}

static void drop_use(Value* v, Node* n, size_t i) {
  if (!v) return;
  auto& u = v->uses;
  u.erase(std::remove_if(u.begin(), u.end(), [&](const Use& x) { return x.node == n && x.index == i; }), u.end());
}

void Graph::replace_input(Node* node, size_t i, ValueRef r) {
  SINTER_CHECK(i < node->inputs.size(), IndexError, "node '", node->name, "' (", node->kind, "): input ", i,
               " out of range (", node->inputs.size(), " inputs)");
  Value* v = resolve(r);
  drop_use(node->inputs[i], node, i);
  node->inputs[i] = v;
  if (v) v->uses.push_back({node, i});
}

void Graph::replace_all_uses(Value* from, Value* to) {
  auto uses = from->uses;
  for (auto& u : uses) replace_input(u.node, u.index, to);
  for (auto& o : outputs_)
    if (o == from) o = to;
}

void Graph::remove_value(Value* v) {
  SINTER_CHECK(v->uses.empty(), ValueError, "graph '", name_, "': value '", v->name, "' is still used by node '",
               v->uses[0].node->name, "'");
  SINTER_CHECK(std::find(outputs_.begin(), outputs_.end(), v) == outputs_.end(), ValueError, "graph '", name_,
               "': value '", v->name, "' is a graph output");
  SINTER_CHECK(v->kind != Value::Kind::Input, ValueError, "graph '", name_, "': cannot remove graph input '", v->name,
               "'");
  by_name_.erase(v->name);
  values_.erase(std::find_if(values_.begin(), values_.end(), [&](auto& p) { return p.get() == v; }));
}

void Graph::remove_node(Node* node) {
  for (Value* o : node->outputs) {
    SINTER_CHECK(o->uses.empty(), ValueError, "remove_node '", node->name, "' (", node->kind, "): output '", o->name,
                 "' is still used by node '", o->uses.empty() ? "" : o->uses[0].node->name, "'");
    SINTER_CHECK(std::find(outputs_.begin(), outputs_.end(), o) == outputs_.end(), ValueError, "remove_node '",
                 node->name, "' (", node->kind, "): output '", o->name, "' is a graph output");
  }
  for (size_t i = 0; i < node->inputs.size(); ++i) drop_use(node->inputs[i], node, i);
  for (Value* o : node->outputs) {
    o->producer = nullptr;
    o->kind = Value::Kind::Undefined;
    remove_value(o);
  }
  node_names_.erase(node->name);
  nodes_.erase(std::find_if(nodes_.begin(), nodes_.end(), [&](auto& p) { return p.get() == node; }));
}

void Graph::rename(Value* v, std::string name) {
  SINTER_CHECK(!name.empty(), ValueError, "graph '", name_, "': a value needs a name");
  SINTER_CHECK(!find(name), ValueError, "graph '", name_, "': cannot rename '", v->name, "' to '", name,
               "': the name is taken");
  by_name_.erase(v->name);
  v->name = name;
  by_name_.emplace(std::move(name), v);
}

Value* Graph::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

Value* Graph::value(std::string_view name) const {
  Value* v = find(name);
  SINTER_CHECK(v != nullptr, ValueError, "graph '", name_, "': no value named '", name, "'");
  return v;
}

std::vector<Node*> Graph::nodes() const {
  std::vector<Node*> r;
  for (auto& n : nodes_) r.push_back(n.get());
  return r;
}

std::vector<Value*> Graph::values() const {
  std::vector<Value*> r;
  for (auto& v : values_) r.push_back(v.get());
  return r;
}

std::vector<Value*> Graph::initializers() const {
  std::vector<Value*> r;
  for (auto& v : values_)
    if (v->kind == Value::Kind::Initializer) r.push_back(v.get());
  return r;
}

std::unique_ptr<Graph> Graph::clone() const {
  auto g = std::make_unique<Graph>(name_);
  std::map<const Value*, Value*> vm;
  for (auto& v : values_) {
    auto c = std::make_unique<Value>();
    c->kind = v->kind;
    c->name = v->name;
    c->dtype = v->dtype;
    c->type = v->type;
    c->shape = v->shape;
    c->constant = v->constant;
    c->shape_value = v->shape_value;
    c->output_index = v->output_index;
    vm[v.get()] = c.get();
    g->by_name_.emplace(c->name, c.get());
    g->values_.push_back(std::move(c));
  }
  auto map = [&](Value* v) { return v ? vm.at(v) : nullptr; };
  for (auto& n : nodes_) {
    auto c = std::make_unique<Node>();
    c->op = n->op;
    c->kind = n->kind;
    c->name = n->name;
    *c->attrs_ = *n->attrs_;
    c->subgraphs = n->subgraphs;
    c->attr_inputs = n->attr_inputs;
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      Value* v = map(n->inputs[i]);
      if (v) v->uses.push_back({c.get(), i});
      c->inputs.push_back(v);
    }
    for (Value* o : n->outputs) {
      Value* v = map(o);
      v->producer = c.get();
      c->outputs.push_back(v);
    }
    g->node_names_.emplace(c->name, 1);
    g->nodes_.push_back(std::move(c));
  }
  for (Value* v : inputs_) g->inputs_.push_back(map(v));
  for (Value* v : outputs_) g->outputs_.push_back(map(v));
  g->counter_ = counter_;
  g->symbols_ = symbols_;
  return g;
}

// ---- analysis -------------------------------------------------------------------------------

std::vector<Node*> Graph::topo_order() const {
  // Kahn's algorithm over insertion order (a node is ready when every input is ready).
  std::map<const Node*, size_t> pending;
  std::vector<Node*> order, ready;
  for (auto& n : nodes_) {
    size_t k = 0;
    for (Value* v : n->inputs)
      if (v && v->producer) ++k;
    pending[n.get()] = k;
  }
  // Process in insertion order where possible: repeatedly scan (graphs are usually sorted).
  std::vector<bool> done(nodes_.size(), false);
  std::map<const Node*, size_t> index;
  for (size_t i = 0; i < nodes_.size(); ++i) index[nodes_[i].get()] = i;
  std::vector<size_t> queue;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (pending[nodes_[i].get()] == 0) queue.push_back(i);
  std::make_heap(queue.begin(), queue.end(), std::greater<>());
  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end(), std::greater<>());
    size_t i = queue.back();
    queue.pop_back();
    Node* n = nodes_[i].get();
    done[i] = true;
    order.push_back(n);
    for (Value* o : n->outputs)
      for (auto& u : o->uses)
        if (--pending[u.node] == 0) {
          queue.push_back(index[u.node]);
          std::push_heap(queue.begin(), queue.end(), std::greater<>());
        }
  }
  if (order.size() != nodes_.size()) {
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (!done[i]) {
        const Node& n = *nodes_[i];
        throw ValueError(detail::str_cat("graph '", name_, "': node '", n.name, "' (", n.kind,
                                         ") is on a cycle or depends on one (its inputs are never all defined)"));
      }
  }
  return order;
}

static bool is_variadic(const ops::OpDef& op) {
  // Ops whose last input is a runtime-sized list (cat's tensors, index_put's indices).
  if (op.input_names.empty()) return false;
  const std::string& last = op.input_names.back();
  return last == "tensors" || last == "indices";
}

void Graph::verify() const { verify_scoped({}); }

void Graph::verify_scoped(const std::vector<const Graph*>& outer) const {
  // Values: defined exactly once (the builder enforces "once"; here: defined at all). A
  // subgraph may name a value of an enclosing graph (captured from the outer scope).
  auto captured = [&](const std::string& name) {
    for (const Graph* o : outer) {
      const Value* v = o->find(name);
      if (v && v->kind != Value::Kind::Undefined) return true;
    }
    return false;
  };
  for (auto& v : values_) {
    if (v->kind == Value::Kind::Undefined && !captured(v->name)) {
      std::string user = v->uses.empty() ? std::string("a graph output")
                                         : "node '" + v->uses[0].node->name + "' (" + v->uses[0].node->kind + ")";
      throw ValueError(detail::str_cat("graph '", name_, "': value '", v->name, "' used by ", user,
                                       " is never defined (not an input, initializer or node output)"));
    }
    if (v->kind == Value::Kind::NodeOutput)
      SINTER_ASSERT(v->producer != nullptr, "value ", v->name, " has no producer");
    if (v->kind == Value::Kind::Initializer)
      SINTER_CHECK(v->constant.defined(), ValueError, "graph '", name_, "': initializer '", v->name,
                   "' holds no tensor");
  }
  for (auto& n : nodes_) {
    if (!n->op) {
      if (is_sequence_kind(n->kind)) verify_sequence_node(*n);
      SINTER_CHECK(!n->subgraphs.empty() || is_sequence_kind(n->kind), ValueError, "node '", n->name, "' (", n->kind,
                   "): not a registry op and has no subgraphs");
      for (auto& sg : n->subgraphs) {
        SINTER_CHECK(sg != nullptr, ValueError, "node '", n->name, "' (", n->kind, "): null subgraph");
        std::vector<const Graph*> scope = outer;
        scope.push_back(this);
        sg->verify_scoped(scope);
      }
      continue;
    }
    const ops::OpDef& op = *n->op;
    SINTER_CHECK(n->attr_inputs.size() <= n->inputs.size(), ValueError, "node '", n->name, "' (", op.name,
                 "): more attribute inputs than inputs");
    for (const Value* v : n->inputs)
      SINTER_CHECK(!v || v->is_tensor(), ValueError, "node '", n->name, "' (", op.name, "): input '", v->name,
                   "' is a ", value_type_name(v->type), "; the op takes tensors");
    for (size_t k = 0; k < n->attr_inputs.size(); ++k) {
      size_t a = n->attr_inputs[k];
      SINTER_CHECK(a < op.attr_specs.size(), ValueError, "node '", n->name, "' (", op.name, "): attribute input ", k,
                   " names attribute ", a, ", the op has ", op.attr_specs.size());
      SINTER_CHECK(n->inputs[n->num_op_inputs() + k] != nullptr, ValueError, "node '", n->name, "' (", op.name,
                   "): attribute input for '", op.attr_specs[a].name, "' is absent");
      for (size_t j = 0; j < k; ++j)
        SINTER_CHECK(n->attr_inputs[j] != a, ValueError, "node '", n->name, "' (", op.name, "): attribute '",
                     op.attr_specs[a].name, "' is bound to two inputs");
    }
    size_t want = op.input_names.size(), got = n->num_op_inputs();
    bool ok = is_variadic(op) ? got + 1 >= want : got == want;
    if (!ok) {
      std::string names;
      for (size_t i = 0; i < want; ++i) names += (i ? ", " : "") + op.input_names[i];
      throw ValueError(detail::str_cat("node '", n->name, "' (", op.name, "): expected ", is_variadic(op) ? "at least " : "",
                                       is_variadic(op) ? want - 1 : want, " inputs (", names, "), got ", got));
    }
    SINTER_CHECK(n->attrs().size() <= op.attr_specs.size(), ValueError, "node '", n->name, "' (", op.name,
                 "): ", n->attrs().size(), " attributes given, the op has ", op.attr_specs.size());
    SINTER_CHECK(n->outputs.size() >= 1 && n->outputs.size() <= ops::kMaxOutputs &&
                     (n->outputs.size() <= static_cast<size_t>(op.num_outputs)),
                 ValueError, "node '", n->name, "' (", op.name, "): ", n->outputs.size(), " outputs, the op has ",
                 op.num_outputs);
    SINTER_CHECK(op.meta != nullptr, ValueError, "node '", n->name, "' (", op.name, "): op has no meta function");
  }
  for (Value* o : outputs_)
    SINTER_CHECK(o->kind != Value::Kind::Undefined || captured(o->name), ValueError, "graph '", name_, "': output '", o->name,
                 "' is never defined");
  topo_order();  // throws on cycles
}

// ---- printer --------------------------------------------------------------------------------

static std::string fmt_double(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), d);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string attr_str(const ops::AttrValue& a) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "None";
        else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(v);
        else if constexpr (std::is_same_v<T, double>) return fmt_double(v);
        else if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, Scalar>) {
          if (v.is_boolean()) return v.to_bool() ? "true" : "false";
          if (v.is_floating_point()) return fmt_double(v.to_double());
          return std::to_string(v.to_long());
        } else if constexpr (std::is_same_v<T, DimVector>) {
          std::string s = "[";
          for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
          return s + "]";
        } else if constexpr (std::is_same_v<T, std::string>) return "\"" + v + "\"";
        else return std::string(short_dtype(v));
      },
      a);
}

std::string node_str(const Node& n) {
  std::string s;
  for (size_t i = 0; i < n.outputs.size(); ++i) s += (i ? ", %" : "%") + n.outputs[i]->name + ": " + n.outputs[i]->type_str();
  s += " = " + n.kind + "(";
  for (size_t i = 0; i < n.num_op_inputs(); ++i) s += (i ? ", " : "") + (n.inputs[i] ? "%" + n.inputs[i]->name : "None");
  s += ")";
  std::string a;
  auto key = [&](size_t i) { return n.op && i < n.op->attr_specs.size() ? n.op->attr_specs[i].name : std::to_string(i); };
  for (size_t i = 0; i < n.attrs().size(); ++i) {
    if (n.attrs().is_none(i) || std::find(n.attr_inputs.begin(), n.attr_inputs.end(), i) != n.attr_inputs.end()) continue;
    a += (a.empty() ? "" : ", ") + key(i) + "=" + attr_str(n.attrs()[i]);
  }
  for (size_t k = 0; k < n.attr_inputs.size(); ++k) {
    Value* v = n.inputs[n.num_op_inputs() + k];
    a += (a.empty() ? "" : ", ") + key(n.attr_inputs[k]) + "=%" + (v ? v->name : "None");
  }
  if (!a.empty()) s += " {" + a + "}";
  return s;
}

static void print_graph(std::ostream& os, const Graph& g, const std::string& indent) {
  os << "graph " << g.name() << "(";
  for (size_t i = 0; i < g.inputs().size(); ++i)
    os << (i ? ", %" : "%") << g.inputs()[i]->name << ": " << g.inputs()[i]->type_str();
  os << ") {\n";
  for (Value* v : g.initializers()) os << indent << "  %" << v->name << ": " << v->type_str() << " = constant\n";
  std::vector<Node*> order;
  try {
    order = g.topo_order();
  } catch (const ValueError&) {
    order = g.nodes();  // a malformed graph still prints
  }
  for (Node* n : order) {
    os << indent << "  " << node_str(*n) << "\n";
    for (auto& sg : n->subgraphs) {
      os << indent << "    ";
      if (sg) print_graph(os, *sg, indent + "    ");
    }
  }
  os << indent << "  return ";
  for (size_t i = 0; i < g.outputs().size(); ++i) os << (i ? ", %" : "%") << g.outputs()[i]->name;
  os << "\n" << indent << "}\n";
}

std::ostream& operator<<(std::ostream& os, const Graph& g) {
  print_graph(os, g, "");
  return os;
}

std::string Graph::str() const {
  std::ostringstream os;
  os << *this;
  return os.str();
}

}  // namespace sinter::graph
