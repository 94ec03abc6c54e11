/*===- AmxEmulator.c - plain-C AMX tile registers for tests ---------------===
 *
 * See AmxEmulator.h. The semantics follow the Intel SDM's instruction pages
 * (LDTILECFG, TILELOADD, TILESTORED, TILEZERO, TDPBF16PS, TDPBUSD):
 *
 *  - Configuration (LDTILECFG, palette 1): 8 tiles of at most 16 rows of at
 *    most 64 bytes; reserved bytes zero; palette 0 is the init state (all
 *    tiles unconfigured and zero). Anything else faults (#GP). A tile is
 *    usable when its rows and colsb are non-zero.
 *  - TILELOADD / TILESTORED move `rows` rows of `colsb` bytes, row r at
 *    base + r * stride; a load zeroes the rest of the 1 KiB register.
 *  - TDPBF16PS dst, a, b, per the SDM's pseudo-code: for every row m and
 *    column n, two fp32 partial sums start at zero; over k in 0 ..
 *    a.colsb/4 - 1 the first gathers a[m].bf16[2k] * b[k].bf16[2n] and the
 *    second a[m].bf16[2k+1] * b[k].bf16[2n+1], each step an FMA rounded to
 *    nearest even; then dst[m][n] += (first + second). Inputs that are
 *    denormal count as zero and denormal results are flushed to zero (DAZ,
 *    FTZ); MXCSR plays no part. (The intrinsics guide's shorter description,
 *    every product added to dst in turn, rounds differently; the SDM is
 *    the definition, and AmxEmulatorTest checks this one. A bf16 product is
 *    exact in fp32, so each FMA is one rounded addition.) The block tests
 *    compare with a tolerance for fp32 summation order all the same: the
 *    hardware's internal order is not something they rely on.
 *  - TDPBUSD dst, a, b: dst[m][n] += sum over the 4 bytes j of
 *    zero_extend(a[m].byte[4k+j]) * sign_extend(b[k].byte[4n+j]), int32,
 *    wrapping (no saturation).
 *  - Both dot products fault (#UD) unless the three tiles are distinct and
 *    configured, dst.rows == a.rows, a.colsb / 4 == b.rows,
 *    dst.colsb == b.colsb, and every colsb is a multiple of 4. Rows of dst
 *    past dst.rows and bytes past dst.colsb are zeroed.
 * Nothing here is fast: it exists so that the blocks' tile arithmetic,
 * shapes and addressing are tested on CPUs without AMX.
 *===----------------------------------------------------------------------===*/
#include "compiler/backend/cpu/amx/AmxEmulator.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { kTiles = 8, kMaxRows = 16, kMaxColsb = 64, kMaxRegions = 16 };

/* The tile state of one thread (the hardware's is per thread too). */
typedef struct {
  int configured; /* palette 1 loaded */
  int rows[kTiles], colsb[kTiles];
  uint8_t data[kTiles][kMaxRows * kMaxColsb];
} TileState;

static _Thread_local TileState state;

typedef struct {
  const uint8_t *base;
  size_t bytes;
  int writable;
} Region;

static Region regions[kMaxRegions];
static int regionCount;
static long errorCount, dotCount;
static char firstError[256];

static void fault(const char *what, int tile) {
  if (__atomic_fetch_add(&errorCount, 1, __ATOMIC_RELAXED) == 0)
    snprintf(firstError, sizeof firstError, "%s (tmm%d)", what, tile);
}

long bert_amx_emu_error_count(void) {
  return __atomic_load_n(&errorCount, __ATOMIC_RELAXED);
}
const char *bert_amx_emu_first_error(void) {
  return errorCount ? firstError : "";
}
void bert_amx_emu_reset_errors(void) {
  errorCount = 0;
  dotCount = 0;
  firstError[0] = 0;
}
long bert_amx_emu_dot_count(void) {
  return __atomic_load_n(&dotCount, __ATOMIC_RELAXED);
}

void bert_amx_emu_allow(const void *base, size_t bytes, int writable) {
  if (regionCount == kMaxRegions) {
    fault("more memory regions declared than the emulator keeps", -1);
    return;
  }
  regions[regionCount].base = (const uint8_t *)base;
  regions[regionCount].bytes = bytes;
  regions[regionCount].writable = writable;
  ++regionCount;
}
void bert_amx_emu_clear_regions(void) { regionCount = 0; }

/* [p, p + bytes) inside a declared region (a writable one for a store). */
static int allowed(const uint8_t *p, size_t bytes, int store) {
  int i;
  if (regionCount == 0)
    return 1;
  for (i = 0; i < regionCount; ++i) {
    const Region *r = &regions[i];
    if (p >= r->base && p + bytes <= r->base + r->bytes &&
        (!store || r->writable))
      return 1;
  }
  return 0;
}

/* Bytes [from, to) of the configuration all zero. */
static int zeroBytes(const uint8_t *c, int from, int to) {
  for (; from < to; ++from)
    if (c[from])
      return 0;
  return 1;
}

void bert_amx_emu_loadconfig(const void *config) {
  const uint8_t *c = (const uint8_t *)config;
  int t;
  memset(&state, 0, sizeof state);
  if (c[0] == 0) /* palette 0: the init state */
    return;
  /* Bytes 2-15 reserved; 32-47 and 56-63 the colsb and rows of tiles 8-15,
   * which palette 1 does not have. */
  if (c[0] != 1 || c[1] != 0 || !zeroBytes(c, 2, 16) || !zeroBytes(c, 32, 48) ||
      !zeroBytes(c, 56, 64)) {
    fault("LDTILECFG: not palette 0 or 1, a start_row, or a reserved byte "
          "or tile past tmm7 set",
          -1);
    return;
  }
  for (t = 0; t < kTiles; ++t) {
    int colsb = c[16 + 2 * t] | c[17 + 2 * t] << 8, rows = c[48 + t];
    if (rows > kMaxRows || colsb > kMaxColsb) {
      fault("LDTILECFG: more than 16 rows or 64 bytes a row", t);
      return;
    }
    state.rows[t] = rows;
    state.colsb[t] = colsb;
  }
  state.configured = 1;
}

void bert_amx_emu_release(void) { memset(&state, 0, sizeof state); }

/* A configured tile register number, else a fault. */
static int usable(int t, const char *op) {
  if (t < 0 || t >= kTiles || !state.configured || state.rows[t] == 0 ||
      state.colsb[t] == 0) {
    char what[96];
    snprintf(what, sizeof what, "%s: tile not configured", op);
    fault(what, t);
    return 0;
  }
  return 1;
}

void bert_amx_emu_zero(int t) {
  if (usable(t, "TILEZERO"))
    memset(state.data[t], 0, sizeof state.data[t]);
}

void bert_amx_emu_load(int t, const void *base, int64_t stride) {
  int r;
  uint8_t row[kMaxRows * kMaxColsb];
  if (!usable(t, "TILELOADD"))
    return;
  memset(row, 0, sizeof row);
  for (r = 0; r < state.rows[t]; ++r) {
    const uint8_t *p = (const uint8_t *)base + (int64_t)r * stride;
    if (!allowed(p, (size_t)state.colsb[t], 0)) {
      fault("TILELOADD: a row outside the memory the test declared", t);
      return;
    }
    memcpy(row + r * kMaxColsb, p, (size_t)state.colsb[t]);
  }
  memcpy(state.data[t], row, sizeof row);
}

void bert_amx_emu_store(int t, void *base, int64_t stride) {
  int r;
  if (!usable(t, "TILESTORED"))
    return;
  for (r = 0; r < state.rows[t]; ++r) {
    uint8_t *p = (uint8_t *)base + (int64_t)r * stride;
    if (!allowed(p, (size_t)state.colsb[t], 1)) {
      fault("TILESTORED: a row outside the memory the test declared", t);
      return;
    }
  }
  for (r = 0; r < state.rows[t]; ++r)
    memcpy((uint8_t *)base + (int64_t)r * stride, state.data[t] + r * kMaxColsb,
           (size_t)state.colsb[t]);
}

/* The #UD checks the two dot products share. */
static int dotShapesAgree(int d, int a, int b, const char *op) {
  char what[128];
  if (!usable(d, op) || !usable(a, op) || !usable(b, op))
    return 0;
  if (d == a || d == b || a == b) {
    snprintf(what, sizeof what, "%s: tiles not distinct", op);
  } else if (state.colsb[d] % 4 || state.colsb[a] % 4 || state.colsb[b] % 4) {
    snprintf(what, sizeof what, "%s: colsb not a multiple of 4", op);
  } else if (state.rows[d] != state.rows[a]) {
    snprintf(what, sizeof what, "%s: dst rows %d != a rows %d", op,
             state.rows[d], state.rows[a]);
  } else if (state.colsb[a] / 4 != state.rows[b]) {
    snprintf(what, sizeof what, "%s: a colsb/4 %d != b rows %d", op,
             state.colsb[a] / 4, state.rows[b]);
  } else if (state.colsb[d] != state.colsb[b]) {
    snprintf(what, sizeof what, "%s: dst colsb %d != b colsb %d", op,
             state.colsb[d], state.colsb[b]);
  } else {
    __atomic_fetch_add(&dotCount, 1, __ATOMIC_RELAXED);
    return 1;
  }
  fault(what, d);
  return 0;
}

/* The bf16 at byte offset `at` of a tile row, as fp32 (a denormal as 0). */
static float bf16At(const uint8_t *row, int at) {
  uint32_t bits = (uint32_t)(row[at] | row[at + 1] << 8) << 16;
  float f;
  if ((bits & 0x7f800000u) == 0)
    bits &= 0x80000000u;
  memcpy(&f, &bits, 4);
  return f;
}

static float flushDenormal(float f) {
  return fpclassify(f) == FP_SUBNORMAL ? copysignf(0.f, f) : f;
}

/* Zero what lies past the destination's configured shape. */
static void zeroPastShape(int d) {
  int r;
  for (r = 0; r < kMaxRows; ++r) {
    int from = r < state.rows[d] ? state.colsb[d] : 0;
    memset(state.data[d] + r * kMaxColsb + from, 0, (size_t)kMaxColsb - from);
  }
}

void bert_amx_emu_dpbf16ps(int d, int a, int b) {
  int m, k, n;
  if (!dotShapesAgree(d, a, b, "TDPBF16PS"))
    return;
  for (m = 0; m < state.rows[d]; ++m) {
    float *acc = (float *)(state.data[d] + m * kMaxColsb);
    const uint8_t *arow = state.data[a] + m * kMaxColsb;
    float part[2 * kMaxColsb / 4] = {0}; /* the even and odd partial sums */
    for (k = 0; k < state.colsb[a] / 4; ++k) {
      const uint8_t *brow = state.data[b] + k * kMaxColsb;
      for (n = 0; n < state.colsb[d] / 4; ++n) {
        /* The products are exact in fp32, so an FMA the compiler might
         * contract these into rounds the same. */
        part[2 * n] = flushDenormal(part[2 * n] +
                                    bf16At(arow, 4 * k) * bf16At(brow, 4 * n));
        part[2 * n + 1] =
            flushDenormal(part[2 * n + 1] +
                          bf16At(arow, 4 * k + 2) * bf16At(brow, 4 * n + 2));
      }
    }
    for (n = 0; n < state.colsb[d] / 4; ++n)
      acc[n] = flushDenormal(flushDenormal(acc[n]) +
                             flushDenormal(part[2 * n] + part[2 * n + 1]));
  }
  zeroPastShape(d);
}

void bert_amx_emu_dpbusd(int d, int a, int b) {
  int m, k, n, j;
  if (!dotShapesAgree(d, a, b, "TDPBUSD"))
    return;
  for (m = 0; m < state.rows[d]; ++m) {
    uint8_t *accRow = state.data[d] + m * kMaxColsb;
    const uint8_t *arow = state.data[a] + m * kMaxColsb;
    for (n = 0; n < state.colsb[d] / 4; ++n) {
      uint32_t acc; /* unsigned: int32 wrap-around without overflow UB */
      memcpy(&acc, accRow + 4 * n, 4);
      for (k = 0; k < state.colsb[a] / 4; ++k) {
        const uint8_t *brow = state.data[b] + k * kMaxColsb;
        for (j = 0; j < 4; ++j)
          acc += (uint32_t)((int32_t)arow[4 * k + j] *
                            (int32_t)(int8_t)brow[4 * n + j]);
      }
      memcpy(accRow + 4 * n, &acc, 4);
    }
  }
  zeroPastShape(d);
}
