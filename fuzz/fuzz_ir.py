"""Mutation fuzzer for optgraph's IR tools: optgraph-opt and optgraph-compile.

Each case mutates a seed module (every .mlir test, split at `// -----`, and
the step functions stepgen writes for the integration models) with
IR-aware edits (dimensions, attribute values, enum keywords, SSA names,
repeated results, deleted or duplicated lines) or raw byte edits, then runs
it through one of:

  optgraph-opt with no passes, -optim-decompose -convert-optim-to-linalg,
  the CPU pipeline, -optim-fuse -convert-optim-to-gpu, the CUDA pipeline
  without ptxas (serialize=false), optgraph-compile for the CPU and, for a
  few cases, optgraph-compile --target=cuda (ptxas).

Findings: crash, hang, silent failure, and for optgraph-compile a failed run
that created or changed its outputs (partial). Diagnostics are expected.

    python3 fuzz/fuzz_ir.py --cases 1000 --seed 1 --jobs 2
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

OPT_PIPELINES = (
    [],
    ["-optim-decompose", "-convert-optim-to-linalg"],
    ["-optgraph-cpu-pipeline"],
    ["-optim-decompose", "-optim-fuse", "-convert-optim-to-gpu"],
    ["-optgraph-cuda-pipeline=serialize=false"],
)

ENUM_WORDS = ("dct2", "dct3", "dct4", "l1", "l2", "l3", "left", "right",
              "auto", "true", "false")
FLOAT_VALUES = ("0.0", "-1.0", "1.0", "0.999999", "1.5", "1.0e308",
                "-1.0e-3", "0x7FF8000000000000", "0x7FF0000000000000")
DIM = re.compile(r"(?<=[<x])\d+(?=x)")
ATTR_FLOAT = re.compile(r"(?<== )-?\d+\.\d+(e[-+]?\d+)?(?= : f64)")
INT_ATTR = re.compile(r"(?<== )\d+(?= : i64)")
SSA = re.compile(r"%[A-Za-z_][\w#]*|%\d+(#\d+)?")
RETURN = re.compile(r"(return\s+)([^:\n]+)")


def load_seeds():
    seeds = []
    for path in sorted(glob.glob(os.path.join(REPO, "test", "**", "*.mlir"),
                                 recursive=True)):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for chunk in text.split("// -----"):
            body = "\n".join(line for line in chunk.splitlines()
                             if not line.lstrip().startswith("// RUN"))
            if body.strip():
                seeds.append(body)
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "python"))
    models = glob.glob(os.path.join(REPO, "test", "Integration", "*",
                                    "Inputs", "*.json"))
    models += [os.path.join(REPO, "test", "Tools", "Inputs", "small.json")]
    with tempfile.TemporaryDirectory() as scratch:
        step = os.path.join(scratch, "step.mlir")
        for model in sorted(models):
            if subprocess.run([sys.executable, "-m", "optgraph.stepgen", model,
                               "-o", step], env=env,
                              capture_output=True).returncode == 0:
                with open(step, encoding="utf-8") as f:
                    seeds.append(f.read())
    return seeds


def write_corpus(folder):
    """The seeds as one file each: the libFuzzer target's starting corpus."""
    os.makedirs(folder, exist_ok=True)
    for i, seed in enumerate(load_seeds()):
        with open(os.path.join(folder, f"seed-{i:04d}.mlir"), "w",
                  encoding="utf-8") as f:
            f.write(seed)


def replace_one(rng, text, pattern, choices):
    matches = list(pattern.finditer(text))
    if not matches:
        return text
    m = rng.choice(matches)
    value = choices() if callable(choices) else rng.choice(choices)
    return text[:m.start()] + str(value) + text[m.end():]


def mutate_ir(rng, text, seeds):
    for _ in range(rng.randint(1, 3)):
        choice = rng.randrange(10)
        if choice == 0:
            text = replace_one(rng, text, DIM,
                               lambda: rng.choice(common.INTERESTING_INTS))
        elif choice == 1:
            text = replace_one(rng, text, ATTR_FLOAT, FLOAT_VALUES)
        elif choice == 2:
            text = replace_one(rng, text, INT_ATTR,
                               lambda: rng.choice(common.INTERESTING_INTS))
        elif choice == 3:
            text = replace_one(rng, text, re.compile(
                r"\b(" + "|".join(ENUM_WORDS) + r")\b"), ENUM_WORDS)
        elif choice == 4:                      # one SSA use for another
            names = sorted({m.group(0) for m in SSA.finditer(text)})
            if names:
                text = replace_one(rng, text, SSA, names)
        elif choice == 5:                      # a result returned twice
            m = RETURN.search(text)
            if m:
                operands = [o.strip() for o in m.group(2).split(",")]
                if len(operands) > 1:
                    i, j = rng.randrange(len(operands)), rng.randrange(
                        len(operands))
                    operands[j] = operands[i]
                text = text[:m.start(2)] + ", ".join(operands) + " " + \
                    text[m.end(2):]
        elif choice in (6, 7):                 # delete / duplicate a line
            lines = text.splitlines()
            if lines:
                i = rng.randrange(len(lines))
                if choice == 6:
                    del lines[i]
                else:
                    lines.insert(i, lines[i])
                text = "\n".join(lines)
        else:                                  # raw bytes
            raw = common.mutate_bytes(rng, text.encode(),
                                      [s.encode() for s in seeds[:50]])
            text = raw.decode("utf-8", "replace")
    return text


class IRTarget(common.Target):
    name = "ir"

    def __init__(self):
        self.seeds = load_seeds()
        self.tools = common.tools_dir()
        self.ptxas = bool(shutil.which("ptxas")) or os.path.exists(
            os.path.join(os.environ.get("CUDA_ROOT", "/usr/local/cuda"),
                         "bin", "ptxas"))

    def case(self, rng, index, workdir):
        text = mutate_ir(rng, rng.choice(self.seeds), self.seeds)
        source = os.path.join(workdir, "input.mlir")
        with open(source, "w", encoding="utf-8") as f:
            f.write(text)
        r = rng.random()
        if r < 0.7:
            cmd = [os.path.join(self.tools, "optgraph-opt"), source,
                   "-o", os.devnull] + rng.choice(OPT_PIPELINES)
            outcome = common.run_command(cmd, timeout=120)
            found = common.classify(outcome)
        else:
            target = "cuda" if self.ptxas and r > 0.97 else "cpu"
            out = os.path.join(workdir, "out")
            os.makedirs(out)
            library = os.path.join(out, "step.so")
            if rng.random() < 0.5:            # a previous library stays intact
                with open(library, "w") as f:
                    f.write("previous")
                with open(os.path.join(out, "step.json"), "w") as f:
                    f.write("previous")
            extra = []
            d = rng.random()
            if d < 0.05:                      # a folder where the library goes
                library = out
            elif d < 0.1:                     # under a file
                library = os.path.join(out, "step.json", "step.so")
            elif d < 0.15:                    # the manifest onto a folder
                os.makedirs(os.path.join(out, "m"))
                extra = ["--manifest", os.path.join(out, "m")]
            before = common.snapshot(out)
            cmd = [os.path.join(self.tools, "optgraph-compile"), source,
                   "-o", library, f"--target={target}"] + extra
            outcome = common.run_command(cmd, timeout=300)
            found = common.classify(outcome)
            if outcome.returncode != 0 and not outcome.timed_out:
                diff = common.changes(before, common.snapshot(out))
                if diff:
                    found.append("partial")
        common.tally(f"{os.path.basename(cmd[0])} "
                     f"{'ok' if outcome.returncode == 0 else 'rejected'}")
        with open(os.path.join(workdir, "command.txt"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        with open(os.path.join(workdir, "stderr.txt"), "w") as f:
            f.write(outcome.stderr)
        return [(cls, f"{' '.join(cmd[1:])}: {outcome.stderr.strip()[-300:]}")
                for cls in found]


if __name__ == "__main__":
    sys.exit(common.main(IRTarget()))
