#include "sinter/nn/linear.h"

#include <cmath>

#include "sinter/nn/init.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/nn.h"

namespace sinter::nn {

LinearImpl::LinearImpl(const LinearOptions& options_) : Module("Linear"), options(options_) {
  SINTER_CHECK(options.in_features() >= 0 && options.out_features() >= 0, ValueError,
               "Linear: in_features and out_features must be non-negative (got ", options.in_features(), ", ",
               options.out_features(), ")");
  weight = register_parameter("weight", sinter::empty({options.out_features(), options.in_features()}));
  bias = register_parameter("bias", options.bias() ? sinter::empty({options.out_features()}) : Tensor(), options.bias());
  reset_parameters();
}

void LinearImpl::reset_parameters() {
  // kaiming_uniform_(a=sqrt(5)) gives bound 1/sqrt(fan_in), the same bound the bias uses.
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const int64_t fan_in = options.in_features();
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor LinearImpl::forward(const Tensor& input) {
  SINTER_CHECK(input.defined() && input.dim() >= 1 && input.size(-1) == options.in_features(), ShapeError,
               "Linear: input ", input.defined() ? detail::shape_str(input.sizes()) : "(undefined)",
               " does not match in_features ", options.in_features());
  return linear(input, weight, bias);
}

std::string LinearImpl::extra_repr() const {
  return sinter::detail::str_cat("in_features=", options.in_features(), ", out_features=", options.out_features(),
                                 ", bias=", detail::py_bool(options.bias()));
}

Tensor FlattenImpl::forward(const Tensor& input) {
  return input.flatten(options.start_dim(), options.end_dim());
}
std::string FlattenImpl::extra_repr() const {
  return sinter::detail::str_cat("start_dim=", options.start_dim(), ", end_dim=", options.end_dim());
}

Tensor UnflattenImpl::forward(const Tensor& input) { return input.unflatten(options.dim(), options.sizes()); }
std::string UnflattenImpl::extra_repr() const {
  return sinter::detail::str_cat("dim=", options.dim(), ", unflattened_size=", detail::tuple_str(options.sizes()));
}

}  // namespace sinter::nn
