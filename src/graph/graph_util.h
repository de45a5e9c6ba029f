// Internal helpers of the graph layer.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "ops/registry.h"
#include "sinter/error.h"
#include "sinter/graph/ir.h"

namespace sinter::graph {

std::string_view short_dtype(DType t);
std::string attr_str(const ops::AttrValue& a);

/// A tensor with sizes/strides/offset but no memory, for meta functions (which never touch
/// data).
Tensor meta_tensor(IntArrayRef sizes, DType dtype);

/// Runs f(); a typed error it throws is rethrown with the same type, prefixed with the node.
template <class F>
decltype(auto) with_node_context(const Node& n, F&& f) {
  auto ctx = [&](const std::exception& e) {
    return detail::str_cat("node '", n.name, "' (", n.kind, "): ", e.what());
  };
  try {
    return f();
  } catch (const ShapeError& e) {
    throw ShapeError(ctx(e));
  } catch (const DTypeError& e) {
    throw DTypeError(ctx(e));
  } catch (const IndexError& e) {
    throw IndexError(ctx(e));
  } catch (const ValueError& e) {
    throw ValueError(ctx(e));
  } catch (const NotImplementedError& e) {
    throw NotImplementedError(ctx(e));
  }
}

/// Runs op's meta on these inputs (attrs with defaults) and returns the output specs.
struct MetaResult {
  std::array<ops::OutSpec, ops::kMaxOutputs> specs;
  size_t n = 0;
};
MetaResult run_meta(const Node& n, std::span<const Tensor> inputs, const ops::Attrs& full_attrs);

// ---- attribute inputs and evaluation ahead of the run (evaluate.cpp) -----------------------

/// Largest value (elements) computed ahead of the run, at inference or plan time: shape
/// arithmetic, not tensors of data.
constexpr int64_t kMaxEarlyNumel = 4096;

/// True when t holds data (meta stand-ins do not).
bool has_data(const Tensor& t);
/// Ops whose result is not a function of their inputs (OpDef::random: dropout, random draws):
/// never evaluated early or folded.
bool is_nondeterministic(const ops::OpDef& op);
/// Attribute `attr` of n's op from tensor t (a 1-D integer tensor for a list attribute, a
/// one-element tensor for a scalar). ValueError naming the node and attribute otherwise.
ops::AttrValue attr_from_tensor(const Node& n, size_t attr, const Tensor& t);
/// n's full attributes with its attribute inputs filled in from `inputs` (all of n's inputs,
/// attribute inputs last); nullopt when one of them holds no data (not known yet).
std::optional<ops::Attrs> resolve_attrs(const Node& n, const ops::Attrs& full, std::span<const Tensor> inputs);
/// Whether n can be computed ahead of the run from these op inputs: a deterministic op whose
/// inputs hold data (or whose kernel reads only sizes), all small.
bool can_evaluate_early(const Node& n, std::span<const Tensor> op_inputs);
/// Runs n's kernel now (views alias their input); outputs are new tensors. `op_inputs` are the
/// op's own inputs, `attrs` resolved.
std::vector<Tensor> evaluate_node(const Node& n, std::span<const Tensor> op_inputs, const ops::Attrs& attrs);

}  // namespace sinter::graph
