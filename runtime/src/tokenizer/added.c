/*===- added.c - Added tokens: found in the text before the model runs ----===*\
|*                                                                            *|
|* tokenizers' AddedVocabulary::extract_and_normalize: added tokens that are  *|
|* not "normalized" are searched in the raw text, the rest of the text is     *|
|* normalized, then the "normalized" added tokens are searched in it. Both    *|
|* searches are leftmost-longest (a longer token wins at the same start),     *|
|* then single_word / lstrip / rstrip adjust or drop each match.              *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_internal.h"

#include <string.h>

static int32_t first_cp(const char *s, uint32_t n) {
  int32_t c = -1;
  if (n)
    tok_utf8_next(s, &c);
  return c;
}

static int32_t last_cp(const char *s, uint32_t n) {
  int32_t c = -1;
  uint32_t k = 1;
  if (!n)
    return -1;
  while (k < n && ((unsigned char)s[n - k] & 0xC0) == 0x80)
    ++k;
  tok_utf8_next(s + n - k, &c);
  return c;
}

/* Longest added token (of the wanted kind) starting at s[pos], or -1. */
static long longest_at(const bert_tokenizer_t *t, int normalized, const char *s,
                       uint32_t n, uint32_t pos, uint32_t *len) {
  size_t i;
  long best = -1;
  uint32_t best_len = 0;
  for (i = 0; i < t->nadded; ++i) {
    const tok_added *ad = &t->added[i];
    const char *p = normalized ? ad->norm_content : ad->content;
    size_t pl = normalized ? ad->norm_len : ad->len;
    if (ad->normalized != normalized || !pl || pl > n - pos || pl <= best_len ||
        p[0] != s[pos] || memcmp(p, s + pos, pl))
      continue;
    best = (long)i;
    best_len = (uint32_t)pl;
  }
  *len = best_len;
  return best;
}

/* Splits one string around its added tokens (split_with_indices). */
static int split_added(const bert_tokenizer_t *t, int normalized,
                       const tok_nstr *ns, tok_arena *a, tok_splits *out) {
  const char *s = ns->str;
  uint32_t n = ns->len, pos = 0, start_off = 0;
  if (!n)
    return 0;
  while (pos < n) {
    uint32_t len, start, stop;
    long idx = longest_at(t, normalized, s, n, pos, &len);
    const tok_added *ad;
    tok_split *sp;
    if (idx < 0) {
      int32_t c;
      pos += (uint32_t)tok_utf8_next(s + pos, &c);
      continue;
    }
    ad = &t->added[idx];
    start = pos;
    stop = pos + len;
    pos = stop; /* matches do not overlap */
    if (ad->single_word) {
      int32_t before = last_cp(s, start), after = first_cp(s + stop, n - stop);
      if ((start && tok_is_alphanumeric_word(before)) ||
          (stop < n && tok_is_alphanumeric_word(after)))
        continue;
    }
    if (ad->lstrip) {
      uint32_t ns2 = start;
      while (ns2 > 0) {
        uint32_t k = 1;
        int32_t c;
        while (k < ns2 && ((unsigned char)s[ns2 - k] & 0xC0) == 0x80)
          ++k;
        tok_utf8_next(s + ns2 - k, &c);
        if (!tok_is_whitespace(c))
          break;
        ns2 -= k;
      }
      start = ns2 > start_off ? ns2 : start_off;
    }
    if (ad->rstrip) {
      while (stop < n) {
        int32_t c;
        int k = tok_utf8_next(s + stop, &c);
        if (!tok_is_whitespace(c))
          break;
        stop += (uint32_t)k;
      }
    }
    if (start_off < start) {
      sp = tok_splits_push(out);
      if (!sp)
        return -1;
      tok_nstr_slice(ns, a, start_off, start, &sp->ns);
    }
    sp = tok_splits_push(out);
    if (!sp)
      return -1;
    tok_nstr_slice(ns, a, start, stop, &sp->ns);
    sp->toks = tok_arena_alloc(a, sizeof(tok_token));
    if (!sp->toks)
      return -1;
    sp->has_toks = 1;
    sp->ntoks = 1;
    sp->toks[0].id = ad->id;
    sp->toks[0].s = 0;
    sp->toks[0].e = stop - start;
    sp->toks[0].val = sp->ns.str;
    sp->toks[0].val_len = stop - start;
    start_off = stop;
    if (pos < stop)
      pos = stop; /* rstrip may run past the next match */
  }
  if (start_off < n) {
    tok_split *sp = tok_splits_push(out);
    if (!sp)
      return -1;
    tok_nstr_slice(ns, a, start_off, n, &sp->ns);
  }
  return 0;
}

int tok_extract_and_normalize(const bert_tokenizer_t *t, const char *text,
                              size_t len, tok_arena *a, tok_splits *out) {
  tok_nstr whole;
  tok_splits first;
  size_t i;
  int has_raw = 0, has_norm = 0;
  memset(out, 0, sizeof(*out));
  out->arena = a;
  memset(&first, 0, sizeof(first));
  first.arena = a;
  if (tok_nstr_from_text(&whole, a, text, len))
    return -1;
  for (i = 0; i < t->nadded; ++i) {
    if (t->added[i].normalized)
      has_norm = 1;
    else
      has_raw = 1;
  }
  if (has_raw) {
    if (split_added(t, 0, &whole, a, &first))
      return -1;
  } else if (whole.len) {
    tok_split *sp = tok_splits_push(&first);
    if (!sp)
      return -1;
    sp->ns = whole;
  }
  for (i = 0; i < first.n; ++i) {
    tok_split *sp;
    if (first.v[i].has_toks) {
      sp = tok_splits_push(out);
      if (!sp)
        return -1;
      *sp = first.v[i];
      continue;
    }
    if (t->normalizer && tok_normalize(t->normalizer, &first.v[i].ns, a))
      return -1;
    if (has_norm) {
      if (split_added(t, 1, &first.v[i].ns, a, out))
        return -1;
    } else if (first.v[i].ns.len) {
      sp = tok_splits_push(out);
      if (!sp)
        return -1;
      sp->ns = first.v[i].ns;
    }
  }
  return first.failed || out->failed || a->failed ? -1 : 0;
}
