// verify/harness/gradcheck.cpp — VJP verification (see gradcheck.hpp).
// What it is not: a numerical-gradient routine for users; it exists to certify VJPs.
#include "verify/harness/gradcheck.hpp"

#include "optimized/core/parallel.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>

namespace vt::verify {
namespace {

namespace bmp = boost::multiprecision;

/// Values uniform in [−1, 1], rounded to `dtype` (so a backend and the reference see the same).
Tensor random_tensor(const Shape& shape, DType dtype, Rng& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Tensor t = Tensor::empty(shape, dtype);
  for_each_index(shape, [&](const auto& i) {
    const double x = u(rng);
    store_hp(t, i, dtype == DType::f32 ? hp_t(static_cast<float>(x)) : hp_t(x));
  });
  return t;
}

bool all_finite(const Tensor& t) {
  if (!is_float(t.dtype())) return true;
  bool ok = true;
  for_each_index(t.shape(), [&](const auto& i) { ok = ok && bmp::isfinite(load_hp(t, i)); });
  return ok;
}

hp_t max_abs(const Tensor& t) {
  hp_t m = 0;
  if (!is_float(t.dtype())) return m;
  for_each_index(t.shape(), [&](const auto& i) { m = std::max(m, bmp::abs(load_hp(t, i))); });
  return m;
}

/// ⟨a, b⟩ and Σ|a||b| over two float128 tensors of one shape.
std::pair<hp_t, hp_t> dot(const Tensor& a, const Tensor& b) {
  hp_t s = 0, abs_s = 0;
  for_each_index(a.shape(), [&](const auto& i) {
    const hp_t p = load_hp(a, i) * load_hp(b, i);
    s += p;
    abs_s += bmp::abs(p);
  });
  return {s, abs_s};
}

/// The reference forward on float128 inputs (integer inputs as they are).
struct ReferenceRun {
  std::vector<Tensor> outputs;
  std::string error;
};
ReferenceRun reference_forward(const Implementation& ref, const OpSpec& spec,
                               const std::vector<Tensor>& inputs_hp, const Attrs& attrs) {
  ReferenceRun r;
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs_hp) shapes.push_back(t.shape());
  try {
    for (const OutputDesc& d : spec.shape_rule(shapes, attrs))
      r.outputs.push_back(Tensor::empty(d.shape, output_dtype(d, DType::hp, attrs)));
    OpCall call{inputs_hp, attrs, r.outputs};
    ref.forward(call);
  } catch (const Error& e) {
    r.error = e.what();
  }
  return r;
}

/// x + t·u per tensor (an undefined direction leaves that tensor as it is).
std::vector<Tensor> perturbed(const std::vector<Tensor>& x, const std::vector<Tensor>& u, hp_t t) {
  std::vector<Tensor> xt;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (i >= u.size() || !u[i].defined()) {
      xt.push_back(x[i]);
      continue;
    }
    Tensor p = Tensor::empty(x[i].shape(), DType::hp);
    for_each_index(x[i].shape(),
                   [&](const auto& k) { store_hp(p, k, load_hp(x[i], k) + t * load_hp(u[i], k)); });
    xt.push_back(p);
  }
  return xt;
}

/// Σ_o ⟨v_o, y_o⟩ and Σ_o Σ|v_o||y_o| over the defined v_o.
std::pair<hp_t, hp_t> weighted(const std::vector<Tensor>& v, const std::vector<Tensor>& y) {
  hp_t s = 0, abs_s = 0;
  for (std::size_t o = 0; o < v.size(); ++o) {
    if (!v[o].defined() || !y[o].defined()) continue;
    auto [d, a] = dot(v[o], y[o]);
    s += d;
    abs_s += a;
  }
  return {s, abs_s};
}

/// φ(t) = Σ_o ⟨v_o, f_o(x + t·u)⟩ in float128, and Σ_o Σ|v_o||f_o| (the size of its rounding).
std::pair<hp_t, hp_t> phi(const Implementation& ref, const OpSpec& spec,
                          const std::vector<Tensor>& x, const std::vector<Tensor>& u, hp_t t,
                          const std::vector<Tensor>& v, const Attrs& attrs) {
  ReferenceRun run = reference_forward(ref, spec, perturbed(x, u, t), attrs);
  if (!run.error.empty()) throw Error(spec.name, {}, "reference forward failed at x + t·u");
  return weighted(v, run.outputs);
}

/// The reference's first-order VJP F(x, v): the gradient of every input where `want` has a
/// defined tensor (float128), recomputing the forward at x.
std::vector<Tensor> reference_vjp(const Implementation& ref, const OpSpec& spec,
                                  const std::vector<Tensor>& x, const std::vector<Tensor>& v,
                                  const std::vector<Tensor>& want, const Attrs& attrs) {
  ReferenceRun fwd = reference_forward(ref, spec, x, attrs);
  if (!fwd.error.empty()) throw Error(spec.name, {}, "reference forward failed at x + t·u");
  std::vector<Tensor> g(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    if (want[i].defined()) g[i] = Tensor::empty(x[i].shape(), DType::hp);
  OpCall call{x, attrs, fwd.outputs};
  BackwardCall bc{&call, v, g};
  ref.backward(bc);
  return g;
}

struct GradCaseOutcome {
  CaseResult result;
  bool kink_skipped = false;
  double agreement = 0;  // reference rows: |FD − ⟨g, u⟩| / Σ|g u|
};

CaseResult case_header(const Case& c) {
  CaseResult r;
  r.regime = c.regime;
  r.index = c.index;
  r.description = c.describe();
  for (const Tensor& t : c.inputs) r.shapes.push_back(t.shape());
  r.attrs = c.layout.attrs.str();
  return r;
}

/// The reference VJP of case c against Richardson-extrapolated differences of the reference.
GradCaseOutcome reference_case(const OpSpec& spec, const Implementation& ref, const Case& c,
                               int order) {
  GradCaseOutcome out;
  CaseResult& r = out.result;
  r = case_header(c);
  std::vector<Tensor> x;
  for (const Tensor& t : c.inputs)
    x.push_back(is_float(t.dtype()) ? t.to(DType::hp) : t.contiguous());
  ReferenceRun fwd = reference_forward(ref, spec, x, c.layout.attrs);
  if (!fwd.error.empty()) {
    r.message = "the reference rejects the input: " + fwd.error;
    return out;
  }
  for (const Tensor& t : x)
    if (!all_finite(t)) return out;  // differences need finite values; backend rows cover these
  for (const Tensor& t : fwd.outputs)
    if (!all_finite(t)) return out;
  Rng rng(mix_seed(
      c.seed, spec.name + "/grad-fd/" + regime_name(c.regime) + "/" + std::to_string(c.index)));
  std::vector<Tensor> v;
  for (const Tensor& o : fwd.outputs)
    v.push_back(is_float(o.dtype()) ? random_tensor(o.shape(), DType::f64, rng).to(DType::hp)
                                    : Tensor());
  std::vector<Tensor> grads(x.size());
  std::vector<Tensor> u(x.size());
  // Directions relative to each element (u_i = r_i·|x_i|, r_i ∈ [−1, 1]), so x + t·u never
  // crosses zero or a pole for |t| < 1 however small |x_i| is (log, sqrt, div); an exact zero
  // moves by r_i·max|x|.
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!differentiable_input(spec, c.inputs[i], i)) continue;
    grads[i] = Tensor::empty(x[i].shape(), DType::hp);
    const hp_t zero_scale = std::max(hp_t(1), max_abs(x[i]));
    u[i] = random_tensor(x[i].shape(), DType::f64, rng).to(DType::hp);
    for_each_index(x[i].shape(), [&](const auto& k) {
      const hp_t xi = bmp::abs(load_hp(x[i], k));
      store_hp(u[i], k, load_hp(u[i], k) * (xi == 0 ? zero_scale : xi));
    });
  }
  hp_t projected = 0, scale = 0;
  std::function<std::pair<hp_t, hp_t>(hp_t)> f;
  OpCall call{x, c.layout.attrs, fwd.outputs};
  if (order == 1) {
    // ⟨VJP(v), u⟩ against d/dt ⟨v, f(x + t·u)⟩.
    BackwardCall bc{&call, v, grads};
    try {
      ref.backward(bc);
    } catch (const Error& e) {
      r.verdict = Verdict::failed;
      r.message = std::string("the reference VJP threw: ") + e.what();
      return out;
    }
    auto [d, a] = weighted(grads, u);
    projected = d;
    scale = a;
    f = [&](hp_t t) { return phi(ref, spec, x, u, t, v, c.layout.attrs); };
  } else {
    // The map under test is the first-order VJP F(x, v); its VJP is the double backward.
    // ⟨∂⟨w,F⟩/∂x, u_x⟩ + ⟨∂⟨w,F⟩/∂v, u_v⟩ against d/dt ⟨w, F(x + t·u_x, v + t·u_v)⟩.
    std::vector<Tensor> w(x.size()), u_v, h(x.size()), k;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (grads[i].defined()) w[i] = random_tensor(x[i].shape(), DType::f64, rng).to(DType::hp);
    for (const Tensor& vo : v) {
      u_v.push_back(vo.defined() ? random_tensor(vo.shape(), DType::f64, rng).to(DType::hp)
                                 : Tensor());
      k.push_back(vo.defined() ? Tensor::empty(vo.shape(), DType::hp) : Tensor());
    }
    for (std::size_t i = 0; i < x.size(); ++i)
      if (grads[i].defined()) h[i] = Tensor::empty(x[i].shape(), DType::hp);
    DoubleBackwardCall dc{&call, v, w, h, k};
    try {
      ref.double_backward(dc);
    } catch (const Error& e) {
      r.verdict = Verdict::failed;
      r.message = std::string("the reference double backward threw: ") + e.what();
      return out;
    }
    auto [dx, ax] = weighted(h, u);
    auto [dv, av] = weighted(k, u_v);
    projected = dx + dv;
    scale = ax + av;
    f = [&, w, u_v, grads](hp_t t) {
      return weighted(w, reference_vjp(ref, spec, perturbed(x, u, t), perturbed(v, u_v, t), grads,
                                       c.layout.attrs));
    };
  }
  const hp_t h0 = bmp::ldexp(hp_t(1), -20);
  const Richardson central = extrapolate(f, h0, 0);
  const hp_t allowed = hp_t(kFiniteDifferenceTolerance) * scale + central.rounding;
  const hp_t diff = bmp::abs(central.value - projected);
  r.comparison.elements = 1;
  const double utilisation = allowed > 0 ? static_cast<double>(diff / allowed) : 0.0;
  out.agreement = scale > 0 ? static_cast<double>(diff / scale) : 0.0;
  r.comparison.max_error = utilisation;
  r.comparison.sum_sq_error = utilisation * utilisation;
  r.comparison.worst = ElementReport{{},
                                     static_cast<double>(projected),
                                     static_cast<double>(central.value),
                                     utilisation,
                                     1.0,
                                     order == 1 ? "⟨VJP(v), u⟩ vs Richardson central differences"
                                                : "⟨VJP²(w), (u_x, u_v)⟩ vs Richardson central "
                                                  "differences of ⟨w, VJP⟩"};
  r.comparison.has_worst = true;
  if (diff <= allowed) return out;
  // An infinite derivative (sqrt at 0) is a non-differentiable point too: differences cannot
  // reproduce ±inf, and the VJP's value there is the convention the kink cases check.
  if (!spec.grad.nondifferentiable.empty() &&
      (!bmp::isfinite(projected) || !bmp::isfinite(central.value))) {
    out.kink_skipped = true;
    r.comparison = Comparison{};
    r.message = "derivative not finite here: skipped";
    return out;
  }
  // Disagreement: a point where f is not differentiable along u (relu at 0, a tie in max) makes
  // the one-sided derivatives differ; there the VJP follows a convention, checked by the kink
  // cases. Anywhere else the VJP is wrong.
  // Why 1e-12: at a smooth point the two one-sided extrapolations (error series in h, four
  // levels, h ≤ 2^-20 relative) agree to O(h^4) ≈ 1e-24 of scale plus their rounding floors; at a
  // kink they differ by the jump in the derivative, O(1) of scale. 1e-12 sits twelve orders from
  // either, so the test cannot mistake one for the other; it only decides "skip", never "pass".
  const Richardson right = extrapolate(f, h0, +1), left = extrapolate(f, h0, -1);
  const hp_t side_gap = bmp::abs(right.value - left.value);
  if (!spec.grad.nondifferentiable.empty() &&
      side_gap > hp_t(1e-12) * scale + right.rounding + left.rounding) {
    out.kink_skipped = true;
    r.comparison = Comparison{};
    r.message = "not differentiable along u here (one-sided derivatives differ): skipped";
    return out;
  }
  r.verdict = Verdict::failed;
  r.comparison.failures = 1;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "reference %s disagrees with finite differences: projection = %.20g, "
                "differences give %.20g (relative gap %.3g, allowed %.3g)",
                order == 1 ? "VJP" : "double backward", static_cast<double>(projected),
                static_cast<double>(central.value), out.agreement, kFiniteDifferenceTolerance);
  r.message = buf;
  return out;
}

/// A backend's VJP (order 1) or double backward (order 2) on case c against the reference's,
/// computed from the same float values (x, the output gradient v and, for order 2, the
/// cotangent w of the VJP), element by element under the op's class for that order.
CaseResult backend_case(const OpSpec& spec, const Implementation& impl, const Case& c, int order,
                        bool bitwise) {
  CaseResult r = case_header(c);
  auto fail = [&](std::string msg) {
    r.verdict = Verdict::failed;
    r.message = std::move(msg);
    return r;
  };
  const Implementation* ref = Registry::instance().find(spec.name, backend::reference);
  if (!ref || !ref->backward) return fail("the reference has no VJP");
  if (order == 2 && !ref->double_backward) return fail("the reference has no double backward");
  if (order == 2 && !impl.double_backward)
    return fail("the spec promises second order but this implementation has no double backward");
  std::vector<Tensor> x_hp;
  for (const Tensor& t : c.inputs)
    x_hp.push_back(is_float(t.dtype()) ? t.to(DType::hp) : t.contiguous());
  ReferenceRun ref_fwd = reference_forward(*ref, spec, x_hp, c.layout.attrs);

  // Backend forward, on the case's own input placement.
  std::vector<Shape> shapes;
  for (const Tensor& t : c.inputs) shapes.push_back(t.shape());
  std::vector<Tensor> outs;
  std::string backend_error;
  try {
    for (const OutputDesc& d : spec.shape_rule(shapes, c.layout.attrs))
      outs.push_back(Tensor::empty(d.shape, output_dtype(d, c.dtype, c.layout.attrs)));
    OpCall call{c.inputs, c.layout.attrs, outs};
    impl.forward(call);
  } catch (const Error& e) {
    backend_error = e.what();
  }
  if (!ref_fwd.error.empty() || !backend_error.empty()) {
    if (!ref_fwd.error.empty() && !backend_error.empty()) return r;  // both reject: passed
    return fail("forward: " + (backend_error.empty()
                                   ? "the reference rejected the input: " + ref_fwd.error
                                   : "the backend threw: " + backend_error));
  }

  Rng rng(mix_seed(c.seed,
                   spec.name + "/grad-v/" + regime_name(c.regime) + "/" + std::to_string(c.index)));
  std::vector<Tensor> v, v_hp;
  for (const Tensor& o : outs) {
    // The output gradient has the output's dtype (cast's output may differ from its input's).
    v.push_back(is_float(o.dtype()) ? random_tensor(o.shape(), o.dtype(), rng) : Tensor());
    v_hp.push_back(v.back().defined() ? v.back().to(DType::hp) : Tensor());
  }
  // Results: order 1, the gradient of each differentiable input; order 2, ∂⟨w, F⟩/∂x_i for
  // each differentiable input, then ∂⟨w, F⟩/∂v_o for each float output.
  const std::size_t n_in = c.inputs.size();
  std::vector<Tensor> ref_results, results, w, w_hp;
  const bool strided = c.output_placement == OutputPlacement::strided;
  for (std::size_t i = 0; i < n_in; ++i) {
    const bool d = differentiable_input(spec, c.inputs[i], i);
    ref_results.push_back(d ? Tensor::empty(c.inputs[i].shape(), DType::hp) : Tensor());
    results.push_back(d ? canary_output(c.inputs[i].shape(), c.dtype, strided) : Tensor());
    if (order == 2) {
      w.push_back(d ? random_tensor(c.inputs[i].shape(), c.dtype, rng) : Tensor());
      w_hp.push_back(d ? w.back().to(DType::hp) : Tensor());
    }
  }
  if (order == 2)
    for (const Tensor& o : outs) {
      const bool d = is_float(o.dtype());
      ref_results.push_back(d ? Tensor::empty(o.shape(), DType::hp) : Tensor());
      results.push_back(d ? canary_output(o.shape(), o.dtype(), strided) : Tensor());
    }
  auto split = [&](std::vector<Tensor>& all) {
    return std::pair{std::vector<Tensor>(all.begin(), all.begin() + std::ptrdiff_t(n_in)),
                     std::vector<Tensor>(all.begin() + std::ptrdiff_t(n_in), all.end())};
  };
  const char* what = order == 1 ? "VJP" : "double backward";
  {
    OpCall call{x_hp, c.layout.attrs, ref_fwd.outputs};
    try {
      if (order == 1) {
        BackwardCall bc{&call, v_hp, ref_results};
        ref->backward(bc);
      } else {
        auto [h, k] = split(ref_results);
        DoubleBackwardCall dc{&call, v_hp, w_hp, h, k};
        ref->double_backward(dc);
      }
    } catch (const Error& e) {
      return fail(std::string("the reference ") + what + " threw: " + e.what());
    }
  }
  std::vector<std::vector<std::byte>> before;
  for (const Tensor& t : c.inputs) {
    const Storage& s = *t.storage();
    before.emplace_back(s.data(), s.data() + s.nbytes());
  }
  // The backend's VJP (order 1) or double backward into `res`, with `threads` threads (0: the
  // process setting) and parallel threshold `threshold` (< 0: unchanged); "" or what it threw.
  auto invoke = [&](std::vector<Tensor>& res, int threads, std::int64_t threshold) -> std::string {
    OpCall call{c.inputs, c.layout.attrs, outs};
    std::optional<opt::ThreadScope> thread_scope;
    if (threads > 0) thread_scope.emplace(threads);
    const std::int64_t saved_threshold = opt::parallel_threshold();
    if (threshold >= 0) opt::set_parallel_threshold(threshold);
    std::string err;
    try {
      if (order == 1) {
        BackwardCall bc{&call, v, res};
        impl.backward(bc);
      } else {
        auto [h, k] = split(res);
        DoubleBackwardCall dc{&call, v, w, h, k};
        impl.double_backward(dc);
      }
    } catch (const Error& e) {
      err = e.what();
    } catch (const std::exception& e) {
      err = std::string("non-vt exception: ") + e.what();
    }
    opt::set_parallel_threshold(saved_threshold);
    return err;
  };
  if (std::string err = invoke(results, c.threads, c.parallel_threshold); !err.empty())
    return fail(std::string("the backend ") + what + " threw: " + err);
  auto result_name = [&](std::size_t j) {
    if (order == 1) return "the gradient of input " + std::to_string(j);
    return j < n_in ? "∂⟨w,VJP⟩/∂x" + std::to_string(j) : "∂⟨w,VJP⟩/∂v" + std::to_string(j - n_in);
  };
  for (std::size_t j = 0; j < results.size(); ++j)
    if (results[j].defined())
      if (std::int64_t n = damaged_canary_bytes(results[j]))
        return fail(std::to_string(n) + " byte(s) outside " + result_name(j) + " were written");
  for (std::size_t k = 0; k < c.inputs.size(); ++k) {
    const Storage& s = *c.inputs[k].storage();
    if (s.nbytes() > 0 && std::memcmp(s.data(), before[k].data(), s.nbytes()) != 0)
      return fail("input " + std::to_string(k) + " was modified by the " + what);
  }

  const Precision prec = precision_of(c.dtype);
  const GradClass gc = grad_class(spec, order);
  CompareSpec cs{gc.cls, grad_budget(spec, c.dtype, order), gc.cls == AccuracyClass::exact,
                 c.dtype};
  for (std::size_t j = 0; j < results.size(); ++j) {
    if (!results[j].defined()) continue;
    Tensor bound;
    if (gc.cls == AccuracyClass::sum_bound) {
      bound = Tensor::empty(results[j].shape(), DType::hp);
      if (order == 1) {
        if (!spec.grad.bound)
          return fail("the spec's gradient class is sum-bound but has no bound");
        GradBoundArgs args{x_hp, ref_fwd.outputs, v_hp, c.layout.attrs, prec,
                           j,    ref_results[j],  bound};
        spec.grad.bound(args);
      } else {
        if (!spec.grad.second.bound)
          return fail("the spec's second-order class is sum-bound but has no bound");
        SecondOrderBoundArgs args{x_hp, ref_fwd.outputs, v_hp, w_hp, c.layout.attrs, prec,
                                  j,    ref_results[j],  bound};
        spec.grad.second.bound(args);
      }
    }
    Comparison cmp = compare_outputs(ref_results[j], results[j], bound, cs);
    if (cmp.failures || !r.comparison.has_worst || cmp.max_error > r.comparison.max_error) {
      r.comparison.worst = cmp.worst;
      r.comparison.has_worst = cmp.has_worst;
      r.output = static_cast<int>(j);
    }
    r.comparison.max_error = std::max(r.comparison.max_error, cmp.max_error);
    r.comparison.elements += cmp.elements;
    r.comparison.failures += cmp.failures;
    r.comparison.sum_sq_error += cmp.sum_sq_error;
    if (cmp.failures) {
      r.verdict = Verdict::failed;
      r.message = result_name(j) + ": " + std::to_string(cmp.failures) + " of " +
                  std::to_string(cmp.elements) + " element(s) outside the " + class_name(gc.cls) +
                  " bound";
      break;
    }
  }
  // --bitwise: the VJP must reproduce its bits as far as the implementation promises (the
  // promise of its forward, Implementation::determinism): a second run with the same settings,
  // then 1, 2 and 3 threads at parallel threshold 1 — as verify --bitwise does for forwards.
  if (bitwise && r.verdict == Verdict::passed) {
    for (const BitwiseRerun& run : bitwise_reruns(impl, c)) {
      std::vector<Tensor> again;  // the same placement as the first run's results
      for (const Tensor& t : results)
        again.push_back(t.defined() ? canary_output(t.shape(), t.dtype(), strided) : Tensor());
      if (std::string err = invoke(again, run.threads, run.threshold); !err.empty())
        return fail("not reproducible: " + run.what + " threw: " + err);
      for (std::size_t j = 0; j < results.size(); ++j) {
        if (!results[j].defined()) continue;
        const std::string diff = bit_difference(results[j], again[j]);
        if (!diff.empty())
          return fail(std::string("not bitwise reproducible (the implementation promises ") +
                      determinism_name(impl.determinism) + "): " + run.what + " differs in " +
                      result_name(j) + " at " + diff);
      }
    }
  }
  return r;
}

/// The spec's kink case k, in `dtype`, as a Case.
Case kink_case(const OpSpec& spec, DType dtype, std::size_t k, std::uint64_t seed) {
  Case c;
  c.op = spec.name;
  c.dtype = dtype;
  c.regime = Regime::exact;
  c.index = static_cast<int>(k);
  c.seed = seed;
  c.layout = spec.grad.kink_layouts[k];
  c.layout.attrs = validate_attrs(spec.attrs, c.layout.attrs, spec.name);
  for (std::size_t i = 0; i < c.layout.shapes.size(); ++i) {
    Tensor t = Tensor::empty(c.layout.shapes[i], dtype);
    const std::vector<double>& vals = spec.grad.kink_values.at(k).at(i);
    if (static_cast<std::int64_t>(vals.size()) != t.numel())
      throw Error(spec.name, {t.shape()},
                  "kink case " + std::to_string(k) + " has " + std::to_string(vals.size()) +
                      " values for input " + std::to_string(i));
    std::size_t n = 0;
    for_each_index(t.shape(), [&](const auto& ix) { store_hp(t, ix, hp_t(vals[n++])); });
    c.inputs.push_back(t);
    c.input_placement.push_back(InputPlacement::contiguous);
  }
  c.value_note = "kink: " + c.layout.note;
  return c;
}

}  // namespace

bool differentiable_input(const OpSpec& spec, const Tensor& t, std::size_t i) {
  if (!is_float(t.dtype())) return false;
  return spec.grad.inputs.empty() || (i < spec.grad.inputs.size() && spec.grad.inputs[i]);
}

GradClass grad_class(const OpSpec& spec, int order) {
  if (order == 1) return {spec.grad.cls, spec.grad.ulp_f32, spec.grad.ulp_f64};
  return {spec.grad.second.cls, spec.grad.second.ulp_f32, spec.grad.second.ulp_f64};
}

double grad_budget(const OpSpec& spec, DType dtype, int order) {
  const GradClass gc = grad_class(spec, order);
  switch (gc.cls) {
    case AccuracyClass::ulp:
      return dtype == DType::f32 ? gc.ulp_f32 : gc.ulp_f64;
    case AccuracyClass::sum_bound:
      return 1.0;
    default:
      return 0.5;
  }
}

Comparison compare_gradient(const OpSpec& spec, const std::vector<Tensor>& inputs_hp,
                            const std::vector<Tensor>& outputs_hp,
                            const std::vector<Tensor>& grad_outputs_hp, const Attrs& attrs,
                            DType dtype, std::size_t input, const Tensor& reference,
                            const Tensor& got) {
  const GradClass gc = grad_class(spec, 1);
  Tensor bound;
  if (gc.cls == AccuracyClass::sum_bound) {
    if (!spec.grad.bound)
      throw Error(spec.name, {}, "the spec's gradient class is sum-bound but has no bound");
    bound = Tensor::empty(reference.shape(), DType::hp);
    GradBoundArgs args{inputs_hp,           outputs_hp, grad_outputs_hp, attrs,
                       precision_of(dtype), input,      reference,       bound};
    spec.grad.bound(args);
  }
  const CompareSpec cs{gc.cls, grad_budget(spec, dtype, 1), gc.cls == AccuracyClass::exact, dtype};
  return compare_outputs(reference, got, bound, cs);
}

CaseResult grad_backend_case(const OpSpec& spec, const Implementation& impl, const Case& c,
                             int order, bool bitwise) {
  return backend_case(spec, impl, c, order, bitwise);
}

Richardson extrapolate(const std::function<std::pair<hp_t, hp_t>(hp_t)>& f, hp_t h0, int side) {
  constexpr int kLevels = 4;
  hp_t table[kLevels][kLevels];
  hp_t f_abs = 0;
  std::pair<hp_t, hp_t> f0{0, 0};
  if (side != 0) f0 = f(0);
  hp_t h = h0;
  for (int k = 0; k < kLevels; ++k, h /= 2) {
    std::pair<hp_t, hp_t> a, b;
    if (side == 0) {
      a = f(h);
      b = f(-h);
      table[k][0] = (a.first - b.first) / (2 * h);
    } else {
      a = f(side * h);
      b = f0;
      table[k][0] = (a.first - b.first) / (side * h);
    }
    f_abs = std::max({f_abs, a.second, b.second});
    const hp_t ratio = side == 0 ? 4 : 2;
    hp_t factor = ratio;
    for (int j = 1; j <= k; ++j, factor *= ratio)
      table[k][j] = table[k][j - 1] + (table[k][j - 1] - table[k - 1][j - 1]) / (factor - 1);
  }
  Richardson r;
  r.value = table[kLevels - 1][kLevels - 1];
  // Each φ carries a relative rounding error of a few ε (the reference rounds each operation
  // once in binary128); a difference divided by h_min amplifies it by 1/h_min, and the
  // extrapolation weights sum to less than 2 in absolute value per level.
  const hp_t eps = std::numeric_limits<hp_t>::epsilon();
  r.rounding = 1024 * eps * f_abs / (h0 / (1 << (kLevels - 1)));
  return r;
}

RowResult verify_grad_row(const OpSpec& spec, const Implementation& impl, DType dtype,
                          const Options& opts) {
  RowResult row;
  row.op = spec.name;
  row.family = spec.family;
  row.backend = impl.backend;
  row.variant = impl.variant;
  row.planted_bug = impl.planted_bug;
  row.dtype = dtype;
  const int order = opts.grad2 ? 2 : 1;
  const bool is_reference = impl.backend == backend::reference;
  row.cls = is_reference ? AccuracyClass::sum_bound : grad_class(spec, order).cls;
  if (is_reference) row.class_label = "fd-rich";  // utilisation of the difference tolerance
  row.budget = is_reference ? 1.0 : grad_budget(spec, dtype, order);
  if (!impl.backward) {
    row.verdict = Verdict::failed;
    row.message = "the op is differentiable but this implementation has no VJP";
    return row;
  }
  if (order == 2 && !impl.double_backward) {
    row.verdict = Verdict::failed;
    row.message = "the spec promises second order but this implementation has no double backward";
    return row;
  }
  if (!is_reference &&
      std::find(impl.dtypes.begin(), impl.dtypes.end(), dtype) == impl.dtypes.end()) {
    row.verdict = Verdict::unsupported;
    row.message = "the implementation does not support " + std::string(dtype_name(dtype));
    return row;
  }
  RowRecorder rec(row, opts.verbose);
  double agreement = 0;
  int kinks_skipped = 0, large_skipped = 0;
  // Finite differences need continuous values (the exact regime sits on kinks by design, the
  // adversarial one is full of inf and NaN); a backend is held to the reference on all four.
  const std::vector<Regime> regimes =
      is_reference ? std::vector<Regime>{Regime::random, Regime::structural}
                   : std::vector<Regime>{Regime::exact, Regime::random, Regime::adversarial,
                                         Regime::structural};
  for (Regime regime : regimes) {
    if (opts.regime && *opts.regime != regime) continue;
    const int n = regime_case_count(spec, regime, opts.cases_per_regime, opts.seed);
    for (int k = 0; k < n; ++k) {
      if (opts.case_index && *opts.case_index != k) continue;
      Case c = make_case(spec, dtype, regime, k, opts.seed, opts.cases_per_regime);
      if (spec.reference_cost &&
          spec.reference_cost(c.layout) > spec.large_check.cost_limit / (is_reference ? 40 : 4)) {
        // Differences evaluate the float128 forward 8 to 16 times, a backend case about 3 times
        // (forward, VJP): layouts beyond that share of the forward's limit are left out here.
        ++large_skipped;
        continue;
      }
      if (opts.threads > 0 && c.threads == 0) c.threads = opts.threads;
      if (is_reference) {
        GradCaseOutcome o = reference_case(spec, impl, c, order);
        if (o.kink_skipped) {
          ++kinks_skipped;
          continue;
        }
        agreement = std::max(agreement, o.agreement);
        rec.record(std::move(o.result));
      } else {
        rec.record(backend_case(spec, impl, c, order, opts.bitwise));
      }
    }
  }
  if (!is_reference && !opts.regime)
    for (std::size_t k = 0; k < spec.grad.kink_layouts.size(); ++k) {
      Case c = kink_case(spec, dtype, k, opts.seed);
      CaseResult cr = backend_case(spec, impl, c, order, opts.bitwise);
      cr.description = "kink #" + std::to_string(k) + " " + c.describe();
      rec.record(std::move(cr));
    }
  std::string notes;
  if (is_reference) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "finite differences agree to %.2g relative", agreement);
    notes = buf;
  }
  if (kinks_skipped)
    notes +=
        (notes.empty() ? "" : "; ") + std::to_string(kinks_skipped) + " draw(s) on a kink skipped";
  if (large_skipped)
    notes += (notes.empty() ? "" : "; ") + std::to_string(large_skipped) +
             " layout(s) too large for the float128 VJP skipped";
  row.message = notes;
  rec.finish();
  return row;
}

}  // namespace vt::verify
