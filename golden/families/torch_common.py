# golden/families/torch_common.py — what the PyTorch families share: our op names and
# attributes mapped onto PyTorch 1.13 calls, and the VJP driver (torch.autograd.grad).
# What it is: `run(op, tensors, attrs)` (the forward as PyTorch computes it, in the case dtype)
# and `vjp(...)` (PyTorch's gradient of every differentiable input for given output gradients).
# What it is not: our definition of any op (verify/ops/<family>.cpp), nor the driver
# (golden/generate.py pins ATen's CPU dispatch and threads before torch is imported).
import numpy as np
import torch
import torch.nn.functional as F

from .common import INT64_MAX, c_order

TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def tensor(x):
    """A numpy array as a torch tensor sharing its memory (Fortran order stays strided)."""
    return torch.from_numpy(np.asarray(x))


def numpy(t):
    """A torch tensor as a C-order numpy copy (0-d stays 0-d)."""
    return c_order(t.detach().numpy())


def dims(axis, ndim):
    """Our reduction axes ([] = every axis) as a PyTorch dim tuple."""
    return tuple(range(ndim)) if len(axis) == 0 else tuple(int(a) for a in axis)


def slice_indices(n, start, stop, step):
    """The indices x[start:stop:step] takes along an axis of length n (our INT64_MAX = None)."""
    if step < 0 and start == INT64_MAX:
        start = None
    return list(range(*slice(start, None if stop == INT64_MAX else stop, step).indices(n)))


def run(op, xs, a):
    """PyTorch's forward of our op on tensors xs with our attributes a; one output tensor."""
    x = xs[0]
    if op in ("add", "sub", "mul", "div", "maximum", "minimum", "pow"):
        f = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
             "maximum": torch.maximum, "minimum": torch.minimum, "pow": torch.pow}[op]
        return f(xs[0], xs[1])
    if op in ("neg", "abs", "sqrt", "exp", "log", "tanh", "relu", "sigmoid"):
        return getattr(torch, op)(x)
    if op == "gelu":
        return F.gelu(x, approximate="none")  # our gelu: x·Φ(x), the erf form
    if op == "matmul":
        return torch.matmul(xs[0], xs[1])
    if op == "linear":
        return F.linear(xs[0], xs[1], xs[2] if len(xs) > 2 else None)
    if op in ("sum", "mean", "max", "min", "var", "logsumexp"):
        d = dims(a["axis"], x.ndim)
        k = a["keepdims"]
        if op == "sum":
            return torch.sum(x, dim=d, keepdim=k) if x.ndim else x.clone()
        if op == "mean":
            return torch.mean(x, dim=d, keepdim=k) if x.ndim else x.clone()
        if op == "max":  # amax: ties share the gradient evenly, as our convention
            return torch.amax(x, dim=d, keepdim=k)
        if op == "min":
            return torch.amin(x, dim=d, keepdim=k)
        if op == "var":
            return torch.var(x, dim=d, correction=a["ddof"], keepdim=k)
        return torch.logsumexp(x, dim=d, keepdim=k)
    if op == "softmax":
        return torch.softmax(x, dim=a["axis"])
    if op == "log_softmax":
        return torch.log_softmax(x, dim=a["axis"])
    if op == "mse_loss":
        return F.mse_loss(xs[0], xs[1], reduction=a["reduction"])
    if op == "nll_loss":
        return F.nll_loss(xs[0], xs[1], ignore_index=a["ignore_index"], reduction=a["reduction"])
    if op == "cross_entropy":
        return F.cross_entropy(xs[0], xs[1], ignore_index=a["ignore_index"],
                               reduction=a["reduction"])
    if op == "reshape":
        return torch.reshape(x, a["shape"])
    if op == "transpose":
        return x.permute(a["axes"] or list(range(x.ndim))[::-1])
    if op == "permute":
        return x.permute(a["dims"])
    if op == "slice":
        ax = a["axis"] % x.ndim
        idx = slice_indices(x.shape[ax], a["start"], a["stop"], a["step"])
        return torch.index_select(x, ax, torch.tensor(idx, dtype=torch.int64))
    if op == "concat":
        return torch.cat(list(xs), dim=a["axis"])
    if op == "stack":
        return torch.stack(list(xs), dim=a["axis"])
    if op == "cast":
        return x.to(TORCH_DTYPE[np.dtype(a["dtype"])])
    raise KeyError(op)


def forward(op, xs, attrs, out_dtype=None):
    """PyTorch's output of op on numpy inputs xs, as a C-order numpy array; checks its dtype."""
    with torch.no_grad():
        y = numpy(run(op, [tensor(x) for x in xs], attrs))
    if out_dtype is not None:
        assert y.dtype == out_dtype, f"{op}: expected {np.dtype(out_dtype).name}, got {y.dtype}"
    return y


def vjp(op, xs, attrs, differentiable, grad_output):
    """PyTorch's VJP: (output gradients, gradients of the differentiable inputs).

    xs: the forward inputs (numpy); differentiable: one bool per input; grad_output(shape,
    dtype) -> the numpy output gradient (its data depend on the case). Gradients come back in
    each input's dtype, C order; an input the output does not depend on gets zeros."""
    ts = [tensor(x).detach().requires_grad_(d) for x, d in zip(xs, differentiable)]
    y = run(op, ts, attrs)
    g = grad_output(tuple(y.shape), y.detach().numpy().dtype)
    wrt = [t for t, d in zip(ts, differentiable) if d]
    grads = torch.autograd.grad([y], wrt, [tensor(g)], allow_unused=True)
    out = []
    for t, gr in zip(wrt, grads):
        gr = torch.zeros_like(t) if gr is None else gr
        assert gr.dtype == t.dtype, (op, gr.dtype, t.dtype)
        out.append(numpy(gr))
    return [g], out
