/*===- memory_probe.c - Peak memory of one bert_run (bench/memory.py) -----===*\
|*                                                                            *|
|*   memory_probe model.safetensors BATCH SEQ                                 *|
|*                                                                            *|
|* Loads the weights into the model library it is linked with, runs one      *|
|* bert_run(BATCH, SEQ) (all ids 1000 % vocab, no mask) and prints one JSON   *|
|* line: the model's own numbers (arena bytes, bytes copied at load, I/O      *|
|* buffers) and the process's memory from /proc/self/status after the load   *|
|* and after the run (VmHWM is the peak RSS; RssAnon/RssFile split it into    *|
|* heap copies and mapped file pages).                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a "Name:   123 kB" field of /proc/self/status (kB; -1 if absent). */
static long status_kb(const char *field) {
  char line[256];
  size_t n = strlen(field);
  long kb = -1;
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  while (fgets(line, sizeof(line), f))
    if (strncmp(line, field, n) == 0 && line[n] == ':') {
      kb = strtol(line + n + 1, NULL, 10);
      break;
    }
  fclose(f);
  return kb;
}

int main(int argc, char **argv) {
  bert_status st;
  bert_model_t *m;
  int64_t batch, seq, hidden, i;
  int32_t *ids;
  float *hidden_states, *pooled;
  long load_hwm, load_anon, load_file;
  size_t io;
  if (argc != 4) {
    fprintf(stderr, "usage: memory_probe model.safetensors BATCH SEQ\n");
    return 1;
  }
  batch = atoll(argv[2]);
  seq = atoll(argv[3]);
  m = bert_model_load(argv[1], &st);
  if (!m) {
    fprintf(stderr, "memory_probe: error: %s\n", st.message);
    return 1;
  }
  load_hwm = status_kb("VmHWM");
  load_anon = status_kb("RssAnon");
  load_file = status_kb("RssFile");
  hidden = bert_model_hidden_size(m);
  io = (size_t)(batch * seq) * (sizeof(int32_t) + (size_t)hidden * 4) +
       (size_t)(batch * hidden) * 4;
  ids = malloc((size_t)(batch * seq) * sizeof(int32_t));
  hidden_states = malloc((size_t)(batch * seq * hidden) * sizeof(float));
  pooled = malloc((size_t)(batch * hidden) * sizeof(float));
  if (!ids || !hidden_states || !pooled) {
    fprintf(stderr, "memory_probe: error: out of memory\n");
    return 1;
  }
  for (i = 0; i < batch * seq; ++i)
    ids[i] = (int32_t)((1000 + i) % bert_model_vocab_size(m));
  if (bert_run(m, ids, NULL, NULL, batch, seq, hidden_states, pooled, &st) !=
      BERT_OK) {
    fprintf(stderr, "memory_probe: error: %s\n", st.message);
    return 1;
  }
  printf("{\"model\": \"%s\", \"batch\": %lld, \"seq\": %lld, "
         "\"arena_bytes\": %zu, \"copied_bytes\": %zu, \"io_bytes\": %zu, "
         "\"load_hwm_kb\": %ld, \"load_rss_anon_kb\": %ld, "
         "\"load_rss_file_kb\": %ld, \"hwm_kb\": %ld, \"rss_kb\": %ld, "
         "\"rss_anon_kb\": %ld, \"rss_file_kb\": %ld}\n",
         bert_model_name(m), (long long)batch, (long long)seq,
         bert_model_arena_bytes(m, batch, seq), bert_model_copied_bytes(m), io,
         load_hwm, load_anon, load_file, status_kb("VmHWM"), status_kb("VmRSS"),
         status_kb("RssAnon"), status_kb("RssFile"));
  free(ids);
  free(hidden_states);
  free(pooled);
  bert_model_free(m);
  return 0;
}
