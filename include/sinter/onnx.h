// ONNX import: a .onnx model becomes a graph::Graph over registry ops, ready for a
// graph::Session.
//
//   auto g = sinter::onnx::load("model.onnx");
//   sinter::graph::Session s(*g);
//   auto y = s.run({x});
//
// Supported: opsets 1-17 of the default domain ("" / "ai.onnx"); each ONNX op type has
// importer entries for opset ranges (see supported_ops()). Unsupported ops, opsets or
// attribute values fail at load time with NotImplementedError naming the node, its op type
// and the opset.
//
// Untrusted files: the file size is checked before parsing (and against protobuf's limits);
// declared dims must be >= 0 and small enough that no tensor exceeds max_tensor_bytes;
// tensor payloads (raw_data or typed fields) must hold exactly shape x dtype bytes; every
// value a node names must be defined earlier; outputs are defined once; attribute values are
// range-checked. External data is read only from files inside the model's folder (no
// absolute paths, no "..", no symlinks leading outside). Every failure is a typed sinter
// error (IOError, ValueError, ShapeError, NotImplementedError).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sinter/graph/ir.h"
#include "sinter/tensor.h"

namespace sinter::onnx {

struct LoadOptions {
  /// Largest model file accepted (bytes).
  int64_t max_file_bytes = int64_t(2) << 30;
  /// Largest single tensor (initializer, Constant, external data), in bytes.
  int64_t max_tensor_bytes = int64_t(1) << 32;
  /// Folder external data files are resolved against ("" : none allowed). load() sets it to
  /// the model's folder.
  std::string base_dir;
};

/// Loads a model file.
std::unique_ptr<graph::Graph> load(const std::string& path, LoadOptions options = {});
/// Loads a model from serialized ModelProto bytes.
std::unique_ptr<graph::Graph> load_bytes(std::string_view bytes, LoadOptions options = {});

/// Parses a serialized TensorProto (as in ONNX test data input_0.pb). `name` is for errors.
Tensor parse_tensor(std::string_view bytes, const std::string& name = "<memory>", LoadOptions options = {});
/// Reads a TensorProto file.
Tensor load_tensor(const std::string& path, LoadOptions options = {});

/// One importer entry: ONNX op type, the opset range it covers.
struct OpSupport {
  std::string op_type;
  int since = 1;
  int until = 17;
};
/// The importer table.
const std::vector<OpSupport>& supported_ops();

/// Summary for `sinter inspect`.
struct ModelInfo {
  std::string producer;
  int64_t ir_version = 0;
  int opset = 0;
  struct IO {
    std::string name;
    std::string type;  // "f32[N, 3, 224, 224]"
  };
  std::vector<IO> inputs, outputs;
  std::vector<std::pair<std::string, int64_t>> op_histogram;  // ONNX op type -> count
  int64_t parameters = 0;       // elements in the model's initializers
  double flops = 0;             // multiply-adds x 2 over Conv / Gemm / MatMul; symbolic dims count as 1
};
/// Reads a model's summary (the graph is imported to get shapes for the FLOP estimate).
ModelInfo inspect(const std::string& path, LoadOptions options = {});

}  // namespace sinter::onnx
