#include <string>

#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;

namespace {

Tensor mk(IntArrayRef shape, DType d) { return make_tensor(shape, d, -2, 2); }
Tensor fl(IntArrayRef shape) { return ones(shape, kFloat); }

/// float32, float64 and int64 (PyTorch's CPU convolution takes integers, without gradients).
/// bfloat16 has its own test: PyTorch 1.13 rounds its bfloat16 sums as it goes on CPUs without
/// native bfloat16, so it is compared with float32 instead.
std::vector<DType> conv_dtypes() { return {kFloat, kDouble, kLong}; }

/// One parameter set of a convolution test: PyTorch keyword arguments, the sinter call, and
/// input/weight/bias shapes for a small sample (gradcheck-sized) and a larger one.
struct ConvCase {
  std::string desc, kwargs;
  std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)> fn;
  std::vector<std::vector<int64_t>> small, large;  // {input, weight, bias ({} = no bias)}
};

std::vector<OpSample> conv_samples(const ConvCase& cs, DType d) {
  auto make = [&](const std::vector<std::vector<int64_t>>& s, const std::string& what) {
    Tensor b = s[2].empty() ? Tensor() : mk(s[2], d);
    return OpSample{{mk(s[0], d), mk(s[1], d), b}, what};
  };
  std::vector<OpSample> r{make(cs.small, "small"), make(cs.large, "large")};
  // The large sample again with strided input and weight (views over doubled last dims).
  Tensor b = cs.large[2].empty() ? Tensor() : mk(cs.large[2], d);
  r.push_back({{make_noncontiguous(cs.large[0], d, -2, 2), make_noncontiguous(cs.large[1], d, -2, 2), b},
               "large, non-contiguous"});
  return r;
}

void check_conv(const std::string& op, const std::string& torch_fn, const ConvCase& cs, bool gradgrad) {
  SCOPED_TRACE(cs.desc);
  OpRecord r;
  r.ops = {op};
  r.torch = torch_fn + "(a0, a1, a2" + (cs.kwargs.empty() ? "" : ", " + cs.kwargs) + ")";
  r.fn = [f = cs.fn](const TensorList& x) { return TensorList{f(x[0], x[1], x[2])}; };
  r.samples = [cs](DType d) { return conv_samples(cs, d); };
  r.dtypes = conv_dtypes();
  r.grad_inputs = {0, 1, 2};
  r.gradgradcheck = gradgrad;
  r.atol = 1e-4;
  r.rtol = 1e-4;
  sinter::testing::check_record(r);
}

}  // namespace

TEST(ConvOps, Conv2d) {
  std::vector<ConvCase> cases = {
      {"plain", "", [](auto& x, auto& w, auto& b) { return conv2d(x, w, b); },
       {{1, 2, 4, 4}, {3, 2, 2, 2}, {3}}, {{2, 3, 9, 8}, {4, 3, 3, 3}, {4}}},
      {"stride 2, padding 1", "stride=2, padding=1", [](auto& x, auto& w, auto& b) { return conv2d(x, w, b, 2, 1); },
       {{1, 2, 5, 5}, {2, 2, 3, 3}, {2}}, {{2, 3, 9, 10}, {5, 3, 3, 3}, {5}}},
      {"per-dim stride, padding, dilation", "stride=(1, 2), padding=(2, 0), dilation=(2, 1)",
       [](auto& x, auto& w, auto& b) { return conv2d(x, w, b, {1, 2}, {2, 0}, {2, 1}); },
       {{1, 1, 5, 6}, {2, 1, 3, 2}, {2}}, {{2, 2, 9, 9}, {3, 2, 3, 2}, {3}}},
      {"groups 2, no bias", "groups=2", [](auto& x, auto& w, auto& b) { return conv2d(x, w, b, 1, 0, 1, 2); },
       {{1, 4, 3, 3}, {2, 2, 2, 2}, {}}, {{2, 4, 7, 7}, {6, 2, 3, 3}, {}}},
      {"depthwise, channel multiplier 2", "padding=1, groups=3",
       [](auto& x, auto& w, auto& b) { return conv2d(x, w, b, 1, 1, 1, 3); },
       {{1, 3, 4, 4}, {6, 1, 2, 2}, {6}}, {{2, 3, 8, 8}, {6, 1, 3, 3}, {6}}},
      {"1x1", "", [](auto& x, auto& w, auto& b) { return conv2d(x, w, b); },
       {{2, 3, 2, 2}, {4, 3, 1, 1}, {4}}, {{2, 8, 5, 5}, {16, 8, 1, 1}, {16}}},
      {"padding 'same', even kernel (padded more on the right)", "padding='same'",
       [](auto& x, auto& w, auto& b) { return conv2d(x, w, b, 1, "same"); },
       {{1, 2, 4, 4}, {2, 2, 2, 3}, {2}}, {{2, 3, 7, 6}, {4, 3, 4, 4}, {4}}},
      {"padding 'same', dilation 2", "padding='same', dilation=2",
       [](auto& x, auto& w, auto& b) { return conv2d(x, w, b, 1, "same", 2); },
       {{1, 1, 5, 5}, {2, 1, 2, 3}, {}}, {{1, 3, 8, 8}, {4, 3, 3, 3}, {4}}},
      {"padding 'valid'", "padding='valid'", [](auto& x, auto& w, auto& b) { return conv2d(x, w, b, 1, "valid"); },
       {{1, 2, 4, 4}, {2, 2, 3, 3}, {2}}, {{2, 3, 6, 6}, {4, 3, 3, 3}, {4}}},
      {"unbatched input", "padding=1", [](auto& x, auto& w, auto& b) { return conv2d(x, w, b, 1, 1); },
       {{2, 4, 4}, {2, 2, 3, 3}, {2}}, {{3, 6, 6}, {4, 3, 3, 3}, {4}}},
      {"empty batch", "", [](auto& x, auto& w, auto& b) { return conv2d(x, w, b); },
       {{0, 2, 4, 4}, {2, 2, 3, 3}, {2}}, {{0, 3, 6, 6}, {4, 3, 3, 3}, {4}}},
      {"larger (blocked layouts)", "padding=1", [](auto& x, auto& w, auto& b) { return conv2d(x, w, b, 1, 1); },
       {{1, 2, 3, 3}, {2, 2, 3, 3}, {2}}, {{2, 16, 12, 12}, {32, 16, 3, 3}, {32}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) check_conv("conv2d", "F.conv2d", cases[i], /*gradgrad=*/i < 5);
}

TEST(ConvOps, Conv2dErrors) {
  OpRecord r;
  r.ops = {"conv2d"};
  r.torch = "F.conv2d(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{conv2d(x[0], x[1])}; };
  r.samples = [](DType d) { return std::vector<OpSample>{{{mk({1, 2, 3, 3}, d), mk({1, 2, 2, 2}, d)}, "plain"}}; };
  r.grad_inputs = {};
  r.errors = {
      expect_error<ShapeError>("channels", [] { conv2d(fl({1, 4, 5, 5}), fl({8, 3, 3, 3})); },
                               "conv2d: given groups=1, weight of size (8, 3, 3, 3), expected input (1, 4, 5, 5) to have "
                               "3 channels, but got 4 channels instead"),
      expect_error<ShapeError>("groups do not divide out channels", [] { conv2d(fl({1, 4, 5, 5}), fl({3, 2, 3, 3}), {}, 1, 0, 1, 2); },
                               "conv2d: given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size (3, 2, 3, 3)"),
      expect_error<ShapeError>("groups do not match in channels", [] { conv2d(fl({1, 3, 5, 5}), fl({4, 2, 3, 3}), {}, 1, 0, 1, 2); },
                               "expected input (1, 3, 5, 5) to have 4 channels, but got 3 channels instead"),
      expect_error<ValueError>("groups 0", [] { conv2d(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), {}, 1, 0, 1, 0); },
                               "conv2d: non-positive groups is not supported"),
      expect_error<DTypeError>("dtype", [] { conv2d(fl({1, 4, 5, 5}), ones({8, 4, 3, 3}, kDouble)); },
                               "conv2d: input type (float32) and weight type (float64) should be the same"),
      expect_error<DTypeError>("bias dtype", [] { conv2d(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), ones({8}, kDouble)); },
                               "conv2d: bias type (float64) and input type (float32) should be the same"),
      expect_error<DTypeError>("float16", [] { conv2d(ones({1, 4, 5, 5}, kHalf), ones({8, 4, 3, 3}, kHalf)); },
                               "conv2d: convolution is not supported for dtype float16"),
      expect_error<ShapeError>("bias size", [] { conv2d(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), fl({7})); },
                               "conv2d: given weight of size (8, 4, 3, 3), expected bias to be 1-D with 8 elements, but got bias of size (7,)"),
      expect_error<ShapeError>("input rank", [] { conv2d(fl({5, 5}), fl({8, 4, 3, 3})); },
                               "conv2d: expected 3-D (unbatched) or 4-D (batched) input, but got input of size (5, 5)"),
      expect_error<ShapeError>("weight rank", [] { conv2d(fl({1, 4, 5, 5}), fl({8, 4, 3})); },
                               "conv2d: expected weight to be 4-D"),
      expect_error<ShapeError>("kernel too large", [] { conv2d(fl({1, 4, 2, 2}), fl({8, 4, 3, 3})); },
                               "conv2d: calculated padded input size per channel (2, 2) is smaller than the (dilated) kernel size (3, 3)"),
      expect_error<ValueError>("stride 0", [] { conv2d(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), {}, 0); },
                               "conv2d: stride must be positive"),
      expect_error<ValueError>("negative padding", [] { conv2d(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), {}, 1, -1); },
                               "conv2d: negative padding is not supported"),
      expect_error<ValueError>("dilation 0", [] { conv2d(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), {}, 1, 0, 0); },
                               "conv2d: dilation must be positive"),
      expect_error<ValueError>("stride list length", [] { conv2d(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), {}, {1, 2, 3}); },
                               "conv2d: expected stride to be a single integer value or a list of 2 values"),
      expect_error<ValueError>("'same' with stride", [] { conv2d(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), {}, 2, "same"); },
                               "conv2d: padding='same' is not supported for strided convolutions"),
      expect_error<ValueError>("bad padding string", [] { conv2d(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), {}, 1, "foo"); },
                               "conv2d: invalid padding string 'foo'"),
      expect_error<ShapeError>("no output channels", [] { conv2d(fl({1, 4, 5, 5}), fl({0, 4, 3, 3})); },
                               "conv2d: expected weight to have at least one output channel"),
  };
  sinter::testing::check_record(r);
}

TEST(ConvOps, Conv1d) {
  std::vector<ConvCase> cases = {
      {"plain", "", [](auto& x, auto& w, auto& b) { return conv1d(x, w, b); },
       {{2, 2, 6}, {3, 2, 3}, {3}}, {{2, 4, 20}, {6, 4, 5}, {6}}},
      {"stride 2, padding 1, dilation 2", "stride=2, padding=1, dilation=2",
       [](auto& x, auto& w, auto& b) { return conv1d(x, w, b, 2, 1, 2); },
       {{1, 2, 9}, {2, 2, 3}, {2}}, {{2, 3, 21}, {4, 3, 3}, {4}}},
      {"groups, no bias", "groups=2", [](auto& x, auto& w, auto& b) { return conv1d(x, w, b, 1, 0, 1, 2); },
       {{1, 4, 5}, {4, 2, 2}, {}}, {{2, 4, 16}, {6, 2, 3}, {}}},
      {"padding 'same', even kernel", "padding='same'", [](auto& x, auto& w, auto& b) { return conv1d(x, w, b, 1, "same"); },
       {{1, 2, 7}, {3, 2, 4}, {3}}, {{2, 3, 15}, {4, 3, 6}, {4}}},
      {"unbatched", "", [](auto& x, auto& w, auto& b) { return conv1d(x, w, b); },
       {{2, 7}, {3, 2, 3}, {3}}, {{3, 12}, {4, 3, 3}, {4}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) check_conv("conv1d", "F.conv1d", cases[i], /*gradgrad=*/i == 1);

  OpRecord r;
  r.ops = {"conv1d"};
  r.torch = "F.conv1d(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{conv1d(x[0], x[1])}; };
  r.samples = [](DType d) { return std::vector<OpSample>{{{mk({1, 2, 5}, d), mk({1, 2, 2}, d)}, "plain"}}; };
  r.grad_inputs = {};
  r.errors = {
      expect_error<ValueError>("padding list", [] { conv1d(fl({1, 4, 5}), fl({8, 4, 3}), {}, 1, {1, 1}); },
                               "conv1d: expected padding to be a single integer value or a list of 1 values"),
      expect_error<ShapeError>("channels", [] { conv1d(fl({1, 3, 5}), fl({8, 4, 3})); },
                               "conv1d: given groups=1, weight of size (8, 4, 3), expected input (1, 3, 5) to have 4 channels"),
      expect_error<ShapeError>("rank", [] { conv1d(fl({1, 3, 5, 5}), fl({8, 3, 3})); },
                               "conv1d: expected 2-D (unbatched) or 3-D (batched) input, but got input of size (1, 3, 5, 5)"),
  };
  sinter::testing::check_record(r);
}

TEST(ConvOps, ConvTranspose2d) {
  std::vector<ConvCase> cases = {
      {"plain", "", [](auto& x, auto& w, auto& b) { return conv_transpose2d(x, w, b); },
       {{1, 2, 3, 3}, {2, 3, 2, 2}, {3}}, {{2, 4, 5, 6}, {4, 3, 3, 3}, {3}}},
      {"stride 2, padding 1, output_padding 1", "stride=2, padding=1, output_padding=1",
       [](auto& x, auto& w, auto& b) { return conv_transpose2d(x, w, b, 2, 1, 1); },
       {{1, 2, 3, 3}, {2, 2, 3, 3}, {2}}, {{2, 4, 5, 5}, {4, 3, 3, 3}, {3}}},
      {"per-dim stride, padding; dilation", "stride=(2, 1), padding=(0, 1), dilation=2",
       [](auto& x, auto& w, auto& b) { return conv_transpose2d(x, w, b, {2, 1}, {0, 1}, 0, 1, 2); },
       {{1, 1, 3, 4}, {1, 2, 2, 3}, {2}}, {{2, 3, 5, 4}, {3, 4, 3, 3}, {4}}},
      {"output_padding not below stride, below dilation", "dilation=3, output_padding=2",
       [](auto& x, auto& w, auto& b) { return conv_transpose2d(x, w, b, 1, 0, 2, 1, 3); },
       {{1, 1, 3, 3}, {1, 2, 2, 2}, {2}}, {{1, 4, 5, 5}, {4, 3, 3, 3}, {3}}},
      {"groups 2, no bias", "groups=2", [](auto& x, auto& w, auto& b) { return conv_transpose2d(x, w, b, 1, 0, 0, 2); },
       {{1, 2, 3, 3}, {2, 2, 2, 2}, {}}, {{2, 4, 5, 5}, {4, 3, 3, 3}, {}}},
      {"padding larger than the kernel", "padding=2", [](auto& x, auto& w, auto& b) { return conv_transpose2d(x, w, b, 1, 2); },
       {{1, 1, 5, 5}, {1, 2, 3, 3}, {2}}, {{2, 4, 7, 7}, {4, 3, 3, 3}, {3}}},
      {"unbatched", "stride=2", [](auto& x, auto& w, auto& b) { return conv_transpose2d(x, w, b, 2); },
       {{2, 3, 3}, {2, 2, 2, 2}, {2}}, {{4, 5, 5}, {4, 3, 3, 3}, {3}}},
      {"larger (blocked layouts)", "stride=2, padding=1, output_padding=1",
       [](auto& x, auto& w, auto& b) { return conv_transpose2d(x, w, b, 2, 1, 1); },
       {{1, 2, 2, 2}, {2, 2, 3, 3}, {2}}, {{2, 16, 8, 8}, {16, 8, 3, 3}, {8}}},
  };
  for (size_t i = 0; i < cases.size(); ++i)
    check_conv("conv_transpose2d", "F.conv_transpose2d", cases[i], /*gradgrad=*/i == 1);

  OpRecord r;
  r.ops = {"conv_transpose2d"};
  r.torch = "F.conv_transpose2d(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{conv_transpose2d(x[0], x[1])}; };
  r.samples = [](DType d) { return std::vector<OpSample>{{{mk({1, 2, 3, 3}, d), mk({2, 1, 2, 2}, d)}, "plain"}}; };
  r.grad_inputs = {};
  r.errors = {
      expect_error<ShapeError>("channels", [] { conv_transpose2d(fl({1, 4, 5, 5}), fl({3, 3, 3, 3})); },
                               "conv_transpose2d: given transposed=1, weight of size (3, 3, 3, 3), expected input (1, 4, 5, 5) to have 3 channels, but got 4 channels instead"),
      expect_error<ValueError>("output_padding", [] { conv_transpose2d(fl({1, 4, 5, 5}), fl({4, 3, 3, 3}), {}, 2, 0, 2); },
                               "conv_transpose2d: output padding must be smaller than either stride or dilation"),
      expect_error<ShapeError>("groups", [] { conv_transpose2d(fl({1, 4, 5, 5}), fl({4, 3, 3, 3}), {}, 1, 0, 0, 3); },
                               "conv_transpose2d: given groups=3, expected weight to be divisible by 3 at dimension 0"),
      expect_error<ShapeError>("bias", [] { conv_transpose2d(fl({1, 4, 5, 5}), fl({4, 3, 3, 3}), fl({2})); },
                               "conv_transpose2d: given transposed=1, weight of size (4, 3, 3, 3), expected bias to be 1-D with 3 elements"),
      expect_error<ShapeError>("output too small", [] { conv_transpose2d(fl({1, 4, 5, 5}), fl({4, 3, 3, 3}), {}, 1, 5); },
                               "conv_transpose2d: given input size per channel (5, 5), calculated output size per channel (-3, -3) is too small"),
      expect_error<DTypeError>("dtype", [] { conv_transpose2d(ones({1, 4, 5, 5}, kDouble), fl({4, 3, 3, 3})); },
                               "conv_transpose2d: input type (float64) and weight type (float32) should be the same"),
  };
  sinter::testing::check_record(r);
}

TEST(ConvOps, Conv3d) {
  std::vector<ConvCase> cases = {
      {"plain", "", [](auto& x, auto& w, auto& b) { return conv3d(x, w, b); },
       {{1, 2, 3, 4, 3}, {2, 2, 2, 2, 2}, {2}}, {{2, 3, 6, 7, 5}, {4, 3, 3, 3, 2}, {4}}},
      {"per-dim stride, padding, dilation", "stride=(1, 2, 1), padding=(1, 0, 2), dilation=(2, 1, 1)",
       [](auto& x, auto& w, auto& b) { return conv3d(x, w, b, {1, 2, 1}, {1, 0, 2}, {2, 1, 1}); },
       {{1, 1, 4, 4, 3}, {2, 1, 2, 2, 2}, {2}}, {{2, 2, 6, 7, 5}, {3, 2, 3, 2, 3}, {3}}},
      {"groups 2, no bias, stride 2", "stride=2, groups=2",
       [](auto& x, auto& w, auto& b) { return conv3d(x, w, b, 2, 0, 1, 2); },
       {{1, 4, 3, 3, 3}, {2, 2, 2, 2, 2}, {}}, {{2, 4, 7, 6, 7}, {6, 2, 3, 3, 3}, {}}},
      {"padding 'same', even kernel", "padding='same'", [](auto& x, auto& w, auto& b) { return conv3d(x, w, b, 1, "same"); },
       {{1, 2, 3, 3, 3}, {2, 2, 2, 3, 2}, {2}}, {{2, 3, 5, 6, 4}, {4, 3, 4, 3, 2}, {4}}},
      {"unbatched", "padding=1", [](auto& x, auto& w, auto& b) { return conv3d(x, w, b, 1, 1); },
       {{2, 3, 3, 3}, {2, 2, 3, 3, 3}, {2}}, {{3, 5, 4, 6}, {4, 3, 3, 3, 3}, {4}}},
      {"larger (blocked layouts)", "padding=1", [](auto& x, auto& w, auto& b) { return conv3d(x, w, b, 1, 1); },
       {{1, 2, 2, 2, 2}, {2, 2, 3, 3, 3}, {2}}, {{2, 16, 6, 6, 6}, {16, 16, 3, 3, 3}, {16}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) check_conv("conv3d", "F.conv3d", cases[i], /*gradgrad=*/i < 2);

  OpRecord r;
  r.ops = {"conv3d"};
  r.torch = "F.conv3d(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{conv3d(x[0], x[1])}; };
  r.samples = [](DType d) { return std::vector<OpSample>{{{mk({1, 2, 3, 3, 3}, d), mk({1, 2, 2, 2, 2}, d)}, "plain"}}; };
  r.grad_inputs = {};
  r.errors = {
      expect_error<ShapeError>("rank", [] { conv3d(fl({3, 5, 5}), fl({8, 3, 3, 3, 3})); },
                               "conv3d: expected 4-D (unbatched) or 5-D (batched) input, but got input of size (3, 5, 5)"),
      expect_error<ShapeError>("channels", [] { conv3d(fl({1, 3, 5, 5, 5}), fl({8, 4, 3, 3, 3})); },
                               "conv3d: given groups=1, weight of size (8, 4, 3, 3, 3), expected input (1, 3, 5, 5, 5) to have 4 channels"),
      expect_error<ValueError>("stride list length", [] { conv3d(fl({1, 4, 5, 5, 5}), fl({8, 4, 3, 3, 3}), {}, {1, 2}); },
                               "conv3d: expected stride to be a single integer value or a list of 3 values"),
      expect_error<ShapeError>("kernel too large", [] { conv3d(fl({1, 4, 2, 5, 5}), fl({8, 4, 3, 3, 3})); },
                               "conv3d: calculated padded input size per channel (2, 5, 5) is smaller than the (dilated) kernel size (3, 3, 3)"),
  };
  sinter::testing::check_record(r);
}

TEST(ConvOps, ConvTranspose1dAnd3d) {
  std::vector<ConvCase> c1 = {
      {"plain", "", [](auto& x, auto& w, auto& b) { return conv_transpose1d(x, w, b); },
       {{1, 2, 4}, {2, 3, 3}, {3}}, {{2, 4, 9}, {4, 3, 3}, {3}}},
      {"stride 2, padding 1, output_padding 1, dilation 2, groups 2",
       "stride=2, padding=1, output_padding=1, dilation=2, groups=2",
       [](auto& x, auto& w, auto& b) { return conv_transpose1d(x, w, b, 2, 1, 1, 2, 2); },
       {{1, 2, 4}, {2, 2, 3}, {4}}, {{2, 4, 8}, {4, 3, 3}, {6}}},
      {"unbatched", "stride=3", [](auto& x, auto& w, auto& b) { return conv_transpose1d(x, w, b, 3); },
       {{2, 4}, {2, 2, 2}, {2}}, {{4, 7}, {4, 3, 3}, {3}}},
  };
  for (size_t i = 0; i < c1.size(); ++i)
    check_conv("conv_transpose1d", "F.conv_transpose1d", c1[i], /*gradgrad=*/i == 1);
  std::vector<ConvCase> c3 = {
      {"plain", "", [](auto& x, auto& w, auto& b) { return conv_transpose3d(x, w, b); },
       {{1, 2, 2, 3, 2}, {2, 2, 2, 2, 2}, {2}}, {{2, 4, 4, 5, 3}, {4, 3, 3, 3, 2}, {3}}},
      {"per-dim stride, padding, output_padding; dilation; groups",
       "stride=(2, 1, 3), padding=(1, 0, 1), output_padding=(1, 0, 2), dilation=(1, 2, 1), groups=2",
       [](auto& x, auto& w, auto& b) { return conv_transpose3d(x, w, b, {2, 1, 3}, {1, 0, 1}, {1, 0, 2}, 2, {1, 2, 1}); },
       {{1, 2, 2, 2, 2}, {2, 1, 2, 2, 2}, {2}}, {{2, 4, 4, 3, 3}, {4, 2, 3, 2, 3}, {4}}},
      {"unbatched, no bias", "stride=2", [](auto& x, auto& w, auto& b) { return conv_transpose3d(x, w, b, 2); },
       {{2, 2, 2, 2}, {2, 2, 2, 2, 2}, {}}, {{4, 3, 4, 3}, {4, 3, 3, 3, 3}, {}}},
  };
  for (size_t i = 0; i < c3.size(); ++i)
    check_conv("conv_transpose3d", "F.conv_transpose3d", c3[i], /*gradgrad=*/i == 1);

  OpRecord r;
  r.ops = {"conv_transpose3d"};
  r.torch = "F.conv_transpose3d(a0, a1)";
  r.fn = [](const TensorList& x) { return TensorList{conv_transpose3d(x[0], x[1])}; };
  r.samples = [](DType d) { return std::vector<OpSample>{{{mk({1, 2, 2, 2, 2}, d), mk({2, 1, 2, 2, 2}, d)}, "plain"}}; };
  r.grad_inputs = {};
  r.errors = {
      expect_error<ShapeError>("rank", [] { conv_transpose3d(fl({4, 5, 5}), fl({4, 3, 3, 3, 3})); },
                               "conv_transpose3d: expected 4-D (unbatched) or 5-D (batched) input"),
      expect_error<ValueError>("output_padding", [] { conv_transpose3d(fl({1, 4, 5, 5, 5}), fl({4, 3, 3, 3, 3}), {}, 2, 0, 2); },
                               "conv_transpose3d: output padding must be smaller than either stride or dilation"),
      expect_error<ShapeError>("weight rank", [] { conv_transpose1d(fl({1, 4, 5}), fl({4, 3, 3, 3})); },
                               "conv_transpose1d: expected weight to be 3-D"),
  };
  sinter::testing::check_record(r);
}

// The gradient convolutions are ops of their own (their backwards make conv double backward
// work); they are checked directly against torch.nn.grad and by gradcheck.
namespace {

struct GradCase {
  std::vector<int64_t> x, w;
  int64_t stride, padding, dilation, groups;
};

std::vector<GradCase> grad_cases() {
  return {{{1, 2, 4, 4}, {3, 2, 2, 2}, 1, 0, 1, 1},
          {{2, 4, 7, 6}, {4, 2, 3, 3}, 2, 1, 1, 2},
          {{1, 2, 8, 8}, {2, 2, 3, 3}, 1, 2, 2, 1},
          {{1, 2, 9}, {2, 2, 3}, 2, 1, 1, 1},
          {{1, 4, 4, 5, 4}, {2, 2, 2, 3, 2}, 2, 1, 1, 2}};
}

DimVector forward_out_shape(const GradCase& cs) {
  NoGradGuard g;
  Tensor x = zeros(cs.x, kDouble), w = zeros(cs.w, kDouble);
  Tensor y = cs.x.size() == 3   ? conv1d(x, w, {}, cs.stride, cs.padding, cs.dilation, cs.groups)
              : cs.x.size() == 4 ? conv2d(x, w, {}, cs.stride, cs.padding, cs.dilation, cs.groups)
                                 : conv3d(x, w, {}, cs.stride, cs.padding, cs.dilation, cs.groups);
  return DimVector(y.sizes());
}

ops::Attrs grad_attrs(const GradCase& cs, IntArrayRef sizes) {
  DimVector pad(cs.x.size() - 2, cs.padding);
  return ops::Attrs{DimVector(sizes), DimVector{cs.stride}, pad, pad, DimVector{cs.dilation}, cs.groups};
}

std::string torch_kwargs(const GradCase& cs) {
  return ", stride=" + std::to_string(cs.stride) + ", padding=" + std::to_string(cs.padding) +
         ", dilation=" + std::to_string(cs.dilation) + ", groups=" + std::to_string(cs.groups) + ")";
}

}  // namespace

TEST(ConvOps, BackwardInput) {
  for (const GradCase& cs : grad_cases()) {
    std::string sp = std::to_string(cs.x.size() - 2) + "d";
    OpRecord r;
    r.ops = {"conv_backward_input"};
    r.torch = "torch.nn.grad.conv" + sp + "_input(" + shape_str(cs.x) + ", a1, a0" + torch_kwargs(cs);
    r.fn = [cs](const TensorList& t) {
      return TensorList{ops::call(*ops::Registry::get().find("conv_backward_input"), {t[0], t[1]}, grad_attrs(cs, cs.x))};
    };
    r.samples = [cs](DType d) {
      return std::vector<OpSample>{{{mk(forward_out_shape(cs), d), mk(cs.w, d)}, shape_str(cs.x)}};
    };
    r.grad_inputs = {0, 1};
    r.gradgradcheck = true;
    r.atol = 1e-4;
    sinter::testing::check_record(r);
  }
  auto& op = *ops::Registry::get().find("conv_backward_input");
  OpRecord r;
  r.ops = {"conv_backward_input"};
  r.torch = "torch.nn.grad.conv2d_input((1, 2, 4, 4), a1, a0)";
  r.fn = [&op](const TensorList& t) {
    return TensorList{ops::call(op, {t[0], t[1]}, grad_attrs(grad_cases()[0], {1, 2, 4, 4}))};
  };
  r.samples = [](DType d) { return std::vector<OpSample>{{{mk({1, 3, 3, 3}, d), mk({3, 2, 2, 2}, d)}, "plain"}}; };
  r.grad_inputs = {};
  r.errors = {expect_error<ShapeError>("grad_output shape", [&op] {
                ops::call(op, {fl({1, 3, 4, 4}), fl({3, 2, 2, 2})}, grad_attrs(grad_cases()[0], {1, 2, 4, 4}));
              }, "conv_backward_input: grad_output (1, 3, 4, 4) does not match the output (1, 3, 3, 3)")};
  sinter::testing::check_record(r);
}

TEST(ConvOps, BackwardWeight) {
  for (const GradCase& cs : grad_cases()) {
    std::string sp = std::to_string(cs.x.size() - 2) + "d";
    OpRecord r;
    r.ops = {"conv_backward_weight"};
    r.torch = "torch.nn.grad.conv" + sp + "_weight(a0, " + shape_str(cs.w) + ", a1" + torch_kwargs(cs);
    r.fn = [cs](const TensorList& t) {
      return TensorList{ops::call(*ops::Registry::get().find("conv_backward_weight"), {t[0], t[1]}, grad_attrs(cs, cs.w))};
    };
    r.samples = [cs](DType d) {
      return std::vector<OpSample>{{{mk(cs.x, d), mk(forward_out_shape(cs), d)}, shape_str(cs.x)}};
    };
    r.grad_inputs = {0, 1};
    r.gradgradcheck = true;
    r.atol = 1e-4;
    sinter::testing::check_record(r);
  }
}

TEST(ConvOps, DoubleBackward) {
  // Second derivatives through a conv2d with every parameter set (checked by finite differences of
  // the first derivatives), and a third derivative of a conv_transpose2d.
  Tensor x = mk({1, 2, 5, 4}, kDouble).requires_grad_(), w = mk({4, 1, 2, 3}, kDouble).requires_grad_();
  Tensor b = mk({4}, kDouble).requires_grad_();
  auto f = [](const TensorList& t) {
    Tensor y = conv2d(t[0], t[1], t[2], {2, 1}, {1, 2}, {1, 2}, 2);
    return TensorList{y * y};
  };
  EXPECT_TRUE(gradcheck(f, {x, w, b}));
  EXPECT_TRUE(gradgradcheck(f, {x, w, b}));
  Tensor xt = mk({1, 2, 3, 3}, kDouble).requires_grad_(), wt = mk({2, 2, 2, 2}, kDouble).requires_grad_();
  auto gt = [](const TensorList& t) {
    Tensor y = conv_transpose2d(t[0], t[1], {}, 2, 1, 1);
    Tensor s = (y * y * y).sum();
    TensorList g = autograd::grad({s}, {t[0], t[1]}, {}, std::nullopt, /*create_graph=*/true);
    return TensorList{g[0], g[1]};
  };
  EXPECT_TRUE(gradgradcheck(gt, {xt, wt}));
}

TEST(ConvOps, ViewsWithOffsets) {
  // Inputs that start inside their storage reach oneDNN and the direct loops at the right place.
  Tensor big = randn({3, 8, 10, 10}, kFloat), wbig = randn({20, 8, 3, 3}, kFloat);
  Tensor x = big.narrow(0, 1, 2), w = wbig.narrow(0, 4, 16);
  EXPECT_TRUE(conv2d(x, w, {}, 1, 1).allclose(conv2d(x.contiguous(), w.contiguous(), {}, 1, 1), 1e-5, 1e-5));
  Tensor xd = big.to(kDouble).narrow(0, 1, 2), wd = wbig.to(kDouble).narrow(0, 4, 16);
  EXPECT_TRUE(conv2d(xd, wd, {}, 2).allclose(conv2d(xd.contiguous(), wd.contiguous(), {}, 2), 1e-12, 1e-12));
}

TEST(ConvOps, BFloat16) {
  // bfloat16 convolutions compute in float32 and round once: they match float32 on the same
  // (bfloat16-valued) inputs to bfloat16 precision.
  Tensor x = randn({2, 8, 9, 9}).to(kBFloat16), w = randn({16, 4, 3, 3}).to(kBFloat16), b = randn({16}).to(kBFloat16);
  Tensor xf = x.to(kFloat), wf = w.to(kFloat), bf = b.to(kFloat);
  auto close = [](const Tensor& a, const Tensor& ref) {
    EXPECT_EQ(a.dtype(), kBFloat16);
    return sinter::testing::tensors_close(a.to(kFloat), ref.to(kBFloat16).to(kFloat), 1e-2, 1e-2);
  };
  EXPECT_TRUE(close(conv2d(x, w, b, 2, 1, 1, 2), conv2d(xf, wf, bf, 2, 1, 1, 2)));
  EXPECT_TRUE(close(conv_transpose2d(x, w.transpose(0, 1).contiguous().view({8, 8, 3, 3}), {}, 2),
                    conv_transpose2d(xf, wf.transpose(0, 1).contiguous().view({8, 8, 3, 3}), {}, 2)));
  Tensor xg = x.detach().requires_grad_(), xfg = xf.detach().requires_grad_();
  conv2d(xg, w, b, 1, 1, 1, 2).sum().backward();
  conv2d(xfg, wf, bf, 1, 1, 1, 2).sum().backward();
  EXPECT_TRUE(close(xg.grad(), xfg.grad()));
}

namespace {

const ops::OpDef& conv2d_fused_op() { return *ops::Registry::get().find("conv2d_fused"); }

/// conv2d_fused(x, w, b, residual) with conv attrs (stride, padding, groups) and an activation.
Tensor conv_fused(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& r, int64_t stride, int64_t pad,
                  int64_t groups, const std::string& act, double lo = 0, double hi = 0) {
  ops::Attrs a{DimVector{stride}, DimVector{pad}, DimVector{1}, groups, std::monostate{}, act, lo, hi};
  return ops::call(conv2d_fused_op(), {x, w, b, r}, a);
}

}  // namespace

// The fused inference convolution against the unfused PyTorch computation. The larger samples
// have 16 channels or more, so oneDNN picks blocked layouts and the residual is reordered into
// the primitive's destination.
TEST(ConvOps, Conv2dFused) {
  struct Case {
    std::string desc, torch;
    int64_t stride, pad, groups;
    std::string act;
    double lo, hi;
    bool residual, bias;
    std::vector<std::vector<int64_t>> small, large;  // {input, weight}
  };
  std::vector<Case> cases = {
      {"relu", "torch.relu(F.conv2d(a0, a1, a2, padding=1))", 1, 1, 1, "relu", 0, 0, false, true,
       {{1, 2, 4, 4}, {3, 2, 3, 3}}, {{2, 16, 9, 9}, {32, 16, 3, 3}}},
      {"residual add, relu", "torch.relu(F.conv2d(a0, a1, a2, padding=1) + a3)", 1, 1, 1, "relu", 0, 0, true, true,
       {{1, 2, 4, 4}, {3, 2, 3, 3}}, {{2, 16, 8, 8}, {16, 16, 3, 3}}},
      {"residual add, no activation, no bias, stride 2", "F.conv2d(a0, a1, None, stride=2) + a3", 2, 0, 1, "none", 0, 0,
       true, false, {{1, 2, 5, 5}, {2, 2, 1, 1}}, {{2, 16, 10, 10}, {24, 16, 1, 1}}},
      {"1x1 (plain NCHW in oneDNN), residual add, relu", "torch.relu(F.conv2d(a0, a1, a2) + a3)", 1, 0, 1, "relu", 0, 0,
       true, true, {{1, 2, 4, 4}, {3, 2, 1, 1}}, {{2, 16, 8, 8}, {24, 16, 1, 1}}},
      {"depthwise, clamp to [0, 6]", "torch.clamp(F.conv2d(a0, a1, a2, padding=1, groups=a0.shape[1]), 0, 6)", 1, 1, -1,
       "clamp", 0, 6, false, true, {{1, 3, 4, 4}, {3, 1, 3, 3}}, {{2, 32, 9, 9}, {32, 1, 3, 3}}},
      {"clamp to [-1, 1], stride 2", "torch.clamp(F.conv2d(a0, a1, a2, stride=2, padding=1), -1, 1)", 2, 1, 1, "clamp",
       -1, 1, false, true, {{1, 2, 5, 5}, {2, 2, 3, 3}}, {{2, 16, 11, 11}, {16, 16, 3, 3}}},
  };
  for (const Case& cs : cases) {
    SCOPED_TRACE(cs.desc);
    OpRecord r;
    r.ops = {"conv2d_fused"};
    r.torch = cs.torch;
    r.fn = [cs](const TensorList& x) {
      int64_t groups = cs.groups > 0 ? cs.groups : x[0].size(1);
      return TensorList{conv_fused(x[0], x[1], x[2], x[3], cs.stride, cs.pad, groups, cs.act, cs.lo, cs.hi)};
    };
    r.samples = [cs](DType d) {
      std::vector<OpSample> s;
      for (auto* shapes : {&cs.small, &cs.large}) {
        const auto &xs = (*shapes)[0], &ws = (*shapes)[1];
        int64_t O = ws[0];
        int64_t H = (xs[2] + 2 * cs.pad - ws[2]) / cs.stride + 1, W = (xs[3] + 2 * cs.pad - ws[3]) / cs.stride + 1;
        Tensor b = cs.bias ? mk({O}, d) : Tensor();
        Tensor res = cs.residual ? mk({xs[0], O, H, W}, d) : Tensor();
        s.push_back({{mk(xs, d), mk(ws, d), b, res}, shapes == &cs.small ? "small" : "large"});
      }
      return s;
    };
    r.grad_inputs = {};
    r.gradcheck = false;
    r.atol = 1e-4;
    r.rtol = 1e-4;
    if (cs.desc == "relu")
      r.errors = {
          expect_error<ShapeError>("residual shape",
                                   [] { conv_fused(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), {}, fl({1, 8, 5, 5}), 1, 0, 1, "relu"); },
                                   "conv2d_fused: residual (1, 8, 5, 5) does not match the convolution's output (1, 8, 3, 3)"),
          expect_error<DTypeError>("residual dtype",
                                   [] {
                                     conv_fused(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), {}, ones({1, 8, 3, 3}, kDouble), 1, 0, 1,
                                                "none");
                                   },
                                   "conv2d_fused: residual type (float64) and input type (float32) should be the same"),
          expect_error<ValueError>("activation",
                                   [] { conv_fused(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), {}, {}, 1, 0, 1, "tanh"); },
                                   "conv2d_fused: unknown activation 'tanh'"),
          expect_error<ValueError>("clamp bounds",
                                   [] { conv_fused(fl({1, 4, 5, 5}), fl({8, 4, 3, 3}), {}, {}, 1, 0, 1, "clamp", 1, 0); },
                                   "conv2d_fused: clamp bounds must satisfy min <= max"),
          expect_error<ShapeError>("channels", [] { conv_fused(fl({1, 3, 5, 5}), fl({8, 4, 3, 3}), {}, {}, 1, 0, 1, "relu"); },
                                   "conv2d_fused: given groups=1, weight of size (8, 4, 3, 3), expected input (1, 3, 5, 5)"),
      };
    sinter::testing::check_record(r);
  }
}
