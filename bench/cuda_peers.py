#!/usr/bin/env python3
"""bench/cuda_peers.py — PyTorch's figures for vt_cuda_bench's workloads, on the same GPU.

What it is: times, with torch.cuda.Event and the methodology of bench/cuda/cuda_bench.cpp
(warm-up calls, then two passes of --reps samples, each sample as many back-to-back calls as
make it last ≥ --min-sample seconds, the median of the per-call times), the same work:
  add      torch.add(a, b, out=c) on 1e8 float32        (work: 12·n bytes moved)
  copy     c.copy_(a), the device-to-device copy          (work: 8·n bytes moved)
  softmax  torch.softmax(x, dim=-1) on 128×1000 float32   (work: 8·rows·cols bytes)
  matmul   torch.matmul(a, b, out=c), 4096³ float32, TF32 off
           (torch.backends.cuda.matmul.allow_tf32 = False; float32 matmul precision "highest")
                                                          (work: 2·n³ flops)
and prints one JSON object (also written to --json FILE):
  {"tool": "cuda_peers.py", "torch": "2.11.0+cu130", "device": "NVIDIA H100 80GB HBM3",
   "tf32": false, "workloads": {"add": {"shape": "100000000", "median_s": …, "samples_s": […],
   "calls_per_sample": k, "work": …}, …}}
or {"error": "…"} (exit 1) when torch or a GPU is missing. vt_cuda_bench --peers FILE reads it.
Inputs are uniform in [-4, 4) (PyTorch's values are not verified; its outputs are not ours).
What it is not: verification — vt_cuda_bench verifies ours; this only gives a yardstick.
Needs python3 with torch and a GPU (the GPU machine's python3); not run here.
"""
import argparse
import json
import math
import statistics
import sys


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", help="also write the JSON to this file")
    p.add_argument("--workload", default="add,softmax,matmul",
                   help="comma-separated: add (with copy), softmax, matmul")
    p.add_argument("--reps", type=int, default=30, help="samples per pass (two passes)")
    p.add_argument("--warmup", type=int, default=5, help="untimed calls before each pass")
    p.add_argument("--min-sample", type=float, default=1e-3,
                   help="seconds one sample lasts at least")
    p.add_argument("--add-n", type=int, default=100_000_000)
    p.add_argument("--softmax-rows", type=int, default=128)
    p.add_argument("--softmax-cols", type=int, default=1000)
    p.add_argument("--matmul-n", type=int, default=4096)
    return p.parse_args()


def emit(obj, path):
    text = json.dumps(obj, indent=2)
    print(text)
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")


def time_calls(torch, fn, args):
    """Per-call seconds: warm-up, then --reps samples of k back-to-back calls (k chosen so a
    sample lasts ≥ --min-sample), CUDA events around each sample."""
    for _ in range(args.warmup):
        fn()
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)

    def sample(k):
        start.record()
        for _ in range(k):
            fn()
        stop.record()
        stop.synchronize()
        return start.elapsed_time(stop) * 1e-3

    one = sample(1)
    k = 1000 if one <= 0 else int(min(10000, max(1, math.ceil(args.min_sample / one))))
    return [sample(k) / k for _ in range(args.reps)], k


def figure(torch, fn, work, shape, args):
    samples = []
    k = 1
    for _ in range(2):  # two passes, like vt_cuda_bench
        s, k = time_calls(torch, fn, args)
        samples += s
    return {"shape": shape, "median_s": statistics.median(samples), "min_s": min(samples),
            "max_s": max(samples), "samples_s": samples, "calls_per_sample": k, "work": work}


def main():
    args = parse_args()
    try:
        import torch
    except Exception as e:  # noqa: BLE001 — any import failure is reported, not raised
        emit({"tool": "cuda_peers.py", "error": f"cannot import torch: {type(e).__name__}: {e}"},
             args.json)
        return 1
    if not torch.cuda.is_available():
        emit({"tool": "cuda_peers.py", "torch": torch.__version__,
              "error": "torch.cuda.is_available() is False: no GPU"}, args.json)
        return 1
    # TF32 off everywhere: float32 matmuls are float32 FMAs, as cuBLAS's default math mode.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    dev = torch.device("cuda")
    gen = torch.Generator(device=dev)
    gen.manual_seed(20261126)

    def uniform(*shape):
        return torch.rand(*shape, device=dev, dtype=torch.float32, generator=gen) * 8 - 4

    wanted = [w.strip() for w in args.workload.split(",") if w.strip()]
    out = {"tool": "cuda_peers.py", "torch": torch.__version__,
           "device": torch.cuda.get_device_name(0), "tf32": torch.backends.cuda.matmul.allow_tf32,
           "timing": "torch.cuda.Event around back-to-back calls", "workloads": {}}
    w = out["workloads"]
    for name in wanted:
        try:
            if name == "add":
                n = args.add_n
                a, b, c = uniform(n), uniform(n), torch.empty(n, device=dev)
                w["add"] = figure(torch, lambda: torch.add(a, b, out=c), 12.0 * n, str(n), args)
                w["copy"] = figure(torch, lambda: c.copy_(a), 8.0 * n, str(n), args)
                del a, b, c
            elif name == "softmax":
                r, k = args.softmax_rows, args.softmax_cols
                x = uniform(r, k)
                w["softmax"] = figure(torch, lambda: torch.softmax(x, dim=-1), 8.0 * r * k,
                                      f"{r}x{k}", args)
                del x
            elif name == "matmul":
                n = args.matmul_n
                a, b, c = uniform(n, n), uniform(n, n), torch.empty(n, n, device=dev)
                w["matmul"] = figure(torch, lambda: torch.matmul(a, b, out=c), 2.0 * n ** 3,
                                     f"{n}x{n}x{n}", args)
                del a, b, c
            else:
                w[name] = {"error": f"unknown workload {name!r}"}
        except Exception as e:  # noqa: BLE001 — one workload's failure is reported in its entry
            w[name] = {"error": f"{type(e).__name__}: {e}"}
        torch.cuda.empty_cache()
    emit(out, args.json)
    return 0 if all("error" not in v for v in w.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
