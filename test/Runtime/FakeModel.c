/*===- FakeModel.c - A tiny stand-in for generated model code -------------===*\
|*                                                                            *|
|* Slots: word embeddings [10, 4], token type embeddings [2, 4], a packed     *|
|* QKV weight [12, 4] (query, key, value [4, 4] each) and a pooler bias [4].  *|
|*   last_hidden[b, s, :] = mask[b, s] * (word[id] + type[tt])                *|
|*   pooled[b, h] = last_hidden[b, 0, h] + bias[h] + sum_r (r+1) qkv[r, h]    *|
|* The weighted sum makes the pooled output depend on the packing order.      *|
|* fake_token_model and fake_nopool_model (FakeModel.h) are other heads over  *|
|* the same weights, for the named-buffer API.                                *|
|* run() computes in the arena first so that two calls sharing an arena       *|
|* would corrupt each other (and the concurrency test would see it).          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "FakeModel.h"

/* Built with FAKE_TOKEN_LIBRARY, the token head is the library's model
 * (bert_generated_model), for the bert-run tests of a head. */
#ifdef FAKE_TOKEN_LIBRARY
#define FAKE_BERT_DESC fake_bert_model
#define FAKE_TOKEN_DESC bert_generated_model
#else
#define FAKE_BERT_DESC bert_generated_model
#define FAKE_TOKEN_DESC fake_token_model
#endif

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

/* The embedding sum of the fake encoder: hidden[b, s, :] = mask[b, s] *
 * (word[id] + type[tt]); types may be NULL (all 0). */
static void fake_embed(const float *const *w, const int32_t *ids,
                       const int32_t *types, const int32_t *mask, int64_t batch,
                       int64_t seq, float *hidden) {
  int64_t i, h;
  for (i = 0; i < batch * seq; ++i)
    for (h = 0; h < FAKE_HIDDEN; ++h)
      hidden[i * FAKE_HIDDEN + h] =
          mask[i] ? w[0][ids[i] * FAKE_HIDDEN + h] +
                        (types ? w[1][types[i] * FAKE_HIDDEN + h] : 0.0f)
                  : 0.0f;
}

/* The weighted first-token sum that stands in for the pooler. */
static void fake_pool(const float *const *w, const float *hidden, int64_t batch,
                      int64_t seq, float *pooled) {
  int64_t b, h, r;
  for (b = 0; b < batch; ++b)
    for (h = 0; h < FAKE_HIDDEN; ++h) {
      float acc = hidden[b * seq * FAKE_HIDDEN + h] + w[3][h];
      for (r = 0; r < FAKE_QKV_ROWS; ++r)
        acc += (float)(r + 1) * w[2][r * FAKE_HIDDEN + h];
      pooled[b * FAKE_HIDDEN + h] = acc;
    }
}

/* Inputs input_ids, token_type_ids, attention_mask; outputs
 * last_hidden_state, pooler_output (fake_inputs, fake_outputs). */
static int fake_run(const float *const *w, void *arena,
                    const void *const *inputs, int64_t batch, int64_t seq,
                    void *const *outputs) {
  const int32_t *ids = inputs[0], *types = inputs[1], *mask = inputs[2];
  float *act = arena;
  if ((uintptr_t)arena % 64 != 0)
    return 7;
  if (ids[0] == FAKE_FAIL_ID)
    return FAKE_FAIL_CODE;
  if (fake_model_during_run)
    fake_model_during_run();
  fake_embed(w, ids, types, mask, batch, seq, act);
  memcpy(outputs[0], act, fake_arena_bytes(batch, seq));
  /* Two profiled "kernel calls": the embedding sum, then the pooling with
   * 2 * 12 flops per pooled value (a made-up count the tests check). */
  bert_profile_mark(0, 0.0);
  fake_pool(w, act, batch, seq, outputs[1]);
  bert_profile_mark(1, 2.0 * FAKE_QKV_ROWS * batch * FAKE_HIDDEN);
  return 0;
}
static void fake_set_num_threads(int n) { fake_model_num_threads = n; }

static int fake_run_packed(const float *const *w, void *arena,
                           const void *const *inputs, int64_t batch,
                           int64_t seq, void *const *outputs) {
  __atomic_fetch_add(&fake_model_packed_calls, 1, __ATOMIC_RELAXED);
  return fake_run(w, arena, inputs, batch, seq, outputs);
}

static const char *const fake_kernel_names[] = {"fake embeddings",
                                                "fake pooler"};
static const int fake_call_kernel[] = {0, 1};
static const char *const fake_call_names[] = {"fake.embeddings sum",
                                              "fake.pooler weighted"};

/* The fields every fake descriptor shares, around its name, token types,
 * io tables and runs (positional: the ABI's field order). */
#define FAKE_COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))
#define FAKE_DESC(name, type_vocab, ins, outs, run, run_packed)                \
  BERT_MODEL_ABI_VERSION, name, FAKE_HIDDEN, 1 /* layers */, 1 /* heads */,    \
      16 /* intermediate */, FAKE_VOCAB, type_vocab, FAKE_MAX_BATCH,           \
      FAKE_MAX_SEQ, 64 /* weight_alignment */, FAKE_COUNT(fake_weights),       \
      fake_weights, fake_arena_bytes, FAKE_COUNT(ins), ins, FAKE_COUNT(outs),  \
      outs, run, fake_set_num_threads, run_packed, 0 /* needs_amx */

/* The fake models' inputs are all int32 [batch, seq] tables; their outputs
 * are float32, per token [batch, seq, hidden] or per row [batch, hidden]. */
#define FAKE_TOKEN_INPUT(name, upper_bound, required, default_value)           \
  {                                                                            \
    name, BERT_ABI_INT32, 2, {BERT_ABI_DIM_BATCH, BERT_ABI_DIM_SEQ, 0, 0},     \
        upper_bound, required, default_value                                   \
  }
#define FAKE_TOKEN_OUTPUT(name)                                                \
  {                                                                            \
    name, BERT_ABI_FLOAT32, 3,                                                 \
        {BERT_ABI_DIM_BATCH, BERT_ABI_DIM_SEQ, FAKE_HIDDEN, 0}, 0, 0, 0        \
  }
#define FAKE_POOLED_OUTPUT(name)                                               \
  {                                                                            \
    name, BERT_ABI_FLOAT32, 2, {BERT_ABI_DIM_BATCH, FAKE_HIDDEN, 0, 0}, 0, 0,  \
        0                                                                      \
  }

static const bert_io_spec fake_inputs[] = {
    FAKE_TOKEN_INPUT("input_ids", FAKE_VOCAB, 1, 0),
    FAKE_TOKEN_INPUT("token_type_ids", FAKE_TYPE_VOCAB, 0, 0),
    FAKE_TOKEN_INPUT("attention_mask", 2, 0, 1),
};
static const bert_io_spec fake_outputs[] = {
    FAKE_TOKEN_OUTPUT("last_hidden_state"),
    FAKE_POOLED_OUTPUT("pooler_output"),
};

const bert_model_desc FAKE_BERT_DESC = {
    FAKE_DESC("fake_bert", FAKE_TYPE_VOCAB, fake_inputs, fake_outputs, fake_run,
              fake_run_packed),
    2, /* num_kernels */
    fake_kernel_names,
    2, /* num_calls */
    fake_call_kernel,
    fake_call_names,
};

/* A token-classification head: inputs attention_mask, input_ids, langs (in
 * that order, no token types); outputs logits [B, S, 4] = embeddings +
 * langs (as floats) and first [B, 4] (the pooled first token). Its packed
 * path writes the zeros a real one writes at padding positions s > 0. */
static const bert_io_spec token_inputs[] = {
    FAKE_TOKEN_INPUT("attention_mask", 2, 0, 1),
    FAKE_TOKEN_INPUT("input_ids", FAKE_VOCAB, 1, 0),
    FAKE_TOKEN_INPUT("langs", FAKE_N_LANGS, 0, 0),
};
static const bert_io_spec token_outputs[] = {
    FAKE_TOKEN_OUTPUT("logits"),
    FAKE_POOLED_OUTPUT("first"),
};

static int token_run(const float *const *w, void *arena,
                     const void *const *inputs, int64_t batch, int64_t seq,
                     void *const *outputs) {
  const int32_t *mask = inputs[0], *ids = inputs[1], *langs = inputs[2];
  float *logits = outputs[0];
  int64_t i, h;
  (void)arena;
  fake_embed(w, ids, NULL, mask, batch, seq, logits);
  for (i = 0; i < batch * seq; ++i)
    for (h = 0; h < FAKE_HIDDEN; ++h)
      logits[i * FAKE_HIDDEN + h] += (float)langs[i];
  fake_pool(w, logits, batch, seq, outputs[1]);
  return 0;
}

static int token_run_packed(const float *const *w, void *arena,
                            const void *const *inputs, int64_t batch,
                            int64_t seq, void *const *outputs) {
  const int32_t *mask = inputs[0];
  float *logits = outputs[0];
  int64_t i;
  int rc = token_run(w, arena, inputs, batch, seq, outputs);
  __atomic_fetch_add(&fake_model_packed_calls, 1, __ATOMIC_RELAXED);
  for (i = 0; i < batch * seq; ++i)
    if (i % seq != 0 && !mask[i])
      memset(logits + i * FAKE_HIDDEN, 0, FAKE_HIDDEN * sizeof(float));
  return rc;
}

const bert_model_desc FAKE_TOKEN_DESC = {
    FAKE_DESC("fake_token", 0 /* no token types */, token_inputs, token_outputs,
              token_run, token_run_packed),
    0,
    NULL,
    0,
    NULL,
    NULL /* no profile names */
};

/* An encoder without a pooler (a sentence-transformers export): inputs
 * input_ids, attention_mask; output last_hidden_state alone. */
static const bert_io_spec nopool_outputs[] = {
    FAKE_TOKEN_OUTPUT("last_hidden_state"),
};
static const bert_io_spec nopool_inputs[] = {
    FAKE_TOKEN_INPUT("input_ids", FAKE_VOCAB, 1, 0),
    FAKE_TOKEN_INPUT("attention_mask", 2, 0, 1),
};

static int nopool_run(const float *const *w, void *arena,
                      const void *const *inputs, int64_t batch, int64_t seq,
                      void *const *outputs) {
  (void)arena;
  fake_embed(w, inputs[0], NULL, inputs[1], batch, seq, outputs[0]);
  return 0;
}

const bert_model_desc fake_nopool_model = {
    FAKE_DESC("fake_nopool", FAKE_TYPE_VOCAB, nopool_inputs, nopool_outputs,
              nopool_run, NULL),
    0,
    NULL,
    0,
    NULL,
    NULL /* no profile names */
};
