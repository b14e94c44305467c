// verify/ops/linear.cpp — the spec of linear (PyTorch's F.linear: y = x·Wᵀ + b), class sum-bound.
// What it is: the shape rule (reference/ops/linear.hpp), the per-element error bound of the
// forward and of each input's gradient with their derivations, the exact-by-construction range
// and the layouts (1-d…4-d x, with and without bias, sizes straddling OpenBLAS's register
// blocks, empty batch / features / outputs). What it is not: an implementation.
//
// ---- The forward bound (Higham, 2nd ed., §3.1, as in verify/ops/matmul.cpp) ------------------
// y_o = Σ_{k<K} x_k W_ok + b_o is a dot product of length K plus one addend. Products round as
// fl(ab) = ab(1 + δ) + η, sums as fl(a + b) = (a + b)(1 + δ), |δ| ≤ u, |η| ≤ dm/2 (dm: the
// smallest subnormal; a subnormal sum is exact). The optimized backend preloads b_o into C and
// runs the GEMM with beta = 1, so in any order of accumulation each product passes through its
// own rounding and at most K additions (K − 1 among the products, one with the bias), the bias
// through at most K additions, and each η through at most K:
//     |ŷ_o − y_o| ≤ γ_{K'}·G_o + K·dm,   G_o = Σ_k |x_k||W_ok| + |b_o|,  K' = K + [bias]
// (adding b after the GEMM instead obeys the same bound: one more rounding of the sum). Without
// a bias it is matmul's bound. The reference (binary128, same analysis at u = 2^-113) and the
// evaluation of G in binary128 add at most 3·γ_{K'+2}(2^-113)·G. Terms with an inf/NaN factor
// are left out of G (the element is then non-finite, compared exactly); an element that
// overflows inside the GEMM is recomputed by the backend in binary128 and rounded once:
// |fl(ŷ₁₂₈) − y| ≤ u·G + γ_{K'}(2^-113)·G, inside the bound (γ_{K'} − u ≥ (K' − 1)·u).
// Exact regime: integers × 2^-s with (K + 8)·R² < 2^digits (s ≤ 3, so |b|·2^s ≤ 8R): every
// product and partial sum is an integer multiple of 2^-2s below 2^digits·2^-2s, exact in any
// order — the GEMM must match the reference bit for bit.
#include "reference/ops/linear.hpp"
#include "verify/harness/bounds.hpp"
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

#include <boost/multiprecision/float128.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

namespace vt::verify {
namespace {

namespace bmp = boost::multiprecision;

std::vector<OutputDesc> linear_rule(const std::vector<Shape>& in, const Attrs&) {
  return {{ref::linear_shape(in), OutKind::same_float}};
}

/// |v| when finite, else 0.
hp_t fin(const hp_t& v) { return bmp::isfinite(v) ? hp_t(bmp::abs(v)) : hp_t(0); }

/// |a|·|b| when both are finite, else 0: a term's share of a gross magnitude.
hp_t gross_term(const hp_t& a, const hp_t& b) {
  return bmp::isfinite(a) && bmp::isfinite(b) ? hp_t(bmp::abs(a) * bmp::abs(b)) : hp_t(0);
}

/// x as (M, K): rows of the flattened batch (a view or a copy; float128).
Tensor flat(const Tensor& x) {
  const std::int64_t K = x.shape().back();
  const std::int64_t M = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));
  return x.reshape({M, K});
}

void linear_bound(BoundArgs& a) {
  const Tensor x = flat(a.inputs_hp.at(0));
  const Tensor& w = a.inputs_hp.at(1);
  const bool has_bias = a.inputs_hp.size() == 3;
  const std::int64_t M = x.dim(0), K = x.dim(1), N = w.dim(0);
  Tensor& b = bound_tensor(a, ref::linear_shape({a.inputs_hp[0].shape(), w.shape()}));
  const Tensor bf = b.reshape({M, N});  // b is contiguous: a view
  const std::int64_t Kp = K + (has_bias ? 1 : 0);
  const hp_t gk = gamma_n(Kp, a.precision), gref = 3 * gamma_n(Kp + 2, reference_precision());
  const hp_t under = hp_t(K) * a.precision.denorm_min;
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t o = 0; o < N; ++o) {
      hp_t G = has_bias ? fin(load_hp(a.inputs_hp[2], {o})) : hp_t(0);
      for (std::int64_t k = 0; k < K; ++k) G += gross_term(load_hp(x, {i, k}), load_hp(w, {o, k}));
      store_hp(bf, {i, o}, gk * G + under + gref * G);
    }
}

// ---- gradients ----------------------------------------------------------------------------
// gx = g·W (contraction over out, L = N) and gW = gᵀ·x (over the flattened batch, L = M) are
// GEMMs written directly into the gradient (or a temporary copied exactly), so by the forward's
// analysis without a bias:  |ê − e| ≤ γ_L·GG + L·dm,  GG = Σ_l |g_·l||W_l·| (resp. Σ_m
// |g_mo||x_mk|), plus 3·γ_{L+2}(2^-113)·GG for the reference (binary128 sums of L products) and
// GG's evaluation; non-finite GEMM results are recomputed in binary128 as in the forward. gb = Σ_m
// g_mo is opt::sum_to_shape: float64 sums and one rounding, |ĝb − gb| ≤ γ⁽⁶⁴⁾_{M−1}·Σ_m|g_mo| +
// [float32]·u·(|gb| + γ⁽⁶⁴⁾_{M−1}·Σ_m|g_mo|) (M = 1: an exact copy), plus γ_M(2^-113)·Σ|g| for the
// reference's binary128 sum.

void linear_grad_bound(GradBoundArgs& a) {
  const Tensor& x_in = a.inputs_hp.at(0);
  const Tensor x = flat(x_in);
  const Tensor& w = a.inputs_hp.at(1);
  const std::int64_t M = x.dim(0), K = x.dim(1), N = w.dim(0);
  const Tensor& in = a.inputs_hp.at(a.input);
  if (!a.bound.defined() || a.bound.shape() != in.shape() || a.bound.dtype() != DType::hp)
    a.bound = Tensor::empty(in.shape(), DType::hp);
  Shape ys = x_in.shape();
  ys.back() = N;
  Tensor g = a.grad_outputs_hp.at(0);
  if (!g.defined()) g = Tensor::empty(ys, DType::hp);
  const Tensor gm = g.reshape({M, N});
  const Precision& p = a.precision;
  auto put = [&](const Tensor& t, const std::vector<std::int64_t>& i, hp_t v) {
    store_hp(t, i, bmp::isnan(v) ? hp_t(0) : v);
  };
  if (a.input == 0) {  // gx (M, K): L = N
    const Tensor bf = a.bound.reshape({M, K});
    const hp_t gl = gamma_n(N, p), gref = 3 * gamma_n(N + 2, reference_precision());
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t k = 0; k < K; ++k) {
        hp_t GG = 0;
        for (std::int64_t o = 0; o < N; ++o)
          GG += gross_term(load_hp(gm, {i, o}), load_hp(w, {o, k}));
        put(bf, {i, k}, gl * GG + hp_t(N) * p.denorm_min + gref * GG);
      }
  } else if (a.input == 1) {  // gW (N, K): L = M
    const hp_t gl = gamma_n(M, p), gref = 3 * gamma_n(M + 2, reference_precision());
    for (std::int64_t o = 0; o < N; ++o)
      for (std::int64_t k = 0; k < K; ++k) {
        hp_t GG = 0;
        for (std::int64_t i = 0; i < M; ++i)
          GG += gross_term(load_hp(gm, {i, o}), load_hp(x, {i, k}));
        put(a.bound, {o, k}, gl * GG + hp_t(M) * p.denorm_min + gref * GG);
      }
  } else {  // gb (N): sum_to_shape over M rows
    const hp_t g64 = M > 1 ? gamma_n(M - 1, precision_of(DType::f64)) : hp_t(0);
    const hp_t gref = gamma_n(M, reference_precision());
    for (std::int64_t o = 0; o < N; ++o) {
      hp_t G = 0;
      for (std::int64_t i = 0; i < M; ++i) G += fin(load_hp(gm, {i, o}));
      hp_t e = g64 * G;
      if (p.digits == 24) e += p.u * (bmp::abs(load_hp(a.reference, {o})) + e);
      put(a.bound, {o}, e + gref * G);
    }
  }
}

// ---- exact regime, cost, layouts ----------------------------------------------------------

double linear_exact_range(const Layout& l, DType t) {
  const int digits = t == DType::f32 ? 24 : 53;
  const std::int64_t K = l.shapes.at(0).back();
  auto r =
      static_cast<std::int64_t>(std::floor(std::sqrt(std::ldexp(1.0, digits) / double(K + 8))));
  while (r > 1 && hp_t(K + 8) * hp_t(r) * hp_t(r) >= bmp::ldexp(hp_t(1), digits)) --r;
  return static_cast<double>(std::max<std::int64_t>(r, 1));
}

double linear_cost(const Layout& l) {
  const Shape& x = l.shapes.at(0);
  return static_cast<double>(shape_numel(x)) * static_cast<double>(l.shapes.at(1).at(0));
}

/// x (…, in), W (out, in), and b (out) when `bias`.
Layout lin(Shape x, std::int64_t out, bool bias, std::string note) {
  const std::int64_t in = x.back();
  Layout l{{std::move(x), {out, in}}, {}, std::move(note)};
  if (bias) l.shapes.push_back({out});
  if (!bias) l.note += ", no bias";
  return l;
}

/// The adversarial regime takes x's pattern by case index (kPatternsX): specials in x against
/// ordinary W and b (in every operand nearly every output would be NaN), cancellation in all,
/// x scaled into the subnormals or towards overflow (partial sums overflow where y is finite:
/// the backend must repair, not return inf). Specials positions get K ≤ 16 and ≥ 4 outputs.
const std::vector<Adversarial> kPatternsX = {Adversarial::specials, Adversarial::cancellation,
                                             Adversarial::scale_underflow,
                                             Adversarial::scale_overflow};

std::vector<Layout> linear_layouts(Rng& rng) {
  std::vector<Layout> out = {
      lin({7}, 5, true, "1-d x"),
      lin({5, 7}, 3, true, "small primes"),
      lin({16, 16}, 16, true, "16³"),
      lin({17, 33}, 15, true, "V±1 around 16/32"),
      lin({4, 9}, 6, false, "matrix"),
      lin({2, 3, 13}, 5, true, "3-d batch"),
      lin({2, 3, 4, 6}, 7, true, "4-d batch"),
      lin({31, 64}, 65, false, "31×64 · 64×65"),
      lin({8, 1}, 12, true, "in = 1"),
      lin({5, 16}, 1, true, "out = 1"),
      lin({3, 0}, 4, true, "in = 0: y = b"),
      lin({0, 5}, 3, true, "empty batch"),
      lin({4, 5}, 0, true, "out = 0"),
      lin({1, 65}, 2, true, "one row"),
      lin({6, 2, 11}, 9, false, "3-d batch"),
      lin({64, 100}, 48, true, "larger"),
  };
  for (int r = 0; r < 4; ++r) {
    const Shape x = random_shape(rng, 1 + r % 3, 2, 20);
    out.push_back(lin(x, random_shape(rng, 1, 2, 20)[0], r % 2 == 0, "random sizes"));
  }
  // Specials positions (index ≡ 0 mod 4) get short dot products over ≥ 4 outputs.
  auto fits = [](const Layout& l) {
    const std::int64_t K = l.shapes[0].back();
    const std::int64_t n = shape_numel(l.shapes[0]) / std::max<std::int64_t>(1, K) * l.shapes[1][0];
    return shape_numel(l.shapes[0]) == 0 || l.shapes[1][0] == 0 || (K <= 16 && n >= 4);
  };
  for (std::size_t i = 0; i < out.size(); i += kPatternsX.size()) {
    if (fits(out[i])) continue;
    for (std::size_t j = 0; j < out.size(); ++j)
      if (j % kPatternsX.size() != 0 && fits(out[j])) {
        std::swap(out[i], out[j]);
        break;
      }
  }
  return out;
}

/// Sizes straddling OpenBLAS's register blocks; N ≥ 2 so that a broadcast x (rows repeated)
/// still gives distinct outputs.
std::vector<Layout> linear_structural(Rng& rng) {
  static const std::vector<std::int64_t> s = {1,  2,  3,  5,  7,  13, 15, 16,
                                              17, 31, 32, 33, 63, 64, 65};
  std::uniform_int_distribution<std::size_t> pick(0, s.size() - 1);
  std::vector<Layout> out;
  for (std::size_t t = 0; t < s.size(); ++t) {
    const std::int64_t n = std::max<std::int64_t>(2, s[pick(rng)]);
    out.push_back(lin({s[t], s[pick(rng)]}, n, t % 2 == 0, "M = " + std::to_string(s[t])));
    out.push_back(lin({s[pick(rng)], s[t]}, n, t % 2 == 1, "K = " + std::to_string(s[t])));
    out.push_back(lin({s[pick(rng)], s[pick(rng)]}, std::max<std::int64_t>(2, s[t]), t % 2 == 0,
                      "N = " + std::to_string(std::max<std::int64_t>(2, s[t]))));
  }
  out.push_back(lin({65, 64}, 64, true, "65·64·64: OpenBLAS threads"));
  out.push_back(lin({3, 43, 97}, 31, true, "3-d batch flattened into one GEMM"));
  out.push_back(lin({2, 2, 3, 33}, 17, false, "4-d batch"));
  out.push_back(lin({33}, 17, true, "1-d x"));
  out.push_back(lin({0, 7}, 5, true, "empty batch"));
  out.push_back(lin({5, 0}, 3, false, "in = 0 without bias: zeros"));
  return out;
}

OpSpec linear_spec() {
  OpSpec s;
  s.name = "linear";
  s.family = "linear";
  s.summary = "F.linear: y = x·Wᵀ + b, x (…, in), W (out, in), b (out) optional";
  s.min_inputs = 2;
  s.max_inputs = 3;
  s.shape_rule = linear_rule;
  s.accuracy = {.cls = AccuracyClass::sum_bound, .bound = linear_bound};
  s.differentiable = true;
  s.grad.cls = AccuracyClass::sum_bound;
  s.grad.bound = linear_grad_bound;
  s.layouts = linear_layouts;
  s.structural_layouts = linear_structural;
  s.domains = {{-4, 4, false, kPatternsX}, {-4, 4, false, {Adversarial::cancellation}}};
  s.exact_range = linear_exact_range;
  s.reference_cost = linear_cost;
  return s;
}

VT_REGISTER_SPEC(linear_spec());

}  // namespace
}  // namespace vt::verify
