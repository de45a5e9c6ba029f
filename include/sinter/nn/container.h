// Containers: AnyModule (a type-erased module with a forward), Sequential, ModuleList,
// ModuleDict, and Functional (a function as a module), shaped like LibTorch's.
//
//   Sequential seq(Linear(784, 256), ReLU(), Functional(relu), Linear(256, 10));
//   Tensor y = seq->forward(x);               // children are named "0", "1", ...
//   Sequential named({{"fc", Linear(4, 2)}, {"act", Tanh()}});
#pragma once
#include <any>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "sinter/nn/module.h"

namespace sinter::nn {

namespace detail {

template <class F>
struct forward_traits;
template <class R, class C, class... A>
struct forward_traits<R (C::*)(A...)> {
  using result = R;
  using args = std::tuple<A...>;
};
template <class R, class C, class... A>
struct forward_traits<R (C::*)(A...) const> : forward_traits<R (C::*)(A...)> {};
template <class R, class C, class... A>
struct forward_traits<R (C::*)(A...) noexcept> : forward_traits<R (C::*)(A...)> {};
template <class R, class C, class... A>
struct forward_traits<R (C::*)(A...) const noexcept> : forward_traits<R (C::*)(A...)> {};

/// A module whose forward is one ordinary (non-template, non-overloaded) member function.
template <class M>
concept HasPlainForward = requires { &M::forward; };
}  // namespace detail

/// A value of any type, passed between the children of a Sequential (LibTorch's AnyValue).
class AnyValue {
 public:
  AnyValue() = default;
  template <class T>
    requires(!std::is_same_v<std::decay_t<T>, AnyValue>)
  explicit AnyValue(T&& value) : value_(std::forward<T>(value)) {}

  template <class T>
  bool is() const noexcept {
    return value_.type() == typeid(T);
  }
  template <class T>
  T* try_get() noexcept {
    return std::any_cast<T>(&value_);
  }
  template <class T>
  const T* try_get() const noexcept {
    return std::any_cast<T>(&value_);
  }
  /// The held value; a ValueError names both types when it holds something else.
  template <class T>
  T get() const {
    const T* p = try_get<T>();
    SINTER_CHECK(p, ValueError, "AnyValue: holds a value of type ", detail::type_name(value_.type()),
                 ", not the requested ", detail::type_name(typeid(T)));
    return *p;
  }
  template <class T>
  T& get_ref() {
    T* p = try_get<T>();
    SINTER_CHECK(p, ValueError, "AnyValue: holds a value of type ", detail::type_name(value_.type()),
                 ", not the requested ", detail::type_name(typeid(T)));
    return *p;
  }
  const std::type_info& type_info() const noexcept { return value_.type(); }
  bool has_value() const noexcept { return value_.has_value(); }

 private:
  std::any value_;
};

class SequentialImpl;

/// Holds any module with a forward method and calls it with type-erased arguments.
class AnyModule {
 public:
  AnyModule() = default;
  template <class M>
    requires std::is_base_of_v<Module, M>
  AnyModule(std::shared_ptr<M> module) : module_(module) {
    SINTER_CHECK(module != nullptr, ValueError, "AnyModule: got an empty module");
    forward_ = make_forward(std::move(module));
  }
  template <class M>
  AnyModule(const ModuleHolder<M>& holder) : AnyModule(holder.ptr()) {}
  /// Takes a module by value (moved into a shared_ptr).
  template <class M>
    requires(std::is_base_of_v<Module, std::decay_t<M>> && !std::is_lvalue_reference_v<M>)
  AnyModule(M&& module) : AnyModule(std::make_shared<std::decay_t<M>>(std::forward<M>(module))) {}

  /// Calls forward with these arguments (an AnyValue argument passes its value through).
  template <class... Args>
  AnyValue any_forward(Args&&... args) {
    std::vector<AnyValue> values;
    values.reserve(sizeof...(Args));
    (values.push_back(to_any(std::forward<Args>(args))), ...);
    return call(std::move(values));
  }
  /// Calls forward and returns its result as R.
  template <class R = Tensor, class... Args>
  R forward(Args&&... args) {
    AnyValue v = any_forward(std::forward<Args>(args)...);
    if constexpr (std::is_same_v<R, AnyValue>)
      return v;
    else
      return v.get<R>();
  }
  AnyValue call(std::vector<AnyValue>&& args) {
    SINTER_CHECK(forward_, ValueError, "AnyModule: calling forward on an empty AnyModule");
    return forward_(std::move(args));
  }

  const std::shared_ptr<Module>& ptr() const {
    SINTER_CHECK(module_, ValueError, "AnyModule: empty");
    return module_;
  }
  template <class T>
  std::shared_ptr<T> ptr() const {
    auto p = std::dynamic_pointer_cast<T>(ptr());
    SINTER_CHECK(p, ValueError, "AnyModule: holds a ", module_->name(), ", not the requested ",
                 detail::type_name(typeid(T)));
    return p;
  }
  /// The module as T (a module type or its holder type).
  template <class T>
  typename detail::contained<T>::type& get() const {
    return *ptr<typename detail::contained<T>::type>();
  }
  bool is_empty() const noexcept { return module_ == nullptr; }
  const std::type_info& type_info() const { return typeid(*ptr()); }

 private:
  template <class T>
  static AnyValue to_any(T&& v) {
    if constexpr (std::is_same_v<std::decay_t<T>, AnyValue>)
      return std::forward<T>(v);
    else if constexpr (std::is_array_v<std::remove_reference_t<T>> || std::is_pointer_v<std::decay_t<T>>)
      return AnyValue(std::decay_t<T>(v));
    else
      return AnyValue(std::decay_t<T>(std::forward<T>(v)));
  }

  template <class P>
  static decltype(auto) unpack(const Module& m, AnyValue& v, size_t i) {
    using D = std::decay_t<P>;
    D* p = v.try_get<D>();
    SINTER_CHECK(p, ValueError, m.name(), ": forward expects argument ", i, " of type ", detail::type_name(typeid(D)),
                 ", got ", detail::type_name(v.type_info()));
    if constexpr (std::is_lvalue_reference_v<P> && !std::is_const_v<std::remove_reference_t<P>>)
      return static_cast<D&>(*p);
    else
      return static_cast<D&&>(*p);
  }

  template <class M, class... A, size_t... I>
  static AnyValue invoke(M& m, std::vector<AnyValue>& args, std::tuple<A...>*, std::index_sequence<I...>) {
    using R = typename detail::forward_traits<decltype(&M::forward)>::result;
    if constexpr (std::is_void_v<R>) {
      detail::call_forward(m, unpack<A>(m, args[I], I)...);
      return AnyValue();
    } else {
      return AnyValue(detail::call_forward(m, unpack<A>(m, args[I], I)...));
    }
  }

  template <class M>
  static std::function<AnyValue(std::vector<AnyValue>&&)> make_forward(std::shared_ptr<M> module) {
    if constexpr (detail::HasPlainForward<M>) {
      using Args = typename detail::forward_traits<decltype(&M::forward)>::args;
      constexpr size_t n = std::tuple_size_v<Args>;
      return [m = module.get()](std::vector<AnyValue>&& args) -> AnyValue {
        SINTER_CHECK(args.size() == n, ValueError, m->name(), ": forward takes ", std::tuple_size_v<Args>,
                     " argument(s), got ",
                     args.size());
        return invoke(*m, args, static_cast<Args*>(nullptr), std::make_index_sequence<n>{});
      };
    } else if constexpr (requires(M& m, std::vector<AnyValue>&& v) { m.any_forward(std::move(v)); }) {
      return [m = module.get()](std::vector<AnyValue>&& args) -> AnyValue { return m->any_forward(std::move(args)); };
    } else {
      // A module without a forward (ModuleList, ModuleDict) may sit in a container, as in PyTorch;
      // calling it is the error.
      return [m = module.get()](std::vector<AnyValue>&&) -> AnyValue {
        SINTER_CHECK(false, NotImplementedError, m->name(), " has no forward method");
        return AnyValue();
      };
    }
  }

  std::shared_ptr<Module> module_;
  std::function<AnyValue(std::vector<AnyValue>&&)> forward_;
};

/// A name and a module, for Sequential({{"fc", Linear(4, 2)}, ...}).
class NamedAnyModule {
 public:
  template <class M>
  NamedAnyModule(std::string name, M&& module) : name_(std::move(name)), module_(std::forward<M>(module)) {}
  const std::string& name() const { return name_; }
  const AnyModule& module() const { return module_; }

 private:
  std::string name_;
  AnyModule module_;
};

/// Calls its children in order, each on the previous one's output.
class SequentialImpl : public Module {
 public:
  SequentialImpl() : Module("Sequential") {}
  template <class... Modules>
    requires(sizeof...(Modules) > 0 && (!std::is_same_v<std::decay_t<Modules>, SequentialImpl> && ...))
  explicit SequentialImpl(Modules&&... modules) : Module("Sequential") {
    (push_back(std::forward<Modules>(modules)), ...);
  }
  SequentialImpl(std::initializer_list<NamedAnyModule> named) : Module("Sequential") {
    for (const auto& m : named) push_back(m.name(), m.module());
  }

  /// Appends a module (holder, shared_ptr, module value or AnyModule) named by its index.
  template <class M>
  void push_back(M&& module) {
    push_back(std::to_string(modules_.size()), std::forward<M>(module));
  }
  template <class M>
  void push_back(std::string name, M&& module) {
    AnyModule any(std::forward<M>(module));
    register_module(std::move(name), any.ptr());
    modules_.push_back(std::move(any));
  }
  /// Appends every module of another Sequential (or any container of modules).
  template <class Container>
  void extend(const Container& container) {
    for (const auto& m : container) push_back(m);
  }

  /// Runs the chain; the first child receives these arguments.
  template <class R = Tensor, class... Args>
  R forward(Args&&... args) {
    SINTER_CHECK(!modules_.empty(), ValueError, "Sequential: forward called on an empty Sequential");
    AnyValue v = modules_[0].any_forward(std::forward<Args>(args)...);
    for (size_t i = 1; i < modules_.size(); ++i) v = modules_[i].any_forward(std::move(v));
    if constexpr (std::is_same_v<R, AnyValue>)
      return v;
    else
      return v.get<R>();
  }
  /// The type-erased form, used when a Sequential is itself a child of a container.
  AnyValue any_forward(std::vector<AnyValue>&& args);

  std::shared_ptr<Module> operator[](size_t index) const { return at_index(index).ptr(); }
  std::shared_ptr<Module> ptr(size_t index) const { return at_index(index).ptr(); }
  template <class T>
  std::shared_ptr<T> ptr(size_t index) const {
    return at_index(index).template ptr<T>();
  }
  /// Child `index` as T (a module type or its holder type).
  template <class T>
  typename detail::contained<T>::type& at(size_t index) const {
    return at_index(index).template get<T>();
  }
  size_t size() const noexcept { return modules_.size(); }
  bool is_empty() const noexcept { return modules_.empty(); }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 private:
  const AnyModule& at_index(size_t index) const {
    SINTER_CHECK(index < modules_.size(), IndexError, "Sequential: index ", index, " is out of range for size ",
                 modules_.size());
    return modules_[index];
  }
  std::vector<AnyModule> modules_;
};

class Sequential : public ModuleHolder<SequentialImpl> {
 public:
  using ModuleHolder<SequentialImpl>::ModuleHolder;
  Sequential() : ModuleHolder(std::make_shared<SequentialImpl>()) {}
  Sequential(std::initializer_list<NamedAnyModule> named)
      : ModuleHolder(std::make_shared<SequentialImpl>(named)) {}
};

/// Holds submodules in a list (named "0", "1", ...); it has no forward.
class ModuleListImpl : public Module {
 public:
  ModuleListImpl() : Module("ModuleList") {}
  template <class... Modules>
    requires(sizeof...(Modules) > 0 && (!std::is_same_v<std::decay_t<Modules>, ModuleListImpl> && ...))
  explicit ModuleListImpl(Modules&&... modules) : Module("ModuleList") {
    (push_back(std::forward<Modules>(modules)), ...);
  }

  template <class M>
  void push_back(const ModuleHolder<M>& module) {
    push_back(std::shared_ptr<Module>(module.ptr()));
  }
  void push_back(std::shared_ptr<Module> module);
  template <class M>
    requires std::is_base_of_v<Module, M>
  void push_back(std::shared_ptr<M> module) {
    push_back(std::shared_ptr<Module>(std::move(module)));
  }
  /// Inserts before `index` (children renamed "0", "1", ... in order).
  void insert(size_t index, std::shared_ptr<Module> module);
  template <class M>
  void insert(size_t index, const ModuleHolder<M>& module) {
    insert(index, std::shared_ptr<Module>(module.ptr()));
  }
  template <class Container>
  void extend(const Container& container) {
    for (const auto& m : container) push_back(m);
  }

  std::shared_ptr<Module> operator[](size_t index) const { return ptr(index); }
  std::shared_ptr<Module> ptr(size_t index) const;
  template <class T>
  std::shared_ptr<T> ptr(size_t index) const {
    auto p = std::dynamic_pointer_cast<T>(ptr(index));
    SINTER_CHECK(p, ValueError, "ModuleList: element ", index, " is a ", modules_[index]->name(),
                 ", not the requested ", detail::type_name(typeid(T)));
    return p;
  }
  /// Element `index` as T (a module type or its holder type).
  template <class T>
  typename detail::contained<T>::type& at(size_t index) const {
    return *ptr<typename detail::contained<T>::type>(index);
  }
  size_t size() const noexcept { return modules_.size(); }
  bool is_empty() const noexcept { return modules_.empty(); }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};
SINTER_MODULE(ModuleList);

/// Holds submodules by name, in insertion order; it has no forward.
class ModuleDictImpl : public Module {
 public:
  ModuleDictImpl() : Module("ModuleDict") {}
  explicit ModuleDictImpl(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules);
  explicit ModuleDictImpl(const OrderedDict<std::string, std::shared_ptr<Module>>& modules);

  /// Adds (or replaces) a module under `key`.
  void insert(const std::string& key, std::shared_ptr<Module> module);
  template <class M>
  void insert(const std::string& key, const ModuleHolder<M>& module) {
    insert(key, std::shared_ptr<Module>(module.ptr()));
  }
  void update(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules);
  /// Removes and returns the module under `key` (IndexError when absent).
  std::shared_ptr<Module> pop(const std::string& key);
  void clear();

  std::shared_ptr<Module> operator[](const std::string& key) const;
  /// The module under `key` as T (a module type or its holder type).
  template <class T>
  typename detail::contained<T>::type& at(const std::string& key) const {
    using C = typename detail::contained<T>::type;
    auto p = std::dynamic_pointer_cast<C>((*this)[key]);
    SINTER_CHECK(p, ValueError, "ModuleDict: '", key, "' is not a ", detail::type_name(typeid(C)));
    return *p;
  }
  bool contains(const std::string& key) const { return modules_.contains(key); }
  std::vector<std::string> keys() const { return modules_.keys(); }
  std::vector<std::shared_ptr<Module>> values() const { return modules_.values(); }
  const std::vector<OrderedDict<std::string, std::shared_ptr<Module>>::Item>& items() const {
    return modules_.items();
  }
  size_t size() const noexcept { return modules_.size(); }
  bool empty() const noexcept { return modules_.is_empty(); }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 private:
  OrderedDict<std::string, std::shared_ptr<Module>> modules_{"ModuleDict key"};
};
class ModuleDict : public ModuleHolder<ModuleDictImpl> {
 public:
  using ModuleHolder<ModuleDictImpl>::ModuleHolder;
  ModuleDict() : ModuleHolder(std::make_shared<ModuleDictImpl>()) {}
  ModuleDict(std::initializer_list<std::pair<std::string, std::shared_ptr<Module>>> modules)
      : ModuleHolder(std::make_shared<ModuleDictImpl>(
            std::vector<std::pair<std::string, std::shared_ptr<Module>>>(modules))) {}
};

/// A function as a module: Functional(relu), or Functional(leaky_relu, 0.2) binding extra
/// arguments after the input.
class FunctionalImpl : public Module {
 public:
  using Function = std::function<Tensor(Tensor)>;
  explicit FunctionalImpl(Function function);
  template <class F, class Head, class... Tail>
  explicit FunctionalImpl(F&& f, Head&& head, Tail&&... tail)
      : FunctionalImpl(Function([f = std::forward<F>(f), head = std::forward<Head>(head),
                                 ... tail = std::forward<Tail>(tail)](Tensor input) {
          return f(input, head, tail...);
        })) {}
  Tensor forward(Tensor input);

 private:
  Function function_;
};
SINTER_MODULE(Functional);

}  // namespace sinter::nn
