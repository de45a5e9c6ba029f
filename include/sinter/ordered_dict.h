// OrderedDict: insertion-ordered map with unique keys (LibTorch's torch::OrderedDict shape).
// Used for named parameters, buffers, submodules and state dicts.
#pragma once
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sinter/error.h"

namespace sinter {

template <class Key, class Value>
class OrderedDict {
 public:
  /// One key/value pair; `key()` and `value()` as in LibTorch.
  class Item {
   public:
    Item(Key k, Value v) : pair_(std::move(k), std::move(v)) {}
    const Key& key() const { return pair_.first; }
    Value& value() { return pair_.second; }
    const Value& value() const { return pair_.second; }
    Value& operator*() { return pair_.second; }
    const Value& operator*() const { return pair_.second; }
    Value* operator->() { return &pair_.second; }
    const Value* operator->() const { return &pair_.second; }
    const std::pair<Key, Value>& pair() const { return pair_; }

   private:
    std::pair<Key, Value> pair_;
  };

  explicit OrderedDict(std::string key_description = "Key") : desc_(std::move(key_description)) {}
  OrderedDict(std::initializer_list<Item> items) : desc_("Key") {
    for (const auto& it : items) insert(it.key(), it.value());
  }

  /// Adds a new key; a duplicate key is a ValueError.
  Value& insert(const Key& key, Value value) {
    SINTER_CHECK(index_.find(key) == index_.end(), ValueError, desc_, " '", key, "' already defined");
    index_.emplace(key, items_.size());
    items_.emplace_back(key, std::move(value));
    return items_.back().value();
  }
  /// Inserts or replaces.
  Value& insert_or_assign(const Key& key, Value value) {
    if (Value* v = find(key)) return *v = std::move(value);
    return insert(key, std::move(value));
  }
  void update(const OrderedDict& other) {
    for (const auto& it : other) insert_or_assign(it.key(), it.value());
  }
  Value* find(const Key& key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].value();
  }
  const Value* find(const Key& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].value();
  }
  bool contains(const Key& key) const { return index_.count(key) > 0; }
  Value& operator[](const Key& key) {
    Value* v = find(key);
    SINTER_CHECK(v, IndexError, desc_, " '", key, "' is not defined");
    return *v;
  }
  const Value& operator[](const Key& key) const {
    const Value* v = find(key);
    SINTER_CHECK(v, IndexError, desc_, " '", key, "' is not defined");
    return *v;
  }
  Item& operator[](size_t i) {
    SINTER_CHECK(i < items_.size(), IndexError, "OrderedDict: index ", i, " out of range for size ", items_.size());
    return items_[i];
  }
  const Item& operator[](size_t i) const {
    SINTER_CHECK(i < items_.size(), IndexError, "OrderedDict: index ", i, " out of range for size ", items_.size());
    return items_[i];
  }
  /// Removes a key (order of the rest is kept); a missing key is an IndexError.
  void erase(const Key& key) {
    auto it = index_.find(key);
    SINTER_CHECK(it != index_.end(), IndexError, desc_, " '", key, "' is not defined");
    const size_t pos = it->second;
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(pos));
    index_.erase(it);
    for (auto& [k, i] : index_)
      if (i > pos) --i;
  }
  void clear() {
    items_.clear();
    index_.clear();
  }

  std::vector<Key> keys() const {
    std::vector<Key> k;
    k.reserve(items_.size());
    for (const auto& it : items_) k.push_back(it.key());
    return k;
  }
  std::vector<Value> values() const {
    std::vector<Value> v;
    v.reserve(items_.size());
    for (const auto& it : items_) v.push_back(it.value());
    return v;
  }
  const std::vector<Item>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  bool is_empty() const { return items_.empty(); }
  bool empty() const { return items_.empty(); }
  const std::string& key_description() const { return desc_; }

  auto begin() { return items_.begin(); }
  auto end() { return items_.end(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  Item& front() { return items_.front(); }
  Item& back() { return items_.back(); }

 private:
  std::string desc_;
  std::vector<Item> items_;
  std::unordered_map<Key, size_t> index_;
};

}  // namespace sinter
