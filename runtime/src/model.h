/*===- model.h - Internal model state -------------------------------------===*\
|*                                                                            *|
|* The model object behind the opaque bert_model_t, and the two halves of     *|
|* loading: weights.c turns a validated safetensors file into one float32     *|
|* pointer per descriptor slot; model.c owns the object, the arena pool and   *|
|* the public API but the runs, which are run.c's. bert_model_load_desc is    *|
|* the seam tests use to load with a descriptor of their own.                 *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUNTIME_MODEL_H
#define BERT_RUNTIME_MODEL_H

#include "bert_model_abi.h"
#include "bert_runtime.h"
#include "profile.h"
#include "safetensors.h"

#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Free arenas kept for reuse; more concurrent calls allocate transiently. */
#define BERT_ARENA_POOL_MAX 8

/* Most inputs or outputs a descriptor may list (the runtime keeps per-call
 * tables of this size on the stack). */
#define BERT_MAX_IO 16

/* Every arena and every copied weight buffer has at least this alignment. */
#define BERT_BUFFER_ALIGNMENT 64

struct bert_model {
  const bert_model_desc *desc;
  /* Kept mapped only while some slot points into it. */
  bert_st_file file;
  /* weights[i]: slot i as float32; owned[i]: its buffer if copied, else
   * NULL (then weights[i] points into the mapping). */
  const float **weights;
  void **owned;
  size_t copied_bytes;
  /* Read-only defaults for NULL token_type_ids / attention_mask, sized for
   * [max_batch, max_seq]; shared by all calls. */
  int32_t *zeros;
  int32_t *ones;
  pthread_mutex_t pool_lock;
  void *pool[BERT_ARENA_POOL_MAX];
  size_t pool_bytes[BERT_ARENA_POOL_MAX];
  int pool_count;
  /* bert_model_set_profiling; the totals are guarded by pool_lock. */
  int profiling;
  bert_profile profile;
  /* 1 once desc->device_acquire was called for this model (CUDA), so that
   * bert_model_free releases exactly what load acquired. */
  int device_acquired;
};

/* bert_model_load with an explicit descriptor (bert_model_load passes
 * &bert_generated_model). */
bert_model_t *bert_model_load_desc(const bert_model_desc *desc,
                                   const char *path, bert_status *st);

/* A 64-byte aligned scratch arena of at least `need` bytes from the model's
 * pool (or freshly allocated; NULL when out of memory); *bytes receives its
 * real size, which bert_arena_release takes back. Thread-safe. */
void *bert_arena_acquire(bert_model_t *m, size_t need, size_t *bytes);
void bert_arena_release(bert_model_t *m, void *arena, size_t bytes);

/* Checks every tensor the descriptor needs against the file (presence,
 * dtype, shape), allocating nothing. */
bert_status_code bert_weights_check(const bert_model_desc *desc,
                                    const bert_st_file *f, bert_status *st);

/* Fills m->weights / m->owned / m->copied_bytes from a checked file; returns
 * the number of slots used in place (>= 0), or -1 with st filled (out of
 * memory). On failure the caller frees what was filled. */
int bert_weights_materialize(bert_model_t *m, bert_status *st);

/* Asks Linux for the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM,
 * XFEATURE_XTILEDATA) for the whole process. BERT_OK, or
 * BERT_ERR_UNSUPPORTED_CPU with a message naming `what` (the file being
 * loaded) and the reason. Idempotent and thread-safe. */
bert_status_code bert_request_amx(const char *what, bert_status *st);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_MODEL_H */
