#include "sinter/io/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "sinter/io/file.h"
#include "sinter/ops/factory.h"

namespace sinter::io {

using detail::str_cat;

namespace {

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw IOError(str_cat("idx '", file, "': ", what));
}

bool dtype_of_code(int code, DType& d) {
  switch (code) {
    case 0x08: d = kByte; return true;
    case 0x09: d = kChar; return true;
    case 0x0B: d = kShort; return true;
    case 0x0C: d = kInt; return true;
    case 0x0D: d = kFloat; return true;
    case 0x0E: d = kDouble; return true;
    default: return false;
  }
}

int code_of_dtype(DType d) {
  switch (d) {
    case kByte: return 0x08;
    case kChar: return 0x09;
    case kShort: return 0x0B;
    case kInt: return 0x0C;
    case kFloat: return 0x0D;
    case kDouble: return 0x0E;
    default: throw ValueError(str_cat("write_idx: IDX has no type for ", d));
  }
}

// A byte source over a plain or gzip file.
class Source {
 public:
  Source(const std::string& path) : path_(path), plain_(path) {
    unsigned char m[2] = {0, 0};
    if (plain_.size() >= 2) plain_.read_at(0, m, 2);
    if (m[0] == 0x1f && m[1] == 0x8b) {
      gz_ = gzopen(path.c_str(), "rb");
      if (!gz_) fail(path, "cannot open the gzip stream");
      gzbuffer(gz_, 1 << 18);
    }
  }
  ~Source() {
    if (gz_) gzclose(gz_);
  }
  bool compressed() const { return gz_ != nullptr; }
  uint64_t plain_size() const { return plain_.size(); }
  // Reads up to n bytes; returns how many (fewer only at the end of the data).
  std::size_t read(void* dst, std::size_t n) {
    if (!gz_) {
      std::size_t k = static_cast<std::size_t>(std::min<uint64_t>(n, plain_.size() - pos_));
      plain_.read_at(pos_, dst, k);
      pos_ += k;
      return k;
    }
    std::size_t got = 0;
    while (got < n) {
      unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - got, 1u << 30));
      int r = gzread(gz_, static_cast<char*>(dst) + got, chunk);
      if (r < 0) {
        int err;
        const char* msg = gzerror(gz_, &err);
        fail(path_, str_cat("corrupt gzip stream: ", msg ? msg : "error"));
      }
      if (r == 0) {
        int err;
        const char* msg = gzerror(gz_, &err);
        if (err != Z_OK) fail(path_, str_cat("corrupt gzip stream: ", msg ? msg : "error"));
        break;
      }
      got += static_cast<std::size_t>(r);
    }
    return got;
  }
  void read_exact(void* dst, std::size_t n, const char* what) {
    if (read(dst, n) != n) fail(path_, str_cat("truncated: the file ends inside the ", what));
  }

 private:
  std::string path_;
  InputFile plain_;
  gzFile gz_ = nullptr;
  uint64_t pos_ = 0;
};

void byteswap(unsigned char* p, uint64_t n, std::size_t esize) {
  for (uint64_t i = 0; i < n; ++i, p += esize) std::reverse(p, p + esize);
}

}  // namespace

Tensor read_idx(const std::string& path) {
  Source src(path);
  unsigned char magic[4];
  src.read_exact(magic, 4, "magic number");
  DType dtype;
  if (magic[0] != 0 || magic[1] != 0 || !dtype_of_code(magic[2], dtype))
    fail(path, str_cat("bad magic number 0x", std::hex, (uint32_t(magic[0]) << 24 | uint32_t(magic[1]) << 16 |
                                                          uint32_t(magic[2]) << 8 | magic[3]),
                       " (not an IDX file)"));
  const int ndim = magic[3];
  if (ndim == 0) fail(path, "bad magic number: zero dimensions");
  std::vector<unsigned char> dimbytes(static_cast<std::size_t>(ndim) * 4);
  src.read_exact(dimbytes.data(), dimbytes.size(), "dimensions");
  const std::size_t esize = element_size(dtype);
  std::vector<int64_t> dims;
  uint64_t numel = 1;
  // Bound by what could exist: the file size, or for gzip the deflate limit of ~1032:1.
  const uint64_t limit = src.compressed() ? src.plain_size() * 1040 + 4096 : src.plain_size();
  for (int i = 0; i < ndim; ++i) {
    const unsigned char* b = &dimbytes[static_cast<std::size_t>(i) * 4];
    uint64_t d = uint64_t(b[0]) << 24 | uint64_t(b[1]) << 16 | uint64_t(b[2]) << 8 | b[3];
    dims.push_back(static_cast<int64_t>(d));
    if (numel != 0 && d != 0 && numel > limit / d)
      fail(path, str_cat("size mismatch: dimension ", i, " = ", d, " makes the data larger than the file allows"));
    numel *= d;
  }
  const uint64_t header = 4 + 4 * static_cast<uint64_t>(ndim);
  const uint64_t nbytes = numel * esize;
  if (!src.compressed() && src.plain_size() - header != nbytes)
    fail(path, str_cat("size mismatch: the dimensions need ", nbytes, " data bytes but the file has ",
                       src.plain_size() - header));
  Tensor t;
  if (!src.compressed()) {
    t = sinter::empty(dims, dtype);
    src.read_exact(t.data_ptr(), static_cast<std::size_t>(nbytes), "data");
  } else {
    // The decompressed size is not known in advance: read in chunks, so a header claiming more
    // than the stream holds costs no more memory than the stream.
    std::vector<unsigned char> buf;
    const std::size_t chunk = 1 << 22;
    while (buf.size() < nbytes) {
      std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(chunk, nbytes - buf.size()));
      std::size_t old = buf.size();
      buf.resize(old + want);
      std::size_t got = src.read(buf.data() + old, want);
      if (got < want)
        fail(path, str_cat("size mismatch: the dimensions need ", nbytes, " data bytes but the stream has ",
                           old + got, " (truncated)"));
    }
    t = sinter::empty(dims, dtype);
    if (nbytes) std::memcpy(t.data_ptr(), buf.data(), static_cast<std::size_t>(nbytes));
  }
  unsigned char extra;
  if (src.read(&extra, 1) != 0) fail(path, str_cat("size mismatch: bytes after the ", nbytes, " data bytes"));
  if (esize > 1) byteswap(static_cast<unsigned char*>(t.data_ptr()), numel, esize);
  return t;
}

std::string gzip_bytes(std::string_view bytes, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw IOError("gzip: deflateInit failed");
  std::string out(deflateBound(&zs, bytes.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  SINTER_CHECK(rc == Z_STREAM_END, IOError, "gzip: deflate failed");
  return out;
}

void write_idx(const std::string& path, const Tensor& tensor, bool gzip) {
  SINTER_CHECK(tensor.defined() && tensor.is_cpu(), ValueError, "write_idx: expected a defined CPU tensor");
  SINTER_CHECK(tensor.dim() >= 1 && tensor.dim() <= 255, ValueError, "write_idx: IDX needs 1 to 255 dimensions, got ",
               tensor.dim());
  std::string out;
  out.push_back(0);
  out.push_back(0);
  out.push_back(static_cast<char>(code_of_dtype(tensor.dtype())));
  out.push_back(static_cast<char>(tensor.dim()));
  for (int64_t i = 0; i < tensor.dim(); ++i) {
    const int64_t d = tensor.size(i);
    SINTER_CHECK(d <= int64_t(0xffffffff), ValueError, "write_idx: dimension ", i, " = ", d, " does not fit in 32 bits");
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((d >> s) & 0xff));
  }
  Tensor c = tensor.contiguous();
  const std::size_t header = out.size();
  out.append(static_cast<const char*>(c.data_ptr()), static_cast<std::size_t>(c.nbytes()));
  if (c.element_size() > 1)
    byteswap(reinterpret_cast<unsigned char*>(out.data() + header), static_cast<uint64_t>(c.numel()),
             static_cast<std::size_t>(c.element_size()));
  atomic_write(path, gzip ? gzip_bytes(out) : out);
}

}  // namespace sinter::io
