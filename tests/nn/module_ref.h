// Runs a torch.nn module with a sinter module's weights and compares outputs and gradients.
//
//   ModuleCase c{"nn.LSTM(4, 8, num_layers=2)", "m(x0, (x1, x2))"};
//   compare_with_torch(*lstm, c, {x, h0, c0}, {true, true, true}, outputs, grad_outputs, 2e-5, 2e-5);
//
// The torch module is built from `ctor`, converted to the sinter module's dtype, checked to have
// exactly the sinter module's state_dict keys (in order), loaded with its values and put in the
// same training mode. `call` runs it on x0, x1, ... (the inputs); its result is flattened as the
// sinter outputs are. Both sides run backward with the same grad_outputs (undefined entries are
// skipped); then the outputs, the gradients of the inputs marked in `input_grad` and the gradients
// of every parameter (in named_parameters order) are compared.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sinter/nn.h"
#include "sinter/sinter.h"
#include "torch_ref.h"

namespace sinter::testing {

struct ModuleCase {
  std::string ctor;  // python: builds the torch module, e.g. "nn.GRU(4, 8, bidirectional=True)"
  std::string call;  // python: uses m and x0, x1, ..., e.g. "m(x0, x1)"
};

inline std::string py_list_of_names(const std::vector<std::string>& names) {
  std::string s = "[";
  for (size_t i = 0; i < names.size(); ++i) s += (i ? ", '" : "'") + names[i] + "'";
  return s + "]";
}

/// Leaf copies of `inputs`, requiring grad where `input_grad` says so.
inline std::vector<Tensor> make_leaves(const std::vector<Tensor>& inputs, const std::vector<bool>& input_grad) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor t = inputs[i].defined() ? inputs[i].detach().clone() : Tensor();
    if (t.defined() && i < input_grad.size() && input_grad[i]) t.requires_grad_(true);
    out.push_back(t);
  }
  return out;
}

/// `leaves` are the inputs the sinter outputs were computed from (make_leaves); `outputs` the
/// flattened sinter outputs, on which backward has not run yet.
inline void compare_with_torch(nn::Module& m, const ModuleCase& c, const std::vector<Tensor>& leaves,
                               const std::vector<bool>& input_grad, const std::vector<Tensor>& outputs,
                               const std::vector<Tensor>& grad_outputs, double rtol, double atol) {
  auto& ref = TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  ASSERT_EQ(outputs.size(), grad_outputs.size());

  // sinter's backward.
  m.zero_grad();
  std::vector<Tensor> roots, gos;
  for (size_t i = 0; i < outputs.size(); ++i)
    if (grad_outputs[i].defined() && outputs[i].defined()) {
      roots.push_back(outputs[i]);
      gos.push_back(grad_outputs[i]);
    }
  if (!roots.empty()) autograd::backward(roots, gos);

  auto state = m.state_dict();
  const std::vector<std::string> names = state.keys();
  const auto params = m.named_parameters();
  const std::string dtype = state.is_empty() || state.values()[0].dtype() == kFloat ? "torch.float32" : "torch.float64";

  std::vector<Tensor> inputs;
  for (const auto& l : leaves) inputs.push_back(l.defined() ? l.detach() : Tensor());
  std::vector<bool> rg(input_grad);
  rg.resize(inputs.size(), false);
  const size_t K = inputs.size(), P = names.size();
  for (const auto& v : state.values()) {
    inputs.push_back(v);
    rg.push_back(false);
  }
  for (const auto& g : grad_outputs) {
    inputs.push_back(g);
    rg.push_back(false);
  }
  std::string stmt = sinter::detail::str_cat(
      "_A = [globals()['a%d' % i] for i in range(", inputs.size(), ")]\n",
      "_K, _P = ", K, ", ", P, "\n",
      "for _i in range(_K): globals()['x%d' % _i] = _A[_i]\n",
      "m = (", c.ctor, ").to(", dtype, ")\n",
      "_names = ", py_list_of_names(names), "\n",
      "_got = list(m.state_dict().keys())\n",
      "if _got != _names: raise AssertionError('state_dict keys differ: torch %s, sinter %s' % (_got, _names))\n",
      "m.load_state_dict(dict(zip(_names, _A[_K:_K + _P])))\n",
      "m.train(", m.is_training() ? "True" : "False", ")\n",
      "def _flat(r, out):\n",
      "    if isinstance(r, (tuple, list)):\n",
      "        for e in r: _flat(e, out)\n",
      "    else: out.append(r)\n",
      "    return out\n",
      "_out = _flat(", c.call, ", [])\n",
      "if len(_out) != ", outputs.size(), ": raise AssertionError('torch gave %d outputs' % len(_out))\n",
      "_pairs = [(o, g) for o, g in zip(_out, _A[_K + _P:]) if o is not None and g is not None]\n",
      "if _pairs: torch.autograd.backward([o for o, g in _pairs], [g for o, g in _pairs])\n",
      "_res = _out + [_A[i].grad for i in range(_K)] + [p.grad for p in m.parameters()]\n");
  auto r = ref.run("_res", inputs, rg, {}, stmt);
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
  ASSERT_EQ(r.outputs.size(), outputs.size() + K + params.size());

  for (size_t i = 0; i < outputs.size(); ++i)
    EXPECT_TRUE(tensors_close(outputs[i].defined() ? outputs[i].detach() : Tensor(), r.outputs[i], rtol, atol))
        << "output " << i;
  for (size_t i = 0; i < K; ++i) {
    if (!(i < input_grad.size() && input_grad[i])) continue;
    EXPECT_TRUE(tensors_close(leaves[i].grad(), r.outputs[outputs.size() + i], rtol, atol)) << "grad of input " << i;
  }
  size_t j = outputs.size() + K;
  for (const auto& p : params) {
    EXPECT_TRUE(tensors_close(p.value().grad(), r.outputs[j], rtol, atol)) << "grad of " << p.key();
    ++j;
  }
}

/// randn of `like`'s shape and dtype for each defined tensor (undefined stays undefined).
inline std::vector<Tensor> randn_like_all(const std::vector<Tensor>& like) {
  std::vector<Tensor> out;
  for (const auto& t : like) out.push_back(t.defined() ? randn(t.sizes(), t.dtype()) : Tensor());
  return out;
}

}  // namespace sinter::testing
