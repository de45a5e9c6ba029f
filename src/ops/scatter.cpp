// gather, scatter and scatter_add along one dim: out[i][j] = self[i][index[i][j]] (dim 1) and
// its inverse self[i][index[i][j]] = src[i][j]. Rows (all coordinates but `dim`) run in
// parallel; within a row the index is walked in order, so later duplicates win (scatter) and
// sums are deterministic (scatter_add).
#include <atomic>
#include <cstring>

#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"
#include "ops/registry.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/index.h"
#include "sinter/ops/shape.h"

namespace sinter {
namespace ops {
namespace {

using kernels::copy_kernel;

int64_t nonempty_dim(const Tensor& t) { return std::max<int64_t>(t.dim(), 1); }
int64_t size_or_1(const Tensor& t, int64_t d) { return t.dim() == 0 ? 1 : t.size(d); }
int64_t stride_or_0(const Tensor& t, int64_t d) { return t.dim() == 0 ? 0 : t.stride(d); }

/// Shape checks shared by gather and scatter (PyTorch's gather_shape_check/scatter_shape_check).
void check_index(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src) {
  SINTER_CHECK(index.dtype() == kLong, DTypeError, op, ": expected dtype int64 for index, got ", dtype_name(index.dtype()));
  if (index.numel() == 0) return;
  SINTER_CHECK(nonempty_dim(index) == nonempty_dim(self), ShapeError, op,
               ": index tensor must have the same number of dimensions as self tensor (index shape ", shape_str(index.sizes()),
               ", self shape ", shape_str(self.sizes()), ")");
  if (src)
    SINTER_CHECK(nonempty_dim(index) == nonempty_dim(*src), ShapeError, op,
                 ": index tensor must have the same number of dimensions as src tensor (index shape ", shape_str(index.sizes()),
                 ", src shape ", shape_str(src->sizes()), ")");
  for (int64_t d = 0; d < nonempty_dim(index); ++d) {
    int64_t is = size_or_1(index, d);
    bool ok = (d == dim || is <= size_or_1(self, d)) && (!src || is <= size_or_1(*src, d));
    if (src)
      SINTER_CHECK(ok, ShapeError, op, ": expected index ", shape_str(index.sizes()), " to be smaller than self ",
                   shape_str(self.sizes()), " apart from dimension ", dim, " and to be smaller size than src ",
                   shape_str(src->sizes()));
    else
      SINTER_CHECK(ok, ShapeError, op, ": size does not match at dimension ", d, " expected index ", shape_str(index.sizes()),
                   " to be smaller than self ", shape_str(self.sizes()), " apart from dimension ", dim);
  }
}

/// Walks index's shape row by row (every coordinate but `dim`), in parallel. For each row calls
/// row(index_row, idx_stride, a_row, a_stride, self_row, bad) with element pointers/strides:
/// a is the index-shaped operand (out of gather, src of scatter), self_row points at the row of
/// the indexed tensor (at position 0 along dim). Rows are disjoint in self, so no two threads
/// write one element.
template <class Row>
void for_each_row(const Tensor& index, const Tensor& a, const Tensor& self, int64_t dim, Row&& row) {
  const int64_t nd = index.dim();
  if (index.numel() == 0) return;
  DimVector sizes, ist, ast, sst;  // the non-dim coordinates
  for (int64_t d = 0; d < nd; ++d)
    if (d != dim) {
      sizes.push_back(index.size(d));
      ist.push_back(index.stride(d));
      ast.push_back(a.dim() ? a.stride(d) : 0);
      sst.push_back(self.stride(d));
    }
  const int64_t len = size_or_1(index, dim), rows = index.numel() / len;
  const int64_t k = static_cast<int64_t>(sizes.size());
  kernels::parallel_for(rows, std::max<int64_t>(1, kernels::kGrainSize / len), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t rem = r, io = 0, ao = 0, so = 0;
      for (int64_t d = k - 1; d >= 0; --d) {
        int64_t c = rem % sizes[d];
        rem /= sizes[d];
        io += c * ist[d];
        ao += c * ast[d];
        so += c * sst[d];
      }
      row(io, ao, so, len);
    }
  });
}

/// Scans index for a value outside [0, size) (serially); throws IndexError naming op.
void check_values(const char* op, const Tensor& index, int64_t size, int64_t dim) {
  if (index.numel() == 0) return;
  Tensor ic = index.contiguous();
  const int64_t* p = static_cast<const int64_t*>(ic.data_ptr());
  for (int64_t i = 0; i < ic.numel(); ++i)
    SINTER_CHECK(p[i] >= 0 && p[i] < size, IndexError, op, ": index ", p[i], " is out of bounds for dimension ", dim,
                 " with size ", size);
}

template <class F>
void visit_elem_size(int64_t es, F&& f) {
  switch (es) {
    case 1: return f(type_tag<uint8_t>{});
    case 2: return f(type_tag<uint16_t>{});
    case 4: return f(type_tag<uint32_t>{});
    default: return f(type_tag<uint64_t>{});
  }
}

// ---- gather(self, index; dim) ---------------------------------------------------------------------

void gather_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& self = c.in[0];
  const Tensor& index = c.in[1];
  int64_t d = wrap_dim("gather", c.attrs.i(0), self.dim());
  check_index("gather", self, d, index, nullptr);
  out[0].sizes = DimVector(index.sizes());
  out[0].dtype = self.dtype();
  n = 1;
}

void gather_kernel(const OpCall& c) {
  const Tensor& self = c.in[0];
  const Tensor& index = c.in[1];
  const Tensor& out = c.out[0];
  int64_t d = wrap_dim("gather", c.attrs.i(0), self.dim());
  const int64_t size = size_or_1(self, d), sd = stride_or_0(self, d), id = stride_or_0(index, d), od = stride_or_0(out, d);
  check_values("gather", index, size, d);
  const int64_t* ip = index.numel() ? static_cast<const int64_t*>(index.data_ptr()) : nullptr;
  visit_elem_size(out.element_size(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U* sp = static_cast<const U*>(self.data_ptr());
    U* op = static_cast<U*>(out.numel() ? out.data_ptr() : nullptr);
    for_each_row(index, out, self, d, [&](int64_t io, int64_t oo, int64_t so, int64_t len) {
      for (int64_t j = 0; j < len; ++j) {
        op[oo + j * od] = sp[so + ip[io + j * id] * sd];
      }
    });
  });
}

TensorList gather_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (c.needs(0)) r[0] = scatter_add(zeros(c.input(0).sizes(), g[0].dtype()), c.attrs.i(0), c.input(1), g[0]);
  return r;
}

OpDef& gather_op = def("gather").input("self").input("index").attr("dim").set_meta(gather_meta).set_cpu(gather_kernel)
                       .set_backward(gather_backward).set_onnx("GatherElements");

// ---- scatter(self, index, src; dim, value) / scatter_add(self, index, src; dim) ---------------------
// scatter without src writes `value`.

void scatter_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& self = c.in[0];
  const Tensor& index = c.in[1];
  const Tensor& src = c.in[2];
  int64_t d = wrap_dim(op, c.attrs.i(0), self.dim());
  if (src.defined())
    SINTER_CHECK(src.dtype() == self.dtype(), DTypeError, op, ": expected self.dtype to be equal to src.dtype, got ",
                 dtype_name(self.dtype()), " and ", dtype_name(src.dtype()));
  check_index(op, self, d, index, src.defined() ? &src : nullptr);
  out[0].sizes = DimVector(self.sizes());
  out[0].dtype = self.dtype();
  n = 1;
}

template <bool Add>
void scatter_kernel(const OpCall& c) {
  const char* op = c.op.name.c_str();
  const Tensor& self = c.in[0];
  const Tensor& index = c.in[1];
  const Tensor& src = c.in[2];
  const Tensor& out = c.out[0];
  int64_t d = wrap_dim(op, c.attrs.i(0), self.dim());
  const int64_t size = size_or_1(self, d);
  check_values(op, index, size, d);
  if (!out.is_same(self)) copy_kernel(out, self);
  if (index.numel() == 0) return;
  const int64_t od = stride_or_0(out, d), id = stride_or_0(index, d);
  const int64_t* ip = static_cast<const int64_t*>(index.data_ptr());
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* op_ = static_cast<T*>(out.data_ptr());
    if (!src.defined()) {
      const T v = c.attrs.s(1).template to<T>();
      for_each_row(index, index, out, d, [&](int64_t io, int64_t, int64_t oo, int64_t len) {
        for (int64_t j = 0; j < len; ++j) {
          op_[oo + ip[io + j * id] * od] = v;
        }
      });
      return;
    }
    const T* sp = static_cast<const T*>(src.data_ptr());
    const int64_t sd = stride_or_0(src, d);
    for_each_row(index, src, out, d, [&](int64_t io, int64_t so, int64_t oo, int64_t len) {
      for (int64_t j = 0; j < len; ++j) {
        T& dst = op_[oo + ip[io + j * id] * od];
        const T s = sp[so + j * sd];
        if constexpr (!Add) dst = s;
        else if constexpr (std::is_same_v<T, bool>) dst = dst || s;
        else dst = T(compute_t<T>(dst) + compute_t<T>(s));
      }
    });
  });
}

/// The gradient of src: g gathered at index, zero-padded where src extends past index.
Tensor src_grad(const Tensor& g, int64_t dim, const Tensor& index, const Tensor& src) {
  if (index.numel() == 0) return zeros(src.sizes(), g.dtype());
  Tensor r = gather(g, dim, index);
  if (r.sizes() == src.sizes()) return r;
  DimVector p;
  for (int64_t d = src.dim() - 1; d >= 0; --d) {
    p.push_back(0);
    p.push_back(src.size(d) - r.size(d));
  }
  return pad(r, p);
}

TensorList scatter_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(3);
  int64_t d = c.attrs.i(0);
  if (c.needs(0)) r[0] = scatter(g[0], d, c.input(1), Scalar(0));
  if (c.needs(2)) r[2] = src_grad(g[0], d, c.input(1), c.input(2));
  return r;
}
TensorList scatter_add_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(3);
  if (c.needs(0)) r[0] = g[0];
  if (c.needs(2)) r[2] = src_grad(g[0], c.attrs.i(0), c.input(1), c.input(2));
  return r;
}

// Both save index and src (for its shape), never self, so the in-place forms copy nothing.
OpDef& scatter_op = def("scatter").input("self").input("index").input("src").attr("dim").attr("value", Scalar(0))
                        .set_meta(scatter_meta).set_cpu(scatter_kernel<false>)
                        .set_backward(scatter_backward, kSaveInputs, 0b110).set_onnx("ScatterElements");
OpDef& scatter_add_op = def("scatter_add").input("self").input("index").input("src").attr("dim").set_meta(scatter_meta)
                            .set_cpu(scatter_kernel<true>).set_backward(scatter_add_backward, kSaveInputs, 0b110)
                            .set_onnx("ScatterElements");

Tensor require_src(const char* op, const Tensor& src) {
  SINTER_CHECK(src.defined(), ValueError, op, ": src is undefined");
  return src;
}

}  // namespace
}  // namespace ops

using ops::call;

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) { return call(ops::gather_op, {x, index}, {dim}); }
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return call(ops::scatter_op, {x, index, ops::require_src("scatter", src)}, {dim, Scalar(0)});
}
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Scalar& value) {
  return call(ops::scatter_op, {x, index, Tensor()}, {dim, value});
}
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return call(ops::scatter_add_op, {x, index, ops::require_src("scatter_add", src)}, {dim});
}

Tensor Tensor::gather(int64_t dim, const Tensor& index) const { return sinter::gather(*this, dim, index); }
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src) const {
  return sinter::scatter(*this, dim, index, src);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Scalar& value) const {
  return sinter::scatter(*this, dim, index, value);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return sinter::scatter_add(*this, dim, index, src);
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src) {
  return ops::call_inplace(ops::scatter_op, *this, {*this, index, ops::require_src("scatter_", src)}, {dim, Scalar(0)});
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Scalar& value) {
  return ops::call_inplace(ops::scatter_op, *this, {*this, index, Tensor()}, {dim, value});
}
Tensor& Tensor::scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) {
  return ops::call_inplace(ops::scatter_add_op, *this, {*this, index, ops::require_src("scatter_add_", src)}, {dim});
}

}  // namespace sinter
