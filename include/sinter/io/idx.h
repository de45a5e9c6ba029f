// IDX files (the format of MNIST and Fashion-MNIST), plain or gzip-compressed.
//
// Layout: two zero bytes, a type byte (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32,
// 0x0E f64), the number of dimensions, each dimension as a big-endian u32, then the data in
// big-endian C order. The data must be exactly as long as the dimensions say.
#pragma once
#include <string>
#include <string_view>

#include "sinter/tensor.h"

namespace sinter::io {

/// The array as a tensor of the file's dtype (uint8 for MNIST). gzip is detected by content,
/// whatever the name. A bad magic, a truncated or over-long file or a corrupt gzip stream is
/// an IOError naming the file.
Tensor read_idx(const std::string& path);
/// Writes an IDX file atomically (gzip-compressed when `gzip`): u8 i8 i16 i32 f32 f64 tensors.
void write_idx(const std::string& path, const Tensor& tensor, bool gzip = false);
/// gzip-compresses bytes (the .gz file format), e.g. to write compressed datasets.
std::string gzip_bytes(std::string_view bytes, int level = 6);

}  // namespace sinter::io
