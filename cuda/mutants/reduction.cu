// cuda/mutants/reduction.cu — planted bugs in the CUDA sum (linked only into veritensor-planted).
// What it is: two small sums, each correct except for one synchronisation bug, to prove the
// harness flags them (DESIGN.md "Detection power"):
//  - mutant_missing_syncthreads: a shared-memory tree reduction in a block (one block per output)
//    with the __syncthreads() after the first tree level left out: threads 0–63 then read slots
//    64–127 that threads of other warps wrote without a barrier in between. compute-sanitizer
//    racecheck reports the shared-memory hazard (the values may or may not come out wrong).
//  - mutant_unsynchronised_reduction: every output is cut into chunks of 32 elements, one block
//    each (so even verify's moderate sizes launch many blocks per output), and each block adds
//    its partial into the output's one global accumulator with a plain load … store (no atomics,
//    no second pass; the load is taken before the block's own reduction, as a careless
//    "prefetch" would, which widens the window). Concurrent blocks lose each other's updates:
//    any output reducing more than 32 elements comes out wrong (verify's value comparison, bit
//    for bit in the exact regime) and differs from run to run (verify --bitwise).
// What it is not: anything the clean backend uses (cuda/ops/reduction.cu).
#include "core/shape.hpp"
#include "cuda/core/device_call.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vt::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kRaceChunk = 32;  // elements (and threads) per block of the unsynchronised sum

/// Input offset of (output j, reduced position r) = koff(j) + roff(r) (as cuda/ops/reduction.cu).
struct Geometry {
  int nk = 0, nr = 0;
  std::int64_t kshape[kMaxDims] = {}, kstride[kMaxDims] = {};
  std::int64_t rshape[kMaxDims] = {}, rstride[kMaxDims] = {};
  std::int64_t outputs = 1, n = 1;
};

__device__ std::int64_t unravel(std::int64_t i, int nd, const std::int64_t* shape,
                                const std::int64_t* stride) {
  std::int64_t off = 0;
  for (int d = nd - 1; d > 0; --d) {
    off += (i % shape[d]) * stride[d];
    i /= shape[d];
  }
  return nd > 0 ? off + i * stride[0] : 0;
}

Geometry make_geometry(const Tensor& x, const std::vector<std::int64_t>& axes,
                       const std::string& op) {
  Geometry g;
  const Shape& s = x.shape();
  if (s.size() > static_cast<std::size_t>(kMaxDims))
    throw Error(op, {s},
                "the cuda backend takes at most " + std::to_string(kMaxDims) + " dimensions");
  std::vector<bool> reduced(s.size(), false);
  for (std::int64_t a : axes) reduced[static_cast<std::size_t>(a)] = true;
  for (std::size_t d = 0; d < s.size(); ++d) {
    if (s[d] == 1) continue;
    if (reduced[d]) {
      g.n *= s[d];
      g.rshape[g.nr] = s[d];
      g.rstride[g.nr++] = x.strides()[d];
    } else {
      g.outputs *= s[d];
      g.kshape[g.nk] = s[d];
      g.kstride[g.nk++] = x.strides()[d];
    }
  }
  return g;
}

template <class T>
__device__ T& out_at(const TensorArg& a, std::int64_t j) {
  return a.ptr<T>()[a.offset(j)];
}

// ---- mutant 1: a block tree reduction missing one __syncthreads() ------------------------------

template <class T>
__global__ void __launch_bounds__(kThreads) tree_sum_kernel(const T* x, Geometry g, TensorArg out) {
  __shared__ T sh[kThreads];
  const int tid = static_cast<int>(threadIdx.x);
  for (std::int64_t j = blockIdx.x; j < g.outputs; j += gridDim.x) {
    const std::int64_t base = unravel(j, g.nk, g.kshape, g.kstride);
    T acc = -T(0);
    for (std::int64_t r = tid; r < g.n; r += kThreads)
      acc += x[base + unravel(r, g.nr, g.rshape, g.rstride)];
    __syncthreads();  // the previous output's sh[0] has been read
    sh[tid] = acc;
    __syncthreads();
    for (int s = kThreads / 2; s > 0; s /= 2) {
      if (tid < s) sh[tid] += sh[tid + s];
      if (s != kThreads / 2) __syncthreads();  // PLANTED BUG: no barrier after the first level
    }
    if (tid == 0) out_at<T>(out, j) = g.n == 0 ? T(0) : sh[0];
  }
}

// ---- mutant 2: blocks adding into one accumulator without atomics -------------------------------

template <class T>
__global__ void fill_kernel(T* acc, std::int64_t n, T v) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride)
    acc[i] = v;
}

/// One 32-thread block (a warp) per (output, 32-element chunk); grid = outputs × chunks, no
/// grid-stride, so the chunks of an output run concurrently.
template <class T>
__global__ void __launch_bounds__(kRaceChunk)
    racy_sum_kernel(const T* x, Geometry g, T* acc, std::int64_t chunks) {
  const std::int64_t it = blockIdx.x;
  const std::int64_t j = it / chunks, p = it % chunks;
  const int lane = static_cast<int>(threadIdx.x);
  T before = T(0);
  if (lane == 0) before = acc[j];  // PLANTED BUG: read … (no atomic, no ordering)
  const std::int64_t base = unravel(j, g.nk, g.kshape, g.kstride);
  const std::int64_t r = p * kRaceChunk + lane;
  T v = -T(0);
  if (r < g.n) v = x[base + unravel(r, g.nr, g.rshape, g.rstride)];
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (lane == 0) acc[j] = before + v;  // … modify, write: another block's update is lost
}

template <class T>
__global__ void store_kernel(const T* acc, Geometry g, TensorArg out) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       j < g.outputs; j += stride)
    out_at<T>(out, j) = g.n == 0 ? T(0) : acc[j];
}

enum class Bug { missing_syncthreads, unsynchronised };

void mutant_sum(OpCall& c, Bug bug) {
  const char* op = "sum";
  const Tensor& in = c.inputs.at(0);
  const Tensor& out = c.outputs.at(0);
  const std::vector<std::int64_t> axes = normalize_axes(c.attrs.get_ints("axis"), in.ndim(), op);
  DeviceCall dc(c, op);
  dispatch_float(in.dtype(), op, [&]<class T>() {
    const Geometry g = make_geometry(in, axes, op);
    const TensorArg xa = dc.arg(in);
    const TensorArg oa = dc.arg(out);
    if (g.outputs == 0) return;
    const T* x = xa.ptr<const T>();
    if (bug == Bug::missing_syncthreads) {
      tree_sum_kernel<T>
          <<<grid_for(g.outputs * kThreads, kThreads), kThreads, 0, stream()>>>(x, g, oa);
      check_launch(op, "tree_sum_kernel");
      return;
    }
    const std::int64_t chunks = g.n > 0 ? (g.n + kRaceChunk - 1) / kRaceChunk : 1;
    const std::int64_t blocks = g.outputs * chunks;
    if (blocks > 0x7fffffff) throw Error(op, {in.shape()}, "too many blocks for the mutant");
    T* acc = dc.scratch<T>(g.outputs);
    fill_kernel<T><<<grid_for(g.outputs, kThreads), kThreads, 0, stream()>>>(acc, g.outputs, -T(0));
    check_launch(op, "fill_kernel");
    racy_sum_kernel<T>
        <<<static_cast<unsigned>(blocks), kRaceChunk, 0, stream()>>>(x, g, acc, chunks);
    check_launch(op, "racy_sum_kernel");
    store_kernel<T><<<grid_for(g.outputs, kThreads), kThreads, 0, stream()>>>(acc, g, oa);
    check_launch(op, "store_kernel");
  });
  dc.finish();
}

void sum_missing_syncthreads(OpCall& c) { mutant_sum(c, Bug::missing_syncthreads); }
void sum_unsynchronised(OpCall& c) { mutant_sum(c, Bug::unsynchronised); }

VT_REGISTER_IMPL({.op = "sum",
                  .backend = ::vt::backend::cuda,
                  .variant = "mutant_missing_syncthreads",
                  .dtypes = {::vt::DType::f32, ::vt::DType::f64},
                  .forward = sum_missing_syncthreads,
                  .planted_bug = true,
                  .caught_by = "racecheck",
                  .technique = "block shared-memory tree sum with the __syncthreads() after its "
                               "first level left out (compute-sanitizer racecheck flags it)"});
VT_REGISTER_IMPL({.op = "sum",
                  .backend = ::vt::backend::cuda,
                  .variant = "mutant_unsynchronised_reduction",
                  .dtypes = {::vt::DType::f32, ::vt::DType::f64},
                  .forward = sum_unsynchronised,
                  .planted_bug = true,
                  .caught_by = "value",
                  .technique = "32-element blocks adding partials into one accumulator with a "
                               "plain read-modify-write (lost updates across blocks)"});

}  // namespace
}  // namespace vt::cuda
