#include "kernels/cpu/string_cast.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "kernels/cpu/loops.h"

namespace sinter::kernels {

namespace {

// Shortest scientific digits of v that read back as the same T ("1.2345679e+08").
template <class T>
std::string shortest_scientific(T v) {
  char buf[64];
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    return std::string(buf, r.ptr);
  } else {  // half types: the fewest digits whose float rounds back to the same bits
    const float f = static_cast<float>(v);
    for (int p = 0; p < 9; ++p) {
      auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific, p);
      float back = 0;
      std::from_chars(buf, r.ptr, back, std::chars_format::scientific);
      if (T(back).x == v.x) return std::string(buf, r.ptr);
    }
    auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    return std::string(buf, r.ptr);
  }
}

// numpy's positional form of scientific digits: "1.2345679e+08" -> "123456790.0".
std::string positional(const std::string& sci) {
  size_t e = sci.find('e');
  bool neg = sci[0] == '-';
  std::string digits;
  for (size_t i = neg ? 1 : 0; i < e; ++i)
    if (sci[i] != '.') digits += sci[i];
  int exp = std::stoi(sci.substr(e + 1));
  std::string r = neg ? "-" : "";
  if (exp >= 0) {
    size_t int_len = static_cast<size_t>(exp) + 1;
    if (digits.size() <= int_len) r += digits + std::string(int_len - digits.size(), '0') + ".0";
    else r += digits.substr(0, int_len) + "." + digits.substr(int_len);
  } else {
    r += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  }
  return r;
}

[[noreturn]] void bad_string(std::string_view s, DType to) {
  throw ValueError(detail::str_cat("cast: could not convert string '", s, "' to ", dtype_name(to)));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != lower[i]) return false;
  return true;
}

// out[i] = f(in[i]) on one thread: parsing may throw, and strings own heap memory.
template <class O, class I, class F>
void serial_loop(const Tensor& out, const Tensor& in, F&& f) {
  Tensor inb = in.sizes() == out.sizes() ? in : broadcast_view(in, out.sizes());
  StridedLoop<2> loop(out.sizes(), {&out, &inb});
  loop.run([&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
    for (int64_t j = 0; j < n; ++j)
      *reinterpret_cast<O*>(p[0] + j * s[0]) = f(*reinterpret_cast<const I*>(p[1] + j * s[1]));
  }, std::numeric_limits<int64_t>::max());
}

// numpy's str() of one element: shortest round-trip digits of T ("0.1", "1e-05", "nan",
// "123456790.0" for float32), decimal integers, "True"/"False".
template <class T>
std::string format_element(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "True" : "False";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(static_cast<std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>>(v));
  } else {
    const double d = static_cast<double>(static_cast<compute_t<T>>(v));
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
    std::string sci = shortest_scientific(v);
    // numpy: positional for 1e-4 <= |v| < 1e16 (and zero), scientific otherwise.
    const double a = std::fabs(d);
    if (a == 0 || (a >= 1e-4 && a < 1e16)) return positional(sci);
    return sci;
  }
}

// One string as a T, as Python's float()/int() read it (surrounding whitespace, a sign, "nan",
// "inf"/"infinity" in any case); ValueError ("cast: could not convert string 'x' to int64").
template <class T>
T parse_element(std::string_view s) {
  const DType to = dtype_of_v<T>;
  std::string_view t = trim(s);
  if constexpr (std::is_same_v<T, bool>) {
    if (iequals(t, "true") || t == "1") return true;
    if (iequals(t, "false") || t == "0") return false;
    bad_string(s, to);
  } else if constexpr (std::is_integral_v<T>) {
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    T v{};
    auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) bad_string(s, to);
    return v;
  } else {
    using P = std::conditional_t<std::is_same_v<T, double>, double, float>;
    bool neg = false;
    if (!t.empty() && (t.front() == '+' || t.front() == '-')) {
      neg = t.front() == '-';
      t.remove_prefix(1);
    }
    P v{};
    if (iequals(t, "nan")) {
      v = std::numeric_limits<P>::quiet_NaN();
    } else if (iequals(t, "inf") || iequals(t, "infinity")) {
      v = std::numeric_limits<P>::infinity();
    } else {
      auto r = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
      if (t.empty() || r.ptr != t.data() + t.size() || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range))
        bad_string(s, to);
      if (r.ec == std::errc::result_out_of_range) {  // overflow reads as inf, underflow as 0 (Python's float())
        size_t e = t.find_first_of("eE");
        v = e != std::string_view::npos && e + 1 < t.size() && t[e + 1] == '-' ? P(0) : std::numeric_limits<P>::infinity();
      }
    }
    return T(neg ? -v : v);
  }
}

}  // namespace

void copy_strings(const Tensor& dst, const Tensor& src) {
  if (dst.numel() == 0) return;
  if (dst.dtype() == DType::String && src.dtype() == DType::String) {
    serial_loop<std::string, std::string>(dst, src, [](const std::string& v) -> const std::string& { return v; });
  } else if (dst.dtype() == DType::String) {
    visit_dtype(src.dtype(), [&](auto st) {
      using S = typename decltype(st)::type;
      serial_loop<std::string, S>(dst, src, [](S v) { return format_element<S>(v); });
    });
  } else {
    visit_dtype(dst.dtype(), [&](auto dt) {
      using D = typename decltype(dt)::type;
      serial_loop<D, std::string>(dst, src, [](const std::string& v) { return parse_element<D>(v); });
    });
  }
}

}  // namespace sinter::kernels
