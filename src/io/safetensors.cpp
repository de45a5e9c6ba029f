#include "sinter/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_set>
#include <vector>

#include "sinter/io/file.h"
#include "sinter/ops/factory.h"

namespace sinter::io {

static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

using detail::str_cat;

namespace {

struct DTypeInfo {
  const char* name;
  DType dtype;
  int rank;  // position in safetensors' Dtype enum: the writer sorts by it, largest first
};
constexpr DTypeInfo kDTypes[] = {
    {"BOOL", kBool, 0}, {"U8", kByte, 1},   {"I8", kChar, 2},     {"I16", kShort, 5}, {"F16", kHalf, 7},
    {"BF16", kBFloat16, 8}, {"I32", kInt, 9}, {"F32", kFloat, 11}, {"F64", kDouble, 12}, {"I64", kLong, 13},
    {"U16", kUInt16, 6}, {"U32", kUInt32, 10}, {"U64", kUInt64, 14},
};
// Names the format defines that sinter has no dtype for.
constexpr const char* kForeignDTypes[] = {"F8_E5M2", "F8_E4M3", "F8_E4M3FN", "F8_E8M0",
                                          "F6_E2M3", "F6_E3M2", "F4", "C64"};

const DTypeInfo& info_of(DType d) {
  for (const auto& i : kDTypes)
    if (i.dtype == d) return i;
  throw ValueError(str_cat("safetensors: dtype ", d, " has no safetensors name"));
}

struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

struct Header {
  std::vector<Entry> entries;  // in header order
  std::map<std::string, std::string> meta;
};

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw IOError(str_cat("safetensors '", file, "': ", what));
}

// Bracket depth outside strings; the format needs 3 (object > tensor entry > shape array).
void check_depth(std::string_view s, const std::string& file) {
  int depth = 0;
  bool in_str = false, esc = false;
  for (char c : s) {
    if (in_str) {
      if (esc) esc = false;
      else if (c == '\\') esc = true;
      else if (c == '"') in_str = false;
    } else if (c == '"') {
      in_str = true;
    } else if (c == '{' || c == '[') {
      if (++depth > 3) fail(file, "header is not a safetensors header (JSON nested deeper than 3 levels)");
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
}

uint64_t read_u64_le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Validates the 8-byte prefix; returns the header length.
uint64_t header_length(const unsigned char* prefix, uint64_t file_size, const std::string& file) {
  const uint64_t n = read_u64_le(prefix);
  if (n > kSafetensorsMaxHeader)
    fail(file, str_cat("header length ", n, " is over the limit of ", kSafetensorsMaxHeader, " bytes"));
  if (n > file_size - 8)
    fail(file, str_cat("header length ", n, " runs past the end of the file (", file_size, " bytes)"));
  if (n < 2) fail(file, str_cat("header length ", n, " is too small for a JSON object"));
  return n;
}

uint64_t as_uint(const nlohmann::ordered_json& v, const std::string& file, const std::string& what) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    int64_t x = v.get<int64_t>();
    if (x >= 0) return static_cast<uint64_t>(x);
    fail(file, str_cat(what, " is negative (", x, ")"));
  }
  fail(file, str_cat(what, " is not a non-negative integer (", v.dump(), ")"));
}

Header parse_header(std::string_view json, uint64_t data_size, const std::string& file) {
  using json_t = nlohmann::ordered_json;
  size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || json[first] != '{') fail(file, "header is not a JSON object");
  check_depth(json, file);
  // nlohmann keeps one of two equal keys silently: track the keys of every open object.
  std::vector<std::unordered_set<std::string>> open;
  std::string dup;
  auto cb = [&](int, json_t::parse_event_t ev, json_t& parsed) {
    if (ev == json_t::parse_event_t::object_start) {
      open.emplace_back();
    } else if (ev == json_t::parse_event_t::object_end) {
      if (!open.empty()) open.pop_back();
    } else if (ev == json_t::parse_event_t::key && !open.empty() && parsed.is_string()) {
      const auto& k = parsed.get_ref<const std::string&>();
      if (!open.back().insert(k).second && dup.empty()) dup = k;
    }
    return true;
  };
  json_t h;
  try {
    h = json_t::parse(json.begin(), json.end(), cb);
  } catch (const nlohmann::json::exception& e) {
    fail(file, str_cat("header is not valid JSON: ", e.what()));
  }
  if (!dup.empty()) fail(file, str_cat("duplicate name '", dup, "' in the header"));
  if (!h.is_object()) fail(file, "header is not a JSON object");

  Header out;
  for (auto it = h.begin(); it != h.end(); ++it) {
    const std::string& name = it.key();
    const json_t& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) fail(file, "__metadata__ is not an object of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) fail(file, str_cat("__metadata__ value for '", m.key(), "' is not a string"));
        out.meta[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string what = str_cat("tensor '", name, "'");
    if (!v.is_object()) fail(file, str_cat(what, ": entry is not an object"));
    auto dt = v.find("dtype");
    auto sh = v.find("shape");
    auto off = v.find("data_offsets");
    if (dt == v.end() || sh == v.end() || off == v.end())
      fail(file, str_cat(what, ": entry needs dtype, shape and data_offsets"));
    if (!dt->is_string()) fail(file, str_cat(what, ": dtype is not a string"));
    Entry e;
    e.name = name;
    const std::string dname = dt->get<std::string>();
    const DTypeInfo* found = nullptr;
    for (const auto& i : kDTypes)
      if (dname == i.name) found = &i;
    if (!found) {
      for (const char* f : kForeignDTypes)
        if (dname == f) fail(file, str_cat(what, ": dtype ", dname, " is not supported by sinter"));
      fail(file, str_cat(what, ": unknown dtype '", dname, "'"));
    }
    e.dtype = found->dtype;
    if (!sh->is_array()) fail(file, str_cat(what, ": shape is not an array"));
    if (sh->size() > 64) fail(file, str_cat(what, ": shape has ", sh->size(), " dimensions (at most 64)"));
    // numel bounded by the data section: any shape whose byte size exceeds it is rejected here,
    // before its product can overflow.
    uint64_t numel = 1;
    bool zero = false;
    for (const auto& d : *sh) {
      uint64_t x = as_uint(d, file, str_cat(what, ": shape entry"));
      if (x == 0) zero = true;
      else if (!zero && (x > data_size || numel > data_size / x))
        fail(file, str_cat(what, ": shape ", sh->dump(), " is larger than the data section (", data_size, " bytes)"));
      else if (!zero) numel *= x;
      e.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(x, uint64_t(std::numeric_limits<int64_t>::max()))));
    }
    if (zero) numel = 0;
    if (!off->is_array() || off->size() != 2) fail(file, str_cat(what, ": data_offsets is not [BEGIN, END]"));
    e.begin = as_uint((*off)[0], file, str_cat(what, ": data_offsets begin"));
    e.end = as_uint((*off)[1], file, str_cat(what, ": data_offsets end"));
    if (e.begin > e.end) fail(file, str_cat(what, ": data_offsets [", e.begin, ", ", e.end, "] end before they begin"));
    if (e.end > data_size)
      fail(file, str_cat(what, ": data_offsets [", e.begin, ", ", e.end, "] are out of range of the data section (",
                         data_size, " bytes)"));
    const uint64_t esize = element_size(e.dtype);
    if (numel > data_size / esize || numel * esize != e.end - e.begin)
      fail(file, str_cat(what, ": shape ", sh->dump(), " of ", dname, " needs ", numel, " x ", esize,
                         " bytes but data_offsets [", e.begin, ", ", e.end, "] hold ", e.end - e.begin));
    out.entries.push_back(std::move(e));
  }

  // The tensors must tile the data section exactly: no overlap, no gap, nothing left over.
  std::vector<const Entry*> by_offset;
  for (const auto& e : out.entries) by_offset.push_back(&e);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t pos = 0;
  const Entry* prev = nullptr;
  for (const Entry* e : by_offset) {
    if (e->begin < pos)
      fail(file, str_cat("tensor '", e->name, "' [", e->begin, ", ", e->end, "] overlaps tensor '", prev->name,
                         "' [", prev->begin, ", ", prev->end, "]"));
    if (e->begin > pos)
      fail(file, str_cat("gap in the data section: bytes [", pos, ", ", e->begin, ") before tensor '", e->name,
                         "' belong to no tensor"));
    pos = e->end;
    prev = e;
  }
  if (pos != data_size)
    fail(file, str_cat("the tensors cover ", pos, " bytes but the data section has ", data_size,
                       " (bytes past the last tensor)"));
  return out;
}

void check_bool_bytes(const Entry& e, const unsigned char* p, const std::string& file) {
  if (e.dtype != kBool) return;
  for (uint64_t i = 0; i < e.end - e.begin; ++i)
    if (p[i] > 1) fail(file, str_cat("BOOL tensor '", e.name, "' holds byte ", int(p[i]), " (not 0 or 1)"));
}

Tensor make_owned(const Entry& e) { return sinter::empty(e.shape, e.dtype); }

// ---- writing -------------------------------------------------------------------------------

std::string json_str(const std::string& s, const char* what) {
  try {
    return nlohmann::json(s).dump();
  } catch (const nlohmann::json::exception&) {
    throw ValueError(str_cat("save_safetensors: ", what, " '", s, "' is not valid UTF-8"));
  }
}

struct Planned {
  const std::string* name;
  Tensor t;  // contiguous
  int rank;
  uint64_t begin, end;
};

// Header bytes (length prefix + padded JSON) and the tensors in data order.
std::string plan(const OrderedDict<std::string, Tensor>& tensors, const std::map<std::string, std::string>& metadata,
                 std::vector<Planned>& order) {
  for (const auto& it : tensors) {
    const Tensor& t = it.value();
    SINTER_CHECK(it.key() != "__metadata__", ValueError, "save_safetensors: '__metadata__' is reserved, not a tensor name");
    SINTER_CHECK(t.defined(), ValueError, "save_safetensors: tensor '", it.key(), "' is undefined");
    SINTER_CHECK(t.is_cpu(), ValueError, "save_safetensors: tensor '", it.key(), "' is on ", t.device().str(),
                 "; move it to the CPU first");
    order.push_back({&it.key(), t.is_contiguous() ? t : t.contiguous(), info_of(t.dtype()).rank, 0, 0});
  }
  std::stable_sort(order.begin(), order.end(), [](const Planned& a, const Planned& b) {
    return a.rank != b.rank ? a.rank > b.rank : *a.name < *b.name;
  });
  std::string h = "{";
  if (!metadata.empty()) {
    h += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      if (!first) h += ',';
      first = false;
      h += json_str(k, "metadata key") + ":" + json_str(v, "metadata value");
    }
    h += "}";
  }
  uint64_t pos = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    Planned& p = order[i];
    p.begin = pos;
    p.end = pos + static_cast<uint64_t>(p.t.nbytes());
    pos = p.end;
    if (h.size() > 1) h += ',';
    h += json_str(*p.name, "tensor name");
    h += str_cat(":{\"dtype\":\"", info_of(p.t.dtype()).name, "\",\"shape\":[");
    for (int64_t d = 0; d < p.t.dim(); ++d) h += str_cat(d ? "," : "", p.t.size(d));
    h += str_cat("],\"data_offsets\":[", p.begin, ",", p.end, "]}");
  }
  h += "}";
  h.append((8 - h.size() % 8) % 8, ' ');
  SINTER_CHECK(h.size() <= kSafetensorsMaxHeader, ValueError, "save_safetensors: header of ", h.size(),
               " bytes is over the limit of ", kSafetensorsMaxHeader);
  std::string out(8, '\0');
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + h;
}

}  // namespace

std::string safetensors_dtype_name(DType dtype) { return info_of(dtype).name; }

std::string safetensors_bytes(const OrderedDict<std::string, Tensor>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  std::vector<Planned> order;
  std::string out = plan(tensors, metadata, order);
  for (const auto& p : order) out.append(static_cast<const char*>(p.t.data_ptr()), p.end - p.begin);
  return out;
}

void save_safetensors(const std::string& path, const OrderedDict<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<Planned> order;
  std::string header = plan(tensors, metadata, order);
  atomic_write(path, [&](AtomicFile& f) {
    f.write(header);
    for (const auto& p : order) f.write(p.t.data_ptr(), p.end - p.begin);
  });
}

void save_safetensors(const std::string& path, const serialize::Archive& archive) {
  save_safetensors(path, archive.tensors, archive.meta);
}

serialize::Archive parse_safetensors(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 8) fail(name, str_cat("file of ", bytes.size(), " bytes is too short for the 8-byte header length"));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const uint64_t n = header_length(p, bytes.size(), name);
  const uint64_t data_size = bytes.size() - 8 - n;
  Header h = parse_header(bytes.substr(8, n), data_size, name);
  const unsigned char* data = p + 8 + n;
  serialize::Archive a;
  a.meta = std::move(h.meta);
  for (const auto& e : h.entries) {
    check_bool_bytes(e, data + e.begin, name);
    Tensor t = make_owned(e);
    if (e.end > e.begin) std::memcpy(t.data_ptr(), data + e.begin, e.end - e.begin);
    a.tensors.insert(e.name, std::move(t));
  }
  return a;
}

serialize::Archive load_safetensors(const std::string& path) {
  InputFile f(path);
  if (f.size() < 8) fail(path, str_cat("file of ", f.size(), " bytes is too short for the 8-byte header length"));
  unsigned char prefix[8];
  f.read_at(0, prefix, 8);
  const uint64_t n = header_length(prefix, f.size(), path);
  std::string json(n, '\0');
  f.read_at(8, json.data(), n);
  const uint64_t data_start = 8 + n;
  Header h = parse_header(json, f.size() - data_start, path);
  serialize::Archive a;
  a.meta = std::move(h.meta);
  for (const auto& e : h.entries) {
    Tensor t = make_owned(e);
    if (e.end > e.begin) {
      f.read_at(data_start + e.begin, t.data_ptr(), e.end - e.begin);
      check_bool_bytes(e, static_cast<const unsigned char*>(t.data_ptr()), path);
    }
    a.tensors.insert(e.name, std::move(t));
  }
  return a;
}

namespace {

// One mapping shared by every zero-copy tensor taken from it.
struct Mapping {
  void* addr = nullptr;
  std::size_t len = 0;
  std::atomic<int64_t> refs{1};
  void release() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      ::munmap(addr, len);
      delete this;
    }
  }
};

struct MappingRef {  // releases the loader's own reference on every exit path
  Mapping* m;
  ~MappingRef() { m->release(); }
};

}  // namespace

serialize::Archive load_safetensors_mmap(const std::string& path) {
  InputFile f(path);
  if (f.size() < 8) fail(path, str_cat("file of ", f.size(), " bytes is too short for the 8-byte header length"));
  SINTER_CHECK(f.size() <= std::numeric_limits<std::size_t>::max(), IOError, "'", path, "': too large to map");
  void* addr = ::mmap(nullptr, f.size(), PROT_READ | PROT_WRITE, MAP_PRIVATE, f.fd(), 0);
  if (addr == MAP_FAILED) fail(path, str_cat("mmap failed: ", std::strerror(errno)));
  auto* m = new Mapping;
  m->addr = addr;
  m->len = f.size();
  MappingRef guard{m};
  const auto* base = static_cast<const unsigned char*>(addr);
  const uint64_t n = header_length(base, f.size(), path);
  const uint64_t data_start = 8 + n;
  Header h = parse_header(std::string_view(reinterpret_cast<const char*>(base) + 8, n), f.size() - data_start, path);
  serialize::Archive a;
  a.meta = std::move(h.meta);
  for (const auto& e : h.entries) {
    unsigned char* p = static_cast<unsigned char*>(addr) + data_start + e.begin;
    check_bool_bytes(e, p, path);
    const std::size_t nbytes = e.end - e.begin;
    if (reinterpret_cast<uintptr_t>(p) % element_size(e.dtype) != 0 || nbytes == 0) {
      Tensor t = make_owned(e);
      if (nbytes) std::memcpy(t.data_ptr(), p, nbytes);
      a.tensors.insert(e.name, std::move(t));
      continue;
    }
    m->refs.fetch_add(1, std::memory_order_relaxed);
    Storage* st = Storage::wrap(p, nbytes, Device(kCPU),
                                [](void*, void* ctx) { static_cast<Mapping*>(ctx)->release(); }, m);
    auto* impl = new TensorImpl(st, e.dtype);
    impl->sizes.assign(e.shape.begin(), e.shape.end());
    impl->strides.resize(e.shape.size());
    int64_t stride = 1;
    for (size_t i = e.shape.size(); i-- > 0;) {
      impl->strides[i] = stride;
      stride *= std::max<int64_t>(e.shape[i], 1);
    }
    impl->refresh();
    a.tensors.insert(e.name, Tensor(impl));
  }
  return a;
}

}  // namespace sinter::io
