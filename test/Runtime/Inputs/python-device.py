"""Runs a CUDA step through optgraph.runtime's tensor interface with the
stand-in torch of fake-torch/ (EMULATOR.md A7): outputs are allocated on
cuda:0 and match optgraph-run's; inputs on another device are rejected.

    python-device.py STEP.so INPUTS REFERENCE-OUTPUTS"""

import glob
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fake-torch"))

import numpy as np
import torch

from optgraph.runtime import Step, StepError

step = Step(sys.argv[1])
arrays = {os.path.basename(p)[:-4]: np.load(p)
          for p in glob.glob(os.path.join(sys.argv[2], "*.npy"))}
memory = {s["name"]: s["memory"] for s in step.inputs}


def tensors(where):
    return {k: torch.tensor(v, where) if memory[k] == "device" else v
            for k, v in arrays.items()}


outputs = step(tensors("cuda:0"))
print("calls:", "; ".join(sorted(set(torch.calls))))
print("outputs on:", " ".join(sorted({str(v.device) for v in outputs.values()
                                      if isinstance(v, torch.Tensor)})))
print("identical to optgraph-run:", all(
    np.array_equal(v.numpy() if isinstance(v, torch.Tensor) else v,
                   np.load(os.path.join(sys.argv[3], k + ".npy")))
    for k, v in outputs.items()))
name = sorted(k for k in arrays if memory[k] == "device")[0]
for where in ("cuda:1", "cpu"):
    bad = tensors("cuda:0")
    bad[name] = torch.tensor(arrays[name], where)
    try:
        step(bad)
        print(f"{where}: accepted")
    except StepError as e:
        print("StepError:", e)
