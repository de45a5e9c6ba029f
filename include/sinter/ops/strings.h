// Ops over string tensors (dtype kString). Build them with sinter::strings(values, sizes) and
// read them back with Tensor::strings() / item<std::string>(); casts to and from numbers are
// Tensor::to(dtype) (numbers print as numpy's str(); strings parse as Python's float()/int()).
#pragma once
#include <string>

#include "sinter/ops/factory.h"
#include "sinter/tensor.h"

namespace sinter {

/// ONNX's StringNormalizer: drops the elements of x (shape (C,) or (1, C)) found in the 1-D
/// string tensor `stopwords` (may be undefined: none; compared ignoring ASCII case unless is_case_sensitive), then
/// changes case: case_change_action "NONE", "LOWER" or "UPPER" (ASCII letters; other bytes,
/// including UTF-8 sequences, are kept). locale: "" or "en_US" (with an optional ".UTF-8").
/// When every element is dropped, the result is one empty string, of shape (1,) or (1, 1).
Tensor string_normalizer(const Tensor& x, const Tensor& stopwords, const std::string& case_change_action = "NONE",
                         bool is_case_sensitive = false, const std::string& locale = "");

}  // namespace sinter
