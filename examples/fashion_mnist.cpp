// Fashion-MNIST end to end: train an MLP or a CNN, evaluate after each epoch, print a confusion
// matrix, save the model (safetensors) and a checkpoint that --resume continues from.
//
//   build/bin/fashion_mnist --model cnn --epochs 2
//   build/bin/fashion_mnist --model mlp --epochs 5 --batch-size 128 --lr 1e-3 --threads 2
//   build/bin/fashion_mnist --resume                 # continue from out/checkpoint.safetensors
//
// The data comes from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
// The last line printed is `test_accuracy: 0.XXXX`.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include "sinter/data.h"
#include "sinter/io.h"
#include "sinter/nn.h"
#include "sinter/optim.h"
#include "sinter/sinter.h"

using namespace sinter;
namespace fs = std::filesystem;

namespace {

const char* kClasses[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
constexpr double kMean = 0.2860, kStd = 0.3530;  // Fashion-MNIST training-set pixel statistics

struct Args {
  std::string model = "cnn", data = data::datasets::MNIST::kFashionMnistDir, out = "fashion_mnist_out";
  int64_t epochs = 2, batch_size = 64, threads = 0;
  double lr = 1e-3;
  uint64_t seed = 0;
  bool resume = false;
  std::string schedule = "cosine";
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "%s\nusage: fashion_mnist [--model mlp|cnn] [--epochs N] [--batch-size N] [--lr X] [--threads N]\n"
               "                     [--schedule cosine|constant] [--seed N] [--data DIR] [--out DIR] [--resume]\n",
               msg);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + k).c_str());
      return argv[++i];
    };
    try {
      if (k == "--model") a.model = val();
      else if (k == "--epochs") a.epochs = std::stoll(val());
      else if (k == "--batch-size") a.batch_size = std::stoll(val());
      else if (k == "--lr") a.lr = std::stod(val());
      else if (k == "--threads") a.threads = std::stoll(val());
      else if (k == "--seed") a.seed = std::stoull(val());
      else if (k == "--data") a.data = val();
      else if (k == "--out") a.out = val();
      else if (k == "--resume") a.resume = true;
      else if (k == "--schedule") a.schedule = val();
      else if (k == "-h" || k == "--help") usage("Trains a classifier on Fashion-MNIST.");
      else usage(("unknown argument " + k).c_str());
    } catch (const std::logic_error&) {
      usage(("bad value for " + k).c_str());
    }
  }
  if (a.model != "mlp" && a.model != "cnn") usage("--model must be mlp or cnn");
  if (a.schedule != "cosine" && a.schedule != "constant") usage("--schedule must be cosine or constant");
  if (a.epochs < 1 || a.batch_size < 1 || a.lr <= 0 || a.threads < 0) usage("epochs, batch size and lr must be positive");
  return a;
}

nn::Sequential make_model(const std::string& kind) {
  if (kind == "mlp")
    return nn::Sequential(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(),
                          nn::Linear(128, 10));
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1)), nn::BatchNorm2d(32), nn::ReLU(),
                        nn::MaxPool2d(2), nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)), nn::BatchNorm2d(64),
                        nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(), nn::Linear(3136, 128), nn::ReLU(),
                        nn::Linear(128, 10));
}

std::string fmt_time(double s) {
  char b[32];
  int t = static_cast<int>(s + 0.5);
  std::snprintf(b, sizeof b, "%d:%02d", t / 60, t % 60);
  return b;
}

/// Accuracy and the 10x10 confusion matrix (rows: true class, columns: predicted).
std::pair<double, Tensor> evaluate(nn::Sequential& model, const data::datasets::MNIST& test) {
  NoGradGuard ng;
  model->eval();
  Tensor confusion = zeros({10, 10}, kLong);
  const int64_t n = test.images().size(0);
  int64_t correct = 0;
  for (int64_t b = 0; b < n; b += 1000) {
    const int64_t e = std::min(n, b + 1000);
    Tensor x = (test.images().slice(0, b, e) - kMean) / kStd;
    Tensor y = test.targets().slice(0, b, e);
    Tensor pred = model->forward(x).argmax(1);
    correct += pred.eq(y).sum().item<int64_t>();
    const int64_t* py = y.contiguous().data_ptr<int64_t>();
    const int64_t* pp = pred.contiguous().data_ptr<int64_t>();
    int64_t* pc = confusion.data_ptr<int64_t>();
    for (int64_t i = 0; i < e - b; ++i) ++pc[py[i] * 10 + pp[i]];
  }
  model->train();
  return {static_cast<double>(correct) / static_cast<double>(n), confusion};
}

void print_confusion(const Tensor& m) {
  std::printf("\nconfusion matrix (rows: true class, columns: predicted)\n%13s", "");
  for (int j = 0; j < 10; ++j) std::printf("%6d", j);
  std::printf("\n");
  for (int i = 0; i < 10; ++i) {
    std::printf("%d %-11s", i, kClasses[i]);
    int64_t total = 0;
    for (int j = 0; j < 10; ++j) {
      const int64_t v = m[i][j].item<int64_t>();
      total += v;
      std::printf("%6lld", static_cast<long long>(v));
    }
    std::printf("   %5.1f%%\n", total ? 100.0 * m[i][i].item<int64_t>() / static_cast<double>(total) : 0.0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  try {
    if (a.threads > 0) set_num_threads(static_cast<int>(a.threads));
    manual_seed(a.seed);
    data::datasets::MNIST train(a.data, data::datasets::MNIST::Mode::kTrain);
    data::datasets::MNIST test(a.data, data::datasets::MNIST::Mode::kTest);

    nn::Sequential model = make_model(a.model);
    optim::Adam optimizer(model->parameters(), optim::AdamOptions(a.lr));
    // The learning rate starts at --lr and follows a cosine to zero over the whole run, stepped
    // every batch (--schedule constant keeps it fixed).
    const int64_t steps_per_epoch = (train.images().size(0) + a.batch_size - 1) / a.batch_size;
    optim::CosineAnnealingLR scheduler(optimizer, a.epochs * steps_per_epoch);
    fs::create_directories(a.out);
    const std::string ckpt = (fs::path(a.out) / "checkpoint.safetensors").string();
    const std::string weights = (fs::path(a.out) / "model.safetensors").string();

    int64_t start_epoch = 0, step = 0;
    if (a.resume) {
      if (!fs::exists(ckpt)) throw IOError("fashion_mnist: --resume: no checkpoint at " + ckpt);
      io::TrainingState st = io::load_training_checkpoint(ckpt);
      model->load_state_dict(st.model);
      optimizer.load_state_dict(st.optimizer);
      if (a.schedule == "cosine") scheduler.load_state_dict(st.scheduler);
      start_epoch = st.epoch;
      step = st.step;
      std::printf("resumed from %s at epoch %lld, step %lld\n", ckpt.c_str(), static_cast<long long>(start_epoch),
                  static_cast<long long>(step));
    }
    std::cout << model << "\n";
    std::printf("model %s: %lld parameters; %lld training and %lld test images; %d threads\n", a.model.c_str(),
                static_cast<long long>([&] {
                  int64_t n = 0;
                  for (auto& p : model->parameters()) n += p.numel();
                  return n;
                }()),
                static_cast<long long>(train.images().size(0)), static_cast<long long>(test.images().size(0)),
                get_num_threads());

    const bool tty = isatty(STDOUT_FILENO);
    const int64_t n_train = train.images().size(0);
    double acc = 0;
    Tensor confusion;
    for (int64_t epoch = start_epoch; epoch < a.epochs; ++epoch) {
      // The shuffle depends only on (seed, epoch): a resumed run sees the same batches.
      auto loader = data::make_data_loader(
          data::datasets::TensorBatchDataset(train, [](Tensor x) { return (x - kMean) / kStd; }),
          data::DataLoaderOptions().batch_size(static_cast<size_t>(a.batch_size)).seed(a.seed * 1000003 + epoch));
      auto t0 = std::chrono::steady_clock::now();
      double loss_sum = 0;
      int64_t seen = 0, s = 0;
      for (auto& batch : *loader) {
        Tensor loss = cross_entropy(model->forward(batch.data), batch.target);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        if (a.schedule == "cosine") scheduler.step();
        ++s;
        ++step;
        seen += batch.data.size(0);
        loss_sum += loss.item<double>();
        if ((tty && (s % 10 == 0 || s == steps_per_epoch)) || (!tty && (s % 200 == 0 || s == steps_per_epoch))) {
          const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          const double rate = seen / std::max(el, 1e-9);
          const double eta = (n_train - seen) / std::max(rate, 1e-9);
          const int width = 24, fill = static_cast<int>(width * s / steps_per_epoch);
          std::string bar = std::string(fill, '#') + std::string(width - fill, '.');
          std::printf("%sepoch %lld/%lld [%s] step %lld/%lld  loss %.4f  %.0f samples/s  ETA %s%s", tty ? "\r" : "",
                      static_cast<long long>(epoch + 1), static_cast<long long>(a.epochs), bar.c_str(),
                      static_cast<long long>(s), static_cast<long long>(steps_per_epoch), loss_sum / s, rate,
                      fmt_time(eta).c_str(), tty ? "" : "\n");
          std::fflush(stdout);
        }
      }
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::tie(acc, confusion) = evaluate(model, test);
      std::printf("%sepoch %lld: train loss %.4f, %.1f s (%.0f samples/s), test accuracy %.4f\n", tty ? "\n" : "",
                  static_cast<long long>(epoch + 1), loss_sum / std::max<int64_t>(s, 1), secs, seen / secs, acc);
      io::save_training_checkpoint(ckpt, {model->state_dict(), optimizer.state_dict(), scheduler.state_dict(), {},
                                          epoch + 1, step});
      io::save_safetensors(weights, model->state_dict(), {{"model", a.model}, {"classes", "fashion-mnist"}});
    }
    if (!confusion.defined()) std::tie(acc, confusion) = evaluate(model, test);
    print_confusion(confusion);
    std::printf("\nsaved %s and %s\n", weights.c_str(), ckpt.c_str());
    std::printf("test_accuracy: %.4f\n", acc);
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "fashion_mnist: %s\n", e.what());
    return 1;
  }
}
