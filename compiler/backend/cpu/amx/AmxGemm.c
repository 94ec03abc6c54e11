/*===- AmxGemm.c - hand-written AMX bf16 GEMM block -----------------------===
 *
 * See AmxGemm.h for the contract. A call computes one task's block of the
 * output, 32 rows at a time; for each 32-row strip, every 32-column pair of
 * the block runs the micro-kernel over all of K:
 *
 *   tmm0..3  the 2 x 2 fp32 accumulator tiles (32 x 32 outputs)
 *   tmm4, 5  A: 16 rows x 32 k of bf16(X), read in place
 *   tmm6, 7  B: 16 k-pairs x 16 columns of the weight panel (VNNI pairs)
 *
 * Per 32 k: four tile loads, four TDPBF16PS, none of which reads the
 * previous one's result, so they issue back to back (the Halide kernel's
 * one accumulator made each wait for the last). A strip of at most 16 rows
 * uses one A tile, a block edge of 16 columns one B tile; the block's last
 * strip configures its A and accumulator tiles with only the rows that
 * exist, so nothing past M is read or written. X arrives rounded to bf16
 * (the kernel does that once per call, across the threads: rounding it per
 * task took a third of the block's time, since a 16 x 16 x 32 TDPBF16PS is
 * only 16 cycles).
 *
 * Tile state is per thread: every call loads its configuration and releases
 * the tiles before returning, so a worker never depends on what ran before.
 *===----------------------------------------------------------------------===*/
#include "compiler/backend/cpu/amx/AmxGemm.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) &&                                                     \
    ((defined(__clang__) && __clang_major__ >= 12) ||                          \
     (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
#define BERT_AMX_AVAILABLE 1
#include <immintrin.h>
#endif

#ifdef BERT_AMX_AVAILABLE

#define BERT_AMX_TARGET __attribute__((target("amx-tile,amx-bf16")))

/* The tile configuration (palette 1), as LDTILECFG reads it. */
typedef struct {
  uint8_t palette, startRow, reserved[14];
  uint16_t colsBytes[16];
  uint8_t rows[16];
} TileConfig;

/* Every tile is 64 bytes wide: fp32 accumulators (16 columns), A (32 bf16),
 * B (16 columns x 2 bf16 per k-pair row, 16 rows). A tiles 4 and 5 and the
 * accumulators they feed (0, 1 and 2, 3) have rows0 and rows1 rows. */
BERT_AMX_TARGET static void configureTiles(int rows0, int rows1) {
  TileConfig cfg;
  int t;
  memset(&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (t = 0; t < 8; ++t) {
    cfg.colsBytes[t] = 64;
    cfg.rows[t] = 16;
  }
  cfg.rows[0] = cfg.rows[1] = cfg.rows[4] = (uint8_t)rows0;
  cfg.rows[2] = cfg.rows[3] = cfg.rows[5] = (uint8_t)rows1;
  _tile_loadconfig(&cfg);
}

#define STORE_TILE(T, r0, c0)                                                  \
  _tile_stored(T, acc + (int64_t)(r0)*accPitch + (c0), accPitch * 4)

/* The micro-kernels: NR row tiles x NC column tiles over all of K, for the
 * strip `a` (bf16, aPitch elements per row) and columns c0.. of the block,
 * whose weights start at b0 (and b1, 16 columns on; k-pair rows wPitch
 * apart), with the tiles configured for the strip's rows. Tile numbers are
 * immediates in the instructions, hence one body per shape. */
#define MICRO_KERNEL(NAME, NR, NC)                                             \
  BERT_AMX_TARGET static void NAME(const uint16_t *a, int64_t aPitch,          \
                                   const uint16_t *b0, const uint16_t *b1,     \
                                   int64_t wPitch, int k, float *acc,          \
                                   int64_t accPitch, int c0) {                 \
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
      const int64_t row = (int64_t)(kk / 2) * wPitch;                          \
      _tile_loadd(4, a + kk, aPitch * 2);                                      \
      _tile_loadd(6, b0 + row, wPitch * 2);                                    \
      if (NC == 2)                                                             \
        _tile_loadd(7, b1 + row, wPitch * 2);                                  \
      if (NR == 2)                                                             \
        _tile_loadd(5, a + 16 * aPitch + kk, aPitch * 2);                      \
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

/* The weights: panels of nb columns, k-pair rows rowPitch elements apart
 * in a panel, panels panelPitch apart (BF16Layout in kernels/Kernels.h). */
typedef struct {
  const uint16_t *base;
  int64_t rowPitch, panelPitch;
  int nb;
} Panels;

static const uint16_t *columnOf(const Panels *w, int n) {
  return w->base + (int64_t)(n / w->nb) * w->panelPitch + 2 * (n % w->nb);
}

/* Columns n0.. (cols of them) and rows [0, rows) of `a`, into acc. */
BERT_AMX_TARGET static void gemmBlock(int k, const uint16_t *a, int64_t aPitch,
                                      int rows, const Panels *w, int n0,
                                      int cols, float *acc, int64_t accPitch) {
  const int64_t wp = w->rowPitch;
  int r, c, configured = 0;
  for (r = 0; r < rows; r += 32) {
    int stripRows = rows - r < 32 ? rows - r : 32;
    int two = stripRows > 16;
    const uint16_t *strip = a + (int64_t)r * aPitch;
    float *out = acc + (int64_t)r * accPitch;
    /* A strip of one row tile leaves tiles 2, 3 and 5 unused (16 rows). */
    int rows0 = two ? 16 : stripRows, rows1 = two ? stripRows - 16 : 16;
    if (configured != (rows0 << 8 | rows1)) {
      configured = rows0 << 8 | rows1;
      configureTiles(rows0, rows1);
    }
    for (c = 0; c < cols; c += 32) {
      const uint16_t *b0 = columnOf(w, n0 + c);
      if (cols - c >= 32) {
        const uint16_t *b1 = columnOf(w, n0 + c + 16);
        if (two)
          tiles2x2(strip, aPitch, b0, b1, wp, k, out, accPitch, c);
        else
          tiles1x2(strip, aPitch, b0, b1, wp, k, out, accPitch, c);
      } else if (two) {
        tiles2x1(strip, aPitch, b0, b0, wp, k, out, accPitch, c);
      } else {
        tiles1x1(strip, aPitch, b0, b0, wp, k, out, accPitch, c);
      }
    }
  }
  _tile_release();
}

#endif /* BERT_AMX_AVAILABLE */

static int isBoundsQuery(const halide_buffer_t *b) { return b->host == NULL; }

int bert_amx_bf16_gemm(int32_t k, int32_t n, int32_t nb, halide_buffer_t *x,
                       halide_buffer_t *w, halide_buffer_t *acc) {
  const halide_dimension_t *cols = &acc->dim[0], *rows = &acc->dim[1];
  if (isBoundsQuery(x) || isBoundsQuery(w) || isBoundsQuery(acc)) {
    /* The block's rows of X, all of K; all of W (a block's columns may
     * straddle panels, and the weights are an input, never computed). */
    if (isBoundsQuery(x)) {
      x->dim[0].min = 0;
      x->dim[0].extent = k;
      x->dim[1].min = rows->min;
      x->dim[1].extent = rows->extent;
    }
    if (isBoundsQuery(w)) {
      w->dim[0].min = 0;
      w->dim[0].extent = 2;
      w->dim[1].min = 0;
      w->dim[1].extent = nb;
      w->dim[2].min = 0;
      w->dim[2].extent = k / 2;
      w->dim[3].min = 0;
      w->dim[3].extent = (n + nb - 1) / nb;
    }
    return 0;
  }
  if (k % 32 != 0 || nb % 16 != 0 || cols->extent % 16 != 0 ||
      cols->min + cols->extent > n || w->dimensions != 4 ||
      w->dim[1].extent != nb)
    return -1;
#ifdef BERT_AMX_AVAILABLE
  {
    const uint16_t *xRows =
        (const uint16_t *)x->host +
        (int64_t)(rows->min - x->dim[1].min) * x->dim[1].stride;
    Panels wp;
    wp.base = (const uint16_t *)w->host;
    wp.rowPitch = w->dim[2].stride;
    wp.panelPitch = w->dim[3].stride;
    wp.nb = nb;
    gemmBlock(k, xRows, x->dim[1].stride, rows->extent, &wp, cols->min,
              cols->extent, (float *)acc->host, rows->stride);
    return 0;
  }
#else
  return -1;
#endif
}
