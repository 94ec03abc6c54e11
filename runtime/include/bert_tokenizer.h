/*===- bert_tokenizer.h - Hugging Face tokenizer.json in C ----------------===*\
|*                                                                            *|
|* This header is the manual of berttok, the runtime's tokenizer library. It  *|
|* loads a Hugging Face `tokenizer.json` and turns text into the token ids,   *|
|* type ids, attention mask and byte offsets that the `tokenizers` Python     *|
|* package (0.23) produces for the same file and text, to the id.             *|
|*                                                                            *|
|* Usage:                                                                     *|
|*                                                                            *|
|*   #include "bert_tokenizer.h"                                              *|
|*                                                                            *|
|*   char err[256];                                                           *|
|*   bert_tokenizer_t *tok = bert_tokenizer_load("tokenizer.json", err,       *|
|*                                                sizeof(err));               *|
|*   if (!tok) { fprintf(stderr, "%s\n", err); return 1; }                    *|
|*   bert_encoding_t *enc;                                                    *|
|*   int rc = bert_tokenizer_encode(tok, "Hello", 5, NULL, 0, 1, &enc);       *|
|*   if (rc) fprintf(stderr, "%s\n", bert_tokenizer_status_string(rc));       *|
|*   else for (size_t i = 0; i < enc->length; ++i)                            *|
|*     printf("%d [%u, %u)\n", enc->ids[i], enc->offsets[2 * i],              *|
|*            enc->offsets[2 * i + 1]);                                       *|
|*   bert_encoding_destroy(enc);                                              *|
|*   bert_tokenizer_destroy(tok);                                             *|
|*                                                                            *|
|* What is implemented (anything else in a file is refused at load time with  *|
|* "tokenizer.json: <kind> type 'X' is not supported"):                       *|
|*  - normalizers: BertNormalizer, NFC, NFD, NFKC, NFKD, Lowercase, Strip,    *|
|*    StripAccents, Replace, Prepend, Precompiled (SentencePiece charsmap),   *|
|*    Sequence;                                                               *|
|*  - pre-tokenizers: BertPreTokenizer, Whitespace, WhitespaceSplit,          *|
|*    Punctuation, Split, ByteLevel, Metaspace, Digits, Sequence. Split and   *|
|*    Replace take a literal string or a regex; regexes go through a small    *|
|*    backtracking matcher (literals, classes, \s \S \w \W \d \D \p{..}       *|
|*    \P{..} for general categories, groups, alternation, greedy and lazy     *|
|*    quantifiers, (?=..) and (?!..), ^ and $) and a regex using anything     *|
|*    else is a load error that quotes it;                                    *|
|*  - models: WordPiece, BPE (merges by rank, byte_fallback, fuse_unk,        *|
|*    ignore_merges, continuing_subword_prefix, end_of_word_suffix; dropout   *|
|*    must be null or 0), Unigram (Viterbi, byte_fallback);                   *|
|*  - post-processors: TemplateProcessing, BertProcessing,                    *|
|*    RobertaProcessing, ByteLevel, Sequence;                                 *|
|*  - added tokens (special or not, single_word, lstrip, rstrip, normalized), *|
|*    truncation (LongestFirst, OnlyFirst, OnlySecond; Right or Left; stride) *|
|*    and padding (BatchLongest or Fixed, pad_to_multiple_of, Right or Left). *|
|* The decoder section is not used (this library encodes only) and is not     *|
|* checked.                                                                   *|
|*                                                                            *|
|* Text and invalid UTF-8: input is a byte string with an explicit length; it *|
|* may hold any bytes, NUL included. Each maximal ill-formed subsequence (the *|
|* Unicode "substitution of maximal subparts" practice, as Rust's             *|
|* String::from_utf8_lossy does) is read as one U+FFFD REPLACEMENT CHARACTER  *|
|* whose offsets span the bad bytes, so offsets always index the caller's     *|
|* bytes. Nothing the text holds can crash, hang, or read out of bounds; the  *|
|* cost is linear in the text length. Regex searches (Split, Replace) are     *|
|* backtracking but budgeted: one search over a string may take               *|
|* BERT_TOK_REGEX_STEP_LIMIT + 256 steps per byte; past that, the rest of     *|
|* the string counts as not matching (no real pattern comes near it).         *|
|*                                                                            *|
|* Offsets are byte offsets [begin, end) into the text (or the pair text for  *|
|* tokens of the second sequence), as `tokenizers` computes them (Python's    *|
|* offsets are in characters; the same span in bytes). Special and padding    *|
|* tokens have [0, 0).                                                        *|
|*                                                                            *|
|* Unicode: categories, normalization forms, case mapping and grapheme        *|
|* clusters come from libutf8proc (Debian's libutf8proc-dev). Where           *|
|* `tokenizers` answers from other tables (older ones for categories,         *|
|* combining marks and decompositions, a newer Rust for lowercase), the       *|
|* library follows `tokenizers` through exception tables generated from it    *|
|* (test/tools/gen_hf_unicode_tables.py; docs/tokenizer.md).                  *|
|*                                                                            *|
|* Ownership: a tokenizer owns everything it loaded; strings it returns stay  *|
|* valid until bert_tokenizer_destroy(). Encodings are owned by the caller    *|
|* and freed with bert_encoding_destroy() (one call frees all its arrays).    *|
|*                                                                            *|
|* Thread safety: a loaded tokenizer is immutable except through the          *|
|* bert_tokenizer_set_* functions; any number of threads may encode with it   *|
|* at once (each call allocates its own scratch memory). The setters must not *|
|* race with encoding.                                                        *|
|*                                                                            *|
|* Errors: functions return a bert_tok_status (0 is success) or NULL; loading *|
|* writes a message (file, JSON path and what was wrong) into the caller's    *|
|* buffer. A file that is corrupt, truncated or uses an unsupported component *|
|* is refused whole; no partly loaded tokenizer is ever returned.             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_TOKENIZER_H
#define BERT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Each status: its name, its number and the message
 * bert_tokenizer_status_string gives for it (one list for both). */
#define BERT_TOK_STATUS_LIST(X)                                                \
  X(BERT_TOK_OK, 0, "success")                                                 \
  /* The file could not be opened or read. */                                  \
  X(BERT_TOK_ERR_IO, 1, "the tokenizer file could not be read")                \
  /* The file is not valid JSON, or a field has the wrong type or value. */    \
  X(BERT_TOK_ERR_FORMAT, 2, "the tokenizer file is malformed")                 \
  /* The file uses a component, option or regex this library lacks. */         \
  X(BERT_TOK_ERR_UNSUPPORTED, 3,                                               \
    "the tokenizer uses a component this library does not support")            \
  /* Out of memory. */                                                         \
  X(BERT_TOK_ERR_NOMEM, 4, "out of memory")                                    \
  /* A NULL pointer, a text longer than BERT_TOK_MAX_TEXT_BYTES, or a          \
   * setter's argument out of range. */                                        \
  X(BERT_TOK_ERR_ARGUMENT, 5, "invalid argument")                              \
  /* Truncation cannot honour max_length: the sequence it may shorten is too   \
   * short (OnlyFirst / OnlySecond), OnlySecond without a pair, or stride is   \
   * not below the length left for a sequence (tokenizers raises too). */      \
  X(BERT_TOK_ERR_TRUNCATION, 6,                                                \
    "truncation cannot respect max_length (sequence too short, no second "     \
    "sequence, or stride not below the length left)")                          \
  /* The model needed its unknown token and the file defines none. */          \
  X(BERT_TOK_ERR_NO_UNK, 7, "the model needs an unknown token and has none")

typedef enum {
#define BERT_TOK_STATUS_ENUMERATOR(name, value, message) name = value,
  BERT_TOK_STATUS_LIST(BERT_TOK_STATUS_ENUMERATOR)
#undef BERT_TOK_STATUS_ENUMERATOR
} bert_tok_status;

/* Longest text (each of the pair) accepted by the encode functions. Offsets
 * are 32-bit. */
#define BERT_TOK_MAX_TEXT_BYTES ((size_t)1 << 30)

/* Base of the step budget of one regex search over a string (plus 256
 * steps per byte of the string). The patterns real tokenizers use need a
 * few steps per character; the budget only stops pathological patterns
 * from taking exponential time. */
#define BERT_TOK_REGEX_STEP_LIMIT 1000000

typedef struct bert_tokenizer bert_tokenizer_t;

/* The result of encoding one text or pair. All arrays have `length`
 * elements (offsets: 2 * length, begin then end of each token).
 * overflowing: when truncation cut tokens off, the other windows of
 * max_length tokens (overlapping by stride), post-processed and padded like
 * the first, in tokenizers' order (Encoding.overflowing); they have no
 * windows of their own. All of it is freed by bert_encoding_destroy(). */
typedef struct bert_encoding {
  size_t length;
  int32_t *ids;
  int32_t *type_ids;
  int32_t *attention_mask;      /* 1 for tokens, 0 for padding */
  int32_t *special_tokens_mask; /* 1 for special and padding tokens */
  int32_t *word_ids;            /* pre-token index, -1 for special/pad */
  uint32_t *offsets;
  size_t num_overflowing;
  struct bert_encoding **overflowing;
} bert_encoding_t;

typedef enum {
  BERT_TOK_LONGEST_FIRST = 0,
  BERT_TOK_ONLY_FIRST = 1,
  BERT_TOK_ONLY_SECOND = 2
} bert_tok_truncation_strategy;

typedef enum { BERT_TOK_RIGHT = 0, BERT_TOK_LEFT = 1 } bert_tok_direction;

/* Short English description of a status; static, never NULL. */
const char *bert_tokenizer_status_string(int status);

/* Loads a tokenizer.json file. Returns NULL on failure and writes a
 * message into err (err may be NULL; messages are cut to err_size). */
bert_tokenizer_t *bert_tokenizer_load(const char *path, char *err,
                                      size_t err_size);

/* Same from a JSON text in memory (json[0, len); not NUL-terminated;
 * the tokenizer keeps no pointer into it). `name` prefixes messages. */
bert_tokenizer_t *bert_tokenizer_load_buffer(const char *json, size_t len,
                                             const char *name, char *err,
                                             size_t err_size);

void bert_tokenizer_destroy(bert_tokenizer_t *tok);

/* Encodes text[0, len), and pair[0, pair_len) as the second sequence when
 * pair is not NULL, with the file's truncation and padding (or those set
 * below). add_special_tokens: apply the post-processor's special tokens
 * ([CLS], [SEP], <s>, ...), as tokenizers' encode(..., add_special_tokens).
 * On success *out is a new encoding; on failure *out is NULL. */
int bert_tokenizer_encode(const bert_tokenizer_t *tok, const char *text,
                          size_t len, const char *pair, size_t pair_len,
                          int add_special_tokens, bert_encoding_t **out);

/* Encodes n texts (pairs[i] NULL or pairs NULL: no pair) as one batch:
 * like encode_batch in tokenizers, so BatchLongest padding pads to the
 * longest of the batch. out[0, n) receives the encodings; on failure none
 * is returned (all set to NULL) and the status says why. */
int bert_tokenizer_encode_batch(const bert_tokenizer_t *tok, size_t n,
                                const char *const *texts, const size_t *lens,
                                const char *const *pairs,
                                const size_t *pair_lens, int add_special_tokens,
                                bert_encoding_t **out);

void bert_encoding_destroy(bert_encoding_t *enc);

/* Encodes n texts (pairs as in encode_batch) straight into a model's input
 * buffers, each [n, seq_len] row-major int32 as bert_run() takes them
 * (bert_runtime.h): row i holds text i's ids from column 0, then padding
 * (the file's pad id and pad type id, or 0; attention 0) up to seq_len,
 * whatever the tokenizer's own padding setting. token_type_ids, attention_mask
 * and lengths (tokens before padding, per row) may be NULL. The tokenizer's
 * truncation applies first (set max_length to seq_len to cut long texts);
 * an encoding still longer than seq_len is BERT_TOK_ERR_TRUNCATION. On
 * failure the buffers' contents are unspecified. */
int bert_tokenizer_encode_to_inputs(
    const bert_tokenizer_t *tok, size_t n, const char *const *texts,
    const size_t *lens, const char *const *pairs, const size_t *pair_lens,
    int add_special_tokens, size_t seq_len, int32_t *input_ids,
    int32_t *token_type_ids, int32_t *attention_mask, size_t *lengths);

/* Truncation: max_length tokens in all (special tokens included), stride
 * tokens of overlap between the overflowing windows. */
int bert_tokenizer_set_truncation(bert_tokenizer_t *tok, size_t max_length,
                                  size_t stride,
                                  bert_tok_truncation_strategy strategy,
                                  bert_tok_direction direction);
void bert_tokenizer_disable_truncation(bert_tokenizer_t *tok);
/* Reads the current truncation; returns 0 when none is set. */
int bert_tokenizer_get_truncation(const bert_tokenizer_t *tok,
                                  size_t *max_length, size_t *stride,
                                  bert_tok_truncation_strategy *strategy,
                                  bert_tok_direction *direction);

/* Padding: fixed_length 0 pads a batch to its longest encoding, else to
 * fixed_length; then up to a multiple of pad_to_multiple_of (0: none).
 * pad_token is the token string the pad id stands for (copied). */
int bert_tokenizer_set_padding(bert_tokenizer_t *tok, size_t fixed_length,
                               size_t pad_to_multiple_of, int32_t pad_id,
                               int32_t pad_type_id, const char *pad_token,
                               bert_tok_direction direction);
void bert_tokenizer_disable_padding(bert_tokenizer_t *tok);

/* Id of a token string (added tokens first, then the model's vocabulary),
 * or -1. */
int32_t bert_tokenizer_token_to_id(const bert_tokenizer_t *tok,
                                   const char *token, size_t len);

/* Token string of an id (added tokens first, then the model's vocabulary),
 * or NULL. Owned by the tokenizer; *len receives its length if non-NULL. */
const char *bert_tokenizer_id_to_token(const bert_tokenizer_t *tok, int32_t id,
                                       size_t *len);

/* Size of the model's vocabulary plus added tokens that are not in it. */
size_t bert_tokenizer_vocab_size(const bert_tokenizer_t *tok);

/* Number of special tokens the post-processor adds to a single text
 * (pair = 0) or a pair (pair = 1). */
size_t bert_tokenizer_num_special_tokens(const bert_tokenizer_t *tok, int pair);

#ifdef __cplusplus
}
#endif

#endif /* BERT_TOKENIZER_H */
