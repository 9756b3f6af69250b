"""Load a compiled step library (optgraph-compile's output) and call it on
numpy arrays, through the C ABI of include/optgraph/Runtime/StepABI.h."""

import ctypes
import json
import os

import numpy as np

ABI_VERSION = 1
_DTYPES = {"<f4": np.float32, "<i8": np.int64}


class StepError(ValueError):
    pass


class Step:
    def __init__(self, path):
        self.path = path
        self._lib = ctypes.CDLL(os.path.abspath(path))
        text = ctypes.cast(ctypes.addressof(
            ctypes.c_char.in_dll(self._lib, "optgraph_manifest")),
            ctypes.c_char_p).value
        self.manifest = json.loads(text)
        if self.manifest.get("abi") != ABI_VERSION:
            raise StepError(f"{path}: unsupported step ABI {self.manifest.get('abi')}")
        self._fn = self._lib.optgraph_step
        self._fn.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self._fn.restype = None
        self.inputs = self.manifest["inputs"]
        self.outputs = self.manifest["outputs"]

    def __call__(self, arrays):
        """Runs one step on {name: array}; returns {name: new array}."""
        keep = []
        for spec in self.inputs:
            name = spec["name"]
            if name not in arrays:
                raise StepError(f"missing input '{name}'")
            a = np.require(arrays[name], requirements="C")  # keeps 0-d arrays 0-d
            dtype = _DTYPES[spec["dtype"]]
            if a.dtype != dtype or list(a.shape) != spec["shape"]:
                raise StepError(f"input '{name}': {a.dtype}{a.shape}, expected "
                                f"{np.dtype(dtype)}{tuple(spec['shape'])}")
            bound = spec.get("index_bound")
            if bound and a.size and (a.min() < 0 or a.max() >= bound):
                raise StepError(f"input '{name}': indices outside [0, {bound})")
            keep.append(a)
        results = {s["name"]: np.empty(s["shape"], _DTYPES[s["dtype"]])
                   for s in self.outputs}
        buffers = keep + [results[s["name"]] for s in self.outputs]
        pointers = (ctypes.c_void_p * len(buffers))(
            *[b.ctypes.data for b in buffers])
        self._fn(pointers)
        return results
