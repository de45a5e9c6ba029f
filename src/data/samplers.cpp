#include "sinter/data/samplers.h"

#include <algorithm>
#include <numeric>

#include "sinter/data/dataloader.h"
#include "sinter/data/random.h"
#include "sinter/error.h"

namespace sinter::data::samplers {

void SequentialSampler::reset(std::optional<size_t> new_size) {
  if (new_size) size_ = *new_size;
  index_ = 0;
}

std::optional<std::vector<size_t>> SequentialSampler::next(size_t batch_size) {
  if (index_ >= size_ || batch_size == 0) return std::nullopt;
  const size_t n = std::min(batch_size, size_ - index_);
  std::vector<size_t> out(n);
  std::iota(out.begin(), out.end(), index_);
  index_ += n;
  return out;
}

RandomSampler::RandomSampler(int64_t size, std::optional<uint64_t> seed)
    : seed_(seed ? *seed : data::detail::draw_seed()) {
  SINTER_CHECK(size >= 0, ValueError, "RandomSampler: negative size ", size);
  indices_.resize(static_cast<size_t>(size));
  reset(std::nullopt);
}

void RandomSampler::reset(std::optional<size_t> new_size) {
  if (new_size) indices_.resize(*new_size);
  std::iota(indices_.begin(), indices_.end(), size_t(0));
  // Fisher-Yates over a generator keyed by (seed, pass number).
  KeyedRandom rng(mix64(seed_, epoch_++));
  for (size_t i = indices_.size(); i > 1; --i) std::swap(indices_[i - 1], indices_[rng.below(i)]);
  index_ = 0;
}

std::optional<std::vector<size_t>> RandomSampler::next(size_t batch_size) {
  if (index_ >= indices_.size() || batch_size == 0) return std::nullopt;
  const size_t n = std::min(batch_size, indices_.size() - index_);
  std::vector<size_t> out(indices_.begin() + static_cast<std::ptrdiff_t>(index_),
                          indices_.begin() + static_cast<std::ptrdiff_t>(index_ + n));
  index_ += n;
  return out;
}

}  // namespace sinter::data::samplers
