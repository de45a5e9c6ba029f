// PyTorch as the reference for op tests: a client for tests/reference/torch_worker.py.
//
// One worker process (/usr/bin/python3 with torch imported once) serves every request a test
// binary makes, over a pair of pipes:
//
//   auto& ref = sinter::testing::TorchRef::instance();
//   if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
//   auto r = ref.run("F.softmax(a0, dim=1)", {x}, {true}, {grad_y});
//   ASSERT_TRUE(r.ok) << r.error_type << ": " << r.message;
//   EXPECT_TRUE(sinter::testing::tensors_close(y, r.outputs[0]));
//   EXPECT_TRUE(sinter::testing::tensors_close(x.grad(), r.grads[0]));
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "sinter/sinter.h"

namespace sinter::testing {

struct RefResult {
  /// False when torch raised (error_type is its exception class, e.g. "RuntimeError"), or when
  /// the request could not be served (error_type "HarnessError": bad request, dead worker, ...).
  bool ok = false;
  std::string error_type, message;
  /// The flattened result of the expression. A Python number comes back as a 0-dim tensor
  /// (float64, int64 or bool); a None in the result as an undefined Tensor.
  std::vector<Tensor> outputs;
  /// One per input when grad_outputs were given: the gradient, or an undefined Tensor for an
  /// input that does not require grad or that the outputs do not depend on.
  std::vector<Tensor> grads;

  /// True when torch itself rejected the request (as opposed to a harness failure).
  bool torch_error() const { return !ok && error_type != "HarnessError"; }
};

class TorchRef {
 public:
  /// The process-wide worker, started on first use.
  static TorchRef& instance();

  /// False when /usr/bin/python3, the worker script or torch is missing.
  bool available();
  /// Why available() is false ("" when it is true).
  std::string unavailable_reason();

  /// Evaluates `expr` in PyTorch with inputs bound to a0, a1, ... (an undefined Tensor binds
  /// None). `stmt` runs first, in the same namespace. requires_grad[i] marks input i as
  /// requiring grad (missing entries mean false). When grad_outputs is non-empty it holds one
  /// tensor per output (undefined to skip that output) and the result carries the gradients
  /// of the inputs. Never throws for a failure on the Python side; see RefResult::ok.
  RefResult run(const std::string& expr, const std::vector<Tensor>& inputs,
                const std::vector<bool>& requires_grad = {},
                const std::vector<Tensor>& grad_outputs = {}, const std::string& stmt = "");

  TorchRef(const TorchRef&) = delete;
  TorchRef& operator=(const TorchRef&) = delete;

 private:
  TorchRef();
  ~TorchRef();

  bool start();  // spawns the worker and checks that it answers
  std::string stop();  // closes the pipes, reaps the worker, says how it ended
  bool write_all(const std::string& s);
  bool read_line(std::string& line, int timeout_ms);  // false on EOF, error or timeout
  RefResult exchange(const std::string& request);

  std::mutex mu_;
  pid_t pid_ = -1;
  int to_worker_ = -1;
  int from_worker_ = -1;
  std::string pending_;  // bytes read past the last newline
  bool timed_out_ = false;  // the last read_line failed by running out of time
  bool started_once_ = false;
  bool available_ = false;
  int restarts_ = 0;
  std::string reason_;
};

/// rtol and atol that torch.testing.assert_close uses for `t`: float32 1.3e-6/1e-5, float64
/// 1e-7/1e-7, float16 1e-3/1e-5, bfloat16 1.6e-2/1e-5, integers and bool exact.
std::pair<double, double> default_tolerance(DType t);

/// Same shape, same dtype, and every element within atol + rtol * |expected| (NaN matches NaN,
/// an infinity matches the same infinity). On failure, says where the first mismatch is, how
/// many elements differ, and the largest absolute difference. Two undefined tensors match.
::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected, double rtol,
                                         double atol);
/// As above with default_tolerance(expected.dtype()).
::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected);

/// Base64 (RFC 4648, with padding), as the worker speaks it.
std::string base64_encode(const void* data, std::size_t n);
/// Decodes into `out`; false on a malformed string.
bool base64_decode(const std::string& s, std::vector<uint8_t>& out);

}  // namespace sinter::testing
