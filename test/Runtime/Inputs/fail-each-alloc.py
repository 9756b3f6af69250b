"""Runs a CUDA step on the emulated driver once per device allocation,
failing that allocation (OPTGRAPH_CUDA_EMU_FAIL_ALLOC), and prints what each
run reported and left behind, one line per run (the failing runs write to
OUTPUTS, the first, failure-free one to OUTPUTS.ok):

    fail-each-alloc.py OPTGRAPH-RUN EMU-DIR STEP.so INPUTS OUTPUTS
"""

import json
import os
import subprocess
import sys


def run(tool, emu, step, inputs, outputs, fail):
    stats = outputs + ".stats.json"
    if os.path.exists(stats):
        os.remove(stats)
    env = dict(os.environ, LD_LIBRARY_PATH=emu,
               OPTGRAPH_CUDA_EMU_STATS=stats,
               OPTGRAPH_CUDA_EMU_FAIL_ALLOC=str(fail))
    done = subprocess.run([tool, step, "--in", inputs, "--out", outputs],
                          env=env, capture_output=True, text=True)
    with open(stats) as f:
        counts = json.loads(f.readline())
    error = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode, error[0] if error else "", counts


def main(tool, emu, step, inputs, outputs):
    code, _, counts = run(tool, emu, step, inputs, outputs + ".ok", 0)
    total = counts["allocations"]
    print(f"no failure: exit {code}, {total} allocations, "
          f"{counts['allocations_outstanding']} outstanding")
    for n in range(1, total + 1):
        code, error, counts = run(tool, emu, step, inputs, outputs, n)
        where = "step" if "cuMemAllocAsync" in error else "optgraph-run"
        print(f"allocation {n} ({where}): exit {code}: {error} | "
              f"outstanding {counts['allocations_outstanding']}, "
              f"queued {counts['queued_operations']}, "
              f"syncs {counts['syncs']}")


if __name__ == "__main__":
    main(*sys.argv[1:])
