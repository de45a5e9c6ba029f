// Sequences and optionals: ONNX's Sequence* ops, SplitToSequence, ConcatFromSequence,
// SequenceMap and Optional* become sequence nodes (op == nullptr, see graph/sequence.h) that
// the Session runs node by node.
#include "onnx/onnx_internal.h"

namespace sinter::onnx::detail {

std::pair<graph::ValueType, DType> value_type_from_onnx(const ::onnx::TypeProto& t, const std::string& what) {
  using graph::ValueType;
  auto tensor_elem = [&](const ::onnx::TypeProto& e, const char* in) {
    if (!e.has_tensor_type())
      throw NotImplementedError(what + ": " + in + " of a non-tensor type is not supported");
    return dtype_from_onnx(e.tensor_type().elem_type(), what);
  };
  if (t.has_tensor_type()) return {ValueType::Tensor, dtype_from_onnx(t.tensor_type().elem_type(), what)};
  if (t.has_sequence_type()) return {ValueType::Sequence, tensor_elem(t.sequence_type().elem_type(), "a sequence")};
  if (t.has_optional_type()) {
    const auto& e = t.optional_type().elem_type();
    if (e.has_sequence_type())
      return {ValueType::OptionalSequence, tensor_elem(e.sequence_type().elem_type(), "an optional sequence")};
    return {ValueType::OptionalTensor, tensor_elem(e, "an optional")};
  }
  throw NotImplementedError(what + " is not a tensor, sequence or optional (maps are not supported)");
}

namespace {

using graph::Value;
using graph::ValueType;
using V = Value*;

// Emits sequence node `kind` with one output of type t and element dtype dt.
V emit_seq(Ctx& c, const char* kind, std::vector<V> ins, ops::Attrs attrs, ValueType t, DType dt,
           std::vector<std::shared_ptr<graph::Graph>> bodies = {}) {
  V out = c.emit_control(kind, std::move(ins), std::move(attrs), std::move(bodies), 1)[0];
  out->type = t;
  out->dtype = dt;
  return out;
}

V seq_in(Ctx& c, size_t i) {
  V v = c.in(i);
  if (v->type != ValueType::Sequence)
    c.invalid(sinter::detail::str_cat("input ", i, " ('", v->name, "') must be a sequence, got a ",
                                      graph::value_type_name(v->type)));
  return v;
}
V tensor_in(Ctx& c, size_t i) {
  V v = c.in(i);
  if (!v->is_tensor())
    c.invalid(sinter::detail::str_cat("input ", i, " ('", v->name, "') must be a tensor, got a ",
                                      graph::value_type_name(v->type)));
  return v;
}
V opt_tensor_in(Ctx& c, size_t i) { return c.has_in(i) ? tensor_in(c, i) : nullptr; }

// A registry op's output over inputs of unknown shape (an element read from a sequence) has
// no inferred dtype: the Session checks it at run time.
bool dtype_known(Ctx& c, V t) {
  c.dtype(t);
  return t->shape || t->kind != Value::Kind::NodeOutput || !t->producer->op;
}

void check_elem(Ctx& c, V seq, V t) {
  if (dtype_known(c, t) && t->dtype != seq->dtype)
    throw DTypeError(sinter::detail::str_cat("the sequence holds ", dtype_name(seq->dtype), " tensors, '", t->name,
                                             "' is ", dtype_name(c.dtype(t))));
}

void construct_build(Ctx& c) {
  std::vector<V> ins;
  for (size_t i = 0; i < c.num_inputs(); ++i) ins.push_back(tensor_in(c, i));
  if (ins.empty()) c.invalid("SequenceConstruct takes at least one tensor");
  DType dt = c.dtype(ins[0]);
  for (V v : ins)
    if (c.dtype(v) != dt)
      throw DTypeError(sinter::detail::str_cat("the inputs differ in dtype (", dtype_name(dt), " and ",
                                               dtype_name(c.dtype(v)), ")"));
  c.set_out(0, emit_seq(c, "SequenceConstruct", ins, {}, ValueType::Sequence, dt));
}

void empty_build(Ctx& c) {
  DType dt = dtype_from_onnx(static_cast<int32_t>(c.attr_i("dtype", ::onnx::TensorProto::FLOAT)), "attribute 'dtype'");
  c.set_out(0, emit_seq(c, "SequenceEmpty", {}, {}, ValueType::Sequence, dt));
}

void at_build(Ctx& c) {
  V s = seq_in(c, 0);
  c.set_out(0, emit_seq(c, "SequenceAt", {s, tensor_in(c, 1)}, {}, ValueType::Tensor, s->dtype));
}

void insert_build(Ctx& c) {
  V s = seq_in(c, 0), t = tensor_in(c, 1);
  check_elem(c, s, t);
  c.set_out(0, emit_seq(c, "SequenceInsert", {s, t, opt_tensor_in(c, 2)}, {}, ValueType::Sequence, s->dtype));
}

void erase_build(Ctx& c) {
  V s = seq_in(c, 0);
  c.set_out(0, emit_seq(c, "SequenceErase", {s, opt_tensor_in(c, 1)}, {}, ValueType::Sequence, s->dtype));
}

void length_build(Ctx& c) {
  c.set_out(0, emit_seq(c, "SequenceLength", {seq_in(c, 0)}, {}, ValueType::Tensor, DType::Long));
}

void split_build(Ctx& c) {
  V x = tensor_in(c, 0);
  ops::Attrs a{c.attr_i("axis", 0), c.attr_i("keepdims", 1) != 0};
  c.set_out(0, emit_seq(c, "SplitToSequence", {x, opt_tensor_in(c, 1)}, a, ValueType::Sequence, c.dtype(x)));
}

void concat_build(Ctx& c) {
  V s = seq_in(c, 0);
  if (!c.has_attr("axis")) c.invalid("attribute 'axis' is required");
  ops::Attrs a{c.attr_i("axis", 0), c.attr_i("new_axis", 0) != 0};
  c.set_out(0, emit_seq(c, "ConcatFromSequence", {s}, a, ValueType::Tensor, s->dtype));
}

void map_build(Ctx& c) {
  size_t F = c.num_inputs();
  std::vector<V> ins;
  std::vector<DType> dts;
  for (size_t i = 0; i < F; ++i) {
    V v = c.in(i);
    if (v->type != ValueType::Sequence && !v->is_tensor())
      c.invalid(sinter::detail::str_cat("input ", i, " must be a sequence or a tensor"));
    ins.push_back(v);
    dts.push_back(c.dtype(v));
  }
  seq_in(c, 0);
  auto body = c.subgraph("body", dts);
  size_t formal = body.graph->inputs().size() - body.captured.size();
  if (formal != F) c.invalid(sinter::detail::str_cat("body takes ", formal, " inputs, the node gives ", F));
  for (size_t i = 0; i < F; ++i)
    if (!body.graph->inputs()[i]->is_tensor()) c.unsupported("SequenceMap bodies taking sequences");
  size_t n = body.graph->outputs().size();
  if (n != c.num_outputs()) c.invalid(sinter::detail::str_cat("body gives ", n, " outputs, the node has ", c.num_outputs()));
  ins.insert(ins.end(), body.captured.begin(), body.captured.end());
  auto outs = c.emit_control("SequenceMap", ins, {int64_t(F)}, {body.graph}, n);
  for (size_t i = 0; i < n; ++i) {
    const Value* b = body.graph->outputs()[i];
    if (!b->is_tensor()) c.unsupported("SequenceMap bodies giving sequences");
    outs[i]->type = ValueType::Sequence;
    outs[i]->dtype = b->dtype;
    c.set_out(i, outs[i]);
  }
}

void optional_build(Ctx& c) {
  if (c.has_in(0)) {
    V x = c.in(0);
    ValueType t = x->is_tensor() ? ValueType::OptionalTensor
                  : x->type == ValueType::Sequence ? ValueType::OptionalSequence
                                                   : (c.invalid("the input is already an optional"), x->type);
    c.set_out(0, emit_seq(c, "Optional", {x}, {}, t, c.dtype(x)));
    return;
  }
  auto* a = c.attr("type");
  if (!a || !a->has_tp()) c.invalid("an Optional without input needs the attribute 'type'");
  ::onnx::TypeProto opt;
  *opt.mutable_optional_type()->mutable_elem_type() = a->tp();
  auto [t, dt] = value_type_from_onnx(opt, "attribute 'type'");
  c.set_out(0, emit_seq(c, "Optional", {}, {}, t, dt));
}

void has_element_build(Ctx& c) {
  c.set_out(0, emit_seq(c, "OptionalHasElement", {c.opt_in(0)}, {}, ValueType::Tensor, DType::Bool));
}

void get_element_build(Ctx& c) {
  V x = c.in(0);
  if (x->type == ValueType::Tensor || x->type == ValueType::Sequence) {  // not an optional: itself
    c.set_out(0, x);
    return;
  }
  ValueType t = x->type == ValueType::OptionalTensor ? ValueType::Tensor : ValueType::Sequence;
  c.set_out(0, emit_seq(c, "OptionalGetElement", {x}, {}, t, x->dtype));
}

const TableRegistrar sequence_entries({
    {"SequenceConstruct", 11, kMaxOpset, construct_build},
    {"SequenceEmpty", 11, kMaxOpset, empty_build},
    {"SequenceAt", 11, kMaxOpset, at_build},
    {"SequenceInsert", 11, kMaxOpset, insert_build},
    {"SequenceErase", 11, kMaxOpset, erase_build},
    {"SequenceLength", 11, kMaxOpset, length_build},
    {"SplitToSequence", 11, kMaxOpset, split_build},
    {"ConcatFromSequence", 11, kMaxOpset, concat_build},
    {"SequenceMap", 17, kMaxOpset, map_build},
    {"Optional", 15, kMaxOpset, optional_build},
    {"OptionalHasElement", 15, kMaxOpset, has_element_build},
    {"OptionalGetElement", 15, kMaxOpset, get_element_build},
});

}  // namespace
}  // namespace sinter::onnx::detail
