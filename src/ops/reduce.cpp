// Reductions: sum (the driver lives in reduce_util.h; other reductions join this family).
#include "ops/reduce_util.h"
#include "sinter/autograd.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/shape.h"

namespace sinter {
namespace ops {

ReducePlan make_reduce_plan(const char* op, const Tensor& x, IntArrayRef dims, bool keepdim) {
  ReducePlan p;
  p.reduce.assign(static_cast<size_t>(x.dim()), dims.empty());
  for (auto d : dims) {
    int64_t w = wrap_dim(op, d, x.dim());
    if (x.dim() == 0) continue;
    SINTER_CHECK(!p.reduce[w] || dims.empty(), ValueError, op, ": dim ", w, " appears multiple times in the list of dims");
    p.reduce[w] = true;
  }
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (p.reduce[i]) {
      p.inner *= x.size(i);
      if (keepdim) p.out_sizes.push_back(1);
    } else {
      p.outer *= x.size(i);
      p.out_sizes.push_back(x.size(i));
    }
  }
  return p;
}

Tensor reduce_rows(const Tensor& x, const ReducePlan& p) {
  DimVector order;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (!p.reduce[i]) order.push_back(i);
  for (int64_t i = 0; i < x.dim(); ++i)
    if (p.reduce[i]) order.push_back(i);
  NoGradGuard g;
  Tensor v = x.dim() ? x.permute(order) : x;
  return v.contiguous();
}

namespace {

DType sum_dtype(const Tensor& x, const Attrs& a, size_t k) {
  if (!a.is_none(k)) return a.dtype(k);
  return is_integral(x.dtype(), true) ? kLong : x.dtype();
}

// sum(self; dim, keepdim, dtype)
void sum_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  ReducePlan p = make_reduce_plan("sum", c.in[0], c.attrs.ints(0), c.attrs.b(1));
  out[0].sizes = p.out_sizes;
  out[0].dtype = sum_dtype(c.in[0], c.attrs, 2);
  n = 1;
}

template <bool Fast>
void sum_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  const Tensor& o = c.out[0];
  ReducePlan p = make_reduce_plan("sum", x, c.attrs.ints(0), c.attrs.b(1));
  DType acc_dtype = o.dtype();
  Tensor rows = reduce_rows(x.dtype() == acc_dtype ? x : x.to(acc_dtype), p);
  visit_dtype(acc_dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (Fast && p.outer == 1 && p.inner > kernels::kGrainSize) {
      // One output: split the row across threads, combine the partial sums.
      const T* xp = static_cast<const T*>(rows.data_ptr());
      int nt = omp_get_max_threads();
      std::vector<double> part(static_cast<size_t>(nt), 0.0);
      kernels::parallel_for(p.inner, kernels::kGrainSize, [&](int64_t b, int64_t e) {
        part[static_cast<size_t>(omp_get_thread_num())] += sum_contiguous(xp + b, e - b);
      });
      double s = 0;
      for (double v : part) s += v;
      *static_cast<T*>(o.data_ptr()) = cast<T>(s);
      return;
    }
    for_each_row<T, T>(rows, o, p, [](const T* r, int64_t K) -> T {
      if constexpr (std::is_same_v<T, bool>) {
        bool a = false;
        for (int64_t i = 0; i < K; ++i) a = a || r[i];
        return a;
      } else if constexpr (std::is_integral_v<T>) {
        T a = 0;
        for (int64_t i = 0; i < K; ++i) a = T(a + r[i]);
        return a;
      } else if constexpr (Fast) {
        return cast<T>(sum_contiguous(r, K));
      } else {
        double a = 0;
        for (int64_t i = 0; i < K; ++i) a += static_cast<double>(static_cast<compute_t<T>>(r[i]));
        return cast<T>(a);
      }
    });
  });
}

TensorList sum_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  Tensor grad = g[0];
  if (!c.attrs.b(1) && x.dim() > 0) {
    // Re-insert the reduced dims as size 1, then broadcast.
    ReducePlan p = make_reduce_plan("sum", x, c.attrs.ints(0), true);
    grad = grad.reshape(p.out_sizes);
  }
  return {grad.expand(x.sizes()).to(x.dtype())};
}

// all / any (self; dim, keepdim): bool result.
void bool_reduce_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  ReducePlan p = make_reduce_plan(c.op.name.c_str(), c.in[0], c.attrs.ints(0), c.attrs.b(1));
  out[0].sizes = p.out_sizes;
  out[0].dtype = kBool;
  n = 1;
}
template <bool All>
void bool_reduce_kernel(const OpCall& c) {
  ReducePlan p = make_reduce_plan(c.op.name.c_str(), c.in[0], c.attrs.ints(0), c.attrs.b(1));
  Tensor rows = reduce_rows(c.in[0].to(kBool), p);
  for_each_row<bool, bool>(rows, c.out[0], p, [](const bool* r, int64_t K) {
    for (int64_t i = 0; i < K; ++i)
      if (r[i] != All) return !All;
    return All;
  });
}
}  // namespace

OpDef& all_op = def("all").input("self").attr("dim", DimVector{}).attr("keepdim", false)
                    .set_meta(bool_reduce_meta).set_cpu(bool_reduce_kernel<true>);
OpDef& any_op = def("any").input("self").attr("dim", DimVector{}).attr("keepdim", false)
                    .set_meta(bool_reduce_meta).set_cpu(bool_reduce_kernel<false>);

OpDef& sum_op = def("sum").input("self").attr("dim", DimVector{}).attr("keepdim", false).attr("dtype")
                    .set_meta(sum_meta).set_cpu(sum_kernel<true>).set_cpu_ref(sum_kernel<false>)
                    .set_backward(sum_backward).set_onnx("ReduceSum");

}  // namespace ops

static ops::Attrs reduce_attrs(IntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  ops::Attrs a{DimVector(dim), keepdim, std::monostate{}};
  if (dtype) a[2] = *dtype;
  return a;
}

Tensor sum(const Tensor& x, std::optional<DType> dtype) { return ops::call(ops::sum_op, {x}, reduce_attrs({}, false, dtype)); }
Tensor sum(const Tensor& x, IntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  return ops::call(ops::sum_op, {x}, reduce_attrs(dim, keepdim, dtype));
}
Tensor all(const Tensor& x) { return ops::call(ops::all_op, {x}, {DimVector{}, false}); }
Tensor all(const Tensor& x, int64_t dim, bool keepdim) { return ops::call(ops::all_op, {x}, {DimVector{dim}, keepdim}); }
Tensor any(const Tensor& x) { return ops::call(ops::any_op, {x}, {DimVector{}, false}); }
Tensor any(const Tensor& x, int64_t dim, bool keepdim) { return ops::call(ops::any_op, {x}, {DimVector{dim}, keepdim}); }
Tensor Tensor::all() const { return sinter::all(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return sinter::all(*this, dim, keepdim); }
Tensor Tensor::any() const { return sinter::any(*this); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return sinter::any(*this, dim, keepdim); }
Tensor Tensor::sum(std::optional<DType> dtype) const { return sinter::sum(*this, dtype); }
Tensor Tensor::sum(IntArrayRef dim, bool keepdim, std::optional<DType> dtype) const {
  return sinter::sum(*this, dim, keepdim, dtype);
}

}  // namespace sinter
