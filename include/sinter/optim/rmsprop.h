// RMSprop as PyTorch 1.13's torch.optim.RMSprop:
//
//   g = maximize ? -grad : grad;  g += weight_decay * p
//   sq = alpha * sq + (1 - alpha) * g * g
//   avg = centered ? sqrt(sq - ga * ga) with ga = alpha * ga + (1 - alpha) * g : sqrt(sq);  avg += eps
//   momentum > 0:  buf = momentum * buf + g / avg;  p -= lr * buf
//   otherwise:     p -= lr * g / avg
#pragma once
#include "sinter/optim/optimizer.h"

namespace sinter::optim {

struct RMSpropOptions : public OptimizerCloneableOptions<RMSpropOptions> {
  RMSpropOptions(double lr = 1e-2) : lr_(lr) {}
  SINTER_ARG(double, lr);
  SINTER_ARG(double, alpha) = 0.99;
  SINTER_ARG(double, eps) = 1e-8;
  SINTER_ARG(double, weight_decay) = 0;
  SINTER_ARG(double, momentum) = 0;
  SINTER_ARG(bool, centered) = false;
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
  friend bool operator==(const RMSpropOptions& a, const RMSpropOptions& b);
};

struct RMSpropParamState : public OptimizerCloneableParamState<RMSpropParamState> {
  SINTER_ARG(int64_t, step) = 0;
  SINTER_ARG(Tensor, square_avg);
  SINTER_ARG(Tensor, momentum_buffer);
  SINTER_ARG(Tensor, grad_avg);

 public:
  std::vector<std::pair<const char*, Tensor*>> named_tensors() override {
    return {{"square_avg", &square_avg_}, {"momentum_buffer", &momentum_buffer_}, {"grad_avg", &grad_avg_}};
  }
  int64_t* step_count() override { return &step_; }
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults = {});
  RMSprop(std::vector<Tensor> params, RMSpropOptions defaults = {})
      : RMSprop(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}
  using Optimizer::step;
  Tensor step(LossClosure closure = nullptr) override;

 protected:
  std::unique_ptr<OptimizerParamState> make_state(const Tensor&) const override {
    return std::make_unique<RMSpropParamState>();
  }
};

}  // namespace sinter::optim
