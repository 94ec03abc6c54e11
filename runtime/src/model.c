/*===- model.c - Model lifetime, arena pool and the public API ------------===*\
|*                                                                            *|
|* Loading is all-or-nothing: the descriptor is checked, then the file, then  *|
|* every tensor, and only then is anything copied; any failure unwinds        *|
|* through bert_model_free. Runs (run.c) take a scratch arena from the small  *|
|* pool kept here, so concurrent calls never share one and repeated calls do  *|
|* not pay for fresh pages each time.                                         *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "model.h"
#include "bert_cublaslt_driver.h"
#include "bert_cuda_driver.h"
#include "hadamard.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>

/* An input or output table: names present and unique, shapes as
 * bert_model_abi.h allows (inputs int32 [batch, seq] with their defaults 0
 * or 1; outputs float32 with batch first), input_ids among the inputs. The
 * runtime sizes scratch and checks ids from these entries, so a bad one
 * must not reach a run. */
static bert_status_code check_io(const bert_model_desc *d,
                                 const bert_io_spec *t, int n, int is_input,
                                 bert_status *st) {
  const char *what = is_input ? "input" : "output";
  int i, j, k, has_ids = 0;
  if (n < 1 || n > BERT_MAX_IO || !t)
    return bert_status_set(st, BERT_ERR_ABI_MISMATCH,
                           "model '%s': %d %ss (expected 1 to %d)",
                           d->model_name, n, what, BERT_MAX_IO);
  for (i = 0; i < n; ++i) {
    int ok = t[i].name && t[i].rank >= 1 && t[i].rank <= BERT_ABI_MAX_RANK &&
             t[i].dims[0] == BERT_ABI_DIM_BATCH;
    for (k = 1; ok && k < t[i].rank; ++k)
      ok = t[i].dims[k] > 0 || (k == 1 && t[i].dims[k] == BERT_ABI_DIM_SEQ);
    if (ok && is_input)
      ok = t[i].dtype == BERT_ABI_INT32 && t[i].rank == 2 &&
           t[i].dims[1] == BERT_ABI_DIM_SEQ && t[i].upper_bound >= 0 &&
           (t[i].required ||
            (t[i].default_value >= 0 && t[i].default_value <= 1 &&
             t[i].default_value < (t[i].upper_bound ? t[i].upper_bound : 2)));
    if (ok && !is_input)
      ok = t[i].dtype == BERT_ABI_FLOAT32;
    for (j = 0; ok && j < i; ++j)
      ok = strcmp(t[i].name, t[j].name) != 0;
    if (!ok)
      return bert_status_set(
          st, BERT_ERR_ABI_MISMATCH, "model '%s': %s %d ('%s') is invalid",
          d->model_name, what, i, t[i].name ? t[i].name : "?");
    has_ids |= is_input && !strcmp(t[i].name, "input_ids");
  }
  if (is_input && !has_ids)
    return bert_status_set(st, BERT_ERR_ABI_MISMATCH,
                           "model '%s' has no input_ids input", d->model_name);
  return BERT_OK;
}

/* The descriptor is compiled into the same library, but a stale runtime or
 * a generator bug should fail here with a message, not crash in a kernel. */
static bert_status_code check_desc(const bert_model_desc *d, bert_status *st) {
  int i;
  if (d->abi_version != BERT_MODEL_ABI_VERSION)
    return bert_status_set(st, BERT_ERR_ABI_MISMATCH,
                           "model library ABI version %d, runtime expects %d",
                           d->abi_version, BERT_MODEL_ABI_VERSION);
  if (!d->model_name || !d->run || !d->arena_bytes || d->hidden_size < 1 ||
      d->vocab_size < 1 || d->type_vocab_size < 0 || d->max_batch < 1 ||
      d->max_seq < 1 || d->num_weights < 0 ||
      (d->num_weights > 0 && !d->weights) || d->weight_alignment < 4 ||
      (d->weight_alignment & (d->weight_alignment - 1)) != 0)
    return bert_status_set(st, BERT_ERR_ABI_MISMATCH,
                           "model descriptor '%s' is invalid",
                           d->model_name ? d->model_name : "?");
  if (d->device != BERT_ABI_DEVICE_CPU && d->device != BERT_ABI_DEVICE_CUDA)
    return bert_status_set(st, BERT_ERR_ABI_MISMATCH,
                           "model '%s': unknown device %d", d->model_name,
                           d->device);
  if (d->device == BERT_ABI_DEVICE_CUDA &&
      (!d->device_acquire || !d->device_release))
    return bert_status_set(st, BERT_ERR_ABI_MISMATCH,
                           "model '%s': a CUDA library without "
                           "device_acquire / device_release",
                           d->model_name);
  if (check_io(d, d->inputs, d->num_inputs, 1, st) != BERT_OK ||
      check_io(d, d->outputs, d->num_outputs, 0, st) != BERT_OK)
    return st ? st->code : BERT_ERR_ABI_MISMATCH;
  for (i = 0; i < d->num_weights; ++i) {
    const bert_weight_spec *w = &d->weights[i];
    int ok =
        w->name && (w->sources || w->kind == BERT_WEIGHT_COMPUTED) &&
        w->rank >= 1 && w->rank <= 4 &&
        (w->kind == BERT_WEIGHT_COMPUTED
             ? w->num_sources == 0 && d->prepare && w->panel_width == 0 &&
                   w->bf16_row_stride == 0 && w->int8_row_stride == 0
         : w->kind == BERT_WEIGHT_DIRECT  ? w->num_sources == 1
         : w->kind == BERT_WEIGHT_CONCAT0 ? w->num_sources >= 2
         : w->kind == BERT_WEIGHT_FLAT2D  ? w->num_sources == 1 && w->rank == 2
         : w->kind == BERT_WEIGHT_CONCAT0_T
             ? w->num_sources >= 1 && w->rank == 2
             : 0);
    /* A rotation only on int8 slots, in blocks that tile K (hadamard.h). */
    if (ok && w->int8_hadamard_block != 0)
      ok = w->int8_row_stride > 0 && w->rank == 2 &&
           bert_hadamard_block_ok(w->int8_hadamard_block) &&
           w->shape[1] % w->int8_hadamard_block == 0;
    if (!ok)
      return bert_status_set(st, BERT_ERR_ABI_MISMATCH,
                             "model '%s': weight slot %d is invalid",
                             d->model_name, i);
  }
  return BERT_OK;
}

/* The computed slots (BERT_WEIGHT_COMPUTED): the library's prepare() once,
 * before any run can see the model, so runs only ever read them. */
static bert_status_code prepare_computed(bert_model_t *m, const char *path,
                                         bert_status *st) {
  const bert_model_desc *d = m->desc;
  size_t bytes = 0;
  void *arena;
  int rc;
  if (!d->prepare)
    return BERT_OK;
  arena = bert_arena_acquire(m, d->arena_bytes(1, d->max_seq), &bytes);
  if (!arena)
    return bert_status_set(st, BERT_ERR_OUT_OF_MEMORY,
                           "%s: out of memory computing model '%s''s "
                           "load-time values",
                           path, d->model_name);
  rc = d->prepare(m->weights, arena);
  bert_arena_release(m, arena, bytes);
  if (rc != 0)
    return bert_status_set(st, BERT_ERR_KERNEL,
                           "%s: model '%s': computing the load-time values "
                           "failed (kernel error %d)",
                           path, d->model_name, rc);
  return BERT_OK;
}

/* Defined (as 1) by the host code of a CUDA library whose linears run on
 * cuBLASLt (bertc --cuda-gemm=cublaslt), which links this runtime into the
 * same .so or program; weak, so that every other library leaves it out
 * without an ABI change. */
#if defined(__GNUC__)
extern const int bert_needs_cublaslt
    __attribute__((weak, visibility("hidden")));
#define BERT_NEEDS_CUBLASLT (&bert_needs_cublaslt && bert_needs_cublaslt)
#else
#define BERT_NEEDS_CUBLASLT 0
#endif

bert_model_t *bert_model_load_desc(const bert_model_desc *desc,
                                   const char *path, bert_status *st) {
  bert_model_t *m;
  size_t cells;
  int64_t i;
  int in_place;
  if (!desc || !path) {
    bert_status_set(st, BERT_ERR_BAD_ARGUMENT, "bert_model_load: NULL path");
    return NULL;
  }
  if (check_desc(desc, st) != BERT_OK)
    return NULL;
  if (desc->needs_amx && bert_request_amx(path, st) != BERT_OK)
    return NULL;
  if (desc->device == BERT_ABI_DEVICE_CUDA) {
    char why[256];
    if (!bert_cuda_driver_get(why, sizeof why)) {
      bert_status_set(st, BERT_ERR_NO_DEVICE,
                      "%s: model '%s' is compiled for CUDA: %s", path,
                      desc->model_name, why);
      return NULL;
    }
    if (BERT_NEEDS_CUBLASLT && !bert_cublaslt_driver_get(why, sizeof why)) {
      bert_status_set(st, BERT_ERR_NO_DEVICE,
                      "%s: model '%s' runs its linears on cuBLASLt: %s", path,
                      desc->model_name, why);
      return NULL;
    }
  }
  m = calloc(1, sizeof(*m));
  if (!m) {
    bert_status_set(st, BERT_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    return NULL;
  }
  m->desc = desc;
  if (pthread_mutex_init(&m->pool_lock, NULL) != 0) {
    free(m);
    bert_status_set(st, BERT_ERR_OUT_OF_MEMORY, "%s: cannot create a mutex",
                    path);
    return NULL;
  }
  if (desc->device == BERT_ABI_DEVICE_CUDA) {
    desc->device_acquire();
    m->device_acquired = 1;
  }
  if (bert_st_open(path, &m->file, st) != BERT_OK ||
      bert_weights_check(desc, &m->file, st) != BERT_OK)
    goto error;
  cells = (size_t)(desc->max_batch * desc->max_seq);
  m->weights = calloc((size_t)desc->num_weights + 1, sizeof(*m->weights));
  m->owned = calloc((size_t)desc->num_weights + 1, sizeof(*m->owned));
  m->zeros = calloc(cells, sizeof(int32_t));
  m->ones = malloc(cells * sizeof(int32_t));
  if (!m->weights || !m->owned || !m->zeros || !m->ones) {
    bert_status_set(st, BERT_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    goto error;
  }
  for (i = 0; i < (int64_t)cells; ++i)
    m->ones[i] = 1;
  in_place = bert_weights_materialize(m, st);
  if (in_place < 0 || prepare_computed(m, path, st) != BERT_OK)
    goto error;
  /* No slot points into the file: give the mapping back now. */
  if (in_place == 0)
    bert_st_close(&m->file);
  bert_status_ok(st);
  return m;
error:
  bert_model_free(m);
  return NULL;
}

bert_model_t *bert_model_load(const char *safetensors_path, bert_status *st) {
  return bert_model_load_desc(&bert_generated_model, safetensors_path, st);
}

void bert_model_free(bert_model_t *m) {
  int i;
  if (!m)
    return;
  /* Before the weights go: the library compares their address with the
   * one its device copy was made from. */
  if (m->device_acquired)
    m->desc->device_release(m->weights);
  for (i = 0; m->owned && i < m->desc->num_weights; ++i)
    bert_aligned_free(m->owned[i]);
  for (i = 0; i < m->pool_count; ++i)
    bert_aligned_free(m->pool[i]);
  pthread_mutex_destroy(&m->pool_lock);
  bert_profile_free(&m->profile);
  bert_st_close(&m->file);
  free(m->weights);
  free(m->owned);
  free(m->zeros);
  free(m->ones);
  free(m);
}

/* Takes the smallest pooled arena of at least `need` bytes, or allocates.
 * When only smaller ones are pooled, the largest is dropped so that the
 * pool follows the shapes actually in use. */
void *bert_arena_acquire(bert_model_t *m, size_t need, size_t *bytes) {
  void *drop = NULL, *got = NULL;
  int i, best = -1, largest = -1;
  pthread_mutex_lock(&m->pool_lock);
  for (i = 0; i < m->pool_count; ++i) {
    if (m->pool_bytes[i] >= need &&
        (best < 0 || m->pool_bytes[i] < m->pool_bytes[best]))
      best = i;
    if (largest < 0 || m->pool_bytes[i] > m->pool_bytes[largest])
      largest = i;
  }
  if (best < 0 && largest >= 0)
    best = largest; /* too small: drop it below */
  if (best >= 0) {
    got = m->pool[best];
    *bytes = m->pool_bytes[best];
    m->pool[best] = m->pool[m->pool_count - 1];
    m->pool_bytes[best] = m->pool_bytes[m->pool_count - 1];
    --m->pool_count;
  }
  pthread_mutex_unlock(&m->pool_lock);
  if (got && *bytes >= need)
    return got;
  drop = got;
  bert_aligned_free(drop);
  *bytes = need;
  return bert_aligned_alloc(BERT_BUFFER_ALIGNMENT, need);
}

void bert_arena_release(bert_model_t *m, void *arena, size_t bytes) {
  pthread_mutex_lock(&m->pool_lock);
  if (m->pool_count < BERT_ARENA_POOL_MAX) {
    m->pool[m->pool_count] = arena;
    m->pool_bytes[m->pool_count] = bytes;
    ++m->pool_count;
    arena = NULL;
  }
  pthread_mutex_unlock(&m->pool_lock);
  bert_aligned_free(arena);
}

bert_status_code bert_model_set_num_threads(bert_model_t *m, int n,
                                            bert_status *st) {
  if (!m || n < 0)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                           "bert_model_set_num_threads: %s",
                           !m ? "model is NULL" : "negative thread count");
  if (m->desc->set_num_threads)
    m->desc->set_num_threads(n);
  return bert_status_ok(st);
}

bert_status_code bert_model_set_profiling(bert_model_t *m, int enable,
                                          bert_status *st) {
  if (!m)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                           "bert_model_set_profiling: model is NULL");
  pthread_mutex_lock(&m->pool_lock);
  if (enable && !m->profile.seconds &&
      bert_profile_init(&m->profile, m->desc->num_calls) != 0) {
    pthread_mutex_unlock(&m->pool_lock);
    return bert_status_set(st, BERT_ERR_OUT_OF_MEMORY,
                           "bert_model_set_profiling: out of memory");
  }
  if (enable)
    bert_profile_clear(&m->profile);
  m->profiling = enable != 0;
  pthread_mutex_unlock(&m->pool_lock);
  return bert_status_ok(st);
}

size_t bert_model_profile_report(bert_model_t *m, char *buf, size_t size) {
  size_t n;
  if (!m) {
    if (buf && size)
      buf[0] = '\0';
    return 0;
  }
  pthread_mutex_lock(&m->pool_lock);
  n = bert_profile_format(m->desc, &m->profile, buf, size);
  pthread_mutex_unlock(&m->pool_lock);
  return n;
}

const char *bert_model_name(const bert_model_t *m) {
  return m->desc->model_name;
}
/* The size queries read the descriptor's field of the same name. */
#define BERT_SIZE_QUERY(field)                                                 \
  int64_t bert_model_##field(const bert_model_t *m) { return m->desc->field; }
BERT_SIZE_QUERY(hidden_size)
BERT_SIZE_QUERY(num_layers)
BERT_SIZE_QUERY(num_heads)
BERT_SIZE_QUERY(intermediate_size)
BERT_SIZE_QUERY(vocab_size)
BERT_SIZE_QUERY(type_vocab_size)
BERT_SIZE_QUERY(max_batch)
BERT_SIZE_QUERY(max_seq)
#undef BERT_SIZE_QUERY

size_t bert_model_arena_bytes(const bert_model_t *m, int64_t batch,
                              int64_t seq) {
  if (batch < 1 || batch > m->desc->max_batch || seq < 1 ||
      seq > m->desc->max_seq)
    return 0;
  return m->desc->arena_bytes(batch, seq);
}

size_t bert_model_copied_bytes(const bert_model_t *m) {
  return m->copied_bytes;
}

const float *bert_model_weight(const bert_model_t *m, const char *name,
                               int64_t *numel) {
  int i, k;
  for (i = 0; name && i < m->desc->num_weights; ++i) {
    const bert_weight_spec *w = &m->desc->weights[i];
    if (strcmp(w->name, name) != 0)
      continue;
    if (numel) {
      *numel = 1;
      for (k = 0; k < w->rank; ++k)
        *numel *= w->shape[k];
    }
    return m->weights[i];
  }
  return NULL;
}
