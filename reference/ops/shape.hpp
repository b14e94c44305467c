// reference/ops/shape.hpp — shape ops: reshape, transpose, permute, slice, concat, stack: the spec.
// What it is: the shape rules (NumPy's reshape, transpose, basic slicing, concatenate and stack;
// PyTorch's permute), which throw vt::Error naming the op and the input shapes, and each op as
// an index map that copies elements: out[i] = x[f(i)], and each VJP as the same map read
// backwards (gx[f(i)] = g[i], zeros where no output element came from). What it is not: fast,
// and not views — every output here is a materialized copy. Real is float128 when registered;
// copies are exact.
#pragma once

#include "core/error.hpp"
#include "core/shape.hpp"
#include "core/tensor.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace vt::ref {

/// The `stop` of slice that means "to the end" (Python's None): the last element in the
/// direction of the step, inclusive.
inline constexpr std::int64_t kSliceToEnd = std::numeric_limits<std::int64_t>::max();

// ---- shape rules ------------------------------------------------------------------------------

/// axis in [−ndim, ndim) → [0, ndim); vt::Error(op, shapes) otherwise.
inline std::int64_t shape_axis(std::int64_t axis, std::int64_t ndim, const char* op,
                               const std::vector<Shape>& shapes) {
  if (axis < -ndim || axis >= ndim)
    throw Error(op, shapes,
                "axis " + std::to_string(axis) + " is out of range for " + std::to_string(ndim) +
                    "-d " + (std::string(op) == "stack" ? "output" : "input"));
  return axis < 0 ? axis + ndim : axis;
}

/// np.reshape: same number of elements; one entry may be −1 and is inferred (not when the
/// other entries multiply to 0).
inline Shape reshape_shape(const Shape& in, const std::vector<std::int64_t>& shape) {
  const std::int64_t n = shape_numel(in);
  Shape out = to_shape(shape);
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (out[k] == -1) {
      if (infer >= 0)
        throw Error("reshape", {in}, "more than one -1 in " + shape_str(to_shape(shape)));
      infer = static_cast<int>(k);
    } else if (out[k] < 0) {
      throw Error("reshape", {in}, "negative dimension in " + shape_str(to_shape(shape)));
    } else {
      known = checked_mul(known, out[k], "reshape");
    }
  }
  if (infer >= 0) {
    if (known == 0 || n % known != 0)
      throw Error(
          "reshape", {in},
          "cannot reshape " + std::to_string(n) + " elements into " + shape_str(to_shape(shape)));
    out[static_cast<std::size_t>(infer)] = n / known;
  } else if (known != n) {
    throw Error(
        "reshape", {in},
        "cannot reshape " + std::to_string(n) + " elements into " + shape_str(to_shape(shape)));
  }
  return out;
}

/// The permutation of np.transpose(x, axes) (empty axes: reverse all) or torch.permute(x, dims):
/// every axis exactly once, negative entries counting from the end.
inline std::vector<std::int64_t> permutation(const Shape& in, const std::vector<std::int64_t>& axes,
                                             const char* op, bool empty_reverses) {
  const auto nd = static_cast<std::int64_t>(in.size());
  std::vector<std::int64_t> order;
  if (axes.empty() && empty_reverses) {
    for (std::int64_t k = nd - 1; k >= 0; --k) order.push_back(k);
    return order;
  }
  if (static_cast<std::int64_t>(axes.size()) != nd)
    throw Error(
        op, {in},
        std::to_string(axes.size()) + " axes given for a " + std::to_string(nd) + "-d input");
  std::vector<bool> seen(static_cast<std::size_t>(nd), false);
  for (std::int64_t a : axes) {
    const std::int64_t k = shape_axis(a, nd, op, {in});
    if (seen[static_cast<std::size_t>(k)])
      throw Error(op, {in}, "axis " + std::to_string(a) + " repeated");
    seen[static_cast<std::size_t>(k)] = true;
    order.push_back(k);
  }
  return order;
}

/// out.shape[k] = in.shape[order[k]].
inline Shape permuted_shape(const Shape& in, const std::vector<std::int64_t>& order) {
  Shape out;
  for (std::int64_t k : order) out.push_back(in[static_cast<std::size_t>(k)]);
  return out;
}

/// The elements start, start + step, … (length of them) that x[start:stop:step] selects from n,
/// as Python's slice.indices(n) computes them: negative start/stop count from the end, then
/// both are clamped to [0, n] (step > 0) or [−1, n − 1] (step < 0); stop = kSliceToEnd is None.
struct SliceRange {
  std::int64_t start = 0, step = 1, length = 0;
};
inline SliceRange slice_range(std::int64_t n, std::int64_t start, std::int64_t stop,
                              std::int64_t step, const Shape& in) {
  if (step == 0) throw Error("slice", {in}, "step must not be zero");
  const std::int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? n : n - 1;
  auto clamp = [&](std::int64_t i) {
    if (i < 0) {
      i += n;
      return i < lower ? lower : i;
    }
    return i > upper ? upper : i;
  };
  start = clamp(start);
  stop = stop == kSliceToEnd ? (step > 0 ? upper : lower) : clamp(stop);
  SliceRange r{start, step, 0};
  if (step > 0 && stop > start) r.length = (stop - start - 1) / step + 1;
  if (step < 0 && start > stop) r.length = (start - stop - 1) / (-step) + 1;
  return r;
}

/// np.concatenate: at least one input, all of one rank ≥ 1, equal except along axis.
inline Shape concat_shape(const std::vector<Shape>& in, std::int64_t axis_in) {
  if (in.empty()) throw Error("concat", in, "needs at least one input");
  const auto nd = static_cast<std::int64_t>(in[0].size());
  if (nd == 0) throw Error("concat", in, "0-d inputs cannot be concatenated");
  const auto axis = static_cast<std::size_t>(shape_axis(axis_in, nd, "concat", in));
  Shape out = in[0];
  for (std::size_t i = 1; i < in.size(); ++i) {
    if (static_cast<std::int64_t>(in[i].size()) != nd)
      throw Error("concat", in,
                  "input " + std::to_string(i) + " has " + std::to_string(in[i].size()) +
                      " dimensions, input 0 has " + std::to_string(nd));
    for (std::size_t d = 0; d < in[i].size(); ++d) {
      if (d == axis) continue;
      if (in[i][d] != in[0][d])
        throw Error("concat", in,
                    "input " + std::to_string(i) + " differs from input 0 in dimension " +
                        std::to_string(d) + " (not the concatenation axis)");
    }
    out[axis] = checked_add(out[axis], in[i][axis], "concat");
  }
  return out;
}

/// np.stack: at least one input, all of one shape; the new axis is in [−(ndim+1), ndim].
inline Shape stack_shape(const std::vector<Shape>& in, std::int64_t axis_in) {
  if (in.empty()) throw Error("stack", in, "needs at least one input");
  for (std::size_t i = 1; i < in.size(); ++i)
    if (in[i] != in[0])
      throw Error("stack", in, "input " + std::to_string(i) + " differs in shape from input 0");
  const auto nd = static_cast<std::int64_t>(in[0].size());
  const std::int64_t axis = shape_axis(axis_in, nd + 1, "stack", in);
  Shape out = in[0];
  out.insert(out.begin() + axis, static_cast<std::int64_t>(in.size()));
  shape_numel(out);  // overflow check
  return out;
}

// ---- the ops: out[i] = x[f(i)] ----------------------------------------------------------------

/// Element n of out in row-major order is element n of x in row-major order.
/// x: any shape; out: same number of elements.
template <class Real>
void reshape_forward(View<Real> x, View<Real> out) {
  std::vector<Real> flat;
  for_each_index(x.shape, [&](const std::vector<std::int64_t>& i) { flat.push_back(x[i]); });
  std::size_t n = 0;
  for_each_index(out.shape, [&](const std::vector<std::int64_t>& i) { out[i] = flat[n++]; });
}

/// out[i_0, …, i_{d−1}] = x[j] with j[order[k]] = i[k]. x: (n_0, …); out: (n_order[0], …).
template <class Real>
void permute_forward(View<Real> x, const std::vector<std::int64_t>& order, View<Real> out) {
  std::vector<std::int64_t> j(order.size());
  for_each_index(out.shape, [&](const std::vector<std::int64_t>& i) {
    for (std::size_t k = 0; k < order.size(); ++k) j[static_cast<std::size_t>(order[k])] = i[k];
    out[i] = x[j];
  });
}

/// out[…, i, …] = x[…, start + i·step, …] along axis. x: (…, n, …); out: (…, length, …).
template <class Real>
void slice_forward(View<Real> x, std::int64_t axis, const SliceRange& r, View<Real> out) {
  const auto a = static_cast<std::size_t>(axis);
  for_each_index(out.shape, [&](const std::vector<std::int64_t>& i) {
    std::vector<std::int64_t> j = i;
    j[a] = r.start + i[a] * r.step;
    out[i] = x[j];
  });
}

/// out = the inputs one after another along axis. xs[k]: (…, n_k, …); out: (…, Σ n_k, …).
template <class Real>
void concat_forward(const std::vector<View<Real>>& xs, std::int64_t axis, View<Real> out) {
  const auto a = static_cast<std::size_t>(axis);
  for_each_index(out.shape, [&](const std::vector<std::int64_t>& i) {
    std::vector<std::int64_t> j = i;
    std::size_t k = 0;
    while (j[a] >= xs[k].shape[a]) j[a] -= xs[k++].shape[a];
    out[i] = xs[k][j];
  });
}

/// out[…, k, …] = xs[k][…] with k at position axis. xs[k]: S; out: S with len(xs) inserted.
template <class Real>
void stack_forward(const std::vector<View<Real>>& xs, std::int64_t axis, View<Real> out) {
  const auto a = static_cast<std::size_t>(axis);
  for_each_index(out.shape, [&](const std::vector<std::int64_t>& i) {
    std::vector<std::int64_t> j = i;
    j.erase(j.begin() + static_cast<std::ptrdiff_t>(a));
    out[i] = xs[static_cast<std::size_t>(i[a])][j];
  });
}

// ---- the VJPs: the same index maps read backwards -----------------------------------------
// Each op is linear with a 0/1 Jacobian that has at most one 1 per row and per column, so the
// VJP moves every element of g to the input position it came from (and zeros where nothing
// came from): exact, differentiable everywhere. g has the output's shape, gx the input's.

/// gx = g reshaped back: element n of gx in row-major order is element n of g.
/// g: out's shape; gx: x's shape (same number of elements).
template <class Real>
void reshape_backward(View<Real> g, View<Real> gx) {
  reshape_forward<Real>(g, gx);
}

/// gx[j] = g[i] with i[k] = j[order[k]]: g permuted by the inverse of order.
/// g: (n_order[0], …); gx: (n_0, …, n_{d−1}).
template <class Real>
void permute_backward(View<Real> g, const std::vector<std::int64_t>& order, View<Real> gx) {
  std::vector<std::int64_t> i(order.size());
  for_each_index(gx.shape, [&](const std::vector<std::int64_t>& j) {
    for (std::size_t k = 0; k < order.size(); ++k) i[k] = j[static_cast<std::size_t>(order[k])];
    gx[j] = g[i];
  });
}

/// gx = 0, then gx[…, start + i·step, …] = g[…, i, …] along axis (the selected positions are
/// distinct, so nothing accumulates). g: (…, length, …); gx: (…, n, …).
template <class Real>
void slice_backward(View<Real> g, std::int64_t axis, const SliceRange& r, View<Real> gx) {
  const auto a = static_cast<std::size_t>(axis);
  for_each_index(gx.shape, [&](const std::vector<std::int64_t>& j) { gx[j] = Real(0); });
  for_each_index(g.shape, [&](const std::vector<std::int64_t>& i) {
    std::vector<std::int64_t> j = i;
    j[a] = r.start + i[a] * r.step;
    gx[j] = g[i];
  });
}

/// Gradient of input k of concat, which sits at [offset, offset + n_k) along axis of the output:
/// gx_k[…, j, …] = g[…, offset + j, …]. g: (…, Σ n, …); gx_k: (…, n_k, …).
template <class Real>
void concat_backward(View<Real> g, std::int64_t axis, std::int64_t offset, View<Real> gx_k) {
  const auto a = static_cast<std::size_t>(axis);
  for_each_index(gx_k.shape, [&](const std::vector<std::int64_t>& j) {
    std::vector<std::int64_t> i = j;
    i[a] += offset;
    gx_k[j] = g[i];
  });
}

/// Gradient of input k of stack: gx_k[…] = g[…, k, …] with k at position axis.
/// g: S with len(xs) inserted at axis; gx_k: S.
template <class Real>
void stack_backward(View<Real> g, std::int64_t axis, std::int64_t k, View<Real> gx_k) {
  for_each_index(gx_k.shape, [&](const std::vector<std::int64_t>& j) {
    std::vector<std::int64_t> i = j;
    i.insert(i.begin() + static_cast<std::ptrdiff_t>(axis), k);
    gx_k[j] = g[i];
  });
}

}  // namespace vt::ref
