/*===- emu_kernels.c - a hand-written emulation side-car ------------------===*\
|*                                                                            *|
|* What optgraph-gpu-to-host-emulation emits, written by hand in C against    *|
|* optgraph/Runtime/CudaEmulation.h, so that the emulated driver is tested    *|
|* on its own. Built as host.emu.so, the side-car of emu_host.c's host.so.   *|
|* Every kernel takes (float *a, float *b, float *out, int64_t n).           *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "optgraph/Runtime/CudaEmulation.h"

#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static int64_t globalId(const OptgraphEmuThread *t) {
  return (int64_t)t->blockId[0] * t->blockDim[0] + t->threadId[0];
}

/* out[i] = a[j] + b[j] where j is the next thread's element of the block,
 * exchanged through shared memory: wrong without the barrier. The index is
 * read again after the barrier, as a fiber switch must keep it. */
EXPORT void add__emu(void **params, char *shared, OptgraphEmuThread *t) {
  const float *a = *(float **)params[0], *b = *(float **)params[1];
  float *out = *(float **)params[2];
  int64_t n = *(int64_t *)params[3];
  float *tile = (float *)shared;
  int64_t i = globalId(t);
  tile[t->threadId[0]] = i < n ? a[i] + b[i] : 0.0f;
  t->barrier(t, 0);
  int next = (t->threadId[0] + 1) % t->blockDim[0];
  int64_t j = globalId(t);
  if (j < n)
    out[j] = tile[next];
}
EXPORT const int64_t add__emu_info[] = {
    kEmuInfoVersion, 0, 0, 0, 1, 4096, 4, 8, 8, 8, 8};

/* add without its barrier: a data race on `tile` (ThreadSanitizer sees it
 * in thread mode; fibers read the 0xFF fill, NaN). */
EXPORT void dropped__emu(void **params, char *shared, OptgraphEmuThread *t) {
  const float *a = *(float **)params[0], *b = *(float **)params[1];
  float *out = *(float **)params[2];
  int64_t n = *(int64_t *)params[3];
  float *tile = (float *)shared;
  int64_t i = globalId(t);
  tile[t->threadId[0]] = i < n ? a[i] + b[i] : 0.0f;
  int next = (t->threadId[0] + 1) % t->blockDim[0];
  if (i < n)
    out[i] = tile[next];
}
EXPORT const int64_t dropped__emu_info[] = {
    kEmuInfoVersion, 0, 0, 0, 0, 4096, 4, 8, 8, 8, 8};

/* A barrier under `if (threadIdx.x < 5)`: divergent. */
EXPORT void divergent__emu(void **params, char *shared, OptgraphEmuThread *t) {
  float *out = *(float **)params[2];
  if (t->threadId[0] < 5)
    t->barrier(t, 1);
  t->barrier(t, 0);
  out[globalId(t)] = 1.0f;
}
EXPORT const int64_t divergent__emu_info[] = {
    kEmuInfoVersion, 0, 0, 0, 2, 0, 4, 8, 8, 8, 8};

/* Thread 3 returns early; the others wait at a barrier. */
EXPORT void early_exit__emu(void **params, char *shared, OptgraphEmuThread *t) {
  if (t->threadId[0] == 3)
    return;
  t->barrier(t, 0);
}
EXPORT const int64_t early_exit__emu_info[] = {
    kEmuInfoVersion, 0, 0, 0, 1, 0, 4, 8, 8, 8, 8};

/* Thread 0 returns at once; as OS threads, the others reach the barrier
 * 20 ms after it has gone: only the barrier counts tell. */
static atomic_int gone;
EXPORT void late_barrier__emu(void **params, char *shared,
                              OptgraphEmuThread *t) {
  if (t->threadId[0] == 0) {
    atomic_store(&gone, 1);
    return;
  }
  while (!atomic_load(&gone))
    sched_yield();
  usleep(20000);
  t->barrier(t, 0);
}
EXPORT const int64_t late_barrier__emu_info[] = {
    kEmuInfoVersion, 0, 0, 0, 1, 0, 4, 8, 8, 8, 8};

/* Reads 100 elements past the end of `a` (the removed clamp). */
EXPORT void oob__emu(void **params, char *shared, OptgraphEmuThread *t) {
  const float *a = *(float **)params[0];
  float *out = *(float **)params[2];
  int64_t n = *(int64_t *)params[3];
  int64_t i = globalId(t);
  if (i < n)
    out[i] = a[i + 100];
}
EXPORT const int64_t oob__emu_info[] = {
    kEmuInfoVersion, 0, 0, 0, 0, 0, 4, 8, 8, 8, 8};

/* Writes 400 bytes past the end of out. */
EXPORT void oob_write__emu(void **params, char *shared, OptgraphEmuThread *t) {
  float *out = *(float **)params[2];
  int64_t n = *(int64_t *)params[3];
  int64_t i = globalId(t);
  if (i < n)
    out[i + 100] = 1;
}
EXPORT const int64_t oob_write__emu_info[] = {
    kEmuInfoVersion, 0, 0, 0, 0, 0, 4, 8, 8, 8, 8};

/* Thread 0 reads 4400 bytes before the start of a. */
EXPORT void underflow__emu(void **params, char *shared, OptgraphEmuThread *t) {
  const float *a = *(float **)params[0];
  float *out = *(float **)params[2];
  int64_t i = globalId(t);
  out[i] = a[i == 0 ? -1100 : i];
}
EXPORT const int64_t underflow__emu_info[] = {
    kEmuInfoVersion, 0, 0, 0, 0, 0, 4, 8, 8, 8, 8};

/* Writes one byte past its 100 bytes of shared memory. */
EXPORT void shared_oob__emu(void **params, char *shared, OptgraphEmuThread *t) {
  shared[100 + t->threadId[0]] = 1;
}
EXPORT const int64_t shared_oob__emu_info[] = {
    kEmuInfoVersion, 0, 0, 0, 0, 100, 4, 8, 8, 8, 8};

/* gpu.known_block_size = (64, 1, 1): out[i] = a[i]. */
EXPORT void fixed64__emu(void **params, char *shared, OptgraphEmuThread *t) {
  const float *a = *(float **)params[0];
  float *out = *(float **)params[2];
  int64_t i = globalId(t);
  if (i < *(int64_t *)params[3])
    out[i] = a[i];
}
EXPORT const int64_t fixed64__emu_info[] = {
    kEmuInfoVersion, 64, 1, 1, 0, 0, 4, 8, 8, 8, 8};

/* A table of another contract version. */
EXPORT void version2__emu(void **params, char *shared, OptgraphEmuThread *t) {}
EXPORT const int64_t version2__emu_info[] = {2, 0, 0, 0, 0, 0, 0};

/* Only the function, no table. */
EXPORT void notable__emu(void **params, char *shared, OptgraphEmuThread *t) {}
