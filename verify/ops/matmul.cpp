// verify/ops/matmul.cpp — the spec of matmul (np.matmul semantics), class sum-bound.
// What it is: the shape rule (reference/ops/matmul.hpp), the per-element error bound and its
// derivation, the exact-by-construction range, the sampled check used for layouts too large for
// the full float128 reference, the layouts, and the gradient's bound (G·Bᵀ, Aᵀ·G, folded over
// broadcast batch dimensions), and the second order's (V·W_Bᵀ, W_Aᵀ·V, W_A·B + A·W_B). What it is
// not: an implementation.
//
// ---- The bound (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., §3.1) -----
// Each C_ij = Σ_{k<K} A_ik B_kj is a dot product of length K. In floating point with unit
// roundoff u and gradual underflow, a product is fl(ab) = ab(1 + δ) + η and a sum is
// fl(a + b) = (a + b)(1 + δ) with |δ| ≤ u, |η| ≤ denorm_min/2 (addition is exact when its result
// is subnormal, so it carries no η); a fused multiply-add is fl(ab + c) = (ab + c)(1 + δ) + η.
// Whatever the order of summation (blocked, pairwise, several accumulators, with or without
// FMA), every product passes through at most K such factors (its own rounding and at most K − 1
// additions), and each η through at most K − 1, so
//     Ĉ_ij = Σ_k A_ik B_kj (1 + θ_k) + Σ_k η_k (1 + θ'_k),   |θ_k|, |θ'_k| ≤ γ_K = Ku/(1 − Ku),
// hence
//     |Ĉ_ij − C_ij| ≤ γ_K · G_ij + K · denorm_min · (1 + γ_K)/2 ≤ γ_K · G_ij + K · denorm_min,
//     G_ij = Σ_k |A_ik| |B_kj|  (the gross magnitude of BLAS's DMMCH; the last step uses γ_K ≤ 1,
//                                 and when γ_K > 1 nothing is promised: γ_K is +inf for Ku ≥ 1).
// Cancellation in C_ij cannot trip this bound; a dropped or wrong term can, and in the exact
// regime the comparison is bit for bit.
// The harness compares with the float128 reference y (not C): y itself carries the same bound
// with u = 2^-113, and G is evaluated in float128 too (relative error ≤ γ_K(2^-113)); both are
// covered by adding 3·γ_{K+2}(2^-113)·G — about 2^-88 of the main term for float32, 2^-59 for
// float64, but it keeps the bound a bound.
// Overflow is outside the model, and the implementations handle it instead of the bound: an
// overflowing partial sum makes the element ±inf or NaN for good (inf and NaN absorb every later
// operation), never a wrong finite value, so an implementation recomputes every non-finite
// element in a wider range (the optimized backend: float128, k ascending) and rounds it. Then
// every finite result obeys the bound above — for a recomputed element |fl_T(ŷ₁₂₈) − C| ≤
// u·G + (1 + u)·γ_K(2^-113)·G (+ denorm_min/2 if subnormal) ≤ γ_K·G + K·denorm_min, because
// γ_K − u ≥ max(u², (K − 1)·u) exceeds (1 + u)·γ_K(2^-113) — and every non-finite one is the
// reference's own rounding (compared exactly by the harness).
// G is summed over the finite terms only (a term with an inf or NaN operand is inf or NaN in
// float and float128 alike, and the reference is then non-finite, compared exactly).
#include "reference/ops/matmul.hpp"
#include "reference/core/reference.hpp"
#include "verify/harness/bounds.hpp"
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

#include <boost/multiprecision/float128.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace vt::verify {
namespace {

namespace bmp = boost::multiprecision;

std::vector<OutputDesc> matmul_rule(const std::vector<Shape>& in, const Attrs&) {
  if (in.size() != 2) throw Error("matmul", in, "takes exactly two inputs");
  return {{ref::matmul_shape(in[0], in[1]), OutKind::same_float}};
}

/// The largest finite value of the target precision (2^emax·(2 − 2^(1−digits))).
hp_t largest_finite(const Precision& p) {
  const int emax = p.digits == 24 ? 127 : 1023;
  return bmp::ldexp(hp_t(2) - bmp::ldexp(hp_t(1), 1 - p.digits), emax);
}

/// |a|·|b| when both are finite, else 0: the term's contribution to the gross magnitude G.
hp_t gross_term(const hp_t& a, const hp_t& b) {
  return bmp::isfinite(a) && bmp::isfinite(b) ? hp_t(bmp::abs(a) * bmp::abs(b)) : hp_t(0);
}

/// The admissible |ŷ − y| of one element from its gross magnitude G = Σ_k |A_ik||B_kj| over the
/// finite terms (see the derivation at the top of this file).
hp_t element_bound(hp_t G, std::int64_t K, const Precision& p) {
  return gamma_n(K, p) * G + hp_t(K) * p.denorm_min + 3 * gamma_n(K + 2, reference_precision()) * G;
}

// ---- strided float128 access to one matrix of a batch -------------------------------------

/// Matrix p of a (batch…, R, C) float128 view: element (r, c).
struct Mat {
  const hp_t* base;
  std::int64_t rs, cs;
  const hp_t& operator()(std::int64_t r, std::int64_t c) const { return base[r * rs + c * cs]; }
};

/// Offset of batch element `batch_idx` (a multi-index over the leading dims) in t.
std::int64_t batch_offset(const Tensor& t, const std::vector<std::int64_t>& batch_idx) {
  std::int64_t off = 0;
  for (std::size_t d = 0; d < batch_idx.size(); ++d) off += batch_idx[d] * t.strides()[d];
  return off;
}

Mat matrix_of(const Tensor& t, const std::vector<std::int64_t>& batch_idx) {
  const std::size_t nd = t.shape().size();
  return {t.data<hp_t>() + batch_offset(t, batch_idx), t.strides()[nd - 2], t.strides()[nd - 1]};
}

// ---- bound over the whole output ----------------------------------------------------------

void matmul_bound(BoundArgs& args) {
  const Tensor& a = args.inputs_hp.at(0);
  const Tensor& b = args.inputs_hp.at(1);
  const ref::MatmulOperands ops = ref::matmul_operands(a, b);
  const Tensor bound = ref::matmul_full_output(args.bound, a.ndim(), b.ndim());
  const std::int64_t K = ops.a.dim(-1);
  View<hp_t> A = ops.a.view<hp_t>(), B = ops.b.view<hp_t>(), out = bound.view<hp_t>();
  const std::size_t nd = out.shape.size();
  for_each_index(out.shape, [&](const std::vector<std::int64_t>& idx) {
    std::vector<std::int64_t> ik = idx, kj = idx;
    hp_t G = 0;
    for (std::int64_t k = 0; k < K; ++k) {
      ik[nd - 1] = k;
      kj[nd - 2] = k;
      G += gross_term(A[ik], B[kj]);
    }
    out[idx] = element_bound(G, K, args.precision);
  });
}

// ---- gradient -----------------------------------------------------------------------------
// grad_a = G·Bᵀ (contraction over N) and grad_b = Aᵀ·G (over M), each a matmul in full form
// (batch…, ·, ·), then summed over the m batch elements (and the dimension a 1-d operand lost)
// that the input was broadcast along. Optimized: OpenBLAS for each product, so by the forward's
// analysis with L the contraction length, per full-form element c_p:
//   |ĉ_p − c_p| ≤ γ_L·GG_p + L·dm,   GG_p = Σ_l |G_il||B_kl| (resp. Σ_l |A_lk||G_lj|);
// m = 1: written directly (or copied exactly), E = γ_L·GG + L·dm. m > 1: the full-form gradient
// is folded by opt::sum_to_shape, which adds the m values ĉ_p in float64 and rounds once:
// |Σ̂ − Σ ĉ_p| ≤ γ⁽⁶⁴⁾_{m−1}·Σ|ĉ_p| ≤ γ⁽⁶⁴⁾_{m−1}·((1 + γ_L)·GG + m·L·dm), plus, for float32,
// the final rounding u·|Σ̂| ≤ u·(|R| + E₂). With GG = Σ_p GG_p, R the exact gradient:
//   E₂ = γ_L·GG + m·L·dm + [m > 1]·γ⁽⁶⁴⁾_{m−1}·((1 + γ_L)·GG + m·L·dm),
//   E = E₂ + [m > 1, float32]·u·(|R| + E₂).
// The reference (binary128: L-term sums, then m − 1 more additions in sum_to_shape) adds at most
// γ_{L+m}(2^-113)·GG; 3·γ_{L+m+2}(2^-113)·GG covers it and the evaluation of GG, as in the
// forward. Terms with an inf/NaN factor are left out of GG (the result is then non-finite and
// compared exactly); non-finite GEMM results are recomputed in float128 as in the forward.

/// |t| where finite, else 0, as a contiguous float128 tensor of t's shape.
Tensor abs_finite(const Tensor& t) {
  Tensor r = Tensor::empty(t.shape(), DType::hp);
  const View<hp_t> src = t.view<hp_t>(), dst = r.view<hp_t>();
  for_each_index(t.shape(), [&](const std::vector<std::int64_t>& i) {
    dst[i] = bmp::isfinite(src[i]) ? hp_t(bmp::abs(src[i])) : hp_t(0);
  });
  return r;
}

void matmul_grad_bound(GradBoundArgs& args) {
  const Tensor& a = args.inputs_hp.at(0);
  const Tensor& b = args.inputs_hp.at(1);
  const Tensor& x = args.inputs_hp.at(args.input);
  if (!args.bound.defined() || args.bound.shape() != x.shape() || args.bound.dtype() != DType::hp)
    args.bound = Tensor::empty(x.shape(), DType::hp);
  const ref::MatmulOperands ops = ref::matmul_operands(a, b);
  Tensor g = args.grad_outputs_hp.at(0);
  if (!g.defined()) g = Tensor::empty(ref::matmul_shape(a.shape(), b.shape()), DType::hp);
  const Tensor gf = abs_finite(ref::matmul_full_output(g, a.ndim(), b.ndim()));
  const bool is_a = args.input == 0;
  // GG in full form, then folded onto the input's shape like the gradient itself.
  const Tensor full_op = abs_finite(is_a ? ops.b : ops.a);
  const Tensor gross_full = Tensor::empty((is_a ? ops.a : ops.b).shape(), DType::hp);
  if (is_a)
    ref::matmul_forward<hp_t>(gf.view<hp_t>(), full_op.transpose(-2, -1).view<hp_t>(),
                              gross_full.view<hp_t>());
  else
    ref::matmul_forward<hp_t>(full_op.transpose(-2, -1).view<hp_t>(), gf.view<hp_t>(),
                              gross_full.view<hp_t>());
  const Tensor gross = Tensor::empty(x.shape(), DType::hp);
  ref::sum_to_shape(gross_full,
                    x.ndim() == 1 ? (is_a ? gross.unsqueeze(0) : gross.unsqueeze(1)) : gross);
  const std::int64_t L = is_a ? gf.dim(-1) : gf.dim(-2);
  const std::int64_t m = x.numel() > 0 ? gross_full.numel() / x.numel() : 1;
  const Precision& p = args.precision;
  const hp_t gl = gamma_n(L, p);
  const hp_t under = hp_t(m) * hp_t(L) * p.denorm_min;
  const hp_t gfold = m > 1 ? gamma_n(m - 1, precision_of(DType::f64)) : hp_t(0);
  const hp_t gref = 3 * gamma_n(L + m + 2, reference_precision());
  for_each_index(x.shape(), [&](const std::vector<std::int64_t>& i) {
    const hp_t GG = load_hp(gross, i);
    hp_t e = gl * GG + under + gfold * ((1 + gl) * GG + under);
    if (m > 1 && p.digits == 24) e += p.u * (bmp::abs(load_hp(args.reference, i)) + e);
    const hp_t v = e + gref * GG;
    store_hp(args.bound, i, bmp::isnan(v) ? hp_t(0) : v);
  });
}

// ---- second order -------------------------------------------------------------------------
// The optimized backend computes ∂A = V·W_Bᵀ and ∂B = W_Aᵀ·V with the first-order VJP's code on
// the operand pairs (A, W_B) and (W_A, B), so their bound is matmul_grad_bound on those pairs (the
// derivation above, with B replaced by W_B, resp. A by W_A, and G by V).
// ∂V = W_A·B + A·W_B: two GEMMs ĉ₁, ĉ₂ (each as in the forward) and one addition fl(ĉ₁ + ĉ₂). This
// is one dot product of length 2K in which every product passes through at most K + 1 roundings
// (its own, ≤ K − 1 within its GEMM, the final addition), and each underflow error η through at
// most K (the final addition of a subnormal sum is exact), so, with G₁ = Σ_k |W_A,ik||B_kj| and
// G₂ = Σ_k |A_ik||W_B,kj|:
//   |ĥ − h| ≤ γ_{K+1}·(G₁ + G₂) + 2K·denorm_min.
// An element whose GEMM sum overflowed is recomputed in float128 (s₁ + s₂, then one rounding):
// |fl(ŝ) − h| ≤ u·|h| + γ_{2K+1}(2^-113)·(G₁ + G₂) (+ denorm_min/2), inside the bound above. The
// reference (binary128: two K-term sums and one addition) adds ≤ γ_{K+1}(2^-113)·(G₁ + G₂), and
// the evaluation of G₁ + G₂ a relative γ_{K+1}(2^-113); 3·γ_{K+3}(2^-113)·(G₁ + G₂) covers both.
// Terms with an inf/NaN factor are left out of G₁, G₂ (the result is non-finite, compared exactly).

void matmul_grad2_bound(SecondOrderBoundArgs& args) {
  const Tensor& a = args.inputs_hp.at(0);
  const Tensor& b = args.inputs_hp.at(1);
  const auto given = [](const std::vector<Tensor>& ts, std::size_t i, const Shape& s) {
    return i < ts.size() && ts[i].defined() ? ts[i] : Tensor::empty(s, DType::hp);
  };
  const Shape out = ref::matmul_shape(a.shape(), b.shape());
  const Tensor wa = given(args.grad_grad_inputs_hp, 0, a.shape());
  const Tensor wb = given(args.grad_grad_inputs_hp, 1, b.shape());
  const std::vector<Tensor> v = {given(args.grad_outputs_hp, 0, out)};
  if (args.result < 2) {  // ∂A: the first-order bound of (A, W_B); ∂B: that of (W_A, B)
    const std::vector<Tensor> ins =
        args.result == 0 ? std::vector<Tensor>{a, wb} : std::vector<Tensor>{wa, b};
    GradBoundArgs g{ins,         args.outputs_hp, v,         args.attrs, args.precision,
                    args.result, args.reference,  args.bound};
    matmul_grad_bound(g);
    return;
  }
  if (!args.bound.defined() || args.bound.shape() != out || args.bound.dtype() != DType::hp)
    args.bound = Tensor::empty(out, DType::hp);
  const ref::MatmulOperands ab = ref::matmul_operands(a, b), w = ref::matmul_operands(wa, wb);
  const Tensor gross = Tensor::empty(out, DType::hp);
  const Tensor gf = ref::matmul_full_output(gross, a.ndim(), b.ndim());
  ref::matmul_jvp<hp_t>(abs_finite(w.a).view<hp_t>(), abs_finite(ab.b).view<hp_t>(),
                        abs_finite(ab.a).view<hp_t>(), abs_finite(w.b).view<hp_t>(),
                        gf.view<hp_t>());
  const std::int64_t K = ab.a.dim(-1);
  const Precision& p = args.precision;
  const hp_t gk = gamma_n(K + 1, p), under = 2 * hp_t(K) * p.denorm_min;
  const hp_t gref = 3 * gamma_n(K + 3, reference_precision());
  for_each_index(out, [&](const std::vector<std::int64_t>& i) {
    const hp_t G = load_hp(gross, i);
    const hp_t e = gk * G + under + gref * G;
    store_hp(args.bound, i, bmp::isnan(e) ? hp_t(0) : e);
  });
}

// ---- exact regime -------------------------------------------------------------------------

/// max |x| for both operands such that K·max|a|·max|b| < 2^digits: every product and every
/// partial sum is then an integer (times the case's power of two) below 2^digits, exactly
/// representable in any summation order, so the result must equal the reference bit for bit.
double matmul_exact_range(const Layout& l, DType t) {
  const int digits = t == DType::f32 ? 24 : 53;
  const std::int64_t K = l.shapes.at(0).back();
  const hp_t budget = bmp::ldexp(hp_t(1), digits);
  if (K == 0) return 1024;  // empty sums: the value range does not matter
  auto r = static_cast<std::int64_t>(std::floor(std::sqrt(std::ldexp(1.0, digits) / double(K))));
  while (r > 1 && hp_t(K) * hp_t(r) * hp_t(r) >= budget) --r;
  return static_cast<double>(std::max<std::int64_t>(r, 1));
}

// ---- cost and the sampled check for large layouts -----------------------------------------

double matmul_cost(const Layout& l) {
  const Shape out = ref::matmul_shape(l.shapes.at(0), l.shapes.at(1));
  return static_cast<double>(shape_numel(out)) * static_cast<double>(l.shapes[0].back());
}

/// Reference and bound of the sampled elements: only row i of A and column j of B are read.
void matmul_sample(const LargeCheckArgs& args, const std::vector<std::vector<std::int64_t>>& index,
                   std::vector<hp_t>& value, std::vector<hp_t>& bound) {
  const Tensor& a = args.inputs_hp.at(0);
  const Tensor& b = args.inputs_hp.at(1);
  const ref::MatmulOperands ops = ref::matmul_operands(a, b);
  const std::int64_t K = ops.a.dim(-1);
  value.assign(index.size(), 0);
  bound.assign(index.size(), 0);
  for (std::size_t s = 0; s < index.size(); ++s) {
    const std::vector<std::int64_t> full = ref::matmul_full_index(index[s], a.ndim(), b.ndim());
    const std::vector<std::int64_t> batch(full.begin(), full.end() - 2);
    const std::int64_t i = full[full.size() - 2], j = full.back();
    const Mat A = matrix_of(ops.a, batch), B = matrix_of(ops.b, batch);
    hp_t c = 0, G = 0;
    for (std::int64_t k = 0; k < K; ++k) {  // the reference's order: k ascending
      c += A(i, k) * B(k, j);
      G += gross_term(A(i, k), B(k, j));
    }
    value[s] = c;
    bound[s] = args.exact ? hp_t(0) : element_bound(G, K, args.precision);
  }
}

/// Freivalds-style projections, O(n²) per vector: for random x with entries in {±1, …, ±8},
///   r = Ĉx − A(Bx)   (in float128),  |r_i| ≤ Σ_j |x_j| bound_ij
///                                   = γ_K (|A|(|B||x|))_i + K·denorm_min·‖x‖₁ (+ slack below).
/// Zero entries are left out of x so that every column of Ĉ is seen by every vector.
/// Float128 evaluation: x_j·Ĉ_ij and x_j·B_kj are exact (≤ 53 + 4 bits); the sums over N and K
/// and the products A_ik·(Bx)_k round with u = 2^-113, at most N + K + 2 times along any path,
/// so r carries an extra error ≤ γ_{N+K+2}(2^-113)·((|A|(|B||x|))_i + (|Ĉ||x|)_i), doubled in the
/// bound for the rounding of the bound's own evaluation.
/// Exact regime: A, B are integers × 2^-s with K·max|a|·max|b| < 2^53, |x| ≤ 8, so every
/// intermediate is an integer × 2^-2s below 8·N·2^53 < 2^113: all of it is exact in float128,
/// r = 0 exactly when Ĉ = C, and the bound is 0.
/// Rows of A and columns of B holding inf/NaN, and rows whose elements may rightly be ±inf
/// (G_ij ≤ max_k|A_ik| · max_j Σ_k|B_kj| reaching the overflow threshold), are left to the
/// sampled check; every other element is finite in any correct result.
void matmul_project(const LargeCheckArgs& args, const Tensor& out_hp, Rng& rng,
                    std::vector<hp_t>& residual, std::vector<hp_t>& bound) {
  const Tensor& a = args.inputs_hp.at(0);
  const Tensor& b = args.inputs_hp.at(1);
  const ref::MatmulOperands ops = ref::matmul_operands(a, b);
  const Tensor c = ref::matmul_full_output(out_hp, a.ndim(), b.ndim());
  const std::int64_t M = c.dim(-2), N = c.dim(-1), K = ops.a.dim(-1);
  const Shape batch_shape(c.shape().begin(), c.shape().end() - 2);
  const Precision& p = args.precision;
  const hp_t gk = args.exact ? hp_t(0) : gamma_n(K, p);
  const hp_t slack = args.exact ? hp_t(0) : 2 * gamma_n(N + K + 2, reference_precision());
  const hp_t under = args.exact ? hp_t(0) : hp_t(K) * p.denorm_min;
  const hp_t omega = largest_finite(p);
  constexpr int kVectors = 3;
  std::uniform_int_distribution<int> pick(1, 8), sign(0, 1);

  residual.clear();
  bound.clear();
  for_each_index(batch_shape, [&](const std::vector<std::int64_t>& bidx) {
    const Mat A = matrix_of(ops.a, bidx), B = matrix_of(ops.b, bidx), C = matrix_of(c, bidx);
    // Which columns and rows the projection can judge.
    std::vector<char> col_ok(static_cast<std::size_t>(N), 1),
        row_ok(static_cast<std::size_t>(M), 1);
    hp_t bsum_max = 0;
    for (std::int64_t j = 0; j < N; ++j) {
      hp_t s = 0;
      for (std::int64_t k = 0; k < K; ++k) s += bmp::abs(B(k, j));
      if (!bmp::isfinite(s))
        col_ok[static_cast<std::size_t>(j)] = 0;
      else
        bsum_max = std::max(bsum_max, s);
    }
    for (std::int64_t i = 0; i < M; ++i) {
      hp_t amax = 0;
      bool finite = true;
      for (std::int64_t k = 0; k < K; ++k) {
        finite = finite && bmp::isfinite(A(i, k));
        if (finite) amax = std::max(amax, bmp::abs(A(i, k)));
      }
      // G_ij ≤ max_k|A_ik| · Σ_k|B_kj|: |Ĉ_ij| ≤ (1 + γ_K)·G_ij + K·denorm_min stays finite.
      if (!finite || (1 + gamma_n(K, p)) * amax * bsum_max + hp_t(K) * p.denorm_min >= omega)
        row_ok[static_cast<std::size_t>(i)] = 0;
    }
    for (int v = 0; v < kVectors; ++v) {
      std::vector<hp_t> x(static_cast<std::size_t>(N));
      hp_t x1 = 0;
      for (std::int64_t j = 0; j < N; ++j) {
        const int m = pick(rng) * (sign(rng) ? 1 : -1);
        x[static_cast<std::size_t>(j)] = col_ok[static_cast<std::size_t>(j)] ? hp_t(m) : hp_t(0);
        x1 += bmp::abs(x[static_cast<std::size_t>(j)]);
      }
      // Bx and |B||x| over the judged columns.
      std::vector<hp_t> bx(static_cast<std::size_t>(K), 0), babs(static_cast<std::size_t>(K), 0);
      for (std::int64_t k = 0; k < K; ++k)
        for (std::int64_t j = 0; j < N; ++j)
          if (col_ok[static_cast<std::size_t>(j)]) {
            bx[static_cast<std::size_t>(k)] += B(k, j) * x[static_cast<std::size_t>(j)];
            babs[static_cast<std::size_t>(k)] +=
                bmp::abs(B(k, j)) * bmp::abs(x[static_cast<std::size_t>(j)]);
          }
      for (std::int64_t i = 0; i < M; ++i) {
        if (!row_ok[static_cast<std::size_t>(i)]) {
          residual.push_back(0);
          bound.push_back(0);
          continue;
        }
        hp_t cx = 0, cabs = 0, abx = 0, aabs = 0;
        for (std::int64_t j = 0; j < N; ++j)
          if (col_ok[static_cast<std::size_t>(j)]) {
            cx += C(i, j) * x[static_cast<std::size_t>(j)];
            cabs += bmp::abs(C(i, j)) * bmp::abs(x[static_cast<std::size_t>(j)]);
          }
        for (std::int64_t k = 0; k < K; ++k) {
          abx += A(i, k) * bx[static_cast<std::size_t>(k)];
          aabs += bmp::abs(A(i, k)) * babs[static_cast<std::size_t>(k)];
        }
        residual.push_back(cx - abx);
        bound.push_back(gk * aabs + under * x1 + slack * (aabs + cabs));
      }
    }
  });
}

// ---- layouts ------------------------------------------------------------------------------

/// Adversarial data; the harness takes the case's pattern from A's list (by case index) and
/// applies it to B only when B's list has it too:
///  - specials in A (±0, ±inf, NaN, subnormals, ±max: overflowing and non-overflowing elements
///    side by side) against ordinary B. Not in both: at the harness's density (30%) nearly every
///    dot product longer than ~20 would meet a NaN and the output would be all NaN (vacuous);
///  - cancellation-prone values (±2^10…2^20 among O(1) ones) in both;
///  - A scaled into the subnormal range against ordinary B, so that products straddle the
///    underflow threshold (scaling both underflows every product to 0: vacuous);
///  - A scaled towards overflow against ordinary B: partial sums overflow where the result may
///    be finite, which an implementation must repair rather than return inf or NaN.
const std::vector<Adversarial> kPatternsA = {Adversarial::specials, Adversarial::cancellation,
                                             Adversarial::scale_underflow,
                                             Adversarial::scale_overflow};

Layout mm(Shape a, Shape b, std::string note) {
  return {{std::move(a), std::move(b)}, {}, std::move(note)};
}

/// Sizes that straddle OpenBLAS's register blocks (16/32 rows, 4–8 columns at AVX-512) and
/// the small-matrix kernels: 0, 1, primes and V−1, V, V+1.
const std::vector<std::int64_t>& matmul_sizes() {
  static const std::vector<std::int64_t> s = {0,  1,  2,  3,  5,  7,  13, 15,
                                              16, 17, 31, 32, 33, 63, 64, 65};
  return s;
}

/// Rows of the output (batch · M) and K of a layout; whether an operand is empty.
struct LayoutDims {
  std::int64_t rows = 0, K = 0, N = 0, numel = 0;
  bool empty_input = false;
};
LayoutDims layout_dims(const Layout& l) {
  const Shape& a = l.shapes[0];
  const Shape& b = l.shapes[1];
  LayoutDims d;
  d.K = a.back();
  d.N = b.size() == 1 ? 1 : b.back();
  d.numel = shape_numel(ref::matmul_shape(a, b));
  d.rows = d.N > 0 ? d.numel / d.N : 0;
  d.empty_input = shape_numel(a) == 0 || shape_numel(b) == 0;
  return d;
}

/// Swaps layouts so that every position with bad(i) holds one that fits(…) (when one is left),
/// moving the misfit to a position where it is harmless.
void place(std::vector<Layout>& out, const std::function<bool(std::size_t)>& bad,
           const std::function<bool(const Layout&)>& fits) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!bad(i) || fits(out[i])) continue;
    for (std::size_t j = 0; j < out.size(); ++j)
      if (!bad(j) && fits(out[j])) {
        std::swap(out[i], out[j]);
        break;
      }
  }
}

std::vector<Layout> matmul_layouts(Rng& rng) {
  std::vector<Layout> out = {
      mm({1, 1}, {1, 1}, "1×1"),
      mm({5, 7}, {7, 3}, "small primes"),
      mm({16, 16}, {16, 16}, "16³"),
      mm({17, 33}, {33, 15}, "V±1 around 16/32"),
      mm({31, 64}, {64, 65}, "31×64 @ 64×65"),
      mm({63, 1}, {1, 32}, "outer product (K = 1)"),
      mm({1, 65}, {65, 1}, "inner product as matrices"),
      mm({3, 0}, {0, 4}, "K = 0: zeros"),
      mm({0, 5}, {5, 3}, "M = 0"),
      mm({4, 5}, {5, 0}, "N = 0"),
      mm({7}, {7}, "vector · vector"),
      mm({13}, {13, 5}, "vector @ matrix"),
      mm({6, 13}, {13}, "matrix @ vector"),
      mm({2, 3, 7}, {7}, "batch @ vector"),
      mm({7}, {2, 7, 5}, "vector @ batch"),
      mm({4, 5, 6}, {4, 6, 3}, "batched"),
      mm({2, 1, 5, 7}, {3, 7, 4}, "broadcast batch dims (2,1) × (3)"),
      mm({1, 5, 7}, {3, 7, 4}, "size-1 batch broadcast"),
      mm({3, 5, 7}, {7, 4}, "batched @ matrix"),
      mm({5, 7}, {3, 7, 4}, "matrix @ batched"),
      mm({300, 257}, {257, 311}, "large: sampled + projected"),
      mm({3, 120, 200}, {200, 130}, "large batched: sampled + projected"),
      mm({1000}, {1000, 4100}, "large vector @ matrix"),
      mm({4100, 1000}, {1000}, "large matrix @ vector"),
  };
  const auto& s = matmul_sizes();
  std::uniform_int_distribution<std::size_t> pick(1, s.size() - 1);  // no zeros here
  for (int r = 0; r < 4; ++r) {
    const std::int64_t m = s[pick(rng)], k = s[pick(rng)], n = s[pick(rng)];
    out.push_back(mm({m, k}, {k, n}, "random sizes"));
  }
  // The adversarial regime takes A's pattern by case index (kPatternsA). At the harness's 30%
  // density of specials a dot product much longer than 16 nearly always meets a NaN or two
  // opposite infinities, and an output of few rows is then all NaN (vacuous); the specials
  // positions get short dot products over at least 4 output rows.
  place(
      out, [](std::size_t i) { return kPatternsA[i % kPatternsA.size()] == Adversarial::specials; },
      [](const Layout& l) {
        const LayoutDims d = layout_dims(l);
        return d.empty_input || (d.K <= 16 && (d.numel < 4 || d.rows >= 4));
      });
  return out;
}

std::vector<Layout> matmul_structural_layouts(Rng& rng) {
  std::vector<Layout> out;
  const auto& s = matmul_sizes();
  std::uniform_int_distribution<std::size_t> pick(0, s.size() - 1);
  // N = 1 only with at most 3 rows: the structural regime also places A as a broadcast view
  // (rows repeated), and with N = 1 that makes every output equal (vacuous). Wider N and the
  // 1-d cases below cover the matrix-vector paths.
  auto pick_n = [&] {
    std::int64_t n = 1;
    while (n == 1) n = s[pick(rng)];
    return n;
  };
  // Every size appears once as M, K and N; the other two are drawn.
  for (std::size_t t = 0; t < s.size(); ++t) {
    const std::int64_t k1 = s[pick(rng)], n1 = pick_n();
    out.push_back(mm({s[t], k1}, {k1, n1}, "M = " + std::to_string(s[t])));
    const std::int64_t m = s[pick(rng)], n = pick_n();
    out.push_back(mm({m, s[t]}, {s[t], n}, "K = " + std::to_string(s[t])));
    const std::int64_t m2 = s[t] == 1 ? 1 + static_cast<std::int64_t>(pick(rng) % 3) : s[pick(rng)];
    const std::int64_t k2 = s[pick(rng)];
    out.push_back(mm({m2, k2}, {k2, s[t]}, "N = " + std::to_string(s[t])));
  }
  // Around OpenBLAS's single-thread cut-off (m·n·k = 64³) and the batch-parallel path.
  out.push_back(mm({64, 64}, {64, 64}, "64³: OpenBLAS single-thread limit"));
  out.push_back(mm({65, 64}, {64, 64}, "65·64·64: OpenBLAS threads"));
  out.push_back(mm({129, 97}, {97, 127}, "threaded GEMM"));
  out.push_back(mm({9, 13, 11}, {9, 11, 7}, "batch of small: parallel over batches"));
  out.push_back(mm({2, 1, 17, 33}, {3, 33, 15}, "broadcast batch dims"));
  out.push_back(mm({6, 1, 16}, {16, 16}, "batched vectors as 1-row matrices"));
  out.push_back(mm({33}, {4, 33, 17}, "vector @ batch"));
  out.push_back(mm({4, 17, 33}, {33}, "batch @ vector"));
  out.push_back(mm({65}, {65}, "dot"));
  return out;
}

OpSpec matmul_spec() {
  OpSpec s;
  s.name = "matmul";
  s.family = "matmul";
  s.summary = "np.matmul: (…, M, K) @ (…, K, N), 1-d operands promoted, batch dims broadcast";
  s.min_inputs = s.max_inputs = 2;
  s.shape_rule = matmul_rule;
  s.accuracy = {.cls = AccuracyClass::sum_bound, .bound = matmul_bound};
  s.differentiable = true;
  s.grad.cls = AccuracyClass::sum_bound;
  s.grad.bound = matmul_grad_bound;
  s.grad.second = {.promised = true, .cls = AccuracyClass::sum_bound, .bound = matmul_grad2_bound};
  s.layouts = matmul_layouts;
  s.structural_layouts = matmul_structural_layouts;
  s.domains = {{-4, 4, false, kPatternsA}, {-4, 4, false, {Adversarial::cancellation}}};
  s.exact_range = matmul_exact_range;
  s.reference_cost = matmul_cost;
  s.large_check.sample = matmul_sample;
  s.large_check.project = matmul_project;
  return s;
}

VT_REGISTER_SPEC(matmul_spec());

}  // namespace
}  // namespace vt::verify
