// Typed errors. Every user mistake throws one of these; messages name the op and
// show the shapes/dtypes involved.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace sinter {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ShapeError : public Error { public: using Error::Error; };
class DTypeError : public Error { public: using Error::Error; };
class IndexError : public Error { public: using Error::Error; };
class ValueError : public Error { public: using Error::Error; };
class IOError : public Error { public: using Error::Error; };
class NotImplementedError : public Error { public: using Error::Error; };
/// Thrown by the autograd engine (e.g. a saved tensor modified in place).
class AutogradError : public Error { public: using Error::Error; };
/// An internal invariant failed: this is a bug in sinter, never a user error.
class InternalError : public Error { public: using Error::Error; };

namespace detail {
template <class... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace sinter

/// SINTER_CHECK(cond, ErrorType, parts...) throws ErrorType(concat(parts)) when !cond.
#define SINTER_CHECK(cond, Err, ...)                                  \
  do {                                                                \
    if (!(cond)) [[unlikely]]                                         \
      throw ::sinter::Err(::sinter::detail::str_cat(__VA_ARGS__));    \
  } while (0)

/// Internal invariant: failure is a bug in sinter.
#define SINTER_ASSERT(cond, ...)                                                        \
  do {                                                                                  \
    if (!(cond)) [[unlikely]]                                                           \
      throw ::sinter::InternalError(::sinter::detail::str_cat(                          \
          "internal assert failed at ", __FILE__, ":", __LINE__, ": " #cond " ",        \
          ##__VA_ARGS__, " (this is a bug in sinter)"));                                \
  } while (0)
