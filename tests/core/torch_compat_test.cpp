// LibTorch source compatibility: this file is written against LibTorch's C++ frontend. Only the
// include below differs from a LibTorch program (<torch/torch.h>); the same source builds
// against Debian's libtorch-dev.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <tuple>
#include <vector>

#include <sinter/torch.h>

namespace F = torch::nn::functional;
using namespace torch::indexing;

namespace {

// A custom autograd function with a non-tensor argument kept in ctx->saved_data.
struct MulConstant : public torch::autograd::Function<MulConstant> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, double c) {
    ctx->saved_data["c"] = c;
    return x * c;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    return {grad_outputs[0] * ctx->saved_data["c"].toDouble(), torch::Tensor()};
  }
};

// The LibTorch tutorial's linear function: tensors saved with ctx->save_for_backward.
struct LinearFunction : public torch::autograd::Function<LinearFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor input, torch::Tensor weight,
                               torch::Tensor bias = torch::Tensor()) {
    ctx->save_for_backward({input, weight, bias});
    auto output = input.mm(weight.t());
    if (bias.defined()) output += bias.unsqueeze(0).expand_as(output);
    return output;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    auto input = saved[0];
    auto weight = saved[1];
    auto bias = saved[2];
    auto grad_output = grad_outputs[0];
    auto grad_input = grad_output.mm(weight);
    auto grad_weight = grad_output.t().mm(input);
    auto grad_bias = torch::Tensor();
    if (bias.defined()) grad_bias = grad_output.sum(0);
    return {grad_input, grad_weight, grad_bias};
  }
};

}  // namespace

TEST(TorchCompat, FactoriesWithOptions) {
  torch::manual_seed(0);
  torch::Tensor a = torch::ones({2, 2}, torch::requires_grad());
  EXPECT_TRUE(a.requires_grad());
  EXPECT_EQ(a.scalar_type(), torch::kFloat);
  EXPECT_EQ(a.dim(), 2);
  EXPECT_EQ(a.numel(), 4);

  auto b = torch::randn({3, 4});
  EXPECT_EQ(b.size(0), 3);
  EXPECT_EQ(b.size(1), 4);
  EXPECT_EQ(b.dtype(), torch::kFloat32);

  auto c = torch::tensor({0.1, 1.0}, torch::kFloat);
  EXPECT_EQ(c.scalar_type(), torch::kFloat);
  EXPECT_FLOAT_EQ(c[1].item<float>(), 1.0f);

  auto d = torch::zeros({2, 3}, torch::TensorOptions().dtype(torch::kFloat64).device(torch::kCPU));
  EXPECT_EQ(d.scalar_type(), torch::kDouble);
  EXPECT_EQ(d.sum().item<double>(), 0.0);

  auto e = torch::arange(6, torch::dtype(torch::kLong));
  EXPECT_EQ(e.scalar_type(), torch::kInt64);
  EXPECT_EQ(e[5].item<int64_t>(), 5);

  auto f = torch::full({2}, 7, torch::kInt32);
  EXPECT_EQ(f.scalar_type(), torch::kInt);
  EXPECT_EQ(f.sum().item<int64_t>(), 14);

  torch::Device device(torch::cuda::is_available() ? torch::kCUDA : torch::kCPU);
  EXPECT_TRUE(device.is_cpu());
  EXPECT_TRUE(b.to(device).device().is_cpu());
  EXPECT_EQ(torch::eye(3).sum().item<float>(), 3.0f);
  EXPECT_EQ(torch::empty_like(b).sizes(), b.sizes());
}

TEST(TorchCompat, ShapesAndReductions) {
  auto x = torch::arange(6, torch::kFloat).view({2, 3});
  auto s = x.sum(1, true);
  EXPECT_EQ(s.dim(), 2);
  EXPECT_EQ(s.size(0), 2);
  EXPECT_EQ(s.size(1), 1);
  EXPECT_FLOAT_EQ(s[1][0].item<float>(), 12.0f);

  auto v = x.view({-1, 2});
  EXPECT_EQ(v.size(0), 3);
  EXPECT_EQ(v.size(1), 2);
  EXPECT_FLOAT_EQ(x.mean().item<float>(), 2.5f);
  EXPECT_FLOAT_EQ(x.t().contiguous().view({-1})[1].item<float>(), 3.0f);

  torch::Tensor values, indices;
  std::tie(values, indices) = x.max(1);
  EXPECT_EQ(indices[0].item<int64_t>(), 2);
  EXPECT_FLOAT_EQ(values[1].item<float>(), 5.0f);
  EXPECT_EQ(x.argmax().item<int64_t>(), 5);

  auto y = torch::cat({x, x}, 0);
  EXPECT_EQ(y.size(0), 4);
  EXPECT_TRUE(torch::allclose(torch::stack({x, x}).sum(0), x * 2));
  EXPECT_TRUE(x.reshape({3, 2}).permute({1, 0}).is_contiguous() == false);
}

TEST(TorchCompat, AutogradBackwardAndGrad) {
  auto x = torch::ones({2, 2}, torch::requires_grad());
  auto y = x * x;
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward0");
  auto z = (y + 2) * 3;
  auto out = z.mean();
  EXPECT_EQ(out.grad_fn()->name(), "MeanBackward0");
  out.backward();
  // d(mean(3 (x^2 + 2)))/dx = 6 x / 4 = 1.5
  EXPECT_TRUE(x.grad().allclose(torch::full({2, 2}, 1.5)));
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(y.is_leaf());

  auto a = torch::tensor({1.0, 2.0, 3.0}, torch::requires_grad());
  auto b = (a * a * a).sum();
  auto g = torch::autograd::grad({b}, {a}, /*grad_outputs=*/{}, /*retain_graph=*/true, /*create_graph=*/true)[0];
  EXPECT_TRUE(g.allclose(3 * a * a));
  EXPECT_TRUE(g.requires_grad());
  auto gg = torch::autograd::grad({g.sum()}, {a})[0];
  EXPECT_TRUE(gg.allclose(6 * a));
}

TEST(TorchCompat, CustomFunctions) {
  auto x = torch::randn({2, 3}, torch::requires_grad());
  auto y = MulConstant::apply(x, 5.5);
  y.sum().backward();
  EXPECT_TRUE(x.grad().allclose(torch::full({2, 3}, 5.5)));

  auto input = torch::randn({2, 3}, torch::requires_grad());
  auto weight = torch::randn({4, 3}, torch::requires_grad());
  auto bias = torch::randn({4}, torch::requires_grad());
  auto out = LinearFunction::apply(input, weight, bias);
  EXPECT_EQ(out.size(1), 4);
  out.sum().backward();
  EXPECT_TRUE(input.grad().allclose(weight.sum(0).expand({2, 3})));
  EXPECT_TRUE(weight.grad().allclose(input.sum(0).expand({4, 3})));
  EXPECT_TRUE(bias.grad().allclose(torch::full({4}, 2.0)));
}

TEST(TorchCompat, NoGradGuard) {
  auto x = torch::ones({3}, torch::requires_grad());
  {
    torch::NoGradGuard no_grad;
    auto y = x * 2;
    EXPECT_FALSE(y.requires_grad());
  }
  EXPECT_TRUE((x * 2).requires_grad());
}

TEST(TorchCompat, Indexing) {
  auto x = torch::arange(24).view({2, 3, 4});
  EXPECT_EQ(x.index({Slice(), 1}).sizes(), torch::IntArrayRef({2, 4}));
  EXPECT_EQ(x.index({Ellipsis, 0}).sizes(), torch::IntArrayRef({2, 3}));
  EXPECT_EQ(x.index({None}).sizes(), torch::IntArrayRef({1, 2, 3, 4}));
  EXPECT_EQ(x.index({Slice(1, None), Slice(None, 2), Slice(None, None, 2)}).sizes(), torch::IntArrayRef({1, 2, 2}));
  EXPECT_EQ(x.index({1, 2, 3}).item<int64_t>(), 23);
  x.index_put_({0, Slice(), 0}, -1);
  EXPECT_EQ(x.index({0, 2, 0}).item<int64_t>(), -1);
  EXPECT_EQ(x.index({1, 2, 0}).item<int64_t>(), 20);
}

TEST(TorchCompat, Functional) {
  torch::manual_seed(1);
  auto logits = torch::randn({4, 5}, torch::requires_grad());
  auto target = torch::tensor({0, 4, 2, 1}, torch::kLong);
  auto loss = F::cross_entropy(logits, target);
  EXPECT_EQ(loss.dim(), 0);
  loss.backward();
  // Each row of d(loss)/d(logits) = (softmax - onehot) / N sums to zero.
  EXPECT_LT(logits.grad().sum(1).abs().max().item<float>(), 1e-6f);

  auto summed = F::cross_entropy(logits, target, F::CrossEntropyFuncOptions().reduction(torch::kSum));
  EXPECT_NEAR(summed.item<float>(), 4 * loss.item<float>(), 1e-4);
  auto smoothed = F::cross_entropy(logits, target, F::CrossEntropyFuncOptions().label_smoothing(0.1));
  EXPECT_NE(smoothed.item<float>(), loss.item<float>());
  auto nll = F::nll_loss(F::log_softmax(logits, F::LogSoftmaxFuncOptions(1)), target);
  EXPECT_NEAR(nll.item<float>(), loss.item<float>(), 1e-5);

  auto x = torch::tensor({-1.0, 0.0, 2.0});
  EXPECT_TRUE(F::relu(x).allclose(torch::tensor({0.0, 0.0, 2.0})));
  EXPECT_TRUE(torch::nn::functional::relu(x).equal(torch::relu(x)));
  EXPECT_FLOAT_EQ(F::softmax(x, F::SoftmaxFuncOptions(0)).sum().item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(F::mse_loss(x, torch::zeros({3}), F::MSELossFuncOptions(torch::kSum)).item<float>(), 5.0f);
  EXPECT_FLOAT_EQ(F::l1_loss(x, torch::zeros({3})).item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(F::smooth_l1_loss(x, torch::zeros({3}), F::SmoothL1LossFuncOptions().reduction(torch::kSum)).item<float>(),
                  2.0f);
  auto p = torch::tensor({0.25, 0.75});
  EXPECT_NEAR(F::kl_div(p.log(), p, F::KLDivFuncOptions(torch::kBatchMean)).item<float>(), 0.0f, 1e-6);
  EXPECT_NEAR(F::binary_cross_entropy(p, p.round()).item<float>(), -std::log(0.75f), 1e-5);
  EXPECT_TRUE(F::dropout(x, F::DropoutFuncOptions().p(0.3).training(false)).equal(x));
}

TEST(TorchCompat, FunctionalOptions) {
  torch::manual_seed(2);
  auto x = torch::randn({2, 3, 8, 8});
  auto w = torch::randn({4, 3, 3, 3});
  auto b = torch::randn({4});
  auto same = F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).padding(1));
  EXPECT_EQ(same.sizes(), torch::IntArrayRef({2, 4, 8, 8}));
  EXPECT_TRUE(F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).padding(torch::kSame)).allclose(same, 1e-4, 1e-5));
  EXPECT_EQ(F::conv2d(x, w, F::Conv2dFuncOptions().stride(2)).sizes(), torch::IntArrayRef({2, 4, 3, 3}));
  EXPECT_EQ(F::max_pool2d(x, F::MaxPool2dFuncOptions(2)).sizes(), torch::IntArrayRef({2, 3, 4, 4}));
  EXPECT_TRUE(F::avg_pool2d(x, F::AvgPool2dFuncOptions({2, 2}).stride(2)).allclose(torch::avg_pool2d(x, {2, 2})));
  EXPECT_TRUE(F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(1)).allclose(x.mean({2, 3}, true), 1e-5, 1e-6));

  auto rm = torch::zeros({3});
  auto rv = torch::ones({3});
  auto bn = F::batch_norm(x, rm, rv, F::BatchNormFuncOptions().training(true).momentum(0.5));
  EXPECT_LT(bn.mean().abs().item<float>(), 1e-5f);
  EXPECT_GT(rm.abs().sum().item<float>(), 0.0f);  // running stats updated in training mode
  auto ln = F::layer_norm(x, F::LayerNormFuncOptions({8}).eps(1e-5));
  EXPECT_LT(ln.mean(-1).abs().max().item<float>(), 1e-5f);
  EXPECT_EQ(F::group_norm(x, F::GroupNormFuncOptions(1)).sizes(), x.sizes());
  auto unit = F::normalize(torch::randn({4, 5}), F::NormalizeFuncOptions().p(2).dim(1));
  EXPECT_TRUE(unit.norm(2, {1}).allclose(torch::ones({4})));

  auto table = torch::randn({10, 3});
  auto idx = torch::tensor({1, 7, 1}, torch::kLong);
  EXPECT_TRUE(F::embedding(idx, table).index({0}).equal(table.index({1})));
  EXPECT_EQ(F::one_hot(idx, 10).sum().item<int64_t>(), 3);
  EXPECT_EQ(F::pad(x, F::PadFuncOptions({1, 1, 2, 2}).mode(torch::kReflect)).sizes(), torch::IntArrayRef({2, 3, 12, 10}));
  EXPECT_EQ(F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>({2, 2})).mode(torch::kNearest))
                .sizes(),
            torch::IntArrayRef({2, 3, 16, 16}));

  auto v = torch::tensor({-2.0, -0.5, 0.5, 2.0});
  EXPECT_TRUE(F::leaky_relu(v, F::LeakyReLUFuncOptions().negative_slope(0.5)).allclose(torch::tensor({-1.0, -0.25, 0.5, 2.0})));
  EXPECT_TRUE(F::hardtanh(v, F::HardtanhFuncOptions().min_val(-1.0).max_val(1.0)).allclose(torch::tensor({-1.0, -0.5, 0.5, 1.0})));
  EXPECT_TRUE(F::gelu(v, F::GELUFuncOptions().approximate("tanh")).allclose(torch::gelu(v, "tanh")));
  EXPECT_TRUE(F::softplus(v, F::SoftplusFuncOptions().beta(2.0)).allclose(torch::softplus(v, 2.0)));
  EXPECT_TRUE(F::elu(v).allclose(torch::elu(v)));
  EXPECT_TRUE(F::silu(v).allclose(v * torch::sigmoid(v)));
  EXPECT_TRUE(F::linear(torch::ones({2, 3}), torch::ones({4, 3}), torch::ones({4})).allclose(torch::full({2, 4}, 4.0)));

  auto t = torch::tensor({1.0, 0.0, 1.0, 0.0});
  auto pw = torch::full({4}, 3.0);
  auto bce = F::binary_cross_entropy_with_logits(v, t, F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(pw));
  EXPECT_TRUE(bce.allclose(torch::binary_cross_entropy_with_logits(v, t, {}, pw, at::Reduction::Mean)));
  EXPECT_TRUE(F::huber_loss(v, t, F::HuberLossFuncOptions().delta(0.5)).allclose(torch::huber_loss(v, t, at::Reduction::Mean, 0.5)));
  EXPECT_TRUE(torch::mse_loss(v, t, at::Reduction::Sum).allclose(F::mse_loss(v, t, F::MSELossFuncOptions(torch::kSum))));
  EXPECT_TRUE(torch::nll_loss(v.view({1, 4}), torch::tensor({2}, torch::kLong)).allclose(-v[2]));
  EXPECT_EQ(F::mse_loss(v, t, F::MSELossFuncOptions().reduction(torch::kNone)).dim(), 1);
}

TEST(TorchCompat, DevicesSizesAndInferenceMode) {
  auto x = torch::randn({2, 3}, torch::requires_grad());
  EXPECT_TRUE(x.to(torch::kCPU).device().is_cpu());
  EXPECT_EQ(x.to(torch::kDouble).scalar_type(), torch::kDouble);
  std::ostringstream os;
  os << x.sizes();
  EXPECT_EQ(os.str(), "[2, 3]");
  EXPECT_EQ(x.sizes().vec(), std::vector<int64_t>({2, 3}));
  {
    c10::InferenceMode guard;
    EXPECT_FALSE((x * 2).requires_grad());
  }
  EXPECT_TRUE((x * 2).requires_grad());
}

TEST(TorchCompat, Printing) {
  auto x = torch::tensor({1.5, -2.0});
  std::cout << x << std::endl;
  std::ostringstream os;
  os << x;
  EXPECT_NE(os.str().find("1.5"), std::string::npos);
  EXPECT_NE(os.str().find("-2"), std::string::npos);
}
