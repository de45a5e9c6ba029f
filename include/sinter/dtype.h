// Element types, their C++ representations, and PyTorch's type-promotion rules.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

namespace sinter {

// String: elements are std::string objects (like tf.string and ONNX's STRING); its storage
// constructs and destroys them, copies assign element by element, and only the ops that say
// so (views, copies, casts, string ops) accept it. visit_dtype never yields it.
enum class DType : uint8_t { Byte, Char, Short, Int, Long, Half, Float, Double, Bool, BFloat16, UInt16, UInt32, UInt64, String };
constexpr int kNumDTypes = 14;

// LibTorch-style names.
constexpr DType kByte = DType::Byte, kUInt8 = DType::Byte, kChar = DType::Char, kInt8 = DType::Char,
                kShort = DType::Short, kInt16 = DType::Short, kInt = DType::Int, kInt32 = DType::Int,
                kLong = DType::Long, kInt64 = DType::Long, kHalf = DType::Half, kFloat16 = DType::Half,
                kFloat = DType::Float, kFloat32 = DType::Float, kDouble = DType::Double,
                kFloat64 = DType::Double, kBool = DType::Bool, kBFloat16 = DType::BFloat16,
                kUInt16 = DType::UInt16, kUInt32 = DType::UInt32, kUInt64 = DType::UInt64,
                kString = DType::String;
using ScalarType = DType;

/// IEEE 754 binary16, stored as bits; arithmetic happens in float.
struct Half {
  uint16_t x = 0;
  Half() = default;
  Half(float f) : x(from_float(f)) {}
  operator float() const { return to_float(x); }
  static uint16_t from_float(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    uint32_t sign = (b >> 16) & 0x8000u;
    uint32_t absb = b & 0x7fffffffu;
    if (absb >= 0x7f800000u) return uint16_t(sign | 0x7c00u | (absb > 0x7f800000u ? 0x200u : 0u));
    if (absb >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // overflow -> inf
    if (absb < 0x38800000u) {  // subnormal or zero in half
      float a;
      std::memcpy(&a, &absb, 4);
      // scale so that half subnormal lsb (2^-24) becomes 1, round to nearest even
      float r = a * 16777216.0f;
      uint32_t m = static_cast<uint32_t>(std::nearbyint(r));
      return uint16_t(sign | m);
    }
    uint32_t e = ((absb >> 23) - 112) << 10;
    uint32_t m = (absb >> 13) & 0x3ffu;
    uint32_t h = e | m;
    uint32_t rem = absb & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return uint16_t(sign | h);
  }
  static float to_float(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    uint32_t b;
    if (e == 0) {
      float f = std::ldexp(float(m), -24);
      std::memcpy(&b, &f, 4);
      b |= sign;
    } else if (e == 31) {
      b = sign | 0x7f800000u | (m << 13);
    } else {
      b = sign | ((e + 112) << 23) | (m << 13);
    }
    float f;
    std::memcpy(&f, &b, 4);
    return f;
  }
};

/// bfloat16: the top 16 bits of a float, rounded to nearest even.
struct BFloat16 {
  uint16_t x = 0;
  BFloat16() = default;
  BFloat16(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    if ((b & 0x7fffffffu) > 0x7f800000u) { x = uint16_t((b >> 16) | 0x40u); return; }
    b += 0x7fffu + ((b >> 16) & 1u);
    x = uint16_t(b >> 16);
  }
  operator float() const {
    uint32_t b = uint32_t(x) << 16;
    float f;
    std::memcpy(&f, &b, 4);
    return f;
  }
};

template <class T> struct type_tag { using type = T; };

template <class T> struct dtype_of;
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::Byte; };
template <> struct dtype_of<int8_t> { static constexpr DType value = DType::Char; };
template <> struct dtype_of<int16_t> { static constexpr DType value = DType::Short; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::Int; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Long; };
template <> struct dtype_of<Half> { static constexpr DType value = DType::Half; };
template <> struct dtype_of<float> { static constexpr DType value = DType::Float; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Double; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = DType::BFloat16; };
template <> struct dtype_of<uint16_t> { static constexpr DType value = DType::UInt16; };
template <> struct dtype_of<uint32_t> { static constexpr DType value = DType::UInt32; };
template <> struct dtype_of<uint64_t> { static constexpr DType value = DType::UInt64; };
template <> struct dtype_of<std::string> { static constexpr DType value = DType::String; };
template <class T> constexpr DType dtype_of_v = dtype_of<T>::value;

/// Type used for arithmetic on T: float for half types, uint32 for uint16 (uint16 * uint16
/// would promote to int and overflow it), T otherwise. Results are converted back to T, so
/// unsigned arithmetic wraps around modulo 2^bits.
template <class T> struct acc_type { using type = T; };
template <> struct acc_type<Half> { using type = float; };
template <> struct acc_type<BFloat16> { using type = float; };
template <> struct acc_type<uint16_t> { using type = uint32_t; };
template <class T> using compute_t = typename acc_type<T>::type;

template <class T> constexpr bool is_reduced_float_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
template <class T> constexpr bool is_float_type_v = std::is_floating_point_v<T> || is_reduced_float_v<T>;

inline std::size_t element_size(DType t) {
  switch (t) {
    case DType::Byte: case DType::Char: case DType::Bool: return 1;
    case DType::Short: case DType::Half: case DType::BFloat16: case DType::UInt16: return 2;
    case DType::Int: case DType::Float: case DType::UInt32: return 4;
    case DType::Long: case DType::Double: case DType::UInt64: return 8;
    case DType::String: return sizeof(std::string);
  }
  return 0;
}
inline bool is_floating_point(DType t) {
  return t == DType::Half || t == DType::Float || t == DType::Double || t == DType::BFloat16;
}
inline bool is_integral(DType t, bool include_bool = false) {
  return (t == DType::Bool && include_bool) || t == DType::Byte || t == DType::Char ||
         t == DType::Short || t == DType::Int || t == DType::Long || t == DType::UInt16 ||
         t == DType::UInt32 || t == DType::UInt64;
}
/// uint8, uint16, uint32, uint64 (bool is not counted).
inline bool is_unsigned(DType t) {
  return t == DType::Byte || t == DType::UInt16 || t == DType::UInt32 || t == DType::UInt64;
}
/// uint16, uint32, uint64: the unsigned types PyTorch 1.x does not have. Ops that do not
/// support them reject them with DTypeError (see visit_dtype_no_wide_uint).
inline bool is_wide_unsigned(DType t) { return t == DType::UInt16 || t == DType::UInt32 || t == DType::UInt64; }
inline bool is_string(DType t) { return t == DType::String; }
/// PyTorch-style name: "float32", "int64", "bool", ...
std::string_view dtype_name(DType t);
/// LibTorch's name: "Float", "Long", ...
std::string_view dtype_torch_name(DType t);
inline std::ostream& operator<<(std::ostream& os, DType t) { return os << dtype_name(t); }

/// The dtype two tensors promote to (PyTorch's promote_types; for uint16/32/64, numpy's
/// result_type: an unsigned and a signed type give the smallest signed type holding both,
/// float64 for uint64 with any signed type).
DType promote_types(DType a, DType b);

/// The process-wide default floating dtype (float32 unless changed).
DType default_dtype();
void set_default_dtype(DType t);

[[noreturn]] void throw_string_dtype(const char* op);

/// Calls f(type_tag<T>{}) with T the C++ type of `t` (a numeric or bool type: string tensors
/// throw DTypeError, so no kernel reads strings as numbers).
template <class F>
decltype(auto) visit_dtype(DType t, F&& f) {
  switch (t) {
    case DType::Byte: return f(type_tag<uint8_t>{});
    case DType::Char: return f(type_tag<int8_t>{});
    case DType::Short: return f(type_tag<int16_t>{});
    case DType::Int: return f(type_tag<int32_t>{});
    case DType::Long: return f(type_tag<int64_t>{});
    case DType::Half: return f(type_tag<Half>{});
    case DType::Float: return f(type_tag<float>{});
    case DType::Double: return f(type_tag<double>{});
    case DType::Bool: return f(type_tag<bool>{});
    case DType::BFloat16: return f(type_tag<BFloat16>{});
    case DType::UInt16: return f(type_tag<uint16_t>{});
    case DType::UInt32: return f(type_tag<uint32_t>{});
    case DType::UInt64: return f(type_tag<uint64_t>{});
    case DType::String: throw_string_dtype(nullptr);
  }
  return f(type_tag<float>{});
}

void throw_dtype_not_supported(const char* op, DType t, const char* what);

/// Like visit_dtype, without uint16/32/64 (they throw DTypeError naming `op`): for ops whose
/// kernels are not instantiated for them (float math, convolution, pooling, losses).
template <class F>
decltype(auto) visit_dtype_no_wide_uint(DType t, const char* op, F&& f) {
  switch (t) {
    case DType::Byte: return f(type_tag<uint8_t>{});
    case DType::Char: return f(type_tag<int8_t>{});
    case DType::Short: return f(type_tag<int16_t>{});
    case DType::Int: return f(type_tag<int32_t>{});
    case DType::Long: return f(type_tag<int64_t>{});
    case DType::Half: return f(type_tag<Half>{});
    case DType::Float: return f(type_tag<float>{});
    case DType::Double: return f(type_tag<double>{});
    case DType::Bool: return f(type_tag<bool>{});
    case DType::BFloat16: return f(type_tag<BFloat16>{});
    default: break;
  }
  throw_dtype_not_supported(op, t, "non-uint16/32/64");
  return f(type_tag<float>{});
}

/// Like visit_dtype, for floating dtypes only (others throw DTypeError naming `op`).
template <class F>
decltype(auto) visit_float_dtype(DType t, const char* op, F&& f) {
  switch (t) {
    case DType::Half: return f(type_tag<Half>{});
    case DType::Float: return f(type_tag<float>{});
    case DType::Double: return f(type_tag<double>{});
    case DType::BFloat16: return f(type_tag<BFloat16>{});
    default: break;
  }
  throw_dtype_not_supported(op, t, "floating point");
  return f(type_tag<float>{});
}

/// Converts between element types the way PyTorch casts (float->int truncates, ->bool is != 0).
template <class To, class From>
inline To cast(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, bool>) {
    return static_cast<compute_t<From>>(v) != compute_t<From>(0);
  } else if constexpr (is_reduced_float_v<To>) {
    return To(static_cast<float>(static_cast<compute_t<From>>(v)));
  } else if constexpr (is_reduced_float_v<From>) {
    return cast<To>(static_cast<float>(v));
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    // Out-of-range float->int is undefined in C++; go through int64 like PyTorch's kernels do
    // (so negative values wrap into unsigned types), except that uint64 keeps [2^63, 2^64).
    if (!(v == v)) return To(0);
    if constexpr (std::is_same_v<To, uint64_t>)
      if (v >= 9.2233720368547758e18 && v < 1.8446744073709552e19) return static_cast<uint64_t>(v);
    if (v >= 9.2233720368547758e18 || v <= -9.2233720368547758e18) return To(std::numeric_limits<int64_t>::min());
    return static_cast<To>(static_cast<int64_t>(v));
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace sinter
