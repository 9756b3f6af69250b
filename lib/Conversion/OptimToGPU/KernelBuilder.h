//===- KernelBuilder.h - arithmetic inside GPU kernel bodies ----*- C++ -*-===//
//
// Private to the optim → GPU conversion: the builder every kernel emitter
// writes its body with, and the launch geometry the emitters and the host
// patterns share.
//
//===----------------------------------------------------------------------===//

#ifndef OPTGRAPH_LIB_CONVERSION_OPTIMTOGPU_KERNELBUILDER_H
#define OPTGRAPH_LIB_CONVERSION_OPTIMTOGPU_KERNELBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace optgraph::gpukernels {

constexpr int64_t kTile = 64;        // output tile edge of the matmuls
constexpr int64_t kTileK = 16;       // reduction slice staged in shared memory
constexpr int64_t kTileThreads = 16; // 16×16 threads, 4×4 outputs each
constexpr int64_t kMicro = kTile / kTileThreads;
constexpr int64_t kElementwiseBlock = 256;
constexpr int64_t kTopKBlock = 1024;
/// The top-k gives each thread at most 32 basis vectors (one 32-bit mask),
/// and the basis phase k·(2j+1) mod 4N must fit 32 bits.
constexpr int64_t kMaxBasisSize = 32 * kTopKBlock;

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Arithmetic on index, integer and f32 values inside a kernel body, and the
/// GPU, memref and scf ops kernels are made of. Integer division, remainder,
/// minimum and comparison are unsigned: kernel indices are never negative.
struct KernelBuilder : mlir::ArithBuilder {
  KernelBuilder(mlir::OpBuilder &b, mlir::Location loc)
      : ArithBuilder(b, loc), b(b), loc(loc) {}

  // ArithBuilder keeps its own builder and location private.
  mlir::OpBuilder &b;
  mlir::Location loc;

  mlir::Value index(int64_t v) {
    return mlir::arith::ConstantIndexOp::create(b, loc, v);
  }
  mlir::Value f32(double v) {
    return mlir::arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  mlir::Value i32(int64_t v) {
    return mlir::arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  }
  mlir::Value udiv(mlir::Value x, mlir::Value y) {
    return mlir::arith::DivUIOp::create(b, loc, x, y);
  }
  mlir::Value urem(mlir::Value x, mlir::Value y) {
    return mlir::arith::RemUIOp::create(b, loc, x, y);
  }
  mlir::Value umin(mlir::Value x, mlir::Value y) {
    return mlir::arith::MinUIOp::create(b, loc, x, y);
  }
  mlir::Value fma(mlir::Value x, mlir::Value y, mlir::Value z) {
    return mlir::math::FmaOp::create(b, loc, x, y, z);
  }
  mlir::Value cmpi(mlir::arith::CmpIPredicate predicate, mlir::Value x,
                   mlir::Value y) {
    return mlir::arith::CmpIOp::create(b, loc, predicate, x, y);
  }
  mlir::Value ult(mlir::Value x, mlir::Value y) {
    return cmpi(mlir::arith::CmpIPredicate::ult, x, y);
  }
  mlir::Value eq(mlir::Value x, mlir::Value y) {
    return cmpi(mlir::arith::CmpIPredicate::eq, x, y);
  }
  mlir::Value load(mlir::Value memref, mlir::ValueRange indices) {
    return mlir::memref::LoadOp::create(b, loc, memref, indices);
  }
  void store(mlir::Value value, mlir::Value memref, mlir::ValueRange indices) {
    mlir::memref::StoreOp::create(b, loc, value, memref, indices);
  }
  /// An i64 index element as an `index`.
  mlir::Value loadIndex(mlir::Value memref, mlir::Value position) {
    return mlir::arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                            load(memref, position));
  }
  mlir::Value threadId(mlir::gpu::Dimension d) {
    return mlir::gpu::ThreadIdOp::create(b, loc, d);
  }
  mlir::Value blockId(mlir::gpu::Dimension d) {
    return mlir::gpu::BlockIdOp::create(b, loc, d);
  }
  void barrier() { mlir::gpu::BarrierOp::create(b, loc); }
  /// IEEE sqrt. Kept portable (the emulator runs it on the host); the CUDA
  /// pipeline makes it sqrt.rn.f32 with `optgraph-nvvm-ieee-sqrt`.
  mlir::Value sqrt(mlir::Value x) {
    return mlir::math::SqrtOp::create(b, loc, x);
  }

  void ifThen(mlir::Value condition, llvm::function_ref<void()> body) {
    auto ifOp =
        mlir::scf::IfOp::create(b, loc, condition, /*withElseRegion=*/false);
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    body();
  }

  /// The body of a loop: from the induction variable and the carried values,
  /// the values carried on.
  using LoopBody = llvm::function_ref<llvm::SmallVector<mlir::Value>(
      mlir::Value, mlir::ValueRange)>;

  /// for iv in [lower, upper) step `step`, carrying `inits`; returns the
  /// final carried values.
  mlir::ValueRange forLoop(int64_t lower, int64_t upper, int64_t step,
                           mlir::ValueRange inits, LoopBody body) {
    return forLoop(index(lower), index(upper), index(step), inits, body);
  }
  mlir::ValueRange forLoop(mlir::Value lower, mlir::Value upper,
                           mlir::Value step, mlir::ValueRange inits,
                           LoopBody body) {
    auto loop = mlir::scf::ForOp::create(
        b, loc, lower, upper, step, inits,
        [&](mlir::OpBuilder &, mlir::Location, mlir::Value iv,
            mlir::ValueRange args) {
          mlir::scf::YieldOp::create(b, loc, body(iv, args));
        });
    return loop.getResults();
  }
  /// The f32 sum over i in [0, count) of `term(i)`, added in order.
  mlir::Value sumLoop(int64_t count,
                      llvm::function_ref<mlir::Value(mlir::Value)> term) {
    return forLoop(0, count, 1, mlir::ValueRange{f32(0.0)},
                   [&](mlir::Value i, mlir::ValueRange sum) {
                     return llvm::SmallVector<mlir::Value>{
                         add(sum[0], term(i))};
                   })[0];
  }
};

} // namespace optgraph::gpukernels

#endif // OPTGRAPH_LIB_CONVERSION_OPTIMTOGPU_KERNELBUILDER_H
