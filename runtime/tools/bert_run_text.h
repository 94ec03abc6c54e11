/*===- bert_run_text.h - Text in, sentence embeddings out -----------------===*\
|*                                                                            *|
|* The text side of bert-run, shared with examples/embed_text.c: the files    *|
|* `bertc compile MODEL_DIR` writes beside a library (<name>.tokenizer.json,  *|
|* <name>.pooling.json; compiler/bertc/ModelDir.h describes them), a batch of *|
|* texts tokenized into a model's inputs, and sentence-transformers' pooling. *|
|* C99, on the runtime's JSON and file readers and the tokenizer's C API.     *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUN_TEXT_H
#define BERT_RUN_TEXT_H

#include "bert_tokenizer.h"
#include "json.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* sentence-transformers' Pooling (and Normalize), as <name>.pooling.json
 * records it. */
typedef struct {
  char mode[8];           /* "mean", "cls", "max", or "" for none */
  int normalize;          /* L2-normalize the pooled vector */
  int64_t max_seq_length; /* truncation in tokens; 0: none */
} bert_text_pooling;

/* "<folder of lib_path>/<model_name>.<suffix>" into out (out_size bytes);
 * returns 1 when that is an existing file, else 0. */
int bert_text_beside(const char *lib_path, const char *model_name,
                     const char *suffix, char *out, size_t out_size);

/* Reads one of the bertc-written JSON files beside a library: an object
 * with "format": format and "version": 1, then check(doc, ctx) (NULL or
 * what is wrong). Returns 0, or -1 with "<path>: <problem>" in err. */
int bert_text_read_desc(const char *path, const char *format, size_t max_bytes,
                        const char *(*check)(const bert_json_doc *, void *),
                        void *ctx, char *err, size_t err_size);

/* Reads a <name>.pooling.json. Returns 0, or -1 with a message in err. */
int bert_text_read_pooling(const char *path, bert_text_pooling *pooling,
                           char *err, size_t err_size);

/* Sets pooling->mode from "mean", "cls", "max" or "none" (normalize and
 * max_seq_length untouched); returns 0, or -1 for another word. */
int bert_text_pooling_mode(const char *word, bert_text_pooling *pooling);

/* Loads a tokenizer.json for a library of at most max_seq tokens: texts are
 * truncated to max_seq_length tokens when it is set (as sentence-transformers
 * does, whatever the file says), else to the file's own truncation, and
 * never beyond max_seq. NULL on failure, with a message in err. */
bert_tokenizer_t *bert_text_load_tokenizer(const char *path, int64_t max_seq,
                                           int64_t max_seq_length, char *err,
                                           size_t err_size);

/* Tokenized texts as a model's [batch, seq] int32 inputs (seq: the longest
 * encoding, padding after it) and each token's byte offsets
 * (offsets[2 * (b * seq + s)], begin and end; [0, 0) for special tokens and
 * padding), word ids (the tokenizer's pre-token index, restarting in the
 * pair; -1 for special tokens and padding) and sequence ids (0: the text,
 * 1: the pair, -1: a special token or padding; what tokenizers'
 * Encoding.sequence_ids gives). Free with bert_text_inputs_free. */
typedef struct {
  int64_t batch, seq;
  int32_t *ids, *type_ids, *mask;
  uint32_t *offsets;
  int32_t *word_ids, *seq_ids;
} bert_text_inputs;

/* Encodes n texts (pairs[i] the second text of row i, or NULL; pairs may
 * be NULL) with special tokens. Returns 0, or a bert_tok_status. */
int bert_text_encode(const bert_tokenizer_t *tok, size_t n,
                     const char *const *texts, const size_t *lens,
                     const char *const *pairs, const size_t *pair_lens,
                     bert_text_inputs *out);
void bert_text_inputs_free(bert_text_inputs *in);

/* sentence-transformers' pooling of last_hidden_state [batch, seq, hidden]
 * into emb [batch, hidden]: the mean or max over the positions whose mask
 * is 1, or the first token; then x / max(|x|_2, 1e-12) with normalize.
 * mask may be NULL (every position counts). Sums are in double. */
void bert_text_pool(const bert_text_pooling *pooling, const float *hidden,
                    const int32_t *mask, int64_t batch, int64_t seq,
                    int64_t hidden_size, float *emb);

/* Cosine similarity of two vectors of n floats (0 when one is zero). */
double bert_text_cosine(const float *a, const float *b, int64_t n);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUN_TEXT_H */
