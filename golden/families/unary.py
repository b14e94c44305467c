# golden/families/unary.py — golden cases of neg, abs, sqrt, exp, log, tanh.
# What it is: np.negative, np.abs, np.sqrt, np.exp, np.log, np.tanh in float32/float64 over the
# four regimes, with each op's domain from verify/ops/unary.cpp. relu, sigmoid and gelu are not
# NumPy functions (PyTorch's; later). What it is not: our definitions or accuracy claims — with
# NumPy's SIMD dispatch off (golden/generate.py) exp/log/tanh are glibc's expf/exp, logf/log,
# tanhf/tanh, which `veritensor golden` grades against the float128 reference.
import numpy as np

from .common import (Case, c_order, check_dtype, fortran, log_uniform, mixed, small_ints,
                     specials, sprinkle)

UFUNC = {"neg": np.negative, "abs": np.abs, "sqrt": np.sqrt, "exp": np.exp, "log": np.log,
         "tanh": np.tanh}
# Random-regime domains (verify/ops/unary.cpp).
DOMAIN = {"neg": (-4.0, 4.0), "abs": (-4.0, 4.0), "sqrt": (0.0, 4.0), "exp": (-20.0, 20.0),
          "log": (0.0, 4.0), "tanh": (-5.0, 5.0)}


def apply(op, dt, x):
    y = np.asarray(UFUNC[op](x))
    check_dtype(dt, y)
    return c_order(y)


def make_exact(op, shape):
    """neg, abs: integers (and −0); sqrt: squares of integers and of halves — exact results."""
    def make(rng, dt):
        if op == "sqrt":
            r = rng.integers(0, 4096, size=shape) / rng.choice([1.0, 2.0, 4.0], size=shape)
            x = (r * r).astype(dt)
        else:
            x = small_ints(rng, shape, dt, 1 << 20)
            x.flat[0] = -0.0
        return {}, [x], [apply(op, dt, x)]
    return make


def make_random(op, shape):
    def make(rng, dt):
        lo, hi = DOMAIN[op]
        return {}, [x := mixed(rng, shape, dt, lo, hi)], [apply(op, dt, x)]
    return make


def make_wide(op, shape):
    """Log-uniform magnitudes over most of the exponent range the op accepts."""
    def make(rng, dt):
        fi = np.finfo(dt)
        top = {"exp": np.log2(np.log(fi.max)), "tanh": 6.0}.get(op, fi.maxexp - 1.0)
        signed = op not in ("sqrt", "log")
        x = log_uniform(rng, shape, dt, fi.minexp - fi.nmant + 1, top, signed)
        return {}, [x], [apply(op, dt, x)]
    return make


def edge_values(op, dt):
    """Inputs next to the op's own thresholds: exp's overflow and underflow, log near 1, tanh
    near its rounding to ±1 and its small-argument range."""
    fi = np.finfo(dt)
    if op == "exp":
        hi, lo = np.log(fi.max), np.log(fi.smallest_subnormal)
        v = [hi, np.nextafter(dt(hi), dt(np.inf)), np.nextafter(dt(hi), dt(-np.inf)), lo,
             lo - 1, lo + 1, np.log(fi.tiny), -fi.eps, fi.eps, 0.5 * fi.eps, 1e-10, -1e-10]
    elif op == "log":
        v = [1.0, 1 + fi.eps, 1 - fi.epsneg, 2.0, 0.5, fi.tiny, fi.smallest_subnormal, fi.max,
             1.0625, 0.9375, 1e-30 if dt == np.float64 else 1e-20, 7.0]
    elif op == "tanh":
        v = [fi.eps, -fi.eps, 1e-5, 0.3, 0.55, 0.9, 9.0, 19.0, -19.0, 22.0, -40.0, fi.tiny]
    elif op == "sqrt":
        v = [fi.max, fi.tiny, fi.smallest_subnormal, 2.0, 0.5, 3.0, 1 + fi.eps, 1 - fi.epsneg,
             fi.smallest_subnormal * 3, 1e-30, 5.0, 0.1]
    else:
        v = [fi.max, -fi.max, fi.tiny, -fi.tiny, fi.smallest_subnormal, -fi.smallest_subnormal,
             1.5, -2.5, 0.1, -0.1, 1e-30, -1e-30]
    return np.array(v, dtype=np.float64).astype(dt)


def make_adversarial(op, shape):
    def make(rng, dt):
        lo, hi = DOMAIN[op]
        pool = np.concatenate([specials(dt), edge_values(op, dt)])
        x = sprinkle(rng, mixed(rng, shape, dt, lo, hi), dt, 0.4, pool)
        return {}, [x], [apply(op, dt, x)]
    return make


def make_edges(op):
    def make(rng, dt):
        x = np.concatenate([specials(dt), edge_values(op, dt)])
        return {}, [x], [apply(op, dt, x)]
    return make


def make_structural(op, shape, fort):
    def make(rng, dt):
        lo, hi = DOMAIN[op]
        x = mixed(rng, shape, dt, lo, hi)
        x = fortran(x) if fort else x
        return {}, [x], [apply(op, dt, x)]
    return make


STRUCTURAL = [((13, 9), True, "Fortran-order (13, 9)"),
              ((4, 5, 6), True, "Fortran-order 3-d (4, 5, 6)"),
              ((7,), False, "length 7"), ((17,), False, "length 17"), ((33,), False, "length 33"),
              ((127,), False, "length 127"), ((1031,), False, "length 1031"),
              ((0,), False, "empty"), ((2, 0, 3), False, "empty 3-d"), ((1,), False, "size 1"),
              ((), False, "0-d")]


def cases():
    out = []
    for op in UFUNC:
        if op in ("neg", "abs", "sqrt"):
            for shape in ((37,), (6, 11)):
                out.append(Case(op, "exact", "integers (and −0)" if op != "sqrt" else
                                "squares of integers and halves", make_exact(op, shape)))
        out.append(Case(op, "random", "domain %g…%g, uniform and log-uniform" % DOMAIN[op],
                        make_random(op, (200,))))
        out.append(Case(op, "random", "domain %g…%g, (8, 25)" % DOMAIN[op],
                        make_random(op, (8, 25))))
        out.append(Case(op, "random", "log-uniform over the exponent range", make_wide(op, (300,))))
        out.append(Case(op, "adversarial", "specials and edge values, one each",
                        make_edges(op)))
        out.append(Case(op, "adversarial", "specials and edge values (40%) among random values",
                        make_adversarial(op, (12, 16))))
        for shape, fort, note in STRUCTURAL:
            out.append(Case(op, "structural", note, make_structural(op, shape, fort)))
    for c in out:
        if c.op == "tanh":
            c.make = with_float32_note(c.make, TANHF_NOTE)
    return out


TANHF_NOTE = ("float32: NumPy's rounding: glibc's tanhf (the baseline loop) is up to ~2 ulp; our "
              "class for float32 is 1 ulp")


def with_float32_note(make, note):
    """make, with `note` added to the float32 cases (where `veritensor golden` may report the
    library's rounding outside our class)."""
    def mk(rng, dt):
        made = make(rng, dt)
        return tuple(made[:3]) + ((note,) if dt == np.float32 else ())
    return mk
