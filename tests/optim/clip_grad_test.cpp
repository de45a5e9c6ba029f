// clip_grad_norm_ and clip_grad_value_ against PyTorch 1.13.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "sinter/nn/clip_grad.h"
#include "sinter/sinter.h"
#include "torch_ref.h"

namespace {

using namespace sinter;
using sinter::testing::TorchRef;
using sinter::testing::tensors_close;

const std::vector<std::vector<int64_t>> kShapes = {{3, 4}, {7}, {2, 2, 5}};

std::vector<Tensor> params_with_grads(DType dt, uint64_t seed, double scale) {
  manual_seed(seed);
  std::vector<Tensor> ps;
  for (const auto& s : kShapes) {
    auto p = randn(s, dtype(dt)).requires_grad_(true);
    p.mutable_grad() = randn(s, dtype(dt)) * scale;
    ps.push_back(p);
  }
  // A parameter without a gradient is skipped.
  ps.push_back(randn({3}, dtype(dt)).requires_grad_(true));
  return ps;
}

std::string grads_stmt(size_t n) {
  std::string s = "ps = []\n";
  for (size_t i = 0; i < n; ++i) {
    s += "p = torch.zeros_like(a" + std::to_string(i) + ", requires_grad=True)\n";
    s += "p.grad = a" + std::to_string(i) + ".clone()\nps.append(p)\n";
  }
  s += "ps.append(torch.zeros(3, requires_grad=True))\n";
  return s;
}

TEST(ClipGrad, NormMatchesTorch) {
  auto& ref = TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  for (DType dt : {kFloat, kDouble}) {
    for (double norm_type : {2.0, 1.0, 3.5, double(INFINITY)}) {
      for (double max_norm : {0.5, 1e3}) {
        SCOPED_TRACE(std::string(dtype_name(dt)) + " norm_type " + std::to_string(norm_type) + " max_norm " +
                     std::to_string(max_norm));
        auto ps = params_with_grads(dt, 3, 1.5);
        std::vector<Tensor> grads;
        for (size_t i = 0; i < kShapes.size(); ++i) grads.push_back(ps[i].grad().clone());
        Tensor total = nn::utils::clip_grad_norm_(ps, max_norm, norm_type);
        std::string nt = std::isinf(norm_type) ? "math.inf" : std::to_string(norm_type);
        auto r = ref.run("[torch.nn.utils.clip_grad_norm_(ps, " + std::to_string(max_norm) + ", " + nt +
                             ")] + [p.grad for p in ps[:-1]]",
                         grads, {}, {}, grads_stmt(grads.size()));
        ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
        const double rtol = dt == kDouble ? 1e-12 : 1e-6;
        EXPECT_TRUE(tensors_close(total, r.outputs[0], rtol, rtol));
        for (size_t i = 0; i < kShapes.size(); ++i) EXPECT_TRUE(tensors_close(ps[i].grad(), r.outputs[1 + i], rtol, rtol));
        EXPECT_FALSE(ps.back().grad().defined());
        // Clipping happened exactly when the norm exceeded max_norm.
        EXPECT_EQ(ps[0].grad().equal(grads[0]), total.item<double>() + 1e-6 <= max_norm);
      }
    }
  }
}

TEST(ClipGrad, NonFiniteNorm) {
  auto ps = params_with_grads(kFloat, 4, 1.0);
  ps[1].mutable_grad().index_put_({0}, NAN);
  Tensor g0 = ps[0].grad().clone();
  try {
    nn::utils::clip_grad_norm_(ps, 1.0, 2.0, /*error_if_nonfinite=*/true);
    ADD_FAILURE() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("clip_grad_norm_"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(ps[0].grad().equal(g0));  // nothing was scaled
  // Without the check, the NaN norm propagates into the gradients (as in PyTorch).
  Tensor total = nn::utils::clip_grad_norm_(ps, 1.0);
  EXPECT_TRUE(std::isnan(total.item<double>()));
  EXPECT_TRUE(ps[0].grad().isnan().all().item<bool>());
}

TEST(ClipGrad, NoGradientsGiveZero) {
  auto p = randn({3}).requires_grad_(true);
  Tensor total = nn::utils::clip_grad_norm_(p, 1.0);
  EXPECT_EQ(total.item<double>(), 0.0);
  nn::utils::clip_grad_value_(p, 1.0);
  EXPECT_FALSE(p.grad().defined());
}

TEST(ClipGrad, ValueMatchesTorch) {
  auto& ref = TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  auto ps = params_with_grads(kFloat, 5, 2.0);
  std::vector<Tensor> grads;
  for (size_t i = 0; i < kShapes.size(); ++i) grads.push_back(ps[i].grad().clone());
  nn::utils::clip_grad_value_(ps, 0.75);
  auto r = ref.run("[torch.nn.utils.clip_grad_value_(ps, 0.75)] + [p.grad for p in ps[:-1]]", grads, {}, {},
                   grads_stmt(grads.size()));
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
  for (size_t i = 0; i < kShapes.size(); ++i) {
    EXPECT_TRUE(tensors_close(ps[i].grad(), r.outputs[1 + i], 0, 0));
    EXPECT_LE(ps[i].grad().abs().max().item<double>(), 0.75);
  }
  EXPECT_FALSE(ps[0].grad().equal(grads[0]));
}

}  // namespace
