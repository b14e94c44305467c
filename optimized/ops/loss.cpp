// optimized/ops/loss.cpp — float32/float64 mse_loss, nll_loss and cross_entropy (PyTorch
// semantics, reduction none | mean | sum) and their VJPs.
// Shaped this way because: every loss is one pass over its input that the compiler vectorizes,
// followed by at most one reduction. mse_loss stages (x − t)² in blocks and sums them by the
// shared lane-parallel sum (optimized/core/lanes.hpp), one partial per fixed chunk of the
// thread pool, partials added in chunk order; cross_entropy works row by row (rows spread over
// the pool): max, exp(x − max) by exp_t (vectorized exp_f32 for float32) into a scratch row,
// the lane sum, log — the softmax kernel's three passes, written again here because the
// softmax family exports no optimized header — and the per-row losses are reduced in row
// order. nll_loss reads one element per row through the strides. So no result depends on the
// thread count. Class indices are int64, or floats holding integers (the harness's float
// inputs); anything else, or an index out of [0, C) that is not ignore_index, is a vt::Error.
// Overflow: results that come out non-finite only because an intermediate overflowed — a sum
// of finite losses, (x − t)² terms of a finite mean, a cross_entropy row with a finite exp sum
// (x − m overflowing for a row spanning more than the largest float, p·log_softmax), an mse
// gradient whose x − t or ·2 overflowed — are recomputed in float128 in the reference's order and
// rounded once, so overflow never leaves a result the reference does not have. Accuracy contracts
// and bounds: verify/ops/loss.cpp.
#include "optimized/ops/loss.hpp"
#include "core/registry.hpp"
#include "core/tensor.hpp"
#include "optimized/core/lanes.hpp"
#include "optimized/core/math.hpp"
#include "optimized/core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace vt::opt {

// ---- shared with the CUDA backend (optimized/ops/loss.hpp) -------------------------------------

Reduction reduction_of(const OpCall& c, const char* op) {
  const std::string& s = c.attrs.get_string("reduction");
  if (s == "none") return Reduction::none;
  if (s == "mean") return Reduction::mean;
  if (s == "sum") return Reduction::sum;
  throw Error(op, shapes_of(c.inputs), "reduction must be none, mean or sum, not '" + s + "'");
}

void check_float(const Tensor& t, const char* op, const std::vector<Shape>& s,
                 const char* backend) {
  if (t.dtype() != DType::f32 && t.dtype() != DType::f64)
    throw Error(op, s,
                std::string(backend) + " backend supports float32 and float64, not " +
                    std::string(dtype_name(t.dtype())));
}

void mse_check(const OpCall& c, const char* backend) {
  const std::vector<Shape> s = shapes_of(c.inputs);
  if (c.inputs.size() != 2) throw Error("mse_loss", s, "takes input and target");
  if (s[0] != s[1]) throw Error("mse_loss", s, "input and target must have the same shape");
  check_float(c.inputs[0], "mse_loss", s, backend);
  if (c.inputs[1].dtype() != c.inputs[0].dtype())
    throw Error("mse_loss", s, "input and target must have one dtype");
}

/// Checks the shapes of nll_loss / cross_entropy; true when the target holds probabilities.
bool class_check(const OpCall& c, const char* op, bool probabilities_allowed, const char* backend) {
  const std::vector<Shape> s = shapes_of(c.inputs);
  if (c.inputs.size() != 2) throw Error(op, s, "takes input and target");
  const Tensor& x = c.inputs[0];
  const Tensor& t = c.inputs[1];
  check_float(x, op, s, backend);
  if (x.ndim() != 2) throw Error(op, s, "input must be (N, C)");
  const bool indices = t.ndim() == 1 && t.dim(0) == x.dim(0);
  const bool probs = probabilities_allowed && t.shape() == x.shape();
  if (!indices && !probs)
    throw Error(op, s,
                probabilities_allowed
                    ? "target must be class indices (N) or class probabilities (N, C)"
                    : "target must be class indices (N)");
  if (probs && t.dtype() != x.dtype())
    throw Error(op, s, "class probabilities must have the input's dtype");
  if (indices && t.dtype() != DType::i64 && t.dtype() != x.dtype())
    throw Error(op, s, "class indices must be int64 (or integers in the input's float dtype)");
  return probs;
}

/// Class indices of t (N), −1 for ignored rows; throws on a non-integer or out-of-range index.
std::vector<std::int64_t> read_indices(const OpCall& c, const char* op) {
  const Tensor& t = c.inputs[1];
  const std::int64_t N = t.dim(0), C = c.inputs[0].dim(1);
  const std::int64_t ignore = c.attrs.get_int("ignore_index");
  const std::int64_t st = t.strides()[0];
  std::vector<std::int64_t> k(static_cast<std::size_t>(N));
  for (std::int64_t n = 0; n < N; ++n) {
    std::int64_t v;
    if (t.dtype() == DType::i64) {
      v = t.data<std::int64_t>()[n * st];
    } else {
      const double d =
          t.dtype() == DType::f32 ? double(t.data<float>()[n * st]) : t.data<double>()[n * st];
      if (!std::isfinite(d) || std::trunc(d) != d || std::abs(d) > 9.0e18)
        throw Error(op, shapes_of(c.inputs),
                    "target at row " + std::to_string(n) + " is not a class index (" +
                        std::to_string(d) + ")");
      v = static_cast<std::int64_t>(d);
    }
    if (v == ignore) {
      v = -1;
    } else if (v < 0 || v >= C) {
      throw Error(op, shapes_of(c.inputs),
                  "target " + std::to_string(v) + " at row " + std::to_string(n) +
                      " is out of bounds for " + std::to_string(C) + " classes");
    }
    k[static_cast<std::size_t>(n)] = v;
  }
  return k;
}

std::int64_t counted(const std::vector<std::int64_t>& k) {
  std::int64_t c = 0;
  for (std::int64_t v : k) c += v >= 0;
  return c;
}

namespace {

namespace bmp = boost::multiprecision;

constexpr std::int64_t kBlock = 4096;  // elements per staged block / partial sum
constexpr std::int64_t kGrain = 8192;  // elements per parallel chunk

/// Σ of a contiguous block by the lanes, blocks of kBlock added in order, starting from +0 as
/// the reference does (PyTorch's loss sums start from 0: a sum of −0 terms is +0).
template <class T>
T block_sum(const T* x, std::int64_t n) {
  T s = T(0);
  for (std::int64_t b = 0; b < n; b += kBlock)
    s += lanes_sum(x + b, std::min(kBlock, n - b), [](T v) { return v; });
  return s;
}

/// Writes a contiguous result into out (any strides) when they differ.
void finish(Tensor out, const Tensor& res) {
  if (out.storage() != res.storage() || out.offset() != res.offset()) out.copy_from(res);
}

/// The output gradient (zeros when undefined), contiguous.
Tensor grad_output(const BackwardCall& bc, DType dt) {
  Tensor g = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  if (!g.defined()) return Tensor::empty(bc.forward->outputs.at(0).shape(), dt);
  return g.contiguous();
}

// ---- mse_loss ---------------------------------------------------------------------------------

template <class T>
void mse_typed(OpCall& c, Reduction r) {
  const Tensor xt = c.inputs[0].contiguous(), tt = c.inputs[1].contiguous();
  const T* x = xt.data<T>();
  const T* t = tt.data<T>();
  const std::int64_t n = xt.numel();
  Tensor out = c.outputs[0];
  if (r == Reduction::none) {
    const bool direct = out.is_contiguous();
    Tensor res = direct ? out : Tensor::empty(out.shape(), out.dtype());
    T* y = res.data<T>();
    parallel_for(Family::loss, n, kGrain, [&](std::int64_t, std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        const T d = x[i] - t[i];
        y[i] = d * d;
      }
    });
    finish(out, res);
    return;
  }
  std::vector<T> partial(static_cast<std::size_t>(chunk_count(n, kGrain)), T(-0.0));
  parallel_for(Family::loss, n, kGrain, [&](std::int64_t chunk, std::int64_t b, std::int64_t e) {
    alignas(64) T buf[kBlock];
    T s = T(-0.0);
    for (std::int64_t b0 = b; b0 < e; b0 += kBlock) {
      const std::int64_t len = std::min(kBlock, e - b0);
      for (std::int64_t i = 0; i < len; ++i) {
        const T d = x[b0 + i] - t[b0 + i];
        buf[i] = d * d;
      }
      s += lanes_sum(buf, len, [](T v) { return v; });
    }
    partial[static_cast<std::size_t>(chunk)] = s;
  });
  T s = T(0);  // +0 start, as block_sum
  for (const T& p : partial) s += p;
  T v = r == Reduction::sum ? s : s / static_cast<T>(n);
  if (!std::isfinite(v) && n > 0) {  // an overflow, or specials: redo in float128
    hp_t h = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const hp_t d = hp_t(x[i]) - hp_t(t[i]);
      h += d * d;
    }
    v = static_cast<T>(r == Reduction::sum ? h : h / hp_t(n));
  }
  out.data<T>()[0] = v;
}

void mse_loss_forward(OpCall& c) {
  mse_check(c, backend::optimized);
  const Reduction r = reduction_of(c, "mse_loss");
  if (c.inputs[0].dtype() == DType::f32)
    mse_typed<float>(c, r);
  else
    mse_typed<double>(c, r);
}

// gx = fl(fl(fl(x − t)·norm)·g), norm = fl(2/n) (mean) or 2; gt = −gx. Elements that overflow
// in an intermediate step although the result is finite are recomputed in float128.
template <class T>
void mse_vjp_typed(BackwardCall& bc, Reduction r) {
  const OpCall& f = *bc.forward;
  const Tensor xt = f.inputs[0].contiguous(), tt = f.inputs[1].contiguous();
  const T* x = xt.data<T>();
  const T* t = tt.data<T>();
  const std::int64_t n = xt.numel();
  const Tensor gt_ = grad_output(bc, xt.dtype());
  const T* g = gt_.data<T>();
  const T norm = r == Reduction::mean ? T(2) / static_cast<T>(n) : T(2);
  const bool elementwise = r == Reduction::none;
  Tensor gx = wanted(bc, 0) ? bc.grad_inputs[0] : Tensor();
  Tensor gt = wanted(bc, 1) ? bc.grad_inputs[1] : Tensor();
  const bool dx = gx.defined() && gx.is_contiguous(), dt = gt.defined() && gt.is_contiguous();
  Tensor rx = gx.defined() ? (dx ? gx : Tensor::empty(xt.shape(), xt.dtype())) : Tensor();
  Tensor rt = gt.defined() ? (dt ? gt : Tensor::empty(xt.shape(), xt.dtype())) : Tensor();
  T* px = rx.defined() ? rx.data<T>() : nullptr;
  T* pt = rt.defined() ? rt.data<T>() : nullptr;
  if (!px && !pt) return;  // neither gradient wanted
  parallel_for(Family::loss, n, kGrain, [&](std::int64_t, std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const T v = ((x[i] - t[i]) * norm) * (elementwise ? g[i] : g[0]);
      if (px) px[i] = v;
      if (pt) pt[i] = -v;
    }
    // An intermediate that overflows (x − t, or ·2) where the product with g is finite: redo
    // those elements in float128 and round once.
    for (std::int64_t i = b; i < e; ++i) {
      const T gi = elementwise ? g[i] : g[0];
      const T v = px ? px[i] : (pt ? -pt[i] : T(0));
      if (std::isfinite(v) || !std::isfinite(x[i]) || !std::isfinite(t[i]) || !std::isfinite(gi))
        continue;
      const hp_t c = r == Reduction::mean ? hp_t(2) / hp_t(n) : hp_t(2);
      const T w = static_cast<T>((hp_t(x[i]) - hp_t(t[i])) * c * hp_t(gi));
      if (px) px[i] = w;
      if (pt) pt[i] = -w;
    }
  });
  if (gx.defined() && !dx) gx.copy_from(rx);
  if (gt.defined() && !dt) gt.copy_from(rt);
}

void mse_loss_vjp(BackwardCall& bc) {
  mse_check(*bc.forward, backend::optimized);
  const Reduction r = reduction_of(*bc.forward, "mse_loss");
  if (bc.forward->inputs[0].dtype() == DType::f32)
    mse_vjp_typed<float>(bc, r);
  else
    mse_vjp_typed<double>(bc, r);
}

// ---- class indices ----------------------------------------------------------------------------

/// Writes per-row losses l (N) to out: as they are (none), or their sum / mean over `count`
/// (row order). `exact_row(n)` gives row n's loss in float128 for the overflow repair of a
/// reduction that overflowed although every row is `repairable`.
template <class T, class ExactRow>
void write_losses(const std::vector<T>& l, const std::vector<char>& repairable, Reduction r,
                  std::int64_t count, Tensor out, ExactRow exact_row) {
  const std::int64_t N = static_cast<std::int64_t>(l.size());
  if (r == Reduction::none) {
    T* o = out.data<T>();
    for (std::int64_t n = 0; n < N; ++n) o[n * out.strides()[0]] = l[static_cast<std::size_t>(n)];
    return;
  }
  T s = N == 0 ? T(0) : block_sum(l.data(), N);
  T v = r == Reduction::sum ? s : s / static_cast<T>(count);
  // Repaired only when every row is: finite operands, and (cross_entropy) a finite exp sum.
  bool all_ok = N > 0;
  for (char ok : repairable) all_ok = all_ok && ok;
  if (!std::isfinite(v) && all_ok) {
    hp_t h = 0;
    for (std::int64_t n = 0; n < N; ++n) h += exact_row(n);
    v = static_cast<T>(r == Reduction::sum ? h : h / hp_t(count));
  }
  out.data<T>()[0] = v;
}

/// The per-row output-gradient multiplier: g_n (none), g (sum), fl(g / count) (mean).
template <class T>
T row_grad(const T* g, Reduction r, std::int64_t n, std::int64_t count) {
  if (r == Reduction::none) return g[n];
  if (r == Reduction::sum) return g[0];
  return g[0] / static_cast<T>(count);
}

// ---- nll_loss ---------------------------------------------------------------------------------

template <class T>
void nll_typed(OpCall& c, Reduction r) {
  const std::vector<std::int64_t> k = read_indices(c, "nll_loss");
  const Tensor& lp = c.inputs[0];
  const T* p = lp.data<T>();
  const std::int64_t s0 = lp.strides()[0], s1 = lp.strides()[1];
  std::vector<T> l(k.size());
  for (std::size_t n = 0; n < k.size(); ++n)
    l[n] = k[n] < 0 ? T(0) : -p[static_cast<std::int64_t>(n) * s0 + k[n] * s1];
  std::vector<char> ok(l.size());
  for (std::size_t n = 0; n < l.size(); ++n) ok[n] = std::isfinite(l[n]);
  write_losses<T>(l, ok, r, counted(k), c.outputs[0],
                  [&](std::int64_t n) { return hp_t(l[static_cast<std::size_t>(n)]); });
}

void nll_loss_forward(OpCall& c) {
  class_check(c, "nll_loss", false, backend::optimized);
  const Reduction r = reduction_of(c, "nll_loss");
  if (c.inputs[0].dtype() == DType::f32)
    nll_typed<float>(c, r);
  else
    nll_typed<double>(c, r);
}

// glp = −h_n at (n, t_n), 0 elsewhere.
template <class T>
void nll_vjp_typed(BackwardCall& bc, Reduction r) {
  const std::vector<std::int64_t> k = read_indices(*bc.forward, "nll_loss");
  if (!wanted(bc, 0)) return;
  const Tensor go = grad_output(bc, bc.forward->inputs[0].dtype());
  const T* g = go.data<T>();
  const Tensor& gx = bc.grad_inputs[0];
  T* o = gx.data<T>();
  const std::int64_t C = gx.dim(1), s0 = gx.strides()[0], s1 = gx.strides()[1];
  const std::int64_t count = counted(k);
  for (std::size_t n = 0; n < k.size(); ++n) {
    T* row = o + static_cast<std::int64_t>(n) * s0;
    for (std::int64_t j = 0; j < C; ++j) row[j * s1] = T(0);
    if (k[n] >= 0) row[k[n] * s1] = -row_grad(g, r, static_cast<std::int64_t>(n), count);
  }
}

void nll_loss_vjp(BackwardCall& bc) {
  class_check(*bc.forward, "nll_loss", false, backend::optimized);
  const Reduction r = reduction_of(*bc.forward, "nll_loss");
  if (bc.forward->inputs[0].dtype() == DType::f32)
    nll_vjp_typed<float>(bc, r);
  else
    nll_vjp_typed<double>(bc, r);
}

// ---- cross_entropy ----------------------------------------------------------------------------

/// NaN-propagating row maximum.
template <class T>
T row_max(const T* x, std::int64_t n) {
  T m = -std::numeric_limits<T>::infinity();
  for (std::int64_t i = 0; i < n; ++i) m = (x[i] > m || x[i] != x[i]) ? x[i] : m;
  return m;
}

/// Row n: m, e_c = exp(x_c − m) into e, returns Ŝ = Σ e_c.
template <class T>
T exp_row(const T* x, std::int64_t C, T* e, T& m) {
  m = row_max(x, C);
  for (std::int64_t c = 0; c < C; ++c) e[c] = exp_t(x[c] - m);
  return block_sum(e, C);
}

template <class T>
void ce_typed(OpCall& c, Reduction r, bool probs) {
  const Tensor xt = c.inputs[0].contiguous();
  const Tensor pt = probs ? c.inputs[1].contiguous() : Tensor();
  const std::vector<std::int64_t> k =
      probs ? std::vector<std::int64_t>{} : read_indices(c, "cross_entropy");
  const std::int64_t N = xt.dim(0), C = xt.dim(1);
  const T* x = xt.data<T>();
  const T* p = probs ? pt.data<T>() : nullptr;
  std::vector<T> l(static_cast<std::size_t>(N));
  std::vector<char> ok(static_cast<std::size_t>(N), 1);
  if (C > 0)
    parallel_for(
        Family::loss, N, std::max<std::int64_t>(1, kGrain / C),
        [&](std::int64_t, std::int64_t b, std::int64_t e) {
          std::vector<T> buf(static_cast<std::size_t>(C));
          for (std::int64_t n = b; n < e; ++n) {
            const T* xr = x + n * C;
            const std::int64_t t = probs ? 0 : k[static_cast<std::size_t>(n)];
            T v;
            if (!probs && t < 0) {
              v = T(0);
            } else {
              T m;
              const T S = exp_row(xr, C, buf.data(), m);
              const T L = std::log(S);
              if (probs) {
                const T* pr = p + n * C;
                for (std::int64_t j = 0; j < C; ++j) buf[j] = pr[j] * ((xr[j] - m) - L);
                v = -block_sum(buf.data(), C);
              } else {
                v = -((xr[t] - m) - L);
              }
              if (!std::isfinite(v)) {
                // A finite exp sum (1 ≤ Ŝ ≤ C after the max-subtraction) but an overflow on the
                // way (x − m for a row spanning more than the largest float, p·ls, their sum):
                // redo the row in float128, which treats −inf logits and infinite targets as
                // the reference does (in T, 0·(−inf) or inf − inf gave NaN where the loss is
                // finite or ±inf: found by `veritensor fuzz`). An exp sum that overflowed (a
                // missing max-subtraction) or is NaN (a +inf or NaN logit) is never repaired,
                // so it would still show.
                const bool finite = std::isfinite(S);
                ok[static_cast<std::size_t>(n)] = finite;
                if (finite)
                  v = static_cast<T>(exact_row_loss(xr, probs ? p + n * C : nullptr, C, t));
              }
            }
            l[static_cast<std::size_t>(n)] = v;
          }
        },
        N * C);
  write_losses<T>(l, ok, r, probs ? N : counted(k), c.outputs[0], [&](std::int64_t n) {
    const std::int64_t t = probs ? 0 : k[static_cast<std::size_t>(n)];
    if (!probs && t < 0) return hp_t(0);
    return exact_row_loss(x + n * C, probs ? p + n * C : nullptr, C, t);
  });
}

void cross_entropy_forward(OpCall& c) {
  const bool probs = class_check(c, "cross_entropy", true, backend::optimized);
  const Reduction r = reduction_of(c, "cross_entropy");
  if (c.inputs[0].dtype() == DType::f32)
    ce_typed<float>(c, r, probs);
  else
    ce_typed<double>(c, r, probs);
}

// Per row, with p̂_c = fl(ê_c / Ŝ) the softmax and h the row's multiplier:
//   indices:       gx_c = fl(h·p̂_c), then gx_t = fl(gx_t − h);
//   probabilities: gx_c = fl(h·fl(fl(p̂_c·P̂) − p_c)), P̂ = Σ_c p_c.
// (PyTorch's gl − exp(log_softmax)·Σ gl with gl = −h at t, or −h·p.)
template <class T>
void ce_vjp_typed(BackwardCall& bc, Reduction r, bool probs) {
  const OpCall& f = *bc.forward;
  const std::vector<std::int64_t> k =
      probs ? std::vector<std::int64_t>{} : read_indices(f, "cross_entropy");
  if (!wanted(bc, 0)) return;
  const Tensor xt = f.inputs[0].contiguous();
  const Tensor pt = probs ? f.inputs[1].contiguous() : Tensor();
  const std::int64_t N = xt.dim(0), C = xt.dim(1);
  const T* x = xt.data<T>();
  const T* p = probs ? pt.data<T>() : nullptr;
  const Tensor go = grad_output(bc, xt.dtype());
  const T* g = go.data<T>();
  Tensor gx_out = bc.grad_inputs[0];
  const bool direct = gx_out.is_contiguous();
  Tensor gxt = direct ? gx_out : Tensor::empty(xt.shape(), xt.dtype());
  T* gx = gxt.data<T>();
  const std::int64_t count = probs ? N : counted(k);
  if (C > 0)
    parallel_for(
        Family::loss, N, std::max<std::int64_t>(1, kGrain / C),
        [&](std::int64_t, std::int64_t b, std::int64_t e) {
          for (std::int64_t n = b; n < e; ++n) {
            const T* xr = x + n * C;
            T* o = gx + n * C;
            const std::int64_t t = probs ? 0 : k[static_cast<std::size_t>(n)];
            const T h = !probs && t < 0 ? T(0) : row_grad(g, r, n, count);
            T m;
            const T S = exp_row(xr, C, o, m);
            if (probs) {
              const T* pr = p + n * C;
              const T P = block_sum(pr, C);
              bool overflowed = false;
              for (std::int64_t j = 0; j < C; ++j) {
                o[j] = h * ((o[j] / S) * P - pr[j]);
                overflowed = overflowed || !std::isfinite(o[j]);
              }
              // Targets near the largest float can overflow P = Σp or a product although the
              // gradient is finite, and then 0·inf (a −inf logit's softmax times P) is NaN
              // (found by `veritensor fuzz`): a row with a non-finite result and a finite exp
              // sum is recomputed in float128 — as the reference computes it, specials
              // included — and rounded once.
              if (overflowed && std::isfinite(S)) {
                hp_t Ph = 0, mh = hp_t(xr[0]), Sh = 0;
                for (std::int64_t j = 0; j < C; ++j) {
                  Ph += hp_t(pr[j]);
                  mh = std::max(mh, hp_t(xr[j]));
                }
                for (std::int64_t j = 0; j < C; ++j) Sh += bmp::exp(hp_t(xr[j]) - mh);
                for (std::int64_t j = 0; j < C; ++j)
                  o[j] = static_cast<T>(hp_t(h) *
                                        (bmp::exp(hp_t(xr[j]) - mh) / Sh * Ph - hp_t(pr[j])));
              }
            } else {
              for (std::int64_t j = 0; j < C; ++j) o[j] = h * (o[j] / S);
              if (t >= 0) o[t] = o[t] - h;
            }
          }
        },
        N * C);
  if (!direct) gx_out.copy_from(gxt);
}

void cross_entropy_vjp(BackwardCall& bc) {
  const bool probs = class_check(*bc.forward, "cross_entropy", true, backend::optimized);
  const Reduction r = reduction_of(*bc.forward, "cross_entropy");
  if (bc.forward->inputs[0].dtype() == DType::f32)
    ce_vjp_typed<float>(bc, r, probs);
  else
    ce_vjp_typed<double>(bc, r, probs);
}

VT_REGISTER_OPTIMIZED_VJP(mse_loss, "loop", mse_loss_forward, mse_loss_vjp,
                          "(x − t)² in one vectorized pass, lane-parallel sum per fixed chunk, "
                          "chunks added in order; VJP (x − t)·norm·g and its negation");
VT_REGISTER_OPTIMIZED_VJP(nll_loss, "loop", nll_loss_forward, nll_loss_vjp,
                          "−lp[n, t_n] through the strides, sum in row order; VJP −h at the "
                          "targets, zeros elsewhere");
VT_REGISTER_OPTIMIZED_VJP(cross_entropy, "three_pass", cross_entropy_forward, cross_entropy_vjp,
                          "per row: max, exp(x − max) with a lane sum, log; loss L − (x_t − m) "
                          "or −Σ p·((x − m) − L); VJP h·(softmax − onehot) or h·(softmax·Σp − p)");

}  // namespace
}  // namespace vt::opt
