/*===- StepABI.h - the C ABI of a compiled optgraph step -----------*- C -*-===*
 *
 * A step library, as written by `optgraph-compile`, exports two symbols:
 *
 *   const char optgraph_manifest[];
 *     NUL-terminated JSON: {"abi": 2, "target": "cpu"|"cuda", "entry": NAME,
 *       "inputs":  [{"name", "role", "dtype", "shape", "memory",
 *                    ["index_bound"]}...],
 *       "outputs": [...]}
 *     dtype is a NumPy dtype string ("<f4" or "<i8"). role is one of param,
 *     grad, state, step, hyper (or input/output for unnamed tensors). An output
 *named like an input is that input's next value. index_bound, when present,
 *     says every element must lie in [0, index_bound) (and subspaces ascend
 *     strictly). memory is "host" or "device": a CUDA step takes device
 *     pointers (device 0, its primary context, as PyTorch uses) for every
 *     tensor but the 0-d scalars the host reads (step count, lr_scale).
 *
 *   int optgraph_step(void **buffers, char *error, size_t error_size);
 *     buffers[i] points at the i-th input, then the outputs follow in
 *     manifest order. Every buffer is a dense row-major array of the listed
 *     shape. Inputs are only read; outputs must not alias inputs. Returns 0,
 *     or 1 with a NUL-terminated message in error (CUDA: no driver, no
 *     device, a failed launch or copy). A CUDA step synchronizes its stream
 *     once, at its end.
 *
 *===----------------------------------------------------------------------===*/

#ifndef OPTGRAPH_RUNTIME_STEPABI_H
#define OPTGRAPH_RUNTIME_STEPABI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OPTGRAPH_STEP_ABI_VERSION 2

typedef int (*optgraph_step_fn)(void **buffers, char *error,
                                size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* OPTGRAPH_RUNTIME_STEPABI_H */
