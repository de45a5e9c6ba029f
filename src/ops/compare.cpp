// Comparisons: eq ne lt le gt ge (broadcasting, promoted compare, bool result).
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

}  // namespace

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

}  // namespace sinter
