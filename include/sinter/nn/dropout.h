// Dropout: zeroes elements with probability p while training (scaling the rest by 1/(1-p));
// the identity in eval mode.
#pragma once
#include <string>

#include "sinter/nn/module.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}
  SINTER_ARG(double, p) = 0.5;
  SINTER_ARG(bool, inplace) = false;
};

class DropoutImpl : public Module {
 public:
  explicit DropoutImpl(const DropoutOptions& options = {});
  /// The mask comes from the global generator (reproducible under manual_seed).
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  DropoutOptions options;
};
SINTER_MODULE(Dropout);

/// Channel dropout: zeroes whole channels of an (N, C, H, W) or (C, H, W) input with
/// probability p while training (scaling the rest by 1/(1-p)); the identity in eval mode.
using Dropout2dOptions = DropoutOptions;
class Dropout2dImpl : public Module {
 public:
  explicit Dropout2dImpl(const Dropout2dOptions& options = {});
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  Dropout2dOptions options;
};
SINTER_MODULE(Dropout2d);

}  // namespace sinter::nn
