/*===- CudaEmulation.h - kernels compiled for the emulated CUDA driver ---===*\
|*                                                                            *|
|* The contract between `optgraph-gpu-to-host-emulation` (which compiles a    *|
|* step's gpu.module into host functions, the "side-car" library) and the     *|
|* emulated driver, build/lib/cuda-emu/libcuda.so.1, that runs them. Plain C: *|
|* the compiler emits the same layout in the LLVM dialect.                    *|
|*                                                                            *|
|* For every kernel NAME of the module the side-car exports                   *|
|*                                                                            *|
|*   void NAME__emu(void **kernelParams, char *shared,                        *|
|*                  OptgraphEmuThread *thread);                               *|
|*   const int64_t NAME__emu_info[];                                          *|
|*                                                                            *|
|* `kernelParams` is cuLaunchKernel's: kernelParams[i] points at the i-th     *|
|* flattened argument in gpu-to-llvm's order (a memref is allocated pointer,  *|
|* aligned pointer, offset, sizes..., strides...). `shared` is the block's    *|
|* workgroup memory, the same for every thread of a block, at least           *|
|* info[kEmuInfoSharedBytes] bytes, 16-byte aligned. `thread` is the calling  *|
|* GPU thread's; its barrier is called at every gpu.barrier with a constant   *|
|* site (0 <= site < info[kEmuInfoBarrierSites]) distinct per barrier op.    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef OPTGRAPH_RUNTIME_CUDAEMULATION_H
#define OPTGRAPH_RUNTIME_CUDAEMULATION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One GPU thread, as a kernel sees it. The driver may embed it as the first
 * member of a larger per-thread record. */
typedef struct OptgraphEmuThread OptgraphEmuThread;
struct OptgraphEmuThread {
  void (*barrier)(OptgraphEmuThread *self, int32_t site);
  int32_t threadId[3];
  int32_t blockId[3];
  int32_t blockDim[3];
  int32_t gridDim[3];
};

/* NAME__emu_info[], all int64_t:
 *   [0]      kEmuInfoVersion
 *   [1..3]   known block size x, y, z (gpu.known_block_size); 0 if unknown
 *   [4]      number of barrier sites
 *   [5]      workgroup (static shared) memory bytes per block
 *   [6]      number of kernel parameters P (flattened, as above)
 *   [7..7+P) the byte size of each parameter                               */
enum {
  kEmuInfoVersion = 1,
  kEmuInfoBlockSize = 1,
  kEmuInfoBarrierSites = 4,
  kEmuInfoSharedBytes = 5,
  kEmuInfoNumParams = 6,
  kEmuInfoParamBytes = 7
};

/* Suffixes of the side-car's symbols and file: the side-car of `X.so` is
 * `X.emu.so` (of a name without `.so`, NAME.emu.so), in the same folder. */
#define OPTGRAPH_EMU_KERNEL_SUFFIX "__emu"
#define OPTGRAPH_EMU_INFO_SUFFIX "__emu_info"
#define OPTGRAPH_EMU_LIBRARY_SUFFIX ".emu.so"

#ifdef __cplusplus
}
#endif

#endif /* OPTGRAPH_RUNTIME_CUDAEMULATION_H */
