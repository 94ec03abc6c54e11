//===- CudaKernels.cpp - CUDA C++ source for each kernel family -----------===//
//
// See CudaKernels.h. Each family's source is a template whose sizes are
// substituted from the spec and the schedule (`$NAME` placeholders), so the
// generated kernel has every tile as a compile-time constant, as nvcc needs
// to keep the register tiles in registers.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cuda/CudaKernels.h"
#include "compiler/backend/cuda/CudaCublasLt.h"
#include "compiler/backend/cuda/CudaTensorCore.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"

#include <map>
#include <sstream>

using namespace mlir;
using namespace mlir::bert;
namespace cpu = ::bert::cpu;

namespace {

std::string num(int64_t v) { return std::to_string(v); }

/// `text` with every `$KEY` of `subs` replaced (longest keys first, so that
/// $TM never eats the start of $TMx).
std::string substitute(std::string text,
                       const std::map<std::string, std::string> &subs) {
  std::vector<std::pair<std::string, std::string>> order(subs.begin(),
                                                         subs.end());
  llvm::sort(order, [](const auto &a, const auto &b) {
    return a.first.size() > b.first.size();
  });
  for (const auto &[key, value] : order) {
    std::string k = "$" + key;
    for (size_t at = text.find(k); at != std::string::npos;
         at = text.find(k, at + value.size()))
      text.replace(at, k.size(), value);
  }
  return text;
}

/// The parameter list of a call's buffers (CudaKernels.h).
std::string params(const KernelCall &call) {
  std::string out;
  for (size_t a = 0; a < call.args.size(); ++a) {
    const BufferArg &arg = call.args[a];
    std::string p = "p" + num(a);
    // Weights are read only; a 16-bit activation is read or written.
    const char *constness =
        arg.base.role == BufferRef::Role::Weight ? "const " : "";
    out += std::string(out.empty() ? "" : ",\n    ") +
           (arg.isInt32  ? std::string("const int32_t *")
            : arg.isBF16 ? constness + std::string("__nv_bfloat16 *")
            : arg.isF16  ? constness + std::string("__half *")
                         : std::string("float *")) +
           p;
    for (size_t d = 0; d < arg.dims.size(); ++d)
      out +=
          ", int64_t " + p + "_e" + num(d) + ", int64_t " + p + "_s" + num(d);
  }
  return out;
}

/// The device expression of activation `act` applied to float `v`, as
/// transformers' ACT2FN computes it (erf GELU, tanh GELU, ...).
std::string activation(cpu::Activation act) {
  switch (act) {
  case cpu::Activation::None:
    return "v";
  case cpu::Activation::Gelu:
    return "0.5f * v * (1.0f + erff(v * 0.70710678118654752f))";
  case cpu::Activation::GeluTanh:
    return "0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * "
           "v * v * v)))";
  case cpu::Activation::Relu:
    return "fmaxf(v, 0.0f)";
  case cpu::Activation::Silu:
    return "v / (1.0f + expf(-v))";
  case cpu::Activation::QuickGelu:
    return "v / (1.0f + expf(-1.702f * v))";
  case cpu::Activation::Tanh:
    return "tanhf(v)";
  }
  return "v";
}

std::string floatLiteral(float v) {
  std::ostringstream os;
  os.precision(9);
  os << std::scientific << v << "f";
  return os.str();
}

const char *kPrelude = R"(#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_pipeline.h>
#include <stdint.h>

#ifndef BERT_CUDA_HELPERS
#define BERT_CUDA_HELPERS
// x rounded to bf16 (nearest even) and back: what a bf16 operand holds.
__device__ __forceinline__ float bert_bf16_round(float x) {
  return __bfloat162float(__float2bfloat16_rn(x));
}
// Two floats as a bf16 pair in one register, the first in the low half
// (the k order of an mma operand).
__device__ __forceinline__ uint32_t bert_bf16x2(float2 v) {
  __nv_bfloat162 h = __floats2bfloat162_rn(v.x, v.y);
  return *reinterpret_cast<uint32_t *>(&h);
}
// The same for an f16 operand (IEEE half, nearest even), saturated to
// +-65504 as precision <f16> defines: an activation beyond fp16's range
// loses accuracy rather than becoming inf and then NaN. .satfinite keeps
// NaN a NaN.
__device__ __forceinline__ float bert_f16_round(float x) {
  unsigned short h;
  asm("cvt.rn.satfinite.f16.f32 %0, %1;" : "=h"(h) : "f"(x));
  return __half2float(__ushort_as_half(h));
}
__device__ __forceinline__ uint32_t bert_f16x2(float2 v) {
  uint32_t r; // the first operand goes to the high half
  asm("cvt.rn.satfinite.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(v.y), "f"(v.x));
  return r;
}
// Activations as their buffer stores them (float32, or bf16 / f16 between
// kernels under those precisions: the parameter's type picks the
// overload); every kernel computes in fp32 and converts only here. A
// 16-bit store rounds to nearest even, f16 saturated as above.
__device__ __forceinline__ float bert_ld(const float *p) { return *p; }
__device__ __forceinline__ float bert_ld(const __nv_bfloat16 *p) {
  return __bfloat162float(*p);
}
__device__ __forceinline__ float bert_ld(const __half *p) {
  return __half2float(*p);
}
__device__ __forceinline__ float2 bert_ld2(const float *p) {
  return *reinterpret_cast<const float2 *>(p);
}
__device__ __forceinline__ float2 bert_ld2(const __nv_bfloat16 *p) {
  return __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162 *>(p));
}
__device__ __forceinline__ float2 bert_ld2(const __half *p) {
  return __half22float2(*reinterpret_cast<const __half2 *>(p));
}
__device__ __forceinline__ void bert_st(float *p, float v) { *p = v; }
__device__ __forceinline__ void bert_st(__nv_bfloat16 *p, float v) {
  *p = __float2bfloat16_rn(v);
}
__device__ __forceinline__ void bert_st(__half *p, float v) {
  *p = __float2half_rn(bert_f16_round(v));
}
__device__ __forceinline__ void bert_st2(float *p, float2 v) {
  *reinterpret_cast<float2 *>(p) = v;
}
__device__ __forceinline__ void bert_st2(__nv_bfloat16 *p, float2 v) {
  *reinterpret_cast<uint32_t *>(p) = bert_bf16x2(v);
}
__device__ __forceinline__ void bert_st2(__half *p, float2 v) {
  *reinterpret_cast<uint32_t *>(p) = bert_f16x2(v);
}
// One element of a GEMM's X tile into shared memory as a float (zero when
// !in; src is then any valid address): float32 by cp.async, a 16-bit
// activation converted by a plain load (cp.async cannot convert; the
// barrier after the stage's wait orders both).
__device__ __forceinline__ void bert_stage(float *dst, const float *src,
                                           bool in) {
  __pipeline_memcpy_async(dst, src, 4, in ? 0 : 4);
}
template <typename T>
__device__ __forceinline__ void bert_stage(float *dst, const T *src, bool in) {
  *dst = in ? bert_ld(src) : 0.0f;
}
#endif

)";

/// The K loop of both GEMMs, through the stage ring their `load(stage,
/// kt)` fills: STAGES - 1 tiles in flight, then per tile the prefetch of
/// the one STAGES - 1 ahead, a wait for tile kt, and a barrier; the body
/// that follows computes on stage kt % STAGES.
const char *kStagedLoop = R"(  for (int s = 0; s < $STAGES - 1; ++s) {
    if (s < ktiles)
      load(s, s);
    __pipeline_commit();
  }
  for (int kt = 0; kt < ktiles; ++kt) {
    // Prefetch STAGES - 1 tiles ahead into the buffer freed last step.
    const int next = kt + $STAGES - 1;
    if (next < ktiles)
      load(next % $STAGES, next);
    __pipeline_commit();
    __pipeline_wait_prior($STAGES - 1);
    __syncthreads();)";

/// Y[m][n] = act(sum_k X[m][k] W[n][k] + b[n]): a TM x TN block of 4 x 4
/// per thread; A^T and W^T tiles TK deep in STAGES shared buffers filled
/// with cp.async (zero-filled past M, N and K).
const char *kGemm = R"(// $COMMENT
extern "C" __global__ void __launch_bounds__($THREADS) $SYMBOL(
    $PARAMS) {
  extern __shared__ float smem[];
  float *as = smem;                      // [STAGES][TK][TM]
  float *bs = smem + $STAGES * $TK * $TM; // [STAGES][TK][TN]
  const int64_t M = p0_e1, ldx = p0_s1, ldy = $Y_s1;
  const int N = $N, K = $K;
  const int64_t m0 = (int64_t)blockIdx.y * $TM;
  const int n0 = blockIdx.x * $TN;
  const int tid = threadIdx.x, tr = tid / ($TN / 4), tc = tid % ($TN / 4);
  const int ktiles = (K + $TK - 1) / $TK;
  float acc[4][4] = {};
  auto load = [&](int stage, int kt) {
    const int k0 = kt * $TK;
    for (int i = tid; i < $TM * $TK; i += $THREADS) {
      const int m = i / $TK, k = i % $TK;
      const bool in = m0 + m < M && k0 + k < K;
      bert_stage(&as[(stage * $TK + k) * $TM + m],
                 in ? p0 + (m0 + m) * ldx + k0 + k : p0, in);
    }
    for (int i = tid; i < $TN * $TK; i += $THREADS) {
      const int n = i / $TK, k = i % $TK;
      const bool in = n0 + n < N && k0 + k < K;
      __pipeline_memcpy_async(&bs[(stage * $TK + k) * $TN + n],
                              in ? p1 + (int64_t)(n0 + n) * K + k0 + k : p1,
                              4, in ? 0 : 4);
    }
  };
$STAGED_LOOP
    const float *a = as + (kt % $STAGES) * $TK * $TM;
    const float *b = bs + (kt % $STAGES) * $TK * $TN;
#pragma unroll
    for (int k = 0; k < $TK; ++k) {
      float av[4], bv[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        av[i] = a[k * $TM + tr * 4 + i];
        bv[i] = b[k * $TN + tc * 4 + i];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int64_t m = m0 + tr * 4 + i;
    if (m >= M)
      continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int n = n0 + tc * 4 + j;
      if (n >= N)
        continue;
      float v = acc[i][j]$BIAS;
      bert_st($Y + m * ldy + n, $ACT);
    }
  }
}
)";

/// Attention over the packed [B, S, 3, heads, D] projection (or, varlen,
/// over each sequence's packed rows: $SEQUENCE): a query per thread with
/// an online softmax; K and V rows TN at a time in shared
/// memory. Masked keys get -FLT_MAX added, as transformers does. With bf16
/// or f16 operands ($ROUND = bert_bf16_round, bert_f16_round) Q, K, V and
/// each p are rounded before their products, as the CPU's bf16 attention
/// does; sums stay fp32.
const char *kAttention = R"(// $COMMENT
extern "C" __global__ void __launch_bounds__($THREADS) $SYMBOL(
    $PARAMS) {
  extern __shared__ float smem[];
  float *ks = smem, *vs = smem + $TN * $D; // [TN][D] each
$SEQUENCE  const int64_t i = (int64_t)blockIdx.x * $TM + threadIdx.x;
  float q[$D], acc[$D];
  const auto *qi = base + (i < S ? i : 0) * p0_s3;
#pragma unroll
  for (int c = 0; c < $D; ++c) {
    q[c] = $ROUND(bert_ld(qi + c));
    acc[c] = 0.0f;
  }
  float mx = -INFINITY, sum = 0.0f;
  for (int64_t j0 = 0; j0 < S; j0 += $TN) {
    for (int e = threadIdx.x; e < $TN * $D; e += $THREADS) {
      const int64_t j = j0 + e / $D;
      const int c = e % $D;
      ks[e] = j < S ? $ROUND(bert_ld(base + j * p0_s3 + p0_s2 + c)) : 0.0f;
      vs[e] = j < S ? $ROUND(bert_ld(base + j * p0_s3 + 2 * p0_s2 + c)) : 0.0f;
    }
    __syncthreads();
    const int n = S - j0 < $TN ? (int)(S - j0) : $TN;
    for (int j = 0; j < n; ++j) {
      float dot = 0.0f;
#pragma unroll
      for (int c = 0; c < $D; ++c)
        dot = fmaf(q[c], ks[j * $D + c], dot);
      float s = dot * $SCALE;
      if (mask[j0 + j] == 0)
        s += -3.402823466e+38f;
      const float m2 = fmaxf(mx, s), corr = __expf(mx - m2),
                  p = __expf(s - m2);
      sum = sum * corr + p;
      const float pv = $ROUND(p);
#pragma unroll
      for (int c = 0; c < $D; ++c)
        acc[c] = fmaf(pv, vs[j * $D + c], acc[c] * corr);
      mx = m2;
    }
    __syncthreads();
  }
  if (i < S) {
    auto *out = outs + i * p2_s2;
#pragma unroll
    for (int c = 0; c < $D; ++c)
      bert_st(out + c, acc[c] / sum);
  }
}
)";

/// The start of both attention kernels ($SEQUENCE): which rows sequence b
/// (blockIdx.z) is, its length S, its key mask, and where its outputs go.
/// Padded: rows b * S.. of the [B, S, ...] buffers.
const char *kSequencePadded =
    R"(  const int64_t S = p0_e3, b = blockIdx.z, h = blockIdx.y;
  const auto *base = p0 + b * p0_s4 + h * $D;
  const int32_t *mask = p1 + b * p1_s1;
  auto *outs = p2 + b * p2_s3 + h * $D;
)";

/// Varlen (the packed path): sequence b is the packed rows cu[b] ..
/// cu[b + 1] (cumulative offsets, on the device, so a captured graph reads
/// each run's), its keys masked by the packed rows' own mask values. The
/// grid covers the longest sequence; a block past this one's end leaves.
/// The last z (b = B) is no sequence: rows cu[B] .. cu[B + 1], which the
/// GEMMs compute only to fill their row tiles; its first block zeroes them
/// so that no reader of this output sees memory nothing wrote.
const char *kSequenceVarlen =
    R"(  const int64_t b = blockIdx.z, h = blockIdx.y, first = cu[b],
                S = cu[b + 1] - first;
  auto *outs = p2 + first * p2_s2 + h * $D;
  if (b == gridDim.z - 1) {
    for (int64_t e = threadIdx.x; blockIdx.x == 0 && e < S * $D;
         e += $THREADS)
      bert_st(outs + e / $D * p2_s2 + e % $D, 0.0f);
    return;
  }
  if ((int64_t)blockIdx.x * $TM >= S)
    return; // the whole block: no __syncthreads is left waiting
  const auto *base = p0 + first * p0_s3 + h * $D;
  const int32_t *mask = p1 + first;
)";

/// dst row r = src row idx[r], or zeros where idx[r] < 0: a warp per row,
/// of elements $T (both buffers store the value alike).
/// The packed path's gather (idx = tok: packed row t from padded row
/// tok[t]) and scatter (idx: the packed row of each padded row, -1 for
/// padding), always between distinct buffers, so rows never race.
const char *kCopyRows = R"(// copy_rows | tile_m=8 warps=8 smem_bytes=0
extern "C" __global__ void __launch_bounds__(256) $SYMBOL(
    const int32_t *p0, int64_t p0_e0, int64_t p0_s0,
    $T *p1, int64_t p1_e0, int64_t p1_s0, int64_t p1_e1, int64_t p1_s1,
    $T *p2, int64_t p2_e0, int64_t p2_s0, int64_t p2_e1, int64_t p2_s1) {
  const int64_t r = (int64_t)blockIdx.x * 8 + threadIdx.x / 32;
  if (r >= p2_e1)
    return;
  const int32_t from = p0[r * p0_s0];
  for (int64_t c = threadIdx.x % 32; c < p2_e0; c += 32)
    bert_st(p2 + r * p2_s1 + c,
            from >= 0 ? bert_ld(p1 + from * p1_s1 + c) : 0.0f);
}
)";

/// The warp-per-row LayerNorm body over the row's values v[] (lane c, c +
/// 32, ...), written to `out`: mean, then the centred variance, in fp32.
const char *kLayerNormTail = R"(  float mean = 0.0f;
#pragma unroll
  for (int i = 0; i < $PER; ++i)
    mean += v[i];
  for (int o = 16; o > 0; o /= 2)
    mean += __shfl_xor_sync(0xffffffffu, mean, o);
  mean /= $H;
  float var = 0.0f;
#pragma unroll
  for (int i = 0; i < $PER; ++i) {
    const int c = lane + 32 * i;
    const float d = c < $H ? v[i] - mean : 0.0f;
    var += d * d;
  }
  for (int o = 16; o > 0; o /= 2)
    var += __shfl_xor_sync(0xffffffffu, var, o);
  const float rstd = rsqrtf(var / $H + $EPS);
#pragma unroll
  for (int i = 0; i < $PER; ++i) {
    const int c = lane + 32 * i;
    if (c < $H)
      bert_st(out + c, (v[i] - mean) * rstd * $GAMMA[c] + $BETA[c]);
  }
}
)";

/// LayerNorm(x [+ r]) of rows of H, a warp per row.
const char *kLayerNormHead = R"(// $COMMENT
extern "C" __global__ void __launch_bounds__($THREADS) $SYMBOL(
    $PARAMS) {
  const int lane = threadIdx.x % 32;
  const int64_t row = (int64_t)blockIdx.x * $TM + threadIdx.x / 32;
  if (row >= $Y_e1)
    return;
  float v[$PER];
#pragma unroll
  for (int i = 0; i < $PER; ++i) {
    const int c = lane + 32 * i;
    v[i] = c < $H ? bert_ld(p0 + row * p0_s1 + c)$RESIDUAL : 0.0f;
  }
  auto *out = $Y + row * $Y_s1;
)";

/// Word + position [+ token type] [+ language] embeddings, then LayerNorm;
/// a warp per token. With a padding index, positions count the row's
/// non-padding ids (RoBERTa's create_position_ids_from_input_ids).
const char *kEmbeddingsHead = R"(// $COMMENT
extern "C" __global__ void __launch_bounds__($THREADS) $SYMBOL(
    $PARAMS) {
  const int lane = threadIdx.x % 32;
  const int64_t S = p0_e0, rows = S * p0_e1;
  const int64_t t = (int64_t)blockIdx.x * $TM + threadIdx.x / 32;
  if (t >= rows)
    return;
  const int64_t b = t / S, s = t % S;
  const int32_t id = p0[b * p0_s1 + s];
  int64_t pos = s;
  if ($PAD >= 0) {
    int real = 0;
    for (int64_t u = lane; u <= s; u += 32)
      real += p0[b * p0_s1 + u] != $PAD;
    for (int o = 16; o > 0; o /= 2)
      real += __shfl_xor_sync(0xffffffffu, real, o);
    pos = id == $PAD ? $PAD : $PAD + real;
  }
  float v[$PER];
#pragma unroll
  for (int i = 0; i < $PER; ++i) {
    const int c = lane + 32 * i;
    v[i] = c < $H ? $WORD[(int64_t)id * $H + c] + $POS[pos * $H + c]$EXTRA
                  : 0.0f;
  }
  auto *out = $Y + b * $Y_s2 + s * $Y_s1;
)";

/// x * mask per row (a warp per row).
const char *kMaskRows = R"(// $COMMENT
extern "C" __global__ void __launch_bounds__($THREADS) $SYMBOL(
    $PARAMS) {
  const int64_t row = (int64_t)blockIdx.x * $TM + threadIdx.x / 32;
  if (row >= p2_e1)
    return;
  const float keep = p1[row] != 0 ? 1.0f : 0.0f;
  for (int c = threadIdx.x % 32; c < $H; c += 32)
    bert_st(p2 + row * p2_s1 + c, bert_ld(p0 + row * p0_s1 + c) * keep);
}
)";

/// Column j of [rows, N] to output j (a warp per row).
const char *kUnstack = R"(// $COMMENT
extern "C" __global__ void __launch_bounds__($THREADS) $SYMBOL(
    $PARAMS) {
  const int64_t row = (int64_t)blockIdx.x * $TM + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= p0_e1)
    return;
$STORES}
)";

std::string fail(std::string &error, const std::string &what) {
  error = what;
  return "";
}

/// The 16-bit operand type of a tensor-core kernel, the one parameter by
/// which its bf16 and f16 forms differ: what the templates' $HALF (the
/// element type in shared memory and of the weight rows), $PACK (two
/// floats into one operand register), $ROUND (one float as the operand
/// holds it: the SIMT attention) and $MMA (the mma.sync type) become.
struct MmaType {
  const char *name, *cudaType, *pack, *round;
};
constexpr MmaType kBF16Type{"bf16", "__nv_bfloat16", "bert_bf16x2",
                            "bert_bf16_round"};
constexpr MmaType kF16Type{"f16", "__half", "bert_f16x2", "bert_f16_round"};

/// The operand type of a spec with `bf16` and `f16` flags, or null (fp32).
template <typename Spec> const MmaType *mmaType(const Spec &s) {
  return s.bf16 ? &kBF16Type : s.f16 ? &kF16Type : nullptr;
}

} // namespace

std::string cuda::kernelSource(const cpu::KernelRequest &req,
                               const KernelCall &call,
                               const std::string &symbol, std::string &error,
                               bool varlen) {
  const auto *sched = std::get_if<::bert::CudaSchedule>(&req.schedule);
  if (!sched)
    return fail(error, "the CUDA backend needs a cuda schedule on every "
                       "kernel, got a " +
                           std::string(::bert::scheduleKind(req.schedule)) +
                           " schedule (run bert-tile for a cuda target)");
  const std::string last = "p" + num(call.args.size() - 1);
  std::map<std::string, std::string> subs = {
      {"COMMENT", req.key()},      {"SYMBOL", symbol},
      {"PARAMS", params(call)},    {"THREADS", num(sched->warps * 32)},
      {"TM", num(sched->tileM)},   {"TN", num(sched->tileN)},
      {"TK", num(sched->tileK)},   {"STAGES", num(sched->stages)},
      {"Y_e1", last + "_e1"},      {"Y_s1", last + "_s1"},
      {"Y_s2", last + "_s2"},      {"Y", last},
      {"STAGED_LOOP", kStagedLoop}};
  const std::string field = "cuda schedule of " + req.key() + ": ";
  // What both GEMMs check and substitute: the stage ring (`need` bytes of
  // shared memory), the sizes and the epilogue; false with `error` set.
  auto stagedGemm = [&](int64_t need, int64_t n, int64_t k, cpu::Activation act,
                        bool bias) {
    if (sched->stages < 2)
      error = field +
              "stages must be at least 2 (the GEMM prefetches the next K "
              "tile), got " +
              num(sched->stages);
    else if (sched->smemBytes < need)
      error = field + "smem_bytes (" + num(sched->smemBytes) +
              ") is less than the " + num(need) + " bytes its tiles take";
    else {
      subs["N"] = num(n);
      subs["K"] = num(k);
      subs["BIAS"] = bias ? " + p2[n]" : "";
      subs["ACT"] = activation(act);
      return true;
    }
    return false;
  };
  auto gemm = [&](int64_t n, int64_t k, cpu::Activation act, bool bias) {
    if (sched->tileM % 4 || sched->tileN % 4 ||
        sched->tileM * sched->tileN != sched->warps * 32 * 16)
      return fail(error, field + "tile_m x tile_n (" + num(sched->tileM) +
                             " x " + num(sched->tileN) +
                             ") must be 16 outputs (4 x 4) per thread of " +
                             num(sched->warps) + " warps");
    int64_t need =
        sched->stages * (sched->tileM + sched->tileN) * sched->tileK * 4;
    if (!stagedGemm(need, n, k, act, bias))
      return std::string();
    return std::string(kPrelude) + substitute(kGemm, subs);
  };
  // The operand type's substitutions (MmaType).
  auto useType = [&](const MmaType &type) {
    subs["HALF"] = type.cudaType;
    subs["PACK"] = type.pack;
    subs["ROUND"] = type.round;
    subs["MMA"] = type.name;
  };
  // The tensor-core GEMM: the warp layout follows from the block tile
  // (warp tiles 32 rows deep, 16 for a 16-row block).
  auto gemmMMA = [&](int64_t n, int64_t k, cpu::Activation act, bool bias,
                     const MmaType &type) {
    const int64_t tm = sched->tileM, tn = sched->tileN, tk = sched->tileK;
    const int64_t wtm = tm >= 32 ? 32 : 16;
    if (k % 8)
      return fail(error, "in_features (" + num(k) + ") of a " + type.name +
                             " linear must be a multiple of 8 on CUDA (its "
                             "weight rows are copied 16 bytes at a time)");
    if (tm % wtm || sched->warps % (tm / wtm))
      return fail(error, field + "tile_m (" + num(tm) +
                             ") must be 16, or a multiple of 32 that divides "
                             "into the " +
                             num(sched->warps) + " warps");
    const int64_t warpsN = sched->warps / (tm / wtm);
    if (tn % (warpsN * 16))
      return fail(error, field + "tile_n (" + num(tn) +
                             ") must be a multiple of 16 per warp column (" +
                             num(warpsN) + " warp columns)");
    if (tk % 16)
      return fail(error, field + "tile_k (" + num(tk) +
                             ") must be a multiple of the mma's k of 16");
    // X rows (fp32, or stored as the operand type) and 16-bit W rows, each
    // padded by 8 elements.
    const BufferArg &x = call.args.front();
    const bool halfX = x.isBF16 || x.isF16;
    if (halfX && x.isBF16 != (std::string(type.name) == "bf16"))
      return fail(error, "the " + std::string(type.name) + " linear " +
                             req.key() + " reads X stored as " +
                             (x.isBF16 ? "bf16" : "f16") +
                             "; the tensor-core GEMM reads its own type");
    if (!stagedGemm(sched->stages * (tm * (halfX ? 2 : 4) + tn * 2) * (tk + 8),
                    n, k, act, bias))
      return std::string();
    const char *const *xTile = halfX ? cuda::kGemmXHalf : cuda::kGemmXFloat;
    subs["A_T"] = halfX ? type.cudaType : "float";
    subs["A_TILE_LOAD"] = xTile[0];
    subs["A_FRAGMENT"] = xTile[1];
    subs["WARPS_N"] = num(warpsN);
    subs["WTM"] = num(wtm);
    subs["WTN"] = num(tn / warpsN);
    subs["MI"] = num(wtm / 16);
    subs["NI"] = num(tn / warpsN / 8);
    useType(type);
    return std::string(kPrelude) + substitute(cuda::kGemmMMA, subs);
  };
  if (const auto *s = std::get_if<cpu::LinearSpec>(&req.spec)) {
    if (isCublasLt(req)) // the product is cuBLASLt's (CudaCublasLt.cpp)
      return cublasLtKernelSource(req, symbol, kPrelude, activation(s->act),
                                  error);
    if (s->int8 || s->hasResidual)
      return fail(error, "the CUDA backend has no " +
                             std::string(s->int8 ? "int8" : "residual") +
                             " linear yet (" + req.key() + ")");
    if (const MmaType *type = mmaType(*s))
      return gemmMMA(s->N, s->K, s->act, s->hasBias, *type);
    return gemm(s->N, s->K, s->act, s->hasBias);
  }
  if (const auto *s = std::get_if<cpu::PoolerSpec>(&req.spec))
    return gemm(s->N ? s->N : s->H, s->H, s->act, true);
  if (varlen && !std::holds_alternative<cpu::AttentionSpec>(req.spec))
    return fail(error,
                "only an attention has a varlen variant, not " + req.key());
  if (const auto *s = std::get_if<cpu::AttentionSpec>(&req.spec)) {
    int64_t d = s->hidden / s->numHeads;
    subs["SEQUENCE"] = varlen ? kSequenceVarlen : kSequencePadded;
    if (varlen) {
      // The offsets come first, so the output stays the last parameter.
      subs["PARAMS"] = "const int32_t *cu,\n    " + subs["PARAMS"];
      std::string key = req.key();
      subs["COMMENT"] = key.insert(key.find(' '), " varlen");
    }
    if (sched->tileK != d)
      return fail(error, field + "tile_k (" + num(sched->tileK) +
                             ") must be the head dimension (" + num(d) + ")");
    subs["D"] = num(d);
    subs["SCALE"] =
        floatLiteral(s->scale != 0.f ? s->scale : 1.0f / std::sqrt(float(d)));
    // A warp per 16 queries: the tensor-core kernel (bf16 and f16 only).
    const MmaType *type = mmaType(*s);
    if (type)
      useType(*type);
    if (type && sched->tileM == 16 * sched->warps) {
      int64_t need = (sched->tileM + 2 * sched->tileN) * (d + 8) * 2;
      if (d % 16)
        return fail(error, field +
                               "the tensor-core attention needs a head "
                               "dimension that is a multiple of 16, got " +
                               num(d));
      if (sched->tileN % 16)
        return fail(error, field + "tile_n (" + num(sched->tileN) +
                               ") must be a multiple of 16 keys");
      if (sched->smemBytes < need)
        return fail(error, field + "smem_bytes (" + num(sched->smemBytes) +
                               ") is less than the " + num(need) +
                               " bytes of the Q, K and V tiles");
      return std::string(kPrelude) + substitute(cuda::kAttentionMMA, subs);
    }
    if (sched->tileM != sched->warps * 32)
      return fail(error, field + "tile_m (" + num(sched->tileM) +
                             ") must be one query per thread (" +
                             num(sched->warps * 32) + ")" +
                             (type ? std::string(" or, ") + type->name +
                                         ", 16 per warp (" +
                                         num(sched->warps * 16) + ")"
                                   : std::string()));
    if (sched->smemBytes < 2 * sched->tileN * d * 4)
      return fail(error, field + "smem_bytes (" + num(sched->smemBytes) +
                             ") is less than the " +
                             num(2 * sched->tileN * d * 4) +
                             " bytes of a K and V tile");
    if (!type)
      subs["ROUND"] = "";
    return std::string(kPrelude) + substitute(kAttention, subs);
  }
  // The rest are warp-per-row kernels: each gives its row width and its
  // template (with the substitutions only it has), then one check and the
  // row substitutions serve them all.
  int64_t width = 0;
  std::string text;
  if (const auto *s = std::get_if<cpu::LayerNormSpec>(&req.spec)) {
    width = s->H;
    subs["RESIDUAL"] = s->hasResidual ? " + bert_ld(p1 + row * p1_s1 + c)" : "";
    subs["GAMMA"] = "p" + num(s->hasResidual ? 2 : 1);
    subs["BETA"] = "p" + num(s->hasResidual ? 3 : 2);
    subs["EPS"] = floatLiteral(s->eps);
    text = std::string(kLayerNormHead) + kLayerNormTail;
  } else if (const auto *s = std::get_if<cpu::EmbeddingsSpec>(&req.spec)) {
    if (s->wordOnly) // XLNet's; its relative attention has no CUDA kernel
      return fail(error, "the CUDA backend has no kernel for " + req.key());
    width = s->H;
    // Arguments: ids, [types], word, position, [type table], gamma, beta,
    // [langs, language table], out (ModelPlan::planEmbeddings).
    int a = s->typeVocab ? 2 : 1;
    std::string ids = "p0", types = "p1";
    subs["WORD"] = "p" + num(a++);
    subs["POS"] = "p" + num(a++);
    std::string extra;
    if (s->typeVocab)
      extra += " + p" + num(a++) + "[(int64_t)" + types + "[b * p1_s1 + s] * " +
               num(s->H) + " + c]";
    subs["GAMMA"] = "p" + num(a++);
    subs["BETA"] = "p" + num(a++);
    if (s->numLangs) {
      std::string langs = "p" + num(a);
      extra += " + p" + num(a + 1) + "[(int64_t)" + langs + "[b * " + langs +
               "_s1 + s] * " + num(s->H) + " + c]";
    }
    subs["EXTRA"] = extra;
    subs["PAD"] = num(s->paddingIdx);
    subs["EPS"] = floatLiteral(s->eps);
    text = std::string(kEmbeddingsHead) + kLayerNormTail;
  } else if (const auto *s = std::get_if<cpu::MaskRowsSpec>(&req.spec)) {
    width = s->H;
    text = kMaskRows;
  } else if (const auto *s = std::get_if<cpu::UnstackSpec>(&req.spec)) {
    width = s->N;
    std::string stores;
    for (int64_t j = 0; j < s->N; ++j)
      stores += "  if (lane == 0)\n    bert_st(p" + num(j + 1) +
                " + row, bert_ld(p0 + row * p0_s1 + " + num(j) + "));\n";
    subs["STORES"] = stores;
    text = kUnstack;
  } else {
    return fail(error, "the CUDA backend has no kernel for " + req.key());
  }
  if (sched->tileM != sched->warps)
    return fail(error, field + "tile_m (" + num(sched->tileM) +
                           ") must equal warps (" + num(sched->warps) +
                           ") for a warp-per-row kernel");
  subs["H"] = num(width);
  subs["PER"] = num((width + 31) / 32);
  return std::string(kPrelude) + substitute(text, subs);
}

cuda::Launch cuda::launchOf(const cpu::KernelRequest &req,
                            const KernelCall &call, bool varlen) {
  const auto &sched = std::get<::bert::CudaSchedule>(req.schedule);
  Launch l;
  l.threads = sched.warps * 32;
  l.smemBytes = sched.smemBytes;
  auto ceilDiv = [](const std::string &a, int64_t b) {
    return "(unsigned)((" + a + " + " + num(b - 1) + ") / " + num(b) + ")";
  };
  const BufferArg &first = call.args.front(), &out = call.args.back();
  if (const auto *s = std::get_if<cpu::AttentionSpec>(&req.spec)) {
    l.gridX = ceilDiv(first.dims[3].first, sched.tileM);
    l.gridY = num(s->numHeads);
    // Varlen: one z past the sequences zeroes the GEMMs' tile rows.
    l.gridZ =
        "(unsigned)(" + first.dims[4].first + (varlen ? " + 1" : "") + ")";
    return l;
  }
  if (std::holds_alternative<cpu::LinearSpec>(req.spec) ||
      std::holds_alternative<cpu::PoolerSpec>(req.spec)) {
    l.gridX = ceilDiv(out.dims[0].first, sched.tileN);
    l.gridY = ceilDiv(first.dims[1].first, sched.tileM);
    return l;
  }
  std::string rows = first.dims[1].first;
  if (std::holds_alternative<cpu::EmbeddingsSpec>(req.spec))
    rows = "(int64_t)(" + first.dims[0].first + ") * (" + first.dims[1].first +
           ")";
  l.gridX = ceilDiv(rows, sched.tileM);
  return l;
}

std::string cuda::varlenSymbol(const std::string &symbol) {
  return symbol + "_varlen";
}

std::string cuda::copyRowsSymbol(const std::string &type) {
  return type.empty() ? "bert_copy_rows" : "bert_copy_rows_" + type;
}

std::string cuda::copyRowsSource(const std::string &type) {
  return std::string(kPrelude) +
         substitute(kCopyRows, {{"SYMBOL", copyRowsSymbol(type)},
                                {"T", type == "bf16"  ? "__nv_bfloat16"
                                      : type == "f16" ? "__half"
                                                      : "float"}});
}

cuda::Launch cuda::copyRowsLaunch(const std::string &rows) {
  Launch l;
  l.gridX = "(unsigned)((" + rows + " + 7) / 8)";
  l.threads = 256;
  return l;
}
