/*===- pretokenizers.c - Splitting normalized text into words -------------===*\
|*                                                                            *|
|* Each pre-tokenizer maps every not-yet-tokenized split to new splits, as    *|
|* PreTokenizedString::split does in tokenizers: splits that already carry    *|
|* tokens (added tokens) pass through untouched, and empty pieces vanish.     *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>

static int pred_whitespace(int32_t c, int32_t arg) {
  (void)arg;
  return tok_is_whitespace(c);
}
static int pred_punct(int32_t c, int32_t arg) {
  (void)arg;
  return tok_hf_is_punctuation(c);
}
static int pred_numeric(int32_t c, int32_t arg) {
  (void)arg;
  return tok_is_numeric(c);
}
static int pred_char(int32_t c, int32_t arg) { return c == arg; }

/* GPT-2's byte-level alphabet: printable bytes stand for themselves, the
 * others (0x00-0x20, 0x7F-0xA0, 0xAD) for U+0100 + their rank among them.
 * A pure function, so encoding threads share no lazily built table. */
static int32_t byte_char(unsigned b) {
  if (b <= 0x20)
    return 256 + (int32_t)b;
  if (b >= 0x7F && b <= 0xA0)
    return 256 + 33 + (int32_t)(b - 0x7F);
  if (b == 0xAD)
    return 256 + 33 + 34;
  return (int32_t)b;
}

/* A function of the pre-tokenizer applied to one split's string. */
typedef int (*split_fn)(const tok_pretok *p, tok_nstr *ns, tok_arena *a,
                        tok_splits *out);

static int with_char_pred(tok_nstr *ns, tok_arena *a, tok_splits *out,
                          int (*pred)(int32_t, int32_t), int32_t arg,
                          tok_split_behavior b) {
  tok_pieces m;
  memset(&m, 0, sizeof(m));
  m.arena = a;
  tok_find_char_matches(ns, pred, arg, &m);
  return tok_nstr_split(ns, a, &m, b, out);
}

static int with_regex(tok_nstr *ns, tok_arena *a, tok_splits *out,
                      const tok_regex *re, int invert, tok_split_behavior b) {
  tok_pieces m;
  size_t i;
  memset(&m, 0, sizeof(m));
  m.arena = a;
  tok_regex_find_matches(re, ns->str, ns->len, &m);
  if (invert)
    for (i = 0; i < m.n; ++i)
      m.v[i].match = !m.v[i].match;
  return tok_nstr_split(ns, a, &m, b, out);
}

static int split_bert(const tok_pretok *p, tok_nstr *ns, tok_arena *a,
                      tok_splits *out) {
  (void)p;
  /* Whitespace removed first, then punctuation isolated, as two passes. */
  tok_splits tmp;
  size_t i;
  memset(&tmp, 0, sizeof(tmp));
  tmp.arena = a;
  if (with_char_pred(ns, a, &tmp, pred_whitespace, 0, TOK_SPLIT_REMOVED))
    return -1;
  for (i = 0; i < tmp.n; ++i)
    if (with_char_pred(&tmp.v[i].ns, a, out, pred_punct, 0, TOK_SPLIT_ISOLATED))
      return -1;
  return tmp.failed ? -1 : 0;
}

static int split_one(const tok_pretok *p, tok_nstr *ns, tok_arena *a,
                     tok_splits *out) {
  switch (p->kind) {
  case TOK_P_BERT:
    return split_bert(p, ns, a, out);
  case TOK_P_WHITESPACE:
    return with_regex(ns, a, out, p->re, 1, TOK_SPLIT_REMOVED);
  case TOK_P_WHITESPACE_SPLIT:
    return with_char_pred(ns, a, out, pred_whitespace, 0, TOK_SPLIT_REMOVED);
  case TOK_P_PUNCTUATION:
    return with_char_pred(ns, a, out, pred_punct, 0, p->behavior);
  case TOK_P_DIGITS:
    return with_char_pred(ns, a, out, pred_numeric, 0,
                          p->individual_digits ? TOK_SPLIT_ISOLATED
                                               : TOK_SPLIT_CONTIGUOUS);
  case TOK_P_SPLIT:
    return with_regex(ns, a, out, p->re, p->invert, p->behavior);
  case TOK_P_BYTE_LEVEL:
    if (p->add_prefix_space && !(ns->len && ns->str[0] == ' '))
      if (tok_nstr_prepend(ns, a, " ", 1))
        return -1;
    if (!p->use_regex) {
      tok_split *sp = ns->len ? tok_splits_push(out) : NULL;
      if (sp)
        sp->ns = *ns;
      return out->failed ? -1 : 0;
    }
    return with_regex(ns, a, out, p->re, 0, TOK_SPLIT_ISOLATED);
  case TOK_P_METASPACE: {
    char rep[4];
    int rl = tok_utf8_encode(p->replacement, rep);
    int32_t first = -1;
    /* replace(' ', replacement): a literal one-char pattern. */
    if (ns->len) {
      tok_changes ch;
      uint32_t i;
      int any = 0;
      for (i = 0; i < ns->len; ++i)
        if (ns->str[i] == ' ')
          any = 1;
      if (any) {
        /* Equivalent to NormalizedString::replace for a one-char match:
         * the replacement takes the alignment of the space it replaces. */
        char *str;
        tok_span *al;
        uint32_t w = 0, extra = 0;
        (void)ch;
        for (i = 0; i < ns->len; ++i)
          if (ns->str[i] == ' ')
            extra += (uint32_t)rl - 1;
        str = tok_arena_alloc(a, ns->len + extra + 1);
        al = tok_arena_alloc(a, (ns->len + extra + 1) * sizeof(*al));
        if (!str || !al)
          return -1;
        for (i = 0; i < ns->len; ++i) {
          if (ns->str[i] == ' ') {
            int k;
            memcpy(str + w, rep, (size_t)rl);
            for (k = 0; k < rl; ++k)
              al[w + (uint32_t)k] = ns->al[i];
            w += (uint32_t)rl;
          } else {
            str[w] = ns->str[i];
            al[w++] = ns->al[i];
          }
        }
        ns->str = str;
        ns->al = al;
        ns->len = ns->cap = w;
      }
    }
    if (ns->len)
      tok_utf8_next(ns->str, &first);
    if (p->prepend_scheme == TOK_PREPEND_ALWAYS ||
        (p->prepend_scheme == TOK_PREPEND_FIRST && ns->orig_start == 0)) {
      if (first != p->replacement && tok_nstr_prepend(ns, a, rep, (size_t)rl))
        return -1;
    }
    if (p->split)
      return with_char_pred(ns, a, out, pred_char, p->replacement,
                            TOK_SPLIT_MERGED_WITH_NEXT);
    if (ns->len) {
      tok_split *sp = tok_splits_push(out);
      if (!sp)
        return -1;
      sp->ns = *ns;
    }
    return 0;
  }
  case TOK_P_SEQUENCE:
    break;
  }
  return -1;
}

/* The ByteLevel pre-tokenizer's second pass: every byte becomes the char
 * of the byte-level alphabet; a char's first byte replaces it, the others
 * are insertions (so all share its alignment). */
static int byte_level_chars(tok_nstr *ns, tok_arena *a) {
  tok_changes ch;
  uint32_t i;
  tok_changes_init(&ch, a);
  for (i = 0; i < ns->len;) {
    int32_t cp;
    int k = tok_utf8_next(ns->str + i, &cp), j;
    for (j = 0; j < k; ++j)
      tok_changes_push(&ch, byte_char((unsigned char)ns->str[i + (uint32_t)j]),
                       j > 0);
    i += (uint32_t)k;
  }
  return tok_nstr_transform(ns, a, &ch, 0);
}

int tok_pre_tokenize(const tok_pretok *p, tok_splits *s) {
  tok_splits out;
  size_t i;
  if (p->kind == TOK_P_SEQUENCE) {
    for (i = 0; i < p->nchildren; ++i)
      if (tok_pre_tokenize(&p->children[i], s))
        return -1;
    return 0;
  }
  memset(&out, 0, sizeof(out));
  out.arena = s->arena;
  for (i = 0; i < s->n; ++i) {
    if (s->v[i].has_toks) {
      tok_split *sp = tok_splits_push(&out);
      if (!sp)
        return -1;
      *sp = s->v[i];
      continue;
    }
    if (split_one(p, &s->v[i].ns, s->arena, &out))
      return -1;
  }
  if (out.failed)
    return -1;
  if (p->kind == TOK_P_BYTE_LEVEL)
    for (i = 0; i < out.n; ++i)
      if (!out.v[i].has_toks && byte_level_chars(&out.v[i].ns, s->arena))
        return -1;
  *s = out;
  return 0;
}

void tok_pretok_free(void *node) {
  tok_pretok *p = node;
  tok_regex_free(p->re);
  tok_free_nodes(p->children, p->nchildren, sizeof(*p), tok_pretok_free);
  memset(p, 0, sizeof(*p));
}
