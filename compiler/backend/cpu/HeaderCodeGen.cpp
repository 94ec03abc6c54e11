//===- HeaderCodeGen.cpp - the C header of a ModelPlan's library ----------===//
//
// Writes the generated header a user includes: the model's facts, one
// comment line and index/shape macros per input and output, the precision
// and quantization scheme the kernels use, and the arena size. The host code
// (HostCodeGen.cpp) and this header describe the same plan.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/ModelPlan.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::bert;
namespace cpu = ::bert::cpu;

/// "[batch, seq, 768]": a shape with its dynamic dims named.
static std::string shapeText(const IOTensor &t) {
  std::string out = "[";
  for (size_t d = 0; d < t.dims.size(); ++d)
    out +=
        (d ? ", " : "") + (t.dims[d] == kDimBatch ? std::string("batch")
                           : t.dims[d] == kDimSeq ? std::string("seq")
                                                  : std::to_string(t.dims[d]));
  return out + "]";
}

/// The header's part on one table: a comment line per tensor, then its
/// index and shape as macros (NAME_<TENSOR>, ..._NUMEL(batch, seq)).
enum class IOTable { Inputs, Outputs };
static void emitIOMacros(llvm::raw_ostream &os, const std::string &upper,
                         IOTable which, const std::vector<IOTensor> &table) {
  const bool inputs = which == IOTable::Inputs;
  const char *kind = inputs ? "input" : "output";
  const std::string KIND = llvm::StringRef(kind).upper();
  os << "/* " << (inputs ? "Inputs" : "Outputs")
     << " of bert_run_named, in the order of bert_model_" << kind
     << "_info: */\n";
  for (size_t i = 0; i < table.size(); ++i) {
    const IOTensor &t = table[i];
    os << "/*   " << t.name << ": " << (t.isInt32 ? "int32 " : "float ")
       << shapeText(t);
    if (t.upperBound > 0)
      os << ", values in [0, " << t.upperBound << ")";
    if (t.isInt32)
      os << (t.required ? ", required"
                        : ", default " + std::to_string(t.defaultValue));
    os << " */\n";
  }
  os << "#define " << upper << "_NUM_" << KIND << "S " << table.size() << "\n";
  for (size_t i = 0; i < table.size(); ++i) {
    const IOTensor &t = table[i];
    std::string macro =
        upper + "_" + KIND + "_" + llvm::StringRef(t.name).upper();
    os << "#define " << macro << " " << i << "\n"
       << "#define " << macro << "_NAME " << cString(t.name) << "\n"
       << "#define " << macro << "_RANK " << t.dims.size() << "\n";
    std::string numel;
    for (int64_t d : t.dims)
      numel += (numel.empty() ? "" : " * ") +
               (d == kDimBatch ? std::string("(batch)")
                : d == kDimSeq ? std::string("(seq)")
                               : std::to_string(d));
    os << "#define " << macro << "_NUMEL(batch, seq) (" << numel << ")\n";
  }
  os << "\n";
}

/// The precision scheme, stated per linear module (the layer index as `*`,
/// so one line per op class) and for the attention: what
/// `--precision` and bert-int8-norm-inputs chose, read back from the
/// kernels the calls run, so the header cannot disagree with the library.
static void emitPrecision(llvm::raw_ostream &os, const std::string &upper,
                          const ModelPlan &plan) {
  std::vector<std::pair<std::string, std::string>> linears;
  int int8 = 0, bf16 = 0, f16 = 0, f32 = 0;
  int rotated = 0; // int8 linear calls with `hadamard`
  int amx = 0;     // linear calls whose sums come from AMX tiles
  // The attention's operand type: "" (fp32), "bf16" or "f16".
  const char *attention16 = "";
  std::vector<const KernelCall *> calls;
  for (const auto *list : {&plan.loadCalls, &plan.calls})
    for (const KernelCall &call : *list)
      calls.push_back(&call);
  for (const KernelCall *c : calls) {
    const KernelCall &call = *c;
    const auto &spec = plan.kernels[call.kernel].spec;
    if (const auto *a = std::get_if<cpu::AttentionSpec>(&spec))
      attention16 = a->bf16 ? "bf16" : a->f16 ? "f16" : attention16;
    const auto *l = std::get_if<cpu::LinearSpec>(&spec);
    if (!l)
      continue;
    std::string p = l->int8   ? "int8"
                    : l->bf16 ? "bf16"
                    : l->f16  ? "f16"
                              : "fp32";
    if (l->int8 && l->hadamard)
      p += ", Hadamard blocks of " + std::to_string(l->hadamard);
    (l->int8 ? int8 : l->bf16 ? bf16 : l->f16 ? f16 : f32) += 1;
    rotated += l->int8 && l->hadamard;
    amx += std::holds_alternative<::bert::AmxSchedule>(
        plan.kernels[call.kernel].schedule);
    // "bert.linear encoder.layer.3.output.dense" ->
    // "encoder.layer.*.output.dense"
    std::string name = call.name;
    if (llvm::StringRef(name).starts_with("bert.linear "))
      name = name.substr(12);
    std::string cls;
    for (size_t i = 0; i < name.size();) {
      bool index = (i == 0 || name[i - 1] == '.') && llvm::isDigit(name[i]);
      size_t j = i;
      while (index && j < name.size() && llvm::isDigit(name[j]))
        ++j;
      if (index && (j == name.size() || name[j] == '.')) {
        cls += '*';
        i = j;
      } else {
        cls += name[i++];
      }
    }
    if (llvm::none_of(linears, [&](const auto &e) { return e.first == cls; }))
      linears.push_back({cls, p});
  }
  const char *scheme = int8 ? "int8" : bf16 ? "bf16" : f16 ? "f16" : "fp32";
  os << "/* Precision scheme (bertc --precision " << scheme
     << "); linear layers by module:\n";
  for (const auto &[cls, p] : linears)
    os << " *   " << commentSafe(cls) << ": " << p << "\n";
  if (int8)
    os << " * int8: weights int8, symmetric per output channel (scale "
          "max|w|/127),\n"
       << " *   quantized by the runtime at load from the fp32 weights; "
          "activations\n"
       << " *   uint8, asymmetric per token (the row's range with 0 in it, a "
          "zero\n"
       << " *   point), quantized at every call; int32 sums; bias, activation "
          "and\n"
       << " *   result fp32.\n";
  if (rotated)
    os << " * Hadamard blocks of B: before quantizing, X and W are multiplied, "
          "block by\n"
       << " *   block along K, by the orthonormal Walsh-Hadamard matrix of "
          "order B (the\n"
       << " *   runtime rotates W at load, the kernel X at every call): the "
          "product is\n"
       << " *   unchanged, an outlier channel is spread over its block.\n";
  if (bf16)
    os << " * bf16: weights and activations rounded to bf16 (nearest even), "
          "fp32 sums.\n";
  if (f16)
    os << " * f16: weights and activations rounded to IEEE half (nearest "
          "even,\n"
       << " *   saturated to +-65504), fp32 sums.\n";
  // Which unit sums the linears: a library with AMX tiles runs only where
  // the CPU has them (bert_model_desc.needs_amx).
  if (amx)
    os << " * Products of " << amx << " of the " << int8 + bf16 + f16 + f32
       << " linear calls on AMX tiles (TDPBF16PS, TDPBUSD), the others\n"
       << " *   on vector dot products.\n";
  os << " * Attention: "
     << (*attention16 ? std::string("Q.K^T and P.V on ") + attention16 +
                            " operands, softmax fp32"
                      : std::string("fp32"))
     << "; LayerNorm, residuals, embeddings: fp32. */\n"
     << "#define " << upper << "_PRECISION \"" << scheme << "\"\n"
     << "#define " << upper << "_INT8_LINEARS " << int8 << "\n"
     << "#define " << upper << "_INT8_HADAMARD_LINEARS " << rotated << "\n"
     << "#define " << upper << "_BF16_LINEARS " << bf16 << "\n"
     << "#define " << upper << "_F16_LINEARS " << f16 << "\n"
     << "#define " << upper << "_FP32_LINEARS " << f32 << "\n"
     << "#define " << upper << "_AMX_LINEARS " << amx << "\n";
}

std::string mlir::bert::generateHeader(const ModelPlan &plan) {
  std::string upper = llvm::StringRef(plan.name).upper();
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* " << plan.name << ".h - generated by bertc. Do not edit.\n"
     << " *\n"
     << " * The model library lib" << plan.name << ".so / lib" << plan.name
     << ".a implements the C API of\n"
     << " * bert_runtime.h for this model; the constants below state what it "
        "was\n"
     << " * compiled for. Buffers are row-major; batch and seq are the "
        "call's.\n"
     << " */\n"
     << "#ifndef " << upper << "_H\n#define " << upper << "_H\n\n"
     << "#include \"bert_runtime.h\"\n\n";
  emitIOMacros(os, upper, IOTable::Inputs, plan.inputs);
  emitIOMacros(os, upper, IOTable::Outputs, plan.outputs);
  os << "#define " << upper << "_HIDDEN_SIZE " << plan.hidden << "\n"
     << "#define " << upper << "_NUM_LAYERS " << plan.layers << "\n"
     << "#define " << upper << "_NUM_HEADS " << plan.heads << "\n"
     << "#define " << upper << "_INTERMEDIATE_SIZE " << plan.intermediate
     << "\n"
     << "#define " << upper << "_VOCAB_SIZE " << plan.vocab << "\n"
     << "#define " << upper << "_TYPE_VOCAB_SIZE " << plan.typeVocab << "\n"
     << "#define " << upper << "_MAX_BATCH " << plan.maxBatch << "\n"
     << "#define " << upper << "_MAX_SEQ " << plan.maxSeq << "\n"
     << "/* Activation arena bytes per concurrent bert_run call. */\n"
     << "#define " << upper << "_ARENA_BYTES " << totalArenaBytes(plan) << "\n"
     << "#define " << upper << "_NUM_WEIGHT_TENSORS " << plan.slots.size()
     << "\n";
  emitPrecision(os, upper, plan);
  os << "\n#endif\n";
  return text;
}
