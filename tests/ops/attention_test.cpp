// Records for scaled_dot_product_attention (torch 2.x semantics, reference written out in Python).
#include <cmath>

#include "op_record.h"

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::tensors_close;

namespace {

// torch 1.13 has no F.scaled_dot_product_attention: the math of torch 2.x's, in float64 for
// bfloat16 and float16 inputs (so the reference is the exact result rounded once).
const std::string kSdpa =
    "def sdpa(q, k, v, m=None, causal=False, scale=None):\n"
    "    dt = q.dtype\n"
    "    if dt in (torch.bfloat16, torch.float16):\n"
    "        q, k, v = q.double(), k.double(), v.double()\n"
    "        m = m.double() if m is not None and m.dtype != torch.bool else m\n"
    "    L, S = q.size(-2), k.size(-2)\n"
    "    sf = 1 / math.sqrt(q.size(-1)) if scale is None else scale\n"
    "    a = q @ k.transpose(-2, -1) * sf\n"
    "    if causal:\n"
    "        a = a.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float('-inf'))\n"
    "    if m is not None:\n"
    "        if m.dtype == torch.bool:\n"
    "            m = torch.zeros(m.shape, dtype=a.dtype).masked_fill(~m, float('-inf'))\n"
    "        a = a + m\n"
    "    return (torch.softmax(a, -1) @ v).to(dt)\n";

/// A boolean mask where every query row may attend to at least one key (column 0).
Tensor bool_mask(IntArrayRef shape) {
  Tensor m = make_tensor(shape, kBool);
  NoGradGuard g;
  m.select(-1, 0).fill_(true);
  return m;
}

struct Cfg {
  std::string desc;
  bool causal = false;
  std::optional<double> scale;
  int mask = 0;  // 0 none, 1 bool, 2 float
};

}  // namespace

TEST(AttentionOps, ScaledDotProductAttention) {
  std::vector<Cfg> cfgs = {{"plain", false, std::nullopt, 0}, {"causal", true, std::nullopt, 0},
                           {"scale", false, 0.3, 0}, {"bool mask", false, std::nullopt, 1},
                           {"float mask", false, std::nullopt, 2}};
  for (const auto& cfg : cfgs) {
    OpRecord r;
    r.stmt = kSdpa;
    r.torch = std::string("sdpa(a0, a1, a2, a3, ") + (cfg.causal ? "True" : "False") + ", " +
              (cfg.scale ? "0.3" : "None") + ")";
    r.fn = [cfg](const TensorList& x) {
      return TensorList{scaled_dot_product_attention(x[0], x[1], x[2], x[3], 0.0, cfg.causal, cfg.scale)};
    };
    r.samples = [cfg](DType d) {
      // (q shape, k shape, v shape, mask shape); masks broadcast against (..., L, S).
      struct S {
        DimVector q, k, v, m;
        std::string desc;
      };
      std::vector<S> shapes = {
          {{2, 3, 4, 8}, {2, 3, 5, 8}, {2, 3, 5, 6}, {4, 5}, "4-D, L != S"},
          {{2, 5, 8}, {2, 5, 8}, {2, 5, 8}, {2, 5, 5}, "3-D, L == S"},
          {{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 2}, {1, 1, 3, 3}, "small"},
          {{2, 2, 3, 4}, {1, 2, 5, 4}, {1, 2, 5, 3}, {2, 1, 3, 5}, "broadcast batch"},
          {{5, 16}, {6, 16}, {6, 16}, {5, 6}, "2-D"},
      };
      std::vector<OpSample> s;
      for (auto& sh : shapes) {
        Tensor m;
        if (cfg.mask == 1) m = bool_mask(sh.m);
        if (cfg.mask == 2) m = make_tensor(sh.m, d, -2, 2);
        s.push_back({{make_tensor(sh.q, d, -1, 1), make_tensor(sh.k, d, -1, 1), make_tensor(sh.v, d), m}, sh.desc});
      }
      // Non-contiguous query/key (a head/sequence transpose, as multi-head attention makes).
      Tensor q = make_tensor({2, 4, 3, 8}, d, -1, 1).transpose(1, 2), k = make_tensor({2, 5, 3, 8}, d, -1, 1).transpose(1, 2);
      Tensor m;
      if (cfg.mask == 1) m = bool_mask({4, 5});
      if (cfg.mask == 2) m = make_tensor({4, 5}, d, -2, 2);
      s.push_back({{q, k, make_tensor({2, 3, 5, 6}, d), m}, "non-contiguous"});
      return s;
    };
    r.dtypes = {kFloat, kDouble, kBFloat16, kHalf};
    r.grad_inputs = {0, 1, 2, 3};
    // Second order once, where every input (the float mask too) is differentiable.
    r.gradgradcheck = cfg.mask == 2;
    r.errors = {
        expect_error<ShapeError>("embedding size mismatch",
                                 [] { scaled_dot_product_attention(ones({2, 4, 8}, kFloat), ones({2, 5, 7}, kFloat), ones({2, 5, 7}, kFloat)); },
                                 "scaled_dot_product_attention: query (2, 4, 8) and key (2, 5, 7) must have the same embedding size"),
        expect_error<ShapeError>("key/value length mismatch",
                                 [] { scaled_dot_product_attention(ones({2, 4, 8}, kFloat), ones({2, 5, 8}, kFloat), ones({2, 6, 8}, kFloat)); },
                                 "scaled_dot_product_attention: key (2, 5, 8) and value (2, 6, 8)"),
        expect_error<DTypeError>("dtype mismatch",
                                 [] { scaled_dot_product_attention(ones({4, 8}, kFloat), ones({4, 8}, kDouble), ones({4, 8}, kFloat)); },
                                 "scaled_dot_product_attention: expected query, key and value to have the same dtype"),
        expect_error<ShapeError>("mask not broadcastable",
                                 [] {
                                   scaled_dot_product_attention(ones({2, 4, 8}, kFloat), ones({2, 5, 8}, kFloat),
                                                                ones({2, 5, 8}, kFloat), zeros({4, 4}, kBool));
                                 },
                                 "scaled_dot_product_attention: attn_mask of shape (4, 4) cannot be broadcast"),
        expect_error<ValueError>("mask and is_causal",
                                 [] {
                                   scaled_dot_product_attention(ones({4, 8}, kFloat), ones({4, 8}, kFloat), ones({4, 8}, kFloat),
                                                                zeros({4, 4}, kBool), 0.0, true);
                                 },
                                 "scaled_dot_product_attention: explicit attn_mask should not be set when is_causal"),
        expect_error<ShapeError>("1-D query",
                                 [] { scaled_dot_product_attention(ones({8}, kFloat), ones({4, 8}, kFloat), ones({4, 8}, kFloat)); },
                                 "scaled_dot_product_attention"),
        expect_error<DTypeError>("int64 inputs",
                                 [] { scaled_dot_product_attention(ones({4, 8}, kLong), ones({4, 8}, kLong), ones({4, 8}, kLong)); },
                                 "scaled_dot_product_attention"),
        expect_error<ValueError>("dropout_p > 1",
                                 [] { scaled_dot_product_attention(ones({4, 8}, kFloat), ones({4, 8}, kFloat), ones({4, 8}, kFloat), {}, 1.5); },
                                 "scaled_dot_product_attention: dropout_p"),
    };
    sinter::testing::check_record(r);
  }
}

TEST(AttentionOps, CausalMaskIgnoresFutureKeys) {
  // Changing key/value at position j > i must not change output row i.
  Tensor q = make_tensor({1, 5, 4}, kDouble), k = make_tensor({1, 5, 4}, kDouble), v = make_tensor({1, 5, 3}, kDouble);
  Tensor y = scaled_dot_product_attention(q, k, v, {}, 0.0, true);
  Tensor k2 = k.clone(), v2 = v.clone();
  {
    NoGradGuard g;
    k2.select(1, 4).fill_(10.0);
    v2.select(1, 4).fill_(-10.0);
  }
  Tensor y2 = scaled_dot_product_attention(q, k2, v2, {}, 0.0, true);
  EXPECT_TRUE(tensors_close(y.slice(1, 0, 4), y2.slice(1, 0, 4), 0, 0));
  EXPECT_FALSE(tensors_close(y.select(1, 4), y2.select(1, 4), 1e-3, 1e-3));
  // Row 0 attends only to key 0: its output is value row 0.
  EXPECT_TRUE(tensors_close(y.select(1, 0), v.select(1, 0), 1e-12, 1e-12));
}

TEST(AttentionOps, DropoutUsesTheSeededGenerator) {
  Tensor q = make_tensor({2, 4, 8}, kDouble), k = make_tensor({2, 6, 8}, kDouble), v = make_tensor({2, 6, 5}, kDouble);
  manual_seed(21);
  Tensor y = scaled_dot_product_attention(q, k, v, {}, 0.5);
  manual_seed(21);
  Tensor attn = softmax(matmul(q, k.transpose(-2, -1)) / std::sqrt(8.0), -1);
  Tensor expected = matmul(dropout(attn, 0.5, true), v);
  EXPECT_TRUE(tensors_close(y, expected, 1e-12, 1e-12));
  EXPECT_FALSE(tensors_close(y, matmul(attn, v), 1e-3, 1e-3));
  // Every weight dropped: zeros.
  EXPECT_EQ(scaled_dot_product_attention(q, k, v, {}, 1.0).abs().sum().item<double>(), 0.0);
  // With the seed fixed inside the function, gradients check against finite differences.
  auto fn = [](const TensorList& t) {
    manual_seed(3);
    return TensorList{scaled_dot_product_attention(t[0], t[1], t[2], {}, 0.3)};
  };
  Tensor qs = make_tensor({2, 3, 4}, kDouble).requires_grad_(true), ks = make_tensor({2, 3, 4}, kDouble).requires_grad_(true),
         vs = make_tensor({2, 3, 2}, kDouble).requires_grad_(true);
  EXPECT_TRUE(gradcheck(fn, {qs, ks, vs}));
}
