// Reading and writing option fields as state-dict metadata (internal to src/optim).
#pragma once
#include <string>

#include "sinter/serialize.h"

namespace sinter::optim::detail {

inline void put_bool(serialize::Archive& a, const std::string& key, bool v) { a.put_int(key, v ? 1 : 0); }
inline bool get_bool(const serialize::Archive& a, const std::string& key) {
  int64_t v = a.get_int(key);
  SINTER_CHECK(v == 0 || v == 1, ValueError, "metadata '", key, "' = ", v, " is not a boolean (0 or 1)");
  return v == 1;
}

}  // namespace sinter::optim::detail
