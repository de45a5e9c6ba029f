// Logical ops (any dtype in, bool out) and bitwise ops (integer and bool tensors only), with
// broadcasting: logical_and/or/xor, bitwise_and/or/xor, bitwise_left/right_shift and the
// operators & | ^ ~ ! << >>.
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

// bitwise_left_shift / bitwise_right_shift(self, other): integer tensors, PyTorch's rules for
// shift counts outside [0, bits): a left shift gives 0, a right shift gives what shifting by all
// bits would (0, or -1 for negative signed values).
void shift_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  bitwise_meta(c, out, n);
  SINTER_CHECK(out[0].dtype != kBool, DTypeError, c.op.name, ": only integer tensors are supported, but got self ",
               dtype_name(c.in[0].dtype()), " and other ", dtype_name(c.in[1].dtype()), " (result type bool)");
}
template <bool Left>
void shift_kernel(const OpCall& c) {
  visit_dtype(c.out[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_integral_v<T> || std::is_same_v<T, bool>) {
      SINTER_ASSERT(false, "shift on a non-integer dtype");
    } else {
      using U = std::make_unsigned_t<T>;
      constexpr int bits = int(sizeof(T)) * 8;
      binary_same<T>(c, [](T a, T b) -> T {
        const bool out_of_range = (std::is_signed_v<T> && b < T(0)) || static_cast<U>(b) >= static_cast<U>(bits);
        if constexpr (Left) {
          return out_of_range ? T(0) : T(static_cast<U>(static_cast<U>(a) << static_cast<U>(b)));
        } else {
          if (out_of_range) return std::is_signed_v<T> ? T(a >> (bits - 1)) : T(0);
          return T(a >> b);
        }
      });
    }
  });
}

}  // namespace

OpDef& bitwise_left_shift_op = def("bitwise_left_shift").input("self").input("other").set_meta(shift_meta)
                                   .set_cpu(shift_kernel<true>);
OpDef& bitwise_right_shift_op = def("bitwise_right_shift").input("self").input("other").set_meta(shift_meta)
                                    .set_cpu(shift_kernel<false>);
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
SINTER_LOGICAL(bitwise_left_shift)
SINTER_LOGICAL(bitwise_right_shift)
#undef SINTER_LOGICAL

Tensor operator&(const Tensor& a, const Tensor& b) { return bitwise_and(a, b); }
Tensor operator|(const Tensor& a, const Tensor& b) { return bitwise_or(a, b); }
Tensor operator^(const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); }
Tensor operator<<(const Tensor& a, const Tensor& b) { return bitwise_left_shift(a, b); }
Tensor operator>>(const Tensor& a, const Tensor& b) { return bitwise_right_shift(a, b); }

}  // namespace sinter
