// Reductions: sum mean prod, max/min (all, or per dim with indices), amax amin, argmax argmin,
// var std (and var_mean), logsumexp, norm, all any, count_nonzero. The driver (layout,
// threads) is in reduce_util.h; each op below supplies a reducer, a meta and a backward.
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/reduce_simd.h"
#include "ops/elementwise.h"
#include "ops/reduce_util.h"
#include "sinter/autograd.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/shape.h"
#include "sinter/ops/unary.h"

namespace sinter {
namespace ops {

// ---- plan and layout -----------------------------------------------------------------------

ReducePlan make_reduce_plan(const char* op, const Tensor& x, IntArrayRef dims, bool keepdim) {
  ReducePlan p;
  p.reduce.resize(static_cast<size_t>(x.dim()), dims.empty());
  bool seen0 = false;  // a 0-dim tensor accepts dim 0 / -1 once
  for (auto d : dims) {
    int64_t w = wrap_dim(op, d, x.dim());
    if (x.dim() == 0) {
      SINTER_CHECK(!seen0, ValueError, op, ": dim ", w, " appears multiple times in the list of dims");
      seen0 = true;
      continue;
    }
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

DimVector kept_sizes(const Tensor& x, const ReducePlan& p) {
  DimVector s;
  for (int64_t i = 0; i < x.dim(); ++i) s.push_back(p.reduce[i] ? 1 : x.size(i));
  return s;
}

Tensor unsqueeze_reduced(const Tensor& g, const Tensor& x, IntArrayRef dims, bool keepdim) {
  if (keepdim || x.dim() == 0) return g;
  return g.reshape(kept_sizes(x, make_reduce_plan("reduce", x, dims, true)));
}

ReduceLayout reduce_layout(const Tensor& x, const ReducePlan& p) {
  ReduceLayout L;
  L.x = x;
  if (x.numel() == 0) {  // every output reduces nothing
    L.A = p.outer;
    L.K = 0;
    return L;
  }
  struct Dim {
    int64_t size, stride;
    bool reduced;
  };
  SmallVector<Dim, 8> ds;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (x.size(i) != 1) ds.push_back({x.size(i), x.stride(i), static_cast<bool>(p.reduce[i])});
  // Memory order: largest stride first.
  SmallVector<int64_t, 8> order(ds.size());
  for (size_t i = 0; i < ds.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ds[a].stride > ds[b].stride; });
  bool ok = true;
  int64_t expect = 1;
  for (size_t j = ds.size(); j-- > 0;) {
    ok &= ds[order[j]].stride == expect;
    expect *= ds[order[j]].size;
  }
  // Pattern in memory order: kept* reduced* kept*.
  int phase = 0;
  int64_t A = 1, K = 1, C = 1;
  SmallVector<int64_t, 8> kept_mem;  // original index of each kept dim, in memory order
  for (size_t j = 0; ok && j < ds.size(); ++j) {
    const Dim& d = ds[order[j]];
    if (d.reduced) {
      ok = phase != 2;
      phase = 1;
      K *= d.size;
    } else {
      if (phase == 1) phase = 2;
      (phase == 0 ? A : C) *= d.size;
      kept_mem.push_back(order[j]);
    }
  }
  if (!ok) {  // interleaved or non-dense: copy into (outer, inner) rows
    L.x = reduce_rows(x, p);
    L.A = p.outer;
    L.K = p.inner;
    return L;
  }
  L.A = A;
  L.K = K;
  L.C = C;
  L.direct = std::is_sorted(kept_mem.begin(), kept_mem.end());
  if (!L.direct) {
    // tmp dims are the kept dims in memory order; to_out[j] = tmp dim holding output dim j.
    SmallVector<int64_t, 8> sorted_kept(kept_mem.begin(), kept_mem.end());
    std::sort(sorted_kept.begin(), sorted_kept.end());
    for (auto k : kept_mem) L.tmp_sizes.push_back(ds[k].size);
    for (auto k : sorted_kept)
      L.to_out.push_back(std::find(kept_mem.begin(), kept_mem.end(), k) - kept_mem.begin());
  }
  return L;
}

void scatter_reduce_result(const Tensor& tmp, const Tensor& out, const ReduceLayout& L) {
  DimVector tstr = contiguous_strides(L.tmp_sizes), sizes, strides;
  for (auto j : L.to_out) {
    sizes.push_back(L.tmp_sizes[j]);
    strides.push_back(tstr[j]);
  }
  Tensor src = detail::make_alias(tmp, sizes, strides, tmp.storage_offset());
  Tensor dst = detail::make_alias(out, sizes, contiguous_strides(sizes), out.storage_offset());
  kernels::copy_kernel(dst, src);
}

namespace {

/// Runs reducer make(out_ptrs) over x: the fast driver, or the scalar reference.
template <class T, size_t N, class Make>
void reduce_with(bool fast, const Tensor& x, const ReducePlan& p, const std::array<Tensor, N>& outs, Make&& make) {
  if (fast) {
    run_reduce<N>(x, p, outs, [&](const char* xp, int64_t A, int64_t K, int64_t C, const std::array<char*, N>& o) {
      reduce_akc<T>(reinterpret_cast<const T*>(xp), A, K, C, make(o));
    });
  } else {
    std::array<char*, N> o;
    for (size_t i = 0; i < N; ++i) o[i] = static_cast<char*>(outs[i].data_ptr());
    if (outs[0].numel() > 0) reduce_reference<T>(x, p, make(o));
  }
}

template <class T>
constexpr bool is_simd_float = std::is_same_v<T, float> || std::is_same_v<T, double>;

template <class T>
bool is_nan(T v) {
  if constexpr (is_float_type_v<T>) return std::isnan(static_cast<compute_t<T>>(v));
  else return false;
}

// Integer arithmetic that wraps like PyTorch's (no signed-overflow UB).
inline int64_t wrap_add(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b)); }
inline int64_t wrap_mul(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b)); }

void set_out(std::array<OutSpec, kMaxOutputs>& out, size_t& n, DimVector sizes, DType d) {
  out[0].sizes = std::move(sizes);
  out[0].dtype = d;
  n = 1;
}

// ---- sum / mean ----------------------------------------------------------------------------

template <class T, bool Mean>
struct SumReducer {
  using Acc = std::conditional_t<is_float_type_v<T>, double, int64_t>;
  T* o;
  Acc init() const { return 0; }
  void step(Acc& a, T v, int64_t) const {
    if constexpr (is_float_type_v<T>) a += static_cast<double>(static_cast<compute_t<T>>(v));
    else a = wrap_add(a, static_cast<int64_t>(v));
  }
  void merge(Acc& a, const Acc& b) const {
    if constexpr (is_float_type_v<T>) a += b;
    else a = wrap_add(a, b);
  }
  void finish(int64_t i, const Acc& a, int64_t K) const {
    // mean = sum rounded to T, then divided in T's compute type (as torch: sum(...).div_(K)).
    if constexpr (Mean) o[i] = cast<T>(static_cast<compute_t<T>>(cast<T>(a)) / static_cast<compute_t<T>>(K));
    else o[i] = cast<T>(a);
  }
  void row(Acc& a, const T* x, int64_t n, int64_t) const requires is_simd_float<T> { a += kernels::simd::sum(x, n); }
  void cols(Acc* a, const T* x, int64_t n, int64_t, int64_t rows, int64_t ld) const requires is_simd_float<T> {
    kernels::simd::accumulate_sum_rows(a, x, rows, n, ld);
  }
};

DType sum_dtype(const Tensor& x, const Attrs& a, size_t k) {
  if (!a.is_none(k)) return a.dtype(k);
  // integers accumulate in int64 like PyTorch; uint16/32/64 in uint64 like numpy
  if (is_wide_unsigned(x.dtype())) return kUInt64;
  return is_integral(x.dtype(), true) ? kLong : x.dtype();
}

// sum(self; dim, keepdim, dtype)
void sum_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  ReducePlan p = make_reduce_plan("sum", c.in[0], c.attrs.ints(0), c.attrs.b(1));
  set_out(out, n, p.out_sizes, sum_dtype(c.in[0], c.attrs, 2));
}

// mean(self; dim, keepdim, dtype): floating only (an integer input needs a float dtype=).
void mean_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  ReducePlan p = make_reduce_plan("mean", c.in[0], c.attrs.ints(0), c.attrs.b(1));
  DType d = c.in[0].dtype();
  if (!c.attrs.is_none(2)) {
    d = c.attrs.dtype(2);
    SINTER_CHECK(is_floating_point(d), DTypeError,
                 "mean(): could not infer output dtype. Optional dtype must be either a floating point or complex "
                 "dtype. Got: ", dtype_name(d));
  } else {
    SINTER_CHECK(is_floating_point(d), DTypeError,
                 "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
                 "Got: ", dtype_name(d), " (input ", shape_str(c.in[0].sizes()), ")");
  }
  set_out(out, n, p.out_sizes, d);
}

template <bool Fast, bool Mean>
void sum_kernel(const OpCall& c) {
  const Tensor& o = c.out[0];
  ReducePlan p = make_reduce_plan(c.op.name.c_str(), c.in[0], c.attrs.ints(0), c.attrs.b(1));
  Tensor x = as_dtype(c.in[0], o.dtype());
  visit_dtype(o.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    reduce_with<T, 1>(Fast, x, p, {o}, [](const std::array<char*, 1>& op) {
      return SumReducer<T, Mean>{reinterpret_cast<T*>(op[0])};
    });
  });
}

TensorList sum_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  Tensor grad = unsqueeze_reduced(g[0], x, c.attrs.ints(0), c.attrs.b(1));
  return {grad.expand(x.sizes()).to(x.dtype())};
}

TensorList mean_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  ReducePlan p = make_reduce_plan("mean", x, c.attrs.ints(0), true);
  Tensor grad = unsqueeze_reduced(g[0], x, c.attrs.ints(0), c.attrs.b(1));
  return {(grad / static_cast<double>(p.inner)).expand(x.sizes()).to(x.dtype())};
}

// ---- prod ----------------------------------------------------------------------------------

template <class T>
struct ProdReducer {
  using Acc = std::conditional_t<is_float_type_v<T>, double, int64_t>;
  T* o;
  Acc init() const { return 1; }
  void step(Acc& a, T v, int64_t) const {
    if constexpr (is_float_type_v<T>) a *= static_cast<double>(static_cast<compute_t<T>>(v));
    else a = wrap_mul(a, static_cast<int64_t>(v));
  }
  void merge(Acc& a, const Acc& b) const {
    if constexpr (is_float_type_v<T>) a *= b;
    else a = wrap_mul(a, b);
  }
  void finish(int64_t i, const Acc& a, int64_t) const { o[i] = cast<T>(a); }
};

DimVector prod_dims(const Attrs& a) { return a.is_none(0) ? DimVector{} : DimVector{a.i(0)}; }

// prod(self; dim (one, or None for all), keepdim, dtype)
void prod_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  ReducePlan p = make_reduce_plan("prod", c.in[0], prod_dims(c.attrs), c.attrs.b(1));
  set_out(out, n, p.out_sizes, sum_dtype(c.in[0], c.attrs, 2));
}

template <bool Fast>
void prod_kernel(const OpCall& c) {
  const Tensor& o = c.out[0];
  ReducePlan p = make_reduce_plan("prod", c.in[0], prod_dims(c.attrs), c.attrs.b(1));
  Tensor x = as_dtype(c.in[0], o.dtype());
  visit_dtype(o.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    reduce_with<T, 1>(Fast, x, p, {o}, [](const std::array<char*, 1>& op) { return ProdReducer<T>{reinterpret_cast<T*>(op[0])}; });
  });
}

// d prod / dx_i = product of the others: out / x_i without zeros; with zeros only a lone zero
// gets a gradient (the product of the non-zeros).
TensorList prod_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  DimVector dims = prod_dims(c.attrs);
  bool keepdim = c.attrs.b(1);
  Tensor gk = unsqueeze_reduced(g[0], x, dims, keepdim);
  Tensor out = unsqueeze_reduced(c.output(0), x, dims, keepdim);
  Tensor zero = x.eq(0);
  bool any_zero;
  {
    NoGradGuard ng;
    any_zero = zero.any().item<bool>();
  }
  if (!any_zero) return {(gk * out / x).to(x.dtype())};
  Tensor x1 = where(zero, Scalar(1), x);
  Tensor nz = dims.empty() ? prod(x1).reshape(kept_sizes(x, make_reduce_plan("prod", x, dims, true)))
                           : prod(x1, dims[0], true);
  Tensor count = zero.sum(dims, true);
  Tensor lone = where(count.eq(1), nz, Scalar(0));
  return {(gk * where(zero, lone, out / x1)).to(x.dtype())};
}

// ---- max / min / amax / amin ---------------------------------------------------------------

template <class T, bool IsMax>
struct ExtremumReducer {
  using Acc = compute_t<T>;
  T* o;
  Acc init() const {
    if constexpr (std::is_same_v<T, bool>) return !IsMax;
    else if constexpr (is_float_type_v<T>) return IsMax ? -std::numeric_limits<Acc>::infinity() : std::numeric_limits<Acc>::infinity();
    else return IsMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  void step(Acc& a, T v, int64_t) const {
    Acc u = static_cast<Acc>(v);
    if (is_nan(a)) return;
    if (is_nan(u) || (IsMax ? u > a : u < a)) a = u;
  }
  void merge(Acc& a, const Acc& b) const { step(a, cast<T>(b), 0); }
  void finish(int64_t i, const Acc& a, int64_t) const { o[i] = cast<T>(a); }
  void row(Acc& a, const T* x, int64_t n, int64_t) const requires is_simd_float<T> {
    Acc m = IsMax ? kernels::simd::max(x, n) : kernels::simd::min(x, n);
    step(a, m, 0);
  }
  void cols(Acc* a, const T* x, int64_t n, int64_t, int64_t rows, int64_t ld) const requires is_simd_float<T> {
    if constexpr (IsMax) kernels::simd::accumulate_max_rows(a, x, rows, n, ld);
    else kernels::simd::accumulate_min_rows(a, x, rows, n, ld);
  }
};

// amax / amin (self; dim, keepdim): every reduced dim must be non-empty.
void check_nonempty_reduction(const char* op, const Tensor& x, const ReducePlan& p, bool dims_given) {
  if (!dims_given || x.dim() == 0) {
    SINTER_CHECK(x.numel() > 0, ValueError, op,
                 "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with "
                 "the 'dim' argument (input ", shape_str(x.sizes()), ")");
    return;
  }
  for (int64_t i = 0; i < x.dim(); ++i)
    SINTER_CHECK(!p.reduce[i] || x.size(i) > 0, IndexError, op, "(): Expected reduction dim ", i,
                 " to have non-zero size (input ", shape_str(x.sizes()), ")");
}

void amax_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  ReducePlan p = make_reduce_plan(op, c.in[0], c.attrs.ints(0), c.attrs.b(1));
  check_nonempty_reduction(op, c.in[0], p, !c.attrs.ints(0).empty());
  set_out(out, n, p.out_sizes, c.in[0].dtype());
}

template <bool Fast, bool IsMax>
void extremum_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  ReducePlan p = make_reduce_plan(c.op.name.c_str(), x, c.attrs.size() ? c.attrs.ints(0) : IntArrayRef{},
                                  c.attrs.size() > 1 && c.attrs.b(1));
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    reduce_with<T, 1>(Fast, x, p, {c.out[0]}, [](const std::array<char*, 1>& op) {
      return ExtremumReducer<T, IsMax>{reinterpret_cast<T*>(op[0])};
    });
  });
}

// Gradient split evenly among the elements equal to the result (as torch's amax/amin).
TensorList amax_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  IntArrayRef dims = c.attrs.ints(0);
  bool keepdim = c.attrs.b(1);
  Tensor gk = unsqueeze_reduced(g[0], x, dims, keepdim);
  Tensor mask = x.eq(unsqueeze_reduced(c.output(0), x, dims, keepdim));
  return {gk / mask.sum(dims, true) * mask};
}

// max() / min() over all elements.
void max_all_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  check_nonempty_reduction(c.op.name.c_str(), c.in[0], ReducePlan{}, false);
  set_out(out, n, {}, c.in[0].dtype());
}
TensorList max_all_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  const Tensor& v = c.output(0);
  bool nan;
  {
    NoGradGuard ng;
    nan = is_floating_point(v.dtype()) && std::isnan(v.item<double>());
  }
  Tensor mask = nan ? x.ne(x) : x.eq(v);
  return {where(mask, g[0] / mask.sum(), Scalar(0))};
}

// ---- max.dim / min.dim / argmax / argmin ----------------------------------------------------

template <class T, bool IsMax>
struct ArgReducer {
  using V = compute_t<T>;
  struct Acc {
    V v;
    int64_t idx;
  };
  T* values;  // may be null (argmax)
  int64_t* indices;
  Acc init() const { return {V(), -1}; }
  // NaN wins (the first one); ties keep the first index.
  static bool better(V u, V best) { return !is_nan(best) && (is_nan(u) || (IsMax ? u > best : u < best)); }
  void step(Acc& a, T v, int64_t k) const {
    V u = static_cast<V>(v);
    if (a.idx < 0 || better(u, a.v)) a = {u, k};
  }
  void merge(Acc& a, const Acc& b) const {
    if (b.idx >= 0 && (a.idx < 0 || better(b.v, a.v))) a = b;
  }
  void finish(int64_t i, const Acc& a, int64_t) const {
    if (values) values[i] = cast<T>(a.v);
    indices[i] = a.idx;
  }
};

// max.dim(self; dim, keepdim) -> (values, indices)
void max_dim_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name == "max.dim" ? "max" : "min";
  const Tensor& x = c.in[0];
  int64_t d = c.attrs.i(0);
  ReducePlan p = make_reduce_plan(op, x, {d}, c.attrs.b(1));
  check_nonempty_reduction(op, x, p, true);
  out[0].sizes = p.out_sizes;
  out[0].dtype = x.dtype();
  out[1].sizes = p.out_sizes;
  out[1].dtype = kLong;
  n = 2;
}

template <bool Fast, bool IsMax>
void max_dim_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  ReducePlan p = make_reduce_plan(IsMax ? "max" : "min", x, {c.attrs.i(0)}, c.attrs.b(1));
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    reduce_with<T, 2>(Fast, x, p, {c.out[0], c.out[1]}, [](const std::array<char*, 2>& op) {
      return ArgReducer<T, IsMax>{reinterpret_cast<T*>(op[0]), reinterpret_cast<int64_t*>(op[1])};
    });
  });
}

// The gradient goes to the selected element of each slice.
TensorList max_dim_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  if (x.dim() == 0) return {g[0]};
  int64_t d = wrap_dim("max", c.attrs.i(0), x.dim());
  bool keepdim = c.attrs.b(1);
  Tensor gk = keepdim ? g[0] : g[0].unsqueeze(d);
  Tensor ik = keepdim ? c.output(1) : c.output(1).unsqueeze(d);
  DimVector shape(static_cast<size_t>(x.dim()), 1);
  shape[d] = x.size(d);
  Tensor mask = arange(x.size(d), TensorOptions(kLong)).view(shape).eq(ik);
  return {where(mask, gk, Scalar(0))};
}

// argmax(self; dim (None: over all, flattened), keepdim)
void argmax_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& x = c.in[0];
  SINTER_CHECK(x.dtype() != kBool, DTypeError, op, ": not implemented for dtype bool (input ", shape_str(x.sizes()), ")");
  bool keepdim = c.attrs.b(1);
  if (c.attrs.is_none(0)) {
    SINTER_CHECK(x.numel() > 0, IndexError, op, "(): Expected reduction dim to be specified for input.numel() == 0 (input ",
                 shape_str(x.sizes()), ")");
    set_out(out, n, keepdim ? DimVector(static_cast<size_t>(x.dim()), 1) : DimVector{}, kLong);
    return;
  }
  ReducePlan p = make_reduce_plan(op, x, {c.attrs.i(0)}, keepdim);
  check_nonempty_reduction(op, x, p, true);
  set_out(out, n, p.out_sizes, kLong);
}

template <bool Fast, bool IsMax>
void argmax_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  bool all = c.attrs.is_none(0);
  // Over all elements: reduce the flattened (row-major) input as one row.
  Tensor xv = all ? x.reshape({x.numel()}) : x;
  ReducePlan p = make_reduce_plan(c.op.name.c_str(), xv, all ? DimVector{} : DimVector{c.attrs.i(0)}, c.attrs.b(1));
  Tensor o = all ? detail::make_alias(c.out[0], p.out_sizes, contiguous_strides(p.out_sizes), c.out[0].storage_offset())
                 : c.out[0];
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    reduce_with<T, 1>(Fast, xv, p, {o}, [](const std::array<char*, 1>& op) {
      return ArgReducer<T, IsMax>{nullptr, reinterpret_cast<int64_t*>(op[0])};
    });
  });
}

// ---- var / std -----------------------------------------------------------------------------

template <class T, bool Sqrt>
struct VarReducer {
  struct Acc {
    double n, mean, m2;
  };
  T* o;
  double correction;
  Acc init() const { return {0, 0, 0}; }
  void step(Acc& a, T v, int64_t) const {  // Welford
    double u = static_cast<double>(static_cast<compute_t<T>>(v));
    a.n += 1;
    double delta = u - a.mean;
    a.mean += delta / a.n;
    a.m2 += delta * (u - a.mean);
  }
  void merge(Acc& a, const Acc& b) const {  // Chan et al.
    if (b.n == 0) return;
    if (a.n == 0) {
      a = b;
      return;
    }
    double n = a.n + b.n, delta = b.mean - a.mean;
    a.mean += delta * b.n / n;
    a.m2 += b.m2 + delta * delta * a.n * b.n / n;
    a.n = n;
  }
  void finish(int64_t i, const Acc& a, int64_t) const {
    double divisor = a.n > correction ? a.n - correction : 0.0;
    double var = a.m2 / divisor;
    o[i] = cast<T>(Sqrt ? std::sqrt(var) : var);
  }
  // Two passes over the data (mean, then squares about it), vectorised, merged as above.
  // Squares are taken about the mean rounded to T, c: sum (x - mean)^2 = sum (x - c)^2 - n (mean - c)^2.
  void row(Acc& a, const T* x, int64_t n, int64_t) const requires is_simd_float<T> {
    const double mean = kernels::simd::sum(x, n) / static_cast<double>(n);
    const T c = static_cast<T>(mean);
    const double off = mean - static_cast<double>(c);
    const double m2 = kernels::simd::sum_sq_dev(x, n, c) - static_cast<double>(n) * off * off;
    merge(a, Acc{static_cast<double>(n), mean, std::max(0.0, m2)});
  }
  void cols(Acc* a, const T* x, int64_t n, int64_t, int64_t rows, int64_t ld) const requires is_simd_float<T> {
    std::vector<double> s(static_cast<size_t>(n), 0.0), m2(static_cast<size_t>(n), 0.0);
    std::vector<T> c(static_cast<size_t>(n));
    kernels::simd::accumulate_sum_rows(s.data(), x, rows, n, ld);
    for (int64_t j = 0; j < n; ++j) {
      s[j] /= static_cast<double>(rows);
      c[j] = static_cast<T>(s[j]);
    }
    kernels::simd::accumulate_sq_dev_rows(m2.data(), x, c.data(), rows, n, ld);
    for (int64_t j = 0; j < n; ++j) {
      const double off = s[j] - static_cast<double>(c[j]);
      merge(a[j], Acc{static_cast<double>(rows), s[j], std::max(0.0, m2[j] - static_cast<double>(rows) * off * off)});
    }
  }
};

// var / std (self; dim (empty: all), correction, keepdim)
void var_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const Tensor& x = c.in[0];
  SINTER_CHECK(is_floating_point(x.dtype()), DTypeError, op,
               ": std and var only support floating point dtypes, got ", dtype_name(x.dtype()), " (input ",
               shape_str(x.sizes()), ")");
  ReducePlan p = make_reduce_plan(op, x, c.attrs.ints(0), c.attrs.b(2));
  set_out(out, n, p.out_sizes, x.dtype());
}

template <bool Fast, bool Sqrt>
void var_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  ReducePlan p = make_reduce_plan(c.op.name.c_str(), x, c.attrs.ints(0), c.attrs.b(2));
  double corr = static_cast<double>(c.attrs.i(1));
  visit_float_dtype(x.dtype(), c.op.name.c_str(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    reduce_with<T, 1>(Fast, x, p, {c.out[0]}, [corr](const std::array<char*, 1>& op) {
      return VarReducer<T, Sqrt>{reinterpret_cast<T*>(op[0]), corr};
    });
  });
}

// d var = 2 (x - mean) / (N - correction) * g
Tensor var_backward_impl(const Tensor& gk, const Tensor& x, IntArrayRef dims, int64_t correction) {
  ReducePlan p = make_reduce_plan("var", x, dims, true);
  double scale = 2.0 / (static_cast<double>(p.inner) - static_cast<double>(correction));
  return gk * scale * (x - mean(x, dims, true));
}
TensorList var_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  IntArrayRef dims = c.attrs.ints(0);
  return {var_backward_impl(unsqueeze_reduced(g[0], x, dims, c.attrs.b(2)), x, dims, c.attrs.i(1))};
}
// d std = d var / (2 std); zero where std is zero.
TensorList std_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  IntArrayRef dims = c.attrs.ints(0);
  bool keepdim = c.attrs.b(2);
  Tensor sk = unsqueeze_reduced(c.output(0), x, dims, keepdim);
  Tensor gk = unsqueeze_reduced(g[0], x, dims, keepdim);
  Tensor gv = where(sk.eq(0), Scalar(0), gk / (sk * 2));
  return {var_backward_impl(gv, x, dims, c.attrs.i(1))};
}

// ---- logsumexp -----------------------------------------------------------------------------

template <class T>
struct LogSumExpReducer {
  struct Acc {
    double m, s;  // value = m + log(s); s == 0: nothing yet (or only -inf)
  };
  T* o;
  Acc init() const { return {-std::numeric_limits<double>::infinity(), 0.0}; }
  void step(Acc& a, T v, int64_t) const {
    double u = static_cast<double>(static_cast<compute_t<T>>(v));
    if (u == -std::numeric_limits<double>::infinity()) return;
    if (u > a.m) {
      a.s = a.s * std::exp(a.m - u) + 1.0;
      a.m = u;
    } else if (u == a.m) {
      a.s += 1.0;
    } else {
      a.s += std::exp(u - a.m);  // NaN (in u or m) lands here and stays
    }
  }
  void merge(Acc& a, const Acc& b) const {
    if (b.s == 0) return;
    if (a.s == 0) {
      a = b;
      return;
    }
    if (std::isnan(a.m) || std::isnan(b.m) || std::isnan(a.s) || std::isnan(b.s)) {
      a.s = std::numeric_limits<double>::quiet_NaN();
      return;
    }
    if (a.m == b.m) a.s += b.s;
    else if (a.m > b.m) a.s += b.s * std::exp(b.m - a.m);
    else {
      a.s = a.s * std::exp(a.m - b.m) + b.s;
      a.m = b.m;
    }
  }
  void finish(int64_t i, const Acc& a, int64_t) const {
    o[i] = cast<T>(a.s == 0 ? -std::numeric_limits<double>::infinity() : a.m + std::log(a.s));
  }
  void row(Acc& a, const T* x, int64_t n, int64_t) const requires is_simd_float<T> {
    double l = kernels::simd::logsumexp(x, n);
    if (std::isnan(l)) merge(a, Acc{l, std::numeric_limits<double>::quiet_NaN()});
    else if (l != -std::numeric_limits<double>::infinity()) merge(a, Acc{l, 1.0});
  }
};

DType float_result(DType d) { return is_floating_point(d) ? d : default_dtype(); }

// logsumexp(self; dim (empty: all), keepdim): integers give the default float dtype.
void logsumexp_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  ReducePlan p = make_reduce_plan("logsumexp", c.in[0], c.attrs.ints(0), c.attrs.b(1));
  set_out(out, n, p.out_sizes, float_result(c.in[0].dtype()));
}

template <bool Fast>
void logsumexp_kernel(const OpCall& c) {
  const Tensor& o = c.out[0];
  Tensor x = as_dtype(c.in[0], o.dtype());
  ReducePlan p = make_reduce_plan("logsumexp", x, c.attrs.ints(0), c.attrs.b(1));
  visit_float_dtype(o.dtype(), "logsumexp", [&](auto tag) {
    using T = typename decltype(tag)::type;
    reduce_with<T, 1>(Fast, x, p, {o}, [](const std::array<char*, 1>& op) { return LogSumExpReducer<T>{reinterpret_cast<T*>(op[0])}; });
  });
}

TensorList logsumexp_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  IntArrayRef dims = c.attrs.ints(0);
  bool keepdim = c.attrs.b(1);
  Tensor gk = unsqueeze_reduced(g[0], x, dims, keepdim);
  return {gk * exp(x - unsqueeze_reduced(c.output(0), x, dims, keepdim))};
}

// ---- norm ----------------------------------------------------------------------------------

enum class NormKind { Zero, One, Two, Inf, NegInf, General };
NormKind norm_kind(double p) {
  if (p == 0) return NormKind::Zero;
  if (p == 1) return NormKind::One;
  if (p == 2) return NormKind::Two;
  if (std::isinf(p)) return p > 0 ? NormKind::Inf : NormKind::NegInf;
  return NormKind::General;
}

template <class T>
struct NormReducer {
  using Acc = double;
  T* o;
  NormKind kind;
  double p;
  Acc init() const { return kind == NormKind::NegInf ? std::numeric_limits<double>::infinity() : 0.0; }
  void step(Acc& a, T v, int64_t) const {
    double u = std::abs(static_cast<double>(static_cast<compute_t<T>>(v)));
    switch (kind) {
      case NormKind::Zero: a += u != 0 ? 1.0 : 0.0; break;
      case NormKind::One: a += u; break;
      case NormKind::Two: a += u * u; break;
      case NormKind::General: a += std::pow(u, p); break;
      case NormKind::Inf:
        if (!std::isnan(a) && (std::isnan(u) || u > a)) a = u;
        break;
      case NormKind::NegInf:
        if (!std::isnan(a) && (std::isnan(u) || u < a)) a = u;
        break;
    }
  }
  void merge(Acc& a, const Acc& b) const {
    if (kind == NormKind::Inf || kind == NormKind::NegInf) {
      if (!std::isnan(a) && (std::isnan(b) || (kind == NormKind::Inf ? b > a : b < a))) a = b;
    } else {
      a += b;
    }
  }
  void finish(int64_t i, const Acc& a, int64_t) const {
    double r = kind == NormKind::Two ? std::sqrt(a) : kind == NormKind::General ? std::pow(a, 1.0 / p) : a;
    o[i] = cast<T>(r);
  }
};

// norm(self; p, dim (empty: all), keepdim): floating only.
void norm_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  SINTER_CHECK(is_floating_point(x.dtype()), DTypeError,
               "norm(): input dtype should be either floating point or complex. Got ", dtype_name(x.dtype()),
               " instead (input ", shape_str(x.sizes()), ")");
  double p = c.attrs.f(0);
  ReducePlan plan = make_reduce_plan("norm", x, c.attrs.ints(1), c.attrs.b(2));
  if (std::isinf(p)) {
    bool all = c.attrs.ints(1).empty() || x.dim() == 0;
    SINTER_CHECK(!(all && x.numel() == 0), ValueError,
                 "norm(): cannot compute the ", p, " norm on an empty tensor because the operation does not have an "
                 "identity (input ", shape_str(x.sizes()), ")");
    for (int64_t i = 0; !all && i < x.dim(); ++i)
      SINTER_CHECK(!plan.reduce[i] || x.size(i) > 0, ValueError, "norm(): cannot compute the ", p,
                   " norm on the dimension ", i, " because this dimension is empty and the operation does not have an "
                   "identity (input ", shape_str(x.sizes()), ")");
  }
  set_out(out, n, plan.out_sizes, x.dtype());
}

template <bool Fast>
void norm_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  double p = c.attrs.f(0);
  ReducePlan plan = make_reduce_plan("norm", x, c.attrs.ints(1), c.attrs.b(2));
  visit_float_dtype(x.dtype(), "norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    reduce_with<T, 1>(Fast, x, plan, {c.out[0]}, [p](const std::array<char*, 1>& op) {
      return NormReducer<T>{reinterpret_cast<T*>(op[0]), norm_kind(p), p};
    });
  });
}

TensorList norm_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  double p = c.attrs.f(0);
  IntArrayRef dims = c.attrs.ints(1);
  bool keepdim = c.attrs.b(2);
  Tensor gk = unsqueeze_reduced(g[0], x, dims, keepdim);
  Tensor nk = unsqueeze_reduced(c.output(0), x, dims, keepdim);
  Tensor r;
  switch (norm_kind(p)) {
    case NormKind::Zero: r = zeros_like(x); break;
    case NormKind::One: r = x.sign() * gk; break;
    case NormKind::Two: r = x * where(nk.eq(0), Scalar(0), gk / nk); break;
    case NormKind::Inf:
    case NormKind::NegInf: {
      Tensor ax = x.abs();
      Tensor mask = ax.eq(nk) + ax.ne(ax);  // bool + bool: or (NaN counts as selected)
      r = x.sign() * (gk / mask.sum(dims, true) * mask);
      break;
    }
    case NormKind::General:
      if (p < 1) {
        Tensor scaled = x.sign() * where(x.eq(0), Scalar(0), x.abs().pow(p - 1));
        r = scaled * gk * nk.pow(1 - p);
      } else if (p < 2) {
        r = x.sign() * x.abs().pow(p - 1) * where(nk.eq(0), Scalar(0), gk / nk.pow(p - 1));
      } else {
        r = x * x.abs().pow(p - 2) * where(nk.eq(0), Scalar(0), gk / nk.pow(p - 1));
      }
      break;
  }
  return {r};
}

// ---- all / any / count_nonzero -------------------------------------------------------------

template <class T, class O, bool All>
struct AllAnyReducer {
  using Acc = bool;
  O* o;
  Acc init() const { return All; }
  void step(Acc& a, T v, int64_t) const {
    if (cast<bool>(v) != All) a = !All;
  }
  void merge(Acc& a, const Acc& b) const { a = All ? (a && b) : (a || b); }
  void finish(int64_t i, const Acc& a, int64_t) const { o[i] = static_cast<O>(a); }
};

// all / any (self; dim, keepdim): bool result (uint8 for uint8 input, as torch).
void bool_reduce_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  ReducePlan p = make_reduce_plan(c.op.name.c_str(), c.in[0], c.attrs.ints(0), c.attrs.b(1));
  set_out(out, n, p.out_sizes, c.in[0].dtype() == kByte ? kByte : kBool);
}
template <bool Fast, bool All>
void bool_reduce_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  ReducePlan p = make_reduce_plan(c.op.name.c_str(), x, c.attrs.ints(0), c.attrs.b(1));
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (c.out[0].dtype() == kByte) {
      reduce_with<T, 1>(Fast, x, p, {c.out[0]}, [](const std::array<char*, 1>& op) {
        return AllAnyReducer<T, uint8_t, All>{reinterpret_cast<uint8_t*>(op[0])};
      });
    } else {
      reduce_with<T, 1>(Fast, x, p, {c.out[0]}, [](const std::array<char*, 1>& op) {
        return AllAnyReducer<T, bool, All>{reinterpret_cast<bool*>(op[0])};
      });
    }
  });
}

template <class T>
struct CountNonzeroReducer {
  using Acc = int64_t;
  int64_t* o;
  Acc init() const { return 0; }
  void step(Acc& a, T v, int64_t) const { a += cast<bool>(v) ? 1 : 0; }
  void merge(Acc& a, const Acc& b) const { a += b; }
  void finish(int64_t i, const Acc& a, int64_t) const { o[i] = a; }
};

// count_nonzero(self; dim (empty: all)) -> int64
void count_nonzero_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  ReducePlan p = make_reduce_plan("count_nonzero", c.in[0], c.attrs.ints(0), false);
  set_out(out, n, p.out_sizes, kLong);
}
template <bool Fast>
void count_nonzero_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  ReducePlan p = make_reduce_plan("count_nonzero", x, c.attrs.ints(0), false);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    reduce_with<T, 1>(Fast, x, p, {c.out[0]}, [](const std::array<char*, 1>& op) {
      return CountNonzeroReducer<T>{reinterpret_cast<int64_t*>(op[0])};
    });
  });
}

}  // namespace

OpDef& sum_op = def("sum").input("self").attr("dim", DimVector{}).attr("keepdim", false).attr("dtype")
                    .set_meta(sum_meta).set_cpu(sum_kernel<true, false>).set_cpu_ref(sum_kernel<false, false>)
                    .set_backward(sum_backward).set_onnx("ReduceSum");
OpDef& mean_op = def("mean").input("self").attr("dim", DimVector{}).attr("keepdim", false).attr("dtype")
                     .set_meta(mean_meta).set_cpu(sum_kernel<true, true>).set_cpu_ref(sum_kernel<false, true>)
                     .set_backward(mean_backward).set_onnx("ReduceMean");
OpDef& prod_op = def("prod").input("self").attr("dim").attr("keepdim", false).attr("dtype")
                     .set_meta(prod_meta).set_cpu(prod_kernel<true>).set_cpu_ref(prod_kernel<false>)
                     .set_backward(prod_backward, kSaveInputs | kSaveOutputs).set_onnx("ReduceProd");
OpDef& max_op = def("max").input("self").set_meta(max_all_meta).set_cpu(extremum_kernel<true, true>)
                    .set_cpu_ref(extremum_kernel<false, true>).set_backward(max_all_backward, kSaveInputs | kSaveOutputs);
OpDef& min_op = def("min").input("self").set_meta(max_all_meta).set_cpu(extremum_kernel<true, false>)
                    .set_cpu_ref(extremum_kernel<false, false>).set_backward(max_all_backward, kSaveInputs | kSaveOutputs);
OpDef& amax_op = def("amax").input("self").attr("dim", DimVector{}).attr("keepdim", false).set_meta(amax_meta)
                     .set_cpu(extremum_kernel<true, true>).set_cpu_ref(extremum_kernel<false, true>)
                     .set_backward(amax_backward, kSaveInputs | kSaveOutputs).set_onnx("ReduceMax");
OpDef& amin_op = def("amin").input("self").attr("dim", DimVector{}).attr("keepdim", false).set_meta(amax_meta)
                     .set_cpu(extremum_kernel<true, false>).set_cpu_ref(extremum_kernel<false, false>)
                     .set_backward(amax_backward, kSaveInputs | kSaveOutputs).set_onnx("ReduceMin");
OpDef& max_dim_op = def("max.dim").input("self").attr("dim", int64_t(0)).attr("keepdim", false).outputs(2)
                        .set_meta(max_dim_meta).set_cpu(max_dim_kernel<true, true>).set_cpu_ref(max_dim_kernel<false, true>)
                        .set_backward(max_dim_backward, kSaveInputs | kSaveOutputs);
OpDef& min_dim_op = def("min.dim").input("self").attr("dim", int64_t(0)).attr("keepdim", false).outputs(2)
                        .set_meta(max_dim_meta).set_cpu(max_dim_kernel<true, false>).set_cpu_ref(max_dim_kernel<false, false>)
                        .set_backward(max_dim_backward, kSaveInputs | kSaveOutputs);
OpDef& argmax_op = def("argmax").input("self").attr("dim").attr("keepdim", false).set_meta(argmax_meta)
                       .set_cpu(argmax_kernel<true, true>).set_cpu_ref(argmax_kernel<false, true>).set_onnx("ArgMax");
OpDef& argmin_op = def("argmin").input("self").attr("dim").attr("keepdim", false).set_meta(argmax_meta)
                       .set_cpu(argmax_kernel<true, false>).set_cpu_ref(argmax_kernel<false, false>).set_onnx("ArgMin");
OpDef& var_op = def("var").input("self").attr("dim", DimVector{}).attr("correction", int64_t(1)).attr("keepdim", false)
                    .set_meta(var_meta).set_cpu(var_kernel<true, false>).set_cpu_ref(var_kernel<false, false>)
                    .set_backward(var_backward);
OpDef& std_op = def("std").input("self").attr("dim", DimVector{}).attr("correction", int64_t(1)).attr("keepdim", false)
                    .set_meta(var_meta).set_cpu(var_kernel<true, true>).set_cpu_ref(var_kernel<false, true>)
                    .set_backward(std_backward, kSaveInputs | kSaveOutputs);
OpDef& logsumexp_op = def("logsumexp").input("self").attr("dim", DimVector{}).attr("keepdim", false)
                          .set_meta(logsumexp_meta).set_cpu(logsumexp_kernel<true>).set_cpu_ref(logsumexp_kernel<false>)
                          .set_backward(logsumexp_backward, kSaveInputs | kSaveOutputs).set_onnx("ReduceLogSumExp");
OpDef& norm_op = def("norm").input("self").attr("p", 2.0).attr("dim", DimVector{}).attr("keepdim", false)
                     .set_meta(norm_meta).set_cpu(norm_kernel<true>).set_cpu_ref(norm_kernel<false>)
                     .set_backward(norm_backward, kSaveInputs | kSaveOutputs).set_onnx("ReduceL2").set_onnx("ReduceL1");
OpDef& all_op = def("all").input("self").attr("dim", DimVector{}).attr("keepdim", false)
                    .set_meta(bool_reduce_meta).set_cpu(bool_reduce_kernel<true, true>).set_cpu_ref(bool_reduce_kernel<false, true>);
OpDef& any_op = def("any").input("self").attr("dim", DimVector{}).attr("keepdim", false)
                    .set_meta(bool_reduce_meta).set_cpu(bool_reduce_kernel<true, false>).set_cpu_ref(bool_reduce_kernel<false, false>);
OpDef& count_nonzero_op = def("count_nonzero").input("self").attr("dim", DimVector{}).set_meta(count_nonzero_meta)
                              .set_cpu(count_nonzero_kernel<true>).set_cpu_ref(count_nonzero_kernel<false>);

}  // namespace ops

using ops::call;

static ops::Attrs reduce_attrs(IntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  ops::Attrs a{DimVector(dim), keepdim, std::monostate{}};
  if (dtype) a[2] = *dtype;
  return a;
}
static ops::AttrValue opt_dim(std::optional<int64_t> d) { return d ? ops::AttrValue(*d) : ops::AttrValue(std::monostate{}); }

Tensor sum(const Tensor& x, std::optional<DType> dtype) { return call(ops::sum_op, {x}, reduce_attrs({}, false, dtype)); }
Tensor sum(const Tensor& x, IntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  return call(ops::sum_op, {x}, reduce_attrs(dim, keepdim, dtype));
}
Tensor mean(const Tensor& x, std::optional<DType> dtype) { return call(ops::mean_op, {x}, reduce_attrs({}, false, dtype)); }
Tensor mean(const Tensor& x, IntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  return call(ops::mean_op, {x}, reduce_attrs(dim, keepdim, dtype));
}
Tensor prod(const Tensor& x, std::optional<DType> dtype) {
  ops::Attrs a{std::monostate{}, false, std::monostate{}};
  if (dtype) a[2] = *dtype;
  return call(ops::prod_op, {x}, a);
}
Tensor prod(const Tensor& x, int64_t dim, bool keepdim, std::optional<DType> dtype) {
  ops::Attrs a{dim, keepdim, std::monostate{}};
  if (dtype) a[2] = *dtype;
  return call(ops::prod_op, {x}, a);
}
Tensor max(const Tensor& x) { return call(ops::max_op, {x}); }
Tensor min(const Tensor& x) { return call(ops::min_op, {x}); }
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  auto o = ops::call_multi(ops::max_dim_op, {x}, {dim, keepdim});
  return {o.release(0), o.release(1)};
}
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  auto o = ops::call_multi(ops::min_dim_op, {x}, {dim, keepdim});
  return {o.release(0), o.release(1)};
}
Tensor amax(const Tensor& x, IntArrayRef dim, bool keepdim) { return call(ops::amax_op, {x}, {DimVector(dim), keepdim}); }
Tensor amin(const Tensor& x, IntArrayRef dim, bool keepdim) { return call(ops::amin_op, {x}, {DimVector(dim), keepdim}); }
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return call(ops::argmax_op, {x}, {opt_dim(dim), keepdim}); }
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return call(ops::argmin_op, {x}, {opt_dim(dim), keepdim}); }
Tensor var(const Tensor& x, std::optional<IntArrayRef> dim, std::optional<int64_t> correction, bool keepdim) {
  return call(ops::var_op, {x}, {dim ? DimVector(*dim) : DimVector{}, correction.value_or(1), keepdim});
}
Tensor std(const Tensor& x, std::optional<IntArrayRef> dim, std::optional<int64_t> correction, bool keepdim) {
  return call(ops::std_op, {x}, {dim ? DimVector(*dim) : DimVector{}, correction.value_or(1), keepdim});
}
std::tuple<Tensor, Tensor> var_mean(const Tensor& x, std::optional<IntArrayRef> dim, std::optional<int64_t> correction,
                                    bool keepdim) {
  SINTER_CHECK(is_floating_point(x.dtype()), DTypeError, "var_mean: only floating point dtypes are supported, got ",
               dtype_name(x.dtype()), " (input ", shape_str(x.sizes()), ")");
  IntArrayRef d = dim ? *dim : IntArrayRef{};
  return {var(x, d, correction, keepdim), mean(x, d, keepdim)};
}
Tensor logsumexp(const Tensor& x, IntArrayRef dim, bool keepdim) { return call(ops::logsumexp_op, {x}, {DimVector(dim), keepdim}); }
Tensor norm(const Tensor& x, const Scalar& p, IntArrayRef dim, bool keepdim) {
  return call(ops::norm_op, {x}, {p.to_double(), DimVector(dim), keepdim});
}
Tensor all(const Tensor& x) { return call(ops::all_op, {x}, {DimVector{}, false}); }
Tensor all(const Tensor& x, int64_t dim, bool keepdim) { return call(ops::all_op, {x}, {DimVector{dim}, keepdim}); }
Tensor any(const Tensor& x) { return call(ops::any_op, {x}, {DimVector{}, false}); }
Tensor any(const Tensor& x, int64_t dim, bool keepdim) { return call(ops::any_op, {x}, {DimVector{dim}, keepdim}); }
Tensor count_nonzero(const Tensor& x, IntArrayRef dim) { return call(ops::count_nonzero_op, {x}, {DimVector(dim)}); }

Tensor Tensor::sum(std::optional<DType> dtype) const { return sinter::sum(*this, dtype); }
Tensor Tensor::sum(IntArrayRef dim, bool keepdim, std::optional<DType> dtype) const {
  return sinter::sum(*this, dim, keepdim, dtype);
}
Tensor Tensor::mean(std::optional<DType> dtype) const { return sinter::mean(*this, dtype); }
Tensor Tensor::mean(IntArrayRef dim, bool keepdim, std::optional<DType> dtype) const {
  return sinter::mean(*this, dim, keepdim, dtype);
}
Tensor Tensor::prod(std::optional<DType> dtype) const { return sinter::prod(*this, dtype); }
Tensor Tensor::prod(int64_t dim, bool keepdim, std::optional<DType> dtype) const {
  return sinter::prod(*this, dim, keepdim, dtype);
}
Tensor Tensor::max() const { return sinter::max(*this); }
Tensor Tensor::min() const { return sinter::min(*this); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const { return sinter::max(*this, dim, keepdim); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const { return sinter::min(*this, dim, keepdim); }
Tensor Tensor::amax(IntArrayRef dim, bool keepdim) const { return sinter::amax(*this, dim, keepdim); }
Tensor Tensor::amin(IntArrayRef dim, bool keepdim) const { return sinter::amin(*this, dim, keepdim); }
Tensor Tensor::argmax(std::optional<int64_t> dim, bool keepdim) const { return sinter::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(std::optional<int64_t> dim, bool keepdim) const { return sinter::argmin(*this, dim, keepdim); }
Tensor Tensor::var(bool unbiased) const { return sinter::var(*this, std::nullopt, unbiased ? 1 : 0); }
Tensor Tensor::var(IntArrayRef dim, bool unbiased, bool keepdim) const {
  return sinter::var(*this, dim, unbiased ? 1 : 0, keepdim);
}
Tensor Tensor::var(std::optional<IntArrayRef> dim, std::optional<int64_t> correction, bool keepdim) const {
  return sinter::var(*this, dim, correction, keepdim);
}
Tensor Tensor::std(bool unbiased) const { return sinter::std(*this, std::nullopt, unbiased ? 1 : 0); }
Tensor Tensor::std(IntArrayRef dim, bool unbiased, bool keepdim) const {
  return sinter::std(*this, dim, unbiased ? 1 : 0, keepdim);
}
Tensor Tensor::std(std::optional<IntArrayRef> dim, std::optional<int64_t> correction, bool keepdim) const {
  return sinter::std(*this, dim, correction, keepdim);
}
Tensor Tensor::logsumexp(IntArrayRef dim, bool keepdim) const { return sinter::logsumexp(*this, dim, keepdim); }
Tensor Tensor::norm(const Scalar& p) const { return sinter::norm(*this, p); }
Tensor Tensor::norm(std::optional<Scalar> p, IntArrayRef dim, bool keepdim) const {
  return sinter::norm(*this, p.value_or(Scalar(2)), dim, keepdim);
}
Tensor Tensor::all() const { return sinter::all(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return sinter::all(*this, dim, keepdim); }
Tensor Tensor::any() const { return sinter::any(*this); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return sinter::any(*this, dim, keepdim); }

}  // namespace sinter
