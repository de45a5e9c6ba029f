// MultiheadAttention, shaped like LibTorch's torch::nn::MultiheadAttention with PyTorch 1.13's
// parameters, initialisation and numerics (torch.nn.functional.multi_head_attention_forward).
//
//   nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(64, 8).dropout(0.1).batch_first(true));
//   auto [out, weights] = mha(x, x, x);                       // x: (N, L, 64)
//   auto [out2, w2] = mha->forward(q, k, v, key_padding_mask, /*need_weights=*/false, causal_mask);
#pragma once
#include <cstdint>
#include <string>
#include <tuple>

#include "sinter/nn/linear.h"
#include "sinter/nn/module.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

struct MultiheadAttentionOptions {
  /// kdim and vdim default to embed_dim.
  MultiheadAttentionOptions(int64_t embed_dim, int64_t num_heads)
      : embed_dim_(embed_dim), num_heads_(num_heads), kdim_(embed_dim), vdim_(embed_dim) {}
  SINTER_ARG(int64_t, embed_dim);
  SINTER_ARG(int64_t, num_heads);
  /// Dropout on the attention weights while training.
  SINTER_ARG(double, dropout) = 0.0;
  /// in_proj_bias and out_proj.bias.
  SINTER_ARG(bool, bias) = true;
  /// Learned bias_k, bias_v (1, 1, embed_dim) appended to the key and value sequences.
  SINTER_ARG(bool, add_bias_kv) = false;
  /// A zero key and value appended to the (per-head) sequences.
  SINTER_ARG(bool, add_zero_attn) = false;
  SINTER_ARG(int64_t, kdim);
  SINTER_ARG(int64_t, vdim);
  /// Inputs and outputs as (N, L, E) instead of (L, N, E) (PyTorch's Python batch_first).
  SINTER_ARG(bool, batch_first) = false;
};

/// Attention over num_heads heads of size embed_dim / num_heads:
///   out = concat_h(softmax(q_h k_h^T / sqrt(head_dim) + mask) v_h) W_out^T + b_out
/// with q, k, v the input projections of query, key and value.
///
/// Parameters (PyTorch's names and order): in_proj_weight (3E, E) when kdim == vdim == E, else
/// q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim); in_proj_bias (3E);
/// bias_k, bias_v (1, 1, E) with add_bias_kv; out_proj.weight (E, E), out_proj.bias (E).
/// Initialisation as PyTorch: xavier_uniform_ projection weights, zero biases, xavier_normal_
/// bias_k/bias_v, out_proj.weight as Linear's default.
class MultiheadAttentionImpl : public Module {
 public:
  MultiheadAttentionImpl(int64_t embed_dim, int64_t num_heads)
      : MultiheadAttentionImpl(MultiheadAttentionOptions(embed_dim, num_heads)) {}
  explicit MultiheadAttentionImpl(const MultiheadAttentionOptions& options);

  /// query (L, N, E), key (S, N, kdim), value (S, N, vdim) — (N, L, E) ... with batch_first —
  /// or unbatched (L, E), (S, kdim), (S, vdim).
  /// key_padding_mask (N, S) or (S): bool (true = ignore that key) or float (added).
  /// attn_mask (L, S) or (N * num_heads, L, S): bool (true = may not attend) or float (added).
  /// Returns (output (L, N, E) / (N, L, E) / (L, E), weights): the attention weights averaged
  /// over heads (N, L, S) — per head (N, num_heads, L, S) when !average_attn_weights — or an
  /// undefined tensor when !need_weights. A query that may attend to no key yields NaN, as
  /// PyTorch. Masks of different kinds combine by adding their float forms (PyTorch 1.13 rejects a
  /// float attn_mask with a float key_padding_mask and reads a float key_padding_mask next to a
  /// bool attn_mask as bool).
  std::tuple<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const Tensor& key_padding_mask = {}, bool need_weights = true,
                                     const Tensor& attn_mask = {}, bool average_attn_weights = true);

  /// Re-draws the parameters with the default initialisation.
  void reset_parameters();

  MultiheadAttentionOptions options;
  /// True when kdim == vdim == embed_dim (one packed in_proj_weight).
  bool _qkv_same_embed_dim;
  int64_t head_dim;
  Tensor in_proj_weight, in_proj_bias;  // (3E, E), (3E); undefined when not used
  Tensor bias_k, bias_v;                // (1, 1, E) with add_bias_kv
  Linear out_proj{nullptr};
  Tensor q_proj_weight, k_proj_weight, v_proj_weight;  // when kdim or vdim differs from E
};
SINTER_MODULE(MultiheadAttention);

}  // namespace sinter::nn
