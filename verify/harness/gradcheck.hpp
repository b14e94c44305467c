// verify/harness/gradcheck.hpp — verification of VJPs (`veritensor verify --grad`).
// What it is: per op × backend × dtype, the row of gradient checks —
//  - reference rows: the float128 reference VJP against central differences of the float128
//    reference forward with Richardson extrapolation, as random projections ⟨VJP(v), u⟩ =
//    d/dt ⟨v, f(x + t·u)⟩; required to agree to 1e-20 relative (float64 resolves 1e-16);
//  - backend rows: the backend's VJP, computed from float inputs and a float output gradient,
//    against the reference VJP of the same values element by element under the op's GradSpec
//    class (exact, ulp(k) or a per-element sum bound), with canaries around every gradient
//    buffer; plus the spec's kink cases, where the backend must follow the convention.
// What it is not: the autograd engine (core/), or forward verification (runner.hpp).
#pragma once

#include "verify/harness/runner.hpp"

#include <functional>
#include <utility>

namespace vt::verify {

/// Relative agreement required between the reference VJP and Richardson-extrapolated central
/// differences, in units of Σ|∂φ/∂x_i·u_i| (plus the rounding floor of the differences).
/// Error analysis: the steps are h = 2^-20…2^-23 relative to each element, and four levels of
/// central Richardson leave a truncation error of O(h^8) ≈ 1e-48 relative for the smooth ops
/// here; the reference's own binary128 rounding (ε ≈ 1e-34) is covered by the separate floor.
/// So 1e-20 is not fitted to results (seen: 1e-27…1e-22): it is the loosest value still four
/// orders of magnitude beyond what float64 (1e-16) could resolve, and a wrong VJP misses it by
/// O(1).
inline constexpr double kFiniteDifferenceTolerance = 1e-20;

/// A derivative by Richardson extrapolation, with the size of its rounding error.
struct Richardson {
  hp_t value = 0;     // the extrapolated derivative
  hp_t rounding = 0;  // bound on the rounding error of the differences
};
/// d/dt φ at 0 from f(t) = (φ(t), Σ|terms of φ(t)|) by central (side 0) or one-sided (side ±1)
/// differences at h0, h0/2, h0/4, h0/8 in float128, combined by Richardson extrapolation
/// (central differences have an error series in h², one-sided in h).
Richardson extrapolate(const std::function<std::pair<hp_t, hp_t>(hp_t)>& f, hp_t h0, int side);

/// One backend case of `verify --grad` (order 1) or `--grad2` (order 2): the backend's VJP or
/// double backward on case c against the reference's, from the same float values, under the
/// op's class for that order, with canaries and the untouched-input check (the property suites
/// in fuzz/ run it on drawn cases).
CaseResult grad_backend_case(const OpSpec& spec, const Implementation& impl, const Case& c,
                             int order, bool bitwise);

/// Whether input i (tensor t) of the op has a gradient: a float input that GradSpec::inputs
/// does not exclude.
bool differentiable_input(const OpSpec& spec, const Tensor& t, std::size_t i);

/// The class a backend's results are held to: the VJP's (order 1) or the double backward's.
struct GradClass {
  AccuracyClass cls;
  double ulp_f32, ulp_f64;
};
GradClass grad_class(const OpSpec& spec, int order);
/// That class's budget in `dtype`: k for ulp(k), 1 (bound utilisation) for sum-bound, ½ ulp
/// for exact.
double grad_budget(const OpSpec& spec, DType dtype, int order);

/// A first-order gradient `got` of input `input` (computed in `dtype`) against the reference
/// VJP `reference` (float128) under the op's GradSpec class — the check verify --grad applies
/// to a backend, from the float inputs, reference outputs and output gradients (all float128).
/// Throws vt::Error when the class is sum-bound and the spec has no bound.
Comparison compare_gradient(const OpSpec& spec, const std::vector<Tensor>& inputs_hp,
                            const std::vector<Tensor>& outputs_hp,
                            const std::vector<Tensor>& grad_outputs_hp, const Attrs& attrs,
                            DType dtype, std::size_t input, const Tensor& reference,
                            const Tensor& got);

/// One row of `verify --grad`: `impl` is the reference (finite-difference check) or a backend.
RowResult verify_grad_row(const OpSpec& spec, const Implementation& impl, DType dtype,
                          const Options& opts);

}  // namespace vt::verify
