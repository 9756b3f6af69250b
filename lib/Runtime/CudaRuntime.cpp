//===- CudaRuntime.cpp - the host functions of compiled CUDA steps --------===//
//
// Upstream `gpu-to-llvm` lowers launches, allocations, copies and streams to
// calls of the mgpu* functions, and Debian's MLIR ships no implementation of
// them. These are ours, on CUDA's driver API, which is opened with dlopen so
// that a step library loads on machines without a driver and fails with one
// clear message instead of a missing-symbol error or a crash.
//
// Errors: the first failure of a step is recorded and every later call of
// that step starts no new work, but frees and synchronizations still run, so
// a failed step leaks nothing and returns only once its queued work is done;
// `optgraph_cuda_end_step` reports the first failure.
//
// Nothing touches the driver while the library loads: `gpu-to-llvm` calls
// mgpuModuleLoad from a global constructor, which only records the image.
// The driver is initialized and the kernels are loaded at the first step
// (`optgraph_cuda_begin_step`), so that a process may fork before it (as with
// PyTorch's lazy initialization) and a missing driver or GPU is reported
// through the step's error return. A failure to load the kernels is sticky:
// every later step reports it. Each step library links its own copy of this
// runtime, so the state below is per library: its kernels and one stream,
// made at the first step and destroyed when the library is unloaded.
//
//===----------------------------------------------------------------------===//

#include "optgraph/Runtime/CudaDriver.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <string>
#include <vector>

using namespace optgraph::runtime;

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

namespace {

/// Set as soon as the driver is bound; read by describeCudaError, which the
/// driver's initialization itself uses (so it must not wait for it).
CUresult (*errorString)(CUresult, const char **) = nullptr;

struct DriverState {
  void *library = nullptr;
  CudaDriver api;
  CUcontext context = nullptr;
  std::string error; // why the driver is unusable; empty when it works
};

template <typename Fn>
bool bind(void *library, const char *name, Fn &fn, std::string &error) {
  fn = reinterpret_cast<Fn>(dlsym(library, name));
  if (!fn)
    error = std::string("the CUDA driver lacks ") + name +
            " (a driver for CUDA 11.2 or later is required)";
  return fn != nullptr;
}

/// Set once state() has run (whether or not the driver works): the unload
/// path must not be the one that opens the driver.
std::atomic<DriverState *> initialized{nullptr};

DriverState &state() {
  static DriverState s;
  static std::once_flag once;
  std::call_once(once, [] {
    struct Done {
      ~Done() { initialized.store(&s); }
    } done;
    const char *path = "libcuda.so.1";
    s.library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!s.library) {
      s.error = std::string("cannot load the CUDA driver (") + path +
                "): " + dlerror() + "; is an NVIDIA driver installed?";
      return;
    }
    CudaDriver &d = s.api;
    bool ok =
        bind(s.library, "cuGetErrorString", d.getErrorString, s.error) &&
        bind(s.library, "cuInit", d.init, s.error) &&
        bind(s.library, "cuDeviceGetCount", d.deviceGetCount, s.error) &&
        bind(s.library, "cuDeviceGet", d.deviceGet, s.error) &&
        bind(s.library, "cuDevicePrimaryCtxRetain", d.primaryCtxRetain,
             s.error) &&
        bind(s.library, "cuCtxSetCurrent", d.ctxSetCurrent, s.error) &&
        bind(s.library, "cuModuleLoadData", d.moduleLoadData, s.error) &&
        bind(s.library, "cuModuleUnload", d.moduleUnload, s.error) &&
        bind(s.library, "cuModuleGetFunction", d.moduleGetFunction, s.error) &&
        bind(s.library, "cuLaunchKernel", d.launchKernel, s.error) &&
        bind(s.library, "cuStreamCreate", d.streamCreate, s.error) &&
        bind(s.library, "cuStreamSynchronize", d.streamSynchronize, s.error) &&
        bind(s.library, "cuStreamDestroy_v2", d.streamDestroy, s.error) &&
        bind(s.library, "cuStreamWaitEvent", d.streamWaitEvent, s.error) &&
        bind(s.library, "cuEventCreate", d.eventCreate, s.error) &&
        bind(s.library, "cuEventRecord", d.eventRecord, s.error) &&
        bind(s.library, "cuEventSynchronize", d.eventSynchronize, s.error) &&
        bind(s.library, "cuEventDestroy_v2", d.eventDestroy, s.error) &&
        bind(s.library, "cuMemAllocAsync", d.memAllocAsync, s.error) &&
        bind(s.library, "cuMemFreeAsync", d.memFreeAsync, s.error) &&
        bind(s.library, "cuMemcpyAsync", d.memcpyAsync, s.error) &&
        bind(s.library, "cuMemsetD32Async", d.memsetD32Async, s.error) &&
        bind(s.library, "cuMemsetD16Async", d.memsetD16Async, s.error) &&
        bind(s.library, "cuMemAlloc_v2", d.memAlloc, s.error) &&
        bind(s.library, "cuMemFree_v2", d.memFree, s.error) &&
        bind(s.library, "cuMemcpyHtoD_v2", d.memcpyHtoD, s.error) &&
        bind(s.library, "cuMemcpyDtoH_v2", d.memcpyDtoH, s.error) &&
        bind(s.library, "cuDeviceGetDefaultMemPool", d.deviceGetDefaultMemPool,
             s.error) &&
        bind(s.library, "cuMemPoolSetAttribute", d.memPoolSetAttribute,
             s.error) &&
        bind(s.library, "cuMemPoolTrimTo", d.memPoolTrimTo, s.error);
    if (!ok)
      return;
    errorString = d.getErrorString;
    auto check = [&](CUresult result, const char *call) {
      if (result == 0)
        return true;
      s.error = std::string(call) + " failed: " + describeCudaError(result);
      return false;
    };
    int count = 0;
    CUdevice device = 0;
    if (!check(d.init(0), "cuInit") ||
        !check(d.deviceGetCount(&count), "cuDeviceGetCount"))
      return;
    if (count == 0) {
      s.error = "no CUDA device is visible";
      return;
    }
    // Device 0, as PyTorch's default: CUDA_VISIBLE_DEVICES picks another.
    if (!check(d.deviceGet(&device, 0), "cuDeviceGet") ||
        !check(d.primaryCtxRetain(&s.context, device),
               "cuDevicePrimaryCtxRetain"))
      return;
  });
  return s;
}

/// The first error of the step running on this thread.
thread_local std::string stepError;
/// Kernel modules that failed to load: every step reports it.
std::string &moduleError() {
  static std::string error;
  return error;
}

bool failed() { return !stepError.empty(); }

void fail(const std::string &message) {
  if (stepError.empty())
    stepError = message;
}

/// Checks a driver call; records the first failure.
bool check(CUresult result, const char *call) {
  if (result == 0)
    return true;
  fail(std::string(call) + " failed: " + describeCudaError(result));
  return false;
}

/// The driver with this thread's context current, or null after recording
/// why there is none.
const CudaDriver *driver() {
  DriverState &s = state();
  if (!s.error.empty()) {
    fail(s.error);
    return nullptr;
  }
  if (!check(s.api.ctxSetCurrent(s.context), "cuCtxSetCurrent"))
    return nullptr;
  return &s.api;
}

/// gpu-to-llvm cannot tell a stream from an event once a token crosses a
/// block boundary (it then waits on a stream as if it were an event), so
/// the handles given out say what they are.
struct Handle {
  enum Kind : uint32_t { Stream = 0x5354524d, Event = 0x45564e54 } kind;
  CUstream stream = nullptr;
  CUevent event = nullptr;
};

Handle *asHandle(void *opaque, const char *what) {
  auto *handle = static_cast<Handle *>(opaque);
  if (!handle ||
      (handle->kind != Handle::Stream && handle->kind != Handle::Event)) {
    fail(std::string("invalid ") + what + " handle");
    return nullptr;
  }
  return handle;
}

/// A kernel image recorded by mgpuModuleLoad; loaded at the first step.
struct Module {
  const void *image = nullptr;
  CUmodule loaded = nullptr;
};

/// This library's kernels, stream and pool (see the file comment).
struct Library {
  std::mutex mutex;
  std::vector<Module *> modules;
  /// What every mgpuStreamCreate returns: one stream, created at the first
  /// step, so that a step no longer creates and destroys one.
  Handle stream{Handle::Stream, nullptr, nullptr};
  CUmemoryPool pool = nullptr; // set once its release threshold is
};

/// Never destroyed: mgpuModuleUnload runs from a global destructor.
Library &library() {
  static Library *l = new Library;
  return *l;
}

/// Keeps the memory that steps free in the device's default memory pool,
/// from which cuMemAllocAsync allocates (unless the process sets another).
/// Its default release threshold, 0, hands every freed byte back at each
/// synchronization, that is at every step, and the next step maps its
/// temporaries afresh (64 MB at 4096x4096, 512 MB at 32768x4096). The price
/// is memory PyTorch cannot have: its default caching allocator takes memory
/// with cudaMalloc and can neither use nor release (empty_cache) what this
/// pool keeps. A step frees all its temporaries before it returns and the
/// next one allocates the same sizes, so an unbounded threshold keeps about
/// one step's peak of temporaries, not more; it is trimmed when the library
/// unloads. (PyTorch's cudaMallocAsync backend uses this same pool.)
void keepPoolMemory(const CudaDriver &d, Library &l) {
  if (l.pool)
    return;
  CUmemoryPool pool = nullptr;
  uint64_t threshold = UINT64_MAX;
  if (check(d.deviceGetDefaultMemPool(&pool, 0), "cuDeviceGetDefaultMemPool") &&
      check(d.memPoolSetAttribute(pool,
                                  /*CU_MEMPOOL_ATTR_RELEASE_THRESHOLD=*/4,
                                  &threshold),
            "cuMemPoolSetAttribute"))
    l.pool = pool;
}

/// Loads the kernels recorded by mgpuModuleLoad; a failure is sticky.
void loadModules(const CudaDriver &d, Library &l) {
  for (Module *module : l.modules) {
    if (module->loaded)
      continue;
    if (!check(d.moduleLoadData(&module->loaded, module->image),
               "cuModuleLoadData")) {
      module->loaded = nullptr;
      moduleError() = "cannot load the step's kernels: " + stepError;
      return;
    }
  }
}

CUstream streamOf(void *opaque) {
  Handle *handle = asHandle(opaque, "stream");
  return handle && handle->kind == Handle::Stream ? handle->stream : nullptr;
}

} // namespace

std::string optgraph::runtime::describeCudaError(CUresult result) {
  const char *text = nullptr;
  if (errorString)
    errorString(result, &text);
  // The ones a user can act on, when the driver (a stub, say) has no text.
  if (!text) {
    switch (result) {
    case 34:
      text = "the CUDA driver is a stub library; no NVIDIA driver is "
             "installed";
      break;
    case 100:
      text = "no CUDA-capable device is detected";
      break;
    case 209:
      text = "no kernel image for this GPU (compile with --chip for it)";
      break;
    default:
      break;
    }
  }
  return std::string(text ? text : "unknown error") + " (CUDA error " +
         std::to_string(result) + ")";
}

const CudaDriver *optgraph::runtime::cudaDriver(std::string &error) {
  DriverState &s = state();
  if (!s.error.empty()) {
    error = s.error;
    return nullptr;
  }
  CUresult result = s.api.ctxSetCurrent(s.context);
  if (result != 0) {
    error = "cuCtxSetCurrent failed: " + describeCudaError(result);
    return nullptr;
  }
  return &s.api;
}

//===----------------------------------------------------------------------===//
// The step boundary (called by the wrapper optgraph-compile generates)
//===----------------------------------------------------------------------===//

static int report(char *error, size_t size) {
  if (!failed())
    return 0;
  if (error && size) {
    std::strncpy(error, stepError.c_str(), size - 1);
    error[size - 1] = '\0';
  }
  return 1;
}

extern "C" int optgraph_cuda_begin_step(char *error, size_t size) {
  stepError.clear();
  if (!moduleError().empty()) {
    fail(moduleError());
  } else if (const CudaDriver *d = driver()) {
    Library &l = library();
    std::lock_guard<std::mutex> lock(l.mutex);
    loadModules(*d, l);
    if (!failed())
      keepPoolMemory(*d, l);
  }
  return report(error, size);
}

extern "C" int optgraph_cuda_end_step(char *error, size_t size) {
  return report(error, size);
}

//===----------------------------------------------------------------------===//
// mgpu* (the signatures upstream gpu-to-llvm calls)
//===----------------------------------------------------------------------===//

extern "C" void *mgpuModuleLoad(void *data, size_t /*size*/) {
  // Runs from a global constructor when the step library is loaded: only
  // records the image (see the file comment).
  Library &l = library();
  std::lock_guard<std::mutex> lock(l.mutex);
  l.modules.push_back(new Module{data, nullptr});
  return l.modules.back();
}

// Runs from a global destructor, at dlclose or exit (then possibly after the
// driver's own teardown, which makes these calls fail harmlessly). Touches
// the driver only if a step has opened it.
extern "C" void mgpuModuleUnload(void *opaque) {
  auto *module = static_cast<Module *>(opaque);
  if (!module)
    return;
  Library &l = library();
  std::lock_guard<std::mutex> lock(l.mutex);
  DriverState *s = initialized.load();
  bool live = s && s->error.empty() &&
              (module->loaded || l.stream.stream || l.pool) &&
              s->api.ctxSetCurrent(s->context) == 0;
  if (live && module->loaded)
    s->api.moduleUnload(module->loaded);
  l.modules.erase(std::find(l.modules.begin(), l.modules.end(), module));
  delete module;
  if (!live || !l.modules.empty())
    return;
  if (l.stream.stream)
    s->api.streamDestroy(l.stream.stream);
  l.stream.stream = nullptr;
  if (l.pool)
    s->api.memPoolTrimTo(l.pool, 0);
  l.pool = nullptr;
}

extern "C" void *mgpuModuleGetFunction(void *opaque, const char *name) {
  if (failed())
    return nullptr;
  auto *module = static_cast<Module *>(opaque);
  if (!module || !module->loaded) {
    fail("the step's kernels are not loaded");
    return nullptr;
  }
  CUfunction function = nullptr;
  if (!check(state().api.moduleGetFunction(&function, module->loaded, name),
             "cuModuleGetFunction"))
    return nullptr;
  return function;
}

extern "C" void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                                 intptr_t gridZ, intptr_t blockX,
                                 intptr_t blockY, intptr_t blockZ,
                                 int32_t sharedMemory, void *stream,
                                 void **params, void **extra,
                                 size_t /*paramsCount*/) {
  if (failed())
    return;
  CUstream cuStream = streamOf(stream);
  if (failed())
    return;
  check(state().api.launchKernel(static_cast<CUfunction>(function), gridX,
                                 gridY, gridZ, blockX, blockY, blockZ,
                                 sharedMemory, cuStream, params, extra),
        "cuLaunchKernel");
}

// Every `gpu.wait async` of every step gets the library's one stream: work
// that the IR leaves unordered runs in order, which is correct and, as the
// steps' kernels form one chain, costs nothing. Steps run on several threads
// at once share it too (and then wait for each other's work).
extern "C" void *mgpuStreamCreate() {
  if (failed())
    return nullptr;
  Library &l = library();
  std::lock_guard<std::mutex> lock(l.mutex);
  if (!l.stream.stream) {
    const CudaDriver *d = driver();
    if (!d ||
        !check(d->streamCreate(&l.stream.stream, /*CU_STREAM_NON_BLOCKING=*/1),
               "cuStreamCreate")) {
      l.stream.stream = nullptr;
      return nullptr;
    }
  }
  return &l.stream;
}

// Synchronizes even after an error: the step must not return while work it
// queued still writes the caller's tensors.
extern "C" void mgpuStreamSynchronize(void *stream) {
  if (Handle *handle = asHandle(stream, "stream"))
    check(state().api.streamSynchronize(handle->stream),
          "cuStreamSynchronize (a kernel or copy of this step failed)");
}

extern "C" void mgpuStreamDestroy(void *stream) {
  // The library's stream outlives the step: mgpuModuleUnload destroys it.
  if (stream == &library().stream)
    return;
  if (Handle *handle = static_cast<Handle *>(stream)) {
    if (handle->kind == Handle::Stream && handle->stream)
      state().api.streamDestroy(handle->stream);
    delete handle;
  }
}

extern "C" void mgpuStreamWaitEvent(void *stream, void *event) {
  if (failed())
    return;
  Handle *waiter = asHandle(stream, "stream");
  Handle *signal = asHandle(event, "event");
  if (waiter && signal && signal->kind == Handle::Event)
    check(state().api.streamWaitEvent(waiter->stream, signal->event, 0),
          "cuStreamWaitEvent");
}

extern "C" void *mgpuEventCreate() {
  if (failed())
    return nullptr;
  CUevent event = nullptr;
  if (!check(state().api.eventCreate(&event, /*CU_EVENT_DISABLE_TIMING=*/2),
             "cuEventCreate"))
    return nullptr;
  return new Handle{Handle::Event, nullptr, event};
}

extern "C" void mgpuEventRecord(void *event, void *stream) {
  if (failed())
    return;
  Handle *signal = asHandle(event, "event");
  CUstream cuStream = streamOf(stream);
  if (signal && !failed())
    check(state().api.eventRecord(signal->event, cuStream), "cuEventRecord");
}

// The lowering calls these on stream handles too (see Handle). Like
// mgpuStreamSynchronize, it synchronizes even after an error.
extern "C" void mgpuEventSynchronize(void *event) {
  Handle *handle = asHandle(event, "event");
  if (!handle)
    return;
  if (handle->kind == Handle::Stream)
    check(state().api.streamSynchronize(handle->stream),
          "cuStreamSynchronize (a kernel or copy of this step failed)");
  else
    check(state().api.eventSynchronize(handle->event), "cuEventSynchronize");
}

extern "C" void mgpuEventDestroy(void *event) {
  auto *handle = static_cast<Handle *>(event);
  if (!handle)
    return;
  if (handle->kind == Handle::Stream) {
    mgpuStreamDestroy(handle);
    return;
  }
  if (handle->event)
    state().api.eventDestroy(handle->event);
  delete handle;
}

extern "C" void *mgpuMemAlloc(uint64_t size, void *stream, bool hostShared) {
  if (failed() || size == 0)
    return nullptr;
  if (hostShared) {
    fail("host-shared allocations are not supported");
    return nullptr;
  }
  CUstream cuStream = streamOf(stream);
  CUdeviceptr pointer = 0;
  if (failed() || !check(state().api.memAllocAsync(&pointer, size, cuStream),
                         "cuMemAllocAsync"))
    return nullptr;
  return reinterpret_cast<void *>(pointer);
}

// Frees even after an error, or every failed step would leak its
// temporaries. Not on a bad handle: the NULL stream would free the memory
// before the step's queued work is done with it.
extern "C" void mgpuMemFree(void *pointer, void *stream) {
  if (!pointer)
    return;
  Handle *handle = asHandle(stream, "stream");
  if (!handle)
    return;
  CUstream cuStream = handle->kind == Handle::Stream ? handle->stream : nullptr;
  check(state().api.memFreeAsync(reinterpret_cast<CUdeviceptr>(pointer),
                                 cuStream),
        "cuMemFreeAsync");
}

extern "C" void mgpuMemcpy(void *destination, void *source, size_t size,
                           void *stream) {
  if (failed() || size == 0)
    return;
  CUstream cuStream = streamOf(stream);
  if (!failed())
    check(state().api.memcpyAsync(reinterpret_cast<CUdeviceptr>(destination),
                                  reinterpret_cast<CUdeviceptr>(source), size,
                                  cuStream),
          "cuMemcpyAsync");
}

extern "C" void mgpuMemset32(void *destination, unsigned value, size_t count,
                             void *stream) {
  if (failed() || count == 0)
    return;
  CUstream cuStream = streamOf(stream);
  if (!failed())
    check(state().api.memsetD32Async(reinterpret_cast<CUdeviceptr>(destination),
                                     value, count, cuStream),
          "cuMemsetD32Async");
}

extern "C" void mgpuMemset16(void *destination, unsigned short value,
                             size_t count, void *stream) {
  if (failed() || count == 0)
    return;
  CUstream cuStream = streamOf(stream);
  if (!failed())
    check(state().api.memsetD16Async(reinterpret_cast<CUdeviceptr>(destination),
                                     value, count, cuStream),
          "cuMemsetD16Async");
}
