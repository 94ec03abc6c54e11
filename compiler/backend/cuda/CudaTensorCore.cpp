//===- CudaTensorCore.cpp - the tensor-core kernels' CUDA C++ templates ---===//
//
// See CudaTensorCore.h. The templates' $NAME placeholders are substituted
// by CudaKernels.cpp (sizes from the spec and the schedule, $STAGED_LOOP,
// the epilogue, the operand type); the helpers they call ($PACK:
// bert_bf16x2, bert_f16x2) come from its prelude.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cuda/CudaTensorCore.h"

/// The tensor-core GEMM: Y = act(X W^T + b) with W bf16 or f16 [N][K]
/// ($HALF), fp32 accumulation in mma.sync m16n8k16. X [M][K] is float32
/// (rounded to the operand type as its A fragments are built) or, stored
/// 16-bit between kernels, $HALF itself ($A_T: the X tile's element type,
/// $A_TILE_LOAD and $A_FRAGMENT: kGemmXFloat or kGemmXHalf; keys longer
/// than the placeholders their text holds, which substitute() replaces
/// after them). A TM x TN block of
/// WARPS_M x WARPS_N warps, each a WTM x WTN tile of MI x NI mma tiles; K
/// goes TK deep per stage through STAGES cp.async buffers (W 16 bytes at a
/// time, K % 8 == 0; X likewise when 16-bit, else 4 bytes; zero-filled past
/// M, N and K), W fragments (and 16-bit X's) by ldmatrix. Rows are
/// padded by 8 elements so the fragment reads hit distinct banks. Two
/// blocks per SM in the launch bounds: without a minimum, ptxas keeps the
/// 8-warp tile with a GELU epilogue to 80 registers and spills.
const char *const mlir::bert::cuda::kGemmMMA = R"(// $COMMENT
extern "C" __global__ void __launch_bounds__($THREADS, 2) $SYMBOL(
    $PARAMS) {
  // The one declaration every kernel of the .cu shares (its base is 16-byte
  // aligned, as cp.async and ldmatrix need).
  extern __shared__ float smem[];
  $A_T *as = reinterpret_cast<$A_T *>(smem); // [STAGES][TM][TK + 8]
  $HALF *bs = reinterpret_cast<$HALF *>(
      as + $STAGES * $TM * ($TK + 8)); // [STAGES][TN][TK + 8]
  const int64_t M = p0_e1, ldx = p0_s1, ldy = $Y_s1;
  const int N = $N, K = $K;
  const int64_t m0 = (int64_t)blockIdx.y * $TM;
  const int n0 = blockIdx.x * $TN;
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int wm = (warp / $WARPS_N) * $WTM, wn = (warp % $WARPS_N) * $WTN;
  const int g = lane / 4, t = lane % 4;
  const int ktiles = (K + $TK - 1) / $TK;
  float acc[$MI][$NI][4] = {};
  auto load = [&](int stage, int kt) {
    const int k0 = kt * $TK;
    $A_T *a = as + stage * $TM * ($TK + 8);
$A_TILE_LOAD    $HALF *b = bs + stage * $TN * ($TK + 8);
    for (int i = tid; i < $TN * ($TK / 8); i += $THREADS) {
      const int n = i / ($TK / 8), k = i % ($TK / 8) * 8;
      const bool in = n0 + n < N && k0 + k < K;
      __pipeline_memcpy_async(&b[n * ($TK + 8) + k],
                              in ? p1 + (int64_t)(n0 + n) * K + k0 + k : p1,
                              16, in ? 0 : 16);
    }
  };
$STAGED_LOOP
    const $A_T *a = as + (kt % $STAGES) * $TM * ($TK + 8);
    const $HALF *b = bs + (kt % $STAGES) * $TN * ($TK + 8);
#pragma unroll
    for (int kk = 0; kk < $TK; kk += 16) {
      uint32_t af[$MI][4], bf[$NI][2];
#pragma unroll
      for (int i = 0; i < $MI; ++i) {
$A_FRAGMENT      }
#pragma unroll
      for (int j = 0; j < $NI; j += 2) {
        // Four 8 x 8 matrices: n-blocks j and j + 1, k halves 0 and 8.
        const $HALF *p = b + (wn + j * 8 + lane % 8 + lane / 16 * 8) *
                                 ($TK + 8) +
                         kk + lane / 8 % 2 * 8;
        const uint32_t addr =
            (uint32_t)__cvta_generic_to_shared(const_cast<$HALF *>(p));
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 "
                     "{%0, %1, %2, %3}, [%4];\n"
                     : "=r"(bf[j][0]), "=r"(bf[j][1]), "=r"(bf[j + 1][0]),
                       "=r"(bf[j + 1][1])
                     : "r"(addr));
      }
#pragma unroll
      for (int i = 0; i < $MI; ++i)
#pragma unroll
        for (int j = 0; j < $NI; ++j)
          asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.$MMA.$MMA.f32 "
                       "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                       "{%0, %1, %2, %3};\n"
                       : "+f"(acc[i][j][0]), "+f"(acc[i][j][1]),
                         "+f"(acc[i][j][2]), "+f"(acc[i][j][3])
                       : "r"(af[i][0]), "r"(af[i][1]), "r"(af[i][2]),
                         "r"(af[i][3]), "r"(bf[j][0]), "r"(bf[j][1]));
    }
    __syncthreads();
  }
  // C fragment: rows g and g + 8 (h), columns 2t and 2t + 1 (e).
#pragma unroll
  for (int i = 0; i < $MI; ++i)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int64_t m = m0 + wm + i * 16 + g + h * 8;
      if (m >= M)
        continue;
      auto *y = $Y + m * ldy;
#pragma unroll
      for (int j = 0; j < $NI; ++j)
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const int n = n0 + wn + j * 8 + 2 * t + e;
          if (n < N) {
            float v = acc[i][j][h * 2 + e]$BIAS;
            bert_st(y + n, $ACT);
          }
        }
    }
}
)";

/// kGemmMMA's X of float32: 4-byte cp.async (bert_stage), A fragments
/// packed from float pairs.
const char *const mlir::bert::cuda::kGemmXFloat[2] = {
    R"(    for (int i = tid; i < $TM * $TK; i += $THREADS) {
      const int m = i / $TK, k = i % $TK;
      const bool in = m0 + m < M && k0 + k < K;
      bert_stage(&a[m * ($TK + 8) + k], in ? p0 + (m0 + m) * ldx + k0 + k : p0,
                 in);
    }
)",
    R"(        // A fragment: rows g and g + 8, k pairs 2t and 2t + 8.
        const float *r0 = a + (wm + i * 16 + g) * ($TK + 8) + kk + 2 * t;
        const float *r1 = r0 + 8 * ($TK + 8);
        af[i][0] = $PACK(*reinterpret_cast<const float2 *>(r0));
        af[i][1] = $PACK(*reinterpret_cast<const float2 *>(r1));
        af[i][2] = $PACK(*reinterpret_cast<const float2 *>(r0 + 8));
        af[i][3] = $PACK(*reinterpret_cast<const float2 *>(r1 + 8));
)"};

/// kGemmMMA's X of $HALF (16-bit activations): 16-byte cp.async as W's
/// (K % 8 == 0, and the row stride too: K, or K x S for the first token),
/// A fragments by ldmatrix: matrices (rows 0-7 | 8-15) x (k 0-7 | 8-15)
/// are a0..a3, lane l giving row l % 16 at k (l / 16) * 8.
const char *const mlir::bert::cuda::kGemmXHalf[2] = {
    R"(    for (int i = tid; i < $TM * ($TK / 8); i += $THREADS) {
      const int m = i / ($TK / 8), k = i % ($TK / 8) * 8;
      const bool in = m0 + m < M && k0 + k < K;
      __pipeline_memcpy_async(&a[m * ($TK + 8) + k],
                              in ? p0 + (m0 + m) * ldx + k0 + k : p0, 16,
                              in ? 0 : 16);
    }
)",
    R"(        const $HALF *r = a + (wm + i * 16 + lane % 16) * ($TK + 8) + kk +
                         lane / 16 * 8;
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 "
                     "{%0, %1, %2, %3}, [%4];\n"
                     : "=r"(af[i][0]), "=r"(af[i][1]), "=r"(af[i][2]),
                       "=r"(af[i][3])
                     : "r"((uint32_t)__cvta_generic_to_shared(
                         const_cast<$HALF *>(r))));
)"};

/// bf16 or f16 attention on tensor cores, FlashAttention-2 style: a warp
/// per 16 queries (TM = 16 x warps a block), whose Q fragments stay in
/// registers; TN keys at a time as K and V tiles of the operand type in
/// shared memory; S = Q K^T and O += P V by mma.sync m16n8k16 with fp32
/// accumulators, P taken straight from S's accumulators as the A fragments
/// of P V; the online softmax in fp32 per row (a quad of lanes shares a
/// row). Operands round as the SIMT attention's: Q, K, V, and each
/// unnormalized p. Keys past S score
/// -inf; masked keys get -FLT_MAX added, as transformers does.
const char *const mlir::bert::cuda::kAttentionMMA = R"(// $COMMENT
extern "C" __global__ void __launch_bounds__($THREADS) $SYMBOL(
    $PARAMS) {
  extern __shared__ float smem[];
  $HALF *qs = reinterpret_cast<$HALF *>(smem); // [TM][D + 8]
  $HALF *ks = qs + $TM * ($D + 8), *vs = ks + $TN * ($D + 8);
$SEQUENCE  const int64_t q0 = (int64_t)blockIdx.x * $TM;
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int g = lane / 4, t = lane % 4;
  // A tile of `rows` rows of part `part` (0 Q, 1 K, 2 V) from row r0 into
  // dst as $HALF, zeros past S.
  auto stage = [&]($HALF *dst, int rows, int64_t r0, int part) {
    for (int e = tid; e < rows * ($D / 2); e += $THREADS) {
      const int r = e / ($D / 2), c = e % ($D / 2) * 2;
      float2 v = make_float2(0.0f, 0.0f);
      if (r0 + r < S)
        v = bert_ld2(base + (r0 + r) * p0_s3 + part * p0_s2 + c);
      *reinterpret_cast<uint32_t *>(&dst[r * ($D + 8) + c]) = $PACK(v);
    }
  };
  // Four 8 x 8 16-bit matrices from shared memory (.trans: transposed).
  auto ldsm = [](const $HALF *p, uint32_t *r, bool trans) {
    const uint32_t a = (uint32_t)__cvta_generic_to_shared(const_cast<$HALF *>(p));
    if (trans)
      asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 "
                   "{%0, %1, %2, %3}, [%4];\n"
                   : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                   : "r"(a));
    else
      asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 "
                   "{%0, %1, %2, %3}, [%4];\n"
                   : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                   : "r"(a));
  };
  auto mma = [](float *c, const uint32_t *a, uint32_t b0, uint32_t b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.$MMA.$MMA.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                 "{%0, %1, %2, %3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0),
                   "r"(b1));
  };
  stage(qs, $TM, q0, 0);
  __syncthreads();
  // This warp's Q rows as A fragments, k = 16 head dims at a time.
  uint32_t qa[$D / 16][4];
#pragma unroll
  for (int kk = 0; kk < $D / 16; ++kk)
    ldsm(qs + (warp * 16 + lane % 16) * ($D + 8) + kk * 16 + lane / 16 * 8,
         qa[kk], false);
  float o[$D / 8][4] = {};
  float mx[2] = {-INFINITY, -INFINITY}, sum[2] = {0.0f, 0.0f}; // rows g, g+8
  for (int64_t j0 = 0; j0 < S; j0 += $TN) {
    __syncthreads(); // the previous tile is read
    stage(ks, $TN, j0, 1);
    stage(vs, $TN, j0, 2);
    __syncthreads();
    float s[$TN / 8][4] = {};
#pragma unroll
    for (int kk = 0; kk < $D / 16; ++kk)
#pragma unroll
      for (int j = 0; j < $TN / 8; j += 2) {
        uint32_t kb[4]; // key blocks j and j + 1, dims kk * 16 + {0, 8}
        ldsm(ks + (j * 8 + lane % 8 + lane / 16 * 8) * ($D + 8) + kk * 16 +
                 lane / 8 % 2 * 8,
             kb, false);
        mma(s[j], qa[kk], kb[0], kb[1]);
        mma(s[j + 1], qa[kk], kb[2], kb[3]);
      }
    // Scale and mask, then the online softmax per row (h: g, g + 8).
    float tmax[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int j = 0; j < $TN / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int64_t key = j0 + j * 8 + 2 * t + e % 2;
        float v = key < S ? s[j][e] * $SCALE : -INFINITY;
        if (key < S && mask[key] == 0)
          v += -3.402823466e+38f;
        s[j][e] = v;
        tmax[e / 2] = fmaxf(tmax[e / 2], v);
      }
    float corr[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      tmax[r] = fmaxf(tmax[r], __shfl_xor_sync(0xffffffffu, tmax[r], 1));
      tmax[r] = fmaxf(tmax[r], __shfl_xor_sync(0xffffffffu, tmax[r], 2));
      const float m2 = fmaxf(mx[r], tmax[r]);
      corr[r] = __expf(mx[r] - m2);
      mx[r] = m2;
      sum[r] *= corr[r];
    }
#pragma unroll
    for (int j = 0; j < $TN / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[j][e] = __expf(s[j][e] - mx[e / 2]);
        sum[e / 2] += s[j][e]; // this lane's part; the quad's summed at the end
      }
#pragma unroll
    for (int d = 0; d < $D / 8; ++d)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        o[d][e] *= corr[e / 2];
    // O += P V, 16 keys at a time: P's A fragment is S's accumulators of
    // key blocks j and j + 1, rounded to $HALF.
#pragma unroll
    for (int j = 0; j < $TN / 8; j += 2) {
      const uint32_t pa[4] = {$PACK(make_float2(s[j][0], s[j][1])),
                              $PACK(make_float2(s[j][2], s[j][3])),
                              $PACK(make_float2(s[j + 1][0], s[j + 1][1])),
                              $PACK(make_float2(s[j + 1][2], s[j + 1][3]))};
#pragma unroll
      for (int d = 0; d < $D / 8; d += 2) {
        uint32_t vb[4]; // keys j * 8 + {0, 8}, dims d * 8 + {0, 8}
        ldsm(vs + (j * 8 + lane % 8 + lane / 8 % 2 * 8) * ($D + 8) + d * 8 +
                 lane / 16 * 8,
             vb, true);
        mma(o[d], pa, vb[0], vb[1]);
        mma(o[d + 1], pa, vb[2], vb[3]);
      }
    }
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    sum[r] += __shfl_xor_sync(0xffffffffu, sum[r], 1);
    sum[r] += __shfl_xor_sync(0xffffffffu, sum[r], 2);
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int64_t i = q0 + warp * 16 + g + r * 8;
    if (i >= S)
      continue;
    auto *out = outs + i * p2_s2;
#pragma unroll
    for (int d = 0; d < $D / 8; ++d)
      bert_st2(out + d * 8 + 2 * t,
               make_float2(o[d][2 * r] / sum[r], o[d][2 * r + 1] / sum[r]));
  }
}
)";
