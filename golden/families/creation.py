# golden/families/creation.py — golden cases of zeros, ones, full, arange, eye.
# What it is: np.zeros, np.ones, np.full, np.arange, np.eye called with dtype=float32/float64 and
# our attributes (verify/ops/creation.cpp): shape; full's value (a double); arange's start, stop,
# step (doubles); eye's n, m (−1 = n), k. No inputs. What it is not: our definition. Where
# NumPy's differs: arange computes start + i·delta in the target dtype with delta =
# (start + step) − start, not the correctly rounded start + i·step our spec promises; cases where
# the two differ say so in their note ("NumPy differs", counted against an exact rational
# evaluation here). full's value NaN or ±inf is written "nan", "inf", "-inf" in the manifest
# (strict JSON has no spelling for them; golden/generate.py's clean_attrs).
import math
from fractions import Fraction

import numpy as np

from .common import Case


def correctly_rounded(q, dt):
    """The rational q rounded to nearest-even in dt (gradual underflow, overflow to ±inf)."""
    if q == 0:
        return dt(0.0)
    fi = np.finfo(dt)
    p, emin = fi.nmant + 1, fi.minexp
    a = abs(q)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    e = max(e, emin)
    m = round(a * Fraction(2) ** (p - 1 - e))  # Fraction rounds half to even
    v = Fraction(m) * Fraction(2) ** (e - p + 1)
    r = math.inf if v >= Fraction(2) ** fi.maxexp else float(v)
    return dt(-r if q < 0 else r)


def arange_mismatches(y, start, step, dt):
    s, d = Fraction(start), Fraction(step)
    return sum(1 for i, v in enumerate(y) if not np.array_equal(
        np.array(v, dt), np.array(correctly_rounded(s + i * d, dt), dt), equal_nan=True) or
        np.signbit(v) != np.signbit(correctly_rounded(s + i * d, dt)))


def fill(op, shape, value=None):
    def mk(rng, dt):
        if op == "zeros":
            y = np.zeros(shape, dtype=dt)
        elif op == "ones":
            y = np.ones(shape, dtype=dt)
        else:
            y = np.full(shape, value, dtype=dt)
        attrs = {"shape": list(shape)}
        if op == "full":
            attrs["value"] = float(value)
        return attrs, [], [y]
    return mk


def arange(start, stop, step):
    def mk(rng, dt):
        y = np.arange(start, stop, step, dtype=dt)
        attrs = {"start": float(start), "stop": float(stop), "step": float(step)}
        bad = arange_mismatches(y, start, step, dt)
        extra = (f"NumPy differs from the correctly rounded start + i·step at {bad} of {y.size}"
                 if bad else "")
        return attrs, [], [y], extra
    return mk


def eye(n, m, k):
    def mk(rng, dt):
        y = np.eye(n, None if m == -1 else m, k, dtype=dt)
        return {"n": n, "m": m, "k": k}, [], [y]
    return mk


def random_full(shape):
    def mk(rng, dt):
        value = float(rng.uniform(-100, 100))
        return fill("full", shape, value)(rng, dt)
    return mk


T24, T52, T60 = 2.0**-24, 2.0**-52, 2.0**-60
FMAX32_MID = 3.4028235677973366e38  # halfway between float32's max and 2^128


def cases():
    out = []
    for op in ("zeros", "ones"):
        out += [Case(op, "exact", "vector", fill(op, (37,))),
                Case(op, "exact", "4-d", fill(op, (2, 3, 4, 5))),
                Case(op, "structural", "0-d", fill(op, ())),
                Case(op, "structural", "empty", fill(op, (0,))),
                Case(op, "structural", "empty 3-d", fill(op, (5, 0, 3))),
                Case(op, "structural", "size 33", fill(op, (33,))),
                Case(op, "structural", "unit dim", fill(op, (7, 1, 13)))]
    out += [Case("full", "exact", "value -7.25", fill("full", (3, 5), -7.25)),
            Case("full", "exact", "value 2.5, 4-d", fill("full", (2, 3, 4, 5), 2.5)),
            Case("full", "random", "random value in [-100, 100]", random_full((3, 5))),
            Case("full", "random", "random value, (37,)", random_full((37,)))]
    for v, note in ((0.1, "0.1 (rounded)"), (-0.0, "−0"),
                    (1 + T24, "1 + 2^-24: float32 tie → 1"),
                    (1 + 3 * T24, "1 + 3·2^-24: float32 tie → 1 + 2^-22"),
                    (1e300, "1e300: float32 overflow → inf"),
                    (-FMAX32_MID, "−(float32 max + ½ulp): tie → −inf"),
                    (1e-40, "1e-40: float32 subnormal"), (5e-324, "float64 denorm_min")):
        out.append(Case("full", "adversarial", "value " + note, fill("full", (3, 5), v)))
    for v, note in ((math.nan, "NaN"), (math.inf, "+inf"), (-math.inf, "−inf")):
        out.append(Case("full", "adversarial", f"value {note} (manifest spelling \"{v}\")",
                        fill("full", (2, 3), v)))
    out += [Case("full", "structural", "0-d", fill("full", (), 0.3)),
            Case("full", "structural", "empty 2-d", fill("full", (0, 5), 0.3)),
            Case("full", "structural", "size 129", fill("full", (129,), 0.3))]

    out += [Case("arange", "exact", "integers", arange(0.0, 10.0, 1.0)),
            Case("arange", "exact", "negative step -0.25", arange(1.0, -1.0, -0.25)),
            Case("arange", "exact", "step 0.75 below 2^24", arange(1000.0, 1100.0, 0.75)),
            Case("arange", "random", "step 0.1", arange(0.0, 1.0, 0.1)),
            Case("arange", "random", "crossing zero with step 0.1", arange(-3.0, 3.0, 0.1)),
            Case("arange", "random", "step 0.001, 999 elements", arange(0.001, 1.0, 0.001)),
            Case("arange", "random", "crossing 1 with a step of 1/3072",
                 arange(0.9, 1.3, 1.0 / 1024 / 3)),
            Case("arange", "adversarial", "crossing 2^24 (float32 spacing 1 → 2)",
                 arange(16777200.0, 16777300.0, 0.75)),
            Case("arange", "adversarial", "crossing 2^53 (float64 spacing 1 → 2)",
                 arange(9007199254740900.0, 9007199254741100.0, 0.75)),
            Case("arange", "adversarial", "large start, small step",
                 arange(1e10, 1e10 + 1000, 0.1)),
            Case("arange", "adversarial", "tiny values around zero", arange(-1e-30, 1e-30, 3e-33)),
            Case("arange", "adversarial", "float32 subnormal range", arange(1e-45, 1e-43, 7e-47)),
            Case("arange", "adversarial", "float32 midpoint + tiny steps",
                 arange(1 + T24, 1 + T24 + T52, T60)),
            Case("arange", "adversarial", "across float32's overflow threshold",
                 arange(FMAX32_MID - 1e30, FMAX32_MID + 1e31, 1e30)),
            Case("arange", "structural", "empty (stop = start)", arange(5.0, 5.0, 1.0)),
            Case("arange", "structural", "empty (stop below start)", arange(5.0, 1.0, 1.0)),
            Case("arange", "structural", "one element", arange(2.5, 3.0, 10.0)),
            Case("arange", "structural", "length 33", arange(-1.5, -1.5 + 33 * 0.75 - 0.25, 0.75)),
            Case("arange", "structural", "length 129", arange(-1.5, -1.5 + 129 * 0.75 - 0.25,
                                                              0.75))]

    out += [Case("eye", "exact", "square", eye(3, -1, 0)),
            Case("eye", "exact", "wide", eye(4, 6, 0)),
            Case("eye", "exact", "tall, k = 2", eye(6, 4, 2)),
            Case("eye", "exact", "k = −2", eye(5, -1, -2)),
            Case("eye", "structural", "k beyond the columns", eye(3, -1, 5)),
            Case("eye", "structural", "k beyond the rows", eye(3, 4, -10)),
            Case("eye", "structural", "empty", eye(0, -1, 0)),
            Case("eye", "structural", "1 × 1", eye(1, -1, 0)),
            Case("eye", "structural", "no columns", eye(3, 0, 0)),
            Case("eye", "structural", "33 × 65, k = −1", eye(33, 65, -1))]
    return out
