// Linear, Identity, Flatten, Unflatten.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sinter/nn/module.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
  SINTER_ARG(int64_t, in_features);
  SINTER_ARG(int64_t, out_features);
  SINTER_ARG(bool, bias) = true;
};

/// y = x W^T + b over the last dim. weight (out, in) and bias (out) start as
/// U(-1/sqrt(in), 1/sqrt(in)), as PyTorch.
class LinearImpl : public Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features) : LinearImpl(LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const LinearOptions& options);
  /// Re-draws weight and bias with the default initialisation.
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  LinearOptions options;
  Tensor weight;
  Tensor bias;  // undefined when options.bias() is false
};
SINTER_MODULE(Linear);

/// Returns its input.
class IdentityImpl : public Module {
 public:
  IdentityImpl() : Module("Identity") {}
  Tensor forward(const Tensor& input) { return input; }
};
SINTER_MODULE(Identity);

struct FlattenOptions {
  SINTER_ARG(int64_t, start_dim) = 1;
  SINTER_ARG(int64_t, end_dim) = -1;
};
/// Flattens dims start_dim..end_dim into one.
class FlattenImpl : public Module {
 public:
  explicit FlattenImpl(const FlattenOptions& options = {}) : Module("Flatten"), options(options) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  FlattenOptions options;
};
SINTER_MODULE(Flatten);

struct UnflattenOptions {
  UnflattenOptions(int64_t dim, std::vector<int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  SINTER_ARG(int64_t, dim);
  SINTER_ARG(std::vector<int64_t>, sizes);
};
/// Splits dim into `sizes`.
class UnflattenImpl : public Module {
 public:
  UnflattenImpl(int64_t dim, std::vector<int64_t> sizes) : UnflattenImpl(UnflattenOptions(dim, std::move(sizes))) {}
  explicit UnflattenImpl(const UnflattenOptions& options) : Module("Unflatten"), options(options) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  UnflattenOptions options;
};
SINTER_MODULE(Unflatten);

}  // namespace sinter::nn
