// A number passed to an op: integer, floating or bool, like a Python number.
#pragma once
#include <cstdint>
#include <ostream>
#include <type_traits>

#include "sinter/dtype.h"

namespace sinter {

class Scalar {
 public:
  enum class Kind : uint8_t { Int, Float, Bool };
  Scalar() : Scalar(int64_t(0)) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Scalar(T v) : kind_(Kind::Int), i_(static_cast<int64_t>(v)) {}
  template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Scalar(T v) : kind_(Kind::Float), d_(static_cast<double>(v)) {}
  Scalar(bool v) : kind_(Kind::Bool), i_(v) {}
  Scalar(Half v) : kind_(Kind::Float), d_(float(v)) {}
  Scalar(BFloat16 v) : kind_(Kind::Float), d_(float(v)) {}

  Kind kind() const { return kind_; }
  bool is_integral(bool include_bool = false) const { return kind_ == Kind::Int || (include_bool && kind_ == Kind::Bool); }
  bool is_floating_point() const { return kind_ == Kind::Float; }
  bool is_boolean() const { return kind_ == Kind::Bool; }

  double to_double() const { return kind_ == Kind::Float ? d_ : static_cast<double>(i_); }
  int64_t to_long() const { return kind_ == Kind::Float ? static_cast<int64_t>(d_) : i_; }
  bool to_bool() const { return kind_ == Kind::Float ? d_ != 0 : i_ != 0; }
  template <class T>
  T to() const {
    if (kind_ == Kind::Float) return cast<T>(d_);
    if (kind_ == Kind::Bool) return cast<T>(i_ != 0);
    return cast<T>(i_);
  }
  /// The dtype a bare number of this kind has in PyTorch (int64, default float, bool).
  DType dtype() const;
  Scalar operator-() const { return kind_ == Kind::Float ? Scalar(-d_) : Scalar(-i_); }

 private:
  Kind kind_;
  union {
    int64_t i_;
    double d_;
  };
};

std::ostream& operator<<(std::ostream& os, const Scalar& s);

}  // namespace sinter
