// verify/mutants/gradients.cpp — planted bugs in VJPs (test builds only), which
// `veritensor verify --grad` must flag (tests/detection.cpp): a wrong sign in one VJP (mul's
// gradient of b), a missing reduction over a broadcast dimension (add), and a VJP that reads
// the output where it needs the input (log: g / y instead of g / x).
// What it is: extra optimized variants whose forward is the real optimized forward (looked up
// when called) and whose VJP is wrong in one place. What it is not: anything a user should call.
// The VJPs walk elements through load_hp/store_hp: slow, and plain enough to show the bug.
#include "core/registry.hpp"
#include "core/shape.hpp"

#include <cmath>
#include <vector>

namespace vt::mutants {
namespace {

void real_forward(const char* op, OpCall& c) {
  const Implementation* impl = Registry::instance().find(op, backend::optimized);
  if (!impl) throw Error(op, {}, "no optimized implementation to wrap");
  impl->forward(c);
}

/// g at output index `out_index` of input i's broadcast view, for an input of shape `in`.
std::vector<std::int64_t> output_index(const Shape& out, const Shape& in,
                                       const std::vector<std::int64_t>& in_index) {
  // The first output element this input element feeds: broadcast dimensions at 0.
  std::vector<std::int64_t> oi(out.size(), 0);
  const std::size_t lead = out.size() - in.size();
  for (std::size_t d = 0; d < in.size(); ++d) oi[lead + d] = in[d] == 1 ? 0 : in_index[d];
  return oi;
}

/// add whose VJP copies g at the first position of every broadcast dimension instead of summing
/// over it: right whenever nothing was broadcast, wrong by the missing terms otherwise.
void add_vjp_no_broadcast_reduction(BackwardCall& b) {
  const Tensor& g = b.grad_outputs.at(0);
  for (std::size_t i = 0; i < b.grad_inputs.size(); ++i) {
    const Tensor& gi = b.grad_inputs[i];
    if (!gi.defined()) continue;
    for_each_index(gi.shape(), [&](const auto& ix) {
      // (An empty g — an input of size 1 broadcast to 0 — has nothing to read: the gradient is 0.)
      const hp_t v = g.defined() && g.numel() > 0
                         ? load_hp(g, output_index(g.shape(), gi.shape(), ix))
                         : hp_t(0);
      store_hp(gi, ix, v);  // BUG: no sum over the broadcast dimensions
    });
  }
}

/// mul whose VJP for b is −g·a (a sign error in one of two gradients). Products are summed over
/// broadcast dimensions in float128 and rounded once, as a correct VJP may do.
void mul_vjp_wrong_sign(BackwardCall& b) {
  const OpCall& f = *b.forward;
  const Tensor& g = b.grad_outputs.at(0);
  const Shape& out = f.outputs.at(0).shape();
  for (std::size_t i = 0; i < 2; ++i) {
    const Tensor& gi = b.grad_inputs.at(i);
    if (!gi.defined()) continue;
    const Tensor other = f.inputs.at(1 - i).expand(out);
    Tensor acc = Tensor::empty(gi.shape(), DType::hp);  // zero-filled
    const std::size_t lead = out.size() - gi.shape().size();
    std::vector<std::int64_t> ai(gi.shape().size());
    for_each_index(out, [&](const auto& ix) {
      for (std::size_t d = 0; d < ai.size(); ++d) ai[d] = gi.shape()[d] == 1 ? 0 : ix[lead + d];
      const hp_t gv = g.defined() ? load_hp(g, ix) : hp_t(0);
      hp_t v = gv * load_hp(other, ix);
      if (i == 1) v = -v;  // BUG: wrong sign of ∂(a·b)/∂b
      store_hp(acc, ai, load_hp(acc, ai) + v);
    });
    for_each_index(gi.shape(), [&](const auto& ix) { store_hp(gi, ix, load_hp(acc, ix)); });
  }
}

/// log whose VJP divides by the output y = log x instead of the input x.
void log_vjp_uses_output(BackwardCall& b) {
  const OpCall& f = *b.forward;
  const Tensor& g = b.grad_outputs.at(0);
  const Tensor& gi = b.grad_inputs.at(0);
  if (!gi.defined()) return;
  for_each_index(gi.shape(), [&](const auto& ix) {
    const hp_t gv = g.defined() ? load_hp(g, ix) : hp_t(0);
    store_hp(gi, ix, gv / load_hp(f.outputs.at(0), ix));  // BUG: g / y, needs g / x
  });
}

VT_REGISTER_IMPL({.op = "add",
                  .backend = backend::optimized,
                  .variant = "mutant_vjp_no_broadcast_reduction",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = [](OpCall& c) { real_forward("add", c); },
                  .backward = add_vjp_no_broadcast_reduction,
                  .planted_bug = true,
                  .caught_by = "grad",
                  .technique = "VJP takes g at the first broadcast position instead of the sum"});
VT_REGISTER_IMPL({.op = "mul",
                  .backend = backend::optimized,
                  .variant = "mutant_vjp_wrong_sign",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = [](OpCall& c) { real_forward("mul", c); },
                  .backward = mul_vjp_wrong_sign,
                  .planted_bug = true,
                  .caught_by = "grad",
                  .technique = "VJP of b is −g·a"});
VT_REGISTER_IMPL({.op = "log",
                  .backend = backend::optimized,
                  .variant = "mutant_vjp_uses_output",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = [](OpCall& c) { real_forward("log", c); },
                  .backward = log_vjp_uses_output,
                  .planted_bug = true,
                  .caught_by = "grad",
                  .technique = "VJP is g / y (the output) where it needs g / x"});

}  // namespace
}  // namespace vt::mutants
