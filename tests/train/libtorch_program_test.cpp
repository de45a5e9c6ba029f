// A LibTorch training program of the canonical MNIST-example shape, written against the
// LibTorch API: only the include differs from the LibTorch original. It trains on the real
// Fashion-MNIST files for a few hundred steps and must learn.
#include <gtest/gtest.h>

#include <filesystem>

#include <sinter/torch.h>

namespace {

struct Net : torch::nn::Module {
  Net()
      : conv1(torch::nn::Conv2dOptions(1, 10, /*kernel_size=*/5)),
        conv2(torch::nn::Conv2dOptions(10, 20, /*kernel_size=*/5)),
        fc1(320, 50),
        fc2(50, 10) {
    register_module("conv1", conv1);
    register_module("conv2", conv2);
    register_module("conv2_drop", conv2_drop);
    register_module("fc1", fc1);
    register_module("fc2", fc2);
  }

  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(torch::max_pool2d(conv1->forward(x), 2));
    x = torch::relu(torch::max_pool2d(conv2_drop->forward(conv2->forward(x)), 2));
    x = x.view({-1, 320});
    x = torch::relu(fc1->forward(x));
    x = torch::dropout(x, /*p=*/0.5, /*training=*/is_training());
    x = fc2->forward(x);
    return torch::log_softmax(x, /*dim=*/1);
  }

  torch::nn::Conv2d conv1;
  torch::nn::Conv2d conv2;
  torch::nn::Dropout2d conv2_drop;
  torch::nn::Linear fc1;
  torch::nn::Linear fc2;
};

template <typename DataLoader>
double train_steps(Net& model, DataLoader& data_loader, torch::optim::Optimizer& optimizer, size_t max_steps,
                   double* first_loss) {
  model.train();
  size_t batch_idx = 0;
  double last = 0;
  for (auto& batch : data_loader) {
    auto data = batch.data.to(torch::kCPU), targets = batch.target.to(torch::kCPU);
    optimizer.zero_grad();
    auto output = model.forward(data);
    auto loss = torch::nll_loss(output, targets);
    AT_ASSERT(!std::isnan(loss.template item<float>()));
    loss.backward();
    optimizer.step();
    if (batch_idx == 0) *first_loss = loss.template item<float>();
    last = loss.template item<float>();
    if (++batch_idx == max_steps) break;
  }
  return last;
}

template <typename DataLoader>
double test_accuracy(Net& model, DataLoader& data_loader, size_t max_batches) {
  torch::NoGradGuard no_grad;
  model.eval();
  int64_t correct = 0, total = 0;
  size_t n = 0;
  for (const auto& batch : data_loader) {
    auto output = model.forward(batch.data);
    auto pred = output.argmax(1);
    correct += pred.eq(batch.target).sum().template item<int64_t>();
    total += batch.target.size(0);
    if (++n == max_batches) break;
  }
  return static_cast<double>(correct) / static_cast<double>(total);
}

}  // namespace

TEST(LibTorchProgram, TrainsOnFashionMnist) {
  const char* kDataRoot = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(kDataRoot)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  torch::manual_seed(1);
  Net model;
  auto train_dataset = torch::data::datasets::MNIST(kDataRoot)
                           .map(torch::data::transforms::Normalize<>(0.2860, 0.3530))
                           .map(torch::data::transforms::Stack<>());
  const size_t train_dataset_size = train_dataset.size().value();
  EXPECT_EQ(train_dataset_size, 60000u);
  auto train_loader =
      torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(std::move(train_dataset), 64);
  auto test_dataset = torch::data::datasets::MNIST(kDataRoot, torch::data::datasets::MNIST::Mode::kTest)
                          .map(torch::data::transforms::Normalize<>(0.2860, 0.3530))
                          .map(torch::data::transforms::Stack<>());
  auto test_loader = torch::data::make_data_loader(std::move(test_dataset), 1000);

  torch::optim::SGD optimizer(model.parameters(), torch::optim::SGDOptions(0.01).momentum(0.5));
  const double before = test_accuracy(model, *test_loader, 2);
  double first = 0;
  const double last = train_steps(model, *train_loader, optimizer, 300, &first);
  const double after = test_accuracy(model, *test_loader, 2);
  EXPECT_LT(last, first * 0.6) << "loss " << first << " -> " << last;
  EXPECT_GT(after, 0.6) << "test accuracy after 300 steps: " << after << " (before: " << before << ")";
  EXPECT_GT(after, before + 0.3);
}
