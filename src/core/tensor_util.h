// Internal helpers to build tensors (not part of the public API).
#pragma once
#include "sinter/tensor.h"

namespace sinter::detail {

/// A new contiguous tensor with uninitialised memory.
Tensor make_empty(IntArrayRef sizes, DType dtype, Device device = Device());
/// A storage of n default-constructed std::string elements (destroyed with it).
Storage* allocate_strings(int64_t n, Device device = Device());
/// A tensor sharing `base`'s storage with the given geometry (no autograd state).
Tensor make_alias(const Tensor& base, IntArrayRef sizes, IntArrayRef strides, int64_t offset);
/// Number of elements of a shape; throws ShapeError naming `op` on negative sizes or overflow.
int64_t checked_numel(const char* op, IntArrayRef sizes);
/// Strides of an (N, C, H, W) tensor stored channels-last, i.e. N, H, W, C in memory:
/// (H*W*C, 1, W*C, C).
DimVector channels_last_strides(IntArrayRef sizes);
/// True when t is 4-D, dense and stored channels-last (a dim of size 1 may have any stride). A
/// tensor that is also contiguous (C == 1, or H == W == 1) counts as plain: false.
bool is_channels_last(const Tensor& t);

}  // namespace sinter::detail
