#include "sinter/data/dataloader.h"

#include <omp.h>

#include "sinter/ops/factory.h"

namespace sinter::data {

namespace {
struct RandomState {
  bool active = false;
  uint64_t key = 0;
  uint64_t count = 0;
};
thread_local RandomState t_random;
}  // namespace

RandomScope::RandomScope(uint64_t key)
    : prev_active_(t_random.active), prev_key_(t_random.key), prev_count_(t_random.count) {
  t_random = {true, key, 0};
}
RandomScope::~RandomScope() { t_random = {prev_active_, prev_key_, prev_count_}; }

bool in_random_scope() { return t_random.active; }

uint64_t next_random_key(uint64_t stream_seed, std::atomic<uint64_t>& fallback_counter) {
  if (t_random.active) return mix64(mix64(t_random.key, stream_seed), t_random.count++);
  return mix64(stream_seed, fallback_counter.fetch_add(1, std::memory_order_relaxed));
}

namespace detail {

void init_worker_thread() { omp_set_num_threads(1); }

uint64_t draw_seed() { return default_generator().next_u64(); }

void throw_timeout(std::chrono::milliseconds ms) {
  throw Error(sinter::detail::str_cat("DataLoader: timed out after ", ms.count(), " ms waiting for the next batch"));
}

void throw_stale_iterator() {
  throw ValueError("DataLoader: this iterator belongs to an earlier pass (begin() was called again since)");
}

}  // namespace detail

}  // namespace sinter::data
