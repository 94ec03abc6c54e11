/*===- precompiled.c - SentencePiece's precompiled charsmap normalizer ----===*\
|*                                                                            *|
|* The charsmap (base64 in tokenizer.json) is a little-endian u32 length,     *|
|* that many bytes of a Darts double-array trie keyed by UTF-8 input, then    *|
|* the NUL-separated replacement strings the trie's leaves point into.        *|
|* Lookups follow tokenizers (spm_precompiled): the first leaf met along a    *|
|* prefix walk wins, and a whole grapheme cluster shorter than 6 bytes is     *|
|* tried before its characters one by one. Every array access is bounds       *|
|* checked: a hostile charsmap reads as "no mapping", never out of bounds.    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct tok_precompiled {
  uint32_t *array;
  size_t n;
  char *norm; /* normalized blob (valid UTF-8) */
  size_t norm_len;
};

static int valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    int32_t cp;
    int k = tok_utf8_decode(s + i, n - i, &cp);
    if (cp == 0xFFFD && !(k == 3 && s[i] == 0xEF))
      return 0;
    i += (size_t)k;
  }
  return 1;
}

tok_precompiled *tok_precompiled_create(const unsigned char *blob, size_t n,
                                        char *err, size_t err_size) {
  tok_precompiled *pc;
  uint32_t trie_size;
  size_t i;
  if (n < 4) {
    snprintf(err, err_size, "precompiled_charsmap is shorter than 4 bytes");
    return NULL;
  }
  trie_size = (uint32_t)blob[0] | (uint32_t)blob[1] << 8 |
              (uint32_t)blob[2] << 16 | (uint32_t)blob[3] << 24;
  if (trie_size / 4 * 4 > n - 4) {
    snprintf(err, err_size,
             "precompiled_charsmap: trie of %u bytes but only %zu follow",
             trie_size, n - 4);
    return NULL;
  }
  if (!valid_utf8(blob + 4 + trie_size / 4 * 4, n - 4 - trie_size / 4 * 4)) {
    snprintf(err, err_size,
             "precompiled_charsmap: normalized strings are not UTF-8");
    return NULL;
  }
  pc = calloc(1, sizeof(*pc));
  if (!pc)
    goto oom;
  pc->n = trie_size / 4;
  pc->array = malloc(pc->n * sizeof(uint32_t) + 1);
  pc->norm_len = n - 4 - pc->n * 4;
  pc->norm = malloc(pc->norm_len + 1);
  if (!pc->array || !pc->norm)
    goto oom;
  for (i = 0; i < pc->n; ++i) {
    const unsigned char *p = blob + 4 + i * 4;
    pc->array[i] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                   (uint32_t)p[3] << 24;
  }
  memcpy(pc->norm, blob + 4 + pc->n * 4, pc->norm_len);
  pc->norm[pc->norm_len] = '\0';
  return pc;
oom:
  tok_precompiled_free(pc);
  snprintf(err, err_size, "out of memory");
  return NULL;
}

void tok_precompiled_free(tok_precompiled *pc) {
  if (!pc)
    return;
  free(pc->array);
  free(pc->norm);
  free(pc);
}

static uint64_t unit_offset(uint64_t u) {
  return (u >> 10) << ((u & (1u << 9)) >> 6);
}

/* Replacement for key[0, n), or NULL: the first leaf along the key. */
static const char *lookup(const tok_precompiled *pc, const char *key, size_t n,
                          size_t *out_len) {
  uint64_t pos = 0, unit;
  size_t i, idx, end;
  if (!pc->n)
    return NULL;
  unit = pc->array[0];
  pos ^= unit_offset(unit);
  for (i = 0; i < n; ++i) {
    unsigned c = (unsigned char)key[i];
    if (!c)
      break;
    pos ^= c;
    if (pos >= pc->n)
      return NULL;
    unit = pc->array[pos];
    if ((unit & ((1u << 31) | 0xFF)) != c)
      return NULL;
    pos ^= unit_offset(unit);
    if ((unit >> 8) & 1) {
      if (pos >= pc->n)
        return NULL;
      idx = pc->array[pos] & ((1u << 31) - 1);
      if (idx > pc->norm_len)
        return NULL;
      /* A value inside a UTF-8 sequence would make tokenizers panic. */
      if (idx < pc->norm_len && ((unsigned char)pc->norm[idx] & 0xC0) == 0x80)
        return NULL;
      end = idx;
      while (end < pc->norm_len && pc->norm[end])
        ++end;
      *out_len = end - idx;
      return pc->norm + idx;
    }
  }
  return NULL;
}

/* tokenizers' replace(): the new chars replace the old ones; extra new
 * chars are insertions, and a shorter result folds the removal into the
 * last change pushed so far. */
static void replace_part(tok_changes *ch, const char *old, size_t old_len,
                         const char *nw, size_t new_len) {
  size_t i, oc = 0, nc = 0;
  long diff;
  for (i = 0; i < old_len; ++i)
    if (((unsigned char)old[i] & 0xC0) != 0x80)
      ++oc;
  for (i = 0; i < new_len;) {
    int32_t cp;
    i += (size_t)tok_utf8_next(nw + i, &cp);
    tok_changes_push(ch, cp, 0);
    ++nc;
  }
  diff = (long)nc - (long)oc;
  if (diff > 0) {
    for (i = 0; i < (size_t)diff && i < ch->n; ++i)
      ch->v[ch->n - 1 - i].change = 1;
  } else if (diff < 0 && ch->n) {
    ch->v[ch->n - 1].change += (int32_t)diff;
  }
}

int tok_precompiled_normalize(const tok_precompiled *pc, tok_nstr *ns,
                              tok_arena *a) {
  tok_changes ch;
  uint32_t g = 0;
  int modified = 0;
  tok_changes_init(&ch, a);
  while (g < ns->len) {
    /* One extended grapheme cluster [g, ge). */
    uint32_t ge = g, i;
    int32_t prev = -1, cp;
    utf8proc_int32_t state = 0;
    const char *norm;
    size_t nlen;
    while (ge < ns->len) {
      int k = tok_utf8_next(ns->str + ge, &cp);
      if (prev >= 0 && utf8proc_grapheme_break_stateful(prev, cp, &state))
        break;
      prev = cp;
      ge += (uint32_t)k;
    }
    if (ge - g < 6 && (norm = lookup(pc, ns->str + g, ge - g, &nlen))) {
      modified = 1;
      replace_part(&ch, ns->str + g, ge - g, norm, nlen);
    } else {
      for (i = g; i < ge;) {
        int k = tok_utf8_next(ns->str + i, &cp);
        if ((norm = lookup(pc, ns->str + i, (size_t)k, &nlen))) {
          modified = 1;
          replace_part(&ch, ns->str + i, (size_t)k, norm, nlen);
        } else {
          tok_changes_push(&ch, cp, 0);
        }
        i += (uint32_t)k;
      }
    }
    g = ge;
  }
  if (!modified)
    return 0;
  return tok_nstr_transform(ns, a, &ch, 0);
}
