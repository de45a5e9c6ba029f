// LibTorch source compatibility: a program written against LibTorch's C++ frontend builds
// against sinter by replacing `#include <torch/torch.h>` with `#include <sinter/torch.h>`.
//
//   namespace torch              tensors, dtypes, devices, factories, ops, grad modes, manual_seed
//   torch::indexing              Slice, None, Ellipsis, TensorIndex
//   torch::autograd              grad, backward, Function<T>, AutogradContext, variable_list
//   torch::nn::functional (F)    functional ops with LibTorch's options structs
//   torch::nn                    sinter::nn: Module, TORCH_MODULE holders, layers, init, utils
//   torch::optim                 sinter::optim: optimizers and LR schedulers
//   torch::data                  sinter::data: datasets (MNIST), transforms, data loaders
//   torch::cuda                  is_available() (false: this build runs on the CPU)
//   at::, c10::                  the ATen/c10 names LibTorch programs commonly spell out
//
// Names are the same entities as sinter's (`torch::Tensor` is `sinter::Tensor`), so sinter and
// LibTorch-style code mix freely.
#pragma once
#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "sinter/arg.h"
#include "sinter/data.h"
#include "sinter/nn.h"
#include "sinter/optim.h"
#include "sinter/sinter.h"

namespace torch {

// ---- types, dtypes, devices --------------------------------------------------------------------
using sinter::BFloat16;
using sinter::Device;
using sinter::DeviceType;
using sinter::DType;
using Dtype = sinter::DType;
using sinter::Generator;
using sinter::Half;
using sinter::IntArrayRef;
using sinter::MemoryFormat;
using sinter::Scalar;
using sinter::ScalarType;
using sinter::Tensor;
using sinter::TensorList;
using sinter::TensorOptions;

using sinter::kBFloat16;
using sinter::kBool;
using sinter::kByte;
using sinter::kChar;
using sinter::kCPU;
using sinter::kCUDA;
using sinter::kDouble;
using sinter::kFloat;
using sinter::kFloat16;
using sinter::kFloat32;
using sinter::kFloat64;
using sinter::kHalf;
using sinter::kInt;
using sinter::kInt16;
using sinter::kInt32;
using sinter::kInt64;
using sinter::kInt8;
using sinter::kLong;
using sinter::kShort;
using sinter::kUInt16;
using sinter::kUInt32;
using sinter::kUInt64;
using sinter::kUInt8;

using sinter::default_dtype;
using sinter::device;
using sinter::dtype;
using sinter::promote_types;
using sinter::requires_grad;
using sinter::set_default_dtype;

// ---- grad modes, seeds, threads ----------------------------------------------------------------
using sinter::AnomalyMode;
using sinter::AutoGradMode;
using sinter::DetectAnomalyGuard;
using sinter::GradMode;
using sinter::NoGradGuard;
using sinter::default_generator;
using sinter::get_num_threads;
/// LibTorch's InferenceMode guard: no autograd recording in its scope (as NoGradGuard).
class InferenceMode {
 public:
  explicit InferenceMode(bool enabled = true) : prev_(GradMode::is_enabled()) {
    if (enabled) GradMode::set_enabled(false);
  }
  ~InferenceMode() { GradMode::set_enabled(prev_); }
  InferenceMode(const InferenceMode&) = delete;
  InferenceMode& operator=(const InferenceMode&) = delete;
  static bool is_enabled() { return !GradMode::is_enabled(); }

 private:
  bool prev_;
};
using sinter::manual_seed;
using sinter::set_num_threads;

// ---- factories ---------------------------------------------------------------------------------
using sinter::arange;
using sinter::bernoulli;
using sinter::empty;
using sinter::empty_like;
using sinter::eye;
using sinter::from_blob;
using sinter::full;
using sinter::full_like;
using sinter::linspace;
using sinter::multinomial;
using sinter::normal;
using sinter::ones;
using sinter::ones_like;
using sinter::rand;
using sinter::rand_like;
using sinter::randint;
using sinter::randint_like;
using sinter::randn;
using sinter::randn_like;
using sinter::randperm;
using sinter::scalar_tensor;
using sinter::tensor;
using sinter::zeros;
using sinter::zeros_like;

// ---- elementwise ops ---------------------------------------------------------------------------
using sinter::abs;
using sinter::add;
using sinter::addcdiv;
using sinter::addcmul;
using sinter::allclose;
using sinter::atan2;
using sinter::bitwise_and;
using sinter::bitwise_not;
using sinter::bitwise_or;
using sinter::bitwise_xor;
using sinter::bitwise_left_shift;
using sinter::bitwise_right_shift;
using sinter::ceil;
using sinter::clamp;
using sinter::clamp_max;
using sinter::clamp_min;
using sinter::cos;
using sinter::div;
using sinter::eq;
using sinter::equal;
using sinter::erf;
using sinter::exp;
using sinter::exp2;
using sinter::expm1;
using sinter::floor;
using sinter::floor_divide;
using sinter::fmod;
using sinter::ge;
using sinter::gt;
using sinter::isclose;
using sinter::isfinite;
using sinter::isinf;
using sinter::isnan;
using sinter::le;
using sinter::lerp;
using sinter::log;
using sinter::log1p;
using sinter::log2;
using sinter::logical_and;
using sinter::logical_not;
using sinter::logical_or;
using sinter::logical_xor;
using sinter::lt;
using sinter::maximum;
using sinter::minimum;
using sinter::mul;
using sinter::ne;
using sinter::neg;
using sinter::pow;
using sinter::reciprocal;
using sinter::remainder;
using sinter::round;
using sinter::rsqrt;
using sinter::rsub;
using sinter::sign;
using sinter::sin;
using sinter::sqrt;
using sinter::square;
using sinter::sub;
using sinter::tan;
using sinter::trunc;
using sinter::where;

// activations (also in torch::nn::functional)
using sinter::elu;
using sinter::gelu;
using sinter::hardsigmoid;
using sinter::hardswish;
using sinter::hardtanh;
using sinter::leaky_relu;
using sinter::logsigmoid;
using sinter::mish;
using sinter::relu;
using sinter::relu6;
using sinter::selu;
using sinter::sigmoid;
using sinter::silu;
using sinter::softplus;
using sinter::tanh;

// ---- reductions, scans -------------------------------------------------------------------------
using sinter::all;
using sinter::amax;
using sinter::amin;
using sinter::any;
using sinter::argmax;
using sinter::argmin;
using sinter::count_nonzero;
using sinter::cumprod;
using sinter::cumsum;
using sinter::logsumexp;
using sinter::max;
using sinter::mean;
using sinter::min;
using sinter::norm;
using sinter::prod;
using sinter::std;
using sinter::sum;
using sinter::var;
using sinter::var_mean;

// ---- shapes, views, indexing -------------------------------------------------------------------
using sinter::as_strided;
using sinter::broadcast_tensors;
using sinter::cat;
using sinter::chunk;
using sinter::clone;
using sinter::concat;
using sinter::contiguous;
using sinter::diagonal;
using sinter::expand;
using sinter::flatten;
using sinter::flip;
using sinter::gather;
using sinter::index;
using sinter::index_put;
using sinter::index_put_;
using sinter::index_select;
using sinter::masked_fill;
using sinter::masked_select;
using sinter::movedim;
using sinter::narrow;
using sinter::nonzero;
using sinter::pad;
using sinter::permute;
using sinter::repeat;
using sinter::reshape;
using sinter::roll;
using sinter::scatter;
using sinter::scatter_add;
using sinter::select;
using sinter::slice;
using sinter::split;
using sinter::squeeze;
using sinter::stack;
using sinter::t;
using sinter::tile;
using sinter::transpose;
using sinter::tril;
using sinter::triu;
using sinter::unbind;
using sinter::unflatten;
using sinter::unsqueeze;
using sinter::view;

// ---- linear algebra, nn ops, losses ------------------------------------------------------------
using sinter::addmm;
using sinter::bmm;
using sinter::dot;
using sinter::einsum;
using sinter::matmul;
using sinter::mm;
using sinter::mv;
using sinter::outer;

using sinter::adaptive_avg_pool2d;
using sinter::avg_pool2d;
using sinter::avg_pool3d;
using sinter::batch_norm;
using sinter::conv1d;
using sinter::conv2d;
using sinter::conv3d;
using sinter::conv_transpose1d;
using sinter::conv_transpose2d;
using sinter::conv_transpose3d;
using sinter::dropout;
using sinter::embedding;
using sinter::group_norm;
using sinter::interpolate;
using sinter::layer_norm;
using sinter::linear;
using sinter::log_softmax;
using sinter::max_pool2d;
using sinter::max_pool2d_with_indices;
using sinter::max_pool3d;
using sinter::max_pool3d_with_indices;
using sinter::one_hot;
using sinter::rms_norm;
using sinter::scaled_dot_product_attention;
using sinter::softmax;

using sinter::binary_cross_entropy;
using sinter::binary_cross_entropy_with_logits;
using sinter::cross_entropy;
using sinter::huber_loss;
using sinter::kl_div;
using sinter::l1_loss;
using sinter::mse_loss;
using sinter::nll_loss;
using sinter::smooth_l1_loss;

// ATen's loss signatures, as LibTorch exposes them at torch::: reduction is an at::Reduction
// (0 none, 1 mean, 2 sum) and optional tensors come before it.
namespace detail {
inline const char* reduction_name(int64_t r) {
  SINTER_CHECK(r >= 0 && r <= 2, ValueError, "reduction: expected at::Reduction::None, Mean or Sum (0, 1 or 2), got ", r);
  static const char* const names[] = {"none", "mean", "sum"};
  return names[r];
}
inline Tensor value_or_undefined(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }
}  // namespace detail
inline Tensor mse_loss(const Tensor& self, const Tensor& target, int64_t reduction) {
  return sinter::mse_loss(self, target, detail::reduction_name(reduction));
}
inline Tensor l1_loss(const Tensor& self, const Tensor& target, int64_t reduction) {
  return sinter::l1_loss(self, target, detail::reduction_name(reduction));
}
inline Tensor smooth_l1_loss(const Tensor& self, const Tensor& target, int64_t reduction, double beta = 1.0) {
  return sinter::smooth_l1_loss(self, target, detail::reduction_name(reduction), beta);
}
inline Tensor huber_loss(const Tensor& self, const Tensor& target, int64_t reduction, double delta = 1.0) {
  return sinter::huber_loss(self, target, detail::reduction_name(reduction), delta);
}
inline Tensor kl_div(const Tensor& self, const Tensor& target, int64_t reduction, bool log_target = false) {
  return sinter::kl_div(self, target, detail::reduction_name(reduction), log_target);
}
inline Tensor binary_cross_entropy(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight,
                                   int64_t reduction) {
  return sinter::binary_cross_entropy(self, target, detail::value_or_undefined(weight), detail::reduction_name(reduction));
}
inline Tensor binary_cross_entropy_with_logits(const Tensor& self, const Tensor& target,
                                               const std::optional<Tensor>& weight,
                                               const std::optional<Tensor>& pos_weight, int64_t reduction = 1) {
  return sinter::binary_cross_entropy_with_logits(self, target, detail::value_or_undefined(weight),
                                                  detail::reduction_name(reduction),
                                                  detail::value_or_undefined(pos_weight));
}
inline Tensor nll_loss(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight, int64_t reduction,
                       int64_t ignore_index = -100) {
  return sinter::nll_loss(self, target, detail::value_or_undefined(weight), detail::reduction_name(reduction),
                          ignore_index);
}
inline Tensor cross_entropy_loss(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight = {},
                                 int64_t reduction = 1, int64_t ignore_index = -100, double label_smoothing = 0.0) {
  return sinter::cross_entropy(self, target, detail::value_or_undefined(weight), detail::reduction_name(reduction),
                               ignore_index, label_smoothing);
}

// ---- IValue: the value type of AutogradContext::saved_data -------------------------------------

/// A dynamically typed value, as LibTorch's c10::IValue: None, double, int, bool, string, Tensor,
/// or lists of ints, doubles and tensors. `toX()` throws sinter::ValueError on the wrong kind.
class IValue {
 public:
  IValue() = default;
  IValue(std::nullopt_t) {}
  IValue(bool v) : v_(v) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  IValue(T v) : v_(static_cast<int64_t>(v)) {}
  template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  IValue(T v) : v_(static_cast<double>(v)) {}
  IValue(std::string v) : v_(std::move(v)) {}
  IValue(const char* v) : v_(std::string(v)) {}
  IValue(Tensor v) : v_(std::move(v)) {}
  IValue(std::vector<int64_t> v) : v_(std::move(v)) {}
  IValue(IntArrayRef v) : v_(std::vector<int64_t>(v.begin(), v.end())) {}
  IValue(std::vector<double> v) : v_(std::move(v)) {}
  IValue(std::vector<Tensor> v) : v_(std::move(v)) {}
  IValue(const Scalar& s) {
    if (s.is_floating_point()) v_ = s.to_double();
    else if (s.is_boolean()) v_ = s.to_bool();
    else v_ = s.to_long();
  }

  bool isNone() const { return v_.index() == 0; }
  bool isDouble() const { return std::holds_alternative<double>(v_); }
  bool isInt() const { return std::holds_alternative<int64_t>(v_); }
  bool isBool() const { return std::holds_alternative<bool>(v_); }
  bool isString() const { return std::holds_alternative<std::string>(v_); }
  bool isTensor() const { return std::holds_alternative<Tensor>(v_); }
  bool isIntList() const { return std::holds_alternative<std::vector<int64_t>>(v_); }
  bool isDoubleList() const { return std::holds_alternative<std::vector<double>>(v_); }
  bool isTensorList() const { return std::holds_alternative<std::vector<Tensor>>(v_); }
  bool isScalar() const { return isDouble() || isInt() || isBool(); }

  double toDouble() const { return get<double>("Double"); }
  int64_t toInt() const { return get<int64_t>("Int"); }
  bool toBool() const { return get<bool>("Bool"); }
  const std::string& toStringRef() const { return get<std::string>("String"); }
  Tensor toTensor() const { return get<Tensor>("Tensor"); }
  std::vector<int64_t> toIntVector() const { return get<std::vector<int64_t>>("IntList"); }
  std::vector<double> toDoubleVector() const { return get<std::vector<double>>("DoubleList"); }
  std::vector<Tensor> toTensorVector() const { return get<std::vector<Tensor>>("TensorList"); }
  Scalar toScalar() const {
    if (isDouble()) return Scalar(toDouble());
    if (isBool()) return Scalar(toBool());
    return Scalar(toInt());
  }
  /// "None", "Double", "Int", "Bool", "String", "Tensor", "IntList", "DoubleList", "TensorList".
  std::string tagKind() const {
    static const char* kinds[] = {"None", "Double", "Int", "Bool", "String", "Tensor", "IntList", "DoubleList", "TensorList"};
    return kinds[v_.index()];
  }

 private:
  template <class T>
  const T& get(const char* want) const {
    const T* p = std::get_if<T>(&v_);
    SINTER_CHECK(p != nullptr, ValueError, "IValue: expected ", want, " but got ", tagKind());
    return *p;
  }
  std::variant<std::monostate, double, int64_t, bool, std::string, Tensor, std::vector<int64_t>, std::vector<double>,
               std::vector<Tensor>>
      v_;
};

// ---- indexing ----------------------------------------------------------------------------------
namespace indexing {
using sinter::indexing::Ellipsis;
using sinter::indexing::EllipsisIndexType;
using sinter::indexing::Slice;
using sinter::indexing::TensorIndex;
/// LibTorch's None is c10::nullopt: it converts to an absent Slice bound and to a TensorIndex.
constexpr std::nullopt_t None = std::nullopt;
}  // namespace indexing

// ---- autograd ----------------------------------------------------------------------------------
namespace autograd {

using Variable = sinter::Tensor;
using variable_list = std::vector<sinter::Tensor>;
using tensor_list = variable_list;
using sinter::Edge;
using sinter::GradMode;
using sinter::Node;
using sinter::autograd::backward;
using sinter::autograd::grad;

/// The context handed to a custom Function's forward and backward, as in LibTorch:
/// save_for_backward / get_saved_variables, saved_data (IValues), mark_dirty,
/// mark_non_differentiable, needs_input_grad.
struct AutogradContext : sinter::autograd::AutogradContext {
  /// Non-tensor values for backward: `ctx->saved_data["scale"] = 2.0; ... .toDouble()`.
  std::unordered_map<std::string, IValue> saved_data;
  /// Kept for source compatibility; undefined output gradients always arrive as zeros.
  void set_materialize_grads(bool) {}
};

namespace detail {
inline std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(name);
}
// One flag per forward argument: is it a Tensor (a differentiable input)?
inline void collect(std::vector<bool>&, variable_list&) {}
template <class A, class... Rest>
void collect(std::vector<bool>& is_var, variable_list& vars, const A& a, const Rest&... rest) {
  if constexpr (std::is_same_v<std::decay_t<A>, Tensor>) {
    is_var.push_back(true);
    vars.push_back(a);
  } else if constexpr (std::is_same_v<std::decay_t<A>, std::optional<Tensor>>) {
    is_var.push_back(true);
    vars.push_back(a ? *a : Tensor());
  } else {
    is_var.push_back(false);
  }
  collect(is_var, vars, rest...);
}
}  // namespace detail

/// A custom differentiable operation, as in LibTorch:
///
///   struct MulConstant : torch::autograd::Function<MulConstant> {
///     static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, double c) {
///       ctx->saved_data["c"] = c;
///       return x * c;
///     }
///     static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
///                                                    torch::autograd::variable_list g) {
///       return {g[0] * ctx->saved_data["c"].toDouble(), torch::Tensor()};
///     }
///   };
///   auto y = MulConstant::apply(x, 2.0);
///
/// backward returns one gradient per forward argument (an undefined Tensor for arguments that
/// are not tensors, or that need no gradient).
template <class T>
struct Function {
  template <class... Args>
  static auto apply(Args&&... args) {
    auto ctx = std::make_shared<AutogradContext>();
    auto is_var = std::make_shared<std::vector<bool>>();
    variable_list inputs;
    detail::collect(*is_var, inputs, args...);
    for (auto& t : inputs) ctx->needs_input_grad_.push_back(t.defined() && t.requires_grad());
    using Out = decltype(T::forward(ctx.get(), std::forward<Args>(args)...));
    Out out;
    {
      sinter::AutoGradMode no_grad(false);
      out = T::forward(ctx.get(), std::forward<Args>(args)...);
    }
    auto backward = [is_var](sinter::autograd::AutogradContext* c, variable_list grads) -> variable_list {
      variable_list g = T::backward(static_cast<AutogradContext*>(c), std::move(grads));
      const size_t n = is_var->size();
      for (size_t i = n; i < g.size(); ++i)
        SINTER_CHECK(!g[i].defined(), AutogradError, "function ", detail::demangle(typeid(T).name()),
                     " backward returned an incorrect number of gradients (expected ", n, ", got ", g.size(), ")");
      SINTER_CHECK(g.size() >= n, AutogradError, "function ", detail::demangle(typeid(T).name()),
                   " backward returned an incorrect number of gradients (expected ", n, ", got ", g.size(), ")");
      variable_list r;
      for (size_t i = 0; i < n; ++i) {
        if ((*is_var)[i]) r.push_back(std::move(g[i]));
        else
          SINTER_CHECK(!g[i].defined(), AutogradError, "function ", detail::demangle(typeid(T).name()),
                       " backward returned a gradient different than an undefined tensor at position ", i + 1,
                       ", but the corresponding forward input was not a Variable");
      }
      return r;
    };
    variable_list outs = sinter::autograd::detail::wrap_custom_function(
        detail::demangle(typeid(T).name()), inputs, sinter::autograd::detail::to_list(out), ctx, backward);
    if constexpr (std::is_same_v<Out, Tensor>) return outs[0];
    else return outs;
  }
};

}  // namespace autograd

// ---- cuda (not in this build) ------------------------------------------------------------------
namespace cuda {
inline bool is_available() { return false; }
inline int64_t device_count() { return 0; }
inline bool cudnn_is_available() { return false; }
}  // namespace cuda

// ---- enum tags used by options (torch::kMean, torch::kSame, torch::kBilinear, ...) ------------
namespace enumtype {
#define SINTER_TORCH_ENUM(name, str) \
  struct name {                      \
    static constexpr const char* value = str; \
  };
SINTER_TORCH_ENUM(kNone, "none")
SINTER_TORCH_ENUM(kMean, "mean")
SINTER_TORCH_ENUM(kSum, "sum")
SINTER_TORCH_ENUM(kBatchMean, "batchmean")
SINTER_TORCH_ENUM(kValid, "valid")
SINTER_TORCH_ENUM(kSame, "same")
SINTER_TORCH_ENUM(kConstant, "constant")
SINTER_TORCH_ENUM(kReflect, "reflect")
SINTER_TORCH_ENUM(kReplicate, "replicate")
SINTER_TORCH_ENUM(kCircular, "circular")
SINTER_TORCH_ENUM(kNearest, "nearest")
SINTER_TORCH_ENUM(kNearestExact, "nearest-exact")
SINTER_TORCH_ENUM(kLinear, "linear")
SINTER_TORCH_ENUM(kBilinear, "bilinear")
SINTER_TORCH_ENUM(kBicubic, "bicubic")
SINTER_TORCH_ENUM(kTrilinear, "trilinear")
SINTER_TORCH_ENUM(kArea, "area")
#undef SINTER_TORCH_ENUM
/// The name sinter's ops take for an enum tag held in a std::variant ("mean", "same", ...).
template <class... Ts>
const char* str(const std::variant<Ts...>& v) {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::value; }, v);
}
}  // namespace enumtype

constexpr enumtype::kNone kNone{};
constexpr enumtype::kMean kMean{};
constexpr enumtype::kSum kSum{};
constexpr enumtype::kBatchMean kBatchMean{};
constexpr enumtype::kValid kValid{};
constexpr enumtype::kSame kSame{};
constexpr enumtype::kConstant kConstant{};
constexpr enumtype::kReflect kReflect{};
constexpr enumtype::kReplicate kReplicate{};
constexpr enumtype::kCircular kCircular{};
constexpr enumtype::kNearest kNearest{};
constexpr enumtype::kNearestExact kNearestExact{};
constexpr enumtype::kLinear kLinear{};
constexpr enumtype::kBilinear kBilinear{};
constexpr enumtype::kBicubic kBicubic{};
constexpr enumtype::kTrilinear kTrilinear{};
constexpr enumtype::kArea kArea{};

/// LibTorch's ExpandingArray<D>: D sizes given as one number (repeated) or as D numbers.
template <size_t D, class T = int64_t>
using ExpandingArray = ::sinter::nn::ExpandingArray<D, T>;

// ---- nn modules, optimizers, data ----------------------------------------------------------------
// sinter::nn, sinter::optim and sinter::data follow LibTorch's shapes; torch:: names them.
// torch::nn is sinter::nn: Module, ModuleHolder, AnyModule, the layers and their Options,
// Sequential/ModuleList/ModuleDict and torch::nn::init; TORCH_MODULE(Name) is SINTER_MODULE(Name).
namespace nn {
using namespace ::sinter::nn;
}  // namespace nn
constexpr ::sinter::nn::tags::kFanIn kFanIn{};
constexpr ::sinter::nn::tags::kFanOut kFanOut{};
constexpr ::sinter::nn::tags::kConv1D kConv1D{};
constexpr ::sinter::nn::tags::kConv2D kConv2D{};
constexpr ::sinter::nn::tags::kConv3D kConv3D{};
constexpr ::sinter::nn::tags::kConvTranspose1D kConvTranspose1D{};
constexpr ::sinter::nn::tags::kConvTranspose2D kConvTranspose2D{};
constexpr ::sinter::nn::tags::kConvTranspose3D kConvTranspose3D{};
constexpr ::sinter::nn::tags::kSigmoid kSigmoid{};
constexpr ::sinter::nn::tags::kTanh kTanh{};
constexpr ::sinter::nn::tags::kReLU kReLU{};
constexpr ::sinter::nn::tags::kLeakyReLU kLeakyReLU{};
constexpr ::sinter::nn::tags::kSELU kSELU{};
constexpr ::sinter::nn::tags::kGELU kGELU{};
constexpr ::sinter::nn::tags::kZeros kZeros{};
#define TORCH_MODULE(Name) SINTER_MODULE(Name)
// LibTorch's checks: TORCH_CHECK throws c10::Error (sinter::Error) with the message parts;
// AT_ASSERT / TORCH_INTERNAL_ASSERT report a broken invariant.
#define TORCH_CHECK(cond, ...)                                                                     \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      throw ::sinter::ValueError(::sinter::detail::str_cat("Expected " #cond " to be true, but got false. " \
                                                           __VA_OPT__(, ) __VA_ARGS__));           \
  } while (0)
#define TORCH_INTERNAL_ASSERT(cond, ...) SINTER_ASSERT(cond, "" __VA_OPT__(, ) __VA_ARGS__)
#define AT_ASSERT(cond, ...) SINTER_ASSERT(cond, "" __VA_OPT__(, ) __VA_ARGS__)
// torch::optim is sinter::optim (SGD, Adam, AdamW, RMSprop, Adagrad, their Options, StepLR and
// the other schedulers); torch::nn::utils holds clip_grad_norm_ and clip_grad_value_.
namespace optim = ::sinter::optim;
namespace nn::utils {
using namespace ::sinter::nn::utils;
}  // namespace nn::utils
// torch::data: datasets, samplers, transforms, make_data_loader (sinter::data).
namespace data = ::sinter::data;
using std::optional;
namespace nn {

// ---- torch::nn::functional -----------------------------------------------------------------------
namespace functional {

using reduction_t = std::variant<enumtype::kNone, enumtype::kMean, enumtype::kSum>;

// activations ------------------------------------------------------------------------------------
struct ReLUFuncOptions {
  ReLUFuncOptions(bool inplace = false) : inplace_(inplace) {}
  SINTER_ARG(bool, inplace) = false;
};
using ReLU6FuncOptions = ReLUFuncOptions;
struct LeakyReLUFuncOptions {
  SINTER_ARG(double, negative_slope) = 1e-2;
  SINTER_ARG(bool, inplace) = false;
};
struct ELUFuncOptions {
  SINTER_ARG(double, alpha) = 1.0;
  SINTER_ARG(bool, inplace) = false;
};
struct SELUFuncOptions {
  SELUFuncOptions(bool inplace = false) : inplace_(inplace) {}
  SINTER_ARG(bool, inplace) = false;
};
struct GELUFuncOptions {
  SINTER_ARG(std::string, approximate) = "none";
};
struct SiLUFuncOptions {
  SINTER_ARG(bool, inplace) = false;
};
struct SoftplusFuncOptions {
  SINTER_ARG(double, beta) = 1.0;
  SINTER_ARG(double, threshold) = 20.0;
};
struct HardtanhFuncOptions {
  SINTER_ARG(double, min_val) = -1.0;
  SINTER_ARG(double, max_val) = 1.0;
  SINTER_ARG(bool, inplace) = false;
};
struct SoftmaxFuncOptions {
  SoftmaxFuncOptions(int64_t dim) : dim_(dim) {}
  SINTER_ARG(int64_t, dim);
  SINTER_ARG(std::optional<DType>, dtype) = std::nullopt;
};
using LogSoftmaxFuncOptions = SoftmaxFuncOptions;

namespace detail {
/// `result` written into x when inplace (as LibTorch's in-place functional variants).
inline Tensor maybe_inplace(Tensor x, const Tensor& result, bool inplace) {
  if (!inplace) return result;
  x.copy_(result);
  return x;
}
}  // namespace detail

inline Tensor relu(Tensor input, const ReLUFuncOptions& o = {}) {
  return o.inplace() ? input.relu_() : sinter::relu(input);
}
inline Tensor relu6(Tensor input, const ReLU6FuncOptions& o = {}) {
  return detail::maybe_inplace(input, sinter::relu6(input), o.inplace());
}
inline Tensor leaky_relu(Tensor input, const LeakyReLUFuncOptions& o = {}) {
  return detail::maybe_inplace(input, sinter::leaky_relu(input, o.negative_slope()), o.inplace());
}
inline Tensor elu(Tensor input, const ELUFuncOptions& o = {}) {
  return detail::maybe_inplace(input, sinter::elu(input, o.alpha()), o.inplace());
}
inline Tensor selu(Tensor input, const SELUFuncOptions& o = {}) {
  return detail::maybe_inplace(input, sinter::selu(input), o.inplace());
}
inline Tensor gelu(const Tensor& input, const GELUFuncOptions& o = {}) { return sinter::gelu(input, o.approximate()); }
inline Tensor silu(Tensor input, const SiLUFuncOptions& o = {}) {
  return detail::maybe_inplace(input, sinter::silu(input), o.inplace());
}
inline Tensor mish(const Tensor& input) { return sinter::mish(input); }
inline Tensor softplus(const Tensor& input, const SoftplusFuncOptions& o = {}) {
  return sinter::softplus(input, o.beta(), o.threshold());
}
inline Tensor hardtanh(Tensor input, const HardtanhFuncOptions& o = {}) {
  return detail::maybe_inplace(input, sinter::hardtanh(input, o.min_val(), o.max_val()), o.inplace());
}
inline Tensor hardswish(const Tensor& input) { return sinter::hardswish(input); }
inline Tensor logsigmoid(const Tensor& input) { return sinter::logsigmoid(input); }
inline Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& o) {
  return sinter::softmax(input, o.dim(), o.dtype());
}
inline Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& o) {
  return sinter::log_softmax(input, o.dim(), o.dtype());
}

// linear, convolution, pooling -------------------------------------------------------------------
inline Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {}) {
  return sinter::linear(input, weight, bias);
}

template <size_t D>
struct ConvFuncOptions {
  using padding_t = std::variant<ExpandingArray<D>, enumtype::kValid, enumtype::kSame>;
  SINTER_ARG(Tensor, bias);
  SINTER_ARG(ExpandingArray<D>, stride) = 1;
  SINTER_ARG(padding_t, padding) = ExpandingArray<D>(0);
  SINTER_ARG(ExpandingArray<D>, dilation) = 1;
  SINTER_ARG(int64_t, groups) = 1;
};
using Conv1dFuncOptions = ConvFuncOptions<1>;
using Conv2dFuncOptions = ConvFuncOptions<2>;
using Conv3dFuncOptions = ConvFuncOptions<3>;

namespace detail {
template <size_t D, class Conv>
Tensor conv(const Tensor& input, const Tensor& weight, const ConvFuncOptions<D>& o, Conv&& conv) {
  if (auto* p = std::get_if<ExpandingArray<D>>(&o.padding()))
    return conv(input, weight, o.bias(), o.stride(), IntArrayRef(*p), o.dilation(), o.groups());
  std::string_view mode = std::holds_alternative<enumtype::kSame>(o.padding()) ? "same" : "valid";
  return conv(input, weight, o.bias(), o.stride(), mode, o.dilation(), o.groups());
}
}  // namespace detail

inline Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& o = {}) {
  return detail::conv(input, weight, o, [](auto&&... a) { return sinter::conv1d(a...); });
}
inline Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& o = {}) {
  return detail::conv(input, weight, o, [](auto&&... a) { return sinter::conv2d(a...); });
}
inline Tensor conv3d(const Tensor& input, const Tensor& weight, const Conv3dFuncOptions& o = {}) {
  return detail::conv(input, weight, o, [](auto&&... a) { return sinter::conv3d(a...); });
}

struct ConvTranspose2dFuncOptions {
  SINTER_ARG(Tensor, bias);
  SINTER_ARG(ExpandingArray<2>, stride) = 1;
  SINTER_ARG(ExpandingArray<2>, padding) = 0;
  SINTER_ARG(ExpandingArray<2>, output_padding) = 0;
  SINTER_ARG(int64_t, groups) = 1;
  SINTER_ARG(ExpandingArray<2>, dilation) = 1;
};
inline Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const ConvTranspose2dFuncOptions& o = {}) {
  return sinter::conv_transpose2d(input, weight, o.bias(), o.stride(), o.padding(), o.output_padding(), o.groups(),
                                  o.dilation());
}

using MaxPool2dFuncOptions = ::sinter::nn::MaxPool2dOptions;  // as in LibTorch
inline Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& o) {
  return sinter::max_pool2d(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}
inline std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const MaxPool2dFuncOptions& o) {
  return sinter::max_pool2d_with_indices(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}

using AvgPool2dFuncOptions = ::sinter::nn::AvgPool2dOptions;  // as in LibTorch
inline Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& o) {
  return sinter::avg_pool2d(input, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(), o.count_include_pad(),
                            o.divisor_override());
}

using MaxPool3dFuncOptions = ::sinter::nn::MaxPool3dOptions;  // as in LibTorch
inline Tensor max_pool3d(const Tensor& input, const MaxPool3dFuncOptions& o) {
  return sinter::max_pool3d(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}
inline std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, const MaxPool3dFuncOptions& o) {
  return sinter::max_pool3d_with_indices(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}

using AvgPool3dFuncOptions = ::sinter::nn::AvgPool3dOptions;  // as in LibTorch
inline Tensor avg_pool3d(const Tensor& input, const AvgPool3dFuncOptions& o) {
  return sinter::avg_pool3d(input, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(), o.count_include_pad(),
                            o.divisor_override());
}

struct AdaptiveAvgPool2dFuncOptions {
  AdaptiveAvgPool2dFuncOptions(ExpandingArray<2> output_size) : output_size_(output_size) {}
  SINTER_ARG(ExpandingArray<2>, output_size);
};
inline Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& o) {
  return sinter::adaptive_avg_pool2d(input, o.output_size());
}

// normalization, dropout, embedding ----------------------------------------------------------------
struct BatchNormFuncOptions {
  SINTER_ARG(Tensor, weight);
  SINTER_ARG(Tensor, bias);
  SINTER_ARG(bool, training) = false;
  SINTER_ARG(double, momentum) = 0.1;
  SINTER_ARG(double, eps) = 1e-5;
};
inline Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                         const BatchNormFuncOptions& o = {}) {
  return sinter::batch_norm(input, running_mean, running_var, o.weight(), o.bias(), o.training(), o.momentum(), o.eps());
}

struct LayerNormFuncOptions {
  LayerNormFuncOptions(std::vector<int64_t> normalized_shape) : normalized_shape_(std::move(normalized_shape)) {}
  SINTER_ARG(std::vector<int64_t>, normalized_shape);
  SINTER_ARG(Tensor, weight);
  SINTER_ARG(Tensor, bias);
  SINTER_ARG(double, eps) = 1e-5;
};
inline Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& o) {
  return sinter::layer_norm(input, o.normalized_shape(), o.weight(), o.bias(), o.eps());
}

struct GroupNormFuncOptions {
  GroupNormFuncOptions(int64_t num_groups) : num_groups_(num_groups) {}
  SINTER_ARG(int64_t, num_groups);
  SINTER_ARG(Tensor, weight);
  SINTER_ARG(Tensor, bias);
  SINTER_ARG(double, eps) = 1e-5;
};
inline Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& o) {
  return sinter::group_norm(input, o.num_groups(), o.weight(), o.bias(), o.eps());
}

struct NormalizeFuncOptions {
  SINTER_ARG(double, p) = 2.0;
  SINTER_ARG(int64_t, dim) = 1;
  SINTER_ARG(double, eps) = 1e-12;
};
/// x / max(||x||_p over dim, eps).
inline Tensor normalize(const Tensor& input, const NormalizeFuncOptions& o = {}) {
  return input / sinter::norm(input, o.p(), {o.dim()}, /*keepdim=*/true).clamp_min(o.eps()).expand_as(input);
}

struct DropoutFuncOptions {
  SINTER_ARG(double, p) = 0.5;
  SINTER_ARG(bool, training) = true;
  SINTER_ARG(bool, inplace) = false;
};
inline Tensor dropout(Tensor input, const DropoutFuncOptions& o = {}) {
  return detail::maybe_inplace(input, sinter::dropout(input, o.p(), o.training()), o.inplace());
}

struct EmbeddingFuncOptions {
  SINTER_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
};
inline Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& o = {}) {
  return sinter::embedding(weight, input, o.padding_idx());
}

inline Tensor one_hot(const Tensor& tensor, int64_t num_classes = -1) { return sinter::one_hot(tensor, num_classes); }

struct PadFuncOptions {
  using mode_t = std::variant<enumtype::kConstant, enumtype::kReflect, enumtype::kReplicate, enumtype::kCircular>;
  PadFuncOptions(std::vector<int64_t> pad) : pad_(std::move(pad)) {}
  SINTER_ARG(std::vector<int64_t>, pad);
  SINTER_ARG(mode_t, mode) = enumtype::kConstant();
  SINTER_ARG(double, value) = 0;
};
inline Tensor pad(const Tensor& input, const PadFuncOptions& o) {
  return sinter::pad(input, o.pad(), enumtype::str(o.mode()), o.value());
}

struct InterpolateFuncOptions {
  using mode_t = std::variant<enumtype::kNearest, enumtype::kLinear, enumtype::kBilinear, enumtype::kBicubic,
                              enumtype::kTrilinear, enumtype::kArea, enumtype::kNearestExact>;
  SINTER_ARG(std::optional<std::vector<int64_t>>, size) = std::nullopt;
  SINTER_ARG(std::optional<std::vector<double>>, scale_factor) = std::nullopt;
  SINTER_ARG(mode_t, mode) = enumtype::kNearest();
  SINTER_ARG(std::optional<bool>, align_corners) = std::nullopt;
};
inline Tensor interpolate(const Tensor& input, const InterpolateFuncOptions& o = {}) {
  return sinter::interpolate(input, o.size(), o.scale_factor(), enumtype::str(o.mode()), o.align_corners());
}

// losses -----------------------------------------------------------------------------------------
struct CrossEntropyFuncOptions {
  SINTER_ARG(Tensor, weight);
  SINTER_ARG(int64_t, ignore_index) = -100;
  SINTER_ARG(reduction_t, reduction) = enumtype::kMean();
  SINTER_ARG(double, label_smoothing) = 0.0;
};
inline Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& o = {}) {
  return sinter::cross_entropy(input, target, o.weight(), enumtype::str(o.reduction()), o.ignore_index(),
                               o.label_smoothing());
}

struct NLLLossFuncOptions {
  SINTER_ARG(Tensor, weight);
  SINTER_ARG(int64_t, ignore_index) = -100;
  SINTER_ARG(reduction_t, reduction) = enumtype::kMean();
};
inline Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& o = {}) {
  return sinter::nll_loss(input, target, o.weight(), enumtype::str(o.reduction()), o.ignore_index());
}

struct MSELossFuncOptions {
  MSELossFuncOptions() = default;
  MSELossFuncOptions(reduction_t r) : reduction_(r) {}
  SINTER_ARG(reduction_t, reduction) = enumtype::kMean();
};
inline Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& o = {}) {
  return sinter::mse_loss(input, target, enumtype::str(o.reduction()));
}

struct L1LossFuncOptions {
  L1LossFuncOptions() = default;
  L1LossFuncOptions(reduction_t r) : reduction_(r) {}
  SINTER_ARG(reduction_t, reduction) = enumtype::kMean();
};
inline Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& o = {}) {
  return sinter::l1_loss(input, target, enumtype::str(o.reduction()));
}

struct SmoothL1LossFuncOptions {
  SmoothL1LossFuncOptions() = default;
  SmoothL1LossFuncOptions(reduction_t r) : reduction_(r) {}
  SINTER_ARG(reduction_t, reduction) = enumtype::kMean();
  SINTER_ARG(std::optional<double>, beta) = std::nullopt;
};
/// beta: options.beta() when set, else the (deprecated) argument.
inline Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& o = {},
                             double beta = 1.0) {
  return sinter::smooth_l1_loss(input, target, enumtype::str(o.reduction()), o.beta().value_or(beta));
}

struct HuberLossFuncOptions {
  HuberLossFuncOptions() = default;
  HuberLossFuncOptions(reduction_t r) : reduction_(r) {}
  SINTER_ARG(reduction_t, reduction) = enumtype::kMean();
  SINTER_ARG(double, delta) = 1.0;
};
inline Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& o = {}) {
  return sinter::huber_loss(input, target, enumtype::str(o.reduction()), o.delta());
}

struct BinaryCrossEntropyFuncOptions {
  SINTER_ARG(Tensor, weight);
  SINTER_ARG(reduction_t, reduction) = enumtype::kMean();
};
inline Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                                   const BinaryCrossEntropyFuncOptions& o = {}) {
  return sinter::binary_cross_entropy(input, target, o.weight(), enumtype::str(o.reduction()));
}

struct BinaryCrossEntropyWithLogitsFuncOptions {
  SINTER_ARG(Tensor, weight);
  SINTER_ARG(reduction_t, reduction) = enumtype::kMean();
  SINTER_ARG(Tensor, pos_weight);
};
inline Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                               const BinaryCrossEntropyWithLogitsFuncOptions& o = {}) {
  return sinter::binary_cross_entropy_with_logits(input, target, o.weight(), enumtype::str(o.reduction()),
                                                  o.pos_weight());
}

struct KLDivFuncOptions {
  using reduction_t = std::variant<enumtype::kNone, enumtype::kBatchMean, enumtype::kSum, enumtype::kMean>;
  KLDivFuncOptions() = default;
  KLDivFuncOptions(reduction_t r) : reduction_(r) {}
  SINTER_ARG(reduction_t, reduction) = enumtype::kMean();
  SINTER_ARG(bool, log_target) = false;
};
inline Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& o = {}) {
  return sinter::kl_div(input, target, enumtype::str(o.reduction()), o.log_target());
}

}  // namespace functional
}  // namespace nn

}  // namespace torch

// ---- ATen / c10 spellings ------------------------------------------------------------------------
namespace at {
using namespace ::torch;  // NOLINT: at:: is LibTorch's name for the same tensor library
namespace Reduction {
/// The reduction argument of ATen's losses (torch::mse_loss(a, b, at::Reduction::Sum)).
enum Reduction { None, Mean, Sum, END };
}  // namespace Reduction
}  // namespace at

namespace c10 {
using Error = ::sinter::Error;
using ::torch::InferenceMode;
using ::torch::IValue;
using sinter::BFloat16;
using sinter::Device;
using sinter::DeviceType;
using sinter::Half;
using sinter::IntArrayRef;
using sinter::Scalar;
using sinter::ScalarType;
using sinter::TensorOptions;
using std::nullopt;
using std::optional;
}  // namespace c10
