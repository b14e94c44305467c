// optimized/core/loops.cpp — overlap handling and dimension merging for the loop engine.
// What it is not: the loops themselves (loops.hpp, templated on the functor).
#include "optimized/core/loops.hpp"

namespace vt::opt {

std::vector<Tensor> prepare_elementwise(const std::vector<Tensor>& inputs, const Tensor& out,
                                        const std::string& op) {
  auto shapes = [&] {  // for the messages only: built when one is thrown
    std::vector<Shape> s;
    for (const Tensor& t : inputs) s.push_back(t.shape());
    return s;
  };
  if (out.has_internal_overlap() && out.numel() > 1)
    throw Error(op, shapes(), "the output has overlapping elements (an expanded view?)");
  std::vector<Tensor> result;
  result.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    if (t.dtype() != out.dtype())
      throw Error(op, shapes(),
                  "input dtype " + std::string(dtype_name(t.dtype())) +
                      " differs from output dtype " + std::string(dtype_name(out.dtype())));
    Tensor b = t.expand(out.shape());
    const bool identical = b.raw() == out.raw() && b.strides() == out.strides();
    if (out.overlaps(b) && !identical) {
      // Partial overlap (or an input broadcast onto its own output): read from a copy.
      result.push_back(t.clone());
    } else {
      result.push_back(t);
    }
  }
  return result;
}

template <std::size_t N>
LoopNest<N> make_loop_nest(const Tensor& out, const std::array<Tensor, N>& inputs) {
  LoopNest<N> nest;
  // Each input's strides broadcast to out's shape (what expand() computes, without building a
  // Tensor: this runs on every elementwise call; prepare_elementwise already checked the shapes).
  const std::size_t nd_out = out.shape().size();
  std::array<Strides, N> b;
  for (std::size_t k = 0; k < N; ++k) {
    const Shape& is = inputs[k].shape();
    if (is.size() > nd_out) inputs[k].expand(out.shape());  // throws the broadcast error
    const std::size_t lead = nd_out - is.size();
    b[k].assign(nd_out, 0);
    for (std::size_t d = lead; d < nd_out; ++d) {
      if (is[d - lead] != 1 && is[d - lead] != out.shape()[d])
        inputs[k].expand(out.shape());  // throws the broadcast error
      b[k][d] = is[d - lead] == 1 ? 0 : inputs[k].strides()[d - lead];
    }
  }
  // Drop size-1 dims, then merge d into d+1 when every operand has stride[d] == stride[d+1]·n[d+1].
  for (std::size_t d = 0; d < out.shape().size(); ++d) {
    if (out.shape()[d] == 1) continue;
    nest.shape.push_back(out.shape()[d]);
    nest.out_strides.push_back(out.strides()[d]);
    for (std::size_t k = 0; k < N; ++k) nest.in_strides[k].push_back(b[k][d]);
  }
  if (nest.shape.empty()) {
    nest.shape.push_back(1);
    nest.out_strides.push_back(1);
    for (std::size_t k = 0; k < N; ++k) nest.in_strides[k].push_back(1);
    return nest;
  }
  for (std::size_t d = nest.shape.size() - 1; d-- > 0;) {
    const std::int64_t n1 = nest.shape[d + 1];
    bool mergeable = nest.out_strides[d] == nest.out_strides[d + 1] * n1;
    for (std::size_t k = 0; k < N; ++k)
      mergeable = mergeable && nest.in_strides[k][d] == nest.in_strides[k][d + 1] * n1;
    if (!mergeable) continue;
    nest.shape[d] *= n1;
    nest.out_strides[d] = nest.out_strides[d + 1];
    nest.shape.erase(nest.shape.begin() + static_cast<std::ptrdiff_t>(d + 1));
    nest.out_strides.erase(nest.out_strides.begin() + static_cast<std::ptrdiff_t>(d + 1));
    for (std::size_t k = 0; k < N; ++k) {
      nest.in_strides[k][d] = nest.in_strides[k][d + 1];
      nest.in_strides[k].erase(nest.in_strides[k].begin() + static_cast<std::ptrdiff_t>(d + 1));
    }
  }
  return nest;
}

template LoopNest<1> make_loop_nest<1>(const Tensor&, const std::array<Tensor, 1>&);
template LoopNest<2> make_loop_nest<2>(const Tensor&, const std::array<Tensor, 2>&);
template LoopNest<3> make_loop_nest<3>(const Tensor&, const std::array<Tensor, 3>&);
template LoopNest<4> make_loop_nest<4>(const Tensor&, const std::array<Tensor, 4>&);
template LoopNest<5> make_loop_nest<5>(const Tensor&, const std::array<Tensor, 5>&);

}  // namespace vt::opt
