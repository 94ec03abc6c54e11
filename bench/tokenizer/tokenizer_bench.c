/*===- tokenizer_bench.c - berttok throughput -----------------------------===*\
|*                                                                            *|
|*   tokenizer_bench TOKENIZER_JSON CORPUS [--pairs] [--threads N] [--reps R] *|
|*                                                                            *|
|* Encodes every line of CORPUS (pairs split at the first tab) with padding   *|
|* off and the file's truncation, R times: one text at a time on one thread,  *|
|* then as batches of 1024 split over N threads (as tokenizers' encode_batch  *|
|* spreads a batch over its thread pool). Prints one JSON object with the     *|
|* best rate of each, in lines and MB per second. bench/tokenizer.py runs it  *|
|* beside Hugging Face tokenizers on the same file and corpus.                *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_tokenizer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  const bert_tokenizer_t *tok;
  const char **a, **b;
  size_t *an, *bn;
  size_t begin, end;
  int failed;
} job;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *run_batch(void *arg) {
  job *j = arg;
  size_t i, n = j->end - j->begin;
  bert_encoding_t **out = malloc((n + 1) * sizeof(*out));
  if (!out || bert_tokenizer_encode_batch(
                  j->tok, n, j->a + j->begin, j->an + j->begin,
                  j->b ? j->b + j->begin : NULL, j->bn + j->begin, 1, out)) {
    j->failed = 1;
    free(out);
    return NULL;
  }
  for (i = 0; i < n; ++i)
    bert_encoding_destroy(out[i]);
  free(out);
  return NULL;
}

int main(int argc, char **argv) {
  const char *path = NULL, *corpus = NULL;
  int pairs = 0, threads = 1, reps = 3, i, r;
  char err[512], *buf;
  size_t n = 0, cap = 1024, size = 0, k, bytes = 0;
  const char **a, **b;
  size_t *an, *bn;
  FILE *f;
  bert_tokenizer_t *tok;
  double best1 = 1e30, bestb = 1e30;
  for (i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--pairs"))
      pairs = 1;
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
      reps = atoi(argv[++i]);
    else if (!path)
      path = argv[i];
    else
      corpus = argv[i];
  }
  if (!path || !corpus || threads < 1 || reps < 1) {
    fprintf(stderr, "usage: tokenizer_bench TOKENIZER_JSON CORPUS [--pairs] "
                    "[--threads N] [--reps R]\n");
    return 2;
  }
  tok = bert_tokenizer_load(path, err, sizeof(err));
  if (!tok) {
    fprintf(stderr, "tokenizer_bench: %s\n", err);
    return 1;
  }
  bert_tokenizer_disable_padding(tok);
  f = fopen(corpus, "rb");
  if (!f) {
    fprintf(stderr, "tokenizer_bench: cannot open %s\n", corpus);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  size = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc(size + 1);
  if (!buf || fread(buf, 1, size, f) != size)
    return 1;
  fclose(f);
  a = malloc(cap * sizeof(*a));
  b = malloc(cap * sizeof(*b));
  an = malloc(cap * sizeof(*an));
  bn = malloc(cap * sizeof(*bn));
  for (k = 0; k < size;) {
    char *nl = memchr(buf + k, '\n', size - k), *tab;
    size_t len = nl ? (size_t)(nl - (buf + k)) : size - k;
    if (n == cap) {
      cap *= 2;
      a = realloc(a, cap * sizeof(*a));
      b = realloc(b, cap * sizeof(*b));
      an = realloc(an, cap * sizeof(*an));
      bn = realloc(bn, cap * sizeof(*bn));
    }
    a[n] = buf + k;
    an[n] = len;
    b[n] = NULL;
    bn[n] = 0;
    if (pairs && (tab = memchr(buf + k, '\t', len))) {
      an[n] = (size_t)(tab - (buf + k));
      b[n] = tab + 1;
      bn[n] = len - an[n] - 1;
    }
    bytes += len;
    ++n;
    k += len + 1;
  }
  for (r = 0; r < reps; ++r) {
    double t0 = now();
    for (k = 0; k < n; ++k) {
      bert_encoding_t *e;
      if (bert_tokenizer_encode(tok, a[k], an[k], b[k], bn[k], 1, &e)) {
        fprintf(stderr, "tokenizer_bench: line %zu failed\n", k + 1);
        return 1;
      }
      bert_encoding_destroy(e);
    }
    t0 = now() - t0;
    if (t0 < best1)
      best1 = t0;
  }
  for (r = 0; r < reps; ++r) {
    double t0 = now();
    for (k = 0; k < n; k += 1024) {
      size_t end = k + 1024 < n ? k + 1024 : n, per;
      pthread_t th[64];
      job jobs[64];
      int t, nt = threads > 64 ? 64 : threads;
      per = (end - k + (size_t)nt - 1) / (size_t)nt;
      for (t = 0; t < nt; ++t) {
        jobs[t].tok = tok;
        jobs[t].a = a;
        jobs[t].b = pairs ? b : NULL;
        jobs[t].an = an;
        jobs[t].bn = bn;
        jobs[t].begin = k + (size_t)t * per < end ? k + (size_t)t * per : end;
        jobs[t].end = jobs[t].begin + per < end ? jobs[t].begin + per : end;
        jobs[t].failed = 0;
        pthread_create(&th[t], NULL, run_batch, &jobs[t]);
      }
      for (t = 0; t < nt; ++t) {
        pthread_join(th[t], NULL);
        if (jobs[t].failed) {
          fprintf(stderr, "tokenizer_bench: a batch failed\n");
          return 1;
        }
      }
    }
    t0 = now() - t0;
    if (t0 < bestb)
      bestb = t0;
  }
  printf("{\"lines\": %zu, \"bytes\": %zu, \"single_lines_per_s\": %.1f, "
         "\"single_mb_per_s\": %.3f, \"batch_threads\": %d, "
         "\"batch_lines_per_s\": %.1f, \"batch_mb_per_s\": %.3f}\n",
         n, bytes, (double)n / best1, (double)bytes / best1 / 1e6, threads,
         (double)n / bestb, (double)bytes / bestb / 1e6);
  bert_tokenizer_destroy(tok);
  free(buf);
  return 0;
}
