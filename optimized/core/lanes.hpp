// optimized/core/lanes.hpp — the lane-parallel sum the reduction kernels share.
// What it is: Σ term(x_i) in kLanes independent accumulators (256 bytes of them: 64 floats or
// 32 doubles), combined pairwise at the end. Shaped this way because independent accumulators
// are what GCC vectorizes without -ffast-math, and the fixed combination order keeps the bits
// independent of how callers split work. What it is not: a whole-row sum (callers block rows).
#pragma once

#include <cstdint>

namespace vt::opt {

template <class T>
inline constexpr int kLanes = 256 / static_cast<int>(sizeof(T));

/// Σ term(x_i) for i < n in kLanes accumulators combined pairwise; −0 for n = 0.
template <class T, class Term>
T lanes_sum(const T* x, std::int64_t n, Term term) {
  constexpr int L = kLanes<T>;
  T acc[L];
  for (int j = 0; j < L; ++j) acc[j] = T(-0.0);
  std::int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int j = 0; j < L; ++j) acc[j] += term(x[i + j]);
  for (int j = 0; i + j < n; ++j) acc[j] += term(x[i + j]);
  for (int w = L / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  return acc[0];
}

}  // namespace vt::opt
