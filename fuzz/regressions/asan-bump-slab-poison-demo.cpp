// The false positive of fuzz/regressions/asan-bump-slab-poison.mlir with
// nothing but LLVM; not built by CMake. See fuzz/regressions/README.md for
// the commands (use-after-poison by default, clean with
// ASAN_OPTIONS=allow_user_poisoning=0).
// Instrumented inline BumpPtrAllocator code starts (and poisons) a slab;
// uninstrumented libLLVM then allocates from the same slab without unpoisoning.
#include "llvm/Support/Allocator.h"
#include "llvm/Support/StringSaver.h"
#include <cstdio>
#include <cstring>
int main() {
  llvm::BumpPtrAllocator alloc;
  void *mine = alloc.Allocate(16, 8);          // inline, instrumented: StartNewSlab poisons 4096 bytes
  llvm::StringSaver saver(alloc);
  llvm::StringRef s = saver.save("a string saved by libLLVM"); // libLLVM's (uninstrumented) Allocate: no unpoison
  char buf[64];
  std::memcpy(buf, s.data(), s.size());        // a legitimate read of an allocated object
  std::printf("%p %.*s\n", mine, (int)s.size(), buf);
}
