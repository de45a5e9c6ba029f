// The demo's two Fashion-MNIST models, written once against the LibTorch API so the same
// definition builds against sinter (<sinter/torch.h>) and against LibTorch.
#pragma once
#include <string>

inline torch::nn::Sequential make_bench_model(const std::string& kind) {
  using namespace torch::nn;
  if (kind == "mlp")
    return Sequential(Flatten(), Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10));
  return Sequential(Conv2d(Conv2dOptions(1, 32, 3).padding(1)), BatchNorm2d(32), ReLU(), MaxPool2d(MaxPool2dOptions(2)),
                    Conv2d(Conv2dOptions(32, 64, 3).padding(1)), BatchNorm2d(64), ReLU(), MaxPool2d(MaxPool2dOptions(2)),
                    Flatten(), Linear(3136, 128), ReLU(), Linear(128, 10));
}
