// Scans along one dim: cumsum, cumprod. Integer and bool inputs give int64 (as torch) unless a
// dtype is given; float sums and products accumulate in double.
#include <vector>

#include "ops/elementwise.h"
#include "sinter/autograd.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/reduce.h"

namespace sinter {
namespace ops {
namespace {

struct ScanShape {  // contiguous input as (A, K, C), scanning along K
  int64_t A = 1, K = 1, C = 1;
};
ScanShape scan_shape(const Tensor& x, int64_t dim) {
  ScanShape s;
  if (x.dim() == 0) return s;
  int64_t d = wrap_dim("cumsum", dim, x.dim());
  for (int64_t i = 0; i < d; ++i) s.A *= x.size(i);
  s.K = x.size(d);
  for (int64_t i = d + 1; i < x.dim(); ++i) s.C *= x.size(i);
  return s;
}

// cumsum(self; dim, dtype, reverse) / cumprod(self; dim, dtype). `reverse` scans from the end
// (ONNX CumSum's attribute; the gradient of cumsum is a reverse cumsum).
void scan_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  wrap_dim(c.op.name.c_str(), c.attrs.i(0), x.dim());
  out[0].sizes = DimVector(x.sizes());
  // integers accumulate in int64 like PyTorch; uint16/32/64 in uint64 like numpy
  out[0].dtype = !c.attrs.is_none(1)         ? c.attrs.dtype(1)
                 : is_wide_unsigned(x.dtype()) ? kUInt64
                 : is_integral(x.dtype(), true) ? kLong
                                               : x.dtype();
  n = 1;
}

template <class T>
using scan_acc_t = std::conditional_t<is_float_type_v<T>, double, std::conditional_t<std::is_same_v<T, bool>, int64_t, compute_t<T>>>;

template <class T, bool Prod>
inline scan_acc_t<T> scan_step(scan_acc_t<T> a, T v) {
  using Acc = scan_acc_t<T>;
  Acc u = static_cast<Acc>(static_cast<compute_t<T>>(v));
  if constexpr (std::is_integral_v<Acc>) {  // wraps like torch, without signed-overflow UB
    using U = std::make_unsigned_t<Acc>;
    return static_cast<Acc>(Prod ? static_cast<U>(a) * static_cast<U>(u) : static_cast<U>(a) + static_cast<U>(u));
  } else {
    return Prod ? a * u : a + u;
  }
}

template <bool Prod>
void scan_kernel(const OpCall& c) {
  const Tensor& y = c.out[0];
  if (y.numel() == 0) return;
  Tensor x = as_dtype(c.in[0], y.dtype()).contiguous();
  const bool reverse = !Prod && c.attrs.b(2);
  ScanShape s = scan_shape(x, c.attrs.i(0));
  visit_dtype(y.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = scan_acc_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(y.data_ptr());
    const int64_t K = s.K, C = s.C;
    const Acc init = Prod ? Acc(1) : Acc(0);
    if (C == 1) {
      kernels::parallel_for(s.A, std::max<int64_t>(1, kernels::kGrainSize / K), [&](int64_t b, int64_t e) {
        for (int64_t a = b; a < e; ++a) {
          Acc acc = init;
          for (int64_t j = 0; j < K; ++j) {
            int64_t k = reverse ? K - 1 - j : j;
            acc = scan_step<T, Prod>(acc, xp[a * K + k]);
            yp[a * K + k] = cast<T>(acc);
          }
        }
      });
      return;
    }
    // Columns: a block of running accumulators advanced one row at a time.
    constexpr int64_t kBlock = 512;
    const int64_t nb = (C + kBlock - 1) / kBlock;
    kernels::parallel_for(s.A * nb, std::max<int64_t>(1, kernels::kGrainSize / (K * std::min(C, kBlock))),
                          [&](int64_t b, int64_t e) {
                            std::vector<Acc> acc(static_cast<size_t>(std::min(C, kBlock)));
                            for (int64_t t = b; t < e; ++t) {
                              const int64_t a = t / nb, c0 = (t % nb) * kBlock, cn = std::min(kBlock, C - c0);
                              std::fill(acc.begin(), acc.begin() + cn, init);
                              for (int64_t jk = 0; jk < K; ++jk) {
                                int64_t k = reverse ? K - 1 - jk : jk;
                                const T* xr = xp + (a * K + k) * C + c0;
                                T* yr = yp + (a * K + k) * C + c0;
                                for (int64_t j = 0; j < cn; ++j) {
                                  acc[j] = scan_step<T, Prod>(acc[j], xr[j]);
                                  yr[j] = cast<T>(acc[j]);
                                }
                              }
                            }
                          });
  });
}

// Reference: one line at a time, strided, single thread.
template <bool Prod>
void scan_ref_kernel(const OpCall& c) {
  const Tensor& y = c.out[0];
  if (y.numel() == 0) return;
  Tensor x = as_dtype(c.in[0], y.dtype()).contiguous();
  const bool reverse = !Prod && c.attrs.b(2);
  ScanShape s = scan_shape(x, c.attrs.i(0));
  visit_dtype(y.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = scan_acc_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* yp = static_cast<T*>(y.data_ptr());
    for (int64_t a = 0; a < s.A; ++a)
      for (int64_t j = 0; j < s.C; ++j) {
        Acc acc = Prod ? Acc(1) : Acc(0);
        for (int64_t i = 0; i < s.K; ++i) {
          int64_t k = reverse ? s.K - 1 - i : i;
          int64_t at = (a * s.K + k) * s.C + j;
          acc = scan_step<T, Prod>(acc, xp[at]);
          yp[at] = cast<T>(acc);
        }
      }
  });
}

}  // namespace

extern OpDef& cumsum_op;

namespace {
// sum over j >= i (j <= i when reverse) of t along dim.
Tensor cumsum_dir(const Tensor& t, int64_t dim, bool reverse) { return call(cumsum_op, {t}, {dim, std::monostate{}, reverse}); }

TensorList cumsum_backward(BackwardCtx& c, const TensorList& g) {
  return {cumsum_dir(g[0], c.attrs.i(0), !c.attrs.b(2))};
}

// d out_j / d x_i = out_j / x_i (j >= i). With zeros, only the first zero of a line has a
// non-zero gradient: the products that skip it, taken from the cumprod with that zero set to 1.
TensorList cumprod_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  const Tensor& out = c.output(0);
  int64_t d = c.attrs.i(0);
  if (x.numel() == 0) return {g[0]};
  Tensor zero = x.eq(0);
  bool any_zero;
  {
    NoGradGuard ng;
    any_zero = zero.any().item<bool>();
  }
  if (!any_zero) return {cumsum_dir(g[0] * out, d, true) / x};
  Tensor first = zero * cumsum(zero, d).eq(1);
  Tensor out1 = cumprod(where(first, Scalar(1), x), d);
  Tensor xs = where(zero, Scalar(1), x);
  return {where(first, cumsum_dir(g[0] * out1, d, true), cumsum_dir(g[0] * out, d, true) / xs)};
}

}  // namespace

OpDef& cumsum_op = def("cumsum").input("self").attr("dim", int64_t(0)).attr("dtype").attr("reverse", false)
                       .set_meta(scan_meta).set_cpu(scan_kernel<false>).set_cpu_ref(scan_ref_kernel<false>)
                       .set_backward(cumsum_backward, kSaveNone).set_onnx("CumSum");
OpDef& cumprod_op = def("cumprod").input("self").attr("dim", int64_t(0)).attr("dtype").set_meta(scan_meta)
                        .set_cpu(scan_kernel<true>).set_cpu_ref(scan_ref_kernel<true>)
                        .set_backward(cumprod_backward, kSaveInputs | kSaveOutputs);

}  // namespace ops

// dtype= converts the input first (a differentiable cast), as torch does.
static Tensor scan(ops::OpDef& op, const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  if (!dtype) return ops::call(op, {x}, {dim, std::monostate{}});
  return ops::call(op, {*dtype != x.dtype() ? x.to(*dtype) : x}, {dim, *dtype});
}
Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype) { return scan(ops::cumsum_op, x, dim, dtype); }
Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype) { return scan(ops::cumprod_op, x, dim, dtype); }
Tensor Tensor::cumsum(int64_t dim, std::optional<DType> dtype) const { return sinter::cumsum(*this, dim, dtype); }
Tensor Tensor::cumprod(int64_t dim, std::optional<DType> dtype) const { return sinter::cumprod(*this, dim, dtype); }

}  // namespace sinter
