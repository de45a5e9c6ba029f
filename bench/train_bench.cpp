// Training speed on Fashion-MNIST: the demo's CNN and MLP (Adam, lr 1e-3, batch 64), one
// LibTorch-shaped source compiled against sinter and against LibTorch (SINTER_BENCH_LIBTORCH).
// Data goes through the LibTorch data API (MNIST -> Normalize -> Stack, random sampler).
// LibTorch's MNIST reader takes uncompressed IDX files: pass a folder that has them
// (bench/run.py unpacks Debian's gzipped copies into the build folder).
//   train_bench DATA_DIR [steps]   -> JSON lines train_{cnn,mlp}_epoch (seconds per 938 steps)
#ifdef SINTER_BENCH_LIBTORCH
#include <torch/torch.h>
#else
#include <sinter/torch.h>
#endif

#include <chrono>
#include <cstdlib>
#include <string>

#include "bench_util.h"
#include "train_models.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: train_bench DATA_DIR [steps]\n");
    return 2;
  }
  const std::string root = argv[1];
  const int steps = argc > 2 ? std::atoi(argv[2]) : 200, warmup = 20;
  for (std::string kind : {"cnn", "mlp"}) {
    torch::manual_seed(0);
    auto model = make_bench_model(kind);
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
    auto ds = torch::data::datasets::MNIST(root)
                  .map(torch::data::transforms::Normalize<>(0.2860, 0.3530))
                  .map(torch::data::transforms::Stack<>());
    auto loader = torch::data::make_data_loader(std::move(ds), torch::data::DataLoaderOptions().batch_size(64));
    int s = 0;
    auto t0 = std::chrono::steady_clock::now();
    double loss_sum = 0;
    for (auto& batch : *loader) {
      if (s == warmup) t0 = std::chrono::steady_clock::now();
      opt.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(model->forward(batch.data), batch.target);
      loss.backward();
      opt.step();
      loss_sum += loss.template item<float>();
      if (++s == warmup + steps) break;
    }
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bench::report("train_" + kind + "_epoch", t / steps * 938, "s");
    if (!(loss_sum > 0)) return 1;  // keeps the loss computation live
  }
}
