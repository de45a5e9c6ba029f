#include "kernels/cpu/dnnl_common.h"

#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>

namespace sinter::kernels::onednn {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

std::optional<dt> data_type(DType d) {
  switch (d) {
    case DType::Float: return dt::f32;
    case DType::BFloat16: return dt::bf16;
    case DType::Half: return dt::f16;
    case DType::Int: return dt::s32;
    case DType::Char: return dt::s8;
    case DType::Byte: return dt::u8;
    default: return std::nullopt;
  }
}

Key& Key::add_double(double d) {
  int64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return add(bits);
}

size_t Key::hash() const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the words
  for (int64_t v : v_) {
    h ^= static_cast<uint64_t>(v);
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

namespace {

struct KeyHash {
  size_t operator()(const Key& k) const { return k.hash(); }
};

// A least-recently-used map of primitives. Creating a oneDNN primitive descriptor costs tens of
// microseconds to milliseconds; a lookup costs a hash of a few integers and one uncontended lock.
class PrimitiveCache {
 public:
  static constexpr size_t kCapacity = 1024;

  detail::Lookup find(const Key& k) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = map_.find(k);
    if (it == map_.end()) {
      ++misses_;
      return {};
    }
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second.pos);
    return {true, it->second.entry};
  }
  std::shared_ptr<CacheEntry> insert(const Key& k, std::shared_ptr<CacheEntry> e) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = map_.find(k);
    if (it != map_.end()) return it->second.entry;  // another thread built it meanwhile: keep that one
    lru_.push_front(k);
    map_.emplace(k, Slot{e, lru_.begin()});
    while (map_.size() > kCapacity) {
      map_.erase(lru_.back());
      lru_.pop_back();
    }
    return e;
  }
  CacheStats stats() {
    std::lock_guard<std::mutex> g(mu_);
    return {map_.size(), hits_, misses_};
  }

 private:
  struct Slot {
    std::shared_ptr<CacheEntry> entry;
    std::list<Key>::iterator pos;
  };
  std::mutex mu_;
  std::list<Key> lru_;
  std::unordered_map<Key, Slot, KeyHash> map_;
  uint64_t hits_ = 0, misses_ = 0;
};

PrimitiveCache& cache() {
  static PrimitiveCache* c = new PrimitiveCache();  // never destroyed: primitives may outlive static teardown
  return *c;
}

struct ScratchBuffers {
  static constexpr int kSlots = 4;
  void* ptr[kSlots] = {};
  size_t size[kSlots] = {};
  ~ScratchBuffers() {
    for (auto* p : ptr) std::free(p);
  }
};

}  // namespace

namespace detail {
Lookup cache_find(const Key& key) { return cache().find(key); }
std::shared_ptr<CacheEntry> cache_insert(const Key& key, std::shared_ptr<CacheEntry> entry) {
  return cache().insert(key, std::move(entry));
}
}  // namespace detail

CacheStats cache_stats() { return cache().stats(); }

void* scratch(int slot, size_t bytes) {
  thread_local ScratchBuffers s;
  SINTER_ASSERT(slot >= 0 && slot < ScratchBuffers::kSlots, "scratch slot ", slot);
  if (s.size[slot] < bytes) {
    std::free(s.ptr[slot]);
    size_t n = (bytes + 63) / 64 * 64;
    s.ptr[slot] = std::aligned_alloc(64, n);
    SINTER_CHECK(s.ptr[slot] != nullptr, Error, "out of memory allocating ", n, " bytes of scratch");
    s.size[slot] = n;
  }
  return s.ptr[slot];
}

void execute(const dnnl::primitive& p, std::unordered_map<int, dnnl::memory> args) {
  // Primitives are cached and shared by every thread, so each gets its own scratchpad (user
  // mode, see user_scratchpad()): oneDNN's library-managed one is shared by all primitives.
  const_dnnl_primitive_desc_t pd = p.get_primitive_desc();
#if DNNL_VERSION_MAJOR >= 3
  const_dnnl_memory_desc_t md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  size_t bytes = md ? dnnl_memory_desc_get_size(md) : 0;
  if (bytes) {
    dnnl_memory_desc_t copy = nullptr;
    dnnl_memory_desc_clone(&copy, md);
    args[DNNL_ARG_SCRATCHPAD] = dnnl::memory(dnnl::memory::desc(copy), engine(), scratch(kScratchpadSlot, bytes));
  }
#else
  const dnnl_memory_desc_t* md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  size_t bytes = md ? dnnl_memory_desc_get_size(md) : 0;
  if (bytes) args[DNNL_ARG_SCRATCHPAD] = dnnl::memory(dnnl::memory::desc(*md), engine(), scratch(kScratchpadSlot, bytes));
#endif
  p.execute(stream(), args);
}

dnnl::primitive_attr user_scratchpad(dnnl::primitive_attr attr) {
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void reorder(const dnnl::reorder& r, const dnnl::memory& src, const dnnl::memory& dst) {
  execute(r, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
}

dnnl::reorder make_reorder(const dnnl::memory::desc& src, const dnnl::memory::desc& dst) {
  return dnnl::reorder(dnnl::reorder::primitive_desc(engine(), src, engine(), dst, user_scratchpad({})));
}

// ---- version-dependent spelling ---------------------------------------------------------------

#if DNNL_VERSION_MAJOR >= 3

dnnl::matmul::primitive_desc matmul_pd(const dnnl::memory::desc& src, const dnnl::memory::desc& wei,
                                       const dnnl::memory::desc& bias, const dnnl::memory::desc& dst,
                                       const dnnl::primitive_attr& attr) {
  return dnnl::matmul::primitive_desc(engine(), src, wei, bias, dst, user_scratchpad(attr));
}
void set_matmul_alpha(dnnl::primitive_attr& attr, float) { attr.set_scales_mask(DNNL_ARG_WEIGHTS, 0); }
void add_matmul_alpha_arg(std::unordered_map<int, dnnl::memory>& args, const float* alpha) {
  dnnl::memory::desc md({1}, dt::f32, dims{1});
  args.emplace(DNNL_ARG_ATTR_SCALES | DNNL_ARG_WEIGHTS, dnnl::memory(md, engine(), const_cast<float*>(alpha)));
}
dnnl::convolution_forward::primitive_desc conv_fwd_pd(const ConvShape& s, dnnl::prop_kind prop,
                                                     const dnnl::primitive_attr& attr) {
  return dnnl::convolution_forward::primitive_desc(engine(), prop, dnnl::algorithm::convolution_direct, s.src, s.wei,
                                                   s.bias, s.dst, s.strides, s.dilates, s.pad_l, s.pad_r,
                                                   user_scratchpad(attr));
}
dnnl::convolution_backward_data::primitive_desc conv_bwd_data_pd(const ConvShape& s,
                                                                 const dnnl::convolution_forward::primitive_desc& hint) {
  return dnnl::convolution_backward_data::primitive_desc(engine(), dnnl::algorithm::convolution_direct, s.src, s.wei,
                                                         s.dst, s.strides, s.dilates, s.pad_l, s.pad_r, hint,
                                                         user_scratchpad({}));
}
dnnl::convolution_backward_weights::primitive_desc conv_bwd_weights_pd(
    const ConvShape& s, const dnnl::convolution_forward::primitive_desc& hint) {
  return dnnl::convolution_backward_weights::primitive_desc(engine(), dnnl::algorithm::convolution_direct, s.src,
                                                            s.wei, s.dst, s.strides, s.dilates, s.pad_l, s.pad_r, hint,
                                                            user_scratchpad({}));
}

#else

dnnl::matmul::primitive_desc matmul_pd(const dnnl::memory::desc& src, const dnnl::memory::desc& wei,
                                       const dnnl::memory::desc& bias, const dnnl::memory::desc& dst,
                                       const dnnl::primitive_attr& attr) {
  dnnl::matmul::desc d(src, wei, bias, dst);
  return dnnl::matmul::primitive_desc(d, user_scratchpad(attr), engine());
}
void set_matmul_alpha(dnnl::primitive_attr& attr, float alpha) { attr.set_output_scales(0, {alpha}); }
void add_matmul_alpha_arg(std::unordered_map<int, dnnl::memory>&, const float*) {}
dnnl::convolution_forward::primitive_desc conv_fwd_pd(const ConvShape& s, dnnl::prop_kind prop,
                                                     const dnnl::primitive_attr& attr) {
  dnnl::convolution_forward::desc d(prop, dnnl::algorithm::convolution_direct, s.src, s.wei, s.bias, s.dst, s.strides,
                                    s.dilates, s.pad_l, s.pad_r);
  return dnnl::convolution_forward::primitive_desc(d, user_scratchpad(attr), engine());
}
dnnl::convolution_backward_data::primitive_desc conv_bwd_data_pd(const ConvShape& s,
                                                                 const dnnl::convolution_forward::primitive_desc& hint) {
  dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, s.src, s.wei, s.dst, s.strides,
                                          s.dilates, s.pad_l, s.pad_r);
  return dnnl::convolution_backward_data::primitive_desc(d, user_scratchpad({}), engine(), hint);
}
dnnl::convolution_backward_weights::primitive_desc conv_bwd_weights_pd(
    const ConvShape& s, const dnnl::convolution_forward::primitive_desc& hint) {
  dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, s.src, s.wei, s.dst, s.strides,
                                             s.dilates, s.pad_l, s.pad_r);
  return dnnl::convolution_backward_weights::primitive_desc(d, user_scratchpad({}), engine(), hint);
}

#endif

}  // namespace sinter::kernels::onednn
