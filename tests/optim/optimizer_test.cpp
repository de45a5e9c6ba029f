// Optimizers against PyTorch 1.13: the same initial weights and the same gradients, K steps,
// the same parameters (float64 to ~1e-12, float32 to ~1e-6). Also option errors, param groups,
// skipped parameters, closures, zero_grad, and state-dict round trips.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"
#include "optim/fused.h"
#include "sinter/optim.h"
#include "sinter/sinter.h"
#include "torch_ref.h"

namespace {

using namespace sinter;
using sinter::testing::TorchRef;
using sinter::testing::tensors_close;
using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

struct Case {
  std::string name;
  std::string torch_ctor;  // Python, over the list `ps`; foreach=False is appended
  MakeOptimizer make;
};

template <class Opt, class Options>
MakeOptimizer make(Options o) {
  return [o](std::vector<Tensor> ps) { return std::make_unique<Opt>(std::move(ps), o); };
}

std::vector<Case> cases() {
  using namespace optim;
  return {
      {"sgd", "SGD(ps, lr=0.1)", make<SGD>(SGDOptions(0.1))},
      {"sgd_momentum", "SGD(ps, lr=0.05, momentum=0.9)", make<SGD>(SGDOptions(0.05).momentum(0.9))},
      {"sgd_dampening_wd", "SGD(ps, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)",
       make<SGD>(SGDOptions(0.05).momentum(0.8).dampening(0.3).weight_decay(0.01))},
      {"sgd_nesterov", "SGD(ps, lr=0.03, momentum=0.9, nesterov=True, weight_decay=0.05)",
       make<SGD>(SGDOptions(0.03).momentum(0.9).nesterov(true).weight_decay(0.05))},
      {"sgd_maximize", "SGD(ps, lr=0.02, momentum=0.5, maximize=True, weight_decay=0.1)",
       make<SGD>(SGDOptions(0.02).momentum(0.5).maximize(true).weight_decay(0.1))},
      {"adam", "Adam(ps, lr=0.01)", make<Adam>(AdamOptions(0.01))},
      {"adam_amsgrad_wd", "Adam(ps, lr=0.02, amsgrad=True, weight_decay=0.1)",
       make<Adam>(AdamOptions(0.02).amsgrad(true).weight_decay(0.1))},
      {"adam_betas_eps_maximize", "Adam(ps, lr=0.005, betas=(0.8, 0.99), eps=1e-6, maximize=True)",
       make<Adam>(AdamOptions(0.005).betas({0.8, 0.99}).eps(1e-6).maximize(true))},
      {"adamw", "AdamW(ps, lr=0.01)", make<AdamW>(AdamWOptions(0.01))},
      {"adamw_amsgrad", "AdamW(ps, lr=0.01, weight_decay=0.1, amsgrad=True)",
       make<AdamW>(AdamWOptions(0.01).weight_decay(0.1).amsgrad(true))},
      {"adamw_maximize", "AdamW(ps, lr=0.003, betas=(0.5, 0.9), weight_decay=0.2, maximize=True)",
       make<AdamW>(AdamWOptions(0.003).betas({0.5, 0.9}).weight_decay(0.2).maximize(true))},
      {"rmsprop", "RMSprop(ps, lr=0.01)", make<RMSprop>(RMSpropOptions(0.01))},
      {"rmsprop_centered", "RMSprop(ps, lr=0.01, centered=True, alpha=0.9)",
       make<RMSprop>(RMSpropOptions(0.01).centered(true).alpha(0.9))},
      {"rmsprop_momentum_wd", "RMSprop(ps, lr=0.005, momentum=0.9, weight_decay=0.1, eps=1e-6)",
       make<RMSprop>(RMSpropOptions(0.005).momentum(0.9).weight_decay(0.1).eps(1e-6))},
      {"rmsprop_centered_momentum_maximize", "RMSprop(ps, lr=0.002, momentum=0.5, centered=True, maximize=True)",
       make<RMSprop>(RMSpropOptions(0.002).momentum(0.5).centered(true).maximize(true))},
      {"adagrad", "Adagrad(ps, lr=0.1)", make<Adagrad>(AdagradOptions(0.1))},
      {"adagrad_decay_wd_init",
       "Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)",
       make<Adagrad>(AdagradOptions(0.1).lr_decay(0.01).weight_decay(0.1).initial_accumulator_value(0.1))},
      {"adagrad_maximize_eps", "Adagrad(ps, lr=0.05, eps=1e-5, maximize=True)",
       make<Adagrad>(AdagradOptions(0.05).eps(1e-5).maximize(true))},
  };
}

// Parameter shapes: small, odd-sized (SIMD tails) and one longer than several vectors.
const std::vector<std::vector<int64_t>> kShapes = {{3, 4}, {5}, {37}, {1031}};

struct Problem {
  std::vector<Tensor> init;                // initial weights
  std::vector<std::vector<Tensor>> grads;  // grads[k][i] (undefined: no gradient at step k)
};

Problem make_problem(DType dt, int steps, uint64_t seed, bool with_missing_grad = true) {
  manual_seed(seed);
  Problem pr;
  for (const auto& s : kShapes) pr.init.push_back(randn(s, dtype(dt)));
  for (int k = 0; k < steps; ++k) {
    std::vector<Tensor> gk;
    for (size_t i = 0; i < kShapes.size(); ++i) {
      // Parameter 1 has no gradient at step 2: it must be skipped (its state untouched).
      if (with_missing_grad && i == 1 && k == 2) gk.push_back(Tensor());
      else gk.push_back(randn(kShapes[i], dtype(dt)));
    }
    pr.grads.push_back(gk);
  }
  return pr;
}

std::vector<Tensor> fresh_params(const Problem& pr) {
  std::vector<Tensor> ps;
  for (const auto& t : pr.init) ps.push_back(t.clone().requires_grad_(true));
  return ps;
}

void set_grads(std::vector<Tensor>& ps, const std::vector<Tensor>& gk) {
  for (size_t i = 0; i < ps.size(); ++i) ps[i].mutable_grad() = gk[i].defined() ? gk[i].clone() : Tensor();
}

std::vector<Tensor> run_sinter(const MakeOptimizer& mk, const Problem& pr) {
  auto ps = fresh_params(pr);
  auto opt = mk(ps);
  for (const auto& gk : pr.grads) {
    set_grads(ps, gk);
    opt->step();
  }
  std::vector<Tensor> out;
  for (auto& p : ps) out.push_back(p.detach());
  return out;
}

/// Runs the same problem in PyTorch; `ctor` builds the optimizer over `ps`.
std::vector<Tensor> run_torch(const std::string& ctor, const Problem& pr) {
  const size_t P = pr.init.size();
  std::vector<Tensor> inputs = pr.init;
  for (const auto& gk : pr.grads) inputs.insert(inputs.end(), gk.begin(), gk.end());
  std::string stmt = "A = [" ;
  for (size_t i = 0; i < inputs.size(); ++i) stmt += (i ? ", a" : "a") + std::to_string(i);
  stmt += "]\nP = " + std::to_string(P) + "\nK = " + std::to_string(pr.grads.size()) + "\n";
  stmt += "ps = [A[i].clone().requires_grad_(True) for i in range(P)]\n";
  std::string c = ctor;
  c.insert(c.size() - 1, ", foreach=False");
  stmt += "opt = torch.optim." + c + "\n";
  stmt += "for k in range(K):\n"
          "    for i in range(P):\n"
          "        g = A[P + k * P + i]\n"
          "        ps[i].grad = None if g is None else g.clone()\n"
          "    opt.step()\n";
  auto r = TorchRef::instance().run("[p.detach() for p in ps]", inputs, {}, {}, stmt);
  EXPECT_TRUE(r.ok) << r.error_type << ": " << r.message;
  return r.outputs;
}

std::pair<double, double> tol(DType dt) { return dt == kDouble ? std::pair{1e-12, 1e-12} : std::pair{1e-6, 1e-6}; }

class OptimizerVsTorch : public ::testing::TestWithParam<Case> {};

TEST_P(OptimizerVsTorch, MatchesTorch) {
  auto& ref = TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  const Case& c = GetParam();
  for (DType dt : {kDouble, kFloat}) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    Problem pr = make_problem(dt, /*steps=*/7, /*seed=*/11);
    auto ours = run_sinter(c.make, pr);
    auto theirs = run_torch(c.torch_ctor, pr);
    ASSERT_EQ(theirs.size(), ours.size());
    auto [rtol, atol] = tol(dt);
    for (size_t i = 0; i < ours.size(); ++i) {
      SCOPED_TRACE("parameter " + std::to_string(i));
      EXPECT_TRUE(tensors_close(ours[i], theirs[i], rtol, atol));
      // The optimizer moved the parameter (a no-op update would not be a test).
      EXPECT_FALSE(ours[i].equal(pr.init[i]));
    }
  }
}

TEST_P(OptimizerVsTorch, ReferenceKernelsGiveTheSameParameters) {
  const Case& c = GetParam();
  for (DType dt : {kDouble, kFloat}) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    Problem pr = make_problem(dt, 5, 23);
    auto fast = run_sinter(c.make, pr);
    optim::kernels::set_reference_kernels(true);
    auto ref = run_sinter(c.make, pr);
    optim::kernels::set_reference_kernels(false);
    for (size_t i = 0; i < fast.size(); ++i) EXPECT_TRUE(fast[i].equal(ref[i])) << "parameter " << i;
  }
}

TEST_P(OptimizerVsTorch, StateDictResumeIsIdentical) {
  const Case& c = GetParam();
  Problem pr = make_problem(kDouble, 8, 5, /*with_missing_grad=*/false);
  auto straight = run_sinter(c.make, pr);

  auto ps = fresh_params(pr);
  auto opt = c.make(ps);
  for (int k = 0; k < 4; ++k) {
    set_grads(ps, pr.grads[k]);
    opt->step();
  }
  serialize::Archive saved = opt->state_dict();
  EXPECT_EQ(saved.get("optimizer"), opt->name());
  EXPECT_EQ(saved.get_int("param_groups"), 1);
  EXPECT_EQ(saved.get_ints("param_groups.0.params"), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_DOUBLE_EQ(saved.get_double("param_groups.0.lr"), opt->param_groups()[0].options().get_lr());
  // Continue on copies of the parameters with a fresh optimizer built with other options: the
  // loaded state dict restores the hyperparameters too.
  std::vector<Tensor> ps2;
  for (auto& p : ps) ps2.push_back(p.detach().clone().requires_grad_(true));
  auto opt2 = c.make(ps2);
  opt2->param_groups()[0].options().set_lr(123.0);
  opt2->load_state_dict(saved);
  EXPECT_EQ(opt2->param_groups()[0].options().get_lr(), opt->param_groups()[0].options().get_lr());
  // Training the first optimizer further does not change what was saved.
  for (int k = 4; k < 8; ++k) {
    set_grads(ps2, pr.grads[k]);
    opt2->step();
  }
  for (size_t i = 0; i < ps2.size(); ++i) EXPECT_TRUE(ps2[i].detach().equal(straight[i])) << "parameter " << i;
}

INSTANTIATE_TEST_SUITE_P(All, OptimizerVsTorch, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// ---- param groups --------------------------------------------------------------------------------
TEST(Optimizer, ParamGroupsWithTheirOwnOptionsMatchTorch) {
  auto& ref = TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  Problem pr = make_problem(kDouble, 6, 3);
  const std::vector<std::pair<std::string, MakeOptimizer>> runs = {
      {"SGD([{'params': ps[:2]}, {'params': ps[2:], 'lr': 0.01, 'nesterov': True}], lr=0.1, momentum=0.9)",
       [](std::vector<Tensor> ps) {
         using namespace optim;
         std::vector<OptimizerParamGroup> groups;
         groups.emplace_back(std::vector<Tensor>{ps[0], ps[1]});
         groups.emplace_back(std::vector<Tensor>{ps[2], ps[3]}, SGDOptions(0.01).momentum(0.9).nesterov(true));
         return std::unique_ptr<Optimizer>(new SGD(groups, SGDOptions(0.1).momentum(0.9)));
       }},
      {"Adam([{'params': ps[:1]}, {'params': ps[1:], 'lr': 0.05, 'amsgrad': True}], lr=0.01)",
       [](std::vector<Tensor> ps) {
         using namespace optim;
         std::vector<OptimizerParamGroup> groups;
         groups.emplace_back(std::vector<Tensor>{ps[0]});
         groups.emplace_back(std::vector<Tensor>{ps[1], ps[2], ps[3]}, AdamOptions(0.05).amsgrad(true));
         return std::unique_ptr<Optimizer>(new Adam(groups, AdamOptions(0.01)));
       }},
  };
  for (const auto& [py, mk] : runs) {
    SCOPED_TRACE(py);
    auto ours = run_sinter(mk, pr);
    auto theirs = run_torch(py, pr);
    ASSERT_EQ(theirs.size(), ours.size());
    for (size_t i = 0; i < ours.size(); ++i) EXPECT_TRUE(tensors_close(ours[i], theirs[i], 1e-12, 1e-12));
  }
}

TEST(Optimizer, AddParamGroupAndAccessors) {
  auto a = randn({3}).requires_grad_(true), b = randn({2, 2}).requires_grad_(true), c = randn({4}).requires_grad_(true);
  optim::SGD opt({a, b}, optim::SGDOptions(0.1).momentum(0.9));
  EXPECT_EQ(opt.size(), 2u);
  EXPECT_EQ(opt.parameters().size(), 2u);
  EXPECT_EQ(opt.name(), "SGD");
  std::ostringstream key;
  key << static_cast<const void*>(a.unsafeGetTensorImpl());
  EXPECT_EQ(optim::Optimizer::param_key(a), key.str());
  opt.add_param_group(optim::OptimizerParamGroup({c}, optim::SGDOptions(0.5)));
  ASSERT_EQ(opt.param_groups().size(), 2u);
  EXPECT_EQ(opt.param_groups()[1].options().get_lr(), 0.5);
  EXPECT_EQ(static_cast<optim::SGDOptions&>(opt.param_groups()[1].options()).momentum(), 0.0);
  // A group without options takes the defaults.
  auto d = randn({1}).requires_grad_(true);
  opt.add_param_group(optim::OptimizerParamGroup({d}));
  EXPECT_EQ(static_cast<optim::SGDOptions&>(opt.param_groups()[2].options()).momentum(), 0.9);
  opt.param_groups()[0].options().set_lr(0.25);
  EXPECT_EQ(opt.param_groups()[0].options().get_lr(), 0.25);
  EXPECT_EQ(opt.defaults().get_lr(), 0.1);
  EXPECT_EQ(opt.size(), 4u);
  // A parameter may appear in only one group.
  EXPECT_THROW(opt.add_param_group(optim::OptimizerParamGroup({a})), ValueError);
  // Non-leaf tensors cannot be optimized.
  auto nonleaf = a * 2;
  EXPECT_THROW(opt.add_param_group(optim::OptimizerParamGroup({nonleaf})), ValueError);
  EXPECT_THROW(optim::SGD({randn({2}), Tensor()}, optim::SGDOptions(0.1)), ValueError);
  EXPECT_THROW(optim::SGD({ones({2}, dtype(kLong))}, optim::SGDOptions(0.1)), DTypeError);
}

TEST(Optimizer, ParametersWithoutGradAreSkipped) {
  auto a = randn({4}).requires_grad_(true), b = randn({4}).requires_grad_(true);
  Tensor a0 = a.detach().clone(), b0 = b.detach().clone();
  optim::Adam opt({a, b}, optim::AdamOptions(0.1));
  a.mutable_grad() = ones({4});
  opt.step();
  EXPECT_TRUE(b.detach().equal(b0));
  EXPECT_EQ(opt.state().count(optim::Optimizer::param_key(b)), 0u);
  ASSERT_EQ(opt.state().count(optim::Optimizer::param_key(a)), 1u);
  auto& st = static_cast<optim::AdamParamState&>(*opt.state().at(optim::Optimizer::param_key(a)));
  EXPECT_EQ(st.step(), 1);
  EXPECT_FALSE(a.detach().equal(a0));
}

TEST(Optimizer, StepRecordsNoAutogradHistory) {
  auto w = randn({5}).requires_grad_(true);
  optim::SGD opt({w}, optim::SGDOptions(0.1).momentum(0.9));
  (w * w).sum().backward();
  const int64_t v0 = w._version();
  opt.step();
  EXPECT_TRUE(w.is_leaf());
  EXPECT_TRUE(w.requires_grad());
  EXPECT_FALSE(w.grad_fn());
  EXPECT_GT(w._version(), v0);  // the update is an in-place change saved tensors can detect
}

TEST(Optimizer, NonContiguousParameterIsUpdatedInPlace) {
  auto base = randn({4, 6}, dtype(kDouble));
  auto w = base.t().detach().requires_grad_(true);  // (6, 4), non-contiguous leaf
  ASSERT_FALSE(w.is_contiguous());
  auto wc = w.detach().contiguous().clone().requires_grad_(true);
  auto g = randn({6, 4}, dtype(kDouble));
  optim::Adam o1({w}, optim::AdamOptions(0.1)), o2({wc}, optim::AdamOptions(0.1));
  for (int k = 0; k < 3; ++k) {
    w.mutable_grad() = g.clone();
    wc.mutable_grad() = g.clone();
    o1.step();
    o2.step();
  }
  EXPECT_TRUE(w.detach().equal(wc.detach()));
  EXPECT_TRUE(base.t().equal(wc.detach()));  // the storage behind the view changed
}

TEST(Optimizer, ClosureIsCalledWithGradModeAndItsLossReturned) {
  auto w = tensor({1.0, -2.0, 3.0}, dtype(kDouble)).requires_grad_(true);
  optim::SGD opt({w}, optim::SGDOptions(0.1));
  int calls = 0;
  Tensor loss = opt.step([&] {
    ++calls;
    EXPECT_TRUE(GradMode::is_enabled());
    opt.zero_grad();
    Tensor l = (w * w).sum();
    l.backward();
    return l;
  });
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(loss.defined());
  EXPECT_DOUBLE_EQ(loss.item<double>(), 14.0);
  // w - 0.1 * 2w = 0.8 w
  EXPECT_TRUE(tensors_close(w.detach(), tensor({0.8, -1.6, 2.4}, dtype(kDouble)), 1e-15, 1e-15));
  EXPECT_FALSE(opt.step().defined());
}

TEST(Optimizer, ZeroGrad) {
  auto w = randn({3}).requires_grad_(true);
  optim::SGD opt({w}, optim::SGDOptions(0.1));
  (w * 2).sum().backward();
  ASSERT_TRUE(w.grad().defined());
  opt.zero_grad(/*set_to_none=*/false);
  ASSERT_TRUE(w.grad().defined());
  EXPECT_TRUE(w.grad().equal(zeros({3})));
  opt.zero_grad();
  EXPECT_FALSE(w.grad().defined());
}

// ---- errors --------------------------------------------------------------------------------------
template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& needles) {
  const std::string msg = sinter::testing::expect_throws<E>(std::forward<F>(f));
  for (const auto& n : needles) EXPECT_TRUE(sinter::testing::contains(msg, n)) << msg;
}

TEST(Optimizer, BadOptionsRaiseValueErrorNamingTheOptimizer) {
  using namespace optim;
  std::vector<Tensor> ps = {randn({2}).requires_grad_(true)};
  expect_error<ValueError>([&] { SGD(ps, SGDOptions(-0.1)); }, {"SGD", "learning rate"});
  expect_error<ValueError>([&] { SGD(ps, SGDOptions(0.1).momentum(-1)); }, {"SGD", "momentum"});
  expect_error<ValueError>([&] { SGD(ps, SGDOptions(0.1).weight_decay(-1)); }, {"SGD", "weight_decay"});
  expect_error<ValueError>([&] { SGD(ps, SGDOptions(0.1).nesterov(true)); }, {"SGD", "Nesterov"});
  expect_error<ValueError>([&] { SGD(ps, SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)); },
                           {"SGD", "Nesterov"});
  expect_error<ValueError>([&] { Adam(ps, AdamOptions(-1)); }, {"Adam", "learning rate"});
  expect_error<ValueError>([&] { Adam(ps, AdamOptions().betas({1.0, 0.999})); }, {"Adam", "beta", "index 0"});
  expect_error<ValueError>([&] { Adam(ps, AdamOptions().betas({0.9, -0.1})); }, {"Adam", "beta", "index 1"});
  expect_error<ValueError>([&] { Adam(ps, AdamOptions().eps(-1e-8)); }, {"Adam", "epsilon"});
  expect_error<ValueError>([&] { AdamW(ps, AdamWOptions().weight_decay(-0.1)); }, {"AdamW", "weight_decay"});
  expect_error<ValueError>([&] { RMSprop(ps, RMSpropOptions().alpha(-0.5)); }, {"RMSprop", "alpha"});
  expect_error<ValueError>([&] { RMSprop(ps, RMSpropOptions().momentum(-0.5)); }, {"RMSprop", "momentum"});
  expect_error<ValueError>([&] { Adagrad(ps, AdagradOptions().lr_decay(-1)); }, {"Adagrad", "lr_decay"});
  expect_error<ValueError>([&] { Adagrad(ps, AdagradOptions().initial_accumulator_value(-1)); },
                           {"Adagrad", "initial_accumulator_value"});
  // A group's own options are checked too.
  SGD opt(ps, SGDOptions(0.1));
  expect_error<ValueError>(
      [&] { opt.add_param_group(OptimizerParamGroup({randn({1}).requires_grad_(true)}, SGDOptions(-2))); },
      {"SGD", "learning rate"});
}

TEST(Optimizer, TorchRejectsTheSameOptions) {
  auto& ref = TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  for (const char* ctor : {"SGD(ps, lr=-0.1)", "SGD(ps, lr=0.1, nesterov=True)", "Adam(ps, betas=(1.0, 0.999))",
                           "AdamW(ps, weight_decay=-0.1)", "RMSprop(ps, alpha=-0.5)", "Adagrad(ps, lr_decay=-1)"}) {
    auto r = ref.run("0", {}, {}, {}, std::string("ps = [torch.zeros(2, requires_grad=True)]\ntorch.optim.") + ctor);
    EXPECT_EQ(r.error_type, "ValueError") << ctor;
  }
}

TEST(Optimizer, GradientShapeMismatchIsShapeError) {
  auto w = randn({3}).requires_grad_(true);
  optim::SGD opt({w}, optim::SGDOptions(0.1));
  w.mutable_grad() = randn({4});
  expect_error<ShapeError>([&] { opt.step(); }, {"SGD", "(4,)", "(3,)"});
}

TEST(Optimizer, LoadStateDictChecksKeysAndShapes) {
  using namespace optim;
  auto a = randn({3}).requires_grad_(true), b = randn({2, 2}).requires_grad_(true);
  Adam adam({a, b}, AdamOptions(0.1));
  a.mutable_grad() = ones({3});
  b.mutable_grad() = ones({2, 2});
  adam.step();
  serialize::Archive saved = adam.state_dict();
  EXPECT_TRUE(saved.tensors.contains("state.0.exp_avg"));
  EXPECT_TRUE(saved.tensors.contains("state.1.exp_avg_sq"));
  EXPECT_TRUE(saved.tensors.contains("state.1.step"));
  EXPECT_FALSE(saved.tensors.contains("state.0.max_exp_avg_sq"));  // amsgrad off
  EXPECT_EQ(saved.tensor("state.1.step").item<int64_t>(), 1);
  EXPECT_EQ(saved.get("param_groups.0.betas"), "0.90000000000000002,0.999");

  // Another algorithm's state dict.
  SGD sgd({a.detach().clone().requires_grad_(true), b.detach().clone().requires_grad_(true)}, SGDOptions(0.1));
  expect_error<ValueError>([&] { sgd.load_state_dict(saved); }, {"SGD", "Adam", "optimizer"});
  // A different number of parameters.
  Adam one({a.detach().clone().requires_grad_(true)}, AdamOptions(0.1));
  expect_error<ValueError>([&] { one.load_state_dict(saved); }, {"Adam", "param_groups.0.params"});
  // A different number of groups.
  std::vector<OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{a.detach().clone().requires_grad_(true)});
  groups.emplace_back(std::vector<Tensor>{b.detach().clone().requires_grad_(true)});
  Adam two(groups, AdamOptions(0.1));
  expect_error<ValueError>([&] { two.load_state_dict(saved); }, {"Adam", "param_groups"});
  // Parameters of other shapes: ShapeError naming the key; the optimizer is left unchanged.
  auto c = randn({3}).requires_grad_(true), d = randn({4}).requires_grad_(true);
  Adam other({c, d}, AdamOptions(0.5));
  expect_error<ShapeError>([&] { other.load_state_dict(saved); }, {"Adam", "state.1.exp_avg", "(2, 2)", "(4,)"});
  EXPECT_EQ(other.param_groups()[0].options().get_lr(), 0.5);
  EXPECT_TRUE(other.state().empty());
  // A missing hyperparameter.
  serialize::Archive broken = saved;
  broken.meta.erase("param_groups.0.eps");
  Adam fresh({a.detach().clone().requires_grad_(true), b.detach().clone().requires_grad_(true)});
  expect_error<ValueError>([&] { fresh.load_state_dict(broken); }, {"Adam", "param_groups.0.eps"});
  // A state tensor for a parameter that does not exist.
  serialize::Archive extra = saved;
  extra.tensors.insert("state.7.exp_avg", zeros({3}));
  expect_error<ValueError>([&] { fresh.load_state_dict(extra); }, {"Adam", "state.7.exp_avg"});
  // The good one loads.
  fresh.load_state_dict(saved);
  EXPECT_EQ(fresh.state().size(), 2u);
}

TEST(Optimizer, AdagradStateExistsFromConstruction) {
  auto w = randn({3}, dtype(kDouble)).requires_grad_(true);
  optim::Adagrad opt({w}, optim::AdagradOptions(0.1).initial_accumulator_value(0.25));
  auto sd = opt.state_dict();
  ASSERT_TRUE(sd.tensors.contains("state.0.sum"));
  EXPECT_TRUE(sd.tensor("state.0.sum").equal(full({3}, 0.25, dtype(kDouble))));
  EXPECT_EQ(sd.tensor("state.0.step").item<int64_t>(), 0);
}

TEST(Optimizer, Float16ParametersAreRejectedClearly) {
  auto w = randn({3}).to(kHalf).requires_grad_(true);
  optim::SGD opt({w}, optim::SGDOptions(0.1));
  w.mutable_grad() = ones({3}).to(kHalf);
  expect_error<DTypeError>([&] { opt.step(); }, {"SGD", "float16"});
}

}  // namespace
