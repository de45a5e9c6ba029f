// Where a tensor's memory lives. CPU today; the type carries CUDA from day one.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>

namespace sinter {

enum class DeviceType : uint8_t { CPU = 0, CUDA = 1 };
constexpr DeviceType kCPU = DeviceType::CPU;
constexpr DeviceType kCUDA = DeviceType::CUDA;

struct Device {
  DeviceType type = DeviceType::CPU;
  int16_t index = -1;
  Device() = default;
  Device(DeviceType t, int16_t i = -1) : type(t), index(i) {}
  /// Parses "cpu", "cuda", "cuda:1".
  explicit Device(const std::string& s);
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const;
  friend bool operator==(const Device& a, const Device& b) { return a.type == b.type && a.index == b.index; }
};
inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace sinter
