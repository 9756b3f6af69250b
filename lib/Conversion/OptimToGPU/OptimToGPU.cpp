//===- OptimToGPU.cpp - lower fused optim ops to GPU kernels --------------===//
//
// Every fused op becomes one or two `optim.launch`es of kernels emitted into
// one `gpu.module`, shared by all launches of the same shape. Kernels are
// written against static shapes: bounds, tile counts and the basis size are
// constants, which keeps index arithmetic cheap and lets ptxas see it all.
//
//===----------------------------------------------------------------------===//

#include "optgraph/Conversion/OptimToGPU/OptimToGPU.h"
#include "optgraph/Conversion/StepFactors.h"
#include "optgraph/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace optgraph {
#define GEN_PASS_DEF_CONVERTOPTIMTOGPU
#include "optgraph/Conversion/Passes.h.inc"
} // namespace optgraph

using namespace mlir;
using namespace optgraph;
using namespace optgraph::optim;

//===----------------------------------------------------------------------===//
// Kernel library
//===----------------------------------------------------------------------===//

KernelLibrary::KernelLibrary(ModuleOp module) : module(module) {}

gpu::GPUModuleOp KernelLibrary::getModule() {
  if (gpuModule)
    return gpuModule;
  gpuModule = module.lookupSymbol<gpu::GPUModuleOp>(kModuleName);
  if (!gpuModule) {
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    gpuModule = gpu::GPUModuleOp::create(b, module.getLoc(), kModuleName);
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    b.getUnitAttr());
  }
  return gpuModule;
}

gpu::GPUFuncOp KernelLibrary::getOrCreate(
    StringRef name, TypeRange arguments, TypeRange workgroupBuffers,
    ArrayRef<int32_t> blockSize,
    function_ref<void(OpBuilder &, gpu::GPUFuncOp)> emitBody) {
  gpu::GPUModuleOp container = getModule();
  if (auto existing = container.lookupSymbol<gpu::GPUFuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockEnd(container.getBody());
  auto type = b.getFunctionType(arguments, {});
  auto kernel = gpu::GPUFuncOp::create(b, module.getLoc(), name, type,
                                       workgroupBuffers);
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  kernel.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr(blockSize));
  b.setInsertionPointToStart(&kernel.getBody().front());
  emitBody(b, kernel);
  gpu::ReturnOp::create(b, module.getLoc());
  return kernel;
}

SymbolRefAttr KernelLibrary::symbolOf(gpu::GPUFuncOp kernel) {
  return SymbolRefAttr::get(
      getModule().getSymNameAttr(),
      {FlatSymbolRefAttr::get(kernel.getNameAttr())});
}

Value KernelLibrary::cosineTable(OpBuilder &b, Location loc, int64_t size) {
  std::string name = "cos_table_" + std::to_string(size);
  auto type = MemRefType::get({4 * size}, b.getF32Type());
  gpu::GPUModuleOp container = getModule();
  if (!container.lookupSymbol(name)) {
    // cos(π·p/(2N)) for p in [0, 4N): every basis entry is one of these.
    SmallVector<float> values;
    values.reserve(4 * size);
    for (int64_t p = 0; p < 4 * size; ++p)
      values.push_back(float(std::cos(M_PI * double(p) / (2.0 * size))));
    auto tensorType = RankedTensorType::get({4 * size}, b.getF32Type());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(container.getBody());
    memref::GlobalOp::create(
        b, loc, name, b.getStringAttr("private"), type,
        DenseElementsAttr::get(tensorType, ArrayRef<float>(values)),
        /*constant=*/true, /*alignment=*/IntegerAttr());
  }
  return memref::GetGlobalOp::create(b, loc, type, name);
}

namespace {

//===----------------------------------------------------------------------===//
// Kernel-body builder
//===----------------------------------------------------------------------===//

constexpr int64_t kTile = 64;       // output tile edge of the matmuls
constexpr int64_t kTileK = 16;      // reduction slice staged in shared memory
constexpr int64_t kTileThreads = 16; // 16×16 threads, 4×4 outputs each
constexpr int64_t kMicro = kTile / kTileThreads;
constexpr int64_t kElementwiseBlock = 256;
constexpr int64_t kTopKBlock = 1024;
constexpr int64_t kMaxBasisSize = 32 * kTopKBlock;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Arithmetic on index, integer and f32 values inside a kernel body.
struct KernelBuilder {
  OpBuilder &b;
  Location loc;

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value i32(int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  }
  Value add(Value x, Value y) {
    if (isa<FloatType>(x.getType()))
      return arith::AddFOp::create(b, loc, x, y);
    return arith::AddIOp::create(b, loc, x, y);
  }
  Value sub(Value x, Value y) {
    if (isa<FloatType>(x.getType()))
      return arith::SubFOp::create(b, loc, x, y);
    return arith::SubIOp::create(b, loc, x, y);
  }
  Value mul(Value x, Value y) {
    if (isa<FloatType>(x.getType()))
      return arith::MulFOp::create(b, loc, x, y);
    return arith::MulIOp::create(b, loc, x, y);
  }
  Value div(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value rem(Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinUIOp::create(b, loc, x, y); }
  Value fma(Value x, Value y, Value z) {
    return math::FmaOp::create(b, loc, x, y, z);
  }
  Value ult(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value eq(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
  }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value load(Value memref, ValueRange indices) {
    return memref::LoadOp::create(b, loc, memref, indices);
  }
  void store(Value value, Value memref, ValueRange indices) {
    memref::StoreOp::create(b, loc, value, memref, indices);
  }
  /// An i64 index element as an `index`.
  Value loadIndex(Value memref, Value position) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                      load(memref, position));
  }
  Value threadId(gpu::Dimension d) { return gpu::ThreadIdOp::create(b, loc, d); }
  Value blockId(gpu::Dimension d) { return gpu::BlockIdOp::create(b, loc, d); }
  void barrier() { gpu::BarrierOp::create(b, loc); }
  /// IEEE sqrt (sqrt.rn.f32, as CUDA's default): the NVVM lowering maps
  /// math.sqrt and llvm.intr.sqrt to libdevice, whose __nv_sqrtf rounds
  /// approximately unless a reflect flag says otherwise.
  Value sqrt(Value x) {
    return LLVM::InlineAsmOp::create(
               b, loc, x.getType(), ValueRange{x},
               b.getStringAttr("sqrt.rn.f32 $0, $1;"), b.getStringAttr("=f,f"),
               UnitAttr(), UnitAttr(),
               LLVM::TailCallKindAttr::get(b.getContext(),
                                           LLVM::TailCallKind::None),
               LLVM::AsmDialectAttr(), ArrayAttr())
        .getResult(0);
  }

  void ifThen(Value condition, function_ref<void()> body) {
    auto ifOp = scf::IfOp::create(b, loc, condition, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    body();
  }

  /// for iv in [lower, upper) step `step`, carrying `inits`; returns the
  /// final carried values.
  ValueRange forLoop(int64_t lower, int64_t upper, int64_t step,
                     ValueRange inits,
                     function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return forLoop(index(lower), index(upper), index(step), inits, body);
  }
  ValueRange forLoop(Value lower, Value upper, Value step, ValueRange inits,
                     function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto loop = scf::ForOp::create(
        b, loc, lower, upper, step, inits,
        [&](OpBuilder &, Location, Value iv, ValueRange args) {
          scf::YieldOp::create(b, loc, body(iv, args));
        });
    return loop.getResults();
  }
};

//===----------------------------------------------------------------------===//
// The DCT basis inside kernels
//===----------------------------------------------------------------------===//

/// Q[row, col] of the size-N basis: a cosine of the integer phase
/// k·(2j+1) mod 4N looked up in the table of 4N cosines, times c_k·sqrt(2/N).
/// `dct3` is Q = D (k = row, j = col), `dct2` is Q = Dᵀ.
struct BasisReader {
  Value table;
  int64_t size;
  BasisKind kind;

  Value entry(KernelBuilder &kb, Value row, Value col) const {
    Value k = kind == BasisKind::dct3 ? row : col;
    Value j = kind == BasisKind::dct3 ? col : row;
    // N ≤ 32768 (checked by the pass): the phase fits in 32 bits.
    Type i32 = kb.b.getI32Type();
    Value k32 = arith::IndexCastUIOp::create(kb.b, kb.loc, i32, k);
    Value j32 = arith::IndexCastUIOp::create(kb.b, kb.loc, i32, j);
    Value odd = kb.add(kb.add(j32, j32), kb.i32(1));
    Value phase = kb.rem(kb.mul(k32, odd), kb.i32(4 * size));
    Value cosine = kb.load(
        table, arith::IndexCastUIOp::create(kb.b, kb.loc,
                                            kb.b.getIndexType(), phase)
                   .getResult());
    Value first = kb.eq(k32, kb.i32(0));
    Value norm = kb.select(first, kb.f32(std::sqrt(1.0 / size)),
                           kb.f32(std::sqrt(2.0 / size)));
    return kb.mul(cosine, norm);
  }
};

//===----------------------------------------------------------------------===//
// Tiled matmul with epilogues
//===----------------------------------------------------------------------===//

using ElementReader = std::function<Value(KernelBuilder &, Value, Value)>;

/// Scores of the full projection, reduced in the matmul's epilogue: the sum
/// of |s| (l1) or s² (l2) of each basis vector's slice over this block's
/// part of the other axis, written to partials[block][basis index].
struct ScoreEpilogue {
  bool perColumn; // right side: scores of the columns of S
  bool l1;
  unsigned partialsArg;
};

/// C = A·B (M×K by K×N) in 64×64 tiles per 16×16-thread block, staged
/// through shared memory in slices of 16 along K. `readA(i, k)` and
/// `readB(k, j)` are called with in-range indices only; `store(i, j, c)` for
/// each in-range output; the optional score epilogue reduces over the block.
struct TiledMatmul {
  int64_t m, n, k;
  ElementReader readA, readB;
  std::function<void(KernelBuilder &, Value, Value, Value)> store;
  std::optional<ScoreEpilogue> scores;

  SmallVector<int64_t, 3> grid() const {
    return {ceilDiv(n, kTile), ceilDiv(m, kTile), 1};
  }
  static SmallVector<int64_t, 3> block() {
    return {kTileThreads, kTileThreads, 1};
  }
  static SmallVector<int32_t, 3> block32() {
    return {int32_t(kTileThreads), int32_t(kTileThreads), 1};
  }
  /// Shared tiles: A transposed and padded to 65 columns (no bank conflicts
  /// on the transposed store), B as is.
  static SmallVector<Type> workgroupBuffers(MLIRContext *ctx) {
    auto space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    Type f32 = Float32Type::get(ctx);
    return {MemRefType::get({kTileK, kTile + 1}, f32, MemRefLayoutAttrInterface(),
                            space),
            MemRefType::get({kTileK, kTile}, f32, MemRefLayoutAttrInterface(),
                            space)};
  }

  void emit(KernelBuilder &kb, gpu::GPUFuncOp kernel) const {
    Value tileA = kernel.getWorkgroupAttributions()[0];
    Value tileB = kernel.getWorkgroupAttributions()[1];
    Value tx = kb.threadId(gpu::Dimension::x);
    Value ty = kb.threadId(gpu::Dimension::y);
    Value tid = kb.add(kb.mul(ty, kb.index(kTileThreads)), tx);
    Value row0 = kb.mul(kb.blockId(gpu::Dimension::y), kb.index(kTile));
    Value col0 = kb.mul(kb.blockId(gpu::Dimension::x), kb.index(kTile));
    Value zero = kb.f32(0.0);
    int64_t threads = kTileThreads * kTileThreads;

    // Reads element (r, c) of an R×C operand, zero outside.
    auto guardedRead = [&](const ElementReader &read, Value r, Value c,
                           int64_t rows, int64_t cols) {
      Value inside =
          kb.both(kb.ult(r, kb.index(rows)), kb.ult(c, kb.index(cols)));
      Value value = read(kb, kb.min(r, kb.index(rows - 1)),
                         kb.min(c, kb.index(cols - 1)));
      return kb.select(inside, value, zero);
    };

    SmallVector<Value> inits(kMicro * kMicro, zero);
    ValueRange acc = kb.forLoop(
        0, k, kTileK, inits, [&](Value k0, ValueRange acc) {
          for (int64_t q = 0; q < kTile * kTileK / threads; ++q) {
            Value e = kb.add(tid, kb.index(q * threads));
            // A: 16 consecutive k per row; stored transposed.
            Value ia = kb.div(e, kb.index(kTileK));
            Value ka = kb.rem(e, kb.index(kTileK));
            kb.store(guardedRead(readA, kb.add(row0, ia), kb.add(k0, ka), m, k),
                     tileA, {ka, ia});
            // B: 64 consecutive j per k.
            Value kbIndex = kb.div(e, kb.index(kTile));
            Value jb = kb.rem(e, kb.index(kTile));
            kb.store(guardedRead(readB, kb.add(k0, kbIndex), kb.add(col0, jb),
                                 k, n),
                     tileB, {kbIndex, jb});
          }
          kb.barrier();
          ValueRange inner = kb.forLoop(
              0, kTileK, 1, acc, [&](Value kk, ValueRange acc) {
                SmallVector<Value> a, bv, next;
                for (int64_t x = 0; x < kMicro; ++x)
                  a.push_back(kb.load(
                      tileA, {kk, kb.add(ty, kb.index(kTileThreads * x))}));
                for (int64_t y = 0; y < kMicro; ++y)
                  bv.push_back(kb.load(
                      tileB, {kk, kb.add(tx, kb.index(kTileThreads * y))}));
                for (int64_t x = 0; x < kMicro; ++x)
                  for (int64_t y = 0; y < kMicro; ++y)
                    next.push_back(kb.fma(a[x], bv[y], acc[x * kMicro + y]));
                return next;
              });
          kb.barrier();
          return SmallVector<Value>(inner);
        });

    SmallVector<Value> rows, cols, rowInside, colInside;
    for (int64_t x = 0; x < kMicro; ++x) {
      rows.push_back(kb.add(row0, kb.add(ty, kb.index(kTileThreads * x))));
      rowInside.push_back(kb.ult(rows.back(), kb.index(m)));
    }
    for (int64_t y = 0; y < kMicro; ++y) {
      cols.push_back(kb.add(col0, kb.add(tx, kb.index(kTileThreads * y))));
      colInside.push_back(kb.ult(cols.back(), kb.index(n)));
    }
    for (int64_t x = 0; x < kMicro; ++x)
      for (int64_t y = 0; y < kMicro; ++y)
        kb.ifThen(kb.both(rowInside[x], colInside[y]), [&] {
          store(kb, rows[x], cols[y], acc[x * kMicro + y]);
        });
    if (scores)
      emitScores(kb, kernel, acc, tx, ty, rowInside, colInside);
  }

  /// Per-thread partial sums of its 4 slices, then a fixed-order reduction
  /// over the 16 threads sharing each slice, through the A tile's memory.
  void emitScores(KernelBuilder &kb, gpu::GPUFuncOp kernel, ValueRange acc,
                  Value tx, Value ty, ArrayRef<Value> rowInside,
                  ArrayRef<Value> colInside) const {
    Value scratch = kernel.getWorkgroupAttributions()[0];
    Value partials = kernel.getArgument(scores->partialsArg);
    auto term = [&](Value v) -> Value {
      return scores->l1 ? math::AbsFOp::create(kb.b, kb.loc, v).getResult()
                        : kb.mul(v, v);
    };
    // Threads along the reduced axis (ty for columns, tx for rows) write
    // their partials into scratch[that thread][slice]; lane 0 adds them up.
    Value lane = scores->perColumn ? ty : tx;
    Value other = scores->perColumn ? tx : ty;
    ArrayRef<Value> inside = scores->perColumn ? rowInside : colInside;
    for (int64_t s = 0; s < kMicro; ++s) {
      Value sum = kb.f32(0.0);
      for (int64_t t = 0; t < kMicro; ++t) {
        int64_t x = scores->perColumn ? t : s, y = scores->perColumn ? s : t;
        sum = kb.add(sum, kb.select(inside[t], term(acc[x * kMicro + y]),
                                    kb.f32(0.0)));
      }
      kb.store(sum, scratch,
               {lane, kb.add(other, kb.index(kTileThreads * s))});
    }
    kb.barrier();
    Value base = kb.mul(kb.blockId(scores->perColumn ? gpu::Dimension::x
                                                     : gpu::Dimension::y),
                        kb.index(kTile));
    Value block = kb.blockId(scores->perColumn ? gpu::Dimension::y
                                               : gpu::Dimension::x);
    int64_t extent = scores->perColumn ? n : m;
    kb.ifThen(kb.eq(lane, kb.index(0)), [&] {
      for (int64_t s = 0; s < kMicro; ++s) {
        Value slot = kb.add(other, kb.index(kTileThreads * s));
        ValueRange total = kb.forLoop(
            0, kTileThreads, 1, ValueRange{kb.f32(0.0)},
            [&](Value t, ValueRange sum) {
              return SmallVector<Value>{
                  kb.add(sum[0], kb.load(scratch, {t, slot}))};
            });
        Value position = kb.add(base, slot);
        kb.ifThen(kb.ult(position, kb.index(extent)), [&] {
          kb.store(total[0], partials, {block, position});
        });
      }
    });
  }
};

//===----------------------------------------------------------------------===//
// Host side of the patterns
//===----------------------------------------------------------------------===//

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

MemRefType bufferType(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

/// Kernel argument types of launch operands: tensors become buffers.
SmallVector<Type> kernelArgumentTypes(ValueRange operands) {
  SmallVector<Type> types;
  for (Value v : operands)
    types.push_back(isa<RankedTensorType>(v.getType()) ? bufferType(v.getType())
                                                       : v.getType());
  return types;
}

std::string shapeName(ArrayRef<int64_t> shape) {
  std::string name;
  llvm::raw_string_ostream os(name);
  llvm::interleave(shape, os, "x");
  return name;
}

/// Launches `kernel` on `inputs`, writing fresh tensors of `outputTypes`.
ValueRange launch(OpBuilder &b, Location loc, KernelLibrary &library,
                  gpu::GPUFuncOp kernel, ArrayRef<int64_t> grid,
                  ArrayRef<int64_t> block, ValueRange inputs,
                  TypeRange outputTypes) {
  SmallVector<Value> outputs;
  for (Type type : outputTypes) {
    auto tensor = cast<RankedTensorType>(type);
    outputs.push_back(
        emptyTensor(b, loc, tensor.getShape(), tensor.getElementType()));
  }
  return LaunchOp::create(b, loc, outputTypes, library.symbolOf(kernel),
                          b.getDenseI64ArrayAttr(grid),
                          b.getDenseI64ArrayAttr(block), inputs, outputs)
      .getResults();
}

BasisKind basisKindOf(Value basis) {
  if (auto op = basis.getDefiningOp<DctBasisOp>())
    return op.getKind();
  return BasisKind::dct3;
}

const char *sideName(Side side) { return side == Side::right ? "r" : "l"; }

/// A lowering that emits its kernels into `library`.
template <typename OpTy>
struct KernelPattern : OpRewritePattern<OpTy> {
  KernelPattern(MLIRContext *ctx, KernelLibrary &library)
      : OpRewritePattern<OpTy>(ctx), library(library) {}
  KernelLibrary &library;
};

//===----------------------------------------------------------------------===//
// Projections
//===----------------------------------------------------------------------===//

/// The projection S = G·Q / Qᵀ·G (optionally onto the columns `indices`) as a
/// tiled matmul whose operands read G and generate Q.
struct ProjectionShape {
  int64_t m, n, k;
};

ProjectionShape projectionShape(ArrayRef<int64_t> grad, Side side,
                                int64_t columns) {
  if (side == Side::right)
    return {grad[0], columns, grad[1]};
  return {columns, grad[1], grad[0]};
}

/// A projection kernel. Arguments: G, [indices], S, [score partials].
struct ProjectionKernel {
  Side side;
  BasisKind kind;
  int64_t size; // N
  bool selected;

  /// The kernel `name` computing `mm` (whose readers and store this sets).
  gpu::GPUFuncOp getOrCreate(KernelLibrary &library, Location loc,
                             StringRef name, TypeRange args,
                             const TiledMatmul &mm) const {
    return library.getOrCreate(
        name, args, TiledMatmul::workgroupBuffers(loc.getContext()),
        TiledMatmul::block32(), [&](OpBuilder &b, gpu::GPUFuncOp kernel) {
          KernelBuilder kb{b, loc};
          TiledMatmul spec = mm;
          readers(kb, kernel, library, spec);
          // S follows G and the indices (the kernel's block arguments go on
          // with the workgroup buffers, so it is not simply the last one).
          Value out = kernel.getArgument(selected ? 2 : 1);
          spec.store = [out](KernelBuilder &kb, Value i, Value j, Value c) {
            kb.store(c, out, {i, j});
          };
          spec.emit(kb, kernel);
        });
  }

  void readers(KernelBuilder &kb, gpu::GPUFuncOp kernel, KernelLibrary &library,
               TiledMatmul &mm) const {
    Value grad = kernel.getArgument(0);
    Value indices = selected ? kernel.getArgument(1) : Value();
    BasisReader basis{library.cosineTable(kb.b, kb.loc, size), size, kind};
    // Q[row, column], the column possibly through the selection.
    auto q = [=](KernelBuilder &kb, Value row, Value column) {
      if (indices)
        column = kb.loadIndex(indices, column);
      return basis.entry(kb, row, column);
    };
    auto g = [=](KernelBuilder &kb, Value r, Value c) {
      return kb.load(grad, {r, c});
    };
    if (side == Side::right) {
      mm.readA = g;
      mm.readB = q; // B[k][j] = Q[k, (idx)j]
    } else {
      // A[i][k] = Qᵀ[i][k] = Q[k, (idx)i]
      mm.readA = [=](KernelBuilder &kb, Value i, Value k) {
        return q(kb, k, i);
      };
      mm.readB = g;
    }
  }
};

struct ProjectSelectLowering : KernelPattern<ProjectSelectOp> {
  using KernelPattern::KernelPattern;

  LogicalResult matchAndRewrite(ProjectSelectOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Side side = op.getSide();
    ArrayRef<int64_t> gradShape = op.getGrad().getType().getShape();
    int64_t size = op.getBasis().getType().getDimSize(0);
    int64_t rank = op.getIndices().getType().getDimSize(0);
    BasisKind kind = basisKindOf(op.getBasis());
    bool l1 = op.getNorm() == ScoreNorm::l1;
    ProjectionShape shape = projectionShape(gradShape, side, size);
    // Blocks along the reduced axis: rows of S for the right side.
    int64_t blocks = ceilDiv(side == Side::right ? shape.m : shape.n, kTile);
    Type f32 = rewriter.getF32Type();
    auto partialsType = RankedTensorType::get({blocks, size}, f32);

    ProjectionKernel projection{side, kind, size, /*selected=*/false};
    TiledMatmul mm{shape.m, shape.n, shape.k, {}, {}, {}, std::nullopt};
    mm.scores = ScoreEpilogue{side == Side::right, l1, /*partialsArg=*/2};
    SmallVector<Type> args = {bufferType(op.getGrad().getType()),
                              bufferType(op.getProjected().getType()),
                              bufferType(partialsType)};
    std::string name = llvm::formatv(
        "project_scores_{0}_{1}_{2}_{3}", shapeName(gradShape), sideName(side),
        stringifyEnum(kind), stringifyEnum(op.getNorm()));
    gpu::GPUFuncOp matmulKernel =
        projection.getOrCreate(library, loc, name, args, mm);
    ValueRange projected =
        launch(rewriter, loc, library, matmulKernel, mm.grid(),
               TiledMatmul::block(), ValueRange{op.getGrad()},
               TypeRange{op.getProjected().getType(), partialsType});

    gpu::GPUFuncOp topK = getTopKKernel(loc, blocks, size, rank);
    ValueRange selected = launch(
        rewriter, loc, library, topK, {1, 1, 1}, {kTopKBlock, 1, 1},
        ValueRange{projected[1]},
        TypeRange{op.getIndices().getType(),
                  RankedTensorType::get({size}, f32)});
    rewriter.replaceOp(op, ValueRange{projected[0], selected[0]});
    return success();
  }

  /// One block: scores from the partials, then each score's rank (how many
  /// beat it, a tie going to the smaller index), then the selected indices
  /// written in ascending order through a block-wide prefix sum.
  /// Arguments: partials (P×N), indices (r, out), scores (N, out).
  gpu::GPUFuncOp getTopKKernel(Location loc, int64_t blocks, int64_t size,
                               int64_t rank) const {
    MLIRContext *ctx = library.getModule().getContext();
    Type f32 = Float32Type::get(ctx), i64 = IntegerType::get(ctx, 64),
         i32 = IntegerType::get(ctx, 32);
    // Each thread owns a contiguous chunk of at most 32 basis vectors, so
    // its selections fit one 32-bit mask.
    int64_t chunk = ceilDiv(size, kTopKBlock);
    auto space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    SmallVector<Type> shared = {MemRefType::get(
        {kTopKBlock}, i32, MemRefLayoutAttrInterface(), space)};
    SmallVector<Type> args = {MemRefType::get({blocks, size}, f32),
                              MemRefType::get({rank}, i64),
                              MemRefType::get({size}, f32)};
    std::string name =
        llvm::formatv("select_top{0}_{1}x{2}", rank, blocks, size);
    return library.getOrCreate(
        name, args, shared, {int32_t(kTopKBlock), 1, 1},
        [&](OpBuilder &b, gpu::GPUFuncOp kernel) {
          KernelBuilder kb{b, loc};
          Value partials = kernel.getArgument(0);
          Value indices = kernel.getArgument(1);
          Value scores = kernel.getArgument(2);
          Value counts = kernel.getWorkgroupAttributions()[0];
          Value tid = kb.threadId(gpu::Dimension::x);
          Value first = kb.mul(tid, kb.index(chunk));

          // Indices a NaN score leaves unselected read 0, as on the CPU.
          kb.forLoop(tid, kb.index(rank), kb.index(kTopKBlock), {},
                     [&](Value t, ValueRange) {
                       kb.store(arith::ConstantOp::create(
                                    b, loc, b.getI64IntegerAttr(0)),
                                indices, {t});
                       return SmallVector<Value>{};
                     });
          for (int64_t q = 0; q < chunk; ++q) {
            Value c = kb.add(first, kb.index(q));
            kb.ifThen(kb.ult(c, kb.index(size)), [&] {
              ValueRange sum = kb.forLoop(
                  0, blocks, 1, ValueRange{kb.f32(0.0)},
                  [&](Value p, ValueRange s) {
                    return SmallVector<Value>{
                        kb.add(s[0], kb.load(partials, {p, c}))};
                  });
              kb.store(sum[0], scores, {c});
            });
          }
          kb.barrier();

          Value mask = kb.i32(0), count = kb.i32(0);
          for (int64_t q = 0; q < chunk; ++q) {
            Value c = kb.min(kb.add(first, kb.index(q)), kb.index(size - 1));
            Value own = kb.load(scores, {c});
            ValueRange beaten = kb.forLoop(
                0, size, 1, ValueRange{kb.i32(0)}, [&](Value j, ValueRange n) {
                  Value other = kb.load(scores, {j});
                  Value greater = arith::CmpFOp::create(
                      b, loc, arith::CmpFPredicate::OGT, other, own);
                  Value tie = kb.both(
                      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                            other, own),
                      kb.ult(j, c));
                  Value beats = arith::OrIOp::create(b, loc, greater, tie);
                  return SmallVector<Value>{kb.add(
                      n[0], arith::ExtUIOp::create(b, loc, i32, beats))};
                });
            Value isSelected = kb.both(
                kb.ult(kb.add(first, kb.index(q)), kb.index(size)),
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                      beaten[0], kb.i32(rank)));
            Value bit = arith::ExtUIOp::create(b, loc, i32, isSelected);
            mask = arith::OrIOp::create(
                b, loc, mask,
                arith::ShLIOp::create(b, loc, bit, kb.i32(q)));
            count = kb.add(count, bit);
          }

          // Inclusive prefix sum of the counts (Hillis–Steele).
          kb.store(count, counts, {tid});
          kb.barrier();
          for (int64_t offset = 1; offset < kTopKBlock; offset *= 2) {
            Value hasLeft = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::uge, tid, kb.index(offset));
            Value left =
                kb.load(counts, {kb.select(hasLeft,
                                           kb.sub(tid, kb.index(offset)),
                                           tid)});
            Value addend = kb.select(hasLeft, left, kb.i32(0));
            kb.barrier();
            kb.store(kb.add(kb.load(counts, {tid}), addend), counts, {tid});
            kb.barrier();
          }
          Value position = kb.sub(kb.load(counts, {tid}), count);
          for (int64_t q = 0; q < chunk; ++q) {
            Value bit = kb.both(
                arith::ShRUIOp::create(b, loc, mask, kb.i32(q)), kb.i32(1));
            Value isSelected = kb.eq(bit, kb.i32(1));
            Value inRange = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::slt, position, kb.i32(rank));
            kb.ifThen(kb.both(isSelected, inRange), [&] {
              Value c = kb.add(first, kb.index(q));
              kb.store(arith::IndexCastOp::create(b, loc, i64, c), indices,
                       {arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                                   position)
                            .getResult()});
            });
            position = kb.add(position, bit);
          }
        });
  }

};

struct ProjectLowering : KernelPattern<ProjectOp> {
  using KernelPattern::KernelPattern;

  LogicalResult matchAndRewrite(ProjectOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Side side = op.getSide();
    ArrayRef<int64_t> gradShape = op.getGrad().getType().getShape();
    int64_t size = op.getBasis().getType().getDimSize(0);
    bool selected = bool(op.getIndices());
    int64_t columns =
        selected ? op.getIndices().getType().getDimSize(0) : size;
    BasisKind kind = basisKindOf(op.getBasis());
    ProjectionShape shape = projectionShape(gradShape, side, columns);
    SmallVector<Value> inputs = {op.getGrad()};
    if (selected)
      inputs.push_back(op.getIndices());
    SmallVector<Type> args = kernelArgumentTypes(inputs);
    args.push_back(bufferType(op.getType()));
    std::string name =
        llvm::formatv("project_{0}_{1}_{2}_{3}", shapeName(gradShape),
                      selected ? "r" + std::to_string(columns) : "full",
                      sideName(side), stringifyEnum(kind));
    ProjectionKernel projection{side, kind, size, selected};
    TiledMatmul mm{shape.m, shape.n, shape.k, {}, {}, {}, std::nullopt};
    gpu::GPUFuncOp kernel =
        projection.getOrCreate(library, loc, name, args, mm);
    rewriter.replaceOp(op, launch(rewriter, loc, library, kernel, mm.grid(),
                                  TiledMatmul::block(), inputs,
                                  TypeRange{op.getType()}));
    return success();
  }

};

struct ProjectBackApplyLowering : KernelPattern<ProjectBackApplyOp> {
  using KernelPattern::KernelPattern;

  LogicalResult matchAndRewrite(ProjectBackApplyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Side side = op.getSide();
    ArrayRef<int64_t> shape = op.getParam().getType().getShape();
    int64_t size = op.getBasis().getType().getDimSize(0);
    int64_t rank = op.getIndices().getType().getDimSize(0);
    BasisKind kind = basisKindOf(op.getBasis());
    Value decay, step;
    std::tie(decay, step) = updateFactors(
        rewriter, loc, op.getLrScale(), op.getLr().convertToDouble(),
        op.getWeightDecay().convertToDouble(), op.getScale().convertToDouble());
    SmallVector<Value> inputs = {op.getParam(), op.getDirection(),
                                 op.getIndices(), decay, step};
    SmallVector<Type> args = kernelArgumentTypes(inputs);
    args.push_back(bufferType(op.getType()));
    std::string name =
        llvm::formatv("project_back_apply_{0}_r{1}_{2}_{3}", shapeName(shape),
                      rank, sideName(side), stringifyEnum(kind));
    TiledMatmul mm{shape[0], shape[1], rank, {}, {}, {}, std::nullopt};
    gpu::GPUFuncOp kernel = library.getOrCreate(
        name, args, TiledMatmul::workgroupBuffers(rewriter.getContext()),
        TiledMatmul::block32(), [&](OpBuilder &b, gpu::GPUFuncOp kernel) {
          KernelBuilder kb{b, loc};
          Value param = kernel.getArgument(0), direction = kernel.getArgument(1),
                indices = kernel.getArgument(2), decay = kernel.getArgument(3),
                step = kernel.getArgument(4), out = kernel.getArgument(5);
          BasisReader basis{library.cosineTable(b, loc, size), size, kind};
          TiledMatmul spec = mm;
          auto u = [=](KernelBuilder &kb, Value r, Value c) {
            return kb.load(direction, {r, c});
          };
          if (side == Side::right) {
            // U = u·Q[:, idx]ᵀ: B[k][j] = Q[j, idx[k]].
            spec.readA = u;
            spec.readB = [=](KernelBuilder &kb, Value k, Value j) {
              return basis.entry(kb, j, kb.loadIndex(indices, k));
            };
          } else {
            // U = Q[:, idx]·u: A[i][k] = Q[i, idx[k]].
            spec.readA = [=](KernelBuilder &kb, Value i, Value k) {
              return basis.entry(kb, i, kb.loadIndex(indices, k));
            };
            spec.readB = u;
          }
          spec.store = [=](KernelBuilder &kb, Value i, Value j, Value c) {
            Value w = kb.load(param, {i, j});
            kb.store(kb.sub(kb.mul(w, decay), kb.mul(step, c)), out, {i, j});
          };
          spec.emit(kb, kernel);
        });
    rewriter.replaceOp(op, launch(rewriter, loc, library, kernel, mm.grid(),
                                  TiledMatmul::block(), inputs,
                                  TypeRange{op.getType()}));
    return success();
  }

};

//===----------------------------------------------------------------------===//
// Elementwise kernels
//===----------------------------------------------------------------------===//

/// One thread per element of `shape`; `body` gets the multi-index.
void emitElementwise(KernelBuilder &kb, ArrayRef<int64_t> shape,
                     function_ref<void(ValueRange)> body) {
  int64_t count = ShapedType::getNumElements(shape);
  Value linear = kb.add(
      kb.mul(kb.blockId(gpu::Dimension::x), kb.index(kElementwiseBlock)),
      kb.threadId(gpu::Dimension::x));
  kb.ifThen(kb.ult(linear, kb.index(count)), [&] {
    SmallVector<Value> indices(shape.size());
    Value rest = linear;
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      indices[d] = d == 0 ? rest : kb.rem(rest, kb.index(shape[d]));
      if (d > 0)
        rest = kb.div(rest, kb.index(shape[d]));
    }
    body(indices);
  });
}

SmallVector<int64_t, 3> elementwiseGrid(ArrayRef<int64_t> shape) {
  return {ceilDiv(ShapedType::getNumElements(shape), kElementwiseBlock), 1, 1};
}

/// Scalars of an Adam update, passed to the kernels by value so that one
/// kernel serves every hyperparameter setting of a shape.
SmallVector<Value> adamScalars(OpBuilder &b, Location loc, Value step,
                               double beta1, double beta2, double eps) {
  auto f32 = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  };
  return {f32(beta1),
          f32(1.0 - beta1),
          f32(beta2),
          f32(1.0 - beta2),
          f32(eps),
          inverseBiasCorrection(b, loc, step, beta1),
          inverseBiasCorrection(b, loc, step, beta2)};
}
constexpr unsigned kAdamScalars = 7;

/// m, v ← Adam(m, v, a); returns {m, v, u}. `scalars` as in adamScalars.
std::array<Value, 3> adamUpdate(KernelBuilder &kb, ValueRange scalars, Value m,
                                Value v, Value a) {
  Value newM = kb.add(kb.mul(scalars[0], m), kb.mul(scalars[1], a));
  Value newV = kb.add(kb.mul(scalars[2], v), kb.mul(scalars[3], kb.mul(a, a)));
  Value denom = kb.add(kb.sqrt(kb.mul(newV, scalars[6])), scalars[4]);
  Value u = arith::DivFOp::create(kb.b, kb.loc, kb.mul(newM, scalars[5]), denom);
  return {newM, newV, u};
}

/// optim.gather_adam and optim.adam: one pass over the moments. Arguments:
/// source, [indices], m, v, [old indices], scalars..., m', v', u.
struct AdamKernel {
  ArrayRef<int64_t> momentShape;
  std::optional<Side> gatherSide; // gather from the full projection
  bool rotate;
  int64_t rank;

  void emit(KernelBuilder &kb, gpu::GPUFuncOp kernel) const {
    unsigned next = 0;
    Value source = kernel.getArgument(next++);
    Value indices = gatherSide ? kernel.getArgument(next++) : Value();
    Value m = kernel.getArgument(next++), v = kernel.getArgument(next++);
    Value oldIndices = rotate ? kernel.getArgument(next++) : Value();
    ValueRange scalars = kernel.getArguments().slice(next, kAdamScalars);
    next += kAdamScalars;
    Value outM = kernel.getArgument(next), outV = kernel.getArgument(next + 1),
          outU = kernel.getArgument(next + 2);
    emitElementwise(kb, momentShape, [&](ValueRange at) {
      Value a = kb.load(source, at);
      Value momentM, momentV;
      if (gatherSide) {
        // The slice's position k along the rank axis → basis vector idx[k].
        unsigned axis = *gatherSide == Side::right ? 1 : 0;
        SmallVector<Value> from(at);
        from[axis] = kb.loadIndex(indices, at[axis]);
        a = kb.load(source, from);
        if (rotate) {
          // Position of idx[k] among the old (ascending) indices, by binary
          // search: the moment slice follows its basis vector, or starts at 0.
          Value target = kb.load(indices, at[axis]);
          int64_t steps = int64_t(std::ceil(std::log2(double(rank) + 1)));
          ValueRange range = kb.forLoop(
              0, steps, 1, ValueRange{kb.index(0), kb.index(rank)},
              [&](Value, ValueRange lh) {
                Value lo = lh[0], hi = lh[1];
                Value open = kb.ult(lo, hi);
                Value mid = kb.div(kb.add(lo, hi), kb.index(2));
                Value atMid =
                    kb.load(oldIndices, kb.min(mid, kb.index(rank - 1)));
                Value below = arith::CmpIOp::create(
                    kb.b, kb.loc, arith::CmpIPredicate::slt, atMid, target);
                Value newLo = kb.select(kb.both(open, below),
                                        kb.add(mid, kb.index(1)), lo);
                Value newHi = kb.select(
                    kb.both(open, arith::XOrIOp::create(
                                      kb.b, kb.loc, below,
                                      arith::ConstantOp::create(
                                          kb.b, kb.loc, kb.b.getBoolAttr(true)))),
                    mid, hi);
                return SmallVector<Value>{newLo, newHi};
              });
          Value position = kb.min(range[0], kb.index(rank - 1));
          Value found =
              kb.both(kb.ult(range[0], kb.index(rank)),
                      kb.eq(kb.load(oldIndices, position), target));
          SmallVector<Value> old(at);
          old[axis] = position;
          momentM = kb.select(found, kb.load(m, old), kb.f32(0.0));
          momentV = kb.select(found, kb.load(v, old), kb.f32(0.0));
        }
      }
      if (!momentM) {
        momentM = kb.load(m, at);
        momentV = kb.load(v, at);
      }
      std::array<Value, 3> result = adamUpdate(kb, scalars, momentM, momentV, a);
      kb.store(result[0], outM, at);
      kb.store(result[1], outV, at);
      kb.store(result[2], outU, at);
    });
  }
};

template <typename OpTy>
LogicalResult lowerAdam(OpTy op, Value source, Value indices, Value oldIndices,
                        std::optional<Side> side, KernelLibrary &library,
                        PatternRewriter &rewriter) {
  Location loc = op.getLoc();
  auto momentType = cast<RankedTensorType>(op.getExpAvg().getType());
  SmallVector<Value> inputs = {source};
  if (indices)
    inputs.push_back(indices);
  inputs.append({op.getExpAvg(), op.getExpAvgSq()});
  if (oldIndices)
    inputs.push_back(oldIndices);
  llvm::append_range(inputs, adamScalars(rewriter, loc, op.getStep(),
                                         op.getBeta1().convertToDouble(),
                                         op.getBeta2().convertToDouble(),
                                         op.getEps().convertToDouble()));
  SmallVector<Type> args = kernelArgumentTypes(inputs);
  args.append(3, bufferType(momentType));
  int64_t rank = indices ? cast<ShapedType>(indices.getType()).getDimSize(0)
                         : 0;
  std::string name = "adam_" + shapeName(momentType.getShape());
  if (side)
    name += llvm::formatv(
                "_gather_{0}_{1}",
                shapeName(cast<ShapedType>(source.getType()).getShape()),
                sideName(*side))
                .str();
  if (oldIndices)
    name += "_rotate";
  AdamKernel spec{momentType.getShape(), side, bool(oldIndices), rank};
  gpu::GPUFuncOp kernel = library.getOrCreate(
      name, args, {}, {int32_t(kElementwiseBlock), 1, 1},
      [&](OpBuilder &b, gpu::GPUFuncOp kernel) {
        KernelBuilder kb{b, loc};
        spec.emit(kb, kernel);
      });
  rewriter.replaceOp(
      op, launch(rewriter, loc, library, kernel,
                 elementwiseGrid(momentType.getShape()),
                 {kElementwiseBlock, 1, 1}, inputs,
                 TypeRange{momentType, momentType, momentType}));
  return success();
}

struct GatherAdamLowering : KernelPattern<GatherAdamOp> {
  using KernelPattern::KernelPattern;
  LogicalResult matchAndRewrite(GatherAdamOp op,
                                PatternRewriter &rewriter) const override {
    return lowerAdam(op, op.getProjected(), op.getIndices(),
                     op.getOldIndices(), op.getSide(), library, rewriter);
  }
};

struct AdamLowering : KernelPattern<AdamOp> {
  using KernelPattern::KernelPattern;
  LogicalResult matchAndRewrite(AdamOp op,
                                PatternRewriter &rewriter) const override {
    return lowerAdam(op, op.getGrad(), Value(), Value(), std::nullopt, library,
                     rewriter);
  }
};

/// W ← W·decay − step·U, elementwise. Arguments: W, U, decay, step, W'.
struct ApplyLowering : KernelPattern<ApplyOp> {
  using KernelPattern::KernelPattern;
  LogicalResult matchAndRewrite(ApplyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getParam().getType();
    Value decay, step;
    std::tie(decay, step) = updateFactors(
        rewriter, loc, op.getLrScale(), op.getLr().convertToDouble(),
        op.getWeightDecay().convertToDouble(), op.getScale().convertToDouble());
    SmallVector<Value> inputs = {op.getParam(), op.getUpdate(), decay, step};
    SmallVector<Type> args = kernelArgumentTypes(inputs);
    args.push_back(bufferType(type));
    gpu::GPUFuncOp kernel = library.getOrCreate(
        "apply_" + shapeName(type.getShape()), args, {},
        {int32_t(kElementwiseBlock), 1, 1},
        [&](OpBuilder &b, gpu::GPUFuncOp kernel) {
          KernelBuilder kb{b, loc};
          emitElementwise(kb, type.getShape(), [&](ValueRange at) {
            Value w = kb.load(kernel.getArgument(0), at);
            Value u = kb.load(kernel.getArgument(1), at);
            kb.store(kb.sub(kb.mul(w, kernel.getArgument(2)),
                            kb.mul(kernel.getArgument(3), u)),
                     kernel.getArgument(4), at);
          });
        });
    rewriter.replaceOp(op, launch(rewriter, loc, library, kernel,
                                  elementwiseGrid(type.getShape()),
                                  {kElementwiseBlock, 1, 1}, inputs,
                                  TypeRange{type}));
    return success();
  }
};

/// Full-rank AdamW in one kernel: reads W, G, m, v and writes W', m', v'
/// (28 bytes per parameter). Arguments: W, G, m, v, adam scalars, decay,
/// step, W', m', v'.
struct AdamWLowering : KernelPattern<AdamWOp> {
  using KernelPattern::KernelPattern;
  LogicalResult matchAndRewrite(AdamWOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getParam().getType();
    SmallVector<Value> inputs = {op.getParam(), op.getGrad(), op.getExpAvg(),
                                 op.getExpAvgSq()};
    llvm::append_range(inputs, adamScalars(rewriter, loc, op.getStep(),
                                           op.getBeta1().convertToDouble(),
                                           op.getBeta2().convertToDouble(),
                                           op.getEps().convertToDouble()));
    Value decay, step;
    std::tie(decay, step) = updateFactors(
        rewriter, loc, op.getLrScale(), op.getLr().convertToDouble(),
        op.getWeightDecay().convertToDouble(), /*scale=*/1.0);
    inputs.append({decay, step});
    SmallVector<Type> args = kernelArgumentTypes(inputs);
    args.append(3, bufferType(type));
    gpu::GPUFuncOp kernel = library.getOrCreate(
        "adamw_" + shapeName(type.getShape()), args, {},
        {int32_t(kElementwiseBlock), 1, 1},
        [&](OpBuilder &b, gpu::GPUFuncOp kernel) {
          KernelBuilder kb{b, loc};
          ValueRange scalars = kernel.getArguments().slice(4, kAdamScalars);
          Value decay = kernel.getArgument(4 + kAdamScalars);
          Value step = kernel.getArgument(5 + kAdamScalars);
          unsigned out = 6 + kAdamScalars;
          emitElementwise(kb, type.getShape(), [&](ValueRange at) {
            Value w = kb.load(kernel.getArgument(0), at);
            Value g = kb.load(kernel.getArgument(1), at);
            std::array<Value, 3> r =
                adamUpdate(kb, scalars, kb.load(kernel.getArgument(2), at),
                           kb.load(kernel.getArgument(3), at), g);
            kb.store(kb.sub(kb.mul(w, decay), kb.mul(step, r[2])),
                     kernel.getArgument(out), at);
            kb.store(r[0], kernel.getArgument(out + 1), at);
            kb.store(r[1], kernel.getArgument(out + 2), at);
          });
        });
    rewriter.replaceOp(op, launch(rewriter, loc, library, kernel,
                                  elementwiseGrid(type.getShape()),
                                  {kElementwiseBlock, 1, 1}, inputs,
                                  TypeRange{type, type, type}));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct ConvertOptimToGPUPass
    : public optgraph::impl::ConvertOptimToGPUBase<ConvertOptimToGPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The kernels' phase arithmetic k·(2j+1) mod 4N is 32-bit and the
    // cosine table a global of 4N floats: check N on every op with a basis.
    WalkResult tooLarge = module.walk([](Operation *op) {
      std::optional<int64_t> size =
          llvm::TypeSwitch<Operation *, std::optional<int64_t>>(op)
              .Case<DctBasisOp>(
                  [](DctBasisOp basis) { return basis.getType().getDimSize(0); })
              .Case<ProjectSelectOp, ProjectOp, ProjectBackApplyOp,
                    ProjectBackOp>([](auto projection) {
                return projection.getBasis().getType().getDimSize(0);
              })
              .Default([](Operation *) { return std::nullopt; });
      if (!size || *size <= kMaxBasisSize)
        return WalkResult::advance();
      op->emitOpError("basis of size ")
          << *size << " exceeds the " << kMaxBasisSize
          << " that the GPU kernels support";
      return WalkResult::interrupt();
    });
    if (tooLarge.wasInterrupted())
      return signalPassFailure();
    KernelLibrary library(module);
    RewritePatternSet patterns(&getContext());
    populateOptimToGPUPatterns(patterns, library);
    walkAndApplyPatterns(module, std::move(patterns));
    // Kernels generate the basis; a basis nothing else reads goes away.
    module.walk([](DctBasisOp op) {
      if (op->use_empty())
        op->erase();
    });
    WalkResult leftover = module.walk([](Operation *op) {
      if (isa<OptimDialect>(op->getDialect()) && !isa<LaunchOp>(op)) {
        op->emitOpError("has no GPU lowering")
            << (isa<LowRankAdamWOp, SelectOp, GatherOp, RotateOp,
                    ProjectBackOp, DctBasisOp>(op)
                    ? "; run -optim-decompose and -optim-fuse first"
                    : "");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (leftover.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

void optgraph::populateOptimToGPUPatterns(RewritePatternSet &patterns,
                                          KernelLibrary &library) {
  patterns.add<ProjectSelectLowering, ProjectLowering, ProjectBackApplyLowering,
               GatherAdamLowering, AdamLowering, ApplyLowering, AdamWLowering>(
      patterns.getContext(), library);
}
