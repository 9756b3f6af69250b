"""Writes the inputs of test/Tools/Inputs/small.json's step into DIR, with
one of them broken on request."""
import os
import sys

import numpy as np

from optgraph import stepgen
import json

spec_path, out, kind = sys.argv[1], sys.argv[2], (sys.argv[3:] or ["none"])[0]
with open(spec_path) as f:
    spec = json.load(f)
os.makedirs(out, exist_ok=True)
arrays = stepgen.initial_state(spec)
rng = np.random.default_rng(0)
for p in stepgen.resolve(spec):
    for key in (p["name"], p["name"] + ".grad"):
        arrays[key] = rng.standard_normal(p["shape"]).astype(np.float32)
if kind == "missing":
    del arrays["w.grad"]
elif kind == "shape":
    arrays["w.grad"] = np.zeros((4, 6), np.float32)
elif kind == "dtype":
    arrays["w.grad"] = arrays["w.grad"].astype(np.float64)
elif kind == "index":
    arrays["w.subspace"] = np.array([1, 4], np.int64)
elif kind == "nan":
    arrays["w.grad"][:, 1] = np.nan
elif kind == "fortran":
    arrays["w"] = np.asfortranarray(arrays["w"])
for key, value in arrays.items():
    np.save(os.path.join(out, key + ".npy"), value)
path = os.path.join(out, "w.grad.npy")
if kind == "truncated":
    data = open(path, "rb").read()
    open(path, "wb").write(data[:-10])
elif kind == "magic":
    open(path, "wb").write(b"not an array")
elif kind == "trailing":
    open(path, "ab").write(b"\0" * 8)
