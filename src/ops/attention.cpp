// scaled_dot_product_attention, composed from matmul, softmax and dropout:
//   softmax(q @ k^T * scale + bias) @ v
// where bias is -inf outside the causal triangle (is_causal) and where a boolean attn_mask is
// false, or a float attn_mask added as is. Gradients come from the composing ops. float16 and
// bfloat16 inputs compute in float32.
#include <cmath>
#include <limits>

#include "ops/registry.h"
#include "sinter/ops/binary.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/index.h"
#include "sinter/ops/linalg.h"
#include "sinter/ops/nn.h"
#include "sinter/ops/unary.h"

namespace sinter {

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

/// An additive (0 / -inf) bias in dtype d from a boolean "may attend" mask.
Tensor additive_mask(const Tensor& allowed, DType d) {
  return zeros(allowed.sizes(), d).masked_fill(logical_not(allowed), -std::numeric_limits<double>::infinity());
}

void check_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double dropout_p,
                  bool is_causal) {
  SINTER_CHECK(q.defined() && k.defined() && v.defined(), ValueError, kOp, ": query, key and value must be defined");
  SINTER_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, ShapeError, kOp,
               ": expected query, key and value with at least 2 dims (..., L, E), got query ", shape_str(q.sizes()),
               ", key ", shape_str(k.sizes()), ", value ", shape_str(v.sizes()));
  SINTER_CHECK(is_floating_point(q.dtype()), DTypeError, kOp, ": expected floating point query, got dtype ",
               dtype_name(q.dtype()));
  SINTER_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(), DTypeError, kOp,
               ": expected query, key and value to have the same dtype, but got query.dtype: ", dtype_name(q.dtype()),
               ", key.dtype: ", dtype_name(k.dtype()), " and value.dtype: ", dtype_name(v.dtype()));
  SINTER_CHECK(q.size(-1) == k.size(-1), ShapeError, kOp, ": query ", shape_str(q.sizes()), " and key ",
               shape_str(k.sizes()), " must have the same embedding size (last dim)");
  SINTER_CHECK(k.size(-2) == v.size(-2), ShapeError, kOp, ": key ", shape_str(k.sizes()), " and value ",
               shape_str(v.sizes()), " must have the same sequence length (dim -2)");
  SINTER_CHECK(dropout_p >= 0 && dropout_p <= 1, ValueError, kOp, ": dropout_p must be between 0 and 1, got ", dropout_p);
  if (mask.defined()) {
    SINTER_CHECK(!is_causal, ValueError, kOp, ": explicit attn_mask should not be set when is_causal=true");
    SINTER_CHECK(mask.dtype() == kBool || mask.dtype() == q.dtype(), DTypeError, kOp,
                 ": expected attn_mask dtype to be bool or to match query dtype ", dtype_name(q.dtype()), ", got ",
                 dtype_name(mask.dtype()));
    // The mask must broadcast against the (..., L, S) scores.
    DimVector scores(q.sizes());
    scores.back() = k.size(-2);
    const int64_t nm = mask.dim(), ns = static_cast<int64_t>(scores.size());
    bool ok = nm >= 1;
    for (int64_t i = 1; ok && i <= std::min(nm, ns); ++i) {
      int64_t a = mask.size(nm - i), b = scores[static_cast<size_t>(ns - i)];
      ok = a == b || a == 1 || b == 1;
    }
    SINTER_CHECK(ok, ShapeError, kOp, ": attn_mask of shape ", shape_str(mask.sizes()),
                 " cannot be broadcast to the attention scores of shape ", shape_str(scores));
  }
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& attn_mask,
                                    double dropout_p, bool is_causal, std::optional<double> scale) {
  check_inputs(query, key, value, attn_mask, dropout_p, is_causal);
  if (query.dtype() == kHalf || query.dtype() == kBFloat16) {
    // Reduced precision computes in float32 and rounds the result once.
    Tensor m = attn_mask.defined() && attn_mask.dtype() != kBool ? attn_mask.to(kFloat) : attn_mask;
    return scaled_dot_product_attention(query.to(kFloat), key.to(kFloat), value.to(kFloat), m, dropout_p, is_causal, scale)
        .to(query.dtype());
  }
  const int64_t L = query.size(-2), S = key.size(-2);
  const double sc = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(query.size(-1)));
  Tensor scores = matmul(query, key.transpose(-2, -1)) * sc;  // (..., L, S)
  if (is_causal) {
    // Row i may attend to columns j <= i (the top-left aligned lower triangle).
    Tensor allowed = arange(L, kLong).unsqueeze(1) >= arange(S, kLong).unsqueeze(0);
    scores = scores + additive_mask(allowed, scores.dtype());
  }
  if (attn_mask.defined())
    scores = scores + (attn_mask.dtype() == kBool ? additive_mask(attn_mask, scores.dtype()) : attn_mask);
  Tensor attn = softmax(scores, -1);
  if (dropout_p > 0) attn = dropout(attn, dropout_p, true);
  return matmul(attn, value);
}

}  // namespace sinter
