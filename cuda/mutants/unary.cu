// cuda/mutants/unary.cu — a planted bug in the GPU unary ops (veritensor-planted only).
// What it is: gelu in float64 written the obvious way, ½·x·erfc(−x·RN(1/√2)), without recovering
// the rounding of erfc's argument. erfc amplifies a relative argument error by ≈ 2z² (z = −x/√2),
// so for x below ≈ −5 the result is off by tens to hundreds of ulps (x = −20: z² = 200), far over
// the spec's k = 6; the random regime draws x from [−40, 8], most of it in that range. Caught by
// verify's forward comparison ("value"). float64 only: the float32 row would evaluate in double
// and pass, so it is not registered (the row reads "unsupported").
// What it is not: anything a user should call; never linked into `veritensor`.
#include "cuda/core/device_call.hpp"
#include "cuda/core/map.cuh"

namespace vt::cuda {
namespace {

struct GeluUncorrected {
  __device__ double operator()(double x) const {
    if (isinf(x)) return x > 0 ? x : -0.0;
    return 0.5 * x * erfc(-x * 0.70710678118654757);  // BUG: the argument's rounding is ignored
  }
};

void gelu_uncorrected_forward(OpCall& c) {
  DeviceCall dc(c, "gelu");
  const Tensor& out = c.outputs.at(0);
  if (out.dtype() != DType::f64)
    throw Error("gelu", {out.shape()},
                "mutant_gelu_uncorrected_argument computes float64 only, not " +
                    std::string(dtype_name(out.dtype())));
  launch_map<double, 1>("gelu", GeluUncorrected{}, dc.map_args(out, {c.inputs.at(0)}));
  dc.finish();
}

VT_REGISTER_IMPL({.op = "gelu",
                  .backend = ::vt::backend::cuda,
                  .variant = "mutant_gelu_uncorrected_argument",
                  .dtypes = {::vt::DType::f64},
                  .forward = gelu_uncorrected_forward,
                  .planted_bug = true,
                  .caught_by = "value",
                  .technique = "½·x·erfc(−x·RN(1/√2)) in float64: the argument's rounding, "
                               "amplified by 2z², is not corrected"});

}  // namespace
}  // namespace vt::cuda
