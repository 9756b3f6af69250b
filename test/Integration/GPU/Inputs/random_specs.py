"""Random parameter lists through `optgraph.check --target cuda`: each spec
mixes shapes (odd, n < m and n > m, vectors), sides, bases, norms, ranks,
intervals, rotation, scale, weight decay and AdamW parameters, and runs
four steps against the numpy reference. Run with LD_LIBRARY_PATH pointing
at the emulated driver (or on a GPU).

    python random_specs.py SEED COUNT WORKDIR

Prints one line per failing spec and a summary; exits 1 if any failed.
"""

import json
import os
import random
import subprocess
import sys


def random_spec(rng):
    params = []
    for p in range(rng.randint(1, 4)):
        if rng.random() < 0.85:
            shape = [rng.randint(1, 130), rng.randint(1, 130)]
        else:
            shape = [rng.randint(1, 300)]
        param = {"name": f"p{p}", "shape": shape}
        if len(shape) == 2:
            side = rng.choice(["auto", "left", "right"])
            size = {"auto": min(shape), "left": shape[0], "right": shape[1]}[side]
            param.update(rank=rng.randint(1, size), side=side,
                         basis=rng.choice(["dct2", "dct3"]),
                         norm=rng.choice([1, 2]), interval=rng.randint(1, 4),
                         rotate=rng.random() < 0.5,
                         rule=rng.choice(["lowrank", "lowrank", "adamw"]))
            if rng.random() < 0.3:
                param["scale"] = round(rng.uniform(0.1, 2), 3)
        if rng.random() < 0.3:
            param["weight_decay"] = round(rng.uniform(0, 0.2), 3)
        params.append(param)
    return {"defaults": {"lr": round(rng.uniform(1e-3, 3e-2), 4),
                         "beta1": rng.choice([0.8, 0.9]),
                         "beta2": rng.choice([0.99, 0.999])},
            "params": params}


def main():
    seed, count, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)
    os.makedirs(work, exist_ok=True)
    failed, worst = 0, 0.0
    for index in range(count):
        path = os.path.join(work, f"spec{index}.json")
        with open(path, "w") as f:
            json.dump(random_spec(rng), f)
        run = subprocess.run(
            [sys.executable, "-m", "optgraph.check", path,
             os.path.join(work, f"run{index}"), "--target", "cuda",
             "--steps", "4"], capture_output=True, text=True)
        lines = (run.stdout + run.stderr).strip().splitlines()
        for line in lines:
            if line.startswith("max relative error"):
                worst = max(worst, float(line.split()[3]))
        if run.returncode != 0:
            failed += 1
            print(f"FAIL {path}: " + " | ".join(lines[-3:]))
    print(f"{count} random specs, {failed} failed, worst max relative error "
          f"{worst:.3e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
