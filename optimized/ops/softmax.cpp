// optimized/ops/softmax.cpp — float32/float64 softmax and log_softmax along one axis.
// Shaped this way because: softmax is three passes over a row that stays in cache (max, exp and
// sum, scale), and the exp pass dominates — so the float32 exp is exp_f32
// (optimized/core/math.hpp), plain arithmetic in double that GCC vectorizes (glibc's expf is a
// scalar call, ~2 ns each); float64 calls glibc exp. The input is viewed as (outer, len, inner)
// along the axis:
//  - inner == 1: each row is contiguous; rows are spread over the thread pool; the row sum uses
//    kLanes independent accumulators per kBlock-element block, blocks added in order;
//  - inner > 1 (softmax over a non-last axis): a tile of up to kTile adjacent rows is processed
//    together, vectorised across the tile, summing along the axis recursively per row.
// Either way each output is computed by one thread in a fixed order, so the bits do not depend
// on the thread count. Non-contiguous inputs are copied to a contiguous tensor first; outputs
// that are not contiguous are written through a contiguous temporary.
// Accuracy (sum-bound, verify/ops/softmax.cpp): m = max exactly; fl(x − m); exp < 1 ulp
// (exp_f32 < 0.51 ulp, glibc exp < 1 ulp); any-order sum; softmax divides once by the sum;
// log_softmax is fl(fl(x − m) − fl(log s)). Special rows as PyTorch (NaN or +inf: NaN row).
// The VJPs (below) walk rows the same way over the backend's own output.
#include "core/registry.hpp"
#include "core/tensor.hpp"
#include "optimized/core/lanes.hpp"
#include "optimized/core/math.hpp"
#include "optimized/core/parallel.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace vt::opt {
namespace {

constexpr std::int64_t kBlock = 4096;  // elements per partial sum of a long row
constexpr std::int64_t kGrain = 8192;  // elements per parallel chunk (exp costs ~4 adds)
constexpr std::int64_t kTile = 256;    // rows (along a non-last axis) processed together

/// NaN-propagating maximum step: v replaces a when larger or NaN (a NaN a is never replaced).
template <class T>
inline T pick_max(T v, T a) {
  return (v > a || v != v) ? v : a;
}

template <class T>
T row_max(const T* x, std::int64_t n) {
  constexpr int L = kLanes<T>;
  T acc[L];
  for (int j = 0; j < L; ++j) acc[j] = -std::numeric_limits<T>::infinity();
  std::int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int j = 0; j < L; ++j) acc[j] = pick_max(x[i + j], acc[j]);
  for (int j = 0; i + j < n; ++j) acc[j] = pick_max(x[i + j], acc[j]);
  for (int w = L / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] = pick_max(acc[j + w], acc[j]);
  return acc[0];
}

/// Σ term(x_i) over a row, n ≥ 1: blocks of kBlock by lanes_sum, added in block order.
template <class T, class Term>
T row_sum(const T* x, std::int64_t n, Term term) {
  T s = lanes_sum(x, std::min(n, kBlock), term);
  for (std::int64_t b = kBlock; b < n; b += kBlock)
    s += lanes_sum(x + b, std::min(kBlock, n - b), term);
  return s;
}

template <class T, bool kLog>
void softmax_row(const T* x, std::int64_t n, T* y) {
  const T m = row_max(x, n);
  // The exponentials go to y first (one simple loop that vectorizes), then the lanes sum them.
  for (std::int64_t i = 0; i < n; ++i) y[i] = exp_t(x[i] - m);
  const T s = row_sum(y, n, [](T v) { return v; });
  if constexpr (kLog) {
    const T log_s = std::log(s);
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - log_s;
  } else {
    for (std::int64_t i = 0; i < n; ++i) y[i] = y[i] / s;
  }
}

/// Rows along a non-last axis: x, y are (len, inner) slices with row stride `inner`; the tile is
/// columns [k0, k0 + w).
template <class T, bool kLog>
void softmax_tile(const T* x, std::int64_t len, std::int64_t inner, std::int64_t k0, std::int64_t w,
                  T* y) {
  alignas(64) T m[kTile], s[kTile];
  for (std::int64_t t = 0; t < w; ++t) {
    m[t] = -std::numeric_limits<T>::infinity();
    s[t] = T(-0.0);
  }
  for (std::int64_t r = 0; r < len; ++r) {
    const T* xr = x + r * inner + k0;
    for (std::int64_t t = 0; t < w; ++t) m[t] = pick_max(xr[t], m[t]);
  }
  for (std::int64_t r = 0; r < len; ++r) {
    const T* xr = x + r * inner + k0;
    T* yr = y + r * inner + k0;
    for (std::int64_t t = 0; t < w; ++t) yr[t] = exp_t(xr[t] - m[t]);
    for (std::int64_t t = 0; t < w; ++t) s[t] += yr[t];
  }
  if constexpr (kLog)
    for (std::int64_t t = 0; t < w; ++t) s[t] = std::log(s[t]);
  for (std::int64_t r = 0; r < len; ++r) {
    const T* xr = x + r * inner + k0;
    T* yr = y + r * inner + k0;
    if constexpr (kLog)
      for (std::int64_t t = 0; t < w; ++t) yr[t] = (xr[t] - m[t]) - s[t];
    else
      for (std::int64_t t = 0; t < w; ++t) yr[t] = yr[t] / s[t];
  }
}

template <class T, bool kLog>
void softmax_contiguous(const T* x, std::int64_t outer, std::int64_t len, std::int64_t inner,
                        T* y) {
  if (inner == 1) {
    parallel_for(
        Family::softmax, outer, std::max<std::int64_t>(1, kGrain / len),
        [&](std::int64_t, std::int64_t b, std::int64_t e) {
          for (std::int64_t r = b; r < e; ++r) softmax_row<T, kLog>(x + r * len, len, y + r * len);
        },
        outer * len);
    return;
  }
  const std::int64_t tiles = (inner + kTile - 1) / kTile;
  parallel_for(
      Family::softmax, outer * tiles, std::max<std::int64_t>(1, kGrain / (len * kTile)),
      [&](std::int64_t, std::int64_t b, std::int64_t e) {
        for (std::int64_t it = b; it < e; ++it) {
          const std::int64_t o = it / tiles, k0 = it % tiles * kTile;
          softmax_tile<T, kLog>(x + o * len * inner, len, inner, k0, std::min(kTile, inner - k0),
                                y + o * len * inner);
        }
      },
      outer * len * inner);
}

template <bool kLog>
void softmax_call(OpCall& c, const char* op) {
  const Tensor& in = c.inputs.at(0);
  Tensor& out = c.outputs.at(0);
  if (in.dtype() != DType::f32 && in.dtype() != DType::f64)
    throw Error(op, {in.shape()},
                "optimized backend supports float32 and float64, not " +
                    std::string(dtype_name(in.dtype())));
  // A 0-d tensor is one row of one element (axis 0 or −1, as PyTorch).
  const std::int64_t raw_axis = c.attrs.get_int("axis");
  const std::int64_t axis = in.ndim() == 0 && (raw_axis == 0 || raw_axis == -1)
                                ? 0
                                : normalize_axis(raw_axis, in.ndim(), op);
  if (in.numel() == 0) return;  // empty rows: empty output
  std::int64_t outer = 1, len = 1, inner = 1;
  for (std::int64_t k = 0; k < in.ndim(); ++k) {
    if (k < axis) outer *= in.dim(k);
    if (k == axis) len = in.dim(k);
    if (k > axis) inner *= in.dim(k);
  }
  const Tensor x = in.contiguous();
  // A contiguous output that overlaps the input (in place) is computed through a temporary too.
  const bool direct = out.is_contiguous() && !out.overlaps(x);
  Tensor res = direct ? out : Tensor::empty(out.shape(), out.dtype());
  if (in.dtype() == DType::f32)
    softmax_contiguous<float, kLog>(x.data<float>(), outer, len, inner, res.data<float>());
  else
    softmax_contiguous<double, kLog>(x.data<double>(), outer, len, inner, res.data<double>());
  if (!direct) out.copy_from(res);
}

// ---- VJPs --------------------------------------------------------------------------------------
// The same (outer, len, inner) walk as the forward, over this backend's own output y:
//   softmax:     gx_i = y_i · (g_i − Σ_j g_j y_j)   (PyTorch's _softmax_backward_data);
//   log_softmax: gx_i = g_i − exp(y_i) · Σ_j g_j     (exp(y) is the softmax).
// One row (or tile of rows) per thread, the row sum by the same blocked lanes as the forward
// (its products staged in gx first), so the bits do not depend on the thread count.

template <class T, bool kLog>
void vjp_row(const T* y, const T* g, std::int64_t n, T* gx) {
  if constexpr (kLog) {
    const T s = row_sum(g, n, [](T v) { return v; });
    for (std::int64_t i = 0; i < n; ++i) gx[i] = g[i] - exp_t(y[i]) * s;
  } else {
    for (std::int64_t i = 0; i < n; ++i) gx[i] = g[i] * y[i];
    const T s = row_sum(static_cast<const T*>(gx), n, [](T v) { return v; });
    for (std::int64_t i = 0; i < n; ++i) gx[i] = y[i] * (g[i] - s);
  }
}

template <class T, bool kLog>
void vjp_tile(const T* y, const T* g, std::int64_t len, std::int64_t inner, std::int64_t k0,
              std::int64_t w, T* gx) {
  alignas(64) T s[kTile];
  for (std::int64_t t = 0; t < w; ++t) s[t] = T(-0.0);
  for (std::int64_t r = 0; r < len; ++r) {
    const T* yr = y + r * inner + k0;
    const T* gr = g + r * inner + k0;
    if constexpr (kLog)
      for (std::int64_t t = 0; t < w; ++t) s[t] += gr[t];
    else
      for (std::int64_t t = 0; t < w; ++t) s[t] += gr[t] * yr[t];
  }
  for (std::int64_t r = 0; r < len; ++r) {
    const T* yr = y + r * inner + k0;
    const T* gr = g + r * inner + k0;
    T* o = gx + r * inner + k0;
    if constexpr (kLog)
      for (std::int64_t t = 0; t < w; ++t) o[t] = gr[t] - exp_t(yr[t]) * s[t];
    else
      for (std::int64_t t = 0; t < w; ++t) o[t] = yr[t] * (gr[t] - s[t]);
  }
}

template <class T, bool kLog>
void vjp_contiguous(const T* y, const T* g, std::int64_t outer, std::int64_t len,
                    std::int64_t inner, T* gx) {
  if (inner == 1) {
    parallel_for(
        Family::softmax, outer, std::max<std::int64_t>(1, kGrain / len),
        [&](std::int64_t, std::int64_t b, std::int64_t e) {
          for (std::int64_t r = b; r < e; ++r)
            vjp_row<T, kLog>(y + r * len, g + r * len, len, gx + r * len);
        },
        outer * len);
    return;
  }
  const std::int64_t tiles = (inner + kTile - 1) / kTile;
  parallel_for(
      Family::softmax, outer * tiles, std::max<std::int64_t>(1, kGrain / (len * kTile)),
      [&](std::int64_t, std::int64_t b, std::int64_t e) {
        for (std::int64_t it = b; it < e; ++it) {
          const std::int64_t o = it / tiles, k0 = it % tiles * kTile;
          const std::int64_t base = o * len * inner;
          vjp_tile<T, kLog>(y + base, g + base, len, inner, k0, std::min(kTile, inner - k0),
                            gx + base);
        }
      },
      outer * len * inner);
}

template <bool kLog>
void softmax_vjp_call(BackwardCall& bc, const char* op) {
  if (bc.grad_inputs.empty() || !bc.grad_inputs[0].defined()) return;
  const OpCall& f = *bc.forward;
  const Tensor& in = f.inputs.at(0);
  Tensor& gx_out = bc.grad_inputs[0];
  if (in.dtype() != DType::f32 && in.dtype() != DType::f64)
    throw Error(op, {in.shape()},
                "optimized backend supports float32 and float64, not " +
                    std::string(dtype_name(in.dtype())));
  const std::int64_t raw_axis = f.attrs.get_int("axis");
  const std::int64_t axis = in.ndim() == 0 && (raw_axis == 0 || raw_axis == -1)
                                ? 0
                                : normalize_axis(raw_axis, in.ndim(), op);
  if (in.numel() == 0) return;
  std::int64_t outer = 1, len = 1, inner = 1;
  for (std::int64_t k = 0; k < in.ndim(); ++k) {
    if (k < axis) outer *= in.dim(k);
    if (k == axis) len = in.dim(k);
    if (k > axis) inner *= in.dim(k);
  }
  const Tensor y = f.outputs.at(0).contiguous();
  const Tensor g0 = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  const Tensor g = g0.defined() ? g0.contiguous() : Tensor::empty(in.shape(), in.dtype());
  const bool direct = gx_out.is_contiguous();
  Tensor gx = direct ? gx_out : Tensor::empty(in.shape(), in.dtype());
  if (in.dtype() == DType::f32)
    vjp_contiguous<float, kLog>(y.data<float>(), g.data<float>(), outer, len, inner,
                                gx.data<float>());
  else
    vjp_contiguous<double, kLog>(y.data<double>(), g.data<double>(), outer, len, inner,
                                 gx.data<double>());
  if (!direct) gx_out.copy_from(gx);
}

void softmax_forward(OpCall& c) { softmax_call<false>(c, "softmax"); }
void log_softmax_forward(OpCall& c) { softmax_call<true>(c, "log_softmax"); }
void softmax_vjp(BackwardCall& bc) { softmax_vjp_call<false>(bc, "softmax"); }
void log_softmax_vjp(BackwardCall& bc) { softmax_vjp_call<true>(bc, "log_softmax"); }

VT_REGISTER_IMPL({.op = "softmax",
                  .backend = backend::optimized,
                  .variant = "three_pass",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = softmax_forward,
                  .backward = softmax_vjp,
                  .technique = "max, exp(x − max) with a lane-parallel sum, one division per "
                               "element; float32 exp vectorised in double; VJP y ⊙ (g − Σ g ⊙ y) "
                               "from its own y"});
VT_REGISTER_IMPL({.op = "log_softmax",
                  .backend = backend::optimized,
                  .variant = "three_pass",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = log_softmax_forward,
                  .backward = log_softmax_vjp,
                  .technique = "max, lane-parallel Σ exp(x − max), then (x − max) − log Σ; VJP "
                               "g − exp(y)·Σ g from its own y"});

}  // namespace
}  // namespace vt::opt
