//===- MatmulKernels.cpp - tiled matmul kernels with epilogues ------------===//
//
// The projections onto the DCT basis and back are matmuls with one operand
// generated in the kernel: Q is never stored, each entry comes from a table
// of cosines.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <cmath>

using namespace mlir;
using namespace optgraph;
using namespace optgraph::gpukernels;
using namespace optgraph::optim;

namespace {

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
    // N ≤ kMaxBasisSize (checked by the pass): the phase fits in 32 bits.
    Type i32 = kb.b.getI32Type();
    Value k32 = arith::IndexCastUIOp::create(kb.b, kb.loc, i32, k);
    Value j32 = arith::IndexCastUIOp::create(kb.b, kb.loc, i32, j);
    Value odd = kb.add(kb.add(j32, j32), kb.i32(1));
    Value phase = kb.urem(kb.mul(k32, odd), kb.i32(4 * size));
    Value cosine = kb.load(table, arith::IndexCastUIOp::create(
                                      kb.b, kb.loc, kb.b.getIndexType(), phase)
                                      .getResult());
    Value first = kb.eq(k32, kb.i32(0));
    Value norm = kb.select(first, kb.f32(std::sqrt(1.0 / size)),
                           kb.f32(std::sqrt(2.0 / size)));
    return kb.mul(cosine, norm);
  }
};

//===----------------------------------------------------------------------===//
// Tiled matmul
//===----------------------------------------------------------------------===//

using ElementReader = std::function<Value(KernelBuilder &, Value, Value)>;
using ElementStore = std::function<void(KernelBuilder &, Value, Value, Value)>;

/// C = A·B staged through shared memory in slices of 16 along K, 4×4
/// outputs per thread. `readA(i, k)` and `readB(k, j)` are called with
/// in-range indices only; `store(i, j, c)` for each in-range output; the
/// optional score epilogue reduces over the block.
struct TiledMatmul {
  MatmulShape shape;
  ElementReader readA, readB;
  ElementStore store;
  std::optional<ScoreEpilogue> scores;

  static SmallVector<int32_t, 3> block32() {
    return {int32_t(kTileThreads), int32_t(kTileThreads), 1};
  }
  /// Shared tiles: A transposed and padded to 65 columns (no bank conflicts
  /// on the transposed store), B as is.
  static SmallVector<Type> workgroupBuffers(MLIRContext *ctx) {
    auto space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    Type f32 = Float32Type::get(ctx);
    return {MemRefType::get({kTileK, kTile + 1}, f32,
                            MemRefLayoutAttrInterface(), space),
            MemRefType::get({kTileK, kTile}, f32, MemRefLayoutAttrInterface(),
                            space)};
  }

  void emit(KernelBuilder &kb, gpu::GPUFuncOp kernel) const {
    int64_t m = shape.m, n = shape.n, k = shape.k;
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
          kb._and(kb.ult(r, kb.index(rows)), kb.ult(c, kb.index(cols)));
      Value value = read(kb, kb.umin(r, kb.index(rows - 1)),
                         kb.umin(c, kb.index(cols - 1)));
      return kb.select(inside, value, zero);
    };

    SmallVector<Value> inits(kMicro * kMicro, zero);
    ValueRange acc =
        kb.forLoop(0, k, kTileK, inits, [&](Value k0, ValueRange acc) {
          for (int64_t q = 0; q < kTile * kTileK / threads; ++q) {
            Value e = kb.add(tid, kb.index(q * threads));
            // A: 16 consecutive k per row; stored transposed.
            Value ia = kb.udiv(e, kb.index(kTileK));
            Value ka = kb.urem(e, kb.index(kTileK));
            kb.store(guardedRead(readA, kb.add(row0, ia), kb.add(k0, ka), m, k),
                     tileA, {ka, ia});
            // B: 64 consecutive j per k.
            Value kbIndex = kb.udiv(e, kb.index(kTile));
            Value jb = kb.urem(e, kb.index(kTile));
            kb.store(
                guardedRead(readB, kb.add(k0, kbIndex), kb.add(col0, jb), k, n),
                tileB, {kbIndex, jb});
          }
          kb.barrier();
          ValueRange inner =
              kb.forLoop(0, kTileK, 1, acc, [&](Value kk, ValueRange acc) {
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
        kb.ifThen(kb._and(rowInside[x], colInside[y]),
                  [&] { store(kb, rows[x], cols[y], acc[x * kMicro + y]); });
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
        sum = kb.add(
            sum, kb.select(inside[t], term(acc[x * kMicro + y]), kb.f32(0.0)));
      }
      kb.store(sum, scratch, {lane, kb.add(other, kb.index(kTileThreads * s))});
    }
    kb.barrier();
    Value base = kb.mul(
        kb.blockId(scores->perColumn ? gpu::Dimension::x : gpu::Dimension::y),
        kb.index(kTile));
    Value block =
        kb.blockId(scores->perColumn ? gpu::Dimension::y : gpu::Dimension::x);
    int64_t extent = scores->perColumn ? shape.n : shape.m;
    kb.ifThen(kb.eq(lane, kb.index(0)), [&] {
      for (int64_t s = 0; s < kMicro; ++s) {
        Value slot = kb.add(other, kb.index(kTileThreads * s));
        Value total = kb.sumLoop(kTileThreads, [&](Value t) {
          return kb.load(scratch, {t, slot});
        });
        Value position = kb.add(base, slot);
        kb.ifThen(kb.ult(position, kb.index(extent)), [&] {
          kb.store(total, partials, {block, position});
        });
      }
    });
  }
};

/// The matmul kernel `name` of `shape` generating entries of the size-N
/// basis of `kind`: `configure` sets the readers and store of the matmul
/// from the kernel's arguments and the basis.
gpu::GPUFuncOp getOrCreateBasisMatmul(
    KernelLibrary &library, Location loc, StringRef name, TypeRange args,
    MatmulShape shape, BasisKind kind, int64_t size,
    std::optional<ScoreEpilogue> scores,
    function_ref<void(gpu::GPUFuncOp, const BasisReader &, TiledMatmul &)>
        configure) {
  return library.getOrCreate(
      name, args, TiledMatmul::workgroupBuffers(loc.getContext()),
      TiledMatmul::block32(), [&](OpBuilder &b, gpu::GPUFuncOp kernel) {
        KernelBuilder kb(b, loc);
        BasisReader basis{library.cosineTable(b, loc, size), size, kind};
        TiledMatmul mm{shape, {}, {}, {}, scores};
        configure(kernel, basis, mm);
        mm.emit(kb, kernel);
      });
}

} // namespace

MatmulShape gpukernels::projectionShape(ArrayRef<int64_t> grad, Side side,
                                        int64_t columns) {
  if (side == Side::right)
    return {grad[0], columns, grad[1]};
  return {columns, grad[1], grad[0]};
}

gpu::GPUFuncOp ProjectionKernel::getOrCreate(KernelLibrary &library,
                                             Location loc, StringRef name,
                                             TypeRange args,
                                             MatmulShape shape) const {
  auto configure = [&](gpu::GPUFuncOp kernel, const BasisReader &basis,
                       TiledMatmul &mm) {
    Value grad = kernel.getArgument(0);
    Value indices = selected ? kernel.getArgument(1) : Value();
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
    // S follows G and the indices (the kernel's block arguments go on with
    // the workgroup buffers, so it is not simply the last one).
    Value out = kernel.getArgument(selected ? 2 : 1);
    mm.store = [out](KernelBuilder &kb, Value i, Value j, Value c) {
      kb.store(c, out, {i, j});
    };
  };
  return getOrCreateBasisMatmul(library, loc, name, args, shape, kind, size,
                                scores, configure);
}

gpu::GPUFuncOp ProjectBackApplyKernel::getOrCreate(KernelLibrary &library,
                                                   Location loc, StringRef name,
                                                   TypeRange args,
                                                   MatmulShape shape) const {
  auto configure = [&](gpu::GPUFuncOp kernel, const BasisReader &basis,
                       TiledMatmul &mm) {
    Value param = kernel.getArgument(0), direction = kernel.getArgument(1),
          indices = kernel.getArgument(2), decay = kernel.getArgument(3),
          step = kernel.getArgument(4), out = kernel.getArgument(5);
    auto u = [=](KernelBuilder &kb, Value r, Value c) {
      return kb.load(direction, {r, c});
    };
    if (side == Side::right) {
      // U = u·Q[:, idx]ᵀ: B[k][j] = Q[j, idx[k]].
      mm.readA = u;
      mm.readB = [=](KernelBuilder &kb, Value k, Value j) {
        return basis.entry(kb, j, kb.loadIndex(indices, k));
      };
    } else {
      // U = Q[:, idx]·u: A[i][k] = Q[i, idx[k]].
      mm.readA = [=](KernelBuilder &kb, Value i, Value k) {
        return basis.entry(kb, i, kb.loadIndex(indices, k));
      };
      mm.readB = u;
    }
    mm.store = [=](KernelBuilder &kb, Value i, Value j, Value c) {
      Value w = kb.load(param, {i, j});
      kb.store(kb.sub(kb.mul(w, decay), kb.mul(step, c)), out, {i, j});
    };
  };
  return getOrCreateBasisMatmul(library, loc, name, args, shape, kind, size,
                                /*scores=*/std::nullopt, configure);
}
