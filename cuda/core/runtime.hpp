// cuda/core/runtime.hpp — the CUDA backend's contact with the runtime: is there a device, the
// stream and cuBLAS handle every op uses, checked calls, device buffers.
// What it is: every CUDA and cuBLAS call goes through VT_CUDA_CHECK / VT_CUBLAS_CHECK, and every
// launch is followed by check_launch, so a failure is a vt::Error naming the op, the call and
// the CUDA error string — never a silently wrong result.
// What it is not: tensor transfers (device_call.hpp) or kernels (cuda/ops/).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <string>

namespace vt::cuda {

/// What cudaGetDeviceCount said, probed once per process. Without a driver (this machine, CI) it
/// returns an error such as cudaErrorInsufficientDriver rather than a count of 0.
struct DeviceInfo {
  bool available = false;
  int count = 0;
  std::string name;    // device 0, e.g. "NVIDIA H100 80GB HBM3"
  int sm_count = 0;    // streaming multiprocessors of device 0
  std::string reason;  // why not available, e.g. "cudaGetDeviceCount: cudaErrorInsufficientDriver…"
};
const DeviceInfo& device_info();

/// Throws vt::Error("<op>", "<call> failed: <cudaErrorName>: <cudaGetErrorString>").
[[noreturn]] void throw_cuda_error(const std::string& op, const char* call, cudaError_t e);
[[noreturn]] void throw_cublas_error(const std::string& op, const char* call, cublasStatus_t s);
inline void check(cudaError_t e, const std::string& op, const char* call) {
  if (e != cudaSuccess) throw_cuda_error(op, call, e);
}
inline void check(cublasStatus_t s, const std::string& op, const char* call) {
  if (s != CUBLAS_STATUS_SUCCESS) throw_cublas_error(op, call, s);
}
#define VT_CUDA_CHECK(op, expr) ::vt::cuda::check((expr), (op), #expr)
#define VT_CUBLAS_CHECK(op, expr) ::vt::cuda::check((expr), (op), #expr)

/// After a kernel launch: a bad configuration (too many threads, too much shared memory) is
/// reported by cudaGetLastError; a fault inside the kernel surfaces at the next synchronisation,
/// which DeviceCall::finish checks.
void check_launch(const std::string& op, const char* kernel);

/// The stream every op runs on (created on first use; ops on it run in order).
cudaStream_t stream();
/// A cuBLAS handle on stream(), created on first use, in CUBLAS_DEFAULT_MATH: TF32 is off, so
/// float32 GEMMs are float32 FMAs (PyTorch's allow_tf32=False); the pointer mode is host.
cublasHandle_t cublas();

/// Grid size for a grid-stride loop over `work` items with `threads` per block: enough blocks to
/// fill every SM several times over, no more (the loop covers the rest).
unsigned grid_for(long long work, int threads);

/// Owning device allocation (cudaMalloc, 256-byte aligned); move-only.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t nbytes, const std::string& op);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  std::byte* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t nbytes_ = 0;
};

}  // namespace vt::cuda
