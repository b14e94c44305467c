#!/usr/bin/python3
"""bench/peers.py — the NumPy and PyTorch peers of `veritensor bench`, and its plot.

What it is: one long-lived process that `veritensor bench` starts (/usr/bin/python3, Debian's
NumPy 1.24 and PyTorch 1.13) and talks to in JSON lines:
  it prints   {"hello": {"numpy": "1.24.2", "torch": "1.13.0a0", "matplotlib": …, "*_error": …}}
  then reads  {"cmd": "measure", "op": …, "shapes": [[…]…], "attrs": {…}, "dtype": "float32",
               "threads": N, "peers": ["numpy", "torch"], "sample_time": S, "samples": K}
  and answers {"numpy": {"median_s": …, "min_s": …, "max_s": …, "samples": […], "form": "…"}
               | {"error": "…"}, "torch": …}
  or reads    {"cmd": "plot", "path": "x.png", "title": …, "rows": [{"label": …, "threads": N,
               "ratios": {"numpy": r, …}}]} and answers {"ok": true} or {"error": …};
  {"cmd": "quit"} ends it.
Timing follows perf-baselines.md: 2 warm-up calls, a repeat count chosen so that one sample lasts
at least sample_time, K samples, the median per call reported (time.perf_counter_ns). Inputs are
uniform in [-4, 4) in the requested dtype; outputs are preallocated and written with out= (or an
in-place copy_/fill_) wherever the library has such a form.
The program workloads (linear_fwd_bwd, mlp_step, autograd_*) follow perf-baselines.md's forms
(grads set to None each call); NumPy has a hand-written form for linear_fwd_bwd only ("n/a: no
autograd" for the others).
What it is not: verified, and not a general benchmark suite — only the ops the workloads name.
"""
import ctypes
import json
import math
import os
import sys

# stdout carries the protocol only: anything a library prints goes to stderr.
_protocol = sys.stdout
sys.stdout = sys.stderr

hello = {}
try:
    import numpy as np
    hello["numpy"] = np.__version__
except Exception as e:  # noqa: BLE001 — report any import failure
    np = None
    hello["numpy_error"] = f"{type(e).__name__}: {e}"
try:
    import torch
    hello["torch"] = torch.__version__
except Exception as e:  # noqa: BLE001
    torch = None
    hello["torch_error"] = f"{type(e).__name__}: {e} (Debian package python3-torch)"


def find_openblas():
    """The OpenBLAS that NumPy (and Debian's PyTorch) loaded, to set its thread count."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line and "/" in line}
    except OSError:
        return None
    for p in sorted(paths):
        try:
            lib = ctypes.CDLL(p)
            if hasattr(lib, "openblas_set_num_threads"):
                return lib
        except OSError:
            continue
    return None


blas = find_openblas() if np is not None else None
hello["openblas_threads_settable"] = blas is not None


def send(obj):
    _protocol.write(json.dumps(obj) + "\n")
    _protocol.flush()


def set_threads(n):
    if blas is not None:
        blas.openblas_set_num_threads(int(n))
    if torch is not None:
        torch.set_num_threads(int(n))


def inputs(lib, shapes, dtype):
    rng = np.random.default_rng(20261126)
    arrays = [(rng.random(s, dtype=np.float64) * 8 - 4).astype(dtype) for s in shapes]
    if lib == "torch":
        return [torch.from_numpy(a) for a in arrays]
    return arrays


def numpy_case(op, shapes, attrs, dtype):
    """(callable, form) for NumPy, or (None, reason)."""
    x = inputs("numpy", shapes, dtype)
    if op in ("zeros", "full"):
        out = np.empty(attrs["shape"], dtype)
        v = 0 if op == "zeros" else attrs["value"]
        return (lambda: out.fill(v)), "out.fill(v)"
    if op in ("add", "mul"):
        out = np.empty_like(x[0])
        f = np.add if op == "add" else np.multiply
        return (lambda: f(x[0], x[1], out=out)), f"np.{f.__name__}(a, b, out=c)"
    if op == "matmul":
        out = np.empty((shapes[0][0], shapes[1][1]), dtype)
        return (lambda: np.matmul(x[0], x[1], out=out)), "np.matmul(a, b, out=c)"
    if op == "sum":
        axis = attrs.get("axis", [])
        ax = None if not axis else tuple(axis)
        out = np.empty(np.sum(x[0], axis=ax).shape, dtype)
        return (lambda: np.sum(x[0], axis=ax, out=out)), f"np.sum(x, axis={ax}, out=o)"
    if op == "transpose":
        out = np.empty(tuple(reversed(shapes[0])), dtype)
        return (lambda: np.copyto(out, x[0].T)), "np.copyto(o, x.T)"
    if op in ("softmax", "log_softmax"):
        out = np.empty_like(x[0])
        axis = attrs.get("axis", -1)

        def softmax():  # what a NumPy user writes: max-shifted, in place in the output
            np.subtract(x[0], x[0].max(axis=axis, keepdims=True), out=out)
            np.exp(out, out=out)
            np.divide(out, out.sum(axis=axis, keepdims=True), out=out)

        def log_softmax():
            np.subtract(x[0], x[0].max(axis=axis, keepdims=True), out=out)
            np.subtract(out, np.log(np.exp(out).sum(axis=axis, keepdims=True)), out=out)

        if op == "softmax":
            return softmax, "x - max, np.exp(out=), / sum (out=)"
        return log_softmax, "x - max, - log(sum(exp)) (out=)"
    if op == "linear":
        out = np.empty((shapes[0][0], shapes[1][0]), dtype)
        wt = x[1].T

        def linear():
            np.matmul(x[0], wt, out=out)
            np.add(out, x[2], out=out)

        return linear, "np.matmul(x, W.T, out=y); np.add(y, b, out=y)"
    if op == "linear_fwd_bwd":
        # Forward and backward written by hand (NumPy has no autograd): y = x·Wᵀ + b, L = Σy,
        # g = ones, x.grad = g·W, W.grad = gᵀ·x, b.grad = Σ_rows g — preallocated out= forms.
        bsz, n = shapes[0][0], shapes[1][0]
        y = np.empty((bsz, n), dtype)
        g = np.empty((bsz, n), dtype)
        gx, gw, gb = np.empty_like(x[0]), np.empty_like(x[1]), np.empty_like(x[2])
        wt = x[1].T

        def linear_fwd_bwd():
            np.matmul(x[0], wt, out=y)
            np.add(y, x[2], out=y)
            y.sum()
            g.fill(1)
            np.matmul(g, x[1], out=gx)
            np.matmul(g.T, x[0], out=gw)
            np.sum(g, axis=0, out=gb)

        return linear_fwd_bwd, ("y = x@W.T + b; y.sum(); g = 1; gx = g@W; gW = g.T@x; "
                                "gb = g.sum(0) (out= forms)")
    if op in ("mlp_step", "autograd_mul_sum", "autograd_chain"):
        return None, "n/a: no autograd"
    return None, f"no NumPy form for {op}"


def torch_case(op, shapes, attrs, dtype):
    x = inputs("torch", shapes, dtype)
    if op in ("zeros", "full"):
        out = torch.empty(attrs["shape"], dtype=getattr(torch, dtype))
        if op == "zeros":
            return (lambda: out.zero_()), "out.zero_()"
        v = attrs["value"]
        return (lambda: out.fill_(v)), "out.fill_(v)"
    if op in ("add", "mul"):
        out = torch.empty_like(x[0])
        f = torch.add if op == "add" else torch.mul
        return (lambda: f(x[0], x[1], out=out)), f"torch.{f.__name__}(a, b, out=c)"
    if op == "matmul":
        out = torch.empty((shapes[0][0], shapes[1][1]), dtype=x[0].dtype)
        return (lambda: torch.mm(x[0], x[1], out=out)), "torch.mm(a, b, out=c)"
    if op == "sum":
        axis = attrs.get("axis", [])
        if not axis:
            return (lambda: x[0].sum()), "x.sum()"
        out = torch.empty(x[0].sum(dim=tuple(axis)).shape, dtype=x[0].dtype)
        return (lambda: torch.sum(x[0], dim=tuple(axis), out=out)), "torch.sum(x, dim, out=o)"
    if op == "transpose":
        out = torch.empty(tuple(reversed(shapes[0])), dtype=x[0].dtype)
        return (lambda: out.copy_(x[0].t())), "o.copy_(x.t())"
    if op in ("softmax", "log_softmax"):
        f = torch.softmax if op == "softmax" else torch.log_softmax
        axis = attrs.get("axis", -1)
        return (lambda: f(x[0], axis)), f"torch.{op}(x, {axis})"
    if op == "linear":
        f = torch.nn.functional.linear

        def linear():
            with torch.no_grad():
                f(x[0], x[1], x[2])

        return linear, "F.linear(x, W, b) under no_grad"
    if op == "linear_fwd_bwd":
        # perf-baselines.md's "fwd+bwd" row: grads set to None, forward, .sum().backward(); x, W
        # and b all require grad, as the leaves of ours do.
        lin = torch.nn.Linear(shapes[0][1], shapes[1][0])
        with torch.no_grad():
            lin.weight.copy_(x[1])
            lin.bias.copy_(x[2])
        xs = x[0].clone().requires_grad_(True)

        def linear_fwd_bwd():
            xs.grad = None
            lin.zero_grad(set_to_none=True)
            lin(xs).sum().backward()

        return linear_fwd_bwd, "nn.Linear; grads = None; lin(x).sum().backward() (x requires grad)"
    if op == "mlp_step":
        # The training check's network and hyper-parameters (verify/harness/training.cpp:
        # kSgd*, kAdam*), perf-baselines.md's form: zero_grad(set_to_none=True), forward,
        # CrossEntropyLoss (mean), backward, optimizer step; the single-tensor optimizer loop
        # (foreach=False), as ours updates one parameter at a time.
        torch.manual_seed(0)
        dims = attrs.get("layers", [784, 256, 128, 10])
        layers = []
        for i in range(len(dims) - 1):
            layers.append(torch.nn.Linear(dims[i], dims[i + 1]))
            if i + 2 < len(dims):
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers).to(getattr(torch, dtype))
        loss_fn = torch.nn.CrossEntropyLoss()
        if attrs.get("optimizer") == "adam":
            opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                   weight_decay=0, foreach=False)
            form = "Adam(lr=1e-3, foreach=False)"
        else:
            opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, dampening=0,
                                  weight_decay=5e-4, nesterov=False, foreach=False)
            form = "SGD(lr=0.05, momentum=0.9, weight_decay=5e-4, foreach=False)"
        xb = x[0] / 4  # uniform in [-1, 1), as the training check's data
        yb = torch.randint(0, dims[-1], (shapes[0][0],))

        def mlp_step():
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xb), yb).backward()
            opt.step()

        return mlp_step, ("nn.Sequential(Linear, ReLU, …); zero_grad(set_to_none=True); "
                          "CrossEntropyLoss()(model(x), y).backward(); " + form + ".step()")
    if op == "autograd_mul_sum":
        xs, ws = x[0].requires_grad_(True), x[1].requires_grad_(True)

        def mul_sum():
            xs.grad = None
            ws.grad = None
            (xs * ws).sum().backward()

        return mul_sum, "grads = None; (x*w).sum().backward()"
    if op == "autograd_chain":
        xs = x[0].requires_grad_(True)
        pairs = int(attrs.get("pairs", 50))

        def chain():
            xs.grad = None
            h = xs
            for _ in range(pairs):
                h = h * 1.01
                h = h + 0.01
            h.sum().backward()

        return chain, f"grads = None; {pairs} × (h = h*1.01; h = h+0.01); h.sum().backward()"
    return None, f"no PyTorch form for {op}"


def measure(fn, sample_time, samples):
    from time import perf_counter_ns as now
    fn()
    fn()
    t0 = now()
    fn()
    one = max(now() - t0, 1)
    reps = max(1, math.ceil(sample_time * 1e9 / one))
    per_call = []
    for _ in range(samples):
        t0 = now()
        for _ in range(reps):
            fn()
        per_call.append((now() - t0) / reps / 1e9)
    s = sorted(per_call)
    return {"median_s": s[len(s) // 2], "min_s": s[0], "max_s": s[-1], "samples": per_call,
            "calls_per_sample": reps}


def do_measure(req):
    ans = {}
    set_threads(req.get("threads", 1))
    for peer in req.get("peers", []):
        lib = np if peer == "numpy" else torch if peer == "torch" else None
        if lib is None or np is None:
            ans[peer] = {"error": hello.get(f"{peer}_error", f"{peer} is not available")}
            continue
        try:
            make = numpy_case if peer == "numpy" else torch_case
            fn, form = make(req["op"], req["shapes"], req.get("attrs", {}), req["dtype"])
            if fn is None:
                ans[peer] = {"error": form}
                continue
            r = measure(fn, float(req.get("sample_time", 0.05)), int(req.get("samples", 5)))
            r["form"] = form
            r["threads"] = req.get("threads", 1)
            ans[peer] = r
        except Exception as e:  # noqa: BLE001 — one peer's failure is reported, not fatal
            ans[peer] = {"error": f"{type(e).__name__}: {e}"}
    return ans


def do_plot(req):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as e:  # noqa: BLE001
        return {"error": f"matplotlib is missing ({e}); Debian package python3-matplotlib"}
    rows = req["rows"]
    peers = [p for p in ("openblas", "peak", "loop", "copy", "numpy", "torch")
             if any(p in r["ratios"] for r in rows)]
    thread_counts = sorted({r["threads"] for r in rows})
    fig, axes = plt.subplots(1, len(thread_counts), squeeze=False,
                             figsize=(6 * len(thread_counts), 0.32 * len(rows) + 2))
    for ax, t in zip(axes[0], thread_counts):
        sub = [r for r in rows if r["threads"] == t]
        height = 0.8 / max(1, len(peers))
        for k, p in enumerate(peers):
            ys = [i + k * height for i in range(len(sub))]
            vals = [r["ratios"].get(p, float("nan")) for r in sub]
            ax.barh(ys, vals, height=height, label=p)
        ax.set_yticks([i + 0.4 - height / 2 for i in range(len(sub))])
        ax.set_yticklabels([r["label"] for r in sub], fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xlabel("peer time / our time (> 1: veritensor faster)")
        ax.set_title(f"{t} thread(s)")
        ax.legend(fontsize=7)
    fig.suptitle(req.get("title", "veritensor bench"), fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))  # room for the title
    path = req["path"]
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)
    return {"ok": True}


def main():
    try:
        import matplotlib  # noqa: F401 — only reported here; imported for real by do_plot
        hello["matplotlib"] = matplotlib.__version__
    except Exception as e:  # noqa: BLE001
        hello["matplotlib_error"] = f"{e} (Debian package python3-matplotlib)"
    send({"hello": hello})
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        cmd = req.get("cmd")
        if cmd == "quit":
            break
        if cmd == "measure":
            send(do_measure(req))
        elif cmd == "plot":
            try:
                send(do_plot(req))
            except Exception as e:  # noqa: BLE001
                send({"error": f"{type(e).__name__}: {e}"})
        else:
            send({"error": f"unknown command {cmd!r}"})


if __name__ == "__main__":
    main()
