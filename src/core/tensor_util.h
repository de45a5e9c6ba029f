// Internal helpers to build tensors (not part of the public API).
#pragma once
#include "sinter/tensor.h"

namespace sinter::detail {

/// A new contiguous tensor with uninitialised memory.
Tensor make_empty(IntArrayRef sizes, DType dtype, Device device = Device());
/// A tensor sharing `base`'s storage with the given geometry (no autograd state).
Tensor make_alias(const Tensor& base, IntArrayRef sizes, IntArrayRef strides, int64_t offset);
/// Number of elements of a shape; throws ShapeError naming `op` on negative sizes or overflow.
int64_t checked_numel(const char* op, IntArrayRef sizes);

}  // namespace sinter::detail
