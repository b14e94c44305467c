// verify/ops/unary.cpp — specs of the unary elementwise ops.
// What it is: for each op, its accuracy class with the error analysis behind k, and its domain.
// What it is not: the definitions (reference/ops/unary.hpp) or the implementations.
//
// neg, abs, relu are exact in any precision, and sqrt is one correctly rounded operation
// (binary128's correctly rounded sqrt rounded again to float64/float32 is correctly rounded,
// 113 ≥ 2p + 2): all four are `exact` — bit for bit, NaN positions and signed zeros included.
//
// The others are ulp(k) against the binary128 value y (error |ŷ − y| / ulp(y), as
// harness/compare.cpp measures it). Measurements below: glibc 2.36, x86_64, GCC 12 -O2
// -march=native, the optimized functors against reference/ops/unary.hpp, random inputs drawn
// uniformly and log-uniformly over the stated ranges (n = number of points).
//
//  exp   glibc expf ≤ 0.502 ulp and exp ≤ 0.511 ulp (e_expf.c, e_exp.c "ULP error");
//        measured 0.5016 (float32, 5e6 points in [-104, 89]) and 0.5054 (float64, 2e6 points in
//        [-746, 710] and log-uniform |x| ∈ [2^-60, 2^10]).                        k = 1, 1.
//  log   glibc logf ≤ 0.818 ulp and log ≤ 0.519 ulp (e_logf.c, e_log.c), including near x = 1
//        where log is ill-conditioned (both special-case that range); measured 0.8177
//        (float32, 4e6 points in [0.9, 1.1]) and 0.5170 (float64, 1e6 points in [0.5, 2]).
//                                                                               k = 1, 1.
//  tanh  float64 is glibc tanh (fdlibm, via expm1): libm-test-ulps lists 2 ulp, measured 2.1621
//        (4e6 points in [0.05, 0.6], where the error peaks). float32 is evaluated with the double
//        tanh and rounded once: ≤ 0.5 + 2^-26 ulp (glibc's tanhf measured 2.13 ulp, hence the
//        double); measured 0.5000.                                                k = 1, 3.
//  sigmoid  n/(1 + e) with e = exp(−|x|) ≤ 1 (n = 1 for x ≥ 0, e for x < 0); 1 + e kept as an
//        exact pair (Fast2Sum) and the quotient corrected by its exact remainder (fma), so only
//        exp's error and the final rounding are left. The result's sensitivity to e's relative
//        error is e/(1+e) ≤ ½ (x ≥ 0) or 1/(1+e) ≤ 1 (x < 0); exp's 0.511 ulp is ≤ 1.02·2^-53
//        relative, which the result's binade can turn into ≤ 1.02 ulp; plus 0.5 for rounding:
//        ≤ 1.52 ulp. Measured 1.4588 (float64, 4e6 points in [-8, 0]). float32 is the double
//        result rounded once: ≤ 0.5 + 1.52·2^-29 ulp, measured 0.5000.             k = 1, 2.
//  gelu  ½·x·erfc(−x/√2). float32: in double and rounded once; the double value carries erfc's
//        few ulps of 2^-53 and the argument's rounding amplified by 2z² ≤ 225 (|x| ≤ 15,
//        beyond which float gelu underflows to −0), i.e. ≤ 2^-44 relative: ≤ 0.5 + 2^-19 ulp,
//        measured 0.5000 (2e6 points in [-16, 6] and log-uniform |x| ∈ [2^-30, 2^5]).
//        float64: the argument's rounding error e is recovered (fma) and applied to first order,
//        erfc(z + e) ≈ erfc(z) − e·2/√π·e^{−z²} (residual ≈ 2z⁴u² ≤ 2^-85 relative), and the
//        product with ½x is one fma, so glibc erfc's own error plus one rounding is what is
//        left. glibc documents erfc ≤ 5 ulp (libm-test-ulps, x86_64); measured here erfc alone
//        reaches 3.89 ulp (4e6 points in [0.8, 2.5]) and gelu 3.54 ulp (4e6 points in
//        [-3.6, -1.1]). erfc's relative error passes to the result unchanged; counted in ulps it
//        can grow by the ratio of the two values' positions in their binades (≤ 2), which the
//        measurements show does not line up with erfc's worst cases: glibc's 5 plus the final
//        0.5 → k = 6 (the harness itself measured at most 3.27 over 9 seeds). Below x = −37 erfc(z)
//        would be subnormal and the implementation switches to long double (measured 0.5012 on 1e6
//        points in [-38.7, -37]).
//                                                                                 k = 1, 6.
//
// Gradients (VJPs), against the reference VJP g·f'(x) of the same float x and g:
//  neg (−g), abs (±g, g·0 at x = 0), relu (g or +0) and log (g/x, one correctly rounded division)
//  are `exact`. The others are sum-bound, per element (derivations at `grad bounds` below):
//  sqrt, exp, tanh and sigmoid read the backend's own forward output ŷ, whose error (the forward
//  class above: ulp(k) → |ŷ − y| ≤ e_y := k·ulp(y), ulp as compare.cpp measures it) passes through
//  the derivative's formula, plus the VJP's own roundings; gelu computes Φ(x) + x·φ(x) from x.
//
// Second order (DoubleBackwardCall: w·v·f''(x) for x, w·f'(x) for v): neg, abs, relu `exact`
// (0 and the first-order functor on w); the others sum-bound (derivations at "second-order
// bounds" below).
#include "reference/ops/unary.hpp"
#include "verify/harness/bounds.hpp"
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

#include <boost/math/constants/constants.hpp>

#include <algorithm>
#include <functional>
#include <limits>

namespace vt::verify {
namespace {

std::vector<OutputDesc> same_shape_rule(const std::vector<Shape>& in, const Attrs&) {
  return {{in.at(0), OutKind::same_float}};
}

OpSpec unary_spec(const char* name, const char* summary, Accuracy acc, Domain domain) {
  OpSpec s;
  s.name = name;
  s.family = "unary";
  s.summary = summary;
  s.min_inputs = s.max_inputs = 1;
  s.shape_rule = same_shape_rule;
  s.accuracy = std::move(acc);
  s.differentiable = true;  // every one of them is differentiable almost everywhere
  s.inplace = true;
  s.layouts = unary_layouts;
  s.structural_layouts = unary_structural_layouts;
  s.domains = {std::move(domain)};
  return s;
}

const Accuracy kExact{.cls = AccuracyClass::exact};
Accuracy ulp(double k_f32, double k_f64) {
  return {.cls = AccuracyClass::ulp, .ulp_f32 = k_f32, .ulp_f64 = k_f64};
}

/// neg and abs of any float are exact: integer inputs exercise the exact regime too.
OpSpec with_exact_regime(OpSpec s) {
  s.exact_range = [](const Layout&, DType) { return 1 << 20; };
  return s;
}

// Random regime: where the op is defined and interesting. The adversarial regime adds ±0, ±inf,
// NaN, subnormals, ±max and negatives on its own (specials) and the patterns listed per op.
// Patterns that send every output of a small case to one value are left out, since that case
// is vacuous: exp or sigmoid of tiny inputs are all 1 or ½; exp, sigmoid and gelu of the huge
// values of `cancellation` (or gelu of `scale_overflow`) are 0 for a negative one-element input.
Domain with(double lo, double hi, std::vector<Adversarial> adv) {
  Domain d{lo, hi, false, std::move(adv)};
  return d;
}
using A = Adversarial;

// ---- grad bounds -----------------------------------------------------------------------------
// Notation: u, η = denorm_min of the target type; U(v) = ulp of the target type at |v| as
// compare.cpp measures it (2^(max(⌊log2|v|⌋, emin) − p + 1); η in the subnormal range), so
// U(v) ≤ 2u|v| + η; one rounding of a value z errs by ≤ u|z| + η/2; γ_n = nu/(1 − nu). y is the
// reference forward output, g the output gradient, t the reference VJP; e_y = k·U(y) with k the
// forward's class for that dtype. Every bound adds the reference's own error, ≤ γ⁽¹¹³⁾_16·|t|
// (libquadmath's functions are good to a few ulps of binary128).
//  sqrt: t = g/(2y), ĝ = RN(g/(2ŷ)) (2ŷ exact). ŷ is the correctly rounded √x (k = ½; never
//    subnormal for x > 0), so |y/ŷ − 1| ≤ ρ := e_y/(y − e_y) and |ĝ − t| ≤ |t|·ρ + u·|t|(1 + ρ) +
//    η/2. (x = 0: t = ±inf, compared exactly.)
//  exp: t = g·y, ĝ = RN(g·ŷ) (float32: g·ŷ is exact in double, rounded once): |ĝ − t| ≤ |g|·e_y +
//    u·|g|(y + e_y) + η/2, k = 1. Where ŷ overflowed for a finite x the backend recomputes g·e^x in
//    a wider type and rounds once, ≤ 1.01·u|t| + η/2, inside the same bound (|g|·e_y ≥ u|t|).
//  tanh: t = g·(1 − y²), ĝ = RN(g·RN(1 − ŷ²)) (float64: one fma; float32: 1 − ŷ² exact in
//    double, then two roundings at 2^-53 and one at u). |(1 − ŷ²) − (1 − y²)| = |ŷ − y|·|ŷ + y| ≤
//    δ := e_y(2|y| + e_y), so |ĝ − t| ≤ |g|·δ + γ2·|g|(|1 − y²| + δ) + η/2; k = 1 (float32), 3
//    (float64). Near |y| = 1 the forward's error dominates: 1 − ŷ² cancels, as it does in every
//    VJP that reads tanh's output.
//  sigmoid: t = g·y(1 − y), ĝ = RN(g·RN(ŷ·RN(1 − ŷ))). |D(ŷ) − D(y)| = |ŷ − y|·|1 − ŷ − y| ≤
//    δ := e_y(|1 − 2y| + e_y); three roundings, the last two possibly in the subnormal range
//    (η/2 each, the first multiplied by |g|): |ĝ − t| ≤ |g|·δ + γ3·|g|(|D(y)| + δ) +
//    (|g| + 1)·η/2; k = 1 (float32), 2 (float64).
//  gelu: t = g·(Φ + xφ), Φ = ½erfc(−x/√2), φ = e^{−x²/2}/√(2π). float64, before the sum:
//    Φ̂: erfc's argument z = RN(−x·RN(1/√2)) is off by ≤ γ2|z|, which moves erfc by
//    (2/√π)e^{−ξ²}·γ2|z| ≤ γ2·|x|φ·(1 + 2^-40) (mean value; e^{−ξ²} ≤ e^{−z²(1−2γ2)}, z² ≤ 745);
//    glibc erfc ≤ 5 ulp (libm-test-ulps) → 10u·Φ, or 5η subnormal, and ½· (+η/2 subnormal);
//    P̂ = (x·c)·(e^{−h/2}·(1 − l/2)) with x² = h + l exactly: c = RN(1/√(2π)) u, x·c u, exp 1 ulp
//    (2u), the first-order correction u (+ l²/8 ≤ 2^-98), two products u each: γ7·|x|φ; a
//    subnormal e^{−h/2} (|x| > 37.6) adds ≤ (|x| + 4)·η. So E1 := 10u·Φ + (γ2(1 + 2^-40) + γ7)·|x|φ
//    + (|x| + 7)·η; the sum and the product with g round twice: with S := Φ + |x|φ + E1,
//    |ĝ − t| ≤ |g|·(E1 + γ2·S) + η/2. float32 evaluates the same in double (every term at 2^-53,
//    η of double) and rounds once to float, inside the same expression at float's u and η.
//    At x = ±inf, t = g or g·0 exactly: bound 0.

/// ulp of the target type at |v| (compare.cpp's definition); η at 0.
hp_t ulp_of(hp_t v, const Precision& p) {
  namespace bmp = boost::multiprecision;
  const int emin = p.digits == 24 ? -126 : -1022;
  if (v == 0 || !bmp::isfinite(v)) return p.denorm_min;
  int e = 0;
  bmp::frexp(v, &e);
  return bmp::ldexp(hp_t(1), std::max(e - 1, emin) - p.digits + 1);
}

/// Per element: bound(x, y, g, t, precision) — the backend's admissible error.
using ElementBound = std::function<hp_t(hp_t x, hp_t y, hp_t g, hp_t t, const Precision& p)>;

GradSpec unary_grad_bound(ElementBound f) {
  GradSpec gs;
  gs.cls = AccuracyClass::sum_bound;
  gs.bound = [f](GradBoundArgs& args) {
    namespace bmp = boost::multiprecision;
    const Tensor& x = args.inputs_hp.at(0);
    const Tensor& y = args.outputs_hp.at(0);
    const Tensor& g = args.grad_outputs_hp.at(0);
    const hp_t ref_rel = gamma_n(16, reference_precision());
    for_each_index(x.shape(), [&](const auto& i) {
      const hp_t t = load_hp(args.reference, i);
      const hp_t b = f(load_hp(x, i), load_hp(y, i), load_hp(g, i), t, args.precision);
      store_hp(args.bound, i, b + ref_rel * bmp::abs(t));
    });
  };
  return gs;
}

/// e_y of a forward in class ulp(k_f32 / k_f64).
hp_t forward_error(hp_t y, const Precision& p, double k_f32, double k_f64) {
  return hp_t(p.digits == 24 ? k_f32 : k_f64) * ulp_of(y, p);
}

hp_t sqrt_vjp_bound(hp_t, hp_t y, hp_t, hp_t t, const Precision& p) {
  namespace bmp = boost::multiprecision;
  const hp_t ey = forward_error(y, p, 0.5, 0.5);
  const hp_t rho = y > ey ? ey / (y - ey) : std::numeric_limits<hp_t>::infinity();
  return bmp::abs(t) * rho + p.u * bmp::abs(t) * (1 + rho) + p.denorm_min / 2;
}
hp_t exp_vjp_bound(hp_t, hp_t y, hp_t g, hp_t, const Precision& p) {
  namespace bmp = boost::multiprecision;
  const hp_t ey = forward_error(y, p, 1, 1), ag = bmp::abs(g);
  return ag * ey + p.u * ag * (bmp::abs(y) + ey) + p.denorm_min / 2;
}
hp_t tanh_vjp_bound(hp_t, hp_t y, hp_t g, hp_t, const Precision& p) {
  namespace bmp = boost::multiprecision;
  const hp_t ey = forward_error(y, p, 1, 3), ag = bmp::abs(g);
  const hp_t delta = ey * (2 * bmp::abs(y) + ey);
  return ag * delta + gamma_n(2, p) * ag * (bmp::abs(1 - y * y) + delta) + p.denorm_min / 2;
}
hp_t sigmoid_vjp_bound(hp_t, hp_t y, hp_t g, hp_t, const Precision& p) {
  namespace bmp = boost::multiprecision;
  const hp_t ey = forward_error(y, p, 1, 2), ag = bmp::abs(g);
  const hp_t delta = ey * (bmp::abs(1 - 2 * y) + ey);
  return ag * delta + gamma_n(3, p) * ag * (bmp::abs(y * (1 - y)) + delta) +
         (ag + 1) * p.denorm_min / 2;
}
hp_t gelu_vjp_bound(hp_t x, hp_t, hp_t g, hp_t, const Precision& p) {
  namespace bmp = boost::multiprecision;
  if (bmp::isinf(x)) return hp_t(0);
  const hp_t cdf = bmp::erfc(-x / bmp::sqrt(hp_t(2))) / 2;
  const hp_t xpdf =
      bmp::abs(x) * bmp::exp(-x * x / 2) / bmp::sqrt(2 * boost::math::constants::pi<hp_t>());
  const hp_t e1 = 10 * p.u * cdf +
                  (gamma_n(2, p) * (1 + bmp::ldexp(hp_t(1), -40)) + gamma_n(7, p)) * xpdf +
                  (bmp::abs(x) + 7) * p.denorm_min;
  const hp_t s = cdf + xpdf + e1;
  return bmp::abs(g) * (e1 + gamma_n(2, p) * s) + p.denorm_min / 2;
}

GradSpec sqrt_grad_spec() {
  GradSpec gs = unary_grad_bound(sqrt_vjp_bound);
  gs.nondifferentiable =
      "sqrt at 0: g/(2·0) = ±inf (NaN for g = 0), PyTorch's grad/(2·result); at −0, ∓inf; "
      "second order −w·v/(4·(±0)³) = ∓inf (NaN for w·v = 0) and w/(2·0)";
  gs.kink_layouts = {Layout{{{6}}, {}, "x = ±0"}};
  gs.kink_values = {{{0, 1, 4, 0, 2.25, -0.0}}};
  return gs;
}
GradSpec exp_grad_spec() { return unary_grad_bound(exp_vjp_bound); }
GradSpec tanh_grad_spec() { return unary_grad_bound(tanh_vjp_bound); }
GradSpec sigmoid_grad_spec() { return unary_grad_bound(sigmoid_vjp_bound); }
GradSpec gelu_grad_spec() { return unary_grad_bound(gelu_vjp_bound); }

// ---- second-order bounds -----------------------------------------------------------------------
// The second order of y = f(x) with output gradient v and cotangent w has two results:
// grad_inputs[0] h = w·v·f''(x) and grad_grad_outputs[0] k = w·f'(x). k is computed by the
// first-order functor applied to w, so its bound is the first-order element bound above with
// g = w (log: k = RN(w/x), one correctly rounded division, bound U(k)/2 — only the correctly
// rounded value, or either neighbour at a tie). h is bounded below, per dtype,
// with the notation of "grad bounds" (u, η, U, e_y = k_fwd·U(y), γ_n) and a := w·v; D(ŷ) − D(y)
// for a polynomial D in y is expanded exactly (Taylor, finite): |ŷ − y| ≤ e_y. Every rounding
// errs by ≤ u|z| + η/2; an absolute η/2 made in an intermediate is carried to the result by the
// factors applied after it. float32 evaluates in double and rounds once to float: the double
// roundings (≤ 8 of them at 2^-53, none subnormal but gelu's e^{−x²/2}, below: the
// products and quotients of ≤ 4 floats lie in [2^-600, 2^600]) add ≤ 8·2^-53·|h| ≤ 2^-26·u|h|, so
// one rounding at u plus that is ≤ γ2·|h|, and the only absolute term is the final η/2. Every bound
// adds the reference's γ⁽¹¹³⁾_16·|h|.
//  neg, abs, relu: h = +0 (f'' = 0, PyTorch's zeros; relu and abs: the first order's convention
//    differentiated piecewise) and k = −w, w·sign(x) (w·0 at ±0), w·(x > 0): zero or one exact
//    operation, the first-order functors themselves — `exact`.
//  sqrt: h = −a/(4y³), ĥ from ŷ = RN(√x) = y(1 + δ), |δ| ≤ e_y/y (k_fwd = ½), so ŷ^-3 = y^-3·(1 +
//    θ) with |θ| ≤ r3 := (1 + ρ)³ − 1, ρ = e_y/(y − e_y). float32 (in double: 4ŷ²
//    exact, ·ŷ and the quotient rounded): |ĥ − h| ≤ |h|·r3 + γ2·|h|(1 + r3) + η/2. float64:
//    −(((a/(4ŷ))/ŷ)/ŷ), four roundings (w·v too), γ4; the η/2 of w·v is divided by 4ŷ³ later,
//    that of each quotient by the ŷ's left: + η/2·(1 + γ3)(1 + 1/y_lo + 1/y_lo² + 1/(4y_lo³)),
//    y_lo = y − e_y. (x = ±0: h = ±inf, compared exactly.)
//  exp: h = a·y, ĥ = RN(RN(a)·ŷ) (float32: a exact in double): |a|·e_y from ŷ, γ2·|a|(y + e_y)
//    from the two roundings, + η/2·(1 + y + e_y) (float64: RN(a)'s η/2 times ŷ) or η/2 (float32).
//    Where ŷ overflowed for a finite x the wider-type fallback (a·e^x in double or long double,
//    errors ≤ 2^-52 relative) rounds once: inside γ2·|h|.
//  log: h = −a/x² from the exact input x. float32: a, x² exact in double, one division, then
//    the float rounding: γ2·|h| + η/2. float64: −((a/x)/x), three roundings: γ3·|h| + η/2·(1 +
//    γ2)(1 + 1/|x| + 1/x²) (RN(a)'s η/2 divided by x², the first quotient's by |x|).
//  tanh: h = a·D(y), D(y) = −2y(1 − y²); D(ŷ) − D(y) = (6y² − 2)δ + 6yδ² + 2δ³, so |…| ≤ Δ :=
//    e_y|6y² − 2| + 6|y|e_y² + 2e_y³ (k_fwd = 1 float32, 3 float64). float64: RN(RN(RN(a)·(−2ŷ))·
//    fma(−ŷ, ŷ, 1)), four roundings on |a|(|D(y)| + Δ); absolute: RN(a)'s η/2 times |2ŷ(1 − ŷ²)|
//    ≤ 0.77, the next η/2 times |1 − ŷ²| ≤ 1, the last η/2 (1 − ŷ² is 0 or ≥ 2^-53, never
//    subnormal): ≤ 1.5η. |ĥ − h| ≤ |a|·Δ + γ_n·|a|(|D(y)| + Δ) + E, n = 2, E = η/2 (float32);
//    n = 4, E = 1.5η (float64). Near |y| = 1 (and y = ±1/√3, where D' = 0 but not D) the forward's
//    error dominates, as in the first order: 1 − ŷ² cancels.
//  sigmoid: h = a·D(y), D(y) = y(1 − y)(1 − 2y) = y − 3y² + 2y³; D(ŷ) − D(y) = (1 − 6y + 6y²)δ +
//    (6y − 3)δ² + 2δ³: Δ := e_y|1 − 6y + 6y²| + e_y²|6y − 3| + 2e_y³ (k_fwd = 1, 2). float64:
//    RN(RN(a)·RN(RN(ŷ·RN(1 − ŷ))·RN(1 − 2ŷ))): six roundings; absolute: RN(a)'s η/2 times |D| ≤
//    0.1, two η/2 times |a| (ŷ(1 − ŷ) and the product with 1 − 2ŷ may be subnormal when ŷ is), the
//    last η/2 (1 − ŷ and 1 − 2ŷ are 0 or ≥ 2^-53): ≤ η(|a| + 1). n = 6, E = η(|a| + 1) (float64);
//    n = 2, E = η/2 (float32). Near y = ½ (x ≈ 0) D is ≈ −x/8 while ŷ's error e_y ≈ u/2 moves it by
//    ≈ u/4: the bound is then far above |h|·u — the cancellation of 1 − 2ŷ that PyTorch's
//    formula in y has, not a loose analysis.
//  gelu: h = a·φ(x)(2 − x²) from the exact x; a product chain, so a relative bound. float64: x² = H
//    + L exactly (fma); 2 − x² = RN(RN(2 − H) − L): 2 − H is exact for H ∈ [1, 4] (Sterbenz), else
//    |2 − H| ≥ 1 ≫ |L| and the two roundings are relative to 2 − x² up to a factor 1 + 2u: ≤ γ2;
//    φ = RN(RN(e^{−H/2}·RN(1 − L/2))·c), c = RN(1/√(2π)): exp ≤ 0.511 ulp (2u), 1 − L/2 (u), the
//    product (u), c (u), ·c (u), the neglected L²/8 ≤ 2^-87; then ·(2 − x²), a = RN(w·v), the
//    last product: 11 roundings and the L² term, ≤ γ12·|h|. Absolute: e^{−H/2} is subnormal for
//    |x| > 37.6 (error ≤ η, times c·|2 − x²|·|a| ≤ 0.4(x² + 2)|a|), the η/2 of the two products
//    after it (times ≤ (x² + 2)|a|), of p·(2 − x²) (times |a|), of RN(a) (times |φ(2 − x²)| ≤ 0.8)
//    and of the last product: ≤ η(2(x² + 2)|a| + 1). |x| ≥ 40 returns −(w·v)·0, and there |h| <
//    10^-344·|a| ≤ η·(2(x² + 2)|a|): inside the same term. float32: γ2·|h| + η/2, plus the double
//    evaluation's own subnormal e^{−x²/2} for |x| > 37.6: 2^-1074·(2(x² + 2)|a| + 1).
//    x = ±inf: h = −(w·v)·0 on both sides, bound 0.

/// Per element of grad_inputs[0]: bound(x, y, v, w, h, precision), h the reference value.
using HessianBound =
    std::function<hp_t(hp_t x, hp_t y, hp_t v, hp_t w, hp_t h, const Precision& p)>;

/// A sum-bound SecondOrderSpec: result 0 (grad_inputs[0] = w·v·f''(x)) by `hess`, result 1
/// (grad_grad_outputs[0] = w·f'(x)) by the first-order element bound `jvp` with g = w.
SecondOrderSpec unary_second_bound(HessianBound hess, ElementBound jvp) {
  SecondOrderSpec so;
  so.promised = true;
  so.cls = AccuracyClass::sum_bound;
  so.bound = [hess, jvp](SecondOrderBoundArgs& args) {
    namespace bmp = boost::multiprecision;
    const Tensor& x = args.inputs_hp.at(0);
    const Tensor& y = args.outputs_hp.at(0);
    const Tensor none;
    const Tensor& v = args.grad_outputs_hp.empty() ? none : args.grad_outputs_hp[0];
    const Tensor& w = args.grad_grad_inputs_hp.empty() ? none : args.grad_grad_inputs_hp[0];
    const hp_t ref_rel = gamma_n(16, reference_precision());
    for_each_index(x.shape(), [&](const auto& i) {
      const hp_t h = load_hp(args.reference, i);
      const hp_t vi = v.defined() ? load_hp(v, i) : hp_t(0);
      const hp_t wi = w.defined() ? load_hp(w, i) : hp_t(0);
      const hp_t xi = load_hp(x, i), yi = load_hp(y, i);
      const hp_t b = args.result == 0 ? hess(xi, yi, vi, wi, h, args.precision)
                                      : jvp(xi, yi, wi, h, args.precision);
      store_hp(args.bound, i, b + ref_rel * bmp::abs(h));
    });
  };
  return so;
}

SecondOrderSpec exact_second() {
  SecondOrderSpec so;
  so.promised = true;
  so.cls = AccuracyClass::exact;
  return so;
}

bool is_f32(const Precision& p) { return p.digits == 24; }

hp_t sqrt_hess_bound(hp_t, hp_t y, hp_t, hp_t, hp_t h, const Precision& p) {
  namespace bmp = boost::multiprecision;
  const hp_t ey = forward_error(y, p, 0.5, 0.5);
  if (!(y > ey)) return std::numeric_limits<hp_t>::infinity();  // x = 0: h is ±inf
  const hp_t rho = ey / (y - ey), r3 = (1 + rho) * (1 + rho) * (1 + rho) - 1, ah = bmp::abs(h);
  if (is_f32(p)) return ah * r3 + gamma_n(2, p) * ah * (1 + r3) + p.denorm_min / 2;
  const hp_t ylo = y - ey;
  return ah * r3 + gamma_n(4, p) * ah * (1 + r3) +
         p.denorm_min / 2 * (1 + gamma_n(3, p)) *
             (1 + 1 / ylo + 1 / (ylo * ylo) + 1 / (4 * ylo * ylo * ylo));
}
hp_t exp_hess_bound(hp_t, hp_t y, hp_t v, hp_t w, hp_t, const Precision& p) {
  namespace bmp = boost::multiprecision;
  const hp_t ey = forward_error(y, p, 1, 1), aa = bmp::abs(w * v), ay = bmp::abs(y);
  const hp_t e = is_f32(p) ? p.denorm_min / 2 : p.denorm_min / 2 * (1 + ay + ey);
  return aa * ey + gamma_n(2, p) * aa * (ay + ey) + e;
}
hp_t log_hess_bound(hp_t x, hp_t, hp_t, hp_t, hp_t h, const Precision& p) {
  namespace bmp = boost::multiprecision;
  const hp_t ah = bmp::abs(h), ax = bmp::abs(x);
  if (is_f32(p)) return gamma_n(2, p) * ah + p.denorm_min / 2;
  return gamma_n(3, p) * ah + p.denorm_min / 2 * (1 + gamma_n(2, p)) * (1 + 1 / ax + 1 / (ax * ax));
}
hp_t tanh_hess_bound(hp_t, hp_t y, hp_t v, hp_t w, hp_t, const Precision& p) {
  namespace bmp = boost::multiprecision;
  const hp_t ey = forward_error(y, p, 1, 3), aa = bmp::abs(w * v);
  const hp_t delta = ey * bmp::abs(6 * y * y - 2) + 6 * bmp::abs(y) * ey * ey + 2 * ey * ey * ey;
  const hp_t d = bmp::abs(2 * y * (1 - y * y));
  if (is_f32(p)) return aa * delta + gamma_n(2, p) * aa * (d + delta) + p.denorm_min / 2;
  return aa * delta + gamma_n(4, p) * aa * (d + delta) + hp_t(1.5) * p.denorm_min;
}
hp_t sigmoid_hess_bound(hp_t, hp_t y, hp_t v, hp_t w, hp_t, const Precision& p) {
  namespace bmp = boost::multiprecision;
  const hp_t ey = forward_error(y, p, 1, 2), aa = bmp::abs(w * v);
  const hp_t delta =
      ey * bmp::abs(1 - 6 * y + 6 * y * y) + ey * ey * bmp::abs(6 * y - 3) + 2 * ey * ey * ey;
  const hp_t d = bmp::abs(y * (1 - y) * (1 - 2 * y));
  if (is_f32(p)) return aa * delta + gamma_n(2, p) * aa * (d + delta) + p.denorm_min / 2;
  return aa * delta + gamma_n(6, p) * aa * (d + delta) + (aa + 1) * p.denorm_min;
}
hp_t gelu_hess_bound(hp_t x, hp_t, hp_t v, hp_t w, hp_t h, const Precision& p) {
  namespace bmp = boost::multiprecision;
  if (bmp::isinf(x)) return hp_t(0);
  const hp_t aa = bmp::abs(w * v), ah = bmp::abs(h), sub = 2 * (x * x + 2) * aa + 1;
  if (is_f32(p)) return gamma_n(2, p) * ah + p.denorm_min / 2 + bmp::ldexp(hp_t(1), -1074) * sub;
  return gamma_n(12, p) * ah + p.denorm_min * sub;
}
/// log's k = RN(w/x): the correctly rounded value, i.e. within half an ulp (U/2) of k.
hp_t rounding_jvp_bound(hp_t, hp_t, hp_t, hp_t k, const Precision& p) { return ulp_of(k, p) / 2; }

GradSpec with_second(GradSpec g, SecondOrderSpec so) {
  g.second = std::move(so);
  return g;
}

GradSpec exact_grad(std::string nondifferentiable = {}, std::vector<double> kink_values = {}) {
  GradSpec gs;
  gs.cls = AccuracyClass::exact;
  gs.nondifferentiable = std::move(nondifferentiable);
  if (!kink_values.empty()) {
    gs.kink_layouts = {
        Layout{{{static_cast<std::int64_t>(kink_values.size())}}, {}, "x = ±0 among others"}};
    gs.kink_values = {{std::move(kink_values)}};
  }
  return gs;
}

OpSpec with_grad(OpSpec s, GradSpec g) {
  s.grad = std::move(g);
  return s;
}

VT_REGISTER_SPEC(with_grad(with_exact_regime(unary_spec("neg", "−x", kExact, scale_free_domain())),
                           with_second(exact_grad(), exact_second())));
VT_REGISTER_SPEC(with_grad(
    with_exact_regime(unary_spec("abs", "|x| (abs(−0) = +0)", kExact, scale_free_domain())),
    with_second(
        exact_grad("abs at ±0: g·sign(0) = g·0 = ±0 (PyTorch's grad·sgn(x)); NaN x gives NaN "
                   "(sign(NaN) = NaN; PyTorch 1.13 gives 0 there, golden/README.md); "
                   "second order: w·sign(x) for v, 0 for x (sign's derivative, PyTorch's zeros)",
                   {0, -0.0, 2, -3, 0, 1}),
        exact_second())));
VT_REGISTER_SPEC(with_grad(unary_spec("sqrt", "IEEE square root (sqrt(x < 0) = NaN, sqrt(−0) = −0)",
                                      kExact, scale_free_domain(0, 4)),
                           with_second(sqrt_grad_spec(),
                                       unary_second_bound(sqrt_hess_bound, sqrt_vjp_bound))));
// relu: a symmetric domain; every adversarial case is a specials case, and relu has extra layouts,
// so that the NaN → 0 bug meets enough NaN inputs (≈ 16 specials per input, 1 in 16 of them NaN:
// about one NaN per case, ≈ 16 specials cases per dtype). Its exact regime adds nothing: relu is
// exact on every input.
std::vector<Layout> relu_layouts(Rng& rng) {
  std::vector<Layout> out = unary_layouts(rng);
  for (Shape s : {Shape{31}, Shape{64}, Shape{100}, Shape{129}, Shape{7, 9}, Shape{3, 50},
                  Shape{2, 2, 17}, Shape{5, 5, 5}})
    out.push_back({{s}, {}, "more specials"});
  return out;
}
OpSpec relu_spec() {
  OpSpec s = unary_spec("relu", "x for x > 0, NaN for NaN, +0 otherwise (relu(−0) = +0)", kExact,
                        with(-4, 4, {A::specials}));
  s.layouts = relu_layouts;
  s.grad = exact_grad(
      "relu at ±0: 0 (PyTorch's threshold_backward: where(y ≤ 0, 0, g)); a NaN x (not ≤ 0) "
      "passes g through, as in PyTorch; second order: threshold_backward(w, y) for v and 0 for x "
      "(PyTorch's zeros: the VJP differentiated piecewise)",
      {0, -0.0, 1.5, -2, 0, 3});
  s.grad.second = exact_second();
  return s;
}
VT_REGISTER_SPEC(relu_spec());
VT_REGISTER_SPEC(with_grad(
    unary_spec("exp", "e^x", ulp(1, 1), with(-20, 20, {A::specials, A::shift_exp_overflow})),
    with_second(exp_grad_spec(), unary_second_bound(exp_hess_bound, exp_vjp_bound))));
VT_REGISTER_SPEC(with_grad(unary_spec("log", "natural logarithm (log(0) = −inf, log(x < 0) = NaN)",
                                      ulp(1, 1), scale_free_domain(0, 4)),
                           with_second(exact_grad("log at 0: g/0 = ±inf (NaN for g = 0), PyTorch's "
                                                  "grad/x; second order −w·v/0² = ∓inf",
                                                  {0, 1, 2, -0.0, 0.5, 4}),
                                       unary_second_bound(log_hess_bound, rounding_jvp_bound))));
VT_REGISTER_SPEC(
    with_grad(unary_spec("tanh", "hyperbolic tangent", ulp(1, 3),
                         with(-5, 5, {A::specials, A::cancellation, A::scale_underflow})),
              with_second(tanh_grad_spec(), unary_second_bound(tanh_hess_bound, tanh_vjp_bound))));
VT_REGISTER_SPEC(with_grad(
    unary_spec("sigmoid", "1/(1 + e^{−x}), overflow-free", ulp(1, 2), with(-40, 20, {A::specials})),
    with_second(sigmoid_grad_spec(), unary_second_bound(sigmoid_hess_bound, sigmoid_vjp_bound))));
VT_REGISTER_SPEC(with_grad(unary_spec("gelu", "x·Φ(x) = ½·x·erfc(−x/√2) (exact erf form)",
                                      ulp(1, 6), with(-40, 8, {A::specials, A::scale_underflow})),
                           with_second(gelu_grad_spec(),
                                       unary_second_bound(gelu_hess_bound, gelu_vjp_bound))));

}  // namespace
}  // namespace vt::verify
