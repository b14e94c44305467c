// verify/ops/loss.cpp — specs of mse_loss, nll_loss and cross_entropy (PyTorch semantics,
// reduction none | mean | sum), all sum-bound: the attributes, the shape rules
// (reference/ops/loss.hpp), the per-element error bounds of the forward and of the VJP with
// their derivations beside them, the exact-by-construction ranges, and the layouts.
// What it is not: an implementation.
//
// Notation: u = 2^-24 / 2^-53, γ_k = k·u/(1 − k·u), dm = the smallest subnormal. A product or
// quotient rounds as fl(a∘b) = (a∘b)(1 + δ) + η, |δ| ≤ u, |η| ≤ dm/2; a sum as (a + b)(1 + δ)
// (a subnormal sum is exact). Every bound is the backend's worst case plus the reference's own
// (the same analysis at binary128, u = 2^-113), as in verify/ops/softmax.cpp. Elements whose
// value is non-finite (NaN/inf operands) are compared exactly: their bound is set to 0.
//
// Class indices: the harness draws every input in the float dtype under test, and a Domain is
// one per input for the whole spec. So targets come as floats holding integers drawn from
// [0, kClassHi], every layout has C > kClassHi, and both backends accept integer-valued float
// targets besides int64 (see the report: per-layout ranges and int64 inputs are missing from
// verify/harness/data.cpp). Probability targets (cross_entropy (N, C)) are drawn from the same
// domain: non-negative integer weights, which PyTorch accepts as they are.
//
// ---- reductions (shared by the three losses) ---------------------------------------------
// Per-element losses ℓ_n computed with |ℓ̂_n − ℓ_n| ≤ e_n, then
//  none: e_n;
//  sum:  Ŝ in any order (blocked lanes, chunk partials): |Ŝ − Σℓ| ≤ E_S := Σe_n + γ_{N−1}·Σ(|ℓ_n| +
//  e_n); mean: fl(Ŝ / c) (c the count, exact): |·| ≤ (1 + u)·E_S/c + u·|Σℓ|/c + dm/2.
// A reduction that comes out non-finite from finite losses is recomputed by the backend in
// binary128 and rounded once (|err| ≤ u|y| + the binary128 term), inside the same bound.
#include "reference/ops/loss.hpp"
#include "verify/harness/bounds.hpp"
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

#include <boost/multiprecision/float128.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace vt::verify {
namespace {

namespace bmp = boost::multiprecision;
using ref::Reduction;

/// Largest class index the data generator draws (Domain of the target); every layout has
/// C > kClassHi.
constexpr double kClassHi = 2;

Reduction reduction_of(const Attrs& a, const char* op) {
  return ref::parse_reduction(a.get_string("reduction"), op);
}

hp_t clean(const hp_t& v) { return bmp::isnan(v) ? hp_t(0) : v; }

/// Bound of the reduction of losses l with per-element error bounds e (see the top of the file).
hp_t reduced_bound(const std::vector<hp_t>& l, const std::vector<hp_t>& e, Reduction r,
                   std::int64_t count, const Precision& p) {
  hp_t se = 0, gross = 0, s = 0;
  for (std::size_t n = 0; n < l.size(); ++n) {
    se += e[n];
    gross += bmp::abs(l[n]) + e[n];
    s += l[n];
  }
  const std::int64_t N = static_cast<std::int64_t>(l.size());
  hp_t es = se + (N > 1 ? gamma_n(N - 1, p) * gross : hp_t(0));
  if (r == Reduction::sum) return es;
  return (1 + p.u) * es / hp_t(count) + p.u * bmp::abs(s) / hp_t(count) + p.denorm_min / 2;
}

/// Fills the forward bound: per-element losses and errors from f(precision) → (l, e), at the
/// target precision plus at binary128, then the reduction's bound.
template <class F>
void fill_bound(BoundArgs& a, const Shape& per_element, Reduction r, std::int64_t count, F f) {
  Tensor& b = bound_tensor(a, ref::reduced_loss_shape(per_element, r));
  const Precision ref = reference_precision();
  std::vector<hp_t> lt, et, lr, er;
  f(a.precision, lt, et);
  f(ref, lr, er);
  if (r == Reduction::none) {
    std::size_t k = 0;
    for_each_index(b.shape(), [&](const std::vector<std::int64_t>& i) {
      store_hp(b, i, clean(et[k] + er[k]));
      ++k;
    });
    return;
  }
  store_hp(
      b, {},
      clean(reduced_bound(lt, et, r, count, a.precision) + reduced_bound(lr, er, r, count, ref)));
}

std::vector<AttrSpec> loss_attrs(bool classes) {
  std::vector<AttrSpec> a = {{.name = "reduction",
                              .type = AttrType::string,
                              .default_value = std::string("mean"),
                              .help = "none: per element; mean or sum of the losses",
                              .choices = {"none", "mean", "sum"}}};
  if (classes)
    a.push_back({.name = "ignore_index",
                 .type = AttrType::integer,
                 .default_value = std::int64_t{-100},
                 .help = "rows with this target contribute 0 and are left out of the mean"});
  return a;
}

Attrs red_attr(Reduction r) {
  Attrs a;
  a.set("reduction", std::string(r == Reduction::none   ? "none"
                                 : r == Reduction::mean ? "mean"
                                                        : "sum"));
  return a;
}

/// The same with ignore_index = 1, a class the target domain draws: about a third of the rows
/// are then ignored (0 loss, left out of the mean's count and of the gradient).
Attrs red_ignore_attr(Reduction r) {
  Attrs a = red_attr(r);
  a.set("ignore_index", std::int64_t{1});
  return a;
}

const Reduction kReductions[] = {Reduction::none, Reduction::mean, Reduction::sum};

// ---- mse_loss -----------------------------------------------------------------------------
// ℓ_i = (x_i − t_i)², computed as fl(fl(x − t)²): relative (1 + δ₁)²(1 + δ₂), so
//   e_i = γ_3·ℓ_i + dm/2.
// VJP: ĝx = fl(fl(fl(x − t)·c)·g), c = 2 (exact) or fl(2/n) (one rounding): four relative
// roundings and two underflows (the second scaled by |g|):
//   |ĝx − R| ≤ γ_4·|R| + (1 + (1 + u)·|g|)·dm/2,  R = c·(x − t)·g exact; ĝt = −ĝx (exact).

std::vector<OutputDesc> mse_rule(const std::vector<Shape>& in, const Attrs& a) {
  return {{ref::mse_loss_shape(in, reduction_of(a, "mse_loss")), OutKind::same_float}};
}

void mse_bound(BoundArgs& a) {
  const Tensor& x = a.inputs_hp.at(0);
  const Tensor& t = a.inputs_hp.at(1);
  const Reduction r = reduction_of(a.attrs, "mse_loss");
  fill_bound(a, x.shape(), r, x.numel(),
             [&](const Precision& p, std::vector<hp_t>& l, std::vector<hp_t>& e) {
               for_each_index(x.shape(), [&](const std::vector<std::int64_t>& i) {
                 const hp_t d = load_hp(x, i) - load_hp(t, i);
                 l.push_back(d * d);
                 e.push_back(gamma_n(3, p) * d * d + p.denorm_min / 2);
               });
             });
}

void mse_grad_bound(GradBoundArgs& a) {
  const Tensor& x = a.inputs_hp.at(0);
  if (!a.bound.defined() || a.bound.shape() != x.shape() || a.bound.dtype() != DType::hp)
    a.bound = Tensor::empty(x.shape(), DType::hp);
  const Reduction r = reduction_of(a.attrs, "mse_loss");
  const Tensor& g = a.grad_outputs_hp.at(0);
  const Precision& p = a.precision;
  const hp_t g4 = gamma_n(4, p) + gamma_n(4, reference_precision());
  for_each_index(x.shape(), [&](const std::vector<std::int64_t>& i) {
    const hp_t gi =
        !g.defined() ? hp_t(0) : load_hp(g, r == Reduction::none ? i : std::vector<std::int64_t>{});
    const hp_t R = bmp::abs(load_hp(a.reference, i));
    store_hp(a.bound, i, clean(g4 * R + (1 + (1 + p.u) * bmp::abs(gi)) * p.denorm_min / 2));
  });
}

/// (x − t)² ≤ 4R², n of them: n·4R² < 2^digits keeps every partial sum an exact integer
/// (× 2^-2s); mean is then one correctly rounded division.
double mse_exact_range(const Layout& l, DType t) {
  const int digits = t == DType::f32 ? 24 : 53;
  const double n = std::max<double>(1, static_cast<double>(shape_numel(l.shapes.at(0))));
  auto r = static_cast<std::int64_t>(std::floor(std::sqrt(std::ldexp(1.0, digits) / (4 * n))));
  while (r > 1 && hp_t(4) * hp_t(n) * hp_t(r) * hp_t(r) >= bmp::ldexp(hp_t(1), digits)) --r;
  return static_cast<double>(std::max<std::int64_t>(r, 1));
}

std::vector<Layout> mse_layouts(Rng& rng) {
  const std::vector<std::pair<Shape, std::string>> shapes = {
      {{}, "0-d"},        {{7}, "vector"},       {{16, 33}, "matrix"},
      {{3, 5, 7}, "3-d"}, {{2, 3, 4, 5}, "4-d"}, {random_shape(rng, 2, 1, 40), "random 2-d"},
      {{1000}, "long"},   {{0}, "empty"},        {random_shape(rng, 3, 1, 9), "random 3-d"},
  };
  std::vector<Layout> out;
  for (std::size_t i = 0; i < shapes.size(); ++i)
    for (std::size_t k = 0; k < 3; ++k) {
      const Reduction r = kReductions[(i + k) % 3];
      out.push_back({{shapes[i].first, shapes[i].first}, red_attr(r), shapes[i].second});
    }
  return out;
}

std::vector<Layout> mse_structural(Rng&) {
  std::vector<Layout> out;
  std::size_t i = 0;
  for (std::int64_t n : structural_sizes())
    out.push_back({{{n}, {n}}, red_attr(kReductions[i++ % 3]), "size " + std::to_string(n)});
  out.push_back({{{5, 0}, {5, 0}}, red_attr(Reduction::mean), "empty 2-d (mean: NaN)"});
  out.push_back({{{7, 1, 13}, {7, 1, 13}}, red_attr(Reduction::sum), "unit dim"});
  out.push_back({{{300, 129}, {300, 129}}, red_attr(Reduction::none), "parallel chunks"});
  return out;
}

// ---- nll_loss -----------------------------------------------------------------------------
// ℓ_n = −lp[n, t_n] is exact (a negation): e_n = 0, so `none` must be bit-exact and the
// reductions carry only the summation (γ_{N−1}·Σ|ℓ|) and, for mean, the division.
// VJP: −h_n at the targets: exact for none and sum (h = g); mean h = fl(g / count), one
// rounding: |ĝ − R| ≤ u·|R| + dm/2 (+ 2^-113·|R| for the reference's own division).

std::vector<OutputDesc> nll_rule(const std::vector<Shape>& in, const Attrs& a) {
  return {{ref::classification_loss_shape(in, reduction_of(a, "nll_loss"), "nll_loss", false),
           OutKind::same_float}};
}

/// Class indices of the (float128) target, −1 for ignored rows; empty when invalid (both
/// backends then reject the case and no bound is used).
std::vector<std::int64_t> indices_or_empty(const std::vector<Tensor>& in, const Attrs& a,
                                           bool& ok) {
  std::vector<std::int64_t> k;
  ok = true;
  try {
    for (std::int64_t n = 0; n < in.at(1).dim(0); ++n)
      k.push_back(ref::class_index(in[1], n, in[0].dim(1), a.get_int("ignore_index"), "loss",
                                   in[0].shape()));
  } catch (const Error&) {
    ok = false;
  }
  return k;
}

void nll_bound(BoundArgs& a) {
  const Tensor& lp = a.inputs_hp.at(0);
  const Reduction r = reduction_of(a.attrs, "nll_loss");
  bool ok;
  const std::vector<std::int64_t> k = indices_or_empty(a.inputs_hp, a.attrs, ok);
  if (!ok) {
    bound_tensor(a, ref::reduced_loss_shape({lp.dim(0)}, r));
    return;
  }
  fill_bound(a, {lp.dim(0)}, r, ref::counted(k),
             [&](const Precision&, std::vector<hp_t>& l, std::vector<hp_t>& e) {
               for (std::size_t n = 0; n < k.size(); ++n) {
                 l.push_back(k[n] < 0 ? hp_t(0)
                                      : hp_t(-load_hp(lp, {static_cast<std::int64_t>(n), k[n]})));
                 e.push_back(0);
               }
             });
}

void nll_grad_bound(GradBoundArgs& a) {
  const Tensor& lp = a.inputs_hp.at(0);
  if (!a.bound.defined() || a.bound.shape() != lp.shape() || a.bound.dtype() != DType::hp)
    a.bound = Tensor::empty(lp.shape(), DType::hp);
  const bool mean = reduction_of(a.attrs, "nll_loss") == Reduction::mean;
  const hp_t u = a.precision.u + reference_precision().u;
  for_each_index(lp.shape(), [&](const std::vector<std::int64_t>& i) {
    const hp_t R = bmp::abs(load_hp(a.reference, i));
    store_hp(a.bound, i, mean ? clean(u * R + a.precision.denorm_min / 2) : hp_t(0));
  });
}

/// Targets must be integers in [0, kClassHi]: R = 2 for every input. (Only shift 0 of the
/// exact regime gives integer targets; the other cases are rejected by both backends.)
double nll_exact_range(const Layout&, DType) { return kClassHi; }

/// (N, C) shapes, C > kClassHi; the reduction varies with the adversarial pattern (index mod 4).
std::vector<std::pair<Shape, std::string>> class_shapes(Rng& rng) {
  return {
      {{1, 3}, "one row"},
      {{4, 5}, "small"},
      {{16, 10}, "16 rows"},
      {{8, 33}, "33 classes"},
      {{33, 7}, "33 rows"},
      {{5, 64}, "64 classes"},
      {{3, 1000}, "long rows"},
      {{100, 4}, "many rows"},
      {{2, 129}, "129 classes"},
      {{random_shape(rng, 1, 1, 20)[0], 3 + random_shape(rng, 1, 0, 37)[0]}, "random"},
      {{random_shape(rng, 1, 1, 20)[0], 3 + random_shape(rng, 1, 0, 37)[0]}, "random"},
      {{0, 5}, "no rows"},
  };
}

std::vector<Layout> nll_layouts(Rng& rng) {
  std::vector<Layout> out;
  const auto shapes = class_shapes(rng);
  for (std::size_t i = 0; i < shapes.size(); ++i)
    for (std::size_t k = 0; k < 2; ++k) {
      const std::size_t j = 2 * i + k;
      const Shape& s = shapes[i].first;
      const Reduction r = kReductions[(j + j / 4) % 3];
      const bool ignore = j % 4 == 1;  // with reductions mean, none, sum, mean, none, sum
      out.push_back({{s, {s[0]}},
                     ignore ? red_ignore_attr(r) : red_attr(r),
                     shapes[i].second + (ignore ? ", ignore_index 1" : "")});
    }
  return out;
}

std::vector<Layout> nll_structural(Rng&) {
  std::vector<Layout> out;
  std::size_t i = 0;
  for (std::int64_t n : structural_sizes())
    if (n > 0 && n <= 32769)
      out.push_back({{{n, 5}, {n}}, red_attr(kReductions[i++ % 3]), std::to_string(n) + " rows"});
  for (std::int64_t c : {3, 4, 5, 7, 8, 9, 16, 17, 33, 65, 129, 1031})
    out.push_back({{{3, c}, {3}}, red_attr(kReductions[i++ % 3]), std::to_string(c) + " classes"});
  out.push_back({{{0, 5}, {0}}, red_attr(Reduction::mean), "no rows (mean: NaN)"});
  out.push_back({{{0, 5}, {0}}, red_attr(Reduction::sum), "no rows (sum: 0)"});
  out.push_back({{{65, 7}, {65}}, red_ignore_attr(Reduction::mean), "65 rows, ignore_index 1"});
  out.push_back({{{1, 4}, {1}}, red_ignore_attr(Reduction::mean), "maybe every row ignored"});
  return out;
}

// ---- cross_entropy ------------------------------------------------------------------------
// Per row: m = max, Ŝ = Σ exp_impl(fl(x_c − m)), L̂ = fl(log Ŝ); exp_sum / log_sum_error
// (verify/harness/bounds.hpp) give w_c = e^{z_c}, S, err_S and Λ ≥ |L̂ − log S|.
// Class index t: ℓ = −fl(fl(x_t − m) − L̂) — log_softmax's element (verify/ops/softmax.cpp):
//   e = (1 + u)·(u·|z_t| + Λ) + u·|ℓ|.
// Probabilities p: ls_c = fl(fl(x_c − m) − L̂) with E_c = (1 + u)(u|z_c| + Λ) + u|ls_c|, then
// ℓ = −Σ_c fl(p_c·ls_c) in any order: each product |fl(p ls̃) − p ls| ≤ F_c :=
// (1 + u)·|p_c|E_c + u·|p_c ls_c| + dm/2, and the sum adds γ_{C−1}·Σ(|p_c ls_c| + F_c):
//   e = Σ F_c + γ_{C−1}·Σ_c (|p_c ls_c| + F_c).
// A row that comes out non-finite from finite operands (x_c − m overflowing for x = ±max) is
// recomputed in binary128 and rounded once: within u·|ℓ| + the binary128 term.
//
// VJP, per row with h the exact multiplier (g_n, g, or g / count for mean) and ĥ the backend's
// (ĥ = h, or fl(g / count): |ĥ − h| ≤ H := u|h| + dm/2); p̂_c = fl(ê_c / Ŝ) is softmax with
// |p̂_c − π_c| ≤ P_c := (1 + γ_2)(a_c + π_c err_S)/(S − err_S) + γ_2 π_c + dm
// (verify/ops/softmax.cpp, softmax_element_bound), π_c = w_c / S:
//  index t:  r_c = fl(ĥ·p̂_c): |r_c − hπ_c| ≤ B_c := (1 + u)(H(π_c + P_c) + |h|P_c) + u|h|π_c +
//  dm/2;
//            r_t' = fl(r_t − ĥ): (1 + u)(B_t + H) + u·|h(π_t − 1)|.
//  probabilities (target p, T = Σp): T̂ = Σ p in any order, |T̂ − T| ≤ B := γ_{C−1}Σ|p|;
//            q = fl(p̂_c T̂): |q − π_c T| ≤ Q_c := (1 + u)(P_c(|T| + B) + π_c B) + u π_c|T| + dm/2;
//            d = fl(q − p_c): |d̂ − d| ≤ D_c := (1 + u)Q_c + u|d|, d = π_c T − p_c;
//            r = fl(ĥ d̂): |r − h d| ≤ (1 + u)(H(|d| + D_c) + |h| D_c) + u|h d| + dm/2.

std::vector<OutputDesc> ce_rule(const std::vector<Shape>& in, const Attrs& a) {
  return {
      {ref::classification_loss_shape(in, reduction_of(a, "cross_entropy"), "cross_entropy", true),
       OutKind::same_float}};
}

std::vector<hp_t> row_of(const Tensor& t, std::int64_t n) {
  std::vector<hp_t> r;
  for (std::int64_t c = 0; c < t.dim(1); ++c) r.push_back(load_hp(t, {n, c}));
  return r;
}

/// Loss of one row and its error bound at precision p (index t ≥ 0, or probabilities).
std::pair<hp_t, hp_t> ce_row(const std::vector<hp_t>& x, std::int64_t t,
                             const std::vector<hp_t>* prob, const Precision& p) {
  const ExpSum e = exp_sum(x, p);
  if (!e.finite) return {std::numeric_limits<hp_t>::quiet_NaN(), hp_t(0)};
  const hp_t lambda = log_sum_error(e, p), logS = bmp::log(e.S);
  if (!prob) {
    const hp_t l = logS - e.z[static_cast<std::size_t>(t)];
    return {l, (1 + p.u) * (p.u * bmp::abs(e.z[static_cast<std::size_t>(t)]) + lambda) +
                   p.u * bmp::abs(l)};
  }
  hp_t l = 0, sf = 0, gross = 0;
  for (std::size_t c = 0; c < x.size(); ++c) {
    const hp_t ls = e.z[c] - logS;
    const hp_t E = (1 + p.u) * (p.u * bmp::abs(e.z[c]) + lambda) + p.u * bmp::abs(ls);
    const hp_t pc = bmp::abs((*prob)[c]);
    const hp_t F = (1 + p.u) * pc * E + p.u * pc * bmp::abs(ls) + p.denorm_min / 2;
    l -= (*prob)[c] * ls;
    sf += F;
    gross += pc * bmp::abs(ls) + F;
  }
  const std::int64_t C = static_cast<std::int64_t>(x.size());
  return {l, sf + (C > 1 ? gamma_n(C - 1, p) * gross : hp_t(0))};
}

void ce_bound(BoundArgs& a) {
  const Tensor& x = a.inputs_hp.at(0);
  const Tensor& t = a.inputs_hp.at(1);
  const Reduction r = reduction_of(a.attrs, "cross_entropy");
  const bool probs = t.ndim() == 2;
  bool ok = true;
  std::vector<std::int64_t> k;
  if (!probs) k = indices_or_empty(a.inputs_hp, a.attrs, ok);
  if (!ok) {
    bound_tensor(a, ref::reduced_loss_shape({x.dim(0)}, r));
    return;
  }
  fill_bound(a, {x.dim(0)}, r, probs ? x.dim(0) : ref::counted(k),
             [&](const Precision& p, std::vector<hp_t>& l, std::vector<hp_t>& e) {
               for (std::int64_t n = 0; n < x.dim(0); ++n) {
                 if (!probs && k[static_cast<std::size_t>(n)] < 0) {
                   l.push_back(0);
                   e.push_back(0);
                   continue;
                 }
                 const std::vector<hp_t> pr = probs ? row_of(t, n) : std::vector<hp_t>{};
                 auto [ln, en] = ce_row(row_of(x, n), probs ? 0 : k[static_cast<std::size_t>(n)],
                                        probs ? &pr : nullptr, p);
                 l.push_back(ln);
                 e.push_back(en);
               }
             });
}

/// The VJP bound of one row at precision p (see the derivation above).
std::vector<hp_t> ce_grad_row(const std::vector<hp_t>& x, std::int64_t t,
                              const std::vector<hp_t>* prob, hp_t h, bool h_rounded,
                              const Precision& p) {
  const std::size_t C = x.size();
  std::vector<hp_t> b(C, hp_t(0));
  const ExpSum e = exp_sum(x, p);
  if (!e.finite || e.err_S >= e.S) return b;
  const hp_t H = h_rounded ? p.u * bmp::abs(h) + p.denorm_min / 2 : hp_t(0);
  const hp_t g2 = gamma_n(2, p), ah = bmp::abs(h);
  hp_t T = 0, B = 0;
  if (prob) {
    for (const hp_t& v : *prob) {
      T += v;
      B += bmp::abs(v);
    }
    B *= C > 1 ? gamma_n(static_cast<std::int64_t>(C) - 1, p) : hp_t(0);
  }
  for (std::size_t c = 0; c < C; ++c) {
    const hp_t pi = e.w[c] / e.S;
    const hp_t P = (1 + g2) * (e.a[c] + pi * e.err_S) / (e.S - e.err_S) + g2 * pi + p.denorm_min;
    if (!prob) {
      const hp_t Bc = (1 + p.u) * (H * (pi + P) + ah * P) + p.u * ah * pi + p.denorm_min / 2;
      b[c] = static_cast<std::int64_t>(c) == t ? (1 + p.u) * (Bc + H) + p.u * bmp::abs(h * (pi - 1))
                                               : Bc;
    } else {
      const hp_t Q =
          (1 + p.u) * (P * (bmp::abs(T) + B) + pi * B) + p.u * pi * bmp::abs(T) + p.denorm_min / 2;
      const hp_t d = pi * T - (*prob)[c];
      const hp_t D = (1 + p.u) * Q + p.u * bmp::abs(d);
      b[c] =
          (1 + p.u) * (H * (bmp::abs(d) + D) + ah * D) + p.u * bmp::abs(h * d) + p.denorm_min / 2;
    }
  }
  return b;
}

void ce_grad_bound(GradBoundArgs& a) {
  const Tensor& x = a.inputs_hp.at(0);
  const Tensor& t = a.inputs_hp.at(1);
  if (!a.bound.defined() || a.bound.shape() != x.shape() || a.bound.dtype() != DType::hp)
    a.bound = Tensor::empty(x.shape(), DType::hp);
  const Reduction r = reduction_of(a.attrs, "cross_entropy");
  const bool probs = t.ndim() == 2;
  bool ok = true;
  std::vector<std::int64_t> k;
  if (!probs) k = indices_or_empty(a.inputs_hp, a.attrs, ok);
  if (!ok) return;
  const Tensor& g = a.grad_outputs_hp.at(0);
  const std::int64_t count = probs ? x.dim(0) : ref::counted(k);
  const Precision ref = reference_precision();
  for (std::int64_t n = 0; n < x.dim(0); ++n) {
    const std::int64_t tn = probs ? 0 : k[static_cast<std::size_t>(n)];
    std::vector<hp_t> bt(static_cast<std::size_t>(x.dim(1)), hp_t(0)), br = bt;
    if (probs || tn >= 0) {
      hp_t h = 0;
      if (g.defined()) h = r == Reduction::none ? load_hp(g, {n}) : load_hp(g, {});
      if (r == Reduction::mean) h /= hp_t(count);
      const std::vector<hp_t> xr = row_of(x, n);
      const std::vector<hp_t> pr = probs ? row_of(t, n) : std::vector<hp_t>{};
      const bool rounded = r == Reduction::mean;
      bt = ce_grad_row(xr, tn, probs ? &pr : nullptr, h, rounded, a.precision);
      br = ce_grad_row(xr, tn, probs ? &pr : nullptr, h, rounded, ref);
    }
    for (std::int64_t c = 0; c < x.dim(1); ++c)
      store_hp(a.bound, {n, c},
               clean(bt[static_cast<std::size_t>(c)] + br[static_cast<std::size_t>(c)]));
  }
}

double ce_cost(const Layout& l) { return 20.0 * static_cast<double>(shape_numel(l.shapes.at(0))); }

std::vector<Layout> ce_layouts(Rng& rng) {
  std::vector<Layout> out;
  const auto shapes = class_shapes(rng);
  for (std::size_t i = 0; i < shapes.size(); ++i)
    for (std::size_t k = 0; k < 2; ++k) {
      const std::size_t j = 2 * i + k;
      const Shape& s = shapes[i].first;
      const bool probs = (j + j / 6) % 2 == 1;
      const Reduction r = kReductions[(j + j / 3) % 3];
      const bool ignore = !probs && j % 3 == 0;  // none, none, mean, mean
      out.push_back({{s, probs ? s : Shape{s[0]}},
                     ignore ? red_ignore_attr(r) : red_attr(r),
                     shapes[i].second + (probs ? ", probabilities" : ", class indices") +
                         (ignore ? ", ignore_index 1" : "")});
    }
  return out;
}

std::vector<Layout> ce_structural(Rng&) {
  std::vector<Layout> out;
  std::size_t i = 0;
  for (std::int64_t c : structural_sizes())
    if (c > kClassHi && c <= 4097) {
      const bool probs = i % 2 == 1;
      out.push_back({{{3, c}, probs ? Shape{3, c} : Shape{3}},
                     red_attr(kReductions[(i + i / 2) % 3]),
                     std::to_string(c) + " classes" + (probs ? ", probabilities" : "")});
      ++i;
    }
  for (std::int64_t c : {4095, 4096, 4097}) {
    out.push_back({{{2, c}, {2}}, red_attr(kReductions[i++ % 3]), "rows around the block size"});
  }
  out.push_back({{{300, 129}, {300}}, red_attr(Reduction::none), "many rows (parallel)"});
  out.push_back({{{300, 129}, {300, 129}}, red_attr(Reduction::sum), "many rows, probabilities"});
  out.push_back({{{65, 7}, {65}}, red_attr(Reduction::mean), "65 rows"});
  out.push_back({{{65, 7}, {65}}, red_ignore_attr(Reduction::mean), "65 rows, ignore_index 1"});
  out.push_back({{{33, 17}, {33}}, red_ignore_attr(Reduction::none), "ignore_index 1, none"});
  out.push_back({{{0, 5}, {0}}, red_attr(Reduction::mean), "no rows (mean: NaN)"});
  out.push_back({{{0, 5}, {0, 5}}, red_attr(Reduction::sum), "no rows, probabilities (sum: 0)"});
  return out;
}

/// The target's domain: integers in [0, kClassHi], no adversarial values (an invalid index is
/// rejected by both backends, which tests nothing).
Domain target_domain() { return Domain{0, kClassHi, true, {}}; }

OpSpec loss_spec(const char* name, const char* summary) {
  OpSpec s;
  s.name = name;
  s.family = "loss";
  s.summary = summary;
  s.min_inputs = s.max_inputs = 2;
  s.differentiable = true;
  s.grad.cls = AccuracyClass::sum_bound;
  return s;
}

OpSpec mse_spec() {
  OpSpec s = loss_spec("mse_loss", "F.mse_loss: (x − t)², reduction none | mean | sum");
  s.attrs = loss_attrs(false);
  s.shape_rule = mse_rule;
  s.accuracy = {.cls = AccuracyClass::sum_bound, .bound = mse_bound};
  s.grad.bound = mse_grad_bound;  // both inputs differentiable (PyTorch: gt = −gx)
  s.layouts = mse_layouts;
  s.structural_layouts = mse_structural;
  // Not the scalings: near underflow every (x − t)² is 0 (vacuous), near overflow every one inf.
  s.domains = {Domain{-4, 4, false, {Adversarial::specials, Adversarial::cancellation}}};
  s.exact_range = mse_exact_range;
  return s;
}

OpSpec nll_spec() {
  OpSpec s = loss_spec("nll_loss",
                       "F.nll_loss: −lp[n, t_n] over (N, C) log-probabilities, class indices (N)");
  s.attrs = loss_attrs(true);
  s.shape_rule = nll_rule;
  s.accuracy = {.cls = AccuracyClass::sum_bound, .bound = nll_bound};
  s.grad.inputs = {true, false};
  s.grad.bound = nll_grad_bound;
  s.layouts = nll_layouts;
  s.structural_layouts = nll_structural;
  s.domains = {scale_free_domain(-8, 0), target_domain()};
  s.exact_range = nll_exact_range;
  return s;
}

OpSpec ce_spec() {
  OpSpec s = loss_spec("cross_entropy",
                       "F.cross_entropy: log_softmax + nll over (N, C) logits; class indices "
                       "(N) or probabilities (N, C)");
  s.attrs = loss_attrs(true);
  s.shape_rule = ce_rule;
  s.accuracy = {.cls = AccuracyClass::sum_bound, .bound = ce_bound};
  // Targets are not differentiated: class indices cannot be, and for probabilities PyTorch's
  // gradient −h·log_softmax(x) is left out (one GradSpec covers both target kinds).
  s.grad.inputs = {true, false};
  s.grad.bound = ce_grad_bound;
  s.layouts = ce_layouts;
  s.structural_layouts = ce_structural;
  s.domains = {
      Domain{-10,
             10,
             false,
             {Adversarial::specials, Adversarial::shift_exp_overflow, Adversarial::cancellation}},
      target_domain()};
  s.broadcast_inputs = false;  // a row repeated along the classes is constant
  s.reference_cost = ce_cost;
  return s;
}

VT_REGISTER_SPEC(mse_spec());
VT_REGISTER_SPEC(nll_spec());
VT_REGISTER_SPEC(ce_spec());

}  // namespace
}  // namespace vt::verify
