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

GradSpec sqrt_grad_spec() {
  GradSpec gs = unary_grad_bound([](hp_t, hp_t y, hp_t, hp_t t, const Precision& p) {
    namespace bmp = boost::multiprecision;
    const hp_t ey = forward_error(y, p, 0.5, 0.5);
    const hp_t rho = y > ey ? ey / (y - ey) : std::numeric_limits<hp_t>::infinity();
    return bmp::abs(t) * rho + p.u * bmp::abs(t) * (1 + rho) + p.denorm_min / 2;
  });
  gs.nondifferentiable =
      "sqrt at 0: g/(2·0) = ±inf (NaN for g = 0), PyTorch's grad/(2·result); at −0, ∓inf";
  gs.kink_layouts = {Layout{{{6}}, {}, "x = ±0"}};
  gs.kink_values = {{{0, 1, 4, 0, 2.25, -0.0}}};
  return gs;
}
GradSpec exp_grad_spec() {
  return unary_grad_bound([](hp_t, hp_t y, hp_t g, hp_t, const Precision& p) {
    namespace bmp = boost::multiprecision;
    const hp_t ey = forward_error(y, p, 1, 1), ag = bmp::abs(g);
    return ag * ey + p.u * ag * (bmp::abs(y) + ey) + p.denorm_min / 2;
  });
}
GradSpec tanh_grad_spec() {
  return unary_grad_bound([](hp_t, hp_t y, hp_t g, hp_t, const Precision& p) {
    namespace bmp = boost::multiprecision;
    const hp_t ey = forward_error(y, p, 1, 3), ag = bmp::abs(g);
    const hp_t delta = ey * (2 * bmp::abs(y) + ey);
    return ag * delta + gamma_n(2, p) * ag * (bmp::abs(1 - y * y) + delta) + p.denorm_min / 2;
  });
}
GradSpec sigmoid_grad_spec() {
  return unary_grad_bound([](hp_t, hp_t y, hp_t g, hp_t, const Precision& p) {
    namespace bmp = boost::multiprecision;
    const hp_t ey = forward_error(y, p, 1, 2), ag = bmp::abs(g);
    const hp_t delta = ey * (bmp::abs(1 - 2 * y) + ey);
    return ag * delta + gamma_n(3, p) * ag * (bmp::abs(y * (1 - y)) + delta) +
           (ag + 1) * p.denorm_min / 2;
  });
}
GradSpec gelu_grad_spec() {
  return unary_grad_bound([](hp_t x, hp_t, hp_t g, hp_t, const Precision& p) {
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
  });
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
                           exact_grad()));
VT_REGISTER_SPEC(with_grad(
    with_exact_regime(unary_spec("abs", "|x| (abs(−0) = +0)", kExact, scale_free_domain())),
    exact_grad("abs at ±0: g·sign(0) = g·0 = ±0 (PyTorch's grad·sgn(x)); NaN x gives NaN",
               {0, -0.0, 2, -3, 0, 1})));
VT_REGISTER_SPEC(with_grad(unary_spec("sqrt", "IEEE square root (sqrt(x < 0) = NaN, sqrt(−0) = −0)",
                                      kExact, scale_free_domain(0, 4)),
                           sqrt_grad_spec()));
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
      "passes g through, as in PyTorch",
      {0, -0.0, 1.5, -2, 0, 3});
  return s;
}
VT_REGISTER_SPEC(relu_spec());
VT_REGISTER_SPEC(with_grad(unary_spec("exp", "e^x", ulp(1, 1),
                                      with(-20, 20, {A::specials, A::shift_exp_overflow})),
                           exp_grad_spec()));
VT_REGISTER_SPEC(with_grad(unary_spec("log", "natural logarithm (log(0) = −inf, log(x < 0) = NaN)",
                                      ulp(1, 1), scale_free_domain(0, 4)),
                           exact_grad("log at 0: g/0 = ±inf (NaN for g = 0), PyTorch's grad/x",
                                      {0, 1, 2, -0.0, 0.5, 4})));
VT_REGISTER_SPEC(with_grad(unary_spec("tanh", "hyperbolic tangent", ulp(1, 3),
                                      with(-5, 5,
                                           {A::specials, A::cancellation, A::scale_underflow})),
                           tanh_grad_spec()));
VT_REGISTER_SPEC(with_grad(unary_spec("sigmoid", "1/(1 + e^{−x}), overflow-free", ulp(1, 2),
                                      with(-40, 20, {A::specials})),
                           sigmoid_grad_spec()));
VT_REGISTER_SPEC(with_grad(unary_spec("gelu", "x·Φ(x) = ½·x·erfc(−x/√2) (exact erf form)",
                                      ulp(1, 6), with(-40, 8, {A::specials, A::scale_underflow})),
                           gelu_grad_spec()));

}  // namespace
}  // namespace vt::verify
