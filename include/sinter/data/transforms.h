// Transforms over examples and batches, as LibTorch's torch::data::transforms.
//
//   dataset.map(transforms::Normalize<>(0.1307, 0.3081))   per example: (x - mean) / std
//          .map(transforms::Stack<>())                      batch: vector<Example<>> -> Example<>
//
// BatchTransform<In, Out> maps a whole batch; Transform<In, Out> maps each example of a batch;
// TensorTransform<Target> maps the data tensor of each Example<Tensor, Target>.
#pragma once
#include <array>
#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "sinter/data/example.h"
#include "sinter/data/random.h"
#include "sinter/tensor.h"

namespace sinter::data::transforms {

template <class InputBatch, class OutputBatch>
class BatchTransform {
 public:
  using InputBatchType = InputBatch;
  using OutputBatchType = OutputBatch;
  virtual ~BatchTransform() = default;
  virtual OutputBatch apply_batch(InputBatch input_batch) = 0;
};

template <class Input, class Output>
class Transform : public BatchTransform<std::vector<Input>, std::vector<Output>> {
 public:
  using InputType = Input;
  using OutputType = Output;
  virtual Output apply(Input input) = 0;
  std::vector<Output> apply_batch(std::vector<Input> input_batch) override {
    std::vector<Output> out;
    out.reserve(input_batch.size());
    for (auto& x : input_batch) out.push_back(apply(std::move(x)));
    return out;
  }
};

/// A per-example transform from a function.
template <class Input, class Output = Input>
class Lambda : public Transform<Input, Output> {
 public:
  using FunctionType = std::function<Output(Input)>;
  explicit Lambda(FunctionType f) : f_(std::move(f)) {}
  Output apply(Input input) override { return f_(std::move(input)); }

 private:
  FunctionType f_;
};

/// A batch transform from a function (e.g. a custom collate).
template <class Input, class Output = Input>
class BatchLambda : public BatchTransform<Input, Output> {
 public:
  using FunctionType = std::function<Output(Input)>;
  explicit BatchLambda(FunctionType f) : f_(std::move(f)) {}
  Output apply_batch(Input input) override { return f_(std::move(input)); }

 private:
  FunctionType f_;
};

/// Collation: a batch transform from a vector of examples to one batch.
template <class BatchType, class T = std::vector<BatchType>>
using Collation = BatchTransform<T, BatchType>;
/// A collation from a function.
template <class BatchType, class T = std::vector<BatchType>>
using Collate = BatchLambda<T, BatchType>;

/// Stacks the examples' tensors along a new first dimension.
template <class T = Example<>>
struct Stack;

template <>
struct Stack<Example<>> : public Collation<Example<>> {
  Example<> apply_batch(std::vector<Example<>> examples) override;
};

template <>
struct Stack<TensorExample> : public Collation<TensorExample> {
  TensorExample apply_batch(std::vector<TensorExample> examples) override;
};

/// Maps the data tensor of each example (the target passes through).
template <class Target = Tensor>
class TensorTransform : public Transform<Example<Tensor, Target>, Example<Tensor, Target>> {
 public:
  using E = Example<Tensor, Target>;
  virtual Tensor operator()(Tensor input) = 0;
  E apply(E input) override {
    input.data = (*this)(std::move(input.data));
    return input;
  }
};

template <class Target = Tensor>
class TensorLambda : public TensorTransform<Target> {
 public:
  using FunctionType = std::function<Tensor(Tensor)>;
  explicit TensorLambda(FunctionType f) : f_(std::move(f)) {}
  Tensor operator()(Tensor input) override { return f_(std::move(input)); }

 private:
  FunctionType f_;
};

namespace detail {
/// (C, 1, 1) float tensor for per-channel statistics, or a 0-d tensor for one value.
Tensor channel_stats(const std::vector<double>& v, const char* what);
Tensor normalize(const Tensor& input, const Tensor& mean, const Tensor& stddev);
Tensor random_crop(const Tensor& input, int64_t height, int64_t width, int64_t padding, uint64_t key);
Tensor random_hflip(const Tensor& input, double p, uint64_t key);
uint64_t default_transform_seed();
}  // namespace detail

/// (x - mean) / stddev, per channel for (C, H, W) / (N, C, H, W) data; one value for all.
template <class Target = Tensor>
struct Normalize : public TensorTransform<Target> {
  Normalize(double mean, double stddev) : Normalize(std::vector<double>{mean}, std::vector<double>{stddev}) {}
  Normalize(const std::vector<double>& mean, const std::vector<double>& stddev)
      : mean(detail::channel_stats(mean, "mean")), stddev(detail::channel_stats(stddev, "stddev")) {}
  Tensor operator()(Tensor input) override { return detail::normalize(input, mean, stddev); }
  Tensor mean, stddev;
};

/// Seeding shared by the random transforms: a fixed seed, or one drawn from the default
/// Generator when the transform is made (so manual_seed makes runs reproducible).
class RandomTransformBase {
 protected:
  explicit RandomTransformBase(std::optional<uint64_t> seed)
      : seed_(seed ? *seed : detail::default_transform_seed()), counter_(std::make_shared<std::atomic<uint64_t>>(0)) {}
  uint64_t next_key() { return next_random_key(seed_, *counter_); }
  uint64_t seed_;
  std::shared_ptr<std::atomic<uint64_t>> counter_;
};

/// Pads the last two dims by `padding` zeros on every side, then crops a random
/// (height, width) window: RandomCrop<>(28, 4) or RandomCrop<>({24, 32}, 2, /*seed=*/7). Works on (H, W), (C, H, W) or any leading dims.
template <class Target = Tensor>
class RandomCrop : public TensorTransform<Target>, public RandomTransformBase {
 public:
  /// A size x size crop.
  explicit RandomCrop(int64_t size, int64_t padding = 0, std::optional<uint64_t> seed = std::nullopt)
      : RandomCrop(std::array<int64_t, 2>{size, size}, padding, seed) {}
  /// A {height, width} crop.
  explicit RandomCrop(std::array<int64_t, 2> size, int64_t padding = 0, std::optional<uint64_t> seed = std::nullopt)
      : RandomTransformBase(seed), height_(size[0]), width_(size[1]), padding_(padding) {}
  Tensor operator()(Tensor input) override {
    return detail::random_crop(input, height_, width_, padding_, next_key());
  }

 private:
  int64_t height_, width_, padding_;
};

/// Flips the last dim with probability p.
template <class Target = Tensor>
class RandomHorizontalFlip : public TensorTransform<Target>, public RandomTransformBase {
 public:
  explicit RandomHorizontalFlip(double p = 0.5, std::optional<uint64_t> seed = std::nullopt)
      : RandomTransformBase(seed), p_(p) {}
  Tensor operator()(Tensor input) override { return detail::random_hflip(input, p_, next_key()); }

 private:
  double p_;
};

/// Applies tensor transforms in order: Compose<>({RandomCrop<>(28, 4), Normalize<>(0.5, 0.25)}).
template <class Target = Tensor>
class Compose : public TensorTransform<Target> {
 public:
  using FunctionType = std::function<Tensor(Tensor)>;
  Compose(std::initializer_list<FunctionType> fns) : fns_(fns) {}
  explicit Compose(std::vector<FunctionType> fns) : fns_(std::move(fns)) {}
  Tensor operator()(Tensor input) override {
    for (auto& f : fns_) input = f(std::move(input));
    return input;
  }

 private:
  std::vector<FunctionType> fns_;
};

}  // namespace sinter::data::transforms
