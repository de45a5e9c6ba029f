#include "kernels/cpu/dnnl_gemm.h"

#include <algorithm>
#include <vector>

#include "core/tensor_util.h"
#include "kernels/cpu/dnnl_common.h"
#include "kernels/cpu/loops.h"

namespace sinter::kernels {

namespace {

using onednn::dims;

// One batch dimension after broadcasting and merging; strides in elements, 0 = broadcast.
struct BatchDim {
  int64_t size, sa, sb, so;
};

// The GEMM as the kernels see it: collapsed batch dims and the element strides of each matrix.
struct Plan {
  std::vector<BatchDim> batch;  // outermost first
  int64_t count = 1;            // product of batch sizes
  int64_t M = 0, N = 0, K = 0;
  int64_t a_rs = 0, a_cs = 0, b_rs = 0, b_cs = 0;
  const char* a = nullptr;
  const char* b = nullptr;
  char* o = nullptr;
};

// Row- or column-major (with any leading dimension), the layouts a GEMM reads in place.
bool gemm_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  if (rows <= 1 || cols <= 1) return (rows <= 1 || rs > 0) && (cols <= 1 || cs > 0);
  bool row_major = cs == 1 && rs >= cols;
  bool col_major = rs == 1 && cs >= rows;
  return row_major || col_major;
}

Tensor contiguous_copy(const Tensor& t) {
  Tensor c = sinter::detail::make_empty(t.sizes(), t.dtype(), t.device());
  copy_kernel(c, t);
  return c;
}

Plan make_plan(const Tensor& out, const Tensor& a, const Tensor& b) {
  Plan p;
  const int64_t nd = out.dim();
  p.M = out.size(-2);
  p.N = out.size(-1);
  p.K = a.size(-1);
  p.a_rs = a.stride(-2);
  p.a_cs = a.stride(-1);
  p.b_rs = b.stride(-2);
  p.b_cs = b.stride(-1);
  p.a = static_cast<const char*>(a.data_ptr());
  p.b = static_cast<const char*>(b.data_ptr());
  p.o = static_cast<char*>(out.data_ptr());
  for (int64_t d = 0; d < nd - 2; ++d) {
    int64_t n = out.size(d);
    if (n == 1) continue;
    BatchDim bd{n, a.size(d) == 1 ? 0 : a.stride(d), b.size(d) == 1 ? 0 : b.stride(d), out.stride(d)};
    if (!p.batch.empty()) {
      BatchDim& prev = p.batch.back();
      if (prev.sa == bd.sa * n && prev.sb == bd.sb * n && prev.so == bd.so * n) {
        prev.size *= n;
        prev.sa = bd.sa;
        prev.sb = bd.sb;
        prev.so = bd.so;
        continue;
      }
    }
    p.batch.push_back(bd);
  }
  // Rows of all batches of `a` against one shared `b`: one GEMM with B*M rows.
  if (p.batch.size() == 1 && p.batch[0].sb == 0 && p.batch[0].sa != 0 && (p.a_cs == 1 || p.K == 1)) {
    const BatchDim& bd = p.batch[0];
    int64_t rs = p.M == 1 ? bd.sa : p.a_rs;
    if (bd.sa == p.M * rs && bd.so == p.M * p.N && rs >= p.K) {
      p.M *= bd.size;
      p.a_rs = rs;
      p.a_cs = 1;
      p.batch.clear();
    }
  }
  for (auto& bd : p.batch) p.count *= bd.size;
  return p;
}

// Element offsets of batch `i` in a, b, out.
inline void batch_offsets(const Plan& p, int64_t i, int64_t& oa, int64_t& ob, int64_t& oo) {
  oa = ob = oo = 0;
  for (size_t d = p.batch.size(); d-- > 0;) {
    int64_t idx = i % p.batch[d].size;
    i /= p.batch[d].size;
    oa += idx * p.batch[d].sa;
    ob += idx * p.batch[d].sb;
    oo += idx * p.batch[d].so;
  }
}

template <class T>
using acc_t = std::conditional_t<std::is_integral_v<T>, int64_t, std::conditional_t<std::is_same_v<T, double>, double, float>>;

// out = beta * out + bias (what a GEMM with K == 0 leaves).
void fill_k0(const Tensor& out, const Tensor& bias, double alpha, double beta) {
  visit_dtype_no_wide_uint(out.dtype(), "matmul", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {
      using A = acc_t<T>;
      const int64_t N = out.size(-1), rows = out.numel() / std::max<int64_t>(N, 1);
      T* o = static_cast<T*>(out.data_ptr());
      const T* bp = bias.defined() ? static_cast<const T*>(bias.data_ptr()) : nullptr;
      const int64_t bs = bias.defined() ? bias.stride(0) : 0;
      A be = static_cast<A>(beta);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < N; ++j) {
          A v = beta == 0 ? A(0) : be * A(o[r * N + j]);
          if (bp) v += A(bp[j * bs]);
          o[r * N + j] = cast<T>(v);
        }
    }
  });
}

// ---- oneDNN matmul -------------------------------------------------------------------------

struct MatmulEntry : onednn::CacheEntry {
  dnnl::matmul prim;
  dnnl::memory::desc src, wei, bias, dst;
};

// Dims and strides of a oneDNN memory desc for one operand: broadcast batch dims become size 1.
void operand_md(const Plan& p, int which, int64_t rows, int64_t cols, int64_t rs, int64_t cs, dims& d, dims& s) {
  const size_t nb = p.batch.size();
  d.assign(nb + 2, 1);
  s.assign(nb + 2, 1);
  d[nb] = rows;
  d[nb + 1] = cols;
  s[nb] = rs;
  s[nb + 1] = cs;
  int64_t extent = std::max(rows * rs, cols * cs);
  for (size_t i = nb; i-- > 0;) {
    const BatchDim& bd = p.batch[i];
    int64_t st = which == 0 ? bd.sa : which == 1 ? bd.sb : bd.so;
    d[i] = st == 0 ? 1 : bd.size;
    s[i] = st == 0 ? extent : st;
    extent = std::max(extent, s[i] * d[i]);
  }
}

// Unambiguous strides for a matrix that gemm_layout accepted: vectors and 1x1 matrices get
// strides that read as exactly one of row- or column-major.
void normalise(int64_t rows, int64_t cols, int64_t& rs, int64_t& cs) {
  if (rows <= 1 && cols <= 1) {
    rs = cs = 1;
  } else if (rows <= 1) {
    if (cs == 1) rs = cols;
    else rs = 1;
  } else if (cols <= 1) {
    if (rs == 1) cs = rows;
    else cs = 1;
  }
}

bool gemm_onednn(const Plan& p0, DType dtype, const Tensor& bias, double alpha, double beta, const Activation& act) {
  auto dtp = onednn::data_type(dtype);
  if (!dtp || (dtype != kFloat && dtype != kBFloat16)) return false;
  if (p0.batch.size() + 2 > DNNL_MAX_NDIMS) return false;
  if (bias.defined() && alpha != 1) return false;
  Plan p = p0;
  normalise(p.M, p.K, p.a_rs, p.a_cs);
  normalise(p.K, p.N, p.b_rs, p.b_cs);

  onednn::Key key(1);
  key.add(static_cast<int64_t>(dtype)).add(static_cast<int64_t>(p.batch.size()));
  for (auto& bd : p.batch) key.add(bd.size).add(bd.sa).add(bd.sb).add(bd.so);
  key.add(p.M).add(p.N).add(p.K).add(p.a_rs).add(p.a_cs).add(p.b_rs).add(p.b_cs);
  key.add(bias.defined() ? 1 : 0).add_double(alpha).add_double(beta);
  key.add(static_cast<int64_t>(act.kind)).add_double(act.lo).add_double(act.hi);

  auto e = onednn::cached<MatmulEntry>(key, [&] {
    auto ent = std::make_shared<MatmulEntry>();
    dims d, s;
    operand_md(p, 0, p.M, p.K, p.a_rs, p.a_cs, d, s);
    ent->src = dnnl::memory::desc(d, *dtp, s);
    operand_md(p, 1, p.K, p.N, p.b_rs, p.b_cs, d, s);
    ent->wei = dnnl::memory::desc(d, *dtp, s);
    operand_md(p, 2, p.M, p.N, p.N, 1, d, s);
    ent->dst = dnnl::memory::desc(d, *dtp, s);
    if (bias.defined()) {
      dims bd(d.size(), 1), bs(d.size(), 1);
      bd.back() = p.N;
      bs.back() = 1;
      for (size_t i = bd.size() - 1; i-- > 0;) bs[i] = bs[i + 1] * bd[i + 1];
      ent->bias = dnnl::memory::desc(bd, *dtp, bs);
    }
    dnnl::primitive_attr attr;
    if (alpha != 1) onednn::set_matmul_alpha(attr, static_cast<float>(alpha));
    dnnl::post_ops po;
    if (beta != 0) po.append_sum(static_cast<float>(beta));
    append_activation(po, act);
    attr.set_post_ops(po);
    auto pd = onednn::matmul_pd(ent->src, ent->wei, ent->bias, ent->dst, attr);
    ent->prim = dnnl::matmul(pd);
    return ent;
  });
  if (!e) return false;
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, onednn::wrap(e->src, const_cast<char*>(p.a))},
      {DNNL_ARG_WEIGHTS, onednn::wrap(e->wei, const_cast<char*>(p.b))},
      {DNNL_ARG_DST, onednn::wrap(e->dst, p.o)}};
  if (bias.defined()) args.emplace(DNNL_ARG_BIAS, onednn::wrap(e->bias, bias.data_ptr()));
  const float alpha_f = static_cast<float>(alpha);
  if (alpha != 1) onednn::add_matmul_alpha_arg(args, &alpha_f);
  onednn::execute(e->prim, args);
  return true;
}

// ---- blocked C++ GEMM ----------------------------------------------------------------------

template <class T>
void gemm_blocked(const Plan& p, const Tensor& bias, double alpha_d, double beta_d) {
  using A = acc_t<T>;
  constexpr int64_t MC = 64, NC = 256, KC = 256;
  const int64_t M = p.M, N = p.N, K = p.K;
  const int64_t mblocks = (M + MC - 1) / MC;
  const int64_t tasks = p.count * mblocks;
  const bool small = static_cast<double>(M) * N * K * p.count < 65536.0;
  const A alpha = static_cast<A>(alpha_d), beta = static_cast<A>(beta_d);
  const T* bias_p = bias.defined() ? static_cast<const T*>(bias.data_ptr()) : nullptr;
  const int64_t bias_s = bias.defined() ? bias.stride(0) : 0;
  parallel_for(tasks, small ? tasks : 1, [&](int64_t t0, int64_t t1) {
    std::vector<A> bp(static_cast<size_t>(std::min(KC, K) * std::min(NC, N)));
    std::vector<A> acc(static_cast<size_t>(std::min(MC, M) * std::min(NC, N)));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t bi = t / mblocks, i0 = (t % mblocks) * MC, mc = std::min(MC, M - i0);
      int64_t oa, ob, oo;
      batch_offsets(p, bi, oa, ob, oo);
      const T* a = reinterpret_cast<const T*>(p.a) + oa;
      const T* b = reinterpret_cast<const T*>(p.b) + ob;
      T* o = reinterpret_cast<T*>(p.o) + oo;
      for (int64_t j0 = 0; j0 < N; j0 += NC) {
        const int64_t nc = std::min(NC, N - j0);
        std::fill(acc.begin(), acc.begin() + mc * nc, A(0));
        for (int64_t k0 = 0; k0 < K; k0 += KC) {
          const int64_t kc = std::min(KC, K - k0);
          // (kc, nc) panel of b, contiguous
          for (int64_t k = 0; k < kc; ++k) {
            const T* brow = b + (k0 + k) * p.b_rs + j0 * p.b_cs;
            A* dst = bp.data() + k * nc;
            if (p.b_cs == 1)
              for (int64_t j = 0; j < nc; ++j) dst[j] = static_cast<A>(brow[j]);
            else
              for (int64_t j = 0; j < nc; ++j) dst[j] = static_cast<A>(brow[j * p.b_cs]);
          }
          for (int64_t i = 0; i < mc; ++i) {
            const T* arow = a + (i0 + i) * p.a_rs + k0 * p.a_cs;
            A* __restrict ar = acc.data() + i * nc;
            for (int64_t k = 0; k < kc; ++k) {
              const A av = static_cast<A>(arow[k * p.a_cs]);
              const A* __restrict br = bp.data() + k * nc;
              for (int64_t j = 0; j < nc; ++j) ar[j] += av * br[j];
            }
          }
        }
        for (int64_t i = 0; i < mc; ++i) {
          T* orow = o + (i0 + i) * N + j0;
          const A* ar = acc.data() + i * nc;
          for (int64_t j = 0; j < nc; ++j) {
            A v = alpha == A(1) ? ar[j] : alpha * ar[j];
            if (beta_d != 0) v += beta * static_cast<A>(orow[j]);
            if (bias_p) v += static_cast<A>(bias_p[(j0 + j) * bias_s]);
            orow[j] = cast<T>(v);
          }
        }
      }
    }
  });
}

void check_args(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& bias) {
  SINTER_ASSERT(out.dim() >= 2 && a.dim() == out.dim() && b.dim() == out.dim(), "gemm ranks ", shape_str(out.sizes()),
                " ", shape_str(a.sizes()), " ", shape_str(b.sizes()));
  SINTER_ASSERT(out.is_contiguous(), "gemm: out must be contiguous");
  SINTER_ASSERT(a.dtype() == out.dtype() && b.dtype() == out.dtype(), "gemm dtypes");
  SINTER_ASSERT(a.size(-1) == b.size(-2) && a.size(-2) == out.size(-2) && b.size(-1) == out.size(-1), "gemm shapes ",
                shape_str(a.sizes()), " ", shape_str(b.sizes()), " ", shape_str(out.sizes()));
  SINTER_ASSERT(!bias.defined() || (bias.dim() == 1 && bias.size(0) == out.size(-1) && bias.dtype() == out.dtype()),
                "gemm bias");
}

}  // namespace

bool gemm_supports(DType d) { return d != kHalf && d != kBool; }

void gemm(const Tensor& out, const Tensor& a_in, const Tensor& b_in, const Tensor& bias_in, double alpha, double beta,
          const Activation& act) {
  check_args(out, a_in, b_in, bias_in);
  Tensor bias = bias_in;
  if (bias.defined() && bias.stride(0) != 1) bias = contiguous_copy(bias);
  if (out.numel() == 0) return;
  if (a_in.size(-1) == 0) {
    fill_k0(out, bias, alpha, beta);
    return apply_epilogue(out, {Tensor(), act});
  }
  Tensor a = a_in, b = b_in;
  if (!gemm_layout(a.size(-2), a.size(-1), a.stride(-2), a.stride(-1))) a = contiguous_copy(a);
  if (!gemm_layout(b.size(-2), b.size(-1), b.stride(-2), b.stride(-1))) b = contiguous_copy(b);
  Plan p = make_plan(out, a, b);
  // oneDNN costs a few microseconds per call; tiny products are faster in the plain loop.
  const bool tiny = static_cast<double>(p.M) * p.N * p.K * p.count < 8192;
  if (!tiny && gemm_onednn(p, out.dtype(), bias, alpha, beta, act)) return;
  visit_dtype_no_wide_uint(out.dtype(), "matmul", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, Half>) {
      SINTER_ASSERT(false, "gemm: unsupported dtype ", dtype_name(out.dtype()));
    } else {
      gemm_blocked<T>(p, bias, alpha, beta);
    }
  });
  apply_epilogue(out, {Tensor(), act});
}

void gemm_reference(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& bias, double alpha, double beta,
                    const Activation& act) {
  check_args(out, a, b, bias);
  if (out.numel() == 0) return;
  const int64_t nd = out.dim(), M = out.size(-2), N = out.size(-1), K = a.size(-1);
  int64_t batches = out.numel() / (M * N);
  visit_dtype_no_wide_uint(out.dtype(), "matmul", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, Half>) {
      SINTER_ASSERT(false, "gemm: unsupported dtype ", dtype_name(out.dtype()));
    } else {
      using A = std::conditional_t<std::is_integral_v<T>, int64_t, double>;
      const T* ap = static_cast<const T*>(a.data_ptr());
      const T* bp = static_cast<const T*>(b.data_ptr());
      T* op = static_cast<T*>(out.data_ptr());
      const int64_t sam = a.stride(-2), sak = a.stride(-1), sbk = b.stride(-2), sbn = b.stride(-1);
      const T* biasp = bias.defined() ? static_cast<const T*>(bias.data_ptr()) : nullptr;
      const int64_t sbias = bias.defined() ? bias.stride(0) : 0;
      for (int64_t bi = 0; bi < batches; ++bi) {
        int64_t oa = 0, ob = 0, rem = bi;
        for (int64_t d = nd - 3; d >= 0; --d) {
          int64_t idx = rem % out.size(d);
          rem /= out.size(d);
          if (a.size(d) != 1) oa += idx * a.stride(d);
          if (b.size(d) != 1) ob += idx * b.stride(d);
        }
        for (int64_t i = 0; i < M; ++i)
          for (int64_t j = 0; j < N; ++j) {
            A s = 0;
            for (int64_t k = 0; k < K; ++k)
              s += static_cast<A>(ap[oa + i * sam + k * sak]) * static_cast<A>(bp[ob + k * sbk + j * sbn]);
            T& o = op[(bi * M + i) * N + j];
            A v = static_cast<A>(alpha) * s;
            if (beta != 0) v += static_cast<A>(beta) * static_cast<A>(o);
            if (biasp) v += static_cast<A>(biasp[j * sbias]);
            o = cast<T>(v);
          }
      }
    }
  });
  apply_epilogue(out, {Tensor(), act});
}

}  // namespace sinter::kernels
