// Records for the reduction family: sum mean prod max/min (all and per dim) amax amin argmax
// argmin var std var_mean logsumexp norm all any count_nonzero, and the scans cumsum cumprod.
#include <cmath>
#include <limits>

#include "op_record.h"
#include "ops/registry.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::tensors_close;

namespace {

// Python helpers mirrored by the dims of each variant below.
const char* kDimsStmt =
    "def d_all(t): return tuple(range(t.dim())) if t.dim() else (0,)\n"
    "def d_multi(t): return (0, 2) if t.dim() >= 3 else (1, 0) if t.dim() == 2 else (0,)\n"
    "def d_mid(t): return 1 if t.dim() >= 3 else 0\n";

// A choice of reduced dims, in sinter (from the input's ndim) and in Python.
struct Variant {
  std::string name, py;
  std::function<DimVector(int64_t)> dims;
  bool keepdim;
  bool covers_dim0;  // reduces dim 0 (so an input empty along dim 0 is an empty reduction)
};

Variant v_all() { return {"all", "d_all(a0)", [](int64_t) { return DimVector{}; }, false, true}; }
Variant v_last() { return {"last", "-1", [](int64_t) { return DimVector{-1}; }, false, false}; }
Variant v_first_keep() { return {"first keepdim", "0", [](int64_t) { return DimVector{0}; }, true, true}; }
Variant v_multi_keep() {
  return {"multi keepdim", "d_multi(a0)",
          [](int64_t n) { return n >= 3 ? DimVector{0, 2} : n == 2 ? DimVector{1, 0} : DimVector{0}; }, true, true};
}
Variant v_mid() {
  return {"middle", "d_mid(a0)", [](int64_t n) { return DimVector{n >= 3 ? 1 : 0}; }, false, true};
}
std::vector<Variant> list_variants() { return {v_all(), v_last(), v_first_keep(), v_multi_keep(), v_mid()}; }
std::vector<Variant> single_variants() { return {v_last(), v_first_keep(), v_mid()}; }

std::string py_bool(bool b) { return b ? "True" : "False"; }

struct SampleOpts {
  bool empty = true;   // include an input with a zero-size dim
  bool zero_dim = true;
  bool ties = true;  // include an input with equal values (a stride-0 view)
  double low = -3, high = 3;
};

// Random values; for float16/bfloat16 multiples of 1/2, so that sums of the small samples are
// exact whatever the order of accumulation (torch accumulates those types in other orders).
Tensor mk(IntArrayRef shape, DType d, double low, double high) {
  if (d != kHalf && d != kBFloat16) return make_tensor(shape, d, low, high);
  Tensor t = make_tensor(shape, kDouble, low, high);
  double* p = static_cast<double*>(t.data_ptr());
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = std::round(p[i] * 2) / 2;
  return t.to(d);
}

// Inputs of every layout the reduction driver distinguishes.
std::vector<OpSample> reduce_samples(DType d, const Variant& v, SampleOpts o = {}) {
  std::vector<OpSample> s;
  const double lo = o.low, hi = o.high;
  if (o.zero_dim) s.push_back({{mk({}, d, lo, hi)}, "0-dim"});
  s.push_back({{mk({7}, d, lo, hi)}, "1-D"});
  s.push_back({{mk({3, 5}, d, lo, hi)}, "2-D"});
  s.push_back({{mk({2, 3, 4}, d, lo, hi)}, "3-D"});
  s.push_back({{mk({2, 3, 8}, d, lo, hi).slice(-1, 0, std::nullopt, 2)}, "3-D non-contiguous"});
  s.push_back({{mk({5, 3}, d, lo, hi).t()}, "transposed"});
  s.push_back({{mk({4, 2, 3}, d, lo, hi).permute({1, 2, 0})}, "permuted 3-D"});
  // Equal values along dim 0: not for ops whose gradient is undefined at ties.
  if (o.ties) s.push_back({{mk({1, 4}, d, lo, hi).expand({3, 4})}, "expanded (stride 0)"});
  if (o.empty) {
    // Empty along a kept dim when the variant reduces dim 0, else along dim 0.
    if (v.covers_dim0) s.push_back({{make_tensor({3, 0}, d)}, "empty (kept dim)"});
    else s.push_back({{make_tensor({0, 3}, d)}, "empty (kept dim 0)"});
  }
  return s;
}

// Writes v at index idx of a contiguous tensor (test inputs only).
Tensor put(Tensor t, std::initializer_list<int64_t> idx, double v) {
  int64_t off = 0, k = 0;
  for (int64_t i : idx) off += i * t.stride(k++);
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    static_cast<T*>(t.data_ptr())[off] = cast<T>(v);
  });
  return t;
}

// An input whose reduction is empty (reduces a zero-size dim) for this variant.
bool reduces_empty(const Variant& v) { return v.covers_dim0; }

// Runs r for its dtypes but float16/bfloat16 with the default tolerances, then for those two with
// rtol/atol (which the harness scales up for them): torch computes them with intermediate
// roundings in other places than sinter, which keeps the compute type throughout.
void check_record_half_tol(OpRecord r, double rtol, double atol) {
  OpRecord h = r;
  auto is_half = [](DType d) { return d == kHalf || d == kBFloat16; };
  h.dtypes.clear();
  for (DType d : r.dtypes)
    if (is_half(d)) h.dtypes.push_back(d);
  std::erase_if(r.dtypes, is_half);
  sinter::testing::check_record(r);
  if (h.dtypes.empty()) return;
  h.rtol = rtol;
  h.atol = atol;
  h.gradcheck = false;  // done above (float64)
  h.errors.clear();
  sinter::testing::check_record(h);
}

std::vector<DType> all_but_bool() {
  auto d = sinter::testing::all_dtypes();
  d.pop_back();
  return d;
}

}  // namespace

// ---- sum / mean / prod -------------------------------------------------------------------------

TEST(ReduceOps, Sum) {
  for (const Variant& v : list_variants()) {
    OpRecord r;
    r.ops = {"sum"};
    r.stmt = kDimsStmt;
    r.torch = "torch.sum(a0, dim=" + v.py + ", keepdim=" + py_bool(v.keepdim) + ")";
    r.fn = [v](const TensorList& x) { return TensorList{sum(x[0], v.dims(x[0].dim()), v.keepdim)}; };
    r.samples = [v](DType d) { return reduce_samples(d, v, {}); };
    r.dtypes = sinter::testing::all_dtypes();
    r.gradgradcheck = true;
    r.errors = {expect_error<IndexError>("dim out of range", [] { sum(ones({2, 3}, kFloat), {2}); }, "sum"),
                expect_error<ValueError>("repeated dim", [] { sum(ones({2, 3}, kFloat), {0, -2}); }, "sum"),
                expect_error<ValueError>("repeated dim of a 0-dim tensor", [] { sum(ones({}, kFloat), {0, -1}); }, "sum")};
    SCOPED_TRACE(v.name);
    sinter::testing::check_record(r);
  }
}

TEST(ReduceOps, SumAll) {
  OpRecord r;
  r.ops = {"sum"};
  r.torch = "torch.sum(a0)";
  r.fn = [](const TensorList& x) { return TensorList{x[0].sum()}; };
  r.samples = [](DType d) { return reduce_samples(d, v_all(), {}); };
  r.dtypes = sinter::testing::all_dtypes();
  sinter::testing::check_record(r);
}

TEST(ReduceOps, SumDtype) {
  OpRecord r;
  r.ops = {"sum"};
  r.torch = "torch.sum(a0, dim=-1, dtype=torch.float64)";
  r.fn = [](const TensorList& x) { return TensorList{sum(x[0], {-1}, false, kDouble)}; };
  r.samples = [](DType d) { return reduce_samples(d, v_last()); };
  r.dtypes = {kFloat, kHalf, kLong, kInt, kBool};
  sinter::testing::check_record(r);
  EXPECT_EQ(sum(ones({2, 3}, kInt)).dtype(), kLong);
  EXPECT_EQ(sum(ones({2, 3}, kBool)).dtype(), kLong);
  EXPECT_EQ(sum(ones({2, 3}, kFloat), kInt).dtype(), kInt);
  EXPECT_EQ(sum(zeros({0})).item<double>(), 0.0);
}

TEST(ReduceOps, Mean) {
  for (const Variant& v : list_variants()) {
    OpRecord r;
    r.ops = {"mean"};
    r.stmt = kDimsStmt;
    r.torch = "torch.mean(a0, dim=" + v.py + ", keepdim=" + py_bool(v.keepdim) + ")";
    r.fn = [v](const TensorList& x) { return TensorList{mean(x[0], v.dims(x[0].dim()), v.keepdim)}; };
    r.samples = [v](DType d) { return reduce_samples(d, v, {}); };
    r.dtypes = sinter::testing::float_dtypes();
    r.gradgradcheck = true;
    r.errors = {
        expect_error<DTypeError>("integer input", [] { mean(ones({2, 3}, kLong)); }, "mean"),
        expect_error<DTypeError>("integer dtype", [] { mean(ones({2, 3}, kFloat), kLong); }, "mean"),
        expect_error<IndexError>("dim out of range", [] { mean(ones({2, 3}, kFloat), {-3}); }, "mean"),
    };
    SCOPED_TRACE(v.name);
    sinter::testing::check_record(r);
  }
  EXPECT_TRUE(std::isnan(mean(zeros({0})).item<double>()));
}

TEST(ReduceOps, MeanIntegerWithDtype) {
  OpRecord r;
  r.ops = {"mean"};
  r.torch = "torch.mean(a0, dim=0, dtype=torch.float64)";
  r.fn = [](const TensorList& x) { return TensorList{mean(x[0], {0}, false, kDouble)}; };
  r.samples = [](DType d) { return reduce_samples(d, v_first_keep()); };
  r.dtypes = {kLong, kInt, kByte, kBool, kFloat};
  sinter::testing::check_record(r);
}

TEST(ReduceOps, Prod) {
  for (const Variant& v : single_variants()) {
    OpRecord r;
    r.ops = {"prod"};
    r.stmt = kDimsStmt;
    r.torch = "torch.prod(a0, dim=" + v.py + ", keepdim=" + py_bool(v.keepdim) + ")";
    r.fn = [v](const TensorList& x) { return TensorList{prod(x[0], v.dims(x[0].dim())[0], v.keepdim)}; };
    r.samples = [v](DType d) {
      auto s = reduce_samples(d, v, {.low = -2, .high = 2});
      Tensor z = make_tensor({3, 4}, d, 0.5, 2);
      if (d != kBool) {
        put(z, {0, 1}, 0);  // at most one zero in each row and column
        put(z, {2, 0}, 0);
      }
      s.push_back({{z}, "with zeros"});
      return s;
    };
    r.dtypes = {kFloat, kDouble, kLong, kInt, kShort, kChar, kByte, kBool};
    r.gradgradcheck = true;
    r.errors = {expect_error<IndexError>("dim out of range", [] { prod(ones({2, 3}, kFloat), 2); }, "prod")};
    SCOPED_TRACE(v.name);
    sinter::testing::check_record(r);
  }
}

// Two zeros in a slice: the first derivative is zero everywhere (second derivatives are not
// checked: like torch's, this backward is exact to first order only).
TEST(ReduceOps, ProdTwoZeros) {
  for (std::string py : {"torch.prod(a0, 1)", "torch.prod(a0, 0, keepdim=True)", "torch.prod(a0)"}) {
    OpRecord r;
    r.ops = {"prod"};
    r.torch = py;
    r.fn = [py](const TensorList& x) {
      return TensorList{py == "torch.prod(a0)" ? prod(x[0]) : py == "torch.prod(a0, 1)" ? prod(x[0], 1) : prod(x[0], 0, true)};
    };
    r.samples = [](DType d) {
      Tensor z = make_tensor({3, 4}, d, 0.5, 2);
      put(z, {2, 0}, 0);
      put(z, {2, 3}, 0);
      put(z, {0, 3}, 0);
      return std::vector<OpSample>{{{z}, "two zeros in row 2 and in column 3"}};
    };
    sinter::testing::check_record(r);
  }
}

TEST(ReduceOps, ProdAll) {
  OpRecord r;
  r.ops = {"prod"};
  r.torch = "torch.prod(a0)";
  r.fn = [](const TensorList& x) { return TensorList{x[0].prod()}; };
  r.samples = [](DType d) {
    auto s = reduce_samples(d, v_all(), {.low = 0.5, .high = 1.5});
    s.push_back({{tensor({2.0, 0.0, 3.0, -1.5}, d)}, "one zero"});
    return s;
  };
  r.dtypes = {kFloat, kDouble, kLong, kInt, kByte, kBool};
  r.gradgradcheck = true;
  sinter::testing::check_record(r);
  EXPECT_EQ(prod(zeros({0})).item<double>(), 1.0);
  EXPECT_EQ(prod(ones({3}, kInt)).dtype(), kLong);
  EXPECT_EQ(prod(ones({3}, kInt), kInt).dtype(), kInt);
}

TEST(ReduceOps, ProdHalfMatchesFloat) {  // torch 1.13 has no CPU half prod; compare with float
  Tensor x = make_tensor({4, 5}, kFloat, 0.5, 1.5);
  EXPECT_TRUE(tensors_close(prod(x.to(kHalf), 1).to(kFloat), prod(x.to(kHalf).to(kFloat), 1), 2e-3, 1e-3));
  EXPECT_TRUE(tensors_close(prod(x.to(kBFloat16)).to(kFloat), prod(x.to(kBFloat16).to(kFloat)), 1e-2, 1e-2));
}

// ---- max / min / amax / amin / argmax / argmin ---------------------------------------------

TEST(ReduceOps, MaxMinAll) {
  for (std::string op : {"max", "min"}) {
    OpRecord r;
    r.ops = {op};
    r.torch = "torch." + op + "(a0)";
    r.fn = [op](const TensorList& x) { return TensorList{op == "max" ? x[0].max() : x[0].min()}; };
    r.samples = [](DType d) { return reduce_samples(d, v_all(), {.empty = false, .ties = false}); };
    r.dtypes = sinter::testing::all_dtypes();
    r.gradgradcheck = true;
    r.errors = {expect_error<ValueError>("empty", [op] { op == "max" ? max(zeros({0, 3})) : min(zeros({0, 3})); }, op)};
    sinter::testing::check_record(r);
  }
}

TEST(ReduceOps, MaxMinDim) {
  for (std::string op : {"max", "min"}) {
    for (const Variant& v : single_variants()) {
      OpRecord r;
      r.ops = {op + ".dim"};
      r.stmt = kDimsStmt;
      r.torch = "tuple(torch." + op + "(a0, dim=" + v.py + ", keepdim=" + py_bool(v.keepdim) + "))";
      r.fn = [op, v](const TensorList& x) {
        int64_t d = v.dims(x[0].dim())[0];
        auto [values, indices] = op == "max" ? max(x[0], d, v.keepdim) : min(x[0], d, v.keepdim);
        return TensorList{values, indices};
      };
      r.samples = [v](DType d) {
        SampleOpts o{.empty = !reduces_empty(v), .ties = false};
        return reduce_samples(d, v, o);
      };
      r.dtypes = sinter::testing::all_dtypes();  // integer samples have ties: the first index wins
      r.gradgradcheck = true;
      r.errors = {
          expect_error<IndexError>("empty reduced dim", [op] { op == "max" ? max(zeros({0, 3}), 0) : min(zeros({0, 3}), 0); }, op),
          expect_error<IndexError>("dim out of range", [op] { op == "max" ? max(zeros({2, 3}), 2) : min(zeros({2, 3}), -3); }, op),
      };
      SCOPED_TRACE(op + " " + v.name);
      sinter::testing::check_record(r);
    }
  }
}

TEST(ReduceOps, AmaxAmin) {
  for (std::string op : {"amax", "amin"}) {
    for (const Variant& v : list_variants()) {
      OpRecord r;
      r.ops = {op};
      r.stmt = kDimsStmt;
      r.torch = "torch." + op + "(a0, dim=" + v.py + ", keepdim=" + py_bool(v.keepdim) + ")";
      r.fn = [op, v](const TensorList& x) {
        DimVector d = v.dims(x[0].dim());
        return TensorList{op == "amax" ? amax(x[0], d, v.keepdim) : amin(x[0], d, v.keepdim)};
      };
      r.samples = [v](DType d) { return reduce_samples(d, v, {.empty = !reduces_empty(v), .ties = false}); };
      r.dtypes = sinter::testing::all_dtypes();
      r.gradgradcheck = true;
      r.errors = {
          expect_error<IndexError>("empty reduced dim", [op] { op == "amax" ? amax(zeros({0, 3}), {0}) : amin(zeros({0, 3}), {0}); }, op),
          expect_error<ValueError>("empty, all dims", [op] { op == "amax" ? amax(zeros({0, 3})) : amin(zeros({0, 3})); }, op),
          expect_error<ValueError>("repeated dim", [op] { op == "amax" ? amax(zeros({2, 3}), {1, -1}) : amin(zeros({2, 3}), {1, -1}); }, op),
      };
      SCOPED_TRACE(op + " " + v.name);
      sinter::testing::check_record(r);
    }
  }
}

// Ties: amax/amin and max()/min() split the gradient evenly; max.dim gives it to the first.
TEST(ReduceOps, ExtremaGradientWithTies) {
  auto ties = [](DType d) {
    return std::vector<OpSample>{{{tensor({1.0, 3.0, 3.0, 2.0, 3.0, -1.0}, d).view({2, 3})}, "ties"},
                                 {{tensor({-2.0, -2.0, 0.5, -2.0}, d)}, "ties at the minimum"}};
  };
  std::vector<std::pair<std::string, std::function<TensorList(const TensorList&)>>> cases = {
      {"torch.amax(a0, dim=-1)", [](const TensorList& x) { return TensorList{amax(x[0], {-1})}; }},
      {"torch.amin(a0, dim=0)", [](const TensorList& x) { return TensorList{amin(x[0], {0})}; }},
      {"torch.amax(a0)", [](const TensorList& x) { return TensorList{amax(x[0])}; }},
      {"torch.max(a0)", [](const TensorList& x) { return TensorList{max(x[0])}; }},
      {"torch.min(a0)", [](const TensorList& x) { return TensorList{min(x[0])}; }},
      {"tuple(torch.max(a0, 0))", [](const TensorList& x) { auto [a, b] = max(x[0], 0); return TensorList{a, b}; }},
      {"tuple(torch.min(a0, -1))", [](const TensorList& x) { auto [a, b] = min(x[0], -1); return TensorList{a, b}; }},
  };
  for (auto& [expr, fn] : cases) {
    OpRecord r;
    r.torch = expr;
    r.fn = fn;
    r.samples = ties;
    r.gradcheck = false;  // not differentiable at ties; the gradient is compared with torch's
    sinter::testing::check_record(r);
  }
}

TEST(ReduceOps, ExtremaWithNaN) {
  auto nan_samples = [](DType d) {
    double n = std::numeric_limits<double>::quiet_NaN();
    return std::vector<OpSample>{
        {{tensor({1.0, n, 5.0, n, 2.0, 0.0}, d).view({2, 3})}, "NaN"},
        {{put(put(make_tensor({40, 1000}, d, 0, 1), {17, 999}, n), {3, 5}, n)}, "NaN in long rows"}};
  };
  std::vector<std::pair<std::string, std::function<TensorList(const TensorList&)>>> cases = {
      {"torch.amax(a0, dim=-1)", [](const TensorList& x) { return TensorList{amax(x[0], {-1})}; }},
      {"torch.amin(a0, dim=0)", [](const TensorList& x) { return TensorList{amin(x[0], {0})}; }},
      {"torch.max(a0)", [](const TensorList& x) { return TensorList{max(x[0])}; }},
      {"tuple(torch.max(a0, -1))", [](const TensorList& x) { auto [a, b] = max(x[0], -1); return TensorList{a, b}; }},
      {"tuple(torch.min(a0, 0))", [](const TensorList& x) { auto [a, b] = min(x[0], 0); return TensorList{a, b}; }},
      {"torch.argmax(a0)", [](const TensorList& x) { return TensorList{argmax(x[0])}; }},
      {"torch.argmin(a0, 1)", [](const TensorList& x) { return TensorList{argmin(x[0], 1)}; }},
  };
  for (auto& [expr, fn] : cases) {
    OpRecord r;
    r.torch = expr;
    r.fn = fn;
    r.samples = nan_samples;
    r.dtypes = {kFloat, kDouble, kHalf};
    r.grad_inputs = {};
    sinter::testing::check_record(r);
  }
}

TEST(ReduceOps, ArgmaxArgmin) {
  for (std::string op : {"argmax", "argmin"}) {
    struct Case {
      std::string py;
      std::optional<int64_t> dim;
      bool keepdim;
    };
    for (const Case& cs : {Case{"", std::nullopt, false}, Case{"keepdim=True", std::nullopt, true},
                           Case{"dim=-1", -1, false}, Case{"dim=0, keepdim=True", 0, true}}) {
      OpRecord r;
      r.ops = {op};
      r.torch = "torch." + op + "(a0" + (cs.py.empty() ? "" : ", " + cs.py) + ")";
      r.fn = [op, cs](const TensorList& x) {
        return TensorList{op == "argmax" ? argmax(x[0], cs.dim, cs.keepdim) : argmin(x[0], cs.dim, cs.keepdim)};
      };
      r.samples = [cs](DType d) {
        bool empty_ok = cs.dim && *cs.dim == -1;
        return reduce_samples(d, empty_ok ? v_last() : v_all(), {.empty = empty_ok});
      };
      r.dtypes = all_but_bool();  // integer samples have ties: the first index wins
      r.grad_inputs = {};
      r.errors = {
          expect_error<DTypeError>("bool", [op] { op == "argmax" ? argmax(ones({3}, kBool)) : argmin(ones({3}, kBool)); }, op),
          expect_error<IndexError>("empty", [op] { op == "argmax" ? argmax(zeros({0})) : argmin(zeros({0})); }, op),
          expect_error<IndexError>("empty reduced dim", [op] { op == "argmax" ? argmax(zeros({0, 2}), 0) : argmin(zeros({0, 2}), 0); }, op),
          expect_error<IndexError>("dim out of range", [op] { op == "argmax" ? argmax(zeros({2}), 1) : argmin(zeros({2}), 1); }, op),
      };
      SCOPED_TRACE(r.torch);
      sinter::testing::check_record(r);
    }
  }
}

// ---- var / std / var_mean ------------------------------------------------------------------

TEST(ReduceOps, VarStd) {
  struct Case {
    Variant v;
    int64_t correction;
  };
  for (std::string op : {"var", "std"}) {
    for (const Case& cs : {Case{v_all(), 1}, Case{v_last(), 0}, Case{v_first_keep(), 1}, Case{v_multi_keep(), 2}}) {
      OpRecord r;
      r.ops = {op};
      r.stmt = kDimsStmt;
      r.torch = "torch." + op + "(a0, dim=" + cs.v.py + ", correction=" + std::to_string(cs.correction) +
                ", keepdim=" + py_bool(cs.v.keepdim) + ")";
      r.fn = [op, cs](const TensorList& x) {
        DimVector d = cs.v.dims(x[0].dim());
        return TensorList{op == "var" ? var(x[0], IntArrayRef(d), cs.correction, cs.v.keepdim)
                                      : sinter::std(x[0], IntArrayRef(d), cs.correction, cs.v.keepdim)};
      };
      // One element with correction 1 gives nan (as torch); keep those out of the gradient checks.
      r.samples = [cs](DType d) {
        return reduce_samples(d, cs.v, {.zero_dim = cs.correction == 0, .ties = false});
      };
      r.dtypes = sinter::testing::float_dtypes();
      r.gradgradcheck = true;
      r.errors = {
          expect_error<DTypeError>("integer", [op] { op == "var" ? var(ones({3}, kLong)) : sinter::std(ones({3}, kInt)); }, op),
          expect_error<IndexError>("dim out of range", [op] { op == "var" ? var(ones({3}, kFloat), IntArrayRef{1}) : sinter::std(ones({3}, kFloat), IntArrayRef{1}); }, op),
          expect_error<ValueError>("repeated dim", [op] { op == "var" ? var(ones({3, 2}, kFloat), IntArrayRef{0, 0}) : sinter::std(ones({3, 2}, kFloat), IntArrayRef{0, 0}); }, op),
      };
      SCOPED_TRACE(r.torch);
      sinter::testing::check_record(r);
    }
  }
}

TEST(ReduceOps, VarStdUnbiasedOverloads) {
  Tensor x = make_tensor({4, 5}, kDouble);
  auto& ref = sinter::testing::TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  auto r = ref.run("(a0.var(), a0.var(unbiased=False), a0.std(1, unbiased=False, keepdim=True), a0.var(0, True))", {x});
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(tensors_close(x.var(), r.outputs[0]));
  EXPECT_TRUE(tensors_close(x.var(false), r.outputs[1]));
  EXPECT_TRUE(tensors_close(x.std({1}, false, true), r.outputs[2]));
  EXPECT_TRUE(tensors_close(x.var({0}, true), r.outputs[3]));
}

TEST(ReduceOps, VarMean) {
  OpRecord r;
  r.ops = {"var", "mean"};
  r.stmt = kDimsStmt;
  r.torch = "tuple(torch.var_mean(a0, dim=d_multi(a0), correction=0, keepdim=True))";
  r.fn = [](const TensorList& x) {
    Variant v = v_multi_keep();
    DimVector d = v.dims(x[0].dim());
    auto [va, me] = var_mean(x[0], IntArrayRef(d), 0, true);
    return TensorList{va, me};
  };
  r.samples = [](DType d) { return reduce_samples(d, v_multi_keep()); };
  r.dtypes = sinter::testing::float_dtypes();
  r.gradgradcheck = true;
  r.errors = {expect_error<DTypeError>("integer", [] { var_mean(ones({3}, kLong)); }, "var_mean")};
  sinter::testing::check_record(r);
}

// ---- logsumexp -----------------------------------------------------------------------------

TEST(ReduceOps, Logsumexp) {
  for (const Variant& v : {v_all(), v_last(), v_first_keep(), v_multi_keep()}) {
    OpRecord r;
    r.ops = {"logsumexp"};
    r.stmt = kDimsStmt;
    r.torch = "torch.logsumexp(a0, dim=" + v.py + ", keepdim=" + py_bool(v.keepdim) + ")";
    r.fn = [v](const TensorList& x) {
      DimVector d = v.dims(x[0].dim());
      if (d.empty()) d = x[0].dim() ? DimVector{} : DimVector{0};
      return TensorList{logsumexp(x[0], d, v.keepdim)};
    };
    r.samples = [v](DType d) {
      auto s = reduce_samples(d, v, {.low = -5, .high = 5});
      if (is_floating_point(d)) s.push_back({{make_tensor({3, 4}, d, 80, 100)}, "large values (exp overflows)"});
      return s;
    };
    r.dtypes = {kFloat, kDouble, kBFloat16, kLong, kInt, kBool};  // integers give float32
    r.rtol = 1.3e-6;  // float32 results for integer inputs
    r.atol = 1e-5;
    r.gradgradcheck = true;
    r.errors = {expect_error<IndexError>("dim out of range", [] { logsumexp(ones({2}, kFloat), {1}); }, "logsumexp"),
                expect_error<ValueError>("repeated dim", [] { logsumexp(ones({2, 2}, kFloat), {1, 1}); }, "logsumexp")};
    SCOPED_TRACE(v.name);
    check_record_half_tol(r, 1e-3, 1e-4);
  }
}

TEST(ReduceOps, LogsumexpSpecialValues) {
  OpRecord r;
  r.ops = {"logsumexp"};
  r.torch = "torch.logsumexp(a0, dim=-1)";
  r.fn = [](const TensorList& x) { return TensorList{logsumexp(x[0], {-1})}; };
  r.samples = [](DType d) {
    double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    Tensor t = tensor({-inf, -inf, -inf, 1.0, -inf, 2.0, inf, 1.0, 0.0, inf, inf, 3.0, nan, 1.0, 2.0}, d).view({5, 3});
    Tensor wide = make_tensor({3, 40}, d);
    put(wide, {0, 33}, inf);
    put(wide, {1, 0}, nan);
    for (int64_t j = 0; j < 40; ++j) put(wide, {2, j}, -inf);
    return std::vector<OpSample>{{{t}, "infinities and NaN"}, {{wide}, "special values in vector-width rows"}};
  };
  r.grad_inputs = {};
  sinter::testing::check_record(r);
}

// ---- norm ----------------------------------------------------------------------------------

TEST(ReduceOps, Norm) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double p : {2.0, 1.0, inf, -inf, 0.0, 3.0, 0.5}) {
    for (const Variant& v : {v_all(), v_last(), v_multi_keep()}) {
      OpRecord r;
      r.ops = {"norm"};
      r.stmt = kDimsStmt;
      std::string ps = std::isinf(p) ? (p > 0 ? "float('inf')" : "float('-inf')") : std::to_string(p);
      std::string dims = v.name == "all" ? "None" : v.py;
      r.torch = "torch.linalg.vector_norm(a0, ord=" + ps + ", dim=" + dims + ", keepdim=" + py_bool(v.keepdim) + ")";
      r.fn = [p, v](const TensorList& x) { return TensorList{norm(x[0], p, v.dims(x[0].dim()), v.keepdim)}; };
      r.samples = [p, v](DType d) {
        // The inf norms have no identity: no empty reductions for them.
        return reduce_samples(d, v, {.empty = !std::isinf(p) || !reduces_empty(v), .ties = false});
      };
      r.dtypes = sinter::testing::float_dtypes();
      r.gradgradcheck = true;
      r.errors = {
          expect_error<DTypeError>("integer", [] { norm(ones({3}, kLong)); }, "norm"),
          expect_error<ValueError>("inf norm of empty", [] { norm(zeros({0, 2}), std::numeric_limits<double>::infinity()); }, "norm"),
          expect_error<ValueError>("inf norm over an empty dim",
                                   [] { norm(zeros({0, 2}), -std::numeric_limits<double>::infinity(), {0}); }, "norm"),
          expect_error<IndexError>("dim out of range", [] { norm(ones({3}, kFloat), 2, {4}); }, "norm"),
      };
      SCOPED_TRACE(r.torch);
      check_record_half_tol(r, 3e-3, 1e-5);
    }
  }
}

TEST(ReduceOps, NormGradientAtZero) {  // p = 2 at the origin: gradient 0, not NaN (as torch)
  OpRecord r;
  r.ops = {"norm"};
  r.torch = "(torch.linalg.vector_norm(a0), torch.linalg.vector_norm(a0, ord=3, dim=1))";
  r.fn = [](const TensorList& x) { return TensorList{x[0].norm(), norm(x[0], 3, {1})}; };
  r.samples = [](DType d) { return std::vector<OpSample>{{{zeros({2, 3}, d)}, "zeros"}}; };
  r.gradcheck = false;  // not differentiable at 0
  sinter::testing::check_record(r);
}

// ---- all / any / count_nonzero -------------------------------------------------------------

TEST(ReduceOps, AllAny) {
  for (std::string op : {"all", "any"}) {
    struct Case {
      std::string py;
      std::optional<int64_t> dim;
      bool keepdim;
    };
    for (const Case& cs : {Case{"", std::nullopt, false}, Case{"-1", -1, false}, Case{"0, keepdim=True", 0, true}}) {
      OpRecord r;
      r.ops = {op};
      r.torch = "torch." + op + "(a0" + (cs.py.empty() ? "" : ", " + cs.py) + ")";
      r.fn = [op, cs](const TensorList& x) {
        if (!cs.dim) return TensorList{op == "all" ? x[0].all() : x[0].any()};
        return TensorList{op == "all" ? all(x[0], *cs.dim, cs.keepdim) : any(x[0], *cs.dim, cs.keepdim)};
      };
      r.samples = [cs](DType d) {
        auto s = reduce_samples(d, cs.dim && *cs.dim == -1 ? v_last() : v_first_keep(), {.low = 0, .high = 2});
        s.push_back({{make_tensor({4, 3}, d, 1, 3)}, "no zeros"});
        if (is_floating_point(d)) s.push_back({{tensor({std::nan(""), 0.0, 1.0}, d)}, "NaN counts as true"});
        return s;
      };
      r.dtypes = sinter::testing::all_dtypes();  // uint8 gives uint8, as torch
      r.grad_inputs = {};
      r.errors = {expect_error<IndexError>("dim out of range", [op] { op == "all" ? all(ones({2}, kFloat), 1) : any(ones({2}, kFloat), -2); }, op)};
      SCOPED_TRACE(r.torch);
      sinter::testing::check_record(r);
    }
  }
}

TEST(ReduceOps, CountNonzero) {
  for (const Variant& v : {v_all(), v_last(), v_multi_keep()}) {
    OpRecord r;
    r.ops = {"count_nonzero"};
    r.stmt = kDimsStmt;
    r.torch = "torch.count_nonzero(a0, dim=" + (v.name == "all" ? std::string("None") : v.py) + ")";
    r.fn = [v](const TensorList& x) { return TensorList{count_nonzero(x[0], v.dims(x[0].dim()))}; };
    r.samples = [v](DType d) { return reduce_samples(d, v, {.low = -1, .high = 2}); };
    r.dtypes = sinter::testing::all_dtypes();
    r.grad_inputs = {};
    r.errors = {expect_error<ValueError>("repeated dim", [] { count_nonzero(ones({2, 3}, kFloat), {0, 0}); }, "count_nonzero"),
                expect_error<IndexError>("dim out of range", [] { count_nonzero(ones({2, 3}, kFloat), {2}); }, "count_nonzero")};
    SCOPED_TRACE(v.name);
    sinter::testing::check_record(r);
  }
}

// ---- cumsum / cumprod ----------------------------------------------------------------------

TEST(ScanOps, CumsumCumprod) {
  for (std::string op : {"cumsum", "cumprod"}) {
    for (const Variant& v : single_variants()) {
      OpRecord r;
      r.ops = {op};
      r.stmt = kDimsStmt;
      r.torch = "torch." + op + "(a0, dim=" + v.py + ")";
      r.fn = [op, v](const TensorList& x) {
        int64_t d = v.dims(x[0].dim())[0];
        return TensorList{op == "cumsum" ? cumsum(x[0], d) : cumprod(x[0], d)};
      };
      r.samples = [op, v](DType d) {
        bool p = op == "cumprod";
        auto s = reduce_samples(d, v, {.low = p ? -2.0 : -3.0, .high = p ? 2.0 : 3.0});
        if (p && d != kBool) {
          Tensor z = make_tensor({3, 4}, d, 0.5, 2);
          put(z, {0, 1}, 0);  // at most one zero in each row and column
          put(z, {2, 0}, 0);
          s.push_back({{z}, "with zeros"});
        }
        return s;
      };
      r.dtypes = {kFloat, kDouble, kBFloat16, kLong, kInt, kShort, kChar, kByte, kBool};  // ints give int64
      r.gradgradcheck = true;
      r.errors = {expect_error<IndexError>("dim out of range", [op] { op == "cumsum" ? cumsum(ones({2}, kFloat), 1) : cumprod(ones({2}, kFloat), -2); }, op)};
      SCOPED_TRACE(op + " " + v.name);
      sinter::testing::check_record(r);
    }
  }
}

// Several zeros in a line: the gradient is exact (second derivatives are checked with at most
// one zero per line, above).
TEST(ScanOps, CumprodSeveralZeros) {
  for (std::string dim : {"1", "0"}) {
    OpRecord r;
    r.ops = {"cumprod"};
    r.torch = "torch.cumprod(a0, " + dim + ")";
    r.fn = [dim](const TensorList& x) { return TensorList{cumprod(x[0], std::stoll(dim))}; };
    r.samples = [](DType d) {
      Tensor z = make_tensor({3, 5}, d, 0.5, 2);
      put(z, {2, 0}, 0);
      put(z, {2, 3}, 0);
      put(z, {0, 3}, 0);
      put(z, {1, 4}, 0);
      return std::vector<OpSample>{{{z}, "two zeros in row 2 and in column 3"}};
    };
    sinter::testing::check_record(r);
  }
}

TEST(ScanOps, Dtype) {
  for (std::string op : {"cumsum", "cumprod"}) {
    OpRecord r;
    r.ops = {op};
    r.torch = "(torch." + op + "(a0, 0, dtype=torch.float64), torch." + op + "(a0, -1, dtype=torch.int32))";
    r.fn = [op](const TensorList& x) {
      return op == "cumsum" ? TensorList{cumsum(x[0], 0, kDouble), x[0].cumsum(-1, kInt)}
                            : TensorList{cumprod(x[0], 0, kDouble), x[0].cumprod(-1, kInt)};
    };
    r.samples = [](DType d) { return reduce_samples(d, v_first_keep(), {.low = -2, .high = 2}); };
    r.dtypes = {kFloat, kLong, kInt, kByte, kBool};
    r.grad_inputs = {};
    sinter::testing::check_record(r);
  }
  // Through the cast, the gradient comes back in the input's dtype.
  Tensor x = make_tensor({3, 4}, kFloat).requires_grad_();
  cumsum(x, 1, kDouble).sum().backward();
  EXPECT_EQ(x.grad().dtype(), kFloat);
  EXPECT_TRUE(tensors_close(x.grad(), tensor({4.f, 3.f, 2.f, 1.f}).expand({3, 4}).contiguous()));
}

TEST(ScanOps, HalfMatchesFloat) {  // torch 1.13 has no CPU half cumsum; compare with float
  Tensor x = make_tensor({3, 6}, kFloat, 0.5, 1.5).to(kHalf).to(kFloat);
  EXPECT_TRUE(tensors_close(cumsum(x.to(kHalf), 1).to(kFloat), cumsum(x, 1), 2e-3, 1e-3));
  EXPECT_TRUE(tensors_close(cumprod(x.to(kHalf), 0).to(kFloat), cumprod(x, 0), 2e-3, 1e-3));
}

// ---- large inputs --------------------------------------------------------------------------

// Inputs big enough for the threaded, split-K and memory-order paths of the reduction driver
// and the scans: the fast kernels must agree with the scalar references.
TEST(ReduceOps, LargeInputsFastMatchesReference) {
  std::vector<std::pair<std::string, Tensor>> inputs = {
      {"rows (3, 30000)", make_tensor({3, 30000}, kFloat, 0, 1)},
      {"columns (34000, 2)", make_tensor({34000, 2}, kFloat, 0, 1)},
      {"permuted (300, 70, 4)", make_tensor({70, 4, 300}, kFloat, 0, 1).permute({2, 0, 1})},
      {"double, transposed (40000, 2)", make_tensor({2, 40000}, kDouble, -1, 1).t()},
      // 45 columns: blocks of 4 vectors, single vectors and a scalar tail, over tiles of rows.
      {"columns (3000, 45)", make_tensor({3000, 45}, kFloat, -1, 1)},
      {"double columns (1500, 45)", make_tensor({1500, 45}, kDouble, -1, 1)},
      {"int64 middle (40, 900, 3)", make_tensor({40, 900, 3}, kLong, -5, 5)},
  };
  using Fn = std::function<TensorList(const Tensor&, IntArrayRef)>;
  std::vector<std::pair<std::string, Fn>> fns = {
      {"sum", [](const Tensor& x, IntArrayRef d) { return TensorList{sum(x, d)}; }},
      {"amax", [](const Tensor& x, IntArrayRef d) { return TensorList{amax(x, d, true)}; }},
      {"amin", [](const Tensor& x, IntArrayRef d) { return TensorList{amin(x, d)}; }},
      {"count_nonzero", [](const Tensor& x, IntArrayRef d) { return TensorList{count_nonzero(x.gt(0.5), d)}; }},
      {"any", [](const Tensor& x, IntArrayRef d) { return TensorList{d.empty() ? any(x.gt(0.999)) : any(x.gt(0.999), d[0])}; }},
      {"all", [](const Tensor& x, IntArrayRef d) { return TensorList{d.empty() ? all(x.gt(-0.99)) : all(x.gt(-0.99), d[0])}; }},
      {"max.dim", [](const Tensor& x, IntArrayRef d) {
         if (d.empty()) return TensorList{max(x)};
         auto [v, i] = max(x, d[0]);
         return TensorList{v, i};
       }},
      {"argmin", [](const Tensor& x, IntArrayRef d) { return TensorList{argmin(x, d.empty() ? std::nullopt : std::optional<int64_t>(d[0]))}; }},
      {"cumsum", [](const Tensor& x, IntArrayRef d) { return TensorList{cumsum(x, d.empty() ? 0 : d[0])}; }},
  };
  std::vector<std::pair<std::string, Fn>> float_fns = {
      {"mean", [](const Tensor& x, IntArrayRef d) { return TensorList{mean(x, d)}; }},
      {"var", [](const Tensor& x, IntArrayRef d) { return TensorList{var(x, d, 1, true)}; }},
      {"std", [](const Tensor& x, IntArrayRef d) { return TensorList{sinter::std(x, d, 0)}; }},
      {"logsumexp", [](const Tensor& x, IntArrayRef d) { return TensorList{logsumexp(x, d)}; }},
      {"norm", [](const Tensor& x, IntArrayRef d) { return TensorList{norm(x, 2, d), norm(x, 1, d), norm(x, INFINITY, d)}; }},
      {"softmax", [](const Tensor& x, IntArrayRef d) { return TensorList{softmax(x, d.empty() ? -1 : d[0])}; }},
      {"log_softmax", [](const Tensor& x, IntArrayRef d) { return TensorList{log_softmax(x, d.empty() ? 0 : d[0])}; }},
      {"cumprod", [](const Tensor& x, IntArrayRef d) { return TensorList{cumprod(x * 0.001 + 1, d.empty() ? -1 : d[0])}; }},
  };
  for (auto& [xname, x] : inputs) {
    std::vector<DimVector> dimsets = {{}, {0}, {-1}};
    if (x.dim() == 3) dimsets = {{0}, {1}, {0, 2}};
    auto all_fns = fns;
    if (x.is_floating_point()) all_fns.insert(all_fns.end(), float_fns.begin(), float_fns.end());
    for (auto& [fname, fn] : all_fns) {
      for (auto& dims : dimsets) {
        bool single = fname == "any" || fname == "all" || fname == "max.dim" || fname == "argmin" || fname == "cumsum" ||
                      fname == "softmax" || fname == "log_softmax" || fname == "cumprod";
        if (single && dims.size() > 1) continue;
        SCOPED_TRACE(fname + " of " + xname + " over dims " + shape_str(dims));
        TensorList fast = fn(x, dims), ref;
        ops::ReferenceKernels::set_enabled(true);
        ref = fn(x, dims);
        ops::ReferenceKernels::set_enabled(false);
        ASSERT_EQ(fast.size(), ref.size());
        // Float32 sums of thousands of O(1) terms differ by summation order: about sqrt(n) ulps of
        // the partial sums, so the absolute tolerance is 5e-5 (a wrong kernel is off by O(1)).
        for (size_t i = 0; i < fast.size(); ++i) EXPECT_TRUE(tensors_close(fast[i], ref[i], 1e-5, 5e-5)) << "output " << i;
      }
    }
  }
}

// The threaded paths against torch itself, once each.
TEST(ReduceOps, LargeInputsMatchTorch) {
  auto& ref = sinter::testing::TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  Tensor cols = make_tensor({34000, 2}, kFloat, 0, 1), row = make_tensor({100000}, kFloat, 0, 1);
  auto r = ref.run("(a0.sum(0), a1.sum(), a0.amax(0), a1.argmax(), a0.var(0))", {cols, row});
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(tensors_close(cols.sum({0}), r.outputs[0], 1e-5, 1e-5));
  EXPECT_TRUE(tensors_close(row.sum(), r.outputs[1], 1e-5, 1e-5));
  EXPECT_TRUE(tensors_close(cols.amax({0}), r.outputs[2]));
  EXPECT_TRUE(tensors_close(row.argmax(), r.outputs[3]));
  EXPECT_TRUE(tensors_close(cols.var(IntArrayRef{0}), r.outputs[4], 1e-5, 1e-6));
}
