// View ops: outputs alias input 0 (same storage, new sizes/strides/offset). One backward
// serves them all: scatter the gradient into zeros through the same view of a contiguous base.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"
#include "ops/registry.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/shape.h"

namespace sinter {
namespace ops {
namespace {

void set_view(std::array<OutSpec, kMaxOutputs>& out, size_t& n, const Tensor& x, DimVector sizes, DimVector strides,
              int64_t offset) {
  out[0].sizes = std::move(sizes);
  out[0].strides = std::move(strides);
  out[0].offset = offset;
  out[0].dtype = x.dtype();
  n = 1;
}

/// Strides for viewing x (sizes, strides) as `shape` without copying; empty optional if impossible.
std::optional<DimVector> view_strides(IntArrayRef old_sizes, IntArrayRef old_strides, IntArrayRef shape) {
  DimVector ns(shape.size());
  if (old_sizes.empty()) {
    for (auto& s : ns) s = 1;
    return ns;
  }
  int64_t numel = 1;
  for (auto s : old_sizes) numel *= s;
  if (numel == 0) {
    if (old_sizes == shape) return DimVector(old_strides);
    return contiguous_strides(shape);
  }
  // PyTorch's computeStride: walk chunks of old dims that are contiguous among themselves.
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t td = static_cast<int64_t>(old_sizes.size()) - 1; td >= 0; --td) {
    tensor_numel *= old_sizes[td];
    if (td == 0 || (old_sizes[td - 1] != 1 && old_strides[td - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        ns[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (td > 0) {
        chunk_base_stride = old_strides[td - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return ns;
}

DimVector infer_size(const char* op, IntArrayRef shape, int64_t numel) {
  DimVector r(shape);
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i] == -1) {
      SINTER_CHECK(infer < 0, ShapeError, op, ": only one dimension can be inferred in shape ", shape_str(shape));
      infer = static_cast<int64_t>(i);
    } else {
      SINTER_CHECK(r[i] >= 0, ShapeError, op, ": invalid shape dimension ", r[i], " in ", shape_str(shape));
      known *= r[i];
    }
  }
  if (infer >= 0) {
    SINTER_CHECK(known != 0 && numel % known == 0, ShapeError, op, ": shape ", shape_str(shape),
                 " is invalid for input of size ", numel);
    r[infer] = numel / known;
  } else {
    SINTER_CHECK(known == numel, ShapeError, op, ": shape ", shape_str(shape), " is invalid for input of size ", numel);
  }
  return r;
}

// The shared backward of view ops: grad flows back through the same view of a zero base.
TensorList view_backward(BackwardCtx& c, const TensorList& g);

void view_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  DimVector shape = infer_size("view", c.attrs.ints(0), x.numel());
  auto st = view_strides(x.sizes(), x.strides(), shape);
  SINTER_CHECK(st.has_value(), ShapeError, "view: view size ", shape_str(shape), " is not compatible with input tensor's size ",
               shape_str(x.sizes()), " and stride ", shape_str(x.strides()),
               " (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  set_view(out, n, x, shape, *st, x.storage_offset());
}

void permute_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  IntArrayRef dims = c.attrs.ints(0);
  SINTER_CHECK(static_cast<int64_t>(dims.size()) == x.dim(), ShapeError, "permute: number of dims don't match: input has ",
               x.dim(), " dims (shape ", shape_str(x.sizes()), ") but dims has ", dims.size());
  DimVector sz(dims.size()), st(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim("permute", dims[i], x.dim());
    SINTER_CHECK(!seen[d], ValueError, "permute: repeated dim ", dims[i], " in ", shape_str(dims));
    seen[d] = true;
    sz[i] = x.size(d);
    st[i] = x.stride(d);
  }
  set_view(out, n, x, sz, st, x.storage_offset());
}

void transpose_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  DimVector sz(x.sizes()), st(x.strides());
  if (x.dim() > 0) {
    int64_t a = wrap_dim("transpose", c.attrs.i(0), x.dim()), b = wrap_dim("transpose", c.attrs.i(1), x.dim());
    std::swap(sz[a], sz[b]);
    std::swap(st[a], st[b]);
  } else {
    wrap_dim("transpose", c.attrs.i(0), 0);
    wrap_dim("transpose", c.attrs.i(1), 0);
  }
  set_view(out, n, x, sz, st, x.storage_offset());
}

// slice(dim, start, end, step); start/end may be None.
void slice_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  SINTER_CHECK(x.dim() > 0, IndexError, "slice: cannot slice a 0-dim tensor");
  int64_t d = wrap_dim("slice", c.attrs.i(0), x.dim());
  int64_t size = x.size(d);
  int64_t step = c.attrs.i(3);
  SINTER_CHECK(step > 0, ValueError, "slice: step must be positive, got ", step);
  int64_t start = c.attrs.is_none(1) ? 0 : c.attrs.i(1);
  int64_t end = c.attrs.is_none(2) ? size : c.attrs.i(2);
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<int64_t>(start, 0, size);
  end = std::clamp<int64_t>(end, start, size);
  DimVector sz(x.sizes()), st(x.strides());
  sz[d] = (end - start + step - 1) / step;
  st[d] = x.stride(d) * step;
  set_view(out, n, x, sz, st, x.storage_offset() + start * x.stride(d));
}

void select_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  SINTER_CHECK(x.dim() > 0, IndexError, "select: cannot select on a 0-dim tensor");
  int64_t d = wrap_dim("select", c.attrs.i(0), x.dim());
  int64_t i = c.attrs.i(1), size = x.size(d);
  SINTER_CHECK(i >= -size && i < size, IndexError, "select: index ", i, " is out of bounds for dimension ", d,
               " with size ", size, " (shape ", shape_str(x.sizes()), ")");
  if (i < 0) i += size;
  DimVector sz(x.sizes()), st(x.strides());
  sz.erase(d);
  st.erase(d);
  set_view(out, n, x, sz, st, x.storage_offset() + i * x.stride(d));
}

void expand_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  IntArrayRef size = c.attrs.ints(0);
  SINTER_CHECK(static_cast<int64_t>(size.size()) >= x.dim(), ShapeError, "expand: the number of sizes provided (",
               size.size(), ") must be greater or equal to the number of dimensions in the tensor (", x.dim(), ")");
  int64_t lead = static_cast<int64_t>(size.size()) - x.dim();
  DimVector sz(size.size()), st(size.size());
  for (int64_t i = static_cast<int64_t>(size.size()) - 1; i >= 0; --i) {
    int64_t j = i - lead;
    if (j < 0) {
      SINTER_CHECK(size[i] >= 0, ShapeError, "expand: the expanded size ", size[i], " is not allowed in a leading, non-existing dimension");
      sz[i] = size[i];
      st[i] = 0;
      continue;
    }
    int64_t want = size[i] == -1 ? x.size(j) : size[i];
    SINTER_CHECK(x.size(j) == want || x.size(j) == 1, ShapeError, "expand: the expanded size of the tensor (", want,
                 ") must match the existing size (", x.size(j), ") at non-singleton dimension ", i,
                 ". Target sizes: ", shape_str(size), ". Tensor sizes: ", shape_str(x.sizes()));
    sz[i] = want;
    st[i] = x.size(j) == want ? x.stride(j) : 0;
  }
  set_view(out, n, x, sz, st, x.storage_offset());
}

void squeeze_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  DimVector sz, st;
  std::optional<int64_t> only;
  if (!c.attrs.is_none(0)) only = x.dim() == 0 ? (wrap_dim("squeeze", c.attrs.i(0), 0), -1) : wrap_dim("squeeze", c.attrs.i(0), x.dim());
  for (int64_t i = 0; i < x.dim(); ++i) {
    bool drop = x.size(i) == 1 && (!only || *only == i);
    if (!drop) {
      sz.push_back(x.size(i));
      st.push_back(x.stride(i));
    }
  }
  set_view(out, n, x, sz, st, x.storage_offset());
}

void unsqueeze_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  int64_t d = wrap_dim("unsqueeze", c.attrs.i(0), x.dim() + 1);
  DimVector sz(x.sizes()), st(x.strides());
  int64_t new_stride = d < x.dim() ? x.size(d) * x.stride(d) : 1;
  sz.insert(d, 1);
  st.insert(d, new_stride);
  set_view(out, n, x, sz, st, x.storage_offset());
}

void diagonal_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  SINTER_CHECK(x.dim() >= 2, ShapeError, "diagonal: expected a tensor with at least 2 dims, got shape ", shape_str(x.sizes()));
  int64_t off = c.attrs.i(0);
  int64_t d1 = wrap_dim("diagonal", c.attrs.i(1), x.dim()), d2 = wrap_dim("diagonal", c.attrs.i(2), x.dim());
  SINTER_CHECK(d1 != d2, ValueError, "diagonal: dimensions cannot be identical ", c.attrs.i(1), ", ", c.attrs.i(2));
  int64_t len, start = x.storage_offset();
  if (off >= 0) {
    len = std::max<int64_t>(std::min(x.size(d1), x.size(d2) - off), 0);
    if (len > 0) start += off * x.stride(d2);
  } else {
    len = std::max<int64_t>(std::min(x.size(d1) + off, x.size(d2)), 0);
    if (len > 0) start -= off * x.stride(d1);
  }
  DimVector sz, st;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (i != d1 && i != d2) {
      sz.push_back(x.size(i));
      st.push_back(x.stride(i));
    }
  sz.push_back(len);
  st.push_back(x.stride(d1) + x.stride(d2));
  set_view(out, n, x, sz, st, start);
}

void as_strided_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  IntArrayRef size = c.attrs.ints(0), stride = c.attrs.ints(1);
  int64_t off = c.attrs.is_none(2) ? x.storage_offset() : c.attrs.i(2);
  SINTER_CHECK(size.size() == stride.size(), ShapeError, "as_strided: mismatch in length of sizes ", shape_str(size),
               " and strides ", shape_str(stride));
  int64_t hi = off;
  bool empty = false;
  for (size_t i = 0; i < size.size(); ++i) {
    SINTER_CHECK(size[i] >= 0 && stride[i] >= 0, ShapeError, "as_strided: negative size or stride in ", shape_str(size),
                 " / ", shape_str(stride));
    if (size[i] == 0) empty = true;
    hi += (size[i] - 1) * stride[i];
  }
  SINTER_CHECK(off >= 0 && (empty || (hi + 1) * x.element_size() <= static_cast<int64_t>(x.storage()->nbytes())),
               IndexError, "as_strided: view of size ", shape_str(size), " with stride ", shape_str(stride),
               " and offset ", off, " is out of bounds for a storage of ", x.storage()->nbytes() / x.element_size(),
               " elements");
  set_view(out, n, x, DimVector(size), DimVector(stride), off);
}

TensorList expand_backward(BackwardCtx& c, const TensorList& g) { return {sum_to(g[0], c.input(0).sizes())}; }

OpDef& view_op = def("view").input("self").attr("size").set_meta(view_meta).view().set_backward(view_backward).set_onnx("Reshape");
OpDef& permute_op = def("permute").input("self").attr("dims").set_meta(permute_meta).view().set_backward(view_backward).set_onnx("Transpose");
OpDef& transpose_op = def("transpose").input("self").attr("dim0").attr("dim1").set_meta(transpose_meta).view().set_backward(view_backward);
OpDef& slice_op = def("slice").input("self").attr("dim", int64_t(0)).attr("start").attr("end").attr("step", int64_t(1))
                      .set_meta(slice_meta).view().set_backward(view_backward).set_onnx("Slice");
OpDef& select_op = def("select").input("self").attr("dim").attr("index").set_meta(select_meta).view().set_backward(view_backward).set_onnx("Gather");
OpDef& expand_op = def("expand").input("self").attr("size").set_meta(expand_meta).view().set_backward(expand_backward).set_onnx("Expand");
OpDef& squeeze_op = def("squeeze").input("self").attr("dim").set_meta(squeeze_meta).view().set_backward(view_backward).set_onnx("Squeeze");
OpDef& unsqueeze_op = def("unsqueeze").input("self").attr("dim").set_meta(unsqueeze_meta).view().set_backward(view_backward).set_onnx("Unsqueeze");
OpDef& diagonal_op = def("diagonal").input("self").attr("offset", int64_t(0)).attr("dim1", int64_t(0)).attr("dim2", int64_t(1))
                         .set_meta(diagonal_meta).view().set_backward(view_backward);
TensorList as_strided_backward(BackwardCtx& c, const TensorList& g);
OpDef& as_strided_op = def("as_strided").input("self").attr("size").attr("stride").attr("storage_offset")
                           .set_meta(as_strided_meta).view().set_backward(as_strided_backward);

// view_scatter(grad; base_sizes, sizes, strides, offset): zeros(base_sizes) with grad added
// through the view (sizes, strides, offset) of that contiguous base (elements the view reaches
// more than once sum up). Linear in grad.

/// True when no two coordinates of the geometry reach one element.
bool non_overlapping(IntArrayRef sizes, IntArrayRef strides) {
  std::vector<std::pair<int64_t, int64_t>> d;  // (stride, size) of the dims that matter
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == 0) return true;
    if (sizes[i] > 1) d.emplace_back(strides[i], sizes[i]);
  }
  std::sort(d.begin(), d.end());
  int64_t reach = 0;  // largest offset the smaller-stride dims span
  for (auto [st, sz] : d) {
    if (st <= reach) return false;
    reach += (sz - 1) * st;
  }
  return true;
}

void view_scatter_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  out[0].sizes = DimVector(c.attrs.ints(0));
  out[0].dtype = c.in[0].dtype();
  n = 1;
}
void view_scatter_kernel(const OpCall& c) {
  const Tensor& o = c.out[0];
  std::memset(o.data_ptr(), 0, static_cast<size_t>(o.nbytes()));
  IntArrayRef sizes = c.attrs.ints(1), strides = c.attrs.ints(2);
  Tensor v = detail::make_alias(o, sizes, strides, c.attrs.i(3));
  if (non_overlapping(sizes, strides)) return kernels::copy_kernel(v, c.in[0]);
  // Overlapping view (as_strided with repeats): accumulate, one element at a time.
  Tensor g = c.in[0].contiguous();
  visit_dtype(o.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* gp = static_cast<const T*>(g.data_ptr());
    T* base = static_cast<T*>(v.data_ptr());
    DimVector idx(sizes.size(), 0);
    for (int64_t i = 0; i < g.numel(); ++i) {
      int64_t off = 0;
      for (size_t d = 0; d < sizes.size(); ++d) off += idx[d] * strides[d];
      if constexpr (std::is_same_v<T, bool>) base[off] = base[off] || gp[i];
      else base[off] = T(compute_t<T>(base[off]) + compute_t<T>(gp[i]));
      for (size_t d = sizes.size(); d-- > 0;) {
        if (++idx[d] < sizes[d]) break;
        idx[d] = 0;
      }
    }
  });
}
TensorList view_scatter_backward(BackwardCtx& c, const TensorList& g) {
  Tensor gc = g[0].contiguous();
  return {as_strided(gc, c.attrs.ints(1), c.attrs.ints(2), gc.storage_offset() + c.attrs.i(3))};
}
OpDef& view_scatter_op = def("view_scatter").input("grad").attr("base_sizes").attr("sizes").attr("strides").attr("offset")
                             .set_meta(view_scatter_meta).set_cpu(view_scatter_kernel)
                             .set_backward(view_scatter_backward, kSaveNone);

// as_strided's geometry is absolute in the storage: the gradient goes through a buffer that
// spans both the input's and the output's elements there.
TensorList as_strided_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  IntArrayRef size = c.attrs.ints(0), stride = c.attrs.ints(1);
  const int64_t off = c.attrs.is_none(2) ? x.storage_offset() : c.attrs.i(2);
  auto span = [](IntArrayRef sz, IntArrayRef st, int64_t o) -> std::pair<int64_t, int64_t> {  // [lo, hi], or lo > hi
    int64_t hi = o;
    for (size_t i = 0; i < sz.size(); ++i) {
      if (sz[i] == 0) return {1, 0};
      hi += (sz[i] - 1) * st[i];
    }
    return {o, hi};
  };
  auto [ilo, ihi] = span(x.sizes(), x.strides(), x.storage_offset());
  auto [olo, ohi] = span(size, stride, off);
  if (ilo > ihi) return {zeros(x.sizes(), g[0].dtype())};
  int64_t lo = ilo, hi = ihi;
  if (olo <= ohi) {
    lo = std::min(lo, olo);
    hi = std::max(hi, ohi);
  }
  Tensor buf = olo <= ohi ? call(view_scatter_op, {g[0]}, {DimVector{hi - lo + 1}, DimVector(size), DimVector(stride), off - lo})
                          : zeros({hi - lo + 1}, g[0].dtype());
  return {as_strided(buf, x.sizes(), x.strides(), buf.storage_offset() + x.storage_offset() - lo)};
}

TensorList view_backward(BackwardCtx& c, const TensorList& g) {
  // Replay the view's meta on a contiguous stand-in of the input's shape to get its geometry.
  const Tensor& x = c.input(0);
  Tensor base = detail::make_alias(g[0], x.sizes(), contiguous_strides(x.sizes()), 0);
  std::array<OutSpec, kMaxOutputs> spec;
  size_t n = 0;
  Tensor arr[1] = {base};
  c.op.meta(OpCall{c.op, arr, c.attrs, {}}, spec, n);
  return {call(view_scatter_op, {g[0]}, {DimVector(x.sizes()), spec[0].sizes, spec[0].strides, spec[0].offset})};
}

}  // namespace
}  // namespace ops

using ops::call;
using ops::Attrs;

Tensor view(const Tensor& x, IntArrayRef size) { return call(ops::view_op, {x}, {DimVector(size)}); }
Tensor reshape(const Tensor& x, IntArrayRef size) {
  DimVector shape = ops::infer_size("reshape", size, x.numel());
  if (ops::view_strides(x.sizes(), x.strides(), shape)) return call(ops::view_op, {x}, {shape});
  return call(ops::view_op, {x.clone(MemoryFormat::Contiguous)}, {shape});
}
Tensor permute(const Tensor& x, IntArrayRef dims) { return call(ops::permute_op, {x}, {DimVector(dims)}); }
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) { return call(ops::transpose_op, {x}, {d0, d1}); }
Tensor t(const Tensor& x) {
  SINTER_CHECK(x.dim() <= 2, ShapeError, "t: expects a tensor with <= 2 dimensions, but self is ", x.dim(), "D (shape ",
               shape_str(x.sizes()), ")");
  return x.dim() < 2 ? x.view(x.sizes()) : transpose(x, 0, 1);
}
Tensor slice(const Tensor& x, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) {
  Attrs a{dim, std::monostate{}, std::monostate{}, step};
  if (start) a[1] = *start;
  if (end) a[2] = *end;
  return call(ops::slice_op, {x}, a);
}
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  SINTER_CHECK(x.dim() > 0, IndexError, "narrow: cannot be applied to a 0-dim tensor");
  int64_t d = ops::wrap_dim("narrow", dim, x.dim());
  int64_t size = x.size(d);
  SINTER_CHECK(start >= -size && start <= size, IndexError, "narrow: start (", start, ") is out of range for dimension ",
               d, " of size ", size);
  if (start < 0) start += size;
  SINTER_CHECK(length >= 0 && start + length <= size, IndexError, "narrow: start (", start, ") + length (", length,
               ") exceeds dimension size (", size, ")");
  return slice(x, d, start, start + length, 1);
}
Tensor select(const Tensor& x, int64_t dim, int64_t index) { return call(ops::select_op, {x}, {dim, index}); }
Tensor expand(const Tensor& x, IntArrayRef size) { return call(ops::expand_op, {x}, {DimVector(size)}); }
Tensor squeeze(const Tensor& x) { return call(ops::squeeze_op, {x}, {std::monostate{}}); }
Tensor squeeze(const Tensor& x, int64_t dim) { return call(ops::squeeze_op, {x}, {dim}); }
Tensor unsqueeze(const Tensor& x, int64_t dim) { return call(ops::unsqueeze_op, {x}, {dim}); }
Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  return call(ops::diagonal_op, {x}, {offset, dim1, dim2});
}
Tensor as_strided(const Tensor& x, IntArrayRef size, IntArrayRef stride, std::optional<int64_t> offset) {
  Attrs a{DimVector(size), DimVector(stride), std::monostate{}};
  if (offset) a[2] = *offset;
  return call(ops::as_strided_op, {x}, a);
}
Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  if (x.dim() == 0) return x.reshape({1});
  int64_t s = ops::wrap_dim("flatten", start_dim, x.dim()), e = ops::wrap_dim("flatten", end_dim, x.dim());
  SINTER_CHECK(s <= e, ValueError, "flatten: start_dim (", start_dim, ") cannot come after end_dim (", end_dim, ")");
  if (s == e) return x;
  DimVector shape;
  for (int64_t i = 0; i < s; ++i) shape.push_back(x.size(i));
  int64_t m = 1;
  for (int64_t i = s; i <= e; ++i) m *= x.size(i);
  shape.push_back(m);
  for (int64_t i = e + 1; i < x.dim(); ++i) shape.push_back(x.size(i));
  return reshape(x, shape);
}
Tensor unflatten(const Tensor& x, int64_t dim, IntArrayRef sizes) {
  int64_t d = ops::wrap_dim("unflatten", dim, x.dim());
  SINTER_CHECK(!sizes.empty(), ValueError, "unflatten: sizes must be non-empty");
  DimVector inner = ops::infer_size("unflatten", sizes, x.size(d));
  DimVector shape;
  for (int64_t i = 0; i < d; ++i) shape.push_back(x.size(i));
  for (auto s : inner) shape.push_back(s);
  for (int64_t i = d + 1; i < x.dim(); ++i) shape.push_back(x.size(i));
  return view(x, shape);
}
std::vector<Tensor> unbind(const Tensor& x, int64_t dim) {
  int64_t d = ops::wrap_dim("unbind", dim, x.dim());
  std::vector<Tensor> r;
  for (int64_t i = 0; i < x.size(d); ++i) r.push_back(select(x, d, i));
  return r;
}
Tensor movedim(const Tensor& x, int64_t source, int64_t destination) {
  int64_t s = ops::wrap_dim("movedim", source, x.dim()), dd = ops::wrap_dim("movedim", destination, x.dim());
  DimVector order;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (i != s) order.push_back(i);
  order.insert(dd, s);
  return permute(x, order);
}
std::vector<Tensor> broadcast_tensors(const std::vector<Tensor>& tensors) {
  DimVector shape;
  for (auto& t : tensors) shape = ops::broadcast_shapes("broadcast_tensors", shape, t.sizes());
  std::vector<Tensor> r;
  for (auto& t : tensors) r.push_back(t.sizes() == IntArrayRef(shape) ? t : expand(t, shape));
  return r;
}

// Tensor methods.
Tensor Tensor::view(IntArrayRef size) const { return sinter::view(*this, size); }
Tensor Tensor::reshape(IntArrayRef size) const { return sinter::reshape(*this, size); }
Tensor Tensor::permute(IntArrayRef dims) const { return sinter::permute(*this, dims); }
Tensor Tensor::transpose(int64_t d0, int64_t d1) const { return sinter::transpose(*this, d0, d1); }
Tensor Tensor::t() const { return sinter::t(*this); }
Tensor Tensor::slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) const {
  return sinter::slice(*this, dim, start, end, step);
}
Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const { return sinter::narrow(*this, dim, start, length); }
Tensor Tensor::select(int64_t dim, int64_t index) const { return sinter::select(*this, dim, index); }
Tensor Tensor::expand(IntArrayRef size, bool) const { return sinter::expand(*this, size); }
Tensor Tensor::squeeze() const { return sinter::squeeze(*this); }
Tensor Tensor::squeeze(int64_t dim) const { return sinter::squeeze(*this, dim); }
Tensor Tensor::unsqueeze(int64_t dim) const { return sinter::unsqueeze(*this, dim); }
Tensor Tensor::diagonal(int64_t offset, int64_t dim1, int64_t dim2) const { return sinter::diagonal(*this, offset, dim1, dim2); }
Tensor Tensor::flatten(int64_t s, int64_t e) const { return sinter::flatten(*this, s, e); }
Tensor Tensor::unflatten(int64_t dim, IntArrayRef sizes) const { return sinter::unflatten(*this, dim, sizes); }
Tensor Tensor::as_strided(IntArrayRef size, IntArrayRef stride, std::optional<int64_t> offset) const {
  return sinter::as_strided(*this, size, stride, offset);
}
std::vector<Tensor> Tensor::unbind(int64_t dim) const { return sinter::unbind(*this, dim); }

}  // namespace sinter
