// nn::init formulas and the layers' default initialisation.
#include <gtest/gtest.h>

#include <cmath>

#include "nn_ref.h"

using namespace sinter;
namespace init = sinter::nn::init;

namespace {
double mean_of(const Tensor& t) { return t.to(kDouble).mean().item<double>(); }
double std_of(const Tensor& t) {
  Tensor d = t.to(kDouble);
  return (d - d.mean()).pow(2).mean().sqrt().item<double>();
}
double max_abs(const Tensor& t) { return t.abs().max().item<double>(); }
}  // namespace

TEST(NNInit, GainAndFansMatchPyTorch) {
  auto& ref = sinter::testing::TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  auto r = ref.run(
      "(nn.init.calculate_gain('linear'), nn.init.calculate_gain('conv2d'), nn.init.calculate_gain('sigmoid'), "
      "nn.init.calculate_gain('tanh'), nn.init.calculate_gain('relu'), nn.init.calculate_gain('leaky_relu'), "
      "nn.init.calculate_gain('leaky_relu', 0.2), nn.init.calculate_gain('selu')) + "
      "nn.init._calculate_fan_in_and_fan_out(torch.empty(6, 4, 3, 2)) + "
      "nn.init._calculate_fan_in_and_fan_out(torch.empty(5, 7))",
      {});
  ASSERT_TRUE(r.ok) << r.message;
  const double gains[] = {init::calculate_gain("linear"),     init::calculate_gain("conv2d"),
                          init::calculate_gain("sigmoid"),    init::calculate_gain("tanh"),
                          init::calculate_gain("relu"),       init::calculate_gain("leaky_relu"),
                          init::calculate_gain("leaky_relu", 0.2), init::calculate_gain("selu")};
  for (int i = 0; i < 8; ++i) EXPECT_DOUBLE_EQ(gains[i], r.outputs[i].item<double>()) << i;
  auto [fi, fo] = init::_calculate_fan_in_and_fan_out(empty({6, 4, 3, 2}));
  EXPECT_EQ(fi, r.outputs[8].item<int64_t>());
  EXPECT_EQ(fo, r.outputs[9].item<int64_t>());
  auto [fi2, fo2] = init::_calculate_fan_in_and_fan_out(empty({5, 7}));
  EXPECT_EQ(fi2, r.outputs[10].item<int64_t>());
  EXPECT_EQ(fo2, r.outputs[11].item<int64_t>());
  EXPECT_THROW(init::calculate_gain("swish"), ValueError);
  EXPECT_THROW(init::_calculate_fan_in_and_fan_out(empty({5})), ValueError);
}

TEST(NNInit, Distributions) {
  manual_seed(0);
  Tensor w = empty({400, 300});
  init::uniform_(w, -2, 3);
  EXPECT_GE(w.min().item<float>(), -2.0f);
  EXPECT_LT(w.max().item<float>(), 3.0f);
  EXPECT_NEAR(mean_of(w), 0.5, 0.02);
  init::normal_(w, 1.5, 0.5);
  EXPECT_NEAR(mean_of(w), 1.5, 0.01);
  EXPECT_NEAR(std_of(w), 0.5, 0.01);
  init::trunc_normal_(w, 0.0, 1.0, -1.0, 2.0);
  EXPECT_GE(w.min().item<float>(), -1.0f);
  EXPECT_LE(w.max().item<float>(), 2.0f);
  // Mean of N(0, 1) truncated to [-1, 2]: (phi(-1) - phi(2)) / (Phi(2) - Phi(-1)).
  auto phi = [](double x) { return std::exp(-x * x / 2) / std::sqrt(2 * M_PI); };
  auto Phi = [](double x) { return 0.5 * (1 + std::erf(x / std::sqrt(2.0))); };
  EXPECT_NEAR(mean_of(w), (phi(-1) - phi(2)) / (Phi(2) - Phi(-1)), 0.01);
  init::constant_(w, 0.3);
  EXPECT_TRUE(equal(w, full({400, 300}, 0.3f)));
  init::ones_(w);
  EXPECT_EQ(w.sum().item<double>(), 400.0 * 300.0);
  init::zeros_(w);
  EXPECT_EQ(max_abs(w), 0.0);
  Tensor e = empty({3, 5});
  init::eye_(e);
  EXPECT_TRUE(equal(e, eye(3, 5)));
  EXPECT_THROW(init::eye_(empty({2, 2, 2})), ValueError);

  // xavier: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)); normal std = gain * sqrt(2 / (..)).
  init::xavier_uniform_(w, 2.0);
  const double a = 2.0 * std::sqrt(6.0 / 700.0);
  EXPECT_LE(max_abs(w), a);
  EXPECT_GT(max_abs(w), 0.99 * a);
  EXPECT_NEAR(std_of(w), a / std::sqrt(3.0), 0.01 * a);
  init::xavier_normal_(w);
  EXPECT_NEAR(std_of(w), std::sqrt(2.0 / 700.0), 0.01 * std::sqrt(2.0 / 700.0));

  // kaiming: std = gain / sqrt(fan); fan_in = 300, fan_out = 400.
  init::kaiming_normal_(w, 0.0, "fan_out", "relu");
  EXPECT_NEAR(std_of(w), std::sqrt(2.0) / std::sqrt(400.0), 0.002);
  init::kaiming_normal_(w, 0.0, "fan_in", "relu");
  EXPECT_NEAR(std_of(w), std::sqrt(2.0) / std::sqrt(300.0), 0.002);
  init::kaiming_uniform_(w, std::sqrt(5.0));  // bound 1/sqrt(fan_in), PyTorch's Linear default
  EXPECT_LE(max_abs(w), 1.0 / std::sqrt(300.0));
  EXPECT_GT(max_abs(w), 0.99 / std::sqrt(300.0));
  EXPECT_THROW(init::kaiming_uniform_(w, 0.0, "fan_avg"), ValueError);

  // Initialisers record nothing for autograd and keep requires_grad.
  Tensor p = empty({3, 3}).requires_grad_();
  init::normal_(p);
  EXPECT_TRUE(p.is_leaf());
  EXPECT_TRUE(p.requires_grad());
}

TEST(NNInit, SeededLikeTheGlobalGenerator) {
  manual_seed(42);
  Tensor a = empty({4, 4});
  init::normal_(a);
  manual_seed(42);
  Tensor b = randn({4, 4});
  EXPECT_TRUE(equal(a, b));
  manual_seed(7);
  nn::Linear l1(10, 5);
  manual_seed(7);
  nn::Linear l2(10, 5);
  EXPECT_TRUE(equal(l1->weight, l2->weight));
  EXPECT_TRUE(equal(l1->bias, l2->bias));
}

TEST(NNInit, Orthogonal) {
  manual_seed(3);
  for (auto shape : {std::vector<int64_t>{6, 4}, std::vector<int64_t>{4, 6}, std::vector<int64_t>{5, 2, 3}}) {
    Tensor w = sinter::empty(shape);
    init::orthogonal_(w, 1.5);
    Tensor m = w.reshape({shape[0], -1}).to(kDouble);
    const int64_t r = m.size(0), c = m.size(1);
    Tensor gram = r >= c ? matmul(m.t(), m) : matmul(m, m.t());
    EXPECT_TRUE(allclose(gram, eye(std::min(r, c), TensorOptions(kDouble)) * 2.25, 1e-5, 1e-5)) << gram;
  }
  EXPECT_THROW(init::orthogonal_(empty({3})), ValueError);
}

TEST(NNInit, Dirac) {
  Tensor w = empty({4, 2, 3, 3});
  init::dirac_(w, 2);
  Tensor x = randn({1, 4, 5, 5});
  // groups=2: out channel g*2+i copies in channel i of group g.
  Tensor y = conv2d(x, w, {}, 1, 1, 1, 2);
  EXPECT_TRUE(allclose(y, x));
}

TEST(NNInit, LayerDefaults) {
  manual_seed(5);
  // Linear and Conv: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
  nn::Linear lin(256, 512);
  const double lb = 1.0 / std::sqrt(256.0);
  EXPECT_LE(max_abs(lin->weight), lb);
  EXPECT_GT(max_abs(lin->weight), 0.99 * lb);
  EXPECT_NEAR(std_of(lin->weight), lb / std::sqrt(3.0), 0.01 * lb);
  EXPECT_LE(max_abs(lin->bias), lb);
  EXPECT_GT(max_abs(lin->bias), 0.9 * lb);
  nn::Conv2d conv(nn::Conv2dOptions(16, 64, 3).groups(4));
  const double cb = 1.0 / std::sqrt(4.0 * 9.0);  // fan_in = in_channels / groups * k * k
  EXPECT_LE(max_abs(conv->weight), cb);
  EXPECT_GT(max_abs(conv->weight), 0.98 * cb);
  EXPECT_LE(max_abs(conv->bias), cb);
  EXPECT_EQ(conv->weight.sizes(), IntArrayRef({64, 4, 3, 3}));
  nn::ConvTranspose2d tconv(nn::ConvTranspose2dOptions(8, 32, 3));
  const double tb = 1.0 / std::sqrt(32.0 * 9.0);  // fan_in from weight (8, 32, 3, 3) dim 1
  EXPECT_LE(max_abs(tconv->weight), tb);
  EXPECT_GT(max_abs(tconv->weight), 0.98 * tb);
  // Embedding: N(0, 1); norms: weight 1, bias 0; BatchNorm running stats 0 / 1 / 0.
  nn::Embedding emb(1000, 64);
  EXPECT_NEAR(std_of(emb->weight), 1.0, 0.02);
  EXPECT_NEAR(mean_of(emb->weight), 0.0, 0.02);
  nn::BatchNorm2d bn(5);
  EXPECT_TRUE(equal(bn->weight, ones({5})));
  EXPECT_TRUE(equal(bn->bias, zeros({5})));
  EXPECT_TRUE(equal(bn->running_mean, zeros({5})));
  EXPECT_TRUE(equal(bn->running_var, ones({5})));
  EXPECT_EQ(bn->num_batches_tracked.dtype(), kLong);
  EXPECT_EQ(bn->num_batches_tracked.dim(), 0);
  nn::LayerNorm ln(std::vector<int64_t>{7});
  EXPECT_TRUE(equal(ln->weight, ones({7})));
  EXPECT_TRUE(equal(ln->bias, zeros({7})));
  nn::GroupNorm gn(2, 6);
  EXPECT_TRUE(equal(gn->weight, ones({6})));
  nn::RMSNorm rms(std::vector<int64_t>{3});
  EXPECT_TRUE(equal(rms->weight, ones({3})));
  // reset_parameters re-draws.
  Tensor before = lin->weight.clone();
  lin->reset_parameters();
  EXPECT_FALSE(equal(before, lin->weight));
}
