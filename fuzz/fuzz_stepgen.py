"""Mutation fuzzer for `python -m optgraph.stepgen model.json -o step.mlir
[--init-state DIR]`.

Each case mutates a seed parameter list (examples/transformer.json and the
models under test/) structurally (common.mutate_json), by a value of the
wrong JSON type (true for 1, "2" or 2.0 for 2, null, an array) or out of
range, as raw bytes (common.mutate_bytes), or with what Python's json reads
but the dialect
does not take (NaN, Infinity, numbers too large for a double or an int64,
deep nesting, a BOM, invalid UTF-8), and sometimes points the outputs at
hostile destinations: an existing folder as -o, -o under a file or in a
missing folder, --init-state onto or under a file, a state folder with the
user's files or a folder where a state file goes, names too long, -o the
same file as a state file. stepgen runs with a file-size and an
address-space limit, so that large states fail on the way (a write past
the limit, an allocation) instead of filling the disk.

Findings, beyond common.classify's:

  partial      a failed run changed anything in the case's folder
  message      a failure that is not exactly one line
               `optgraph.stepgen: error: ...`, or output on success
  accepted     a success whose IR optgraph-opt rejects, or whose argument
               names optgraph-compile would (invalid or repeated)
  wrong        a success whose outputs are not what docs/ParameterList.md
               says: other files touched, state files missing, extra or
               with the wrong dtype, shape or values

    python3 fuzz/fuzz_stepgen.py --cases 500 --seed 1 --jobs 2
"""

import glob
import json
import os
import re
import shlex
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = "optgraph.stepgen: error:"
# Large enough for every seed's state, small enough that a mutated shape
# fails in a few milliseconds rather than writing gigabytes.
FILE_LIMIT = 64 << 20
MEMORY_LIMIT = 4 << 30
# Runs the rest of the command line under the limits (common.run_command
# takes no preexec_fn).
LIMITED = f"""
import os, resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, ({FILE_LIMIT}, {FILE_LIMIT}))
resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))
os.execv(sys.argv[1], sys.argv[1:])
"""
# Raw JSON text json.dumps does not write: Python's constants, numbers
# beyond a double or an int64 or of too many digits, nesting deeper than
# Python recurses, a lone surrogate, other spellings of numbers.
TOKENS = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400",
          "9223372036854775808", "18446744073709551617", "1" + "0" * 5000,
          "[" * 100000 + "]" * 100000, '"\\ud800"', '"\\u0000"',
          "-0", "0.0", "1E2")
# A step argument as stepgen writes it: type, name, role.
ARGUMENT = re.compile(r'^    %\w+: tensor<([^>]*)> \{optim.name = "([^"]*)", '
                      r'optim.role = "(\w+)"\}', re.M)
# Argument names optgraph-compile accepts (lib/Target/StepLibrary.cpp).
NAME = re.compile(r"[A-Za-z0-9_.-]+")
LONG = "n" * 300


def load_seeds():
    paths = [os.path.join(REPO, "examples", "transformer.json")]
    paths += glob.glob(os.path.join(REPO, "test", "Integration", "*",
                                    "Inputs", "*.json"))
    paths += glob.glob(os.path.join(REPO, "test", "Tools", "Inputs", "*.json"))
    seeds = []
    for path in sorted(paths):
        with open(path, "rb") as f:
            data = f.read()
        seeds.append((data, json.loads(data)))
    return seeds


def nodes(value, path=()):
    """(path, node) for every node of a JSON value."""
    yield path, value
    if isinstance(value, (dict, list)):
        for key, child in (value.items() if isinstance(value, dict)
                           else enumerate(value)):
            yield from nodes(child, path + (key,))


def replace_at(value, path, node):
    """A copy of value (the seeds are shared) with node at path."""
    if not path:
        return node
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replace_at(value[path[0]], path[1:], node)
    return copy


def replace_one(rng, value, make):
    """value with one of its nodes, chosen uniformly (most are numbers and
    names in a parameter list), replaced by make(node)."""
    path, node = rng.choice(list(nodes(value)))
    return replace_at(value, path, make(node))


def confuse(rng, old):
    """old as another JSON type (true for 1, "2" or 2.0 for 2), or out of
    range."""
    choices = [True, False, None, [old], {"value": old}, str(old)]
    if isinstance(old, bool):
        choices.append(int(old))
    elif isinstance(old, (int, float)):
        choices += [float(old), -old, old + 2**31, old * 2**32]
    return rng.choice(choices)


def mutate_model(rng, seeds):
    """The bytes of model.json."""
    data, value = rng.choice(seeds)
    r = rng.random()
    if r < 0.2:                          # as it is: the destinations vary
        return data
    if r < 0.4:
        for _ in range(rng.randint(1, 3)):
            value = common.mutate_json(rng, value)
        try:
            return json.dumps(value).encode()
        except RecursionError:           # mutate_json nests up to 5000 deep;
            return data                  # TOKENS has deeper, as text
    if r < 0.6:
        return json.dumps(replace_one(
            rng, value, lambda old: confuse(rng, old))).encode()
    if r < 0.65 and value.get("params"):
        # NAME.exp_avg_sq.npy is 15 bytes longer than NAME: 240 fits in
        # NAME_MAX = 255, 241 fails after other state files are in place.
        last = ("params", len(value["params"]) - 1, "name")
        return json.dumps(replace_at(value, last, "p" * rng.choice(
            (240, 241, 300)))).encode()
    if r < 0.8:
        return common.mutate_bytes(rng, data, [d for d, _ in seeds])
    if r < 0.93:
        marker = "\u0001token\u0001"
        text = json.dumps(replace_one(rng, value, lambda _: marker))
        return text.replace(json.dumps(marker), rng.choice(TOKENS)).encode()
    return rng.choice((b"\xef\xbb\xbf" + data, data.decode().encode("utf-16"),
                       data + b"\xff", data.replace(b'"', b'"\xc3', 1)))


def write(path, data=b"previous"):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def destinations(rng, workdir):
    """(-o, --init-state or None), relative to workdir, after making what
    the case finds there beforehand."""
    def at(*parts):
        return os.path.join(workdir, *parts)

    output, state = "step.mlir", "state" if rng.random() < 0.6 else None
    if rng.random() < 0.4:
        write(at(output))
    if state and rng.random() < 0.4:     # a state from before, the user's files
        write(at(state, "step.npy"))
        write(at(state, "w.npy"))
    choice = rng.randrange(16)           # 10..15: the plain destinations
    if choice == 0:
        output = "folder"
        write(at(output, "keep"))
    elif choice == 1:
        output = "model.json/step.mlir"
    elif choice == 2:
        output = "missing/step.mlir"
    elif choice == 3:
        os.makedirs(at("real"))
        os.symlink("real", at("link"))
        output = "link"
    elif choice == 4:
        output = rng.choice(("o" * 255, "o" * 256, LONG))
    elif choice == 5:
        state = "state"
        output = rng.choice(("state/step.npy", "state", "state/step.mlir"))
    elif choice == 6:
        state = rng.choice(("model.json", "model.json/state"))
    elif choice == 7:
        state = rng.choice((LONG, "new/deeper/" + LONG, "new/deeper/state"))
    elif choice == 8:                    # a folder where a state file goes
        state = "state"
        os.makedirs(at(state, "lr_scale.npy"))
    elif choice == 9:
        state = "link"
        os.makedirs(at("real"))
        write(at("real", "w.npy"))
        os.symlink("real", at("link"))
    return output, state


def state_type(text):
    """(shape, dtype) of an MLIR tensor type's body, '6x4xf32' or 'i64'."""
    *dims, element = text.split("x")
    return tuple(int(d) for d in dims), {"f32": "<f4", "i64": "<i8"}[element]


def check_state(folder, others, arguments):
    """What is wrong with a state folder, where the files `others` are not
    stepgen's, given the step's arguments [(type, name, role)]."""
    expected = {f"{name}.npy": (state_type(type_), name)
                for type_, name, role in arguments
                if role in ("state", "step", "hyper")}
    listing = set(os.listdir(folder))
    wrong = [f"missing {n}" for n in sorted(set(expected) - listing)]
    wrong += [f"extra {n}" for n in sorted(listing - set(expected) - others)]
    for file, ((shape, dtype), name) in sorted(expected.items()):
        if file not in listing:
            continue
        try:
            array = np.load(os.path.join(folder, file), mmap_mode="r")
        except (OSError, ValueError) as e:
            wrong.append(f"{file}: {e}")
            continue
        if array.shape != shape or array.dtype.str != dtype:
            wrong.append(f"{file}: {array.dtype.str} {array.shape}, "
                         f"expected {dtype} {shape}")
            continue
        if name.endswith(".subspace"):
            good = np.array_equal(array, np.arange(shape[0]))
        elif name == "lr_scale":
            good = array == 1
        else:
            good = not array.any()
        if not good:
            wrong.append(f"{file}: wrong initial values")
    return wrong


class StepgenTarget(common.Target):
    name = "stepgen"

    def __init__(self):
        self.seeds = load_seeds()
        self.opt = os.path.join(common.tools_dir(), "optgraph-opt")
        if not os.access(self.opt, os.X_OK):
            sys.exit(f"fuzz_stepgen: no {self.opt}: build optgraph first "
                     "or set OPTGRAPH_TOOLS_DIR")
        self.env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "python"),
                        OPENBLAS_NUM_THREADS="1")

    def case(self, rng, index, workdir):
        write(os.path.join(workdir, "model.json"), mutate_model(rng, self.seeds))
        output, state = destinations(rng, workdir)
        argv = ["-m", "optgraph.stepgen", "model.json", "-o", output]
        if state:
            argv += ["--init-state", state]
        write(os.path.join(workdir, "command.txt"),
              f"cd {shlex.quote(workdir)} && python3 {shlex.join(argv)}\n"
              .encode())
        # The state folder's files that are not stepgen's to write.
        others = set(os.listdir(os.path.join(workdir, state))) \
            if state and os.path.isdir(os.path.join(workdir, state)) else set()
        if state and os.path.dirname(output) == state:
            others.add(os.path.basename(output))
        before = common.snapshot(workdir)
        outcome = common.run_command(
            [sys.executable, "-c", LIMITED, sys.executable] + argv,
            timeout=60, cwd=workdir, env=self.env)
        found = [(cls, outcome.stderr.strip()[-300:])
                 for cls in common.classify(outcome)]
        if outcome.timed_out:
            return found
        diff = common.changes(before, common.snapshot(workdir))
        lines = (outcome.stdout + outcome.stderr).splitlines()
        if outcome.returncode != 0:
            common.tally("refused")
            if diff:
                found.append(("partial", f"{'; '.join(diff[:5])} after: "
                                         f"{outcome.stderr.strip()[-200:]}"))
            if not found and (len(lines) != 1 or
                              not lines[0].startswith(PREFIX)):
                found.append(("message", repr(outcome.stderr[-300:])))
            return found
        common.tally("wrote")
        if lines:
            found.append(("message", f"output on success: {lines[0][:200]}"))
        verify = common.run_command([self.opt, output, "-o", os.devnull],
                                    timeout=60, cwd=workdir)
        if verify.returncode != 0:
            error = next((line for line in verify.stderr.splitlines()
                          if "error" in line), verify.stderr.strip())
            return found + [("accepted", error[:300])]
        with open(os.path.join(workdir, output), encoding="utf-8") as f:
            arguments = ARGUMENT.findall(f.read())
        names = [name for _, name, _ in arguments]
        bad = [n for n in names if not NAME.fullmatch(n) or n.startswith(".")]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if bad or repeated:
            found.append(("accepted", "argument names optgraph-compile "
                          f"rejects: {bad[:3]}, repeated: {repeated[:3]}"))
        # What a success may change: the -o file, the state files, and the
        # state folder with the parents it was created with.
        def real(path):
            return os.path.realpath(os.path.join(workdir, path))

        allowed = {real(output)}
        if state:
            allowed |= {real(os.path.join(state, n))
                        for n in os.listdir(real(state))}
            folder = real(state)
            while folder.startswith(os.path.realpath(workdir) + os.sep):
                allowed.add(folder)
                folder = os.path.dirname(folder)
        touched = [d for d in diff if real(d.split(" ", 1)[1]) not in allowed]
        if touched:
            found.append(("wrong", f"touched {'; '.join(touched[:5])}"))
        if state:
            wrong = check_state(os.path.join(workdir, state), others,
                                arguments)
            if wrong:
                found.append(("wrong", "; ".join(wrong[:5])))
        return found


if __name__ == "__main__":
    sys.exit(common.main(StepgenTarget()))
