/*===- AmxGemm.c - hand-written AMX GEMM blocks (bf16, int8) --------------===
 *
 * See AmxGemm.h for the contract. A call computes one task's block of the
 * output, 32 rows at a time; for each 32-row strip, every 32-column pair of
 * the block runs the micro-kernel over all of K:
 *
 *   tmm0..3  the 2 x 2 32-bit accumulator tiles (32 x 32 outputs: fp32
 *            for bf16, int32 for int8)
 *   tmm4, 5  A: 16 rows x 64 bytes of X, read in place (32 k of bf16(X),
 *            or 64 k of the u8-quantized X)
 *   tmm6, 7  B: 16 rows x 16 columns of the weight panel, 4 bytes per
 *            column and row (bf16 k-pairs, or s8 k-quads: the VNNI panels)
 *
 * In bytes the two precisions are the same block: only the dot product
 * (TDPBF16PS, TDPBUSD) and the k a tile row covers differ, so one body,
 * instantiated per instruction, serves both. The instructions are
 * AmxOps.h's macros: the intrinsics in the library, the emulated tiles
 * (AmxEmulator.c) in the test build that runs this block on any CPU.
 *
 * Per 64 bytes of K: four tile loads, four dot products, none of which
 * reads the previous one's result, so they issue back to back (the Halide
 *kernel's one accumulator made each wait for the last). A strip of at most 16
 *rows uses one A tile, a block edge of 16 columns one B tile; the block's last
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
#include "compiler/backend/cpu/amx/AmxOps.h"

#include <stdint.h>
#include <string.h>

/* The element types of X and W: bf16 pairs or int8 quads per 4 bytes. */
typedef enum { kBF16 = 2, kInt8 = 1 } ElementBytes;

#ifdef BERT_AMX_AVAILABLE

/* The tile configuration (palette 1), as LDTILECFG reads it. */
typedef struct {
  uint8_t palette, startRow, reserved[14];
  uint16_t colsBytes[16];
  uint8_t rows[16];
} TileConfig;

/* Every tile is 64 bytes wide: 32-bit accumulators (16 columns), A (64
 * bytes of k), B (16 columns x 4 bytes per row, 16 rows). A tiles 4 and 5
 * and the accumulators they feed (0, 1 and 2, 3) have rows0 and rows1
 * rows. */
AMX_TARGET static void configureTiles(int rows0, int rows1) {
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
  AMX_LOADCONFIG(&cfg);
}

/* A micro-kernel: NR row tiles x NC column tiles over all of K (kBytes
 * bytes of each row of `a`, aPitch bytes apart), weights from b0 (and b1,
 * 16 columns on; rows wPitch bytes apart), accumulators stored at acc
 * (rows accPitch bytes apart), with the tiles configured for the strip's
 * rows. All pitches in bytes. */
typedef void (*MicroKernel)(const uint8_t *a, int64_t aPitch, const uint8_t *b0,
                            const uint8_t *b1, int64_t wPitch, int64_t kBytes,
                            uint8_t *acc, int64_t accPitch);

/* Tile numbers are immediates in the instructions, hence one body per
 * shape and instruction. 64 bytes of A's rows meet 16 rows of B. */
#define MICRO_KERNEL(NAME, DOT, NR, NC)                                        \
  AMX_TARGET static void NAME(                                                 \
      const uint8_t *a, int64_t aPitch, const uint8_t *b0, const uint8_t *b1,  \
      int64_t wPitch, int64_t kBytes, uint8_t *acc, int64_t accPitch) {        \
    int64_t kb;                                                                \
    AMX_ZERO(0);                                                               \
    if (NC == 2)                                                               \
      AMX_ZERO(1);                                                             \
    if (NR == 2) {                                                             \
      AMX_ZERO(2);                                                             \
      if (NC == 2)                                                             \
        AMX_ZERO(3);                                                           \
    }                                                                          \
    for (kb = 0; kb < kBytes; kb += 64) {                                      \
      const int64_t row = kb / 4 * wPitch;                                     \
      AMX_LOAD(4, a + kb, aPitch);                                             \
      AMX_LOAD(6, b0 + row, wPitch);                                           \
      if (NC == 2)                                                             \
        AMX_LOAD(7, b1 + row, wPitch);                                         \
      if (NR == 2)                                                             \
        AMX_LOAD(5, a + 16 * aPitch + kb, aPitch);                             \
      DOT(0, 4, 6);                                                            \
      if (NC == 2)                                                             \
        DOT(1, 4, 7);                                                          \
      if (NR == 2) {                                                           \
        DOT(2, 5, 6);                                                          \
        if (NC == 2)                                                           \
          DOT(3, 5, 7);                                                        \
      }                                                                        \
    }                                                                          \
    AMX_STORE(0, acc, accPitch);                                               \
    if (NC == 2)                                                               \
      AMX_STORE(1, acc + 64, accPitch);                                        \
    if (NR == 2) {                                                             \
      AMX_STORE(2, acc + 16 * accPitch, accPitch);                             \
      if (NC == 2)                                                             \
        AMX_STORE(3, acc + 16 * accPitch + 64, accPitch);                      \
    }                                                                          \
  }

/* The four shapes of one instruction: 2 x 2 tiles, and the edges. */
typedef struct {
  MicroKernel k2x2, k2x1, k1x2, k1x1;
} MicroKernels;

#define MICRO_KERNELS(SUFFIX, DOT)                                             \
  MICRO_KERNEL(tiles2x2##SUFFIX, DOT, 2, 2)                                    \
  MICRO_KERNEL(tiles2x1##SUFFIX, DOT, 2, 1)                                    \
  MICRO_KERNEL(tiles1x2##SUFFIX, DOT, 1, 2)                                    \
  MICRO_KERNEL(tiles1x1##SUFFIX, DOT, 1, 1)                                    \
  static const MicroKernels kernels##SUFFIX = {                                \
      tiles2x2##SUFFIX, tiles2x1##SUFFIX, tiles1x2##SUFFIX, tiles1x1##SUFFIX};

#define DOT_BF16(c, a, b) AMX_DPBF16PS(c, a, b)
#define DOT_I8(c, a, b) AMX_DPBUSD(c, a, b)
MICRO_KERNELS(BF16, DOT_BF16)
MICRO_KERNELS(I8, DOT_I8)

/* The weights: panels of nb columns, rows (one k-pair or k-quad of the
 * panel's columns) rowPitch bytes apart, panels panelPitch bytes apart
 * (BF16Layout, Int8Layout in kernels/Kernels.h). */
typedef struct {
  const uint8_t *base;
  int64_t rowPitch, panelPitch;
  int nb;
} Panels;

static const uint8_t *columnOf(const Panels *w, int n) {
  return w->base + (int64_t)(n / w->nb) * w->panelPitch + 4 * (n % w->nb);
}

/* Columns n0.. (cols of them) and rows [0, rows) of `a`, into acc. */
AMX_TARGET static void gemmBlock(int64_t kBytes, const uint8_t *a,
                                 int64_t aPitch, int rows, const Panels *w,
                                 int n0, int cols, uint8_t *acc,
                                 int64_t accPitch, const MicroKernels *mk) {
  const int64_t wp = w->rowPitch;
  int r, c, configured = 0;
  for (r = 0; r < rows; r += 32) {
    int stripRows = rows - r < 32 ? rows - r : 32;
    int two = stripRows > 16;
    const uint8_t *strip = a + (int64_t)r * aPitch;
    uint8_t *out = acc + (int64_t)r * accPitch;
    /* A strip of one row tile leaves tiles 2, 3 and 5 unused (16 rows). */
    int rows0 = two ? 16 : stripRows, rows1 = two ? stripRows - 16 : 16;
    if (configured != (rows0 << 8 | rows1)) {
      configured = rows0 << 8 | rows1;
      configureTiles(rows0, rows1);
    }
    for (c = 0; c < cols; c += 32) {
      const uint8_t *b0 = columnOf(w, n0 + c);
      uint8_t *o = out + 4 * c;
      if (cols - c >= 32) {
        const uint8_t *b1 = columnOf(w, n0 + c + 16);
        (two ? mk->k2x2 : mk->k1x2)(strip, aPitch, b0, b1, wp, kBytes, o,
                                    accPitch);
      } else {
        (two ? mk->k2x1 : mk->k1x1)(strip, aPitch, b0, b0, wp, kBytes, o,
                                    accPitch);
      }
    }
  }
  AMX_RELEASE();
}

#endif /* BERT_AMX_AVAILABLE */

static int isBoundsQuery(const halide_buffer_t *b) { return b->host == NULL; }

/* Both entry points: `elem` bytes per element of X and W, K a multiple of
 * 64 bytes. */
static int gemmEntry(int32_t k, int32_t n, int32_t nb, halide_buffer_t *x,
                     halide_buffer_t *w, halide_buffer_t *acc,
                     ElementBytes elem) {
  const halide_dimension_t *cols = &acc->dim[0], *rows = &acc->dim[1];
  const int perRow = 4 / (int)elem; /* k per 4-byte group of a column */
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
      w->dim[0].extent = perRow;
      w->dim[1].min = 0;
      w->dim[1].extent = nb;
      w->dim[2].min = 0;
      w->dim[2].extent = k / perRow;
      w->dim[3].min = 0;
      w->dim[3].extent = (n + nb - 1) / nb;
    }
    return 0;
  }
  if ((k * (int)elem) % 64 != 0 || nb % 16 != 0 || cols->extent % 16 != 0 ||
      cols->min + cols->extent > n || w->dimensions != 4 ||
      w->dim[1].extent != nb)
    return -1;
#ifdef BERT_AMX_AVAILABLE
  {
    const int64_t xPitch = (int64_t)x->dim[1].stride * elem;
    const uint8_t *xRows =
        x->host + (int64_t)(rows->min - x->dim[1].min) * xPitch;
    Panels wp;
    wp.base = w->host;
    wp.rowPitch = (int64_t)w->dim[2].stride * elem;
    wp.panelPitch = (int64_t)w->dim[3].stride * elem;
    wp.nb = nb;
    gemmBlock((int64_t)k * elem, xRows, xPitch, rows->extent, &wp, cols->min,
              cols->extent, acc->host, (int64_t)rows->stride * 4,
              elem == kBF16 ? &kernelsBF16 : &kernelsI8);
    return 0;
  }
#else
  return -1;
#endif
}

int AMX_ENTRY(bf16_gemm)(int32_t k, int32_t n, int32_t nb, halide_buffer_t *x,
                         halide_buffer_t *w, halide_buffer_t *acc) {
  return gemmEntry(k, n, nb, x, w, acc, kBF16);
}

int AMX_ENTRY(i8_gemm)(int32_t k, int32_t n, int32_t nb, halide_buffer_t *x,
                       halide_buffer_t *w, halide_buffer_t *acc) {
  return gemmEntry(k, n, nb, x, w, acc, kInt8);
}
