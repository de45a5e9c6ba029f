// MultiheadAttention: PyTorch 1.13's multi_head_attention_forward, composed from sinter ops so
// that autograd covers every parameter.
#include "sinter/nn/attention.h"

#include <cmath>
#include <limits>

#include "sinter/nn/init.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/linalg.h"
#include "sinter/ops/nn.h"
#include "sinter/ops/shape.h"

namespace sinter::nn {

namespace {
constexpr const char* kName = "MultiheadAttention";
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string shape_of(const Tensor& t) { return t.defined() ? detail::shape_str(t.sizes()) : "(undefined)"; }

/// A float mask to add to the scores: bool true -> -inf, false -> 0; a float mask as is.
Tensor additive(const Tensor& mask, DType d) {
  if (mask.dtype() == kBool) return zeros(mask.sizes(), d).masked_fill(mask, -kInf);
  return mask.dtype() == d ? mask : mask.to(d);
}

/// Appends one column of zeros (false for a bool mask) to the last dim.
Tensor pad_last(const Tensor& mask) {
  DimVector s(mask.sizes());
  s.back() = 1;
  return cat({mask, zeros(s, mask.dtype())}, -1);
}

void check_mask_dtype(const Tensor& m, const char* what) {
  SINTER_CHECK(m.dtype() == kBool || m.dtype() == kByte || m.is_floating_point(), DTypeError, kName, ": ", what,
               " must be bool or floating point, got dtype ", dtype_name(m.dtype()));
}
}  // namespace

MultiheadAttentionImpl::MultiheadAttentionImpl(const MultiheadAttentionOptions& options_)
    : Module(kName), options(options_) {
  const int64_t E = options.embed_dim(), H = options.num_heads();
  SINTER_CHECK(E > 0 && H > 0, ValueError, kName, ": embed_dim and num_heads must be positive, got embed_dim=", E,
               ", num_heads=", H);
  SINTER_CHECK(E % H == 0, ValueError, kName, ": embed_dim must be divisible by num_heads, got embed_dim=", E,
               ", num_heads=", H);
  SINTER_CHECK(options.kdim() > 0 && options.vdim() > 0, ValueError, kName,
               ": kdim and vdim must be positive, got kdim=", options.kdim(), ", vdim=", options.vdim());
  SINTER_CHECK(options.dropout() >= 0 && options.dropout() <= 1, ValueError, kName,
               ": dropout must be between 0 and 1, got ", options.dropout());
  head_dim = E / H;
  _qkv_same_embed_dim = options.kdim() == E && options.vdim() == E;
  if (_qkv_same_embed_dim) {
    in_proj_weight = register_parameter("in_proj_weight", empty({3 * E, E}));
  } else {
    q_proj_weight = register_parameter("q_proj_weight", empty({E, E}));
    k_proj_weight = register_parameter("k_proj_weight", empty({E, options.kdim()}));
    v_proj_weight = register_parameter("v_proj_weight", empty({E, options.vdim()}));
  }
  if (options.bias()) in_proj_bias = register_parameter("in_proj_bias", empty({3 * E}));
  out_proj = Linear(register_module("out_proj", Linear(LinearOptions(E, E).bias(options.bias()))));
  if (options.add_bias_kv()) {
    bias_k = register_parameter("bias_k", empty({1, 1, E}));
    bias_v = register_parameter("bias_v", empty({1, 1, E}));
  }
  reset_parameters();
}

void MultiheadAttentionImpl::reset_parameters() {
  if (_qkv_same_embed_dim) {
    init::xavier_uniform_(in_proj_weight);
  } else {
    init::xavier_uniform_(q_proj_weight);
    init::xavier_uniform_(k_proj_weight);
    init::xavier_uniform_(v_proj_weight);
  }
  if (in_proj_bias.defined()) {
    init::constant_(in_proj_bias, 0.0);
    init::constant_(out_proj->bias, 0.0);
  }
  if (bias_k.defined()) init::xavier_normal_(bias_k);
  if (bias_v.defined()) init::xavier_normal_(bias_v);
}

std::tuple<Tensor, Tensor> MultiheadAttentionImpl::forward(const Tensor& query_in, const Tensor& key_in,
                                                           const Tensor& value_in, const Tensor& key_padding_mask,
                                                           bool need_weights, const Tensor& attn_mask_in,
                                                           bool average_attn_weights) {
  const int64_t E = options.embed_dim(), H = options.num_heads();
  // ---- shapes ------------------------------------------------------------------------------------
  SINTER_CHECK(query_in.defined() && key_in.defined() && value_in.defined(), ValueError, kName,
               ": query, key and value must be defined");
  const bool batched = query_in.dim() == 3;
  SINTER_CHECK((query_in.dim() == 2 || batched) && key_in.dim() == query_in.dim() && value_in.dim() == query_in.dim(),
               ShapeError, kName, ": expected query, key and value all 3-D (batched) or all 2-D (unbatched), got query ",
               shape_of(query_in), ", key ", shape_of(key_in), ", value ", shape_of(value_in));
  SINTER_CHECK(query_in.size(-1) == E, ShapeError, kName, ": query ", shape_of(query_in),
               " does not match embed_dim ", E);
  SINTER_CHECK(key_in.size(-1) == options.kdim(), ShapeError, kName, ": key ", shape_of(key_in),
               " does not match kdim ", options.kdim());
  SINTER_CHECK(value_in.size(-1) == options.vdim(), ShapeError, kName, ": value ", shape_of(value_in),
               " does not match vdim ", options.vdim());
  SINTER_CHECK(query_in.is_floating_point(), DTypeError, kName, ": expected a floating point query, got dtype ",
               dtype_name(query_in.dtype()));
  SINTER_CHECK(key_in.dtype() == query_in.dtype() && value_in.dtype() == query_in.dtype(), DTypeError, kName,
               ": query, key and value must have the same dtype, got ", dtype_name(query_in.dtype()), ", ",
               dtype_name(key_in.dtype()), " and ", dtype_name(value_in.dtype()));
  const Tensor& w0 = _qkv_same_embed_dim ? in_proj_weight : q_proj_weight;
  SINTER_CHECK(w0.dtype() == query_in.dtype(), DTypeError, kName, ": input dtype ", dtype_name(query_in.dtype()),
               " does not match the parameters' dtype ", dtype_name(w0.dtype()));

  const bool self_attention = query_in.is_same(key_in) && key_in.is_same(value_in);
  Tensor query = query_in, key = key_in, value = value_in, kpm = key_padding_mask, attn_mask = attn_mask_in;
  if (!batched) {
    query = query.unsqueeze(1);
    key = key.unsqueeze(1);
    value = value.unsqueeze(1);
    if (kpm.defined()) {
      SINTER_CHECK(kpm.dim() == 1, ShapeError, kName, ": for unbatched query ", shape_of(query_in),
                   ", key_padding_mask must be 1-D (S), got ", shape_of(kpm));
      kpm = kpm.unsqueeze(0);
    }
  } else if (options.batch_first()) {
    query = query.transpose(0, 1);
    key = key.transpose(0, 1);
    value = value.transpose(0, 1);
  }
  // (L, N, E), (S, N, kdim), (S, N, vdim)
  const int64_t L = query.size(0), N = query.size(1), S = key.size(0);
  SINTER_CHECK(key.size(0) == value.size(0) && key.size(1) == value.size(1) && key.size(1) == N, ShapeError, kName,
               ": key ", shape_of(key_in), " and value ", shape_of(value_in),
               " must have the same sequence length and the batch size of query ", shape_of(query_in),
               options.batch_first() && batched ? " (batch_first)" : "");
  if (kpm.defined()) {
    check_mask_dtype(kpm, "key_padding_mask");
    SINTER_CHECK(kpm.dim() == 2 && kpm.size(0) == N && kpm.size(1) == S, ShapeError, kName,
                 ": expected key_padding_mask of shape ", detail::shape_str(batched ? DimVector{N, S} : DimVector{S}),
                 ", got ", shape_of(key_padding_mask));
    if (kpm.dtype() == kByte) kpm = kpm.to(kBool);
  }
  if (attn_mask.defined()) {
    check_mask_dtype(attn_mask, "attn_mask");
    if (attn_mask.dtype() == kByte) attn_mask = attn_mask.to(kBool);
    if (attn_mask.dim() == 2) {
      SINTER_CHECK(attn_mask.size(0) == L && attn_mask.size(1) == S, ShapeError, kName, ": the 2-D attn_mask is ",
                   shape_of(attn_mask_in), ", but should be ", detail::shape_str({L, S}));
      attn_mask = attn_mask.unsqueeze(0);
    } else {
      SINTER_CHECK(attn_mask.dim() == 3 && attn_mask.size(0) == N * H && attn_mask.size(1) == L &&
                       attn_mask.size(2) == S,
                   ShapeError, kName, ": the 3-D attn_mask is ", shape_of(attn_mask_in), ", but should be ",
                   detail::shape_str({N * H, L, S}), attn_mask.dim() == 3 ? "" : " (attn_mask must be 2-D or 3-D)");
    }
  }

  // ---- input projections -------------------------------------------------------------------------
  Tensor q, k, v;
  if (_qkv_same_embed_dim) {
    Tensor b_q, b_k, b_v;
    if (in_proj_bias.defined()) {
      b_q = in_proj_bias.slice(0, 0, E);
      b_k = in_proj_bias.slice(0, E, 2 * E);
      b_v = in_proj_bias.slice(0, 2 * E);
    }
    if (self_attention) {
      auto qkv = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1);  // (L, N, 3E)
      q = qkv[0], k = qkv[1], v = qkv[2];
    } else {
      q = linear(query, in_proj_weight.slice(0, 0, E), b_q);
      k = linear(key, in_proj_weight.slice(0, E, 2 * E), b_k);
      v = linear(value, in_proj_weight.slice(0, 2 * E), b_v);
    }
  } else {
    Tensor b_q, b_k, b_v;
    if (in_proj_bias.defined()) {
      b_q = in_proj_bias.slice(0, 0, E);
      b_k = in_proj_bias.slice(0, E, 2 * E);
      b_v = in_proj_bias.slice(0, 2 * E);
    }
    q = linear(query, q_proj_weight, b_q);
    k = linear(key, k_proj_weight, b_k);
    v = linear(value, v_proj_weight, b_v);
  }

  if (bias_k.defined()) {
    k = cat({k, bias_k.expand({1, N, E})}, 0);
    v = cat({v, bias_v.expand({1, N, E})}, 0);
    if (attn_mask.defined()) attn_mask = pad_last(attn_mask);
    if (kpm.defined()) kpm = pad_last(kpm);
  }
  // (L, N, E) -> (N*H, L, head_dim)
  q = q.contiguous().view({L, N * H, head_dim}).transpose(0, 1);
  k = k.contiguous().view({k.size(0), N * H, head_dim}).transpose(0, 1);
  v = v.contiguous().view({v.size(0), N * H, head_dim}).transpose(0, 1);
  if (options.add_zero_attn()) {
    k = cat({k, zeros({N * H, 1, head_dim}, k.dtype())}, 1);
    v = cat({v, zeros({N * H, 1, head_dim}, v.dtype())}, 1);
    if (attn_mask.defined()) attn_mask = pad_last(attn_mask);
    if (kpm.defined()) kpm = pad_last(kpm);
  }
  const int64_t src_len = k.size(1);

  // ---- masks: one additive (1 or N*H, L or 1, src_len) bias ------------------------------------
  Tensor bias;
  if (attn_mask.defined()) bias = additive(attn_mask, q.dtype());
  if (kpm.defined()) {
    Tensor kb = additive(kpm, q.dtype()).view({N, 1, 1, src_len}).expand({N, H, 1, src_len}).reshape({N * H, 1, src_len});
    bias = bias.defined() ? bias + kb : kb;
  }

  // ---- attention ---------------------------------------------------------------------------------
  Tensor scores = bmm(q / std::sqrt(static_cast<double>(head_dim)), k.transpose(1, 2));  // (N*H, L, src_len)
  if (bias.defined()) scores = scores + bias;
  Tensor weights = softmax(scores, -1);
  if (is_training() && options.dropout() > 0) weights = dropout(weights, options.dropout(), true);
  Tensor out = bmm(weights, v);  // (N*H, L, head_dim)
  out = out.transpose(0, 1).contiguous().view({L * N, E});
  out = out_proj->forward(out).view({L, N, E});

  Tensor w;
  if (need_weights) {
    w = weights.view({N, H, L, src_len});
    if (average_attn_weights) w = w.sum({1}) / static_cast<double>(H);
  }
  if (!batched) {
    out = out.squeeze(1);
    if (w.defined()) w = w.squeeze(0);
  } else if (options.batch_first()) {
    out = out.transpose(0, 1);
  }
  return {out, w};
}

}  // namespace sinter::nn
