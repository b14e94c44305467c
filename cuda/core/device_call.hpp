// cuda/core/device_call.hpp — one op call on the GPU, seen from the host: the harness hands every
// backend host tensors (core/registry.hpp), so a cuda implementation copies what the call reads
// and writes to the device, launches, and copies the outputs back.
// What it is: the storage each tensor lives in goes over once, as the byte range the call's views
// address, placed so that device addresses have the host addresses' alignment modulo 256 (an
// unaligned host view exercises the kernels' unaligned paths). Views keep their strides: kernels
// see the layout the caller gave (TensorArg), never a silently made contiguous copy; an output
// aliasing an input (in place) aliases it on the device too. Bytes inside a range that no output
// addresses go over and come back unchanged, so the harness's canaries around an output catch a
// kernel writing where it should not.
// What it is not: the fast path for device-resident data — bench/cuda times kernels through the
// launchers on data already on the GPU.
#pragma once

#include "core/registry.hpp"
#include "core/tensor.hpp"
#include "cuda/core/runtime.hpp"
#include "cuda/core/tensor_arg.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vt::cuda {

class DeviceCall {
 public:
  /// Throws vt::Error naming the op when no CUDA device is present.
  explicit DeviceCall(std::string op);
  /// Reads the forward's inputs, writes its outputs.
  DeviceCall(const OpCall& c, std::string op);
  /// Reads the forward's inputs and outputs and the output gradients, writes grad_inputs.
  DeviceCall(const BackwardCall& c, std::string op);
  DeviceCall(const DeviceCall&) = delete;
  DeviceCall& operator=(const DeviceCall&) = delete;

  /// Declare further tensors (host temporaries) before the first arg(); undefined ones are ignored.
  void read(const Tensor& t);
  void write(const Tensor& t);

  /// The device view of a declared tensor (the first call copies everything over); an undefined
  /// tensor gives an argument with data == nullptr and numel == 0.
  TensorArg arg(const Tensor& t);
  /// Elementwise operands: out, then each input broadcast to out's shape, with the dimensions
  /// merged wherever every operand allows it (optimized/core/loops.hpp's loop nest), so most
  /// calls reach the kernels as one contiguous dimension. All must be declared.
  std::vector<TensorArg> map_args(const Tensor& out, const std::vector<Tensor>& inputs);

  /// Uninitialised device memory for n elements of T, freed with the call.
  template <class T>
  T* scratch(std::int64_t n) {
    return reinterpret_cast<T*>(scratch_bytes(static_cast<std::size_t>(n) * sizeof(T)));
  }

  /// Waits for the stream (a fault inside a kernel surfaces here, named with the op) and copies
  /// the written storages back.
  void finish();
  const std::string& op() const { return op_; }
  cudaStream_t stream() const { return cuda::stream(); }

 private:
  struct Region {  // one host storage's addressed byte range and its device copy
    const Storage* storage = nullptr;
    std::int64_t lo = 0, hi = 0;  // bytes, relative to storage->data()
    bool written = false;
    DeviceBuffer buffer;
    std::byte* device_lo = nullptr;  // device address of host byte `lo`
  };
  void declare(const Tensor& t, bool written);
  void upload();
  std::byte* scratch_bytes(std::size_t nbytes);
  TensorArg make_arg(const Tensor& t, const Shape& shape, const Strides& strides) const;

  std::string op_;
  std::vector<Region> regions_;
  std::vector<DeviceBuffer> scratch_;
  bool uploaded_ = false;
};

/// Kernels take T* for float and double; this dispatches a host call on the tensor's dtype:
/// dispatch_float(dt, op, [&]<class T>() { … }).
template <class F>
decltype(auto) dispatch_float(DType dt, const std::string& op, F&& f) {
  if (dt == DType::f32) return f.template operator()<float>();
  if (dt == DType::f64) return f.template operator()<double>();
  throw Error(
      op, {},
      "the cuda backend computes in float32 and float64, not " + std::string(dtype_name(dt)));
}

}  // namespace vt::cuda
