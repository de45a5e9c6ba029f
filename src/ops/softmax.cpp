// softmax and log_softmax along one dim: numerically stable (the row maximum is subtracted
// before exp), SIMD exp for float/double, backward written with sinter ops.
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/reduce_simd.h"
#include "ops/elementwise.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/nn.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/unary.h"

namespace sinter {
namespace ops {
namespace {

// The input as (A, K, C), softmax along K (contiguous input).
struct SoftmaxShape {
  int64_t A = 1, K = 1, C = 1;
};
SoftmaxShape softmax_shape(const Tensor& x, int64_t dim) {
  SoftmaxShape s;
  if (x.dim() == 0) return s;
  int64_t d = wrap_dim("softmax", dim, x.dim());
  for (int64_t i = 0; i < d; ++i) s.A *= x.size(i);
  s.K = x.size(d);
  for (int64_t i = d + 1; i < x.dim(); ++i) s.C *= x.size(i);
  return s;
}

// softmax / log_softmax (self; dim): floating input.
void softmax_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  const char* op = c.op.name.c_str();
  SINTER_CHECK(is_floating_point(x.dtype()), DTypeError, op, ": expected a floating point input, got ",
               dtype_name(x.dtype()), " (input ", shape_str(x.sizes()), "); pass dtype= to compute in a float type");
  wrap_dim(op, c.attrs.i(0), x.dim());
  out[0].sizes = DimVector(x.sizes());
  out[0].dtype = x.dtype();
  n = 1;
}

// One (K) line with stride `ld`, in the compute type of T.
template <class T>
void softmax_line(T* y, const T* x, int64_t K, int64_t ld, bool log) {
  using A = compute_t<T>;
  A m = -std::numeric_limits<A>::infinity();
  for (int64_t k = 0; k < K; ++k) {
    A v = static_cast<A>(x[k * ld]);
    if (std::isnan(v)) {
      m = v;
      break;
    }
    m = v > m ? v : m;
  }
  A s = 0;
  for (int64_t k = 0; k < K; ++k) s += std::exp(static_cast<A>(x[k * ld]) - m);
  const A ls = std::log(s);
  for (int64_t k = 0; k < K; ++k) {
    A v = static_cast<A>(x[k * ld]) - m;
    y[k * ld] = static_cast<T>(log ? v - ls : std::exp(v) / s);
  }
}

template <bool Log>
void softmax_kernel(const OpCall& c) {
  Tensor x = c.in[0].contiguous();
  const Tensor& y = c.out[0];
  if (x.numel() == 0) return;
  SoftmaxShape s = softmax_shape(x, c.attrs.i(0));
  visit_float_dtype(x.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(y.data_ptr());
    const int64_t K = s.K, C = s.C;
    if (C == 1) {  // rows
      kernels::parallel_for(s.A, std::max<int64_t>(1, kernels::kGrainSize / (4 * K)), [&](int64_t b, int64_t e) {
        for (int64_t a = b; a < e; ++a) {
          if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) kernels::simd::softmax_row(yp + a * K, xp + a * K, K, Log);
          else softmax_line(yp + a * K, xp + a * K, K, 1, Log);
        }
      });
      return;
    }
    // Columns: tasks are (a, block of C), each walking its K rows.
    constexpr int64_t kBlock = 256;
    const int64_t nb = (C + kBlock - 1) / kBlock;
    kernels::parallel_for(s.A * nb, std::max<int64_t>(1, kernels::kGrainSize / (4 * K * std::min(C, kBlock))),
                          [&](int64_t b, int64_t e) {
                            for (int64_t t = b; t < e; ++t) {
                              const int64_t a = t / nb, c0 = (t % nb) * kBlock, cn = std::min(kBlock, C - c0);
                              const T* xb = xp + a * K * C + c0;
                              T* yb = yp + a * K * C + c0;
                              if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
                                kernels::simd::softmax_cols(yb, xb, K, cn, C, Log);
                              } else {
                                for (int64_t j = 0; j < cn; ++j) softmax_line(yb + j, xb + j, K, C, Log);
                              }
                            }
                          });
  });
}

// Reference: each line on its own, in double.
template <bool Log>
void softmax_ref_kernel(const OpCall& c) {
  Tensor x = c.in[0].contiguous();
  const Tensor& y = c.out[0];
  if (x.numel() == 0) return;
  SoftmaxShape s = softmax_shape(x, c.attrs.i(0));
  visit_float_dtype(x.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(y.data_ptr());
    std::vector<double> line(static_cast<size_t>(s.K));
    for (int64_t a = 0; a < s.A; ++a)
      for (int64_t j = 0; j < s.C; ++j) {
        const int64_t base = a * s.K * s.C + j;
        for (int64_t k = 0; k < s.K; ++k) line[k] = static_cast<double>(static_cast<compute_t<T>>(xp[base + k * s.C]));
        softmax_line(line.data(), line.data(), s.K, 1, Log);
        for (int64_t k = 0; k < s.K; ++k) yp[base + k * s.C] = cast<T>(line[k]);
      }
  });
}

// dx = y * (g - sum(g * y))
TensorList softmax_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& y = c.output(0);
  int64_t d = c.attrs.i(0);
  return {(g[0] - (g[0] * y).sum({d}, true)) * y};
}
// dx = g - exp(y) * sum(g)
TensorList log_softmax_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& y = c.output(0);
  int64_t d = c.attrs.i(0);
  return {g[0] - exp(y) * g[0].sum({d}, true)};
}

}  // namespace

OpDef& softmax_op = def("softmax").input("self").attr("dim", int64_t(-1)).set_meta(softmax_meta)
                        .set_cpu(softmax_kernel<false>).set_cpu_ref(softmax_ref_kernel<false>)
                        .set_backward(softmax_backward, kSaveOutputs).set_onnx("Softmax");
OpDef& log_softmax_op = def("log_softmax").input("self").attr("dim", int64_t(-1)).set_meta(softmax_meta)
                            .set_cpu(softmax_kernel<true>).set_cpu_ref(softmax_ref_kernel<true>)
                            .set_backward(log_softmax_backward, kSaveOutputs).set_onnx("LogSoftmax");

}  // namespace ops

// dtype= converts the input first (a differentiable cast), as torch does.
Tensor softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return ops::call(ops::softmax_op, {dtype && *dtype != x.dtype() ? x.to(*dtype) : x}, {dim});
}
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return ops::call(ops::log_softmax_op, {dtype && *dtype != x.dtype() ? x.to(*dtype) : x}, {dim});
}
Tensor Tensor::softmax(int64_t dim, std::optional<DType> dtype) const { return sinter::softmax(*this, dim, dtype); }
Tensor Tensor::log_softmax(int64_t dim, std::optional<DType> dtype) const {
  return sinter::log_softmax(*this, dim, dtype);
}

}  // namespace sinter
