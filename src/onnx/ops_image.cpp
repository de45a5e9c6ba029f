// Importer entries for image ops: GridSample, RoiAlign and NonMaxSuppression, each one registry
// op (NonMaxSuppression's thresholds and box limit may be computed at run time: they bind the
// op's attributes as attribute inputs).
#include "onnx/onnx_internal.h"

namespace sinter::onnx::detail {
namespace {

using V = graph::Value*;
constexpr int kMax = kMaxOpset;

void grid_sample_build(Ctx& c) {
  V x = c.in(0), grid = c.in(1);
  if (c.rank(x) != 4) c.unsupported("GridSample of a " + std::to_string(c.rank(x)) + "-D input (4-D is supported)");
  std::string mode = c.attr_s("mode", "bilinear"), pad = c.attr_s("padding_mode", "zeros");
  int64_t im = mode == "bilinear" ? 0 : mode == "nearest" ? 1 : mode == "bicubic" ? 2 : -1;
  int64_t pm = pad == "zeros" ? 0 : pad == "border" ? 1 : pad == "reflection" ? 2 : -1;
  if (im < 0) c.invalid("mode '" + mode + "' (expected bilinear, nearest or bicubic)");
  if (pm < 0) c.invalid("padding_mode '" + pad + "' (expected zeros, border or reflection)");
  if (c.dtype(grid) != c.dtype(x)) grid = c.emit("to_dtype", {grid}, {c.dtype(x)});
  c.set_out(0, c.emit("grid_sampler_2d", {x, grid}, {im, pm, c.attr_i("align_corners", 0) != 0}));
}

void roi_align_build(Ctx& c) {
  std::string mode = c.attr_s("mode", "avg");
  if (mode != "avg" && mode != "max") c.invalid("mode '" + mode + "' (expected avg or max)");
  std::string coord = c.opset >= 16 ? c.attr_s("coordinate_transformation_mode", "half_pixel") : "output_half_pixel";
  if (coord != "half_pixel" && coord != "output_half_pixel")
    c.invalid("coordinate_transformation_mode '" + coord + "' (expected half_pixel or output_half_pixel)");
  V x = c.in(0), rois = c.in(1);
  if (c.dtype(rois) != c.dtype(x)) rois = c.emit("to_dtype", {rois}, {c.dtype(x)});
  c.set_out(0, c.emit("roi_align", {x, rois, c.in(2)},
                      {c.attr_i("output_height", 1), c.attr_i("output_width", 1), c.attr_i("sampling_ratio", 0),
                       c.attr_f("spatial_scale", 1.0), coord == "half_pixel", int64_t(mode == "max")}));
}

void nms_build(Ctx& c) {
  ops::Attrs attrs{int64_t(0), 0.0, -std::numeric_limits<double>::infinity(), c.attr_i("center_point_box", 0)};
  Ctx::AttrIn attr_in;
  // Inputs 2..4 give attributes 0..2: a constant is read now, a run-time value is bound.
  for (size_t k = 0; k < 3; ++k) {
    if (!c.has_in(2 + k)) continue;
    V v = c.in(2 + k);
    if (!v->is_initializer()) {
      attr_in.push_back({k, v});
      continue;
    }
    Tensor t = v->constant;
    if (t.numel() == 0) continue;
    if (t.numel() != 1) c.invalid("input " + std::to_string(2 + k) + " must hold one value");
    Scalar s = t.reshape({}).item();
    if (k == 0) attrs[0] = s.to<int64_t>();
    else attrs[k] = s.to<double>();
  }
  c.set_out(0, c.emit("non_max_suppression", {c.in(0), c.in(1)}, attrs, attr_in));
}

const TableRegistrar reg({
    {"GridSample", 16, kMax, grid_sample_build},
    {"RoiAlign", 10, kMax, roi_align_build},
    {"NonMaxSuppression", 10, kMax, nms_build},
});

}  // namespace
}  // namespace sinter::onnx::detail
