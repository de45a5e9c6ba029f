// LR schedulers against PyTorch 1.13: the learning rates (and OneCycleLR's momentum/beta1) over
// 30 steps for each scheduler and several option sets, two parameter groups with different
// base learning rates. Also state-dict resume and argument errors.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "test_util.h"
#include "sinter/optim.h"
#include "sinter/sinter.h"
#include "torch_ref.h"

namespace {

using namespace sinter;
using namespace sinter::optim;
using sinter::testing::TorchRef;
using sinter::testing::tensors_close;

constexpr int kSteps = 30;

/// Two groups (lr 0.1 and 0.02) over dummy parameters.
template <class Opt, class Options>
std::unique_ptr<Optimizer> two_groups(Options o) {
  std::vector<OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{zeros({1}).requires_grad_(true)}, o.lr(0.1));
  groups.emplace_back(std::vector<Tensor>{zeros({1}).requires_grad_(true)}, o.lr(0.02));
  return std::make_unique<Opt>(groups, o);
}

struct Case {
  std::string name;
  std::string torch_opt;    // Python optimizer over groups `G`
  std::string torch_sched;  // Python scheduler over `opt`
  std::function<std::unique_ptr<Optimizer>()> make_opt;
  std::function<std::unique_ptr<LRScheduler>(Optimizer&)> make_sched;
  bool momentum = false;  // also record the groups' momentum (or beta1)
};

const char* kSgd = "torch.optim.SGD(G, lr=0.1, momentum=0.9)";
const char* kAdam = "torch.optim.Adam(G, lr=0.1)";
std::unique_ptr<Optimizer> sgd() { return two_groups<SGD>(SGDOptions(0.1).momentum(0.9)); }
std::unique_ptr<Optimizer> adam() { return two_groups<Adam>(AdamOptions(0.1)); }

template <class S, class... A>
std::function<std::unique_ptr<LRScheduler>(Optimizer&)> sched(A... args) {
  return [=](Optimizer& o) { return std::make_unique<S>(o, args...); };
}

std::vector<Case> cases() {
  return {
      {"step", kSgd, "StepLR(opt, 7)", sgd, sched<StepLR>(int64_t(7))},
      {"step_gamma", kSgd, "StepLR(opt, step_size=3, gamma=0.5)", sgd, sched<StepLR>(int64_t(3), 0.5)},
      {"multistep", kSgd, "MultiStepLR(opt, milestones=[5, 12, 20])", sgd,
       sched<MultiStepLR>(std::vector<int64_t>{5, 12, 20})},
      {"multistep_repeated", kSgd, "MultiStepLR(opt, milestones=[9, 4, 9, 25], gamma=0.3)", sgd,
       sched<MultiStepLR>(std::vector<int64_t>{9, 4, 9, 25}, 0.3)},
      {"exponential", kSgd, "ExponentialLR(opt, gamma=0.9)", sgd, sched<ExponentialLR>(0.9)},
      {"cosine", kSgd, "CosineAnnealingLR(opt, T_max=30)", sgd, sched<CosineAnnealingLR>(int64_t(30))},
      {"cosine_restart", kSgd, "CosineAnnealingLR(opt, T_max=8, eta_min=0.001)", sgd,
       sched<CosineAnnealingLR>(int64_t(8), 0.001)},
      {"linear", kSgd, "LinearLR(opt)", sgd, sched<LinearLR>()},
      {"linear_warmup", kSgd, "LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=12)", sgd,
       sched<LinearLR>(0.1, 1.0, int64_t(12))},
      {"linear_decay", kSgd, "LinearLR(opt, start_factor=1.0, end_factor=0.25, total_iters=20)", sgd,
       sched<LinearLR>(1.0, 0.25, int64_t(20))},
      {"onecycle_cos", kSgd, "OneCycleLR(opt, max_lr=1.0, total_steps=30)", sgd,
       sched<OneCycleLR>(1.0, std::optional<int64_t>(30)), true},
      {"onecycle_linear_adam", kAdam,
       "OneCycleLR(opt, max_lr=[0.5, 0.2], epochs=3, steps_per_epoch=10, pct_start=0.25, "
       "anneal_strategy='linear', base_momentum=0.8, max_momentum=0.9)",
       adam,
       sched<OneCycleLR>(std::vector<double>{0.5, 0.2}, std::optional<int64_t>(), std::optional<int64_t>(3),
                         std::optional<int64_t>(10), 0.25, std::string("linear"), true, 0.8, 0.9),
       true},
      {"onecycle_three_phase", kSgd,
       "OneCycleLR(opt, max_lr=0.3, total_steps=30, three_phase=True, div_factor=10.0, final_div_factor=100.0)",
       sgd,
       sched<OneCycleLR>(0.3, std::optional<int64_t>(30), std::optional<int64_t>(), std::optional<int64_t>(), 0.3,
                         std::string("cos"), true, 0.85, 0.95, 10.0, 100.0, true),
       true},
      {"onecycle_no_momentum", kSgd, "OneCycleLR(opt, max_lr=0.3, total_steps=40, cycle_momentum=False)", sgd,
       sched<OneCycleLR>(0.3, std::optional<int64_t>(40), std::optional<int64_t>(), std::optional<int64_t>(), 0.3,
                         std::string("cos"), false),
       true},
  };
}

double momentum_of(const OptimizerParamGroup& g) { return g.options().get_momentum(); }

/// Row per step: the groups' learning rates, then (optionally) their momentum or beta1.
Tensor record(Optimizer& opt, const std::function<void()>& advance, bool momentum, int steps) {
  std::vector<double> rows;
  for (int i = 0; i <= steps; ++i) {
    if (i > 0) advance();
    for (const auto& g : opt.param_groups()) rows.push_back(g.options().get_lr());
    if (momentum)
      for (const auto& g : opt.param_groups()) rows.push_back(momentum_of(g));
  }
  const int64_t cols = static_cast<int64_t>(rows.size()) / (steps + 1);
  return tensor(rows, dtype(kDouble)).reshape({steps + 1, cols});
}

std::string torch_record(const std::string& opt, const std::string& sched, bool momentum, int steps,
                         const std::string& advance = "s.step()") {
  std::string s =
      "G = [{'params': [torch.zeros(1, requires_grad=True)], 'lr': 0.1},\n"
      "     {'params': [torch.zeros(1, requires_grad=True)], 'lr': 0.02}]\n"
      "opt = " + opt + "\n" +
      "s = torch.optim.lr_scheduler." + sched + "\n" +
      "def mom(g):\n"
      "    return g['betas'][0] if 'betas' in g else g['momentum']\n"
      "def row():\n"
      "    r = [g['lr'] for g in opt.param_groups]\n";
  if (momentum) s += "    r += [mom(g) for g in opt.param_groups]\n";
  s += "    return r\n"
       "rows = [row()]\n"
       "for i in range(" + std::to_string(steps) + "):\n"
       "    opt.step()\n"
       "    " + advance + "\n"
       "    rows.append(row())\n";
  return s;
}

class SchedulerVsTorch : public ::testing::TestWithParam<Case> {};

TEST_P(SchedulerVsTorch, LearningRatesMatchTorch) {
  auto& ref = TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  const Case& c = GetParam();
  auto opt = c.make_opt();
  auto s = c.make_sched(*opt);
  Tensor ours = record(*opt, [&] { s->step(); }, c.momentum, kSteps);
  auto r = ref.run("torch.tensor(rows, dtype=torch.float64)", {}, {}, {},
                   torch_record(c.torch_opt, c.torch_sched, c.momentum, kSteps));
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
  EXPECT_TRUE(tensors_close(ours, r.outputs[0], 1e-14, 1e-16));
  // get_last_lr is the groups' current learning rates.
  ASSERT_EQ(s->get_last_lr().size(), 2u);
  EXPECT_EQ(s->get_last_lr()[0], opt->param_groups()[0].options().get_lr());
  EXPECT_EQ(s->last_epoch(), kSteps);
  // The schedule is not constant (a test over a constant schedule could not fail).
  EXPECT_FALSE(ours.select(1, 0).equal(full({kSteps + 1}, ours[0][0].item<double>(), dtype(kDouble))));
}

TEST_P(SchedulerVsTorch, StateDictResumeContinuesTheSchedule) {
  const Case& c = GetParam();
  auto opt = c.make_opt();
  auto s = c.make_sched(*opt);
  std::vector<double> straight;
  for (int i = 0; i < 20; ++i) {
    s->step();
    if (i >= 10) straight.push_back(opt->param_groups()[1].options().get_lr());
    if (i == 9) {
      // Resume as a training script does: new optimizer and scheduler, then both state dicts.
      auto saved_opt = opt->state_dict();
      auto saved_sched = s->state_dict();
      auto opt2 = c.make_opt();
      auto s2 = c.make_sched(*opt2);
      opt2->load_state_dict(saved_opt);
      s2->load_state_dict(saved_sched);
      EXPECT_EQ(s2->last_epoch(), s->last_epoch());
      std::vector<double> resumed;
      for (int j = 10; j < 20; ++j) {
        s2->step();
        resumed.push_back(opt2->param_groups()[1].options().get_lr());
      }
      // Finish the straight run, then compare.
      for (int j = 10; j < 20; ++j) {
        s->step();
        straight.push_back(opt->param_groups()[1].options().get_lr());
      }
      EXPECT_EQ(resumed, straight);
      return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, SchedulerVsTorch, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// ---- ReduceLROnPlateau ---------------------------------------------------------------------------
struct PlateauCase {
  std::string torch_args;
  std::function<std::unique_ptr<ReduceLROnPlateau>(Optimizer&)> make;
};

TEST(ReduceLROnPlateau, LearningRatesMatchTorch) {
  auto& ref = TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  // A loss that improves, stalls, creeps and improves again; its mirror for mode max.
  std::vector<double> metrics = {1.0,  0.9,  0.85,  0.85, 0.86,  0.849, 0.84,  0.84,  0.84, 0.84,
                                 0.84, 0.7,  0.71,  0.72, 0.7,   0.69,  0.699, 0.698, 0.69, 0.69,
                                 0.5,  0.5,  0.5,   0.5,  0.5,   0.5,   0.4,   0.4,   0.4,  0.4};
  using R = ReduceLROnPlateau;
  const std::vector<PlateauCase> cases = {
      {"patience=2", [](Optimizer& o) { return std::make_unique<R>(o, R::min, 0.1, 2); }},
      {"mode='min', factor=0.5, patience=1, threshold=0.05, threshold_mode='abs', cooldown=2",
       [](Optimizer& o) { return std::make_unique<R>(o, R::min, 0.5, 1, 0.05, R::abs, 2); }},
      {"mode='max', factor=0.3, patience=0, threshold=0.01, min_lr=[0.005, 0.001], eps=1e-12",
       [](Optimizer& o) {
         return std::make_unique<R>(o, R::max, 0.3, 0, 0.01, R::rel, 0, std::vector<double>{0.005, 0.001}, 1e-12);
       }},
      {"mode='max', factor=0.5, patience=3, threshold=0.02, threshold_mode='abs', cooldown=1, min_lr=0.004",
       [](Optimizer& o) { return std::make_unique<R>(o, R::max, 0.5, 3, 0.02, R::abs, 1, std::vector<double>{0.004}); }},
  };
  std::vector<double> mirrored;
  for (double m : metrics) mirrored.push_back(1.0 - m);
  for (const auto& pc : cases) {
    SCOPED_TRACE(pc.torch_args);
    const bool max_mode = pc.torch_args.find("'max'") != std::string::npos;
    const auto& ms = max_mode ? mirrored : metrics;
    auto opt = sgd();
    auto s = pc.make(*opt);
    size_t i = 0;
    Tensor ours = record(*opt, [&] { s->step(ms[i++]); }, false, kSteps);
    auto r = ref.run("torch.tensor(rows, dtype=torch.float64)", {tensor(ms, dtype(kDouble))}, {}, {},
                     "M = a0.tolist()\nit = iter(M)\n" +
                         torch_record(kSgd, "ReduceLROnPlateau(opt, " + pc.torch_args + ")", false, kSteps,
                                      "s.step(next(it))"));
    ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
    EXPECT_TRUE(tensors_close(ours, r.outputs[0], 1e-14, 1e-16));
    EXPECT_LT(ours[kSteps][0].item<double>(), 0.1);  // it did reduce
    EXPECT_EQ(s->get_last_lr()[1], opt->param_groups()[1].options().get_lr());
  }
}

TEST(ReduceLROnPlateau, StateDictResume) {
  using R = ReduceLROnPlateau;
  std::vector<double> ms = {1, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  auto opt = sgd();
  R s(*opt, R::min, 0.5, 1, 1e-4, R::rel, 1);
  for (size_t i = 0; i < 5; ++i) s.step(ms[i]);
  auto so = opt->state_dict();
  auto ss = s.state_dict();
  auto opt2 = sgd();
  R s2(*opt2);
  opt2->load_state_dict(so);
  s2.load_state_dict(ss);
  EXPECT_EQ(s2.best(), s.best());
  EXPECT_EQ(s2.num_bad_epochs(), s.num_bad_epochs());
  for (size_t i = 5; i < ms.size(); ++i) {
    s.step(ms[i]);
    s2.step(tensor({ms[i]}, dtype(kDouble)));
    EXPECT_EQ(opt->param_groups()[0].options().get_lr(), opt2->param_groups()[0].options().get_lr()) << i;
  }
  EXPECT_LT(opt->param_groups()[0].options().get_lr(), 0.1);
  serialize::Archive bad = ss;
  bad.put_doubles("min_lrs", {0.0});
  EXPECT_THROW(s2.load_state_dict(bad), ValueError);
}

// ---- errors --------------------------------------------------------------------------------------
template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& needles) {
  const std::string msg = sinter::testing::expect_throws<E>(std::forward<F>(f));
  for (const auto& n : needles) EXPECT_TRUE(sinter::testing::contains(msg, n)) << msg;
}

TEST(LRScheduler, ArgumentErrors) {
  auto opt = sgd();
  expect_error<ValueError>([&] { StepLR(*opt, 0); }, {"StepLR", "step_size"});
  expect_error<ValueError>([&] { LinearLR(*opt, 1.5); }, {"LinearLR", "between 0 and 1"});
  expect_error<ValueError>([&] { LinearLR(*opt, 0.5, -0.1); }, {"LinearLR", "between 0 and 1"});
  expect_error<ValueError>([&] { CosineAnnealingLR(*opt, 0); }, {"CosineAnnealingLR", "T_max"});
  expect_error<ValueError>([&] { OneCycleLR(*opt, 0.1); }, {"OneCycleLR", "total_steps"});
  expect_error<ValueError>([&] { OneCycleLR(*opt, 0.1, int64_t(0)); }, {"OneCycleLR", "total_steps"});
  expect_error<ValueError>([&] { OneCycleLR(*opt, 0.1, 10, std::nullopt, std::nullopt, 1.5); },
                           {"OneCycleLR", "pct_start"});
  expect_error<ValueError>([&] { OneCycleLR(*opt, 0.1, 10, std::nullopt, std::nullopt, 0.3, "cosine"); },
                           {"OneCycleLR", "anneal_strategy"});
  expect_error<ValueError>([&] { OneCycleLR(*opt, std::vector<double>{0.1}, 10); }, {"OneCycleLR", "max_lr"});
  auto ada = two_groups<Adagrad>(AdagradOptions(0.1));
  expect_error<ValueError>([&] { OneCycleLR(*ada, 0.1, 10); }, {"OneCycleLR", "momentum"});
  expect_error<ValueError>([&] { ReduceLROnPlateau(*opt, ReduceLROnPlateau::min, 1.0); },
                           {"ReduceLROnPlateau", "factor"});
  expect_error<ValueError>(
      [&] { ReduceLROnPlateau(*opt, ReduceLROnPlateau::min, 0.1, 10, 1e-4, ReduceLROnPlateau::rel, 0, {0.1, 0.2, 0.3}); },
      {"ReduceLROnPlateau", "min_lrs"});
  // Stepping OneCycleLR past its total.
  OneCycleLR oc(*opt, 0.1, int64_t(3));
  for (int i = 0; i < 3; ++i) oc.step();
  expect_error<ValueError>([&] { oc.step(); }, {"OneCycleLR", "total steps is 3"});
  // Loading another scheduler's state dict.
  auto opt2 = sgd();
  StepLR st(*opt2, 5);
  ExponentialLR ex(*opt2, 0.5);
  expect_error<ValueError>([&] { ex.load_state_dict(st.state_dict()); }, {"ExponentialLR", "StepLR", "scheduler"});
  auto one_group = std::make_unique<SGD>(std::vector<Tensor>{zeros({1}).requires_grad_(true)}, SGDOptions(0.1));
  StepLR st1(*one_group, 5);
  expect_error<ValueError>([&] { st1.load_state_dict(st.state_dict()); }, {"StepLR", "base_lrs"});
}

}  // namespace
