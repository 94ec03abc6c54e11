/*===- profile.c - Per-kernel profile of bert_run -------------------------===*\
|*                                                                            *|
|* See profile.h. The report aggregates calls by distinct kernel (all twelve  *|
|* layers of bert-base share one FFN kernel, so that is where the time of a   *|
|* schedule shows) and then lists the slowest single calls by op and module   *|
|* name, so a user can find the layer or op a number belongs to.             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__)
#define BERT_THREAD_LOCAL __thread
#else
#define BERT_THREAD_LOCAL _Thread_local
#endif

/* The record of the profiled bert_run on this thread, if any. */
static BERT_THREAD_LOCAL bert_profile_run *current_run;

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void bert_profile_mark(int call, double flops) {
  bert_profile_run *r = current_run;
  double t;
  if (!r)
    return;
  t = now_seconds();
  if (call >= 0 && call < r->totals.num_calls) {
    r->totals.seconds[call] += t - r->last;
    r->totals.flops[call] += flops;
  }
  r->last = t;
}

int bert_profile_init(bert_profile *p, int num_calls) {
  memset(p, 0, sizeof(*p));
  p->num_calls = num_calls > 0 ? num_calls : 0;
  p->seconds = calloc((size_t)p->num_calls + 1, sizeof(double));
  p->flops = calloc((size_t)p->num_calls + 1, sizeof(double));
  if (!p->seconds || !p->flops) {
    bert_profile_free(p);
    return -1;
  }
  return 0;
}

void bert_profile_free(bert_profile *p) {
  free(p->seconds);
  free(p->flops);
  memset(p, 0, sizeof(*p));
}

void bert_profile_clear(bert_profile *p) {
  if (p->seconds)
    memset(p->seconds, 0, (size_t)p->num_calls * sizeof(double));
  if (p->flops)
    memset(p->flops, 0, (size_t)p->num_calls * sizeof(double));
  p->runs = 0;
  p->run_seconds = 0;
}

int bert_profile_recording(void) { return current_run != NULL; }

void bert_profile_begin(bert_profile_run *r) {
  r->start = r->last = now_seconds();
  current_run = r;
}

void bert_profile_end(bert_profile_run *r) {
  current_run = NULL;
  r->totals.runs = 1;
  r->totals.run_seconds = now_seconds() - r->start;
}

void bert_profile_add(bert_profile *totals, const bert_profile *run) {
  int i;
  for (i = 0; i < totals->num_calls && i < run->num_calls; ++i) {
    totals->seconds[i] += run->seconds[i];
    totals->flops[i] += run->flops[i];
  }
  totals->runs += run->runs;
  totals->run_seconds += run->run_seconds;
}

/* snprintf that appends at *len and keeps counting past the end. */
typedef struct {
  char *buf;
  size_t size, len;
} text;

static void put(text *t, const char *fmt, ...) {
  va_list ap;
  int n;
  size_t room = t->len < t->size ? t->size - t->len : 0;
  va_start(ap, fmt);
  n = vsnprintf(room ? t->buf + t->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0)
    t->len += (size_t)n;
}

static void put_row(text *t, double seconds, double flops, double per_run,
                    double run_ms) {
  double ms = 1e3 * seconds / per_run;
  put(t, "%9.3f %6.1f%%", ms, run_ms > 0 ? 100.0 * ms / run_ms : 0.0);
  if (flops > 0 && seconds > 0)
    put(t, " %8.1f", flops / seconds * 1e-9);
  else
    put(t, " %8s", "-");
}

/* Indices 0..n-1 sorted by value[] descending (n is small: a model has at
 * most a few hundred calls). */
static int *order_by(const double *value, int n) {
  int *idx = malloc((size_t)n * sizeof(int) + 1), i, j;
  if (!idx)
    return NULL;
  for (i = 0; i < n; ++i) {
    int v = i;
    for (j = i; j > 0 && value[idx[j - 1]] < value[v]; --j)
      idx[j] = idx[j - 1];
    idx[j] = v;
  }
  return idx;
}

size_t bert_profile_format(const bert_model_desc *d, const bert_profile *p,
                           char *buf, size_t size) {
  text t = {buf, size, 0};
  int nk = d->num_kernels, nc = p->num_calls, i, k, shown;
  double per_run = p->runs > 0 ? (double)p->runs : 1.0, kernel_seconds = 0;
  double run_ms = 1e3 * p->run_seconds / per_run;
  double *ks = calloc((size_t)nk + 1, sizeof(double));
  double *kf = calloc((size_t)nk + 1, sizeof(double));
  int *kc = calloc((size_t)nk + 1, sizeof(int)), *order = NULL;

  if (buf && size)
    buf[0] = '\0';
  put(&t, "profile of '%s': %lld run%s, %.3f ms per run\n", d->model_name,
      (long long)p->runs, p->runs == 1 ? "" : "s", run_ms);
  if (p->runs == 0 || nc == 0 || !d->call_kernel || !ks || !kf || !kc) {
    if (p->runs > 0)
      put(&t, "(this library has no per-kernel profile)\n");
    goto done;
  }
  for (i = 0; i < nc; ++i) {
    k = d->call_kernel[i];
    kernel_seconds += p->seconds[i];
    if (k < 0 || k >= nk)
      continue;
    ks[k] += p->seconds[i];
    kf[k] += p->flops[i];
    ++kc[k];
  }
  put(&t, "%d kernel calls take %.3f ms per run; by kernel, slowest first:\n",
      nc, 1e3 * kernel_seconds / per_run);
  put(&t, "%5s %9s %7s %8s  %s\n", "calls", "ms/run", "share", "GFLOP/s",
      "kernel");
  order = order_by(ks, nk);
  for (i = 0; order && i < nk; ++i) {
    k = order[i];
    put(&t, "%5d ", kc[k]);
    put_row(&t, ks[k], kf[k], per_run, run_ms);
    put(&t, "  %s\n", d->kernel_names ? d->kernel_names[k] : "?");
  }
  free(order);
  order = order_by(p->seconds, nc);
  put(&t, "slowest calls:\n%5s %9s %7s %8s  %s\n", "call", "ms/run", "share",
      "GFLOP/s", "op");
  for (shown = 0; order && shown < nc && shown < 10; ++shown) {
    i = order[shown];
    put(&t, "%5d ", i);
    put_row(&t, p->seconds[i], p->flops[i], per_run, run_ms);
    put(&t, "  %s\n", d->call_names ? d->call_names[i] : "?");
  }
done:
  free(order);
  free(ks);
  free(kf);
  free(kc);
  return t.len;
}
