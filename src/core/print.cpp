// Printing like PyTorch: tensor([[1., 2.], [3., 4.]], dtype=torch.float64, requires_grad=True)
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "sinter/autograd.h"

namespace sinter {

namespace {

constexpr int64_t kThreshold = 1000;  // summarise above this many elements
constexpr int64_t kEdge = 3;

// long double (64-bit mantissa on x86) holds every int64 and uint64 exactly.
long double value_at(const Tensor& t, int64_t off) {
  return visit_dtype(t.dtype(), [&](auto tag) -> long double {
    using T = typename decltype(tag)::type;
    return static_cast<long double>(static_cast<compute_t<T>>(static_cast<const T*>(t.data_ptr())[off]));
  });
}

// Python's repr of a str: single quotes (double when only single quotes occur), escapes.
std::string quoted(const std::string& v) {
  const char q = v.find('\'') != std::string::npos && v.find('"') == std::string::npos ? '"' : '\'';
  std::ostringstream os;
  os << q;
  for (unsigned char ch : v) {
    if (ch == '\\' || ch == static_cast<unsigned char>(q)) os << '\\' << static_cast<char>(ch);
    else if (ch == '\n') os << "\\n";
    else if (ch == '\t') os << "\\t";
    else if (ch == '\r') os << "\\r";
    else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", ch);
      os << buf;
    } else {
      os << static_cast<char>(ch);  // printable ASCII and UTF-8 bytes as they are
    }
  }
  os << q;
  return os.str();
}

struct Formatter {
  bool is_string = false;
  bool is_float = false, is_bool = false, sci = false, int_mode = false;
  int width = 1;
  int precision = 4;

  std::string fmt(long double lv) const {
    char buf[64];
    if (is_bool) return lv != 0 ? "True" : "False";
    const double v = static_cast<double>(lv);
    if (!is_float) {
      if (lv < 0) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(lv));
      else std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(lv));
    } else if (std::isnan(v)) {
      return "nan";
    } else if (std::isinf(v)) {
      return v > 0 ? "inf" : "-inf";
    } else if (sci) {
      std::snprintf(buf, sizeof buf, "%.*e", precision, v);
    } else if (int_mode) {
      std::snprintf(buf, sizeof buf, "%.0f.", v);
    } else {
      std::snprintf(buf, sizeof buf, "%.*f", precision, v);
    }
    return buf;
  }
};

void collect(const Tensor& t, int64_t dim, int64_t off, bool summarize, std::vector<long double>& vals) {
  if (dim == t.dim()) {
    vals.push_back(value_at(t, off));
    return;
  }
  int64_t n = t.size(dim);
  for (int64_t i = 0; i < n; ++i) {
    if (summarize && n > 2 * kEdge && i == kEdge) i = n - kEdge;
    collect(t, dim + 1, off + i * t.stride(dim), summarize, vals);
  }
}

void emit(std::ostream& os, const Tensor& t, int64_t dim, int64_t off, bool summarize, const Formatter& f, int indent) {
  if (dim == t.dim()) {
    std::string s = f.is_string ? quoted(static_cast<const std::string*>(t.data_ptr())[off]) : f.fmt(value_at(t, off));
    os << std::string(static_cast<size_t>(std::max<int>(0, f.width - static_cast<int>(s.size()))), ' ') << s;
    return;
  }
  os << "[";
  int64_t n = t.size(dim);
  for (int64_t i = 0; i < n; ++i) {
    if (summarize && n > 2 * kEdge && i == kEdge) {
      os << (dim + 1 == t.dim() ? " ..." : "...");
      if (dim + 1 == t.dim()) os << ", ";
      else os << ",\n" << std::string(static_cast<size_t>(indent + 1), ' ');
      i = n - kEdge;
    }
    emit(os, t, dim + 1, off + i * t.stride(dim), summarize, f, indent + 1);
    if (i + 1 < n) {
      if (dim + 1 == t.dim()) os << ", ";
      else os << "," << std::string(static_cast<size_t>(t.dim() - dim - 1), '\n') << std::string(static_cast<size_t>(indent + 1), ' ');
    }
  }
  os << "]";
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "[ Tensor (undefined) ]";
  std::ostringstream body;
  bool summarize = t.numel() > kThreshold;
  Formatter f;
  f.is_float = t.is_floating_point();
  f.is_bool = t.dtype() == kBool;
  f.is_string = t.dtype() == kString;
  std::vector<long double> vals;
  if (t.numel() > 0 && !f.is_string) collect(t, 0, 0, summarize, vals);
  if (f.is_float) {
    double mx = 0, mn = INFINITY;
    bool all_int = true;
    for (long double lv : vals) {
      const double v = static_cast<double>(lv);
      if (!std::isfinite(v)) continue;
      all_int &= v == std::nearbyint(v);
      mx = std::max(mx, std::fabs(v));
      if (v != 0) mn = std::min(mn, std::fabs(v));
    }
    f.int_mode = all_int;
    if (!all_int && (mx >= 1e8 || (mn < 1e-4 && mn != INFINITY) || (mn != INFINITY && mx / mn > 1000 && mx > 1e3)))
      f.sci = true;
    if (all_int && mx >= 1e8) {
      f.sci = true;
      f.int_mode = false;
    }
  }
  for (long double v : vals) f.width = std::max(f.width, static_cast<int>(f.fmt(v).size()));
  body << "tensor(";
  if (t.numel() == 0 && t.dim() > 0) {
    body << "[]";
  } else {
    emit(body, t, 0, 0, summarize, f, 7);
  }
  std::string tail;
  bool default_type = t.dtype() == default_dtype() || t.dtype() == kLong || t.dtype() == kBool;
  if (t.numel() == 0 && t.dim() != 1) tail += ", size=" + shape_str(t.sizes());
  if (f.is_string) tail += ", dtype=string";
  else if (!default_type) tail += std::string(", dtype=torch.") + std::string(dtype_name(t.dtype()));
  if (t.requires_grad()) {
    if (t.grad_fn()) tail += ", grad_fn=<" + t.grad_fn()->name() + ">";
    else tail += ", requires_grad=True";
  }
  os << body.str() << tail << ")";
  return os;
}

std::string Tensor::toString() const {
  std::ostringstream os;
  os << *this;
  return os.str();
}

void Tensor::print() const { std::cout << *this << std::endl; }

}  // namespace sinter
