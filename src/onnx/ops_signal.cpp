// Importer entries for the signal ops DFT, STFT and MelWeightMatrix, each one registry op. Their
// scalar inputs (dft_length, frame_step, frame_length, the mel parameters) bind the op's
// attributes: read at import when constant, else at run time.
#include "onnx/onnx_internal.h"

namespace sinter::onnx::detail {
namespace {

using V = graph::Value*;
constexpr int kMax = kMaxOpset;

/// Input i (one value) as a 0-d value, for an attribute input.
V one_value(Ctx& c, size_t i, const char* what) {
  DimVector s = c.static_shape(c.in(i), what);
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  if (n != 1) c.invalid(std::string(what) + " must hold one value, got shape " + shape_str(s));
  return reshape(c, c.in(i), {});
}

/// Input i as an integer attribute input.
V int_value(Ctx& c, size_t i, const char* what) {
  V v = one_value(c, i, what);
  if (!is_integral(c.dtype(v))) c.invalid(std::string(what) + " must be an integer");
  return v;
}

// DFT-17: signal (..., 1 or 2), optional dft_length; axis counts the complex dim for negatives.
void dft_build(Ctx& c) {
  V x = c.in(0);
  Ctx::AttrIn ai;
  if (c.has_in(1)) ai.push_back({1, int_value(c, 1, "dft_length")});
  ops::Attrs attrs{c.attr_i("axis", 1), std::monostate{}, c.attr_i("inverse", 0) != 0, c.attr_i("onesided", 0) != 0};
  c.set_out(0, c.emit("dft", {x}, attrs, ai));
}

// STFT-17: signal, frame_step, optional window, optional frame_length.
void stft_build(Ctx& c) {
  Ctx::AttrIn ai{{0, int_value(c, 1, "frame_step")}};
  if (c.has_in(3)) ai.push_back({1, int_value(c, 3, "frame_length")});
  V w = c.opt_in(2);
  if (w && c.dtype(w) != c.dtype(c.in(0))) w = c.emit("to_dtype", {w}, {c.dtype(c.in(0))});
  ops::Attrs attrs{std::monostate{}, std::monostate{}, c.attr_i("onesided", 1) != 0};
  c.set_out(0, c.emit("stft", {c.in(0), w}, attrs, ai));
}

void mel_build(Ctx& c) {
  DType dt = dtype_from_onnx(static_cast<int32_t>(c.attr_i("output_datatype", 1)), "output_datatype");
  Ctx::AttrIn ai{{0, int_value(c, 0, "num_mel_bins")},
                 {1, int_value(c, 1, "dft_length")},
                 {2, int_value(c, 2, "sample_rate")},
                 {3, one_value(c, 3, "lower_edge_hertz")},
                 {4, one_value(c, 4, "upper_edge_hertz")}};
  c.set_out(0, c.emit("mel_weight_matrix", {}, {int64_t(0), int64_t(0), int64_t(0), 0.0, 0.0, dt}, ai));
}

const TableRegistrar reg({
    {"DFT", 17, kMax, dft_build},
    {"STFT", 17, kMax, stft_build},
    {"MelWeightMatrix", 17, kMax, mel_build},
});

}  // namespace
}  // namespace sinter::onnx::detail
