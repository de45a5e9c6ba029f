// Conversions between string tensors and numeric ones, as ONNX's Cast (and numpy's astype)
// define them: numbers print as numpy's str() does, strings parse as Python's float()/int().
#pragma once
#include <string>
#include <string_view>

#include "sinter/tensor.h"

namespace sinter::kernels {

/// numpy's str() of one element: shortest round-trip digits of T ("0.1", "1e-05", "nan",
/// "123456790.0" for float32), decimal integers, "True"/"False".
template <class T>
std::string format_element(T v);

/// Parses one string as a T; throws ValueError ("cast: could not convert string 'x' to int64").
/// Floats: surrounding whitespace, a sign, "nan", "inf"/"infinity" (any case) are accepted.
template <class T>
T parse_element(std::string_view s);

/// dst = src with one side (or both) of dtype string: elementwise assignment, formatting or
/// parsing, on one thread; src broadcast to dst's shape. Both tensors may be strided.
void copy_strings(const Tensor& dst, const Tensor& src);

}  // namespace sinter::kernels
