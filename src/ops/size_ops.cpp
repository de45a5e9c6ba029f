// Sizes as tensors: shape(self, start, end) gives self's sizes[start:end] as an int64 vector,
// numel(self) its element count as an int64 scalar. Their kernels read only sizes, so graphs
// compute shape arithmetic from them ahead of the run (Shape -> Gather -> Concat -> Reshape).
#include <algorithm>

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
