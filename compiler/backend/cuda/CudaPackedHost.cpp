//===- CudaPackedHost.cpp - the packed (no padding) run of a CUDA library -===//
//
// bert_model_desc::run_packed for a CUDA library: the CPU's padding removal
// (PackedShape, bert_pack_tokens) with the rows moved on the device. The
// host lists the real tokens from the caller's mask (it has the mask
// before anything is copied) and uploads the bookkeeping in one copy: cu
// (each sequence's range of packed rows), tok (each packed row's padded
// row), pmask (its mask value) and inv (each padded row's packed row, or
// -1). The embeddings run padded into the lane's staging and
// bert_copy_rows gathers the packed rows; every other per-token call runs
// on the packed rows (M = rows); each attention runs its varlen variant
// over cu; after the last per-token call bert_copy_rows scatters each value
// a later reader needs padded into the staging (zeros at padding), where
// the per-sequence calls (pooler, heads) and the output copies read it.
// Gather and scatter go between distinct buffers, so no row races.
//
// CUDA graphs: the packed row count is rounded up to the GEMMs' largest
// row tile, which costs the GEMMs nothing (they compute whole tiles) and
// leaves few distinct launch shapes; a graph is captured per (batch, seq,
// rows), since the grids and extents depend on rows, and reads cu, tok,
// pmask and inv from the lane's device block, so one graph serves every
// batch of lengths with that many rows. The rows past the real tokens are
// copies of padded row 0 that no sequence's range covers: the attention
// never reads them, and its varlen variant writes them as zeros (cu[B]
// .. cu[B + 1] = rows), so the GEMMs after it read no memory nothing
// wrote (stale arena bytes: NaN on a GPU, or inf as 16-bit); the scatter
// skips them.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cuda/CudaHost.h"
#include "compiler/backend/cuda/CudaKernels.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::bert;
namespace cpu = ::bert::cpu;

namespace {

std::string num(int64_t v) { return std::to_string(v); }

/// One bert_copy_rows launch: `rows` rows of `width` elements (16-bit when
/// `half`), dst row r from src row idx[r] (src has `srcRows` rows).
void emitCopyRows(llvm::raw_ostream &os, const cuda::PackedLayout &layout,
                  const std::string &what, const std::string &idx,
                  const std::string &src, const std::string &srcRows,
                  const std::string &dst, const std::string &rows,
                  int64_t width, bool half) {
  const std::string w = num(width);
  cuda::Launch l = cuda::copyRowsLaunch(rows);
  os << "  { /* " << what << " */\n"
     << "    uint64_t p0 = " << idx << ";\n"
     << "    int64_t p0_e0 = " << rows << ", p0_s0 = 1;\n"
     << "    uint64_t p1 = " << src << ";\n"
     << "    int64_t p1_e0 = " << w << ", p1_s0 = 1, p1_e1 = " << srcRows
     << ", p1_s1 = " << w << ";\n"
     << "    uint64_t p2 = " << dst << ";\n"
     << "    int64_t p2_e0 = " << w << ", p2_s0 = 1, p2_e1 = " << rows
     << ", p2_s1 = " << w << ";\n"
     << "    void *params[] = {&p0, &p0_e0, &p0_s0, &p1, &p1_e0, &p1_s0, "
        "&p1_e1, &p1_s1,\n"
     << "                      &p2, &p2_e0, &p2_s0, &p2_e1, &p2_s1};\n"
     << "    BERT_CU(cu->cuLaunchKernel(g->fn[" << layout.copyRowsOf(half)
     << "], " << l.gridX << ", 1, 1, " << l.threads << ", 1, 1, 0,\n"
     << "                               stream, params, NULL));\n"
     << "  }\n";
}

/// The staging address of scattered value k.
std::string staged(const cuda::PackedLayout &layout, size_t k) {
  return "l->staging + " + num(4 * layout.scatterOffset[k]);
}

/// Whether scattered value k is still read from the staging by call
/// `call` (plan.calls.size(): by the output copies): the CPU scatters in
/// place, so a per-sequence call that writes the value's buffer replaces
/// it (the arena plan reuses slots), and later readers read that buffer.
bool stillStaged(const ModelPlan &plan, const cuda::PackedLayout &layout,
                 size_t k, size_t call) {
  for (size_t i = layout.shape.lastToken + 1; i < call; ++i)
    if (plan.calls[i].args.back().base == layout.shape.scatter[k].first)
      return false;
  return true;
}

} // namespace

cuda::PackedLayout cuda::packedLayout(const ModelPlan &plan) {
  PackedLayout l;
  l.shape = analyzePacked(plan);
  l.numFunctions = plan.kernels.size();
  if (!l.shape.ok)
    return l;
  l.ok = true;
  l.cells = plan.maxBatch * plan.maxSeq;
  // cu[0 .. B]: the sequences; cu[B + 1]: the rows the GEMMs compute.
  l.cuLen = (plan.maxBatch + 2 + 63) / 64 * 64;
  for (const KernelCall &call : plan.calls) {
    const auto &req = plan.kernels[call.kernel];
    if (std::holds_alternative<cpu::LinearSpec>(req.spec))
      l.rowTile = std::max<int64_t>(
          l.rowTile, std::get<::bert::CudaSchedule>(req.schedule).tileM);
  }
  int64_t width = 0;
  for (const auto &value : l.shape.scatter) {
    l.scatterOffset.push_back(l.cells * width);
    width += value.second;
  }
  l.stagingFloats =
      l.cells * std::max(width, plan.calls[l.shape.embeddings].resultWidth);
  for (size_t k = 0; k < plan.kernels.size(); ++k)
    if (std::holds_alternative<cpu::AttentionSpec>(plan.kernels[k].spec))
      l.varlen.push_back({k, l.numFunctions++});
  l.copyRows = l.numFunctions++;
  // The gather writes the embeddings' slot, the scatter reads each
  // scattered value's: of whatever type they are stored as.
  auto halfOf = [](bool bf16, bool f16) {
    return std::string(bf16 ? "bf16" : f16 ? "f16" : "");
  };
  const BufferArg &embedded = plan.calls[l.shape.embeddings].args.back();
  l.halfType = halfOf(embedded.isBF16, embedded.isF16);
  for (const auto &value : l.shape.scatter)
    if (l.halfType.empty())
      l.halfType = halfOf(value.first.isBF16, value.first.isF16);
  if (!l.halfType.empty())
    l.copyRowsHalf = l.numFunctions++;
  return l;
}

void cuda::emitPackedLaunch(llvm::raw_ostream &os, const ModelPlan &plan,
                            const PackedLayout &layout) {
  const PackedShape &shape = layout.shape;
  os << "/* The packed path's launches on lane l: the per-token calls on\n"
     << " * `rows` packed rows (bert_cuda_forward_packed's bookkeeping in "
        "the\n"
     << " * lane's pack block), the per-sequence calls on the padded values\n"
     << " * scattered into the staging. */\n"
     << "static int bert_cuda_launch_packed(bert_cuda_lane *l, int64_t "
        "batch,\n"
     << "                                   int64_t seq, int32_t rows) {\n"
     << "  bert_cuda_state *g = &bert_cuda;\n"
     << "  const bert_cuda_driver *cu = g->cu;\n"
     << "  const uint64_t *in = l->in, *out = l->out, arena = l->arena;\n"
     << "  void *stream = l->stream;\n"
     << "  const uint64_t offs = l->pack, tok = offs + " << 4 * layout.cuLen
     << ",\n"
     << "                 pmask = tok + " << 4 * layout.cells
     << ", inv = pmask + " << 4 * layout.cells << ";\n"
     << "  const int32_t B = (int32_t)batch, S = (int32_t)seq, M = rows;\n"
     << "  (void)in;\n  (void)out;\n  (void)arena;\n  (void)M;\n"
     << "  (void)tok;\n  (void)pmask;\n  (void)inv;\n";
  for (size_t i = 0; i < plan.calls.size(); ++i) {
    const KernelCall &call = plan.calls[i];
    std::vector<std::string> ptrs(call.args.size());
    size_t fn = call.kernel;
    std::string offsets;
    if (i == shape.embeddings) {
      ptrs.back() = "l->staging";
    } else if (std::holds_alternative<cpu::AttentionSpec>(
                   plan.kernels[call.kernel].spec)) {
      fn = llvm::find_if(layout.varlen, [&](const auto &v) {
             return v.first == call.kernel;
           })->second;
      ptrs[1] = "pmask";
      offsets = "offs";
    } else if (int maskArg = rowMaskArgument(plan, call); maskArg >= 0) {
      ptrs[maskArg] = "pmask";
    } else if (i > shape.lastToken) {
      // A per-sequence call reads the scattered values padded.
      for (size_t a = 0; a + 1 < call.args.size(); ++a)
        for (size_t k = 0; k < shape.scatter.size(); ++k)
          if (shape.scatter[k].first == call.args[a].base &&
              stillStaged(plan, layout, k, i))
            ptrs[a] = staged(layout, k);
    }
    emitLaunch(os, plan, call, fn, ptrs, offsets);
    if (i == shape.embeddings)
      emitCopyRows(os, layout,
                   "gather: packed row t from padded row tok[t] of the "
                   "embeddings",
                   "tok", "l->staging", "(int64_t)B * S",
                   devicePointer(call.args.back().base), "M", call.resultWidth,
                   call.args.back().isBF16 || call.args.back().isF16);
    if (i != shape.lastToken)
      continue;
    for (size_t k = 0; k < shape.scatter.size(); ++k) {
      const auto &[ref, width] = shape.scatter[k];
      emitCopyRows(os, layout,
                   "scatter " + commentSafe(devicePointer(ref)) +
                       ": padded row r from packed row inv[r], zeros at "
                       "padding",
                   "inv", devicePointer(ref), "M", staged(layout, k),
                   "(int64_t)B * S", width, ref.isBF16 || ref.isF16);
    }
  }
  os << "  return 0;\n}\n\n";
}

void cuda::emitPackedForward(llvm::raw_ostream &os, const ModelPlan &plan,
                             const PackedLayout &layout) {
  const int mask = plan.findInput("attention_mask");
  const std::string r = num(layout.rowTile);
  os << "/* bert_model_desc::run_packed on lane l: the real tokens of the\n"
     << " * caller's mask (bert_pack_tokens; position 0 of each row too),\n"
     << " * rounded up to " << r
     << " rows, their bookkeeping in one copy, the\n"
     << " * launches (a graph per (batch, seq, rows)), the outputs back. */\n"
     << "static int bert_cuda_forward_packed(bert_cuda_lane *l,\n"
     << "                                    const void *const *inputs,\n"
     << "                                    int64_t batch, int64_t seq,\n"
     << "                                    void *const *outputs) {\n"
     << "  const bert_cuda_driver *cu = bert_cuda.cu;\n"
     << "  const int32_t B = (int32_t)batch, S = (int32_t)seq;\n"
     << "  int32_t *offs = l->host_pack, *tok = offs + " << layout.cuLen
     << ",\n"
     << "          *pmask = tok + " << layout.cells << ", *inv = pmask + "
     << layout.cells << ";\n"
     << "  int32_t T, rows, t;\n"
     << "  int i;\n"
     << "  void *exec = NULL;\n";
  emitInputUploads(os, plan);
  os << "  T = bert_pack_tokens((const int32_t *)inputs[" << mask
     << "], batch, seq, tok, pmask,\n"
     << "                       offs);\n"
     << "  /* Whole row tiles of the GEMMs: free for them, and few shapes. */\n"
     << "  rows = (T + " << r << " - 1) / " << r << " * " << r << ";\n"
     << "  if (rows > B * S)\n    rows = B * S;\n"
     << "  for (t = T; t < rows; ++t) {\n"
     << "    tok[t] = 0; /* a copy of padded row 0, in no sequence */\n"
     << "    pmask[t] = 0;\n"
     << "  }\n"
     << "  offs[B + 1] = rows; /* the varlen attentions zero rows T .. rows "
        "*/\n"
     << "  for (t = 0; t < B * S; ++t)\n    inv[t] = -1;\n"
     << "  for (t = 0; t < T; ++t)\n    inv[tok[t]] = t;\n"
     << "  BERT_CU(cu->cuMemcpyHtoDAsync(\n"
     << "      l->pack, offs, (size_t)(" << layout.cuLen + 2 * layout.cells
     << " + B * S) * 4, l->stream));\n"
     << "  for (i = 0; l->graphs && i < l->num_packed; ++i)\n"
     << "    if (l->packed[i].batch == batch && l->packed[i].seq == seq &&\n"
     << "        l->packed[i].rows == rows)\n"
     << "      exec = l->packed[i].exec;\n"
     << "  if (l->graphs && !exec && l->num_packed < "
        "BERT_CUDA_PACKED_GRAPHS) {\n"
     << "    BERT_CU(bert_cuda_capture(l, batch, seq, rows, &exec));\n"
     << "    l->packed[l->num_packed].batch = batch;\n"
     << "    l->packed[l->num_packed].seq = seq;\n"
     << "    l->packed[l->num_packed].rows = rows;\n"
     << "    l->packed[l->num_packed++].exec = exec;\n"
     << "  }\n"
     << "  if (exec)\n"
     << "    BERT_CU(cu->cuGraphLaunch(exec, l->stream));\n"
     << "  else\n"
     << "    BERT_CU(bert_cuda_launch_packed(l, batch, seq, rows));\n";
  for (size_t o = 0; o < plan.outputs.size(); ++o) {
    std::string from = "l->out[" + num(o) + "]";
    for (size_t k = 0; k < layout.shape.scatter.size(); ++k)
      if (layout.shape.scatter[k].first.isOutput(int(o)) &&
          stillStaged(plan, layout, k, plan.calls.size()))
        from = staged(layout, k);
    os << "  BERT_CU(cu->cuMemcpyDtoHAsync(outputs[" << o << "], " << from
       << ", " << elements(plan.outputs[o], "B", "S")
       << " * 4,\n                                 l->stream));\n";
  }
  os << "  BERT_CU(cu->cuStreamSynchronize(l->stream));\n"
     << "  return 0;\n}\n\n";
}
