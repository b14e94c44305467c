// reference/ops/loss.hpp — mse_loss, nll_loss and cross_entropy (PyTorch semantics): the spec.
// What it is, in Real arithmetic, with reduction none | mean | sum:
//  - mse_loss(x, t) = (x − t)² elementwise (x, t the same shape); mean divides by the count.
//  - nll_loss(lp (N, C), t (N) class indices) = −lp[n, t_n]; rows whose target equals
//    ignore_index contribute 0 and are left out of the mean's count (all ignored: 0/0 = NaN).
//  - cross_entropy(x (N, C), t) = nll_loss(log_softmax(x, axis 1), t) for class indices
//    (N); for class probabilities (N, C) it is −Σ_c t_c·log_softmax(x)_c per row, and mean
//    divides by N. log_softmax is ref::log_softmax_forward (max-shifted).
// Class indices are int64, or floats holding integers (the harness draws every input in the
// float dtype under test); a non-integer, NaN or out-of-range index is a vt::Error.
// VJPs, as PyTorch writes them (specials propagate the same way):
//  mse: gx = (2/n or 2)·(x − t)·g, gt = −gx;  nll: glp[n, t_n] = −g_n (÷ count for mean), 0
//  elsewhere;  cross_entropy: gx = gl − exp(log_softmax(x))·Σ_c gl with gl the nll gradient
//  (indices: gl = −g_n at t_n; probabilities: gl = −g_n·t).
// What it is not: fast — Real is float128 when registered; weights and label smoothing are
// not implemented.
#pragma once

#include "core/error.hpp"
#include "core/shape.hpp"
#include "core/tensor.hpp"
#include "reference/core/reference.hpp"
#include "reference/ops/softmax.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace vt::ref {

enum class Reduction { none, mean, sum };

inline Reduction parse_reduction(const std::string& s, const char* op) {
  if (s == "none") return Reduction::none;
  if (s == "mean") return Reduction::mean;
  if (s == "sum") return Reduction::sum;
  throw Error(op, {}, "reduction must be none, mean or sum, not '" + s + "'");
}

/// Output shape of a loss over `shape` (the per-element or per-row shape) with reduction r.
inline Shape reduced_loss_shape(const Shape& shape, Reduction r) {
  return r == Reduction::none ? shape : Shape{};
}

/// mse_loss: input and target of one shape (PyTorch broadcasts with a warning; this does not).
inline Shape mse_loss_shape(const std::vector<Shape>& in, Reduction r) {
  if (in.size() != 2) throw Error("mse_loss", in, "takes input and target");
  if (in[0] != in[1]) throw Error("mse_loss", in, "input and target must have the same shape");
  return reduced_loss_shape(in[0], r);
}

/// nll_loss and cross_entropy: input (N, C); target (N) class indices, or (N, C) class
/// probabilities (cross_entropy only). Returns (N) or ().
inline Shape classification_loss_shape(const std::vector<Shape>& in, Reduction r, const char* op,
                                       bool probabilities_allowed) {
  if (in.size() != 2) throw Error(op, in, "takes input and target");
  const Shape& x = in[0];
  const Shape& t = in[1];
  if (x.size() != 2) throw Error(op, in, "input must be (N, C)");
  const bool indices = t.size() == 1 && t[0] == x[0];
  const bool probs = probabilities_allowed && t == x;
  if (!indices && !probs)
    throw Error(op, in,
                probabilities_allowed
                    ? "target must be class indices (N) or class probabilities (N, C)"
                    : "target must be class indices (N)");
  return reduced_loss_shape(Shape{x[0]}, r);
}

/// Class index n of a target tensor t (N): int64, or a float holding an integer. Returns the
/// index, or −1 for an ignored row (t_n == ignore_index); throws for anything else out of [0, C).
inline std::int64_t class_index(const Tensor& t, std::int64_t n, std::int64_t C,
                                std::int64_t ignore_index, const char* op, const Shape& x_shape) {
  std::int64_t k;
  if (t.dtype() == DType::i64) {
    k = t.view<std::int64_t>()[{n}];
  } else {
    const hp_t v = load_hp(t, {n});
    if (!boost::multiprecision::isfinite(v) || boost::multiprecision::trunc(v) != v ||
        boost::multiprecision::abs(v) > hp_t(9.0e18))
      throw Error(op, {x_shape, t.shape()},
                  "target at row " + std::to_string(n) + " is not a class index (" +
                      std::to_string(static_cast<double>(v)) + ")");
    k = static_cast<std::int64_t>(v);
  }
  if (k == ignore_index) return -1;
  if (k < 0 || k >= C)
    throw Error(op, {x_shape, t.shape()},
                "target " + std::to_string(k) + " at row " + std::to_string(n) +
                    " is out of bounds for " + std::to_string(C) + " classes");
  return k;
}

/// Applies the reduction to per-element losses `l` (row-major): none writes them to out (the
/// same number of elements), mean/sum write one value (the mean over `count`).
template <class Real>
void reduce_losses(const std::vector<Real>& l, Reduction r, std::int64_t count, View<Real> out) {
  if (r == Reduction::none) {
    std::size_t k = 0;
    for_each_index(out.shape, [&](const std::vector<std::int64_t>& i) { out[i] = l[k++]; });
    return;
  }
  Real s = 0;
  for (const Real& v : l) s += v;
  out[{}] = r == Reduction::sum ? s : s / Real(count);
}

// ---- mse_loss -----------------------------------------------------------------------------------

// x, t: the same shape; out: that shape (none) or 0-d.
template <class Real>
void mse_loss_forward(View<Real> x, View<Real> t, Reduction r, View<Real> out) {
  std::vector<Real> l;
  for_each_index(x.shape, [&](const std::vector<std::int64_t>& i) {
    const Real d = x[i] - t[i];
    l.push_back(d * d);
  });
  reduce_losses(l, r, static_cast<std::int64_t>(l.size()), out);
}

/// gx = norm·(x − t)·g with norm = 2/n (mean) or 2; gt = −gx. g: out's shape (0-d unless none).
template <class Real>
void mse_loss_backward(View<Real> x, View<Real> t, View<Real> g, Reduction r, View<Real>* gx,
                       View<Real>* gt) {
  const std::int64_t n = shape_numel(x.shape);
  const Real norm = r == Reduction::mean ? Real(2) / Real(n) : Real(2);
  for_each_index(x.shape, [&](const std::vector<std::int64_t>& i) {
    const Real gi = r == Reduction::none ? g[i] : g[{}];
    const Real v = norm * (x[i] - t[i]) * gi;
    if (gx) (*gx)[i] = v;
    if (gt) (*gt)[i] = -v;
  });
}

// ---- nll_loss -----------------------------------------------------------------------------------

/// Rows that count for the mean (target not ignored).
inline std::int64_t counted(const std::vector<std::int64_t>& target) {
  std::int64_t c = 0;
  for (std::int64_t k : target) c += k >= 0;
  return c;
}

// lp: (N, C); target: N class indices (−1 = ignored); out: (N) or 0-d.
template <class Real>
void nll_loss_forward(View<Real> lp, const std::vector<std::int64_t>& target, Reduction r,
                      View<Real> out) {
  std::vector<Real> l;
  for (std::size_t n = 0; n < target.size(); ++n)
    l.push_back(target[n] < 0 ? Real(0) : -lp[{static_cast<std::int64_t>(n), target[n]}]);
  reduce_losses(l, r, counted(target), out);
}

/// The per-row output-gradient multiplier h_n: g_n (none), g (sum), g / count (mean).
template <class Real>
Real row_grad(View<Real> g, Reduction r, std::int64_t n, std::int64_t count) {
  if (r == Reduction::none) return g[{n}];
  if (r == Reduction::sum) return g[{}];
  return g[{}] / Real(count);
}

// glp: (N, C) = −h_n at (n, t_n), 0 elsewhere.
template <class Real>
void nll_loss_backward(View<Real> g, const std::vector<std::int64_t>& target, Reduction r,
                       View<Real> glp) {
  const std::int64_t count = counted(target);
  for_each_index(glp.shape, [&](const std::vector<std::int64_t>& i) {
    const std::int64_t t = target[static_cast<std::size_t>(i[0])];
    glp[i] = t >= 0 && i[1] == t ? Real(-row_grad(g, r, i[0], count)) : Real(0);
  });
}

// ---- cross_entropy ------------------------------------------------------------------------------

/// log_softmax of x (N, C) along the classes, as a contiguous Real buffer view.
template <class Real>
Tensor log_softmax_rows(View<Real> x) {
  Tensor ls = Tensor::empty(x.shape, dtype_of_v<Real>);
  log_softmax_forward<Real>(x, 1, ls.view<Real>());
  return ls;
}

// x: (N, C); target: class indices (N) or probabilities p (N, C); out: (N) or 0-d.
template <class Real>
void cross_entropy_forward(View<Real> x, const std::vector<std::int64_t>* target,
                           const View<Real>* p, Reduction r, View<Real> out) {
  const Tensor ls_t = log_softmax_rows(x);
  const View<Real> ls = ls_t.view<Real>();
  const std::int64_t N = x.shape[0], C = x.shape[1];
  if (target) {
    nll_loss_forward(ls, *target, r, out);
    return;
  }
  std::vector<Real> l;
  for (std::int64_t n = 0; n < N; ++n) {
    Real s = 0;
    for (std::int64_t c = 0; c < C; ++c) s += (*p)[{n, c}] * ls[{n, c}];
    l.push_back(-s);
  }
  reduce_losses(l, r, N, out);
}

// gx = gl − exp(ls)·Σ_c gl, gl the gradient of the nll part: −h_n at t_n (indices) or −h_n·p.
template <class Real>
void cross_entropy_backward(View<Real> x, const std::vector<std::int64_t>* target,
                            const View<Real>* p, View<Real> g, Reduction r, View<Real> gx) {
  using boost::multiprecision::exp;
  using std::exp;
  const Tensor ls_t = log_softmax_rows(x);
  const View<Real> ls = ls_t.view<Real>();
  const std::int64_t N = x.shape[0], C = x.shape[1];
  const std::int64_t count = target ? counted(*target) : N;
  std::vector<Real> gl(static_cast<std::size_t>(C));
  for (std::int64_t n = 0; n < N; ++n) {
    const bool ignored = target && (*target)[static_cast<std::size_t>(n)] < 0;
    const Real h = ignored ? Real(0) : row_grad(g, r, n, count);
    Real s = 0;
    for (std::int64_t c = 0; c < C; ++c) {
      Real v;
      if (target)
        v = !ignored && c == (*target)[static_cast<std::size_t>(n)] ? Real(-h) : Real(0);
      else
        v = -h * (*p)[{n, c}];
      gl[static_cast<std::size_t>(c)] = v;
      s += v;
    }
    for (std::int64_t c = 0; c < C; ++c)
      gx[{n, c}] = gl[static_cast<std::size_t>(c)] - exp(ls[{n, c}]) * s;
  }
}

}  // namespace vt::ref
