#include "kernels/cpu/epilogue.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>

#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"

namespace sinter::kernels {

Activation parse_activation(const char* op, std::string_view name, double lo, double hi) {
  Activation a;
  if (name == "none") return a;
  if (name == "relu") {
    a.kind = Activation::Kind::Relu;
    return a;
  }
  SINTER_CHECK(name == "clamp", ValueError, op, ": unknown activation '", name, "' (expected none, relu or clamp)");
  SINTER_CHECK(lo <= hi, ValueError, op, ": clamp bounds must satisfy min <= max, got min=", lo, ", max=", hi);
  a.kind = Activation::Kind::Clamp;
  a.lo = lo;
  a.hi = hi;
  return a;
}

void apply_epilogue(const Tensor& y, const Epilogue& e) {
  if (y.numel() == 0 || e.empty()) return;
  SINTER_ASSERT(y.is_contiguous(), "apply_epilogue: y must be contiguous");
  Tensor r;
  if (e.residual.defined()) {
    SINTER_ASSERT(e.residual.sizes() == y.sizes(), "apply_epilogue: residual ", shape_str(e.residual.sizes()),
                  " for output ", shape_str(y.sizes()));
    r = e.residual.is_contiguous() && e.residual.dtype() == y.dtype() ? e.residual : e.residual.to(y.dtype()).contiguous();
  }
  visit_dtype_no_wide_uint(y.dtype(), "apply_epilogue", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      SINTER_ASSERT(false, "apply_epilogue on bool");
    } else {
      using C = compute_t<T>;
      T* yp = static_cast<T*>(y.data_ptr());
      const T* rp = r.defined() ? static_cast<const T*>(r.data_ptr()) : nullptr;
      const Activation a = e.act;
      const C lo = static_cast<C>(a.lo), hi = static_cast<C>(a.hi);
      parallel_for(y.numel(), kGrainSize, [&](int64_t b, int64_t end) {
        for (int64_t i = b; i < end; ++i) {
          C v = static_cast<C>(yp[i]);
          if (rp) v += static_cast<C>(rp[i]);
          if (a.kind == Activation::Kind::Relu) v = v > C(0) ? v : C(0);
          else if (a.kind == Activation::Kind::Clamp) v = std::min(std::max(v, lo), hi);
          yp[i] = cast<T>(v);
        }
      });
    }
  });
}

void append_activation(dnnl::post_ops& po, const Activation& a) {
  switch (a.kind) {
    case Activation::Kind::None: return;
    case Activation::Kind::Relu:
#if DNNL_VERSION_MAJOR >= 3
      po.append_eltwise(dnnl::algorithm::eltwise_relu, 0.f, 0.f);
#else
      po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
#endif
      return;
    case Activation::Kind::Clamp:
#if DNNL_VERSION_MAJOR >= 3
      po.append_eltwise(dnnl::algorithm::eltwise_clip, static_cast<float>(a.lo), static_cast<float>(a.hi));
#else
      po.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, static_cast<float>(a.lo), static_cast<float>(a.hi));
#endif
      return;
  }
}

}  // namespace sinter::kernels
