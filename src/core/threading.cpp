#include "sinter/threading.h"

#include <omp.h>

#include <cstdlib>
#include <string>

#include "sinter/error.h"

namespace sinter {

namespace {
// Applies SINTER_NUM_THREADS once at load time.
struct EnvThreads {
  EnvThreads() {
    if (const char* s = std::getenv("SINTER_NUM_THREADS")) {
      try {
        int n = std::stoi(s);
        if (n > 0) omp_set_num_threads(n);
      } catch (...) {
        // An unparsable value leaves OpenMP's default in place.
      }
    }
  }
} g_env_threads;
}  // namespace

int get_num_threads() { return omp_get_max_threads(); }
void set_num_threads(int n) {
  SINTER_CHECK(n > 0, ValueError, "set_num_threads: expected a positive number of threads, got ", n);
  omp_set_num_threads(n);
}

}  // namespace sinter
