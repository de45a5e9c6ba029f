#include <pthread.h>
#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

#include "sinter/autograd.h"
#include "sinter/memory.h"
#include "sinter/tensor_impl.h"

namespace sinter {

namespace {

// Small storages keep their header and data in one 64-byte aligned block, recycled per thread
// by size class; small tensors then cost no call into the system allocator in steady state.
constexpr std::size_t kHeader = 64;
constexpr std::size_t kSmallBlock = 2048;
constexpr std::size_t kClasses = kSmallBlock / 64 + 1;
constexpr std::size_t kMaxCached = 256;
static_assert(sizeof(Storage) <= kHeader, "Storage header must fit in one cache line");

struct FreeList {
  void* items[kMaxCached] = {};
  std::size_t n = 0;
};
struct ThreadCache {
  FreeList blocks[kClasses];
  FreeList impls;
  ~ThreadCache();
};
// The cache lives on the heap; a thread sees it through one pointer in initial-exec TLS (a
// fixed offset from the thread pointer, no __tls_get_addr, and 9 bytes of static TLS, so the
// library can still be dlopen'ed). A pthread key frees it when the thread ends: C++
// thread_local objects with destructors would add a guard variable in dynamic TLS.
#define SINTER_TLS __attribute__((tls_model("initial-exec")))
thread_local ThreadCache* t_cache SINTER_TLS = nullptr;
thread_local bool t_cache_gone SINTER_TLS = false;  // set once the thread's cache is freed

void free_thread_cache(void* p) {
  t_cache_gone = true;
  t_cache = nullptr;
  delete static_cast<ThreadCache*>(p);
}

ThreadCache* create_cache() {
  static const pthread_key_t key = [] {
    pthread_key_t k;
    pthread_key_create(&k, free_thread_cache);
    return k;
  }();
  auto* c = new ThreadCache();
  pthread_setspecific(key, c);
  t_cache = c;
  return c;
}

inline ThreadCache* cache() {
  if (ThreadCache* c = t_cache) [[likely]]
    return c;
  return t_cache_gone ? nullptr : create_cache();
}

ThreadCache::~ThreadCache() {
  for (auto& f : blocks)
    for (std::size_t i = 0; i < f.n; ++i) std::free(f.items[i]);
  for (std::size_t i = 0; i < impls.n; ++i) ::operator delete(impls.items[i]);
}

void* pop(FreeList& f) { return f.n ? f.items[--f.n] : nullptr; }
bool push(FreeList& f, void* p) {
  if (f.n == kMaxCached) return false;
  f.items[f.n++] = p;
  return true;
}

// Large blocks (>= 1 MiB) go to one process-wide cache when freed and are handed out again for
// requests up to 25 % smaller: a fresh block costs a page fault per 4 KiB on first touch, which
// for a 64 MB elementwise result costs more than the arithmetic. Blocks of 4 MiB and more are
// 2 MiB aligned and advised as huge pages.
constexpr std::size_t kLargeBlock = std::size_t(1) << 20;
constexpr std::size_t kHugeAlign = std::size_t(2) << 20;

std::size_t default_cache_limit() {
#if defined(__SANITIZE_ADDRESS__)
  return 0;  // every block fresh, so the sanitizer sees use after free
#else
  if (const char* e = std::getenv("SINTER_CACHE_LIMIT_MB")) {
    char* end = nullptr;
    long long mb = std::strtoll(e, &end, 10);
    if (end != e && mb >= 0) return static_cast<std::size_t>(mb) << 20;
  }
  return std::size_t(1024) << 20;
#endif
}

struct LargeCache {
  std::mutex mu;
  std::multimap<std::size_t, void*> free;  // capacity -> block
  std::size_t bytes = 0, limit = default_cache_limit();
  uint64_t allocs = 0, hits = 0;

  static LargeCache& get() {
    static auto* c = new LargeCache();  // never destroyed: storages may die during static teardown
    return *c;
  }
  void trim(std::size_t target) {  // frees the largest blocks until bytes <= target; mu held
    while (bytes > target && !free.empty()) {
      auto it = std::prev(free.end());
      bytes -= it->first;
      std::free(it->second);
      free.erase(it);
    }
  }
};

std::size_t large_capacity(std::size_t nbytes) {
  const std::size_t g = nbytes >= 2 * kHugeAlign ? kHugeAlign : 65536;
  return (nbytes + g - 1) / g * g;
}

void* large_alloc(std::size_t nbytes, std::size_t& capacity) {
  LargeCache& c = LargeCache::get();
  capacity = large_capacity(nbytes);
  {
    std::lock_guard<std::mutex> lock(c.mu);
    ++c.allocs;
    auto it = c.free.lower_bound(capacity);
    if (it != c.free.end() && it->first <= capacity + capacity / 4) {
      void* p = it->second;
      capacity = it->first;
      c.bytes -= it->first;
      c.free.erase(it);
      ++c.hits;
      return p;
    }
  }
  const bool huge = capacity >= 2 * kHugeAlign;
  void* p = std::aligned_alloc(huge ? kHugeAlign : 64, capacity);
  if (!p) {  // maybe the cache holds the memory we need
    empty_cache();
    p = std::aligned_alloc(huge ? kHugeAlign : 64, capacity);
  }
  if (p && huge) madvise(p, capacity, MADV_HUGEPAGE);
  return p;
}

void large_free(void* p, void* ctx) {
  const auto capacity = static_cast<std::size_t>(reinterpret_cast<uintptr_t>(ctx));
  LargeCache& c = LargeCache::get();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (capacity <= c.limit) {
      c.trim(c.limit - capacity);
      c.free.emplace(capacity, p);
      c.bytes += capacity;
      return;
    }
  }
  std::free(p);
}

}  // namespace

void empty_cache() {
  LargeCache& c = LargeCache::get();
  std::lock_guard<std::mutex> lock(c.mu);
  c.trim(0);
}

MemoryStats memory_stats() {
  LargeCache& c = LargeCache::get();
  std::lock_guard<std::mutex> lock(c.mu);
  return MemoryStats{c.bytes, c.limit, c.allocs, c.hits};
}

std::size_t set_cache_limit(std::size_t bytes) {
  LargeCache& c = LargeCache::get();
  std::lock_guard<std::mutex> lock(c.mu);
  std::size_t old = c.limit;
  c.limit = bytes;
  c.trim(bytes);
  return old;
}

void* TensorImpl::operator new(std::size_t size) {
  if (ThreadCache* c = cache())
    if (void* p = pop(c->impls)) return p;
  return ::operator new(size);
}

void TensorImpl::operator delete(void* p, std::size_t) {
  if (ThreadCache* c = cache())
    if (push(c->impls, p)) return;
  ::operator delete(p);
}

Storage* Storage::allocate(std::size_t nbytes, Device device) {
  SINTER_CHECK(device.is_cpu(), NotImplementedError, "allocate: device ", device.str(), " is not available in this build");
  std::size_t block = kHeader + (nbytes + 63) / 64 * 64;
  if (block <= kSmallBlock) {
    std::size_t cls = block / 64;
    ThreadCache* c = cache();
    void* mem = c ? pop(c->blocks[cls]) : nullptr;
    if (!mem) mem = std::aligned_alloc(64, block);
    if (!mem) throw std::bad_alloc();
    auto* s = new (mem) Storage();
    s->data_ = static_cast<char*>(mem) + kHeader;
    s->nbytes_ = nbytes;
    s->device_ = device;
    s->pool_class_ = static_cast<int32_t>(cls);
    return s;
  }
  auto* s = new Storage();
  s->nbytes_ = nbytes;
  s->device_ = device;
  if (nbytes >= kLargeBlock) {
    std::size_t capacity = 0;
    s->data_ = large_alloc(nbytes, capacity);
    s->deleter_ = large_free;
    s->ctx_ = reinterpret_cast<void*>(static_cast<uintptr_t>(capacity));
  } else {
    s->data_ = std::aligned_alloc(64, (nbytes + 63) / 64 * 64);
    s->deleter_ = [](void* p, void*) { std::free(p); };
  }
  if (!s->data_) {
    delete s;
    throw std::bad_alloc();
  }
  return s;
}

Storage* Storage::wrap(void* data, std::size_t nbytes, Device device, Deleter deleter, void* ctx) {
  auto* s = new Storage();
  s->data_ = data;
  s->nbytes_ = nbytes;
  s->device_ = device;
  s->deleter_ = deleter;
  s->ctx_ = ctx;
  return s;
}

void Storage::destroy() {
  if (pool_class_ >= 0) {
    auto cls = static_cast<std::size_t>(pool_class_);
    this->~Storage();
    ThreadCache* c = cache();
    if (!c || !push(c->blocks[cls], this)) std::free(this);
    return;
  }
  if (deleter_) deleter_(data_, ctx_);
  delete this;
}

TensorImpl::~TensorImpl() { storage->release(); }

void TensorImpl::refresh() {
  int64_t n = 1;
  for (auto s : sizes) n *= s;
  numel = n;
  bool c = true;
  int64_t expected = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    if (sizes[i] == 1) continue;
    if (strides[i] != expected) { c = false; break; }
    expected *= sizes[i];
  }
  is_contiguous = c || n == 0;
}

}  // namespace sinter
