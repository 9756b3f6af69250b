"""The shared engine of optgraph's mutation fuzzers (fuzz/fuzz_*.py).

A fuzzer is a `Target`: it builds case number i from a random generator
seeded by (seed, i) — so every case is reproducible from its number alone —
runs a command on it, and checks the outcome. The engine runs the cases on a
few worker threads (each case is a subprocess), classifies what went wrong
and keeps a reproducer of every finding.

Classes of findings (the project's reliability rules, README "Fuzzing"):

  crash        killed by a signal, an exit status of 128 or more, or a
               sanitizer / LLVM fatal-error / assertion / stack-dump banner
  hang         ran past the per-case time limit
  traceback    a Python traceback instead of a one-line error
  silent       a non-zero exit without an error message
  partial      a failed run changed files the user owns
  accepted     invalid input accepted (the target's own oracle says so)
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

CRASH_BANNERS = (
    "LLVM ERROR",
    "PLEASE submit a bug report",
    "Stack dump:",
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",          # UBSan
    "Assertion `",
    "Segmentation fault",
    "terminate called",
)

INTERESTING_INTS = (0, 1, -1, 2, 3, 7, 31, 32, 33, 63, 64, 65, 127, 128, 255,
                    256, 1023, 1024, 1025, 4096, 32767, 32768, 65535, 65536,
                    2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**40, 2**53,
                    2**63 - 1, 2**63, 2**64, -2**31, -2**63)


_tally = {}
_tally_lock = threading.Lock()


def tally(label):
    """Counts what cases did (e.g. 'accepted', 'rejected'), for the summary:
    a fuzzer whose mutants all fail to parse tests little."""
    with _tally_lock:
        _tally[label] = _tally.get(label, 0) + 1


class Outcome:
    def __init__(self, returncode, stdout, stderr, timed_out, seconds):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out
        self.seconds = seconds


def run_command(cmd, timeout, cwd=None, env=None, stdin=None):
    """Runs cmd (a list) in its own process group; kills the group on
    timeout. Never raises for the child's behaviour."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL
                            if stdin is None else subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(input=stdin, timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        timed_out = True
    return Outcome(proc.returncode, out.decode("utf-8", "replace"),
                   err.decode("utf-8", "replace"), timed_out,
                   time.monotonic() - start)


def classify(outcome, python=False):
    """The finding classes a plain run shows by itself (crash, hang,
    traceback, silent); [] when the tool behaved."""
    if outcome.timed_out:
        return ["hang"]
    found = []
    if outcome.returncode < 0 or outcome.returncode >= 128 or \
            any(b in outcome.stderr for b in CRASH_BANNERS):
        found.append("crash")
    if "Traceback (most recent call last)" in outcome.stderr:
        found.append("traceback")
    if outcome.returncode != 0 and not found and \
            "error" not in outcome.stderr.lower():
        found.append("silent")
    return found


def tool_lines(stderr):
    """The lines of stderr the tool wrote: without the warning a sanitized
    build prints when its allocator returns null (allocator_may_return_null),
    where an unsanitized malloc fails silently."""
    return [line for line in stderr.splitlines()
            if not re.match(r"==\d+==WARNING: AddressSanitizer failed to "
                            r"allocate", line)]


def snapshot(path):
    """{relative path: (kind, digest)} of everything under path (or of the
    file itself); None when it does not exist."""
    if not os.path.lexists(path):
        return None
    if not os.path.isdir(path) or os.path.islink(path):
        return {"": _entry(path)}
    state = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(root, name)
            state[os.path.relpath(full, path)] = _entry(full)
    return state


def _entry(path):
    if os.path.islink(path):
        return ("link", os.readlink(path))
    if os.path.isdir(path):
        return ("dir", None)
    if not os.path.isfile(path):        # a FIFO or device: never opened
        return ("special", os.stat(path).st_mode)
    try:
        with open(path, "rb") as f:
            return ("file", hashlib.sha1(f.read()).hexdigest())
    except OSError as e:
        return ("unreadable", str(e))


def changes(before, after):
    """Human-readable differences between two snapshots."""
    if before == after:
        return []
    before, after = before or {}, after or {}
    diff = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            what = "added" if key not in before else \
                "removed" if key not in after else "changed"
            diff.append(f"{what} {key or '.'}")
    return diff


# ---------------------------------------------------------------------------
# Mutators


def mutate_bytes(rng, data, splice_from=()):
    """One to four random edits of a byte string."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(7)
        pos = rng.randrange(len(data) + 1)
        if choice == 0 and data:                       # flip a bit
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        elif choice == 1 and data:                     # interesting byte
            i = rng.randrange(len(data))
            data[i] = rng.choice((0, 0xFF, 0x7F, 0x80, 0x20, 0x0A, 0x27,
                                  0x7B, 0x7D, 0x28, 0x29, 0x2C, 0x3A))
        elif choice == 2:                              # delete a chunk
            del data[pos:pos + rng.randint(1, 16)]
        elif choice == 3:                              # duplicate a chunk
            chunk = data[pos:pos + rng.randint(1, 32)]
            data[pos:pos] = chunk * rng.randint(1, 4)
        elif choice == 4:                              # random bytes
            data[pos:pos] = bytes(rng.randrange(256)
                                  for _ in range(rng.randint(1, 8)))
        elif choice == 5:                              # truncate
            del data[pos:]
        elif splice_from:                              # splice another seed
            other = rng.choice(splice_from)
            a = rng.randrange(len(other) + 1)
            data[pos:pos] = other[a:a + rng.randint(1, 64)]
    return bytes(data)


def interesting_number(rng):
    choice = rng.randrange(6)
    if choice == 0:
        return rng.choice(INTERESTING_INTS)
    if choice == 1:
        return rng.choice((0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 1e-300, 1e300,
                           float("nan"), float("inf"), -float("inf")))
    if choice == 2:
        return rng.randint(-3, 70000)
    if choice == 3:
        return rng.uniform(-2, 2)
    if choice == 4:
        return rng.choice((True, False))
    return rng.choice(("1", "", "nan", "auto", "dct5", "l3", "left", None,
                       [], {}, [1, 2, 3], {"a": 1}))


def mutate_json(rng, value, depth=0):
    """A structurally mutated copy of a JSON value: one random node replaced,
    deleted, duplicated or given an unknown key."""
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(list(value))
        value = dict(value)
        r = rng.random()
        if r < 0.1:
            del value[key]
        elif r < 0.15:
            value[key + rng.choice(("x", "_", ""))] = interesting_number(rng)
        else:
            value[key] = mutate_json(rng, value[key], depth + 1)
        return value
    if isinstance(value, list) and value and rng.random() < 0.7:
        value = list(value)
        i = rng.randrange(len(value))
        r = rng.random()
        if r < 0.1:
            del value[i]
        elif r < 0.2:
            value.insert(i, value[i])
        else:
            value[i] = mutate_json(rng, value[i], depth + 1)
        return value
    r = rng.random()
    if r < 0.03:
        nested = 0
        for _ in range(rng.choice((50, 5000))):
            nested = [nested]
        return nested
    if isinstance(value, bool):
        return interesting_number(rng)
    if isinstance(value, int) and r < 0.7:
        return rng.choice((value + rng.randint(-3, 3), value * 2, -value,
                           rng.choice(INTERESTING_INTS)))
    if isinstance(value, str) and r < 0.6:
        return rng.choice((value + "x", value[:-1], value.upper(), "",
                           value + "\u00e9", "a" * 300, value + "/x",
                           "..", "bad name"))
    return interesting_number(rng)


# ---------------------------------------------------------------------------
# The driver


class Target:
    """A fuzzer: name, and `case(rng, index, workdir) -> list of findings`
    where a finding is (class, message). The case runs in its own empty
    `workdir`, which the engine keeps as the reproducer when it finds
    something. `seeds` is the corpus the mutations start from."""

    name = "target"

    def case(self, rng, index, workdir):
        raise NotImplementedError


def tools_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("OPTGRAPH_TOOLS_DIR",
                          os.path.join(os.path.dirname(here), "build", "bin"))


def main(target, argv=None):
    parser = argparse.ArgumentParser(description=f"mutation fuzzer: {target.name}")
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first", type=int, default=0,
                        help="number of the first case (reproduce one with "
                             "--first N --cases 1)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--findings", default=None,
                        help="folder for reproducers (default: a temporary "
                             "one, printed)")
    parser.add_argument("--json", default=None, help="write the summary here")
    args = parser.parse_args(argv)

    findings_dir = args.findings or tempfile.mkdtemp(
        prefix=f"optgraph-fuzz-{target.name}-")
    os.makedirs(findings_dir, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=f"optgraph-fuzz-{target.name}-work-")
    counts = {}
    findings = []
    start = time.monotonic()

    def one(index):
        rng = random.Random(f"{target.name}:{args.seed}:{index}")
        workdir = os.path.join(scratch, str(index))
        os.makedirs(workdir)
        try:
            found = target.case(rng, index, workdir)
        except Exception as e:  # the fuzzer's own bug: report, keep going
            found = [("harness", f"{type(e).__name__}: {e}")]
        if found:
            keep = os.path.join(findings_dir, f"case-{index}")
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(workdir, keep, symlinks=True,
                            ignore_dangling_symlinks=True)
            with open(os.path.join(keep, "FINDING.txt"), "w") as f:
                for cls, message in found:
                    f.write(f"{cls}: {message}\n")
        shutil.rmtree(workdir, ignore_errors=True)
        return index, found

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for index, found in pool.map(one, range(args.first,
                                                args.first + args.cases)):
            for cls, message in found:
                counts[cls] = counts.get(cls, 0) + 1
                findings.append((index, cls, message))
    shutil.rmtree(scratch, ignore_errors=True)

    seconds = time.monotonic() - start
    summary = {"target": target.name, "seed": args.seed, "first": args.first,
               "cases": args.cases, "seconds": round(seconds, 1),
               "findings": counts, "outcomes": dict(sorted(_tally.items()))}
    for index, cls, message in findings[:50]:
        print(f"{target.name}: case {index}: {cls}: {message[:300]}",
              file=sys.stderr)
    print(f"{target.name}: {args.cases} cases (seed {args.seed}) in "
          f"{seconds:.0f} s: " + (", ".join(f"{n} {c}" for c, n in
                                           sorted(counts.items()))
                                 or "no findings") +
          (f" (outcomes: {summary['outcomes']})" if _tally else "") +
          (f"; reproducers in {findings_dir}" if findings else ""))
    if not findings and not args.findings:
        shutil.rmtree(findings_dir, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 1 if findings else 0
