/*===- bert_run_text.c - Text in, sentence embeddings out -----------------===*\
|*                                                                            *|
|* See bert_run_text.h.                                                       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_run_text.h"
#include "file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int bert_text_beside(const char *lib_path, const char *model_name,
                     const char *suffix, char *out, size_t out_size) {
  const char *slash = strrchr(lib_path, '/');
  int dir_len = slash ? (int)(slash - lib_path) : 1;
  struct stat st;
  int n = snprintf(out, out_size, "%.*s/%s.%s", dir_len, slash ? lib_path : ".",
                   model_name, suffix);
  if (n < 0 || (size_t)n >= out_size)
    return 0;
  return stat(out, &st) == 0 && S_ISREG(st.st_mode);
}

int bert_text_pooling_mode(const char *word, bert_text_pooling *pooling) {
  static const char *const modes[] = {"mean", "cls", "max", "none"};
  size_t i;
  for (i = 0; i < sizeof(modes) / sizeof(modes[0]); ++i)
    if (!strcmp(word, modes[i])) {
      strcpy(pooling->mode, i == 3 ? "" : modes[i]);
      return 0;
    }
  return -1;
}

int bert_text_read_desc(const char *path, const char *format, size_t max_bytes,
                        const char *(*check)(const bert_json_doc *, void *),
                        void *ctx, char *err, size_t err_size) {
  char *text = NULL, perr[200];
  size_t len = 0;
  bert_json_doc doc;
  const bert_json_value *root, *v;
  const char *problem = NULL, *s;
  if (bert_file_read(path, max_bytes, &text, &len, perr, sizeof(perr))) {
    snprintf(err, err_size, "%s: %s", path, perr);
    return -1;
  }
  if (bert_json_parse(text, len, &doc, perr, sizeof(perr))) {
    free(text);
    snprintf(err, err_size, "%s: not JSON: %s", path, perr);
    return -1;
  }
  free(text);
  root = doc.nodes;
  snprintf(perr, sizeof(perr), "\"format\": expected \"%s\"", format);
  if (bert_json_type_of(root) != BERT_JSON_OBJECT)
    problem = "expected a JSON object";
  else if (!(v = bert_json_get(&doc, root, "format")) ||
           !(s = bert_json_string(&doc, v, NULL)) || strcmp(s, format))
    problem = perr;
  else if (!(v = bert_json_get(&doc, root, "version")) ||
           !bert_json_is_int(v) || bert_json_int(v) != 1)
    problem = "\"version\": expected 1";
  else
    problem = check(&doc, ctx);
  if (problem)
    snprintf(err, err_size, "%s: %s", path, problem);
  bert_json_free(&doc);
  return problem ? -1 : 0;
}

/* The fields of a pooling description; NULL or what is wrong. */
static const char *check_pooling(const bert_json_doc *doc, void *ctx) {
  bert_text_pooling *pooling = ctx;
  const bert_json_value *root = doc->nodes, *v;
  const char *s;
  v = bert_json_get(doc, root, "mode");
  s = v ? bert_json_string(doc, v, NULL) : NULL;
  if (!s || bert_text_pooling_mode(s, pooling) || !pooling->mode[0])
    return "\"mode\": expected \"mean\", \"cls\" or \"max\"";
  if ((v = bert_json_get(doc, root, "normalize"))) {
    if (bert_json_type_of(v) != BERT_JSON_BOOL)
      return "\"normalize\": expected true or false";
    pooling->normalize = (int)bert_json_int(v);
  }
  if ((v = bert_json_get(doc, root, "max_seq_length"))) {
    if (!bert_json_is_int(v) || bert_json_int(v) < 1)
      return "\"max_seq_length\": expected a positive integer";
    pooling->max_seq_length = bert_json_int(v);
  }
  return NULL;
}

int bert_text_read_pooling(const char *path, bert_text_pooling *pooling,
                           char *err, size_t err_size) {
  memset(pooling, 0, sizeof(*pooling));
  return bert_text_read_desc(path, "bertc-pooling", 1 << 20, check_pooling,
                             pooling, err, err_size);
}

bert_tokenizer_t *bert_text_load_tokenizer(const char *path, int64_t max_seq,
                                           int64_t max_seq_length, char *err,
                                           size_t err_size) {
  size_t cur = 0, stride = 0;
  bert_tok_truncation_strategy st = BERT_TOK_LONGEST_FIRST;
  bert_tok_direction dir = BERT_TOK_RIGHT;
  bert_tokenizer_t *tok = bert_tokenizer_load(path, err, err_size);
  if (!tok)
    return NULL;
  if (max_seq_length > 0) {
    cur = (size_t)max_seq_length; /* sentence-transformers' call */
    stride = 0;
    st = BERT_TOK_LONGEST_FIRST;
    dir = BERT_TOK_RIGHT;
  } else if (!bert_tokenizer_get_truncation(tok, &cur, &stride, &st, &dir)) {
    cur = (size_t)max_seq;
  }
  if (cur > (size_t)max_seq)
    cur = (size_t)max_seq;
  if (stride >= cur)
    stride = 0;
  bert_tokenizer_set_truncation(tok, cur, stride, st, dir);
  /* Rows are padded here, to the longest of each batch. */
  bert_tokenizer_disable_padding(tok);
  return tok;
}

void bert_text_inputs_free(bert_text_inputs *in) {
  free(in->ids);
  free(in->type_ids);
  free(in->mask);
  free(in->offsets);
  free(in->word_ids);
  free(in->seq_ids);
  memset(in, 0, sizeof(*in));
}

/* Sequence ids of row `e` into seq_ids (-1 already everywhere): the
 * encoding does not keep them, but every post-processor of the BERT family
 * puts special tokens between the two texts, so the pair starts at the
 * first ordinary token after a special token that follows the text's
 * tokens; or at the first ordinary token when the text has none. */
static int sequence_ids(const bert_tokenizer_t *tok, const bert_encoding_t *e,
                        const char *text, size_t len, int pair,
                        int32_t *seq_ids) {
  int cur = 0, seen = 0;
  size_t j;
  if (pair) {
    bert_encoding_t *alone;
    int rc = bert_tokenizer_encode(tok, text, len, NULL, 0, 0, &alone);
    if (rc)
      return rc;
    cur = alone->length == 0;
    bert_encoding_destroy(alone);
  }
  for (j = 0; j < e->length; ++j) {
    if (e->special_tokens_mask[j] || !e->attention_mask[j]) {
      cur = pair && seen ? 1 : cur;
      continue;
    }
    seq_ids[j] = cur;
    seen |= cur == 0;
  }
  return 0;
}

int bert_text_encode(const bert_tokenizer_t *tok, size_t n,
                     const char *const *texts, const size_t *lens,
                     const char *const *pairs, const size_t *pair_lens,
                     bert_text_inputs *out) {
  bert_encoding_t **enc = calloc(n ? n : 1, sizeof(*enc));
  size_t i, j, seq = 1, cells;
  int rc;
  memset(out, 0, sizeof(*out));
  if (!enc)
    return BERT_TOK_ERR_NOMEM;
  rc = bert_tokenizer_encode_batch(tok, n, texts, lens, pairs, pair_lens, 1,
                                   enc);
  if (rc) {
    free(enc);
    return rc;
  }
  for (i = 0; i < n; ++i)
    if (enc[i]->length > seq)
      seq = enc[i]->length;
  cells = n * seq;
  out->batch = (int64_t)n;
  out->seq = (int64_t)seq;
  /* Padding: id 0, type 0, attention 0, offsets [0, 0). */
  out->ids = calloc(cells ? cells : 1, sizeof(int32_t));
  out->type_ids = calloc(cells ? cells : 1, sizeof(int32_t));
  out->mask = calloc(cells ? cells : 1, sizeof(int32_t));
  out->offsets = calloc(cells ? 2 * cells : 1, sizeof(uint32_t));
  out->word_ids = malloc((cells ? cells : 1) * sizeof(int32_t));
  out->seq_ids = malloc((cells ? cells : 1) * sizeof(int32_t));
  if (!out->ids || !out->type_ids || !out->mask || !out->offsets ||
      !out->word_ids || !out->seq_ids)
    rc = BERT_TOK_ERR_NOMEM;
  for (j = 0; !rc && j < cells; ++j)
    out->word_ids[j] = out->seq_ids[j] = -1;
  for (i = 0; i < n; ++i) {
    const bert_encoding_t *e = enc[i];
    for (j = 0; !rc && j < e->length; ++j) {
      out->ids[i * seq + j] = e->ids[j];
      out->type_ids[i * seq + j] = e->type_ids[j];
      out->mask[i * seq + j] = e->attention_mask[j];
      out->word_ids[i * seq + j] = e->word_ids[j];
    }
    if (!rc)
      memcpy(out->offsets + 2 * i * seq, e->offsets,
             2 * e->length * sizeof(uint32_t));
    if (!rc)
      rc = sequence_ids(tok, e, texts[i], lens[i], pairs && pairs[i],
                        out->seq_ids + i * seq);
    bert_encoding_destroy(enc[i]);
  }
  free(enc);
  if (rc)
    bert_text_inputs_free(out);
  return rc;
}

void bert_text_pool(const bert_text_pooling *pooling, const float *hidden,
                    const int32_t *mask, int64_t batch, int64_t seq,
                    int64_t hidden_size, float *emb) {
  int cls = !strcmp(pooling->mode, "cls"), max = !strcmp(pooling->mode, "max");
  int64_t b, s, h;
  for (b = 0; b < batch; ++b) {
    float *e = emb + b * hidden_size;
    double norm = 0;
    for (h = 0; h < hidden_size; ++h) {
      /* sentence-transformers sets masked positions to -1e9 for max. */
      double acc = max ? -1e9 : 0, count = 0;
      for (s = 0; s < (cls ? 1 : seq); ++s) {
        double v = hidden[(b * seq + s) * hidden_size + h];
        int m = mask && !cls ? mask[b * seq + s] : 1;
        if (max)
          acc = m && v > acc ? v : acc;
        else
          acc += m ? v : 0;
        count += m;
      }
      if (!max && !cls)
        acc /= count > 1e-9 ? count : 1e-9;
      e[h] = (float)acc;
      norm += (double)e[h] * e[h];
    }
    if (pooling->normalize) {
      norm = sqrt(norm);
      for (h = 0; h < hidden_size; ++h)
        e[h] = (float)(e[h] / (norm > 1e-12 ? norm : 1e-12));
    }
  }
}

double bert_text_cosine(const float *a, const float *b, int64_t n) {
  double ab = 0, aa = 0, bb = 0;
  int64_t i;
  for (i = 0; i < n; ++i) {
    ab += (double)a[i] * b[i];
    aa += (double)a[i] * a[i];
    bb += (double)b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}
