#include "sinter/optim/sgd.h"

#include "optim/fused.h"
#include "optim/options_io.h"
#include "sinter/autograd.h"

namespace sinter::optim {

void SGDOptions::validate(const std::string& opt) const {
  SINTER_CHECK(lr_ >= 0.0, ValueError, opt, ": invalid learning rate: ", lr_);
  SINTER_CHECK(momentum_ >= 0.0, ValueError, opt, ": invalid momentum value: ", momentum_);
  SINTER_CHECK(weight_decay_ >= 0.0, ValueError, opt, ": invalid weight_decay value: ", weight_decay_);
  SINTER_CHECK(!nesterov_ || (momentum_ > 0 && dampening_ == 0), ValueError, opt,
               ": Nesterov momentum requires a momentum and zero dampening (momentum ", momentum_, ", dampening ",
               dampening_, ")");
}

void SGDOptions::save(serialize::Archive& a, const std::string& p) const {
  a.put_double(p + ".lr", lr_);
  a.put_double(p + ".momentum", momentum_);
  a.put_double(p + ".dampening", dampening_);
  a.put_double(p + ".weight_decay", weight_decay_);
  detail::put_bool(a, p + ".nesterov", nesterov_);
  detail::put_bool(a, p + ".maximize", maximize_);
}

void SGDOptions::load(const serialize::Archive& a, const std::string& p) {
  lr_ = a.get_double(p + ".lr");
  momentum_ = a.get_double(p + ".momentum");
  dampening_ = a.get_double(p + ".dampening");
  weight_decay_ = a.get_double(p + ".weight_decay");
  nesterov_ = detail::get_bool(a, p + ".nesterov");
  maximize_ = detail::get_bool(a, p + ".maximize");
}

bool operator==(const SGDOptions& a, const SGDOptions& b) {
  return a.lr() == b.lr() && a.momentum() == b.momentum() && a.dampening() == b.dampening() &&
         a.weight_decay() == b.weight_decay() && a.nesterov() == b.nesterov() && a.maximize() == b.maximize();
}

SGD::SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults)
    : Optimizer("SGD", std::move(param_groups), std::make_unique<SGDOptions>(std::move(defaults))) {}

Tensor SGD::step(LossClosure closure) {
  Tensor loss = detail::run_closure(closure);
  NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const SGDOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor g = detail::grad_for_update(name_, p);
      kernels::SGDCoeffs c{o.lr(), o.momentum(), o.dampening(), o.weight_decay(), o.nesterov(), o.maximize(), false};
      Tensor buf;
      if (o.momentum() != 0) {
        auto& slot = state_[param_key(p)];
        if (!slot) slot = std::make_unique<SGDParamState>();
        auto& st = static_cast<SGDParamState&>(*slot);
        if (!st.momentum_buffer().defined()) {
          st.momentum_buffer(detail::state_like(p));
          c.first_step = true;
        }
        buf = st.momentum_buffer();
      }
      detail::update_param(p, [&](Tensor& data) {
        const int64_t n = data.numel();
        if (data.dtype() == kFloat)
          kernels::sgd_update(data.data_ptr<float>(), g.data_ptr<float>(), buf.defined() ? buf.data_ptr<float>() : nullptr,
                              n, c);
        else
          kernels::sgd_update(data.data_ptr<double>(), g.data_ptr<double>(),
                              buf.defined() ? buf.data_ptr<double>() : nullptr, n, c);
      });
    }
  }
  return loss;
}

}  // namespace sinter::optim
