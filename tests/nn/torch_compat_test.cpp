// A LibTorch-style program compiled through <sinter/torch.h>.
#include <gtest/gtest.h>

#include <sinter/torch.h>

#include <sstream>

namespace {
struct NetImpl : torch::nn::Module {
  NetImpl()
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1)))),
        fc(register_module("fc", torch::nn::Linear(4 * 4 * 4, 10))) {}
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(torch::max_pool2d(conv1(x), 2));
    x = x.view({x.size(0), -1});
    return torch::log_softmax(fc(x), 1);
  }
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Net);

// The plain-struct form: `auto model = std::make_shared<Model>();`.
struct Model : torch::nn::Module {
  Model() {
    fc1 = register_module("fc1", torch::nn::Linear(8, 16));
    fc2 = register_module("fc2", torch::nn::Linear(16, 3));
    torch::nn::init::xavier_uniform_(fc1->weight);
    torch::nn::init::kaiming_normal_(fc2->weight, 0.0, torch::kFanOut, torch::kReLU);
  }
  torch::Tensor forward(torch::Tensor x) { return fc2->forward(torch::relu(fc1->forward(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
}  // namespace

TEST(NNTorchCompat, TorchModuleProgram) {
  torch::manual_seed(0);
  Net net;
  auto out = net(torch::randn({2, 1, 8, 8}));
  EXPECT_EQ(out.sizes(), torch::IntArrayRef({2, 10}));
  EXPECT_EQ(net->named_parameters().keys(),
            (std::vector<std::string>{"conv1.weight", "conv1.bias", "fc.weight", "fc.bias"}));
  // torch::nn::functional still resolves next to the modules.
  namespace F = torch::nn::functional;
  auto y = F::relu(torch::randn({3}), F::ReLUFuncOptions());
  EXPECT_EQ(y.numel(), 3);
  auto loss = F::nll_loss(out, torch::tensor({1, 2}));
  loss.backward();
  EXPECT_TRUE(net->conv1->weight.grad().defined());
}

TEST(NNTorchCompat, SharedPtrModel) {
  auto model = std::make_shared<Model>();
  auto out = model->forward(torch::randn({4, 8}));
  EXPECT_EQ(out.sizes(), torch::IntArrayRef({4, 3}));
  EXPECT_EQ(model->parameters().size(), 4u);
  std::ostringstream os;
  os << *model;
  EXPECT_EQ(os.str(),
            "Model(\n  (fc1): Linear(in_features=8, out_features=16, bias=True)\n  (fc2): Linear(in_features=16, "
            "out_features=3, bias=True)\n)");
  torch::nn::Sequential seq(torch::nn::Linear(8, 4), torch::nn::Functional(torch::relu), torch::nn::Linear(4, 2));
  EXPECT_EQ(seq->forward(torch::randn({5, 8})).sizes(), torch::IntArrayRef({5, 2}));
}
