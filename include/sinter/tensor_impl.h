// Storage and TensorImpl: the data behind a Tensor handle. Most users never touch these.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "sinter/device.h"
#include "sinter/dtype.h"
#include "sinter/small_vector.h"

namespace sinter {

struct AutogradMeta;

/// A refcounted block of memory on a device. Views of a tensor share one Storage.
class Storage {
 public:
  using Deleter = void (*)(void* data, void* ctx);
  /// Allocates nbytes (64-byte aligned) on `device`.
  static Storage* allocate(std::size_t nbytes, Device device);
  /// Wraps memory the caller owns; `deleter(data, ctx)` runs when the last view dies (may be null).
  static Storage* wrap(void* data, std::size_t nbytes, Device device, Deleter deleter, void* ctx);

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  /// Bumped by every in-place write; autograd compares it to detect stale saved tensors.
  uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

  void retain() { refcount_.fetch_add(1, std::memory_order_relaxed); }
  void release() {
    if (refcount_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }

 private:
  Storage() = default;
  void destroy();
  int32_t pool_class_ = -1;  // >= 0: header and data share one cached block of this size class
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
  Deleter deleter_ = nullptr;
  void* ctx_ = nullptr;
  Device device_;
  std::atomic<int32_t> refcount_{1};
  std::atomic<uint32_t> version_{0};
};

/// Sizes, strides (in elements), offset and dtype over a Storage, plus autograd state.
struct TensorImpl {
  TensorImpl(Storage* s, DType dt) : storage(s), dtype(dt) {}
  ~TensorImpl();
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;
  // Recycled through a per-thread free list: eager code creates and frees many small tensors.
  static void* operator new(std::size_t size);
  static void operator delete(void* p, std::size_t size);

  Storage* storage;  // owned reference
  DimVector sizes;
  DimVector strides;
  int64_t offset = 0;
  int64_t numel = 1;
  DType dtype;
  bool is_contiguous = true;
  /// A Python-number-like operand (x + 2): ranks below tensors in type promotion.
  bool wrapped_number = false;
  std::shared_ptr<AutogradMeta> autograd;  // null unless autograd needs it
  std::atomic<int32_t> refcount{1};

  void* data() const {
    return static_cast<char*>(storage->data()) + offset * static_cast<int64_t>(element_size(dtype));
  }
  /// Recomputes numel and is_contiguous after sizes/strides change.
  void refresh();
};

}  // namespace sinter
