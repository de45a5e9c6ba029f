// TransformerEncoderLayer and TransformerEncoder, shaped like LibTorch's with PyTorch 1.13's
// submodule names, initialisation and numerics (plus PyTorch's layer_norm_eps, batch_first and
// norm_first options).
//
//   nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(64, 4).dim_feedforward(256)
//                                         .activation(torch::kGELU).batch_first(true));
//   nn::TransformerEncoder encoder(nn::TransformerEncoderOptions(layer, 6).norm(nn::AnyModule(nn::LayerNorm(...))));
//   Tensor y = encoder(x, nn::generate_square_subsequent_mask(T), padding_mask);
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sinter/nn/attention.h"
#include "sinter/nn/container.h"
#include "sinter/nn/dropout.h"
#include "sinter/nn/linear.h"
#include "sinter/nn/module.h"
#include "sinter/nn/normalization.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

/// The feed-forward activation of a transformer layer: "relu" / "gelu" (or torch::kReLU /
/// torch::kGELU), or any function Tensor -> Tensor.
class TransformerActivation {
 public:
  using Function = std::function<Tensor(const Tensor&)>;
  TransformerActivation(const char* name) : TransformerActivation(ModeName(name)) {}
  TransformerActivation(std::string name) : TransformerActivation(ModeName(std::move(name))) {}
  template <EnumTag Tag>
  TransformerActivation(Tag) : TransformerActivation(ModeName(Tag::value)) {}
  TransformerActivation(Function fn);
  template <class F>
    requires(std::is_invocable_r_v<Tensor, F&, const Tensor&> && !std::is_convertible_v<F, std::string> &&
             !std::is_same_v<std::decay_t<F>, Function> && !std::is_same_v<std::decay_t<F>, TransformerActivation>)
  TransformerActivation(F fn) : TransformerActivation(Function(std::move(fn))) {}

  Tensor operator()(const Tensor& x) const { return fn_(x); }
  /// "relu", "gelu", or "" for a custom function.
  const std::string& name() const { return name_; }

 private:
  explicit TransformerActivation(const ModeName& name);
  std::string name_;
  Function fn_;
};

struct TransformerEncoderLayerOptions {
  TransformerEncoderLayerOptions(int64_t d_model, int64_t nhead) : d_model_(d_model), nhead_(nhead) {}
  SINTER_ARG(int64_t, d_model);
  SINTER_ARG(int64_t, nhead);
  SINTER_ARG(int64_t, dim_feedforward) = 2048;
  SINTER_ARG(double, dropout) = 0.1;
  SINTER_ARG(TransformerActivation, activation) = "relu";
  SINTER_ARG(double, layer_norm_eps) = 1e-5;
  /// src as (N, S, E) instead of (S, N, E).
  SINTER_ARG(bool, batch_first) = false;
  /// Pre-norm (x + sa(norm1(x)); x + ff(norm2(x))) instead of post-norm.
  SINTER_ARG(bool, norm_first) = false;
};

/// Self-attention and a feed-forward block, each with dropout, a residual and LayerNorm:
///   post-norm: x = norm1(x + dropout1(self_attn(x))); x = norm2(x + dropout2(linear2(dropout(act(linear1(x))))))
/// Submodules (PyTorch's names): self_attn, linear1, dropout, linear2, norm1, norm2, dropout1,
/// dropout2.
class TransformerEncoderLayerImpl : public Module {
 public:
  TransformerEncoderLayerImpl(int64_t d_model, int64_t nhead)
      : TransformerEncoderLayerImpl(TransformerEncoderLayerOptions(d_model, nhead)) {}
  explicit TransformerEncoderLayerImpl(const TransformerEncoderLayerOptions& options);

  /// src (S, N, E), (N, S, E) with batch_first, or unbatched (S, E). src_mask (S, S) or
  /// (N * nhead, S, S), bool (true = may not attend) or float (added); src_key_padding_mask
  /// (N, S) or (S), bool (true = padding) or float. is_causal without a src_mask masks every
  /// position after the query's (with a src_mask it is only a hint that the mask is causal).
  Tensor forward(const Tensor& src, const Tensor& src_mask = {}, const Tensor& src_key_padding_mask = {},
                 bool is_causal = false);

  void reset_parameters();
  /// A deep copy: a new layer with the same options, parameter values and training mode
  /// (PyTorch's copy.deepcopy of a layer).
  std::shared_ptr<TransformerEncoderLayerImpl> clone() const;

  TransformerEncoderLayerOptions options;
  MultiheadAttention self_attn{nullptr};
  Linear linear1{nullptr};
  Dropout dropout{nullptr};
  Linear linear2{nullptr};
  LayerNorm norm1{nullptr}, norm2{nullptr};
  Dropout dropout1{nullptr}, dropout2{nullptr};
};
SINTER_MODULE(TransformerEncoderLayer);

struct TransformerEncoderOptions {
  /// Clones of `encoder_layer` (which itself is not registered).
  TransformerEncoderOptions(TransformerEncoderLayer encoder_layer, int64_t num_layers)
      : encoder_layer_(std::move(encoder_layer)), num_layers_(num_layers) {}
  /// Layers built from these options.
  TransformerEncoderOptions(const TransformerEncoderLayerOptions& layer_options, int64_t num_layers)
      : encoder_layer_(TransformerEncoderLayer(layer_options)), num_layers_(num_layers) {}
  SINTER_ARG(TransformerEncoderLayer, encoder_layer);
  SINTER_ARG(int64_t, num_layers);
  /// An optional final normalisation (e.g. LayerNorm), registered as "norm".
  SINTER_ARG(AnyModule, norm);
};

/// num_layers deep copies of a TransformerEncoderLayer (submodules layers.0, layers.1, ...),
/// then the optional norm.
class TransformerEncoderImpl : public Module {
 public:
  TransformerEncoderImpl(TransformerEncoderLayer encoder_layer, int64_t num_layers)
      : TransformerEncoderImpl(TransformerEncoderOptions(std::move(encoder_layer), num_layers)) {}
  explicit TransformerEncoderImpl(const TransformerEncoderOptions& options);

  /// As TransformerEncoderLayer::forward, through every layer and then the norm.
  Tensor forward(const Tensor& src, const Tensor& mask = {}, const Tensor& src_key_padding_mask = {},
                 bool is_causal = false);
  void reset_parameters();

  TransformerEncoderOptions options;
  ModuleList layers{nullptr};
  AnyModule norm;
};
SINTER_MODULE(TransformerEncoder);

/// A (sz, sz) float mask: 0 on and below the diagonal, -inf above (PyTorch's
/// Transformer.generate_square_subsequent_mask).
Tensor generate_square_subsequent_mask(int64_t sz, DType dtype = kFloat);

}  // namespace sinter::nn
