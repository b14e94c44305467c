// reference/ops/loss.cpp — registers the float128 references of mse_loss, nll_loss and
// cross_entropy and their VJPs: attribute parsing, target validation, and the calls into
// loss.hpp. What it is not: the definitions (loss.hpp).
#include "reference/ops/loss.hpp"

#include "core/registry.hpp"
#include "reference/core/reference.hpp"

namespace vt::ref {
namespace {

std::vector<Shape> shapes_of(const std::vector<Tensor>& t) {
  std::vector<Shape> s;
  for (const Tensor& x : t) s.push_back(x.shape());
  return s;
}

Reduction reduction_of(const OpCall& c, const char* op) {
  return parse_reduction(c.attrs.get_string("reduction"), op);
}

/// The output gradient, zeros of the output's shape when undefined.
Tensor grad_output(const BackwardCall& bc) {
  Tensor g = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  if (!g.defined()) g = Tensor::empty(bc.forward->outputs.at(0).shape(), DType::hp);
  return g;
}

bool wanted(const BackwardCall& bc, std::size_t i) {
  return bc.grad_inputs.size() > i && bc.grad_inputs[i].defined();
}

// ---- mse_loss ---------------------------------------------------------------------------------

void mse_loss_reference(OpCall& c) {
  const Reduction r = reduction_of(c, "mse_loss");
  mse_loss_shape(shapes_of(c.inputs), r);
  mse_loss_forward<hp_t>(c.inputs[0].view<hp_t>(), c.inputs[1].view<hp_t>(), r,
                         c.outputs.at(0).view<hp_t>());
}

void mse_loss_vjp_reference(BackwardCall& bc) {
  const OpCall& f = *bc.forward;
  const Reduction r = reduction_of(f, "mse_loss");
  mse_loss_shape(shapes_of(f.inputs), r);
  const Tensor g = grad_output(bc);
  View<hp_t> gx, gt;
  if (wanted(bc, 0)) gx = bc.grad_inputs[0].view<hp_t>();
  if (wanted(bc, 1)) gt = bc.grad_inputs[1].view<hp_t>();
  mse_loss_backward<hp_t>(f.inputs[0].view<hp_t>(), f.inputs[1].view<hp_t>(), g.view<hp_t>(), r,
                          wanted(bc, 0) ? &gx : nullptr, wanted(bc, 1) ? &gt : nullptr);
}

// ---- nll_loss and cross_entropy ---------------------------------------------------------------

/// The class indices of target (N) for input x (N, C): −1 marks an ignored row.
std::vector<std::int64_t> indices_of(const OpCall& c, const char* op) {
  const Tensor& x = c.inputs.at(0);
  const Tensor& t = c.inputs.at(1);
  const std::int64_t ignore = c.attrs.get_int("ignore_index");
  std::vector<std::int64_t> k;
  for (std::int64_t n = 0; n < t.dim(0); ++n)
    k.push_back(class_index(t, n, x.dim(1), ignore, op, x.shape()));
  return k;
}

/// Checks the shapes; true when the target holds class probabilities (N, C).
bool probability_target(const OpCall& c, const char* op, bool allowed) {
  classification_loss_shape(shapes_of(c.inputs), reduction_of(c, op), op, allowed);
  const Tensor& t = c.inputs.at(1);
  const bool probs = t.ndim() == 2;
  if (probs && !is_float(t.dtype()))
    throw Error(op, shapes_of(c.inputs), "class probabilities must be floating point");
  return probs;
}

void nll_loss_reference(OpCall& c) {
  probability_target(c, "nll_loss", false);
  nll_loss_forward<hp_t>(c.inputs[0].view<hp_t>(), indices_of(c, "nll_loss"),
                         reduction_of(c, "nll_loss"), c.outputs.at(0).view<hp_t>());
}

void nll_loss_vjp_reference(BackwardCall& bc) {
  const OpCall& f = *bc.forward;
  probability_target(f, "nll_loss", false);
  const std::vector<std::int64_t> k = indices_of(f, "nll_loss");
  if (!wanted(bc, 0)) return;
  nll_loss_backward<hp_t>(grad_output(bc).view<hp_t>(), k, reduction_of(f, "nll_loss"),
                          bc.grad_inputs[0].view<hp_t>());
}

void cross_entropy_reference(OpCall& c) {
  const bool probs = probability_target(c, "cross_entropy", true);
  const Reduction r = reduction_of(c, "cross_entropy");
  if (probs) {
    const View<hp_t> p = c.inputs[1].view<hp_t>();
    cross_entropy_forward<hp_t>(c.inputs[0].view<hp_t>(), nullptr, &p, r,
                                c.outputs.at(0).view<hp_t>());
  } else {
    const std::vector<std::int64_t> k = indices_of(c, "cross_entropy");
    cross_entropy_forward<hp_t>(c.inputs[0].view<hp_t>(), &k, nullptr, r,
                                c.outputs.at(0).view<hp_t>());
  }
}

void cross_entropy_vjp_reference(BackwardCall& bc) {
  const OpCall& f = *bc.forward;
  const bool probs = probability_target(f, "cross_entropy", true);
  const Reduction r = reduction_of(f, "cross_entropy");
  std::vector<std::int64_t> k;
  if (!probs) k = indices_of(f, "cross_entropy");
  if (!wanted(bc, 0)) return;
  const Tensor g = grad_output(bc);
  View<hp_t> p;
  if (probs) p = f.inputs[1].view<hp_t>();
  cross_entropy_backward<hp_t>(f.inputs[0].view<hp_t>(), probs ? nullptr : &k, probs ? &p : nullptr,
                               g.view<hp_t>(), r, bc.grad_inputs[0].view<hp_t>());
}

VT_REGISTER_REFERENCE_VJP(mse_loss, mse_loss_reference, mse_loss_vjp_reference,
                          "(x − t)² then the reduction in binary128; VJP norm·(x − t)·g, −that");
VT_REGISTER_REFERENCE_VJP(nll_loss, nll_loss_reference, nll_loss_vjp_reference,
                          "−lp[n, t_n] then the reduction in binary128; VJP −g at the targets");
VT_REGISTER_REFERENCE_VJP(cross_entropy, cross_entropy_reference, cross_entropy_vjp_reference,
                          "log_softmax (max-shifted) then nll / −Σ p·log_softmax in binary128; "
                          "VJP gl − exp(log_softmax)·Σ gl");

}  // namespace
}  // namespace vt::ref
