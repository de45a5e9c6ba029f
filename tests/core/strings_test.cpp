// String tensors (kString): creation, reading back, copies, views, printing, and the errors of
// every op that does not take strings.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ops/registry.h"
#include "sinter/sinter.h"

using namespace sinter;

namespace {
using SV = std::vector<std::string>;
const std::string kBig(100, 'x');  // beyond the small-string buffer: owns heap memory

template <class E>
void expect_throws_with(const std::function<void()>& f, const std::string& contains) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing '" << contains << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(contains), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Strings, CreateAndRead) {
  Tensor t = strings({"a", "bc", kBig, ""}, {2, 2});
  EXPECT_EQ(t.dtype(), kString);
  EXPECT_EQ(dtype_name(kString), "string");
  EXPECT_EQ(t.sizes(), IntArrayRef({2, 2}));
  EXPECT_EQ(t.strings(), (SV{"a", "bc", kBig, ""}));
  EXPECT_EQ(strings({"x", "y"}).sizes(), IntArrayRef({2}));
  EXPECT_EQ(strings({"only"}, {}).item<std::string>(), "only");
  EXPECT_EQ(t.element_size(), static_cast<int64_t>(sizeof(std::string)));
  // empty() constructs empty strings.
  EXPECT_EQ(empty({3}, kString).strings(), (SV{"", "", ""}));
  EXPECT_EQ(empty({0, 4}, kString).strings(), SV{});
}

TEST(Strings, CopiesAssignElements) {
  Tensor t = strings({"a", kBig, "c", "d", "e", "f"}, {2, 3});
  Tensor c = t.clone();
  c.data_ptr<std::string>()[0] = "changed";
  EXPECT_EQ(t.strings()[0], "a");  // a deep copy, not shared bytes
  Tensor tt = t.t();
  EXPECT_FALSE(tt.is_contiguous());
  EXPECT_EQ(tt.contiguous().strings(), (SV{"a", "d", kBig, "e", "c", "f"}));
  Tensor dst = empty({2, 3}, kString);
  dst.copy_(strings({"p", "q", "r"}));  // broadcast along rows
  EXPECT_EQ(dst.strings(), (SV{"p", "q", "r", "p", "q", "r"}));
  dst.select(0, 1).copy_(t.select(0, 0));
  EXPECT_EQ(dst.strings(), (SV{"p", "q", "r", "a", kBig, "c"}));
  // A storage outliving its views frees its strings once (the last view drops it).
  Tensor view;
  {
    Tensor base = strings({kBig, kBig + "y"});
    view = base.slice(0, 1, 2);
  }
  EXPECT_EQ(view.strings(), SV{kBig + "y"});
}

TEST(Strings, Views) {
  Tensor t = strings({"a", "b", "c", "d", "e", "f"}, {2, 3});
  EXPECT_EQ(t.reshape({3, 2}).strings(), (SV{"a", "b", "c", "d", "e", "f"}));
  EXPECT_EQ(t.view({6}).strings(), (SV{"a", "b", "c", "d", "e", "f"}));
  EXPECT_EQ(t.transpose(0, 1).strings(), (SV{"a", "d", "b", "e", "c", "f"}));
  EXPECT_EQ(t.slice(1, 1, 3).strings(), (SV{"b", "c", "e", "f"}));
  EXPECT_EQ(t.narrow(1, 2, 1).strings(), (SV{"c", "f"}));
  EXPECT_EQ(t.select(1, 0).strings(), (SV{"a", "d"}));
  EXPECT_EQ(t.unsqueeze(0).sizes(), IntArrayRef({1, 2, 3}));
  EXPECT_EQ(t.unsqueeze(0).squeeze(0).strings(), t.strings());
  EXPECT_EQ(strings({"z"}).expand({3}).strings(), (SV{"z", "z", "z"}));
  EXPECT_EQ(t.transpose(0, 1).reshape({6}).strings(), (SV{"a", "d", "b", "e", "c", "f"}));  // copies
  EXPECT_EQ(t.flatten().strings(), t.strings());
}

// cat (and stack through it), where and index_select assign strings element by element, in
// the fast and the reference kernels.
TEST(Strings, CatStackWhere) {
  Tensor a = strings({"a", kBig, "c", "d"}, {2, 2}), b = strings({"e", "f"}, {1, 2});
  for (bool ref : {false, true}) {
    ops::ReferenceKernels::set_enabled(ref);
    EXPECT_EQ(cat({a, b}, 0).strings(), (SV{"a", kBig, "c", "d", "e", "f"}));
    EXPECT_EQ(cat({a, b.t()}, 1).strings(), (SV{"a", kBig, "e", "c", "d", "f"}));
    EXPECT_EQ(cat({a.t(), strings({}, {0})}, 0).strings(), (SV{"a", "c", kBig, "d"}));
    EXPECT_EQ(stack({b, b}, 1).sizes(), IntArrayRef({1, 2, 2}));
    EXPECT_EQ(stack({b, b}, 1).strings(), (SV{"e", "f", "e", "f"}));
    Tensor cond = tensor({true, false});
    EXPECT_EQ(where(cond, a, b).strings(), (SV{"a", "f", "c", "f"}));
    EXPECT_EQ(where(cond.view({2, 1}), a, strings({"z"}, {})).strings(), (SV{"a", kBig, "z", "z"}));
    EXPECT_EQ(a.index_select(1, tensor({1, 1, 0}, kLong)).strings(), (SV{kBig, kBig, "a", "d", "d", "c"}));
    EXPECT_EQ(a.t().index_select(0, tensor({1}, kInt)).strings(), (SV{kBig, "d"}));
  }
  ops::ReferenceKernels::set_enabled(false);
  expect_throws_with<DTypeError>([&] { cat({a, ones({1, 2})}, 0); }, "cat: cannot concatenate string and float32");
  expect_throws_with<DTypeError>([&] { where(tensor({true, false}), a, ones({2})); }, "where: self (string) and other (float32)");
}

TEST(Strings, Printing) {
  EXPECT_EQ(strings({"a", "it's", "x\ny"}).toString(), "tensor(['a', \"it's\", 'x\\ny'], dtype=string)");
  EXPECT_EQ(strings({"a", "b", "c", "d"}, {2, 2}).toString(), "tensor([['a', 'b'],\n        ['c', 'd']], dtype=string)");
  EXPECT_EQ(strings({"s"}, {}).toString(), "tensor('s', dtype=string)");
}

TEST(Strings, Casts) {
  // Numbers print as numpy's str() does (ONNX Cast to STRING).
  Tensor f = tensor({1.0f, 0.1f, 1e-5f, 123456789.0f, -0.0f, 1.5e16f, 0.97676112f});
  EXPECT_EQ(f.to(kString).strings(),
            (SV{"1.0", "0.1", "1e-05", "123456790.0", "-0.0", "1.5e+16", "0.9767611"}));
  EXPECT_EQ(tensor({0.1, 1e16}, kDouble).to(kString).strings(), (SV{"0.1", "1e+16"}));
  EXPECT_EQ(tensor({3, -12}, kLong).to(kString).strings(), (SV{"3", "-12"}));
  EXPECT_EQ(tensor({true, false}).to(kString).strings(), (SV{"True", "False"}));
  Tensor back = strings({"NaN", "INF", "-INF", "+INF", " 2.5 ", "1e40"}).to(kFloat);
  EXPECT_TRUE(std::isnan(back[0].item<float>()));
  EXPECT_EQ(back[1].item<float>(), INFINITY);
  EXPECT_EQ(back[2].item<float>(), -INFINITY);
  EXPECT_EQ(back[3].item<float>(), INFINITY);
  EXPECT_EQ(back[4].item<float>(), 2.5f);
  EXPECT_EQ(back[5].item<float>(), INFINITY);
  EXPECT_EQ(strings({"-7", "+3"}).to(kLong)[0].item<int64_t>(), -7);
  expect_throws_with<ValueError>([] { strings({"1.5x"}).to(kFloat); }, "could not convert string '1.5x' to float32");
  expect_throws_with<ValueError>([] { strings({"300"}).to(kByte); }, "could not convert string '300' to uint8");
  // A parse error in a large tensor is still a typed error (the loop runs on one thread).
  std::vector<std::string> many(100000, "1");
  many.back() = "oops";
  expect_throws_with<ValueError>([&] { strings(many).to(kDouble); }, "'oops'");
}

TEST(Strings, OtherOpsReject) {
  Tensor s = strings({"a", "b"});
  expect_throws_with<DTypeError>([&] { (void)(s + s); }, "add: not supported for dtype string");
  expect_throws_with<DTypeError>([&] { s.sum(); }, "sum: not supported for dtype string");
  expect_throws_with<DTypeError>([&] { s.neg(); }, "string");
  expect_throws_with<DTypeError>([&] { (void)(s == s); }, "string");
  expect_throws_with<DTypeError>([&] { s.fill_(1); }, "fill: not supported for dtype string");
  expect_throws_with<DTypeError>([&] { zeros({2}, kString); }, "zeros: not supported for dtype string");
  expect_throws_with<DTypeError>([&] { full({2}, 1, kString); }, "full: not supported for dtype string");
  expect_throws_with<DTypeError>([&] { arange(3, kString); }, "string");
  expect_throws_with<DTypeError>([&] { s.item(); }, "item");
  expect_throws_with<DTypeError>([&] { tensor({1.0f}).strings(); }, "strings: expected a string tensor");
  expect_throws_with<DTypeError>([&] { tensor({1.0f}).item<std::string>(); }, "string");
  expect_throws_with<ShapeError>([] { strings({"a", "b", "c"}, {2, 2}); }, "3 values do not fill shape (2, 2)");
  expect_throws_with<DTypeError>([&] { promote_types(kString, kFloat); }, "no common dtype");
}
