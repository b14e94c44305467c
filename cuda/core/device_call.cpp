// cuda/core/device_call.cpp — host ↔ device transfer of an op call's tensors.
// What it is not: any kernel.
#include "cuda/core/device_call.hpp"

#include "optimized/core/loops.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace vt::cuda {
namespace {
constexpr std::int64_t kAlign = 256;  // cudaMalloc's alignment; device ≡ host modulo this
}

DeviceCall::DeviceCall(std::string op) : op_(std::move(op)) {
  const DeviceInfo& d = device_info();
  if (!d.available)
    throw Error(op_, {}, "the cuda backend cannot run: no CUDA device (" + d.reason + ")");
}

DeviceCall::DeviceCall(const OpCall& c, std::string op) : DeviceCall(std::move(op)) {
  for (const Tensor& t : c.inputs) read(t);
  for (const Tensor& t : c.outputs) write(t);
}

DeviceCall::DeviceCall(const BackwardCall& c, std::string op) : DeviceCall(std::move(op)) {
  for (const Tensor& t : c.forward->inputs) read(t);
  for (const Tensor& t : c.forward->outputs) read(t);
  for (const Tensor& t : c.grad_outputs) read(t);
  for (const Tensor& t : c.grad_inputs) write(t);
}

void DeviceCall::read(const Tensor& t) { declare(t, false); }
void DeviceCall::write(const Tensor& t) { declare(t, true); }

void DeviceCall::declare(const Tensor& t, bool written) {
  if (!t.defined() || t.numel() == 0) return;
  if (uploaded_) throw Error(op_, {t.shape()}, "DeviceCall: tensor declared after the upload");
  const auto [lo, hi] = t.byte_extent();
  const Storage* s = t.storage().get();
  for (Region& r : regions_)
    if (r.storage == s) {
      r.lo = std::min(r.lo, lo);
      r.hi = std::max(r.hi, hi);
      r.written = r.written || written;
      return;
    }
  Region r;
  r.storage = s;
  r.lo = lo;
  r.hi = hi;
  r.written = written;
  regions_.push_back(std::move(r));
}

void DeviceCall::upload() {
  uploaded_ = true;
  for (Region& r : regions_) {
    const std::byte* host_lo = r.storage->data() + r.lo;
    const auto pad = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(host_lo) % kAlign);
    r.buffer = DeviceBuffer(static_cast<std::size_t>(pad + r.hi - r.lo), op_);
    r.device_lo = r.buffer.data() + pad;
    VT_CUDA_CHECK(op_, cudaMemcpyAsync(r.device_lo, host_lo, static_cast<std::size_t>(r.hi - r.lo),
                                       cudaMemcpyHostToDevice, cuda::stream()));
  }
}

TensorArg DeviceCall::make_arg(const Tensor& t, const Shape& shape, const Strides& strides) const {
  TensorArg a;
  if (!t.defined()) return a;
  a.numel = t.numel();
  if (shape.size() > static_cast<std::size_t>(kMaxDims))
    throw Error(op_, {t.shape()},
                "the cuda backend takes at most " + std::to_string(kMaxDims) + " dimensions");
  a.ndim = static_cast<int>(shape.size());
  std::int64_t expected = 1;
  a.contiguous = true;
  for (std::size_t k = shape.size(); k-- > 0;) {
    a.shape[k] = shape[k];
    a.strides[k] = strides[k];
    if (shape[k] != 1 && strides[k] != expected) a.contiguous = false;
    expected *= shape[k];
  }
  if (t.numel() == 0) return a;
  const Storage* s = t.storage().get();
  for (const Region& r : regions_)
    if (r.storage == s) {
      const std::int64_t element0 = t.offset() * static_cast<std::int64_t>(itemsize(t.dtype()));
      a.data = r.device_lo + (element0 - r.lo);
      return a;
    }
  throw Error(op_, {t.shape()}, "DeviceCall: a tensor was used without being declared");
}

TensorArg DeviceCall::arg(const Tensor& t) {
  if (!uploaded_) upload();
  return make_arg(t, t.shape(), t.strides());
}

std::vector<TensorArg> DeviceCall::map_args(const Tensor& out, const std::vector<Tensor>& inputs) {
  if (!uploaded_) upload();
  std::vector<TensorArg> args;
  auto build = [&]<std::size_t N>() {
    std::array<Tensor, N> in;
    for (std::size_t k = 0; k < N; ++k) in[k] = inputs[k];
    const opt::LoopNest<N> nest = opt::make_loop_nest<N>(out, in);
    args.push_back(make_arg(out, nest.shape, nest.out_strides));
    for (std::size_t k = 0; k < N; ++k) {
      TensorArg a = make_arg(inputs[k], nest.shape, nest.in_strides[k]);
      a.numel = out.numel();  // the broadcast operand has out's elements
      args.push_back(a);
    }
  };
  switch (inputs.size()) {
    case 1:
      build.operator()<1>();
      break;
    case 2:
      build.operator()<2>();
      break;
    case 3:
      build.operator()<3>();
      break;
    case 4:
      build.operator()<4>();
      break;
    case 5:
      build.operator()<5>();
      break;
    default:
      throw Error(op_, {}, "map_args takes 1 to 5 inputs");
  }
  return args;
}

std::byte* DeviceCall::scratch_bytes(std::size_t nbytes) {
  scratch_.emplace_back(std::max<std::size_t>(nbytes, 1), op_);
  return scratch_.back().data();
}

void DeviceCall::finish() {
  if (!uploaded_) upload();
  VT_CUDA_CHECK(op_, cudaStreamSynchronize(cuda::stream()));
  for (Region& r : regions_)
    if (r.written)
      VT_CUDA_CHECK(op_, cudaMemcpy(r.storage->data() + r.lo, r.device_lo,
                                    static_cast<std::size_t>(r.hi - r.lo), cudaMemcpyDeviceToHost));
}

}  // namespace vt::cuda
