// core/registry.hpp — every implementation of every op, keyed by (op, backend, variant).
// What it is: the table the harness, the CLI and the benchmarks look implementations up in; the
// reference is one more backend here. What it is not: the op spec (verify/harness/spec.hpp) —
// no implementation knows about the harness.
#pragma once

#include "core/attrs.hpp"
#include "core/tensor.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace vt {

/// What an implementation is handed. Outputs are allocated by the caller with the shape and dtype
/// of the op's shape rule; they may be strided, and output 0 may alias input 0 for ops that
/// declare in-place support. Implementations write every output element and nothing else.
struct OpCall {
  std::vector<Tensor> inputs;
  Attrs attrs;  // validated, defaults filled
  std::vector<Tensor> outputs;
};

using ForwardFn = void (*)(OpCall&);

/// Backward (vector-Jacobian product) call of one op: given the forward call (its inputs, attrs
/// and the outputs *this backend* computed) and one output gradient per output, write
/// grad_inputs[i] = Σ_o (∂ output_o / ∂ input_i)ᵀ · grad_outputs[o] for every defined
/// grad_inputs[i]. Conventions every VJP follows:
///  - grad_outputs[o] has output o's shape (it may be strided); an undefined tensor means zero.
///  - grad_inputs[i] is allocated by the caller with input i's shape and the backend's compute
///    dtype (float128 for the reference, the forward's float dtype otherwise); it may be strided.
///    Undefined where that input needs no gradient (or is not differentiable: integer indices).
///  - The VJP overwrites every element of each defined grad_input; it never accumulates (the
///    autograd engine adds contributions itself) and never writes anything else.
///  - An input that was broadcast in the forward gets the gradient summed over the broadcast
///    dimensions (its own shape, not the output's).
///  - At points where the op is not differentiable the VJP uses PyTorch's convention; the op's
///    spec names the points and the convention (GradSpec::nondifferentiable).
struct BackwardCall {
  const OpCall* forward = nullptr;
  std::vector<Tensor> grad_outputs;
  std::vector<Tensor> grad_inputs;
};
using BackwardFn = void (*)(BackwardCall&);

/// Second-order call: the VJP of the VJP. The first-order map is F(x, v) = (g_i)_i with
/// g_i = Σ_o J_{o,i}(x)ᵀ v_o (BackwardCall). Given cotangents w_i for the g_i, write
///   grad_inputs[i]       = ∂⟨w, F(x, v)⟩/∂x_i  = Σ_o Σ_j (∂²⟨v_o, f_o⟩/∂x_i∂x_j) w_j
///                          (input i's shape: a Hessian-vector contraction), and
///   grad_grad_outputs[o] = ∂⟨w, F(x, v)⟩/∂v_o = Σ_j J_{o,j}(x) w_j
///                          (output o's shape: the Jacobian-vector product of the forward),
/// for every defined tensor among them, with BackwardCall's conventions: grad_outputs (v) and
/// grad_grad_inputs (w) may be strided, undefined means zero; results are allocated by the
/// caller in the compute dtype, overwritten (never accumulated), broadcast inputs summed back
/// to their own shape, PyTorch's convention at non-differentiable points.
struct DoubleBackwardCall {
  const OpCall* forward = nullptr;
  std::vector<Tensor> grad_outputs;       // v_o, output o's shape
  std::vector<Tensor> grad_grad_inputs;   // w_i, input i's shape
  std::vector<Tensor> grad_inputs;        // result: ∂⟨w, F⟩/∂x_i
  std::vector<Tensor> grad_grad_outputs;  // result: ∂⟨w, F⟩/∂v_o
};
using DoubleBackwardFn = void (*)(DoubleBackwardCall&);

/// The double backward of an op that is linear in its float inputs jointly (sum, mean, neg,
/// add, reshape, …): its VJP F(x, v) = Jᵀv does not depend on x, so ∂⟨w, F⟩/∂x = 0, and
/// ∂⟨w, F⟩/∂v = J·w = forward(w), computed by the implementation's own forward — so it carries
/// exactly the forward's accuracy class. Undefined w_i are zeros.
template <ForwardFn Forward>
void linear_double_backward(DoubleBackwardCall& c) {
  const OpCall& f = *c.forward;
  for (Tensor& gx : c.grad_inputs)
    if (gx.defined()) gx.copy_from(Tensor::empty({}, gx.dtype()));
  bool wanted = false;
  for (const Tensor& t : c.grad_grad_outputs) wanted = wanted || t.defined();
  if (!wanted) return;
  OpCall jvp{{}, f.attrs, {}};
  for (std::size_t i = 0; i < f.inputs.size(); ++i) {
    const bool given = i < c.grad_grad_inputs.size() && c.grad_grad_inputs[i].defined();
    jvp.inputs.push_back(given || !is_float(f.inputs[i].dtype())
                             ? (given ? c.grad_grad_inputs[i] : f.inputs[i])
                             : Tensor::empty(f.inputs[i].shape(), f.inputs[i].dtype()));
  }
  for (std::size_t o = 0; o < f.outputs.size(); ++o)
    jvp.outputs.push_back(o < c.grad_grad_outputs.size() && c.grad_grad_outputs[o].defined()
                              ? c.grad_grad_outputs[o]
                              : Tensor::empty(f.outputs[o].shape(), f.outputs[o].dtype()));
  Forward(jvp);
}

namespace backend {
inline constexpr const char* reference = "reference";
inline constexpr const char* optimized = "optimized";
inline constexpr const char* cuda = "cuda";
}  // namespace backend

/// What an implementation promises about its bits (checked by `veritensor verify --bitwise`).
enum class Determinism {
  bitwise,           // the same bits on every run and with any thread count
  per_thread_count,  // the same bits on every run with the same thread count
  none,              // may differ from run to run (atomics, dynamic scheduling)
};
const char* determinism_name(Determinism d);

struct Implementation {
  std::string op;
  std::string backend;
  std::string variant;        // technique: "loop", "openblas", "pairwise", "online", …
  std::vector<DType> dtypes;  // float dtypes it computes in (reference: float128)
  ForwardFn forward = nullptr;
  BackwardFn backward = nullptr;
  DoubleBackwardFn double_backward = nullptr;  // second order (elementwise ops, matmul)
  Determinism determinism = Determinism::bitwise;
  std::string determinism_note;  // why, when it is not `bitwise`
  bool planted_bug = false;      // a mutant: exists to prove the harness flags it
  /// For a mutant, the check that must flag it: "value" (verify's comparisons, canaries and
  /// input checks), "bitwise" (verify --bitwise), "asan" or "tsan" (sanitizer builds only),
  /// "racecheck" (compute-sanitizer --tool racecheck, on the GPU machine: ci/device-check).
  std::string caught_by = "value";
  std::string technique;  // one line: how it computes (shown by `veritensor list -v`)
};

/// Whether a backend can run in this process. The reference and optimized backends always can;
/// the cuda backend, when it is linked in, registers a probe (does cudaGetDeviceCount find a
/// device?). A binary built without it answers linked = false.
struct BackendAvailability {
  bool linked = false;     // some implementation of this backend is built into the binary
  bool available = false;  // … and it can run here
  std::string reason;      // why not (or, when available, what it runs on)
};
using AvailabilityProbe = BackendAvailability (*)();

class Registry {
 public:
  static Registry& instance();
  void add(Implementation&& impl);  // throws on a duplicate key
  /// Exact key; variant "" means the backend's default (the only, or the first non-mutant one).
  const Implementation* find(const std::string& op, const std::string& backend,
                             const std::string& variant = "") const;
  std::vector<const Implementation*> all() const;
  std::vector<const Implementation*> for_op(const std::string& op) const;
  /// A backend that may be unable to run (the GPU) registers how to tell, at static init.
  void set_probe(const std::string& backend, AvailabilityProbe probe);
  BackendAvailability availability(const std::string& backend) const;

 private:
  std::unordered_map<std::string, AvailabilityProbe> probes_;
  std::vector<Implementation> impls_;
  // Indices into impls_ per op name: find() runs on every autograd apply(), and a scan of the
  // whole table (hundreds of string compares) was a visible part of a 10×10 op's cost.
  std::unordered_map<std::string, std::vector<std::size_t>> by_op_;
};

struct Registrar {
  explicit Registrar(Implementation impl) { Registry::instance().add(std::move(impl)); }
};

#define VT_CONCAT_INNER(a, b) a##b
#define VT_CONCAT(a, b) VT_CONCAT_INNER(a, b)
/// VT_REGISTER_IMPL({.op = "add", .backend = vt::backend::optimized, .variant = "loop", …});
#define VT_REGISTER_IMPL(...) \
  static const ::vt::Registrar VT_CONCAT(vt_registrar_, __LINE__)(::vt::Implementation __VA_ARGS__)

/// The binary128 reference of an op: VT_REGISTER_REFERENCE(add, add_reference, "how it computes").
#define VT_REGISTER_REFERENCE(op_name, fn, how)          \
  VT_REGISTER_IMPL({.op = #op_name,                      \
                    .backend = ::vt::backend::reference, \
                    .variant = "float128",               \
                    .dtypes = {::vt::DType::hp},         \
                    .forward = fn,                       \
                    .technique = how})

/// The same with its VJP: VT_REGISTER_REFERENCE_VJP(add, add_reference, add_vjp_reference, "how").
#define VT_REGISTER_REFERENCE_VJP(op_name, fn, vjp, how) \
  VT_REGISTER_IMPL({.op = #op_name,                      \
                    .backend = ::vt::backend::reference, \
                    .variant = "float128",               \
                    .dtypes = {::vt::DType::hp},         \
                    .forward = fn,                       \
                    .backward = vjp,                     \
                    .technique = how})

/// A float32/float64 implementation of the optimized backend, its variant named by technique:
/// VT_REGISTER_OPTIMIZED(add, "loop", add_forward, "how it computes").
#define VT_REGISTER_OPTIMIZED(op_name, variant_name, fn, how)       \
  VT_REGISTER_IMPL({.op = #op_name,                                 \
                    .backend = ::vt::backend::optimized,            \
                    .variant = variant_name,                        \
                    .dtypes = {::vt::DType::f32, ::vt::DType::f64}, \
                    .forward = fn,                                  \
                    .technique = how})

/// The same with its VJP: VT_REGISTER_OPTIMIZED_VJP(add, "loop", add_forward, add_vjp, "how").
#define VT_REGISTER_OPTIMIZED_VJP(op_name, variant_name, fn, vjp, how) \
  VT_REGISTER_IMPL({.op = #op_name,                                    \
                    .backend = ::vt::backend::optimized,               \
                    .variant = variant_name,                           \
                    .dtypes = {::vt::DType::f32, ::vt::DType::f64},    \
                    .forward = fn,                                     \
                    .backward = vjp,                                   \
                    .technique = how})

/// The CUDA backend's (cuda/ops/*.cu): VT_REGISTER_CUDA(add, "map", add_forward, "how").
#define VT_REGISTER_CUDA(op_name, variant_name, fn, how)            \
  VT_REGISTER_IMPL({.op = #op_name,                                 \
                    .backend = ::vt::backend::cuda,                 \
                    .variant = variant_name,                        \
                    .dtypes = {::vt::DType::f32, ::vt::DType::f64}, \
                    .forward = fn,                                  \
                    .technique = how})

/// The same with its VJP: VT_REGISTER_CUDA_VJP(add, "map", add_forward, add_vjp, "how").
#define VT_REGISTER_CUDA_VJP(op_name, variant_name, fn, vjp, how)   \
  VT_REGISTER_IMPL({.op = #op_name,                                 \
                    .backend = ::vt::backend::cuda,                 \
                    .variant = variant_name,                        \
                    .dtypes = {::vt::DType::f32, ::vt::DType::f64}, \
                    .forward = fn,                                  \
                    .backward = vjp,                                \
                    .technique = how})

/// Forward, VJP and second-order VJP:
/// VT_REGISTER_REFERENCE_VJP2(mul, mul_reference, mul_vjp_reference, mul_vjp2_reference, "how").
#define VT_REGISTER_REFERENCE_VJP2(op_name, fn, vjp, vjp2, how) \
  VT_REGISTER_IMPL({.op = #op_name,                             \
                    .backend = ::vt::backend::reference,        \
                    .variant = "float128",                      \
                    .dtypes = {::vt::DType::hp},                \
                    .forward = fn,                              \
                    .backward = vjp,                            \
                    .double_backward = vjp2,                    \
                    .technique = how})
/// VT_REGISTER_OPTIMIZED_VJP2(mul, "loop", mul_forward, mul_vjp, mul_vjp2, "how").
#define VT_REGISTER_OPTIMIZED_VJP2(op_name, variant_name, fn, vjp, vjp2, how) \
  VT_REGISTER_IMPL({.op = #op_name,                                           \
                    .backend = ::vt::backend::optimized,                      \
                    .variant = variant_name,                                  \
                    .dtypes = {::vt::DType::f32, ::vt::DType::f64},           \
                    .forward = fn,                                            \
                    .backward = vjp,                                          \
                    .double_backward = vjp2,                                  \
                    .technique = how})

/// Build identification carried by reports: git revision and compiler/flags summary.
std::string build_id();

}  // namespace vt
