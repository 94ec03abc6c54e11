/* Concurrent runs of one CUDA library on the mock driver ($BERT_LIBCUDA,
 * test/Cuda): each run takes its own execution lane (stream, arena,
 * graphs), so threads run at once. Serial runs at two shapes give the
 * reference; then THREADS threads each run ROUNDS times, alternating the
 * shapes (so lanes capture graphs concurrently), and every result must
 * equal the serial one bit for bit. Used by test/E2E/cuda-mock.test.
 *
 *   cuda_threads model.safetensors
 */
#include "bert_runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { B = 2, S = 8, THREADS = 4, ROUNDS = 3 };

static bert_model_t *model;
static int32_t ids[B * S];
static float *expect[2];
static size_t bytes[2];
static int seqs[2] = {S, 5};

/* Runs at shape `which` into `out`; 0 on success. */
static int run(int which, float *out) {
  bert_status st;
  if (bert_run(model, ids, NULL, NULL, B, seqs[which], out, NULL, &st) !=
      BERT_OK) {
    fprintf(stderr, "cuda_threads: %s\n", st.message);
    return 1;
  }
  return 0;
}

static void *worker(void *arg) {
  long bad = 0;
  int r;
  float *out = malloc(bytes[0]);
  for (r = 0; r < ROUNDS; ++r) {
    int which = ((int)(size_t)arg + r) % 2;
    bad += run(which, out) || memcmp(out, expect[which], bytes[which]) != 0;
  }
  free(out);
  return (void *)bad;
}

int main(int argc, char **argv) {
  bert_status st;
  pthread_t t[THREADS];
  long bad = 0;
  int i;
  if (argc != 2) {
    fprintf(stderr, "usage: cuda_threads model.safetensors\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IONBF, 0); /* the mock's exit summary comes last */
  model = bert_model_load(argv[1], &st);
  if (!model) {
    fprintf(stderr, "cuda_threads: %s\n", st.message);
    return 1;
  }
  for (i = 0; i < B * S; ++i)
    ids[i] = (i * 53 + 7) % 400 + 1;
  for (i = 0; i < 2; ++i) {
    bytes[i] = (size_t)B * seqs[i] * bert_model_hidden_size(model) * 4;
    expect[i] = malloc(bytes[i]);
    if (run(i, expect[i]))
      return 1;
  }
  for (i = 0; i < THREADS; ++i)
    pthread_create(&t[i], NULL, worker, (void *)(size_t)i);
  for (i = 0; i < THREADS; ++i) {
    void *r;
    pthread_join(t[i], &r);
    bad += (long)r;
  }
  printf("threads: %d runs on %d threads, %ld differ from the serial runs\n",
         THREADS * ROUNDS, THREADS, bad);
  bert_model_free(model);
  free(expect[0]);
  free(expect[1]);
  return bad != 0;
}
