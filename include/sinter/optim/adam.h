// Adam and AdamW as PyTorch 1.13's torch.optim.Adam / torch.optim.AdamW (single-tensor form):
//
//   g = maximize ? -grad : grad
//   Adam:  g += weight_decay * p          AdamW:  p *= 1 - lr * weight_decay   (decoupled)
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
//   v_hat = amsgrad ? (v_max = max(v_max, v)) : v
//   p -= lr / (1 - beta1^t) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
#pragma once
#include <tuple>

#include "sinter/optim/optimizer.h"

namespace sinter::optim {

/// (beta1, beta2).
using betas_t = std::tuple<double, double>;

struct AdamOptions : public OptimizerCloneableOptions<AdamOptions> {
  AdamOptions(double lr = 1e-3) : lr_(lr) {}
  SINTER_ARG(double, lr);
  SINTER_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  SINTER_ARG(double, eps) = 1e-8;
  SINTER_ARG(double, weight_decay) = 0;
  SINTER_ARG(bool, amsgrad) = false;
  SINTER_ARG(bool, maximize) = false;

 public:
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  MomentumKind momentum_kind() const override { return MomentumKind::Beta1; }
  double get_momentum() const override { return std::get<0>(betas_); }
  void set_momentum(double m) override { std::get<0>(betas_) = m; }
  void validate(const std::string& optimizer) const override;
  void save(serialize::Archive& archive, const std::string& prefix) const override;
  void load(const serialize::Archive& archive, const std::string& prefix) override;
  friend bool operator==(const AdamOptions& a, const AdamOptions& b);
};

/// AdamW: Adam with decoupled weight decay (default 1e-2).
struct AdamWOptions : public OptimizerCloneableOptions<AdamWOptions> {
  AdamWOptions(double lr = 1e-3) : lr_(lr) {}
  SINTER_ARG(double, lr);
  SINTER_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  SINTER_ARG(double, eps) = 1e-8;
  SINTER_ARG(double, weight_decay) = 1e-2;
  SINTER_ARG(bool, amsgrad) = false;
  SINTER_ARG(bool, maximize) = false;

 public:
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  MomentumKind momentum_kind() const override { return MomentumKind::Beta1; }
  double get_momentum() const override { return std::get<0>(betas_); }
  void set_momentum(double m) override { std::get<0>(betas_) = m; }
  void validate(const std::string& optimizer) const override;
  void save(serialize::Archive& archive, const std::string& prefix) const override;
  void load(const serialize::Archive& archive, const std::string& prefix) override;
  friend bool operator==(const AdamWOptions& a, const AdamWOptions& b);
};

struct AdamParamState : public OptimizerCloneableParamState<AdamParamState> {
  SINTER_ARG(int64_t, step) = 0;
  SINTER_ARG(Tensor, exp_avg);
  SINTER_ARG(Tensor, exp_avg_sq);
  SINTER_ARG(Tensor, max_exp_avg_sq);

 public:
  std::vector<std::pair<const char*, Tensor*>> named_tensors() override {
    return {{"exp_avg", &exp_avg_}, {"exp_avg_sq", &exp_avg_sq_}, {"max_exp_avg_sq", &max_exp_avg_sq_}};
  }
  int64_t* step_count() override { return &step_; }
};
using AdamWParamState = AdamParamState;

class Adam : public Optimizer {
 public:
  Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults = {});
  Adam(std::vector<Tensor> params, AdamOptions defaults = {})
      : Adam(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}
  using Optimizer::step;
  Tensor step(LossClosure closure = nullptr) override;

 protected:
  std::unique_ptr<OptimizerParamState> make_state(const Tensor&) const override {
    return std::make_unique<AdamParamState>();
  }
};

class AdamW : public Optimizer {
 public:
  AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults = {});
  AdamW(std::vector<Tensor> params, AdamWOptions defaults = {})
      : AdamW(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}
  using Optimizer::step;
  Tensor step(LossClosure closure = nullptr) override;

 protected:
  std::unique_ptr<OptimizerParamState> make_state(const Tensor&) const override {
    return std::make_unique<AdamParamState>();
  }
};

}  // namespace sinter::optim
