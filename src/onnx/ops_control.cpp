// Control flow: If, Loop and Scan become control nodes whose bodies are self-contained graphs
// (values read from enclosing graphs are passed as extra inputs). The Session runs them node by
// node; the input/attribute layout is documented at Session::Impl::run_control.
#include "onnx/onnx_internal.h"

namespace sinter::onnx::detail {
namespace {

using graph::Value;
using V = Value*;

void check_outputs(Ctx& c, const graph::Graph& body, size_t want_out, const char* what) {
  if (body.outputs().size() != want_out)
    c.invalid(sinter::detail::str_cat(what, " gives ", body.outputs().size(), " outputs, expected ", want_out));
}

void if_build(Ctx& c) {
  V cond = c.in(0);
  auto th = c.subgraph("then_branch");
  auto el = c.subgraph("else_branch");
  size_t n = c.num_outputs();
  check_outputs(c, *th.graph, n, "then_branch");
  check_outputs(c, *el.graph, n, "else_branch");
  if (th.graph->inputs().size() != th.captured.size() || el.graph->inputs().size() != el.captured.size())
    c.invalid("If branches take no inputs");
  std::vector<V> ins{cond};
  ins.insert(ins.end(), th.captured.begin(), th.captured.end());
  ins.insert(ins.end(), el.captured.begin(), el.captured.end());
  auto outs = c.emit_control("If", ins, {int64_t(th.captured.size())}, {th.graph, el.graph}, n);
  for (size_t i = 0; i < n; ++i) {
    const Value* a = th.graph->outputs()[i];
    const Value* b = el.graph->outputs()[i];
    if (a->dtype != b->dtype || a->type != b->type)
      c.invalid("the branches' output " + std::to_string(i) + " differ in type or dtype");
    outs[i]->dtype = a->dtype;
    outs[i]->type = a->type;
    c.set_out(i, outs[i]);
  }
}

void loop_build(Ctx& c) {
  size_t N = c.num_inputs() > 2 ? c.num_inputs() - 2 : 0;
  std::vector<DType> dts{DType::Long, DType::Bool};
  for (size_t i = 0; i < N; ++i) dts.push_back(c.dtype(c.in(2 + i)));
  auto body = c.subgraph("body", dts);
  size_t formal = body.graph->inputs().size() - body.captured.size();
  if (formal != 2 + N) c.invalid(sinter::detail::str_cat("body takes ", formal, " inputs, expected ", 2 + N));
  size_t n_body_out = body.graph->outputs().size();
  if (n_body_out < 1 + N) c.invalid("body gives fewer outputs than 1 + loop-carried values");
  size_t K = n_body_out - 1 - N;
  if (c.num_outputs() > N + K) c.invalid("more outputs than loop-carried and scan outputs");
  std::vector<V> ins{c.opt_in(0), c.opt_in(1)};
  for (size_t i = 0; i < N; ++i) ins.push_back(c.in(2 + i));
  ins.insert(ins.end(), body.captured.begin(), body.captured.end());
  auto outs = c.emit_control("Loop", ins, {int64_t(N)}, {body.graph}, N + K);
  for (size_t i = 0; i < N + K; ++i) {
    const Value* b = body.graph->outputs()[1 + i];
    if (i >= N && !b->is_tensor()) c.unsupported("Loop scan outputs that are not tensors");
    outs[i]->dtype = b->dtype;
    outs[i]->type = b->type;
    c.set_out(i, outs[i]);
  }
}

void scan_build(Ctx& c) {
  bool batched = c.opset < 9;
  size_t first = batched ? 1 : 0;
  size_t M = static_cast<size_t>(c.attr_i("num_scan_inputs", -1));
  size_t n_in = static_cast<size_t>(c.node.input_size());
  if (c.attr_i("num_scan_inputs", -1) < 1 || first + M > n_in) c.invalid("num_scan_inputs out of range");
  size_t N = n_in - first - M;
  std::vector<DType> dts;
  for (size_t i = first; i < n_in; ++i) dts.push_back(c.dtype(c.in(i)));
  auto body = c.subgraph("body", dts);
  size_t formal = body.graph->inputs().size() - body.captured.size();
  if (formal != N + M) c.invalid(sinter::detail::str_cat("body takes ", formal, " inputs, expected ", N + M));
  size_t n_body_out = body.graph->outputs().size();
  if (n_body_out < N) c.invalid("body gives fewer outputs than state values");
  size_t K = n_body_out - N;
  auto ints = [&](const char* a, const char* old) {
    auto v = c.attr_ints(c.has_attr(a) ? a : old);
    return dv(v);
  };
  std::vector<V> ins;
  if (batched) ins.push_back(c.opt_in(0));
  for (size_t i = first; i < n_in; ++i) ins.push_back(c.in(i));
  ins.insert(ins.end(), body.captured.begin(), body.captured.end());
  ops::Attrs at{int64_t(N), int64_t(M), ints("scan_input_axes", "scan_input_axes"),
                ints("scan_input_directions", "directions"), ints("scan_output_axes", "scan_output_axes"),
                ints("scan_output_directions", "scan_output_directions"), batched};
  auto outs = c.emit_control("Scan", ins, at, {body.graph}, N + K);
  for (size_t i = 0; i < N + K; ++i) {
    outs[i]->dtype = body.graph->outputs()[i]->dtype;
    c.set_out(i, outs[i]);
  }
}

const TableRegistrar control_entries({
    {"If", 1, kMaxOpset, if_build},
    {"Loop", 1, kMaxOpset, loop_build},
    {"Scan", 8, kMaxOpset, scan_build},
});

}  // namespace
}  // namespace sinter::onnx::detail
