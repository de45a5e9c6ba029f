// TransformerEncoderLayer and TransformerEncoder: PyTorch 1.13's Python path (_sa_block,
// _ff_block), composed from the nn modules.
#include "sinter/nn/transformer.h"

#include <limits>

#include "sinter/autograd.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/shape.h"
#include "sinter/ops/unary.h"

namespace sinter::nn {

namespace {
std::string shape_of(const Tensor& t) { return t.defined() ? detail::shape_str(t.sizes()) : "(undefined)"; }
}  // namespace

// ---- TransformerActivation ---------------------------------------------------------------------

TransformerActivation::TransformerActivation(const ModeName& name) : name_(name.str()) {
  if (name == "relu")
    fn_ = [](const Tensor& x) { return relu(x); };
  else if (name == "gelu")
    fn_ = [](const Tensor& x) { return gelu(x); };
  else
    throw ValueError(sinter::detail::str_cat("TransformerEncoderLayer: activation should be relu/gelu, not ",
                                             name.str()));
}

TransformerActivation::TransformerActivation(Function fn) : fn_(std::move(fn)) {
  SINTER_CHECK(fn_ != nullptr, ValueError, "TransformerEncoderLayer: activation function is empty");
}

// ---- TransformerEncoderLayer -------------------------------------------------------------------

TransformerEncoderLayerImpl::TransformerEncoderLayerImpl(const TransformerEncoderLayerOptions& options_)
    : Module("TransformerEncoderLayer"), options(options_) {
  const int64_t E = options.d_model();
  SINTER_CHECK(E > 0 && options.nhead() > 0 && options.dim_feedforward() > 0, ValueError,
               "TransformerEncoderLayer: d_model, nhead and dim_feedforward must be positive, got d_model=", E,
               ", nhead=", options.nhead(), ", dim_feedforward=", options.dim_feedforward());
  self_attn = register_module(
      "self_attn", MultiheadAttention(MultiheadAttentionOptions(E, options.nhead())
                                          .dropout(options.dropout())
                                          .batch_first(options.batch_first())));
  linear1 = register_module("linear1", Linear(E, options.dim_feedforward()));
  dropout = register_module("dropout", Dropout(DropoutOptions(options.dropout())));
  linear2 = register_module("linear2", Linear(options.dim_feedforward(), E));
  norm1 = register_module("norm1", LayerNorm(LayerNormOptions({E}).eps(options.layer_norm_eps())));
  norm2 = register_module("norm2", LayerNorm(LayerNormOptions({E}).eps(options.layer_norm_eps())));
  dropout1 = register_module("dropout1", Dropout(DropoutOptions(options.dropout())));
  dropout2 = register_module("dropout2", Dropout(DropoutOptions(options.dropout())));
}

void TransformerEncoderLayerImpl::reset_parameters() {
  self_attn->reset_parameters();
  linear1->reset_parameters();
  linear2->reset_parameters();
  norm1->reset_parameters();
  norm2->reset_parameters();
}

std::shared_ptr<TransformerEncoderLayerImpl> TransformerEncoderLayerImpl::clone() const {
  auto copy = std::make_shared<TransformerEncoderLayerImpl>(options);
  const DType dt = self_attn->out_proj->weight.dtype();
  if (dt != copy->self_attn->out_proj->weight.dtype()) copy->to(dt);
  copy->load_state_dict(state_dict());
  const auto src = parameters(), dst = copy->parameters();
  for (size_t i = 0; i < src.size(); ++i) {
    Tensor d = dst[i];
    d.requires_grad_(src[i].requires_grad());
  }
  copy->train(is_training());
  return copy;
}

Tensor TransformerEncoderLayerImpl::forward(const Tensor& src, const Tensor& src_mask,
                                            const Tensor& src_key_padding_mask, bool is_causal) {
  const int64_t E = options.d_model();
  SINTER_CHECK(src.defined() && (src.dim() == 2 || src.dim() == 3) && src.size(-1) == E, ShapeError,
               "TransformerEncoderLayer: src ", shape_of(src), " does not match d_model ", E,
               " (expected ", options.batch_first() ? "(N, S, E)" : "(S, N, E)", " or (S, E))");
  Tensor mask = src_mask;
  if (is_causal && !mask.defined()) {
    const int64_t S = src.dim() == 3 && options.batch_first() ? src.size(1) : src.size(0);
    mask = generate_square_subsequent_mask(S, src.dtype());
  }
  auto sa_block = [&](const Tensor& x) {
    return dropout1->forward(std::get<0>(self_attn->forward(x, x, x, src_key_padding_mask, false, mask)));
  };
  auto ff_block = [&](const Tensor& x) {
    return dropout2->forward(linear2->forward(dropout->forward(options.activation()(linear1->forward(x)))));
  };
  Tensor x = src;
  if (options.norm_first()) {
    x = x + sa_block(norm1->forward(x));
    x = x + ff_block(norm2->forward(x));
  } else {
    x = norm1->forward(x + sa_block(x));
    x = norm2->forward(x + ff_block(x));
  }
  return x;
}

// ---- TransformerEncoder ------------------------------------------------------------------------

TransformerEncoderImpl::TransformerEncoderImpl(const TransformerEncoderOptions& options_)
    : Module("TransformerEncoder"), options(options_) {
  SINTER_CHECK(!options.encoder_layer().is_empty(), ValueError, "TransformerEncoder: encoder_layer is empty");
  SINTER_CHECK(options.num_layers() >= 0, ValueError, "TransformerEncoder: num_layers must be non-negative, got ",
               options.num_layers());
  layers = register_module("layers", ModuleList());
  for (int64_t i = 0; i < options.num_layers(); ++i) layers->push_back(options.encoder_layer()->clone());
  if (!options.norm().is_empty()) {
    norm = options.norm();
    register_module("norm", norm.ptr());
  }
}

void TransformerEncoderImpl::reset_parameters() {
  for (const auto& l : *layers) std::dynamic_pointer_cast<TransformerEncoderLayerImpl>(l)->reset_parameters();
  if (!norm.is_empty())
    if (auto ln = std::dynamic_pointer_cast<LayerNormImpl>(norm.ptr())) ln->reset_parameters();
}

Tensor TransformerEncoderImpl::forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask,
                                       bool is_causal) {
  Tensor x = src;
  for (const auto& l : *layers)
    x = std::static_pointer_cast<TransformerEncoderLayerImpl>(l)->forward(x, mask, src_key_padding_mask, is_causal);
  if (!norm.is_empty()) x = norm.forward(x);
  return x;
}

Tensor generate_square_subsequent_mask(int64_t sz, DType dtype) {
  SINTER_CHECK(sz >= 0, ValueError, "generate_square_subsequent_mask: size must be non-negative, got ", sz);
  Tensor above = arange(sz, kLong).unsqueeze(0) > arange(sz, kLong).unsqueeze(1);  // column > row
  return zeros({sz, sz}, dtype).masked_fill(above, -std::numeric_limits<double>::infinity());
}

}  // namespace sinter::nn
