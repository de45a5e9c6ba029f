// Sequence and optional nodes: verification and execution (conventions in sequence.h).
#include "graph/sequence.h"

#include <array>
#include <string>

#include "graph/graph_util.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/shape.h"

namespace sinter::graph {

const char* value_type_name(ValueType t) {
  switch (t) {
    case ValueType::Tensor: return "tensor";
    case ValueType::Sequence: return "sequence";
    case ValueType::OptionalTensor: return "optional<tensor>";
    case ValueType::OptionalSequence: return "optional<sequence>";
  }
  return "?";
}

const char* RunValue::kind_name() const {
  switch (kind) {
    case Kind::Tensor: return "a tensor";
    case Kind::Sequence: return "a sequence";
    case Kind::None: return "nothing";
  }
  return "?";
}

namespace {

struct Arity {
  std::string_view kind;
  size_t min, max;
};
constexpr size_t kAny = SIZE_MAX;
constexpr std::array<Arity, 13> kArity{{{"SequenceConstruct", 1, kAny},
                                        {"SequenceEmpty", 0, 0},
                                        {"SequenceAt", 2, 2},
                                        {"SequenceInsert", 2, 3},
                                        {"SequenceErase", 1, 2},
                                        {"SequenceLength", 1, 1},
                                        {"SplitToSequence", 1, 2},
                                        {"ConcatFromSequence", 1, 1},
                                        {"SequenceMap", 1, kAny},
                                        {"Optional", 0, 1},
                                        {"OptionalHasElement", 0, 1},
                                        {"OptionalGetElement", 1, 1},
                                        {"Identity", 1, 1}}};

const Arity* arity_of(std::string_view kind) {
  for (const Arity& a : kArity)
    if (a.kind == kind) return &a;
  return nullptr;
}

[[noreturn]] void fail_node(const Node& n, const std::string& why) {
  throw ValueError(detail::str_cat("node '", n.name, "' (", n.kind, "): ", why));
}

}  // namespace

bool is_sequence_kind(std::string_view kind) { return arity_of(kind) != nullptr; }

void verify_sequence_node(const Node& n) {
  const Arity* a = arity_of(n.kind);
  SINTER_CHECK(a != nullptr, ValueError, "node '", n.name, "' (", n.kind, "): not a sequence node");
  if (n.inputs.size() < a->min || n.inputs.size() > a->max)
    fail_node(n, detail::str_cat("expected ", a->min, a->max == a->min ? "" : " or more", " inputs, got ", n.inputs.size()));
  if (n.kind == "SequenceMap" && n.subgraphs.size() != 1) fail_node(n, "needs one body subgraph");
  if (n.kind != "SequenceMap" && !n.subgraphs.empty()) fail_node(n, "takes no subgraph");
  auto want = [&](size_t i, ValueType t, bool optional) {
    const Value* v = i < n.inputs.size() ? n.inputs[i] : nullptr;
    if (!v) {
      if (!optional) fail_node(n, detail::str_cat("input ", i, " is required"));
      return;
    }
    if (v->type != t)
      fail_node(n, detail::str_cat("input ", i, " ('", v->name, "') must be a ", value_type_name(t), ", got a ",
                                   value_type_name(v->type)));
  };
  const std::string& k = n.kind;
  if (k == "SequenceConstruct") {
    for (size_t i = 0; i < n.inputs.size(); ++i) want(i, ValueType::Tensor, false);
  } else if (k == "SequenceAt") {
    want(0, ValueType::Sequence, false), want(1, ValueType::Tensor, false);
  } else if (k == "SequenceInsert") {
    want(0, ValueType::Sequence, false), want(1, ValueType::Tensor, false), want(2, ValueType::Tensor, true);
  } else if (k == "SequenceErase") {
    want(0, ValueType::Sequence, false), want(1, ValueType::Tensor, true);
  } else if (k == "SequenceLength" || k == "ConcatFromSequence") {
    want(0, ValueType::Sequence, false);
  } else if (k == "SplitToSequence") {
    want(0, ValueType::Tensor, false), want(1, ValueType::Tensor, true);
  } else if (k == "SequenceMap") {
    if (n.attrs().size() < 1 || n.attrs().i(0) < 1 || static_cast<size_t>(n.attrs().i(0)) > n.inputs.size())
      fail_node(n, "the count of formal inputs is out of range");
    want(0, ValueType::Sequence, false);
  } else if (k == "OptionalGetElement" || k == "Identity") {
    if (!n.inputs[0]) fail_node(n, "input 0 is required");
  }
  if (n.outputs.empty()) fail_node(n, "has no outputs");
}

namespace {

// Integer scalar position, wrapped into [0, n) (or [0, n] when `end_ok`).
int64_t position(const Node& n, const Tensor& t, int64_t len, bool end_ok) {
  if (!is_integral(t.dtype()) || t.numel() != 1)
    fail_node(n, detail::str_cat("the position must be one integer, got ", dtype_name(t.dtype()), shape_str(t.sizes())));
  int64_t p = t.reshape({}).item().to_long();
  int64_t hi = end_ok ? len : len - 1;
  if (p < -len || p > hi)
    throw IndexError(detail::str_cat("node '", n.name, "' (", n.kind, "): position ", p,
                                     " is out of range for a sequence of length ", len));
  return p < 0 ? p + len : p;
}

void check_dtype(const Node& n, const Tensor& t, DType want) {
  if (t.dtype() != want)
    throw DTypeError(detail::str_cat("node '", n.name, "' (", n.kind, "): the sequence holds ", dtype_name(want),
                                     " tensors, got ", dtype_name(t.dtype())));
}

int64_t wrap_axis(const Node& n, int64_t a, int64_t rank) {
  if (a < -rank || a >= rank)
    fail_node(n, detail::str_cat("axis ", a, " is out of range for rank ", rank));
  return a < 0 ? a + rank : a;
}

std::vector<Tensor> split_to_sequence(const Node& n, const Tensor& x, const Tensor& split) {
  const ops::Attrs& a = n.attrs();
  if (x.dim() == 0) fail_node(n, "cannot split a 0-d tensor");
  int64_t axis = wrap_axis(n, a.size() > 0 ? a.i(0) : 0, x.dim());
  bool keepdims = a.size() > 1 ? a.b(1) : true;
  int64_t len = x.size(axis);
  std::vector<Tensor> r;
  if (!split.defined()) {
    for (int64_t i = 0; i < len; ++i) {
      Tensor p = x.narrow(axis, i, 1);
      r.push_back((keepdims ? p : p.squeeze(axis)).contiguous());
    }
    return r;
  }
  if (!is_integral(split.dtype()) || split.dim() > 1) fail_node(n, "split must be an integer scalar or 1-D tensor");
  Tensor s = split.to(DType::Long).contiguous();
  const int64_t* p = static_cast<const int64_t*>(s.data_ptr());
  std::vector<int64_t> sizes;
  if (s.dim() == 0) {
    if (p[0] <= 0) fail_node(n, detail::str_cat("split ", p[0], " must be positive"));
    for (int64_t at = 0; at < len; at += p[0]) sizes.push_back(std::min(p[0], len - at));
  } else {
    int64_t sum = 0;
    for (int64_t i = 0; i < s.numel(); ++i) {
      if (p[i] < 0) fail_node(n, detail::str_cat("split sizes must be >= 0, got ", p[i]));
      sizes.push_back(p[i]);
      sum += p[i];
    }
    if (sum != len)
      throw ShapeError(detail::str_cat("node '", n.name, "' (", n.kind, "): split sizes sum to ", sum,
                                       ", the axis of shape ", shape_str(x.sizes()), " has ", len));
  }
  int64_t at = 0;
  for (int64_t sz : sizes) {
    r.push_back(x.narrow(axis, at, sz).contiguous());
    at += sz;
  }
  return r;
}

Tensor concat_from_sequence(const Node& n, const std::vector<Tensor>& seq) {
  if (seq.empty()) fail_node(n, "cannot concatenate an empty sequence");
  const ops::Attrs& a = n.attrs();
  bool new_axis = a.size() > 1 && a.b(1);
  int64_t rank = seq[0].dim() + (new_axis ? 1 : 0);
  int64_t axis = wrap_axis(n, a.size() > 0 ? a.i(0) : 0, rank);
  return with_node_context(n, [&] { return new_axis ? sinter::stack(seq, axis) : sinter::cat(seq, axis); });
}

std::vector<RunValue> sequence_map(const Node& n, const std::vector<RunValue>& in, const Session& body) {
  size_t F = static_cast<size_t>(n.attrs().i(0));
  int64_t len = -1;
  for (size_t i = 0; i < F; ++i) {
    if (!in[i].is_sequence()) continue;
    int64_t l = static_cast<int64_t>(in[i].sequence.size());
    if (len >= 0 && l != len)
      fail_node(n, detail::str_cat("the input sequences differ in length (", len, " and ", l, ")"));
    len = l;
  }
  size_t n_out = body.graph().outputs().size();
  std::vector<std::vector<Tensor>> outs(n_out);
  for (int64_t t = 0; t < len; ++t) {
    std::vector<RunValue> bin;
    for (size_t i = 0; i < in.size(); ++i)
      bin.push_back(i < F && in[i].is_sequence() ? RunValue(in[i].sequence[static_cast<size_t>(t)]) : in[i]);
    auto r = body.run_values(bin);
    for (size_t j = 0; j < n_out; ++j) {
      if (!r[j].is_tensor()) fail_node(n, detail::str_cat("the body's output ", j, " is ", r[j].kind_name(), ", not a tensor"));
      outs[j].push_back(std::move(r[j].tensor));
    }
  }
  std::vector<RunValue> r;
  for (auto& o : outs) r.push_back(RunValue::seq(std::move(o)));
  return r;
}

}  // namespace

std::vector<RunValue> run_sequence_node(const Node& n, const std::vector<RunValue>& in,
                                        const std::vector<std::unique_ptr<Session>>& bodies) {
  const std::string& k = n.kind;
  auto arg = [&](size_t i) -> const RunValue& {
    static const RunValue kNone;
    return i < in.size() ? in[i] : kNone;
  };
  auto seq = [&](size_t i) -> const std::vector<Tensor>& {
    if (!arg(i).is_sequence()) fail_node(n, detail::str_cat("input ", i, " is ", arg(i).kind_name(), ", not a sequence"));
    return arg(i).sequence;
  };
  auto ten = [&](size_t i) -> const Tensor& {
    if (!arg(i).is_tensor()) fail_node(n, detail::str_cat("input ", i, " is ", arg(i).kind_name(), ", not a tensor"));
    return arg(i).tensor;
  };
  const DType dt = n.outputs[0]->dtype;
  if (k == "SequenceConstruct") {
    std::vector<Tensor> s;
    for (size_t i = 0; i < in.size(); ++i) {
      check_dtype(n, ten(i), dt);
      s.push_back(ten(i));
    }
    return {RunValue::seq(std::move(s))};
  }
  if (k == "SequenceEmpty") return {RunValue::seq({})};
  if (k == "SequenceAt") {
    const auto& s = seq(0);
    return {RunValue(s[static_cast<size_t>(position(n, ten(1), static_cast<int64_t>(s.size()), false))])};
  }
  if (k == "SequenceInsert") {
    std::vector<Tensor> s = seq(0);
    check_dtype(n, ten(1), dt);
    int64_t len = static_cast<int64_t>(s.size());
    int64_t p = arg(2).is_none() ? len : position(n, ten(2), len, true);
    s.insert(s.begin() + p, ten(1));
    return {RunValue::seq(std::move(s))};
  }
  if (k == "SequenceErase") {
    std::vector<Tensor> s = seq(0);
    int64_t len = static_cast<int64_t>(s.size());
    int64_t p = arg(1).is_none() ? len - 1 : position(n, ten(1), len, false);
    if (p < 0) throw IndexError(detail::str_cat("node '", n.name, "' (", n.kind, "): erase from an empty sequence"));
    s.erase(s.begin() + p);
    return {RunValue::seq(std::move(s))};
  }
  if (k == "SequenceLength")
    return {RunValue(sinter::full({}, Scalar(static_cast<int64_t>(seq(0).size())), TensorOptions(DType::Long)))};
  if (k == "SplitToSequence") return {RunValue::seq(split_to_sequence(n, ten(0), arg(1).tensor))};
  if (k == "ConcatFromSequence") return {RunValue(concat_from_sequence(n, seq(0)))};
  if (k == "SequenceMap") {
    if (bodies.size() != 1) fail_node(n, "the body is not loaded");
    return sequence_map(n, in, *bodies[0]);
  }
  if (k == "Optional") return {arg(0)};
  if (k == "OptionalHasElement")
    return {RunValue(sinter::full({}, Scalar(!arg(0).is_none()), TensorOptions(DType::Bool)))};
  if (k == "OptionalGetElement") {
    if (arg(0).is_none())
      throw ValueError(detail::str_cat("node '", n.name, "' (", n.kind, "): the optional input '",
                                       n.inputs[0] ? n.inputs[0]->name : "", "' is empty"));
    return {arg(0)};
  }
  if (k == "Identity") return {arg(0)};
  fail_node(n, "not a sequence node");
}

}  // namespace sinter::graph
