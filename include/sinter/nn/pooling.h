// Pooling: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "sinter/nn/module.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

struct MaxPool2dOptions {
  /// stride defaults to kernel_size.
  MaxPool2dOptions(ExpandingArray<2> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}
  SINTER_ARG(ExpandingArray<2>, kernel_size);
  SINTER_ARG(ExpandingArray<2>, stride);
  SINTER_ARG(ExpandingArray<2>, padding) = 0;
  SINTER_ARG(ExpandingArray<2>, dilation) = 1;
  SINTER_ARG(bool, ceil_mode) = false;
};
class MaxPool2dImpl : public Module {
 public:
  explicit MaxPool2dImpl(ExpandingArray<2> kernel_size) : MaxPool2dImpl(MaxPool2dOptions(kernel_size)) {}
  explicit MaxPool2dImpl(const MaxPool2dOptions& options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  MaxPool2dOptions options;
};
SINTER_MODULE(MaxPool2d);

struct AvgPool2dOptions {
  AvgPool2dOptions(ExpandingArray<2> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}
  SINTER_ARG(ExpandingArray<2>, kernel_size);
  SINTER_ARG(ExpandingArray<2>, stride);
  SINTER_ARG(ExpandingArray<2>, padding) = 0;
  SINTER_ARG(bool, ceil_mode) = false;
  SINTER_ARG(bool, count_include_pad) = true;
  SINTER_ARG(std::optional<int64_t>, divisor_override) = std::nullopt;
};
class AvgPool2dImpl : public Module {
 public:
  explicit AvgPool2dImpl(ExpandingArray<2> kernel_size) : AvgPool2dImpl(AvgPool2dOptions(kernel_size)) {}
  explicit AvgPool2dImpl(const AvgPool2dOptions& options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  AvgPool2dOptions options;
};
SINTER_MODULE(AvgPool2d);

struct AdaptiveAvgPool2dOptions {
  AdaptiveAvgPool2dOptions(ExpandingArray<2> output_size) : output_size_(output_size) {}
  SINTER_ARG(ExpandingArray<2>, output_size);
};
class AdaptiveAvgPool2dImpl : public Module {
 public:
  explicit AdaptiveAvgPool2dImpl(ExpandingArray<2> output_size)
      : AdaptiveAvgPool2dImpl(AdaptiveAvgPool2dOptions(output_size)) {}
  explicit AdaptiveAvgPool2dImpl(const AdaptiveAvgPool2dOptions& options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  AdaptiveAvgPool2dOptions options;
};
SINTER_MODULE(AdaptiveAvgPool2d);

}  // namespace sinter::nn
