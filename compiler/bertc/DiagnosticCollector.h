//===- DiagnosticCollector.h - MLIR errors gathered into one message -*- C++
//-*-===//
//
// bertc reports every failure as one `bertc: error:` line with the
// diagnostics of the failed stage beneath it; this collects them.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BERTC_DIAGNOSTICCOLLECTOR_H
#define BERT_COMPILER_BERTC_DIAGNOSTICCOLLECTOR_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <utility>

namespace mlir::bert {

/// Collects error diagnostics (with their notes) into a string while in
/// scope; warnings and remarks go to stderr as they come.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext &ctx)
      : handler(&ctx, [this](Diagnostic &d) { return handle(d); }) {}
  std::string take() { return std::exchange(text, std::string()); }

private:
  LogicalResult handle(Diagnostic &d) {
    if (d.getSeverity() != DiagnosticSeverity::Error) {
      llvm::errs() << where(d)
                   << (d.getSeverity() == DiagnosticSeverity::Warning
                           ? "warning: "
                           : "remark: ")
                   << d << "\n";
      return success();
    }
    llvm::raw_string_ostream os(text);
    os << "\n  " << where(d) << d;
    for (Diagnostic &note : d.getNotes())
      os << "\n  " << where(note) << "note: " << note;
    return success();
  }

  /// "<loc>: ", or nothing for an unknown location.
  static std::string where(Diagnostic &d) {
    if (isa<UnknownLoc>(d.getLocation()))
      return "";
    std::string s;
    llvm::raw_string_ostream os(s);
    os << d.getLocation() << ": ";
    return s;
  }

  std::string text;
  ScopedDiagnosticHandler handler;
};

} // namespace mlir::bert

#endif // BERT_COMPILER_BERTC_DIAGNOSTICCOLLECTOR_H
