// sinter::Tensor: a cheap, refcounted handle to an n-dimensional strided array on a device.
// The API follows LibTorch's: a PyTorch C++ user should find every name where they expect it.
#pragma once
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "sinter/device.h"
#include "sinter/dtype.h"
#include "sinter/error.h"
#include "sinter/scalar.h"
#include "sinter/small_vector.h"
#include "sinter/tensor_impl.h"

namespace sinter {

class Tensor;
struct Node;
namespace indexing { class TensorIndex; }

using TensorList = std::vector<Tensor>;

/// Builder for dtype/device/requires_grad, as in LibTorch: `dtype(kFloat).requires_grad(true)`.
struct TensorOptions {
  std::optional<DType> dtype_;
  Device device_;
  bool requires_grad_ = false;

  TensorOptions() = default;
  TensorOptions(DType d) : dtype_(d) {}
  TensorOptions(Device d) : device_(d) {}
  TensorOptions(DeviceType d) : device_(d) {}
  TensorOptions dtype(DType d) const { auto o = *this; o.dtype_ = d; return o; }
  TensorOptions device(Device d) const { auto o = *this; o.device_ = d; return o; }
  TensorOptions requires_grad(bool r = true) const { auto o = *this; o.requires_grad_ = r; return o; }
  DType dtype_or_default() const { return dtype_ ? *dtype_ : default_dtype(); }
  DType dtype() const { return dtype_or_default(); }
  Device device() const { return device_; }
  bool requires_grad() const { return requires_grad_; }
  bool has_dtype() const { return dtype_.has_value(); }
};
inline TensorOptions dtype(DType d) { return TensorOptions().dtype(d); }
inline TensorOptions device(Device d) { return TensorOptions().device(d); }
inline TensorOptions requires_grad(bool r = true) { return TensorOptions().requires_grad(r); }

enum class MemoryFormat { Contiguous, Preserve };

class Tensor {
 public:
  Tensor() : impl_(nullptr) {}
  /// Takes ownership of one reference to `impl`.
  explicit Tensor(TensorImpl* impl) : impl_(impl) {}
  Tensor(const Tensor& o) : impl_(o.impl_) { if (impl_) impl_->refcount.fetch_add(1, std::memory_order_relaxed); }
  Tensor(Tensor&& o) noexcept : impl_(o.impl_) { o.impl_ = nullptr; }
  Tensor& operator=(const Tensor& o) & {
    Tensor(o).swap(*this);
    return *this;
  }
  Tensor& operator=(Tensor&& o) & noexcept {
    Tensor(std::move(o)).swap(*this);
    return *this;
  }
  ~Tensor() { reset(); }
  void swap(Tensor& o) noexcept { std::swap(impl_, o.impl_); }
  void reset() {
    if (impl_ && impl_->refcount.fetch_sub(1, std::memory_order_acq_rel) == 1) delete impl_;
    impl_ = nullptr;
  }

  // --- metadata -------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  TensorImpl* unsafeGetTensorImpl() const { return impl_; }
  TensorImpl* impl() const { return impl_; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }
  int64_t dim() const { return static_cast<int64_t>(impl_->sizes.size()); }
  int64_t ndimension() const { return dim(); }
  IntArrayRef sizes() const { return impl_->sizes; }
  IntArrayRef strides() const { return impl_->strides; }
  /// Size of dimension `d` (negative counts from the end).
  int64_t size(int64_t d) const;
  int64_t stride(int64_t d) const;
  int64_t numel() const { return impl_->numel; }
  int64_t storage_offset() const { return impl_->offset; }
  DType dtype() const { return impl_->dtype; }
  DType scalar_type() const { return impl_->dtype; }
  Device device() const { return impl_->storage->device(); }
  bool is_cpu() const { return device().is_cpu(); }
  bool is_cuda() const { return device().is_cuda(); }
  TensorOptions options() const { return TensorOptions(dtype()).device(device()); }
  int64_t element_size() const { return static_cast<int64_t>(sinter::element_size(dtype())); }
  int64_t nbytes() const { return numel() * element_size(); }
  bool is_contiguous(MemoryFormat = MemoryFormat::Contiguous) const { return impl_->is_contiguous; }
  bool is_floating_point() const { return sinter::is_floating_point(dtype()); }
  bool is_complex() const { return false; }
  void* data_ptr() const { return impl_->data(); }
  template <class T>
  T* data_ptr() const;
  template <class T>
  T* data() const { return data_ptr<T>(); }
  Storage* storage() const { return impl_->storage; }
  /// The number a one-element tensor holds.
  Scalar item() const;
  template <class T>
  T item() const { return item().to<T>(); }
  /// The elements of a string tensor (kString), in row-major order; DTypeError for other dtypes.
  std::vector<std::string> strings() const;
  std::string toString() const;
  /// Printed like PyTorch: tensor([[...]], dtype=...).
  friend std::ostream& operator<<(std::ostream& os, const Tensor& t);
  void print() const;

  // --- autograd -------------------------------------------------------------------------
  bool requires_grad() const;
  Tensor& requires_grad_(bool r = true);
  Tensor& set_requires_grad(bool r) { return requires_grad_(r); }
  bool is_leaf() const;
  /// The gradient accumulated by backward() (undefined tensor if none).
  Tensor& mutable_grad() const;
  const Tensor& grad() const;
  const std::shared_ptr<Node>& grad_fn() const;
  int64_t output_nr() const;
  int64_t _version() const { return impl_->storage->version(); }
  void backward(const Tensor& gradient = {}, std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false, const TensorList& inputs = {}) const;
  Tensor detach() const;
  Tensor& detach_();
  void retain_grad() const;
  bool retains_grad() const;
  /// hook(grad) may return a replacement gradient, or an undefined Tensor to keep it.
  template <class F>
  unsigned register_hook(F&& hook) const {
    if constexpr (std::is_void_v<std::invoke_result_t<F&, const Tensor&>>)
      return register_hook_impl([h = std::forward<F>(hook)](const Tensor& g) mutable {
        h(g);
        return Tensor();
      });
    else
      return register_hook_impl(std::function<Tensor(const Tensor&)>(std::forward<F>(hook)));
  }
  unsigned register_hook_impl(std::function<Tensor(const Tensor&)> hook) const;
  Tensor data() const { return detach(); }

  // --- conversion, copies ---------------------------------------------------------------
  Tensor to(DType dtype, bool non_blocking = false, bool copy = false) const;
  Tensor to(Device device, DType dtype, bool non_blocking = false, bool copy = false) const;
  Tensor to(Device device, bool non_blocking = false, bool copy = false) const;
  Tensor to(DeviceType device, bool non_blocking = false, bool copy = false) const {
    return to(Device(device), non_blocking, copy);
  }
  Tensor to(const TensorOptions& opts, bool non_blocking = false, bool copy = false) const;
  Tensor to(const Tensor& other) const { return to(other.options()); }
  Tensor cpu() const { return to(Device(kCPU)); }
  Tensor toType(DType t) const { return to(t); }
  Tensor type_as(const Tensor& o) const { return to(o.dtype()); }
  Tensor float_() const = delete;
  Tensor contiguous(MemoryFormat = MemoryFormat::Contiguous) const;
  Tensor clone(MemoryFormat = MemoryFormat::Preserve) const;
  Tensor& copy_(const Tensor& src, bool non_blocking = false);

  // --- views (share storage) ------------------------------------------------------------
  Tensor view(IntArrayRef size) const;
  Tensor view_as(const Tensor& o) const { return view(o.sizes()); }
  Tensor reshape(IntArrayRef size) const;
  Tensor reshape_as(const Tensor& o) const { return reshape(o.sizes()); }
  Tensor permute(IntArrayRef dims) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const;
  Tensor mT() const { return transpose(-2, -1); }
  Tensor slice(int64_t dim = 0, std::optional<int64_t> start = std::nullopt,
               std::optional<int64_t> end = std::nullopt, int64_t step = 1) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor expand(IntArrayRef size, bool implicit = false) const;
  Tensor expand_as(const Tensor& o) const { return expand(o.sizes()); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, IntArrayRef sizes) const;
  Tensor as_strided(IntArrayRef size, IntArrayRef stride, std::optional<int64_t> offset = std::nullopt) const;
  std::vector<Tensor> unbind(int64_t dim = 0) const;

  // --- shape ops (copy) -----------------------------------------------------------------
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> split(IntArrayRef split_sizes, int64_t dim = 0) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  Tensor repeat(IntArrayRef repeats) const;
  Tensor tile(IntArrayRef reps) const;
  Tensor flip(IntArrayRef dims) const;
  Tensor roll(IntArrayRef shifts, IntArrayRef dims = {}) const;
  Tensor tril(int64_t diagonal = 0) const;
  Tensor triu(int64_t diagonal = 0) const;

  // --- indexing -------------------------------------------------------------------------
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& value);
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Scalar& value);
  Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& value);
  Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Scalar& value);
  Tensor operator[](int64_t i) const { return select(0, i); }
  Tensor operator[](const Tensor& index) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Scalar& value) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor& scatter_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor& scatter_(int64_t dim, const Tensor& index, const Scalar& value);
  Tensor& scatter_add_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor masked_fill(const Tensor& mask, const Scalar& value) const;
  Tensor masked_fill(const Tensor& mask, const Tensor& value) const;
  Tensor& masked_fill_(const Tensor& mask, const Scalar& value);
  Tensor masked_select(const Tensor& mask) const;
  Tensor where(const Tensor& condition, const Tensor& other) const;
  Tensor nonzero() const;

  // --- in-place ---------------------------------------------------------------------------
  Tensor& fill_(const Scalar& v);
  Tensor& zero_();
  Tensor& add_(const Tensor& o, const Scalar& alpha = 1);
  Tensor& add_(const Scalar& o, const Scalar& alpha = 1);
  Tensor& sub_(const Tensor& o, const Scalar& alpha = 1);
  Tensor& sub_(const Scalar& o, const Scalar& alpha = 1);
  Tensor& mul_(const Tensor& o);
  Tensor& mul_(const Scalar& o);
  Tensor& div_(const Tensor& o);
  Tensor& div_(const Scalar& o);
  Tensor& pow_(const Scalar& e);
  Tensor& clamp_(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);
  Tensor& neg_();
  Tensor& exp_();
  Tensor& log_();
  Tensor& sqrt_();
  Tensor& abs_();
  Tensor& relu_();
  Tensor& sigmoid_();
  Tensor& tanh_();
  Tensor& addcmul_(const Tensor& t1, const Tensor& t2, const Scalar& value = 1);
  Tensor& addcdiv_(const Tensor& t1, const Tensor& t2, const Scalar& value = 1);
  Tensor& lerp_(const Tensor& end, const Scalar& weight);
  Tensor& uniform_(double from = 0, double to = 1);
  Tensor& normal_(double mean = 0, double std = 1);
  Tensor& bernoulli_(double p = 0.5);

  // --- unary ----------------------------------------------------------------------------
  Tensor neg() const; Tensor abs() const; Tensor sign() const; Tensor exp() const;
  Tensor exp2() const; Tensor log() const; Tensor log2() const; Tensor log1p() const;
  Tensor expm1() const; Tensor sqrt() const; Tensor rsqrt() const; Tensor reciprocal() const;
  Tensor sin() const; Tensor cos() const; Tensor tan() const; Tensor tanh() const;
  Tensor sigmoid() const; Tensor relu() const; Tensor erf() const; Tensor floor() const;
  Tensor ceil() const; Tensor round() const; Tensor trunc() const; Tensor square() const;
  Tensor logical_not() const; Tensor bitwise_not() const;
  Tensor isnan() const; Tensor isinf() const; Tensor isfinite() const;
  Tensor clamp(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt) const;
  Tensor clamp_min(const Scalar& min) const;
  Tensor clamp_max(const Scalar& max) const;
  Tensor softmax(int64_t dim, std::optional<DType> dtype = std::nullopt) const;
  Tensor log_softmax(int64_t dim, std::optional<DType> dtype = std::nullopt) const;

  // --- binary ---------------------------------------------------------------------------
  Tensor add(const Tensor& o, const Scalar& alpha = 1) const;
  Tensor add(const Scalar& o, const Scalar& alpha = 1) const;
  Tensor sub(const Tensor& o, const Scalar& alpha = 1) const;
  Tensor sub(const Scalar& o, const Scalar& alpha = 1) const;
  Tensor mul(const Tensor& o) const;
  Tensor mul(const Scalar& o) const;
  Tensor div(const Tensor& o, std::optional<std::string_view> rounding_mode = std::nullopt) const;
  Tensor div(const Scalar& o, std::optional<std::string_view> rounding_mode = std::nullopt) const;
  Tensor pow(const Tensor& e) const;
  Tensor pow(const Scalar& e) const;
  Tensor fmod(const Tensor& o) const; Tensor fmod(const Scalar& o) const;
  Tensor remainder(const Tensor& o) const; Tensor remainder(const Scalar& o) const;
  Tensor maximum(const Tensor& o) const; Tensor minimum(const Tensor& o) const;
  Tensor atan2(const Tensor& o) const;
  Tensor eq(const Tensor& o) const; Tensor eq(const Scalar& o) const;
  Tensor ne(const Tensor& o) const; Tensor ne(const Scalar& o) const;
  Tensor lt(const Tensor& o) const; Tensor lt(const Scalar& o) const;
  Tensor le(const Tensor& o) const; Tensor le(const Scalar& o) const;
  Tensor gt(const Tensor& o) const; Tensor gt(const Scalar& o) const;
  Tensor ge(const Tensor& o) const; Tensor ge(const Scalar& o) const;
  Tensor logical_and(const Tensor& o) const; Tensor logical_or(const Tensor& o) const;
  Tensor logical_xor(const Tensor& o) const;
  Tensor bitwise_and(const Tensor& o) const; Tensor bitwise_or(const Tensor& o) const;
  Tensor bitwise_xor(const Tensor& o) const;
  Tensor bitwise_left_shift(const Tensor& o) const; Tensor bitwise_right_shift(const Tensor& o) const;
  Tensor addcmul(const Tensor& t1, const Tensor& t2, const Scalar& value = 1) const;
  Tensor addcdiv(const Tensor& t1, const Tensor& t2, const Scalar& value = 1) const;
  Tensor lerp(const Tensor& end, const Scalar& weight) const;
  bool equal(const Tensor& o) const;
  bool allclose(const Tensor& o, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false) const;

  // --- reductions -----------------------------------------------------------------------
  Tensor sum(std::optional<DType> dtype = std::nullopt) const;
  Tensor sum(IntArrayRef dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt) const;
  Tensor mean(std::optional<DType> dtype = std::nullopt) const;
  Tensor mean(IntArrayRef dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt) const;
  Tensor prod(std::optional<DType> dtype = std::nullopt) const;
  Tensor prod(int64_t dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt) const;
  Tensor max() const; Tensor min() const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor amax(IntArrayRef dim = {}, bool keepdim = false) const;
  Tensor amin(IntArrayRef dim = {}, bool keepdim = false) const;
  Tensor argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor argmin(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor var(bool unbiased = true) const;
  Tensor var(IntArrayRef dim, bool unbiased = true, bool keepdim = false) const;
  Tensor var(std::optional<IntArrayRef> dim, std::optional<int64_t> correction, bool keepdim) const;
  Tensor std(bool unbiased = true) const;
  Tensor std(IntArrayRef dim, bool unbiased = true, bool keepdim = false) const;
  Tensor std(std::optional<IntArrayRef> dim, std::optional<int64_t> correction, bool keepdim) const;
  Tensor logsumexp(IntArrayRef dim, bool keepdim = false) const;
  Tensor norm(const Scalar& p = 2) const;
  Tensor norm(std::optional<Scalar> p, IntArrayRef dim, bool keepdim = false) const;
  Tensor all() const; Tensor all(int64_t dim, bool keepdim = false) const;
  Tensor any() const; Tensor any(int64_t dim, bool keepdim = false) const;
  Tensor cumsum(int64_t dim, std::optional<DType> dtype = std::nullopt) const;
  Tensor cumprod(int64_t dim, std::optional<DType> dtype = std::nullopt) const;

  // --- linear algebra -------------------------------------------------------------------
  Tensor matmul(const Tensor& o) const;
  Tensor mm(const Tensor& o) const;
  Tensor bmm(const Tensor& o) const;
  Tensor mv(const Tensor& v) const;
  Tensor dot(const Tensor& o) const;
  Tensor outer(const Tensor& o) const;
  Tensor addmm(const Tensor& m1, const Tensor& m2, const Scalar& beta = 1, const Scalar& alpha = 1) const;

 private:
  TensorImpl* impl_;
};

/// The string a one-element string tensor holds.
template <>
std::string Tensor::item<std::string>() const;

// Operators, as in PyTorch.
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, const Scalar& b);
Tensor operator+(const Scalar& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Scalar& b);
Tensor operator-(const Scalar& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Scalar& b);
Tensor operator*(const Scalar& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Scalar& b);
Tensor operator/(const Scalar& a, const Tensor& b);
Tensor operator%(const Tensor& a, const Tensor& b);
Tensor operator%(const Tensor& a, const Scalar& b);
Tensor operator-(const Tensor& a);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, const Scalar& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Scalar& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Scalar& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Scalar& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Scalar& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Scalar& b);
Tensor operator&(const Tensor& a, const Tensor& b);
Tensor operator|(const Tensor& a, const Tensor& b);
Tensor operator^(const Tensor& a, const Tensor& b);
Tensor operator<<(const Tensor& a, const Tensor& b);
Tensor operator>>(const Tensor& a, const Tensor& b);
Tensor operator~(const Tensor& a);
Tensor operator!(const Tensor& a);
Tensor& operator+=(Tensor& a, const Tensor& b);
Tensor& operator+=(Tensor& a, const Scalar& b);
Tensor& operator-=(Tensor& a, const Tensor& b);
Tensor& operator-=(Tensor& a, const Scalar& b);
Tensor& operator*=(Tensor& a, const Tensor& b);
Tensor& operator*=(Tensor& a, const Scalar& b);
Tensor& operator/=(Tensor& a, const Tensor& b);
Tensor& operator/=(Tensor& a, const Scalar& b);

/// Formats sizes as "(2, 3)" for error messages.
std::string shape_str(IntArrayRef sizes);
/// Prints sizes as LibTorch does: "[2, 3]".
inline std::ostream& operator<<(std::ostream& os, IntArrayRef sizes) {
  os << '[';
  for (size_t i = 0; i < sizes.size(); ++i) os << (i ? ", " : "") << sizes[i];
  return os << ']';
}

}  // namespace sinter
