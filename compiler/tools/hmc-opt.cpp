//===- hmc-opt.cpp - run hm passes on .mlir text --------------------------===//

#include "hm/HMDialect.h"
#include "hm/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  hm::registerHMPasses();
  mlir::DialectRegistry registry;
  registry.insert<hm::HMDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "hmc optimizer driver\n", registry));
}
