"""Load a compiled step library (optgraph-compile's output) and call it
through the C ABI of include/optgraph/Runtime/StepABI.h: on numpy arrays for
a CPU step, on PyTorch CUDA tensors for a CUDA step."""

import ctypes
import json
import os

import numpy as np

ABI_VERSION = 2
# The runtime runs every CUDA step on device 0's primary context (PyTorch's
# cuda:0; CUDA_VISIBLE_DEVICES picks which GPU that is), whatever device is
# current: tensors elsewhere would be touched by kernels on another GPU.
CUDA_DEVICE = "cuda:0"
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
        self._fn.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                             ctypes.c_size_t]
        self._fn.restype = ctypes.c_int
        self.target = self.manifest["target"]
        self.inputs = self.manifest["inputs"]
        self.outputs = self.manifest["outputs"]

    def run_pointers(self, pointers):
        """Runs one step on raw buffer addresses, inputs then outputs in
        manifest order (device addresses for the tensors the manifest puts
        in device memory): for frameworks other than numpy and PyTorch."""
        error = ctypes.create_string_buffer(1024)
        array = (ctypes.c_void_p * len(pointers))(*pointers)
        if self._fn(array, error, len(error)) != 0:
            raise StepError(f"{self.path}: {error.value.decode()}")

    def __call__(self, arrays):
        """Runs one step on {name: array}; returns {name: new array}.

        CPU steps take numpy arrays. CUDA steps take torch CUDA tensors for
        the tensors the manifest puts in device memory and numpy 0-d arrays
        for the host scalars, and return the same kinds."""
        if self.target == "cuda":
            return self._call_cuda(arrays)
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
        self.run_pointers([b.ctypes.data for b in buffers])
        return results

    def _call_cuda(self, arrays):
        import torch
        torch_dtypes = {"<f4": torch.float32, "<i8": torch.int64}
        device = torch.device(CUDA_DEVICE)
        keep = []
        for spec in self.inputs:
            name = spec["name"]
            if name not in arrays:
                raise StepError(f"missing input '{name}'")
            value = arrays[name]
            if spec["memory"] == "host":
                value = np.require(value, _DTYPES[spec["dtype"]], "C")
                if list(value.shape) != spec["shape"]:
                    raise StepError(f"input '{name}': shape {value.shape}")
            elif (not isinstance(value, torch.Tensor) or not value.is_cuda or
                  value.dtype != torch_dtypes[spec["dtype"]] or
                  list(value.shape) != spec["shape"] or
                  not value.is_contiguous()):
                raise StepError(f"input '{name}': expected a contiguous CUDA "
                                f"tensor {spec['dtype']}{tuple(spec['shape'])}")
            elif value.device != device:
                raise StepError(f"input '{name}': on {value.device}, but the "
                                f"step runs on {CUDA_DEVICE}")
            keep.append(value)
        results = {}
        for spec in self.outputs:
            if spec["memory"] == "host":
                results[spec["name"]] = np.empty(spec["shape"],
                                                 _DTYPES[spec["dtype"]])
            else:
                results[spec["name"]] = torch.empty(
                    spec["shape"], dtype=torch_dtypes[spec["dtype"]],
                    device=device)
        buffers = keep + [results[s["name"]] for s in self.outputs]
        # The step runs on its own stream: what PyTorch queued must be done.
        torch.cuda.synchronize(device)
        self.run_pointers([b.data_ptr() if isinstance(b, torch.Tensor)
                      else b.ctypes.data for b in buffers])
        return results
