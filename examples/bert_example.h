/*===- bert_example.h - What run_bert.c and run_bert_dlopen.c both do -----===*\
|*                                                                            *|
|* Loads weights into a model library compiled by bertc, runs the encoder on  *|
|* one sequence and prints the first values of pooler_output and the latency  *|
|* of one run. The C API comes as a table of the function-pointer types that  *|
|* bert_runtime.h declares, so that one body serves the example linked with   *|
|* the library (run_bert.c: the table holds the functions themselves) and the *|
|* one that opens it with dlopen() (run_bert_dlopen.c: dlsym() fills it).     *|
|* It includes bert_runtime.h only, never the generated <model>.h, and asks   *|
|* the library for every size it needs, so it works with any compiled model.  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_EXAMPLE_H
#define BERT_EXAMPLE_H

#include "bert_runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The part of the C API the examples use. */
typedef struct {
  bert_model_load_fn model_load;
  bert_model_free_fn model_free;
  bert_run_fn run;
  bert_model_query_fn hidden_size, num_layers, vocab_size, max_seq;
  bert_model_name_fn model_name;
} bert_example_api;

/* "[CLS] hello , world ! [SEP]" in the bert-base-uncased vocabulary. */
static const int32_t default_ids[] = {101, 7592, 1010, 2088, 999, 102};
enum { NUM_DEFAULT_IDS = sizeof(default_ids) / sizeof(default_ids[0]) };

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Runs the model in `weights` on the token ids given as nargs strings (the
 * default ids when there are none). Every failure prints
 * "<prog>: error: <what>"; returns the exit status, 0 or 1. */
static int bert_example_run(const char *prog, const bert_example_api *api,
                            const char *weights, int nargs, char **args) {
  bert_status st;
  bert_model_t *m = NULL;
  int32_t *ids = NULL;
  float *hidden_states = NULL, *pooled = NULL;
  int64_t seq, hidden, vocab, i;
  double t0, ms = 0;
  int rc = 1;

  /* 1. Load the weights. The model owns them until model_free(). */
  m = api->model_load(weights, &st);
  if (!m) {
    fprintf(stderr, "%s: error: %s\n", prog, st.message); /* names the file */
    return 1;
  }

  /* 2. Ask the library what it was compiled for. */
  hidden = api->hidden_size(m);
  vocab = api->vocab_size(m);
  seq = nargs > 0 ? nargs : NUM_DEFAULT_IDS;
  if (seq > api->max_seq(m)) {
    fprintf(stderr,
            "%s: error: %lld ids, but the model was compiled for at most "
            "%lld\n",
            prog, (long long)seq, (long long)api->max_seq(m));
    goto done;
  }

  /* 3. The input: one sequence of token ids, each in [0, vocab). The default
   *    ids are folded into a smaller vocabulary; given ones must fit. */
  ids = malloc((size_t)seq * sizeof(*ids));
  hidden_states = malloc((size_t)(seq * hidden) * sizeof(float));
  pooled = malloc((size_t)hidden * sizeof(float));
  if (!ids || !hidden_states || !pooled) {
    fprintf(stderr, "%s: error: out of memory\n", prog);
    goto done;
  }
  for (i = 0; i < seq; ++i) {
    long long v;
    char *end;
    if (nargs == 0) {
      ids[i] = (int32_t)(default_ids[i] % vocab);
      continue;
    }
    errno = 0;
    v = strtoll(args[i], &end, 10);
    if (end == args[i] || *end || errno || v < 0 || v >= vocab) {
      fprintf(stderr, "%s: error: token id '%s' is not in [0, %lld)\n", prog,
              args[i], (long long)vocab);
      goto done;
    }
    ids[i] = (int32_t)v;
  }

  /* 4. Run: batch 1, no token types (all 0), no mask (attend everywhere).
   *    The first call also starts the kernels' thread pool, so time the
   *    second one. */
  for (i = 0; i < 2; ++i) {
    t0 = now_ms();
    if (api->run(m, ids, NULL, NULL, 1, seq, hidden_states, pooled, &st) !=
        BERT_OK) {
      fprintf(stderr, "%s: error: %s\n", prog, st.message);
      goto done;
    }
    ms = now_ms() - t0;
  }

  /* 5. Report. */
  printf("model: %s (hidden %lld, layers %lld, vocab %lld)\n",
         api->model_name(m), (long long)hidden, (long long)api->num_layers(m),
         (long long)vocab);
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
  /* 6. Free: our buffers, then the model. */
  free(ids);
  free(hidden_states);
  free(pooled);
  api->model_free(m);
  return rc;
}

#endif /* BERT_EXAMPLE_H */
