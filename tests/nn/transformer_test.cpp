// TransformerEncoderLayer and TransformerEncoder against PyTorch 1.13: names, outputs and the
// gradients of inputs and every parameter.
#include <gtest/gtest.h>

#include <string>

#include "module_ref.h"
#include "sinter/nn.h"
#include "sinter/sinter.h"

using namespace sinter;
using sinter::testing::compare_with_torch;
using sinter::testing::make_leaves;
using sinter::testing::ModuleCase;
using sinter::testing::randn_like_all;

namespace {
std::string py_bool(bool b) { return b ? "True" : "False"; }

Tensor padding_mask(int64_t N, int64_t S, const std::vector<int64_t>& pad) {
  Tensor pos = arange(S, kLong).unsqueeze(0).expand({N, S});
  std::vector<int64_t> lens;
  for (int64_t n = 0; n < N; ++n) lens.push_back(S - pad[static_cast<size_t>(n)]);
  return pos >= tensor(lens).unsqueeze(1);
}

/// Moves every parameter away from its initial value (LayerNorm's ones and zeros, zero biases).
void perturb(nn::Module& m, double scale = 0.1) {
  NoGradGuard g;
  for (auto& p : m.parameters()) p.add_(randn(p.sizes(), p.dtype()) * scale);
}
}  // namespace

TEST(NNTransformerEncoderLayer, NamesAndStructure) {
  nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(8, 2).dim_feedforward(16));
  EXPECT_EQ(layer->named_parameters().keys(),
            (std::vector<std::string>{"self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                                      "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
                                      "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"}));
  EXPECT_EQ(layer->named_children().keys(),
            (std::vector<std::string>{"self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1",
                                      "dropout2"}));
  EXPECT_EQ(layer->options.dropout(), 0.1);
  EXPECT_EQ(layer->options.activation().name(), "relu");
  EXPECT_THROW(nn::TransformerEncoderLayerOptions(8, 2).activation("swish"), ValueError);
  EXPECT_THROW(nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(8, 3)), ValueError);
}

TEST(NNTransformerEncoderLayer, MatchesTorchWithMasks) {
  // post-norm / pre-norm, relu / gelu, seq-first / batch-first; a causal float mask and a bool
  // key padding mask.
  int variant = 0;
  for (bool batch_first : {false, true}) {
    for (bool norm_first : {false, true}) {
      const bool gelu_act = (variant++ % 2) == 1;
      SCOPED_TRACE("batch_first=" + py_bool(batch_first) + " norm_first=" + py_bool(norm_first));
      manual_seed(10 + variant);
      const int64_t S = 5, N = 3, E = 8;
      nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(E, 2)
                                            .dim_feedforward(16)
                                            .dropout(0.0)
                                            .activation(gelu_act ? nn::TransformerActivation("gelu") : "relu")
                                            .layer_norm_eps(1e-6)
                                            .batch_first(batch_first)
                                            .norm_first(norm_first));
      perturb(*layer);
      Tensor x = batch_first ? randn({N, S, E}) : randn({S, N, E});
      auto leaves = make_leaves({x, nn::generate_square_subsequent_mask(S), padding_mask(N, S, {1, 0, 2})},
                                {true, false, false});
      Tensor y = layer(leaves[0], leaves[1], leaves[2]);
      ModuleCase c{"nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation='" +
                       std::string(gelu_act ? "gelu" : "relu") + "', layer_norm_eps=1e-6, batch_first=" +
                       py_bool(batch_first) + ", norm_first=" + py_bool(norm_first) + ")",
                   "m(x0, src_mask=x1, src_key_padding_mask=x2)"};
      compare_with_torch(*layer, c, leaves, {true, false, false}, {y}, randn_like_all({y}), 3e-5, 3e-5);
    }
  }
}

TEST(NNTransformerEncoderLayer, IsCausalAndCustomActivationFloat64) {
  manual_seed(20);
  const int64_t S = 6, N = 2, E = 4;
  nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(E, 2).dim_feedforward(8).dropout(0.0).activation(
      [](const Tensor& t) { return silu(t); }));
  layer->to(kDouble);
  perturb(*layer);
  Tensor x = randn({S, N, E}, kDouble);
  Tensor causal = nn::generate_square_subsequent_mask(S, kDouble);
  // is_causal without a mask builds the causal mask.
  EXPECT_TRUE(layer(x, Tensor(), Tensor(), true).allclose(layer(x, causal), 0, 0));
  EXPECT_FALSE(layer(x).allclose(layer(x, causal)));
  auto leaves = make_leaves({x, causal}, {true, false});
  Tensor y = layer->forward(leaves[0], Tensor(), Tensor(), /*is_causal=*/true);
  ModuleCase c{"nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, activation=F.silu)",
               "m(x0, src_mask=x1)"};
  compare_with_torch(*layer, c, leaves, {true, false}, {y}, randn_like_all({y}), 1e-10, 1e-10);
}

TEST(NNTransformerEncoderLayer, EvalWithDropoutIsDeterministicAndMatchesTorch) {
  manual_seed(21);
  nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(8, 2).dim_feedforward(16).dropout(0.3));
  perturb(*layer);
  Tensor x = randn({4, 2, 8});
  layer->train();
  EXPECT_FALSE(layer(x).allclose(layer(x)));
  layer->eval();
  EXPECT_TRUE(layer(x).equal(layer(x)));
  auto leaves = make_leaves({x}, {true});
  Tensor y = layer(leaves[0]);
  ModuleCase c{"nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.3)", "m(x0)"};
  compare_with_torch(*layer, c, leaves, {true}, {y}, randn_like_all({y}), 3e-5, 3e-5);
}

TEST(NNTransformerEncoder, DeepCopiesNamesAndTorch) {
  manual_seed(30);
  const int64_t S = 5, N = 2, E = 8;
  nn::TransformerEncoderLayer proto(nn::TransformerEncoderLayerOptions(E, 2).dim_feedforward(16).dropout(0.0));
  nn::TransformerEncoder enc(
      nn::TransformerEncoderOptions(proto, 2).norm(nn::AnyModule(nn::LayerNorm(nn::LayerNormOptions({E})))));
  auto keys = enc->named_parameters().keys();
  ASSERT_EQ(keys.size(), 2u * 12u + 2u);
  EXPECT_EQ(keys[0], "layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(keys[12], "layers.1.self_attn.in_proj_weight");
  EXPECT_EQ(keys[24], "norm.weight");
  // The layers are copies with the prototype's values, sharing no storage.
  auto l0 = enc->layers->ptr<nn::TransformerEncoderLayerImpl>(0);
  auto l1 = enc->layers->ptr<nn::TransformerEncoderLayerImpl>(1);
  EXPECT_TRUE(l0->self_attn->in_proj_weight.equal(proto->self_attn->in_proj_weight));
  EXPECT_TRUE(l1->linear1->weight.equal(proto->linear1->weight));
  EXPECT_FALSE(l0->self_attn->in_proj_weight.is_same(proto->self_attn->in_proj_weight));
  {
    NoGradGuard g;
    l0->linear1->weight.add_(1.0);
  }
  EXPECT_FALSE(l1->linear1->weight.equal(l0->linear1->weight));
  EXPECT_FALSE(proto->linear1->weight.equal(l0->linear1->weight));
  EXPECT_TRUE(l0->linear1->weight.requires_grad());

  perturb(*enc);
  Tensor x = randn({S, N, E});
  auto leaves = make_leaves({x, nn::generate_square_subsequent_mask(S), padding_mask(N, S, {2, 0})},
                            {true, false, false});
  Tensor y = enc(leaves[0], leaves[1], leaves[2]);
  ModuleCase c{"nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), 2, "
               "norm=nn.LayerNorm(8))",
               "m(x0, mask=x1, src_key_padding_mask=x2)"};
  compare_with_torch(*enc, c, leaves, {true, false, false}, {y}, randn_like_all({y}), 3e-5, 3e-5);
}

TEST(NNTransformerEncoder, Errors) {
  nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(8, 2).dim_feedforward(16));
  Tensor bad = randn({5, 2, 6});
  EXPECT_THROW(layer(bad), ShapeError);
  try {
    layer(bad);
  } catch (const ShapeError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("TransformerEncoderLayer"), std::string::npos) << m;
    EXPECT_NE(m.find("(5, 2, 6)"), std::string::npos) << m;
  }
  Tensor x = randn({5, 2, 8});
  EXPECT_THROW(layer(x, zeros({4, 4})), ShapeError);
  nn::TransformerEncoder enc(layer, 2);
  EXPECT_THROW(enc(bad), ShapeError);
  EXPECT_EQ(enc(x).sizes(), IntArrayRef({5, 2, 8}));
}

// The LibTorch spellings through <sinter/torch.h>.
#include <sinter/torch.h>

TEST(NNSequenceTorchNames, LibTorchSpellings) {
  torch::manual_seed(0);
  torch::nn::TransformerEncoderLayer layer(
      torch::nn::TransformerEncoderLayerOptions(8, 2).dim_feedforward(16).activation(torch::kGELU));
  EXPECT_EQ(layer->options.activation().name(), "gelu");
  torch::nn::TransformerEncoder enc(layer, 2);
  torch::Tensor x = torch::randn({5, 2, 8});
  EXPECT_EQ(enc(x).sizes(), torch::IntArrayRef({5, 2, 8}));
  torch::nn::MultiheadAttention mha(torch::nn::MultiheadAttentionOptions(8, 2));
  std::tuple<torch::Tensor, torch::Tensor> att = mha(x, x, x);
  EXPECT_EQ(std::get<1>(att).sizes(), torch::IntArrayRef({2, 5, 5}));
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(8, 4).num_layers(2));
  std::tuple<torch::Tensor, std::tuple<torch::Tensor, torch::Tensor>> r = lstm->forward(x);
  EXPECT_EQ(std::get<0>(std::get<1>(r)).sizes(), torch::IntArrayRef({2, 2, 4}));
  torch::nn::GRU gru(torch::nn::GRUOptions(8, 4));
  EXPECT_EQ(std::get<0>(gru(x)).sizes(), torch::IntArrayRef({5, 2, 4}));
  torch::nn::RNN rnn(torch::nn::RNNOptions(8, 4).nonlinearity(torch::kReLU));
  EXPECT_EQ(rnn->options_base.mode, "RNN_RELU");
}
