# golden/families/reduction.py — golden cases of sum, mean, max, min, argmax, var.
# What it is: np.sum, np.mean, np.max, np.min, np.argmax, np.var with our attributes — "axis"
# (list of ints; [] = every axis, NumPy's axis=None; argmax takes at most one), "keepdims"
# (bool), var's "ddof" (int) — over the four regimes. logsumexp is SciPy's (not installed).
# What it is not: our definition (verify/ops/reduction.cpp). Where NumPy's differs — max/min
# over a +0/−0 tie, where NumPy keeps the later operand and IEEE 754-2019 (our spec) +0 for max,
# −0 for min — the main cases hold no such tie and one case per dtype (note "NumPy differs")
# shows it. max/min/argmax over zero elements raise in both (no case).
import numpy as np

from .common import (Case, c_order, check_dtype, fortran, mixed, one_zero_sign, small_ints,
                     sprinkle)

FLOAT_OPS = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "var": np.var}


def attrs_of(op, axis, keepdims, ddof):
    a = {"axis": list(axis), "keepdims": keepdims}
    if op == "var":
        a["ddof"] = ddof
    return a


def apply(op, dt, x, axis, keepdims, ddof):
    ax = None if len(axis) == 0 else tuple(axis)
    if op == "argmax":
        assert len(axis) <= 1
        y = np.argmax(x, axis=None if ax is None else ax[0], keepdims=keepdims)
        y = np.asarray(y)
        assert y.dtype == np.int64, y.dtype
    elif op == "var":
        y = np.asarray(np.var(x, axis=ax, ddof=ddof, keepdims=keepdims))
        check_dtype(dt, y)
    else:
        y = np.asarray(FLOAT_OPS[op](x, axis=ax, keepdims=keepdims))
        check_dtype(dt, y)
    return c_order(y)


def case_make(op, shape, axis, keepdims, ddof, data, fort=False, keep_zero_signs=False):
    """data(rng, dt, shape) -> x; the case's attrs and NumPy's output. max/min: every zero gets
    one sign (drawn per case) unless keep_zero_signs."""
    def make(rng, dt):
        x = data(rng, dt, shape)
        if op in ("max", "min") and not keep_zero_signs:
            x = one_zero_sign(x, bool(rng.integers(0, 2)))
        x = fortran(x) if fort else x
        y = apply(op, dt, x, axis, keepdims, ddof)
        return attrs_of(op, axis, keepdims, ddof), [x], [y]
    return make


def exact_data(op):
    def data(rng, dt, shape):
        n = int(np.prod(shape)) or 1
        if op in ("sum", "mean"):
            return small_ints(rng, shape, dt, 100)
        if op == "var":
            return small_ints(rng, shape, dt, 8)
        return small_ints(rng, shape, dt, 4 * n)  # max/min/argmax: ties
    return data


def random_data(rng, dt, shape):
    return mixed(rng, shape, dt)


def adversarial_data(density):
    def data(rng, dt, shape):
        return sprinkle(rng, mixed(rng, shape, dt), dt, density)
    return data


def cancellation_data(rng, dt, shape):
    """Large values that cancel (sum, mean) or sit on a large offset (var): ±2^10…2^20 (float32:
    ±2^6…2^12) mixed with O(1) values."""
    top = 20 if dt == np.float64 else 12
    big = np.exp2(rng.integers(top // 2, top + 1, size=shape)) * rng.choice([-1.0, 1.0], shape)
    small = rng.uniform(-1, 1, size=shape)
    return np.where(rng.random(shape) < 0.5, big, small).astype(dt)


def offset_data(rng, dt, shape):
    """var: a large common offset (1000 for float32, 1e6 for float64) plus unit noise."""
    off = 1000.0 if dt == np.float32 else 1e6
    return (off + rng.uniform(-1, 1, size=shape)).astype(dt)


def signed_zero_tie(rng, dt, shape):
    return np.array([[0.0, -0.0], [-0.0, 0.0], [-0.0, -1.0], [0.0, 1.0]], dtype=dt)


# (shape, axis, keepdims, ddof) per regime. Axis lists spell some axes negative.
EXACT = {
    "default": [((37,), [], False, 0), ((16, 33), [1], True, 0), ((3, 5, 7), [0, -1], False, 0)],
    "argmax": [((64,), [], False, 0), ((16, 33), [0], False, 0), ((3, 5, 7), [-1], True, 0)],
    # var: reduced counts are powers of two (exact mean, squares and sums); ddof 1 adds one
    # correctly rounded division.
    "var": [((16,), [], False, 0), ((4, 8), [1], True, 0), ((2, 3, 4), [0, 2], False, 1)],
}
RANDOM = {
    "default": [((37,), [], False, 0), ((16, 33), [0], False, 0), ((16, 33), [-1], True, 0),
                ((2, 3, 4, 3), [1, 3], False, 0)],
    "argmax": [((37,), [], False, 0), ((16, 33), [0], True, 0), ((16, 33), [-1], False, 0),
               ((2, 3, 4, 3), [2], False, 0)],
    "var": [((9,), [], False, 0), ((8, 6), [1], False, 1), ((3, 3, 3), [0, -1], True, 0),
            ((2, 3, 3, 3), [1, 2], False, 1)],
}
ADVERSARIAL = {
    "default": [((40,), [], False, 0), ((12, 10), [1], False, 0), ((4, 5, 6), [0, 2], True, 0)],
    "argmax": [((40,), [], False, 0), ((12, 10), [1], False, 0), ((4, 5, 6), [0], True, 0)],
    "var": [((8, 6), [1], False, 0), ((3, 6), [1], False, 6), ((6, 3), [0], True, 9),
            ((4, 6), [1], False, 5)],
}
STRUCTURAL = [
    ((13, 9), [0], False, "Fortran-order, axis 0", True),
    ((13, 9), [1], True, "Fortran-order, axis 1", True),
    ((4, 5, 6), [0, 2], False, "Fortran-order 3-d, axes 0 and 2", True),
    ((7,), [], False, "length 7", False), ((9,), [], False, "length 9", False),
    ((17,), [], False, "length 17", False), ((33,), [], False, "length 33", False),
    ((65,), [], False, "length 65", False), ((129,), [], False, "length 129", False),
    ((1031,), [], False, "length 1031", False),
    ((3, 127), [-1], True, "rows of 127", False),
    ((33, 3, 5), [0], False, "columns of 33", False),
    ((7, 1, 5), [1], False, "length-1 axis", False),
    ((0, 5), [1], False, "empty output", False),
    ((4, 0, 3), [2], True, "empty output, keepdims", False),
    ((), [], False, "0-d", False),
    ((0,), [], False, "length 0", False),
    ((3, 0), [1], False, "rows of length 0", False),
]


def structural_allowed(op, shape, axis):
    if op == "argmax" and (len(shape) == 0 or (len(axis) == 0 and len(shape) > 1)):
        return False
    n = int(np.prod([shape[a] for a in axis])) if axis else int(np.prod(shape))
    if op in ("max", "min", "argmax") and n == 0:
        return False  # NumPy and our spec raise
    if op == "sum" and n == 0:
        return False  # all zeros: vacuous
    return True


def cases():
    out = []
    for op in ("sum", "mean", "max", "min", "argmax", "var"):
        table = "argmax" if op == "argmax" else "var" if op == "var" else "default"
        for shape, axis, keep, ddof in EXACT[table]:
            note = {"sum": "integers |x| ≤ 100: every partial sum exact",
                    "mean": "integers |x| ≤ 100: exact sum, one rounded division",
                    "var": "integers |x| ≤ 8 over 2^k elements: exact but the final division"}
            out.append(Case(op, "exact", note.get(op, "integers |x| ≤ 4n: ties") +
                            f"; {shape} axis {axis}", case_make(op, shape, axis, keep, ddof,
                                                                exact_data(op))))
        for shape, axis, keep, ddof in RANDOM[table]:
            out.append(Case(op, "random", f"{shape} axis {axis}",
                            case_make(op, shape, axis, keep, ddof, random_data)))
        for shape, axis, keep, ddof in ADVERSARIAL[table]:
            density = 0.03 if op == "var" else 0.1
            note = f"specials ({density:.0%}); {shape} axis {axis}"
            if op == "var" and ddof >= shape[axis[0]]:
                note += f"; ddof {ddof} ≥ n: divide by zero"
            elif op == "var" and ddof == shape[axis[0]] - 1:
                note += f"; ddof {ddof} = n − 1"
            out.append(Case(op, "adversarial", note,
                            case_make(op, shape, axis, keep, ddof, adversarial_data(density))))
        if op in ("sum", "mean", "var"):
            out.append(Case(op, "adversarial", "cancellation: ±2^k and O(1) values",
                            case_make(op, (6, 40), [1], False, 0, cancellation_data)))
        if op == "var":
            out.append(Case(op, "adversarial", "large common offset (two-pass matters)",
                            case_make(op, (5, 64), [1], False, 1, offset_data)))
        if op in ("max", "min"):
            out.append(Case(op, "adversarial",
                            "NumPy differs: at a +0/−0 tie NumPy keeps the later element, "
                            "IEEE 754-2019 (our spec) " + ("+0" if op == "max" else "−0"),
                            case_make(op, (4, 2), [1], False, 0, signed_zero_tie,
                                      keep_zero_signs=True)))
        for shape, axis, keep, note, fort in STRUCTURAL:
            if not structural_allowed(op, shape, axis):
                continue
            if op == "argmax" and len(axis) > 1:
                axis = [axis[0]]
            ddof = 1 if op == "var" else 0
            out.append(Case(op, "structural", note,
                            case_make(op, shape, axis, keep, ddof, random_data, fort)))
    return out
