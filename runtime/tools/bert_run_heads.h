/*===- bert_run_heads.h - What a task head's logits say, for bert-run -----===*\
|*                                                                            *|
|* bert-run with texts on a library with a task head prints what the head     *|
|* means, not only its logits. The head is told by the library's outputs:     *|
|*                                                                            *|
|*   start_logits + end_logits [B, S]      question answering: the best span  *|
|*   logits [B, L]                         sequence classification: top labels*|
|*   logits / prediction_logits [B, S, V]  masked LM (V the vocab size): the  *|
|*                                         top tokens at each mask token      *|
|*   logits [B, S, L], L != V              token classification: entities     *|
|*                                                                            *|
|* Labels come from <name>.labels.json beside the library (`bertc compile     *|
|* MODEL_DIR` writes it from config.json's id2label; compiler/bertc/          *|
|* ModelDir.h), or transformers' default names LABEL_<i>. Everything here     *|
|* works on plain arrays, so that the tests can feed it known logits.         *|
|* Probabilities are softmaxes computed in double.                            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUN_HEADS_H
#define BERT_RUN_HEADS_H

#include "bert_runtime.h"
#include "bert_tokenizer.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  BERT_HEAD_NONE = 0,
  BERT_HEAD_SEQUENCE_CLASSIFICATION,
  BERT_HEAD_TOKEN_CLASSIFICATION,
  BERT_HEAD_QUESTION_ANSWERING,
  BERT_HEAD_MASKED_LM
} bert_head_kind;

/* The head of a library: its kind and the indices of the outputs it reads
 * (-1 where unused): logits for the classifiers and the masked LM, start
 * and end for question answering. */
typedef struct {
  bert_head_kind kind;
  int logits, start, end;
} bert_head;

/* Tells the head from the n outputs' names and shapes; vocab_size is the
 * model's (bert_model_vocab_size). Returns head->kind. */
bert_head_kind bert_head_detect(const bert_tensor_info *outputs, int n,
                                int64_t vocab_size, bert_head *head);
/* "sequence classification", ..., "none". */
const char *bert_head_name(bert_head_kind kind);

/* id2label in id order. */
typedef struct {
  int64_t n;
  char **names;
} bert_head_labels;

/* Reads a <name>.labels.json:
 *   {"format": "bertc-labels", "version": 1, "id2label": ["O", "B-PER", ...]}
 * Returns 0, or -1 with a message in err. */
int bert_head_read_labels(const char *path, bert_head_labels *labels, char *err,
                          size_t err_size);
void bert_head_labels_free(bert_head_labels *labels);
/* Name of label id: labels->names[id], or "LABEL_<id>" (transformers'
 * default) in buf when labels is NULL or has no such id. */
const char *bert_head_label(const bert_head_labels *labels, int64_t id,
                            char *buf, size_t buf_size);

/* Softmax of x[0, n) into p[0, n). */
void bert_head_softmax(const float *x, int64_t n, double *p);

/* The k most probable of n logits (softmax), most probable first, ties by
 * lower id: ids[i] and probs[i]. Returns min(k, n). */
int bert_head_top_k(const float *logits, int64_t n, int k, int32_t *ids,
                    double *probs);

/* A token classification entity: consecutive words whose labels are one
 * entity (see bert_head_entities): the label id of its first word and its
 * tag, that label's name from byte tag_offset on (2 after a B- or I-
 * prefix, else 0); the mean of its words' probabilities; the sequence it
 * lies in (0: the text, 1: the pair) and its bytes [begin, end) there; its
 * tokens [first_token, last_token]. */
typedef struct {
  int32_t label;
  int tag_offset;
  double score;
  int seq;
  uint32_t begin, end;
  int64_t first_token, last_token;
} bert_head_entity;

/* Entities of one row of token classification logits [seq_len, num_labels],
 * as transformers' pipeline("token-classification",
 * aggregation_strategy="first") groups them:
 *  - tokens with seq_ids -1 (special tokens, padding) are skipped;
 *  - a word is a token and the tokens after it with the same word id in the
 *    same sequence (word pieces); the word takes the argmax label of its
 *    first token, with that label's probability there;
 *  - consecutive words form one entity while the label is I-<tag> (or a
 *    label without a B-/I- prefix, which continues like I-) of the same tag
 *    as the entity; B-<tag>, another tag, or a special token between ends it;
 *  - entities tagged O are dropped.
 * labels gives the names (NULL: LABEL_<i>). word_ids NULL: every token is
 * a word. out must hold seq_len entities. Returns how many were written. */
size_t bert_head_entities(const float *logits, int64_t seq_len,
                          int64_t num_labels, const int32_t *seq_ids,
                          const int32_t *word_ids, const uint32_t *offsets,
                          const bert_head_labels *labels,
                          bert_head_entity *out);

/* A question answering span: tokens [start, end] and its bytes [begin, end)
 * in the context; score: the probability of the span, softmax of the start
 * and of the end logits over the context tokens multiplied; logit: the sum
 * of the two logits. */
typedef struct {
  int64_t start, end;
  uint32_t begin, end_byte;
  double score, logit;
} bert_head_span;

/* The span with the largest start + end logit among start <= end,
 * end - start < max_tokens, both in the context (seq_ids == context_seq).
 * Ties: the earliest start, then the shortest. Returns 0, or -1 when the
 * row has no context token. */
int bert_head_best_span(const float *start_logits, const float *end_logits,
                        int64_t seq_len, const int32_t *seq_ids,
                        const uint32_t *offsets, int context_seq,
                        int64_t max_tokens, bert_head_span *out);

/* Id of the tokenizer's mask token ([MASK] or <mask>), or -1. */
int32_t bert_head_mask_id(const bert_tokenizer_t *tok);

/* Everything bert-run has after a run with texts, for bert_head_print. */
typedef struct {
  bert_head head;
  const bert_head_labels *labels; /* may be NULL */
  const bert_tokenizer_t *tok;
  const bert_tensor_info *outputs; /* the library's outputs */
  float *const *data;              /* their buffers */
  int64_t batch, seq;
  const char *const *text, *const *pair; /* pair[b] NULL: none */
  const size_t *len, *pair_len;
  const int32_t *ids, *seq_ids, *word_ids; /* [batch, seq] */
  const uint32_t *offsets;                 /* [batch, seq, 2] */
} bert_head_results;

/* Prints, for each row, the head's results: as text, or with json one JSON
 * object per line. Returns 0, or -1 with a message in err (labels that
 * disagree with the logits, a question without its context). */
int bert_head_print(FILE *f, const bert_head_results *r, int json, char *err,
                    size_t err_size);

/* Writes s[0, n) as a JSON string (quotes, escapes; each byte that is not
 * part of well-formed UTF-8 becomes U+FFFD). */
void bert_head_json_string(FILE *f, const char *s, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUN_HEADS_H */
