#include <limits>

#include "core/tensor_util.h"
#include "sinter/autograd.h"

namespace sinter {
namespace detail {

Storage* allocate_strings(int64_t n, Device device) {
  SINTER_CHECK(device.is_cpu(), NotImplementedError, "empty: string tensors live on the CPU, not ", device.str());
  SINTER_CHECK(static_cast<uint64_t>(n) <= std::numeric_limits<std::size_t>::max() / sizeof(std::string), ShapeError,
               "empty: ", n, " strings do not fit in memory");
  // Constructed here and destroyed with the storage: the elements own heap memory.
  auto* data = new std::string[static_cast<size_t>(n)];
  return Storage::wrap(data, static_cast<size_t>(n) * sizeof(std::string), device,
                       [](void* p, void*) { delete[] static_cast<std::string*>(p); }, nullptr);
}

int64_t checked_numel(const char* op, IntArrayRef sizes) {
  int64_t n = 1;
  for (auto s : sizes) {
    SINTER_CHECK(s >= 0, ShapeError, op, ": negative dimension ", s, " in shape ", shape_str(sizes));
    if (s != 0 && n > std::numeric_limits<int64_t>::max() / s)
      throw ShapeError(str_cat(op, ": shape ", shape_str(sizes), " has too many elements"));
    n *= s;
  }
  return n;
}

DimVector channels_last_strides(IntArrayRef sizes) {
  SINTER_ASSERT(sizes.size() == 4, "channels_last_strides: a 4-D shape, got ", sizes.size(), " dims");
  const int64_t C = std::max<int64_t>(sizes[1], 1), H = std::max<int64_t>(sizes[2], 1),
                W = std::max<int64_t>(sizes[3], 1);
  return DimVector{H * W * C, 1, W * C, C};
}

bool is_channels_last(const Tensor& t) {
  if (!t.defined() || t.dim() != 4 || t.is_contiguous()) return false;
  DimVector want = channels_last_strides(t.sizes());
  for (int64_t d = 0; d < 4; ++d)
    if (t.size(d) != 1 && t.stride(d) != want[static_cast<size_t>(d)]) return false;
  return true;
}

Tensor make_empty(IntArrayRef sizes, DType dtype, Device device) {
  int64_t n = checked_numel("empty", sizes);
  Storage* st = dtype == DType::String ? allocate_strings(n, device)
                                       : Storage::allocate(static_cast<size_t>(n) * element_size(dtype), device);
  auto* impl = new TensorImpl(st, dtype);
  impl->sizes.assign(sizes.begin(), sizes.end());
  impl->strides.resize(sizes.size());
  int64_t stride = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    impl->strides[i] = stride;
    stride *= std::max<int64_t>(sizes[i], 1);
  }
  impl->numel = n;
  impl->is_contiguous = true;
  return Tensor(impl);
}

Tensor make_alias(const Tensor& base, IntArrayRef sizes, IntArrayRef strides, int64_t offset) {
  Storage* st = base.storage();
  st->retain();
  auto* impl = new TensorImpl(st, base.dtype());
  impl->sizes.assign(sizes.begin(), sizes.end());
  impl->strides.assign(strides.begin(), strides.end());
  impl->offset = offset;
  impl->refresh();
  return Tensor(impl);
}

}  // namespace detail

std::string shape_str(IntArrayRef sizes) {
  std::string s = "(";
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(sizes[i]);
  }
  if (sizes.size() == 1) s += ",";
  return s + ")";
}

static int64_t wrap(const char* what, int64_t d, int64_t n) {
  int64_t w = d < 0 ? d + n : d;
  SINTER_CHECK(w >= 0 && w < n, IndexError, what, ": dimension out of range (expected to be in range of [",
               -n, ", ", n - 1, "], but got ", d, ")");
  return w;
}

int64_t Tensor::size(int64_t d) const { return impl_->sizes[wrap("size", d, dim())]; }
int64_t Tensor::stride(int64_t d) const { return impl_->strides[wrap("stride", d, dim())]; }

template <class T>
T* Tensor::data_ptr() const {
  SINTER_CHECK(dtype() == dtype_of_v<T>, DTypeError, "data_ptr: expected dtype ", dtype_name(dtype_of_v<T>),
               " but the tensor has dtype ", dtype_name(dtype()));
  return static_cast<T*>(impl_->data());
}
template uint8_t* Tensor::data_ptr<uint8_t>() const;
template int8_t* Tensor::data_ptr<int8_t>() const;
template int16_t* Tensor::data_ptr<int16_t>() const;
template int32_t* Tensor::data_ptr<int32_t>() const;
template int64_t* Tensor::data_ptr<int64_t>() const;
template Half* Tensor::data_ptr<Half>() const;
template float* Tensor::data_ptr<float>() const;
template double* Tensor::data_ptr<double>() const;
template bool* Tensor::data_ptr<bool>() const;
template BFloat16* Tensor::data_ptr<BFloat16>() const;
template std::string* Tensor::data_ptr<std::string>() const;

Scalar Tensor::item() const {
  SINTER_CHECK(defined(), ValueError, "item: tensor is undefined");
  SINTER_CHECK(dtype() != DType::String, DTypeError, "item: a string tensor holds no number; use item<std::string>()");
  SINTER_CHECK(numel() == 1, ValueError, "item: a Tensor with ", numel(),
               " elements cannot be converted to Scalar (shape ", shape_str(sizes()), ")");
  return visit_dtype(dtype(), [&](auto tag) -> Scalar {
    using T = typename decltype(tag)::type;
    T v = *static_cast<const T*>(impl_->data());
    if constexpr (std::is_same_v<T, bool>) return Scalar(v);
    else if constexpr (is_float_type_v<T>) return Scalar(static_cast<double>(static_cast<compute_t<T>>(v)));
    else return Scalar(static_cast<int64_t>(v));
  });
}

template <>
std::string Tensor::item<std::string>() const {
  SINTER_CHECK(defined(), ValueError, "item: tensor is undefined");
  SINTER_CHECK(dtype() == DType::String, DTypeError, "item<std::string>: expected a string tensor, got ",
               dtype_name(dtype()));
  SINTER_CHECK(numel() == 1, ValueError, "item: a Tensor with ", numel(),
               " elements cannot be converted to a string (shape ", shape_str(sizes()), ")");
  return *static_cast<const std::string*>(impl_->data());
}

std::vector<std::string> Tensor::strings() const {
  SINTER_CHECK(defined(), ValueError, "strings: tensor is undefined");
  SINTER_CHECK(dtype() == DType::String, DTypeError, "strings: expected a string tensor, got ", dtype_name(dtype()),
               " of shape ", shape_str(sizes()));
  std::vector<std::string> r;
  r.reserve(static_cast<size_t>(numel()));
  if (numel() == 0) return r;
  const auto* base = static_cast<const std::string*>(storage()->data());
  DimVector idx(static_cast<size_t>(dim()), 0);
  for (int64_t k = 0; k < numel(); ++k) {  // row-major walk over any strides
    int64_t off = storage_offset();
    for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * impl_->strides[d];
    r.push_back(base[off]);
    for (size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < impl_->sizes[d]) break;
      idx[d] = 0;
    }
  }
  return r;
}

}  // namespace sinter
