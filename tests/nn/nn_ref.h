// Comparing sinter modules with torch.nn modules that hold the same weights.
//
// expect_module_matches(m, "nn.Conv2d(3, 4, 3)", {x}) runs m on x (forward and backward with a
// random output gradient) and runs the PyTorch module built by the expression, with sinter's
// parameters and buffers swapped in by torch.nn.utils.stateless.functional_call, on the same x.
// Outputs, the buffers after the call (BatchNorm's running statistics), the input gradients and
// every parameter gradient must agree.
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "sinter/nn.h"
#include "sinter/sinter.h"
#include "torch_ref.h"

namespace nntest {

using sinter::Tensor;
using sinter::testing::TorchRef;
using sinter::testing::tensors_close;

inline std::string py_str_list(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", '" : "'") + v[i] + "'";
  return s + "]";
}

inline std::string py_tensor_list(size_t begin, size_t end) {
  std::string s = "[";
  for (size_t i = begin; i < end; ++i) s += (i > begin ? ", a" : "a") + std::to_string(i);
  return s + "]";
}

/// The string a Python expression evaluates to (sent back as UTF-8 bytes).
inline std::string torch_string(const std::string& expr, const std::string& stmt = "",
                                const std::vector<Tensor>& inputs = {}) {
  auto r = TorchRef::instance().run("torch.tensor(list((" + expr + ").encode()), dtype=torch.uint8)", inputs, {}, {},
                                    stmt);
  EXPECT_TRUE(r.ok) << r.error_type << ": " << r.message;
  if (!r.ok) return "<torch failed>";
  const Tensor& t = r.outputs[0];
  const auto* p = static_cast<const char*>(t.data_ptr());
  return std::string(p, p + t.numel());
}

/// Lines joined by '\n'.
inline std::string join_lines(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "\n" : "") + v[i];
  return s;
}

struct Tolerance {
  double rtol = 1e-4;
  double atol = 1e-5;
};

/// See the file comment. `forward` defaults to calling the module's holder-less forward on
/// inputs[0]; floating-point inputs get requires_grad.
template <class M>
void expect_module_matches(M& module, const std::string& torch_ctor, std::vector<Tensor> inputs,
                           Tolerance tol = {}, std::function<Tensor(M&, const std::vector<Tensor>&)> forward = {}) {
  auto& ref = TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  if (!forward) forward = [](M& m, const std::vector<Tensor>& in) { return sinter::nn::detail::call_forward(m, in[0]); };

  module.zero_grad();
  const auto params = module.named_parameters();
  const auto buffers = module.named_buffers();
  std::vector<Tensor> torch_inputs;
  std::vector<bool> requires_grad;
  for (auto& x : inputs) {
    x = x.detach().clone();
    if (x.is_floating_point()) x.requires_grad_(true);
    torch_inputs.push_back(x.detach().clone());
    requires_grad.push_back(x.is_floating_point());
  }
  std::vector<std::string> names;
  for (const auto& p : params) {
    names.push_back(p.key());
    torch_inputs.push_back(p.value().detach().clone());
    requires_grad.push_back(p.value().requires_grad());
  }
  for (const auto& b : buffers) {
    names.push_back(b.key());
    torch_inputs.push_back(b.value().detach().clone());
    requires_grad.push_back(false);
  }

  Tensor y = forward(module, inputs);
  Tensor g = sinter::randn_like(y);
  y.backward(g);

  const size_t ni = inputs.size(), np = params.size(), nb = buffers.size();
  std::string stmt = "m = " + torch_ctor + "\nm.train(" + (module.is_training() ? "True" : "False") +
                     ")\n_t = " + py_tensor_list(0, ni + np + nb) + "\nnames = " + py_str_list(names) + "\n";
  std::string expr = "(torch.nn.utils.stateless.functional_call(m, dict(zip(names, _t[" + std::to_string(ni) +
                     ":])), tuple(_t[:" + std::to_string(ni) + "])),) + tuple(_t[" + std::to_string(ni + np) + ":])";
  std::vector<Tensor> grad_outputs{g};
  grad_outputs.resize(1 + nb);
  auto r = ref.run(expr, torch_inputs, requires_grad, grad_outputs, stmt);
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
  ASSERT_EQ(r.outputs.size(), 1 + nb);
  EXPECT_TRUE(tensors_close(y.detach(), r.outputs[0], tol.rtol, tol.atol)) << module.name() << " output";
  size_t i = 0;
  for (const auto& b : buffers)
    EXPECT_TRUE(tensors_close(b.value(), r.outputs[1 + i++], tol.rtol, tol.atol)) << module.name() << " buffer "
                                                                                    << b.key();
  for (size_t k = 0; k < ni; ++k)
    if (requires_grad[k]) {
      EXPECT_TRUE(tensors_close(inputs[k].grad(), r.grads[k], tol.rtol, tol.atol))
          << module.name() << " grad of input " << k;
    }
  i = 0;
  for (const auto& p : params) {
    if (p.value().requires_grad()) {
      EXPECT_TRUE(tensors_close(p.value().grad(), r.grads[ni + i], tol.rtol, tol.atol))
          << module.name() << " grad of " << p.key();
    }
    ++i;
  }
}

}  // namespace nntest
