#include <cstdlib>
#include <new>

#include "sinter/autograd.h"
#include "sinter/tensor_impl.h"

namespace sinter {

Storage* Storage::allocate(std::size_t nbytes, Device device) {
  SINTER_CHECK(device.is_cpu(), NotImplementedError, "allocate: device ", device.str(), " is not available in this build");
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
