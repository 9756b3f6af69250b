"""Mutation fuzzer for `optgraph-run STEP.so --in DIR --out DIR`.

At start-up it compiles two real step libraries (test/Tools/Inputs/small.json
and a second small model with a left-side low-rank and an AdamW parameter),
writes a valid input folder for each, and builds with cc a stand-in library
that carries small.json's manifest in a 64 KiB buffer and whose step does
nothing, so that any manifest patched into that buffer is safe to run (all
cached in a temporary folder); then it runs each library once for the
reference outputs. Each case takes a library and its inputs, sets up the
output folder (missing, holding previous outputs and the user's files, a
folder / symbolic link / dangling link where an output goes, unwritable, a
file, under a file, a missing parent, a link to a folder, --out equal to
--in) and mutates one of:

  an input .npy   raw byte edits of its header or its data, a header built
                  from random parts (dtype, shape, fortran order, version,
                  length field, key syntax, padding, truncation, trailing
                  bytes), numpy.save of another dtype, shape or order, or
                  something else in its place (a folder, a FIFO, a link, an
                  empty file, another input)
  the manifest    (the stand-in) common.mutate_json, byte edits, JSON text
                  json.dumps does not write, sizes, names and bounds at the
                  limits
  the command line

optgraph-run runs with a 64 MiB file-size limit (SIGXFSZ ignored), so that
a manifest's large outputs fail on the way instead of filling the disk.

Findings, beyond common.classify's:

  partial   a failed run changed a file (inputs, output folder, a link's
            target)
  message   a failure that is not exactly one line `optgraph-run: error:
            ...` with status 1, or the usage with status 2; output on
            success
  accepted  a success on an input .npy that NumPy's header reader rejects
            or reads with another dtype, shape, order or data size than the
            manifest's, on indices out of bounds, or on a manifest that
            manifest_problem (the rules of StepLibrary.h) rejects
  rejected  a valid run that failed: a manifest manifest_problem accepts
            rejected as a manifest, or valid inputs and a usable folder
  wrong     a success whose outputs are missing, do not load with the
            manifest's dtype and shape, differ from the reference outputs
            on the same data, or that changed other files (temporaries,
            backups)

    python3 fuzz/fuzz_run.py --cases 500 --seed 1 --jobs 2
"""

import hashlib
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np

try:  # the header reader numpy.load uses, for every format version
    from numpy.lib._format_impl import _read_array_header
except ImportError:  # NumPy 1
    from numpy.lib.format import _read_array_header

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(REPO, "python")
sys.path.insert(0, PYTHON)
from optgraph import stepgen  # noqa: E402

MODELS = {
    "small": json.load(open(os.path.join(REPO, "test", "Tools", "Inputs",
                                         "small.json"))),
    "second": {"defaults": {"lr": 0.02, "weight_decay": 0.1, "rank": 3,
                            "interval": 2},
               "params": [{"name": "proj", "shape": [7, 5], "side": "left"},
                          {"name": "dense", "shape": [4, 3],
                           "rule": "adamw"}]},
}
MANIFEST_BYTES = 65536
STANDIN = """/* A stand-in step for fuzz/fuzz_run.py: a manifest buffer that
   the fuzzer overwrites in the library's bytes, and a step that does
   nothing, so that whatever manifest it carries is safe to run. */
#include <stddef.h>
const char optgraph_manifest[%d] = "%s";
int optgraph_step(void **buffers, char *error, size_t error_size) {
  return 0;
}
"""
FILE_LIMIT = 64 << 20
# Runs the rest of the command line under the file-size limit
# (common.run_command takes no preexec_fn).
LIMITED = f"""
import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({FILE_LIMIT}, {FILE_LIMIT}))
os.execv(sys.argv[1], sys.argv[1:])
"""
ERROR = "optgraph-run: error: "
NAME = re.compile(r"[A-Za-z0-9_.-]{1,200}\Z")
ROLES = {"param", "grad", "state", "step", "hyper", "input", "output"}
TENSOR_KEYS = {"name", "role", "dtype", "shape", "memory", "index_bound"}
MAX_DIMENSION = 2**31 - 1
MAX_ELEMENTS = 2**40
# JSON text that json.dumps does not write.
TOKENS = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400",
          "-0", "-0.0", "2.0", "1E0", "0.5e1", "9223372036854775808",
          "1" + "0" * 400, "[" * 70 + "]" * 70, "[" * 64 + "]" * 64,
          '"\\ud800"', '"\\udc00\\ud800"', '"\\ud83d\\ude00"', '"\\u00"',
          '"\\u0000"', '"\\u002e"', '"a\\/b"', "true", "null", "01", "+1",
          ".5", "0x10", '"\t"',
          # Raw bytes (surrogateescape): invalid, valid and overlong UTF-8.
          '"\udcff"', '"\udcc3\udca9"', '"\udcc0\udcae"')


def manifest_problem(data):
    """Why optgraph-run must reject manifest bytes (the C string: up to the
    first NUL), or None for a valid manifest: the rules of StepLibrary.h and
    Json.h, written independently."""
    text = data.split(b"\0", 1)[0]

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(pairs)

    def no_constant(name):
        raise ValueError(name)

    try:
        root = json.loads(text.decode("utf-8"),
                          object_pairs_hook=no_duplicates,
                          parse_constant=no_constant)
    except (ValueError, RecursionError) as e:
        return f"not JSON: {e}"

    def bad_value(value, depth):
        if depth > 64:
            return "nesting too deep"
        if isinstance(value, float) and not math.isfinite(value):
            return "a number out of range"
        if isinstance(value, int) and not isinstance(value, bool) and \
                abs(value) > 1.7976931348623157e308:
            return "a number out of range"
        strings = [value] if isinstance(value, str) else \
            list(value) if isinstance(value, dict) else []
        for s in strings:
            try:
                s.encode("utf-8")
            except UnicodeEncodeError:
                return "a lone surrogate"
        children = value.values() if isinstance(value, dict) else \
            value if isinstance(value, list) else ()
        return next((p for p in (bad_value(c, depth + 1) for c in children)
                     if p), None)

    def integer(value, low, high):
        return isinstance(value, (int, float)) and \
            not isinstance(value, bool) and value == int(value) and \
            low <= value <= high

    problem = bad_value(root, 0)
    if problem:
        return problem
    if not isinstance(root, dict):
        return "not an object"
    if set(root) - {"abi", "target", "entry", "inputs", "outputs"}:
        return "unknown key"
    if not integer(root.get("abi"), 2, 2):
        return "abi"
    target = root.get("target")
    if target not in ("cpu", "cuda") or not isinstance(root.get("entry"), str):
        return "target or entry"
    lists = {}
    for kind in ("inputs", "outputs"):
        tensors = root.get(kind)
        if not isinstance(tensors, list):
            return f"{kind} not an array"
        for t in tensors:
            if not isinstance(t, dict) or set(t) - TENSOR_KEYS:
                return "a tensor is not an object of known keys"
            name, shape = t.get("name"), t.get("shape")
            if not isinstance(name, str) or not NAME.match(name) or \
                    name.startswith("."):
                return "name"
            if t.get("role") not in ROLES or \
                    t.get("dtype") not in ("<f4", "<i8") or \
                    t.get("memory") not in ("host", "device"):
                return f"{name}: role, dtype or memory"
            if t["memory"] == "device" and target != "cuda":
                return f"{name}: device memory on the cpu"
            if not isinstance(shape, list) or len(shape) > 32 or \
                    not all(integer(d, 1, MAX_DIMENSION) for d in shape) or \
                    math.prod(int(d) for d in shape) > MAX_ELEMENTS:
                return f"{name}: shape"
            if "index_bound" in t and (
                    not integer(t["index_bound"], 1, MAX_DIMENSION) or
                    t["dtype"] != "<i8"):
                return f"{name}: index_bound"
        names = [t["name"] for t in tensors]
        if len(set(names)) != len(names):
            return f"two {kind} of one name"
        lists[kind] = {t["name"]: t for t in tensors}
    for name, output in lists["outputs"].items():
        source = lists["inputs"].get(name)
        if source and (source["dtype"] != output["dtype"] or
                       [int(d) for d in source["shape"]] !=
                       [int(d) for d in output["shape"]]):
            return f"{name}: output differs from its input"
    return None


def numpy_view(path):
    """(dtype, shape, fortran_order, data bytes) as NumPy's own reader takes
    the file, or None when it rejects it (or it is no regular file)."""
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            version = np.lib.format.read_magic(f)
            if version not in ((1, 0), (2, 0), (3, 0)):
                return None
            shape, fortran, dtype = _read_array_header(f, version)
            return dtype, tuple(shape), fortran, f.read()
        except Exception:  # every way NumPy refuses a file
            return None


def view_problem(view, spec):
    """Why a file NumPy reads as `view` does not hold the tensor `spec`."""
    if view is None:
        return "NumPy rejects it"
    dtype, shape, fortran, data = view
    if dtype != np.dtype(spec["dtype"]) or \
            shape != tuple(int(d) for d in spec["shape"]):
        return f"NumPy reads {dtype.str} {shape}"
    if fortran and len(shape) > 1:
        return "NumPy reads it in Fortran order"
    if len(data) != math.prod(shape) * dtype.itemsize:
        return f"{len(data)} data bytes"
    if spec.get("index_bound"):
        values = np.frombuffer(data, "<i8")
        if values.min() < 0 or values.max() >= spec["index_bound"] or \
                (np.diff(values) <= 0).any():
            return f"indices {values.tolist()} out of bounds"
    return None


def npy_header_length(data):
    """Where the data of a well-formed .npy file starts."""
    size = 2 if data[6] == 1 else 4
    return 8 + size + int.from_bytes(data[8:8 + size], "little")


def crafted_npy(rng, array):
    """A file holding array's bytes under a header built from random parts,
    and whether optgraph-run must accept it (the parts NumPy writes, keys in
    any order, either quotes, spaces, padding or none): True or None."""
    descr = np.lib.format.dtype_to_descr(array.dtype)
    dims = [str(d) for d in array.shape]
    claim = True

    def part(good, *bad):
        nonlocal claim
        if rng.random() < 0.9:
            return good
        claim = None
        return rng.choice(bad)

    quote = rng.choice("'\"")
    tuple_text = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
    values = {
        "descr": part(quote + descr + quote, "'<f8'", "'>f4'", "'<i4'",
                      "'float32'", "'<f'", "'|u1'", descr, "b'<f4'",
                      "'<i8'", "'<f4'", "[('', '<f4')]"),
        "fortran_order": part("False", "True", "0", "1", "'False'", "false",
                              "None", "(False)"),
        "shape": part(tuple_text, "(" + ", ".join(reversed(dims)) + ")",
                      "(" + ", ".join(dims + ["1"]) + ")",
                      "(" + ", ".join(dims[1:]) + ")", "()",
                      "(" + ", ".join(dims) + ")", "[" + ", ".join(dims) + "]",
                      "(-" + ", ".join(dims) + ",)",
                      "(" + "L, ".join(dims) + "L,)",
                      "(0" + ", ".join(dims) + ",)",
                      "(" + ", ".join(dims) + ".0,)",
                      "(9223372036854775808, " + ", ".join(dims) + ")",
                      "(True, " + ", ".join(dims) + ")",
                      "(0x" + ", ".join(dims) + ",)"),
    }
    keys = list(values)
    if rng.random() < 0.5:
        rng.shuffle(keys)
    items = [f"{quote}{k}{quote}: {values[k]}" for k in keys]
    r = rng.random()
    if r < 0.05:
        claim = None
        del items[rng.randrange(len(items))]
    elif r < 0.1:
        claim = None
        items.insert(rng.randrange(len(items) + 1), rng.choice(
            (f"'descr': '{descr}'", "'extra': 1", "'shape': ()")))
    separator = part(rng.choice((", ", ",", " ,  ")), ",\n", ",\t", " ")
    text = "{" + separator.join(items) + part(
        rng.choice((", ", "", ",")), ",,", ", ,") + "}"
    text += part("", "x", " {}", "\n}", "#", "\0")
    version = part((1, 0), (0, 0), (1, 1), (4, 0), (2, 1), (255, 255))
    if rng.random() < 0.3:
        version = rng.choice(((2, 0), (3, 0)))
    length_bytes = 2 if version[0] == 1 else 4
    tail = part(None, b"", b"\t\n", b"\n ", b"\r\n", b" " * 20, b"\0\n")
    header = text.encode("latin1")
    if tail is None:
        header += b" " * (rng.choice((0, 1, 63)) if rng.random() < 0.2 else
                          -(8 + length_bytes + len(header) + 1) % 64) + b"\n"
    else:
        header += tail
    length = part(len(header), len(header) + rng.choice((-2, -1, 1, 2)), 0,
                  256 ** length_bytes - 1, 10001)
    data = part(array.tobytes(), array.tobytes()[:-1], array.tobytes() +
                b"\0", b"", array.tobytes()[:len(array.tobytes()) // 2])
    return (b"\x93NUMPY" + bytes(version) +
            (length % 256 ** length_bytes).to_bytes(length_bytes, "little") +
            header + data), claim


def mutate_input(rng, path, array, workdir):
    """Breaks (or rewrites) one input file; True when optgraph-run must
    still accept it, else None."""
    with open(path, "rb") as f:
        data = f.read()
    split = npy_header_length(data)
    r = rng.random()
    if r < 0.15:
        data = common.mutate_bytes(rng, data[:split]) + data[split:]
    elif r < 0.25:
        data = data[:split] + common.mutate_bytes(rng, data[split:])
    elif r < 0.3:
        data = common.mutate_bytes(rng, data)
    elif r < 0.7:
        data, claim = crafted_npy(rng, array)
        write(path, data)
        return claim
    elif r < 0.85:
        os.remove(path)
        variants = [array, array.astype(np.float64), array.astype(np.int32),
                    array.astype(np.int64), array.astype(np.float32),
                    array.astype(">" + array.dtype.str[1:]), array.T,
                    np.asfortranarray(array), array.reshape(-1), array[None],
                    np.zeros((), array.dtype), np.zeros((0,), array.dtype)]
        variant = rng.choice(variants)
        np.save(path, variant)
        same = variant.dtype == array.dtype and variant.shape == array.shape \
            and (variant.ndim < 2 or not np.isfortran(variant))
        return True if same else None
    else:
        os.remove(path)
        choice = rng.randrange(6)
        if choice == 0:
            write(path, b"")
        elif choice == 1:
            os.makedirs(path)
        elif choice == 2:                     # kept out of the snapshots
            os.makedirs(os.path.join(workdir, "special"), exist_ok=True)
            os.mkfifo(os.path.join(workdir, "special", "fifo"))
            os.symlink(os.path.join("..", "special", "fifo"), path)
        elif choice == 3:                     # a valid file through a link
            write(os.path.join(workdir, "ext", "valid.npy"), data)
            os.symlink(os.path.join("..", "ext", "valid.npy"), path)
            return True
        elif choice == 4:
            os.symlink("nowhere.npy", path)
        else:
            others = [n for n in os.listdir(os.path.dirname(path))
                      if n != os.path.basename(path)]
            shutil.copy(os.path.join(os.path.dirname(path),
                                     rng.choice(others)), path)
        return None
    write(path, data)
    return None


def replace_random(rng, value, new):
    """value with one node, at a random depth, replaced by new."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        return dict(value, **{key: replace_random(rng, value[key], new)})
    if isinstance(value, list) and value and rng.random() < 0.8:
        i = rng.randrange(len(value))
        return value[:i] + [replace_random(rng, value[i], new)] + value[i + 1:]
    return new


def mutate_manifest(rng, manifest):
    """Bytes of a broken (or still valid) manifest."""
    r = rng.random()
    if r < 0.1:                               # the same manifest, respelt
        text = json.dumps(manifest, indent=rng.choice((None, 0, 2, "\t")),
                          sort_keys=rng.random() < 0.5)
        return re.sub(r"(?<=[\[ ])(\d+)(?=[,\]])", lambda m: rng.choice(
            (m.group(1), m.group(1) + ".0", m.group(1) + "e0")), text).encode()
    if r < 0.4:
        value = manifest
        for _ in range(rng.randint(1, 3)):
            value = common.mutate_json(rng, value)
        try:
            return json.dumps(value, ensure_ascii=rng.random() < 0.8).encode()
        except (RecursionError, ValueError):  # nested too deep for dumps
            return json.dumps(manifest).encode()
    if r < 0.6:                               # a tensor at the limits
        value = json.loads(json.dumps(manifest))
        tensor = rng.choice(value["inputs"] + value["outputs"])
        if rng.random() < 0.3:                # an output of its own
            tensor = dict(tensor, name="extra", role="output")
            tensor.pop("index_bound", None)
            value["outputs"].append(tensor)
        key = rng.choice(("shape", "name", "index_bound", "memory", "dtype"))
        tensor[key] = rng.choice({
            "shape": ([2**20, 2**20], [2**20, 2**20 + 1], [2**31 - 1],
                      [2**31], [0], [1] * 32, [1] * 33, [2**13] * 3,
                      [2**14] * 3, [], [2.0, 2], [-0.0]),
            "name": ("", ".x", "a/b", "..", "x" * 200, "x" * 201, "a b",
                     "é", "w", "step", tensor["name"] + ".npy"),
            "index_bound": (0, 1, 2**31 - 1, 2**31, 2.5, "4", True, None),
            "memory": ("device", "Host", None),
            "dtype": ("<f8", "<f4", "<i8", "f4", ""),
        }[key])
        if rng.random() < 0.2:
            value["target"] = "cuda"
        return json.dumps(value).encode()
    text = json.dumps(manifest).encode()
    if r < 0.75:
        return common.mutate_bytes(rng, text)
    if r < 0.8:                               # text around a valid manifest
        junk = rng.choice((b" x", b"}", b",", b"{}", b" \n\0junk", b"\t"))
        return junk + text if rng.random() < 0.3 else text + junk
    marker = "\u0001token\u0001"
    text = json.dumps(replace_random(rng, manifest, marker))
    return text.replace(json.dumps(marker),
                        rng.choice(TOKENS)).encode("utf-8", "surrogateescape")


def write(path, data=b"previous"):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def output_folder(rng, workdir, library, is_root):
    """--out, relative to workdir, after making what the case finds there;
    and whether a valid run must succeed with it."""
    at = lambda *parts: os.path.join(workdir, *parts)  # noqa: E731
    outputs = [t["name"] for t in library["manifest"]["outputs"]]
    choice = rng.randrange(14)
    if choice < 4:
        return "o/out", True
    if choice == 4:
        return "in", True
    out = "o/out"
    for name in outputs:                      # the previous step's outputs
        if rng.random() < 0.7:
            write(at(out, name + ".npy"), b"previous " + name.encode())
    write(at(out, "notes.txt"), b"the user's")
    if rng.random() < 0.3:                    # another run's stale temporary
        write(at(out, f".{rng.choice(outputs)}.npy.tmp-{rng.randint(1, 99)}"))
    victim = at(out, rng.choice(outputs) + ".npy")
    if os.path.exists(victim):
        os.remove(victim)
    if choice == 5:
        return out, True
    if choice == 6:
        os.makedirs(victim)
        if rng.random() < 0.5:
            write(os.path.join(victim, "inside"))
        return out, False
    if choice == 7:                           # replaced, its target kept
        write(at("ext", "target"), b"the link's target")
        os.symlink(os.path.relpath(at("ext", "target"), at(out)), victim)
        return out, True
    if choice == 8:
        os.symlink("nowhere", victim)
        return out, True
    if choice == 9:
        if is_root:                           # root writes anyway
            return out, True
        os.chmod(at(out), 0o555)
        return out, False
    if choice == 10:
        os.makedirs(at("ext", "real"))
        os.symlink(os.path.join("..", "ext", "real"), at("o", "link"))
        return rng.choice(("o/link", "o/link/")), True
    if choice == 11:
        return rng.choice(("o/out/", "o//out", "./o/out")), True
    if choice == 12:
        write(at("o", "file"))
        return rng.choice(("o/file", "o/file/sub")), False
    return "o/missing/deeper", False


def mutate_command(rng, argv):
    """A broken (or merely unusual) command line; and whether it must still
    run the step."""
    argv = list(argv)
    choice = rng.randrange(10)
    if choice == 0:
        del argv[rng.randrange(len(argv))]
    elif choice == 1:
        i = rng.randrange(len(argv))
        argv.insert(i, argv[i])
    elif choice == 2:
        argv.insert(rng.randrange(len(argv) + 1),
                    rng.choice(("--bogus", "-x", "", "--in", "--out", "-",
                                "--in=in", "extra.so")))
    elif choice == 3:
        argv.append(rng.choice(("--in", "--out")))
    elif choice == 4:
        i, j = rng.randrange(len(argv)), rng.randrange(len(argv))
        argv[i], argv[j] = argv[j], argv[i]
    elif choice == 5:                         # between the options
        argv.insert(rng.choice((1, 3, 5)), rng.choice(("-v", "--verbose")))
        return argv, True
    elif choice == 6:
        argv.append(rng.choice(("--manifest", "--help", "-h")))
    elif choice == 7:
        argv[0] = rng.choice(("missing.so", "in", "in/step.npy", "empty.so",
                              "/dev/null", "text.so"))
    else:                                     # --in and --out swapped round
        argv = [argv[0], "--out", argv[4], "--in", argv[2]]
        return argv, True
    return argv, False


def check_output(path, spec):
    """What is wrong with an output file, or None."""
    try:
        array = np.load(path)
    except (OSError, ValueError) as e:
        return f"{os.path.basename(path)}: {e}"
    if array.dtype.str != spec["dtype"] or \
            array.shape != tuple(int(d) for d in spec["shape"]):
        return (f"{os.path.basename(path)}: {array.dtype.str} {array.shape}, "
                f"expected {spec['dtype']} {spec['shape']}")
    return None


def option(argv, flag):
    """The value optgraph-run takes for --in or --out: the last one given."""
    value, i = None, 1
    while i < len(argv):
        if argv[i] in ("--in", "--out") and i + 1 < len(argv):
            if argv[i] == flag:
                value = argv[i + 1]
            i += 1
        i += 1
    return value


class RunTarget(common.Target):
    name = "run"

    def __init__(self):
        self.run = os.path.abspath(os.path.join(common.tools_dir(),
                                                "optgraph-run"))
        if not os.access(self.run, os.X_OK):
            sys.exit(f"fuzz_run: no {self.run}: build optgraph-run first or "
                     "set OPTGRAPH_TOOLS_DIR")
        self.is_root = os.geteuid() == 0
        self.libraries = self.prepare()

    def prepare(self):
        """The libraries, their inputs and the reference outputs."""
        compile_tool = next((os.path.abspath(p) for p in (
            os.path.join(common.tools_dir(), "optgraph-compile"),
            os.path.join(REPO, "build", "bin", "optgraph-compile"))
            if os.access(p, os.X_OK)), None)
        if not compile_tool or not shutil.which("cc"):
            sys.exit("fuzz_run: needs optgraph-compile (in the tools folder "
                     "or build/bin) and cc")
        key = hashlib.sha256()
        for path in (__file__, os.path.join(PYTHON, "optgraph", "stepgen.py"),
                     compile_tool):
            with open(path, "rb") as f:
                key.update(f.read())
        cache = os.path.join(tempfile.gettempdir(),
                             f"optgraph-fuzz-run-{key.hexdigest()[:16]}")
        if not os.path.isdir(cache):
            self.build(cache, compile_tool)
        libraries = []
        for name in MODELS:
            folder = os.path.join(cache, name)
            with open(os.path.join(folder, "step.json")) as f:
                manifest = json.load(f)
            libraries.append({"name": name, "manifest": manifest,
                              "path": os.path.join(folder, "step.so"),
                              "inputs": os.path.join(folder, "in")})
        with open(os.path.join(cache, "standin.so"), "rb") as f:
            self.standin = f.read()
        self.standin_at = self.standin.index(b'{"abi"')
        for library in libraries:
            library["reference"] = self.reference(library)
        # Its step writes nothing: no reference to compare with.
        libraries.append(dict(libraries[0], name="standin", reference=None,
                              path=os.path.join(cache, "standin.so")))
        return libraries

    def build(self, cache, compile_tool):
        scratch = tempfile.mkdtemp(prefix="optgraph-fuzz-run-build-")
        try:
            self.build_in(scratch, compile_tool)
            try:
                os.rename(scratch, cache)
            except OSError:                   # another fuzzer was faster
                if not os.path.isdir(cache):
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @staticmethod
    def build_in(scratch, compile_tool):
        env = dict(os.environ, PYTHONPATH=PYTHON)
        for name, spec in MODELS.items():
            folder = os.path.join(scratch, name)
            os.makedirs(os.path.join(folder, "in"))
            with open(os.path.join(folder, "model.json"), "w") as f:
                json.dump(spec, f)
            subprocess.run([sys.executable, "-m", "optgraph.stepgen",
                            "model.json", "-o", "step.mlir"], cwd=folder,
                           env=env, check=True)
            subprocess.run([compile_tool, "step.mlir", "-o", "step.so"],
                           cwd=folder, check=True)
            arrays = stepgen.initial_state(spec)
            rng = np.random.default_rng(0)
            for p in stepgen.resolve(spec):
                for key in (p["name"], p["name"] + ".grad"):
                    arrays[key] = rng.standard_normal(
                        p["shape"]).astype(np.float32)
            for key, value in arrays.items():
                np.save(os.path.join(folder, "in", key + ".npy"), value)
        with open(os.path.join(scratch, "small", "step.json")) as f:
            text = json.dumps(json.load(f))
        with open(os.path.join(scratch, "standin.c"), "w") as f:
            f.write(STANDIN % (MANIFEST_BYTES, text.replace('"', '\\"')))
        subprocess.run(["cc", "-shared", "-fPIC", "-o", "standin.so",
                        "standin.c"], cwd=scratch, check=True)

    def reference(self, library):
        """The outputs of a valid run, by name."""
        with tempfile.TemporaryDirectory() as out:
            outcome = common.run_command([self.run, library["path"], "--in",
                                          library["inputs"], "--out", out],
                                         timeout=60)
            if outcome.returncode != 0:
                sys.exit(f"fuzz_run: the valid run of {library['name']} "
                         f"failed: {outcome.stderr.strip()}")
            return {t["name"]: np.load(os.path.join(out, t["name"] + ".npy"))
                    for t in library["manifest"]["outputs"]}

    def case(self, rng, index, workdir):
        try:
            return self.check(rng, workdir)
        finally:                              # the engine copies the folder
            shutil.rmtree(os.path.join(workdir, "special"),
                          ignore_errors=True)
            out = os.path.join(workdir, "o", "out")
            if os.path.isdir(out):
                os.chmod(out, 0o755)

    def check(self, rng, workdir):
        at = lambda *parts: os.path.join(workdir, *parts)  # noqa: E731
        r = rng.random()
        kind = "npy" if r < 0.4 else "manifest" if r < 0.65 else \
            "command" if r < 0.8 else "folder"
        library = self.libraries[-1] if kind == "manifest" else \
            rng.choice(self.libraries)
        manifest = library["manifest"]
        shutil.copytree(library["inputs"], at("in"))
        os.makedirs(at("o"))
        os.makedirs(at("ext"))
        problem = None
        if kind == "manifest":
            text = mutate_manifest(rng, manifest)[:MANIFEST_BYTES - 1]
            step = bytearray(self.standin)
            step[self.standin_at:self.standin_at + MANIFEST_BYTES] = \
                text.ljust(MANIFEST_BYTES, b"\0")
            problem = manifest_problem(text)
            if not problem:
                manifest = json.loads(text.split(b"\0", 1)[0])
        else:
            with open(library["path"], "rb") as f:
                step = f.read()
        write(at("step.so"), bytes(step))
        write(at("empty.so"), b"")
        write(at("text.so"), b"not a library\n")

        must_succeed = kind in ("folder", "command")
        same_data = kind != "npy"             # as the reference outputs had
        if kind == "npy":
            spec = rng.choice(manifest["inputs"])
            path = at("in", spec["name"] + ".npy")
            original = np.load(path)
            claim = mutate_input(rng, path, original, workdir)
            must_succeed = bool(claim)
            view = numpy_view(path)
            wrong = view_problem(view, spec)
            same_data = not wrong and view[3] == original.tobytes()
        out, usable = output_folder(rng, workdir, library, self.is_root)
        must_succeed = must_succeed and usable
        argv = ["step.so", "--in", "in", "--out", out]
        if kind == "command":
            argv, must_succeed = mutate_command(rng, argv)
            must_succeed = must_succeed and usable
        write(at("command.txt"), f"cd {shlex.quote(workdir)} && "
              f"{shlex.quote(self.run)} {shlex.join(argv)}\n".encode())

        areas = ("in", "o", "ext")
        before = {a: common.snapshot(at(a)) for a in areas}
        outcome = common.run_command(
            [sys.executable, "-S", "-c", LIMITED, self.run] + argv,
            timeout=30, cwd=workdir)
        found = [(cls, outcome.stderr.strip()[-300:])
                 for cls in common.classify(outcome)]
        if outcome.timed_out:
            return found
        # (what, path relative to workdir) for every change.
        diff = [(what, os.path.normpath(os.path.join(a, path)))
                for a in areas
                for what, path in (change.split(" ", 1) for change in
                                   common.changes(before[a],
                                                  common.snapshot(at(a))))]
        shown = "; ".join(f"{what} {path}" for what, path in diff[:5])
        lines = common.tool_lines(outcome.stderr)
        rc = outcome.returncode
        common.tally(f"{kind} {'ok' if rc == 0 else 'failed'}")
        if rc != 0:
            if diff:
                found.append(("partial", f"{shown} after: "
                                         f"{outcome.stderr.strip()[-200:]}"))
            usage = rc == 2 and kind == "command" and len(lines) == 3 and \
                lines[0].startswith(ERROR) and lines[1].startswith("usage: ")
            error = rc == 1 and len(lines) == 1 and lines[0].startswith(ERROR)
            if not found and not (usage or error):
                found.append(("message", repr(outcome.stderr[-300:])))
            if kind == "manifest" and not problem and ": manifest: " in \
                    outcome.stderr:
                found.append(("rejected", "a valid manifest: " +
                              outcome.stderr.strip()[-300:]))
            elif must_succeed and not found:
                found.append(("rejected", outcome.stderr.strip()[-300:]))
            return found

        if problem:                           # its outputs are unknown
            return found + [("accepted", f"a manifest with {problem}")]
        if kind == "npy" and wrong:
            found.append(("accepted", f"{spec['name']}.npy: {wrong}"))
        quiet = not {"--manifest", "-h", "--help"} & set(argv)
        verbose = {"-v", "--verbose"} & set(argv)
        if outcome.stderr or (outcome.stdout and quiet and not verbose):
            found.append(("message", "output on success: " +
                          (outcome.stdout + outcome.stderr)[:200]))
        if not quiet:                         # nothing to write
            if diff:
                found.append(("wrong", shown))
            return found
        land = os.path.relpath(os.path.realpath(at(option(argv, "--out"))),
                               workdir)
        allowed = {land} | {os.path.join(land, t["name"] + ".npy")
                            for t in manifest["outputs"]}
        extra = [f"{what} {path}" for what, path in diff
                 if path not in allowed]
        if extra:
            found.append(("wrong", "; ".join(extra[:5])))
        for t in manifest["outputs"]:
            path = at(land, t["name"] + ".npy")
            wrong = check_output(path, t)
            if wrong:
                found.append(("wrong", wrong))
            elif library["reference"] and same_data and not np.array_equal(
                    np.load(path), library["reference"][t["name"]],
                    equal_nan=True):
                found.append(("wrong", f"{t['name']}.npy differs from the "
                                       "reference"))
        return found


if __name__ == "__main__":
    sys.exit(common.main(RunTarget()))
