// Randomness for data pipelines that does not depend on threads.
//
// Random transforms (RandomCrop, RandomHorizontalFlip, ...) draw a 64-bit key per call. Inside
// a DataLoader every batch is produced under a RandomScope whose key is derived from the
// loader's seed, the epoch and the batch's position in it; the n-th draw within the batch is a
// pure function of that key and n. So a batch gets the same random numbers whichever worker
// thread produces it, and a run is reproducible for a given seed whatever the worker count.
// Outside any scope a transform falls back to its own seeded counter.
#pragma once
#include <atomic>
#include <cstdint>

namespace sinter::data {

/// splitmix64's finaliser: a strong 64-bit mix.
constexpr uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
constexpr uint64_t mix64(uint64_t a, uint64_t b) { return mix64(a ^ mix64(b + 0x632be59bd9b4e019ull)); }

/// Sets the calling thread's random key for its lifetime (restoring the previous one after).
class RandomScope {
 public:
  explicit RandomScope(uint64_t key);
  ~RandomScope();
  RandomScope(const RandomScope&) = delete;
  RandomScope& operator=(const RandomScope&) = delete;

 private:
  bool prev_active_;
  uint64_t prev_key_, prev_count_;
};

/// True inside a RandomScope on this thread.
bool in_random_scope();
/// The next key for a transform whose own seed is `stream_seed`: inside a scope, a function of
/// the scope's key, `stream_seed` and the number of draws so far in the scope; outside, of
/// `stream_seed` and `fallback_counter` (which it increments).
uint64_t next_random_key(uint64_t stream_seed, std::atomic<uint64_t>& fallback_counter);

/// A tiny generator over a key (splitmix64): uniform doubles and integers.
class KeyedRandom {
 public:
  explicit KeyedRandom(uint64_t key) : state_(key) {}
  uint64_t next_u64() { return mix64(state_ += 0x9e3779b97f4a7c15ull); }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [0, n) (n > 0).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>(uniform() * static_cast<double>(n)) % n; }

 private:
  uint64_t state_;
};

}  // namespace sinter::data
