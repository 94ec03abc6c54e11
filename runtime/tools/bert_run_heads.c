/*===- bert_run_heads.c - What a task head's logits say, for bert-run -----===*\
|*                                                                            *|
|* See bert_run_heads.h.                                                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_run_heads.h"
#include "bert_run_text.h"
#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The longest span question answering considers, in tokens. */
#define QA_MAX_TOKENS 30
/* Labels and mask predictions shown per row. */
#define TOP_LABELS 3
#define TOP_TOKENS 5

/* Indexed by bert_head_kind (bert_run_heads.h). */
static const char *const head_names[] = {"none", "sequence classification",
                                         "token classification",
                                         "question answering", "masked LM"};
BERT_STATIC_ASSERT(BERT_COUNT(head_names) == BERT_HEAD_MASKED_LM + 1,
                   head_names_cover_every_kind);

const char *bert_head_name(bert_head_kind kind) {
  return bert_code_string(head_names, BERT_COUNT(head_names), kind, "none");
}

bert_head_kind bert_head_detect(const bert_tensor_info *outputs, int n,
                                int64_t vocab_size, bert_head *head) {
  int i, logits = -1, mlm = -1;
  head->kind = BERT_HEAD_NONE;
  head->logits = head->start = head->end = -1;
  for (i = 0; i < n; ++i) {
    const bert_tensor_info *t = &outputs[i];
    if (!strcmp(t->name, "start_logits") && t->rank == 2)
      head->start = i;
    else if (!strcmp(t->name, "end_logits") && t->rank == 2)
      head->end = i;
    else if (!strcmp(t->name, "logits"))
      logits = i;
    else if (!strcmp(t->name, "prediction_logits"))
      mlm = i; /* BertForPreTraining, AlbertForPreTraining */
  }
  if (head->start >= 0 && head->end >= 0) {
    head->kind = BERT_HEAD_QUESTION_ANSWERING;
    return head->kind;
  }
  head->start = head->end = -1;
  if (logits < 0 && mlm >= 0 && outputs[mlm].rank == 3 &&
      outputs[mlm].dims[2] == vocab_size)
    logits = mlm;
  if (logits < 0)
    return head->kind;
  head->logits = logits;
  if (outputs[logits].rank == 2)
    head->kind = BERT_HEAD_SEQUENCE_CLASSIFICATION;
  else if (outputs[logits].rank == 3)
    head->kind = outputs[logits].dims[2] == vocab_size
                     ? BERT_HEAD_MASKED_LM
                     : BERT_HEAD_TOKEN_CLASSIFICATION;
  else
    head->logits = -1;
  return head->kind;
}

/* ---- labels ---- */

void bert_head_labels_free(bert_head_labels *labels) {
  int64_t i;
  for (i = 0; i < labels->n; ++i)
    free(labels->names[i]);
  free(labels->names);
  labels->names = NULL;
  labels->n = 0;
}

/* The labels of a labels file; NULL or what is wrong. */
static const char *check_labels(const bert_json_doc *doc, void *ctx) {
  bert_head_labels *labels = ctx;
  const bert_json_value *v = bert_json_get(doc, doc->nodes, "id2label"), *e;
  const char *s;
  size_t len;
  if (!v || bert_json_type_of(v) != BERT_JSON_ARRAY || !bert_json_count(v))
    return "\"id2label\": expected a non-empty array of strings";
  labels->names = calloc((size_t)bert_json_count(v), sizeof(char *));
  if (!labels->names)
    return "out of memory";
  for (e = bert_json_first(doc, v); e; e = bert_json_next(doc, e)) {
    s = bert_json_string(doc, e, &len);
    if (!s || memchr(s, '\0', len))
      return "\"id2label\": expected a non-empty array of strings";
    if (!(labels->names[labels->n] = malloc(len + 1)))
      return "out of memory";
    memcpy(labels->names[labels->n++], s, len + 1);
  }
  return NULL;
}

int bert_head_read_labels(const char *path, bert_head_labels *labels, char *err,
                          size_t err_size) {
  labels->n = 0;
  labels->names = NULL;
  if (!bert_text_read_desc(path, "bertc-labels", 16 << 20, check_labels, labels,
                           err, err_size))
    return 0;
  bert_head_labels_free(labels);
  return -1;
}

const char *bert_head_label(const bert_head_labels *labels, int64_t id,
                            char *buf, size_t buf_size) {
  if (labels && id >= 0 && id < labels->n)
    return labels->names[id];
  snprintf(buf, buf_size, "LABEL_%lld", (long long)id);
  return buf;
}

/* ---- probabilities ---- */

void bert_head_softmax(const float *x, int64_t n, double *p) {
  double mx = -INFINITY, sum = 0;
  int64_t i;
  for (i = 0; i < n; ++i)
    mx = x[i] > mx ? x[i] : mx;
  for (i = 0; i < n; ++i)
    sum += p[i] = exp((double)x[i] - mx);
  for (i = 0; i < n; ++i)
    p[i] /= sum;
}

int bert_head_top_k(const float *logits, int64_t n, int k, int32_t *ids,
                    double *probs) {
  double *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
  int found = 0;
  if (!p || n <= 0) {
    free(p);
    return 0;
  }
  bert_head_softmax(logits, n, p);
  for (; found < k && found < n; ++found) {
    int64_t i, best = -1;
    for (i = 0; i < n; ++i)
      if (p[i] >= 0 && (best < 0 || p[i] > p[best]))
        best = i;
    if (best < 0)
      break; /* NaN logits */
    ids[found] = (int32_t)best;
    probs[found] = p[best];
    p[best] = -1; /* taken */
  }
  free(p);
  return found;
}

/* ---- token classification ---- */

/* The argmax of row[0, n) and its probability. */
static int32_t argmax_prob(const float *row, int64_t n, double *prob) {
  double mx = -INFINITY, sum = 0;
  int64_t i, best = 0;
  for (i = 0; i < n; ++i)
    if (row[i] > mx) {
      mx = row[i];
      best = i;
    }
  for (i = 0; i < n; ++i)
    sum += exp((double)row[i] - mx);
  *prob = 1 / sum;
  return (int32_t)best;
}

/* 'B' or 'I' from a label's prefix (no prefix: 'I', as transformers'
 * get_tag); *offset: where the tag starts. */
static char label_bi(const char *name, int *offset) {
  if ((name[0] == 'B' || name[0] == 'I') && name[1] == '-') {
    *offset = 2;
    return name[0];
  }
  *offset = 0;
  return 'I';
}

/* Appends the open entity e to out unless it is O. */
static void close_entity(const bert_head_entity *e, int64_t words,
                         const bert_head_labels *labels, bert_head_entity *out,
                         size_t *n) {
  char buf[32];
  const char *tag;
  if (!words)
    return;
  tag = bert_head_label(labels, e->label, buf, sizeof(buf)) + e->tag_offset;
  if (!strcmp(tag, "O"))
    return;
  out[*n] = *e;
  out[*n].score = e->score / (double)words;
  ++*n;
}

size_t bert_head_entities(const float *logits, int64_t seq_len,
                          int64_t num_labels, const int32_t *seq_ids,
                          const int32_t *word_ids, const uint32_t *offsets,
                          const bert_head_labels *labels,
                          bert_head_entity *out) {
  bert_head_entity cur;
  int64_t s = 0, words = 0;
  size_t n = 0;
  memset(&cur, 0, sizeof(cur));
  while (s < seq_len) {
    char buf[32], cbuf[32], bi;
    const char *name;
    double prob;
    int32_t label;
    int offset;
    int64_t w = s + 1;
    if (seq_ids[s] < 0) { /* a special token or padding ends an entity */
      close_entity(&cur, words, labels, out, &n);
      words = 0;
      ++s;
      continue;
    }
    /* The word: its first piece and the pieces after it. */
    while (word_ids && w < seq_len && seq_ids[w] == seq_ids[s] &&
           word_ids[w] == word_ids[s] && word_ids[s] >= 0)
      ++w;
    label = argmax_prob(logits + s * num_labels, num_labels, &prob);
    name = bert_head_label(labels, label, buf, sizeof(buf));
    bi = label_bi(name, &offset);
    if (words && bi != 'B' && cur.seq == seq_ids[s] &&
        !strcmp(name + offset,
                bert_head_label(labels, cur.label, cbuf, sizeof(cbuf)) +
                    cur.tag_offset)) {
      cur.score += prob;
      cur.end = offsets[2 * (w - 1) + 1];
      cur.last_token = w - 1;
      ++words;
    } else {
      close_entity(&cur, words, labels, out, &n);
      cur.label = label;
      cur.tag_offset = offset;
      cur.score = prob;
      cur.seq = seq_ids[s];
      cur.begin = offsets[2 * s];
      cur.end = offsets[2 * (w - 1) + 1];
      cur.first_token = s;
      cur.last_token = w - 1;
      words = 1;
    }
    s = w;
  }
  close_entity(&cur, words, labels, out, &n);
  return n;
}

/* ---- question answering ---- */

/* log of the sum of exp(x[i]) over the context tokens. */
static double context_logsumexp(const float *x, int64_t n, const int32_t *seq,
                                int context) {
  double mx = -INFINITY, sum = 0;
  int64_t i;
  for (i = 0; i < n; ++i)
    if (seq[i] == context && x[i] > mx)
      mx = x[i];
  for (i = 0; i < n; ++i)
    if (seq[i] == context)
      sum += exp((double)x[i] - mx);
  return mx + log(sum);
}

int bert_head_best_span(const float *start_logits, const float *end_logits,
                        int64_t seq_len, const int32_t *seq_ids,
                        const uint32_t *offsets, int context_seq,
                        int64_t max_tokens, bert_head_span *out) {
  int64_t s, e, best_s = -1, best_e = -1;
  double best = -INFINITY;
  for (s = 0; s < seq_len; ++s) {
    if (seq_ids[s] != context_seq)
      continue;
    for (e = s; e < seq_len && e - s < max_tokens; ++e) {
      double v;
      if (seq_ids[e] != context_seq)
        break; /* the context is one run of tokens */
      v = (double)start_logits[s] + end_logits[e];
      if (best_s < 0 || v > best) {
        best = v;
        best_s = s;
        best_e = e;
      }
    }
  }
  if (best_s < 0)
    return -1;
  out->start = best_s;
  out->end = best_e;
  out->begin = offsets[2 * best_s];
  out->end_byte = offsets[2 * best_e + 1];
  out->logit = best;
  out->score = exp(
      best - context_logsumexp(start_logits, seq_len, seq_ids, context_seq) -
      context_logsumexp(end_logits, seq_len, seq_ids, context_seq));
  return 0;
}

/* ---- masked LM ---- */

int32_t bert_head_mask_id(const bert_tokenizer_t *tok) {
  int32_t id = bert_tokenizer_token_to_id(tok, "[MASK]", 6);
  return id >= 0 ? id : bert_tokenizer_token_to_id(tok, "<mask>", 6);
}

/* ---- printing ---- */

void bert_head_json_string(FILE *f, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  fputc('"', f);
  while (i < n) {
    unsigned c = p[i];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xC2 && c <= 0xDF ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0,
           k;
    int ok = len > 0 && i + len <= n;
    for (k = 1; ok && k < len; ++k) {
      unsigned lo = 0x80, hi = 0xBF;
      if (k == 1 && c == 0xE0)
        lo = 0xA0; /* overlong */
      if (k == 1 && c == 0xED)
        hi = 0x9F; /* surrogates */
      if (k == 1 && c == 0xF0)
        lo = 0x90; /* overlong */
      if (k == 1 && c == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
      ok = p[i + k] >= lo && p[i + k] <= hi;
    }
    if (!ok) {
      fputs("\\ufffd", f);
      ++i;
    } else if (c == '"' || c == '\\') {
      fprintf(f, "\\%c", c);
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      fprintf(f, "\\u%04x", c);
      ++i;
    } else {
      fwrite(p + i, 1, len, f);
      i += len;
    }
  }
  fputc('"', f);
}

/* A number as JSON: non-finite values become null. */
static void json_number(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, "%.6g", v);
  else
    fputs("null", f);
}

/* Row b's head of a JSON object, or of the text output. */
static void print_row_start(FILE *f, const bert_head_results *r, int64_t b,
                            int json, const char *first, const char *second) {
  if (json) {
    fprintf(f, "{\"index\": %lld, \"%s\": ", (long long)b, first);
    bert_head_json_string(f, r->text[b], r->len[b]);
    if (r->pair && r->pair[b]) {
      fprintf(f, ", \"%s\": ", second);
      bert_head_json_string(f, r->pair[b], r->pair_len[b]);
    }
    return;
  }
  fprintf(f, "[%lld] ", (long long)b);
  if (r->pair && r->pair[b])
    fprintf(f, "%s ", first);
  fprintf(f, "\"%.*s\"", (int)r->len[b], r->text[b]);
  if (r->pair && r->pair[b])
    fprintf(f, " %s \"%.*s\"", second, (int)r->pair_len[b], r->pair[b]);
  fputc('\n', f);
}

static void print_classes(FILE *f, const bert_head_results *r, int64_t b,
                          int json, int64_t num_labels) {
  int32_t ids[TOP_LABELS];
  double probs[TOP_LABELS];
  char buf[32];
  int k, n = bert_head_top_k(r->data[r->head.logits] + b * num_labels,
                             num_labels, TOP_LABELS, ids, probs);
  print_row_start(f, r, b, json, "text", "pair");
  if (json)
    fputs(", \"labels\": [", f);
  for (k = 0; k < n; ++k) {
    const char *name = bert_head_label(r->labels, ids[k], buf, sizeof(buf));
    if (json) {
      fprintf(f, "%s{\"label\": ", k ? ", " : "");
      bert_head_json_string(f, name, strlen(name));
      fputs(", \"score\": ", f);
      json_number(f, probs[k]);
      fputs("}", f);
    } else {
      fprintf(f, "  %-20s %.4f\n", name, probs[k]);
    }
  }
  if (json)
    fputs("]}\n", f);
}

/* The bytes of an entity's or answer's span in row b's text or pair. */
static const char *span_text(const bert_head_results *r, int64_t b, int seq,
                             uint32_t begin, uint32_t end, size_t *len) {
  const char *s = seq ? r->pair[b] : r->text[b];
  size_t n = seq ? r->pair_len[b] : r->len[b];
  if (end > n || begin > end)
    begin = end = 0;
  *len = end - begin;
  return s + begin;
}

static int print_entities(FILE *f, const bert_head_results *r, int64_t b,
                          int json, int64_t num_labels) {
  size_t i, n, len;
  bert_head_entity *e = malloc((size_t)r->seq * sizeof(*e));
  int64_t row = b * r->seq;
  if (!e)
    return -1;
  n = bert_head_entities(r->data[r->head.logits] + row * num_labels, r->seq,
                         num_labels, r->seq_ids + row, r->word_ids + row,
                         r->offsets + 2 * row, r->labels, e);
  print_row_start(f, r, b, json, "text", "pair");
  if (json)
    fputs(", \"entities\": [", f);
  else if (!n)
    fputs("  (no entities)\n", f);
  for (i = 0; i < n; ++i) {
    char buf[32];
    const char *tag = bert_head_label(r->labels, e[i].label, buf, sizeof(buf)) +
                      e[i].tag_offset;
    const char *s = span_text(r, b, e[i].seq, e[i].begin, e[i].end, &len);
    if (json) {
      fprintf(f, "%s{\"label\": ", i ? ", " : "");
      bert_head_json_string(f, tag, strlen(tag));
      fputs(", \"score\": ", f);
      json_number(f, e[i].score);
      fprintf(f, ", \"sequence\": %d, \"start\": %u, \"end\": %u, \"text\": ",
              e[i].seq, e[i].begin, e[i].end);
      bert_head_json_string(f, s, len);
      fputs("}", f);
    } else {
      fprintf(f, "  %-12s %.4f  [%u, %u)%s  \"%.*s\"\n", tag, e[i].score,
              e[i].begin, e[i].end, e[i].seq ? " of the pair" : "", (int)len,
              s);
    }
  }
  if (json)
    fputs("]}\n", f);
  free(e);
  return 0;
}

static void print_answer(FILE *f, const bert_head_results *r, int64_t b,
                         int json) {
  bert_head_span sp;
  int64_t row = b * r->seq;
  size_t len = 0;
  const char *s = NULL;
  int found = !bert_head_best_span(
      r->data[r->head.start] + row, r->data[r->head.end] + row, r->seq,
      r->seq_ids + row, r->offsets + 2 * row, 1, QA_MAX_TOKENS, &sp);
  if (found)
    s = span_text(r, b, 1, sp.begin, sp.end_byte, &len);
  print_row_start(f, r, b, json, "question", "context");
  if (!json) {
    if (found)
      fprintf(f,
              "  answer: \"%.*s\"  bytes [%u, %u) of the context, tokens "
              "[%lld, %lld], score %.4f (logits %.4f)\n",
              (int)len, s, sp.begin, sp.end_byte, (long long)sp.start,
              (long long)sp.end, sp.score, sp.logit);
    else
      fputs("  (no context tokens: no answer)\n", f);
    return;
  }
  fputs(", \"answer\": ", f);
  if (!found) {
    fputs("null}\n", f);
    return;
  }
  bert_head_json_string(f, s, len);
  fprintf(f,
          ", \"start\": %u, \"end\": %u, \"start_token\": %lld, "
          "\"end_token\": %lld, \"score\": ",
          sp.begin, sp.end_byte, (long long)sp.start, (long long)sp.end);
  json_number(f, sp.score);
  fputs(", \"logit\": ", f);
  json_number(f, sp.logit);
  fputs("}\n", f);
}

static void print_masks(FILE *f, const bert_head_results *r, int64_t b,
                        int json, int64_t vocab) {
  int32_t mask = bert_head_mask_id(r->tok), ids[TOP_TOKENS];
  double probs[TOP_TOKENS];
  int64_t s, row = b * r->seq, masks = 0;
  print_row_start(f, r, b, json, "text", "pair");
  if (json)
    fputs(", \"masks\": [", f);
  for (s = 0; mask >= 0 && s < r->seq; ++s) {
    int k, n;
    if (r->ids[row + s] != mask)
      continue;
    n = bert_head_top_k(r->data[r->head.logits] + (row + s) * vocab, vocab,
                        TOP_TOKENS, ids, probs);
    if (json)
      fprintf(f, "%s{\"token\": %lld, \"predictions\": [", masks ? ", " : "",
              (long long)s);
    else
      fprintf(f, "  mask at token %lld:", (long long)s);
    for (k = 0; k < n; ++k) {
      size_t len = 0;
      const char *t = bert_tokenizer_id_to_token(r->tok, ids[k], &len);
      if (json) {
        fprintf(f, "%s{\"id\": %d, \"token\": ", k ? ", " : "", ids[k]);
        if (t)
          bert_head_json_string(f, t, len);
        else
          fputs("null", f);
        fputs(", \"score\": ", f);
        json_number(f, probs[k]);
        fputs("}", f);
      } else if (t) {
        fprintf(f, "%s %.*s %.4f", k ? "," : "", (int)len, t, probs[k]);
      } else {
        fprintf(f, "%s [id %d] %.4f", k ? "," : "", ids[k], probs[k]);
      }
    }
    fputs(json ? "]}" : "\n", f);
    ++masks;
  }
  if (json)
    fputs("]}\n", f);
  else if (!masks)
    fputs("  (no mask token)\n", f);
}

int bert_head_print(FILE *f, const bert_head_results *r, int json, char *err,
                    size_t err_size) {
  const bert_head *h = &r->head;
  int64_t b, classes = 0;
  if (h->kind == BERT_HEAD_NONE) {
    snprintf(err, err_size, "the model has no task head");
    return -1;
  }
  if (h->logits >= 0) {
    const bert_tensor_info *t = &r->outputs[h->logits];
    classes = t->dims[t->rank - 1];
  }
  if ((h->kind == BERT_HEAD_SEQUENCE_CLASSIFICATION ||
       h->kind == BERT_HEAD_TOKEN_CLASSIFICATION) &&
      r->labels && r->labels->n != classes) {
    snprintf(err, err_size,
             "the labels name %lld classes, the model's %s has %lld",
             (long long)r->labels->n, r->outputs[h->logits].name,
             (long long)classes);
    return -1;
  }
  for (b = 0; h->kind == BERT_HEAD_QUESTION_ANSWERING && b < r->batch; ++b)
    if (!r->pair || !r->pair[b]) {
      snprintf(err, err_size,
               "question answering takes --text QUESTION --text-pair CONTEXT "
               "(text %lld has no context)",
               (long long)b);
      return -1;
    }
  for (b = 0; b < r->batch; ++b) {
    switch (h->kind) {
    case BERT_HEAD_SEQUENCE_CLASSIFICATION:
      print_classes(f, r, b, json, classes);
      break;
    case BERT_HEAD_TOKEN_CLASSIFICATION:
      if (print_entities(f, r, b, json, classes)) {
        snprintf(err, err_size, "out of memory");
        return -1;
      }
      break;
    case BERT_HEAD_QUESTION_ANSWERING:
      print_answer(f, r, b, json);
      break;
    default:
      print_masks(f, r, b, json, classes);
    }
  }
  return 0;
}
