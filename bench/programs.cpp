// bench/programs.cpp — the program workloads (bench/programs.hpp) and how each is verified.
// What it is: four programs through the autograd engine with the optimized backend, and their
// checks, each against float128 and each under bounds that come from the specs' accuracy classes.
// What it is not: the timing (bench/gate.cpp) or a copy of the training check (the MLP step is
// verify/harness/training.hpp's TrainingStep).
//
// ---- The checks -------------------------------------------------------------------------------
// linear fwd+bwd (y = linear(x, W, b); L = Σ y; L.backward()):
//   y against the float128 reference of linear on the same inputs under linear's forward bound
//   (the op workload's check); x.grad, W.grad, b.grad against the float128 reference VJP of
//   linear for the output gradient of ones, under linear's GradSpec class (compare_gradient, as
//   `verify --grad` and golden "vjp" cases grade them). The VJP of sum is exact — it broadcasts
//   the output gradient 1 — so linear's VJP receives exactly the ones the reference is given;
//   each leaf receives one contribution, stored without a further rounding.
// MLP step: TrainingStep::check (the training check's local one-step bound, training.cpp).
// autograd (x·w).sum(): p = x·w under mul's forward class (correctly rounded); L = Σ p against
//   the float128 sum of the optimized p under sum's bound; x.grad = w and w.grad = x bit for bit:
//   sum's VJP gives exactly 1 everywhere and mul's VJP multiplies it by the other factor,
//   1·w = w, exact in every precision (mul's class is one rounding of an exact value).
// autograd chain (h_0 = x; h_{2k+1} = h_{2k}·c, h_{2k+2} = h_{2k+1} + d, k < 50; c = fl(1.01),
//   d = fl(0.01) as 0-d tensors; L = Σ h_100; L.backward()): the same program through the same
//   engine on the reference backend (float128, x and the constants converted exactly) gives h_k,
//   L and x.grad; a first-order running error bound, in float128, bounds the optimized values:
//   E(t) ≥ |t̂ − t| elementwise, E(h_0) = 0 (x is exact). For an op y = f(h) of a correctly
//   rounded class (mul and add are, spec class "exact"), with |f(ĥ) − f(h)| ≤ J·E(h) (J = |c|
//   for ·c, 1 for + d: both are linear in h, so this is exact, not first order):
//     |ŷ − y| ≤ |fl(f(ĥ)) − f(ĥ)| + |f(ĥ) − f(h)| + |f(h) − fl128(f(h))|
//            ≤ u·(|y| + J·E(h)) + dm/2 + J·E(h) + 2^-113·|y|      (|f(ĥ)| ≤ |y| + J·E(h))
//   E(L) = B_sum + Σ E(h_100,i), B_sum = sum's spec bound at magnitudes |h_100| + E(h_100) (it
//   depends on its input only through Σ|x_i|, nondecreasing, so it bounds the bound at ĥ_100).
//   Backward: g_100 = 1 exactly (sum's VJP class is exact). Through + d: ĝ passes on, E(g) plus
//   add's VJP bound; through ·c: ĝ_in = fl(ĝ·c), E(g_in) = |c|·E(g) + B, B = mul's VJP bound
//   (GradSpec, ½ulp of the product and the reference's own γ term) evaluated at the output
//   gradient |g| + E(g) ≥ |ĝ| (monotone in |g·c|: it bounds the rounding of ĝ·c). x.grad is
//   the one contribution reaching x: E(x.grad) = E(g_0). Neither bound is scaled or fitted;
//   loss and x.grad must lie within them (utilisation ≤ 1).
#include "bench/programs.hpp"

#include "core/attrs.hpp"
#include "core/autograd.hpp"
#include "core/registry.hpp"
#include "verify/harness/data.hpp"
#include "verify/harness/gradcheck.hpp"
#include "verify/harness/runner.hpp"
#include "verify/harness/spec.hpp"
#include "verify/harness/training.hpp"

#include <boost/multiprecision/float128.hpp>

#include <algorithm>
#include <limits>

namespace vt::bench {

namespace {

namespace ag = vt::autograd;
namespace bmp = boost::multiprecision;
using namespace vt::verify;

const OpSpec& spec_of(const std::string& op) {
  const OpSpec* s = SpecRegistry::instance().find(op);
  if (!s) throw Error(op, {}, "bench: no spec registered");
  return *s;
}

ag::Backend backend_for(const ProgramSetup& s, const std::string& op) {
  auto it = s.variants.find(op);
  return {backend::optimized, it == s.variants.end() ? "" : it->second};
}

/// The inputs of op's random regime on `shapes` (index 0: contiguous placement) — drawn as the
/// op workloads draw theirs.
Case draw(const std::string& op, const std::vector<Shape>& shapes, DType dtype, std::uint64_t seed,
          const std::string& name) {
  OpSpec one = spec_of(op);
  Layout layout{shapes, {}, name};
  one.layouts = [layout](Rng&) { return std::vector<Layout>{layout}; };
  return make_case(one, dtype, Regime::random, 0, seed, 0);
}

Tensor ones_hp(const Shape& s) {
  Tensor t = Tensor::empty(s, DType::hp);
  t.copy_from(Tensor::from<double>({}, {1.0}));
  return t;
}

Record missing(const std::string& name) {
  Record r;
  r.name = name;
  r.verdict = Verdict::failed;
  r.message = name + ": no gradient was produced";
  return r;
}

// ---- linear 784→128, forward and backward -----------------------------------------------------

class LinearFwdBwd final : public Program {
 public:
  LinearFwdBwd(std::int64_t batch, const ProgramSetup& s)
      : spec_(spec_of("linear")),
        dtype_(s.dtype),
        be_linear_(backend_for(s, "linear")),
        be_sum_(backend_for(s, "sum")),
        out_{batch, 128} {
    c_ = draw("linear", {{batch, 784}, {128, 784}, {128}}, dtype_, s.seed,
              "linear 784-128 b" + std::to_string(batch) + " fwd+bwd");
    attrs_ = c_.layout.attrs;
    leaves_.resize(3);
  }

  void run() override {
    // Grads "set to None": fresh leaves over the same values each call.
    for (std::size_t i = 0; i < 3; ++i) leaves_[i] = ag::Variable(c_.inputs[i], true);
    y_ = ag::apply("linear", leaves_, attrs_, {{out_, std::nullopt}}, be_linear_).at(0);
    ag::sum(y_, {}, false, be_sum_).backward();
  }

  Record verify() override {
    if (!y_.defined()) throw Error("linear", {}, "bench: verify() before run()");
    if (!analysed_) {
      for (const Tensor& t : c_.inputs) in_hp_.push_back(t.to(DType::hp));
      const Implementation* ref = Registry::instance().find("linear", backend::reference);
      if (!ref) throw Error("linear", {}, "no reference implementation is registered");
      OpCall call{in_hp_, attrs_, {Tensor::empty(out_, DType::hp)}};
      ref->forward(call);
      y_ref_ = call.outputs;
      bound_ = Tensor::empty(out_, DType::hp);
      BoundArgs a{in_hp_, y_ref_, attrs_, precision_of(dtype_), bound_, 0};
      spec_.accuracy.bound(a);
      gout_ = {ones_hp(out_)};
      BackwardCall bc{&call, gout_, {}};
      for (const Tensor& t : in_hp_) bc.grad_inputs.push_back(Tensor::empty(t.shape(), DType::hp));
      ref->backward(bc);
      g_ref_ = bc.grad_inputs;
      analysed_ = true;
    }
    std::vector<Record> parts;
    const CompareSpec cs{spec_.accuracy.cls, class_budget(spec_, dtype_),
                         spec_.accuracy.cls == AccuracyClass::exact, dtype_};
    parts.push_back(record_of("y", compare_outputs(y_ref_[0], y_.value(), bound_, cs),
                              spec_.accuracy.cls, class_budget(spec_, dtype_),
                              "linear's forward bound, every element"));
    const char* names[] = {"grad x", "grad W", "grad b"};
    for (std::size_t i = 0; i < 3; ++i) {
      const Tensor& got = leaves_[i].grad();
      if (!got.defined()) {
        parts.push_back(missing(names[i]));
        continue;
      }
      parts.push_back(record_of(
          names[i],
          compare_gradient(spec_, in_hp_, y_ref_, gout_, attrs_, dtype_, i, g_ref_[i], got),
          spec_.grad.cls, grad_budget(spec_, dtype_, 1),
          "linear's GradSpec class against the float128 VJP for ones, every element"));
    }
    return combine(std::move(parts), method());
  }

  std::string method() const override {
    return "y against the float128 linear under linear's forward bound; x.grad, W.grad, b.grad "
           "against the float128 reference VJP of linear for an output gradient of ones "
           "(sum's VJP is exact) under linear's GradSpec class; every element";
  }
  std::string data() const override {
    return "linear's random regime (make_case, index 0, contiguous), leaves x, W, b";
  }
  std::vector<Tensor> inputs() const override { return c_.inputs; }

 private:
  const OpSpec& spec_;
  DType dtype_;
  ag::Backend be_linear_, be_sum_;
  Shape out_;
  Case c_;
  Attrs attrs_;
  std::vector<ag::Variable> leaves_;
  ag::Variable y_;
  bool analysed_ = false;
  std::vector<Tensor> in_hp_, y_ref_, gout_, g_ref_;
  Tensor bound_;
};

// ---- the MLP training step ------------------------------------------------------------------

class MlpStep final : public Program {
 public:
  MlpStep(std::int64_t batch, const std::string& optimizer, const ProgramSetup& s)
      : step_(s.seed, batch, optimizer, s.dtype, s.variants) {}

  void run() override {
    step_.run();
    ran_ = true;
  }

  Record verify() override {
    if (!ran_) throw Error("training", {}, "bench: verify() before run()");
    const StepCheck c = step_.check();
    Record loss;
    loss.name = "loss";
    loss.cls = class_name(AccuracyClass::sum_bound);
    loss.unit = class_unit(AccuracyClass::sum_bound);
    loss.budget = 1;
    loss.elements = 1;
    loss.max_error = c.loss_bound > 0
                         ? c.loss_err / c.loss_bound
                         : (c.loss_err == 0 ? 0 : std::numeric_limits<double>::infinity());
    loss.method = "|L̂ − L_ref(p̂)| against its one-step bound";
    if (!(loss.max_error <= 1)) {
      loss.verdict = Verdict::failed;
      loss.message = "loss exceeds its one-step bound";
    }
    Record all = loss;
    all.name = "loss, parameters, state";
    all.elements = c.elements;
    all.max_error = c.utilisation;
    all.method =
        "every new parameter and optimizer-state element and the loss against the "
        "local one-step bound (largest at " +
        c.worst + ")";
    all.verdict = c.passed ? Verdict::passed : Verdict::failed;
    all.message = c.passed ? "" : c.message;
    return combine({loss, all}, method());
  }

  std::string method() const override {
    return "the training check's local one-step bound (verify --train): one float128 reference "
           "step from the same starting state, every op charged its spec's class bound, the "
           "loss, every new parameter and optimizer-state element within it";
  }
  std::string data() const override {
    return "the training check's synthetic data, initial values and hyper-parameters; the "
           "step from the optimized state after one step";
  }
  std::vector<Tensor> inputs() const override { return step_.inputs(); }

 private:
  TrainingStep step_;
  bool ran_ = false;
};

// ---- autograd overhead: (x * w).sum().backward() on 10×10 -----------------------------------

class MulSum final : public Program {
 public:
  explicit MulSum(const ProgramSetup& s)
      : dtype_(s.dtype), be_mul_(backend_for(s, "mul")), be_sum_(backend_for(s, "sum")) {
    c_ = draw("mul", {{10, 10}, {10, 10}}, dtype_, s.seed, "autograd (x*w).sum() 10x10");
  }

  void run() override {
    x_ = ag::Variable(c_.inputs[0], true);
    w_ = ag::Variable(c_.inputs[1], true);
    p_ = ag::mul(x_, w_, be_mul_);
    loss_ = ag::sum(p_, {}, false, be_sum_);
    loss_.backward();
  }

  Record verify() override {
    if (!loss_.defined()) throw Error("mul", {}, "bench: verify() before run()");
    const OpSpec& mul = spec_of("mul");
    const OpSpec& sum = spec_of("sum");
    std::vector<Record> parts;
    // x·w: mul's forward class (the product of two floats is exact in float128).
    const Tensor x_hp = c_.inputs[0].to(DType::hp), w_hp = c_.inputs[1].to(DType::hp);
    Tensor prod = Tensor::empty({10, 10}, DType::hp);
    for_each_index(prod.shape(),
                   [&](const auto& i) { store_hp(prod, i, load_hp(x_hp, i) * load_hp(w_hp, i)); });
    const CompareSpec ms{mul.accuracy.cls, class_budget(mul, dtype_),
                         mul.accuracy.cls == AccuracyClass::exact, dtype_};
    parts.push_back(record_of("x*w", compare_outputs(prod, p_.value(), Tensor(), ms),
                              mul.accuracy.cls, class_budget(mul, dtype_),
                              "mul's class against the exact product"));
    // Σ p̂: sum's bound, on the sum's own input (the optimized product).
    const std::vector<Tensor> sin = {p_.value().to(DType::hp)};
    const Attrs sa = validate_attrs(
        sum.attrs, {{"axis", std::vector<std::int64_t>{}}, {"keepdims", false}}, "sum");
    const Implementation* ref = Registry::instance().find("sum", backend::reference);
    if (!ref) throw Error("sum", {}, "no reference implementation is registered");
    OpCall call{sin, sa, {Tensor::empty({}, DType::hp)}};
    ref->forward(call);
    Tensor bound = Tensor::empty({}, DType::hp);
    BoundArgs a{sin, call.outputs, sa, precision_of(dtype_), bound, 0};
    sum.accuracy.bound(a);
    const CompareSpec ss{sum.accuracy.cls, class_budget(sum, dtype_),
                         sum.accuracy.cls == AccuracyClass::exact, dtype_};
    parts.push_back(record_of("sum", compare_outputs(call.outputs[0], loss_.value(), bound, ss),
                              sum.accuracy.cls, class_budget(sum, dtype_),
                              "sum's bound on the optimized product"));
    // The gradients, bit for bit: x.grad = 1·w, w.grad = 1·x (see the top of the file).
    const CompareSpec exact{AccuracyClass::exact, 0.5, true, dtype_};
    const std::pair<const ag::Variable*, const Tensor*> grads[] = {{&x_, &w_hp}, {&w_, &x_hp}};
    const char* names[] = {"grad x = w", "grad w = x"};
    for (std::size_t k = 0; k < 2; ++k) {
      const Tensor& got = grads[k].first->grad();
      if (!got.defined()) {
        parts.push_back(missing(names[k]));
        continue;
      }
      parts.push_back(record_of(names[k], compare_outputs(*grads[k].second, got, Tensor(), exact),
                                AccuracyClass::exact, 0.5, "bit for bit"));
    }
    return combine(std::move(parts), method());
  }

  std::string method() const override {
    return "x*w under mul's class; the sum under sum's bound on that product; x.grad = w and "
           "w.grad = x bit for bit (sum's VJP gives 1, mul's VJP multiplies by the other "
           "factor: exact)";
  }
  std::string data() const override {
    return "mul's random regime (make_case, index 0, contiguous), leaves x, w";
  }
  std::vector<Tensor> inputs() const override { return c_.inputs; }

 private:
  DType dtype_;
  ag::Backend be_mul_, be_sum_;
  Case c_;
  ag::Variable x_, w_, p_, loss_;
};

// ---- autograd overhead: a chain of 100 elementwise ops on 10×10 ----------------------------

class Chain final : public Program {
 public:
  static constexpr int kPairs = 50;

  explicit Chain(const ProgramSetup& s)
      : dtype_(s.dtype),
        be_mul_(backend_for(s, "mul")),
        be_add_(backend_for(s, "add")),
        be_sum_(backend_for(s, "sum")) {
    c_ = draw("mul", {{10, 10}, {10, 10}}, dtype_, s.seed, "autograd chain 100 10x10");
    // The constants in the case's dtype, as 0-d tensors that do not require grad.
    c1_ = ag::Variable(Tensor::from<double>({}, {1.01}).to(dtype_));
    c2_ = ag::Variable(Tensor::from<double>({}, {0.01}).to(dtype_));
  }

  void run() override {
    x_ = ag::Variable(c_.inputs[0], true);
    ag::Variable h = x_;
    for (int k = 0; k < kPairs; ++k) {
      h = ag::mul(h, c1_, be_mul_);
      h = ag::add(h, c2_, be_add_);
    }
    loss_ = ag::sum(h, {}, false, be_sum_);
    loss_.backward();
  }

  Record verify() override {
    if (!loss_.defined()) throw Error("autograd", {}, "bench: verify() before run()");
    if (!analysed_) analyse();
    std::vector<Record> parts;
    const CompareSpec cs{AccuracyClass::sum_bound, 1.0, false, dtype_};
    parts.push_back(record_of("loss", compare_outputs(loss_ref_, loss_.value(), loss_bound_, cs),
                              AccuracyClass::sum_bound, 1.0,
                              "float128 run of the same program, running error bound"));
    if (!x_.grad().defined())
      parts.push_back(missing("grad x"));
    else
      parts.push_back(record_of("grad x", compare_outputs(gx_ref_, x_.grad(), gx_bound_, cs),
                                AccuracyClass::sum_bound, 1.0,
                                "float128 run of the same program, running error bound"));
    return combine(std::move(parts), method());
  }

  std::string method() const override {
    return "the same program on the reference backend through the engine (float128); loss and "
           "x.grad within a running error bound built from mul's, add's and sum's classes "
           "(bench/programs.cpp)";
  }
  std::string data() const override {
    return "x: mul's random regime (make_case, index 0, contiguous); constants fl(1.01), "
           "fl(0.01) as 0-d tensors";
  }
  std::vector<Tensor> inputs() const override { return {c_.inputs[0], c1_.value(), c2_.value()}; }

 private:
  using Vec = std::vector<hp_t>;

  /// The float128 run and the bounds (see the top of the file).
  void analyse() {
    const OpSpec& mul = spec_of("mul");
    const OpSpec& add = spec_of("add");
    const OpSpec& sum = spec_of("sum");
    if (mul.accuracy.cls != AccuracyClass::exact || add.accuracy.cls != AccuracyClass::exact ||
        sum.grad.cls != AccuracyClass::exact || !mul.grad.bound || !add.grad.bound)
      throw Error("autograd", {},
                  "bench: the chain's bound assumes correctly rounded mul/add, an exact sum VJP "
                  "and bounded mul/add VJPs (the specs changed)");
    const ag::Backend ref = ag::reference_backend();
    const ag::Variable x(c_.inputs[0].to(DType::hp), true);
    std::vector<Tensor> hs = {x.value()};  // h_0 … h_100 (float128)
    ag::Variable h = x;
    for (int k = 0; k < kPairs; ++k) {
      h = ag::mul(h, c1_, ref);
      hs.push_back(h.value());
      h = ag::add(h, c2_, ref);
      hs.push_back(h.value());
    }
    const ag::Variable loss = ag::sum(h, {}, false, ref);
    loss.backward();
    loss_ref_ = loss.value();
    gx_ref_ = x.grad();

    const Precision p = precision_of(dtype_);
    const hp_t u128 = bmp::ldexp(hp_t(1), -113);
    const hp_t c = bmp::abs(load_hp(c1_.value(), {}));
    const std::size_t n = 100;
    auto vec = [](const Tensor& t) {
      const Tensor h = t.contiguous();
      return Vec(h.data<hp_t>(), h.data<hp_t>() + h.numel());
    };
    auto tensor = [](const Vec& v, const Shape& s) {
      Tensor t = Tensor::empty(s, DType::hp);
      std::copy(v.begin(), v.end(), t.data<hp_t>());
      return t;
    };
    // Forward: E(h_k) from E(h_{k−1}).
    std::vector<Vec> E(hs.size(), Vec(n, hp_t(0)));
    for (std::size_t k = 1; k < hs.size(); ++k) {
      const hp_t J = k % 2 ? c : hp_t(1);  // odd k: ·c; even k: + d
      const Vec y = vec(hs[k]);
      for (std::size_t i = 0; i < n; ++i) {
        const hp_t in = J * E[k - 1][i];
        E[k][i] = in + p.u * (bmp::abs(y[i]) + in) + p.denorm_min / 2 + 2 * u128 * bmp::abs(y[i]);
      }
    }
    // The loss: sum's bound at the magnitudes |h_100| + E(h_100).
    const Vec last = vec(hs.back());
    Vec mag(n);
    hp_t mag_sum = 0, e_sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      mag[i] = bmp::abs(last[i]) + E.back()[i];
      mag_sum += mag[i];
      e_sum += E.back()[i];
    }
    const Attrs sa = validate_attrs(
        sum.attrs, {{"axis", std::vector<std::int64_t>{}}, {"keepdims", false}}, "sum");
    const std::vector<Tensor> sin = {tensor(mag, {10, 10})};
    const std::vector<Tensor> sout = {Tensor::from<hp_t>({}, {mag_sum})};
    Tensor b = Tensor::empty({}, DType::hp);
    BoundArgs ba{sin, sout, sa, p, b, 0};
    sum.accuracy.bound(ba);
    loss_bound_ = Tensor::from<hp_t>({}, {load_hp(b, {}) + e_sum});
    // Backward: g_100 = 1 exactly, then through each op from the last to the first.
    Vec g(n, hp_t(1)), Eg(n, hp_t(0));
    const Attrs none;
    const std::vector<Tensor> consts = {c1_.value().to(DType::hp), c2_.value().to(DType::hp)};
    for (std::size_t k = hs.size() - 1; k >= 1; --k) {
      const bool is_mul = k % 2 == 1;
      const OpSpec& s = is_mul ? mul : add;
      Vec G(n);
      for (std::size_t i = 0; i < n; ++i) G[i] = bmp::abs(g[i]) + Eg[i];
      const Tensor Gt = tensor(G, {10, 10});
      const std::vector<Tensor> in = {hs[k - 1], consts[is_mul ? 0 : 1]};
      const std::vector<Tensor> out = {hs[k]}, gout = {Gt};
      const Attrs at = validate_attrs(s.attrs, none, s.name);
      Tensor bound = Tensor::empty({10, 10}, DType::hp);
      GradBoundArgs ga{in, out, gout, at, p, 0, Gt, bound};
      s.grad.bound(ga);
      const Vec B = vec(bound);
      const hp_t J = is_mul ? c : hp_t(1);
      for (std::size_t i = 0; i < n; ++i) {
        Eg[i] = J * Eg[i] + B[i];
        g[i] = J * g[i];  // |g_{k−1}| (c > 0): the magnitude the next bound is evaluated at
      }
    }
    gx_bound_ = tensor(Eg, {10, 10});
    analysed_ = true;
  }

  DType dtype_;
  ag::Backend be_mul_, be_add_, be_sum_;
  Case c_;
  ag::Variable c1_, c2_, x_, loss_;
  bool analysed_ = false;
  Tensor loss_ref_, gx_ref_, loss_bound_, gx_bound_;
};

}  // namespace

Record record_of(const std::string& name, const Comparison& cmp, AccuracyClass cls, double budget,
                 const std::string& method) {
  Record r;
  r.name = name;
  r.cls = class_name(cls);
  r.unit = class_unit(cls);
  r.budget = budget;
  r.method = method;
  r.elements = cmp.elements;
  r.max_error = cmp.max_error;
  if (cmp.has_worst) r.worst = cmp.worst;
  if (cmp.failures) {
    r.verdict = Verdict::failed;
    r.message = name + ": " + std::to_string(cmp.failures) + " of " + std::to_string(cmp.elements) +
                " element(s) outside the " + class_name(cls) + " bound";
  }
  return r;
}

Record combine(std::vector<Record> parts, const std::string& method) {
  if (parts.empty()) throw Error("", {}, "bench: a program checked nothing");
  auto score = [](const Record& r) {
    if (r.verdict != Verdict::passed) return std::numeric_limits<double>::infinity();
    if (r.budget > 0) return r.max_error / r.budget;
    return r.max_error > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  };
  std::size_t worst = 0;
  for (std::size_t i = 1; i < parts.size(); ++i)
    if (score(parts[i]) > score(parts[worst])) worst = i;  // ties: the first (a failed one first)
  Record r = parts[worst];
  r.name.clear();
  r.method = method;
  r.elements = 0;
  for (const Record& p : parts) r.elements += p.elements;
  r.parts = std::move(parts);
  return r;
}

std::unique_ptr<Program> linear_fwd_bwd_program(std::int64_t batch, const ProgramSetup& s) {
  return std::make_unique<LinearFwdBwd>(batch, s);
}
std::unique_ptr<Program> mlp_step_program(std::int64_t batch, const std::string& optimizer,
                                          const ProgramSetup& s) {
  return std::make_unique<MlpStep>(batch, optimizer, s);
}
std::unique_ptr<Program> autograd_mul_sum_program(const ProgramSetup& s) {
  return std::make_unique<MulSum>(s);
}
std::unique_ptr<Program> autograd_chain_program(const ProgramSetup& s) {
  return std::make_unique<Chain>(s);
}

}  // namespace vt::bench
