// String tensors: the strings() factory and string_normalizer (ONNX StringNormalizer).
// Casts between strings and numbers live in copy_kernel (kernels/cpu/string_cast.cpp).
#include "sinter/ops/strings.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>

#include "core/tensor_util.h"
#include "ops/registry.h"

namespace sinter {

Tensor strings(const std::vector<std::string>& values) {
  return strings(values, {static_cast<int64_t>(values.size())});
}

Tensor strings(const std::vector<std::string>& values, IntArrayRef sizes) {
  int64_t n = detail::checked_numel("strings", sizes);
  SINTER_CHECK(n == static_cast<int64_t>(values.size()), ShapeError, "strings: ", values.size(),
               " values do not fill shape ", shape_str(sizes), " (", n, " elements)");
  Tensor t = detail::make_empty(sizes, kString);
  std::copy(values.begin(), values.end(), t.data_ptr<std::string>());
  return t;
}

namespace ops {
namespace {

// string_normalizer(self, stopwords; case_change_action, is_case_sensitive, locale)
enum class CaseChange { None, Lower, Upper };

CaseChange case_change(const OpCall& c) {
  const std::string& a = c.attrs.str(0);
  if (a == "NONE") return CaseChange::None;
  if (a == "LOWER") return CaseChange::Lower;
  if (a == "UPPER") return CaseChange::Upper;
  throw ValueError(detail::str_cat("string_normalizer: case_change_action must be NONE, LOWER or UPPER, got '", a, "'"));
}

std::string change_case(std::string s, CaseChange cc) {
  if (cc == CaseChange::Lower)
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (cc == CaseChange::Upper)
    for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

// The elements of x that are not stopwords, in order.
std::vector<std::string> kept(const OpCall& c) {
  const bool sensitive = c.attrs.b(1);
  const CaseChange key = sensitive ? CaseChange::None : CaseChange::Lower;
  std::unordered_set<std::string> stop;
  if (c.in[1].defined())
    for (const std::string& w : c.in[1].strings()) stop.insert(change_case(w, key));
  std::vector<std::string> r;
  for (std::string& s : c.in[0].strings())
    if (!stop.count(change_case(s, key))) r.push_back(std::move(s));
  return r;
}

void string_normalizer_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const Tensor& x = c.in[0];
  const Tensor& sw = c.in[1];
  SINTER_CHECK(x.dtype() == kString, DTypeError, "string_normalizer: expected a string input, got ", dtype_name(x.dtype()),
               " of shape ", shape_str(x.sizes()));
  SINTER_CHECK(!sw.defined() || (sw.dtype() == kString && sw.dim() == 1), DTypeError, "string_normalizer: stopwords must be a 1-D string "
               "tensor, got ", dtype_name(sw.dtype()), " of shape ", shape_str(sw.sizes()));
  SINTER_CHECK(x.dim() == 1 || (x.dim() == 2 && x.size(0) == 1), ShapeError,
               "string_normalizer: input must have shape (C,) or (1, C), got ", shape_str(x.sizes()));
  case_change(c);
  const std::string& locale = c.attrs.str(2);
  SINTER_CHECK(locale.empty() || locale == "en_US" || locale == "en_US.UTF-8" || locale == "C", NotImplementedError,
               "string_normalizer: locale '", locale, "' is not supported (\"\", \"C\" and \"en_US\" are)");
  int64_t k = static_cast<int64_t>(kept(c).size());
  k = std::max<int64_t>(k, 1);  // all dropped: one empty string
  out[0].sizes = x.dim() == 1 ? DimVector{k} : DimVector{1, k};
  out[0].dtype = kString;
  n = 1;
}

void string_normalizer_kernel(const OpCall& c) {
  const CaseChange cc = case_change(c);
  std::vector<std::string> r = kept(c);
  std::string* o = c.out[0].data_ptr<std::string>();
  for (size_t i = 0; i < r.size(); ++i) o[i] = change_case(std::move(r[i]), cc);
  if (r.empty()) o[0].clear();
}

}  // namespace

OpDef& string_normalizer_op = def("string_normalizer").input("self").input("stopwords")
                                  .attr("case_change_action", std::string("NONE")).attr("is_case_sensitive", false)
                                  .attr("locale", std::string()).set_meta(string_normalizer_meta)
                                  .set_cpu(string_normalizer_kernel).data_dependent_shape().accepts_strings()
                                  .set_onnx("StringNormalizer");

}  // namespace ops

Tensor string_normalizer(const Tensor& x, const Tensor& stopwords, const std::string& case_change_action,
                         bool is_case_sensitive, const std::string& locale) {
  return ops::call(ops::string_normalizer_op, {x, stopwords}, {case_change_action, is_case_sensitive, locale});
}

}  // namespace sinter
