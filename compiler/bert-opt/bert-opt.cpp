//===- bert-opt.cpp - bert optimizer driver -------------------------------===//
//
// mlir-opt for the bert dialect: parses bert IR, runs any bert pass or
// pipeline, prints the result. All `--mlir-*` debugging flags come with
// MlirOptMain. Used by the lit tests.
//
//===----------------------------------------------------------------------===//

#include "dialect/BertOps.h"
#include "passes/Passes.h"
#include "passes/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::bert::registerBertPasses();
  mlir::bert::registerBertPipelines();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();

  mlir::DialectRegistry registry;
  registry.insert<mlir::bert::BertDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "bert optimizer driver\n", registry));
}
