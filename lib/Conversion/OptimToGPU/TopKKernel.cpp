//===- TopKKernel.cpp - selection of the best-scoring basis vectors -------===//

#include "Kernels.h"
#include "optgraph/Conversion/StepFactors.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace optgraph;
using namespace optgraph::gpukernels;

/// One block: scores from the partials, then each score's rank (how many
/// beat it, a tie going to the smaller index), then the selected indices
/// written in ascending order through a block-wide prefix sum.
gpu::GPUFuncOp gpukernels::getOrCreateTopKKernel(KernelLibrary &library,
                                                 Location loc, int64_t blocks,
                                                 int64_t size, int64_t rank) {
  MLIRContext *ctx = loc.getContext();
  Type f32 = Float32Type::get(ctx), i64 = IntegerType::get(ctx, 64),
       i32 = IntegerType::get(ctx, 32);
  // Each thread owns a contiguous chunk of at most 32 basis vectors, so its
  // selections fit one 32-bit mask.
  int64_t chunk = ceilDiv(size, kTopKBlock);
  auto space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  SmallVector<Type> shared = {
      MemRefType::get({kTopKBlock}, i32, MemRefLayoutAttrInterface(), space)};
  SmallVector<Type> args = {MemRefType::get({blocks, size}, f32),
                            MemRefType::get({rank}, i64),
                            MemRefType::get({size}, f32)};
  std::string name = llvm::formatv("select_top{0}_{1}x{2}", rank, blocks, size);
  return library.getOrCreate(
      name, args, shared, {int32_t(kTopKBlock), 1, 1},
      [&](OpBuilder &b, gpu::GPUFuncOp kernel) {
        KernelBuilder kb(b, loc);
        Value partials = kernel.getArgument(0);
        Value indices = kernel.getArgument(1);
        Value scores = kernel.getArgument(2);
        Value counts = kernel.getWorkgroupAttributions()[0];
        Value tid = kb.threadId(gpu::Dimension::x);
        Value first = kb.mul(tid, kb.index(chunk));

        for (int64_t q = 0; q < chunk; ++q) {
          Value c = kb.add(first, kb.index(q));
          kb.ifThen(kb.ult(c, kb.index(size)), [&] {
            Value sum = kb.sumLoop(blocks, [&](Value p) {
              return kb.load(partials, {p, c});
            });
            kb.store(selectionScore(b, loc, sum), scores, {c});
          });
        }
        kb.barrier();

        Value mask = kb.i32(0), count = kb.i32(0);
        for (int64_t q = 0; q < chunk; ++q) {
          Value c = kb.umin(kb.add(first, kb.index(q)), kb.index(size - 1));
          Value own = kb.load(scores, {c});
          ValueRange beaten = kb.forLoop(
              0, size, 1, ValueRange{kb.i32(0)}, [&](Value j, ValueRange n) {
                Value other = kb.load(scores, {j});
                Value greater = kb.sgt(other, own);
                Value tie =
                    kb._and(arith::CmpFOp::create(
                                b, loc, arith::CmpFPredicate::OEQ, other, own),
                            kb.ult(j, c));
                Value beats = arith::OrIOp::create(b, loc, greater, tie);
                return SmallVector<Value>{
                    kb.add(n[0], arith::ExtUIOp::create(b, loc, i32, beats))};
              });
          Value isSelected =
              kb._and(kb.ult(kb.add(first, kb.index(q)), kb.index(size)),
                      kb.slt(beaten[0], kb.i32(rank)));
          Value bit = arith::ExtUIOp::create(b, loc, i32, isSelected);
          mask = arith::OrIOp::create(
              b, loc, mask, arith::ShLIOp::create(b, loc, bit, kb.i32(q)));
          count = kb.add(count, bit);
        }

        // Inclusive prefix sum of the counts (Hillis–Steele).
        kb.store(count, counts, {tid});
        kb.barrier();
        for (int64_t offset = 1; offset < kTopKBlock; offset *= 2) {
          Value hasLeft =
              kb.cmpi(arith::CmpIPredicate::uge, tid, kb.index(offset));
          Value left = kb.load(
              counts, {kb.select(hasLeft, kb.sub(tid, kb.index(offset)), tid)});
          Value addend = kb.select(hasLeft, left, kb.i32(0));
          kb.barrier();
          kb.store(kb.add(kb.load(counts, {tid}), addend), counts, {tid});
          kb.barrier();
        }
        Value position = kb.sub(kb.load(counts, {tid}), count);
        for (int64_t q = 0; q < chunk; ++q) {
          Value bit = kb._and(arith::ShRUIOp::create(b, loc, mask, kb.i32(q)),
                              kb.i32(1));
          Value isSelected = kb.eq(bit, kb.i32(1));
          Value inRange = kb.slt(position, kb.i32(rank));
          kb.ifThen(kb._and(isSelected, inRange), [&] {
            Value c = kb.add(first, kb.index(q));
            kb.store(
                arith::IndexCastOp::create(b, loc, i64, c), indices,
                {arith::IndexCastOp::create(b, loc, b.getIndexType(), position)
                     .getResult()});
          });
          position = kb.add(position, bit);
        }
      });
}
