// The graph IR: a Graph owns Values (typed, shaped, possibly symbolic) and Nodes (each naming a
// registry op with positional attributes). Graphs come from hand-written builders, the ONNX
// importer and (later) capture of eager code; the Session (session.h) plans and runs them.
//
//   graph::Graph g("mlp");
//   auto* x = g.add_input("x", kFloat, {"N", 784});          // symbolic batch N
//   g.add_initializer("w1", w1); g.add_initializer("b1", b1);
//   auto* h = g.add_node("linear", {x, "w1", "b1"})->output();
//   auto* y = g.add_node("relu", {h}, {}, {"y"})->output();   // named output
//   g.set_outputs({y});
//   g.verify(); g.infer_shapes(); std::cout << g;
#pragma once
#include <array>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sinter/attrs.h"
#include "sinter/tensor.h"

namespace sinter::ops {
struct OpDef;
}  // namespace sinter::ops

namespace sinter::graph {

class Graph;
struct Node;
struct Value;

/// One dimension: a static size (>= 0), a named symbol ("N"), or unknown (neither).
struct Dim {
  int64_t value = -1;
  std::string symbol;

  Dim() = default;
  Dim(int64_t v) : value(v) {}                       // NOLINT: implicit, so {2, 3} is a Shape
  Dim(int v) : value(v) {}                           // NOLINT
  Dim(const char* s) : symbol(s) {}                  // NOLINT: {"N", 64}
  Dim(std::string s) : symbol(std::move(s)) {}       // NOLINT
  static Dim unknown() { return Dim(); }

  bool is_static() const { return value >= 0; }
  bool is_symbolic() const { return value < 0 && !symbol.empty(); }
  bool is_unknown() const { return value < 0 && symbol.empty(); }
  bool operator==(const Dim& o) const { return value == o.value && symbol == o.symbol; }
  /// "64", "N" or "?".
  std::string str() const;
};

using Shape = std::vector<Dim>;
/// A static shape from sizes.
Shape make_shape(IntArrayRef sizes);
/// "[N, 64]".
std::string shape_string(const Shape& s);
/// True when every dim is static.
bool is_static(const Shape& s);
/// The sizes of a static shape (throws ValueError otherwise).
DimVector static_sizes(const Shape& s);

/// Where a value is consumed: input `index` of `node`.
struct Use {
  Node* node = nullptr;
  size_t index = 0;
};

/// What a value holds: a tensor, a sequence of tensors (all of the value's dtype), or an
/// optional (ONNX Optional: empty, or holding a tensor / a sequence). Non-tensor values are
/// made and read only by sequence and control-flow nodes (op == nullptr); their shape stays
/// unknown.
enum class ValueType : uint8_t { Tensor, Sequence, OptionalTensor, OptionalSequence };
/// "tensor", "sequence", "optional<tensor>", "optional<sequence>".
const char* value_type_name(ValueType t);

/// A typed, shaped value. Exactly one of: graph input, initializer (a constant tensor),
/// output of a node, or undefined (named before its producer was added; the verifier
/// rejects graphs that still hold undefined values).
struct Value {
  enum class Kind { Undefined, Input, Initializer, NodeOutput };
  Kind kind = Kind::Undefined;
  std::string name;
  DType dtype = DType::Float;  // for sequences and optionals: the element dtype
  ValueType type = ValueType::Tensor;
  /// Unknown (nullopt) until given (graph inputs) or inferred (infer_shapes()).
  std::optional<Shape> shape;
  /// The constant, for initializers.
  Tensor constant;
  /// The node that defines this value (NodeOutput), and which of its outputs it is.
  Node* producer = nullptr;
  size_t output_index = 0;
  /// Every consumer (kept up to date by Graph's mutators).
  std::vector<Use> uses;
  /// Set by shape inference for small values computed from shapes alone (Shape -> Gather ->
  /// Concat feeding a Reshape): the value in each of inference's two representative-size runs
  /// (see infer_shapes()). Undefined otherwise. Lets an op whose attribute comes from such a
  /// value still get a symbolic output shape.
  std::array<Tensor, 2> shape_value;

  bool is_input() const { return kind == Kind::Input; }
  bool is_initializer() const { return kind == Kind::Initializer; }
  bool is_constant() const { return kind == Kind::Initializer; }
  bool is_tensor() const { return type == ValueType::Tensor; }
  /// "f32[N, 64]" (or "f32[?]" when the shape is unknown); "seq<f32>", "opt<f32[?]>",
  /// "opt<seq<f32>>" for the other value types.
  std::string type_str() const;
};

/// A reference to a value by pointer or by name; "" or nullptr means an absent optional
/// input (a conv without bias). A name that does not exist yet creates an undefined value
/// that a later node output of that name defines (so nodes may be added out of order).
struct ValueRef {
  Value* value = nullptr;
  std::string name;
  ValueRef(std::nullptr_t) {}                            // NOLINT
  ValueRef(Value* v) : value(v) {}                       // NOLINT
  ValueRef(const char* n) : name(n) {}                   // NOLINT
  ValueRef(std::string n) : name(std::move(n)) {}        // NOLINT
  ValueRef(std::string_view n) : name(n) {}              // NOLINT
};

/// One op application. `op` is the registry entry; control-flow nodes (If/Loop/Scan) and
/// sequence/optional nodes (SequenceConstruct, SequenceAt, SequenceMap, Optional, ... see
/// src/graph/sequence.h) have op == nullptr, `kind` naming them, and bodies in `subgraphs`.
///
/// Attribute inputs: an attribute may take its value from a tensor at run time (a Reshape
/// whose target shape is computed by the graph). Such values are extra inputs after the op's
/// own: input num_op_inputs() + k gives attribute attr_inputs[k] (a 1-D integer tensor for a
/// list attribute, a one-element tensor for a scalar one). Graph::bind_attr_input adds them.
struct Node {
  const ops::OpDef* op = nullptr;
  std::string kind;  // op->name, or the control-flow type
  std::string name;
  std::vector<Value*> inputs;  // nullptr: absent optional input
  std::vector<Value*> outputs;
  std::unique_ptr<ops::Attrs> attrs_;  // positional, as in the op's schema (see attrs())
  std::vector<std::shared_ptr<Graph>> subgraphs;
  std::vector<size_t> attr_inputs;  // attribute index given by each trailing attribute input

  Node();
  ~Node();
  const ops::Attrs& attrs() const { return *attrs_; }
  ops::Attrs& attrs() { return *attrs_; }
  /// The attributes with the schema's defaults filled in (what meta and kernels see).
  ops::Attrs full_attrs() const;
  Value* output(size_t i = 0) const { return outputs.at(i); }
  Value* input(size_t i) const { return inputs.at(i); }
  /// Inputs the op itself takes (the rest are attribute inputs).
  size_t num_op_inputs() const { return inputs.size() - attr_inputs.size(); }
};

/// A graph: values, nodes in insertion order, graph inputs/outputs, initializers.
/// Not thread-safe for mutation; a const Graph may be read from many threads.
class Graph {
 public:
  explicit Graph(std::string name = "graph");
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  /// A deep copy (values and nodes; subgraphs and constant tensors are shared).
  std::unique_ptr<Graph> clone() const;

  const std::string& name() const { return name_; }

  // ---- builder ---------------------------------------------------------------------------
  /// A graph input. Throws ValueError if the name is taken.
  Value* add_input(std::string name, DType dtype, Shape shape);
  /// A constant (weights). Its dtype and static shape come from the tensor.
  Value* add_initializer(std::string name, Tensor value);
  /// Adds a node applying registry op `op`. n_outputs < 0 takes the op's count; outputs are
  /// named "<node name>" (one output) or "<node name>.<i>". The node name defaults to
  /// "<op>_<k>". Unknown op names throw ValueError; schema checks happen in verify().
  Node* add_node(const ops::OpDef& op, std::vector<ValueRef> inputs, ops::Attrs attrs, int n_outputs = -1,
                 std::string name = "");
  Node* add_node(std::string_view op, std::vector<ValueRef> inputs, ops::Attrs attrs, int n_outputs = -1,
                 std::string name = "");
  Node* add_node(std::string_view op, std::vector<ValueRef> inputs);
  /// Same, naming the outputs (their count is output_names.size()).
  Node* add_node(const ops::OpDef& op, std::vector<ValueRef> inputs, ops::Attrs attrs,
                 std::vector<std::string> output_names, std::string name = "");
  Node* add_node(std::string_view op, std::vector<ValueRef> inputs, ops::Attrs attrs,
                 std::vector<std::string> output_names, std::string name = "");
  /// A control-flow or sequence node (If, Loop, Scan, SequenceAt, ...): no registry op, bodies
  /// as subgraphs. The caller sets the outputs' value types and dtypes.
  Node* add_control_node(std::string kind, std::vector<ValueRef> inputs, ops::Attrs attrs,
                         std::vector<std::string> output_names, std::vector<std::shared_ptr<Graph>> subgraphs,
                         std::string name = "");
  /// Makes attribute `attr` (schema position) of `node` take the value of `v` at run time,
  /// appending v as an attribute input. ValueError for an unknown or already bound attribute.
  void bind_attr_input(Node* node, size_t attr, ValueRef v);
  void set_outputs(std::vector<ValueRef> outputs);
  void add_output(ValueRef v);

  // ---- mutation (passes) -----------------------------------------------------------------
  /// Points input i of node at v (uses are updated).
  void replace_input(Node* node, size_t i, ValueRef v);
  /// Replaces every use of `from` (and graph outputs) by `to`.
  void replace_all_uses(Value* from, Value* to);
  /// Removes a node whose outputs are unused (ValueError otherwise); its outputs are removed.
  void remove_node(Node* node);
  /// Removes an unused initializer or undefined value.
  void remove_value(Value* v);
  /// Renames a value (ValueError if the name is taken).
  void rename(Value* v, std::string name);

  // ---- access ----------------------------------------------------------------------------
  Value* find(std::string_view name) const;
  /// The value named `name` (ValueError naming it if absent).
  Value* value(std::string_view name) const;
  const std::vector<Value*>& inputs() const { return inputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  /// Nodes in insertion order.
  std::vector<Node*> nodes() const;
  size_t num_nodes() const { return nodes_.size(); }
  /// All values (insertion order).
  std::vector<Value*> values() const;
  /// Initializers (insertion order).
  std::vector<Value*> initializers() const;

  // ---- analysis --------------------------------------------------------------------------
  /// Nodes in a topological order (stable: insertion order where free). ValueError on a cycle,
  /// naming a node on it.
  std::vector<Node*> topo_order() const;
  /// Checks the graph: every used value defined (input, initializer or node output), no
  /// cycles, input counts equal to the op's schema (at least all but the list for cat-like
  /// ops), no more attributes than the schema, 1..op outputs per node, graph outputs defined,
  /// subgraphs recursively. Throws ValueError naming the node and op, never aborts.
  /// A subgraph (If/Loop/Scan body) may name values of its enclosing graphs: they stay
  /// undefined inside it and are checked against the enclosing scopes. An importer should
  /// also list such captured values as extra inputs of the control node, so the outer
  /// topological order sees the dependency.
  void verify() const;
  /// Infers every node output's dtype and shape through the ops' meta functions (verifies
  /// first). Symbolic dims are inferred twice with different representative sizes: a dim
  /// equal in both runs is static, one equal to the symbol's representative in both runs
  /// is that symbol, anything else is unknown ("?"). Values whose inputs have unknown
  /// shapes stay unknown. Meta errors are rethrown with the same type naming node and op.
  void infer_shapes();
  /// Infers one node's outputs from its inputs' dtypes and shapes (an importer calls this per
  /// node as it adds them). Views of views are inferred from contiguous stand-ins here, so a
  /// view that needs its input's real strides is checked only by infer_shapes() and the
  /// Session. Errors as infer_shapes().
  void infer_node(Node* node);

  /// The text form (see print()).
  std::string str() const;

 private:
  friend class GraphBuilderAccess;
  void verify_scoped(const std::vector<const Graph*>& outer) const;
  Value* new_value(std::string name, Value::Kind kind);
  Value* resolve(const ValueRef& r);
  std::string fresh_node_name(std::string_view base);
  Node* add_node_impl(const ops::OpDef* op, std::string kind, std::vector<ValueRef> inputs, ops::Attrs attrs,
                      std::vector<std::string> output_names, std::string name);

  std::string name_;
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value*, std::less<>> by_name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<std::string, int, std::less<>> node_names_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  int64_t counter_ = 0;
  std::map<std::string, size_t, std::less<>> symbols_;  // symbol -> index of its representative sizes
};

/// Writes the graph as text:
///   graph mlp(%x: f32[N, 4]) {
///     %w: f32[3, 4] = constant
///     %h: f32[N, 3] = linear(%x, %w, None)
///     %y: f32[N, 3] = softmax(%h) {dim=1}
///     return %y
///   }
std::ostream& operator<<(std::ostream& os, const Graph& g);
/// One node's line, "%y: f32[N, 3] = softmax(%h) {dim=1}".
std::string node_str(const Node& n);

}  // namespace sinter::graph
