# golden/families/torch_vjp.py — PyTorch gradient (VJP) cases of every differentiable op of our
# catalogue: add sub mul div maximum minimum pow; neg abs sqrt exp log tanh relu sigmoid gelu;
# matmul, linear; sum mean max min var logsumexp; softmax, log_softmax; mse_loss, nll_loss,
# cross_entropy; reshape transpose permute slice concat stack; cast.
# What it is: for forward inputs x and one output gradient g per output (drawn per regime, in
# the output's dtype), torch.autograd.grad(y, differentiable inputs, g) in the case dtype (float32
# stays float32) — the gradient of every differentiable input (GradSpec::inputs; integer targets
# have none), in input order. max/min are torch.amax/amin (ties share the gradient evenly, our
# convention; torch.max(dim) would route it to one index); slice is index_select on the indices
# x[start:stop:step] takes (PyTorch's slicing has no negative step).
# What it is not: our definition; `veritensor golden` grades these against the float128
# reference VJP under each op's GradSpec class (verify/harness/golden.cpp).
import numpy as np

from . import shape as shape_family
from .common import Case, fortran, mixed, small_ints, specials, sprinkle
from .torch_common import vjp

LIBRARY = "torch"

BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "pow")
UNARY = ("neg", "abs", "sqrt", "exp", "log", "tanh", "relu", "sigmoid", "gelu")
DOMAIN = {"sqrt": (0.0, 4.0), "log": (0.0, 4.0), "exp": (-20.0, 20.0), "tanh": (-5.0, 5.0),
          "sigmoid": (-40.0, 20.0), "gelu": (-40.0, 8.0), "softmax": (-10.0, 10.0),
          "log_softmax": (-10.0, 10.0), "logsumexp": (-10.0, 10.0),
          "cross_entropy": (-10.0, 10.0), "nll_loss": (-8.0, 0.0)}
EXACT_OK = {"add", "sub", "mul", "div", "maximum", "minimum", "neg", "abs", "relu", "matmul",
            "linear", "sum", "mean", "max", "min", "var", "mse_loss", "nll_loss", "cast"}
FAMILY = dict([(o, "elementwise") for o in BINARY] + [(o, "unary") for o in UNARY] +
              [(o, "reduction") for o in ("sum", "mean", "max", "min", "var", "logsumexp")] +
              [(o, "shape") for o in shape_family.LAYOUTS] +
              [("matmul", "matmul"), ("linear", "linear"), ("softmax", "softmax"),
               ("log_softmax", "softmax"), ("mse_loss", "loss"), ("nll_loss", "loss"),
               ("cross_entropy", "loss"), ("cast", "creation")])


def x_data(op, regime, i):
    """Input i of op in the regime: fn(rng, dt, shape)."""
    lo, hi = DOMAIN.get(op, (-4.0, 4.0))
    if op == "pow":
        lo, hi = ((0.05, 4.0), (-6.0, 6.0))[i]
    if regime == "exact":
        if op == "div" and i == 1:
            return lambda r, dt, s: (r.integers(1, 9, size=s) * r.choice([-1, 1], size=s)).astype(dt)
        return lambda r, dt, s: small_ints(r, s, dt, 8)
    if regime == "adversarial":
        return lambda r, dt, s: sprinkle(r, mixed(r, s, dt, lo, hi), dt, 0.15)
    if regime == "shift":
        big = {np.dtype(np.float32): 100.0, np.dtype(np.float64): 800.0}
        return lambda r, dt, s: (mixed(r, s, dt, lo, hi) + dt(big[np.dtype(dt)])).astype(dt)
    return lambda r, dt, s: mixed(r, s, dt, lo, hi)


def g_data(regime):
    """The output gradient: small integers (exact), values in [−2, 2], or with specials (5%)."""
    if regime == "exact":
        return lambda r, dt, s: small_ints(r, s, dt, 4)
    if regime == "adversarial":
        return lambda r, dt, s: sprinkle(r, mixed(r, s, dt, -2.0, 2.0), dt, 0.05)
    return lambda r, dt, s: mixed(r, s, dt, -2.0, 2.0)


def make(op, shapes, attrs, regime, fort=(), values=None, targets=None, diff=None,
         data_regime=None):
    """A VJP case: inputs of `shapes` (or fixed `values`), loss targets, output gradient."""
    def mk(rng, dt):
        xs = []
        for i, s in enumerate(shapes):
            if values is not None:
                x = np.array(values[i], dtype=np.float64).astype(dt).reshape(s)
            else:
                x = x_data(op, data_regime or regime, i)(rng, dt, s)
            xs.append(x)
        if op in ("max", "min") and values is None and regime != "exact":
            for x in xs:  # one zero sign per case: the +0/−0 tie has its own case
                x[x == 0] = 0.0
        if targets is not None:
            xs.append(targets(rng, dt))
        xs = [fortran(x) if i in fort else x for i, x in enumerate(xs)]
        mask = diff or [True] * len(xs)
        gen = g_data(regime)
        gs, grads = vjp(op, xs, attrs, mask, lambda s, d: gen(rng, d.type, s))
        for x, g in zip([x for x, m in zip(xs, mask) if m], grads):
            assert g.dtype == x.dtype and g.shape == x.shape, (op, g.dtype, g.shape)
        summed = any(x.shape != gs[0].shape for x in xs) and gs[0].size > 0
        extra = ROUNDING_F32_SUM if (dt == np.float32 and summed and
                                     op in BINARY + ("linear",)) else ""
        return attrs, xs, gs, grads, extra
    return mk


# Where PyTorch 1.13's gradient differs from our convention ("PyTorch differs") or its rounding
# from the model behind our class ("PyTorch's rounding"): `veritensor golden` then reports a
# disagreement on the library's side, and this note says why.
ROUNDING_F32_SUM = ("float32: PyTorch's rounding: it sums a broadcast gradient in float32; our "
                    "class models a float64 accumulator (optimized/core/broadcast_grad.hpp)")
NOTES = {
    "pow": "PyTorch's rounding: g·b·a^(b−1) with b − 1 rounded to the dtype first (relative "
           "error up to |ln a|·ulp(b − 1)/2); our class models a wide evaluation",
    "gelu": "PyTorch's rounding: its VJP Φ(x) + x·φ(x) with Φ = ½(1 + erf(x/√2)) cancels for "
            "x ≲ −3 and is NaN at ±inf (inf·φ(inf) = inf·0); ours uses erfc(−x/√2)",
    "cross_entropy": "PyTorch's rounding: its gradient forms exp(log_softmax(x)), relative "
                     "error ≈ |log p|·u for a small probability p",
    ("abs", "adversarial"): "PyTorch differs: at NaN x its VJP is g·sgn(NaN) = ±0; our spec "
                            "NaN",
    ("mse_loss", "adversarial"): "PyTorch's rounding: it forms 2·(x − t) before multiplying by "
                                 "g, which overflows where the exact gradient is finite",
}


def case(op, regime, note, *a, **k):
    extra = NOTES.get((op, regime), NOTES.get(op))
    return Case(op, regime, note + ("; " + extra if extra else ""), make(op, *a, **k),
                kind="vjp", family=FAMILY[op])


# ---- elementwise ---------------------------------------------------------------------------------

KINKS = {
    "maximum": ([(6,), (6,)], [[1, 2, 3, 0, -0.0, 5], [1, 1, 3, -0.0, 0, 6]],
                "kink: ties and +0/−0 ties get g/2 each (PyTorch's convention, ours)"),
    "minimum": ([(6,), (6,)], [[1, 2, 3, 0, -0.0, 5], [1, 1, 3, -0.0, 0, 6]],
                "kink: ties and +0/−0 ties get g/2 each (PyTorch's convention, ours)"),
    "pow": ([(8,), (8,)], [[0, 0, 0, 2, 0, 1.5, 0, -0.0], [0, 2, -1, 0, 0.5, 0, 1, 3]],
            "kink: a = 0 and b = 0 (∂a = 0 where b = 0; ∂b = 0 where a = 0 and b ≥ 0)"),
    "abs": ([(6,)], [[0, -0.0, 2, -3, 0, 1]], "kink: ±0 (g·sgn(±0) = ±0)"),
    "relu": ([(6,)], [[0, -0.0, 1.5, -2, 0, 3]], "kink: ±0 (gradient 0)"),
    "sqrt": ([(6,)], [[0, 1, 4, 0, 2.25, -0.0]], "kink: x = ±0 (g/(2·0) = ±inf)"),
    "log": ([(6,)], [[0, 1, 2, -0.0, 0.5, 4]], "kink: x = ±0 (g/0 = ±inf)"),
}


def elementwise_cases():
    out = []
    for op in BINARY:
        if op in EXACT_OK:
            out += [case(op, "exact", "integers (4, 5)", [(4, 5), (4, 5)], {}, "exact"),
                    case(op, "exact", "integers, b broadcast (3, 4) ∘ (4,)", [(3, 4), (4,)], {},
                         "exact")]
        out += [case(op, "random", "(5, 7)", [(5, 7), (5, 7)], {}, "random"),
                case(op, "random", "broadcast (2, 3, 4) ∘ (3, 1)", [(2, 3, 4), (3, 1)], {},
                     "random"),
                case(op, "adversarial", "specials (15%), g with specials (5%)", [(6, 8), (6, 8)],
                     {}, "adversarial"),
                case(op, "structural", "Fortran-order a", [(7, 5), (7, 5)], {}, "structural",
                     fort=(0,)),
                case(op, "structural", "0-d a broadcast against (4,)", [(), (4,)], {},
                     "structural"),
                case(op, "structural", "size-1 broadcast (1, 1) ∘ (5, 1, 3)", [(1, 1), (5, 1, 3)],
                     {}, "structural"),
                case(op, "structural", "empty (0, 3) ∘ (3,)", [(0, 3), (3,)], {}, "structural")]
        if op in KINKS:
            shapes, vals, note = KINKS[op]
            out.append(case(op, "adversarial", note, shapes, {}, "random", values=vals))
    for op in UNARY:
        if op in EXACT_OK:
            out.append(case(op, "exact", "integers (40,)", [(40,)], {}, "exact"))
        out += [case(op, "random", "(37,)", [(37,)], {}, "random"),
                case(op, "random", "(6, 7)", [(6, 7)], {}, "random"),
                case(op, "adversarial", "specials (15%), g with specials (5%)", [(8, 6)], {},
                     "adversarial"),
                Case(op, "adversarial", "every special value of the dtype" +
                     "".join("; " + n for n in [NOTES.get((op, "adversarial"), NOTES.get(op))]
                             if n), specials_case(op), kind="vjp", family=FAMILY[op]),
                case(op, "structural", "Fortran-order (9, 7)", [(9, 7)], {}, "structural",
                     fort=(0,)),
                case(op, "structural", "0-d", [()], {}, "structural"),
                case(op, "structural", "empty", [(0, 3)], {}, "structural"),
                case(op, "structural", "length 33", [(33,)], {}, "structural")]
        if op in KINKS:
            shapes, vals, note = KINKS[op]
            out.append(case(op, "adversarial", note, shapes, {}, "random", values=vals))
    return out


def specials_case(op):
    def mk(rng, dt):
        x = specials(dt)
        gen = g_data("random")
        gs, grads = vjp(op, [x], {}, [True], lambda s, d: gen(rng, d.type, s))
        return {}, [x], gs, grads
    return mk


# ---- matmul, linear -------------------------------------------------------------------------------

def matmul_cases():
    L = [("exact", "integers (4, 5) @ (5, 3)", [(4, 5), (5, 3)], ()),
         ("exact", "integers batched (2, 3, 4) @ (4, 2)", [(2, 3, 4), (4, 2)], ()),
         ("random", "(5, 6) @ (6, 4)", [(5, 6), (6, 4)], ()),
         ("random", "batch broadcast (2, 1, 3, 4) @ (3, 4, 2)", [(2, 1, 3, 4), (3, 4, 2)], ()),
         ("random", "vector @ matrix", [(4,), (4, 3)], ()),
         ("random", "matrix @ vector", [(3, 4), (4,)], ()),
         ("random", "vector @ vector", [(7,), (7,)], ()),
         ("adversarial", "specials (15%)", [(5, 4), (4, 6)], ()),
         ("structural", "Fortran-order a and b", [(6, 5), (5, 7)], (0, 1)),
         ("structural", "K = 0", [(3, 0), (0, 4)], ()),
         ("structural", "M = 0", [(0, 4), (4, 3)], ()),
         ("structural", "(1, 1) @ (1, 33)", [(1, 1), (1, 33)], ())]
    out = [case("matmul", r, n, s, {}, r, fort=f) for r, n, s, f in L]
    lin = [("exact", "integers, bias", [(6, 5), (4, 5), (4,)], ()),
           ("exact", "integers, no bias", [(3, 7), (5, 7)], ()),
           ("random", "(8, 9) → 7, bias", [(8, 9), (7, 9), (7,)], ()),
           ("random", "(5, 16) → 3, no bias", [(5, 16), (3, 16)], ()),
           ("random", "3-d x, bias", [(2, 3, 6), (4, 6), (4,)], ()),
           ("adversarial", "specials (15%), bias", [(5, 6), (4, 6), (4,)], ()),
           ("structural", "Fortran-order W", [(4, 9), (5, 9), (5,)], (1,)),
           ("structural", "1-d x", [(33,), (5, 33), (5,)], ()),
           ("structural", "empty batch (bias gradient 0)", [(0, 7), (5, 7), (5,)], ()),
           ("structural", "in = 0", [(3, 0), (4, 0), (4,)], ())]
    out += [case("linear", r, n, s, {}, r, fort=f) for r, n, s, f in lin]
    return out


# ---- reductions, softmax --------------------------------------------------------------------------

def red(axis, keep=False, ddof=None):
    a = {"axis": list(axis), "keepdims": keep}
    if ddof is not None:
        a["ddof"] = ddof
    return a


def reduction_cases():
    out = []
    for op in ("sum", "mean", "max", "min", "var", "logsumexp"):
        dd = 1 if op == "var" else None
        at = lambda axis, keep=False: red(axis, keep, dd)  # noqa: E731
        if op in EXACT_OK:
            out.append(case(op, "exact", "integers (5, 8) axis [1]", [(5, 8)], at([1]), "exact"))
        out += [case(op, "random", "(5, 7) axis [1]", [(5, 7)], at([1]), "random"),
                case(op, "random", "(3, 4, 5) axes [0, 2], keepdims", [(3, 4, 5)],
                     at([0, 2], True), "random"),
                case(op, "random", "(9,) every axis", [(9,)], at([]), "random"),
                case(op, "adversarial", "specials (15%), g with specials (5%)", [(6, 8)],
                     at([1]), "adversarial"),
                case(op, "structural", "Fortran-order (9, 6) axis [0]", [(9, 6)], at([0]),
                     "structural", fort=(0,)),
                case(op, "structural", "empty output (0, 5) axis [1]", [(0, 5)], at([1]),
                     "structural"),
                case(op, "structural", "length-1 axis", [(4, 1, 3)], at([1]), "structural")]
        if op in ("max", "min"):
            s = 1 if op == "max" else -1
            out += [case(op, "adversarial", "kink: ties share g evenly", [(3, 4)], red([1]),
                         "random", values=[[s * 3, 1, s * 3, -2, 5 * s, 5 * s, 5 * s, 5 * s, 0,
                                            s * 2, -1, s * 2]]),
                    case(op, "adversarial", "kink: +0/−0 tie shares g", [(2, 3)], red([1]),
                         "random", values=[[0.0, -0.0, -s * 1, -0.0, -s * 2, 0.0]]),
                    case(op, "adversarial", "kink: three-way tie over the whole array", [(7,)],
                         red([]), "random", values=[[s * 2, 1, s * 2, 0, -s * 4, s * 2, 1.5]])]
        if op in ("mean", "var", "logsumexp"):
            out.append(case(op, "structural", "rows of length 0", [(3, 0)], at([1]),
                            "structural"))
        if op == "var":
            out += [case(op, "random", "ddof 0", [(4, 6)], red([1], False, 0), "random"),
                    case(op, "adversarial", "ddof = n: divide by zero", [(3, 4)],
                         red([1], False, 4), "random"),
                    case(op, "adversarial", "ddof > n; PyTorch differs: its VJP divides by "
                         "n − ddof < 0 (finite), its forward and our VJP by max(n − ddof, 0) = "
                         "0 (±inf, NaN)", [(5, 3)], red([0], True, 9), "random")]
        if op == "logsumexp":
            out.append(case(op, "adversarial", "exp overflows without the max shift", [(4, 9)],
                            at([1]), "random", data_regime="shift"))
    for op in ("softmax", "log_softmax"):
        out += [case(op, "random", "(5, 7) last axis", [(5, 7)], {"axis": -1}, "random"),
                case(op, "random", "(4, 6) axis 0", [(4, 6)], {"axis": 0}, "random"),
                case(op, "random", "(2, 3, 5) middle axis", [(2, 3, 5)], {"axis": 1}, "random"),
                case(op, "adversarial", "specials (15%), g with specials (5%)", [(6, 8)],
                     {"axis": 1}, "adversarial"),
                case(op, "adversarial", "exp overflows without the max shift", [(4, 9)],
                     {"axis": 1}, "random", data_regime="shift"),
                case(op, "structural", "Fortran-order (9, 6) axis 0", [(9, 6)], {"axis": 0},
                     "structural", fort=(0,)),
                case(op, "structural", "rows of 33", [(3, 33)], {"axis": 1}, "structural"),
                case(op, "structural", "empty rows", [(4, 0)], {"axis": 1}, "structural"),
                case(op, "structural", "rows of length 1", [(4, 1)], {"axis": 1},
                     "structural")]
    return out


# ---- losses ----------------------------------------------------------------------------------------

def class_targets(n, c):
    return lambda rng, dt: rng.integers(0, c, size=n).astype(np.int64)


def prob_targets(n, c):
    return lambda rng, dt: rng.uniform(0, 1, size=(n, c)).astype(dt)


def loss_cases():
    out = []
    for op in ("cross_entropy", "nll_loss"):
        def lc(regime, note, n, c, r, ignore=-100, probs=False, fort=(), data_regime=None):
            t = prob_targets(n, c) if probs else class_targets(n, c)
            return case(op, regime, note, [(n, c)], {"reduction": r, "ignore_index": ignore},
                        regime, fort=fort, targets=t, diff=[True, False],
                        data_regime=data_regime)
        for r in ("none", "mean", "sum"):
            out.append(lc("random", f"(6, 5) class indices, {r}", 6, 5, r))
        out += [lc("random", "ignore_index 1, mean", 9, 4, "mean", ignore=1),
                lc("random", "ignore_index 2, none", 7, 3, "none", ignore=2),
                lc("adversarial", "specials (15%), sum", 6, 7, "sum"),
                lc("adversarial", "specials (15%), none", 6, 7, "none"),
                lc("structural", "Fortran-order x, mean", 9, 5, "mean", fort=(0,)),
                lc("structural", "one class", 4, 1, "none"),
                lc("structural", "33 classes", 3, 33, "sum"),
                lc("structural", "no rows, sum", 0, 5, "sum")]
        if op == "nll_loss":
            out.append(lc("exact", "integer log-probabilities, sum", 8, 5, "sum"))
        else:
            out += [lc("adversarial", "exp overflows without the max shift, mean", 5, 6, "mean",
                       data_regime="shift"),
                    lc("random", "probabilities (target not differentiated), mean", 6, 5,
                       "mean", probs=True),
                    lc("random", "probabilities, none", 4, 7, "none", probs=True)]
    for r in ("none", "mean", "sum"):
        out += [case("mse_loss", "exact", f"integers, {r}", [(5, 6), (5, 6)], {"reduction": r},
                     "exact"),
                case("mse_loss", "random", f"(4, 7), {r}", [(4, 7), (4, 7)], {"reduction": r},
                     "random")]
    out += [case("mse_loss", "adversarial", "specials (15%), none", [(6, 5), (6, 5)],
                 {"reduction": "none"}, "adversarial"),
            case("mse_loss", "adversarial", "specials (15%), mean", [(6, 5), (6, 5)],
                 {"reduction": "mean"}, "adversarial"),
            case("mse_loss", "structural", "Fortran-order input, sum", [(7, 5), (7, 5)],
                 {"reduction": "sum"}, "structural", fort=(0,)),
            case("mse_loss", "structural", "0-d, none", [(), ()], {"reduction": "none"},
                 "structural"),
            case("mse_loss", "structural", "empty, sum", [(0, 4), (0, 4)], {"reduction": "sum"},
                 "structural")]
    return out


# ---- shape ops, cast -----------------------------------------------------------------------------

def shape_cases():
    out = []
    for op, by_regime in shape_family.LAYOUTS.items():
        for regime, layouts in by_regime.items():
            for shapes, attrs, note, fort in layouts:
                out.append(case(op, regime, note, list(shapes), attrs, regime, fort=fort))
    return out


def cast_case(regime, note, shape, to, fort=()):
    def mk(rng, dt):
        target = {"same": np.dtype(dt).name,
                  "other": "float64" if dt == np.float32 else "float32"}[to]
        return make("cast", [shape], {"dtype": target}, regime, fort=fort)(rng, dt)
    return Case("cast", regime, note, mk, kind="vjp", family="creation")


def cast_cases():
    return [cast_case("exact", "integers, to the other dtype", (5, 6), "other"),
            cast_case("random", "to the other dtype", (37,), "other"),
            cast_case("random", "to the same dtype", (6, 7), "same"),
            cast_case("adversarial", "specials, to the other dtype (float64 g → float32 "
                      "overflows)", (8, 6), "other"),
            cast_case("structural", "Fortran-order, to the other dtype", (9, 7), "other",
                      fort=(0,)),
            cast_case("structural", "0-d", (), "other"),
            cast_case("structural", "empty", (0, 3), "other")]


def cases():
    return (elementwise_cases() + matmul_cases() + reduction_cases() + loss_cases() +
            shape_cases() + cast_cases())
