// Timing helpers shared by the benchmarks: medians over repeated runs, JSON-line output.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace bench {

/// Median seconds per call of fn, over `reps` timed runs of `inner` calls each (after one warm-up run).
inline double median_seconds(const std::function<void()>& fn, int inner = 1, int reps = 7) {
  for (int i = 0; i < inner; ++i) fn();
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto a = std::chrono::steady_clock::now();
    for (int i = 0; i < inner; ++i) fn();
    auto b = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double>(b - a).count() / inner);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

/// One result line: {"name": ..., "value": ..., "unit": ...}
inline void report(const std::string& name, double value, const std::string& unit) {
  std::printf("{\"name\": \"%s\", \"value\": %.6g, \"unit\": \"%s\"}\n", name.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

}  // namespace bench
