// Embedding: a lookup table of vectors.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "sinter/nn/module.h"
#include "sinter/nn/options.h"

namespace sinter::nn {

struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  SINTER_ARG(int64_t, num_embeddings);
  SINTER_ARG(int64_t, embedding_dim);
  /// The row that stays zero and gets no gradient (negative counts from the end).
  SINTER_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  /// Not supported (a NotImplementedError when set): max_norm, scale_grad_by_freq, sparse.
  SINTER_ARG(std::optional<double>, max_norm) = std::nullopt;
  SINTER_ARG(double, norm_type) = 2.0;
  SINTER_ARG(bool, scale_grad_by_freq) = false;
  SINTER_ARG(bool, sparse) = false;
  /// Use this tensor (num_embeddings, embedding_dim) as the weight instead of N(0, 1).
  SINTER_ARG(Tensor, _weight);
};

struct EmbeddingFromPretrainedOptions {
  SINTER_ARG(bool, freeze) = true;
  SINTER_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  SINTER_ARG(std::optional<double>, max_norm) = std::nullopt;
  SINTER_ARG(double, norm_type) = 2.0;
  SINTER_ARG(bool, scale_grad_by_freq) = false;
  SINTER_ARG(bool, sparse) = false;
};

/// weight (num_embeddings, embedding_dim) starts as N(0, 1) with the padding_idx row zeroed.
class EmbeddingImpl : public Module {
 public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  explicit EmbeddingImpl(const EmbeddingOptions& options);
  void reset_parameters();
  /// Rows of weight for integer indices of any shape: output is indices.shape + (embedding_dim,).
  Tensor forward(const Tensor& indices);
  std::string extra_repr() const override;

  EmbeddingOptions options;
  Tensor weight;
};

class Embedding : public ModuleHolder<EmbeddingImpl> {
 public:
  using ModuleHolder<EmbeddingImpl>::ModuleHolder;
  /// An Embedding whose weight is a copy of `embeddings` (2-D); frozen (no grad) by default.
  static Embedding from_pretrained(const Tensor& embeddings, const EmbeddingFromPretrainedOptions& options = {});
};

}  // namespace sinter::nn
