#include <set>
#include "op_record.h"

#include <cmath>

#include "ops/registry.h"

namespace sinter::testing {

std::vector<DType> all_dtypes() { return {kFloat, kDouble, kHalf, kBFloat16, kLong, kInt, kShort, kChar, kByte, kBool}; }
std::vector<DType> float_dtypes() { return {kFloat, kDouble, kHalf, kBFloat16}; }
std::vector<DType> int_dtypes() { return {kByte, kChar, kShort, kInt, kLong}; }
std::vector<DType> wide_uint_dtypes() { return {kUInt16, kUInt32, kUInt64}; }

Tensor make_tensor(IntArrayRef shape, DType dtype, double low, double high) {
  NoGradGuard g;
  if (dtype == kBool) return rand(shape, kDouble) > 0.5;
  if (is_integral(dtype)) {
    if (is_unsigned(dtype)) low = std::max(low, 0.0);
    int64_t lo = static_cast<int64_t>(std::ceil(low)), hi = static_cast<int64_t>(std::floor(high));
    if (hi <= lo) hi = lo + 1;
    return randint(lo, hi, shape, dtype);
  }
  return (rand(shape, kDouble) * (high - low) + low).to(dtype);
}

Tensor make_noncontiguous(IntArrayRef shape, DType dtype, double low, double high) {
  NoGradGuard g;
  // Allocate with the last dim doubled and take every other element.
  if (shape.empty()) return make_tensor(shape, dtype, low, high);
  DimVector big(shape);
  big.back() *= 2;
  Tensor t = make_tensor(big, dtype, low, high);
  return t.slice(-1, 0, std::nullopt, 2);
}

std::vector<OpSample> unary_samples(DType d, double low, double high) {
  return {
      {{make_tensor({}, d, low, high)}, "0-dim"},
      {{make_tensor({7}, d, low, high)}, "1-D"},
      {{make_tensor({3, 5}, d, low, high)}, "2-D"},
      {{make_noncontiguous({2, 3, 4}, d, low, high)}, "3-D non-contiguous"},
      {{make_tensor({4, 3}, d, low, high).t()}, "transposed"},
      {{make_tensor({0, 3}, d, low, high)}, "empty"},
  };
}

std::vector<OpSample> binary_samples(DType d, double low, double high, double low2, double high2) {
  return {
      {{make_tensor({3, 4}, d, low, high), make_tensor({3, 4}, d, low2, high2)}, "same shape"},
      {{make_tensor({3, 1}, d, low, high), make_tensor({1, 4}, d, low2, high2)}, "broadcast both"},
      {{make_tensor({2, 3, 4}, d, low, high), make_tensor({4}, d, low2, high2)}, "broadcast rhs"},
      {{make_tensor({4}, d, low, high), make_tensor({2, 3, 4}, d, low2, high2)}, "broadcast lhs"},
      {{make_tensor({3, 4}, d, low, high), make_tensor({}, d, low2, high2)}, "0-dim rhs"},
      {{make_noncontiguous({3, 4}, d, low, high), make_tensor({4, 3}, d, low2, high2).t()}, "non-contiguous"},
      {{make_tensor({0, 4}, d, low, high), make_tensor({4}, d, low2, high2)}, "empty"},
  };
}

namespace {

std::pair<double, double> tol(const OpRecord& r, DType d) {
  auto t = default_tolerance(d);
  if (r.rtol > 0) t.first = std::max(t.first, r.rtol * (d == kHalf || d == kBFloat16 ? 10 : 1));
  if (r.atol > 0) t.second = std::max(t.second, r.atol * (d == kHalf || d == kBFloat16 ? 100 : 1));
  return t;
}

std::string name_of(const OpRecord& r) { return r.ops.empty() ? r.torch : r.ops[0]; }

void check_against_torch(const OpRecord& r, DType d) {
  auto& ref = TorchRef::instance();
  for (auto& s : r.samples(d)) {
    SCOPED_TRACE(name_of(r) + " [" + std::string(dtype_name(d)) + "] " + s.desc);
    bool diff = is_floating_point(d) && !r.grad_inputs.empty();
    TensorList inputs;
    std::vector<bool> rg(s.inputs.size(), false);
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      Tensor t = s.inputs[i];
      if (diff && t.defined() && t.is_floating_point() &&
          std::find(r.grad_inputs.begin(), r.grad_inputs.end(), i) != r.grad_inputs.end()) {
        t = t.detach().requires_grad_(true);
        rg[i] = true;
      }
      inputs.push_back(t);
    }
    TensorList outs = r.fn(inputs);
    TensorList gos;
    for (auto& o : outs)
      gos.push_back(diff && o.defined() && o.requires_grad() ? make_tensor(o.sizes(), o.dtype(), -1, 1) : Tensor());
    bool any_go = false;
    for (auto& g : gos) any_go |= g.defined();
    const std::string& expr = is_wide_unsigned(d) ? r.numpy : r.torch;
    ASSERT_FALSE(expr.empty()) << "the record lists " << dtype_name(d) << " but has no NumPy expression";
    RefResult res = ref.run(expr, inputs, rg, any_go ? gos : TensorList{}, r.stmt);
    ASSERT_TRUE(res.ok) << "the reference failed on " << expr << ": " << res.error_type << ": " << res.message;
    ASSERT_EQ(res.outputs.size(), outs.size()) << "number of outputs differs from PyTorch";
    auto [rt, at] = tol(r, d);
    for (size_t i = 0; i < outs.size(); ++i) {
      EXPECT_TRUE(tensors_close(outs[i], res.outputs[i], rt, at)) << "output " << i;
    }
    if (!any_go) continue;
    TensorList diff_in;
    std::vector<size_t> idx;
    for (size_t i = 0; i < inputs.size(); ++i)
      if (rg[i]) {
        diff_in.push_back(inputs[i]);
        idx.push_back(i);
      }
    TensorList used_o, used_g;
    for (size_t i = 0; i < outs.size(); ++i)
      if (gos[i].defined()) {
        used_o.push_back(outs[i]);
        used_g.push_back(gos[i]);
      }
    TensorList grads = autograd::grad(used_o, diff_in, used_g, std::nullopt, false, /*allow_unused=*/true);
    for (size_t k = 0; k < idx.size(); ++k) {
      const Tensor& expected = res.grads[idx[k]];
      if (!expected.defined()) {
        EXPECT_TRUE(!grads[k].defined() || grads[k].abs().sum().item<double>() == 0) << "grad of input " << idx[k];
        continue;
      }
      ASSERT_TRUE(grads[k].defined()) << "sinter gave no gradient for input " << idx[k];
      EXPECT_TRUE(tensors_close(grads[k], expected, rt * 10, at * 10)) << "gradient of input " << idx[k];
    }
  }
}

void check_reference_kernels(const OpRecord& r, DType d) {
  for (auto& s : r.samples(d)) {
    SCOPED_TRACE(name_of(r) + " [" + std::string(dtype_name(d)) + "] fast vs reference: " + s.desc);
    TensorList fast, slow;
    {
      NoGradGuard g;
      fast = r.fn(s.inputs);
      ops::ReferenceKernels::set_enabled(true);
      try {
        slow = r.fn(s.inputs);
      } catch (...) {
        ops::ReferenceKernels::set_enabled(false);
        throw;
      }
      ops::ReferenceKernels::set_enabled(false);
    }
    ASSERT_EQ(fast.size(), slow.size());
    auto [rt, at] = tol(r, d);
    for (size_t i = 0; i < fast.size(); ++i) EXPECT_TRUE(tensors_close(fast[i], slow[i], rt, at)) << "output " << i;
  }
}

void check_gradients(const OpRecord& r) {
  for (auto& s : r.samples(kDouble)) {
    bool small = true;
    for (auto& t : s.inputs) small &= !t.defined() || t.numel() <= 64;
    if (!small) continue;
    SCOPED_TRACE(name_of(r) + " gradcheck: " + s.desc);
    TensorList in;
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      Tensor t = s.inputs[i];
      if (t.defined() && t.dtype() == kDouble &&
          std::find(r.grad_inputs.begin(), r.grad_inputs.end(), i) != r.grad_inputs.end())
        t = t.contiguous().clone().detach().requires_grad_(true);
      in.push_back(t);
    }
    GradcheckOptions o;
    o.atol = 1e-5;
    o.rtol = 1e-3;
    EXPECT_NO_THROW(gradcheck(r.fn, in, o)) << [&] {
      try {
        gradcheck(r.fn, in, o);
      } catch (const std::exception& e) {
        return std::string(e.what());
      }
      return std::string();
    }();
    if (r.gradgradcheck) {
      try {
        gradgradcheck(r.fn, in, o);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "gradgradcheck: " << e.what();
      }
    }
  }
}

void check_errors(const OpRecord& r) {
  for (auto& e : r.errors) {
    SCOPED_TRACE(name_of(r) + " error case: " + e.desc);
    bool threw = false;
    try {
      e.call();
    } catch (const std::exception& ex) {
      threw = true;
      EXPECT_TRUE(e.is_expected_type(ex)) << "unexpected error type for: " << ex.what();
      EXPECT_NE(std::string(ex.what()).find(e.contains), std::string::npos)
          << "message '" << ex.what() << "' does not contain '" << e.contains << "'";
    }
    EXPECT_TRUE(threw) << "expected an error";
  }
}

}  // namespace

namespace {

std::set<std::string>& covered_ops() {
  static std::set<std::string> s;
  return s;
}

// Ops reached only through other ops' backward or as building blocks, each tested through the
// records of the ops that use them.
const std::set<std::string> kInternalOps = {
    "view_scatter",  // the backward of every view op (ViewOps records check those gradients)
};

/// After a full run (no --gtest_filter), every registry op must be named by some record.
class CoverageCheck : public ::testing::Environment {
 public:
  void TearDown() override {
    if (::testing::GTEST_FLAG(filter) != "*") return;
    std::string missing;
    for (const ops::OpDef* op : ops::Registry::get().all())
      if (!covered_ops().count(op->name) && !kInternalOps.count(op->name)) missing += " " + op->name;
    EXPECT_TRUE(missing.empty()) << "registry ops without a test record:" << missing;
  }
};
[[maybe_unused]] ::testing::Environment* const kCoverage = ::testing::AddGlobalTestEnvironment(new CoverageCheck);

}  // namespace

void check_record(const OpRecord& r) {
  for (auto& name : r.ops) covered_ops().insert(name);
  bool have_torch = TorchRef::instance().available();
  for (DType d : r.dtypes) {
    if (have_torch) check_against_torch(r, d);
    check_reference_kernels(r, d);
  }
  if (!r.grad_inputs.empty() && r.gradcheck) check_gradients(r);
  check_errors(r);
  for (auto& name : r.ops) EXPECT_NE(ops::Registry::get().find(name), nullptr) << "op " << name << " is not in the registry";
}

}  // namespace sinter::testing
