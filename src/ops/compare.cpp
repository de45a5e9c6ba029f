// Comparisons: eq ne lt le gt ge (broadcasting, promoted compare, bool result); isclose, and
// the bool-valued equal and allclose.
#include <cmath>

#include "ops/elementwise.h"
#include "sinter/ops/binary.h"

namespace sinter {
namespace ops {
namespace {

enum class Cmp { Eq, Ne, Lt, Le, Gt, Ge };

template <Cmp K>
void compare_kernel(const OpCall& c) {
  DType d = result_type(c.in.subspan(0, 2));
  Tensor a = as_dtype(c.in[0], d), b = as_dtype(c.in[1], d);
  visit_dtype(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    kernels::binary_loop<bool, T, T>(c.out[0], a, b, [](T x, T y) {
      A u = A(x), v = A(y);
      if constexpr (K == Cmp::Eq) return u == v;
      else if constexpr (K == Cmp::Ne) return u != v;
      else if constexpr (K == Cmp::Lt) return u < v;
      else if constexpr (K == Cmp::Le) return u <= v;
      else if constexpr (K == Cmp::Gt) return u > v;
      else return u >= v;
    });
  });
}

// isclose(self, other; rtol, atol, equal_nan): |self - other| <= atol + rtol * |other|, or equal.
// The error terms are computed op by op in the tensors' dtype (the default float dtype for
// integer and bool tensors, converted before subtracting), rounding where PyTorch's
// decomposition rounds.
void isclose_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  SINTER_CHECK(c.in[0].dtype() == c.in[1].dtype(), DTypeError, op,
               ": expected both tensors to have the same dtype, but got ", dtype_name(c.in[0].dtype()), " and ",
               dtype_name(c.in[1].dtype()));
  double rtol = c.attrs.f(0), atol = c.attrs.f(1);
  SINTER_CHECK(rtol >= 0, ValueError, op, ": rtol must be greater than or equal to zero, but got ", rtol);
  SINTER_CHECK(atol >= 0, ValueError, op, ": atol must be greater than or equal to zero, but got ", atol);
  compare_meta(c, out, n);
}
void isclose_kernel(const OpCall& c) {
  const double rtol = c.attrs.f(0), atol = c.attrs.f(1);
  const bool equal_nan = c.attrs.b(2);
  const bool exact = rtol == 0 && atol == 0;
  DType d = c.in[0].dtype();
  visit_dtype(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    visit_float_dtype(is_floating_point(d) ? d : default_dtype(), "isclose", [&](auto ctag) {
      using C = typename decltype(ctag)::type;  // dtype of the error terms
      using CA = compute_t<C>;
      auto rnd = [](CA v) { return CA(C(v)); };  // rounds to C (a no-op for float and double)
      const CA rt = CA(rtol), at = CA(atol);
      kernels::binary_loop<bool, T, T>(c.out[0], c.in[0], c.in[1], [=](T x, T y) -> bool {
        if (A(x) == A(y)) return true;
        if constexpr (is_float_type_v<T>) {
          if (equal_nan && A(x) != A(x) && A(y) != A(y)) return true;
        }
        if (exact) return false;
        CA allowed = rnd(at + rnd(std::abs(rnd(rt * CA(cast<C>(y))))));
        // Integers are converted before subtracting (no uint8 wrap-around).
        CA actual = rnd(std::abs(rnd(CA(cast<C>(x)) - CA(cast<C>(y)))));
        return std::isfinite(actual) && actual <= allowed;
      });
    });
  });
}

}  // namespace

OpDef& isclose_op = def("isclose").input("self").input("other").attr("rtol", 1e-5).attr("atol", 1e-8)
                        .attr("equal_nan", false).set_meta(isclose_meta).set_cpu(isclose_kernel);

OpDef& eq_op = def("eq").input("self").input("other").set_meta(compare_meta).set_cpu(compare_kernel<Cmp::Eq>).set_onnx("Equal");
OpDef& ne_op = def("ne").input("self").input("other").set_meta(compare_meta).set_cpu(compare_kernel<Cmp::Ne>);
OpDef& lt_op = def("lt").input("self").input("other").set_meta(compare_meta).set_cpu(compare_kernel<Cmp::Lt>).set_onnx("Less");
OpDef& le_op = def("le").input("self").input("other").set_meta(compare_meta).set_cpu(compare_kernel<Cmp::Le>).set_onnx("LessOrEqual");
OpDef& gt_op = def("gt").input("self").input("other").set_meta(compare_meta).set_cpu(compare_kernel<Cmp::Gt>).set_onnx("Greater");
OpDef& ge_op = def("ge").input("self").input("other").set_meta(compare_meta).set_cpu(compare_kernel<Cmp::Ge>).set_onnx("GreaterOrEqual");

}  // namespace ops

#define SINTER_COMPARE(name, sym)                                                                           \
  Tensor name(const Tensor& a, const Tensor& b) { return ops::call(ops::name##_op, {a, b}); }              \
  Tensor name(const Tensor& a, const Scalar& b) { return ops::call(ops::name##_op, {a, ops::wrap_scalar(b)}); } \
  Tensor Tensor::name(const Tensor& o) const { return sinter::name(*this, o); }                            \
  Tensor Tensor::name(const Scalar& o) const { return sinter::name(*this, o); }                            \
  Tensor operator sym(const Tensor& a, const Tensor& b) { return name(a, b); }                             \
  Tensor operator sym(const Tensor& a, const Scalar& b) { return name(a, b); }
SINTER_COMPARE(eq, ==)
SINTER_COMPARE(ne, !=)
SINTER_COMPARE(lt, <)
SINTER_COMPARE(le, <=)
SINTER_COMPARE(gt, >)
SINTER_COMPARE(ge, >=)
#undef SINTER_COMPARE

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  return ops::call(ops::isclose_op, {a, b}, {rtol, atol, equal_nan});
}

static bool all_true(const Tensor& mask) {  // mask: a fresh contiguous bool tensor
  const bool* p = static_cast<const bool*>(mask.data_ptr());
  for (int64_t i = 0, n = mask.numel(); i < n; ++i)
    if (!p[i]) return false;
  return true;
}

bool equal(const Tensor& a, const Tensor& b) {
  if (a.sizes() != b.sizes()) return false;
  NoGradGuard g;
  return all_true(eq(a, b));
}
bool Tensor::equal(const Tensor& o) const { return sinter::equal(*this, o); }

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  SINTER_CHECK(a.dtype() == b.dtype(), DTypeError, "allclose: expected both tensors to have the same dtype, but got ",
               dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  ops::broadcast_shapes("allclose", a.sizes(), b.sizes());
  NoGradGuard g;
  return all_true(isclose(a, b, rtol, atol, equal_nan));
}
bool Tensor::allclose(const Tensor& o, double rtol, double atol, bool equal_nan) const {
  return sinter::allclose(*this, o, rtol, atol, equal_nan);
}

}  // namespace sinter
