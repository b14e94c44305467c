// verify/ops/elementwise.cpp — specs of the binary elementwise ops.
// What it is: for each op, its arity, shape rule (NumPy broadcasting), accuracy class and domain.
// add/sub/mul/div/maximum/minimum are one correctly rounded operation each, hence `exact`:
// the backend must equal the binary128 result rounded to the target type, bit for bit
// (binary128 has 113 ≥ 2p + 2 bits, so that rounding is itself correct — core/dtype.hpp).
// pow is glibc's pow/powf, documented and measured below 1 ulp: ulp(1).
// Gradients: every op is held to a per-element sum bound (derivations below, at `grad_bounds`):
// the error of the backend's output-shaped partial products plus that of folding them over the
// broadcast dimensions (sum_to_shape); where an input was not broadcast and its partial is one
// correctly rounded operation (add, sub, mul, div's ∂a, maximum, minimum) that bound admits the
// correctly rounded value only.
// Second order (`grad.second`, derivations at `second_bound`): add and sub are exact (h = wa ± wb,
// one IEEE operation; zeros); the others are held to a per-element sum bound.
#include "reference/ops/elementwise.hpp"
#include "verify/harness/bounds.hpp"
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

#include <algorithm>
#include <functional>
#include <utility>

namespace vt::verify {
namespace {

std::vector<OutputDesc> broadcast_rule(const std::vector<Shape>& in, const Attrs&) {
  return {{broadcast_shapes(in), OutKind::same_float}};
}

OpSpec binary_spec(const char* name, const char* summary, Accuracy acc,
                   std::vector<Domain> domains = {}) {
  OpSpec s;
  s.name = name;
  s.family = "elementwise";
  s.summary = summary;
  s.min_inputs = s.max_inputs = 2;
  s.shape_rule = broadcast_rule;
  s.accuracy = std::move(acc);
  s.differentiable = true;
  s.inplace = true;
  s.layouts = binary_layouts;
  s.structural_layouts = binary_structural_layouts;
  s.domains = domains.empty() ? std::vector<Domain>{scale_free_domain()} : std::move(domains);
  return s;
}

const Accuracy kExact{.cls = AccuracyClass::exact};

// ---- gradient bounds -------------------------------------------------------------------------
// Notation: u and η = denorm_min of the target type; ½ulp(t) as compare.cpp measures ulps (the
// binade of |t|, clamped at the smallest normal exponent, so η/2 for subnormal t); γ_n = nu/(1−nu).
// For input i, every output element j contributes a term t_j = g_j·∂f/∂x_i (the reference's
// value) which the backend computes as t̂_j with |t̂_j − t_j| ≤ e_j (per op, below). Folding:
//  - m = 1 term (input i not broadcast there): the backend's t̂_j itself → e_j;
//  - m > 1: sum_to_shape adds the t̂_j in float64 and rounds once
//    (optimized/core/broadcast_grad.hpp); div and pow compute and add their t̂_j in a wider type
//    (double for float32, long double for float64: ≥ 53 bits, no overflow) and round once:
//    Σe_j + γ⁽⁵³⁾_{m−1}·Σ(|t_j| + e_j) + ½ulp_T of the result, bounded by ½ulp_T(|ref| + the
//    rest) (for float64, sum_to_shape's final rounding is exact and the term only matters for
//    the long double folds). The e_j below also bound a wide partial's error (≤ 2^-53·|t|).
// Plus the reference's own error (binary128 partials, a few ulps each, summed in binary128):
// γ⁽¹¹³⁾_{m+8}·Σ|t_j|.

/// Half a target ulp at |v| (η/2 at 0 and in the subnormal range).
hp_t half_ulp(hp_t v, const Precision& p) {
  namespace bmp = boost::multiprecision;
  const int emin = p.digits == 24 ? -126 : -1022;
  if (v == 0 || !bmp::isfinite(v)) return p.denorm_min / 2;
  int e = 0;
  bmp::frexp(v, &e);
  return bmp::ldexp(hp_t(1), std::max(e - 1, emin) - p.digits + 1) / 2;
}

struct Term {
  hp_t t;  // the exact partial g·∂f/∂x_i at one output element
  hp_t e;  // bound on the backend's error in it
};
using TermFn = std::function<Term(hp_t g, hp_t a, hp_t b, const Precision& p)>;

GradBoundFn folded_bound(TermFn term_a, TermFn term_b) {
  return [term_a = std::move(term_a), term_b = std::move(term_b)](GradBoundArgs& args) {
    namespace bmp = boost::multiprecision;
    const TermFn& term = args.input == 0 ? term_a : term_b;
    const Tensor& g = args.grad_outputs_hp.at(0);
    const Shape& os = g.shape();
    const Tensor a = args.inputs_hp.at(0).expand(os), b = args.inputs_hp.at(1).expand(os);
    const Shape& is = args.inputs_hp.at(args.input).shape();
    const std::size_t lead = os.size() - is.size();
    const std::size_t n_in = static_cast<std::size_t>(shape_numel(is));
    const Strides cs = contiguous_strides(is);
    std::vector<hp_t> sum_t(n_in, hp_t(0)), sum_e(n_in, hp_t(0));
    std::vector<std::int64_t> m(n_in, 0);
    for_each_index(os, [&](const auto& i) {
      std::int64_t k = 0;
      for (std::size_t d = 0; d < is.size(); ++d)
        if (is[d] != 1) k += i[lead + d] * cs[d];
      const Term tm = term(load_hp(g, i), load_hp(a, i), load_hp(b, i), args.precision);
      const auto kk = static_cast<std::size_t>(k);
      sum_t[kk] += bmp::abs(tm.t);
      sum_e[kk] += tm.e;
      ++m[kk];
    });
    const Precision dbl = precision_of(DType::f64), quad = reference_precision();
    std::size_t k = 0;
    for_each_index(is, [&](const auto& i) {
      hp_t bound = sum_e[k];
      if (m[k] > 1) {
        bound += gamma_n(m[k] - 1, dbl) * (sum_t[k] + sum_e[k]);
        bound += half_ulp(bmp::abs(load_hp(args.reference, i)) + bound, args.precision);
      }
      bound += gamma_n(m[k] + 8, quad) * sum_t[k];
      store_hp(args.bound, i, bound);
      ++k;
    });
  };
}

// Per-term bounds e_j:
//  add, sub: t = ±g, copied or negated: exact, e = 0.
//  mul: t = g·b (g·a), one rounding: e = ½ulp(t).
//  div ∂a: t = g/b, one rounding: e = ½ulp(t).
//  div ∂b: t = −g·a/b². float64: (g·a)/(b·b) with all three results normal → |t̂ − t| ≤ γ3|t|;
//    else long double (2^-64 per operation, no over/underflow) rounded once to double:
//    ≤ 3·2^-64|t| + u|t| + η/2 (+ 2^-11·η for the double rounding of a subnormal result) ≤
//    γ3|t| + η. float32 in double: g·a, b·b exact, one double division, one rounding to float:
//    ≤ 2^-53|t| + u|t| + η/2. So e = γ3|t| + η for both.
//  maximum, minimum: g or +0 (exact), g/2 at a tie (exact unless g/2 is subnormal): e = 0, or
//    ½ulp(t) at a tie.
//  pow ∂a: t = g·b·a^(b−1). float64 fast path (ŷ, ŷ/a, b·p, g·(b·p) all normal): ŷ within 1 ulp
//    (≤ 2u relative), three roundings → ≤ γ5|t|; long double path: powl and the products at
//    2^-64 each, b − 1 exact for |b| ≥ 2^-11 and otherwise off by ≤ 2^-64, which moves a^(b−1) by
//    ≤ |log a|·2^-64 ≤ 745·2^-64 < 0.4u, then one rounding to double (u|t| + η/2, double rounding
//    of a subnormal + 2^-11η): ≤ 1.5u|t| + η. float32 in double: pow ≤ 2^-52, b − 1 exact or off
//    by ≤ 2^-53 (relative effect ≤ 104·2^-53), two products, one rounding to float: ≤ 1.01u|t| +
//    η/2. So e = γ5|t| + η.
//  pow ∂b: t = g·a^b·log a. float64 fast path (ŷ, log a, ŷ·log a, g·(…) normal): ŷ 1 ulp (2u),
//    log < 1 ulp (2u), two roundings → ≤ γ6|t|; long double path and float32 as for ∂a:
//    ≤ 1.5u|t| + η. So e = γ6|t| + η.
Term exact_term(hp_t t, const Precision&) { return {t, hp_t(0)}; }
Term rounded_term(hp_t t, const Precision& p) {
  return {t, half_ulp(boost::multiprecision::abs(t), p)};
}
Term gamma_term(hp_t t, int n, const Precision& p) {
  return {t, gamma_n(n, p) * boost::multiprecision::abs(t) + p.denorm_min};
}

template <hp_t (*F)(hp_t, hp_t, hp_t)>
Term exact_partial(hp_t g, hp_t a, hp_t b, const Precision& p) {
  return exact_term(F(g, a, b), p);
}
template <hp_t (*F)(hp_t, hp_t, hp_t)>
Term rounded_partial(hp_t g, hp_t a, hp_t b, const Precision& p) {
  return rounded_term(F(g, a, b), p);
}
template <hp_t (*F)(hp_t, hp_t, hp_t), int N>
Term gamma_partial(hp_t g, hp_t a, hp_t b, const Precision& p) {
  return gamma_term(F(g, a, b), N, p);
}
template <hp_t (*F)(hp_t, hp_t, hp_t)>
Term select_partial(hp_t g, hp_t a, hp_t b, const Precision& p) {
  return a == b ? rounded_term(F(g, a, b), p) : exact_term(F(g, a, b), p);
}

GradSpec grad_spec(TermFn a, TermFn b, std::string nondifferentiable = {},
                   std::vector<Layout> kink_layouts = {},
                   std::vector<std::vector<std::vector<double>>> kink_values = {}) {
  GradSpec g;
  g.cls = AccuracyClass::sum_bound;
  g.bound = folded_bound(std::move(a), std::move(b));
  g.nondifferentiable = std::move(nondifferentiable);
  g.kink_layouts = std::move(kink_layouts);
  g.kink_values = std::move(kink_values);
  return g;
}

// ---- second-order bounds ---------------------------------------------------------------------
// The optimized backend (optimized/ops/elementwise.cpp, "Second order") evaluates each result
// element's formula in a wider type C — double (u_C = 2^-53) for float32, long double
// (u_C = 2^-64) for float64, long double for pow in both — where no product or quotient of the
// float operands over- or underflows, and rounds once to T; a broadcast input's terms t̂_j are
// summed in C (row-major) and rounded once. Per output element j the term is t_j with gross
// magnitude G_j (the sum of the magnitudes of the products the formula adds) and
// |t̂_j − t_j| ≤ e_j = γ^C_{κ_j}·G_j, κ_j the number of roundings on the longest path of the
// formula (a sum of terms, each a product chain: Higham's γ_k for each, first order). Then, with
// m terms per result element (m = 1: the input was not broadcast there):
//   E = Σ_j e_j + [m > 1]·γ^C_{m−1}·Σ_j(|t_j| + e_j),   bound = E + ½ulp_T(|ref| + E)
// (the final rounding to T, as half_ulp measures it, η/2 for subnormals). Where E = 0 (m = 1 and a
// formula evaluated without rounding: a copy, a sum with an exact zero) the backend returns
// fl_T(t) and the bound is |fl_T(ref) − ref|: the correctly rounded value only. The reference
// (binary128, the same formulas) adds γ⁽¹¹³⁾_{κ+m}·Σ_j G_j (κ = max κ_j), plus for pow the
// amplified exponent rounding below.
// κ per op (C operations that may round on the longest path):
//  mul: h = wa·b + wb·a: 2 (product, sum); ta = v·wb, tb = v·wa: 1.
//  div: h = wa/b + (−wb·a)/(b·b): 4 (wb·a, b·b, the quotient, the sum); ta = (−v·wb)/(b·b): 3;
//    tb = v·((2wb·a)/b − wa)/(b·b): 6 (·a, /b, −wa, v·, b·b, /); G = |v|(2|wb·a/b| + |wa|)/b².
//  maximum, minimum: h = wa·m_a + wb·m_b, m ∈ {0, ½, 1}, halving exact in C: 1 when both terms
//    are non-zero (tie, or a NaN operand), else 0 (one term copied: E = 0); ta = tb = 0 (E = 0).
//  pow (C = long double): powl and logl within 2 ulp (2^-62 relative: 4 units of u_C) each;
//    a^(b−k) is powl(a, fl(b − k)) and fl(b − k) = (b − k)(1 + δ) moves it by a relative
//    |(b − k)·δ·ln a| ≤ u·(|b| + 2)·|ln a| =: u·amp (first order) — in C and in binary128 alike;
//    the longest chain (v·(wb·(a^b·(log a·log a))) and the sum of the two branches) has two
//    calls (8 units) and 5 roundings, so κ = 16 covers every pow formula, and
//    e_j = γ^C_16·G_j + 1.01·u_C·amp·G_j (+ κ·denorm_min_C for long double underflow); the
//    reference adds γ⁽¹¹³⁾_{16+m}·G + 1.01·2^-113·amp·G.
//    G: h: [b≠0]|wa·b·a^(b−1)| + [¬(a=0∧b≥0)]|wb·a^b·log a|; ta: |v|([b≠0]|wa·b(b−1)a^(b−2)| +
//    [¬…]|wb·a^(b−1)|(1 + |b·log a|)); tb: |v|([b≠0]|wa·a^(b−1)|(1 + |b·log a|) +
//    [¬…]|wb·a^b·log²a|).
// A non-finite G (inf/NaN operands) gives bound 0: the reference is then non-finite or the
// element is compared exactly.

struct Term2 {
  hp_t t;        // the exact term
  hp_t gross;    // G: sum of the magnitudes of the products the formula adds
  int kappa;     // roundings in C on the longest path
  hp_t amp = 0;  // pow: (|b| + 2)·|ln a|, the amplification of the rounding of b − k
};
/// One term per output element, for result r (0: ∂a, 1: ∂b, 2: ∂v).
using Term2Fn = std::function<Term2(std::size_t r, hp_t v, hp_t a, hp_t b, hp_t wa, hp_t wb)>;

/// C's precision for a target (f32 → double; f64 → long double; pow: long double always).
Precision compute_precision(const Precision& target, bool long_double_always) {
  namespace bmp = boost::multiprecision;
  if (target.digits == 24 && !long_double_always) return precision_of(DType::f64);
  return {bmp::ldexp(hp_t(1), -64), bmp::ldexp(hp_t(1), -16445), 64};
}

/// fl_T(x): x rounded to the target type (round to nearest even).
hp_t round_to(hp_t x, const Precision& p) {
  return p.digits == 24 ? hp_t(static_cast<float>(x)) : hp_t(static_cast<double>(x));
}

SecondOrderBoundFn second_bound(Term2Fn term, bool long_double_always = false) {
  return [term = std::move(term), long_double_always](SecondOrderBoundArgs& args) {
    namespace bmp = boost::multiprecision;
    const std::size_t r = args.result;
    const Shape& os = args.outputs_hp.at(0).shape();
    const auto given = [&](const std::vector<Tensor>& ts, std::size_t i) {
      const Tensor t = i < ts.size() && ts[i].defined() ? ts[i] : Tensor::empty({}, DType::hp);
      return t.expand(os);
    };
    const Tensor v = given(args.grad_outputs_hp, 0);
    const Tensor wa = given(args.grad_grad_inputs_hp, 0), wb = given(args.grad_grad_inputs_hp, 1);
    const Tensor a = args.inputs_hp.at(0).expand(os), b = args.inputs_hp.at(1).expand(os);
    const Shape is = r < 2 ? args.inputs_hp.at(r).shape() : os;
    if (!args.bound.defined() || args.bound.shape() != is || args.bound.dtype() != DType::hp)
      args.bound = Tensor::empty(is, DType::hp);
    const std::size_t lead = os.size() - is.size();
    const auto n_in = static_cast<std::size_t>(shape_numel(is));
    const Strides cs = contiguous_strides(is);
    const Precision pc = compute_precision(args.precision, long_double_always);
    const Precision quad = reference_precision();
    std::vector<hp_t> sum_t(n_in, 0), sum_e(n_in, 0), sum_g(n_in, 0), sum_ampg(n_in, 0);
    std::vector<std::int64_t> m(n_in, 0);
    std::vector<int> kappa(n_in, 0);
    for_each_index(os, [&](const auto& i) {
      std::int64_t k = 0;
      for (std::size_t d = 0; d < is.size(); ++d)
        if (is[d] != 1) k += i[lead + d] * cs[d];
      const auto kk = static_cast<std::size_t>(k);
      const Term2 tm =
          term(r, load_hp(v, i), load_hp(a, i), load_hp(b, i), load_hp(wa, i), load_hp(wb, i));
      hp_t e = tm.kappa > 0 ? gamma_n(tm.kappa, pc) * tm.gross : hp_t(0);
      if (tm.amp > 0) e += hp_t(1.01) * pc.u * tm.amp * tm.gross + tm.kappa * pc.denorm_min;
      sum_t[kk] += bmp::abs(tm.t);
      sum_e[kk] += e;
      sum_g[kk] += tm.gross;
      sum_ampg[kk] += tm.amp * tm.gross;
      kappa[kk] = std::max(kappa[kk], tm.kappa);
      ++m[kk];
    });
    std::size_t k = 0;
    for_each_index(is, [&](const auto& i) {
      const hp_t ref = load_hp(args.reference, i);
      hp_t E = sum_e[k];
      if (m[k] > 1) E += gamma_n(m[k] - 1, pc) * (sum_t[k] + sum_e[k]);
      hp_t bound = E == 0 && m[k] <= 1 ? hp_t(bmp::abs(round_to(ref, args.precision) - ref))
                                       : E + half_ulp(bmp::abs(ref) + E, args.precision);
      bound += gamma_n(kappa[k] + m[k], quad) * sum_g[k] + hp_t(1.01) * quad.u * sum_ampg[k];
      store_hp(args.bound, i, bmp::isfinite(bound) ? bound : hp_t(0));
      ++k;
    });
  };
}

SecondOrderSpec second_sum_bound(Term2Fn term, bool long_double_always = false) {
  return {.promised = true,
          .cls = AccuracyClass::sum_bound,
          .bound = second_bound(std::move(term), long_double_always)};
}

Term2 mul_term2(std::size_t r, hp_t v, hp_t a, hp_t b, hp_t wa, hp_t wb) {
  namespace bmp = boost::multiprecision;
  if (r == 2) return {wa * b + wb * a, bmp::abs(wa * b) + bmp::abs(wb * a), 2};
  const hp_t t = r == 0 ? v * wb : v * wa;
  return {t, bmp::abs(t), 1};
}
Term2 div_term2(std::size_t r, hp_t v, hp_t a, hp_t b, hp_t wa, hp_t wb) {
  namespace bmp = boost::multiprecision;
  const hp_t b2 = b * b;
  if (r == 2) return {wa / b - wb * a / b2, bmp::abs(wa / b) + bmp::abs(wb * a / b2), 4};
  if (r == 0) return {-v * wb / b2, bmp::abs(v * wb / b2), 3};
  return {v * (2 * wb * a / b - wa) / b2,
          bmp::abs(v) * (2 * bmp::abs(wb * a / b) + bmp::abs(wa)) / b2, 6};
}
template <bool Maximum>
Term2 select_term2(std::size_t r, hp_t, hp_t a, hp_t b, hp_t wa, hp_t wb) {
  namespace bmp = boost::multiprecision;
  if (r < 2) return {0, 0, 0};
  const hp_t ca = Maximum ? ref::maximum_grad_a(wa, a, b) : ref::minimum_grad_a(wa, a, b);
  const hp_t cb = Maximum ? ref::maximum_grad_b(wb, a, b) : ref::minimum_grad_b(wb, a, b);
  return {ca + cb, bmp::abs(ca) + bmp::abs(cb), ca != 0 && cb != 0 ? 1 : 0};
}
Term2 pow_term2(std::size_t r, hp_t v, hp_t a, hp_t b, hp_t wa, hp_t wb) {
  namespace bmp = boost::multiprecision;
  const bool ga_on = b != 0, gb_on = !(a == 0 && b >= 0);
  const hp_t la = bmp::log(a), blog = 1 + bmp::abs(b * la);
  // a = 0, ±inf or b = ±inf: powl's result (0, inf, 1) does not depend on the rounding of b − k.
  const bool amplifies = a != 0 && bmp::isfinite(a) && bmp::isfinite(b);
  const hp_t amp = amplifies ? hp_t((bmp::abs(b) + 2) * bmp::abs(la)) : hp_t(0);
  hp_t t, g;
  if (r == 2) {
    t = ref::pow_grad_a(wa, a, b) + ref::pow_grad_b(wb, a, b);
    g = (ga_on ? bmp::abs(wa * b * bmp::pow(a, b - 1)) : hp_t(0)) +
        (gb_on ? bmp::abs(wb * bmp::pow(a, b) * la) : hp_t(0));
  } else if (r == 0) {
    t = ref::pow_hvp_a(v, a, b, wa, wb);
    g = bmp::abs(v) * ((ga_on ? bmp::abs(wa * b * (b - 1) * bmp::pow(a, b - 2)) : hp_t(0)) +
                       (gb_on ? bmp::abs(wb * bmp::pow(a, b - 1)) * blog : hp_t(0)));
  } else {
    t = ref::pow_hvp_b(v, a, b, wa, wb);
    g = bmp::abs(v) * ((ga_on ? bmp::abs(wa * bmp::pow(a, b - 1)) * blog : hp_t(0)) +
                       (gb_on ? bmp::abs(wb * bmp::pow(a, b) * la * la) : hp_t(0)));
  }
  return {t, g, 16, amp};
}

SecondOrderSpec second_exact() { return {.promised = true, .cls = AccuracyClass::exact}; }

GradSpec with_second(GradSpec g, SecondOrderSpec s) {
  g.second = std::move(s);
  return g;
}

OpSpec with_grad(OpSpec s, GradSpec g) {
  s.grad = std::move(g);
  return s;
}

using namespace vt::ref;  // the scalar partials *_grad_a / *_grad_b<hp_t>
constexpr double kNegZero = -0.0;

GradSpec select_grad(const char* name, TermFn a, TermFn b) {
  return grad_spec(
      std::move(a), std::move(b),
      std::string(name) +
          " at a tie a == b (also +0 vs −0): g/2 to each input (PyTorch); with a NaN operand g "
          "goes to both (PyTorch's where(a == b, g/2, g).masked_fill(a < b, 0))",
      {Layout{{{6}, {6}}, {}, "ties, signed zeros"}, Layout{{{2, 3}, {3}}, {}, "ties, broadcast"}},
      {{{1, 2, 3, 0, kNegZero, 5}, {1, 1, 3, kNegZero, 0, 6}}, {{1, 2, 3, 4, 2, 0}, {1, 2, 0}}});
}

VT_REGISTER_SPEC(with_grad(binary_spec("add", "a + b with broadcasting", kExact),
                           with_second(grad_spec(exact_partial<add_grad_a<hp_t>>,
                                                 exact_partial<add_grad_b<hp_t>>),
                                       second_exact())));
VT_REGISTER_SPEC(with_grad(binary_spec("sub", "a − b with broadcasting", kExact),
                           with_second(grad_spec(exact_partial<sub_grad_a<hp_t>>,
                                                 exact_partial<sub_grad_b<hp_t>>),
                                       second_exact())));
// Products and quotients: only the first operand is scaled to near over/underflow (scaling both
// turns every result into inf or 0); the second keeps ordinary values and the specials.
VT_REGISTER_SPEC(with_grad(
    binary_spec("mul", "a × b with broadcasting", kExact, {scale_free_domain(), Domain{}}),
    with_second(grad_spec(rounded_partial<mul_grad_a<hp_t>>, rounded_partial<mul_grad_b<hp_t>>),
                second_sum_bound(mul_term2))));
VT_REGISTER_SPEC(with_grad(
    binary_spec("div", "a ÷ b with broadcasting", kExact, {scale_free_domain(), Domain{}}),
    with_second(grad_spec(rounded_partial<div_grad_a<hp_t>>, gamma_partial<div_grad_b<hp_t>, 3>),
                second_sum_bound(div_term2))));
VT_REGISTER_SPEC(with_grad(binary_spec("maximum",
                                       "IEEE 754-2019 maximum (NaN-propagating, +0 > −0)", kExact),
                           with_second(select_grad("maximum", select_partial<maximum_grad_a<hp_t>>,
                                                   select_partial<maximum_grad_b<hp_t>>),
                                       second_sum_bound(select_term2<true>))));
VT_REGISTER_SPEC(with_grad(binary_spec("minimum",
                                       "IEEE 754-2019 minimum (NaN-propagating, −0 < +0)", kExact),
                           with_second(select_grad("minimum", select_partial<minimum_grad_a<hp_t>>,
                                                   select_partial<minimum_grad_b<hp_t>>),
                                       second_sum_bound(select_term2<false>))));
// glibc 2.36: pow < 1 ulp (libm-test-ulps lists 0 for pow on x86_64), powf correctly rounded in
// round-to-nearest per its source (e_powf.c: "ULP error: 0.82"); k = 1 for both.
VT_REGISTER_SPEC(with_grad(
    binary_spec("pow", "a ** b (C99 Annex F special cases)",
                {.cls = AccuracyClass::ulp, .ulp_f32 = 1, .ulp_f64 = 1},
                // Specials only: "cancellation" values (±2^10…2^20) as base and
                // exponent give inf or 0 everywhere — nothing to compare.
                {{0.05, 4, false, {Adversarial::specials}},
                 {-6, 6, false, {Adversarial::specials}}}),
    with_second(
        grad_spec(
            gamma_partial<pow_grad_a<hp_t>, 5>, gamma_partial<pow_grad_b<hp_t>, 6>,
            "pow: ∂a = 0 where b = 0 (also at a = 0, where a^(b−1) = inf); ∂b = 0 where a = 0 "
            "and b ≥ 0 (a^b·log a would be 0·(−inf) or 1·(−inf)) — PyTorch's "
            "where(b == 0, 0, g·b·a^(b−1)) and where(a == 0 ∧ b ≥ 0, 0, g·a^b·log a)",
            {Layout{{{8}, {8}}, {}, "a = 0 and b = 0"}},
            {{{0, 0, 0, 2, 0, 1.5, 0, kNegZero}, {0, 2, -1, 0, 0.5, 0, 1, 3}}}),
        second_sum_bound(pow_term2, true))));

}  // namespace
}  // namespace vt::verify
