"""Writes the C source of stand-in step libraries for the optgraph-run
tests, one per KIND below, and inputs for the unbroken one:

    step_library.py DIR     DIR/KIND.c for every KIND, and DIR/in/*.npy

`cc -shared -fPIC` turns KIND.c into a library that optgraph-run loads like
a compiled step; its manifest is broken as KIND says ("ok": unbroken). The
step zero-fills its outputs; "fails" fails with a message of two lines.
With $OPTGRAPH_TEST_MKDIR set, the step creates that directory while it
runs, as a user could while a long step runs."""
import copy
import json
import os
import sys

import numpy as np


def tensor(name, role, dtype, shape, **extra):
    return dict(name=name, role=role, dtype=dtype, shape=shape,
                memory="host", **extra)


BASE = {"abi": 2, "target": "cpu", "entry": "step",
        "inputs": [tensor("x", "param", "<f4", [2, 3]),
                   tensor("idx", "state", "<i8", [2], index_bound=3)],
        "outputs": [tensor("x", "param", "<f4", [2, 3]),
                    tensor("y", "output", "<f4", [])]}


def edit(change):
    manifest = copy.deepcopy(BASE)
    change(manifest)
    return json.dumps(manifest)


def x_in(m):
    return m["inputs"][0]


def setter(field, value, where=x_in):
    return lambda m: where(m).__setitem__(field, value)


good = json.dumps(BASE)
EDITS = {
    "abi": setter("abi", 3, lambda m: m),
    "abi-fraction": setter("abi", 2.5, lambda m: m),
    "unknown-key": setter("abx", 2, lambda m: m),
    "entry-number": setter("entry", 1, lambda m: m),
    "tensor-unknown-key": setter("index_bond", 3),
    "not-object-tensor": lambda m: m["inputs"].__setitem__(0, [1]),
    "dtype": setter("dtype", "<f8"),
    "role": setter("role", "weights"),
    "device-on-cpu": setter("memory", "device"),
    "shape-zero": setter("shape", [0, 3]),
    "shape-negative": setter("shape", [-2, 3]),
    "shape-fraction": setter("shape", [1.5, 3]),
    "shape-string": setter("shape", ["2", 3]),
    "dimension-too-large": setter("shape", [2**31, 1]),
    "too-many-elements": setter("shape", [2**21, 2**20]),
    "rank": setter("shape", [1] * 33),
    "index-bound-string": setter("index_bound", "3",
                                 lambda m: m["inputs"][1]),
    "index-bound-zero": setter("index_bound", 0, lambda m: m["inputs"][1]),
    "index-bound-fraction": setter("index_bound", 2.5,
                                   lambda m: m["inputs"][1]),
    "index-bound-on-float": setter("index_bound", 3),
    "duplicate-input": lambda m: m["inputs"].append(m["inputs"][0]),
    "duplicate-output": lambda m: m["outputs"].append(m["outputs"][1]),
    "name-slash": setter("name", "a/x"),
    "name-dot": setter("name", ".x"),
    "name-dotdot": setter("name", ".."),
    "name-empty": setter("name", ""),
    "name-long": setter("name", "a" * 201),
    "name-newline": setter("name", "a\nb"),
    "output-mismatch": setter("shape", [3, 2], lambda m: m["outputs"][0]),
    # Every size allowed, too large to allocate under the tests' ulimit.
    "huge-input": lambda m: [t.__setitem__("shape", [2**20, 2**20])
                             for t in (m["inputs"][0], m["outputs"][0])],
    "huge-output": setter("shape", [2**20, 2**20], lambda m: m["outputs"][1]),
}
TEXTS = {
    "not-json": "{",
    "not-object": "[]",
    "trailing": good + " x",
    "duplicate-key": '{"abi": 2, ' + good[1:],
    "bad-escape": good.replace('"x"', '"\\u00G1"', 1),
    "lone-surrogate": good.replace('"x"', '"\\ud800"', 1),
    "control-character": good.replace('"x"', '"a\tb"', 1),
    "invalid-utf8": good.replace('"x"', '"\xff"', 1),
    "infinite": good.replace("[2, 3]", "[1e400, 3]", 1),
    "minus-zero": good.replace("[2, 3]", "[-0, 3]", 1),
    "hex": good.replace("[2, 3]", "[0x2, 3]", 1),
    "leading-plus": good.replace("[2, 3]", "[+2, 3]", 1),
    "deep": good.replace('"step"', "[" * 100 + "]" * 100, 1),
}


def c_string(s):
    """s as a C literal; a character below 256 becomes that byte, so that
    the "\\xff" of invalid-utf8 is the byte 0xFF."""
    return '"' + "".join(c if c.isascii() and (c.isalnum() or c in
                                               " {}[]:,._-<>/'")
                         else "\\%03o" % ord(c) for c in s) + '"'


STEP = """
int optgraph_step(void **buffers, char *error, size_t error_size) {
  static const size_t sizes[] = {4 * 6, 4};
  const char *dir = getenv("OPTGRAPH_TEST_MKDIR");
  if (dir)
    mkdir(dir, 0777);
  if (FAILS) {
    snprintf(error, error_size, "first line\\nsecond line");
    return 1;
  }
  for (int i = 0; i < 2; ++i)
    memset(buffers[2 + i], 0, sizes[i]);
  return 0;
}"""


def source(kind):
    text = edit(EDITS[kind]) if kind in EDITS else TEXTS.get(kind, good)
    manifest = f"const char optgraph_manifest[] = {c_string(text)};"
    step = STEP.replace("FAILS", str(int(kind == "fails")))
    if kind == "no-nul":
        manifest = "const char optgraph_manifest[2] = \"{}\";"
    elif kind == "no-step":
        step = ""
    elif kind == "step-is-data":
        step = "const char optgraph_step[] = \"not code\";"
    return ("#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
            "#include <sys/stat.h>\n\n" + manifest + "\n" + step + "\n")


out = sys.argv[1]
os.makedirs(os.path.join(out, "in"), exist_ok=True)
np.save(os.path.join(out, "in", "x.npy"), np.ones((2, 3), np.float32))
np.save(os.path.join(out, "in", "idx.npy"), np.array([0, 2]))
for kind in ["ok", "fails", "no-nul", "no-step", "step-is-data",
             *EDITS, *TEXTS]:
    with open(os.path.join(out, kind + ".c"), "w") as f:
        f.write(source(kind))
