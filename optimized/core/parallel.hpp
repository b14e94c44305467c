// optimized/core/parallel.hpp — the optimized backend's thread pool.
// What it is: parallel_for over fixed chunks with a runtime thread count and parallel threshold
// (API, or VERITENSOR_NUM_THREADS / VERITENSOR_PARALLEL_THRESHOLD at start). Chunk boundaries
// depend only on the problem size and grain, never on the thread count, so a reduction that
// combines per-chunk partials in chunk order gives the same bits with 1, 2 or 3 threads.
// What it is not: a task scheduler; nested calls run serially on the calling thread.
#pragma once

#include <cstdint>
#include <functional>

namespace vt::opt {

int num_threads();
/// n ≥ 1. Also sets OpenBLAS's thread count so matmul follows the same setting.
void set_num_threads(int n);
/// Work (in elements) below which parallel_for runs serially. Default 262144: waking the pool
/// costs a few µs here, more than a 100k-element sum takes on one core.
std::int64_t parallel_threshold();
void set_parallel_threshold(std::int64_t elements);

/// Number of chunks parallel_for(n, grain, …) uses: ceil(n / grain), at least 1 when n > 0.
std::int64_t chunk_count(std::int64_t n, std::int64_t grain);

/// Calls body(chunk, begin, end) for every chunk [begin, end) of [0, n), chunk = begin / grain.
/// `work` is the size compared against the threshold (defaults to n).
void parallel_for(std::int64_t n, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t, std::int64_t)>& body,
                  std::int64_t work = -1);

/// RAII: sets the thread count for a scope and restores it.
class ThreadScope {
 public:
  explicit ThreadScope(int n) : saved_(num_threads()) { set_num_threads(n); }
  ~ThreadScope() { set_num_threads(saved_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int saved_;
};

}  // namespace vt::opt
