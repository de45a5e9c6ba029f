#include "sinter/nn/container.h"

#include <cxxabi.h>

#include <cstdlib>

namespace sinter::nn {

namespace detail {
std::string type_name(const std::type_info& t) {
  int status = 0;
  char* d = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string s = (status == 0 && d) ? d : t.name();
  std::free(d);
  return s;
}
}  // namespace detail

AnyValue SequentialImpl::any_forward(std::vector<AnyValue>&& args) {
  SINTER_CHECK(!modules_.empty(), ValueError, "Sequential: forward called on an empty Sequential");
  if (has_forward_hooks() && args.size() == 1 && args[0].is<Tensor>())
    return AnyValue(detail::call_forward(*this, args[0].get<Tensor>()));
  AnyValue v = modules_[0].call(std::move(args));
  for (size_t i = 1; i < modules_.size(); ++i) v = modules_[i].any_forward(std::move(v));
  return v;
}

// ---- ModuleList --------------------------------------------------------------------------------

void ModuleListImpl::push_back(std::shared_ptr<Module> module) {
  SINTER_CHECK(module != nullptr, ValueError, "ModuleList: push_back got an empty module");
  register_module(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

void ModuleListImpl::insert(size_t index, std::shared_ptr<Module> module) {
  SINTER_CHECK(module != nullptr, ValueError, "ModuleList: insert got an empty module");
  SINTER_CHECK(index <= modules_.size(), IndexError, "ModuleList: insert index ", index, " is out of range for size ",
               modules_.size());
  modules_.insert(modules_.begin() + static_cast<std::ptrdiff_t>(index), std::move(module));
  for (size_t i = 0; i + 1 < modules_.size(); ++i) unregister_module(std::to_string(i));
  for (size_t i = 0; i < modules_.size(); ++i) register_module(std::to_string(i), modules_[i]);
}

std::shared_ptr<Module> ModuleListImpl::ptr(size_t index) const {
  SINTER_CHECK(index < modules_.size(), IndexError, "ModuleList: index ", index, " is out of range for size ",
               modules_.size());
  return modules_[index];
}

// ---- ModuleDict --------------------------------------------------------------------------------

ModuleDictImpl::ModuleDictImpl(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules)
    : ModuleDictImpl() {
  update(modules);
}
ModuleDictImpl::ModuleDictImpl(const OrderedDict<std::string, std::shared_ptr<Module>>& modules) : ModuleDictImpl() {
  for (const auto& it : modules) insert(it.key(), it.value());
}

void ModuleDictImpl::insert(const std::string& key, std::shared_ptr<Module> module) {
  SINTER_CHECK(module != nullptr, ValueError, "ModuleDict: insert('", key, "') got an empty module");
  if (modules_.contains(key)) {
    replace_module(key, module);
    modules_[key] = std::move(module);
    return;
  }
  register_module(key, module);
  modules_.insert(key, std::move(module));
}

void ModuleDictImpl::update(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
  for (const auto& [k, m] : modules) insert(k, m);
}

std::shared_ptr<Module> ModuleDictImpl::pop(const std::string& key) {
  std::shared_ptr<Module> m = (*this)[key];
  modules_.erase(key);
  unregister_module(key);
  return m;
}

void ModuleDictImpl::clear() {
  for (const auto& k : modules_.keys()) unregister_module(k);
  modules_.clear();
}

std::shared_ptr<Module> ModuleDictImpl::operator[](const std::string& key) const {
  const std::shared_ptr<Module>* m = modules_.find(key);
  SINTER_CHECK(m, IndexError, "ModuleDict: no module under key '", key, "'");
  return *m;
}

// ---- Functional --------------------------------------------------------------------------------

FunctionalImpl::FunctionalImpl(Function function) : Module("Functional"), function_(std::move(function)) {
  SINTER_CHECK(function_ != nullptr, ValueError, "Functional: got an empty function");
}
Tensor FunctionalImpl::forward(Tensor input) { return function_(std::move(input)); }

}  // namespace sinter::nn
