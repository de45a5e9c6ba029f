// ONNX backend-test cases (the layout of ONNX's own test data, Debian libonnx-testdata):
// a folder holding model.onnx and test_data_set_*/input_*.pb, output_*.pb.
//
//   for (auto& dir : sinter::onnx::backend::cases("/usr/share/libonnx-testdata/data/node"))
//     auto r = sinter::onnx::backend::run_case(dir);   // r.status, r.reason
//
// Used by the test suite and by `sinter test-onnx`.
#pragma once
#include <string>
#include <vector>

namespace sinter::onnx::backend {

struct CaseResult {
  enum Status { Passed, Failed, Skipped } status = Failed;
  std::string reason;  // empty when passed
};

/// Loads the model, runs every data set, compares outputs (|a - b| <= atol + rtol |b|,
/// NaN == NaN, exact dtype and shape). A NotImplementedError at load time is a skip with its
/// message; any other error is a failure with its message. Never throws on bad cases.
CaseResult run_case(const std::string& dir, double rtol = 1e-3, double atol = 1e-5);

/// The case folders in `dir`, sorted: {dir} itself when it holds model.onnx, else its
/// subfolders. IOError when dir is not a folder.
std::vector<std::string> cases(const std::string& dir);

/// Where libonnx-testdata's suites live ($SINTER_ONNX_TESTDATA overrides).
std::string testdata_dir();

}  // namespace sinter::onnx::backend
