// optimized/core/broadcast_grad.cpp — see broadcast_grad.hpp.
// Shaped this way because: g is walked once in memory order with an odometer over its shape,
// each element added into a float64 accumulator picked by the input-shaped index (stride 0 along
// broadcast dimensions), which is one pass and no temporary of g's size; the common no-broadcast
// case is a plain copy.
#include "optimized/core/broadcast_grad.hpp"

#include "core/error.hpp"

#include <vector>

namespace vt::opt {
namespace {

template <class T>
void sum_to_shape_t(const Tensor& g, const Tensor& out) {
  const Shape& gs = g.shape();
  const Shape& os = out.shape();
  const std::size_t nd = gs.size(), lead = nd - os.size();
  // Accumulator strides (contiguous over out's shape), 0 where out is broadcast or absent.
  std::vector<std::int64_t> acc_stride(nd, 0);
  std::int64_t s = 1;
  for (std::size_t d = os.size(); d-- > 0;) {
    if (os[d] != 1) acc_stride[lead + d] = s;
    s *= os[d];
  }
  std::vector<double> acc(static_cast<std::size_t>(out.numel()), 0.0);
  const View<const T> gv{g.data<T>(), gs, g.strides()};
  std::vector<std::int64_t> idx(nd, 0);
  const std::int64_t n = g.numel();
  std::int64_t g_off = 0, a_off = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    acc[static_cast<std::size_t>(a_off)] += static_cast<double>(gv.base[g_off]);
    for (std::size_t d = nd; d-- > 0;) {  // odometer step
      if (++idx[d] < gs[d]) {
        g_off += g.strides()[d];
        a_off += acc_stride[d];
        break;
      }
      g_off -= (gs[d] - 1) * g.strides()[d];
      a_off -= (gs[d] - 1) * acc_stride[d];
      idx[d] = 0;
    }
  }
  const View<T> ov = out.view<T>();
  std::size_t k = 0;
  for_each_index(os, [&](const auto& i) { ov[i] = static_cast<T>(acc[k++]); });
}

}  // namespace

void sum_to_shape(const Tensor& g, const Tensor& out) {
  if (g.dtype() != out.dtype())
    throw Error("sum_to_shape", {g.shape(), out.shape()}, "gradient and output dtypes differ");
  if (out.numel() == 0) return;
  if (g.dtype() == DType::f32)
    sum_to_shape_t<float>(g, out);
  else if (g.dtype() == DType::f64)
    sum_to_shape_t<double>(g, out);
  else
    throw Error("sum_to_shape", {g.shape()}, "float32 or float64 only");
}

}  // namespace vt::opt
