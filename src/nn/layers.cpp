// Embedding, Dropout and the pooling modules.
#include "sinter/autograd.h"
#include "sinter/nn/dropout.h"
#include "sinter/nn/embedding.h"
#include "sinter/nn/init.h"
#include "sinter/nn/pooling.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/nn.h"

namespace sinter::nn {

namespace {
using sinter::detail::str_cat;

void check_pool_input(const Tensor& input, size_t nd, const std::string& name) {
  const int64_t d = static_cast<int64_t>(nd);
  SINTER_CHECK(input.defined() && (input.dim() == d + 1 || input.dim() == d + 2), ShapeError, name,
               nd == 3 ? ": expected 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input, got input "
                       : ": expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got input ",
               input.defined() ? detail::shape_str(input.sizes()) : "(undefined)");
}
template <size_t D>
void check_positive(const ExpandingArray<D>& a, const char* name, const char* what) {
  for (size_t i = 0; i < D; ++i)
    SINTER_CHECK(a[i] > 0, ValueError, name, ": ", what, " must be positive, got ", detail::tuple_str(a.vec()));
}
}  // namespace

// ---- Embedding ---------------------------------------------------------------------------------

EmbeddingImpl::EmbeddingImpl(const EmbeddingOptions& options_) : Module("Embedding"), options(options_) {
  const int64_t n = options.num_embeddings(), d = options.embedding_dim();
  SINTER_CHECK(n >= 0 && d >= 0, ValueError, "Embedding: num_embeddings and embedding_dim must be non-negative, got ",
               n, " and ", d);
  SINTER_CHECK(!options.max_norm() && !options.scale_grad_by_freq() && !options.sparse(), NotImplementedError,
               "Embedding: max_norm, scale_grad_by_freq and sparse are not supported");
  if (auto& p = options.padding_idx()) {
    SINTER_CHECK(*p < n && *p >= -n, ValueError, "Embedding: padding_idx ", *p, " must be within num_embeddings (",
                 n, ")");
    if (*p < 0) p = *p + n;
  }
  if (options._weight().defined()) {
    const Tensor& w = options._weight();
    SINTER_CHECK(w.dim() == 2 && w.size(0) == n && w.size(1) == d, ShapeError, "Embedding: _weight ",
                 detail::shape_str(w.sizes()), " does not match (num_embeddings, embedding_dim) (", n, ", ", d, ")");
    weight = register_parameter("weight", w.detach());
  } else {
    weight = register_parameter("weight", sinter::empty({n, d}));
    reset_parameters();
  }
}

void EmbeddingImpl::reset_parameters() {
  init::normal_(weight);
  if (options.padding_idx()) {
    NoGradGuard g;
    weight.select(0, *options.padding_idx()).fill_(0);
  }
}

Tensor EmbeddingImpl::forward(const Tensor& indices) {
  SINTER_CHECK(indices.defined() && !indices.is_floating_point() && indices.dtype() != kBool, DTypeError,
               "Embedding: expected an integer index tensor, got ",
               indices.defined() ? dtype_name(indices.dtype()) : "an undefined tensor");
  return embedding(weight, indices, options.padding_idx());
}

std::string EmbeddingImpl::extra_repr() const {
  std::string s = str_cat(options.num_embeddings(), ", ", options.embedding_dim());
  if (options.padding_idx()) s += str_cat(", padding_idx=", *options.padding_idx());
  return s;
}

Embedding Embedding::from_pretrained(const Tensor& embeddings, const EmbeddingFromPretrainedOptions& o) {
  SINTER_CHECK(embeddings.defined() && embeddings.dim() == 2, ShapeError,
               "Embedding::from_pretrained: embeddings must be 2-D, got ",
               embeddings.defined() ? detail::shape_str(embeddings.sizes()) : "an undefined tensor");
  Embedding e(EmbeddingOptions(embeddings.size(0), embeddings.size(1))
                  .padding_idx(o.padding_idx())
                  .max_norm(o.max_norm())
                  .norm_type(o.norm_type())
                  .scale_grad_by_freq(o.scale_grad_by_freq())
                  .sparse(o.sparse())
                  ._weight(embeddings.detach().clone()));
  e->weight.requires_grad_(!o.freeze());
  return e;
}

// ---- Dropout -----------------------------------------------------------------------------------

DropoutImpl::DropoutImpl(const DropoutOptions& options_) : Module("Dropout"), options(options_) {
  SINTER_CHECK(options.p() >= 0 && options.p() <= 1, ValueError,
               "Dropout: dropout probability has to be between 0 and 1, but got ", options.p());
}

Tensor DropoutImpl::forward(Tensor input) {
  Tensor y = dropout(input, options.p(), is_training());
  if (!options.inplace() || y.is_same(input)) return y;
  input.copy_(y);
  return input;
}

std::string DropoutImpl::extra_repr() const {
  return str_cat("p=", detail::py_float(options.p()), ", inplace=", detail::py_bool(options.inplace()));
}

Dropout2dImpl::Dropout2dImpl(const Dropout2dOptions& options_) : Module("Dropout2d"), options(options_) {
  SINTER_CHECK(options.p() >= 0 && options.p() <= 1, ValueError,
               "Dropout2d: dropout probability has to be between 0 and 1, but got ", options.p());
}

Tensor Dropout2dImpl::forward(Tensor input) {
  SINTER_CHECK(input.dim() == 3 || input.dim() == 4, ShapeError,
               "Dropout2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ", shape_str(input.sizes()));
  if (!is_training() || options.p() == 0) return input;
  DimVector mask_shape(input.sizes());
  for (int64_t d = input.dim() - 2; d < input.dim(); ++d) mask_shape[d] = 1;
  Tensor mask = empty(mask_shape, TensorOptions().dtype(input.dtype()));
  if (options.p() == 1) mask.zero_();
  else mask.bernoulli_(1 - options.p()).div_(1 - options.p());
  if (!options.inplace()) return input * mask;
  return input.mul_(mask);
}

std::string Dropout2dImpl::extra_repr() const {
  return str_cat("p=", detail::py_float(options.p()), ", inplace=", detail::py_bool(options.inplace()));
}

// ---- pooling -----------------------------------------------------------------------------------

template <size_t D>
void check_pool_window(const ExpandingArray<D>& padding, const ExpandingArray<D>& kernel_size, const char* name) {
  for (size_t i = 0; i < D; ++i)
    SINTER_CHECK(padding[i] >= 0 && padding[i] * 2 <= kernel_size[i], ValueError, name, ": padding ",
                 detail::tuple_str(padding.vec()), " should be at most half of kernel_size ",
                 detail::tuple_str(kernel_size.vec()));
}

template <size_t D>
MaxPoolNdImpl<D>::MaxPoolNdImpl(const MaxPoolOptions<D>& options_, const char* name) : Module(name), options(options_) {
  check_positive(options.kernel_size(), name, "kernel_size");
  check_positive(options.stride(), name, "stride");
  check_positive(options.dilation(), name, "dilation");
  check_pool_window(options.padding(), options.kernel_size(), name);
}
template <size_t D>
Tensor MaxPoolNdImpl<D>::forward(const Tensor& input) {
  check_pool_input(input, D, name());
  const auto& o = options;
  if constexpr (D == 2) return max_pool2d(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
  else return max_pool3d(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}
template <size_t D>
std::string MaxPoolNdImpl<D>::extra_repr() const {
  const auto& o = options;
  return str_cat("kernel_size=", detail::py_repr(o.kernel_size()), ", stride=", detail::py_repr(o.stride()),
                 ", padding=", detail::py_repr(o.padding()), ", dilation=", detail::py_repr(o.dilation()),
                 ", ceil_mode=", detail::py_bool(o.ceil_mode()));
}
template class MaxPoolNdImpl<2>;
template class MaxPoolNdImpl<3>;

template <size_t D>
AvgPoolNdImpl<D>::AvgPoolNdImpl(const AvgPoolOptions<D>& options_, const char* name) : Module(name), options(options_) {
  check_positive(options.kernel_size(), name, "kernel_size");
  check_positive(options.stride(), name, "stride");
  check_pool_window(options.padding(), options.kernel_size(), name);
  SINTER_CHECK(!options.divisor_override() || *options.divisor_override() != 0, ValueError, name,
               ": divisor_override must not be zero");
}
template <size_t D>
Tensor AvgPoolNdImpl<D>::forward(const Tensor& input) {
  check_pool_input(input, D, name());
  const auto& o = options;
  if constexpr (D == 2)
    return avg_pool2d(input, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(), o.count_include_pad(),
                      o.divisor_override());
  else
    return avg_pool3d(input, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(), o.count_include_pad(),
                      o.divisor_override());
}
template <size_t D>
std::string AvgPoolNdImpl<D>::extra_repr() const {
  const auto& o = options;
  return str_cat("kernel_size=", detail::py_repr(o.kernel_size()), ", stride=", detail::py_repr(o.stride()),
                 ", padding=", detail::py_repr(o.padding()));
}
template class AvgPoolNdImpl<2>;
template class AvgPoolNdImpl<3>;

AdaptiveAvgPool2dImpl::AdaptiveAvgPool2dImpl(const AdaptiveAvgPool2dOptions& options_)
    : Module("AdaptiveAvgPool2d"), options(options_) {
  check_positive(options.output_size(), "AdaptiveAvgPool2d", "output_size");
}
Tensor AdaptiveAvgPool2dImpl::forward(const Tensor& input) {
  check_pool_input(input, 2, name());
  return adaptive_avg_pool2d(input, options.output_size());
}
std::string AdaptiveAvgPool2dImpl::extra_repr() const {
  return "output_size=" + detail::py_repr(options.output_size());
}

}  // namespace sinter::nn
