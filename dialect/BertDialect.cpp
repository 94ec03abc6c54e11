//===- BertDialect.cpp - bert dialect registration and attributes ---------===//
//
// Registers ops and attributes, and verifies the discardable attributes the
// dialect owns (schedules, arena slots, the function-level maxima and the
// module's model facts), so that a hand-written test cannot pin a malformed
// schedule.
//
//===----------------------------------------------------------------------===//

#include "dialect/BertOps.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::bert;

#include "dialect/BertDialect.cpp.inc"
#include "dialect/BertEnums.cpp.inc"

/// Parses `[1, 2, 3]` (possibly `[]`) for list parameters of attributes.
static FailureOr<SmallVector<int64_t>> parseBracketedIntList(AsmParser &p) {
  SmallVector<int64_t> values;
  if (failed(p.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        return p.parseInteger(values.emplace_back());
      })))
    return failure();
  return values;
}

static void printBracketedIntList(AsmPrinter &p, ArrayRef<int64_t> values) {
  p << '[';
  llvm::interleaveComma(values, p);
  p << ']';
}

#define GET_ATTRDEF_CLASSES
#include "dialect/BertAttrs.cpp.inc"

void BertDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/BertOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialect/BertAttrs.cpp.inc"
      >();
}

LogicalResult ScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   StringRef kernel, ArrayRef<int64_t> tile,
                                   int64_t vectorWidth, int64_t unroll,
                                   ArrayRef<int64_t> parallel,
                                   ArrayRef<int64_t> threads,
                                   StringRef target) {
  if (kernel.empty())
    return emitError() << "schedule needs a kernel name";
  for (int64_t t : tile)
    if (t <= 0)
      return emitError() << "schedule tile sizes must be positive, got " << t;
  if (vectorWidth < 1 || !llvm::isPowerOf2_64(vectorWidth))
    return emitError() << "schedule vector_width must be a power of two, got "
                       << vectorWidth;
  if (unroll < 1)
    return emitError() << "schedule unroll must be at least 1, got " << unroll;
  for (int64_t p : parallel)
    if (p < 0 || p >= static_cast<int64_t>(tile.size()))
      return emitError() << "schedule parallel loop " << p
                         << " is not one of the " << tile.size()
                         << " tiled loops";
  for (int64_t t : threads)
    if (t <= 0)
      return emitError() << "schedule thread counts must be positive, got "
                         << t;
  return success();
}

LogicalResult BufferAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t offset, int64_t bytes) {
  if (offset < 0 || offset % 64 != 0)
    return emitError() << "buffer offset must be a non-negative multiple of "
                          "64 bytes, got "
                       << offset;
  if (bytes <= 0)
    return emitError() << "buffer size must be positive, got " << bytes;
  return success();
}

LogicalResult
ModelFactsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       StringRef family, int64_t layers, int64_t hidden,
                       int64_t heads, int64_t intermediate, int64_t vocab,
                       int64_t typeVocab) {
  if (family.empty())
    return emitError() << "model facts need a family";
  std::pair<const char *, int64_t> sizes[] = {
      {"layers", layers}, {"hidden", hidden},
      {"heads", heads},   {"intermediate", intermediate},
      {"vocab", vocab},   {"type_vocab", typeVocab}};
  for (auto [name, value] : sizes)
    if (value <= 0)
      return emitError() << "model facts: " << name << " must be positive, got "
                         << value;
  if (hidden % heads != 0)
    return emitError() << "model facts: heads (" << heads
                       << ") must divide hidden (" << hidden << ")";
  return success();
}

/// Function-level facts the frontend and passes record; each must be a
/// positive integer.
static bool isModelIntegerAttr(StringRef name) {
  return name == "bert.max_batch" || name == "bert.max_seq" ||
         name == "bert.arena_bytes";
}

LogicalResult BertDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  if (name == getScheduleAttrName()) {
    if (!isa<ScheduleAttr>(attr.getValue()))
      return op->emitError()
             << "'" << name << "' must be a #bert.schedule attribute";
    return success();
  }
  if (name == getBufferAttrName()) {
    if (!isa<BufferAttr>(attr.getValue()))
      return op->emitError()
             << "'" << name << "' must be a #bert.buffer attribute";
    if (op->getNumResults() != 1)
      return op->emitError()
             << "'" << name << "' needs an op with exactly one result";
    return success();
  }
  if (isModelIntegerAttr(name)) {
    auto value = dyn_cast<IntegerAttr>(attr.getValue());
    if (!value || value.getInt() <= 0)
      return op->emitError()
             << "'" << name << "' must be a positive integer attribute";
    return success();
  }
  if (name == getModelFactsAttrName()) {
    if (!isa<ModelFactsAttr>(attr.getValue()))
      return op->emitError()
             << "'" << name << "' must be a #bert.model_facts attribute";
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'" << name << "' belongs on the module";
    return success();
  }
  if (name == "bert.model") {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'bert.model' must be a string attribute";
    return success();
  }
  return op->emitError() << "unknown bert dialect attribute '" << name << "'";
}
