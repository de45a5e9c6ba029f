// oneDNN glue: the CPU engine, a per-thread stream, a cache of primitives keyed by shapes and
// attributes (so a repeated call builds nothing), per-thread scratch buffers, and the few calls
// whose spelling differs between oneDNN 2.x and 3.x.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "sinter/tensor.h"

namespace sinter::kernels::onednn {

using dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;

dnnl::engine& engine();
/// The calling thread's stream on engine() (CPU streams are cheap; one per thread avoids locks).
dnnl::stream& stream();

/// oneDNN's data type for a sinter dtype (nullopt where oneDNN has none, e.g. float64).
std::optional<dt> data_type(DType d);

/// A cache key: the integers that decide a primitive (op kind, dtypes, dims, strides, attrs).
class Key {
 public:
  explicit Key(int64_t kind) { add(kind); }
  Key& add(int64_t v) {
    v_.push_back(v);
    return *this;
  }
  Key& add(IntArrayRef a) {
    add(static_cast<int64_t>(a.size()));
    for (auto x : a) v_.push_back(x);
    return *this;
  }
  Key& add(const dims& a) { return add(IntArrayRef(a.data(), a.size())); }
  Key& add_double(double d);
  const std::vector<int64_t>& values() const { return v_; }
  size_t hash() const;
  bool operator==(const Key& o) const { return v_ == o.v_; }

 private:
  std::vector<int64_t> v_;
};

/// Base of cached objects (a primitive with its descriptors and reorders).
struct CacheEntry {
  virtual ~CacheEntry() = default;
};

namespace detail {
/// found: false on a miss. entry: the cached object (null when oneDNN cannot do this case).
struct Lookup {
  bool found = false;
  std::shared_ptr<CacheEntry> entry;
};
Lookup cache_find(const Key& key);
/// Inserts `entry` unless another thread inserted one for `key` meanwhile; returns the one kept.
std::shared_ptr<CacheEntry> cache_insert(const Key& key, std::shared_ptr<CacheEntry> entry);
}  // namespace detail

/// The entry for `key`, built by make() on a miss (threads that miss at once each build one;
/// the first inserted is kept and returned to all). When make() throws dnnl::error (oneDNN has
/// no implementation for this case), null is cached and returned: the caller falls back to
/// its own kernel, and later calls with the same key skip oneDNN at once.
template <class E, class F>
std::shared_ptr<E> cached(const Key& key, F&& make) {
  auto l = detail::cache_find(key);
  if (!l.found) {
    std::shared_ptr<CacheEntry> e;
    try {
      e = make();
    } catch (const dnnl::error&) {
      e = nullptr;
    }
    l.entry = detail::cache_insert(key, std::move(e));
  }
  return std::static_pointer_cast<E>(l.entry);
}

/// What the primitive cache holds and how often it was asked (for tests and tuning).
struct CacheStats {
  size_t size = 0;
  uint64_t hits = 0, misses = 0;
};
CacheStats cache_stats();

/// Per-thread scratch memory, 64-byte aligned, reused across calls. `slot` picks one of a few
/// independent buffers (a call may need several at once).
void* scratch(int slot, size_t bytes);

/// A memory object over `ptr` (no copy).
inline dnnl::memory wrap(const dnnl::memory::desc& md, void* ptr) { return dnnl::memory(md, engine(), ptr); }

/// Runs a reorder from (src_md, src) to (dst_md, dst).
void reorder(const dnnl::reorder& r, const dnnl::memory& src, const dnnl::memory& dst);
/// A reorder primitive from `src` to `dst` layout, with a user scratchpad like every other
/// primitive (see execute()).
dnnl::reorder make_reorder(const dnnl::memory::desc& src, const dnnl::memory::desc& dst);
/// Scratch slot of primitive scratchpads (slots 0-2 stage inputs and outputs).
constexpr int kScratchpadSlot = 3;
/// Runs a cached primitive on this thread's stream with this thread's scratchpad. Every
/// primitive descriptor is made with user_scratchpad(): cached primitives are shared by all
/// threads, and oneDNN's library-managed scratchpad is not safe to share.
void execute(const dnnl::primitive& p, std::unordered_map<int, dnnl::memory> args);
dnnl::primitive_attr user_scratchpad(dnnl::primitive_attr attr);

// ---- oneDNN 2.x / 3.x spelling --------------------------------------------------------------

dnnl::matmul::primitive_desc matmul_pd(const dnnl::memory::desc& src, const dnnl::memory::desc& wei,
                                       const dnnl::memory::desc& bias, const dnnl::memory::desc& dst,
                                       const dnnl::primitive_attr& attr);
/// Makes a matmul scale its product by alpha before its post-ops: dst = alpha * (src @ wei) + ...
void set_matmul_alpha(dnnl::primitive_attr& attr, float alpha);
/// The run-time argument set_matmul_alpha needs (none on oneDNN 2; the scale itself on oneDNN 3,
/// read from *alpha while the primitive runs).
void add_matmul_alpha_arg(std::unordered_map<int, dnnl::memory>& args, const float* alpha);

struct ConvShape {
  dnnl::memory::desc src, wei, bias, dst;  // bias may be a zero desc (no bias)
  dims strides, dilates, pad_l, pad_r;     // dilates as oneDNN counts them (0 = dense)
};
dnnl::convolution_forward::primitive_desc conv_fwd_pd(const ConvShape& s, dnnl::prop_kind prop,
                                                     const dnnl::primitive_attr& attr = dnnl::primitive_attr());
dnnl::convolution_backward_data::primitive_desc conv_bwd_data_pd(const ConvShape& s,
                                                                 const dnnl::convolution_forward::primitive_desc& hint);
dnnl::convolution_backward_weights::primitive_desc conv_bwd_weights_pd(
    const ConvShape& s, const dnnl::convolution_forward::primitive_desc& hint);

}  // namespace sinter::kernels::onednn
