#include "sinter/io/npy.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <vector>

#include "sinter/io/file.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/shape.h"

namespace sinter::io {

using detail::str_cat;

namespace {

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw IOError(str_cat("npy '", file, "': ", what));
}

uint64_t rd_le(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
void wr_le(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// ---- the header: a Python dict literal ------------------------------------------------------

struct PyValue {
  enum Kind { Str, Bool, Tuple } kind = Str;
  std::string s;
  bool b = false;
  std::vector<uint64_t> ints;
};

class DictParser {
 public:
  DictParser(std::string_view s, const std::string& file) : s_(s), file_(file) {}

  std::vector<std::pair<std::string, PyValue>> parse() {
    std::vector<std::pair<std::string, PyValue>> out;
    ws();
    expect('{');
    while (true) {
      ws();
      if (peek() == '}') { ++i_; break; }
      std::string key = str();
      ws();
      expect(':');
      ws();
      PyValue v = value();
      for (const auto& [k, _] : out)
        if (k == key) bad(str_cat("duplicate key '", key, "'"));
      out.emplace_back(std::move(key), std::move(v));
      ws();
      if (peek() == ',') { ++i_; continue; }
      ws();
      if (peek() == '}') { ++i_; break; }
      bad("expected ',' or '}'");
    }
    ws();
    if (i_ != s_.size()) bad("text after the closing '}'");
    return out;
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  [[noreturn]] void bad(const std::string& what) const {
    fail(file_, str_cat("malformed header at character ", i_, ": ", what, " in ", std::string(s_.substr(0, 200))));
  }
  void expect(char c) {
    if (peek() != c) bad(str_cat("expected '", c, "'"));
    ++i_;
  }
  std::string str() {
    char q = peek();
    if (q != '\'' && q != '"') bad("expected a quoted string");
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != q) {
      if (s_[i_] == '\\') bad("escapes are not supported in header strings");
      out.push_back(s_[i_++]);
    }
    expect(q);
    return out;
  }
  uint64_t integer() {
    if (!(peek() >= '0' && peek() <= '9')) bad("expected a non-negative integer");
    uint64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      uint64_t d = static_cast<uint64_t>(peek() - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) bad("integer too large");
      v = v * 10 + d;
      ++i_;
    }
    if (peek() == 'L') ++i_;  // written by Python 2
    return v;
  }
  PyValue value() {
    PyValue v;
    char c = peek();
    if (c == '\'' || c == '"') {
      v.kind = PyValue::Str;
      v.s = str();
    } else if (s_.substr(i_, 4) == "True") {
      v.kind = PyValue::Bool;
      v.b = true;
      i_ += 4;
    } else if (s_.substr(i_, 5) == "False") {
      v.kind = PyValue::Bool;
      i_ += 5;
    } else if (c == '(' || c == '[') {
      const char close = c == '(' ? ')' : ']';
      v.kind = PyValue::Tuple;
      ++i_;
      ws();
      if (peek() == '(' || peek() == '\'' || peek() == '"') bad("structured dtypes are not supported");
      while (true) {
        ws();
        if (peek() == close) { ++i_; break; }
        if (v.ints.size() >= 64) bad("more than 64 dimensions");
        v.ints.push_back(integer());
        ws();
        if (peek() == ',') { ++i_; continue; }
        if (peek() == close) { ++i_; break; }
        bad("expected ',' or the end of the shape");
      }
    } else {
      bad("expected a string, True/False or a shape tuple (structured dtypes are not supported)");
    }
    return v;
  }

  std::string_view s_;
  const std::string& file_;
  std::size_t i_ = 0;
};

struct NpyType {
  DType dtype;
  bool big_endian;
};

NpyType parse_descr(const std::string& d, const std::string& file) {
  if (d.size() < 3) fail(file, str_cat("unsupported dtype '", d, "'"));
  const char order = d[0];
  if (order != '<' && order != '>' && order != '|' && order != '=')
    fail(file, str_cat("unsupported dtype '", d, "' (expected a byte-order prefix < > | =)"));
  const std::string t = d.substr(1);
  static const std::pair<const char*, DType> table[] = {
      {"f8", kDouble}, {"f4", kFloat}, {"f2", kHalf}, {"i8", kLong}, {"i4", kInt},
      {"i2", kShort},  {"i1", kChar},  {"u1", kByte}, {"b1", kBool}, {"u2", kUInt16}, {"u4", kUInt32},
      {"u8", kUInt64},
  };
  for (const auto& [name, dt] : table)
    if (t == name) return {dt, order == '>'};
  fail(file, str_cat("unsupported dtype '", d, "' (sinter reads f8 f4 f2 i8 i4 i2 i1 u8 u4 u2 u1 b1)"));
}

const char* descr_of(DType d) {
  switch (d) {
    case kDouble: return "<f8";
    case kFloat: return "<f4";
    case kHalf: return "<f2";
    case kLong: return "<i8";
    case kInt: return "<i4";
    case kShort: return "<i2";
    case kChar: return "|i1";
    case kByte: return "|u1";
    case kUInt16: return "<u2";
    case kUInt32: return "<u4";
    case kUInt64: return "<u8";
    case kBool: return "|b1";
    default: break;
  }
  throw ValueError(str_cat("save_npy: NumPy has no dtype for ", d, "; convert the tensor first (e.g. .to(kFloat))"));
}

void byteswap(unsigned char* p, uint64_t n, std::size_t esize) {
  for (uint64_t i = 0; i < n; ++i, p += esize) std::reverse(p, p + esize);
}

// ---- zip ------------------------------------------------------------------------------------

[[noreturn]] void zfail(const std::string& file, const std::string& what) {
  throw IOError(str_cat("npz '", file, "': ", what));
}

std::string inflate_entry(const unsigned char* src, uint64_t csize, uint64_t usize, const std::string& file,
                          const std::string& entry) {
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) zfail(file, "zlib inflateInit failed");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&zs};
  // The buffer grows with the data actually produced: the declared size is not trusted.
  std::string out(static_cast<std::size_t>(std::min<uint64_t>(usize, uint64_t(1) << 26)), '\0');
  uint64_t produced = 0, consumed = 0;
  unsigned char probe;
  while (true) {
    bool probing = false;
    if (produced == out.size()) {
      if (produced == usize) probing = true;  // all declared bytes are out: the stream must end
      else out.resize(static_cast<std::size_t>(std::min<uint64_t>(usize, out.size() * 2 + 1)));
    }
    const uInt in_chunk = static_cast<uInt>(std::min<uint64_t>(csize - consumed, 1u << 30));
    const uInt out_chunk = probing ? 1u : static_cast<uInt>(std::min<uint64_t>(out.size() - produced, 1u << 30));
    zs.next_in = const_cast<Bytef*>(src + consumed);
    zs.avail_in = in_chunk;
    zs.next_out = probing ? &probe : reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = out_chunk;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    consumed += in_chunk - zs.avail_in;
    if (probing && zs.avail_out == 0)
      zfail(file, str_cat("entry '", entry, "' inflates to more than its declared ", usize, " bytes"));
    if (!probing) produced += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR || (rc == Z_OK && consumed == csize && zs.avail_out > 0))
      zfail(file, str_cat("entry '", entry, "' is truncated (the deflate stream ends early)"));
    if (rc != Z_OK)
      zfail(file, str_cat("entry '", entry, "' is corrupt (zlib: ", zs.msg ? zs.msg : "error", ")"));
  }
  if (produced != usize)
    zfail(file, str_cat("entry '", entry, "' inflates to ", produced, " bytes but declares ", usize));
  return out;
}

struct ZipEntry {
  std::string name;
  uint16_t method = 0, flags = 0;
  uint32_t crc = 0;
  uint64_t csize = 0, usize = 0, offset = 0;
};

}  // namespace

Tensor parse_npy(std::string_view bytes, const std::string& name) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const uint64_t size = bytes.size();
  if (size < 10 || std::memcmp(p, "\x93NUMPY", 6) != 0) fail(name, "not a .npy file (bad magic)");
  const int major = p[6];
  uint64_t hlen, hstart;
  if (major == 1) {
    hlen = rd_le(p + 8, 2);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) fail(name, "truncated header");
    hlen = rd_le(p + 8, 4);
    hstart = 12;
  } else {
    fail(name, str_cat("unsupported format version ", major, ".", int(p[7])));
  }
  if (hlen > size - hstart) fail(name, str_cat("header length ", hlen, " runs past the end of the file (", size, " bytes)"));
  std::string_view header(bytes.data() + hstart, hlen);
  if (major < 3)
    for (char c : header)
      if (static_cast<unsigned char>(c) > 127) fail(name, "header is not ASCII");
  auto dict = DictParser(header, name).parse();
  const PyValue *descr = nullptr, *fortran = nullptr, *shape = nullptr;
  for (const auto& [k, v] : dict) {
    if (k == "descr") descr = &v;
    else if (k == "fortran_order") fortran = &v;
    else if (k == "shape") shape = &v;
    else fail(name, str_cat("unexpected header key '", k, "'"));
  }
  if (!descr || !fortran || !shape) fail(name, "header needs 'descr', 'fortran_order' and 'shape'");
  if (descr->kind != PyValue::Str) fail(name, "'descr' is not a string (structured dtypes are not supported)");
  if (fortran->kind != PyValue::Bool) fail(name, "'fortran_order' is not True or False");
  if (shape->kind != PyValue::Tuple) fail(name, "'shape' is not a tuple");
  const NpyType type = parse_descr(descr->s, name);
  const std::size_t esize = element_size(type.dtype);
  const uint64_t data_start = hstart + hlen;
  const uint64_t avail = size - data_start;
  uint64_t numel = 1;
  bool zero = false;
  std::vector<int64_t> dims;
  for (uint64_t d : shape->ints) {
    if (d == 0) zero = true;
    else if (!zero && (d > avail || numel > avail / d))
      fail(name, str_cat("shape is larger than the ", avail, " data bytes in the file"));
    else if (!zero) numel *= d;
    dims.push_back(static_cast<int64_t>(std::min<uint64_t>(d, uint64_t(std::numeric_limits<int64_t>::max()))));
  }
  if (zero) numel = 0;
  if (numel * esize != avail)
    fail(name, str_cat("shape needs ", numel, " x ", esize, " data bytes but the file holds ", avail,
                       numel * esize > avail ? " (truncated)" : " (trailing bytes)"));
  // Fortran order: the bytes are the transpose laid out in C order.
  std::vector<int64_t> storage_dims = dims;
  if (fortran->b) std::reverse(storage_dims.begin(), storage_dims.end());
  Tensor t = sinter::empty(storage_dims, type.dtype);
  auto* dst = static_cast<unsigned char*>(t.data_ptr());
  if (numel) std::memcpy(dst, p + data_start, numel * esize);
  if (type.big_endian && esize > 1) byteswap(dst, numel, esize);
  if (type.dtype == kBool)
    for (uint64_t i = 0; i < numel; ++i)
      if (dst[i] > 1) fail(name, str_cat("bool array holds byte ", int(dst[i]), " (not 0 or 1)"));
  if (fortran->b && dims.size() > 1) {
    std::vector<int64_t> perm(dims.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(perm.size() - 1 - i);
    t = t.permute(perm).contiguous();
  }
  return t;
}

Tensor load_npy(const std::string& path) { return parse_npy(read_file(path), path); }

std::string npy_bytes(const Tensor& tensor) {
  SINTER_CHECK(tensor.defined(), ValueError, "save_npy: tensor is undefined");
  SINTER_CHECK(tensor.is_cpu(), ValueError, "save_npy: tensor is on ", tensor.device().str());
  const char* descr = descr_of(tensor.dtype());
  std::string h = str_cat("{'descr': '", descr, "', 'fortran_order': False, 'shape': (");
  for (int64_t d = 0; d < tensor.dim(); ++d) h += str_cat(d ? ", " : "", tensor.size(d));
  if (tensor.dim() == 1) h += ",";
  h += "), }";
  int version = 1;
  std::size_t prefix = 10;
  std::size_t total = prefix + h.size() + 1;
  if ((total + 63) / 64 * 64 - prefix > 65535) {
    version = 2;
    prefix = 12;
    total = prefix + h.size() + 1;
  }
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(version));
  out.push_back('\0');
  wr_le(out, h.size(), version == 1 ? 2 : 4);
  out += h;
  Tensor c = tensor.contiguous();
  out.append(static_cast<const char*>(c.data_ptr()), static_cast<std::size_t>(c.nbytes()));
  return out;
}

void save_npy(const std::string& path, const Tensor& tensor) { atomic_write(path, npy_bytes(tensor)); }

OrderedDict<std::string, Tensor> parse_npz(std::string_view bytes, const std::string& name) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const uint64_t size = bytes.size();
  if (size < 22) zfail(name, "not a zip archive (too short)");
  // End of central directory: the last 22..65557 bytes.
  uint64_t eocd = std::numeric_limits<uint64_t>::max();
  for (uint64_t i = size - 22 + 1; i-- > 0 && size - i <= 22 + 65535;)
    if (rd_le(p + i, 4) == 0x06054b50 && i + 22 + rd_le(p + i + 20, 2) <= size) {
      eocd = i;
      break;
    }
  if (eocd == std::numeric_limits<uint64_t>::max()) zfail(name, "not a zip archive (no end of central directory)");
  uint64_t count = rd_le(p + eocd + 10, 2), cd_size = rd_le(p + eocd + 12, 4), cd_off = rd_le(p + eocd + 16, 4);
  if (count == 0xffff || cd_size == 0xffffffff || cd_off == 0xffffffff) {
    // zip64: the locator sits just before the end record.
    if (eocd < 20 || rd_le(p + eocd - 20, 4) != 0x07064b50) zfail(name, "zip64 locator missing");
    uint64_t z64 = rd_le(p + eocd - 20 + 8, 8);
    if (z64 > size || size - z64 < 56 || rd_le(p + z64, 4) != 0x06064b50) zfail(name, "zip64 end record out of range");
    count = rd_le(p + z64 + 32, 8);
    cd_size = rd_le(p + z64 + 40, 8);
    cd_off = rd_le(p + z64 + 48, 8);
  }
  if (cd_off > size || cd_size > size - cd_off) zfail(name, "central directory out of range");
  if (count > cd_size / 46) zfail(name, str_cat("central directory too small for ", count, " entries"));
  std::vector<ZipEntry> entries;
  uint64_t q = cd_off;
  const uint64_t cd_end = cd_off + cd_size;
  for (uint64_t k = 0; k < count; ++k) {
    if (cd_end - q < 46 || rd_le(p + q, 4) != 0x02014b50) zfail(name, str_cat("central directory entry ", k, " is corrupt"));
    ZipEntry e;
    e.flags = static_cast<uint16_t>(rd_le(p + q + 8, 2));
    e.method = static_cast<uint16_t>(rd_le(p + q + 10, 2));
    e.crc = static_cast<uint32_t>(rd_le(p + q + 16, 4));
    e.csize = rd_le(p + q + 20, 4);
    e.usize = rd_le(p + q + 24, 4);
    const uint64_t nlen = rd_le(p + q + 28, 2), xlen = rd_le(p + q + 30, 2), clen = rd_le(p + q + 32, 2);
    e.offset = rd_le(p + q + 42, 4);
    if (cd_end - q - 46 < nlen + xlen + clen) zfail(name, str_cat("central directory entry ", k, " is truncated"));
    e.name.assign(reinterpret_cast<const char*>(p + q + 46), nlen);
    // zip64 extra field: the 64-bit values of whichever fields hold 0xffffffff.
    const unsigned char* x = p + q + 46 + nlen;
    for (uint64_t xo = 0; xo + 4 <= xlen;) {
      uint64_t id = rd_le(x + xo, 2), len = rd_le(x + xo + 2, 2);
      if (xo + 4 + len > xlen) break;
      if (id == 0x0001) {
        uint64_t f = xo + 4;
        auto take = [&](uint64_t& field) {
          if (field == 0xffffffff) {
            if (f + 8 > xo + 4 + len) zfail(name, str_cat("entry '", e.name, "': zip64 field truncated"));
            field = rd_le(x + f, 8);
            f += 8;
          }
        };
        take(e.usize);
        take(e.csize);
        take(e.offset);
      }
      xo += 4 + len;
    }
    q += 46 + nlen + xlen + clen;
    entries.push_back(std::move(e));
  }
  OrderedDict<std::string, Tensor> out("npz entry");
  for (const auto& e : entries) {
    if (e.flags & 1) zfail(name, str_cat("entry '", e.name, "' is encrypted"));
    if (e.method != 0 && e.method != 8)
      zfail(name, str_cat("entry '", e.name, "' uses compression method ", e.method, " (only stored and deflate)"));
    if (e.offset > size || size - e.offset < 30 || rd_le(p + e.offset, 4) != 0x04034b50)
      zfail(name, str_cat("entry '", e.name, "': local header out of range or corrupt"));
    const uint64_t data = e.offset + 30 + rd_le(p + e.offset + 26, 2) + rd_le(p + e.offset + 28, 2);
    if (data > size || e.csize > size - data) zfail(name, str_cat("entry '", e.name, "': data runs past the end of the file"));
    std::string raw;
    if (e.method == 0) {
      if (e.csize != e.usize) zfail(name, str_cat("stored entry '", e.name, "' has different sizes"));
      raw.assign(reinterpret_cast<const char*>(p + data), e.csize);
    } else {
      raw = inflate_entry(p + data, e.csize, e.usize, name, e.name);
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (uint64_t off = 0; off < raw.size(); off += 1u << 30)
      crc = crc32(crc, reinterpret_cast<const Bytef*>(raw.data() + off),
                  static_cast<uInt>(std::min<uint64_t>(raw.size() - off, 1u << 30)));
    if (crc != e.crc) zfail(name, str_cat("entry '", e.name, "' fails its CRC check"));
    std::string key = e.name;
    if (key.size() >= 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
    if (out.contains(key)) zfail(name, str_cat("duplicate entry '", e.name, "'"));
    out.insert(key, parse_npy(raw, name + ":" + e.name));
  }
  return out;
}

OrderedDict<std::string, Tensor> load_npz(const std::string& path) { return parse_npz(read_file(path), path); }

std::string npz_bytes(const OrderedDict<std::string, Tensor>& tensors) {
  std::string out, cd;
  uint64_t n = 0;
  for (const auto& it : tensors) {
    SINTER_CHECK(!it.key().empty() && it.key().size() < 60000, ValueError, "save_npz: bad entry name '", it.key(), "'");
    const std::string fname = it.key() + ".npy";
    const std::string body = npy_bytes(it.value());
    const uint64_t offset = out.size();
    SINTER_CHECK(offset + body.size() + fname.size() + 30 < 0xffffffffull, ValueError,
                 "save_npz: archive over 4 GB (zip64 writing is not supported)");
    uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    auto common = [&](std::string& s) {
      wr_le(s, 20, 2);      // version needed
      wr_le(s, 0, 2);       // flags
      wr_le(s, 0, 2);       // stored
      wr_le(s, 0, 2);       // time
      wr_le(s, 0x21, 2);    // date 1980-01-01
      wr_le(s, crc, 4);
      wr_le(s, body.size(), 4);
      wr_le(s, body.size(), 4);
      wr_le(s, fname.size(), 2);
      wr_le(s, 0, 2);       // extra
    };
    wr_le(out, 0x04034b50, 4);
    common(out);
    out += fname;
    out += body;
    wr_le(cd, 0x02014b50, 4);
    wr_le(cd, 20, 2);  // version made by
    common(cd);
    wr_le(cd, 0, 2);   // comment
    wr_le(cd, 0, 2);   // disk
    wr_le(cd, 0, 2);   // internal attributes
    wr_le(cd, 0, 4);   // external attributes
    wr_le(cd, offset, 4);
    cd += fname;
    ++n;
  }
  SINTER_CHECK(n < 0xffff, ValueError, "save_npz: too many entries (", n, ")");
  const uint64_t cd_off = out.size();
  out += cd;
  wr_le(out, 0x06054b50, 4);
  wr_le(out, 0, 2);
  wr_le(out, 0, 2);
  wr_le(out, n, 2);
  wr_le(out, n, 2);
  wr_le(out, cd.size(), 4);
  wr_le(out, cd_off, 4);
  wr_le(out, 0, 2);
  return out;
}

void save_npz(const std::string& path, const OrderedDict<std::string, Tensor>& tensors) {
  atomic_write(path, npz_bytes(tensors));
}

}  // namespace sinter::io
