// Activation modules (ReLU, GELU, Softmax, ...), each calling the sinter op of the same name.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "sinter/nn/module.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

/// An activation without options: `Name()`.
#define SINTER_NN_SIMPLE_ACTIVATION(Name)                      \
  class Name##Impl : public Module {                           \
   public:                                                     \
    Name##Impl() : Module(#Name) {}                            \
    Tensor forward(const Tensor& input);                       \
  };                                                           \
  SINTER_MODULE(Name)

SINTER_NN_SIMPLE_ACTIVATION(Sigmoid);
SINTER_NN_SIMPLE_ACTIVATION(Tanh);
SINTER_NN_SIMPLE_ACTIVATION(Mish);
SINTER_NN_SIMPLE_ACTIVATION(Hardsigmoid);
SINTER_NN_SIMPLE_ACTIVATION(Hardswish);
SINTER_NN_SIMPLE_ACTIVATION(LogSigmoid);
#undef SINTER_NN_SIMPLE_ACTIVATION

/// Options of activations whose only option is `inplace` (ReLU, ReLU6, SELU, SiLU).
struct InplaceOptions {
  InplaceOptions(bool inplace = false) : inplace_(inplace) {}
  SINTER_ARG(bool, inplace) = false;
};
using ReLUOptions = InplaceOptions;
using ReLU6Options = InplaceOptions;
using SELUOptions = InplaceOptions;
using SiLUOptions = InplaceOptions;

#define SINTER_NN_INPLACE_ACTIVATION(Name)                                                  \
  class Name##Impl : public Module {                                                        \
   public:                                                                                  \
    explicit Name##Impl(const InplaceOptions& options = {}) : Module(#Name), options(options) {} \
    Tensor forward(Tensor input);                                                           \
    std::string extra_repr() const override { return options.inplace() ? "inplace=True" : ""; } \
    InplaceOptions options;                                                                 \
  };                                                                                        \
  SINTER_MODULE(Name)

SINTER_NN_INPLACE_ACTIVATION(ReLU);
SINTER_NN_INPLACE_ACTIVATION(ReLU6);
SINTER_NN_INPLACE_ACTIVATION(SELU);
SINTER_NN_INPLACE_ACTIVATION(SiLU);
#undef SINTER_NN_INPLACE_ACTIVATION

struct LeakyReLUOptions {
  SINTER_ARG(double, negative_slope) = 1e-2;
  SINTER_ARG(bool, inplace) = false;
};
class LeakyReLUImpl : public Module {
 public:
  explicit LeakyReLUImpl(const LeakyReLUOptions& options = {}) : Module("LeakyReLU"), options(options) {}
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  LeakyReLUOptions options;
};
SINTER_MODULE(LeakyReLU);

struct ELUOptions {
  SINTER_ARG(double, alpha) = 1.0;
  SINTER_ARG(bool, inplace) = false;
};
class ELUImpl : public Module {
 public:
  explicit ELUImpl(const ELUOptions& options = {}) : Module("ELU"), options(options) {}
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  ELUOptions options;
};
SINTER_MODULE(ELU);

struct GELUOptions {
  /// "none" (exact, with erf) or "tanh".
  SINTER_ARG(std::string, approximate) = "none";
};
class GELUImpl : public Module {
 public:
  explicit GELUImpl(const GELUOptions& options = {});
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override { return "approximate='" + options.approximate() + "'"; }
  GELUOptions options;
};
SINTER_MODULE(GELU);

struct SoftplusOptions {
  SINTER_ARG(double, beta) = 1.0;
  SINTER_ARG(double, threshold) = 20.0;
};
class SoftplusImpl : public Module {
 public:
  explicit SoftplusImpl(const SoftplusOptions& options = {}) : Module("Softplus"), options(options) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  SoftplusOptions options;
};
SINTER_MODULE(Softplus);

struct HardtanhOptions {
  SINTER_ARG(double, min_val) = -1.0;
  SINTER_ARG(double, max_val) = 1.0;
  SINTER_ARG(bool, inplace) = false;
};
class HardtanhImpl : public Module {
 public:
  explicit HardtanhImpl(const HardtanhOptions& options = {});
  Tensor forward(Tensor input);
  std::string extra_repr() const override;
  HardtanhOptions options;
};
SINTER_MODULE(Hardtanh);

struct SoftmaxOptions {
  SoftmaxOptions(int64_t dim) : dim_(dim) {}
  SINTER_ARG(int64_t, dim);
};
using LogSoftmaxOptions = SoftmaxOptions;
class SoftmaxImpl : public Module {
 public:
  explicit SoftmaxImpl(int64_t dim) : SoftmaxImpl(SoftmaxOptions(dim)) {}
  explicit SoftmaxImpl(const SoftmaxOptions& options) : Module("Softmax"), options(options) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override { return "dim=" + std::to_string(options.dim()); }
  SoftmaxOptions options;
};
SINTER_MODULE(Softmax);
class LogSoftmaxImpl : public Module {
 public:
  explicit LogSoftmaxImpl(int64_t dim) : LogSoftmaxImpl(LogSoftmaxOptions(dim)) {}
  explicit LogSoftmaxImpl(const LogSoftmaxOptions& options) : Module("LogSoftmax"), options(options) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override { return "dim=" + std::to_string(options.dim()); }
  LogSoftmaxOptions options;
};
SINTER_MODULE(LogSoftmax);

}  // namespace sinter::nn
