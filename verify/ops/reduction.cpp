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

VT_REGISTER_SPEC(with_exact(reduction_spec("sum", "Σ over the given axes (NumPy sum)", Family::sum,
                                           sum_bound_class(sum_bound), scale_free_domain()),
                            exact_sum_range("sum")));
VT_REGISTER_SPEC(with_exact(reduction_spec("mean", "Σ / n over the given axes; NaN for n = 0",
                                           Family::mean_like, sum_bound_class(mean_bound),
                                           scale_free_domain()),
                            exact_sum_range("mean")));
VT_REGISTER_SPEC(with_exact(reduction_spec("max",
                                           "maximum over the given axes (NaN propagates, "
                                           "+0 > −0); raises on zero elements",
                                           Family::extreme, kExact, scale_free_domain()),
                            tie_range("max")));
VT_REGISTER_SPEC(with_exact(reduction_spec("min",
                                           "minimum over the given axes (NaN propagates, "
                                           "−0 < +0); raises on zero elements",
                                           Family::extreme, kExact, scale_free_domain()),
                            tie_range("min")));
VT_REGISTER_SPEC(with_exact(reduction_spec("argmax",
                                           "int64 index of the first maximum (of the first NaN) "
                                           "along one axis or the flattened array",
                                           Family::argmax, kExact, scale_free_domain()),
                            tie_range("argmax")));
VT_REGISTER_SPEC(reduction_spec("var", "Σ(x − mean)² / (n − ddof), two-pass (NumPy var)",
                                Family::var, sum_bound_class(var_bound), var_domain()));
VT_REGISTER_SPEC(reduction_spec("logsumexp",
                                "log Σ exp(x) = max + log Σ exp(x − max) (SciPy); −inf for "
                                "zero elements",
                                Family::mean_like, sum_bound_class(logsumexp_bound), exp_domain()));

}  // namespace
}  // namespace vt::verify
