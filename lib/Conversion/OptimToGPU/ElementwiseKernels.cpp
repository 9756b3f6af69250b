//===- ElementwiseKernels.cpp - one thread per element --------------------===//
//
// The Adam family and the weight update: each thread reads and writes one
// element of every operand, so these kernels are bound by memory traffic.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "optgraph/Conversion/StepFactors.h"

#include <cmath>

using namespace mlir;
using namespace optgraph;
using namespace optgraph::gpukernels;
using namespace optgraph::optim;

namespace {

constexpr unsigned kAdamScalars = 7;

/// The body of an elementwise kernel: the kernel's arguments and the
/// multi-index of this thread's element.
using ElementBody =
    function_ref<void(KernelBuilder &, ValueRange arguments, ValueRange at)>;

/// The kernel `name` running `body` on one thread per element of `shape`.
gpu::GPUFuncOp getOrCreateElementwise(KernelLibrary &library, Location loc,
                                      StringRef name, TypeRange args,
                                      ArrayRef<int64_t> shape,
                                      ElementBody body) {
  return library.getOrCreate(
      name, args, {}, {int32_t(kElementwiseBlock), 1, 1},
      [&](OpBuilder &b, gpu::GPUFuncOp kernel) {
        KernelBuilder kb(b, loc);
        int64_t count = ShapedType::getNumElements(shape);
        Value linear = kb.add(
            kb.mul(kb.blockId(gpu::Dimension::x), kb.index(kElementwiseBlock)),
            kb.threadId(gpu::Dimension::x));
        kb.ifThen(kb.ult(linear, kb.index(count)), [&] {
          SmallVector<Value> indices(shape.size());
          Value rest = linear;
          for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
            indices[d] = d == 0 ? rest : kb.urem(rest, kb.index(shape[d]));
            if (d > 0)
              rest = kb.udiv(rest, kb.index(shape[d]));
          }
          body(kb, kernel.getArguments(), indices);
        });
      });
}

/// m, v ← Adam(m, v, a); returns {m, v, u}. `scalars` as in adamScalars.
std::array<Value, 3> adamUpdate(KernelBuilder &kb, ValueRange scalars, Value m,
                                Value v, Value a) {
  Value newM = kb.add(kb.mul(scalars[0], m), kb.mul(scalars[1], a));
  Value newV = kb.add(kb.mul(scalars[2], v), kb.mul(scalars[3], kb.mul(a, a)));
  Value denom = kb.add(kb.sqrt(kb.mul(newV, scalars[6])), scalars[4]);
  Value u =
      arith::DivFOp::create(kb.b, kb.loc, kb.mul(newM, scalars[5]), denom);
  return {newM, newV, u};
}

/// The position of `target` among the `rank` ascending `sorted` indices, by
/// binary search; returns {position, found}.
std::pair<Value, Value> searchSorted(KernelBuilder &kb, Value sorted,
                                     int64_t rank, Value target) {
  int64_t steps = int64_t(std::ceil(std::log2(double(rank) + 1)));
  ValueRange range = kb.forLoop(
      0, steps, 1, ValueRange{kb.index(0), kb.index(rank)},
      [&](Value, ValueRange lh) {
        Value lo = lh[0], hi = lh[1];
        Value open = kb.ult(lo, hi);
        Value mid = kb.udiv(kb.add(lo, hi), kb.index(2));
        Value atMid = kb.load(sorted, kb.umin(mid, kb.index(rank - 1)));
        Value below = kb.slt(atMid, target);
        Value newLo =
            kb.select(kb._and(open, below), kb.add(mid, kb.index(1)), lo);
        Value newHi = kb.select(
            kb._and(open, arith::XOrIOp::create(
                              kb.b, kb.loc, below,
                              arith::ConstantOp::create(
                                  kb.b, kb.loc, kb.b.getBoolAttr(true)))),
            mid, hi);
        return SmallVector<Value>{newLo, newHi};
      });
  Value position = kb.umin(range[0], kb.index(rank - 1));
  Value found = kb._and(kb.ult(range[0], kb.index(rank)),
                        kb.eq(kb.load(sorted, position), target));
  return {position, found};
}

} // namespace

SmallVector<int64_t, 3> gpukernels::elementwiseGrid(ArrayRef<int64_t> shape) {
  return {ceilDiv(ShapedType::getNumElements(shape), kElementwiseBlock), 1, 1};
}

SmallVector<Value> gpukernels::adamScalars(OpBuilder &b, Location loc,
                                           Value step, double beta1,
                                           double beta2, double eps) {
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

gpu::GPUFuncOp AdamKernel::getOrCreate(KernelLibrary &library, Location loc,
                                       StringRef name, TypeRange args) const {
  auto body = [&](KernelBuilder &kb, ValueRange arguments, ValueRange at) {
    unsigned next = 0;
    Value source = arguments[next++];
    Value indices = gatherSide ? arguments[next++] : Value();
    Value m = arguments[next++], v = arguments[next++];
    Value oldIndices = rotate ? arguments[next++] : Value();
    ValueRange scalars = arguments.slice(next, kAdamScalars);
    next += kAdamScalars;
    Value outM = arguments[next], outV = arguments[next + 1],
          outU = arguments[next + 2];
    Value a = kb.load(source, at);
    Value momentM, momentV;
    if (gatherSide) {
      // The slice's position k along the rank axis → basis vector idx[k].
      unsigned axis = *gatherSide == Side::right ? 1 : 0;
      SmallVector<Value> from(at);
      from[axis] = kb.loadIndex(indices, at[axis]);
      a = kb.load(source, from);
      if (rotate) {
        // The moment slice follows its basis vector among the old indices,
        // or starts at 0.
        auto [position, found] =
            searchSorted(kb, oldIndices, rank, kb.load(indices, at[axis]));
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
  };
  return getOrCreateElementwise(library, loc, name, args, momentShape, body);
}

gpu::GPUFuncOp gpukernels::getOrCreateApplyKernel(KernelLibrary &library,
                                                  Location loc, StringRef name,
                                                  ArrayRef<int64_t> shape,
                                                  TypeRange args) {
  auto body = [&](KernelBuilder &kb, ValueRange arguments, ValueRange at) {
    Value w = kb.load(arguments[0], at);
    Value u = kb.load(arguments[1], at);
    kb.store(kb.sub(kb.mul(w, arguments[2]), kb.mul(arguments[3], u)),
             arguments[4], at);
  };
  return getOrCreateElementwise(library, loc, name, args, shape, body);
}

gpu::GPUFuncOp gpukernels::getOrCreateAdamWKernel(KernelLibrary &library,
                                                  Location loc, StringRef name,
                                                  ArrayRef<int64_t> shape,
                                                  TypeRange args) {
  auto body = [&](KernelBuilder &kb, ValueRange arguments, ValueRange at) {
    ValueRange scalars = arguments.slice(4, kAdamScalars);
    Value decay = arguments[4 + kAdamScalars];
    Value step = arguments[5 + kAdamScalars];
    unsigned out = 6 + kAdamScalars;
    Value w = kb.load(arguments[0], at);
    Value g = kb.load(arguments[1], at);
    std::array<Value, 3> r = adamUpdate(kb, scalars, kb.load(arguments[2], at),
                                        kb.load(arguments[3], at), g);
    kb.store(kb.sub(kb.mul(w, decay), kb.mul(step, r[2])), arguments[out], at);
    kb.store(r[0], arguments[out + 1], at);
    kb.store(r[1], arguments[out + 2], at);
  };
  return getOrCreateElementwise(library, loc, name, args, shape, body);
}
