// Internals shared by the dispatcher and the engine.
#pragma once
#include "sinter/autograd.h"

namespace sinter::autograd::detail {

/// The edge a gradient for `t` flows into (grad_fn, or the leaf's accumulator); invalid if
/// t does not require grad.
Edge gradient_edge(const Tensor& t);
/// Makes `t` an output of `fn` (output `nr`).
void set_history(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t nr);
/// Autograd state of t, created on first use.
AutogradMeta& meta(const Tensor& t);
/// Records metadata of output `t` on `fn`.
OutputMeta output_meta_of(const Tensor& t);
/// True while the engine runs backward functions on this thread.
bool in_backward();
/// Throws an AutogradError if `t` has NaN/Inf (anomaly mode).
void check_finite(const Tensor& t, const std::string& what, const Node* node);

/// A tensor saved for backward, with the version it had when saved.
class SavedTensor {
 public:
  SavedTensor() = default;
  /// is_output: t is an output of the node that saves it (saved without its history to avoid a cycle).
  SavedTensor(const Tensor& t, bool is_output);
  /// Returns the tensor; throws AutogradError if it was modified in place since.
  Tensor unpack(const std::shared_ptr<Node>& owner, uint32_t output_nr, const char* op) const;
  void reset() { data_.reset(); }
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;
  uint32_t version_ = 0;
  bool is_output_ = false;
  bool requires_grad_ = false;
};

}  // namespace sinter::autograd::detail
