"""Compile time of a whole model's step: a 12-layer, 512-wide transformer
(96 parameters: attention and MLP matrices, norms), rank 128.

    PYTHONPATH=python python3 bench/compile_time.py [--layers 12]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from optgraph import check, stepgen  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--width", type=int, default=512)
    args = parser.parse_args()
    d = args.width
    shapes = [("wq", [d, d]), ("wk", [d, d]), ("wv", [d, d]), ("wo", [d, d]),
              ("up", [d, 4 * d]), ("down", [4 * d, d]), ("norm1", [d]),
              ("norm2", [d])]
    params = [{"name": f"layers.{l}.{n}", "shape": s}
              for l in range(args.layers) for n, s in shapes]
    spec = {"defaults": {"rank": 128, "interval": 200}, "params": params}
    work = tempfile.mkdtemp(prefix="optgraph-compile-")
    mlir = os.path.join(work, "step.mlir")
    with open(mlir, "w") as f:
        f.write(stepgen.generate(spec))
    start = time.perf_counter()
    subprocess.run([check.tool("optgraph-compile"), mlir, "-o",
                    os.path.join(work, "step.so")], check=True)
    print(f"{len(params)} parameters ({args.layers} layers, width {d}): "
          f"compiled in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
