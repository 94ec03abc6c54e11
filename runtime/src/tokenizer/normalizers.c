/*===- normalizers.c - BertNormalizer, NFx, Lowercase, Strip, Replace -----===*\
|*                                                                            *|
|* Each normalizer edits a tok_nstr exactly as its tokenizers counterpart     *|
|* edits a NormalizedString (same steps, same order), so that offsets come    *|
|* out identical. Fast paths skip a step only where it provably changes       *|
|* nothing (for example NFD of ASCII).                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>

static int bert_keep(int32_t c) {
  /* clean_text drops NUL, U+FFFD and controls (Cc/Cf/Co/Cs but not
   * \t \n \r). */
  if (c == 0 || c == 0xFFFD)
    return 0;
  if (c == '\t' || c == '\n' || c == '\r')
    return 1;
  return !tok_hf_is_other(c);
}

static int bert_is_whitespace(int32_t c) {
  return c == '\t' || c == '\n' || c == '\r' || tok_is_whitespace(c);
}

static int not_mn(int32_t c) { return !tok_hf_is_mark_nonspacing(c); }
static int not_combining(int32_t c) { return !tok_is_combining_mark(c); }

static int odd_whitespace(int32_t c) {
  return c != ' ' && bert_is_whitespace(c);
}

static void to_space(tok_changes *ch, int32_t c) {
  tok_changes_push(ch, bert_is_whitespace(c) ? ' ' : c, 0);
}

static int bert_clean(tok_nstr *ns, tok_arena *a) {
  if (tok_nstr_filter(ns, a, bert_keep))
    return -1;
  if (tok_nstr_find(ns, odd_whitespace, 1) == ns->len)
    return 0;
  return tok_nstr_map(ns, a, to_space);
}

static void pad_chinese(tok_changes *ch, int32_t c) {
  if (tok_is_chinese_char(c)) {
    tok_changes_push(ch, ' ', 0);
    tok_changes_push(ch, c, 1);
    tok_changes_push(ch, ' ', 1);
  } else {
    tok_changes_push(ch, c, 0);
  }
}

static int bert_chinese(tok_nstr *ns, tok_arena *a) {
  if (tok_nstr_find(ns, tok_is_chinese_char, 1) == ns->len)
    return 0;
  return tok_nstr_map(ns, a, pad_chinese);
}

/* NormalizedString::replace: each match becomes `content`, every char of
 * which is an insertion aligned with the match's last byte. */
static int replace(const tok_normalizer *n, tok_nstr *ns, tok_arena *a) {
  tok_pieces m = {0};
  size_t i, nmatch = 0, outlen = 0, cl = 0;
  uint32_t w = 0;
  char *str;
  tok_span *al;
  m.arena = a;
  tok_regex_find_matches(n->re, ns->str, ns->len, &m);
  if (m.failed)
    return -1;
  for (i = 0; i < m.n; ++i)
    if (m.v[i].match)
      ++nmatch;
  if (!nmatch)
    return 0;
  for (i = 0; i < n->content_len; ++i)
    if (((unsigned char)n->content[i] & 0xC0) != 0x80)
      ++cl;
  (void)cl;
  outlen = ns->len;
  for (i = 0; i < m.n; ++i)
    if (m.v[i].match)
      outlen = outlen - (m.v[i].e - m.v[i].s) + n->content_len;
  if (outlen > UINT32_MAX)
    return -1;
  str = tok_arena_alloc(a, outlen + 1);
  al = tok_arena_alloc(a, (outlen + 1) * sizeof(*al));
  if (!str || !al)
    return -1;
  for (i = 0; i < m.n; ++i) {
    tok_piece p = m.v[i];
    if (!p.match) {
      memcpy(str + w, ns->str + p.s, p.e - p.s);
      memcpy(al + w, ns->al + p.s, (p.e - p.s) * sizeof(*al));
      w += p.e - p.s;
    } else {
      tok_span sp = {0, 0};
      size_t k;
      if (p.e >= 1)
        sp = ns->al[p.e - 1];
      memcpy(str + w, n->content, n->content_len);
      for (k = 0; k < n->content_len; ++k)
        al[w + k] = sp;
      w += (uint32_t)n->content_len;
    }
  }
  ns->str = str;
  ns->al = al;
  ns->len = ns->cap = w;
  return 0;
}

int tok_normalize(const tok_normalizer *n, tok_nstr *ns, tok_arena *a) {
  size_t i;
  switch (n->kind) {
  case TOK_N_BERT:
    if (n->clean_text && bert_clean(ns, a))
      return -1;
    if (n->handle_chinese_chars && bert_chinese(ns, a))
      return -1;
    if (n->strip_accents && (tok_nstr_unicode_normalize(ns, a, 0, 0) ||
                             tok_nstr_filter(ns, a, not_mn)))
      return -1;
    if (n->lowercase && tok_nstr_lowercase(ns, a))
      return -1;
    return 0;
  case TOK_N_NFC:
    return tok_nstr_unicode_normalize(ns, a, 1, 0);
  case TOK_N_NFD:
    return tok_nstr_unicode_normalize(ns, a, 0, 0);
  case TOK_N_NFKC:
    return tok_nstr_unicode_normalize(ns, a, 1, 1);
  case TOK_N_NFKD:
    return tok_nstr_unicode_normalize(ns, a, 0, 1);
  case TOK_N_LOWERCASE:
    return tok_nstr_lowercase(ns, a);
  case TOK_N_STRIP:
    return tok_nstr_strip(ns, a, n->left, n->right);
  case TOK_N_STRIP_ACCENTS:
    return tok_nstr_filter(ns, a, not_combining);
  case TOK_N_REPLACE:
    return replace(n, ns, a);
  case TOK_N_PREPEND:
    return ns->len ? tok_nstr_prepend(ns, a, n->content, n->content_len) : 0;
  case TOK_N_PRECOMPILED:
    return tok_precompiled_normalize(n->pc, ns, a);
  case TOK_N_SEQUENCE:
    for (i = 0; i < n->nchildren; ++i)
      if (tok_normalize(&n->children[i], ns, a))
        return -1;
    return 0;
  }
  return 0;
}

void tok_normalizer_free(void *node) {
  tok_normalizer *n = node;
  tok_regex_free(n->re);
  free(n->content);
  tok_precompiled_free(n->pc);
  tok_free_nodes(n->children, n->nchildren, sizeof(*n), tok_normalizer_free);
  memset(n, 0, sizeof(*n));
}
