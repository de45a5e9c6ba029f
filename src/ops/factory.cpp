// Factories and the random generator.
#include "sinter/ops/factory.h"

#include <cmath>
#include <cstring>
#include <mutex>

#include "core/tensor_util.h"
#include "kernels/cpu/loops.h"
#include "ops/registry.h"
#include "sinter/autograd.h"

namespace sinter::ops {
extern OpDef& arange_op;  // size_ops.cpp
}  // namespace sinter::ops

namespace sinter {

namespace {
Tensor finish(Tensor t, const TensorOptions& o) {
  if (o.requires_grad_) t.requires_grad_(true);
  return t;
}
// Factories that write numbers: a string tensor has no zeros, ranges or random draws.
Tensor make_numeric(const char* op, IntArrayRef size, DType d, Device dev) {
  SINTER_CHECK(d != kString, DTypeError, op, ": not supported for dtype string (shape ", shape_str(size),
               "); use empty() or strings()");
  return detail::make_empty(size, d, dev);
}
template <class F>
void fill_with(const Tensor& t, F&& f) {  // f(index) -> double, contiguous t
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = static_cast<T*>(t.data_ptr());
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = cast<T>(f(i));
  });
}
}  // namespace

Tensor empty(IntArrayRef size, const TensorOptions& o) {
  return finish(detail::make_empty(size, o.dtype_or_default(), o.device()), o);
}
Tensor zeros(IntArrayRef size, const TensorOptions& o) {
  Tensor t = make_numeric(__func__, size, o.dtype_or_default(), o.device());
  std::memset(t.data_ptr(), 0, static_cast<size_t>(t.nbytes()));
  return finish(t, o);
}
Tensor ones(IntArrayRef size, const TensorOptions& o) { return full(size, 1, o.has_dtype() ? o : o.dtype(default_dtype())); }
Tensor full(IntArrayRef size, const Scalar& value, const TensorOptions& o) {
  DType d = o.has_dtype() ? o.dtype() : value.dtype();
  Tensor t = make_numeric(__func__, size, d, o.device());
  {
    NoGradGuard g;
    t.fill_(value);
  }
  return finish(t, o);
}
static TensorOptions like(const Tensor& t, const TensorOptions& o) {
  TensorOptions r = o;
  if (!o.has_dtype()) r = r.dtype(t.dtype());
  return r;
}
Tensor empty_like(const Tensor& t, const TensorOptions& o) { return empty(t.sizes(), like(t, o)); }
Tensor zeros_like(const Tensor& t, const TensorOptions& o) { return zeros(t.sizes(), like(t, o)); }
Tensor ones_like(const Tensor& t, const TensorOptions& o) { return ones(t.sizes(), like(t, o)); }
Tensor full_like(const Tensor& t, const Scalar& v, const TensorOptions& o) { return full(t.sizes(), v, like(t, o)); }
Tensor rand_like(const Tensor& t, const TensorOptions& o) { return rand(t.sizes(), like(t, o)); }
Tensor randn_like(const Tensor& t, const TensorOptions& o) { return randn(t.sizes(), like(t, o)); }
Tensor randint_like(const Tensor& t, int64_t high, const TensorOptions& o) { return randint(0, high, t.sizes(), like(t, o)); }

Tensor arange(const Scalar& end, const TensorOptions& o) { return arange(0, end, 1, o); }
Tensor arange(const Scalar& start, const Scalar& end, const TensorOptions& o) { return arange(start, end, 1, o); }
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& o) {
  bool all_int = start.is_integral(true) && end.is_integral(true) && step.is_integral(true);
  DType d = o.has_dtype() ? o.dtype() : all_int ? kLong : default_dtype();
  double s = start.to_double(), e = end.to_double(), st = step.to_double();
  SINTER_CHECK(st != 0, ValueError, "arange: step must be nonzero");
  SINTER_CHECK(std::isfinite(s) && std::isfinite(e), ValueError, "arange: unsupported range: ", s, " -> ", e);
  SINTER_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), ValueError,
               "arange: upper bound and larger bound inconsistent with step sign (start ", s, ", end ", e, ", step ", st, ")");
  Tensor t;
  {
    NoGradGuard g;
    t = ops::call(ops::arange_op, {}, {start, end, step, d});
  }
  if (o.device() != t.device()) t = t.to(o.device());
  return finish(t, o);
}

Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, const TensorOptions& o) {
  SINTER_CHECK(steps >= 0, ValueError, "linspace: number of steps must be non-negative, got ", steps);
  Tensor t = make_numeric(__func__, {steps}, o.dtype_or_default(), o.device());
  double s = start.to_double(), e = end.to_double();
  double step = steps > 1 ? (e - s) / static_cast<double>(steps - 1) : 0;
  int64_t half = steps / 2;
  // Like PyTorch: the first half counts up from start, the second half down from end.
  fill_with(t, [&](int64_t i) {
    if (steps == 1) return s;
    return i < half ? s + step * static_cast<double>(i) : e - step * static_cast<double>(steps - 1 - i);
  });
  return finish(t, o);
}

Tensor eye(int64_t n, const TensorOptions& o) { return eye(n, n, o); }
Tensor eye(int64_t n, int64_t m, const TensorOptions& o) {
  SINTER_CHECK(n >= 0 && m >= 0, ValueError, "eye: n and m must be non-negative, got ", n, " and ", m);
  Tensor t = zeros({n, m}, o.requires_grad(false));
  fill_with(t, [&](int64_t i) { return i / m == i % m ? 1.0 : 0.0; });
  return finish(t, o);
}

Tensor scalar_tensor(const Scalar& s, const TensorOptions& o) {
  return full({}, s, o.has_dtype() ? o : o.dtype(s.is_floating_point() ? default_dtype() : s.dtype()));
}

// ---- random ---------------------------------------------------------------------------------

// xoshiro256** seeded through splitmix64.
static uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
Generator::Generator(uint64_t seed) { manual_seed(seed); }
void Generator::manual_seed(uint64_t seed) {
  seed_ = seed;
  uint64_t x = seed;
  for (auto& s : s_) s = splitmix(x);
  have_normal_ = false;
}
uint64_t Generator::next_u64() {
  auto rotl = [](uint64_t v, int k) { return (v << k) | (v >> (64 - k)); };
  uint64_t r = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return r;
}
double Generator::next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
float Generator::next_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
double Generator::next_normal() {
  if (have_normal_) {
    have_normal_ = false;
    return next_normal_;
  }
  double u1 = 1.0 - next_double(), u2 = next_double();  // Box-Muller
  double r = std::sqrt(-2.0 * std::log(u1));
  next_normal_ = r * std::sin(2 * M_PI * u2);
  have_normal_ = true;
  return r * std::cos(2 * M_PI * u2);
}
std::vector<uint8_t> Generator::get_state() const {
  std::vector<uint8_t> st(8 * 6 + 1);
  std::memcpy(st.data(), &seed_, 8);
  std::memcpy(st.data() + 8, s_, 32);
  std::memcpy(st.data() + 40, &next_normal_, 8);
  st[48] = have_normal_;
  return st;
}
void Generator::set_state(const std::vector<uint8_t>& st) {
  SINTER_CHECK(st.size() == 49, ValueError, "Generator::set_state: expected 49 bytes of state, got ", st.size());
  std::memcpy(&seed_, st.data(), 8);
  std::memcpy(s_, st.data() + 8, 32);
  std::memcpy(&next_normal_, st.data() + 40, 8);
  have_normal_ = st[48] != 0;
}

static std::mutex g_gen_mutex;
Generator& default_generator() {
  static Generator g;
  return g;
}
void manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> l(g_gen_mutex);
  default_generator().manual_seed(seed);
}

template <class F>
static Tensor random_fill(IntArrayRef size, const TensorOptions& o, const char* op, F&& draw) {
  DType d = o.dtype_or_default();
  Tensor t = make_numeric(op, size, d, o.device());
  std::lock_guard<std::mutex> l(g_gen_mutex);
  Generator& g = default_generator();
  fill_with(t, [&](int64_t) { return draw(g); });
  (void)op;
  return finish(t, o);
}

Tensor rand(IntArrayRef size, const TensorOptions& o) {
  SINTER_CHECK(is_floating_point(o.dtype_or_default()), DTypeError, "rand: expected a floating dtype, got ",
               dtype_name(o.dtype_or_default()));
  return random_fill(size, o, "rand", [](Generator& g) { return g.next_double(); });
}
Tensor randn(IntArrayRef size, const TensorOptions& o) {
  SINTER_CHECK(is_floating_point(o.dtype_or_default()), DTypeError, "randn: expected a floating dtype, got ",
               dtype_name(o.dtype_or_default()));
  return random_fill(size, o, "randn", [](Generator& g) { return g.next_normal(); });
}
Tensor normal(double mean, double std, IntArrayRef size, const TensorOptions& o) {
  SINTER_CHECK(std >= 0, ValueError, "normal: std must be >= 0, got ", std);
  return random_fill(size, o, "normal", [&](Generator& g) { return mean + std * g.next_normal(); });
}
Tensor randint(int64_t high, IntArrayRef size, const TensorOptions& o) { return randint(0, high, size, o); }
Tensor randint(int64_t low, int64_t high, IntArrayRef size, const TensorOptions& o) {
  SINTER_CHECK(high > low, ValueError, "randint: expected low < high, got low=", low, " high=", high);
  uint64_t range = static_cast<uint64_t>(high - low);
  return random_fill(size, o.has_dtype() ? o : o.dtype(kLong), "randint",
                     [&](Generator& g) { return static_cast<double>(low + static_cast<int64_t>(g.next_u64() % range)); });
}
Tensor randperm(int64_t n, const TensorOptions& o) {
  SINTER_CHECK(n >= 0, ValueError, "randperm: n must be non-negative, got ", n);
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  {
    std::lock_guard<std::mutex> l(g_gen_mutex);
    for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[default_generator().next_u64() % static_cast<uint64_t>(i + 1)]);
  }
  Tensor t = make_numeric(__func__, {n}, o.dtype_or_default() == default_dtype() && !o.has_dtype() ? kLong : o.dtype(), o.device());
  fill_with(t, [&](int64_t i) { return static_cast<double>(p[i]); });
  return t;
}

// ---- tensor(...) and from_blob --------------------------------------------------------------

template <class V>
static Tensor from_values(const V* v, size_t n, DType natural, const TensorOptions& o, bool scalar) {
  DType d = o.has_dtype() ? o.dtype() : natural;
  Tensor t = scalar ? make_numeric("tensor", {}, d, o.device()) : make_numeric("tensor", {static_cast<int64_t>(n)}, d, o.device());
  visit_dtype(t.dtype(), [&](auto tag) {  // element by element from V: int64 values stay exact
    using T = typename decltype(tag)::type;
    T* p = static_cast<T*>(t.data_ptr());
    for (size_t i = 0; i < n; ++i) p[i] = cast<T>(v[i]);
  });
  return finish(t, o);
}
Tensor tensor(std::initializer_list<double> v, const TensorOptions& o) { return from_values(v.begin(), v.size(), default_dtype(), o, false); }
Tensor tensor(std::initializer_list<float> v, const TensorOptions& o) { return from_values(v.begin(), v.size(), kFloat, o, false); }
Tensor tensor(std::initializer_list<int> v, const TensorOptions& o) { return from_values(v.begin(), v.size(), kLong, o, false); }
Tensor tensor(std::initializer_list<int64_t> v, const TensorOptions& o) { return from_values(v.begin(), v.size(), kLong, o, false); }
Tensor tensor(std::initializer_list<bool> v, const TensorOptions& o) { return from_values(v.begin(), v.size(), kBool, o, false); }
Tensor tensor(const std::vector<double>& v, const TensorOptions& o) { return from_values(v.data(), v.size(), default_dtype(), o, false); }
Tensor tensor(const std::vector<float>& v, const TensorOptions& o) { return from_values(v.data(), v.size(), kFloat, o, false); }
Tensor tensor(const std::vector<int64_t>& v, const TensorOptions& o) { return from_values(v.data(), v.size(), kLong, o, false); }
Tensor tensor(const std::vector<int>& v, const TensorOptions& o) { return from_values(v.data(), v.size(), kLong, o, false); }
Tensor tensor(double v, const TensorOptions& o) { return from_values(&v, 1, default_dtype(), o, true); }
Tensor tensor(int64_t v, const TensorOptions& o) { return from_values(&v, 1, kLong, o, true); }
Tensor tensor(int v, const TensorOptions& o) { return from_values(&v, 1, kLong, o, true); }

Tensor from_blob(void* data, IntArrayRef sizes, const TensorOptions& o) {
  return from_blob(data, sizes, ops::contiguous_strides(sizes), o);
}
Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const TensorOptions& o) {
  SINTER_CHECK(sizes.size() == strides.size(), ShapeError, "from_blob: sizes ", shape_str(sizes), " and strides ",
               shape_str(strides), " differ in length");
  int64_t extent = 1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    SINTER_CHECK(sizes[i] >= 0 && strides[i] >= 0, ShapeError, "from_blob: negative size or stride");
    if (sizes[i] == 0) extent = 0;
  }
  if (extent) for (size_t i = 0; i < sizes.size(); ++i) extent += (sizes[i] - 1) * strides[i];
  DType d = o.dtype_or_default();
  Storage* st = Storage::wrap(data, static_cast<size_t>(extent) * element_size(d), o.device(), nullptr, nullptr);
  auto* impl = new TensorImpl(st, d);
  impl->sizes.assign(sizes.begin(), sizes.end());
  impl->strides.assign(strides.begin(), strides.end());
  impl->refresh();
  return finish(Tensor(impl), o);
}

}  // namespace sinter

namespace sinter {

// In-place random fills (nn::init and dropout-style masks use them): drawn from the default
// generator in element order, then copied in (so views and non-contiguous tensors work).
Tensor& Tensor::uniform_(double from, double to) {
  SINTER_CHECK(sinter::is_floating_point(dtype()), DTypeError, "uniform_: expected a floating tensor, got dtype ", dtype_name(dtype()));
  SINTER_CHECK(from <= to, ValueError, "uniform_: expects from <= to, got from=", from, " to=", to);
  Tensor r = random_fill(sizes(), TensorOptions().dtype(dtype()), "uniform_",
                         [&](Generator& g) { return from + (to - from) * g.next_double(); });
  return copy_(r);
}
Tensor& Tensor::normal_(double mean, double std) {
  SINTER_CHECK(sinter::is_floating_point(dtype()), DTypeError, "normal_: expected a floating tensor, got dtype ", dtype_name(dtype()));
  SINTER_CHECK(std >= 0, ValueError, "normal_: expects std >= 0.0, got std=", std);
  Tensor r = random_fill(sizes(), TensorOptions().dtype(dtype()), "normal_",
                         [&](Generator& g) { return mean + std * g.next_normal(); });
  return copy_(r);
}
Tensor& Tensor::bernoulli_(double p) {
  SINTER_CHECK(p >= 0 && p <= 1, ValueError, "bernoulli_: expects 0 <= p <= 1, got p=", p);
  Tensor r = random_fill(sizes(), TensorOptions().dtype(dtype()), "bernoulli_",
                         [&](Generator& g) { return g.next_double() < p ? 1.0 : 0.0; });
  return copy_(r);
}

}  // namespace sinter
