// NumPy files: .npy (one array) and .npz (a zip of .npy files).
//
// Reading accepts format versions 1.0, 2.0 and 3.0, little- and big-endian data, C and
// Fortran order, and the dtypes f8 f4 f2 i8 i4 i2 i1 u1 b1 (NumPy has no bfloat16). .npz
// entries may be stored or deflated (zlib), with or without zip64 records; CRCs are checked.
// Every size and offset is checked against the bytes present before anything is allocated;
// malformed files are IOErrors naming the file (and the .npz entry) and the problem.
//
// Writing produces version 1.0 headers (2.0 when the header needs it), little-endian, C
// order, with the header padded to 64 bytes as NumPy does; .npz files are written stored
// (uncompressed). Writes are atomic (io/file.h).
#pragma once
#include <string>
#include <string_view>

#include "sinter/ordered_dict.h"
#include "sinter/tensor.h"

namespace sinter::io {

Tensor load_npy(const std::string& path);
Tensor parse_npy(std::string_view bytes, const std::string& name = "<memory>");
void save_npy(const std::string& path, const Tensor& tensor);
std::string npy_bytes(const Tensor& tensor);

/// Entries in the order of the archive's central directory, named without ".npy".
OrderedDict<std::string, Tensor> load_npz(const std::string& path);
OrderedDict<std::string, Tensor> parse_npz(std::string_view bytes, const std::string& name = "<memory>");
void save_npz(const std::string& path, const OrderedDict<std::string, Tensor>& tensors);
std::string npz_bytes(const OrderedDict<std::string, Tensor>& tensors);

}  // namespace sinter::io
