// Recurrent layers: RNN, LSTM, GRU and their cells, shaped like LibTorch's torch::nn::LSTM etc.
// with PyTorch 1.13's parameter names, gate order, initialisation and numerics.
//
//   nn::LSTM lstm(nn::LSTMOptions(32, 64).num_layers(2).bidirectional(true).batch_first(true));
//   auto [out, state] = lstm(x);                 // x (N, T, 32) -> out (N, T, 128)
//   auto [h_n, c_n] = state;                     // (4, N, 64) each
//   nn::GRU gru(nn::GRUOptions(32, 64));
//   auto [y, h] = gru(x_tn, h0);                 // x (T, N, 32), h0 (1, N, 64)
//
// Parameters, per layer k and direction (suffix "_reverse" for the backward one), in PyTorch's
// order: weight_ih_l{k} (G*H, in), weight_hh_l{k} (G*H, H), bias_ih_l{k} (G*H), bias_hh_l{k} (G*H)
// with G = 4 for LSTM (gates i, f, g, o), 3 for GRU (r, z, n), 1 for RNN. Every parameter starts
// as U(-1/sqrt(H), 1/sqrt(H)).
//
// The input projections of all timesteps are one matmul per layer and direction; the recurrent
// part runs step by step. Everything is composed from sinter ops, so autograd (and double
// backward) covers inputs, initial states and parameters.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "sinter/nn/module.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

struct RNNOptions {
  RNNOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  SINTER_ARG(int64_t, input_size);
  SINTER_ARG(int64_t, hidden_size);
  SINTER_ARG(int64_t, num_layers) = 1;
  /// "tanh" or "relu" (or torch::kTanh / torch::kReLU).
  SINTER_ARG(ModeName, nonlinearity) = "tanh";
  SINTER_ARG(bool, bias) = true;
  /// Input and output as (N, T, feature) instead of (T, N, feature); states keep (L*D, N, H).
  SINTER_ARG(bool, batch_first) = false;
  /// Dropout on the outputs of every layer but the last, while training.
  SINTER_ARG(double, dropout) = 0.0;
  SINTER_ARG(bool, bidirectional) = false;
};

struct LSTMOptions {
  LSTMOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  SINTER_ARG(int64_t, input_size);
  SINTER_ARG(int64_t, hidden_size);
  SINTER_ARG(int64_t, num_layers) = 1;
  SINTER_ARG(bool, bias) = true;
  SINTER_ARG(bool, batch_first) = false;
  SINTER_ARG(double, dropout) = 0.0;
  SINTER_ARG(bool, bidirectional) = false;
  /// Projected LSTM (proj_size > 0) is not supported (NotImplementedError).
  SINTER_ARG(int64_t, proj_size) = 0;
};

struct GRUOptions {
  GRUOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  SINTER_ARG(int64_t, input_size);
  SINTER_ARG(int64_t, hidden_size);
  SINTER_ARG(int64_t, num_layers) = 1;
  SINTER_ARG(bool, bias) = true;
  SINTER_ARG(bool, batch_first) = false;
  SINTER_ARG(double, dropout) = 0.0;
  SINTER_ARG(bool, bidirectional) = false;
};

namespace detail {
/// The options every recurrent layer shares; mode is "RNN_TANH", "RNN_RELU", "LSTM" or "GRU".
struct RNNOptionsBase {
  std::string mode;
  int64_t input_size = 0, hidden_size = 0, num_layers = 1;
  bool bias = true, batch_first = false, bidirectional = false;
  double dropout = 0.0;
};

/// The shared machinery of RNN, LSTM and GRU: parameters, checks and the layer loop.
class RNNImplBase : public Module {
 public:
  RNNImplBase(RNNOptionsBase options, const char* name);
  /// Re-draws every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
  void reset_parameters();
  /// The parameters in PyTorch's order (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ...).
  std::vector<Tensor> all_weights() const;
  /// LibTorch's cuDNN weight compaction; nothing to do on CPU.
  void flatten_parameters() {}
  std::string extra_repr() const override;

  RNNOptionsBase options_base;

 protected:
  /// Runs every layer and direction. input (T, N, in) or (N, T, in) or unbatched (T, in); hx and
  /// cx (L*D, N, H) or unbatched (L*D, H), undefined for zeros (cx only for LSTM). Returns
  /// (output, h_n, c_n) in the caller's layout (c_n undefined except for LSTM).
  std::tuple<Tensor, Tensor, Tensor> run(const Tensor& input, const Tensor& hx, const Tensor& cx);

 private:
  int64_t gate_count() const;
  std::vector<Tensor> flat_weights_;  // 2 or 4 per layer and direction, PyTorch's order
};
}  // namespace detail

/// Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act tanh or relu.
class RNNImpl : public detail::RNNImplBase {
 public:
  RNNImpl(int64_t input_size, int64_t hidden_size) : RNNImpl(RNNOptions(input_size, hidden_size)) {}
  explicit RNNImpl(const RNNOptions& options);
  /// input (T, N, in) ((N, T, in) with batch_first, or (T, in)); hx (L*D, N, H) or undefined.
  /// Returns (output (T, N, D*H), h_n (L*D, N, H)).
  std::tuple<Tensor, Tensor> forward(const Tensor& input, Tensor hx = {});
  RNNOptions options;
};
SINTER_MODULE(RNN);

/// LSTM: gates i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (W_ih x_t + b_ih + W_hh h + b_hh);
/// c_t = f * c_{t-1} + i * g; h_t = o * tanh(c_t).
class LSTMImpl : public detail::RNNImplBase {
 public:
  LSTMImpl(int64_t input_size, int64_t hidden_size) : LSTMImpl(LSTMOptions(input_size, hidden_size)) {}
  explicit LSTMImpl(const LSTMOptions& options);
  /// input as RNN; hx_opt = (h_0, c_0), each (L*D, N, H), or nullopt for zeros.
  /// Returns (output (T, N, D*H), (h_n, c_n)).
  std::tuple<Tensor, std::tuple<Tensor, Tensor>> forward(const Tensor& input,
                                                         std::optional<std::tuple<Tensor, Tensor>> hx_opt = {});
  LSTMOptions options;
};
SINTER_MODULE(LSTM);

/// GRU: r, z = sigmoid(W_i x + b_i + W_h h + b_h); n = tanh(W_in x + b_in + r * (W_hn h + b_hn));
/// h_t = (1 - z) * n + z * h_{t-1}.
class GRUImpl : public detail::RNNImplBase {
 public:
  GRUImpl(int64_t input_size, int64_t hidden_size) : GRUImpl(GRUOptions(input_size, hidden_size)) {}
  explicit GRUImpl(const GRUOptions& options);
  /// As RNN::forward.
  std::tuple<Tensor, Tensor> forward(const Tensor& input, Tensor hx = {});
  GRUOptions options;
};
SINTER_MODULE(GRU);

// ---- cells ---------------------------------------------------------------------------------------

struct RNNCellOptions {
  RNNCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  SINTER_ARG(int64_t, input_size);
  SINTER_ARG(int64_t, hidden_size);
  SINTER_ARG(bool, bias) = true;
  SINTER_ARG(ModeName, nonlinearity) = "tanh";
};
struct LSTMCellOptions {
  LSTMCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  SINTER_ARG(int64_t, input_size);
  SINTER_ARG(int64_t, hidden_size);
  SINTER_ARG(bool, bias) = true;
};
struct GRUCellOptions {
  GRUCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  SINTER_ARG(int64_t, input_size);
  SINTER_ARG(int64_t, hidden_size);
  SINTER_ARG(bool, bias) = true;
};

namespace detail {
/// Parameters weight_ih (G*H, in), weight_hh (G*H, H), bias_ih, bias_hh (G*H) of one cell.
class RNNCellImplBase : public Module {
 public:
  RNNCellImplBase(int64_t input_size, int64_t hidden_size, bool bias, int64_t gates, const char* name);
  void reset_parameters();
  std::string extra_repr() const override;

  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

 protected:
  /// Checks input (N, in) or (in) and a state (N, H) / (H) (undefined: zeros); returns the batched
  /// input, the batched state and whether the input was batched.
  std::tuple<Tensor, Tensor, bool> prepare(const Tensor& input, const Tensor& hx, const char* what) const;
  int64_t input_size_, hidden_size_;
  bool bias_;
};
}  // namespace detail

/// One step of RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh).
class RNNCellImpl : public detail::RNNCellImplBase {
 public:
  RNNCellImpl(int64_t input_size, int64_t hidden_size) : RNNCellImpl(RNNCellOptions(input_size, hidden_size)) {}
  explicit RNNCellImpl(const RNNCellOptions& options);
  /// input (N, in) or (in); hx (N, H) or (H), undefined for zeros. Returns h'.
  Tensor forward(const Tensor& input, Tensor hx = {});
  std::string extra_repr() const override;
  RNNCellOptions options;
};
SINTER_MODULE(RNNCell);

/// One step of LSTM. Returns (h', c').
class LSTMCellImpl : public detail::RNNCellImplBase {
 public:
  LSTMCellImpl(int64_t input_size, int64_t hidden_size) : LSTMCellImpl(LSTMCellOptions(input_size, hidden_size)) {}
  explicit LSTMCellImpl(const LSTMCellOptions& options);
  std::tuple<Tensor, Tensor> forward(const Tensor& input, std::optional<std::tuple<Tensor, Tensor>> hx_opt = {});
  LSTMCellOptions options;
};
SINTER_MODULE(LSTMCell);

/// One step of GRU. Returns h'.
class GRUCellImpl : public detail::RNNCellImplBase {
 public:
  GRUCellImpl(int64_t input_size, int64_t hidden_size) : GRUCellImpl(GRUCellOptions(input_size, hidden_size)) {}
  explicit GRUCellImpl(const GRUCellOptions& options);
  Tensor forward(const Tensor& input, Tensor hx = {});
  GRUCellOptions options;
};
SINTER_MODULE(GRUCell);

}  // namespace sinter::nn
