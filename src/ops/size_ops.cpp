// Sizes as tensors: shape(self, start, end) gives self's sizes[start:end] as an int64 vector,
// numel(self) its element count as an int64 scalar. Their kernels read only sizes, so graphs
// compute shape arithmetic from them ahead of the run (Shape -> Gather -> Concat -> Reshape).
#include <algorithm>
#include <cmath>

#include "core/tensor_util.h"

#include "ops/registry.h"

namespace sinter::ops {
namespace {

// start/end as ONNX's Shape and Python slicing take them: negative counts from the end, both
// clamped to [0, rank].
std::pair<int64_t, int64_t> shape_range(const OpCall& c) {
  int64_t r = c.in[0].dim();
  int64_t start = c.attrs.is_none(0) ? 0 : c.attrs.i(0);
  int64_t end = c.attrs.is_none(1) ? r : c.attrs.i(1);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, start, r);
  return {start, end};
}

void shape_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  auto [start, end] = shape_range(c);
  out[0].sizes = DimVector{end - start};
  out[0].dtype = DType::Long;
  n = 1;
}

void shape_kernel(const OpCall& c) {
  auto [start, end] = shape_range(c);
  auto* o = static_cast<int64_t*>(c.out[0].data_ptr());
  for (int64_t i = start; i < end; ++i) o[i - start] = c.in[0].size(i);
}

void numel_meta(const OpCall&, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  out[0].sizes = DimVector{};
  out[0].dtype = DType::Long;
  n = 1;
}

void numel_kernel(const OpCall& c) { *static_cast<int64_t*>(c.out[0].data_ptr()) = c.in[0].numel(); }

}  // namespace

OpDef& shape_op = def("shape").input("self").attr("start").attr("end").set_meta(shape_meta).set_cpu(shape_kernel)
                      .reads_sizes_only().set_onnx("Shape");
OpDef& numel_op = def("numel").input("self").set_meta(numel_meta).set_cpu(numel_kernel).reads_sizes_only()
                      .set_onnx("Size");

}  // namespace sinter::ops

// ---- full(size, value, dtype) and arange(start, end, step, dtype) as ops ------------------------
// Graph forms of the factories, so a size or range computed at run time (ONNX ConstantOfShape,
// Range) is an attribute input. arange's length is ceil((end - start) / step), or 0 when the
// step points away from end (ONNX's Range; the eager sinter::arange rejects that case first).

namespace sinter::ops {
namespace {

void full_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  IntArrayRef size = c.attrs.ints(0);
  for (auto d : size) SINTER_CHECK(d >= 0, ValueError, "full: negative size in ", shape_str(size));
  out[0].sizes = DimVector(size);
  out[0].dtype = c.attrs.is_none(2) ? c.attrs.s(1).dtype() : c.attrs.dtype(2);
  n = 1;
}

void full_kernel(const OpCall& c) { c.out[0].fill_(c.attrs.s(1)); }

bool arange_integral(const OpCall& c, DType dt) {
  return is_integral(dt) && c.attrs.s(0).is_integral(true) && c.attrs.s(1).is_integral(true) &&
         c.attrs.s(2).is_integral(true);
}

int64_t arange_length(const OpCall& c, DType dt) {
  Scalar s = c.attrs.s(0), e = c.attrs.s(1), st = c.attrs.s(2);
  SINTER_CHECK(st.to_double() != 0, ValueError, "arange: step must be nonzero");
  SINTER_CHECK(std::isfinite(s.to_double()) && std::isfinite(e.to_double()) && std::isfinite(st.to_double()), ValueError,
               "arange: non-finite bound (start ", s.to_double(), ", end ", e.to_double(), ", step ", st.to_double(), ")");
  double n;
  if (arange_integral(c, dt)) {
    int64_t a = s.to_long(), b = e.to_long(), k = st.to_long();
    n = static_cast<double>(k > 0 ? (b - a + k - 1) / k : (a - b - k - 1) / -k);
  } else {
    n = std::ceil((e.to_double() - s.to_double()) / st.to_double());
  }
  n = std::max(0.0, n);
  SINTER_CHECK(n < static_cast<double>(int64_t(1) << 40), ValueError, "arange: ", n, " elements is too many");
  return static_cast<int64_t>(n);
}

DType arange_dtype(const OpCall& c) {
  if (!c.attrs.is_none(3)) return c.attrs.dtype(3);
  bool all_int = c.attrs.s(0).is_integral(true) && c.attrs.s(1).is_integral(true) && c.attrs.s(2).is_integral(true);
  return all_int ? DType::Long : default_dtype();
}

void arange_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  DType dt = arange_dtype(c);
  out[0].sizes = DimVector{arange_length(c, dt)};
  out[0].dtype = dt;
  n = 1;
}

template <class T>
void arange_fill(const OpCall& c, T* o, int64_t n, bool integral) {
  if (integral) {
    int64_t a = c.attrs.s(0).to_long(), k = c.attrs.s(2).to_long();
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(a + i * k);
  } else {
    double a = c.attrs.s(0).to_double(), k = c.attrs.s(2).to_double();
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(a + static_cast<double>(i) * k);
  }
}

void arange_kernel(const OpCall& c) {
  Tensor out = c.out[0];
  bool integral = arange_integral(c, out.dtype());
  int64_t n = out.numel();
  switch (out.dtype()) {
    case DType::Float: arange_fill(c, static_cast<float*>(out.data_ptr()), n, integral); break;
    case DType::Double: arange_fill(c, static_cast<double*>(out.data_ptr()), n, integral); break;
    case DType::Long: arange_fill(c, static_cast<int64_t*>(out.data_ptr()), n, integral); break;
    case DType::Int: arange_fill(c, static_cast<int32_t*>(out.data_ptr()), n, integral); break;
    case DType::Short: arange_fill(c, static_cast<int16_t*>(out.data_ptr()), n, integral); break;
    case DType::Char: arange_fill(c, static_cast<int8_t*>(out.data_ptr()), n, integral); break;
    case DType::Byte: arange_fill(c, static_cast<uint8_t*>(out.data_ptr()), n, integral); break;
    case DType::UInt16: arange_fill(c, static_cast<uint16_t*>(out.data_ptr()), n, integral); break;
    case DType::UInt32: arange_fill(c, static_cast<uint32_t*>(out.data_ptr()), n, integral); break;
    case DType::UInt64: arange_fill(c, static_cast<uint64_t*>(out.data_ptr()), n, integral); break;
    default: {  // half, bfloat16: through double
      Tensor d = sinter::detail::make_empty(out.sizes(), DType::Double);
      arange_fill(c, static_cast<double*>(d.data_ptr()), n, integral);
      out.copy_(d);
    }
  }
}

}  // namespace

OpDef& full_op = def("full").attr("size").attr("value").attr("dtype").set_meta(full_meta).set_cpu(full_kernel)
                     .set_onnx("ConstantOfShape");
OpDef& arange_op = def("arange").attr("start").attr("end").attr("step", Scalar(1)).attr("dtype").set_meta(arange_meta)
                       .set_cpu(arange_kernel).set_onnx("Range");

}  // namespace sinter::ops
