// verify/ops/softmax.cpp — specs of softmax and log_softmax along one axis.
// What it is: the attribute (axis, default −1), the shape rule (same shape), the sum-bound error
// analysis of each op beside its bound function, and the layouts (every axis of 2-d…4-d shapes,
// row lengths straddling the lane count, block size and parallel grain, empty rows).
// Both are `sum-bound` with c = 1: the bound is the worst case of the analysis for the
// max-shifted algorithm in any summation order, plus the reference's own worst case (the same
// analysis at binary128). Notation as in verify/ops/reduction.cpp; exp_sum and log_sum_error
// (verify/harness/bounds.hpp) give S = Σ exp(x_j − m), the per-term error bound a_i and the
// bound err_S on |Ŝ − S|, and Λ on |fl(log Ŝ) − log S|.
// Special rows (NaN, +inf, all −inf) give NaN rows as in PyTorch; they are compared exactly.
#include "verify/harness/bounds.hpp"
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

#include <cmath>
#include <string>

namespace vt::verify {
namespace {

namespace bmp = boost::multiprecision;

/// The axis normalised; a 0-d tensor is one row of one element and accepts 0 and −1 (PyTorch).
std::int64_t softmax_axis(std::int64_t axis, std::int64_t ndim, const char* op) {
  if (ndim == 0 && (axis == 0 || axis == -1)) return 0;
  return normalize_axis(axis, ndim, op);
}

/// Fills the bound of every element of every row: f(exp_sum, i, precision) at the target
/// precision plus at binary128.
template <class F>
void per_element_bound(BoundArgs& a, const char* op, F f) {
  const Tensor& x = a.inputs_hp.at(0);
  const std::int64_t axis = softmax_axis(a.attrs.get_int("axis"), x.ndim(), op);
  Tensor& b = bound_tensor(a, x.shape());
  const Precision ref = reference_precision();
  for_each_row_along(x, axis,
                     [&](const std::vector<std::int64_t>& first, const std::vector<hp_t>& row) {
                       const ExpSum et = exp_sum(row, a.precision), er = exp_sum(row, ref);
                       std::vector<std::int64_t> idx = first;
                       for (std::size_t i = 0; i < row.size(); ++i) {
                         if (!idx.empty())
                           idx[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(i);
                         // Non-finite rows: the result is NaN, compared exactly; no bound is used.
                         const hp_t v = et.finite ? f(et, i, a.precision) + f(er, i, ref) : hp_t(0);
                         store_hp(b, idx, v);
                       }
                     });
}

// softmax: ŷ_i = fl(ê_i / Ŝ) — or ê_i · fl(1/Ŝ), as many libraries do; both are covered by a
// final factor (1 + θ), |θ| ≤ γ_2, plus η, |η| ≤ dm (underflow). With ê_i = w_i + α_i, |α_i| ≤ a_i,
// and Ŝ = S + β, |β| ≤ err_S:
//   ê_i/Ŝ − w_i/S = (S·α_i − w_i·β) / (S·Ŝ)   ⇒ |·| ≤ (a_i + y_i·err_S) / (S − err_S),
// y_i = w_i / S; hence
//   |ŷ_i − y_i| ≤ (1 + γ_2)·(a_i + y_i·err_S)/(S − err_S) + γ_2·y_i + dm.
// Since err_S ≈ (n − 1)·u·S, this is about n·u relative to y_i: a dropped exp term w_k scales
// every other y_i by S/(S − w_k), a relative change w_k/S ≈ 1/n for typical rows, which fails
// for n below ≈ 1/√u; a missing max-subtraction overflows (inf/inf = NaN) on the exp-overflow
// adversarial pattern.
hp_t softmax_element_bound(const ExpSum& e, std::size_t i, const Precision& p) {
  if (e.err_S >= e.S) return std::numeric_limits<hp_t>::infinity();
  const hp_t y = e.w[i] / e.S;
  const hp_t g2 = gamma_n(2, p);
  return (1 + g2) * (e.a[i] + y * e.err_S) / (e.S - e.err_S) + g2 * y + p.denorm_min;
}

// log_softmax: ŷ_i = fl(fl(x_i − m) − L̂), L̂ = fl(log Ŝ), |L̂ − log S| ≤ Λ (log_sum_error);
// |fl(x_i − m) − z_i| ≤ u·|z_i| (no underflow error in a subtraction); the last subtraction
// ŷ_i = (d̂_i − L̂)(1 + δ):
//   |ŷ_i − y_i| ≤ (1 + u)·(u·|z_i| + Λ) + u·|y_i|,   y_i = z_i − log S.
// (An implementation computing x_i − fl(m + log Ŝ) has an error u·|m| instead of u·|z_i| and is
// outside this contract: it loses all accuracy for large |m|.)
hp_t log_softmax_element_bound(const ExpSum& e, std::size_t i, const Precision& p) {
  const hp_t lambda = log_sum_error(e, p);
  const hp_t z = e.z[i];
  const hp_t y = z - bmp::log(e.S);
  return (1 + p.u) * (p.u * bmp::abs(z) + lambda) + p.u * bmp::abs(y);
}

void softmax_bound(BoundArgs& a) { per_element_bound(a, "softmax", softmax_element_bound); }
void log_softmax_bound(BoundArgs& a) {
  per_element_bound(a, "log_softmax", log_softmax_element_bound);
}

// ---- gradients --------------------------------------------------------------------------------
// The VJPs read the forward output y (the backend's own): softmax gx_i = y_i·(g_i − s),
// s = Σ_j g_j y_j; log_softmax gx_i = g_i − exp(y_i)·Σ_j g_j. Their bounds take the forward
// bounds above as the error E_i of the y the backend reads, and add the rounding of the VJP's own
// arithmetic; the reference's VJP (binary128, reading its own y) obeys the same analysis at
// u = 2^-113 and is added, as in the forward bounds. Rows whose forward is non-finite, or whose
// gradient holds inf/NaN, give non-finite results, compared exactly (bound 0).

/// Fills the input-shaped bound: f(exp_sum, g row, precision) (the bounds of one row) at the
/// target precision plus at binary128.
template <class F>
void per_element_grad_bound(GradBoundArgs& a, const char* op, F f) {
  const Tensor& x = a.inputs_hp.at(0);
  const std::int64_t axis = softmax_axis(a.attrs.get_int("axis"), x.ndim(), op);
  if (!a.bound.defined() || a.bound.shape() != x.shape() || a.bound.dtype() != DType::hp)
    a.bound = Tensor::empty(x.shape(), DType::hp);
  const Tensor& g = a.grad_outputs_hp.at(0);
  const Precision ref = reference_precision();
  for_each_row_along(x, axis,
                     [&](const std::vector<std::int64_t>& first, const std::vector<hp_t>& row) {
                       const ExpSum et = exp_sum(row, a.precision), er = exp_sum(row, ref);
                       std::vector<std::int64_t> idx = first;
                       std::vector<hp_t> grow(row.size(), hp_t(0));
                       bool finite = et.finite;
                       for (std::size_t i = 0; i < row.size(); ++i) {
                         if (!idx.empty())
                           idx[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(i);
                         if (g.defined()) grow[i] = load_hp(g, idx);
                         finite = finite && bmp::isfinite(grow[i]);
                       }
                       std::vector<hp_t> bt(row.size(), hp_t(0)), br(row.size(), hp_t(0));
                       if (finite) {
                         bt = f(et, grow, a.precision);
                         br = f(er, grow, ref);
                       }
                       for (std::size_t i = 0; i < row.size(); ++i) {
                         if (!idx.empty())
                           idx[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(i);
                         const hp_t v = bt[i] + br[i];
                         store_hp(a.bound, idx, bmp::isnan(v) ? hp_t(0) : v);
                       }
                     });
}

// softmax: ŷ_j = y_j + ε_j, |ε_j| ≤ E_j (softmax_element_bound). ŝ = fl(Σ_j g_j ŷ_j) in any
// order — each product rounded once and passed through at most n − 1 additions (γ_n), each
// product's underflow ≤ dm/2:
//   |ŝ − s| ≤ E_s := Σ_j |g_j| E_j + γ_n Σ_j |g_j|(y_j + E_j) + n·dm/2.
// d̂_i = fl(g_i − ŝ): |d̂_i − d_i| ≤ E_s + u(|d_i| + E_s), d_i = g_i − s. r̂_i = fl(ŷ_i·d̂_i) =
// ŷ_i d̂_i(1 + δ) + η: |ŷ_i d̂_i − y_i d_i| ≤ (y_i + E_i)|d̂_i − d_i| + |d_i| E_i, so
//   |r̂_i − y_i d_i| ≤ (1 + u)·((y_i + E_i)(E_s + u(|d_i| + E_s)) + |d_i| E_i) + u·y_i|d_i|
//                     + dm/2.
std::vector<hp_t> softmax_grad_row(const ExpSum& e, const std::vector<hp_t>& g,
                                   const Precision& p) {
  const std::size_t n = g.size();
  std::vector<hp_t> y(n), E(n);
  hp_t s = 0, e_s = 0, gross = 0;
  for (std::size_t j = 0; j < n; ++j) {
    y[j] = e.w[j] / e.S;
    E[j] = softmax_element_bound(e, j, p);
    s += g[j] * y[j];
    e_s += bmp::abs(g[j]) * E[j];
    gross += bmp::abs(g[j]) * (y[j] + E[j]);
  }
  e_s += gamma_n(static_cast<std::int64_t>(n), p) * gross + hp_t(n) * p.denorm_min / 2;
  std::vector<hp_t> b(n);
  for (std::size_t i = 0; i < n; ++i) {
    const hp_t d = bmp::abs(g[i] - s);
    b[i] = (1 + p.u) * ((y[i] + E[i]) * (e_s + p.u * (d + e_s)) + d * E[i]) + p.u * y[i] * d +
           p.denorm_min / 2;
  }
  return b;
}

// log_softmax: ŷ_i = y_i + ε_i, |ε_i| ≤ E_i (log_softmax_element_bound); p_i = exp(y_i).
// ê_i = exp_impl(ŷ_i) within 1 ulp: |ê_i − p_i| ≤ A_i := (q_i − p_i) + 2u·q_i + dm,
// q_i = exp(y_i + E_i) (exp increasing). Ĝ = fl(Σ g_j) in any order: |Ĝ − G| ≤ B := γ_{n−1}Σ|g_j|.
// q̂ = fl(ê_i Ĝ): |q̂ − p_i G| ≤ C_i := (1 + u)((p_i + A_i)B + |G| A_i) + u·p_i|G| + dm/2.
// r̂ = fl(g_i − q̂): |r̂ − (g_i − p_i G)| ≤ (1 + u)·C_i + u·|g_i − p_i G|.
// y_i = −inf (x_i = −inf in a finite row): ê_i = 0 exactly on both sides, A_i = 0.
std::vector<hp_t> log_softmax_grad_row(const ExpSum& e, const std::vector<hp_t>& g,
                                       const Precision& p) {
  const std::size_t n = g.size();
  hp_t G = 0, gross = 0;
  for (const hp_t& v : g) {
    G += v;
    gross += bmp::abs(v);
  }
  const hp_t B = n > 1 ? gamma_n(static_cast<std::int64_t>(n) - 1, p) * gross : hp_t(0);
  const hp_t log_s = bmp::log(e.S);
  std::vector<hp_t> b(n);
  for (std::size_t i = 0; i < n; ++i) {
    const hp_t y = e.z[i] - log_s;
    hp_t pi = 0, A = 0;
    if (bmp::isfinite(y)) {
      pi = bmp::exp(y);
      const hp_t q = bmp::exp(y + log_softmax_element_bound(e, i, p));
      A = (q - pi) + 2 * p.u * q + p.denorm_min;
    }
    const hp_t C =
        (1 + p.u) * ((pi + A) * B + bmp::abs(G) * A) + p.u * pi * bmp::abs(G) + p.denorm_min / 2;
    b[i] = (1 + p.u) * C + p.u * bmp::abs(g[i] - pi * G);
  }
  return b;
}

void softmax_grad_bound(GradBoundArgs& a) {
  per_element_grad_bound(a, "softmax", softmax_grad_row);
}
void log_softmax_grad_bound(GradBoundArgs& a) {
  per_element_grad_bound(a, "log_softmax", log_softmax_grad_row);
}

std::vector<OutputDesc> same_shape(const std::vector<Shape>& in, const Attrs& a, const char* op) {
  softmax_axis(a.get_int("axis"), static_cast<std::int64_t>(in.at(0).size()), op);
  return {{in.at(0), OutKind::same_float}};
}

Attrs axis_attr(std::int64_t axis) {
  Attrs a;
  a.set("axis", axis);
  return a;
}

/// Every axis of 2-d…4-d shapes, spelled positive and negative in turn. The adversarial
/// `specials` pattern makes 30% of the elements special, so a row of n holds a NaN or +inf (and
/// is NaN throughout) with probability 1 − 0.9625^n; shapes keep enough short rows that a case
/// with every row NaN (vacuous) stays rare — hence no 1-d shape here (one row: NaN 76% of the
/// time at n = 37); a 1-d input takes the same path as the structural layouts' (3, n) rows.
std::vector<Layout> softmax_layouts(Rng& rng) {
  std::vector<Layout> out;
  const std::vector<std::pair<Shape, std::string>> shapes = {
      {{16, 33}, "matrix"},
      {{3, 5, 7}, "3-d"},
      {{2, 3, 4, 5}, "4-d"},
      {random_shape(rng, 2, 10, 20), "random 2-d"},
      {random_shape(rng, 3, 3, 8), "random 3-d"},
  };
  for (const auto& [s, what] : shapes) {
    const std::int64_t nd = static_cast<std::int64_t>(s.size());
    const double numel = static_cast<double>(shape_numel(s));
    for (std::int64_t k = 0; k < nd; ++k) {
      // Skip an axis whose rows are so long that every row is NaN in more than 0.3% of the
      // specials cases: (1 − 0.9625^len)^rows.
      const double len = static_cast<double>(s[static_cast<std::size_t>(k)]);
      if (std::pow(1 - std::pow(1 - 0.0375, len), numel / len) > 0.003) continue;
      const std::int64_t axis = (k + nd) % 2 == 0 ? k : k - nd;
      out.push_back({{s}, axis_attr(axis), what + ", axis " + std::to_string(axis)});
    }
  }
  return out;
}

/// Row lengths 2 … 65537 (length-1 rows are constant: softmax 1, log_softmax 0), rows along
/// the first and a middle axis (processed in tiles of 256 columns), empty rows.
std::vector<Layout> softmax_structural(Rng& rng, bool log) {
  std::vector<Layout> out;
  if (!log) out.push_back({{{}}, axis_attr(-1), "0-d (one row of one element)"});
  std::vector<std::int64_t> sizes = structural_sizes();
  for (std::int64_t n : {4095, 4096, 4097, 8193}) sizes.push_back(n);
  for (std::int64_t n : sizes)
    if (n >= 2) out.push_back({{{3, n}}, axis_attr(-1), "rows of " + std::to_string(n)});
  for (std::int64_t n : structural_sizes_sample(rng, 6)) {
    if (n < 2) continue;
    const std::int64_t m = std::min<std::int64_t>(n, 1031);
    out.push_back({{{m, 3}}, axis_attr(0), "axis 0 of (" + std::to_string(m) + ", 3)"});
    out.push_back({{{2, m, 5}}, axis_attr(1), "middle axis of length " + std::to_string(m)});
  }
  out.push_back({{{33, 300}}, axis_attr(0), "axis 0, 300 columns (two tiles)"});
  out.push_back({{{300, 129}}, axis_attr(1), "many rows (parallel)"});
  out.push_back({{{4, 5, 6, 7}}, axis_attr(-3), "axis 1 of 4-d"});
  out.push_back({{{0, 5}}, axis_attr(1), "no rows"});
  out.push_back({{{5, 0}}, axis_attr(1), "empty rows"});
  out.push_back({{{5, 0}}, axis_attr(0), "rows along an axis beside an empty one"});
  return out;
}

/// exp-domain: values in [−10, 10] (a dynamic range of e^20 within a row), NaN/±inf specials and
/// the exp-overflow shift (catches a missing max-subtraction). Not `cancellation` (rows of
/// ±2^10…2^20 underflow to exact zeros) nor the scalings (near underflow every row is uniform,
/// 1/n: one distinct value; near overflow all but the maximum underflow): both vacuous.
Domain softmax_domain() {
  return Domain{-10, 10, false, {Adversarial::specials, Adversarial::shift_exp_overflow}};
}

OpSpec softmax_spec(const char* name, const char* summary, BoundFn bound, bool log,
                    GradBoundFn grad_bound) {
  OpSpec s;
  s.name = name;
  s.family = "softmax";
  s.summary = summary;
  s.min_inputs = s.max_inputs = 1;
  s.attrs = {{.name = "axis",
              .type = AttrType::integer,
              .default_value = std::int64_t{-1},
              .help = "the axis the rows run along"}};
  s.shape_rule = [name](const std::vector<Shape>& in, const Attrs& a) {
    return same_shape(in, a, name);
  };
  s.accuracy = {.cls = AccuracyClass::sum_bound, .bound = std::move(bound)};
  s.differentiable = true;
  s.grad.cls = AccuracyClass::sum_bound;
  s.grad.bound = std::move(grad_bound);
  s.layouts = softmax_layouts;
  s.structural_layouts = [log](Rng& rng) { return softmax_structural(rng, log); };
  s.domains = {softmax_domain()};
  s.broadcast_inputs = false;  // a row repeated along the axis is a constant row: 1/n everywhere
  return s;
}

VT_REGISTER_SPEC(softmax_spec("softmax", "exp(x − max) / Σ exp(x − max) along an axis",
                              softmax_bound, false, softmax_grad_bound));
VT_REGISTER_SPEC(softmax_spec("log_softmax", "(x − max) − log Σ exp(x − max) along an axis",
                              log_softmax_bound, true, log_softmax_grad_bound));

}  // namespace
}  // namespace vt::verify
