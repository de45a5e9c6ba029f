// SIMD kernels of the reduction family (Highway, runtime dispatch to the best target of the
// CPU): contiguous sums and extrema, row accumulation for reductions over outer dims,
// softmax / log_softmax rows and columns, logsumexp. Callers split work across threads.
#pragma once
#include <cstdint>

namespace sinter::kernels::simd {

/// Sum of x[0..n) (float partial sums per block, double across blocks).
double sum(const float* x, int64_t n);
double sum(const double* x, int64_t n);
/// acc[i] += x[i] for i < n (a row of a reduction over an outer dim).
void accumulate_sum(double* acc, const float* x, int64_t n);
void accumulate_sum(double* acc, const double* x, int64_t n);

/// Largest / smallest of x[0..n), n >= 1; NaN when any element is NaN.
float max(const float* x, int64_t n);
double max(const double* x, int64_t n);
float min(const float* x, int64_t n);
double min(const double* x, int64_t n);
/// acc[i] = max(acc[i], x[i]) (min), NaN-propagating.
void accumulate_max(float* acc, const float* x, int64_t n);
void accumulate_max(double* acc, const double* x, int64_t n);
void accumulate_min(float* acc, const float* x, int64_t n);
void accumulate_min(double* acc, const double* x, int64_t n);

/// log(sum(exp(x[0..n)))), computed as max + log(sum(exp(x - max))).
double logsumexp(const float* x, int64_t n);
double logsumexp(const double* x, int64_t n);

/// Softmax (or log_softmax when `log`) of one contiguous row of n > 0 values; y may equal x.
void softmax_row(float* y, const float* x, int64_t n, bool log);
void softmax_row(double* y, const double* x, int64_t n, bool log);
/// Softmax along K of a (K, C) block whose rows are `ld` elements apart (in x and y), for
/// every column c < C.
void softmax_cols(float* y, const float* x, int64_t K, int64_t C, int64_t ld, bool log);
void softmax_cols(double* y, const double* x, int64_t K, int64_t C, int64_t ld, bool log);

}  // namespace sinter::kernels::simd
