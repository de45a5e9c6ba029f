#include "sinter/nn/conv.h"

#include <cmath>
#include <vector>

#include "sinter/nn/init.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/nn.h"
#include "sinter/ops/shape.h"

namespace sinter::nn {

namespace {
using sinter::detail::str_cat;

std::vector<int64_t> weight_shape(int64_t a, int64_t b, const std::vector<int64_t>& k) {
  std::vector<int64_t> s{a, b};
  s.insert(s.end(), k.begin(), k.end());
  return s;
}

bool all_equal(const std::vector<int64_t>& v, int64_t x) {
  for (int64_t e : v)
    if (e != x) return false;
  return true;
}

void check_positive(const std::vector<int64_t>& v, const char* module, const char* what) {
  for (int64_t e : v)
    SINTER_CHECK(e > 0, ValueError, module, ": ", what, " must be positive, got ", detail::tuple_str(v));
}

/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight (kaiming_uniform_ with a = sqrt(5)) and bias.
void reset_conv(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const auto [fan_in, fan_out] = init::_calculate_fan_in_and_fan_out(weight);
    (void)fan_out;
    if (fan_in != 0) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
      init::uniform_(bias, -bound, bound);
    }
  }
}

/// Checks (C, *spatial) or (N, C, *spatial) input against in_channels.
bool check_conv_input(const Tensor& input, size_t D, int64_t in_channels, const std::string& name) {
  const int64_t d = static_cast<int64_t>(D);
  SINTER_CHECK(input.defined() && (input.dim() == d + 1 || input.dim() == d + 2), ShapeError, name, ": expected ",
               d + 1, "-D (unbatched) or ", d + 2, "-D (batched) input, got input ",
               input.defined() ? detail::shape_str(input.sizes()) : "(undefined)");
  const bool batched = input.dim() == d + 2;
  const int64_t c = input.size(batched ? 1 : 0);
  SINTER_CHECK(c == in_channels, ShapeError, name, ": input ", detail::shape_str(input.sizes()), " has ", c,
               " channels, expected in_channels ", in_channels);
  return batched;
}
/// conv1d, conv2d or conv3d by the number of spatial dims; Padding is IntArrayRef or a mode string.
template <size_t D, class Padding>
Tensor conv_d(const Tensor& x, const Tensor& w, const Tensor& b, IntArrayRef stride, Padding padding,
              IntArrayRef dilation, int64_t groups) {
  if constexpr (D == 1) return conv1d(x, w, b, stride, padding, dilation, groups);
  else if constexpr (D == 2) return conv2d(x, w, b, stride, padding, dilation, groups);
  else return conv3d(x, w, b, stride, padding, dilation, groups);
}
}  // namespace

template <size_t D>
ConvNdImpl<D>::ConvNdImpl(const ConvOptions<D>& options_, const char* name) : Module(name), options(options_) {
  const auto& o = options;
  SINTER_CHECK(o.in_channels() > 0 && o.out_channels() > 0, ValueError, name,
               ": in_channels and out_channels must be positive, got ", o.in_channels(), " and ", o.out_channels());
  SINTER_CHECK(o.groups() > 0, ValueError, name, ": groups must be positive, got ", o.groups());
  SINTER_CHECK(o.in_channels() % o.groups() == 0, ValueError, name, ": in_channels (", o.in_channels(),
               ") must be divisible by groups (", o.groups(), ")");
  SINTER_CHECK(o.out_channels() % o.groups() == 0, ValueError, name, ": out_channels (", o.out_channels(),
               ") must be divisible by groups (", o.groups(), ")");
  check_positive(o.kernel_size().vec(), name, "kernel_size");
  check_positive(o.stride().vec(), name, "stride");
  check_positive(o.dilation().vec(), name, "dilation");
  const std::string& mode = o.padding_mode().str();
  SINTER_CHECK(mode == "zeros" || mode == "reflect" || mode == "replicate" || mode == "circular", ValueError, name,
               ": padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', got '", mode, "'");
  if (o.padding().is_mode()) {
    SINTER_CHECK(o.padding().mode() != "same" || all_equal(o.stride().vec(), 1), ValueError, name,
                 ": padding='same' is not supported for strided convolutions");
  } else {
    for (int64_t p : o.padding().sizes().vec())
      SINTER_CHECK(p >= 0, ValueError, name, ": padding must be non-negative, got ",
                   detail::tuple_str(o.padding().sizes().vec()));
  }
  weight = register_parameter("weight", sinter::empty(weight_shape(o.out_channels(), o.in_channels() / o.groups(),
                                                           o.kernel_size().vec())));
  bias = register_parameter("bias", o.bias() ? sinter::empty({o.out_channels()}) : Tensor(), o.bias());
  reset_parameters();
}

template <size_t D>
void ConvNdImpl<D>::reset_parameters() {
  reset_conv(weight, bias);
}

template <size_t D>
Tensor ConvNdImpl<D>::forward(const Tensor& input) {
  const bool batched = check_conv_input(input, D, options.in_channels(), name());
  Tensor x = batched ? input : input.unsqueeze(0);
  const auto& o = options;
  Tensor y;
  if (o.padding_mode().str() != "zeros") {
    // Pad explicitly with the mode, then convolve without padding (as PyTorch).
    std::vector<int64_t> pads;  // last dim first: (left, right) per dim
    for (size_t i = D; i-- > 0;) {
      int64_t left, right;
      if (o.padding().is_mode()) {
        const int64_t total = o.padding().mode() == "same" ? o.dilation()[i] * (o.kernel_size()[i] - 1) : 0;
        left = total / 2;
        right = total - left;
      } else {
        left = right = o.padding().sizes()[i];
      }
      pads.push_back(left);
      pads.push_back(right);
    }
    std::string mode = o.padding_mode().str();
    x = pad(x, pads, mode);
    const std::vector<int64_t> zero(D, 0);
    y = conv_d<D>(x, weight, bias, o.stride(), IntArrayRef(zero), o.dilation(), o.groups());
  } else if (o.padding().is_mode()) {
    y = conv_d<D>(x, weight, bias, o.stride(), std::string_view(o.padding().mode()), o.dilation(), o.groups());
  } else {
    y = conv_d<D>(x, weight, bias, o.stride(), IntArrayRef(o.padding().sizes()), o.dilation(), o.groups());
  }
  return batched ? y : y.squeeze(0);
}

template <size_t D>
std::string ConvNdImpl<D>::extra_repr() const {
  const auto& o = options;
  std::string s = str_cat(o.in_channels(), ", ", o.out_channels(), ", kernel_size=",
                          detail::tuple_str(o.kernel_size().vec()), ", stride=", detail::tuple_str(o.stride().vec()));
  if (o.padding().is_mode())
    s += ", padding=" + o.padding().mode();
  else if (!all_equal(o.padding().sizes().vec(), 0))
    s += ", padding=" + detail::tuple_str(o.padding().sizes().vec());
  if (!all_equal(o.dilation().vec(), 1)) s += ", dilation=" + detail::tuple_str(o.dilation().vec());
  if (o.groups() != 1) s += str_cat(", groups=", o.groups());
  if (!o.bias()) s += ", bias=False";
  if (o.padding_mode().str() != "zeros") s += ", padding_mode=" + o.padding_mode().str();
  return s;
}

template class ConvNdImpl<1>;
template class ConvNdImpl<2>;
template class ConvNdImpl<3>;

// ---- ConvTranspose2d ---------------------------------------------------------------------------

ConvTranspose2dImpl::ConvTranspose2dImpl(const ConvTranspose2dOptions& options_)
    : Module("ConvTranspose2d"), options(options_) {
  const auto& o = options;
  const char* name = "ConvTranspose2d";
  SINTER_CHECK(o.in_channels() > 0 && o.out_channels() > 0, ValueError, name,
               ": in_channels and out_channels must be positive, got ", o.in_channels(), " and ", o.out_channels());
  SINTER_CHECK(o.groups() > 0 && o.in_channels() % o.groups() == 0 && o.out_channels() % o.groups() == 0,
               ValueError, name, ": in_channels (", o.in_channels(), ") and out_channels (", o.out_channels(),
               ") must be divisible by groups (", o.groups(), ")");
  SINTER_CHECK(o.padding_mode().str() == "zeros", ValueError, name,
               ": only padding_mode 'zeros' is supported, got '", o.padding_mode().str(), "'");
  check_positive(o.kernel_size().vec(), name, "kernel_size");
  check_positive(o.stride().vec(), name, "stride");
  check_positive(o.dilation().vec(), name, "dilation");
  for (size_t i = 0; i < 2; ++i)
    SINTER_CHECK(o.output_padding()[i] < o.stride()[i] || o.output_padding()[i] < o.dilation()[i], ValueError, name,
                 ": output_padding ", detail::tuple_str(o.output_padding().vec()),
                 " must be smaller than either stride or dilation");
  weight = register_parameter("weight", sinter::empty(weight_shape(o.in_channels(), o.out_channels() / o.groups(),
                                                           o.kernel_size().vec())));
  bias = register_parameter("bias", o.bias() ? sinter::empty({o.out_channels()}) : Tensor(), o.bias());
  reset_parameters();
}

void ConvTranspose2dImpl::reset_parameters() { reset_conv(weight, bias); }

Tensor ConvTranspose2dImpl::forward(const Tensor& input) {
  const bool batched = check_conv_input(input, 2, options.in_channels(), name());
  Tensor x = batched ? input : input.unsqueeze(0);
  const auto& o = options;
  Tensor y = conv_transpose2d(x, weight, bias, o.stride(), o.padding(), o.output_padding(), o.groups(), o.dilation());
  return batched ? y : y.squeeze(0);
}

std::string ConvTranspose2dImpl::extra_repr() const {
  const auto& o = options;
  std::string s = str_cat(o.in_channels(), ", ", o.out_channels(), ", kernel_size=",
                          detail::tuple_str(o.kernel_size().vec()), ", stride=", detail::tuple_str(o.stride().vec()));
  if (!all_equal(o.padding().vec(), 0)) s += ", padding=" + detail::tuple_str(o.padding().vec());
  if (!all_equal(o.dilation().vec(), 1)) s += ", dilation=" + detail::tuple_str(o.dilation().vec());
  if (!all_equal(o.output_padding().vec(), 0))
    s += ", output_padding=" + detail::tuple_str(o.output_padding().vec());
  if (o.groups() != 1) s += str_cat(", groups=", o.groups());
  if (!o.bias()) s += ", bias=False";
  return s;
}

}  // namespace sinter::nn
