// MultiheadAttention against torch.nn.MultiheadAttention (PyTorch 1.13): same weights, outputs,
// attention weights and the gradients of inputs and every parameter.
#include <gtest/gtest.h>

#include <cmath>
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

/// (N, S) bool padding mask: the last `pad[n]` keys of batch n are padding (true).
Tensor padding_mask(int64_t N, int64_t S, const std::vector<int64_t>& pad) {
  Tensor pos = arange(S, kLong).unsqueeze(0).expand({N, S});
  std::vector<int64_t> lens;
  for (int64_t n = 0; n < N; ++n) lens.push_back(S - pad[static_cast<size_t>(n)]);
  return pos >= tensor(lens).unsqueeze(1);
}

std::string py_bool(bool b) { return b ? "True" : "False"; }

}  // namespace

TEST(NNMultiheadAttention, ParameterNamesShapesAndInit) {
  manual_seed(0);
  nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(16, 4));
  EXPECT_EQ(mha->named_parameters().keys(),
            (std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}));
  EXPECT_EQ(mha->in_proj_weight.sizes(), IntArrayRef({48, 16}));
  EXPECT_EQ(mha->head_dim, 4);
  EXPECT_TRUE(mha->in_proj_bias.eq(0).all().item<bool>());
  EXPECT_TRUE(mha->out_proj->bias.eq(0).all().item<bool>());
  // xavier_uniform_: U(-b, b) with b = sqrt(6 / (fan_in + fan_out)) = sqrt(6 / 64).
  const double b = std::sqrt(6.0 / 64.0);
  EXPECT_LE(mha->in_proj_weight.abs().max().item<double>(), b);
  EXPECT_GT(mha->in_proj_weight.abs().max().item<double>(), 0.9 * b);
  // out_proj keeps Linear's default U(-1/sqrt(16), 1/sqrt(16)).
  EXPECT_LE(mha->out_proj->weight.abs().max().item<double>(), 0.25);

  nn::MultiheadAttention sep(nn::MultiheadAttentionOptions(8, 2).kdim(6).vdim(5).add_bias_kv(true).bias(false));
  EXPECT_EQ(sep->named_parameters().keys(),
            (std::vector<std::string>{"q_proj_weight", "k_proj_weight", "v_proj_weight", "bias_k", "bias_v",
                                      "out_proj.weight"}));
  EXPECT_EQ(sep->k_proj_weight.sizes(), IntArrayRef({8, 6}));
  EXPECT_EQ(sep->v_proj_weight.sizes(), IntArrayRef({8, 5}));
  EXPECT_EQ(sep->bias_k.sizes(), IntArrayRef({1, 1, 8}));
  EXPECT_FALSE(sep->in_proj_weight.defined());
}

TEST(NNMultiheadAttention, SelfAttentionWithMasksMatchesTorch) {
  for (bool batch_first : {false, true}) {
    for (bool average : {true, false}) {
      SCOPED_TRACE("batch_first=" + py_bool(batch_first) + " average=" + py_bool(average));
      manual_seed(1);
      const int64_t L = 5, N = 3, E = 8, H = 2;
      nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(E, H).batch_first(batch_first));
      {  // non-zero biases, so that their gradients and values matter
        NoGradGuard g;
        mha->in_proj_bias.uniform_(-0.5, 0.5);
        mha->out_proj->bias.uniform_(-0.5, 0.5);
      }
      Tensor x = batch_first ? randn({N, L, E}) : randn({L, N, E});
      Tensor kpm = padding_mask(N, L, {0, 2, 1});
      Tensor causal = nn::generate_square_subsequent_mask(L);
      auto leaves = make_leaves({x, kpm, causal}, {true, false, false});
      auto [out, w] = mha(leaves[0], leaves[0], leaves[0], leaves[1], true, leaves[2], average);
      EXPECT_EQ(out.sizes(), batch_first ? IntArrayRef({N, L, E}) : IntArrayRef({L, N, E}));
      EXPECT_EQ(w.sizes(), average ? IntArrayRef({N, L, L}) : IntArrayRef({N, H, L, L}));
      ModuleCase c{"nn.MultiheadAttention(8, 2, batch_first=" + py_bool(batch_first) + ")",
                   "m(x0, x0, x0, key_padding_mask=x1, attn_mask=x2, average_attn_weights=" + py_bool(average) + ")"};
      compare_with_torch(*mha, c, leaves, {true, false, false}, {out, w}, randn_like_all({out, w}), 2e-5, 2e-5);
    }
  }
}

TEST(NNMultiheadAttention, CrossAttentionSeparateProjectionsFloat64) {
  // kdim/vdim differ from embed_dim, bias_k/bias_v, a zero attention slot; float64 with a tight
  // tolerance.
  manual_seed(2);
  const int64_t L = 4, S = 6, N = 2, E = 6, H = 3;
  nn::MultiheadAttention mha(
      nn::MultiheadAttentionOptions(E, H).kdim(5).vdim(7).add_bias_kv(true).add_zero_attn(true));
  mha->to(kDouble);
  {
    NoGradGuard g;
    mha->in_proj_bias.uniform_(-0.5, 0.5);
  }
  Tensor q = randn({L, N, E}, kDouble), k = randn({S, N, 5}, kDouble), v = randn({S, N, 7}, kDouble);
  Tensor mask3 = rand({N * H, L, S}, kDouble) > 0.7;  // true = may not attend (the extra slots stay open)
  Tensor kpm = rand({N, S}, kDouble) > 0.6;
  {  // a 3-D bool attn_mask with a bool key_padding_mask
    auto leaves = make_leaves({q, k, v, kpm, mask3}, {true, true, true, false, false});
    auto [out, w] = mha(leaves[0], leaves[1], leaves[2], leaves[3], true, leaves[4]);
    EXPECT_EQ(w.sizes(), IntArrayRef({N, L, S + 2}));
    ModuleCase c{"nn.MultiheadAttention(6, 3, kdim=5, vdim=7, add_bias_kv=True, add_zero_attn=True)",
                 "m(x0, x1, x2, key_padding_mask=x3, attn_mask=x4)"};
    compare_with_torch(*mha, c, leaves, {true, true, true, false, false}, {out, w}, randn_like_all({out, w}),
                       1e-10, 1e-10);
  }
  {  // a float key_padding_mask is added to the scores
    auto leaves = make_leaves({q, k, v, randn({N, S}, kDouble)}, {true, true, true, false});
    auto [out, w] = mha(leaves[0], leaves[1], leaves[2], leaves[3], true, Tensor(), false);
    EXPECT_EQ(w.sizes(), IntArrayRef({N, H, L, S + 2}));
    ModuleCase c{"nn.MultiheadAttention(6, 3, kdim=5, vdim=7, add_bias_kv=True, add_zero_attn=True)",
                 "m(x0, x1, x2, key_padding_mask=x3, average_attn_weights=False)"};
    compare_with_torch(*mha, c, leaves, {true, true, true, false}, {out, w}, randn_like_all({out, w}), 1e-10,
                       1e-10);
  }
}

TEST(NNMultiheadAttention, PackedCrossAttentionAndNoWeights) {
  // Same embed dims but distinct key/value tensors (in_proj_weight used in three slices); no bias;
  // need_weights=false gives an undefined weights tensor, as torch's None.
  manual_seed(3);
  const int64_t L = 3, S = 4, N = 2, E = 8;
  nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(E, 4).bias(false).batch_first(true));
  Tensor q = randn({N, L, E}), k = randn({N, S, E}), v = randn({N, S, E});
  Tensor mask = randn({L, S});
  auto leaves = make_leaves({q, k, v, mask}, {true, true, true, false});
  auto [out, w] = mha(leaves[0], leaves[1], leaves[2], Tensor(), false, leaves[3]);
  EXPECT_FALSE(w.defined());
  ModuleCase c{"nn.MultiheadAttention(8, 4, bias=False, batch_first=True)",
               "m(x0, x1, x2, need_weights=False, attn_mask=x3)"};
  compare_with_torch(*mha, c, leaves, {true, true, true, false}, {out, w}, {randn(out.sizes()), Tensor()}, 2e-5,
                     2e-5);
}

TEST(NNMultiheadAttention, UnbatchedInput) {
  manual_seed(4);
  nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(4, 2));
  Tensor x = randn({5, 4});
  Tensor kpm = tensor({false, false, true, false, true});
  auto leaves = make_leaves({x, kpm}, {true, false});
  auto [out, w] = mha(leaves[0], leaves[0], leaves[0], leaves[1]);
  EXPECT_EQ(out.sizes(), IntArrayRef({5, 4}));
  EXPECT_EQ(w.sizes(), IntArrayRef({5, 5}));
  ModuleCase c{"nn.MultiheadAttention(4, 2)", "m(x0, x0, x0, key_padding_mask=x1)"};
  compare_with_torch(*mha, c, leaves, {true, false}, {out, w}, randn_like_all({out, w}), 2e-5, 2e-5);
}

TEST(NNMultiheadAttention, EvalIgnoresDropoutTrainingAppliesIt) {
  manual_seed(5);
  nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(8, 2).dropout(0.5));
  Tensor x = randn({4, 2, 8});
  mha->train();
  auto [t1, tw1] = mha(x, x, x);
  auto [t2, tw2] = mha(x, x, x);
  EXPECT_FALSE(tw1.allclose(tw2));  // a fresh dropout mask each call
  mha->eval();
  auto [e1, ew1] = mha(x, x, x);
  auto [e2, ew2] = mha(x, x, x);
  EXPECT_TRUE(e1.equal(e2));
  EXPECT_TRUE(ew1.equal(ew2));
  auto leaves = make_leaves({x}, {true});
  auto [out, w] = mha(leaves[0], leaves[0], leaves[0]);
  ModuleCase c{"nn.MultiheadAttention(8, 2, dropout=0.5)", "m(x0, x0, x0)"};
  compare_with_torch(*mha, c, leaves, {true}, {out, w}, randn_like_all({out, w}), 2e-5, 2e-5);
}

TEST(NNMultiheadAttention, Errors) {
  auto expect_msg = [](auto&& fn, const std::vector<std::string>& parts) {
    try {
      fn();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
  };
  EXPECT_THROW(nn::MultiheadAttention(nn::MultiheadAttentionOptions(10, 3)), ValueError);
  expect_msg([] { nn::MultiheadAttention(nn::MultiheadAttentionOptions(10, 3)); },
             {"MultiheadAttention", "divisible", "10", "3"});
  nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(8, 2));
  Tensor bad = randn({5, 2, 7});
  EXPECT_THROW(mha(bad, bad, bad), ShapeError);
  expect_msg([&] { mha(bad, bad, bad); }, {"MultiheadAttention", "(5, 2, 7)", "8"});
  Tensor x = randn({5, 2, 8});
  EXPECT_THROW(mha(x, x, x, Tensor(), true, zeros({5, 4})), ShapeError);
  expect_msg([&] { mha(x, x, x, Tensor(), true, zeros({5, 4})); }, {"attn_mask", "(5, 4)", "(5, 5)"});
  EXPECT_THROW(mha(x, x, x, zeros({5, 2}, kBool)), ShapeError);
  expect_msg([&] { mha(x, x, x, zeros({5, 2}, kBool)); }, {"key_padding_mask", "(2, 5)", "(5, 2)"});
  EXPECT_THROW(mha(x, randn({4, 3, 8}), randn({4, 3, 8})), ShapeError);
  EXPECT_THROW(mha(x, x, x, zeros({2, 5}, kLong)), DTypeError);
  EXPECT_THROW(mha(x.to(kDouble), x.to(kDouble), x.to(kDouble)), DTypeError);
  EXPECT_THROW(mha(randn({8}), randn({8}), randn({8})), ShapeError);
}
