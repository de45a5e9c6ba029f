// Pooling: MaxPool2d/3d, AvgPool2d/3d, AdaptiveAvgPool2d.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "sinter/nn/module.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

template <size_t D>
struct MaxPoolOptions {
  /// stride defaults to kernel_size.
  MaxPoolOptions(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}
  SINTER_ARG(ExpandingArray<D>, kernel_size);
  SINTER_ARG(ExpandingArray<D>, stride);
  SINTER_ARG(ExpandingArray<D>, padding) = 0;
  SINTER_ARG(ExpandingArray<D>, dilation) = 1;
  SINTER_ARG(bool, ceil_mode) = false;
};
using MaxPool2dOptions = MaxPoolOptions<2>;
using MaxPool3dOptions = MaxPoolOptions<3>;

template <size_t D>
class MaxPoolNdImpl : public Module {
 public:
  MaxPoolNdImpl(const MaxPoolOptions<D>& options, const char* name);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  MaxPoolOptions<D> options;
};

class MaxPool2dImpl : public MaxPoolNdImpl<2> {
 public:
  explicit MaxPool2dImpl(ExpandingArray<2> kernel_size) : MaxPool2dImpl(MaxPool2dOptions(kernel_size)) {}
  explicit MaxPool2dImpl(const MaxPool2dOptions& options) : MaxPoolNdImpl<2>(options, "MaxPool2d") {}
};
SINTER_MODULE(MaxPool2d);

class MaxPool3dImpl : public MaxPoolNdImpl<3> {
 public:
  explicit MaxPool3dImpl(ExpandingArray<3> kernel_size) : MaxPool3dImpl(MaxPool3dOptions(kernel_size)) {}
  explicit MaxPool3dImpl(const MaxPool3dOptions& options) : MaxPoolNdImpl<3>(options, "MaxPool3d") {}
};
SINTER_MODULE(MaxPool3d);

template <size_t D>
struct AvgPoolOptions {
  AvgPoolOptions(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}
  SINTER_ARG(ExpandingArray<D>, kernel_size);
  SINTER_ARG(ExpandingArray<D>, stride);
  SINTER_ARG(ExpandingArray<D>, padding) = 0;
  SINTER_ARG(bool, ceil_mode) = false;
  SINTER_ARG(bool, count_include_pad) = true;
  SINTER_ARG(std::optional<int64_t>, divisor_override) = std::nullopt;
};
using AvgPool2dOptions = AvgPoolOptions<2>;
using AvgPool3dOptions = AvgPoolOptions<3>;

template <size_t D>
class AvgPoolNdImpl : public Module {
 public:
  AvgPoolNdImpl(const AvgPoolOptions<D>& options, const char* name);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  AvgPoolOptions<D> options;
};

class AvgPool2dImpl : public AvgPoolNdImpl<2> {
 public:
  explicit AvgPool2dImpl(ExpandingArray<2> kernel_size) : AvgPool2dImpl(AvgPool2dOptions(kernel_size)) {}
  explicit AvgPool2dImpl(const AvgPool2dOptions& options) : AvgPoolNdImpl<2>(options, "AvgPool2d") {}
};
SINTER_MODULE(AvgPool2d);

class AvgPool3dImpl : public AvgPoolNdImpl<3> {
 public:
  explicit AvgPool3dImpl(ExpandingArray<3> kernel_size) : AvgPool3dImpl(AvgPool3dOptions(kernel_size)) {}
  explicit AvgPool3dImpl(const AvgPool3dOptions& options) : AvgPoolNdImpl<3>(options, "AvgPool3d") {}
};
SINTER_MODULE(AvgPool3d);

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
