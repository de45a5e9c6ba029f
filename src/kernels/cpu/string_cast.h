// Conversions between string tensors and numeric ones, as ONNX's Cast (and numpy's astype)
// define them: numbers print as numpy's str() does, strings parse as Python's float()/int().
#pragma once
#include <string>
#include <string_view>

#include "sinter/tensor.h"

namespace sinter::kernels {

/// dst = src with one side (or both) of dtype string: elementwise assignment, formatting or
/// parsing, on one thread; src broadcast to dst's shape. Both tensors may be strided.
void copy_strings(const Tensor& dst, const Tensor& src);

}  // namespace sinter::kernels
