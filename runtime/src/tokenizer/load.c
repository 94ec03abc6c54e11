/*===- load.c - tokenizer.json to a bert_tokenizer ------------------------===*\
|*                                                                            *|
|* Reads the file with the runtime's JSON parser (runtime/src/json.h) and     *|
|* builds every component. Any type this library lacks is an error naming     *|
|* the section and the type; any malformed field is an error naming its       *|
|* path. Building happens into a fresh object that is destroyed on the        *|
|* first error, so a caller never sees a partly loaded tokenizer.             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_load.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tok_ld_fail(tok_loader *L, int status, const char *fmt, ...) {
  va_list ap;
  size_t n;
  if (L->status)
    return -1;
  L->status = status;
  if (!L->err || !L->err_size)
    return -1;
  n = (size_t)snprintf(L->err, L->err_size, "%s: ", L->name);
  if (n < L->err_size) {
    va_start(ap, fmt);
    vsnprintf(L->err + n, L->err_size - n, fmt, ap);
    va_end(ap);
  }
  return -1;
}

const bert_json_value *tok_ld_get(tok_loader *L, const bert_json_value *o,
                                  const char *k) {
  return bert_json_get(L->doc, o, k);
}

/* Member k of o when present, not null and of `type`. NULL with *rc = 0
 * when absent or null; NULL with *rc = -1 and "where.k must be `what`"
 * recorded when of another type. */
static const bert_json_value *get_typed(tok_loader *L, const bert_json_value *o,
                                        const char *k, bert_json_type type,
                                        const char *what, const char *where,
                                        int *rc) {
  const bert_json_value *v = tok_ld_get(L, o, k);
  *rc = 0;
  if (!v || bert_json_type_of(v) == BERT_JSON_NULL)
    return NULL;
  if (bert_json_type_of(v) != type) {
    *rc =
        tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "%s.%s must be %s", where, k, what);
    return NULL;
  }
  return v;
}

/* Optional bool (null or absent -> def); -1 on a wrong type. */
int tok_ld_bool(tok_loader *L, const bert_json_value *o, const char *k, int def,
                int *out, const char *where) {
  int rc;
  const bert_json_value *v =
      get_typed(L, o, k, BERT_JSON_BOOL, "a boolean", where, &rc);
  if (v)
    *out = (int)bert_json_int(v);
  else if (!rc)
    *out = def;
  return rc;
}

int tok_ld_uint(tok_loader *L, const bert_json_value *o, const char *k,
                int64_t def, int64_t max, int64_t *out, const char *where) {
  const bert_json_value *v = tok_ld_get(L, o, k);
  if (!v || bert_json_type_of(v) == BERT_JSON_NULL) {
    if (def < 0)
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "%s.%s is missing", where, k);
    *out = def;
    return 0;
  }
  if (bert_json_type_of(v) != BERT_JSON_NUMBER || !bert_json_is_int(v) ||
      bert_json_int(v) < 0 || bert_json_int(v) > max)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "%s.%s must be an integer in [0, %lld]", where, k,
                       (long long)max);
  *out = bert_json_int(v);
  return 0;
}

/* Optional string: NULL when null/absent; -1 on a wrong type. */
int tok_ld_str(tok_loader *L, const bert_json_value *o, const char *k,
               const bert_json_value **out, const char *where) {
  int rc;
  *out = get_typed(L, o, k, BERT_JSON_STRING, "a string", where, &rc);
  return rc;
}

int tok_ld_req_str(tok_loader *L, const bert_json_value *o, const char *k,
                   const bert_json_value **out, const char *where) {
  if (tok_ld_str(L, o, k, out, where))
    return -1;
  return *out ? 0
              : tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "%s.%s is missing", where,
                            k);
}

const char *tok_ld_s(const tok_loader *L, const bert_json_value *v) {
  size_t n;
  const char *s = bert_json_string(L->doc, v, &n);
  return s ? s : "";
}

size_t tok_ld_slen(const tok_loader *L, const bert_json_value *v) {
  size_t n = 0;
  return bert_json_string(L->doc, v, &n) ? n : 0;
}

const char *tok_ld_key(const tok_loader *L, const bert_json_value *v,
                       size_t *n) {
  const char *k = bert_json_key(L->doc, v, n);
  return k ? k : "";
}

char *tok_ld_dup(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

const char *tok_ld_type(tok_loader *L, const bert_json_value *o, void *out,
                        size_t size, const char *where) {
  const bert_json_value *t;
  memset(out, 0, size);
  if (bert_json_type_of(o) != BERT_JSON_OBJECT) {
    tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "%s must be an object", where);
    return NULL;
  }
  t = tok_ld_get(L, o, "type");
  if (!t || bert_json_type_of(t) != BERT_JSON_STRING) {
    tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "%s has no \"type\" string", where);
    return NULL;
  }
  return tok_ld_s(L, t);
}

void *tok_ld_sequence(tok_loader *L, const bert_json_value *o, const char *t,
                      const char *key, const char *what, int depth, size_t size,
                      tok_ld_fn load, size_t *n, int *rc) {
  const bert_json_value *arr = tok_ld_get(L, o, key), *c;
  char *items;
  *n = 0;
  *rc = -1;
  if (strcmp(t, "Sequence")) {
    tok_ld_fail(L, BERT_TOK_ERR_UNSUPPORTED, "%s type '%s' is not supported",
                what, t);
    return NULL;
  }
  if (!arr || bert_json_type_of(arr) != BERT_JSON_ARRAY) {
    tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "%s Sequence needs a \"%s\" array",
                what, key);
    return NULL;
  }
  if (depth > 16) {
    tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "%s Sequence nested too deep", what);
    return NULL;
  }
  items = calloc((size_t)bert_json_count(arr) + 1, size);
  if (!items) {
    tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
    return NULL;
  }
  for (c = bert_json_first(L->doc, arr); c; c = bert_json_next(L->doc, c))
    if (load(L, c, items + (*n)++ * size, depth + 1))
      return items;
  *rc = 0;
  return items;
}

static tok_regex *compile_pattern(tok_loader *L, const bert_json_value *o,
                                  const char *where) {
  const bert_json_value *p = tok_ld_get(L, o, "pattern"), *s, *r;
  char msg[160];
  tok_regex *re;
  if (!p || bert_json_type_of(p) != BERT_JSON_OBJECT) {
    tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "%s.pattern must be an object", where);
    return NULL;
  }
  s = tok_ld_get(L, p, "String");
  r = tok_ld_get(L, p, "Regex");
  if ((s && bert_json_type_of(s) == BERT_JSON_STRING) ==
      (r && bert_json_type_of(r) == BERT_JSON_STRING)) {
    tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                "%s.pattern must hold one \"String\" or \"Regex\" string",
                where);
    return NULL;
  }
  if (s && bert_json_type_of(s) == BERT_JSON_STRING)
    re = tok_regex_compile(tok_ld_s(L, s), tok_ld_slen(L, s), 1, msg,
                           sizeof(msg));
  else
    re = tok_regex_compile(tok_ld_s(L, r), tok_ld_slen(L, r), 0, msg,
                           sizeof(msg));
  if (!re)
    tok_ld_fail(L, BERT_TOK_ERR_UNSUPPORTED,
                "%s regex '%s' is not supported: %s", where,
                r ? tok_ld_s(L, r) : tok_ld_s(L, s), msg);
  return re;
}

static int behavior_of(tok_loader *L, const bert_json_value *o,
                       const char *where, tok_split_behavior *b) {
  static const char *names[] = {"Removed", "Isolated", "MergedWithPrevious",
                                "MergedWithNext", "Contiguous"};
  const bert_json_value *v = tok_ld_get(L, o, "behavior");
  int i;
  if (!v)
    return 0; /* the caller's default stands */
  if (bert_json_type_of(v) == BERT_JSON_STRING)
    for (i = 0; i < 5; ++i)
      if (!strcmp(tok_ld_s(L, v), names[i])) {
        *b = (tok_split_behavior)i;
        return 0;
      }
  return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                     "%s.behavior is not a known behavior", where);
}

/*===--- Base64 (precompiled_charsmap) ------------------------------------===*/

static int b64val(int c) {
  static const char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const char *p = c ? strchr(digits, c) : NULL;
  return p ? (int)(p - digits) : -1;
}

static unsigned char *b64decode(const char *s, size_t n, size_t *out_len) {
  unsigned char *out;
  size_t i, o = 0, pad = 0;
  uint32_t acc = 0;
  int bits = 0;
  if (n % 4)
    return NULL;
  while (pad < 2 && n > pad && s[n - 1 - pad] == '=')
    ++pad;
  out = malloc(n / 4 * 3 + 1);
  if (!out)
    return NULL;
  for (i = 0; i < n - pad; ++i) {
    int v = b64val((unsigned char)s[i]);
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits);
    }
  }
  *out_len = o;
  return out;
}

/*===--- Normalizers
 * -------------------------------------------------------===*/

/* The required string normalizer.<k>, copied to n->content. */
static int load_content(tok_loader *L, const bert_json_value *o, const char *k,
                        tok_normalizer *n) {
  const bert_json_value *v;
  if (tok_ld_req_str(L, o, k, &v, "normalizer"))
    return -1;
  n->content = tok_ld_dup(tok_ld_s(L, v), tok_ld_slen(L, v));
  n->content_len = tok_ld_slen(L, v);
  return n->content ? 0 : tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
}

int tok_load_normalizer(tok_loader *L, const bert_json_value *o, void *out,
                        int depth) {
  tok_normalizer *n = out;
  const char *t = tok_ld_type(L, o, n, sizeof(*n), "normalizer");
  const bert_json_value *v;
  int rc;
  if (!t)
    return -1;
  if (!strcmp(t, "BertNormalizer")) {
    const bert_json_value *sa = tok_ld_get(L, o, "strip_accents");
    n->kind = TOK_N_BERT;
    if (tok_ld_bool(L, o, "clean_text", 1, &n->clean_text, "normalizer") ||
        tok_ld_bool(L, o, "handle_chinese_chars", 1, &n->handle_chinese_chars,
                    "normalizer") ||
        tok_ld_bool(L, o, "lowercase", 1, &n->lowercase, "normalizer") ||
        tok_ld_bool(L, o, "strip_accents", 0, &n->strip_accents, "normalizer"))
      return -1;
    if (!sa || bert_json_type_of(sa) == BERT_JSON_NULL)
      n->strip_accents = n->lowercase;
    return 0;
  }
  if (!strcmp(t, "NFC") || !strcmp(t, "NFD") || !strcmp(t, "NFKC") ||
      !strcmp(t, "NFKD")) {
    n->kind = !strcmp(t, "NFC")    ? TOK_N_NFC
              : !strcmp(t, "NFD")  ? TOK_N_NFD
              : !strcmp(t, "NFKC") ? TOK_N_NFKC
                                   : TOK_N_NFKD;
    return 0;
  }
  if (!strcmp(t, "Lowercase")) {
    n->kind = TOK_N_LOWERCASE;
    return 0;
  }
  if (!strcmp(t, "StripAccents")) {
    n->kind = TOK_N_STRIP_ACCENTS;
    return 0;
  }
  if (!strcmp(t, "Strip")) {
    n->kind = TOK_N_STRIP;
    return tok_ld_bool(L, o, "strip_left", 1, &n->left, "normalizer") ||
                   tok_ld_bool(L, o, "strip_right", 1, &n->right, "normalizer")
               ? -1
               : 0;
  }
  if (!strcmp(t, "Replace")) {
    n->kind = TOK_N_REPLACE;
    if (load_content(L, o, "content", n))
      return -1;
    n->re = compile_pattern(L, o, "normalizer Replace");
    return n->re ? 0 : tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
  }
  if (!strcmp(t, "Prepend")) {
    n->kind = TOK_N_PREPEND;
    return load_content(L, o, "prepend", n);
  }
  if (!strcmp(t, "Precompiled")) {
    unsigned char *blob;
    size_t len = 0;
    char msg[160];
    n->kind = TOK_N_PRECOMPILED;
    if (tok_ld_req_str(L, o, "precompiled_charsmap", &v, "normalizer"))
      return -1;
    blob = b64decode(tok_ld_s(L, v), tok_ld_slen(L, v), &len);
    if (!blob)
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "normalizer.precompiled_charsmap is not base64");
    n->pc = tok_precompiled_create(blob, len, msg, sizeof(msg));
    free(blob);
    return n->pc ? 0
                 : tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "normalizer: %s", msg);
  }
  n->kind = TOK_N_SEQUENCE; /* or not supported: tok_ld_sequence says */
  n->children = tok_ld_sequence(L, o, t, "normalizers", "normalizer", depth,
                                sizeof(*n->children), tok_load_normalizer,
                                &n->nchildren, &rc);
  return rc;
}

/*===--- Pre-tokenizers
 * ----------------------------------------------------===*/

/* The GPT-2 split of ByteLevel, fixed in tokenizers. */
static const char gpt2_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";

int tok_load_pretok(tok_loader *L, const bert_json_value *o, void *out,
                    int depth) {
  tok_pretok *p = out;
  const char *t = tok_ld_type(L, o, p, sizeof(*p), "pre_tokenizer");
  char msg[160];
  int rc;
  if (!t)
    return -1;
  if (!strcmp(t, "BertPreTokenizer")) {
    p->kind = TOK_P_BERT;
    return 0;
  }
  if (!strcmp(t, "Whitespace")) {
    static const char pat[] = "\\w+|[^\\w\\s]+";
    p->kind = TOK_P_WHITESPACE;
    p->re = tok_regex_compile(pat, sizeof(pat) - 1, 0, msg, sizeof(msg));
    return p->re ? 0 : tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "%s", msg);
  }
  if (!strcmp(t, "WhitespaceSplit")) {
    p->kind = TOK_P_WHITESPACE_SPLIT;
    return 0;
  }
  if (!strcmp(t, "Punctuation")) {
    p->kind = TOK_P_PUNCTUATION;
    p->behavior = TOK_SPLIT_ISOLATED;
    return behavior_of(L, o, "pre_tokenizer Punctuation", &p->behavior);
  }
  if (!strcmp(t, "Digits")) {
    p->kind = TOK_P_DIGITS;
    return tok_ld_bool(L, o, "individual_digits", 0, &p->individual_digits,
                       "pre_tokenizer");
  }
  if (!strcmp(t, "Split")) {
    p->kind = TOK_P_SPLIT;
    p->behavior = TOK_SPLIT_REMOVED;
    if (!tok_ld_get(L, o, "behavior"))
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "pre_tokenizer Split needs behavior");
    if (behavior_of(L, o, "pre_tokenizer Split", &p->behavior) ||
        tok_ld_bool(L, o, "invert", 0, &p->invert, "pre_tokenizer"))
      return -1;
    p->re = compile_pattern(L, o, "pre_tokenizer Split");
    return p->re ? 0 : -1;
  }
  if (!strcmp(t, "ByteLevel")) {
    p->kind = TOK_P_BYTE_LEVEL;
    if (tok_ld_bool(L, o, "add_prefix_space", 1, &p->add_prefix_space,
                    "pre_tokenizer") ||
        tok_ld_bool(L, o, "trim_offsets", 1, &p->trim_offsets,
                    "pre_tokenizer") ||
        tok_ld_bool(L, o, "use_regex", 1, &p->use_regex, "pre_tokenizer"))
      return -1;
    p->re = tok_regex_compile(gpt2_pattern, sizeof(gpt2_pattern) - 1, 0, msg,
                              sizeof(msg));
    return p->re ? 0 : tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "%s", msg);
  }
  if (!strcmp(t, "Metaspace")) {
    const bert_json_value *r, *s;
    int aps = 1, has_aps = tok_ld_get(L, o, "add_prefix_space") != NULL;
    p->kind = TOK_P_METASPACE;
    if (tok_ld_str(L, o, "replacement", &r, "pre_tokenizer") ||
        tok_ld_str(L, o, "prepend_scheme", &s, "pre_tokenizer") ||
        tok_ld_bool(L, o, "split", 1, &p->split, "pre_tokenizer") ||
        tok_ld_bool(L, o, "add_prefix_space", 1, &aps, "pre_tokenizer"))
      return -1;
    if (!r || !tok_ld_slen(L, r) ||
        tok_utf8_next(tok_ld_s(L, r), &p->replacement) !=
            (int)tok_ld_slen(L, r))
      return tok_ld_fail(
          L, BERT_TOK_ERR_FORMAT,
          "pre_tokenizer Metaspace replacement must be one char");
    p->prepend_scheme = TOK_PREPEND_ALWAYS;
    if (s) {
      if (!strcmp(tok_ld_s(L, s), "always"))
        p->prepend_scheme = TOK_PREPEND_ALWAYS;
      else if (!strcmp(tok_ld_s(L, s), "never"))
        p->prepend_scheme = TOK_PREPEND_NEVER;
      else if (!strcmp(tok_ld_s(L, s), "first"))
        p->prepend_scheme = TOK_PREPEND_FIRST;
      else
        return tok_ld_fail(
            L, BERT_TOK_ERR_FORMAT,
            "pre_tokenizer Metaspace prepend_scheme '%s' is unknown",
            tok_ld_s(L, s));
    }
    if (has_aps && !aps) {
      if (s && p->prepend_scheme != TOK_PREPEND_NEVER)
        return tok_ld_fail(
            L, BERT_TOK_ERR_FORMAT,
            "add_prefix_space does not match declared prepend_scheme");
      p->prepend_scheme = TOK_PREPEND_NEVER;
    }
    return 0;
  }
  p->kind = TOK_P_SEQUENCE; /* or not supported: tok_ld_sequence says */
  p->children = tok_ld_sequence(L, o, t, "pretokenizers", "pre_tokenizer",
                                depth, sizeof(*p->children), tok_load_pretok,
                                &p->nchildren, &rc);
  return rc;
}
