// Dropout: zeroes elements with probability p while training (scaling the rest by 1/(1-p));
// the identity in eval mode.
#pragma once
#include <string>

#include "sinter/nn/module.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}
  SINTER_NN_ARG(double, p) = 0.5;
  SINTER_NN_ARG(bool, inplace) = false;
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

}  // namespace sinter::nn
