# golden/families/torch_forward.py — PyTorch forward cases of the ops NumPy lacks: softmax,
# log_softmax, logsumexp, cross_entropy, nll_loss, mse_loss, linear, relu, sigmoid, gelu, and one
# step of torch.optim.SGD / Adam / AdamW and torch.nn.utils.clip_grad_norm_.
# What it is: PyTorch 1.13 (CPU, dispatch pinned to ATen's "default" capability by
# golden/generate.py) called with our attributes (verify/ops/*.cpp) over the four regimes, in the
# case dtype. What it is not: our definition. PyTorch 1.13's Adam/AdamW update exp_avg as
# mul_(β1).add_(g', alpha = 1 − β1), where our spec's rounding model (and PyTorch ≥ 2.0) uses
# lerp_; the same value in exact arithmetic, so the cases are kept and graded as any other.
import numpy as np
import torch

from .common import Case, fortran, mixed, small_ints, specials, sprinkle
from .torch_common import forward, tensor

LIBRARY = "torch"


def shifted(rng, dt, shape):
    """Rows whose exp overflows: values in [−10, 10] plus a shift past log(max)."""
    shift = 100.0 if dt == np.float32 else 800.0
    return (mixed(rng, shape, dt, -10.0, 10.0) + dt(shift)).astype(dt)


def data(kind, lo=-4.0, hi=4.0, density=0.15):
    def d(rng, dt, shape):
        if kind == "exact":
            return small_ints(rng, shape, dt, 8)
        if kind == "adversarial":
            return sprinkle(rng, mixed(rng, shape, dt, lo, hi), dt, density)
        if kind == "shift":
            return shifted(rng, dt, shape)
        return mixed(rng, shape, dt, lo, hi)
    return d


def one_input(op, shape, attrs, gen, fort=False):
    def mk(rng, dt):
        x = gen(rng, dt, shape)
        x = fortran(x) if fort else x
        return attrs, [x], [forward(op, [x], attrs, dt)]
    return mk


# ---- softmax, log_softmax, logsumexp, relu, sigmoid, gelu -------------------------------------

def axis_cases(op):
    """softmax/log_softmax ("axis": int) and logsumexp ("axis": [ints], "keepdims")."""
    lse = op == "logsumexp"

    def at(axis, keep=False):
        return {"axis": list(axis), "keepdims": keep} if lse else {"axis": axis}
    ten = data("random", -10.0, 10.0)
    out = [Case(op, "random", "(5, 7) last axis", one_input(op, (5, 7), at([1] if lse else -1),
                                                          ten)),
           Case(op, "random", "(4, 6) axis 0", one_input(op, (4, 6), at([0] if lse else 0), ten)),
           Case(op, "random", "(2, 3, 5) middle axis",
                one_input(op, (2, 3, 5), at([1], True) if lse else at(1), ten)),
           Case(op, "adversarial", "specials (15%) in rows of 8",
                one_input(op, (6, 8), at([1] if lse else -1), data("adversarial", -10, 10))),
           Case(op, "adversarial", "exp overflows without the max shift",
                one_input(op, (4, 9), at([1] if lse else 1), data("shift"))),
           Case(op, "structural", "Fortran-order (9, 6), axis 0",
                one_input(op, (9, 6), at([0] if lse else 0), ten, fort=True)),
           Case(op, "structural", "Fortran-order (5, 7), axis 1",
                one_input(op, (5, 7), at([1] if lse else 1), ten, fort=True)),
           Case(op, "structural", "rows of 33", one_input(op, (3, 33), at([1] if lse else 1),
                                                          ten)),
           Case(op, "structural", "no rows", one_input(op, (0, 5), at([1] if lse else 1), ten))]
    if lse:
        out += [Case(op, "random", "every axis of (3, 4, 5)", one_input(op, (3, 4, 5), at([]),
                                                                        ten)),
                Case(op, "random", "axes 0 and 2, keepdims",
                     one_input(op, (3, 4, 5), at([0, 2], True), ten)),
                Case(op, "structural", "rows of length 0: −inf",
                     one_input(op, (3, 0), at([1]), ten)),
                Case(op, "structural", "length 1", one_input(op, (4, 1), at([1]), ten))]
    else:
        out += [Case(op, "structural", "empty rows", one_input(op, (4, 0), at(1), ten)),
                Case(op, "structural", "rows of length 2", one_input(op, (5, 2), at(-1), ten))]
        if op == "softmax":
            out.append(Case(op, "structural", "0-d", one_input(op, (), at(0), ten)))
    return out


UNARY_DOMAIN = {"relu": (-4.0, 4.0), "sigmoid": (-40.0, 20.0), "gelu": (-40.0, 8.0)}


def thresholds(op, dt):
    """Inputs at the op's own edges: sigmoid's and gelu's underflow and overflow regions."""
    fi = np.finfo(dt)
    v = [0.0, -0.0, fi.tiny, -fi.tiny, 1e-30, -1e-30, 0.5, -0.5, 3.0, -3.0, 5.0, -5.0, 10.0,
         -10.0, 15.0, -15.0, 20.0, -20.0, 30.0, -30.0, 40.0, -40.0, 88.0, -88.0, 104.0, -104.0,
         710.0, -710.0, 745.0, -745.0, 1e10, -1e10]
    return np.array(v, dtype=np.float64).astype(dt)


NOTES = {
    "sigmoid": "PyTorch's rounding: 1/(1 + exp(−x)) in the dtype — float32 up to ~1.6 ulp (our "
               "class: 1), and 0 where the result is subnormal (x below ≈ −88 / −709)",
    "gelu": "PyTorch's rounding: ½·x·(1 + erf(x/√2)) cancels for x ≲ −3 (0 or few correct "
            "digits) and is NaN at −inf; our spec ½·x·erfc(−x/√2)",
    "adam_step": "PyTorch 1.13 updates exp_avg by mul_(β1).add_(g′, alpha = 1 − β1), one rounding "
                 "more than the lerp_ of our rounding model (PyTorch ≥ 2.0)",
    "clip_grad_norm": "PyTorch's rounding: its total (torch.norm of the per-tensor norm) is not "
                      "correctly rounded; our class holds output 1 to the correctly rounded value",
    ("relu", "adversarial"): "PyTorch differs: relu(−0) = −0 (clamp_min keeps the zero's sign); "
                             "our spec +0",
    ("adam_step", "adversarial"): "PyTorch's rounding: g′² overflows float32 where the exact "
                                  "value is finite (our backend recomputes in binary128)",
}
NOTES["adamw_step"] = NOTES["adam_step"]
NOTES[("adamw_step", "adversarial")] = NOTES[("adam_step", "adversarial")]


def unary_cases(op):
    lo, hi = UNARY_DOMAIN[op]
    rnd = data("random", lo, hi)
    out = []
    if op == "relu":
        out.append(Case(op, "exact", "integers and ±0", one_input(op, (40,), {}, data("exact"))))
    out += [Case(op, "random", "(37,)", one_input(op, (37,), {}, rnd)),
            Case(op, "random", "(8, 9)", one_input(op, (8, 9), {}, rnd)),
            Case(op, "adversarial", "specials", one_input(op, (16,), {},
                                                          lambda r, dt, s: specials(dt))),
            Case(op, "adversarial", "the op's thresholds",
                 one_input(op, (32,), {}, lambda r, dt, s: thresholds(op, dt))),
            Case(op, "adversarial", "specials (30%) among values",
                 one_input(op, (5, 8), {}, data("adversarial", lo, hi, 0.3))),
            Case(op, "structural", "Fortran-order (9, 7)", one_input(op, (9, 7), {}, rnd, True)),
            Case(op, "structural", "0-d", one_input(op, (), {}, rnd)),
            Case(op, "structural", "empty", one_input(op, (0, 3), {}, rnd)),
            Case(op, "structural", "length 33", one_input(op, (33,), {}, rnd))]
    return out


# ---- losses -------------------------------------------------------------------------------------

def classes(rng, n, c, ignore=None):
    t = rng.integers(0, c, size=n).astype(np.int64)
    return t


def loss_case(op, n, c, reduction, xgen, target="classes", ignore=-100, fort=False):
    """cross_entropy / nll_loss: x (N, C), target int64 (N) or probabilities (N, C)."""
    def mk(rng, dt):
        x = xgen(rng, dt, (n, c))
        x = fortran(x) if fort else x
        if target == "classes":
            t = classes(rng, n, c)
        else:
            t = rng.uniform(0, 1, size=(n, c)).astype(dt)
        attrs = {"reduction": reduction, "ignore_index": ignore}
        return attrs, [x, t], [forward(op, [x, t], attrs, dt)]
    return mk


def mse_case(shape, reduction, gen, fort=False):
    def mk(rng, dt):
        x, t = gen(rng, dt, shape), gen(rng, dt, shape)
        x = fortran(x) if fort else x
        attrs = {"reduction": reduction}
        return attrs, [x, t], [forward("mse_loss", [x, t], attrs, dt)]
    return mk


def loss_cases():
    out = []
    ten, lp = data("random", -10.0, 10.0), data("random", -8.0, 0.0)
    for op, xg in (("cross_entropy", ten), ("nll_loss", lp)):
        lo, hi = (-10.0, 10.0) if op == "cross_entropy" else (-8.0, 0.0)
        for r in ("none", "mean", "sum"):
            out.append(Case(op, "random", f"(6, 5) class indices, {r}", loss_case(op, 6, 5, r, xg)))
        out += [Case(op, "random", "ignore_index 1, mean", loss_case(op, 9, 4, "mean", xg,
                                                                      ignore=1)),
                Case(op, "random", "ignore_index 2, none", loss_case(op, 7, 3, "none", xg,
                                                                      ignore=2)),
                Case(op, "adversarial", "specials (15%) in x, sum",
                     loss_case(op, 6, 7, "sum", data("adversarial", lo, hi))),
                Case(op, "adversarial", "specials (15%) in x, none",
                     loss_case(op, 6, 7, "none", data("adversarial", lo, hi))),
                Case(op, "structural", "Fortran-order x, mean",
                     loss_case(op, 9, 5, "mean", xg, fort=True)),
                Case(op, "structural", "one class", loss_case(op, 4, 1, "none", xg)),
                Case(op, "structural", "33 classes", loss_case(op, 3, 33, "sum", xg)),
                Case(op, "structural", "no rows, mean: NaN", loss_case(op, 0, 5, "mean", xg)),
                Case(op, "structural", "no rows, sum: 0", loss_case(op, 0, 5, "sum", xg))]
        if op == "nll_loss":
            out.append(Case(op, "exact", "integer log-probabilities, sum",
                            loss_case(op, 8, 5, "sum", data("exact"))))
        else:
            out += [Case(op, "adversarial", "exp overflows without the max shift, mean",
                         loss_case(op, 5, 6, "mean", data("shift"))),
                    Case(op, "random", "probabilities, mean",
                         loss_case(op, 6, 5, "mean", ten, target="probs")),
                    Case(op, "random", "probabilities, none",
                         loss_case(op, 4, 7, "none", ten, target="probs"))]
    for r in ("none", "mean", "sum"):
        out.append(Case("mse_loss", "exact", f"integers, {r}", mse_case((5, 6), r, data("exact"))))
        out.append(Case("mse_loss", "random", f"(4, 7), {r}", mse_case((4, 7), r,
                                                                        data("random"))))
    out += [Case("mse_loss", "adversarial", "specials (15%), none",
                 mse_case((6, 5), "none", data("adversarial"))),
            Case("mse_loss", "adversarial", "specials (15%), mean",
                 mse_case((6, 5), "mean", data("adversarial"))),
            Case("mse_loss", "structural", "Fortran-order input, sum",
                 mse_case((7, 5), "sum", data("random"), True)),
            Case("mse_loss", "structural", "0-d, none", mse_case((), "none", data("random"))),
            Case("mse_loss", "structural", "empty, mean: NaN", mse_case((0, 4), "mean",
                                                                         data("random")))]
    return out


# ---- linear ---------------------------------------------------------------------------------------

def linear_case(xs, n_out, bias, gen, fort_w=False, fort_x=False):
    def mk(rng, dt):
        k = xs[-1]
        x, w = gen(rng, dt, xs), gen(rng, dt, (n_out, k))
        x = fortran(x) if fort_x else x
        w = fortran(w) if fort_w else w
        ins = [x, w] + ([gen(rng, dt, (n_out,))] if bias else [])
        return {}, ins, [forward("linear", ins, {}, dt)]
    return mk


def linear_cases():
    ex, rnd = data("exact"), data("random")
    return [Case("linear", "exact", "integers, bias", linear_case((6, 5), 4, True, ex)),
            Case("linear", "exact", "integers, no bias", linear_case((3, 7), 5, False, ex)),
            Case("linear", "random", "(8, 9) → 7, bias", linear_case((8, 9), 7, True, rnd)),
            Case("linear", "random", "(5, 16) → 3, no bias", linear_case((5, 16), 3, False, rnd)),
            Case("linear", "random", "3-d x, bias", linear_case((2, 3, 6), 4, True, rnd)),
            Case("linear", "adversarial", "specials (15%), bias",
                 linear_case((5, 6), 4, True, data("adversarial"))),
            Case("linear", "structural", "Fortran-order W (= Wᵀ contiguous)",
                 linear_case((4, 9), 5, True, rnd, fort_w=True)),
            Case("linear", "structural", "Fortran-order x, no bias",
                 linear_case((7, 5), 3, False, rnd, fort_x=True)),
            Case("linear", "structural", "1-d x", linear_case((33,), 5, True, rnd)),
            Case("linear", "structural", "empty batch", linear_case((0, 7), 5, True, rnd)),
            Case("linear", "structural", "in = 0, bias", linear_case((3, 0), 4, True, rnd)),
            Case("linear", "structural", "one output", linear_case((6, 17), 1, False, rnd))]


# ---- optimizer steps ---------------------------------------------------------------------------

def sgd_attrs(lr, mu, damp, wd, nesterov, first):
    return {"lr": lr, "momentum": mu, "dampening": damp, "weight_decay": wd,
            "nesterov": nesterov, "first_step": first}


def adam_attrs(lr, b1, b2, eps, wd, step):
    return {"lr": lr, "beta1": b1, "beta2": b2, "eps": eps, "weight_decay": wd, "step": step}


def sgd_step(p, g, buf, a):
    prm = torch.nn.Parameter(tensor(p).clone())
    prm.grad = tensor(g).clone()
    opt = torch.optim.SGD([prm], lr=a["lr"], momentum=a["momentum"], dampening=a["dampening"],
                          weight_decay=a["weight_decay"], nesterov=a["nesterov"], foreach=False)
    if a["momentum"] != 0 and not a["first_step"]:
        opt.state[prm]["momentum_buffer"] = tensor(buf).clone()
    opt.step()
    new_buf = opt.state[prm]["momentum_buffer"] if a["momentum"] != 0 else tensor(buf)
    return [prm.detach(), new_buf]


def adam_step(p, g, m, v, a, decoupled):
    prm = torch.nn.Parameter(tensor(p).clone())
    prm.grad = tensor(g).clone()
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    opt = cls([prm], lr=a["lr"], betas=(a["beta1"], a["beta2"]), eps=a["eps"],
              weight_decay=a["weight_decay"], foreach=False)
    opt.state[prm] = {"step": torch.tensor(float(a["step"] - 1)),
                      "exp_avg": tensor(m).clone(), "exp_avg_sq": tensor(v).clone()}
    opt.step()
    st = opt.state[prm]
    assert float(st["step"]) == a["step"]
    return [prm.detach(), st["exp_avg"], st["exp_avg_sq"]]


def clip_step(g, a):
    prm = torch.nn.Parameter(torch.zeros_like(tensor(g)))
    prm.grad = tensor(g).clone()
    total = torch.nn.utils.clip_grad_norm_([prm], a["max_norm"], norm_type=a["norm_type"])
    return [prm.grad, total]


def optim_case(op, attrs, shape, kind, fort=False):
    def mk(rng, dt):
        n_in = {"sgd_step": 3, "adam_step": 4, "adamw_step": 4, "clip_grad_norm": 1}[op]
        gen = data("exact") if kind == "exact" else data("random")
        xs = [gen(rng, dt, shape) for _ in range(n_in)]
        if op in ("adam_step", "adamw_step"):
            xs[3] = np.abs(xs[3]) if kind == "exact" else mixed(rng, shape, dt, 0.0, 16.0)
        if kind == "adversarial":
            xs[0] = sprinkle(rng, xs[0], dt, 0.15)
            xs[1] = sprinkle(rng, xs[1], dt, 0.1)
        xs = [fortran(x) if fort else x for x in xs]
        with torch.no_grad():
            if op == "sgd_step":
                ys = sgd_step(*xs, attrs)
            elif op == "clip_grad_norm":
                ys = clip_step(xs[0], attrs)
            else:
                ys = adam_step(*xs, attrs, op == "adamw_step")
        ys = [np.array(y.numpy(), order="C", copy=True) for y in ys]
        for y in ys:
            assert y.dtype == dt, (op, y.dtype)
        return attrs, xs, ys
    return mk


def optim_cases():
    out = []
    sgd = [(sgd_attrs(0.1, 0.0, 0.0, 0.0, False, False), "plain SGD"),
           (sgd_attrs(0.01, 0.9, 0.0, 0.0, False, True), "momentum, first step"),
           (sgd_attrs(0.05, 0.9, 0.1, 1e-2, False, False), "momentum, dampening, weight decay"),
           (sgd_attrs(0.1, 0.9, 0.0, 5e-4, True, False), "nesterov, weight decay"),
           (sgd_attrs(0.1, 0.9, 0.0, 0.0, True, True), "nesterov, first step"),
           (sgd_attrs(0.3, 0.0, 0.0, 0.25, False, False), "weight decay only")]
    adam = [(adam_attrs(1e-3, 0.9, 0.999, 1e-8, None, 1), "defaults, step 1"),
            (adam_attrs(1e-2, 0.9, 0.999, 1e-8, None, 5), "step 5"),
            (adam_attrs(1e-1, 0.9, 0.99, 1e-8, None, 10), "lr 0.1, β2 0.99, step 10"),
            (adam_attrs(1e-3, 0.9, 0.999, 1e-8, 0.1, 3), "weight decay 0.1, step 3"),
            (adam_attrs(1e-2, 0.0, 0.9, 1e-3, None, 7), "β1 0, eps 1e-3, step 7"),
            (adam_attrs(1e-3, 0.9, 0.999, 1e-8, None, 1000), "step 1000")]
    for a, note in sgd:
        out.append(Case("sgd_step", "random", note, optim_case("sgd_step", a, (5, 7), "random")))
    out += [Case("sgd_step", "exact", "integers, lr 0.5, momentum 0.5",
                 optim_case("sgd_step", sgd_attrs(0.5, 0.5, 0.0, 0.0, False, False), (9,),
                            "exact")),
            Case("sgd_step", "adversarial", "specials in param and grad",
                 optim_case("sgd_step", sgd[2][0], (6, 5), "adversarial")),
            Case("sgd_step", "structural", "Fortran-order", optim_case(
                "sgd_step", sgd[3][0], (6, 5), "random", True)),
            Case("sgd_step", "structural", "0-d", optim_case("sgd_step", sgd[2][0], (), "random")),
            Case("sgd_step", "structural", "empty", optim_case("sgd_step", sgd[2][0], (0, 3),
                                                               "random"))]
    for op, wd in (("adam_step", 0.0), ("adamw_step", 1e-2)):
        for a, note in adam:
            a = dict(a, weight_decay=wd if a["weight_decay"] is None else a["weight_decay"])
            out.append(Case(op, "random", note, optim_case(op, a, (5, 7), "random")))
        a = dict(adam[1][0], weight_decay=wd)
        out += [Case(op, "adversarial", "specials in param and grad",
                     optim_case(op, a, (6, 5), "adversarial")),
                Case(op, "structural", "Fortran-order", optim_case(op, a, (6, 5), "random", True)),
                Case(op, "structural", "0-d", optim_case(op, a, (), "random")),
                Case(op, "structural", "empty", optim_case(op, a, (0, 3), "random"))]
    for mn, note in ((1.0, "clips"), (5.0, "clips"), (1e4, "no clipping (coef 1)")):
        a = {"max_norm": mn, "norm_type": 2.0}
        out.append(Case("clip_grad_norm", "random", f"(16, 33), {note}",
                        optim_case("clip_grad_norm", a, (16, 33), "random")))
    a = {"max_norm": 1.0, "norm_type": 2.0}
    out += [Case("clip_grad_norm", "exact", "integers", optim_case("clip_grad_norm", a, (3, 4),
                                                                   "exact")),
            Case("clip_grad_norm", "structural", "Fortran-order",
                 optim_case("clip_grad_norm", a, (9, 7), "random", True)),
            Case("clip_grad_norm", "structural", "0-d", optim_case("clip_grad_norm", a, (),
                                                                   "random")),
            Case("clip_grad_norm", "structural", "length 129",
                 optim_case("clip_grad_norm", a, (129,), "random"))]
    return out


FAMILY = {"softmax": "softmax", "log_softmax": "softmax", "logsumexp": "reduction",
          "cross_entropy": "loss", "nll_loss": "loss", "mse_loss": "loss", "linear": "linear",
          "relu": "unary", "sigmoid": "unary", "gelu": "unary", "sgd_step": "optim",
          "adam_step": "optim", "adamw_step": "optim", "clip_grad_norm": "optim"}


def cases():
    out = []
    for op in ("softmax", "log_softmax", "logsumexp"):
        out += axis_cases(op)
    for op in ("relu", "sigmoid", "gelu"):
        out += unary_cases(op)
    out += loss_cases() + linear_cases() + optim_cases()
    for c in out:
        c.family = FAMILY[c.op]
        extra = [n for n in (NOTES.get(c.op), NOTES.get((c.op, c.regime))) if n]
        c.note = "; ".join([c.note] + extra)
    return out
