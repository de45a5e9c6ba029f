// Archive: what one saved object (a module, an optimizer, a scheduler, a checkpoint) consists of:
// named tensors plus string-valued metadata. It maps one to one onto a safetensors file (tensors
// plus the `__metadata__` string map), which is how sinter stores state on disk.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sinter/ordered_dict.h"
#include "sinter/tensor.h"

namespace sinter::serialize {

struct Archive {
  OrderedDict<std::string, Tensor> tensors{"tensor"};
  std::map<std::string, std::string> meta;

  // Typed metadata. Doubles are written with 17 significant digits (exact round trip); lists
  // comma-separated. A missing key or a malformed value is a ValueError naming the key.
  void put(const std::string& key, const std::string& v) { meta[key] = v; }
  void put_int(const std::string& key, int64_t v);
  void put_double(const std::string& key, double v);
  void put_doubles(const std::string& key, const std::vector<double>& v);
  void put_ints(const std::string& key, const std::vector<int64_t>& v);
  bool has(const std::string& key) const { return meta.count(key) > 0; }
  const std::string& get(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_double(const std::string& key) const;
  std::vector<double> get_doubles(const std::string& key) const;
  std::vector<int64_t> get_ints(const std::string& key) const;
  const Tensor& tensor(const std::string& key) const;

  /// Copies `other` into this archive with every tensor and metadata key prefixed by `prefix.`.
  void add_prefixed(const std::string& prefix, const Archive& other);
  /// The entries whose keys start with `prefix.`, with the prefix removed.
  Archive sub(const std::string& prefix) const;
};

}  // namespace sinter::serialize
