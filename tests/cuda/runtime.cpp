// tests/cuda/runtime.cpp — the CUDA backend's plumbing on a real GPU: failures become errors that
// name the op, the call and the CUDA error; transfers keep the bytes an op must not touch.
// What it is not: op accuracy (veritensor verify --backend cuda) or the planted bugs
// (tests/cuda/detection.cpp).
#include "cuda/core/runtime.hpp"
#include "core/registry.hpp"
#include "cuda/core/device_call.hpp"
#include "tests/cuda/kernels.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <string>

BOOST_AUTO_TEST_SUITE(cuda_runtime)

BOOST_AUTO_TEST_CASE(a_bad_launch_names_the_op_and_the_cuda_error) {
  vt::cuda::DeviceBuffer b(64, "test");
  vt::cuda::test::launch_with_4096_threads_per_block(b.data());
  try {
    vt::cuda::check_launch("myop", "write_index");
    BOOST_FAIL("a launch with 4096 threads per block was not reported");
  } catch (const vt::Error& e) {
    const std::string what = e.what();
    BOOST_TEST_INFO(what);
    BOOST_TEST(what.find("myop") != std::string::npos);
    BOOST_TEST(what.find("write_index") != std::string::npos);
    BOOST_TEST(what.find("cudaErrorInvalidConfiguration") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_failed_call_names_the_call) {
  try {
    vt::cuda::DeviceBuffer huge(std::size_t{1} << 60, "myop");  // 1 EiB: cudaMalloc refuses
    BOOST_FAIL("a 1 EiB allocation was not reported");
  } catch (const vt::Error& e) {
    const std::string what = e.what();
    BOOST_TEST_INFO(what);
    BOOST_TEST(what.find("myop") != std::string::npos);
    BOOST_TEST(what.find("cudaMalloc") != std::string::npos);
    BOOST_TEST(what.find("cudaErrorMemoryAllocation") != std::string::npos);
  }
  (void)cudaGetLastError();
}

// A strided output inside a larger buffer: the op writes its elements, every other byte of the
// buffer comes back as it was (the harness's canaries rely on this).
BOOST_AUTO_TEST_CASE(transfers_keep_the_bytes_between_strided_elements) {
  const vt::Implementation* neg = vt::Registry::instance().find("neg", vt::backend::cuda);
  BOOST_REQUIRE(neg != nullptr);
  vt::Tensor buffer = vt::Tensor::empty({6, 8}, vt::DType::f32);
  float* all = buffer.data<float>();
  for (int i = 0; i < 48; ++i) all[i] = -1000.0f - static_cast<float>(i);  // canaries
  vt::Tensor out = buffer.slice(0, 1, 5).slice(1, 0, 8, 3);                // (4, 3), strided
  vt::Tensor x = vt::Tensor::from<float>({4, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  vt::OpCall call{{x}, {}, {out}};
  neg->forward(call);
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 8; ++c) {
      const bool element = r >= 1 && r < 5 && c % 3 == 0;
      const int x_index = (r - 1) * 3 + c / 3;  // element (r − 1, c / 3) of x, row-major
      const float want =
          element ? -static_cast<float>(x_index + 1) : -1000.0f - static_cast<float>(r * 8 + c);
      BOOST_TEST_INFO("row " << r << " col " << c);
      BOOST_TEST(all[r * 8 + c] == want);
    }
}

BOOST_AUTO_TEST_SUITE_END()

// Its own suite, run by its own CTest entry (and left out of the compute-sanitizer runs, where
// the planted illegal address is reported as what it is): an illegal address leaves the CUDA
// context unusable for the rest of the process.
BOOST_AUTO_TEST_SUITE(cuda_fault)

BOOST_AUTO_TEST_CASE(a_fault_inside_a_kernel_surfaces_at_finish_with_the_op) {
  vt::cuda::DeviceCall dc("faulty");
  vt::cuda::test::launch_illegal_address();
  vt::cuda::check_launch("faulty", "write_out_of_bounds");
  try {
    dc.finish();
    BOOST_FAIL("an illegal address was not reported");
  } catch (const vt::Error& e) {
    const std::string what = e.what();
    BOOST_TEST_INFO(what);
    BOOST_TEST(what.find("faulty") != std::string::npos);
    BOOST_TEST(what.find("cudaStreamSynchronize") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
