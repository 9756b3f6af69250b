//===- Execution.cpp - run a kernel's blocks on the host ------------------===//
//
// Blocks run one after another. The threads of a block run as fibers (the
// default: deterministic, and on x86-64 a switch is a few instructions with
// no system call, where glibc's swapcontext makes a sigprocmask call) or,
// with OPTGRAPH_CUDA_EMU_THREADS=1, as one OS thread each, which
// ThreadSanitizer can follow. Either way every gpu.barrier is checked as a
// GPU does not: all threads of a block wait at the same site, none exits
// while others wait, and all pass equally many barriers.
//
// Device memory ends at a guard page (CudaEmulator.cpp), so a kernel's
// out-of-bounds access faults. While a kernel runs, a SIGSEGV or SIGBUS
// handler (on an alternate stack: the fault may be on a full fiber stack)
// jumps back to where the faulting GPU thread started, on its own stack,
// which ends that thread; the block's other threads run to their end, as
// after a barrier fault, and the launch fails with an illegal address.
//
//===----------------------------------------------------------------------===//

#include "Emulator.h"

#include <atomic>
#include <condition_variable>
#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

using namespace optgraph::cudaemu;

//===----------------------------------------------------------------------===//
// Fibers
//===----------------------------------------------------------------------===//

namespace {

constexpr size_t kFiberStackBytes = 256 * 1024;
constexpr size_t kThreadStackBytes = 512 * 1024;
constexpr size_t kMaxThreadsPerBlock = 1024;

using FiberEntry = void (*)(void *);

#if defined(__x86_64__)

// optgraph_emu_switch(save, next): saves the callee-saved registers, MXCSR
// and the x87 control word on the current stack, stores the stack pointer
// in *save and resumes the fiber whose stack pointer is `next`. A new
// fiber's stack is prepared to "return" into optgraph_emu_fiber_start,
// which calls r13(r12).
asm(R"(
  .pushsection .text
  .p2align 4
  .globl optgraph_emu_switch
  .hidden optgraph_emu_switch
  .type optgraph_emu_switch, @function
optgraph_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size optgraph_emu_switch, .-optgraph_emu_switch

  .p2align 4
  .globl optgraph_emu_fiber_start
  .hidden optgraph_emu_fiber_start
  .type optgraph_emu_fiber_start, @function
optgraph_emu_fiber_start:
  movq %r12, %rdi
  callq *%r13
  ud2
  .size optgraph_emu_fiber_start, .-optgraph_emu_fiber_start
  .popsection
)");

extern "C" void optgraph_emu_switch(void **save, void *next);
extern "C" void optgraph_emu_fiber_start();

struct Fiber {
  void *sp = nullptr;
};

void prepareFiber(Fiber &fiber, char *stackBase, size_t stackBytes,
                  FiberEntry entry, void *arg) {
  uint32_t mxcsr;
  uint16_t fpcw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpcw));
  // The frame optgraph_emu_switch pops: FP state, r15, r14, r13, r12, rbx,
  // rbp (0 ends frame-pointer unwinding), return address. After the `ret`
  // the stack pointer is 16-byte aligned, as before a call.
  auto *frame = reinterpret_cast<uint64_t *>(stackBase + stackBytes - 80);
  frame[0] = mxcsr | uint64_t(fpcw) << 32;
  frame[1] = 0;
  frame[2] = 0;
  frame[3] = reinterpret_cast<uint64_t>(entry);
  frame[4] = reinterpret_cast<uint64_t>(arg);
  frame[5] = 0;
  frame[6] = 0;
  frame[7] = reinterpret_cast<uint64_t>(&optgraph_emu_fiber_start);
  fiber.sp = frame;
}

void switchFiber(Fiber &from, Fiber &to) {
  optgraph_emu_switch(&from.sp, to.sp);
}

#else // ucontext elsewhere: slower (a system call per switch), portable.

struct Fiber {
  ucontext_t context;
};

void fiberTrampoline(unsigned high, unsigned low, unsigned entryHigh,
                     unsigned entryLow) {
  auto entry =
      reinterpret_cast<FiberEntry>(uintptr_t(entryHigh) << 32 | entryLow);
  entry(reinterpret_cast<void *>(uintptr_t(high) << 32 | low));
  std::abort();
}

void prepareFiber(Fiber &fiber, char *stackBase, size_t stackBytes,
                  FiberEntry entry, void *arg) {
  getcontext(&fiber.context);
  fiber.context.uc_stack.ss_sp = stackBase;
  fiber.context.uc_stack.ss_size = stackBytes;
  fiber.context.uc_link = nullptr;
  auto a = uint64_t(uintptr_t(arg));
  auto e = uint64_t(uintptr_t(entry));
  makecontext(&fiber.context, reinterpret_cast<void (*)()>(fiberTrampoline), 4,
              unsigned(a >> 32), unsigned(a), unsigned(e >> 32), unsigned(e));
}

void switchFiber(Fiber &from, Fiber &to) {
  swapcontext(&from.context, &to.context);
}

#endif

/// Fiber stacks, mapped once with a guard page below each and reused by
/// every block (launches run one at a time, under the driver's lock).
struct StackPool {
  std::vector<char *> stacks;

  /// False if the memory cannot be mapped.
  bool reserve(size_t count) {
    size_t page = size_t(sysconf(_SC_PAGESIZE));
    while (stacks.size() < count) {
      void *map = mmap(nullptr, kFiberStackBytes + page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (map == MAP_FAILED)
        return false;
      // Overflowing a stack faults instead of corrupting the next one.
      mprotect(map, page, PROT_NONE);
      stacks.push_back(static_cast<char *>(map) + page);
    }
    return true;
  }
};

StackPool &stackPool() {
  static StackPool *pool = new StackPool; // lives until exit
  return *pool;
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

struct Block;

struct GpuThread {
  OptgraphEmuThread context; // first: the kernel hands it back to barrier
  Block *block = nullptr;
  sigjmp_buf start;      // where a fault of this thread lands
  uintptr_t illegal = 0; // the address it faulted at
  int64_t barriers = 0;
  int32_t site = -1; // the barrier it waits at (fibers)
  bool exited = false;
  Fiber fiber;
  pthread_t os{};
};

struct Block {
  const Launch *launch = nullptr;
  void **params = nullptr;
  char *shared = nullptr;
  int32_t id[3] = {0, 0, 0};
  std::vector<GpuThread> threads;
  Fiber scheduler;

  // OS threads: a barrier releases when every live thread waits.
  std::mutex mutex;
  std::condition_variable released;
  size_t live = 0;
  size_t waiting = 0;
  int32_t waitSite = -1;
  const GpuThread *firstWaiter = nullptr;
  uint64_t generation = 0;

  std::atomic<bool> faulted{false};
  std::mutex faultMutex;
  DescribeAddress describe = nullptr; // catching faults (see the top)
  uintptr_t illegal = 0;              // the first illegal address
};

std::string name(const GpuThread &t) {
  return "thread (" + std::to_string(t.context.threadId[0]) + "," +
         std::to_string(t.context.threadId[1]) + "," +
         std::to_string(t.context.threadId[2]) + ")";
}

/// Records the block's first fault; later ones follow from it.
void fault(Block &b, const std::string &what, const char *separator = ": ") {
  std::lock_guard<std::mutex> lock(b.faultMutex);
  if (b.faulted)
    return;
  b.faulted = true;
  std::fprintf(stderr, "optgraph cuda-emu: kernel %s block (%d,%d,%d)%s%s\n",
               b.launch->kernel->name.c_str(), b.id[0], b.id[1], b.id[2],
               separator, what.c_str());
}

bool siteInRange(Block &b, const GpuThread &t, int32_t site) {
  int64_t sites = b.launch->kernel->info[kEmuInfoBarrierSites];
  if (site >= 0 && site < sites)
    return true;
  fault(b, name(t) + " calls barrier site " + std::to_string(site) +
               ", out of range (the kernel has " + std::to_string(sites) + ")");
  return false;
}

//===- illegal addresses --------------------------------------------------===//

/// The GPU thread running on this OS thread, while faults are caught.
thread_local GpuThread *running = nullptr;
struct sigaction previousSegv, previousBus;

void onFault(int signal, siginfo_t *info, void *) {
  GpuThread *t = running;
  if (!t) {
    // Not a kernel's: the fault recurs under the previous handling.
    sigaction(signal, signal == SIGBUS ? &previousBus : &previousSegv, nullptr);
    return;
  }
  t->illegal = uintptr_t(info->si_addr);
  siglongjmp(t->start, 1);
}

/// An alternate signal stack for this OS thread, while it lives.
class AltStack {
  stack_t old{};
  std::vector<char> memory;

public:
  AltStack() : memory(64 * 1024) {
    stack_t stack{};
    stack.ss_sp = memory.data();
    stack.ss_size = memory.size();
    sigaltstack(&stack, &old);
  }
  ~AltStack() { sigaltstack(&old, nullptr); }
};

/// The handler, while a kernel runs (launches run one at a time).
class FaultHandler {
  AltStack stack;

public:
  FaultHandler() {
    struct sigaction action {};
    action.sa_sigaction = onFault;
    // SA_NODEFER: the jump out of the handler leaves the signal unblocked,
    // so sigsetjmp need not save the mask (a system call per GPU thread).
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previousSegv);
    sigaction(SIGBUS, &action, &previousBus);
  }
  ~FaultHandler() {
    sigaction(SIGSEGV, &previousSegv, nullptr);
    sigaction(SIGBUS, &previousBus, nullptr);
  }
};

std::string hexAddress(uintptr_t address) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", (unsigned long long)address);
  return text;
}

void runThread(GpuThread &t) {
  Block &b = *t.block;
  if (!b.describe) {
    b.launch->kernel->entry(b.params, b.shared, &t.context);
    return;
  }
  // After an illegal address the block's threads yet to start do not.
  if (b.illegal)
    return;
  running = &t;
  if (sigsetjmp(t.start, 0) == 0) {
    b.launch->kernel->entry(b.params, b.shared, &t.context);
  } else {
    {
      std::lock_guard<std::mutex> lock(b.faultMutex);
      if (!b.illegal)
        b.illegal = t.illegal;
    }
    fault(b,
          name(t) + ": illegal address " + hexAddress(t.illegal) +
              b.describe(t.illegal),
          " ");
  }
  running = nullptr;
}

//===- fibers -------------------------------------------------------------===//

void fiberBarrier(OptgraphEmuThread *self, int32_t site) {
  auto *t = reinterpret_cast<GpuThread *>(self);
  Block &b = *t->block;
  ++t->barriers;
  // After a fault barriers no longer wait: the block runs to its end.
  if (!siteInRange(b, *t, site) || b.faulted)
    return;
  t->site = site;
  switchFiber(t->fiber, b.scheduler);
  t->site = -1;
}

void fiberMain(void *arg) {
  auto *t = static_cast<GpuThread *>(arg);
  runThread(*t);
  t->exited = true;
  switchFiber(t->fiber, t->block->scheduler);
  std::abort(); // an exited fiber is never resumed
}

/// Runs every thread up to its next barrier or its end, in rounds; between
/// rounds the waiting threads are checked and released together.
void runFibers(Block &b) {
  StackPool &pool = stackPool();
  if (!pool.reserve(b.threads.size())) {
    fault(b, "cannot map the fiber stacks");
    return;
  }
  for (size_t i = 0; i < b.threads.size(); ++i)
    prepareFiber(b.threads[i].fiber, pool.stacks[i], kFiberStackBytes,
                 fiberMain, &b.threads[i]);
  for (;;) {
    const GpuThread *first = nullptr, *other = nullptr, *exiter = nullptr;
    for (GpuThread &t : b.threads) {
      if (t.exited)
        continue;
      running = &t; // for a fault after a barrier (see runThread)
      switchFiber(b.scheduler, t.fiber);
      running = nullptr;
      if (t.exited) {
        if (!exiter)
          exiter = &t;
      } else if (!first) {
        first = &t;
      } else if (!other && t.site != first->site) {
        other = &t;
      }
    }
    if (!first)
      return;
    if (b.faulted)
      continue;
    if (other)
      fault(b, "threads wait at different barriers (sites " +
                   std::to_string(first->site) + " and " +
                   std::to_string(other->site) + ": " + name(*first) + " and " +
                   name(*other) + ")");
    else if (exiter)
      fault(b, name(*exiter) + " exits while " + name(*first) +
                   " waits at barrier site " + std::to_string(first->site));
  }
}

//===- OS threads ---------------------------------------------------------===//

/// Wakes every waiting thread (after a fault). Called with b.mutex held.
void releaseAll(Block &b) {
  if (b.waiting == 0)
    return;
  b.waiting = 0;
  ++b.generation;
  b.released.notify_all();
}

void threadBarrier(OptgraphEmuThread *self, int32_t site) {
  auto *t = reinterpret_cast<GpuThread *>(self);
  Block &b = *t->block;
  std::unique_lock<std::mutex> lock(b.mutex);
  ++t->barriers;
  if (!siteInRange(b, *t, site) || b.faulted) {
    releaseAll(b);
    return;
  }
  if (b.waiting == 0) {
    b.waitSite = site;
    b.firstWaiter = t;
  } else if (site != b.waitSite) {
    fault(b, "threads wait at different barriers (sites " +
                 std::to_string(b.waitSite) + " and " + std::to_string(site) +
                 ": " + name(*b.firstWaiter) + " and " + name(*t) + ")");
    releaseAll(b);
    return;
  }
  if (++b.waiting == b.live) {
    b.waiting = 0;
    ++b.generation;
    b.released.notify_all();
    return;
  }
  uint64_t generation = b.generation;
  b.released.wait(lock, [&] { return b.generation != generation; });
}

void threadExits(GpuThread &t) {
  Block &b = *t.block;
  std::lock_guard<std::mutex> lock(b.mutex);
  t.exited = true;
  --b.live;
  if (b.waiting == 0)
    return;
  // Threads that exit before the others reach the barrier are caught by the
  // barrier counts at the block's end.
  fault(b, name(t) + " exits while " + name(*b.firstWaiter) +
               " waits at barrier site " + std::to_string(b.waitSite));
  releaseAll(b);
}

void *threadMain(void *arg) {
  auto *t = static_cast<GpuThread *>(arg);
  if (t->block->describe) {
    AltStack stack;
    runThread(*t);
  } else {
    runThread(*t);
  }
  threadExits(*t);
  return nullptr;
}

void runThreads(Block &b) {
  b.live = b.threads.size();
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kThreadStackBytes);
  size_t started = 0;
  for (; started < b.threads.size(); ++started)
    if (pthread_create(&b.threads[started].os, &attr, threadMain,
                       &b.threads[started]) != 0)
      break;
  pthread_attr_destroy(&attr);
  if (started < b.threads.size()) {
    std::lock_guard<std::mutex> lock(b.mutex);
    b.live -= b.threads.size() - started;
    fault(b, "cannot start " + std::to_string(b.threads.size()) +
                 " OS threads (OPTGRAPH_CUDA_EMU_THREADS=1)");
    releaseAll(b);
  }
  for (size_t i = 0; i < started; ++i)
    pthread_join(b.threads[i].os, nullptr);
}

//===- no barriers --------------------------------------------------------===//

void noBarrier(OptgraphEmuThread *self, int32_t site) {
  auto *t = reinterpret_cast<GpuThread *>(self);
  ++t->barriers;
  siteInRange(*t->block, *t, site); // always out of range: a fault
}

/// A kernel without barriers: its threads cannot observe each other's
/// order, so they simply run one after another.
void runLoop(Block &b) {
  for (GpuThread &t : b.threads) {
    runThread(t);
    t.exited = true;
  }
}

} // namespace

KernelResult optgraph::cudaemu::runKernel(const Launch &launch, bool osThreads,
                                          DescribeAddress describe,
                                          ExecutionCounts &counts) {
  const int64_t *info = launch.kernel->info;
  std::vector<void *> params;
  params.reserve(launch.offsets.size());
  for (size_t offset : launch.offsets)
    params.push_back(const_cast<uint64_t *>(launch.values.data() + offset));
  size_t sharedBytes = size_t(info[kEmuInfoSharedBytes]) + launch.dynamicShared;
  // The exact size (at least 1 byte), so that ASan sees any overflow.
  size_t sharedAlloc = sharedBytes ? sharedBytes : 1;
  size_t perBlock = size_t(launch.block[0]) * launch.block[1] * launch.block[2];
  bool barriers = info[kEmuInfoBarrierSites] > 0;
  auto barrierFn = osThreads  ? threadBarrier
                   : barriers ? fiberBarrier
                              : noBarrier;
  if (perBlock > kMaxThreadsPerBlock)
    return KernelResult::BarrierFault; // cuLaunchKernel has rejected it
  std::unique_ptr<FaultHandler> handler;
  if (describe)
    handler = std::make_unique<FaultHandler>();

  for (unsigned z = 0; z < launch.grid[2]; ++z)
    for (unsigned y = 0; y < launch.grid[1]; ++y)
      for (unsigned x = 0; x < launch.grid[0]; ++x) {
        Block b;
        b.launch = &launch;
        b.params = params.data();
        b.describe = describe;
        b.id[0] = int32_t(x);
        b.id[1] = int32_t(y);
        b.id[2] = int32_t(z);
        // Fresh per block, and malloc'ed so that ASan sees overflows. 0xFF
        // bytes read as NaN, as uninitialized memory should not go unseen.
        void *shared = nullptr;
        if (posix_memalign(&shared, 16, sharedAlloc) != 0)
          shared = nullptr;
        b.shared = static_cast<char *>(shared);
        if (!b.shared) {
          std::fprintf(stderr,
                       "optgraph cuda-emu: kernel %s: cannot allocate %zu "
                       "bytes of shared memory\n",
                       launch.kernel->name.c_str(), sharedBytes);
          return KernelResult::BarrierFault;
        }
        std::memset(b.shared, 0xFF, sharedAlloc);
        b.threads.resize(perBlock);
        for (size_t i = 0; i < perBlock; ++i) {
          GpuThread &t = b.threads[i];
          t.block = &b;
          t.context.barrier = barrierFn;
          t.context.threadId[0] = int32_t(i % launch.block[0]);
          t.context.threadId[1] =
              int32_t(i / launch.block[0] % launch.block[1]);
          t.context.threadId[2] =
              int32_t(i / (size_t(launch.block[0]) * launch.block[1]));
          for (int d = 0; d < 3; ++d) {
            t.context.blockId[d] = b.id[d];
            t.context.blockDim[d] = int32_t(launch.block[d]);
            t.context.gridDim[d] = int32_t(launch.grid[d]);
          }
        }
        // OS threads even without barriers: ThreadSanitizer must see the
        // threads of a block run concurrently.
        if (osThreads)
          runThreads(b);
        else if (!barriers)
          runLoop(b);
        else
          runFibers(b);
        for (const GpuThread &t : b.threads)
          if (t.barriers != b.threads.front().barriers) {
            fault(b, "threads pass different numbers of barriers (" +
                         name(b.threads.front()) + ": " +
                         std::to_string(b.threads.front().barriers) + ", " +
                         name(t) + ": " + std::to_string(t.barriers) + ")");
            break;
          }
        std::free(b.shared);
        ++counts.blocks;
        counts.threads += perBlock;
        if (b.faulted)
          return b.illegal ? KernelResult::IllegalAddress
                           : KernelResult::BarrierFault;
      }
  return KernelResult::Done;
}
