// Sorting and selection: topk (the k largest or smallest along a dim, ties to the lower index)
// and unique (distinct elements or slices, with first indices, inverse and counts).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "ops/elementwise.h"
#include "sinter/autograd.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/index.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/shape.h"

namespace sinter {
namespace ops {
namespace {

struct Geom {  // contiguous input as (A, K, C), working along K
  int64_t A = 1, K = 1, C = 1;
};
Geom geom(const Tensor& x, int64_t d) {
  Geom g;
  for (int64_t i = 0; i < d; ++i) g.A *= x.size(i);
  g.K = x.dim() ? x.size(d) : 1;
  for (int64_t i = d + 1; i < x.dim(); ++i) g.C *= x.size(i);
  return g;
}

/// A total order on values with NaN above everything (and equal to itself).
template <class A>
bool less_nan_last(A a, A b) {
  if constexpr (std::is_floating_point_v<A>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

// ---- topk(self; k, dim, largest, sorted) -> (values, indices) --------------------------------

void topk_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  const int64_t k = c.attrs.i(0);
  const int64_t d = wrap_dim("topk", c.attrs.i(1), x.dim());
  SINTER_CHECK(x.dtype() != kBool, DTypeError, "topk: bool input of shape ", shape_str(x.sizes()), " is not supported");
  const int64_t n_d = x.dim() ? x.size(d) : 1;
  SINTER_CHECK(k >= 0 && k <= n_d, ValueError, "topk: k ", k, " is out of range for dim ", d, " of size ", n_d,
               " (input shape ", shape_str(x.sizes()), ")");
  DimVector s(x.sizes());
  if (x.dim()) s[d] = k;
  out[0].sizes = out[1].sizes = s;
  out[0].dtype = x.dtype();
  out[1].dtype = kLong;
  n = 2;
}

void topk_kernel(const OpCall& c) {
  const Tensor& x0 = c.in[0];
  const int64_t k = c.attrs.i(0);
  const int64_t d = wrap_dim("topk", c.attrs.i(1), x0.dim());
  const bool largest = c.attrs.b(2);
  if (c.out[0].numel() == 0) return;
  Tensor x = x0.contiguous();
  const Geom g = geom(x, d);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    T* vp = static_cast<T*>(c.out[0].data_ptr());
    int64_t* ip = static_cast<int64_t*>(c.out[1].data_ptr());
    std::vector<int64_t> order(static_cast<size_t>(g.K));
    for (int64_t a = 0; a < g.A; ++a)
      for (int64_t cc = 0; cc < g.C; ++cc) {
        const T* row = xp + a * g.K * g.C + cc;
        auto val = [&](int64_t i) { return static_cast<A>(row[i * g.C]); };
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t i, int64_t j) {
          A u = val(i), v = val(j);
          bool before = largest ? less_nan_last(v, u) : less_nan_last(u, v);
          bool after = largest ? less_nan_last(u, v) : less_nan_last(v, u);
          return before || (!after && i < j);
        });
        for (int64_t j = 0; j < k; ++j) {
          const int64_t o = (a * k + j) * g.C + cc;
          vp[o] = row[order[static_cast<size_t>(j)] * g.C];
          ip[o] = order[static_cast<size_t>(j)];
        }
      }
  });
}

// The gradient of each selected value goes back to its position.
TensorList topk_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  if (!g[0].defined()) return {Tensor()};
  const int64_t d = x.dim() ? wrap_dim("topk", c.attrs.i(1), x.dim()) : 0;
  if (x.dim() == 0) return {g[0]};
  return {scatter(zeros_like(x), d, c.output(1), g[0])};
}

// ---- unique(self; sorted, dim) -> (values, indices, inverse, counts) -------------------------
// Without dim the input counts as flattened. Slices along dim compare lexicographically.
// indices: first occurrence of each unique entry; inverse: the unique entry of each input slice.

struct UniqueGroups {
  Geom g;
  std::vector<int64_t> first, counts, inverse;  // per group, per group, per slice
};

UniqueGroups unique_groups(const Tensor& x0, bool sorted, const AttrValue& dim_attr) {
  UniqueGroups r;
  Tensor x = x0.contiguous();
  const bool has_dim = !std::holds_alternative<std::monostate>(dim_attr);
  if (has_dim) {
    SINTER_CHECK(x.dim() > 0, ValueError, "unique: dim given for a 0-dim input");
    r.g = geom(x, wrap_dim("unique", std::get<int64_t>(dim_attr), x.dim()));
  } else {
    r.g.K = x.numel();
  }
  const Geom g = r.g;
  std::vector<int64_t> order(static_cast<size_t>(g.K));
  std::iota(order.begin(), order.end(), 0);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* xp = static_cast<const T*>(x.data_ptr());
    // -1 / 0 / 1: slice i against slice j, element by element in (A, C) order.
    auto cmp = [&](int64_t i, int64_t j) {
      for (int64_t a = 0; a < g.A; ++a)
        for (int64_t cc = 0; cc < g.C; ++cc) {
          A u = static_cast<A>(xp[(a * g.K + i) * g.C + cc]), v = static_cast<A>(xp[(a * g.K + j) * g.C + cc]);
          if (less_nan_last(u, v)) return -1;
          if (less_nan_last(v, u)) return 1;
        }
      return 0;
    };
    std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return cmp(i, j) < 0; });
    r.inverse.assign(static_cast<size_t>(g.K), 0);
    for (size_t p = 0; p < order.size(); ++p) {
      if (p == 0 || cmp(order[p - 1], order[p]) != 0) {
        r.first.push_back(order[p]);
        r.counts.push_back(0);
      }
      r.counts.back()++;
      r.inverse[static_cast<size_t>(order[p])] = static_cast<int64_t>(r.first.size()) - 1;
    }
  });
  if (!sorted) {  // groups in order of first occurrence
    std::vector<int64_t> perm(r.first.size()), rank(r.first.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return r.first[a] < r.first[b]; });
    std::vector<int64_t> f, n;
    for (size_t i = 0; i < perm.size(); ++i) {
      rank[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
      f.push_back(r.first[static_cast<size_t>(perm[i])]);
      n.push_back(r.counts[static_cast<size_t>(perm[i])]);
    }
    for (auto& v : r.inverse) v = rank[static_cast<size_t>(v)];
    r.first = f;
    r.counts = n;
  }
  return r;
}

void unique_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  UniqueGroups r = unique_groups(x, c.attrs.b(0), c.attrs[1]);
  const int64_t u = static_cast<int64_t>(r.first.size());
  DimVector vs{u};
  if (!c.attrs.is_none(1)) {
    vs = DimVector(x.sizes());
    vs[wrap_dim("unique", c.attrs.i(1), x.dim())] = u;
  }
  out[0].sizes = vs;
  out[0].dtype = x.dtype();
  out[1].sizes = out[3].sizes = DimVector{u};
  out[2].sizes = DimVector{r.g.K};
  out[1].dtype = out[2].dtype = out[3].dtype = kLong;
  n = 4;
}

void unique_kernel(const OpCall& c) {
  Tensor x = c.in[0].contiguous();
  UniqueGroups r = unique_groups(x, c.attrs.b(0), c.attrs[1]);
  const Geom g = r.g;
  const int64_t u = static_cast<int64_t>(r.first.size());
  std::copy(r.first.begin(), r.first.end(), static_cast<int64_t*>(c.out[1].data_ptr()));
  std::copy(r.inverse.begin(), r.inverse.end(), static_cast<int64_t*>(c.out[2].data_ptr()));
  std::copy(r.counts.begin(), r.counts.end(), static_cast<int64_t*>(c.out[3].data_ptr()));
  const size_t es = element_size(x.dtype());
  const char* xp = static_cast<const char*>(x.data_ptr());
  char* vp = static_cast<char*>(c.out[0].data_ptr());
  for (int64_t a = 0; a < g.A; ++a)
    for (int64_t j = 0; j < u; ++j)
      std::memcpy(vp + static_cast<size_t>((a * u + j) * g.C) * es,
                  xp + static_cast<size_t>((a * g.K + r.first[static_cast<size_t>(j)]) * g.C) * es,
                  static_cast<size_t>(g.C) * es);
}

}  // namespace

OpDef& topk_op = def("topk").input("self").attr("k").attr("dim", int64_t(-1)).attr("largest", true)
                     .attr("sorted", true).outputs(2).set_meta(topk_meta).set_cpu(topk_kernel)
                     .set_backward(topk_backward, kSaveInputs | kSaveOutputs).set_onnx("TopK");
OpDef& unique_op = def("unique").input("self").attr("sorted", true).attr("dim").outputs(4).set_meta(unique_meta)
                       .set_cpu(unique_kernel).data_dependent_shape().set_onnx("Unique");

}  // namespace ops

std::tuple<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
  auto o = ops::call_multi(ops::topk_op, {x}, {k, dim, largest, sorted});
  return {o.release(0), o.release(1)};
}

std::tuple<Tensor, Tensor, Tensor, Tensor> unique(const Tensor& x, bool sorted, std::optional<int64_t> dim) {
  ops::Attrs a{sorted, std::monostate{}};
  if (dim) a[1] = *dim;
  auto o = ops::call_multi(ops::unique_op, {x}, a);
  return {o.release(0), o.release(1), o.release(2), o.release(3)};
}

}  // namespace sinter
