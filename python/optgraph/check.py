"""Compile a parameter list, run consecutive steps through optgraph-run, and
compare every output with the numpy reference (optgraph.reference), which
carries its own state from step to step.

Usage: python -m optgraph.check params.json WORKDIR [--steps N]

The error of an array is max|ours - ref| / max|ref| (relative to the array's
largest magnitude). Params, moments and the step counter must agree within
--tol (default 1e-5); subspace indices must be equal; the update W_new - W_old
must agree within --update-tol, a check on the update itself that float32
rounding of W does not hide.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np

from optgraph import reference, stepgen


def tool(name):
    """A tool from $OPTGRAPH_TOOLS_DIR, else from the source tree's build/."""
    default = os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin")
    return os.path.join(os.environ.get("OPTGRAPH_TOOLS_DIR", default), name)


def describe(params):
    """A table of the parameters, their rules and their optimizer state."""
    lines = [f"{'parameter':<28} {'shape':>12} {'rule':>8} {'rank':>5} "
             f"{'side':>6} {'state floats':>13} {'AdamW floats':>13}"]
    total = full = lowrank_total = lowrank_full = 0
    for p in params:
        shape = tuple(p["shape"])
        size = int(np.prod(shape))
        state = sum(int(np.prod(s)) for _, s, d in stepgen.state_tensors(p)
                    if d == "f32")
        total += state
        full += 2 * size
        lowrank = p["rule"] == "lowrank"
        if lowrank:
            lowrank_total += state
            lowrank_full += 2 * size
        side = reference.resolve_side(shape, p["side"]) if lowrank else "-"
        lines.append(f"{p['name']:<28} {'x'.join(map(str, shape)):>12} "
                     f"{p['rule']:>8} {p['rank'] if lowrank else '-':>5} "
                     f"{side:>6} {state:>13} {2 * size:>13}")
    lines.append(f"optimizer state: {total} floats, {total / full:.1%} of "
                 f"full-rank AdamW's {full}")
    if lowrank_full:
        lines.append(f"low-rank parameters: {lowrank_total} floats, "
                     f"{lowrank_total / lowrank_full:.1%} of AdamW's {lowrank_full}")
    return "\n".join(lines)


def rel_err(ours, ref):
    ref64 = np.asarray(ref, np.float64)
    scale = np.abs(ref64).max()
    diff = np.abs(np.asarray(ours, np.float64) - ref64).max()
    return diff / scale if scale > 0 else diff


def reference_step(p, state, t):
    name = p["name"]
    opts = {k: p[k] for k in stepgen.HYPER}
    opts["lr"] = p["lr"] * float(state["lr_scale"])
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


def compile_step(spec, work, target="cpu", summary=False):
    """Writes WORK/step.mlir and compiles it to WORK/step.so."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    step_mlir = os.path.join(work, "step.mlir")
    with open(step_mlir, "w") as f:
        f.write(stepgen.generate(spec))
    library = os.path.join(work, "step.so")
    start = time.perf_counter()
    subprocess.run([tool("optgraph-compile"), step_mlir, "-o", library,
                    f"--target={target}"], check=True)
    if summary:
        print(f"compiled {step_mlir} -> {library} ({target}) in "
              f"{time.perf_counter() - start:.2f} s")
    return library


def run(spec, work, steps, seed, tol, update_tol, summary=False, target="cpu",
        library=None):
    params = stepgen.resolve(spec)
    if summary:
        print(describe(params))
    if library:
        # Built elsewhere (a GPU machine has no MLIR): only run it here.
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    else:
        library = compile_step(spec, work, target, summary)

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
        # A schedule: warm up, then decay.
        ours["lr_scale"] = ref["lr_scale"] = np.array(
            min(1.0, t / 2) * 0.9 ** t, np.float32)
        for key, value in ours.items():
            np.save(os.path.join(in_dir, key + ".npy"), value)
        start = time.perf_counter()
        subprocess.run([tool("optgraph-run"), library, "--in", in_dir,
                        "--out", out_dir], check=True)
        elapsed = time.perf_counter() - start
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
        refreshed = sum(1 for p in params if p["rule"] == "lowrank" and
                        reference.is_refresh(t, p["interval"]))
        print(f"step {t}: {len(new_ref)} arrays compared" +
              (f"; optgraph-run {elapsed:.3f} s (.npy in and out included), "
               f"{refreshed} subspace refreshes" if summary else ""))
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
    parser.add_argument("--summary", action="store_true",
                        help="describe the parameters, the state and the timings")
    parser.add_argument("--target", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--compile-only", action="store_true",
                        help="only write WORK/step.so (to run it elsewhere)")
    parser.add_argument("--library", metavar="STEP.so",
                        help="run this prebuilt library instead of compiling")
    args = parser.parse_args()
    try:
        spec = stepgen.load(args.spec)
        stepgen.resolve(spec)
    except stepgen.SpecError as e:
        print(f"optgraph.check: error: {args.spec}: {e}", file=sys.stderr)
        return 1
    try:
        if args.compile_only:
            compile_step(spec, args.work, args.target, args.summary)
            return 0
        ok = run(spec, args.work, args.steps, args.seed, args.tol,
                 args.update_tol, args.summary, args.target, args.library)
    except subprocess.CalledProcessError as e:
        # The tool has printed its diagnostic; say which command failed.
        tool_name = os.path.basename(e.cmd[0])
        print(f"optgraph.check: error: {tool_name} failed (exit status "
              f"{e.returncode}): {' '.join(e.cmd)}", file=sys.stderr)
        return 1
    print("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
