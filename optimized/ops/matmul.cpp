// optimized/ops/matmul.cpp — float32/float64 matmul (np.matmul semantics), its VJP and its
// second-order VJP on OpenBLAS GEMM.
// Shaped this way because: the product itself is OpenBLAS's cblas_sgemm/cblas_dgemm, one call
// per batch element, and everything around it exists only to keep that call unobstructed —
// every operand whose matrix strides BLAS can describe (unit column stride: NoTrans with
// ld = row stride; unit row stride: Trans with ld = column stride) is passed in place, an output
// with unit row stride is filled as Cᵀ = BᵀAᵀ, and only views BLAS cannot describe (stride-0
// or negative strides inside a matrix, no unit stride, rows that overlap) are packed into a
// contiguous scratch matrix, once per distinct batch operand. The plainest call (three 2-d
// row-major matrices) goes to BLAS before any other bookkeeping, and no path that BLAS can take
// in place allocates: about 10 ns over calling cblas_sgemm directly (measured at 4 × 4).
// Threads: a batch of large matrices runs one batch element after another with OpenBLAS's own
// threads inside each call (their count follows vt::opt::set_num_threads): splitting one GEMM
// ourselves would repack B (or A) once per block and lose to OpenBLAS's shared packing. A batch
// of small matrices — at or below OpenBLAS's own single-thread cut-off, m·n·k ≤ 64³ — is spread
// over batch elements with vt::opt::parallel_for instead, since OpenBLAS would run each of them
// on one thread anyway. Bits: the same on every run for a given thread count; NOT the same
// across thread counts above the cut-off — OpenBLAS 0.3.21 partitions a threaded GEMM by
// thread count, and the partitions round differently (measured: 1 vs 2 threads differ in 1213
// of the 4160 elements of a (65 × 68)·(68 × 64) sgemm), hence Determinism::per_thread_count.
// Accuracy: OpenBLAS accumulates each C_ij in T (FMA, blocked over k): |Ĉ − C| ≤ γ_K·|A||B|
// + K·denorm_min (verify/ops/matmul.cpp). Overflow: a partial sum that overflows turns the
// element into ±inf or NaN for good (both absorb every later operation), never into a wrong
// finite value, so every element BLAS returns non-finite — an inf/NaN operand or an overflow —
// is recomputed in float128 (exact products, 113-bit sums, k ascending like the reference) and
// rounded to T. One scan of C per product finds them (integer compares GCC vectorizes).
#include "core/dtype.hpp"
#include "core/registry.hpp"
#include "core/tensor.hpp"
#include "optimized/core/broadcast_grad.hpp"
#include "optimized/core/loops.hpp"
#include "optimized/core/math.hpp"
#include "optimized/core/parallel.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace vt::opt {
namespace {

/// One matrix operand as strides in elements: element (r, c) is at r·rs + c·cs.
struct Mat {
  std::int64_t rows, cols, rs, cs;
};

/// How BLAS (row-major interface) can read a matrix in place, if at all.
struct BlasView {
  bool ok = false;
  CBLAS_TRANSPOSE op = CblasNoTrans;
  blasint ld = 1;
};

// Inlined: returned out of line, the 12-byte result goes through the stack and stalls store
// forwarding (measured: about 15 ns per call at 4 × 4).
[[gnu::always_inline]] inline BlasView blas_view(const Mat& m) {
  const std::int64_t rows = m.rows, cols = m.cols;
  // Row-major, unit column stride: (r, c) at r·ld + c with ld ≥ max(1, cols).
  if ((cols <= 1 || m.cs == 1) && (rows <= 1 || m.rs >= std::max<std::int64_t>(1, cols))) {
    const std::int64_t ld = rows <= 1 ? std::max<std::int64_t>(1, cols) : m.rs;
    if (ld <= INT_MAX) return {true, CblasNoTrans, static_cast<blasint>(ld)};
  }
  // Column-major, unit row stride: the transpose of a row-major (cols × rows) matrix.
  if ((rows <= 1 || m.rs == 1) && (cols <= 1 || m.cs >= std::max<std::int64_t>(1, rows))) {
    const std::int64_t ld = cols <= 1 ? std::max<std::int64_t>(1, rows) : m.cs;
    if (ld <= INT_MAX) return {true, CblasTrans, static_cast<blasint>(ld)};
  }
  return {};
}

CBLAS_TRANSPOSE flip(CBLAS_TRANSPOSE t) { return t == CblasNoTrans ? CblasTrans : CblasNoTrans; }

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, const float* a,
          blasint lda, const float* b, blasint ldb, float* c, blasint ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, const double* a,
          blasint lda, const double* b, blasint ldb, double* c, blasint ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
}

/// The strides of a matrix as BLAS reads it through `v`.
Mat mat_of(const BlasView& v, std::int64_t rows, std::int64_t cols) {
  return v.op == CblasNoTrans ? Mat{rows, cols, v.ld, 1} : Mat{rows, cols, 1, v.ld};
}

/// True when some element of the strided matrix c is ±inf or NaN (all exponent bits set),
/// walked in memory order. Integer arithmetic GCC vectorizes (AND, XOR, unsigned MIN: about one
/// cycle per 16 floats): min over (bits & exp) ^ exp is 0 exactly when some exponent is full.
template <class T>
bool any_non_finite(const T* c, const Mat& m) {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  constexpr U exp_mask = sizeof(T) == 4 ? U(0x7f800000u) : U(0x7ff0000000000000ull);
  const bool rows_inner = m.rs == 1 && m.cs != 1;  // column-major: walk down the columns
  std::int64_t outer = rows_inner ? m.cols : m.rows, inner = rows_inner ? m.rows : m.cols;
  const std::int64_t os = rows_inner ? m.cs : m.rs, is = rows_inner ? m.rs : m.cs;
  if (is == 1 && os == inner) {  // one contiguous run
    inner *= outer;
    outer = 1;
  }
  U least = exp_mask;
  for (std::int64_t o = 0; o < outer; ++o) {
    const T* p = c + o * os;
    if (is == 1) {
      if (any_nonfinite(p, inner)) return true;
    } else {
      for (std::int64_t i = 0; i < inner; ++i) {
        U u;
        std::memcpy(&u, p + i * is, sizeof u);
        least = std::min<U>(least, (u & exp_mask) ^ exp_mask);
      }
    }
  }
  return least == 0;
}

/// C_ij for every non-finite element of c, recomputed as Σ_k A_ik B_kj in float128 (k ascending,
/// as the reference does) and rounded to T: the IEEE result of the exact products, without the
/// overflow of T's range.
template <class T>
void recompute_non_finite(const T* a, const Mat& A, const T* b, const Mat& B, T* c, const Mat& C) {
  for (std::int64_t i = 0; i < C.rows; ++i)
    for (std::int64_t j = 0; j < C.cols; ++j) {
      T& cij = c[i * C.rs + j * C.cs];
      if (std::isfinite(cij)) continue;
      hp_t s = 0;
      for (std::int64_t k = 0; k < A.cols; ++k)
        s += hp_t(a[i * A.rs + k * A.cs]) * hp_t(b[k * B.rs + j * B.cs]);
      cij = static_cast<T>(s);
    }
}

/// c = a·b for one (M × K)·(K × N) product, each operand as BLAS reads it (op + ld), the output
/// row-major (vc NoTrans) or column-major (vc Trans: filled as Cᵀ = BᵀAᵀ); then the repair of
/// non-finite elements.
template <class T>
void product(std::int64_t M, std::int64_t N, std::int64_t K, const T* a, const BlasView& va,
             const T* b, const BlasView& vb, T* c, const BlasView& vc) {
  const auto m = static_cast<blasint>(M), n = static_cast<blasint>(N), k = static_cast<blasint>(K);
  if (vc.op == CblasNoTrans)
    gemm(va.op, vb.op, m, n, k, a, va.ld, b, vb.ld, c, vc.ld);
  else
    gemm(flip(vb.op), flip(va.op), n, m, k, b, vb.ld, a, va.ld, c, vc.ld);
  const Mat C = mat_of(vc, M, N);
  if (any_non_finite(c, C)) recompute_non_finite(a, mat_of(va, M, K), b, mat_of(vb, K, N), c, C);
}

/// dst (rows × cols, row-major contiguous) = src (strided).
template <class T>
void pack(const T* src, const Mat& m, T* dst) {
  for (std::int64_t r = 0; r < m.rows; ++r) {
    const T* s = src + r * m.rs;
    T* d = dst + r * m.cols;
    if (m.cs == 1) {
      std::copy(s, s + m.cols, d);
    } else {
      for (std::int64_t c = 0; c < m.cols; ++c) d[c] = s[c * m.cs];
    }
  }
}

/// dst (strided) = src (rows × cols, row-major contiguous).
template <class T>
void unpack(const T* src, const Mat& m, T* dst) {
  for (std::int64_t r = 0; r < m.rows; ++r) {
    const T* s = src + r * m.cols;
    T* d = dst + r * m.rs;
    for (std::int64_t c = 0; c < m.cols; ++c) d[c * m.cs] = s[c];
  }
}

/// Element offsets of batch element p in a, b and c: p is unravelled over the output's batch
/// shape (row-major); broadcast batch dimensions have stride 0.
struct BatchIndexer {
  Shape shape;
  Strides sa, sb, sc;
  void offsets(std::int64_t p, std::int64_t& oa, std::int64_t& ob, std::int64_t& oc) const {
    oa = ob = oc = 0;
    for (std::size_t d = shape.size(); d-- > 0;) {
      const std::int64_t i = p % shape[d];
      p /= shape[d];
      oa += i * sa[d];
      ob += i * sb[d];
      oc += i * sc[d];
    }
  }
};

/// Batch stride of an operand's dimension for output batch dimension d (0 where broadcast).
std::int64_t batch_stride(const Tensor& t, std::int64_t t_batch_nd, std::int64_t batch_nd,
                          std::int64_t d) {
  const std::int64_t k = d - (batch_nd - t_batch_nd);
  if (k < 0) return 0;
  const auto ku = static_cast<std::size_t>(k);
  return t.shape()[ku] == 1 ? 0 : t.strides()[ku];
}

template <class T>
void matmul_typed(const Tensor& a_t, const Tensor& b_t, const Tensor& out_t) {
  const std::int64_t a_nd = a_t.ndim(), b_nd = b_t.ndim(), o_nd = out_t.ndim();
  const bool a1 = a_nd == 1, b1 = b_nd == 1;
  const Shape& as = a_t.shape();
  const Shape& bs = b_t.shape();
  const Strides& ast = a_t.strides();
  const Strides& bst = b_t.strides();
  const Strides& ost = out_t.strides();
  const auto at = [](std::int64_t i) { return static_cast<std::size_t>(i); };

  // a: (…, M, K) or (K,) → (1, K); b: (…, K, N) or (K,) → (K, 1); out: (…, M, N) less those.
  const std::int64_t M = a1 ? 1 : as[at(a_nd - 2)], K = as[at(a_nd - 1)];
  const std::int64_t N = b1 ? 1 : bs[at(b_nd - 1)];
  const Mat A{M, K, a1 ? 0 : ast[at(a_nd - 2)], ast[at(a_nd - 1)]};
  const Mat B{K, N, b1 ? bst[0] : bst[at(b_nd - 2)], b1 ? 0 : bst[at(b_nd - 1)]};
  const std::int64_t o_rs = a1 ? 0 : ost[at(o_nd - (b1 ? 1 : 2))];
  const std::int64_t o_cs = b1 ? 0 : ost[at(o_nd - 1)];
  const Mat C{M, N, o_rs, o_cs};
  const std::int64_t batch_nd = o_nd - (a1 ? 0 : 1) - (b1 ? 0 : 1);

  // The caller allocated out from the spec's shape rule; check it agrees (no allocation).
  bool shapes_ok = (b1 ? bs[0] : bs[at(b_nd - 2)]) == K && batch_nd >= 0 &&
                   (a1 || out_t.shape()[at(batch_nd)] == M) &&
                   (b1 || out_t.shape()[at(o_nd - 1)] == N);
  const std::int64_t a_bnd = a1 ? 0 : a_nd - 2, b_bnd = b1 ? 0 : b_nd - 2;
  shapes_ok = shapes_ok && a_bnd <= batch_nd && b_bnd <= batch_nd;
  std::int64_t batch = 1;
  for (std::int64_t d = 0; shapes_ok && d < batch_nd; ++d) {
    const std::int64_t n = out_t.shape()[at(d)];
    const std::int64_t ka = d - (batch_nd - a_bnd), kb = d - (batch_nd - b_bnd);
    if (ka >= 0 && as[at(ka)] != n && as[at(ka)] != 1) shapes_ok = false;
    if (kb >= 0 && bs[at(kb)] != n && bs[at(kb)] != 1) shapes_ok = false;
    batch *= n;
  }
  if (!shapes_ok)
    throw Error("matmul", {as, bs},
                "operands do not multiply to the output shape " + shape_str(out_t.shape()));
  if (batch == 0 || M == 0 || N == 0) return;

  T* const out = out_t.data<T>();
  if (K == 0) {  // empty sums: C = 0 everywhere (written through the output's strides)
    for_each_index(out_t.shape(), [&](const std::vector<std::int64_t>& i) {
      std::int64_t off = 0;
      for (std::size_t k = 0; k < i.size(); ++k) off += i[k] * ost[k];
      out[off] = T(0);
    });
    return;
  }
  if (M > INT_MAX || N > INT_MAX || K > INT_MAX)
    throw Error("matmul", {as, bs}, "a matrix dimension exceeds OpenBLAS's 32-bit index range");

  const T* const pa = a_t.data<T>();
  const T* const pb = b_t.data<T>();

  // How each operand reaches BLAS. An output that BLAS cannot write, or one that shares memory
  // with an input, is computed into scratch and scattered.
  const BlasView va = blas_view(A), vb = blas_view(B);
  const BlasView vc = blas_view(C);
  const bool c_scratch = !vc.ok || (out_t.storage() == a_t.storage() && out_t.overlaps(a_t)) ||
                         (out_t.storage() == b_t.storage() && out_t.overlaps(b_t));

  // One matrix that BLAS reads and writes in place (the common case): call it and return.
  if (batch == 1 && va.ok && vb.ok && !c_scratch) {
    product(M, N, K, pa, va, pb, vb, out, vc);
    return;
  }

  // Operands BLAS cannot read in place are packed row-major (ld = K, N) per batch element.
  const BlasView va_use = va.ok ? va : BlasView{true, CblasNoTrans, static_cast<blasint>(K)};
  const BlasView vb_use = vb.ok ? vb : BlasView{true, CblasNoTrans, static_cast<blasint>(N)};
  BatchIndexer bi;
  if (batch_nd > 0) {
    for (std::int64_t d = 0; d < batch_nd; ++d) {
      bi.shape.push_back(out_t.shape()[at(d)]);
      bi.sa.push_back(batch_stride(a_t, a_bnd, batch_nd, d));
      bi.sb.push_back(batch_stride(b_t, b_bnd, batch_nd, d));
      bi.sc.push_back(ost[at(d)]);
    }
  }

  // Batch elements [p0, p1) on the calling thread; scratch lives for the range.
  auto run = [&](std::int64_t p0, std::int64_t p1) {
    std::vector<T> sa(va.ok ? 0 : static_cast<std::size_t>(M * K));
    std::vector<T> sb(vb.ok ? 0 : static_cast<std::size_t>(K * N));
    std::vector<T> sc(c_scratch ? static_cast<std::size_t>(M * N) : 0);
    std::int64_t packed_a = -1, packed_b = -1;  // offsets whose pack is in sa / sb
    for (std::int64_t p = p0; p < p1; ++p) {
      std::int64_t oa = 0, ob = 0, oc = 0;
      if (batch_nd > 0) bi.offsets(p, oa, ob, oc);
      const T* ma = pa + oa;
      const T* mb = pb + ob;
      if (!va.ok) {
        if (oa != packed_a) pack(ma, A, sa.data());
        packed_a = oa;
        ma = sa.data();
      }
      if (!vb.ok) {
        if (ob != packed_b) pack(mb, B, sb.data());
        packed_b = ob;
        mb = sb.data();
      }
      if (c_scratch) {
        product(M, N, K, ma, va_use, mb, vb_use, sc.data(),
                BlasView{true, CblasNoTrans, static_cast<blasint>(N)});
        unpack(sc.data(), C, out + oc);
      } else {
        product(M, N, K, ma, va_use, mb, vb_use, out + oc, vc);
      }
    }
  };

  // OpenBLAS 0.3.x runs m·n·k ≤ 65536·4 (SMP_THRESHOLD_MIN · GEMM_MULTITHREAD_THRESHOLD) on one
  // thread; below that, batch elements are the parallel dimension.
  const double mnk = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  constexpr double kBlasSingleThread = 65536.0 * 4.0;
  if (batch > 1 && mnk <= kBlasSingleThread) {
    const auto grain = static_cast<std::int64_t>(std::max(1.0, kBlasSingleThread / mnk));
    const double work = std::min(mnk * static_cast<double>(batch), 1e18);
    parallel_for(
        Family::matmul, batch, grain,
        [&](std::int64_t, std::int64_t p0, std::int64_t p1) { run(p0, p1); },
        static_cast<std::int64_t>(work));
  } else {
    run(0, batch);
  }
}

/// The plainest call — three 2-d row-major matrices with unit column stride, nothing empty,
/// no shared storage — straight to BLAS, before any general bookkeeping. True when it ran.
template <class T>
bool plain_2d(const Tensor& a, const Tensor& b, const Tensor& out) {
  const Shape& as = a.shape();
  const Shape& bs = b.shape();
  const Shape& os = out.shape();
  if (as.size() != 2 || bs.size() != 2 || os.size() != 2) return false;
  const std::int64_t M = as[0], K = as[1], N = bs[1];
  const Strides& ast = a.strides();
  const Strides& bst = b.strides();
  const Strides& ost = out.strides();
  if (bs[0] != K || os[0] != M || os[1] != N || M < 1 || N < 1 || K < 1) return false;
  if (ast[1] != 1 || bst[1] != 1 || ost[1] != 1 || ast[0] < K || bst[0] < N || ost[0] < N)
    return false;
  // Plain compares: std::max({…}) spills its list to the stack and stalls on reloading it.
  if ((M | N | K | ast[0] | bst[0] | ost[0]) > INT_MAX) return false;  // all ≥ 0 here
  if (out.storage() == a.storage() || out.storage() == b.storage()) return false;
  product(M, N, K, a.data<T>(), BlasView{true, CblasNoTrans, static_cast<blasint>(ast[0])},
          b.data<T>(), BlasView{true, CblasNoTrans, static_cast<blasint>(bst[0])}, out.data<T>(),
          BlasView{true, CblasNoTrans, static_cast<blasint>(ost[0])});
  return true;
}

// a: (…, M, K) or (K,), b: (…, K, N) or (K,), out: np.matmul's shape.
void matmul_forward(OpCall& c) {
  const Tensor& a = c.inputs.at(0);
  const Tensor& b = c.inputs.at(1);
  const Tensor& out = c.outputs.at(0);
  if (out.dtype() == DType::f32 && a.dtype() == DType::f32 && b.dtype() == DType::f32 &&
      plain_2d<float>(a, b, out))
    return;
  if (out.dtype() == DType::f64 && a.dtype() == DType::f64 && b.dtype() == DType::f64 &&
      plain_2d<double>(a, b, out))
    return;
  if (a.ndim() == 0 || b.ndim() == 0)
    throw Error("matmul", {a.shape(), b.shape()}, "operands must have at least one dimension");
  switch (out.dtype()) {
    case DType::f32:
      matmul_typed<float>(a, b, out);
      break;
    case DType::f64:
      matmul_typed<double>(a, b, out);
      break;
    default:
      throw Error("matmul", {a.shape(), b.shape()},
                  "optimized backend supports float32 and float64, not " +
                      std::string(dtype_name(out.dtype())));
  }
}

// ---- VJP ---------------------------------------------------------------------------------------
// grad_a = G·Bᵀ and grad_b = Aᵀ·G are two more matmuls, so they go through the same path as the
// forward (plain_2d, else matmul_typed): Bᵀ and Aᵀ are transposed views, which BLAS reads in
// place with the other transpose flag; G and the operands' broadcast batch dimensions are
// broadcast by matmul_typed as in the forward. When an input was broadcast (batch dimensions of
// size 1 or missing), its full-form gradient (batch…, ·, ·) is computed into a temporary and
// folded onto its shape by sum_to_shape (float64 sums, one rounding); otherwise the GEMM writes
// the gradient tensor directly (through its strides, or via scratch when BLAS cannot).

/// out = a @ b with np.matmul semantics, as the forward computes it.
template <class T>
void multiply(const Tensor& a, const Tensor& b, const Tensor& out) {
  if (!plain_2d<T>(a, b, out)) matmul_typed<T>(a, b, out);
}

/// grad (an input's gradient, viewed in full form `target`) = x @ y, summed over the batch
/// dimensions the input was broadcast along. full: the shape of x @ y.
template <class T>
void gradient_into(const Tensor& x, const Tensor& y, const Shape& full, const Tensor& target) {
  if (target.shape() == full) {
    multiply<T>(x, y, target);
    return;
  }
  const Tensor tmp = Tensor::empty(full, target.dtype());
  multiply<T>(x, y, tmp);
  sum_to_shape(tmp, target);
  // The fold can add opposite infinities where the exact sum is finite or infinite of one sign:
  // one batch's product overflowed, another's is an exact infinity (found by `veritensor fuzz`).
  // Such elements are recomputed in float128 — Σ over the folded batches, Σ_k ascending — and
  // rounded once, as the forward repairs its own (recompute_non_finite).
  const View<T> tv = target.view<T>();
  bool any = false;
  for_each_index(tv.shape,
                 [&](const std::vector<std::int64_t>& i) { any = any || !std::isfinite(tv[i]); });
  if (!any) return;
  const std::size_t nd = full.size();
  const std::int64_t K = x.dim(-1);
  Shape sx(full.begin(), full.end() - 1), sy(full.begin(), full.end() - 2);
  sx.push_back(K);
  sy.insert(sy.end(), {K, full.back()});
  const View<T> X = x.expand(sx).template view<T>(), Y = y.expand(sy).template view<T>();
  std::vector<hp_t> acc(static_cast<std::size_t>(target.numel()), hp_t(0));
  const Strides cs = contiguous_strides(tv.shape);
  const std::size_t lead = nd - tv.shape.size();  // batch dimensions the input lacks
  for_each_index(full, [&](const std::vector<std::int64_t>& idx) {
    std::vector<std::int64_t> at(idx.begin() + static_cast<std::ptrdiff_t>(lead), idx.end());
    std::int64_t flat = 0;
    for (std::size_t d = 0; d < at.size(); ++d) {
      if (tv.shape[d] == 1) at[d] = 0;
      flat += at[d] * cs[d];
    }
    if (std::isfinite(tv[at])) return;
    std::vector<std::int64_t> ik = idx, kj = idx;
    hp_t s = 0;
    for (std::int64_t k = 0; k < K; ++k) {
      ik[nd - 1] = k;
      kj[nd - 2] = k;
      s += hp_t(X[ik]) * hp_t(Y[kj]);
    }
    acc[static_cast<std::size_t>(flat)] += s;
  });
  for_each_index(tv.shape, [&](const std::vector<std::int64_t>& i) {
    if (std::isfinite(tv[i])) return;
    std::int64_t flat = 0;
    for (std::size_t d = 0; d < i.size(); ++d) flat += i[d] * cs[d];
    tv[i] = static_cast<T>(acc[static_cast<std::size_t>(flat)]);
  });
}

template <class T>
void matmul_vjp_typed(BackwardCall& bc) {
  const OpCall& f = *bc.forward;
  const Tensor& a = f.inputs.at(0);
  const Tensor& b = f.inputs.at(1);
  const bool a1 = a.ndim() == 1, b1 = b.ndim() == 1;
  const Tensor A = a1 ? a.unsqueeze(0) : a;  // (…, M, K)
  const Tensor B = b1 ? b.unsqueeze(1) : b;  // (…, K, N)
  Tensor g = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  if (!g.defined()) g = Tensor::empty(f.outputs.at(0).shape(), a.dtype());
  Tensor G = b1 ? g.unsqueeze(g.ndim()) : g;  // (batch…, M, N)
  if (a1) G = G.unsqueeze(G.ndim() - 1);
  Shape full = G.shape();
  full.pop_back();
  if (bc.grad_inputs.size() > 0 && bc.grad_inputs[0].defined()) {
    Shape fa = full;
    fa.push_back(A.dim(-1));  // (batch…, M, K)
    const Tensor& ga = bc.grad_inputs[0];
    gradient_into<T>(G, B.transpose(-2, -1), fa, a1 ? ga.unsqueeze(0) : ga);
  }
  if (bc.grad_inputs.size() > 1 && bc.grad_inputs[1].defined()) {
    Shape fb = full;
    fb.back() = B.dim(-2);  // (batch…, K, N)
    fb.push_back(G.dim(-1));
    const Tensor& gb = bc.grad_inputs[1];
    gradient_into<T>(A.transpose(-2, -1), G, fb, b1 ? gb.unsqueeze(1) : gb);
  }
}

void matmul_vjp(BackwardCall& bc) {
  const Tensor& a = bc.forward->inputs.at(0);
  const Tensor& b = bc.forward->inputs.at(1);
  if (a.ndim() == 0 || b.ndim() == 0)
    throw Error("matmul", {a.shape(), b.shape()}, "operands must have at least one dimension");
  switch (a.dtype()) {
    case DType::f32:
      matmul_vjp_typed<float>(bc);
      break;
    case DType::f64:
      matmul_vjp_typed<double>(bc);
      break;
    default:
      throw Error("matmul", {a.shape(), b.shape()},
                  "optimized backend supports float32 and float64, not " +
                      std::string(dtype_name(a.dtype())));
  }
}

// ---- second-order VJP -------------------------------------------------------------------------
// ∂A = V·W_Bᵀ and ∂B = W_Aᵀ·V are the first-order VJP of the products A·W_B and W_A·B (so they take
// its path: GEMMs, folding by sum_to_shape); ∂V = W_A·B + A·W_B is two GEMMs (the first straight
// into the result, the second into a temporary) and one vectorized elementwise addition. A sum of
// two overflowed products (+inf + −inf = NaN where the exact value may be finite or infinite of
// one sign) is repaired as in the forward: every non-finite element is recomputed in float128 as
// Σ_k W_A,ik B_kj + Σ_k A_ik W_B,kj (each sum k ascending, then added, as the reference does) and
// rounded to T.

/// h (matmul's output shape) = wa @ b + a @ wb.
template <class T>
void matmul_jvp_typed(const Tensor& a, const Tensor& b, const Tensor& wa, const Tensor& wb,
                      const Tensor& h) {
  multiply<T>(wa, b, h);
  const Tensor t = Tensor::empty(h.shape(), h.dtype());
  multiply<T>(a, wb, t);
  elementwise<T, 2>(h, {h, t}, [](T x, T y) { return x + y; });
  // Full forms: (batch…, M, K), (batch…, K, N), (batch…, M, N).
  const bool a1 = a.ndim() == 1, b1 = b.ndim() == 1;
  Tensor H = b1 ? h.unsqueeze(h.ndim()) : h;
  if (a1) H = H.unsqueeze(H.ndim() - 1);
  const View<T> hv = H.view<T>();
  bool any = false;
  for_each_index(hv.shape,
                 [&](const std::vector<std::int64_t>& i) { any = any || !std::isfinite(hv[i]); });
  if (!any) return;
  Shape sa(hv.shape.begin(), hv.shape.end() - 2), sb = sa;
  const std::int64_t K = a.dim(-1);
  sa.insert(sa.end(), {hv.shape[hv.shape.size() - 2], K});
  sb.insert(sb.end(), {K, hv.shape.back()});
  const auto full = [&](const Tensor& x, bool one_d, std::int64_t axis, const Shape& s) {
    return (one_d ? x.unsqueeze(axis) : x).expand(s);
  };
  const View<T> A = full(a, a1, 0, sa).template view<T>(),
                WA = full(wa, a1, 0, sa).template view<T>();
  const View<T> B = full(b, b1, 1, sb).template view<T>(),
                WB = full(wb, b1, 1, sb).template view<T>();
  const std::size_t nd = hv.shape.size();
  for_each_index(hv.shape, [&](const std::vector<std::int64_t>& idx) {
    if (std::isfinite(hv[idx])) return;
    std::vector<std::int64_t> ik = idx, kj = idx;
    hp_t s1 = 0, s2 = 0;
    for (std::int64_t k = 0; k < K; ++k) {
      ik[nd - 1] = k;
      kj[nd - 2] = k;
      s1 += hp_t(WA[ik]) * hp_t(B[kj]);
      s2 += hp_t(A[ik]) * hp_t(WB[kj]);
    }
    hv[idx] = static_cast<T>(s1 + s2);
  });
}

/// Tensor i of ts, or zeros of `shape` (dtype t) when it is undefined: undefined means zero.
Tensor or_zeros(const std::vector<Tensor>& ts, std::size_t i, const Shape& shape, DType t) {
  return i < ts.size() && ts[i].defined() ? ts[i] : Tensor::empty(shape, t);
}

template <class T>
void matmul_vjp2_typed(DoubleBackwardCall& dc) {
  const OpCall& f = *dc.forward;
  const Tensor& a = f.inputs.at(0);
  const Tensor& b = f.inputs.at(1);
  const DType t = a.dtype();
  const Tensor v = or_zeros(dc.grad_outputs, 0, f.outputs.at(0).shape(), t);
  const Tensor wa = or_zeros(dc.grad_grad_inputs, 0, a.shape(), t);
  const Tensor wb = or_zeros(dc.grad_grad_inputs, 1, b.shape(), t);
  if (dc.grad_inputs.size() > 0 && dc.grad_inputs[0].defined()) {
    const OpCall a_wb{{a, wb}, f.attrs, f.outputs};
    BackwardCall bc{&a_wb, {v}, {dc.grad_inputs[0], Tensor()}};
    matmul_vjp_typed<T>(bc);
  }
  if (dc.grad_inputs.size() > 1 && dc.grad_inputs[1].defined()) {
    const OpCall wa_b{{wa, b}, f.attrs, f.outputs};
    BackwardCall bc{&wa_b, {v}, {Tensor(), dc.grad_inputs[1]}};
    matmul_vjp_typed<T>(bc);
  }
  if (!dc.grad_grad_outputs.empty() && dc.grad_grad_outputs[0].defined())
    matmul_jvp_typed<T>(a, b, wa, wb, dc.grad_grad_outputs[0]);
}

void matmul_vjp2(DoubleBackwardCall& dc) {
  const Tensor& a = dc.forward->inputs.at(0);
  const Tensor& b = dc.forward->inputs.at(1);
  if (a.ndim() == 0 || b.ndim() == 0)
    throw Error("matmul", {a.shape(), b.shape()}, "operands must have at least one dimension");
  switch (a.dtype()) {
    case DType::f32:
      matmul_vjp2_typed<float>(dc);
      break;
    case DType::f64:
      matmul_vjp2_typed<double>(dc);
      break;
    default:
      throw Error("matmul", {a.shape(), b.shape()},
                  "optimized backend supports float32 and float64, not " +
                      std::string(dtype_name(a.dtype())));
  }
}

VT_REGISTER_IMPL({.op = "matmul",
                  .backend = backend::optimized,
                  .variant = "openblas",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = matmul_forward,
                  .backward = matmul_vjp,
                  .double_backward = matmul_vjp2,
                  .determinism = Determinism::per_thread_count,
                  .determinism_note = "OpenBLAS partitions a threaded GEMM by thread count, and "
                                      "the partitions round differently",
                  .technique = "cblas_sgemm/dgemm per batch element, strided operands in place "
                               "(NoTrans/Trans + ld), packing only what BLAS cannot describe; "
                               "non-finite results recomputed in float128; VJP G·Bᵀ and Aᵀ·G "
                               "the same way, broadcast batch dims folded by sum_to_shape; second "
                               "order V·W_Bᵀ, W_Aᵀ·V, W_A·B + A·W_B the same way"});

}  // namespace
}  // namespace vt::opt
