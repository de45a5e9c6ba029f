#include <cstdlib>
#include <new>

#include "sinter/autograd.h"
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
  constexpr ThreadCache() = default;
  ~ThreadCache();
};
// initial-exec TLS: a plain offset from the thread pointer, no __tls_get_addr call per tensor.
#define SINTER_TLS __attribute__((tls_model("initial-exec")))
thread_local bool t_cache_gone SINTER_TLS = false;  // trivially destructible: readable after thread exit
thread_local ThreadCache t_cache SINTER_TLS;

ThreadCache* cache() { return t_cache_gone ? nullptr : &t_cache; }

ThreadCache::~ThreadCache() {
  t_cache_gone = true;
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

}  // namespace

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
  std::size_t rounded = (nbytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  s->data_ = std::aligned_alloc(64, rounded);
  if (!s->data_) {
    delete s;
    throw std::bad_alloc();
  }
  s->nbytes_ = nbytes;
  s->device_ = device;
  s->deleter_ = [](void* p, void*) { std::free(p); };
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
