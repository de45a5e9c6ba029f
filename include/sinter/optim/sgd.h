// Stochastic gradient descent with momentum, dampening, Nesterov momentum, weight decay and
// maximize, as PyTorch 1.13's torch.optim.SGD (LibTorch's torch::optim::SGD):
//
//   g = maximize ? -grad : grad;  g += weight_decay * p
//   buf = first step ? g : momentum * buf + (1 - dampening) * g        (when momentum != 0)
//   g = nesterov ? g + momentum * buf : buf
//   p -= lr * g
#pragma once
#include "sinter/optim/optimizer.h"

namespace sinter::optim {

struct SGDOptions : public OptimizerCloneableOptions<SGDOptions> {
  SGDOptions(double lr) : lr_(lr) {}
  SINTER_ARG(double, lr);
  SINTER_ARG(double, momentum) = 0;
  SINTER_ARG(double, dampening) = 0;
  SINTER_ARG(double, weight_decay) = 0;
  SINTER_ARG(bool, nesterov) = false;
  SINTER_ARG(bool, maximize) = false;

 public:
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  MomentumKind momentum_kind() const override { return MomentumKind::Momentum; }
  double get_momentum() const override { return momentum_; }
  void set_momentum(double m) override { momentum_ = m; }
  void validate(const std::string& optimizer) const override;
  void save(serialize::Archive& archive, const std::string& prefix) const override;
  void load(const serialize::Archive& archive, const std::string& prefix) override;
  friend bool operator==(const SGDOptions& a, const SGDOptions& b);
};

struct SGDParamState : public OptimizerCloneableParamState<SGDParamState> {
  SINTER_ARG(Tensor, momentum_buffer);

 public:
  std::vector<std::pair<const char*, Tensor*>> named_tensors() override {
    return {{"momentum_buffer", &momentum_buffer_}};
  }
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults);
  SGD(std::vector<Tensor> params, SGDOptions defaults)
      : SGD(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}
  using Optimizer::step;
  Tensor step(LossClosure closure = nullptr) override;

 protected:
  std::unique_ptr<OptimizerParamState> make_state(const Tensor&) const override {
    return std::make_unique<SGDParamState>();
  }
};

}  // namespace sinter::optim
