"""A stand-in for the few torch names optgraph.runtime uses, so that its
CUDA path is tested without PyTorch: CUDA tensors live in the memory of the
driver found as libcuda.so.1 (the emulated one) and carry any device, so a
tensor "on cuda:1" can be handed to the wrapper. Calls are recorded in
`calls`."""

import ctypes

import numpy as np

float32, int64 = np.dtype(np.float32), np.dtype(np.int64)
calls = []
_cu = None


def _driver():
    global _cu
    if _cu is None:
        _cu = ctypes.CDLL("libcuda.so.1")
        context = ctypes.c_void_p()
        assert _cu.cuInit(0) == 0
        assert _cu.cuDevicePrimaryCtxRetain(ctypes.byref(context), 0) == 0
        assert _cu.cuCtxSetCurrent(context) == 0
    return _cu


class device:
    def __init__(self, spec):
        kind, _, index = str(spec).partition(":")
        self.type, self.index = kind, int(index) if index else None

    def __eq__(self, other):
        return (isinstance(other, device) and
                (self.type, self.index) == (other.type, other.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


class Tensor:
    def __init__(self, array, where):
        self._array = np.ascontiguousarray(array)
        self.device = device(where)
        self.is_cuda = self.device.type == "cuda"
        self.dtype, self.shape = self._array.dtype, self._array.shape
        self._pointer = ctypes.c_uint64()
        if self.is_cuda:
            cu = _driver()
            nbytes = ctypes.c_size_t(self._array.nbytes)
            assert cu.cuMemAlloc_v2(ctypes.byref(self._pointer),
                                    ctypes.c_size_t(max(self._array.nbytes,
                                                        1))) == 0
            assert cu.cuMemcpyHtoD_v2(
                self._pointer, self._array.ctypes.data_as(ctypes.c_void_p),
                nbytes) == 0

    def is_contiguous(self):
        return True

    def data_ptr(self):
        return self._pointer.value if self.is_cuda else self._array.ctypes.data

    def numpy(self):
        if self.is_cuda:
            assert _driver().cuMemcpyDtoH_v2(
                self._array.ctypes.data_as(ctypes.c_void_p), self._pointer,
                ctypes.c_size_t(self._array.nbytes)) == 0
        return self._array


def tensor(array, device="cuda:0"):
    return Tensor(array, device)


def empty(shape, dtype, device):
    calls.append(f"empty(device={device})")
    return Tensor(np.zeros(shape, dtype), device)


class cuda:
    @staticmethod
    def synchronize(device=None):
        calls.append(f"cuda.synchronize({device})")
