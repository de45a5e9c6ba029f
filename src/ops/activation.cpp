// Activations: relu hardtanh leaky_relu elu gelu silu mish softplus hardsigmoid hardswish
// logsigmoid (registered ops, forward + backward), and relu6 / selu written from them.
//
// Backward formulas follow PyTorch's derivatives.yaml and are written with sinter ops, so
// they are differentiable again (double backward).
#include <cmath>
#include <numbers>

#include "ops/unary_util.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/unary.h"

namespace sinter {
namespace ops {
namespace {

using kernels::UnaryOp;
using Specs = std::array<OutSpec, kMaxOutputs>;

// Float32 through SIMD, other float dtypes through the scalar f.
template <class F>
void activation(const OpCall& c, UnaryOp op, const kernels::UnaryParams& p, F&& f, int64_t grain = kMathGrain) {
  unary_fast(c, op, p, f, grain);
}

// A scalar lambda f(v) of the compute type that clamps to [lo, hi] (NaN passes through).
template <class A>
auto clamp_fn(A lo, A hi, bool has_lo, bool has_hi) {
  return [=](A v) { return clamp_value<A>(v, lo, hi, has_lo, has_hi); };
}

// out = clamp(in, lo, hi) in out's dtype (any non-bool dtype), bounds converted to it.
void clamp_into(const OpCall& c, double lo_d, double hi_d, bool has_lo, bool has_hi) {
  const Tensor& out = c.out[0];
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    A lo = cast<A>(lo_d), hi = cast<A>(hi_d);
    if constexpr (std::is_integral_v<T>) {  // integer bounds truncate, as in PyTorch
      lo = cast<A>(static_cast<int64_t>(lo_d));
      hi = cast<A>(static_cast<int64_t>(hi_d));
    }
    auto f = clamp_fn<A>(lo, hi, has_lo, has_hi);
    kernels::unary_loop<T, T>(out, c.in[0], [&](T v) { return T(f(A(v))); });
  });
}

// ---- relu ------------------------------------------------------------------------------------

void relu_meta(const OpCall& c, Specs& out, size_t& n) {
  check_not_bool(c);
  unary_meta(c, out, n);
}
void relu_ref(const OpCall& c) { clamp_into(c, 0.0, 0.0, true, false); }
void relu_fast(const OpCall& c) {
  if (c.out[0].dtype() != kFloat) return relu_ref(c);
  kernels::unary_f32_loop(c.out[0], c.in[0], UnaryOp::Relu, {}, [](float v) { return v < 0.0f ? 0.0f : v; });
}
// ---- threshold_backward(grad_output, self; threshold) ------------------------------------------
// grad_output where self > threshold, else 0: relu's backward in one pass. Differentiable in
// grad_output (the same mask again), not in self (piecewise constant).

void threshold_backward_meta(const OpCall& c, Specs& out, size_t& n) {
  const Tensor& g = c.in[0];
  const Tensor& x = c.in[1];
  SINTER_CHECK(g.sizes() == x.sizes(), ShapeError, "threshold_backward: grad_output ", shape_str(g.sizes()),
               " and self ", shape_str(x.sizes()), " must have the same shape");
  SINTER_CHECK(is_floating_point(g.dtype()) && g.dtype() == x.dtype(), DTypeError,
               "threshold_backward: expected grad_output and self of one floating dtype, got ", dtype_name(g.dtype()),
               " and ", dtype_name(x.dtype()));
  out[0].sizes = DimVector(g.sizes());
  out[0].dtype = g.dtype();
  n = 1;
}
void threshold_backward_kernel(const OpCall& c) {
  const double t = c.attrs.f(0);
  visit_dtype_no_wide_uint(c.out[0].dtype(), "threshold_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_float_type_v<T>) {
      using A = compute_t<T>;
      const A th = static_cast<A>(t);
      kernels::binary_loop<T, T, T>(c.out[0], c.in[0], c.in[1], [th](T g, T x) { return A(x) > th ? g : T(0); });
    }
  });
}
extern OpDef& threshold_backward_op;
TensorList threshold_backward_backward(BackwardCtx& c, const TensorList& g) {
  TensorList r(2);
  if (c.needs(0)) r[0] = call(threshold_backward_op, {g[0], c.input(1)}, {c.attrs.f(0)});
  return r;
}
OpDef& threshold_backward_op = def("threshold_backward").input("grad_output").input("self").attr("threshold", 0.0)
                                   .set_meta(threshold_backward_meta).set_cpu(threshold_backward_kernel)
                                   .set_backward(threshold_backward_backward, kSaveInputs, 0b10);

TensorList relu_backward(BackwardCtx& c, const TensorList& g) {
  return {call(threshold_backward_op, {g[0], c.output(0)}, {0.0})};
}
OpDef& relu_op = def("relu").input("self").set_meta(relu_meta).set_cpu(relu_fast).set_cpu_ref(relu_ref)
                     .set_backward(relu_backward, kSaveOutputs).set_onnx("Relu");

// ---- hardtanh(self; min_val, max_val) = clamp without type promotion ---------------------------

void hardtanh_meta(const OpCall& c, Specs& out, size_t& n) {
  DType d = c.in[0].dtype();
  SINTER_CHECK(d != kBool, DTypeError, "hardtanh: bool tensors are not supported (got dtype bool)");
  double lo = c.attrs.f(0), hi = c.attrs.f(1);
  SINTER_CHECK(d != kByte || (static_cast<int64_t>(lo) >= 0 && static_cast<int64_t>(hi) >= 0), ValueError,
               "hardtanh: cannot do hardtanh on an unsigned type (uint8) with negative limits (min_val=", lo,
               ", max_val=", hi, ")");
  unary_meta(c, out, n);
}
void hardtanh_ref(const OpCall& c) { clamp_into(c, c.attrs.f(0), c.attrs.f(1), true, true); }
void hardtanh_fast(const OpCall& c) {
  if (c.out[0].dtype() != kFloat) return hardtanh_ref(c);
  float lo = static_cast<float>(c.attrs.f(0)), hi = static_cast<float>(c.attrs.f(1));
  kernels::unary_f32_loop(c.out[0], c.in[0], UnaryOp::HardTanh, {lo, hi, 0}, clamp_fn<float>(lo, hi, true, true));
}
// The gradient flows where min_val < x < max_val.
TensorList hardtanh_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  Tensor inside;
  {
    NoGradGuard ng;
    inside = (x > c.attrs.f(0)) * (x < c.attrs.f(1));
  }
  return {g[0] * mask_as(inside, g[0].dtype())};
}
OpDef& hardtanh_op = def("hardtanh").input("self").attr("min_val", -1.0).attr("max_val", 1.0)
                         .set_meta(hardtanh_meta).set_cpu(hardtanh_fast).set_cpu_ref(hardtanh_ref)
                         .set_backward(hardtanh_backward).set_onnx("Clip");

// ---- leaky_relu(self; negative_slope) ------------------------------------------------------------

auto leaky_fn(const OpCall& c) {
  double s = c.attrs.f(0);
  return [s](auto v) { return v > decltype(v)(0) ? v : v * decltype(v)(s); };
}
void leaky_relu_ref(const OpCall& c) { unary_ref(c, leaky_fn(c)); }
void leaky_relu_fast(const OpCall& c) {
  activation(c, UnaryOp::LeakyRelu, {static_cast<float>(c.attrs.f(0)), 0, 0}, leaky_fn(c), kernels::kGrainSize);
}
// d/dx = 1 where x > 0, else negative_slope.
TensorList leaky_relu_backward(BackwardCtx& c, const TensorList& g) {
  double s = c.attrs.f(0);
  return {opmath(g[0], c.input(0), [s](const Tensor& g, const Tensor& x) {
    return g * (mask_as(x > 0, g.dtype()) * (1 - s) + s);
  })};
}
OpDef& leaky_relu_op = def("leaky_relu").input("self").attr("negative_slope", 0.01).set_meta(float_only_meta)
                           .set_cpu(leaky_relu_fast).set_cpu_ref(leaky_relu_ref)
                           .set_backward(leaky_relu_backward).set_onnx("LeakyRelu");

// ---- elu(self; alpha, scale, input_scale) -----------------------------------------------------
// x > 0: scale * x;  else: alpha * scale * (exp(input_scale * x) - 1).

auto elu_fn(const OpCall& c) {
  double alpha = c.attrs.f(0), scale = c.attrs.f(1), in_scale = c.attrs.f(2);
  return [=](auto v) {
    using A = decltype(v);
    A negcoef = A(alpha) * A(scale);
    return v > A(0) ? v * A(scale) : std::expm1(v * A(in_scale)) * negcoef;
  };
}
void elu_ref(const OpCall& c) { unary_ref(c, elu_fn(c)); }
void elu_fast(const OpCall& c) {
  float alpha = static_cast<float>(c.attrs.f(0)), scale = static_cast<float>(c.attrs.f(1));
  activation(c, UnaryOp::Elu, {alpha * scale, scale, static_cast<float>(c.attrs.f(2))}, elu_fn(c));
}
TensorList elu_backward(BackwardCtx& c, const TensorList& g) {
  double alpha = c.attrs.f(0), scale = c.attrs.f(1), in_scale = c.attrs.f(2);
  return {opmath(g[0], c.input(0), [=](const Tensor& g, const Tensor& x) {
    Tensor pos = mask_as(x > 0, g.dtype());
    // exp of min(x, 0): the negative branch, bounded where the positive one applies.
    Tensor negative = (x.clamp_max(0) * in_scale).exp() * (alpha * scale * in_scale);
    return g * (pos * scale + (1 - pos) * negative);
  })};
}
OpDef& elu_op = def("elu").input("self").attr("alpha", 1.0).attr("scale", 1.0).attr("input_scale", 1.0)
                    .set_meta(float_only_meta).set_cpu(elu_fast).set_cpu_ref(elu_ref)
                    .set_backward(elu_backward).set_onnx("Elu");

// ---- gelu(self; approximate = "none" | "tanh") --------------------------------------------------

constexpr double kSqrt1_2 = 0.70710678118654752440;
constexpr double kBeta = 0.79788456080286535588;  // sqrt(2 / pi)
constexpr double kKappa = 0.044715;

void gelu_meta(const OpCall& c, Specs& out, size_t& n) {
  const std::string& a = c.attrs.str(0);
  SINTER_CHECK(a == "none" || a == "tanh", ValueError,
               "gelu: approximate argument must be either 'none' or 'tanh' (got '", a, "')");
  float_only_meta(c, out, n);
}
// x/2 (1 + erf(x / sqrt 2)) = x/2 erfc(-x / sqrt 2), accurate in the negative tail too.
constexpr auto f_gelu = [](auto v) {
  using A = decltype(v);
  return A(0.5) * v * std::erfc(-v * A(kSqrt1_2));
};
// x/2 (1 + tanh(u)) = x / (1 + e^(-2u)), u = sqrt(2/pi) (x + 0.044715 x^3).
constexpr auto f_gelu_tanh = [](auto v) {
  using A = decltype(v);
  A u2 = A(2) * A(kBeta) * (v + A(kKappa) * v * v * v);
  if (u2 >= A(0)) return v / (A(1) + std::exp(-u2));
  A e = std::exp(u2);
  return v * e / (A(1) + e);
};
void gelu_ref(const OpCall& c) {
  if (c.attrs.str(0) == "tanh") unary_ref(c, f_gelu_tanh);
  else unary_ref(c, f_gelu);
}
void gelu_fast(const OpCall& c) {
  if (c.attrs.str(0) == "tanh") activation(c, UnaryOp::GeluTanh, {}, f_gelu_tanh);
  else activation(c, UnaryOp::GeluErf, {}, f_gelu);
}
TensorList gelu_backward(BackwardCtx& c, const TensorList& g) {
  if (c.attrs.str(0) == "tanh") {
    return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) {
      Tensor x_sq = x * x;
      Tensor t = ((x + x_sq * x * kKappa) * kBeta).tanh();
      Tensor left_derivative = (t + 1) * 0.5;
      Tensor right_derivative = x * 0.5 * (1 - t * t) * ((x_sq * (3 * kKappa) + 1) * kBeta);
      return g * (left_derivative + right_derivative);
    })};
  }
  return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) {
    Tensor cdf = ((x * kSqrt1_2).erf() + 1) * 0.5;
    Tensor pdf = (x * x * -0.5).exp() * (std::numbers::inv_sqrtpi * kSqrt1_2);
    return g * (cdf + x * pdf);
  })};
}
OpDef& gelu_op = def("gelu").input("self").attr("approximate", std::string("none")).set_meta(gelu_meta)
                     .set_cpu(gelu_fast).set_cpu_ref(gelu_ref).set_backward(gelu_backward).set_onnx("Gelu");

// ---- silu, mish -------------------------------------------------------------------------------

constexpr auto f_sigmoid = [](auto v) {
  using A = decltype(v);
  if (v >= A(0)) return A(1) / (A(1) + std::exp(-v));
  A e = std::exp(v);
  return e / (A(1) + e);
};
constexpr auto f_silu = [](auto v) { return v * f_sigmoid(v); };
void silu_ref(const OpCall& c) { unary_ref(c, f_silu); }
void silu_fast(const OpCall& c) { activation(c, UnaryOp::Silu, {}, f_silu); }
TensorList silu_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) {
    Tensor s = x.sigmoid();
    return g * (s * (x * (1 - s) + 1));
  })};
}
OpDef& silu_op = def("silu").input("self").set_meta(float_only_meta).set_cpu(silu_fast).set_cpu_ref(silu_ref)
                     .set_backward(silu_backward);

constexpr auto f_mish = [](auto v) { return v * std::tanh(std::log1p(std::exp(v))); };
void mish_ref(const OpCall& c) { unary_ref(c, f_mish); }
void mish_fast(const OpCall& c) { activation(c, UnaryOp::Mish, {}, f_mish); }
TensorList mish_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) {
    Tensor t = softplus(x).tanh();
    return g * (t + x * x.sigmoid() * (1 - t * t));
  })};
}
OpDef& mish_op = def("mish").input("self").set_meta(float_only_meta).set_cpu(mish_fast).set_cpu_ref(mish_ref)
                     .set_backward(mish_backward).set_onnx("Mish");

// ---- softplus(self; beta, threshold) = log1p(exp(beta x)) / beta, x where beta x > threshold ---

auto softplus_fn(const OpCall& c) {
  double beta = c.attrs.f(0), threshold = c.attrs.f(1);
  return [=](auto v) {
    using A = decltype(v);
    A bx = v * A(beta);
    if (bx > A(threshold)) return v;
    return ((bx > A(0) ? bx : A(0)) + std::log1p(std::exp(-std::abs(bx)))) / A(beta);
  };
}
void softplus_ref(const OpCall& c) { unary_ref(c, softplus_fn(c)); }
void softplus_fast(const OpCall& c) {
  activation(c, UnaryOp::Softplus, {static_cast<float>(c.attrs.f(0)), static_cast<float>(c.attrs.f(1)), 0},
             softplus_fn(c));
}
TensorList softplus_backward(BackwardCtx& c, const TensorList& g) {
  double beta = c.attrs.f(0), threshold = c.attrs.f(1);
  return {opmath(g[0], c.input(0), [=](const Tensor& g, const Tensor& x) {
    Tensor bx = x * beta;
    Tensor linear = mask_as(bx > threshold, g.dtype());
    return g * (bx.sigmoid() * (1 - linear) + linear);
  })};
}
OpDef& softplus_op = def("softplus").input("self").attr("beta", 1.0).attr("threshold", 20.0)
                         .set_meta(float_only_meta).set_cpu(softplus_fast).set_cpu_ref(softplus_ref)
                         .set_backward(softplus_backward).set_onnx("Softplus");

// ---- hardsigmoid, hardswish -----------------------------------------------------------------------

constexpr auto f_hardsigmoid = [](auto v) {
  using A = decltype(v);
  return clamp_value<A>(v + A(3), A(0), A(6), true, true) / A(6);
};
void hardsigmoid_ref(const OpCall& c) { unary_ref(c, f_hardsigmoid); }
void hardsigmoid_fast(const OpCall& c) { activation(c, UnaryOp::Hardsigmoid, {}, f_hardsigmoid, kernels::kGrainSize); }
TensorList hardsigmoid_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  Tensor inside;
  {
    NoGradGuard ng;
    inside = (x > -3) * (x < 3);
  }
  return {opmath(g[0], inside, [](const Tensor& g, const Tensor& in) { return g * mask_as(in, g.dtype()) / 6; })};
}
OpDef& hardsigmoid_op = def("hardsigmoid").input("self").set_meta(float_only_meta).set_cpu(hardsigmoid_fast)
                            .set_cpu_ref(hardsigmoid_ref).set_backward(hardsigmoid_backward).set_onnx("HardSigmoid");

constexpr auto f_hardswish = [](auto v) {
  using A = decltype(v);
  return v * clamp_value<A>(v + A(3), A(0), A(6), true, true) / A(6);
};
void hardswish_ref(const OpCall& c) { unary_ref(c, f_hardswish); }
void hardswish_fast(const OpCall& c) { activation(c, UnaryOp::Hardswish, {}, f_hardswish, kernels::kGrainSize); }
// d/dx = 0 for x < -3, x/3 + 1/2 for -3 <= x < 3, 1 for x >= 3 (PyTorch's vectorized kernel;
// its scalar tail takes x/3 + 1/2 at x = 3).
TensorList hardswish_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) {
    Tensor mid = mask_as((x >= -3) * (x < 3), g.dtype()), high = mask_as(x >= 3, g.dtype());
    return g * (mid * (x.clamp(-3, 3) / 3 + 0.5) + high);
  })};
}
OpDef& hardswish_op = def("hardswish").input("self").set_meta(float_only_meta).set_cpu(hardswish_fast)
                          .set_cpu_ref(hardswish_ref).set_backward(hardswish_backward).set_onnx("HardSwish");

// ---- logsigmoid(x) = -softplus(-x) = min(x, 0) - log1p(exp(-|x|)) --------------------------------

constexpr auto f_logsigmoid = [](auto v) {
  using A = decltype(v);
  return (v < A(0) ? v : A(0)) - std::log1p(std::exp(-std::abs(v)));
};
void logsigmoid_ref(const OpCall& c) { unary_ref(c, f_logsigmoid); }
void logsigmoid_fast(const OpCall& c) { activation(c, UnaryOp::Logsigmoid, {}, f_logsigmoid); }
TensorList logsigmoid_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) { return g * (-x).sigmoid(); })};
}
OpDef& logsigmoid_op = def("logsigmoid").input("self").set_meta(float_only_meta).set_cpu(logsigmoid_fast)
                           .set_cpu_ref(logsigmoid_ref).set_backward(logsigmoid_backward);

}  // namespace
}  // namespace ops

using ops::call;

Tensor relu(const Tensor& x) { return call(ops::relu_op, {x}); }
Tensor relu6(const Tensor& x) { return hardtanh(x, 0.0, 6.0); }
Tensor leaky_relu(const Tensor& x, double negative_slope) { return call(ops::leaky_relu_op, {x}, {negative_slope}); }
Tensor elu(const Tensor& x, double alpha, double scale, double input_scale) {
  return call(ops::elu_op, {x}, {alpha, scale, input_scale});
}
Tensor selu(const Tensor& x) {
  return elu(x, 1.6732632423543772848170429916717, 1.0507009873554804934193349852946, 1.0);
}
Tensor gelu(const Tensor& x, std::string_view approximate) {
  return call(ops::gelu_op, {x}, {std::string(approximate)});
}
Tensor silu(const Tensor& x) { return call(ops::silu_op, {x}); }
Tensor mish(const Tensor& x) { return call(ops::mish_op, {x}); }
Tensor softplus(const Tensor& x, double beta, double threshold) { return call(ops::softplus_op, {x}, {beta, threshold}); }
Tensor hardsigmoid(const Tensor& x) { return call(ops::hardsigmoid_op, {x}); }
Tensor hardswish(const Tensor& x) { return call(ops::hardswish_op, {x}); }
Tensor hardtanh(const Tensor& x, double min_val, double max_val) { return call(ops::hardtanh_op, {x}, {min_val, max_val}); }
Tensor logsigmoid(const Tensor& x) { return call(ops::logsigmoid_op, {x}); }

Tensor Tensor::relu() const { return sinter::relu(*this); }
Tensor& Tensor::relu_() { return ops::call_inplace(ops::relu_op, *this, {*this}); }

}  // namespace sinter
