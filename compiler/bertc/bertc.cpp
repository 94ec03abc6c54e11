//===- bertc.cpp - the bert compiler driver -------------------------------===//
//
// Entry point of `bertc`; the commands and the compile flow live in
// Driver.cpp so that this file stays a main().
//
//===----------------------------------------------------------------------===//

#include "compiler/bertc/Driver.h"

#include "llvm/Support/InitLLVM.h"

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  return mlir::bert::runBertc(argc, argv);
}
