// optimized/core/parallel.cpp — a small persistent pool on std::thread, std::mutex and
// std::condition_variable: primitives ThreadSanitizer understands (OpenMP's libgomp is not one of
// them), and parallel_for on it. What it is not: work stealing (chunks are handed out by one
// atomic counter), nor the per-family parameters and the profile (tuning.cpp).
#include "optimized/core/parallel.hpp"

#include "core/sanitizers.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace vt::opt {
namespace {

std::int64_t env_int(const char* name, std::int64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long long x = std::strtoll(v, &end, 10);
  if (*end != '\0' || x < 1) return fallback;
  return x;
}

class Pool {
 public:
  static Pool& instance() {
    static Pool p;
    return p;
  }

  int threads() const { return threads_.load(); }
  void set_threads(int n) {
    if (n < 1) n = 1;
    std::lock_guard<std::mutex> run(run_mutex_);  // never resize under a running job
    threads_.store(n);
    // Under ThreadSanitizer OpenBLAS runs on the calling thread: its own workers are not
    // instrumented, so TSan cannot see the synchronisation that publishes their results and
    // would report every GEMM output as a race (sanitizers/README.md: why this is sound).
    openblas_set_num_threads(VT_TSAN ? 1 : n);
    std::lock_guard<std::mutex> lock(mutex_);
    while (static_cast<int>(workers_.size()) < n - 1)
      workers_.emplace_back([this, id = workers_.size()] { worker_loop(id); });
  }

  void run(std::int64_t chunks, const std::function<void(std::int64_t)>& chunk_fn) {
    std::lock_guard<std::mutex> run(run_mutex_);  // one parallel region at a time
    const int helpers = std::min<std::int64_t>(threads_.load() - 1, chunks - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &chunk_fn;
      job_chunks_ = chunks;
      next_.store(0);
      active_helpers_ = helpers;
      pending_ = helpers;
      error_ = nullptr;
      ++generation_;
      remaining_.store(helpers, std::memory_order_relaxed);
      published_.store(generation_, std::memory_order_release);
    }
    cv_.notify_all();
    work(chunk_fn, chunks);
    for (int spin = 0; spin < kSpins && remaining_.load(std::memory_order_acquire) != 0; ++spin)
      cpu_relax();
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

 private:
  Pool() {
    threads_.store(static_cast<int>(
        env_int("VERITENSOR_NUM_THREADS", std::max(1u, std::thread::hardware_concurrency()))));
    set_threads(threads_.load());
  }

  void work(const std::function<void(std::int64_t)>& fn, std::int64_t chunks) {
    for (std::int64_t c = next_.fetch_add(1); c < chunks; c = next_.fetch_add(1)) {
      try {
        fn(c);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  void worker_loop(std::size_t id) {
    in_worker = true;
    std::uint64_t seen = 0;
    while (true) {
      const std::function<void(std::int64_t)>* job;
      std::int64_t chunks;
      // Spin a while before sleeping: the next region of a loop of calls is then picked up at
      // once instead of after a futex wake-up, which took long enough here that a 10⁶-element
      // fill on 2 threads ran at 1-thread speed (bench, zeros 1e6). The condition variable below
      // stays the one synchronisation that hands over the job.
      for (int spin = 0; spin < kSpins && published_.load(std::memory_order_acquire) == seen;
           ++spin)
        cpu_relax();
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] {
          return stop_ || (generation_ != seen && static_cast<int>(id) < active_helpers_);
        });
        if (stop_) return;
        seen = generation_;
        job = job_;
        chunks = job_chunks_;
      }
      work(*job, chunks);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        remaining_.store(--pending_, std::memory_order_release);
        if (pending_ == 0) done_cv_.notify_one();
      }
    }
  }

 public:
  static thread_local bool in_worker;

 private:
  std::atomic<int> threads_{1};
  std::mutex run_mutex_;
  std::mutex mutex_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(std::int64_t)>* job_ = nullptr;
  std::int64_t job_chunks_ = 0;
  std::atomic<std::int64_t> next_{0};
  int active_helpers_ = 0;
  int pending_ = 0;
  std::uint64_t generation_ = 0;
  // Mirrors of generation_ and pending_ that the spins read without the mutex (written under it).
  std::atomic<std::uint64_t> published_{0};
  std::atomic<int> remaining_{0};
  // About 100 µs of pause instructions: OpenMP runtimes spin similarly before they sleep.
  static constexpr int kSpins = 4096;
  static void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  bool stop_ = false;
  std::exception_ptr error_;
};

thread_local bool Pool::in_worker = false;
thread_local bool in_parallel_region = false;

/// The loop itself, with the threshold already chosen.
void run_chunks(std::int64_t n, std::int64_t grain, std::int64_t threshold,
                const std::function<void(std::int64_t, std::int64_t, std::int64_t)>& body,
                std::int64_t work) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  const std::int64_t chunks = chunk_count(n, grain);
  auto chunk_fn = [&](std::int64_t c) {
    const std::int64_t begin = c * grain;
    body(c, begin, std::min(n, begin + grain));
  };
  if (work < 0) work = n;
  Pool& pool = Pool::instance();
  if (chunks == 1 || pool.threads() == 1 || work < threshold || Pool::in_worker ||
      in_parallel_region) {
    for (std::int64_t c = 0; c < chunks; ++c) chunk_fn(c);
    return;
  }
  in_parallel_region = true;
  try {
    pool.run(chunks, chunk_fn);
  } catch (...) {
    in_parallel_region = false;
    throw;
  }
  in_parallel_region = false;
}

}  // namespace

int num_threads() { return Pool::instance().threads(); }
void set_num_threads(int n) { Pool::instance().set_threads(n); }

std::int64_t chunk_count(std::int64_t n, std::int64_t grain) {
  if (n <= 0) return 0;
  if (grain < 1) grain = 1;
  return (n + grain - 1) / grain;
}

void parallel_for(Family f, std::int64_t n, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t, std::int64_t)>& body,
                  std::int64_t work) {
  run_chunks(n, grain, parallel_threshold(f), body, work);
}

void parallel_for(std::int64_t n, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t, std::int64_t)>& body,
                  std::int64_t work) {
  const std::int64_t o = parallel_threshold();
  run_chunks(n, grain, o >= 0 ? o : kDefaultParallelThreshold, body, work);
}

}  // namespace vt::opt
