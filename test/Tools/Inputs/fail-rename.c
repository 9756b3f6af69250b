/* LD_PRELOADed into optgraph-run, makes rename() fail as a failing disk
 * would, for destinations that end in $OPTGRAPH_TEST_FAIL_RENAME: the only
 * way to fail a run after some of its outputs are already in place
 * (test/Tools/optgraph-run-outputs.test). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int rename(const char *from, const char *to) {
  const char *suffix = getenv("OPTGRAPH_TEST_FAIL_RENAME");
  size_t n = suffix ? strlen(suffix) : 0, length = strlen(to);
  if (suffix && length >= n && strcmp(to + length - n, suffix) == 0) {
    errno = EIO;
    return -1;
  }
  int (*next)(const char *, const char *) =
      (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
  return next(from, to);
}
