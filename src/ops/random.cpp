// Random tensors shaped like an input (the ONNX RandomUniformLike / RandomNormalLike /
// Bernoulli ops):
//   random_uniform_like(self; low, high, seed, dtype)   values in [low, high)
//   random_normal_like(self; mean, std, seed, dtype)
//   bernoulli(self; seed, dtype)                 1 with probability self[i], else 0
// With a seed, every call draws the same values (a generator seeded from it); without one the
// generator's seed is a draw from the global generator (reproducible under manual_seed).
// dtype defaults to the input's.
#include <bit>
#include <cmath>

#include "core/tensor_util.h"
#include "ops/registry.h"
#include "sinter/ops/factory.h"

namespace sinter {
namespace ops {
namespace {

DType out_dtype(const OpCall& c, size_t dtype_attr) {
  return c.attrs.is_none(dtype_attr) ? c.in[0].dtype() : c.attrs.dtype(dtype_attr);
}

void random_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  const char* op = c.op.name.c_str();
  const size_t dtype_attr = c.op.attr_specs.size() - 1;
  DType d = out_dtype(c, dtype_attr);
  bool ok = is_floating_point(d) || (c.op.name == "bernoulli" && (is_integral(d, true)));
  SINTER_CHECK(ok, DTypeError, op, ": unsupported output dtype ", dtype_name(d), " (input of shape ",
               shape_str(c.in[0].sizes()), ")");
  if (c.op.name == "bernoulli")
    SINTER_CHECK(is_floating_point(c.in[0].dtype()), DTypeError, op, ": expected floating point probabilities, got ",
                 dtype_name(c.in[0].dtype()));
  if (c.op.name == "random_normal_like")
    SINTER_CHECK(c.attrs.f(1) >= 0, ValueError, op, ": std must be >= 0, got ", c.attrs.f(1));
  out[0].sizes = DimVector(c.in[0].sizes());
  out[0].dtype = d;
  n = 1;
}

Generator generator_for(const OpCall& c, size_t seed_attr) {
  if (!c.attrs.is_none(seed_attr)) return Generator(std::bit_cast<uint64_t>(c.attrs.f(seed_attr)));
  return Generator(static_cast<uint64_t>(randint(0, int64_t(1) << 53, {}, kLong).item<int64_t>()));
}

/// Fills out[0] with draw(generator, i) in order of the elements.
template <class F>
void fill(const OpCall& c, size_t seed_attr, F&& draw) {
  const Tensor& y = c.out[0];
  if (y.numel() == 0) return;
  Generator g = generator_for(c, seed_attr);
  visit_dtype(y.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = static_cast<T*>(y.data_ptr());
    for (int64_t i = 0; i < y.numel(); ++i) p[i] = static_cast<T>(static_cast<compute_t<T>>(draw(g, i)));
  });
}

void uniform_kernel(const OpCall& c) {
  const double lo = c.attrs.f(0), hi = c.attrs.f(1);
  fill(c, 2, [&](Generator& g, int64_t) { return lo + (hi - lo) * g.next_double(); });
}

void normal_kernel(const OpCall& c) {
  const double mean = c.attrs.f(0), std = c.attrs.f(1);
  fill(c, 2, [&](Generator& g, int64_t) { return mean + std * g.next_normal(); });
}

void bernoulli_kernel(const OpCall& c) {
  Tensor p = c.in[0].contiguous().to(kDouble);
  const double* pp = static_cast<const double*>(p.data_ptr());
  fill(c, 0, [&](Generator& g, int64_t i) { return g.next_double() < pp[i] ? 1.0 : 0.0; });
}

}  // namespace

OpDef& uniform_like_op = def("random_uniform_like").draws_random().input("self").attr("low", 0.0).attr("high", 1.0).attr("seed")
                             .attr("dtype").set_meta(random_meta).set_cpu(uniform_kernel).set_onnx("RandomUniformLike");
OpDef& normal_like_op = def("random_normal_like").draws_random().input("self").attr("mean", 0.0).attr("std", 1.0).attr("seed")
                            .attr("dtype").set_meta(random_meta).set_cpu(normal_kernel).set_onnx("RandomNormalLike");
OpDef& bernoulli_op = def("bernoulli").draws_random().input("self").attr("seed").attr("dtype").set_meta(random_meta)
                          .set_cpu(bernoulli_kernel).set_onnx("Bernoulli");

}  // namespace ops
}  // namespace sinter
