// Indexing: advanced indexing (index, index_put), index_select, masked_fill, nonzero, and the
// TensorIndex front end (x.index({Slice(1, None), None, Ellipsis, 0}), x.index_put_(...)).
#include <cstring>
#include <limits>

#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/string_cast.h"
#include "ops/registry.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/index.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/shape.h"

namespace sinter {
namespace ops {
namespace {

using kernels::copy_kernel;
using detail::make_alias;

bool is_index_dtype(DType t) { return t == kLong || t == kInt; }
bool is_mask_dtype(DType t) { return t == kBool || t == kByte; }

std::string list_str(IntArrayRef v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

/// Reads element `off` (in elements) of an int64 or int32 index tensor's data.
inline int64_t load_index(const char* p, bool is64, int64_t off) {
  return is64 ? reinterpret_cast<const int64_t*>(p)[off] : reinterpret_cast<const int32_t*>(p)[off];
}

/// Throws IndexError naming `op` unless every value of `idx` lies in [-size, size) ([0, size)
/// without allow_negative). Reads only
/// idx itself (serially, so that nothing throws inside a parallel region).
void check_index_bounds(const char* op, const Tensor& idx, int64_t size, int64_t dim, bool allow_negative = true) {
  const int64_t lo = allow_negative ? -size : 0;
  if (idx.numel() == 0) return;
  const bool is64 = idx.dtype() == kLong;
  int64_t bad = 0;
  bool found = false;
  kernels::StridedLoop<1> loop(idx.sizes(), {&idx});
  loop.run(
      [&](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
        if (found) return;
        for (int64_t j = 0; j < n; ++j) {
          int64_t v = is64 ? *reinterpret_cast<const int64_t*>(p[0] + j * s[0]) : *reinterpret_cast<const int32_t*>(p[0] + j * s[0]);
          if (v < lo || v >= size) {
            bad = v;
            found = true;
            return;
          }
        }
      },
      std::numeric_limits<int64_t>::max());
  SINTER_CHECK(!found, IndexError, op, ": index ", bad, " is out of bounds for dimension ", dim, " with size ", size);
}

// ---- advanced indexing plan ----------------------------------------------------------------------
// self[i0, i1, ...] with index tensors (undefined = the whole dim) broadcast together to B. When
// the indexed dims are adjacent, B replaces them in place; otherwise B comes first (PyTorch's and
// NumPy's rule). The result is walked with, per result dim, a stride into `base` (0 along B) and
// a stride into each index tensor (0 outside B).

struct AdvIndex {
  const char* data;
  bool is64;
  DimVector strides;  // elements, per result dim
  int64_t base_stride, size, dim;
};

struct AdvPlan {
  DimVector sizes;         // result shape
  DimVector base_strides;  // elements, per result dim
  std::vector<AdvIndex> idx;
};

AdvPlan adv_plan(const char* op, const Tensor& base, std::span<const Tensor> ind) {
  const int64_t nd = base.dim(), n = static_cast<int64_t>(ind.size());
  SINTER_CHECK(n <= nd, IndexError, op, ": too many indices for tensor of dimension ", nd, " (got ", n,
               " indices for shape ", shape_str(base.sizes()), ")");
  std::vector<int64_t> pos;
  DimVector B;
  std::string shapes;
  for (int64_t k = 0; k < n; ++k) {
    const Tensor& t = ind[k];
    if (!t.defined()) continue;
    SINTER_CHECK(is_index_dtype(t.dtype()), DTypeError, op, ": tensors used as indices must be long, int, byte or bool tensors, "
                 "got ", dtype_name(t.dtype()), " for the index of dimension ", k);
    shapes += (shapes.empty() ? "" : ", ") + list_str(t.sizes());
    if (pos.empty()) {
      B = DimVector(t.sizes());
    } else {
      size_t m = std::max(B.size(), t.sizes().size());
      DimVector r(m);
      for (size_t i = 0; i < m; ++i) {
        int64_t a = i < m - B.size() ? 1 : B[i - (m - B.size())];
        int64_t b = i < m - t.sizes().size() ? 1 : t.size(static_cast<int64_t>(i - (m - t.sizes().size())));
        if (a != b && a != 1 && b != 1) {
          for (int64_t q = k + 1; q < n; ++q)
            if (ind[q].defined()) shapes += ", " + list_str(ind[q].sizes());
          throw IndexError(detail::str_cat(op, ": shape mismatch: indexing tensors could not be broadcast together with shapes ",
                                           shapes));
        }
        r[i] = a == 1 ? b : a;
      }
      B = r;
    }
    pos.push_back(k);
  }
  AdvPlan p;
  if (pos.empty()) {
    p.sizes = DimVector(base.sizes());
    p.base_strides = DimVector(base.strides());
    return p;
  }
  const bool adjacent = pos.back() - pos.front() + 1 == static_cast<int64_t>(pos.size());
  std::vector<bool> indexed(static_cast<size_t>(nd), false);
  for (auto k : pos) indexed[k] = true;
  int64_t b_start = 0;
  auto put_b = [&] {
    b_start = static_cast<int64_t>(p.sizes.size());
    for (auto s : B) {
      p.sizes.push_back(s);
      p.base_strides.push_back(0);
    }
  };
  if (!adjacent) put_b();
  for (int64_t d = 0; d < nd; ++d) {
    if (adjacent && d == pos.front()) put_b();
    if (!indexed[d]) {
      p.sizes.push_back(base.size(d));
      p.base_strides.push_back(base.stride(d));
    }
  }
  for (auto k : pos) {
    const Tensor& t = ind[k];
    AdvIndex a;
    a.data = t.numel() ? static_cast<const char*>(t.data_ptr()) : nullptr;
    a.is64 = t.dtype() == kLong;
    a.strides = DimVector(p.sizes.size(), 0);
    int64_t lead = static_cast<int64_t>(B.size()) - t.dim();
    for (int64_t i = 0; i < t.dim(); ++i)
      if (t.size(i) != 1) a.strides[b_start + lead + i] = t.stride(i);
    a.base_stride = base.stride(k);
    a.size = base.size(k);
    a.dim = k;
    p.idx.push_back(std::move(a));
  }
  return p;
}

void check_plan_bounds(const char* op, std::span<const Tensor> ind, const Tensor& base) {
  for (size_t k = 0; k < ind.size(); ++k)
    if (ind[k].defined()) check_index_bounds(op, ind[k], base.size(static_cast<int64_t>(k)), static_cast<int64_t>(k));
}

/// Walks the result of plan p: `a` is the result-shaped operand (the output of a gather, the
/// values of a put), `base_ptr` the indexed tensor's data. For each run of elements that share
/// their index values, run(a, a_stride, b, b_stride, n) (strides in bytes); otherwise elem(a, b)
/// per element. Indices must already be checked.
template <class Run, class Elem>
void adv_loop(const AdvPlan& p, const Tensor& a, char* base_ptr, int64_t es, bool parallel, Run&& run, Elem&& elem) {
  const int64_t nd = static_cast<int64_t>(p.sizes.size());
  int64_t numel = 1;
  for (auto s : p.sizes) numel *= s;
  if (numel == 0) return;
  char* a_ptr = static_cast<char*>(a.data_ptr());
  if (nd == 0) return elem(a_ptr, base_ptr);
  const int64_t N = p.sizes[nd - 1], rows = numel / N;
  const int64_t a_in = a.stride(nd - 1), b_in = p.base_strides[nd - 1];
  bool inner_idx = false;
  for (auto& ix : p.idx) inner_idx |= ix.strides[nd - 1] != 0;
  auto body = [&](int64_t r0, int64_t r1) {
    DimVector coord(static_cast<size_t>(nd - 1), 0);
    for (int64_t d = nd - 2, rem = r0; d >= 0; --d) {
      coord[d] = rem % p.sizes[d];
      rem /= p.sizes[d];
    }
    for (int64_t r = r0; r < r1; ++r) {
      int64_t aoff = 0, boff = 0;
      for (int64_t d = 0; d < nd - 1; ++d) {
        aoff += coord[d] * a.stride(d);
        boff += coord[d] * p.base_strides[d];
      }
      char* arow = a_ptr + aoff * es;
      if (!inner_idx) {
        for (auto& ix : p.idx) {
          int64_t ioff = 0;
          for (int64_t d = 0; d < nd - 1; ++d) ioff += coord[d] * ix.strides[d];
          int64_t v = load_index(ix.data, ix.is64, ioff);
          boff += (v < 0 ? v + ix.size : v) * ix.base_stride;
        }
        run(arow, a_in * es, base_ptr + boff * es, b_in * es, N);
      } else if (p.idx.size() == 1) {  // one index tensor varying along the row
        const AdvIndex& ix = p.idx[0];
        int64_t io = 0;
        for (int64_t d = 0; d < nd - 1; ++d) io += coord[d] * ix.strides[d];
        const int64_t is = ix.strides[nd - 1], bs = ix.base_stride, size = ix.size;
        auto walk = [&](const auto* ip) {
          for (int64_t j = 0; j < N; ++j) {
            int64_t v = ip[io + j * is];
            if (v < 0) v += size;
            elem(arow + j * a_in * es, base_ptr + (boff + j * b_in + v * bs) * es);
          }
        };
        if (ix.is64) walk(reinterpret_cast<const int64_t*>(ix.data));
        else walk(reinterpret_cast<const int32_t*>(ix.data));
      } else {
        int64_t ioff[16];
        std::vector<int64_t> ioff_big;
        int64_t* io = p.idx.size() <= 16 ? ioff : (ioff_big.resize(p.idx.size()), ioff_big.data());
        for (size_t k = 0; k < p.idx.size(); ++k) {
          io[k] = 0;
          for (int64_t d = 0; d < nd - 1; ++d) io[k] += coord[d] * p.idx[k].strides[d];
        }
        for (int64_t j = 0; j < N; ++j) {
          int64_t off = boff + j * b_in;
          for (size_t k = 0; k < p.idx.size(); ++k) {
            const AdvIndex& ix = p.idx[k];
            int64_t v = load_index(ix.data, ix.is64, io[k] + j * ix.strides[nd - 1]);
            off += (v < 0 ? v + ix.size : v) * ix.base_stride;
          }
          elem(arow + j * a_in * es, base_ptr + off * es);
        }
      }
      for (int64_t d = nd - 2; d >= 0; --d) {
        if (++coord[d] < p.sizes[d]) break;
        coord[d] = 0;
      }
    }
  };
  if (parallel) kernels::parallel_for(rows, std::max<int64_t>(1, kernels::kGrainSize / N), body);
  else body(0, rows);
}

/// Scalar reference walk of plan p: elem(a, b) for every element, one at a time.
template <class Elem>
void adv_loop_ref(const AdvPlan& p, const Tensor& a, char* base_ptr, int64_t es, Elem&& elem) {
  const int64_t nd = static_cast<int64_t>(p.sizes.size());
  int64_t numel = 1;
  for (auto s : p.sizes) numel *= s;
  DimVector c(static_cast<size_t>(nd), 0);
  char* a_ptr = numel ? static_cast<char*>(a.data_ptr()) : nullptr;
  for (int64_t lin = 0; lin < numel; ++lin) {
    int64_t aoff = 0, boff = 0;
    for (int64_t d = 0; d < nd; ++d) {
      aoff += c[d] * a.stride(d);
      boff += c[d] * p.base_strides[d];
    }
    for (auto& ix : p.idx) {
      int64_t ioff = 0;
      for (int64_t d = 0; d < nd; ++d) ioff += c[d] * ix.strides[d];
      int64_t v = load_index(ix.data, ix.is64, ioff);
      if (v < 0) v += ix.size;
      boff += v * ix.base_stride;
    }
    elem(a_ptr + aoff * es, base_ptr + boff * es);
    for (int64_t d = nd - 1; d >= 0; --d) {
      if (++c[d] < p.sizes[d]) break;
      c[d] = 0;
    }
  }
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

/// Copies n elements between strided runs (bytes strides), as memcpy when both are dense.
template <class U>
inline void copy_run(char* dst, int64_t ds, const char* src, int64_t ss, int64_t n) {
  if (ds == static_cast<int64_t>(sizeof(U)) && ss == static_cast<int64_t>(sizeof(U))) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(U));
  } else {
    for (int64_t j = 0; j < n; ++j) *reinterpret_cast<U*>(dst + j * ds) = *reinterpret_cast<const U*>(src + j * ss);
  }
}

// ---- index(self, indices...) -----------------------------------------------------------------------

void index_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  AdvPlan p = adv_plan("index", c.in[0], c.in.subspan(1));
  out[0].sizes = p.sizes;
  out[0].dtype = c.in[0].dtype();
  n = 1;
}

template <bool Fast>
void index_kernel(const OpCall& c) {
  const Tensor& self = c.in[0];
  const Tensor& out = c.out[0];
  auto ind = c.in.subspan(1);
  check_plan_bounds("index", ind, self);
  if (out.numel() == 0) return;
  AdvPlan p = adv_plan("index", self, ind);
  char* base = static_cast<char*>(self.data_ptr());
  const int64_t es = out.element_size();
  visit_elem_size(es, [&](auto tag) {
    using U = typename decltype(tag)::type;
    auto elem = [](char* o, char* s) { *reinterpret_cast<U*>(o) = *reinterpret_cast<const U*>(s); };
    if (Fast) adv_loop(p, out, base, es, true, [](char* o, int64_t os, char* s, int64_t ss, int64_t n) { copy_run<U>(o, os, s, ss, n); }, elem);
    else adv_loop_ref(p, out, base, es, elem);
  });
}

TensorList index_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(c.inputs.size());
  if (!c.needs(0)) return r;
  std::vector<std::optional<Tensor>> ind;
  for (size_t k = 1; k < c.inputs.size(); ++k) ind.push_back(c.input(k).defined() ? std::optional<Tensor>(c.input(k)) : std::nullopt);
  r[0] = index_put(zeros(c.input(0).sizes(), g[0].dtype()), ind, g[0], /*accumulate=*/true);
  return r;
}

OpDef& index_op = def("index").input("self").input("indices").set_meta(index_meta).set_cpu(index_kernel<true>)
                      .set_cpu_ref(index_kernel<false>).set_backward(index_backward);

// ---- index_put(self, values, indices...; accumulate) ---------------------------------------------
// A copy of self with self[indices] = values (values broadcast to the indexed shape), or += with
// accumulate (duplicate indices then add up). In place through call_inplace (index_put_).

void index_put_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& self = c.in[0];
  const Tensor& v = c.in[1];
  AdvPlan p = adv_plan("index_put", self, c.in.subspan(2));
  SINTER_CHECK(v.dtype() == self.dtype(), DTypeError, "index_put: the source and destination dtypes must match, got ",
               dtype_name(self.dtype()), " for the destination and ", dtype_name(v.dtype()), " for the source");
  bool ok = v.dim() <= static_cast<int64_t>(p.sizes.size());
  for (int64_t i = 0; ok && i < v.dim(); ++i) {
    int64_t t = p.sizes[p.sizes.size() - v.dim() + i];
    ok = v.size(i) == t || v.size(i) == 1;
  }
  SINTER_CHECK(ok, ShapeError, "index_put: shape mismatch: value tensor of shape ", shape_str(v.sizes()),
               " cannot be broadcast to indexing result of shape ", shape_str(p.sizes));
  out[0].sizes = DimVector(self.sizes());
  out[0].dtype = self.dtype();
  n = 1;
}

template <bool Fast>
void index_put_kernel(const OpCall& c) {
  const Tensor& self = c.in[0];
  const Tensor& out = c.out[0];
  auto ind = c.in.subspan(2);
  const bool acc = c.attrs.b(0);
  check_plan_bounds("index_put", ind, self);
  if (!out.is_same(self)) copy_kernel(out, self);
  AdvPlan p = adv_plan("index_put", out, ind);
  Tensor v = kernels::broadcast_view(c.in[1], p.sizes);
  if (v.numel() == 0) return;
  char* base = static_cast<char*>(out.data_ptr());
  const int64_t es = out.element_size();
  if (!acc) {
    visit_elem_size(es, [&](auto tag) {
      using U = typename decltype(tag)::type;
      auto elem = [](char* a, char* b) { *reinterpret_cast<U*>(b) = *reinterpret_cast<const U*>(a); };
      if (Fast) adv_loop(p, v, base, es, true, [](char* a, int64_t as, char* b, int64_t bs, int64_t n) { copy_run<U>(b, bs, a, as, n); }, elem);
      else adv_loop_ref(p, v, base, es, elem);
    });
    return;
  }
  // Accumulation runs serially: duplicate indices must add up.
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto elem = [](char* a, char* b) {
      T& d = *reinterpret_cast<T*>(b);
      T s = *reinterpret_cast<const T*>(a);
      if constexpr (std::is_same_v<T, bool>) d = d || s;
      else d = T(compute_t<T>(d) + compute_t<T>(s));
    };
    if (Fast) {
      adv_loop(p, v, base, es, false, [&](char* a, int64_t as, char* b, int64_t bs, int64_t n) {
        for (int64_t j = 0; j < n; ++j) elem(a + j * as, b + j * bs);
      }, elem);
    } else {
      adv_loop_ref(p, v, base, es, elem);
    }
  });
}

TensorList index_put_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(c.inputs.size());
  std::vector<std::optional<Tensor>> ind;
  for (size_t k = 2; k < c.inputs.size(); ++k) ind.push_back(c.input(k).defined() ? std::optional<Tensor>(c.input(k)) : std::nullopt);
  if (c.needs(0)) r[0] = c.attrs.b(0) ? g[0] : index_put(g[0], ind, zeros({}, g[0].dtype()), false);
  if (c.needs(1)) r[1] = sum_to(index(g[0], ind), c.input(1).sizes());
  return r;
}

// Saves values (for its shape) and the indices; never self, so index_put_ makes no copy of it.
OpDef& index_put_op = def("index_put").input("self").input("values").input("indices").attr("accumulate", false)
                          .set_meta(index_put_meta).set_cpu(index_put_kernel<true>).set_cpu_ref(index_put_kernel<false>)
                          .set_backward(index_put_backward, kSaveInputs, ~1u);

// ---- index_select(self, index; dim) ----------------------------------------------------------------

void index_select_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& self = c.in[0];
  const Tensor& idx = c.in[1];
  int64_t d = wrap_dim("index_select", c.attrs.i(0), self.dim());
  SINTER_CHECK(is_index_dtype(idx.dtype()), DTypeError, "index_select: expected dtype int32 or int64 for index, got ",
               dtype_name(idx.dtype()));
  SINTER_CHECK(idx.dim() <= 1, IndexError, "index_select: index is supposed to be a vector, got shape ", shape_str(idx.sizes()));
  DimVector sz(self.sizes());
  if (self.dim() > 0) sz[d] = idx.numel();
  else SINTER_CHECK(idx.numel() == 1, IndexError, "index_select: index for a 0-dim tensor must have one element, got shape ",
                    shape_str(idx.sizes()));
  out[0].sizes = sz;
  out[0].dtype = self.dtype();
  n = 1;
}

template <bool Fast>
void index_select_kernel(const OpCall& c) {
  const Tensor& self = c.in[0];
  const Tensor& out = c.out[0];
  int64_t d = wrap_dim("index_select", c.attrs.i(0), self.dim());
  Tensor idx = c.in[1];
  const int64_t size = self.dim() ? self.size(d) : 1;
  check_index_bounds("index_select", idx, size, d, /*allow_negative=*/false);
  if (out.numel() == 0) return;
  if (self.dim() == 0) return copy_kernel(out, self);
  if (!Fast || self.dtype() == kString) {
    // Reference (and strings): one element at a time, coordinates spelled out.
    const int64_t es = out.element_size();
    Tensor ic = idx.contiguous();
    const char* ip = static_cast<const char*>(ic.data_ptr());
    DimVector o(static_cast<size_t>(out.dim()), 0);
    for (int64_t lin = 0; lin < out.numel(); ++lin) {
      int64_t ooff = 0, soff = 0;
      for (int64_t k = 0; k < out.dim(); ++k) {
        ooff += o[k] * out.stride(k);
        int64_t v = o[k];
        if (k == d) {
          v = load_index(ip, ic.dtype() == kLong, o[k]);
        }
        soff += v * self.stride(k);
      }
      kernels::copy_element(static_cast<char*>(out.data_ptr()) + ooff * es,
                            static_cast<const char*>(self.data_ptr()) + soff * es, es, self.dtype());
      for (int64_t k = out.dim() - 1; k >= 0; --k) {
        if (++o[k] < out.size(k)) break;
        o[k] = 0;
      }
    }
    return;
  }
  Tensor iv = make_alias(idx, {idx.numel()}, {idx.dim() ? idx.stride(0) : 1}, idx.storage_offset());
  std::vector<Tensor> ind(static_cast<size_t>(d));
  ind.push_back(iv);
  AdvPlan p = adv_plan("index_select", self, ind);
  char* base = static_cast<char*>(self.data_ptr());
  const int64_t es = out.element_size();
  visit_elem_size(es, [&](auto tag) {
    using U = typename decltype(tag)::type;
    adv_loop(p, out, base, es, true, [](char* o, int64_t os, char* s, int64_t ss, int64_t n) { copy_run<U>(o, os, s, ss, n); },
             [](char* o, char* s) { *reinterpret_cast<U*>(o) = *reinterpret_cast<const U*>(s); });
  });
}

TensorList index_select_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& self = c.input(0);
  if (!c.needs(0)) return {Tensor(), Tensor()};
  if (self.dim() == 0) return {g[0], Tensor()};
  int64_t d = wrap_dim("index_select", c.attrs.i(0), self.dim());
  const Tensor& idx = c.input(1);
  std::vector<std::optional<Tensor>> ind(static_cast<size_t>(d));
  ind.push_back(idx.reshape({idx.numel()}));
  return {index_put(zeros(self.sizes(), g[0].dtype()), ind, g[0], /*accumulate=*/true), Tensor()};
}

OpDef& index_select_op = def("index_select").input("self").input("index").attr("dim").set_meta(index_select_meta)
                             .set_cpu(index_select_kernel<true>).set_cpu_ref(index_select_kernel<false>)
                             .set_backward(index_select_backward).accepts_strings().set_onnx("Gather");

// ---- masked_fill(self, mask, value) ----------------------------------------------------------------
// value is a 0-dim tensor (a Scalar arrives as one); mask broadcasts to self.

void masked_fill_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& self = c.in[0];
  const Tensor& mask = c.in[1];
  const Tensor& v = c.in[2];
  SINTER_CHECK(is_mask_dtype(mask.dtype()), DTypeError, "masked_fill: expected a bool (or uint8) mask, got ",
               dtype_name(mask.dtype()));
  SINTER_CHECK(v.dim() == 0, ShapeError, "masked_fill: only supports a 0-dimensional value tensor, but got tensor with ",
               v.dim(), " dimension(s) (shape ", shape_str(v.sizes()), ")");
  DimVector b = broadcast_shapes("masked_fill", self.sizes(), mask.sizes());
  SINTER_CHECK(b == DimVector(self.sizes()), ShapeError, "masked_fill: mask of shape ", shape_str(mask.sizes()),
               " cannot be broadcast to the shape of self ", shape_str(self.sizes()));
  out[0].sizes = DimVector(self.sizes());
  out[0].dtype = self.dtype();
  n = 1;
}

void masked_fill_kernel(const OpCall& c) {
  const Tensor& out = c.out[0];
  Tensor mask = c.in[1].dtype() == kBool ? c.in[1] : c.in[1].to(kBool);
  const Scalar value = c.in[2].item();
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = value.to<T>();
    kernels::binary_loop<T, T, bool>(out, c.in[0], mask, [v](T x, bool m) { return m ? v : x; });
  });
}

TensorList masked_fill_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(3);
  const Tensor& mask = c.input(1);
  if (c.needs(0)) r[0] = masked_fill(g[0], mask, 0);
  if (c.needs(2)) r[2] = masked_select(g[0], mask).sum().to(c.input(2).dtype());
  return r;
}

// Saves the mask and the value (for its dtype); never self, so masked_fill_ makes no copy of it.
OpDef& masked_fill_op = def("masked_fill").input("self").input("mask").input("value").set_meta(masked_fill_meta)
                            .set_cpu(masked_fill_kernel).set_backward(masked_fill_backward, kSaveInputs, 0b110);

// ---- nonzero(self) ---------------------------------------------------------------------------------
// (n, ndim) int64 coordinates of the nonzero elements in row-major order. The output shape
// depends on the data, so the meta counts.

/// x itself when contiguous, else a contiguous copy (raw: no dispatch, no autograd).
Tensor dense(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor t = detail::make_empty(x.sizes(), x.dtype(), x.device());
  copy_kernel(t, x);
  return t;
}

template <class F>
void for_each_nonzero_flag(const Tensor& x, F&& f) {  // f(linear index) for each nonzero element
  Tensor xc = dense(x);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = static_cast<const T*>(xc.data_ptr());
    for (int64_t i = 0; i < xc.numel(); ++i)
      if (static_cast<compute_t<T>>(p[i]) != compute_t<T>(0)) f(i);
  });
}

int64_t count_nonzero_elems(const Tensor& x) {
  if (x.numel() == 0) return 0;
  Tensor xc = dense(x);
  const int64_t n = xc.numel();
  const int64_t chunks = std::min<int64_t>(64, (n + kernels::kGrainSize - 1) / kernels::kGrainSize);
  std::vector<int64_t> part(static_cast<size_t>(chunks), 0);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = static_cast<const T*>(xc.data_ptr());
    kernels::parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t ch = b; ch < e; ++ch) {
        int64_t lo = n * ch / chunks, hi = n * (ch + 1) / chunks, cnt = 0;
        for (int64_t i = lo; i < hi; ++i) cnt += static_cast<compute_t<T>>(p[i]) != compute_t<T>(0);
        part[ch] = cnt;
      }
    });
  });
  int64_t total = 0;
  for (auto v : part) total += v;
  return total;
}

void nonzero_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  out[0].sizes = DimVector{count_nonzero_elems(c.in[0]), c.in[0].dim()};
  out[0].dtype = kLong;
  n = 1;
}

/// Writes the coordinates of linear index i of shape `sz` into o[0..nd).
inline void unravel(int64_t i, IntArrayRef sz, int64_t* o) {
  for (int64_t d = static_cast<int64_t>(sz.size()) - 1; d >= 0; --d) {
    o[d] = i % sz[d];
    i /= sz[d];
  }
}

void nonzero_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  const Tensor& out = c.out[0];
  if (out.numel() == 0) return;
  Tensor xc = dense(x);
  const int64_t n = xc.numel(), nd = x.dim();
  const int64_t chunks = std::min<int64_t>(64, (n + kernels::kGrainSize - 1) / kernels::kGrainSize);
  std::vector<int64_t> start(static_cast<size_t>(chunks) + 1, 0);
  int64_t* o = static_cast<int64_t*>(out.data_ptr());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const T* p = static_cast<const T*>(xc.data_ptr());
    // Count per chunk, then each chunk writes at its prefix offset.
    kernels::parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t ch = b; ch < e; ++ch) {
        int64_t lo = n * ch / chunks, hi = n * (ch + 1) / chunks, cnt = 0;
        for (int64_t i = lo; i < hi; ++i) cnt += static_cast<A>(p[i]) != A(0);
        start[ch + 1] = cnt;
      }
    });
    for (int64_t ch = 0; ch < chunks; ++ch) start[ch + 1] += start[ch];
    SINTER_ASSERT(start[chunks] == out.size(0), "nonzero: count changed between meta and kernel");
    kernels::parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t ch = b; ch < e; ++ch) {
        int64_t lo = n * ch / chunks, hi = n * (ch + 1) / chunks, w = start[ch];
        for (int64_t i = lo; i < hi; ++i)
          if (static_cast<A>(p[i]) != A(0)) unravel(i, x.sizes(), o + (w++) * nd);
      }
    });
  });
}

void nonzero_ref(const OpCall& c) {
  const Tensor& x = c.in[0];
  int64_t* o = static_cast<int64_t*>(c.out[0].numel() ? c.out[0].data_ptr() : nullptr);
  int64_t w = 0;
  for_each_nonzero_flag(x, [&](int64_t i) { unravel(i, x.sizes(), o + (w++) * x.dim()); });
}

OpDef& nonzero_op = def("nonzero").input("self").set_meta(nonzero_meta).data_dependent_shape()
                         .set_cpu(nonzero_kernel).set_cpu_ref(nonzero_ref)
                        .set_onnx("NonZero");

// ---- as_strided_scatter(self, src; size, stride, storage_offset) ----------------------------------
// A copy of self with the view (size, stride, offset) of it replaced by src. The geometry refers to
// self's contiguous layout (PyTorch's, for a contiguous self). Assignment through indexing uses it
// to update a tensor that requires grad.

void as_strided_scatter_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& self = c.in[0];
  const Tensor& src = c.in[1];
  IntArrayRef size = c.attrs.ints(0), stride = c.attrs.ints(1);
  int64_t off = c.attrs.i(2);
  SINTER_CHECK(src.dtype() == self.dtype(), DTypeError, "as_strided_scatter: expected src dtype ", dtype_name(self.dtype()),
               ", got ", dtype_name(src.dtype()));
  SINTER_CHECK(src.sizes() == size, ShapeError, "as_strided_scatter: expected src to have a size equal to the slice of self. "
               "src size = ", shape_str(src.sizes()), ", slice size = ", shape_str(size));
  SINTER_CHECK(size.size() == stride.size(), ShapeError, "as_strided_scatter: mismatch in length of sizes ", shape_str(size),
               " and strides ", shape_str(stride));
  int64_t hi = off;
  bool empty = false;
  for (size_t i = 0; i < size.size(); ++i) {
    SINTER_CHECK(stride[i] >= 0, ShapeError, "as_strided_scatter: negative stride in ", shape_str(stride));
    empty |= size[i] == 0;
    hi += (size[i] - 1) * stride[i];
  }
  SINTER_CHECK(off >= 0 && (empty || hi < self.numel()), IndexError, "as_strided_scatter: view of size ", shape_str(size),
               " with stride ", shape_str(stride), " and offset ", off, " is out of bounds for self of shape ",
               shape_str(self.sizes()));
  out[0].sizes = DimVector(self.sizes());
  out[0].dtype = self.dtype();
  n = 1;
}

void as_strided_scatter_kernel(const OpCall& c) {
  const Tensor& out = c.out[0];
  copy_kernel(out, c.in[0]);
  if (c.in[1].numel() == 0) return;
  SINTER_ASSERT(out.is_contiguous(), "as_strided_scatter writes a contiguous output");
  copy_kernel(make_alias(out, c.attrs.ints(0), c.attrs.ints(1), out.storage_offset() + c.attrs.i(2)), c.in[1]);
}

TensorList as_strided_scatter_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  IntArrayRef size = c.attrs.ints(0), stride = c.attrs.ints(1);
  int64_t off = c.attrs.i(2);
  Tensor gc = g[0].contiguous();
  if (c.needs(0)) r[0] = call(c.op, {gc, zeros(size, gc.dtype())}, c.attrs);
  if (c.needs(1)) r[1] = gc.as_strided(size, stride, gc.storage_offset() + off);
  return r;
}

OpDef& as_strided_scatter_op = def("as_strided_scatter").input("self").input("src").attr("size").attr("stride")
                                   .attr("storage_offset", int64_t(0)).set_meta(as_strided_scatter_meta)
                                   .set_cpu(as_strided_scatter_kernel).set_backward(as_strided_scatter_backward, kSaveNone);

// ---- the TensorIndex front end -------------------------------------------------------------------

using indexing::TensorIndex;

/// Bool masks in an index list become one int64 index per mask dim (their nonzero coordinates).
std::vector<Tensor> expand_masks(const char* op, const Tensor& self, const std::vector<std::optional<Tensor>>& indices) {
  std::vector<Tensor> r;
  for (auto& o : indices) {
    if (!o || !o->defined()) {
      r.emplace_back();
      continue;
    }
    const Tensor& t = *o;
    if (!is_mask_dtype(t.dtype())) {
      SINTER_CHECK(is_index_dtype(t.dtype()), DTypeError, op, ": tensors used as indices must be long, int, byte or bool "
                   "tensors, got ", dtype_name(t.dtype()));
      r.push_back(t);
      continue;
    }
    const int64_t at = static_cast<int64_t>(r.size());
    SINTER_CHECK(at + t.dim() <= self.dim(), IndexError, op, ": too many indices for tensor of dimension ", self.dim(),
                 " (a mask of shape ", shape_str(t.sizes()), " at index ", at, " of shape ", shape_str(self.sizes()), ")");
    for (int64_t j = 0; j < t.dim(); ++j)
      SINTER_CHECK(t.size(j) == self.size(at + j), IndexError, op, ": the shape of the mask ", list_str(t.sizes()), " at index ",
                   j, " does not match the shape of the indexed tensor ", list_str(self.sizes()), " at index ", at + j);
    Tensor nz = nonzero(t);
    for (int64_t j = 0; j < t.dim(); ++j) r.push_back(nz.select(1, j));
  }
  return r;
}

Tensor bool_index(bool v) { return v ? zeros({1}, kLong) : empty({0}, kLong); }

/// Applies the basic indices (integers, slices, None, Ellipsis, bools) as views of self and
/// collects the tensor indices by the dim of the view they index (masks already expanded).
Tensor apply_slicing(const char* op, const Tensor& self, const std::vector<TensorIndex>& indices,
                     std::vector<Tensor>& tensor_indices) {
  int64_t specified = 0, ellipses = 0;
  for (auto& i : indices) {
    if (i.is_tensor()) specified += is_mask_dtype(i.tensor().dtype()) ? i.tensor().dim() : 1;
    else if (i.is_ellipsis()) ++ellipses;
    else if (!i.is_none() && !i.is_boolean()) ++specified;
  }
  SINTER_CHECK(ellipses <= 1, IndexError, op, ": an index can only have a single ellipsis ('...')");
  if (self.dim() == 0)
    for (auto& i : indices)
      SINTER_CHECK(!i.is_integer(), IndexError, op, ": invalid index of a 0-dim tensor. Use `tensor.item<T>()` to convert a "
                   "0-dim tensor to a number");
  SINTER_CHECK(specified <= self.dim(), IndexError, op, ": too many indices for tensor of dimension ", self.dim(), " (shape ",
               shape_str(self.sizes()), ")");
  Tensor r = self;
  int64_t dim = 0;
  auto record = [&](const Tensor& t) {
    tensor_indices.resize(static_cast<size_t>(dim) + 1);
    tensor_indices[dim] = t;
    ++dim;
  };
  auto select_at = [&](int64_t i, int64_t real_dim) {
    int64_t size = r.size(dim);
    SINTER_CHECK(i >= -size && i < size, IndexError, op, ": index ", i, " is out of bounds for dimension ", real_dim,
                 " with size ", size);
    r = r.select(dim, i);
  };
  for (size_t k = 0; k < indices.size(); ++k) {
    const TensorIndex& obj = indices[k];
    if (obj.is_integer()) {
      select_at(obj.integer(), static_cast<int64_t>(k));
    } else if (obj.is_slice()) {
      const auto& s = obj.slice();
      SINTER_CHECK(s.step > 0, ValueError, op, ": slice step must be greater than zero, got ", s.step);
      r = r.slice(dim, s.start, s.stop, s.step);
      ++dim;
    } else if (obj.is_ellipsis()) {
      dim += self.dim() - specified;
    } else if (obj.is_none()) {
      r = r.unsqueeze(dim);
      ++dim;
    } else if (obj.is_boolean()) {
      r = r.unsqueeze(dim);
      record(bool_index(obj.boolean()));
    } else {
      const Tensor& t = obj.tensor();
      SINTER_CHECK(t.defined(), ValueError, op, ": undefined tensor in the index list (position ", k, ")");
      if (t.dim() == 0 && is_integral(t.dtype(), true)) {
        if (!is_mask_dtype(t.dtype())) {
          select_at(t.item<int64_t>(), static_cast<int64_t>(k));
        } else {
          r = r.unsqueeze(dim);
          record(bool_index(t.item<bool>()));
        }
      } else if (is_mask_dtype(t.dtype())) {
        // A k-dim mask indexes the next k dims by its nonzero coordinates.
        for (int64_t j = 0; j < t.dim(); ++j)
          SINTER_CHECK(dim + j < r.dim() && t.size(j) == r.size(dim + j), IndexError, op, ": the shape of the mask ",
                       list_str(t.sizes()), " at index ", j, " does not match the shape of the indexed tensor ",
                       list_str(r.sizes()), " at index ", dim + j);
        Tensor nz = nonzero(t);
        for (int64_t j = 0; j < t.dim(); ++j) record(nz.select(1, j));
      } else {
        SINTER_CHECK(is_index_dtype(t.dtype()), DTypeError, op, ": tensors used as indices must be long, int, byte or bool "
                     "tensors, got ", dtype_name(t.dtype()), " at position ", k);
        record(t);
      }
    }
  }
  return r;
}

std::vector<std::optional<Tensor>> to_optional(const std::vector<Tensor>& v) {
  std::vector<std::optional<Tensor>> r;
  for (auto& t : v) r.push_back(t.defined() ? std::optional<Tensor>(t) : std::nullopt);
  return r;
}

/// value without leading size-1 dims beyond `ndim` (assignment drops them, as PyTorch does).
Tensor strip_leading_ones(const Tensor& value, int64_t ndim) {
  int64_t k = 0;
  while (k < value.dim() && value.dim() - k > ndim && value.size(k) == 1) ++k;
  if (k == 0) return value;
  DimVector sz;
  for (int64_t i = k; i < value.dim(); ++i) sz.push_back(value.size(i));
  return value.view(sz);
}

void check_assignable(const char* op, const Tensor& value, IntArrayRef target) {
  bool ok = value.dim() <= static_cast<int64_t>(target.size());
  for (int64_t i = 0; ok && i < value.dim(); ++i) {
    int64_t t = target[target.size() - value.dim() + i];
    ok = value.size(i) == t || value.size(i) == 1;
  }
  SINTER_CHECK(ok, ShapeError, op, ": shape mismatch: value tensor of shape ", shape_str(value.sizes()),
               " cannot be broadcast to indexing result of shape ", shape_str(target));
}

}  // namespace
}  // namespace ops

using ops::call;
using indexing::TensorIndex;

// ---- public functions ----------------------------------------------------------------------------

Tensor index(const Tensor& x, const std::vector<std::optional<Tensor>>& indices) {
  std::vector<Tensor> in{x};
  for (auto& t : ops::expand_masks("index", x, indices)) in.push_back(t);
  while (in.size() > 1 && !in.back().defined()) in.pop_back();
  return ops::dispatch(ops::index_op, in, {}).release(0);
}

Tensor index_put(const Tensor& x, const std::vector<std::optional<Tensor>>& indices, const Tensor& values, bool accumulate) {
  std::vector<Tensor> in{x, values};
  for (auto& t : ops::expand_masks("index_put", x, indices)) in.push_back(t);
  while (in.size() > 2 && !in.back().defined()) in.pop_back();
  return ops::dispatch(ops::index_put_op, in, {accumulate}).release(0);
}

Tensor index(const Tensor& x, const std::vector<TensorIndex>& indices) {
  std::vector<Tensor> ti;
  Tensor sliced = ops::apply_slicing("index", x, indices, ti);
  if (ti.empty()) return sliced;
  std::vector<Tensor> in{sliced};
  for (auto& t : ti) in.push_back(t);
  return ops::dispatch(ops::index_op, in, {}).release(0);
}

Tensor& index_put_(Tensor& x, const std::vector<TensorIndex>& indices, const Tensor& value) {
  const char* op = "index_put_";
  const bool record = GradMode::is_enabled() && (x.requires_grad() || value.requires_grad());
  if (!record) {
    std::vector<Tensor> ti;
    Tensor sliced = ops::apply_slicing(op, x, indices, ti);
    Tensor v = ops::strip_leading_ones(value, sliced.dim());
    if (ti.empty()) {
      ops::check_assignable(op, v, sliced.sizes());
      sliced.copy_(v);
      return x;
    }
    std::vector<Tensor> in{sliced, v};
    for (auto& t : ti) in.push_back(t);
    ops::call_inplace(ops::index_put_op, sliced, in, {false});
    return x;
  }
  SINTER_CHECK(!(x.is_leaf() && x.requires_grad()), AutogradError, op,
               ": a leaf Variable that requires grad is being used in an in-place operation.");
  // With autograd: compute the updated tensor out of place from a private copy (so no node saves
  // x itself), then copy it into x, which records the whole update as x's history.
  Tensor base = x.clone(MemoryFormat::Contiguous);
  std::vector<Tensor> ti;
  Tensor sliced = ops::apply_slicing(op, base, indices, ti);
  Tensor v = ops::strip_leading_ones(value, sliced.dim());
  Tensor region;
  if (ti.empty()) {
    ops::check_assignable(op, v, sliced.sizes());
    region = v.to(x.dtype()).expand(sliced.sizes());
  } else {
    region = index_put(sliced, ops::to_optional(ti), v, false);
  }
  Tensor updated = call(ops::as_strided_scatter_op, {base, region},
                        {DimVector(sliced.sizes()), DimVector(sliced.strides()), sliced.storage_offset() - base.storage_offset()});
  x.copy_(updated);
  return x;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) { return call(ops::index_select_op, {x, index}, {dim}); }

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  DimVector b = ops::broadcast_shapes("masked_fill", x.sizes(), mask.sizes());
  Tensor xb = b == DimVector(x.sizes()) ? x : x.expand(b);
  return call(ops::masked_fill_op, {xb, mask, value});
}
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value) {
  return masked_fill(x, mask, ops::scalar_tensor(value, x.dtype()));
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  SINTER_CHECK(ops::is_mask_dtype(mask.dtype()), DTypeError, "masked_select: expected BoolTensor or ByteTensor for mask, got ",
               dtype_name(mask.dtype()));
  DimVector b = ops::broadcast_shapes("masked_select", x.sizes(), mask.sizes());
  Tensor xb = b == DimVector(x.sizes()) ? x : x.expand(b);
  Tensor mb = b == DimVector(mask.sizes()) ? mask : mask.expand(b);
  if (b.empty()) {  // 0-dim: a one-element result or an empty one
    xb = xb.reshape({1});
    mb = mb.reshape({1});
  }
  return index(xb, std::vector<std::optional<Tensor>>{mb});
}

Tensor nonzero(const Tensor& x) { return call(ops::nonzero_op, {x}); }

// Tensor methods.
Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const {
  return sinter::index(*this, std::vector<TensorIndex>(indices));
}
Tensor Tensor::index(const std::vector<TensorIndex>& indices) const { return sinter::index(*this, indices); }
Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Tensor& value) {
  return sinter::index_put_(*this, std::vector<TensorIndex>(indices), value);
}
Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Scalar& value) {
  return sinter::index_put_(*this, std::vector<TensorIndex>(indices), ops::scalar_tensor(value, dtype()));
}
Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Tensor& value) {
  return sinter::index_put_(*this, indices, value);
}
Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Scalar& value) {
  return sinter::index_put_(*this, indices, ops::scalar_tensor(value, dtype()));
}
Tensor Tensor::operator[](const Tensor& index) const { return sinter::index(*this, std::vector<TensorIndex>{index}); }
Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return sinter::index_select(*this, dim, index); }
Tensor Tensor::masked_fill(const Tensor& mask, const Scalar& value) const { return sinter::masked_fill(*this, mask, value); }
Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const { return sinter::masked_fill(*this, mask, value); }
Tensor& Tensor::masked_fill_(const Tensor& mask, const Scalar& value) {
  return ops::call_inplace(ops::masked_fill_op, *this, {*this, mask, ops::scalar_tensor(value, dtype())});
}
Tensor Tensor::masked_select(const Tensor& mask) const { return sinter::masked_select(*this, mask); }
Tensor Tensor::nonzero() const { return sinter::nonzero(*this); }

}  // namespace sinter
