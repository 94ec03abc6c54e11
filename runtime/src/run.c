/*===- run.c - Running a model: named buffers, checks, scratch ------------===*\
|*                                                                            *|
|* Both public run calls end in run_model(), which takes one pointer per      *|
|* descriptor input and output (NULL: not given) and does what every run     *|
|* needs: checks the sizes and the caller's input values (the kernels index   *|
|* embedding tables with them, so an unchecked id is an out-of-bounds read),  *|
|* substitutes defaults for inputs not given and scratch for outputs not      *|
|* wanted, picks the packed or padded path and calls the generated code with  *|
|* the arrays in table order. bert_run_named() maps names to table slots;     *|
|* bert_run() maps BertModel's fixed argument list, so every model family     *|
|* shares one checked path.                                                   *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_cuda_driver.h"
#include "model.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The descriptor's io constants are passed on as the public ones. */
typedef char abi_constants_match[(BERT_ABI_INT32 == BERT_DTYPE_INT32 &&
                                  BERT_ABI_FLOAT32 == BERT_DTYPE_FLOAT32 &&
                                  BERT_ABI_DIM_BATCH == BERT_DIM_BATCH &&
                                  BERT_ABI_DIM_SEQ == BERT_DIM_SEQ &&
                                  BERT_ABI_MAX_RANK == BERT_MAX_RANK)
                                     ? 1
                                     : -1];

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

static void tensor_info(const bert_io_spec *s, bert_tensor_info *info) {
  int k;
  memset(info, 0, sizeof(*info));
  info->name = s->name;
  info->dtype = (bert_dtype)s->dtype;
  info->rank = s->rank;
  for (k = 0; k < s->rank && k < BERT_MAX_RANK; ++k)
    info->dims[k] = s->dims[k];
  info->upper_bound = s->upper_bound;
  info->required = s->required;
  info->default_value = s->default_value;
}

static int64_t spec_numel(const bert_io_spec *s, int64_t batch, int64_t seq) {
  bert_tensor_info info;
  tensor_info(s, &info);
  return bert_tensor_numel(&info, batch, seq);
}

static int find_spec(const bert_io_spec *t, int n, const char *name) {
  int i;
  for (i = 0; name && i < n; ++i)
    if (!strcmp(t[i].name, name))
      return i;
  return -1;
}

/* "a, b, c": the names of a table, for messages. */
static const char *list_names(const bert_io_spec *t, int n, char *buf,
                              size_t size) {
  size_t used = 0;
  int i;
  buf[0] = '\0';
  for (i = 0; i < n && used < size; ++i) {
    int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", t[i].name);
    if (w < 0)
      break;
    used += (size_t)w;
  }
  return buf;
}

/* Checks that every value of a [batch, seq] input lies in [lo, hi). */
static bert_status_code check_ids(const char *what, const int32_t *v,
                                  int64_t batch, int64_t seq, int64_t lo,
                                  int64_t hi, bert_status *st) {
  int64_t b, s;
  for (b = 0; b < batch; ++b)
    for (s = 0; s < seq; ++s) {
      int32_t x = v[b * seq + s];
      if (x < lo || x >= hi)
        return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                               "%s[%lld][%lld] = %ld out of range [%lld, %lld)",
                               what, (long long)b, (long long)s, (long)x,
                               (long long)lo, (long long)hi);
    }
  return BERT_OK;
}

/* Whether a run takes the packed (no padding) path; see bert_runtime.h.
 * $BERT_PACKING: "auto" (default), "always" / "packed", "never" / "padded".
 * A batch with a fully masked row always takes the padded path: HF gives
 * such a row a uniform average over all its (padding) keys, which only the
 * padded computation reproduces. */
static int use_packed(const bert_model_desc *d, const int32_t *mask,
                      int64_t batch, int64_t seq) {
  const char *env = getenv("BERT_PACKING");
  int64_t b, s, tokens = 0;
  int always = 0;
  if (!d->run_packed || !mask)
    return 0;
  if (env &&
      (!strcmp(env, "never") || !strcmp(env, "padded") || !strcmp(env, "0")))
    return 0;
  always = env && (!strcmp(env, "always") || !strcmp(env, "packed") ||
                   !strcmp(env, "1"));
  for (b = 0; b < batch; ++b) {
    int64_t ones = 0;
    for (s = 0; s < seq; ++s)
      ones += mask[b * seq + s];
    if (ones == 0)
      return 0;
    /* Position 0 is computed even when it is padding (the pooler reads
     * it), unless the library packs real tokens only (XLNet). */
    tokens += ones + (!d->packs_real_tokens && mask[b * seq] == 0);
  }
  /* Packing pays off only when it skips a good share of the rows. */
  return always || tokens * 10 <= batch * seq * 9;
}

/* The common run: `in` and `out` hold one pointer per descriptor input and
 * output, NULL where the caller gave none. `fn` names the API call in
 * messages. */
/* A call's batch or seq against the compiled maximum. */
static bert_status_code check_size(const char *fn, const char *what,
                                   int64_t value, int64_t max,
                                   const char *model, bert_status *st) {
  if (value >= 1 && value <= max)
    return BERT_OK;
  return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                         "%s: %s %lld out of range [1, %lld] (model '%s' was "
                         "compiled with max %s %lld)",
                         fn, what, (long long)value, (long long)max, model,
                         what, (long long)max);
}

static bert_status_code run_model(bert_model_t *m, const char *fn,
                                  int64_t batch, int64_t seq,
                                  const void *in[BERT_MAX_IO],
                                  void *out[BERT_MAX_IO], bert_status *st) {
  const bert_model_desc *d = m->desc;
  const int32_t *mask = NULL;
  size_t need, bytes = 0, scratch;
  void *arena;
  int i, rc, profiling;
  bert_profile_run run;
  bert_status_code bad =
      check_size(fn, "batch", batch, d->max_batch, d->model_name, st);
  if (bad == BERT_OK)
    bad = check_size(fn, "seq", seq, d->max_seq, d->model_name, st);
  if (bad != BERT_OK)
    return bad;
  for (i = 0; i < d->num_inputs; ++i) {
    const bert_io_spec *s = &d->inputs[i];
    if (!in[i]) {
      if (s->required)
        return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                               "%s: input '%s' is required", fn, s->name);
      /* check_desc allows only the defaults 0 and 1. */
      in[i] = s->default_value ? m->ones : m->zeros;
      continue;
    }
    if (s->upper_bound > 0 &&
        check_ids(s->name, in[i], batch, seq, 0, s->upper_bound, st))
      return st ? st->code : BERT_ERR_BAD_ARGUMENT;
    /* Only a mask the caller gave can have padding to skip. */
    if (!strcmp(s->name, "attention_mask"))
      mask = in[i];
  }

  /* The generated code writes every output; those the caller does not want
   * go to scratch behind the activations, each 64-byte aligned. */
  need = round_up(d->arena_bytes(batch, seq), BERT_BUFFER_ALIGNMENT);
  scratch = need;
  for (i = 0; i < d->num_outputs; ++i)
    if (!out[i])
      need += round_up((size_t)spec_numel(&d->outputs[i], batch, seq) * 4,
                       BERT_BUFFER_ALIGNMENT);
  arena = bert_arena_acquire(m, need, &bytes);
  if (!arena)
    return bert_status_set(st, BERT_ERR_OUT_OF_MEMORY,
                           "%s: cannot allocate a %zu-byte arena", fn, need);
  for (i = 0; i < d->num_outputs; ++i)
    if (!out[i]) {
      out[i] = (char *)arena + scratch;
      scratch += round_up((size_t)spec_numel(&d->outputs[i], batch, seq) * 4,
                          BERT_BUFFER_ALIGNMENT);
    }
  /* Read once, under the lock that bert_model_set_profiling writes it
   * under: a toggle from another thread mid-run must not leave this
   * thread's marks pointing at `run` after this frame is gone. */
  pthread_mutex_lock(&m->pool_lock);
  profiling = m->profiling;
  pthread_mutex_unlock(&m->pool_lock);
  if (profiling && bert_profile_init(&run.totals, d->num_calls) != 0) {
    bert_arena_release(m, arena, bytes);
    return bert_status_set(st, BERT_ERR_OUT_OF_MEMORY,
                           "%s: cannot allocate the profile record", fn);
  }
  if (profiling)
    bert_profile_begin(&run);
  rc = (use_packed(d, mask, batch, seq) ? d->run_packed : d->run)(
      m->weights, arena, in, batch, seq, out);
  if (profiling) {
    bert_profile_end(&run);
    pthread_mutex_lock(&m->pool_lock);
    /* Runs that began before profiling was switched off are dropped; the
     * totals may have been cleared by a re-enable meanwhile, which only
     * loses this run. */
    if (rc == 0 && m->profiling)
      bert_profile_add(&m->profile, &run.totals);
    pthread_mutex_unlock(&m->pool_lock);
    bert_profile_free(&run.totals);
  }
  bert_arena_release(m, arena, bytes);
  if (rc != 0)
    return bert_status_set(st, BERT_ERR_KERNEL,
                           "%s: model '%s': kernel failed with error %d", fn,
                           d->model_name, rc);
  return bert_status_ok(st);
}

/* Puts the caller's named buffers of one kind into their table slots. */
static bert_status_code bind_named(const bert_model_desc *d, const char *kind,
                                   const bert_io_spec *t, int n,
                                   const bert_buffer *bufs, int count,
                                   void **slots, bert_status *st) {
  char names[256];
  int i, k;
  if (count < 0 || (count > 0 && !bufs))
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                           "bert_run_named: %d %ss at %p", count, kind,
                           (const void *)bufs);
  for (i = 0; i < count; ++i) {
    if (!bufs[i].name)
      return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                             "bert_run_named: %s %d has a NULL name", kind, i);
    k = find_spec(t, n, bufs[i].name);
    if (k < 0)
      return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                             "bert_run_named: model '%s' has no %s '%s' "
                             "(its %ss: %s)",
                             d->model_name, kind, bufs[i].name, kind,
                             list_names(t, n, names, sizeof(names)));
    if (slots[k])
      return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                             "bert_run_named: %s '%s' given twice", kind,
                             bufs[i].name);
    if (!bufs[i].data)
      return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                             "bert_run_named: %s '%s' has NULL data", kind,
                             bufs[i].name);
    slots[k] = bufs[i].data;
  }
  return BERT_OK;
}

bert_status_code bert_run_named(bert_model_t *m, int64_t batch, int64_t seq,
                                const bert_buffer *inputs, int num_inputs,
                                const bert_buffer *outputs, int num_outputs,
                                bert_status *st) {
  const void *in[BERT_MAX_IO] = {0};
  void *given[BERT_MAX_IO] = {0}, *out[BERT_MAX_IO] = {0};
  int i;
  if (!m)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                           "bert_run_named: model is NULL");
  if (bind_named(m->desc, "input", m->desc->inputs, m->desc->num_inputs, inputs,
                 num_inputs, given, st) ||
      bind_named(m->desc, "output", m->desc->outputs, m->desc->num_outputs,
                 outputs, num_outputs, out, st))
    return st ? st->code : BERT_ERR_BAD_ARGUMENT;
  for (i = 0; i < m->desc->num_inputs; ++i)
    in[i] = given[i];
  return run_model(m, "bert_run_named", batch, seq, in, out, st);
}

/* bert_run's optional buffer `name` (an input, or pooler_output) into its
 * table slot; non-NULL for a model without it is an error, since the
 * caller expects it to be used or written. */
static bert_status_code bind_optional(const bert_model_desc *d,
                                      const char *name, const void *data,
                                      void **slots, bert_status *st) {
  int out = !strcmp(name, "pooler_output");
  int k = out ? find_spec(d->outputs, d->num_outputs, name)
              : find_spec(d->inputs, d->num_inputs, name);
  if (!data)
    return BERT_OK;
  if (k < 0)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                           "bert_run: model '%s' has no %s%s; pass NULL",
                           d->model_name, name,
                           out ? " (no pooler weights)" : " input");
  slots[k] = (void *)(uintptr_t)data; /* an input: read only */
  return BERT_OK;
}

bert_status_code bert_run(bert_model_t *m, const int32_t *input_ids,
                          const int32_t *token_type_ids,
                          const int32_t *attention_mask, int64_t batch,
                          int64_t seq, float *last_hidden_state,
                          float *pooler_output, bert_status *st) {
  const void *in[BERT_MAX_IO] = {0};
  void *given[BERT_MAX_IO] = {0}, *out[BERT_MAX_IO] = {0};
  const bert_model_desc *d;
  char names[256];
  int k;
  if (!m || !input_ids || !last_hidden_state)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT, "bert_run: %s is NULL",
                           !m           ? "model"
                           : !input_ids ? "input_ids"
                                        : "last_hidden_state");
  d = m->desc;
  k = find_spec(d->outputs, d->num_outputs, "last_hidden_state");
  if (k < 0)
    return bert_status_set(
        st, BERT_ERR_BAD_ARGUMENT,
        "bert_run: model '%s' has no last_hidden_state "
        "output (its outputs: %s); use bert_run_named",
        d->model_name,
        list_names(d->outputs, d->num_outputs, names, sizeof(names)));
  out[k] = last_hidden_state;
  if (bind_optional(d, "pooler_output", pooler_output, out, st) ||
      bind_optional(d, "token_type_ids", token_type_ids, given, st) ||
      bind_optional(d, "attention_mask", attention_mask, given, st))
    return st ? st->code : BERT_ERR_BAD_ARGUMENT;
  for (k = 0; k < d->num_inputs; ++k)
    in[k] = given[k];
  in[find_spec(d->inputs, d->num_inputs, "input_ids")] = input_ids;
  return run_model(m, "bert_run", batch, seq, in, out, st);
}

int bert_model_num_inputs(const bert_model_t *m) { return m->desc->num_inputs; }
int bert_model_num_outputs(const bert_model_t *m) {
  return m->desc->num_outputs;
}

static bert_status_code io_info(const bert_io_spec *t, int n, const char *fn,
                                int index, bert_tensor_info *info,
                                bert_status *st) {
  if (index < 0 || index >= n || !info)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                           "%s: %s (the model has %d)", fn,
                           info ? "index out of range" : "info is NULL", n);
  tensor_info(&t[index], info);
  return bert_status_ok(st);
}

bert_status_code bert_model_input_info(const bert_model_t *m, int index,
                                       bert_tensor_info *info,
                                       bert_status *st) {
  return io_info(m->desc->inputs, m->desc->num_inputs, "bert_model_input_info",
                 index, info, st);
}

bert_status_code bert_model_output_info(const bert_model_t *m, int index,
                                        bert_tensor_info *info,
                                        bert_status *st) {
  return io_info(m->desc->outputs, m->desc->num_outputs,
                 "bert_model_output_info", index, info, st);
}

int bert_model_find_input(const bert_model_t *m, const char *name) {
  return find_spec(m->desc->inputs, m->desc->num_inputs, name);
}

int bert_model_find_output(const bert_model_t *m, const char *name) {
  return find_spec(m->desc->outputs, m->desc->num_outputs, name);
}

int64_t bert_tensor_numel(const bert_tensor_info *info, int64_t batch,
                          int64_t seq) {
  int64_t n = 1;
  int k;
  for (k = 0; info && k < info->rank; ++k)
    n *= info->dims[k] == BERT_DIM_BATCH ? batch
         : info->dims[k] == BERT_DIM_SEQ ? seq
                                         : info->dims[k];
  return info ? n : 0;
}

/* The CUDA library's run on device pointers (bert_runtime.h). */
static const char *cuda_error(int rc) {
  const bert_cuda_driver *cu = bert_cuda_driver_get(NULL, 0);
  const char *text = NULL;
  if (!cu || cu->cuGetErrorString(rc, &text) != 0 || !text)
    return "unknown error";
  return text;
}

size_t bert_model_device_workspace_bytes(const bert_model_t *m, int64_t batch,
                                         int64_t seq) {
  if (!m || !m->desc->device_workspace_bytes)
    return 0;
  return m->desc->device_workspace_bytes(batch, seq);
}

bert_status_code bert_run_device_async(bert_model_t *m, void *stream,
                                       const void *const *inputs, int64_t batch,
                                       int64_t seq, void *const *outputs,
                                       void *workspace, size_t workspace_bytes,
                                       bert_status *st) {
  const char *fn = "bert_run_device_async";
  const bert_model_desc *d;
  size_t need;
  int i, rc;
  if (!m)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT, "%s: NULL model", fn);
  d = m->desc;
  if (d->device != BERT_ABI_DEVICE_CUDA || !d->run_device)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                           "%s: model '%s' is not a CUDA library (bertc "
                           "--target cuda); use bert_run_named",
                           fn, d->model_name);
  if (check_size(fn, "batch", batch, d->max_batch, d->model_name, st) ||
      check_size(fn, "seq", seq, d->max_seq, d->model_name, st))
    return st ? st->code : BERT_ERR_BAD_ARGUMENT;
  if (!inputs || !outputs || !workspace)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT, "%s: NULL %s", fn,
                           !inputs    ? "inputs"
                           : !outputs ? "outputs"
                                      : "workspace");
  for (i = 0; i < d->num_inputs; ++i)
    if (!inputs[i])
      return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                             "%s: input '%s' is NULL (the device run takes "
                             "every input)",
                             fn, d->inputs[i].name);
  for (i = 0; i < d->num_outputs; ++i)
    if (!outputs[i])
      return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                             "%s: output '%s' is NULL", fn, d->outputs[i].name);
  need = d->device_workspace_bytes(batch, seq);
  if (workspace_bytes < need)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                           "%s: a workspace of %zu bytes, model '%s' needs "
                           "%zu at batch %lld, seq %lld",
                           fn, workspace_bytes, d->model_name, need,
                           (long long)batch, (long long)seq);
  rc =
      d->run_device(m->weights, stream, inputs, batch, seq, outputs, workspace);
  if (rc != 0)
    return bert_status_set(st, BERT_ERR_KERNEL,
                           "%s: model '%s': CUDA error %d (%s)", fn,
                           d->model_name, rc, cuda_error(rc));
  return bert_status_ok(st);
}

bert_status_code bert_stream_synchronize(bert_model_t *m, void *stream,
                                         bert_status *st) {
  const bert_cuda_driver *cu = bert_cuda_driver_get(NULL, 0);
  int rc;
  if (!m || m->desc->device != BERT_ABI_DEVICE_CUDA || !cu)
    return bert_status_set(st, BERT_ERR_BAD_ARGUMENT,
                           "bert_stream_synchronize: not a CUDA model");
  rc = cu->cuStreamSynchronize(stream);
  if (rc != 0)
    return bert_status_set(st, BERT_ERR_KERNEL,
                           "bert_stream_synchronize: model '%s': a kernel "
                           "failed: CUDA error %d (%s)",
                           m->desc->model_name, rc, cuda_error(rc));
  return bert_status_ok(st);
}
