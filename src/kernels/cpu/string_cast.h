// Copies of string tensors: conversions between string tensors and numeric ones, as ONNX's
// Cast (and numpy's astype) define them (numbers print as numpy's str() does, strings parse as
// Python's float()/int()), and the one-element copy of the reference kernels.
#pragma once
#include <cstring>
#include <string>
#include <string_view>

#include "sinter/tensor.h"

namespace sinter::kernels {

/// dst = src with one side (or both) of dtype string: elementwise assignment, formatting or
/// parsing, on one thread; src broadcast to dst's shape. Both tensors may be strided.
void copy_strings(const Tensor& dst, const Tensor& src);

/// Copies one element of dtype dt (es bytes): bytes for numbers, assignment for strings.
inline void copy_element(char* dst, const char* src, int64_t es, DType dt) {
  if (dt == DType::String) *reinterpret_cast<std::string*>(dst) = *reinterpret_cast<const std::string*>(src);
  else std::memcpy(dst, src, static_cast<size_t>(es));
}

}  // namespace sinter::kernels
