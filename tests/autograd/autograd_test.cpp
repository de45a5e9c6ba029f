// Autograd engine behaviour: accumulation, graph lifetime, higher order, hooks, leaf rules,
// in-place checks, anomaly mode, custom functions and gradcheck itself.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "sinter/sinter.h"

using namespace sinter;

namespace {
double at(const Tensor& t, int64_t i) { return t.reshape({-1})[i].item<double>(); }
}  // namespace

TEST(Autograd, AccumulatesAcrossBackwardCalls) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  (x * 3).sum().backward();
  (x * x).sum().backward();
  EXPECT_DOUBLE_EQ(at(x.grad(), 0), 3 + 2);
  EXPECT_DOUBLE_EQ(at(x.grad(), 1), 3 + 4);
}

TEST(Autograd, SharedSubexpressionGetsSummedGradient) {
  Tensor x = tensor({2.0}, requires_grad());
  Tensor y = x * x;
  Tensor z = y * y + y;  // z = x^4 + x^2 -> dz/dx = 4x^3 + 2x = 36
  z.sum().backward();
  EXPECT_DOUBLE_EQ(at(x.grad(), 0), 36.0);
}

TEST(Autograd, SecondBackwardWithoutRetainGraphThrows) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = (x * x).sum();
  y.backward({}, /*retain_graph=*/true);
  y.backward();
  EXPECT_DOUBLE_EQ(at(x.grad(), 0), 4.0);
  EXPECT_THROW(y.backward(), AutogradError);
}

TEST(Autograd, GradDoesNotTouchDotGrad) {
  Tensor x = tensor({1.0, 2.0, 3.0}, requires_grad());
  Tensor y = (x * x * x).sum();
  auto g = autograd::grad({y}, {x});
  EXPECT_FALSE(x.grad().defined());
  EXPECT_DOUBLE_EQ(at(g[0], 2), 27.0);
  EXPECT_FALSE(g[0].requires_grad());
}

TEST(Autograd, DoubleBackwardWithCreateGraph) {
  Tensor x = tensor({1.5, -2.0}, requires_grad());
  Tensor y = (x * x * x).sum();
  auto g = autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true);
  ASSERT_TRUE(g[0].requires_grad());
  auto gg = autograd::grad({g[0].sum()}, {x});
  EXPECT_DOUBLE_EQ(at(gg[0], 0), 6 * 1.5);  // d2/dx2 x^3 = 6x
  EXPECT_DOUBLE_EQ(at(gg[0], 1), 6 * -2.0);
}

TEST(Autograd, UnusedInputNeedsAllowUnused) {
  Tensor x = tensor({1.0}, requires_grad()), z = tensor({1.0}, requires_grad());
  Tensor y = (x * 2).sum();
  EXPECT_THROW(autograd::grad({y}, {x, z}, {}, true), AutogradError);
  auto g = autograd::grad({y}, {x, z}, {}, true, false, /*allow_unused=*/true);
  EXPECT_TRUE(g[0].defined());
  EXPECT_FALSE(g[1].defined());
}

TEST(Autograd, NonScalarBackwardNeedsGradient) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = x * 2;
  EXPECT_THROW(y.backward(), AutogradError);
  y.backward(tensor({1.0, 10.0}, kDouble));
  EXPECT_DOUBLE_EQ(at(x.grad(), 1), 20.0);
}

TEST(Autograd, NoGradGuardAndDetach) {
  Tensor x = tensor({1.0}, requires_grad());
  {
    NoGradGuard g;
    Tensor y = x * 2;
    EXPECT_FALSE(y.requires_grad());
  }
  Tensor d = x.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  Tensor y = x * 2;
  EXPECT_TRUE(y.requires_grad());
  EXPECT_FALSE(y.is_leaf());
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward0");
}

TEST(Autograd, LeafRules) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  EXPECT_THROW(x.add_(1), AutogradError);  // in-place on a leaf that requires grad
  Tensor y = x * 2;
  EXPECT_THROW(y.requires_grad_(false), AutogradError);
  EXPECT_THROW(ones({2}, kLong).requires_grad_(), AutogradError);
  {
    NoGradGuard g;
    x.add_(1);  // allowed without grad mode
  }
  EXPECT_DOUBLE_EQ(at(x, 0), 2.0);
}

TEST(Autograd, InPlaceOnNonLeafIsTracked) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = x * 3;
  y.mul_(y.detach() + 1);  // y = 3x * (3x + 1) with the second factor constant
  y.sum().backward();
  EXPECT_DOUBLE_EQ(at(x.grad(), 0), 3 * (3 * 1.0 + 1));
  EXPECT_DOUBLE_EQ(at(x.grad(), 1), 3 * (3 * 2.0 + 1));
}

TEST(Autograd, ModifiedSavedTensorIsDetected) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor a = x * 2;
  Tensor b = a * a;  // saves a
  a.add_(1);         // bumps a's version
  try {
    b.sum().backward();
    FAIL() << "expected an error";
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("modified by an inplace operation"), std::string::npos) << e.what();
  }
}

TEST(Autograd, HooksOnLeafAndNonLeaf) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor seen;
  x.register_hook([&](const Tensor& g) { seen = g.clone(); });
  Tensor y = x * 2;
  y.register_hook([](const Tensor& g) -> Tensor { return g * 10; });  // replaces the gradient
  y.retain_grad();
  y.sum().backward();
  EXPECT_DOUBLE_EQ(at(x.grad(), 0), 20.0);
  EXPECT_DOUBLE_EQ(at(seen, 1), 20.0);
  ASSERT_TRUE(y.grad().defined());
  EXPECT_TRUE(y.retains_grad());
}

TEST(Autograd, BackwardInputsLimitAccumulation) {
  Tensor a = tensor({1.0}, requires_grad()), b = tensor({2.0}, requires_grad());
  (a * b).sum().backward({}, std::nullopt, false, {a});
  EXPECT_TRUE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
}

TEST(Autograd, AnomalyModeOffByDefault) {
  Tensor x = tensor({0.0, 1.0}, requires_grad());
  Tensor y = x / x;  // 0/0 -> NaN, no error without anomaly mode
  EXPECT_TRUE(std::isnan(at(y, 0)));
}

TEST(Autograd, AnomalyModeInBackward) {
  Tensor x = tensor({0.0, 4.0}, requires_grad());
  Tensor y;
  try {
    DetectAnomalyGuard guard;
    Tensor z = x * x;  // fine in forward
    Tensor w = z / z.detach();  // forward: 0/0 is NaN -> reported at the forward op
    (void)w;
    FAIL() << "expected an anomaly";
  } catch (const AutogradError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("div"), std::string::npos) << m;
    EXPECT_NE(m.find("autograd_test.cpp"), std::string::npos) << m;
  }
}

TEST(Autograd, AnomalyModeNamesTheForwardOpOfABadGradient) {
  DetectAnomalyGuard guard;
  Tensor x = tensor({1e200}, kDouble).requires_grad_(), y = tensor({1e-200}, kDouble).requires_grad_();
  Tensor p = x * y;                  // forward is finite (1)
  Tensor w = (p * 1e300).sum();      // forward finite; d/dy = 1e300 * 1e200 = inf
  try {
    w.backward();
    FAIL() << "expected an anomaly";
  } catch (const AutogradError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("MulBackward0"), std::string::npos) << m;
    EXPECT_NE(m.find("'mul'"), std::string::npos) << m;
    EXPECT_NE(m.find("autograd_test.cpp"), std::string::npos) << m;
  }
}

namespace {
struct CubeFn : public autograd::Function<CubeFn> {
  static Tensor forward(AutogradContext* ctx, Tensor x, double scale) {
    ctx->save_for_backward({x});
    ctx->saved_data["scale"] = scale;
    return x * x * x * scale;
  }
  static TensorList backward(AutogradContext* ctx, TensorList g) {
    Tensor x = ctx->get_saved_variables()[0];
    double s = std::any_cast<double>(ctx->saved_data["scale"]);
    return {g[0] * x * x * (3 * s), Tensor()};
  }
};
struct WrongFn : public autograd::Function<WrongFn> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    ctx->save_for_backward({x});
    return x * x;
  }
  static TensorList backward(AutogradContext* ctx, TensorList g) { return {g[0] * ctx->get_saved_variables()[0]}; }
};
}  // namespace

TEST(Autograd, CustomFunction) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = CubeFn::apply(x, 2.0);
  EXPECT_DOUBLE_EQ(at(y, 1), 16.0);
  y.sum().backward();
  EXPECT_DOUBLE_EQ(at(x.grad(), 1), 24.0);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return TensorList{CubeFn::apply(in[0], 0.5)}; },
                        {tensor({0.3, -1.2}, kDouble).requires_grad_()}));
}

TEST(Autograd, GradcheckCatchesAWrongGradient) {
  Tensor x = tensor({0.7, -1.3}, kDouble).requires_grad_();
  EXPECT_THROW(gradcheck([](const TensorList& in) { return TensorList{WrongFn::apply(in[0])}; }, {x}), AutogradError);
  EXPECT_FALSE(gradcheck([](const TensorList& in) { return TensorList{WrongFn::apply(in[0])}; }, {x}, {}, false));
}

TEST(Autograd, ViewGradients) {
  Tensor x = arange(6, kDouble).reshape({2, 3}).requires_grad_();
  Tensor y = x.t().slice(0, 1, 3).select(1, 1) * tensor({1.0, 2.0}, kDouble);
  y.sum().backward();
  // y = [x[1][1], 2 * x[1][2]]
  EXPECT_DOUBLE_EQ(at(x.grad(), 4), 1.0);
  EXPECT_DOUBLE_EQ(at(x.grad(), 5), 2.0);
  EXPECT_DOUBLE_EQ(x.grad().sum().item<double>(), 3.0);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return TensorList{in[0].permute({1, 0}).unsqueeze(0).expand({2, 3, 2})}; },
                        {rand({2, 3}, kDouble).requires_grad_()}));
}
