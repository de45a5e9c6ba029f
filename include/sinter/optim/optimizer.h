// Optimizer base, shaped like LibTorch's torch::optim::Optimizer.
//
//   auto opt = sinter::optim::SGD(model->parameters(), sinter::optim::SGDOptions(0.01).momentum(0.9));
//   for (...) {
//     opt.zero_grad();
//     loss(model, batch).backward();
//     opt.step();
//   }
//
// An optimizer holds parameter groups, each with its own options (learning rate and the
// algorithm's hyperparameters), and a state per parameter (moment buffers, step count). A group
// given without options takes the optimizer's defaults. step() skips parameters without a
// gradient and never records autograd history. state_dict() / load_state_dict() save and
// restore the per-parameter state and every group's hyperparameters as a serialize::Archive:
//
//   tensors   "state.<i>.<name>"         i counts the parameters over all groups in order
//                                         (e.g. "state.3.exp_avg", "state.3.step")
//   metadata  "optimizer"                the algorithm ("Adam")
//             "param_groups"             number of groups
//             "param_groups.<g>.params"  the indices i of the group's parameters
//             "param_groups.<g>.<name>"  hyperparameters ("param_groups.0.lr")
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sinter/arg.h"
#include "sinter/serialize.h"
#include "sinter/tensor.h"

namespace sinter::optim {

/// Hyperparameters of one parameter group. Every optimizer's options derive from this.
class OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  virtual double get_lr() const = 0;
  virtual void set_lr(double lr) = 0;

  /// What OneCycleLR cycles: SGD and RMSprop have a momentum, Adam and AdamW a beta1.
  enum class MomentumKind { None, Momentum, Beta1 };
  virtual MomentumKind momentum_kind() const { return MomentumKind::None; }
  /// The momentum (or beta1); a ValueError for options without one.
  virtual double get_momentum() const;
  virtual void set_momentum(double m);

  /// Throws ValueError naming `optimizer` when a value is out of range (as PyTorch does).
  virtual void validate(const std::string& optimizer) const = 0;
  /// Writes the hyperparameters as metadata "<prefix>.<name>".
  virtual void save(serialize::Archive& archive, const std::string& prefix) const = 0;
  /// Reads what save() wrote; a missing or malformed key is a ValueError naming it.
  virtual void load(const serialize::Archive& archive, const std::string& prefix) = 0;
};

/// CRTP helper giving options types their clone().
template <class Derived>
class OptimizerCloneableOptions : public OptimizerOptions {
 public:
  std::unique_ptr<OptimizerOptions> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

/// State an optimizer keeps for one parameter.
class OptimizerParamState {
 public:
  virtual ~OptimizerParamState() = default;
  virtual std::unique_ptr<OptimizerParamState> clone() const = 0;
  /// The state tensors by name (an undefined tensor is a buffer not created yet).
  virtual std::vector<std::pair<const char*, Tensor*>> named_tensors() = 0;
  /// The step count of optimizers that keep one; nullptr otherwise.
  virtual int64_t* step_count() { return nullptr; }
};

template <class Derived>
class OptimizerCloneableParamState : public OptimizerParamState {
 public:
  std::unique_ptr<OptimizerParamState> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

/// Parameters optimized with one set of options. Without options, the optimizer's defaults
/// are used when the group is added.
class OptimizerParamGroup {
 public:
  OptimizerParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}
  OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options)
      : params_(std::move(params)), options_(std::move(options)) {}
  /// Any options type: `OptimizerParamGroup(params, SGDOptions(0.1))`.
  template <class Options, class = std::enable_if_t<std::is_base_of_v<OptimizerOptions, Options>>>
  OptimizerParamGroup(std::vector<Tensor> params, const Options& options)
      : params_(std::move(params)), options_(options.clone()) {}
  OptimizerParamGroup(const OptimizerParamGroup& o)
      : params_(o.params_), options_(o.options_ ? o.options_->clone() : nullptr) {}
  OptimizerParamGroup& operator=(const OptimizerParamGroup& o) {
    params_ = o.params_;
    options_ = o.options_ ? o.options_->clone() : nullptr;
    return *this;
  }
  OptimizerParamGroup(OptimizerParamGroup&&) = default;
  OptimizerParamGroup& operator=(OptimizerParamGroup&&) = default;

  bool has_options() const { return options_ != nullptr; }
  /// The group's options; a ValueError when it has none.
  OptimizerOptions& options();
  const OptimizerOptions& options() const;
  void set_options(std::unique_ptr<OptimizerOptions> options) { options_ = std::move(options); }
  std::vector<Tensor>& params() { return params_; }
  const std::vector<Tensor>& params() const { return params_; }

 private:
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
};

class Optimizer {
 public:
  /// Re-evaluates the model and returns the loss (called with grad mode on).
  using LossClosure = std::function<Tensor()>;

  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;
  virtual ~Optimizer() = default;

  /// One update of every parameter that has a gradient. With a closure, calls it first (grad
  /// mode on) and returns its loss; otherwise returns an undefined tensor.
  virtual Tensor step(LossClosure closure = nullptr) = 0;

  /// Adds a group (options defaulted from the optimizer's). A parameter may belong to one group
  /// only; it must be a defined floating-point leaf tensor.
  void add_param_group(const OptimizerParamGroup& param_group);
  /// Adds parameters to the first group.
  void add_parameters(const std::vector<Tensor>& parameters);
  /// Clears every parameter's gradient: resets it to undefined (set_to_none) or fills it with 0.
  void zero_grad(bool set_to_none = true);

  /// The parameters of the first group (as LibTorch).
  const std::vector<Tensor>& parameters() const noexcept;
  std::vector<Tensor>& parameters() noexcept;
  /// Total number of parameters over all groups.
  size_t size() const noexcept;

  OptimizerOptions& defaults() noexcept { return *defaults_; }
  const OptimizerOptions& defaults() const noexcept { return *defaults_; }
  std::vector<OptimizerParamGroup>& param_groups() noexcept { return param_groups_; }
  const std::vector<OptimizerParamGroup>& param_groups() const noexcept { return param_groups_; }
  /// Per-parameter state keyed by param_key(parameter).
  std::unordered_map<std::string, std::unique_ptr<OptimizerParamState>>& state() noexcept { return state_; }
  const std::unordered_map<std::string, std::unique_ptr<OptimizerParamState>>& state() const noexcept {
    return state_;
  }
  /// The key of a parameter in state(): its TensorImpl address, as LibTorch uses.
  static std::string param_key(const Tensor& param);

  /// The algorithm's name ("SGD", "Adam", ...), used in error messages and state dicts.
  const std::string& name() const noexcept { return name_; }

  /// Per-parameter state and group hyperparameters (see the top of this header).
  serialize::Archive state_dict() const;
  /// Restores what state_dict() saved into an optimizer over parameters of the same shapes in
  /// the same groups. A different algorithm or group/parameter count is a ValueError, a state
  /// tensor whose shape differs from its parameter's a ShapeError; both name the optimizer and
  /// the key. Nothing is changed when it throws.
  void load_state_dict(const serialize::Archive& archive);

 protected:
  Optimizer(std::string name, std::vector<OptimizerParamGroup> param_groups,
            std::unique_ptr<OptimizerOptions> defaults);

  /// An empty state for a parameter (the slots load_state_dict may fill).
  virtual std::unique_ptr<OptimizerParamState> make_state(const Tensor& param) const = 0;
  /// Called for each parameter when its group is added (Adagrad creates its state there).
  virtual void init_param(const Tensor& param, const OptimizerOptions& options) {}
  /// The state of `param`, nullptr if it has none yet.
  OptimizerParamState* find_state(const Tensor& param) const;

  std::string name_;
  std::unique_ptr<OptimizerOptions> defaults_;
  std::vector<OptimizerParamGroup> param_groups_;
  std::unordered_map<std::string, std::unique_ptr<OptimizerParamState>> state_;
};

namespace detail {
/// The parameter's gradient as a contiguous tensor of the parameter's dtype (ShapeError naming
/// the optimizer if the shapes differ), and checks that the dtype is float32 or float64.
Tensor grad_for_update(const std::string& optimizer, const Tensor& param);
/// A contiguous zero (or `fill`) tensor shaped like `param`.
Tensor state_like(const Tensor& param, double fill = 0.0);
/// Writes `updated` (a contiguous copy of `param` that an update changed) back into `param`.
void copy_back(Tensor& param, const Tensor& updated);
/// Runs `update(data)` on the parameter's memory: directly when it is contiguous, otherwise
/// on a contiguous copy that is written back. Either way the parameter's version advances, as
/// for any in-place change.
template <class F>
void update_param(Tensor& param, F&& update) {
  if (param.is_contiguous()) {
    update(param);
    param.storage()->bump_version();
    return;
  }
  Tensor tmp = param.detach().contiguous();
  update(tmp);
  copy_back(param, tmp);
}
/// Runs `closure` with grad mode on (nullptr gives an undefined tensor).
Tensor run_closure(const std::function<Tensor()>& closure);
}  // namespace detail

}  // namespace sinter::optim
