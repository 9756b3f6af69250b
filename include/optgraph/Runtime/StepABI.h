/*===- StepABI.h - the C ABI of a compiled optgraph step -----------*- C -*-===*
 *
 * A step library, as written by `optgraph-compile`, exports two symbols:
 *
 *   const char optgraph_manifest[];
 *     NUL-terminated JSON: {"abi": 1, "entry": NAME,
 *       "inputs":  [{"name", "role", "dtype", "shape", ["index_bound"]}...],
 *       "outputs": [...]}
 *     dtype is a NumPy dtype string ("<f4" or "<i8"). role is one of param,
 *     grad, state, step, hyper (or input/output for unnamed tensors). An output
 *named like an input is that input's next value. index_bound, when present,
 *     says every element must lie in [0, index_bound).
 *
 *   void optgraph_step(void **buffers);
 *     buffers[i] points at the i-th input, then the outputs follow in
 *     manifest order. Every buffer is a dense row-major array of the listed
 *     shape. Inputs are only read; outputs must not alias inputs.
 *
 *===----------------------------------------------------------------------===*/

#ifndef OPTGRAPH_RUNTIME_STEPABI_H
#define OPTGRAPH_RUNTIME_STEPABI_H

#ifdef __cplusplus
extern "C" {
#endif

#define OPTGRAPH_STEP_ABI_VERSION 1

typedef void (*optgraph_step_fn)(void **buffers);

#ifdef __cplusplus
}
#endif

#endif /* OPTGRAPH_RUNTIME_STEPABI_H */
