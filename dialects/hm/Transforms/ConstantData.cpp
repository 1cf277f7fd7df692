//===- ConstantData.cpp ---------------------------------------------------===//

#include "hm/ConstantData.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace hm {

std::optional<std::vector<double>> getConstantValues(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto type = cast<ShapedType>(constant.getType());
  Type element = type.getElementType();
  std::vector<double> result;
  result.reserve(type.getNumElements());
  if (auto resource =
          dyn_cast<DenseResourceElementsAttr>(constant.getValue())) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    auto read = [&](auto sample) {
      using T = decltype(sample);
      if (data.size() != type.getNumElements() * sizeof(T))
        return false;
      const T *p = reinterpret_cast<const T *>(data.data());
      for (int64_t i = 0; i < type.getNumElements(); ++i)
        result.push_back(static_cast<double>(p[i]));
      return true;
    };
    bool ok = element.isF32()         ? read(float())
              : element.isF64()       ? read(double())
              : element.isInteger(32) ? read(int32_t())
              : element.isInteger(64) ? read(int64_t())
                                      : false;
    if (!ok)
      return std::nullopt;
    return result;
  }
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense)
    return std::nullopt;
  if (isa<FloatType>(element)) {
    for (APFloat v : dense.getValues<APFloat>())
      result.push_back(v.convertToDouble());
  } else if (element.isInteger(1)) {
    for (bool v : dense.getValues<bool>())
      result.push_back(v ? 1.0 : 0.0);
  } else if (isa<IntegerType>(element)) {
    for (APInt v : dense.getValues<APInt>())
      result.push_back(static_cast<double>(v.getSExtValue()));
  } else {
    return std::nullopt;
  }
  return result;
}

std::optional<double> getScalarConstant(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || !(dense.isSplat() || dense.getNumElements() == 1))
    return std::nullopt;
  if (isa<FloatType>(dense.getElementType()))
    return dense.getSplatValue<APFloat>().convertToDouble();
  if (auto integer = dyn_cast<IntegerType>(dense.getElementType())) {
    APInt v = dense.getSplatValue<APInt>();
    return static_cast<double>(integer.getWidth() == 1 ? v.getZExtValue()
                                                       : v.getSExtValue());
  }
  return std::nullopt;
}

ConstantOp createFloat32Constant(OpBuilder &builder, Location loc,
                                 ArrayRef<int64_t> shape,
                                 ArrayRef<double> values, StringRef name) {
  std::vector<float> data(values.begin(), values.end());
  auto type = RankedTensorType::get(shape, builder.getF32Type());
  auto attr = DenseResourceElementsAttr::get(
      type, name,
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(data)));
  return builder.create<ConstantOp>(loc, attr);
}

} // namespace hm
