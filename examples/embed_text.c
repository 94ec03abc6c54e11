/*===- embed_text.c - Sentence embeddings from text, in C -----------------===*\
|*                                                                            *|
|*   embed-text lib<model>.so model.safetensors [options] COMMAND ARGS...     *|
|*     similarity TEXT...   cosine similarity of every pair of texts          *|
|*     search QUERY TEXT... the texts ranked by similarity to QUERY           *|
|*     word WORD TEXT       the vector of each occurrence of WORD in TEXT     *|
|*                          (last_hidden_state; a word cut into several       *|
|*                          tokens: their mean) and their pairwise cosines    *|
|*     bench RUNS TEXT...   RUNS timed runs of text -> embeddings (tokenize,  *|
|*                          run, pool) of the whole batch, as one JSON line   *|
|*   options: --tokenizer tokenizer.json, --pooling mean|cls|max [--normalize]*|
|*            --threads N                                                     *|
|* A TEXT "@FILE" stands for the lines of FILE.                               *|
|*                                                                            *|
|* The model library is opened with dlopen() (bert_runtime.h's function-     *|
|* pointer types), texts are tokenized by berttok (bert_tokenizer.h), and the *|
|* tokenizer and pooling are the ones `bertc compile MODEL_DIR` wrote beside  *|
|* the library (runtime/tools/bert_run_text.h, shared with bert-run), unless  *|
|* the options name others. `make demo` runs it on all-MiniLM-L6-v2.          *|
|* Every failure prints "embed-text: error: <what>" and exits with status 1.  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_run_text.h"
#include "bert_runtime.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_TEXTS = 256, MAX_OCCURRENCES = 16 };

static void die(const char *fmt, ...) {
  va_list ap;
  fputs("embed-text: error: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    die("out of memory");
  return p;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The C API, from the library. */
typedef struct {
  bert_model_load_fn load;
  bert_model_free_fn free;
  bert_run_fn run;
  bert_model_set_num_threads_fn set_threads;
  bert_model_query_fn hidden_size, max_batch, max_seq;
  bert_model_name_fn name;
} api;

/* dlsym() returns an object pointer; copying its bytes into a function
 * pointer is the conversion POSIX blesses. */
static void bind(void *lib, const char *path, const char *name, void *fn,
                 size_t size) {
  void *sym = dlsym(lib, name);
  if (!sym)
    die("%s: not a bertc model library (no symbol '%s')", path, name);
  memcpy(fn, &sym, size);
}
#define BIND(field, name) bind(lib, path, name, &a->field, sizeof(a->field))

static void *open_library(const char *path, api *a) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    die("%s: cannot load library: %s", path, dlerror());
  BIND(load, "bert_model_load");
  BIND(free, "bert_model_free");
  BIND(run, "bert_run");
  BIND(set_threads, "bert_model_set_num_threads");
  BIND(hidden_size, "bert_model_hidden_size");
  BIND(max_batch, "bert_model_max_batch");
  BIND(max_seq, "bert_model_max_seq");
  BIND(name, "bert_model_name");
  return lib;
}

/* Texts of the command line; "@FILE" adds the lines of FILE. */
typedef struct {
  const char *text[MAX_TEXTS];
  size_t len[MAX_TEXTS];
  int n;
} texts;

static void add_text(texts *t, const char *s, size_t len) {
  if (t->n == MAX_TEXTS)
    die("more than %d texts", MAX_TEXTS);
  t->text[t->n] = s;
  t->len[t->n++] = len;
}

static void add_arg(texts *t, const char *arg) {
  FILE *f;
  char *data;
  long size;
  size_t k = 0;
  if (arg[0] != '@') {
    add_text(t, arg, strlen(arg));
    return;
  }
  if (!(f = fopen(arg + 1, "rb")) || fseek(f, 0, SEEK_END) ||
      (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
    die("%s: cannot read", arg + 1);
  data = xmalloc((size_t)size + 1); /* kept until exit: texts point into it */
  if (fread(data, 1, (size_t)size, f) != (size_t)size)
    die("%s: cannot read", arg + 1);
  fclose(f);
  while (k < (size_t)size) {
    char *nl = memchr(data + k, '\n', (size_t)size - k);
    size_t len = nl ? (size_t)(nl - (data + k)) : (size_t)size - k;
    if (len)
      add_text(t, data + k, len);
    k += len + 1;
  }
}

/* One model and its text side. */
typedef struct {
  api a;
  bert_model_t *m;
  bert_tokenizer_t *tok;
  bert_text_pooling pooling;
  int64_t hidden;
} model;

/* The batch's inputs, last_hidden_state and sentence embeddings. */
typedef struct {
  bert_text_inputs in;
  float *hidden, *emb;
} batch;

static void embed(const model *md, const texts *t, batch *out) {
  bert_status st;
  float *pooled;
  int rc;
  if (t->n > md->a.max_batch(md->m))
    die("%d texts, more than the library's maximum batch %lld", t->n,
        (long long)md->a.max_batch(md->m));
  rc = bert_text_encode(md->tok, (size_t)t->n, t->text, t->len, NULL, NULL,
                        &out->in);
  if (rc)
    die("tokenizing: %s", bert_tokenizer_status_string(rc));
  out->hidden = xmalloc((size_t)(out->in.batch * out->in.seq * md->hidden) *
                        sizeof(float));
  out->emb = xmalloc((size_t)(out->in.batch * md->hidden) * sizeof(float));
  pooled = xmalloc((size_t)(out->in.batch * md->hidden) * sizeof(float));
  if (md->a.run(md->m, out->in.ids, out->in.type_ids, out->in.mask,
                out->in.batch, out->in.seq, out->hidden, pooled,
                &st) != BERT_OK)
    die("bert_run: %s", st.message);
  free(pooled);
  bert_text_pool(&md->pooling, out->hidden, out->in.mask, out->in.batch,
                 out->in.seq, md->hidden, out->emb);
}

static void batch_free(batch *b) {
  bert_text_inputs_free(&b->in);
  free(b->hidden);
  free(b->emb);
}

static void print_text(int i, const texts *t) {
  printf("  [%d] %.*s\n", i, (int)t->len[i], t->text[i]);
}

static void similarity(const model *md, const texts *t) {
  batch b;
  int i, j;
  embed(md, t, &b);
  printf("cosine similarity of the sentence embeddings:\n");
  for (i = 0; i < t->n; ++i)
    print_text(i, t);
  printf("     ");
  for (j = 0; j < t->n; ++j)
    printf("    [%d]", j);
  printf("\n");
  for (i = 0; i < t->n; ++i) {
    printf("  [%d]", i);
    for (j = 0; j < t->n; ++j)
      printf(" %6.3f", bert_text_cosine(b.emb + i * md->hidden,
                                        b.emb + j * md->hidden, md->hidden));
    printf("\n");
  }
  batch_free(&b);
}

typedef struct {
  double score;
  int index;
} ranked;

static int by_score(const void *x, const void *y) {
  double a = ((const ranked *)x)->score, b = ((const ranked *)y)->score;
  return (a < b) - (a > b);
}

/* t->text[0] is the query. */
static void search(const model *md, const texts *t) {
  batch b;
  ranked r[MAX_TEXTS];
  int i;
  embed(md, t, &b);
  for (i = 1; i < t->n; ++i) {
    r[i - 1].score =
        bert_text_cosine(b.emb, b.emb + i * md->hidden, md->hidden);
    r[i - 1].index = i;
  }
  qsort(r, (size_t)(t->n - 1), sizeof(r[0]), by_score);
  printf("query: %.*s\n", (int)t->len[0], t->text[0]);
  for (i = 0; i < t->n - 1; ++i)
    printf("  %d. %5.3f  %.*s\n", i + 1, r[i].score, (int)t->len[r[i].index],
           t->text[r[i].index]);
  batch_free(&b);
}

/* Whether text[at, at + n) is `word` (ASCII case folded) standing alone. */
static int word_at(const char *text, size_t len, size_t at, const char *word,
                   size_t n) {
  size_t k;
  if (at + n > len || (at > 0 && isalnum((unsigned char)text[at - 1])) ||
      (at + n < len && isalnum((unsigned char)text[at + n])))
    return 0;
  for (k = 0; k < n; ++k)
    if (tolower((unsigned char)text[at + k]) != tolower((unsigned char)word[k]))
      return 0;
  return 1;
}

/* The occurrences of `word` in t->text[0], found through the tokens' byte
 * offsets: each occurrence's vector is the mean of the last_hidden_state
 * rows of the tokens inside it. */
static void word_vectors(const model *md, const char *word, const texts *t) {
  const char *text = t->text[0];
  size_t len = t->len[0], n = strlen(word), at;
  float *vec = xmalloc((size_t)(MAX_OCCURRENCES * md->hidden) * sizeof(float));
  int count = 0, i, j;
  int64_t s, h;
  batch b;
  embed(md, t, &b);
  printf("\"%s\" in: %.*s\n", word, (int)len, text);
  for (at = 0; at < len && count < MAX_OCCURRENCES; ++at) {
    int tokens = 0;
    if (!word_at(text, len, at, word, n))
      continue;
    float *v = vec + count * md->hidden;
    memset(v, 0, (size_t)md->hidden * sizeof(float));
    printf("  #%d at bytes [%zu, %zu), tokens", count + 1, at, at + n);
    for (s = 0; s < b.in.seq; ++s) {
      uint32_t begin = b.in.offsets[2 * s], end = b.in.offsets[2 * s + 1];
      if (begin == end || begin < at || end > at + n)
        continue;
      printf(" %lld (id %d)", (long long)s, b.in.ids[s]);
      for (h = 0; h < md->hidden; ++h)
        v[h] += b.hidden[s * md->hidden + h];
      ++tokens;
    }
    printf("\n");
    for (h = 0; h < md->hidden && tokens; ++h)
      v[h] /= (float)tokens;
    count += tokens > 0;
  }
  if (count < 2)
    die("\"%s\" occurs %d time(s) in the text; need at least 2", word, count);
  printf("cosine similarity of their vectors (last_hidden_state):\n");
  for (i = 0; i < count; ++i)
    for (j = i + 1; j < count; ++j)
      printf("  #%d vs #%d: %6.3f\n", i + 1, j + 1,
             bert_text_cosine(vec + i * md->hidden, vec + j * md->hidden,
                              md->hidden));
  free(vec);
  batch_free(&b);
}

static int by_value(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* One warm-up, then `runs` timed text -> embedding runs of the batch. */
static void bench(const model *md, long runs, const texts *t) {
  double *ms = xmalloc((size_t)runs * sizeof(double));
  int64_t seq = 0;
  long k;
  for (k = -1; k < runs; ++k) {
    batch b;
    double t0 = now_ms();
    embed(md, t, &b);
    if (k >= 0)
      ms[k] = now_ms() - t0;
    seq = b.in.seq;
    batch_free(&b);
  }
  qsort(ms, (size_t)runs, sizeof(double), by_value);
  printf("{\"batch\": %d, \"seq\": %lld, \"runs\": %ld, \"median_ms\": %.4f, "
         "\"min_ms\": %.4f, \"times_ms\": [",
         t->n, (long long)seq, runs,
         runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2,
         ms[0]);
  for (k = 0; k < runs; ++k)
    printf("%s%.4f", k ? ", " : "", ms[k]);
  printf("]}\n");
  free(ms);
}

static void usage(void) {
  fprintf(stderr,
          "usage: embed-text lib<model>.so model.safetensors [--tokenizer T]\n"
          "         [--pooling mean|cls|max [--normalize]] [--threads N]\n"
          "         (similarity TEXT... | search QUERY TEXT... |\n"
          "          word WORD TEXT | bench RUNS TEXT...)\n"
          "  TEXT @FILE: the lines of FILE\n");
  exit(1);
}

int main(int argc, char **argv) {
  const char *lib_path, *tok_path = NULL, *pooling = NULL, *command,
                        *word = NULL;
  char path[4096], err[512];
  long threads = -1, runs = 0;
  int normalize = 0, i;
  texts t = {{0}, {0}, 0};
  model md;
  bert_status st;
  void *lib;
  if (argc < 4)
    usage();
  lib_path = argv[1];
  memset(&md, 0, sizeof(md));
  for (i = 3; i < argc && argv[i][0] == '-'; ++i) {
    if (!strcmp(argv[i], "--normalize")) {
      normalize = 1;
      continue;
    }
    if (i + 1 >= argc)
      usage();
    if (!strcmp(argv[i], "--tokenizer"))
      tok_path = argv[++i];
    else if (!strcmp(argv[i], "--pooling"))
      pooling = argv[++i];
    else if (!strcmp(argv[i], "--threads"))
      threads = strtol(argv[++i], NULL, 10);
    else
      usage();
  }
  if (i >= argc)
    usage();
  command = argv[i++];
  if (!strcmp(command, "word") && i < argc) {
    word = argv[i++]; /* the text follows */
  } else if (!strcmp(command, "bench") && i < argc) {
    runs = strtol(argv[i++], NULL, 10);
    if (runs < 1)
      die("bench: expected a positive number of runs");
  } else if (strcmp(command, "similarity") && strcmp(command, "search")) {
    usage();
  }
  for (; i < argc; ++i)
    add_arg(&t, argv[i]);
  if (t.n < 1 || (!strcmp(command, "word") && t.n != 1) ||
      (!strcmp(command, "search") && t.n < 2))
    usage();

  /* dlopen searches the library path for a bare name: a file is meant. */
  snprintf(path, sizeof(path), "%s%s", strchr(lib_path, '/') ? "" : "./",
           lib_path);
  lib = open_library(path, &md.a);
  md.m = md.a.load(argv[2], &st);
  if (!md.m)
    die("%s", st.message);
  if (threads >= 0 && md.a.set_threads(md.m, (int)threads, &st) != BERT_OK)
    die("--threads: %s", st.message);
  md.hidden = md.a.hidden_size(md.m);
  /* The tokenizer and pooling beside the library, unless named. */
  if (!tok_path && !bert_text_beside(lib_path, md.a.name(md.m),
                                     "tokenizer.json", path, sizeof(path)))
    die("no %s beside the library: give --tokenizer", path);
  if (!tok_path)
    tok_path = strcpy(xmalloc(strlen(path) + 1), path);
  if (pooling) {
    if (bert_text_pooling_mode(pooling, &md.pooling) || !md.pooling.mode[0])
      die("--pooling: expected mean, cls or max, found '%s'", pooling);
    md.pooling.normalize = normalize;
  } else if (bert_text_beside(lib_path, md.a.name(md.m), "pooling.json", path,
                              sizeof(path))) {
    if (bert_text_read_pooling(path, &md.pooling, err, sizeof(err)))
      die("%s", err);
  } else {
    die("no %s beside the library: give --pooling", path);
  }
  md.tok =
      bert_text_load_tokenizer(tok_path, md.a.max_seq(md.m),
                               md.pooling.max_seq_length, err, sizeof(err));
  if (!md.tok)
    die("%s", err);

  if (!strcmp(command, "similarity"))
    similarity(&md, &t);
  else if (!strcmp(command, "search"))
    search(&md, &t);
  else if (!strcmp(command, "word"))
    word_vectors(&md, word, &t);
  else
    bench(&md, runs, &t);
  bert_tokenizer_destroy(md.tok);
  md.a.free(md.m);
  dlclose(lib);
  return 0;
}
