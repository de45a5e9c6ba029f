// ONNX's own backend test data (Debian libonnx-testdata): the pytorch-converted,
// pytorch-operator and simple suites in full, and a fixed list of node cases that must pass.
// The full node suite runs with --gtest_also_run_disabled_tests (it prints the counts).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "sinter/onnx/backend_test.h"

namespace fs = std::filesystem;
using sinter::onnx::backend::CaseResult;
using sinter::onnx::backend::testdata_dir;

namespace {

struct Counts {
  int passed = 0, failed = 0, skipped = 0;
  std::vector<std::string> failures;
};

Counts run_suite(const std::string& suite, const std::set<std::string>* only = nullptr,
                 bool verbose = std::getenv("SINTER_ONNX_VERBOSE") != nullptr) {
  Counts c;
  for (auto& dir : sinter::onnx::backend::cases((fs::path(testdata_dir()) / suite).string())) {
    std::string name = fs::path(dir).filename().string();
    if (only && !only->count(name)) continue;
    CaseResult r = sinter::onnx::backend::run_case(dir);
    if (r.status == CaseResult::Passed) ++c.passed;
    else if (r.status == CaseResult::Skipped) ++c.skipped;
    else {
      ++c.failed;
      c.failures.push_back(name + ": " + r.reason);
    }
    if (verbose && r.status != CaseResult::Passed)
      std::printf("%s %s: %s\n", r.status == CaseResult::Skipped ? "SKIP" : "FAIL", name.c_str(), r.reason.c_str());
    if (verbose && r.status == CaseResult::Passed) std::printf("PASS %s\n", name.c_str());
  }
  std::printf("%s: %d passed, %d failed, %d skipped\n", suite.c_str(), c.passed, c.failed, c.skipped);
  return c;
}

void expect_no_failures(const Counts& c) {
  EXPECT_TRUE(c.failures.empty());
  for (auto& f : c.failures) ADD_FAILURE() << f;
}

// Node cases that pass today; a regression in any of them fails the test.
const std::set<std::string> kNodeCases = {
#include "node_cases.inc"
};

}  // namespace

class OnnxBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(testdata_dir()))
      FAIL() << "ONNX test data not found at " << testdata_dir() << " (install libonnx-testdata)";
  }
};

TEST_F(OnnxBackend, PytorchConverted) {
  Counts c = run_suite("pytorch-converted");
  expect_no_failures(c);
  EXPECT_GT(c.passed, 40);
}

TEST_F(OnnxBackend, PytorchOperator) {
  Counts c = run_suite("pytorch-operator");
  expect_no_failures(c);
  EXPECT_GT(c.passed, 10);
}

TEST_F(OnnxBackend, Simple) {
  Counts c = run_suite("simple");
  expect_no_failures(c);
}

TEST_F(OnnxBackend, NodeCases) {
  Counts c = run_suite("node", &kNodeCases);
  expect_no_failures(c);
  EXPECT_EQ(c.passed + c.failed + c.skipped, static_cast<int>(kNodeCases.size())) << "a listed case is missing";
  EXPECT_EQ(c.passed, static_cast<int>(kNodeCases.size()));
}

TEST_F(OnnxBackend, DISABLED_FullNodeSuite) {
  bool verbose = std::getenv("SINTER_ONNX_VERBOSE") != nullptr;
  Counts c = run_suite("node", nullptr, verbose);
  std::printf("%d passed, %d failed, %d skipped\n", c.passed, c.failed, c.skipped);
  EXPECT_GE(c.passed, static_cast<int>(kNodeCases.size()));
}
