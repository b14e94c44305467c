// optimized/core/parallel.hpp — the optimized backend's thread pool and its runtime parameters.
// What it is: parallel_for over fixed chunks with a runtime thread count, and per op family a
// parallel threshold (work below it runs serially on the calling thread) and, for the families
// whose chunk size is worth tuning (elementwise, reduction), a grain. The parameters start at
// built-in defaults, then the tuning profile (optimized/core/tuning.hpp; `veritensor tune`
// writes it) is applied at the first use of any of them, then VERITENSOR_PARALLEL_THRESHOLD /
// VERITENSOR_NUM_THREADS override.
//
// Determinism: chunk boundaries depend only on the problem size and the grain, never on the
// thread count or the threshold, so a kernel that combines per-chunk partials in chunk order gives
// the same bits with 1, 2 or 3 threads, in parallel or serially. A different grain may give
// different (still verified) bits where a kernel keeps one partial per chunk (loss, optim — their
// grains are constants of the op files, not runtime parameters); the two tunable grains do not
// change bits with today's kernels: elementwise loops have no partials, and the reductions keep
// one partial per fixed 4096-element block whatever the grain (optimized/ops/reduction.cpp).
// What it is not: a task scheduler; nested calls run serially on the calling thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace vt::opt {

int num_threads();
/// n ≥ 1. Also sets OpenBLAS's thread count so matmul follows the same setting.
void set_num_threads(int n);

/// The op families whose parallel parameters are set separately (profile key in quotes):
/// elementwise — the unary/binary loop engine (loops.hpp), "elementwise"; reduction — sum, mean,
/// var, max/min, argmax and their VJPs; softmax — softmax/log_softmax rows and tiles; creation —
/// zeros/full/arange fills and cast; shape — copy, transpose, concat; loss — loss functions;
/// optim — optimizer steps; matmul — the batch loop of small batched matmuls.
enum class Family { elementwise, reduction, softmax, creation, shape, loss, optim, matmul };
inline constexpr std::array<Family, 8> kFamilies = {
    Family::elementwise, Family::reduction, Family::softmax, Family::creation,
    Family::shape,       Family::loss,      Family::optim,   Family::matmul};
/// "elementwise", … (the profile's key).
std::string_view family_name(Family f);
std::optional<Family> parse_family(std::string_view name);
/// Whether the family's grain is a runtime parameter (elementwise, reduction).
bool grain_tunable(Family f);

/// Default parallel threshold, in elements of work: 262144 — waking the pool costs a few µs here,
/// more than a 100k-element sum takes on one core.
inline constexpr std::int64_t kDefaultParallelThreshold = 262144;
/// The built-in threshold of family f: kDefaultParallelThreshold, except softmax at 32768 — an
/// element of softmax costs an exp and a division, about ten adds, so the pool pays for itself
/// at an eighth of the elements (`veritensor tune`, 2 threads, 2026-11-26: softmax rows of 10⁵
/// elements 89.6 → 71.7 µs, 10⁶ 513 → 490 µs; 10⁴ unchanged).
constexpr std::int64_t default_parallel_threshold(Family f) {
  return f == Family::softmax ? 32768 : kDefaultParallelThreshold;
}
/// A threshold no work reaches: the family always runs serially ("never" in a profile).
inline constexpr std::int64_t kNeverParallel = INT64_C(1) << 62;
/// Default grain (elements per chunk) of the families with a tunable grain.
inline constexpr std::int64_t kDefaultGrain = 32768;
/// Tunable grains are multiples of this (chunk boundaries on whole cache lines and vectors of
/// either dtype), and at most kMaxGrain.
inline constexpr std::int64_t kGrainQuantum = 64;
inline constexpr std::int64_t kMaxGrain = INT64_C(1) << 40;

/// The threshold in force for family f: the global override when one is set, else the family's.
std::int64_t parallel_threshold(Family f);
/// Sets family f's own threshold (clamped to [0, kNeverParallel]); a global override, while set,
/// still wins.
void set_parallel_threshold(Family f, std::int64_t elements);
/// The grain in force for a family with a tunable grain (kDefaultGrain for the others: their
/// kernels use their own constants).
std::int64_t grain(Family f);
/// Throws vt::Error unless f's grain is tunable and g is a multiple of kGrainQuantum in
/// [kGrainQuantum, kMaxGrain].
void set_grain(Family f, std::int64_t g);
/// Every family back to the built-in defaults (the override is left as it is).
void reset_parameters();

/// The global override, kept from before thresholds were per family: set_parallel_threshold(n)
/// with n ≥ 0 makes every family use n (tests and the property suite use 1 to force the threaded
/// paths); n < 0 removes the override, so each family's own threshold is in force again.
/// parallel_threshold() returns the override, or -1 when none is set — so saving it and setting
/// it back later restores exactly what was in force. VERITENSOR_PARALLEL_THRESHOLD sets it at
/// start (over the profile).
std::int64_t parallel_threshold();
void set_parallel_threshold(std::int64_t elements);

/// Number of chunks parallel_for(…, n, grain, …) uses: ceil(n / grain), at least 1 when n > 0.
std::int64_t chunk_count(std::int64_t n, std::int64_t grain);

/// Calls body(chunk, begin, end) for every chunk [begin, end) of [0, n), chunk = begin / grain,
/// in parallel when `work` (defaults to n) reaches family f's threshold.
void parallel_for(Family f, std::int64_t n, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t, std::int64_t)>& body,
                  std::int64_t work = -1);
/// The same without a family (callers outside the op families): the global override when set,
/// else kDefaultParallelThreshold.
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
