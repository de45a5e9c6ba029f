// DataLoader, as LibTorch's torch::data::make_data_loader:
//
//   auto loader = data::make_data_loader<data::samplers::SequentialSampler>(std::move(dataset), 64);
//   auto loader = data::make_data_loader(std::move(dataset),
//                                        data::DataLoaderOptions().batch_size(64).workers(2));
//   for (auto& batch : *loader) { batch.data; batch.target; }
//
// Without a sampler type the indices are shuffled every pass (RandomSampler), as in LibTorch.
// With workers > 0, background threads (each with its own copy of the dataset) produce up to
// max_jobs batches ahead of the consumer. Batches come in sampler order (enforce_ordering),
// and the order and content of every batch, random transforms included, depend only on the
// seed (DataLoaderOptions::seed, or one drawn from the default Generator when the loader is
// made), never on the worker count (see data/random.h). An exception thrown while producing
// a batch is rethrown to the consumer when that batch is due.
//
// Stream datasets (datasets::IterableDataset, no size) are batched in stream order; with
// workers > 0 one background thread reads ahead.
//
// The fast path for tensor data: datasets::TensorBatchDataset gathers each batch with one
// index_select per tensor instead of per-example get() + stack:
//   auto loader = data::make_data_loader(datasets::TensorBatchDataset(mnist), options);
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "sinter/arg.h"
#include "sinter/data/datasets.h"
#include "sinter/data/random.h"
#include "sinter/data/samplers.h"
#include "sinter/error.h"

namespace sinter::data {

struct DataLoaderOptions {
  DataLoaderOptions() = default;
  /* implicit */ DataLoaderOptions(size_t batch_size) : batch_size_(batch_size) {}
  /// Examples per batch.
  SINTER_ARG(size_t, batch_size) = 1;
  /// Background threads producing batches (0: batches are made on the caller's thread).
  SINTER_ARG(size_t, workers) = 0;
  /// Batches in flight at most (default 2 x workers).
  SINTER_ARG(std::optional<size_t>, max_jobs) = std::nullopt;
  /// How long to wait for a batch before throwing (default: forever).
  SINTER_ARG(std::optional<std::chrono::milliseconds>, timeout) = std::nullopt;
  /// Deliver batches in sampler order (else in the order workers finish them).
  SINTER_ARG(bool, enforce_ordering) = true;
  /// Drop a last batch smaller than batch_size.
  SINTER_ARG(bool, drop_last) = false;
  /// Seeds the default RandomSampler and the random transforms (sinter extension).
  SINTER_ARG(std::optional<uint64_t>, seed) = std::nullopt;
};

/// An input iterator over the batches of one pass; end() is a sentinel.
template <class Batch>
class Iterator {
  struct State {
    std::function<std::optional<Batch>()> next;
    std::optional<Batch> batch;
    bool fetched = false;
  };

 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Batch;
  using difference_type = std::ptrdiff_t;
  using pointer = Batch*;
  using reference = Batch&;

  Iterator() = default;
  explicit Iterator(std::function<std::optional<Batch>()> next) : s_(std::make_shared<State>()) {
    s_->next = std::move(next);
  }
  Batch& operator*() const {
    fetch();
    SINTER_CHECK(s_ && s_->batch, IndexError, "DataLoader: iterator dereferenced past the end");
    return *s_->batch;
  }
  Batch* operator->() const { return &**this; }
  Iterator& operator++() {
    fetch();
    SINTER_CHECK(s_ && s_->batch, IndexError, "DataLoader: iterator incremented past the end");
    s_->batch.reset();
    s_->fetched = false;
    return *this;
  }
  void operator++(int) { ++*this; }
  bool operator==(const Iterator& o) const { return at_end() == o.at_end() && (at_end() || s_ == o.s_); }

 private:
  void fetch() const {
    if (s_ && !s_->fetched) {
      s_->fetched = true;
      s_->batch = s_->next();
    }
  }
  bool at_end() const {
    if (!s_) return true;
    fetch();
    return !s_->batch;
  }
  std::shared_ptr<State> s_;
};

namespace detail {

/// Gives the calling worker thread one OpenMP thread (workers run beside the training loop).
void init_worker_thread();
/// A seed from the default Generator.
uint64_t draw_seed();
inline uint64_t batch_key(uint64_t seed, uint64_t epoch, uint64_t seq) { return mix64(mix64(seed, epoch), seq); }
[[noreturn]] void throw_timeout(std::chrono::milliseconds ms);
[[noreturn]] void throw_stale_iterator();

/// Worker threads that turn batch requests into batches, with bounded prefetch.
template <class Batch>
class BatchEngine {
 public:
  using Producer = std::function<Batch(std::vector<size_t>&)>;

  BatchEngine(std::vector<Producer> producers, bool ordered, std::optional<std::chrono::milliseconds> timeout)
      : ordered_(ordered), timeout_(timeout) {
    for (auto& p : producers) threads_.emplace_back([this, p = std::move(p)]() mutable { worker(p); });
  }
  ~BatchEngine() { shutdown(); }
  BatchEngine(const BatchEngine&) = delete;
  BatchEngine& operator=(const BatchEngine&) = delete;

  /// Drops the queued and finished work of the previous pass.
  void new_epoch(uint64_t epoch) {
    std::lock_guard<std::mutex> lk(mu_);
    epoch_ = epoch;
    jobs_.clear();
    done_.clear();
    in_flight_ = 0;
    next_take_ = 0;
  }
  void submit(uint64_t seq, std::vector<size_t> request, uint64_t key) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      jobs_.push_back(Job{epoch_, seq, key, std::move(request)});
      ++in_flight_;
    }
    job_cv_.notify_one();
  }
  size_t in_flight() {
    std::lock_guard<std::mutex> lk(mu_);
    return in_flight_;
  }
  /// The next batch (in submission order when ordered); rethrows a producer's exception.
  Batch take() {
    std::unique_lock<std::mutex> lk(mu_);
    auto ready = [&] { return ordered_ ? done_.count(next_take_) > 0 : !done_.empty(); };
    if (timeout_) {
      if (!done_cv_.wait_for(lk, *timeout_, ready)) throw_timeout(*timeout_);
    } else {
      done_cv_.wait(lk, ready);
    }
    auto it = ordered_ ? done_.find(next_take_) : done_.begin();
    Done d = std::move(it->second);
    done_.erase(it);
    --in_flight_;
    ++next_take_;
    lk.unlock();
    if (d.error) std::rethrow_exception(d.error);
    return std::move(*d.batch);
  }
  void shutdown() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      jobs_.clear();
    }
    job_cv_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
  }

 private:
  struct Job {
    uint64_t epoch, seq, key;
    std::vector<size_t> request;
  };
  struct Done {
    std::optional<Batch> batch;
    std::exception_ptr error;
  };

  void worker(Producer& produce) {
    init_worker_thread();
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lk(mu_);
        job_cv_.wait(lk, [&] { return stop_ || !jobs_.empty(); });
        if (stop_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      Done d;
      try {
        RandomScope scope(job.key);
        d.batch.emplace(produce(job.request));
      } catch (...) {
        d.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (job.epoch != epoch_ || stop_) continue;  // a pass that was abandoned
        done_.emplace(job.seq, std::move(d));
      }
      done_cv_.notify_all();
    }
  }

  const bool ordered_;
  const std::optional<std::chrono::milliseconds> timeout_;
  std::mutex mu_;
  std::condition_variable job_cv_, done_cv_;
  std::deque<Job> jobs_;
  std::map<uint64_t, Done> done_;
  uint64_t epoch_ = 0, next_take_ = 0;
  size_t in_flight_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace detail

/// The loader over a sized dataset (LibTorch's StatelessDataLoader).
template <class Dataset, class Sampler>
class StatelessDataLoader {
 public:
  using BatchType = typename Dataset::BatchType;
  using BatchRequestType = typename Sampler::BatchRequestType;
  static_assert(std::is_same_v<BatchRequestType, std::vector<size_t>>,
                "DataLoader: the sampler must produce std::vector<size_t> batch requests");

  StatelessDataLoader(Dataset dataset, Sampler sampler, DataLoaderOptions options)
      : options_(std::move(options)), sampler_(std::move(sampler)) {
    SINTER_CHECK(options_.batch_size() > 0, ValueError, "DataLoader: batch_size must be positive");
    seed_ = options_.seed() ? *options_.seed() : detail::draw_seed();
    max_jobs_ = options_.max_jobs() ? *options_.max_jobs() : 2 * options_.workers();
    if (options_.workers() == 0) {
      dataset_.emplace(std::move(dataset));
      return;
    }
    SINTER_CHECK(max_jobs_ > 0, ValueError, "DataLoader: max_jobs must be positive");
    using Producer = typename detail::BatchEngine<BatchType>::Producer;
    std::vector<Producer> producers;
    for (size_t w = 0; w < options_.workers(); ++w) {
      auto copy = std::make_shared<Dataset>(dataset);
      producers.emplace_back([copy](std::vector<size_t>& r) { return copy->get_batch(r); });
    }
    engine_ = std::make_unique<detail::BatchEngine<BatchType>>(std::move(producers), options_.enforce_ordering(),
                                                               options_.timeout());
  }
  ~StatelessDataLoader() { join(); }
  StatelessDataLoader(const StatelessDataLoader&) = delete;
  StatelessDataLoader& operator=(const StatelessDataLoader&) = delete;

  /// Starts a pass (resets the sampler; prefetching begins at once).
  Iterator<BatchType> begin() {
    reset();
    return Iterator<BatchType>([this, e = epoch_]() -> std::optional<BatchType> {
      if (e != epoch_) detail::throw_stale_iterator();
      return next();
    });
  }
  Iterator<BatchType> end() { return Iterator<BatchType>(); }
  /// Stops the worker threads (also done by the destructor).
  void join() {
    if (engine_) engine_->shutdown();
  }
  const DataLoaderOptions& options() const noexcept { return options_; }
  uint64_t seed() const noexcept { return seed_; }

 private:
  void reset() {
    ++epoch_;
    sampler_.reset(std::nullopt);
    seq_ = 0;
    exhausted_ = false;
    if (engine_) {
      engine_->new_epoch(epoch_);
      top_up();
    }
  }
  std::optional<std::vector<size_t>> next_request() {
    if (exhausted_) return std::nullopt;
    auto r = sampler_.next(options_.batch_size());
    if (!r || r->empty() || (options_.drop_last() && r->size() < options_.batch_size())) {
      exhausted_ = true;
      return std::nullopt;
    }
    return r;
  }
  void top_up() {
    while (engine_->in_flight() < max_jobs_) {
      auto r = next_request();
      if (!r) break;
      engine_->submit(seq_, std::move(*r), detail::batch_key(seed_, epoch_, seq_));
      ++seq_;
    }
  }
  std::optional<BatchType> next() {
    if (!engine_) {
      auto r = next_request();
      if (!r) return std::nullopt;
      RandomScope scope(detail::batch_key(seed_, epoch_, seq_++));
      return dataset_->get_batch(*r);
    }
    top_up();
    if (engine_->in_flight() == 0) return std::nullopt;
    std::optional<BatchType> b(engine_->take());
    top_up();
    return b;
  }

  DataLoaderOptions options_;
  Sampler sampler_;
  std::optional<Dataset> dataset_;  // used when there are no workers
  std::unique_ptr<detail::BatchEngine<BatchType>> engine_;
  uint64_t seed_ = 0, epoch_ = 0, seq_ = 0;
  size_t max_jobs_ = 0;
  bool exhausted_ = false;
};

/// The loader over a stream (datasets::IterableDataset): batches in stream order.
template <class Dataset, class Batch>
class StreamDataLoader {
 public:
  using BatchType = Batch;
  using ExampleType = typename Dataset::ExampleType;
  using Collate = std::function<Batch(std::vector<ExampleType>)>;

  StreamDataLoader(Dataset dataset, DataLoaderOptions options, Collate collate)
      : options_(std::move(options)), dataset_(std::move(dataset)), collate_(std::move(collate)) {
    SINTER_CHECK(options_.batch_size() > 0, ValueError, "DataLoader: batch_size must be positive");
    seed_ = options_.seed() ? *options_.seed() : detail::draw_seed();
    max_jobs_ = std::max<size_t>(1, options_.max_jobs() ? *options_.max_jobs() : 2 * options_.workers());
  }
  ~StreamDataLoader() { stop_producer(); }
  StreamDataLoader(const StreamDataLoader&) = delete;
  StreamDataLoader& operator=(const StreamDataLoader&) = delete;

  Iterator<Batch> begin() {
    stop_producer();
    ++epoch_;
    seq_ = 0;
    ended_ = false;
    dataset_.reset();
    if (options_.workers() > 0) {
      stop_ = false;
      queue_.clear();
      producer_ = std::thread([this] { produce_loop(); });
    }
    return Iterator<Batch>([this, e = epoch_]() -> std::optional<Batch> {
      if (e != epoch_) detail::throw_stale_iterator();
      return next();
    });
  }
  Iterator<Batch> end() { return Iterator<Batch>(); }
  void join() { stop_producer(); }
  const DataLoaderOptions& options() const noexcept { return options_; }

 private:
  struct Item {
    std::optional<Batch> batch;  // nullopt: the stream ended
    std::exception_ptr error;
  };

  std::optional<Batch> produce(uint64_t seq) {
    RandomScope scope(detail::batch_key(seed_, epoch_, seq));
    std::vector<ExampleType> examples;
    examples.reserve(options_.batch_size());
    while (examples.size() < options_.batch_size()) {
      auto e = dataset_.next();
      if (!e) break;
      examples.push_back(std::move(*e));
    }
    if (examples.empty() || (options_.drop_last() && examples.size() < options_.batch_size())) return std::nullopt;
    return collate_(std::move(examples));
  }
  void produce_loop() {
    detail::init_worker_thread();
    for (uint64_t seq = 0;; ++seq) {
      Item item;
      try {
        item.batch = produce(seq);
      } catch (...) {
        item.error = std::current_exception();
      }
      const bool last = !item.batch || item.error;
      std::unique_lock<std::mutex> lk(mu_);
      space_cv_.wait(lk, [&] { return stop_ || queue_.size() < max_jobs_; });
      if (stop_) return;
      queue_.push_back(std::move(item));
      lk.unlock();
      ready_cv_.notify_all();
      if (last) return;
    }
  }
  std::optional<Batch> next() {
    if (ended_) return std::nullopt;
    if (options_.workers() == 0) {
      auto b = produce(seq_++);
      if (!b) ended_ = true;
      return b;
    }
    std::unique_lock<std::mutex> lk(mu_);
    auto ready = [&] { return !queue_.empty(); };
    if (options_.timeout()) {
      if (!ready_cv_.wait_for(lk, *options_.timeout(), ready)) detail::throw_timeout(*options_.timeout());
    } else {
      ready_cv_.wait(lk, ready);
    }
    Item item = std::move(queue_.front());
    queue_.pop_front();
    lk.unlock();
    space_cv_.notify_all();
    if (item.error) {
      ended_ = true;
      std::rethrow_exception(item.error);
    }
    if (!item.batch) ended_ = true;
    return std::move(item.batch);
  }
  void stop_producer() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    space_cv_.notify_all();
    if (producer_.joinable()) producer_.join();
  }

  DataLoaderOptions options_;
  Dataset dataset_;
  Collate collate_;
  uint64_t seed_ = 0, epoch_ = 0, seq_ = 0;
  size_t max_jobs_ = 1;
  bool ended_ = false;
  std::mutex mu_;
  std::condition_variable ready_cv_, space_cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  std::thread producer_;
};

/// A loader with an explicit sampler. (The sampler constraint keeps make_data_loader(ds, 64)
/// on the batch-size overload below.)
template <class Dataset, class Sampler>
  requires(!datasets::is_iterable_dataset_v<Dataset> && requires { typename Sampler::BatchRequestType; })
std::unique_ptr<StatelessDataLoader<Dataset, Sampler>> make_data_loader(Dataset dataset, Sampler sampler,
                                                                        DataLoaderOptions options = DataLoaderOptions()) {
  return std::make_unique<StatelessDataLoader<Dataset, Sampler>>(std::move(dataset), std::move(sampler),
                                                                 std::move(options));
}

/// A loader whose sampler is made from the dataset's size (RandomSampler by default; its seed
/// derives from options.seed() when the sampler accepts one).
template <class Sampler = samplers::RandomSampler, class Dataset>
  requires(!datasets::is_iterable_dataset_v<Dataset> && std::is_constructible_v<Sampler, size_t>)
std::unique_ptr<StatelessDataLoader<Dataset, Sampler>> make_data_loader(Dataset dataset,
                                                                        DataLoaderOptions options = DataLoaderOptions()) {
  const std::optional<size_t> size = dataset.size();
  SINTER_CHECK(size.has_value(), ValueError, "make_data_loader: the dataset has no size, so no sampler can be made for it");
  if (!options.seed()) options.seed(detail::draw_seed());
  if constexpr (std::is_constructible_v<Sampler, int64_t, std::optional<uint64_t>>) {
    Sampler sampler(static_cast<int64_t>(*size), std::optional<uint64_t>(mix64(*options.seed(), 0x73616d706c6572ull)));
    return make_data_loader(std::move(dataset), std::move(sampler), std::move(options));
  } else {
    return make_data_loader(std::move(dataset), Sampler(*size), std::move(options));
  }
}

/// A loader over a stream; batches are std::vector<ExampleType>.
template <class Dataset>
  requires datasets::is_iterable_dataset_v<Dataset>
auto make_data_loader(Dataset dataset, DataLoaderOptions options = DataLoaderOptions()) {
  using E = typename Dataset::ExampleType;
  using L = StreamDataLoader<Dataset, std::vector<E>>;
  return std::make_unique<L>(std::move(dataset), std::move(options), [](std::vector<E> v) { return v; });
}

/// A loader over a stream with a collation: a function of std::vector<ExampleType>, or a
/// batch transform such as transforms::Stack<>().
template <class Dataset, class CollateFn>
  requires datasets::is_iterable_dataset_v<Dataset>
auto make_data_loader(Dataset dataset, DataLoaderOptions options, CollateFn collate) {
  using E = typename Dataset::ExampleType;
  if constexpr (requires(CollateFn c, std::vector<E> v) { c.apply_batch(std::move(v)); }) {
    using B = decltype(collate.apply_batch(std::declval<std::vector<E>>()));
    return std::make_unique<StreamDataLoader<Dataset, B>>(
        std::move(dataset), std::move(options),
        [c = std::move(collate)](std::vector<E> v) mutable { return c.apply_batch(std::move(v)); });
  } else {
    using B = std::invoke_result_t<CollateFn&, std::vector<E>>;
    return std::make_unique<StreamDataLoader<Dataset, B>>(std::move(dataset), std::move(options), std::move(collate));
  }
}

/// The fast path over (data, target) tensors: whole batches by index_select.
template <class Sampler = samplers::RandomSampler>
auto make_tensor_data_loader(Tensor data, Tensor target, DataLoaderOptions options = DataLoaderOptions(),
                             datasets::TensorBatchDataset::DataTransform data_transform = nullptr) {
  return make_data_loader<Sampler>(datasets::TensorBatchDataset(std::move(data), std::move(target),
                                                                std::move(data_transform)),
                                   std::move(options));
}

}  // namespace sinter::data
