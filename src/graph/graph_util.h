// Internal helpers of the graph layer.
#pragma once
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

}  // namespace sinter::graph
