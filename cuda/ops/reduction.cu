// cuda/ops/reduction.cu — float32/float64 sum, mean, var, max, min, argmax and logsumexp over any
// set of axes on the GPU, and the VJPs of all but argmax.
// Shaped this way because: every reduction is one "reducer" (an accumulator type, its identity,
// how an element enters it, an associative combine) run by one of two kernels, over a geometry
// that maps (output j, reduced position r) to an input offset koff(j) + roff(r) — the kept and
// the reduced axes each merged where their strides allow, so any strides (transposed, negative,
// broadcast) are read in place and the common contiguous-row case is one stride-1 dimension.
//  - "blocks": a 256-thread block per (output, chunk of kChunk reduced elements): each thread
//    combines its elements serially, then warp shuffles (butterfly) and one partial per warp
//    through shared memory. One chunk: the block writes the result. Several (long rows, one big
//    output): each block writes one partial, and a second pass reduces every output's partials
//    in chunk order with the same block kernel — no atomics.
//  - "threads": one thread per output, a serial loop over the reduced positions, when the
//    reduced axes are strided but adjacent outputs are adjacent in memory (e.g. axis 0 of a
//    matrix: coalesced across the warp) and there are enough outputs to fill the GPU.
// Which kernel, chunking, the per-thread order and the combination tree depend only on the
// shapes and strides (never on timing or on the device), so every result has the same bits on
// every run: Determinism::bitwise.
// Semantics and accuracy mirror optimized/ops/reduction.cpp and its spec (verify/ops/
// reduction.cpp): sums start from −0 (sum([−0]) = −0; sum([]) = +0); mean = fl(ŝ / fl(n)), one
// division; var two-pass (fl(ŝ/n), then Σ fl(x − m̂)², then one division by d = max(n − ddof, 0));
// logsumexp = m + log Σ exp(fl(x − m)), m the maximum (NaN → NaN, +inf → +inf, all −inf or empty
// → −inf). A sum, mean or var whose result is not finite is recomputed wider (float: in double;
// double: in double on values scaled by a power of two so no partial sum overflows), so inf
// appears only where the true result overflows. Sum-bound: any summation order is within the
// spec's γ_{n−1}·G. max/min are exact: the combine is IEEE 754-2019 maximum/minimum (NaN
// propagates, max(−0, +0) = +0, min(−0, +0) = −0) in any order; argmax keeps the smallest index
// among equal maxima and the first NaN. float32 exp/log are evaluated in double and rounded once
// (< 0.5 ulp + 2^-29 ulp); float64 uses CUDA's exp and log (1 ulp each, the spec's assumption).
// VJPs are elementwise over x given per-output operands: sum g, mean fl(g/n), max/min
// (g / ties)·[x = y] with the tie count an exact integer reduction, var (g·fl(2/d))·(x − m̂),
// logsumexp g·exp(x − y) with this backend's own y.
// What it is not: second order (the CPU backends carry it).
#include "core/shape.hpp"
#include "cuda/core/dd_math.hpp"
#include "cuda/core/device_call.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace vt::cuda {
namespace {

constexpr int kThreads = 256;  // every block kernel here runs 256 threads
constexpr int kWarpSize = 32;
constexpr std::int64_t kChunk = 4096;         // reduced elements per block (then partials)
constexpr std::int64_t kThreadOutputs = 256;  // "threads" kernel: at least this many outputs …
constexpr std::int64_t kThreadMaxN = 4096;    // … each reducing at most this many elements
constexpr std::int64_t kThreadShortN = 16;    // (or this many, whatever the strides)

// ---- geometry ----------------------------------------------------------------------------------

/// Input offset of (output j, reduced position r) = koff(j) + roff(r): j in row-major order of
/// the kept axes (the output's element order, keepdims or not), r in row-major order of the
/// reduced axes (argmax's index). Size-1 axes dropped, mergeable neighbours merged.
struct Geometry {
  int nk = 0, nr = 0;
  std::int64_t kshape[kMaxDims] = {}, kstride[kMaxDims] = {};
  std::int64_t rshape[kMaxDims] = {}, rstride[kMaxDims] = {};
  std::int64_t outputs = 1, n = 1;
};

__device__ __forceinline__ std::int64_t unravel(std::int64_t i, int nd, const std::int64_t* shape,
                                                const std::int64_t* stride) {
  std::int64_t off = 0;
  for (int d = nd - 1; d > 0; --d) {
    off += (i % shape[d]) * stride[d];
    i /= shape[d];
  }
  return nd > 0 ? off + i * stride[0] : 0;
}
__device__ __forceinline__ std::int64_t koff(const Geometry& g, std::int64_t j) {
  return unravel(j, g.nk, g.kshape, g.kstride);
}
__device__ __forceinline__ std::int64_t roff(const Geometry& g, std::int64_t r) {
  if (g.nr == 1) return r * g.rstride[0];  // the common case: one (merged) reduced dimension
  return unravel(r, g.nr, g.rshape, g.rstride);
}

/// Appends (size, stride) to a dimension list, merging it into the previous one when the pair
/// addresses the same elements in the same row-major order.
void push_dim(int& nd, std::int64_t* shape, std::int64_t* stride, std::int64_t s, std::int64_t st) {
  if (s == 1) return;
  if (nd > 0 && stride[nd - 1] == st * s) {
    shape[nd - 1] *= s;
    stride[nd - 1] = st;
    return;
  }
  shape[nd] = s;
  stride[nd] = st;
  ++nd;
}

/// x's geometry for reducing `axes` (normalised: sorted, unique, in range).
Geometry make_geometry(const Tensor& x, const std::vector<std::int64_t>& axes,
                       const std::string& op) {
  Geometry g;
  const Shape& s = x.shape();
  if (s.size() > static_cast<std::size_t>(kMaxDims))
    throw Error(op, {s},
                "the cuda backend takes at most " + std::to_string(kMaxDims) + " dimensions");
  const Strides& st = x.strides();
  std::vector<bool> reduced(s.size(), false);
  for (std::int64_t a : axes) reduced[static_cast<std::size_t>(a)] = true;
  for (std::size_t d = 0; d < s.size(); ++d) {
    if (reduced[d]) {
      g.n *= s[d];
      push_dim(g.nr, g.rshape, g.rstride, s[d], st[d]);
    } else {
      g.outputs *= s[d];
      push_dim(g.nk, g.kshape, g.kstride, s[d], st[d]);
    }
  }
  return g;
}

/// A contiguous device array seen as a 1-d TensorArg (scratch results in output order).
TensorArg flat_arg(void* data, std::int64_t n) {
  TensorArg a;
  a.data = data;
  a.ndim = 1;
  a.numel = n;
  a.shape[0] = n;
  a.strides[0] = 1;
  a.contiguous = true;
  return a;
}

template <class T>
__device__ __forceinline__ T& at(const TensorArg& a, std::int64_t j) {
  return a.ptr<T>()[a.offset(j)];
}

/// An output gradient: g_j, or 0 where the tensor is undefined (the CPU's zeros).
template <class T>
struct GradIn {
  TensorArg a;
  __device__ T operator()(std::int64_t j) const {
    return a.data != nullptr ? a.ptr<const T>()[a.offset(j)] : T(0);
  }
};

// ---- reducers ----------------------------------------------------------------------------------

template <class T>
struct ArgAcc {
  T v;
  long long i;
};

__device__ __forceinline__ float shfl_xor(float v, int o) {
  return __shfl_xor_sync(0xffffffffu, v, o);
}
__device__ __forceinline__ double shfl_xor(double v, int o) {
  return __shfl_xor_sync(0xffffffffu, v, o);
}
__device__ __forceinline__ long long shfl_xor(long long v, int o) {
  return __shfl_xor_sync(0xffffffffu, v, o);
}
template <class T>
__device__ __forceinline__ ArgAcc<T> shfl_xor(ArgAcc<T> a, int o) {
  return {shfl_xor(a.v, o), shfl_xor(a.i, o)};
}

template <class T>
__device__ __forceinline__ T neg_zero() {
  return -T(0);
}
template <class T>
__device__ __forceinline__ T infinity() {
  return T(1) / T(0);
}

// A term of a sum: what one element (of output j) contributes.
template <class T>
struct Plain {
  __device__ T operator()(T v, std::int64_t) const { return v; }
};
template <class T>
struct SquaredDeviation {  // fl(fl(x − m̂_j)²)
  const T* center;
  __device__ T operator()(T v, std::int64_t j) const {
    const T d = v - center[j];
    return d * d;
  }
};
/// exp and log of a float32 or float64 argument: float in double (CUDA's), rounded once; double
/// cuda/core/dd_math.hpp's (≤ 0.5 ulp + 2^-41: the 1-ulp exp and log that the logsumexp bound
/// assumes; CUDA's own are documented at 1 ulp from the correctly rounded value, 1.5 from exact).
template <class T>
__device__ __forceinline__ T exp_t(T z) {
  if constexpr (std::is_same_v<T, float>)
    return static_cast<float>(exp(static_cast<double>(z)));
  else
    return dd::exp_f64(z);
}
template <class T>
__device__ __forceinline__ T log_t(T z) {
  if constexpr (std::is_same_v<T, float>)
    return static_cast<float>(log(static_cast<double>(z)));
  else
    return dd::log_f64(z);
}
template <class T>
struct ShiftedExp {  // exp(fl(x − m_j))
  const T* center;
  __device__ T operator()(T v, std::int64_t j) const { return exp_t(v - center[j]); }
};

/// Σ term(x): identity −0, so that a sum of −0s stays −0 (the reference starts from −0).
template <class T, class Term>
struct SumReducer {
  using Acc = T;
  Term term;
  __device__ Acc identity() const { return neg_zero<T>(); }
  __device__ Acc load(T v, std::int64_t, std::int64_t j) const { return term(v, j); }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
};

/// IEEE 754-2019 maximum (kMax) / minimum: NaN if either is NaN; of two equal values the +0
/// (max) or −0 (min) when they are zeros of both signs — equal non-zero values have equal bits.
/// Commutative and associative (up to which NaN), so any tree gives the reference's result.
template <class T, bool kMax>
struct ExtremeReducer {
  using Acc = T;
  __device__ Acc identity() const { return kMax ? -infinity<T>() : infinity<T>(); }
  __device__ Acc load(T v, std::int64_t, std::int64_t) const { return v; }
  __device__ Acc combine(Acc a, Acc b) const {
    if (a != a) return a;
    if (b != b) return b;
    if (kMax ? a > b : a < b) return a;
    if (kMax ? b > a : b < a) return b;
    // a == b: only ±0 can differ in bits.
    if constexpr (kMax)
      return signbit(a) ? b : a;
    else
      return signbit(a) ? a : b;
  }
};

/// NumPy argmax: the first NaN if any, else the first position of the maximum (±0 tie: first).
template <class T>
struct ArgmaxReducer {
  using Acc = ArgAcc<T>;
  __device__ Acc identity() const { return {-infinity<T>(), LLONG_MAX}; }
  __device__ Acc load(T v, std::int64_t r, std::int64_t) const {
    return {v, static_cast<long long>(r)};
  }
  __device__ Acc combine(Acc a, Acc b) const {
    const bool an = a.v != a.v, bn = b.v != b.v;
    if (an && bn) return a.i < b.i ? a : b;
    if (an) return a;
    if (bn) return b;
    if (a.v > b.v) return a;
    if (b.v > a.v) return b;
    return a.i < b.i ? a : b;
  }
};

/// Number of elements equal to y_j (max/min ties; +0 == −0), an exact integer.
template <class T>
struct TieCountReducer {
  using Acc = long long;
  TensorArg y;
  __device__ Acc identity() const { return 0; }
  __device__ Acc load(T v, std::int64_t, std::int64_t j) const {
    return v == at<const T>(y, j) ? 1 : 0;
  }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
};

// ---- block and warp combination ----------------------------------------------------------------

template <class Red>
__device__ __forceinline__ typename Red::Acc warp_reduce(const Red& red, typename Red::Acc v) {
#pragma unroll
  for (int o = kWarpSize / 2; o > 0; o /= 2) v = red.combine(v, shfl_xor(v, o));
  return v;
}

/// The block's combination of every thread's v, returned to every thread. Every thread must call
/// it; blockDim.x a multiple of 32. smem: kWarpSize + 1 accumulators.
template <class Red>
__device__ typename Red::Acc block_reduce(const Red& red, typename Red::Acc v,
                                          typename Red::Acc* smem) {
  const int lane = static_cast<int>(threadIdx.x) % kWarpSize;
  const int warp = static_cast<int>(threadIdx.x) / kWarpSize;
  const int warps = static_cast<int>(blockDim.x) / kWarpSize;
  v = warp_reduce(red, v);
  __syncthreads();  // smem may still be read by the previous call
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < warps ? smem[lane] : red.identity();
    v = warp_reduce(red, v);
    if (lane == 0) smem[kWarpSize] = v;
  }
  __syncthreads();
  return smem[kWarpSize];
}

// ---- sources (what is reduced) and sinks (where a result goes) ---------------------------------

/// The input's elements through the geometry.
template <class T>
struct InputSource {
  const T* x;
  Geometry g;
  __device__ std::int64_t base(std::int64_t j) const { return koff(g, j); }
  template <class Red>
  __device__ typename Red::Acc get(const Red& red, std::int64_t base, std::int64_t r,
                                   std::int64_t j) const {
    return red.load(x[base + roff(g, r)], r, j);
  }
};

/// The first pass's partials: output j's are p[j·chunks + r], r < chunks.
template <class Acc>
struct PartialSource {
  const Acc* p;
  std::int64_t chunks;
  __device__ std::int64_t base(std::int64_t j) const { return j * chunks; }
  template <class Red>
  __device__ Acc get(const Red&, std::int64_t base, std::int64_t r, std::int64_t) const {
    return p[base + r];
  }
};

template <class Acc>
struct PartialSink {
  Acc* p;
  __device__ void operator()(std::int64_t item, std::int64_t, Acc a) const { p[item] = a; }
};

/// Wraps a finaliser fin(j, acc) (which writes output j) as a sink.
template <class Fin>
struct FinalSink {
  Fin fin;
  template <class Acc>
  __device__ void operator()(std::int64_t, std::int64_t j, Acc a) const {
    fin(j, a);
  }
};

// ---- the two kernels ---------------------------------------------------------------------------

/// items = outputs × chunks; item (j, p) reduces positions [p·chunk, min(n, (p + 1)·chunk)) of
/// output j. Grid-stride over items: the loop condition is uniform across the block, so every
/// thread reaches every __syncthreads().
template <class Red, class Src, class Sink>
__global__ void __launch_bounds__(kThreads)
    reduce_blocks_kernel(Red red, Src src, Sink sink, std::int64_t outputs, std::int64_t n,
                         std::int64_t chunk, std::int64_t chunks) {
  using Acc = typename Red::Acc;
  __shared__ Acc smem[kWarpSize + 1];
  const std::int64_t items = outputs * chunks;
  for (std::int64_t it = blockIdx.x; it < items; it += gridDim.x) {
    const std::int64_t j = it / chunks, p = it % chunks;
    const std::int64_t begin = p * chunk;
    const std::int64_t end = n < begin + chunk ? n : begin + chunk;
    const std::int64_t base = src.base(j);
    Acc acc = red.identity();
    for (std::int64_t r = begin + threadIdx.x; r < end; r += blockDim.x)
      acc = red.combine(acc, src.get(red, base, r, j));
    acc = block_reduce(red, acc, smem);
    if (threadIdx.x == 0) sink(it, j, acc);
  }
}

/// One thread per output, positions in order.
template <class Red, class Src, class Sink>
__global__ void reduce_threads_kernel(Red red, Src src, Sink sink, std::int64_t outputs,
                                      std::int64_t n) {
  using Acc = typename Red::Acc;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       j < outputs; j += stride) {
    const std::int64_t base = src.base(j);
    Acc acc = red.identity();
    for (std::int64_t r = 0; r < n; ++r) acc = red.combine(acc, src.get(red, base, r, j));
    sink(j, j, acc);
  }
}

unsigned blocks_for(std::int64_t items) {
  return grid_for(static_cast<long long>(items) * kThreads, kThreads);
}

/// Runs reducer `red` over x (device pointer to element 0, geometry g) and hands each output's
/// accumulator to fin(j, acc). Nothing for zero outputs; n = 0 gives fin(j, identity).
template <class T, class Red, class Fin>
void run_reduction(DeviceCall& dc, const T* x, const Geometry& g, Red red, Fin fin) {
  using Acc = typename Red::Acc;
  const std::string& op = dc.op();
  if (g.outputs == 0) return;
  const InputSource<T> src{x, g};
  const FinalSink<Fin> final_sink{fin};
  const bool strided_rows = g.nr > 0 && g.rstride[g.nr - 1] != 1;
  const bool adjacent_outputs = g.nk > 0 && g.kstride[g.nk - 1] == 1;
  const bool columns = strided_rows && adjacent_outputs && g.n <= kThreadMaxN;
  if (g.outputs >= kThreadOutputs && (columns || g.n <= kThreadShortN)) {
    reduce_threads_kernel<<<grid_for(g.outputs, kThreads), kThreads, 0, stream()>>>(
        red, src, final_sink, g.outputs, g.n);
    check_launch(op, "reduce_threads_kernel");
    return;
  }
  const std::int64_t chunks = std::max<std::int64_t>(1, (g.n + kChunk - 1) / kChunk);
  if (chunks == 1) {
    reduce_blocks_kernel<<<blocks_for(g.outputs), kThreads, 0, stream()>>>(
        red, src, final_sink, g.outputs, g.n, kChunk, 1);
    check_launch(op, "reduce_blocks_kernel");
    return;
  }
  Acc* partial = dc.scratch<Acc>(g.outputs * chunks);
  reduce_blocks_kernel<<<blocks_for(g.outputs * chunks), kThreads, 0, stream()>>>(
      red, src, PartialSink<Acc>{partial}, g.outputs, g.n, kChunk, chunks);
  check_launch(op, "reduce_blocks_kernel (partials)");
  // Second pass: each output's partials in chunk order, one block per output.
  reduce_blocks_kernel<<<blocks_for(g.outputs), kThreads, 0, stream()>>>(
      red, PartialSource<Acc>{partial, chunks}, final_sink, g.outputs, chunks, chunks, 1);
  check_launch(op, "reduce_blocks_kernel (combine)");
}

// ---- finalisers --------------------------------------------------------------------------------

template <class T>
struct StoreSum {  // sum([]) = +0, otherwise the sum (−0 for a sum of −0s)
  TensorArg out;
  std::int64_t n;
  __device__ void operator()(std::int64_t j, T s) const { at<T>(out, j) = n == 0 ? T(0) : s; }
};
template <class T>
struct StoreQuotient {  // fl(s / fl(d)): the mean (d = n) and the variance (d = max(n − ddof, 0))
  TensorArg out;
  std::int64_t d;
  __device__ void operator()(std::int64_t j, T s) const { at<T>(out, j) = s / static_cast<T>(d); }
};
template <class T>
struct StoreValue {
  TensorArg out;
  __device__ void operator()(std::int64_t j, T v) const { at<T>(out, j) = v; }
};
template <class T>
struct StoreIndex {
  TensorArg out;  // int64
  __device__ void operator()(std::int64_t j, ArgAcc<T> a) const {
    at<std::int64_t>(out, j) = static_cast<std::int64_t>(a.i);
  }
};
template <class T>
struct StoreLogsumexp {  // m + log S; m NaN or ±inf: m itself
  TensorArg out;
  const T* top;
  __device__ void operator()(std::int64_t j, T s) const {
    const T m = top[j];
    at<T>(out, j) = (m != m || m == infinity<T>() || m == -infinity<T>()) ? m : m + log_t(s);
  }
};
struct StoreCount {
  long long* count;
  __device__ void operator()(std::int64_t j, long long c) const { count[j] = c; }
};

// ---- the wide recomputation of non-finite sums, means and variances ----------------------------

enum class Kind { sum, mean, var };

/// Scale applied to the values before the wide sums: 1 for float (double holds any float sum);
/// 2^-64 for double sums/means (|x|·2^-64 < 2^960, so n < 2^63 terms cannot overflow); 2^-544 for
/// double variances (squares of scaled deviations < 2^962). The power of two is exact except for
/// values pushed below the normal range, whose absolute error (≤ 2^-531 in original units) is far
/// inside the bound whenever this path runs (G or Q then exceeds ≈ 2^1000).
template <class T>
__device__ __forceinline__ int wide_scale_exp(Kind k) {
  if constexpr (std::is_same_v<T, float>)
    return 0;
  else
    return k == Kind::var ? 544 : 64;
}

/// Recomputes every output whose result is not finite (one block per output, grid-stride): the
/// sum in double of the (scaled) values, the mean as fl(s / n), the variance two-pass, then
/// scaled back and rounded to T. Inputs holding inf or NaN give the same inf/NaN again.
template <class T>
__global__ void __launch_bounds__(kThreads)
    redo_nonfinite_kernel(const T* x, Geometry g, TensorArg out, Kind kind, std::int64_t ddof) {
  using Red = SumReducer<double, Plain<double>>;
  __shared__ double smem[kWarpSize + 1];
  const Red red{};
  const int e = wide_scale_exp<T>(kind);
  const double down = ldexp(1.0, -e), up = ldexp(1.0, e);
  for (std::int64_t j = blockIdx.x; j < g.outputs; j += gridDim.x) {
    const T cur = at<T>(out, j);  // read by every thread before thread 0 can write it
    if (isfinite(cur)) continue;  // uniform across the block
    const std::int64_t base = koff(g, j);
    double s = red.identity();
    for (std::int64_t r = threadIdx.x; r < g.n; r += blockDim.x)
      s += static_cast<double>(x[base + roff(g, r)]) * down;
    s = block_reduce(red, s, smem);
    double res = 0;
    if (kind == Kind::sum) {
      res = s * up;
    } else {
      const double mean = s / static_cast<double>(g.n);
      if (kind == Kind::mean) {
        res = mean * up;
      } else {
        double q = red.identity();
        for (std::int64_t r = threadIdx.x; r < g.n; r += blockDim.x) {
          const double dv = static_cast<double>(x[base + roff(g, r)]) * down - mean;
          q += dv * dv;
        }
        q = block_reduce(red, q, smem);
        const std::int64_t d = g.n - ddof > 0 ? g.n - ddof : 0;
        res = q / static_cast<double>(d) * up * up;
      }
    }
    if (threadIdx.x == 0) at<T>(out, j) = static_cast<T>(res);
  }
}

template <class T>
void redo_nonfinite(DeviceCall& dc, const T* x, const Geometry& g, const TensorArg& out, Kind kind,
                    std::int64_t ddof) {
  if (g.outputs == 0 || g.n == 0) return;  // n = 0: sum +0, mean/var NaN by definition
  redo_nonfinite_kernel<T><<<blocks_for(g.outputs), kThreads, 0, stream()>>>(x, g, out, kind, ddof);
  check_launch(dc.op(), "redo_nonfinite_kernel");
}

/// The mean of every output (the forward's mean, the non-finite fallback included) into `mean`.
template <class T>
void mean_into(DeviceCall& dc, const T* x, const Geometry& g, const TensorArg& mean) {
  run_reduction<T>(dc, x, g, SumReducer<T, Plain<T>>{}, StoreQuotient<T>{mean, g.n});
  redo_nonfinite<T>(dc, x, g, mean, Kind::mean, 0);
}

// ---- forwards ----------------------------------------------------------------------------------

enum class Op { sum, mean, var, max, min, argmax, logsumexp };

void reduction_forward(OpCall& c, Op op_kind, const char* op) {
  const Tensor& in = c.inputs.at(0);
  const Tensor& out = c.outputs.at(0);
  const std::vector<std::int64_t>& axis = c.attrs.get_ints("axis");
  if (op_kind == Op::argmax && axis.size() > 1)
    throw Error(op, {in.shape()}, "argmax takes at most one axis");
  const std::vector<std::int64_t> axes = normalize_axes(axis, in.ndim(), op);
  std::int64_t n = 1;
  for (std::int64_t a : axes) n *= in.dim(a);
  if (n == 0 && (op_kind == Op::max || op_kind == Op::min || op_kind == Op::argmax))
    throw Error(op, {in.shape()}, std::string(op) + " of an empty sequence (no identity)");
  DeviceCall dc(c, op);
  dispatch_float(in.dtype(), op, [&]<class T>() {
    const Geometry g = make_geometry(in, axes, op);
    const TensorArg xa = dc.arg(in);
    const TensorArg oa = dc.arg(out);
    if (g.outputs == 0) return;
    const T* x = xa.ptr<const T>();
    switch (op_kind) {
      case Op::sum:
        run_reduction<T>(dc, x, g, SumReducer<T, Plain<T>>{}, StoreSum<T>{oa, g.n});
        redo_nonfinite<T>(dc, x, g, oa, Kind::sum, 0);
        break;
      case Op::mean:
        mean_into<T>(dc, x, g, oa);
        break;
      case Op::var: {
        const std::int64_t ddof = c.attrs.get_int("ddof");
        T* mean = dc.scratch<T>(g.outputs);
        mean_into<T>(dc, x, g, flat_arg(mean, g.outputs));
        const std::int64_t d = g.n - ddof > 0 ? g.n - ddof : 0;  // 0: inf or NaN, as NumPy
        run_reduction<T>(dc, x, g, SumReducer<T, SquaredDeviation<T>>{{mean}},
                         StoreQuotient<T>{oa, d});
        redo_nonfinite<T>(dc, x, g, oa, Kind::var, ddof);
        break;
      }
      case Op::max:
        run_reduction<T>(dc, x, g, ExtremeReducer<T, true>{}, StoreValue<T>{oa});
        break;
      case Op::min:
        run_reduction<T>(dc, x, g, ExtremeReducer<T, false>{}, StoreValue<T>{oa});
        break;
      case Op::argmax:
        run_reduction<T>(dc, x, g, ArgmaxReducer<T>{}, StoreIndex<T>{oa});
        break;
      case Op::logsumexp: {
        T* top = dc.scratch<T>(g.outputs);
        run_reduction<T>(dc, x, g, ExtremeReducer<T, true>{},
                         StoreValue<T>{flat_arg(top, g.outputs)});
        run_reduction<T>(dc, x, g, SumReducer<T, ShiftedExp<T>>{{top}}, StoreLogsumexp<T>{oa, top});
        break;
      }
    }
  });
  dc.finish();
}

void sum_forward(OpCall& c) { reduction_forward(c, Op::sum, "sum"); }
void mean_forward(OpCall& c) { reduction_forward(c, Op::mean, "mean"); }
void var_forward(OpCall& c) { reduction_forward(c, Op::var, "var"); }
void max_forward(OpCall& c) { reduction_forward(c, Op::max, "max"); }
void min_forward(OpCall& c) { reduction_forward(c, Op::min, "min"); }
void argmax_forward(OpCall& c) { reduction_forward(c, Op::argmax, "argmax"); }
void logsumexp_forward(OpCall& c) { reduction_forward(c, Op::logsumexp, "logsumexp"); }

// ---- VJPs --------------------------------------------------------------------------------------
// gx_i = f(x_i, j(i)), j(i) the output x_i reduces into: one grid-stride pass over x's elements,
// reading x and writing gx through their own strides.

struct ElemGeometry {
  int nd = 0;
  std::int64_t shape[kMaxDims] = {}, xs[kMaxDims] = {}, gs[kMaxDims] = {}, js[kMaxDims] = {};
  std::int64_t total = 0;
};

ElemGeometry make_elem_geometry(const Tensor& x, const Tensor& gx,
                                const std::vector<std::int64_t>& axes, const std::string& op) {
  ElemGeometry e;
  const Shape& s = x.shape();
  if (s.size() > static_cast<std::size_t>(kMaxDims))
    throw Error(op, {s},
                "the cuda backend takes at most " + std::to_string(kMaxDims) + " dimensions");
  if (gx.shape() != s) throw Error(op, {s, gx.shape()}, "input gradient shape differs from input");
  e.nd = static_cast<int>(s.size());
  e.total = x.numel();
  std::vector<bool> reduced(s.size(), false);
  for (std::int64_t a : axes) reduced[static_cast<std::size_t>(a)] = true;
  std::int64_t run = 1;
  for (std::size_t d = s.size(); d-- > 0;) {
    e.shape[d] = s[d];
    e.xs[d] = x.strides()[d];
    e.gs[d] = gx.strides()[d];
    e.js[d] = reduced[d] ? 0 : run;
    if (!reduced[d]) run *= s[d];
  }
  return e;
}

template <class T, class F>
__global__ void vjp_kernel(F f, const T* x, T* gx, ElemGeometry e) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < e.total; i += stride) {
    std::int64_t rem = i, xo = 0, go = 0, j = 0;
    for (int d = e.nd - 1; d >= 0; --d) {
      const std::int64_t k = rem % e.shape[d];
      rem /= e.shape[d];
      xo += k * e.xs[d];
      go += k * e.gs[d];
      j += k * e.js[d];
    }
    gx[go] = f(x[xo], j);
  }
}

/// g / c correctly rounded: float divides in double (53 ≥ 2·24 + 2: the double quotient rounded
/// to float is the correctly rounded float quotient), so counts beyond 2^24 stay exact.
template <class T>
__device__ __forceinline__ T divide_by_count(T g, std::int64_t c) {
  if constexpr (std::is_same_v<T, float>)
    return static_cast<float>(static_cast<double>(g) / static_cast<double>(c));
  else
    return g / static_cast<double>(c);
}

template <class T>
struct SumGrad {
  GradIn<T> g;
  __device__ T operator()(T, std::int64_t j) const { return g(j); }
};
template <class T>
struct MeanGrad {
  GradIn<T> g;
  std::int64_t n;
  __device__ T operator()(T, std::int64_t j) const { return divide_by_count(g(j), n); }
};
template <class T>
struct ExtremeGrad {  // fl(g / ties)·[x = y]: a NaN result matches nothing, g/0·0 = NaN
  GradIn<T> g;
  TensorArg y;
  const long long* count;
  __device__ T operator()(T v, std::int64_t j) const {
    const T share = divide_by_count(g(j), static_cast<std::int64_t>(count[j]));
    return share * (v == at<const T>(y, j) ? T(1) : T(0));
  }
};
/// (g·fl(2/d))·fl(x − m̂). A non-finite result from finite g, x, m̂ and d > 0 (x − m̂ or a product
/// overflowing where the gradient is finite) is recomputed without intermediate overflow: float
/// in double as the CPU; double by mantissas and exponents (frexp), x − m̂ halved when it
/// overflows. Non-finite operands or d = 0 give the same inf/NaN both ways, so r stands.
template <class T>
struct VarGrad {
  GradIn<T> g;
  const T* mean;
  std::int64_t d;
  __device__ T operator()(T v, std::int64_t j) const {
    const T gj = g(j), m = mean[j];
    const T two_over_d = T(2) / static_cast<T>(d);  // d = 0: inf
    const T r = (gj * two_over_d) * (v - m);
    if (isfinite(r)) return r;
    if (!(isfinite(gj) && isfinite(v) && isfinite(m) && d > 0)) return r;
    if constexpr (std::is_same_v<T, float>) {
      const double wide_scale = 2.0 / static_cast<double>(d);
      return static_cast<float>(static_cast<double>(gj) * wide_scale *
                                (static_cast<double>(v) - static_cast<double>(m)));
    } else {
      double t = v - m;
      int et = 0;
      if (!isfinite(t)) {  // |v − m| > max: both are ≥ 2^970 in magnitude, halving is exact
        t = v * 0.5 - m * 0.5;
        et = 1;
      }
      int eg = 0, ec = 0, e3 = 0;
      const double gm = frexp(gj, &eg), cm = frexp(two_over_d, &ec), tm = frexp(t, &e3);
      return ldexp(gm * cm * tm, eg + ec + e3 + et);
    }
  }
};
template <class T>
struct LogsumexpGrad {  // g·exp(fl(x − y)), y this backend's forward
  GradIn<T> g;
  TensorArg y;
  __device__ T operator()(T v, std::int64_t j) const { return g(j) * exp_t(v - at<const T>(y, j)); }
};

enum class Grad { sum, mean, var, max, min, logsumexp };

void reduction_vjp(BackwardCall& bc, Grad kind, const char* op) {
  if (bc.grad_inputs.empty() || !bc.grad_inputs[0].defined()) return;
  const OpCall& f = *bc.forward;
  const Tensor& x = f.inputs.at(0);
  const Tensor& gx = bc.grad_inputs[0];
  const Tensor g_t = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  const std::vector<std::int64_t> axes = normalize_axes(f.attrs.get_ints("axis"), x.ndim(), op);
  DeviceCall dc(bc, op);
  dispatch_float(x.dtype(), op, [&]<class T>() {
    const ElemGeometry e = make_elem_geometry(x, gx, axes, op);
    const Geometry geo = make_geometry(x, axes, op);
    const TensorArg xa = dc.arg(x);
    const TensorArg ga = dc.arg(gx);
    const GradIn<T> g{dc.arg(g_t)};  // undefined: data == nullptr, read as zeros
    if (e.total == 0) return;
    const T* xp = xa.ptr<const T>();
    T* gp = ga.ptr<T>();
    const unsigned grid = grid_for(e.total, kThreads);
    auto launch = [&](auto functor) {
      vjp_kernel<T><<<grid, kThreads, 0, stream()>>>(functor, xp, gp, e);
      check_launch(op, "vjp_kernel");
    };
    switch (kind) {
      case Grad::sum:
        launch(SumGrad<T>{g});
        break;
      case Grad::mean:
        launch(MeanGrad<T>{g, geo.n});
        break;
      case Grad::max:
      case Grad::min: {
        const TensorArg y = dc.arg(f.outputs.at(0));
        long long* count = dc.scratch<long long>(geo.outputs);
        run_reduction<T>(dc, xp, geo, TieCountReducer<T>{y}, StoreCount{count});
        launch(ExtremeGrad<T>{g, y, count});
        break;
      }
      case Grad::var: {
        const std::int64_t ddof = f.attrs.get_int("ddof");
        T* mean = dc.scratch<T>(geo.outputs);
        mean_into<T>(dc, xp, geo, flat_arg(mean, geo.outputs));
        launch(VarGrad<T>{g, mean, geo.n - ddof > 0 ? geo.n - ddof : 0});
        break;
      }
      case Grad::logsumexp:
        launch(LogsumexpGrad<T>{g, dc.arg(f.outputs.at(0))});
        break;
    }
  });
  dc.finish();
}

void sum_vjp(BackwardCall& bc) { reduction_vjp(bc, Grad::sum, "sum"); }
void mean_vjp(BackwardCall& bc) { reduction_vjp(bc, Grad::mean, "mean"); }
void var_vjp(BackwardCall& bc) { reduction_vjp(bc, Grad::var, "var"); }
void max_vjp(BackwardCall& bc) { reduction_vjp(bc, Grad::max, "max"); }
void min_vjp(BackwardCall& bc) { reduction_vjp(bc, Grad::min, "min"); }
void logsumexp_vjp(BackwardCall& bc) { reduction_vjp(bc, Grad::logsumexp, "logsumexp"); }

#define VT_CUDA_REDUCTION(name, variant_name, vjp, how) \
  VT_REGISTER_CUDA_VJP(name, variant_name, name##_forward, vjp, how)

VT_CUDA_REDUCTION(sum, "tree", sum_vjp,
                  "block per output (4096-element chunks: per-block partials, second pass in "
                  "order) or thread per strided column; warp shuffles; VJP g broadcast");
VT_CUDA_REDUCTION(mean, "tree", mean_vjp, "tree sum, then one division by n; VJP fl(g/n)");
VT_CUDA_REDUCTION(var, "two_pass", var_vjp,
                  "tree mean, then tree Σ(x − mean)², one division; VJP (g·2/d)·(x − mean)");
VT_CUDA_REDUCTION(max, "tree", max_vjp,
                  "IEEE maximum combined in a shuffle tree; VJP g/ties at the maxima");
VT_CUDA_REDUCTION(min, "tree", min_vjp,
                  "IEEE minimum combined in a shuffle tree; VJP g/ties at the minima");
VT_CUDA_REDUCTION(argmax, "tree", nullptr,
                  "(value, index) pairs combined in a shuffle tree: first NaN, else first maximum");
VT_CUDA_REDUCTION(logsumexp, "max_shift", logsumexp_vjp,
                  "tree max, then tree Σ exp(x − max) (float32: exp in double), log; VJP "
                  "g·exp(x − y)");

}  // namespace
}  // namespace vt::cuda
