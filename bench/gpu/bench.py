"""GPU benchmark: one 4096x4096 layer at r = 512, the compiled CUDA step
against two baselines in the same process on the same GPU:

  - eager: the same algorithm (DCT basis, top-k, Adam in the subspace,
    back-projection) written as plain PyTorch operations;
  - fused AdamW: torch.optim.AdamW(fused=True) on the same weight.

    PYTHONPATH=python python3 bench/gpu/bench.py --library STEP.so

STEP.so is bench/gpu/layer.json compiled with --target=cuda (see
bench/gpu/check.sh). Times refresh steps (t = 1: full projection, scores,
top-k) and other steps (t = 2, interval 200) with CUDA events around each
call, after a warm-up, as medians; prints the ratios and the step's floor
(compulsory memory traffic at the GPU's bandwidth, FLOPs at its fp32 peak).
fp32 everywhere, TF32 off, as the compiled kernels do.
"""

import argparse
import json
import math
import os
import statistics
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from optgraph import reference, runtime  # noqa: E402


def time_ms(fn, warmup, repeat):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", required=True)
    parser.add_argument("--spec", default=os.path.join(os.path.dirname(__file__),
                                                       "layer.json"))
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--bandwidth", type=float, default=3.35e12,
                        help="HBM bytes/s for the floor (H100 SXM: 3.35e12)")
    parser.add_argument("--fp32-peak", type=float, default=67e12,
                        help="fp32 FLOP/s for the floor (H100 SXM: 67e12)")
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    with open(args.spec) as f:
        spec = json.load(f)
    p = spec["params"][0]
    n, m = p["shape"]
    r = p["rank"]
    lr = spec["defaults"]["lr"]
    wd = spec["defaults"]["weight_decay"]
    dev = "cuda"
    print(f"{torch.cuda.get_device_name()}: {n}x{m} at r = {r}, fp32")

    gen = torch.Generator(device=dev).manual_seed(0)
    w = torch.randn(n, m, device=dev, generator=gen)
    g = torch.randn(n, m, device=dev, generator=gen)
    side_right = n >= m
    size = m if side_right else n
    mom_shape = (n, r) if side_right else (r, m)
    exp_avg = torch.zeros(mom_shape, device=dev)
    exp_avg_sq = torch.zeros(mom_shape, device=dev)
    idx = torch.arange(r, device=dev, dtype=torch.int64)

    # The compiled step.
    step = runtime.Step(args.library)
    inputs = {"w": w, "w.grad": g, "w.exp_avg": exp_avg,
              "w.exp_avg_sq": exp_avg_sq, "w.subspace": idx,
              "lr_scale": np.array(1.0, np.float32)}

    def compiled(t):
        inputs["step"] = np.array(t - 1, np.int64)  # the step computes t = step + 1
        return step(inputs)

    # Eager PyTorch, the same algorithm (dct3, l1 scores, right side).
    q = torch.from_numpy(reference.basis_matrix(size, "dct3")).float().to(dev)
    state = {"m": exp_avg.clone(), "v": exp_avg_sq.clone(), "idx": idx.clone()}
    weight = w.clone()

    def eager(t):
        refresh = t == 1 or t % p["interval"] == 0
        if refresh:
            s = g @ q
            scores = s.abs().sum(0)
            sel = torch.topk(scores, r).indices.sort().values
            a = s[:, sel]
            state["idx"] = sel
        else:
            a = g @ q[:, state["idx"]]
        b1, b2, eps = 0.9, 0.999, 1e-8
        state["m"].mul_(b1).add_(a, alpha=1 - b1)
        state["v"].mul_(b2).addcmul_(a, a, value=1 - b2)
        u = (state["m"] / (1 - b1 ** t)) / ((state["v"] / (1 - b2 ** t)).sqrt() + eps)
        weight.mul_(1 - lr * wd).sub_(lr * (u @ q[:, state["idx"]].T))

    # torch.optim.AdamW(fused=True) on the same weight.
    param = torch.nn.Parameter(w.clone())
    param.grad = g.clone()
    adamw = torch.optim.AdamW([param], lr=lr, weight_decay=wd, fused=True)

    # Correctness of the compiled step against eager on the refresh step.
    out = compiled(1)
    eager(1)
    err = (out["w"] - weight).abs().max().item() / weight.abs().max().item()
    print(f"compiled vs eager, refresh step: max relative error {err:.2e}")

    results = {}
    for label, t in (("refresh", 1), ("other", 2)):
        ours = time_ms(lambda: compiled(t), args.warmup, args.repeat)
        base = time_ms(lambda: eager(t), args.warmup, args.repeat)
        results[label] = (ours, base)
    fused = time_ms(adamw.step, args.warmup, args.repeat)

    traffic = 4 * (3 * n * m + 4 * r * max(n, m))
    for label, (ours, base) in results.items():
        flops = 2 * n * m * (size if label == "refresh" else 2 * r)
        floor_ms = 1e3 * max(traffic / args.bandwidth, flops / args.fp32_peak)
        print(f"{label:8s} compiled {ours:8.3f} ms | eager {base:8.3f} ms "
              f"({base / ours:5.2f}x) | fused AdamW {fused:7.3f} ms "
              f"({fused / ours:5.2f}x) | floor {floor_ms:7.3f} ms "
              f"(compiled at {ours / floor_ms:5.2f}x the floor)")


if __name__ == "__main__":
    main()
