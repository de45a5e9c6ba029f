// Strided elementwise loops: coalesce dimensions, split the outer index across the OpenMP
// pool, and call an inner loop over the innermost dimension. Kernels pass a scalar lambda
// (reference, any layout) and may add a contiguous fast path (SIMD).
#pragma once
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>

#include "sinter/tensor.h"

namespace sinter::kernels {

/// Elements per parallel task below which loops stay on one thread.
constexpr int64_t kGrainSize = 32768;

/// Runs f(begin, end) over [0, n) in parallel chunks (serially when small or already in parallel).
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  if (n <= grain) {  // before asking OpenMP anything: small work stays cheap
    f(int64_t(0), n);
    return;
  }
  int nt = omp_get_max_threads();
  if (nt == 1 || omp_in_parallel()) {
    f(int64_t(0), n);
    return;
  }
  int64_t tasks = std::min<int64_t>(nt, (n + grain - 1) / grain);
#pragma omp parallel num_threads(static_cast<int>(tasks))
  {
    int64_t t = omp_get_thread_num();
    int64_t chunk = (n + tasks - 1) / tasks;
    int64_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e) f(b, e);
  }
}

/// N operands (output first) iterated over one shape; strides in bytes.
template <size_t N>
struct StridedLoop {
  DimVector sizes;                          // coalesced, outermost first
  std::array<DimVector, N> strides;         // bytes
  std::array<char*, N> base;

  /// operands: tensors already broadcast (expanded) to `shape`.
  StridedLoop(IntArrayRef shape, const std::array<const Tensor*, N>& ops) {
    for (size_t k = 0; k < N; ++k) base[k] = static_cast<char*>(ops[k]->data_ptr());
    // Visit dims outermost-first in the output's memory order (a channels-last output walks
    // N, H, W, C), drop size-1 dims and merge dims that are contiguous for every operand.
    DimVector order;
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] != 1) order.push_back(static_cast<int64_t>(d));
    const auto& os = ops[0]->impl()->strides;
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return std::abs(os[static_cast<size_t>(a)]) > std::abs(os[static_cast<size_t>(b)]);
    });
    for (int64_t di : order) {
      const size_t d = static_cast<size_t>(di);
      bool merge = !sizes.empty();
      for (size_t k = 0; k < N && merge; ++k) {
        int64_t es = ops[k]->element_size();
        merge = strides[k].back() == ops[k]->impl()->strides[d] * es * shape[d];
      }
      if (merge) {
        sizes.back() *= shape[d];
        for (size_t k = 0; k < N; ++k) strides[k].back() = ops[k]->impl()->strides[d] * ops[k]->element_size();
      } else {
        sizes.push_back(shape[d]);
        for (size_t k = 0; k < N; ++k) strides[k].push_back(ops[k]->impl()->strides[d] * ops[k]->element_size());
      }
    }
    if (sizes.empty()) {
      sizes.push_back(1);
      for (size_t k = 0; k < N; ++k) strides[k].push_back(0);
    }
  }

  int64_t numel() const {
    int64_t n = 1;
    for (auto s : sizes) n *= s;
    return n;
  }

  /// inner(ptrs, inner_strides_bytes, count) is called for runs along the innermost dim.
  template <class Inner>
  void run(Inner&& inner, int64_t grain = kGrainSize) const {
    const size_t nd = sizes.size();
    const int64_t inner_n = sizes[nd - 1];
    std::array<int64_t, N> inner_st;
    for (size_t k = 0; k < N; ++k) inner_st[k] = strides[k][nd - 1];
    int64_t total = numel();
    if (total == 0) return;
    parallel_for(total, grain, [&](int64_t b, int64_t e) {
      // Walk [b, e) of the flattened index, one inner run (or part of one) at a time.
      int64_t i = b;
      while (i < e) {
        int64_t pos = i / inner_n, off = i % inner_n;
        int64_t cnt = std::min(inner_n - off, e - i);
        std::array<char*, N> p = base;
        int64_t rem = pos;
        for (size_t d = nd - 1; d-- > 0;) {
          int64_t idx = rem % sizes[d];
          rem /= sizes[d];
          for (size_t k = 0; k < N; ++k) p[k] += idx * strides[k][d];
        }
        for (size_t k = 0; k < N; ++k) p[k] += off * inner_st[k];
        inner(p, inner_st, cnt);
        i += cnt;
      }
    });
  }
};

/// Expands `t` to `shape` (broadcast view, zero strides), without autograd.
Tensor broadcast_view(const Tensor& t, IntArrayRef shape);

/// out[i] = f(in[i]) with out of type O and in of type I (both may be strided).
template <class O, class I, class F>
void unary_loop(const Tensor& out, const Tensor& in, F&& f) {
  Tensor inb = in.sizes() == out.sizes() ? in : broadcast_view(in, out.sizes());
  StridedLoop<2> loop(out.sizes(), {&out, &inb});
  loop.run([&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
    if (s[0] == sizeof(O) && s[1] == sizeof(I)) {
      O* o = reinterpret_cast<O*>(p[0]);
      const I* x = reinterpret_cast<const I*>(p[1]);
      for (int64_t j = 0; j < n; ++j) o[j] = f(x[j]);
    } else {
      for (int64_t j = 0; j < n; ++j)
        *reinterpret_cast<O*>(p[0] + j * s[0]) = f(*reinterpret_cast<const I*>(p[1] + j * s[1]));
    }
  });
}

/// out[i] = f(a[i], b[i]) with broadcasting of a and b to out's shape.
template <class O, class A, class B, class F>
void binary_loop(const Tensor& out, const Tensor& a, const Tensor& b, F&& f) {
  Tensor ab = a.sizes() == out.sizes() ? a : broadcast_view(a, out.sizes());
  Tensor bb = b.sizes() == out.sizes() ? b : broadcast_view(b, out.sizes());
  StridedLoop<3> loop(out.sizes(), {&out, &ab, &bb});
  loop.run([&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
    O* o = reinterpret_cast<O*>(p[0]);
    const A* x = reinterpret_cast<const A*>(p[1]);
    const B* y = reinterpret_cast<const B*>(p[2]);
    if (s[0] == sizeof(O) && s[1] == sizeof(A) && s[2] == sizeof(B)) {
      for (int64_t j = 0; j < n; ++j) o[j] = f(x[j], y[j]);
    } else if (s[0] == sizeof(O) && s[1] == sizeof(A) && s[2] == 0) {
      const B yv = *y;
      for (int64_t j = 0; j < n; ++j) o[j] = f(x[j], yv);
    } else if (s[0] == sizeof(O) && s[1] == 0 && s[2] == sizeof(B)) {
      const A xv = *x;
      for (int64_t j = 0; j < n; ++j) o[j] = f(xv, y[j]);
    } else {
      for (int64_t j = 0; j < n; ++j)
        *reinterpret_cast<O*>(p[0] + j * s[0]) =
            f(*reinterpret_cast<const A*>(p[1] + j * s[1]), *reinterpret_cast<const B*>(p[2] + j * s[2]));
    }
  });
}

/// out[i] = f(a[i], b[i], c[i]) with broadcasting.
template <class O, class A, class B, class C, class F>
void ternary_loop(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, F&& f) {
  Tensor ab = broadcast_view(a, out.sizes()), bb = broadcast_view(b, out.sizes()), cb = broadcast_view(c, out.sizes());
  StridedLoop<4> loop(out.sizes(), {&out, &ab, &bb, &cb});
  loop.run([&](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
    for (int64_t j = 0; j < n; ++j)
      *reinterpret_cast<O*>(p[0] + j * s[0]) =
          f(*reinterpret_cast<const A*>(p[1] + j * s[1]), *reinterpret_cast<const B*>(p[2] + j * s[2]),
            *reinterpret_cast<const C*>(p[3] + j * s[3]));
  });
}

/// Copies src into dst (same shape or broadcastable), converting dtypes.
void copy_kernel(const Tensor& dst, const Tensor& src);

}  // namespace sinter::kernels
