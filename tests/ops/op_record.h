// OpInfo-style test records: one record per op drives
//   (a) forward and backward against PyTorch (same inputs, same grad_outputs),
//   (b) float64 gradcheck by finite differences (and optionally gradgradcheck),
//   (c) the fast kernel against the scalar reference kernel,
//   (d) error inputs: expected error type and a message naming the op.
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "sinter/sinter.h"
#include "torch_ref.h"

namespace sinter::testing {

struct OpSample {
  TensorList inputs;  // undefined entries are passed as None to PyTorch
  std::string desc;
};

/// An input the op must reject: `call` runs the sinter op; it must throw E (checked by type)
/// with a message containing `contains`.
struct ErrorCase {
  std::string desc;
  std::function<void()> call;
  std::function<bool(const std::exception&)> is_expected_type;
  std::string contains;
};
template <class E>
ErrorCase expect_error(std::string desc, std::function<void()> call, std::string contains) {
  return ErrorCase{std::move(desc), std::move(call),
                   [](const std::exception& e) { return dynamic_cast<const E*>(&e) != nullptr; }, std::move(contains)};
}

struct OpRecord {
  /// Registry op names this record covers (coverage checks use them).
  std::vector<std::string> ops;
  /// PyTorch expression over a0, a1, ... (torch, F, nn, math available).
  std::string torch;
  /// The same computation in NumPy, for the dtypes PyTorch 1.x lacks (uint16/32/64): inputs of
  /// those dtypes arrive as numpy arrays (np is available). Required when `dtypes` lists them.
  std::string numpy;
  /// The same computation in sinter.
  std::function<TensorList(const TensorList&)> fn;
  /// Sample inputs for a dtype.
  std::function<std::vector<OpSample>(DType)> samples;
  std::vector<DType> dtypes = {kFloat, kDouble};
  /// Indices of inputs that are differentiable (empty: no backward checks).
  std::vector<size_t> grad_inputs = {0};
  bool gradcheck = true;
  bool gradgradcheck = false;
  /// Tolerance overrides (0 = default per dtype).
  double rtol = 0, atol = 0;
  /// Extra python statements before the expression (imports, helper functions).
  std::string stmt;
  std::vector<ErrorCase> errors;
};

// ---- sample builders ------------------------------------------------------------------------

/// Random values in [low, high) for floats, integers in [low, high) for ints, random bools.
Tensor make_tensor(IntArrayRef shape, DType dtype, double low = -3, double high = 3);
/// A non-contiguous tensor with the same values semantics (a transposed or strided view).
Tensor make_noncontiguous(IntArrayRef shape, DType dtype, double low = -3, double high = 3);
/// Standard shapes for unary ops: 0-dim, 1-D, 2-D, 3-D non-contiguous, empty.
std::vector<OpSample> unary_samples(DType dtype, double low = -3, double high = 3);
/// Standard pairs for binary ops: same shape, broadcasting both ways, 0-dim, non-contiguous, empty.
std::vector<OpSample> binary_samples(DType dtype, double low = -3, double high = 3, double low2 = -3, double high2 = 3);

/// Runs all checks of a record.
void check_record(const OpRecord& r);

/// All dtypes / the floating ones / the integer ones.
std::vector<DType> all_dtypes();
std::vector<DType> float_dtypes();  // f32 f64 f16 bf16
std::vector<DType> int_dtypes();    // u8 i8 i16 i32 i64
std::vector<DType> wide_uint_dtypes();  // u16 u32 u64 (checked against NumPy)

}  // namespace sinter::testing
