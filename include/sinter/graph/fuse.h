// Inference fusion: rewrites a graph so that a convolution or linear layer and the ops after it
// run as one oneDNN primitive. The result computes the same values; it is for inference only
// (the fused ops have no backward).
//
//   auto g = sinter::onnx::load("resnet18.onnx");
//   size_t n = sinter::graph::fuse_for_inference(*g);   // 20 rewrites for torchvision's resnet18
//   sinter::graph::Session s(*g);
//
// Rewrites, in this order:
//   1. batch_norm (inference mode) whose input is a conv1d/conv2d output used only there, with
//      constant weights and statistics: folded into the convolution's weight and bias
//      (w' = w * gamma / sqrt(var + eps), b' = (b - mean) * gamma / sqrt(var + eps) + beta).
//   2. matmul(x, W) with a constant 2-D W, followed by add of a constant bias of W's column
//      count: linear(x, W^T, bias) (so rewrite 4 can take its activation).
//   3. conv2d, then optionally add(conv, r) with r of the same shape (a residual connection),
//      then optionally relu / clamp / hardtanh: one conv2d_fused node (oneDNN sum and eltwise
//      post-ops on an inference primitive with cached, reordered weights). Every conv2d is
//      rewritten, with or without an epilogue, for the cached weights.
//   4. linear followed by relu / clamp / hardtanh: one linear_fused node (a matmul eltwise post-op).
// Each value in a chain must have one use and not be a graph output (except the chain's last,
// whose name the fused node's output takes over). Returns the number of rewrites.
#pragma once
#include <cstddef>

#include "sinter/graph/ir.h"

namespace sinter::graph {

size_t fuse_for_inference(Graph& g);

}  // namespace sinter::graph
