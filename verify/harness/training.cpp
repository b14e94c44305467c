// verify/harness/training.cpp — the end-to-end MLP training check (training.hpp).
// What it is: the synthetic data, the three trajectories through the autograd engine, and two
// running error analyses of each optimized trajectory: a local one (per step, teacher forcing)
// and a cumulative one (from step 1). What it is not: a per-op verification (the bounds of single
// ops come from their specs, verify/ops/*.cpp) or a general training loop.
//
// ---- The bound (first-order running error analysis, Wilkinson) ------------------------------
// Every tensor t of an optimized step carries E(t) ≥ |t̂ − t| elementwise (t̂ the optimized value,
// t the value it is compared with), computed in float128. For an op y = f(x) run by the
// optimized backend on its own inputs x̂:
//   |ŷ − y| ≤ |f_opt(x̂) − f_ref(x̂)| + |f_ref(x̂) − f_ref(x)| ≤ B_f + |J_f|·E(x)
// B_f is the op's accuracy class from its spec (Accuracy::bound for the forwards, GradSpec::bound
// for the VJPs, the optimizer spec's bounds for the new parameter and the new state (outputs ≥ 1,
// Accuracy::bounds_every_output; u·|y| + dm/2 for a spec that holds them to correct rounding);
// relu is exact: 0). The data x and the
// labels are exact. The float128 rounding of the reference itself (2^-113 relative per op) is
// covered by the reference terms inside every spec bound.
// Two analyses use these rules at every step t, from the optimized state p̂_t (parameters and
// optimizer state), converted exactly to float128:
//  - local (teacher forcing; the check that holds every step to the per-op classes): one
//    reference step from p̂_t — forward, backward, optimizer update, in float128 with the
//    reference backend — gives the loss L_ref(p̂_t) and q_{t+1}; the optimized step from the same
//    p̂_t gave L̂_t and p̂_{t+1}. With E = 0 at p̂_t the rules give a one-step bound, and
//    |L̂_t − L_ref(p̂_t)| and every element of |p̂_{t+1} − q_{t+1}| (parameters and state) must be
//    within it. Its magnitudes are those of the reference step it is compared with, so this bound
//    is the one of step 1 (where p̂_0 = p_0) at every step and stays of the same tightness.
//  - cumulative: E carried from step to step, starting at 0 for the identical initial values,
//    comparing with the reference trajectory p_t. A worst-case envelope: absolute Jacobians add
//    what cancels in practice, so it grows about tenfold per step and loses meaning (E(loss) ≥
//    loss, reported as "vacuous from step") after a few steps; it stays in the check because it
//    is honest, not because it discriminates late. Its class bounds and magnitudes are the local
//    step's (at p̂_t, not p_t): they differ by O(E) = O(u), which changes the bound by O(u²) —
//    second order, dropped like the second-order terms of the nonlinear rules below (computed
//    once, shared by both analyses).
// The divergence splits exactly as p̂_{t+1} − p_{t+1} = (p̂_{t+1} − q_{t+1}) [this step's error,
// bounded by the local check] + (q_{t+1} − p_{t+1}) [the earlier divergence carried on by the
// exact reference dynamics]; both parts are reported.
// The propagation rules (|·| elementwise; "rigorous" rules hold for any size of E):
//  linear   y = x·Wᵀ + b  (bilinear, rigorous: x̂Ŵ − xW = δx·W + x·δW + δx·δW)
//             E(y)  = B + E(x)·(|W| + E(W))ᵀ + |x|·E(W)ᵀ + E(b)
//  linear VJP gx = g·W, gW = gᵀ·x, gb = Σ_rows g  (bilinear, rigorous)
//             E(gx) = B + E(g)·(|W| + E(W)) + |g|·E(W)
//             E(gW) = B + E(g)ᵀ·(|x| + E(x)) + |g|ᵀ·E(x),   E(gb) = B + Σ_rows E(g)
//  relu     1-Lipschitz: E(a) = E(h) where h + E(h) > 0, else 0 (then h, ĥ ≤ 0: both give +0)
//  relu VJP g·[h > 0]: h > E(h): both masks 1, E(g); h ≤ −E(h): both 0, 0; otherwise the mask
//           may flip: |ĝ·m̂ − g·m| ≤ max(|ĝ|, |g|) ≤ |g| + E(g)   (rigorous)
//  cross_entropy (mean over B rows), first order: E(loss) = B + Σ|∂L/∂h|·E(h);
//           VJP g_c = (π_c − [c = t])/B per row, π = softmax(h): |J|·E(h) per row is
//           (1/B)·(π_c(1 − π_c)E_c + π_c·Σ_{j≠c} π_j E_j)
//  sgd_step (momentum μ, weight decay wd, dampening 0; linear, rigorous):
//           buf' = μ·buf + g + wd·p (buf' = g + wd·p on the first step), p' = p − lr·buf'
//           E(buf') = B_buf + μE(buf) + E(g) + wd·E(p)   (B_buf: the spec's bound of output 1)
//           E(p')   = B + |1 − lr·wd|·E(p) + lr·μ·E(buf) + lr·E(g)
//  adam_step (weight decay 0):  m' = β1 m + (1 − β1) g,  v' = β2 v + (1 − β2) g²  (rigorous)
//           E_in(m') = β1 E(m) + (1 − β1) E(g),  E_in(v') = β2 E(v) + (1 − β2)(2|g| + E(g))E(g)
//           E(m') = B_m + E_in(m'),  E(v') = B_v + E_in(v')  (the spec's bounds of outputs 1, 2);
//           p' = p − s·m'/d, s = lr/(1 − β1^t), d = √v'/c + eps, c = √(1 − β2^t) (rigorous):
//           |√v̂ − √v| ≤ E_s := min(√E_in(v'), E_in(v')/√v'), E(d) = E_s/c,
//           d_lo = max(d − E(d), eps):  |m̂/d̂ − m/d| ≤ E_in(m')/d_lo + |m'|·E(d)/(d·d_lo)
//           E(p') = B + E(p) + min(s·(E_in(m')/d_lo + |m'|·E(d)/(d·d_lo)), |w| + s·c·K̂_t + …)
//           where |m'|/√v' ≤ K̂_t bounds any Adam step (see propagate_update): where E(g) is as
//           large as |g| (a relu mask that may flip) the step's direction is unknown, and the
//           cap keeps the bound at two steps' worth instead of letting d_lo → eps blow it up
// The check: at every step and for both analyses, utilisation |p̂ − p|/E(p) ≤ 1 for every
// parameter and state element after the update, and |L̂ − L|/E(L) ≤ 1 for the loss (p, L: q_{t+1}
// and L_ref(p̂_t) for the local one, the reference trajectory for the cumulative one). Bounds are
// worst case; the local one is attained where a final rounding is (utilisation up to 0.9998), the
// cumulative one is far from it after step 1. Both are reported as measured, never scaled.
#include "verify/harness/training.hpp"

#include "core/autograd.hpp"
#include "verify/harness/bounds.hpp"
#include "verify/harness/spec.hpp"

#include <boost/multiprecision/float128.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <random>
#include <sstream>

namespace vt::verify {
namespace {

namespace bmp = boost::multiprecision;
namespace ag = vt::autograd;
using Vec = std::vector<hp_t>;  // a row-major float128 array (an error bound or a magnitude)

constexpr std::int64_t kIn = 784, kH1 = 256, kH2 = 128, kOut = 10;
const char* const kParamNames[] = {"W1", "b1", "W2", "b2", "W3", "b3"};

// Hyper-parameters: PyTorch-typical, chosen so that the loss falls clearly in 20 steps.
constexpr double kSgdLr = 0.05, kSgdMomentum = 0.9, kSgdWeightDecay = 5e-4;
constexpr double kAdamLr = 1e-3, kAdamBeta1 = 0.9, kAdamBeta2 = 0.999, kAdamEps = 1e-8;

// ---- small float128 helpers -----------------------------------------------------------------

Vec to_vec(const Tensor& t) {
  const Tensor h = t.dtype() == DType::hp ? t.contiguous() : t.to(DType::hp);
  const hp_t* p = h.data<hp_t>();
  return Vec(p, p + h.numel());
}
Vec abs_vec(const Vec& v) {
  Vec r(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) r[i] = bmp::abs(v[i]);
  return r;
}
Vec plus(const Vec& a, const Vec& b) {
  Vec r(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) r[i] = a[i] + b[i];
  return r;
}
bool all_zero(const Vec& v) {
  return std::all_of(v.begin(), v.end(), [](const hp_t& x) { return x == 0; });
}

/// C(M,N) += A(M,K)·B(N,K)ᵀ — nonnegative operands: a float128 sum of nonnegative terms is within
/// γ_K(2^-113) relative, far below every figure it bounds. Zero rows of A are skipped.
void add_abt(Vec& C, const Vec& A, const Vec& B, std::int64_t M, std::int64_t K, std::int64_t N) {
  for (std::int64_t m = 0; m < M; ++m)
    for (std::int64_t n = 0; n < N; ++n) {
      hp_t s = 0;
      const hp_t* a = &A[static_cast<std::size_t>(m * K)];
      const hp_t* b = &B[static_cast<std::size_t>(n * K)];
      for (std::int64_t k = 0; k < K; ++k)
        if (a[k] != 0) s += a[k] * b[k];
      C[static_cast<std::size_t>(m * N + n)] += s;
    }
}
/// C(M,K) += A(M,N)·B(N,K).
void add_ab(Vec& C, const Vec& A, const Vec& B, std::int64_t M, std::int64_t N, std::int64_t K) {
  for (std::int64_t m = 0; m < M; ++m)
    for (std::int64_t n = 0; n < N; ++n) {
      const hp_t& a = A[static_cast<std::size_t>(m * N + n)];
      if (a == 0) continue;
      hp_t* c = &C[static_cast<std::size_t>(m * K)];
      const hp_t* b = &B[static_cast<std::size_t>(n * K)];
      for (std::int64_t k = 0; k < K; ++k) c[k] += a * b[k];
    }
}
/// C(N,K) += A(M,N)ᵀ·B(M,K).
void add_atb(Vec& C, const Vec& A, const Vec& B, std::int64_t M, std::int64_t N, std::int64_t K) {
  for (std::int64_t m = 0; m < M; ++m)
    for (std::int64_t n = 0; n < N; ++n) {
      const hp_t& a = A[static_cast<std::size_t>(m * N + n)];
      if (a == 0) continue;
      hp_t* c = &C[static_cast<std::size_t>(n * K)];
      const hp_t* b = &B[static_cast<std::size_t>(m * K)];
      for (std::int64_t k = 0; k < K; ++k) c[k] += a * b[k];
    }
}

// ---- the per-op class bounds, from the specs ------------------------------------------------

const OpSpec& spec_of(const std::string& op) {
  const OpSpec* s = SpecRegistry::instance().find(op);
  if (!s) throw Error(op, {}, "training check: no spec registered");
  return *s;
}

Attrs full_attrs(const std::string& op, const Attrs& given) {
  return validate_attrs(spec_of(op).attrs, given, op);
}

/// B of output `output` of a forward: the spec's sum-bound, k·ulp for ulp(k) (ulp(y) ≤ 2u|y| +
/// dm), 0 for exact ops; an output after 0 of a sum-bound spec without bounds_every_output is
/// held to correct rounding: u·|y| + dm/2.
Vec forward_bound(const std::string& op, const std::vector<Tensor>& in_hp,
                  const std::vector<Tensor>& ref_out, const Attrs& attrs, DType dtype,
                  std::size_t output = 0) {
  const OpSpec& s = spec_of(op);
  const Precision p = precision_of(dtype);
  const Vec y = to_vec(ref_out.at(output));
  switch (s.accuracy.cls) {
    case AccuracyClass::exact:
      return Vec(y.size(), hp_t(0));
    case AccuracyClass::ulp: {
      const hp_t k(dtype == DType::f32 ? s.accuracy.ulp_f32 : s.accuracy.ulp_f64);
      Vec r(y.size());
      for (std::size_t i = 0; i < y.size(); ++i)
        r[i] = k * (2 * p.u * bmp::abs(y[i]) + p.denorm_min);
      return r;
    }
    case AccuracyClass::sum_bound: {
      if (output != 0 && !s.accuracy.bounds_every_output) {
        Vec r(y.size());
        for (std::size_t i = 0; i < y.size(); ++i) r[i] = p.u * bmp::abs(y[i]) + p.denorm_min / 2;
        return r;
      }
      Tensor b;
      BoundArgs a{in_hp, ref_out, attrs, p, b, output};
      s.accuracy.bound(a);
      return to_vec(b);
    }
    default:
      throw Error(op, {}, "training check: accuracy class not usable in a running bound");
  }
}

/// B of the VJP of input `input`.
Vec grad_bound(const std::string& op, const std::vector<Tensor>& in_hp,
               const std::vector<Tensor>& out_hp, const std::vector<Tensor>& gout_hp,
               const Attrs& attrs, std::size_t input, const Tensor& ref_grad, DType dtype) {
  const OpSpec& s = spec_of(op);
  const Precision p = precision_of(dtype);
  const Vec g = to_vec(ref_grad);
  switch (s.grad.cls) {
    case AccuracyClass::exact:
      return Vec(g.size(), hp_t(0));
    case AccuracyClass::ulp: {
      const hp_t k(dtype == DType::f32 ? s.grad.ulp_f32 : s.grad.ulp_f64);
      Vec r(g.size());
      for (std::size_t i = 0; i < g.size(); ++i)
        r[i] = k * (2 * p.u * bmp::abs(g[i]) + p.denorm_min);
      return r;
    }
    case AccuracyClass::sum_bound: {
      Tensor b;
      GradBoundArgs a{in_hp, out_hp, gout_hp, attrs, p, input, ref_grad, b};
      s.grad.bound(a);
      return to_vec(b);
    }
    default:
      throw Error(op, {}, "training check: gradient class not usable in a running bound");
  }
}

// ---- data and initial values ----------------------------------------------------------------

struct Data {
  Tensor x;                  // (B, 784) float32 values, stored float64 (exact in every dtype)
  Tensor y;                  // (B) int64 labels in [0, 10)
  std::vector<Tensor> init;  // W1, b1, W2, b2, W3, b3: float32 values, stored float64
};

float uniform_f32(std::mt19937_64& rng, double bound) {
  return static_cast<float>(std::uniform_real_distribution<double>(-bound, bound)(rng));
}

/// x uniform in [−1, 1]; labels argmax of a fixed random linear teacher (so they are a function
/// of the inputs the network can learn); parameters as PyTorch's nn.Linear initialises them
/// (uniform ±1/√fan_in), rounded to float32.
Data make_data(std::uint64_t seed, std::int64_t B) {
  std::mt19937_64 rng(seed);
  Data d;
  std::vector<double> x(static_cast<std::size_t>(B * kIn));
  for (double& v : x) v = uniform_f32(rng, 1.0);
  std::vector<double> teacher(static_cast<std::size_t>(kOut * kIn));
  for (double& v : teacher) v = uniform_f32(rng, 1.0);
  std::vector<std::int64_t> y(static_cast<std::size_t>(B));
  for (std::int64_t n = 0; n < B; ++n) {
    double best = -1e300;
    for (std::int64_t c = 0; c < kOut; ++c) {
      double s = 0;
      for (std::int64_t k = 0; k < kIn; ++k)
        s += teacher[static_cast<std::size_t>(c * kIn + k)] *
             x[static_cast<std::size_t>(n * kIn + k)];
      if (s > best) {
        best = s;
        y[static_cast<std::size_t>(n)] = c;
      }
    }
  }
  d.x = Tensor::from<double>({B, kIn}, x);
  d.y = Tensor::from<std::int64_t>({B}, y);
  const std::int64_t dims[] = {kIn, kH1, kH2, kOut};
  for (int l = 0; l < 3; ++l) {
    const std::int64_t fan_in = dims[l], fan_out = dims[l + 1];
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    std::vector<double> w(static_cast<std::size_t>(fan_out * fan_in)),
        b(static_cast<std::size_t>(fan_out));
    for (double& v : w) v = uniform_f32(rng, bound);
    for (double& v : b) v = uniform_f32(rng, bound);
    d.init.push_back(Tensor::from<double>({fan_out, fan_in}, w));
    d.init.push_back(Tensor::from<double>({fan_out}, b));
  }
  return d;
}

// ---- one trajectory through the autograd engine ---------------------------------------------

struct Trajectory {
  bool reference = false;
  DType dtype = DType::f32;  // float128 for the reference
  std::map<std::string, std::string> variants;
  Tensor x;  // the data in the compute dtype
  std::vector<ag::Variable> params;
  std::vector<std::vector<Tensor>> state;  // per parameter: {buf} (SGD) or {m, v} (Adam)
  // Recorded by the last forward_backward (values of the nodes, the loss, the leaf grads).
  std::vector<Tensor> acts;  // h1, a1, h2, a2, h3
  Tensor loss;
  std::vector<Tensor> grads;

  ag::Backend be(const std::string& op) const {
    if (reference) return ag::reference_backend();
    auto it = variants.find(op);
    return {backend::optimized, it == variants.end() ? "" : it->second};
  }
};

Trajectory make_trajectory(const Data& d, bool reference, DType dtype,
                           const std::map<std::string, std::string>& variants, bool adam) {
  Trajectory t;
  t.reference = reference;
  t.dtype = reference ? DType::hp : dtype;
  t.variants = variants;
  t.x = d.x.to(t.dtype);
  for (const Tensor& p : d.init) {
    t.params.emplace_back(p.to(t.dtype), true);
    std::vector<Tensor> s;
    for (int k = 0; k < (adam ? 2 : 1); ++k) s.push_back(Tensor::empty(p.shape(), t.dtype));
    t.state.push_back(std::move(s));
  }
  return t;
}

Attrs ce_attrs() { return full_attrs("cross_entropy", {{"reduction", std::string("mean")}}); }

void forward_backward(Trajectory& t, const Tensor& labels) {
  const ag::Variable x(t.x), y(labels);
  const std::int64_t B = t.x.dim(0);
  auto linear = [&](const ag::Variable& in, int layer, std::int64_t out) {
    return ag::apply("linear", {in, t.params[2 * layer], t.params[2 * layer + 1]},
                     full_attrs("linear", {}), {{{B, out}, std::nullopt}}, t.be("linear"))
        .at(0);
  };
  auto relu = [&](const ag::Variable& in) {
    return ag::apply("relu", {in}, full_attrs("relu", {}), {{in.shape(), std::nullopt}},
                     t.be("relu"))
        .at(0);
  };
  const ag::Variable h1 = linear(x, 0, kH1), a1 = relu(h1);
  const ag::Variable h2 = linear(a1, 1, kH2), a2 = relu(h2);
  const ag::Variable h3 = linear(a2, 2, kOut);
  const ag::Variable loss =
      ag::apply("cross_entropy", {h3, y}, ce_attrs(), {{{}, std::nullopt}}, t.be("cross_entropy"))
          .at(0);
  t.acts = {h1.value(), a1.value(), h2.value(), a2.value(), h3.value()};
  t.loss = loss.value();
  loss.backward();
  t.grads.clear();
  for (const ag::Variable& p : t.params) {
    if (!p.grad().defined()) throw Error("training", {p.shape()}, "a parameter got no gradient");
    t.grads.push_back(p.grad());
  }
}

Attrs sgd_attrs(int step) {
  return full_attrs("sgd_step", {{"lr", kSgdLr},
                                 {"momentum", kSgdMomentum},
                                 {"dampening", 0.0},
                                 {"weight_decay", kSgdWeightDecay},
                                 {"nesterov", false},
                                 {"first_step", step == 1}});
}
Attrs adam_attrs(int step) {
  return full_attrs("adam_step", {{"lr", kAdamLr},
                                  {"beta1", kAdamBeta1},
                                  {"beta2", kAdamBeta2},
                                  {"eps", kAdamEps},
                                  {"weight_decay", 0.0},
                                  {"step", std::int64_t{step}}});
}

/// One optimizer step on every parameter, as apply() under a NoGradGuard; the parameters become
/// new leaves holding the new values.
void update(Trajectory& t, bool adam, int step) {
  ag::NoGradGuard guard;
  const std::string op = adam ? "adam_step" : "sgd_step";
  const Attrs attrs = adam ? adam_attrs(step) : sgd_attrs(step);
  for (std::size_t i = 0; i < t.params.size(); ++i) {
    std::vector<ag::Variable> in = {t.params[i].detach(), ag::Variable(t.grads[i])};
    for (const Tensor& s : t.state[i]) in.emplace_back(s);
    std::vector<ag::OutputDesc> outs(1 + t.state[i].size(), {t.params[i].shape(), std::nullopt});
    const std::vector<ag::Variable> r = ag::apply(op, in, attrs, outs, t.be(op));
    t.params[i] = ag::Variable(r[0].value(), true);
    for (std::size_t k = 0; k < t.state[i].size(); ++k) t.state[i][k] = r[k + 1].value();
  }
}

// ---- the reference step's intermediate gradients --------------------------------------------

/// VJPs of the reference step that the engine does not keep (only leaves keep a grad): the
/// gradients of h3, a2, h2, a1, h1, by the reference implementations on the reference values.
struct RefGrads {
  Tensor g3, ga2, gh2, ga1, gh1;
};

Tensor relu_mask(const Tensor& g, const Tensor& h) {
  const Vec gv = to_vec(g), hv = to_vec(h);
  Tensor r = Tensor::empty(g.shape(), DType::hp);
  hp_t* p = r.data<hp_t>();
  for (std::size_t i = 0; i < gv.size(); ++i) p[i] = hv[i] > 0 ? gv[i] : hp_t(0);
  return r;
}

Tensor ref_linear_gx(const Tensor& x, const Tensor& W, const Tensor& b, const Tensor& y,
                     const Tensor& g) {
  const Implementation* impl = Registry::instance().find("linear", backend::reference);
  OpCall call{{x, W, b}, full_attrs("linear", {}), {y}};
  BackwardCall bc{&call, {g}, {Tensor::empty(x.shape(), DType::hp), Tensor(), Tensor()}};
  impl->backward(bc);
  return bc.grad_inputs[0];
}

RefGrads ref_grads(const Trajectory& r, const Tensor& labels) {
  RefGrads g;
  const Implementation* ce = Registry::instance().find("cross_entropy", backend::reference);
  OpCall call{{r.acts[4], labels}, ce_attrs(), {r.loss}};
  BackwardCall bc{&call,
                  {Tensor::from<hp_t>({}, {hp_t(1)})},
                  {Tensor::empty(r.acts[4].shape(), DType::hp), Tensor()}};
  ce->backward(bc);
  g.g3 = bc.grad_inputs[0];
  const Tensor& W2 = r.params[2].value();
  const Tensor& W3 = r.params[4].value();
  g.ga2 = ref_linear_gx(r.acts[3], W3, r.params[5].value(), r.acts[4], g.g3);
  g.gh2 = relu_mask(g.ga2, r.acts[2]);
  g.ga1 = ref_linear_gx(r.acts[1], W2, r.params[3].value(), r.acts[2], g.gh2);
  g.gh1 = relu_mask(g.ga1, r.acts[0]);
  return g;
}

// ---- the propagation rules (see the top of the file) ----------------------------------------

/// E(y) of linear y = x·Wᵀ + b: B (the class bound of this output) plus the propagated input
/// errors; an empty or all-zero E contributes nothing (x exact, or the local check's E = 0).
Vec linear_fwd_err(Vec B, const Vec& ax, const Vec& Ex, const Vec& aW, const Vec& EW, const Vec& Eb,
                   std::int64_t M, std::int64_t K, std::int64_t N) {
  if (!all_zero(EW)) add_abt(B, ax, EW, M, K, N);
  if (!Ex.empty() && !all_zero(Ex)) add_abt(B, Ex, plus(aW, EW), M, K, N);
  for (std::int64_t m = 0; m < M; ++m)
    for (std::int64_t n = 0; n < N; ++n)
      B[static_cast<std::size_t>(m * N + n)] += Eb[static_cast<std::size_t>(n)];
  return B;
}

struct LinearGradErr {
  Vec gx, gW, gb;
};

/// The class bounds of the VJPs of linear (gx only when ref_gx is defined): the B terms.
LinearGradErr linear_vjp_bounds(const Tensor& x, const Tensor& W, const Tensor& b, const Tensor& y,
                                const Tensor& g, const Tensor& ref_gx, const Tensor& ref_gW,
                                const Tensor& ref_gb, DType dtype) {
  const Attrs attrs = full_attrs("linear", {});
  const std::vector<Tensor> in = {x, W, b}, out = {y}, gout = {g};
  LinearGradErr r;
  if (ref_gx.defined()) r.gx = grad_bound("linear", in, out, gout, attrs, 0, ref_gx, dtype);
  r.gW = grad_bound("linear", in, out, gout, attrs, 1, ref_gW, dtype);
  r.gb = grad_bound("linear", in, out, gout, attrs, 2, ref_gb, dtype);
  return r;
}

/// E of the VJPs of linear: the bounds B plus the propagated errors of g, x and W.
LinearGradErr linear_vjp_err(LinearGradErr B, const Vec& ax, const Vec& Ex, const Vec& aW,
                             const Vec& EW, const Vec& ag, const Vec& Eg, std::int64_t M,
                             std::int64_t K, std::int64_t N) {
  const bool eg = !all_zero(Eg), ew = !all_zero(EW), ex = !Ex.empty() && !all_zero(Ex);
  if (!B.gx.empty()) {
    if (eg) add_ab(B.gx, Eg, ew ? plus(aW, EW) : aW, M, N, K);
    if (ew) add_ab(B.gx, ag, EW, M, N, K);
  }
  if (eg) add_atb(B.gW, Eg, ex ? plus(ax, Ex) : ax, M, N, K);
  if (ex) add_atb(B.gW, ag, Ex, M, N, K);
  for (std::int64_t m = 0; m < M; ++m)
    for (std::int64_t n = 0; n < N; ++n)
      B.gb[static_cast<std::size_t>(n)] += Eg[static_cast<std::size_t>(m * N + n)];
  return B;
}

Vec relu_fwd_err(const Vec& hv, const Vec& Eh) {
  Vec E(hv.size());
  for (std::size_t i = 0; i < hv.size(); ++i) E[i] = hv[i] + Eh[i] > 0 ? Eh[i] : hp_t(0);
  return E;
}

Vec relu_vjp_err(const Vec& hv, const Vec& Eh, const Vec& gv, const Vec& Eg) {
  Vec E(hv.size());
  for (std::size_t i = 0; i < hv.size(); ++i) {
    if (hv[i] > Eh[i])
      E[i] = Eg[i];
    else if (hv[i] <= -Eh[i])
      E[i] = 0;
    else
      E[i] = bmp::abs(gv[i]) + Eg[i];
  }
  return E;
}

/// The state of an analysis along one optimized trajectory: E of the parameters and of the
/// optimizer state going into a step.
struct Errors {
  std::vector<Vec> p;               // per parameter
  std::vector<std::vector<Vec>> s;  // per parameter, per state tensor
};

Errors zero_errors(const std::vector<Tensor>& init, bool adam) {
  Errors e;
  for (const Tensor& p : init) {
    e.p.emplace_back(static_cast<std::size_t>(p.numel()), hp_t(0));
    e.s.emplace_back(adam ? 2 : 1, Vec(static_cast<std::size_t>(p.numel()), hp_t(0)));
  }
  return e;
}

struct StepErrors {
  hp_t loss = 0;
  std::vector<Vec> grads;  // per parameter
};

/// One reference (float128) step from a given state, with everything the bounds need: the
/// parameters, gradients and state going in (p0, g0, s0), the activations and loss (in t), the
/// intermediate gradients (rg), and the parameters and state after the update (in t).
struct RefStep {
  Trajectory t;
  std::vector<Tensor> p0, g0;
  std::vector<std::vector<Tensor>> s0;
  RefGrads rg;
};

void reference_step(RefStep& r, const Tensor& labels, bool adam, int step) {
  forward_backward(r.t, labels);
  r.rg = ref_grads(r.t, labels);
  r.p0.clear();
  for (const ag::Variable& p : r.t.params) r.p0.push_back(p.value());
  r.g0 = r.t.grads;
  r.s0 = r.t.state;
  update(r.t, adam, step);
}

/// Forward and backward of one step, for several analyses at once (the cumulative one and the
/// local one): the class bounds B and the magnitudes come from the reference step `r` and are
/// computed once; each analysis adds its own propagated errors. Returns E(loss) and E(grad) of
/// every parameter per analysis.
std::vector<StepErrors> propagate_step(const RefStep& r, const Tensor& labels,
                                       const std::vector<const Errors*>& es, DType dtype) {
  const std::int64_t B = r.t.x.dim(0);
  const std::vector<Tensor>& P = r.p0;
  const Tensor& x = r.t.x;
  const std::vector<Tensor>& A = r.t.acts;  // h1, a1, h2, a2, h3
  const Attrs la = full_attrs("linear", {});
  // Magnitudes and class bounds, shared by the analyses.
  const Vec ax = abs_vec(to_vec(x)), aa1 = abs_vec(to_vec(A[1])), aa2 = abs_vec(to_vec(A[3]));
  const Vec aW1 = abs_vec(to_vec(P[0])), aW2 = abs_vec(to_vec(P[2])), aW3 = abs_vec(to_vec(P[4]));
  const Vec h1 = to_vec(A[0]), h2 = to_vec(A[2]), hv = to_vec(A[4]);
  const Vec Bh1 = forward_bound("linear", {x, P[0], P[1]}, {A[0]}, la, dtype);
  const Vec Bh2 = forward_bound("linear", {A[1], P[2], P[3]}, {A[2]}, la, dtype);
  const Vec Bh3 = forward_bound("linear", {A[3], P[4], P[5]}, {A[4]}, la, dtype);
  const Attrs ca = ce_attrs();
  const Vec g3 = to_vec(r.rg.g3), ag3 = abs_vec(g3);
  const hp_t Bloss = forward_bound("cross_entropy", {A[4], labels}, {r.t.loss}, ca, dtype).at(0);
  const Tensor seed = Tensor::from<hp_t>({}, {hp_t(1)});
  const Vec Bg3 =
      grad_bound("cross_entropy", {A[4], labels}, {r.t.loss}, {seed}, ca, 0, r.rg.g3, dtype);
  const LinearGradErr B3 = linear_vjp_bounds(A[3], P[4], P[5], A[4], r.rg.g3, r.rg.ga2,
                                             r.t.grads[4], r.t.grads[5], dtype);
  const LinearGradErr B2 = linear_vjp_bounds(A[1], P[2], P[3], A[2], r.rg.gh2, r.rg.ga1,
                                             r.t.grads[2], r.t.grads[3], dtype);
  const LinearGradErr B1 =
      linear_vjp_bounds(x, P[0], P[1], A[0], r.rg.gh1, Tensor(), r.t.grads[0], r.t.grads[1], dtype);
  const Vec ga2 = to_vec(r.rg.ga2), ga1 = to_vec(r.rg.ga1);
  const Vec agh2 = abs_vec(to_vec(r.rg.gh2)), agh1 = abs_vec(to_vec(r.rg.gh1));
  // softmax of every row of h3, for the cross_entropy VJP's Jacobian.
  constexpr auto C = static_cast<std::size_t>(kOut);
  Vec pi(hv.size());
  for (std::int64_t n = 0; n < B; ++n) {
    const std::size_t o = static_cast<std::size_t>(n * kOut);
    hp_t mx = hv[o];
    for (std::size_t c = 1; c < C; ++c) mx = std::max(mx, hv[o + c]);
    hp_t S = 0;
    for (std::size_t c = 0; c < C; ++c) S += pi[o + c] = bmp::exp(hv[o + c] - mx);
    for (std::size_t c = 0; c < C; ++c) pi[o + c] /= S;
  }

  std::vector<StepErrors> outs;
  for (const Errors* ep : es) {
    const Errors& e = *ep;
    const Vec Eh1 = linear_fwd_err(Bh1, ax, {}, aW1, e.p[0], e.p[1], B, kIn, kH1);
    const Vec Ea1 = relu_fwd_err(h1, Eh1);
    const Vec Eh2 = linear_fwd_err(Bh2, aa1, Ea1, aW2, e.p[2], e.p[3], B, kH1, kH2);
    const Vec Ea2 = relu_fwd_err(h2, Eh2);
    const Vec Eh3 = linear_fwd_err(Bh3, aa2, Ea2, aW3, e.p[4], e.p[5], B, kH2, kOut);

    StepErrors out;
    // cross_entropy: forward and VJP.
    out.loss = Bloss;
    for (std::size_t i = 0; i < g3.size(); ++i) out.loss += ag3[i] * Eh3[i];
    Vec Eg3 = Bg3;
    for (std::int64_t n = 0; n < B; ++n) {
      const std::size_t o = static_cast<std::size_t>(n * kOut);
      for (std::size_t c = 0; c < C; ++c) {
        // π_c(1 − π_c)E_c + π_c Σ_{j≠c} π_j E_j, without a subtraction (E may be infinite).
        hp_t off = 0;
        for (std::size_t j = 0; j < C; ++j)
          if (j != c) off += pi[o + j] * Eh3[o + j];
        Eg3[o + c] += pi[o + c] * ((1 - pi[o + c]) * Eh3[o + c] + off) / hp_t(B);
      }
    }
    // Backward through the layers.
    const LinearGradErr l3 = linear_vjp_err(B3, aa2, Ea2, aW3, e.p[4], ag3, Eg3, B, kH2, kOut);
    const Vec Egh2 = relu_vjp_err(h2, Eh2, ga2, l3.gx);
    const LinearGradErr l2 = linear_vjp_err(B2, aa1, Ea1, aW2, e.p[2], agh2, Egh2, B, kH1, kH2);
    const Vec Egh1 = relu_vjp_err(h1, Eh1, ga1, l2.gx);
    const LinearGradErr l1 = linear_vjp_err(B1, ax, {}, aW1, e.p[0], agh1, Egh1, B, kIn, kH1);
    out.grads = {l1.gW, l1.gb, l2.gW, l2.gb, l3.gW, l3.gb};
    outs.push_back(std::move(out));
  }
  return outs;
}

/// The optimizer step's rules: new E(p) and E(state) of every analysis in `es` (updated in
/// place) from its old ones and its E(grad) in `se`. Magnitudes and class bounds come from the
/// reference step `r` (going in: r.p0, r.g0, r.s0; after it: r.t).
void propagate_update(const RefStep& r, bool adam, int step, const std::vector<StepErrors>& se,
                      const std::vector<Errors*>& es, DType dtype) {
  const Precision prec = precision_of(dtype);
  const Trajectory& after = r.t;
  for (std::size_t i = 0; i < r.p0.size(); ++i) {
    const Tensor& p1 = after.params[i].value();
    std::vector<Tensor> in = {r.p0[i], r.g0[i]};
    std::vector<Tensor> out = {p1};
    for (const Tensor& s : r.s0[i]) in.push_back(s);
    for (const Tensor& s : after.state[i]) out.push_back(s);
    const auto n = static_cast<std::size_t>(r.p0[i].numel());
    if (!adam) {
      const Attrs at = sgd_attrs(step);
      const Vec Bp1 = forward_bound("sgd_step", in, out, at, dtype);
      const Vec Bb1 = forward_bound("sgd_step", in, out, at, dtype, 1);
      const hp_t lr(kSgdLr), mu(kSgdMomentum), wd(kSgdWeightDecay);
      for (std::size_t a = 0; a < es.size(); ++a) {
        Errors& e = *es[a];
        const Vec& Ep = e.p[i];
        const Vec& Eg = se[a].grads[i];
        const Vec& Eb = e.s[i][0];
        Vec Ep1 = Bp1, Eb1 = Bb1;
        for (std::size_t k = 0; k < n; ++k) {
          const hp_t eb = step == 1 ? hp_t(0) : Eb[k];
          Eb1[k] += mu * eb + Eg[k] + wd * Ep[k];
          Ep1[k] += bmp::abs(1 - lr * wd) * Ep[k] + lr * mu * eb + lr * Eg[k];
        }
        e.p[i] = std::move(Ep1);
        e.s[i][0] = std::move(Eb1);
      }
    } else {
      const Attrs at = adam_attrs(step);
      const Vec Bp1 = forward_bound("adam_step", in, out, at, dtype);
      const Vec m1 = to_vec(after.state[i][0]), v1 = to_vec(after.state[i][1]);
      const Vec g = to_vec(r.g0[i]);
      const Vec Bm1 = forward_bound("adam_step", in, out, at, dtype, 1);
      const Vec Bv1 = forward_bound("adam_step", in, out, at, dtype, 2);
      const hp_t b1(kAdamBeta1), b2(kAdamBeta2), eps(kAdamEps);
      const hp_t s = hp_t(kAdamLr) / (1 - bmp::pow(b1, hp_t(step)));
      const hp_t c = bmp::sqrt(1 - bmp::pow(b2, hp_t(step)));
      // The cap: |m'|/√v' ≤ K_t for any gradient history (Cauchy–Schwarz on the recurrences,
      // K_1 = (1 − β1)/√(1 − β2), K_t² = β1²K_{t−1}²/β2 + (1 − β1)²/(1 − β2)), times
      // (1 + 6u + 2u_d) per step for the optimized state's roundings (first order: the state is
      // computed in T, m̂ = ((1 − w')m + w'g)(1 + δ) with |w'/w − 1| ≤ 3u + u_d, so |m̂| ≤
      // (1 + 4u + u_d)(β1|m| + (1 − β1)|g|), and v̂ ≥ (1 − 4u − u_d)(β2·v + (1 − β2)·g²)); so |w(m̂',
      // v̂')| ≤ s·(c·K̂_t + dm/eps) (dm/eps: an underflowed v̂ beside a subnormal m̂) and |ŵ − w| ≤
      // that + |w|.
      hp_t K = 0;
      for (int j = 1; j <= step; ++j)
        K = bmp::sqrt(b1 * b1 * K * K / b2 + (1 - b1) * (1 - b1) / (1 - b2)) *
            (1 + 6 * prec.u + 2 * bmp::ldexp(hp_t(1), -53));
      const hp_t cap = s * (c * K + prec.denorm_min / eps);
      // Per element, shared by the analyses: √v', d and the capped figure.
      Vec sv(n), dv(n), capped(n);
      for (std::size_t k = 0; k < n; ++k) {
        sv[k] = bmp::sqrt(v1[k]);
        dv[k] = sv[k] / c + eps;
        capped[k] = cap + s * bmp::abs(m1[k]) / dv[k];
      }
      for (std::size_t a = 0; a < es.size(); ++a) {
        Errors& e = *es[a];
        const Vec& Ep = e.p[i];
        const Vec& Eg = se[a].grads[i];
        Vec Ep1 = Bp1, Em1 = Bm1, Ev1 = Bv1;
        for (std::size_t k = 0; k < n; ++k) {
          const hp_t Em_in = b1 * e.s[i][0][k] + (1 - b1) * Eg[k];
          const hp_t Ev_in = b2 * e.s[i][1][k] + (1 - b2) * (2 * bmp::abs(g[k]) + Eg[k]) * Eg[k];
          Em1[k] += Em_in;
          Ev1[k] += Ev_in;
          // min(√E, E/√v'): E/√v' exactly when E ≤ v' (both bound |√v̂ − √v|).
          const hp_t Es = v1[k] > 0 && Ev_in <= v1[k] ? Ev_in / sv[k] : bmp::sqrt(Ev_in);
          const hp_t d = dv[k], Ed = Es / c;
          const hp_t d_lo = std::max(d - Ed, eps);
          const hp_t sens = s * (Em_in / d_lo + bmp::abs(m1[k]) * Ed / (d * d_lo));
          Ep1[k] += Ep[k] + (bmp::isnan(sens) || sens > capped[k] ? capped[k] : sens);
        }
        e.p[i] = std::move(Ep1);
        e.s[i][0] = std::move(Em1);
        e.s[i][1] = std::move(Ev1);
      }
    }
  }
}

// ---- comparison -----------------------------------------------------------------------------

std::string index_str(const Shape& s, std::size_t flat) {
  std::vector<std::int64_t> idx(s.size());
  auto f = static_cast<std::int64_t>(flat);
  for (std::size_t d = s.size(); d-- > 0;) {
    idx[d] = f % s[d];
    f /= s[d];
  }
  std::string r = "[";
  for (std::size_t d = 0; d < idx.size(); ++d) r += (d ? "," : "") + std::to_string(idx[d]);
  return r + "]";
}

/// Utilisation |â − a|/E (inf where E = 0 < |â − a| or â is not finite), updating the worst.
void compare(const Tensor& opt, const Tensor& ref, const Vec& E, const std::string& name,
             double& util, std::string& worst, double* rel_div) {
  const Vec o = to_vec(opt), r = to_vec(ref);
  hp_t maxdiff = 0, maxref = 0;
  for (std::size_t i = 0; i < o.size(); ++i) {
    const hp_t d = bmp::abs(o[i] - r[i]);
    maxdiff = bmp::isnan(d) ? hp_t(INFINITY) : std::max(maxdiff, d);
    maxref = std::max(maxref, bmp::abs(r[i]));
    double u;
    if (!bmp::isfinite(d))
      u = INFINITY;
    else if (d == 0)
      u = 0;
    else if (bmp::isnan(E[i]) || bmp::isinf(E[i]))
      u = 0;  // no bound left (vacuous: see TrainRun::vacuous_from)
    else
      u = E[i] == 0 ? INFINITY : static_cast<double>(d / E[i]);
    if (u > util || (std::isinf(u) && !std::isinf(util))) {
      util = u;
      worst = name + index_str(ref.shape(), i);
    }
  }
  if (rel_div)
    *rel_div = std::max(*rel_div, maxref > 0 ? static_cast<double>(maxdiff / maxref)
                                             : static_cast<double>(maxdiff));
}

/// max_i |a_i − b_i| / max_i |ref_i| (the absolute difference where ref is all zero).
double rel_diff(const Tensor& a, const Tensor& b, const Tensor& ref) {
  const Vec av = to_vec(a), bv = to_vec(b), rv = to_vec(ref);
  hp_t maxdiff = 0, maxref = 0;
  for (std::size_t i = 0; i < av.size(); ++i) {
    const hp_t d = bmp::abs(av[i] - bv[i]);
    maxdiff = bmp::isnan(d) ? hp_t(INFINITY) : std::max(maxdiff, d);
    maxref = std::max(maxref, bmp::abs(rv[i]));
  }
  return maxref > 0 ? static_cast<double>(maxdiff / maxref) : static_cast<double>(maxdiff);
}

/// A reference (float128) trajectory that starts from the optimized trajectory's current
/// parameters and optimizer state, converted exactly (float32/float64 ⊂ float128).
Trajectory reference_from(const Trajectory& o, const Tensor& x_hp) {
  Trajectory t;
  t.reference = true;
  t.dtype = DType::hp;
  t.x = x_hp;
  for (std::size_t i = 0; i < o.params.size(); ++i) {
    t.params.emplace_back(o.params[i].value().to(DType::hp), true);
    std::vector<Tensor> s;
    for (const Tensor& st : o.state[i]) s.push_back(st.to(DType::hp));
    t.state.push_back(std::move(s));
  }
  return t;
}

/// The name of optimizer-state tensor j of parameter i in the reports ("buf:W1", "m:b2", "v:W3").
std::string state_name(bool adam, std::size_t i, std::size_t j) {
  return std::string(adam ? (j ? "v:" : "m:") : "buf:") + kParamNames[i];
}

/// The local check's comparisons (teacher forcing): the loss, new parameters and new optimizer
/// state of the optimized step `o` against those of the reference step `q` taken from the same
/// state p̂_t, under the one-step bounds (E(loss) = loss_bound, the rest in `e`). Updates util
/// and worst; returns the number of values compared.
std::int64_t compare_local(const Trajectory& o, const Trajectory& q, const hp_t& loss_bound,
                           const Errors& e, bool adam, double& util, std::string& worst) {
  compare(o.loss, q.loss, Vec{loss_bound}, "loss", util, worst, nullptr);
  std::int64_t n = 1;
  for (std::size_t i = 0; i < q.params.size(); ++i) {
    compare(o.params[i].value(), q.params[i].value(), e.p[i], kParamNames[i], util, worst, nullptr);
    n += q.params[i].value().numel();
    for (std::size_t j = 0; j < q.state[i].size(); ++j) {
      compare(o.state[i][j], q.state[i][j], e.s[i][j], state_name(adam, i, j), util, worst,
              nullptr);
      n += q.state[i][j].numel();
    }
  }
  return n;
}

/// Throws vt::Error unless every entry names an op of the MLP and a variant of it in this build.
void check_variants(const std::map<std::string, std::string>& variants) {
  for (const auto& [op, v] : variants) {
    if (op != "linear" && op != "relu" && op != "cross_entropy" && op != "sgd_step" &&
        op != "adam_step")
      throw Error(op, {},
                  "--variant: the MLP uses linear, relu, cross_entropy, sgd_step and adam_step");
    if (!Registry::instance().find(op, backend::optimized, v))
      throw Error(op, {}, "no optimized variant '" + v + "' in this build");
  }
}

std::string fmt_g(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

double scalar(const Tensor& t) { return static_cast<double>(load_hp(t, {})); }

}  // namespace

// ---- public -----------------------------------------------------------------------------------

bool TrainReport::passed() const {
  return std::all_of(runs.begin(), runs.end(), [](const TrainRun& r) { return r.passed; });
}

std::map<std::string, std::string> parse_train_variants(const std::string& text) {
  std::map<std::string, std::string> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');) {
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == part.size())
      throw Error("", {},
                  "--train takes --variant op=variant[,op=variant…] (e.g. "
                  "adam_step=mutant_adam_no_bias_correction), not '" +
                      part + "'");
    out[part.substr(0, eq)] = part.substr(eq + 1);
  }
  return out;
}

std::string train_repro_command(const TrainOptions& opts, const TrainRun& run) {
  std::string c = opts.program + " verify --train --seed " + std::to_string(opts.seed) +
                  " --batch " + std::to_string(opts.batch) + " --steps " +
                  std::to_string(opts.steps) + " --optimizer " + run.optimizer + " --dtype " +
                  std::string(dtype_name(run.dtype));
  if (!opts.variants.empty()) {
    std::string v;
    for (const auto& [op, name] : opts.variants) v += (v.empty() ? "" : ",") + op + "=" + name;
    c += " --variant " + v;
  }
  return c;
}

TrainReport run_training_check(const TrainOptions& opts, std::FILE* out) {
  using clock = std::chrono::steady_clock;
  const auto t_start = clock::now();
  if (opts.batch < 1) throw Error("training", {}, "--batch must be at least 1");
  if (opts.steps < 1) throw Error("training", {}, "--steps must be at least 1");
  for (const std::string& o : opts.optimizers)
    if (o != "sgd" && o != "adam")
      throw Error("training", {}, "unknown optimizer '" + o + "' (sgd, adam)");
  for (DType d : opts.dtypes)
    if (d != DType::f32 && d != DType::f64)
      throw Error("training", {}, "--dtype takes float32 and/or float64");
  check_variants(opts.variants);

  const Data data = make_data(opts.seed, opts.batch);
  TrainReport rep;
  if (out) {
    std::fprintf(out,
                 "training check: MLP %lld-%lld-%lld-%lld (linear, relu, cross_entropy mean), "
                 "batch %lld, %d steps per optimizer, seed %llu\n"
                 "  sgd: lr %g, momentum %g, weight decay %g;  adam: lr %g, betas (%g, %g), "
                 "eps %g\n",
                 static_cast<long long>(kIn), static_cast<long long>(kH1),
                 static_cast<long long>(kH2), static_cast<long long>(kOut),
                 static_cast<long long>(opts.batch), opts.steps,
                 static_cast<unsigned long long>(opts.seed), kSgdLr, kSgdMomentum, kSgdWeightDecay,
                 kAdamLr, kAdamBeta1, kAdamBeta2, kAdamEps);
    std::fprintf(out,
                 "  cumulative: optimized vs reference trajectory, E carried from step 1 "
                 "(|Δloss|, E(loss), its util, diverg., util cum, worst cum);\n"
                 "  local: one reference step from the optimized state p̂ of the step, E = 0 "
                 "there (util loc, worst loc); diverg. = local + propag.\n");
    std::fprintf(out, "%-5s %-8s %4s  %-14s %-14s %-9s %-9s %-7s %-9s %-9s %-9s %-8s %-8s %s\n",
                 "opt", "dtype", "step", "loss(ref)", "loss(opt)", "|Δloss|", "E(loss)", "util",
                 "diverg.", "local", "propag.", "util cum", "util loc", "worst cum | worst loc");
    std::fflush(out);
  }

  for (const std::string& opt_name : opts.optimizers) {
    const bool adam = opt_name == "adam";
    // The reference trajectory p_t (its step needs no bounds: no intermediate gradients).
    Trajectory ref = make_trajectory(data, true, DType::hp, {}, adam);
    std::vector<Trajectory> opt;
    std::vector<Errors> err;  // the cumulative analysis of each optimized trajectory
    std::vector<TrainRun> runs;
    std::vector<double> secs(opts.dtypes.size(), 0.0);
    for (DType d : opts.dtypes) {
      opt.push_back(make_trajectory(data, false, d, opts.variants, adam));
      err.push_back(zero_errors(data.init, adam));
      TrainRun run;
      run.optimizer = opt_name;
      run.dtype = d;
      runs.push_back(run);
    }
    double ref_secs = 0;
    for (int step = 1; step <= opts.steps; ++step) {
      // The local reference steps start from the optimized states p̂_t, taken before the
      // optimized steps move them on.
      std::vector<RefStep> local(opt.size());
      for (std::size_t k = 0; k < opt.size(); ++k) local[k].t = reference_from(opt[k], ref.x);
      // The optimized steps run here, one after the other (the backend has its own thread
      // pool). Then the float128 work runs side by side, one thread each (results do not depend
      // on it: each writes only its own state): the reference trajectory's step, and per dtype
      // the local reference step from p̂_t and both analyses — the cumulative one (E carried
      // from step to step) and the local one (E = 0 at p̂_t) — which share the class bounds and
      // magnitudes of that local step.
      std::vector<std::string> failure(opt.size());
      for (std::size_t k = 0; k < opt.size(); ++k) {
        try {
          forward_backward(opt[k], data.y);
          update(opt[k], adam, step);
        } catch (const Error& ex) {
          failure[k] = ex.what();
        }
      }
      auto ref_work = std::async(std::launch::async, [&] {
        const auto t0 = clock::now();
        forward_backward(ref, data.y);
        update(ref, adam, step);
        ref_secs += std::chrono::duration<double>(clock::now() - t0).count();
      });
      struct Analysis {
        StepErrors cum, loc;
        Errors loc_state;
      };
      std::vector<std::future<Analysis>> work;
      for (std::size_t k = 0; k < opt.size(); ++k)
        work.push_back(std::async(std::launch::async, [&, k] {
          const auto t1 = clock::now();
          reference_step(local[k], data.y, adam, step);
          Analysis an;
          an.loc_state = zero_errors(data.init, adam);
          std::vector<StepErrors> se =
              propagate_step(local[k], data.y, {&err[k], &an.loc_state}, opts.dtypes[k]);
          propagate_update(local[k], adam, step, se, {&err[k], &an.loc_state}, opts.dtypes[k]);
          an.cum = std::move(se[0]);
          an.loc = std::move(se[1]);
          secs[k] += std::chrono::duration<double>(clock::now() - t1).count();
          return an;
        }));
      ref_work.get();
      for (std::size_t k = 0; k < opt.size(); ++k) {
        TrainRun& run = runs[k];
        TrainStep row;
        row.step = step;
        try {
          const Analysis an = work[k].get();
          if (!failure[k].empty()) throw Error("training", {}, failure[k]);
          const Trajectory& q = local[k].t;
          // The cumulative bound: optimized against reference trajectory.
          row.loss_ref = scalar(ref.loss);
          row.loss_opt = scalar(opt[k].loss);
          const hp_t dl = bmp::abs(load_hp(opt[k].loss, {}) - load_hp(ref.loss, {}));
          row.loss_err = static_cast<double>(dl);
          row.loss_bound = bmp::isnan(an.cum.loss) ? INFINITY : static_cast<double>(an.cum.loss);
          if (run.vacuous_from == 0 && !(row.loss_bound < std::fabs(row.loss_ref)))
            run.vacuous_from = step;
          compare(opt[k].loss, ref.loss, Vec{an.cum.loss}, "loss", row.utilisation, row.worst,
                  nullptr);
          // The local bound: optimized step against the reference step from the same p̂_t.
          row.local_loss_err =
              static_cast<double>(bmp::abs(load_hp(opt[k].loss, {}) - load_hp(q.loss, {})));
          row.local_loss_bound = static_cast<double>(an.loc.loss);
          compare_local(opt[k], q, an.loc.loss, an.loc_state, adam, row.local_utilisation,
                        row.local_worst);
          for (std::size_t i = 0; i < ref.params.size(); ++i) {
            const Tensor& pr = ref.params[i].value();
            compare(opt[k].params[i].value(), pr, err[k].p[i], kParamNames[i], row.utilisation,
                    row.worst, &row.divergence);
            row.local_divergence = std::max(
                row.local_divergence, rel_diff(opt[k].params[i].value(), q.params[i].value(), pr));
            row.propagated_divergence =
                std::max(row.propagated_divergence, rel_diff(q.params[i].value(), pr, pr));
            for (std::size_t j = 0; j < ref.state[i].size(); ++j)
              compare(opt[k].state[i][j], ref.state[i][j], err[k].s[i][j], state_name(adam, i, j),
                      row.utilisation, row.worst, nullptr);
          }
        } catch (const Error& ex) {
          if (run.passed) run.message = ex.what();
          run.passed = false;
          row.utilisation = row.local_utilisation = INFINITY;
          row.worst = row.local_worst = "error";
        }
        if (row.utilisation > run.max_utilisation || std::isnan(row.utilisation)) {
          run.max_utilisation = row.utilisation;
          run.worst = row.worst + " step " + std::to_string(step);
        }
        if (row.local_utilisation > run.max_local_utilisation ||
            std::isnan(row.local_utilisation)) {
          run.max_local_utilisation = row.local_utilisation;
          run.local_worst = row.local_worst + " step " + std::to_string(step);
        }
        run.max_divergence = std::max(run.max_divergence, row.divergence);
        if (!(row.local_utilisation <= 1) && run.passed) {
          run.passed = false;
          run.message = "step " + std::to_string(step) + ": " + row.local_worst +
                        " exceeds its bound (local, one step from p̂; utilisation " +
                        fmt_g(row.local_utilisation) + ")";
        }
        if (!(row.utilisation <= 1) && run.passed) {
          run.passed = false;
          run.message = "step " + std::to_string(step) + ": " + row.worst +
                        " exceeds its bound (cumulative; utilisation " + fmt_g(row.utilisation) +
                        ")";
        }
        run.steps.push_back(row);
        if (out) {
          std::fprintf(out,
                       "%-5s %-8s %4d  %-14.10f %-14.10f %-9.2e %-9.2e %-7.2g %-9.2e %-9.2e "
                       "%-9.2e %-8.4g %-8.4g %s | %s\n",
                       opt_name.c_str(), std::string(dtype_name(run.dtype)).c_str(), step,
                       row.loss_ref, row.loss_opt, row.loss_err, row.loss_bound,
                       row.loss_bound > 0 ? row.loss_err / row.loss_bound : 0.0, row.divergence,
                       row.local_divergence, row.propagated_divergence, row.utilisation,
                       row.local_utilisation, row.worst.c_str(), row.local_worst.c_str());
          std::fflush(out);
        }
      }
    }
    for (std::size_t k = 0; k < runs.size(); ++k) {
      runs[k].seconds = secs[k] + ref_secs / static_cast<double>(runs.size());
      rep.runs.push_back(std::move(runs[k]));
    }
  }
  rep.seconds = std::chrono::duration<double>(clock::now() - t_start).count();
  if (out) {
    std::fprintf(out, "\n");
    for (const TrainRun& r : rep.runs) {
      const TrainStep& first = r.steps.front();
      const TrainStep& last = r.steps.back();
      std::fprintf(
          out,
          "%-5s %-8s %-6s loss %.4f → %.4f (ref %.4f)  max local utilisation %.5g (%s)  "
          "max cumulative utilisation %.3g (%s)  max divergence %.3g  %.1f s%s\n",
          r.optimizer.c_str(), std::string(dtype_name(r.dtype)).c_str(),
          r.passed ? "passed" : "FAILED", first.loss_opt, last.loss_opt, last.loss_ref,
          r.max_local_utilisation, r.local_worst.c_str(), r.max_utilisation, r.worst.c_str(),
          r.max_divergence, r.seconds,
          r.vacuous_from
              ? ("\n      cumulative bound vacuous from step " + std::to_string(r.vacuous_from) +
                 " on (E(loss) ≥ loss): it still holds, but no longer discriminates; "
                 "the local bound holds every step to the per-op classes")
                    .c_str()
              : "");
      if (!r.passed)
        std::fprintf(out, "      %s\n      repro: %s\n", r.message.c_str(),
                     train_repro_command(opts, r).c_str());
    }
    std::fprintf(out, "training check: %s (%zu runs) in %.1f s\n",
                 rep.passed() ? "passed" : "FAILED", rep.runs.size(), rep.seconds);
  }
  return rep;
}

// ---- one step, for the benchmark (TrainingStep) ---------------------------------------------

struct TrainingStep::Impl {
  bool adam = false;
  DType dtype = DType::f32;
  Data data;
  Trajectory start;  // the optimized state p̂_t the timed step starts from (after step 1)
  Trajectory cur;    // the last run(): the step from `start`
  bool ran = false;
  // The local check's float128 side, computed by the first check() and kept: the reference
  // step from `start` and the one-step bounds (it depends on `start` only, never on run()).
  bool analysed = false;
  RefStep q;
  hp_t loss_bound = 0;
  Errors bound_state;
};

TrainingStep::TrainingStep(std::uint64_t seed, std::int64_t batch, const std::string& optimizer,
                           DType dtype, const std::map<std::string, std::string>& variants)
    : impl_(std::make_unique<Impl>()) {
  if (batch < 1) throw Error("training", {}, "the batch must be at least 1");
  if (optimizer != "sgd" && optimizer != "adam")
    throw Error("training", {}, "unknown optimizer '" + optimizer + "' (sgd, adam)");
  if (dtype != DType::f32 && dtype != DType::f64)
    throw Error("training", {}, "the MLP step runs in float32 or float64");
  check_variants(variants);
  Impl& m = *impl_;
  m.adam = optimizer == "adam";
  m.dtype = dtype;
  m.data = make_data(seed, batch);
  // The timed step is step 2, from the optimized state after one step of the same optimizer
  // (with the same variants). Adam: step 1 starts from m = v = 0, where the moment updates are
  // plain scalings of g and the bias corrections are at their most extreme; from step 2 on m and
  // v are nonzero, which is the step a training loop (and PyTorch's timed loop) repeats. SGD:
  // step 1 initialises the momentum buffer (buf = g + wd·p, PyTorch's first step), step 2 runs
  // the full momentum update μ·buf + g + wd·p.
  m.start = make_trajectory(m.data, false, dtype, variants, m.adam);
  forward_backward(m.start, m.data.y);
  update(m.start, m.adam, 1);
  m.cur = m.start;
}

TrainingStep::~TrainingStep() = default;

void TrainingStep::run() {
  Impl& m = *impl_;
  m.ran = false;
  // Restoring the starting state: fresh leaves over the same parameter values (so no gradient
  // accumulates across iterations: PyTorch's zero_grad(set_to_none=True)) and the same state
  // tensors. update() writes new tensors and never into these, so this is a pointer swap.
  for (std::size_t i = 0; i < m.start.params.size(); ++i)
    m.cur.params[i] = ag::Variable(m.start.params[i].value(), true);
  m.cur.state = m.start.state;
  forward_backward(m.cur, m.data.y);
  update(m.cur, m.adam, 2);
  m.ran = true;
}

StepCheck TrainingStep::check() const {
  Impl& m = *impl_;
  if (!m.ran) throw Error("training", {}, "TrainingStep::check() before a complete run()");
  if (!m.analysed) {
    // The local analysis of training.cpp at the starting state: one reference step q from p̂
    // (converted exactly to float128), and E = 0 at p̂ propagated through the step.
    m.q.t = reference_from(m.start, m.data.x.to(DType::hp));
    reference_step(m.q, m.data.y, m.adam, 2);
    m.bound_state = zero_errors(m.data.init, m.adam);
    const std::vector<StepErrors> se = propagate_step(m.q, m.data.y, {&m.bound_state}, m.dtype);
    propagate_update(m.q, m.adam, 2, se, {&m.bound_state}, m.dtype);
    m.loss_bound = se[0].loss;
    m.analysed = true;
  }
  StepCheck c;
  c.loss_err = static_cast<double>(bmp::abs(load_hp(m.cur.loss, {}) - load_hp(m.q.t.loss, {})));
  c.loss_bound = static_cast<double>(m.loss_bound);
  c.elements =
      compare_local(m.cur, m.q.t, m.loss_bound, m.bound_state, m.adam, c.utilisation, c.worst);
  c.passed = c.utilisation <= 1;
  if (!c.passed)
    c.message = c.worst + " exceeds its one-step bound (utilisation " + fmt_g(c.utilisation) + ")";
  return c;
}

std::vector<Tensor> TrainingStep::inputs() const {
  const Impl& m = *impl_;
  std::vector<Tensor> t = {m.start.x, m.data.y};
  for (std::size_t i = 0; i < m.start.params.size(); ++i) {
    t.push_back(m.start.params[i].value());
    for (const Tensor& s : m.start.state[i]) t.push_back(s);
  }
  return t;
}

std::vector<RowResult> training_rows(const TrainReport& rep) {
  std::vector<RowResult> rows;
  for (const TrainRun& r : rep.runs) {
    RowResult row;
    row.op = "mlp_" + r.optimizer;
    row.family = "training";
    row.backend = backend::optimized;
    row.variant = "mlp-784-256-128-10";
    row.dtype = r.dtype;
    row.cls = AccuracyClass::sum_bound;
    row.class_label = "running";
    row.budget = 1;
    row.cases_run = static_cast<int>(r.steps.size());
    for (const TrainStep& s : r.steps)
      row.cases_failed += !(s.utilisation <= 1) || !(s.local_utilisation <= 1);
    row.max_error = std::max(r.max_utilisation, r.max_local_utilisation);
    row.verdict = r.passed ? Verdict::passed : Verdict::failed;
    row.message = r.passed ? "" : r.message;
    row.seconds = r.seconds;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace vt::verify
