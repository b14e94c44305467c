// tests/regressions.cpp — cases `veritensor fuzz` found, kept as ordinary tests: each runs the
// optimized backend on the shrunk inputs and holds it to the float128 reference under the op's
// class, exactly as the harness does (verify::run_case for forwards, compare_gradient for VJPs,
// with the output gradient written out so the case does not depend on a generator's stream).
// The values are adversarial on purpose (±largest float, ±inf): they exercise the overflow
// repairs of the optimized code. What it is not: a list of expected numbers — the reference is
// the expected value, the class its tolerance.
#include "core/registry.hpp"
#include "verify/harness/gradcheck.hpp"

#include <boost/test/unit_test.hpp>

#include <limits>

namespace {

using vt::DType;
using vt::Shape;
using vt::Tensor;
namespace verify = vt::verify;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMax64 = std::numeric_limits<double>::max();
constexpr double kMax32 = std::numeric_limits<float>::max();

Tensor tensor(const Shape& s, const std::vector<double>& v, DType dt) {
  return Tensor::from<double>(s, v).to(dt);
}

/// The optimized forward of `op` on `inputs`, held to the reference by the harness.
void check_forward(const std::string& op, const std::vector<Tensor>& inputs,
                   const vt::Attrs& attrs) {
  const verify::OpSpec& spec = *verify::SpecRegistry::instance().find(op);
  verify::Case c;
  c.op = op;
  c.dtype = inputs.at(0).dtype();
  c.regime = verify::Regime::adversarial;
  for (const Tensor& t : inputs) c.layout.shapes.push_back(t.shape());
  c.layout.attrs = vt::validate_attrs(spec.attrs, attrs, op);
  c.inputs = inputs;
  c.input_placement.assign(inputs.size(), verify::InputPlacement::contiguous);
  const vt::Implementation& impl = *vt::Registry::instance().find(op, vt::backend::optimized);
  const verify::CaseResult r = verify::run_case(spec, impl, c);
  BOOST_TEST((r.verdict == verify::Verdict::passed), op << ": " << r.message);
}

/// The optimized VJP of input `input` for output gradient `g`, held to the reference VJP.
void check_vjp(const std::string& op, const std::vector<Tensor>& inputs, const vt::Attrs& given,
               const Tensor& g, std::size_t input) {
  const verify::OpSpec& spec = *verify::SpecRegistry::instance().find(op);
  const vt::Attrs attrs = vt::validate_attrs(spec.attrs, given, op);
  const DType dt = inputs.at(0).dtype();
  std::vector<Shape> shapes;
  std::vector<Tensor> in_hp;
  for (const Tensor& t : inputs) {
    shapes.push_back(t.shape());
    in_hp.push_back(t.to(DType::hp));
  }
  const std::vector<verify::OutputDesc> descs = spec.shape_rule(shapes, attrs);
  auto run = [&](const vt::Implementation& impl, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& gs, DType compute) {
    vt::OpCall call{in, attrs, {}};
    for (const verify::OutputDesc& d : descs)
      call.outputs.push_back(Tensor::empty(d.shape, verify::output_dtype(d, compute, attrs)));
    impl.forward(call);
    std::vector<Tensor> grads(in.size());
    grads[input] = Tensor::empty(in[input].shape(), compute);
    vt::BackwardCall bc{&call, gs, grads};
    impl.backward(bc);
    return std::pair{call.outputs, bc.grad_inputs[input]};
  };
  const auto [ref_out, ref_grad] = run(*vt::Registry::instance().find(op, vt::backend::reference),
                                       in_hp, {g.to(DType::hp)}, DType::hp);
  const auto [opt_out, opt_grad] =
      run(*vt::Registry::instance().find(op, vt::backend::optimized), inputs, {g}, dt);
  const verify::Comparison cmp = verify::compare_gradient(spec, in_hp, ref_out, {g.to(DType::hp)},
                                                          attrs, dt, input, ref_grad, opt_grad);
  BOOST_TEST(cmp.failures == 0, op << " VJP: " << cmp.failures << " element(s) outside the class;"
                                   << " worst got " << cmp.worst.got << ", reference "
                                   << cmp.worst.expected);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(regressions)

// Probability targets: row 0's finite p·ls overflows float32 (−max·log 4) next to row 2's
// infinite target; the mean was inf + (−inf) = NaN where the loss is +inf.
BOOST_AUTO_TEST_CASE(cross_entropy_infinite_target_beside_overflow) {
  std::vector<double> p(12, 0.0);
  p[1] = -kMax32;
  p[9] = kInf;
  check_forward(
      "cross_entropy",
      {tensor({3, 4}, std::vector<double>(12, 0.0), DType::f32), tensor({3, 4}, p, DType::f32)},
      {{"reduction", std::string("mean")}});
}

// A −inf logit in a row spanning ±max: x − m overflows for the −max logit, and 0·(−inf) was NaN
// where the row's loss (target class: the −inf logit) is +inf.
BOOST_AUTO_TEST_CASE(cross_entropy_negative_infinite_logit) {
  check_forward("cross_entropy",
                {tensor({1, 4}, {kMax64, -kInf, -kMax64, 0.0}, DType::f64),
                 tensor({1, 4}, {0.0, 1.0, 0.0, 0.0}, DType::f64)},
                {{"reduction", std::string("none")}});
}

// VJP with targets near the largest float: P = Σp overflows although the gradient is finite,
// and the −inf logit's softmax 0 times P = inf was NaN.
BOOST_AUTO_TEST_CASE(cross_entropy_vjp_target_sum_overflows) {
  check_vjp("cross_entropy",
            {tensor({1, 4}, {-kInf, 0.0, 0.0, 0.0}, DType::f32),
             tensor({1, 4}, {kMax32, 0.0, 0.0, kMax32}, DType::f32)},
            {{"reduction", std::string("sum")}}, tensor({}, {1.0}, DType::f32), 0);
  check_vjp("cross_entropy",
            {tensor({1, 4}, std::vector<double>(4, 0.0), DType::f64),
             tensor({1, 4}, {-kMax64, 0.0, -kMax64, 0.0}, DType::f64)},
            {{"reduction", std::string("sum")}}, tensor({}, {0.5}, DType::f64), 0);
}

// matmul's VJP for a broadcast batch: batch 0's product is an exact −inf, batch 2's overflows to
// +inf (max·1 + (−max)·(−1)); folding them gave NaN where dA is −inf.
BOOST_AUTO_TEST_CASE(matmul_vjp_broadcast_fold_overflow) {
  std::vector<double> b(12, 0.0);  // B: (3, 2, 2)
  b[0] = -kInf;                    // B[0, 0, 0]
  b[8] = kMax64;                   // B[2, 0, 0]
  b[9] = -kMax64;                  // B[2, 0, 1]
  const Tensor g = tensor({3, 1, 2}, {1, -1, 1, -1, 1, -1}, DType::f64);
  check_vjp("matmul",
            {tensor({1, 1, 2}, {0.5, 0.25}, DType::f64), tensor({3, 2, 2}, b, DType::f64)}, {}, g,
            0);
}

BOOST_AUTO_TEST_SUITE_END()
