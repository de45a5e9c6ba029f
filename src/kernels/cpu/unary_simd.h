// SIMD kernels (Highway, runtime-dispatched) for float32 elementwise unary ops and
// activations, and the strided driver that sends contiguous runs through them.
#pragma once
#include <cstdint>

#include "kernels/cpu/loops.h"

namespace sinter::kernels {

enum class UnaryOp : uint8_t {
  Abs, Neg, Square, Reciprocal, Sqrt, Rsqrt,
  Exp, Expm1, Log, Log2, Log1p,
  Sin, Cos, Tanh, Sigmoid, Erf,
  Floor, Ceil, Round, Trunc,
  Clamp,       // a = min, b = max (NaN-propagating; pass +-inf for a missing bound)
  HardTanh,    // a = min, b = max (same arithmetic as Clamp)
  Relu,
  LeakyRelu,   // a = negative_slope
  Elu,         // a = alpha * scale, b = scale, c = input_scale
  GeluErf, GeluTanh, Silu, Mish,
  Softplus,    // a = beta, b = threshold
  Hardsigmoid, Hardswish, Logsigmoid,
};

struct UnaryParams {
  float a = 0, b = 0, c = 0;
};

/// y[i] = op(x[i]) for i < n, over contiguous float32 memory (y may alias x exactly).
void unary_f32(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p = {});

/// out = f(in) elementwise, both float32 and of out's shape (in may be strided): the runs that
/// are contiguous in both go through unary_f32(op), the rest through the scalar f.
template <class F>
void unary_f32_loop(const Tensor& out, const Tensor& in, UnaryOp op, const UnaryParams& p, F&& f,
                    int64_t grain = kGrainSize) {
  Tensor inb = in.sizes() == out.sizes() ? in : broadcast_view(in, out.sizes());
  StridedLoop<2> loop(out.sizes(), {&out, &inb});
  loop.run(
      [&](const std::array<char*, 2>& ptr, const std::array<int64_t, 2>& s, int64_t n) {
        if (s[0] == sizeof(float) && s[1] == sizeof(float) && n > 1) {
          unary_f32(op, reinterpret_cast<const float*>(ptr[1]), reinterpret_cast<float*>(ptr[0]), n, p);
        } else {
          for (int64_t j = 0; j < n; ++j)
            *reinterpret_cast<float*>(ptr[0] + j * s[0]) = f(*reinterpret_cast<const float*>(ptr[1] + j * s[1]));
        }
      },
      grain);
}

}  // namespace sinter::kernels
