//===- HostCodeGen.cpp - C host code and header for a ModelPlan -----------===//
//
// Writes the generated half of a model library as plain C99: one prototype
// per Halide kernel, the weight-slot table, a run() that wraps arena offsets
// and caller buffers in halide_buffer_t's and calls the kernels in order,
// and the `bert_generated_model` descriptor the runtime binds to. The code
// is meant to be read: each call carries the op and location it came from.
// This is the one place that turns a plan's buffer roles into C; logic that
// is not a kernel call (padding removal) is a runtime function it calls.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/ModelPlan.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::bert;

/// A C string literal for `s` (names and locations may hold quotes).
static std::string cString(llvm::StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out + "\"";
}

/// `*/` inside a generated comment would end it early.
static std::string commentSafe(std::string s) {
  for (size_t i = 0; (i = s.find("*/", i)) != std::string::npos;)
    s.replace(i, 2, "* /");
  return s;
}

namespace cpu = ::bert::cpu;

/// Whether call `call` of `plan` runs a kernel of spec `Spec`.
template <typename Spec>
static bool runs(const ModelPlan &plan, const KernelCall &call) {
  return std::holds_alternative<Spec>(plan.kernels[call.kernel].spec);
}

namespace {

/// The C expression of a buffer's base address inside run() and
/// run_packed(), whose parameters and locals these names are.
std::string cPointer(const BufferRef &ref) {
  switch (ref.role) {
  case BufferRef::Role::Input:
    switch (ref.input) {
    case ModelInput::InputIds:
      return "input_ids";
    case ModelInput::TokenTypeIds:
      return "token_type_ids";
    case ModelInput::AttentionMask:
      return "attention_mask";
    }
    break;
  case BufferRef::Role::Output:
    return ref.output == ModelOutput::LastHiddenState ? "last_hidden_state"
                                                      : "pooler_output";
  case BufferRef::Role::Arena:
    return "(float *)(arena_base + " + std::to_string(ref.arenaOffset) + ")";
  case BufferRef::Role::Weight:
    return "weights[" + std::to_string(ref.weightSlot) + "]";
  }
  llvm_unreachable("unknown buffer role");
}

/// How the packed (no padding) variant of run() reuses the planned calls:
/// the embeddings run padded into last_hidden_state and are gathered into
/// their slot; linears and layer norms run on the T packed rows (M = T);
/// attention runs once per sequence over its packed rows; the one call that
/// writes last_hidden_state writes the T packed rows at its front, which are
/// then scattered in place; the poolers after it read the padded layout.
struct PackedShape {
  bool ok = false;
  size_t embeddings = 0; ///< index of the embeddings call
  size_t lastWrite = 0;  ///< index of the call that writes last_hidden_state
};

PackedShape analyzePacked(const ModelPlan &plan) {
  PackedShape p;
  const ModelOutput lhs = ModelOutput::LastHiddenState;
  size_t numEmbeddings = 0, numWrites = 0;
  for (size_t i = 0; i < plan.calls.size(); ++i) {
    const KernelCall &call = plan.calls[i];
    const BufferRef &out = call.args.back().base;
    if (runs<cpu::EmbeddingsSpec>(plan, call)) {
      // Its packed rows are gathered into its own arena slot.
      if (i != 0 || out.role != BufferRef::Role::Arena)
        return p;
      p.embeddings = i;
      ++numEmbeddings;
      continue;
    }
    if (runs<cpu::PoolerSpec>(plan, call)) {
      // Reads the padded hidden state: only after the scatter.
      if (numWrites != 1 || !call.args.front().base.is(lhs))
        return p;
      continue;
    }
    if (numWrites != 0)
      return p; // a row-wise call after the scatter
    if (runs<cpu::AttentionSpec>(plan, call) &&
        !call.args[1].base.is(ModelInput::AttentionMask))
      return p;
    if (out.is(lhs)) {
      p.lastWrite = i;
      ++numWrites;
    }
  }
  p.ok = numEmbeddings == 1 && numWrites == 1;
  return p;
}

int64_t roundUp64(int64_t n) { return (n + 63) / 64 * 64; }

/// Arena bytes of the planned slots, then (packed variant only) the packed
/// token bookkeeping: tok[B*S], pmask[B*S], cu[B+1] int32, at the maxima.
int64_t packedExtraOffset(const ModelPlan &plan) {
  return roundUp64(std::max<int64_t>(plan.arenaBytes, 64));
}
int64_t totalArenaBytes(const ModelPlan &plan) {
  if (!analyzePacked(plan).ok)
    return std::max<int64_t>(plan.arenaBytes, 64);
  return packedExtraOffset(plan) +
         roundUp64(4 * (2 * plan.maxBatch * plan.maxSeq + plan.maxBatch + 1));
}

/// One kernel call: halide_buffer_t's over `pointers` (default: the
/// planned ones) and the call, in its own block, at `indent`.
void emitCall(llvm::raw_ostream &os, const ModelPlan &plan,
              const KernelCall &call, const std::string &indent,
              const std::vector<std::string> &pointers = {}) {
  os << indent << "{\n";
  for (size_t a = 0; a < call.args.size(); ++a) {
    const BufferArg &arg = call.args[a];
    os << indent << "  halide_dimension_t d" << a << "[" << arg.dims.size()
       << "] = {";
    for (size_t d = 0; d < arg.dims.size(); ++d)
      os << (d ? ", " : "") << "{0, " << arg.dims[d].first << ", "
         << arg.dims[d].second << ", 0}";
    os << "};\n";
  }
  os << indent << "  halide_buffer_t b[" << call.args.size() << "];\n"
     << indent << "  rc = " << plan.kernelSymbol(call.kernel) << "(";
  for (size_t a = 0; a < call.args.size(); ++a) {
    const BufferArg &arg = call.args[a];
    const std::string ptr = a < pointers.size() && !pointers[a].empty()
                                ? pointers[a]
                                : cPointer(arg.base);
    os << (a ? ",\n      " + indent : "") << "bert_buffer(&b[" << a << "], d"
       << a << ", " << arg.dims.size() << ", " << ptr << ", "
       << (arg.isInt32  ? "BERT_I32"
           : arg.isBF16 ? "BERT_BF16"
                        : "BERT_F32")
       << ")";
  }
  os << ");\n"
     << indent << "  if (rc != 0)\n"
     << indent << "    return rc;\n"
     << indent << "}\n";
}

/// The profile mark after call `index` (bert_model_abi.h), with `flops`
/// (a C expression) or the call's own count.
void emitMark(llvm::raw_ostream &os, const KernelCall &call, size_t index,
              const std::string &indent, const std::string &flops = "") {
  std::string f = !flops.empty()       ? flops
                  : call.flops.empty() ? std::string("0.0")
                                       : call.flops;
  os << indent << "bert_profile_mark(" << index << ", " << f << ");\n";
}

/// bert_run_packed: see bert_model_desc::run_packed. The runtime's
/// bert_pack_tokens, bert_gather_rows and bert_scatter_rows do the padding
/// removal; this writes only the kernel calls around them.
void emitRunPacked(llvm::raw_ostream &os, const ModelPlan &plan,
                   const PackedShape &shape) {
  const int64_t h = plan.hidden, cells = plan.maxBatch * plan.maxSeq;
  os << "/* The same calls without padding (bert_model_desc::run_packed) on\n"
     << " * the T tokens bert_pack_tokens lists: tok[t] is the padded row of\n"
     << " * packed token t, pmask[t] its mask value, cu[b]..cu[b+1] row b's\n"
     << " * packed range. Position 0 is a query even when it is padding (the\n"
     << " * pooler reads it) but never a key then (pmask 0). */\n"
     << "static int bert_run_packed(const float *const *weights, void *arena,\n"
     << "                           const int32_t *input_ids,\n"
     << "                           const int32_t *token_type_ids,\n"
     << "                           const int32_t *attention_mask, int64_t "
        "batch,\n"
     << "                           int64_t seq, float *last_hidden_state,\n"
     << "                           float *pooler_output) {\n"
     << "  char *arena_base = (char *)arena;\n"
     << "  const int32_t B = (int32_t)batch, S = (int32_t)seq;\n"
     << "  int32_t *tok = (int32_t *)(arena_base + " << packedExtraOffset(plan)
     << ");\n"
     << "  int32_t *pmask = tok + " << cells << ";\n"
     << "  int32_t *cu = pmask + " << cells << ";\n"
     << "  const int32_t T =\n"
     << "      bert_pack_tokens(attention_mask, batch, seq, tok, pmask, cu);\n"
     << "  const int32_t M = T;\n"
     << "  int rc = 0;\n"
     << "  double flops = 0.0;\n"
     << "  (void)M; (void)flops;\n";
  for (size_t i = 0; i < plan.calls.size(); ++i) {
    const KernelCall &call = plan.calls[i];
    os << "\n  /* " << commentSafe(call.comment) << " */\n";
    if (i == shape.embeddings) {
      os << "  /* padded into last_hidden_state, then gathered */\n";
      std::vector<std::string> ptrs(call.args.size());
      ptrs.back() = cPointer(BufferRef::of(ModelOutput::LastHiddenState));
      emitCall(os, plan, call, "  ", ptrs);
      emitMark(os, call, i, "  ");
      os << "  bert_gather_rows(" << cPointer(call.args.back().base) << ", "
         << ptrs.back() << ", tok, T, " << h << ");\n";
    } else if (runs<cpu::AttentionSpec>(plan, call)) {
      os << "  flops = 0.0;\n"
         << "  for (int32_t sb = 0; sb < B; ++sb) {\n"
         << "    /* one sequence: its packed rows as a batch of 1 */\n"
         << "    const int32_t off = cu[sb];\n"
         << "    const int32_t S = cu[sb + 1] - cu[sb], B = 1;\n";
      std::vector<std::string> ptrs = {
          "(" + cPointer(call.args[0].base) + ") + (size_t)off * " +
              std::to_string(3 * h),
          "pmask + off",
          "(" + cPointer(call.args[2].base) + ") + (size_t)off * " +
              std::to_string(h)};
      emitCall(os, plan, call, "    ", ptrs);
      os << "    flops += " << (call.flops.empty() ? "0.0" : call.flops)
         << ";\n"
         << "  }\n";
      emitMark(os, call, i, "  ", "flops");
    } else {
      emitCall(os, plan, call, "  ");
      emitMark(os, call, i, "  ");
    }
    if (i == shape.lastWrite)
      os << "  /* the T packed rows at the front of last_hidden_state to "
            "their\n"
         << "   * padded rows; rows not computed become zeros */\n"
         << "  bert_scatter_rows("
         << cPointer(BufferRef::of(ModelOutput::LastHiddenState))
         << ", tok, T, (int64_t)B * S, " << h << ");\n";
  }
  os << "  return 0;\n}\n\n";
}

} // namespace

std::string mlir::bert::generateHostSource(const ModelPlan &plan) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by bertc for model '" << plan.name << "' (family "
     << plan.family << "). Do not edit.\n"
     << " * Host code: calls the Halide kernels in order over the activation\n"
     << " * arena planned by bert-plan-buffers. Target: " << plan.target
     << ". */\n\n"
     << "#include <stdint.h>\n#include <string.h>\n\n"
     << "#include \"HalideRuntime.h\"\n#include \"bert_model_abi.h\"\n\n";

  // Exact prototypes: the argument count of a kernel is that of its calls.
  std::vector<size_t> arity(plan.kernels.size(), 0);
  for (const KernelCall &call : plan.calls)
    arity[call.kernel] = call.args.size();
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    os << "/* " << commentSafe(plan.kernels[i].key()) << " */\n"
       << "int " << plan.kernelSymbol(i) << "(";
    for (size_t a = 0; a < arity[i]; ++a)
      os << (a ? ", " : "") << "struct halide_buffer_t *";
    os << ");\n";
  }
  os << "\n";

  // Weight slots.
  for (size_t i = 0; i < plan.slots.size(); ++i) {
    const WeightSlot &s = plan.slots[i];
    os << "static const char *const bert_sources_" << i << "[] = {";
    for (size_t j = 0; j < s.sources.size(); ++j)
      os << (j ? ", " : "") << cString(s.sources[j]);
    os << "};\n";
  }
  os << "\nstatic const bert_weight_spec bert_weights[" << plan.slots.size()
     << "] = {\n";
  for (size_t i = 0; i < plan.slots.size(); ++i) {
    const WeightSlot &s = plan.slots[i];
    os << "  {.name = " << cString(s.name) << ",\n   .kind = "
       << (s.sources.size() > 1 ? "BERT_WEIGHT_CONCAT0" : "BERT_WEIGHT_DIRECT")
       << ", .num_sources = " << s.sources.size()
       << ", .sources = bert_sources_" << i
       << ",\n   .rank = " << s.shape.size() << ", .shape = {";
    llvm::interleaveComma(s.shape, os);
    os << "}, .panel_width = " << s.panelWidth
       << ", .bf16_row_stride = " << s.bf16RowStride << "},\n";
  }
  os << "};\n\n";

  // What bert_model_profile_report prints.
  os << "static const char *const bert_kernel_names[" << plan.kernels.size()
     << "] = {\n";
  for (const auto &k : plan.kernels)
    os << "  " << cString(k.key()) << ",\n";
  os << "};\n\nstatic const int bert_call_kernel[" << plan.calls.size()
     << "] = {";
  for (size_t i = 0; i < plan.calls.size(); ++i)
    os << (i % 16 ? " " : "\n  ") << plan.calls[i].kernel << ",";
  os << "\n};\n\nstatic const char *const bert_call_names[" << plan.calls.size()
     << "] = {\n";
  for (const KernelCall &call : plan.calls)
    os << "  " << cString(call.name) << ",\n";
  os << "};\n\n";

  os << "enum { BERT_F32, BERT_I32, BERT_BF16 };\n"
        "static halide_buffer_t *bert_buffer(halide_buffer_t *b, "
        "halide_dimension_t *dims,\n"
        "                                  int rank, const void *host, int "
        "elem) {\n"
        "  memset(b, 0, sizeof *b);\n"
        "  b->host = (uint8_t *)host;\n"
        "  b->type.code = elem == BERT_I32    ? halide_type_int\n"
        "                 : elem == BERT_BF16 ? halide_type_bfloat\n"
        "                                     : halide_type_float;\n"
        "  b->type.bits = elem == BERT_BF16 ? 16 : 32;\n"
        "  b->type.lanes = 1;\n"
        "  b->dimensions = rank;\n"
        "  b->dim = dims;\n"
        "  return b;\n"
        "}\n\n";

  os << "static size_t bert_arena_bytes(int64_t batch, int64_t seq) {\n"
     << "  /* Slots are planned for the maxima; smaller calls use a prefix of "
        "each. */\n"
     << "  (void)batch;\n  (void)seq;\n"
     << "  return " << totalArenaBytes(plan) << ";\n}\n\n";

  os << "static int bert_run(const float *const *weights, void *arena,\n"
     << "                    const int32_t *input_ids, const int32_t "
        "*token_type_ids,\n"
     << "                    const int32_t *attention_mask, int64_t batch, "
        "int64_t seq,\n"
     << "                    float *last_hidden_state, float *pooler_output) "
        "{\n"
     << "  char *arena_base = (char *)arena;\n"
     << "  const int32_t B = (int32_t)batch, S = (int32_t)seq, M = B * S;\n"
     << "  int rc = 0;\n"
     << "  (void)arena_base; (void)M;\n";
  for (size_t i = 0; i < plan.calls.size(); ++i) {
    const KernelCall &call = plan.calls[i];
    os << "\n  /* " << commentSafe(call.comment) << " */\n";
    emitCall(os, plan, call, "  ");
    emitMark(os, call, i, "  ");
  }
  os << "  return 0;\n}\n\n";

  PackedShape packed = analyzePacked(plan);
  if (packed.ok)
    emitRunPacked(os, plan, packed);

  os << "static void bert_set_num_threads(int n) { halide_set_num_threads(n); "
        "}\n\n";

  // Designated initializers: a field of bert_model_desc that moves or is
  // added cannot silently take another field's value.
  os << "const bert_model_desc bert_generated_model = {\n"
     << "    .abi_version = BERT_MODEL_ABI_VERSION,\n"
     << "    .model_name = " << cString(plan.name) << ",\n"
     << "    .hidden_size = " << plan.hidden << ",\n"
     << "    .num_layers = " << plan.layers << ",\n"
     << "    .num_heads = " << plan.heads << ",\n"
     << "    .intermediate_size = " << plan.intermediate << ",\n"
     << "    .vocab_size = " << plan.vocab << ",\n"
     << "    .type_vocab_size = " << plan.typeVocab << ",\n"
     << "    .max_batch = " << plan.maxBatch << ",\n"
     << "    .max_seq = " << plan.maxSeq << ",\n";
  // The kernels make no alignment assumption beyond a float's (no
  // set_host_alignment), so every F32 tensor of the file (safetensors data
  // is often only 16-byte aligned) is used in place.
  os << "    .weight_alignment = 4,\n"
     << "    .num_weights = " << plan.slots.size() << ",\n"
     << "    .weights = bert_weights,\n"
     << "    .arena_bytes = bert_arena_bytes,\n"
     << "    .run = bert_run,\n"
     << "    .set_num_threads = bert_set_num_threads,\n"
     << "    .run_packed = " << (packed.ok ? "bert_run_packed" : "NULL")
     << ",\n"
     << "    .needs_amx = " << (plan.needsAMX ? 1 : 0) << ",\n"
     << "    .num_kernels = " << plan.kernels.size() << ",\n"
     << "    .kernel_names = bert_kernel_names,\n"
     << "    .num_calls = " << plan.calls.size() << ",\n"
     << "    .call_kernel = bert_call_kernel,\n"
     << "    .call_names = bert_call_names,\n"
     << "};\n";
  return text;
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
     << " * compiled for. Buffers passed to bert_run are row-major:\n"
     << " *   input_ids, token_type_ids, attention_mask: int32 [batch, seq]\n"
     << " *   last_hidden_state: float [batch, seq, " << upper
     << "_HIDDEN_SIZE]\n"
     << " *   pooler_output:     float [batch, " << upper << "_HIDDEN_SIZE]\n"
     << " */\n"
     << "#ifndef " << upper << "_H\n#define " << upper << "_H\n\n"
     << "#include \"bert_runtime.h\"\n\n"
     << "#define " << upper << "_HIDDEN_SIZE " << plan.hidden << "\n"
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
     << "\n\n#endif\n";
  return text;
}
