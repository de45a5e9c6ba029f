#include "sinter/io/checkpoint.h"

#include <cstring>

#include "sinter/io/safetensors.h"
#include "sinter/ops/factory.h"

namespace sinter::io {

using detail::str_cat;

void save_checkpoint(const std::string& path, const serialize::Archive& archive) { save_safetensors(path, archive); }

serialize::Archive load_checkpoint(const std::string& path) { return load_safetensors(path); }

std::vector<uint8_t> capture_rng_state() { return default_generator().get_state(); }

serialize::Archive pack_training_state(const TrainingState& state) {
  serialize::Archive a;
  for (const auto& it : state.model) a.tensors.insert("model." + it.key(), it.value());
  a.add_prefixed("optim", state.optimizer);
  a.add_prefixed("sched", state.scheduler);
  if (!state.rng_state.empty()) {
    Tensor rng = sinter::empty({static_cast<int64_t>(state.rng_state.size())}, kByte);
    std::memcpy(rng.data_ptr(), state.rng_state.data(), state.rng_state.size());
    a.tensors.insert("rng", rng);
  }
  a.put_int("epoch", state.epoch);
  a.put_int("step", state.step);
  a.put("format", "sinter.checkpoint");
  return a;
}

TrainingState unpack_training_state(const serialize::Archive& archive) {
  SINTER_CHECK(archive.has("epoch") && archive.has("step"), ValueError,
               "unpack_training_state: not a training checkpoint (metadata 'epoch' and 'step' are missing)");
  TrainingState s;
  s.epoch = archive.get_int("epoch");
  s.step = archive.get_int("step");
  for (const auto& it : archive.tensors)
    if (it.key().compare(0, 6, "model.") == 0) s.model.insert(it.key().substr(6), it.value());
  s.optimizer = archive.sub("optim");
  s.scheduler = archive.sub("sched");
  if (const Tensor* rng = archive.tensors.find("rng")) {
    SINTER_CHECK(rng->dtype() == kByte && rng->dim() == 1, ValueError,
                 "unpack_training_state: 'rng' is not a 1-D uint8 tensor");
    Tensor c = rng->contiguous();
    const auto* p = static_cast<const uint8_t*>(c.data_ptr());
    s.rng_state.assign(p, p + c.numel());
  }
  return s;
}

void save_training_checkpoint(const std::string& path, TrainingState state, bool save_rng) {
  if (save_rng && state.rng_state.empty()) state.rng_state = capture_rng_state();
  if (!save_rng) state.rng_state.clear();
  save_checkpoint(path, pack_training_state(state));
}

TrainingState load_training_checkpoint(const std::string& path, bool restore_rng) {
  TrainingState s = unpack_training_state(load_checkpoint(path));
  if (restore_rng && !s.rng_state.empty()) {
    try {
      default_generator().set_state(s.rng_state);
    } catch (const ValueError& e) {
      throw ValueError(str_cat("load_training_checkpoint '", path, "': ", e.what()));
    }
  }
  return s;
}

}  // namespace sinter::io
