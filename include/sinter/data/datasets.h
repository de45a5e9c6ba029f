// Datasets, as LibTorch's torch::data::datasets.
//
//   class MyData : public datasets::Dataset<MyData> {        // Example<> = {data, target}
//     Example<> get(size_t index) override;
//     std::optional<size_t> size() const override;
//   };
//   auto ds = MyData().map(transforms::Stack<>());           // batches of Example<>
//
// A dataset is copied into each DataLoader worker (as in LibTorch): keep big data in tensors,
// whose copies share memory.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "sinter/data/example.h"
#include "sinter/data/transforms.h"
#include "sinter/tensor.h"

namespace sinter::data::datasets {

template <class SourceDataset, class AppliedTransform>
class MapDataset;

/// A dataset that produces whole batches for a request (a list of indices by default).
template <class Self, class Batch = std::vector<Example<>>, class BatchRequest = ArrayRef<size_t>>
class BatchDataset {
 public:
  using SelfType = Self;
  using BatchType = Batch;
  using BatchRequestType = BatchRequest;
  constexpr static bool is_stateful = false;

  virtual ~BatchDataset() = default;
  virtual Batch get_batch(BatchRequest request) = 0;
  /// The number of examples, or nullopt when unknown.
  virtual std::optional<size_t> size() const = 0;

  /// A dataset whose batches are `transform` applied to this dataset's batches.
  template <class TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) & {
    return MapDataset<Self, TransformType>(static_cast<Self&>(*this), std::move(transform));
  }
  template <class TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) && {
    return MapDataset<Self, TransformType>(std::move(static_cast<Self&>(*this)), std::move(transform));
  }
};

/// A dataset of single examples: get(index) and size(); batches are vectors of examples.
template <class Self, class SingleExample = Example<>>
class Dataset : public BatchDataset<Self, std::vector<SingleExample>> {
 public:
  using ExampleType = SingleExample;
  virtual ExampleType get(size_t index) = 0;
  std::vector<ExampleType> get_batch(ArrayRef<size_t> indices) override {
    std::vector<ExampleType> batch;
    batch.reserve(indices.size());
    for (size_t i : indices) batch.push_back(get(i));
    return batch;
  }
};

template <class SourceDataset, class AppliedTransform>
class MapDataset : public BatchDataset<MapDataset<SourceDataset, AppliedTransform>,
                                       typename AppliedTransform::OutputBatchType,
                                       typename SourceDataset::BatchRequestType> {
 public:
  using DatasetType = SourceDataset;
  using TransformType = AppliedTransform;
  using BatchRequestType = typename SourceDataset::BatchRequestType;
  using OutputBatchType = typename AppliedTransform::OutputBatchType;

  MapDataset(SourceDataset dataset, AppliedTransform transform)
      : dataset_(std::move(dataset)), transform_(std::move(transform)) {}
  OutputBatchType get_batch(BatchRequestType request) override {
    return transform_.apply_batch(dataset_.get_batch(std::move(request)));
  }
  std::optional<size_t> size() const noexcept override { return dataset_.size(); }
  const SourceDataset& dataset() const noexcept { return dataset_; }
  SourceDataset& dataset() noexcept { return dataset_; }
  const AppliedTransform& transform() const noexcept { return transform_; }

 private:
  SourceDataset dataset_;
  AppliedTransform transform_;
};

/// LibTorch's TensorDataset: example i is tensor[i] (no target).
struct TensorDataset : public Dataset<TensorDataset, TensorExample> {
  explicit TensorDataset(const std::vector<Tensor>& tensors);
  explicit TensorDataset(Tensor tensor);
  TensorExample get(size_t index) override;
  std::optional<size_t> size() const override;
  Tensor tensor;
};

/// (data[i], target[i]) examples from two tensors with the same first dimension.
struct LabeledTensorDataset : public Dataset<LabeledTensorDataset> {
  LabeledTensorDataset(Tensor data, Tensor target);
  Example<> get(size_t index) override;
  std::optional<size_t> size() const override;
  Tensor data, target;
};

/// MNIST-format datasets (MNIST, Fashion-MNIST) from the four IDX files in `root`, plain
/// (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-...) or gzipped (*.gz). Images are
/// float (N, 1, 28, 28) scaled to [0, 1]; targets int64 (N).
class MNIST : public Dataset<MNIST> {
 public:
  enum class Mode { kTrain, kTest };
  /// Where Debian's dataset-fashion-mnist package puts Fashion-MNIST.
  static constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

  explicit MNIST(const std::string& root, Mode mode = Mode::kTrain);
  Example<> get(size_t index) override;
  std::optional<size_t> size() const override;
  bool is_train() const noexcept { return train_; }
  const Tensor& images() const { return images_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor images_, targets_;
  bool train_;
};

/// A dataset that serves whole batches of (data, target) by gathering rows with index_select
/// (one copy per batch instead of per-example get() and stack). `data_transform`, if set, maps
/// each batch's data tensor (e.g. Normalize<>, applied to the whole batch).
class TensorBatchDataset : public BatchDataset<TensorBatchDataset, Example<>> {
 public:
  using DataTransform = std::function<Tensor(Tensor)>;
  TensorBatchDataset(Tensor data, Tensor target, DataTransform data_transform = nullptr);
  explicit TensorBatchDataset(const MNIST& mnist, DataTransform data_transform = nullptr)
      : TensorBatchDataset(mnist.images(), mnist.targets(), std::move(data_transform)) {}
  explicit TensorBatchDataset(const LabeledTensorDataset& ds, DataTransform data_transform = nullptr)
      : TensorBatchDataset(ds.data, ds.target, std::move(data_transform)) {}
  Example<> get_batch(ArrayRef<size_t> indices) override;
  std::optional<size_t> size() const override;
  const Tensor& data() const { return data_; }
  const Tensor& target() const { return target_; }

 private:
  Tensor data_, target_;
  DataTransform transform_;
};

/// Marks stream datasets (see IterableDataset).
struct IterableDatasetBase {};

/// A stream of examples with no size: next() until it returns nullopt. reset() starts the
/// stream again; the DataLoader calls it at the start of every pass (a one-shot stream may
/// leave it as it is, and then a second pass is empty). make_data_loader batches it in order.
template <class Self, class SingleExample = Example<>>
class IterableDataset : public IterableDatasetBase {
 public:
  using ExampleType = SingleExample;
  virtual ~IterableDataset() = default;
  virtual std::optional<ExampleType> next() = 0;
  virtual void reset() {}
};

template <class D>
inline constexpr bool is_iterable_dataset_v = std::is_base_of_v<IterableDatasetBase, D>;

}  // namespace sinter::data::datasets
