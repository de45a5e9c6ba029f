// safetensors: the file format sinter stores all state in (modules, optimizers, checkpoints).
//
// Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N,
// N bytes of JSON
//     {"__metadata__": {"key": "value", ...},
//      "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}, ...}
// padded with spaces to a multiple of 8, then the data section; offsets are relative to its
// start. dtypes: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL.
//
// Writing follows the reference implementation: tensors are laid out by dtype (widest first,
// in safetensors' dtype order) and then by name, so every tensor starts aligned to its element
// size, and the header lists them in that order. Non-contiguous tensors are written
// contiguous. Every write is atomic (see io/file.h).
//
// Reading validates the whole header against the file before it allocates anything: a header
// length past the end of the file or over 100 MB, a header that is not JSON, a duplicate name,
// an unknown dtype, a negative or huge shape, offsets out of range, overlapping, leaving gaps
// or not covering the data, a shape whose byte size differs from its offsets, a BOOL byte
// other than 0/1 — each is an IOError naming the file and the problem.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "sinter/ordered_dict.h"
#include "sinter/serialize.h"
#include "sinter/tensor.h"

namespace sinter::io {

/// Largest JSON header accepted (as the reference implementation: 100 MB).
constexpr std::size_t kSafetensorsMaxHeader = 100'000'000;

/// Writes `tensors` and the `__metadata__` map to `path` (atomically).
void save_safetensors(const std::string& path, const OrderedDict<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});
void save_safetensors(const std::string& path, const serialize::Archive& archive);
/// The bytes save_safetensors would write.
std::string safetensors_bytes(const OrderedDict<std::string, Tensor>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

/// Reads a file into tensors that own their memory, in the order the header lists them.
serialize::Archive load_safetensors(const std::string& path);
/// Parses a safetensors image held in memory (copies the data). `name` appears in errors.
serialize::Archive parse_safetensors(std::string_view bytes, const std::string& name = "<memory>");
/// Maps the file and returns tensors that are zero-copy views of the mapping where the data is
/// aligned to the element size (copies otherwise). The mapping is private (copy-on-write):
/// writing to a tensor never changes the file. It is unmapped when the last view dies.
serialize::Archive load_safetensors_mmap(const std::string& path);

/// safetensors' name for a dtype ("F32") and back (IOError for an unknown or unsupported name).
std::string safetensors_dtype_name(DType dtype);

}  // namespace sinter::io
