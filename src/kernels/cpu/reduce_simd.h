// SIMD kernels of the reduction family (Highway, runtime dispatch to the best target of the
// CPU): contiguous sums and extrema, row accumulation for reductions over outer dims,
// softmax / log_softmax rows and columns, logsumexp. Callers split work across threads.
#pragma once
#include <cstdint>

namespace sinter::kernels::simd {

/// Sum of x[0..n) (float partial sums per block, double across blocks).
double sum(const float* x, int64_t n);
double sum(const double* x, int64_t n);
/// Sum of (x[i] - c)^2 over x[0..n).
double sum_sq_dev(const float* x, int64_t n, float c);
double sum_sq_dev(const double* x, int64_t n, double c);

// Reductions over an outer dim: `rows` rows of n values, `ld` elements apart, folded into n
// accumulators (read once; tiles of rows stay in cache while each column block is summed).
/// acc[j] += sum over rows r of x[r * ld + j]
void accumulate_sum_rows(double* acc, const float* x, int64_t rows, int64_t n, int64_t ld);
void accumulate_sum_rows(double* acc, const double* x, int64_t rows, int64_t n, int64_t ld);
/// acc[j] += sum over rows r of (x[r * ld + j] - c[j])^2
void accumulate_sq_dev_rows(double* acc, const float* x, const float* c, int64_t rows, int64_t n, int64_t ld);
void accumulate_sq_dev_rows(double* acc, const double* x, const double* c, int64_t rows, int64_t n, int64_t ld);
/// acc[j] = max (min) of acc[j] and x[r * ld + j] over rows, NaN-propagating.
void accumulate_max_rows(float* acc, const float* x, int64_t rows, int64_t n, int64_t ld);
void accumulate_max_rows(double* acc, const double* x, int64_t rows, int64_t n, int64_t ld);
void accumulate_min_rows(float* acc, const float* x, int64_t rows, int64_t n, int64_t ld);
void accumulate_min_rows(double* acc, const double* x, int64_t rows, int64_t n, int64_t ld);

/// Largest / smallest of x[0..n), n >= 1; NaN when any element is NaN.
float max(const float* x, int64_t n);
double max(const double* x, int64_t n);
float min(const float* x, int64_t n);
double min(const double* x, int64_t n);

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
