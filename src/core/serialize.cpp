#include "sinter/serialize.h"

#include <charconv>
#include <cstdio>

namespace sinter::serialize {

namespace {

std::string fmt_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

template <class T>
T parse_num(const std::string& key, std::string_view s) {
  T v{};
  const char* b = s.data();
  const char* e = b + s.size();
  while (b < e && *b == ' ') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  SINTER_CHECK(ec == std::errc() && p == e, ValueError, "Archive: metadata '", key, "' = '", std::string(s),
               "' is not a valid ", std::is_integral_v<T> ? "integer" : "number");
  return v;
}

template <class T, class F>
std::string join(const std::vector<T>& v, F f) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + f(v[i]);
  return s;
}

template <class T>
std::vector<T> split(const std::string& key, const std::string& s) {
  std::vector<T> out;
  if (s.empty()) return out;
  size_t b = 0;
  while (true) {
    size_t e = s.find(',', b);
    out.push_back(parse_num<T>(key, std::string_view(s).substr(b, e == std::string::npos ? std::string::npos : e - b)));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return out;
}

}  // namespace

void Archive::put_int(const std::string& key, int64_t v) { meta[key] = std::to_string(v); }
void Archive::put_double(const std::string& key, double v) { meta[key] = fmt_double(v); }
void Archive::put_doubles(const std::string& key, const std::vector<double>& v) { meta[key] = join(v, fmt_double); }
void Archive::put_ints(const std::string& key, const std::vector<int64_t>& v) {
  meta[key] = join(v, [](int64_t x) { return std::to_string(x); });
}

const std::string& Archive::get(const std::string& key) const {
  auto it = meta.find(key);
  SINTER_CHECK(it != meta.end(), ValueError, "Archive: metadata key '", key, "' is missing");
  return it->second;
}
int64_t Archive::get_int(const std::string& key) const { return parse_num<int64_t>(key, get(key)); }
double Archive::get_double(const std::string& key) const {
  const std::string& s = get(key);
  if (s == "inf") return HUGE_VAL;
  if (s == "-inf") return -HUGE_VAL;
  if (s == "nan") return NAN;
  return parse_num<double>(key, s);
}
std::vector<double> Archive::get_doubles(const std::string& key) const { return split<double>(key, get(key)); }
std::vector<int64_t> Archive::get_ints(const std::string& key) const { return split<int64_t>(key, get(key)); }

const Tensor& Archive::tensor(const std::string& key) const {
  const Tensor* t = tensors.find(key);
  SINTER_CHECK(t, ValueError, "Archive: tensor '", key, "' is missing");
  return *t;
}

void Archive::add_prefixed(const std::string& prefix, const Archive& other) {
  for (const auto& it : other.tensors) tensors.insert_or_assign(prefix + "." + it.key(), it.value());
  for (const auto& [k, v] : other.meta) meta[prefix + "." + k] = v;
}

Archive Archive::sub(const std::string& prefix) const {
  Archive a;
  const std::string p = prefix + ".";
  for (const auto& it : tensors)
    if (it.key().compare(0, p.size(), p) == 0) a.tensors.insert(it.key().substr(p.size()), it.value());
  for (const auto& [k, v] : meta)
    if (k.compare(0, p.size(), p) == 0) a.meta[k.substr(p.size())] = v;
  return a;
}

}  // namespace sinter::serialize
