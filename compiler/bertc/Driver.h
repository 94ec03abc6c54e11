//===- Driver.h - the bertc command-line driver -----------------*- C++ -*-===//
//
// `bertc <command> <config.json> [options]`: the commands, their options and
// the compile flow (config -> frontend IR -> pass pipeline up to the stage
// asked for by --emit -> printed IR). bertc.cpp only calls `runBertc`.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BERTC_DRIVER_H
#define BERT_COMPILER_BERTC_DRIVER_H

namespace mlir::bert {

/// Runs bertc on the command line and returns the process exit code (see
/// ErrorCodes.h).
int runBertc(int argc, char **argv);

} // namespace mlir::bert

#endif // BERT_COMPILER_BERTC_DRIVER_H
