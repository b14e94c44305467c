// optimized/ops/reduction.cpp — float32/float64 sum, mean, max, min, argmax, var and logsumexp
// over any set of axes, and the VJPs of all but argmax.
// Shaped this way because: a reduction is memory-bound, so what matters is one pass over
// contiguous memory with enough independent accumulators to hide the add latency. The input is
// viewed as (outer, n, inner) — n the reduced extent — after merging adjacent dimensions:
//  - inner == 1 ("rows"): each output reduces a contiguous row; a row is cut into blocks of
//    kBlock elements, each block summed into kLanes independent accumulators (64 floats or 32
//    doubles: GCC turns the fixed-width lane loop into four 512-bit adds per step) and combined
//    pairwise; block partials are then added in block order. Rows and blocks are spread over the
//    thread pool, but every partial is computed the same way and combined in the same order, so
//    the bits never depend on the thread count.
//  - inner > 1 ("columns", e.g. reducing axis 0 of a matrix): each output is a column; a tile of
//    up to kTile adjacent columns is accumulated row by row (recursive summation per output,
//    vectorised across the tile); tiles are spread over threads.
// Anything else — non-contiguous, transposed, negative-stride or broadcast inputs, or reduced axes
// interleaved with kept ones — is first copied to a contiguous tensor (kept axes first, so it
// becomes "rows"): a copy, then the fast path. Narrow columns (inner < kNarrow) and argmax are
// transposed into rows the same way.
// A sum, mean or var whose result is not finite is recomputed in a wider type (redo_nonfinite), so
// that values near the overflow threshold give inf only where the true result rounds to inf.
// Accuracy: sum/mean/var/logsumexp are sum-bound (their specs bound any summation order); mean is
// ŝ / n (one division, so exact-by-construction inputs give the correctly rounded mean); var is
// two-pass; logsumexp shifts by the maximum; its float32 exp is exp_f32 (optimized/core/math.hpp, <
// 0.51 ulp). max/min/argmax are exact: IEEE 754-2019 maximum/minimum (NaN propagates, +0 > −0).
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
#include <utility>
#include <vector>

namespace vt::opt {
namespace {

constexpr std::int64_t kBlock = 4096;  // elements per partial sum of a long row
constexpr std::int64_t kTile = 256;    // columns accumulated together
constexpr std::int64_t kNarrow = 16;   // fewer columns than this are transposed into rows

// ---- terms of a sum (what is added per element) -----------------------------------------------

template <class T>
struct Plain {
  T operator()(T v) const { return v; }
};
template <class T>
struct SquaredDeviation {
  T center;
  T operator()(T v) const {
    const T d = v - center;
    return d * d;
  }
};
template <class T>
struct ShiftedExp {
  T center;
  T operator()(T v) const { return exp_t(v - center); }
};

/// Σ term(x_i), i < n ≤ kBlock, in kLanes independent accumulators combined pairwise; −0 for n = 0.
/// For the exponential term the values are mapped into a buffer first: two simple loops
/// vectorize, one loop with exp inside 64 accumulator lanes does not.
using vt::opt::lanes_sum;  // the general one (optimized/core/lanes.hpp), not hidden by this
                           // overload
template <class T>
T lanes_sum(const T* x, std::int64_t n, ShiftedExp<T> term) {
  alignas(64) T buf[kBlock];
  for (std::int64_t i = 0; i < n; ++i) buf[i] = term(x[i]);
  return lanes_sum(static_cast<const T*>(buf), n, Plain<T>{});
}

/// res[r] = Σ_i make(r)(x[r·n + i]) for r < rows, n ≥ 1: kBlock-element blocks by lanes_sum, their
/// partials added in block order.
template <class T, class Make>
void sum_rows(const T* x, std::int64_t rows, std::int64_t n, Make make, T* res) {
  const std::int64_t nb = (n + kBlock - 1) / kBlock;
  if (nb == 1) {
    parallel_for(
        Family::reduction, rows, std::max<std::int64_t>(1, grain(Family::reduction) / n),
        [&](std::int64_t, std::int64_t b, std::int64_t e) {
          for (std::int64_t r = b; r < e; ++r) res[r] = lanes_sum(x + r * n, n, make(r));
        },
        rows * n);
    return;
  }
  std::vector<T> part(static_cast<std::size_t>(rows * nb));
  parallel_for(
      Family::reduction, rows * nb, std::max<std::int64_t>(1, grain(Family::reduction) / kBlock),
      [&](std::int64_t, std::int64_t b, std::int64_t e) {
        for (std::int64_t it = b; it < e; ++it) {
          const std::int64_t r = it / nb, begin = it % nb * kBlock;
          part[static_cast<std::size_t>(it)] =
              lanes_sum(x + r * n + begin, std::min(kBlock, n - begin), make(r));
        }
      },
      rows * n);
  for (std::int64_t r = 0; r < rows; ++r) {
    T s = part[static_cast<std::size_t>(r * nb)];
    for (std::int64_t k = 1; k < nb; ++k) s += part[static_cast<std::size_t>(r * nb + k)];
    res[r] = s;
  }
}

/// res[o·inner + k] = Σ_r make(o·inner + k)(x[(o·n + r)·inner + k]): recursive summation over r
/// for each output, vectorised across a tile of adjacent columns.
template <class T, class Make>
void sum_columns(const T* x, std::int64_t outer, std::int64_t n, std::int64_t inner, Make make,
                 T* res) {
  const std::int64_t tiles = (inner + kTile - 1) / kTile;
  parallel_for(
      Family::reduction, outer * tiles,
      std::max<std::int64_t>(1, grain(Family::reduction) / (n * kTile)),
      [&](std::int64_t, std::int64_t b, std::int64_t e) {
        alignas(64) T acc[kTile];
        for (std::int64_t it = b; it < e; ++it) {
          const std::int64_t o = it / tiles, k0 = it % tiles * kTile;
          const std::int64_t w = std::min(kTile, inner - k0), j0 = o * inner + k0;
          for (std::int64_t t = 0; t < w; ++t) acc[t] = T(-0.0);
          for (std::int64_t r = 0; r < n; ++r) {
            const T* row = x + (o * n + r) * inner + k0;
            for (std::int64_t t = 0; t < w; ++t) acc[t] += make(j0 + t)(row[t]);
          }
          for (std::int64_t t = 0; t < w; ++t) res[j0 + t] = acc[t];
        }
      },
      outer * n * inner);
}

// ---- maximum / minimum (exact) ----------------------------------------------------------------

/// Whether v replaces the running extreme a: it is larger (smaller), or NaN (NaN then sticks:
/// nothing compares greater than NaN and a NaN a is never replaced by a non-NaN v).
template <class T, bool kMax>
inline T pick(T v, T a) {
  if constexpr (kMax)
    return (v > a || v != v) ? v : a;
  else
    return (v < a || v != v) ? v : a;
}

template <class T, bool kMax>
constexpr T extreme_identity() {
  return kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
}

/// max (min) of x[0..n) with NaN propagation, in kLanes independent lanes; zero signs unresolved.
template <class T, bool kMax>
T lanes_extreme(const T* x, std::int64_t n) {
  constexpr int L = kLanes<T>;
  T acc[L];
  for (int j = 0; j < L; ++j) acc[j] = extreme_identity<T, kMax>();
  std::int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int j = 0; j < L; ++j) acc[j] = pick<T, kMax>(x[i + j], acc[j]);
  for (int j = 0; i + j < n; ++j) acc[j] = pick<T, kMax>(x[i + j], acc[j]);
  for (int w = L / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] = pick<T, kMax>(acc[j + w], acc[j]);
  return acc[0];
}

/// IEEE 754-2019: max(−0, +0) = +0 and min(−0, +0) = −0 whatever the order; the lanes keep the
/// first zero they saw, so a zero result is re-decided by looking for the other zero (rare).
template <class T, bool kMax>
T resolve_zero(T m, const T* x, std::int64_t n, std::int64_t stride) {
  if (m != 0) return m;
  for (std::int64_t i = 0; i < n; ++i) {
    const T v = x[i * stride];
    if (v == 0 && std::signbit(v) != kMax) return v;
  }
  return m;
}

template <class T, bool kMax>
void extreme_rows(const T* x, std::int64_t rows, std::int64_t n, T* res) {
  const std::int64_t nb = (n + kBlock - 1) / kBlock;
  std::vector<T> part(static_cast<std::size_t>(rows * nb));
  parallel_for(
      Family::reduction, rows * nb,
      std::max<std::int64_t>(1, grain(Family::reduction) / std::min(n, kBlock)),
      [&](std::int64_t, std::int64_t b, std::int64_t e) {
        for (std::int64_t it = b; it < e; ++it) {
          const std::int64_t r = it / nb, begin = it % nb * kBlock;
          part[static_cast<std::size_t>(it)] =
              lanes_extreme<T, kMax>(x + r * n + begin, std::min(kBlock, n - begin));
        }
      },
      rows * n);
  for (std::int64_t r = 0; r < rows; ++r) {
    T m = part[static_cast<std::size_t>(r * nb)];
    for (std::int64_t k = 1; k < nb; ++k)
      m = pick<T, kMax>(part[static_cast<std::size_t>(r * nb + k)], m);
    res[r] = resolve_zero<T, kMax>(m, x + r * n, n, 1);
  }
}

template <class T, bool kMax>
void extreme_columns(const T* x, std::int64_t outer, std::int64_t n, std::int64_t inner, T* res) {
  const std::int64_t tiles = (inner + kTile - 1) / kTile;
  parallel_for(
      Family::reduction, outer * tiles,
      std::max<std::int64_t>(1, grain(Family::reduction) / (n * kTile)),
      [&](std::int64_t, std::int64_t b, std::int64_t e) {
        alignas(64) T acc[kTile];
        for (std::int64_t it = b; it < e; ++it) {
          const std::int64_t o = it / tiles, k0 = it % tiles * kTile;
          const std::int64_t w = std::min(kTile, inner - k0), j0 = o * inner + k0;
          for (std::int64_t t = 0; t < w; ++t) acc[t] = extreme_identity<T, kMax>();
          for (std::int64_t r = 0; r < n; ++r) {
            const T* row = x + (o * n + r) * inner + k0;
            for (std::int64_t t = 0; t < w; ++t) acc[t] = pick<T, kMax>(row[t], acc[t]);
          }
          for (std::int64_t t = 0; t < w; ++t)
            res[j0 + t] = resolve_zero<T, kMax>(acc[t], x + o * n * inner + k0 + t, n, inner);
        }
      },
      outer * n * inner);
}

/// argmax of each row: the maximum first (vectorised, NaN-propagating), then the first position
/// holding it — or the first NaN, as NumPy.
template <class T>
void argmax_rows(const T* x, std::int64_t rows, std::int64_t n, std::int64_t* res) {
  parallel_for(
      Family::reduction, rows, std::max<std::int64_t>(1, grain(Family::reduction) / n),
      [&](std::int64_t, std::int64_t b, std::int64_t e) {
        for (std::int64_t r = b; r < e; ++r) {
          const T* row = x + r * n;
          const T m = lanes_extreme<T, true>(row, n);
          std::int64_t i = 0;
          if (m != m)
            while (row[i] == row[i]) ++i;
          else
            while (row[i] != m) ++i;
          res[r] = i;
        }
      },
      rows * n);
}

// ---- layout ------------------------------------------------------------------------------------

/// x contiguous and logically (outer, n, inner); outputs in row-major order of the kept axes.
struct Plan {
  Tensor x;
  std::int64_t outer = 1, n = 1, inner = 1;
};

Plan make_plan(const Tensor& in, const std::vector<std::int64_t>& axes, bool columns_ok) {
  Plan p;
  p.x = in.contiguous();  // copies non-contiguous, reversed and broadcast inputs
  const Shape& s = p.x.shape();
  std::vector<bool> reduced(s.size(), false);
  for (std::int64_t a : axes) reduced[static_cast<std::size_t>(a)] = true;
  // Merge runs of kept / reduced axes (size-1 axes do not change the element order).
  std::vector<std::pair<bool, std::int64_t>> runs;
  for (std::size_t k = 0; k < s.size(); ++k) {
    if (s[k] == 1) continue;
    if (!runs.empty() && runs.back().first == reduced[k])
      runs.back().second *= s[k];
    else
      runs.push_back({reduced[k], s[k]});
  }
  std::size_t i = 0;
  if (i < runs.size() && !runs[i].first) p.outer = runs[i++].second;
  if (i < runs.size() && runs[i].first) p.n = runs[i++].second;
  if (i < runs.size() && !runs[i].first) p.inner = runs[i++].second;
  if (i != runs.size()) {
    // Interleaved kept and reduced axes: bring the kept ones to the front, then copy.
    std::vector<std::int64_t> order;
    p.outer = p.n = 1;
    p.inner = 1;
    for (std::size_t k = 0; k < s.size(); ++k)
      if (!reduced[k]) {
        order.push_back(static_cast<std::int64_t>(k));
        p.outer *= s[k];
      }
    for (std::size_t k = 0; k < s.size(); ++k)
      if (reduced[k]) {
        order.push_back(static_cast<std::int64_t>(k));
        p.n *= s[k];
      }
    p.x = p.x.permute(order).contiguous();
  }
  if (p.inner > 1 && (!columns_ok || p.inner < kNarrow)) {
    p.x = p.x.view_as_shape({p.outer, p.n, p.inner}).permute({0, 2, 1}).contiguous();
    p.outer *= p.inner;
    p.inner = 1;
  }
  return p;
}

enum class Kind { sum, mean, max, min, argmax, var, logsumexp };

// ---- overflow fallback -------------------------------------------------------------------------

template <class T>
struct WideOf {
  using type = long double;  // x87 extended: 64-bit significand, exponent range of 2^±16383
};
template <>
struct WideOf<float> {
  using type = double;
};

/// The elements of output j: x[i·stride], i < n.
template <class T>
std::pair<const T*, std::int64_t> elements_of(const Plan& p, std::int64_t j) {
  const T* x = p.x.data<T>();
  if (p.inner == 1) return {x + j * p.n, 1};
  return {x + j / p.inner * p.n * p.inner + j % p.inner, p.inner};
}

/// A sum, mean or variance whose fast result is not finite is recomputed in a wider type (double
/// for float, long double for double), whose range no partial sum can leave: a sum of values
/// near the overflow threshold can overflow in one order and not in another, and the result
/// must be inf only when the rounded true value is. Inputs holding inf or NaN give the same
/// inf/NaN here, as they should. The wide computation's own error is below 2^-11 of the target's
/// (u = 2^-53 or 2^-64 against 2^-24 or 2^-53), so the spec's bounds cover it.
template <class T>
void redo_nonfinite(const Plan& p, Kind kind, std::int64_t ddof, T* res, std::int64_t outputs) {
  using W = typename WideOf<T>::type;
  for (std::int64_t j = 0; j < outputs; ++j) {
    if (std::isfinite(res[j])) continue;
    const auto [x, stride] = elements_of<T>(p, j);
    W s = W(-0.0);
    for (std::int64_t i = 0; i < p.n; ++i) s += static_cast<W>(x[i * stride]);
    if (kind == Kind::sum) {
      res[j] = static_cast<T>(s);
      continue;
    }
    const W mean = s / static_cast<W>(p.n);
    if (kind == Kind::mean) {
      res[j] = static_cast<T>(mean);
      continue;
    }
    W q = 0;
    for (std::int64_t i = 0; i < p.n; ++i) {
      const W d = static_cast<W>(x[i * stride]) - mean;
      q += d * d;
    }
    res[j] = static_cast<T>(q / static_cast<W>(p.n - ddof > 0 ? p.n - ddof : 0));
  }
}

// ---- the ops -----------------------------------------------------------------------------------

/// res[j] for every output j of a sum of make(j)(x) over the plan.
template <class T, class Make>
void sum_plan(const Plan& p, Make make, T* res) {
  const T* x = p.x.data<T>();
  if (p.inner == 1)
    sum_rows<T>(x, p.outer, p.n, make, res);
  else
    sum_columns<T>(x, p.outer, p.n, p.inner, make, res);
}

template <class T, bool kMax>
void extreme_plan(const Plan& p, T* res) {
  const T* x = p.x.data<T>();
  if (p.inner == 1)
    extreme_rows<T, kMax>(x, p.outer, p.n, res);
  else
    extreme_columns<T, kMax>(x, p.outer, p.n, p.inner, res);
}

template <class T>
void reduce(const Tensor& in, const std::vector<std::int64_t>& axes, std::int64_t n, Kind kind,
            std::int64_t ddof, T* res, std::int64_t outputs) {
  constexpr T nan = std::numeric_limits<T>::quiet_NaN();
  constexpr T inf = std::numeric_limits<T>::infinity();
  if (n == 0) {  // sum([]) = 0, mean/var([]) = NaN (0/0), logsumexp([]) = −inf
    const T v = kind == Kind::sum ? T(0) : kind == Kind::logsumexp ? -inf : nan;
    std::fill(res, res + outputs, v);
    return;
  }
  const Plan p = make_plan(in, axes, true);
  switch (kind) {
    case Kind::sum:
      sum_plan<T>(
          p, [](std::int64_t) { return Plain<T>{}; }, res);
      break;
    case Kind::mean:
      sum_plan<T>(
          p, [](std::int64_t) { return Plain<T>{}; }, res);
      for (std::int64_t j = 0; j < outputs; ++j) res[j] = res[j] / static_cast<T>(n);
      break;
    case Kind::var: {
      std::vector<T> mean(static_cast<std::size_t>(outputs));
      sum_plan<T>(
          p, [](std::int64_t) { return Plain<T>{}; }, mean.data());
      for (T& m : mean) m = m / static_cast<T>(n);
      const T* c = mean.data();
      sum_plan<T>(
          p, [c](std::int64_t j) { return SquaredDeviation<T>{c[j]}; }, res);
      const T d = static_cast<T>(n - ddof > 0 ? n - ddof : 0);  // 0: inf or NaN, as NumPy
      for (std::int64_t j = 0; j < outputs; ++j) res[j] = res[j] / d;
      break;
    }
    case Kind::max:
      extreme_plan<T, true>(p, res);
      break;
    case Kind::min:
      extreme_plan<T, false>(p, res);
      break;
    case Kind::logsumexp: {
      std::vector<T> top(static_cast<std::size_t>(outputs));
      extreme_plan<T, true>(p, top.data());
      const T* c = top.data();
      sum_plan<T>(
          p, [c](std::int64_t j) { return ShiftedExp<T>{c[j]}; }, res);
      for (std::int64_t j = 0; j < outputs; ++j) {
        const T m = c[j];
        // NaN → NaN, +inf → +inf, all −inf → −inf (SciPy); else m + log Σ exp(x − m).
        res[j] = (m != m || m == inf || m == -inf) ? m : m + std::log(res[j]);
      }
      break;
    }
    case Kind::argmax:
      break;  // handled by the caller (int64 output)
  }
  if (kind == Kind::sum || kind == Kind::mean || kind == Kind::var)
    redo_nonfinite<T>(p, kind, ddof, res, outputs);
}

void reduction_call(OpCall& c, Kind kind, const char* op) {
  const Tensor& in = c.inputs.at(0);
  Tensor& out = c.outputs.at(0);
  const std::vector<std::int64_t>& axis = c.attrs.get_ints("axis");
  if (kind == Kind::argmax && axis.size() > 1)
    throw Error(op, {in.shape()}, "argmax takes at most one axis");
  const std::vector<std::int64_t> axes = normalize_axes(axis, in.ndim(), op);
  std::int64_t n = 1;
  for (std::int64_t a : axes) n *= in.dim(a);
  if (n == 0 && (kind == Kind::max || kind == Kind::min || kind == Kind::argmax))
    throw Error(op, {in.shape()}, std::string(op) + " of an empty sequence (no identity)");
  if (in.dtype() != DType::f32 && in.dtype() != DType::f64)
    throw Error(op, {in.shape()},
                "optimized backend supports float32 and float64, not " +
                    std::string(dtype_name(in.dtype())));
  const std::int64_t outputs = out.numel();
  if (outputs == 0) return;
  Tensor res = out.is_contiguous() ? out : Tensor::empty(out.shape(), out.dtype());
  if (kind == Kind::argmax) {
    const Plan p = make_plan(in, axes, false);
    if (in.dtype() == DType::f32)
      argmax_rows<float>(p.x.data<float>(), p.outer, p.n, res.data<std::int64_t>());
    else
      argmax_rows<double>(p.x.data<double>(), p.outer, p.n, res.data<std::int64_t>());
  } else {
    const std::int64_t ddof = kind == Kind::var ? c.attrs.get_int("ddof") : 0;
    if (in.dtype() == DType::f32)
      reduce<float>(in, axes, n, kind, ddof, res.data<float>(), outputs);
    else
      reduce<double>(in, axes, n, kind, ddof, res.data<double>(), outputs);
  }
  if (!out.is_contiguous()) out.copy_from(res);
}

// ---- VJPs --------------------------------------------------------------------------------------
// Every VJP of a reduction is elementwise once its per-output operands are known (g, and the
// row's mean, result, tie count…): gx_i = f(x_i, j) with j the output that x_i reduces into.
// So each VJP computes its per-output operands into contiguous arrays in output order (the
// forward's reduce() where a reduction is needed: the mean for var, the tie count for max/min),
// then one pass over x writes gx through both tensors' strides, spread over the thread pool by
// rows of the innermost dimension (each element is written by one thread from the same operands:
// the bits do not depend on the thread count). The innermost loop has unit-stride paths for a
// reduced (j constant) or kept (j + 1) last axis, which GCC vectorizes.

/// gx[i] = f(x[i], j(i)) for every element i of x; j(i) is the row-major position of i's output
/// among the kept axes. x and gx: the same shape, any strides.
template <class T, class F>
void per_element(const Tensor& x_t, const std::vector<std::int64_t>& axes, const Tensor& gx_t,
                 F f) {
  const std::int64_t total = x_t.numel();
  if (total == 0) return;
  const Shape& s = x_t.shape();
  const std::size_t nd = s.size();
  const T* const x = x_t.data<T>();
  T* const gx = gx_t.data<T>();
  if (nd == 0) {
    gx[0] = f(x[0], 0);
    return;
  }
  std::vector<bool> reduced(nd, false);
  for (std::int64_t a : axes) reduced[static_cast<std::size_t>(a)] = true;
  std::vector<std::int64_t> js(nd, 0);  // output-position stride per dimension
  std::int64_t run = 1;
  for (std::size_t d = nd; d-- > 0;)
    if (!reduced[d]) {
      js[d] = run;
      run *= s[d];
    }
  const Strides& xs = x_t.strides();
  const Strides& gs = gx_t.strides();
  const std::int64_t len = s[nd - 1], xi = xs[nd - 1], gi = gs[nd - 1], ji = js[nd - 1];
  const std::int64_t rows = total / len;
  parallel_for(
      Family::reduction, rows, std::max<std::int64_t>(1, grain(Family::reduction) / len),
      [&](std::int64_t, std::int64_t rb, std::int64_t re) {
        for (std::int64_t r = rb; r < re; ++r) {
          std::int64_t rem = r, xo = 0, go = 0, j0 = 0;
          for (std::size_t d = nd - 1; d-- > 0;) {
            const std::int64_t i = rem % s[d];
            rem /= s[d];
            xo += i * xs[d];
            go += i * gs[d];
            j0 += i * js[d];
          }
          const T* xp = x + xo;
          T* gp = gx + go;
          if (xi == 1 && gi == 1 && ji == 0) {
            for (std::int64_t i = 0; i < len; ++i) gp[i] = f(xp[i], j0);
          } else if (xi == 1 && gi == 1) {
            for (std::int64_t i = 0; i < len; ++i) gp[i] = f(xp[i], j0 + i * ji);
          } else {
            for (std::int64_t i = 0; i < len; ++i) gp[i * gi] = f(xp[i * xi], j0 + i * ji);
          }
        }
      },
      total);
}

/// A VJP's operands: x, its normalised axes and reduced count, the output gradient in output
/// order (zeros when undefined), the input gradient (undefined: nothing to do).
struct GradCall {
  Tensor x, gx;
  std::vector<std::int64_t> axes;
  std::int64_t n = 1, outputs = 0;
  Tensor g;  // contiguous, output order
};

GradCall grad_call(const BackwardCall& bc, const char* op) {
  GradCall c;
  const OpCall& f = *bc.forward;
  c.x = f.inputs.at(0);
  if (c.x.dtype() != DType::f32 && c.x.dtype() != DType::f64)
    throw Error(op, {c.x.shape()},
                "optimized backend supports float32 and float64, not " +
                    std::string(dtype_name(c.x.dtype())));
  c.axes = normalize_axes(f.attrs.get_ints("axis"), c.x.ndim(), op);
  for (std::int64_t a : c.axes) c.n *= c.x.dim(a);
  c.outputs = f.outputs.at(0).numel();
  if (!bc.grad_inputs.empty()) c.gx = bc.grad_inputs[0];
  const Tensor g = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  c.g = g.defined() ? g.contiguous() : Tensor::empty(f.outputs.at(0).shape(), c.x.dtype());
  return c;
}

/// g_j / c_j correctly rounded: float divides in double (a correctly rounded double quotient
/// rounded to float is the correctly rounded float quotient, since 53 ≥ 2·24 + 2), so counts
/// beyond 2^24 stay exact too.
template <class T>
T divide_by_count(T g, std::int64_t c) {
  if constexpr (std::is_same_v<T, float>)
    return static_cast<float>(static_cast<double>(g) / static_cast<double>(c));
  else
    return g / static_cast<double>(c);
}

template <class T>
void sum_vjp_t(const GradCall& c) {
  const T* g = c.g.data<T>();
  per_element<T>(c.x, c.axes, c.gx, [g](T, std::int64_t j) { return g[j]; });
}

template <class T>
void mean_vjp_t(const GradCall& c) {
  std::vector<T> share(static_cast<std::size_t>(c.outputs));
  const T* g = c.g.data<T>();
  for (std::int64_t j = 0; j < c.outputs; ++j)
    share[static_cast<std::size_t>(j)] = divide_by_count(g[j], c.n);
  const T* p = share.data();
  per_element<T>(c.x, c.axes, c.gx, [p](T, std::int64_t j) { return p[j]; });
}

/// (g / count of ties) · [x = y], y this backend's own forward result (exact, so the same bits as
/// the reference's). The tie count is the forward's sum of the 0/1 mask, written into gx first
/// (exact: integers below 2^24).
template <class T>
void extreme_vjp_t(const GradCall& c, const Tensor& y_t) {
  const Tensor y_c = y_t.contiguous();
  const T* y = y_c.data<T>();
  per_element<T>(c.x, c.axes, c.gx, [y](T v, std::int64_t j) { return v == y[j] ? T(1) : T(0); });
  std::vector<T> count(static_cast<std::size_t>(c.outputs));
  reduce<T>(c.gx, c.axes, c.n, Kind::sum, 0, count.data(), c.outputs);
  std::vector<T> share(static_cast<std::size_t>(c.outputs));
  const T* g = c.g.data<T>();
  for (std::int64_t j = 0; j < c.outputs; ++j) {
    const auto k = static_cast<std::size_t>(j);
    share[k] = divide_by_count(g[j], static_cast<std::int64_t>(count[k]));
  }
  const T* p = share.data();
  per_element<T>(c.x, c.axes, c.gx,
                 [p, y](T v, std::int64_t j) { return p[j] * (v == y[j] ? T(1) : T(0)); });
}

/// g · 2(x − x̄)/d as (g · fl(2/d)) · (x − x̄), x̄ the forward's mean kernel. A non-finite result
/// is recomputed in the wider type (as the forward's redo_nonfinite): x − x̄ or the product can
/// overflow T where the gradient itself is finite (x near −max, x̄ positive); from inf/NaN
/// operands, or d = 0, the wide result is the same inf or NaN.
template <class T>
void var_vjp_t(const GradCall& c, std::int64_t ddof) {
  using W = typename WideOf<T>::type;
  std::vector<T> mean(static_cast<std::size_t>(c.outputs)), scale(mean.size());
  reduce<T>(c.x, c.axes, c.n, Kind::mean, 0, mean.data(), c.outputs);
  const std::int64_t d = c.n - ddof > 0 ? c.n - ddof : 0;
  const T two_over_d = T(2) / static_cast<T>(d);  // d = 0: inf
  const T* g = c.g.data<T>();
  for (std::int64_t j = 0; j < c.outputs; ++j)
    scale[static_cast<std::size_t>(j)] = g[j] * two_over_d;
  const T* m = mean.data();
  const T* p = scale.data();
  const W wide_scale = W(2) / static_cast<W>(d);
  per_element<T>(c.x, c.axes, c.gx, [m, p, g, wide_scale](T v, std::int64_t j) {
    const T r = p[j] * (v - m[j]);
    if (std::isfinite(r)) [[likely]]
      return r;
    return static_cast<T>(static_cast<W>(g[j]) * wide_scale *
                          (static_cast<W>(v) - static_cast<W>(m[j])));
  });
}

/// g · exp(x − y), y this backend's own forward logsumexp.
template <class T>
void logsumexp_vjp_t(const GradCall& c, const Tensor& y_t) {
  const Tensor y_c = y_t.contiguous();
  const T* y = y_c.data<T>();
  const T* g = c.g.data<T>();
  per_element<T>(c.x, c.axes, c.gx, [y, g](T v, std::int64_t j) { return g[j] * exp_t(v - y[j]); });
}

template <template <class> class Body>
void reduction_vjp(BackwardCall& bc, const char* op) {
  const GradCall c = grad_call(bc, op);
  if (!c.gx.defined()) return;
  if (c.x.dtype() == DType::f32)
    Body<float>{}(c, bc);
  else
    Body<double>{}(c, bc);
}

template <class T>
struct SumVjp {
  void operator()(const GradCall& c, const BackwardCall&) const { sum_vjp_t<T>(c); }
};
template <class T>
struct MeanVjp {
  void operator()(const GradCall& c, const BackwardCall&) const { mean_vjp_t<T>(c); }
};
template <class T>
struct ExtremeVjp {
  void operator()(const GradCall& c, const BackwardCall& bc) const {
    extreme_vjp_t<T>(c, bc.forward->outputs.at(0));
  }
};
template <class T>
struct VarVjp {
  void operator()(const GradCall& c, const BackwardCall& bc) const {
    var_vjp_t<T>(c, bc.forward->attrs.get_int("ddof"));
  }
};
template <class T>
struct LogsumexpVjp {
  void operator()(const GradCall& c, const BackwardCall& bc) const {
    logsumexp_vjp_t<T>(c, bc.forward->outputs.at(0));
  }
};

void sum_vjp(BackwardCall& bc) { reduction_vjp<SumVjp>(bc, "sum"); }
void mean_vjp(BackwardCall& bc) { reduction_vjp<MeanVjp>(bc, "mean"); }
void max_vjp(BackwardCall& bc) { reduction_vjp<ExtremeVjp>(bc, "max"); }
void min_vjp(BackwardCall& bc) { reduction_vjp<ExtremeVjp>(bc, "min"); }
void var_vjp(BackwardCall& bc) { reduction_vjp<VarVjp>(bc, "var"); }
void logsumexp_vjp(BackwardCall& bc) { reduction_vjp<LogsumexpVjp>(bc, "logsumexp"); }

void sum_forward(OpCall& c) { reduction_call(c, Kind::sum, "sum"); }
void mean_forward(OpCall& c) { reduction_call(c, Kind::mean, "mean"); }
void max_forward(OpCall& c) { reduction_call(c, Kind::max, "max"); }
void min_forward(OpCall& c) { reduction_call(c, Kind::min, "min"); }
void argmax_forward(OpCall& c) { reduction_call(c, Kind::argmax, "argmax"); }
void var_forward(OpCall& c) { reduction_call(c, Kind::var, "var"); }
void logsumexp_forward(OpCall& c) { reduction_call(c, Kind::logsumexp, "logsumexp"); }

#define VT_OPTIMIZED_REDUCTION(name, variant_name, how) \
  VT_REGISTER_OPTIMIZED_VJP(name, variant_name, name##_forward, name##_vjp, how)

// sum and mean are linear: their double backward is the forward applied to w (registry.hpp).
VT_REGISTER_OPTIMIZED_VJP2(sum, "blocked_lanes", sum_forward, sum_vjp,
                           linear_double_backward<sum_forward>,
                           "64/32 accumulator lanes per 4096-element block, blocks added in "
                           "order; VJP g broadcast; second order: the sum of w");
VT_REGISTER_OPTIMIZED_VJP2(mean, "blocked_lanes", mean_forward, mean_vjp,
                           linear_double_backward<mean_forward>,
                           "blocked-lanes sum, then one division by n; VJP g/n broadcast; second "
                           "order: the mean of w");
VT_OPTIMIZED_REDUCTION(max, "lanes",
                       "NaN-propagating max in independent lanes; VJP g/ties at the maxima");
VT_OPTIMIZED_REDUCTION(min, "lanes",
                       "NaN-propagating min in independent lanes; VJP g/ties at the minima");
VT_REGISTER_OPTIMIZED(argmax, "two_pass", argmax_forward,
                      "vectorised max, then the first position holding it");
VT_OPTIMIZED_REDUCTION(var, "two_pass",
                       "blocked-lanes mean, then blocked-lanes Σ(x − mean)²; VJP "
                       "(g·2/d)·(x − mean)");
VT_OPTIMIZED_REDUCTION(logsumexp, "max_shift",
                       "max, then blocked-lanes Σ exp(x − max) (float32: vectorised exp), log; "
                       "VJP g·exp(x − y) from its own y");

}  // namespace
}  // namespace vt::opt
