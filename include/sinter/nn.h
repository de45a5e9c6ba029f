// sinter's nn layer: modules (LibTorch-shaped), containers and initialisers.
#pragma once
#include "sinter/nn/init.h"
#include "sinter/nn/linear.h"
#include "sinter/nn/module.h"
#include "sinter/nn/options.h"
