#include "sinter/nn/init.h"

#include <cmath>
#include <vector>

#include "sinter/autograd.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/shape.h"
#include "sinter/ops/unary.h"

namespace sinter::nn::init {

double calculate_gain(const ModeName& nonlinearity, double param) {
  const std::string& n = nonlinearity.str();
  if (n == "linear" || n == "conv1d" || n == "conv2d" || n == "conv3d" || n == "conv_transpose1d" ||
      n == "conv_transpose2d" || n == "conv_transpose3d" || n == "sigmoid")
    return 1.0;
  if (n == "tanh") return 5.0 / 3.0;
  if (n == "relu") return std::sqrt(2.0);
  if (n == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
  if (n == "selu") return 3.0 / 4.0;
  SINTER_CHECK(false, ValueError, "calculate_gain: unsupported nonlinearity '", n, "'");
  return 0;
}

std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor) {
  SINTER_CHECK(tensor.defined() && tensor.dim() >= 2, ValueError,
               "_calculate_fan_in_and_fan_out: fan in and fan out can not be computed for a tensor with fewer than "
               "2 dimensions (got ",
               tensor.defined() ? tensor.dim() : 0, ")");
  int64_t receptive = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive *= tensor.size(d);
  return {tensor.size(1) * receptive, tensor.size(0) * receptive};
}

namespace {
void check_defined(const Tensor& t, const char* fn) {
  SINTER_CHECK(t.defined(), ValueError, fn, ": the tensor is undefined");
}
int64_t fan(const Tensor& t, const ModeName& mode, const char* fn) {
  const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(t);
  SINTER_CHECK(mode == "fan_in" || mode == "fan_out", ValueError, fn, ": mode ", mode.str(),
               " not supported, please use one of fan_in, fan_out");
  return mode == "fan_in" ? fan_in : fan_out;
}
}  // namespace

Tensor uniform_(Tensor tensor, double a, double b) {
  check_defined(tensor, "uniform_");
  NoGradGuard g;
  tensor.uniform_(a, b);
  return tensor;
}
Tensor normal_(Tensor tensor, double mean, double sd) {
  check_defined(tensor, "normal_");
  NoGradGuard g;
  tensor.normal_(mean, sd);
  return tensor;
}
Tensor trunc_normal_(Tensor tensor, double mean, double sd, double a, double b) {
  check_defined(tensor, "trunc_normal_");
  SINTER_CHECK(a < b, ValueError, "trunc_normal_: a (", a, ") must be less than b (", b, ")");
  NoGradGuard g;
  // PyTorch's inverse-CDF method: uniform in [cdf(a), cdf(b)], then erfinv.
  auto norm_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
  const double l = norm_cdf((a - mean) / sd), u = norm_cdf((b - mean) / sd);
  Tensor t = empty(tensor.sizes(), TensorOptions(kDouble));
  t.uniform_(2 * l - 1, 2 * u - 1);
  // erfinv by Newton steps on erf (the draw is in (-1, 1)).
  double* p = t.data_ptr<double>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double y = p[i];
    double x = 0;
    // Giles' single-precision approximation as the start, then Newton.
    double w = -std::log((1.0 - y) * (1.0 + y));
    if (w < 5.0) {
      w -= 2.5;
      double q = 2.81022636e-08;
      for (double c : {3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                       -0.00417768164, 0.246640727, 1.50140941})
        q = c + q * w;
      x = q * y;
    } else {
      w = std::sqrt(w) - 3.0;
      double q = -0.000200214257;
      for (double c : {0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
                       1.00167406, 2.83297682})
        q = c + q * w;
      x = q * y;
    }
    for (int it = 0; it < 3 && std::isfinite(x); ++it)
      x -= (std::erf(x) - y) / (2.0 / std::sqrt(M_PI) * std::exp(-x * x));
    p[i] = std::min(std::max(mean + sd * std::sqrt(2.0) * x, a), b);
  }
  tensor.copy_(t);
  return tensor;
}
Tensor constant_(Tensor tensor, const Scalar& value) {
  check_defined(tensor, "constant_");
  NoGradGuard g;
  tensor.fill_(value);
  return tensor;
}
Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1); }
Tensor zeros_(Tensor tensor) {
  check_defined(tensor, "zeros_");
  NoGradGuard g;
  tensor.zero_();
  return tensor;
}
Tensor eye_(Tensor tensor) {
  check_defined(tensor, "eye_");
  SINTER_CHECK(tensor.dim() == 2, ValueError, "eye_: only tensors with 2 dimensions are supported (got ",
               tensor.dim(), ")");
  NoGradGuard g;
  tensor.copy_(eye(tensor.size(0), tensor.size(1), TensorOptions(tensor.dtype())));
  return tensor;
}
Tensor dirac_(Tensor tensor, int64_t groups) {
  check_defined(tensor, "dirac_");
  const int64_t d = tensor.dim();
  SINTER_CHECK(d >= 3 && d <= 5, ValueError, "dirac_: only tensors with 3, 4, or 5 dimensions are supported (got ",
               d, ")");
  SINTER_CHECK(groups > 0 && tensor.size(0) % groups == 0, ValueError, "dirac_: dim 0 (", tensor.size(0),
               ") must be divisible by groups (", groups, ")");
  NoGradGuard g;
  const int64_t out_per_group = tensor.size(0) / groups;
  const int64_t min_dim = std::min(out_per_group, tensor.size(1));
  Tensor t = zeros(tensor.sizes(), TensorOptions(kDouble)).contiguous();
  double* p = t.data_ptr<double>();
  std::vector<int64_t> centre;
  int64_t spatial = 1;
  for (int64_t k = 2; k < d; ++k) spatial *= tensor.size(k);
  int64_t centre_off = 0;
  for (int64_t k = 2; k < d; ++k) {
    int64_t stride = 1;
    for (int64_t j = k + 1; j < d; ++j) stride *= tensor.size(j);
    centre_off += (tensor.size(k) / 2) * stride;
  }
  for (int64_t gi = 0; gi < groups; ++gi)
    for (int64_t i = 0; i < min_dim; ++i) {
      const int64_t o = gi * out_per_group + i;
      p[(o * tensor.size(1) + i) * spatial + centre_off] = 1.0;
    }
  tensor.copy_(t);
  return tensor;
}
Tensor xavier_uniform_(Tensor tensor, double gain) {
  check_defined(tensor, "xavier_uniform_");
  const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  const double sd = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double a = std::sqrt(3.0) * sd;
  return uniform_(std::move(tensor), -a, a);
}
Tensor xavier_normal_(Tensor tensor, double gain) {
  check_defined(tensor, "xavier_normal_");
  const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  const double sd = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return normal_(std::move(tensor), 0.0, sd);
}
Tensor kaiming_uniform_(Tensor tensor, double a, const ModeName& mode, const ModeName& nonlinearity) {
  check_defined(tensor, "kaiming_uniform_");
  if (tensor.numel() == 0) return tensor;  // PyTorch warns and leaves it
  const int64_t f = fan(tensor, mode, "kaiming_uniform_");
  const double sd = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(f));
  const double bound = std::sqrt(3.0) * sd;
  return uniform_(std::move(tensor), -bound, bound);
}
Tensor kaiming_normal_(Tensor tensor, double a, const ModeName& mode, const ModeName& nonlinearity) {
  check_defined(tensor, "kaiming_normal_");
  if (tensor.numel() == 0) return tensor;
  const int64_t f = fan(tensor, mode, "kaiming_normal_");
  const double sd = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(f));
  return normal_(std::move(tensor), 0.0, sd);
}

Tensor orthogonal_(Tensor tensor, double gain) {
  check_defined(tensor, "orthogonal_");
  SINTER_CHECK(tensor.dim() >= 2, ValueError, "orthogonal_: only tensors with 2 or more dimensions are supported (got ",
               tensor.dim(), ")");
  if (tensor.numel() == 0) return tensor;
  NoGradGuard g;
  const int64_t rows = tensor.size(0), cols = tensor.numel() / rows;
  // flattened = normal(rows, cols); transpose when rows < cols so that QR runs on a tall matrix.
  Tensor flat = empty({rows, cols}, TensorOptions(kDouble));
  flat.normal_(0, 1);
  const bool transposed = rows < cols;
  const int64_t m = transposed ? cols : rows, n = transposed ? rows : cols;  // m >= n
  Tensor a = (transposed ? flat.t() : flat).contiguous();                    // (m, n)
  std::vector<double> A(a.data_ptr<double>(), a.data_ptr<double>() + m * n);
  // Householder QR: A = Q R; build the thin Q (m, n) explicitly.
  std::vector<std::vector<double>> vs;
  std::vector<double> rdiag(n);
  for (int64_t k = 0; k < n; ++k) {
    double norm = 0;
    for (int64_t i = k; i < m; ++i) norm += A[i * n + k] * A[i * n + k];
    norm = std::sqrt(norm);
    const double alpha = A[k * n + k] > 0 ? -norm : norm;
    std::vector<double> v(m, 0.0);
    for (int64_t i = k; i < m; ++i) v[i] = A[i * n + k];
    v[k] -= alpha;
    double vn = 0;
    for (int64_t i = k; i < m; ++i) vn += v[i] * v[i];
    if (vn > 0)
      for (int64_t j = k; j < n; ++j) {
        double s = 0;
        for (int64_t i = k; i < m; ++i) s += v[i] * A[i * n + j];
        s = 2 * s / vn;
        for (int64_t i = k; i < m; ++i) A[i * n + j] -= s * v[i];
      }
    rdiag[k] = A[k * n + k];
    vs.push_back(std::move(v));
  }
  std::vector<double> Q(m * n, 0.0);
  for (int64_t j = 0; j < n; ++j) Q[j * n + j] = 1.0;
  for (int64_t k = n - 1; k >= 0; --k) {
    const auto& v = vs[k];
    double vn = 0;
    for (int64_t i = k; i < m; ++i) vn += v[i] * v[i];
    if (vn == 0) continue;
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t i = k; i < m; ++i) s += v[i] * Q[i * n + j];
      s = 2 * s / vn;
      for (int64_t i = k; i < m; ++i) Q[i * n + j] -= s * v[i];
    }
  }
  // Make the decomposition unique (as PyTorch: q *= sign(diag(r))).
  for (int64_t j = 0; j < n; ++j) {
    const double sg = rdiag[j] >= 0 ? 1.0 : -1.0;
    for (int64_t i = 0; i < m; ++i) Q[i * n + j] *= sg * gain;
  }
  Tensor q = from_blob(Q.data(), {m, n}, TensorOptions(kDouble)).clone();
  if (transposed) q = q.t().contiguous();
  tensor.copy_(q.reshape(tensor.sizes()));
  return tensor;
}

}  // namespace sinter::nn::init
