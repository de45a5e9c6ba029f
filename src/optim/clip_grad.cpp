#include "sinter/nn/clip_grad.h"

#include <cmath>

#include "sinter/autograd.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/shape.h"
#include "sinter/ops/unary.h"

namespace sinter::nn::utils {

Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  NoGradGuard no_grad;
  std::vector<Tensor> grads;
  for (const auto& p : parameters) {
    SINTER_CHECK(p.defined(), ValueError, "clip_grad_norm_: parameter ", grads.size(), " is an undefined tensor");
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return scalar_tensor(0.0, dtype(kFloat));
  for (const auto& g : grads)
    SINTER_CHECK(g.is_floating_point(), DTypeError, "clip_grad_norm_: gradients must be floating point, got ",
                 dtype_name(g.dtype()));
  Tensor total_norm;
  if (std::isinf(norm_type) && norm_type > 0) {
    std::vector<Tensor> norms;
    for (const auto& g : grads) norms.push_back(g.detach().abs().max());
    total_norm = norms.size() == 1 ? norms[0] : stack(norms).max();
  } else {
    std::vector<Tensor> norms;
    for (const auto& g : grads) norms.push_back(norm(g.detach(), norm_type));
    total_norm = norm(stack(norms), norm_type);
  }
  if (error_if_nonfinite) {
    const double v = total_norm.item<double>();
    SINTER_CHECK(std::isfinite(v), ValueError, "clip_grad_norm_: the total norm of order ", norm_type,
                 " for gradients from `parameters` is non-finite (", v,
                 "), so it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                 "norm anyway, set error_if_nonfinite=false");
  }
  Tensor clip_coef = max_norm / (total_norm + 1e-6);
  Tensor clip_coef_clamped = clip_coef.clamp(std::nullopt, 1.0);
  for (auto& g : grads) {
    Tensor gd = g.detach();
    gd.mul_(clip_coef_clamped.to(g.dtype()));
  }
  return total_norm;
}

Tensor clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type, bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  NoGradGuard no_grad;
  for (const auto& p : parameters) {
    SINTER_CHECK(p.defined(), ValueError, "clip_grad_value_: a parameter is an undefined tensor");
    if (!p.grad().defined()) continue;
    Tensor g = p.grad().detach();
    g.clamp_(-clip_value, clip_value);
  }
}

void clip_grad_value_(const Tensor& parameter, double clip_value) {
  clip_grad_value_(std::vector<Tensor>{parameter}, clip_value);
}

}  // namespace sinter::nn::utils
