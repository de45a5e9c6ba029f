#include "sinter/optim/rmsprop.h"

#include "optim/fused.h"
#include "optim/options_io.h"
#include "sinter/autograd.h"

namespace sinter::optim {

void RMSpropOptions::validate(const std::string& opt) const {
  SINTER_CHECK(lr_ >= 0.0, ValueError, opt, ": invalid learning rate: ", lr_);
  SINTER_CHECK(eps_ >= 0.0, ValueError, opt, ": invalid epsilon value: ", eps_);
  SINTER_CHECK(momentum_ >= 0.0, ValueError, opt, ": invalid momentum value: ", momentum_);
  SINTER_CHECK(weight_decay_ >= 0.0, ValueError, opt, ": invalid weight_decay value: ", weight_decay_);
  SINTER_CHECK(alpha_ >= 0.0, ValueError, opt, ": invalid alpha value: ", alpha_);
}

void RMSpropOptions::save(serialize::Archive& a, const std::string& p) const {
  a.put_double(p + ".lr", lr_);
  a.put_double(p + ".alpha", alpha_);
  a.put_double(p + ".eps", eps_);
  a.put_double(p + ".weight_decay", weight_decay_);
  a.put_double(p + ".momentum", momentum_);
  detail::put_bool(a, p + ".centered", centered_);
  detail::put_bool(a, p + ".maximize", maximize_);
}

void RMSpropOptions::load(const serialize::Archive& a, const std::string& p) {
  lr_ = a.get_double(p + ".lr");
  alpha_ = a.get_double(p + ".alpha");
  eps_ = a.get_double(p + ".eps");
  weight_decay_ = a.get_double(p + ".weight_decay");
  momentum_ = a.get_double(p + ".momentum");
  centered_ = detail::get_bool(a, p + ".centered");
  maximize_ = detail::get_bool(a, p + ".maximize");
}

bool operator==(const RMSpropOptions& a, const RMSpropOptions& b) {
  return a.lr() == b.lr() && a.alpha() == b.alpha() && a.eps() == b.eps() && a.weight_decay() == b.weight_decay() &&
         a.momentum() == b.momentum() && a.centered() == b.centered() && a.maximize() == b.maximize();
}

RMSprop::RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults)
    : Optimizer("RMSprop", std::move(param_groups), std::make_unique<RMSpropOptions>(std::move(defaults))) {}

Tensor RMSprop::step(LossClosure closure) {
  Tensor loss = detail::run_closure(closure);
  NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const RMSpropOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor g = detail::grad_for_update(name_, p);
      auto& slot = state_[param_key(p)];
      if (!slot) slot = std::make_unique<RMSpropParamState>();
      auto& st = static_cast<RMSpropParamState&>(*slot);
      if (!st.square_avg().defined()) st.square_avg(detail::state_like(p));
      if (o.momentum() > 0 && !st.momentum_buffer().defined()) st.momentum_buffer(detail::state_like(p));
      if (o.centered() && !st.grad_avg().defined()) st.grad_avg(detail::state_like(p));
      st.step(st.step() + 1);
      kernels::RMSpropCoeffs c{o.lr(), o.alpha(), o.eps(), o.weight_decay(), o.momentum(), o.centered(), o.maximize()};
      Tensor sq = st.square_avg();
      Tensor ga = o.centered() ? st.grad_avg() : Tensor();
      Tensor buf = o.momentum() > 0 ? st.momentum_buffer() : Tensor();
      detail::update_param(p, [&](Tensor& data) {
        const int64_t n = data.numel();
        if (data.dtype() == kFloat)
          kernels::rmsprop_update(data.data_ptr<float>(), g.data_ptr<float>(), sq.data_ptr<float>(),
                                  ga.defined() ? ga.data_ptr<float>() : nullptr,
                                  buf.defined() ? buf.data_ptr<float>() : nullptr, n, c);
        else
          kernels::rmsprop_update(data.data_ptr<double>(), g.data_ptr<double>(), sq.data_ptr<double>(),
                                  ga.defined() ? ga.data_ptr<double>() : nullptr,
                                  buf.defined() ? buf.data_ptr<double>() : nullptr, n, c);
      });
    }
  }
  return loss;
}

}  // namespace sinter::optim
