#include "sinter/optim/lr_scheduler.h"

// Learning rates are PyTorch's to the last bit: no a * b + c contracted into an fma.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cmath>
#include <numbers>

namespace sinter::optim {

namespace {
constexpr double kPi = std::numbers::pi;

// PyTorch's `a % b` for b > 0 (result in [0, b)).
int64_t py_mod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r < 0 ? r + b : r;
}
}  // namespace

// ---- base ----------------------------------------------------------------------------------------
LRScheduler::LRScheduler(std::string name, Optimizer& optimizer) : name_(std::move(name)), optimizer_(&optimizer) {
  base_lrs_ = current_lrs();
}

std::vector<double> LRScheduler::current_lrs() const {
  std::vector<double> lrs;
  for (const auto& g : optimizer_->param_groups()) lrs.push_back(g.options().get_lr());
  return lrs;
}

void LRScheduler::initial_step() {
  step_count_ = 0;
  step();
}

void LRScheduler::step() {
  ++step_count_;
  ++last_epoch_;
  std::vector<double> lrs = get_lr();
  auto& groups = optimizer_->param_groups();
  SINTER_CHECK(lrs.size() == groups.size(), ValueError, name_, ": the optimizer has ", groups.size(),
               " parameter groups but the scheduler was made for ", lrs.size());
  for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(lrs[i]);
  last_lr_ = current_lrs();
}

serialize::Archive LRScheduler::state_dict() const {
  serialize::Archive a;
  a.put("scheduler", name_);
  a.put_int("last_epoch", last_epoch_);
  a.put_int("step_count", step_count_);
  a.put_doubles("base_lrs", base_lrs_);
  a.put_doubles("last_lr", last_lr_);
  save_extra(a);
  return a;
}

void LRScheduler::load_state_dict(const serialize::Archive& a) {
  try {
    SINTER_CHECK(a.get("scheduler") == name_, ValueError, "the state dict is from ", a.get("scheduler"),
                 " (key 'scheduler')");
    auto base = a.get_doubles("base_lrs");
    auto last = a.get_doubles("last_lr");
    const size_t n = optimizer_->param_groups().size();
    SINTER_CHECK(base.size() == n, ValueError, "the state dict has ", base.size(),
                 " parameter groups but the optimizer has ", n, " (key 'base_lrs')");
    SINTER_CHECK(last.size() == n, ValueError, "the state dict has ", last.size(),
                 " parameter groups but the optimizer has ", n, " (key 'last_lr')");
    const int64_t last_epoch = a.get_int("last_epoch");
    const int64_t step_count = a.get_int("step_count");
    load_extra(a);  // derived settings (checked there) before the base fields change
    base_lrs_ = std::move(base);
    last_lr_ = std::move(last);
    last_epoch_ = last_epoch;
    step_count_ = step_count;
  } catch (const ValueError& e) {
    throw ValueError(name_ + ": load_state_dict: " + e.what());
  }
}

// ---- StepLR --------------------------------------------------------------------------------------
StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler("StepLR", optimizer), step_size_(step_size), gamma_(gamma) {
  SINTER_CHECK(step_size > 0, ValueError, "StepLR: step_size must be positive, got ", step_size);
  initial_step();
}

std::vector<double> StepLR::get_lr() {
  auto lrs = current_lrs();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
  for (double& lr : lrs) lr = lr * gamma_;
  return lrs;
}
void StepLR::save_extra(serialize::Archive& a) const {
  a.put_int("step_size", step_size_);
  a.put_double("gamma", gamma_);
}
void StepLR::load_extra(const serialize::Archive& a) {
  int64_t s = a.get_int("step_size");
  SINTER_CHECK(s > 0, ValueError, "step_size must be positive, got ", s, " (key 'step_size')");
  gamma_ = a.get_double("gamma");
  step_size_ = s;
}

// ---- MultiStepLR ---------------------------------------------------------------------------------
MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler("MultiStepLR", optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
  initial_step();
}

std::vector<double> MultiStepLR::get_lr() {
  auto lrs = current_lrs();
  const auto count = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  if (count == 0) return lrs;
  for (double& lr : lrs) lr = lr * std::pow(gamma_, static_cast<double>(count));
  return lrs;
}
void MultiStepLR::save_extra(serialize::Archive& a) const {
  a.put_ints("milestones", milestones_);
  a.put_double("gamma", gamma_);
}
void MultiStepLR::load_extra(const serialize::Archive& a) {
  auto m = a.get_ints("milestones");
  gamma_ = a.get_double("gamma");
  std::sort(m.begin(), m.end());
  milestones_ = std::move(m);
}

// ---- ExponentialLR -------------------------------------------------------------------------------
ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler("ExponentialLR", optimizer), gamma_(gamma) {
  initial_step();
}

std::vector<double> ExponentialLR::get_lr() {
  auto lrs = current_lrs();
  if (last_epoch_ == 0) return lrs;
  for (double& lr : lrs) lr = lr * gamma_;
  return lrs;
}
void ExponentialLR::save_extra(serialize::Archive& a) const { a.put_double("gamma", gamma_); }
void ExponentialLR::load_extra(const serialize::Archive& a) { gamma_ = a.get_double("gamma"); }

// ---- CosineAnnealingLR ---------------------------------------------------------------------------
CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler("CosineAnnealingLR", optimizer), T_max_(T_max), eta_min_(eta_min) {
  SINTER_CHECK(T_max > 0, ValueError, "CosineAnnealingLR: T_max must be positive, got ", T_max);
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() {
  auto lrs = current_lrs();
  const double T = static_cast<double>(T_max_);
  const double e = static_cast<double>(last_epoch_);
  if (last_epoch_ == 0) return lrs;
  if (step_count_ == 1 && last_epoch_ > 0) {
    for (size_t i = 0; i < lrs.size(); ++i)
      lrs[i] = eta_min_ + (base_lrs_[i] - eta_min_) * (1 + std::cos(e * kPi / T)) / 2;
    return lrs;
  }
  if (py_mod(last_epoch_ - 1 - T_max_, 2 * T_max_) == 0) {
    for (size_t i = 0; i < lrs.size(); ++i) lrs[i] = lrs[i] + (base_lrs_[i] - eta_min_) * (1 - std::cos(kPi / T)) / 2;
    return lrs;
  }
  for (double& lr : lrs)
    lr = (1 + std::cos(kPi * e / T)) / (1 + std::cos(kPi * (e - 1) / T)) * (lr - eta_min_) + eta_min_;
  return lrs;
}
void CosineAnnealingLR::save_extra(serialize::Archive& a) const {
  a.put_int("T_max", T_max_);
  a.put_double("eta_min", eta_min_);
}
void CosineAnnealingLR::load_extra(const serialize::Archive& a) {
  int64_t t = a.get_int("T_max");
  SINTER_CHECK(t > 0, ValueError, "T_max must be positive, got ", t, " (key 'T_max')");
  eta_min_ = a.get_double("eta_min");
  T_max_ = t;
}

// ---- LinearLR ------------------------------------------------------------------------------------
LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : LRScheduler("LinearLR", optimizer), start_factor_(start_factor), end_factor_(end_factor),
      total_iters_(total_iters) {
  SINTER_CHECK(start_factor >= 0 && start_factor <= 1.0, ValueError,
               "LinearLR: starting multiplicative factor expected to be between 0 and 1, got ", start_factor);
  SINTER_CHECK(end_factor >= 0 && end_factor <= 1.0, ValueError,
               "LinearLR: ending multiplicative factor expected to be between 0 and 1, got ", end_factor);
  SINTER_CHECK(total_iters >= 0, ValueError, "LinearLR: total_iters must not be negative, got ", total_iters);
  initial_step();
}

std::vector<double> LinearLR::get_lr() {
  auto lrs = current_lrs();
  if (last_epoch_ == 0) {
    for (double& lr : lrs) lr = lr * start_factor_;
    return lrs;
  }
  if (last_epoch_ > total_iters_) return lrs;
  const double diff = end_factor_ - start_factor_;
  for (double& lr : lrs)
    lr = lr * (1. + diff / (static_cast<double>(total_iters_) * start_factor_ +
                            static_cast<double>(last_epoch_ - 1) * diff));
  return lrs;
}
void LinearLR::save_extra(serialize::Archive& a) const {
  a.put_double("start_factor", start_factor_);
  a.put_double("end_factor", end_factor_);
  a.put_int("total_iters", total_iters_);
}
void LinearLR::load_extra(const serialize::Archive& a) {
  start_factor_ = a.get_double("start_factor");
  end_factor_ = a.get_double("end_factor");
  total_iters_ = a.get_int("total_iters");
}

// ---- OneCycleLR ----------------------------------------------------------------------------------
OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, std::optional<int64_t> total_steps,
                       std::optional<int64_t> epochs, std::optional<int64_t> steps_per_epoch, double pct_start,
                       const std::string& anneal_strategy, bool cycle_momentum, double base_momentum,
                       double max_momentum, double div_factor, double final_div_factor, bool three_phase)
    : OneCycleLR(optimizer, std::vector<double>(optimizer.param_groups().size(), max_lr), total_steps, epochs,
                 steps_per_epoch, pct_start, anneal_strategy, cycle_momentum, base_momentum, max_momentum,
                 div_factor, final_div_factor, three_phase) {}

OneCycleLR::OneCycleLR(Optimizer& optimizer, std::vector<double> max_lr, std::optional<int64_t> total_steps,
                       std::optional<int64_t> epochs, std::optional<int64_t> steps_per_epoch, double pct_start,
                       const std::string& anneal_strategy, bool cycle_momentum, double base_momentum,
                       double max_momentum, double div_factor, double final_div_factor, bool three_phase)
    : LRScheduler("OneCycleLR", optimizer), cycle_momentum_(cycle_momentum), three_phase_(three_phase),
      pct_start_(pct_start) {
  const size_t ngroups = optimizer.param_groups().size();
  if (total_steps) {
    SINTER_CHECK(*total_steps > 0, ValueError, "OneCycleLR: expected positive integer total_steps, but got ",
                 *total_steps);
    total_steps_ = *total_steps;
  } else {
    SINTER_CHECK(epochs && steps_per_epoch, ValueError,
                 "OneCycleLR: you must define either total_steps OR (epochs AND steps_per_epoch)");
    SINTER_CHECK(*epochs > 0, ValueError, "OneCycleLR: expected positive integer epochs, but got ", *epochs);
    SINTER_CHECK(*steps_per_epoch > 0, ValueError, "OneCycleLR: expected positive integer steps_per_epoch, but got ",
                 *steps_per_epoch);
    total_steps_ = *epochs * *steps_per_epoch;
  }
  SINTER_CHECK(pct_start >= 0 && pct_start <= 1, ValueError,
               "OneCycleLR: expected float between 0 and 1 pct_start, but got ", pct_start);
  SINTER_CHECK(anneal_strategy == "cos" || anneal_strategy == "linear", ValueError,
               "OneCycleLR: anneal_strategy must be one of 'cos' or 'linear', instead got '", anneal_strategy, "'");
  cos_ = anneal_strategy == "cos";
  SINTER_CHECK(max_lr.size() == ngroups, ValueError, "OneCycleLR: expected ", ngroups, " values for max_lr, got ",
               max_lr.size());
  const double T = static_cast<double>(total_steps_);
  if (three_phase) {
    phases_ = {{pct_start * T - 1, Level::Initial, Level::Max, true, false},
               {2 * pct_start * T - 2, Level::Max, Level::Initial, false, true},
               {T - 1, Level::Initial, Level::Min, true, true}};
  } else {
    phases_ = {{pct_start * T - 1, Level::Initial, Level::Max, true, false},
               {T - 1, Level::Max, Level::Min, false, true}};
  }
  for (size_t i = 0; i < ngroups; ++i) {
    initial_lrs_.push_back(max_lr[i] / div_factor);
    max_lrs_.push_back(max_lr[i]);
    min_lrs_.push_back(initial_lrs_[i] / final_div_factor);
  }
  base_lrs_ = initial_lrs_;
  if (cycle_momentum_) {
    SINTER_CHECK(optimizer.defaults().momentum_kind() != OptimizerOptions::MomentumKind::None, ValueError,
                 "OneCycleLR: optimizer ", optimizer.name(), " must support momentum with `cycle_momentum` enabled");
    for (auto& g : optimizer.param_groups()) {
      g.options().set_momentum(max_momentum);
      max_momentums_.push_back(max_momentum);
      base_momentums_.push_back(base_momentum);
    }
  }
  initial_step();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (cos_) {
    const double cos_out = std::cos(kPi * pct) + 1;
    return end + (start - end) / 2.0 * cos_out;
  }
  return (end - start) * pct + start;
}

double OneCycleLR::level(size_t group, Level l) const {
  switch (l) {
    case Level::Initial: return initial_lrs_[group];
    case Level::Max: return max_lrs_[group];
    case Level::Min: return min_lrs_[group];
  }
  return 0;
}

std::vector<double> OneCycleLR::get_lr() {
  const int64_t step_num = last_epoch_;
  SINTER_CHECK(step_num <= total_steps_, ValueError, "OneCycleLR: tried to step ", step_num + 1,
               " times. The specified number of total steps is ", total_steps_);
  auto& groups = optimizer_->param_groups();
  std::vector<double> lrs;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    double start_step = 0;
    double lr = 0, momentum = 0;
    for (size_t i = 0; i < phases_.size(); ++i) {
      const Phase& ph = phases_[i];
      if (static_cast<double>(step_num) <= ph.end_step || i == phases_.size() - 1) {
        const double pct = (static_cast<double>(step_num) - start_step) / (ph.end_step - start_step);
        lr = anneal(level(gi, ph.start_lr), level(gi, ph.end_lr), pct);
        if (cycle_momentum_) {
          const double m0 = ph.start_max_momentum ? max_momentums_[gi] : base_momentums_[gi];
          const double m1 = ph.end_max_momentum ? max_momentums_[gi] : base_momentums_[gi];
          momentum = anneal(m0, m1, pct);
        }
        break;
      }
      start_step = ph.end_step;
    }
    lrs.push_back(lr);
    if (cycle_momentum_) groups[gi].options().set_momentum(momentum);
  }
  return lrs;
}

void OneCycleLR::save_extra(serialize::Archive& a) const {
  a.put_int("total_steps", total_steps_);
  a.put_double("pct_start", pct_start_);
  a.put("anneal_strategy", cos_ ? "cos" : "linear");
  a.put_int("cycle_momentum", cycle_momentum_ ? 1 : 0);
  a.put_int("three_phase", three_phase_ ? 1 : 0);
  a.put_doubles("initial_lrs", initial_lrs_);
  a.put_doubles("max_lrs", max_lrs_);
  a.put_doubles("min_lrs", min_lrs_);
  a.put_doubles("max_momentums", max_momentums_);
  a.put_doubles("base_momentums", base_momentums_);
}

void OneCycleLR::load_extra(const serialize::Archive& a) {
  const size_t n = optimizer_->param_groups().size();
  const int64_t total = a.get_int("total_steps");
  SINTER_CHECK(total > 0, ValueError, "total_steps must be positive, got ", total, " (key 'total_steps')");
  const double pct = a.get_double("pct_start");
  const std::string& strategy = a.get("anneal_strategy");
  SINTER_CHECK(strategy == "cos" || strategy == "linear", ValueError, "unknown anneal_strategy '", strategy,
               "' (key 'anneal_strategy')");
  const bool cycle = a.get_int("cycle_momentum") != 0;
  const bool three = a.get_int("three_phase") != 0;
  auto initial = a.get_doubles("initial_lrs"), maxl = a.get_doubles("max_lrs"), minl = a.get_doubles("min_lrs");
  auto maxm = a.get_doubles("max_momentums"), basem = a.get_doubles("base_momentums");
  auto check_size = [n](const std::vector<double>& v, const char* key) {
    SINTER_CHECK(v.size() == n, ValueError, "expected ", n, " values, got ", v.size(), " (key '", key, "')");
  };
  check_size(initial, "initial_lrs");
  check_size(maxl, "max_lrs");
  check_size(minl, "min_lrs");
  if (cycle) {
    check_size(maxm, "max_momentums");
    check_size(basem, "base_momentums");
  }
  total_steps_ = total;
  pct_start_ = pct;
  cos_ = strategy == "cos";
  cycle_momentum_ = cycle;
  three_phase_ = three;
  initial_lrs_ = std::move(initial);
  max_lrs_ = std::move(maxl);
  min_lrs_ = std::move(minl);
  max_momentums_ = std::move(maxm);
  base_momentums_ = std::move(basem);
  const double T = static_cast<double>(total_steps_);
  if (three_phase_)
    phases_ = {{pct_start_ * T - 1, Level::Initial, Level::Max, true, false},
               {2 * pct_start_ * T - 2, Level::Max, Level::Initial, false, true},
               {T - 1, Level::Initial, Level::Min, true, true}};
  else
    phases_ = {{pct_start_ * T - 1, Level::Initial, Level::Max, true, false},
               {T - 1, Level::Max, Level::Min, false, true}};
}

// ---- ReduceLROnPlateau ---------------------------------------------------------------------------
ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, SchedulerMode mode, double factor, int64_t patience,
                                     double threshold, ThresholdMode threshold_mode, int64_t cooldown,
                                     std::vector<double> min_lr, double eps)
    : optimizer_(&optimizer), mode_(mode), factor_(factor), patience_(patience), threshold_(threshold),
      threshold_mode_(threshold_mode), cooldown_(cooldown), eps_(eps) {
  SINTER_CHECK(factor < 1.0, ValueError, "ReduceLROnPlateau: factor should be < 1.0, got ", factor);
  SINTER_CHECK(mode == min || mode == max, ValueError, "ReduceLROnPlateau: unknown mode ", static_cast<int>(mode));
  SINTER_CHECK(threshold_mode == rel || threshold_mode == abs, ValueError,
               "ReduceLROnPlateau: unknown threshold mode ", static_cast<int>(threshold_mode));
  const size_t n = optimizer.param_groups().size();
  if (min_lr.size() == 1) min_lr.assign(n, min_lr[0]);
  SINTER_CHECK(min_lr.size() == n, ValueError, "ReduceLROnPlateau: expected ", n, " min_lrs, got ", min_lr.size());
  min_lrs_ = std::move(min_lr);
  best_ = mode_ == min ? HUGE_VAL : -HUGE_VAL;
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  if (mode_ == min && threshold_mode_ == rel) return a < best * (1. - threshold_);
  if (mode_ == min && threshold_mode_ == abs) return a < best - threshold_;
  if (mode_ == max && threshold_mode_ == rel) return a > best * (threshold_ + 1.);
  return a > best + threshold_;
}

void ReduceLROnPlateau::reduce_lr() {
  auto& groups = optimizer_->param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    const double old_lr = groups[i].options().get_lr();
    const double new_lr = std::max(old_lr * factor_, min_lrs_[i]);
    if (old_lr - new_lr > eps_) groups[i].options().set_lr(new_lr);
  }
}

void ReduceLROnPlateau::step(double metric) {
  SINTER_CHECK(optimizer_->param_groups().size() == min_lrs_.size(), ValueError, "ReduceLROnPlateau: the optimizer has ",
               optimizer_->param_groups().size(), " parameter groups but the scheduler was made for ", min_lrs_.size());
  last_epoch_ += 1;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    num_bad_epochs_ += 1;
  }
  if (in_cooldown()) {
    cooldown_counter_ -= 1;
    num_bad_epochs_ = 0;
  }
  if (num_bad_epochs_ > patience_) {
    reduce_lr();
    cooldown_counter_ = cooldown_;
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (const auto& g : optimizer_->param_groups()) last_lr_.push_back(g.options().get_lr());
}

void ReduceLROnPlateau::step(const Tensor& metric) {
  SINTER_CHECK(metric.defined() && metric.numel() == 1, ShapeError,
               "ReduceLROnPlateau: the metric must be a one-element tensor, got shape ",
               metric.defined() ? shape_str(metric.sizes()) : std::string("(undefined)"));
  step(metric.item<double>());
}

std::vector<double> ReduceLROnPlateau::get_last_lr() const {
  if (!last_lr_.empty()) return last_lr_;
  std::vector<double> lrs;
  for (const auto& g : optimizer_->param_groups()) lrs.push_back(g.options().get_lr());
  return lrs;
}

serialize::Archive ReduceLROnPlateau::state_dict() const {
  serialize::Archive a;
  a.put("scheduler", "ReduceLROnPlateau");
  a.put("mode", mode_ == min ? "min" : "max");
  a.put_double("factor", factor_);
  a.put_int("patience", patience_);
  a.put_double("threshold", threshold_);
  a.put("threshold_mode", threshold_mode_ == rel ? "rel" : "abs");
  a.put_int("cooldown", cooldown_);
  a.put_doubles("min_lrs", min_lrs_);
  a.put_double("eps", eps_);
  a.put_double("best", best_);
  a.put_int("num_bad_epochs", num_bad_epochs_);
  a.put_int("cooldown_counter", cooldown_counter_);
  a.put_int("last_epoch", last_epoch_);
  a.put_doubles("last_lr", last_lr_);
  return a;
}

void ReduceLROnPlateau::load_state_dict(const serialize::Archive& a) {
  try {
    SINTER_CHECK(a.get("scheduler") == "ReduceLROnPlateau", ValueError, "the state dict is from ",
                 a.get("scheduler"), " (key 'scheduler')");
    const std::string& mode = a.get("mode");
    SINTER_CHECK(mode == "min" || mode == "max", ValueError, "mode '", mode, "' is unknown (key 'mode')");
    const std::string& tmode = a.get("threshold_mode");
    SINTER_CHECK(tmode == "rel" || tmode == "abs", ValueError, "threshold mode '", tmode,
                 "' is unknown (key 'threshold_mode')");
    auto min_lrs = a.get_doubles("min_lrs");
    const size_t n = optimizer_->param_groups().size();
    SINTER_CHECK(min_lrs.size() == n, ValueError, "the state dict has ", min_lrs.size(),
                 " parameter groups but the optimizer has ", n, " (key 'min_lrs')");
    const double factor = a.get_double("factor"), threshold = a.get_double("threshold"), eps = a.get_double("eps");
    const double best = a.get_double("best");
    const int64_t patience = a.get_int("patience"), cooldown = a.get_int("cooldown");
    const int64_t bad = a.get_int("num_bad_epochs"), counter = a.get_int("cooldown_counter");
    const int64_t last_epoch = a.get_int("last_epoch");
    auto last_lr = a.get_doubles("last_lr");
    mode_ = mode == "min" ? min : max;
    threshold_mode_ = tmode == "rel" ? rel : abs;
    min_lrs_ = std::move(min_lrs);
    factor_ = factor;
    threshold_ = threshold;
    eps_ = eps;
    best_ = best;
    patience_ = patience;
    cooldown_ = cooldown;
    num_bad_epochs_ = bad;
    cooldown_counter_ = counter;
    last_epoch_ = last_epoch;
    last_lr_ = std::move(last_lr);
  } catch (const ValueError& e) {
    throw ValueError(std::string("ReduceLROnPlateau: load_state_dict: ") + e.what());
  }
}

}  // namespace sinter::optim
