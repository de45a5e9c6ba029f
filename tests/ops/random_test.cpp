// Records for random_uniform_like, random_normal_like and bernoulli: the deterministic settings against
// PyTorch, then statistics, seeds and dtypes.
#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::unary_samples;

namespace {

Tensor run(const char* op, const Tensor& x, ops::Attrs a) { return ops::call(*ops::Registry::get().find(op), {x}, a); }

}  // namespace

TEST(RandomOps, DegenerateDistributions) {
  // low == high and std == 0 leave one value; probabilities 0 and 1 leave no choice.
  OpRecord r;
  r.ops = {"random_uniform_like", "random_normal_like", "bernoulli"};
  r.torch = "(torch.full_like(a0, 2.5), torch.full_like(a0, -1.0), torch.bernoulli((a0 > 0).to(a0.dtype)))";
  r.fn = [](const TensorList& x) {
    Tensor p = (x[0] > 0).to(x[0].dtype());
    return TensorList{run("random_uniform_like", x[0], {2.5, 2.5}), run("random_normal_like", x[0], {-1.0, 0.0}), run("bernoulli", p, {})};
  };
  r.samples = [](DType d) { return unary_samples(d); };
  r.grad_inputs = {};
  r.errors = {expect_error<DTypeError>("int output", [] { run("random_uniform_like", ones({2}), {0.0, 1.0, std::monostate{}, kLong}); },
                                       "random_uniform_like"),
              expect_error<ValueError>("negative std", [] { run("random_normal_like", ones({2}), {0.0, -1.0}); }, "random_normal_like"),
              expect_error<DTypeError>("int probabilities", [] { run("bernoulli", ones({2}, kLong), {}); }, "bernoulli")};
  sinter::testing::check_record(r);
}

TEST(RandomOps, Statistics) {
  const int64_t n = 100000;
  Tensor x = zeros({n}, kDouble);
  Tensor u = run("random_uniform_like", x, {-1.0, 3.0});
  EXPECT_GE(sinter::min(u).item<double>(), -1.0);
  EXPECT_LT(sinter::max(u).item<double>(), 3.0);
  EXPECT_NEAR(u.mean().item<double>(), 1.0, 0.03);  // std of the mean: 1.15 / sqrt(n)
  Tensor g = run("random_normal_like", x, {2.0, 0.5});
  EXPECT_NEAR(g.mean().item<double>(), 2.0, 0.01);
  EXPECT_NEAR(sinter::std(g).item<double>(), 0.5, 0.01);
  Tensor b = run("bernoulli", full({n}, 0.3, kDouble), {});
  EXPECT_NEAR(b.mean().item<double>(), 0.3, 0.01);
  EXPECT_EQ(b.eq(0).sum().item<int64_t>() + b.eq(1).sum().item<int64_t>(), n);
}

TEST(RandomOps, SeedAndDtype) {
  Tensor x = zeros({3, 4});
  ops::Attrs seeded{0.0, 1.0, 5.0};
  EXPECT_TRUE(run("random_uniform_like", x, seeded).equal(run("random_uniform_like", x, seeded)));
  EXPECT_FALSE(run("random_uniform_like", x, seeded).equal(run("random_uniform_like", x, {0.0, 1.0, 6.0})));
  EXPECT_FALSE(run("random_normal_like", x, {}).equal(run("random_normal_like", x, {})));
  Tensor d = run("random_normal_like", x, {0.0, 1.0, 1.0, kDouble});
  EXPECT_EQ(d.dtype(), kDouble);
  EXPECT_EQ(d.sizes(), x.sizes());
  Tensor b = run("bernoulli", full({3}, 0.5), {2.0, kInt});
  EXPECT_EQ(b.dtype(), kInt);
  EXPECT_TRUE(b.equal(run("bernoulli", full({3}, 0.5), {2.0, kInt})));
}
