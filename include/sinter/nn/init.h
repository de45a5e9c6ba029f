// nn::init: in-place initialisers with PyTorch's formulas (torch.nn.init). Each runs without
// autograd recording, draws from the global generator (sinter::manual_seed), and returns the
// tensor it filled.
#pragma once
#include <cstdint>
#include <tuple>

#include "sinter/nn/options.h"
#include "sinter/scalar.h"
#include "sinter/tensor.h"

namespace sinter::nn {

/// Tags for nonlinearities and fan modes (LibTorch spells them torch::kReLU, torch::kFanIn, ...).
namespace tags {
#define SINTER_NN_TAG(name, str)                  \
  struct name {                                   \
    static constexpr const char* value = str;     \
  };
SINTER_NN_TAG(kFanIn, "fan_in")
SINTER_NN_TAG(kFanOut, "fan_out")
SINTER_NN_TAG(kLinear, "linear")
SINTER_NN_TAG(kConv1D, "conv1d")
SINTER_NN_TAG(kConv2D, "conv2d")
SINTER_NN_TAG(kConv3D, "conv3d")
SINTER_NN_TAG(kConvTranspose1D, "conv_transpose1d")
SINTER_NN_TAG(kConvTranspose2D, "conv_transpose2d")
SINTER_NN_TAG(kConvTranspose3D, "conv_transpose3d")
SINTER_NN_TAG(kSigmoid, "sigmoid")
SINTER_NN_TAG(kTanh, "tanh")
SINTER_NN_TAG(kReLU, "relu")
SINTER_NN_TAG(kLeakyReLU, "leaky_relu")
SINTER_NN_TAG(kSELU, "selu")
SINTER_NN_TAG(kGELU, "gelu")
SINTER_NN_TAG(kZeros, "zeros")
#undef SINTER_NN_TAG
}  // namespace tags

namespace init {

/// The recommended gain for a nonlinearity ("linear", "conv2d", "sigmoid", "tanh", "relu",
/// "leaky_relu" (param = negative slope, default 0.01), "selu"), as torch.nn.init.calculate_gain.
double calculate_gain(const ModeName& nonlinearity, double param = 0.01);
/// (fan_in, fan_out) of a weight of 2 or more dims: (size(1), size(0)) times the receptive field.
std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor);

Tensor uniform_(Tensor tensor, double a = 0.0, double b = 1.0);
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0);
/// Normal(mean, std) redrawn until inside [a, b] (torch.nn.init.trunc_normal_).
Tensor trunc_normal_(Tensor tensor, double mean = 0.0, double std = 1.0, double a = -2.0, double b = 2.0);
Tensor constant_(Tensor tensor, const Scalar& value);
Tensor ones_(Tensor tensor);
Tensor zeros_(Tensor tensor);
/// Identity matrix (2-D tensors only).
Tensor eye_(Tensor tensor);
/// Dirac delta for 3-, 4- or 5-D convolution weights (identity-preserving).
Tensor dirac_(Tensor tensor, int64_t groups = 1);
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);
Tensor xavier_normal_(Tensor tensor, double gain = 1.0);
/// mode "fan_in" or "fan_out"; nonlinearity as calculate_gain (a = its negative slope).
Tensor kaiming_uniform_(Tensor tensor, double a = 0.0, const ModeName& mode = "fan_in",
                        const ModeName& nonlinearity = "leaky_relu");
Tensor kaiming_normal_(Tensor tensor, double a = 0.0, const ModeName& mode = "fan_in",
                       const ModeName& nonlinearity = "leaky_relu");
/// A (semi-)orthogonal matrix from the QR decomposition of a normal draw, times gain
/// (tensors of 2 or more dims, flattened to (size(0), rest)).
Tensor orthogonal_(Tensor tensor, double gain = 1.0);

}  // namespace init
}  // namespace sinter::nn
