// N-d convolution (1 to 3 spatial dims): forward, backward-data and backward-weights. float32
// runs on oneDNN (blocked layouts chosen by oneDNN, reorders and primitives cached); bfloat16
// computes in float32; float64 and integers use direct loops, which are also the reference.
#pragma once
#include "kernels/cpu/epilogue.h"
#include "sinter/tensor.h"

namespace sinter::kernels {

/// The geometry of one convolution as its forward sees it:
///   x (N, C, *in) * w (O, C/G, *k) -> y (N, O, *out),
///   out[d] = (in[d] + pad_l[d] + pad_r[d] - dil[d] * (k[d] - 1) - 1) / stride[d] + 1.
/// pad_r may be negative (the last input rows are then never read).
struct ConvGeom {
  int64_t nd = 2;
  int64_t N = 0, C = 0, O = 0, G = 1;
  DimVector in, k, out, stride, pad_l, pad_r, dil;
};

/// y = conv(x, w) + bias (bias optional, (O)). y contiguous; x, w any strides.
void conv_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g,
                  bool reference);
/// y = act(conv(x, w) + bias + residual), the epilogue fused into the oneDNN primitive (an
/// inference primitive whose reordered weights are cached while w is unchanged). Other dtypes,
/// and the reference, run conv_forward and then apply_epilogue.
void conv_forward_fused(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g,
                        const Epilogue& ep, bool reference);
/// dx (shape of x) = the gradient of conv(x, w) with respect to x, for output gradient dy.
void conv_backward_data(const Tensor& dx, const Tensor& dy, const Tensor& w, const ConvGeom& g, bool reference);
/// dw (shape of w) = the gradient of conv(x, w) with respect to w, for output gradient dy.
void conv_backward_weight(const Tensor& dw, const Tensor& x, const Tensor& dy, const ConvGeom& g, bool reference);

/// y[n, o, ...] += bias[o] for a contiguous (N, O, *) tensor.
void add_channel_bias(const Tensor& y, const Tensor& bias);

}  // namespace sinter::kernels
