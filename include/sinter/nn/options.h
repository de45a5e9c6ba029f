// Building blocks of the module option structs (LibTorch's TORCH_ARG and ExpandingArray).
#pragma once
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "sinter/arg.h"
#include "sinter/error.h"
#include "sinter/small_vector.h"
#include "sinter/tensor.h"

namespace sinter::nn {

/// An enum tag such as torch::kSame: a type with `static constexpr const char* value`.
template <class T>
concept EnumTag = requires {
  { T::value } -> std::convertible_to<const char*>;
};

/// D sizes given as one number (repeated) or as D numbers (LibTorch's ExpandingArray).
template <size_t D, class T = int64_t>
class ExpandingArray {
 public:
  ExpandingArray(T v) : values_(D, v), scalar_(true) {}
  ExpandingArray(std::initializer_list<T> l) : values_(l) { check(); }
  ExpandingArray(const std::vector<T>& v) : values_(v) { check(); }
  T operator[](size_t i) const { return values_[i]; }
  size_t size() const { return D; }
  const std::vector<T>& vec() const { return values_; }
  T* data() { return values_.data(); }
  const T* data() const { return values_.data(); }
  operator IntArrayRef() const
    requires std::is_same_v<T, int64_t>
  {
    return IntArrayRef(values_);
  }
  bool operator==(const ExpandingArray& o) const { return values_ == o.values_; }
  /// True when built from one number (Python prints such an option as that number).
  bool from_scalar() const noexcept { return scalar_; }

 private:
  void check() const {
    SINTER_CHECK(values_.size() == D, ShapeError, "ExpandingArray: expected ", D, " values, got ", values_.size());
  }
  std::vector<T> values_;
  bool scalar_ = false;
};

/// A convolution's padding: D sizes, or the mode "same" / "valid" (a string or torch::kSame /
/// torch::kValid).
template <size_t D>
class ConvPadding {
 public:
  template <std::integral I>
  ConvPadding(I v) : sizes_(static_cast<int64_t>(v)) {}
  ConvPadding(std::initializer_list<int64_t> l) : sizes_(l) {}
  ConvPadding(const std::vector<int64_t>& v) : sizes_(v) {}
  ConvPadding(const ExpandingArray<D>& a) : sizes_(a) {}
  ConvPadding(const char* mode) : sizes_(0), mode_(mode) { check_mode(); }
  ConvPadding(std::string mode) : sizes_(0), mode_(std::move(mode)) { check_mode(); }
  template <EnumTag Tag>
  ConvPadding(Tag) : sizes_(0), mode_(Tag::value) {
    check_mode();
  }
  /// "" when sizes are given, else "same" or "valid".
  const std::string& mode() const { return mode_; }
  bool is_mode() const { return !mode_.empty(); }
  const ExpandingArray<D>& sizes() const { return sizes_; }

 private:
  void check_mode() const {
    SINTER_CHECK(mode_ == "same" || mode_ == "valid", ValueError, "padding: expected 'same' or 'valid', got '",
                 mode_, "'");
  }
  ExpandingArray<D> sizes_;
  std::string mode_;
};

/// A mode chosen by name: a string, or an enum tag (torch::kZeros, torch::kMean, ...).
class ModeName {
 public:
  ModeName(const char* s) : s_(s) {}
  ModeName(std::string s) : s_(std::move(s)) {}
  template <EnumTag Tag>
  ModeName(Tag) : s_(Tag::value) {}
  const std::string& str() const { return s_; }
  bool operator==(std::string_view o) const { return s_ == o; }

 private:
  std::string s_;
};

namespace detail {
/// "(32, 785)".
std::string shape_str(IntArrayRef s);
/// "(1, 2)" for an ExpandingArray / list, "2" when every entry is equal and `collapse`.
std::string tuple_str(const std::vector<int64_t>& v);
/// As Python prints the option: "2" when given as one number, else "(2, 3)".
template <size_t D>
std::string py_repr(const ExpandingArray<D>& a) {
  return a.from_scalar() ? std::to_string(a[0]) : tuple_str(a.vec());
}
inline const char* py_bool(bool b) { return b ? "True" : "False"; }
/// A double as Python's repr prints it (1e-05, 0.1, 1.0).
std::string py_float(double v);
}  // namespace detail

}  // namespace sinter::nn
