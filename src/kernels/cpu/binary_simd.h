// SIMD inner loops of the float32 binary arithmetic ops (Highway, runtime dispatch to the best
// instruction set of the CPU). Each call handles one run of n elements; a stride of 0 means the
// operand is one broadcast value, a stride of 1 a contiguous array.
#pragma once
#include <cstdint>

namespace sinter::kernels {

enum class ArithOp : int { Add, Sub, Mul, Div, Max, Min, Atan2 };

/// o[i] = a[i*sa] op b[i*sb] for i in [0, n); Add/Sub compute a + alpha*b / a - alpha*b.
/// Max/Min propagate NaN; Atan2 is atan2(a, b) (within a few ulp of std::atan2). sa and sb are
/// 0 or 1; o is contiguous.
void arith_f32(ArithOp op, float* o, const float* a, int64_t sa, const float* b, int64_t sb, int64_t n,
               float alpha = 1.0f);

}  // namespace sinter::kernels
