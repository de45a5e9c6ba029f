#include "sinter/nn/activation.h"

#include <cmath>

#include "sinter/autograd.h"
#include "sinter/ops/nn.h"
#include "sinter/ops/unary.h"

namespace sinter::nn {

namespace {
/// op(input), written into `input` when inplace (as PyTorch's inplace=True modules). When
/// autograd records, the op runs on a copy so that what it saves for backward stays intact.
template <class Op>
Tensor apply_maybe_inplace(Tensor& input, bool inplace, Op&& op) {
  if (!inplace) return op(input);
  const bool recording = GradMode::is_enabled() && input.requires_grad();
  Tensor result = op(recording ? input.clone() : input);
  input.copy_(result);
  return input;
}
/// Python prints an int-valued option given as an int without ".0" (Softplus(beta=1)).
std::string py_number(double v) {
  if (std::floor(v) == v && std::abs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  return detail::py_float(v);
}
}  // namespace

Tensor SigmoidImpl::forward(const Tensor& input) { return sigmoid(input); }
Tensor TanhImpl::forward(const Tensor& input) { return tanh(input); }
Tensor MishImpl::forward(const Tensor& input) { return mish(input); }
Tensor HardsigmoidImpl::forward(const Tensor& input) { return hardsigmoid(input); }
Tensor HardswishImpl::forward(const Tensor& input) { return hardswish(input); }
Tensor LogSigmoidImpl::forward(const Tensor& input) { return logsigmoid(input); }

Tensor ReLUImpl::forward(Tensor input) { return options.inplace() ? input.relu_() : relu(input); }
Tensor ReLU6Impl::forward(Tensor input) {
  return apply_maybe_inplace(input, options.inplace(), [&](const Tensor& t) { return relu6(t); });
}
Tensor SELUImpl::forward(Tensor input) {
  return apply_maybe_inplace(input, options.inplace(), [&](const Tensor& t) { return selu(t); });
}
Tensor SiLUImpl::forward(Tensor input) {
  return apply_maybe_inplace(input, options.inplace(), [&](const Tensor& t) { return silu(t); });
}

Tensor LeakyReLUImpl::forward(Tensor input) {
  return apply_maybe_inplace(input, options.inplace(),
                             [&](const Tensor& t) { return leaky_relu(t, options.negative_slope()); });
}
std::string LeakyReLUImpl::extra_repr() const {
  return "negative_slope=" + detail::py_float(options.negative_slope()) + (options.inplace() ? ", inplace=True" : "");
}

Tensor ELUImpl::forward(Tensor input) {
  return apply_maybe_inplace(input, options.inplace(), [&](const Tensor& t) { return elu(t, options.alpha()); });
}
std::string ELUImpl::extra_repr() const {
  return "alpha=" + detail::py_float(options.alpha()) + (options.inplace() ? ", inplace=True" : "");
}

GELUImpl::GELUImpl(const GELUOptions& options_) : Module("GELU"), options(options_) {
  SINTER_CHECK(options.approximate() == "none" || options.approximate() == "tanh", ValueError,
               "GELU: approximate must be 'none' or 'tanh', got '", options.approximate(), "'");
}
Tensor GELUImpl::forward(const Tensor& input) { return gelu(input, options.approximate()); }

Tensor SoftplusImpl::forward(const Tensor& input) { return softplus(input, options.beta(), options.threshold()); }
std::string SoftplusImpl::extra_repr() const {
  return "beta=" + py_number(options.beta()) + ", threshold=" + py_number(options.threshold());
}

HardtanhImpl::HardtanhImpl(const HardtanhOptions& options_) : Module("Hardtanh"), options(options_) {
  SINTER_CHECK(options.max_val() > options.min_val(), ValueError, "Hardtanh: max_val (", options.max_val(),
               ") must be greater than min_val (", options.min_val(), ")");
}
Tensor HardtanhImpl::forward(Tensor input) {
  return apply_maybe_inplace(input, options.inplace(),
                             [&](const Tensor& t) { return hardtanh(t, options.min_val(), options.max_val()); });
}
std::string HardtanhImpl::extra_repr() const {
  return "min_val=" + detail::py_float(options.min_val()) + ", max_val=" + detail::py_float(options.max_val()) +
         (options.inplace() ? ", inplace=True" : "");
}

Tensor SoftmaxImpl::forward(const Tensor& input) { return softmax(input, options.dim()); }
Tensor LogSoftmaxImpl::forward(const Tensor& input) { return log_softmax(input, options.dim()); }

}  // namespace sinter::nn
