/*===- AmxGemm.c - hand-written AMX bf16 GEMM block -----------------------===
 *
 * See AmxGemm.h for the contract. A call computes one task's block of the
 * output: for each 32-row strip of it, the strip of X is rounded to bf16
 * once into a row-major buffer (its rows 64 bytes longer than K, so the
 * 16 rows of an A tile do not share L1 sets when 2K bytes is a multiple of
 * 4 KiB), then every 32-column pair of the block runs the micro-kernel:
 *
 *   tmm0..3  the 2 x 2 fp32 accumulator tiles (32 x 32 outputs)
 *   tmm4, 5  A: 16 rows x 32 k of the strip (bf16)
 *   tmm6, 7  B: 16 k-pairs x 16 columns of the weight panel (VNNI pairs)
 *
 * Per 32 k: four tile loads, four TDPBF16PS, none of which reads the
 * previous one's result, so they issue back to back (the Halide kernel's
 * one accumulator made each wait for the last). A strip of at most 16 rows
 * uses one A tile, a block edge of 16 columns one B tile. Tiles are stored
 * to the block (or, for rows past the block's end, to a scratch tile), and
 * the kernel's Halide epilogue (bias, activation) reads the block.
 *
 * Tile state is per thread: every call loads its configuration and releases
 * the tiles before returning, so a worker never depends on what ran before.
 *===----------------------------------------------------------------------===*/
#include "compiler/backend/cpu/amx/AmxGemm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) &&                                                     \
    ((defined(__clang__) && __clang_major__ >= 12) ||                          \
     (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
#define BERT_AMX_AVAILABLE 1
#include <immintrin.h>
#endif

/* bf16 elements of padding after each row of the strip buffer (64 bytes). */
#define STRIP_PAD 32

#ifdef BERT_AMX_AVAILABLE

#define BERT_AMX_TARGET                                                        \
  __attribute__((target("avx512f,avx512bw,amx-tile,amx-bf16")))

/* The tile configuration (palette 1), as LDTILECFG reads it. */
typedef struct {
  uint8_t palette, startRow, reserved[14];
  uint16_t colsBytes[16];
  uint8_t rows[16];
} TileConfig;

/* Every tile used is 16 rows of 64 bytes: fp32 accumulators (16 x 16),
 * A (16 rows x 32 bf16), B (16 k-pairs x 16 columns x 2 bf16). */
BERT_AMX_TARGET static void configureTiles(void) {
  TileConfig cfg;
  int t;
  memset(&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (t = 0; t < 8; ++t) {
    cfg.colsBytes[t] = 64;
    cfg.rows[t] = 16;
  }
  _tile_loadconfig(&cfg);
}

/* rows x k of x (row pitch xPitch floats) -> bf16, round to nearest even
 * as integer arithmetic (the same rounding as detail::roundToBF16 and
 * bert_float_to_bf16); rows up to `padRows` are zero. */
BERT_AMX_TARGET static void roundStrip(const float *x, int64_t xPitch, int rows,
                                       int padRows, int k, uint16_t *strip,
                                       int64_t stripPitch) {
  const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7fff);
  int r, kk;
  for (r = 0; r < rows; ++r) {
    const float *src = x + r * xPitch;
    uint16_t *dst = strip + r * stripPitch;
    for (kk = 0; kk < k; kk += 16) {
      __m512i u = _mm512_castps_si512(_mm512_loadu_ps(src + kk));
      __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), one);
      u = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, lsb), bias),
                            16);
      _mm256_storeu_si256((__m256i *)(dst + kk), _mm512_cvtepi32_epi16(u));
    }
  }
  for (; r < padRows; ++r)
    memset(strip + r * stripPitch, 0, (size_t)k * 2);
}

/* Stores accumulator tile T (rows r0.. of the strip) to acc, or through a
 * scratch tile when fewer than 16 of its rows lie in the block. */
#define STORE_TILE(T, r0, c0)                                                  \
  do {                                                                         \
    int valid_ = rows - (r0);                                                  \
    float *dst_ = acc + (int64_t)(r0)*accPitch + (c0);                         \
    if (valid_ >= 16) {                                                        \
      _tile_stored(T, dst_, accPitch * 4);                                     \
    } else {                                                                   \
      float tmp_[16 * 16];                                                     \
      int i_;                                                                  \
      _tile_stored(T, tmp_, 64);                                               \
      for (i_ = 0; i_ < valid_; ++i_)                                          \
        memcpy(dst_ + (int64_t)i_ * accPitch, tmp_ + 16 * i_, 64);             \
    }                                                                          \
  } while (0)

/* The micro-kernels: NR row tiles x NC column tiles over all of K, for the
 * strip's rows [0, rows) (at most 16 * NR) and columns c0.. of the block.
 * Tile numbers are immediates in the instructions, hence one body per
 * shape. */
#define MICRO_KERNEL(NAME, NR, NC)                                             \
  BERT_AMX_TARGET static void NAME(                                            \
      const uint16_t *strip, int64_t stripPitch, const uint16_t *w,            \
      int64_t wPitch, int k, float *acc, int64_t accPitch, int rows, int c0) { \
    int kk;                                                                    \
    _tile_zero(0);                                                             \
    if (NC == 2)                                                               \
      _tile_zero(1);                                                           \
    if (NR == 2) {                                                             \
      _tile_zero(2);                                                           \
      if (NC == 2)                                                             \
        _tile_zero(3);                                                         \
    }                                                                          \
    for (kk = 0; kk < k; kk += 32) {                                           \
      const uint16_t *b = w + (int64_t)(kk / 2) * wPitch + 2 * c0;             \
      _tile_loadd(4, strip + kk, stripPitch * 2);                              \
      _tile_loadd(6, b, wPitch * 2);                                           \
      if (NC == 2)                                                             \
        _tile_loadd(7, b + 32, wPitch * 2);                                    \
      if (NR == 2)                                                             \
        _tile_loadd(5, strip + 16 * stripPitch + kk, stripPitch * 2);          \
      _tile_dpbf16ps(0, 4, 6);                                                 \
      if (NC == 2)                                                             \
        _tile_dpbf16ps(1, 4, 7);                                               \
      if (NR == 2) {                                                           \
        _tile_dpbf16ps(2, 5, 6);                                               \
        if (NC == 2)                                                           \
          _tile_dpbf16ps(3, 5, 7);                                             \
      }                                                                        \
    }                                                                          \
    STORE_TILE(0, 0, c0);                                                      \
    if (NC == 2)                                                               \
      STORE_TILE(1, 0, c0 + 16);                                               \
    if (NR == 2) {                                                             \
      STORE_TILE(2, 16, c0);                                                   \
      if (NC == 2)                                                             \
        STORE_TILE(3, 16, c0 + 16);                                            \
    }                                                                          \
  }

MICRO_KERNEL(tiles2x2, 2, 2)
MICRO_KERNEL(tiles2x1, 2, 1)
MICRO_KERNEL(tiles1x2, 1, 2)
MICRO_KERNEL(tiles1x1, 1, 1)

BERT_AMX_TARGET static int gemmBlock(int k, const float *x, int64_t xPitch,
                                     int rows, const uint16_t *w,
                                     int64_t wPitch, int cols, float *acc,
                                     int64_t accPitch) {
  const int64_t stripPitch = k + STRIP_PAD;
  uint16_t *strip = (uint16_t *)malloc((size_t)(32 * stripPitch) * 2);
  int r, c;
  if (!strip)
    return -1;
  configureTiles();
  for (r = 0; r < rows; r += 32) {
    int stripRows = rows - r < 32 ? rows - r : 32;
    int two = stripRows > 16;
    roundStrip(x + r * xPitch, xPitch, stripRows, two ? 32 : 16, k, strip,
               stripPitch);
    for (c = 0; c < cols; c += 32) {
      float *a = acc + (int64_t)r * accPitch;
      if (cols - c >= 32) {
        if (two)
          tiles2x2(strip, stripPitch, w, wPitch, k, a, accPitch, stripRows, c);
        else
          tiles1x2(strip, stripPitch, w, wPitch, k, a, accPitch, stripRows, c);
      } else if (two) {
        tiles2x1(strip, stripPitch, w, wPitch, k, a, accPitch, stripRows, c);
      } else {
        tiles1x1(strip, stripPitch, w, wPitch, k, a, accPitch, stripRows, c);
      }
    }
  }
  _tile_release();
  free(strip);
  return 0;
}

#endif /* BERT_AMX_AVAILABLE */

static int isBoundsQuery(const halide_buffer_t *b) {
  return b->host == NULL && b->device == 0;
}

int bert_amx_bf16_gemm(int32_t k, int32_t n, halide_buffer_t *x,
                       halide_buffer_t *w, halide_buffer_t *acc) {
  const halide_dimension_t *cols = &acc->dim[0], *rows = &acc->dim[1];
  if (isBoundsQuery(x) || isBoundsQuery(w) || isBoundsQuery(acc)) {
    /* The block's rows of X, all of K; the block's columns of W. */
    if (isBoundsQuery(x)) {
      x->dim[0].min = 0;
      x->dim[0].extent = k;
      x->dim[1].min = rows->min;
      x->dim[1].extent = rows->extent;
    }
    if (isBoundsQuery(w)) {
      w->dim[0].min = 0;
      w->dim[0].extent = 2;
      w->dim[1].min = cols->min;
      w->dim[1].extent = cols->extent;
      w->dim[2].min = 0;
      w->dim[2].extent = k / 2;
    }
    return 0;
  }
  if (k % 32 != 0 || cols->extent % 16 != 0 || cols->min + cols->extent > n)
    return -1;
#ifdef BERT_AMX_AVAILABLE
  {
    const float *xRows =
        (const float *)x->host +
        (int64_t)(rows->min - x->dim[1].min) * x->dim[1].stride;
    const uint16_t *wCols =
        (const uint16_t *)w->host + (int64_t)(cols->min - w->dim[1].min) * 2;
    return gemmBlock(k, xRows, x->dim[1].stride, rows->extent, wCols,
                     w->dim[2].stride, cols->extent, (float *)acc->host,
                     rows->stride);
  }
#else
  (void)n;
  return -1;
#endif
}
