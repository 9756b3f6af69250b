"""Runs a CUDA step library N times in one process on a driver found as
libcuda.so.1 (the emulated one), each step's outputs fed back as the next
step's inputs, then unloads the library:

    repeat-step.py STEP.so INPUTS N

With N = 0 it only loads and unloads the library, and says whether that
opened the driver (it must not: EMULATOR.md A9). With N = -1 it loads the
library, then runs one step on null buffers, which must fail before it
touches them (no driver, say), and prints the error."""

import _ctypes
import ctypes
import glob
import os
import sys

import numpy as np

from optgraph.runtime import Step, StepError

_DTYPES = {"<f4": np.float32, "<i8": np.int64}


def driver_loaded():
    try:
        ctypes.CDLL("libcuda.so.1", mode=os.RTLD_NOLOAD)
        return True
    except OSError:
        return False


def check(result, call):
    if result != 0:
        sys.exit(f"{call} failed: CUDA error {result}")


def main(path, inputs, count):
    step = Step(path)
    if count == -1:
        print("loaded")
        try:
            step.run_pointers([0] * (len(step.inputs) + len(step.outputs)))
        except StepError as e:
            print("StepError:", e)
        return
    if count == 0:
        print("after loading, driver loaded:", driver_loaded())
        _ctypes.dlclose(step._lib._handle)
        print("after unloading, driver loaded:", driver_loaded())
        return
    cu = ctypes.CDLL("libcuda.so.1")
    check(cu.cuInit(0), "cuInit")
    device, context = ctypes.c_int(), ctypes.c_void_p()
    check(cu.cuDeviceGet(ctypes.byref(device), 0), "cuDeviceGet")
    check(cu.cuDevicePrimaryCtxRetain(ctypes.byref(context), device),
          "cuDevicePrimaryCtxRetain")
    check(cu.cuCtxSetCurrent(context), "cuCtxSetCurrent")
    arrays = {os.path.basename(p)[:-4]: np.load(p)
              for p in glob.glob(os.path.join(inputs, "*.npy"))}
    keep, device_memory = [], []

    def buffer(spec, value):
        if spec["memory"] == "host":
            a = np.require(np.zeros(spec["shape"], _DTYPES[spec["dtype"]])
                           if value is None else value,
                           _DTYPES[spec["dtype"]], "C")
            keep.append(a)
            return a.ctypes.data
        a = np.require(np.zeros(spec["shape"], _DTYPES[spec["dtype"]])
                       if value is None else value, _DTYPES[spec["dtype"]],
                       "C")
        pointer = ctypes.c_uint64()
        check(cu.cuMemAlloc_v2(ctypes.byref(pointer),
                               ctypes.c_size_t(max(a.nbytes, 1))),
              "cuMemAlloc")
        check(cu.cuMemcpyHtoD_v2(pointer, a.ctypes.data_as(ctypes.c_void_p),
                                 ctypes.c_size_t(a.nbytes)), "cuMemcpyHtoD")
        device_memory.append(pointer)
        return pointer.value

    ins = [buffer(s, arrays[s["name"]]) for s in step.inputs]
    outs = [buffer(s, None) for s in step.outputs]
    position = {s["name"]: i for i, s in enumerate(step.inputs)}
    for _ in range(count):
        step.run_pointers(ins + outs)
        for j, s in enumerate(step.outputs):
            i = position.get(s["name"])
            if i is not None:
                ins[i], outs[j] = outs[j], ins[i]
    print(f"{count} steps: ok")
    for pointer in device_memory:
        check(cu.cuMemFree_v2(pointer), "cuMemFree")
    _ctypes.dlclose(step._lib._handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
