/* The asynchronous device run of a CUDA library (bert_run_device_async) on
 * the mock driver ($BERT_LIBCUDA, test/Cuda): device buffers from the
 * driver, inputs copied in, the run queued, the stream synchronized, the
 * outputs copied back, and compared with bert_run_named's on the same
 * inputs (the same mock computes both, so bit for bit). Then the refusals.
 * Then the device state's lifetime: a second model from the same library
 * shares it, keeps it past the first one's bert_model_free and still runs,
 * and frees it with its own (the mock says what is live).
 * Used by test/E2E/cuda-mock.test with a library linked statically.
 *
 *   cuda_async model.safetensors
 */
#include "bert_runtime.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*get_proc_fn)(const char *, void **, int, uint64_t, int *);
static int (*mem_alloc)(uint64_t *, size_t);
static int (*htod)(uint64_t, const void *, size_t, void *);
static int (*dtoh)(void *, uint64_t, size_t, void *);
static int (*mem_free)(uint64_t);

static void *resolve(get_proc_fn get, const char *name) {
  void *p = NULL;
  if (get(name, &p, 12000, 0, NULL) != 0 || !p) {
    fprintf(stderr, "cuda_async: the driver has no %s\n", name);
    exit(1);
  }
  return p;
}

static uint64_t device_copy(const void *host, size_t bytes) {
  uint64_t d = 0;
  if (mem_alloc(&d, bytes) != 0 || (host && htod(d, host, bytes, NULL) != 0)) {
    fprintf(stderr, "cuda_async: device allocation failed\n");
    exit(1);
  }
  return d;
}

int main(int argc, char **argv) {
  enum { B = 2, S = 8, MAXIO = 8 };
  bert_status st;
  bert_model_t *m;
  void *lib;
  get_proc_fn get;
  int32_t ids[B * S], types[B * S], mask[B * S];
  const void *host_in[MAXIO] = {0}, *dev_in[MAXIO] = {0};
  void *dev_out[MAXIO] = {0};
  bert_buffer in_bufs[MAXIO], out_bufs[MAXIO];
  float *host_out[MAXIO] = {0}, *async_out[MAXIO] = {0};
  size_t out_bytes[MAXIO], ws;
  void *workspace;
  const char *(*mock_live)(void);
  const void *ids_dev;
  bert_model_t *m2;
  int i, n_in, n_out, same = 1, same2 = 1;
  /* Unbuffered: the mock's summary, printed at exit, comes last. */
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc != 2 || !getenv("BERT_LIBCUDA")) {
    fprintf(stderr, "usage: BERT_LIBCUDA=mock cuda_async model.safetensors\n");
    return 2;
  }
  lib = dlopen(getenv("BERT_LIBCUDA"), RTLD_NOW | RTLD_LOCAL);
  get = lib ? (get_proc_fn)dlsym(lib, "cuGetProcAddress_v2") : NULL;
  if (!get) {
    fprintf(stderr, "cuda_async: cannot load %s\n", getenv("BERT_LIBCUDA"));
    return 1;
  }
  *(void **)&mem_alloc = resolve(get, "cuMemAlloc");
  *(void **)&htod = resolve(get, "cuMemcpyHtoDAsync");
  *(void **)&dtoh = resolve(get, "cuMemcpyDtoHAsync");
  *(void **)&mem_free = resolve(get, "cuMemFree");
  *(void **)&mock_live = dlsym(lib, "bert_mock_cuda_live");
  if (!mock_live) {
    fprintf(stderr, "cuda_async: %s is not the mock driver\n",
            getenv("BERT_LIBCUDA"));
    return 1;
  }
  m = bert_model_load(argv[1], &st);
  if (!m) {
    fprintf(stderr, "cuda_async: %s\n", st.message);
    return 1;
  }
  for (i = 0; i < B * S; ++i) {
    ids[i] = (i * 37 + 11) % 500 + 1;
    types[i] = i % 2;
    mask[i] = i < S + 5 ? 1 : 0; /* row 1 has 5 real tokens */
  }
  n_in = bert_model_num_inputs(m);
  n_out = bert_model_num_outputs(m);
  for (i = 0; i < n_in; ++i) {
    bert_tensor_info info;
    bert_model_input_info(m, i, &info, NULL);
    host_in[i] = !strcmp(info.name, "input_ids")        ? ids
                 : !strcmp(info.name, "attention_mask") ? mask
                                                        : types;
    in_bufs[i].name = info.name;
    in_bufs[i].data = (void *)host_in[i];
    dev_in[i] = (const void *)(uintptr_t)device_copy(host_in[i], sizeof ids);
  }
  for (i = 0; i < n_out; ++i) {
    bert_tensor_info info;
    bert_model_output_info(m, i, &info, NULL);
    out_bytes[i] = (size_t)bert_tensor_numel(&info, B, S) * 4;
    host_out[i] = malloc(out_bytes[i]);
    async_out[i] = malloc(out_bytes[i]);
    out_bufs[i].name = info.name;
    out_bufs[i].data = host_out[i];
    dev_out[i] = (void *)(uintptr_t)device_copy(NULL, out_bytes[i]);
  }
  if (bert_run_named(m, B, S, in_bufs, n_in, out_bufs, n_out, &st) != BERT_OK) {
    fprintf(stderr, "cuda_async: bert_run_named: %s\n", st.message);
    return 1;
  }
  ws = bert_model_device_workspace_bytes(m, B, S);
  workspace = (void *)(uintptr_t)device_copy(NULL, ws);
  if (bert_run_device_async(m, NULL, dev_in, B, S, dev_out, workspace, ws,
                            &st) != BERT_OK ||
      bert_stream_synchronize(m, NULL, &st) != BERT_OK) {
    fprintf(stderr, "cuda_async: %s\n", st.message);
    return 1;
  }
  for (i = 0; i < n_out; ++i) {
    dtoh(async_out[i], (uint64_t)(uintptr_t)dev_out[i], out_bytes[i], NULL);
    same = same && !memcmp(async_out[i], host_out[i], out_bytes[i]);
  }
  printf("async: %d outputs %s bert_run_named's\n", n_out,
         same ? "identical to" : "DIFFER from");

  /* Refusals: a short workspace, a missing input. */
  bert_run_device_async(m, NULL, dev_in, B, S, dev_out, workspace, ws - 1, &st);
  printf("short workspace: %s: %s\n", bert_status_string(st.code), st.message);
  ids_dev = dev_in[0];
  dev_in[0] = NULL;
  bert_run_device_async(m, NULL, dev_in, B, S, dev_out, workspace, ws, &st);
  printf("missing input: %s: %s\n", bert_status_string(st.code), st.message);
  dev_in[0] = ids_dev;
  mem_free((uint64_t)(uintptr_t)workspace);
  for (i = 0; i < n_in; ++i)
    mem_free((uint64_t)(uintptr_t)dev_in[i]);
  for (i = 0; i < n_out; ++i) {
    mem_free((uint64_t)(uintptr_t)dev_out[i]);
    out_bufs[i].data = async_out[i];
  }

  /* A second model from the same library: its own weights, so run()
   * uploads them; freeing the first keeps the device state for it. */
  m2 = bert_model_load(argv[1], &st);
  if (!m2 || bert_run_named(m2, B, S, in_bufs, n_in, out_bufs, n_out, &st) !=
                 BERT_OK) {
    fprintf(stderr, "cuda_async: second model: %s\n", st.message);
    return 1;
  }
  bert_model_free(m);
  printf("first of two models freed: %s\n", mock_live());
  if (bert_run_named(m2, B, S, in_bufs, n_in, out_bufs, n_out, &st) !=
      BERT_OK) {
    fprintf(stderr, "cuda_async: second model after the first: %s\n",
            st.message);
    return 1;
  }
  for (i = 0; i < n_out; ++i)
    same2 = same2 && !memcmp(async_out[i], host_out[i], out_bytes[i]);
  printf("second model: %d outputs %s the first's\n", n_out,
         same2 ? "identical to" : "DIFFER from");
  bert_model_free(m2);
  printf("both freed: %s\n", mock_live());
  for (i = 0; i < n_out; ++i) {
    free(host_out[i]);
    free(async_out[i]);
  }
  return same && same2 ? 0 : 1;
}
