# golden/families/shape.py — golden cases of reshape, transpose, permute, slice, concat, stack.
# What it is: np.reshape (C order), np.transpose, np.transpose with an explicit permutation
# (our permute, PyTorch's name, "dims" required), basic slicing x[start:stop:step] along one
# axis, np.concatenate and np.stack, with our attribute names (verify/ops/shape.cpp), over the
# four regimes; outputs are saved as C-order copies. What it is not: our definition. Attribute
# spelling: slice "stop" = 9223372036854775807 (INT64_MAX) is None ("to the end in the
# direction of step"); a start of INT64_MAX with a negative step is None too.
import numpy as np

from .common import INT64_MAX, Case, c_order, fortran, mixed, small_ints, sprinkle


def slice_of(x, axis, start, stop, step):
    sl = slice(start, None if stop == INT64_MAX else stop, step)
    return x[(slice(None),) * (axis % x.ndim) + (sl,)]


def run(op, xs, attrs):
    if op == "reshape":
        return np.reshape(xs[0], attrs["shape"])
    if op == "transpose":
        return np.transpose(xs[0], attrs["axes"] or None)
    if op == "permute":
        return np.transpose(xs[0], attrs["dims"])
    if op == "slice":
        return slice_of(xs[0], attrs["axis"], attrs["start"], attrs["stop"], attrs["step"])
    if op == "concat":
        return np.concatenate(xs, axis=attrs["axis"])
    return np.stack(xs, axis=attrs["axis"])


DATA = {
    "exact": lambda rng, dt, s: small_ints(rng, s, dt, 1000),
    "random": lambda rng, dt, s: mixed(rng, s, dt),
    "adversarial": lambda rng, dt, s: sprinkle(rng, mixed(rng, s, dt), dt, 0.4),
    "structural": lambda rng, dt, s: mixed(rng, s, dt),
}


def make(op, shapes, attrs, regime, fort=()):
    def mk(rng, dt):
        xs = [DATA[regime](rng, dt, s) for s in shapes]
        xs = [fortran(x) if i in fort else x for i, x in enumerate(xs)]
        y = c_order(run(op, xs, attrs))
        assert y.dtype == dt
        return attrs, xs, [y]
    return mk


def sl(axis, start, stop=INT64_MAX, step=1):
    return {"axis": axis, "start": start, "stop": stop, "step": step}


# op -> regime -> [(input shapes, attrs, note, Fortran-ordered input indices)]
LAYOUTS = {
    "reshape": {
        "exact": [([(2, 3, 4)], {"shape": [4, 6]}, "3-d → 2-d", ()),
                  ([(24,)], {"shape": [2, -1, 3]}, "inferred middle dimension", ())],
        "random": [([(3, 4, 5)], {"shape": [5, -1, 3]}, "scrambles the row-major order", ()),
                   ([(6, 1, 5)], {"shape": [5, 6]}, "drop a unit dimension", ())],
        "adversarial": [([(7, 5)], {"shape": [7, 1, 5, 1]}, "specials; add unit dimensions",
                         ())],
        "structural": [([(9, 13)], {"shape": [13, 9]}, "Fortran-order input", (0,)),
                       ([(4, 5, 6)], {"shape": [-1]}, "Fortran-order 3-d flattened", (0,)),
                       ([(1,)], {"shape": []}, "(1,) → 0-d", ()),
                       ([()], {"shape": [1, 1]}, "0-d → (1, 1)", ()),
                       ([(0, 3)], {"shape": [3, 0]}, "empty", ()),
                       ([(33, 65)], {"shape": [65, 33]}, "33 × 65 → 65 × 33", ())],
    },
    "transpose": {
        "exact": [([(3, 4)], {"axes": []}, "matrix, axes reversed by default", ())],
        "random": [([(2, 3, 4)], {"axes": [-1, 0, -2]}, "negative axes", ()),
                   ([(2, 3, 4, 5)], {"axes": [3, 1, 0, 2]}, "4-d", ())],
        "adversarial": [([(5, 6)], {"axes": [1, 0]}, "specials", ())],
        "structural": [([(17, 9)], {"axes": []}, "Fortran-order input", (0,)),
                       ([(3, 5, 7)], {"axes": [0, 2, 1]}, "Fortran-order 3-d", (0,)),
                       ([()], {"axes": []}, "0-d", ()),
                       ([(2, 0, 3)], {"axes": [2, 0, 1]}, "empty 3-d", ()),
                       ([(1, 5, 1)], {"axes": [2, 1, 0]}, "unit dimensions", ()),
                       ([(33, 65)], {"axes": []}, "33 × 65", ())],
    },
    "permute": {
        "exact": [([(2, 3, 4)], {"dims": [2, 0, 1]}, "rotate", ())],
        "random": [([(2, 3, 4)], {"dims": [-1, -3, -2]}, "negative dims", ()),
                   ([(2, 3, 4, 5)], {"dims": [3, 1, 0, 2]}, "4-d", ())],
        "adversarial": [([(4, 3, 2)], {"dims": [1, 2, 0]}, "specials", ())],
        "structural": [([(7, 9, 5)], {"dims": [2, 0, 1]}, "Fortran-order input", (0,)),
                       ([()], {"dims": []}, "0-d", ()),
                       ([(0, 2, 3)], {"dims": [1, 2, 0]}, "empty", ()),
                       ([(5, 1, 3)], {"dims": [1, 2, 0]}, "unit dimension", ())],
    },
    "slice": {
        "exact": [([(10,)], sl(0, 2, 8), "[2:8]", ()),
                  ([(10,)], sl(0, 8, 2, -2), "[8:2:-2]", ())],
        "random": [([(10,)], sl(0, -3), "[-3:]", ()),
                   ([(10,)], sl(0, INT64_MAX, INT64_MAX, -1), "[::-1] (start and stop None)",
                    ()),
                   ([(4, 6)], sl(1, 1, 100, 2), "axis 1, stop past the end", ()),
                   ([(3, 5, 7)], sl(1, 4, -100, -1), "negative step, stop before the start",
                    ())],
        "adversarial": [([(6, 7)], sl(-2, -100, 3), "specials; axis -2, start before 0", ())],
        "structural": [([(9, 17)], sl(1, 1, 16, 3), "Fortran-order input", (0,)),
                       ([(3, 5, 7)], sl(2, 6, 0, -3), "last axis, negative step", ()),
                       ([(5,)], sl(0, 3, 3), "empty: start == stop", ()),
                       ([(5,)], sl(0, 4, 1), "empty: start > stop", ()),
                       ([(0, 4)], sl(0, 0), "empty input", ()),
                       ([(4, 0)], sl(0, 1, 3), "empty other dimension", ()),
                       ([(3, 65)], sl(1, INT64_MAX, INT64_MAX, -2), "[::-2] of 65", ())],
    },
    "concat": {
        "exact": [([(2, 4), (3, 4)], {"axis": 0}, "axis 0", ())],
        "random": [([(3, 2), (3, 5), (3, 1)], {"axis": 1}, "axis 1, three inputs", ()),
                   ([(2, 3, 4), (2, 1, 4)], {"axis": -2}, "axis -2", ())],
        "adversarial": [([(4, 3), (4, 5)], {"axis": -1}, "specials", ())],
        "structural": [([(5, 3), (5, 4)], {"axis": 1}, "Fortran-order first input", (0,)),
                       ([(2, 0, 4), (2, 3, 4)], {"axis": 1}, "a size-0 piece", ()),
                       ([(0,), (5,), (0,)], {"axis": 0}, "1-d with empty pieces", ()),
                       ([(1,)] * 16, {"axis": 0}, "16 single elements", ()),
                       ([(33,), (3,), (33,)], {"axis": 0}, "1-d around 33", ())],
    },
    "stack": {
        "exact": [([(3, 4), (3, 4)], {"axis": 0}, "axis 0", ())],
        "random": [([(3, 4)] * 3, {"axis": 1}, "axis 1", ()),
                   ([(3, 4), (3, 4)], {"axis": -3}, "axis -(ndim+1)", ())],
        "adversarial": [([(3, 4), (3, 4)], {"axis": 2}, "specials; axis = ndim", ())],
        "structural": [([(6, 5), (6, 5)], {"axis": 1}, "Fortran-order inputs", (0, 1)),
                       ([(), (), ()], {"axis": 0}, "0-d inputs", ()),
                       ([(5,)], {"axis": 0}, "one input", ()),
                       ([(0, 3), (0, 3)], {"axis": 1}, "empty inputs", ()),
                       ([(2,)] * 16, {"axis": 1}, "16 inputs", ()),
                       ([(33,), (33,)], {"axis": 1}, "interleave 33", ())],
    },
}


def cases():
    out = []
    for op, by_regime in LAYOUTS.items():
        for regime, layouts in by_regime.items():
            for shapes, attrs, note, fort in layouts:
                out.append(Case(op, regime, note, make(op, shapes, attrs, regime, fort)))
    return out
