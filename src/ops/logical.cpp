// Logical ops (any dtype in, bool out) and bitwise ops (integer and bool tensors only), with
// broadcasting: logical_and/or/xor, bitwise_and/or/xor and the operators & | ^ ~ !.
#include "ops/elementwise.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/unary.h"

namespace sinter {
namespace ops {
namespace {

enum class Bit { And, Or, Xor };

template <Bit K, class T>
inline T apply(T a, T b) {
  if constexpr (K == Bit::And) return T(a & b);
  else if constexpr (K == Bit::Or) return T(a | b);
  else return T(a ^ b);
}

// logical_*(self, other): nonzero is true; NaN is nonzero.
template <Bit K>
void logical_kernel(const OpCall& c) {
  Tensor a = as_dtype(c.in[0], kBool), b = as_dtype(c.in[1], kBool);
  kernels::binary_loop<bool, bool, bool>(c.out[0], a, b, [](bool x, bool y) -> bool {
    if constexpr (K == Bit::And) return x && y;
    else if constexpr (K == Bit::Or) return x || y;
    else return x != y;
  });
}

// bitwise_*(self, other): promoted integer (or bool) result.
void bitwise_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  binary_meta(c, out, n);
  SINTER_CHECK(!is_floating_point(out[0].dtype), DTypeError, c.op.name,
               ": only integer and bool tensors are supported, but got self ", dtype_name(c.in[0].dtype()),
               " and other ", dtype_name(c.in[1].dtype()), " (result type ", dtype_name(out[0].dtype), ")");
}
template <Bit K>
void bitwise_kernel(const OpCall& c) {
  visit_dtype(c.out[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_float_type_v<T>) SINTER_ASSERT(false, "bitwise op on a floating dtype");
    else binary_same<T>(c, [](T a, T b) { return apply<K, T>(a, b); });
  });
}

}  // namespace

OpDef& logical_and_op = def("logical_and").input("self").input("other").set_meta(compare_meta)
                            .set_cpu(logical_kernel<Bit::And>).set_onnx("And");
OpDef& logical_or_op = def("logical_or").input("self").input("other").set_meta(compare_meta)
                           .set_cpu(logical_kernel<Bit::Or>).set_onnx("Or");
OpDef& logical_xor_op = def("logical_xor").input("self").input("other").set_meta(compare_meta)
                            .set_cpu(logical_kernel<Bit::Xor>).set_onnx("Xor");
OpDef& bitwise_and_op = def("bitwise_and").input("self").input("other").set_meta(bitwise_meta)
                            .set_cpu(bitwise_kernel<Bit::And>).set_onnx("BitwiseAnd");
OpDef& bitwise_or_op = def("bitwise_or").input("self").input("other").set_meta(bitwise_meta)
                           .set_cpu(bitwise_kernel<Bit::Or>).set_onnx("BitwiseOr");
OpDef& bitwise_xor_op = def("bitwise_xor").input("self").input("other").set_meta(bitwise_meta)
                            .set_cpu(bitwise_kernel<Bit::Xor>).set_onnx("BitwiseXor");

}  // namespace ops

#define SINTER_LOGICAL(name)                                                                   \
  Tensor name(const Tensor& a, const Tensor& b) { return ops::call(ops::name##_op, {a, b}); } \
  Tensor Tensor::name(const Tensor& o) const { return sinter::name(*this, o); }
SINTER_LOGICAL(logical_and)
SINTER_LOGICAL(logical_or)
SINTER_LOGICAL(logical_xor)
SINTER_LOGICAL(bitwise_and)
SINTER_LOGICAL(bitwise_or)
SINTER_LOGICAL(bitwise_xor)
#undef SINTER_LOGICAL

Tensor operator&(const Tensor& a, const Tensor& b) { return bitwise_and(a, b); }
Tensor operator|(const Tensor& a, const Tensor& b) { return bitwise_or(a, b); }
Tensor operator^(const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); }

}  // namespace sinter
