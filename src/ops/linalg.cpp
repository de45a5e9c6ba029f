// Linear algebra: mm, bmm, addmm, matmul (every broadcasting case), linear; dot, mv, outer and
// einsum are composites of these. All products run through kernels::gemm (oneDNN matmul for
// float32, a blocked C++ GEMM for the other dtypes), reading transposed operands in place.
#include <algorithm>
#include <array>
#include <string>

#include "core/tensor_util.h"
#include "kernels/cpu/dnnl_gemm.h"
#include "kernels/cpu/loops.h"
#include "ops/registry.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/linalg.h"
#include "sinter/ops/nn.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/shape.h"

namespace sinter {
namespace ops {
namespace {

using Specs = std::array<OutSpec, kMaxOutputs>;

// ---- shared checks and views ------------------------------------------------------------------

void check_same_dtype(const char* op, const char* na, const Tensor& a, const char* nb, const Tensor& b) {
  SINTER_CHECK(a.dtype() == b.dtype(), DTypeError, op, ": expected ", na, " and ", nb,
               " to have the same dtype, but got ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  SINTER_CHECK(a.dtype() == b.dtype(), DTypeError, op, ": expected both operands to have the same dtype, but got ",
               dtype_name(a.dtype()), " and ", dtype_name(b.dtype()), " (shapes ", shape_str(a.sizes()), " and ",
               shape_str(b.sizes()), ")");
}

void check_gemm_dtype(const char* op, DType d) {
  if (!kernels::gemm_supports(d)) throw_dtype(op, d, "matrix multiplication");
}

/// A view of t (no autograd) with the given geometry.
Tensor alias(const Tensor& t, IntArrayRef sizes, IntArrayRef strides) {
  return detail::make_alias(t, sizes, strides, t.storage_offset());
}

/// t with `n` leading size-1 dims added (no autograd).
Tensor pad_rank(const Tensor& t, int64_t rank) {
  int64_t lead = rank - t.dim();
  if (lead <= 0) return t;
  DimVector sz(static_cast<size_t>(lead), 1), st(static_cast<size_t>(lead), 1);
  for (int64_t i = 0; i < t.dim(); ++i) {
    sz.push_back(t.size(i));
    st.push_back(t.stride(i));
  }
  return alias(t, sz, st);
}

/// Runs gemm into `out`, through a contiguous temporary when out is strided (in-place callers).
template <class F>
void into_contiguous(const Tensor& out, F&& f) {
  if (out.is_contiguous()) return f(out);
  Tensor tmp = detail::make_empty(out.sizes(), out.dtype(), out.device());
  f(tmp);
  kernels::copy_kernel(out, tmp);
}

void run_gemm(bool ref, const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& bias = {}, double alpha = 1,
              double beta = 0, const kernels::Activation& act = {}) {
  if (ref)
    kernels::gemm_reference(out, a, b, bias, alpha, beta, act);
  else
    kernels::gemm(out, a, b, bias, alpha, beta, act);
}

std::string mat_str(const Tensor& t) { return std::to_string(t.size(0)) + "x" + std::to_string(t.size(1)); }

// ---- mm(self, mat2) ---------------------------------------------------------------------------

void mm_meta(const OpCall& c, Specs& out, size_t& n) {
  const Tensor &a = c.in[0], &b = c.in[1];
  SINTER_CHECK(a.dim() == 2 && b.dim() == 2, ShapeError, "mm: expected 2-D matrices, but got self ",
               shape_str(a.sizes()), " and mat2 ", shape_str(b.sizes()));
  SINTER_CHECK(a.size(1) == b.size(0), ShapeError, "mm: mat1 and mat2 shapes cannot be multiplied (", mat_str(a),
               " and ", mat_str(b), ")");
  check_same_dtype("mm", "mat1", a, "mat2", b);
  check_gemm_dtype("mm", a.dtype());
  out[0].sizes = {a.size(0), b.size(1)};
  out[0].dtype = a.dtype();
  n = 1;
}
template <bool Ref>
void mm_kernel(const OpCall& c) {
  into_contiguous(c.out[0], [&](const Tensor& o) { run_gemm(Ref, o, c.in[0], c.in[1]); });
}
TensorList mm_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (c.needs(0)) r[0] = mm(g[0], c.input(1).t());
  if (c.needs(1)) r[1] = mm(c.input(0).t(), g[0]);
  return r;
}

// ---- bmm(self, mat2) --------------------------------------------------------------------------

void bmm_meta(const OpCall& c, Specs& out, size_t& n) {
  const Tensor &a = c.in[0], &b = c.in[1];
  SINTER_CHECK(a.dim() == 3 && b.dim() == 3, ShapeError, "bmm: expected 3-D tensors, but got batch1 ",
               shape_str(a.sizes()), " and batch2 ", shape_str(b.sizes()));
  SINTER_CHECK(a.size(0) == b.size(0), ShapeError, "bmm: batch1 ", shape_str(a.sizes()), " and batch2 ",
               shape_str(b.sizes()), " have different batch sizes (", a.size(0), " and ", b.size(0), ")");
  SINTER_CHECK(a.size(2) == b.size(1), ShapeError, "bmm: batch1 ", shape_str(a.sizes()), " and batch2 ",
               shape_str(b.sizes()), " cannot be multiplied (", a.size(1), "x", a.size(2), " and ", b.size(1), "x",
               b.size(2), ")");
  check_same_dtype("bmm", "batch1", a, "batch2", b);
  check_gemm_dtype("bmm", a.dtype());
  out[0].sizes = {a.size(0), a.size(1), b.size(2)};
  out[0].dtype = a.dtype();
  n = 1;
}
TensorList bmm_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (c.needs(0)) r[0] = bmm(g[0], c.input(1).mT());
  if (c.needs(1)) r[1] = bmm(c.input(0).mT(), g[0]);
  return r;
}

// ---- addmm(self, mat1, mat2; beta, alpha) = beta * self + alpha * mat1 @ mat2 ------------------

void addmm_meta(const OpCall& c, Specs& out, size_t& n) {
  const Tensor &s = c.in[0], &a = c.in[1], &b = c.in[2];
  SINTER_CHECK(a.dim() == 2 && b.dim() == 2, ShapeError, "addmm: expected 2-D matrices, but got mat1 ",
               shape_str(a.sizes()), " and mat2 ", shape_str(b.sizes()));
  SINTER_CHECK(a.size(1) == b.size(0), ShapeError, "addmm: mat1 and mat2 shapes cannot be multiplied (", mat_str(a),
               " and ", mat_str(b), ")");
  check_same_dtype("addmm", "mat1", a, "mat2", b);
  check_same_dtype("addmm", "self", s, "mat2", b);
  check_gemm_dtype("addmm", a.dtype());
  DimVector res{a.size(0), b.size(1)};
  bool ok = s.dim() <= 2;
  for (int64_t i = 0; ok && i < s.dim(); ++i) {
    int64_t r = res[static_cast<size_t>(2 - s.dim() + i)];
    ok = s.size(i) == r || s.size(i) == 1;
  }
  SINTER_CHECK(ok, ShapeError, "addmm: self ", shape_str(s.sizes()), " cannot be broadcast to the result ",
               shape_str(res), " of mat1 ", shape_str(a.sizes()), " @ mat2 ", shape_str(b.sizes()));
  out[0].sizes = res;
  out[0].dtype = a.dtype();
  n = 1;
}
template <bool Ref>
void addmm_kernel(const OpCall& c) {
  const Tensor &s = c.in[0], &a = c.in[1], &b = c.in[2];
  double beta = c.attrs.s(0).to_double(), alpha = c.attrs.s(1).to_double();
  into_contiguous(c.out[0], [&](const Tensor& o) {
    if (beta == 1 && alpha == 1 && s.dim() == 1 && s.size(0) == o.size(1)) return run_gemm(Ref, o, a, b, s);
    if (beta != 0) kernels::copy_kernel(o, kernels::broadcast_view(s, o.sizes()));
    run_gemm(Ref, o, a, b, {}, alpha, beta);
  });
}
TensorList addmm_backward(BackwardCtx& c, const TensorList& g) {
  Scalar beta = c.attrs.s(0), alpha = c.attrs.s(1);
  TensorList r(3);
  if (c.needs(0)) r[0] = sum_to(beta.to_double() == 1 ? g[0] : g[0] * beta, c.input(0).sizes());
  if (c.needs(1)) {
    r[1] = mm(g[0], c.input(2).t());
    if (alpha.to_double() != 1) r[1] = r[1] * alpha;
  }
  if (c.needs(2)) {
    r[2] = mm(c.input(1).t(), g[0]);
    if (alpha.to_double() != 1) r[2] = r[2] * alpha;
  }
  return r;
}

// ---- matmul(self, other): NumPy semantics ------------------------------------------------------

void matmul_meta(const OpCall& c, Specs& out, size_t& n) {
  const Tensor &a = c.in[0], &b = c.in[1];
  SINTER_CHECK(a.dim() >= 1 && b.dim() >= 1, ShapeError,
               "matmul: both arguments need to be at least 1-D, but got shapes ", shape_str(a.sizes()), " and ",
               shape_str(b.sizes()));
  int64_t ka = a.size(-1), kb = b.dim() == 1 ? b.size(0) : b.size(-2);
  SINTER_CHECK(ka == kb, ShapeError, "matmul: shapes ", shape_str(a.sizes()), " and ", shape_str(b.sizes()),
               " cannot be multiplied (", ka, " != ", kb, " in the contracted dimension)");
  check_same_dtype("matmul", a, b);
  check_gemm_dtype("matmul", a.dtype());
  IntArrayRef ba = a.dim() > 2 ? IntArrayRef(a.sizes().data(), static_cast<size_t>(a.dim() - 2)) : IntArrayRef();
  IntArrayRef bb = b.dim() > 2 ? IntArrayRef(b.sizes().data(), static_cast<size_t>(b.dim() - 2)) : IntArrayRef();
  DimVector r = broadcast_shapes("matmul", ba, bb);
  if (a.dim() >= 2) r.push_back(a.size(-2));
  if (b.dim() >= 2) r.push_back(b.size(-1));
  out[0].sizes = r;
  out[0].dtype = a.dtype();
  n = 1;
}

// The operands as (batch..., n, k) and (batch..., k, m) views of one rank, and out as (batch..., n, m).
struct MatmulViews {
  Tensor a, b, out;
};
MatmulViews matmul_views(const Tensor& a, const Tensor& b, const Tensor& out) {
  Tensor a2 = a.dim() == 1 ? alias(a, {1, a.size(0)}, {a.size(0) * a.stride(0), a.stride(0)}) : a;
  Tensor b2 = b.dim() == 1 ? alias(b, {b.size(0), 1}, {b.stride(0), 1}) : b;
  int64_t rank = std::max<int64_t>(a2.dim(), b2.dim());
  DimVector osz;
  for (int64_t i = 0; i < rank - 2; ++i) {
    int64_t sa = i - (rank - a2.dim()) >= 0 ? a2.size(i - (rank - a2.dim())) : 1;
    int64_t sb = i - (rank - b2.dim()) >= 0 ? b2.size(i - (rank - b2.dim())) : 1;
    osz.push_back(sa == 1 ? sb : sa);
  }
  osz.push_back(a2.size(-2));
  osz.push_back(b2.size(-1));
  return {pad_rank(a2, rank), pad_rank(b2, rank), alias(out, osz, contiguous_strides(osz))};
}

template <bool Ref>
void matmul_kernel(const OpCall& c) {
  into_contiguous(c.out[0], [&](const Tensor& o) {
    MatmulViews v = matmul_views(c.in[0], c.in[1], o);
    run_gemm(Ref, v.out, v.a, v.b);
  });
}

TensorList matmul_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor &a = c.input(0), &b = c.input(1);
  TensorList r(2);
  if (a.dim() == 1 && b.dim() == 1) {  // dot
    if (c.needs(0)) r[0] = g[0] * b;
    if (c.needs(1)) r[1] = g[0] * a;
    return r;
  }
  Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a;
  Tensor b2 = b.dim() == 1 ? b.unsqueeze(-1) : b;
  Tensor g2 = a.dim() == 1 ? g[0].unsqueeze(-2) : b.dim() == 1 ? g[0].unsqueeze(-1) : g[0];
  if (c.needs(0)) {
    Tensor ga = matmul(g2, b2.mT());
    r[0] = sum_to(ga, a2.sizes()).reshape(a.sizes());
  }
  if (c.needs(1)) {
    Tensor gb;
    if (b2.dim() == 2 && a2.dim() > 2) {  // one weight shared by every batch: a single (k, rows) @ (rows, m)
      int64_t rows = 1;
      for (int64_t i = 0; i + 1 < a2.dim(); ++i) rows *= a2.size(i);
      gb = matmul(a2.reshape({rows, a2.size(-1)}).mT(), g2.reshape({rows, g2.size(-1)}));
    } else {
      gb = sum_to(matmul(a2.mT(), g2), b2.sizes());
    }
    r[1] = gb.reshape(b.sizes());
  }
  return r;
}

// ---- linear(input, weight, bias) = input @ weight^T + bias --------------------------------------

void linear_meta(const OpCall& c, Specs& out, size_t& n) {
  const Tensor &x = c.in[0], &w = c.in[1], &bias = c.in[2];
  SINTER_CHECK(x.dim() >= 1, ShapeError, "linear: input must have at least 1 dimension, got shape ",
               shape_str(x.sizes()));
  SINTER_CHECK(w.dim() == 1 || w.dim() == 2, ShapeError, "linear: weight must be 1-D or 2-D (out_features, in_features), got ",
               shape_str(w.sizes()));
  SINTER_CHECK(x.size(-1) == w.size(-1), ShapeError, "linear: input ", shape_str(x.sizes()), " does not match weight ",
               shape_str(w.sizes()), " (input's last dim is ", x.size(-1), ", weight's in_features is ", w.size(-1), ")");
  check_same_dtype("linear", "input", x, "weight", w);
  if (bias.defined()) check_same_dtype("linear", "input", x, "bias", bias);
  check_gemm_dtype("linear", x.dtype());
  DimVector r(x.sizes().begin(), x.sizes().end() - 1);
  if (w.dim() == 2) r.push_back(w.size(0));
  if (bias.defined()) {
    bool ok = bias.dim() <= static_cast<int64_t>(r.size());
    for (int64_t i = 0; ok && i < bias.dim(); ++i) {
      int64_t want = r[r.size() - static_cast<size_t>(bias.dim() - i)];
      ok = bias.size(i) == want || bias.size(i) == 1;
    }
    SINTER_CHECK(ok, ShapeError, "linear: bias ", shape_str(bias.sizes()), " does not match the output ", shape_str(r),
                 " of input ", shape_str(x.sizes()), " and weight ", shape_str(w.sizes()));
  }
  out[0].sizes = r;
  out[0].dtype = x.dtype();
  n = 1;
}
// out = act(input @ weight^T + bias)
void linear_into(bool ref, const OpCall& c, const kernels::Activation& act) {
  const Tensor &x = c.in[0], &w = c.in[1], &bias = c.in[2];
  into_contiguous(c.out[0], [&](const Tensor& o) {
    Tensor a = x.dim() == 1 ? alias(x, {1, x.size(0)}, {x.size(0) * x.stride(0), x.stride(0)}) : x;
    // weight^T as (in, out) in place, or a 1-D weight as an (in, 1) column.
    Tensor b = w.dim() == 2 ? alias(w, {w.size(1), w.size(0)}, {w.stride(1), w.stride(0)})
                            : alias(w, {w.size(0), 1}, {w.stride(0), 1});
    b = pad_rank(b, a.dim());
    DimVector osz(a.sizes().begin(), a.sizes().end() - 1);
    osz.push_back(b.size(-1));
    Tensor ov = alias(o, osz, contiguous_strides(osz));
    if (bias.defined() && bias.dim() == 1 && bias.size(0) == b.size(-1) && w.dim() == 2)
      return run_gemm(ref, ov, a, b, bias, 1, 0, act);
    if (bias.defined()) {
      kernels::copy_kernel(o, kernels::broadcast_view(bias, o.sizes()));
      return run_gemm(ref, ov, a, b, {}, 1, 1, act);
    }
    run_gemm(ref, ov, a, b, {}, 1, 0, act);
  });
}
template <bool Ref>
void linear_kernel(const OpCall& c) {
  linear_into(Ref, c, {});
}

// ---- linear_fused(input, weight, bias; activation, act_min, act_max) ---------------------------
// act(linear(input, weight, bias)) as one oneDNN matmul with an eltwise post-op: an inference op
// (no backward) that graph::fuse_for_inference puts in place of a linear and its activation.

kernels::Activation linear_fused_act(const OpCall& c) {
  return kernels::parse_activation("linear_fused", c.attrs.str(0), c.attrs.f(1), c.attrs.f(2));
}
void linear_fused_meta(const OpCall& c, Specs& out, size_t& n) {
  linear_meta(c, out, n);
  linear_fused_act(c);
}
template <bool Ref>
void linear_fused_kernel(const OpCall& c) {
  linear_into(Ref, c, linear_fused_act(c));
}

TensorList linear_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor &x = c.input(0), &w = c.input(1);
  TensorList r(3);
  if (c.needs(0)) r[0] = w.dim() == 2 ? matmul(g[0], w) : g[0].unsqueeze(-1) * w;
  if (c.needs(1)) {
    int64_t rows = 1;  // every dim of input but the last
    for (int64_t i = 0; i + 1 < x.dim(); ++i) rows *= x.size(i);
    if (w.dim() == 2)
      r[1] = matmul(g[0].reshape({rows, w.size(0)}).t(), x.reshape({rows, w.size(1)}));
    else
      r[1] = x.dim() == 1 ? g[0] * x : matmul(g[0].reshape({rows}), x.reshape({rows, w.size(0)}));
  }
  if (c.needs(2)) r[2] = sum_to(g[0], c.input(2).sizes());
  return r;
}

}  // namespace

OpDef& mm_op = def("mm").input("self").input("mat2").set_meta(mm_meta).set_cpu(mm_kernel<false>)
                   .set_cpu_ref(mm_kernel<true>).set_backward(mm_backward).set_onnx("MatMul");
OpDef& bmm_op = def("bmm").input("self").input("mat2").set_meta(bmm_meta).set_cpu(mm_kernel<false>)
                    .set_cpu_ref(mm_kernel<true>).set_backward(bmm_backward).set_onnx("MatMul");
OpDef& addmm_op = def("addmm").input("self").input("mat1").input("mat2").attr("beta", Scalar(1)).attr("alpha", Scalar(1))
                      .set_meta(addmm_meta).set_cpu(addmm_kernel<false>).set_cpu_ref(addmm_kernel<true>)
                      .set_backward(addmm_backward).set_onnx("Gemm");
OpDef& matmul_op = def("matmul").input("self").input("other").set_meta(matmul_meta).set_cpu(matmul_kernel<false>)
                       .set_cpu_ref(matmul_kernel<true>).set_backward(matmul_backward).set_onnx("MatMul");
OpDef& linear_op = def("linear").input("input").input("weight").input("bias").set_meta(linear_meta)
                       .set_cpu(linear_kernel<false>).set_cpu_ref(linear_kernel<true>)
                       .set_backward(linear_backward).set_onnx("Gemm");
OpDef& linear_fused_op = def("linear_fused").input("input").input("weight").input("bias")
                             .attr("activation", std::string("none")).attr("act_min", 0.0).attr("act_max", 0.0)
                             .set_meta(linear_fused_meta).set_cpu(linear_fused_kernel<false>)
                             .set_cpu_ref(linear_fused_kernel<true>);

}  // namespace ops

using ops::call;

Tensor mm(const Tensor& a, const Tensor& b) { return call(ops::mm_op, {a, b}); }
Tensor bmm(const Tensor& a, const Tensor& b) { return call(ops::bmm_op, {a, b}); }
Tensor addmm(const Tensor& self, const Tensor& m1, const Tensor& m2, const Scalar& beta, const Scalar& alpha) {
  return call(ops::addmm_op, {self, m1, m2}, {beta, alpha});
}
Tensor matmul(const Tensor& a, const Tensor& b) { return call(ops::matmul_op, {a, b}); }
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  return call(ops::linear_op, {input, weight, bias});
}

Tensor dot(const Tensor& a, const Tensor& b) {
  SINTER_CHECK(a.dim() == 1 && b.dim() == 1, ShapeError, "dot: expected 1-D tensors, but got ", shape_str(a.sizes()),
               " and ", shape_str(b.sizes()));
  SINTER_CHECK(a.size(0) == b.size(0), ShapeError, "dot: inconsistent tensor sizes ", shape_str(a.sizes()), " and ",
               shape_str(b.sizes()));
  ops::check_same_dtype("dot", a, b);
  return matmul(a, b);
}

Tensor mv(const Tensor& a, const Tensor& v) {
  SINTER_CHECK(a.dim() == 2 && v.dim() == 1, ShapeError, "mv: expected a 2-D matrix and a 1-D vector, but got ",
               shape_str(a.sizes()), " and ", shape_str(v.sizes()));
  SINTER_CHECK(a.size(1) == v.size(0), ShapeError, "mv: size mismatch, matrix ", shape_str(a.sizes()), " and vector ",
               shape_str(v.sizes()));
  ops::check_same_dtype("mv", "matrix", a, "vector", v);
  return matmul(a, v);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  SINTER_CHECK(a.dim() == 1 && b.dim() == 1, ShapeError, "outer: expected 1-D vectors, but got ", shape_str(a.sizes()),
               " and ", shape_str(b.sizes()));
  return a.unsqueeze(1) * b;
}

// ---- einsum ------------------------------------------------------------------------------------
//
// Every operand is brought to one common layout of D dims (the ellipsis dims, then one dim per
// subscript; size 1 where an operand lacks it); repeated subscripts within an operand become a
// diagonal first. Operands are then combined left to right: a subscript is summed out as soon as
// no later operand and not the output use it, by one bmm over (batch, left, contracted) x
// (batch, contracted, right), or by a broadcast multiply when nothing is contracted.

namespace {

constexpr int kEllipsis = -1;

int subscript_id(char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return 26 + (ch - 'a');
  return -2;
}
char subscript_char(int id) { return id < 26 ? static_cast<char>('A' + id) : static_cast<char>('a' + id - 26); }

// Parses one term ("ij", "b...k") into ids (kEllipsis for "...").
std::vector<int> parse_term(std::string_view eq, size_t begin, size_t end) {
  std::vector<int> ids;
  bool ell = false;
  for (size_t i = begin; i < end; ++i) {
    char ch = eq[i];
    if (ch == ' ') continue;
    if (ch == '.') {
      SINTER_CHECK(!ell && i + 3 <= end && eq.substr(i, 3) == "...", ValueError,
                   "einsum(): found '.' for operand at index ", i,
                   " that is not part of any ellipsis, or more than one ellipsis in one term: '", eq, "'");
      ell = true;
      ids.push_back(kEllipsis);
      i += 2;
      continue;
    }
    int id = subscript_id(ch);
    SINTER_CHECK(id >= 0, ValueError, "einsum(): invalid subscript given at index ", i, " in the equation string '", eq,
                 "', subscripts must be in [a-zA-Z]");
    ids.push_back(id);
  }
  return ids;
}

// a and b (both D dims) multiplied and summed over `sum_dims`; summed dims keep size 1.
Tensor sumproduct(Tensor a, Tensor b, const std::vector<int64_t>& sum_dims) {
  const int64_t D = a.dim();
  std::vector<int64_t> contract;
  for (int64_t d : sum_dims) {
    bool an = a.size(d) != 1, bn = b.size(d) != 1;
    if (an && bn) contract.push_back(d);
    else if (an) a = a.sum({d}, true);
    else if (bn) b = b.sum({d}, true);
  }
  if (contract.empty()) return a * b;
  std::vector<bool> is_contract(static_cast<size_t>(D), false);
  for (int64_t d : contract) is_contract[static_cast<size_t>(d)] = true;
  std::vector<int64_t> lro, lo, ro, rest;
  for (int64_t d = 0; d < D; ++d) {
    if (is_contract[static_cast<size_t>(d)]) continue;
    bool an = a.size(d) != 1, bn = b.size(d) != 1;
    if (an && bn) lro.push_back(d);
    else if (an) lo.push_back(d);
    else if (bn) ro.push_back(d);
    else rest.push_back(d);
  }
  auto prod = [](const Tensor& t, const std::vector<int64_t>& ds) {
    int64_t p = 1;
    for (auto d : ds) p *= t.size(d);
    return p;
  };
  int64_t B = prod(a, lro), LO = prod(a, lo), S = prod(a, contract), RO = prod(b, ro);
  DimVector pa, pb, order, osz;
  for (auto* v : {&lro, &lo, &contract, &ro, &rest})
    for (auto d : *v) pa.push_back(d);
  for (auto* v : {&lro, &contract, &ro, &lo, &rest})
    for (auto d : *v) pb.push_back(d);
  Tensor r = bmm(a.permute(pa).reshape({B, LO, S}), b.permute(pb).reshape({B, S, RO}));
  for (auto* v : {&lro, &lo, &ro})
    for (auto d : *v) {
      order.push_back(d);
      osz.push_back(v == &ro ? b.size(d) : a.size(d));
    }
  for (auto* v : {&contract, &rest})
    for (auto d : *v) {
      order.push_back(d);
      osz.push_back(1);
    }
  DimVector inv(static_cast<size_t>(D));
  for (size_t i = 0; i < order.size(); ++i) inv[static_cast<size_t>(order[i])] = static_cast<int64_t>(i);
  return r.reshape(osz).permute(inv);
}

}  // namespace

Tensor einsum(std::string_view eq, const std::vector<Tensor>& operands) {
  // Terms of the left-hand side, and the output term if given.
  size_t arrow = eq.find("->");
  std::string_view lhs = eq.substr(0, arrow);
  std::vector<std::vector<int>> terms;
  size_t start = 0;
  for (size_t i = 0; i <= lhs.size(); ++i)
    if (i == lhs.size() || lhs[i] == ',') {
      terms.push_back(parse_term(eq, start, i));
      start = i + 1;
    }
  SINTER_CHECK(terms.size() == operands.size(), ValueError, "einsum(): ",
               terms.size() > operands.size() ? "fewer" : "more",
               " operands were provided than specified in the equation '", eq, "' (", operands.size(), " given, ",
               terms.size(), " specified)");
  SINTER_CHECK(!operands.empty(), ValueError, "einsum(): must provide at least one operand");
  for (size_t i = 0; i < operands.size(); ++i) {
    SINTER_CHECK(operands[i].dtype() == operands[0].dtype(), DTypeError,
                 "einsum(): expected all operands to have the same dtype, but operand ", i, " is ",
                 dtype_name(operands[i].dtype()), " and operand 0 is ", dtype_name(operands[0].dtype()));
  }

  // Number of dims each ellipsis stands for.
  const size_t n = operands.size();
  std::vector<int64_t> ell_dims(n, 0);
  int64_t max_ell = 0;
  std::array<int, 52> count{};  // occurrences of each subscript over all inputs
  for (size_t i = 0; i < n; ++i) {
    const auto& t = terms[i];
    bool has_ell = std::find(t.begin(), t.end(), kEllipsis) != t.end();
    int64_t named = static_cast<int64_t>(t.size()) - (has_ell ? 1 : 0);
    int64_t nd = operands[i].dim();
    SINTER_CHECK(has_ell ? nd >= named : nd == named, ShapeError, "einsum(): the number of subscripts in the equation (",
                 named, ") does not match the number of dimensions (", nd, ") for operand ", i,
                 has_ell ? "" : " and no ellipsis was given");
    if (has_ell) ell_dims[i] = nd - named;
    max_ell = std::max(max_ell, ell_dims[i]);
    for (int id : t)
      if (id >= 0) ++count[static_cast<size_t>(id)];
  }

  // The common layout: ellipsis dims first, then one position per subscript used.
  std::array<int64_t, 52> pos;
  pos.fill(-1);
  int64_t D = max_ell;
  for (int id = 0; id < 52; ++id)
    if (count[static_cast<size_t>(id)] > 0) pos[static_cast<size_t>(id)] = D++;

  // Output positions.
  std::vector<int64_t> out_pos;
  if (arrow != std::string_view::npos) {
    std::vector<int> rhs = parse_term(eq, arrow + 2, eq.size());
    std::array<bool, 52> seen{};
    bool ell_seen = false;
    for (int id : rhs) {
      if (id == kEllipsis) {
        SINTER_CHECK(!ell_seen, ValueError, "einsum(): more than one ellipsis in the output of '", eq, "'");
        ell_seen = true;
        for (int64_t d = 0; d < max_ell; ++d) out_pos.push_back(d);
        continue;
      }
      SINTER_CHECK(count[static_cast<size_t>(id)] > 0, ValueError, "einsum(): output subscript ", subscript_char(id),
                   " does not appear in the equation for any input operand ('", eq, "')");
      SINTER_CHECK(!seen[static_cast<size_t>(id)], ValueError, "einsum(): output subscript ", subscript_char(id),
                   " appears more than once in the output ('", eq, "')");
      seen[static_cast<size_t>(id)] = true;
      out_pos.push_back(pos[static_cast<size_t>(id)]);
    }
  } else {
    for (int64_t d = 0; d < max_ell; ++d) out_pos.push_back(d);
    for (int id = 0; id < 52; ++id)
      if (count[static_cast<size_t>(id)] == 1) out_pos.push_back(pos[static_cast<size_t>(id)]);
  }

  // What a layout position stands for, in error messages.
  auto what_at = [&](int64_t p) {
    if (p < max_ell) return "ellipsis dimension " + std::to_string(p);
    for (int id = 0; id < 52; ++id)
      if (pos[static_cast<size_t>(id)] == p) return std::string("subscript ") + subscript_char(id);
    return std::string("dimension ") + std::to_string(p);
  };

  // Each operand in the common layout; sizes checked against each other.
  std::vector<Tensor> ts;
  std::vector<int64_t> size(static_cast<size_t>(D), 1);
  std::vector<int64_t> last_use(static_cast<size_t>(D), -1);
  for (size_t i = 0; i < n; ++i) {
    Tensor t = operands[i];
    std::vector<int64_t> lab;  // layout position of each dim of t
    for (int id : terms[i]) {
      if (id == kEllipsis)
        for (int64_t e = 0; e < ell_dims[i]; ++e) lab.push_back(max_ell - ell_dims[i] + e);
      else
        lab.push_back(pos[static_cast<size_t>(id)]);
    }
    // Repeated subscripts: take the diagonal (which moves that dim last), until none is left.
    for (bool again = true; again;) {
      again = false;
      for (size_t a = 0; a < lab.size() && !again; ++a)
        for (size_t b = a + 1; b < lab.size(); ++b) {
          if (lab[a] != lab[b]) continue;
          const int64_t da = static_cast<int64_t>(a), db = static_cast<int64_t>(b);
          SINTER_CHECK(t.size(da) == t.size(db), ShapeError, "einsum(): ", what_at(lab[a]), " is repeated for operand ",
                       i, " but the sizes don't match, ", t.size(da), " != ", t.size(db));
          t = t.diagonal(0, da, db);
          int64_t l = lab[a];
          lab.erase(lab.begin() + static_cast<std::ptrdiff_t>(b));
          lab.erase(lab.begin() + static_cast<std::ptrdiff_t>(a));
          lab.push_back(l);
          again = true;
          break;
        }
    }
    DimVector perm;
    for (int64_t p = 0; p < D; ++p)
      for (size_t k = 0; k < lab.size(); ++k)
        if (lab[k] == p) perm.push_back(static_cast<int64_t>(k));
    t = t.permute(perm);
    for (int64_t p = 0; p < D; ++p) {
      if (std::find(lab.begin(), lab.end(), p) == lab.end()) {
        t = t.unsqueeze(p);
        continue;
      }
      last_use[static_cast<size_t>(p)] = static_cast<int64_t>(i);
      int64_t s = t.size(p);
      if (s == 1) continue;
      auto& known = size[static_cast<size_t>(p)];
      SINTER_CHECK(known == 1 || known == s, ShapeError, "einsum(): ", what_at(p), " has size ", s, " for operand ", i,
                   " which does not broadcast with previously seen size ", known);
      known = s;
    }
    ts.push_back(t);
  }

  std::vector<bool> is_out(static_cast<size_t>(D), false);
  for (auto p : out_pos) is_out[static_cast<size_t>(p)] = true;
  auto sums_at = [&](int64_t i) {
    std::vector<int64_t> dims;
    for (int64_t p = 0; p < D; ++p)
      if (!is_out[static_cast<size_t>(p)] && last_use[static_cast<size_t>(p)] == i) dims.push_back(p);
    return dims;
  };
  Tensor r = ts[0];
  {
    std::vector<int64_t> dims;
    for (int64_t p : sums_at(0))
      if (r.size(p) != 1) dims.push_back(p);
    if (!dims.empty()) r = r.sum(dims, true);
  }
  for (size_t i = 1; i < n; ++i) r = sumproduct(r, ts[i], sums_at(static_cast<int64_t>(i)));

  // Output dims first, in the output's order; the rest are size 1 by now.
  DimVector perm(out_pos.begin(), out_pos.end()), osz;
  for (auto p : out_pos) osz.push_back(r.size(p));
  for (int64_t p = 0; p < D; ++p)
    if (!is_out[static_cast<size_t>(p)]) {
      perm.push_back(p);
      if (r.size(p) != 1) r = r.sum({p}, true);  // ellipsis dims left out of an explicit output
    }
  if (D == 0) return r;
  return r.permute(perm).reshape(osz);
}

Tensor Tensor::matmul(const Tensor& o) const { return sinter::matmul(*this, o); }
Tensor Tensor::mm(const Tensor& o) const { return sinter::mm(*this, o); }
Tensor Tensor::bmm(const Tensor& o) const { return sinter::bmm(*this, o); }
Tensor Tensor::mv(const Tensor& v) const { return sinter::mv(*this, v); }
Tensor Tensor::dot(const Tensor& o) const { return sinter::dot(*this, o); }
Tensor Tensor::outer(const Tensor& o) const { return sinter::outer(*this, o); }
Tensor Tensor::addmm(const Tensor& m1, const Tensor& m2, const Scalar& beta, const Scalar& alpha) const {
  return sinter::addmm(*this, m1, m2, beta, alpha);
}

}  // namespace sinter
