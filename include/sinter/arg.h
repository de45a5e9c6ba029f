// SINTER_ARG(T, name): an option field in LibTorch's TORCH_ARG style. `opts.name(value)` sets
// it and returns *this (so setters chain); `opts.name()` reads it. Every options struct in
// sinter (nn, optim, data, the torch:: functional options) declares its fields with it.
#pragma once
#include <utility>

#define SINTER_ARG(T, name)                                 \
 public:                                                    \
  auto name(const T& v)->decltype(*this) {                  \
    this->name##_ = v;                                      \
    return *this;                                           \
  }                                                         \
  auto name(T&& v)->decltype(*this) {                       \
    this->name##_ = std::move(v);                           \
    return *this;                                           \
  }                                                         \
  const T& name() const noexcept { return this->name##_; } \
  T& name() noexcept { return this->name##_; }             \
                                                            \
 private:                                                   \
  T name##_
