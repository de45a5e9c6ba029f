// Reductions over any set of dims (keepdim as in PyTorch), and scans.
#pragma once
#include <optional>
#include <tuple>

#include "sinter/tensor.h"

namespace sinter {

Tensor sum(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor sum(const Tensor& x, IntArrayRef dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& x, IntArrayRef dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& x, int64_t dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt);
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor amax(const Tensor& x, IntArrayRef dim = {}, bool keepdim = false);
Tensor amin(const Tensor& x, IntArrayRef dim = {}, bool keepdim = false);
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
/// correction: 1 = unbiased (Bessel), 0 = population.
Tensor var(const Tensor& x, std::optional<IntArrayRef> dim = std::nullopt, std::optional<int64_t> correction = 1,
           bool keepdim = false);
Tensor std(const Tensor& x, std::optional<IntArrayRef> dim = std::nullopt, std::optional<int64_t> correction = 1,
           bool keepdim = false);
std::tuple<Tensor, Tensor> var_mean(const Tensor& x, std::optional<IntArrayRef> dim = std::nullopt,
                                    std::optional<int64_t> correction = 1, bool keepdim = false);
Tensor logsumexp(const Tensor& x, IntArrayRef dim, bool keepdim = false);
/// p-norm over dims (all when empty); p may be inf / -inf / 0 / any real.
Tensor norm(const Tensor& x, const Scalar& p = 2, IntArrayRef dim = {}, bool keepdim = false);
Tensor all(const Tensor& x);
Tensor all(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor any(const Tensor& x);
Tensor any(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor count_nonzero(const Tensor& x, IntArrayRef dim = {});

}  // namespace sinter
