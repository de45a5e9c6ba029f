#include "sinter/dtype.h"

#include <atomic>
#include <sstream>

#include "sinter/device.h"
#include "sinter/error.h"
#include "sinter/scalar.h"

namespace sinter {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::Byte: return "uint8";
    case DType::Char: return "int8";
    case DType::Short: return "int16";
    case DType::Int: return "int32";
    case DType::Long: return "int64";
    case DType::Half: return "float16";
    case DType::Float: return "float32";
    case DType::Double: return "float64";
    case DType::Bool: return "bool";
    case DType::BFloat16: return "bfloat16";
    case DType::UInt16: return "uint16";
    case DType::UInt32: return "uint32";
    case DType::UInt64: return "uint64";
    case DType::String: return "string";
  }
  return "?";
}

std::string_view dtype_torch_name(DType t) {
  switch (t) {
    case DType::Byte: return "Byte";
    case DType::Char: return "Char";
    case DType::Short: return "Short";
    case DType::Int: return "Int";
    case DType::Long: return "Long";
    case DType::Half: return "Half";
    case DType::Float: return "Float";
    case DType::Double: return "Double";
    case DType::Bool: return "Bool";
    case DType::BFloat16: return "BFloat16";
    case DType::UInt16: return "UInt16";
    case DType::UInt32: return "UInt32";
    case DType::UInt64: return "UInt64";
    case DType::String: return "String";
  }
  return "?";
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  SINTER_CHECK(a != DType::String && b != DType::String, DTypeError, "promote_types: ", dtype_name(a), " and ",
               dtype_name(b), " have no common dtype");
  if (a == DType::Bool) return b;
  if (b == DType::Bool) return a;
  bool fa = is_floating_point(a), fb = is_floating_point(b);
  if (fa && !fb) return a;
  if (fb && !fa) return b;
  if (fa && fb) {
    if ((a == DType::Half && b == DType::BFloat16) || (a == DType::BFloat16 && b == DType::Half)) return DType::Float;
    return element_size(a) >= element_size(b) ? a : b;
  }
  // both integral: the wider of two of the same signedness; an unsigned u with a signed s gives
  // s when s is wider, else the signed type twice u's width (float64 past int64, as numpy does)
  DType wider = element_size(a) >= element_size(b) ? a : b;
  bool ua = is_unsigned(a), ub = is_unsigned(b);
  if (ua == ub) return wider;
  DType u = ua ? a : b, s = ua ? b : a;
  if (element_size(s) > element_size(u)) return s;
  switch (element_size(u)) {
    case 1: return DType::Short;
    case 2: return DType::Int;
    case 4: return DType::Long;
    default: return DType::Double;
  }
}

static std::atomic<DType> g_default_dtype{DType::Float};
DType default_dtype() { return g_default_dtype.load(std::memory_order_relaxed); }
void set_default_dtype(DType t) {
  SINTER_CHECK(t == DType::Float || t == DType::Double, DTypeError,
               "set_default_dtype: only float32 and float64 can be the default, got ", dtype_name(t));
  g_default_dtype.store(t);
}

void throw_dtype_not_supported(const char* op, DType t, const char* what) {
  throw DTypeError(detail::str_cat(op, ": expected a ", what, " dtype, got ", dtype_name(t)));
}

void throw_string_dtype(const char* op) {
  throw DTypeError(detail::str_cat(op ? op : "this operation", ": not supported for dtype string"));
}

DType Scalar::dtype() const {
  switch (kind_) {
    case Kind::Int: return DType::Long;
    case Kind::Float: return default_dtype();
    case Kind::Bool: return DType::Bool;
  }
  return DType::Long;
}

std::ostream& operator<<(std::ostream& os, const Scalar& s) {
  switch (s.kind()) {
    case Scalar::Kind::Int: return os << s.to_long();
    case Scalar::Kind::Float: return os << s.to_double();
    case Scalar::Kind::Bool: return os << (s.to_bool() ? "True" : "False");
  }
  return os;
}

Device::Device(const std::string& s) {
  if (s == "cpu") { type = DeviceType::CPU; return; }
  if (s.rfind("cuda", 0) == 0) {
    type = DeviceType::CUDA;
    if (s.size() > 5 && s[4] == ':') {
      try { index = static_cast<int16_t>(std::stoi(s.substr(5))); } catch (...) {
        throw ValueError("Device: invalid device string '" + s + "'");
      }
    } else if (s.size() != 4) {
      throw ValueError("Device: invalid device string '" + s + "'");
    }
    return;
  }
  throw ValueError("Device: invalid device string '" + s + "' (expected cpu, cuda or cuda:N)");
}

std::string Device::str() const {
  std::string r = type == DeviceType::CPU ? "cpu" : "cuda";
  if (index >= 0) r += ":" + std::to_string(index);
  return r;
}

}  // namespace sinter
