// String ops: casts between strings and numbers (to_dtype) and string_normalizer. PyTorch has no
// strings, so the reference is Python itself, in the same worker: numpy's str() of each element,
// numpy's astype() parsing, and str.lower()/upper() with Python sets for the stopwords. Strings
// travel as their UTF-8 bytes joined by NUL in a uint8 tensor, on both sides.
#include <cstring>

#include "op_record.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::check_record;
using sinter::testing::expect_error;

namespace {

using SV = std::vector<std::string>;

const char* kEncode =
    "import numpy as np\n"
    "def enc(ss):\n"
    "    return torch.tensor(list(chr(0).join(ss).encode()), dtype=torch.uint8)\n";

Tensor enc(const Tensor& s) {
  std::string j;
  SV v = s.strings();
  for (size_t i = 0; i < v.size(); ++i) j += (i ? std::string(1, '\0') : std::string()) + v[i];
  Tensor t = empty({static_cast<int64_t>(j.size())}, kByte);
  if (!j.empty()) std::memcpy(t.data_ptr(), j.data(), j.size());
  return t;
}

// A Python literal for s that survives any bytes: b'\x..'.decode().
std::string py_str(const std::string& s) {
  std::string r = "b'";
  char buf[8];
  for (unsigned char ch : s) {
    std::snprintf(buf, sizeof buf, "\\x%02x", ch);
    r += buf;
  }
  return r + "'.decode()";
}
std::string py_list(const SV& v) {
  std::string r = "[";
  for (auto& s : v) r += py_str(s) + ", ";
  return r + "]";
}

}  // namespace

TEST(StringOps, NumbersToStrings) {
  OpRecord r;
  r.ops = {"to_dtype"};
  r.stmt = kEncode;
  r.torch = "enc([str(v) for v in a0.detach().contiguous().numpy().ravel()])";
  r.fn = [](const TensorList& x) { return TensorList{enc(x[0].to(kString))}; };
  r.samples = [](DType d) {
    auto s = sinter::testing::unary_samples(d, -1000, 1000);
    for (auto& e : sinter::testing::unary_samples(d, -1, 1)) s.push_back(e);
    if (is_floating_point(d))
      s.push_back({{tensor({0.0, -0.0, 1.0, 0.1, 1e-4, 9.999e-5, 1e-5, 123456789.0, 1e15, 1e16, 1.5e16, 3e38, 6e4,
                            NAN, INFINITY, -INFINITY, 65504.0, 6.1e-5, 2.0 / 3})
                        .to(d)},
                   "special values"});
    return s;
  };
  // numpy has no bfloat16.
  r.dtypes = {kFloat, kDouble, kHalf, kLong, kInt, kShort, kChar, kByte, kBool};
  r.grad_inputs = {};
  check_record(r);
}

TEST(StringOps, StringsToNumbers) {
  static const SV floats = {"NaN", "INF", "-INF", "+INF", " 1.5 ", "1e3", "-0", "0.1", "3.4028235e38", "1e-50",
                            "1e40", "-2.5E-3", "inf", "nan", "Infinity", "0.97676112", "123456789", "6.1e-5"};
  static const SV ints = {"12", "-7", "+3", " 42 ", "0", "-128", "127"};
  OpRecord r;
  r.ops = {"to_dtype"};
  r.stmt = std::string(kEncode) + "import warnings\nwarnings.simplefilter('ignore')\nF = " + py_list(floats) +
           "\nI = " + py_list(ints) + "\n";
  r.torch = "torch.from_numpy(np.array(F if a0.is_floating_point() else I).astype(a0.numpy().dtype))";
  r.fn = [](const TensorList& x) {
    return TensorList{strings(x[0].is_floating_point() ? floats : ints).to(x[0].dtype())};
  };
  r.samples = [](DType d) { return std::vector<OpSample>{{{zeros({1}, d)}, "parse"}}; };
  r.dtypes = {kFloat, kDouble, kHalf, kLong, kInt, kShort, kChar};
  r.grad_inputs = {};
  r.errors = {
      expect_error<ValueError>("not a number", [] { strings({"1.5", "abc"}).to(kFloat); },
                               "cast: could not convert string 'abc' to float32"),
      expect_error<ValueError>("out of range", [] { strings({"-1"}).to(kByte); }, "could not convert string '-1' to uint8"),
      expect_error<ValueError>("a float is no integer", [] { strings({"1.5"}).to(kLong); }, "to int64"),
      expect_error<DTypeError>("arithmetic on strings", [] { (void)(strings({"a"}) * 2); }, "mul: not supported for dtype string"),
  };
  check_record(r);
}

TEST(StringOps, StringNormalizer) {
  struct Case {
    SV x;
    bool two_d;
    SV stop;
    std::string action;
    bool sensitive;
  };
  static const std::vector<Case> cases = {
      {{"monday", "tuesday", "wednesday", "thursday"}, false, {"monday"}, "LOWER", true},
      {{"monday", "tuesday", "wednesday", "thursday"}, false, {"monday"}, "UPPER", true},
      {{"monday", "tuesday", "wednesday", "thursday"}, false, {"monday"}, "NONE", true},
      {{"Monday", "tuesday", "wednesday", "Monday", "tuesday", "wednesday"}, true, {"monday"}, "UPPER", false},
      {{"Monday", "tuesday", "wednesday", "Monday"}, false, {"monday"}, "LOWER", true},  // case-sensitive miss
      {{"monday", "monday"}, false, {"monday"}, "UPPER", true},                        // all dropped: (1,)
      {{"MONDAY", "Monday"}, true, {"monday"}, "NONE", false},                          // all dropped: (1, 1)
      {{"monday", "tuesday"}, false, {}, "NONE", true},
      {{"MiXeD 1-2_3", "", "日本 Tokyo", "a\tB"}, true, {"", "X"}, "LOWER", true},
      {{"MiXeD 1-2_3", "", "日本 Tokyo", "a\tB"}, false, {"mixed 1-2_3"}, "UPPER", false},
  };
  std::string py = std::string(kEncode) +
                   "def norm(x, two_d, stop, action, sensitive):\n"
                   "    key = (lambda s: s) if sensitive else (lambda s: s.lower())\n"
                   "    st = set(key(w) for w in stop)\n"
                   "    kept = [s for s in x if key(s) not in st]\n"
                   "    if action == 'LOWER': kept = [s.lower() for s in kept]\n"
                   "    if action == 'UPPER': kept = [s.upper() for s in kept]\n"
                   "    kept = kept or ['']\n"
                   "    shape = [1, len(kept)] if two_d else [len(kept)]\n"
                   "    return (enc(kept), torch.tensor(shape))\n"
                   "CASES = [\n";
  for (auto& c : cases)
    py += "  (" + py_list(c.x) + ", " + (c.two_d ? "True" : "False") + ", " + py_list(c.stop) + ", '" + c.action +
          "', " + (c.sensitive ? "True" : "False") + "),\n";
  py += "]\n";
  OpRecord r;
  r.ops = {"string_normalizer"};
  r.stmt = py;
  r.torch = "tuple(t for c in CASES for t in norm(*c))";
  r.fn = [](const TensorList&) {
    TensorList out;
    for (auto& c : cases) {
      Tensor x = c.two_d ? strings(c.x, {1, static_cast<int64_t>(c.x.size())}) : strings(c.x);
      Tensor y = string_normalizer(x, strings(c.stop), c.action, c.sensitive, "en_US");
      out.push_back(enc(y));
      out.push_back(tensor(std::vector<int64_t>(y.sizes().begin(), y.sizes().end()), kLong));
    }
    return out;
  };
  r.samples = [](DType d) { return std::vector<OpSample>{{{zeros({1}, d)}, "the cases"}}; };
  r.dtypes = {kFloat};
  r.grad_inputs = {};
  Tensor s = strings({"a", "b"});
  r.errors = {
      expect_error<ShapeError>("rank 2 with more than one row", [] { string_normalizer(strings({"a", "b"}, {2, 1}), {}); },
                               "string_normalizer: input must have shape (C,) or (1, C), got (2, 1)"),
      expect_error<DTypeError>("numbers", [] { string_normalizer(zeros({2}), {}); },
                               "string_normalizer: expected a string input, got float32"),
      expect_error<ValueError>("unknown case action", [s] { string_normalizer(s, {}, "TITLE"); },
                               "case_change_action must be NONE, LOWER or UPPER, got 'TITLE'"),
      expect_error<NotImplementedError>("unknown locale", [s] { string_normalizer(s, {}, "LOWER", false, "tr_TR"); },
                                        "locale 'tr_TR' is not supported"),
      expect_error<DTypeError>("stopwords that are numbers", [s] { string_normalizer(s, zeros({1})); },
                               "stopwords must be a 1-D string tensor"),
  };
  check_record(r);
}
