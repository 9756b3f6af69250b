"""Plants a known bug in one kernel of a GPU module written by
`optgraph-compile --emit-kernels`, to show that the emulated driver catches
it (the file is compiled back with `--kernels`).

    python mutate.py MUTANT KERNEL IN.mlir OUT.mlir

MUTANT is one of:
  drop-k-barrier     remove the barrier that ends each K step of a matmul
                     (the next slice overwrites a tile still being read)
  divergent-barrier  add a barrier only threads 0-4 reach
  remove-clamp       drop the index clamp of the top-k's ranking loop, so
                     every thread of the block reads its own score
"""

import re
import sys


def kernel_lines(lines, kernel):
    """The [start, end) line range of `gpu.func @KERNEL`."""
    start = next(i for i, line in enumerate(lines)
                 if re.search(rf"gpu\.func @{re.escape(kernel)}\(", line))
    end = next(i for i in range(start, len(lines))
               if lines[i].strip() == "gpu.return")
    return start, end


def mutate(mutant, kernel, lines):
    start, end = kernel_lines(lines, kernel)
    body = range(start, end)
    if mutant == "drop-k-barrier":
        barriers = [i for i in body if lines[i].strip() == "gpu.barrier"]
        del lines[barriers[1]]
    elif mutant == "divergent-barrier":
        lines[end:end] = [
            "      %mutant_c5 = arith.constant 5 : index",
            "      %mutant_few = arith.cmpi ult, %thread_id_x, %mutant_c5 : index",
            "      scf.if %mutant_few {",
            "        gpu.barrier",
            "      }",
        ]
    elif mutant == "remove-clamp":
        clamp = next(i for i in body
                     if re.search(r"arith\.minui %thread_id_x, %c\d+", lines[i]))
        lines[clamp] = re.sub(r"arith\.minui %thread_id_x, %c\d+",
                              "arith.minui %thread_id_x, %thread_id_x",
                              lines[clamp])
    else:
        sys.exit(f"mutate.py: unknown mutant '{mutant}'")


def main():
    mutant, kernel, source, destination = sys.argv[1:5]
    with open(source) as f:
        lines = f.read().split("\n")
    mutate(mutant, kernel, lines)
    with open(destination, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
