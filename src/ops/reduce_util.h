// The reduction driver: reduced dims are moved last, each output reduces one row of K values.
#pragma once
#include "kernels/cpu/loops.h"
#include "ops/registry.h"

namespace sinter::ops {

/// Which dims a reduction covers (empty `dims` = all) and the output shape.
struct ReducePlan {
  std::vector<bool> reduce;  // per input dim
  DimVector out_sizes;       // with keepdim applied
  int64_t outer = 1;         // number of output elements
  int64_t inner = 1;         // elements reduced into each output (K)
};
ReducePlan make_reduce_plan(const char* op, const Tensor& x, IntArrayRef dims, bool keepdim);

/// x viewed as (outer, inner) rows, contiguous (copies only when the layout requires it).
Tensor reduce_rows(const Tensor& x, const ReducePlan& p);

/// Applies row(const T* data, int64_t K) -> R for each of the `outer` rows, writing out[i].
template <class T, class R, class RowFn>
void for_each_row(const Tensor& rows, const Tensor& out, const ReducePlan& p, RowFn&& row) {
  const T* x = static_cast<const T*>(rows.data_ptr());
  R* o = static_cast<R*>(out.data_ptr());
  const int64_t K = p.inner;
  kernels::parallel_for(p.outer, std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(K, 1)),
                        [&](int64_t b, int64_t e) {
                          for (int64_t i = b; i < e; ++i) o[i] = row(x + i * K, K);
                        });
}

/// Sum of n contiguous values, accurate (blocked, double across blocks) and vectorisable.
template <class T>
double sum_contiguous(const T* x, int64_t n) {
  using A = compute_t<T>;
  double total = 0;
  constexpr int64_t kBlock = 4096;
  for (int64_t b = 0; b < n; b += kBlock) {
    int64_t e = std::min(n, b + kBlock);
    A acc[8] = {};
    int64_t i = b;
    for (; i + 8 <= e; i += 8)
      for (int k = 0; k < 8; ++k) acc[k] += A(x[i + k]);
    A s = 0;
    for (; i < e; ++i) s += A(x[i]);
    total += static_cast<double>(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + s);
  }
  return total;
}

}  // namespace sinter::ops
