// NumPy .npy/.npz, CSV and IDX: round trips, interop with numpy, and malformed files.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "sinter/io.h"
#include "sinter/sinter.h"
#include "test_util.h"
#include "torch_ref.h"

using namespace sinter;
using sinter::testing::read_raw;
using sinter::testing::TempDir;
using sinter::testing::write_raw;

namespace {

std::vector<std::pair<std::string, Tensor>> npy_cases() {
  manual_seed(5);
  return {
      {"f64", randn({2, 3}, kDouble)},
      {"f32", randn({4, 1, 2}, kFloat)},
      {"f16", randn({3}, kFloat).to(kHalf)},
      {"i64", arange(-5, 5, kLong)},
      {"i32", arange(0, 6, kInt).reshape({3, 2})},
      {"i16", arange(-300, 300, 100, kShort)},
      {"i8", arange(-128, 128, 51, kChar)},
      {"u8", arange(0, 256, 51, kByte)},
      {"bool", tensor({true, false, false})},
      {"scalar", tensor(3.25, kDouble)},
      {"empty", zeros({0, 4}, kFloat)},
      {"transposed", arange(6, kFloat).reshape({2, 3}).t()},
  };
}

template <class F>
void expect_io_error(F&& f, const std::string& needle, const std::string& name) {
  try {
    f();
    ADD_FAILURE() << name << ": accepted";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << name << ": '" << needle << "' not in: " << e.what();
  }
}

std::string patch(std::string s, size_t at, const std::string& with) {
  s.replace(at, with.size(), with);
  return s;
}

}  // namespace

// ---- npy / npz ----------------------------------------------------------------------------------

TEST(Npy, RoundTripEveryDtype) {
  TempDir dir;
  for (const auto& [name, t] : npy_cases()) {
    const std::string path = dir.file(name + ".npy");
    io::save_npy(path, t);
    const std::string bytes = read_raw(path);
    uint64_t hlen = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
    EXPECT_EQ((10 + hlen) % 64, 0u) << name << ": header not padded to 64 bytes";
    EXPECT_EQ(bytes[10 + hlen - 1], '\n');
    Tensor back = io::load_npy(path);
    EXPECT_EQ(back.dtype(), t.dtype()) << name;
    EXPECT_TRUE(back.equal(t)) << name;
  }
  EXPECT_THROW(io::save_npy(dir.file("bf.npy"), zeros({2}, kBFloat16)), ValueError);
  OrderedDict<std::string, Tensor> all("entry");
  for (const auto& [name, t] : npy_cases()) all.insert(name, t);
  io::save_npz(dir.file("all.npz"), all);
  auto back = io::load_npz(dir.file("all.npz"));
  ASSERT_EQ(back.keys(), all.keys());
  for (const auto& it : all) EXPECT_TRUE(back[it.key()].equal(it.value())) << it.key();
}

TEST(Npy, MalformedFiles) {
  const std::string good = io::npy_bytes(arange(6, kFloat).reshape({2, 3}));
  const size_t hs = 10;  // header text starts here (version 1)
  const uint64_t hlen = static_cast<unsigned char>(good[8]) | static_cast<unsigned char>(good[9]) << 8;
  auto with_header = [&](const std::string& dict, const std::string& data) {
    std::string h = dict;
    std::string out("\x93NUMPY\x01\x00", 8);
    out.push_back(static_cast<char>(h.size() & 0xff));
    out.push_back(static_cast<char>(h.size() >> 8));
    return out + h + data;
  };
  const std::string d24(24, '\0');
  struct Case {
    const char* name;
    std::string bytes;
    const char* expect;
  } cases[] = {
      {"bad magic", patch(good, 1, "NUMPX"), "bad magic"},
      {"short", good.substr(0, 7), "bad magic"},
      {"version", patch(good, 6, "\x09"), "unsupported format version"},
      {"header past end", patch(good, 8, "\xff\xff"), "past the end"},
      {"truncated data", good.substr(0, good.size() - 4), "truncated"},
      {"trailing data", good + "xx", "trailing"},
      {"not a dict", with_header("['descr']", d24), "expected '{'"},
      {"missing key", with_header("{'descr': '<f4', 'shape': (6,)}", d24), "needs"},
      {"extra key", with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", d24), "expected a string"},
      {"unknown descr", with_header("{'descr': '<U4', 'fortran_order': False, 'shape': (6,)}", d24), "unsupported dtype"},
      {"structured", with_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,)}", d24), "structured"},
      {"negative shape", with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,)}", d24), "non-negative"},
      {"huge shape", with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", d24),
       "larger than"},
      {"overflow", with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}", d24),
       "too large"},
      {"bool byte", with_header("{'descr': '|b1', 'fortran_order': False, 'shape': (2,)}", std::string("\x01\x05", 2)),
       "bool"},
      {"unterminated", with_header("{'descr': '<f4", d24), "expected '''"},
  };
  (void)hs;
  (void)hlen;
  for (const auto& c : cases) expect_io_error([&] { io::parse_npy(c.bytes, "bad.npy"); }, c.expect, c.name);
  for (const auto& c : cases) expect_io_error([&] { io::parse_npy(c.bytes, "bad.npy"); }, "bad.npy", c.name);
}

TEST(Npz, MalformedArchives) {
  OrderedDict<std::string, Tensor> d("entry");
  d.insert("x", arange(10, kFloat));
  d.insert("y", arange(3, kLong));
  const std::string good = io::npz_bytes(d);
  EXPECT_EQ(io::parse_npz(good, "ok.npz").size(), 2u);
  const size_t data_x = 30 + 5;  // local header + "x.npy"
  std::string crc_bad = good;
  crc_bad[data_x + 100] ^= 0x40;  // a data byte of x: the CRC no longer matches
  std::string method_bad = good;
  method_bad[8] = 12;  // bzip2 in the local header is ignored; patch the central directory instead
  const size_t cd = good.rfind(std::string("PK\x01\x02", 4), good.size() - 22);
  ASSERT_NE(cd, std::string::npos);
  method_bad = good;
  method_bad[good.find(std::string("PK\x01\x02", 4)) + 10] = 12;
  std::string offset_bad = good;
  offset_bad[good.find(std::string("PK\x01\x02", 4)) + 42] = '\x7f';
  struct Case {
    const char* name;
    std::string bytes;
    const char* expect;
  } cases[] = {
      {"not zip", std::string(100, 'x'), "no end of central directory"},
      {"short", "PK", "too short"},
      {"truncated", good.substr(0, good.size() - 30), "no end of central directory"},
      {"crc", crc_bad, "CRC"},
      {"method", method_bad, "compression method 12"},
      {"offset", offset_bad, "local header"},
      {"cd out of range", patch(good, good.size() - 6, std::string("\xff\xff\xff\x00", 4)), "out of range"},
  };
  for (const auto& c : cases) expect_io_error([&] { io::parse_npz(c.bytes, "bad.npz"); }, c.expect, c.name);
}

TEST(NpyInterop, NumpyFilesLoadInSinter) {
  auto& ref = sinter::testing::TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  TempDir dir;
  const std::string stmt = "import numpy as np\nd = " + sinter::testing::py_str(dir.path()) + R"PY(
cases = {
  'f4': np.arange(12, dtype='<f4').reshape(3, 4) / 7,
  'f8_be': np.arange(6, dtype='>f8').reshape(2, 3) * 1.5,
  'i2_be': np.array([-2, 300, 7], dtype='>i2'),
  'i4_be_fortran': np.asfortranarray(np.arange(24, dtype='>i4').reshape(2, 3, 4)),
  'i8_fortran': np.asfortranarray(np.arange(24, dtype='<i8').reshape(2, 3, 4)),
  'f2': np.array([0.5, -1.25, 65504], dtype='<f2'),
  'b1': np.array([[True, False], [False, True]]),
  'u1': np.arange(250, 256, dtype=np.uint8),
  'i1': np.array([-128, 127], dtype=np.int8),
  'i4_scalar': np.array(7, dtype='<i4'),
  'empty': np.zeros((0, 5), dtype='<f4'),
}
for k, v in cases.items():
    np.save(d + '/' + k + '.npy', v)
with open(d + '/v2.npy', 'wb') as f:
    np.lib.format.write_array(f, cases['f4'], version=(2, 0))
with open(d + '/v3.npy', 'wb') as f:
    np.lib.format.write_array(f, cases['f4'], version=(3, 0))
np.savez(d + '/stored.npz', x=cases['f4'], y=cases['i8_fortran'])
np.savez_compressed(d + '/deflated.npz', x=cases['f4'], y=cases['b1'], z=np.arange(10000, dtype='<f8') % 7)
names = sorted(cases)
def native(a):
    return torch.from_numpy(a.astype(a.dtype.newbyteorder('='), order='C'))
)PY";
  auto r = ref.run("[native(cases[k]) for k in names] + [native(np.arange(10000, dtype='<f8') % 7)]", {}, {}, {}, stmt);
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
  std::vector<std::string> names = {"b1", "empty", "f2", "f4", "f8_be", "i1", "i2_be", "i4_be_fortran", "i4_scalar",
                                    "i8_fortran", "u1"};
  ASSERT_EQ(r.outputs.size(), names.size() + 1);
  std::map<std::string, Tensor> want;
  for (size_t i = 0; i < names.size(); ++i) want[names[i]] = r.outputs[i];
  for (const auto& n : names) {
    Tensor t = io::load_npy(dir.file(n + ".npy"));
    EXPECT_TRUE(sinter::testing::tensors_close(t, want[n], 0, 0)) << n;
  }
  EXPECT_TRUE(sinter::testing::tensors_close(io::load_npy(dir.file("v2.npy")), want["f4"], 0, 0));
  EXPECT_TRUE(sinter::testing::tensors_close(io::load_npy(dir.file("v3.npy")), want["f4"], 0, 0));
  auto stored = io::load_npz(dir.file("stored.npz"));
  ASSERT_EQ(stored.keys(), (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(sinter::testing::tensors_close(stored["x"], want["f4"], 0, 0));
  EXPECT_TRUE(sinter::testing::tensors_close(stored["y"], want["i8_fortran"], 0, 0));
  auto deflated = io::load_npz(dir.file("deflated.npz"));
  ASSERT_EQ(deflated.keys(), (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_TRUE(sinter::testing::tensors_close(deflated["x"], want["f4"], 0, 0));
  EXPECT_TRUE(sinter::testing::tensors_close(deflated["y"], want["b1"], 0, 0));
  EXPECT_TRUE(sinter::testing::tensors_close(deflated["z"], r.outputs.back(), 0, 0));
  // A damaged deflate stream: truncated, or corrupted, is an error, never a crash.
  const std::string raw = read_raw(dir.file("deflated.npz"));
  const size_t z = raw.find("z.npy");
  ASSERT_NE(z, std::string::npos);
  std::string broken = raw;
  for (size_t i = z + 40; i < z + 60; ++i) broken[i] = static_cast<char>(0xff);
  EXPECT_THROW(io::parse_npz(broken, "broken.npz"), IOError);
  std::mt19937 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    std::string b = raw;
    if (trial % 2) b.resize(rng() % b.size());
    else b[rng() % b.size()] ^= static_cast<char>(1 + rng() % 255);
    try {
      io::parse_npz(b, "fuzz.npz");
    } catch (const Error&) {
    }
  }
}

TEST(NpyInterop, SinterFilesLoadInNumpy) {
  auto& ref = sinter::testing::TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  TempDir dir;
  OrderedDict<std::string, Tensor> all("entry");
  std::string names = "[";
  std::vector<Tensor> inputs;
  for (const auto& [name, t] : npy_cases()) {
    io::save_npy(dir.file(name + ".npy"), t);
    all.insert(name, t);
    names += "'" + name + "',";
    inputs.push_back(t.contiguous());
  }
  names += "]";
  io::save_npz(dir.file("all.npz"), all);
  const std::string stmt = "import numpy as np\nd = " + sinter::testing::py_str(dir.path()) + "\nnames = " + names +
                           R"PY(
arrs = [np.load(d + '/' + n + '.npy') for n in names]
z = np.load(d + '/all.npz')
assert list(z.keys()) == names, list(z.keys())
for n, a in zip(names, arrs):
    assert np.array_equal(z[n], a), n
    assert z[n].dtype == a.dtype
)PY";
  auto r = ref.run("[torch.from_numpy(a) for a in arrs]", {}, {}, {}, stmt);
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
  ASSERT_EQ(r.outputs.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    EXPECT_TRUE(sinter::testing::tensors_close(r.outputs[i], inputs[i], 0, 0)) << i;
}

// ---- CSV ----------------------------------------------------------------------------------------

TEST(Csv, HeaderDetectionDelimitersAndValues) {
  auto t = io::parse_csv("a,b,c\n1,2,3\r\n\n4.5, -6e2 ,nan\n");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(t.values.sizes(), IntArrayRef({2, 3}));
  EXPECT_EQ(t.values.dtype(), kFloat);
  EXPECT_FLOAT_EQ(t.values[1][1].item<float>(), -600.f);
  EXPECT_TRUE(std::isnan(t.values[1][2].item<float>()));
  auto n = io::parse_csv("1;2\n3;+4\n", io::CsvOptions().delimiter(';').dtype(kDouble));
  EXPECT_TRUE(n.columns.empty());
  EXPECT_TRUE(n.values.equal(tensor({1.0, 2.0, 3.0, 4.0}, kDouble).reshape({2, 2})));
  auto forced = io::parse_csv("1,2\n3,4\n", io::CsvOptions().has_header(true));
  EXPECT_EQ(forced.columns, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(forced.values.size(0), 1);
  TempDir dir;
  write_raw(dir.file("x.csv"), "\"x\",\"y\"\n1,2\n");
  auto f = io::read_csv_table(dir.file("x.csv"));
  EXPECT_EQ(f.columns, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(io::read_csv(dir.file("x.csv")).equal(tensor({1.f, 2.f}).reshape({1, 2})));
}

TEST(Csv, ErrorsNameLineAndColumn) {
  expect_io_error([] { io::parse_csv("a,b\n1,2\n3,oops\n", {}, "data.csv"); }, "line 3, column 2 ('b'): 'oops'", "bad");
  expect_io_error([] { io::parse_csv("1,2\n3\n", {}, "data.csv"); }, "line 2 has 1 fields, expected 2", "ragged");
  expect_io_error([] { io::parse_csv("1,2\n3,\n", {}, "data.csv"); }, "line 2, column 2", "empty field");
  expect_io_error([] { io::parse_csv("1,2\n1,2,3\n", io::CsvOptions().has_header(false), "data.csv"); }, "data.csv",
                  "names the file");
  EXPECT_THROW(io::read_csv("/nonexistent/file.csv"), IOError);
}

// ---- IDX ----------------------------------------------------------------------------------------

TEST(Idx, RoundTripPlainAndGzip) {
  TempDir dir;
  manual_seed(2);
  std::vector<Tensor> cases = {randint(0, 256, {5, 4, 3}).to(kByte), randint(-128, 128, {7}).to(kChar),
                               randint(-3000, 3000, {2, 9}).to(kShort), randint(-100000, 100000, {4}).to(kInt),
                               randn({3, 3}, kFloat), randn({2, 2, 2, 2}, kDouble)};
  for (size_t i = 0; i < cases.size(); ++i)
    for (bool gz : {false, true}) {
      const std::string path = dir.file("c" + std::to_string(i) + (gz ? ".gz" : ""));
      io::write_idx(path, cases[i], gz);
      const std::string raw = read_raw(path);
      EXPECT_EQ(raw.size() >= 2 && raw[0] == '\x1f' && raw[1] == '\x8b', gz);
      Tensor back = io::read_idx(path);
      EXPECT_EQ(back.dtype(), cases[i].dtype());
      EXPECT_TRUE(back.equal(cases[i])) << i << (gz ? " gz" : "");
    }
  // The header is big-endian: an MNIST label file starts 00 00 08 01 00 00 00 07.
  io::write_idx(dir.file("labels"), arange(7, kByte));
  EXPECT_EQ(read_raw(dir.file("labels")).substr(0, 8), std::string("\x00\x00\x08\x01\x00\x00\x00\x07", 8));
}

TEST(Idx, MalformedFiles) {
  TempDir dir;
  const std::string good = std::string("\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03", 12) + "abcdef";
  struct Case {
    const char* name;
    std::string bytes;
    const char* expect;
  } cases[] = {
      {"bad magic", patch(good, 0, "\x01"), "bad magic"},
      {"bad type", patch(good, 2, "\x07"), "bad magic"},
      {"no dims", patch(good, 3, std::string("\x00", 1)), "zero dimensions"},
      {"truncated data", good.substr(0, 15), "size mismatch"},
      {"trailing data", good + "x", "size mismatch"},
      {"truncated dims", good.substr(0, 9), "truncated"},
      {"empty", "", "truncated"},
      {"huge dims", std::string("\x00\x00\x0d\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16), "size mismatch"},
  };
  for (const auto& c : cases)
    for (bool gz : {false, true}) {
      const std::string path = dir.file(std::string("bad") + (gz ? ".gz" : ""));
      write_raw(path, gz ? io::gzip_bytes(c.bytes) : c.bytes);
      expect_io_error([&] { io::read_idx(path); }, c.expect, std::string(c.name) + (gz ? " (gz)" : ""));
      expect_io_error([&] { io::read_idx(path); }, path, c.name);
    }
  // A damaged gzip stream.
  const std::string gz = io::gzip_bytes(std::string(good) + std::string(0, 'x'));
  write_raw(dir.file("cut.gz"), gz.substr(0, gz.size() - 10));
  EXPECT_THROW(io::read_idx(dir.file("cut.gz")), IOError);
  std::string flipped = io::gzip_bytes(std::string(4, '\0') + std::string(1000, 'q'));
  flipped[flipped.size() / 2] ^= 0x55;
  write_raw(dir.file("flip.gz"), flipped);
  EXPECT_THROW(io::read_idx(dir.file("flip.gz")), IOError);
  EXPECT_THROW(io::read_idx(dir.file("missing")), IOError);
}
