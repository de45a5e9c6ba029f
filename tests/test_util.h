// Helpers shared by the test binaries.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>

#include "sinter/tensor.h"

namespace sinter::testing {

/// Runs f, expects it to throw E, and returns the message ("" and a test failure otherwise).
template <class E, class F>
std::string expect_throws(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no exception thrown";
  return "";
}

/// max |actual - expected| / max |expected|: the error relative to the reference's scale (a
/// test failure and infinity when the sizes differ or the reference is all zeros).
inline double scaled_error(const Tensor& actual, const Tensor& expected) {
  EXPECT_EQ(actual.sizes(), expected.sizes());
  if (actual.sizes() != expected.sizes()) return HUGE_VAL;
  Tensor a = actual.to(DType::Double).contiguous(), b = expected.to(DType::Double).contiguous();
  const double* pa = static_cast<const double*>(a.data_ptr());
  const double* pb = static_cast<const double*>(b.data_ptr());
  double scale = 0, err = 0;
  for (int64_t i = 0; i < b.numel(); ++i) {
    scale = std::max(scale, std::abs(pb[i]));
    err = std::max(err, std::abs(pa[i] - pb[i]));
  }
  EXPECT_GT(scale, 0) << "the reference is all zeros";
  return scale > 0 ? err / scale : HUGE_VAL;
}

inline bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

}  // namespace sinter::testing
