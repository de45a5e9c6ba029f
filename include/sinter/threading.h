// One OpenMP pool for the process (shared with oneDNN). SINTER_NUM_THREADS sets its size.
#pragma once
namespace sinter {
int get_num_threads();
void set_num_threads(int n);
}  // namespace sinter
