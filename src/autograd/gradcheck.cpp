// gradcheck / gradgradcheck: analytic gradients against central finite differences.
#include <cmath>

#include "sinter/autograd.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/reduce.h"
#include "sinter/ops/shape.h"

namespace sinter {

namespace {

double get(const Tensor& t, int64_t i) { return t.reshape({-1})[i].item<double>(); }

/// Flattened view of `t` whose element i aliases t's element i (t must be contiguous).
void set(const Tensor& t, int64_t i, double v) {
  NoGradGuard g;
  t.reshape({-1})[i].fill_(v);
}

bool fail(bool raise, const std::string& msg) {
  if (raise) throw AutogradError(msg);
  return false;
}

}  // namespace

bool gradcheck(const std::function<TensorList(const TensorList&)>& fn, const TensorList& inputs,
               const GradcheckOptions& opts, bool raise) {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) {
      SINTER_CHECK(inputs[i].dtype() == kDouble, DTypeError, "gradcheck: input ", i, " requires grad but is ",
                   dtype_name(inputs[i].dtype()), "; use float64 inputs for finite differences");
      SINTER_CHECK(inputs[i].is_contiguous(), ValueError, "gradcheck: input ", i, " must be contiguous");
    }
  TensorList outs = fn(inputs);
  TensorList diff_inputs;
  std::vector<size_t> idx;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) {
      diff_inputs.push_back(inputs[i]);
      idx.push_back(i);
    }
  for (size_t o = 0; o < outs.size(); ++o) {
    // Fresh graph per output: the finite differences below write into the inputs.
    const Tensor out = o == 0 ? outs[0] : fn(inputs)[o];
    if (!out.defined() || !out.is_floating_point()) continue;
    int64_t n_out = out.numel();
    // Analytic Jacobian rows: one backward per output element (vJp with a one-hot vector).
    std::vector<std::vector<double>> analytic(diff_inputs.size());
    for (size_t k = 0; k < diff_inputs.size(); ++k)
      analytic[k].assign(static_cast<size_t>(n_out * diff_inputs[k].numel()), 0.0);
    for (int64_t j = 0; j < n_out; ++j) {
      if (!out.requires_grad()) break;
      Tensor go = zeros_like(out);
      set(go, j, 1.0);
      TensorList g = autograd::grad({out}, diff_inputs, {go}, /*retain_graph=*/true, false, /*allow_unused=*/true);
      for (size_t k = 0; k < diff_inputs.size(); ++k) {
        if (!g[k].defined()) continue;
        Tensor gk = g[k].contiguous();
        for (int64_t e = 0; e < diff_inputs[k].numel(); ++e) analytic[k][static_cast<size_t>(j * diff_inputs[k].numel() + e)] = get(gk, e);
      }
    }
    // Numerical Jacobian by central differences.
    for (size_t k = 0; k < diff_inputs.size(); ++k) {
      const Tensor& x = diff_inputs[k];
      for (int64_t e = 0; e < x.numel(); ++e) {
        double orig = get(x, e);
        Tensor plus, minus;
        {
          NoGradGuard g;
          set(x, e, orig + opts.eps);
          TensorList p = fn(inputs);
          SINTER_CHECK(p.size() > o, ValueError, "gradcheck: fn returned ", p.size(), " outputs, expected ", outs.size());
          plus = p[o].detach().to(kDouble).contiguous().clone();
          set(x, e, orig - opts.eps);
          minus = fn(inputs)[o].detach().to(kDouble).contiguous().clone();
          set(x, e, orig);
        }
        for (int64_t j = 0; j < n_out; ++j) {
          double num = (get(plus, j) - get(minus, j)) / (2 * opts.eps);
          double ana = analytic[k][static_cast<size_t>(j * x.numel() + e)];
          if (std::fabs(num - ana) > opts.atol + opts.rtol * std::fabs(num))
            return fail(raise, detail::str_cat("gradcheck: Jacobian mismatch for output ", o, " element ", j,
                                               " with respect to input ", idx[k], " element ", e, ": numerical ", num,
                                               ", analytical ", ana));
        }
      }
    }
  }
  return true;
}

bool gradgradcheck(const std::function<TensorList(const TensorList&)>& fn, const TensorList& inputs,
                   const GradcheckOptions& opts, bool raise) {
  // Random (fixed) grad_outputs make the first-order gradient a function of the inputs.
  TensorList outs = fn(inputs);
  TensorList gos;
  {
    Generator saved = default_generator();
    manual_seed(1234);
    for (auto& o : outs) gos.push_back(o.defined() && o.is_floating_point() ? randn(o.sizes(), kDouble).requires_grad_(true) : Tensor());
    default_generator() = saved;
  }
  auto grad_fn = [&](const TensorList& in) -> TensorList {
    AutoGradMode enable(true);  // the first-order gradient needs a graph even inside finite differences
    TensorList xs(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(inputs.size()));
    TensorList o = fn(xs);
    TensorList diff, used_o, used_g;
    for (auto& x : xs)
      if (x.defined() && x.requires_grad()) diff.push_back(x);
    for (size_t i = 0; i < o.size(); ++i)
      if (gos[i].defined() && o[i].requires_grad()) {
        used_o.push_back(o[i]);
        used_g.push_back(in[inputs.size() + i]);
      }
    if (used_o.empty()) return {};
    TensorList g = autograd::grad(used_o, diff, used_g, true, /*create_graph=*/true, /*allow_unused=*/true);
    TensorList r;
    for (size_t i = 0; i < g.size(); ++i) r.push_back(g[i].defined() ? g[i] : zeros_like(diff[i]));
    return r;
  };
  TensorList all = inputs;
  for (auto& g : gos) all.push_back(g.defined() ? g : Tensor());
  return gradcheck(grad_fn, all, opts, raise);
}

}  // namespace sinter
