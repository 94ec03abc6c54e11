/*===- soak.c - Many threads, many shapes, one model, for a long time
------===*\
|*                                                                            *|
|*   soak model.safetensors THREADS SECONDS [CASES]                           *|
|*                                                                            *|
|* Issue 19's soak. Builds CASES inputs of varying (batch, seq) with padding, *|
|* runs each once alone (the reference), then has THREADS threads call        *|
|* bert_run on random cases for SECONDS, comparing every result bit for bit   *|
|* with the reference (last_hidden_state and pooler_output). The resident     *|
|* set is sampled every 10 s; after the first minute (arena pool and          *|
|* allocator warm-up) it must stay within 5% + 8 MB of its value then.        *|
|* Prints calls, mismatches and the RSS curve; exits 1 on any mismatch, run   *|
|* error or RSS growth. Links a model's static library (lib<model>.a).        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L
#include "bert_runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int64_t batch, seq;
  int32_t *ids, *types, *mask;
  float *hidden, *pooled; /* reference: the call made alone */
} soak_case;

static bert_model_t *model;
static soak_case *cases;
static int num_cases;
static volatile int stop;
static long long calls, mismatches, errors;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long rss_kb(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f)
    return -1;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
    resident = -1;
  fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* xorshift64*: a private generator per thread, so draws need no lock. */
static uint64_t next_rand(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "soak: error: out of memory\n");
    exit(1);
  }
  return p;
}

static void make_case(soak_case *c, uint64_t *rng) {
  int64_t hidden = bert_model_hidden_size(model), i, b, len;
  int64_t vocab = bert_model_vocab_size(model);
  int64_t types = bert_model_type_vocab_size(model);
  bert_status st;
  c->batch =
      1 + (int64_t)(next_rand(rng) % (uint64_t)bert_model_max_batch(model));
  c->seq = 1 + (int64_t)(next_rand(rng) % (uint64_t)bert_model_max_seq(model));
  c->ids = xmalloc(sizeof(int32_t) * (size_t)(c->batch * c->seq));
  c->types = xmalloc(sizeof(int32_t) * (size_t)(c->batch * c->seq));
  c->mask = xmalloc(sizeof(int32_t) * (size_t)(c->batch * c->seq));
  for (b = 0; b < c->batch; ++b) {
    /* Each row has its own length: padding exercises the packed path. */
    len = 1 + (int64_t)(next_rand(rng) % (uint64_t)c->seq);
    for (i = 0; i < c->seq; ++i) {
      c->ids[b * c->seq + i] = (int32_t)(next_rand(rng) % (uint64_t)vocab);
      c->types[b * c->seq + i] = (int32_t)(next_rand(rng) % (uint64_t)types);
      c->mask[b * c->seq + i] = i < len;
    }
  }
  c->hidden = xmalloc(sizeof(float) * (size_t)(c->batch * c->seq * hidden));
  c->pooled = xmalloc(sizeof(float) * (size_t)(c->batch * hidden));
  if (bert_run(model, c->ids, c->types, c->mask, c->batch, c->seq, c->hidden,
               c->pooled, &st) != BERT_OK) {
    fprintf(stderr, "soak: error: reference run: %s\n", st.message);
    exit(1);
  }
}

static void *worker(void *arg) {
  uint64_t rng = 0x9e3779b97f4a7c15ull * ((uint64_t)(size_t)arg + 1);
  int64_t hidden = bert_model_hidden_size(model);
  int64_t max = bert_model_max_batch(model) * bert_model_max_seq(model);
  float *out = xmalloc(sizeof(float) * (size_t)(max * hidden));
  float *pooled =
      xmalloc(sizeof(float) * (size_t)(bert_model_max_batch(model) * hidden));
  long long my_calls = 0, my_bad = 0, my_errors = 0;
  bert_status st;
  while (!stop) {
    const soak_case *c = &cases[next_rand(&rng) % (uint64_t)num_cases];
    size_t nh = sizeof(float) * (size_t)(c->batch * c->seq * hidden);
    size_t np = sizeof(float) * (size_t)(c->batch * hidden);
    if (bert_run(model, c->ids, c->types, c->mask, c->batch, c->seq, out,
                 pooled, &st) != BERT_OK) {
      if (my_errors++ == 0)
        fprintf(stderr, "soak: error: %s\n", st.message);
    } else if (memcmp(out, c->hidden, nh) != 0 ||
               memcmp(pooled, c->pooled, np) != 0) {
      ++my_bad;
    }
    ++my_calls;
  }
  pthread_mutex_lock(&lock);
  calls += my_calls;
  mismatches += my_bad;
  errors += my_errors;
  pthread_mutex_unlock(&lock);
  free(out);
  free(pooled);
  return NULL;
}

int main(int argc, char **argv) {
  bert_status st;
  int threads, i, ok;
  double seconds, start, next_sample;
  long rss_base = -1, rss, rss_max = 0;
  pthread_t *tids;
  uint64_t rng = 12345;
  if (argc < 4) {
    fprintf(stderr, "usage: soak model.safetensors THREADS SECONDS [CASES]\n");
    return 2;
  }
  threads = atoi(argv[2]);
  seconds = atof(argv[3]);
  num_cases = argc > 4 ? atoi(argv[4]) : 24;
  if (threads < 1 || seconds <= 0 || num_cases < 1) {
    fprintf(stderr, "soak: error: bad THREADS, SECONDS or CASES\n");
    return 2;
  }
  model = bert_model_load(argv[1], &st);
  if (!model) {
    fprintf(stderr, "soak: error: %s\n", st.message);
    return 1;
  }
  cases = xmalloc(sizeof(soak_case) * (size_t)num_cases);
  for (i = 0; i < num_cases; ++i)
    make_case(&cases[i], &rng);
  printf("soak: model %s, %d cases (batch 1-%lld, seq 1-%lld), %d threads, "
         "%.0f s\n",
         bert_model_name(model), num_cases,
         (long long)bert_model_max_batch(model),
         (long long)bert_model_max_seq(model), threads, seconds);
  fflush(stdout);
  tids = xmalloc(sizeof(pthread_t) * (size_t)threads);
  for (i = 0; i < threads; ++i)
    pthread_create(&tids[i], NULL, worker, (void *)(size_t)i);
  start = now();
  next_sample = start + 10;
  while (now() - start < seconds) {
    struct timespec nap = {0, 200000000};
    nanosleep(&nap, NULL);
    if (now() < next_sample)
      continue;
    next_sample += 10;
    rss = rss_kb();
    if (now() - start >= 60 && rss_base < 0)
      rss_base = rss;
    if (rss_base >= 0 && rss > rss_max)
      rss_max = rss;
    printf("soak: t=%4.0f s rss %ld KB\n", now() - start, rss);
    fflush(stdout);
  }
  stop = 1;
  for (i = 0; i < threads; ++i)
    pthread_join(tids[i], NULL);
  rss = rss_kb();
  if (rss_base < 0)
    rss_base = rss_max = rss;
  ok = mismatches == 0 && errors == 0 &&
       rss_max <= rss_base + rss_base / 20 + 8192;
  printf("soak: %lld calls (%.0f/s), %lld mismatches, %lld errors; rss after "
         "1 min %ld KB, max after %ld KB, at end %ld KB: %s\n",
         calls, (double)calls / seconds, mismatches, errors, rss_base, rss_max,
         rss, ok ? "PASS" : "FAIL");
  for (i = 0; i < num_cases; ++i) {
    free(cases[i].ids);
    free(cases[i].types);
    free(cases[i].mask);
    free(cases[i].hidden);
    free(cases[i].pooled);
  }
  free(cases);
  free(tids);
  bert_model_free(model);
  return ok ? 0 : 1;
}
