// The op registry: one OpDef per op, holding its schema, meta (validation + output shapes),
// kernels, backward and ONNX name. Every public op call goes through dispatch() below.
#pragma once
#include <array>
#include <new>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sinter/attrs.h"
#include "sinter/autograd.h"
#include "sinter/tensor.h"

namespace sinter::ops {

/// What meta() says about one output.
struct OutSpec {
  DimVector sizes;
  DType dtype = DType::Float;
  /// Only for view ops: the output aliases input 0 with these strides and offset.
  DimVector strides;
  int64_t offset = 0;
};

constexpr size_t kMaxOutputs = 4;

struct OpDef;

/// Inputs and attributes of a call, as seen by meta and kernels.
struct OpCall {
  const OpDef& op;
  std::span<const Tensor> in;
  const Attrs& attrs;
  /// Outputs (allocated by dispatch before the kernel runs).
  std::span<Tensor> out;
  const Tensor& input(size_t i) const { return in[i]; }
};

/// Everything a backward function may read.
struct BackwardCtx {
  const OpDef& op;
  const Attrs& attrs;
  /// Saved inputs/outputs (undefined unless the op saves them).
  TensorList inputs;
  TensorList outputs;
  std::vector<bool> needs_input_grad;
  bool needs(size_t i) const { return i < needs_input_grad.size() && needs_input_grad[i]; }
  const Tensor& input(size_t i) const { return inputs[i]; }
  const Tensor& output(size_t i) const { return outputs[i]; }
};

using MetaFn = void (*)(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n_out);
using KernelFn = void (*)(const OpCall& c);
/// Returns one gradient per input (undefined where not needed / not differentiable).
using BackwardFn = TensorList (*)(BackwardCtx& c, const TensorList& grads);

enum SaveFlags : uint32_t {
  kSaveNone = 0,
  kSaveInputs = 1,   // all inputs
  kSaveOutputs = 2,  // all outputs
};

struct AttrSpec {
  std::string name;
  AttrValue default_value;
};

struct OpDef {
  std::string name;
  std::vector<std::string> input_names;
  std::vector<AttrSpec> attr_specs;
  int num_outputs = 1;
  MetaFn meta = nullptr;
  KernelFn cpu = nullptr;        // fast kernel
  KernelFn cpu_ref = nullptr;    // scalar reference kernel (tests compare fast with it)
  BackwardFn backward = nullptr;
  uint32_t save = kSaveInputs;
  uint32_t save_input_mask = ~0u;  // which inputs to save when kSaveInputs
  bool is_view = false;            // output aliases input 0 (meta gives strides/offset)
  bool data_dependent = false;     // meta reads input values (nonzero): no shape-only inference
  bool sizes_only = false;         // the kernel reads only its inputs' sizes (shape, numel)
  bool random = false;             // draws from a generator: never folded or computed ahead of a run
  /// Whether the kernel writes a 4-D float32 output channels-last (NHWC strides) when the
  /// executor's plan gives it one (it then reads channels-last inputs in place too).
  enum class ChannelsLast : uint8_t { No, IfInput, Always } channels_last = ChannelsLast::No;
  bool strings = false;            // takes or gives string tensors (every other op rejects them)
  std::vector<std::string> onnx;   // ONNX op types this op maps to
  std::string backward_name;       // "AddBackward0"

  // Builder.
  OpDef& input(std::string n) { input_names.push_back(std::move(n)); return *this; }
  OpDef& attr(std::string n, AttrValue def = std::monostate{}) {
    attr_specs.push_back({std::move(n), std::move(def)});
    return *this;
  }
  OpDef& outputs(int n) { num_outputs = n; return *this; }
  OpDef& set_meta(MetaFn f) { meta = f; return *this; }
  OpDef& set_cpu(KernelFn f) { cpu = f; if (!cpu_ref) cpu_ref = f; return *this; }
  OpDef& set_cpu_ref(KernelFn f) { cpu_ref = f; return *this; }
  OpDef& set_backward(BackwardFn f, uint32_t save_flags = kSaveInputs, uint32_t input_mask = ~0u) {
    backward = f; save = save_flags; save_input_mask = input_mask; return *this;
  }
  OpDef& view() { is_view = true; return *this; }
  OpDef& data_dependent_shape() { data_dependent = true; return *this; }
  OpDef& reads_sizes_only() { sizes_only = true; return *this; }
  OpDef& draws_random() { random = true; return *this; }
  OpDef& writes_channels_last(ChannelsLast when) { channels_last = when; return *this; }
  OpDef& accepts_strings() { strings = true; return *this; }
  OpDef& set_onnx(std::string n) { onnx.push_back(std::move(n)); return *this; }
};

/// All registered ops, by name.
class Registry {
 public:
  static Registry& get();
  /// Creates (at static-init time) and returns the op named `name`.
  OpDef& define(std::string name);
  /// Looks an op up by name (nullptr if absent).
  const OpDef* find(std::string_view name) const;
  std::vector<const OpDef*> all() const;

 private:
  std::vector<std::unique_ptr<OpDef>> ops_;
};

/// Defines an op at static-init time: `static OpDef& relu_op = def("relu").input("self")...;`
inline OpDef& def(std::string name) { return Registry::get().define(std::move(name)); }

/// Test hook: run the scalar reference kernels instead of the fast ones (this thread).
struct ReferenceKernels {
  static bool enabled();
  static void set_enabled(bool);
};

/// Output tensors of one call.
struct Outputs {
  std::array<Tensor, kMaxOutputs> t;
  size_t n = 0;
  Tensor& operator[](size_t i) { return t[i]; }
  Tensor release(size_t i) { return std::move(t[i]); }
};

/// The one path every op call takes: meta, allocate, kernel, autograd, anomaly checks.
Outputs dispatch(const OpDef& op, std::span<const Tensor> inputs, const Attrs& attrs);
/// Same, returning the single output.
Tensor call(const OpDef& op, std::initializer_list<Tensor> inputs, const Attrs& attrs = {});
Outputs call_multi(const OpDef& op, std::initializer_list<Tensor> inputs, const Attrs& attrs = {});
/// In-place: writes the result into `self` (= inputs[0]); checks shape and dtype castability.
Tensor& call_inplace(const OpDef& op, Tensor& self, std::initializer_list<Tensor> inputs, const Attrs& attrs = {});
/// Same, for ops with a runtime-sized input list (index_put_ with several index tensors).
Tensor& call_inplace(const OpDef& op, Tensor& self, std::span<const Tensor> inputs, const Attrs& attrs = {});
/// Writes the result into `out` (the `out=` form).
Tensor& call_out(const OpDef& op, Tensor& out, std::initializer_list<Tensor> inputs, const Attrs& attrs = {});

// ---- helpers for meta and kernels ---------------------------------------------------------

/// Wraps a negative dim; throws IndexError naming `op` when out of range.
int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim);
/// PyTorch broadcasting of two shapes; throws ShapeError naming `op` with both shapes.
DimVector broadcast_shapes(const char* op, IntArrayRef a, IntArrayRef b);
/// Contiguous strides for sizes.
DimVector contiguous_strides(IntArrayRef sizes);
/// The dtype an op over these tensors computes in (PyTorch's result_type: dimensioned tensors
/// outrank zero-dim tensors within a category).
DType result_type(std::span<const Tensor> ts);
DType result_type(const Tensor& t, const Scalar& s);
/// Sums grad down to `sizes` (undoing broadcasting).
Tensor sum_to(const Tensor& grad, IntArrayRef sizes);
/// A zero-dim tensor holding s with dtype d (a "wrapped number").
Tensor scalar_tensor(const Scalar& s, DType d);
/// String tensors reach only the ops that accept them (views touch only geometry): anything
/// else throws DTypeError naming the op and the input shapes/dtypes. Checked before meta for
/// the inputs and after it for the outputs (a factory asked for dtype string).
[[noreturn]] void throw_strings_not_supported(const OpDef& op, std::span<const Tensor> inputs);
inline void check_string_inputs(const OpDef& op, std::span<const Tensor> inputs) {
  if (op.strings || op.is_view || op.sizes_only) return;
  for (const Tensor& t : inputs)
    if (t.defined() && t.dtype() == DType::String) [[unlikely]]
      throw_strings_not_supported(op, inputs);
}
inline void check_string_outputs(const OpDef& op, std::span<const Tensor> inputs,
                                 const std::array<OutSpec, kMaxOutputs>& specs, size_t n_out) {
  if (op.strings || op.is_view || op.sizes_only) return;
  for (size_t i = 0; i < n_out; ++i)
    if (specs[i].dtype == DType::String) [[unlikely]]
      throw_strings_not_supported(op, inputs);
}
/// Throws DTypeError: "op: <what> is not supported for dtype X".
[[noreturn]] void throw_dtype(const char* op, DType t, const char* what);

}  // namespace sinter::ops
