// Batched, strided, broadcasting GEMM: oneDNN matmul for float32 (and bfloat16 where the CPU
// has it), a blocked C++ kernel for the other dtypes, and a plain reference loop.
#pragma once
#include "kernels/cpu/epilogue.h"
#include "sinter/tensor.h"

namespace sinter::kernels {

/// out (B..., M, N) = alpha * a (B..., M, K) @ b (B..., K, N) + beta * out + bias (N).
///
/// a and b have out's rank; each of their batch dims equals out's or is broadcast (size 1 or
/// stride 0). Any strides are accepted: a transposed operand is read in place, an operand whose
/// last two dims are neither row- nor column-major is copied first. out must be contiguous.
/// beta == 0 ignores out's old contents (NaNs there do not propagate). bias is optional, 1-D of
/// size N, of out's dtype. All of a, b, out, bias share one dtype. `act` is applied last
/// (a oneDNN eltwise post-op where oneDNN runs the product).
void gemm(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& bias = {}, double alpha = 1,
          double beta = 0, const Activation& act = {});

/// The same contract as gemm, computed by a plain triple loop (accumulating in double or int64).
void gemm_reference(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& bias = {}, double alpha = 1,
                    double beta = 0, const Activation& act = {});

/// True if gemm supports this dtype (float32/64, bfloat16, integers; not float16 or bool, as PyTorch's CPU).
bool gemm_supports(DType d);

}  // namespace sinter::kernels
