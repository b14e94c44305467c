// optimized/ops/linear.cpp — float32/float64 linear (y = x·Wᵀ + b, PyTorch's F.linear) and its
// VJP on OpenBLAS GEMM.
// Shaped this way because: the layer is one GEMM. x's leading dimensions are flattened into the
// M rows of one (M × in)·(in × out) product (reshape is a view whenever the strides allow; only
// then-undescribable layouts are copied), W is read in place as Wᵀ through BLAS's transpose flag
// and its leading dimension, and one cblas_sgemm/dgemm call covers the whole batch — OpenBLAS
// packs W once and threads the call itself (one row, batch 1, is a cblas_?gemv instead). The bias
// is preloaded into C (each row = b) and the GEMM runs with beta = 1, as PyTorch's addmm does:
// OpenBLAS must initialise C before accumulating anyway (beta = 0 is a zeroing pass), so writing b
// there instead costs nothing, whereas adding b afterwards is one more read-modify-write pass over
// the M × out output; the bias is then one more addend of each dot product, inside the same
// γ_{in+1} bound. Overflow as in matmul: an element BLAS returns non-finite (an inf/NaN operand or
// an overflowing partial sum) is recomputed in float128 — Σ_k x·W (k ascending) then + b, the
// reference's order — and rounded once; an overflow can never leave a wrong finite value.
// VJP: gx = g·W and gW = gᵀ·x are two more GEMMs through the same routine (gᵀ is a transposed
// view); gb = Σ g over the batch is opt::sum_to_shape (float64 sums, one rounding).
// Bits: the same on every run for one thread count; OpenBLAS partitions threaded GEMMs by thread
// count (see optimized/ops/matmul.cpp), hence Determinism::per_thread_count.
#include "optimized/ops/linear.hpp"
#include "core/dtype.hpp"
#include "core/registry.hpp"
#include "core/tensor.hpp"
#include "optimized/core/broadcast_grad.hpp"
#include "optimized/core/math.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace vt::opt {
namespace {

std::vector<Shape> shapes_of(const std::vector<Tensor>& t) {
  std::vector<Shape> s;
  for (const Tensor& x : t) s.push_back(x.shape());
  return s;
}

}  // namespace

// Shared with the CUDA backend (optimized/ops/linear.hpp).
void linear_check(const std::vector<Tensor>& in, const Tensor& out, const char* backend) {
  const std::vector<Shape> s = shapes_of(in);
  if (in.size() != 2 && in.size() != 3)
    throw Error("linear", s, "takes x, weight and an optional bias (2 or 3 inputs)");
  const Tensor& x = in[0];
  const Tensor& w = in[1];
  if (x.ndim() < 1 || w.ndim() != 2 || x.shape().back() != w.dim(1) ||
      (in.size() == 3 && (in[2].ndim() != 1 || in[2].dim(0) != w.dim(0))))
    throw Error("linear", s, "expects x (…, in), weight (out, in) and bias (out)");
  Shape expect = x.shape();
  expect.back() = w.dim(0);
  if (out.shape() != expect)
    throw Error("linear", s, "output shape " + shape_str(out.shape()) + " does not match");
  for (const Tensor& t : in)
    if (t.dtype() != out.dtype() || (t.dtype() != DType::f32 && t.dtype() != DType::f64))
      throw Error(
          "linear", s,
          std::string(backend) + " backend supports float32 and float64 operands of one dtype");
}

namespace {

/// A strided matrix operand: element (r, c) at p[r·rs + c·cs].
template <class T>
struct Mat {
  const T* p;
  std::int64_t rows, cols, rs, cs;
  T at(std::int64_t r, std::int64_t c) const { return p[r * rs + c * cs]; }
};

/// How BLAS (row-major interface) reads a matrix in place: transpose flag and leading dimension.
struct BlasView {
  bool ok = false;
  CBLAS_TRANSPOSE op = CblasNoTrans;
  blasint ld = 1;
};

template <class T>
BlasView blas_view(const Mat<T>& m) {
  if ((m.cols <= 1 || m.cs == 1) && (m.rows <= 1 || m.rs >= std::max<std::int64_t>(1, m.cols))) {
    const std::int64_t ld = m.rows <= 1 ? std::max<std::int64_t>(1, m.cols) : m.rs;
    if (ld <= INT_MAX) return {true, CblasNoTrans, static_cast<blasint>(ld)};
  }
  if ((m.rows <= 1 || m.rs == 1) && (m.cols <= 1 || m.cs >= std::max<std::int64_t>(1, m.rows))) {
    const std::int64_t ld = m.cols <= 1 ? std::max<std::int64_t>(1, m.rows) : m.cs;
    if (ld <= INT_MAX) return {true, CblasTrans, static_cast<blasint>(ld)};
  }
  return {};
}

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, const float* a,
          blasint lda, const float* b, blasint ldb, float beta, float* c, blasint ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, const double* a,
          blasint lda, const double* b, blasint ldb, double beta, double* c, blasint ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc);
}
/// y (length of op(S)'s rows) += op(S)·x, S row-major with leading dimension lds.
void gemv(CBLAS_TRANSPOSE op, blasint rows, blasint cols, const float* s, blasint lds,
          const float* x, blasint incx, float* y) {
  cblas_sgemv(CblasRowMajor, op, rows, cols, 1.0f, s, lds, x, incx, 1.0f, y, 1);
}
void gemv(CBLAS_TRANSPOSE op, blasint rows, blasint cols, const double* s, blasint lds,
          const double* x, blasint incx, double* y) {
  cblas_dgemv(CblasRowMajor, op, rows, cols, 1.0, s, lds, x, incx, 1.0, y, 1);
}

/// A matrix BLAS can read: m itself, or a row-major copy in `scratch`.
template <class T>
Mat<T> readable(const Mat<T>& m, std::vector<T>& scratch, BlasView& v) {
  v = blas_view(m);
  if (v.ok) return m;
  scratch.resize(static_cast<std::size_t>(m.rows * m.cols));
  for (std::int64_t r = 0; r < m.rows; ++r)
    for (std::int64_t c = 0; c < m.cols; ++c)
      scratch[static_cast<std::size_t>(r * m.cols + c)] = m.at(r, c);
  v = {true, CblasNoTrans, static_cast<blasint>(std::max<std::int64_t>(1, m.cols))};
  return {scratch.data(), m.rows, m.cols, m.cols, 1};
}

/// out (M × N, any strides) = A (M × K)·B (K × N) [+ bias_j in every row], by one GEMM into a
/// row-major buffer (out itself when it is one), then the float128 repair of non-finite results.
template <class T>
void gemm_into(const Mat<T>& A, const Mat<T>& B, const T* bias, std::int64_t bias_stride,
               const Tensor& out, const char* op, const std::vector<Shape>& shapes) {
  const std::int64_t M = A.rows, N = B.cols, K = A.cols;
  if (M == 0 || N == 0) return;
  if (M > INT_MAX || N > INT_MAX || K > INT_MAX)
    throw Error(op, shapes, "a matrix dimension exceeds OpenBLAS's 32-bit index range");
  T* const o = out.data<T>();
  const bool direct = out.strides()[1] == 1 && out.strides()[0] == N;
  std::vector<T> tmp(direct ? 0 : static_cast<std::size_t>(M * N));
  T* const c = direct ? o : tmp.data();
  bool nonfinite = false;  // some element of c is ±inf or NaN: the repair below is needed
  if (K == 1 && !bias) {
    // An outer product (the weight gradient at batch 1): each element is one correctly rounded
    // product, as GEMM would give it, written in one pass that also looks for non-finite
    // results — GEMM would need C zeroed first, and that fill, OpenBLAS's K = 1 path and a
    // second pass over C cost twice this (bench: linear fwd+bwd b1).
    for (std::int64_t i = 0; i < M; ++i) {
      const T a = A.at(i, 0);
      for (std::int64_t j = 0; j < N; ++j) c[i * N + j] = a * B.at(0, j);
      nonfinite = nonfinite || any_nonfinite(c + i * N, N);  // the row is still in L1
    }
  } else {
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) c[i * N + j] = bias ? bias[j * bias_stride] : T(0);
  }
  if (K > 1 || (K == 1 && bias)) {
    std::vector<T> sa, sb;
    BlasView va, vb;
    const Mat<T> a = readable(A, sa, va), b = readable(B, sb, vb);
    const auto n = static_cast<blasint>(N), k = static_cast<blasint>(K);
    if (M == 1) {
      // One row (batch 1): a matrix-vector product. OpenBLAS 0.3.21's GEMM has no M = 1 path
      // (784→128 float32: 24 µs, against 4.8 µs for NumPy's gemv; `veritensor bench`), so the
      // row of A is x of a GEMV on B as stored: K × N (c = Bᵀ·x) or, W read in place, N × K.
      const blasint inc = va.op == CblasNoTrans ? 1 : va.ld;
      if (vb.op == CblasNoTrans)
        gemv(CblasTrans, k, n, b.p, vb.ld, a.p, inc, c);
      else
        gemv(CblasNoTrans, n, k, b.p, vb.ld, a.p, inc, c);
    } else {
      gemm(va.op, vb.op, static_cast<blasint>(M), n, k, a.p, va.ld, b.p, vb.ld, T(1), c, n);
    }
  }
  if (!(K == 1 && !bias)) nonfinite = any_nonfinite(c, M * N);
  if (nonfinite)
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) {
        T& cij = c[i * N + j];
        if (std::isfinite(cij)) continue;
        hp_t s = 0;
        for (std::int64_t k = 0; k < K; ++k) s += hp_t(A.at(i, k)) * hp_t(B.at(k, j));
        if (bias) s += hp_t(bias[j * bias_stride]);
        cij = static_cast<T>(s);
      }
  if (!direct)
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j)
        o[i * out.strides()[0] + j * out.strides()[1]] = c[i * N + j];
}

/// t (…, K) as an (M × K) matrix: a view when the strides allow, a contiguous copy otherwise.
template <class T>
Mat<T> flat(const Tensor& t, Tensor& keep) {
  const std::int64_t K = t.shape().back();
  const std::int64_t M =
      K > 0 ? t.numel() / K : shape_numel(Shape(t.shape().begin(), t.shape().end() - 1));
  keep = t.reshape({M, K});
  return {keep.data<T>(), M, K, keep.strides()[0], keep.strides()[1]};
}

template <class T>
void linear_typed(OpCall& c) {
  const Tensor& x = c.inputs[0];
  const Tensor& w = c.inputs[1];
  const bool has_bias = c.inputs.size() == 3;
  Tensor xk;
  const Mat<T> X = flat<T>(x, xk);
  // B = Wᵀ: (in × out), element (k, o) = W[o, k].
  const Mat<T> Wt{w.data<T>(), w.dim(1), w.dim(0), w.strides()[1], w.strides()[0]};
  Tensor out = c.outputs[0];
  const bool direct = out.is_contiguous();
  const Tensor y = direct ? out : Tensor::empty(out.shape(), out.dtype());
  gemm_into<T>(X, Wt, has_bias ? c.inputs[2].data<T>() : nullptr,
               has_bias ? c.inputs[2].strides()[0] : 0, y.reshape({X.rows, w.dim(0)}), "linear",
               shapes_of(c.inputs));
  if (!direct) out.copy_from(y);
}

// x: (…, in), w: (out, in), b: (out) optional; y: (…, out).
void linear_forward(OpCall& c) {
  linear_check(c.inputs, c.outputs.at(0), backend::optimized);
  if (c.outputs[0].dtype() == DType::f32)
    linear_typed<float>(c);
  else
    linear_typed<double>(c);
}

// ---- VJP ---------------------------------------------------------------------------------------

template <class T>
void linear_vjp_typed(BackwardCall& bc) {
  const OpCall& f = *bc.forward;
  const Tensor& x = f.inputs[0];
  const Tensor& w = f.inputs[1];
  Tensor g0 = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  if (!g0.defined()) g0 = Tensor::empty(f.outputs.at(0).shape(), x.dtype());
  Tensor gk;
  const Mat<T> G = flat<T>(g0, gk);  // (M × out)
  const std::vector<Shape> shapes = shapes_of(f.inputs);
  auto wanted = [&](std::size_t i) {
    return bc.grad_inputs.size() > i && bc.grad_inputs[i].defined();
  };
  if (wanted(0)) {  // gx (M × in) = G (M × out)·W (out × in)
    Tensor gx = bc.grad_inputs[0];
    const Mat<T> W{w.data<T>(), w.dim(0), w.dim(1), w.strides()[0], w.strides()[1]};
    const bool direct = gx.is_contiguous();
    const Tensor t = direct ? gx : Tensor::empty(gx.shape(), gx.dtype());
    gemm_into<T>(G, W, nullptr, 0, t.reshape({G.rows, w.dim(1)}), "linear", shapes);
    if (!direct) gx.copy_from(t);
  }
  if (wanted(1)) {  // gW (out × in) = Gᵀ (out × M)·X (M × in)
    Tensor xk;
    const Mat<T> X = flat<T>(x, xk);
    const Mat<T> Gt{G.p, G.cols, G.rows, G.cs, G.rs};
    const Tensor& gw = bc.grad_inputs[1];
    if (X.rows == 0) {
      for (std::int64_t o = 0; o < gw.dim(0); ++o)
        for (std::int64_t k = 0; k < gw.dim(1); ++k)
          gw.data<T>()[o * gw.strides()[0] + k * gw.strides()[1]] = T(0);
    } else {
      gemm_into<T>(Gt, X, nullptr, 0, gw, "linear", shapes);
    }
  }
  if (wanted(2)) sum_to_shape(g0, bc.grad_inputs[2]);  // gb = Σ_batch g
}

void linear_vjp(BackwardCall& bc) {
  linear_check(bc.forward->inputs, bc.forward->outputs.at(0), backend::optimized);
  if (bc.forward->outputs[0].dtype() == DType::f32)
    linear_vjp_typed<float>(bc);
  else
    linear_vjp_typed<double>(bc);
}

VT_REGISTER_IMPL({.op = "linear",
                  .backend = backend::optimized,
                  .variant = "openblas",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = linear_forward,
                  .backward = linear_vjp,
                  .determinism = Determinism::per_thread_count,
                  .determinism_note = "OpenBLAS partitions a threaded GEMM by thread count, and "
                                      "the partitions round differently",
                  .technique = "one cblas_sgemm/dgemm over the flattened batch (gemv for one "
                               "row), W read in place as Wᵀ, bias preloaded into C (beta = 1); "
                               "non-finite results recomputed in float128; VJP g·W and gᵀ·x by "
                               "GEMM, Σ g by sum_to_shape"});

}  // namespace
}  // namespace vt::opt
