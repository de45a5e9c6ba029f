// Indexing: x.index({Slice(1, 3), 0, None, Ellipsis}), gather/scatter, masks.
#pragma once
#include <optional>
#include <type_traits>
#include <variant>
#include <vector>

#include "sinter/tensor.h"

namespace sinter {

namespace indexing {

struct EllipsisIndexType {};
constexpr EllipsisIndexType Ellipsis;
struct NoneIndexType {};
constexpr NoneIndexType None;

/// One bound of a Slice: an integer, or None / std::nullopt for "from the start" / "to the end".
struct SliceBound {
  std::optional<int64_t> value;
  SliceBound(std::nullopt_t) {}
  SliceBound(NoneIndexType) {}
  SliceBound(std::optional<int64_t> v) : value(v) {}
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  SliceBound(I v) : value(static_cast<int64_t>(v)) {}
};

/// Python's start:stop:step, e.g. Slice(1, None), Slice(None, -1), Slice(None, None, 2).
struct Slice {
  std::optional<int64_t> start, stop;
  int64_t step = 1;
  Slice(SliceBound start = std::nullopt, SliceBound stop = std::nullopt, int64_t step = 1)
      : start(start.value), stop(stop.value), step(step) {}
};

/// One element of an index list: an integer, a slice, None, Ellipsis, a bool, or a tensor.
class TensorIndex {
 public:
  TensorIndex(int64_t i) : v_(i) {}
  TensorIndex(int i) : v_(static_cast<int64_t>(i)) {}
  TensorIndex(bool b) : v_(b) {}
  TensorIndex(Slice s) : v_(s) {}
  TensorIndex(NoneIndexType) : v_(NoneIndexType{}) {}
  TensorIndex(EllipsisIndexType) : v_(EllipsisIndexType{}) {}
  TensorIndex(Tensor t) : v_(std::move(t)) {}
  TensorIndex(std::nullopt_t) : v_(NoneIndexType{}) {}

  bool is_integer() const { return std::holds_alternative<int64_t>(v_); }
  bool is_boolean() const { return std::holds_alternative<bool>(v_); }
  bool is_slice() const { return std::holds_alternative<Slice>(v_); }
  bool is_none() const { return std::holds_alternative<NoneIndexType>(v_); }
  bool is_ellipsis() const { return std::holds_alternative<EllipsisIndexType>(v_); }
  bool is_tensor() const { return std::holds_alternative<Tensor>(v_); }
  int64_t integer() const { return std::get<int64_t>(v_); }
  bool boolean() const { return std::get<bool>(v_); }
  const Slice& slice() const { return std::get<Slice>(v_); }
  const Tensor& tensor() const { return std::get<Tensor>(v_); }

 private:
  std::variant<int64_t, bool, Slice, NoneIndexType, EllipsisIndexType, Tensor> v_;
};

}  // namespace indexing

Tensor index(const Tensor& x, const std::vector<indexing::TensorIndex>& indices);
Tensor& index_put_(Tensor& x, const std::vector<indexing::TensorIndex>& indices, const Tensor& value);
/// Advanced indexing with a list of (optional) index tensors, as torch.index / aten::index.
Tensor index(const Tensor& x, const std::vector<std::optional<Tensor>>& indices);
Tensor index_put(const Tensor& x, const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                 bool accumulate = false);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Scalar& value);
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value);
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);
Tensor masked_select(const Tensor& x, const Tensor& mask);
Tensor nonzero(const Tensor& x);

}  // namespace sinter
