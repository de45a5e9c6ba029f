// Linear algebra (oneDNN-backed GEMM).
#pragma once
#include <optional>
#include <string_view>
#include <vector>

#include "sinter/tensor.h"

namespace sinter {

/// torch.matmul with every broadcasting case (1-D, 2-D, batched, broadcast batch dims).
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& a, const Tensor& v);
Tensor dot(const Tensor& a, const Tensor& b);
Tensor addmm(const Tensor& self, const Tensor& m1, const Tensor& m2, const Scalar& beta = 1, const Scalar& alpha = 1);
Tensor outer(const Tensor& a, const Tensor& b);
/// Einstein summation: einsum("bij,bjk->bik", {a, b}).
Tensor einsum(std::string_view equation, const std::vector<Tensor>& operands);
/// Determinants of square matrices (..., n, n) -> (...).
Tensor det(const Tensor& x);

}  // namespace sinter
