// Optimizers, learning-rate schedulers and gradient clipping (LibTorch's torch::optim and
// torch::nn::utils::clip_grad_*).
#pragma once
#include "sinter/nn/clip_grad.h"
#include "sinter/optim/adagrad.h"
#include "sinter/optim/adam.h"
#include "sinter/optim/lr_scheduler.h"
#include "sinter/optim/optimizer.h"
#include "sinter/optim/rmsprop.h"
#include "sinter/optim/sgd.h"
