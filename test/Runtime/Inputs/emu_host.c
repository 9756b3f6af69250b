/*===- emu_host.c - drives the emulated CUDA driver as CudaRuntime.cpp does
===*\
|*                                                                            *|
|* Built twice: with -DEMU_IMAGE as host.so, a library holding a "cubin"      *|
|* (the emulator finds the side-car host.emu.so from the image's address),    *|
|* and as the program `emu_host IMAGE-LIBRARY SCENARIO`, which dlopens        *|
|* libcuda.so.1 (LD_LIBRARY_PATH picks the emulator), runs one scenario and   *|
|* prints what it sees, for FileCheck.                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifdef EMU_IMAGE

__attribute__((visibility("default"))) const char emu_test_cubin[64] =
    "not a cubin: the emulator never reads it";

#else

#include <dlfcn.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;
typedef void *Handle;

static void *driver;
#define API(name, ...) static CUresult (*name)(__VA_ARGS__);
API(cuGetErrorString, CUresult, const char **)
API(cuInit, unsigned)
API(cuDriverGetVersion, int *)
API(cuDeviceGetCount, int *)
API(cuDeviceGet, int *, int)
API(cuDevicePrimaryCtxRetain, Handle *, int)
API(cuCtxSetCurrent, Handle)
API(cuModuleLoadData, Handle *, const void *)
API(cuModuleUnload, Handle)
API(cuModuleGetFunction, Handle *, Handle, const char *)
API(cuLaunchKernel, Handle, unsigned, unsigned, unsigned, unsigned, unsigned,
    unsigned, unsigned, Handle, void **, void **)
API(cuStreamCreate, Handle *, unsigned)
API(cuStreamSynchronize, Handle)
API(cuStreamDestroy_v2, Handle)
API(cuStreamWaitEvent, Handle, Handle, unsigned)
API(cuEventCreate, Handle *, unsigned)
API(cuEventRecord, Handle, Handle)
API(cuEventSynchronize, Handle)
API(cuEventDestroy_v2, Handle)
API(cuMemAllocAsync, CUdeviceptr *, size_t, Handle)
API(cuMemFreeAsync, CUdeviceptr, Handle)
API(cuMemcpyAsync, CUdeviceptr, CUdeviceptr, size_t, Handle)
API(cuMemsetD32Async, CUdeviceptr, unsigned, size_t, Handle)
API(cuMemsetD16Async, CUdeviceptr, unsigned short, size_t, Handle)
API(cuMemAlloc_v2, CUdeviceptr *, size_t)
API(cuMemFree_v2, CUdeviceptr)
API(cuMemcpyHtoD_v2, CUdeviceptr, const void *, size_t)
API(cuMemcpyDtoH_v2, void *, CUdeviceptr, size_t)
API(cuDeviceGetDefaultMemPool, Handle *, int)
API(cuMemPoolSetAttribute, Handle, int, void *)
API(cuMemPoolGetAttribute, Handle, int, void *)
API(cuMemAllocFromPoolAsync, CUdeviceptr *, size_t, Handle, Handle)

static void bind(void **fn, const char *name) {
  *fn = dlsym(driver, name);
  if (!*fn) {
    printf("missing %s\n", name);
    exit(2);
  }
}
#define BIND(name) bind((void **)&name, #name)

/* Prints "CALL -> CODE (TEXT)" and returns the code. */
static CUresult show(const char *call, CUresult result) {
  const char *text = NULL;
  cuGetErrorString(result, &text);
  printf("%s -> %d (%s)\n", call, result, text ? text : "?");
  return result;
}
#define SHOW(call) show(#call, call)
/* Must succeed. */
#define OK(call)                                                               \
  do {                                                                         \
    CUresult r_ = (call);                                                      \
    if (r_ != 0) {                                                             \
      show(#call, r_);                                                         \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

enum { N = 256 };
static const void *image;
static Handle module, stream;
static CUdeviceptr a, b, out;
static int64_t n = N;
static void *params[4] = {&a, &b, &out, &n};

static Handle function(const char *name) {
  Handle f = NULL;
  OK(cuModuleGetFunction(&f, module, name));
  return f;
}

static void setUp(void) {
  int count = 0, device = -1;
  Handle context = NULL;
  OK(cuInit(0));
  OK(cuDeviceGetCount(&count));
  OK(cuDeviceGet(&device, 0));
  OK(cuDevicePrimaryCtxRetain(&context, device));
  OK(cuCtxSetCurrent(context));
  OK(cuModuleLoadData(&module, image));
  OK(cuStreamCreate(&stream, 1));
  float host[N];
  OK(cuMemAllocAsync(&a, sizeof host, stream));
  OK(cuMemAllocAsync(&b, sizeof host, stream));
  OK(cuMemAlloc_v2(&out, sizeof host));
  for (int i = 0; i < N; ++i)
    host[i] = (float)i;
  OK(cuMemcpyHtoD_v2(a, host, sizeof host));
  for (int i = 0; i < N; ++i)
    host[i] = 1000.0f * i;
  OK(cuMemcpyHtoD_v2(b, host, sizeof host));
}

static void tearDown(void) {
  SHOW(cuMemFreeAsync(a, stream));
  SHOW(cuMemFreeAsync(b, stream));
  SHOW(cuStreamDestroy_v2(stream));
  SHOW(cuMemFree_v2(out));
  SHOW(cuModuleUnload(module));
}

static CUresult launch(const char *name, unsigned grid, unsigned block) {
  return cuLaunchKernel(function(name), grid, 1, 1, block, 1, 1, 0, stream,
                        params, NULL);
}

/* Checks `out` against add's result for blocks of `block` threads. */
static void checkAdd(const char *what, unsigned block) {
  float host[N];
  OK(cuMemcpyDtoH_v2(host, out, sizeof host));
  int wrong = 0, nan = 0;
  for (int i = 0; i < N; ++i) {
    int j = i / block * block + (i % block + 1) % block;
    if (isnan(host[i]))
      ++nan;
    else if (host[i] != 1001.0f * j)
      ++wrong;
  }
  printf("%s: %d wrong, %d NaN, out[0] = %g, out[%d] = %g\n", what, wrong, nan,
         host[0], N - 1, host[N - 1]);
}

static int scenario(const char *name) {
  if (!strcmp(name, "add")) {
    setUp();
    SHOW(launch("add", N / 64, 64));
    SHOW(cuStreamSynchronize(stream));
    checkAdd("add 64", 64);
    /* Larger blocks, and a grid that the barrier must keep apart. */
    SHOW(launch("add", 1, N));
    Handle event = NULL;
    OK(cuEventCreate(&event, 2));
    OK(cuEventRecord(event, stream));
    SHOW(cuEventSynchronize(event));
    checkAdd("add 256", N);
    OK(cuEventDestroy_v2(event));
    tearDown();
    return 0;
  }
  if (!strcmp(name, "stale")) {
    setUp();
    SHOW(launch("add", N / 64, 64));
    checkAdd("before sync", 64);
    SHOW(cuStreamSynchronize(stream));
    checkAdd("after sync", 64);
    tearDown();
    return 0;
  }
  if (!strcmp(name, "streams")) {
    /* A memset on one stream, a copy that waits for it on another: only
     * the second stream is synchronized. */
    setUp();
    Handle other = NULL, event = NULL;
    OK(cuStreamCreate(&other, 1));
    OK(cuEventCreate(&event, 2));
    SHOW(cuMemsetD32Async(a, 0x40400000u /* 3.0f */, N, stream));
    OK(cuEventRecord(event, stream));
    SHOW(cuStreamWaitEvent(other, event, 0));
    SHOW(cuMemcpyAsync(out, a, N * sizeof(float), other));
    SHOW(cuStreamSynchronize(other));
    float host[N];
    OK(cuMemcpyDtoH_v2(host, out, sizeof host));
    printf("copied after the wait: out[0] = %g, out[%d] = %g\n", host[0], N - 1,
           host[N - 1]);
    /* A queued free waits for the work queued before it. */
    CUdeviceptr temp = 0;
    OK(cuMemAllocAsync(&temp, N * sizeof(float), other));
    SHOW(cuMemsetD32Async(temp, 0x40a00000u /* 5.0f */, N, other));
    SHOW(cuMemcpyAsync(out, temp, N * sizeof(float), other));
    SHOW(cuMemFreeAsync(temp, other));
    SHOW(cuMemFreeAsync(temp, other));
    SHOW(cuStreamSynchronize(other));
    OK(cuMemcpyDtoH_v2(host, out, sizeof host));
    printf("copied before the free: out[0] = %g, out[%d] = %g\n", host[0],
           N - 1, host[N - 1]);
    SHOW(cuMemsetD16Async(out + 4, 0x4248, 2, other));
    SHOW(cuStreamSynchronize(other));
    uint32_t words[3];
    OK(cuMemcpyDtoH_v2(words, out, sizeof words));
    printf("after a 16-bit memset: 0x%08x 0x%08x 0x%08x\n", words[0], words[1],
           words[2]);
    SHOW(cuStreamDestroy_v2(other));
    OK(cuEventDestroy_v2(event));
    tearDown();
    return 0;
  }
  if (!strcmp(name, "tag")) {
    setUp();
    printf("device pointer tag: 0x%04llx\n", out >> 48);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
      volatile float *p = (volatile float *)(uintptr_t)out;
      printf("host read: %g\n", *p);
      _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status))
      printf("host dereference: killed by signal %d (%s)\n", WTERMSIG(status),
             WTERMSIG(status) == SIGSEGV ? "SIGSEGV" : "other");
    else
      printf("host dereference: exited with %d\n", WEXITSTATUS(status));
    tearDown();
    return 0;
  }
  if (!strcmp(name, "divergent") || !strcmp(name, "early-exit")) {
    setUp();
    Handle add = function("add");
    SHOW(
        launch(!strcmp(name, "divergent") ? "divergent" : "early_exit", 2, 64));
    SHOW(cuStreamSynchronize(stream));
    /* Sticky, as a real context after a launch failure. */
    SHOW(cuStreamSynchronize(stream));
    CUdeviceptr more = 0;
    SHOW(cuMemAlloc_v2(&more, 16));
    SHOW(cuLaunchKernel(add, 1, 1, 1, 64, 1, 1, 0, stream, params, NULL));
    tearDown();
    return 0;
  }
  if (!strcmp(name, "late-barrier")) {
    setUp();
    SHOW(launch("late_barrier", 1, 8));
    SHOW(cuStreamSynchronize(stream));
    tearDown();
    return 0;
  }
  if (!strcmp(name, "dropped")) {
    setUp();
    SHOW(launch("dropped", N / 64, 64));
    SHOW(cuStreamSynchronize(stream));
    checkAdd("dropped barrier", 64);
    tearDown();
    return 0;
  }
  if (!strcmp(name, "oob") || !strcmp(name, "oob-write") ||
      !strcmp(name, "underflow")) {
    const char *kernel = !strcmp(name, "oob")         ? "oob"
                         : !strcmp(name, "oob-write") ? "oob_write"
                                                      : "underflow";
    setUp();
    SHOW(launch(kernel, N / 64, 64));
    SHOW(cuStreamSynchronize(stream));
    tearDown();
    return 0;
  }
  if (!strcmp(name, "limits")) {
    setUp();
    Handle add = function("add");
    SHOW(cuLaunchKernel(add, 1, 65536, 1, 64, 1, 1, 0, stream, params, NULL));
    SHOW(cuLaunchKernel(add, 1, 1, 65536, 64, 1, 1, 0, stream, params, NULL));
    SHOW(cuLaunchKernel(add, 1, 1, 1, 1025, 1, 1, 0, stream, params, NULL));
    SHOW(cuLaunchKernel(add, 1, 1, 1, 32, 32, 2, 0, stream, params, NULL));
    SHOW(cuLaunchKernel(add, 1, 1, 1, 1, 1, 65, 0, stream, params, NULL));
    SHOW(cuLaunchKernel(add, 0, 1, 1, 64, 1, 1, 0, stream, params, NULL));
    SHOW(cuLaunchKernel(function("fixed64"), 8, 1, 1, 32, 1, 1, 0, stream,
                        params, NULL));
    /* add has 4096 bytes of static shared memory. */
    SHOW(cuLaunchKernel(add, 1, 1, 1, 64, 1, 1, 45 * 1024, stream, params,
                        NULL));
    void *extra[1] = {NULL};
    SHOW(cuLaunchKernel(add, 1, 1, 1, 64, 1, 1, 0, stream, params, extra));
    /* At the limits, and not sticky. */
    SHOW(cuLaunchKernel(add, 1, 1, 1, 1024, 1, 1, 44 * 1024, stream, params,
                        NULL));
    SHOW(cuLaunchKernel(function("fixed64"), N / 64, 1, 1, 64, 1, 1, 0, stream,
                        params, NULL));
    SHOW(cuStreamSynchronize(stream));
    tearDown();
    return 0;
  }
  if (!strcmp(name, "arguments")) {
    /* The driver copies the argument values at launch time. */
    setUp();
    CUdeviceptr saved = out;
    SHOW(launch("add", N / 64, 64));
    out = 0x1234;
    n = -1;
    SHOW(cuStreamSynchronize(stream));
    out = saved;
    n = N;
    checkAdd("arguments copied at launch", 64);
    tearDown();
    return 0;
  }
  if (!strcmp(name, "invalid")) {
    int count = 0;
    Handle f = NULL;
    SHOW(cuDeviceGetCount(&count));
    int version = 0;
    SHOW(cuDriverGetVersion(&version));
    printf("driver version %d\n", version);
    setUp();
    SHOW(cuModuleGetFunction(&f, module, "missing"));
    SHOW(cuModuleGetFunction(&f, module, "notable"));
    SHOW(cuModuleGetFunction(&f, module, "version2"));
    float host[N];
    SHOW(cuMemcpyDtoH_v2(host, out + 4, sizeof host));
    SHOW(cuMemcpyDtoH_v2(host, out, sizeof host));
    SHOW(cuMemcpyHtoD_v2(out + 1024, host, 4));
    SHOW(cuMemcpyAsync(out, a + 8, N * sizeof(float), stream));
    SHOW(cuMemFree_v2(out + 4));
    SHOW(cuMemFree_v2(0x1000));
    CUdeviceptr gone = 0;
    OK(cuMemAlloc_v2(&gone, 64));
    SHOW(cuMemFree_v2(gone));
    SHOW(cuMemFree_v2(gone));
    SHOW(cuMemcpyHtoD_v2(gone, host, 4));
    SHOW(cuMemsetD32Async(out + 2, 0, 4, stream));
    SHOW(cuMemAlloc_v2(&gone, 0));
    /* Freed while a copy that uses it is queued: an illegal address at the
     * synchronization. */
    CUdeviceptr temp = 0;
    OK(cuMemAllocAsync(&temp, N * sizeof(float), stream));
    SHOW(cuMemcpyAsync(out, temp, N * sizeof(float), stream));
    Handle other = NULL;
    OK(cuStreamCreate(&other, 1));
    SHOW(cuMemFreeAsync(temp, other));
    SHOW(cuStreamSynchronize(other));
    SHOW(cuStreamSynchronize(stream));
    SHOW(cuStreamDestroy_v2(other));
    tearDown();
    return 0;
  }
  if (!strcmp(name, "freed-argument")) {
    /* `a` is freed on another stream before the launch that reads it. */
    setUp();
    Handle other = NULL;
    OK(cuStreamCreate(&other, 1));
    SHOW(launch("add", N / 64, 64));
    SHOW(cuMemFreeAsync(a, other));
    SHOW(cuStreamSynchronize(other));
    SHOW(cuStreamSynchronize(stream));
    SHOW(cuStreamDestroy_v2(other));
    SHOW(cuMemFreeAsync(b, stream));
    SHOW(cuStreamDestroy_v2(stream));
    SHOW(cuMemFree_v2(out));
    return 0;
  }
  if (!strcmp(name, "shared-oob")) {
    setUp();
    SHOW(launch("shared_oob", 1, 1));
    SHOW(cuStreamSynchronize(stream));
    tearDown();
    return 0;
  }
  if (!strcmp(name, "handles")) {
    /* Stale and foreign handles are errors, not crashes. */
    setUp();
    Handle gone = NULL, event = NULL, f = NULL;
    static char junk[256];
    OK(cuStreamCreate(&gone, 1));
    OK(cuStreamDestroy_v2(gone));
    SHOW(cuStreamSynchronize(gone));
    SHOW(cuStreamDestroy_v2(gone));
    SHOW(cuLaunchKernel(function("add"), 1, 1, 1, 64, 1, 1, 0, gone, params,
                        NULL));
    SHOW(cuLaunchKernel((Handle)junk, 1, 1, 1, 64, 1, 1, 0, stream, params,
                        NULL));
    SHOW(cuEventSynchronize((Handle)junk));
    SHOW(cuEventRecord((Handle)junk, stream));
    OK(cuEventCreate(&event, 2));
    SHOW(cuStreamWaitEvent((Handle)junk, event, 0));
    SHOW(cuModuleGetFunction(&f, (Handle)junk, "add"));
    SHOW(cuMemAllocAsync(&a, 16, (Handle)junk));
    OK(cuEventDestroy_v2(event));
    SHOW(cuEventDestroy_v2(event));
    /* An event never recorded is complete. */
    OK(cuEventCreate(&event, 2));
    SHOW(cuEventSynchronize(event));
    OK(cuEventDestroy_v2(event));
    tearDown();
    return 0;
  }
  if (!strcmp(name, "strings")) {
    static const int codes[] = {0,   1,   2,   3,   100, 200,  201,
                                400, 500, 700, 719, 999, 12345};
    for (unsigned i = 0; i < sizeof codes / sizeof *codes; ++i) {
      const char *text = NULL;
      CUresult r = cuGetErrorString(codes[i], &text);
      printf("%d: %s (%d)\n", codes[i], text ? text : "(null)", r);
    }
    return 0;
  }
  if (!strcmp(name, "uninitialized")) {
    int count = 0;
    SHOW(cuDeviceGetCount(&count));
    CUdeviceptr p = 0;
    SHOW(cuMemAlloc_v2(&p, 16));
    return 0;
  }
  if (!strcmp(name, "load")) {
    OK(cuInit(0));
    SHOW(cuModuleLoadData(&module, image));
    return 0;
  }
  if (!strcmp(name, "alloc")) {
    /* For fault injection: five allocations of every kind, all freed. */
    OK(cuInit(0));
    OK(cuStreamCreate(&stream, 1));
    Handle pool = NULL;
    OK(cuDeviceGetDefaultMemPool(&pool, 0));
    uint64_t threshold = 1 << 20;
    SHOW(cuMemPoolSetAttribute(pool, 4, &threshold));
    CUdeviceptr p[5] = {0};
    SHOW(cuMemAlloc_v2(&p[0], 100));
    SHOW(cuMemAllocAsync(&p[1], 200, stream));
    SHOW(cuMemAllocFromPoolAsync(&p[2], 300, pool, stream));
    SHOW(cuMemAllocAsync(&p[3], 400, stream));
    SHOW(cuMemAlloc_v2(&p[4], 500));
    uint64_t used = 0;
    SHOW(cuMemPoolGetAttribute(pool, 7, &used));
    printf("pool in use: %llu bytes\n", (unsigned long long)used);
    for (int i = 0; i < 5; ++i)
      if (p[i])
        SHOW(cuMemFreeAsync(p[i], stream));
    SHOW(cuStreamSynchronize(stream));
    SHOW(cuMemPoolGetAttribute(pool, 7, &used));
    printf("pool in use: %llu bytes\n", (unsigned long long)used);
    SHOW(cuStreamDestroy_v2(stream));
    return 0;
  }
  if (!strcmp(name, "leak")) {
    /* Leaves an allocation and queued work behind: the statistics say so. */
    setUp();
    SHOW(launch("add", N / 64, 64));
    return 0;
  }
  printf("unknown scenario %s\n", name);
  return 2;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: emu_host IMAGE-LIBRARY SCENARIO\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!driver || !library) {
    printf("cannot load: %s\n", dlerror());
    return 2;
  }
  image = dlsym(library, "emu_test_cubin");
  BIND(cuGetErrorString);
  BIND(cuInit);
  BIND(cuDriverGetVersion);
  BIND(cuDeviceGetCount);
  BIND(cuDeviceGet);
  BIND(cuDevicePrimaryCtxRetain);
  BIND(cuCtxSetCurrent);
  BIND(cuModuleLoadData);
  BIND(cuModuleUnload);
  BIND(cuModuleGetFunction);
  BIND(cuLaunchKernel);
  BIND(cuStreamCreate);
  BIND(cuStreamSynchronize);
  BIND(cuStreamDestroy_v2);
  BIND(cuStreamWaitEvent);
  BIND(cuEventCreate);
  BIND(cuEventRecord);
  BIND(cuEventSynchronize);
  BIND(cuEventDestroy_v2);
  BIND(cuMemAllocAsync);
  BIND(cuMemFreeAsync);
  BIND(cuMemcpyAsync);
  BIND(cuMemsetD32Async);
  BIND(cuMemsetD16Async);
  BIND(cuMemAlloc_v2);
  BIND(cuMemFree_v2);
  BIND(cuMemcpyHtoD_v2);
  BIND(cuMemcpyDtoH_v2);
  BIND(cuDeviceGetDefaultMemPool);
  BIND(cuMemPoolSetAttribute);
  BIND(cuMemPoolGetAttribute);
  BIND(cuMemAllocFromPoolAsync);
  return scenario(argv[2]);
}

#endif
