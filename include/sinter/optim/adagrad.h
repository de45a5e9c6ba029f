// Adagrad as PyTorch 1.13's torch.optim.Adagrad (dense gradients):
//
//   t += 1;  g = maximize ? -grad : grad;  g += weight_decay * p
//   clr = lr / (1 + (t - 1) * lr_decay)
//   sum += g * g;  p -= clr * g / (sqrt(sum) + eps)
//
// The accumulator starts at initial_accumulator_value and is created with the parameter's group.
#pragma once
#include "sinter/optim/optimizer.h"

namespace sinter::optim {

struct AdagradOptions : public OptimizerCloneableOptions<AdagradOptions> {
  AdagradOptions(double lr = 1e-2) : lr_(lr) {}
  SINTER_ARG(double, lr);
  SINTER_ARG(double, lr_decay) = 0;
  SINTER_ARG(double, weight_decay) = 0;
  SINTER_ARG(double, initial_accumulator_value) = 0;
  SINTER_ARG(double, eps) = 1e-10;
  SINTER_ARG(bool, maximize) = false;

 public:
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  void validate(const std::string& optimizer) const override;
  void save(serialize::Archive& archive, const std::string& prefix) const override;
  void load(const serialize::Archive& archive, const std::string& prefix) override;
  friend bool operator==(const AdagradOptions& a, const AdagradOptions& b);
};

struct AdagradParamState : public OptimizerCloneableParamState<AdagradParamState> {
  SINTER_ARG(Tensor, sum);
  SINTER_ARG(int64_t, step) = 0;

 public:
  std::vector<std::pair<const char*, Tensor*>> named_tensors() override { return {{"sum", &sum_}}; }
  int64_t* step_count() override { return &step_; }
};

class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults = {});
  Adagrad(std::vector<Tensor> params, AdagradOptions defaults = {})
      : Adagrad(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}
  using Optimizer::step;
  Tensor step(LossClosure closure = nullptr) override;

 protected:
  std::unique_ptr<OptimizerParamState> make_state(const Tensor&) const override {
    return std::make_unique<AdagradParamState>();
  }
  void init_param(const Tensor& param, const OptimizerOptions& options) override;
};

}  // namespace sinter::optim
