// Learning-rate schedulers with PyTorch 1.13's semantics (torch.optim.lr_scheduler) and
// constructor argument order; LibTorch's StepLR has the same shape.
//
//   auto opt = sinter::optim::SGD(params, sinter::optim::SGDOptions(0.1).momentum(0.9));
//   sinter::optim::StepLR sched(opt, /*step_size=*/30, /*gamma=*/0.1);
//   for (int epoch = 0; epoch < 100; ++epoch) {
//     train_one_epoch(opt);  // opt.step() inside
//     sched.step();
//   }
//
// Constructing a scheduler records every group's current learning rate as its base and takes
// the first step (epoch 0), as PyTorch does. step() computes the next learning rates from the
// current ones (PyTorch's chainable form, so the numbers are PyTorch's) and writes them into
// the optimizer's groups. state_dict() / load_state_dict() save and restore the position and
// the settings as a serialize::Archive (metadata "scheduler", "last_epoch", "base_lrs", ...).
// Resuming mid-schedule goes through load_state_dict (PyTorch's last_epoch argument is not
// offered).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sinter/optim/optimizer.h"
#include "sinter/serialize.h"
#include "sinter/tensor.h"

namespace sinter::optim {

class LRScheduler {
 public:
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;
  virtual ~LRScheduler() = default;

  /// Advances one epoch (or iteration) and sets every group's learning rate.
  void step();
  /// The learning rates the last step set, one per group.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  /// Number of steps taken after the initial one (PyTorch's last_epoch).
  int64_t last_epoch() const { return last_epoch_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  const std::string& name() const { return name_; }

  serialize::Archive state_dict() const;
  /// Restores a state_dict() of the same scheduler type over the same number of groups
  /// (ValueError naming the scheduler and the key otherwise).
  void load_state_dict(const serialize::Archive& archive);

 protected:
  LRScheduler(std::string name, Optimizer& optimizer);
  /// PyTorch's _initial_step: derived constructors call it last.
  void initial_step();
  /// The next learning rates, one per group (called by step() after last_epoch is advanced).
  virtual std::vector<double> get_lr() = 0;
  /// The settings and state of the derived class, as metadata.
  virtual void save_extra(serialize::Archive& archive) const {}
  virtual void load_extra(const serialize::Archive& archive) {}
  /// Every group's current learning rate.
  std::vector<double> current_lrs() const;

  std::string name_;
  Optimizer* optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = -1;
  int64_t step_count_ = 0;
  std::vector<double> last_lr_;
};

/// Multiplies the learning rate by gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 protected:
  std::vector<double> get_lr() override;
  void save_extra(serialize::Archive& a) const override;
  void load_extra(const serialize::Archive& a) override;
  int64_t step_size_;
  double gamma_;
};

/// Multiplies the learning rate by gamma at each milestone epoch (a milestone listed k times
/// multiplies by gamma^k).
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 protected:
  std::vector<double> get_lr() override;
  void save_extra(serialize::Archive& a) const override;
  void load_extra(const serialize::Archive& a) override;
  std::vector<int64_t> milestones_;
  double gamma_;
};

/// Multiplies the learning rate by gamma every epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  std::vector<double> get_lr() override;
  void save_extra(serialize::Archive& a) const override;
  void load_extra(const serialize::Archive& a) override;
  double gamma_;
};

/// Cosine annealing from the base learning rate down to eta_min over T_max epochs (and back up
/// over the next T_max, as PyTorch's recursive form does).
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0);

 protected:
  std::vector<double> get_lr() override;
  void save_extra(serialize::Archive& a) const override;
  void load_extra(const serialize::Archive& a) override;
  int64_t T_max_;
  double eta_min_;
};

/// Linear warm-up (or decay) of a multiplicative factor from start_factor to end_factor over
/// total_iters epochs.
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int64_t total_iters = 5);

 protected:
  std::vector<double> get_lr() override;
  void save_extra(serialize::Archive& a) const override;
  void load_extra(const serialize::Archive& a) override;
  double start_factor_, end_factor_;
  int64_t total_iters_;
};

/// The 1cycle policy (Smith & Topin): the learning rate rises from max_lr/div_factor to max_lr
/// over pct_start of the steps, then anneals to initial_lr/final_div_factor (three_phase: back
/// to initial_lr first, then down). With cycle_momentum the momentum (SGD, RMSprop) or beta1
/// (Adam, AdamW) moves inversely between max_momentum and base_momentum. Give total_steps, or
/// epochs and steps_per_epoch. Stepping past total_steps is a ValueError.
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, std::vector<double> max_lr, std::optional<int64_t> total_steps = std::nullopt,
             std::optional<int64_t> epochs = std::nullopt, std::optional<int64_t> steps_per_epoch = std::nullopt,
             double pct_start = 0.3, const std::string& anneal_strategy = "cos", bool cycle_momentum = true,
             double base_momentum = 0.85, double max_momentum = 0.95, double div_factor = 25.0,
             double final_div_factor = 1e4, bool three_phase = false);
  /// One max_lr for every group.
  OneCycleLR(Optimizer& optimizer, double max_lr, std::optional<int64_t> total_steps = std::nullopt,
             std::optional<int64_t> epochs = std::nullopt, std::optional<int64_t> steps_per_epoch = std::nullopt,
             double pct_start = 0.3, const std::string& anneal_strategy = "cos", bool cycle_momentum = true,
             double base_momentum = 0.85, double max_momentum = 0.95, double div_factor = 25.0,
             double final_div_factor = 1e4, bool three_phase = false);

  int64_t total_steps() const { return total_steps_; }

 protected:
  std::vector<double> get_lr() override;
  void save_extra(serialize::Archive& a) const override;
  void load_extra(const serialize::Archive& a) override;

  enum class Level { Initial, Max, Min };
  struct Phase {
    double end_step;
    Level start_lr, end_lr;
    bool start_max_momentum, end_max_momentum;  // true: max_momentum, false: base_momentum
  };
  double anneal(double start, double end, double pct) const;
  double level(size_t group, Level l) const;

  int64_t total_steps_;
  std::vector<Phase> phases_;
  bool cos_;
  bool cycle_momentum_;
  bool three_phase_;
  double pct_start_;
  std::vector<double> initial_lrs_, max_lrs_, min_lrs_, max_momentums_, base_momentums_;
};

/// Reduces the learning rate by `factor` once a metric has stopped improving for `patience`
/// epochs (PyTorch's ReduceLROnPlateau; LibTorch calls it ReduceLROnPlateauScheduler).
class ReduceLROnPlateau {
 public:
  enum SchedulerMode { min, max };
  enum ThresholdMode { rel, abs };

  ReduceLROnPlateau(Optimizer& optimizer, SchedulerMode mode = min, double factor = 0.1, int64_t patience = 10,
                    double threshold = 1e-4, ThresholdMode threshold_mode = rel, int64_t cooldown = 0,
                    std::vector<double> min_lr = {0.0}, double eps = 1e-8);
  ReduceLROnPlateau(const ReduceLROnPlateau&) = delete;
  ReduceLROnPlateau& operator=(const ReduceLROnPlateau&) = delete;

  /// One epoch's metric (e.g. validation loss).
  void step(double metric);
  /// A one-element tensor's value as the metric.
  void step(const Tensor& metric);
  /// The groups' learning rates after the last step (the current ones before any step).
  std::vector<double> get_last_lr() const;
  int64_t last_epoch() const { return last_epoch_; }
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  bool in_cooldown() const { return cooldown_counter_ > 0; }

  serialize::Archive state_dict() const;
  void load_state_dict(const serialize::Archive& archive);

 private:
  bool is_better(double a, double best) const;
  void reduce_lr();

  Optimizer* optimizer_;
  SchedulerMode mode_;
  double factor_;
  int64_t patience_;
  double threshold_;
  ThresholdMode threshold_mode_;
  int64_t cooldown_;
  std::vector<double> min_lrs_;
  double eps_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};
using ReduceLROnPlateauScheduler = ReduceLROnPlateau;

}  // namespace sinter::optim
