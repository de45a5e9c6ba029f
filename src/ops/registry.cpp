#include "ops/registry.h"

#include <algorithm>

#include "core/tensor_util.h"
#include "sinter/ops/reduce.h"

namespace sinter::ops {

Registry& Registry::get() {
  static Registry r;
  return r;
}

OpDef& Registry::define(std::string name) {
  for (auto& op : ops_)
    SINTER_ASSERT(op->name != name, "op '", name, "' registered twice");
  auto op = std::make_unique<OpDef>();
  op->name = std::move(name);
  // "max_pool2d" -> "MaxPool2DBackward0"-like names, as PyTorch prints them.
  std::string bn;
  bool up = true;
  for (char ch : op->name) {
    if (ch == '_') { up = true; continue; }
    bn += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    up = false;
  }
  op->backward_name = bn + "Backward0";
  ops_.push_back(std::move(op));
  return *ops_.back();
}

const OpDef* Registry::find(std::string_view name) const {
  for (auto& op : ops_)
    if (op->name == name) return op.get();
  return nullptr;
}

std::vector<const OpDef*> Registry::all() const {
  std::vector<const OpDef*> r;
  for (auto& op : ops_) r.push_back(op.get());
  std::sort(r.begin(), r.end(), [](auto a, auto b) { return a->name < b->name; });
  return r;
}

static thread_local bool t_reference_kernels __attribute__((tls_model("initial-exec"))) = false;
bool ReferenceKernels::enabled() { return t_reference_kernels; }
void ReferenceKernels::set_enabled(bool e) { t_reference_kernels = e; }

// ---- Attrs ----------------------------------------------------------------------------------

template <class T>
static const T& get_attr(const AttrValue& v, size_t k, const char* want) {
  const T* p = std::get_if<T>(&v);
  SINTER_ASSERT(p != nullptr, "attribute ", k, " is not ", want);
  return *p;
}
// A one-element int list (an attribute input given as a 1-D tensor of one value, as ONNX
// often stores scalars) reads as its element where a scalar is wanted.
static const int64_t* single(const AttrValue& v) {
  auto* l = std::get_if<DimVector>(&v);
  return l && l->size() == 1 ? &(*l)[0] : nullptr;
}
int64_t Attrs::i(size_t k) const {
  if (auto* d = std::get_if<double>(&(*this)[k])) return static_cast<int64_t>(*d);
  if (auto* one = single((*this)[k])) return *one;
  if (auto* b = std::get_if<bool>(&(*this)[k])) return *b;
  if (auto* s = std::get_if<Scalar>(&(*this)[k])) return s->to_long();
  return get_attr<int64_t>((*this)[k], k, "an int");
}
double Attrs::f(size_t k) const {
  if (auto* i = std::get_if<int64_t>(&(*this)[k])) return static_cast<double>(*i);
  if (auto* s = std::get_if<Scalar>(&(*this)[k])) return s->to_double();
  return get_attr<double>((*this)[k], k, "a float");
}
bool Attrs::b(size_t k) const {
  if (auto* i = std::get_if<int64_t>(&(*this)[k])) return *i != 0;
  return get_attr<bool>((*this)[k], k, "a bool");
}
Scalar Attrs::s(size_t k) const {
  if (auto* i = std::get_if<int64_t>(&(*this)[k])) return Scalar(*i);
  if (auto* d = std::get_if<double>(&(*this)[k])) return Scalar(*d);
  if (auto* b = std::get_if<bool>(&(*this)[k])) return Scalar(*b);
  if (auto* one = single((*this)[k])) return Scalar(*one);
  return get_attr<Scalar>((*this)[k], k, "a scalar");
}
IntArrayRef Attrs::ints(size_t k) const { return get_attr<DimVector>((*this)[k], k, "an int list"); }
const std::string& Attrs::str(size_t k) const { return get_attr<std::string>((*this)[k], k, "a string"); }
DType Attrs::dtype(size_t k) const { return get_attr<DType>((*this)[k], k, "a dtype"); }

// ---- helpers ------------------------------------------------------------------------------

int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim) {
  int64_t n = std::max<int64_t>(ndim, 1);  // a 0-dim tensor accepts dim 0 and -1
  int64_t w = dim < 0 ? dim + n : dim;
  SINTER_CHECK(w >= 0 && w < n, IndexError, op, ": dimension out of range (expected to be in range of [", -n,
               ", ", n - 1, "], but got ", dim, ")");
  return w;
}

DimVector broadcast_shapes(const char* op, IntArrayRef a, IntArrayRef b) {
  size_t n = std::max(a.size(), b.size());
  DimVector r(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    SINTER_CHECK(da == db || da == 1 || db == 1, ShapeError, op, ": shapes ", shape_str(a), " and ", shape_str(b),
                 " cannot be broadcast (size ", da, " vs ", db, " at dimension ", i, ")");
    r[i] = da == 1 ? db : da;
  }
  return r;
}

DimVector contiguous_strides(IntArrayRef sizes) {
  DimVector st(sizes.size());
  int64_t s = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    st[i] = s;
    s *= std::max<int64_t>(sizes[i], 1);
  }
  return st;
}

namespace {
// PyTorch's combine_categories: a lower tier only matters when it is of a higher category.
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_floating_point(*higher)) return higher;
  if (*higher == DType::Bool || is_floating_point(*lower)) return promote_types(*higher, *lower);
  return higher;
}
}  // namespace

DType result_type(std::span<const Tensor> ts) {
  // Three priority tiers: dimensioned tensors, zero-dim tensors, wrapped numbers.
  std::optional<DType> tier[3];
  for (auto& t : ts) {
    if (!t.defined()) continue;
    int k = t.impl()->wrapped_number ? 2 : t.dim() == 0 ? 1 : 0;
    DType d = t.dtype();
    if (k == 2 && is_floating_point(d)) d = default_dtype();
    tier[k] = tier[k] ? promote_types(*tier[k], d) : d;
  }
  auto r = combine(tier[0], combine(tier[1], tier[2]));
  return r ? *r : default_dtype();
}

DType result_type(const Tensor& t, const Scalar& s) {
  Tensor w = scalar_tensor(s, s.dtype());
  w.impl()->wrapped_number = true;
  const Tensor arr[2] = {t, w};
  return result_type(arr);
}

Tensor scalar_tensor(const Scalar& s, DType d) {
  Tensor t = detail::make_empty({}, d);
  visit_dtype(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    *static_cast<T*>(t.data_ptr()) = s.to<T>();
  });
  return t;
}

Tensor sum_to(const Tensor& grad, IntArrayRef sizes) {
  if (grad.sizes() == sizes) return grad;
  int64_t lead = grad.dim() - static_cast<int64_t>(sizes.size());
  SINTER_ASSERT(lead >= 0, "sum_to: grad of shape ", shape_str(grad.sizes()), " cannot be summed to ", shape_str(sizes));
  DimVector dims;
  for (int64_t i = 0; i < lead; ++i) dims.push_back(i);
  for (size_t i = 0; i < sizes.size(); ++i)
    if (sizes[i] == 1 && grad.size(lead + static_cast<int64_t>(i)) != 1) dims.push_back(lead + static_cast<int64_t>(i));
  Tensor r = dims.empty() ? grad : sinter::sum(grad, dims, /*keepdim=*/true);
  if (lead > 0 || r.sizes() != sizes) r = r.reshape(sizes);
  return r;
}

void throw_strings_not_supported(const OpDef& op, std::span<const Tensor> inputs) {
  std::string args;
  for (const Tensor& t : inputs) {
    if (!args.empty()) args += ", ";
    args += t.defined() ? detail::str_cat(dtype_name(t.dtype()), shape_str(t.sizes())) : std::string("None");
  }
  throw DTypeError(detail::str_cat(op.name, ": not supported for dtype string (inputs: ", args, ")"));
}

void throw_dtype(const char* op, DType t, const char* what) {
  throw DTypeError(detail::str_cat(op, ": ", what, " is not supported for dtype ", dtype_name(t)));
}

}  // namespace sinter::ops
