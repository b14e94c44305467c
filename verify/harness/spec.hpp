// verify/harness/spec.hpp — the op spec: one small typed record per op that drives verification.
// What it is: arity, attributes, shape rule, accuracy class (with its per-element bound), input
// domain, the layouts to test, and which backends must implement the op. Specs live in
// verify/ops/<family>.cpp and register themselves. What it is not: an implementation.
#pragma once

#include "core/attrs.hpp"
#include "core/registry.hpp"
#include "core/tensor.hpp"

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace vt::verify {

// ---- shape rule ------------------------------------------------------------------------------

enum class OutKind { same_float, int64, attr_dtype };  // attr_dtype: the "dtype" attribute
struct OutputDesc {
  Shape shape;
  OutKind kind = OutKind::same_float;
};
/// Output shapes from input shapes and (validated) attributes; throws vt::Error on bad input.
using ShapeRule = std::function<std::vector<OutputDesc>(const std::vector<Shape>&, const Attrs&)>;

// ---- accuracy --------------------------------------------------------------------------------

enum class AccuracyClass { exact, ulp, sum_bound, residual, statistical };
const char* class_name(AccuracyClass c);
const char* class_unit(AccuracyClass c);  // "bits", "ulp", "bound"

/// Unit roundoff and smallest subnormal of a target float type.
struct Precision {
  hp_t u;           // 2^-24 or 2^-53
  hp_t denorm_min;  // 2^-149 or 2^-1074
  int digits;       // 24 or 53
};
Precision precision_of(DType t);
/// γ_n = n·u / (1 − n·u) (Higham); +inf when n·u ≥ 1.
hp_t gamma_n(std::int64_t n, const Precision& p);

/// Everything a sum-bound function sees: inputs converted exactly to float128, the reference
/// output(s), the attributes and the target precision. It fills `bound` (float128, shape of
/// output 0) with the largest admissible |ŷ − y| per element, from the actual operands.
struct BoundArgs {
  const std::vector<Tensor>& inputs_hp;
  const std::vector<Tensor>& reference;  // reference outputs (float128 or int64)
  const Attrs& attrs;
  Precision precision;
  Tensor& bound;
  /// Which output's bound to fill (shape of that output). Always 0 unless the spec sets
  /// Accuracy::bounds_every_output; otherwise outputs after 0 are held to correct rounding.
  std::size_t output = 0;
};
using BoundFn = std::function<void(BoundArgs&)>;

struct Accuracy {
  AccuracyClass cls = AccuracyClass::exact;
  double ulp_f32 = 0;  // ulp(k): k for float32 / float64 (optimized backend)
  double ulp_f64 = 0;
  BoundFn bound;  // sum-bound: per-element bound, derivation written beside it
  /// sum-bound: `bound` is called for every float output (BoundArgs::output); otherwise for
  /// output 0 only, and later outputs must be correctly rounded.
  bool bounds_every_output = false;
};

// ---- test data -------------------------------------------------------------------------------

enum class Regime { exact, random, adversarial, structural };
const char* regime_name(Regime r);

using Rng = std::mt19937_64;

/// One case before values are drawn.
struct Layout {
  std::vector<Shape> shapes;  // one per input
  Attrs attrs;
  std::string note;  // e.g. "broadcast rhs", "V+1 around the f32 SIMD width"
};

/// Adversarial patterns (DESIGN.md "Adversarial"); an adversarial case uses one of the
/// patterns its inputs' domains list, in turn.
enum class Adversarial {
  specials,            // ±0, ±inf, NaN, subnormals, ±max, near-under/overflow sprinkled in
  cancellation,        // huge values of both signs mixed with small ones (sums cancel)
  scale_overflow,      // the whole input scaled towards the overflow threshold
  scale_underflow,     // the whole input scaled into the subnormal range
  shift_exp_overflow,  // the whole input shifted so that exp(x) overflows (softmax, logsumexp)
};

/// Value domain of one input for the random regime (adversarial adds specials to it).
struct Domain {
  double lo = -4, hi = 4;
  bool integer_valued = false;  // e.g. pow exponents in some cases
  std::vector<Adversarial> adversarial = {Adversarial::specials, Adversarial::cancellation};
};
/// For scale-invariant ops (add, mul, sum, matmul, …): every adversarial pattern applies.
inline Domain scale_free_domain(double lo = -4, double hi = 4) {
  return Domain{lo,
                hi,
                false,
                {Adversarial::specials, Adversarial::cancellation, Adversarial::scale_overflow,
                 Adversarial::scale_underflow}};
}

/// How an op's inputs may be drawn so that every partial result is exactly representable, which
/// turns the comparison bit-exact (DESIGN.md, "Exact by construction"): integers (times a random
/// power of two) with |x| ≤ max_abs. Return 0 when the op has no exact regime.
using ExactRange = std::function<double(const Layout&, DType)>;

/// Verification of layouts too large for the full float128 reference (e.g. big matmuls):
/// the harness checks a random sample of output elements against `sample` and the whole output
/// through `project` (Freivalds-style random projections). In the exact regime both must agree
/// exactly (bounds of zero).
struct LargeCheckArgs {
  const std::vector<Tensor>& inputs_hp;
  const Attrs& attrs;
  Precision precision;
  bool exact;  // exact regime: every partial result is representable, bounds are zero
};
struct LargeCheck {
  /// Reference value and admissible error at each sampled index of output 0.
  std::function<void(const LargeCheckArgs&, const std::vector<std::vector<std::int64_t>>& index,
                     std::vector<hp_t>& value, std::vector<hp_t>& bound)>
      sample;
  /// Given the backend's output 0 converted exactly to float128, a residual vector r whose every
  /// entry must satisfy |r_i| ≤ bound_i if the output is within its per-element bounds.
  std::function<void(const LargeCheckArgs&, const Tensor& out_hp, Rng& rng,
                     std::vector<hp_t>& residual, std::vector<hp_t>& bound)>
      project;
  double cost_limit =
      4e6;  // multiply-adds in float128 above which this check replaces the full one
};

// ---- gradients -------------------------------------------------------------------------------

/// Everything a VJP bound function sees, for the gradient of one input: the forward inputs and
/// the output gradients converted exactly to float128, the reference forward outputs and the
/// reference VJP of that input. It fills `bound` (float128, the input's shape) with the largest
/// admissible |ĝ − g| per element for a backend computing in `precision` — which must cover
/// the backend's own forward outputs where its VJP reads them (softmax, exp, sigmoid, tanh).
struct GradBoundArgs {
  const std::vector<Tensor>& inputs_hp;
  const std::vector<Tensor>& outputs_hp;       // reference forward outputs
  const std::vector<Tensor>& grad_outputs_hp;  // one per output
  const Attrs& attrs;
  Precision precision;
  std::size_t input;        // which input's gradient
  const Tensor& reference;  // the reference VJP of that input (float128)
  Tensor& bound;
};
using GradBoundFn = std::function<void(GradBoundArgs&)>;

/// Second order: a backend's DoubleBackwardCall results against the reference's, from the same
/// float inputs x, output gradients v and cotangents w (all converted exactly to float128).
/// `result` < number of inputs: grad_inputs[result]; otherwise grad_grad_outputs[result − n].
struct SecondOrderBoundArgs {
  const std::vector<Tensor>& inputs_hp;
  const std::vector<Tensor>& outputs_hp;           // reference forward outputs
  const std::vector<Tensor>& grad_outputs_hp;      // v, one per output
  const std::vector<Tensor>& grad_grad_inputs_hp;  // w, one per input (undefined: zero)
  const Attrs& attrs;
  Precision precision;
  std::size_t result;
  const Tensor& reference;  // the reference value of that result (float128)
  Tensor& bound;            // fill: largest admissible |ĥ − h| per element
};
using SecondOrderBoundFn = std::function<void(SecondOrderBoundArgs&)>;

/// Whether the op's VJP is itself differentiable here (DoubleBackwardCall), and how a backend's
/// second-order results are held to the reference's: exact, ulp(k) or sum-bound (`bound`).
struct SecondOrderSpec {
  bool promised = false;
  AccuracyClass cls = AccuracyClass::exact;
  double ulp_f32 = 0, ulp_f64 = 0;
  SecondOrderBoundFn bound;
};

struct GradSpec {
  /// Which inputs are differentiable (integer inputs never are); empty: every input.
  std::vector<bool> inputs;
  /// How a backend's VJP is held to the reference VJP computed from the same float inputs and
  /// output gradients: exact, ulp(k) (ulp_f32 / ulp_f64) or sum-bound (`bound`).
  AccuracyClass cls = AccuracyClass::exact;
  double ulp_f32 = 0, ulp_f64 = 0;
  GradBoundFn bound;
  /// Where the op is not differentiable and the value its VJPs use there (PyTorch's), e.g.
  /// "relu at 0: gradient 0 (PyTorch: grad · (x > 0))". Empty: differentiable everywhere on
  /// its domain.
  std::string nondifferentiable;
  /// Inputs that sit exactly on those points, one Layout per case with the values in
  /// `kink_values` (one vector per input, row-major): verify --grad runs them on purpose and
  /// requires every backend to follow the convention (the reference VJP's value).
  std::vector<Layout> kink_layouts;
  std::vector<std::vector<std::vector<double>>> kink_values;
  /// Second-order promise (elementwise ops and matmul): checked by `verify --grad2`.
  SecondOrderSpec second;
};

struct OpSpec {
  std::string name;
  std::string family;  // the file name in every tree: "elementwise", "reduction", …
  std::string summary;
  int min_inputs = 1, max_inputs = 1;
  std::vector<AttrSpec> attrs;
  ShapeRule shape_rule;
  Accuracy accuracy;
  /// The CPU backends that must implement it (forward, VJP when differentiable, second order
  /// when grad.second promises it). Read through promised_backends(), which adds cuda.
  std::vector<std::string> backends = {backend::reference, backend::optimized};
  bool differentiable = false;
  GradSpec grad;         // when differentiable: which inputs, the VJP's accuracy class, kinks
  bool inplace = false;  // output 0 may alias input 0 (elementwise ops)
  /// Layouts for the exact/random/adversarial regimes and for the structural regime.
  std::function<std::vector<Layout>(Rng&)> layouts;
  std::function<std::vector<Layout>(Rng&)> structural_layouts;
  std::vector<Domain> domains;  // per input (the last entry repeats); empty: default
  ExactRange exact_range;       // empty: no exact regime
  /// Fraction of exactly-zero reference outputs above which a case is vacuous.
  double max_zero_fraction = 0.9;
  /// Least number of distinct reference values a case of ≥ 4 outputs must have.
  int min_distinct = 2;
  /// Creation ops and the like: the output is constant by definition, never vacuous.
  bool constant_output = false;
  /// Whether the structural regime may hand this op a broadcast (stride-0) input. Ops that
  /// reduce along one axis opt out: repeating values along the reduced axis makes every row
  /// constant (argmax 0, softmax 1/n), which tests nothing; their stride handling is covered by
  /// the strided, transposed and reversed placements.
  bool broadcast_inputs = true;
  /// Reference cost of a layout in float128 multiply-adds (empty: cheap). Above
  /// large_check.cost_limit the harness uses large_check instead of the whole reference.
  std::function<double(const Layout&)> reference_cost;
  LargeCheck large_check;
};

class SpecRegistry {
 public:
  static SpecRegistry& instance();
  void add(OpSpec spec);
  const OpSpec* find(const std::string& name) const;
  std::vector<const OpSpec*> all() const;  // sorted by family, then name

 private:
  std::vector<OpSpec> specs_;
};

struct SpecRegistrar {
  explicit SpecRegistrar(OpSpec spec) { SpecRegistry::instance().add(std::move(spec)); }
};
#define VT_REGISTER_SPEC(...) \
  static const ::vt::verify::SpecRegistrar VT_CONCAT(vt_spec_, __LINE__)(__VA_ARGS__)

/// The backends that must implement `spec`: spec.backends, plus cuda whenever this binary links
/// the cuda backend (every op, forward and VJP; second order is promised on the CPU only).
std::vector<std::string> promised_backends(const OpSpec& spec);
/// The promised backends that can run in this process (the cuda backend needs a GPU).
std::vector<std::string> runnable_backends(const OpSpec& spec);
/// Whether `backend` must implement the spec's second order (double backward).
bool second_order_promised(const OpSpec& spec, const std::string& backend);

/// Output dtype of a desc for a call computing in `dtype` (float128 for the reference).
DType output_dtype(const OutputDesc& d, DType dtype, const Attrs& attrs);

}  // namespace vt::verify
