/*===- profile.h - Per-kernel profile of bert_run -------------------------===*\
|*                                                                            *|
|* The generated run() calls bert_profile_mark(call, flops) after each kernel *|
|* call. Outside a profiled bert_run that is one thread-local load and a      *|
|* return. Inside one, the mark charges the time since the previous mark (or  *|
|* since the run began) to `call`, in a record private to the calling thread, *|
|* so concurrent runs never share one; bert_run then adds the record to the   *|
|* model's totals under a lock.                                               *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUNTIME_PROFILE_H
#define BERT_RUNTIME_PROFILE_H

#include "bert_model_abi.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Seconds and flops per kernel call, summed over runs. */
typedef struct {
  int num_calls;
  double *seconds; /* [num_calls] */
  double *flops;   /* [num_calls] */
  int64_t runs;
  double run_seconds; /* wall time of the whole profiled runs */
} bert_profile;

/* One run's record (the calling thread's). */
typedef struct {
  bert_profile totals; /* this run only; runs = 1 */
  double start, last;
} bert_profile_run;

/* Allocates zeroed arrays for `num_calls` calls; 0, or -1 out of memory. */
int bert_profile_init(bert_profile *p, int num_calls);
void bert_profile_free(bert_profile *p);
void bert_profile_clear(bert_profile *p);

/* Starts recording the calling thread's marks into `r` (initialized with
 * bert_profile_init on r->totals); bert_profile_end stops and stamps the
 * run's wall time. */
void bert_profile_begin(bert_profile_run *r);
void bert_profile_end(bert_profile_run *r);

/* 1 while the calling thread is between bert_profile_begin and
 * bert_profile_end (its marks go to a run record), else 0. */
int bert_profile_recording(void);

/* totals += one run. Both have the same num_calls. */
void bert_profile_add(bert_profile *totals, const bert_profile *run);

/* The text report of bert_model_profile_report. */
size_t bert_profile_format(const bert_model_desc *d, const bert_profile *p,
                           char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_PROFILE_H */
