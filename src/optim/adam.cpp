#include "sinter/optim/adam.h"

#include "optim/fused.h"
#include "optim/options_io.h"
#include "sinter/autograd.h"

namespace sinter::optim {

namespace {

template <class Options>
void validate_adam(const Options& o, const std::string& opt) {
  SINTER_CHECK(o.lr() >= 0.0, ValueError, opt, ": invalid learning rate: ", o.lr());
  SINTER_CHECK(o.eps() >= 0.0, ValueError, opt, ": invalid epsilon value: ", o.eps());
  const auto [b1, b2] = o.betas();
  SINTER_CHECK(b1 >= 0.0 && b1 < 1.0, ValueError, opt, ": invalid beta parameter at index 0: ", b1);
  SINTER_CHECK(b2 >= 0.0 && b2 < 1.0, ValueError, opt, ": invalid beta parameter at index 1: ", b2);
  SINTER_CHECK(o.weight_decay() >= 0.0, ValueError, opt, ": invalid weight_decay value: ", o.weight_decay());
}

template <class Options>
void save_adam(const Options& o, serialize::Archive& a, const std::string& p) {
  a.put_double(p + ".lr", o.lr());
  a.put_doubles(p + ".betas", {std::get<0>(o.betas()), std::get<1>(o.betas())});
  a.put_double(p + ".eps", o.eps());
  a.put_double(p + ".weight_decay", o.weight_decay());
  detail::put_bool(a, p + ".amsgrad", o.amsgrad());
  detail::put_bool(a, p + ".maximize", o.maximize());
}

template <class Options>
void load_adam(Options& o, const serialize::Archive& a, const std::string& p) {
  o.lr(a.get_double(p + ".lr"));
  auto betas = a.get_doubles(p + ".betas");
  SINTER_CHECK(betas.size() == 2, ValueError, "metadata '", p, ".betas' must hold 2 numbers, got ", betas.size());
  o.betas(std::make_tuple(betas[0], betas[1]));
  o.eps(a.get_double(p + ".eps"));
  o.weight_decay(a.get_double(p + ".weight_decay"));
  o.amsgrad(detail::get_bool(a, p + ".amsgrad"));
  o.maximize(detail::get_bool(a, p + ".maximize"));
}

template <class Options>
bool equal_adam(const Options& a, const Options& b) {
  return a.lr() == b.lr() && a.betas() == b.betas() && a.eps() == b.eps() && a.weight_decay() == b.weight_decay() &&
         a.amsgrad() == b.amsgrad() && a.maximize() == b.maximize();
}

/// One Adam/AdamW step over every group (decoupled: AdamW's weight decay).
template <class Options>
void adam_step(Optimizer& opt, bool decoupled,
               std::unordered_map<std::string, std::unique_ptr<OptimizerParamState>>& state) {
  for (auto& group : opt.param_groups()) {
    const auto& o = static_cast<const Options&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor g = detail::grad_for_update(opt.name(), p);
      auto& slot = state[Optimizer::param_key(p)];
      if (!slot) slot = std::make_unique<AdamParamState>();
      auto& st = static_cast<AdamParamState&>(*slot);
      if (!st.exp_avg().defined()) st.exp_avg(detail::state_like(p));
      if (!st.exp_avg_sq().defined()) st.exp_avg_sq(detail::state_like(p));
      if (o.amsgrad() && !st.max_exp_avg_sq().defined()) st.max_exp_avg_sq(detail::state_like(p));
      st.step(st.step() + 1);
      kernels::AdamCoeffs c{o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()), o.eps(), o.weight_decay(),
                            o.amsgrad(), o.maximize(), decoupled, st.step()};
      Tensor m = st.exp_avg(), v = st.exp_avg_sq(), vmax = o.amsgrad() ? st.max_exp_avg_sq() : Tensor();
      detail::update_param(p, [&](Tensor& data) {
        const int64_t n = data.numel();
        if (data.dtype() == kFloat)
          kernels::adam_update(data.data_ptr<float>(), g.data_ptr<float>(), m.data_ptr<float>(), v.data_ptr<float>(),
                               vmax.defined() ? vmax.data_ptr<float>() : nullptr, n, c);
        else
          kernels::adam_update(data.data_ptr<double>(), g.data_ptr<double>(), m.data_ptr<double>(),
                               v.data_ptr<double>(), vmax.defined() ? vmax.data_ptr<double>() : nullptr, n, c);
      });
    }
  }
}

}  // namespace

void AdamOptions::validate(const std::string& opt) const { validate_adam(*this, opt); }
void AdamOptions::save(serialize::Archive& a, const std::string& p) const { save_adam(*this, a, p); }
void AdamOptions::load(const serialize::Archive& a, const std::string& p) { load_adam(*this, a, p); }
bool operator==(const AdamOptions& a, const AdamOptions& b) { return equal_adam(a, b); }

void AdamWOptions::validate(const std::string& opt) const { validate_adam(*this, opt); }
void AdamWOptions::save(serialize::Archive& a, const std::string& p) const { save_adam(*this, a, p); }
void AdamWOptions::load(const serialize::Archive& a, const std::string& p) { load_adam(*this, a, p); }
bool operator==(const AdamWOptions& a, const AdamWOptions& b) { return equal_adam(a, b); }

Adam::Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults)
    : Optimizer("Adam", std::move(param_groups), std::make_unique<AdamOptions>(std::move(defaults))) {}

Tensor Adam::step(LossClosure closure) {
  Tensor loss = detail::run_closure(closure);
  NoGradGuard no_grad;
  adam_step<AdamOptions>(*this, /*decoupled=*/false, state_);
  return loss;
}

AdamW::AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults)
    : Optimizer("AdamW", std::move(param_groups), std::make_unique<AdamWOptions>(std::move(defaults))) {}

Tensor AdamW::step(LossClosure closure) {
  Tensor loss = detail::run_closure(closure);
  NoGradGuard no_grad;
  adam_step<AdamWOptions>(*this, /*decoupled=*/true, state_);
  return loss;
}

}  // namespace sinter::optim
