//===- CudaEmulator.cpp - a strict CUDA driver that runs on the host ------===//
//
// build/lib/cuda-emu/libcuda.so.1: the driver entry points optgraph binds,
// running an unmodified step library's kernels from its side-car X.emu.so
// (optgraph/Runtime/CudaEmulation.h) when LD_LIBRARY_PATH points at it.
//
// It is stricter than a GPU where a GPU would hide a bug: streams are FIFO
// queues run only at synchronization (a host read without one sees stale
// data); device memory is 0xFF-filled (reads as NaN) and its addresses are
// tagged non-canonical, so a host dereference faults; every device pointer a
// call takes is checked against the live allocations; launches are checked
// against the device limits; barriers are checked (Execution.cpp). Each
// allocation is mapped on its own, its end (rounded up to 16 bytes) against
// 64 KB of inaccessible pages and its first page after one, so a kernel
// reading or writing out of bounds faults: an illegal address (700), not a
// silent read of other memory. In a process with AddressSanitizer device
// memory is malloc'ed instead, and ASan reports the overflow. A kernel fault
// is sticky, as a real context's: every later call fails with 719 (a barrier
// fault) or 700.
//
// Environment: OPTGRAPH_CUDA_EMU_THREADS=1 runs GPU threads as OS threads
// (for ThreadSanitizer); OPTGRAPH_CUDA_EMU_FAIL_ALLOC=N and
// OPTGRAPH_CUDA_EMU_FAIL_LAUNCH=N fail the Nth allocation (2, out of memory)
// or launch (1); OPTGRAPH_CUDA_EMU_STATS=FILE appends counters as one JSON
// line at exit.
//
//===----------------------------------------------------------------------===//

#include "Emulator.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <dlfcn.h>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

using namespace optgraph::cudaemu;

// cuda.h's types. Its header is not used: the emulator builds without a
// CUDA toolkit.
typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;
typedef struct CUmemPoolHandle_st *CUmemoryPool;
typedef struct CUmemPoolProps_st CUmemPoolProps;
typedef int CUmemPool_attribute;

#define OPTGRAPH_EMU_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

enum : CUresult {
  kSuccess = 0,
  kInvalidValue = 1,
  kOutOfMemory = 2,
  kNotInitialized = 3,
  kNoDevice = 100,
  kInvalidDevice = 101,
  kInvalidImage = 200,
  kInvalidContext = 201,
  kInvalidHandle = 400,
  kNotFound = 500,
  kIllegalAddress = 700,
  kLaunchFailed = 719,
  kUnknown = 999,
};

// cuMemPool_attribute values (cuda.h).
enum : int {
  kPoolReuseFollowEventDependencies = 1,
  kPoolReuseAllowOpportunistic = 2,
  kPoolReuseAllowInternalDependencies = 3,
  kPoolReleaseThreshold = 4,
  kPoolReservedMemCurrent = 5,
  kPoolReservedMemHigh = 6,
  kPoolUsedMemCurrent = 7,
  kPoolUsedMemHigh = 8,
};

/// Device addresses carry this tag in bits 48-63: non-canonical on x86-64
/// and beyond a 48-bit address space on AArch64 (above its top-byte-ignore
/// bits), so a host dereference faults as it would on a GPU's memory.
constexpr uint64_t kTag = 0x00DE000000000000ULL;
constexpr uint64_t kTagMask = 0xFFFF000000000000ULL;

constexpr unsigned kMaxGridX = 0x7FFFFFFFu;
constexpr unsigned kMaxGridYZ = 65535;
constexpr unsigned kMaxBlockThreads = 1024;
constexpr unsigned kMaxBlockZ = 64;
constexpr uint64_t kMaxStaticShared = 48 * 1024;

bool isDevice(uint64_t address) { return (address & kTagMask) == kTag; }
char *hostOf(uint64_t address) {
  return reinterpret_cast<char *>(uintptr_t(address & ~kTagMask));
}
uint64_t deviceOf(void *pointer) { return uint64_t(uintptr_t(pointer)) | kTag; }

} // namespace

struct CUctx_st {
  int device = 0;
};

struct CUmemPoolHandle_st {
  uint64_t releaseThreshold = 0;
  int reuse[3] = {1, 1, 1};
  size_t used = 0;
  size_t usedHigh = 0;
  bool destroyed = false;
};

struct CUfunc_st {
  Kernel kernel;
  CUmod_st *module = nullptr;
};

struct CUmod_st {
  void *sidecar = nullptr;
  std::string path;
  std::map<std::string, std::unique_ptr<CUfunc_st>> functions;
};

namespace {

/// Work queued on a stream.
struct Op {
  enum Kind { LaunchKernel, Copy, Memset, Free, Record, Wait } kind;
  explicit Op(Kind kind) : kind(kind) {}
  std::unique_ptr<Launch> launch;
  uint64_t destination = 0, source = 0; // Copy, Memset, Free
  size_t bytes = 0;                     // Copy; Memset: element count
  unsigned width = 0, value = 0;        // Memset
  uint64_t stream = 0, sequence = 0;    // Wait: run that stream this far
  /// LaunchKernel: (parameter, address) of the device addresses it got.
  std::vector<std::pair<int64_t, uint64_t>> devicePointers;
};

} // namespace

struct CUstream_st {
  uint64_t id = 0;
  unsigned flags = 0;
  std::deque<Op> queue;
  uint64_t enqueued = 0; // operations ever queued
  uint64_t done = 0;     // of which executed (or skipped)
};

/// An event is recorded at a position of a stream; complete once the
/// stream has run that far (or once the stream is gone).
struct CUevent_st {
  uint64_t stream = 0; // 0: complete
  uint64_t sequence = 0;
};

namespace {

struct Allocation {
  size_t bytes = 0;
  CUmemPoolHandle_st *pool = nullptr;
  bool freeQueued = false;
  void *map = nullptr; // its mapping (null: malloc'ed)
  size_t mapBytes = 0;
};

/// The guard pages: before an allocation and after its end.
constexpr size_t kGuardAfter = 64 * 1024;

/// Under AddressSanitizer, device memory is malloc'ed (ASan then reports
/// overflows with a stack trace) and faults are left to ASan.
bool underAsan() {
  static const bool asan = dlsym(RTLD_DEFAULT, "__asan_init") != nullptr;
  return asan;
}

struct Stats {
  uint64_t launches = 0, blocks = 0, threads = 0, allocations = 0,
           streamsCreated = 0, streamsDestroyed = 0, poolCalls = 0,
           moduleLoads = 0, syncs = 0;
};

struct Emulator {
  std::mutex mutex; // every entry point runs under it, kernels included
  bool initialized = false;
  CUresult sticky = kSuccess;
  CUctx_st context;

  std::map<uintptr_t, Allocation> allocations; // by host address
  std::map<uint64_t, CUstream_st *> streams;   // by id
  std::set<CUstream_st *> liveStreams;         // the same, for handle checks
  uint64_t nextStream = 1;
  std::set<CUevent_st *> events;
  std::set<CUmod_st *> modules;
  std::set<CUfunc_st *> functions;
  CUmemPoolHandle_st defaultPool;
  std::set<CUmemPoolHandle_st *> pools;

  bool osThreads = false;
  long failAlloc = 0, failLaunch = 0;
  uint64_t allocCalls = 0, launchCalls = 0;
  std::string statsPath;
  Stats stats;
  ExecutionCounts executed;

  Emulator() {
    auto number = [](const char *name) {
      const char *value = std::getenv(name);
      return value ? std::strtol(value, nullptr, 10) : 0L;
    };
    osThreads = number("OPTGRAPH_CUDA_EMU_THREADS") != 0;
    failAlloc = number("OPTGRAPH_CUDA_EMU_FAIL_ALLOC");
    failLaunch = number("OPTGRAPH_CUDA_EMU_FAIL_LAUNCH");
    if (const char *path = std::getenv("OPTGRAPH_CUDA_EMU_STATS"))
      statsPath = path;
  }
};

/// Never destroyed: the statistics are written by a destructor function
/// that may run after static objects are gone.
Emulator &emu() {
  static Emulator *e = new Emulator;
  return *e;
}

void report(const char *format, const std::string &a = "",
            const std::string &b = "") {
  std::fprintf(stderr, "optgraph cuda-emu: ");
  std::fprintf(stderr, format, a.c_str(), b.c_str());
  std::fputc('\n', stderr);
}

std::string hex(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", (unsigned long long)value);
  return text;
}

/// The live allocation that holds [address, address + bytes), or null.
Allocation *findRange(Emulator &e, uint64_t address, size_t bytes) {
  if (!isDevice(address))
    return nullptr;
  auto host = uintptr_t(hostOf(address));
  auto it = e.allocations.upper_bound(host);
  if (it == e.allocations.begin())
    return nullptr;
  --it;
  size_t offset = host - it->first;
  if (offset > it->second.bytes || bytes > it->second.bytes - offset)
    return nullptr;
  return &it->second;
}

/// A copy's end: device memory must lie in one live allocation not queued
/// for freeing; other addresses are host memory (unified addressing).
bool validRange(Emulator &e, uint64_t address, size_t bytes) {
  if (!isDevice(address))
    return address != 0;
  Allocation *a = findRange(e, address, bytes);
  return a && !a->freeQueued;
}

/// At execution: the memory is still allocated (a free queued after the
/// operation has not run yet).
bool liveRange(Emulator &e, uint64_t address, size_t bytes) {
  return isDevice(address) ? findRange(e, address, bytes) != nullptr
                           : address != 0;
}

CUstream_st *streamById(Emulator &e, uint64_t id) {
  auto it = e.streams.find(id);
  return it == e.streams.end() ? nullptr : it->second;
}

/// Handles are looked up, never dereferenced first: a stale or foreign
/// handle is an error, not a crash.
bool validStream(Emulator &e, CUstream stream) {
  return !stream || e.liveStreams.count(stream);
}

bool validPool(Emulator &e, CUmemoryPool pool) {
  return pool == &e.defaultPool || e.pools.count(pool);
}

void releaseAllocation(Emulator &e, uintptr_t host) {
  auto it = e.allocations.find(host);
  if (it == e.allocations.end())
    return;
  if (CUmemPoolHandle_st *pool = it->second.pool)
    pool->used -= it->second.bytes;
  if (it->second.map)
    munmap(it->second.map, it->second.mapBytes);
  else
    std::free(reinterpret_cast<void *>(host));
  e.allocations.erase(it);
}

void runStream(Emulator &e, CUstream_st &s, uint64_t upTo);

/// Where a kernel's illegal host address lies relative to device memory
/// (called with the lock held, by the launch).
std::string describeAddress(uintptr_t host) {
  Emulator &e = emu();
  auto after = e.allocations.upper_bound(host);
  if (after != e.allocations.begin()) {
    auto before = std::prev(after);
    const Allocation &a = before->second;
    if (a.map && host < uintptr_t(a.map) + a.mapBytes)
      return " (device " + hex(deviceOf(reinterpret_cast<void *>(host))) +
             ", " + std::to_string(host - before->first - a.bytes) +
             " bytes past the end of the " + std::to_string(a.bytes) +
             "-byte allocation at " +
             hex(deviceOf(reinterpret_cast<void *>(before->first))) + ")";
  }
  if (after != e.allocations.end() && after->second.map &&
      host >= uintptr_t(after->second.map))
    return " (device " + hex(deviceOf(reinterpret_cast<void *>(host))) + ", " +
           std::to_string(after->first - host) + " bytes before the " +
           std::to_string(after->second.bytes) + "-byte allocation at " +
           hex(deviceOf(reinterpret_cast<void *>(after->first))) + ")";
  return " (outside device memory)";
}

/// A device fault (a kernel's or a copy's): the context is lost, as on a
/// GPU, and the remaining work of every stream is skipped.
void lose(Emulator &e, CUresult error) {
  if (!e.sticky)
    e.sticky = error;
}

/// False, after reporting it, if a device address the launch was given
/// no longer points into live memory (freed since the launch was queued).
bool launchPointersLive(Emulator &e, const Op &op) {
  for (auto &[index, address] : op.devicePointers)
    if (!findRange(e, address, 0)) {
      report("kernel %s: parameter %s points into freed device memory "
             "(illegal address)",
             op.launch->kernel->name, std::to_string(index));
      return false;
    }
  return true;
}

void execute(Emulator &e, Op &op) {
  switch (op.kind) {
  case Op::Free:
    // Frees happen even in a lost context, so that a program that cleans up
    // after an error leaves nothing outstanding.
    releaseAllocation(e, uintptr_t(hostOf(op.destination)));
    return;
  case Op::Record:
    return;
  case Op::Wait:
    if (CUstream_st *other = streamById(e, op.stream))
      runStream(e, *other, op.sequence);
    return;
  default:
    break;
  }
  if (e.sticky)
    return;
  switch (op.kind) {
  case Op::LaunchKernel: {
    if (!launchPointersLive(e, op)) {
      lose(e, kIllegalAddress);
      return;
    }
    ExecutionCounts counts;
    KernelResult result =
        runKernel(*op.launch, e.osThreads,
                  underAsan() ? nullptr : describeAddress, counts);
    e.executed.blocks += counts.blocks;
    e.executed.threads += counts.threads;
    if (result == KernelResult::IllegalAddress)
      lose(e, kIllegalAddress);
    else if (result != KernelResult::Done)
      lose(e, kLaunchFailed);
    return;
  }
  case Op::Copy:
    // Checked again: memory may have been freed since it was queued.
    if (!liveRange(e, op.destination, op.bytes) ||
        !liveRange(e, op.source, op.bytes)) {
      report("cuMemcpyAsync of %s bytes touches freed device memory "
             "(illegal address)",
             std::to_string(op.bytes));
      lose(e, kIllegalAddress);
      return;
    }
    std::memmove(hostOf(op.destination), hostOf(op.source), op.bytes);
    return;
  case Op::Memset: {
    if (!liveRange(e, op.destination, op.bytes * op.width)) {
      report("cuMemsetD%sAsync touches freed device memory (illegal address)",
             std::to_string(op.width * 8));
      lose(e, kIllegalAddress);
      return;
    }
    char *p = hostOf(op.destination);
    for (size_t i = 0; i < op.bytes; ++i) {
      if (op.width == 4) {
        uint32_t v = op.value;
        std::memcpy(p + 4 * i, &v, 4);
      } else {
        uint16_t v = uint16_t(op.value);
        std::memcpy(p + 2 * i, &v, 2);
      }
    }
    return;
  }
  default:
    return;
  }
}

/// Runs `s` until `upTo` of its operations are done. A wait on another
/// stream's event runs that stream first; the order in which the host
/// queues work rules out cycles.
void runStream(Emulator &e, CUstream_st &s, uint64_t upTo) {
  while (s.done < upTo && !s.queue.empty()) {
    Op op = std::move(s.queue.front());
    s.queue.pop_front();
    ++s.done;
    execute(e, op);
  }
}

void runAll(Emulator &e) {
  for (auto &entry : e.streams)
    runStream(e, *entry.second, entry.second->enqueued);
}

/// Queues `op` on `stream`; the NULL stream runs it at once, after the work
/// of the blocking streams (legacy default-stream semantics).
CUresult enqueue(Emulator &e, CUstream stream, Op op) {
  if (!stream) {
    for (auto &entry : e.streams)
      if (entry.second->flags == 0)
        runStream(e, *entry.second, entry.second->enqueued);
    execute(e, op);
    return kSuccess;
  }
  ++stream->enqueued;
  stream->queue.push_back(std::move(op));
  return kSuccess;
}

CUresult allocate(Emulator &e, CUdeviceptr *pointer, size_t bytes,
                  CUmemPoolHandle_st *pool) {
  if (!pointer || bytes == 0)
    return kInvalidValue;
  ++e.allocCalls;
  if (e.failAlloc > 0 && e.allocCalls == uint64_t(e.failAlloc))
    return kOutOfMemory;
  Allocation allocation{bytes, pool, false};
  void *host = nullptr;
  if (underAsan()) {
    host = std::malloc(bytes);
  } else {
    // [guard page | data pages, the allocation ending at their end, rounded
    // up to 16 bytes (cuMemAlloc's alignment is 256) | guard pages].
    size_t page = size_t(sysconf(_SC_PAGESIZE));
    size_t span = (bytes + 15) / 16 * 16;
    size_t data = (span + page - 1) / page * page;
    size_t total = page + data + kGuardAfter;
    void *map = mmap(nullptr, total, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map != MAP_FAILED && mprotect(static_cast<char *>(map) + page, data,
                                      PROT_READ | PROT_WRITE) == 0) {
      allocation.map = map;
      allocation.mapBytes = total;
      host = static_cast<char *>(map) + page + data - span;
    } else if (map != MAP_FAILED) {
      munmap(map, total);
    }
  }
  if (!host)
    return kOutOfMemory;
  std::memset(host, 0xFF, bytes);
  e.allocations[uintptr_t(host)] = allocation;
  if (pool) {
    pool->used += bytes;
    if (pool->used > pool->usedHigh)
      pool->usedHigh = pool->used;
  }
  ++e.stats.allocations;
  *pointer = deviceOf(host);
  return kSuccess;
}

/// The allocation starting at `pointer`, for a free.
Allocation *allocationAt(Emulator &e, CUdeviceptr pointer) {
  if (!isDevice(pointer))
    return nullptr;
  auto it = e.allocations.find(uintptr_t(hostOf(pointer)));
  if (it == e.allocations.end() || it->second.freeQueued)
    return nullptr;
  return &it->second;
}

const char *errorText(CUresult result) {
  switch (result) {
  case kSuccess:
    return "no error";
  case kInvalidValue:
    return "invalid argument";
  case kOutOfMemory:
    return "out of memory";
  case kNotInitialized:
    return "initialization error";
  case kNoDevice:
    return "no CUDA-capable device is detected";
  case kInvalidDevice:
    return "invalid device ordinal";
  case kInvalidImage:
    return "device kernel image is invalid";
  case kInvalidContext:
    return "invalid device context";
  case kInvalidHandle:
    return "invalid resource handle";
  case kNotFound:
    return "named symbol not found";
  case kIllegalAddress:
    return "an illegal memory access was encountered";
  case kLaunchFailed:
    return "unspecified launch failure";
  case kUnknown:
    return "unknown error";
  default:
    return nullptr;
  }
}

/// The side-car of the library at `path`: X.so -> X.emu.so, else
/// NAME -> NAME.emu.so.
std::string sidecarOf(std::string path) {
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".so") == 0)
    path.resize(path.size() - 3);
  return path + OPTGRAPH_EMU_LIBRARY_SUFFIX;
}

void writeStats() {
  Emulator &e = emu();
  if (e.statsPath.empty())
    return;
  std::lock_guard<std::mutex> lock(e.mutex);
  size_t bytes = 0, queued = 0;
  for (auto &entry : e.allocations)
    bytes += entry.second.bytes;
  for (auto &entry : e.streams)
    queued += entry.second->queue.size();
  FILE *file = std::fopen(e.statsPath.c_str(), "a");
  if (!file)
    return;
  const Stats &s = e.stats;
  std::fprintf(
      file,
      "{\"launches\": %llu, \"blocks\": %llu, \"threads\": %llu, "
      "\"allocations\": %llu, \"allocations_outstanding\": %zu, "
      "\"bytes_outstanding\": %zu, \"queued_operations\": %zu, "
      "\"streams_created\": %llu, \"streams_destroyed\": %llu, "
      "\"pool_calls\": %llu, \"module_loads\": %llu, \"syncs\": %llu, "
      "\"default_pool_release_threshold\": %llu, \"sticky_error\": %d}\n",
      (unsigned long long)s.launches, (unsigned long long)e.executed.blocks,
      (unsigned long long)e.executed.threads, (unsigned long long)s.allocations,
      e.allocations.size(), bytes, queued, (unsigned long long)s.streamsCreated,
      (unsigned long long)s.streamsDestroyed, (unsigned long long)s.poolCalls,
      (unsigned long long)s.moduleLoads, (unsigned long long)s.syncs,
      (unsigned long long)e.defaultPool.releaseThreshold, e.sticky);
  std::fclose(file);
}

__attribute__((destructor)) void atUnload() { writeStats(); }

} // namespace

/// Every entry point but the few that work before cuInit: takes the lock,
/// checks initialization and the sticky error.
#define ENTER()                                                                \
  Emulator &e = emu();                                                         \
  std::lock_guard<std::mutex> lock(e.mutex);                                   \
  if (!e.initialized)                                                          \
    return kNotInitialized;
#define ENTER_LIVE()                                                           \
  ENTER();                                                                     \
  if (e.sticky)                                                                \
    return e.sticky;

//===----------------------------------------------------------------------===//
// Initialization, device, context
//===----------------------------------------------------------------------===//

OPTGRAPH_EMU_EXPORT CUresult cuGetErrorString(CUresult error,
                                              const char **text) {
  if (!text)
    return kInvalidValue;
  *text = errorText(error);
  return *text ? kSuccess : kInvalidValue;
}

OPTGRAPH_EMU_EXPORT CUresult cuDriverGetVersion(int *version) {
  if (!version)
    return kInvalidValue;
  *version = 13000;
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuInit(unsigned flags) {
  Emulator &e = emu();
  std::lock_guard<std::mutex> lock(e.mutex);
  if (flags != 0)
    return kInvalidValue;
  e.initialized = true;
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuDeviceGetCount(int *count) {
  ENTER();
  if (!count)
    return kInvalidValue;
  *count = 1;
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  ENTER();
  if (!device)
    return kInvalidValue;
  if (ordinal != 0)
    return kInvalidDevice;
  *device = 0;
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuDeviceGetName(char *name, int length,
                                             CUdevice device) {
  ENTER();
  if (!name || length <= 0)
    return kInvalidValue;
  if (device != 0)
    return kInvalidDevice;
  std::snprintf(name, size_t(length), "%s", "optgraph emulated GPU");
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *context,
                                                      CUdevice device) {
  ENTER_LIVE();
  if (!context)
    return kInvalidValue;
  if (device != 0)
    return kInvalidDevice;
  *context = &e.context;
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuCtxSetCurrent(CUcontext context) {
  ENTER();
  if (context && context != &e.context)
    return kInvalidContext;
  return e.sticky;
}

//===----------------------------------------------------------------------===//
// Modules
//===----------------------------------------------------------------------===//

OPTGRAPH_EMU_EXPORT CUresult cuModuleLoadData(CUmodule *module,
                                              const void *image) {
  ENTER_LIVE();
  if (!module || !image)
    return kInvalidValue;
  // The image is a constant of the step library; its side-car lies beside
  // it. No environment variable: the library under test is the real one.
  Dl_info info;
  if (!dladdr(image, &info) || !info.dli_fname || !*info.dli_fname) {
    report("cannot tell which library holds the kernel image at %s",
           hex(uint64_t(uintptr_t(image))));
    return kInvalidImage;
  }
  std::string path = sidecarOf(info.dli_fname);
  if (access(path.c_str(), F_OK) != 0) {
    report("no emulation side-car %s for the kernels of %s; it is made by "
           "`optgraph-compile --target=cuda` (the emulation side-car is on "
           "by default)",
           path, info.dli_fname);
    return kInvalidImage;
  }
  void *sidecar = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!sidecar) {
    const char *why = dlerror();
    report("cannot load the emulation side-car %s: %s", path,
           why ? why : "unknown error");
    return kInvalidImage;
  }
  auto *m = new CUmod_st;
  m->sidecar = sidecar;
  m->path = path;
  e.modules.insert(m);
  ++e.stats.moduleLoads;
  *module = m;
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuModuleUnload(CUmodule module) {
  ENTER();
  if (!e.modules.count(module))
    return kInvalidHandle;
  // Its kernels' queued launches run first (they point at its functions);
  // the side-car stays mapped (dlclose at exit races with destructors).
  runAll(e);
  for (auto &entry : module->functions)
    e.functions.erase(entry.second.get());
  e.modules.erase(module);
  delete module;
  return e.sticky;
}

OPTGRAPH_EMU_EXPORT CUresult cuModuleGetFunction(CUfunction *function,
                                                 CUmodule module,
                                                 const char *name) {
  ENTER_LIVE();
  if (!function || !name)
    return kInvalidValue;
  if (!e.modules.count(module))
    return kInvalidHandle;
  auto found = module->functions.find(name);
  if (found != module->functions.end()) {
    *function = found->second.get();
    return kSuccess;
  }
  std::string entryName = std::string(name) + OPTGRAPH_EMU_KERNEL_SUFFIX;
  std::string infoName = std::string(name) + OPTGRAPH_EMU_INFO_SUFFIX;
  void *entry = dlsym(module->sidecar, entryName.c_str());
  void *info = dlsym(module->sidecar, infoName.c_str());
  if (!entry || !info) {
    report("the emulation side-car %s lacks %s", module->path,
           entry ? infoName : entryName);
    return kNotFound;
  }
  const auto *table = static_cast<const int64_t *>(info);
  if (table[0] != kEmuInfoVersion || table[kEmuInfoNumParams] < 0 ||
      table[kEmuInfoBarrierSites] < 0 || table[kEmuInfoSharedBytes] < 0) {
    report("%s in %s is not a version-1 kernel table "
           "(optgraph/Runtime/CudaEmulation.h)",
           infoName, module->path);
    return kInvalidImage;
  }
  for (int64_t i = 0; i < table[kEmuInfoNumParams]; ++i)
    if (table[kEmuInfoParamBytes + i] <= 0 ||
        table[kEmuInfoParamBytes + i] > 4096) {
      report("%s in %s gives a parameter an invalid size", infoName,
             module->path);
      return kInvalidImage;
    }
  auto f = std::make_unique<CUfunc_st>();
  f->kernel.name = name;
  f->kernel.entry = reinterpret_cast<KernelEntry>(entry);
  f->kernel.info = table;
  f->module = module;
  *function = f.get();
  e.functions.insert(f.get());
  module->functions[name] = std::move(f);
  return kSuccess;
}

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

OPTGRAPH_EMU_EXPORT CUresult cuLaunchKernel(
    CUfunction function, unsigned gridX, unsigned gridY, unsigned gridZ,
    unsigned blockX, unsigned blockY, unsigned blockZ, unsigned sharedBytes,
    CUstream stream, void **kernelParams, void **extra) {
  ENTER_LIVE();
  ++e.launchCalls;
  if (e.failLaunch > 0 && e.launchCalls == uint64_t(e.failLaunch))
    return kInvalidValue;
  if (!e.functions.count(function) || !validStream(e, stream))
    return kInvalidHandle;
  const Kernel &kernel = function->kernel;
  const int64_t *info = kernel.info;
  auto reject = [&](const std::string &why) {
    report("cuLaunchKernel of %s rejected: %s", kernel.name, why);
    return kInvalidValue;
  };
  auto dims = [](unsigned x, unsigned y, unsigned z) {
    return "(" + std::to_string(x) + "," + std::to_string(y) + "," +
           std::to_string(z) + ")";
  };
  if (extra)
    return reject("`extra` is not supported");
  if (!gridX || !gridY || !gridZ || !blockX || !blockY || !blockZ)
    return reject("a zero grid or block dimension");
  if (gridX > kMaxGridX || gridY > kMaxGridYZ || gridZ > kMaxGridYZ)
    return reject("grid " + dims(gridX, gridY, gridZ) +
                  " exceeds (2147483647,65535,65535)");
  if (blockZ > kMaxBlockZ || blockX > kMaxBlockThreads ||
      blockY > kMaxBlockThreads ||
      uint64_t(blockX) * blockY * blockZ > kMaxBlockThreads)
    return reject("block " + dims(blockX, blockY, blockZ) +
                  " exceeds 1024 threads or (1024,1024,64)");
  for (int d = 0; d < 3; ++d) {
    unsigned given = d == 0 ? blockX : d == 1 ? blockY : blockZ;
    if (info[kEmuInfoBlockSize + d] != 0 &&
        uint64_t(info[kEmuInfoBlockSize + d]) != given)
      return reject(
          "block " + dims(blockX, blockY, blockZ) +
          " differs from the kernel's known block size " +
          dims(unsigned(info[1]), unsigned(info[2]), unsigned(info[3])));
  }
  if (uint64_t(info[kEmuInfoSharedBytes]) + sharedBytes > kMaxStaticShared)
    return reject(std::to_string(info[kEmuInfoSharedBytes]) + " + " +
                  std::to_string(sharedBytes) +
                  " bytes of shared memory exceed 49152");
  int64_t count = info[kEmuInfoNumParams];
  if (count > 0 && !kernelParams)
    return reject("no kernelParams");

  auto launch = std::make_unique<Launch>();
  launch->kernel = &kernel;
  launch->grid[0] = gridX, launch->grid[1] = gridY, launch->grid[2] = gridZ;
  launch->block[0] = blockX, launch->block[1] = blockY;
  launch->block[2] = blockZ;
  launch->dynamicShared = sharedBytes;
  size_t slots = 0;
  for (int64_t i = 0; i < count; ++i) {
    launch->offsets.push_back(slots);
    slots += (size_t(info[kEmuInfoParamBytes + i]) + 7) / 8;
  }
  launch->values.assign(slots, 0);
  for (int64_t i = 0; i < count; ++i) {
    if (!kernelParams[i])
      return reject("kernelParams[" + std::to_string(i) + "] is null");
    uint64_t *slot = launch->values.data() + launch->offsets[i];
    size_t bytes = size_t(info[kEmuInfoParamBytes + i]);
    std::memcpy(slot, kernelParams[i], bytes);
  }
  Op op{Op::LaunchKernel};
  for (int64_t i = 0; i < count; ++i) {
    uint64_t *slot = launch->values.data() + launch->offsets[i];
    // The kernels run on the host: they get plain host addresses.
    if (info[kEmuInfoParamBytes + i] == 8 && isDevice(*slot)) {
      op.devicePointers.emplace_back(i, *slot);
      *slot = uint64_t(uintptr_t(hostOf(*slot)));
    }
  }
  ++e.stats.launches;
  op.launch = std::move(launch);
  return enqueue(e, stream, std::move(op));
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

OPTGRAPH_EMU_EXPORT CUresult cuStreamCreate(CUstream *stream, unsigned flags) {
  ENTER_LIVE();
  if (!stream || flags > 1)
    return kInvalidValue;
  auto *s = new CUstream_st;
  s->id = e.nextStream++;
  s->flags = flags;
  e.streams[s->id] = s;
  e.liveStreams.insert(s);
  ++e.stats.streamsCreated;
  *stream = s;
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuStreamSynchronize(CUstream stream) {
  ENTER();
  if (!validStream(e, stream))
    return kInvalidHandle;
  ++e.stats.syncs;
  if (stream)
    runStream(e, *stream, stream->enqueued);
  else
    runAll(e);
  return e.sticky;
}

OPTGRAPH_EMU_EXPORT CUresult cuStreamDestroy_v2(CUstream stream) {
  ENTER();
  if (!stream || !validStream(e, stream))
    return kInvalidHandle;
  // A GPU finishes a destroyed stream's work; so does the emulator, now.
  runStream(e, *stream, stream->enqueued);
  e.streams.erase(stream->id);
  e.liveStreams.erase(stream);
  ++e.stats.streamsDestroyed;
  delete stream;
  return e.sticky;
}

OPTGRAPH_EMU_EXPORT CUresult cuStreamWaitEvent(CUstream stream, CUevent event,
                                               unsigned flags) {
  ENTER_LIVE();
  if (!validStream(e, stream) || !e.events.count(event))
    return kInvalidHandle;
  if (flags != 0)
    return kInvalidValue;
  CUstream_st *signal = streamById(e, event->stream);
  if (!signal || signal->done >= event->sequence)
    return kSuccess;
  if (!stream) {
    runStream(e, *signal, event->sequence);
    return e.sticky;
  }
  Op op{Op::Wait};
  op.stream = event->stream;
  op.sequence = event->sequence;
  return enqueue(e, stream, std::move(op));
}

OPTGRAPH_EMU_EXPORT CUresult cuEventCreate(CUevent *event, unsigned flags) {
  ENTER_LIVE();
  if (!event || flags > 0xF)
    return kInvalidValue;
  auto *ev = new CUevent_st;
  e.events.insert(ev);
  *event = ev;
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuEventRecord(CUevent event, CUstream stream) {
  ENTER_LIVE();
  if (!e.events.count(event) || !validStream(e, stream))
    return kInvalidHandle;
  if (!stream) {
    enqueue(e, stream, Op{Op::Record});
    event->stream = 0;
    return kSuccess;
  }
  enqueue(e, stream, Op{Op::Record});
  event->stream = stream->id;
  event->sequence = stream->enqueued;
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuEventSynchronize(CUevent event) {
  ENTER();
  if (!e.events.count(event))
    return kInvalidHandle;
  ++e.stats.syncs;
  if (CUstream_st *s = streamById(e, event->stream))
    runStream(e, *s, event->sequence);
  return e.sticky;
}

OPTGRAPH_EMU_EXPORT CUresult cuEventDestroy_v2(CUevent event) {
  ENTER();
  if (!e.events.erase(event))
    return kInvalidHandle;
  delete event;
  return e.sticky;
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

OPTGRAPH_EMU_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  ENTER_LIVE();
  return allocate(e, pointer, bytes, nullptr);
}

OPTGRAPH_EMU_EXPORT CUresult cuMemFree_v2(CUdeviceptr pointer) {
  ENTER();
  Allocation *a = allocationAt(e, pointer);
  if (!a) {
    report("cuMemFree of %s, not a live device allocation", hex(pointer));
    return kInvalidValue;
  }
  // cuMemFree waits for the device's work, which may still use the memory.
  runAll(e);
  releaseAllocation(e, uintptr_t(hostOf(pointer)));
  return e.sticky;
}

OPTGRAPH_EMU_EXPORT CUresult cuMemAllocAsync(CUdeviceptr *pointer, size_t bytes,
                                             CUstream stream) {
  ENTER_LIVE();
  if (!validStream(e, stream))
    return kInvalidHandle;
  // Allocated at once, as the caller needs the address at once; it is
  // usable in stream order, which the emulator gets for free.
  return allocate(e, pointer, bytes, &e.defaultPool);
}

OPTGRAPH_EMU_EXPORT CUresult cuMemFreeAsync(CUdeviceptr pointer,
                                            CUstream stream) {
  ENTER();
  if (!validStream(e, stream))
    return kInvalidHandle;
  Allocation *a = allocationAt(e, pointer);
  if (!a) {
    report("cuMemFreeAsync of %s, not a live device allocation", hex(pointer));
    return kInvalidValue;
  }
  a->freeQueued = true;
  Op op{Op::Free};
  op.destination = pointer;
  enqueue(e, stream, std::move(op));
  return e.sticky;
}

OPTGRAPH_EMU_EXPORT CUresult cuMemcpyAsync(CUdeviceptr destination,
                                           CUdeviceptr source, size_t bytes,
                                           CUstream stream) {
  ENTER_LIVE();
  if (!validStream(e, stream))
    return kInvalidHandle;
  if (!validRange(e, destination, bytes) || !validRange(e, source, bytes)) {
    report("cuMemcpyAsync(%s, %s, ...): an address outside live device memory",
           hex(destination), hex(source));
    return kInvalidValue;
  }
  Op op{Op::Copy};
  op.destination = destination;
  op.source = source;
  op.bytes = bytes;
  return enqueue(e, stream, std::move(op));
}

namespace {
CUresult memsetAsync(CUdeviceptr destination, unsigned value, size_t count,
                     unsigned width, CUstream stream) {
  ENTER_LIVE();
  if (!validStream(e, stream))
    return kInvalidHandle;
  if (!isDevice(destination) || destination % width != 0 ||
      !validRange(e, destination, count * width)) {
    report("cuMemsetD%sAsync of %s: not aligned, live device memory",
           std::to_string(width * 8), hex(destination));
    return kInvalidValue;
  }
  Op op{Op::Memset};
  op.destination = destination;
  op.bytes = count;
  op.width = width;
  op.value = value;
  return enqueue(e, stream, std::move(op));
}
} // namespace

OPTGRAPH_EMU_EXPORT CUresult cuMemsetD32Async(CUdeviceptr destination,
                                              unsigned value, size_t count,
                                              CUstream stream) {
  return memsetAsync(destination, value, count, 4, stream);
}

OPTGRAPH_EMU_EXPORT CUresult cuMemsetD16Async(CUdeviceptr destination,
                                              unsigned short value,
                                              size_t count, CUstream stream) {
  return memsetAsync(destination, value, count, 2, stream);
}

OPTGRAPH_EMU_EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr destination,
                                             const void *source, size_t bytes) {
  ENTER_LIVE();
  if (!source || !isDevice(destination) || !validRange(e, destination, bytes)) {
    report("cuMemcpyHtoD to %s: not live device memory", hex(destination));
    return kInvalidValue;
  }
  // Synchronous, and ordered after the legacy stream only: work queued on
  // non-blocking streams has not run.
  for (auto &entry : e.streams)
    if (entry.second->flags == 0)
      runStream(e, *entry.second, entry.second->enqueued);
  std::memcpy(hostOf(destination), source, bytes);
  return e.sticky;
}

OPTGRAPH_EMU_EXPORT CUresult cuMemcpyDtoH_v2(void *destination,
                                             CUdeviceptr source, size_t bytes) {
  ENTER_LIVE();
  if (!destination || !isDevice(source) || !validRange(e, source, bytes)) {
    report("cuMemcpyDtoH from %s: not live device memory", hex(source));
    return kInvalidValue;
  }
  for (auto &entry : e.streams)
    if (entry.second->flags == 0)
      runStream(e, *entry.second, entry.second->enqueued);
  std::memcpy(destination, hostOf(source), bytes);
  return e.sticky;
}

//===----------------------------------------------------------------------===//
// Memory pools
//===----------------------------------------------------------------------===//

OPTGRAPH_EMU_EXPORT CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pool,
                                                       CUdevice device) {
  ENTER_LIVE();
  ++e.stats.poolCalls;
  if (!pool)
    return kInvalidValue;
  if (device != 0)
    return kInvalidDevice;
  *pool = &e.defaultPool;
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuMemPoolCreate(CUmemoryPool *pool,
                                             const CUmemPoolProps *props) {
  ENTER_LIVE();
  ++e.stats.poolCalls;
  if (!pool || !props)
    return kInvalidValue;
  auto *p = new CUmemPoolHandle_st;
  e.pools.insert(p);
  *pool = p;
  return kSuccess;
}

OPTGRAPH_EMU_EXPORT CUresult cuMemPoolDestroy(CUmemoryPool pool) {
  ENTER();
  ++e.stats.poolCalls;
  if (pool == &e.defaultPool || !e.pools.count(pool))
    return kInvalidValue;
  e.pools.erase(pool);
  // Its live allocations stay valid until freed; they stop counting.
  for (auto &entry : e.allocations)
    if (entry.second.pool == pool)
      entry.second.pool = nullptr;
  delete pool;
  return e.sticky;
}

OPTGRAPH_EMU_EXPORT CUresult cuMemPoolTrimTo(CUmemoryPool pool,
                                             size_t /*minBytesToKeep*/) {
  ENTER_LIVE();
  ++e.stats.poolCalls;
  if (!validPool(e, pool))
    return kInvalidValue;
  return kSuccess; // nothing is cached
}

OPTGRAPH_EMU_EXPORT CUresult cuMemPoolSetAttribute(
    CUmemoryPool pool, CUmemPool_attribute attribute, void *value) {
  ENTER_LIVE();
  ++e.stats.poolCalls;
  if (!validPool(e, pool) || !value)
    return kInvalidValue;
  switch (attribute) {
  case kPoolReuseFollowEventDependencies:
  case kPoolReuseAllowOpportunistic:
  case kPoolReuseAllowInternalDependencies:
    pool->reuse[attribute - 1] = *static_cast<int *>(value);
    return kSuccess;
  case kPoolReleaseThreshold:
    pool->releaseThreshold = *static_cast<uint64_t *>(value);
    return kSuccess;
  case kPoolReservedMemHigh:
  case kPoolUsedMemHigh:
    // Only a reset to 0 is allowed.
    if (*static_cast<uint64_t *>(value) != 0)
      return kInvalidValue;
    pool->usedHigh = pool->used;
    return kSuccess;
  default:
    return kInvalidValue;
  }
}

OPTGRAPH_EMU_EXPORT CUresult cuMemPoolGetAttribute(
    CUmemoryPool pool, CUmemPool_attribute attribute, void *value) {
  ENTER_LIVE();
  ++e.stats.poolCalls;
  if (!validPool(e, pool) || !value)
    return kInvalidValue;
  switch (attribute) {
  case kPoolReuseFollowEventDependencies:
  case kPoolReuseAllowOpportunistic:
  case kPoolReuseAllowInternalDependencies:
    *static_cast<int *>(value) = pool->reuse[attribute - 1];
    return kSuccess;
  case kPoolReleaseThreshold:
    *static_cast<uint64_t *>(value) = pool->releaseThreshold;
    return kSuccess;
  case kPoolReservedMemCurrent: // nothing is cached: reserved is used
  case kPoolUsedMemCurrent:
    *static_cast<uint64_t *>(value) = pool->used;
    return kSuccess;
  case kPoolReservedMemHigh:
  case kPoolUsedMemHigh:
    *static_cast<uint64_t *>(value) = pool->usedHigh;
    return kSuccess;
  default:
    return kInvalidValue;
  }
}

OPTGRAPH_EMU_EXPORT CUresult cuMemAllocFromPoolAsync(CUdeviceptr *pointer,
                                                     size_t bytes,
                                                     CUmemoryPool pool,
                                                     CUstream stream) {
  ENTER_LIVE();
  ++e.stats.poolCalls;
  if (!validStream(e, stream))
    return kInvalidHandle;
  if (!validPool(e, pool))
    return kInvalidValue;
  return allocate(e, pointer, bytes, pool);
}
