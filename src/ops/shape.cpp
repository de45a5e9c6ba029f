// Shape ops that copy: cat, repeat, flip, roll, tril/triu, pad (registered), and the
// composites built from them and from views: concat, stack, split, chunk, tile.
#include <cstring>
#include <limits>
#include <numeric>

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

/// Calls f(type_tag<U>) with U an unsigned integer as wide as one element (data movement only).
template <class F>
void visit_elem_size(int64_t es, F&& f) {
  switch (es) {
    case 1: return f(type_tag<uint8_t>{});
    case 2: return f(type_tag<uint16_t>{});
    case 4: return f(type_tag<uint32_t>{});
    default: return f(type_tag<uint64_t>{});
  }
}

/// Scalar reference for data movement: walks every coordinate `o` of out; src_coord(o, s) fills
/// the source coordinate s and returns true, or returns false to write `fill` (one element).
template <class F>
void ref_move(const Tensor& out, const Tensor& src, F&& src_coord, const void* fill = nullptr) {
  const int64_t n = out.numel(), es = out.element_size(), nd = out.dim();
  if (n == 0) return;
  SINTER_ASSERT(src.dtype() == out.dtype(), "ref_move dtype mismatch");
  DimVector o(static_cast<size_t>(nd), 0), s(static_cast<size_t>(src.dim()), 0);
  char* ob = static_cast<char*>(out.data_ptr());
  const char* sb = src.numel() ? static_cast<const char*>(src.data_ptr()) : nullptr;
  for (int64_t lin = 0; lin < n; ++lin) {
    int64_t ooff = 0;
    for (int64_t d = 0; d < nd; ++d) ooff += o[d] * out.stride(d);
    const char* from = static_cast<const char*>(fill);  // for strings, fill points to a std::string
    if (src_coord(o, s)) {
      int64_t soff = 0;
      for (int64_t d = 0; d < src.dim(); ++d) soff += s[d] * src.stride(d);
      from = sb + soff * es;
    }
    kernels::copy_element(ob + ooff * es, from, es, out.dtype());  // strings are assigned
    for (int64_t d = nd - 1; d >= 0; --d) {
      if (++o[d] < out.size(d)) break;
      o[d] = 0;
    }
  }
}

/// `t` narrowed along d to [start, start + len), without autograd (kernels only).
Tensor raw_narrow(const Tensor& t, int64_t d, int64_t start, int64_t len) {
  DimVector sz(t.sizes());
  sz[d] = len;
  return make_alias(t, sz, t.strides(), t.storage_offset() + start * t.stride(d));
}

Tensor raw_cast(const Tensor& t, DType d) {
  if (t.dtype() == d) return t;
  NoGradGuard g;
  return t.to(d);
}

std::string list_str(IntArrayRef v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// ---- cat ---------------------------------------------------------------------------------------
// cat(tensors...; dim). A 1-D empty tensor is skipped (PyTorch's legacy rule) but still takes
// part in type promotion.

bool cat_skipped(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

/// Index of the first tensor that is not skipped (-1 if all are), and the wrapped dim.
std::pair<int64_t, int64_t> cat_ref(std::span<const Tensor> in, int64_t dim) {
  for (size_t i = 0; i < in.size(); ++i)
    if (!cat_skipped(in[i])) return {static_cast<int64_t>(i), wrap_dim("cat", dim, std::max<int64_t>(in[i].dim(), 1))};
  return {-1, 0};
}

void cat_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  SINTER_CHECK(!c.in.empty(), ValueError, "cat: expected a non-empty list of Tensors");
  for (size_t i = 0; i < c.in.size(); ++i) {
    SINTER_CHECK(c.in[i].defined(), ValueError, "cat: tensor at position ", i, " is undefined");
    SINTER_CHECK(c.in[i].dim() > 0, ShapeError, "cat: zero-dimensional tensor (at position ", i,
                 ") cannot be concatenated");
  }
  auto [r, d] = cat_ref(c.in, c.attrs.i(0));
  for (size_t i = 1; i < c.in.size(); ++i)
    SINTER_CHECK((c.in[i].dtype() == kString) == (c.in[0].dtype() == kString), DTypeError,
                 "cat: cannot concatenate ", dtype_name(c.in[0].dtype()), " and ", dtype_name(c.in[i].dtype()),
                 " tensors (positions 0 and ", i, ")");
  out[0].dtype = result_type(c.in);
  n = 1;
  if (r < 0) {
    out[0].sizes = DimVector{0};
    return;
  }
  const Tensor& ref = c.in[r];
  DimVector sz(ref.sizes());
  sz[d] = 0;
  for (size_t i = 0; i < c.in.size(); ++i) {
    const Tensor& t = c.in[i];
    if (cat_skipped(t)) continue;
    SINTER_CHECK(t.dim() == ref.dim(), ShapeError, "cat: tensors must have same number of dimensions: got ", ref.dim(),
                 " and ", t.dim(), " (shapes ", shape_str(ref.sizes()), " and ", shape_str(t.sizes()),
                 " at positions ", r, " and ", i, ")");
    for (int64_t k = 0; k < t.dim(); ++k)
      SINTER_CHECK(k == d || t.size(k) == ref.size(k), ShapeError, "cat: sizes of tensors must match except in dimension ",
                   d, ". Expected size ", ref.size(k), " but got size ", t.size(k), " for tensor number ", i,
                   " in the list (shapes ", shape_str(ref.sizes()), " and ", shape_str(t.sizes()), ")");
    sz[d] += t.size(d);
  }
  out[0].sizes = sz;
}

template <bool Fast>
void cat_kernel(const OpCall& c) {
  const Tensor& out = c.out[0];
  auto [r, d] = cat_ref(c.in, c.attrs.i(0));
  if (r < 0 || out.numel() == 0) return;
  const int64_t es = out.element_size();
  bool simple = Fast && out.is_contiguous() && out.dtype() != kString;  // strings: copy_kernel assigns
  for (auto& t : c.in) simple = simple && (cat_skipped(t) || (t.dtype() == out.dtype() && t.is_contiguous()));
  if (simple) {
    // (outer, size_d * inner) rows: each output row is the inputs' rows side by side.
    int64_t outer = 1, inner = 1;
    for (int64_t k = 0; k < d; ++k) outer *= out.size(k);
    for (int64_t k = d + 1; k < out.dim(); ++k) inner *= out.size(k);
    std::vector<std::pair<const char*, int64_t>> parts;  // (data, bytes per row)
    for (auto& t : c.in)
      if (!cat_skipped(t) && t.numel() > 0) parts.emplace_back(static_cast<const char*>(t.data_ptr()), t.size(d) * inner * es);
    const int64_t row = out.size(d) * inner * es;
    char* o = static_cast<char*>(out.data_ptr());
    if (outer == 1) {  // one block per input: split each block across the threads
      char* dst = o;
      for (auto& [p, bytes] : parts) {
        kernels::parallel_for(bytes, kernels::kGrainSize * 8, [&, p = p](int64_t b, int64_t e) {
          std::memcpy(dst + b, p + b, static_cast<size_t>(e - b));
        });
        dst += bytes;
      }
      return;
    }
    kernels::parallel_for(outer, std::max<int64_t>(1, kernels::kGrainSize * 4 / std::max<int64_t>(row, 1)),
                          [&](int64_t b, int64_t e) {
                            for (int64_t i = b; i < e; ++i) {
                              char* dst = o + i * row;
                              for (auto& [p, bytes] : parts) {
                                std::memcpy(dst, p + i * bytes, static_cast<size_t>(bytes));
                                dst += bytes;
                              }
                            }
                          });
    return;
  }
  int64_t off = 0;
  for (auto& t : c.in) {
    if (cat_skipped(t)) continue;
    Tensor dst = raw_narrow(out, d, off, t.size(d));
    if (Fast) {
      copy_kernel(dst, t);
    } else {
      ref_move(dst, raw_cast(t, out.dtype()), [](IntArrayRef o, DimVector& s) {
        for (size_t k = 0; k < o.size(); ++k) s[k] = o[k];
        return true;
      });
    }
    off += t.size(d);
  }
}

TensorList cat_backward(BackwardCtx& c, const TensorList& g) {
  auto [r, d] = cat_ref(c.inputs, c.attrs.i(0));
  TensorList grads(c.inputs.size());
  int64_t off = 0;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const Tensor& t = c.input(i);
    if (cat_skipped(t)) {
      if (c.needs(i)) grads[i] = zeros({0}, t.dtype());
      continue;
    }
    if (c.needs(i)) grads[i] = g[0].narrow(d, off, t.size(d)).to(t.dtype());
    off += t.size(d);
  }
  return grads;
}

OpDef& cat_op = def("cat").input("tensors").attr("dim", int64_t(0)).set_meta(cat_meta).set_cpu(cat_kernel<true>)
                    .set_cpu_ref(cat_kernel<false>).set_backward(cat_backward).accepts_strings().set_onnx("Concat");

// ---- repeat ------------------------------------------------------------------------------------
// repeat(self; repeats): self tiled repeats[i] times along dim i (leading dims added as needed).

void repeat_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  IntArrayRef rep = c.attrs.ints(0);
  SINTER_CHECK(static_cast<int64_t>(rep.size()) >= x.dim(), ShapeError,
               "repeat: number of dimensions of repeat dims (", rep.size(),
               ") can not be smaller than number of dimensions of tensor (", x.dim(), ", shape ", shape_str(x.sizes()), ")");
  int64_t lead = static_cast<int64_t>(rep.size()) - x.dim();
  DimVector sz(rep.size());
  for (size_t i = 0; i < rep.size(); ++i) {
    SINTER_CHECK(rep[i] >= 0, ShapeError, "repeat: repeats must be non-negative, got ", shape_str(rep));
    int64_t s = static_cast<int64_t>(i) < lead ? 1 : x.size(static_cast<int64_t>(i) - lead);
    sz[i] = s * rep[i];
  }
  out[0].sizes = sz;
  out[0].dtype = x.dtype();
  n = 1;
}

/// x's sizes and strides with leading size-1 dims up to `n` dims.
std::pair<DimVector, DimVector> padded_geometry(const Tensor& x, size_t n) {
  DimVector sz(n, 1), st(n, 0);
  int64_t lead = static_cast<int64_t>(n) - x.dim();
  for (int64_t i = 0; i < x.dim(); ++i) {
    sz[lead + i] = x.size(i);
    st[lead + i] = x.stride(i);
  }
  return {sz, st};
}

void repeat_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  const Tensor& out = c.out[0];
  if (out.numel() == 0) return;
  IntArrayRef rep = c.attrs.ints(0);
  auto [xs, xst] = padded_geometry(x, rep.size());
  // out seen as (r0, s0, r1, s1, ...) and x broadcast along the r dims.
  DimVector sz, ost, sst;
  for (size_t i = 0; i < rep.size(); ++i) {
    int64_t os = out.stride(static_cast<int64_t>(i));
    sz.push_back(rep[i]);
    sz.push_back(xs[i]);
    ost.push_back(xs[i] * os);
    ost.push_back(os);
    sst.push_back(0);
    sst.push_back(xst[i]);
  }
  copy_kernel(make_alias(out, sz, ost, out.storage_offset()), make_alias(x, sz, sst, x.storage_offset()));
}

void repeat_ref(const OpCall& c) {
  IntArrayRef rep = c.attrs.ints(0);
  const Tensor& x = c.in[0];
  auto [xs, xst] = padded_geometry(x, rep.size());
  Tensor xp = make_alias(x, xs, xst, x.storage_offset());
  const DimVector& sizes = xs;  // (a lambda may not capture a structured binding before clang 16)
  ref_move(c.out[0], xp, [&](IntArrayRef o, DimVector& s) {
    for (size_t k = 0; k < o.size(); ++k) s[k] = o[k] % sizes[k];
    return true;
  });
}

TensorList repeat_backward(BackwardCtx& c, const TensorList& g) {
  // The leading new dims are summed one at a time, then (repeat, size) pairs in one sum: the
  // order PyTorch sums in, so half-precision results round the same way.
  const Tensor& x = c.input(0);
  IntArrayRef rep = c.attrs.ints(0);
  for (auto r : rep)
    if (r == 0) return {zeros(x.sizes(), g[0].dtype())};
  Tensor grad = g[0];
  const DType dt = grad.dtype();
  auto sum = [dt](const Tensor& t, IntArrayRef dims) {  // half types accumulate in float, round once
    return dt == kHalf || dt == kBFloat16 ? t.to(kFloat).sum(dims).to(dt) : t.sum(dims);
  };
  const int64_t lead = static_cast<int64_t>(rep.size()) - x.dim();
  for (int64_t i = 0; i < lead; ++i) grad = sum(grad, {0});
  DimVector split, red;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (rep[lead + d] != 1) {
      split.push_back(rep[lead + d]);
      red.push_back(static_cast<int64_t>(split.size()) - 1);
    }
    split.push_back(x.size(d));
  }
  if (!red.empty()) grad = sum(grad.reshape(split), red);
  return {grad};
}

OpDef& repeat_op = def("repeat").input("self").attr("repeats").set_meta(repeat_meta).set_cpu(repeat_kernel)
                       .set_cpu_ref(repeat_ref).set_backward(repeat_backward).set_onnx("Tile");

// ---- flip --------------------------------------------------------------------------------------

/// Which dims of x an op lists (wrapped), rejecting repeats.
std::vector<bool> dim_mask(const char* op, const Tensor& x, IntArrayRef dims) {
  std::vector<bool> m(static_cast<size_t>(std::max<int64_t>(x.dim(), 1)), false);
  for (auto d : dims) {
    int64_t w = wrap_dim(op, d, x.dim());
    SINTER_CHECK(!m[w], ValueError, op, ": dim ", w, " appears multiple times in the list of dims ", shape_str(dims));
    m[w] = true;
  }
  if (x.dim() == 0) m.clear();
  return m;
}

void same_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  out[0].sizes = DimVector(c.in[0].sizes());
  out[0].dtype = c.in[0].dtype();
  n = 1;
}

void flip_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  dim_mask("flip", c.in[0], c.attrs.ints(0));
  same_meta(c, out, n);
}

void flip_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  if (x.numel() == 0) return;
  auto m = dim_mask("flip", x, c.attrs.ints(0));
  // Read x through a view with the flipped dims' strides negated.
  DimVector st(x.strides());
  int64_t off = x.storage_offset();
  for (int64_t d = 0; d < x.dim(); ++d)
    if (m[d]) {
      off += (x.size(d) - 1) * st[d];
      st[d] = -st[d];
    }
  const Tensor& out = c.out[0];
  const int64_t nd = x.dim();
  if (nd == 0 || !out.is_contiguous()) return copy_kernel(out, make_alias(x, x.sizes(), st, off));
  // Rows of the (contiguous) output; each reads one row of x forwards, backwards or strided.
  const int64_t N = x.size(-1), rows = x.numel() / N, sn = st[nd - 1];
  const char* base = static_cast<const char*>(x.data_ptr()) + (off - x.storage_offset()) * x.element_size();
  visit_elem_size(x.element_size(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U* xb = reinterpret_cast<const U*>(base);
    U* o = static_cast<U*>(out.data_ptr());
    kernels::parallel_for(rows, std::max<int64_t>(1, kernels::kGrainSize / N), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        int64_t rem = r, so = 0;
        for (int64_t d = nd - 2; d >= 0; --d) {
          so += (rem % x.size(d)) * st[d];
          rem /= x.size(d);
        }
        const U* src = xb + so;
        U* dst = o + r * N;
        if (sn == 1) std::memcpy(dst, src, static_cast<size_t>(N) * sizeof(U));
        else if (sn == -1) for (int64_t j = 0; j < N; ++j) dst[j] = src[-j];
        else for (int64_t j = 0; j < N; ++j) dst[j] = src[j * sn];
      }
    });
  });
}

void flip_ref(const OpCall& c) {
  const Tensor& x = c.in[0];
  auto m = dim_mask("flip", x, c.attrs.ints(0));
  ref_move(c.out[0], x, [&](IntArrayRef o, DimVector& s) {
    for (size_t k = 0; k < o.size(); ++k) s[k] = m[k] ? x.size(static_cast<int64_t>(k)) - 1 - o[k] : o[k];
    return true;
  });
}

TensorList flip_backward(BackwardCtx& c, const TensorList& g) { return {flip(g[0], c.attrs.ints(0))}; }

OpDef& flip_op = def("flip").input("self").attr("dims").set_meta(flip_meta).set_cpu(flip_kernel).set_cpu_ref(flip_ref)
                     .set_backward(flip_backward, kSaveNone);

// ---- roll --------------------------------------------------------------------------------------
// roll(self; shifts, dims): with no dims, the flattened tensor is rolled and reshaped back.

void roll_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  IntArrayRef shifts = c.attrs.ints(0), dims = c.attrs.ints(1);
  SINTER_CHECK(!shifts.empty(), ValueError, "roll: `shifts` required");
  SINTER_CHECK(dims.empty() ? shifts.size() == 1 : shifts.size() == dims.size(), ShapeError,
               "roll: shifts and dimensions must align. shifts: ", shifts.size(), ", dims: ", dims.size());
  for (auto d : dims) {
    SINTER_CHECK(x.dim() > 0, IndexError, "roll: dimension specified as ", d, " but tensor has no dimensions");
    wrap_dim("roll", d, x.dim());
  }
  same_meta(c, out, n);
}

/// (dim, shift in [0, size)) per rolled dim, shifts of a repeated dim added up.
std::vector<std::pair<int64_t, int64_t>> roll_plan(const Tensor& x, IntArrayRef shifts, IntArrayRef dims) {
  std::vector<int64_t> total(static_cast<size_t>(x.dim()), 0);
  std::vector<bool> used(static_cast<size_t>(x.dim()), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim("roll", dims[i], x.dim());
    total[d] += shifts[i];
    used[d] = true;
  }
  std::vector<std::pair<int64_t, int64_t>> r;
  for (int64_t d = 0; d < x.dim(); ++d) {
    int64_t n = x.size(d);
    if (!used[d] || n == 0) continue;
    int64_t s = ((total[d] % n) + n) % n;
    if (s != 0) r.emplace_back(d, s);
  }
  return r;
}

void roll_kernel(const OpCall& c) {
  const Tensor& out = c.out[0];
  Tensor x = c.in[0];
  if (x.numel() == 0) return;
  IntArrayRef shifts = c.attrs.ints(0), dims = c.attrs.ints(1);
  Tensor o = out;
  std::vector<std::pair<int64_t, int64_t>> plan;
  if (dims.empty()) {
    // Flat roll: contiguous 1-D views of both.
    if (!x.is_contiguous()) {
      Tensor t = detail::make_empty(x.sizes(), x.dtype(), x.device());
      copy_kernel(t, x);
      x = t;
    }
    x = make_alias(x, {x.numel()}, {1}, x.storage_offset());
    o = make_alias(out, {out.numel()}, {1}, out.storage_offset());
    int64_t n = x.numel(), s = ((shifts[0] % n) + n) % n;
    if (s != 0) plan.emplace_back(0, s);
  } else {
    plan = roll_plan(x, shifts, dims);
  }
  // Each rolled dim splits into two blocks (out[s:] <- x[:n-s], out[:s] <- x[n-s:]); copy each
  // of the 2^k combinations.
  const size_t k = plan.size();
  for (uint64_t combo = 0; combo < (uint64_t(1) << k); ++combo) {
    Tensor dst = o, src = x;
    for (size_t i = 0; i < k; ++i) {
      auto [d, s] = plan[i];
      int64_t n = x.size(d);
      if (combo >> i & 1u) {
        dst = raw_narrow(dst, d, 0, s);
        src = raw_narrow(src, d, n - s, s);
      } else {
        dst = raw_narrow(dst, d, s, n - s);
        src = raw_narrow(src, d, 0, n - s);
      }
    }
    copy_kernel(dst, src);
  }
}

void roll_ref(const OpCall& c) {
  const Tensor& x = c.in[0];
  IntArrayRef shifts = c.attrs.ints(0), dims = c.attrs.ints(1);
  if (dims.empty()) {
    Tensor xc = detail::make_empty(x.sizes(), x.dtype(), x.device());
    copy_kernel(xc, x);
    int64_t n = x.numel();
    if (n == 0) return;
    Tensor xf = make_alias(xc, {n}, {1}, 0), of = make_alias(c.out[0], {n}, {1}, c.out[0].storage_offset());
    ref_move(of, xf, [&](IntArrayRef o, DimVector& s) {
      s[0] = (((o[0] - shifts[0]) % n) + n) % n;
      return true;
    });
    return;
  }
  std::vector<int64_t> total(static_cast<size_t>(x.dim()), 0);
  for (size_t i = 0; i < dims.size(); ++i) total[wrap_dim("roll", dims[i], x.dim())] += shifts[i];
  ref_move(c.out[0], x, [&](IntArrayRef o, DimVector& s) {
    for (size_t k = 0; k < o.size(); ++k) {
      int64_t n = x.size(static_cast<int64_t>(k));
      s[k] = (((o[k] - total[k]) % n) + n) % n;
    }
    return true;
  });
}

TensorList roll_backward(BackwardCtx& c, const TensorList& g) {
  DimVector neg;
  for (auto s : c.attrs.ints(0)) neg.push_back(-s);
  return {roll(g[0], neg, c.attrs.ints(1))};
}

OpDef& roll_op = def("roll").input("self").attr("shifts").attr("dims", DimVector{}).set_meta(roll_meta)
                     .set_cpu(roll_kernel).set_cpu_ref(roll_ref).set_backward(roll_backward, kSaveNone);

// ---- tril / triu -------------------------------------------------------------------------------
// Keeps element (i, j) of each matrix (last two dims) when j - i <= diagonal (tril) or
// j - i >= diagonal (triu); zeros the rest.

void tri_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  SINTER_CHECK(c.in[0].dim() >= 2, ShapeError, c.op.name, ": input tensor must have at least 2 dimensions, got shape ",
               shape_str(c.in[0].sizes()));
  same_meta(c, out, n);
}

template <bool Lower>
void tri_kernel(const OpCall& c) {
  const Tensor& out = c.out[0];
  copy_kernel(out, c.in[0]);
  const int64_t M = out.size(-2), N = out.size(-1), es = out.element_size(), k = c.attrs.i(0);
  const int64_t rows = M == 0 ? 0 : out.numel() / N;
  if (rows == 0 || N == 0) return;
  char* o = static_cast<char*>(out.data_ptr());
  kernels::parallel_for(rows, std::max<int64_t>(1, kernels::kGrainSize / N), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t i = r % M;
      char* row = o + r * N * es;
      if (Lower) {  // zero columns j > i + k
        int64_t first = std::clamp<int64_t>(i + k + 1, 0, N);
        std::memset(row + first * es, 0, static_cast<size_t>((N - first) * es));
      } else {  // zero columns j < i + k
        int64_t end = std::clamp<int64_t>(i + k, 0, N);
        std::memset(row, 0, static_cast<size_t>(end * es));
      }
    }
  });
}

template <bool Lower>
void tri_ref(const OpCall& c) {
  const int64_t k = c.attrs.i(0);
  const uint64_t zero = 0;
  ref_move(c.out[0], c.in[0], [&](IntArrayRef o, DimVector& s) {
    for (size_t d = 0; d < o.size(); ++d) s[d] = o[d];
    int64_t i = o[o.size() - 2], j = o[o.size() - 1];
    return Lower ? j - i <= k : j - i >= k;
  }, &zero);
}

TensorList tril_backward(BackwardCtx& c, const TensorList& g) { return {tril(g[0], c.attrs.i(0))}; }
TensorList triu_backward(BackwardCtx& c, const TensorList& g) { return {triu(g[0], c.attrs.i(0))}; }

OpDef& tril_op = def("tril").input("self").attr("diagonal", int64_t(0)).set_meta(tri_meta).set_cpu(tri_kernel<true>)
                     .set_cpu_ref(tri_ref<true>).set_backward(tril_backward, kSaveNone).set_onnx("Trilu");
OpDef& triu_op = def("triu").input("self").attr("diagonal", int64_t(0)).set_meta(tri_meta).set_cpu(tri_kernel<false>)
                     .set_cpu_ref(tri_ref<false>).set_backward(triu_backward, kSaveNone).set_onnx("Trilu");

// ---- pad ---------------------------------------------------------------------------------------
// pad(self; pad, mode, value): pad = (left, right) pairs from the last dim backwards, as F.pad.
// Negative amounts crop. Each output coordinate reads one input coordinate per dim (or the fill
// value), so the op is a per-dim index map.

enum class PadMode { Constant, Reflect, Replicate, Circular };

PadMode pad_mode(const std::string& m) {
  if (m == "constant") return PadMode::Constant;
  if (m == "reflect") return PadMode::Reflect;
  if (m == "replicate") return PadMode::Replicate;
  if (m == "circular") return PadMode::Circular;
  throw NotImplementedError(detail::str_cat("pad: unrecognised padding mode '", m,
                                            "' (expected constant, reflect, replicate or circular)"));
}

/// (left, right) padding of dim d (0 when the pad list does not reach it).
std::pair<int64_t, int64_t> pad_of(IntArrayRef pad, int64_t ndim, int64_t d) {
  int64_t k = ndim - 1 - d;  // pairs count from the last dim
  if (2 * k + 1 >= static_cast<int64_t>(pad.size())) return {0, 0};
  return {pad[2 * k], pad[2 * k + 1]};
}

/// Input index for output index j of a dim of `size` padded by (l, r); -1 means the fill value.
int64_t pad_source(PadMode m, int64_t j, int64_t size, int64_t l, int64_t r) {
  const int64_t i_start = std::max<int64_t>(0, -l), o_start = std::max<int64_t>(0, l);
  switch (m) {
    case PadMode::Constant: {
      int64_t i = j - l;
      return i >= 0 && i < size ? i : -1;
    }
    case PadMode::Reflect: {
      int64_t ip = j < l ? 2 * l - j : j < size + l ? j : 2 * (size + l - 1) - j;
      return ip - o_start + i_start;
    }
    case PadMode::Replicate: {
      int64_t ip = j < l ? l : j < size + l ? j : size + l - 1;
      return ip - o_start + i_start;
    }
    case PadMode::Circular: {
      // Crop first, then wrap around the cropped part.
      int64_t len = size - std::max<int64_t>(0, -l) - std::max<int64_t>(0, -r);
      return i_start + (((j - o_start) % len) + len) % len;
    }
  }
  return -1;
}

void pad_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  IntArrayRef pad = c.attrs.ints(0);
  PadMode m = pad_mode(c.attrs.str(1));
  const std::string& ms = c.attrs.str(1);
  const int64_t nd = x.dim(), np = static_cast<int64_t>(pad.size()) / 2;
  SINTER_CHECK(pad.size() % 2 == 0, ValueError, "pad: padding length must be divisible by 2, got ", shape_str(pad));
  SINTER_CHECK(np <= nd, ValueError, "pad: padding length too large: ", shape_str(pad), " pads ", np,
               " dims of an input of shape ", shape_str(x.sizes()));
  if (is_integral(x.dtype())) {
    double v = c.attrs.f(2), lo = 0, hi = 0;
    visit_dtype(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      lo = static_cast<double>(std::numeric_limits<T>::lowest());
      hi = static_cast<double>(std::numeric_limits<T>::max());
    });
    SINTER_CHECK(v >= lo && v <= hi, ValueError, "pad: value ", v, " cannot be converted to type ", dtype_name(x.dtype()),
                 " without overflow");
  }
  if (m != PadMode::Constant) {
    SINTER_CHECK(c.attrs.f(2) == 0, ValueError, "pad: padding mode \"", ms, "\" doesn't take in value argument");
    bool ok = (np == 1 && (nd == 2 || nd == 3)) || (np == 2 && (nd == 3 || nd == 4)) || (np == 3 && (nd == 4 || nd == 5));
    SINTER_CHECK(ok, NotImplementedError, "pad: only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now "
                 "(mode \"", ms, "\", pad ", shape_str(pad), ", input of shape ", shape_str(x.sizes()), ")");
    if (m == PadMode::Circular)
      SINTER_CHECK(nd == np + 2, ShapeError, "pad: circular padding of ", np, " dims expects a (batch, channel, ...) input with ",
                   np + 2, " dims, but got shape ", shape_str(x.sizes()), " (invalid padding size, expected ", 2 * (nd - 2),
                   " but got ", pad.size(), ")");
  }
  DimVector sz(x.sizes());
  for (int64_t d = nd - np; d < nd; ++d) {
    auto [l, r] = pad_of(pad, nd, d);
    int64_t size = x.size(d);
    sz[d] = size + l + r;
    if (m == PadMode::Reflect)
      SINTER_CHECK(l < size && r < size, ShapeError, "pad: padding size should be less than the corresponding input dimension, "
                   "but got: padding (", l, ", ", r, ") at dimension ", d, " of input ", shape_str(x.sizes()));
    if (m == PadMode::Reflect || m == PadMode::Replicate)
      SINTER_CHECK(size > 0, ShapeError, "pad: ", ms, " padding needs non-empty padded dimensions, but dimension ", d,
                   " of input ", shape_str(x.sizes()), " is empty");
    if (m == PadMode::Circular) {
      int64_t len = size - std::max<int64_t>(0, -l) - std::max<int64_t>(0, -r);
      SINTER_CHECK(l <= len && r <= len && len > 0, ShapeError, "pad: padding value causes wrapping around more than once ",
                   "(padding (", l, ", ", r, ") at dimension ", d, " of input ", shape_str(x.sizes()), ")");
    }
    SINTER_CHECK(sz[d] >= 0, ShapeError, "pad: the input size ", size, ", plus negative padding ", l, " and ", r,
                 " resulted in a negative output size, which is invalid. Check dimension ", d, " of your input ",
                 shape_str(x.sizes()));
  }
  out[0].sizes = sz;
  out[0].dtype = x.dtype();
  n = 1;
}

/// The fill value as one element of dtype t.
uint64_t fill_bits(double v, DType t) {
  uint64_t bits = 0;
  visit_dtype(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T e = cast<T>(v);
    std::memcpy(&bits, &e, sizeof(T));
  });
  return bits;
}

constexpr int64_t kFill = std::numeric_limits<int64_t>::min();

/// Sets every element of the contiguous tensor t to v.
void fill_constant(const Tensor& t, double v) {
  const uint64_t bits = fill_bits(v, t.dtype());
  visit_elem_size(t.element_size(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    U fv;
    std::memcpy(&fv, &bits, sizeof(U));
    U* p = static_cast<U*>(t.data_ptr());
    kernels::parallel_for(t.numel(), kernels::kGrainSize * 4, [&](int64_t b, int64_t e) { std::fill(p + b, p + e, fv); });
  });
}

void pad_kernel(const OpCall& c) {
  const Tensor& x = c.in[0];
  const Tensor& out = c.out[0];
  if (out.numel() == 0) return;
  IntArrayRef pad = c.attrs.ints(0);
  PadMode m = pad_mode(c.attrs.str(1));
  const int64_t nd = out.dim();
  if (nd == 0) return copy_kernel(out, x);
  if (m == PadMode::Constant) {
    // Fill, then copy the (cropped) input into the interior.
    bool grows = false;
    Tensor dst = out, src = x;
    for (int64_t d = 0; d < nd; ++d) {
      auto [l, r] = pad_of(pad, nd, d);
      grows |= l > 0 || r > 0;
      int64_t keep = x.size(d) - std::max<int64_t>(0, -l) - std::max<int64_t>(0, -r);
      if (keep <= 0) return fill_constant(out, c.attrs.f(2));
      src = raw_narrow(src, d, std::max<int64_t>(0, -l), keep);
      dst = raw_narrow(dst, d, std::max<int64_t>(0, l), keep);
    }
    if (grows) fill_constant(out, c.attrs.f(2));
    return copy_kernel(dst, src);
  }
  // Per dim: element offset into x for each output index (kFill: the fill value).
  std::vector<std::vector<int64_t>> off(static_cast<size_t>(nd));
  for (int64_t d = 0; d < nd; ++d) {
    auto [l, r] = pad_of(pad, nd, d);
    auto& v = off[d];
    v.resize(static_cast<size_t>(out.size(d)));
    for (int64_t j = 0; j < out.size(d); ++j) {
      int64_t i = pad_source(m, j, x.size(d), l, r);
      v[j] = i < 0 ? kFill : i * x.stride(d);
    }
  }
  const uint64_t fill = fill_bits(c.attrs.f(2), out.dtype());
  const int64_t N = out.size(-1), rows = out.numel() / N;
  visit_elem_size(out.element_size(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    U fv;
    std::memcpy(&fv, &fill, sizeof(U));
    const U* xp = static_cast<const U*>(x.data_ptr());
    U* op = static_cast<U*>(out.data_ptr());
    const int64_t* inner = off[nd - 1].data();
    kernels::parallel_for(rows, std::max<int64_t>(1, kernels::kGrainSize / N), [&](int64_t b, int64_t e) {
      DimVector idx(static_cast<size_t>(nd - 1), 0);
      for (int64_t r = b; r < e; ++r) {
        int64_t rem = r, base = 0;
        bool filled = false;
        for (int64_t d = nd - 2; d >= 0; --d) {
          int64_t j = rem % out.size(d);
          rem /= out.size(d);
          int64_t o = off[d][j];
          if (o == kFill) filled = true;
          else base += o;
        }
        U* dst = op + r * N;
        if (filled) {
          std::fill_n(dst, N, fv);
          continue;
        }
        const U* src = xp + base;
        for (int64_t j = 0; j < N; ++j) dst[j] = inner[j] == kFill ? fv : src[inner[j]];
      }
    });
  });
}

void pad_ref(const OpCall& c) {
  const Tensor& x = c.in[0];
  IntArrayRef pad = c.attrs.ints(0);
  PadMode m = pad_mode(c.attrs.str(1));
  const uint64_t fill = fill_bits(c.attrs.f(2), x.dtype());
  const int64_t nd = x.dim();
  ref_move(c.out[0], x, [&](IntArrayRef o, DimVector& s) {
    for (int64_t d = 0; d < nd; ++d) {
      auto [l, r] = pad_of(pad, nd, d);
      s[d] = pad_source(m, o[d], x.size(d), l, r);
      if (s[d] < 0) return false;
    }
    return true;
  }, &fill);
}

TensorList pad_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  IntArrayRef pad = c.attrs.ints(0);
  PadMode m = pad_mode(c.attrs.str(1));
  if (m == PadMode::Constant) {
    DimVector neg;
    for (auto p : pad) neg.push_back(-p);
    return {sinter::pad(g[0], neg, "constant", 0.0)};
  }
  // Every output element reads one input element per dim: sum the gradient back dim by dim
  // (half types in float, rounded once at the end).
  DType dt = g[0].dtype();
  bool reduced = dt == kHalf || dt == kBFloat16;
  Tensor gi = reduced ? g[0].to(kFloat) : g[0];
  const int64_t nd = x.dim();
  for (int64_t d = nd - 1; d >= 0; --d) {
    auto [l, r] = pad_of(pad, nd, d);
    if (l == 0 && r == 0) continue;
    std::vector<int64_t> src(static_cast<size_t>(gi.size(d)));
    for (int64_t j = 0; j < gi.size(d); ++j) src[j] = pad_source(m, j, x.size(d), l, r);
    DimVector sz(gi.sizes());
    sz[d] = x.size(d);
    std::vector<std::optional<Tensor>> idx(static_cast<size_t>(d));
    idx.push_back(tensor(src));
    gi = index_put(zeros(sz, gi.dtype()), idx, gi, /*accumulate=*/true);
  }
  return {reduced ? gi.to(dt) : gi};
}

OpDef& pad_op = def("pad").input("self").attr("pad").attr("mode", std::string("constant")).attr("value", 0.0)
                    .set_meta(pad_meta).set_cpu(pad_kernel).set_cpu_ref(pad_ref).set_backward(pad_backward)
                    .set_onnx("Pad");

}  // namespace
}  // namespace ops

using ops::call;

// ---- public functions ----------------------------------------------------------------------------

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  return ops::dispatch(ops::cat_op, std::span<const Tensor>(tensors.data(), tensors.size()), {dim}).release(0);
}
Tensor concat(const std::vector<Tensor>& tensors, int64_t dim) { return cat(tensors, dim); }

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  SINTER_CHECK(!tensors.empty(), ValueError, "stack: expects a non-empty TensorList");
  for (size_t i = 1; i < tensors.size(); ++i)
    SINTER_CHECK(tensors[i].sizes() == tensors[0].sizes(), ShapeError, "stack: expects each tensor to be equal size, but got ",
                 shape_str(tensors[0].sizes()), " at entry 0 and ", shape_str(tensors[i].sizes()), " at entry ", i);
  int64_t d = ops::wrap_dim("stack", dim, tensors[0].dim() + 1);
  std::vector<Tensor> u;
  u.reserve(tensors.size());
  for (auto& t : tensors) u.push_back(t.unsqueeze(d));
  return cat(u, d);
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  SINTER_CHECK(x.dim() > 0, ShapeError, "split: expects at least a 1-dimensional tensor");
  SINTER_CHECK(split_size >= 0, ValueError, "split: expects split_size be non-negative, but got split_size=", split_size);
  int64_t d = ops::wrap_dim("split", dim, x.dim());
  int64_t n = x.size(d);
  SINTER_CHECK(split_size != 0 || n == 0, ValueError,
               "split: split_size can only be 0 if dimension size is 0, but got dimension size of ", n);
  int64_t chunks = split_size == 0 ? 1 : std::max<int64_t>((n + split_size - 1) / split_size, 1);
  std::vector<Tensor> r;
  r.reserve(static_cast<size_t>(chunks));
  for (int64_t i = 0; i < chunks; ++i) {
    int64_t start = i * split_size;
    r.push_back(x.narrow(d, start, std::min(split_size, n - start)));
  }
  return r;
}

std::vector<Tensor> split(const Tensor& x, IntArrayRef sizes, int64_t dim) {
  SINTER_CHECK(x.dim() > 0, ShapeError, "split_with_sizes: expects at least a 1-dimensional tensor");
  int64_t d = ops::wrap_dim("split_with_sizes", dim, x.dim());
  int64_t n = x.size(d), total = 0;
  for (auto s : sizes) {
    SINTER_CHECK(s >= 0, ValueError, "split_with_sizes: expects split_sizes have only non-negative entries, but got split_sizes=",
                 ops::list_str(sizes));
    total += s;
  }
  SINTER_CHECK(total == n, ValueError, "split_with_sizes: expects split_sizes to sum exactly to ", n,
               " (input tensor's size at dimension ", d, "), but got split_sizes=", ops::list_str(sizes));
  std::vector<Tensor> r;
  int64_t start = 0;
  for (auto s : sizes) {
    r.push_back(x.narrow(d, start, s));
    start += s;
  }
  return r;
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  SINTER_CHECK(x.dim() > 0, ShapeError, "chunk: expects at least a 1-dimensional tensor");
  SINTER_CHECK(chunks > 0, ValueError, "chunk: expects `chunks` to be greater than 0, got: ", chunks);
  int64_t d = ops::wrap_dim("chunk", dim, x.dim());
  int64_t n = x.size(d);
  int64_t split_size = (n + chunks - 1) / chunks;
  if (split_size == 0 && n == 0) return split(x, DimVector(static_cast<size_t>(chunks), 0), d);
  return split(x, split_size, d);
}

Tensor repeat(const Tensor& x, IntArrayRef repeats) { return call(ops::repeat_op, {x}, {DimVector(repeats)}); }
Tensor tile(const Tensor& x, IntArrayRef reps) {
  DimVector r(reps);
  while (static_cast<int64_t>(r.size()) < x.dim()) r.insert(0, 1);
  return repeat(x, r);
}
Tensor flip(const Tensor& x, IntArrayRef dims) { return call(ops::flip_op, {x}, {DimVector(dims)}); }
Tensor roll(const Tensor& x, IntArrayRef shifts, IntArrayRef dims) {
  return call(ops::roll_op, {x}, {DimVector(shifts), DimVector(dims)});
}
Tensor tril(const Tensor& x, int64_t diagonal) { return call(ops::tril_op, {x}, {diagonal}); }
Tensor triu(const Tensor& x, int64_t diagonal) { return call(ops::triu_op, {x}, {diagonal}); }
Tensor pad(const Tensor& x, IntArrayRef pad, std::string_view mode, double value) {
  return call(ops::pad_op, {x}, {DimVector(pad), std::string(mode), value});
}

std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim) const { return sinter::split(*this, split_size, dim); }
std::vector<Tensor> Tensor::split(IntArrayRef sizes, int64_t dim) const { return sinter::split(*this, sizes, dim); }
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim) const { return sinter::chunk(*this, chunks, dim); }
Tensor Tensor::repeat(IntArrayRef repeats) const { return sinter::repeat(*this, repeats); }
Tensor Tensor::tile(IntArrayRef reps) const { return sinter::tile(*this, reps); }
Tensor Tensor::flip(IntArrayRef dims) const { return sinter::flip(*this, dims); }
Tensor Tensor::roll(IntArrayRef shifts, IntArrayRef dims) const { return sinter::roll(*this, shifts, dims); }
Tensor Tensor::tril(int64_t diagonal) const { return sinter::tril(*this, diagonal); }
Tensor Tensor::triu(int64_t diagonal) const { return sinter::triu(*this, diagonal); }

}  // namespace sinter
