// RNN, LSTM, GRU and their cells: PyTorch 1.13's formulas (ATen's RNN.cpp cells), composed from
// sinter ops. Per layer and direction the input projection of every timestep is one matmul
// (T*N, in) x (in, G*H); each step then adds the recurrent projection and applies the cell.
#include "sinter/nn/rnn.h"

#include <cmath>

#include "sinter/nn/init.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/nn.h"
#include "sinter/ops/shape.h"
#include "sinter/ops/unary.h"

namespace sinter::nn {

namespace {
using sinter::detail::str_cat;

std::string shape_of(const Tensor& t) { return t.defined() ? detail::shape_str(t.sizes()) : "(undefined)"; }

// ---- one step of each cell -------------------------------------------------------------------
// xp: the input projection W_ih x + b_ih (N, G*H); h, c: (N, H).

Tensor rnn_step(const Tensor& xp, const Tensor& h, const Tensor& w_hh, const Tensor& b_hh, bool relu_act) {
  Tensor pre = linear(h, w_hh, b_hh) + xp;
  return relu_act ? relu(pre) : tanh(pre);
}

std::tuple<Tensor, Tensor> lstm_step(const Tensor& xp, const Tensor& h, const Tensor& c, const Tensor& w_hh,
                                     const Tensor& b_hh) {
  Tensor gates = linear(h, w_hh, b_hh) + xp;  // (N, 4H): i, f, g, o
  auto g = gates.chunk(4, 1);
  Tensor in_gate = sigmoid(g[0]), forget_gate = sigmoid(g[1]), cell_gate = tanh(g[2]), out_gate = sigmoid(g[3]);
  Tensor cy = forget_gate * c + in_gate * cell_gate;
  Tensor hy = out_gate * tanh(cy);
  return {hy, cy};
}

Tensor gru_step(const Tensor& xp, const Tensor& h, const Tensor& w_hh, const Tensor& b_hh) {
  auto xg = xp.chunk(3, 1);                       // r, z, n parts of W_ih x + b_ih
  auto hg = linear(h, w_hh, b_hh).chunk(3, 1);    // r, z, n parts of W_hh h + b_hh
  Tensor reset_gate = sigmoid(hg[0] + xg[0]);
  Tensor input_gate = sigmoid(hg[1] + xg[1]);
  Tensor new_gate = tanh(xg[2] + hg[2] * reset_gate);
  return (h - new_gate) * input_gate + new_gate;  // (1 - z) * n + z * h
}

int64_t gates_of(const std::string& mode) { return mode == "LSTM" ? 4 : mode == "GRU" ? 3 : 1; }

void check_common(const std::string& name, int64_t input_size, int64_t hidden_size) {
  SINTER_CHECK(input_size > 0, ValueError, name, ": input_size must be positive, got ", input_size);
  SINTER_CHECK(hidden_size > 0, ValueError, name, ": hidden_size must be positive, got ", hidden_size);
}

std::string nonlinearity_mode(const ModeName& nl, const char* name) {
  SINTER_CHECK(nl == "tanh" || nl == "relu", ValueError, name, ": unknown nonlinearity '", nl.str(),
               "' (expected 'tanh' or 'relu')");
  return nl == "tanh" ? "RNN_TANH" : "RNN_RELU";
}
}  // namespace

// ---- RNNImplBase -------------------------------------------------------------------------------

namespace detail {

RNNImplBase::RNNImplBase(RNNOptionsBase options, const char* name) : Module(name), options_base(std::move(options)) {
  const auto& o = options_base;
  check_common(name, o.input_size, o.hidden_size);
  SINTER_CHECK(o.num_layers > 0, ValueError, name, ": num_layers must be positive, got ", o.num_layers);
  SINTER_CHECK(o.dropout >= 0 && o.dropout <= 1, ValueError, name,
               ": dropout should be a number in range [0, 1] representing the probability of an element being "
               "zeroed, got ",
               o.dropout);
  const int64_t G = gate_count(), H = o.hidden_size, D = o.bidirectional ? 2 : 1;
  for (int64_t layer = 0; layer < o.num_layers; ++layer) {
    for (int64_t d = 0; d < D; ++d) {
      const int64_t in = layer == 0 ? o.input_size : H * D;
      const std::string suffix = str_cat("_l", layer, d == 1 ? "_reverse" : "");
      flat_weights_.push_back(register_parameter("weight_ih" + suffix, empty({G * H, in})));
      flat_weights_.push_back(register_parameter("weight_hh" + suffix, empty({G * H, H})));
      if (o.bias) {
        flat_weights_.push_back(register_parameter("bias_ih" + suffix, empty({G * H})));
        flat_weights_.push_back(register_parameter("bias_hh" + suffix, empty({G * H})));
      }
    }
  }
  reset_parameters();
}

int64_t RNNImplBase::gate_count() const { return gates_of(options_base.mode); }

void RNNImplBase::reset_parameters() {
  const double stdv = 1.0 / std::sqrt(static_cast<double>(options_base.hidden_size));
  for (auto& w : flat_weights_) init::uniform_(w, -stdv, stdv);
}

std::vector<Tensor> RNNImplBase::all_weights() const { return flat_weights_; }

std::string RNNImplBase::extra_repr() const {
  const auto& o = options_base;
  std::string s = str_cat(o.input_size, ", ", o.hidden_size);
  if (o.num_layers != 1) s += str_cat(", num_layers=", o.num_layers);
  if (!o.bias) s += ", bias=False";
  if (o.batch_first) s += ", batch_first=True";
  if (o.dropout != 0) s += ", dropout=" + py_float(o.dropout);
  if (o.bidirectional) s += ", bidirectional=True";
  if (o.mode == "RNN_RELU") s += ", nonlinearity='relu'";
  return s;
}

std::tuple<Tensor, Tensor, Tensor> RNNImplBase::run(const Tensor& input, const Tensor& hx_in, const Tensor& cx_in) {
  const auto& o = options_base;
  const std::string& nm = name();
  const bool lstm = o.mode == "LSTM", gru = o.mode == "GRU", relu_act = o.mode == "RNN_RELU";
  const int64_t L = o.num_layers, D = o.bidirectional ? 2 : 1, H = o.hidden_size;

  SINTER_CHECK(input.defined() && (input.dim() == 2 || input.dim() == 3), ShapeError, nm,
               ": expected a 3-D (batched) or 2-D (unbatched) input, got ", shape_of(input));
  SINTER_CHECK(input.size(-1) == o.input_size, ShapeError, nm, ": input ", shape_of(input),
               " does not match input_size ", o.input_size);
  SINTER_CHECK(input.dtype() == flat_weights_[0].dtype(), DTypeError, nm, ": input dtype ", dtype_name(input.dtype()),
               " does not match the parameters' dtype ", dtype_name(flat_weights_[0].dtype()));
  const bool batched = input.dim() == 3;
  Tensor x = batched ? (o.batch_first ? input.transpose(0, 1) : input) : input.unsqueeze(1);  // (T, N, in)
  const int64_t T = x.size(0), N = x.size(1);

  auto state = [&](const Tensor& s, const char* what) -> Tensor {
    if (!s.defined()) return zeros({L * D, N, H}, x.dtype());
    const DimVector expect = batched ? DimVector{L * D, N, H} : DimVector{L * D, H};
    SINTER_CHECK(s.sizes() == IntArrayRef(expect), ShapeError, nm, ": expected ", what, " of shape ",
                 detail::shape_str(expect), " for input ", shape_of(input), ", got ", shape_of(s));
    SINTER_CHECK(s.dtype() == x.dtype(), DTypeError, nm, ": ", what, " dtype ", dtype_name(s.dtype()),
                 " does not match the input dtype ", dtype_name(x.dtype()));
    return batched ? s : s.unsqueeze(1);
  };
  Tensor hx = state(hx_in, lstm ? "h_0" : "hx");
  Tensor cx = lstm ? state(cx_in, "c_0") : Tensor();

  const size_t per = o.bias ? 4 : 2;
  std::vector<Tensor> h_n, c_n;
  for (int64_t layer = 0; layer < L; ++layer) {
    std::vector<Tensor> dir_out;
    for (int64_t d = 0; d < D; ++d) {
      const int64_t idx = layer * D + d;
      const Tensor& w_ih = flat_weights_[idx * per];
      const Tensor& w_hh = flat_weights_[idx * per + 1];
      const Tensor b_ih = o.bias ? flat_weights_[idx * per + 2] : Tensor();
      const Tensor b_hh = o.bias ? flat_weights_[idx * per + 3] : Tensor();
      Tensor xp = linear(x, w_ih, b_ih);  // (T, N, G*H): every timestep's input projection at once
      Tensor h = hx.select(0, idx), c = lstm ? cx.select(0, idx) : Tensor();
      std::vector<Tensor> ys(static_cast<size_t>(T));
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = d == 0 ? s : T - 1 - s;
        Tensor xt = xp.select(0, t);
        if (lstm)
          std::tie(h, c) = lstm_step(xt, h, c, w_hh, b_hh);
        else if (gru)
          h = gru_step(xt, h, w_hh, b_hh);
        else
          h = rnn_step(xt, h, w_hh, b_hh, relu_act);
        ys[static_cast<size_t>(t)] = h;
      }
      dir_out.push_back(T > 0 ? stack(ys, 0) : zeros({0, N, H}, x.dtype()));
      h_n.push_back(h);
      if (lstm) c_n.push_back(c);
    }
    x = D == 2 ? cat(dir_out, 2) : dir_out[0];  // (T, N, D*H)
    if (o.dropout > 0 && is_training() && layer < L - 1) x = dropout(x, o.dropout, true);
  }
  Tensor hn = stack(h_n, 0), cn = lstm ? stack(c_n, 0) : Tensor();
  if (!batched) {
    x = x.squeeze(1);
    hn = hn.squeeze(1);
    if (cn.defined()) cn = cn.squeeze(1);
  } else if (o.batch_first) {
    x = x.transpose(0, 1);
  }
  return {x, hn, cn};
}

}  // namespace detail

// ---- RNN, LSTM, GRU ----------------------------------------------------------------------------

namespace {
template <class Options>
detail::RNNOptionsBase base_options(const Options& o, std::string mode) {
  detail::RNNOptionsBase b;
  b.mode = std::move(mode);
  b.input_size = o.input_size();
  b.hidden_size = o.hidden_size();
  b.num_layers = o.num_layers();
  b.bias = o.bias();
  b.batch_first = o.batch_first();
  b.dropout = o.dropout();
  b.bidirectional = o.bidirectional();
  return b;
}
detail::RNNOptionsBase lstm_options(const LSTMOptions& o) {
  SINTER_CHECK(o.proj_size() == 0, NotImplementedError, "LSTM: proj_size > 0 is not supported (got ", o.proj_size(),
               ")");
  return base_options(o, "LSTM");
}
}  // namespace

RNNImpl::RNNImpl(const RNNOptions& options_)
    : RNNImplBase(base_options(options_, nonlinearity_mode(options_.nonlinearity(), "RNN")), "RNN"),
      options(options_) {}

std::tuple<Tensor, Tensor> RNNImpl::forward(const Tensor& input, Tensor hx) {
  auto [out, hn, cn] = run(input, hx, Tensor());
  return {out, hn};
}

LSTMImpl::LSTMImpl(const LSTMOptions& options_) : RNNImplBase(lstm_options(options_), "LSTM"), options(options_) {}

std::tuple<Tensor, std::tuple<Tensor, Tensor>> LSTMImpl::forward(const Tensor& input,
                                                                 std::optional<std::tuple<Tensor, Tensor>> hx_opt) {
  Tensor h0, c0;
  if (hx_opt) std::tie(h0, c0) = *hx_opt;
  SINTER_CHECK(h0.defined() == c0.defined(), ValueError, "LSTM: give both h_0 and c_0, or neither");
  auto [out, hn, cn] = run(input, h0, c0);
  return {out, {hn, cn}};
}

GRUImpl::GRUImpl(const GRUOptions& options_) : RNNImplBase(base_options(options_, "GRU"), "GRU"), options(options_) {}

std::tuple<Tensor, Tensor> GRUImpl::forward(const Tensor& input, Tensor hx) {
  auto [out, hn, cn] = run(input, hx, Tensor());
  return {out, hn};
}

// ---- cells -------------------------------------------------------------------------------------

namespace detail {

RNNCellImplBase::RNNCellImplBase(int64_t input_size, int64_t hidden_size, bool bias, int64_t gates, const char* name)
    : Module(name), input_size_(input_size), hidden_size_(hidden_size), bias_(bias) {
  check_common(name, input_size, hidden_size);
  weight_ih = register_parameter("weight_ih", empty({gates * hidden_size, input_size}));
  weight_hh = register_parameter("weight_hh", empty({gates * hidden_size, hidden_size}));
  if (bias) {
    bias_ih = register_parameter("bias_ih", empty({gates * hidden_size}));
    bias_hh = register_parameter("bias_hh", empty({gates * hidden_size}));
  }
  reset_parameters();
}

void RNNCellImplBase::reset_parameters() {
  const double stdv = 1.0 / std::sqrt(static_cast<double>(hidden_size_));
  for (Tensor* w : {&weight_ih, &weight_hh, &bias_ih, &bias_hh})
    if (w->defined()) init::uniform_(*w, -stdv, stdv);
}

std::string RNNCellImplBase::extra_repr() const {
  std::string s = str_cat(input_size_, ", ", hidden_size_);
  if (!bias_) s += ", bias=False";
  return s;
}

std::tuple<Tensor, Tensor, bool> RNNCellImplBase::prepare(const Tensor& input, const Tensor& hx,
                                                          const char* what) const {
  const std::string& nm = name();
  SINTER_CHECK(input.defined() && (input.dim() == 1 || input.dim() == 2), ShapeError, nm,
               ": expected input to be 1-D or 2-D, got ", shape_of(input));
  SINTER_CHECK(input.size(-1) == input_size_, ShapeError, nm, ": input ", shape_of(input),
               " does not match input_size ", input_size_);
  SINTER_CHECK(input.dtype() == weight_ih.dtype(), DTypeError, nm, ": input dtype ", dtype_name(input.dtype()),
               " does not match the parameters' dtype ", dtype_name(weight_ih.dtype()));
  const bool batched = input.dim() == 2;
  Tensor x = batched ? input : input.unsqueeze(0);
  Tensor h;
  if (!hx.defined()) {
    h = zeros({x.size(0), hidden_size_}, x.dtype());
  } else {
    const DimVector expect = batched ? DimVector{input.size(0), hidden_size_} : DimVector{hidden_size_};
    SINTER_CHECK(hx.sizes() == IntArrayRef(expect), ShapeError, nm, ": expected ", what, " of shape ",
                 detail::shape_str(expect), " for input ", shape_of(input), ", got ", shape_of(hx));
    SINTER_CHECK(hx.dtype() == x.dtype(), DTypeError, nm, ": ", what, " dtype ", dtype_name(hx.dtype()),
                 " does not match the input dtype ", dtype_name(x.dtype()));
    h = batched ? hx : hx.unsqueeze(0);
  }
  return {x, h, batched};
}

}  // namespace detail

RNNCellImpl::RNNCellImpl(const RNNCellOptions& options_)
    : RNNCellImplBase(options_.input_size(), options_.hidden_size(), options_.bias(), 1, "RNNCell"),
      options(options_) {
  nonlinearity_mode(options.nonlinearity(), "RNNCell");
}

std::string RNNCellImpl::extra_repr() const {
  std::string s = RNNCellImplBase::extra_repr();
  if (!(options.nonlinearity() == "tanh")) s += ", nonlinearity='" + options.nonlinearity().str() + "'";
  return s;
}

Tensor RNNCellImpl::forward(const Tensor& input, Tensor hx) {
  auto [x, h, batched] = prepare(input, hx, "hx");
  Tensor y = rnn_step(linear(x, weight_ih, bias_ih), h, weight_hh, bias_hh, options.nonlinearity() == "relu");
  return batched ? y : y.squeeze(0);
}

LSTMCellImpl::LSTMCellImpl(const LSTMCellOptions& options_)
    : RNNCellImplBase(options_.input_size(), options_.hidden_size(), options_.bias(), 4, "LSTMCell"),
      options(options_) {}

std::tuple<Tensor, Tensor> LSTMCellImpl::forward(const Tensor& input,
                                                 std::optional<std::tuple<Tensor, Tensor>> hx_opt) {
  Tensor h0, c0;
  if (hx_opt) std::tie(h0, c0) = *hx_opt;
  SINTER_CHECK(h0.defined() == c0.defined(), ValueError, "LSTMCell: give both h_0 and c_0, or neither");
  auto [x, h, batched] = prepare(input, h0, "h_0");
  auto [x2, c, batched2] = prepare(input, c0, "c_0");
  auto [hy, cy] = lstm_step(linear(x, weight_ih, bias_ih), h, c, weight_hh, bias_hh);
  if (!batched) return {hy.squeeze(0), cy.squeeze(0)};
  return {hy, cy};
}

GRUCellImpl::GRUCellImpl(const GRUCellOptions& options_)
    : RNNCellImplBase(options_.input_size(), options_.hidden_size(), options_.bias(), 3, "GRUCell"),
      options(options_) {}

Tensor GRUCellImpl::forward(const Tensor& input, Tensor hx) {
  auto [x, h, batched] = prepare(input, hx, "hx");
  Tensor y = gru_step(linear(x, weight_ih, bias_ih), h, weight_hh, bias_hh);
  return batched ? y : y.squeeze(0);
}

}  // namespace sinter::nn
