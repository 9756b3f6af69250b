"""Compile a parameter list, run consecutive steps through optgraph-run, and
compare every output with the numpy reference (optgraph.reference), which
carries its own state from step to step.

The error of an array is max|ours - ref| / max|ref| (relative to the array's
largest magnitude). Params, moments and the step counter must agree within
--tol (default 1e-5); subspace indices must be equal; the update W_new - W_old
must agree within --update-tol, a check on the update itself that float32
rounding of W does not hide.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

from optgraph import reference, stepgen


def tool(name):
    return os.path.join(os.environ.get("OPTGRAPH_TOOLS_DIR", ""), name)


def rel_err(ours, ref):
    ref64 = np.asarray(ref, np.float64)
    scale = np.abs(ref64).max()
    diff = np.abs(np.asarray(ours, np.float64) - ref64).max()
    return diff / scale if scale > 0 else diff


def reference_step(p, state, t):
    name = p["name"]
    opts = {k: p[k] for k in stepgen.HYPER}
    W, G = state[name], state[name + ".grad"]
    m, v = state[name + ".exp_avg"], state[name + ".exp_avg_sq"]
    if p["rule"] == "adamw":
        W, m, v = reference.adamw_step(W, G, m, v, t, **opts)
        return {name: W, name + ".exp_avg": m, name + ".exp_avg_sq": v}
    for k in ("scale", "interval", "rotate", "basis", "norm", "side"):
        opts[k] = p[k]
    W, m, v, idx = reference.lowrank_adamw_step(
        W, G, m, v, state[name + ".subspace"], t, rank=p["rank"], **opts)
    return {name: W, name + ".exp_avg": m, name + ".exp_avg_sq": v,
            name + ".subspace": idx}


def run(spec, work, steps, seed, tol, update_tol):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    params = stepgen.resolve(spec)
    step_mlir = os.path.join(work, "step.mlir")
    with open(step_mlir, "w") as f:
        f.write(stepgen.generate(spec))
    library = os.path.join(work, "step.so")
    subprocess.run([tool("optgraph-compile"), step_mlir, "-o", library], check=True)

    rng = np.random.default_rng(seed)
    ours = stepgen.initial_state(spec)
    for p in params:
        ours[p["name"]] = rng.standard_normal(p["shape"]).astype(np.float32)
    ref = dict(ours)
    worst = 0.0
    failures = []
    for t in range(1, steps + 1):
        in_dir = os.path.join(work, f"in{t}")
        out_dir = os.path.join(work, f"out{t}")
        os.makedirs(in_dir)
        for p in params:
            # Gradients with structure: a low-rank part plus noise, so the
            # subspace choice is well separated from float32 rounding.
            shape = p["shape"]
            grad = rng.standard_normal(shape)
            if len(shape) == 2:
                grad += 3 * np.outer(rng.standard_normal(shape[0]),
                                     rng.standard_normal(shape[1]))
            ours[p["name"] + ".grad"] = ref[p["name"] + ".grad"] = grad.astype(np.float32)
        for key, value in ours.items():
            np.save(os.path.join(in_dir, key + ".npy"), value)
        subprocess.run([tool("optgraph-run"), library, "--in", in_dir,
                        "--out", out_dir], check=True)
        new_ref = {"step": np.array(t, np.int64)}
        for p in params:
            new_ref.update(reference_step(p, ref, t))
        for key, expected in new_ref.items():
            got = np.load(os.path.join(out_dir, key + ".npy"))
            if got.dtype != expected.dtype or got.shape != expected.shape:
                failures.append(f"step {t} {key}: {got.dtype}{got.shape} vs "
                                f"{expected.dtype}{expected.shape}")
                continue
            if expected.dtype == np.int64:
                if not np.array_equal(got, expected):
                    failures.append(f"step {t} {key}: {got} != {expected}")
                continue
            err = rel_err(got, expected)
            worst = max(worst, err)
            if err > tol:
                failures.append(f"step {t} {key}: relative error {err:.3e}")
            if key in (p["name"] for p in params):
                update_err = rel_err(got - ours[key], expected - ref[key])
                if update_err > update_tol:
                    failures.append(f"step {t} {key} update: relative error "
                                    f"{update_err:.3e}")
        for key in new_ref:
            ours[key] = np.load(os.path.join(out_dir, key + ".npy"))
        ref.update(new_ref)
        print(f"step {t}: {len(new_ref)} arrays compared")
    for f in failures:
        print("FAIL", f)
    print(f"max relative error {worst:.3e} over {steps} steps, "
          f"{len(params)} parameters")
    return not failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("spec", help="parameter list (JSON)")
    parser.add_argument("work", help="scratch folder")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tol", type=float, default=1e-5)
    parser.add_argument("--update-tol", type=float, default=1e-3)
    args = parser.parse_args()
    with open(args.spec) as f:
        spec = json.load(f)
    ok = run(spec, args.work, args.steps, args.seed, args.tol, args.update_tol)
    print("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
