//===- Emulator.h - internals of the emulated CUDA driver -------*- C++ -*-===//
//
// What the driver entry points (CudaEmulator.cpp) hand to the kernel
// execution (Execution.cpp). Nothing here is exported from libcuda.so.1.
//
//===----------------------------------------------------------------------===//

#ifndef OPTGRAPH_LIB_RUNTIME_CUDAEMULATOR_EMULATOR_H
#define OPTGRAPH_LIB_RUNTIME_CUDAEMULATOR_EMULATOR_H

#include "optgraph/Runtime/CudaEmulation.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace optgraph::cudaemu {

using KernelEntry = void (*)(void **, char *, OptgraphEmuThread *);

/// A kernel of a side-car: its host function and its NAME__emu_info table.
struct Kernel {
  std::string name;
  KernelEntry entry = nullptr;
  const int64_t *info = nullptr;
};

/// One accepted cuLaunchKernel, with its own copy of the argument values
/// (a GPU reads them at launch time, so the caller may reuse its array).
struct Launch {
  const Kernel *kernel = nullptr;
  unsigned grid[3] = {1, 1, 1};
  unsigned block[3] = {1, 1, 1};
  unsigned dynamicShared = 0;
  /// Parameter i lives at values.data() + offsets[i] (8-byte slots).
  std::vector<uint64_t> values;
  std::vector<size_t> offsets;
};

/// Counters for OPTGRAPH_CUDA_EMU_STATS.
struct ExecutionCounts {
  uint64_t blocks = 0;
  uint64_t threads = 0;
};

/// How a kernel ended.
enum class KernelResult { Done, BarrierFault, IllegalAddress };

/// Describes a host address a kernel faulted at, for the report.
using DescribeAddress = std::string (*)(uintptr_t);

/// Runs the blocks of `launch` one after another, the threads of a block as
/// fibers or, with `osThreads`, as OS threads. After a fault (reported on
/// stderr) the remaining blocks are skipped. With `describe`, a kernel's
/// SIGSEGV or SIGBUS (an access of a guard page beside device memory) ends
/// its GPU thread and the launch with IllegalAddress; without it the
/// process's own handling (AddressSanitizer's, say) applies.
KernelResult runKernel(const Launch &launch, bool osThreads,
                       DescribeAddress describe, ExecutionCounts &counts);

} // namespace optgraph::cudaemu

#endif // OPTGRAPH_LIB_RUNTIME_CUDAEMULATOR_EMULATOR_H
