/*===- tok_internal.h - berttok's internal types --------------------------===*\
|*                                                                            *|
|* The tokenizer mirrors the stages of Hugging Face `tokenizers` one to one   *|
|* (added-token extraction, normalizer, pre-tokenizer, model, post-processor, *|
|* truncation, padding) because exactness depends on doing the same steps     *|
|* in the same order: offsets in particular follow from how each stage edits  *|
|* its string. A normalized string is therefore kept as in `tokenizers`: the  *|
|* UTF-8 text plus, for every byte, the span of input bytes it came from.     *|
|*                                                                            *|
|* Memory: all scratch of one encode call lives in an arena freed at the end  *|
|* of the call, so the hot path never mallocs per character or per word.      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_TOKENIZER_INTERNAL_H
#define BERT_TOKENIZER_INTERNAL_H

#include "bert_tokenizer.h"

#include <stddef.h>
#include <stdint.h>

/*===--- Arena ------------------------------------------------------------===*/

typedef struct tok_chunk tok_chunk;
typedef struct {
  tok_chunk *head;
  int failed; /* set once an allocation failed; callers check at the end */
} tok_arena;

/* Returns n bytes aligned for any scalar, or NULL (and sets failed). */
void *tok_arena_alloc(tok_arena *a, size_t n);
void tok_arena_free(tok_arena *a);
/* Forgets every allocation but keeps memory for reuse. */
void tok_arena_reset(tok_arena *a);
/* Room for one more item in an array v of `size`-byte items that holds n of
 * *cap: v itself while n < *cap, else a copy with the capacity doubled
 * (`first` when it was 0), from the arena a or, with a NULL, by realloc.
 * NULL when out of memory, with v and *cap left as they were. */
void *tok_grow(tok_arena *a, void *v, size_t n, size_t *cap, size_t size,
               size_t first);

/* Frees what a node of a normalizer, pre-tokenizer or post-processor tree
 * owns (not the node itself): the counterpart of the loaders' tok_ld_fn. */
typedef void (*tok_free_fn)(void *node);
/* Frees n nodes of `size` bytes at `nodes` (a node's children) with
 * free_node, then the array. */
void tok_free_nodes(void *nodes, size_t n, size_t size, tok_free_fn free_node);

/*===--- UTF-8 and Unicode predicates (unicode.c) -------------------------===*/

/* Decodes one code point at s[0, n) (n > 0). Ill-formed input yields
 * U+FFFD and consumes the maximal subpart (1 to 3 bytes). Returns the
 * number of bytes consumed. */
int tok_utf8_decode(const unsigned char *s, size_t n, int32_t *cp);
/* Decodes a string already known to be valid UTF-8 (internal buffers). */
int tok_utf8_next(const char *s, int32_t *cp);
int tok_utf8_encode(int32_t cp, char *out);
int tok_utf8_len(int32_t cp);

int tok_is_whitespace(int32_t cp);        /* Rust char::is_whitespace */
int tok_is_numeric(int32_t cp);           /* Rust char::is_numeric: N* */
int tok_is_alphanumeric_word(int32_t cp); /* regex \w (Unicode) */
int tok_is_digit(int32_t cp);             /* regex \d: Nd */
int tok_hf_is_other(int32_t cp);          /* unicode_categories C* (9.0) */
int tok_hf_is_mark_nonspacing(int32_t cp);
int tok_hf_is_punctuation(int32_t cp); /* ASCII punct or P* (9.0) */
int tok_is_combining_mark(int32_t cp); /* Mn | Mc | Me */
int tok_is_chinese_char(int32_t cp);
/* Rust char::to_lowercase; returns how many of out[0, 3) it wrote. */
int tok_lowercase(int32_t cp, int32_t out[3]);
int tok_hf_no_decompose(int32_t cp, int compat);
/* utf8proc general category (UTF8PROC_CATEGORY_*). */
int tok_category(int32_t cp);
/* The same numbering, as the regex engines and Rust's char see it (they
 * know code points newer than utf8proc's Unicode). */
int tok_regex_category(int32_t cp);
int tok_combining_class(int32_t cp);

/*===--- Normalized string (nstr.c) ---------------------------------------===*/

typedef struct {
  uint32_t s, e;
} tok_span;

typedef struct {
  char *str;    /* normalized UTF-8, not NUL-terminated */
  tok_span *al; /* al[i]: input bytes that normalized byte i came from */
  uint32_t len;
  uint32_t cap;
  uint32_t orig_start; /* start of the original span (offsets_original) */
  uint32_t orig_end;
} tok_nstr;

/* One step of a transformation, as tokenizers' (char, isize): change 0
 * replaces the next original char, 1 inserts, -k replaces one and removes k
 * more. */
typedef struct {
  int32_t cp;
  int32_t change;
} tok_change;

typedef struct {
  tok_change *v;
  size_t n, cap;
  tok_arena *arena;
  int failed;
} tok_changes;

void tok_changes_init(tok_changes *c, tok_arena *a);
void tok_changes_push(tok_changes *c, int32_t cp, int32_t change);

/* Builds the string for text[0, len) (any bytes: invalid UTF-8 becomes
 * U+FFFD aligned to the bad bytes). Returns 0 or -1 (out of memory). */
int tok_nstr_from_text(tok_nstr *ns, tok_arena *a, const char *text,
                       size_t len);
/* tokenizers' transform_range over normalized bytes [start, end). */
int tok_nstr_transform_range(tok_nstr *ns, tok_arena *a, uint32_t start,
                             uint32_t end, const tok_changes *ch,
                             size_t initial_offset);
int tok_nstr_transform(tok_nstr *ns, tok_arena *a, const tok_changes *ch,
                       size_t initial_offset);
/* Sub-string of normalized bytes [start, end) (char boundaries). */
int tok_nstr_slice(const tok_nstr *ns, tok_arena *a, uint32_t start,
                   uint32_t end, tok_nstr *out);
int tok_nstr_prepend(tok_nstr *ns, tok_arena *a, const char *s, size_t n);
int tok_nstr_lowercase(tok_nstr *ns, tok_arena *a);
/* Drops chars for which keep() is 0, as NormalizedString::filter. */
int tok_nstr_filter(tok_nstr *ns, tok_arena *a, int (*keep)(int32_t));
/* The byte offset of the first code point c of ns with !pred(c) == !want;
 * ns->len when there is none. */
uint32_t tok_nstr_find(const tok_nstr *ns, int (*pred)(int32_t), int want);
/* Rewrites ns one code point at a time: each pushes onto ch what the code
 * point becomes (tok_changes_push). */
int tok_nstr_map(tok_nstr *ns, tok_arena *a,
                 void (*each)(tok_changes *ch, int32_t cp));
int tok_nstr_strip(tok_nstr *ns, tok_arena *a, int left, int right);
/* Normalization forms: 'D' NFD, 'C' NFC, with compat: NFKD / NFKC. */
int tok_nstr_unicode_normalize(tok_nstr *ns, tok_arena *a, int compose,
                               int compat);
/* Original span of normalized bytes [start, end) (convert_offsets). */
tok_span tok_nstr_original_span(const tok_nstr *ns, uint32_t start,
                                uint32_t end);

/* A list of matches over a string: [s, e) and whether it matched. */
typedef struct {
  uint32_t s, e;
  int match;
} tok_piece;

typedef struct {
  tok_piece *v;
  size_t n, cap;
  tok_arena *arena;
  int failed;
} tok_pieces;

void tok_pieces_push(tok_pieces *p, uint32_t s, uint32_t e, int match);

typedef enum {
  TOK_SPLIT_REMOVED,
  TOK_SPLIT_ISOLATED,
  TOK_SPLIT_MERGED_WITH_PREVIOUS,
  TOK_SPLIT_MERGED_WITH_NEXT,
  TOK_SPLIT_CONTIGUOUS
} tok_split_behavior;

/* Pattern matches for a char predicate (tokenizers' Fn(char) pattern). */
void tok_find_char_matches(const tok_nstr *ns, int (*pred)(int32_t, int32_t),
                           int32_t arg, tok_pieces *out);
/* Applies a split behavior to matches; appends the kept sub-strings. */
struct tok_splits;
int tok_nstr_split(const tok_nstr *ns, tok_arena *a, const tok_pieces *m,
                   tok_split_behavior b, struct tok_splits *out);

/*===--- Regex (regex.c) --------------------------------------------------===*/

typedef struct tok_regex tok_regex;

/* Compiles pattern[0, len); NULL with a message in err when the pattern
 * uses something the matcher lacks. literal: match the text as is. */
tok_regex *tok_regex_compile(const char *pattern, size_t len, int literal,
                             char *err, size_t err_size);
void tok_regex_free(tok_regex *re);
/* All non-overlapping matches in s[0, n) as tok_pieces (matched and not),
 * like tokenizers' Pattern::find_matches for a regex. */
void tok_regex_find_matches(const tok_regex *re, const char *s, uint32_t n,
                            tok_pieces *out);

/*===--- Hash maps (hashmap.c) --------------------------------------------===*/

/* String -> int32 map; keys are copied into the map's pool. */
typedef struct {
  uint32_t *slots; /* entry index + 1, 0 empty */
  size_t nslots;
  struct tok_strmap_entry *entries;
  size_t n, cap;
  char *pool;
  size_t pool_len, pool_cap;
} tok_strmap;

typedef struct tok_strmap_entry {
  size_t key; /* offset in pool */
  uint32_t key_len;
  uint32_t hash;
  int32_t value;
} tok_strmap_entry;

int tok_strmap_put(tok_strmap *m, const char *k, size_t n, int32_t v);
/* Returns the value or -1. */
int32_t tok_strmap_get(const tok_strmap *m, const char *k, size_t n);
const char *tok_strmap_key(const tok_strmap *m, size_t i, uint32_t *len);
void tok_strmap_free(tok_strmap *m);
uint32_t tok_hash(const char *k, size_t n);

/* uint64 -> (uint32, uint32) map for BPE merges and trie edges. */
typedef struct {
  uint64_t *keys;
  uint32_t *a, *b;
  unsigned char *used;
  size_t nslots, n;
} tok_u64map;

int tok_u64map_put(tok_u64map *m, uint64_t k, uint32_t a, uint32_t b);
int tok_u64map_get(const tok_u64map *m, uint64_t k, uint32_t *a, uint32_t *b);
void tok_u64map_free(tok_u64map *m);

/*===--- Pre-tokenized string ---------------------------------------------===*/

typedef struct {
  int32_t id;
  uint32_t s, e;   /* byte offsets in the split's normalized string */
  const char *val; /* token string (vocabulary entry or text) */
  uint32_t val_len;
} tok_token;

typedef struct {
  tok_nstr ns;
  tok_token *toks;
  uint32_t ntoks;
  int has_toks; /* an added token, or tokenized by the model */
} tok_split;

typedef struct tok_splits {
  tok_split *v;
  size_t n, cap;
  tok_arena *arena;
  int failed;
} tok_splits;

tok_split *tok_splits_push(tok_splits *s);

/*===--- Components -------------------------------------------------------===*/

typedef struct tok_precompiled tok_precompiled;
tok_precompiled *tok_precompiled_create(const unsigned char *blob, size_t n,
                                        char *err, size_t err_size);
void tok_precompiled_free(tok_precompiled *pc);
int tok_precompiled_normalize(const tok_precompiled *pc, tok_nstr *ns,
                              tok_arena *a);

typedef enum {
  TOK_N_BERT,
  TOK_N_NFC,
  TOK_N_NFD,
  TOK_N_NFKC,
  TOK_N_NFKD,
  TOK_N_LOWERCASE,
  TOK_N_STRIP,
  TOK_N_STRIP_ACCENTS,
  TOK_N_REPLACE,
  TOK_N_PREPEND,
  TOK_N_PRECOMPILED,
  TOK_N_SEQUENCE
} tok_normalizer_kind;

typedef struct tok_normalizer {
  tok_normalizer_kind kind;
  int clean_text, handle_chinese_chars, strip_accents, lowercase; /* Bert */
  int left, right;                                                /* Strip */
  tok_regex *re;                                                  /* Replace */
  char *content; /* Replace: content; Prepend: prepend */
  size_t content_len;
  tok_precompiled *pc;
  struct tok_normalizer *children;
  size_t nchildren;
} tok_normalizer;

int tok_normalize(const tok_normalizer *n, tok_nstr *ns, tok_arena *a);
void tok_normalizer_free(void *node); /* a tok_free_fn */

typedef enum {
  TOK_P_BERT,
  TOK_P_WHITESPACE,
  TOK_P_WHITESPACE_SPLIT,
  TOK_P_PUNCTUATION,
  TOK_P_SPLIT,
  TOK_P_BYTE_LEVEL,
  TOK_P_METASPACE,
  TOK_P_DIGITS,
  TOK_P_SEQUENCE
} tok_pretok_kind;

typedef enum {
  TOK_PREPEND_ALWAYS,
  TOK_PREPEND_NEVER,
  TOK_PREPEND_FIRST
} tok_prepend_scheme;

typedef struct tok_pretok {
  tok_pretok_kind kind;
  tok_split_behavior behavior; /* Punctuation, Split */
  tok_regex *re;               /* Split; ByteLevel (GPT-2 pattern) */
  int invert;                  /* Split */
  int add_prefix_space, use_regex, trim_offsets; /* ByteLevel */
  int32_t replacement;                           /* Metaspace */
  tok_prepend_scheme prepend_scheme;
  int split;             /* Metaspace */
  int individual_digits; /* Digits */
  struct tok_pretok *children;
  size_t nchildren;
} tok_pretok;

int tok_pre_tokenize(const tok_pretok *p, tok_splits *s);
void tok_pretok_free(void *node);      /* a tok_free_fn */
tok_regex *tok_whitespace_regex(void); /* shared \w+|[^\w\s]+ */

typedef enum { TOK_M_WORDPIECE, TOK_M_BPE, TOK_M_UNIGRAM } tok_model_kind;

typedef struct {
  tok_model_kind kind;
  tok_strmap vocab;   /* token -> id */
  const char **names; /* id -> token (into vocab's pool, or NULL) */
  uint32_t *name_lens;
  size_t nids; /* names has nids entries (max id + 1) */
  size_t vocab_size;
  int32_t unk_id; /* -1: none */
  /* WordPiece */
  char *prefix; /* continuing_subword_prefix (BPE too), may be NULL */
  size_t prefix_len;
  size_t max_input_chars_per_word;
  /* BPE */
  char *suffix; /* end_of_word_suffix */
  size_t suffix_len;
  tok_u64map merges; /* (a << 32 | b) -> rank, new id */
  int fuse_unk, byte_fallback, ignore_merges;
  int32_t byte_ids[256]; /* <0xXX> tokens, -1 if absent */
  /* Unigram */
  double *scores;
  double min_score;
  tok_u64map trie;     /* (node << 8 | byte) -> child node, unused */
  int32_t *node_token; /* trie node -> token id or -1 */
  size_t nnodes;
} tok_model;

int tok_model_tokenize(const tok_model *m, const tok_nstr *ns, tok_arena *a,
                       tok_token **out, uint32_t *n);
void tok_model_free(tok_model *m);

typedef struct {
  int32_t *ids;
  char **tokens; /* not needed for output; kept for completeness */
  size_t n;
  char *name;
} tok_special;

typedef struct {
  int is_special; /* 1: SpecialToken, 0: Sequence */
  int seq;        /* Sequence: 0 for A, 1 for B; SpecialToken: index */
  int32_t type_id;
} tok_template_piece;

typedef enum {
  TOK_PP_TEMPLATE,
  TOK_PP_BERT,
  TOK_PP_ROBERTA,
  TOK_PP_BYTE_LEVEL,
  TOK_PP_SEQUENCE
} tok_pp_kind;

typedef struct tok_postproc {
  tok_pp_kind kind;
  tok_template_piece *single, *pair;
  size_t nsingle, npair;
  tok_special *specials;
  size_t nspecials;
  int32_t cls_id, sep_id; /* Bert / Roberta */
  const char *cls_tok, *sep_tok;
  int trim_offsets, add_prefix_space; /* Roberta / ByteLevel */
  struct tok_postproc *children;
  size_t nchildren;
} tok_postproc;

void tok_postproc_free(void *node); /* a tok_free_fn */
size_t tok_postproc_added(const tok_postproc *p, int pair);

typedef struct {
  char *content;
  size_t len;
  int32_t id;
  int special, single_word, lstrip, rstrip, normalized;
  char *norm_content; /* content after the normalizer (normalized tokens) */
  size_t norm_len;
} tok_added;

/*===--- Encodings
 * ---------------------------------------------------------===*/

typedef struct tok_enc {
  size_t n, cap;
  int32_t *ids, *type_ids, *words, *special, *attn;
  uint32_t *offs;
  const char **vals;
  uint32_t *val_lens;
  tok_arena *arena;
  int failed;
  /* Overflowing windows left by truncation (tokenizers' overflowing), each
   * without windows of its own. */
  struct tok_enc *ovf;
  size_t novf;
} tok_enc;

void tok_enc_init(tok_enc *e, tok_arena *a);
void tok_enc_push(tok_enc *e, int32_t id, int32_t type_id, int32_t word,
                  uint32_t s, uint32_t end, int special, const char *val,
                  uint32_t val_len);
void tok_enc_append(tok_enc *dst, const tok_enc *src);
/* Encoding::merge_with: out = a + b, with the overflowing windows combined
 * as tokenizers does (each of a's windows with b and with each of b's, then
 * a with each of b's). */
int tok_enc_merge(const tok_enc *a, const tok_enc *b, tok_arena *ar,
                  tok_enc *out);

/* Applies the post-processor to seqs[0, nseq) (each already truncated)
 * and writes the merged encoding. */
int tok_post_process(const tok_postproc *p, tok_enc *seqs, size_t nseq,
                     int add_special, tok_arena *a, tok_enc *out);

/*===--- The tokenizer
 * ------------------------------------------------------===*/

struct bert_tokenizer {
  tok_normalizer *normalizer; /* NULL: none */
  tok_pretok *pretok;
  tok_model model;
  tok_postproc *post;
  tok_added *added;
  size_t nadded;
  tok_strmap added_map; /* content -> index in added */
  int has_trunc;
  size_t trunc_max, trunc_stride;
  bert_tok_truncation_strategy trunc_strategy;
  bert_tok_direction trunc_dir;
  int has_pad;
  size_t pad_fixed, pad_multiple;
  int32_t pad_id, pad_type_id;
  char *pad_token;
  bert_tok_direction pad_dir;
};

/* The added-vocabulary split (extract_and_normalize) of one text. */
int tok_extract_and_normalize(const bert_tokenizer_t *t, const char *text,
                              size_t len, tok_arena *a, tok_splits *out);

#endif /* BERT_TOKENIZER_INTERNAL_H */
