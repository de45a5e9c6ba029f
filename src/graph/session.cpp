// Session: load-time passes, the per-shape memory plan, and the run loop over arena slices.
#include <algorithm>
#include <map>
#include <mutex>
#include <cstring>
#include <new>
#include <optional>
#include <shared_mutex>

#include "core/tensor_util.h"
#include "graph/graph_util.h"
#include "graph/sequence.h"
#include "sinter/autograd.h"
#include "sinter/graph/fuse.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/shape.h"
#include "sinter/graph/session.h"

namespace sinter::graph {

namespace {

constexpr int64_t kAlign = 64;
int64_t round_up(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

enum class Where : uint8_t { Input, Constant, Arena, Owned, View, Absent, Early };

/// One executable step: a node with its attributes resolved and its values as slot indices.
struct Step {
  const Node* node;
  const ops::OpDef* op;
  ops::Attrs attrs;      // with schema defaults; attribute inputs are filled in per plan/run
  std::vector<int> in;   // op inputs then attribute inputs; -1: absent optional input
  std::vector<int> out;  // node outputs, then hidden outputs (meta gives more than the node uses)
  size_t n_op_in = 0;
};

/// Where one slot's tensor lives, for one set of input shapes.
struct SlotPlan {
  Where where = Where::Absent;
  DType dtype = DType::Float;
  DimVector sizes, strides;
  int64_t offset = 0;  // elements (views: into the root's storage)
  int buffer = -1;     // Arena slots
  int base = -1;       // View slots: the slot whose storage the view aliases (input 0)
};

struct Plan {
  /// Shapes or attributes depend on values known only during the run (a data-dependent op
  /// such as nonzero, a reshape target computed from data): such runs allocate per node.
  bool dynamic = false;
  std::vector<SlotPlan> slots;
  std::vector<size_t> n_out;  // per step: outputs the op gives for these shapes (node's + hidden)
  std::vector<std::optional<ops::Attrs>> attrs;  // per step: attributes resolved from attribute inputs
  std::vector<bool> early;                       // per step: computed at plan time (shape arithmetic)
  std::vector<Tensor> early_values;              // per slot (Early slots)
  MemoryPlan report;
};

struct Arena {
  void* p = nullptr;
  size_t cap = 0;
  ~Arena() {
    if (p) ::operator delete(p, std::align_val_t(kAlign));
  }
};

/// Input shapes, then the contents of the inputs whose values steer shapes or attributes
/// (raw bytes in 8-byte words; empty: too large to key, the plan is dynamic).
using ShapeKey = std::vector<std::vector<int64_t>>;

}  // namespace

struct Session::Impl {
  const Graph* g = nullptr;
  std::vector<Step> steps;
  size_t n_slots = 0;
  std::map<const Value*, int> slot_of;
  std::vector<int> input_slots, output_slots;
  std::vector<size_t> keyed_inputs;  // graph inputs whose values decide shapes or attributes
  std::map<const Node*, std::vector<std::unique_ptr<Session>>> bodies;  // control-flow subgraphs, loaded
  std::vector<int64_t> last_use;     // per slot: the last step reading it (dynamic runs free after it)
  std::vector<Tensor> constants;  // per slot (defined for constant slots)
  std::vector<const Value*> slot_value;
  std::vector<bool> may_be_channels_last;  // per slot: its producer and every reader take NHWC strides
  size_t max_plans = 32;
  bool tensor_io = true;  // every graph input and output is a tensor (run() may be used)

  mutable std::shared_mutex plan_mu;
  mutable std::map<ShapeKey, std::shared_ptr<const Plan>> plans;
  mutable std::mutex arena_mu;
  mutable std::vector<std::unique_ptr<Arena>> arenas;
  const std::vector<std::unique_ptr<Session>> no_bodies{};

  int add_slot(const Value* v) {
    int s = static_cast<int>(n_slots++);
    slot_value.push_back(v);
    constants.emplace_back();
    if (v) slot_of[v] = s;
    return s;
  }

  std::shared_ptr<const Plan> make_plan(const ShapeKey& key) const;
  std::vector<RunValue> run_dynamic(const std::vector<RunValue>& inputs) const;
  std::vector<RunValue> run_control(const Step& step, const std::vector<RunValue>& in) const;
  static std::vector<Tensor> run_gradient(const Node& n, const std::vector<Tensor>& in);
  std::shared_ptr<const Plan> plan_for(const ShapeKey& shapes) const {
    {
      std::shared_lock lk(plan_mu);
      auto it = plans.find(shapes);
      if (it != plans.end()) return it->second;
    }
    auto p = make_plan(shapes);
    std::unique_lock lk(plan_mu);
    if (plans.size() >= max_plans) plans.clear();
    return plans.emplace(shapes, p).first->second;
  }
  std::unique_ptr<Arena> take_arena(size_t bytes) const {
    std::unique_ptr<Arena> a;
    {
      std::lock_guard lk(arena_mu);
      if (!arenas.empty()) {
        a = std::move(arenas.back());
        arenas.pop_back();
      }
    }
    if (!a) a = std::make_unique<Arena>();
    if (a->cap < bytes) {
      if (a->p) ::operator delete(a->p, std::align_val_t(kAlign));
      a->p = ::operator new(bytes, std::align_val_t(kAlign));
      a->cap = bytes;
    }
    return a;
  }
  void give_arena(std::unique_ptr<Arena> a) const {
    std::lock_guard lk(arena_mu);
    arenas.push_back(std::move(a));
  }
};

namespace {

// Keyed input values travel in the plan key as raw bytes.
std::vector<int64_t> key_words(const Tensor& t) {
  std::vector<int64_t> w((t.nbytes() + 7) / 8 + 1, 0);
  w[0] = static_cast<int64_t>(t.nbytes());
  if (t.nbytes()) std::memcpy(w.data() + 1, t.data_ptr(), t.nbytes());
  return w;
}
Tensor from_key_words(const std::vector<int64_t>& w, IntArrayRef sizes, DType dt) {
  Tensor t = sinter::detail::make_empty(sizes, dt);
  if (t.nbytes()) std::memcpy(t.data_ptr(), w.data() + 1, t.nbytes());
  return t;
}

}  // namespace

std::shared_ptr<const Plan> Session::Impl::make_plan(const ShapeKey& key) const {
  auto plan = std::make_shared<Plan>();
  const size_t n_in = input_slots.size();
  plan->report.input_shapes.assign(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(n_in));
  auto& slots = plan->slots;
  slots.resize(n_slots);
  plan->early_values.resize(n_slots);
  plan->attrs.resize(steps.size());
  plan->early.assign(steps.size(), false);
  // Meta stand-ins with each slot's geometry (views share their base's null storage); slots
  // whose values are known at plan time (constants, keyed inputs, shape arithmetic) hold data.
  std::vector<Tensor> st(n_slots);
  for (size_t i = 0; i < n_in; ++i) {
    int s = input_slots[i];
    const Value* v = slot_value[s];
    slots[s] = {Where::Input, v->dtype, DimVector(key[i].begin(), key[i].end()), {}, 0, -1, -1};
    st[s] = meta_tensor(slots[s].sizes, v->dtype);
  }
  for (size_t k = 0; k < keyed_inputs.size(); ++k) {
    const auto& words = key[n_in + k];
    size_t i = keyed_inputs[k];
    if (!words.empty()) st[input_slots[i]] = from_key_words(words, slots[input_slots[i]].sizes, slots[input_slots[i]].dtype);
  }
  for (size_t s = 0; s < n_slots; ++s)
    if (constants[s].defined()) {
      slots[s].where = Where::Constant;
      slots[s].dtype = constants[s].dtype();
      st[s] = constants[s];
    }
  std::vector<bool> is_output(n_slots, false);
  for (int s : output_slots) is_output[s] = true;
  std::vector<int> root(n_slots, -1);
  std::vector<int64_t> first(n_slots, 0), last(n_slots, -1);
  std::vector<bool> channels_last(n_slots, false);  // slots planned with NHWC strides
  auto root_of = [&](int s) { return root[s] >= 0 ? root[s] : s; };
  const int64_t n_steps = static_cast<int64_t>(steps.size());
  for (int64_t k = 0; k < n_steps; ++k) {
    const Step& step = steps[k];
    if (!step.op) {  // control flow: shapes known only during the run
      plan->dynamic = true;
      return plan;
    }
    std::vector<Tensor> in;
    for (int s : step.in) in.push_back(s >= 0 ? st[s] : Tensor());
    auto attrs = resolve_attrs(*step.node, step.attrs, in);
    in.resize(step.n_op_in);
    bool data_unknown = false;
    if (step.op->data_dependent)
      for (const Tensor& t : in) data_unknown = data_unknown || (t.defined() && !has_data(t));
    if (!attrs || data_unknown) {  // shapes known only during the run
      plan->dynamic = true;
      return plan;
    }
    MetaResult m = run_meta(*step.node, in, *attrs);
    SINTER_CHECK(m.n <= step.out.size(), ValueError, "node '", step.node->name, "' (", step.node->kind,
                 "): the op gives ", m.n, " outputs for these shapes, its schema declares ", step.out.size());
    plan->n_out.push_back(m.n);
    if (!step.node->attr_inputs.empty()) plan->attrs[k] = *attrs;
    // Shape arithmetic (Shape -> Gather -> Concat ...) is computed once here, not per run.
    bool early = can_evaluate_early(*step.node, in);
    for (size_t i = 0; early && i < m.n; ++i) {
      int64_t numel = 1;
      for (auto d : m.specs[i].sizes) numel *= d;
      early = numel <= kMaxEarlyNumel;
    }
    if (early) {
      auto outs = evaluate_node(*step.node, in, *attrs);
      plan->early[k] = true;
      for (size_t i = 0; i < m.n; ++i) {
        int s = step.out[i];
        Tensor t = outs[i].is_contiguous() ? outs[i] : outs[i].clone(MemoryFormat::Contiguous);
        if (step.op->is_view) t = t.clone(MemoryFormat::Contiguous);  // never alias a run's buffers
        slots[s] = {Where::Early, t.dtype(), DimVector(t.sizes()), ops::contiguous_strides(t.sizes()), 0, -1, -1};
        plan->early_values[s] = t;
        st[s] = t;
      }
      continue;
    }
    for (size_t i = 0; i < m.n; ++i) {
      int s = step.out[i];
      auto& sp = m.specs[i];
      SlotPlan& p = slots[s];
      p.sizes = sp.sizes;
      if (step.op->is_view) {
        p.where = Where::View;
        p.dtype = in[0].dtype();
        p.strides = sp.strides;
        p.offset = sp.offset;
        p.base = step.in[0];
        root[s] = root_of(step.in[0]);
        st[s] = sinter::detail::make_alias(in[0], sp.sizes, sp.strides, sp.offset);
      } else {
        // String elements need constructors and destructors: never raw arena bytes.
        p.where = is_output[s] || sp.dtype == DType::String ? Where::Owned : Where::Arena;
        p.dtype = sp.dtype;
        using CL = ops::OpDef::ChannelsLast;
        const CL when = step.op->channels_last;
        const bool cl = may_be_channels_last[s] && p.where == Where::Arena && sp.sizes.size() == 4 &&
                        sp.dtype == kFloat &&
                        (when == CL::Always || (when == CL::IfInput && step.in[0] >= 0 && channels_last[step.in[0]]));
        channels_last[s] = cl;
        p.strides = cl ? sinter::detail::channels_last_strides(sp.sizes) : ops::contiguous_strides(sp.sizes);
        st[s] = meta_tensor(sp.sizes, sp.dtype);
        first[s] = last[s] = k;
      }
    }
    // Liveness: an input keeps its root buffer alive through this step.
    for (int s : step.in)
      if (s >= 0) last[root_of(s)] = std::max(last[root_of(s)], k);
  }
  for (int s : output_slots)  // a view returned as an output is copied out at the end
    if (slots[s].where == Where::View) last[root_of(s)] = n_steps;

  // Buffers: one per arena slot; views are listed with their root.
  struct Buf {
    int slot;
    int64_t bytes, first, last, offset = -1;
  };
  std::vector<Buf> bufs;
  std::map<int, int> buf_of_slot;
  for (size_t s = 0; s < n_slots; ++s) {
    if (slots[s].where != Where::Arena) continue;
    int64_t numel = sinter::detail::checked_numel(slot_value[s] ? slot_value[s]->name.c_str() : "plan", slots[s].sizes);
    SINTER_CHECK(numel <= (int64_t(1) << 56) / static_cast<int64_t>(element_size(slots[s].dtype)), ShapeError,
                 "Session: value '", slot_value[s] ? slot_value[s]->name : "(hidden output)", "' of shape ",
                 shape_str(slots[s].sizes), " is too large to plan");
    buf_of_slot[static_cast<int>(s)] = static_cast<int>(bufs.size());
    slots[s].buffer = static_cast<int>(bufs.size());
    bufs.push_back({static_cast<int>(s), round_up(numel * static_cast<int64_t>(element_size(slots[s].dtype))),
                    first[s], last[s]});
  }
  // Greedy by size: largest first, each at the lowest offset that fits between the buffers
  // already placed whose lifetimes overlap its own.
  std::vector<int> order(bufs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return bufs[a].bytes > bufs[b].bytes; });
  std::vector<int> placed;
  int64_t peak = 0, total = 0;
  for (int b : order) {
    Buf& cur = bufs[b];
    total += cur.bytes;
    std::vector<const Buf*> live;
    for (int p : placed)
      if (bufs[p].first <= cur.last && cur.first <= bufs[p].last && bufs[p].bytes > 0) live.push_back(&bufs[p]);
    std::sort(live.begin(), live.end(), [](const Buf* x, const Buf* y) { return x->offset < y->offset; });
    int64_t off = 0;
    for (const Buf* p : live) {
      if (p->offset >= off + cur.bytes) break;
      off = std::max(off, p->offset + p->bytes);
    }
    cur.offset = off;
    peak = std::max(peak, off + cur.bytes);
    placed.push_back(b);
  }
  plan->report.peak_bytes = peak;
  plan->report.total_bytes = total;
  for (auto& b : bufs) {
    MemoryPlan::Buffer r;
    r.values.push_back(slot_value[b.slot] ? slot_value[b.slot]->name : "(unused output)");
    for (size_t s = 0; s < n_slots; ++s)
      if (slots[s].where == Where::View && root_of(static_cast<int>(s)) == b.slot && slot_value[s])
        r.values.push_back(slot_value[s]->name);
    r.offset = b.offset;
    r.bytes = b.bytes;
    r.first = b.first;
    r.last = b.last;
    r.channels_last = channels_last[static_cast<size_t>(b.slot)];
    plan->report.buffers.push_back(std::move(r));
  }
  return plan;
}

Session::Session(const Graph& g, SessionOptions options) : graph_(g.clone()), impl_(std::make_unique<Impl>()) {
  Graph& G = *graph_;
  G.verify();
  stats_.nodes_before = G.num_nodes();
  SINTER_CHECK(!G.outputs().empty(), ValueError, "Session: graph '", G.name(), "' has no outputs");
  for (Node* n : G.nodes())
    SINTER_CHECK(n->op != nullptr || n->kind == "If" || n->kind == "Loop" || n->kind == "Scan" ||
                     n->kind == "Gradient" || is_sequence_kind(n->kind),
                 NotImplementedError, "Session: node '", n->name, "' (", n->kind, "): unknown control-flow node");
  if (options.fold_constants) stats_.folded = fold_constants(G);
  if (options.eliminate_dead_code) stats_.removed = eliminate_dead_code(G);
  if (options.fuse) stats_.fused = fuse_for_inference(G);
  G.infer_shapes();
  stats_.nodes_after = G.num_nodes();

  Impl& I = *impl_;
  I.g = graph_.get();
  I.max_plans = std::max<size_t>(options.max_cached_plans, 1);
  for (Value* v : G.inputs()) I.input_slots.push_back(I.add_slot(v));
  for (Value* v : G.initializers()) I.constants[I.add_slot(v)] = v->constant;
  for (Node* n : G.topo_order()) {
    Step s{n, n->op, n->full_attrs(), {}, {}, n->num_op_inputs()};
    for (Value* v : n->inputs) s.in.push_back(v ? I.slot_of.at(v) : -1);
    for (Value* v : n->outputs) s.out.push_back(I.add_slot(v));
    // Hidden outputs: what meta gives beyond the node's outputs (batch_norm's saved stats).
    if (n->op)
      for (int k = static_cast<int>(n->outputs.size()); k < n->op->num_outputs; ++k) s.out.push_back(I.add_slot(nullptr));
    else if (n->kind != "Gradient")  // a Gradient body runs eagerly, with autograd
      for (auto& sg : n->subgraphs) I.bodies[n].push_back(std::make_unique<Session>(*sg, options));
    I.steps.push_back(std::move(s));
  }
  for (Value* v : G.outputs()) I.output_slots.push_back(I.slot_of.at(v));
  // Layout: a value may be stored channels-last when its producer writes that layout and no
  // reader needs plain strides (view ops compute strides from their input's; control-flow
  // bodies and graph outputs take plain tensors). Each plan then applies it to 4-D floats.
  I.may_be_channels_last.assign(I.n_slots, false);
  if (options.channels_last) {
    for (const Step& st : I.steps)
      if (st.op && st.op->channels_last != ops::OpDef::ChannelsLast::No)
        for (int o : st.out) I.may_be_channels_last[o] = true;
    for (const Step& st : I.steps)
      if (!st.op || st.op->is_view)
        for (int i : st.in)
          if (i >= 0) I.may_be_channels_last[i] = false;
    for (int s : I.output_slots) I.may_be_channels_last[s] = false;
  }
  for (Value* v : G.inputs()) I.tensor_io = I.tensor_io && v->is_tensor();
  for (Value* v : G.outputs()) I.tensor_io = I.tensor_io && v->is_tensor();
  // Keyed inputs: graph inputs whose values reach an attribute input or a data-dependent op
  // through computations on values (not through shape-only ops such as `shape`).
  {
    std::vector<bool> need(I.n_slots, false);
    std::vector<int> work;
    for (const Step& st : I.steps) {
      for (size_t i = st.n_op_in; i < st.in.size(); ++i) work.push_back(st.in[i]);
      if (!st.op || st.op->data_dependent)
        for (size_t i = 0; i < st.n_op_in; ++i) work.push_back(st.in[i]);
    }
    std::map<int, const Step*> producer;
    for (const Step& st : I.steps)
      for (int o : st.out) producer[o] = &st;
    while (!work.empty()) {
      int s = work.back();
      work.pop_back();
      if (s < 0 || need[s]) continue;
      need[s] = true;
      auto it = producer.find(s);
      if (it == producer.end() || (it->second->op && it->second->op->sizes_only)) continue;
      for (int i : it->second->in) work.push_back(i);
    }
    for (size_t i = 0; i < I.input_slots.size(); ++i)
      if (need[I.input_slots[i]]) I.keyed_inputs.push_back(i);
  }
  I.last_use.assign(I.n_slots, -1);
  for (size_t k = 0; k < I.steps.size(); ++k)
    for (int s : I.steps[k].in)
      if (s >= 0) I.last_use[s] = static_cast<int64_t>(k);
  for (int s : I.output_slots) I.last_use[s] = static_cast<int64_t>(I.steps.size());
  // Shapes fixed at load time: plan now, so the first run does not pay for it.
  bool all_static = I.keyed_inputs.empty();
  ShapeKey key;
  for (Value* v : G.inputs()) {
    if (!v->shape || !is_static(*v->shape)) {
      all_static = false;
      break;
    }
    auto sz = static_sizes(*v->shape);
    key.emplace_back(sz.begin(), sz.end());
  }
  if (all_static) I.plan_for(key);
}

Session::~Session() = default;

size_t Session::cached_plans() const {
  std::shared_lock lk(impl_->plan_mu);
  return impl_->plans.size();
}

MemoryPlan Session::memory_plan(const std::vector<std::vector<int64_t>>& input_shapes) const {
  SINTER_CHECK(input_shapes.size() == impl_->input_slots.size(), ValueError, "Session::memory_plan: ",
               input_shapes.size(), " input shapes given, the graph has ", impl_->input_slots.size(), " inputs");
  ShapeKey key = input_shapes;
  key.resize(key.size() + impl_->keyed_inputs.size());  // values unknown: a dynamic plan
  return impl_->plan_for(key)->report;
}

namespace {

// Checks one tensor input against its graph input (dtype, device, shape; symbolic dims bound
// consistently across inputs) and makes it contiguous.
void check_tensor_input(const Value* v, Tensor& t, std::map<std::string, std::pair<int64_t, std::string>>& bound) {
  SINTER_CHECK(t.defined(), ValueError, "Session::run: input '", v->name, "' is an undefined tensor");
  SINTER_CHECK(t.dtype() == v->dtype, DTypeError, "Session::run: input '", v->name, "' expects dtype ",
               dtype_name(v->dtype), ", got ", dtype_name(t.dtype()));
  SINTER_CHECK(t.device().is_cpu(), NotImplementedError, "Session::run: input '", v->name, "' is on ",
               t.device().str(), "; the executor runs on the CPU");
  if (v->shape) {
    const Shape& s = *v->shape;
    bool ok = static_cast<int64_t>(s.size()) == t.dim();
    for (size_t d = 0; ok && d < s.size(); ++d) {
      if (s[d].is_static()) {
        ok = s[d].value == t.size(d);
      } else if (s[d].is_symbolic()) {
        auto [it, fresh] = bound.emplace(s[d].symbol, std::make_pair(t.size(d), v->name));
        SINTER_CHECK(fresh || it->second.first == t.size(d), ShapeError, "Session::run: input '", v->name,
                     "' has ", s[d].symbol, " = ", t.size(d), " (shape ", shape_str(t.sizes()), ") but input '",
                     it->second.second, "' has ", s[d].symbol, " = ", it->second.first);
      }
    }
    SINTER_CHECK(ok, ShapeError, "Session::run: input '", v->name, "' expects shape ", shape_string(s), ", got ",
                 shape_str(t.sizes()));
  }
  if (!t.is_contiguous() || t.storage_offset() != 0) t = t.clone(MemoryFormat::Contiguous);
}

}  // namespace

std::vector<Tensor> Session::run(const std::vector<Tensor>& inputs_in) const {
  const Impl& I = *impl_;
  const Graph& G = *graph_;
  SINTER_CHECK(inputs_in.size() == G.inputs().size(), ValueError, "Session::run: graph '", G.name(), "' takes ",
               G.inputs().size(), " inputs, got ", inputs_in.size());
  SINTER_CHECK(I.tensor_io, ValueError, "Session::run: graph '", G.name(),
               "' takes or gives sequences or optionals; use run_values");
  // Check dtypes and shapes (binding symbolic dims consistently across inputs).
  std::map<std::string, std::pair<int64_t, std::string>> bound;
  ShapeKey key;
  std::vector<Tensor> inputs(inputs_in);
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor& t = inputs[i];
    check_tensor_input(G.inputs()[i], t, bound);
    key.emplace_back(t.sizes().begin(), t.sizes().end());
  }
  for (size_t i : I.keyed_inputs)
    // Strings are not bytes: a string input that decides shapes makes the plan dynamic.
    key.push_back(inputs[i].numel() <= kMaxEarlyNumel && inputs[i].dtype() != DType::String ? key_words(inputs[i])
                                                                                            : std::vector<int64_t>{});
  auto plan = I.plan_for(key);
  if (plan->dynamic) {
    std::vector<RunValue> vin(inputs.begin(), inputs.end());
    std::vector<Tensor> r;
    for (RunValue& v : I.run_dynamic(vin)) r.push_back(std::move(v.tensor));
    return r;
  }
  const auto& slots = plan->slots;
  NoGradGuard ng;
  auto arena = I.take_arena(static_cast<size_t>(std::max<int64_t>(plan->report.peak_bytes, kAlign)));
  char* base = static_cast<char*>(arena->p);
  std::vector<Tensor> out;
  {
    std::vector<Tensor> vals(I.n_slots);
    for (size_t i = 0; i < I.input_slots.size(); ++i) vals[I.input_slots[i]] = inputs[i];
    for (size_t s = 0; s < I.n_slots; ++s) {
      if (I.constants[s].defined()) vals[s] = I.constants[s];
      if (slots[s].where == Where::Early) vals[s] = plan->early_values[s];
    }
    auto materialise = [&](int s) {
      const SlotPlan& p = slots[s];
      if (p.where == Where::Owned) {
        vals[s] = sinter::detail::make_empty(p.sizes, p.dtype);
      } else {  // Arena: a tensor over the buffer's slice of this run's arena
        const auto& b = plan->report.buffers[p.buffer];
        Storage* st = Storage::wrap(base + b.offset, static_cast<size_t>(b.bytes), Device(), nullptr, nullptr);
        auto* impl = new TensorImpl(st, p.dtype);
        impl->sizes = p.sizes;
        impl->strides = p.strides;
        impl->refresh();
        vals[s] = Tensor(impl);
      }
    };
    std::vector<Tensor> in;
    std::array<Tensor, ops::kMaxOutputs> outs;
    for (size_t k = 0; k < I.steps.size(); ++k) {
      const Step& step = I.steps[k];
      if (plan->early[k]) continue;
      in.clear();
      for (size_t i = 0; i < step.n_op_in; ++i) in.push_back(step.in[i] >= 0 ? vals[step.in[i]] : Tensor());
      const ops::Attrs& attrs = plan->attrs[k] ? *plan->attrs[k] : step.attrs;
      if (step.op->is_view) {
        for (size_t i = 0; i < plan->n_out[k]; ++i) {
          const SlotPlan& p = slots[step.out[i]];
          vals[step.out[i]] = sinter::detail::make_alias(vals[p.base], p.sizes, p.strides, p.offset);
        }
        continue;
      }
      size_t n = plan->n_out[k];
      for (size_t i = 0; i < n; ++i) {
        materialise(step.out[i]);
        outs[i] = vals[step.out[i]];
      }
      ops::OpCall c{*step.op, in, attrs, std::span<Tensor>(outs.data(), n)};
      ops::KernelFn kern = ops::ReferenceKernels::enabled() ? step.op->cpu_ref : step.op->cpu;
      SINTER_CHECK(kern != nullptr, NotImplementedError, "node '", step.node->name, "' (", step.node->kind,
                   "): the op has no CPU kernel");
      with_node_context(*step.node, [&] { kern(c); });
      for (size_t i = 0; i < n; ++i) {
        // A kernel that replaced its output tensor: copy the result into the planned slot.
        if (!outs[i].is_same(vals[step.out[i]]) && outs[i].data_ptr() != vals[step.out[i]].data_ptr())
          vals[step.out[i]].copy_(outs[i]);
        outs[i] = Tensor();
      }
      // Hidden outputs die with the step.
      for (size_t i = step.node->outputs.size(); i < n; ++i) vals[step.out[i]] = Tensor();
    }
    std::vector<bool> taken(I.n_slots, false);
    for (int s : I.output_slots) {
      const SlotPlan& p = slots[s];
      if (p.where == Where::Owned && !taken[s]) {
        taken[s] = true;
        out.push_back(vals[s]);
      } else {
        out.push_back(vals[s].clone(MemoryFormat::Contiguous));
      }
    }
  }  // every tensor over the arena is gone here
  I.give_arena(std::move(arena));
  return out;
}

std::vector<RunValue> Session::Impl::run_dynamic(const std::vector<RunValue>& inputs) const {
  // Node by node, each output a fresh value, freed after its last use.
  NoGradGuard ng;
  std::vector<RunValue> vals(n_slots);
  for (size_t i = 0; i < input_slots.size(); ++i) vals[input_slots[i]] = inputs[i];
  for (size_t s = 0; s < n_slots; ++s)
    if (constants[s].defined()) vals[s] = constants[s];
  std::vector<RunValue> in;
  std::vector<Tensor> tin;
  for (size_t k = 0; k < steps.size(); ++k) {
    const Step& step = steps[k];
    in.clear();
    for (int s : step.in) in.push_back(s >= 0 ? vals[s] : RunValue());
    std::vector<RunValue> outs;
    if (!step.op) {
      outs = is_sequence_kind(step.node->kind) ? run_sequence_node(*step.node, in, bodies.count(step.node) ? bodies.at(step.node) : no_bodies)
                                               : run_control(step, in);
    } else {
      tin.clear();
      for (RunValue& v : in) tin.push_back(std::move(v.tensor));
      auto attrs = resolve_attrs(*step.node, step.attrs, tin);
      SINTER_ASSERT(attrs.has_value(), "attribute inputs hold data during a run");
      tin.resize(step.n_op_in);
      for (Tensor& t : evaluate_node(*step.node, tin, *attrs)) outs.emplace_back(std::move(t));
    }
    for (size_t i = 0; i < step.node->outputs.size() && i < outs.size(); ++i) vals[step.out[i]] = std::move(outs[i]);
    for (int s : step.in)
      if (s >= 0 && last_use[s] == static_cast<int64_t>(k) && !constants[s].defined()) vals[s] = RunValue();
  }
  std::vector<RunValue> out;
  for (int s : output_slots) {
    RunValue v = vals[s];
    if (v.is_sequence()) {  // elements may alias inputs, constants or each other
      for (Tensor& t : v.sequence) t = t.clone(MemoryFormat::Contiguous);
    } else if (v.is_tensor()) {
      bool owned = slot_value[s]->kind == Value::Kind::NodeOutput && slot_value[s]->producer->op &&
                   !slot_value[s]->producer->op->is_view &&
                   std::count(output_slots.begin(), output_slots.end(), s) == 1;
      if (!owned || !v.tensor.is_contiguous()) v.tensor = v.tensor.clone(MemoryFormat::Contiguous);
    }
    out.push_back(std::move(v));
  }
  return out;
}

//   Gradient: inputs [xs (attrs {count})..., other values the body reads...]; the body computes
//         y from them and runs eagerly with autograd; the node gives d sum(y) / d xs.
std::vector<Tensor> Session::Impl::run_gradient(const Node& n, const std::vector<Tensor>& in) {
  const Graph& body = *n.subgraphs.at(0);
  size_t nx = static_cast<size_t>(n.attrs().i(0));
  AutoGradMode grad_on(true);
  std::map<const Value*, Tensor> vals;
  std::vector<Tensor> xs;
  for (size_t i = 0; i < body.inputs().size(); ++i) {
    Tensor t = in.at(i).detach();
    if (i < nx) {
      t = t.clone().requires_grad_(true);
      xs.push_back(t);
    }
    vals[body.inputs()[i]] = t;
  }
  for (const Value* v : body.initializers()) vals[v] = v->constant;
  for (const Node* b : body.topo_order()) {
    std::vector<Tensor> bin;
    for (const Value* v : b->inputs) bin.push_back(v ? vals.at(v) : Tensor());
    auto attrs = resolve_attrs(*b, b->full_attrs(), bin);
    SINTER_ASSERT(attrs.has_value(), "attribute inputs hold data during a run");
    bin.resize(b->num_op_inputs());
    ops::Outputs o = with_node_context(*b, [&] { return ops::dispatch(*b->op, bin, *attrs); });
    for (size_t i = 0; i < b->outputs.size(); ++i) vals[b->outputs[i]] = o[i];
  }
  Tensor y = vals.at(body.outputs().at(0));
  SINTER_CHECK(y.requires_grad(), ValueError, "node '", n.name, "' (Gradient): y does not depend on xs");
  TensorList g = autograd::grad({y}, xs, {sinter::ones_like(y)}, std::nullopt, false, true);
  std::vector<Tensor> r;
  for (size_t i = 0; i < nx; ++i) r.push_back(g[i].defined() ? g[i] : sinter::zeros_like(xs[i]));
  return r;
}

std::vector<RunValue> Session::run_values(const std::vector<RunValue>& inputs_in) const {
  const Impl& I = *impl_;
  const Graph& G = *graph_;
  SINTER_CHECK(inputs_in.size() == G.inputs().size(), ValueError, "Session::run_values: graph '", G.name(),
               "' takes ", G.inputs().size(), " inputs, got ", inputs_in.size());
  auto expect = [&](const Value* v, const RunValue& r, bool ok) {
    SINTER_CHECK(ok, ValueError, "Session::run_values: input '", v->name, "' is a ", value_type_name(v->type),
                 ", got ", r.kind_name());
  };
  if (I.tensor_io) {
    std::vector<Tensor> ts;
    for (size_t i = 0; i < inputs_in.size(); ++i) {
      expect(G.inputs()[i], inputs_in[i], inputs_in[i].is_tensor());
      ts.push_back(inputs_in[i].tensor);
    }
    std::vector<RunValue> r;
    for (Tensor& t : run(ts)) r.emplace_back(std::move(t));
    return r;
  }
  std::map<std::string, std::pair<int64_t, std::string>> bound;
  std::vector<RunValue> inputs(inputs_in);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value* v = G.inputs()[i];
    RunValue& r = inputs[i];
    switch (v->type) {
      case ValueType::Tensor: expect(v, r, r.is_tensor()); break;
      case ValueType::Sequence: expect(v, r, r.is_sequence()); break;
      case ValueType::OptionalTensor: expect(v, r, !r.is_sequence()); break;
      case ValueType::OptionalSequence: expect(v, r, !r.is_tensor()); break;
    }
    if (r.is_tensor()) check_tensor_input(v, r.tensor, bound);
    for (Tensor& t : r.sequence) {
      SINTER_CHECK(t.defined(), ValueError, "Session::run_values: input '", v->name, "' holds an undefined tensor");
      SINTER_CHECK(t.dtype() == v->dtype, DTypeError, "Session::run_values: input '", v->name, "' holds ",
                   dtype_name(v->dtype), " tensors, got ", dtype_name(t.dtype()));
      SINTER_CHECK(t.device().is_cpu(), NotImplementedError, "Session::run_values: input '", v->name, "' holds a tensor on ",
                   t.device().str(), "; the executor runs on the CPU");
      if (!t.is_contiguous() || t.storage_offset() != 0) t = t.clone(MemoryFormat::Contiguous);
    }
  }
  return I.run_dynamic(inputs);
}

// Control flow, run node by node (the importer's conventions, see onnx/ops_control.cpp):
//   If:   inputs [cond, then captures..., else captures...], attrs {then capture count};
//         bodies then/else take their captures as inputs.
//   Loop: inputs [M or None, cond or None, carried (N)..., captures...], attrs {N}; the body
//         takes [iteration, cond, carried..., captures...] and gives [cond, carried..., scan
//         outputs (K)...]; the node gives [carried..., scan outputs stacked on a new axis 0...].
//   Scan: inputs [sequence_lens or None (batched form only), state (N)..., scan inputs (M)...,
//         captures...], attrs {N, M, input axes, input directions, output axes, output
//         directions, batched}; the body takes [state..., one slice per scan input...,
//         captures...] and gives [state..., scan output slices...].
std::vector<RunValue> Session::Impl::run_control(const Step& step, const std::vector<RunValue>& vin) const {
  const Node& n = *step.node;
  if (n.kind == "Gradient") {
    std::vector<Tensor> in;
    for (const RunValue& v : vin) in.push_back(v.tensor);
    auto r = run_gradient(n, in);
    return std::vector<RunValue>(r.begin(), r.end());
  }
  const auto& subs = bodies.at(step.node);
  const ops::Attrs& a = step.attrs;
  auto fail = [&](const std::string& why) {
    throw ValueError(detail::str_cat("node '", n.name, "' (", n.kind, "): ", why));
  };
  auto tensor_of = [&](const RunValue& v, const char* what) -> const Tensor& {
    if (!v.is_tensor()) fail(detail::str_cat(what, " must be a tensor, got ", v.kind_name()));
    return v.tensor;
  };
  auto scalar_of = [&](const RunValue& v, const char* what) {
    const Tensor& t = tensor_of(v, what);
    if (t.numel() != 1) fail(detail::str_cat(what, " must hold one element, got shape ", shape_str(t.sizes())));
    return t.reshape({}).item();
  };
  if (n.kind == "If") {
    size_t n_then = static_cast<size_t>(a.i(0));
    bool c = scalar_of(vin[0], "the condition").to_bool();
    std::vector<RunValue> caps;
    if (c)
      caps.assign(vin.begin() + 1, vin.begin() + 1 + static_cast<std::ptrdiff_t>(n_then));
    else
      caps.assign(vin.begin() + 1 + static_cast<std::ptrdiff_t>(n_then), vin.end());
    return subs[c ? 0 : 1]->run_values(caps);
  }
  if (n.kind == "Loop") {
    const Session& body = *subs[0];
    size_t N = static_cast<size_t>(a.i(0));
    std::vector<RunValue> carried(vin.begin() + 2, vin.begin() + 2 + static_cast<std::ptrdiff_t>(N));
    std::vector<RunValue> caps(vin.begin() + 2 + static_cast<std::ptrdiff_t>(N), vin.end());
    int64_t max_trip = !vin[0].is_none() ? scalar_of(vin[0], "the trip count M").to_long() : INT64_MAX;
    bool cond = !vin[1].is_none() ? scalar_of(vin[1], "the condition").to_bool() : true;
    size_t K = body.graph().outputs().size() - 1 - N;
    std::vector<std::vector<Tensor>> scans(K);
    for (int64_t i = 0; i < max_trip && cond; ++i) {
      std::vector<RunValue> bin;
      bin.push_back(sinter::full({}, Scalar(i), TensorOptions(DType::Long)));
      bin.push_back(sinter::full({}, Scalar(cond), TensorOptions(DType::Bool)));
      for (auto& t : carried) bin.push_back(t);
      for (auto& t : caps) bin.push_back(t);
      auto out = body.run_values(bin);
      cond = scalar_of(out[0], "the body's condition").to_bool();
      for (size_t j = 0; j < N; ++j) carried[j] = out[1 + j];
      for (size_t j = 0; j < K; ++j) scans[j].push_back(tensor_of(out[1 + N + j], "a scan output"));
    }
    std::vector<RunValue> r = carried;
    for (size_t j = 0; j < K; ++j)
      r.push_back(scans[j].empty() ? sinter::empty({0}, TensorOptions(body.graph().outputs()[1 + N + j]->dtype))
                                   : sinter::stack(scans[j], 0));
    return r;
  }
  // Scan (tensors only)
  std::vector<Tensor> in;
  for (const RunValue& v : vin) in.push_back(v.is_none() ? Tensor() : tensor_of(v, "a Scan input"));
  const Session& body = *subs[0];
  size_t N = static_cast<size_t>(a.i(0)), M = static_cast<size_t>(a.i(1));
  bool batched = a.b(6);
  size_t first = batched ? 1 : 0;
  size_t K = body.graph().outputs().size() - N;
  auto axis_of = [&](size_t attr, size_t j, int64_t rank) {
    IntArrayRef ax = a.ints(attr);
    int64_t v = j < ax.size() ? ax[j] : 0;
    if (v < -rank || v >= rank) fail(detail::str_cat("scan axis ", v, " is out of range for rank ", rank));
    return v < 0 ? v + rank : v;
  };
  auto dir_of = [&](size_t attr, size_t j) {
    IntArrayRef d = a.ints(attr);
    return j < d.size() && d[j] != 0;
  };
  std::vector<Tensor> state(in.begin() + static_cast<std::ptrdiff_t>(first),
                            in.begin() + static_cast<std::ptrdiff_t>(first + N));
  std::vector<Tensor> xs(in.begin() + static_cast<std::ptrdiff_t>(first + N),
                         in.begin() + static_cast<std::ptrdiff_t>(first + N + M));
  std::vector<Tensor> caps(in.begin() + static_cast<std::ptrdiff_t>(first + N + M), in.end());
  // One scan over xs (batched: one per batch row, state and inputs sliced on axis 0).
  auto scan_once = [&](std::vector<Tensor> st, const std::vector<Tensor>& x, int64_t len_limit) {
    int64_t len = -1;
    for (size_t j = 0; j < M; ++j) {
      int64_t ax = batched ? 0 : axis_of(2, j, x[j].dim());
      if (len >= 0 && x[j].size(ax) != len) fail("scan inputs differ in sequence length");
      len = x[j].size(ax);
    }
    if (len < 0) len = 0;
    if (len_limit >= 0) len = std::min(len, len_limit);
    std::vector<std::vector<Tensor>> outs(K);
    for (int64_t t = 0; t < len; ++t) {
      std::vector<Tensor> bin = st;
      for (size_t j = 0; j < M; ++j) {
        int64_t ax = batched ? 0 : axis_of(2, j, x[j].dim());
        bool rev = !batched && dir_of(3, j);
        bin.push_back(x[j].select(ax, rev ? len - 1 - t : t).contiguous());
      }
      for (auto& c : caps) bin.push_back(c);
      auto out = body.run(bin);  // (ValueError when the body takes or gives sequences)
      for (size_t j = 0; j < N; ++j) st[j] = out[j];
      for (size_t j = 0; j < K; ++j) outs[j].push_back(out[N + j]);
    }
    std::vector<Tensor> r = st;
    for (size_t j = 0; j < K; ++j) {
      auto& o = outs[j];
      if (!batched && dir_of(5, j)) std::reverse(o.begin(), o.end());
      if (o.empty()) {
        r.push_back(sinter::empty({0}, TensorOptions(body.graph().outputs()[N + j]->dtype)));
        continue;
      }
      int64_t ax = batched ? 0 : axis_of(4, j, o[0].dim() + 1);
      r.push_back(sinter::stack(o, ax));
    }
    return r;
  };
  if (!batched) {
    auto r = scan_once(state, xs, -1);
    return std::vector<RunValue>(r.begin(), r.end());
  }
  // Opset 8: axis 0 of every state and scan input is the batch; scan along axis 1.
  int64_t B = N ? state[0].size(0) : (M ? xs[0].size(0) : 0);
  std::vector<std::vector<Tensor>> per(N + K);
  for (int64_t b = 0; b < B; ++b) {
    std::vector<Tensor> st, x;
    for (auto& t : state) st.push_back(t.select(0, b).contiguous());
    for (auto& t : xs) x.push_back(t.select(0, b));
    int64_t lim = in[0].defined() ? in[0].to(DType::Long).contiguous().select(0, b).item().to_long() : -1;
    auto r = scan_once(st, x, lim);
    for (size_t j = 0; j < N + K; ++j) per[j].push_back(r[j]);
  }
  std::vector<RunValue> r;
  for (size_t j = 0; j < N + K; ++j) r.emplace_back(sinter::stack(per[j], 0));
  return r;
}

std::map<std::string, Tensor> Session::run_named(const std::map<std::string, Tensor>& named) const {
  const Graph& G = *graph_;
  std::vector<Tensor> in;
  for (Value* v : G.inputs()) {
    auto it = named.find(v->name);
    SINTER_CHECK(it != named.end(), ValueError, "Session::run: missing input '", v->name, "'");
    in.push_back(it->second);
  }
  for (auto& [name, t] : named) {
    bool known = false;
    for (Value* v : G.inputs()) known = known || v->name == name;
    SINTER_CHECK(known, ValueError, "Session::run: graph '", G.name(), "' has no input named '", name, "'");
  }
  auto out = run(in);
  std::map<std::string, Tensor> r;
  for (size_t i = 0; i < out.size(); ++i) r[G.outputs()[i]->name] = out[i];
  return r;
}

}  // namespace sinter::graph
