//===- DimNames.cpp - how a value's dims are spelled ----------------------===//

#include "hm/DimNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace hm {

using namespace mlir;

std::optional<SmallVector<Attribute>> dimNames(Value value) {
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    auto dims =
        func ? func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "hm.dims")
             : ArrayAttr();
    if (!dims)
      return std::nullopt;
    return SmallVector<Attribute>(dims.begin(), dims.end());
  }
  Operation *op = value.getDefiningOp();
  if (auto reshape = dyn_cast<ReshapeOp>(op))
    return SmallVector<Attribute>(reshape.getShape().begin(),
                                  reshape.getShape().end());
  if (isa<CastOp, NotOp>(op))
    return dimNames(op->getOperand(0));
  // A comparison has the dims of an operand of its own shape (m == 0).
  if (isa<EqualOp, LessOp, LessEqualOp>(op))
    for (Value operand : op->getOperands())
      if (cast<ShapedType>(operand.getType()).getShape() ==
          cast<ShapedType>(value.getType()).getShape())
        if (auto names = dimNames(operand))
          return names;
  if (auto transpose = dyn_cast<TransposeOp>(op)) {
    auto input = dimNames(transpose.getInput());
    if (!input)
      return std::nullopt;
    SmallVector<Attribute> names;
    for (int64_t axis : transpose.getPerm())
      names.push_back((*input)[axis]);
    return names;
  }
  return std::nullopt;
}

} // namespace hm
