//===- ReferenceKernels.h - plain C++ reference kernels ---------*- C++ -*-===//
//
// Straightforward loops, written for clarity and accumulating in double,
// that the Halide kernels are checked against. Row-major, HF weight layouts.
//===----------------------------------------------------------------------===//

#ifndef BERT_TEST_BACKEND_REFERENCEKERNELS_H
#define BERT_TEST_BACKEND_REFERENCEKERNELS_H

#include <cstdint>
#include <vector>

namespace bert::ref {

enum class Act { None, Gelu, GeluTanh, Relu, Silu, QuickGelu, Tanh };

/// y[M,N] = act(x[M,K] W[N,K]^T + b) (+ r); b, r may be null.
void linear(const float *x, const float *w, const float *b, const float *r,
            float *y, int64_t M, int64_t N, int64_t K, Act act);

/// The int8 linear (bert.linear precision <i8>) by its definition: each row
/// (output channel) of W quantized symmetrically to round(v * 127 / max |v|)
/// (half to even), each row of x asymmetrically to 256 levels over its range
/// widened to include 0, the products summed exactly in integers and scaled
/// back by both scales; y = act(that + b), b may be null. With
/// `hadamard` = B > 0, every row of x and W is first multiplied, block by
/// block of B along K, by the orthonormal Walsh-Hadamard matrix (hadamard).
void linearInt8(const float *x, const float *w, const float *b, float *y,
                int64_t M, int64_t N, int64_t K, Act act, int64_t hadamard = 0);

/// One row of x as the int8 linear quantizes it: its range [lo, hi] with 0
/// in it, inv = 255 / (hi - lo), z = round(-lo * inv), u = clamp(round(v *
/// inv) + z, 0, 255), round half to even, in float; returns z.
int64_t quantizeRowU8(const float *v, int64_t K, uint8_t *u, float &lo,
                      float &hi);

/// v[0..b) times the orthonormal Walsh-Hadamard matrix of order b (a power
/// of 4), in float: butterflies of half-width 1, 2, 4, ..., then the scale
/// 2^-(log2(b)/2) -- bert.linear's definition of the rotation, written here
/// from the definition, not from the runtime's or the kernels' code.
void hadamard(float *v, int64_t b);

/// out[M,H] = LN(x (+ r)) * gamma + beta.
void layerNorm(const float *x, const float *r, const float *gamma,
               const float *beta, float *out, int64_t M, int64_t H, float eps);

/// qkv[B*S, 3H], mask[B,S] -> out[B*S, H]; HF additive lowest-float mask.
void attention(const float *qkv, const int32_t *mask, float *out, int64_t B,
               int64_t S, int64_t H, int64_t heads, float scale);

/// The bf16 form of attention (bert.fused_attention precision <bf16>):
/// Q, K, V rounded to bf16 (nearest even); keys in tiles of `keyTile`, each
/// tile's p_j = exp(s_j - tile max) rounded to bf16 before it multiplies V,
/// the tile sums rescaled to the row maximum and the row normalized by the
/// unrounded sum.
void attentionBF16(const float *qkv, const int32_t *mask, float *out, int64_t B,
                   int64_t S, int64_t H, int64_t heads, float scale,
                   int64_t keyTile);

/// `v` rounded to bf16 (nearest even), as a float.
float roundBF16(float v);

/// out[B*S, H] = LN(word[ids] + pos[p] + type[tt]) * gamma + beta with
/// p = s, or (paddingIdx >= 0) RoBERTa's count of non-padding ids; `tt` and
/// `type` null: no token types.
void embeddings(const int32_t *ids, const int32_t *tt, const float *word,
                const float *pos, const float *type, const float *gamma,
                const float *beta, float *out, int64_t B, int64_t S, int64_t H,
                int64_t paddingIdx, float eps);

/// out[B, H] = tanh(W hidden[b*S] + bias), hidden [B*S, H].
void pooler(const float *hidden, const float *w, const float *bias, float *out,
            int64_t B, int64_t S, int64_t H);

/// XLNet's sinusoids (bert.relative_positions): row p of 2S, [2S, H], the
/// encoding of relative distance S - p (clamped when clampLen > 0).
void relativePositions(float *out, int64_t S, int64_t H, int64_t clampLen);

/// XLNet's relative attention core (bert.relative_attention) the way
/// transformers computes it: position scores for all 2S relative distances
/// S .. -(S-1) per query, then rel_shift (query i, key j reads distance
/// index j + S - i). qkv [B, S, 3H] (q, k, v side by side), kr [2S, H],
/// out [B, S, H] (heads side by side, before the output projection).
void relativeAttention(const float *qkv, const float *kr, const int32_t *mask,
                       const int32_t *types, const float *const bias[3],
                       const float *seg, float *out, int64_t B, int64_t S,
                       int64_t H, int64_t heads);

} // namespace bert::ref

#endif
