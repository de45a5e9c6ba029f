// ONNX recurrent layers (RNN, GRU, LSTM), unrolled over the sequence (its length must be
// static) into registry ops: per direction one input projection for all steps, then per
// step the recurrent matmul, the gates and the state update. sequence_lens masks steps past
// a batch entry's length (its state stays, its output is zero), which also makes a reverse
// pass start at each entry's own last step.
#include <algorithm>

#include "onnx/onnx_internal.h"
#include "sinter/ops/factory.h"

namespace sinter::onnx::detail {
namespace {

using V = graph::Value*;
constexpr int kMax = kMaxOpset;
// Unrolled steps x directions above this are refused (the graph grows with each step).
constexpr int64_t kMaxUnrolledSteps = 4096;

enum class Cell { RNN, GRU, LSTM };

V sel(Ctx& c, V x, int64_t dim, int64_t i) { return c.emit("select", {x}, {dim, i}); }
V cols(Ctx& c, V x, int64_t dim, int64_t b, int64_t e) { return c.emit("slice", {x}, {dim, b, e, int64_t(1)}); }
V add(Ctx& c, V a, V b) { return c.emit("add", {a, b}); }
V mul(Ctx& c, V a, V b) { return c.emit("mul", {a, b}); }
V cat(Ctx& c, std::vector<V> xs, int64_t dim) { return xs.size() == 1 ? xs[0] : c.emit("cat", xs, {dim}); }

// The layer's activations, resolved: names with their alpha/beta, per direction.
struct Act {
  std::string name;
  std::optional<double> alpha, beta;
};

std::vector<Act> activations(Ctx& c, Cell cell, int64_t dirs) {
  size_t per = cell == Cell::RNN ? 1 : cell == Cell::GRU ? 2 : 3;
  std::vector<std::string> names = c.attr_strings("activations");
  if (names.empty()) {
    for (int64_t d = 0; d < dirs; ++d) {
      if (cell != Cell::RNN) names.push_back("Sigmoid");
      for (size_t k = 1; k < per + (cell == Cell::RNN); ++k) names.push_back("Tanh");
    }
  } else if (names.size() == per && dirs == 2) {
    names.insert(names.end(), names.begin(), names.end());
  }
  if (names.size() != per * static_cast<size_t>(dirs))
    c.invalid(sinter::detail::str_cat("activations has ", names.size(), " names, expected ", per * dirs));
  // activation_alpha / _beta are consumed in order by the activations that take them.
  auto alphas = c.attr_floats("activation_alpha"), betas = c.attr_floats("activation_beta");
  size_t ia = 0, ib = 0;
  std::vector<Act> r;
  for (auto& n : names) {
    Act a{n, {}, {}};
    bool has_alpha = n == "Affine" || n == "LeakyRelu" || n == "ThresholdedRelu" || n == "ScaledTanh" ||
                     n == "HardSigmoid" || n == "Elu";
    bool has_beta = n == "Affine" || n == "ScaledTanh" || n == "HardSigmoid";
    if (has_alpha && ia < alphas.size()) a.alpha = alphas[ia++];
    if (has_beta && ib < betas.size()) a.beta = betas[ib++];
    r.push_back(std::move(a));
  }
  return r;
}

// Checks that v is static with exactly `want` dims (ShapeError-like ValueError naming it).
void expect_shape(Ctx& c, V v, const char* what, const DimVector& want) {
  DimVector s = c.static_shape(v, what);
  if (s != want)
    c.invalid(sinter::detail::str_cat(what, " has shape ", shape_str(s), ", expected ", shape_str(want)));
}

void recurrent_build(Ctx& c, Cell cell) {
  const int64_t G = cell == Cell::RNN ? 1 : cell == Cell::GRU ? 3 : 4;
  V X = c.in(0), W = c.in(1), R = c.in(2);
  V B = c.opt_in(3), lens = c.opt_in(4), h0 = c.opt_in(5);
  V c0 = cell == Cell::LSTM ? c.opt_in(6) : nullptr, P = cell == Cell::LSTM ? c.opt_in(7) : nullptr;
  int64_t layout = c.opset >= 14 ? c.attr_i("layout", 0) : 0;
  if (layout != 0 && layout != 1) c.invalid("layout must be 0 or 1");
  std::string direction = c.attr_s("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    c.invalid("direction must be forward, reverse or bidirectional, got '" + direction + "'");
  const int64_t D = direction == "bidirectional" ? 2 : 1;
  DType dt = c.dtype(X);
  if (!is_floating_point(dt)) c.invalid("X must be a floating-point tensor");
  if (cell == Cell::LSTM && c.attr_i("input_forget", 0) != 0) c.unsupported("LSTM with input_forget");
  bool lbr = cell == Cell::GRU && c.attr_i("linear_before_reset", 0) != 0;
  std::optional<double> clip;
  if (c.has_attr("clip")) {
    clip = c.attr_f("clip", 0);
    if (!(*clip > 0)) c.invalid("clip must be positive");
  }

  DimVector xs = c.static_shape(X, "X");
  if (xs.size() != 3) c.invalid("X must be 3-D, got shape " + shape_str(xs));
  if (layout) {
    X = c.emit("permute", {X}, {DimVector{1, 0, 2}});
    std::swap(xs[0], xs[1]);
  }
  const int64_t T = xs[0], N = xs[1], I = xs[2];  // X: (T, N, I)
  DimVector ws = c.static_shape(W, "W");
  if (ws.size() != 3 || ws[0] != D || ws[1] % G) c.invalid("W has shape " + shape_str(ws));
  const int64_t H = c.attr_i("hidden_size", ws[1] / G);
  if (H <= 0) c.invalid("hidden_size must be positive");
  expect_shape(c, W, "W", {D, G * H, I});
  expect_shape(c, R, "R", {D, G * H, H});
  if (B) expect_shape(c, B, "B", {D, 2 * G * H});
  if (P) expect_shape(c, P, "P", {D, 3 * H});
  if (T < 1) c.unsupported("an empty sequence");
  if (T * D > kMaxUnrolledSteps)
    c.unsupported(sinter::detail::str_cat("sequence length ", T, " x ", D, " directions: above ", kMaxUnrolledSteps,
                                          " unrolled steps"));
  DimVector state_shape = layout ? DimVector{N, D, H} : DimVector{D, N, H};
  auto initial = [&](V s, const char* what) -> V {
    if (!s) return c.constant(zeros({D, N, H}, dtype(dt)));
    expect_shape(c, s, what, state_shape);
    return layout ? c.emit("permute", {s}, {DimVector{1, 0, 2}}) : s;
  };
  V h_init = initial(h0, "initial_h"), c_init = cell == Cell::LSTM ? initial(c0, "initial_c") : nullptr;
  if (lens) {
    expect_shape(c, lens, "sequence_lens", {N});
    if (!is_integral(c.dtype(lens))) c.invalid("sequence_lens must be an integer tensor");
    lens = c.emit("unsqueeze", {lens}, {int64_t(1)});  // (N, 1)
  }
  std::vector<Act> acts = activations(c, cell, D);
  const size_t per = acts.size() / static_cast<size_t>(D);
  auto act = [&](const Act& a, V x) {
    if (clip) x = c.emit("clamp", {x}, {Scalar(-*clip), Scalar(*clip)});
    return activation(c, a.name, x, a.alpha, a.beta);
  };
  auto act_noclip = [&](const Act& a, V x) { return activation(c, a.name, x, a.alpha, a.beta); };

  std::vector<V> ys, hs, cs;
  for (int64_t d = 0; d < D; ++d) {
    const Act* f = &acts[static_cast<size_t>(d) * per];
    V WT = c.emit("permute", {sel(c, W, 0, d)}, {DimVector{1, 0}});  // (I, G*H)
    V RT = c.emit("permute", {sel(c, R, 0, d)}, {DimVector{1, 0}});  // (H, G*H)
    V XW = c.emit("matmul", {X, WT});                                 // (T, N, G*H)
    V rbh = nullptr;                                                  // GRU, linear_before_reset
    if (B) {
      V Bd = sel(c, B, 0, d), Wb = cols(c, Bd, 0, 0, G * H), Rb = cols(c, Bd, 0, G * H, 2 * G * H);
      V bias = add(c, Wb, Rb);
      if (lbr) {
        bias = cat(c, {cols(c, bias, 0, 0, 2 * H), cols(c, Wb, 0, 2 * H, 3 * H)}, 0);
        rbh = cols(c, Rb, 0, 2 * H, 3 * H);
      }
      XW = add(c, XW, bias);
    }
    V pi = nullptr, po = nullptr, pf = nullptr;
    if (P) {
      V Pd = sel(c, P, 0, d);
      pi = cols(c, Pd, 0, 0, H), po = cols(c, Pd, 0, H, 2 * H), pf = cols(c, Pd, 0, 2 * H, 3 * H);
    }
    V h = sel(c, h_init, 0, d), cst = c_init ? sel(c, c_init, 0, d) : nullptr;  // (N, H)
    std::vector<V> y(static_cast<size_t>(T));
    bool reverse = direction == "reverse" || d == 1;
    for (int64_t k = 0; k < T; ++k) {
      int64_t t = reverse ? T - 1 - k : k;
      V xt = sel(c, XW, 0, t);  // (N, G*H)
      V hn, cn = nullptr;
      if (cell == Cell::RNN) {
        hn = act(f[0], add(c, xt, c.emit("matmul", {h, RT})));
      } else if (cell == Cell::GRU) {
        V zr = act(f[0], add(c, cols(c, xt, 1, 0, 2 * H), c.emit("matmul", {h, cols(c, RT, 1, 0, 2 * H)})));
        V z = cols(c, zr, 1, 0, H), r = cols(c, zr, 1, H, 2 * H);
        V RhT = cols(c, RT, 1, 2 * H, 3 * H);
        V hr = lbr ? mul(c, r, rbh ? add(c, c.emit("matmul", {h, RhT}), rbh) : c.emit("matmul", {h, RhT}))
                   : c.emit("matmul", {mul(c, r, h), RhT});
        V ht = act(f[1], add(c, cols(c, xt, 1, 2 * H, 3 * H), hr));
        hn = add(c, ht, mul(c, z, c.emit("sub", {h, ht})));  // (1 - z) ht + z h
      } else {
        V g = add(c, xt, c.emit("matmul", {h, RT}));  // gates i, o, f, c
        V gi = cols(c, g, 1, 0, H), go = cols(c, g, 1, H, 2 * H), gf = cols(c, g, 1, 2 * H, 3 * H);
        if (P) {
          gi = add(c, gi, mul(c, pi, cst));
          gf = add(c, gf, mul(c, pf, cst));
        }
        V i = act(f[0], gi), fg = act(f[0], gf), cc = act(f[1], cols(c, g, 1, 3 * H, 4 * H));
        cn = add(c, mul(c, fg, cst), mul(c, i, cc));
        if (P) go = add(c, go, mul(c, po, cn));
        hn = mul(c, act(f[0], go), act_noclip(f[2], cn));
      }
      if (lens) {
        V live = c.emit("lt", {c.scalar(static_cast<double>(t), c.dtype(lens)), lens});  // (N, 1)
        hn = c.emit("where", {live, hn, h});
        if (cn) cn = c.emit("where", {live, cn, cst});
        y[static_cast<size_t>(t)] = c.emit("where", {live, hn, c.scalar(0, dt)});
      } else {
        y[static_cast<size_t>(t)] = hn;
      }
      h = hn;
      cst = cn;
    }
    for (auto& v : y) v = c.emit("unsqueeze", {v}, {int64_t(0)});
    ys.push_back(c.emit("unsqueeze", {cat(c, y, 0)}, {int64_t(1)}));  // (T, 1, N, H)
    hs.push_back(c.emit("unsqueeze", {h}, {int64_t(0)}));             // (1, N, H)
    if (cst) cs.push_back(c.emit("unsqueeze", {cst}, {int64_t(0)}));
  }
  V Y = cat(c, ys, 1), Yh = cat(c, hs, 0);  // (T, D, N, H), (D, N, H)
  V Yc = cs.empty() ? nullptr : cat(c, cs, 0);
  if (layout) {
    Y = c.emit("permute", {Y}, {DimVector{2, 0, 1, 3}});
    Yh = c.emit("permute", {Yh}, {DimVector{1, 0, 2}});
    if (Yc) Yc = c.emit("permute", {Yc}, {DimVector{1, 0, 2}});
  }
  if (c.has_out(0)) c.set_out(0, Y);
  if (c.has_out(1)) c.set_out(1, Yh);
  if (c.has_out(2)) {
    if (!Yc) c.invalid("has no output 2");
    c.set_out(2, Yc);
  }
}

const TableRegistrar seq_entries({
    {"RNN", 7, kMax, [](Ctx& c) { recurrent_build(c, Cell::RNN); }},
    {"GRU", 7, kMax, [](Ctx& c) { recurrent_build(c, Cell::GRU); }},
    {"LSTM", 7, kMax, [](Ctx& c) { recurrent_build(c, Cell::LSTM); }},
});

}  // namespace
}  // namespace sinter::onnx::detail
