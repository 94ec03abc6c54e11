/*===- bert_run.c - Run a compiled BERT library from the command line -----===*\
|*                                                                            *|
|*   bert-run <lib.so> <weights.safetensors>                                  *|
|*            (--input-ids a.npy [--token-type-ids b.npy]                     *|
|*             [--attention-mask c.npy] [--langs d.npy] | --ids 101,2023,102 *|
|*             |                                                              *|
|*             --tokenizer tokenizer.json (--text T [--text-pair P] ... |     *|
|*             --texts FILE) [--pooling mean|cls|max [--normalize]]          *|
|*             [--labels FILE] [--json])                                      *|
|*            [--out-dir DIR] [--bench N] [--threads N] [--profile]           *|
|*                                                                            *|
|* Opens the model library with dlopen and drives it only through the public  *|
|* C API (looked up with dlsym), exactly as an application would, so it       *|
|* doubles as a check that a library exports what bert_runtime.h promises.    *|
|* Inputs are int32 or int64 .npy of shape [B, S] (or [S]); outputs are       *|
|* float32 .npy, one per output of the model (<out-dir>/<name>.npy: e.g.     *|
|* last_hidden_state and pooler_output, or a head's logits), run through     *|
|* bert_run_named. Every error is "bert-run: error: <file>: <what>", exit 1. *|
|* Texts become the inputs through berttok (one batch row per --text, or per  *|
|* line of --texts, a tab separating a pair), truncated to the library's      *|
|* maximum sequence length; --pooling adds the sentence embedding of          *|
|* sentence-transformers' Pooling (mean over the attention mask, the first    *|
|* token, or the max), L2-normalized with --normalize. Without --tokenizer,   *|
|* <name>.tokenizer.json beside the library is used, and without --pooling,   *|
|* <name>.pooling.json (both written by `bertc compile MODEL_DIR`; its        *|
|* max_seq_length truncates the texts); --pooling none leaves it out.         *|
|* With texts, a library with a task head also prints what the head says     *|
|* (bert_run_heads.h: top labels, entities, the answer span, the tokens at a  *|
|* mask), labels from <name>.labels.json or --labels; --json prints that as   *|
|* one JSON object per text and nothing else.                                 *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_run_heads.h"
#include "bert_run_text.h"
#include "bert_runtime.h"
#include "file.h"
#include "npy.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void die(const char *file, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "bert-run: error: %s: ", file);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

static void usage(void) {
  fprintf(stderr,
          "usage: bert-run <lib.so> <weights.safetensors>\n"
          "         (--input-ids a.npy [--token-type-ids b.npy]\n"
          "          [--attention-mask c.npy] [--langs d.npy] |\n"
          "          --ids 101,2023,102 |\n"
          "          [--tokenizer tokenizer.json] (--text T [--text-pair P]\n"
          "          ... | --texts FILE) [--pooling mean|cls|max|none\n"
          "          [--normalize]] [--labels FILE] [--json])\n"
          "         [--out-dir DIR] [--bench N] [--threads N] [--profile]\n"
          "  --profile: time every kernel call of the --bench runs (or of\n"
          "             the one run) and print the per-kernel profile\n"
          "  --json: with texts on a task head, one JSON object per text\n");
  exit(1);
}

/* An input of shape [B, S] or [S] as int32; `ref` (may be NULL) is the input
 * whose shape it must match. */
typedef struct {
  const char *path;
  int32_t *data;
  int64_t batch, seq;
} input;

static void load_input(const char *path, input *in, const input *ref) {
  bert_npy_array a;
  char err[256];
  int64_t i;
  if (bert_npy_read(path, &a, err, sizeof(err)))
    die(path, "%s", err);
  if (a.dtype == BERT_NPY_F32)
    die(path, "expected int32 or int64 data, found float32");
  if (a.rank == 1) {
    in->batch = 1;
    in->seq = a.shape[0];
  } else if (a.rank == 2) {
    in->batch = a.shape[0];
    in->seq = a.shape[1];
  } else {
    die(path, "expected shape [batch, seq] or [seq], found rank %d", a.rank);
  }
  if (ref && (in->batch != ref->batch || in->seq != ref->seq))
    die(path, "shape [%lld, %lld] disagrees with %s [%lld, %lld]",
        (long long)in->batch, (long long)in->seq, ref->path,
        (long long)ref->batch, (long long)ref->seq);
  in->path = path;
  in->data = malloc((size_t)(a.numel ? a.numel : 1) * sizeof(int32_t));
  if (!in->data)
    die(path, "out of memory");
  for (i = 0; i < a.numel; ++i) {
    int64_t v = a.dtype == BERT_NPY_I64 ? ((const int64_t *)a.data)[i]
                                        : ((const int32_t *)a.data)[i];
    if (v < INT32_MIN || v > INT32_MAX)
      die(path, "value %lld at flat index %lld does not fit in int32",
          (long long)v, (long long)i);
    in->data[i] = (int32_t)v;
  }
  bert_npy_free(&a);
}

static void parse_ids(const char *list, input *in) {
  const char *p = list;
  int64_t n = 1, i = 0;
  for (; *p; ++p)
    n += *p == ',';
  in->path = "--ids";
  in->batch = 1;
  in->seq = n;
  in->data = malloc((size_t)n * sizeof(int32_t));
  if (!in->data)
    die("--ids", "out of memory");
  for (p = list; i < n; ++i) {
    char *end;
    long v;
    errno = 0;
    v = strtol(p, &end, 10);
    if (end == p || errno || v < 0 || v > INT32_MAX ||
        (*end != ',' && *end != '\0'))
      die("--ids", "bad token id list '%s' (expected e.g. 101,2023,102)", list);
    in->data[i] = (int32_t)v;
    p = end + 1;
  }
}

static void *need_sym(void *lib, const char *lib_path, const char *name) {
  void *f = dlsym(lib, name);
  if (!f)
    die(lib_path, "not a bertc model library (no symbol '%s')", name);
  return f;
}

/* dlsym returns an object pointer; copying its bytes into the function
 * pointer is the conversion POSIX blesses and ISO C does not object to. */
#define LOOKUP(var, name)                                                      \
  do {                                                                         \
    void *sym_ = need_sym(lib, lib_path, name);                                \
    memcpy(&(var), &sym_, sizeof(var));                                        \
  } while (0)

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Texts for --tokenizer: up to the library's maximum batch. */
typedef struct {
  const char *text[64], *pair[64];
  size_t len[64], pair_len[64];
  int n, npairs;
  char *file; /* contents of --texts, which text[] points into */
} texts;

static void add_text(texts *t, const char *s, size_t n) {
  if (t->n == 64)
    die("--text", "more than 64 texts");
  t->text[t->n] = s;
  t->len[t->n] = n;
  t->pair[t->n] = NULL;
  t->pair_len[t->n] = 0;
  ++t->n;
}

static void read_texts(const char *path, texts *t) {
  char err[256];
  size_t n = 0, k;
  if (bert_file_read(path, 0, &t->file, &n, err, sizeof(err)))
    die(path, "%s", err);
  for (k = 0; k < n;) {
    char *line = t->file + k, *nl = memchr(line, '\n', n - k), *tab;
    size_t len = nl ? (size_t)(nl - line) : n - k;
    add_text(t, line, len);
    if ((tab = memchr(line, '\t', len))) {
      t->len[t->n - 1] = (size_t)(tab - line);
      t->pair[t->n - 1] = tab + 1;
      t->pair_len[t->n - 1] = len - t->len[t->n - 1] - 1;
    }
    k += len + 1;
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The model's outputs, each in a buffer of its shape at (batch, seq), as
 * bert_run_named takes them. */
typedef struct {
  int n;
  bert_tensor_info info[16];
  bert_buffer buf[16];
} outputs;

/* The extent of dim k of `t` at (batch, seq). (Not bert_tensor_numel:
 * bert-run links none of the model API, which comes from the library.) */
static int64_t extent(const bert_tensor_info *t, int k, int64_t batch,
                      int64_t seq) {
  return t->dims[k] == BERT_DIM_BATCH ? batch
         : t->dims[k] == BERT_DIM_SEQ ? seq
                                      : t->dims[k];
}

static int64_t numel(const bert_tensor_info *t, int64_t batch, int64_t seq) {
  int64_t n = 1;
  int k;
  for (k = 0; k < t->rank; ++k)
    n *= extent(t, k, batch, seq);
  return n;
}

static void alloc_outputs(bert_model_t *m, bert_model_count_fn num_outputs,
                          bert_model_tensor_info_fn output_info, int64_t batch,
                          int64_t seq, outputs *o) {
  bert_status st;
  int i;
  o->n = num_outputs(m);
  if (o->n > 16)
    die("bert-run", "the model has %d outputs, more than 16", o->n);
  for (i = 0; i < o->n; ++i) {
    if (output_info(m, i, &o->info[i], &st) != BERT_OK)
      die("bert-run", "%s", st.message);
    o->buf[i].name = o->info[i].name;
    o->buf[i].data =
        malloc((size_t)numel(&o->info[i], batch, seq) * sizeof(float));
    if (!o->buf[i].data)
      die("bert-run", "out of memory");
  }
}

/* Writes output i as <dir>/<name>.npy, its shape at (batch, seq). */
static void write_output(const char *dir, const outputs *o, int i,
                         int64_t batch, int64_t seq) {
  char path[4096], err[256];
  int64_t shape[BERT_MAX_RANK];
  int k;
  for (k = 0; k < o->info[i].rank; ++k)
    shape[k] = extent(&o->info[i], k, batch, seq);
  snprintf(path, sizeof(path), "%s/%s.npy", dir, o->info[i].name);
  if (bert_npy_write(path, BERT_NPY_F32, o->info[i].rank, shape, o->buf[i].data,
                     err, sizeof(err)))
    die(path, "%s", err);
}

/* "name: [2, 3, 768]", and (except for last_hidden_state, printed as
 * before) its first values. */
static void print_output(const outputs *o, int i, int64_t batch, int64_t seq) {
  const bert_tensor_info *t = &o->info[i];
  int64_t k, n = numel(t, batch, seq);
  printf("%s: [", t->name);
  for (k = 0; k < t->rank; ++k)
    printf("%s%lld", k ? ", " : "", (long long)extent(t, (int)k, batch, seq));
  printf("]");
  if (strcmp(t->name, "last_hidden_state") != 0) {
    printf(" first values:");
    for (k = 0; k < n && k < 8; ++k)
      printf(" %.6f", ((const float *)o->buf[i].data)[k]);
  }
  printf("\n");
}

/* The labels of a classification head (--labels, or <name>.labels.json
 * beside the library; none: LABEL_<i>), checked against its logits, and a
 * pair for every question of a question answering head: before the run, so
 * that a mistake is one error line. Returns whether *labels was read. */
static int check_head(const char *lib_path, const char *model,
                      const char *labels_path, const texts *t, const outputs *o,
                      const bert_head *head, bert_head_labels *labels) {
  char beside[4096], err[600];
  const bert_tensor_info *logits =
      head->logits >= 0 ? &o->info[head->logits] : NULL;
  int i;
  for (i = 0; head->kind == BERT_HEAD_QUESTION_ANSWERING && i < t->n; ++i)
    if (!t->pair[i])
      die("--text",
          "question answering takes --text QUESTION --text-pair CONTEXT "
          "(text %d has no pair)",
          i);
  if (head->kind != BERT_HEAD_SEQUENCE_CLASSIFICATION &&
      head->kind != BERT_HEAD_TOKEN_CLASSIFICATION)
    return 0;
  if (!labels_path &&
      bert_text_beside(lib_path, model, "labels.json", beside, sizeof(beside)))
    labels_path = beside;
  if (!labels_path)
    return 0;
  if (bert_head_read_labels(labels_path, labels, err, sizeof(err))) {
    fprintf(stderr, "bert-run: error: %s\n", err);
    exit(1);
  }
  if (labels->n != logits->dims[logits->rank - 1])
    die(labels_path, "%lld labels, but the model's %s has %lld classes",
        (long long)labels->n, logits->name,
        (long long)logits->dims[logits->rank - 1]);
  return 1;
}

/* Prints what the head says about the texts (bert_run_heads.h). */
static void report_head(const bert_head_labels *labels, int json,
                        const texts *t, const bert_text_inputs *tin,
                        const bert_tokenizer_t *tok, const outputs *o,
                        const bert_head *head) {
  float *data[16];
  char err[600];
  int i;
  for (i = 0; i < o->n; ++i)
    data[i] = o->buf[i].data;
  {
    const bert_head_results r = {.head = *head,
                                 .labels = labels,
                                 .tok = tok,
                                 .outputs = o->info,
                                 .data = data,
                                 .batch = tin->batch,
                                 .seq = tin->seq,
                                 .text = (const char *const *)t->text,
                                 .pair = (const char *const *)t->pair,
                                 .len = t->len,
                                 .pair_len = t->pair_len,
                                 .ids = tin->ids,
                                 .seq_ids = tin->seq_ids,
                                 .word_ids = tin->word_ids,
                                 .offsets = tin->offsets};
    if (!json)
      printf("%s:\n", bert_head_name(head->kind));
    if (bert_head_print(stdout, &r, json, err, sizeof(err)))
      die("bert-run", "%s", err);
  }
}

static long parse_count(const char *flag, const char *v, long lo) {
  char *end;
  long n = strtol(v, &end, 10);
  if (*v == '\0' || *end != '\0' || n < lo || n > 1000000)
    die(flag, "expected an integer >= %ld, found '%s'", lo, v);
  return n;
}

/* A command-line option and where it goes: an int set to 1 for a flag, a
 * const char * for an option whose value is kept as given. */
typedef struct {
  const char *name;
  void *value;
} option;

/* The value pointer of the option of table[0, n) named a, or NULL. */
static void *find_option(const char *a, const option *table, size_t n) {
  size_t k;
  for (k = 0; k < n; ++k)
    if (!strcmp(a, table[k].name))
      return table[k].value;
  return NULL;
}

int main(int argc, char **argv) {
  const char *lib_path, *weights,
      *ids_path = NULL, *types_path = NULL, *mask_path = NULL, *ids_list = NULL,
      *langs_path = NULL, *out_dir = NULL, *tok_path = NULL, *pooling = NULL,
      *labels_path = NULL;
  bert_text_pooling pool_desc = {{0}, 0, 0};
  char tok_beside[4096];
  long bench = 0, threads = -1;
  int normalize = 0, json = 0;
  texts txt = {0};
  bert_text_inputs tin = {0};
  bert_tokenizer_t *tok = NULL;
  bert_head head;
  bert_head_labels labels = {0, NULL};
  int have_labels = 0;
  float *emb = NULL;
  int profile = 0;
  input ids = {0}, types = {0}, mask = {0}, langs = {0};
  outputs outs = {0};
  bert_buffer in[4];
  int n_in = 0, lhs;
  char libbuf[4096], path[4096], err[256];
  void *lib;
  bert_model_load_fn load;
  bert_model_free_fn model_free;
  bert_run_named_fn run;
  bert_model_count_fn num_outputs;
  bert_model_tensor_info_fn output_info;
  bert_model_find_fn find_input, find_output;
  bert_model_set_num_threads_fn set_threads;
  bert_model_query_fn hidden_size, max_batch, max_seq, num_layers, vocab_size;
  bert_model_name_fn model_name;
  bert_model_set_profiling_fn set_profiling;
  bert_model_profile_report_fn profile_report;
  bert_model_t *m;
  bert_status st;
  int64_t hidden, shape[3];
  float *out;
  int i;

  /* The options without a value, and those whose value is kept as given. */
  const option flags[] = {
      {"--profile", &profile}, {"--normalize", &normalize}, {"--json", &json}};
  const option values[] = {{"--input-ids", &ids_path},
                           {"--token-type-ids", &types_path},
                           {"--attention-mask", &mask_path},
                           {"--langs", &langs_path},
                           {"--ids", &ids_list},
                           {"--out-dir", &out_dir},
                           {"--tokenizer", &tok_path},
                           {"--pooling", &pooling},
                           {"--labels", &labels_path}};
  const size_t n_flags = sizeof(flags) / sizeof(flags[0]),
               n_values = sizeof(values) / sizeof(values[0]);

  if (argc < 3)
    usage();
  lib_path = argv[1];
  weights = argv[2];
  for (i = 3; i < argc; ++i) {
    const char *a = argv[i];
    int *flag = find_option(a, flags, n_flags);
    const char **value;
    if (flag) {
      *flag = 1;
      continue;
    }
    if (i + 1 >= argc)
      usage();
    value = find_option(a, values, n_values);
    if (value)
      *value = argv[++i];
    else if (!strcmp(a, "--bench"))
      bench = parse_count("--bench", argv[++i], 1);
    else if (!strcmp(a, "--threads"))
      threads = parse_count("--threads", argv[++i], 0);
    else if (!strcmp(a, "--text")) {
      ++i;
      add_text(&txt, argv[i], strlen(argv[i]));
    } else if (!strcmp(a, "--text-pair")) {
      if (!txt.n || txt.pair[txt.n - 1])
        die("--text-pair", "must follow a --text");
      txt.pair[txt.n - 1] = argv[++i];
      txt.pair_len[txt.n - 1] = strlen(argv[i]);
    } else if (!strcmp(a, "--texts"))
      read_texts(argv[++i], &txt);
    else
      usage();
  }
  if (pooling && bert_text_pooling_mode(pooling, &pool_desc))
    die("--pooling", "expected mean, cls, max or none, found '%s'", pooling);
  pool_desc.normalize = normalize;
  if ((pooling || normalize) && !txt.n)
    die("--pooling", "needs texts (--text or --texts)");
  if (normalize && !pooling)
    die("--normalize", "needs --pooling");
  if (tok_path && !txt.n)
    die("--tokenizer", "needs --text or --texts");
  if ((json || labels_path) && !txt.n)
    die(json ? "--json" : "--labels", "needs texts (--text or --texts)");
  if (txt.n) {
    if (ids_path || ids_list || types_path || mask_path || langs_path)
      die("--text", "give texts or token ids, not both");
  } else if (!ids_path == !ids_list)
    die("bert-run", "give exactly one of --input-ids and --ids");
  if (ids_list && (types_path || mask_path || langs_path))
    die("bert-run", "--token-type-ids, --attention-mask and --langs need "
                    "--input-ids");

  if (ids_list)
    parse_ids(ids_list, &ids);
  else if (ids_path)
    load_input(ids_path, &ids, NULL);
  if (types_path)
    load_input(types_path, &types, &ids);
  if (mask_path)
    load_input(mask_path, &mask, &ids);
  if (langs_path)
    load_input(langs_path, &langs, &ids);

  /* dlopen searches the library path for a bare name; a file argument
   * means the file. */
  snprintf(libbuf, sizeof(libbuf), "%s%s", strchr(lib_path, '/') ? "" : "./",
           lib_path);
  {
    /* dlopen would block on a FIFO and read a device: check the file the
     * way every other input is checked (non-blocking open, regular file). */
    char err[256];
    uint64_t size;
    int fd = bert_file_open(libbuf, 0, &size, err, sizeof(err));
    if (fd < 0)
      die(lib_path, "%s", err);
    close(fd);
  }
  lib = dlopen(libbuf, RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    die(lib_path, "cannot load library: %s", dlerror());
  LOOKUP(load, "bert_model_load");
  LOOKUP(model_free, "bert_model_free");
  LOOKUP(run, "bert_run_named");
  LOOKUP(num_outputs, "bert_model_num_outputs");
  LOOKUP(output_info, "bert_model_output_info");
  LOOKUP(find_input, "bert_model_find_input");
  LOOKUP(find_output, "bert_model_find_output");
  LOOKUP(set_threads, "bert_model_set_num_threads");
  LOOKUP(hidden_size, "bert_model_hidden_size");
  LOOKUP(max_batch, "bert_model_max_batch");
  LOOKUP(max_seq, "bert_model_max_seq");
  LOOKUP(num_layers, "bert_model_num_layers");
  LOOKUP(vocab_size, "bert_model_vocab_size");
  LOOKUP(model_name, "bert_model_name");
  LOOKUP(set_profiling, "bert_model_set_profiling");
  LOOKUP(profile_report, "bert_model_profile_report");

  m = load(weights, &st);
  if (!m) {
    /* Load messages already start with the file name. The inputs read so
     * far are freed: a refused model is an expected outcome, not a leak. */
    fprintf(stderr, "bert-run: error: %s\n", st.message);
    free(ids.data);
    free(types.data);
    free(mask.data);
    free(langs.data);
    dlclose(lib);
    return 1;
  }
  if (threads >= 0 && set_threads(m, (int)threads, &st) != BERT_OK)
    die("--threads", "%s", st.message);
  if (txt.n) {
    int rc;
    if (txt.n > max_batch(m))
      die("--text", "%d texts, more than the compiled maximum batch %lld",
          txt.n, (long long)max_batch(m));
    /* What `bertc compile MODEL_DIR` wrote beside the library, unless the
     * flags say otherwise. */
    if (!tok_path &&
        !bert_text_beside(lib_path, model_name(m), "tokenizer.json", tok_beside,
                          sizeof(tok_beside)))
      die("--text", "needs --tokenizer (no %s beside the library)", tok_beside);
    if (!tok_path)
      tok_path = tok_beside;
    if (!pooling &&
        bert_text_beside(lib_path, model_name(m), "pooling.json", path,
                         sizeof(path)) &&
        bert_text_read_pooling(path, &pool_desc, err, sizeof(err)))
      die("bert-run", "%s", err);
    tok = bert_text_load_tokenizer(tok_path, max_seq(m),
                                   pool_desc.max_seq_length, err, sizeof(err));
    if (!tok)
      die("--tokenizer", "%s", err);
    rc = bert_text_encode(tok, (size_t)txt.n, (const char *const *)txt.text,
                          txt.len, (const char *const *)txt.pair, txt.pair_len,
                          &tin);
    if (rc)
      die("--tokenizer", "%s", bert_tokenizer_status_string(rc));
    ids.path = types.path = mask.path = "--text";
    ids.batch = types.batch = mask.batch = tin.batch;
    ids.seq = types.seq = mask.seq = tin.seq;
    /* The inputs are tin's; freed with it. */
    ids.data = tin.ids;
    types.data = tin.type_ids;
    mask.data = tin.mask;
  }
  if (ids.batch > max_batch(m) || ids.seq > max_seq(m) || ids.seq < 1 ||
      ids.batch < 1)
    die(ids.path,
        "shape [%lld, %lld] outside the compiled maximum [%lld, %lld]",
        (long long)ids.batch, (long long)ids.seq, (long long)max_batch(m),
        (long long)max_seq(m));

  hidden = hidden_size(m);
  /* Inputs by name. Token types and the mask the tokenizer makes go only to
   * a model that has them (DistilBERT has no token types); a file given on
   * the command line goes in regardless, and the runtime names it if the
   * model has no such input. */
  in[n_in].name = "input_ids";
  in[n_in++].data = ids.data;
  if (types.data && (types_path || find_input(m, "token_type_ids") >= 0)) {
    in[n_in].name = "token_type_ids";
    in[n_in++].data = types.data;
  }
  if (mask.data && (mask_path || find_input(m, "attention_mask") >= 0)) {
    in[n_in].name = "attention_mask";
    in[n_in++].data = mask.data;
  }
  if (langs.data) {
    in[n_in].name = "langs";
    in[n_in++].data = langs.data;
  }
  alloc_outputs(m, num_outputs, output_info, ids.batch, ids.seq, &outs);
  bert_head_detect(outs.info, outs.n, vocab_size(m), &head);
  if (json && head.kind == BERT_HEAD_NONE)
    die("--json",
        "model '%s' has no task head (its outputs are not logits, "
        "start_logits and end_logits, or prediction_logits)",
        model_name(m));
  if (txt.n)
    have_labels = check_head(lib_path, model_name(m), labels_path, &txt, &outs,
                             &head, &labels);
  lhs = find_output(m, "last_hidden_state");
  out = lhs >= 0 ? outs.buf[lhs].data : NULL;
  if (pooling && !out)
    die("--pooling", "model '%s' has no last_hidden_state output to pool",
        model_name(m));
  /* With --bench, the first run warms up outside the profile. */
  if (profile && !bench && set_profiling(m, 1, &st) != BERT_OK)
    die("--profile", "%s", st.message);
  if (run(m, ids.batch, ids.seq, in, n_in, outs.buf, outs.n, &st) != BERT_OK)
    die(ids.path, "%s", st.message);
  if (profile && bench && set_profiling(m, 1, &st) != BERT_OK)
    die("--profile", "%s", st.message);

  if (bench > 0) {
    double *t = malloc((size_t)bench * sizeof(double));
    long k;
    if (!t)
      die("bert-run", "out of memory");
    for (k = 0; k < bench; ++k) {
      double t0 = now_ms();
      run(m, ids.batch, ids.seq, in, n_in, outs.buf, outs.n, &st);
      t[k] = now_ms() - t0;
    }
    qsort(t, (size_t)bench, sizeof(double), cmp_double);
    printf("latency: median %.3f ms, min %.3f ms over %ld runs (batch %lld, "
           "seq %lld)\n",
           bench % 2 ? t[bench / 2] : (t[bench / 2 - 1] + t[bench / 2]) / 2,
           t[0], bench, (long long)ids.batch, (long long)ids.seq);
    free(t);
  }

  if (profile) {
    size_t len = profile_report(m, NULL, 0);
    char *report = malloc(len + 1);
    if (!report)
      die("bert-run", "out of memory");
    profile_report(m, report, len + 1);
    fputs(report, stdout);
    free(report);
  }

  if (pool_desc.mode[0]) {
    emb = malloc((size_t)(ids.batch * hidden) * sizeof(float));
    if (!emb)
      die("bert-run", "out of memory");
    bert_text_pool(&pool_desc, out, mask.data, ids.batch, ids.seq, hidden, emb);
  }
  if (out_dir) {
    mkdir(out_dir, 0777); /* may exist; a real problem shows on write */
    if (emb) {
      shape[0] = ids.batch;
      shape[1] = hidden;
      snprintf(path, sizeof(path), "%s/sentence_embedding.npy", out_dir);
      if (bert_npy_write(path, BERT_NPY_F32, 2, shape, emb, err, sizeof(err)))
        die(path, "%s", err);
    }
    if (txt.n) {
      shape[0] = ids.batch;
      shape[1] = ids.seq;
      snprintf(path, sizeof(path), "%s/input_ids.npy", out_dir);
      if (bert_npy_write(path, BERT_NPY_I32, 2, shape, ids.data, err,
                         sizeof(err)))
        die(path, "%s", err);
    }
    for (i = 0; i < outs.n; ++i)
      write_output(out_dir, &outs, i, ids.batch, ids.seq);
  } else if (bench == 0 && !profile && !json) {
    int64_t k;
    printf("model: %s (hidden %lld, layers %lld)\n", model_name(m),
           (long long)hidden, (long long)num_layers(m));
    for (i = 0; i < outs.n; ++i)
      print_output(&outs, i, ids.batch, ids.seq);
    if (emb) {
      int64_t b;
      printf("sentence_embedding (%s%s): [%lld, %lld]\n", pool_desc.mode,
             pool_desc.normalize ? ", normalized" : "", (long long)ids.batch,
             (long long)hidden);
      for (b = 0; b < ids.batch; ++b) {
        printf("  [%lld] first values:", (long long)b);
        for (k = 0; k < hidden && k < 8; ++k)
          printf(" %.6f", emb[b * hidden + k]);
        printf("\n");
      }
    }
  }
  if (txt.n && head.kind != BERT_HEAD_NONE &&
      (json || (!out_dir && bench == 0 && !profile)))
    report_head(have_labels ? &labels : NULL, json, &txt, &tin, tok, &outs,
                &head);
  bert_head_labels_free(&labels);
  free(emb);
  free(txt.file);
  for (i = 0; i < outs.n; ++i)
    free(outs.buf[i].data);
  free(langs.data);
  if (txt.n) {
    bert_text_inputs_free(&tin);
    bert_tokenizer_destroy(tok);
  } else {
    free(ids.data);
    free(types.data);
    free(mask.data);
  }
  model_free(m);
  dlclose(lib);
  return 0;
}
