// verify/harness/layouts.hpp — reusable case layouts (shapes + attributes) for op specs.
// What it is: the shape lists specs share — broadcasting pairs, sizes straddling the SIMD widths,
// the parallel threshold and primes. What it is not: value generation (harness/data.hpp).
#pragma once

#include "verify/harness/spec.hpp"

#include <vector>

namespace vt::verify {

/// Sizes that straddle every width a loop may be blocked by: 0, 1, primes, V−1, V, V+1 for the
/// 4/8/16-lane vectors and 64-element unrolls, and around the parallel grain (32768).
const std::vector<std::int64_t>& structural_sizes();
/// A handful of 1-d sizes drawn from structural_sizes() plus two around the parallel grain.
std::vector<std::int64_t> structural_sizes_sample(Rng& rng, std::size_t count);

/// Unary elementwise: scalars, vectors, matrices, 3-d and 4-d shapes.
std::vector<Layout> unary_layouts(Rng& rng);
std::vector<Layout> unary_structural_layouts(Rng& rng);
/// Binary elementwise with NumPy broadcasting: equal shapes, scalar operands (either side),
/// row/column broadcast, rank promotion.
std::vector<Layout> binary_layouts(Rng& rng);
std::vector<Layout> binary_structural_layouts(Rng& rng);

/// A random shape of `ndim` dimensions, each in [lo, hi].
Shape random_shape(Rng& rng, int ndim, std::int64_t lo, std::int64_t hi);

}  // namespace vt::verify
