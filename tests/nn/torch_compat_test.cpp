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

TEST(NNTorchCompat, OptionsAndIdioms) {
  torch::manual_seed(1);
  torch::Device device(torch::kCPU);
  Net net;
  net->to(device);
  net->to(torch::kCPU);
  EXPECT_THROW(net->to(torch::Device(torch::kCUDA, 0)), sinter::NotImplementedError);
  torch::nn::Sequential seq(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 2, 3).padding(torch::kSame).padding_mode(torch::kZeros)),
      torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(2).eps(1e-3).momentum(0.2).affine(true)),
      torch::nn::Functional(torch::relu), torch::nn::Dropout(0.5), torch::nn::Flatten(),
      torch::nn::Linear(torch::nn::LinearOptions(2 * 5 * 5, 3).bias(false)));
  seq->eval();
  auto y = seq->forward(torch::randn({4, 1, 5, 5}));
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({4, 3}));
  for (auto& p : seq->named_parameters()) {
    if (p.key().find("weight") != std::string::npos && p.value().dim() > 1)
      torch::nn::init::xavier_normal_(p.value());
  }
  auto conv = seq[0]->as<torch::nn::Conv2d>();
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->options.padding().mode(), "same");
  torch::nn::Conv2d valid(torch::nn::Conv2dOptions(1, 1, 3).padding(torch::kValid));
  EXPECT_EQ(valid(torch::randn({1, 1, 5, 5})).sizes(), torch::IntArrayRef({1, 1, 3, 3}));
  // A TORCH_MODULE holder inside a Sequential prints through PyTorch's layout.
  torch::nn::Sequential outer(net, torch::nn::ReLU());
  std::ostringstream os;
  os << *outer;
  EXPECT_EQ(os.str(),
            "Sequential(\n  (0): Net(\n    (conv1): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
            "    (fc): Linear(in_features=64, out_features=10, bias=True)\n  )\n  (1): ReLU()\n)");
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

TEST(NNTorchCompat, EveryModuleUnderTorchNn) {
  // The umbrella header brings the attention and recurrent modules into torch::nn too.
  torch::nn::MultiheadAttention mha(8, 2);
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(4, 6));
  torch::nn::GRU gru(4, 6);
  EXPECT_FALSE(mha->parameters().empty());
  EXPECT_FALSE(lstm->parameters().empty());
  EXPECT_FALSE(gru->parameters().empty());
}
