// torch::optim and torch::nn::utils through <sinter/torch.h>, written as LibTorch code.
#include <gtest/gtest.h>

#include <sinter/torch.h>

namespace {

TEST(TorchOptim, SgdAndAdamFitALinearModel) {
  torch::manual_seed(0);
  auto x = torch::randn({64, 3});
  auto true_w = torch::tensor({1.5, -2.0, 0.5}).reshape({3, 1});
  auto y = x.mm(true_w) + 0.25;
  for (int which = 0; which < 2; ++which) {
    auto w = torch::zeros({3, 1}, torch::requires_grad());
    auto b = torch::zeros({1}, torch::requires_grad());
    std::vector<torch::Tensor> params = {w, b};
    std::unique_ptr<torch::optim::Optimizer> opt;
    if (which == 0)
      opt = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(0.1).momentum(0.5));
    else
      opt = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(5e-2));
    torch::optim::StepLR sched(*opt, /*step_size=*/100, /*gamma=*/0.5);
    double first = 0, last = 0;
    for (int step = 0; step < 300; ++step) {
      opt->zero_grad();
      auto loss = (x.mm(w) + b - y).pow(2).mean();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(params, 10.0);
      opt->step();
      sched.step();
      if (step == 0) first = loss.item<double>();
      last = loss.item<double>();
    }
    EXPECT_LT(last, first * 1e-3) << (which == 0 ? "SGD" : "Adam");
    EXPECT_NEAR(b.item<double>(), 0.25, 0.02);
    EXPECT_DOUBLE_EQ(opt->param_groups()[0].options().get_lr(), (which == 0 ? 0.1 : 5e-2) * 0.125);
  }
}

TEST(TorchOptim, OptionsCastAsInLibTorch) {
  auto w = torch::randn({2}, torch::requires_grad());
  torch::optim::Adam opt({w}, torch::optim::AdamOptions(1e-3));
  auto& o = static_cast<torch::optim::AdamOptions&>(opt.param_groups()[0].options());
  o.lr(0.5);
  EXPECT_EQ(opt.param_groups()[0].options().get_lr(), 0.5);
  EXPECT_EQ(std::get<0>(o.betas()), 0.9);
  torch::nn::utils::clip_grad_value_({w}, 1.0);
}

}  // namespace
