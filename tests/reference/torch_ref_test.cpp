// Tests of the PyTorch reference client itself: encoding of every dtype, backward, errors,
// recovery from a dead worker, and the comparison helpers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "sinter/sinter.h"
#include "torch_ref.h"

namespace {

using sinter::DType;
using sinter::Tensor;
using sinter::testing::RefResult;
using sinter::testing::tensors_close;
using sinter::testing::TorchRef;

template <class T>
Tensor make(std::vector<int64_t> shape, std::vector<T> values) {
  Tensor t = sinter::empty(shape, sinter::TensorOptions(sinter::dtype_of_v<T>));
  EXPECT_EQ(static_cast<size_t>(t.numel()), values.size());
  for (size_t i = 0; i < values.size(); ++i) static_cast<T*>(t.data_ptr())[i] = values[i];
  return t;
}

template <class T>
std::vector<T> values(const Tensor& t) {
  const T* p = static_cast<const T*>(t.data_ptr());
  return std::vector<T>(p, p + t.numel());
}

#define REQUIRE_TORCH()                                                                   \
  do {                                                                                    \
    if (!TorchRef::instance().available())                                                \
      GTEST_SKIP() << "PyTorch reference unavailable: " << TorchRef::instance().unavailable_reason(); \
  } while (0)

TEST(TorchRef, Forward) {
  REQUIRE_TORCH();
  auto r = TorchRef::instance().run("a0 + a1", {make<float>({2, 2}, {1, 2, 3, 4}), make<float>({2}, {10, 20})});
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_TRUE(tensors_close(r.outputs[0], make<float>({2, 2}, {11, 22, 13, 24})));
  EXPECT_EQ(r.grads.size(), 2u);
}

TEST(TorchRef, EveryDTypeRoundTrips) {
  REQUIRE_TORCH();
  auto& ref = TorchRef::instance();
  std::vector<Tensor> inputs = {
      make<float>({3}, {1.5f, -std::numeric_limits<float>::infinity(), 1e-30f}),
      make<double>({3}, {1e300, -2.5, std::nan("")}),
      make<sinter::Half>({3}, {sinter::Half(1.5f), sinter::Half(-65504.0f), sinter::Half(0.0009765625f)}),
      make<sinter::BFloat16>({3}, {sinter::BFloat16(1.0f), sinter::BFloat16(-3.0f), sinter::BFloat16(1e38f)}),
      make<int64_t>({3}, {std::numeric_limits<int64_t>::min(), 0, std::numeric_limits<int64_t>::max()}),
      make<int32_t>({3}, {-7, 0, std::numeric_limits<int32_t>::max()}),
      make<int16_t>({3}, {-32768, 1, 32767}),
      make<int8_t>({3}, {-128, 0, 127}),
      make<uint8_t>({3}, {0, 128, 255}),
      make<bool>({3}, {true, false, true}),
  };
  for (const Tensor& t : inputs) {
    SCOPED_TRACE(sinter::dtype_name(t.dtype()));
    auto r = ref.run("a0.clone()", {t});
    ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
    EXPECT_EQ(r.outputs[0].dtype(), t.dtype());
    EXPECT_EQ(std::memcmp(r.outputs[0].data_ptr(), t.data_ptr(), static_cast<size_t>(t.nbytes())), 0);
    EXPECT_TRUE(tensors_close(r.outputs[0], t));
    auto name = ref.run("a0.dtype == torch." + std::string(sinter::dtype_name(t.dtype())), {t});
    ASSERT_TRUE(name.ok) << name.message;
    EXPECT_EQ(values<bool>(name.outputs[0]), std::vector<bool>{true});
  }
}

TEST(TorchRef, ZeroSizeAndZeroDim) {
  REQUIRE_TORCH();
  auto& ref = TorchRef::instance();
  auto r = ref.run("a0.sum(1)", {sinter::empty({0, 3}, sinter::kFloat)});
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.outputs[0].sizes().vec(), std::vector<int64_t>{0});
  r = ref.run("a0 * 2", {make<double>({}, {2.5})});
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.outputs[0].dim(), 0);
  EXPECT_EQ(values<double>(r.outputs[0]), std::vector<double>{5.0});
}

TEST(TorchRef, PythonNumbersAndTuples) {
  REQUIRE_TORCH();
  auto r = TorchRef::instance().run("(torch.max(a0, 1), 2.5, 3, True, None)", {make<float>({2, 3}, {1, 5, 2, 9, 0, 3})});
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.outputs.size(), 6u);
  EXPECT_TRUE(tensors_close(r.outputs[0], make<float>({2}, {5, 9})));
  EXPECT_TRUE(tensors_close(r.outputs[1], make<int64_t>({2}, {1, 0})));
  EXPECT_TRUE(tensors_close(r.outputs[2], make<double>({}, {2.5})));
  EXPECT_TRUE(tensors_close(r.outputs[3], make<int64_t>({}, {3})));
  EXPECT_TRUE(tensors_close(r.outputs[4], make<bool>({}, {true})));
  EXPECT_FALSE(r.outputs[5].defined());
}

TEST(TorchRef, Backward) {
  REQUIRE_TORCH();
  Tensor x = make<double>({2, 2}, {1, 2, 3, 4});
  Tensor y = make<double>({2}, {10, 20});
  Tensor g = make<double>({2, 2}, {1, 1, 1, 1});
  auto r = TorchRef::instance().run("a0 * a0 * a1", {x, y}, {true, false}, {g});
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(tensors_close(r.outputs[0], make<double>({2, 2}, {10, 80, 90, 320})));
  ASSERT_EQ(r.grads.size(), 2u);
  EXPECT_TRUE(tensors_close(r.grads[0], make<double>({2, 2}, {20, 80, 60, 160})));
  EXPECT_FALSE(r.grads[1].defined());
}

TEST(TorchRef, BackwardWithStmtAndSkippedOutput) {
  REQUIRE_TORCH();
  Tensor x = make<float>({2, 3}, {1, 5, 2, 9, 0, 3});
  auto r = TorchRef::instance().run("torch.max(h, 1)", {x}, {true}, {make<float>({2}, {1, 2}), Tensor()},
                                    "h = a0 * 2");
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(tensors_close(r.grads[0], make<float>({2, 3}, {0, 2, 0, 4, 0, 0})));
}

TEST(TorchRef, TorchErrorsAreReported) {
  REQUIRE_TORCH();
  auto& ref = TorchRef::instance();
  auto r = ref.run("a0 + a1", {make<float>({2}, {1, 2}), make<float>({3}, {1, 2, 3})});
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.torch_error());
  EXPECT_EQ(r.error_type, "RuntimeError");
  EXPECT_NE(r.message.find("size of tensor a"), std::string::npos) << r.message;
  r = ref.run("a0 * 2", {make<int64_t>({1}, {1})}, {true});
  EXPECT_EQ(r.error_type, "RuntimeError");
  r = ref.run("a0 +", {});
  EXPECT_EQ(r.error_type, "SyntaxError");
  r = ref.run("torch.zeros(2, dtype=torch.complex64)", {});
  EXPECT_EQ(r.error_type, "HarnessError");
  EXPECT_FALSE(r.torch_error());
  EXPECT_TRUE(ref.run("1", {}).ok);
}

TEST(TorchRef, RandomOpsAreSeeded) {
  REQUIRE_TORCH();
  auto& ref = TorchRef::instance();
  auto a = ref.run("torch.rand(5)", {});
  auto b = ref.run("torch.rand(5)", {});
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_TRUE(tensors_close(a.outputs[0], b.outputs[0], 0, 0));
}

TEST(TorchRef, SurvivesAWorkerCrash) {
  REQUIRE_TORCH();
  auto& ref = TorchRef::instance();
  auto r = ref.run("1", {}, {}, {}, "import os\nos._exit(9)");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_type, "HarnessError");
  EXPECT_NE(r.message.find("exit status 9"), std::string::npos) << r.message;
  // The next request starts a fresh worker.
  r = ref.run("a0 * 3", {make<int32_t>({2}, {1, 2})});
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(tensors_close(r.outputs[0], make<int32_t>({2}, {3, 6})));
}

TEST(TensorsClose, Tolerances) {
  auto [rtol, atol] = sinter::testing::default_tolerance(sinter::kFloat);
  EXPECT_EQ(rtol, 1.3e-6);
  EXPECT_EQ(atol, 1e-5);
  EXPECT_EQ(sinter::testing::default_tolerance(sinter::kDouble), std::make_pair(1e-7, 1e-7));
  EXPECT_EQ(sinter::testing::default_tolerance(sinter::kHalf), std::make_pair(1e-3, 1e-5));
  EXPECT_EQ(sinter::testing::default_tolerance(sinter::kLong), std::make_pair(0.0, 0.0));
  EXPECT_EQ(sinter::testing::default_tolerance(sinter::kBool), std::make_pair(0.0, 0.0));
}

TEST(TensorsClose, Values) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  EXPECT_TRUE(tensors_close(make<double>({3}, {nan, inf, -inf}), make<double>({3}, {nan, inf, -inf})));
  EXPECT_FALSE(tensors_close(make<double>({1}, {inf}), make<double>({1}, {-inf})));
  EXPECT_FALSE(tensors_close(make<double>({1}, {nan}), make<double>({1}, {1.0})));
  EXPECT_FALSE(tensors_close(make<double>({1}, {1.0}), make<double>({1}, {inf})));
  EXPECT_TRUE(tensors_close(make<float>({1}, {1.0f + 1e-6f}), make<float>({1}, {1.0f})));
  EXPECT_TRUE(tensors_close(make<double>({1}, {1.5}), make<double>({1}, {1.0}), 0.0, 0.5));
  EXPECT_FALSE(tensors_close(make<double>({1}, {1.5}), make<double>({1}, {1.0}), 0.0, 0.49));
  EXPECT_TRUE(tensors_close(make<int64_t>({2}, {1, 2}), make<int64_t>({2}, {1, 2})));
  EXPECT_FALSE(tensors_close(make<int64_t>({2}, {1, 2}), make<int64_t>({2}, {1, 3})));
  EXPECT_TRUE(tensors_close(Tensor(), Tensor()));
  EXPECT_FALSE(tensors_close(Tensor(), make<bool>({1}, {true})));
  EXPECT_TRUE(tensors_close(sinter::empty({0, 2}, sinter::kFloat), sinter::empty({0, 2}, sinter::kFloat)));
}

TEST(TensorsClose, Messages) {
  auto r = tensors_close(make<float>({2, 2}, {1, 2, 3, 9}), make<float>({2, 2}, {1, 2, 3, 4}));
  ASSERT_FALSE(r);
  std::string m = r.message();
  EXPECT_NE(m.find("1 of 4"), std::string::npos) << m;
  EXPECT_NE(m.find("[1, 1]"), std::string::npos) << m;
  EXPECT_NE(m.find("max abs difference 5"), std::string::npos) << m;
  m = tensors_close(make<float>({2}, {1, 2}), make<float>({1, 2}, {1, 2})).message();
  EXPECT_NE(m.find("shape mismatch"), std::string::npos) << m;
  m = tensors_close(make<float>({2}, {1, 2}), make<double>({2}, {1, 2})).message();
  EXPECT_NE(m.find("dtype mismatch"), std::string::npos) << m;
}

}  // namespace
