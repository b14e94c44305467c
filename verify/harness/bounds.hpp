// verify/harness/bounds.hpp — building blocks of the sum-bound error analyses (DESIGN.md
// "Accuracy classes"): rows of a reduction gathered in float128, Higham's bound for a sum in any
// order, and the error of a max-shifted exponential sum (logsumexp, softmax, log_softmax).
// Every bound is the backend's worst-case error plus the reference's own, i.e. the same analysis
// evaluated at the target precision and at binary128 (reference_precision()).
// What it is not: a comparison (compare.hpp) or a tolerance — nothing here is a fudge factor.
#pragma once

#include "verify/harness/spec.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace vt::verify {

/// binary128 itself (u = 2^-113): what the reference computes in.
Precision reference_precision();

/// Normalised axes of a reduction from the attribute "axis" (empty list: every axis).
std::vector<std::int64_t> reduction_axes(const Attrs& attrs, std::int64_t ndim,
                                         const std::string& op);

/// Number of elements each output of the reduction reduces (1 for no axes of a 0-d input).
std::int64_t reduced_count(const Shape& in, const std::vector<std::int64_t>& axes);

using RowFn = std::function<void(const std::vector<std::int64_t>&, const std::vector<hp_t>&)>;

/// f(out_index, row) for every element of the keepdims-shaped output of reducing x (float128,
/// any shape) over `axes` (normalised); row: the reduced elements in row-major order.
void for_each_reduced_row(const Tensor& x, const std::vector<std::int64_t>& axes, const RowFn& f);

/// f(index, row) for every row of x along `axis` (normalised; 0 for a 0-d x): index is the row's
/// element 0 (set index[axis] = k for element k).
void for_each_row_along(const Tensor& x, std::int64_t axis, const RowFn& f);

/// `t` shaped like a reduction's output 0, viewed with the reduced axes present (size 1).
Tensor with_reduced_axes(const Tensor& t, const std::vector<std::int64_t>& axes, bool keepdims);

/// The bound tensor of a BoundArgs, allocated (float128, shape `shape`) if the harness did not.
Tensor& bound_tensor(BoundArgs& a, const Shape& shape);

/// The second-order spec of an op linear in its float inputs (core/registry.hpp,
/// linear_double_backward): ∂⟨w, F⟩/∂x is exactly zero and ∂⟨w, F⟩/∂v is the forward applied
/// to w, so it is held to the forward's own class, its bound evaluated on w.
SecondOrderSpec linear_second_order(const Accuracy& forward);

/// Σ|x_i|.
hp_t gross_sum(const std::vector<hp_t>& row);

/// Worst-case |ŝ − s| of a floating-point sum of n terms with gross magnitude G = Σ|terms|, in
/// any order (recursive, pairwise, blocked, lanes): γ_{n−1}·G (Higham, "Accuracy and Stability of
/// Numerical Algorithms", 2nd ed., §4.2: every term passes through at most n − 1 additions, each a
/// factor (1 + δ), |δ| ≤ u). Addition has no underflow error (a subnormal sum is exact), so there
/// is no absolute term. The analysis assumes no partial sum overflows: an implementation whose
/// partial sums overflow where the rounded result is finite returns inf or NaN against a finite
/// reference, which the comparison rejects whatever the bound (the optimized code recomputes
/// such outputs in a wider type).
hp_t sum_error(std::int64_t n, hp_t gross, const Precision& p);

/// A max-shifted exponential sum S = Σ exp(x_i − m), m = max x_i, and the worst-case error of
/// computing it as Ŝ = fl(Σ ê_i), ê_i = exp_impl(fl(x_i − m)), with exp_impl within 1 ulp
/// (glibc exp/expf, and the optimized exp_f32 at 0.51 ulp). Derivation (z_i = x_i − m ≤ 0):
///  - fl(z_i) = z_i(1 + δ), |δ| ≤ u, lies in [z_i(1 + u), z_i(1 − u)] (no underflow error in a
///    subtraction); exp is convex, so |e^fl(z_i) − e^z_i| ≤ e^{z_i(1−u)} − e^{z_i}: the rounding
///    of x_i − m becomes a relative error of about u·|z_i| after exp;
///  - 1 ulp of exp: |ê_i − e^fl(z_i)| ≤ 2u·e^fl(z_i) + denorm_min (ulp(v) ≤ 2u·v for normal v,
///    = denorm_min for subnormal v), with e^fl(z_i) ≤ e^{z_i(1−u)};
///  ⇒ |ê_i − w_i| ≤ a_i := (1 + 2u)·e^{z_i(1−u)} − w_i + denorm_min, w_i = e^{z_i};
///  - the sum in any order (sum_error): |Ŝ − Σ ê_i| ≤ γ_{n−1}·Σ ê_i ≤ γ_{n−1}·Σ(w_i + a_i);
///  ⇒ |Ŝ − S| ≤ err_S := Σ a_i + γ_{n−1}·Σ(w_i + a_i).
/// Only meaningful when m is finite (otherwise the results are non-finite and compared exactly).
struct ExpSum {
  hp_t m = 0;
  std::vector<hp_t> z, w, a;  // x_i − m, exp(x_i − m), bound on |ê_i − w_i|
  hp_t S = 0, err_S = 0;
  bool finite = false;  // m finite (and the row not empty)
};
ExpSum exp_sum(const std::vector<hp_t>& row, const Precision& p);

/// Worst-case |fl(log Ŝ) − log S| with log within 1 ulp:
///  |log Ŝ − log S| = |log(1 + t)|, |t| ≤ err_S/S < 1, so ≤ λ := err_S/(S − err_S);
///  |fl(log Ŝ) − log Ŝ| ≤ 2u·|log Ŝ| + denorm_min ≤ 2u·(log S + λ) + denorm_min (S ≥ 1).
///  ⇒ Λ = λ + 2u·(log S + λ) + denorm_min.  (+inf when err_S ≥ S.)
hp_t log_sum_error(const ExpSum& e, const Precision& p);

}  // namespace vt::verify
