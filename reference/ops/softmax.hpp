// reference/ops/softmax.hpp — softmax and log_softmax along one axis: the spec.
// What it is: for every row along the axis, m = max, y_i = exp(x_i − m) / Σ_j exp(x_j − m) and
// log y_i = (x_i − m) − log Σ_j exp(x_j − m), in Real arithmetic. Special rows follow PyTorch
// because the formula does: a NaN gives a NaN row; a +inf gives a NaN row (inf − inf); a row of
// only −inf gives NaN (−inf − (−inf)); a −inf entry in a finite row gives 0 (log: −inf).
// The VJPs read the forward output y: softmax y ⊙ (g − Σ g ⊙ y), log_softmax g − exp(y)·Σ g.
// What it is not: fast — Real is float128 when registered.
#pragma once

#include "core/shape.hpp"
#include "core/tensor.hpp"
#include "reference/core/reference.hpp"
#include "reference/ops/elementwise.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace vt::ref {

/// The softmax axis normalised: [−ndim, ndim) → [0, ndim); a 0-d tensor is one row of one element
/// and accepts 0 and −1 (PyTorch). (core's normalize_axis rejects every axis of a 0-d tensor.)
inline std::int64_t softmax_axis(std::int64_t axis, std::int64_t ndim, const char* op) {
  if (ndim == 0 && (axis == 0 || axis == -1)) return 0;
  return normalize_axis(axis, ndim, op);
}

/// Calls f(index of the row's first element, row) for every row of x along `axis` (normalised);
/// the row's element k sits at that index with index[axis] = k.
template <class Real, class F>
void for_each_row_along(View<Real> x, std::int64_t axis, F f) {
  const std::size_t a = static_cast<std::size_t>(axis);
  Shape outer = x.shape;
  const std::int64_t len = x.shape.empty() ? 1 : x.shape[a];
  if (!outer.empty()) outer[a] = 1;
  std::vector<Real> row;
  for_each_index(outer, [&](const std::vector<std::int64_t>& o) {
    row.clear();
    std::vector<std::int64_t> idx = o;
    for (std::int64_t k = 0; k < len; ++k) {
      if (!idx.empty()) idx[a] = k;
      row.push_back(x[idx]);
    }
    f(o, row);
  });
}

/// The row's maximum, NaN if it holds a NaN (IEEE 754-2019 maximum).
template <class Real>
Real row_max(const std::vector<Real>& x) {
  Real m = x.at(0);
  for (const Real& v : x) m = maximum_scalar(m, v);
  return m;
}

// x, out: the same shape; axis: normalised (0 for a 0-d tensor, whose one row has one element).
template <class Real>
void softmax_forward(View<Real> x, std::int64_t axis, View<Real> out) {
  using boost::multiprecision::exp;
  using std::exp;
  for_each_row_along(x, axis, [&](std::vector<std::int64_t> idx, const std::vector<Real>& row) {
    if (row.empty()) return;
    const Real m = row_max(row);
    Real s = 0;
    for (const Real& v : row) s += exp(v - m);
    for (std::size_t k = 0; k < row.size(); ++k) {
      if (!idx.empty()) idx[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(k);
      out[idx] = exp(row[k] - m) / s;
    }
  });
}

template <class Real>
void log_softmax_forward(View<Real> x, std::int64_t axis, View<Real> out) {
  using boost::multiprecision::exp;
  using boost::multiprecision::log;
  using std::exp;
  using std::log;
  for_each_row_along(x, axis, [&](std::vector<std::int64_t> idx, const std::vector<Real>& row) {
    if (row.empty()) return;
    const Real m = row_max(row);
    Real s = 0;
    for (const Real& v : row) s += exp(v - m);
    const Real log_s = log(s);
    for (std::size_t k = 0; k < row.size(); ++k) {
      if (!idx.empty()) idx[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(k);
      out[idx] = (row[k] - m) - log_s;
    }
  });
}

// ---- vector-Jacobian products -------------------------------------------------------------------
// y: the forward output; g: the output gradient; gx: the input gradient (all the same shape, any
// strides); axis normalised. Written as PyTorch's formulas are, so specials propagate as there.

/// Calls f(index of the row's first element, y row, g row) for every row along `axis`.
template <class Real, class F>
void for_each_row_pair(View<Real> y, View<Real> g, std::int64_t axis, F f) {
  for_each_row_along(y, axis, [&](std::vector<std::int64_t> idx, const std::vector<Real>& yrow) {
    std::vector<Real> grow(yrow.size());
    for (std::size_t k = 0; k < yrow.size(); ++k) {
      if (!idx.empty()) idx[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(k);
      grow[k] = g[idx];
    }
    f(idx, yrow, grow);
  });
}

/// softmax: ∂y_i/∂x_j = y_i(δ_ij − y_j), so gx_i = y_i·(g_i − Σ_j g_j y_j).
template <class Real>
void softmax_backward(View<Real> y, View<Real> g, std::int64_t axis, View<Real> gx) {
  for_each_row_pair(y, g, axis, [&](std::vector<std::int64_t> idx, const auto& yr, const auto& gr) {
    Real s = 0;
    for (std::size_t j = 0; j < yr.size(); ++j) s += gr[j] * yr[j];
    for (std::size_t i = 0; i < yr.size(); ++i) {
      if (!idx.empty()) idx[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(i);
      gx[idx] = yr[i] * (gr[i] - s);
    }
  });
}

/// log_softmax: ∂y_i/∂x_j = δ_ij − softmax_j, softmax = exp(y), so gx_i = g_i − exp(y_i)·Σ_j g_j.
template <class Real>
void log_softmax_backward(View<Real> y, View<Real> g, std::int64_t axis, View<Real> gx) {
  using boost::multiprecision::exp;
  using std::exp;
  for_each_row_pair(y, g, axis, [&](std::vector<std::int64_t> idx, const auto& yr, const auto& gr) {
    Real s = 0;
    for (const Real& v : gr) s += v;
    for (std::size_t i = 0; i < yr.size(); ++i) {
      if (!idx.empty()) idx[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(i);
      gx[idx] = gr[i] - exp(yr[i]) * s;
    }
  });
}

}  // namespace vt::ref
