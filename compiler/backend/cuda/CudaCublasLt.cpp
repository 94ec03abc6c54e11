//===- CudaCublasLt.cpp - linears on cuBLASLt (--cuda-gemm=cublaslt) ------===//
//
// See CudaCublasLt.h. cuBLASLt is column-major, and the plan's buffers are
// row-major, so Y[M][N] = X[M][K] W[N][K]^T is computed as its transpose:
// D (N x M, ld = Y's row stride) = op(A) B with A = W read as the
// column-major K x N matrix (ld K) and transposed (TRANSA = T), and B = X
// as the column-major K x M matrix (ld = X's row stride). The bias is then
// a vector over D's rows, which is what the BIAS epilogue adds.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cuda/CudaCublasLt.h"
#include "compiler/backend/cuda/CudaHost.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::bert;
namespace cpu = ::bert::cpu;

namespace {

std::string num(int64_t v) { return std::to_string(v); }

/// cuBLASLt's workspace per lane: what NVIDIA recommends for Hopper (32
/// MiB); the heuristics only return algorithms that fit.
constexpr int64_t kWorkspaceBytes = 32 << 20;
/// Shapes (rows, leading dimensions) whose algorithm a kernel keeps; more
/// query the heuristics on every call (correct, slower on the host).
constexpr int kCachedShapes = 64;
/// The alignment promised to the heuristics for X, Y (and W): the arena's
/// offsets and the weights are at least this aligned; each call checks it.
constexpr int64_t kAlignment = 16;

const cpu::LinearSpec *linearOf(const cpu::KernelRequest &req) {
  return std::get_if<cpu::LinearSpec>(&req.spec);
}

/// The operand type of a cuBLASLt linear: its cudaDataType_t name and size.
struct OperandType {
  const char *cudaType, *ltType;
  int bytes;
};
OperandType operandType(const cpu::LinearSpec &s) {
  if (s.bf16)
    return {"__nv_bfloat16", "BERT_CUDA_R_16BF", 2};
  if (s.f16)
    return {"__half", "BERT_CUDA_R_16F", 2};
  return {"float", "BERT_CUDA_R_32F", 4};
}

/// `req.key()` with the family name `family` instead of "linear".
std::string keyAs(const cpu::KernelRequest &req, const std::string &family) {
  std::string key = req.key();
  return family + key.substr(key.find(' '));
}

/// The head of a warp-per-row kernel `name` over `params`: `row` is the
/// warp's row, past `rows` (a C expression) it leaves.
std::string warpPerRow(const ::bert::CudaSchedule &sched,
                       const std::string &key, const std::string &name,
                       const std::string &params, const std::string &rows) {
  return "// " + key + "\nextern \"C\" __global__ void __launch_bounds__(" +
         num(sched.warps * 32) + ") " + name + "(\n    " + params +
         ") {\n  const int64_t row = (int64_t)blockIdx.x * " +
         num(sched.tileM) + " + threadIdx.x / 32;\n  if (row >= " + rows +
         ")\n    return;\n";
}

/// The parameters of a [rows][width] buffer `p` of C type `type`.
std::string rowsParam(const std::string &type, const std::string &p) {
  return type + " *" + p + ", int64_t " + p + "_e0, int64_t " + p +
         "_s0, int64_t " + p + "_e1, int64_t " + p + "_s1";
}

/// The cuBLASLt linears' calls, in plan order: (call index, kernel).
std::vector<size_t> cublasLtCalls(const ModelPlan &plan) {
  std::vector<size_t> calls;
  for (size_t c = 0; c < plan.calls.size(); ++c)
    if (cuda::isCublasLt(plan.kernels[plan.calls[c].kernel]))
      calls.push_back(c);
  return calls;
}

/// Bytes of the widest rounded X: the most rows a call can have (the
/// packed path rounds its rows up to a tile of at most 128) by the
/// largest K of a 16-bit cuBLASLt linear, 2 bytes each.
int64_t scratchBytes(const ModelPlan &plan) {
  int64_t k = 0;
  for (const cpu::KernelRequest &req : plan.kernels)
    if (cuda::isCublasLt(req) && operandType(*linearOf(req)).bytes == 2)
      k = std::max(k, linearOf(req)->K);
  return k * (plan.maxBatch * plan.maxSeq + 128) * 2;
}

} // namespace

bool cuda::isCublasLt(const cpu::KernelRequest &req) {
  const auto *sched = std::get_if<::bert::CudaSchedule>(&req.schedule);
  return sched && sched->cublasLt && linearOf(req);
}

bool cuda::usesCublasLt(const ModelPlan &plan) {
  return llvm::any_of(plan.kernels, isCublasLt);
}

std::string cuda::cublasLtKernelSource(const cpu::KernelRequest &req,
                                       const std::string &symbol,
                                       const std::string &prelude,
                                       const std::string &activation,
                                       std::string &error) {
  const cpu::LinearSpec *s = linearOf(req);
  const auto &sched = std::get<::bert::CudaSchedule>(req.schedule);
  if (!s || s->int8 || s->hasResidual) {
    error = "cuBLASLt runs fp32, bf16 and f16 linears without a residual, "
            "not " +
            req.key();
    return "";
  }
  if (sched.tileM != sched.warps) {
    error = "cuda schedule of " + req.key() + ": tile_m (" + num(sched.tileM) +
            ") must equal warps (" + num(sched.warps) +
            ") for a cuBLASLt linear's own kernels (a warp per row)";
    return "";
  }
  const OperandType type = operandType(*s);
  // The heuristics are promised 16-byte aligned rows (kAlignment), which
  // X's and Y's widths must keep.
  if (s->K * type.bytes % kAlignment || s->N * 4 % kAlignment) {
    error = "a cuBLASLt linear's rows must be multiples of " + num(kAlignment) +
            " bytes: in_features (" + num(s->K) + ") of " + num(type.bytes) +
            " bytes, out_features (" + num(s->N) +
            ") of 4 (--cuda-gemm ours runs any width)";
    return "";
  }
  std::string text;
  if (type.bytes == 2) {
    // X (p0) rounded into the dense 16-bit copy p1 cuBLASLt reads; f16
    // saturates at +-65504 as every f16 conversion of the backend does.
    text += warpPerRow(sched, keyAs(req, "lt_round"), symbol + "_round",
                       rowsParam("const float", "p0") + ",\n    " +
                           rowsParam(type.cudaType, "p1"),
                       "p1_e1") +
            "  for (int c = threadIdx.x % 32; c < " + num(s->K) +
            "; c += 32)\n    p1[row * p1_s1 + c] = " +
            (s->bf16 ? "__float2bfloat16_rn(p0[row * p0_s1 + c]);\n"
                     : "__float2half_rn(bert_f16_round(p0[row * p0_s1 + "
                       "c]));\n") +
            "}\n";
  }
  if (s->act != cpu::Activation::None)
    text += (text.empty() ? "" : "\n") +
            warpPerRow(sched, keyAs(req, "lt_act"), symbol + "_act",
                       rowsParam("float", "p0"), "p0_e1") +
            "  for (int c = threadIdx.x % 32; c < " + num(s->N) +
            "; c += 32) {\n    const float v = p0[row * p0_s1 + c];\n"
            "    p0[row * p0_s1 + c] = " +
            activation + ";\n  }\n}\n";
  if (text.empty())
    return "// " + keyAs(req, "lt") +
           ": cuBLASLt alone (fp32 operands, no activation)\n";
  return prelude + text;
}

int64_t cuda::cublasLtArenaBytes(const ModelPlan &plan) {
  if (!usesCublasLt(plan))
    return 0;
  return align256(scratchBytes(plan)) + kWorkspaceBytes;
}

void cuda::emitCublasLtState(llvm::raw_ostream &os, const ModelPlan &plan) {
  if (!usesCublasLt(plan))
    return;
  const size_t nk = plan.kernels.size(),
               sites = std::max<size_t>(1, cublasLtCalls(plan).size());
  os << "/* cuBLASLt (bertc --cuda-gemm=cublaslt; CudaCublasLt.cpp), "
        "through the\n"
     << " * runtime's table. Defining bert_needs_cublaslt makes the runtime "
        "refuse\n"
     << " * to load this library where cuBLASLt is missing. */\n"
     << "#include <stdio.h>\n\n#include \"bert_cublaslt_driver.h\"\n\n"
     << "__attribute__((visibility(\"hidden\"))) const int "
        "bert_needs_cublaslt = 1;\n\n"
     << "#define BERT_LT_WORKSPACE " << kWorkspaceBytes << "u\n"
     << "#define BERT_LT_SHAPES " << kCachedShapes << "\n\n"
     << "/* A shape a cuBLASLt linear ran at (rows, X's and Y's leading\n"
     << " * dimensions): its layouts and the heuristics' algorithm. */\n"
     << "typedef struct {\n"
     << "  int64_t rows, ldx, ldy;\n"
     << "  void *a, *b, *d;\n"
     << "  bert_cublaslt_algo algo;\n"
     << "} bert_lt_shape;\n\n"
     << "/* The handle and heuristics preference; a matmul descriptor per "
        "call\n"
     << " * site (its bias); per kernel its own kernels and cached shapes. "
        "*/\n"
     << "typedef struct {\n"
     << "  const bert_cublaslt_driver *lt;\n"
     << "  void *handle, *pref;\n"
     << "  void *desc[" << sites << "];\n"
     << "  void *round_fn[" << nk << "], *act_fn[" << nk << "];\n"
     << "  bert_lt_shape shapes[" << nk << "][BERT_LT_SHAPES];\n"
     << "  int num_shapes[" << nk << "];\n"
     << "} bert_lt_state;\n\n"
     << "static bert_lt_state bert_lt;\n"
     << "/* Guards the shape caches: lanes run concurrently. */\n"
     << "static pthread_mutex_t bert_lt_lock = PTHREAD_MUTEX_INITIALIZER;\n\n"
     << "/* A cuBLASLt failure, named on stderr (a CUresult cannot say it); "
        "the\n"
     << " * caller gets CUDA_ERROR_UNKNOWN. */\n"
     << "static int bert_lt_failed(const char *what, int status) {\n"
     << "  const char *text =\n"
     << "      bert_lt.lt ? bert_lt.lt->cublasLtGetStatusString(status) : "
        "NULL;\n"
     << "  fprintf(stderr, \"model '" << plan.name
     << "': cuBLASLt %s failed: %s (status %d)\\n\",\n"
     << "          what, text ? text : \"unknown\", status);\n"
     << "  return 999; /* CUDA_ERROR_UNKNOWN */\n}\n\n"
     << "#define BERT_LT(what, call)                                          "
        "\\\n"
     << "  do {                                                           "
        "\\\n"
     << "    int st_ = (call);                                            "
        "\\\n"
     << "    if (st_ != 0)                                                "
        "\\\n"
     << "      return bert_lt_failed(what, st_);                          "
        "\\\n"
     << "  } while (0)\n\n";

  // One descriptor per call site: Y^T = op(W^T) X^T (CudaCublasLt.cpp's
  // header says why), fp32 compute and scale, the bias as the epilogue.
  os << "static int bert_lt_desc(void **desc, uint64_t bias) {\n"
     << "  const bert_cublaslt_driver *lt = bert_lt.lt;\n"
     << "  const int32_t transa = BERT_CUBLAS_OP_T, transb = "
        "BERT_CUBLAS_OP_N,\n"
     << "                biasType = BERT_CUDA_R_32F;\n"
     << "  const uint32_t epilogue =\n"
     << "      bias ? BERT_CUBLASLT_EPILOGUE_BIAS : "
        "BERT_CUBLASLT_EPILOGUE_DEFAULT;\n"
     << "  const void *biasPointer = (const void *)(uintptr_t)bias;\n"
     << "  BERT_LT(\"cublasLtMatmulDescCreate\",\n"
     << "          lt->cublasLtMatmulDescCreate(desc, "
        "BERT_CUBLAS_COMPUTE_32F,\n"
     << "                                       BERT_CUDA_R_32F));\n"
     << "  BERT_LT(\"TRANSA\", lt->cublasLtMatmulDescSetAttribute(\n"
     << "                         *desc, BERT_CUBLASLT_MATMUL_DESC_TRANSA, "
        "&transa,\n"
     << "                         sizeof transa));\n"
     << "  BERT_LT(\"TRANSB\", lt->cublasLtMatmulDescSetAttribute(\n"
     << "                         *desc, BERT_CUBLASLT_MATMUL_DESC_TRANSB, "
        "&transb,\n"
     << "                         sizeof transb));\n"
     << "  BERT_LT(\"EPILOGUE\", lt->cublasLtMatmulDescSetAttribute(\n"
     << "                           *desc, "
        "BERT_CUBLASLT_MATMUL_DESC_EPILOGUE,\n"
     << "                           &epilogue, sizeof epilogue));\n"
     << "  if (!bias)\n    return 0;\n"
     << "  BERT_LT(\"BIAS_POINTER\",\n"
     << "          lt->cublasLtMatmulDescSetAttribute(\n"
     << "              *desc, BERT_CUBLASLT_MATMUL_DESC_BIAS_POINTER, "
        "&biasPointer,\n"
     << "              sizeof biasPointer));\n"
     << "  BERT_LT(\"BIAS_DATA_TYPE\",\n"
     << "          lt->cublasLtMatmulDescSetAttribute(\n"
     << "              *desc, BERT_CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, "
        "&biasType,\n"
     << "              sizeof biasType));\n"
     << "  return 0;\n}\n\n";

  // A shape's layouts and algorithm, asked of the heuristics once.
  os << "static void bert_lt_shape_free(bert_lt_shape *s) {\n"
     << "  const bert_cublaslt_driver *lt = bert_lt.lt;\n"
     << "  if (s->a)\n    (void)lt->cublasLtMatrixLayoutDestroy(s->a);\n"
     << "  if (s->b)\n    (void)lt->cublasLtMatrixLayoutDestroy(s->b);\n"
     << "  if (s->d)\n    (void)lt->cublasLtMatrixLayoutDestroy(s->d);\n"
     << "  memset(s, 0, sizeof *s);\n}\n\n"
     << "static int bert_lt_plan(bert_lt_shape *s, void *desc, int type, "
        "int64_t n,\n"
     << "                        int64_t k, int64_t rows, int64_t ldx, "
        "int64_t ldy) {\n"
     << "  const bert_cublaslt_driver *lt = bert_lt.lt;\n"
     << "  bert_cublaslt_heuristic found;\n"
     << "  int count = 0;\n"
     << "  memset(s, 0, sizeof *s);\n"
     << "  s->rows = rows;\n  s->ldx = ldx;\n  s->ldy = ldy;\n"
     << "  /* W [n][k] rows: column-major k x n; X: k x rows; Y: n x rows. "
        "*/\n"
     << "  BERT_LT(\"cublasLtMatrixLayoutCreate\",\n"
     << "          lt->cublasLtMatrixLayoutCreate(&s->a, type, "
        "(uint64_t)k,\n"
     << "                                         (uint64_t)n, k));\n"
     << "  BERT_LT(\"cublasLtMatrixLayoutCreate\",\n"
     << "          lt->cublasLtMatrixLayoutCreate(&s->b, type, "
        "(uint64_t)k,\n"
     << "                                         (uint64_t)rows, ldx));\n"
     << "  BERT_LT(\"cublasLtMatrixLayoutCreate\",\n"
     << "          lt->cublasLtMatrixLayoutCreate(&s->d, BERT_CUDA_R_32F,\n"
     << "                                         (uint64_t)n, "
        "(uint64_t)rows, ldy));\n"
     << "  BERT_LT(\"cublasLtMatmulAlgoGetHeuristic\",\n"
     << "          lt->cublasLtMatmulAlgoGetHeuristic(bert_lt.handle, desc, "
        "s->a, s->b,\n"
     << "                                             s->d, s->d, "
        "bert_lt.pref, 1,\n"
     << "                                             &found, &count));\n"
     << "  if (count < 1 || found.state != BERT_CUBLAS_STATUS_SUCCESS)\n"
     << "    return bert_lt_failed(\"cublasLtMatmulAlgoGetHeuristic (no "
        "algorithm)\",\n"
     << "                          count < 1 ? "
        "BERT_CUBLAS_STATUS_NOT_SUPPORTED\n"
     << "                                    : found.state);\n"
     << "  s->algo = found.algo;\n"
     << "  return 0;\n}\n\n";

  // The product of one call: the cached shape (or a fresh one, planned
  // under the lock), then the matmul on the caller's stream; capturable,
  // since the workspace is the lane's and alpha, beta are host values.
  os << "/* Y (ldy) = X (ldx, `elem` bytes each) W^T + bias at call site "
        "`site`\n"
     << " * of kernel `kernel`; cuBLASLt was promised 16-byte alignment. */\n"
     << "static int bert_lt_matmul(int kernel, int site, int type, int "
        "elem,\n"
     << "                          int64_t n, int64_t k, uint64_t w, "
        "uint64_t x,\n"
     << "                          int64_t ldx, uint64_t y, int64_t ldy, "
        "int64_t rows,\n"
     << "                          uint64_t workspace, void *stream) {\n"
     << "  const bert_cublaslt_driver *lt = bert_lt.lt;\n"
     << "  const float one = 1.0f, zero = 0.0f;\n"
     << "  bert_lt_shape fresh, *s = NULL;\n"
     << "  int i, st = 0;\n"
     << "  if (rows <= 0)\n    return 0;\n"
     << "  if ((x | y | workspace) % " << kAlignment << " || ldx * elem % "
     << kAlignment << " || ldy * 4 % " << kAlignment << ") {\n"
     << "    fprintf(stderr, \"model '" << plan.name
     << "': a cuBLASLt linear's X or Y is not \"\n"
     << "                    \"" << kAlignment << "-byte aligned\\n\");\n"
     << "    return 1; /* CUDA_ERROR_INVALID_VALUE */\n"
     << "  }\n"
     << "  pthread_mutex_lock(&bert_lt_lock);\n"
     << "  for (i = 0; i < bert_lt.num_shapes[kernel]; ++i) {\n"
     << "    s = &bert_lt.shapes[kernel][i];\n"
     << "    if (s->rows == rows && s->ldx == ldx && s->ldy == ldy)\n"
     << "      break;\n"
     << "  }\n"
     << "  if (i == bert_lt.num_shapes[kernel]) {\n"
     << "    s = i < BERT_LT_SHAPES ? &bert_lt.shapes[kernel][i] : &fresh;\n"
     << "    st = bert_lt_plan(s, bert_lt.desc[site], type, n, k, rows, ldx, "
        "ldy);\n"
     << "    if (st != 0)\n      bert_lt_shape_free(s);\n"
     << "    else if (s != &fresh)\n      ++bert_lt.num_shapes[kernel];\n"
     << "  }\n"
     << "  pthread_mutex_unlock(&bert_lt_lock);\n"
     << "  if (st != 0)\n    return st;\n"
     << "  st = lt->cublasLtMatmul(\n"
     << "      bert_lt.handle, bert_lt.desc[site], &one, (const void "
        "*)(uintptr_t)w,\n"
     << "      s->a, (const void *)(uintptr_t)x, s->b, &zero, (void "
        "*)(uintptr_t)y,\n"
     << "      s->d, (void *)(uintptr_t)y, s->d, &s->algo,\n"
     << "      (void *)(uintptr_t)workspace, BERT_LT_WORKSPACE, stream);\n"
     << "  if (s == &fresh)\n    bert_lt_shape_free(s);\n"
     << "  return st != 0 ? bert_lt_failed(\"cublasLtMatmul\", st) : 0;\n"
     << "}\n\n";

  os << "static void bert_lt_teardown(void) {\n"
     << "  const bert_cublaslt_driver *lt = bert_lt.lt;\n"
     << "  int i, j;\n"
     << "  if (!lt)\n    return;\n"
     << "  for (i = 0; i < " << nk << "; ++i)\n"
     << "    for (j = 0; j < bert_lt.num_shapes[i]; ++j)\n"
     << "      bert_lt_shape_free(&bert_lt.shapes[i][j]);\n"
     << "  for (i = 0; i < " << sites << "; ++i)\n"
     << "    if (bert_lt.desc[i])\n"
     << "      (void)lt->cublasLtMatmulDescDestroy(bert_lt.desc[i]);\n"
     << "  if (bert_lt.pref)\n"
     << "    (void)lt->cublasLtMatmulPreferenceDestroy(bert_lt.pref);\n"
     << "  if (bert_lt.handle)\n"
     << "    (void)lt->cublasLtDestroy(bert_lt.handle);\n"
     << "  memset(&bert_lt, 0, sizeof bert_lt);\n}\n\n";

  // Setup: the handle, the preference (workspace, the alignment the
  // calls check), the own kernels and the descriptors.
  os << "static int bert_lt_init(bert_cuda_state *g) {\n"
     << "  const bert_cublaslt_driver *lt = bert_cublaslt_driver_get(NULL, "
        "0);\n"
     << "  const uint64_t workspace = BERT_LT_WORKSPACE;\n"
     << "  const uint32_t alignment = " << kAlignment << ";\n"
     << "  int i;\n"
     << "  if (!lt)\n"
     << "    return 500; /* CUDA_ERROR_NOT_FOUND (the load refuses this "
        "first) */\n"
     << "  bert_lt.lt = lt;\n"
     << "  BERT_LT(\"cublasLtCreate\", lt->cublasLtCreate(&bert_lt.handle));\n"
     << "  BERT_LT(\"cublasLtMatmulPreferenceCreate\",\n"
     << "          lt->cublasLtMatmulPreferenceCreate(&bert_lt.pref));\n"
     << "  BERT_LT(\"MAX_WORKSPACE_BYTES\",\n"
     << "          lt->cublasLtMatmulPreferenceSetAttribute(\n"
     << "              bert_lt.pref, "
        "BERT_CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,\n"
     << "              &workspace, sizeof workspace));\n"
     << "  for (i = BERT_CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES;\n"
     << "       i <= BERT_CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES; ++i)\n"
     << "    BERT_LT(\"MIN_ALIGNMENT\",\n"
     << "            lt->cublasLtMatmulPreferenceSetAttribute(bert_lt.pref, "
        "i, &alignment,\n"
     << "                                                     sizeof "
        "alignment));\n";
  for (size_t k = 0; k < nk; ++k) {
    const cpu::KernelRequest &req = plan.kernels[k];
    if (!isCublasLt(req))
      continue;
    const std::string symbol = plan.kernelSymbol(k);
    if (operandType(*linearOf(req)).bytes == 2)
      os << "  BERT_CU(g->cu->cuModuleGetFunction(&bert_lt.round_fn[" << k
         << "], g->module,\n"
         << "                                    \"" << symbol
         << "_round\"));\n";
    if (linearOf(req)->act != cpu::Activation::None)
      os << "  BERT_CU(g->cu->cuModuleGetFunction(&bert_lt.act_fn[" << k
         << "], g->module,\n"
         << "                                    \"" << symbol << "_act\"));\n";
  }
  const std::vector<size_t> calls = cublasLtCalls(plan);
  for (size_t site = 0; site < calls.size(); ++site) {
    const KernelCall &call = plan.calls[calls[site]];
    os << "  BERT_CU(bert_lt_desc(&bert_lt.desc[" << site << "], "
       << (linearOf(plan.kernels[call.kernel])->hasBias
               ? devicePointer(call.args[2].base)
               : std::string("0"))
       << "));\n";
  }
  os << "  return 0;\n}\n\n";
}

void cuda::emitCublasLtInit(llvm::raw_ostream &os, const ModelPlan &plan) {
  if (usesCublasLt(plan))
    os << "  BERT_CU(bert_lt_init(g));\n";
}

void cuda::emitCublasLtTeardown(llvm::raw_ostream &os, const ModelPlan &plan) {
  if (usesCublasLt(plan))
    os << "  bert_lt_teardown();\n";
}

void cuda::emitCublasLtCall(llvm::raw_ostream &os, const ModelPlan &plan,
                            const KernelCall &call,
                            const std::vector<std::string> &pointers) {
  const cpu::KernelRequest &req = plan.kernels[call.kernel];
  const cpu::LinearSpec &s = *linearOf(req);
  const auto &sched = std::get<::bert::CudaSchedule>(req.schedule);
  const OperandType type = operandType(s);
  const std::vector<size_t> calls = cublasLtCalls(plan);
  const size_t site =
      llvm::find(calls, size_t(&call - plan.calls.data())) - calls.begin();
  const int64_t scratch = align256(plan.arenaBytes),
                workspace = scratch + align256(scratchBytes(plan));
  // X, W, [bias], Y: only X's and Y's [rows][width] views matter here.
  const size_t y = call.args.size() - 1;
  os << "  { /* " << commentSafe(call.comment) << ": cuBLASLt */\n";
  for (size_t a : {size_t(0), size_t(1), y}) {
    const BufferArg &arg = call.args[a];
    std::string p = "p" + num(a);
    os << "    uint64_t " << p << " = " << callPointer(call, a, pointers)
       << ";\n";
    if (a != 1)
      os << "    int64_t " << p << "_e0 = " << arg.dims[0].first << ", " << p
         << "_s0 = " << arg.dims[0].second << ", " << p
         << "_e1 = " << arg.dims[1].first << ", " << p
         << "_s1 = " << arg.dims[1].second << ";\n";
  }
  os << "    (void)p0_e0;\n    (void)p0_s0;\n    (void)p" << y
     << "_e0;\n    (void)p" << y << "_s0;\n    (void)p" << y << "_e1;\n";
  const std::string rows = "p0_e1", grid = "(unsigned)((" + rows + " + " +
                                           num(sched.tileM - 1) + ") / " +
                                           num(sched.tileM) + ")";
  auto launch = [&](const std::string &fn, const std::string &params) {
    os << "    {\n      void *params[] = {" << params << "};\n"
       << "      BERT_CU(cu->cuLaunchKernel(" << fn << ", " << grid
       << ", 1, 1, " << sched.warps * 32 << ", 1, 1,\n"
       << "                                 0, stream, params, NULL));\n"
       << "    }\n";
  };
  std::string x = "p0", ldx = "p0_s1";
  if (type.bytes == 2) {
    // X rounded into the arena's scratch, dense (ld = K).
    os << "    uint64_t x16 = arena + " << scratch << ";\n"
       << "    int64_t x16_e0 = " << s.K << ", x16_s0 = 1, x16_e1 = " << rows
       << ", x16_s1 = " << s.K << ";\n"
       << "    if (" << rows << " * " << s.K * 2 << " > " << scratchBytes(plan)
       << ")\n      return 1; /* CUDA_ERROR_INVALID_VALUE */\n";
    launch("bert_lt.round_fn[" + num(call.kernel) + "]",
           "&p0, &p0_e0, &p0_s0, &p0_e1, &p0_s1, &x16, &x16_e0, &x16_s0, "
           "&x16_e1, &x16_s1");
    x = "x16";
    ldx = "x16_s1";
  }
  os << "    BERT_CU(bert_lt_matmul(" << call.kernel << ", " << site << ", "
     << type.ltType << ", " << type.bytes << ", " << s.N << ", " << s.K
     << ", p1, " << x << ",\n"
     << "                           " << ldx << ", p" << y << ", p" << y
     << "_s1, " << rows << ", arena + " << workspace << ", stream));\n";
  if (s.act != cpu::Activation::None) {
    const std::string p = "p" + num(y);
    launch("bert_lt.act_fn[" + num(call.kernel) + "]",
           "&" + p + ", &" + p + "_e0, &" + p + "_s0, &" + p + "_e1, &" + p +
               "_s1");
  }
  os << "  }\n";
}
