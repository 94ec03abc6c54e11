/*===- run_bert.c - The bertc C API in ten lines --------------------------===*\
|*                                                                            *|
|*   run_bert model.safetensors [id ...]                                      *|
|*                                                                            *|
|* Loads weights into a model library compiled by bertc, runs the encoder on  *|
|* one sequence and prints the first values of pooler_output and the latency  *|
|* of one run. It includes bert_runtime.h only, never the generated           *|
|* <model>.h, and asks the library for every size it needs, so the same       *|
|* source works with any compiled model. Link it with the static library:     *|
|*                                                                            *|
|*   cc -O2 -I OUT run_bert.c OUT/lib<model>.a -lpthread -ldl -lm -o run_bert *|
|*                                                                            *|
|* Every failure prints "run_bert: error: <what>" and exits with status 1.    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c99 */

#include "bert_runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* "[CLS] hello , world ! [SEP]" in the bert-base-uncased vocabulary. */
static const int32_t default_ids[] = {101, 7592, 1010, 2088, 999, 102};
enum { NUM_DEFAULT_IDS = sizeof(default_ids) / sizeof(default_ids[0]) };

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  bert_status st;
  bert_model_t *m = NULL;
  int32_t *ids = NULL;
  float *hidden_states = NULL, *pooled = NULL;
  int64_t seq, hidden, vocab, i;
  double t0, ms = 0;
  int rc = 1;

  if (argc < 2) {
    fprintf(stderr, "usage: run_bert model.safetensors [id ...]\n");
    return 1;
  }

  /* 1. Load the weights. The model owns them until bert_model_free(). */
  m = bert_model_load(argv[1], &st);
  if (!m) {
    fprintf(stderr, "run_bert: error: %s\n", st.message); /* names the file */
    return 1;
  }

  /* 2. Ask the library what it was compiled for. */
  hidden = bert_model_hidden_size(m);
  vocab = bert_model_vocab_size(m);
  seq = argc > 2 ? argc - 2 : NUM_DEFAULT_IDS;
  if (seq > bert_model_max_seq(m)) {
    fprintf(stderr,
            "run_bert: error: %lld ids, but the model was compiled "
            "for at most %lld\n",
            (long long)seq, (long long)bert_model_max_seq(m));
    goto done;
  }

  /* 3. The input: one sequence of token ids, each in [0, vocab). The default
   *    ids are folded into a smaller vocabulary; given ones must fit. */
  ids = malloc((size_t)seq * sizeof(*ids));
  hidden_states = malloc((size_t)(seq * hidden) * sizeof(float));
  pooled = malloc((size_t)hidden * sizeof(float));
  if (!ids || !hidden_states || !pooled) {
    fprintf(stderr, "run_bert: error: out of memory\n");
    goto done;
  }
  for (i = 0; i < seq; ++i) {
    long long v;
    char *end;
    if (argc == 2) {
      ids[i] = (int32_t)(default_ids[i] % vocab);
      continue;
    }
    errno = 0;
    v = strtoll(argv[i + 2], &end, 10);
    if (end == argv[i + 2] || *end || errno || v < 0 || v >= vocab) {
      fprintf(stderr, "run_bert: error: token id '%s' is not in [0, %lld)\n",
              argv[i + 2], (long long)vocab);
      goto done;
    }
    ids[i] = (int32_t)v;
  }

  /* 4. Run: batch 1, no token types (all 0), no mask (attend everywhere).
   *    The first call also starts the kernels' thread pool, so time the
   *    second one. */
  for (i = 0; i < 2; ++i) {
    t0 = now_ms();
    if (bert_run(m, ids, NULL, NULL, 1, seq, hidden_states, pooled, &st) !=
        BERT_OK) {
      fprintf(stderr, "run_bert: error: %s\n", st.message);
      goto done;
    }
    ms = now_ms() - t0;
  }

  /* 5. Report. */
  printf("model: %s (hidden %lld, layers %lld, vocab %lld)\n",
         bert_model_name(m), (long long)hidden,
         (long long)bert_model_num_layers(m), (long long)vocab);
  printf("input_ids:");
  for (i = 0; i < seq; ++i)
    printf(" %ld", (long)ids[i]);
  printf("\npooler_output: [1, %lld] first values:", (long long)hidden);
  for (i = 0; i < hidden && i < 8; ++i)
    printf(" %.6f", pooled[i]);
  printf("\nlatency: %.3f ms (one run, batch 1, seq %lld)\n", ms,
         (long long)seq);
  rc = 0;

done:
  /* 6. Free: our buffers, then the model (NULL-safe). */
  free(ids);
  free(hidden_states);
  free(pooled);
  bert_model_free(m);
  return rc;
}
