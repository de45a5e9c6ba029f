// sinter::io: file formats (safetensors, NumPy .npy/.npz, CSV, IDX), atomic writes and
// training checkpoints. Depends on the tensor core only.
#pragma once
#include "sinter/io/checkpoint.h"
#include "sinter/io/csv.h"
#include "sinter/io/file.h"
#include "sinter/io/idx.h"
#include "sinter/io/npy.h"
#include "sinter/io/safetensors.h"
