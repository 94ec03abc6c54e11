//===- HostCodeGen.cpp - C host code and header for a ModelPlan -----------===//
//
// Writes the generated half of a model library as plain C99: one prototype
// per Halide kernel, the weight-slot table, a run() that wraps arena offsets
// and caller buffers in halide_buffer_t's and calls the kernels in order,
// and the `bert_generated_model` descriptor the runtime binds to (the
// header is HeaderCodeGen.cpp's). The code
// is meant to be read: each call carries the op and location it came from.
// This is the one place that turns a plan's buffer roles into C; logic that
// is not a kernel call (padding removal) is a runtime function it calls.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/ModelPlan.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace mlir;
using namespace mlir::bert;

std::string mlir::bert::cString(llvm::StringRef s) {
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

std::string mlir::bert::commentSafe(std::string s) {
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

int mlir::bert::rowMaskArgument(const ModelPlan &plan, const KernelCall &call) {
  if (runs<cpu::MaskRowsSpec>(plan, call))
    return 1;
  if (const auto *add =
          std::get_if<cpu::AddSpec>(&plan.kernels[call.kernel].spec))
    return add->masked ? 2 : -1;
  return -1;
}

namespace {

/// The C local that holds input or output `name` inside run() and
/// run_packed(): the name itself (so the code reads "attention_mask"),
/// unless it could shadow a name the generated code uses.
std::string ioLocal(const std::string &name) {
  static const char *const reserved[] = {
      "B",     "S",     "M",       "T",      "rc",      "tok",     "pmask",
      "cu",    "flops", "off",     "sb",     "b",       "arena",   "arena_base",
      "batch", "seq",   "weights", "inputs", "outputs", "int32_t", "int64_t"};
  bool clash = llvm::StringRef(name).starts_with("bert_") ||
               llvm::StringRef(name).starts_with("halide_") ||
               (name.size() > 1 && name[0] == 'd' &&
                llvm::all_of(name.substr(1), llvm::isDigit));
  for (const char *r : reserved)
    clash = clash || name == r;
  return clash ? "io_" + name : name;
}

/// The C expression of a buffer's base address inside run() and
/// run_packed(), whose parameters and locals these names are.
std::string cPointer(const ModelPlan &plan, const BufferRef &ref) {
  switch (ref.role) {
  case BufferRef::Role::Input:
    return ioLocal(plan.inputs[ref.index].name);
  case BufferRef::Role::Output:
    return ioLocal(plan.outputs[ref.index].name);
  case BufferRef::Role::Arena:
    return "(float *)(arena_base + " + std::to_string(ref.arenaOffset) + ")";
  case BufferRef::Role::Weight:
    if (ref.byteOffset)
      return "(const char *)weights[" + std::to_string(ref.weightSlot) +
             "] + " + std::to_string(ref.byteOffset);
    return "weights[" + std::to_string(ref.weightSlot) + "]";
  }
  llvm_unreachable("unknown buffer role");
}

} // namespace

PackedShape mlir::bert::analyzePacked(const ModelPlan &plan) {
  PackedShape p;
  const int mask = plan.findInput("attention_mask");
  if (mask < 0 || plan.calls.empty())
    return p;
  size_t numEmbeddings = 0;
  bool batchPhase = false;
  std::vector<std::pair<BufferRef, int64_t>> tokenValues;
  for (size_t i = 0; i < plan.calls.size(); ++i) {
    const KernelCall &call = plan.calls[i];
    const BufferRef &out = call.args.back().base;
    // XLNet's relative attention runs per sequence on its packed rows, with
    // the mask and the token types gathered alongside.
    if (runs<cpu::RelativeAttentionSpec>(plan, call)) {
      if (!call.args[2].base.isInput(mask) ||
          call.args[3].base.role != BufferRef::Role::Input)
        return p;
      p.relative = true;
      p.types = call.args[3].base;
    }
    if (runs<cpu::EmbeddingsSpec>(plan, call)) {
      // Its packed rows are gathered into its own arena slot.
      if (i != 0 || out.role != BufferRef::Role::Arena)
        return p;
      p.embeddings = i;
      ++numEmbeddings;
    }
    if (!call.perToken) {
      p.readsLastToken |= !call.args[0].elementOffset.empty();
      // Reads per-token values in the padded layout: they are scattered
      // first; only arena values and outputs can be.
      for (size_t a = 0; a + 1 < call.args.size(); ++a)
        for (const auto &value : tokenValues)
          if (value.first == call.args[a].base) {
            if (value.first.role != BufferRef::Role::Arena &&
                value.first.role != BufferRef::Role::Output)
              return p;
            if (!llvm::is_contained(p.scatter, value))
              p.scatter.push_back(value);
          }
      batchPhase = true;
      continue;
    }
    if (batchPhase)
      return p; // a per-token call after the scatter
    // Attention and the row-masking kernels read the mask, which the
    // packed rows have as pmask.
    int maskArg =
        runs<cpu::AttentionSpec>(plan, call) ? 1 : rowMaskArgument(plan, call);
    if (maskArg >= 0 && !call.args[maskArg].base.isInput(mask))
      return p;
    p.lastToken = i;
    // The arena plan reuses slots: a value written where an earlier one
    // lived replaces it (only the latest can still be read).
    llvm::erase_if(tokenValues,
                   [&](const auto &value) { return value.first == out; });
    tokenValues.push_back({out, call.resultWidth});
    if (out.role == BufferRef::Role::Output &&
        !llvm::is_contained(p.scatter, tokenValues.back()))
      p.scatter.push_back(tokenValues.back());
  }
  // Every per-token output is computed by a per-token call, so scattered.
  for (size_t o = 0; o < plan.outputs.size(); ++o)
    if (plan.outputs[o].perToken() &&
        llvm::none_of(p.scatter,
                      [&](const auto &v) { return v.first.isOutput(o); }))
      return p;
  const int64_t width = plan.calls[p.embeddings].resultWidth;
  for (const auto &value : p.scatter)
    if (value.first.role == BufferRef::Role::Output && value.second >= width) {
      p.paddedInto = value.first;
      break;
    }
  p.ok = numEmbeddings == 1;
  return p;
}

namespace {

int64_t roundUp64(int64_t n) { return (n + 63) / 64 * 64; }

/// Arena bytes of the planned slots, then (packed variant only) the packed
/// token bookkeeping: tok[B*S], pmask[B*S], cu[B+1] int32, at the maxima,
/// and with relative attention the packed token types ptypes[B*S].
int64_t packedExtraOffset(const ModelPlan &plan) {
  return roundUp64(std::max<int64_t>(plan.arenaBytes, 64));
}
} // namespace

int64_t mlir::bert::totalArenaBytes(const ModelPlan &plan) {
  PackedShape shape = analyzePacked(plan);
  if (!shape.ok)
    return std::max<int64_t>(plan.arenaBytes, 64);
  const int64_t cells = plan.maxBatch * plan.maxSeq;
  return packedExtraOffset(plan) +
         roundUp64(4 * ((shape.relative ? 3 : 2) * cells + plan.maxBatch + 1));
}

namespace {

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
    std::string ptr = a < pointers.size() && !pointers[a].empty()
                          ? pointers[a]
                          : cPointer(plan, arg.base);
    if (!arg.elementOffset.empty())
      ptr = "(" + ptr + ") + " + arg.elementOffset;
    os << (a ? ",\n      " + indent : "") << "bert_buffer(&b[" << a << "], d"
       << a << ", " << arg.dims.size() << ", " << ptr << ", "
       << (arg.isInt32  ? "BERT_I32"
           : arg.isBF16 ? "BERT_BF16"
           : arg.isInt8 ? "BERT_I8"
                        : "BERT_F32")
       << ")";
  }
  os << ");\n"
     << indent << "  if (rc != 0)\n"
     << indent << "    return rc;\n"
     << indent << "}\n";
}

/// XLNet's packing, after bert_pack_real_tokens (which returns -1 when a
/// row's real tokens are not one contiguous run: packing them would change
/// their distances): the padded run instead for such a batch, or when the
/// sequence summary reads a last position that is padding (the packed path
/// leaves it zero); else the packed token types beside pmask.
void emitRelativePacking(llvm::raw_ostream &os, const ModelPlan &plan,
                         const PackedShape &shape, const std::string &mask) {
  os << "  int fallback = T < 0;\n";
  if (shape.readsLastToken)
    os << "  for (int32_t sb = 0; sb < B; ++sb)\n"
       << "    fallback |= " << mask << "[(size_t)sb * S + S - 1] == 0;\n";
  os << "  if (fallback)\n"
     << "    return bert_run(weights, arena, inputs, batch, seq, outputs);\n"
     << "  int32_t *ptypes = cu + " << plan.maxBatch + 1 << ";\n"
     << "  for (int32_t t = 0; t < T; ++t)\n"
     << "    ptypes[t] = " << cPointer(plan, *shape.types) << "[tok[t]];\n";
}

/// bert_run_packed: see bert_model_desc::run_packed. The runtime's
/// bert_pack_tokens, bert_gather_rows and bert_scatter_rows do the padding
/// removal; this writes only the kernel calls around them.
void emitRunPacked(llvm::raw_ostream &os, const ModelPlan &plan,
                   const PackedShape &shape) {
  const int64_t h = plan.hidden, cells = plan.maxBatch * plan.maxSeq;
  const std::string mask =
      ioLocal(plan.inputs[plan.findInput("attention_mask")].name);
  os << "/* The same calls without padding (bert_model_desc::run_packed) on\n"
     << " * the T tokens "
     << (shape.relative ? "bert_pack_real_tokens" : "bert_pack_tokens")
     << " lists: tok[t] is the padded row of\n"
     << " * packed token t, pmask[t] its mask value, cu[b]..cu[b+1] row b's\n"
     << (shape.relative
             ? " * packed range (real tokens only). */\n"
             : " * packed range. Position 0 is a query even when it is padding "
               "(the\n"
               " * pooler reads it) but never a key then (pmask 0). */\n");
  emitRunHead(os, plan, "bert_run_packed");
  os << "  int32_t *tok = (int32_t *)(arena_base + " << packedExtraOffset(plan)
     << ");\n"
     << "  int32_t *pmask = tok + " << cells << ";\n"
     << "  int32_t *cu = pmask + " << cells << ";\n"
     << "  const int32_t T =\n"
     << "      "
     << (shape.relative ? "bert_pack_real_tokens(" : "bert_pack_tokens(")
     << mask << ", batch, seq, tok, pmask, cu);\n";
  if (shape.relative)
    emitRelativePacking(os, plan, shape, mask);
  os << "  const int32_t M = T;\n"
     << "  double flops = 0.0;\n"
     << "  (void)M; (void)flops;\n";
  for (size_t i = 0; i < plan.calls.size(); ++i) {
    const KernelCall &call = plan.calls[i];
    os << "\n  /* " << commentSafe(call.comment) << " */\n";
    if (i == shape.embeddings) {
      std::vector<std::string> ptrs(call.args.size());
      const std::string slot = cPointer(plan, call.args.back().base);
      ptrs.back() = shape.paddedInto ? cPointer(plan, *shape.paddedInto) : slot;
      os << "  /* padded into " << ptrs.back() << ", then gathered */\n";
      emitCall(os, plan, call, "  ", ptrs);
      emitMark(os, call, i, "  ");
      os << "  bert_gather_rows(" << slot << ", " << ptrs.back() << ", tok, T, "
         << call.resultWidth << ");\n";
    } else if (runs<cpu::RelativeAttentionSpec>(plan, call)) {
      // kr computed at load already offsets by its own S (elementOffset).
      const bool krAtLoad = !call.args[1].elementOffset.empty();
      os << "  for (int32_t sb = 0; sb < B; ++sb) {\n"
         << "    /* one sequence: its real tokens as a batch of 1, and the\n"
         << "     * 2S distance rows of its own length: rows "
         << (krAtLoad ? "max_seq" : "seq") << " - S .. */\n"
         << "    const int32_t off = cu[sb];\n"
         << "    const int32_t S = cu[sb + 1] - cu[sb], B = 1;\n";
      std::vector<std::string> ptrs(call.args.size());
      ptrs[0] = "(" + cPointer(plan, call.args[0].base) + ") + (size_t)off * " +
                std::to_string(3 * h);
      if (!krAtLoad)
        ptrs[1] = "(" + cPointer(plan, call.args[1].base) +
                  ") + (size_t)(seq - S) * " + std::to_string(h);
      ptrs[2] = "pmask + off";
      ptrs[3] = "ptypes + off";
      ptrs.back() = "(" + cPointer(plan, call.args.back().base) +
                    ") + (size_t)off * " + std::to_string(h);
      emitCall(os, plan, call, "    ", ptrs);
      os << "  }\n";
      emitMark(os, call, i, "  ");
    } else if (runs<cpu::AttentionSpec>(plan, call)) {
      os << "  flops = 0.0;\n"
         << "  for (int32_t sb = 0; sb < B; ++sb) {\n"
         << "    /* one sequence: its packed rows as a batch of 1 */\n"
         << "    const int32_t off = cu[sb];\n"
         << "    const int32_t S = cu[sb + 1] - cu[sb], B = 1;\n";
      std::vector<std::string> ptrs = {
          "(" + cPointer(plan, call.args[0].base) + ") + (size_t)off * " +
              std::to_string(3 * h),
          "pmask + off",
          "(" + cPointer(plan, call.args[2].base) + ") + (size_t)off * " +
              std::to_string(h)};
      emitCall(os, plan, call, "    ", ptrs);
      os << "    flops += " << (call.flops.empty() ? "0.0" : call.flops)
         << ";\n"
         << "  }\n";
      emitMark(os, call, i, "  ", "flops");
    } else if (int maskArg = rowMaskArgument(plan, call); maskArg >= 0) {
      // The T packed rows and their mask values.
      std::vector<std::string> ptrs(maskArg + 1);
      ptrs[maskArg] = "pmask";
      emitCall(os, plan, call, "  ", ptrs);
      emitMark(os, call, i, "  ");
    } else {
      emitCall(os, plan, call, "  ");
      emitMark(os, call, i, "  ");
    }
    if (i != shape.lastToken)
      continue;
    for (const auto &[ref, width] : shape.scatter)
      os << "  /* the T packed rows at the front of "
         << commentSafe(cPointer(plan, ref)) << " to their\n"
         << "   * padded rows; rows not computed become zeros */\n"
         << "  bert_scatter_rows(" << cPointer(plan, ref)
         << ", tok, T, (int64_t)B * S, " << width << ");\n";
  }
  os << "  return 0;\n}\n\n";
}

/// bert_prepare (bert_model_desc::prepare): the load-time calls once, at
/// B = 1 and S = max_seq, into their computed slots. They read no input's
/// values (bert-mark-load-time admits none), only shapes: each input local
/// points to zeros.
void emitPrepare(llvm::raw_ostream &os, const ModelPlan &plan) {
  // Serially: Halide's pool never shrinks once it has spawned its workers,
  // so kernels run here at the default thread count would make a later
  // bert_model_set_num_threads(m, 1) ineffective (test: xlnet-threads).
  os << "/* Values that depend only on the weights and max_seq "
        "(bert.load_time),\n"
     << " * computed once after the weights are built; run() reads the "
        "window\n"
     << " * of its length. One thread: a pool spawned at load would outlive "
        "a\n"
     << " * later bert_model_set_num_threads(). */\n"
     << "static int bert_prepare_calls(const float *const *weights, "
        "void *arena) {\n"
     << "  static const int32_t no_input[" << plan.maxSeq << "];\n";
  for (const IOTensor &t : plan.inputs)
    os << "  const int32_t *" << ioLocal(t.name) << " = no_input;\n"
       << "  (void)" << ioLocal(t.name) << ";\n";
  os << "  char *arena_base = (char *)arena;\n"
     << "  const int32_t B = 1, S = " << plan.maxSeq << ", M = B * S;\n"
     << "  int rc = 0;\n"
     << "  (void)arena_base; (void)B; (void)S; (void)M;\n";
  for (const KernelCall &call : plan.loadCalls) {
    os << "\n  /* " << commentSafe(call.comment) << " */\n";
    emitCall(os, plan, call, "  ");
  }
  os << "  return rc;\n}\n\n"
     << "static int bert_prepare(const float *const *weights, void *arena) {\n"
     << "  int threads = halide_set_num_threads(1);\n"
     << "  int rc = bert_prepare_calls(weights, arena);\n"
     << "  halide_set_num_threads(threads);\n"
     << "  return rc;\n}\n\n";
}

/// The descriptor's table of inputs or outputs (bert_io_spec).
void emitIOTable(llvm::raw_ostream &os, const std::string &var,
                 const std::vector<IOTensor> &table) {
  os << "static const bert_io_spec " << var << "[" << table.size() << "] = {\n";
  for (const IOTensor &t : table) {
    os << "  {.name = " << cString(t.name)
       << ", .dtype = " << (t.isInt32 ? "BERT_ABI_INT32" : "BERT_ABI_FLOAT32")
       << ", .rank = " << t.dims.size() << ",\n   .dims = {";
    for (size_t d = 0; d < t.dims.size(); ++d)
      os << (d ? ", " : "")
         << (t.dims[d] == kDimBatch ? std::string("BERT_ABI_DIM_BATCH")
             : t.dims[d] == kDimSeq ? std::string("BERT_ABI_DIM_SEQ")
                                    : std::to_string(t.dims[d]));
    os << "}, .upper_bound = " << t.upperBound
       << ", .required = " << (t.required ? 1 : 0)
       << ", .default_value = " << t.defaultValue << "},\n";
  }
  os << "};\n\n";
}

} // namespace

void mlir::bert::emitMark(llvm::raw_ostream &os, const KernelCall &call,
                          size_t index, const std::string &indent,
                          const std::string &flops) {
  std::string f = !flops.empty()       ? flops
                  : call.flops.empty() ? std::string("0.0")
                                       : call.flops;
  os << indent << "bert_profile_mark(" << index << ", " << f << ");\n";
}

void mlir::bert::emitRunHead(llvm::raw_ostream &os, const ModelPlan &plan,
                             const std::string &fn) {
  const std::string pad(fn.size() + 12, ' ');
  os << "static int " << fn << "(const float *const *weights, void *arena,\n"
     << pad << "const void *const *inputs, int64_t batch, int64_t seq,\n"
     << pad << "void *const *outputs) {\n";
  for (size_t i = 0; i < plan.inputs.size(); ++i) {
    std::string local = ioLocal(plan.inputs[i].name);
    os << "  const int32_t *" << local << " = (const int32_t *)inputs[" << i
       << "];\n";
  }
  for (size_t i = 0; i < plan.outputs.size(); ++i) {
    std::string local = ioLocal(plan.outputs[i].name);
    os << "  float *" << local << " = (float *)outputs[" << i << "];\n";
  }
  // Inputs no kernel reads (yet) must not warn.
  for (const auto *table : {&plan.inputs, &plan.outputs})
    for (const IOTensor &t : *table)
      os << "  (void)" << ioLocal(t.name) << ";\n";
  os << "  char *arena_base = (char *)arena;\n"
     << "  const int32_t B = (int32_t)batch, S = (int32_t)seq;\n"
     << "  int rc = 0;\n"
     << "  (void)arena_base;\n";
}

void mlir::bert::emitModelTables(llvm::raw_ostream &os, const ModelPlan &plan,
                                 int64_t arenaBytes) {
  // Weight slots.
  for (size_t i = 0; i < plan.slots.size(); ++i) {
    const WeightSlot &s = plan.slots[i];
    if (s.sources.empty())
      continue; // computed at load: no file tensor
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
       << (s.from == WeightSlot::From::Transposed  ? "BERT_WEIGHT_CONCAT0_T"
           : s.from == WeightSlot::From::Flattened ? "BERT_WEIGHT_FLAT2D"
           : s.from == WeightSlot::From::Computed  ? "BERT_WEIGHT_COMPUTED"
           : s.sources.size() > 1                  ? "BERT_WEIGHT_CONCAT0"
                                                   : "BERT_WEIGHT_DIRECT")
       << ", .num_sources = " << s.sources.size() << ", .sources = "
       << (s.sources.empty() ? "NULL" : "bert_sources_" + std::to_string(i))
       << ",\n   .rank = " << s.shape.size() << ", .shape = {";
    llvm::interleaveComma(s.shape, os);
    os << "}, .panel_width = " << s.panelWidth
       << ", .bf16_row_stride = " << s.bf16RowStride
       << ", .int8_row_stride = " << s.int8RowStride
       << ", .int8_hadamard_block = " << s.int8Hadamard << "},\n";
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

  os << "static size_t bert_arena_bytes(int64_t batch, int64_t seq) {\n"
     << "  /* Slots are planned for the maxima; smaller calls use a prefix of "
        "each. */\n"
     << "  (void)batch;\n  (void)seq;\n"
     << "  return " << arenaBytes << ";\n}\n\n";

  emitIOTable(os, "bert_inputs", plan.inputs);
  emitIOTable(os, "bert_outputs", plan.outputs);
}

void mlir::bert::emitModelDescriptor(llvm::raw_ostream &os,
                                     const ModelPlan &plan,
                                     const DescriptorFunctions &fns) {
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
     << "    .num_inputs = " << plan.inputs.size() << ",\n"
     << "    .inputs = bert_inputs,\n"
     << "    .num_outputs = " << plan.outputs.size() << ",\n"
     << "    .outputs = bert_outputs,\n"
     << "    .run = " << fns.run << ",\n"
     << "    .set_num_threads = " << fns.setNumThreads << ",\n"
     << "    .run_packed = " << fns.runPacked << ",\n"
     << "    .needs_amx = " << (plan.needsAMX ? 1 : 0) << ",\n"
     << "    .num_kernels = " << plan.kernels.size() << ",\n"
     << "    .kernel_names = bert_kernel_names,\n"
     << "    .num_calls = " << plan.calls.size() << ",\n"
     << "    .call_kernel = bert_call_kernel,\n"
     << "    .call_names = bert_call_names,\n"
     << "    .device = " << fns.device << ",\n"
     << "    .run_device = " << fns.runDevice << ",\n"
     << "    .device_workspace_bytes = " << fns.deviceWorkspaceBytes << ",\n"
     << "    .device_acquire = " << fns.deviceAcquire << ",\n"
     << "    .device_release = " << fns.deviceRelease << ",\n"
     << "    .prepare = " << fns.prepare << ",\n"
     << "    .packs_real_tokens = " << (fns.packsRealTokens ? 1 : 0) << ",\n"
     << "};\n";
}

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

  os << "enum { BERT_F32, BERT_I32, BERT_BF16, BERT_I8 };\n"
        "static halide_buffer_t *bert_buffer(halide_buffer_t *b, "
        "halide_dimension_t *dims,\n"
        "                                  int rank, const void *host, int "
        "elem) {\n"
        "  memset(b, 0, sizeof *b);\n"
        "  b->host = (uint8_t *)host;\n"
        "  b->type.code = elem == BERT_I32    ? halide_type_int\n"
        "                 : elem == BERT_I8   ? halide_type_int\n"
        "                 : elem == BERT_BF16 ? halide_type_bfloat\n"
        "                                     : halide_type_float;\n"
        "  b->type.bits = elem == BERT_BF16 ? 16 : elem == BERT_I8 ? 8 : 32;\n"
        "  b->type.lanes = 1;\n"
        "  b->dimensions = rank;\n"
        "  b->dim = dims;\n"
        "  return b;\n"
        "}\n\n";

  emitModelTables(os, plan, totalArenaBytes(plan));
  emitRunHead(os, plan, "bert_run");
  os << "  const int32_t M = B * S;\n"
     << "  (void)M;\n";
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
  if (!plan.loadCalls.empty())
    emitPrepare(os, plan);

  os << "static void bert_set_num_threads(int n) { halide_set_num_threads(n); "
        "}\n\n";

  DescriptorFunctions fns{"bert_run", packed.ok ? "bert_run_packed" : "NULL",
                          "bert_set_num_threads", "BERT_ABI_DEVICE_CPU"};
  fns.prepare = plan.loadCalls.empty() ? "NULL" : "bert_prepare";
  fns.packsRealTokens = packed.ok && packed.relative;
  emitModelDescriptor(os, plan, fns);
  return text;
}
