// reference/ops/matmul.hpp — the matrix product with NumPy np.matmul semantics: the spec.
// What it is: the shape rule of np.matmul (1-d operands promoted and the added dimension removed,
// NumPy-broadcast batch dimensions), the views that put both operands and the output in the full
// (batch…, M, K) @ (batch…, K, N) → (batch…, M, N) form, and the triple loop
// C_ij = Σ_k A_ik B_kj over them, the VJP (G·Bᵀ, Aᵀ·G) and the forward's JVP W_A·B + A·W_B that
// the second order needs. What it is not: fast, or aware of dtype — Real is float128 when
// registered.
#pragma once

#include "core/error.hpp"
#include "core/shape.hpp"
#include "core/tensor.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vt::ref {

/// Output shape of np.matmul(a, b). a: (…, M, K) or (K,); b: (…, K, N) or (K,).
/// A 1-d a is read as (1, K) and a 1-d b as (K, 1); the added dimension is removed from the
/// result. Batch dimensions broadcast as in NumPy. Throws vt::Error naming both shapes.
inline Shape matmul_shape(const Shape& a, const Shape& b) {
  if (a.empty() || b.empty())
    throw Error("matmul", {a, b}, "operands must have at least one dimension (np.matmul)");
  for (const Shape* s : {&a, &b})
    for (std::int64_t d : *s)
      if (d < 0) throw Error("matmul", {a, b}, "negative dimension");
  const std::int64_t ka = a.back();
  const std::int64_t kb = b.size() == 1 ? b[0] : b[b.size() - 2];
  if (ka != kb)
    throw Error("matmul", {a, b},
                "contraction dimensions differ: " + std::to_string(ka) +
                    " (last of the first) vs " + std::to_string(kb) +
                    (b.size() == 1 ? " (the second)" : " (second-to-last of the second)"));
  const Shape batch_a(a.begin(), a.end() - std::min<std::ptrdiff_t>(2, std::ssize(a)));
  const Shape batch_b(b.begin(), b.end() - std::min<std::ptrdiff_t>(2, std::ssize(b)));
  Shape out;
  try {
    out = broadcast_shapes({batch_a, batch_b}, "matmul");
  } catch (const Error&) {
    throw Error("matmul", {a, b},
                "batch dimensions " + shape_str(batch_a) + " and " + shape_str(batch_b) +
                    " cannot be broadcast together");
  }
  if (a.size() >= 2) out.push_back(a[a.size() - 2]);  // M
  if (b.size() >= 2) out.push_back(b.back());         // N
  shape_numel(out);                                   // overflow check
  return out;
}

/// The operands in full form: a as (batch…, M, K) and b as (batch…, K, N), batch dimensions
/// broadcast (stride-0 views, no copies).
struct MatmulOperands {
  Tensor a;  // (batch…, M, K)
  Tensor b;  // (batch…, K, N)
};
inline MatmulOperands matmul_operands(const Tensor& a_in, const Tensor& b_in) {
  const Shape out = matmul_shape(a_in.shape(), b_in.shape());
  Tensor a = a_in.ndim() == 1 ? a_in.unsqueeze(0) : a_in;
  Tensor b = b_in.ndim() == 1 ? b_in.unsqueeze(1) : b_in;
  Shape batch(out.begin(), out.end() - (a_in.ndim() == 1 ? 0 : 1) - (b_in.ndim() == 1 ? 0 : 1));
  Shape sa = batch, sb = batch;
  sa.push_back(a.dim(-2));
  sa.push_back(a.dim(-1));
  sb.push_back(b.dim(-2));
  sb.push_back(b.dim(-1));
  return {a.expand(sa), b.expand(sb)};
}

/// The output c (shape matmul_shape(a, b)) as (batch…, M, N): the dimension a 1-d operand
/// removed comes back as a size-1 dimension. a_ndim, b_ndim: ranks of the original operands.
inline Tensor matmul_full_output(const Tensor& c, std::int64_t a_ndim, std::int64_t b_ndim) {
  Tensor full = c;
  if (b_ndim == 1) full = full.unsqueeze(full.ndim());      // (…, [M]) → (…, [M], 1)
  if (a_ndim == 1) full = full.unsqueeze(full.ndim() - 1);  // (…, N) → (…, 1, N)
  return full;
}

/// The same for one index of the output: (batch…, [i], [j]) → (batch…, i, j).
inline std::vector<std::int64_t> matmul_full_index(std::vector<std::int64_t> idx,
                                                   std::int64_t a_ndim, std::int64_t b_ndim) {
  if (b_ndim == 1) idx.push_back(0);
  if (a_ndim == 1) idx.insert(idx.end() - 1, 0);
  return idx;
}

/// C_ij = Σ_k A_ik B_kj for every batch index, summed in order k = 0, 1, …, K−1 in Real.
/// a: (batch…, M, K), b: (batch…, K, N), c: (batch…, M, N) — batch dimensions already equal.
/// Accuracy: in float128 the sum has error ≤ γ_K(2^-113)·Σ_k |A_ik||B_kj| (and is exact when
/// every product and partial sum is a representable integer); K = 0 gives 0.
template <class Real>
void matmul_forward(View<Real> a, View<Real> b, View<Real> c) {
  const std::size_t nd = c.shape.size();
  const std::int64_t K = a.shape[nd - 1];
  for_each_index(c.shape, [&](const std::vector<std::int64_t>& idx) {  // idx = (batch…, i, j)
    std::vector<std::int64_t> ik = idx, kj = idx;  // (batch…, i, k), (…, k, j)
    Real sum = 0;
    for (std::int64_t k = 0; k < K; ++k) {
      ik[nd - 1] = k;
      kj[nd - 2] = k;
      sum += a[ik] * b[kj];
    }
    c[idx] = sum;
  });
}

// ---- vector-Jacobian product -------------------------------------------------------------------
// With C = A·B per batch element: ∂L/∂A = G·Bᵀ and ∂L/∂B = Aᵀ·G (G = ∂L/∂C), computed with
// matmul_forward over transposed views in full form; an operand broadcast along batch dimensions
// (or promoted from 1-d) then gets these summed back onto its own shape (sum_to_shape).

/// ga = g · bᵀ: g (batch…, M, N), b (batch…, K, N), ga (batch…, M, K). Sums over N, n ascending.
template <class Real>
void matmul_backward_a(View<Real> g, View<Real> b_transposed, View<Real> ga) {
  matmul_forward<Real>(g, b_transposed, ga);
}
/// gb = aᵀ · g: a (batch…, M, K) given transposed, g (batch…, M, N), gb (batch…, K, N).
template <class Real>
void matmul_backward_b(View<Real> a_transposed, View<Real> g, View<Real> gb) {
  matmul_forward<Real>(a_transposed, g, gb);
}

// ---- second order ------------------------------------------------------------------------------
// The VJP F(A, B, V) = (V·Bᵀ, Aᵀ·V) is bilinear, so with cotangents W_A, W_B for its two results
// (⟨W, F⟩ = tr(W_Aᵀ V Bᵀ) + tr(W_Bᵀ Aᵀ V)):
//   ∂⟨W, F⟩/∂A = V·W_Bᵀ   (the first-order ∂A with B replaced by W_B),
//   ∂⟨W, F⟩/∂B = W_Aᵀ·V   (the first-order ∂B with A replaced by W_A),
//   ∂⟨W, F⟩/∂V = W_A·B + A·W_B   (the forward's JVP along (W_A, W_B)),
// each summed over broadcast batch dimensions like the first order. No kinks: matmul is smooth.

/// h_ij = Σ_k W_A,ik B_kj + Σ_k A_ik W_B,kj: each product summed k ascending (as matmul_forward
/// does), then the two added. wa, a: (batch…, M, K); b, wb: (batch…, K, N); h: (batch…, M, N).
template <class Real>
void matmul_jvp(View<Real> wa, View<Real> b, View<Real> a, View<Real> wb, View<Real> h) {
  const std::size_t nd = h.shape.size();
  const std::int64_t K = a.shape[nd - 1];
  for_each_index(h.shape, [&](const std::vector<std::int64_t>& idx) {
    std::vector<std::int64_t> ik = idx, kj = idx;
    Real s1 = 0, s2 = 0;
    for (std::int64_t k = 0; k < K; ++k) {
      ik[nd - 1] = k;
      kj[nd - 2] = k;
      s1 += wa[ik] * b[kj];
      s2 += a[ik] * wb[kj];
    }
    h[idx] = s1 + s2;
  });
}

}  // namespace vt::ref
