// Example: one (data, target) pair, as LibTorch's torch::data::Example.
#pragma once
#include <cstddef>
#include <span>
#include <utility>

#include "sinter/tensor.h"

namespace sinter::data {

/// A read-only view of contiguous values (what LibTorch spells ArrayRef): batch requests are
/// ArrayRef<size_t>, built implicitly from a std::vector<size_t>.
template <class T>
using ArrayRef = std::span<const T>;

/// Marks an Example without a target.
struct NoTarget {};

template <class Data = Tensor, class Target = Tensor>
struct Example {
  using DataType = Data;
  using TargetType = Target;
  Example() = default;
  Example(Data data, Target target) : data(std::move(data)), target(std::move(target)) {}
  Data data;
  Target target;
};

template <class Data>
struct Example<Data, NoTarget> {
  using DataType = Data;
  using TargetType = NoTarget;
  Example() = default;
  /* implicit */ Example(Data data) : data(std::move(data)) {}
  operator Data&() { return data; }
  operator const Data&() const { return data; }
  Data data;
};

/// An example holding one tensor and no target.
using TensorExample = Example<Tensor, NoTarget>;

}  // namespace sinter::data
