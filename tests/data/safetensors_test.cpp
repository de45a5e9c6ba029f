// safetensors: round trips, the exact byte layout, zero-copy mmap loading, a corpus of hostile
// files, and interop with PyTorch (the reference side reads and writes the format with
// numpy + json + struct, as the spec describes it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>

#include "sinter/io.h"
#include "sinter/sinter.h"
#include "test_util.h"
#include "torch_ref.h"

using namespace sinter;
using sinter::testing::TempDir;

namespace {

std::string u64le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// A file: length prefix, JSON header (as given, unpadded) and `data` bytes.
std::string st_bytes(const std::string& json, const std::string& data) { return u64le(json.size()) + json + data; }

OrderedDict<std::string, Tensor> all_dtypes() {
  OrderedDict<std::string, Tensor> d("tensor");
  manual_seed(3);
  d.insert("f64", randn({2, 3}, kDouble));
  d.insert("f32", randn({4}, kFloat));
  d.insert("f16", randn({3, 1}, kFloat).to(kHalf));
  d.insert("bf16", randn({5}, kFloat).to(kBFloat16));
  d.insert("i64", arange(-3, 3, kLong).reshape({2, 3}));
  d.insert("i32", arange(0, 7, kInt));
  d.insert("i16", arange(-4, 4, kShort));
  d.insert("i8", arange(-5, 2, kChar));
  d.insert("u8", arange(0, 255, 17, kByte));
  d.insert("bool", tensor({true, false, true}));
  d.insert("scalar", tensor(2.5, kFloat));
  d.insert("empty", zeros({0, 3}, kFloat));
  d.insert("transposed", arange(12, kFloat).reshape({3, 4}).t());
  return d;
}

void expect_same(const OrderedDict<std::string, Tensor>& want, const OrderedDict<std::string, Tensor>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (const auto& it : want) {
    const Tensor* g = got.find(it.key());
    ASSERT_TRUE(g) << "missing " << it.key();
    EXPECT_EQ(g->dtype(), it.value().dtype()) << it.key();
    EXPECT_EQ(g->sizes(), it.value().sizes()) << it.key();
    EXPECT_TRUE(g->equal(it.value())) << it.key() << ": " << *g << " vs " << it.value();
  }
}

int count_mappings(const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  int n = 0;
  while (std::getline(maps, line))
    if (line.find(path) != std::string::npos) ++n;
  return n;
}

}  // namespace

TEST(Safetensors, RoundTripEveryDtypeAndLoader) {
  TempDir dir;
  auto tensors = all_dtypes();
  std::map<std::string, std::string> meta{{"format", "pt"}, {"note", "ünïcödé \"quoted\""}};
  const std::string path = dir.file("all.safetensors");
  io::save_safetensors(path, tensors, meta);
  for (int loader = 0; loader < 3; ++loader) {
    serialize::Archive a = loader == 0   ? io::load_safetensors(path)
                           : loader == 1 ? io::load_safetensors_mmap(path)
                                         : io::parse_safetensors(sinter::testing::read_raw(path), path);
    expect_same(tensors, a.tensors);
    EXPECT_EQ(a.meta, meta);
  }
  // An Archive round trips the same way.
  serialize::Archive ar;
  ar.tensors = tensors;
  ar.put_int("step", 7);
  io::save_safetensors(path, ar);
  auto back = io::load_safetensors(path);
  EXPECT_EQ(back.get_int("step"), 7);
  expect_same(tensors, back.tensors);
}

TEST(Safetensors, ByteLayoutFollowsTheReferenceWriter) {
  OrderedDict<std::string, Tensor> d("tensor");
  d.insert("z_u8", arange(0, 3, kByte));
  d.insert("a_f32", arange(0, 2, kFloat));
  d.insert("m_i64", arange(0, 1, kLong));
  d.insert("b_f32", arange(0, 1, kFloat));
  d.insert("c_bf16", arange(0, 1, kFloat).to(kBFloat16));
  d.insert("d_f16", arange(0, 1, kFloat).to(kHalf));
  const std::string bytes = io::safetensors_bytes(d, {{"k", "v"}});
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  ASSERT_EQ(n % 8, 0u);
  const std::string header = bytes.substr(8, n);
  const size_t close = header.find_last_of('}');
  EXPECT_EQ(header.find_first_not_of(' ', close + 1), std::string::npos) << "padding must be spaces";
  EXPECT_LT(header.size() - close - 1, 8u);
  // Metadata first; then widest dtype first in safetensors' order (I64, F32, BF16, F16, U8),
  // names ascending within a dtype; offsets contiguous from 0.
  const std::string want =
      "{\"__metadata__\":{\"k\":\"v\"},"
      "\"m_i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
      "\"a_f32\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
      "\"b_f32\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
      "\"c_bf16\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[20,22]},"
      "\"d_f16\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[22,24]},"
      "\"z_u8\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[24,27]}}";
  EXPECT_EQ(header.substr(0, close + 1), want);
  EXPECT_EQ(bytes.size(), 8 + n + 27);
  // The data section holds the values little-endian, in that order.
  float a1;
  std::memcpy(&a1, bytes.data() + 8 + n + 12, 4);
  EXPECT_EQ(a1, 1.0f);
  EXPECT_EQ(bytes[8 + n + 26], 2);
}

TEST(Safetensors, MmapTensorsAreViewsOfOneMappingThatOutlivesTheArchive) {
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  OrderedDict<std::string, Tensor> d("tensor");
  d.insert("a", arange(0, 1000, kFloat));
  d.insert("b", arange(0, 10, kDouble));
  io::save_safetensors(path, d);
  ASSERT_EQ(count_mappings(path), 0);
  Tensor a;
  {
    auto ar = io::load_safetensors_mmap(path);
    EXPECT_GE(count_mappings(path), 1);
    // Offsets in the file: b (F64, 80 bytes) first, then a.
    const char* pb = static_cast<const char*>(ar.tensor("b").data_ptr());
    const char* pa = static_cast<const char*>(ar.tensor("a").data_ptr());
    EXPECT_EQ(pa - pb, 80) << "both tensors should point into the same mapping";
    a = ar.tensor("a");
  }
  EXPECT_GE(count_mappings(path), 1) << "a live view keeps the mapping";
  EXPECT_TRUE(a.equal(arange(0, 1000, kFloat)));
  a.mul_(2);  // copy-on-write: the file does not change
  EXPECT_TRUE(io::load_safetensors(path).tensor("a").equal(arange(0, 1000, kFloat)));
  a.reset();
  EXPECT_EQ(count_mappings(path), 0) << "the last view unmaps";
}

TEST(Safetensors, MisalignedDataIsCopied) {
  // An unpadded 54-byte header puts the data at offset 62: an F32 there is misaligned in the mapping.
  TempDir dir;
  const std::string path = dir.file("mis.safetensors");
  const std::string json = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  ASSERT_EQ((8 + json.size()) % 4, 2u);  // the data starts 2 bytes off a 4-byte boundary
  float v[2] = {1.5f, -2.0f};
  sinter::testing::write_raw(path, st_bytes(json, std::string(reinterpret_cast<char*>(v), 8)));
  auto ar = io::load_safetensors_mmap(path);
  const Tensor& x = ar.tensor("x");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(x.data_ptr()) % 4, 0u);
  EXPECT_TRUE(x.equal(tensor({1.5f, -2.0f})));
  EXPECT_EQ(count_mappings(path), 0) << "no view was taken, so nothing stays mapped";
}

struct Hostile {
  const char* what;
  std::string bytes;
  const char* expect;  // substring of the message
};

std::vector<Hostile> hostile_corpus() {
  const std::string f8(8, '\0');
  auto ent = [](const std::string& name, const std::string& dt, const std::string& shape, uint64_t b, uint64_t e) {
    return "\"" + name + "\":{\"dtype\":\"" + dt + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
           std::to_string(b) + "," + std::to_string(e) + "]}";
  };
  std::vector<Hostile> c;
  c.push_back({"too short", "abc", "too short"});
  c.push_back({"header past end", u64le(1000) + "{}", "past the end"});
  c.push_back({"header over 100 MB", u64le(200'000'000) + std::string(64, ' '), "over the limit"});
  c.push_back({"huge header length", u64le(~0ull) + "{}", "over the limit"});
  c.push_back({"not json", st_bytes("{not json}", ""), "not valid JSON"});
  c.push_back({"json array", st_bytes("[1,2]", ""), "not a JSON object"});
  c.push_back({"truncated json", st_bytes("{\"a\":{\"dtype\":", ""), "not valid JSON"});
  c.push_back({"out of range", st_bytes("{" + ent("a", "F32", "[2]", 0, 8) + "}", std::string(4, '\0')),
               "out of range"});
  c.push_back({"overlap",
               st_bytes("{" + ent("a", "F32", "[2]", 0, 8) + "," + ent("b", "F32", "[2]", 4, 12) + "}",
                        std::string(12, '\0')),
               "overlaps"});
  c.push_back({"gap",
               st_bytes("{" + ent("a", "F32", "[2]", 0, 8) + "," + ent("b", "F32", "[2]", 12, 20) + "}",
                        std::string(20, '\0')),
               "gap"});
  c.push_back({"gap at start", st_bytes("{" + ent("a", "F32", "[1]", 4, 8) + "}", f8), "gap"});
  c.push_back({"not covering", st_bytes("{" + ent("a", "F32", "[2]", 0, 8) + "}", std::string(12, '\0')), "cover"});
  c.push_back({"size mismatch", st_bytes("{" + ent("a", "F32", "[3]", 0, 8) + "}", f8), "needs"});
  c.push_back({"end before begin", st_bytes("{" + ent("a", "F32", "[0]", 8, 0) + "}", f8), "before they begin"});
  c.push_back({"unknown dtype", st_bytes("{" + ent("a", "F33", "[2]", 0, 8) + "}", f8), "unknown dtype"});
  c.push_back({"unsupported dtype", st_bytes("{" + ent("a", "C64", "[1]", 0, 8) + "}", f8), "not supported"});
  c.push_back({"duplicate name",
               st_bytes("{" + ent("a", "F32", "[1]", 0, 4) + "," + ent("a", "F32", "[1]", 4, 8) + "}", f8),
               "duplicate"});
  c.push_back({"negative shape", st_bytes("{" + ent("a", "F32", "[-2]", 0, 8) + "}", f8), "negative"});
  c.push_back({"huge shape",
               st_bytes("{" + ent("a", "F32", "[4294967296,4294967296,4294967296]", 0, 8) + "}", f8),
               "larger than the data section"});
  c.push_back({"shape overflowing u64", st_bytes("{" + ent("a", "F32", "[99999999999999999999999]", 0, 8) + "}", f8),
               "not a non-negative integer"});
  c.push_back({"fractional shape", st_bytes("{" + ent("a", "F32", "[2.5]", 0, 8) + "}", f8), "non-negative integer"});
  c.push_back({"shape not array", st_bytes("{" + ent("a", "F32", "2", 0, 8) + "}", f8), "shape is not an array"});
  c.push_back({"missing offsets", st_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", f8), "needs dtype"});
  c.push_back({"three offsets",
               st_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", f8), "data_offsets"});
  c.push_back({"dtype not string", st_bytes("{\"a\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", f8),
               "dtype is not a string"});
  c.push_back({"entry not object", st_bytes("{\"a\":5}", ""), "not an object"});
  c.push_back({"metadata not strings", st_bytes("{\"__metadata__\":{\"k\":1}}", ""), "__metadata__"});
  c.push_back({"deep nesting", st_bytes(std::string(5000, '[') + std::string(5000, ']'), ""), "not a JSON object"});
  c.push_back({"deep nesting in object", st_bytes("{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}", ""),
               "nested"});
  c.push_back({"bool byte", st_bytes("{" + ent("a", "BOOL", "[2]", 0, 2) + "}", std::string("\x01\x02", 2)), "BOOL"});
  c.push_back({"truncated data", st_bytes("{" + ent("a", "F64", "[4]", 0, 32) + "}", std::string(20, '\0')),
               "out of range"});
  return c;
}

TEST(Safetensors, HostileFilesGiveTypedErrorsNamingFileAndProblem) {
  TempDir dir;
  for (const auto& h : hostile_corpus()) {
    const std::string path = dir.file(std::string("hostile_") + std::to_string(&h - &hostile_corpus()[0]) + ".st");
    sinter::testing::write_raw(path, h.bytes);
    for (int loader = 0; loader < 3; ++loader) {
      try {
        if (loader == 0) io::load_safetensors(path);
        else if (loader == 1) io::load_safetensors_mmap(path);
        else io::parse_safetensors(h.bytes, path);
        ADD_FAILURE() << h.what << ": loader " << loader << " accepted the file";
      } catch (const IOError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << h.what << ": " << msg;
        EXPECT_NE(msg.find(h.expect), std::string::npos) << h.what << ": expected '" << h.expect << "' in: " << msg;
      }
    }
  }
  EXPECT_THROW(io::load_safetensors(dir.file("missing.safetensors")), IOError);
  EXPECT_THROW(io::load_safetensors(dir.path()), IOError);  // a folder
}

TEST(Safetensors, CorruptedAndTruncatedFilesNeverCrash) {
  auto bytes = io::safetensors_bytes(all_dtypes(), {{"a", "b"}});
  std::mt19937 rng(11);
  int accepted = 0, rejected = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string b = bytes;
    if (trial % 2) {
      b.resize(rng() % b.size());
    } else {
      for (int k = 0; k < 1 + int(rng() % 4); ++k) b[rng() % b.size()] = static_cast<char>(rng());
    }
    try {
      io::parse_safetensors(b, "fuzz");
      ++accepted;
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 200);  // truncations always fail; most byte flips in the header do
  EXPECT_EQ(accepted + rejected, 400);
}

TEST(Safetensors, WriterRejectsBadInput) {
  TempDir dir;
  OrderedDict<std::string, Tensor> d("tensor");
  d.insert("__metadata__", zeros({1}));
  EXPECT_THROW(io::save_safetensors(dir.file("x"), d), ValueError);
  OrderedDict<std::string, Tensor> u("tensor");
  u.insert("undefined", Tensor());
  EXPECT_THROW(io::save_safetensors(dir.file("x"), u), ValueError);
  EXPECT_TRUE(dir.files().empty()) << "nothing is written for rejected input";
}

// ---- PyTorch interop ---------------------------------------------------------------------------

namespace {

// The reference side: the safetensors format written and read with numpy, json and struct.
const char* kPyFormat = R"PY(
import json, struct
import numpy as np
NAMES = {torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
         torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8',
         torch.bool: 'BOOL'}
RANK = {'BOOL': 0, 'U8': 1, 'I8': 2, 'I16': 5, 'F16': 7, 'BF16': 8, 'I32': 9, 'F32': 11, 'F64': 12, 'I64': 13}
NP = {'F64': np.float64, 'F32': np.float32, 'F16': np.float16, 'BF16': np.int16, 'I64': np.int64,
      'I32': np.int32, 'I16': np.int16, 'I8': np.int8, 'U8': np.uint8, 'BOOL': np.bool_}
def st_write(path, tensors, meta=None):
    names = sorted(tensors, key=lambda k: (-RANK[NAMES[tensors[k].dtype]], k))
    header, blobs, off = {}, [], 0
    if meta:
        header['__metadata__'] = meta
    for k in names:
        t = tensors[k].detach().contiguous()
        b = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[k] = {'dtype': NAMES[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
def st_read(path):
    raw = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', raw[:8])
    assert n % 8 == 0, 'header length %d is not a multiple of 8' % n
    text = raw[8:8 + n].decode()
    assert text.rstrip(' ').endswith('}') and text == text.rstrip(' ') + ' ' * (len(text) - len(text.rstrip(' ')))
    header = json.loads(text)
    meta = header.pop('__metadata__', {})
    data = raw[8 + n:]
    pos = 0
    for k, v in header.items():  # header order is data order, contiguous from 0
        b, e = v['data_offsets']
        assert b == pos, (k, b, pos)
        pos = e
    assert pos == len(data)
    out = {}
    for k, v in header.items():
        b, e = v['data_offsets']
        a = np.frombuffer(data[b:e], dtype=NP[v['dtype']]).reshape(v['shape']).copy()
        t = torch.from_numpy(a)
        out[k] = t.view(torch.bfloat16) if v['dtype'] == 'BF16' else t
    return out, meta
)PY";

}  // namespace

TEST(SafetensorsInterop, TorchStateDictWrittenByPythonLoadsEqual) {
  auto& ref = sinter::testing::TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  TempDir dir;
  const std::string path = dir.file("torch.safetensors");
  const std::string stmt = std::string(kPyFormat) + R"PY(
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4, 2))
m(torch.randn(2, 3, 3, 3))  # updates the running stats
sd = dict(m.state_dict())
sd['extra.f16'] = torch.randn(3, 2).half()
sd['extra.bf16'] = torch.randn(5).bfloat16()
sd['extra.bool'] = torch.tensor([True, False, True])
sd['extra.i8'] = torch.tensor([-3, 4], dtype=torch.int8)
sd['extra.u8'] = torch.tensor([0, 255], dtype=torch.uint8)
sd['extra.i16'] = torch.tensor([-300, 300], dtype=torch.int16)
sd['extra.i32'] = torch.tensor([[1, 2]], dtype=torch.int32)
sd['extra.f64'] = torch.randn(2, dtype=torch.float64)
sd['extra.t'] = torch.arange(6.).reshape(2, 3).t()
st_write()PY" + sinter::testing::py_str(path) + R"PY(, sd, {'format': 'pt', 'source': 'torch'})
keys = sorted(sd)
)PY";
  auto r = ref.run("[sd[k].contiguous() for k in keys]", {}, {}, {}, stmt);
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
  for (int loader = 0; loader < 2; ++loader) {
    auto a = loader ? io::load_safetensors_mmap(path) : io::load_safetensors(path);
    EXPECT_EQ(a.get("format"), "pt");
    EXPECT_EQ(a.get("source"), "torch");
    auto keys = a.tensors.keys();
    std::sort(keys.begin(), keys.end());
    ASSERT_EQ(keys.size(), r.outputs.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      const Tensor& t = a.tensor(keys[i]);
      EXPECT_EQ(t.dtype(), r.outputs[i].dtype()) << keys[i];
      EXPECT_TRUE(sinter::testing::tensors_close(t, r.outputs[i], 0, 0)) << keys[i];
    }
    EXPECT_TRUE(a.tensors.contains("0.weight"));
    EXPECT_TRUE(a.tensors.contains("1.num_batches_tracked"));
  }
}

TEST(SafetensorsInterop, SinterFileParsedByPythonGivesSameTensorsAndSameBytes) {
  auto& ref = sinter::testing::TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  TempDir dir;
  const std::string path = dir.file("sinter.safetensors"), path2 = dir.file("python.safetensors");
  auto tensors = all_dtypes();
  std::map<std::string, std::string> meta{{"epoch", "3"}, {"format", "pt"}};
  io::save_safetensors(path, tensors, meta);
  // Python reads sinter's file (checking the layout as it goes) and writes the same tensors with
  // its own writer; the two files must be byte-for-byte equal.
  std::vector<Tensor> inputs;
  std::string names = "[";
  for (const auto& it : tensors) {
    inputs.push_back(it.value().contiguous());
    names += "'" + it.key() + "',";
  }
  names += "]";
  const std::string stmt = std::string(kPyFormat) + "out, meta = st_read(" + sinter::testing::py_str(path) + ")\n" +
                           "names = " + names + "\n" +
                           "st_write(" + sinter::testing::py_str(path2) +
                           ", {n: globals()['a%d' % i] for i, n in enumerate(names)}, {'epoch': '3', 'format': 'pt'})\n"
                           "assert meta == {'epoch': '3', 'format': 'pt'}, meta\n"
                           "keys = sorted(out)\n";
  auto r = ref.run("[out[k] for k in keys]", inputs, {}, {}, stmt);
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
  auto keys = tensors.keys();
  std::sort(keys.begin(), keys.end());
  ASSERT_EQ(keys.size(), r.outputs.size());
  for (size_t i = 0; i < keys.size(); ++i)
    EXPECT_TRUE(sinter::testing::tensors_close(r.outputs[i], tensors[keys[i]].contiguous(), 0, 0)) << keys[i];
  EXPECT_EQ(sinter::testing::read_raw(path), sinter::testing::read_raw(path2));
}
