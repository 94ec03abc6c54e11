/*===- weights.c - From file tensors to weight slots ----------------------===*\
|*                                                                            *|
|* Matches the descriptor's weight slots with the tensors of a safetensors    *|
|* file. Checking and materializing are two passes so that every error is     *|
|* found before anything is allocated. Materializing prefers the mapping      *|
|* (zero-copy) and falls back to an aligned copy when the kernels cannot use  *|
|* the bytes in place: packed (CONCAT0) slots, F16/BF16 tensors (converted,   *|
|* exactly: every half and bfloat16 value is a float32 value), and F32        *|
|* tensors whose address lacks the alignment the kernels assume.              *|
|*                                                                            *|
|* Memory: a copied slot's file pages are dropped from the process as soon    *|
|* as the slot is built (madvise MADV_DONTNEED on the read-only private map;  *|
|* a later read would just fault them in again from the page cache), so the   *|
|* resident set holds each weight once, never its file pages beside its copy. *|
|* Panels are packed from the file a panel at a time, without a temporary     *|
|* copy of the whole matrix.                                                  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

/* madvise and MADV_DONTNEED are not POSIX (posix_madvise's DONTNEED is a
 * no-op in glibc); the build defines _POSIX_C_SOURCE for everything else. */
#define _DEFAULT_SOURCE 1

#include "model.h"
#include "status.h"
#include "weight_pack.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int64_t slot_numel(const bert_weight_spec *w) {
  int64_t n = 1;
  int i;
  for (i = 0; i < w->rank; ++i)
    n *= w->shape[i];
  return n;
}

static int dtype_convertible(bert_st_dtype d) {
  return d == BERT_ST_F32 || d == BERT_ST_F16 || d == BERT_ST_BF16;
}

/* "[*, 128]": a packed source's expected shape, dim 0 free. */
static void format_concat_shape(char *buf, size_t size,
                                const bert_weight_spec *w) {
  char tail[160];
  bert_format_shape(tail, sizeof(tail), w->rank - 1, w->shape + 1);
  if (w->rank == 1)
    snprintf(buf, size, "[*]");
  else
    snprintf(buf, size, "[*, %s", tail + 1);
}

/* Rows a source gives the slot: its dim 0, or for a transposed source
 * (CONCAT0_T) the product of its other dims. */
static int64_t source_rows(const bert_weight_spec *w, const bert_st_tensor *t) {
  return w->kind == BERT_WEIGHT_CONCAT0_T && t->shape[0] > 0
             ? t->numel / t->shape[0]
             : t->shape[0];
}

/* Whether file tensor `t` can be source of slot `w` (see bert_weight_kind);
 * `want` gets the expected shape for a message. */
static int source_fits(const bert_weight_spec *w, const bert_st_tensor *t,
                       char *want, size_t size) {
  int i, ok;
  if (w->kind == BERT_WEIGHT_FLAT2D || w->kind == BERT_WEIGHT_CONCAT0_T) {
    int flat = w->kind == BERT_WEIGHT_FLAT2D;
    int64_t dim0 = flat ? w->shape[0] : w->shape[1];
    if (flat)
      snprintf(want, size, "[%lld, ...] of %lld elements",
               (long long)w->shape[0], (long long)(w->shape[0] * w->shape[1]));
    else
      snprintf(want, size, "[%lld, ...] (transposed into '%s')",
               (long long)dim0, w->name);
    return t->rank >= 2 && t->shape[0] == dim0 &&
           (!flat || t->numel == w->shape[0] * w->shape[1]);
  }
  if (w->kind == BERT_WEIGHT_DIRECT)
    bert_format_shape(want, size, w->rank, w->shape);
  else
    format_concat_shape(want, size, w);
  ok = t->rank == w->rank;
  for (i = w->kind == BERT_WEIGHT_CONCAT0 ? 1 : 0; ok && i < w->rank; ++i)
    ok = t->shape[i] == w->shape[i];
  return ok;
}

static bert_status_code
check_source(const bert_model_desc *desc, const bert_st_file *f,
             const bert_weight_spec *w, const char *name,
             const bert_st_tensor **out, bert_status *st) {
  const bert_st_tensor *t = bert_st_find(f, name);
  char want[192], got[192];
  if (!t) {
    if (w->num_sources == 1)
      return bert_status_set(st, BERT_ERR_MISSING_TENSOR,
                             "%s: tensor '%s' not found (model '%s' needs it)",
                             f->path, name, desc->model_name);
    return bert_status_set(st, BERT_ERR_MISSING_TENSOR,
                           "%s: tensor '%s' not found (model '%s' packs it "
                           "into '%s')",
                           f->path, name, desc->model_name, w->name);
  }
  if (!dtype_convertible(t->dtype))
    return bert_status_set(st, BERT_ERR_DTYPE_MISMATCH,
                           "%s: tensor '%s': expected dtype F32, F16 or BF16, "
                           "found %s",
                           f->path, name, bert_st_dtype_name(t->dtype));
  if (!source_fits(w, t, want, sizeof(want))) {
    bert_format_shape(got, sizeof(got), t->rank, t->shape);
    return bert_status_set(st, BERT_ERR_SHAPE_MISMATCH,
                           "%s: tensor '%s': expected shape %s, found %s",
                           f->path, name, want, got);
  }
  *out = t;
  return BERT_OK;
}

bert_status_code bert_weights_check(const bert_model_desc *desc,
                                    const bert_st_file *f, bert_status *st) {
  int i, j;
  for (i = 0; i < desc->num_weights; ++i) {
    const bert_weight_spec *w = &desc->weights[i];
    int64_t dim0 = 0;
    for (j = 0; j < w->num_sources; ++j) {
      const bert_st_tensor *t = NULL;
      bert_status_code code = check_source(desc, f, w, w->sources[j], &t, st);
      if (code != BERT_OK)
        return code;
      dim0 += source_rows(w, t);
    }
    if ((w->kind == BERT_WEIGHT_CONCAT0 || w->kind == BERT_WEIGHT_CONCAT0_T) &&
        dim0 != w->shape[0])
      return bert_status_set(
          st, BERT_ERR_SHAPE_MISMATCH,
          "%s: tensors '%s', ... packed into '%s': %s "
          "sums to %lld, expected %lld",
          f->path, w->sources[0], w->name,
          w->kind == BERT_WEIGHT_CONCAT0 ? "dim 0" : "the product of dims 1..",
          (long long)dim0, (long long)w->shape[0]);
  }
  return BERT_OK;
}

/* Copies rows [local, local + take) of the transpose of source `t`, read
 * as the [K, M] matrix (CONCAT0_T), into `dst` ([take][K]): a row segment
 * of the file at a time, converted, then transposed (weight_pack.c). */
static void gather_transposed(const bert_st_tensor *t, int64_t local,
                              int64_t take, int64_t k, float *dst) {
  enum { kSegment = 64 };
  float seg[kSegment];
  int64_t m = t->numel / k, kk, c, n;
  for (kk = 0; kk < k; ++kk)
    for (c = 0; c < take; c += n) {
      n = take - c < kSegment ? take - c : kSegment;
      bert_st_convert_f32(t, kk * m + local + c, n, seg);
      bert_transpose_segment(seg, n, k, kk, dst + c * k);
    }
}

/* Fills `dst` with rows [row, row + count) of a rank-2 slot's logical
 * [N, K] contents (sources concatenated along dim 0, transposed first for
 * CONCAT0_T). */
static void gather_rows(const bert_model_t *m, const bert_weight_spec *w,
                        int64_t row, int64_t count, float *dst) {
  int64_t k = w->shape[1], base = 0;
  int j;
  for (j = 0; j < w->num_sources && count > 0; ++j) {
    const bert_st_tensor *t = bert_st_find(&m->file, w->sources[j]);
    int64_t rows = source_rows(w, t);
    if (row < base + rows) {
      int64_t local = row - base;
      int64_t take = rows - local < count ? rows - local : count;
      if (w->kind == BERT_WEIGHT_CONCAT0_T)
        gather_transposed(t, local, take, k, dst);
      else
        bert_st_convert_f32(t, local * k, take * k, dst);
      dst += take * k;
      row += take;
      count -= take;
    }
    base += rows;
  }
}

/* Fills `dst` with the slot's logical row-major contents (sources
 * concatenated along dim 0, converted to float32). */
static void gather_slot(const bert_model_t *m, const bert_weight_spec *w,
                        float *dst) {
  int j;
  if (w->kind == BERT_WEIGHT_CONCAT0_T) {
    gather_rows(m, w, 0, w->shape[0], dst);
    return;
  }
  for (j = 0; j < w->num_sources; ++j) {
    const bert_st_tensor *t = bert_st_find(&m->file, w->sources[j]);
    bert_st_convert_f32(t, 0, t->numel, dst);
    dst += t->numel;
  }
}

/* Drops the slot's source pages from the process once the slot has its own
 * copy: only pages wholly inside a source tensor, so a neighbouring tensor
 * used in place keeps its pages (dropping them would be harmless anyway: the
 * mapping is private and read-only, a later read faults them back in). */
static void drop_source_pages(const bert_model_t *m,
                              const bert_weight_spec *w) {
#ifdef MADV_DONTNEED
  long page = sysconf(_SC_PAGESIZE);
  int j;
  if (!m->file.map || page <= 0)
    return;
  for (j = 0; j < w->num_sources; ++j) {
    const bert_st_tensor *t = bert_st_find(&m->file, w->sources[j]);
    uintptr_t lo = (uintptr_t)t->data, hi = lo + t->nbytes;
    lo = (lo + (uintptr_t)page - 1) / (uintptr_t)page * (uintptr_t)page;
    hi = hi / (uintptr_t)page * (uintptr_t)page;
    if (hi > lo)
      (void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
  }
#else
  (void)m;
  (void)w;
#endif
}

/* Builds a panel-packed slot (see bert_weight_spec.panel_width): reorders
 * the [N, K] matrix so that a kernel's register tile reads nb consecutive
 * output columns for each k with one vector load. Works a panel at a time:
 * gathers its nb rows from the file into `tile` ([nb][K]), then transposes
 * them into the panel ([K][nb], rows past N zero). */
static int materialize_panels(bert_model_t *m, int i, size_t align,
                              bert_status *st) {
  const bert_weight_spec *w = &m->desc->weights[i];
  int64_t n = w->shape[0], k = w->rank == 2 ? w->shape[1] : 0;
  int64_t nb = w->panel_width;
  int64_t panels = (n + nb - 1) / nb, p;
  size_t bytes = (size_t)(panels * k * nb) * sizeof(float);
  float *tile =
      w->rank == 2 ? malloc((size_t)(nb * k) * sizeof(float) + 1) : NULL;
  float *packed = w->rank == 2 ? bert_aligned_alloc(align, bytes) : NULL;
  if (w->rank != 2 || !tile || !packed) {
    free(tile);
    bert_aligned_free(packed);
    bert_status_set(st,
                    w->rank != 2 ? BERT_ERR_BAD_FORMAT : BERT_ERR_OUT_OF_MEMORY,
                    "%s: cannot pack weight '%s' into panels of %lld",
                    m->file.path, w->name, (long long)nb);
    return -1;
  }
  for (p = 0; p < panels; ++p) {
    int64_t rows = n - p * nb < nb ? n - p * nb : nb;
    gather_rows(m, w, p * nb, rows, tile);
    bert_pack_panel(tile, rows, k, nb, packed + p * k * nb);
  }
  free(tile);
  drop_source_pages(m, w);
  m->owned[i] = packed;
  m->weights[i] = packed;
  m->copied_bytes += bytes;
  return 0;
}

/* The two quantized slot forms, gathered from the file up to 64 rows of W
 * at a time and scattered into their panels. */
typedef enum { QUANT_BF16, QUANT_S8 } quant_form;

/* Builds a bf16 slot (see bert_weight_spec.bf16_row_stride): element [n][k]
 * at (n / nb) * (K / 2) * stride + (k / 2) * stride + 2 * (n % nb) + k % 2,
 * or an int8 one (int8_row_stride): element [n][k] at byte (n / nb) * (K /
 * 4) * stride + (k / 4) * stride + 4 * (n % nb) + k % 4, then the channels'
 * scales and column sums. */
static int materialize_quantized(bert_model_t *m, int i, size_t align,
                                 quant_form form, bert_status *st) {
  const bert_weight_spec *w = &m->desc->weights[i];
  int64_t n = w->shape[0], k = w->rank == 2 ? w->shape[1] : 0;
  int64_t nb = w->panel_width, row, rows, scale_off = 0;
  int64_t group = form == QUANT_S8 ? 4 : 2;
  int64_t stride = form == QUANT_S8 ? w->int8_row_stride : w->bf16_row_stride;
  int64_t panels = nb > 0 ? (n + nb - 1) / nb : 0;
  size_t bytes;
  enum { kRowsPerGather = 64 };
  int ok = w->rank == 2 && k % group == 0 && nb > 0 && stride >= group * nb;
  float *tile;
  char *packed;
  if (form == QUANT_S8)
    bytes = ok ? (size_t)bert_s8_weight_bytes(n, k, nb, stride, &scale_off) : 0;
  else
    bytes = (size_t)(panels * (k / 2) * stride) * sizeof(uint16_t);
  tile = ok ? malloc((size_t)(kRowsPerGather * k) * sizeof(float) + 1) : NULL;
  packed = ok ? bert_aligned_alloc(align, bytes + 1) : NULL;
  if (!tile || !packed) {
    free(tile);
    bert_aligned_free(packed);
    bert_status_set(st, ok ? BERT_ERR_OUT_OF_MEMORY : BERT_ERR_ABI_MISMATCH,
                    "%s: cannot store weight '%s' as %s (panels of %lld, "
                    "rows of %lld)",
                    m->file.path, w->name, form == QUANT_S8 ? "int8" : "bf16",
                    (long long)nb, (long long)stride);
    return -1;
  }
  memset(packed, 0, bytes);
  for (row = 0; row < n; row += rows) {
    rows = n - row < kRowsPerGather ? n - row : kRowsPerGather;
    gather_rows(m, w, row, rows, tile);
    if (form == QUANT_S8)
      bert_pack_s8_rows(
          tile, row, rows, k, w->int8_hadamard_block, nb, stride,
          (int8_t *)packed, (float *)(void *)(packed + scale_off),
          (int32_t *)(void *)(packed + scale_off + n * (int64_t)sizeof(float)));
    else
      bert_pack_bf16_rows(tile, row, rows, k, nb, stride,
                          (uint16_t *)(void *)packed);
  }
  free(tile);
  drop_source_pages(m, w);
  m->owned[i] = packed;
  m->weights[i] = (const float *)(const void *)packed;
  m->copied_bytes += bytes;
  return 0;
}

int bert_weights_materialize(bert_model_t *m, bert_status *st) {
  const bert_model_desc *desc = m->desc;
  size_t align = desc->weight_alignment;
  int i, in_place = 0;
  if (align < BERT_BUFFER_ALIGNMENT)
    align = BERT_BUFFER_ALIGNMENT;
  for (i = 0; i < desc->num_weights; ++i) {
    const bert_weight_spec *w = &desc->weights[i];
    const int computed = w->kind == BERT_WEIGHT_COMPUTED;
    const bert_st_tensor *t =
        computed ? NULL : bert_st_find(&m->file, w->sources[0]);
    size_t bytes = (size_t)slot_numel(w) * sizeof(float);
    float *buf;
    if (!computed && (w->bf16_row_stride > 0 || w->int8_row_stride > 0)) {
      if (materialize_quantized(m, i, align,
                                w->int8_row_stride > 0 ? QUANT_S8 : QUANT_BF16,
                                st) != 0)
        return -1;
      continue;
    }
    if (!computed && w->panel_width > 0) {
      if (materialize_panels(m, i, align, st) != 0)
        return -1;
      continue;
    }
    if ((w->kind == BERT_WEIGHT_DIRECT || w->kind == BERT_WEIGHT_FLAT2D) &&
        t->dtype == BERT_ST_F32 &&
        (uintptr_t)t->data % desc->weight_alignment == 0) {
      m->weights[i] = (const float *)(const void *)t->data;
      ++in_place;
      continue;
    }
    buf = bert_aligned_alloc(align, bytes);
    if (!buf) {
      bert_status_set(st, BERT_ERR_OUT_OF_MEMORY,
                      "%s: out of memory %s weight '%s' (%zu bytes)",
                      m->file.path, computed ? "for computed" : "copying",
                      w->name, bytes);
      return -1;
    }
    m->owned[i] = buf;
    m->weights[i] = buf;
    if (computed) {
      /* No file tensor: the library's prepare() fills it once every slot
       * is built (model.c). */
      memset(buf, 0, bytes);
      continue;
    }
    m->copied_bytes += bytes;
    gather_slot(m, w, buf);
    drop_source_pages(m, w);
  }
  return in_place;
}
