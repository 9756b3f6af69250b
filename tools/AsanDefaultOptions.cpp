//===- AsanDefaultOptions.cpp - ASan defaults of the sanitized tools ------===//
//
// Linked into every tool of a build with OPTGRAPH_SANITIZERS containing
// "address" (scripts/fuzz.sh's build-fuzz/).
//
//===----------------------------------------------------------------------===//

/// ASan's defaults for optgraph's tools (ASAN_OPTIONS still overrides each key).
/// allow_user_poisoning=0: LLVM's headers poison a BumpPtrAllocator slab
/// when the *includer* is ASan-instrumented (LLVM_ADDRESS_SANITIZER_BUILD),
/// so the inline allocator code compiled into optgraph (e.g. an Optim
/// attribute's storage) poisons each slab it starts, while Debian's
/// uninstrumented libMLIR/libLLVM allocate later objects from the same slab
/// without unpoisoning them. Every read of those objects is then a false
/// "use-after-poison" (fuzz/regressions/asan-bump-slab-poison.mlir).
/// Heap redzones, use-after-free and UBSan are unaffected.
extern "C" __attribute__((used, visibility("default"))) const char *
__asan_default_options() {
  return "allow_user_poisoning=0";
}
