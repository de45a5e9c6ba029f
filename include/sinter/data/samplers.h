// Samplers: which indices each batch holds, as LibTorch's torch::data::samplers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace sinter::data::samplers {

template <class BatchRequest = std::vector<size_t>>
class Sampler {
 public:
  using BatchRequestType = BatchRequest;
  virtual ~Sampler() = default;
  /// Starts a new pass (an epoch), optionally over a dataset of a new size.
  virtual void reset(std::optional<size_t> new_size) = 0;
  /// The next batch of at most batch_size indices, or nullopt when the pass is over.
  virtual std::optional<BatchRequest> next(size_t batch_size) = 0;
};

/// 0, 1, 2, ... in order.
class SequentialSampler : public Sampler<> {
 public:
  explicit SequentialSampler(size_t size) : size_(size) {}
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  size_t index() const noexcept { return index_; }

 private:
  size_t size_;
  size_t index_ = 0;
};

/// A fresh random permutation every pass. The permutations are a pure function of the seed (a
/// fixed one, or one drawn from the default Generator when the sampler is made, so
/// manual_seed makes runs reproducible) and of how many passes came before.
class RandomSampler : public Sampler<> {
 public:
  explicit RandomSampler(int64_t size, std::optional<uint64_t> seed = std::nullopt);
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  size_t index() const noexcept { return index_; }
  /// The current permutation.
  const std::vector<size_t>& indices() const noexcept { return indices_; }

 private:
  uint64_t seed_;
  uint64_t epoch_ = 0;
  std::vector<size_t> indices_;
  size_t index_ = 0;
};

}  // namespace sinter::data::samplers
