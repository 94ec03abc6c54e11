/*===- model.c - Model lifetime, arena pool and the public API ------------===*\
|*                                                                            *|
|* Loading is all-or-nothing: the descriptor is checked, then the file, then  *|
|* every tensor, and only then is anything copied; any failure unwinds        *|
|* through bert_model_free. Running checks the caller's inputs (the kernels   *|
|* index embedding tables with them, so an unchecked id is an out-of-bounds   *|
|* read), takes a scratch arena from a small pool (so concurrent calls never  *|
|* share one, and repeated calls do not pay for fresh pages each time) and    *|
|* calls the generated code.                                                  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "model.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

/* The descriptor is compiled into the same library, but a stale runtime or
 * a generator bug should fail here with a message, not crash in a kernel. */
static bert_status_code check_desc(const bert_model_desc *d, bert_status *st) {
  int i;
  if (d->abi_version != BERT_MODEL_ABI_VERSION)
    return bert_status_set(st, BERT_ERR_ABI_MISMATCH,
                           "model library ABI version %d, runtime expects %d",
                           d->abi_version, BERT_MODEL_ABI_VERSION);
  if (!d->model_name || !d->run || !d->arena_bytes || d->hidden_size < 1 ||
      d->vocab_size < 1 || d->type_vocab_size < 1 || d->max_batch < 1 ||
      d->max_seq < 1 || d->num_weights < 0 ||
      (d->num_weights > 0 && !d->weights) || d->weight_alignment < 4 ||
      (d->weight_alignment & (d->weight_alignment - 1)) != 0)
    return bert_status_set(st, BERT_ERR_ABI_MISMATCH,
                           "model descriptor '%s' is invalid",
                           d->model_name ? d->model_name : "?");
  for (i = 0; i < d->num_weights; ++i) {
    const bert_weight_spec *w = &d->weights[i];
    int ok = w->name && w->sources && w->rank >= 1 && w->rank <= 4 &&
             (w->kind == BERT_WEIGHT_DIRECT    ? w->num_sources == 1
              : w->kind == BERT_WEIGHT_CONCAT0 ? w->num_sources >= 2
                                               : 0);
    if (!ok)
      return bert_status_set(st, BERT_ERR_ABI_MISMATCH,
                             "model '%s': weight slot %d is invalid",
                             d->model_name, i);
  }
  return BERT_OK;
}

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
  if (in_place < 0)
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
static void *arena_acquire(bert_model_t *m, size_t need, size_t *bytes) {
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

static void arena_release(bert_model_t *m, void *arena, size_t bytes) {
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

/* Checks that every value of a [batch, seq] input lies in [lo, hi). */
static bert_status_code check_ids(const char *what, const int32_t *v,
                                  int64_t batch, int64_t seq, int64_t lo,
                                  int64_t hi, bert_status *st) {
  int64_t b, s;
  for (b = 0; b < batch; ++b)
    for (s = 0; s < seq; ++s) {
      int32_t x = v[b * seq + s];
      if (x < lo || x >= hi)
        return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                               "%s[%lld][%lld] = %ld out of range [%lld, %lld)",
                               what, (long long)b, (long long)s, (long)x,
                               (long long)lo, (long long)hi);
    }
  return BERT_OK;
}

/* Whether bert_run takes the packed (no padding) path; see bert_runtime.h.
 * $BERT_PACKING: "auto" (default), "always" / "packed", "never" / "padded".
 * A batch with a fully masked row always takes the padded path: HF gives
 * such a row a uniform average over all its (padding) keys, which only the
 * padded computation reproduces. */
static int use_packed(const bert_model_desc *d, const int32_t *mask,
                      int64_t batch, int64_t seq) {
  const char *env = getenv("BERT_PACKING");
  int64_t b, s, tokens = 0;
  int always = 0;
  if (!d->run_packed || !mask)
    return 0;
  if (env &&
      (!strcmp(env, "never") || !strcmp(env, "padded") || !strcmp(env, "0")))
    return 0;
  always = env && (!strcmp(env, "always") || !strcmp(env, "packed") ||
                   !strcmp(env, "1"));
  for (b = 0; b < batch; ++b) {
    int64_t ones = 0;
    for (s = 0; s < seq; ++s)
      ones += mask[b * seq + s];
    if (ones == 0)
      return 0;
    /* Position 0 is computed even when it is padding (the pooler reads it). */
    tokens += ones + (mask[b * seq] == 0);
  }
  /* Packing pays off only when it skips a good share of the rows. */
  return always || tokens * 10 <= batch * seq * 9;
}

bert_status_code bert_run(bert_model_t *m, const int32_t *input_ids,
                          const int32_t *token_type_ids,
                          const int32_t *attention_mask, int64_t batch,
                          int64_t seq, float *last_hidden_state,
                          float *pooler_output, bert_status *st) {
  const bert_model_desc *d;
  size_t need, bytes = 0, act;
  void *arena;
  int rc, profiling;
  bert_profile_run run;
  if (!m || !input_ids || !last_hidden_state)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT, "bert_run: %s is NULL",
                           !m           ? "model"
                           : !input_ids ? "input_ids"
                                        : "last_hidden_state");
  d = m->desc;
  if (batch < 1 || batch > d->max_batch)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                           "bert_run: batch %lld out of range [1, %lld] "
                           "(model '%s' was compiled with max batch %lld)",
                           (long long)batch, (long long)d->max_batch,
                           d->model_name, (long long)d->max_batch);
  if (seq < 1 || seq > d->max_seq)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                           "bert_run: seq %lld out of range [1, %lld] "
                           "(model '%s' was compiled with max seq %lld)",
                           (long long)seq, (long long)d->max_seq, d->model_name,
                           (long long)d->max_seq);
  if (check_ids("input_ids", input_ids, batch, seq, 0, d->vocab_size, st) ||
      (token_type_ids && check_ids("token_type_ids", token_type_ids, batch, seq,
                                   0, d->type_vocab_size, st)) ||
      (attention_mask &&
       check_ids("attention_mask", attention_mask, batch, seq, 0, 2, st)))
    return st ? st->code : BERT_ERR_BAD_ARGUMENT;

  /* The generated code always writes the pooled output; when the caller
   * does not want it, it goes to scratch behind the activations. */
  act = round_up(d->arena_bytes(batch, seq), BERT_BUFFER_ALIGNMENT);
  need = act + (pooler_output ? 0 : (size_t)(batch * d->hidden_size) * 4);
  arena = arena_acquire(m, need, &bytes);
  if (!arena)
    return bert_status_set(st, BERT_ERR_OUT_OF_MEMORY,
                           "bert_run: cannot allocate a %zu-byte arena", need);
  /* Read once, under the lock that bert_model_set_profiling writes it
   * under: a toggle from another thread mid-run must not leave this
   * thread's marks pointing at `run` after this frame is gone. */
  pthread_mutex_lock(&m->pool_lock);
  profiling = m->profiling;
  pthread_mutex_unlock(&m->pool_lock);
  if (profiling && bert_profile_init(&run.totals, d->num_calls) != 0) {
    arena_release(m, arena, bytes);
    return bert_status_set(st, BERT_ERR_OUT_OF_MEMORY,
                           "bert_run: cannot allocate the profile record");
  }
  if (profiling)
    bert_profile_begin(&run);
  rc = (use_packed(d, attention_mask, batch, seq) ? d->run_packed : d->run)(
      m->weights, arena, input_ids, token_type_ids ? token_type_ids : m->zeros,
      attention_mask ? attention_mask : m->ones, batch, seq, last_hidden_state,
      pooler_output ? pooler_output : (float *)(void *)((char *)arena + act));
  if (profiling) {
    bert_profile_end(&run);
    pthread_mutex_lock(&m->pool_lock);
    /* Runs that began before profiling was switched off are dropped; the
     * totals may have been cleared by a re-enable meanwhile, which only
     * loses this run. */
    if (rc == 0 && m->profiling)
      bert_profile_add(&m->profile, &run.totals);
    pthread_mutex_unlock(&m->pool_lock);
    bert_profile_free(&run.totals);
  }
  arena_release(m, arena, bytes);
  if (rc != 0)
    return bert_status_set(st, BERT_ERR_KERNEL,
                           "bert_run: model '%s': kernel failed with error %d",
                           d->model_name, rc);
  return bert_status_ok(st);
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
int64_t bert_model_hidden_size(const bert_model_t *m) {
  return m->desc->hidden_size;
}
int64_t bert_model_num_layers(const bert_model_t *m) {
  return m->desc->num_layers;
}
int64_t bert_model_num_heads(const bert_model_t *m) {
  return m->desc->num_heads;
}
int64_t bert_model_intermediate_size(const bert_model_t *m) {
  return m->desc->intermediate_size;
}
int64_t bert_model_vocab_size(const bert_model_t *m) {
  return m->desc->vocab_size;
}
int64_t bert_model_type_vocab_size(const bert_model_t *m) {
  return m->desc->type_vocab_size;
}
int64_t bert_model_max_batch(const bert_model_t *m) {
  return m->desc->max_batch;
}
int64_t bert_model_max_seq(const bert_model_t *m) { return m->desc->max_seq; }

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
