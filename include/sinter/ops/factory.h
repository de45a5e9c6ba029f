// Factory functions and the random generator, as in LibTorch.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "sinter/tensor.h"

namespace sinter {

Tensor empty(IntArrayRef size, const TensorOptions& options = {});
Tensor zeros(IntArrayRef size, const TensorOptions& options = {});
Tensor ones(IntArrayRef size, const TensorOptions& options = {});
Tensor full(IntArrayRef size, const Scalar& value, const TensorOptions& options = {});
Tensor empty_like(const Tensor& t, const TensorOptions& options = {});
Tensor zeros_like(const Tensor& t, const TensorOptions& options = {});
Tensor ones_like(const Tensor& t, const TensorOptions& options = {});
Tensor full_like(const Tensor& t, const Scalar& value, const TensorOptions& options = {});
Tensor rand_like(const Tensor& t, const TensorOptions& options = {});
Tensor randn_like(const Tensor& t, const TensorOptions& options = {});
/// [0, end) / [start, end) with step; int64 when all arguments are integers, else default float.
Tensor arange(const Scalar& end, const TensorOptions& options = {});
Tensor arange(const Scalar& start, const Scalar& end, const TensorOptions& options = {});
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& options = {});
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, const TensorOptions& options = {});
Tensor eye(int64_t n, const TensorOptions& options = {});
Tensor eye(int64_t n, int64_t m, const TensorOptions& options = {});
Tensor rand(IntArrayRef size, const TensorOptions& options = {});
Tensor randn(IntArrayRef size, const TensorOptions& options = {});
Tensor randint(int64_t high, IntArrayRef size, const TensorOptions& options = kLong);
Tensor randint(int64_t low, int64_t high, IntArrayRef size, const TensorOptions& options = kLong);
Tensor randint_like(const Tensor& t, int64_t high, const TensorOptions& options = {});
Tensor randperm(int64_t n, const TensorOptions& options = kLong);
Tensor normal(double mean, double std, IntArrayRef size, const TensorOptions& options = {});
Tensor normal(const Tensor& mean, const Tensor& std);
Tensor bernoulli(const Tensor& p);
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement = false);
Tensor scalar_tensor(const Scalar& s, const TensorOptions& options = {});

/// tensor({1.0, 2.0}) / tensor({1, 2}, kLong) / tensor(3.5): a 1-D (or 0-D) tensor from values.
Tensor tensor(std::initializer_list<double> values, const TensorOptions& options = {});
Tensor tensor(std::initializer_list<float> values, const TensorOptions& options = {});
Tensor tensor(std::initializer_list<int> values, const TensorOptions& options = {});
Tensor tensor(std::initializer_list<int64_t> values, const TensorOptions& options = {});
Tensor tensor(std::initializer_list<bool> values, const TensorOptions& options = {});
Tensor tensor(const std::vector<double>& values, const TensorOptions& options = {});
Tensor tensor(const std::vector<float>& values, const TensorOptions& options = {});
Tensor tensor(const std::vector<int64_t>& values, const TensorOptions& options = {});
Tensor tensor(const std::vector<int>& values, const TensorOptions& options = {});
Tensor tensor(double value, const TensorOptions& options = {});
Tensor tensor(int64_t value, const TensorOptions& options = {});
Tensor tensor(int value, const TensorOptions& options = {});
/// A string tensor (dtype kString) holding `values` in row-major order: 1-D (n,) by default,
/// or `sizes` (whose element count must equal values.size()).
Tensor strings(const std::vector<std::string>& values);
Tensor strings(const std::vector<std::string>& values, IntArrayRef sizes);
/// Wraps memory the caller owns (no copy). `deleter` (optional) runs when the last view dies.
Tensor from_blob(void* data, IntArrayRef sizes, const TensorOptions& options = {});
Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const TensorOptions& options = {});

/// The seedable global generator (mt19937-64 based; per-thread streams are derived from it).
class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ull);
  void manual_seed(uint64_t seed);
  uint64_t initial_seed() const { return seed_; }
  uint64_t next_u64();
  /// uniform in [0, 1)
  double next_double();
  float next_float();
  double next_normal();
  /// Serialised state (for checkpoints).
  std::vector<uint8_t> get_state() const;
  void set_state(const std::vector<uint8_t>& state);

 private:
  uint64_t seed_;
  uint64_t s_[4];
  bool have_normal_ = false;
  double next_normal_ = 0;
};
Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace sinter
