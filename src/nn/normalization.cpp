#include "sinter/nn/normalization.h"

#include "sinter/autograd.h"
#include "sinter/nn/init.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/nn.h"

namespace sinter::nn {

namespace {
using sinter::detail::str_cat;

/// Checks that the trailing dims of input equal normalized_shape.
void check_normalized_shape(const Tensor& input, const std::vector<int64_t>& shape, const std::string& name) {
  const int64_t n = static_cast<int64_t>(shape.size());
  bool ok = input.defined() && input.dim() >= n;
  for (int64_t i = 0; ok && i < n; ++i) ok = input.size(input.dim() - n + i) == shape[i];
  SINTER_CHECK(ok, ShapeError, name, ": input ", input.defined() ? detail::shape_str(input.sizes()) : "(undefined)",
               " does not end with normalized_shape ", detail::tuple_str(shape));
}
}  // namespace

// ---- BatchNorm ---------------------------------------------------------------------------------

BatchNormImplBase::BatchNormImplBase(const BatchNormOptions& options_, const char* name)
    : Module(name), options(options_) {
  const int64_t n = options.num_features();
  SINTER_CHECK(n > 0, ValueError, name, ": num_features must be positive, got ", n);
  weight = register_parameter("weight", options.affine() ? sinter::empty({n}) : Tensor(), options.affine());
  bias = register_parameter("bias", options.affine() ? sinter::empty({n}) : Tensor(), options.affine());
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", zeros({n}));
    running_var = register_buffer("running_var", ones({n}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, TensorOptions(kLong)));
  }
  reset_parameters();
}

void BatchNormImplBase::reset_running_stats() {
  if (!options.track_running_stats()) return;
  NoGradGuard g;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

void BatchNormImplBase::reset_parameters() {
  reset_running_stats();
  if (options.affine()) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

Tensor BatchNormImplBase::forward(const Tensor& input) {
  check_input_dim(input);
  SINTER_CHECK(input.size(1) == options.num_features(), ShapeError, name(), ": input ",
               detail::shape_str(input.sizes()), " has ", input.size(1), " features (dim 1), expected num_features ",
               options.num_features());
  double factor = options.momentum().value_or(0.0);
  if (is_training() && options.track_running_stats()) {
    NoGradGuard g;
    num_batches_tracked.add_(1);
    if (!options.momentum()) factor = 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
  }
  const bool use_batch_stats = is_training() || !options.track_running_stats();
  if (use_batch_stats)
    SINTER_CHECK(input.numel() / input.size(1) > 1, ValueError, name(),
                 ": expected more than 1 value per channel when training, got input ",
                 detail::shape_str(input.sizes()));
  // Running statistics are updated only when they exist and the module is training.
  const bool pass_stats = !is_training() || options.track_running_stats();
  return batch_norm(input, pass_stats ? running_mean : Tensor(), pass_stats ? running_var : Tensor(), weight, bias,
                    use_batch_stats, factor, options.eps());
}

std::string BatchNormImplBase::extra_repr() const {
  return str_cat(options.num_features(), ", eps=", detail::py_float(options.eps()), ", momentum=",
                 options.momentum() ? detail::py_float(*options.momentum()) : std::string("None"),
                 ", affine=", detail::py_bool(options.affine()),
                 ", track_running_stats=", detail::py_bool(options.track_running_stats()));
}

void BatchNorm1dImpl::check_input_dim(const Tensor& input) const {
  SINTER_CHECK(input.defined() && (input.dim() == 2 || input.dim() == 3), ShapeError,
               "BatchNorm1d: expected 2-D or 3-D input, got input ",
               input.defined() ? detail::shape_str(input.sizes()) : "(undefined)");
}
namespace {
void check_rank(const Tensor& input, int64_t rank, const char* name) {
  SINTER_CHECK(input.defined() && input.dim() == rank, ShapeError, name, ": expected ", rank, "-D input, got input ",
               input.defined() ? detail::shape_str(input.sizes()) : "(undefined)");
}
}  // namespace
void BatchNorm2dImpl::check_input_dim(const Tensor& input) const { check_rank(input, 4, "BatchNorm2d"); }
void BatchNorm3dImpl::check_input_dim(const Tensor& input) const { check_rank(input, 5, "BatchNorm3d"); }

// ---- LayerNorm ---------------------------------------------------------------------------------

LayerNormImpl::LayerNormImpl(const LayerNormOptions& options_) : Module("LayerNorm"), options(options_) {
  for (int64_t s : options.normalized_shape())
    SINTER_CHECK(s >= 0, ValueError, "LayerNorm: normalized_shape must be non-negative, got ",
                 detail::tuple_str(options.normalized_shape()));
  const bool a = options.elementwise_affine();
  weight = register_parameter("weight", a ? sinter::empty(options.normalized_shape()) : Tensor(), a);
  bias = register_parameter("bias", a ? sinter::empty(options.normalized_shape()) : Tensor(), a);
  reset_parameters();
}
void LayerNormImpl::reset_parameters() {
  if (!options.elementwise_affine()) return;
  init::ones_(weight);
  init::zeros_(bias);
}
Tensor LayerNormImpl::forward(const Tensor& input) {
  check_normalized_shape(input, options.normalized_shape(), name());
  return layer_norm(input, options.normalized_shape(), weight, bias, options.eps());
}
std::string LayerNormImpl::extra_repr() const {
  return str_cat(detail::tuple_str(options.normalized_shape()), ", eps=", detail::py_float(options.eps()),
                 ", elementwise_affine=", detail::py_bool(options.elementwise_affine()));
}

// ---- GroupNorm ---------------------------------------------------------------------------------

GroupNormImpl::GroupNormImpl(const GroupNormOptions& options_) : Module("GroupNorm"), options(options_) {
  SINTER_CHECK(options.num_groups() > 0 && options.num_channels() % options.num_groups() == 0, ValueError,
               "GroupNorm: num_channels (", options.num_channels(), ") must be divisible by num_groups (",
               options.num_groups(), ")");
  const bool a = options.affine();
  weight = register_parameter("weight", a ? sinter::empty({options.num_channels()}) : Tensor(), a);
  bias = register_parameter("bias", a ? sinter::empty({options.num_channels()}) : Tensor(), a);
  reset_parameters();
}
void GroupNormImpl::reset_parameters() {
  if (!options.affine()) return;
  init::ones_(weight);
  init::zeros_(bias);
}
Tensor GroupNormImpl::forward(const Tensor& input) {
  SINTER_CHECK(input.defined() && input.dim() >= 2 && input.size(1) == options.num_channels(), ShapeError,
               "GroupNorm: input ", input.defined() ? detail::shape_str(input.sizes()) : "(undefined)",
               " does not have num_channels ", options.num_channels(), " in dim 1");
  return group_norm(input, options.num_groups(), weight, bias, options.eps());
}
std::string GroupNormImpl::extra_repr() const {
  return str_cat(options.num_groups(), ", ", options.num_channels(), ", eps=", detail::py_float(options.eps()),
                 ", affine=", detail::py_bool(options.affine()));
}

// ---- RMSNorm -----------------------------------------------------------------------------------

RMSNormImpl::RMSNormImpl(const RMSNormOptions& options_) : Module("RMSNorm"), options(options_) {
  for (int64_t s : options.normalized_shape())
    SINTER_CHECK(s >= 0, ValueError, "RMSNorm: normalized_shape must be non-negative, got ",
                 detail::tuple_str(options.normalized_shape()));
  const bool a = options.elementwise_affine();
  weight = register_parameter("weight", a ? sinter::empty(options.normalized_shape()) : Tensor(), a);
  reset_parameters();
}
void RMSNormImpl::reset_parameters() {
  if (options.elementwise_affine()) init::ones_(weight);
}
Tensor RMSNormImpl::forward(const Tensor& input) {
  check_normalized_shape(input, options.normalized_shape(), name());
  return rms_norm(input, options.normalized_shape(), weight, options.eps());
}
std::string RMSNormImpl::extra_repr() const {
  return str_cat(detail::tuple_str(options.normalized_shape()), ", eps=",
                 options.eps() ? detail::py_float(*options.eps()) : std::string("None"),
                 ", elementwise_affine=", detail::py_bool(options.elementwise_affine()));
}

}  // namespace sinter::nn
