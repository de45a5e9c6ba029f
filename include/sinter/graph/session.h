// Session: loads a Graph once (copy, constant folding, dead-code elimination, memory plan)
// and runs it many times, from many threads at once.
//
//   graph::Session s(g);                       // g is copied; later edits to g do not matter
//   std::vector<Tensor> y = s.run({x});        // positional, in graph-input order
//   auto named = s.run_named({{"x", x}});      // or by name
//   auto r = s.run_values({RunValue::seq({a, b}), RunValue::none()});  // sequences / optionals
//
// Memory: every intermediate of a run lives in one 64-byte-aligned arena at an offset chosen
// at plan time (liveness over the topological order, greedy by size). Outputs of view ops
// alias their input's buffer, which then stays live until the last use of any alias. Graph
// outputs are allocated separately (or copied out), so the caller owns them.
// Plans depend on the concrete input shapes: one is made per distinct shape set and cached.
// Thread safety: a loaded Session is immutable except for the plan cache (a shared mutex) and
// the arena pool (a mutex); each run takes its own arena.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sinter/graph/ir.h"

namespace sinter::graph {

/// A run-time value of any graph value type: a tensor, a sequence of tensors, or nothing (an
/// empty optional). An optional that holds an element is that element (a tensor or sequence).
struct RunValue {
  enum class Kind : uint8_t { None, Tensor, Sequence };
  Kind kind = Kind::None;
  Tensor tensor;
  std::vector<Tensor> sequence;

  RunValue() = default;
  RunValue(Tensor t) : kind(t.defined() ? Kind::Tensor : Kind::None), tensor(std::move(t)) {}  // NOLINT
  static RunValue seq(std::vector<Tensor> s) {
    RunValue r;
    r.kind = Kind::Sequence;
    r.sequence = std::move(s);
    return r;
  }
  static RunValue none() { return RunValue(); }
  bool is_none() const { return kind == Kind::None; }
  bool is_tensor() const { return kind == Kind::Tensor; }
  bool is_sequence() const { return kind == Kind::Sequence; }
  /// "tensor", "sequence" or "nothing" (for errors).
  const char* kind_name() const;
};

struct SessionOptions {
  bool fold_constants = true;
  bool eliminate_dead_code = true;
  /// Inference fusion at load (fuse.h: batch norm folded into convolutions, conv/linear with
  /// their bias, residual add and activation as one oneDNN primitive).
  bool fuse = true;
  /// Keep 4-D float32 activations channels-last (NHWC strides) between ops that read and write
  /// them so (fused convolutions, max pooling): oneDNN then runs without a layout reorder on
  /// either side of each convolution. Graph outputs are always plain.
  bool channels_last = true;
  /// Plans kept per distinct input-shape set (the cache is cleared when full).
  size_t max_cached_plans = 32;
};

/// What load-time passes did.
struct LoadStats {
  size_t nodes_before = 0;
  size_t nodes_after = 0;
  size_t folded = 0;   ///< nodes replaced by constants
  size_t removed = 0;  ///< nodes removed as dead code
  size_t fused = 0;    ///< fusion rewrites
};

/// The memory plan for one set of input shapes.
struct MemoryPlan {
  struct Buffer {
    std::vector<std::string> values;  ///< the value owning the buffer, then its view aliases
    int64_t offset = 0;               ///< bytes from the arena start (64-byte aligned)
    int64_t bytes = 0;                ///< size, rounded up to 64
    int64_t first = 0, last = 0;      ///< live over steps [first, last] (inclusive)
    bool channels_last = false;       ///< a 4-D value stored with NHWC strides (SessionOptions::channels_last)
  };
  std::vector<Buffer> buffers;
  int64_t peak_bytes = 0;   ///< arena size
  int64_t total_bytes = 0;  ///< sum of buffer sizes (what separate allocations would take)
  std::vector<std::vector<int64_t>> input_shapes;
};

class Session {
 public:
  explicit Session(const Graph& g, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Runs with inputs in graph-input order; returns the graph outputs in order. Graphs with
  /// sequence or optional inputs or outputs need run_values (ValueError here).
  /// Wrong count / dtype / shape throws ValueError / DTypeError / ShapeError naming the input
  /// and showing expected and actual shapes. Safe to call concurrently.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs) const;
  /// Runs a graph whose inputs or outputs may be sequences or optionals (any graph; tensor
  /// graphs run as run() does). Each input must match its graph input's type: a tensor
  /// (checked as run() does), a sequence of CPU tensors of the input's dtype, or for an
  /// optional, nothing or its element. Mismatches throw ValueError / DTypeError naming the
  /// input. Outputs (sequence elements included) are owned by the caller.
  std::vector<RunValue> run_values(const std::vector<RunValue>& inputs) const;
  /// Runs with inputs by name (all graph inputs must be given); outputs by name.
  std::map<std::string, Tensor> run_named(const std::map<std::string, Tensor>& inputs) const;

  /// The optimised graph the session runs.
  const Graph& graph() const { return *graph_; }
  const LoadStats& stats() const { return stats_; }
  /// The memory plan for these input shapes (made and cached if new).
  MemoryPlan memory_plan(const std::vector<std::vector<int64_t>>& input_shapes) const;
  /// Number of plans in the cache.
  size_t cached_plans() const;

  struct Impl;

 private:
  std::unique_ptr<Graph> graph_;
  LoadStats stats_;
  std::unique_ptr<Impl> impl_;
};

// ---- passes (also usable on their own) ---------------------------------------------------

/// Replaces every node whose inputs are all constants (and which is deterministic) by
/// initializers holding its results, computed once with the registry kernels. Returns the
/// number of nodes folded.
size_t fold_constants(Graph& g);
/// Removes nodes none of whose outputs reach a graph output, and unused initializers.
/// Returns the number of nodes removed.
size_t eliminate_dead_code(Graph& g);

}  // namespace sinter::graph
