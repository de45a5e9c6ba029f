// Fused optimizer update kernels: one pass over a parameter's memory does weight decay, the
// moment updates and the step together. Each has a plain scalar reference (`*_ref`) and a SIMD
// form (`*_simd`, Highway, runtime dispatch) for float32 and float64; `*_update` runs the SIMD
// form split across the OpenMP pool (or the reference when set_reference_kernels(true)).
//
// The arithmetic is PyTorch 1.13's single-tensor step, operation by operation: `x.add_(y,
// alpha=a)` and `x.addcmul_(y, z, value=a)` round as fma(a, y, x) and fma(a * y, z, x) (ATen's
// CPU kernels fuse them), `x.addcdiv_(y, z, value=a)` as x + (a * y) / z, and every coefficient
// is computed in double and then rounded to the parameter's type. All pointers are contiguous
// arrays of n elements; a state pointer an option does not use may be null.
#pragma once
#include <cstdint>

namespace sinter::optim::kernels {

struct SGDCoeffs {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
  bool first_step;  // the momentum buffer is set to the gradient instead of decayed
};

struct AdamCoeffs {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize;
  bool decoupled;  // AdamW: p *= 1 - lr * weight_decay instead of g += weight_decay * p
  int64_t step;    // after the increment (>= 1)
};

struct RMSpropCoeffs {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};

struct AdagradCoeffs {
  double lr, lr_decay, weight_decay, eps;
  bool maximize;
  int64_t step;  // after the increment (>= 1)
};

// buf: momentum buffer (momentum != 0).
template <class T> void sgd_ref(T* p, const T* g, T* buf, int64_t n, const SGDCoeffs& c);
template <class T> void sgd_simd(T* p, const T* g, T* buf, int64_t n, const SGDCoeffs& c);
template <class T> void sgd_update(T* p, const T* g, T* buf, int64_t n, const SGDCoeffs& c);

// m, v: first and second moments; vmax: running max of v (amsgrad).
template <class T> void adam_ref(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamCoeffs& c);
template <class T> void adam_simd(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamCoeffs& c);
template <class T> void adam_update(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamCoeffs& c);

// sq: square average; ga: gradient average (centered); buf: momentum buffer (momentum > 0).
template <class T> void rmsprop_ref(T* p, const T* g, T* sq, T* ga, T* buf, int64_t n, const RMSpropCoeffs& c);
template <class T> void rmsprop_simd(T* p, const T* g, T* sq, T* ga, T* buf, int64_t n, const RMSpropCoeffs& c);
template <class T> void rmsprop_update(T* p, const T* g, T* sq, T* ga, T* buf, int64_t n, const RMSpropCoeffs& c);

// sum: accumulated squares.
template <class T> void adagrad_ref(T* p, const T* g, T* sum, int64_t n, const AdagradCoeffs& c);
template <class T> void adagrad_simd(T* p, const T* g, T* sum, int64_t n, const AdagradCoeffs& c);
template <class T> void adagrad_update(T* p, const T* g, T* sum, int64_t n, const AdagradCoeffs& c);

/// Makes the *_update functions run the scalar reference loops (tests compare the two paths).
void set_reference_kernels(bool on);
bool reference_kernels();

/// Elements per parallel task.
constexpr int64_t kOptimGrain = 1 << 16;

}  // namespace sinter::optim::kernels
