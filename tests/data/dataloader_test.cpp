// Datasets, samplers, transforms and the DataLoader.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "sinter/data.h"
#include "sinter/io.h"
#include "sinter/sinter.h"
#include "test_util.h"

using namespace sinter;
using namespace sinter::data;

namespace {

// 50 examples: image i is filled with i, target i.
datasets::LabeledTensorDataset numbered(int64_t n = 50, int64_t side = 4) {
  Tensor data = arange(n, kFloat).reshape({n, 1, 1, 1}).expand({n, 1, side, side}).contiguous();
  return datasets::LabeledTensorDataset(data, arange(n, kLong));
}

template <class Loader>
std::vector<Example<>> collect(Loader& loader) {
  std::vector<Example<>> out;
  for (auto& b : loader) out.push_back(b);
  return out;
}

bool same_batches(const std::vector<Example<>>& a, const std::vector<Example<>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!a[i].data.equal(b[i].data) || !a[i].target.equal(b[i].target)) return false;
  return true;
}

std::vector<int64_t> targets_of(const std::vector<Example<>>& batches) {
  std::vector<int64_t> t;
  for (const auto& b : batches)
    for (int64_t i = 0; i < b.target.size(0); ++i) t.push_back(b.target[i].item<int64_t>());
  return t;
}

}  // namespace

TEST(Samplers, SequentialAndRandom) {
  samplers::SequentialSampler s(5);
  EXPECT_EQ(*s.next(2), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(*s.next(2), (std::vector<size_t>{2, 3}));
  EXPECT_EQ(*s.next(2), (std::vector<size_t>{4}));
  EXPECT_FALSE(s.next(2));
  s.reset(3);
  EXPECT_EQ(*s.next(10), (std::vector<size_t>{0, 1, 2}));

  samplers::RandomSampler r(100, 7), r2(100, 7), r3(100, 8);
  auto perm = *r.next(100);
  EXPECT_EQ(perm, *r2.next(100)) << "same seed, same permutation";
  EXPECT_NE(perm, *r3.next(100)) << "another seed, another permutation";
  std::set<size_t> all(perm.begin(), perm.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(*all.rbegin(), 99u);
  r.reset();
  auto perm2 = *r.next(100);
  EXPECT_NE(perm, perm2) << "each pass draws a new permutation";
  EXPECT_FALSE(r.next(1));
}

TEST(Datasets, MapNormalizeStack) {
  auto ds = numbered().map(transforms::Normalize<>(10.0, 2.0)).map(transforms::Stack<>());
  EXPECT_EQ(ds.size().value(), 50u);
  std::vector<size_t> idx{3, 7, 1};
  Example<> b = ds.get_batch(idx);
  ASSERT_EQ(b.data.sizes(), IntArrayRef({3, 1, 4, 4}));
  EXPECT_EQ(b.target.dtype(), kLong);
  EXPECT_TRUE(b.target.equal(tensor({3, 7, 1}, kLong)));
  EXPECT_FLOAT_EQ(b.data[0][0][2][2].item<float>(), (3 - 10) / 2.0f);
  EXPECT_FLOAT_EQ(b.data[1][0][0][0].item<float>(), (7 - 10) / 2.0f);
  // Per-channel statistics for (C, H, W) data.
  transforms::Normalize<> per_channel({1.0, 2.0, 3.0}, {1.0, 2.0, 4.0});
  Tensor x = ones({3, 2, 2}) * 5;
  Tensor y = per_channel(x);
  EXPECT_FLOAT_EQ(y[0][0][0].item<float>(), 4.f);
  EXPECT_FLOAT_EQ(y[1][1][1].item<float>(), 1.5f);
  EXPECT_FLOAT_EQ(y[2][0][1].item<float>(), 0.5f);
  EXPECT_THROW(per_channel(ones({2, 2, 2})), ShapeError);
  EXPECT_THROW(numbered().get(50), IndexError);
  // LibTorch's TensorDataset (no target) with Stack<TensorExample>.
  auto td = datasets::TensorDataset(arange(12, kFloat).reshape({6, 2})).map(transforms::Stack<TensorExample>());
  std::vector<size_t> i2{5, 0};
  TensorExample te = td.get_batch(i2);
  EXPECT_TRUE(te.data.equal(tensor({10.f, 11.f, 0.f, 1.f}).reshape({2, 2})));
  // Lambda transforms on examples.
  auto doubled = numbered().map(transforms::Lambda<Example<>>([](Example<> e) {
    e.target = e.target * 2;
    return e;
  }));
  std::vector<size_t> one{4};
  EXPECT_EQ(doubled.get_batch(one)[0].target.item<int64_t>(), 8);
}

TEST(DataLoader, BatchingDropLastAndSequentialOrder) {
  auto loader = make_data_loader<samplers::SequentialSampler>(numbered().map(transforms::Stack<>()), 16);
  auto batches = collect(*loader);
  ASSERT_EQ(batches.size(), 4u);  // 16 16 16 2
  EXPECT_EQ(batches[3].data.size(0), 2);
  std::vector<int64_t> want(50);
  for (int i = 0; i < 50; ++i) want[i] = i;
  EXPECT_EQ(targets_of(batches), want);
  auto dl = make_data_loader<samplers::SequentialSampler>(numbered().map(transforms::Stack<>()),
                                                          DataLoaderOptions(16).drop_last(true));
  EXPECT_EQ(collect(*dl).size(), 3u);
  EXPECT_EQ(collect(*dl).size(), 3u) << "a second pass";
  // Without Stack the batch is a vector of examples.
  auto raw = make_data_loader<samplers::SequentialSampler>(numbered(), DataLoaderOptions().batch_size(8));
  size_t n = 0;
  for (auto& batch : *raw) {
    static_assert(std::is_same_v<std::decay_t<decltype(batch)>, std::vector<Example<>>>);
    n += batch.size();
  }
  EXPECT_EQ(n, 50u);
  EXPECT_THROW(make_data_loader(numbered(), DataLoaderOptions(0)), ValueError);
  // A bare batch size with the default (random) sampler, as LibTorch allows.
  auto shuffled = make_data_loader(numbered().map(transforms::Stack<>()), 10);
  auto t = targets_of(collect(*shuffled));
  std::sort(t.begin(), t.end());
  EXPECT_EQ(t, want);
}

TEST(DataLoader, ShuffleIsSeededAndIndependentOfWorkerCount) {
  // Random transforms included: each batch's crops and flips depend only on the seed.
  auto make = [](size_t workers, uint64_t seed) {
    auto ds = numbered(50, 6)
                  .map(transforms::RandomCrop<>(6, 2, /*seed=*/99))
                  .map(transforms::RandomHorizontalFlip<>(0.5, /*seed=*/5))
                  .map(transforms::Stack<>());
    return make_data_loader(std::move(ds), DataLoaderOptions().batch_size(8).workers(workers).seed(seed));
  };
  auto l0 = make(0, 123), l1 = make(1, 123), l3 = make(3, 123), other = make(2, 124);
  auto e0 = collect(*l0), e1 = collect(*l1), e3 = collect(*l3), eo = collect(*other);
  EXPECT_TRUE(same_batches(e0, e1));
  EXPECT_TRUE(same_batches(e0, e3));
  EXPECT_FALSE(same_batches(e0, eo));
  // Each example exactly once per pass, in a shuffled order.
  auto t = targets_of(e0);
  std::set<int64_t> seen(t.begin(), t.end());
  EXPECT_EQ(seen.size(), 50u);
  std::vector<int64_t> sorted(t);
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NE(t, sorted);
  // The second pass differs from the first, and again matches across worker counts.
  auto s0 = collect(*l0), s3 = collect(*l3);
  EXPECT_FALSE(same_batches(e0, s0));
  EXPECT_TRUE(same_batches(s0, s3));
  // The crops really vary: some example is shifted (its zero padding shows).
  bool padded = false;
  for (const auto& b : e0) padded = padded || b.data.eq(0).any().item<bool>();
  EXPECT_TRUE(padded);
}

TEST(DataLoader, UnorderedDeliveryStillCoversEveryExampleOnce) {
  auto l = make_data_loader(numbered().map(transforms::Stack<>()),
                            DataLoaderOptions(7).workers(3).enforce_ordering(false).seed(4));
  for (int pass = 0; pass < 2; ++pass) {
    auto t = targets_of(collect(*l));
    std::sort(t.begin(), t.end());
    ASSERT_EQ(t.size(), 50u);
    for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(t[i], i);
  }
}

TEST(DataLoader, DefaultSeedComesFromManualSeed) {
  auto run = [] {
    auto l = make_data_loader(numbered().map(transforms::Stack<>()), DataLoaderOptions(10).workers(2));
    return targets_of(collect(*l));
  };
  manual_seed(77);
  auto a = run();
  manual_seed(77);
  auto b = run();
  manual_seed(78);
  auto c = run();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

namespace {

struct Failing : datasets::Dataset<Failing> {
  Example<> get(size_t i) override {
    SINTER_CHECK(i != 13, ValueError, "Failing: example 13 is broken");
    return {zeros({2}), tensor(static_cast<int64_t>(i))};
  }
  std::optional<size_t> size() const override { return 40; }
};

struct Slow : datasets::Dataset<Slow> {
  std::shared_ptr<std::atomic<int>> produced = std::make_shared<std::atomic<int>>(0);
  int delay_ms = 0;
  Example<> get(size_t i) override {
    if (delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    return {zeros({1}), tensor(static_cast<int64_t>(i))};
  }
  std::vector<Example<>> get_batch(ArrayRef<size_t> idx) override {
    auto b = Dataset<Slow>::get_batch(idx);
    produced->fetch_add(1);
    return b;
  }
  std::optional<size_t> size() const override { return 100; }
};

}  // namespace

TEST(DataLoader, WorkerErrorsReachTheConsumer) {
  for (size_t workers : {0, 2}) {
    auto l = make_data_loader<samplers::SequentialSampler>(Failing().map(transforms::Stack<>()),
                                                           DataLoaderOptions(4).workers(workers));
    int good = 0;
    try {
      for (auto& b : *l) {
        (void)b;
        ++good;
      }
      ADD_FAILURE() << "no error with " << workers << " workers";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("example 13"), std::string::npos);
    }
    EXPECT_EQ(good, 3) << "batches before the broken one arrive first (" << workers << " workers)";
  }
}

TEST(DataLoader, PrefetchIsBoundedAndTimeoutThrows) {
  Slow slow;
  auto produced = slow.produced;
  auto l = make_data_loader<samplers::SequentialSampler>(slow, DataLoaderOptions(5).workers(2).max_jobs(3));
  auto it = l->begin();
  (void)*it;  // first batch taken
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LE(produced->load(), 1 + 3) << "at most max_jobs batches ahead of the consumer";
  EXPECT_GE(produced->load(), 2) << "workers do prefetch";
  int n = 1;
  for (++it; it != l->end(); ++it) ++n;
  EXPECT_EQ(n, 20);
  Slow very_slow;
  very_slow.delay_ms = 100;
  auto t = make_data_loader<samplers::SequentialSampler>(
      very_slow, DataLoaderOptions(2).workers(1).timeout(std::chrono::milliseconds(20)));
  try {
    for (auto& b : *t) (void)b;
    ADD_FAILURE() << "no timeout";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
}

TEST(DataLoader, StaleIteratorAndCustomCollate) {
  auto l = make_data_loader<samplers::SequentialSampler>(numbered().map(transforms::Stack<>()), 10);
  auto first = l->begin();
  auto second = l->begin();
  (void)*second;
  EXPECT_THROW(++first, ValueError);
  // A custom collate: the sum of targets per batch.
  auto sums = make_data_loader<samplers::SequentialSampler>(
      numbered().map(transforms::Collate<int64_t, std::vector<Example<>>>([](std::vector<Example<>> v) {
        int64_t s = 0;
        for (auto& e : v) s += e.target.item<int64_t>();
        return s;
      })),
      25);
  std::vector<int64_t> got;
  for (auto& s : *sums) got.push_back(s);
  EXPECT_EQ(got, (std::vector<int64_t>{300, 925}));
}

TEST(DataLoader, TensorBatchFastPathMatchesPerExamplePath) {
  auto ds = numbered(70, 5);
  auto slow = make_data_loader(ds.map(transforms::Normalize<>(3.0, 2.0)).map(transforms::Stack<>()),
                               DataLoaderOptions(16).seed(9));
  auto fast = make_data_loader(datasets::TensorBatchDataset(ds, transforms::Normalize<>(3.0, 2.0)),
                               DataLoaderOptions(16).seed(9).workers(2));
  auto a = collect(*slow), b = collect(*fast);
  EXPECT_TRUE(same_batches(a, b));
  EXPECT_EQ(a.size(), 5u);
  auto helper = make_tensor_data_loader<samplers::SequentialSampler>(ds.data, ds.target, DataLoaderOptions(64));
  auto c = collect(*helper);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_TRUE(c[0].data.equal(ds.data.slice(0, 0, 64)));
  EXPECT_TRUE(c[1].target.equal(ds.target.slice(0, 64, 70)));
  std::vector<size_t> bad{70};
  EXPECT_THROW(datasets::TensorBatchDataset(ds).get_batch(bad), IndexError);
  EXPECT_THROW(datasets::TensorBatchDataset(zeros({3, 2}), zeros({4})), ShapeError);
}

namespace {

// 0, 1, ..., n-1 as a stream; counts its resets.
struct Counter : datasets::IterableDataset<Counter> {
  explicit Counter(int64_t n) : n(n) {}
  std::optional<Example<>> next() override {
    if (i >= n) return std::nullopt;
    const int64_t v = i++;
    return Example<>(full({2}, static_cast<double>(v)), tensor(v));
  }
  void reset() override {
    i = 0;
    ++resets;
  }
  int64_t n, i = 0;
  int resets = 0;
};

}  // namespace

TEST(DataLoader, IterableDatasetsBatchInStreamOrder) {
  for (size_t workers : {0, 1}) {
    auto l = make_data_loader(Counter(10), DataLoaderOptions(4).workers(workers), transforms::Stack<>());
    for (int pass = 0; pass < 2; ++pass) {
      std::vector<Example<>> got;
      for (auto& b : *l) got.push_back(b);
      ASSERT_EQ(got.size(), 3u);
      EXPECT_TRUE(got[0].target.equal(tensor({0, 1, 2, 3}, kLong)));
      EXPECT_TRUE(got[2].target.equal(tensor({8, 9}, kLong)));
      EXPECT_EQ(got[1].data.sizes(), IntArrayRef({4, 2}));
    }
  }
  auto dropped = make_data_loader(Counter(10), DataLoaderOptions(4).drop_last(true));
  size_t n = 0;
  for (auto& b : *dropped) {
    static_assert(std::is_same_v<std::decay_t<decltype(b)>, std::vector<Example<>>>);
    EXPECT_EQ(b.size(), 4u);
    ++n;
  }
  EXPECT_EQ(n, 2u);
  auto summed = make_data_loader(Counter(7), DataLoaderOptions(3).workers(1), [](std::vector<Example<>> v) {
    return static_cast<int64_t>(v.size());
  });
  std::vector<int64_t> sizes;
  for (auto& s : *summed) sizes.push_back(s);
  EXPECT_EQ(sizes, (std::vector<int64_t>{3, 3, 1}));
}

TEST(Transforms, RandomCropFlipComposeAreSeededAndCorrect) {
  Tensor img = arange(16, kFloat).reshape({1, 4, 4}) + 1;
  transforms::RandomCrop<> crop(4, 1, /*seed=*/3), crop_again(4, 1, /*seed=*/3);
  std::set<std::pair<int64_t, int64_t>> offsets;
  for (int k = 0; k < 50; ++k) {
    Tensor c = crop(img);
    ASSERT_EQ(c.sizes(), IntArrayRef({1, 4, 4}));
    EXPECT_TRUE(c.equal(crop_again(img))) << "same seed, same crops";
    // c is a 4x4 window of the zero-padded 6x6 image: find where.
    Tensor padded = pad(img, {1, 1, 1, 1});
    bool found = false;
    for (int64_t y = 0; y <= 2 && !found; ++y)
      for (int64_t x = 0; x <= 2 && !found; ++x)
        if (padded.narrow(1, y, 4).narrow(2, x, 4).equal(c)) {
          found = true;
          offsets.insert({y, x});
        }
    EXPECT_TRUE(found);
  }
  EXPECT_GE(offsets.size(), 6u) << "crops cover most of the 9 offsets";
  EXPECT_THROW(transforms::RandomCrop<>(7)(img), ShapeError);
  transforms::RandomCrop<> rect({2, 3}, 0, 4);
  EXPECT_EQ(rect(img).sizes(), IntArrayRef({1, 2, 3}));

  transforms::RandomHorizontalFlip<> never(0.0, 1), always(1.0, 1), half(0.5, 2);
  EXPECT_TRUE(never(img).equal(img));
  EXPECT_TRUE(always(img).equal(img.flip({-1})));
  int flipped = 0;
  for (int k = 0; k < 400; ++k) flipped += half(img).equal(img) ? 0 : 1;
  EXPECT_GT(flipped, 150);
  EXPECT_LT(flipped, 250);

  transforms::Compose<> both({transforms::RandomHorizontalFlip<>(1.0), transforms::Normalize<>(1.0, 2.0),
                              [](Tensor t) { return t * 10; }});
  EXPECT_TRUE(both(img).allclose((img.flip({-1}) - 1) / 2 * 10));
  transforms::TensorLambda<> neg([](Tensor t) { return -t; });
  EXPECT_TRUE(neg(img).equal(-img));
}
