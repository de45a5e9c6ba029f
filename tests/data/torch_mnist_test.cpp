// The data pipeline of LibTorch's MNIST example, written against LibTorch's API and built
// through <sinter/torch.h>, on Debian's Fashion-MNIST (skipped when it is not installed).
// Also reports how fast the per-example pipeline and the index_select fast path run.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <sinter/torch.h>

namespace {

const char* kDataRoot = "/usr/share/datasets/fashion-mnist";
const int64_t kTrainBatchSize = 64;

bool have_data() {
  struct stat st;
  return ::stat(kDataRoot, &st) == 0;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A custom dataset in LibTorch's style.
struct Squares : torch::data::datasets::Dataset<Squares> {
  torch::data::Example<> get(size_t index) override {
    return {torch::full({1}, static_cast<double>(index * index)), torch::tensor(static_cast<int64_t>(index))};
  }
  torch::optional<size_t> size() const override { return 10; }
};

}  // namespace

TEST(TorchData, CustomDatasetAndRandomSampler) {
  auto loader = torch::data::make_data_loader(Squares().map(torch::data::transforms::Stack<>()),
                                              torch::data::DataLoaderOptions().batch_size(4).workers(2));
  int64_t seen = 0;
  for (auto& batch : *loader) {
    for (int64_t i = 0; i < batch.target.size(0); ++i) {
      const int64_t t = batch.target[i].item<int64_t>();
      EXPECT_FLOAT_EQ(batch.data[i][0].item<float>(), static_cast<float>(t * t));
      seen += t;
    }
  }
  EXPECT_EQ(seen, 45);
}

TEST(TorchData, LibTorchMnistExamplePipeline) {
  if (!have_data()) GTEST_SKIP() << kDataRoot << " is absent (Debian package dataset-fashion-mnist; `make deps` installs it)";
  auto t0 = std::chrono::steady_clock::now();
  auto train_dataset = torch::data::datasets::MNIST(kDataRoot)
                           .map(torch::data::transforms::Normalize<>(0.1307, 0.3081))
                           .map(torch::data::transforms::Stack<>());
  const size_t train_dataset_size = train_dataset.size().value();
  const double load_s = seconds_since(t0);
  EXPECT_EQ(train_dataset_size, 60000u);
  auto train_loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      std::move(train_dataset), kTrainBatchSize);

  t0 = std::chrono::steady_clock::now();
  size_t batch_index = 0, examples = 0;
  std::vector<int64_t> per_class(10, 0);
  double sum = 0;
  for (auto& batch : *train_loader) {
    auto data = batch.data.to(torch::kCPU), targets = batch.target.to(torch::kCPU);
    if (batch_index == 0) {
      EXPECT_EQ(data.sizes(), torch::IntArrayRef({64, 1, 28, 28}));
      EXPECT_EQ(targets.dtype(), torch::kLong);
    }
    examples += static_cast<size_t>(data.size(0));
    sum += data.sum().item<double>();
    for (int c = 0; c < 10; ++c) per_class[c] += (targets == c).sum().item<int64_t>();
    ++batch_index;
  }
  const double epoch_s = seconds_since(t0);
  EXPECT_EQ(batch_index, 938u);
  EXPECT_EQ(examples, 60000u);
  for (int c = 0; c < 10; ++c) EXPECT_EQ(per_class[c], 6000) << "class " << c;
  // Fashion-MNIST's pixel mean is 0.2860: normalized with MNIST's statistics, (0.2860 - 0.1307) / 0.3081.
  EXPECT_NEAR(sum / (60000.0 * 784), (0.2860 - 0.1307) / 0.3081, 2e-3);

  auto test_dataset = torch::data::datasets::MNIST(kDataRoot, torch::data::datasets::MNIST::Mode::kTest)
                          .map(torch::data::transforms::Normalize<>(0.1307, 0.3081))
                          .map(torch::data::transforms::Stack<>());
  EXPECT_EQ(test_dataset.size().value(), 10000u);
  auto test_loader = torch::data::make_data_loader(std::move(test_dataset),
                                                   torch::data::DataLoaderOptions().batch_size(1000).workers(2));
  t0 = std::chrono::steady_clock::now();
  size_t test_examples = 0;
  for (const auto& batch : *test_loader) test_examples += static_cast<size_t>(batch.data.size(0));
  const double test_s = seconds_since(t0);
  EXPECT_EQ(test_examples, 10000u);
  std::printf("[ fashion-mnist ] load train set %.2f s; per-example pipeline (Normalize + Stack, 0 workers): "
              "%.0f batches/s (%.2f s/epoch); test set, 2 workers: %.0f examples/s\n",
              load_s, 938 / epoch_s, epoch_s, 10000 / test_s);
}

TEST(TorchData, FastPathOverFashionMnist) {
  if (!have_data()) GTEST_SKIP() << kDataRoot << " is absent";
  torch::data::datasets::MNIST mnist(kDataRoot);
  for (size_t workers : {2, 0}) {
    auto loader = torch::data::make_data_loader(
        torch::data::datasets::TensorBatchDataset(mnist, torch::data::transforms::Normalize<>(0.1307, 0.3081)),
        torch::data::DataLoaderOptions().batch_size(64).workers(workers).seed(1));
    // A whole pass with workers; the first 300 batches on the caller's thread.
    const size_t limit = workers ? 938 : 300;
    auto t0 = std::chrono::steady_clock::now();
    size_t n = 0, examples = 0;
    for (auto& batch : *loader) {
      examples += static_cast<size_t>(batch.data.size(0));
      if (++n == limit) break;
    }
    const double s = seconds_since(t0);
    EXPECT_EQ(n, limit);
    if (workers) {
      EXPECT_EQ(examples, 60000u);
    }
    std::printf("[ fashion-mnist ] index_select fast path, shuffled, %zu workers: %.0f batches/s (%.3f s/epoch)\n",
                workers, n / s, s * 938 / n);
  }
  // The fast path gives what the per-example path gives.
  auto slow = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      mnist.map(torch::data::transforms::Normalize<>(0.1307, 0.3081)).map(torch::data::transforms::Stack<>()), 256);
  auto fast = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      torch::data::datasets::TensorBatchDataset(mnist, torch::data::transforms::Normalize<>(0.1307, 0.3081)), 256);
  auto a = slow->begin(), b = fast->begin();
  for (int k = 0; k < 3; ++k, ++a, ++b) {
    EXPECT_TRUE(a->data.equal(b->data));
    EXPECT_TRUE(a->target.equal(b->target));
  }
}
