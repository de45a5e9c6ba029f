#include <cstring>

#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/string_cast.h"

namespace sinter::kernels {

Tensor broadcast_view(const Tensor& t, IntArrayRef shape) {
  if (t.sizes() == shape) return t;
  size_t n = shape.size();
  DimVector st(n, 0);
  int64_t lead = static_cast<int64_t>(n) - t.dim();
  SINTER_ASSERT(lead >= 0, "broadcast_view of ", shape_str(t.sizes()), " to ", shape_str(shape));
  for (int64_t i = 0; i < t.dim(); ++i) {
    int64_t s = t.size(i);
    SINTER_ASSERT(s == shape[lead + i] || s == 1, "broadcast_view of ", shape_str(t.sizes()), " to ", shape_str(shape));
    st[lead + i] = (s == 1 && shape[lead + i] != 1) ? 0 : t.stride(i);
  }
  return detail::make_alias(t, shape, st, t.storage_offset());
}

void copy_kernel(const Tensor& dst, const Tensor& src) {
  if (dst.numel() == 0) return;
  if (dst.dtype() == DType::String || src.dtype() == DType::String) return copy_strings(dst, src);
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous() && dst.sizes() == src.sizes()) {
    const char* s = static_cast<const char*>(src.data_ptr());
    char* d = static_cast<char*>(dst.data_ptr());
    if (s == d) return;
    int64_t es = dst.element_size();
    parallel_for(dst.numel(), kGrainSize * 4, [&](int64_t b, int64_t e) { std::memmove(d + b * es, s + b * es, (e - b) * es); });
    return;
  }
  visit_dtype(dst.dtype(), [&](auto dt) {
    using D = typename decltype(dt)::type;
    visit_dtype(src.dtype(), [&](auto st) {
      using S = typename decltype(st)::type;
      unary_loop<D, S>(dst, src, [](S v) { return cast<D>(v); });
    });
  });
}

}  // namespace sinter::kernels
