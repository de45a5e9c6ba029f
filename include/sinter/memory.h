// Host memory: large tensor blocks are cached for reuse (first-touch page faults of a fresh
// 64 MB block cost more than the arithmetic that fills it).
#pragma once
#include <cstddef>
#include <cstdint>

namespace sinter {

struct MemoryStats {
  std::size_t cached_bytes = 0;   ///< bytes held in the large-block cache, free for reuse
  std::size_t cache_limit = 0;    ///< most bytes the cache keeps (SINTER_CACHE_LIMIT_MB, default 1024)
  uint64_t large_allocs = 0;      ///< large allocations requested
  uint64_t large_cache_hits = 0;  ///< of those, served from the cache
};

/// Returns every cached large block to the system (as torch.cuda.empty_cache does on the GPU).
void empty_cache();
MemoryStats memory_stats();
/// Sets the cache's limit in bytes (0 disables caching); returns the previous limit.
std::size_t set_cache_limit(std::size_t bytes);

}  // namespace sinter
