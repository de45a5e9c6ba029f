// Records for the 2-D pooling ops: max_pool2d (+ indices), avg_pool2d, adaptive_avg_pool2d.
#include <cmath>
#include <limits>

#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;

namespace {

std::string py_tuple(IntArrayRef v) {
  if (v.size() == 1) return std::to_string(v[0]);
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + ")";
}

/// 4-D, 3-D, non-contiguous, small (gradcheck), a NaN, and an empty batch.
std::vector<OpSample> pool_samples(DType d) {
  Tensor with_nan = make_tensor({1, 2, 6, 6}, d);
  {
    NoGradGuard g;
    with_nan.view({-1})[7].fill_(std::numeric_limits<double>::quiet_NaN());
  }
  return {
      {{make_tensor({2, 3, 7, 6}, d)}, "4-D"},
      {{make_tensor({2, 5, 5}, d)}, "3-D"},
      {{make_noncontiguous({2, 2, 6, 5}, d)}, "non-contiguous"},
      {{make_tensor({2, 3, 6, 5}, d).transpose(2, 3)}, "transposed"},
      {{make_tensor({1, 2, 4, 5}, d)}, "small"},
      {{with_nan}, "NaN"},
      {{make_tensor({0, 2, 5, 5}, d)}, "empty batch"},
  };
}

/// Python helper: bfloat16 tensors go up to float32, so the reference is the exact result
/// rounded once (sinter accumulates bfloat16 and float16 in float32).
const char* kUpcast = "u = lambda t: t.float() if t is not None and t.dtype in (torch.bfloat16, torch.float16) else t";

struct MaxCfg {
  DimVector k, s, p, d;
  bool ceil;
};

}  // namespace

TEST(PoolOps, MaxPool2d) {
  std::vector<MaxCfg> cfgs = {
      {{2}, {}, {0}, {1}, false},
      {{3}, {2}, {1}, {1}, false},
      {{3, 2}, {2, 1}, {1, 0}, {1, 2}, false},
      {{3}, {2}, {0}, {1}, true},
      {{2}, {3}, {1}, {2}, true},
  };
  for (const auto& cfg : cfgs) {
    for (bool with_indices : {false, true}) {
      OpRecord r;
      r.ops = with_indices ? std::vector<std::string>{"max_pool2d_with_indices", "max_pool2d_with_indices_backward"}
                           : std::vector<std::string>{"max_pool2d"};
      std::string stride = cfg.s.empty() ? "None" : py_tuple(cfg.s);
      // (torch 1.13 has no float16 max pooling on CPU: it runs in float32; the maxima are exact.)
      r.stmt = kUpcast;
      std::string call = "F.max_pool2d(u(a0), " + py_tuple(cfg.k) + ", stride=" + stride + ", padding=" +
                         py_tuple(cfg.p) + ", dilation=" + py_tuple(cfg.d) + ", ceil_mode=" + (cfg.ceil ? "True" : "False");
      r.torch = with_indices ? "(lambda r: (r[0].to(a0.dtype), r[1]))(" + call + ", return_indices=True))"
                             : call + ").to(a0.dtype)";
      r.fn = [cfg, with_indices](const TensorList& x) {
        if (with_indices) {
          auto [o, i] = max_pool2d_with_indices(x[0], cfg.k, cfg.s, cfg.p, cfg.d, cfg.ceil);
          return TensorList{o, i};
        }
        return TensorList{max_pool2d(x[0], cfg.k, cfg.s, cfg.p, cfg.d, cfg.ceil)};
      };
      r.samples = pool_samples;
      r.dtypes = {kFloat, kDouble, kBFloat16, kHalf};
      // Under autograd both entry points run max_pool2d_with_indices: check its gradients once.
      r.gradcheck = with_indices;
      r.gradgradcheck = with_indices;
      r.errors = {
          expect_error<ShapeError>("2-D input", [] { max_pool2d(ones({3, 3}, kFloat), {2}); }, "max_pool2d"),
          expect_error<ShapeError>("kernel larger than padded input", [] { max_pool2d(ones({1, 3, 1, 1}, kFloat), {2}); },
                                   "max_pool2d"),
          expect_error<ShapeError>("empty channels", [] { max_pool2d(ones({1, 0, 4, 4}, kFloat), {2}); }, "(1, 0, 4, 4)"),
          expect_error<ValueError>("padding over half the kernel", [] { max_pool2d(ones({1, 1, 5, 5}, kFloat), {2}, {}, {2}); },
                                   "max_pool2d: pad should be at most half of kernel size"),
          expect_error<ValueError>("three kernel sizes", [] { max_pool2d(ones({1, 1, 5, 5}, kFloat), {2, 2, 2}); },
                                   "max_pool2d: kernel_size"),
          expect_error<ValueError>("zero stride", [] { max_pool2d(ones({1, 1, 5, 5}, kFloat), {2}, {0}); }, "max_pool2d: stride"),
          expect_error<ValueError>("zero dilation", [] { max_pool2d(ones({1, 1, 5, 5}, kFloat), {2}, {}, {0}, {0}); },
                                   "max_pool2d: dilation"),
          expect_error<DTypeError>("int64 input", [] { max_pool2d(ones({1, 1, 4, 4}, kLong), {2}); }, "int64"),
          expect_error<ShapeError>("with_indices, too small",
                                   [] { max_pool2d_with_indices(ones({1, 1, 2, 2}, kFloat), {3}); }, "max_pool2d_with_indices"),
      };
      sinter::testing::check_record(r);
    }
  }
}

TEST(PoolOps, MaxPool2dIndicesAndGradient) {
  // Indices are flat positions in each input plane; ties go to the first maximum; the gradient
  // of overlapping windows accumulates at a shared argmax.
  Tensor x = tensor({1.0, 5.0, 2.0, 5.0, 0.0, 3.0, 4.0, 1.0, 9.0}, kDouble).view({1, 1, 3, 3}).requires_grad_();
  auto [y, idx] = max_pool2d_with_indices(x, {2}, {1});
  EXPECT_TRUE(idx.equal(tensor({1, 1, 3, 8}, kLong).view({1, 1, 2, 2})));
  y.sum().backward();
  EXPECT_TRUE(x.grad().equal(tensor({0.0, 2.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0}, kDouble).view({1, 1, 3, 3})));
  // The no-indices path without autograd gives the same values.
  {
    NoGradGuard g;
    EXPECT_TRUE(max_pool2d(x.detach(), {2}, {1}).equal(y.detach()));
  }
}

TEST(PoolOps, AvgPool2d) {
  struct Cfg {
    DimVector k, s, p;
    bool ceil, cip;
    std::optional<int64_t> div;
  };
  std::vector<Cfg> cfgs = {
      {{2}, {}, {0}, false, true, std::nullopt},
      {{3}, {2}, {1}, false, true, std::nullopt},
      {{3}, {2}, {1}, false, false, std::nullopt},
      {{3, 2}, {2, 1}, {1, 1}, true, false, std::nullopt},
      {{3}, {2}, {1}, true, true, std::nullopt},
      {{2}, {1}, {1}, false, true, 3},
  };
  for (const auto& cfg : cfgs) {
    OpRecord r;
    r.ops = {"avg_pool2d", "avg_pool2d_backward"};
    r.stmt = kUpcast;
    r.torch = "F.avg_pool2d(u(a0), " + py_tuple(cfg.k) + ", stride=" + (cfg.s.empty() ? "None" : py_tuple(cfg.s)) +
              ", padding=" + py_tuple(cfg.p) + ", ceil_mode=" + (cfg.ceil ? "True" : "False") +
              ", count_include_pad=" + (cfg.cip ? "True" : "False") +
              ", divisor_override=" + (cfg.div ? std::to_string(*cfg.div) : "None") + ").to(a0.dtype)";
    r.fn = [cfg](const TensorList& x) {
      return TensorList{avg_pool2d(x[0], cfg.k, cfg.s, cfg.p, cfg.ceil, cfg.cip, cfg.div)};
    };
    r.samples = [](DType d) {
      auto s = pool_samples(d);
      s.erase(s.begin() + 5);  // the NaN sample belongs to max pooling
      if (d == kLong) s.push_back({{make_tensor({1, 2, 5, 5}, d, -20, 20)}, "wide int64 range"});
      return s;
    };
    r.dtypes = {kFloat, kDouble, kBFloat16, kHalf, kLong};
    r.gradgradcheck = true;
    r.errors = {
        expect_error<ShapeError>("2-D input", [] { avg_pool2d(ones({3, 3}, kFloat), {2}); }, "avg_pool2d"),
        expect_error<ShapeError>("kernel larger than padded input", [] { avg_pool2d(ones({1, 3, 2, 2}, kFloat), {5}, {}, {1}); },
                                 "avg_pool2d"),
        expect_error<ValueError>("padding over half the kernel", [] { avg_pool2d(ones({1, 1, 5, 5}, kFloat), {2}, {}, {2}); },
                                 "avg_pool2d: pad should be at most half"),
        expect_error<ValueError>("zero divisor", [] { avg_pool2d(ones({1, 1, 5, 5}, kFloat), {2}, {}, {0}, false, true, 0); },
                                 "avg_pool2d: divisor must be not zero"),
        expect_error<DTypeError>("int32 input", [] { avg_pool2d(ones({1, 1, 4, 4}, kInt), {2}); }, "avg_pool2d"),
    };
    sinter::testing::check_record(r);
  }
}

TEST(PoolOps, AdaptiveAvgPool2d) {
  std::vector<DimVector> sizes = {{1, 1}, {3, 2}, {2}, {7, 8}};
  for (const auto& os : sizes) {
    OpRecord r;
    r.ops = {"adaptive_avg_pool2d", "adaptive_avg_pool2d_backward"};
    r.stmt = kUpcast;
    r.torch = "F.adaptive_avg_pool2d(u(a0), " + py_tuple(os) + ").to(a0.dtype)";
    r.fn = [os](const TensorList& x) { return TensorList{adaptive_avg_pool2d(x[0], os)}; };
    r.samples = [](DType d) {
      auto s = pool_samples(d);
      s.erase(s.begin() + 5);
      return s;
    };
    r.dtypes = {kFloat, kDouble, kBFloat16, kHalf};
    r.gradgradcheck = true;
    r.errors = {
        expect_error<ShapeError>("2-D input", [] { adaptive_avg_pool2d(ones({3, 3}, kFloat), {2}); }, "adaptive_avg_pool2d"),
        expect_error<ShapeError>("empty spatial dim", [] { adaptive_avg_pool2d(ones({1, 3, 0, 4}, kFloat), {2}); },
                                 "adaptive_avg_pool2d"),
        expect_error<ValueError>("three output sizes", [] { adaptive_avg_pool2d(ones({1, 3, 4, 4}, kFloat), {2, 2, 2}); },
                                 "adaptive_avg_pool2d: output_size"),
        expect_error<DTypeError>("int64 input", [] { adaptive_avg_pool2d(ones({1, 1, 4, 4}, kLong), {2}); },
                                 "adaptive_avg_pool2d"),
    };
    sinter::testing::check_record(r);
  }
}

TEST(PoolOps, MaxPool2dOpBackwardRecomputesIndices) {
  // The index-free registry op (what a graph runs) has its own backward, which finds the argmax
  // positions again: it must agree with the with-indices path.
  const ops::OpDef* op = ops::Registry::get().find("max_pool2d");
  ASSERT_NE(op, nullptr);
  Tensor x = make_tensor({2, 3, 6, 5}, kDouble).requires_grad_(true);
  ops::Attrs a{DimVector{3}, DimVector{2}, DimVector{1}, DimVector{1}, true};
  Tensor y = ops::call(*op, {x}, a);
  Tensor go = make_tensor(y.sizes(), kDouble);
  Tensor g = autograd::grad({y}, {x}, {go})[0];
  Tensor y2 = max_pool2d(x, {3}, {2}, {1}, {1}, true);
  Tensor g2 = autograd::grad({y2}, {x}, {go})[0];
  EXPECT_TRUE(y.detach().equal(y2.detach()));
  EXPECT_TRUE(sinter::testing::tensors_close(g, g2, 0, 0));
  Tensor xs = make_tensor({1, 2, 4, 4}, kDouble).requires_grad_(true);
  EXPECT_TRUE(gradcheck([&](const TensorList& t) { return TensorList{ops::call(*op, {t[0]}, a)}; }, {xs}));
}
