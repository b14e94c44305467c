// verify/ops/reduction.cpp — specs of sum, mean, max, min, argmax, var and logsumexp.
// What it is: attributes (axis: list, empty = every axis; keepdims; ddof for var), the NumPy
// shape rule, the accuracy class with each sum-bound op's error analysis beside its bound
// function, the exact-by-construction ranges and the layouts (every axis subset of 1-d…4-d
// shapes; lengths straddling the lane count, the block size and the parallel grain; length 0
// and 1; non-innermost and interleaved axes).
// max, min, argmax are `exact`: one IEEE comparison per element, so the result is an input
// element (or its index) whatever the order — the backend must match bit for bit (NaN
// propagates; IEEE 754-2019 signed zeros: max(−0, +0) = +0, min(−0, +0) = −0, which NumPy leaves
// to the evaluation order). sum, mean, var and logsumexp are `sum-bound` with c = 1: the bound
// is the worst case of the analysis for ANY summation order, plus the reference's own worst case
// (the same analysis at binary128, u = 2^-113). Notation: u = 2^-24 / 2^-53, γ_k = k·u/(1 − k·u),
// dm = the smallest subnormal, G = Σ|x_i|, n = elements per output.
#include "reference/ops/reduction.hpp"
#include "verify/harness/bounds.hpp"
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

#include <cmath>
#include <string>
#include <utility>

namespace vt::verify {
namespace {

namespace bmp = boost::multiprecision;

// ---- attributes and shape rule ----------------------------------------------------------------

std::vector<AttrSpec> reduction_attrs(bool with_ddof, bool single_axis) {
  std::vector<AttrSpec> a = {
      {.name = "axis",
       .type = AttrType::ints,
       .default_value = std::vector<std::int64_t>{},
       .help = single_axis ? "axis to reduce (at most one); empty: the flattened array"
                           : "axes to reduce; empty: every axis"},
      {.name = "keepdims",
       .type = AttrType::boolean,
       .default_value = false,
       .help = "keep reduced axes as size 1"},
  };
  if (with_ddof)
    a.push_back({.name = "ddof",
                 .type = AttrType::integer,
                 .default_value = std::int64_t{0},
                 .help = "divisor is n − ddof (NumPy); n − ddof ≤ 0 gives inf or NaN",
                 .min = 0});
  return a;
}

/// NumPy: reduced_shape; max/min/argmax over zero elements raise (no identity).
ShapeRule reduction_rule(std::string op, bool needs_elements, bool single_axis, OutKind kind) {
  return [op = std::move(op), needs_elements, single_axis, kind](const std::vector<Shape>& in,
                                                                 const Attrs& a) {
    const Shape& s = in.at(0);
    if (single_axis && a.get_ints("axis").size() > 1)
      throw Error(op, in, op + " takes at most one axis");
    const std::vector<std::int64_t> axes =
        reduction_axes(a, static_cast<std::int64_t>(s.size()), op);
    if (needs_elements && reduced_count(s, axes) == 0)
      throw Error(op, in, op + " of an empty sequence (no identity)");
    return std::vector<OutputDesc>{{reduced_shape(s, axes, a.get_bool("keepdims")), kind}};
  };
}

// ---- bounds -----------------------------------------------------------------------------------

/// Runs f(row, precision) for the target precision and for binary128, summed, per output.
template <class F>
void per_output_bound(BoundArgs& a, const char* op, F f) {
  const Tensor& x = a.inputs_hp.at(0);
  const std::vector<std::int64_t> axes = reduction_axes(a.attrs, x.ndim(), op);
  const bool keepdims = a.attrs.get_bool("keepdims");
  Tensor& b = bound_tensor(a, reduced_shape(x.shape(), axes, keepdims));
  const Tensor bk = with_reduced_axes(b, axes, keepdims);
  const Precision ref = reference_precision();
  for_each_reduced_row(x, axes,
                       [&](const std::vector<std::int64_t>& o, const std::vector<hp_t>& row) {
                         store_hp(bk, o, f(row, a.precision) + f(row, ref));
                       });
}

/// γ_1 when n converts exactly to the target (n ≤ 2^digits), else γ_2 (fl(n) adds a rounding).
hp_t division_gamma(std::int64_t n, const Precision& p) {
  return gamma_n(n <= (std::int64_t{1} << std::min(p.digits, 62)) ? 1 : 2, p);
}

// sum: ŝ = fl(Σ x_i) in any order ⇒ |ŝ − s| ≤ γ_{n−1}·G (sum_error, bounds.hpp). No underflow
// term: a subnormal sum is exact. A dropped term of size ≈ G/n exceeds this for n below ≈ 1/√u
// in random data; in the exact regime (below) every order gives s exactly, so any lost term,
// tail or block fails bit-exactness at every length.
hp_t sum_row_bound(const std::vector<hp_t>& row, const Precision& p) {
  return sum_error(static_cast<std::int64_t>(row.size()), gross_sum(row), p);
}

// mean: ŷ = fl(ŝ / fl(n)) = (ŝ/n)(1 + θ) + η with |θ| ≤ γ_k (k = 1 if n is exact in the target,
// else 2) and |η| ≤ dm/2 (underflow of the quotient). With y = s/n:
//   ŷ − y = (ŝ − s)/n · (1 + θ) + y·θ + η
//   ⇒ |ŷ − y| ≤ (1 + γ_k)·γ_{n−1}·G/n + γ_k·|y| + dm/2.
// The spec promises one division (ŝ / n, not ŝ · fl(1/n)): in the exact regime ŝ = s, so the
// mean must then be the correctly rounded s/n, bit for bit.
hp_t mean_row_bound(const std::vector<hp_t>& row, const Precision& p) {
  const std::int64_t n = static_cast<std::int64_t>(row.size());
  if (n == 0) return 0;  // NaN result, compared exactly
  hp_t s = 0;
  for (const hp_t& v : row) s += v;
  const hp_t g = division_gamma(n, p);
  return (1 + g) * sum_error(n, gross_sum(row), p) / n + g * bmp::abs(s / n) + p.denorm_min / 2;
}

// var, two-pass (the optimized algorithm): m̂ = fl(ŝ/n); t_i = fl(x_i − m̂); q_i = fl(t_i²);
// Q̂ = fl(Σ q_i) in any order; v̂ = fl(Q̂ / fl(d)), d = max(n − ddof, 0) > 0.
// Exact: m = s/n, Q = Σ(x_i − m)², v = Q/d.
//  1. |m̂ − m| ≤ E_m, the mean bound above.
//  2. P := Σ(x_i − m̂)² = Q + n·(m̂ − m)² exactly, because Σ(x_i − m) = 0: the error of the mean
//     enters only quadratically, P ≤ Q + n·E_m².
//  3. q_i = (x_i − m̂)²(1 + θ_i) + η_i, |θ_i| ≤ γ_3 (the subtraction — no underflow error — and the
//     square), |η_i| ≤ dm/2 (underflow of the square) ⇒ |Σ q_i − P| ≤ γ_3·P + n·dm/2.
//  4. |Q̂ − Σ q_i| ≤ γ_{n−1}·Σ q_i ≤ γ_{n−1}·((1 + γ_3)·P + n·dm/2)  (q_i ≥ 0).
//  ⇒ |Q̂ − Q| ≤ E_Q := n·E_m² + γ_3·P + n·dm/2 + γ_{n−1}·((1 + γ_3)·P + n·dm/2).
//  5. v̂ = (Q̂/d)(1 + θ) + η, |θ| ≤ γ_k (k as for the mean, for d), |η| ≤ dm/2
//  ⇒ |v̂ − v| ≤ (1 + γ_k)·E_Q/d + γ_k·v + dm/2.
// As for the sum, no intermediate may overflow where v is finite (the optimized code recomputes
// non-finite outputs in a wider type). d = 0 or n = 0 give a non-finite result (inf for Q > 0,
// NaN for 0/0, as NumPy), compared exactly — the bound is not used there.
hp_t var_row_bound(const std::vector<hp_t>& row, std::int64_t ddof, const Precision& p) {
  const std::int64_t n = static_cast<std::int64_t>(row.size());
  const std::int64_t d = n - ddof > 0 ? n - ddof : 0;
  if (n == 0 || d == 0) return 0;
  hp_t s = 0;
  for (const hp_t& v : row) s += v;
  const hp_t m = s / n;
  hp_t q = 0;
  for (const hp_t& v : row) q += (v - m) * (v - m);
  const hp_t gn = division_gamma(n, p);
  const hp_t e_m =
      (1 + gn) * sum_error(n, gross_sum(row), p) / n + gn * bmp::abs(m) + p.denorm_min / 2;
  const hp_t big_p = q + n * e_m * e_m;
  const hp_t g3 = gamma_n(3, p);
  const hp_t gsum = n > 1 ? gamma_n(n - 1, p) : hp_t(0);
  const hp_t half_dm = p.denorm_min / 2;
  const hp_t e_q =
      n * e_m * e_m + g3 * big_p + n * half_dm + gsum * ((1 + g3) * big_p + n * half_dm);
  const hp_t gd = division_gamma(d, p);
  return (1 + gd) * e_q / d + gd * q / d + half_dm;
}

// logsumexp = m + log S, S = Σ exp(x_i − m), m = max x_i (exact): the algorithm is max, then
// Ŝ = fl(Σ exp_impl(fl(x_i − m))), L̂ = fl(log Ŝ), ŷ = fl(m + L̂). exp_sum (bounds.hpp) bounds
// |Ŝ − S| by err_S, including the rounding of x_i − m amplified by exp and the 1-ulp exp;
// log_sum_error turns it into |L̂ − log S| ≤ Λ (1-ulp log). The last addition: ŷ = (m + L̂)(1 + δ)
//   ⇒ |ŷ − y| ≤ Λ + u·|m + L̂| ≤ (1 + u)·Λ + u·|y|.
// A missing max-subtraction overflows exp (the "shifted past exp overflow" adversarial pattern)
// and returns inf where y is finite; a dropped term changes log S by ≈ w_i/S ≫ Λ ≈ n·u.
// Rows with a NaN, +inf or only −inf (or empty) give non-finite results, compared exactly.
hp_t logsumexp_row_bound(const std::vector<hp_t>& row, const Precision& p) {
  const ExpSum e = exp_sum(row, p);
  if (!e.finite) return 0;
  const hp_t lambda = log_sum_error(e, p);
  const hp_t y = e.m + bmp::log(e.S);
  return (1 + p.u) * lambda + p.u * bmp::abs(y);
}

void sum_bound(BoundArgs& a) { per_output_bound(a, "sum", sum_row_bound); }
void mean_bound(BoundArgs& a) { per_output_bound(a, "mean", mean_row_bound); }
void var_bound(BoundArgs& a) {
  const std::int64_t ddof = a.attrs.get_int("ddof");
  per_output_bound(a, "var", [ddof](const std::vector<hp_t>& row, const Precision& p) {
    return var_row_bound(row, ddof, p);
  });
}
void logsumexp_bound(BoundArgs& a) { per_output_bound(a, "logsumexp", logsumexp_row_bound); }

// ---- gradients --------------------------------------------------------------------------------
// The VJPs (reference/ops/reduction.hpp) broadcast the output gradient g back over the reduced
// axes, times the partial derivative of the row's result: sum 1, mean 1/n, max/min 1/c at the c
// tied extremes (0 elsewhere), var 2(x_i − x̄)/d, logsumexp exp(x_i − y). The harness holds the
// backend's gradient to the reference VJP from the same float x and g:
//  - sum: gx_i = g, a copy: exact.
//  - mean: gx_i = fl(g/n), one correctly rounded division (float divides in double; a correctly
//    rounded binary128 or double quotient rounded again to the target is still correctly rounded,
//    113 ≥ 2·53 + 2 and 53 ≥ 2·24 + 2 [Figueroa]); n ≤ 2^53 is exact in double: exact.
//  - max, min: fl(g/c)·[x_i = y] with c the integer tie count (exact) and y the exact forward
//    result (an input element): one correctly rounded division, times 1 or 0: exact.
//  - var, logsumexp: sum-bound, derived beside their bound functions below.

Tensor& grad_bound_tensor(GradBoundArgs& a) {
  const Shape& s = a.inputs_hp.at(a.input).shape();
  if (!a.bound.defined() || a.bound.shape() != s || a.bound.dtype() != DType::hp)
    a.bound = Tensor::empty(s, DType::hp);
  return a.bound;
}

/// Fills the input-shaped bound: f(row, g) gives the bounds of one reduced row's elements, g the
/// row's output gradient.
template <class F>
void per_input_element_bound(GradBoundArgs& a, const char* op, F f) {
  const Tensor& x = a.inputs_hp.at(0);
  const std::vector<std::int64_t> axes = reduction_axes(a.attrs, x.ndim(), op);
  const bool keepdims = a.attrs.get_bool("keepdims");
  Tensor& b = grad_bound_tensor(a);
  const Tensor& g0 = a.grad_outputs_hp.at(0);
  const Tensor g = g0.defined() ? with_reduced_axes(g0, axes, keepdims) : Tensor();
  ref::for_each_reduced_row_at<hp_t>(
      x.view<hp_t>(), axes,
      [&](const std::vector<std::int64_t>& o, const std::vector<hp_t>& row,
          const std::vector<std::vector<std::int64_t>>& at) {
        const hp_t go = g.defined() ? load_hp(g, o) : hp_t(0);
        const std::vector<hp_t> bs = f(row, go);
        for (std::size_t k = 0; k < row.size(); ++k)
          store_hp(b, at[k], bmp::isnan(bs[k]) ? hp_t(0) : bs[k]);  // NaN: non-finite, exact
      });
}

// var: v_i = g·c·(x_i − m), c = 2/d, d = max(n − ddof, 0) > 0, m the exact mean. The optimized
// VJP computes m̂ with the forward's mean kernel (|m̂ − m| ≤ E_m, mean_row_bound), then
// ĉ = fl(2/fl(d)) = c(1 + θ_c), |θ_c| ≤ γ_k (k as for the mean's division); P̂ = fl(g·ĉ) =
// g·ĉ(1 + δ₁) + η₁; t̂ = fl(x_i − m̂) = (x_i − m̂)(1 + δ₂) (no underflow error); r̂ = fl(P̂·t̂) =
// P̂·t̂(1 + δ₃) + η₃, |δ| ≤ u, |η| ≤ dm/2. With |x_i − m̂ − (x_i − m)| ≤ E_m and the four factors
// (1 + θ) within 1 ± γ_{k+3}:
//   |r̂ − v_i| ≤ |g·c|·(E_m + γ_{k+3}·(|x_i − m| + E_m)) + (dm/2)(1 + u)²(|x_i − m| + E_m) + dm/2.
// A result that overflows T is recomputed from g, x_i, m̂ in the wider type (u_W ≤ 2^-53 for
// float, 2^-64 for double): four roundings at u_W and one at u, inside the same 1 ± γ_{k+3}.
// The reference (binary128: x_i − m, 2·, /d, g·) obeys the same with u = 2^-113; both added.
// d = 0 or n = 0 give ±inf/NaN (compared exactly).
std::vector<hp_t> var_grad_row(const std::vector<hp_t>& row, const hp_t& g, std::int64_t ddof,
                               const Precision& p) {
  const std::int64_t n = static_cast<std::int64_t>(row.size());
  const std::int64_t d = n - ddof > 0 ? n - ddof : 0;
  std::vector<hp_t> b(row.size(), hp_t(0));
  if (n == 0 || d == 0) return b;
  hp_t s = 0;
  for (const hp_t& v : row) s += v;
  const hp_t m = s / n;
  const hp_t e_m = mean_row_bound(row, p);
  const hp_t gk = gamma_n(n <= (std::int64_t{1} << std::min(p.digits, 62)) ? 4 : 5, p);
  const hp_t half_dm = p.denorm_min / 2;
  for (std::size_t k = 0; k < row.size(); ++k) {
    const hp_t dev = bmp::abs(row[k] - m);
    b[k] = bmp::abs(g * 2 / d) * (e_m + gk * (dev + e_m)) +
           half_dm * (1 + p.u) * (1 + p.u) * (dev + e_m) + half_dm;
  }
  return b;
}

// logsumexp: gx_i = g·p_i, p_i = exp(x_i − y), y the exact result. The optimized VJP reads its
// own ŷ, |ŷ − y| ≤ E_y (logsumexp_row_bound at the target precision): t = fl(x_i − ŷ) =
// (x_i − ŷ)(1 + δ), so |t − (x_i − y)| ≤ τ_i := E_y + u(|x_i − y| + E_y); ê = exp_impl(t) within
// 1 ulp: |ê − e^t| ≤ 2u·e^t + dm, and e^t ≤ q_i := exp(x_i − y + τ_i), |e^t − p_i| ≤ q_i − p_i
// (exp is increasing and convex); r̂ = fl(g·ê) = g·ê(1 + δ') + η', |η'| ≤ dm/2. Hence
//   |r̂ − g·p_i| ≤ |g|·((1 + u)(q_i − p_i + 2u·q_i + dm) + u·p_i) + dm/2.
// The reference (its own y within logsumexp_row_bound at binary128) obeys the same at u = 2^-113;
// both added. x_i = −inf gives exactly ±0 (or NaN) on both sides; rows with a non-finite y are
// compared exactly.
std::vector<hp_t> logsumexp_grad_row(const std::vector<hp_t>& row, const hp_t& g,
                                     const Precision& p) {
  std::vector<hp_t> b(row.size(), hp_t(0));
  const ExpSum e = exp_sum(row, p);
  if (!e.finite) return b;
  const hp_t e_y = logsumexp_row_bound(row, p);
  const hp_t y = e.m + bmp::log(e.S);
  for (std::size_t k = 0; k < row.size(); ++k) {
    if (!bmp::isfinite(row[k])) continue;
    const hp_t z = row[k] - y;
    const hp_t pi = bmp::exp(z);
    const hp_t tau = e_y + p.u * (bmp::abs(z) + e_y);
    const hp_t q = bmp::exp(z + tau);
    b[k] = bmp::abs(g) * ((1 + p.u) * (q - pi + 2 * p.u * q + p.denorm_min) + p.u * pi) +
           p.denorm_min / 2;
  }
  return b;
}

/// Adds the reference's own bound (binary128) to the backend's.
std::vector<hp_t> plus(std::vector<hp_t> a, const std::vector<hp_t>& b) {
  for (std::size_t k = 0; k < a.size(); ++k) a[k] += b[k];
  return a;
}

void var_grad_bound(GradBoundArgs& a) {
  const std::int64_t ddof = a.attrs.get_int("ddof");
  const Precision p = a.precision, r = reference_precision();
  per_input_element_bound(a, "var", [&](const std::vector<hp_t>& row, const hp_t& g) {
    return plus(var_grad_row(row, g, ddof, p), var_grad_row(row, g, ddof, r));
  });
}
void logsumexp_grad_bound(GradBoundArgs& a) {
  const Precision p = a.precision, r = reference_precision();
  per_input_element_bound(a, "logsumexp", [&](const std::vector<hp_t>& row, const hp_t& g) {
    return plus(logsumexp_grad_row(row, g, p), logsumexp_grad_row(row, g, r));
  });
}

/// Kink cases of max/min: rows whose extreme is tied (twice, three times, the whole row, and +0
/// against −0, which compare equal), over one axis, several axes and the whole array.
GradSpec extreme_grad(bool is_max) {
  GradSpec g;
  g.cls = AccuracyClass::exact;
  g.nondifferentiable =
      std::string(is_max ? "max" : "min") +
      " with ties (several elements equal to the result, +0 and −0 included): the gradient is "
      "split evenly among them (PyTorch amax/amin: g / count · (x == y)); a NaN result matches "
      "no element, so its row gets g/0 · 0 = NaN";
  const double s = is_max ? 1 : -1;  // the extreme is the largest (max) or smallest (min)
  auto attrs = [](std::vector<std::int64_t> axes, bool keep) {
    Attrs a;
    a.set("axis", std::move(axes));
    a.set("keepdims", keep);
    return a;
  };
  g.kink_layouts = {
      {{{3, 4}}, attrs({1}, false), "ties along the last axis"},
      {{{4, 3}}, attrs({0}, true), "ties along the first axis"},
      {{{2, 3, 2}}, attrs({0, 2}, false), "ties across two axes"},
      {{{7}}, attrs({}, false), "whole array, three-way tie"},
      {{{2, 3}}, attrs({1}, false), "+0 and −0 tie"},
  };
  g.kink_values = {
      {{s * 3, 1, s * 3, -2, 5 * s, 5 * s, 5 * s, 5 * s, 0, s * 2, -1, s * 2}},
      {{s * 4, 1, 2, s * 4, s * 7, 2, -3, s * 7, s * 9, s * 4, 0, s * 9}},
      {{s * 6, 1, 2, s * 6, 0, 3, s * 6, -1, 3, 3, 2, s * 6}},
      {{s * 2, 1, s * 2, 0, -s * 4, s * 2, 1.5}},
      {{0.0, -0.0, -s * 1, -0.0, -s * 2, 0.0}},
  };
  return g;
}

// ---- exact-by-construction ranges -------------------------------------------------------------

std::int64_t layout_count(const Layout& l, const char* op) {
  const Shape& s = l.shapes.at(0);
  Attrs attrs = l.attrs;
  if (!attrs.has("axis")) attrs.set("axis", std::vector<std::int64_t>{});
  return reduced_count(s, reduction_axes(attrs, static_cast<std::int64_t>(s.size()), op));
}

/// sum, mean: integers (times 2^-k) with n·max|x| < 2^digits keep every partial sum an exact
/// integer (times 2^-k), in any order; the mean's one division is then correctly rounded, as is
/// the reference's. The comparison is bit for bit.
ExactRange exact_sum_range(const char* op) {
  return [op](const Layout& l, DType t) -> double {
    const std::int64_t n = std::max<std::int64_t>(1, layout_count(l, op));
    const double top = std::ldexp(1.0, t == DType::f32 ? 24 : 53) - 1;
    return std::floor(top / static_cast<double>(n));
  };
}

/// max, min, argmax are exact anyway; small integers (|x| ≤ 4n) make ties, so this regime tests
/// first-occurrence on ties and that a tied maximum is returned, not a neighbour (4n rather than
/// n: with |x| ≤ n most rows share the maximum n and the outputs stop being distinct).
ExactRange tie_range(const char* op) {
  return [op](const Layout& l, DType) -> double {
    return static_cast<double>(std::max<std::int64_t>(8, 4 * layout_count(l, op)));
  };
}

// ---- layouts ----------------------------------------------------------------------------------

enum class Family { sum, mean_like, extreme, argmax, var };

Attrs reduce_attrs(std::vector<std::int64_t> axes, bool keepdims, std::int64_t ddof = -1) {
  Attrs a;
  a.set("axis", std::move(axes));
  a.set("keepdims", keepdims);
  if (ddof >= 0) a.set("ddof", ddof);
  return a;
}

std::string axes_note(const std::vector<std::int64_t>& axes) {
  if (axes.empty()) return "all axes";
  std::string s = "axes";
  for (std::int64_t a : axes) s += " " + std::to_string(a);
  return s;
}

/// Probability that a case of the adversarial `specials` pattern is vacuous because every one of
/// its k ≥ 4 outputs is NaN: the pattern makes 30% of the elements special (one of 16 values),
/// so a row of n elements turns NaN with probability q = 1 − (1 − p)^n — p ≈ 0.025 for NaN, or
/// +inf with −inf (sum, mean; max, min, logsumexp need a NaN itself), p ≈ 0.056 for var (any ±inf
/// or NaN) — and all k rows with q^k. (Fewer than four outputs are vacuous only when all zero.)
double all_nan_risk(std::int64_t n, std::int64_t k, Family f) {
  if (k < 4) return 0;
  const double p = f == Family::var ? 0.3 * 3 / 16 : 0.025;
  return std::pow(1 - std::pow(1 - p, static_cast<double>(n)), static_cast<double>(k));
}

/// Every axis subset (the empty list meaning "all"), both keepdims, some axes spelled negative —
/// except subsets whose all-NaN risk exceeds 0.3% (long rows, few outputs). argmax: single axes
/// only (its whole-array answer is one index, 0 with probability 1/n, which the harness counts as
/// vacuous — whole-array argmax is in the structural layouts, on long arrays); var: ddof cycling
/// over 0 and 1.
void add_subsets(std::vector<Layout>& out, const Shape& s, const std::string& what, Family f) {
  const std::int64_t nd = static_cast<std::int64_t>(s.size());
  int counter = 0;
  for (std::int64_t mask = 0; mask < (std::int64_t{1} << nd); ++mask) {
    std::vector<std::int64_t> axes;
    std::int64_t n = 1, k = 1;
    for (std::int64_t d = 0; d < nd; ++d) {
      const bool reduced = mask == 0 || (mask >> d & 1);
      (reduced ? n : k) *= s[static_cast<std::size_t>(d)];
      if (mask >> d & 1) axes.push_back(mask % 3 == 1 ? d - nd : d);
    }
    if (f == Family::argmax && axes.size() != 1) continue;
    if (all_nan_risk(n, k, f) > 0.003) continue;
    for (bool keep : {false, true}) {
      const std::int64_t ddof = f == Family::var ? counter % 2 : -1;
      out.push_back({{s}, reduce_attrs(axes, keep, ddof), what + ", " + axes_note(axes)});
      ++counter;
    }
  }
}

/// Layouts of the exact, random and adversarial regimes: 1-d…4-d shapes (var's smaller, as its
/// rows turn NaN more easily under the specials pattern).
std::vector<Layout> reduction_layouts(Rng& rng, Family f) {
  std::vector<Layout> out;
  if (f == Family::var) {
    add_subsets(out, {9}, "vector", f);
    add_subsets(out, {8, 6}, "matrix", f);
    add_subsets(out, {3, 3, 3}, "3-d", f);
    add_subsets(out, {2, 3, 3, 3}, "4-d", f);
    add_subsets(out, random_shape(rng, 2, 6, 9), "random 2-d", f);
    out.push_back({{{3, 6}}, reduce_attrs({1}, false, 6), "ddof = n: divide by zero → inf"});
    out.push_back({{{6, 3}}, reduce_attrs({0}, true, 9), "ddof > n: divide by zero → inf"});
    out.push_back({{{4, 6}}, reduce_attrs({1}, false, 5), "ddof = n − 1"});
    return out;
  }
  if (f != Family::argmax) add_subsets(out, {37}, "vector", f);
  add_subsets(out, {16, 33}, "matrix", f);
  add_subsets(out, {3, 5, 7}, "3-d", f);
  add_subsets(out, {2, 3, 4, 3}, "4-d", f);
  add_subsets(out, random_shape(rng, 2, 6, 24), "random 2-d", f);
  add_subsets(out, random_shape(rng, 3, 2, 8), "random 3-d", f);
  return out;
}

/// The optimized kernel's widths beyond structural_sizes(): 4096-element blocks.
const std::vector<std::int64_t>& kernel_sizes() {
  static const std::vector<std::int64_t> s = {4095, 4096, 4097, 8191, 8193, 12289};
  return s;
}

/// Structural layouts: lengths straddling the 64/32 lanes, the 4096-element blocks, the 256-column
/// tiles, the 16-column transposition threshold and the 32768-element parallel grain; rows,
/// columns, middle and interleaved axes; length 0 and 1; empty outputs. The structural regime
/// also broadcasts an input along a random axis (every sixth case); multi-output layouts keep
/// two non-unit kept axes, and var reduces two non-unit axes, so that a broadcast leaves the
/// outputs varying. argmax, which reduces one axis, is vacuous when the broadcast falls on it
/// (every row constant, every index 0) — a limitation of the placement, not of the data.
std::vector<Layout> reduction_structural(Rng& rng, Family f) {
  std::vector<Layout> out;
  const bool var = f == Family::var, argmax = f == Family::argmax;
  const std::int64_t ddof = var ? 1 : -1;
  auto add = [&](Shape s, std::vector<std::int64_t> axes, bool keep, std::string note) {
    out.push_back({{std::move(s)}, reduce_attrs(std::move(axes), keep, ddof), std::move(note)});
  };
  std::vector<std::int64_t> sizes = structural_sizes();
  sizes.insert(sizes.end(), kernel_sizes().begin(), kernel_sizes().end());
  // Whole-array reductions (one output).
  if (!argmax && !var) add({}, {}, false, "0-d");
  for (std::int64_t n : sizes) {
    const std::string note = "whole array of " + std::to_string(n);
    if (var) {
      if (n >= 1) add({2, n}, {}, n % 2 == 1, "whole (2, n) array, n = " + std::to_string(n));
    } else if (argmax) {
      if (n >= 8 && n <= 1031)
        add({128, n}, {}, n % 2 == 1, "flattened (128, n), n = " + std::to_string(n));
    } else if (n >= (f == Family::mean_like ? 0 : 1)) {
      add({n}, {}, n % 2 == 1, note);
    }
  }
  // Rows: the reduced axis innermost, a tail after the lanes; three outputs.
  for (std::int64_t n : structural_sizes_sample(rng, 10)) {
    if (n < 2) continue;
    if (var)
      add({3, 2, n}, {1, 2}, true, "rows of 2 × " + std::to_string(n));
    else if (argmax)
      add({5, 8, n}, {2}, false, "rows of " + std::to_string(n));
    else
      add({3, n}, {-1}, true, "rows of " + std::to_string(n));
  }
  if (var) {
    add({20, 15, 2, 129}, {2, 3}, false, "many rows (parallel over rows)");
    add({2, 3, 2, 4097}, {2, 3}, false, "rows of two blocks");
  } else {
    add({20, 15, 257}, {2}, false, "many rows (parallel over rows)");
    add({2, 3, 4097}, {2}, false, "rows of two blocks");
  }
  // Columns: the reduced axis not innermost (256-column tiles; narrow ones transposed).
  for (std::int64_t n : {2, 7, 33, 129, 1031}) {
    if (var) {
      add({n, 2, 3, 100}, {0, 1}, false, "columns of 2·" + std::to_string(n) + " × 300");
      add({2, n, 2, 257}, {1, 2}, n % 2 == 0, "middle axes of " + std::to_string(n) + " × 2");
    } else {
      add({n, 3, 100}, {0}, false, "columns of " + std::to_string(n) + " × 300 (two tiles)");
      add({2, n, 257}, {1}, n % 2 == 0, "middle axis of " + std::to_string(n));
    }
  }
  if (var) {
    add({32769, 2, 3}, {0, 1}, false, "three long columns (transposed to rows)");
    add({5, 97, 2, 7}, {1, 2}, true, "narrow middle axes (transposed)");
    add({1031, 2, 4, 4}, {0, 1}, false, "16 columns (the transposition threshold)");
  } else {
    add({32769, 3}, {0}, false, "three long columns (transposed to rows)");
    add({5, 97, 7}, {1}, true, "narrow middle axis (transposed)");
    add({1031, 4, 4}, {0}, false, "16 columns (the transposition threshold)");
  }
  // Reduced axes interleaved with kept ones (copied with the kept axes first).
  if (!argmax) {
    add({4, 5, 6, 7}, {0, 2}, false, "axes 0 and 2 of 4-d");
    add({3, 4, 5, 6}, {1, 3}, true, "axes 1 and 3 of 4-d");
    add({6, 5, 4, 3}, {0, 2}, false, "axes 0 and 2 of 4-d, short");
  }
  // Length 1, and empty outputs (n > 0 but nothing to write).
  if (!argmax && !var) add({7, 1, 5}, {1}, false, "length-1 axis");
  add({0, 5}, {1}, false, "empty output");
  add({4, 0, 3}, {2}, true, "empty output, keepdims");
  // Length 0 with outputs: mean/var → NaN, logsumexp → −inf (sum → 0 would be all zeros, which
  // the harness counts as vacuous; max/min/argmax raise).
  if (f == Family::mean_like || var) {
    add({0}, {}, false, "length 0");
    add({3, 0}, {1}, false, "rows of length 0");
  }
  if (var) {
    out.push_back({{{3, 9}}, reduce_attrs({1}, false, 9), "ddof = n: divide by zero"});
    out.push_back({{{5, 2, 65}}, reduce_attrs({1, 2}, false, 0), "ddof = 0"});
  }
  return out;
}

// ---- specs ------------------------------------------------------------------------------------

/// Domains. sum/mean/max/min/argmax are scale-free (every adversarial pattern applies). var
/// gets specials and cancellation: near overflow its true value overflows too (x² ≫ max), and
/// near underflow the squares are below the float64 range so every output is 0 (vacuous).
/// logsumexp gets the exp-overflow shift instead of the scalings (near underflow every output is
/// log n: vacuous).
Domain var_domain() {
  return Domain{-4, 4, false, {Adversarial::specials, Adversarial::cancellation}};
}
Domain exp_domain() {
  return Domain{
      -10,
      10,
      false,
      {Adversarial::specials, Adversarial::cancellation, Adversarial::shift_exp_overflow}};
}

OpSpec reduction_spec(const char* name, const char* summary, Family fam, Accuracy acc,
                      Domain domain) {
  OpSpec s;
  s.name = name;
  s.family = "reduction";
  s.summary = summary;
  s.min_inputs = s.max_inputs = 1;
  const bool single = fam == Family::argmax;
  const bool needs = fam == Family::extreme || fam == Family::argmax;
  s.attrs = reduction_attrs(fam == Family::var, single);
  s.shape_rule = reduction_rule(name, needs, single, single ? OutKind::int64 : OutKind::same_float);
  s.accuracy = std::move(acc);
  s.differentiable = fam != Family::argmax;
  s.layouts = [fam](Rng& rng) { return reduction_layouts(rng, fam); };
  s.structural_layouts = [fam](Rng& rng) { return reduction_structural(rng, fam); };
  s.domains = {std::move(domain)};
  // argmax reduces one axis: a broadcast input repeated along it makes every index 0.
  s.broadcast_inputs = fam != Family::argmax;
  return s;
}

OpSpec with_exact(OpSpec s, ExactRange r) {
  s.exact_range = std::move(r);
  return s;
}

const Accuracy kExact{.cls = AccuracyClass::exact};
Accuracy sum_bound_class(BoundFn f) {
  return {.cls = AccuracyClass::sum_bound, .bound = std::move(f)};
}

GradSpec exact_grad() { return GradSpec{.cls = AccuracyClass::exact}; }
GradSpec bound_grad(GradBoundFn f, std::string nondifferentiable = "") {
  GradSpec g;
  g.cls = AccuracyClass::sum_bound;
  g.bound = std::move(f);
  g.nondifferentiable = std::move(nondifferentiable);
  return g;
}
OpSpec with_grad(OpSpec s, GradSpec g) {
  s.grad = std::move(g);
  return s;
}
/// sum and mean are linear: second order is the forward on w (bounds.hpp).
OpSpec with_linear_second_order(OpSpec s) {
  s.grad.second = linear_second_order(s.accuracy);
  return s;
}

VT_REGISTER_SPEC(with_linear_second_order(
    with_grad(with_exact(reduction_spec("sum", "Σ over the given axes (NumPy sum)", Family::sum,
                                        sum_bound_class(sum_bound), scale_free_domain()),
                         exact_sum_range("sum")),
              exact_grad())));
VT_REGISTER_SPEC(with_linear_second_order(with_grad(
    with_exact(reduction_spec("mean", "Σ / n over the given axes; NaN for n = 0", Family::mean_like,
                              sum_bound_class(mean_bound), scale_free_domain()),
               exact_sum_range("mean")),
    exact_grad())));
VT_REGISTER_SPEC(with_grad(with_exact(reduction_spec("max",
                                                     "maximum over the given axes (NaN propagates, "
                                                     "+0 > −0); raises on zero elements",
                                                     Family::extreme, kExact, scale_free_domain()),
                                      tie_range("max")),
                           extreme_grad(true)));
VT_REGISTER_SPEC(with_grad(with_exact(reduction_spec("min",
                                                     "minimum over the given axes (NaN propagates, "
                                                     "−0 < +0); raises on zero elements",
                                                     Family::extreme, kExact, scale_free_domain()),
                                      tie_range("min")),
                           extreme_grad(false)));
VT_REGISTER_SPEC(with_exact(reduction_spec("argmax",
                                           "int64 index of the first maximum (of the first NaN) "
                                           "along one axis or the flattened array",
                                           Family::argmax, kExact, scale_free_domain()),
                            tie_range("argmax")));
VT_REGISTER_SPEC(with_grad(
    reduction_spec("var", "Σ(x − mean)² / (n − ddof), two-pass (NumPy var)", Family::var,
                   sum_bound_class(var_bound), var_domain()),
    bound_grad(var_grad_bound,
               "ddof ≥ n (divisor d = 0): the forward divides by zero; the VJP is g·2(x − x̄)/0 "
               "written out in IEEE arithmetic: ±inf, NaN where x = x̄ or g = 0 (PyTorch: "
               "g·where(x == x̄, NaN, inf) for a whole-tensor var)")));
VT_REGISTER_SPEC(with_grad(reduction_spec("logsumexp",
                                          "log Σ exp(x) = max + log Σ exp(x − max) (SciPy); "
                                          "−inf for zero elements",
                                          Family::mean_like, sum_bound_class(logsumexp_bound),
                                          exp_domain()),
                           bound_grad(logsumexp_grad_bound)));

}  // namespace
}  // namespace vt::verify
