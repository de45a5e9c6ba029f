#include <gtest/gtest.h>

#include "sinter/sinter.h"

using namespace sinter;

TEST(Tensor, FactoriesAndMetadata) {
  Tensor x = zeros({2, 3});
  EXPECT_EQ(x.dim(), 2);
  EXPECT_EQ(x.size(0), 2);
  EXPECT_EQ(x.size(-1), 3);
  EXPECT_EQ(x.numel(), 6);
  EXPECT_EQ(x.dtype(), kFloat);
  EXPECT_TRUE(x.is_contiguous());
  EXPECT_THROW(x.size(2), IndexError);
  Tensor o = ones({2, 2}, kLong);
  EXPECT_EQ(o.sum().item<int64_t>(), 4);
  EXPECT_EQ(arange(5).dtype(), kLong);
  EXPECT_EQ(arange(0.0, 1.0, 0.25).numel(), 4);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor x = arange(12, kFloat).view({3, 4});
  Tensor t = x.t();
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.size(0), 4);
  Tensor row = x.select(0, 1);
  row.fill_(7);
  EXPECT_EQ(x.sum().item<double>(), 0 + 1 + 2 + 3 + 28 + 8 + 9 + 10 + 11);
  EXPECT_THROW(t.view({12}), ShapeError);
  EXPECT_EQ(t.reshape({12}).numel(), 12);
  EXPECT_EQ(x.slice(1, 1, 3).size(1), 2);
  EXPECT_EQ(x.unsqueeze(0).dim(), 3);
  EXPECT_EQ(x.unsqueeze(0).squeeze(0).dim(), 2);
}

TEST(Tensor, BroadcastAddAndPromotion) {
  Tensor a = ones({2, 1}, kInt);
  Tensor b = arange(3, kFloat);
  Tensor c = a + b;
  EXPECT_EQ(c.dtype(), kFloat);
  EXPECT_EQ(c.sizes(), IntArrayRef({2, 3}));
  EXPECT_EQ((a + 1).dtype(), kInt);
  EXPECT_EQ((a + 1.5).dtype(), kFloat);
  EXPECT_EQ((ones({2}, kHalf) + 1.5).dtype(), kHalf);
  EXPECT_EQ((a / a).dtype(), kFloat);
  EXPECT_THROW(ones({2, 3}) + ones({4}), ShapeError);
}

TEST(Tensor, Printing) {
  Tensor x = tensor({1.0, 2.5});
  EXPECT_EQ(x.toString(), "tensor([1.0000, 2.5000])");
  EXPECT_EQ(arange(3).toString(), "tensor([0, 1, 2])");
}

TEST(Autograd, SimpleChain) {
  Tensor x = tensor({1.0, 2.0, 3.0}, requires_grad());
  Tensor y = (x * x + x).sum();
  y.backward();
  EXPECT_TRUE(x.grad().defined());
  EXPECT_DOUBLE_EQ(x.grad()[0].item<double>(), 3.0);
  EXPECT_DOUBLE_EQ(x.grad()[2].item<double>(), 7.0);
  EXPECT_EQ(y.grad_fn()->name(), "SumBackward0");
}

TEST(Memory, LargeBlocksAreReusedAndReleased) {
  if (memory_stats().cache_limit == 0) GTEST_SKIP() << "large-block cache disabled (sanitizer build or SINTER_CACHE_LIMIT_MB=0)";
  empty_cache();
  EXPECT_EQ(memory_stats().cached_bytes, 0u);
  const void* first = nullptr;
  {
    Tensor a = full({1 << 21}, 2.0f);  // 8 MiB
    first = a.data_ptr();
  }
  EXPECT_GE(memory_stats().cached_bytes, std::size_t(8) << 20);
  const uint64_t hits = memory_stats().large_cache_hits;
  Tensor b = empty({(1 << 21) - 1000}, kFloat);  // a little smaller: the same block serves it
  EXPECT_EQ(b.data_ptr(), first);
  EXPECT_EQ(memory_stats().large_cache_hits, hits + 1);
  EXPECT_EQ(memory_stats().cached_bytes, 0u);
  Tensor c = zeros({1 << 21});  // a reused block must still come back zeroed where asked
  EXPECT_EQ(c.sum().item<float>(), 0.0f);
  b = Tensor();
  const std::size_t old = set_cache_limit(0);  // a zero limit frees what is held
  EXPECT_EQ(memory_stats().cached_bytes, 0u);
  set_cache_limit(old);
  empty_cache();
}
