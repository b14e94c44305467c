// verify/harness/enginecheck.cpp — the autograd engine's checks (see enginecheck.hpp).
// Each program maps float128 leaves to a scalar. The engine's gradient g (reference backend) is
// projected on random directions u (relative to each element, as in gradcheck.cpp) and
// ⟨g, u⟩ must match d/dt f(x + t·u) from Richardson central differences to
// kFiniteDifferenceTolerance (gradcheck.hpp: 1e-20 relative, its error analysis is there) —
// a dropped contribution, a wrong reduction or a wrong traversal is off by O(1).
#include "verify/harness/enginecheck.hpp"

#include "core/autograd.hpp"
#include "verify/harness/data.hpp"
#include "verify/harness/gradcheck.hpp"

#include <boost/multiprecision/float128.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

namespace vt::verify {
namespace {

namespace ag = vt::autograd;
namespace bmp = boost::multiprecision;
const ag::Backend kRef = ag::reference_backend();

struct Program {
  std::string name;
  std::string what;
  std::vector<Shape> shapes;  // the leaves
  std::function<ag::Variable(const std::vector<ag::Variable>&)> f;
};

ag::Variable constant(const Shape& s, double v) {
  Tensor t = Tensor::empty(s, DType::hp);
  t.copy_from(Tensor::from<double>({}, {v}));
  return ag::Variable(t);
}

std::vector<Program> programs() {
  using V = ag::Variable;
  auto sum = [](const V& x) { return ag::sum(x, {}, false, kRef); };
  return {
      {"reuse",
       "Σ (x·x + x)·x: x feeds four VJP contributions",
       {{7}},
       [=](const std::vector<V>& in) {
         const V& x = in[0];
         return sum(ag::mul(ag::add(ag::mul(x, x, kRef), x, kRef), x, kRef));
       }},
      {"broadcast",
       "Σ tanh(X·b + c), b (4) and c (3, 1) broadcast",
       {{3, 4}, {4}, {3, 1}},
       [=](const std::vector<V>& in) {
         return sum(ag::tanh(ag::add(ag::mul(in[0], in[1], kRef), in[2], kRef), kRef));
       }},
      {"diamond",
       "y = exp(x); Σ (y·sigmoid(y) + y): two paths from y",
       {{2, 5}},
       [=](const std::vector<V>& in) {
         const V y = ag::exp(in[0], kRef);
         return sum(ag::add(ag::mul(y, ag::sigmoid(y, kRef), kRef), y, kRef));
       }},
      {"weight_tied",
       "mean log_softmax(tanh(tanh(X·W)·W)·V): W used by two layers",
       {{4, 6}, {6, 6}, {6, 3}},
       [=](const std::vector<V>& in) {
         const V h = ag::tanh(ag::matmul(in[0], in[1], kRef), kRef);
         const V o = ag::matmul(ag::tanh(ag::matmul(h, in[1], kRef), kRef), in[2], kRef);
         return ag::mean(ag::log_softmax(o, -1, kRef), {}, false, kRef);
       }},
      {"hessian_vector",
       "Σ w·∇_x(Σ tanh(x)·x·y), the gradient from grad(create_graph)",
       {{5}, {5}},
       [=](const std::vector<V>& in) {
         const V& x = in[0];
         const V f = sum(ag::mul(ag::mul(ag::tanh(x, kRef), x, kRef), in[1], kRef));
         const V g = ag::grad(f, {x}, Tensor(), true).at(0);
         const V w = constant(x.shape(), 0.75);
         return sum(ag::mul(g, w, kRef));
       }},
  };
}

/// The scalar value of a program on the given leaf values (a graph is built and dropped:
/// programs that call grad() need one).
hp_t evaluate(const Program& p, const std::vector<Tensor>& x) {
  std::vector<ag::Variable> leaves;
  for (const Tensor& t : x) leaves.emplace_back(t, true);
  return load_hp(p.f(leaves).value(), {});
}

CaseResult run_program(const Program& p, int index, std::uint64_t seed,
                       const ag::AccumulateVariant* variant) {
  CaseResult r;
  r.regime = Regime::random;
  r.index = index;
  r.description = "autograd/" + p.name + " #" + std::to_string(index) + ": " + p.what;
  r.shapes = p.shapes;
  ag::AccumulateVariantScope scope(variant);
  Rng rng(mix_seed(seed, "engine/" + p.name + "/" + std::to_string(index)));
  std::uniform_real_distribution<double> unif(-1.0, 1.0);
  std::vector<Tensor> x, u;
  std::vector<ag::Variable> leaves;
  for (const Shape& s : p.shapes) {
    Tensor xt = Tensor::empty(s, DType::hp), ut = Tensor::empty(s, DType::hp);
    for_each_index(s, [&](const auto& i) {
      const hp_t xi = unif(rng);
      store_hp(xt, i, xi);
      store_hp(ut, i, hp_t(unif(rng)) * bmp::abs(xi));  // relative direction
    });
    x.push_back(xt);
    u.push_back(ut);
    leaves.emplace_back(xt, true);
  }
  try {
    p.f(leaves).backward();
  } catch (const Error& e) {
    r.verdict = Verdict::failed;
    r.message = std::string("the engine threw: ") + e.what();
    return r;
  }
  hp_t projected = 0, scale = 0;
  for (std::size_t k = 0; k < leaves.size(); ++k) {
    const Tensor& g = leaves[k].grad();
    if (!g.defined()) continue;
    for_each_index(g.shape(), [&](const auto& i) {
      const hp_t t = load_hp(g, i) * load_hp(u[k], i);
      projected += t;
      scale += bmp::abs(t);
    });
  }
  auto phi = [&](hp_t t) {
    std::vector<Tensor> xt;
    for (std::size_t k = 0; k < x.size(); ++k) {
      Tensor v = Tensor::empty(x[k].shape(), DType::hp);
      for_each_index(x[k].shape(), [&](const auto& i) {
        store_hp(v, i, load_hp(x[k], i) + t * load_hp(u[k], i));
      });
      xt.push_back(v);
    }
    const hp_t y = evaluate(p, xt);
    return std::pair<hp_t, hp_t>{y, bmp::abs(y)};
  };
  const Richardson d = extrapolate(phi, bmp::ldexp(hp_t(1), -20), 0);
  const hp_t allowed = hp_t(kFiniteDifferenceTolerance) * scale + d.rounding;
  const hp_t diff = bmp::abs(d.value - projected);
  const double utilisation = allowed > 0 ? static_cast<double>(diff / allowed) : 0.0;
  r.comparison.elements = 1;
  r.comparison.max_error = utilisation;
  r.comparison.sum_sq_error = utilisation * utilisation;
  r.comparison.worst = ElementReport{{},
                                     static_cast<double>(projected),
                                     static_cast<double>(d.value),
                                     utilisation,
                                     1.0,
                                     "⟨engine gradient, u⟩ vs Richardson central differences"};
  r.comparison.has_worst = true;
  if (diff > allowed) {
    r.verdict = Verdict::failed;
    r.comparison.failures = 1;
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "engine gradient disagrees with finite differences: <g, u> = %.17g, "
                  "differences give %.17g (relative gap %.3g)",
                  static_cast<double>(projected), static_cast<double>(d.value),
                  scale > 0 ? static_cast<double>(diff / scale) : 0.0);
    r.message = buf;
  }
  return r;
}

}  // namespace

std::vector<RowResult> verify_engine(const Options& opts) {
  std::vector<RowResult> rows;
  if (!opts.grad || opts.regime == Regime::exact || opts.regime == Regime::adversarial ||
      opts.regime == Regime::structural)
    return rows;
  std::vector<const ag::AccumulateVariant*> variants{nullptr};
  if (opts.variant == "all")
    for (const ag::AccumulateVariant& v : ag::accumulate_variants()) variants.push_back(&v);
  else if (!opts.variant.empty())
    for (const ag::AccumulateVariant& v : ag::accumulate_variants())
      if (v.name == opts.variant) variants = {&v};
  const int cases = opts.cases_per_regime > 0 ? opts.cases_per_regime : 3;
  for (const Program& p : programs()) {
    bool selected = opts.ops.empty();
    for (const std::string& g : opts.ops)
      selected = selected || glob_match(g, "autograd") || glob_match(g, "autograd/" + p.name);
    if (!selected) continue;
    for (const ag::AccumulateVariant* v : variants) {
      RowResult row;
      row.op = "autograd/" + p.name;
      row.family = "engine";
      row.backend = backend::reference;
      row.variant = v ? v->name : "engine";
      row.planted_bug = v != nullptr;
      row.dtype = DType::hp;
      row.cls = AccuracyClass::sum_bound;
      row.class_label = "fd-rich";
      row.budget = 1.0;
      RowRecorder rec(row, opts.verbose);
      for (int k = 0; k < cases; ++k)
        if (!opts.case_index || *opts.case_index == k) rec.record(run_program(p, k, opts.seed, v));
      rec.finish();
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

}  // namespace vt::verify
