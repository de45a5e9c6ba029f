// Helpers shared by the test binaries.
#pragma once
#include <gtest/gtest.h>

#include <exception>
#include <string>

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

inline bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

}  // namespace sinter::testing
