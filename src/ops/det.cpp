// det(self): determinants of square matrices (..., n, n) by LU factorisation with partial
// pivoting, accumulated in double. No backward yet (it needs the inverse).
#include <cmath>
#include <utility>
#include <vector>

#include "core/tensor_util.h"
#include "ops/registry.h"
#include "sinter/ops/linalg.h"

namespace sinter {
namespace ops {
namespace {

void det_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  SINTER_CHECK(x.dim() >= 2, ShapeError, "det: expected a tensor of shape (*, n, n), got ", shape_str(x.sizes()));
  SINTER_CHECK(x.size(-1) == x.size(-2), ShapeError, "det: expected square matrices, got shape ", shape_str(x.sizes()));
  SINTER_CHECK(is_floating_point(x.dtype()), DTypeError, "det: expected a floating point input, got ",
               dtype_name(x.dtype()), " of shape ", shape_str(x.sizes()));
  out[0].sizes = DimVector(x.sizes().begin(), x.sizes().end() - 2);
  out[0].dtype = x.dtype();
  n = 1;
}

double lu_det(std::vector<double>& a, int64_t n) {
  double det = 1;
  for (int64_t k = 0; k < n; ++k) {
    int64_t p = k;
    for (int64_t i = k + 1; i < n; ++i)
      if (std::abs(a[i * n + k]) > std::abs(a[p * n + k])) p = i;
    if (a[p * n + k] == 0) return 0;
    if (p != k) {
      for (int64_t j = 0; j < n; ++j) std::swap(a[k * n + j], a[p * n + j]);
      det = -det;
    }
    const double piv = a[k * n + k];
    det *= piv;
    for (int64_t i = k + 1; i < n; ++i) {
      const double f = a[i * n + k] / piv;
      for (int64_t j = k + 1; j < n; ++j) a[i * n + j] -= f * a[k * n + j];
    }
  }
  return det;
}

void det_kernel(const OpCall& c) {
  Tensor x = c.in[0].contiguous();
  const int64_t n = x.size(-1), batch = c.out[0].numel();
  visit_float_dtype(x.dtype(), "det", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(c.out[0].data_ptr());
    std::vector<double> a(static_cast<size_t>(n * n));
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t i = 0; i < n * n; ++i) a[static_cast<size_t>(i)] = static_cast<double>(static_cast<compute_t<T>>(xp[b * n * n + i]));
      yp[b] = static_cast<T>(static_cast<compute_t<T>>(lu_det(a, n)));
    }
  });
}

}  // namespace

OpDef& det_op = def("det").input("self").set_meta(det_meta).set_cpu(det_kernel).set_onnx("Det");

}  // namespace ops

Tensor det(const Tensor& x) { return ops::call(ops::det_op, {x}); }

}  // namespace sinter
