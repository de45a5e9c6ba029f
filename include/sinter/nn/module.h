// nn::Module: the base of every layer and model, shaped like LibTorch's torch::nn::Module.
//
//   struct NetImpl : sinter::nn::Module {
//     NetImpl() : fc(register_module("fc", sinter::nn::Linear(784, 10))) {}
//     Tensor forward(const Tensor& x) { return fc(x); }
//     sinter::nn::Linear fc;
//   };
//   SINTER_MODULE(Net);          // Net holds a std::shared_ptr<NetImpl>: Net net; net(x); net->fc
//
// A module owns named parameters, buffers and submodules; names join with dots exactly as in
// PyTorch (`features.0.weight`). state_dict()/load_state_dict() use those names. Printing a
// module (operator<<) reproduces PyTorch's repr.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "sinter/autograd.h"
#include "sinter/error.h"
#include "sinter/ordered_dict.h"
#include "sinter/tensor.h"

namespace sinter::nn {

class Module;

/// Forward pre-hook: sees the module and its Tensor inputs; may return replacement inputs.
using ForwardPreHook = std::function<std::optional<std::vector<Tensor>>(Module&, const std::vector<Tensor>&)>;
/// Forward hook: sees the module, its Tensor inputs and the output; may return a replacement
/// output (an undefined Tensor or nullopt keeps it).
using ForwardHook = std::function<std::optional<Tensor>(Module&, const std::vector<Tensor>&, const Tensor&)>;

namespace detail {
/// "sinter::Tensor" for a type_info (demangled).
std::string type_name(const std::type_info& t);

/// T itself, or the module type a holder T contains.
template <class T>
struct contained {
  using type = T;
};
template <class T>
  requires requires { typename T::ContainedType; }
struct contained<T> {
  using type = typename T::ContainedType;
};

struct HookTable {
  uint64_t next_id = 0;
  std::map<uint64_t, ForwardPreHook> pre;
  std::map<uint64_t, ForwardHook> post;
};
}  // namespace detail

/// Returned by register_forward_(pre_)hook; remove() unregisters the hook (idempotent; harmless
/// after the module is gone).
class RemovableHandle {
 public:
  RemovableHandle() = default;
  RemovableHandle(std::weak_ptr<detail::HookTable> table, uint64_t id, bool pre)
      : table_(std::move(table)), id_(id), pre_(pre) {}
  void remove() {
    if (auto t = table_.lock()) {
      if (pre_)
        t->pre.erase(id_);
      else
        t->post.erase(id_);
    }
  }
  uint64_t id() const { return id_; }

 private:
  std::weak_ptr<detail::HookTable> table_;
  uint64_t id_ = 0;
  bool pre_ = false;
};

/// What load_state_dict found: state entries the dict lacked, and dict keys the module lacks.
struct LoadStateDictResult {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};

template <class Contained>
class ModuleHolder;

class Module : public std::enable_shared_from_this<Module> {
 public:
  /// `name` is what printing shows ("Linear"); without one, the class name is used (a trailing
  /// "Impl" dropped, as for `NetImpl` behind `SINTER_MODULE(Net)`).
  explicit Module(std::string name);
  Module();
  virtual ~Module() = default;
  Module(const Module&) = default;
  Module& operator=(const Module&) = default;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  /// The module's type name as printed ("Linear", "Sequential", "Net").
  const std::string& name() const;

  // ---- registration ---------------------------------------------------------------------------
  /// Adds a parameter (a leaf that requires grad unless requires_grad = false). An undefined
  /// tensor registers an absent parameter (PyTorch's `register_parameter('bias', None)`): it is
  /// skipped by parameters() and state_dict(). Returns the stored tensor.
  Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  /// Adds a buffer (state that is not a parameter, e.g. running_mean). Non-persistent buffers
  /// are left out of state_dict().
  Tensor& register_buffer(std::string name, Tensor tensor, bool persistent = true);
  /// Adds a submodule; returns it as a std::shared_ptr (which converts to its holder type).
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    static_assert(std::is_base_of_v<Module, M>, "register_module: not a sinter::nn::Module");
    SINTER_CHECK(module != nullptr, ValueError, name_for_errors(), ": register_module('", name,
                 "') got an empty module");
    register_module_impl(std::move(name), module);
    return module;
  }
  template <class M>
  std::shared_ptr<M> register_module(std::string name, ModuleHolder<M> holder) {
    return register_module(std::move(name), holder.ptr());
  }
  /// Replaces an existing submodule (the name must already be registered).
  template <class M>
  std::shared_ptr<M> replace_module(const std::string& name, std::shared_ptr<M> module) {
    replace_module_impl(name, module);
    return module;
  }
  template <class M>
  std::shared_ptr<M> replace_module(const std::string& name, ModuleHolder<M> holder) {
    return replace_module(name, holder.ptr());
  }
  /// Removes a parameter, buffer or submodule by name (IndexError when absent).
  void unregister_module(const std::string& name);

  // ---- traversal -------------------------------------------------------------------------------
  /// Parameters of this module (and its descendants when recurse), each once, in registration
  /// order depth-first, as PyTorch's parameters().
  std::vector<Tensor> parameters(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_children() const;
  /// This module (when include_self) and every descendant, each once, pre-order.
  std::vector<std::shared_ptr<Module>> modules(bool include_self = true) const;
  /// Keys are dotted paths; this module's own key is name_prefix ("" by default).
  OrderedDict<std::string, std::shared_ptr<Module>> named_modules(const std::string& name_prefix = "",
                                                                  bool include_self = true) const;

  /// This module as T (a module type or its holder type), or nullptr when it is not one.
  template <class T>
  typename detail::contained<T>::type* as() noexcept {
    return dynamic_cast<typename detail::contained<T>::type*>(this);
  }
  template <class T>
  const typename detail::contained<T>::type* as() const noexcept {
    return dynamic_cast<const typename detail::contained<T>::type*>(this);
  }

  // ---- modes, gradients, dtype -----------------------------------------------------------------
  /// Sets training mode here and in every descendant.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const noexcept { return training_; }
  /// Clears parameter gradients: undefined when set_to_none, else zero-filled.
  void zero_grad(bool set_to_none = true);
  /// Converts floating-point parameters and buffers to `dtype` in place (the tensors keep their
  /// identity, so handles held elsewhere — e.g. by an optimizer — see the new data).
  virtual void to(DType dtype, bool non_blocking = false);
  /// Moves to `device`: this build runs on the CPU, so anything else is a NotImplementedError.
  virtual void to(Device device, bool non_blocking = false);
  virtual void to(Device device, DType dtype, bool non_blocking = false);
  /// fn(module) on this module, then on every descendant (pre-order, as LibTorch).
  void apply(const std::function<void(Module&)>& fn);
  void apply(const std::function<void(const std::string&, Module&)>& fn, const std::string& name_prefix = "");
  void apply(const std::function<void(const std::shared_ptr<Module>&)>& fn);

  // ---- state -----------------------------------------------------------------------------------
  /// Parameters and persistent buffers under dotted names (values share storage with the module,
  /// detached from autograd), as PyTorch's state_dict().
  OrderedDict<std::string, Tensor> state_dict() const;
  /// Copies values into the module's tensors in place (no autograd recording; dtypes converted).
  /// A shape mismatch is a ShapeError naming the key and both shapes (nothing is copied then).
  /// strict: missing or unexpected keys are a ValueError listing them (nothing is copied then);
  /// otherwise they are reported in the result.
  LoadStateDictResult load_state_dict(const OrderedDict<std::string, Tensor>& state, bool strict = true);

  // ---- hooks -----------------------------------------------------------------------------------
  /// hook(module, inputs) runs before forward when the module is called through its holder (or
  /// a container such as Sequential). It may return nothing (void), or replacement inputs.
  template <class F>
  RemovableHandle register_forward_pre_hook(F&& hook) {
    using R = std::invoke_result_t<F&, Module&, const std::vector<Tensor>&>;
    ForwardPreHook h;
    if constexpr (std::is_void_v<R>)
      h = [f = std::forward<F>(hook)](Module& m, const std::vector<Tensor>& in) mutable
          -> std::optional<std::vector<Tensor>> {
        f(m, in);
        return std::nullopt;
      };
    else
      h = [f = std::forward<F>(hook)](Module& m, const std::vector<Tensor>& in) mutable
          -> std::optional<std::vector<Tensor>> { return f(m, in); };
    return add_hook(std::move(h));
  }
  /// hook(module, inputs, output) runs after forward; it may return void, or a replacement output
  /// (an undefined Tensor / nullopt keeps the output).
  template <class F>
  RemovableHandle register_forward_hook(F&& hook) {
    using R = std::invoke_result_t<F&, Module&, const std::vector<Tensor>&, const Tensor&>;
    ForwardHook h;
    if constexpr (std::is_void_v<R>)
      h = [f = std::forward<F>(hook)](Module& m, const std::vector<Tensor>& in, const Tensor& out) mutable
          -> std::optional<Tensor> {
        f(m, in, out);
        return std::nullopt;
      };
    else
      h = [f = std::forward<F>(hook)](Module& m, const std::vector<Tensor>& in, const Tensor& out) mutable
          -> std::optional<Tensor> {
        std::optional<Tensor> r = f(m, in, out);
        if (r && !r->defined()) return std::nullopt;
        return r;
      };
    return add_hook(std::move(h));
  }
  bool has_forward_hooks() const noexcept { return hooks_ && (!hooks_->pre.empty() || !hooks_->post.empty()); }
  /// Runs the pre-hooks in registration order; returns the (possibly replaced) inputs.
  std::vector<Tensor> run_forward_pre_hooks(std::vector<Tensor> inputs);
  /// Runs the forward hooks in registration order; returns the (possibly replaced) output.
  Tensor run_forward_hooks(const std::vector<Tensor>& inputs, Tensor output);

  // ---- printing --------------------------------------------------------------------------------
  /// PyTorch's extra_repr: the text inside "Name(...)" ("in_features=784, out_features=256, ...").
  virtual std::string extra_repr() const { return {}; }
  /// The module's own line (LibTorch's override point). The default writes `Name(extra_repr)`
  /// for a module without children and `Name` for one with children, whose lines operator<<
  /// adds in PyTorch's layout.
  virtual void pretty_print(std::ostream& os) const;
  /// The whole tree, as PyTorch's repr(module).
  std::string repr() const;

  /// Access to the own (non-recursive) registries.
  const OrderedDict<std::string, Tensor>& own_parameters() const { return parameters_; }
  const OrderedDict<std::string, Tensor>& own_buffers() const { return buffers_; }
  const OrderedDict<std::string, std::shared_ptr<Module>>& own_children() const { return children_; }

 protected:
  /// "Linear" (or the class name) for error messages.
  std::string name_for_errors() const { return name(); }
  bool training_ = true;

 private:
  friend void print_module(std::ostream& os, const Module& m, const std::string& indent);
  void register_module_impl(std::string name, std::shared_ptr<Module> module);
  void replace_module_impl(const std::string& name, std::shared_ptr<Module> module);
  void check_name(const std::string& name, const char* what) const;
  RemovableHandle add_hook(ForwardPreHook h);
  RemovableHandle add_hook(ForwardHook h);
  void collect_state(const std::string& prefix, OrderedDict<std::string, Tensor>& out) const;

  mutable std::optional<std::string> name_;
  OrderedDict<std::string, Tensor> parameters_{"Parameter"};
  OrderedDict<std::string, Tensor> buffers_{"Buffer"};
  std::set<std::string> non_persistent_;
  OrderedDict<std::string, std::shared_ptr<Module>> children_{"Submodule"};
  std::shared_ptr<detail::HookTable> hooks_;
};

/// Prints the module tree as PyTorch's repr.
std::ostream& operator<<(std::ostream& os, const Module& m);
inline std::ostream& operator<<(std::ostream& os, const std::shared_ptr<Module>& m) { return os << *m; }

namespace detail {
template <class T>
struct is_tensor_arg : std::is_same<std::decay_t<T>, Tensor> {};

/// "Tensor" outputs and the first Tensor of a tuple/pair, for forward hooks; undefined otherwise.
template <class R>
Tensor hook_output(const R& r) {
  if constexpr (std::is_same_v<R, Tensor>)
    return r;
  else
    return Tensor();
}

template <class M, size_t... I>
auto forward_from_vector(M& m, const std::vector<Tensor>& in, std::index_sequence<I...>) {
  return m.forward(in[I]...);
}

/// Calls m.forward(args...) with the module's forward hooks around it.
template <class M, class... Args>
auto call_forward(M& m, Args&&... args) {
  if (!m.has_forward_hooks()) return m.forward(std::forward<Args>(args)...);
  using R = decltype(m.forward(std::forward<Args>(args)...));
  std::vector<Tensor> inputs;
  if constexpr ((is_tensor_arg<Args>::value && ...)) {
    inputs = m.run_forward_pre_hooks(std::vector<Tensor>{Tensor(args)...});
    SINTER_CHECK(inputs.size() == sizeof...(Args), ValueError, m.name(), ": a forward pre-hook returned ",
                 inputs.size(), " inputs; forward takes ", sizeof...(Args));
    R out = forward_from_vector(m, inputs, std::index_sequence_for<Args...>{});
    if constexpr (std::is_same_v<R, Tensor>)
      return m.run_forward_hooks(inputs, std::move(out));
    else {
      m.run_forward_hooks(inputs, Tensor());
      return out;
    }
  } else {
    auto collect = [&](const auto& a) {
      if constexpr (is_tensor_arg<decltype(a)>::value) inputs.push_back(a);
    };
    (collect(args), ...);
    std::vector<Tensor> replaced = m.run_forward_pre_hooks(inputs);
    for (size_t i = 0; i < inputs.size(); ++i)
      SINTER_CHECK(replaced.size() == inputs.size() && replaced[i].is_same(inputs[i]), NotImplementedError,
                   m.name(), ": forward pre-hooks may replace inputs only when every forward argument is a Tensor");
    R out = m.forward(std::forward<Args>(args)...);
    Tensor o = m.run_forward_hooks(inputs, hook_output(out));
    if constexpr (std::is_same_v<R, Tensor>)
      return o;
    else
      return out;
  }
}
}  // namespace detail

/// Holds a std::shared_ptr<Contained> (LibTorch's ModuleHolder): `Linear lin(784, 256)` builds a
/// LinearImpl from those arguments; `Linear lin{nullptr}` is empty until assigned.
template <class Contained>
class ModuleHolder {
 public:
  using ContainedType = Contained;

  /// Default-constructs the module (when it is default-constructible, as LibTorch).
  ModuleHolder()
    requires std::is_default_constructible_v<Contained>
      : impl_(std::make_shared<Contained>()) {}
  ModuleHolder(std::nullptr_t) {}
  ModuleHolder(std::shared_ptr<Contained> module) : impl_(std::move(module)) {}
  template <class Head, class... Tail>
    requires(!(std::is_same_v<std::decay_t<Head>, ModuleHolder> && sizeof...(Tail) == 0) &&
             !(std::is_base_of_v<ModuleHolder, std::decay_t<Head>> && sizeof...(Tail) == 0) &&
             !std::is_same_v<std::decay_t<Head>, std::nullptr_t> &&
             !std::is_same_v<std::decay_t<Head>, std::shared_ptr<Contained>> &&
             std::is_constructible_v<Contained, Head, Tail...>)
  explicit ModuleHolder(Head&& head, Tail&&... tail)
      : impl_(std::make_shared<Contained>(std::forward<Head>(head), std::forward<Tail>(tail)...)) {}

  explicit operator bool() const noexcept { return impl_ != nullptr; }
  bool is_empty() const noexcept { return impl_ == nullptr; }
  Contained* operator->() { return get(); }
  const Contained* operator->() const { return get(); }
  Contained& operator*() { return *get(); }
  const Contained& operator*() const { return *get(); }
  Contained* get() {
    check();
    return impl_.get();
  }
  const Contained* get() const {
    check();
    return impl_.get();
  }
  const std::shared_ptr<Contained>& ptr() const {
    check();
    return impl_;
  }
  operator std::shared_ptr<Module>() const { return ptr(); }

  /// Calls forward, running the module's forward hooks.
  template <class... Args>
  auto operator()(Args&&... args) {
    return detail::call_forward(*get(), std::forward<Args>(args)...);
  }
  template <class Arg>
  decltype(auto) operator[](Arg&& arg) {
    return (*get())[std::forward<Arg>(arg)];
  }

 protected:
  std::shared_ptr<Contained> impl_;

 private:
  void check() const {
    SINTER_CHECK(impl_ != nullptr, ValueError, "Accessing an empty ModuleHolder (of ",
                 detail::type_name(typeid(Contained)), "): construct or assign the module first");
  }
};

template <class C>
std::ostream& operator<<(std::ostream& os, const ModuleHolder<C>& h) {
  return os << *h;
}

}  // namespace sinter::nn

/// Defines `Name`, a ModuleHolder for `NameImpl` (LibTorch's TORCH_MODULE).
#define SINTER_MODULE(Name)                                             \
  class Name : public ::sinter::nn::ModuleHolder<Name##Impl> {          \
   public:                                                              \
    using ::sinter::nn::ModuleHolder<Name##Impl>::ModuleHolder;         \
    using Impl [[maybe_unused]] = Name##Impl;                           \
  }
