// ONNX's own backend test data (Debian libonnx-testdata): every case of the node,
// pytorch-converted, pytorch-operator and simple suites runs. A case listed in
// tests/onnx/skip_list.txt (with its reason) must not pass — remove it from the list when it
// does — and every other case must pass. SINTER_ONNX_VERBOSE=1 prints each case's outcome.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sinter/onnx/backend_test.h"

namespace fs = std::filesystem;
using sinter::onnx::backend::CaseResult;
using sinter::onnx::backend::testdata_dir;

namespace {

/// "suite/case" -> reason, from the skip list.
const std::map<std::string, std::string>& skip_list() {
  static const std::map<std::string, std::string> list = [] {
    std::map<std::string, std::string> m;
    std::ifstream f(SINTER_SOURCE_DIR "/tests/onnx/skip_list.txt");
    EXPECT_TRUE(f.good()) << "tests/onnx/skip_list.txt is missing";
    std::string line;
    while (std::getline(f, line)) {
      if (line.empty() || line[0] == '#') continue;
      auto sp = line.find(' ');
      std::string key = line.substr(0, sp);
      std::string reason = sp == std::string::npos ? "" : line.substr(line.find_first_not_of(' ', sp));
      EXPECT_FALSE(reason.empty()) << key << " is listed without a reason";
      EXPECT_TRUE(m.emplace(key, reason).second) << key << " is listed twice";
    }
    return m;
  }();
  return list;
}

struct Counts {
  int passed = 0, failed = 0, skipped = 0, listed = 0;
};

/// Runs every case of a suite against the skip list; returns the counts.
Counts run_suite(const std::string& suite) {
  bool verbose = std::getenv("SINTER_ONNX_VERBOSE") != nullptr;
  Counts c;
  for (auto& dir : sinter::onnx::backend::cases((fs::path(testdata_dir()) / suite).string())) {
    std::string name = fs::path(dir).filename().string();
    std::string key = suite + "/" + name;
    CaseResult r = sinter::onnx::backend::run_case(dir);
    bool listed = skip_list().count(key) > 0;
    c.listed += listed;
    if (r.status == CaseResult::Passed) ++c.passed;
    else if (r.status == CaseResult::Skipped) ++c.skipped;
    else ++c.failed;
    if (listed && r.status == CaseResult::Passed)
      ADD_FAILURE() << key << " now passes: remove it from tests/onnx/skip_list.txt";
    if (!listed && r.status != CaseResult::Passed)
      ADD_FAILURE() << key << (r.status == CaseResult::Skipped ? " is unsupported: " : " fails: ") << r.reason;
    if (verbose)
      std::printf("%s %s%s%s\n", r.status == CaseResult::Passed ? "PASS" : r.status == CaseResult::Skipped ? "SKIP" : "FAIL",
                  key.c_str(), r.reason.empty() ? "" : ": ", r.reason.c_str());
  }
  std::printf("%s: %d passed, %d failed, %d skipped (%d listed in the skip list)\n", suite.c_str(), c.passed, c.failed,
              c.skipped, c.listed);
  return c;
}

}  // namespace

class OnnxBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(testdata_dir()))
      FAIL() << "ONNX test data not found at " << testdata_dir() << " (install libonnx-testdata)";
  }
};

TEST_F(OnnxBackend, PytorchConverted) { EXPECT_GT(run_suite("pytorch-converted").passed, 40); }
TEST_F(OnnxBackend, PytorchOperator) { EXPECT_GT(run_suite("pytorch-operator").passed, 10); }
TEST_F(OnnxBackend, Simple) { run_suite("simple"); }
TEST_F(OnnxBackend, Node) { EXPECT_GT(run_suite("node").passed, 500); }

TEST_F(OnnxBackend, SkipListNamesRealCases) {
  for (auto& [key, reason] : skip_list())
    EXPECT_TRUE(fs::is_directory(fs::path(testdata_dir()) / key)) << key << " in the skip list is not a test case";
}
