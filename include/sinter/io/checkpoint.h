// Checkpoints: a serialize::Archive in a safetensors file, written atomically, so a crash at
// any moment leaves the previous checkpoint or the new one on disk, never a torn file.
//
// A training checkpoint gathers everything a run needs to resume into one Archive:
//   model.<name>    the model's state_dict tensors
//   optim.<key>     the optimizer's archive (tensors and metadata)
//   sched.<key>     the learning-rate scheduler's archive
//   rng             the default Generator's state (uint8 tensor)
//   meta "epoch", "step"; meta "format" = "sinter.checkpoint"
//
//   io::save_training_checkpoint("ckpt.safetensors",
//       {model->state_dict(), optimizer.state(), scheduler.state(), epoch, step});
//   auto st = io::load_training_checkpoint("ckpt.safetensors");   // also restores the RNG
//   model->load_state_dict(st.model); ...
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sinter/ordered_dict.h"
#include "sinter/serialize.h"
#include "sinter/tensor.h"

namespace sinter::io {

void save_checkpoint(const std::string& path, const serialize::Archive& archive);
serialize::Archive load_checkpoint(const std::string& path);

struct TrainingState {
  OrderedDict<std::string, Tensor> model{"model tensor"};
  serialize::Archive optimizer;
  serialize::Archive scheduler;
  /// The default Generator's state; empty to leave the RNG out of the checkpoint.
  std::vector<uint8_t> rng_state;
  int64_t epoch = 0;
  int64_t step = 0;
};

/// The default Generator's state now.
std::vector<uint8_t> capture_rng_state();
/// The archive of a training state under the prefixes above.
serialize::Archive pack_training_state(const TrainingState& state);
/// Splits an archive made by pack_training_state; ValueError when epoch or step is missing.
TrainingState unpack_training_state(const serialize::Archive& archive);

/// Packs (capturing the RNG state when `state.rng_state` is empty and `save_rng`) and saves.
void save_training_checkpoint(const std::string& path, TrainingState state, bool save_rng = true);
/// Loads and unpacks; when `restore_rng` and the file holds an RNG state, the default
/// Generator continues from it.
TrainingState load_training_checkpoint(const std::string& path, bool restore_rng = true);

}  // namespace sinter::io
