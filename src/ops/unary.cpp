// Elementwise unary ops: forward and backward side by side.
//
// Float functions (exp, log, sin, ...) promote integer and bool inputs to the default float
// dtype; float16/bfloat16 compute in float. Every op has a scalar reference kernel; the hot
// float32 ones also have a SIMD kernel (kernels/cpu/unary_simd.cpp) used for contiguous runs.
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

// out = f(in) over every dtype, with the input cast to out's dtype first; make(tag) -> T(T).
template <class F>
void unary_same(const OpCall& c, F&& make) {
  visit_dtype(c.out[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor x = as_dtype(c.in[0], c.out[0].dtype());
    kernels::unary_loop<T, T>(c.out[0], x, make(tag));
  });
}

// Float32 through the SIMD kernel `Op` (f for strided runs), everything else through Ref.
template <UnaryOp Op, KernelFn Ref, auto F>
void same_dtype_fast(const OpCall& c) {
  if (c.out[0].dtype() != kFloat) return Ref(c);
  Tensor x = as_dtype(c.in[0], kFloat);
  kernels::unary_f32_loop(c.out[0], x, Op, {}, [](float v) { return F(v); });
}

// Kernels of a float function F (generic over the compute type), with and without SIMD.
template <auto F>
void float_ref(const OpCall& c) {
  unary_ref(c, F);
}
template <auto F, UnaryOp Op>
void float_fast(const OpCall& c) {
  unary_fast(c, Op, {}, F);
}

void bool_meta(const OpCall& c, Specs& out, size_t& n) {
  unary_meta(c, out, n);
  out[0].dtype = kBool;
}
void not_bool_meta(const OpCall& c, Specs& out, size_t& n) {
  check_not_bool(c);
  unary_meta(c, out, n);
}

constexpr double kLn2 = std::numbers::ln2;

// ---- neg, abs, sign, square ------------------------------------------------------------------

void neg_meta(const OpCall& c, Specs& out, size_t& n) {
  SINTER_CHECK(c.in[0].dtype() != kBool, DTypeError,
               "neg: negation, the `-` operator, on a bool tensor is not supported. Use logical_not() instead.");
  unary_meta(c, out, n);
}
void neg_kernel(const OpCall& c) {
  unary_same(c, [](auto tag) {
    using T = typename decltype(tag)::type;
    return [](T v) { return T(-compute_t<T>(v)); };
  });
}
constexpr auto f_neg = [](auto v) { return -v; };
TensorList neg_backward(BackwardCtx&, const TensorList& g) { return {-g[0]}; }
OpDef& neg_op = def("neg").input("self").set_meta(neg_meta)
                    .set_cpu(same_dtype_fast<UnaryOp::Neg, neg_kernel, f_neg>).set_cpu_ref(neg_kernel)
                    .set_backward(neg_backward, kSaveNone).set_onnx("Neg");

void abs_kernel(const OpCall& c) {
  unary_same(c, [](auto tag) {
    using T = typename decltype(tag)::type;
    return [](T v) {
      if constexpr (std::is_same_v<T, bool> || std::is_unsigned_v<T>) return v;
      else return T(compute_t<T>(v) < 0 ? -compute_t<T>(v) : compute_t<T>(v));
    };
  });
}
constexpr auto f_abs = [](auto v) { return std::abs(v); };
TensorList abs_backward(BackwardCtx& c, const TensorList& g) { return {g[0] * c.input(0).sign()}; }
OpDef& abs_op = def("abs").input("self").set_meta(not_bool_meta)
                    .set_cpu(same_dtype_fast<UnaryOp::Abs, abs_kernel, f_abs>).set_cpu_ref(abs_kernel)
                    .set_backward(abs_backward).set_onnx("Abs");

void sign_kernel(const OpCall& c) {
  unary_same(c, [](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    return [](T v) {
      if constexpr (std::is_same_v<T, bool>) return v;
      else return T(A((A(v) > A(0)) - (A(v) < A(0))));
    };
  });
}
TensorList sign_backward(BackwardCtx&, const TensorList& g) { return {zeros_like(g[0])}; }
OpDef& sign_op = def("sign").input("self").set_meta(unary_meta).set_cpu(sign_kernel).set_backward(sign_backward, kSaveNone)
                     .set_onnx("Sign");

// square(x) = x * x, like pow(x, 2): bool promotes to int64, integers wrap around.
void square_meta(const OpCall& c, Specs& out, size_t& n) {
  unary_meta(c, out, n);
  if (out[0].dtype == kBool) out[0].dtype = kLong;
}
void square_kernel(const OpCall& c) {
  unary_same(c, [](auto tag) {
    using T = typename decltype(tag)::type;
    return [](T v) {
      if constexpr (std::is_same_v<T, bool>) {
        return v;
      } else if constexpr (std::is_integral_v<T>) {
        using U = std::make_unsigned_t<T>;
        using W = std::conditional_t<(sizeof(T) < sizeof(uint32_t)), uint32_t, U>;  // no int promotion
        return static_cast<T>(static_cast<U>(W(U(v)) * W(U(v))));
      } else {
        using A = compute_t<T>;
        return T(A(v) * A(v));
      }
    };
  });
}
constexpr auto f_square = [](auto v) { return v * v; };
TensorList square_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) { return g * x * 2; })};
}
OpDef& square_op = def("square").input("self").set_meta(square_meta)
                       .set_cpu(same_dtype_fast<UnaryOp::Square, square_kernel, f_square>).set_cpu_ref(square_kernel)
                       .set_backward(square_backward);

// ---- exponentials and logarithms --------------------------------------------------------------

constexpr auto f_exp = [](auto v) { return std::exp(v); };
TensorList exp_backward(BackwardCtx& c, const TensorList& g) { return {g[0] * c.output(0)}; }
OpDef& exp_op = def("exp").input("self").set_meta(unary_float_meta)
                    .set_cpu(float_fast<f_exp, UnaryOp::Exp>).set_cpu_ref(float_ref<f_exp>)
                    .set_backward(exp_backward, kSaveOutputs).set_onnx("Exp");

constexpr auto f_exp2 = [](auto v) { return std::exp2(v); };
TensorList exp2_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.output(0), [](const Tensor& g, const Tensor& y) { return g * y * kLn2; })};
}
OpDef& exp2_op = def("exp2").input("self").set_meta(unary_float_meta).set_cpu(float_ref<f_exp2>)
                     .set_backward(exp2_backward, kSaveOutputs);

constexpr auto f_expm1 = [](auto v) { return std::expm1(v); };
TensorList expm1_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.output(0), [](const Tensor& g, const Tensor& y) { return g * (y + 1); })};
}
OpDef& expm1_op = def("expm1").input("self").set_meta(unary_float_meta)
                      .set_cpu(float_fast<f_expm1, UnaryOp::Expm1>).set_cpu_ref(float_ref<f_expm1>)
                      .set_backward(expm1_backward, kSaveOutputs);

constexpr auto f_log = [](auto v) { return std::log(v); };
TensorList log_backward(BackwardCtx& c, const TensorList& g) { return {g[0] / c.input(0)}; }
OpDef& log_op = def("log").input("self").set_meta(unary_float_meta)
                    .set_cpu(float_fast<f_log, UnaryOp::Log>).set_cpu_ref(float_ref<f_log>)
                    .set_backward(log_backward).set_onnx("Log");

constexpr auto f_log2 = [](auto v) { return std::log2(v); };
TensorList log2_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) { return g / (x * kLn2); })};
}
OpDef& log2_op = def("log2").input("self").set_meta(unary_float_meta)
                     .set_cpu(float_fast<f_log2, UnaryOp::Log2>).set_cpu_ref(float_ref<f_log2>)
                     .set_backward(log2_backward);

constexpr auto f_log1p = [](auto v) { return std::log1p(v); };
TensorList log1p_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) { return g / (x + 1); })};
}
OpDef& log1p_op = def("log1p").input("self").set_meta(unary_float_meta)
                      .set_cpu(float_fast<f_log1p, UnaryOp::Log1p>).set_cpu_ref(float_ref<f_log1p>)
                      .set_backward(log1p_backward);

// ---- powers ---------------------------------------------------------------------------------

constexpr auto f_sqrt = [](auto v) { return std::sqrt(v); };
TensorList sqrt_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.output(0), [](const Tensor& g, const Tensor& y) { return g / (y * 2); })};
}
OpDef& sqrt_op = def("sqrt").input("self").set_meta(unary_float_meta)
                     .set_cpu(float_fast<f_sqrt, UnaryOp::Sqrt>).set_cpu_ref(float_ref<f_sqrt>)
                     .set_backward(sqrt_backward, kSaveOutputs).set_onnx("Sqrt");

constexpr auto f_rsqrt = [](auto v) { return decltype(v)(1) / std::sqrt(v); };
TensorList rsqrt_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.output(0), [](const Tensor& g, const Tensor& y) { return g * (y * y * y) * -0.5; })};
}
OpDef& rsqrt_op = def("rsqrt").input("self").set_meta(unary_float_meta)
                      .set_cpu(float_fast<f_rsqrt, UnaryOp::Rsqrt>).set_cpu_ref(float_ref<f_rsqrt>)
                      .set_backward(rsqrt_backward, kSaveOutputs);

constexpr auto f_reciprocal = [](auto v) { return decltype(v)(1) / v; };
TensorList reciprocal_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.output(0), [](const Tensor& g, const Tensor& y) { return -g * (y * y); })};
}
OpDef& reciprocal_op = def("reciprocal").input("self").set_meta(unary_float_meta)
                           .set_cpu(float_fast<f_reciprocal, UnaryOp::Reciprocal>).set_cpu_ref(float_ref<f_reciprocal>)
                           .set_backward(reciprocal_backward, kSaveOutputs).set_onnx("Reciprocal");

// ---- trigonometric and hyperbolic -------------------------------------------------------------

constexpr auto f_sin = [](auto v) { return std::sin(v); };
TensorList sin_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) { return g * x.cos(); })};
}
OpDef& sin_op = def("sin").input("self").set_meta(unary_float_meta)
                    .set_cpu(float_fast<f_sin, UnaryOp::Sin>).set_cpu_ref(float_ref<f_sin>)
                    .set_backward(sin_backward).set_onnx("Sin");

constexpr auto f_cos = [](auto v) { return std::cos(v); };
TensorList cos_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) { return -(g * x.sin()); })};
}
OpDef& cos_op = def("cos").input("self").set_meta(unary_float_meta)
                    .set_cpu(float_fast<f_cos, UnaryOp::Cos>).set_cpu_ref(float_ref<f_cos>)
                    .set_backward(cos_backward).set_onnx("Cos");

constexpr auto f_tan = [](auto v) { return std::tan(v); };
TensorList tan_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.output(0), [](const Tensor& g, const Tensor& y) { return g * (y * y + 1); })};
}
OpDef& tan_op = def("tan").input("self").set_meta(unary_float_meta).set_cpu(float_ref<f_tan>)
                    .set_backward(tan_backward, kSaveOutputs).set_onnx("Tan");

constexpr auto f_tanh = [](auto v) { return std::tanh(v); };
TensorList tanh_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.output(0), [](const Tensor& g, const Tensor& y) { return g * (1 - y * y); })};
}
OpDef& tanh_op = def("tanh").input("self").set_meta(unary_float_meta)
                     .set_cpu(float_fast<f_tanh, UnaryOp::Tanh>).set_cpu_ref(float_ref<f_tanh>)
                     .set_backward(tanh_backward, kSaveOutputs).set_onnx("Tanh");

// 1 / (1 + e^-x), evaluated without overflow on either side.
constexpr auto f_sigmoid = [](auto v) {
  using A = decltype(v);
  if (v >= A(0)) return A(1) / (A(1) + std::exp(-v));
  A e = std::exp(v);
  return e / (A(1) + e);
};
TensorList sigmoid_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.output(0), [](const Tensor& g, const Tensor& y) { return g * (y * (1 - y)); })};
}
OpDef& sigmoid_op = def("sigmoid").input("self").set_meta(unary_float_meta)
                        .set_cpu(float_fast<f_sigmoid, UnaryOp::Sigmoid>).set_cpu_ref(float_ref<f_sigmoid>)
                        .set_backward(sigmoid_backward, kSaveOutputs).set_onnx("Sigmoid");

constexpr auto f_erf = [](auto v) { return std::erf(v); };
TensorList erf_backward(BackwardCtx& c, const TensorList& g) {
  return {opmath(g[0], c.input(0), [](const Tensor& g, const Tensor& x) {
    return g * (-(x * x)).exp() * (2 * std::numbers::inv_sqrtpi);
  })};
}
OpDef& erf_op = def("erf").input("self").set_meta(unary_float_meta)
                    .set_cpu(float_fast<f_erf, UnaryOp::Erf>).set_cpu_ref(float_ref<f_erf>)
                    .set_backward(erf_backward).set_onnx("Erf");

// ---- rounding: integers pass through unchanged; the gradient is zero ------------------------

template <class Round>
void rounding_kernel(const OpCall& c) {
  unary_same(c, [](auto tag) {
    using T = typename decltype(tag)::type;
    return [](T v) {
      if constexpr (is_float_type_v<T>) return T(Round{}(compute_t<T>(v)));
      else return v;
    };
  });
}
struct FloorFn { template <class A> A operator()(A v) const { return std::floor(v); } };
struct CeilFn { template <class A> A operator()(A v) const { return std::ceil(v); } };
struct RoundFn { template <class A> A operator()(A v) const { return std::nearbyint(v); } };  // ties to even
struct TruncFn { template <class A> A operator()(A v) const { return std::trunc(v); } };
constexpr auto f_floor = [](auto v) { return std::floor(v); };
constexpr auto f_ceil = [](auto v) { return std::ceil(v); };
constexpr auto f_round = [](auto v) { return std::nearbyint(v); };
constexpr auto f_trunc = [](auto v) { return std::trunc(v); };
TensorList zero_backward(BackwardCtx&, const TensorList& g) { return {zeros_like(g[0])}; }
OpDef& floor_op = def("floor").input("self").set_meta(not_bool_meta)
                      .set_cpu(same_dtype_fast<UnaryOp::Floor, rounding_kernel<FloorFn>, f_floor>)
                      .set_cpu_ref(rounding_kernel<FloorFn>).set_backward(zero_backward, kSaveNone).set_onnx("Floor");
OpDef& ceil_op = def("ceil").input("self").set_meta(not_bool_meta)
                     .set_cpu(same_dtype_fast<UnaryOp::Ceil, rounding_kernel<CeilFn>, f_ceil>)
                     .set_cpu_ref(rounding_kernel<CeilFn>).set_backward(zero_backward, kSaveNone).set_onnx("Ceil");
OpDef& round_op = def("round").input("self").set_meta(not_bool_meta)
                      .set_cpu(same_dtype_fast<UnaryOp::Round, rounding_kernel<RoundFn>, f_round>)
                      .set_cpu_ref(rounding_kernel<RoundFn>).set_backward(zero_backward, kSaveNone).set_onnx("Round");
OpDef& trunc_op = def("trunc").input("self").set_meta(not_bool_meta)
                      .set_cpu(same_dtype_fast<UnaryOp::Trunc, rounding_kernel<TruncFn>, f_trunc>)
                      .set_cpu_ref(rounding_kernel<TruncFn>).set_backward(zero_backward, kSaveNone);

// ---- clamp(self; min, max): either bound may be None, not both --------------------------------

// A bound converted to dtype d must not overflow it (negative values wrap for unsigned types,
// as in PyTorch).
void check_bound_fits(const char* op, const char* what, const Scalar& s, DType d) {
  if (!is_integral(d, false) && d != kHalf) return;
  bool ok = true;
  if (d == kHalf) {
    double v = s.to_double();
    ok = !std::isfinite(v) || std::abs(v) <= 65504.0;
  } else if (s.is_floating_point()) {
    ok = false;  // meta never pairs a float bound with an integer result
  } else {
    visit_dtype(d, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        int64_t v = s.to_long();
        if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8)
          ok = true;  // every int64 converts to uint64 (negative values wrap)
        else if constexpr (std::is_unsigned_v<T>)
          ok = v <= int64_t(std::numeric_limits<T>::max()) && v >= -int64_t(std::numeric_limits<T>::max());
        else
          ok = v >= int64_t(std::numeric_limits<T>::min()) && v <= int64_t(std::numeric_limits<T>::max());
      }
    });
  }
  SINTER_CHECK(ok, ValueError, op, ": ", what, " value ", s, " cannot be converted to type ", dtype_name(d),
               " without overflow");
}

void clamp_meta(const OpCall& c, Specs& out, size_t& n) {
  bool no_min = c.attrs.is_none(0), no_max = c.attrs.is_none(1);
  SINTER_CHECK(!(no_min && no_max), ValueError, "clamp: at least one of 'min' or 'max' must not be None");
  unary_meta(c, out, n);
  Tensor ts[3] = {c.in[0], no_min ? Tensor() : wrap_scalar(c.attrs.s(0)), no_max ? Tensor() : wrap_scalar(c.attrs.s(1))};
  out[0].dtype = result_type(ts);
  SINTER_CHECK(out[0].dtype != kBool, DTypeError,
               "clamp: not supported for dtype bool (input bool with bool bounds); convert the input first");
  if (!no_min) check_bound_fits("clamp", "min", c.attrs.s(0), out[0].dtype);
  if (!no_max) check_bound_fits("clamp", "max", c.attrs.s(1), out[0].dtype);
}
void clamp_kernel(const OpCall& c) {
  bool has_lo = !c.attrs.is_none(0), has_hi = !c.attrs.is_none(1);
  Scalar lo_s = has_lo ? c.attrs.s(0) : Scalar(0), hi_s = has_hi ? c.attrs.s(1) : Scalar(0);
  unary_same(c, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    A lo = lo_s.to<A>(), hi = hi_s.to<A>();
    return [=](T v) { return T(clamp_value<A>(A(v), lo, hi, has_lo, has_hi)); };
  });
}
void clamp_fast(const OpCall& c) {
  if (c.out[0].dtype() != kFloat) return clamp_kernel(c);
  bool has_lo = !c.attrs.is_none(0), has_hi = !c.attrs.is_none(1);
  float inf = std::numeric_limits<float>::infinity();
  float lo = has_lo ? c.attrs.s(0).to<float>() : -inf, hi = has_hi ? c.attrs.s(1).to<float>() : inf;
  Tensor x = as_dtype(c.in[0], kFloat);
  kernels::unary_f32_loop(c.out[0], x, UnaryOp::Clamp, {lo, hi, 0},
                          [=](float v) { return clamp_value<float>(v, lo, hi, true, true); });
}
// The gradient flows where min <= x <= max (x NaN: nowhere).
TensorList clamp_backward(BackwardCtx& c, const TensorList& g) {
  const Tensor& x = c.input(0);
  Tensor mask;
  {
    NoGradGuard ng;
    if (!c.attrs.is_none(0)) mask = x >= c.attrs.s(0);
    if (!c.attrs.is_none(1)) mask = mask.defined() ? mask * (x <= c.attrs.s(1)) : x <= c.attrs.s(1);
  }
  return {g[0] * mask_as(mask, g[0].dtype())};
}
OpDef& clamp_op = def("clamp").input("self").attr("min").attr("max").set_meta(clamp_meta).set_cpu(clamp_fast)
                      .set_cpu_ref(clamp_kernel).set_backward(clamp_backward).set_onnx("Clip");

// ---- logical and bitwise not, classification (bool results, no gradient) --------------------

void logical_not_kernel(const OpCall& c) {
  visit_dtype(c.in[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::unary_loop<bool, T>(c.out[0], c.in[0], [](T v) { return static_cast<compute_t<T>>(v) == compute_t<T>(0); });
  });
}
OpDef& logical_not_op = def("logical_not").input("self").set_meta(bool_meta).set_cpu(logical_not_kernel).set_onnx("Not");

void bitwise_not_meta(const OpCall& c, Specs& out, size_t& n) {
  DType d = c.in[0].dtype();
  SINTER_CHECK(is_integral(d, true), DTypeError, "bitwise_not: expected an integer or bool tensor, got dtype ",
               dtype_name(d));
  unary_meta(c, out, n);
}
void bitwise_not_kernel(const OpCall& c) {
  unary_same(c, [](auto tag) {
    using T = typename decltype(tag)::type;
    return [](T v) {
      if constexpr (std::is_same_v<T, bool>) return !v;
      else if constexpr (std::is_integral_v<T>) return T(~v);
      else return v;  // unreachable: meta admits integers and bool only
    };
  });
}
OpDef& bitwise_not_op = def("bitwise_not").input("self").set_meta(bitwise_not_meta).set_cpu(bitwise_not_kernel)
                            .set_onnx("BitwiseNot");

template <class Pred>
void classify_kernel(const OpCall& c) {
  visit_dtype(c.in[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::unary_loop<bool, T>(c.out[0], c.in[0], [](T v) {
      if constexpr (is_float_type_v<T>) return Pred{}(static_cast<compute_t<T>>(v));
      else return Pred{}(0.0);
    });
  });
}
struct IsNan { bool operator()(double v) const { return std::isnan(v); } };
struct IsInf { bool operator()(double v) const { return std::isinf(v); } };
struct IsFinite { bool operator()(double v) const { return std::isfinite(v); } };
OpDef& isnan_op = def("isnan").input("self").set_meta(bool_meta).set_cpu(classify_kernel<IsNan>).set_onnx("IsNaN");
OpDef& isinf_op = def("isinf").input("self").set_meta(bool_meta).set_cpu(classify_kernel<IsInf>).set_onnx("IsInf");
OpDef& isfinite_op = def("isfinite").input("self").set_meta(bool_meta).set_cpu(classify_kernel<IsFinite>);

Attrs clamp_attrs(const std::optional<Scalar>& min, const std::optional<Scalar>& max) {
  Attrs a;
  a.push(min ? AttrValue(*min) : AttrValue(std::monostate{}));
  a.push(max ? AttrValue(*max) : AttrValue(std::monostate{}));
  return a;
}

}  // namespace
}  // namespace ops

using ops::call;

Tensor neg(const Tensor& x) { return call(ops::neg_op, {x}); }
Tensor abs(const Tensor& x) { return call(ops::abs_op, {x}); }
Tensor sign(const Tensor& x) { return call(ops::sign_op, {x}); }
Tensor square(const Tensor& x) { return call(ops::square_op, {x}); }
Tensor exp(const Tensor& x) { return call(ops::exp_op, {x}); }
Tensor exp2(const Tensor& x) { return call(ops::exp2_op, {x}); }
Tensor expm1(const Tensor& x) { return call(ops::expm1_op, {x}); }
Tensor log(const Tensor& x) { return call(ops::log_op, {x}); }
Tensor log2(const Tensor& x) { return call(ops::log2_op, {x}); }
Tensor log1p(const Tensor& x) { return call(ops::log1p_op, {x}); }
Tensor sqrt(const Tensor& x) { return call(ops::sqrt_op, {x}); }
Tensor rsqrt(const Tensor& x) { return call(ops::rsqrt_op, {x}); }
Tensor reciprocal(const Tensor& x) { return call(ops::reciprocal_op, {x}); }
Tensor sin(const Tensor& x) { return call(ops::sin_op, {x}); }
Tensor cos(const Tensor& x) { return call(ops::cos_op, {x}); }
Tensor tan(const Tensor& x) { return call(ops::tan_op, {x}); }
Tensor tanh(const Tensor& x) { return call(ops::tanh_op, {x}); }
Tensor sigmoid(const Tensor& x) { return call(ops::sigmoid_op, {x}); }
Tensor erf(const Tensor& x) { return call(ops::erf_op, {x}); }
Tensor floor(const Tensor& x) { return call(ops::floor_op, {x}); }
Tensor ceil(const Tensor& x) { return call(ops::ceil_op, {x}); }
Tensor round(const Tensor& x) { return call(ops::round_op, {x}); }
Tensor trunc(const Tensor& x) { return call(ops::trunc_op, {x}); }
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  return call(ops::clamp_op, {x}, ops::clamp_attrs(min, max));
}
Tensor clamp_min(const Tensor& x, const Scalar& min) { return clamp(x, min, std::nullopt); }
Tensor clamp_max(const Tensor& x, const Scalar& max) { return clamp(x, std::nullopt, max); }
Tensor logical_not(const Tensor& x) { return call(ops::logical_not_op, {x}); }
Tensor bitwise_not(const Tensor& x) { return call(ops::bitwise_not_op, {x}); }
Tensor isnan(const Tensor& x) { return call(ops::isnan_op, {x}); }
Tensor isinf(const Tensor& x) { return call(ops::isinf_op, {x}); }
Tensor isfinite(const Tensor& x) { return call(ops::isfinite_op, {x}); }

Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator~(const Tensor& x) { return bitwise_not(x); }
Tensor operator!(const Tensor& x) { return logical_not(x); }

Tensor Tensor::neg() const { return sinter::neg(*this); }
Tensor Tensor::abs() const { return sinter::abs(*this); }
Tensor Tensor::sign() const { return sinter::sign(*this); }
Tensor Tensor::square() const { return sinter::square(*this); }
Tensor Tensor::exp() const { return sinter::exp(*this); }
Tensor Tensor::exp2() const { return sinter::exp2(*this); }
Tensor Tensor::expm1() const { return sinter::expm1(*this); }
Tensor Tensor::log() const { return sinter::log(*this); }
Tensor Tensor::log2() const { return sinter::log2(*this); }
Tensor Tensor::log1p() const { return sinter::log1p(*this); }
Tensor Tensor::sqrt() const { return sinter::sqrt(*this); }
Tensor Tensor::rsqrt() const { return sinter::rsqrt(*this); }
Tensor Tensor::reciprocal() const { return sinter::reciprocal(*this); }
Tensor Tensor::sin() const { return sinter::sin(*this); }
Tensor Tensor::cos() const { return sinter::cos(*this); }
Tensor Tensor::tan() const { return sinter::tan(*this); }
Tensor Tensor::tanh() const { return sinter::tanh(*this); }
Tensor Tensor::sigmoid() const { return sinter::sigmoid(*this); }
Tensor Tensor::erf() const { return sinter::erf(*this); }
Tensor Tensor::floor() const { return sinter::floor(*this); }
Tensor Tensor::ceil() const { return sinter::ceil(*this); }
Tensor Tensor::round() const { return sinter::round(*this); }
Tensor Tensor::trunc() const { return sinter::trunc(*this); }
Tensor Tensor::clamp(std::optional<Scalar> min, std::optional<Scalar> max) const { return sinter::clamp(*this, min, max); }
Tensor Tensor::clamp_min(const Scalar& min) const { return sinter::clamp_min(*this, min); }
Tensor Tensor::clamp_max(const Scalar& max) const { return sinter::clamp_max(*this, max); }
Tensor Tensor::logical_not() const { return sinter::logical_not(*this); }
Tensor Tensor::bitwise_not() const { return sinter::bitwise_not(*this); }
Tensor Tensor::isnan() const { return sinter::isnan(*this); }
Tensor Tensor::isinf() const { return sinter::isinf(*this); }
Tensor Tensor::isfinite() const { return sinter::isfinite(*this); }

Tensor& Tensor::neg_() { return ops::call_inplace(ops::neg_op, *this, {*this}); }
Tensor& Tensor::abs_() { return ops::call_inplace(ops::abs_op, *this, {*this}); }
Tensor& Tensor::exp_() { return ops::call_inplace(ops::exp_op, *this, {*this}); }
Tensor& Tensor::log_() { return ops::call_inplace(ops::log_op, *this, {*this}); }
Tensor& Tensor::sqrt_() { return ops::call_inplace(ops::sqrt_op, *this, {*this}); }
Tensor& Tensor::sigmoid_() { return ops::call_inplace(ops::sigmoid_op, *this, {*this}); }
Tensor& Tensor::tanh_() { return ops::call_inplace(ops::tanh_op, *this, {*this}); }
Tensor& Tensor::clamp_(std::optional<Scalar> min, std::optional<Scalar> max) {
  return ops::call_inplace(ops::clamp_op, *this, {*this}, ops::clamp_attrs(min, max));
}

}  // namespace sinter
