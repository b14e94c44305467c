// cuda/core/runtime.cpp — device probe, checked calls, the stream, the cuBLAS handle, buffers.
// What it is not: anything an op computes.
#include "cuda/core/runtime.hpp"

#include "core/error.hpp"
#include "core/registry.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

namespace vt::cuda {

const DeviceInfo& device_info() {
  static const DeviceInfo info = [] {
    DeviceInfo d;
    const cudaError_t e = cudaGetDeviceCount(&d.count);
    if (e != cudaSuccess) {
      d.count = 0;
      d.reason = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(e) + ": " +
                 cudaGetErrorString(e);
      (void)cudaGetLastError();  // clear the sticky error so later probes start clean
      return d;
    }
    if (d.count == 0) {
      d.reason = "cudaGetDeviceCount found no device";
      return d;
    }
    cudaDeviceProp prop{};
    const cudaError_t pe = cudaGetDeviceProperties(&prop, 0);
    if (pe != cudaSuccess) {
      d.reason = std::string("cudaGetDeviceProperties failed: ") + cudaGetErrorName(pe) + ": " +
                 cudaGetErrorString(pe);
      return d;
    }
    d.available = true;
    d.name = prop.name;
    d.sm_count = prop.multiProcessorCount;
    return d;
  }();
  return info;
}

void throw_cuda_error(const std::string& op, const char* call, cudaError_t e) {
  throw Error(op, {},
              std::string("CUDA: ") + call + " failed: " + cudaGetErrorName(e) + ": " +
                  cudaGetErrorString(e));
}

void throw_cublas_error(const std::string& op, const char* call, cublasStatus_t s) {
  throw Error(op, {},
              std::string("cuBLAS: ") + call + " failed: " + cublasGetStatusName(s) + ": " +
                  cublasGetStatusString(s));
}

void check_launch(const std::string& op, const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess)
    throw Error(op, {},
                std::string("CUDA: launch of ") + kernel + " failed: " + cudaGetErrorName(e) +
                    ": " + cudaGetErrorString(e));
}

cudaStream_t stream() {
  static cudaStream_t s = [] {
    cudaStream_t created = nullptr;
    VT_CUDA_CHECK("", cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking));
    return created;
  }();
  return s;
}

cublasHandle_t cublas() {
  static cublasHandle_t h = [] {
    cublasHandle_t created = nullptr;
    VT_CUBLAS_CHECK("", cublasCreate(&created));
    VT_CUBLAS_CHECK("", cublasSetStream(created, stream()));
    VT_CUBLAS_CHECK("", cublasSetMathMode(created, CUBLAS_DEFAULT_MATH));
    VT_CUBLAS_CHECK("", cublasSetPointerMode(created, CUBLAS_POINTER_MODE_HOST));
    return created;
  }();
  return h;
}

unsigned grid_for(long long work, int threads) {
  const long long sms = std::max(1, device_info().sm_count);
  const long long wanted = (work + threads - 1) / threads;
  return static_cast<unsigned>(std::clamp<long long>(wanted, 1, sms * 32));
}

DeviceBuffer::DeviceBuffer(std::size_t nbytes, const std::string& op) : nbytes_(nbytes) {
  if (nbytes == 0) return;
  void* p = nullptr;
  VT_CUDA_CHECK(op, cudaMalloc(&p, nbytes));
  data_ = static_cast<std::byte*>(p);
}

DeviceBuffer::~DeviceBuffer() {
  if (data_) (void)cudaFree(data_);  // a destructor cannot throw; cudaFree only fails on misuse
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), nbytes_(std::exchange(other.nbytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (data_) (void)cudaFree(data_);
    data_ = std::exchange(other.data_, nullptr);
    nbytes_ = std::exchange(other.nbytes_, 0);
  }
  return *this;
}

namespace {
// The registry asks this whether the cuda backend can run here (core/registry.hpp).
BackendAvailability probe() {
  const DeviceInfo& d = device_info();
  return {.linked = true,
          .available = d.available,
          .reason = d.available ? "CUDA device 0: " + d.name : "no CUDA device: " + d.reason};
}
const bool registered = (Registry::instance().set_probe(backend::cuda, probe), true);
}  // namespace

}  // namespace vt::cuda
