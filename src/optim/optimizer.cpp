#include "sinter/optim/optimizer.h"

#include <cstdint>
#include <set>
#include <unordered_set>

#include "sinter/autograd.h"
#include "sinter/ops/factory.h"

namespace sinter::optim {

// ---- options, groups ---------------------------------------------------------------------------
double OptimizerOptions::get_momentum() const {
  throw ValueError("optimizer options: this optimizer has no momentum or beta1 to adjust");
}
void OptimizerOptions::set_momentum(double) {
  throw ValueError("optimizer options: this optimizer has no momentum or beta1 to adjust");
}

OptimizerOptions& OptimizerParamGroup::options() {
  SINTER_CHECK(options_, ValueError, "OptimizerParamGroup: the group has no options (add it to an optimizer first)");
  return *options_;
}
const OptimizerOptions& OptimizerParamGroup::options() const {
  SINTER_CHECK(options_, ValueError, "OptimizerParamGroup: the group has no options (add it to an optimizer first)");
  return *options_;
}

// ---- optimizer ---------------------------------------------------------------------------------
Optimizer::Optimizer(std::string name, std::vector<OptimizerParamGroup> param_groups,
                     std::unique_ptr<OptimizerOptions> defaults)
    : name_(std::move(name)), defaults_(std::move(defaults)) {
  defaults_->validate(name_);
  for (const auto& g : param_groups) add_param_group(g);
}

std::string Optimizer::param_key(const Tensor& param) {
  // "0x" and the address in hex, as LibTorch's c10::guts::to_string(impl) prints it.
  auto v = reinterpret_cast<uintptr_t>(param.unsafeGetTensorImpl());
  char buf[2 + 2 * sizeof(uintptr_t)];
  int n = 0;
  do {
    buf[sizeof buf - 1 - n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  buf[sizeof buf - 1 - n++] = 'x';
  buf[sizeof buf - 1 - n++] = '0';
  return std::string(buf + sizeof buf - n, n);
}

void Optimizer::add_param_group(const OptimizerParamGroup& param_group) {
  std::unordered_set<const void*> seen;
  for (const auto& g : param_groups_)
    for (const auto& p : g.params()) seen.insert(p.unsafeGetTensorImpl());
  for (size_t i = 0; i < param_group.params().size(); ++i) {
    const Tensor& p = param_group.params()[i];
    SINTER_CHECK(p.defined(), ValueError, name_, ": parameter ", i, " of the group is an undefined tensor");
    SINTER_CHECK(p.is_floating_point(), DTypeError, name_, ": can only optimize floating-point tensors, parameter ", i,
                 " has dtype ", dtype_name(p.dtype()));
    SINTER_CHECK(p.is_leaf(), ValueError, name_, ": can't optimize a non-leaf tensor (parameter ", i, " of shape ",
                 shape_str(p.sizes()), ")");
    SINTER_CHECK(seen.insert(p.unsafeGetTensorImpl()).second, ValueError, name_,
                 ": some parameters appear more than once in the parameter groups (parameter ", i, " of shape ",
                 shape_str(p.sizes()), ")");
  }
  OptimizerParamGroup group(param_group.params());
  group.set_options(param_group.has_options() ? param_group.options().clone() : defaults_->clone());
  group.options().validate(name_);
  for (const auto& p : group.params()) init_param(p, group.options());
  param_groups_.push_back(std::move(group));
}

void Optimizer::add_parameters(const std::vector<Tensor>& parameters) {
  if (param_groups_.empty()) {
    add_param_group(OptimizerParamGroup(parameters));
    return;
  }
  // Validate through a temporary group, then move the tensors into the first group.
  OptimizerParamGroup extra(parameters, param_groups_[0].options().clone());
  add_param_group(extra);
  OptimizerParamGroup added = std::move(param_groups_.back());
  param_groups_.pop_back();
  auto& dst = param_groups_[0].params();
  dst.insert(dst.end(), added.params().begin(), added.params().end());
}

void Optimizer::zero_grad(bool set_to_none) {
  for (auto& g : param_groups_) {
    for (auto& p : g.params()) {
      if (!p.grad().defined()) continue;
      Tensor& grad = p.mutable_grad();
      if (set_to_none) {
        grad = Tensor();
      } else {
        if (grad.grad_fn()) grad = grad.detach();
        NoGradGuard no_grad;
        grad.zero_();
      }
    }
  }
}

const std::vector<Tensor>& Optimizer::parameters() const noexcept {
  static const std::vector<Tensor> empty;
  return param_groups_.empty() ? empty : param_groups_[0].params();
}
std::vector<Tensor>& Optimizer::parameters() noexcept {
  static thread_local std::vector<Tensor> empty;
  if (param_groups_.empty()) {
    empty.clear();
    return empty;
  }
  return param_groups_[0].params();
}

size_t Optimizer::size() const noexcept {
  size_t n = 0;
  for (const auto& g : param_groups_) n += g.params().size();
  return n;
}

OptimizerParamState* Optimizer::find_state(const Tensor& param) const {
  auto it = state_.find(param_key(param));
  return it == state_.end() ? nullptr : it->second.get();
}

serialize::Archive Optimizer::state_dict() const {
  serialize::Archive a;
  a.put("optimizer", name_);
  a.put_int("param_groups", static_cast<int64_t>(param_groups_.size()));
  int64_t index = 0;
  for (size_t gi = 0; gi < param_groups_.size(); ++gi) {
    const auto& group = param_groups_[gi];
    const std::string prefix = "param_groups." + std::to_string(gi);
    std::vector<int64_t> ids;
    for (const auto& p : group.params()) {
      const int64_t id = index++;
      ids.push_back(id);
      OptimizerParamState* st = find_state(p);
      if (!st) continue;
      const std::string sp = "state." + std::to_string(id) + ".";
      for (auto& [name, t] : st->named_tensors())
        if (t->defined()) a.tensors.insert(sp + name, t->detach().clone());
      if (int64_t* step = st->step_count()) a.tensors.insert(sp + "step", scalar_tensor(*step, dtype(kLong)));
    }
    a.put_ints(prefix + ".params", ids);
    group.options().save(a, prefix);
  }
  return a;
}

void Optimizer::load_state_dict(const serialize::Archive& a) {
  SINTER_CHECK(a.has("optimizer"), ValueError, name_, ": load_state_dict: metadata key 'optimizer' is missing");
  SINTER_CHECK(a.get("optimizer") == name_, ValueError, name_, ": load_state_dict: the state dict is from ",
               a.get("optimizer"), " (key 'optimizer')");
  SINTER_CHECK(a.has("param_groups"), ValueError, name_, ": load_state_dict: metadata key 'param_groups' is missing");
  std::vector<std::unique_ptr<OptimizerOptions>> options;
  std::unordered_map<std::string, std::unique_ptr<OptimizerParamState>> state;
  size_t consumed = 0;
  try {
    const int64_t ngroups = a.get_int("param_groups");
    SINTER_CHECK(ngroups == static_cast<int64_t>(param_groups_.size()), ValueError, "the state dict has ", ngroups,
                 " parameter groups but the optimizer has ", param_groups_.size(), " (key 'param_groups')");
    for (size_t gi = 0; gi < param_groups_.size(); ++gi) {
      const auto& group = param_groups_[gi];
      const std::string prefix = "param_groups." + std::to_string(gi);
      const std::vector<int64_t> ids = a.get_ints(prefix + ".params");
      SINTER_CHECK(ids.size() == group.params().size(), ValueError, "the state dict's group ", gi, " has ",
                   ids.size(), " parameters but the optimizer's has ", group.params().size(), " (key '", prefix,
                   ".params')");
      for (size_t j = 0; j < ids.size(); ++j) {
        const Tensor& p = group.params()[j];
        const std::string sp = "state." + std::to_string(ids[j]) + ".";
        auto st = make_state(p);
        bool any = false;
        for (auto& [name, t] : st->named_tensors()) {
          const Tensor* src = a.tensors.find(sp + name);
          if (!src) continue;
          SINTER_CHECK(src->defined() && src->sizes() == p.sizes(), ShapeError, "'", sp, name, "' has shape ",
                       src->defined() ? shape_str(src->sizes()) : std::string("(undefined)"), " but parameter ", j,
                       " of group ", gi, " has shape ", shape_str(p.sizes()));
          SINTER_CHECK(src->is_floating_point(), DTypeError, "'", sp, name, "' has dtype ", dtype_name(src->dtype()),
                       ", expected a floating-point tensor");
          *t = src->detach().to(p.dtype()).contiguous().clone();
          any = true;
          ++consumed;
        }
        if (const Tensor* step = a.tensors.find(sp + "step")) {
          int64_t* dst = st->step_count();
          SINTER_CHECK(dst, ValueError, "'", sp, "step' is not a state of this optimizer");
          SINTER_CHECK(step->defined() && step->numel() == 1, ShapeError, "'", sp,
                       "step' must hold one number, got shape ", step->defined() ? shape_str(step->sizes()) : "()");
          double v = step->item<double>();
          SINTER_CHECK(v >= 0 && v == static_cast<double>(static_cast<int64_t>(v)), ValueError, "'", sp, "step' = ", v,
                       " is not a step count");
          *dst = static_cast<int64_t>(v);
          any = true;
          ++consumed;
        }
        if (any) state[param_key(p)] = std::move(st);
      }
      auto opts = group.options().clone();
      opts->load(a, prefix);
      opts->validate(name_);
      options.push_back(std::move(opts));
    }
    size_t state_tensors = 0;
    for (const auto& item : a.tensors) {
      if (item.key().rfind("state.", 0) != 0) continue;
      ++state_tensors;
    }
    if (state_tensors != consumed) {
      // Name one tensor that matches no parameter slot.
      for (const auto& item : a.tensors) {
        if (item.key().rfind("state.", 0) != 0) continue;
        bool used = false;
        for (size_t gi = 0; gi < param_groups_.size() && !used; ++gi)
          for (int64_t id : a.get_ints("param_groups." + std::to_string(gi) + ".params")) {
            const std::string sp = "state." + std::to_string(id) + ".";
            if (item.key().rfind(sp, 0) == 0) {
              auto st = make_state(Tensor());
              std::string rest = item.key().substr(sp.size());
              for (auto& [name, t] : st->named_tensors()) used |= rest == name;
              used |= rest == "step" && st->step_count();
            }
          }
        SINTER_CHECK(used, ValueError, "tensor '", item.key(), "' matches no parameter state");
      }
    }
  } catch (const ShapeError& e) {
    throw ShapeError(name_ + ": load_state_dict: " + e.what());
  } catch (const DTypeError& e) {
    throw DTypeError(name_ + ": load_state_dict: " + e.what());
  } catch (const ValueError& e) {
    throw ValueError(name_ + ": load_state_dict: " + e.what());
  }
  for (size_t gi = 0; gi < param_groups_.size(); ++gi) param_groups_[gi].set_options(std::move(options[gi]));
  state_ = std::move(state);
}

// ---- helpers for the algorithms ----------------------------------------------------------------
namespace detail {

Tensor grad_for_update(const std::string& optimizer, const Tensor& param) {
  SINTER_CHECK(param.dtype() == kFloat || param.dtype() == kDouble, DTypeError, optimizer,
               ": parameters of dtype ", dtype_name(param.dtype()), " are not supported (float32 and float64 are)");
  Tensor g = param.grad();
  SINTER_CHECK(g.sizes() == param.sizes(), ShapeError, optimizer, ": gradient of shape ", shape_str(g.sizes()),
               " does not match its parameter's shape ", shape_str(param.sizes()));
  if (g.dtype() != param.dtype()) g = g.to(param.dtype());
  if (!g.is_contiguous()) g = g.contiguous();
  return g;
}

Tensor state_like(const Tensor& param, double fill) {
  return fill == 0.0 ? zeros(param.sizes(), param.options()) : full(param.sizes(), fill, param.options());
}

void copy_back(Tensor& param, const Tensor& updated) {
  NoGradGuard no_grad;
  param.detach().copy_(updated);
}

Tensor run_closure(const std::function<Tensor()>& closure) {
  if (!closure) return Tensor();
  AutoGradMode enable(true);
  return closure();
}

}  // namespace detail
}  // namespace sinter::optim
