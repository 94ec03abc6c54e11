/*===- run_bert_dlopen.c - Pick the model library at run time -------------===*\
|*                                                                            *|
|*   run_bert_dlopen lib<model>.so model.safetensors [id ...]                 *|
|*                                                                            *|
|* run_bert.c, but the model library is opened with dlopen() and the C API    *|
|* looked up with dlsym(), through the function-pointer types that            *|
|* bert_runtime.h declares for this. One binary can then serve any model      *|
|* that bertc compiled; it needs the header only, not the library:            *|
|*                                                                            *|
|*   cc -O2 -I OUT run_bert_dlopen.c -ldl -o run_bert_dlopen                  *|
|*                                                                            *|
|* Every failure prints "run_bert_dlopen: error: <what>" and exits with       *|
|* status 1.                                                                  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c99 */

#include "bert_runtime.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "[CLS] hello , world ! [SEP]" in the bert-base-uncased vocabulary. */
static const int32_t default_ids[] = {101, 7592, 1010, 2088, 999, 102};
enum { NUM_DEFAULT_IDS = sizeof(default_ids) / sizeof(default_ids[0]) };

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* dlsym() returns an object pointer; copying its bytes into a function
 * pointer is the conversion POSIX blesses and ISO C does not object to. */
#define LOOKUP(var, name)                                                      \
  do {                                                                         \
    void *sym_ = dlsym(lib, name);                                             \
    if (!sym_) {                                                               \
      fprintf(stderr,                                                          \
              "run_bert_dlopen: error: %s: not a bertc model library (no "     \
              "symbol '%s')\n",                                                \
              argv[1], name);                                                  \
      goto done;                                                               \
    }                                                                          \
    memcpy(&(var), &sym_, sizeof(var));                                        \
  } while (0)

int main(int argc, char **argv) {
  /* The API, as function pointers filled from the library. */
  bert_model_load_fn model_load;
  bert_model_free_fn model_free = NULL;
  bert_run_fn run;
  bert_model_query_fn hidden_size, num_layers, vocab_size, max_seq;
  bert_model_name_fn model_name;

  char path[4096];
  void *lib = NULL;
  bert_status st;
  bert_model_t *m = NULL;
  int32_t *ids = NULL;
  float *hidden_states = NULL, *pooled = NULL;
  int64_t seq, hidden, vocab, i;
  double t0, ms = 0;
  int rc = 1;

  if (argc < 3) {
    fprintf(
        stderr,
        "usage: run_bert_dlopen lib<model>.so model.safetensors [id ...]\n");
    return 1;
  }

  /* 1. Open the library. dlopen() searches the library path for a bare
   *    name, so make a file name without '/' relative to this directory. */
  snprintf(path, sizeof(path), "%s%s", strchr(argv[1], '/') ? "" : "./",
           argv[1]);
  lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "run_bert_dlopen: error: %s\n", dlerror());
    return 1;
  }
  LOOKUP(model_load, "bert_model_load");
  LOOKUP(model_free, "bert_model_free");
  LOOKUP(run, "bert_run");
  LOOKUP(hidden_size, "bert_model_hidden_size");
  LOOKUP(num_layers, "bert_model_num_layers");
  LOOKUP(vocab_size, "bert_model_vocab_size");
  LOOKUP(max_seq, "bert_model_max_seq");
  LOOKUP(model_name, "bert_model_name");

  /* 2. From here on, run_bert.c with every bert_* call made through a
   *    pointer: load, query, build the input, run, report, free. */
  m = model_load(argv[2], &st);
  if (!m) {
    fprintf(stderr, "run_bert_dlopen: error: %s\n", st.message);
    goto done;
  }
  hidden = hidden_size(m);
  vocab = vocab_size(m);
  seq = argc > 3 ? argc - 3 : NUM_DEFAULT_IDS;
  if (seq > max_seq(m)) {
    fprintf(stderr,
            "run_bert_dlopen: error: %lld ids, but the model was "
            "compiled for at most %lld\n",
            (long long)seq, (long long)max_seq(m));
    goto done;
  }

  ids = malloc((size_t)seq * sizeof(*ids));
  hidden_states = malloc((size_t)(seq * hidden) * sizeof(float));
  pooled = malloc((size_t)hidden * sizeof(float));
  if (!ids || !hidden_states || !pooled) {
    fprintf(stderr, "run_bert_dlopen: error: out of memory\n");
    goto done;
  }
  for (i = 0; i < seq; ++i) {
    long long v;
    char *end;
    if (argc == 3) {
      ids[i] = (int32_t)(default_ids[i] % vocab);
      continue;
    }
    errno = 0;
    v = strtoll(argv[i + 3], &end, 10);
    if (end == argv[i + 3] || *end || errno || v < 0 || v >= vocab) {
      fprintf(stderr,
              "run_bert_dlopen: error: token id '%s' is not in [0, %lld)\n",
              argv[i + 3], (long long)vocab);
      goto done;
    }
    ids[i] = (int32_t)v;
  }

  /* The first call also starts the kernels' thread pool: time the second. */
  for (i = 0; i < 2; ++i) {
    t0 = now_ms();
    if (run(m, ids, NULL, NULL, 1, seq, hidden_states, pooled, &st) !=
        BERT_OK) {
      fprintf(stderr, "run_bert_dlopen: error: %s\n", st.message);
      goto done;
    }
    ms = now_ms() - t0;
  }

  printf("model: %s (hidden %lld, layers %lld, vocab %lld)\n", model_name(m),
         (long long)hidden, (long long)num_layers(m), (long long)vocab);
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
  /* 3. Free our buffers and the model, then close the library: nothing the
   *    library returned may be used after dlclose(). */
  free(ids);
  free(hidden_states);
  free(pooled);
  if (m)
    model_free(m);
  dlclose(lib);
  return rc;
}
