// Runs one case of ONNX's backend test data (model.onnx + test_data_set_*/{input,output}_*.pb).
#pragma once
#include <string>

namespace sinter::onnx::testing {

struct CaseResult {
  enum Status { Passed, Failed, Skipped } status = Failed;
  std::string reason;
};

/// Loads, runs every data set, compares outputs (|a - b| <= atol + rtol |b|, NaN == NaN,
/// exact dtype and shape). Load-time NotImplementedError is a skip with its message.
CaseResult run_backend_case(const std::string& dir, double rtol = 1e-3, double atol = 1e-5);

/// Where libonnx-testdata's cases live ($SINTER_ONNX_TESTDATA overrides).
std::string testdata_dir();

}  // namespace sinter::onnx::testing
