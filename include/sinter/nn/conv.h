// Convolutions: Conv1d, Conv2d, Conv3d, ConvTranspose2d (PyTorch's initialisation and repr).
#pragma once
#include <cstdint>
#include <string>

#include "sinter/nn/module.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

/// Options of Conv1d/Conv2d/Conv3d: `Conv2dOptions(in, out, 3).stride(2).padding(1)`; padding may be
/// "same"/"valid" (torch::kSame / torch::kValid); padding_mode "zeros" (default), "reflect",
/// "replicate" or "circular".
template <size_t D>
struct ConvOptions {
  ConvOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(std::move(kernel_size)) {}
  SINTER_ARG(int64_t, in_channels);
  SINTER_ARG(int64_t, out_channels);
  SINTER_ARG(ExpandingArray<D>, kernel_size);
  SINTER_ARG(ExpandingArray<D>, stride) = 1;
  SINTER_ARG(ConvPadding<D>, padding) = 0;
  SINTER_ARG(ExpandingArray<D>, dilation) = 1;
  SINTER_ARG(int64_t, groups) = 1;
  SINTER_ARG(bool, bias) = true;
  SINTER_ARG(ModeName, padding_mode) = "zeros";
};
using Conv1dOptions = ConvOptions<1>;
using Conv2dOptions = ConvOptions<2>;
using Conv3dOptions = ConvOptions<3>;

template <size_t D>
class ConvNdImpl : public Module {
 public:
  ConvNdImpl(const ConvOptions<D>& options, const char* name);
  /// Re-draws weight and bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as PyTorch.
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  ConvOptions<D> options;
  Tensor weight;  // (out_channels, in_channels / groups, *kernel_size)
  Tensor bias;    // (out_channels), undefined when options.bias() is false
};

class Conv1dImpl : public ConvNdImpl<1> {
 public:
  Conv1dImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<1> kernel_size)
      : Conv1dImpl(Conv1dOptions(in_channels, out_channels, kernel_size)) {}
  explicit Conv1dImpl(const Conv1dOptions& options) : ConvNdImpl<1>(options, "Conv1d") {}
};
SINTER_MODULE(Conv1d);

class Conv2dImpl : public ConvNdImpl<2> {
 public:
  Conv2dImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : Conv2dImpl(Conv2dOptions(in_channels, out_channels, kernel_size)) {}
  explicit Conv2dImpl(const Conv2dOptions& options) : ConvNdImpl<2>(options, "Conv2d") {}
};
SINTER_MODULE(Conv2d);

class Conv3dImpl : public ConvNdImpl<3> {
 public:
  Conv3dImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<3> kernel_size)
      : Conv3dImpl(Conv3dOptions(in_channels, out_channels, kernel_size)) {}
  explicit Conv3dImpl(const Conv3dOptions& options) : ConvNdImpl<3>(options, "Conv3d") {}
};
SINTER_MODULE(Conv3d);

template <size_t D>
struct ConvTransposeOptions {
  ConvTransposeOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(std::move(kernel_size)) {}
  SINTER_ARG(int64_t, in_channels);
  SINTER_ARG(int64_t, out_channels);
  SINTER_ARG(ExpandingArray<D>, kernel_size);
  SINTER_ARG(ExpandingArray<D>, stride) = 1;
  SINTER_ARG(ExpandingArray<D>, padding) = 0;
  SINTER_ARG(ExpandingArray<D>, output_padding) = 0;
  SINTER_ARG(int64_t, groups) = 1;
  SINTER_ARG(bool, bias) = true;
  SINTER_ARG(ExpandingArray<D>, dilation) = 1;
  /// Only "zeros", as PyTorch.
  SINTER_ARG(ModeName, padding_mode) = "zeros";
};
using ConvTranspose2dOptions = ConvTransposeOptions<2>;

class ConvTranspose2dImpl : public Module {
 public:
  ConvTranspose2dImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : ConvTranspose2dImpl(ConvTranspose2dOptions(in_channels, out_channels, kernel_size)) {}
  explicit ConvTranspose2dImpl(const ConvTranspose2dOptions& options);
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  ConvTranspose2dOptions options;
  Tensor weight;  // (in_channels, out_channels / groups, kH, kW)
  Tensor bias;
};
SINTER_MODULE(ConvTranspose2d);

}  // namespace sinter::nn
