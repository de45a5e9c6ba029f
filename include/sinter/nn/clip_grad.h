// Gradient clipping, as PyTorch 1.13's torch.nn.utils.clip_grad_norm_ / clip_grad_value_
// (LibTorch's torch::nn::utils). Parameters without a gradient are skipped.
#pragma once
#include <vector>

#include "sinter/tensor.h"

namespace sinter::nn::utils {

/// Scales the gradients so that their total norm (all gradients as one vector) is at most
/// max_norm: every gradient is multiplied by min(1, max_norm / (total_norm + 1e-6)). norm_type
/// is p of the p-norm (INFINITY for the max norm). Returns the total norm before clipping as a
/// 0-dim tensor (0 when no parameter has a gradient). With error_if_nonfinite, a NaN or
/// infinite total norm is a ValueError and no gradient changes.
Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
Tensor clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient element into [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);
void clip_grad_value_(const Tensor& parameter, double clip_value);

}  // namespace sinter::nn::utils
