// libFuzzer target for the ONNX loader: bytes -> load_bytes -> (when it loads) shape
// inference -> Session (constant folding, dead-code elimination) -> memory plan for static
// input shapes. Every failure must be a typed sinter error; anything else (another exception,
// an InternalError, a sanitizer report, a leak, a timeout, an out-of-memory) is a finding.
//   make fuzz FUZZ_SECONDS=600
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "sinter/error.h"
#include "sinter/graph/session.h"
#include "sinter/onnx.h"

namespace {

// Caps that keep one input cheap: a model of at most 1 MiB, tensors of at most 4 MiB, and no
// Session when some inferred value would exceed that (the planner would allocate it).
constexpr int64_t kMaxFileBytes = int64_t(1) << 20;
constexpr int64_t kMaxTensorBytes = int64_t(1) << 22;

bool values_small(const sinter::graph::Graph& g) {
  for (auto* v : g.values()) {
    if (!v->shape) continue;
    int64_t n = static_cast<int64_t>(sinter::element_size(v->dtype));
    for (auto& d : *v->shape) {
      if (!d.is_static()) continue;
      if (d.value != 0 && n > kMaxTensorBytes / d.value) return false;
      n *= d.value;
    }
    if (n > kMaxTensorBytes) return false;
  }
  return true;
}

void exercise(std::string_view bytes) {
  sinter::onnx::LoadOptions o;
  o.max_file_bytes = kMaxFileBytes;
  o.max_tensor_bytes = kMaxTensorBytes;
  o.base_dir = "";  // no external data
  auto g = sinter::onnx::load_bytes(bytes, o);
  g->infer_shapes();
  if (!values_small(*g)) return;
  sinter::graph::Session s(*g);
  std::vector<std::vector<int64_t>> shapes;
  for (auto* v : s.graph().inputs()) {
    if (!v->shape || !sinter::graph::is_static(*v->shape)) return;
    auto sz = sinter::graph::static_sizes(*v->shape);
    shapes.emplace_back(sz.begin(), sz.end());
  }
  s.memory_plan(shapes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    exercise(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const sinter::InternalError& e) {
    std::fprintf(stderr, "InternalError: %s\n", e.what());
    std::abort();
  } catch (const sinter::Error&) {
    // a typed rejection: what bad input should get
  }
  return 0;
}
