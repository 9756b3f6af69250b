//===- OutlineUpdates.cpp - one function per distinct parameter update ----===//

#include "optgraph/Dialect/Optim/IR/OptimOps.h"
#include "optgraph/Dialect/Optim/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace optgraph::optim {
#define GEN_PASS_DEF_OPTIMOUTLINEUPDATES
#include "optgraph/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace optgraph::optim

using namespace mlir;
using namespace optgraph::optim;

namespace {

/// What makes two updates the same function: the op, its operand types and
/// its attributes (inherent and discardable).
std::string updateKey(Operation *op) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << op->getName() << "(";
  llvm::interleaveComma(op->getOperandTypes(), os);
  os << ")" << op->getPropertiesAsAttribute()
     << op->getDiscardableAttrDictionary();
  return key;
}

/// A readable base name: lowrank_adamw_512x512_r128, adamw_1024.
std::string updateName(Operation *op) {
  std::string name;
  llvm::raw_string_ostream os(name);
  os << op->getName().stripDialect() << "_";
  llvm::interleave(
      cast<RankedTensorType>(op->getOperand(0).getType()).getShape(), os, "x");
  if (auto lowRank = dyn_cast<LowRankAdamWOp>(op))
    os << "_r" << lowRank.getRank();
  return name;
}

struct OptimOutlineUpdatesPass
    : public optgraph::optim::impl::OptimOutlineUpdatesBase<
          OptimOutlineUpdatesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> updates;
    module.walk([&](Operation *op) {
      if (isa<AdamWOp, LowRankAdamWOp>(op))
        updates.push_back(op);
    });
    SymbolTable symbols(module);
    llvm::StringMap<func::FuncOp> functions;
    for (Operation *op : updates) {
      func::FuncOp &callee = functions[updateKey(op)];
      if (!callee) {
        OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
        callee =
            func::FuncOp::create(builder, op->getLoc(), updateName(op),
                                 builder.getFunctionType(op->getOperandTypes(),
                                                         op->getResultTypes()));
        callee.setPrivate();
        symbols.insert(callee); // Renames on a collision.
        Block *entry = callee.addEntryBlock();
        builder.setInsertionPointToStart(entry);
        IRMapping mapping;
        mapping.map(op->getOperands(), entry->getArguments());
        Operation *clone = builder.clone(*op, mapping);
        func::ReturnOp::create(builder, op->getLoc(), clone->getResults());
      }
      OpBuilder builder(op);
      auto call = func::CallOp::create(builder, op->getLoc(), callee,
                                       op->getOperands());
      op->replaceAllUsesWith(call.getResults());
      op->erase();
    }
  }
};

} // namespace
