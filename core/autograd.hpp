// core/autograd.hpp — the reverse-mode autograd engine, written once over the backend interface.
// What it is: variables (a value tensor, requires_grad, grad), a tape of nodes recording the
// Implementation used and its OpCall (inputs, attrs, outputs), topological backward that calls
// each node's Implementation::backward (BackwardCall conventions, core/registry.hpp) and adds
// the contributions, zero_grad, a no-grad scope, detach and retain-graph semantics.
// What it is not: an op library or a shape-rule authority — ops live in reference/ and
// optimized/, their shape rules and attribute schemas in the specs (verify/); the convenience
// functions below compute the few shapes they need with core/shape.hpp. Not thread-safe: one
// graph is built and differentiated by one thread (the no-grad flag is per thread).
//
// Rules (the contract, in one place):
//  - apply() never runs an op in place: every output is a fresh contiguous buffer, so no
//    output aliases an input. View-producing ops (reshape, transpose, …) go through apply()
//    like any op and copy into their fresh output: the graph never tracks aliasing.
//  - Compute dtype: backend "reference" computes in float128 (float inputs are converted
//    exactly; its float outputs are float128 variables); every other backend computes in the
//    float dtype of its float inputs, which must all be the same.
//  - Values are immutable once recorded. The one sanctioned mutation is Variable::assign(),
//    which is never recorded and bumps the variable's version counter (shared with its
//    detach()es). Every node remembers the version of each variable whose value it saved (all
//    inputs and outputs); backward through a node whose saved variable was assigned since is a
//    vt::Error, never a silently wrong gradient. Writing through value().data<T>() bypasses the
//    counter and is outside the contract.
//  - Gradients: within one backward pass the contributions to a variable are written by the
//    VJPs into fresh buffers and added (accumulate_grad) in the widest dtype seen (float128
//    contributions are not rounded in between); a leaf's grad has the leaf's dtype and receives
//    the pass's total with one rounding, added to what it already holds (grads accumulate over
//    passes until zero_grad). Only leaves (variables made by the user) keep a grad.
//  - backward() without retain_graph releases each node's saved tensors once its VJP ran; a
//    later backward through such a node throws "graph already freed: call
//    backward(retain_graph=true) the first time". All such checks (freed nodes, changed
//    versions, missing VJPs) run before any VJP, so a failing backward changes no grad.
#pragma once

#include "core/attrs.hpp"
#include "core/registry.hpp"
#include "core/tensor.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vt::autograd {

struct Node;
struct VariableImpl;

/// Which implementation apply() runs: registry key (backend, variant); variant "" is the
/// backend's default (Registry::find).
struct Backend {
  std::string name = backend::optimized;
  std::string variant;
};
inline Backend reference_backend() { return {backend::reference, ""}; }
inline Backend optimized_backend() { return {backend::optimized, ""}; }

/// A tensor value in the graph. Copies share the same variable (like shared_ptr).
class Variable {
 public:
  Variable() = default;
  /// A leaf. requires_grad needs a float dtype.
  explicit Variable(Tensor value, bool requires_grad = false);

  bool defined() const { return impl_ != nullptr; }
  const Tensor& value() const;
  const Shape& shape() const { return value().shape(); }
  DType dtype() const { return value().dtype(); }
  bool requires_grad() const;
  /// Leaves only (a computed variable's requires_grad follows from its inputs).
  void set_requires_grad(bool on);
  /// True for variables made by the user (and detach()); false for outputs of recorded ops.
  bool is_leaf() const;
  /// The accumulated gradient of a leaf, in the leaf's dtype; undefined until a backward pass
  /// reaches it.
  const Tensor& grad() const;
  /// Sets every element of grad() to zero (keeps it defined when it was).
  void zero_grad();
  /// A leaf sharing this value's storage and version counter, with requires_grad = false.
  Variable detach() const;
  /// The in-place API: copies src (broadcast, converted as Tensor::copy_from) into the value and
  /// bumps the version counter. Never recorded; nodes that saved this value refuse backward.
  void assign(const Tensor& src);
  std::uint64_t version() const;

  /// Backpropagates from this variable. grad_output undefined: the variable must have one
  /// element, and its gradient is 1. Otherwise grad_output has this variable's shape and any
  /// float dtype. Accumulates into the grad() of every leaf that requires grad and is reached.
  void backward(const Tensor& grad_output = Tensor(), bool retain_graph = false) const;

  const std::shared_ptr<VariableImpl>& impl() const { return impl_; }
  explicit Variable(std::shared_ptr<VariableImpl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<VariableImpl> impl_;
};

/// The gradients of `output` with respect to `inputs` (torch.autograd.grad): one Variable per
/// input, undefined where the input is not reached from output. grad_output as in backward().
/// Leaves' grad() are not touched. Inputs may be leaves or computed variables.
/// With create_graph the computation of the gradients is itself recorded — each op's VJP as a
/// node whose backward is the op's double backward (Implementation::double_backward), the sums
/// of contributions as `add`s — so the results can be differentiated again: second order
/// (Hessian-vector products). Differentiating through an op without a double backward, or a
/// third time, is a vt::Error raised before any VJP runs. retain_graph defaults to
/// create_graph (the graph is needed again to differentiate the gradients).
std::vector<Variable> grad(const Variable& output, const std::vector<Variable>& inputs,
                           const Tensor& grad_output = Tensor(), bool create_graph = false,
                           std::optional<bool> retain_graph = std::nullopt);

/// Sets every element of each variable's grad to zero.
void zero_grad(const std::vector<Variable>& vars);

/// While grad mode is off (inside a NoGradGuard), apply() records nothing and its outputs do
/// not require grad. Per thread.
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// One output of apply(): its shape, and its dtype (nullopt: the compute dtype, the usual case
/// for float outputs; give it for integer outputs such as argmax's).
struct OutputDesc {
  Shape shape;
  std::optional<DType> dtype;
};

/// Runs op `op` of `backend` on the inputs' values with `attrs` (complete: every attribute
/// given, defaults included — core has no schema to fill them) into fresh outputs of the given
/// shapes, and records a node when grad mode is on and some float input requires grad. Float
/// outputs of a recorded node require grad. Accuracy: whatever the implementation promises.
std::vector<Variable> apply(const std::string& op, const std::vector<Variable>& inputs,
                            const Attrs& attrs, const std::vector<OutputDesc>& outputs,
                            const Backend& backend = {});

/// Adds contribution into acc (same shape): acc = contribution when acc is undefined (then
/// contribution must be a buffer nobody else holds), else acc[i] = fl(acc[i] + contribution[i])
/// rounded once to acc's dtype (a narrower acc: the sum is formed in float128, then rounded —
/// correctly rounded since 113 ≥ 2p + 2). The one place the engine adds gradients.
void accumulate_grad(Tensor& acc, const Tensor& contribution);

/// The engine's accumulation as the traversal calls it: accumulate_grad, unless a planted-bug
/// build selected a mutant of it for this thread (AccumulateVariantScope). Mutants exist only to
/// prove that `verify --grad`'s engine checks flag a missing accumulation
/// (verify/mutants/engine.cpp registers them; normal builds have none).
struct AccumulateVariant {
  std::string name;
  void (*fn)(Tensor& acc, const Tensor& contribution) = nullptr;
  std::string technique;  // what it does wrong
};
void register_accumulate_variant(AccumulateVariant v);
const std::vector<AccumulateVariant>& accumulate_variants();
class AccumulateVariantScope {
 public:
  explicit AccumulateVariantScope(const AccumulateVariant* v);  // null: accumulate_grad
  ~AccumulateVariantScope();
  AccumulateVariantScope(const AccumulateVariantScope&) = delete;
  AccumulateVariantScope& operator=(const AccumulateVariantScope&) = delete;

 private:
  const AccumulateVariant* previous_;
};

// ---- convenience functions: the shapes computed here, attributes filled --------------------
// Elementwise binary ops broadcast as NumPy does. Accuracy: the backend's implementation.
Variable add(const Variable& a, const Variable& b, const Backend& be = {});
Variable sub(const Variable& a, const Variable& b, const Backend& be = {});
Variable mul(const Variable& a, const Variable& b, const Backend& be = {});
Variable div(const Variable& a, const Variable& b, const Backend& be = {});
Variable maximum(const Variable& a, const Variable& b, const Backend& be = {});
Variable neg(const Variable& x, const Backend& be = {});
Variable exp(const Variable& x, const Backend& be = {});
Variable log(const Variable& x, const Backend& be = {});
Variable tanh(const Variable& x, const Backend& be = {});
Variable sigmoid(const Variable& x, const Backend& be = {});
Variable relu(const Variable& x, const Backend& be = {});
/// a: (…, M, K) or (K,), b: (…, K, N) or (K,) — np.matmul.
Variable matmul(const Variable& a, const Variable& b, const Backend& be = {});
/// Reductions over `axes` (empty: every axis).
Variable sum(const Variable& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false,
             const Backend& be = {});
Variable mean(const Variable& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false,
              const Backend& be = {});
/// Along one axis.
Variable softmax(const Variable& x, std::int64_t axis = -1, const Backend& be = {});
Variable log_softmax(const Variable& x, std::int64_t axis = -1, const Backend& be = {});

}  // namespace vt::autograd
