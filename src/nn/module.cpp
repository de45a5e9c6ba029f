#include "sinter/nn/module.h"

#include <cxxabi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <typeinfo>
#include <unordered_set>

#include "sinter/nn/options.h"
#include "sinter/tensor_impl.h"

namespace sinter::nn {

namespace detail {
std::string shape_str(IntArrayRef s) {
  std::ostringstream os;
  os << '(';
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  if (s.size() == 1) os << ',';
  os << ')';
  return os.str();
}
std::string tuple_str(const std::vector<int64_t>& v) {
  std::ostringstream os;
  os << '(';
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  if (v.size() == 1) os << ',';
  os << ')';
  return os.str();
}
std::string py_float(double v) {
  // Python's repr: the shortest text that reads back to the same double.
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  // %g writes 1e-05 as "1e-05" (as Python) and 1.0 as "1": Python adds ".0" to integral values
  // printed without an exponent.
  if (s.find_first_of(".e") == std::string::npos && s.find("inf") == std::string::npos) s += ".0";
  // Python switches to exponent form at 1e16; %g does at precision digits. Good enough for the
  // hyper-parameters modules print (eps, momentum, slopes).
  return s;
}
}  // namespace detail

namespace {
std::string demangled_type_name(const std::type_info& t) {
  int status = 0;
  char* d = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string s = (status == 0 && d) ? d : t.name();
  std::free(d);
  // Drop template arguments and namespaces: "ns::NetImpl" -> "NetImpl".
  if (auto lt = s.find('<'); lt != std::string::npos) s.resize(lt);
  if (auto c = s.rfind("::"); c != std::string::npos) s = s.substr(c + 2);
  if (s.size() > 4 && s.compare(s.size() - 4, 4, "Impl") == 0) s.resize(s.size() - 4);
  return s;
}

std::string join_keys(const std::vector<std::string>& keys) {
  std::string r;
  for (size_t i = 0; i < keys.size(); ++i) r += (i ? ", \"" : "\"") + keys[i] + "\"";
  return r;
}

/// Gives `dst` (keeping its identity and autograd state) the data of `src`.
void set_data(Tensor& dst, const Tensor& src) {
  TensorImpl* d = dst.impl();
  TensorImpl* s = src.impl();
  if (d == s) return;
  s->storage->retain();
  d->storage->release();
  d->storage = s->storage;
  d->sizes = s->sizes;
  d->strides = s->strides;
  d->offset = s->offset;
  d->dtype = s->dtype;
  d->refresh();
  // A graph built before the change accumulates into the old metadata: later graphs get a fresh
  // accumulator (as PyTorch's set_data when the type changes).
  if (d->autograd) d->autograd->grad_accumulator.reset();
}
}  // namespace

Module::Module(std::string name) : name_(std::move(name)) {}
Module::Module() = default;

const std::string& Module::name() const {
  if (!name_) name_ = demangled_type_name(typeid(*this));
  return *name_;
}

void Module::check_name(const std::string& name, const char* what) const {
  SINTER_CHECK(!name.empty(), ValueError, this->name(), ": ", what, " name must not be empty");
  SINTER_CHECK(name.find('.') == std::string::npos, ValueError, this->name(), ": ", what, " name '", name,
               "' must not contain '.'");
  SINTER_CHECK(!parameters_.contains(name) && !buffers_.contains(name) && !children_.contains(name), ValueError,
               this->name(), ": ", what, " name '", name, "' is already registered");
}

Tensor& Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  check_name(name, "parameter");
  if (tensor.defined()) {
    SINTER_CHECK(tensor.is_leaf(), ValueError, this->name(), ": register_parameter('", name,
                 "') got a tensor computed by autograd; register a leaf (detach() it first)");
    tensor.requires_grad_(requires_grad);
  }
  return parameters_.insert(name, std::move(tensor));
}

Tensor& Module::register_buffer(std::string name, Tensor tensor, bool persistent) {
  check_name(name, "buffer");
  if (!persistent) non_persistent_.insert(name);
  return buffers_.insert(name, std::move(tensor));
}

void Module::register_module_impl(std::string name, std::shared_ptr<Module> module) {
  check_name(name, "submodule");
  SINTER_CHECK(module.get() != this, ValueError, this->name(), ": register_module('", name,
               "') cannot register a module as its own child");
  children_.insert(name, std::move(module));
}

void Module::replace_module_impl(const std::string& name, std::shared_ptr<Module> module) {
  SINTER_CHECK(module != nullptr, ValueError, this->name(), ": replace_module('", name, "') got an empty module");
  std::shared_ptr<Module>* slot = children_.find(name);
  SINTER_CHECK(slot, IndexError, this->name(), ": replace_module: no submodule named '", name, "'");
  *slot = std::move(module);
}

void Module::unregister_module(const std::string& name) {
  if (children_.contains(name)) return children_.erase(name);
  if (parameters_.contains(name)) return parameters_.erase(name);
  if (buffers_.contains(name)) {
    non_persistent_.erase(name);
    return buffers_.erase(name);
  }
  SINTER_CHECK(false, IndexError, this->name(), ": no parameter, buffer or submodule named '", name, "'");
}

// ---- traversal -------------------------------------------------------------------------------

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_modules(const std::string& name_prefix,
                                                                        bool include_self) const {
  OrderedDict<std::string, std::shared_ptr<Module>> out("Module");
  std::unordered_set<const Module*> seen;
  // The root is reported through a shared_ptr when one owns it; a stack-allocated root gets a
  // non-owning pointer.
  auto self_ptr = [this]() -> std::shared_ptr<Module> {
    if (auto w = weak_from_this().lock()) return std::const_pointer_cast<Module>(w);
    return std::shared_ptr<Module>(std::shared_ptr<Module>{}, const_cast<Module*>(this));
  };
  std::function<void(const Module&, const std::shared_ptr<Module>&, const std::string&)> walk =
      [&](const Module& m, const std::shared_ptr<Module>& ptr, const std::string& prefix) {
        if (!seen.insert(&m).second) return;
        if (&m != this || include_self) out.insert(prefix, ptr);
        for (const auto& c : m.children_) {
          if (!c.value()) continue;
          walk(*c.value(), c.value(), prefix.empty() ? c.key() : prefix + "." + c.key());
        }
      };
  walk(*this, include_self ? self_ptr() : nullptr, name_prefix);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) const {
  return named_modules("", include_self).values();
}

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_children() const {
  OrderedDict<std::string, std::shared_ptr<Module>> out("Module");
  std::unordered_set<const Module*> seen;
  for (const auto& c : children_)
    if (c.value() && seen.insert(c.value().get()).second) out.insert(c.key(), c.value());
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const { return named_children().values(); }

namespace {
template <class Get>
OrderedDict<std::string, Tensor> named_members(const Module& root, bool recurse, Get get) {
  OrderedDict<std::string, Tensor> out("Tensor");
  std::unordered_set<const TensorImpl*> seen;
  auto add = [&](const Module& m, const std::string& prefix) {
    for (const auto& it : get(m)) {
      const Tensor& t = it.value();
      if (!t.defined() || !seen.insert(t.impl()).second) continue;
      out.insert(prefix.empty() ? it.key() : prefix + "." + it.key(), t);
    }
  };
  if (!recurse) {
    add(root, "");
    return out;
  }
  for (const auto& m : root.named_modules()) add(*m.value(), m.key());
  return out;
}
}  // namespace

OrderedDict<std::string, Tensor> Module::named_parameters(bool recurse) const {
  return named_members(*this, recurse, [](const Module& m) -> const auto& { return m.own_parameters(); });
}
std::vector<Tensor> Module::parameters(bool recurse) const { return named_parameters(recurse).values(); }
OrderedDict<std::string, Tensor> Module::named_buffers(bool recurse) const {
  return named_members(*this, recurse, [](const Module& m) -> const auto& { return m.own_buffers(); });
}
std::vector<Tensor> Module::buffers(bool recurse) const { return named_buffers(recurse).values(); }

// ---- modes, gradients, dtype -----------------------------------------------------------------

void Module::train(bool on) {
  training_ = on;
  for (auto& c : children_)
    if (c.value()) c.value()->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (auto& p : parameters()) {
    Tensor& g = p.mutable_grad();
    if (!g.defined()) continue;
    if (set_to_none) {
      g = Tensor();
    } else {
      g = g.detach();
      g.zero_();
    }
  }
}

void Module::to(DType dtype, bool /*non_blocking*/) {
  NoGradGuard no_grad;
  auto convert = [&](Tensor t) {
    if (!t.defined() || !t.is_floating_point() || t.dtype() == dtype) return;
    set_data(t, t.detach().to(dtype).contiguous());
    Tensor& g = t.mutable_grad();
    if (g.defined()) g = g.to(dtype);
  };
  for (auto& p : parameters()) convert(p);
  for (auto& b : buffers()) convert(b);
}

void Module::to(Device device, bool /*non_blocking*/) {
  SINTER_CHECK(device.is_cpu(), NotImplementedError, name(), ".to(", device.str(),
               "): this build of sinter runs on the CPU only");
}
void Module::to(Device device, DType dtype, bool non_blocking) {
  to(device, non_blocking);
  to(dtype, non_blocking);
}

void Module::apply(const std::function<void(Module&)>& fn) {
  for (auto& m : named_modules()) fn(*m.value());
}
void Module::apply(const std::function<void(const std::string&, Module&)>& fn, const std::string& name_prefix) {
  for (auto& m : named_modules(name_prefix)) fn(m.key(), *m.value());
}
void Module::apply(const std::function<void(const std::shared_ptr<Module>&)>& fn) {
  SINTER_CHECK(!weak_from_this().expired(), ValueError, name(),
               ": apply with a shared_ptr function needs the module to be owned by a std::shared_ptr");
  for (auto& m : named_modules()) fn(m.value());
}

// ---- state -----------------------------------------------------------------------------------

void Module::collect_state(const std::string& prefix, OrderedDict<std::string, Tensor>& out) const {
  for (const auto& p : parameters_)
    if (p.value().defined()) out.insert(prefix + p.key(), p.value().detach());
  for (const auto& b : buffers_)
    if (b.value().defined() && !non_persistent_.count(b.key())) out.insert(prefix + b.key(), b.value().detach());
  for (const auto& c : children_)
    if (c.value()) c.value()->collect_state(prefix + c.key() + ".", out);
}

OrderedDict<std::string, Tensor> Module::state_dict() const {
  OrderedDict<std::string, Tensor> out("Key");
  collect_state("", out);
  return out;
}

LoadStateDictResult Module::load_state_dict(const OrderedDict<std::string, Tensor>& state, bool strict) {
  OrderedDict<std::string, Tensor> own = state_dict();
  LoadStateDictResult r;
  std::string mismatches;
  for (const auto& it : own) {
    const Tensor* src = state.find(it.key());
    if (!src) {
      r.missing_keys.push_back(it.key());
      continue;
    }
    SINTER_CHECK(src->defined(), ValueError, "load_state_dict for ", name(), ": the value for '", it.key(),
                 "' is an undefined tensor");
    if (!(src->sizes() == it.value().sizes())) {
      if (!mismatches.empty()) mismatches += "; ";
      mismatches += sinter::detail::str_cat("size mismatch for ", it.key(), ": copying a tensor of shape ",
                                    detail::shape_str(src->sizes()), " from the state dict, the shape in the model is ",
                                    detail::shape_str(it.value().sizes()));
    }
  }
  for (const auto& it : state)
    if (!own.contains(it.key())) r.unexpected_keys.push_back(it.key());
  SINTER_CHECK(mismatches.empty(), ShapeError, "load_state_dict for ", name(), ": ", mismatches);
  if (strict && (!r.missing_keys.empty() || !r.unexpected_keys.empty())) {
    std::string msg = "load_state_dict for " + name() + ":";
    if (!r.missing_keys.empty()) msg += " missing key(s) in state_dict: " + join_keys(r.missing_keys) + ".";
    if (!r.unexpected_keys.empty()) msg += " unexpected key(s) in state_dict: " + join_keys(r.unexpected_keys) + ".";
    throw ValueError(msg);
  }
  NoGradGuard no_grad;
  for (auto& it : own)
    if (const Tensor* src = state.find(it.key())) it.value().copy_(*src);
  return r;
}

// ---- hooks -----------------------------------------------------------------------------------

RemovableHandle Module::add_hook(ForwardPreHook h) {
  if (!hooks_) hooks_ = std::make_shared<detail::HookTable>();
  const uint64_t id = hooks_->next_id++;
  hooks_->pre.emplace(id, std::move(h));
  return RemovableHandle(hooks_, id, true);
}
RemovableHandle Module::add_hook(ForwardHook h) {
  if (!hooks_) hooks_ = std::make_shared<detail::HookTable>();
  const uint64_t id = hooks_->next_id++;
  hooks_->post.emplace(id, std::move(h));
  return RemovableHandle(hooks_, id, false);
}

std::vector<Tensor> Module::run_forward_pre_hooks(std::vector<Tensor> inputs) {
  if (!hooks_) return inputs;
  auto table = hooks_->pre;  // a hook may remove itself
  for (auto& [id, h] : table)
    if (auto r = h(*this, inputs)) inputs = std::move(*r);
  return inputs;
}

Tensor Module::run_forward_hooks(const std::vector<Tensor>& inputs, Tensor output) {
  if (!hooks_) return output;
  auto table = hooks_->post;
  for (auto& [id, h] : table)
    if (auto r = h(*this, inputs, output)) output = std::move(*r);
  return output;
}

// ---- printing --------------------------------------------------------------------------------

void Module::pretty_print(std::ostream& os) const {
  os << name();
  if (children_.is_empty()) os << '(' << extra_repr() << ')';
}

void print_module(std::ostream& os, const Module& m, const std::string& indent) {
  m.pretty_print(os);
  if (m.children_.is_empty()) return;
  const std::string inner = indent + "  ";
  os << "(\n";
  std::istringstream extra(m.extra_repr());
  for (std::string line; std::getline(extra, line);)
    if (!line.empty()) os << inner << line << '\n';
  for (const auto& c : m.children_) {
    if (!c.value()) continue;
    os << inner << '(' << c.key() << "): ";
    print_module(os, *c.value(), inner);
    os << '\n';
  }
  os << indent << ')';
}

std::ostream& operator<<(std::ostream& os, const Module& m) {
  print_module(os, m, "");
  return os;
}

std::string Module::repr() const {
  std::ostringstream os;
  os << *this;
  return os.str();
}

}  // namespace sinter::nn
