// Convolutions: conv1d/2d/3d, conv_transpose1d/2d/3d, and the two gradient convolutions
// (conv_backward_input, conv_backward_weight) registered as ops of their own, whose backwards
// are convolutions again, so that every order of derivative works.
//
// All of them share one geometry (kernels::ConvGeom): the forward convolution
//   x (N, C, *in) * w (O, C/G, *k) -> y (N, O, *out)
// with left and right padding per spatial dim. A transposed convolution is the backward-data
// of the forward convolution that maps its output back to its input.
#include <functional>
#include <string>

#include "kernels/cpu/dnnl_conv.h"
#include "ops/registry.h"
#include "sinter/ops/nn.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/shape.h"

namespace sinter {
namespace ops {
namespace {

using Specs = std::array<OutSpec, kMaxOutputs>;
using kernels::ConvGeom;

// ---- parameter checks ------------------------------------------------------------------------

/// An int-list parameter with one value per spatial dim (one value applies to all).
DimVector expand_param(const char* op, const char* name, IntArrayRef v, int64_t nd) {
  SINTER_CHECK(v.size() == 1 || static_cast<int64_t>(v.size()) == nd, ValueError, op, ": expected ", name,
               " to be a single integer value or a list of ", nd,
               " values to match the convolution dimensions, but got ", name, "=", shape_str(v));
  DimVector r;
  for (int64_t i = 0; i < nd; ++i) r.push_back(v.size() == 1 ? v[0] : v[static_cast<size_t>(i)]);
  return r;
}

void check_positive(const char* op, const char* name, const DimVector& v) {
  for (auto x : v)
    SINTER_CHECK(x > 0, ValueError, op, ": ", name, " must be positive, but got ", name, "=", shape_str(v));
}

void check_dtypes(const char* op, const Tensor& x, const Tensor& w, const Tensor& b) {
  SINTER_CHECK(x.dtype() == w.dtype(), DTypeError, op, ": input type (", dtype_name(x.dtype()), ") and weight type (",
               dtype_name(w.dtype()), ") should be the same (input ", shape_str(x.sizes()), ", weight ",
               shape_str(w.sizes()), ")");
  SINTER_CHECK(!b.defined() || b.dtype() == x.dtype(), DTypeError, op, ": bias type (", dtype_name(b.dtype()),
               ") and input type (", dtype_name(x.dtype()), ") should be the same");
  DType d = x.dtype();
  if (d == kHalf || d == kBool) throw_dtype(op, d, "convolution");
}

void check_ranks(const char* op, const Tensor& x, const Tensor& w, int64_t nd, const char* wlayout) {
  SINTER_CHECK(x.dim() == nd + 2, ShapeError, op, ": expected ", nd + 1, "-D (unbatched) or ", nd + 2,
               "-D (batched) input, but got input of size ", shape_str(x.sizes()));
  SINTER_CHECK(w.dim() == nd + 2, ShapeError, op, ": expected weight to be ", nd + 2, "-D ", wlayout,
               ", but got weight of size ", shape_str(w.sizes()));
}

/// Fills in output sizes (out[d] from in, k and the geometry); throws when the kernel does not fit.
void finish_geom(const char* op, ConvGeom& g, const Tensor& x, const Tensor& w) {
  g.out.clear();
  bool fits = true;
  for (int64_t i = 0; i < g.nd; ++i) {
    int64_t padded = g.in[i] + g.pad_l[i] + g.pad_r[i];
    int64_t ek = g.dil[i] * (g.k[i] - 1) + 1;
    fits &= padded >= ek;
    g.out.push_back(padded >= ek ? (padded - ek) / g.stride[i] + 1 : 0);
  }
  if (!fits) {
    DimVector padded, eff;
    for (int64_t i = 0; i < g.nd; ++i) {
      padded.push_back(g.in[i] + g.pad_l[i] + g.pad_r[i]);
      eff.push_back(g.dil[i] * (g.k[i] - 1) + 1);
    }
    throw ShapeError(detail::str_cat(op, ": calculated padded input size per channel ", shape_str(padded),
                                     " is smaller than the (dilated) kernel size ", shape_str(eff), " (input ",
                                     shape_str(x.sizes()), ", weight ", shape_str(w.sizes()), ")"));
  }
}

/// Geometry of a forward convolution from x, w and the attrs (stride, padding, dilation, groups,
/// padding_end); checks everything PyTorch checks.
ConvGeom forward_geom(const char* op, int64_t nd, const Tensor& x, const Tensor& w, const Tensor& b, const Attrs& a) {
  check_ranks(op, x, w, nd, "(out_channels, in_channels / groups, *kernel_size)");
  check_dtypes(op, x, w, b);
  ConvGeom g;
  g.nd = nd;
  g.stride = expand_param(op, "stride", a.ints(0), nd);
  g.pad_l = expand_param(op, "padding", a.ints(1), nd);
  g.dil = expand_param(op, "dilation", a.ints(2), nd);
  g.G = a.i(3);
  g.pad_r = a.is_none(4) ? g.pad_l : expand_param(op, "padding_end", a.ints(4), nd);
  check_positive(op, "stride", g.stride);
  check_positive(op, "dilation", g.dil);
  for (auto p : g.pad_l)
    SINTER_CHECK(p >= 0, ValueError, op, ": negative padding is not supported, got padding=", shape_str(g.pad_l));
  SINTER_CHECK(g.G > 0, ValueError, op, ": non-positive groups is not supported, got groups=", g.G);
  g.N = x.size(0);
  g.C = x.size(1);
  g.O = w.size(0);
  SINTER_CHECK(g.O >= 1, ShapeError, op, ": expected weight to have at least one output channel, but got weight of size ",
               shape_str(w.sizes()));
  SINTER_CHECK(g.O % g.G == 0, ShapeError, op, ": given groups=", g.G, ", expected weight to be divisible by ", g.G,
               " at dimension 0, but got weight of size ", shape_str(w.sizes()));
  SINTER_CHECK(g.C == w.size(1) * g.G, ShapeError, op, ": given groups=", g.G, ", weight of size ", shape_str(w.sizes()),
               ", expected input ", shape_str(x.sizes()), " to have ", w.size(1) * g.G, " channels, but got ", g.C,
               " channels instead");
  SINTER_CHECK(!b.defined() || (b.dim() == 1 && b.size(0) == g.O), ShapeError, op, ": given weight of size ",
               shape_str(w.sizes()), ", expected bias to be 1-D with ", g.O, " elements, but got bias of size ",
               shape_str(b.sizes()));
  for (int64_t i = 0; i < nd; ++i) {
    g.in.push_back(x.size(2 + i));
    g.k.push_back(w.size(2 + i));
  }
  finish_geom(op, g, x, w);
  return g;
}

DimVector out_sizes(const ConvGeom& g) {
  DimVector r{g.N, g.O};
  for (auto s : g.out) r.push_back(s);
  return r;
}

// ---- conv1d / conv2d / conv3d (input, weight, bias; stride, padding, dilation, groups, padding_end) ------

template <int ND>
void conv_meta(const OpCall& c, Specs& out, size_t& n) {
  ConvGeom g = forward_geom(c.op.name.c_str(), ND, c.in[0], c.in[1], c.in[2], c.attrs);
  out[0].sizes = out_sizes(g);
  out[0].dtype = c.in[0].dtype();
  n = 1;
}
template <int ND, bool Ref>
void conv_kernel(const OpCall& c) {
  ConvGeom g = forward_geom(c.op.name.c_str(), ND, c.in[0], c.in[1], c.in[2], c.attrs);
  kernels::conv_forward(c.out[0], c.in[0], c.in[1], c.in[2], g, Ref);
}

// ---- conv2d_fused (input, weight, bias, residual; conv2d's attrs, activation, act_min, act_max) --
// act(conv2d(input, weight, bias) + residual) as one oneDNN inference primitive with post-ops
// (sum, eltwise): an inference op (no backward) that graph::fuse_for_inference puts in place of
// a convolution, the residual add after it and its activation. residual is optional.

kernels::Activation conv_fused_act(const OpCall& c) {
  return kernels::parse_activation("conv2d_fused", c.attrs.str(5), c.attrs.f(6), c.attrs.f(7));
}
void conv_fused_meta(const OpCall& c, Specs& out, size_t& n) {
  conv_meta<2>(c, out, n);
  const Tensor& r = c.in[3];
  if (r.defined()) {
    SINTER_CHECK(r.sizes() == IntArrayRef(out[0].sizes), ShapeError, "conv2d_fused: residual ", shape_str(r.sizes()),
                 " does not match the convolution's output ", shape_str(out[0].sizes), " (input ",
                 shape_str(c.in[0].sizes()), ", weight ", shape_str(c.in[1].sizes()), ")");
    SINTER_CHECK(r.dtype() == c.in[0].dtype(), DTypeError, "conv2d_fused: residual type (", dtype_name(r.dtype()),
                 ") and input type (", dtype_name(c.in[0].dtype()), ") should be the same");
  }
  conv_fused_act(c);
}
template <bool Ref>
void conv_fused_kernel(const OpCall& c) {
  ConvGeom g = forward_geom("conv2d_fused", 2, c.in[0], c.in[1], c.in[2], c.attrs);
  kernels::conv_forward_fused(c.out[0], c.in[0], c.in[1], c.in[2], g, {c.in[3], conv_fused_act(c)}, Ref);
}

// The attrs every gradient convolution carries: (sizes, stride, padding, padding_end, dilation, groups).
Attrs grad_attrs(IntArrayRef sizes, const ConvGeom& g) {
  return {DimVector(sizes), g.stride, g.pad_l, g.pad_r, g.dil, g.G};
}

Tensor conv_forward_call(const Tensor& x, const Tensor& w, const ConvGeom& g);
Tensor conv_input_grad(const Tensor& dy, const Tensor& w, IntArrayRef x_sizes, const ConvGeom& g);
Tensor conv_weight_grad(const Tensor& x, const Tensor& dy, IntArrayRef w_sizes, const ConvGeom& g);

Tensor bias_grad(const Tensor& dy) {
  DimVector dims{0};
  for (int64_t i = 2; i < dy.dim(); ++i) dims.push_back(i);
  return dy.sum(dims);
}

TensorList conv_backward(BackwardCtx& c, const TensorList& grad) {
  const Tensor &x = c.input(0), &w = c.input(1);
  ConvGeom g = forward_geom(c.op.name.c_str(), x.dim() - 2, x, w, c.input(2), c.attrs);
  TensorList r(3);
  if (c.needs(0)) r[0] = conv_input_grad(grad[0], w, x.sizes(), g);
  if (c.needs(1)) r[1] = conv_weight_grad(x, grad[0], w.sizes(), g);
  if (c.needs(2)) r[2] = bias_grad(grad[0]);
  return r;
}

// ---- conv_backward_input(grad_output, weight; input_size, stride, padding, padding_end, dilation, groups)

/// Geometry of a gradient convolution; `x_sizes` or `w_sizes` come from the attrs.
ConvGeom grad_geom(const char* op, IntArrayRef x_sizes, IntArrayRef w_sizes, const Tensor& dy, const Attrs& a) {
  int64_t nd = static_cast<int64_t>(x_sizes.size()) - 2;
  SINTER_CHECK(nd >= 1 && nd <= 3 && static_cast<int64_t>(w_sizes.size()) == nd + 2 && dy.dim() == nd + 2, ShapeError,
               op, ": inconsistent ranks: input ", shape_str(x_sizes), ", weight ", shape_str(w_sizes),
               ", grad_output ", shape_str(dy.sizes()));
  if (dy.dtype() == kHalf || dy.dtype() == kBool) throw_dtype(op, dy.dtype(), "convolution");
  ConvGeom g;
  g.nd = nd;
  g.stride = expand_param(op, "stride", a.ints(1), nd);
  g.pad_l = expand_param(op, "padding", a.ints(2), nd);
  g.pad_r = expand_param(op, "padding_end", a.ints(3), nd);
  g.dil = expand_param(op, "dilation", a.ints(4), nd);
  g.G = a.i(5);
  check_positive(op, "stride", g.stride);
  check_positive(op, "dilation", g.dil);
  SINTER_CHECK(g.G > 0 && w_sizes[0] % g.G == 0 && x_sizes[1] == w_sizes[1] * g.G, ShapeError, op,
               ": input ", shape_str(x_sizes), " and weight ", shape_str(w_sizes), " do not match groups=", g.G);
  g.N = x_sizes[0];
  g.C = x_sizes[1];
  g.O = w_sizes[0];
  for (int64_t i = 0; i < nd; ++i) {
    g.in.push_back(x_sizes[static_cast<size_t>(2 + i)]);
    g.k.push_back(w_sizes[static_cast<size_t>(2 + i)]);
  }
  g.out.clear();
  for (int64_t i = 0; i < nd; ++i) {
    int64_t padded = g.in[i] + g.pad_l[i] + g.pad_r[i], ek = g.dil[i] * (g.k[i] - 1) + 1;
    g.out.push_back(padded >= ek ? (padded - ek) / g.stride[i] + 1 : 0);
  }
  DimVector want = out_sizes(g);
  SINTER_CHECK(dy.sizes() == IntArrayRef(want), ShapeError, op, ": grad_output ", shape_str(dy.sizes()),
               " does not match the output ", shape_str(want), " of a convolution of input ", shape_str(x_sizes),
               " with weight ", shape_str(w_sizes));
  return g;
}

void bwd_input_meta(const OpCall& c, Specs& out, size_t& n) {
  const Tensor &dy = c.in[0], &w = c.in[1];
  SINTER_CHECK(dy.dtype() == w.dtype(), DTypeError, "conv_backward_input: grad_output type (", dtype_name(dy.dtype()),
               ") and weight type (", dtype_name(w.dtype()), ") should be the same");
  grad_geom("conv_backward_input", c.attrs.ints(0), w.sizes(), dy, c.attrs);
  out[0].sizes = DimVector(c.attrs.ints(0));
  out[0].dtype = dy.dtype();
  n = 1;
}
template <bool Ref>
void bwd_input_kernel(const OpCall& c) {
  ConvGeom g = grad_geom("conv_backward_input", c.attrs.ints(0), c.in[1].sizes(), c.in[0], c.attrs);
  kernels::conv_backward_data(c.out[0], c.in[0], c.in[1], g, Ref);
}
TensorList bwd_input_backward(BackwardCtx& c, const TensorList& grad) {
  const Tensor &dy = c.input(0), &w = c.input(1);
  ConvGeom g = grad_geom("conv_backward_input", c.attrs.ints(0), w.sizes(), dy, c.attrs);
  TensorList r(2);
  if (c.needs(0)) r[0] = conv_forward_call(grad[0], w, g);
  if (c.needs(1)) r[1] = conv_weight_grad(grad[0], dy, w.sizes(), g);
  return r;
}

// ---- conv_backward_weight(input, grad_output; weight_size, stride, padding, padding_end, dilation, groups)

void bwd_weight_meta(const OpCall& c, Specs& out, size_t& n) {
  const Tensor &x = c.in[0], &dy = c.in[1];
  SINTER_CHECK(x.dtype() == dy.dtype(), DTypeError, "conv_backward_weight: input type (", dtype_name(x.dtype()),
               ") and grad_output type (", dtype_name(dy.dtype()), ") should be the same");
  grad_geom("conv_backward_weight", x.sizes(), c.attrs.ints(0), dy, c.attrs);
  out[0].sizes = DimVector(c.attrs.ints(0));
  out[0].dtype = x.dtype();
  n = 1;
}
template <bool Ref>
void bwd_weight_kernel(const OpCall& c) {
  ConvGeom g = grad_geom("conv_backward_weight", c.in[0].sizes(), c.attrs.ints(0), c.in[1], c.attrs);
  kernels::conv_backward_weight(c.out[0], c.in[0], c.in[1], g, Ref);
}
TensorList bwd_weight_backward(BackwardCtx& c, const TensorList& grad) {
  const Tensor &x = c.input(0), &dy = c.input(1);
  ConvGeom g = grad_geom("conv_backward_weight", x.sizes(), c.attrs.ints(0), dy, c.attrs);
  TensorList r(2);
  if (c.needs(0)) r[0] = conv_input_grad(dy, grad[0], x.sizes(), g);
  if (c.needs(1)) r[1] = conv_forward_call(x, grad[0], g);
  return r;
}

// ---- conv_transpose1d/2d/3d (input, weight, bias; stride, padding, output_padding, groups, dilation) --

/// The forward convolution whose backward-data this transposed convolution is: its input is the
/// transposed convolution's output.
ConvGeom transpose_geom(const char* op, int64_t nd, const Tensor& x, const Tensor& w, const Tensor& b, const Attrs& a) {
  check_ranks(op, x, w, nd, "(in_channels, out_channels / groups, *kernel_size)");
  check_dtypes(op, x, w, b);
  DimVector stride = expand_param(op, "stride", a.ints(0), nd);
  DimVector pad = expand_param(op, "padding", a.ints(1), nd);
  DimVector opad = expand_param(op, "output_padding", a.ints(2), nd);
  int64_t groups = a.i(3);
  DimVector dil = expand_param(op, "dilation", a.ints(4), nd);
  check_positive(op, "stride", stride);
  check_positive(op, "dilation", dil);
  for (int64_t i = 0; i < nd; ++i) {
    SINTER_CHECK(pad[i] >= 0, ValueError, op, ": negative padding is not supported, got padding=", shape_str(pad));
    SINTER_CHECK(opad[i] >= 0 && (opad[i] < stride[i] || opad[i] < dil[i]), ValueError, op,
                 ": output padding must be smaller than either stride or dilation, but got output_padding=",
                 shape_str(opad), ", stride=", shape_str(stride), ", dilation=", shape_str(dil));
  }
  SINTER_CHECK(groups > 0, ValueError, op, ": non-positive groups is not supported, got groups=", groups);
  SINTER_CHECK(w.size(0) % groups == 0, ShapeError, op, ": given groups=", groups, ", expected weight to be divisible by ",
               groups, " at dimension 0, but got weight of size ", shape_str(w.sizes()));
  SINTER_CHECK(x.size(1) == w.size(0), ShapeError, op, ": given transposed=1, weight of size ", shape_str(w.sizes()),
               ", expected input ", shape_str(x.sizes()), " to have ", w.size(0), " channels, but got ", x.size(1),
               " channels instead");
  int64_t cout = w.size(1) * groups;
  SINTER_CHECK(cout >= 1, ShapeError, op, ": expected weight to have at least one output channel, but got weight of size ",
               shape_str(w.sizes()));
  SINTER_CHECK(!b.defined() || (b.dim() == 1 && b.size(0) == cout), ShapeError, op, ": given transposed=1, weight of size ",
               shape_str(w.sizes()), ", expected bias to be 1-D with ", cout, " elements, but got bias of size ",
               shape_str(b.sizes()));
  ConvGeom g;
  g.nd = nd;
  g.N = x.size(0);
  g.C = cout;
  g.O = x.size(1);
  g.G = groups;
  g.stride = stride;
  g.dil = dil;
  g.pad_l = pad;
  bool ok = true;
  for (int64_t i = 0; i < nd; ++i) {
    int64_t k = w.size(2 + i), xin = x.size(2 + i);
    int64_t size = (xin - 1) * stride[i] - 2 * pad[i] + dil[i] * (k - 1) + opad[i] + 1;
    ok &= size >= 1;
    g.in.push_back(size);
    g.k.push_back(k);
    g.out.push_back(xin);
    g.pad_r.push_back(pad[i] - opad[i]);
  }
  SINTER_CHECK(ok, ShapeError, op, ": given input size per channel ",
               shape_str(IntArrayRef(x.sizes().data() + 2, static_cast<size_t>(nd))),
               ", calculated output size per channel ", shape_str(g.in), " is too small (weight ", shape_str(w.sizes()),
               ", stride ", shape_str(stride), ", padding ", shape_str(pad), ")");
  return g;
}

template <int ND>
void convt_meta(const OpCall& c, Specs& out, size_t& n) {
  ConvGeom g = transpose_geom(c.op.name.c_str(), ND, c.in[0], c.in[1], c.in[2], c.attrs);
  DimVector s{g.N, g.C};
  for (auto v : g.in) s.push_back(v);
  out[0].sizes = s;
  out[0].dtype = c.in[0].dtype();
  n = 1;
}
template <int ND, bool Ref>
void convt_kernel(const OpCall& c) {
  ConvGeom g = transpose_geom(c.op.name.c_str(), ND, c.in[0], c.in[1], c.in[2], c.attrs);
  kernels::conv_backward_data(c.out[0], c.in[0], c.in[1], g, Ref);
  if (c.in[2].defined()) kernels::add_channel_bias(c.out[0], c.in[2]);
}
TensorList convt_backward(BackwardCtx& c, const TensorList& grad) {
  const Tensor &x = c.input(0), &w = c.input(1);
  ConvGeom g = transpose_geom(c.op.name.c_str(), x.dim() - 2, x, w, c.input(2), c.attrs);
  TensorList r(3);
  if (c.needs(0)) r[0] = conv_forward_call(grad[0], w, g);
  if (c.needs(1)) r[1] = conv_weight_grad(grad[0], x, w.sizes(), g);
  if (c.needs(2)) r[2] = bias_grad(grad[0]);
  return r;
}

}  // namespace

OpDef& conv1d_op = def("conv1d").input("input").input("weight").input("bias").attr("stride", DimVector{1})
                       .attr("padding", DimVector{0}).attr("dilation", DimVector{1}).attr("groups", int64_t(1))
                       .attr("padding_end").set_meta(conv_meta<1>).set_cpu(conv_kernel<1, false>)
                       .set_cpu_ref(conv_kernel<1, true>).set_backward(conv_backward).set_onnx("Conv");
OpDef& conv2d_op = def("conv2d").input("input").input("weight").input("bias").attr("stride", DimVector{1})
                       .attr("padding", DimVector{0}).attr("dilation", DimVector{1}).attr("groups", int64_t(1))
                       .attr("padding_end").set_meta(conv_meta<2>).set_cpu(conv_kernel<2, false>)
                       .set_cpu_ref(conv_kernel<2, true>).set_backward(conv_backward).set_onnx("Conv");
OpDef& conv2d_fused_op = def("conv2d_fused").input("input").input("weight").input("bias").input("residual")
                             .attr("stride", DimVector{1}).attr("padding", DimVector{0}).attr("dilation", DimVector{1})
                             .attr("groups", int64_t(1)).attr("padding_end").attr("activation", std::string("none"))
                             .attr("act_min", 0.0).attr("act_max", 0.0).set_meta(conv_fused_meta)
                             .set_cpu(conv_fused_kernel<false>).set_cpu_ref(conv_fused_kernel<true>)
                             .writes_channels_last(OpDef::ChannelsLast::Always);
OpDef& conv3d_op = def("conv3d").input("input").input("weight").input("bias").attr("stride", DimVector{1})
                       .attr("padding", DimVector{0}).attr("dilation", DimVector{1}).attr("groups", int64_t(1))
                       .attr("padding_end").set_meta(conv_meta<3>).set_cpu(conv_kernel<3, false>)
                       .set_cpu_ref(conv_kernel<3, true>).set_backward(conv_backward).set_onnx("Conv");

template <int ND>
OpDef& def_conv_transpose(const char* name) {
  return def(name).input("input").input("weight").input("bias").attr("stride", DimVector{1})
      .attr("padding", DimVector{0}).attr("output_padding", DimVector{0}).attr("groups", int64_t(1))
      .attr("dilation", DimVector{1}).set_meta(convt_meta<ND>).set_cpu(convt_kernel<ND, false>)
      .set_cpu_ref(convt_kernel<ND, true>).set_backward(convt_backward).set_onnx("ConvTranspose");
}
OpDef& conv_transpose1d_op = def_conv_transpose<1>("conv_transpose1d");
OpDef& conv_transpose2d_op = def_conv_transpose<2>("conv_transpose2d");
OpDef& conv_transpose3d_op = def_conv_transpose<3>("conv_transpose3d");
OpDef& conv_backward_input_op = def("conv_backward_input").input("grad_output").input("weight").attr("input_size")
                                    .attr("stride").attr("padding").attr("padding_end").attr("dilation")
                                    .attr("groups").set_meta(bwd_input_meta).set_cpu(bwd_input_kernel<false>)
                                    .set_cpu_ref(bwd_input_kernel<true>).set_backward(bwd_input_backward);
OpDef& conv_backward_weight_op = def("conv_backward_weight").input("input").input("grad_output").attr("weight_size")
                                     .attr("stride").attr("padding").attr("padding_end").attr("dilation")
                                     .attr("groups").set_meta(bwd_weight_meta).set_cpu(bwd_weight_kernel<false>)
                                     .set_cpu_ref(bwd_weight_kernel<true>).set_backward(bwd_weight_backward);

namespace {

Tensor conv_forward_call(const Tensor& x, const Tensor& w, const ConvGeom& g) {
  SINTER_ASSERT(g.nd >= 1 && g.nd <= 3, "convolution with ", g.nd, " spatial dims");
  const OpDef& op = g.nd == 1 ? conv1d_op : g.nd == 2 ? conv2d_op : conv3d_op;
  return call(op, {x, w, Tensor()}, {g.stride, g.pad_l, g.dil, g.G, g.pad_r});
}
Tensor conv_input_grad(const Tensor& dy, const Tensor& w, IntArrayRef x_sizes, const ConvGeom& g) {
  return call(conv_backward_input_op, {dy, w}, grad_attrs(x_sizes, g));
}
Tensor conv_weight_grad(const Tensor& x, const Tensor& dy, IntArrayRef w_sizes, const ConvGeom& g) {
  return call(conv_backward_weight_op, {x, dy}, grad_attrs(w_sizes, g));
}

}  // namespace
}  // namespace ops

namespace {

/// Calls a convolution op on a batched input; an unbatched one ((C, *) instead of (N, C, *)) gets
/// a batch dim of 1 on the way in and loses it on the way out, as in PyTorch.
Tensor batched(const char* op, int64_t nd, const Tensor& input, const std::function<Tensor(const Tensor&)>& f) {
  SINTER_CHECK(input.dim() == nd + 1 || input.dim() == nd + 2, ShapeError, op, ": expected ", nd + 1,
               "-D (unbatched) or ", nd + 2, "-D (batched) input, but got input of size ", shape_str(input.sizes()));
  if (input.dim() == nd + 2) return f(input);
  return f(input.unsqueeze(0)).squeeze(0);
}

Tensor conv_nd(const ops::OpDef& op, int64_t nd, const Tensor& input, const Tensor& weight, const Tensor& bias,
               IntArrayRef stride, IntArrayRef padding, IntArrayRef dilation, int64_t groups) {
  ops::Attrs a{DimVector(stride), DimVector(padding), DimVector(dilation), groups, std::monostate{}};
  return batched(op.name.c_str(), nd, input, [&](const Tensor& x) { return ops::call(op, {x, weight, bias}, a); });
}

/// padding="same"/"valid": "same" pads dilation * (k - 1) in total per dim, the odd one on the right.
Tensor conv_nd_str(const ops::OpDef& op, int64_t nd, const Tensor& input, const Tensor& weight, const Tensor& bias,
                   IntArrayRef stride, std::string_view padding, IntArrayRef dilation, int64_t groups) {
  const char* name = op.name.c_str();
  if (padding == "valid") return conv_nd(op, nd, input, weight, bias, stride, 0, dilation, groups);
  SINTER_CHECK(padding == "same", ValueError, name, ": invalid padding string '", padding,
               "' (expected 'same' or 'valid')");
  DimVector st = ops::expand_param(name, "stride", stride, nd), dil = ops::expand_param(name, "dilation", dilation, nd);
  for (auto s : st)
    SINTER_CHECK(s == 1, ValueError, name, ": padding='same' is not supported for strided convolutions (stride=",
                 shape_str(st), ")");
  SINTER_CHECK(weight.dim() == nd + 2, ShapeError, name, ": expected weight to be ", nd + 2,
               "-D, but got weight of size ", shape_str(weight.sizes()));
  DimVector pl, pr;
  for (int64_t i = 0; i < nd; ++i) {
    int64_t total = dil[i] * (weight.size(2 + i) - 1);
    pl.push_back(total / 2);
    pr.push_back(total - total / 2);
  }
  ops::Attrs a{st, pl, dil, groups, pr};
  return batched(name, nd, input, [&](const Tensor& x) { return ops::call(op, {x, weight, bias}, a); });
}

}  // namespace

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride, IntArrayRef padding,
              IntArrayRef dilation, int64_t groups) {
  return conv_nd(ops::conv1d_op, 1, input, weight, bias, stride, padding, dilation, groups);
}
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride, IntArrayRef padding,
              IntArrayRef dilation, int64_t groups) {
  return conv_nd(ops::conv2d_op, 2, input, weight, bias, stride, padding, dilation, groups);
}
Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride, IntArrayRef padding,
              IntArrayRef dilation, int64_t groups) {
  return conv_nd(ops::conv3d_op, 3, input, weight, bias, stride, padding, dilation, groups);
}
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
              std::string_view padding, IntArrayRef dilation, int64_t groups) {
  return conv_nd_str(ops::conv1d_op, 1, input, weight, bias, stride, padding, dilation, groups);
}
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
              std::string_view padding, IntArrayRef dilation, int64_t groups) {
  return conv_nd_str(ops::conv2d_op, 2, input, weight, bias, stride, padding, dilation, groups);
}
Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
              std::string_view padding, IntArrayRef dilation, int64_t groups) {
  return conv_nd_str(ops::conv3d_op, 3, input, weight, bias, stride, padding, dilation, groups);
}

namespace {
Tensor conv_transpose_nd(const ops::OpDef& op, int64_t nd, const Tensor& input, const Tensor& weight,
                         const Tensor& bias, IntArrayRef stride, IntArrayRef padding, IntArrayRef output_padding,
                         int64_t groups, IntArrayRef dilation) {
  ops::Attrs a{DimVector(stride), DimVector(padding), DimVector(output_padding), groups, DimVector(dilation)};
  return batched(op.name.c_str(), nd, input, [&](const Tensor& x) { return ops::call(op, {x, weight, bias}, a); });
}
}  // namespace

Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                        IntArrayRef padding, IntArrayRef output_padding, int64_t groups, IntArrayRef dilation) {
  return conv_transpose_nd(ops::conv_transpose1d_op, 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation);
}
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                        IntArrayRef padding, IntArrayRef output_padding, int64_t groups, IntArrayRef dilation) {
  return conv_transpose_nd(ops::conv_transpose2d_op, 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation);
}
Tensor conv_transpose3d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                        IntArrayRef padding, IntArrayRef output_padding, int64_t groups, IntArrayRef dilation) {
  return conv_transpose_nd(ops::conv_transpose3d_op, 3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation);
}

}  // namespace sinter
