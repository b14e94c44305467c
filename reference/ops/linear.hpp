// reference/ops/linear.hpp — the fully connected layer y = x·Wᵀ + b (PyTorch's F.linear): the spec.
// What it is: the shape rule (x: (…, in), W: (out, in), b: (out) optional → y: (…, out)), the
// triple loop y[…, o] = (Σ_k x[…, k]·W[o, k]) + b[o] in Real arithmetic (k ascending, the bias
// added last), and the VJP: gx = g·W, gW = gᵀ·x and gb = Σ g over the batch (the leading
// dimensions of x flattened). NaN and ±inf propagate as the formula says.
// What it is not: fast, or aware of dtype — Real is float128 when registered.
#pragma once

#include "core/error.hpp"
#include "core/shape.hpp"
#include "core/tensor.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vt::ref {

/// Output shape of F.linear(x, W[, b]): x (…, in) with at least one dimension, W (out, in),
/// b (out). Throws vt::Error naming the shapes.
inline Shape linear_shape(const std::vector<Shape>& in) {
  if (in.size() != 2 && in.size() != 3)
    throw Error("linear", in, "takes x, weight and an optional bias (2 or 3 inputs)");
  const Shape& x = in[0];
  const Shape& w = in[1];
  if (x.empty()) throw Error("linear", in, "x must have at least one dimension (…, in)");
  if (w.size() != 2) throw Error("linear", in, "weight must be 2-d (out, in)");
  if (x.back() != w[1])
    throw Error("linear", in,
                "x has " + std::to_string(x.back()) + " features but weight expects " +
                    std::to_string(w[1]));
  if (in.size() == 3 && (in[2].size() != 1 || in[2][0] != w[0]))
    throw Error("linear", in, "bias must be 1-d of length out = " + std::to_string(w[0]));
  Shape out = x;
  out.back() = w[0];
  shape_numel(out);  // overflow check
  return out;
}

/// Index of the batch element `b` (over x's leading dimensions) with `last` as the final entry.
inline std::vector<std::int64_t> with_last(const std::vector<std::int64_t>& b, std::int64_t last) {
  std::vector<std::int64_t> i = b;
  i.push_back(last);
  return i;
}

// x: (…, in), w: (out, in), bias: (out) when has_bias, y: (…, out).
template <class Real>
void linear_forward(View<Real> x, View<Real> w, View<Real> bias, bool has_bias, View<Real> y) {
  const Shape batch(x.shape.begin(), x.shape.end() - 1);
  const std::int64_t in = x.shape.back(), out = w.shape[0];
  for_each_index(batch, [&](const std::vector<std::int64_t>& b) {
    for (std::int64_t o = 0; o < out; ++o) {
      Real s = 0;
      for (std::int64_t k = 0; k < in; ++k) s += x[with_last(b, k)] * w[{o, k}];
      if (has_bias) s += bias[{o}];
      y[with_last(b, o)] = s;
    }
  });
}

// ---- vector-Jacobian products -------------------------------------------------------------------
// g: (…, out), the output gradient. Each writes one input's gradient (overwrites every element).

/// gx[…, k] = Σ_o g[…, o]·W[o, k].
template <class Real>
void linear_backward_x(View<Real> g, View<Real> w, View<Real> gx) {
  const Shape batch(gx.shape.begin(), gx.shape.end() - 1);
  const std::int64_t in = gx.shape.back(), out = w.shape[0];
  for_each_index(batch, [&](const std::vector<std::int64_t>& b) {
    for (std::int64_t k = 0; k < in; ++k) {
      Real s = 0;
      for (std::int64_t o = 0; o < out; ++o) s += g[with_last(b, o)] * w[{o, k}];
      gx[with_last(b, k)] = s;
    }
  });
}

/// gW[o, k] = Σ_batch g[…, o]·x[…, k].
template <class Real>
void linear_backward_w(View<Real> g, View<Real> x, View<Real> gw) {
  const Shape batch(x.shape.begin(), x.shape.end() - 1);
  const std::int64_t out = gw.shape[0], in = gw.shape[1];
  for (std::int64_t o = 0; o < out; ++o)
    for (std::int64_t k = 0; k < in; ++k) {
      Real s = 0;
      for_each_index(batch, [&](const std::vector<std::int64_t>& b) {
        s += g[with_last(b, o)] * x[with_last(b, k)];
      });
      gw[{o, k}] = s;
    }
}

/// gb[o] = Σ_batch g[…, o].
template <class Real>
void linear_backward_b(View<Real> g, View<Real> gb) {
  const Shape batch(g.shape.begin(), g.shape.end() - 1);
  const std::int64_t out = gb.shape[0];
  for (std::int64_t o = 0; o < out; ++o) {
    Real s = 0;
    for_each_index(batch, [&](const std::vector<std::int64_t>& b) { s += g[with_last(b, o)]; });
    gb[{o}] = s;
  }
}

}  // namespace vt::ref
