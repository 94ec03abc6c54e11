/* Calls bert_run from several threads at once on one loaded model and checks
 * that every call gives exactly the result of a call made alone. Used by
 * test/E2E/concurrency.test with a real compiled library (linked statically).
 *
 *   concurrent_run model.safetensors THREADS ITERATIONS
 */
#include "bert_runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHAPES 3

typedef struct {
  int64_t batch, seq;
  int32_t *ids, *mask;
  float *expected; /* last_hidden_state of a call made alone */
} shape_case;

static bert_model_t *model;
static shape_case shapes[MAX_SHAPES];
static int iterations;
static int mismatches;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static size_t hidden_floats(const shape_case *c) {
  return (size_t)(c->batch * c->seq * bert_model_hidden_size(model));
}

static int run_case(const shape_case *c, float *out) {
  bert_status st;
  float *pooled = malloc(sizeof(float) *
                         (size_t)(c->batch * bert_model_hidden_size(model)));
  bert_status_code code = bert_run(model, c->ids, NULL, c->mask, c->batch,
                                   c->seq, out, pooled, &st);
  free(pooled);
  if (code != BERT_OK)
    fprintf(stderr, "concurrent_run: error: %s\n", st.message);
  return code == BERT_OK ? 0 : -1;
}

static void *worker(void *arg) {
  int id = (int)(size_t)arg, i;
  for (i = 0; i < iterations; ++i) {
    const shape_case *c = &shapes[(id + i) % MAX_SHAPES];
    float *out = malloc(sizeof(float) * hidden_floats(c));
    if (run_case(c, out) != 0 ||
        memcmp(out, c->expected, sizeof(float) * hidden_floats(c)) != 0) {
      pthread_mutex_lock(&lock);
      ++mismatches;
      pthread_mutex_unlock(&lock);
    }
    free(out);
  }
  return NULL;
}

int main(int argc, char **argv) {
  bert_status st;
  pthread_t threads[16];
  int nthreads, s, t;
  int64_t b, k;
  if (argc != 4 || (nthreads = atoi(argv[2])) < 1 || nthreads > 16 ||
      (iterations = atoi(argv[3])) < 1) {
    fprintf(
        stderr,
        "usage: concurrent_run model.safetensors THREADS(1-16) ITERATIONS\n");
    return 2;
  }
  model = bert_model_load(argv[1], &st);
  if (!model) {
    fprintf(stderr, "concurrent_run: error: %s\n", st.message);
    return 1;
  }
  for (s = 0; s < MAX_SHAPES; ++s) {
    shape_case *c = &shapes[s];
    c->batch = 1 + s % bert_model_max_batch(model);
    c->seq = 3 + 5 * s;
    if (c->seq > bert_model_max_seq(model))
      c->seq = bert_model_max_seq(model);
    c->ids = malloc(sizeof(int32_t) * (size_t)(c->batch * c->seq));
    c->mask = malloc(sizeof(int32_t) * (size_t)(c->batch * c->seq));
    for (b = 0; b < c->batch; ++b)
      for (k = 0; k < c->seq; ++k) {
        c->ids[b * c->seq + k] =
            (int32_t)((7 * b + 13 * k + s) % bert_model_vocab_size(model));
        c->mask[b * c->seq + k] =
            k < c->seq - b; /* row b has b padded tokens */
      }
    c->expected = malloc(sizeof(float) * hidden_floats(c));
    if (run_case(c, c->expected) != 0)
      return 1;
  }
  for (t = 0; t < nthreads; ++t)
    pthread_create(&threads[t], NULL, worker, (void *)(size_t)t);
  for (t = 0; t < nthreads; ++t)
    pthread_join(threads[t], NULL);
  printf("concurrent_run: %d threads x %d calls, %d mismatches\n", nthreads,
         iterations, mismatches);
  for (s = 0; s < MAX_SHAPES; ++s) {
    free(shapes[s].ids);
    free(shapes[s].mask);
    free(shapes[s].expected);
  }
  bert_model_free(model);
  return mismatches == 0 ? 0 : 1;
}
