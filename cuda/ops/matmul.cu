// cuda/ops/matmul.cu — float32/float64 matmul (np.matmul semantics: 1-d operands promoted, batch
// dims broadcast) and its VJP on cuBLAS, plus the device-resident matmul_device of launchers.hpp.
// Shaped this way because: every product is one cublasSgemmStridedBatched /
// cublasDgemmStridedBatched call (cuda/ops/gemm.cuh) over the output's batch, the operands in
// full form (batch…, M, K) and (batch…, K, N) as host views (unsqueeze for a 1-d operand, expand
// for broadcast batch dims: stride 0, which cuBLAS takes as a batch stride when the whole batch
// has one stride; otherwise, or when a matrix has no unit stride, the operand is packed by a
// strided-copy kernel). TF32 is off (the handle is in CUBLAS_DEFAULT_MATH). The output is written
// in place when it is one contiguous (batch, M, N) block, else through scratch and a copy kernel
// that writes through its strides.
// Accuracy (verify/ops/matmul.cpp, sum-bound): each C_ij is a length-K dot product of float FMAs
// in some order, inside γ_K·Σ|A_ik||B_kj| + K·denorm_min. Non-finite results (inf/NaN operands,
// a partial sum that overflowed where C_ij may be finite) and every element whose row of A or
// column of B holds an inf/NaN are recomputed on the host after the call in float128, k
// ascending, and rounded once — the optimized backend's repair — so an overflow never leaves a
// wrong infinity or NaN.
// VJP: grad_a = G·Bᵀ and grad_b = Aᵀ·G are two more strided-batched GEMMs in full form (Bᵀ, Aᵀ:
// transposed views, read in place as the other transpose), into scratch, then folded onto the
// input's shape by a kernel that sums the broadcast batch elements in float64 in a fixed order
// and rounds once (opt::sum_to_shape's error, which the spec's gradient bound assumes); non-finite
// folded elements are recomputed in float128 over the folded batches, as the optimized backend
// does. Bits: cuBLAS GEMM is bitwise reproducible on one architecture with one stream, the fold
// has a fixed order, the repair is sequential: Determinism::bitwise.
// What it is not: second order (the optimized backend carries it).
#include "cuda/ops/gemm.cuh"
#include "cuda/ops/launchers.hpp"

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace vt::cuda {
namespace {

constexpr const char* kOp = "matmul";

/// The operands' roles: a (…, M, K) or (K,), b (…, K, N) or (K,), out (batch…, [M], [N]).
struct MatmulDims {
  bool a1 = false, b1 = false;
  std::int64_t M = 0, K = 0, N = 0, P = 1;  // P: batch elements of the output
  std::int64_t batch_nd = 0;
  Shape batch;  // the output's batch dims
};

/// The shape checks of optimized/ops/matmul.cpp (out was allocated from the spec's shape rule).
MatmulDims matmul_dims(const Tensor& a_t, const Tensor& b_t, const Tensor& out_t) {
  const Shape& as = a_t.shape();
  const Shape& bs = b_t.shape();
  if (a_t.ndim() == 0 || b_t.ndim() == 0)
    throw Error(kOp, {as, bs}, "operands must have at least one dimension");
  if (a_t.dtype() != out_t.dtype() || b_t.dtype() != out_t.dtype())
    throw Error(kOp, {as, bs}, "the cuda backend multiplies operands of the output's dtype");
  const std::int64_t a_nd = a_t.ndim(), b_nd = b_t.ndim(), o_nd = out_t.ndim();
  const auto at = [](std::int64_t i) { return static_cast<std::size_t>(i); };
  MatmulDims d;
  d.a1 = a_nd == 1;
  d.b1 = b_nd == 1;
  d.M = d.a1 ? 1 : as[at(a_nd - 2)];
  d.K = as[at(a_nd - 1)];
  d.N = d.b1 ? 1 : bs[at(b_nd - 1)];
  d.batch_nd = o_nd - (d.a1 ? 0 : 1) - (d.b1 ? 0 : 1);
  bool ok = (d.b1 ? bs[0] : bs[at(b_nd - 2)]) == d.K && d.batch_nd >= 0 &&
            (d.a1 || out_t.shape()[at(d.batch_nd)] == d.M) &&
            (d.b1 || out_t.shape()[at(o_nd - 1)] == d.N);
  const std::int64_t a_bnd = d.a1 ? 0 : a_nd - 2, b_bnd = d.b1 ? 0 : b_nd - 2;
  ok = ok && a_bnd <= d.batch_nd && b_bnd <= d.batch_nd;
  for (std::int64_t k = 0; ok && k < d.batch_nd; ++k) {
    const std::int64_t n = out_t.shape()[at(k)];
    const std::int64_t ka = k - (d.batch_nd - a_bnd), kb = k - (d.batch_nd - b_bnd);
    if (ka >= 0 && as[at(ka)] != n && as[at(ka)] != 1) ok = false;
    if (kb >= 0 && bs[at(kb)] != n && bs[at(kb)] != 1) ok = false;
    d.batch.push_back(n);
    d.P *= n;
  }
  if (!ok)
    throw Error(kOp, {as, bs},
                "operands do not multiply to the output shape " + shape_str(out_t.shape()));
  return d;
}

/// a as (batch…, M, K) and b as (batch…, K, N): views (unsqueeze, expand), no copies.
Tensor full_a(const Tensor& a, const MatmulDims& d) {
  Shape s = d.batch;
  s.insert(s.end(), {d.M, d.K});
  return (d.a1 ? a.unsqueeze(0) : a).expand(s);
}
Tensor full_b(const Tensor& b, const MatmulDims& d) {
  Shape s = d.batch;
  s.insert(s.end(), {d.K, d.N});
  return (d.b1 ? b.unsqueeze(1) : b).expand(s);
}

std::vector<std::int64_t> identity(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), std::int64_t{0});
  return v;
}

template <class T>
void forward_typed(OpCall& c, const MatmulDims& d, bool drop_last_batch) {
  const Tensor& a = c.inputs.at(0);
  const Tensor& b = c.inputs.at(1);
  const Tensor& out = c.outputs.at(0);
  DeviceCall dc(c, kOp);
  if (d.P == 0 || d.M == 0 || d.N == 0) return;  // nothing to write
  const TensorArg o = dc.arg(out);
  if (d.K == 0) {  // empty sums: C = +0 everywhere
    gemm::launch_zero<T>(kOp, o);
    dc.finish();
    return;
  }
  const Tensor A = full_a(a, d), B = full_b(b, d);
  const int nb = static_cast<int>(d.batch_nd);
  const gemm::Operand X = gemm::make_operand(dc, A, {}, nb, 1, 1);
  const gemm::Operand Y = gemm::make_operand(dc, B, {}, nb, 1, 1);
  // In place only into one contiguous (P, M, N) block that no input shares.
  const bool direct = o.contiguous && !out.overlaps(a) && !out.overlaps(b);
  T* z = direct ? o.ptr<T>() : dc.scratch<T>(d.P * d.M * d.N);
  gemm::batched_product<T>(dc, X, Y, z, false, drop_last_batch);
  const std::vector<std::int64_t> members = identity(d.P);
  if (!direct) gemm::launch_fold<T>(dc, z, members, 1, d.M * d.N, o);
  dc.finish();
  gemm::repair<T>(X, Y, gemm::host_target(out, nb, d.a1 ? 0 : 1, d.b1 ? 0 : 1), members, 1);
}

// a: (…, M, K) or (K,), b: (…, K, N) or (K,), out: np.matmul's shape.
void matmul_forward(OpCall& c) { matmul_forward_with(c, false); }

// ---- VJP ---------------------------------------------------------------------------------------

/// For each output batch element p (row-major over d.batch), the index of the batch element of
/// an input with batch dims `tbatch` (right-aligned against d.batch; size-1 dims broadcast) that
/// it came from — where its gradient is folded to.
std::vector<std::int64_t> target_batch_of(const MatmulDims& d, const Shape& tbatch,
                                          std::int64_t& TB) {
  const auto nd = static_cast<std::int64_t>(d.batch.size());
  const auto tnd = static_cast<std::int64_t>(tbatch.size());
  TB = 1;
  for (const std::int64_t n : tbatch) TB *= n;
  std::vector<std::int64_t> tb_of_p(static_cast<std::size_t>(d.P));
  std::vector<std::int64_t> idx(static_cast<std::size_t>(nd));
  for (std::int64_t p = 0; p < d.P; ++p) {
    std::int64_t rest = p;
    for (std::int64_t k = nd; k-- > 0;) {
      const std::int64_t n = d.batch[static_cast<std::size_t>(k)];
      idx[static_cast<std::size_t>(k)] = rest % n;
      rest /= n;
    }
    std::int64_t tb = 0;
    for (std::int64_t t = 0; t < tnd; ++t) {
      const std::int64_t n = tbatch[static_cast<std::size_t>(t)];
      const std::int64_t i = n == 1 ? 0 : idx[static_cast<std::size_t>(t + nd - tnd)];
      tb = tb * n + i;
    }
    tb_of_p[static_cast<std::size_t>(p)] = tb;
  }
  return tb_of_p;
}

/// One input's gradient: full (P, R, C) = X·Y into scratch, folded onto `target` (the input's
/// shape, dims grouped as tnb batch, tnr row and tnc column dims).
struct GradPart {
  bool computed = false;
  gemm::Operand X, Y;
  std::vector<std::int64_t> members;
  std::int64_t m = 1;
};

template <class T>
void gradient(DeviceCall& dc, const MatmulDims& d, const Tensor& x, const Tensor& y,
              const Tensor& target, int tnr, int tnc, GradPart& part) {
  const int tnb = static_cast<int>(target.ndim()) - tnr - tnc;
  const Shape tbatch(target.shape().begin(), target.shape().begin() + tnb);
  const int nb = static_cast<int>(d.batch_nd);
  part.X = gemm::make_operand(dc, x, {}, nb, 1, 1);
  part.Y = gemm::make_operand(dc, y, {}, nb, 1, 1);
  const std::int64_t R = part.X.rows(), C = part.Y.cols();
  T* z = dc.scratch<T>(d.P * R * C);
  gemm::batched_product<T>(dc, part.X, part.Y, z, false);
  std::int64_t TB = 0;
  const std::vector<std::int64_t> tb_of_p = target_batch_of(d, tbatch, TB);
  part.members = gemm::fold_members(tb_of_p, TB, part.m, kOp);
  gemm::launch_fold<T>(dc, z, part.members, part.m, R * C, dc.arg(target));
  part.computed = true;
}

template <class T>
void vjp_typed(BackwardCall& bc, const MatmulDims& d) {
  const OpCall& f = *bc.forward;
  const Tensor& a = f.inputs.at(0);
  const Tensor& b = f.inputs.at(1);
  const bool want_a = bc.grad_inputs.size() > 0 && bc.grad_inputs[0].defined();
  const bool want_b = bc.grad_inputs.size() > 1 && bc.grad_inputs[1].defined();
  if (!want_a && !want_b) return;
  Tensor g = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  DeviceCall dc(bc, kOp);
  if (!g.defined()) {  // undefined means zero, as the reference and the optimized backend take
    // it: 0·B still carries B's inf/NaN (0·inf = NaN), so the products are computed, not skipped
    g = Tensor::empty(f.outputs.at(0).shape(), a.dtype());
    dc.read(g);
  }
  const Tensor A = full_a(a, d), B = full_b(b, d);  // (batch…, M, K), (batch…, K, N)
  Tensor G = d.b1 ? g.unsqueeze(g.ndim()) : g;      // (batch…, M, N)
  if (d.a1) G = G.unsqueeze(G.ndim() - 1);
  const Tensor At = A.transpose(-2, -1), Bt = B.transpose(-2, -1);
  GradPart pa, pb;
  if (want_a) {  // grad_a (batch…, M, K) = G·Bᵀ, contraction over N
    const Tensor& ga = bc.grad_inputs[0];
    if (ga.numel() > 0) {
      if (d.P == 0 || d.N == 0)
        gemm::launch_zero<T>(kOp, dc.arg(ga));
      else
        gradient<T>(dc, d, G, Bt, ga, d.a1 ? 0 : 1, 1, pa);
    }
  }
  if (want_b) {  // grad_b (batch…, K, N) = Aᵀ·G, contraction over M
    const Tensor& gb = bc.grad_inputs[1];
    if (gb.numel() > 0) {
      if (d.P == 0 || d.M == 0)
        gemm::launch_zero<T>(kOp, dc.arg(gb));
      else
        gradient<T>(dc, d, At, G, gb, 1, d.b1 ? 0 : 1, pb);
    }
  }
  dc.finish();
  if (pa.computed) {
    const Tensor& ga = bc.grad_inputs[0];
    const int tnr = d.a1 ? 0 : 1;
    gemm::repair<T>(pa.X, pa.Y,
                    gemm::host_target(ga, static_cast<int>(ga.ndim()) - tnr - 1, tnr, 1),
                    pa.members, pa.m);
  }
  if (pb.computed) {
    const Tensor& gb = bc.grad_inputs[1];
    const int tnc = d.b1 ? 0 : 1;
    gemm::repair<T>(pb.X, pb.Y,
                    gemm::host_target(gb, static_cast<int>(gb.ndim()) - 1 - tnc, 1, tnc),
                    pb.members, pb.m);
  }
}

void matmul_vjp(BackwardCall& bc) {
  const OpCall& f = *bc.forward;
  const MatmulDims d = matmul_dims(f.inputs.at(0), f.inputs.at(1), f.outputs.at(0));
  dispatch_float(f.inputs.at(0).dtype(), kOp, [&]<class T>() { vjp_typed<T>(bc, d); });
}

// ---- device-resident entry point (bench/cuda) --------------------------------------------------

cublasStatus_t gemm_plain(cublasHandle_t h, int m, int n, int k, const float* a, int lda,
                          const float* b, int ldb, float* c, int ldc) {
  const float one = 1.0f, zero = 0.0f;
  return cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, a, lda, b, ldb, &zero, c, ldc);
}
cublasStatus_t gemm_plain(cublasHandle_t h, int m, int n, int k, const double* a, int lda,
                          const double* b, int ldb, double* c, int ldc) {
  const double one = 1.0, zero = 0.0;
  return cublasDgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, a, lda, b, ldb, &zero, c, ldc);
}

VT_REGISTER_CUDA_VJP(matmul, "cublas", matmul_forward, matmul_vjp,
                     "cublasSgemmStridedBatched/DgemmStridedBatched over the broadcast "
                     "batch (TF32 off: CUBLAS_DEFAULT_MATH), strided operands in place "
                     "(N/T + ld, stride-0 batches), others packed by a copy kernel; "
                     "non-finite results recomputed in float128 on the host; VJP G·Bᵀ "
                     "and Aᵀ·G the same way, broadcast batches folded in float64");

}  // namespace

void matmul_forward_with(OpCall& c, bool drop_last_batch) {
  const MatmulDims d = matmul_dims(c.inputs.at(0), c.inputs.at(1), c.outputs.at(0));
  dispatch_float(c.outputs.at(0).dtype(), kOp,
                 [&]<class T>() { forward_typed<T>(c, d, drop_last_batch); });
}

// C (m, n) = A (m, k)·B (k, n), all contiguous row-major: column-major Cᵀ = Bᵀ·Aᵀ, one call.
void matmul_device(DType dtype, void* c, const void* a, const void* b, std::int64_t m,
                   std::int64_t k, std::int64_t n) {
  dispatch_float(dtype, kOp, [&]<class T>() {
    if (m < 0 || k < 0 || n < 0) throw Error(kOp, {{m, k}, {k, n}}, "negative dimension");
    if (m == 0 || n == 0) return;
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
      throw Error(kOp, {{m, k}, {k, n}}, "a matrix dimension exceeds cuBLAS's 32-bit index range");
    if (k == 0) {
      VT_CUDA_CHECK(kOp,
                    cudaMemsetAsync(c, 0, static_cast<std::size_t>(m * n) * sizeof(T), stream()));
      return;
    }
    const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
    VT_CUBLAS_CHECK(kOp, gemm_plain(cublas(), ni, mi, ki, static_cast<const T*>(b), ni,
                                    static_cast<const T*>(a), ki, static_cast<T*>(c), ni));
  });
}

}  // namespace vt::cuda
