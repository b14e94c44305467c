// verify/ops/elementwise.cpp — specs of the binary elementwise ops.
// What it is: for each op, its arity, shape rule (NumPy broadcasting), accuracy class and domain.
// add/sub/mul/div/maximum/minimum are one correctly rounded operation each, hence `exact`:
// the backend must equal the binary128 result rounded to the target type, bit for bit
// (binary128 has 113 ≥ 2p + 2 bits, so that rounding is itself correct — core/dtype.hpp).
// pow is glibc's pow/powf, documented and measured below 1 ulp: ulp(1).
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

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

VT_REGISTER_SPEC(binary_spec("add", "a + b with broadcasting", kExact));
VT_REGISTER_SPEC(binary_spec("sub", "a − b with broadcasting", kExact));
// Products and quotients: only the first operand is scaled to near over/underflow (scaling both
// turns every result into inf or 0); the second keeps ordinary values and the specials.
VT_REGISTER_SPEC(binary_spec("mul", "a × b with broadcasting", kExact,
                             {scale_free_domain(), Domain{}}));
VT_REGISTER_SPEC(binary_spec("div", "a ÷ b with broadcasting", kExact,
                             {scale_free_domain(), Domain{}}));
VT_REGISTER_SPEC(binary_spec("maximum", "IEEE 754-2019 maximum (NaN-propagating, +0 > −0)",
                             kExact));
VT_REGISTER_SPEC(binary_spec("minimum", "IEEE 754-2019 minimum (NaN-propagating, −0 < +0)",
                             kExact));
// glibc 2.36: pow < 1 ulp (libm-test-ulps lists 0 for pow on x86_64), powf correctly rounded in
// round-to-nearest per its source (e_powf.c: "ULP error: 0.82"); k = 1 for both.
VT_REGISTER_SPEC(binary_spec("pow", "a ** b (C99 Annex F special cases)",
                             {.cls = AccuracyClass::ulp, .ulp_f32 = 1, .ulp_f64 = 1},
                             // Specials only: "cancellation" values (±2^10…2^20) as base and
                             // exponent give inf or 0 everywhere — nothing to compare.
                             {{0.05, 4, false, {Adversarial::specials}},
                              {-6, 6, false, {Adversarial::specials}}}));

}  // namespace
}  // namespace vt::verify
