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
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

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

VT_REGISTER_SPEC(with_exact_regime(unary_spec("neg", "−x", kExact, scale_free_domain())));
VT_REGISTER_SPEC(with_exact_regime(unary_spec("abs", "|x| (abs(−0) = +0)", kExact,
                                              scale_free_domain())));
VT_REGISTER_SPEC(unary_spec("sqrt", "IEEE square root (sqrt(x < 0) = NaN, sqrt(−0) = −0)", kExact,
                            scale_free_domain(0, 4)));
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
  return s;
}
VT_REGISTER_SPEC(relu_spec());
VT_REGISTER_SPEC(unary_spec("exp", "e^x", ulp(1, 1),
                            with(-20, 20, {A::specials, A::shift_exp_overflow})));
VT_REGISTER_SPEC(unary_spec("log", "natural logarithm (log(0) = −inf, log(x < 0) = NaN)", ulp(1, 1),
                            scale_free_domain(0, 4)));
VT_REGISTER_SPEC(unary_spec("tanh", "hyperbolic tangent", ulp(1, 3),
                            with(-5, 5, {A::specials, A::cancellation, A::scale_underflow})));
VT_REGISTER_SPEC(unary_spec("sigmoid", "1/(1 + e^{−x}), overflow-free", ulp(1, 2),
                            with(-40, 20, {A::specials})));
VT_REGISTER_SPEC(unary_spec("gelu", "x·Φ(x) = ½·x·erfc(−x/√2) (exact erf form)", ulp(1, 6),
                            with(-40, 8, {A::specials, A::scale_underflow})));

}  // namespace
}  // namespace vt::verify
