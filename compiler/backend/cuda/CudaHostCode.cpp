//===- CudaHostCode.cpp - the C host code of a CUDA model library ---------===//
//
// The host half of a CUDA library: the same descriptor as a CPU library
// (bert_model_abi.h, device = BERT_ABI_DEVICE_CUDA), whose run() takes the
// caller's host buffers, and on first use sets up the GPU through the
// runtime's driver table (bert_cuda_driver.h): the primary context, the
// embedded fatbin as a module, a stream, device copies of the weights, and
// one device arena with room for the inputs and outputs at the compiled
// maxima. Each run copies the inputs in, launches the planned calls in order
// on that stream, copies the outputs back and synchronizes. Concurrent runs
// each take an execution lane (a stream, its own arena and graphs; up to
// BERT_CUDA_LANES, made on demand), so they overlap on the GPU; a mutex
// guards only the shared state, so the library is thread-safe as on the
// CPU.
// The state is the library's: a count of the models loaded from it
// (device_acquire / device_release) frees it with the last one. The
// synchronous run's launches are captured as a CUDA graph per (batch, seq)
// on first use and replayed ($BERT_CUDA_GRAPHS=0: launched one by one).
// A model with an attention mask also gets run_packed, whose launches and
// forward CudaPackedHost.cpp writes into the same lanes.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cuda/CudaCublasLt.h"
#include "compiler/backend/cuda/CudaHost.h"
#include "compiler/backend/cuda/CudaKernels.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::bert;

namespace {

std::string num(int64_t v) { return std::to_string(v); }

} // namespace

std::string cuda::devicePointer(const BufferRef &ref) {
  switch (ref.role) {
  case BufferRef::Role::Input:
    return "in[" + num(ref.index) + "]";
  case BufferRef::Role::Output:
    return "out[" + num(ref.index) + "]";
  case BufferRef::Role::Arena:
    return "arena + " + num(ref.arenaOffset);
  case BufferRef::Role::Weight:
    return "g->weights[" + num(ref.weightSlot) + "]";
  }
  return "0";
}

std::string cuda::elements(const IOTensor &t, const std::string &b,
                           const std::string &s) {
  return "(size_t)(" + b + ") * " +
         (t.perToken() ? "(size_t)(" + s + ") * " : "") + num(t.rowWidth());
}

namespace {

int64_t slotElements(const WeightSlot &w) {
  int64_t n = 1;
  for (int64_t d : w.shape)
    n *= d;
  return n;
}

/// Bytes of the device copy of `w` (float32, or 16-bit for a tensor-core
/// linear).
int64_t slotBytes(const WeightSlot &w) {
  return slotElements(w) *
         (w.deviceCopy == WeightSlot::DeviceCopy::Float32 ? 4 : 2);
}

} // namespace

std::string cuda::callPointer(const KernelCall &call, size_t a,
                              const std::vector<std::string> &pointers) {
  return a < pointers.size() && !pointers[a].empty()
             ? pointers[a]
             : devicePointer(call.args[a].base);
}

int64_t cuda::align256(int64_t n) { return (n + 255) / 256 * 256; }

void cuda::emitInputUploads(llvm::raw_ostream &os, const ModelPlan &plan) {
  for (size_t i = 0; i < plan.inputs.size(); ++i)
    os << "  BERT_CU(cu->cuMemcpyHtoDAsync(l->in[" << i << "], inputs[" << i
       << "], " << elements(plan.inputs[i], "B", "S") << " * 4, l->stream));\n";
}

void cuda::emitLaunch(llvm::raw_ostream &os, const ModelPlan &plan,
                      const KernelCall &call, size_t fn,
                      const std::vector<std::string> &pointers,
                      const std::string &offsets) {
  if (cuda::isCublasLt(plan.kernels[call.kernel]))
    return cuda::emitCublasLtCall(os, plan, call, pointers);
  cuda::Launch l =
      cuda::launchOf(plan.kernels[call.kernel], call, !offsets.empty());
  os << "  { /* " << commentSafe(call.comment) << " */\n";
  std::string params;
  if (!offsets.empty()) {
    os << "    uint64_t offsets = " << offsets << ";\n";
    params = "&offsets";
  }
  for (size_t a = 0; a < call.args.size(); ++a) {
    const BufferArg &arg = call.args[a];
    std::string p = "p" + num(a);
    os << "    uint64_t " << p << " = " << callPointer(call, a, pointers) << ";"
       << (arg.base.role == BufferRef::Role::Weight ? ""
           : arg.isBF16                             ? " /* bf16 */"
           : arg.isF16                              ? " /* f16 */"
                                                    : "")
       << "\n";
    params += (params.empty() ? "&" : ", &") + p;
    for (size_t d = 0; d < arg.dims.size(); ++d) {
      std::string e = p + "_e" + num(d), s = p + "_s" + num(d);
      os << "    int64_t " << e << " = " << arg.dims[d].first << ", " << s
         << " = " << arg.dims[d].second << ";\n";
      params += ", &" + e + ", &" + s;
    }
  }
  os << "    void *params[] = {" << params << "};\n"
     << "    BERT_CU(cu->cuLaunchKernel(g->fn[" << fn << "], " << l.gridX
     << ", " << l.gridY << ",\n"
     << "                               " << l.gridZ << ", " << l.threads
     << ", 1, 1, " << l.smemBytes << ", stream, params, NULL));\n"
     << "  }\n";
}

std::string cuda::generateHostSource(const ModelPlan &plan,
                                     const std::string &fatbinSymbol,
                                     std::string &error) {
  for (const WeightSlot &w : plan.slots)
    if (w.panelWidth || w.bf16RowStride) {
      error = "weight slot '" + w.name +
              "' is packed for a CPU kernel; the CUDA kernels read rows";
      return "";
    }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by bertc for model '" << plan.name << "' (family "
     << plan.family << "). Do not edit.\n"
     << " * Host code: runs the CUDA kernels of the embedded fatbin in order\n"
     << " * over a device arena planned by bert-plan-buffers, through the\n"
     << " * runtime's driver table. Target: " << plan.target << ". */\n\n"
     << "#include <pthread.h>\n#include <stddef.h>\n#include <stdint.h>\n"
     << "#include <stdlib.h>\n#include <string.h>\n\n"
     << "#include \"bert_cuda_driver.h\"\n#include \"bert_model_abi.h\"\n\n"
     << "extern const unsigned char " << fatbinSymbol << "[];\n\n";

  emitModelTables(os, plan, /*arenaBytes=*/64);

  // The plan's kernels, then those of the packed path (PackedLayout).
  const cuda::PackedLayout packed = cuda::packedLayout(plan);
  const size_t nk = packed.numFunctions;
  std::vector<std::string> symbols;
  // A cuBLASLt linear has no kernel of that name (NULL): its own kernels
  // are CudaCublasLt.cpp's.
  for (size_t i = 0; i < plan.kernels.size(); ++i)
    symbols.push_back(cuda::isCublasLt(plan.kernels[i]) ? std::string()
                                                        : plan.kernelSymbol(i));
  for (const auto &[kernel, fn] : packed.varlen)
    symbols.push_back(cuda::varlenSymbol(plan.kernelSymbol(kernel)));
  if (packed.ok)
    symbols.push_back(cuda::copyRowsSymbol());
  if (!packed.halfType.empty())
    symbols.push_back(cuda::copyRowsSymbol(packed.halfType));
  os << "static const char *const bert_kernel_symbols[" << nk << "] = {\n";
  for (const std::string &symbol : symbols)
    os << "  " << (symbol.empty() ? "NULL" : cString(symbol)) << ",\n";
  os << "};\n\n";
  // Dynamic shared memory of each kernel, for the opt-in above 48 KiB.
  std::vector<int64_t> smem(nk, 0);
  for (const KernelCall &call : plan.calls)
    smem[call.kernel] =
        cuda::launchOf(plan.kernels[call.kernel], call).smemBytes;
  for (const auto &[kernel, fn] : packed.varlen)
    smem[fn] = smem[kernel];
  os << "static const int bert_kernel_smem[" << nk << "] = {";
  for (size_t i = 0; i < nk; ++i)
    os << (i ? ", " : "") << smem[i];
  os << "};\n\n";

  // Device memory: the arena, then each input and output at the maxima.
  int64_t offset = align256(plan.arenaBytes) + cuda::cublasLtArenaBytes(plan);
  const std::string mb = num(plan.maxBatch), ms = num(plan.maxSeq);
  os << "/* Device layout: arena (" << plan.arenaBytes
     << " bytes), then inputs and outputs at [max_batch, max_seq]. */\n"
     << "static size_t bert_device_bytes(void) {\n  size_t n = " << offset
     << ";\n";
  for (const auto *table : {&plan.inputs, &plan.outputs})
    for (const IOTensor &t : *table)
      os << "  n += (" << elements(t, mb, ms) << " * 4 + 255) / 256 * 256;\n";
  if (packed.ok)
    os << "  n += " << align256(packed.intBytes())
       << "; /* packed path: cu, tok, pmask, inv */\n"
       << "  n += " << align256(4 * packed.stagingFloats)
       << "; /* packed path: padded staging */\n";
  os << "  return n;\n}\n\n";

  const size_t nw = std::max<size_t>(1, plan.slots.size());
  const int64_t shapes = plan.maxBatch * plan.maxSeq;
  if (packed.ok)
    os << "/* A packed run's graph, at (batch, seq, rows); a lane keeps at "
          "most\n"
       << " * BERT_CUDA_PACKED_GRAPHS, and launches other shapes one by one. "
          "*/\n"
       << "typedef struct {\n"
       << "  int64_t batch, seq;\n"
       << "  int32_t rows;\n"
       << "  void *exec;\n"
       << "} bert_cuda_packed_graph;\n"
       << "#define BERT_CUDA_PACKED_GRAPHS 64\n\n";
  os << "/* An execution lane: a stream with its own device arena (the\n"
     << " * activations, then the inputs and outputs) and graphs. Concurrent\n"
     << " * runs take distinct lanes, so they overlap on the GPU. */\n"
     << "typedef struct {\n"
     << "  void *stream;\n"
     << "  uint64_t arena, in[" << std::max<size_t>(1, plan.inputs.size())
     << "], out[" << std::max<size_t>(1, plan.outputs.size()) << "];\n"
     << "  /* The run's launches as CUDA graphs, instantiated on first use "
        "of\n"
     << "   * each (batch, seq): [(batch - 1) * max_seq + seq - 1]; NULL "
        "when\n"
     << "   * $BERT_CUDA_GRAPHS is 0. */\n"
     << "  void **graphs;\n";
  if (packed.ok)
    os << "  /* The packed path: its bookkeeping (device and host copies), "
          "its\n"
       << "   * padded staging, and its graphs per (batch, seq, rows). */\n"
       << "  uint64_t pack, staging;\n"
       << "  int32_t *host_pack;\n"
       << "  bert_cuda_packed_graph packed[BERT_CUDA_PACKED_GRAPHS];\n"
       << "  int num_packed;\n";
  os << "  int busy;\n"
     << "} bert_cuda_lane;\n\n"
     << "/* At most this many runs of the library at once; more wait. */\n"
     << "#define BERT_CUDA_LANES 8\n\n"
     << "typedef struct {\n"
     << "  const bert_cuda_driver *cu;\n"
     << "  int ready; /* bert_cuda_init succeeded */\n"
     << "  int users; /* models loaded from this library (device_acquire) */\n"
     << "  int dev;\n"
     << "  void *ctx, *module;\n"
     << "  void *stream; /* weight uploads */\n"
     << "  void *fn[" << nk << "];\n"
     << "  uint64_t weights[" << nw << "];\n"
     << "  const float *const *host_weights; /* what weights[] hold */\n"
     << "  int use_graphs, num_lanes, busy; /* busy: lanes taken */\n"
     << "  bert_cuda_lane lanes[BERT_CUDA_LANES];\n"
     << "} bert_cuda_state;\n\n"
     << "static bert_cuda_state bert_cuda;\n"
     << "/* Guards bert_cuda; runs hold it only to take and give back a "
        "lane. */\n"
     << "static pthread_mutex_t bert_cuda_lock = "
        "PTHREAD_MUTEX_INITIALIZER;\n"
     << "/* Signalled when a lane is given back. */\n"
     << "static pthread_cond_t bert_cuda_idle = PTHREAD_COND_INITIALIZER;\n\n"
     << "/* A driver error ends the call with its CUresult (non-zero). */\n"
     << "#define BERT_CU(call)                                                "
        "\\\n"
     << "  do {                                                           "
        "\\\n"
     << "    int rc_ = (call);                                            "
        "\\\n"
     << "    if (rc_ != 0)                                                "
        "\\\n"
     << "      return rc_;                                                "
        "\\\n"
     << "  } while (0)\n\n";
  cuda::emitCublasLtState(os, plan);

  os << "static void bert_cuda_lane_free(const bert_cuda_driver *cu,\n"
     << "                                bert_cuda_lane *l) {\n"
     << "  int i;\n"
     << "  for (i = 0; l->graphs && i < " << shapes << "; ++i)\n"
     << "    if (l->graphs[i])\n"
     << "      (void)cu->cuGraphExecDestroy(l->graphs[i]);\n"
     << "  free(l->graphs);\n";
  if (packed.ok)
    os << "  for (i = 0; i < l->num_packed; ++i)\n"
       << "    (void)cu->cuGraphExecDestroy(l->packed[i].exec);\n"
       << "  free(l->host_pack);\n";
  os << "  if (l->arena)\n    (void)cu->cuMemFree(l->arena);\n"
     << "  if (l->stream)\n    (void)cu->cuStreamDestroy(l->stream);\n"
     << "  memset(l, 0, sizeof *l);\n}\n\n"
     << "/* On failure the caller frees what the lane got. */\n"
     << "static int bert_cuda_lane_init(bert_cuda_state *g, bert_cuda_lane "
        "*l) {\n"
     << "  const bert_cuda_driver *cu = g->cu;\n"
     << "  uint64_t base;\n"
     << "  if (g->use_graphs) {\n"
     << "    l->graphs = (void **)calloc(" << shapes << ", sizeof(void *));\n"
     << "    if (!l->graphs)\n"
     << "      return 2; /* CUDA_ERROR_OUT_OF_MEMORY */\n"
     << "  }\n"
     << "  BERT_CU(cu->cuStreamCreate(&l->stream, 0));\n"
     << "  BERT_CU(cu->cuMemAlloc(&l->arena, bert_device_bytes()));\n"
     << "  base = l->arena + " << offset << ";\n";
  for (size_t i = 0; i < plan.inputs.size(); ++i)
    os << "  l->in[" << i << "] = base;\n  base += ("
       << elements(plan.inputs[i], mb, ms) << " * 4 + 255) / 256 * 256;\n";
  for (size_t i = 0; i < plan.outputs.size(); ++i)
    os << "  l->out[" << i << "] = base;\n  base += ("
       << elements(plan.outputs[i], mb, ms) << " * 4 + 255) / 256 * 256;\n";
  if (packed.ok)
    os << "  l->pack = base;\n  base += " << align256(packed.intBytes())
       << ";\n  l->staging = base;\n  base += "
       << align256(4 * packed.stagingFloats) << ";\n"
       << "  l->host_pack = (int32_t *)malloc(" << packed.intBytes() << ");\n"
       << "  if (!l->host_pack)\n"
       << "    return 2; /* CUDA_ERROR_OUT_OF_MEMORY */\n";
  os << "  (void)base;\n  return 0;\n}\n\n";

  // Teardown frees whatever init got, so it also cleans up after an init
  // that failed half way; every step runs even if an earlier one failed
  // (nobody could act on the error: bert_model_free returns nothing).
  os << "/* Frees what bert_cuda_init got, in reverse order; the user count "
        "stays. */\n"
     << "static void bert_cuda_teardown(bert_cuda_state *g) {\n"
     << "  const bert_cuda_driver *cu = g->cu;\n"
     << "  int i, users = g->users;\n"
     << "  if (!cu)\n    return;\n"
     << "  if (g->ctx)\n    (void)cu->cuCtxSetCurrent(g->ctx);\n";
  cuda::emitCublasLtTeardown(os, plan);
  os << "  for (i = 0; i < g->num_lanes; ++i)\n"
     << "    bert_cuda_lane_free(cu, &g->lanes[i]);\n"
     << "  for (i = 0; i < " << nw << "; ++i)\n"
     << "    if (g->weights[i])\n"
     << "      (void)cu->cuMemFree(g->weights[i]);\n"
     << "  if (g->stream)\n    (void)cu->cuStreamDestroy(g->stream);\n"
     << "  if (g->module)\n    (void)cu->cuModuleUnload(g->module);\n"
     << "  if (g->ctx)\n    (void)cu->cuDevicePrimaryCtxRelease(g->dev);\n"
     << "  memset(g, 0, sizeof *g);\n"
     << "  g->users = users;\n}\n\n";

  os << "static int bert_cuda_init(bert_cuda_state *g) {\n"
     << "  const bert_cuda_driver *cu = bert_cuda_driver_get(NULL, 0);\n"
     << "  int i;\n"
     << "  if (!cu)\n    return -1;\n"
     << "  const char *graphs = getenv(\"BERT_CUDA_GRAPHS\");\n"
     << "  g->cu = cu;\n"
     << "  g->use_graphs = !graphs || strcmp(graphs, \"0\") != 0;\n"
     << "  BERT_CU(cu->cuDeviceGet(&g->dev, 0));\n"
     << "  BERT_CU(cu->cuDevicePrimaryCtxRetain(&g->ctx, g->dev));\n"
     << "  BERT_CU(cu->cuCtxSetCurrent(g->ctx));\n"
     << "  BERT_CU(cu->cuModuleLoadData(&g->module, " << fatbinSymbol << "));\n"
     << "  for (i = 0; i < " << nk << "; ++i) {\n"
     << "    if (!bert_kernel_symbols[i])\n      continue;\n"
     << "    BERT_CU(cu->cuModuleGetFunction(&g->fn[i], g->module,\n"
     << "                                    bert_kernel_symbols[i]));\n"
     << "    if (bert_kernel_smem[i] > 48 * 1024)\n"
     << "      BERT_CU(cu->cuFuncSetAttribute(\n"
     << "          g->fn[i], "
        "BERT_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,\n"
     << "          bert_kernel_smem[i]));\n"
     << "  }\n"
     << "  BERT_CU(cu->cuStreamCreate(&g->stream, 0));\n";
  os << "  for (i = 0; i < " << plan.slots.size() << "; ++i) {\n"
     << "    static const size_t bytes[] = {";
  for (size_t i = 0; i < plan.slots.size(); ++i)
    os << (i ? ", " : "") << slotBytes(plan.slots[i]);
  os << "};\n"
     << "    BERT_CU(cu->cuMemAlloc(&g->weights[i], bytes[i]));\n"
     << "  }\n";
  cuda::emitCublasLtInit(os, plan);
  os << "  g->ready = 1;\n"
     << "  return 0;\n}\n\n";

  bool any16 = llvm::any_of(plan.slots, [](const WeightSlot &w) {
    return w.deviceCopy != WeightSlot::DeviceCopy::Float32;
  });
  if (any16)
    os << "/* The 16-bit device copy of n floats, converted by `convert` "
          "(the\n"
       << " * runtime's bert_floats_to_bf16 or _f16), through a host staging "
          "buffer. */\n"
       << "static int bert_cuda_upload_16(uint64_t dst, const float *src, "
          "size_t n,\n"
       << "                               void (*convert)(uint16_t *, const "
          "float *, size_t)) {\n"
       << "  bert_cuda_state *g = &bert_cuda;\n"
       << "  uint16_t *tmp = (uint16_t *)malloc(n * 2);\n"
       << "  int rc;\n"
       << "  if (!tmp)\n    return 2; /* CUDA_ERROR_OUT_OF_MEMORY */\n"
       << "  convert(tmp, src, n);\n"
       << "  rc = g->cu->cuMemcpyHtoDAsync(dst, tmp, n * 2, g->stream);\n"
       << "  /* The copy reads tmp until the stream gets past it. */\n"
       << "  if (rc == 0)\n    rc = g->cu->cuStreamSynchronize(g->stream);\n"
       << "  free(tmp);\n"
       << "  return rc;\n}\n\n";

  // Setup once; weights again when the runtime hands other host copies (a
  // second model loaded from this library).
  os << "static int bert_cuda_setup(const float *const *weights) {\n"
     << "  bert_cuda_state *g = &bert_cuda;\n"
     << "  if (!g->ready) {\n"
     << "    int rc = bert_cuda_init(g);\n"
     << "    if (rc != 0) {\n"
     << "      bert_cuda_teardown(g);\n"
     << "      return rc;\n"
     << "    }\n"
     << "  }\n"
     << "  BERT_CU(g->cu->cuCtxSetCurrent(g->ctx));\n"
     << "  if (g->host_weights != weights) {\n"
     << "    /* Another model's runs read the device weights: let them "
        "end. */\n"
     << "    while (g->busy)\n"
     << "      pthread_cond_wait(&bert_cuda_idle, &bert_cuda_lock);\n";
  for (size_t i = 0; i < plan.slots.size(); ++i)
    if (plan.slots[i].deviceCopy != WeightSlot::DeviceCopy::Float32)
      os << "    BERT_CU(bert_cuda_upload_16(g->weights[" << i << "], weights["
         << i << "], " << slotElements(plan.slots[i]) << ", "
         << (plan.slots[i].deviceCopy == WeightSlot::DeviceCopy::F16
                 ? "bert_floats_to_f16"
                 : "bert_floats_to_bf16")
         << "));\n";
    else
      os << "    BERT_CU(g->cu->cuMemcpyHtoDAsync(g->weights[" << i
         << "], weights[" << i << "], " << slotBytes(plan.slots[i])
         << ", g->stream));\n";
  os << "    BERT_CU(g->cu->cuStreamSynchronize(g->stream));\n"
     << "    g->host_weights = weights;\n"
     << "  }\n"
     << "  return 0;\n}\n\n";

  // bert_model_desc::device_acquire / device_release: one count per
  // library, since the state above is the library's, not a model's.
  os << "static void bert_device_acquire(void) {\n"
     << "  pthread_mutex_lock(&bert_cuda_lock);\n"
     << "  ++bert_cuda.users;\n"
     << "  pthread_mutex_unlock(&bert_cuda_lock);\n}\n\n"
     << "static void bert_device_release(const float *const *weights) {\n"
     << "  pthread_mutex_lock(&bert_cuda_lock);\n"
     << "  /* The address may come back for another model's weights. */\n"
     << "  if (bert_cuda.host_weights == weights)\n"
     << "    bert_cuda.host_weights = NULL;\n"
     << "  if (--bert_cuda.users == 0)\n"
     << "    bert_cuda_teardown(&bert_cuda);\n"
     << "  pthread_mutex_unlock(&bert_cuda_lock);\n}\n\n";

  // The launches alone, on any stream and buffers: the synchronous run
  // passes the library's own, the device run the caller's.
  os << "static int bert_cuda_launch(const uint64_t *in, const uint64_t "
        "*out,\n"
     << "                            uint64_t arena, void *stream, int64_t "
        "batch,\n"
     << "                            int64_t seq) {\n"
     << "  bert_cuda_state *g = &bert_cuda;\n"
     << "  const bert_cuda_driver *cu = g->cu;\n"
     << "  const int32_t B = (int32_t)batch, S = (int32_t)seq, M = B * S;\n"
     << "  (void)M;\n";
  for (const KernelCall &call : plan.calls)
    cuda::emitLaunch(os, plan, call, call.kernel);
  os << "  return 0;\n}\n\n";
  if (packed.ok)
    cuda::emitPackedLaunch(os, plan, packed);

  // Only the launches are captured: they read the library's own device
  // buffers, fixed for its life, while the copies name the caller's host
  // buffers, which a graph would keep.
  os << "/* The launches of bert_cuda_launch at (batch, seq) (rows < 0), "
        "or of\n"
     << " * bert_cuda_launch_packed on `rows` packed rows, as an instantiated "
        "graph. */\n"
     << "static int bert_cuda_capture(bert_cuda_lane *l, int64_t batch, "
        "int64_t seq,\n"
     << "                             int32_t rows, void **exec) {\n"
     << "  const bert_cuda_driver *cu = bert_cuda.cu;\n"
     << "  void *graph = NULL;\n"
     << "  int rc, end;\n"
     << "  BERT_CU(cu->cuStreamBeginCapture(l->stream,\n"
     << "                                   "
        "BERT_CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));\n"
     << "  if (rows < 0)\n"
     << "    rc = bert_cuda_launch(l->in, l->out, l->arena, l->stream, batch, "
        "seq);\n"
     << (packed.ok ? "  else\n"
                     "    rc = bert_cuda_launch_packed(l, batch, seq, rows);\n"
                   : "  else\n    rc = 1; /* CUDA_ERROR_INVALID_VALUE */\n")
     << "  /* Ended even after a failed launch: the stream leaves capture. */\n"
     << "  end = cu->cuStreamEndCapture(l->stream, &graph);\n"
     << "  if (rc == 0)\n    rc = end;\n"
     << "  if (rc == 0)\n"
     << "    rc = cu->cuGraphInstantiateWithFlags(exec, graph, 0);\n"
     << "  if (rc != 0)\n    *exec = NULL;\n"
     << "  if (graph)\n    (void)cu->cuGraphDestroy(graph);\n"
     << "  return rc;\n}\n\n";

  os << "static int bert_cuda_forward(bert_cuda_lane *l, const void "
        "*const *inputs,\n"
     << "                             int64_t batch, int64_t seq,\n"
     << "                             void *const *outputs) {\n"
     << "  const bert_cuda_driver *cu = bert_cuda.cu;\n"
     << "  const int32_t B = (int32_t)batch, S = (int32_t)seq;\n";
  emitInputUploads(os, plan);
  os << "  if (l->graphs) {\n"
     << "    void **exec = &l->graphs[(batch - 1) * " << plan.maxSeq
     << " + seq - 1];\n"
     << "    if (!*exec)\n"
     << "      BERT_CU(bert_cuda_capture(l, batch, seq, -1, exec));\n"
     << "    BERT_CU(cu->cuGraphLaunch(*exec, l->stream));\n"
     << "  } else {\n"
     << "    BERT_CU(bert_cuda_launch(l->in, l->out, l->arena, l->stream, "
        "batch, seq));\n"
     << "  }\n";
  for (size_t i = 0; i < plan.outputs.size(); ++i)
    os << "  BERT_CU(cu->cuMemcpyDtoHAsync(outputs[" << i << "], l->out[" << i
       << "], " << elements(plan.outputs[i], "B", "S")
       << " * 4, l->stream));\n";
  os << "  /* Errors of any kernel above surface here at the latest. */\n"
     << "  BERT_CU(cu->cuStreamSynchronize(l->stream));\n"
     << "  return 0;\n}\n\n";
  if (packed.ok)
    cuda::emitPackedForward(os, plan, packed);

  // Lanes are made on demand, so a library used from one thread holds one.
  os << "/* A free lane, made if none is and fewer than BERT_CUDA_LANES "
        "exist,\n"
     << " * else waited for. Called with bert_cuda_lock held. */\n"
     << "static int bert_cuda_take_lane(bert_cuda_lane **out) {\n"
     << "  bert_cuda_state *g = &bert_cuda;\n"
     << "  int i, rc;\n"
     << "  for (;;) {\n"
     << "    for (i = 0; i < g->num_lanes; ++i)\n"
     << "      if (!g->lanes[i].busy)\n"
     << "        break;\n"
     << "    if (i == g->num_lanes && i < BERT_CUDA_LANES) {\n"
     << "      rc = bert_cuda_lane_init(g, &g->lanes[i]);\n"
     << "      if (rc != 0) {\n"
     << "        bert_cuda_lane_free(g->cu, &g->lanes[i]);\n"
     << "        return rc;\n"
     << "      }\n"
     << "      ++g->num_lanes;\n"
     << "    }\n"
     << "    if (i < g->num_lanes) {\n"
     << "      g->lanes[i].busy = 1;\n"
     << "      ++g->busy;\n"
     << "      *out = &g->lanes[i];\n"
     << "      return 0;\n"
     << "    }\n"
     << "    pthread_cond_wait(&bert_cuda_idle, &bert_cuda_lock);\n"
     << "  }\n}\n\n";

  // bert_model_desc::run_device: the caller's stream, buffers and
  // workspace (the arena's layout, planned for the maxima).
  const int64_t workspaceBytes =
      cuda::usesCublasLt(plan)
          ? align256(plan.arenaBytes) + cuda::cublasLtArenaBytes(plan)
          : plan.arenaBytes;
  os << "static size_t bert_device_workspace_bytes(int64_t batch, int64_t "
        "seq) {\n"
     << "  (void)batch;\n  (void)seq;\n"
     << "  return " << std::max<int64_t>(256, workspaceBytes) << ";\n}\n\n"
     << "static int bert_run_device(const float *const *weights, void "
        "*stream,\n"
     << "                           const void *const *inputs, int64_t "
        "batch,\n"
     << "                           int64_t seq, void *const *outputs,\n"
     << "                           void *workspace) {\n"
     << "  uint64_t in[" << std::max<size_t>(1, plan.inputs.size()) << "], out["
     << std::max<size_t>(1, plan.outputs.size()) << "];\n"
     << "  int i, rc;\n"
     << "  for (i = 0; i < " << plan.inputs.size() << "; ++i)\n"
     << "    in[i] = (uint64_t)(uintptr_t)inputs[i];\n"
     << "  for (i = 0; i < " << plan.outputs.size() << "; ++i)\n"
     << "    out[i] = (uint64_t)(uintptr_t)outputs[i];\n"
     << "  pthread_mutex_lock(&bert_cuda_lock);\n"
     << "  rc = bert_cuda_setup(weights);\n"
     << "  if (rc == 0)\n"
     << "    rc = bert_cuda_launch(in, out, (uint64_t)(uintptr_t)workspace, "
        "stream,\n"
     << "                          batch, seq);\n"
     << "  pthread_mutex_unlock(&bert_cuda_lock);\n"
     << "  return rc;\n}\n\n";

  // run() and run_packed(): the same lane handling around either forward.
  os << "static int bert_cuda_run(const float *const *weights,\n"
     << "                         const void *const *inputs, int64_t batch,\n"
     << "                         int64_t seq, void *const *outputs, int "
        "packed) {\n"
     << "  bert_cuda_lane *lane = NULL;\n"
     << "  int rc;\n"
     << "  (void)packed;\n"
     << "  pthread_mutex_lock(&bert_cuda_lock);\n"
     << "  rc = bert_cuda_setup(weights);\n"
     << "  if (rc == 0)\n"
     << "    rc = bert_cuda_take_lane(&lane);\n"
     << "  pthread_mutex_unlock(&bert_cuda_lock);\n"
     << "  if (rc != 0)\n"
     << "    return rc;\n"
     << "  /* The context is current per thread; the run needs no lock. */\n"
     << "  rc = bert_cuda.cu->cuCtxSetCurrent(bert_cuda.ctx);\n"
     << "  if (rc == 0)\n"
     << (packed.ok ? "    rc = packed ? bert_cuda_forward_packed(lane, inputs, "
                     "batch, seq, outputs)\n"
                     "                : bert_cuda_forward(lane, inputs, "
                     "batch, seq, outputs);\n"
                   : "    rc = bert_cuda_forward(lane, inputs, batch, seq, "
                     "outputs);\n")
     << "  pthread_mutex_lock(&bert_cuda_lock);\n"
     << "  lane->busy = 0;\n"
     << "  --bert_cuda.busy;\n"
     << "  pthread_cond_broadcast(&bert_cuda_idle);\n"
     << "  pthread_mutex_unlock(&bert_cuda_lock);\n"
     << "  return rc;\n}\n\n";
  for (int p = 0; p <= int(packed.ok); ++p)
    os << "static int bert_run" << (p ? "_packed" : "")
       << "(const float *const *weights, void *arena,\n"
       << "                    const void *const *inputs, int64_t batch, "
          "int64_t seq,\n"
       << "                    void *const *outputs) {\n"
       << "  (void)arena; /* the device arena is the lane's */\n"
       << "  return bert_cuda_run(weights, inputs, batch, seq, outputs, " << p
       << ");\n}\n\n";
  os << "/* Host threads do not apply to GPU kernels. */\n"
     << "static void bert_set_num_threads(int n) { (void)n; }\n\n";
  emitModelDescriptor(os, plan,
                      {"bert_run", packed.ok ? "bert_run_packed" : "NULL",
                       "bert_set_num_threads", "BERT_ABI_DEVICE_CUDA",
                       "bert_run_device", "bert_device_workspace_bytes",
                       "bert_device_acquire", "bert_device_release"});
  return text;
}
