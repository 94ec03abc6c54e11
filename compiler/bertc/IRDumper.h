//===- IRDumper.h - bertc --dump-ir: one file per pass ----------*- C++ -*-===//
//
// Writes the IR of a compilation into a directory, in order:
//
//   00-frontend.mlir          the module the frontend built
//   01-bert-split-heads.mlir  the module after each pass of the pipeline
//   ...
//   <nn>-<stage>.dot/.svg     a picture at the end of each stage, numbered
//                             like the pass file it shows
//   index.html                the stages in order, with links and pictures
//
// Pass files come from a PassInstrumentation, so they follow whatever
// pipeline the driver built; nothing here knows the pass list.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BERTC_IRDUMPER_H
#define BERT_COMPILER_BERTC_IRDUMPER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::bert {

class IRDumper {
public:
  /// Creates `dir` (and parents) for a dump of model `model`.
  static llvm::Expected<std::unique_ptr<IRDumper>>
  create(llvm::StringRef dir, llvm::StringRef model,
         mlir::OpPrintingFlags flags);

  /// Writes `<nn>-<name>.mlir` with the next number (00 for the first).
  llvm::Error writeSnapshot(llvm::StringRef name, mlir::ModuleOp module,
                            bool failed = false);

  /// Writes the stage picture `<nn>-<stage>.dot` (+ .svg) of `module`, where
  /// `passCount` is the number of passes run to reach the stage.
  llvm::Error writeStagePicture(llvm::StringRef stage, unsigned passCount,
                                mlir::ModuleOp module);

  /// Writes index.html over everything written so far.
  llvm::Error writeIndex();

  /// An instrumentation that snapshots the module after every pass. Errors
  /// writing files are kept and returned by `takeError`.
  std::unique_ptr<mlir::PassInstrumentation> makeInstrumentation();

  /// The first error the instrumentation met, if any.
  llvm::Error takeError();

  /// Whether pictures were rendered to SVG (Graphviz found).
  bool renderedSVG() const { return svg; }

private:
  IRDumper(std::string dir, std::string model, mlir::OpPrintingFlags flags)
      : dir(std::move(dir)), model(std::move(model)), flags(flags) {}

  struct Snapshot {
    unsigned number;
    std::string pass, file;
    bool failed;
  };
  struct Picture {
    std::string stage;
    unsigned number;
    std::string dot, svg; ///< file names relative to dir
  };

  std::string dir, model;
  mlir::OpPrintingFlags flags;
  std::vector<Snapshot> snapshots;
  std::vector<Picture> pictures;
  bool svg = true;
  /// First error met inside the instrumentation, where it cannot be
  /// returned: (file, message).
  std::optional<std::pair<std::string, std::string>> deferred;

  friend class DumpInstrumentation;
};

/// A PassInstrumentation that counts the passes run (adaptors excluded), to
/// number stage pictures without knowing the pipeline.
class PassCounter : public mlir::PassInstrumentation {
public:
  explicit PassCounter(unsigned &count) : count(count) {}
  void runAfterPass(mlir::Pass *pass, mlir::Operation *op) override;

private:
  unsigned &count;
};

/// True for a pass that is a real transformation (not a pipeline adaptor).
bool isCountedPass(mlir::Pass *pass);

} // namespace mlir::bert

#endif // BERT_COMPILER_BERTC_IRDUMPER_H
