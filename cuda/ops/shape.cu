// cuda/ops/shape.cu — reshape, transpose, permute, slice, concat, stack (float32/float64) on the
// GPU, forward and VJP.
// Shaped this way because: every shape op is "copy this view into that one" (as in
// optimized/ops/shape.cpp), so the host builds the views (core/tensor.hpp: permute, slice,
// squeeze, view_as_shape — views of a declared storage map onto the same device memory) and one
// of two copy kernels moves the elements:
//  - same shape on both sides: DeviceCall::map_args merges the dimensions and the elementwise
//    launcher copies (cuda/core/map.cuh: 16-byte vectors when both sides are one contiguous,
//    aligned run — concat, stack, outer-axis slices, reshape — the strided kernel otherwise);
//  - different shapes, same element count (a reshape neither side of which can be re-viewed):
//    dst[dst.offset(i)] = src[src.offset(i)] over the row-major index i (TensorArg::offset).
// Elements are moved as same-size unsigned integers: NaN payloads and signed zeros survive by
// construction. The VJPs are the same copies with source and destination exchanged (plus a zero
// fill where slice selected nothing). Attributes, checks and error messages are those of
// optimized/ops/shape.cpp. A source that shares memory with its destination is cloned on the host
// before the upload (read everything before writing anything).
// Accuracy (verify/ops/shape.cpp): exact — no arithmetic.
// What it is not: a tiled transpose (the permuted copies read with strides and write coalesced).
#include "cuda/core/device_call.hpp"
#include "cuda/core/map.cuh"
#include "optimized/ops/shape.hpp"

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace vt::cuda {
namespace {

constexpr int kThreads = 256;

// The checks and attribute parsing of optimized/ops/shape.cpp.
using opt::axis_of;
using opt::check_float;
using opt::inverse_of;
using opt::order_of;
using opt::slice_stop;
using opt::try_view;

// ---- kernels ----------------------------------------------------------------------------------

struct Identity {
  template <class U>
  __device__ U operator()(U x) const {
    return x;
  }
};

/// dst[dst.offset(i)] = src[src.offset(i)] for the row-major index i < dst.numel (src has as many
/// elements, in its own shape).
template <class U>
__global__ void reshape_copy_kernel(TensorArg dst, TensorArg src) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  U* const d = dst.ptr<U>();
  const U* const s = src.ptr<const U>();
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < dst.numel; i += stride)
    d[dst.offset(i)] = s[src.offset(i)];
}

/// dst[dst.offset(i)] = 0 (all bits zero: +0.0) for i < dst.numel.
template <class U>
__global__ void zero_fill_kernel(TensorArg dst) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  U* const d = dst.ptr<U>();
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < dst.numel; i += stride)
    d[dst.offset(i)] = U(0);
}

// ---- the host side: a list of copies and zero fills --------------------------------------------

struct CopyJob {
  Tensor src, dst;  // same dtype and element count; same shape except for reshape
};

/// Runs the zero fills, then the copies, in that order on the stream. Every tensor must belong to
/// a storage declared in dc (views of the call's tensors are); a source overlapping its
/// destination is replaced by a host clone, declared here — so call this before any dc.arg().
void run_jobs(DeviceCall& dc, const std::string& op, const std::vector<Tensor>& zero,
              std::vector<CopyJob> copies) {
  for (CopyJob& j : copies) {
    if (j.src.numel() != j.dst.numel() || j.src.dtype() != j.dst.dtype())
      throw Error(op, {j.src.shape(), j.dst.shape()},
                  "internal: copy between different sizes or dtypes");
    if (j.dst.numel() > 0 && j.src.overlaps(j.dst)) {
      j.src = j.src.clone();
      dc.read(j.src);
    }
  }
  const DType dt = !copies.empty() ? copies.front().dst.dtype()
                                   : (!zero.empty() ? zero.front().dtype() : DType::f32);
  dispatch_float(dt, op, [&]<class T>() {
    using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    for (const Tensor& z : zero) {
      if (z.numel() == 0) continue;
      const TensorArg a = dc.arg(z);
      zero_fill_kernel<U><<<grid_for(a.numel, kThreads), kThreads, 0, dc.stream()>>>(a);
      check_launch(op, "zero_fill_kernel");
    }
    for (const CopyJob& j : copies) {
      if (j.dst.numel() == 0) continue;
      if (j.src.shape() == j.dst.shape()) {
        launch_map<U, 1>(op, Identity{}, dc.map_args(j.dst, {j.src}));
      } else {
        const TensorArg d = dc.arg(j.dst), s = dc.arg(j.src);
        reshape_copy_kernel<U><<<grid_for(d.numel, kThreads), kThreads, 0, dc.stream()>>>(d, s);
        check_launch(op, "reshape_copy_kernel");
      }
    }
  });
}

/// The copy x → out between equal element counts in row-major order (reshape and its VJP): a
/// same-shape copy through a re-viewed side when the strides allow, else the flat kernel.
CopyJob reshape_job(const Tensor& x, const Tensor& out) {
  Tensor v;
  if (try_view(x, out.shape(), v)) return {v, out};
  if (try_view(out, x.shape(), v)) return {x, v};
  return {x, out};
}

/// A copy between views of one shape (every op but reshape); a mismatch is a shape-rule error.
CopyJob same_shape_job(const Tensor& src, const Tensor& dst, const char* op) {
  if (src.shape() != dst.shape())
    throw Error(op, {src.shape(), dst.shape()}, "the output does not match the input's view");
  return {src, dst};
}

/// The forward's DeviceCall for the shape ops (inputs read, outputs written) — constructed
/// first, so a missing device is reported before anything else.
void run_forward(OpCall& c, const char* op, const std::vector<CopyJob>& copies) {
  DeviceCall dc(c, op);
  run_jobs(dc, op, {}, copies);
  dc.finish();
}

// ---- forwards -----------------------------------------------------------------------------------

// x: any shape; out: the resolved shape attribute, same number of elements.
void reshape_forward(OpCall& c) {
  DeviceCall dc(c, "reshape");
  check_float(c, "reshape", backend::cuda);
  const Tensor& x = c.inputs.at(0);
  const Tensor& out = c.outputs.at(0);
  if (x.numel() != out.numel())
    throw Error("reshape", {x.shape()}, "cannot reshape into " + shape_str(out.shape()));
  if (out.numel() > 0) run_jobs(dc, "reshape", {}, {reshape_job(x, out)});
  dc.finish();
}

// x: (n_0, …, n_{d−1}); out: (n_order[0], …).
void transpose_forward(OpCall& c) {
  check_float(c, "transpose", backend::cuda);
  const Tensor& x = c.inputs.at(0);
  const Tensor v = x.permute(order_of(x, c.attrs.get_ints("axes"), "transpose", true));
  run_forward(c, "transpose", {same_shape_job(v, c.outputs.at(0), "transpose")});
}

void permute_forward(OpCall& c) {
  check_float(c, "permute", backend::cuda);
  const Tensor& x = c.inputs.at(0);
  const Tensor v = x.permute(order_of(x, c.attrs.get_ints("dims"), "permute", false));
  run_forward(c, "permute", {same_shape_job(v, c.outputs.at(0), "permute")});
}

// x: (…, n, …) → out: (…, len(range(start, stop, step) ∩ [0, n)), …).
void slice_forward(OpCall& c) {
  check_float(c, "slice", backend::cuda);
  const Tensor& x = c.inputs.at(0);
  const Attrs& a = c.attrs;
  const Tensor v = x.slice(a.get_int("axis"), a.get_int("start"), slice_stop(a), a.get_int("step"));
  run_forward(c, "slice", {same_shape_job(v, c.outputs.at(0), "slice")});
}

// xs[k]: (…, n_k, …) → out: (…, Σ n_k, …): each input is copied into its slab of out.
void concat_forward(OpCall& c) {
  check_float(c, "concat", backend::cuda);
  const Tensor& out = c.outputs.at(0);
  const std::int64_t axis = axis_of(c.attrs.get_int("axis"), out.ndim(), "concat", out.shape());
  std::vector<CopyJob> copies;
  std::int64_t offset = 0;
  for (const Tensor& x : c.inputs) {
    const std::int64_t n = x.ndim() == out.ndim() ? x.dim(axis) : -1;
    if (n < 0 || offset + n > out.dim(axis))
      throw Error("concat", {x.shape(), out.shape()}, "input does not fit the output");
    if (n > 0) {
      const Tensor slab = out.slice(axis, offset, offset + n);
      if (slab.shape() != x.shape())
        throw Error("concat", {x.shape(), out.shape()}, "input does not fit the output");
      copies.push_back({x, slab});
    }
    offset += n;
  }
  run_forward(c, "concat", copies);
}

// xs[k]: S → out: S with len(xs) inserted at axis: input k is copied into out[…, k, …].
void stack_forward(OpCall& c) {
  check_float(c, "stack", backend::cuda);
  const Tensor& out = c.outputs.at(0);
  const std::int64_t axis = axis_of(c.attrs.get_int("axis"), out.ndim(), "stack", out.shape());
  if (out.dim(axis) != static_cast<std::int64_t>(c.inputs.size()))
    throw Error("stack", {out.shape()}, "output does not match the number of inputs");
  std::vector<CopyJob> copies;
  for (std::size_t k = 0; k < c.inputs.size(); ++k) {
    const auto kk = static_cast<std::int64_t>(k);
    const Tensor slot = out.slice(axis, kk, kk + 1).squeeze(axis);
    if (slot.shape() != c.inputs[k].shape())
      throw Error("stack", {c.inputs[k].shape(), out.shape()}, "input does not fit the output");
    copies.push_back({c.inputs[k], slot});
  }
  run_forward(c, "stack", copies);
}

// ---- VJPs: the same copies, read backwards ------------------------------------------------------
// g and gx may be strided; gx never has internal overlap (allocated with the input's shape).

/// A DeviceCall reading the output gradient and writing the defined input gradients (the
/// forward's tensors are not needed by a copy's VJP, so they are not transferred).
struct VjpCall {
  DeviceCall dc;
  VjpCall(const BackwardCall& b, const char* op) : dc(op) {
    for (const Tensor& g : b.grad_outputs) dc.read(g);
    for (const Tensor& gx : b.grad_inputs) dc.write(gx);
  }
};

/// An undefined output gradient means zero: every defined input gradient is then zero (on the
/// host: nothing to compute).
bool zero_if_no_grad(BackwardCall& b) {
  if (b.grad_outputs.at(0).defined()) return false;
  for (Tensor& gx : b.grad_inputs)
    if (gx.defined() && gx.numel() > 0) gx.copy_from(Tensor::empty({}, gx.dtype()));
  return true;
}

// g: out's shape; gx: x's shape (same number of elements): reshape's copy with the roles swapped.
void reshape_backward(BackwardCall& b) {
  VjpCall v(b, "reshape");
  const Tensor& gx = b.grad_inputs.at(0);
  if (!gx.defined() || zero_if_no_grad(b)) return;
  const Tensor& g = b.grad_outputs[0];
  if (g.numel() != gx.numel())
    throw Error("reshape", {gx.shape(), g.shape()}, "gradient does not match the input");
  if (gx.numel() > 0) run_jobs(v.dc, "reshape", {}, {reshape_job(g, gx)});
  v.dc.finish();
}

// g: (n_order[0], …) → gx: (n_0, …): g's view permuted by the inverse.
void permute_vjp(BackwardCall& b, const char* op, const char* attr, bool empty_reverses) {
  VjpCall v(b, op);
  const Tensor& gx = b.grad_inputs.at(0);
  if (!gx.defined() || zero_if_no_grad(b)) return;
  const Tensor& x = b.forward->inputs.at(0);
  const Tensor& g = b.grad_outputs[0];
  // Validate through the forward's path (throws on a bad permutation), then invert.
  const std::vector<std::int64_t> order =
      order_of(x, b.forward->attrs.get_ints(attr), op, empty_reverses);
  (void)x.permute(order);
  run_jobs(v.dc, op, {}, {same_shape_job(g.permute(inverse_of(order)), gx, op)});
  v.dc.finish();
}
void transpose_backward(BackwardCall& b) { permute_vjp(b, "transpose", "axes", true); }
void permute_backward(BackwardCall& b) { permute_vjp(b, "permute", "dims", false); }

// g: (…, length, …) → gx: (…, n, …): zeros where nothing was selected, g copied into gx's sliced
// view (the fill runs first on the stream, the copy after it).
void slice_backward(BackwardCall& b) {
  VjpCall v(b, "slice");
  const Tensor& gx = b.grad_inputs.at(0);
  if (!gx.defined() || zero_if_no_grad(b)) return;
  const Attrs& a = b.forward->attrs;
  const std::int64_t axis = axis_of(a.get_int("axis"), gx.ndim(), "slice", gx.shape());
  const Tensor dst = gx.slice(axis, a.get_int("start"), slice_stop(a), a.get_int("step"));
  const Tensor& g = b.grad_outputs[0];
  if (dst.shape() != g.shape())
    throw Error("slice", {gx.shape(), g.shape()}, "gradient does not match the slice");
  std::vector<Tensor> zero;
  if (dst.dim(axis) < gx.dim(axis)) zero.push_back(gx);
  run_jobs(v.dc, "slice", zero, {{g, dst}});
  v.dc.finish();
}

// g: (…, Σ n_k, …) → gx_k: (…, n_k, …): input k's slab of g along the axis.
void concat_backward(BackwardCall& b) {
  VjpCall v(b, "concat");
  if (zero_if_no_grad(b)) return;
  const Tensor& g = b.grad_outputs[0];
  const std::int64_t axis =
      axis_of(b.forward->attrs.get_int("axis"), g.ndim(), "concat", g.shape());
  std::vector<CopyJob> copies;
  std::int64_t offset = 0;
  for (std::size_t k = 0; k < b.forward->inputs.size(); ++k) {
    const Tensor& x = b.forward->inputs[k];
    const std::int64_t n = x.ndim() == g.ndim() ? x.dim(axis) : -1;
    if (n < 0 || offset + n > g.dim(axis))
      throw Error("concat", {x.shape(), g.shape()}, "input does not fit the output gradient");
    const Tensor& gx = b.grad_inputs.at(k);
    if (gx.defined()) {
      const Tensor slab = g.slice(axis, offset, offset + n);
      if (slab.shape() != gx.shape())
        throw Error("concat", {gx.shape(), g.shape()}, "gradient does not match the input");
      copies.push_back({slab, gx});
    }
    offset += n;
  }
  run_jobs(v.dc, "concat", {}, copies);
  v.dc.finish();
}

// g: S with len(xs) inserted at axis → gx_k: S: g[…, k, …].
void stack_backward(BackwardCall& b) {
  VjpCall v(b, "stack");
  if (zero_if_no_grad(b)) return;
  const Tensor& g = b.grad_outputs[0];
  const std::int64_t axis = axis_of(b.forward->attrs.get_int("axis"), g.ndim(), "stack", g.shape());
  if (g.dim(axis) != static_cast<std::int64_t>(b.forward->inputs.size()))
    throw Error("stack", {g.shape()}, "output gradient does not match the number of inputs");
  std::vector<CopyJob> copies;
  for (std::size_t k = 0; k < b.forward->inputs.size(); ++k) {
    const Tensor& gx = b.grad_inputs.at(k);
    const auto kk = static_cast<std::int64_t>(k);
    if (!gx.defined()) continue;
    const Tensor slot = g.slice(axis, kk, kk + 1).squeeze(axis);
    if (slot.shape() != gx.shape())
      throw Error("stack", {gx.shape(), g.shape()}, "gradient does not match the input");
    copies.push_back({slot, gx});
  }
  run_jobs(v.dc, "stack", {}, copies);
  v.dc.finish();
}

#define VT_CUDA_SHAPE(name, how, vjp_how) \
  VT_REGISTER_CUDA_VJP(name, "copy", name##_forward, name##_backward, how "; VJP: " vjp_how)

VT_CUDA_SHAPE(reshape,
              "re-viewed side + merged-dimension copy kernel (16-byte vectors when contiguous), "
              "else a flat row-major index copy",
              "g copied back the same way");
VT_CUDA_SHAPE(transpose, "permuted view copied by the strided copy kernel",
              "g's inversely permuted view, same kernel");
VT_CUDA_SHAPE(permute, "permuted view copied by the strided copy kernel",
              "g's inversely permuted view, same kernel");
VT_CUDA_SHAPE(slice, "sliced view (Tensor::slice) copied by the strided copy kernel",
              "zero fill of gx, then g copied into its sliced view");
VT_CUDA_SHAPE(concat, "each input copied into its slab of the output (16-byte vectors on runs)",
              "each input's slab of g copied out");
VT_CUDA_SHAPE(stack, "each input copied into its index of the new axis",
              "g[…, k, …] copied out for input k");

}  // namespace
}  // namespace vt::cuda
