// cuda/mutants/elementwise.cu — a planted bug in the CUDA binary elementwise ops, linked only into
// veritensor-planted, to prove verify flags it.
// mutant_lost_tail (add): the contiguous 16-byte-vector kernel without its scalar tail loop, so
// the last n mod (16/sizeof(T)) elements (n mod 4 for float32, n mod 2 for float64) are never
// written and keep the harness's canary bytes. Non-contiguous or unaligned operands take the
// correct strided launcher, so only the contiguous layouts whose length is not a multiple of the
// vector width show it: binary_structural_layouts' "size n" ⊕ "size n" with n = 1, 2, 3, 5, 7, 9,
// 13, … (float32; n odd for float64) and binary_layouts' "vector ⊕ vector" (41) — value
// mismatches (canary NaN/garbage against the reference) in verify.
#include "cuda/core/device_call.hpp"
#include "cuda/core/map.cuh"
#include "optimized/core/loops.hpp"

#include <cstdint>
#include <vector>

namespace vt::cuda {
namespace {

/// out = a + b over the n / L whole vectors only: the tail is lost. No __restrict__: an in-place
/// call aliases out and a.
template <class T>
__global__ void add_vectors_only_kernel(T* out, const T* a, const T* b, std::int64_t n) {
  constexpr int L = Vec16<T>::kLanes;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const std::int64_t vectors = n / L;
  for (std::int64_t v = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       v < vectors; v += stride) {
    const Vec16<T> x = reinterpret_cast<const Vec16<T>*>(a)[v];
    const Vec16<T> y = reinterpret_cast<const Vec16<T>*>(b)[v];
    Vec16<T> r;
#pragma unroll
    for (int l = 0; l < L; ++l) r.v[l] = x.v[l] + y.v[l];
    reinterpret_cast<Vec16<T>*>(out)[v] = r;
  }
  // BUG (planted): no loop over elements vectors·L … n − 1.
}

template <class T>
struct AddF {
  __device__ T operator()(T a, T b) const { return a + b; }
};

void add_lost_tail_forward(OpCall& c) {
  const char* op = "add";
  Tensor& out = c.outputs.at(0);
  const std::vector<Tensor> ins = opt::prepare_elementwise(c.inputs, out, op);
  DeviceCall dc(c, op);
  for (const Tensor& t : ins) dc.read(t);
  dispatch_float(out.dtype(), op, [&]<class T>() {
    const std::vector<TensorArg> args = dc.map_args(out, {ins.at(0), ins.at(1)});
    bool vectorizable = true;
    for (const TensorArg& t : args)
      vectorizable = vectorizable && t.contiguous && is_aligned16(t.data);
    if (!vectorizable) {
      launch_map<T, 2>(op, AddF<T>{}, args);
      return;
    }
    const std::int64_t n = args[0].numel;
    if (n == 0) return;
    const std::int64_t vectors = n / Vec16<T>::kLanes;
    constexpr int kThreads = 256;
    add_vectors_only_kernel<T>
        <<<grid_for(vectors > 0 ? vectors : 1, kThreads), kThreads, 0, stream()>>>(
            args[0].ptr<T>(), args[1].ptr<const T>(), args[2].ptr<const T>(), n);
    check_launch(op, "add_vectors_only_kernel");
  });
  dc.finish();
}

VT_REGISTER_IMPL({.op = "add",
                  .backend = ::vt::backend::cuda,
                  .variant = "mutant_lost_tail",
                  .dtypes = {::vt::DType::f32, ::vt::DType::f64},
                  .forward = add_lost_tail_forward,
                  .planted_bug = true,
                  .caught_by = "value",
                  .technique = "contiguous 16-byte-vector add that drops the n mod (16/sizeof(T)) "
                               "tail elements (planted bug)"});

}  // namespace
}  // namespace vt::cuda
