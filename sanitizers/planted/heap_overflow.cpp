// sanitizers/planted/heap_overflow.cpp — a planted heap over-read that only AddressSanitizer
// sees (built only with VT_SANITIZE set; see CMakeLists.txt and sanitizers/README.md).
// What it is: `abs` processed in blocks of 8 lanes whose tail block loads all 8 lanes and then
// drops the ones past the end — the classic unmasked vector tail. Every value it returns is
// right and it writes nothing out of place, so verify's value checks and canaries pass it; the
// loads past the end of the input are the bug, and ASan (with Storage's padding poisoned,
// core/tensor.cpp) reports the first one. What it is not: part of any normal build.
#include "core/registry.hpp"

#include <cmath>
#include <cstdint>

namespace vt::mutants {
namespace {

template <class T>
void abs_unmasked_tail(OpCall& c) {
  // A private contiguous copy, as a kernel that packs its input would make: exactly numel
  // elements, so the tail block's extra lanes lie past the end of the allocation's data.
  const Tensor x = c.inputs.at(0).clone();
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  const T* in = x.data<T>();
  T* out = y.data<T>();
  const std::int64_t n = x.numel();
  constexpr std::int64_t kLanes = 8;
  for (std::int64_t i = 0; i < n; i += kLanes) {
    T lanes[kLanes];
    for (std::int64_t l = 0; l < kLanes; ++l) lanes[l] = in[i + l];  // BUG: no mask on the tail
    for (std::int64_t l = 0; l < kLanes && i + l < n; ++l) out[i + l] = std::fabs(lanes[l]);
  }
  c.outputs.at(0).copy_from(y);
}

void abs_unmasked_tail_dispatch(OpCall& c) {
  if (c.inputs.at(0).dtype() == DType::f32)
    abs_unmasked_tail<float>(c);
  else
    abs_unmasked_tail<double>(c);
}

VT_REGISTER_IMPL({.op = "abs",
                  .backend = backend::optimized,
                  .variant = "planted_heap_overflow",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = abs_unmasked_tail_dispatch,
                  .planted_bug = true,
                  .caught_by = "asan",
                  .technique = "8-lane blocks whose tail block loads past the end of the input"});

}  // namespace
}  // namespace vt::mutants
