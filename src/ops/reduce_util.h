// The reduction driver. A reduction sees its input as a dense (A, K, C) array and reduces
// over K: element (a, k, c) sits at x[(a * K + k) * C + c], and output (a, c) at a * C + c.
//   sum over the last dims:   (A, K, 1)  -> contiguous rows
//   sum over the first dims:  (1, K, C)  -> rows accumulated into C outputs (no transpose)
//   sum over a middle dim:    (A, K, C)
// Inputs whose memory order differs from their dim order (transposed views) are read in
// memory order, without a copy; only layouts with reduced dims interleaved in memory between
// kept ones (or non-dense strides) are first copied. A "reducer" supplies the arithmetic:
//   using Acc;  Acc init();  void step(Acc&, T v, int64_t k);  void merge(Acc& a, const Acc& later);
//   void finish(int64_t out_index, const Acc&, int64_t K);
// and optionally fast paths over contiguous runs:
//   void row(Acc&, const T* x, int64_t n, int64_t k0);       // k0..k0+n of one output
//   void cols(Acc* acc, const T* x, int64_t n, int64_t k0, int64_t rows, int64_t ld);
//        // rows k0..k0+rows (ld apart) for n adjacent outputs
#pragma once
#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"
#include "ops/registry.h"

namespace sinter::ops {

/// Which dims a reduction covers (empty `dims` = all) and the output shape.
struct ReducePlan {
  SmallVector<bool, 8> reduce;  // per input dim
  DimVector out_sizes;       // with keepdim applied
  int64_t outer = 1;         // number of output elements
  int64_t inner = 1;         // elements reduced into each output (K)
};
/// Validates dims (IndexError when out of range, ValueError when repeated), naming `op`.
ReducePlan make_reduce_plan(const char* op, const Tensor& x, IntArrayRef dims, bool keepdim);

/// x viewed as (outer, inner) rows, contiguous (copies when the layout requires it).
Tensor reduce_rows(const Tensor& x, const ReducePlan& p);

/// Sizes with the reduced dims of `p` re-inserted as 1 (for broadcasting a gradient back).
DimVector kept_sizes(const Tensor& x, const ReducePlan& p);
/// g (shaped like the op's output) reshaped so that it broadcasts against the input.
Tensor unsqueeze_reduced(const Tensor& g, const Tensor& x, IntArrayRef dims, bool keepdim);

/// The (A, K, C) view of a reduction's input.
struct ReduceLayout {
  Tensor x;  // dense tensor the view reads (x itself, or a copy)
  int64_t A = 1, K = 1, C = 1;
  /// False when (A, C) enumerates the outputs in another order than the output's own; then
  /// results go to a temporary and `tmp_sizes` / `to_out` say how to permute them back.
  bool direct = true;
  DimVector tmp_sizes, to_out;
};
ReduceLayout reduce_layout(const Tensor& x, const ReducePlan& p);
/// Copies a temporary result in (A, C) order into `out` (the !direct case).
void scatter_reduce_result(const Tensor& tmp, const Tensor& out, const ReduceLayout& L);

/// Runs f(const char* x, A, K, C, std::array<char*, N> outs) where outs[i] receives A * C
/// results in (A, C) order; afterwards they are in outs[i] (contiguous, p.out_sizes).
template <size_t N, class F>
void run_reduce(const Tensor& x, const ReducePlan& p, const std::array<Tensor, N>& outs, F&& f) {
  if (outs[0].numel() == 0) return;
  ReduceLayout L = reduce_layout(x, p);
  std::array<Tensor, N> tmp;
  std::array<char*, N> ptr;
  for (size_t i = 0; i < N; ++i) {
    tmp[i] = L.direct ? outs[i] : detail::make_empty({L.A * L.C}, outs[i].dtype(), outs[i].device());
    ptr[i] = static_cast<char*>(tmp[i].data_ptr());
  }
  f(static_cast<const char*>(L.x.numel() ? L.x.data_ptr() : nullptr), L.A, L.K, L.C, ptr);
  if (!L.direct)
    for (size_t i = 0; i < N; ++i) scatter_reduce_result(tmp[i], outs[i], L);
}

/// Accumulators of a reduction (a plain array: unlike std::vector<bool>, every Acc is addressable).
template <class Acc>
class AccBuf {
 public:
  AccBuf(int64_t n, const Acc& v) : p_(new Acc[static_cast<size_t>(n)]) { std::fill(p_.get(), p_.get() + n, v); }
  Acc* data() { return p_.get(); }
  Acc& operator[](int64_t i) { return p_[static_cast<size_t>(i)]; }

 private:
  std::unique_ptr<Acc[]> p_;
};

namespace detail_reduce {
template <class R, class T>
concept HasRow = requires(const R& r, typename R::Acc& a, const T* x) { r.row(a, x, int64_t(), int64_t()); };
template <class R, class T>
concept HasCols = requires(const R& r, typename R::Acc* a, const T* x) {
  r.cols(a, x, int64_t(), int64_t(), int64_t(), int64_t());
};

template <class T, class R>
void run_row(const R& r, typename R::Acc& acc, const T* x, int64_t n, int64_t k0) {
  if constexpr (HasRow<R, T>) {
    r.row(acc, x, n, k0);
  } else {
    for (int64_t j = 0; j < n; ++j) r.step(acc, x[j], k0 + j);
  }
}
template <class T, class R>
void run_cols(const R& r, typename R::Acc* acc, const T* x, int64_t n, int64_t k0, int64_t rows, int64_t ld) {
  if constexpr (HasCols<R, T>) {
    r.cols(acc, x, n, k0, rows, ld);
  } else {
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < n; ++j) r.step(acc[j], x[i * ld + j], k0 + i);
  }
}
}  // namespace detail_reduce

/// The fast driver over an (A, K, C) input: parallel over outputs, or over K (with partial
/// results merged in order) when there are too few outputs to keep the threads busy.
template <class T, class R>
void reduce_akc(const T* x, int64_t A, int64_t K, int64_t C, const R& r) {
  using Acc = typename R::Acc;
  using namespace detail_reduce;
  if (K == 0) {
    for (int64_t i = 0; i < A * C; ++i) r.finish(i, r.init(), 0);
    return;
  }
  const int64_t grain = kernels::kGrainSize;
  const int64_t nt = omp_get_max_threads();
  if (C == 1) {
    // Enough rows (or too little work): one task per group of rows; else split each row.
    if (A >= nt || K < 2 * grain || nt == 1) {
      kernels::parallel_for(A, std::max<int64_t>(1, grain / K), [&](int64_t b, int64_t e) {
        for (int64_t a = b; a < e; ++a) {
          Acc acc = r.init();
          run_row(r, acc, x + a * K, K, 0);
          r.finish(a, acc, K);
        }
      });
      return;
    }
    for (int64_t a = 0; a < A; ++a) {
      const int64_t chunks = std::min<int64_t>(nt, K / grain);
      AccBuf<Acc> part(chunks, r.init());
      kernels::parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          int64_t k0 = K * t / chunks, k1 = K * (t + 1) / chunks;
          run_row(r, part[t], x + a * K + k0, k1 - k0, k0);
        }
      });
      for (int64_t t = 1; t < chunks; ++t) r.merge(part[0], part[t]);
      r.finish(a, part[0], K);
    }
    return;
  }
  // Columns: each task owns a block of adjacent outputs and walks the K rows once.
  constexpr int64_t kBlock = 1024;
  const int64_t nb = (C + kBlock - 1) / kBlock;
  if (A * nb >= nt || K * C < 2 * grain || nt == 1) {
    kernels::parallel_for(A * nb, std::max<int64_t>(1, grain / (K * std::min(C, kBlock))), [&](int64_t b, int64_t e) {
      AccBuf<Acc> acc(std::min(C, kBlock), r.init());
      for (int64_t t = b; t < e; ++t) {
        const int64_t a = t / nb, c0 = (t % nb) * kBlock, cn = std::min(kBlock, C - c0);
        std::fill(acc.data(), acc.data() + cn, r.init());
        run_cols(r, acc.data(), x + a * K * C + c0, cn, 0, K, C);
        for (int64_t j = 0; j < cn; ++j) r.finish(a * C + c0 + j, acc[j], K);
      }
    });
    return;
  }
  // Few outputs, long K (e.g. sum over dim 0 of (1M, 4)): split K, merge per output.
  for (int64_t a = 0; a < A; ++a) {
    const int64_t chunks = std::min<int64_t>(nt, std::max<int64_t>(1, K * C / grain));
    AccBuf<Acc> part(chunks * C, r.init());  // (chunks, C)
    kernels::parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        int64_t k0 = K * t / chunks, k1 = K * (t + 1) / chunks;
        run_cols(r, part.data() + t * C, x + (a * K + k0) * C, C, k0, k1 - k0, C);
      }
    });
    for (int64_t j = 0; j < C; ++j) {
      for (int64_t t = 1; t < chunks; ++t) r.merge(part[j], part[t * C + j]);
      r.finish(a * C + j, part[j], K);
    }
  }
}

/// The scalar reference: rows copied contiguous, one output at a time, step by step.
template <class T, class R>
void reduce_reference(const Tensor& x, const ReducePlan& p, const R& r) {
  Tensor rows = reduce_rows(x, p);
  const T* xp = static_cast<const T*>(rows.data_ptr());
  for (int64_t i = 0; i < p.outer; ++i) {
    typename R::Acc acc = r.init();
    for (int64_t k = 0; k < p.inner; ++k) r.step(acc, xp[i * p.inner + k], k);
    r.finish(i, acc, p.inner);
  }
}

/// Sum of n contiguous values, accurate (blocked, double across blocks) and vectorisable.
template <class T>
double sum_contiguous(const T* x, int64_t n) {
  using A = compute_t<T>;
  double total = 0;
  constexpr int64_t kBlock = 4096;
  for (int64_t b = 0; b < n; b += kBlock) {
    int64_t e = std::min(n, b + kBlock);
    A acc[8] = {};
    int64_t i = b;
    for (; i + 8 <= e; i += 8)
      for (int k = 0; k < 8; ++k) acc[k] += A(x[i + k]);
    A s = 0;
    for (; i < e; ++i) s += A(x[i]);
    total += static_cast<double>(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + s);
  }
  return total;
}

}  // namespace sinter::ops
