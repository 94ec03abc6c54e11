//===- BertDialect.cpp - bert dialect registration and attributes ---------===//
//
// Registers ops and attributes, and verifies the discardable attributes the
// dialect owns (schedules, arena slots, the function-level maxima and the
// module's model facts), so that a hand-written test cannot pin a malformed
// schedule.
//
//===----------------------------------------------------------------------===//

#include "dialect/BertOps.h"
#include "dialect/LoadTime.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::bert;

#include "dialect/BertAttrInterfaces.cpp.inc"
#include "dialect/BertDialect.cpp.inc"
#include "dialect/BertEnums.cpp.inc"

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

//===----------------------------------------------------------------------===//
// Schedules: one attribute per family, each over its struct of Schedules.h,
// parsed, printed and verified through the struct's field table.
//===----------------------------------------------------------------------===//

/// `<f1 = v1, f2 = v2, ...[, target = "t"]>`, the fields in table order.
template <typename Attr, typename S>
static Attribute parseSchedule(AsmParser &p) {
  S value;
  std::string target;
  if (p.parseLess())
    return {};
  bool first = true;
  for (const auto &f : S::fields) {
    if (!first && p.parseComma())
      return {};
    first = false;
    if (p.parseKeyword(f.name) || p.parseEqual() ||
        p.parseInteger(value.*f.member))
      return {};
  }
  if (succeeded(p.parseOptionalComma()) &&
      (p.parseKeyword("target") || p.parseEqual() || p.parseString(&target)))
    return {};
  if (p.parseGreater())
    return {};
  return Attr::getChecked([&] { return p.emitError(p.getNameLoc()); },
                          p.getContext(), value, target);
}

template <typename S>
static void printSchedule(AsmPrinter &p, const S &value, StringRef target) {
  p << '<';
  bool first = true;
  for (const auto &f : S::fields) {
    p << (first ? "" : ", ") << f.name << " = " << value.*f.member;
    first = false;
  }
  if (!target.empty()) {
    p << ", target = ";
    p.printString(target);
  }
  p << '>';
}

template <typename S>
static LogicalResult
verifyScheduleFields(function_ref<InFlightDiagnostic()> emitError,
                     const S &value) {
  std::string problem = ::bert::verifySchedule(value);
  if (!problem.empty())
    return emitError() << S::kind << " schedule: " << problem;
  return success();
}

#define BERT_SCHEDULE_ATTR_METHODS(Attr, Struct)                               \
  Attribute Attr::parse(AsmParser &p, Type) {                                  \
    return parseSchedule<Attr, Struct>(p);                                     \
  }                                                                            \
  void Attr::print(AsmPrinter &p) const {                                      \
    printSchedule(p, getValue(), getTarget());                                 \
  }                                                                            \
  LogicalResult Attr::verify(function_ref<InFlightDiagnostic()> emitError,     \
                             Struct value, StringRef) {                        \
    return verifyScheduleFields(emitError, value);                             \
  }
BERT_SCHEDULE_ATTR_METHODS(GemmScheduleAttr, ::bert::GemmSchedule)
BERT_SCHEDULE_ATTR_METHODS(AmxScheduleAttr, ::bert::AmxSchedule)
BERT_SCHEDULE_ATTR_METHODS(AttentionScheduleAttr, ::bert::AttentionSchedule)
BERT_SCHEDULE_ATTR_METHODS(RowScheduleAttr, ::bert::RowSchedule)
BERT_SCHEDULE_ATTR_METHODS(CudaScheduleAttr, ::bert::CudaSchedule)
#undef BERT_SCHEDULE_ATTR_METHODS

ScheduleAttrInterface mlir::bert::getScheduleAttr(
    function_ref<InFlightDiagnostic()> emitError, MLIRContext *ctx,
    const ::bert::KernelSchedule &schedule, StringRef target) {
  return std::visit(
      [&](const auto &value) -> ScheduleAttrInterface {
        using S = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<S, ::bert::GemmSchedule>)
          return GemmScheduleAttr::getChecked(emitError, ctx, value, target);
        else if constexpr (std::is_same_v<S, ::bert::AmxSchedule>)
          return AmxScheduleAttr::getChecked(emitError, ctx, value, target);
        else if constexpr (std::is_same_v<S, ::bert::AttentionSchedule>)
          return AttentionScheduleAttr::getChecked(emitError, ctx, value,
                                                   target);
        else if constexpr (std::is_same_v<S, ::bert::CudaSchedule>)
          return CudaScheduleAttr::getChecked(emitError, ctx, value, target);
        else
          return RowScheduleAttr::getChecked(emitError, ctx, value, target);
      },
      schedule);
}

StringRef mlir::bert::expectedScheduleKinds(Operation *op) {
  return llvm::TypeSwitch<Operation *, StringRef>(op)
      .Case([](LinearOp o) {
        // bf16 and i8 linears take AMX tiles (TDPBF16PS, TDPBUSD).
        return o.getPrecision() == Precision::bf16 ||
                       o.getPrecision() == Precision::i8
                   ? "gemm or amx"
                   : "gemm";
      })
      .Case<PoolerOp, BatchMatmulOp>([](auto) { return "gemm"; })
      .Case<FusedAttentionOp, RelativeAttentionOp>(
          [](auto) { return "attention"; })
      .Case<LayerNormOp, AddLayerNormOp, EmbeddingsLayerNormOp, EmbeddingsOp,
            MaskedSoftmaxOp, GeluOp, ActivationOp, AddOp, UnstackOp, MaskRowsOp,
            AddMaskRowsOp, RelativePositionsOp>([](auto) { return "row"; })
      .Default([](Operation *) { return ""; });
}

bool mlir::bert::takesScheduleKind(Operation *op, StringRef kind) {
  SmallVector<StringRef, 2> kinds;
  StringRef expected = expectedScheduleKinds(op);
  // The CUDA backend tiles every kernel with one kind of schedule.
  if (kind == ::bert::CudaSchedule::kind)
    return !expected.empty();
  expected.split(kinds, " or ");
  return !kind.empty() && llvm::is_contained(kinds, kind);
}

ScheduleAttrInterface mlir::bert::getSchedule(Operation *op) {
  return op->getAttrOfType<ScheduleAttrInterface>(
      BertDialect::getScheduleAttrName());
}

LogicalResult BufferAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t offset, int64_t bytes, Type element) {
  if (element && !element.isBF16() && !element.isF16())
    return emitError() << "buffer element must be bf16 or f16 (absent: the "
                          "tensor's own type), got "
                       << element;
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
  std::pair<const char *, int64_t> sizes[] = {{"layers", layers},
                                              {"hidden", hidden},
                                              {"heads", heads},
                                              {"intermediate", intermediate},
                                              {"vocab", vocab}};
  for (auto [name, value] : sizes)
    if (value <= 0)
      return emitError() << "model facts: " << name << " must be positive, got "
                         << value;
  // 0: the family has no token types (DistilBERT).
  if (typeVocab < 0)
    return emitError() << "model facts: type_vocab must be 0 or more, got "
                       << typeVocab;
  if (hidden % heads != 0)
    return emitError() << "model facts: heads (" << heads
                       << ") must divide hidden (" << hidden << ")";
  return success();
}

/// Function-level facts the frontend and passes record; each must be a
/// positive integer (bert.n_langs: XLM's languages, the langs bound).
static bool isModelIntegerAttr(StringRef name) {
  return name == "bert.max_batch" || name == "bert.max_seq" ||
         name == "bert.arena_bytes" || name == "bert.n_langs";
}

LogicalResult BertDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  if (name == getScheduleAttrName()) {
    auto schedule = dyn_cast<ScheduleAttrInterface>(attr.getValue());
    if (!schedule)
      return op->emitError() << "'" << name
                             << "' must be a schedule attribute "
                                "(#bert.gemm_schedule, ...)";
    StringRef expected = expectedScheduleKinds(op);
    if (expected.empty())
      return op->emitError() << "'" << name
                             << "' on an op that is not a "
                                "runtime kernel";
    StringRef kind = ::bert::scheduleKind(schedule.getSchedule());
    if (takesScheduleKind(op, kind))
      return success();
    return op->emitError() << "'" << name << "' is a schedule of kind " << kind
                           << "; this op takes " << expected;
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
  if (name == getCoreAttrName()) {
    auto facts = dyn_cast<DictionaryAttr>(attr.getValue());
    auto positive = [&](StringRef field) {
      auto v = facts ? facts.getAs<IntegerAttr>(field) : IntegerAttr();
      return v && v.getInt() > 0;
    };
    auto targetClass =
        facts ? facts.getAs<StringAttr>("target_class") : StringAttr();
    if (!facts || !isa<FunctionOpInterface>(op) || facts.size() != 5 ||
        !positive("fma_latency") || !positive("fma_pipes") ||
        !positive("vector_width") || !facts.getAs<BoolAttr>("fma_measured") ||
        !targetClass || targetClass.getValue().empty())
      return op->emitError()
             << "'" << name
             << "' must be {fma_latency, fma_pipes, vector_width: positive "
                "integers; fma_measured: bool; target_class: a non-empty "
                "string} on a function";
    return success();
  }
  if (name == kLoadTimeAttrName) {
    // On a kernel op, not a function: the op runs once, at load.
    if (!isa<UnitAttr>(attr.getValue()) || isa<FunctionOpInterface>(op))
      return op->emitError()
             << "'" << name << "' must be a unit attribute on an op";
    return success();
  }
  if (name == "bert.model" || name == "bert.architecture") {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << name << "' must be a string attribute";
    return success();
  }
  if (name == "bert.output_names") {
    // The function's results as transformers names them, one per result.
    auto names = dyn_cast<ArrayAttr>(attr.getValue());
    auto fn = dyn_cast<FunctionOpInterface>(op);
    if (!names || !fn ||
        !llvm::all_of(names, [](Attribute a) { return isa<StringAttr>(a); }))
      return op->emitError()
             << "'" << name << "' must be an array of strings on a function";
    if (names.size() != fn.getNumResults())
      return op->emitError()
             << "'" << name << "' names " << names.size() << " outputs for "
             << fn.getNumResults() << " results";
    llvm::StringSet<> seen;
    for (Attribute a : names)
      if (!seen.insert(cast<StringAttr>(a).getValue()).second)
        return op->emitError() << "'" << name << "' repeats \""
                               << cast<StringAttr>(a).getValue() << "\"";
    return success();
  }
  return op->emitError() << "unknown bert dialect attribute '" << name << "'";
}
