// verify/ops/optim.cpp — specs of the optimizer-step ops: sgd_step, adam_step, adamw_step
// (torch.optim.SGD / Adam / AdamW, one step) and clip_grad_norm (torch.nn.utils.clip_grad_norm_,
// norm_type 2).
// What it is: attributes, shape rules (every input of an update has the parameter's shape), the
// sum-bound error analysis of output 0 beside its bound function, domains and layouts.
// What it is not: an implementation. Not differentiable (optimizer steps have no VJP).
//
// Every output is compared. sgd_step, adam_step and adamw_step set bounds_every_output: each
// float output has its own sum-bound (the new parameter, output 0, and the new state, outputs
// ≥ 1: a backend computes the state in the target type, as PyTorch does); clip_grad_norm holds
// its total norm (output 1) to the correctly rounded value.
// Notation: u the target's unit roundoff, u_d = 2^-53 (PyTorch's Python-float scalars are
// doubles), γ_k = k·u/(1 − k·u); fl(s) of a double hyper-parameter s is s rounded to T,
// |fl(s) − s| ≤ u·|s| (the attribute itself is the exact double the reference uses); a
// difference 1 − s of doubles adds u_d. Analyses are first order in u (products of two or more
// δ's are dropped; the state's error enters output 0 through first-order sensitivities); every
// rounding of a product or quotient may also underflow, adding ≤ dm/2 absolute (dm: the
// smallest subnormal), while sums and differences have no underflow error. Each bound adds the
// reference's own error (the same roundings in binary128, γ_16 at u = 2^-113 of the gross
// magnitude, far below u).
// The analyses assume no intermediate overflows T where the exact result is finite; a backend
// meets that by recomputing such elements in a wider type (the optimized one does, in binary128)
// — computed as PyTorch does in T, they come out inf or NaN against a finite reference and fail.
// Non-finite reference values are compared exactly (NaN/inf positions), not through the bound.
#include "verify/harness/bounds.hpp"
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

#include <cmath>
#include <string>

namespace vt::verify {
namespace {

namespace bmp = boost::multiprecision;

const hp_t kUd = bmp::ldexp(hp_t(1), -53);  // unit roundoff of double (PyTorch's scalars)

hp_t attr_hp(const Attrs& a, const char* name) { return hp_t(a.get_real(name)); }

/// Stores bound b at i; a NaN bound (only where the reference is NaN or infinite: the exact
/// comparison decides there) becomes 0.
void put(const Tensor& bound, const std::vector<std::int64_t>& i, hp_t b) {
  store_hp(bound, i, bmp::isnan(b) ? hp_t(0) : b);
}

// ---- shape rules --------------------------------------------------------------------------------

/// Every input has input 0's shape (no broadcasting: an optimizer updates its own state).
void same_shapes(const std::vector<Shape>& in, const char* op) {
  for (const Shape& s : in)
    if (s != in.at(0))
      throw Error(op, in, "every input must have the parameter's shape (no broadcasting)");
}

std::vector<OutputDesc> sgd_rule(const std::vector<Shape>& in, const Attrs& a) {
  same_shapes(in, "sgd_step");
  if (a.get_bool("nesterov") && (a.get_real("momentum") <= 0 || a.get_real("dampening") != 0))
    throw Error("sgd_step", in, "nesterov momentum requires momentum > 0 and dampening 0");
  return {{in.at(0), OutKind::same_float}, {in.at(0), OutKind::same_float}};
}

std::vector<OutputDesc> adam_rule(const std::vector<Shape>& in, const Attrs&, const char* op) {
  same_shapes(in, op);
  return {{in.at(0), OutKind::same_float},
          {in.at(0), OutKind::same_float},
          {in.at(0), OutKind::same_float}};
}

std::vector<OutputDesc> clip_rule(const std::vector<Shape>& in, const Attrs&) {
  return {{in.at(0), OutKind::same_float}, {Shape{}, OutKind::same_float}};
}

// ---- sgd_step: bounds of the new parameter and the new buffer ----------------------------------
// A backend computes, in T (PyTorch's order, torch/optim/sgd.py, _single_tensor_sgd):
//   ĝ' = fl(g + fl(fl(wd)·p)) when wd ≠ 0 (else g);
//   b̂' = ĝ' (first step), fl(fl(b0·fl(μ)) + fl(fl(1 − dampening)·ĝ')) (buf.mul_(μ).add_(ĝ',
//        alpha = 1 − dampening)), or b0 unchanged (μ = 0);
//   d̂ = ĝ' (μ = 0), b̂' (heavy ball), or fl(ĝ' + fl(fl(μ)·b̂')) (nesterov);
//   p̂_new = fl(p − fl(fl(lr)·d̂)).
// With g' = g + wd·p, b' and d the exact values, k = 1 − dampening:
//   |ĝ' − g'| ≤ e_g := u·|g'| + γ_2·wd·|p| + dm/2           (0 when wd = 0)
// Output 1, the buffer:
//   μ = 0: 0 (passed through);  first step: e_g;
//   else |b̂' − b'| ≤ e_b := u·|b'| + γ_2·μ·|b0| + dm/2 + k·e_g
//                          + [dampening ≠ 0]·((γ_2 + u_d)·k·|g'| + dm/2)
//   (μ cast, product; the k-product is exact when k = 1; the sum).
// Output 0, the parameter — the buffer a backend reads is its own b̂', off by e_b (no longer a
// correctly rounded value):
//   |d̂ − d| ≤ e_d := e_g (μ = 0) | e_b (heavy ball) |
//                    e_g + μ·e_b + γ_2·μ·|b'| + u·|d| + dm/2   (nesterov: μ cast, product, sum)
//   |p̂_new − p_new| ≤ lr·e_d + γ_2·lr·|d| + dm/2 + u·|p_new|   (lr cast, product, difference).
// A wrong momentum or dampening term moves b' and p_new by (a multiple of) |g| or |b0|, ≫ this.
void sgd_bound(BoundArgs& a) {
  const Tensor& p = a.inputs_hp.at(0);
  const Tensor& g = a.inputs_hp.at(1);
  const Tensor& b0 = a.inputs_hp.at(2);
  const Tensor& p_new = a.reference.at(0);
  const Tensor& b = a.reference.at(1);
  Tensor& bound = bound_tensor(a, p.shape());
  const hp_t lr = bmp::abs(attr_hp(a.attrs, "lr")), mu = bmp::abs(attr_hp(a.attrs, "momentum"));
  const hp_t wd = bmp::abs(attr_hp(a.attrs, "weight_decay"));
  const hp_t damp = attr_hp(a.attrs, "dampening"), k = 1 - damp;
  const bool nesterov = a.attrs.get_bool("nesterov"), first = a.attrs.get_bool("first_step");
  const hp_t u = a.precision.u, dm = a.precision.denorm_min;
  const hp_t g2 = gamma_n(2, a.precision);
  const hp_t ref_gamma = gamma_n(16, reference_precision());
  for_each_index(p.shape(), [&](const std::vector<std::int64_t>& i) {
    const hp_t pi = load_hp(p, i), gi = load_hp(g, i), b0i = bmp::abs(load_hp(b0, i));
    const hp_t gp = bmp::abs(gi + wd * pi), G1 = bmp::abs(gi) + wd * bmp::abs(pi);
    const hp_t e_g = wd != 0 ? u * gp + g2 * wd * bmp::abs(pi) + dm / 2 : hp_t(0);
    const hp_t bi = bmp::abs(load_hp(b, i));
    hp_t e_b = 0;
    if (mu != 0 && first) {
      e_b = e_g;
    } else if (mu != 0) {
      e_b = u * bi + g2 * mu * b0i + dm / 2 + k * e_g;
      if (damp != 0) e_b += (g2 + kUd) * k * gp + dm / 2;
    }
    const hp_t b0_term = mu != 0 && !first ? mu * b0i : hp_t(0);
    if (a.output == 1) {
      put(bound, i, e_b + (mu != 0 ? ref_gamma * (b0_term + G1) : hp_t(0)));
      return;
    }
    hp_t e_d, d_abs;
    if (mu == 0) {
      e_d = e_g;
      d_abs = gp;
    } else if (!nesterov) {
      e_d = e_b;
      d_abs = bi;
    } else {
      d_abs = bmp::abs(gi + wd * pi + mu * load_hp(b, i));
      e_d = e_g + mu * e_b + g2 * mu * bi + u * d_abs + dm / 2;
    }
    const hp_t pn = bmp::abs(load_hp(p_new, i));
    const hp_t gross = bmp::abs(pi) + lr * (G1 + b0_term + mu * bi);
    put(bound, i, lr * e_d + g2 * lr * d_abs + dm / 2 + u * pn + ref_gamma * gross);
  });
}

// ---- adam_step / adamw_step: bounds of the new parameter and the new moments --------------------
// A backend computes, in T (torch/optim/adam.py, _single_tensor_adam; AdamW likewise):
//   ĝ' = fl(g + fl(fl(wd)·p)) (Adam, wd ≠ 0; else g): |ĝ' − g'| ≤ e_g := u·|g'| + γ_2·wd·|p| +
//        dm/2 (0 without the term);
//   m̂ = exp_avg.lerp_(ĝ', w) with ŵ = fl(1 − β1) (|ŵ − w| ≤ (u + u_d)·w, w = 1 − β1): ATen's
//        lerp: fl(m0 + fl(ŵ·fl(ĝ' − m0))) when ŵ < 0.5, else fl(ĝ' − fl(fl(ĝ' − m0)·(1 − ŵ)))
//        (1 − ŵ is exact in T there, off 1 − w by |ŵ − w|);
//   v̂ = fl(fl(v0·fl(β2)) + fl(fl(fl(1 − β2)·ĝ')·ĝ'))  (mul_(β2).addcmul_(ĝ', ĝ', 1 − β2)).
// Output 1, exp_avg (difference: u, product: u + the weight's error, the sum: u|m'|; ĝ' enters
// with the weight w — both branches are m0 + w·(ĝ' − m0) in exact arithmetic):
//   |m̂ − m'| ≤ E_m := u·|m'| + (2u·min(w, 1 − w) + (u + u_d)·w)·|g' − m0| + w·e_g + dm/2.
// Output 2, exp_avg_sq (β2 cast, product; 1 − β2 in double and its cast, two products; the sum;
// the first product's underflow is multiplied by |g'|; ĝ' enters as 2(1 − β2)|g'|·e_g):
//   |v̂ − v'| ≤ E_v := R_v + A_v,
//   R_v = u·|v'| + γ_2·β2·|v0| + (γ_3 + u_d)·(1 − β2)·g'² + 2(1 − β2)|g'|·(e_g − dm/2)⁺,
//   A_v = (dm/2)·(2 + |g'|) + [e_g ≠ 0]·(1 − β2)|g'|·dm    (the underflow part).
// Output 0, the parameter. PyTorch's scalars, in double: bc_k = 1 − β_k^t with pow within 1 ulp,
//   δ_bc_k = 2·u_d·β_k^t / bc_k + u_d   (relative error of bc_k; large when β^t ≈ 1),
// step_size = fl_T(lr / bc1): δ ≤ u + u_d + δ_bc1;  c2s = fl_T(√bc2): δ ≤ u + u_d + δ_bc2/2.
// In T, from the backend's own m̂ and v̂ (off by E_m and E_v — they are not correctly rounded):
//   s = fl(√v̂): |√v̂ − √v'| ≤ Δs := R_v/(2√v') + √A_v (first order; √R_v when v' = 0), and u;
//   q = fl(s / c2s) (u); den = fl(q + fl(eps)) (u + u: every term ≥ 0, so relative to den);
//   r = fl(m̂ / den) (u); ŵ = fl(step_size·r) (u). Eight T roundings and the scalars':
//   ρ = γ_8 + δ_bc1 + δ_bc2/2 + 2·u_d, and with w = step_size·|m'|/den:
//   |ŵ − w| ≤ ρ·w + step_size·E_m/den + w·Δs/(c2s·den) + (dm/2)·(step_size + 1)   (r, ŵ
//   underflow; m̂'s is in E_m).
// AdamW's decay: f = fl_T(1 − lr·wd) in double: δ_f ≤ u + u_d + u_d·lr·wd/|f|; p̂' = fl(p·f):
//   |p̂' − p'| ≤ (δ_f + u)·|p'| + dm/2 (Adam: p' = p exactly).
//   |p̂_new − p_new| ≤ |p̂' − p'| + |ŵ − w| + u·|p_new|   (the difference has no underflow error).
// Without bias correction ŵ is off by a factor bc1/√bc2 (≈ 3.2 at t = 1 with the defaults):
// relative errors of order 1 in w, far beyond these. A wrong β in a moment moves it by (β − β')·
// |g' − m0|, far beyond E_m and E_v.
template <bool kDecoupled>
void adam_bound(BoundArgs& a) {
  const Tensor& p = a.inputs_hp.at(0);
  const Tensor& g = a.inputs_hp.at(1);
  const Tensor& m0 = a.inputs_hp.at(2);
  const Tensor& v0 = a.inputs_hp.at(3);
  const Tensor& p_new = a.reference.at(0);
  const Tensor& m = a.reference.at(1);
  const Tensor& v = a.reference.at(2);
  Tensor& bound = bound_tensor(a, p.shape());
  const hp_t lr = attr_hp(a.attrs, "lr"), beta1 = attr_hp(a.attrs, "beta1");
  const hp_t beta2 = attr_hp(a.attrs, "beta2"), eps = attr_hp(a.attrs, "eps");
  const hp_t wd = attr_hp(a.attrs, "weight_decay");
  const hp_t t = hp_t(a.attrs.get_int("step"));
  const hp_t u = a.precision.u, dm = a.precision.denorm_min;
  const hp_t g2 = gamma_n(2, a.precision), g3 = gamma_n(3, a.precision);
  const hp_t b1t = bmp::pow(beta1, t), b2t = bmp::pow(beta2, t);
  const hp_t bc1 = 1 - b1t, bc2 = 1 - b2t;
  const hp_t d_bc1 = 2 * kUd * b1t / bc1 + kUd, d_bc2 = 2 * kUd * b2t / bc2 + kUd;
  const hp_t step_size = lr / bc1, c2s = bmp::sqrt(bc2);
  const hp_t f = 1 - lr * wd;
  const hp_t d_f = u + kUd + kUd * bmp::abs(lr * wd / f);
  const hp_t w1 = 1 - beta1, c2 = 1 - beta2;
  const hp_t coef_m = 2 * u * (w1 < 1 - w1 ? w1 : 1 - w1) + (u + kUd) * w1;
  const bool coupled = !kDecoupled && wd != 0;
  const hp_t ref_gamma = gamma_n(16, reference_precision());
  const hp_t rho = gamma_n(8, a.precision) + d_bc1 + d_bc2 / 2 + 2 * kUd;
  for_each_index(p.shape(), [&](const std::vector<std::int64_t>& i) {
    const hp_t pi = load_hp(p, i), gi = load_hp(g, i), m0i = load_hp(m0, i);
    const hp_t v0i = bmp::abs(load_hp(v0, i));
    const hp_t gps = coupled ? gi + wd * pi : gi, gp = bmp::abs(gps);
    const hp_t G1 = bmp::abs(gi) + (coupled ? wd * bmp::abs(pi) : hp_t(0));
    const hp_t e_g_rel = coupled ? u * gp + g2 * wd * bmp::abs(pi) : hp_t(0);
    const hp_t e_g = coupled ? e_g_rel + dm / 2 : hp_t(0);
    const hp_t mi = bmp::abs(load_hp(m, i)), vi = bmp::abs(load_hp(v, i));
    const hp_t E_m = u * mi + coef_m * bmp::abs(gps - m0i) + w1 * e_g + dm / 2;
    if (a.output == 1) {
      put(bound, i, E_m + ref_gamma * (bmp::abs(m0i) + G1));
      return;
    }
    const hp_t R_v = u * vi + g2 * beta2 * v0i + (g3 + kUd) * c2 * gp * gp + 2 * c2 * gp * e_g_rel;
    const hp_t A_v = dm / 2 * (2 + gp) + (coupled ? c2 * gp * dm : hp_t(0));
    if (a.output == 2) {
      put(bound, i, R_v + A_v + ref_gamma * (v0i + G1 * G1));
      return;
    }
    const hp_t sv = bmp::sqrt(vi);
    const hp_t ds = (vi > 0 ? R_v / (2 * sv) : bmp::sqrt(R_v)) + bmp::sqrt(A_v);
    const hp_t pp = kDecoupled ? pi * f : pi;
    const hp_t den = sv / c2s + eps;
    const hp_t w = step_size * mi / den;
    // w·Δs/(c2s·den) is 0 when w = 0: with v' = +inf (den = +inf, Δs = inf/inf) it would be
    // 0·NaN; ŵ is then exactly 0 for finite m̂ (found by `veritensor fuzz`, adamw_step with
    // exp_avg_sq = +inf: the NaN bound had fallen back to the rounding of the reference).
    const hp_t e_s = w == 0 ? hp_t(0) : w * ds / (c2s * den);
    const hp_t e_w = rho * w + step_size * E_m / den + e_s + dm / 2 * (step_size + 1);
    const hp_t e_p = kDecoupled ? (d_f + u) * bmp::abs(pp) + dm / 2 : hp_t(0);
    const hp_t pn = bmp::abs(load_hp(p_new, i));
    put(bound, i, e_p + e_w + u * pn + ref_gamma * (bmp::abs(pp) + w));
  });
}

// ---- clip_grad_norm: bound of the clipped gradient ----------------------------------------------
// total T̂ correctly rounded (output 1): δ ≤ u; den = fl(T̂ + fl(1e-6)): every term ≥ 0, two more
// roundings; coef = fl(fl(max_norm) / den): two; ĉ' = min(ĉ, 1): the clamp is 1-Lipschitz and
// where the exact coef c ≥ 1 > ĉ, ĉ ≥ c(1 − γ_5) ≥ 1 − γ_5, so |ĉ' − c'| ≤ γ_5·c' with
// c' = min(c, 1); out = fl(g·ĉ'): one more, plus underflow.
//   |out̂ − out| ≤ γ_6·|g|·c' + dm/2.
// (The analysis needs T̂ and ĉ' normal numbers in T: a backend whose total overflows T where the
// exact norm does not — |g| near the overflow threshold — computes coef 0 and fails; the optimized
// backend computes the norm and coef in a wider type.) A dropped or doubled term of Σg² changes
// the coefficient by about g_k²/(2·total²), well above γ_6 for the sizes tested.
void clip_bound(BoundArgs& a) {
  const Tensor& g = a.inputs_hp.at(0);
  const hp_t total = load_hp(a.reference.at(1), {});
  Tensor& bound = bound_tensor(a, g.shape());
  const hp_t max_norm = attr_hp(a.attrs, "max_norm");
  hp_t c = max_norm / (total + hp_t(1e-6));
  if (c > 1) c = 1;
  const hp_t n = hp_t(g.numel());
  const hp_t g6 = gamma_n(6, a.precision), dm = a.precision.denorm_min;
  const hp_t ref_rel = gamma_n(16, reference_precision()) * (n + 16);
  for_each_index(g.shape(), [&](const std::vector<std::int64_t>& i) {
    const hp_t gc = bmp::abs(load_hp(g, i)) * c;
    put(bound, i, g6 * gc + dm / 2 + ref_rel * gc);
  });
}

// ---- attributes ---------------------------------------------------------------------------------

AttrSpec real_attr(const char* name, double def, const char* help, double lo,
                   std::optional<double> hi = std::nullopt) {
  return {.name = name,
          .type = AttrType::real,
          .default_value = def,
          .help = help,
          .min = lo,
          .max = hi};
}
AttrSpec bool_attr(const char* name, const char* help) {
  return {.name = name, .type = AttrType::boolean, .default_value = false, .help = help};
}

constexpr double kBetaMax = 0.9999999;  // β < 1 (PyTorch), else the bias correction is 0

std::vector<AttrSpec> adam_attrs(double default_wd) {
  return {real_attr("lr", 1e-3, "learning rate", 0),
          real_attr("beta1", 0.9, "decay of the first moment (0 ≤ β1 < 1)", 0, kBetaMax),
          real_attr("beta2", 0.999, "decay of the second moment (0 ≤ β2 < 1)", 0, kBetaMax),
          real_attr("eps", 1e-8, "added to the denominator", 0),
          real_attr("weight_decay", default_wd,
                    "Adam: added to the gradient as wd·p; AdamW: p decays by lr·wd", 0),
          {.name = "step",
           .type = AttrType::integer,
           .default_value = std::int64_t{1},
           .help = "1-based step count after this update (bias correction)",
           .min = 1,
           .max = 1e9}};
}

// ---- layouts ------------------------------------------------------------------------------------

/// The shapes every update is tested on: a scalar, vectors, matrices, 3-d, random.
std::vector<Shape> update_shapes(Rng& rng) {
  return {
      {}, {37}, {16, 33}, {3, 5, 7}, random_shape(rng, 2, 5, 40), random_shape(rng, 1, 50, 300)};
}

/// Layouts: each attribute set on the shapes in turn (n inputs of the same shape).
std::vector<Layout> cross(Rng& rng, std::size_t n_inputs,
                          const std::vector<std::pair<Attrs, std::string>>& attrs) {
  std::vector<Layout> out;
  const std::vector<Shape> shapes = update_shapes(rng);
  std::size_t k = 0;
  for (const auto& [at, what] : attrs)
    for (int rep = 0; rep < 2; ++rep) {
      const Shape& s = shapes[k++ % shapes.size()];
      out.push_back({std::vector<Shape>(n_inputs, s), at, what});
    }
  return out;
}

/// Structural: sizes straddling the vector widths and the parallel grain, empty included.
std::vector<Layout> structural(Rng& rng, std::size_t n_inputs, const Attrs& at) {
  std::vector<Layout> out;
  for (std::int64_t n : structural_sizes())
    out.push_back({std::vector<Shape>(n_inputs, Shape{n}), at, "n = " + std::to_string(n)});
  for (int k = 0; k < 3; ++k)
    out.push_back({std::vector<Shape>(n_inputs, random_shape(rng, 2 + k, 1, 12)), at, "n-d"});
  out.push_back({std::vector<Shape>(n_inputs, Shape{300, 129}), at, "parallel"});
  out.push_back({std::vector<Shape>(n_inputs, Shape{0, 5}), at, "empty"});
  return out;
}

Attrs sgd_attrs(double lr, double mu, double damp, double wd, bool nesterov, bool first) {
  Attrs a;
  a.set("lr", lr);
  a.set("momentum", mu);
  a.set("dampening", damp);
  a.set("weight_decay", wd);
  a.set("nesterov", nesterov);
  a.set("first_step", first);
  return a;
}

std::vector<std::pair<Attrs, std::string>> sgd_cases() {
  return {{sgd_attrs(0.1, 0, 0, 0, false, false), "plain SGD"},
          {sgd_attrs(0.01, 0.9, 0, 0, false, true), "momentum, first step"},
          {sgd_attrs(0.05, 0.9, 0.1, 1e-2, false, false), "momentum, dampening, weight decay"},
          {sgd_attrs(0.1, 0.9, 0, 5e-4, true, false), "nesterov, weight decay"},
          {sgd_attrs(0.1, 0.9, 0, 0, true, true), "nesterov, first step"},
          {sgd_attrs(1, 0.5, 0.5, 0.1, false, false), "lr 1, heavy dampening"},
          {sgd_attrs(0.3, 0, 0, 0.25, false, false), "weight decay only"}};
}

Attrs adam_attr_set(double lr, double b1, double b2, double eps, double wd, std::int64_t step) {
  Attrs a;
  a.set("lr", lr);
  a.set("beta1", b1);
  a.set("beta2", b2);
  a.set("eps", eps);
  a.set("weight_decay", wd);
  a.set("step", step);
  return a;
}

/// Small step counts dominate (bias correction matters most there: bc1 = 0.1, bc2 = 0.001 at
/// t = 1), then larger ones, β1 = 0, a large eps and a large lr.
std::vector<std::pair<Attrs, std::string>> adam_cases(double wd) {
  return {{adam_attr_set(1e-3, 0.9, 0.999, 1e-8, wd, 1), "defaults, step 1"},
          {adam_attr_set(1e-3, 0.9, 0.999, 1e-8, wd, 2), "step 2"},
          {adam_attr_set(1e-2, 0.9, 0.999, 1e-8, wd, 5), "step 5"},
          {adam_attr_set(1e-1, 0.9, 0.99, 1e-8, wd, 10), "lr 0.1, β2 0.99, step 10"},
          {adam_attr_set(1e-3, 0.9, 0.999, 1e-8, 0.1, 3), "weight decay 0.1, step 3"},
          {adam_attr_set(1e-2, 0.0, 0.9, 1e-3, wd, 7), "β1 0, eps 1e-3, step 7"},
          {adam_attr_set(1e-3, 0.8, 0.95, 1e-6, wd, 100), "step 100"},
          {adam_attr_set(1e-3, 0.9, 0.999, 1e-8, wd, 1000), "step 1000"}};
}

Attrs clip_attrs(double max_norm) {
  Attrs a;
  a.set("max_norm", max_norm);
  return a;
}

/// clip_grad_norm is one reduction over the whole tensor: a single NaN (or inf) among the
/// `specials` makes every output NaN (or ±0), which is vacuous for four or more elements. The
/// domain lists four adversarial patterns and case k uses pattern k mod 4 on layout k mod 12,
/// so the layouts at positions 0, 4 and 8 — the ones that meet `specials` — have at most three
/// elements (never vacuous; the specials' semantics get tested there), and the others meet the
/// cancellation and scaling patterns.
std::vector<Layout> clip_layouts(Rng& rng) {
  const std::vector<Shape> small = {{}, {2}, {3}};
  const std::vector<Shape> big = {
      {37},         {16, 33}, {3, 5, 7}, random_shape(rng, 2, 5, 40), random_shape(rng, 1, 50, 300),
      {2, 3, 4, 5}, {1},      {129},     random_shape(rng, 3, 2, 9)};
  const double max_norms[] = {1.0, 5.0, 1e4};  // clips, clips, never clips (coef 1)
  std::vector<Layout> out;
  for (std::size_t k = 0; k < 12; ++k) {
    const Shape s = k % 4 == 0 ? small[k / 4] : big[k - k / 4 - 1];
    const double mn = max_norms[k % 3];
    out.push_back({{s}, clip_attrs(mn), mn > 100 ? "no clipping (coef 1)" : "clips"});
  }
  return out;
}

// ---- specs --------------------------------------------------------------------------------------

OpSpec update_spec(const char* name, const char* summary, int n_inputs) {
  OpSpec s;
  s.name = name;
  s.family = "optim";
  s.summary = summary;
  s.min_inputs = s.max_inputs = n_inputs;
  s.differentiable = false;
  s.inplace = true;  // the new parameter may overwrite the parameter (PyTorch updates in place)
  return s;
}

OpSpec sgd_spec() {
  OpSpec s = update_spec("sgd_step",
                         "torch.optim.SGD, one step: (param, grad, momentum_buffer) → "
                         "(new param, new buffer)",
                         3);
  s.attrs = {real_attr("lr", 1e-3, "learning rate", 0),
             real_attr("momentum", 0, "momentum factor (0: no buffer; it passes through)", 0),
             real_attr("dampening", 0, "dampening of the gradient in the buffer", 0, 1),
             real_attr("weight_decay", 0, "L2 penalty: g + wd·p", 0),
             bool_attr("nesterov", "Nesterov momentum (needs momentum > 0, dampening 0)"),
             bool_attr("first_step", "the buffer is created on this step: buf = g'")};
  s.shape_rule = sgd_rule;
  s.accuracy = {.cls = AccuracyClass::sum_bound, .bound = sgd_bound, .bounds_every_output = true};
  s.layouts = [](Rng& rng) { return cross(rng, 3, sgd_cases()); };
  s.structural_layouts = [](Rng& rng) {
    return structural(rng, 3, sgd_attrs(0.1, 0.9, 0.1, 1e-2, false, false));
  };
  s.domains = {Domain{}};
  return s;
}

/// exp_avg_sq is a running mean of squares: v ≥ 0 (Domain lo = 0); its adversarial values are
/// large and small magnitudes (not the specials, whose negative values are outside the domain).
Domain exp_avg_sq_domain() { return Domain{0, 16, false, {Adversarial::cancellation}}; }

OpSpec adam_spec(const char* name, const char* summary, bool decoupled) {
  OpSpec s = update_spec(name, summary, 4);
  s.attrs = adam_attrs(decoupled ? 1e-2 : 0);
  s.shape_rule = [name](const std::vector<Shape>& in, const Attrs& a) {
    return adam_rule(in, a, name);
  };
  s.accuracy = {.cls = AccuracyClass::sum_bound,
                .bound = decoupled ? BoundFn(adam_bound<true>) : BoundFn(adam_bound<false>),
                .bounds_every_output = true};
  const double wd = decoupled ? 1e-2 : 0;
  s.layouts = [wd](Rng& rng) { return cross(rng, 4, adam_cases(wd)); };
  s.structural_layouts = [wd](Rng& rng) {
    return structural(rng, 4, adam_attr_set(1e-2, 0.9, 0.999, 1e-8, wd + 1e-3, 4));
  };
  s.domains = {Domain{}, Domain{}, Domain{}, exp_avg_sq_domain()};
  return s;
}

OpSpec clip_spec() {
  OpSpec s;
  s.name = "clip_grad_norm";
  s.family = "optim";
  s.summary =
      "torch.nn.utils.clip_grad_norm_ (norm_type 2) over one tensor: (grad) → (clipped, total)";
  s.min_inputs = s.max_inputs = 1;
  s.attrs = {real_attr("max_norm", 1.0, "largest allowed 2-norm of the gradient", 0),
             real_attr("norm_type", 2.0, "the norm: 2 only", 2, 2)};
  s.shape_rule = clip_rule;
  s.accuracy = {.cls = AccuracyClass::sum_bound, .bound = clip_bound};
  s.differentiable = false;
  s.inplace = true;  // clip_grad_norm_ clips the gradient in place
  s.layouts = clip_layouts;
  s.structural_layouts = [](Rng& rng) { return structural(rng, 1, clip_attrs(2.0)); };
  // Scale-free: near overflow Σg² overflows the target type where the norm itself may not, near
  // underflow the squares underflow — both must still give the clipped values.
  s.domains = {scale_free_domain()};
  return s;
}

VT_REGISTER_SPEC(sgd_spec());
VT_REGISTER_SPEC(adam_spec("adam_step",
                           "torch.optim.Adam, one step: (param, grad, exp_avg, exp_avg_sq) → "
                           "(new param, new exp_avg, new exp_avg_sq)",
                           false));
VT_REGISTER_SPEC(adam_spec("adamw_step",
                           "torch.optim.AdamW, one step: (param, grad, exp_avg, exp_avg_sq) → "
                           "(new param, new exp_avg, new exp_avg_sq)",
                           true));
VT_REGISTER_SPEC(clip_spec());

}  // namespace
}  // namespace vt::verify
