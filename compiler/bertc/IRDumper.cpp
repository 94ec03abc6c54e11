//===- IRDumper.cpp - bertc --dump-ir: one file per pass ------------------===//
//
// Module-scope snapshots after each pass: the driver disables multithreading
// when dumping, so the whole module is quiescent in runAfterPass. A pass that
// fails still gets its snapshot (`<nn>-<pass>.failed.mlir`, generic form,
// unverified), because that is the file one wants when debugging it.
//
//===----------------------------------------------------------------------===//

#include "compiler/bertc/IRDumper.h"
#include "compiler/bertc/GraphDump.h"
#include "support/ErrorCodes.h"

#include "mlir/Pass/Pass.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using llvm::Error;
using llvm::StringRef;

bool mlir::bert::isCountedPass(Pass *pass) {
  return !pass->getArgument().empty();
}

void mlir::bert::PassCounter::runAfterPass(Pass *pass, Operation *) {
  if (isCountedPass(pass))
    ++count;
}

static ModuleOp enclosingModule(Operation *op) {
  if (auto m = dyn_cast<ModuleOp>(op))
    if (!m->getParentOp())
      return m;
  while (op->getParentOp())
    op = op->getParentOp();
  return dyn_cast<ModuleOp>(op);
}

llvm::Expected<std::unique_ptr<mlir::bert::IRDumper>>
mlir::bert::IRDumper::create(StringRef dir, StringRef model,
                             OpPrintingFlags flags) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return makeError(ErrorCode::OutputFailed, dir, "--dump-ir",
                     "cannot create directory: " + ec.message());
  return std::unique_ptr<IRDumper>(new IRDumper(dir.str(), model.str(), flags));
}

Error mlir::bert::IRDumper::takeError() {
  if (!deferred)
    return Error::success();
  auto [file, message] = *deferred;
  deferred.reset();
  return makeError(ErrorCode::OutputFailed, file, "", message);
}

Error mlir::bert::IRDumper::writeSnapshot(StringRef name, ModuleOp module,
                                          bool failed) {
  unsigned number = snapshots.size();
  std::string file =
      llvm::formatv("{0:d2}-{1}{2}.mlir", number, name, failed ? ".failed" : "")
          .str();
  SmallString<256> path(dir);
  llvm::sys::path::append(path, file);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return makeError(ErrorCode::OutputFailed, path, "",
                     "cannot write file: " + ec.message());
  OpPrintingFlags f = flags;
  if (failed)
    f.printGenericOpForm().assumeVerified();
  module->print(os, f);
  os << "\n";
  snapshots.push_back({number, name.str(), file, failed});
  return Error::success();
}

Error mlir::bert::IRDumper::writeStagePicture(StringRef stage,
                                              unsigned passCount,
                                              ModuleOp module) {
  std::string base = llvm::formatv("{0:d2}-{1}", passCount, stage).str();
  SmallString<256> path(dir);
  llvm::sys::path::append(path, base);
  std::string title = (model + ": after stage '" + stage + "'").str();
  llvm::Expected<GraphFiles> files = writeGraphFiles(module, title, path);
  if (!files)
    return files.takeError();
  if (files->svgPath.empty())
    svg = false;
  pictures.push_back({stage.str(), passCount, base + ".dot",
                      files->svgPath.empty() ? "" : base + ".svg"});
  return Error::success();
}

Error mlir::bert::IRDumper::writeIndex() {
  SmallString<256> path(dir);
  llvm::sys::path::append(path, "index.html");
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return makeError(ErrorCode::OutputFailed, path, "",
                     "cannot write file: " + ec.message());
  os << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>bertc "
     << model << " IR dump</title>\n<style>body{font-family:sans-serif;"
     << "max-width:100%}img{max-width:100%;border:1px solid #ccc}</style>\n"
     << "</head><body>\n<h1>" << model << ": IR after each pass</h1>\n"
     << "<p>Orange boxes are fused kernels, blue boxes kernel-level ops, "
     << "white boxes high-level ops; weights are listed in small print "
     << "inside the op that reads them.</p>\n<h2>Passes</h2>\n<ol "
        "start=\"0\">\n";
  for (const Snapshot &s : snapshots)
    os << "<li><a href=\"" << s.file << "\">" << s.file << "</a>"
       << (s.failed ? " (pass failed)" : "") << "</li>\n";
  os << "</ol>\n<h2>Stages</h2>\n";
  for (const Picture &p : pictures) {
    std::string mlirFile;
    for (const Snapshot &s : snapshots)
      if (s.number == p.number)
        mlirFile = s.file;
    os << "<h3 id=\"" << p.stage << "\">" << p.stage << "</h3>\n<p>";
    if (!mlirFile.empty())
      os << "IR: <a href=\"" << mlirFile << "\">" << mlirFile << "</a> ";
    os << "graph: <a href=\"" << p.dot << "\">" << p.dot << "</a></p>\n";
    if (!p.svg.empty())
      os << "<img src=\"" << p.svg << "\" alt=\"" << p.stage << " graph\">\n";
    else
      os << "<p>(Graphviz <code>dot</code> was not found on PATH: render "
         << "with <code>dot -Tsvg " << p.dot << "</code>.)</p>\n";
  }
  os << "</body></html>\n";
  return Error::success();
}

namespace mlir::bert {
/// Snapshots the module after every counted pass.
class DumpInstrumentation : public PassInstrumentation {
public:
  explicit DumpInstrumentation(IRDumper &dumper) : dumper(dumper) {}

  void runAfterPass(Pass *pass, Operation *op) override {
    snapshot(pass, op, /*failed=*/false);
  }
  void runAfterPassFailed(Pass *pass, Operation *op) override {
    snapshot(pass, op, /*failed=*/true);
  }

private:
  void snapshot(Pass *pass, Operation *op, bool failed) {
    if (!isCountedPass(pass) || dumper.deferred)
      return;
    ModuleOp module = enclosingModule(op);
    if (!module)
      return;
    if (Error e = dumper.writeSnapshot(pass->getArgument(), module, failed))
      dumper.deferred = {std::string(), llvm::toString(std::move(e))};
  }

  IRDumper &dumper;
};
} // namespace mlir::bert

std::unique_ptr<PassInstrumentation>
mlir::bert::IRDumper::makeInstrumentation() {
  return std::make_unique<DumpInstrumentation>(*this);
}
