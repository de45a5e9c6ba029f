// sinter::data: datasets, samplers, transforms and the DataLoader, shaped like LibTorch's
// torch::data (which <sinter/torch.h> maps onto this namespace).
#pragma once
#include "sinter/data/dataloader.h"
#include "sinter/data/datasets.h"
#include "sinter/data/example.h"
#include "sinter/data/random.h"
#include "sinter/data/samplers.h"
#include "sinter/data/transforms.h"
