// optimized/core/loops.hpp — the elementwise loop engine of the optimized backend.
// What it is: broadcast the inputs to the output shape, merge dimensions that are contiguous in
// every operand (so most broadcasts become one or two flat loops), then run a 1-d inner kernel
// over chunks on the thread pool. The inner kernel has separate unit-stride and scalar-operand
// paths because those are the loops GCC vectorizes; a general strided path handles the rest.
// What it is not: a fusion engine.
#pragma once

#include "core/registry.hpp"
#include "core/tensor.hpp"
#include "optimized/core/parallel.hpp"

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace vt::opt {

/// Rejects outputs that overlap themselves and returns the inputs with any input that partially
/// overlaps the output replaced by a copy; an input identical to the output (in place) is kept.
std::vector<Tensor> prepare_elementwise(const std::vector<Tensor>& inputs, const Tensor& out,
                                        const std::string& op);

/// Dimensions of out and inputs after broadcasting and merging; strides in elements.
template <std::size_t N>
struct LoopNest {
  Shape shape;          // merged shape, innermost last
  Strides out_strides;  // Strides, not std::vector: inline storage, no allocation per call
  std::array<Strides, N> in_strides;
};
template <std::size_t N>
LoopNest<N> make_loop_nest(const Tensor& out, const std::array<Tensor, N>& inputs);

/// Elements per parallel chunk: large enough to amortise a wake-up, a multiple of 64.
inline constexpr std::int64_t kElementwiseGrain = 1 << 15;

/// out[i] = f(in[i]…) over the whole (broadcast) shape, N = 1…5 operands. T: float or double.
template <class T, std::size_t N, class F>
void elementwise(const Tensor& out_t, const std::array<Tensor, N>& in_t, F f) {
  if (out_t.numel() == 0) return;
  const LoopNest<N> nest = make_loop_nest<N>(out_t, in_t);
  T* const out = out_t.data<T>();
  std::array<const T*, N> in;
  for (std::size_t k = 0; k < N; ++k) in[k] = in_t[k].template data<T>();

  const std::size_t nd = nest.shape.size();
  const std::int64_t inner = nest.shape[nd - 1];
  const std::int64_t os = nest.out_strides[nd - 1];
  std::array<std::int64_t, N> is;
  for (std::size_t k = 0; k < N; ++k) is[k] = nest.in_strides[k][nd - 1];

  // Inner 1-d kernel over [b, e) of the innermost dimension, with base offsets.
  auto run_inner = [&](std::int64_t b, std::int64_t e, std::int64_t obase,
                       const std::array<std::int64_t, N>& ibase) {
    T* o = out + obase + b * os;
    std::array<const T*, N> p;
    for (std::size_t k = 0; k < N; ++k) p[k] = in[k] + ibase[k] + b * is[k];
    const std::int64_t n = e - b;
    bool unit = os == 1;
    for (std::size_t k = 0; k < N; ++k) unit = unit && is[k] == 1;
    if constexpr (N == 1) {
      if (unit) {
        for (std::int64_t i = 0; i < n; ++i) o[i] = f(p[0][i]);
      } else {
        for (std::int64_t i = 0; i < n; ++i) o[i * os] = f(p[0][i * is[0]]);
      }
    } else if constexpr (N > 2) {
      // Three or more operands (VJPs and second orders): no broadcast-scalar special cases.
      auto call = [&]<std::size_t... K>(std::index_sequence<K...>, std::int64_t i) {
        return unit ? f(p[K][i]...) : f(p[K][i * is[K]]...);
      };
      for (std::int64_t i = 0; i < n; ++i)
        o[unit ? i : i * os] = call(std::make_index_sequence<N>{}, i);
    } else {
      if (unit) {
        for (std::int64_t i = 0; i < n; ++i) o[i] = f(p[0][i], p[1][i]);
      } else if (os == 1 && is[0] == 1 && is[1] == 0) {
        const T s = p[1][0];
        for (std::int64_t i = 0; i < n; ++i) o[i] = f(p[0][i], s);
      } else if (os == 1 && is[0] == 0 && is[1] == 1) {
        const T s = p[0][0];
        for (std::int64_t i = 0; i < n; ++i) o[i] = f(s, p[1][i]);
      } else {
        for (std::int64_t i = 0; i < n; ++i) o[i * os] = f(p[0][i * is[0]], p[1][i * is[1]]);
      }
    }
  };

  if (nd == 1) {
    parallel_for(Family::elementwise, inner, grain(Family::elementwise),
                 [&](std::int64_t, std::int64_t b, std::int64_t e) {
                   run_inner(b, e, 0, std::array<std::int64_t, N>{});
                 });
    return;
  }
  // Outer dimensions: iterate rows, parallel over rows.
  std::int64_t rows = 1;
  for (std::size_t d = 0; d + 1 < nd; ++d) rows *= nest.shape[d];
  const std::int64_t row_grain =
      std::max<std::int64_t>(1, grain(Family::elementwise) / std::max<std::int64_t>(inner, 1));
  parallel_for(
      Family::elementwise, rows, row_grain,
      [&](std::int64_t, std::int64_t rb, std::int64_t re) {
        for (std::int64_t r = rb; r < re; ++r) {
          std::int64_t rem = r, obase = 0;
          std::array<std::int64_t, N> ibase{};
          for (std::size_t d = nd - 1; d-- > 0;) {
            const std::int64_t idx = rem % nest.shape[d];
            rem /= nest.shape[d];
            obase += idx * nest.out_strides[d];
            for (std::size_t k = 0; k < N; ++k) ibase[k] += idx * nest.in_strides[k][d];
          }
          run_inner(0, inner, obase, ibase);
        }
      },
      rows * inner);
}

/// Dispatches an OpCall to elementwise<float> or elementwise<double> with one scalar functor
/// template: F<T>{}(a…). Handles broadcasting, overlap and dtype checks.
template <template <class> class F, std::size_t N>
void elementwise_call(OpCall& c, const char* op) {
  Tensor& out = c.outputs.at(0);
  std::vector<Tensor> ins = prepare_elementwise(c.inputs, out, op);
  std::array<Tensor, N> arr;
  for (std::size_t k = 0; k < N; ++k) arr[k] = std::move(ins.at(k));
  switch (out.dtype()) {
    case DType::f32:
      elementwise<float, N>(out, arr, F<float>{});
      break;
    case DType::f64:
      elementwise<double, N>(out, arr, F<double>{});
      break;
    default:
      throw Error(op, {out.shape()},
                  "optimized backend supports float32 and float64, not " +
                      std::string(dtype_name(out.dtype())));
  }
}

}  // namespace vt::opt
