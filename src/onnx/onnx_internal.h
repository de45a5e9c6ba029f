// Internals of the ONNX importer: protobuf tensor conversion and the per-node builder context.
#pragma once
#include <onnx/onnx_pb.h>

#include <climits>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ops/registry.h"
#include "sinter/error.h"
#include "sinter/graph/ir.h"
#include "sinter/onnx.h"

namespace sinter::onnx::detail {

/// ONNX TensorProto.DataType -> sinter dtype (NotImplementedError for strings, complex, ...).
DType dtype_from_onnx(int32_t elem_type, const std::string& what);
/// The value type and element dtype of a TypeProto: a tensor, a sequence of tensors, or an
/// optional of either (NotImplementedError for maps and nested sequences). ops_sequence.cpp.
std::pair<graph::ValueType, DType> value_type_from_onnx(const ::onnx::TypeProto& t, const std::string& what);
/// Checks declared dims (>= 0, product within max_tensor_bytes for this dtype).
DimVector checked_dims(const google::protobuf::RepeatedField<int64_t>& dims, DType dt, const LoadOptions& o,
                       const std::string& what);
/// A TensorProto's data as a contiguous tensor (exact payload size checked; external data
/// read from inside options.base_dir only).
Tensor tensor_from_proto(const ::onnx::TensorProto& t, const LoadOptions& o, const std::string& what);
/// Reads a whole file, refusing files larger than max_bytes (IOError).
std::string read_file(const std::string& path, int64_t max_bytes);
/// Parses protobuf bytes into msg with size limits; IOError when malformed.
void parse_message(std::string_view bytes, google::protobuf::MessageLite& msg, const std::string& what);

/// A subgraph attribute (If's branches, Loop's and Scan's body) imported as a self-contained
/// graph: values it reads from enclosing graphs become extra graph inputs after its own, and
/// `captured` lists the enclosing values that feed them, in that order.
struct SubgraphImport {
  std::shared_ptr<graph::Graph> graph;
  std::vector<graph::Value*> captured;
};

class Ctx {
 public:
  Ctx(graph::Graph& g, const ::onnx::NodeProto& node, int opset, std::map<std::string, graph::Value*>& names,
      const LoadOptions& opts)
      : g(g), node(node), opset(opset), names_(names), opts_(opts) {}
  graph::Graph& g;
  const ::onnx::NodeProto& node;
  const int opset;
  /// Imports a GraphProto attribute of this node (set by the importer).
  /// `dtypes` gives the element types of body inputs declared without a type (in order).
  std::function<SubgraphImport(const ::onnx::GraphProto&, const std::vector<DType>&)> import_subgraph;
  /// The subgraph attribute `name` (ValueError when absent).
  SubgraphImport subgraph(const char* name, const std::vector<DType>& dtypes = {});
  /// Adds a control-flow node (If/Loop/Scan) with n_out outputs; their dtypes are the caller's
  /// to set.
  std::vector<graph::Value*> emit_control(const char* kind, std::vector<graph::Value*> inputs, ops::Attrs attrs,
                                          std::vector<std::shared_ptr<graph::Graph>> bodies, size_t n_out);

  size_t num_inputs() const;
  bool has_in(size_t i) const { return i < static_cast<size_t>(node.input_size()) && !node.input(static_cast<int>(i)).empty(); }
  graph::Value* in(size_t i) const;  // ValueError when absent and required
  graph::Value* opt_in(size_t i) const { return has_in(i) ? in(i) : nullptr; }
  /// The constant tensor feeding input i (NotImplementedError when computed at run time).
  Tensor const_in(size_t i, const char* what) const;
  std::vector<int64_t> const_ints(size_t i, const char* what) const;

  const ::onnx::AttributeProto* attr(const char* name) const;
  bool has_attr(const char* name) const { return attr(name) != nullptr; }
  int64_t attr_i(const char* name, int64_t def) const;
  double attr_f(const char* name, double def) const;
  std::string attr_s(const char* name, const std::string& def) const;
  std::vector<int64_t> attr_ints(const char* name, std::vector<int64_t> def = {}) const;
  std::vector<double> attr_floats(const char* name) const;
  std::vector<std::string> attr_strings(const char* name) const;
  Tensor attr_t(const char* name) const;

  /// Emits registry op `op` (folded to a constant at import when every input is constant).
  std::vector<graph::Value*> emit_n(const char* op, std::vector<graph::Value*> inputs, ops::Attrs attrs = {});
  graph::Value* emit(const char* op, std::vector<graph::Value*> inputs, ops::Attrs attrs = {}) {
    return emit_n(op, std::move(inputs), std::move(attrs))[0];
  }
  /// Attribute inputs: each (attribute index, value) gives that attribute from a tensor at run
  /// time (a Reshape target computed by the graph). Folded at import when all are constants.
  using AttrIn = std::vector<std::pair<size_t, graph::Value*>>;
  std::vector<graph::Value*> emit_n(const char* op, std::vector<graph::Value*> inputs, ops::Attrs attrs, AttrIn attr_in);
  graph::Value* emit(const char* op, std::vector<graph::Value*> inputs, ops::Attrs attrs, AttrIn attr_in) {
    return emit_n(op, std::move(inputs), std::move(attrs), std::move(attr_in))[0];
  }
  /// The value an ONNX name stands for so far (nullptr if none).
  graph::Value* lookup(const std::string& onnx_name) const {
    auto it = names_.find(onnx_name);
    return it == names_.end() ? nullptr : it->second;
  }
  /// Whether input i is present and a constant.
  bool is_const(size_t i) const { return has_in(i) && in(i)->is_initializer(); }
  /// sizes[start:end] of v as an int64 vector: a constant when static, else a `shape` node.
  graph::Value* shape_of(graph::Value* v, int64_t start = 0, int64_t end = INT64_MAX);
  /// Element i of 1-D v as a 0-d tensor (a constant when v is one).
  graph::Value* element(graph::Value* v, int64_t i);
  graph::Value* constant(const Tensor& t);
  graph::Value* scalar(double v, DType dt);
  /// Binds ONNX output i to v.
  void set_out(size_t i, graph::Value* v);
  size_t num_outputs() const { return static_cast<size_t>(node.output_size()); }
  bool has_out(size_t i) const { return i < num_outputs() && !node.output(static_cast<int>(i)).empty(); }

  /// Shape / dtype of a value (runs shape inference when needed).
  graph::Shape shape(graph::Value* v);
  DimVector static_shape(graph::Value* v, const char* why);
  int64_t rank(graph::Value* v) { return static_cast<int64_t>(shape(v).size()); }
  DType dtype(graph::Value* v);
  /// Wraps an axis into [0, rank) (ValueError naming the attribute).
  int64_t axis(int64_t a, int64_t rank, const char* what) const;

  [[noreturn]] void unsupported(const std::string& what) const;
  [[noreturn]] void invalid(const std::string& what) const;

 private:
  std::map<std::string, graph::Value*>& names_;
  const LoadOptions& opts_;
  std::string fresh(const std::string& base);
};

using BuildFn = std::function<void(Ctx&)>;
struct OpEntry {
  std::string op_type;
  int since, until;
  BuildFn build;
};
/// The newest default-domain opset the importer knows.
constexpr int kMaxOpset = 17;
/// ONNX's training-update domain; its ops are registered as "<domain>.<op type>".
inline constexpr const char* kTrainingDomain = "ai.onnx.preview.training";
/// Every importer entry (from all the ops_*.cpp files).
const std::vector<OpEntry>& op_table();
/// Adds one source file's entries at static-init time:
///   const TableRegistrar reg({{"DFT", 17, kMaxOpset, dft_build}, ...});
struct TableRegistrar {
  explicit TableRegistrar(std::vector<OpEntry> entries);
};

/// Shared builder helpers (ops.cpp).
inline DimVector dv(const std::vector<int64_t>& v) { return DimVector(IntArrayRef(v)); }
/// x as a contiguous view of `shape`.
graph::Value* reshape(Ctx& c, graph::Value* x, DimVector shape);
/// ONNX activation `name` (Relu, Tanh, Sigmoid, LeakyRelu, Elu, HardSigmoid, Softsign,
/// Softplus, ThresholdedRelu, Affine, ScaledTanh) on x; alpha/beta default as the ONNX op's
/// attributes do. NotImplementedError for other names.
graph::Value* activation(Ctx& c, const std::string& name, graph::Value* x, std::optional<double> alpha = {},
                         std::optional<double> beta = {});

}  // namespace sinter::onnx::detail
