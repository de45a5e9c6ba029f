#include "sinter/optim/adagrad.h"

#include "optim/fused.h"
#include "optim/options_io.h"
#include "sinter/autograd.h"

namespace sinter::optim {

void AdagradOptions::validate(const std::string& opt) const {
  SINTER_CHECK(lr_ >= 0.0, ValueError, opt, ": invalid learning rate: ", lr_);
  SINTER_CHECK(lr_decay_ >= 0.0, ValueError, opt, ": invalid lr_decay value: ", lr_decay_);
  SINTER_CHECK(weight_decay_ >= 0.0, ValueError, opt, ": invalid weight_decay value: ", weight_decay_);
  SINTER_CHECK(initial_accumulator_value_ >= 0.0, ValueError, opt, ": invalid initial_accumulator_value value: ",
               initial_accumulator_value_);
  SINTER_CHECK(eps_ >= 0.0, ValueError, opt, ": invalid epsilon value: ", eps_);
}

void AdagradOptions::save(serialize::Archive& a, const std::string& p) const {
  a.put_double(p + ".lr", lr_);
  a.put_double(p + ".lr_decay", lr_decay_);
  a.put_double(p + ".weight_decay", weight_decay_);
  a.put_double(p + ".initial_accumulator_value", initial_accumulator_value_);
  a.put_double(p + ".eps", eps_);
  detail::put_bool(a, p + ".maximize", maximize_);
}

void AdagradOptions::load(const serialize::Archive& a, const std::string& p) {
  lr_ = a.get_double(p + ".lr");
  lr_decay_ = a.get_double(p + ".lr_decay");
  weight_decay_ = a.get_double(p + ".weight_decay");
  initial_accumulator_value_ = a.get_double(p + ".initial_accumulator_value");
  eps_ = a.get_double(p + ".eps");
  maximize_ = detail::get_bool(a, p + ".maximize");
}

bool operator==(const AdagradOptions& a, const AdagradOptions& b) {
  return a.lr() == b.lr() && a.lr_decay() == b.lr_decay() && a.weight_decay() == b.weight_decay() &&
         a.initial_accumulator_value() == b.initial_accumulator_value() && a.eps() == b.eps() &&
         a.maximize() == b.maximize();
}

Adagrad::Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults)
    : Optimizer("Adagrad", std::move(param_groups), std::make_unique<AdagradOptions>(std::move(defaults))) {
  // The base constructor added the groups before this object's init_param existed.
  for (const auto& group : param_groups_)
    for (const auto& p : group.params()) init_param(p, group.options());
}

void Adagrad::init_param(const Tensor& p, const OptimizerOptions& options) {
  const auto& o = static_cast<const AdagradOptions&>(options);
  auto st = std::make_unique<AdagradParamState>();
  st->sum(detail::state_like(p, o.initial_accumulator_value()));
  st->step(0);
  state_[param_key(p)] = std::move(st);
}

Tensor Adagrad::step(LossClosure closure) {
  Tensor loss = detail::run_closure(closure);
  NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const AdagradOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor g = detail::grad_for_update(name_, p);
      auto& slot = state_[param_key(p)];
      if (!slot) {  // e.g. a state dict without this parameter's state was loaded
        init_param(p, o);
      }
      auto& st = static_cast<AdagradParamState&>(*state_[param_key(p)]);
      if (!st.sum().defined()) st.sum(detail::state_like(p, o.initial_accumulator_value()));
      st.step(st.step() + 1);
      kernels::AdagradCoeffs c{o.lr(), o.lr_decay(), o.weight_decay(), o.eps(), o.maximize(), st.step()};
      Tensor sum = st.sum();
      detail::update_param(p, [&](Tensor& data) {
        const int64_t n = data.numel();
        if (data.dtype() == kFloat)
          kernels::adagrad_update(data.data_ptr<float>(), g.data_ptr<float>(), sum.data_ptr<float>(), n, c);
        else
          kernels::adagrad_update(data.data_ptr<double>(), g.data_ptr<double>(), sum.data_ptr<double>(), n, c);
      });
    }
  }
  return loss;
}

}  // namespace sinter::optim
