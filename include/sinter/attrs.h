// Op attributes: the positional attribute values of one op call, as the registry's schemas
// declare them (see `sinter ops` for each op's attribute names and defaults). Graph builders
// (sinter::graph::Graph::add_node) take them too.
#pragma once
#include <cstddef>
#include <initializer_list>
#include <new>
#include <string>
#include <variant>

#include "sinter/dtype.h"
#include "sinter/error.h"
#include "sinter/scalar.h"
#include "sinter/small_vector.h"

namespace sinter::ops {

/// An attribute value. monostate means "None".
using AttrValue = std::variant<std::monostate, int64_t, double, bool, Scalar, DimVector, std::string, DType>;

/// Attribute values of one call, positional as declared in the op's schema.
class Attrs {
 public:
  static constexpr size_t kMax = 8;
  // Only the first n_ values are constructed: a call's attributes cost what it uses (an
  // add's single alpha, not eight variants built and destroyed).
  Attrs() = default;
  Attrs(std::initializer_list<AttrValue> il) {
    for (auto& v : il) push(v);
  }
  Attrs(const Attrs& o) {
    for (size_t k = 0; k < o.n_; ++k) push(o.data()[k]);
  }
  Attrs& operator=(const Attrs& o) {
    if (this != &o) {
      clear();
      for (size_t k = 0; k < o.n_; ++k) push(o.data()[k]);
    }
    return *this;
  }
  ~Attrs() { clear(); }
  size_t size() const { return n_; }
  void push(AttrValue v) {
    SINTER_ASSERT(n_ < kMax, "Attrs: more than ", kMax, " attributes");
    new (data() + n_) AttrValue(std::move(v));
    ++n_;
  }
  const AttrValue& operator[](size_t i) const { return i < n_ ? data()[i] : none(); }
  /// Grows the list with empty values up to index i.
  AttrValue& operator[](size_t i) {
    while (n_ <= i) push(std::monostate{});
    return data()[i];
  }
  bool is_none(size_t i) const { return i >= n_ || std::holds_alternative<std::monostate>(data()[i]); }
  int64_t i(size_t k) const;
  double f(size_t k) const;
  bool b(size_t k) const;
  Scalar s(size_t k) const;
  IntArrayRef ints(size_t k) const;
  const std::string& str(size_t k) const;
  DType dtype(size_t k) const;

 private:
  static const AttrValue& none() {
    static const AttrValue v;
    return v;
  }
  void clear() {
    for (size_t k = 0; k < n_; ++k) data()[k].~AttrValue();
    n_ = 0;
  }
  AttrValue* data() { return std::launder(reinterpret_cast<AttrValue*>(buf_)); }
  const AttrValue* data() const { return std::launder(reinterpret_cast<const AttrValue*>(buf_)); }
  alignas(AttrValue) unsigned char buf_[kMax * sizeof(AttrValue)];
  size_t n_ = 0;
};

}  // namespace sinter::ops
