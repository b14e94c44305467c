// reference/ops/reduction.hpp — reductions over a set of axes: the spec of sum, mean, max, min,
// argmax, var and logsumexp (NumPy names, defaults and special cases), and the VJPs of all but
// argmax (PyTorch's formulas and tie convention).
// What it is: for every output element, the reduced elements gathered into one row (row-major
// order of the reduced axes) and the textbook formula applied to that row in Real arithmetic.
// What it is not: fast, blocked or threaded — Real is float128 when registered, and the optimized
// backend's summation order is irrelevant here (its error is bounded by the spec instead).
#pragma once

#include "core/shape.hpp"
#include "core/tensor.hpp"
#include "reference/core/reference.hpp"
#include "reference/ops/elementwise.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace vt::ref {

/// Calls f(out_index, row) for every element of the keepdims-shaped output of reducing x over
/// `axes` (normalised: sorted, in range); row holds the reduced elements in row-major order of the
/// reduced axes, so its position k is the flat index NumPy's argmax reports.
template <class Real, class F>
void for_each_reduced_row(View<Real> x, const std::vector<std::int64_t>& axes, F f) {
  Shape outer = x.shape, inner(x.shape.size(), 1);
  for (std::int64_t a : axes) {
    outer[static_cast<std::size_t>(a)] = 1;
    inner[static_cast<std::size_t>(a)] = x.shape[static_cast<std::size_t>(a)];
  }
  std::vector<Real> row;
  for_each_index(outer, [&](const std::vector<std::int64_t>& o) {
    row.clear();
    std::vector<std::int64_t> idx = o;
    for_each_index(inner, [&](const std::vector<std::int64_t>& r) {
      for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = o[k] + r[k];
      row.push_back(x[idx]);
    });
    f(o, row);
  });
}

// ---- the formulas, one row at a time ----------------------------------------------------------

/// Σ x_i, starting from −0 (the IEEE additive identity: sum([−0]) = −0 as in NumPy); sum([]) = +0.
template <class Real>
Real sum_of(const std::vector<Real>& x) {
  if (x.empty()) return Real(0);
  Real s = -Real(0);
  for (const Real& v : x) s += v;
  return s;
}

/// (Σ x_i) / n; NaN for n = 0 (0/0, as NumPy).
template <class Real>
Real mean_of(const std::vector<Real>& x) {
  if (x.empty()) return quiet_nan<Real>();
  return sum_of(x) / Real(static_cast<std::int64_t>(x.size()));
}

/// IEEE 754-2019 maximum over the row: NaN if any element is NaN, +0 beats −0. n ≥ 1.
template <class Real>
Real max_of(const std::vector<Real>& x) {
  Real m = x.at(0);
  for (const Real& v : x) m = maximum_scalar(m, v);
  return m;
}
/// IEEE 754-2019 minimum over the row: NaN if any element is NaN, −0 beats +0. n ≥ 1.
template <class Real>
Real min_of(const std::vector<Real>& x) {
  Real m = x.at(0);
  for (const Real& v : x) m = minimum_scalar(m, v);
  return m;
}

/// Position of the first NaN if there is one, else of the first maximum (NumPy argmax). n ≥ 1.
template <class Real>
std::int64_t argmax_of(const std::vector<Real>& x) {
  std::int64_t best = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (is_nan(x[i])) return static_cast<std::int64_t>(i);
    if (x[i] > x[static_cast<std::size_t>(best)]) best = static_cast<std::int64_t>(i);
  }
  return best;
}

/// Σ (x_i − x̄)² / max(n − ddof, 0), x̄ the mean (NumPy var): a zero divisor gives +inf for a
/// positive sum of squares and NaN for 0/0, as NumPy (which warns); NaN for n = 0.
template <class Real>
Real var_of(const std::vector<Real>& x, std::int64_t ddof) {
  const std::int64_t n = static_cast<std::int64_t>(x.size());
  if (n == 0) return quiet_nan<Real>();
  const Real mean = mean_of(x);
  Real q = 0;
  for (const Real& v : x) q += (v - mean) * (v - mean);
  const std::int64_t d = n - ddof > 0 ? n - ddof : 0;
  return q / Real(d);
}

/// log Σ exp(x_i) = m + log Σ exp(x_i − m) with m = max x_i (SciPy logsumexp): NaN if any x_i is
/// NaN, +inf if any is +inf, −inf if all are −inf or the row is empty.
template <class Real>
Real logsumexp_of(const std::vector<Real>& x) {
  using boost::multiprecision::exp;
  using boost::multiprecision::log;
  using std::exp;
  using std::log;
  const Real inf = std::numeric_limits<Real>::infinity();
  if (x.empty()) return -inf;
  const Real m = max_of(x);
  if (is_nan(m)) return m;
  if (m == inf || m == -inf) return m;
  Real s = 0;
  for (const Real& v : x) s += exp(v - m);
  return m + log(s);
}

// ---- the ops ----------------------------------------------------------------------------------
// x: any shape; axes: normalised (empty means none here — the caller expands "all axes");
// out: the keepdims-shaped output (reduced axes of size 1, any strides).

template <class Real>
void sum_forward(View<Real> x, const std::vector<std::int64_t>& axes, View<Real> out) {
  for_each_reduced_row(x, axes, [&](const auto& o, const auto& row) { out[o] = sum_of(row); });
}
template <class Real>
void mean_forward(View<Real> x, const std::vector<std::int64_t>& axes, View<Real> out) {
  for_each_reduced_row(x, axes, [&](const auto& o, const auto& row) { out[o] = mean_of(row); });
}
/// max/min/argmax: the caller rejects reductions over zero elements (NumPy raises).
template <class Real>
void max_forward(View<Real> x, const std::vector<std::int64_t>& axes, View<Real> out) {
  for_each_reduced_row(x, axes, [&](const auto& o, const auto& row) { out[o] = max_of(row); });
}
template <class Real>
void min_forward(View<Real> x, const std::vector<std::int64_t>& axes, View<Real> out) {
  for_each_reduced_row(x, axes, [&](const auto& o, const auto& row) { out[o] = min_of(row); });
}
template <class Real>
void argmax_forward(View<Real> x, const std::vector<std::int64_t>& axes, View<std::int64_t> out) {
  for_each_reduced_row(x, axes, [&](const auto& o, const auto& row) { out[o] = argmax_of(row); });
}
template <class Real>
void var_forward(View<Real> x, const std::vector<std::int64_t>& axes, std::int64_t ddof,
                 View<Real> out) {
  for_each_reduced_row(x, axes,
                       [&](const auto& o, const auto& row) { out[o] = var_of(row, ddof); });
}
template <class Real>
void logsumexp_forward(View<Real> x, const std::vector<std::int64_t>& axes, View<Real> out) {
  for_each_reduced_row(x, axes,
                       [&](const auto& o, const auto& row) { out[o] = logsumexp_of(row); });
}

// ---- vector-Jacobian products -------------------------------------------------------------------
// x: the forward input; g: the output gradient in keepdims shape (reduced axes of size 1);
// gx: x's shape (any strides). Every element of gx is written: g of its row times the partial
// derivative of the row's result with respect to that element. Each formula is the textbook
// derivative, applied literally, so IEEE specials propagate as in PyTorch's formula.

/// Calls f(out_index, row, at) like for_each_reduced_row, with at[k] the index in x of row[k].
template <class Real, class F>
void for_each_reduced_row_at(View<Real> x, const std::vector<std::int64_t>& axes, F f) {
  Shape outer = x.shape, inner(x.shape.size(), 1);
  for (std::int64_t a : axes) {
    outer[static_cast<std::size_t>(a)] = 1;
    inner[static_cast<std::size_t>(a)] = x.shape[static_cast<std::size_t>(a)];
  }
  std::vector<Real> row;
  std::vector<std::vector<std::int64_t>> at;
  for_each_index(outer, [&](const std::vector<std::int64_t>& o) {
    row.clear();
    at.clear();
    std::vector<std::int64_t> idx = o;
    for_each_index(inner, [&](const std::vector<std::int64_t>& r) {
      for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = o[k] + r[k];
      row.push_back(x[idx]);
      at.push_back(idx);
    });
    f(o, row, at);
  });
}

/// sum: ∂s/∂x_i = 1, so gx_i = g.
template <class Real>
void sum_backward(View<Real> x, const std::vector<std::int64_t>& axes, View<Real> g,
                  View<Real> gx) {
  for_each_reduced_row_at(x, axes, [&](const auto& o, const auto& row, const auto& at) {
    for (std::size_t k = 0; k < row.size(); ++k) gx[at[k]] = g[o];
  });
}

/// mean: ∂(s/n)/∂x_i = 1/n, so gx_i = g / n (nothing to write for n = 0).
template <class Real>
void mean_backward(View<Real> x, const std::vector<std::int64_t>& axes, View<Real> g,
                   View<Real> gx) {
  for_each_reduced_row_at(x, axes, [&](const auto& o, const auto& row, const auto& at) {
    const Real n = Real(static_cast<std::int64_t>(row.size()));
    for (std::size_t k = 0; k < row.size(); ++k) gx[at[k]] = g[o] / n;
  });
}

/// amax/amin (PyTorch's convention at ties): the gradient is split evenly among the c elements
/// equal to the result y, gx_i = (g / c) · [x_i = y]. Written as PyTorch's formula is: a NaN
/// result matches no element (c = 0), so g/0 · 0 gives NaN throughout the row; ±0 tie.
template <class Real, bool kMax>
void extreme_backward(View<Real> x, const std::vector<std::int64_t>& axes, View<Real> g,
                      View<Real> gx) {
  for_each_reduced_row_at(x, axes, [&](const auto& o, const auto& row, const auto& at) {
    const Real y = kMax ? max_of(row) : min_of(row);
    std::int64_t c = 0;
    for (const Real& v : row) c += v == y ? 1 : 0;
    const Real share = g[o] / Real(c);
    for (std::size_t k = 0; k < row.size(); ++k) gx[at[k]] = share * Real(row[k] == y ? 1 : 0);
  });
}
template <class Real>
void max_backward(View<Real> x, const std::vector<std::int64_t>& axes, View<Real> g,
                  View<Real> gx) {
  extreme_backward<Real, true>(x, axes, g, gx);
}
template <class Real>
void min_backward(View<Real> x, const std::vector<std::int64_t>& axes, View<Real> g,
                  View<Real> gx) {
  extreme_backward<Real, false>(x, axes, g, gx);
}

/// var = Σ(x_j − x̄)² / d, d = max(n − ddof, 0): ∂/∂x_i = 2(x_i − x̄)/d (the terms through x̄
/// vanish because Σ(x_j − x̄) = 0), so gx_i = g · 2(x_i − x̄)/d. d = 0 gives ±inf, or NaN where
/// x_i = x̄ or g = 0 (IEEE, as the forward's division by zero).
template <class Real>
void var_backward(View<Real> x, const std::vector<std::int64_t>& axes, std::int64_t ddof,
                  View<Real> g, View<Real> gx) {
  for_each_reduced_row_at(x, axes, [&](const auto& o, const auto& row, const auto& at) {
    const std::int64_t n = static_cast<std::int64_t>(row.size());
    const Real mean = mean_of(row);
    const Real d = Real(n - ddof > 0 ? n - ddof : 0);
    for (std::size_t k = 0; k < row.size(); ++k) gx[at[k]] = g[o] * (Real(2) * (row[k] - mean) / d);
  });
}

/// logsumexp y = log Σ exp(x_j): ∂y/∂x_i = exp(x_i − y) (the softmax of the row), so
/// gx_i = g · exp(x_i − y), PyTorch's formula: a row of only −inf gives NaN (−inf − (−inf)),
/// a +inf gives NaN at the +inf and 0 elsewhere, a NaN row NaN.
template <class Real>
void logsumexp_backward(View<Real> x, const std::vector<std::int64_t>& axes, View<Real> g,
                        View<Real> gx) {
  using boost::multiprecision::exp;
  using std::exp;
  for_each_reduced_row_at(x, axes, [&](const auto& o, const auto& row, const auto& at) {
    const Real y = logsumexp_of(row);
    for (std::size_t k = 0; k < row.size(); ++k) gx[at[k]] = g[o] * exp(row[k] - y);
  });
}

}  // namespace vt::ref
