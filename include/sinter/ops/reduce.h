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

// Sorting and selection.
/// The k largest (or smallest) entries along dim and their indices; equal values keep their
/// order (lower index first), NaN counts as the largest.
std::tuple<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true);
/// Distinct entries of x (flattened) or distinct slices along dim: (values, index of each one's
/// first occurrence, the entry of each input element / slice, counts). sorted = false keeps the
/// order of first occurrence.
std::tuple<Tensor, Tensor, Tensor, Tensor> unique(const Tensor& x, bool sorted = true,
                                                  std::optional<int64_t> dim = std::nullopt);

}  // namespace sinter
