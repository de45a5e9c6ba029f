// Normalisation layers: BatchNorm1d/2d/3d, LayerNorm, GroupNorm, RMSNorm.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sinter/nn/module.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

struct BatchNormOptions {
  BatchNormOptions(int64_t num_features) : num_features_(num_features) {}
  SINTER_ARG(int64_t, num_features);
  SINTER_ARG(double, eps) = 1e-5;
  /// nullopt: a cumulative average (1 / num_batches_tracked), as PyTorch's momentum=None.
  SINTER_ARG(std::optional<double>, momentum) = 0.1;
  SINTER_ARG(bool, affine) = true;
  SINTER_ARG(bool, track_running_stats) = true;
};
using BatchNorm1dOptions = BatchNormOptions;
using BatchNorm2dOptions = BatchNormOptions;
using BatchNorm3dOptions = BatchNormOptions;

/// Training: normalises with the batch's statistics and (when track_running_stats) updates
/// running_mean/running_var with momentum and counts num_batches_tracked. Eval: uses the running
/// statistics. weight starts at 1, bias at 0.
class BatchNormImplBase : public Module {
 public:
  BatchNormImplBase(const BatchNormOptions& options, const char* name);
  Tensor forward(const Tensor& input);
  void reset_running_stats();
  void reset_parameters();
  std::string extra_repr() const override;

  BatchNormOptions options;
  Tensor weight, bias;                     // (num_features), undefined without affine
  Tensor running_mean, running_var;        // (num_features), undefined without track_running_stats
  Tensor num_batches_tracked;              // int64 scalar

 protected:
  virtual void check_input_dim(const Tensor& input) const = 0;
};

class BatchNorm1dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm1dImpl(int64_t num_features) : BatchNorm1dImpl(BatchNormOptions(num_features)) {}
  explicit BatchNorm1dImpl(const BatchNormOptions& options) : BatchNormImplBase(options, "BatchNorm1d") {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};
SINTER_MODULE(BatchNorm1d);

class BatchNorm2dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm2dImpl(int64_t num_features) : BatchNorm2dImpl(BatchNormOptions(num_features)) {}
  explicit BatchNorm2dImpl(const BatchNormOptions& options) : BatchNormImplBase(options, "BatchNorm2d") {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};
SINTER_MODULE(BatchNorm2d);

class BatchNorm3dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm3dImpl(int64_t num_features) : BatchNorm3dImpl(BatchNormOptions(num_features)) {}
  explicit BatchNorm3dImpl(const BatchNormOptions& options) : BatchNormImplBase(options, "BatchNorm3d") {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};
SINTER_MODULE(BatchNorm3d);

struct LayerNormOptions {
  LayerNormOptions(std::vector<int64_t> normalized_shape) : normalized_shape_(std::move(normalized_shape)) {}
  SINTER_ARG(std::vector<int64_t>, normalized_shape);
  SINTER_ARG(double, eps) = 1e-5;
  SINTER_ARG(bool, elementwise_affine) = true;
};
class LayerNormImpl : public Module {
 public:
  explicit LayerNormImpl(std::vector<int64_t> normalized_shape)
      : LayerNormImpl(LayerNormOptions(std::move(normalized_shape))) {}
  explicit LayerNormImpl(const LayerNormOptions& options);
  Tensor forward(const Tensor& input);
  void reset_parameters();
  std::string extra_repr() const override;

  LayerNormOptions options;
  Tensor weight, bias;  // normalized_shape, undefined without elementwise_affine
};
SINTER_MODULE(LayerNorm);

struct GroupNormOptions {
  GroupNormOptions(int64_t num_groups, int64_t num_channels) : num_groups_(num_groups), num_channels_(num_channels) {}
  SINTER_ARG(int64_t, num_groups);
  SINTER_ARG(int64_t, num_channels);
  SINTER_ARG(double, eps) = 1e-5;
  SINTER_ARG(bool, affine) = true;
};
class GroupNormImpl : public Module {
 public:
  GroupNormImpl(int64_t num_groups, int64_t num_channels) : GroupNormImpl(GroupNormOptions(num_groups, num_channels)) {}
  explicit GroupNormImpl(const GroupNormOptions& options);
  Tensor forward(const Tensor& input);
  void reset_parameters();
  std::string extra_repr() const override;

  GroupNormOptions options;
  Tensor weight, bias;  // (num_channels)
};
SINTER_MODULE(GroupNorm);

struct RMSNormOptions {
  RMSNormOptions(std::vector<int64_t> normalized_shape) : normalized_shape_(std::move(normalized_shape)) {}
  SINTER_ARG(std::vector<int64_t>, normalized_shape);
  /// nullopt: the input dtype's machine epsilon (as torch.nn.RMSNorm's eps=None).
  SINTER_ARG(std::optional<double>, eps) = std::nullopt;
  SINTER_ARG(bool, elementwise_affine) = true;
};
/// x / sqrt(mean(x^2 over normalized_shape) + eps) * weight (torch 2.4's nn.RMSNorm).
class RMSNormImpl : public Module {
 public:
  explicit RMSNormImpl(std::vector<int64_t> normalized_shape) : RMSNormImpl(RMSNormOptions(std::move(normalized_shape))) {}
  explicit RMSNormImpl(const RMSNormOptions& options);
  Tensor forward(const Tensor& input);
  void reset_parameters();
  std::string extra_repr() const override;

  RMSNormOptions options;
  Tensor weight;
};
SINTER_MODULE(RMSNorm);

}  // namespace sinter::nn
