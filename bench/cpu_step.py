"""CPU benchmark: one compiled low-rank AdamW step against the numpy
reference's step on the same data, in the same process.

    PYTHONPATH=python python3 bench/cpu_step.py [--n 1024 --m 1024 --rank 128]

Times a refresh step (t = 1: full projection, scores, top-k) and a
non-refresh step (t = 2 with interval 200: the skinny projection), as the
median of --repeat runs after a warm-up, and prints the ratio compiled/numpy
(the target is <= 2). The reference does its arithmetic in float64, as it
is written for clarity against the specification.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from optgraph import check, reference, runtime, stepgen  # noqa: E402


def median_time(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--m", type=int, default=1024)
    parser.add_argument("--rank", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-vectorize", action="store_true")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    spec = {"defaults": {"lr": 1e-3, "weight_decay": 0.1, "interval": 200},
            "params": [{"name": "w", "shape": [args.n, args.m],
                        "rank": args.rank}]}
    work = tempfile.mkdtemp(prefix="optgraph-bench-")
    mlir = os.path.join(work, "step.mlir")
    with open(mlir, "w") as f:
        f.write(stepgen.generate(spec))
    library = os.path.join(work, "step.so")
    cmd = [check.tool("optgraph-compile"), mlir, "-o", library]
    if args.no_vectorize:
        cmd.append("--vectorize=false")
    subprocess.run(cmd, check=True)
    step = runtime.Step(library)

    rng = np.random.default_rng(0)
    arrays = stepgen.initial_state(spec)
    arrays["w"] = rng.standard_normal((args.n, args.m)).astype(np.float32)
    arrays["w.grad"] = rng.standard_normal((args.n, args.m)).astype(np.float32)
    p = stepgen.resolve(spec)[0]
    options = {k: p[k] for k in stepgen.HYPER + ("scale", "interval", "rotate",
                                                 "basis", "norm", "side")}

    results = {}
    for label, done in (("refresh (t=1)", 0), ("non-refresh (t=2)", 1)):
        arrays["step"] = np.array(done, np.int64)
        compiled = median_time(lambda: step(arrays), args.repeat)
        ref = median_time(lambda: reference.lowrank_adamw_step(
            arrays["w"], arrays["w.grad"], arrays["w.exp_avg"],
            arrays["w.exp_avg_sq"], arrays["w.subspace"], done + 1,
            rank=args.rank, **options), args.repeat)
        results[label] = {"compiled_ms": compiled * 1e3, "numpy_ms": ref * 1e3,
                          "ratio": compiled / ref}
    print(f"one {args.n}x{args.m} layer, rank {args.rank}, median of "
          f"{args.repeat} (vectorize={'off' if args.no_vectorize else 'on'})")
    print(f"{'step':<20} {'compiled ms':>12} {'numpy ms':>10} {'compiled/numpy':>15}")
    for label, r in results.items():
        print(f"{label:<20} {r['compiled_ms']:>12.2f} {r['numpy_ms']:>10.2f} "
              f"{r['ratio']:>15.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
