#include "sinter/data/transforms.h"

#include "sinter/ops/factory.h"
#include "sinter/ops/shape.h"

namespace sinter::data::transforms {

using sinter::detail::str_cat;

Example<> Stack<Example<>>::apply_batch(std::vector<Example<>> examples) {
  SINTER_CHECK(!examples.empty(), ValueError, "Stack: empty batch");
  std::vector<Tensor> data, target;
  data.reserve(examples.size());
  target.reserve(examples.size());
  for (auto& e : examples) {
    data.push_back(std::move(e.data));
    target.push_back(std::move(e.target));
  }
  return {sinter::stack(data), sinter::stack(target)};
}

TensorExample Stack<TensorExample>::apply_batch(std::vector<TensorExample> examples) {
  SINTER_CHECK(!examples.empty(), ValueError, "Stack: empty batch");
  std::vector<Tensor> data;
  data.reserve(examples.size());
  for (auto& e : examples) data.push_back(std::move(e.data));
  return TensorExample(sinter::stack(data));
}

namespace detail {

Tensor channel_stats(const std::vector<double>& v, const char* what) {
  SINTER_CHECK(!v.empty(), ValueError, "Normalize: ", what, " is empty");
  if (v.size() == 1) return sinter::tensor(v[0], kFloat);
  return sinter::tensor(v, kFloat).reshape({static_cast<int64_t>(v.size()), 1, 1});
}

Tensor normalize(const Tensor& input, const Tensor& mean, const Tensor& stddev) {
  SINTER_CHECK(input.defined(), ValueError, "Normalize: undefined input");
  if (mean.dim() == 3)
    SINTER_CHECK(input.dim() >= 3 && input.size(-3) == mean.size(0), ShapeError, "Normalize: ", mean.size(0),
                 " channel statistics do not match input of shape ", input.sizes(), " (expected (..., C, H, W))");
  return input.sub(mean).div(stddev);
}

Tensor random_crop(const Tensor& input, int64_t height, int64_t width, int64_t padding, uint64_t key) {
  SINTER_CHECK(height > 0 && width > 0 && padding >= 0, ValueError, "RandomCrop: size (", height, ", ", width,
               ") must be positive and padding ", padding, " non-negative");
  SINTER_CHECK(input.dim() >= 2, ShapeError, "RandomCrop: expected (..., H, W), got shape ", input.sizes());
  Tensor x = padding > 0 ? sinter::pad(input, {padding, padding, padding, padding}) : input;
  const int64_t H = x.size(-2), W = x.size(-1);
  SINTER_CHECK(H >= height && W >= width, ShapeError, "RandomCrop: crop (", height, ", ", width,
               ") is larger than the padded input (", H, ", ", W, ")");
  KeyedRandom rng(key);
  const auto top = static_cast<int64_t>(rng.below(static_cast<uint64_t>(H - height + 1)));
  const auto left = static_cast<int64_t>(rng.below(static_cast<uint64_t>(W - width + 1)));
  return x.narrow(-2, top, height).narrow(-1, left, width).contiguous();
}

Tensor random_hflip(const Tensor& input, double p, uint64_t key) {
  SINTER_CHECK(p >= 0 && p <= 1, ValueError, "RandomHorizontalFlip: probability ", p, " is not in [0, 1]");
  SINTER_CHECK(input.dim() >= 1, ShapeError, "RandomHorizontalFlip: expected at least one dimension");
  KeyedRandom rng(key);
  return rng.uniform() < p ? input.flip({-1}) : input;
}

uint64_t default_transform_seed() { return default_generator().next_u64(); }

}  // namespace detail

}  // namespace sinter::data::transforms
