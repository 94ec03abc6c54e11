/*===- FakeModel.c - A tiny stand-in for generated model code -------------===*\
|*                                                                            *|
|* Slots: word embeddings [10, 4], token type embeddings [2, 4], a packed     *|
|* QKV weight [12, 4] (query, key, value [4, 4] each) and a pooler bias [4].  *|
|*   last_hidden[b, s, :] = mask[b, s] * (word[id] + type[tt])                *|
|*   pooled[b, h] = last_hidden[b, 0, h] + bias[h] + sum_r (r+1) qkv[r, h]    *|
|* The weighted sum makes the pooled output depend on the packing order.      *|
|* run() computes in the arena first so that two calls sharing an arena       *|
|* would corrupt each other (and the concurrency test would see it).          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "FakeModel.h"

#include <stdint.h>
#include <string.h>

int fake_model_num_threads = -1;
int fake_model_packed_calls = 0;
void (*fake_model_during_run)(void) = 0;

static const char *const word_src[] = {"embeddings.word_embeddings.weight"};
static const char *const type_src[] = {
    "embeddings.token_type_embeddings.weight"};
static const char *const qkv_src[] = {
    "encoder.layer.0.attention.self.query.weight",
    "encoder.layer.0.attention.self.key.weight",
    "encoder.layer.0.attention.self.value.weight"};
static const char *const bias_src[] = {"pooler.dense.bias"};

static const bert_weight_spec fake_weights[] = {
    {"embeddings.word_embeddings.weight",
     BERT_WEIGHT_DIRECT,
     1,
     word_src,
     2,
     {FAKE_VOCAB, FAKE_HIDDEN, 0, 0}},
    {"embeddings.token_type_embeddings.weight",
     BERT_WEIGHT_DIRECT,
     1,
     type_src,
     2,
     {FAKE_TYPE_VOCAB, FAKE_HIDDEN, 0, 0}},
    {"encoder.layer.0.attention.self.qkv.weight",
     BERT_WEIGHT_CONCAT0,
     3,
     qkv_src,
     2,
     {FAKE_QKV_ROWS, FAKE_HIDDEN, 0, 0}},
    {"pooler.dense.bias",
     BERT_WEIGHT_DIRECT,
     1,
     bias_src,
     1,
     {FAKE_HIDDEN, 0, 0, 0}},
};

static size_t fake_arena_bytes(int64_t batch, int64_t seq) {
  return (size_t)(batch * seq * FAKE_HIDDEN) * sizeof(float);
}

static int fake_run(const float *const *w, void *arena, const int32_t *ids,
                    const int32_t *types, const int32_t *mask, int64_t batch,
                    int64_t seq, float *hidden, float *pooled) {
  float *act = arena;
  int64_t b, s, h, r;
  if ((uintptr_t)arena % 64 != 0)
    return 7;
  if (ids[0] == FAKE_FAIL_ID)
    return FAKE_FAIL_CODE;
  if (fake_model_during_run)
    fake_model_during_run();
  for (b = 0; b < batch; ++b)
    for (s = 0; s < seq; ++s)
      for (h = 0; h < FAKE_HIDDEN; ++h) {
        int64_t i = b * seq + s;
        act[i * FAKE_HIDDEN + h] = mask[i]
                                       ? w[0][ids[i] * FAKE_HIDDEN + h] +
                                             w[1][types[i] * FAKE_HIDDEN + h]
                                       : 0.0f;
      }
  memcpy(hidden, act, fake_arena_bytes(batch, seq));
  /* Two profiled "kernel calls": the embedding sum, then the pooling with
   * 2 * 12 flops per pooled value (a made-up count the tests check). */
  bert_profile_mark(0, 0.0);
  for (b = 0; b < batch; ++b)
    for (h = 0; h < FAKE_HIDDEN; ++h) {
      float acc = act[b * seq * FAKE_HIDDEN + h] + w[3][h];
      for (r = 0; r < FAKE_QKV_ROWS; ++r)
        acc += (float)(r + 1) * w[2][r * FAKE_HIDDEN + h];
      pooled[b * FAKE_HIDDEN + h] = acc;
    }
  bert_profile_mark(1, 2.0 * FAKE_QKV_ROWS * batch * FAKE_HIDDEN);
  return 0;
}

static void fake_set_num_threads(int n) { fake_model_num_threads = n; }

static int fake_run_packed(const float *const *w, void *arena,
                           const int32_t *ids, const int32_t *types,
                           const int32_t *mask, int64_t batch, int64_t seq,
                           float *hidden, float *pooled) {
  __atomic_fetch_add(&fake_model_packed_calls, 1, __ATOMIC_RELAXED);
  return fake_run(w, arena, ids, types, mask, batch, seq, hidden, pooled);
}

static const char *const fake_kernel_names[] = {"fake embeddings",
                                                "fake pooler"};
static const int fake_call_kernel[] = {0, 1};
static const char *const fake_call_names[] = {"fake.embeddings sum",
                                              "fake.pooler weighted"};

const bert_model_desc bert_generated_model = {
    BERT_MODEL_ABI_VERSION,
    "fake_bert",
    FAKE_HIDDEN,
    1,  /* num_layers */
    1,  /* num_heads */
    16, /* intermediate_size */
    FAKE_VOCAB,
    FAKE_TYPE_VOCAB,
    FAKE_MAX_BATCH,
    FAKE_MAX_SEQ,
    64, /* weight_alignment */
    (int)(sizeof(fake_weights) / sizeof(fake_weights[0])),
    fake_weights,
    fake_arena_bytes,
    fake_run,
    fake_set_num_threads,
    fake_run_packed,
    0, /* needs_amx */
    2, /* num_kernels */
    fake_kernel_names,
    2, /* num_calls */
    fake_call_kernel,
    fake_call_names,
};
