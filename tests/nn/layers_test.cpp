// Every layer against torch.nn with the same weights: outputs, input and parameter gradients,
// and buffers after the call.
#include <gtest/gtest.h>

#include "nn_ref.h"

using namespace sinter;
using nntest::expect_module_matches;

namespace {
Tensor rnd(std::vector<int64_t> shape) { return randn(shape); }
}  // namespace

TEST(NNLayers, Linear) {
  manual_seed(1);
  nn::Linear lin(5, 3);
  expect_module_matches(*lin, "nn.Linear(5, 3)", {rnd({4, 5})});
  expect_module_matches(*lin, "nn.Linear(5, 3)", {rnd({2, 4, 5})});
  nn::Linear nobias(nn::LinearOptions(5, 2).bias(false));
  EXPECT_FALSE(nobias->bias.defined());
  EXPECT_EQ(nobias->parameters().size(), 1u);
  expect_module_matches(*nobias, "nn.Linear(5, 2, bias=False)", {rnd({3, 5})});
}

TEST(NNLayers, Conv1d) {
  manual_seed(2);
  nn::Conv1d c(nn::Conv1dOptions(3, 4, 3).stride(2).padding(1));
  expect_module_matches(*c, "nn.Conv1d(3, 4, 3, stride=2, padding=1)", {rnd({2, 3, 10})});
  nn::Conv1d same(nn::Conv1dOptions(2, 2, 3).padding("same").dilation(2));
  expect_module_matches(*same, "nn.Conv1d(2, 2, 3, padding='same', dilation=2)", {rnd({1, 2, 9})});
  nn::Conv1d refl(nn::Conv1dOptions(2, 3, 3).padding(2).padding_mode("reflect"));
  expect_module_matches(*refl, "nn.Conv1d(2, 3, 3, padding=2, padding_mode='reflect')", {rnd({2, 2, 7})});
}

TEST(NNLayers, Conv2d) {
  manual_seed(3);
  nn::Conv2d c(nn::Conv2dOptions(3, 6, 3).padding(1));
  expect_module_matches(*c, "nn.Conv2d(3, 6, 3, padding=1)", {rnd({2, 3, 7, 6})});
  nn::Conv2d g(nn::Conv2dOptions(4, 6, {3, 2}).stride({2, 1}).dilation(2).groups(2).bias(false));
  expect_module_matches(*g, "nn.Conv2d(4, 6, (3, 2), stride=(2, 1), dilation=2, groups=2, bias=False)",
                        {rnd({2, 4, 9, 8})});
  nn::Conv2d same(nn::Conv2dOptions(2, 3, {4, 3}).padding("same"));
  expect_module_matches(*same, "nn.Conv2d(2, 3, (4, 3), padding='same')", {rnd({1, 2, 6, 5})});
  nn::Conv2d valid(nn::Conv2dOptions(2, 3, 3).padding("valid"));
  expect_module_matches(*valid, "nn.Conv2d(2, 3, 3, padding='valid')", {rnd({1, 2, 6, 5})});
  // Unbatched (C, H, W) input.
  expect_module_matches(*c, "nn.Conv2d(3, 6, 3, padding=1)", {rnd({3, 5, 5})});
  for (const char* mode : {"reflect", "replicate", "circular"}) {
    nn::Conv2d p(nn::Conv2dOptions(2, 2, 3).padding({1, 2}).padding_mode(mode));
    expect_module_matches(*p, std::string("nn.Conv2d(2, 2, 3, padding=(1, 2), padding_mode='") + mode + "')",
                          {rnd({2, 2, 6, 6})});
  }
  nn::Conv2d psame(nn::Conv2dOptions(2, 2, 4).padding("same").padding_mode("circular"));
  expect_module_matches(*psame, "nn.Conv2d(2, 2, 4, padding='same', padding_mode='circular')", {rnd({1, 2, 6, 6})});
}

TEST(NNLayers, Conv3d) {
  manual_seed(6);
  nn::Conv3d c(nn::Conv3dOptions(2, 4, 3).padding(1));
  expect_module_matches(*c, "nn.Conv3d(2, 4, 3, padding=1)", {rnd({2, 2, 5, 4, 6})});
  nn::Conv3d g(nn::Conv3dOptions(4, 6, {3, 2, 2}).stride({2, 1, 1}).dilation({1, 2, 1}).groups(2).bias(false));
  expect_module_matches(*g, "nn.Conv3d(4, 6, (3, 2, 2), stride=(2, 1, 1), dilation=(1, 2, 1), groups=2, bias=False)",
                        {rnd({1, 4, 6, 5, 4})});
  nn::Conv3d same(nn::Conv3dOptions(2, 3, {2, 3, 4}).padding("same").padding_mode("replicate"));
  expect_module_matches(*same, "nn.Conv3d(2, 3, (2, 3, 4), padding='same', padding_mode='replicate')",
                        {rnd({1, 2, 4, 5, 6})});
  // Unbatched (C, D, H, W) input.
  expect_module_matches(*c, "nn.Conv3d(2, 4, 3, padding=1)", {rnd({2, 3, 4, 4})});
}

TEST(NNLayers, ConvTranspose2d) {
  manual_seed(4);
  nn::ConvTranspose2d t(nn::ConvTranspose2dOptions(4, 2, 3).stride(2).padding(1).output_padding(1));
  expect_module_matches(*t, "nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)",
                        {rnd({2, 4, 5, 4})});
  nn::ConvTranspose2d g(nn::ConvTranspose2dOptions(4, 6, {2, 3}).groups(2).bias(false).dilation({1, 2}));
  expect_module_matches(*g, "nn.ConvTranspose2d(4, 6, (2, 3), groups=2, bias=False, dilation=(1, 2))",
                        {rnd({1, 4, 3, 3})});
}

TEST(NNLayers, BatchNorm) {
  manual_seed(5);
  nn::BatchNorm2d bn(3);
  {
    NoGradGuard g;  // non-trivial affine parameters and running statistics
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.uniform_(-0.5, 0.5);
    bn->running_mean.uniform_(-1, 1);
    bn->running_var.uniform_(0.5, 2);
  }
  // Training: batch statistics; running stats and num_batches_tracked updated as PyTorch's.
  expect_module_matches(*bn, "nn.BatchNorm2d(3)", {rnd({4, 3, 5, 5})});
  expect_module_matches(*bn, "nn.BatchNorm2d(3)", {rnd({4, 3, 5, 5})});
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 2);
  bn->eval();
  Tensor before = bn->running_mean.clone();
  expect_module_matches(*bn, "nn.BatchNorm2d(3)", {rnd({2, 3, 4, 4})});
  EXPECT_TRUE(equal(before, bn->running_mean));  // eval leaves running stats alone
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 2);

  nn::BatchNorm1d b1(nn::BatchNorm1dOptions(4).momentum(std::nullopt).eps(1e-3));
  expect_module_matches(*b1, "nn.BatchNorm1d(4, momentum=None, eps=1e-3)", {rnd({8, 4})});
  expect_module_matches(*b1, "nn.BatchNorm1d(4, momentum=None, eps=1e-3)", {rnd({8, 4, 3})});
  nn::BatchNorm1d plain(nn::BatchNorm1dOptions(4).affine(false).track_running_stats(false));
  EXPECT_TRUE(plain->parameters().empty());
  EXPECT_TRUE(plain->buffers().empty());
  expect_module_matches(*plain, "nn.BatchNorm1d(4, affine=False, track_running_stats=False)", {rnd({6, 4})});
  plain->eval();  // without running stats, eval still uses batch statistics
  expect_module_matches(*plain, "nn.BatchNorm1d(4, affine=False, track_running_stats=False)", {rnd({6, 4})});
}

TEST(NNLayers, LayerGroupNorm) {
  manual_seed(6);
  nn::LayerNorm ln(std::vector<int64_t>{5});
  {
    NoGradGuard g;
    ln->weight.uniform_(0.5, 1.5);
    ln->bias.uniform_(-0.5, 0.5);
  }
  expect_module_matches(*ln, "nn.LayerNorm(5)", {rnd({3, 4, 5})});
  nn::LayerNorm ln2(nn::LayerNormOptions({3, 4}).elementwise_affine(false).eps(1e-3));
  expect_module_matches(*ln2, "nn.LayerNorm((3, 4), elementwise_affine=False, eps=1e-3)", {rnd({2, 3, 4})});
  nn::GroupNorm gn(2, 6);
  {
    NoGradGuard g;
    gn->weight.uniform_(0.5, 1.5);
    gn->bias.uniform_(-0.5, 0.5);
  }
  expect_module_matches(*gn, "nn.GroupNorm(2, 6)", {rnd({3, 6, 4, 2})});
}

TEST(NNLayers, RMSNorm) {
  // torch 1.13 has no nn.RMSNorm: compare with its formula.
  auto& ref = sinter::testing::TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  manual_seed(7);
  nn::RMSNorm rms(nn::RMSNormOptions({6}).eps(1e-6));
  {
    NoGradGuard g;
    rms->weight.uniform_(0.5, 1.5);
  }
  Tensor x = randn({3, 6}).requires_grad_();
  Tensor y = rms(x);
  Tensor g = randn_like(y);
  y.backward(g);
  auto r = ref.run("a0 * torch.rsqrt(a0.pow(2).mean(-1, keepdim=True) + 1e-6) * a1",
                   {x.detach(), rms->weight.detach()}, {true, true}, {g});
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(sinter::testing::tensors_close(y.detach(), r.outputs[0], 1e-4, 1e-5));
  EXPECT_TRUE(sinter::testing::tensors_close(x.grad(), r.grads[0], 1e-4, 1e-5));
  EXPECT_TRUE(sinter::testing::tensors_close(rms->weight.grad(), r.grads[1], 1e-4, 1e-5));
}

TEST(NNLayers, Embedding) {
  manual_seed(8);
  nn::Embedding emb(nn::EmbeddingOptions(10, 4).padding_idx(0));
  EXPECT_TRUE(equal(emb->weight[0], zeros({4})));
  Tensor idx = tensor({1, 0, 3, 9, 3, 0}, kLong).view({2, 3});
  expect_module_matches(*emb, "nn.Embedding(10, 4, padding_idx=0)", {idx});
  EXPECT_TRUE(equal(emb->weight.grad()[0], zeros({4})));  // the padding row gets no gradient

  nn::Embedding neg(nn::EmbeddingOptions(5, 2).padding_idx(-1));
  EXPECT_EQ(*neg->options.padding_idx(), 4);

  Tensor table = randn({6, 3});
  auto pre = nn::Embedding::from_pretrained(table);
  EXPECT_FALSE(pre->weight.requires_grad());
  EXPECT_TRUE(equal(pre->weight, table));
  EXPECT_FALSE(pre->weight.is_same(table));
  EXPECT_TRUE(equal(pre(tensor({2, 5}, kLong)), stack({table[2], table[5]})));
  auto trainable = nn::Embedding::from_pretrained(table, nn::EmbeddingFromPretrainedOptions().freeze(false));
  EXPECT_TRUE(trainable->weight.requires_grad());
}

TEST(NNLayers, Activations) {
  manual_seed(9);
  Tensor x = randn({4, 5}) * 3;
  expect_module_matches(*nn::ReLU(), "nn.ReLU()", {x});
  expect_module_matches(*nn::ReLU6(), "nn.ReLU6()", {x});
  expect_module_matches(*nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)), "nn.LeakyReLU(0.2)", {x});
  expect_module_matches(*nn::ELU(nn::ELUOptions().alpha(0.5)), "nn.ELU(0.5)", {x});
  expect_module_matches(*nn::SELU(), "nn.SELU()", {x});
  expect_module_matches(*nn::GELU(), "nn.GELU()", {x});
  expect_module_matches(*nn::GELU(nn::GELUOptions().approximate("tanh")), "nn.GELU(approximate='tanh')", {x});
  expect_module_matches(*nn::SiLU(), "nn.SiLU()", {x});
  expect_module_matches(*nn::Mish(), "nn.Mish()", {x});
  expect_module_matches(*nn::Softplus(nn::SoftplusOptions().beta(2).threshold(1)), "nn.Softplus(2, 1)", {x});
  expect_module_matches(*nn::Hardsigmoid(), "nn.Hardsigmoid()", {x});
  expect_module_matches(*nn::Hardswish(), "nn.Hardswish()", {x});
  expect_module_matches(*nn::Hardtanh(nn::HardtanhOptions().min_val(-2).max_val(1.5)), "nn.Hardtanh(-2, 1.5)", {x});
  expect_module_matches(*nn::Sigmoid(), "nn.Sigmoid()", {x});
  expect_module_matches(*nn::Tanh(), "nn.Tanh()", {x});
  expect_module_matches(*nn::LogSigmoid(), "nn.LogSigmoid()", {x});
  expect_module_matches(*nn::Softmax(1), "nn.Softmax(dim=1)", {x});
  expect_module_matches(*nn::LogSoftmax(0), "nn.LogSoftmax(dim=0)", {x});
  EXPECT_THROW(nn::GELU(nn::GELUOptions().approximate("fast")), ValueError);
}

TEST(NNLayers, InplaceActivations) {
  Tensor x = tensor({-1.0f, 2.0f, -3.0f});
  nn::ReLU relu(nn::ReLUOptions(true));
  Tensor y = relu(x);
  EXPECT_TRUE(y.is_same(x));
  EXPECT_TRUE(equal(x, tensor({0.0f, 2.0f, 0.0f})));
  Tensor z = tensor({-1.0f, 2.0f});
  nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.5).inplace(true))(z);
  EXPECT_TRUE(equal(z, tensor({-0.5f, 2.0f})));
  // Autograd flows through an in-place activation of an intermediate tensor.
  Tensor a = tensor({-1.0f, 2.0f}).requires_grad_();
  Tensor b = a * 2;
  nn::SiLU(nn::SiLUOptions(true))(b).sum().backward();
  Tensor s = sigmoid(tensor({-2.0f, 4.0f}));
  Tensor expected = 2 * (s * (1 + tensor({-2.0f, 4.0f}) * (1 - s)));
  EXPECT_TRUE(allclose(a.grad(), expected, 1e-5, 1e-6));
}

TEST(NNLayers, Pooling) {
  manual_seed(10);
  Tensor x = randn({2, 3, 9, 8});
  expect_module_matches(*nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1).ceil_mode(true)),
                        "nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", {x});
  expect_module_matches(*nn::MaxPool2d(nn::MaxPool2dOptions({2, 3}).dilation(2)),
                        "nn.MaxPool2d((2, 3), dilation=2)", {x});
  expect_module_matches(*nn::AvgPool2d(nn::AvgPool2dOptions(3).stride(2).padding(1).count_include_pad(false)),
                        "nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)", {x});
  expect_module_matches(*nn::AvgPool2d(nn::AvgPool2dOptions(2).divisor_override(3)),
                        "nn.AvgPool2d(2, divisor_override=3)", {x});
  expect_module_matches(*nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({3, 2})), "nn.AdaptiveAvgPool2d((3, 2))",
                        {randn({2, 3, 7, 5})});
  expect_module_matches(*nn::AdaptiveAvgPool2d(1), "nn.AdaptiveAvgPool2d(1)", {randn({3, 7, 5})});
  Tensor v = randn({2, 2, 7, 6, 5});
  expect_module_matches(*nn::MaxPool3d(nn::MaxPool3dOptions(3).stride(2).padding(1).ceil_mode(true)),
                        "nn.MaxPool3d(3, stride=2, padding=1, ceil_mode=True)", {v});
  expect_module_matches(*nn::MaxPool3d(nn::MaxPool3dOptions({2, 3, 2}).dilation({1, 1, 2})),
                        "nn.MaxPool3d((2, 3, 2), dilation=(1, 1, 2))", {v});
  expect_module_matches(*nn::AvgPool3d(nn::AvgPool3dOptions(3).stride(2).padding(1).count_include_pad(false)),
                        "nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False)", {v});
  expect_module_matches(*nn::AvgPool3d(nn::AvgPool3dOptions({2, 2, 3}).ceil_mode(true)),
                        "nn.AvgPool3d((2, 2, 3), ceil_mode=True)", {randn({2, 7, 6, 5})});
}

TEST(NNLayers, BatchNorm3d) {
  manual_seed(7);
  nn::BatchNorm3d bn(3);
  expect_module_matches(*bn, "nn.BatchNorm3d(3)", {rnd({2, 3, 4, 3, 5})});
  bn->eval();
  expect_module_matches(*bn, "nn.BatchNorm3d(3)", {rnd({2, 3, 2, 3, 4})});
  EXPECT_THROW(bn(randn({2, 3, 4, 4})), ShapeError);
}

TEST(NNLayers, ShapeModules) {
  Tensor x = randn({2, 3, 4, 5});
  expect_module_matches(*nn::Flatten(), "nn.Flatten()", {x});
  expect_module_matches(*nn::Flatten(nn::FlattenOptions().start_dim(0).end_dim(2)), "nn.Flatten(0, 2)", {x});
  expect_module_matches(*nn::Unflatten(1, std::vector<int64_t>{3, 1}), "nn.Unflatten(1, (3, 1))", {randn({2, 3, 5})});
  nn::Identity id;
  EXPECT_TRUE(id(x).is_same(x));
}

TEST(NNLayers, Dropout) {
  manual_seed(11);
  nn::Dropout drop(0.3);
  Tensor x = ones({200, 100});
  Tensor y = drop(x);
  const double zero_frac = (y == 0).to(kDouble).mean().item<double>();
  EXPECT_NEAR(zero_frac, 0.3, 0.02);
  // Survivors are scaled by 1 / (1 - p).
  Tensor kept = y.masked_select(y != 0);
  EXPECT_TRUE(allclose(kept, full_like(kept, 1.0 / 0.7)));
  // The same seed gives the same mask.
  manual_seed(11);
  EXPECT_TRUE(equal(drop(x), y));
  drop->eval();
  EXPECT_TRUE(drop(x).is_same(x));
  drop->train();
  EXPECT_FALSE(equal(drop(x), x));
  // Gradient uses the same mask.
  Tensor a = ones({50, 40}).requires_grad_();
  Tensor b = drop(a);
  b.sum().backward();
  EXPECT_TRUE(equal(a.grad(), b.detach()));
  EXPECT_THROW(nn::Dropout(1.5), ValueError);
  EXPECT_THROW(nn::Dropout(-0.1), ValueError);
  nn::Dropout inplace(nn::DropoutOptions(0.5).inplace(true));
  Tensor c = ones({10, 10});
  Tensor d = inplace(c);
  EXPECT_TRUE(d.is_same(c));
  EXPECT_GT((c == 0).sum().item<int64_t>(), 0);
}

TEST(NNLayers, SequentialMatchesTorch) {
  manual_seed(12);
  nn::Sequential seq(nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(1)), nn::BatchNorm2d(4), nn::ReLU(),
                     nn::MaxPool2d(2), nn::Flatten(), nn::Linear(4 * 3 * 3, 5), nn::LogSoftmax(1));
  expect_module_matches(*seq,
                        "nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), "
                        "nn.Flatten(), nn.Linear(36, 5), nn.LogSoftmax(1))",
                        {randn({3, 1, 6, 6})});
}

TEST(NNLayers, Dropout2d) {
  manual_seed(13);
  nn::Dropout2d drop(0.4);
  Tensor x = ones({8, 50, 3, 3});
  Tensor y = drop(x);
  // Whole channels are dropped: each (n, c) plane is all zero or all 1 / (1 - p).
  Tensor plane_min = y.amin({2, 3}), plane_max = y.amax({2, 3});
  EXPECT_TRUE(equal(plane_min, plane_max));
  Tensor kept = plane_min.masked_select(plane_min != 0);
  EXPECT_TRUE(allclose(kept, full_like(kept, 1.0 / 0.6)));
  EXPECT_NEAR((plane_min == 0).to(kDouble).mean().item<double>(), 0.4, 0.06);
  drop->eval();
  EXPECT_TRUE(drop(x).is_same(x));
  EXPECT_THROW(drop(ones({3, 3})), ShapeError);
  EXPECT_EQ(nntest::torch_string("repr(nn.Dropout2d(0.4))"), drop->repr());
}
