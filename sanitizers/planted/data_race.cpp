// sanitizers/planted/data_race.cpp — a planted data race that only ThreadSanitizer sees (built
// only with VT_SANITIZE set; see CMakeLists.txt and sanitizers/README.md).
// What it is: `sum` that splits each row into two halves on two threads, both adding their
// partial straight into the row's one shared accumulator with a plain `+=` — no mutex, no
// atomic, only the join after both writes. Updates are rarely lost, so the values usually pass
// verify's bound; the race is the bug, and TSan reports it on the first row (it needs no
// unlucky timing: the two writes are unordered by any happens-before edge).
// What it is not: part of any normal build (a data race is undefined behaviour).
#include "core/registry.hpp"

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

namespace vt::mutants {
namespace {

template <class T>
void sum_shared_accumulator(OpCall& c) {
  // The reduced axes moved last and made contiguous: one row of n elements per output element.
  const Tensor& in = c.inputs.at(0);
  const std::vector<std::int64_t> axes = normalize_axes(c.attrs.get_ints("axis"), in.ndim(), "sum");
  std::vector<std::int64_t> order;
  for (std::int64_t k = 0; k < in.ndim(); ++k)
    if (std::find(axes.begin(), axes.end(), k) == axes.end()) order.push_back(k);
  order.insert(order.end(), axes.begin(), axes.end());
  const Tensor x = in.permute(order).contiguous();
  Tensor y = Tensor::empty(c.outputs.at(0).shape(), x.dtype());
  const std::int64_t rows = y.numel(), n = rows ? x.numel() / rows : 0;
  for (std::int64_t j = 0; j < rows; ++j) {
    const T* row = x.data<T>() + j * n;
    T total = 0;
    auto add_half = [&](std::int64_t b, std::int64_t e) {
      T s = 0;
      for (std::int64_t i = b; i < e; ++i) s += row[i];
      total += s;  // BUG: unsynchronised read-modify-write from both threads
    };
    // Two threads per row, each always given half: with a dynamic pool the calling thread may
    // finish every chunk before a helper wakes, and the race would go unexercised.
    std::thread second(add_half, n / 2, n);
    add_half(0, n / 2);
    second.join();
    y.data<T>()[j] = total;
  }
  c.outputs.at(0).copy_from(y);
}

void sum_shared_accumulator_dispatch(OpCall& c) {
  if (c.inputs.at(0).dtype() == DType::f32)
    sum_shared_accumulator<float>(c);
  else
    sum_shared_accumulator<double>(c);
}

VT_REGISTER_IMPL(
    {.op = "sum",
     .backend = backend::optimized,
     .variant = "planted_data_race",
     .dtypes = {DType::f32, DType::f64},
     .forward = sum_shared_accumulator_dispatch,
     .planted_bug = true,
     .caught_by = "tsan",
     .technique = "two threads add their half-row sums to one accumulator without a lock"});

}  // namespace
}  // namespace vt::mutants
