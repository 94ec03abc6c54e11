/*===- models.c - WordPiece, BPE and Unigram ------------------------------===*\
|*                                                                            *|
|* The three models turn one pre-token into tokens with offsets relative to   *|
|* it. They follow tokenizers' algorithms step for step (greedy longest       *|
|* match; merges by rank then position; Viterbi with its tie-breaking and     *|
|* fused unknowns), since any shortcut changes ids somewhere.                 *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>

static int last_char_len(const char *s, size_t n) {
  size_t k = 1;
  while (k < n && ((unsigned char)s[n - k] & 0xC0) == 0x80)
    ++k;
  return (int)k;
}

static void set_tok(tok_token *t, const tok_model *m, int32_t id, uint32_t s,
                    uint32_t e) {
  t->id = id;
  t->s = s;
  t->e = e;
  if (id >= 0 && (size_t)id < m->nids && m->names[id]) {
    t->val = m->names[id];
    t->val_len = m->name_lens[id];
  } else {
    t->val = "";
    t->val_len = 0;
  }
}

/*===--- WordPiece
 * ---------------------------------------------------------===*/

static int wordpiece(const tok_model *m, const char *s, uint32_t n,
                     tok_arena *a, tok_token **out, uint32_t *nout) {
  uint32_t chars = 0, i, start = 0, cnt = 0;
  char *buf;
  tok_token *toks;
  for (i = 0; i < n; ++i)
    if (((unsigned char)s[i] & 0xC0) != 0x80)
      ++chars;
  toks = tok_arena_alloc(a, (n + 1) * sizeof(*toks));
  buf = tok_arena_alloc(a, m->prefix_len + n + 1);
  if (!toks || !buf)
    return BERT_TOK_ERR_NOMEM;
  if (chars <= m->max_input_chars_per_word) {
    memcpy(buf, m->prefix, m->prefix_len);
    while (start < n) {
      uint32_t end = n;
      int32_t id = -1;
      while (start < end) {
        size_t pl = start > 0 ? m->prefix_len : 0;
        memcpy(buf + m->prefix_len, s + start, end - start);
        id = tok_strmap_get(&m->vocab, buf + m->prefix_len - pl,
                            pl + end - start);
        if (id >= 0)
          break;
        end -= (uint32_t)last_char_len(s + start, end - start);
      }
      if (id < 0)
        break;
      set_tok(&toks[cnt++], m, id, start, end);
      start = end;
    }
    if (start >= n) {
      *out = toks;
      *nout = cnt;
      return 0;
    }
  }
  if (m->unk_id < 0)
    return BERT_TOK_ERR_NO_UNK;
  set_tok(&toks[0], m, m->unk_id, 0, n);
  *out = toks;
  *nout = 1;
  return 0;
}

/*===--- BPE
 * ---------------------------------------------------------------===*/

typedef struct {
  int32_t c;
  int32_t prev, next;
  uint32_t len;
} bpe_sym;

typedef struct {
  uint32_t rank, pos;
  int32_t new_id;
} bpe_merge;

static int merge_less(const bpe_merge *x, const bpe_merge *y) {
  return x->rank != y->rank ? x->rank < y->rank : x->pos < y->pos;
}

static void heap_push(bpe_merge *h, size_t *n, bpe_merge v) {
  size_t i = (*n)++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!merge_less(&v, &h[p]))
      break;
    h[i] = h[p];
    i = p;
  }
  h[i] = v;
}

static bpe_merge heap_pop(bpe_merge *h, size_t *n) {
  bpe_merge top = h[0], v = h[--(*n)];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    const bpe_merge *best = &v;
    if (l < *n && merge_less(&h[l], best))
      m = l, best = &h[l];
    if (r < *n && merge_less(&h[r], best))
      m = r;
    if (m == i)
      break;
    h[i] = h[m];
    i = m;
  }
  if (*n)
    h[i] = v;
  return top;
}

static int add_sym(bpe_sym *syms, uint32_t *n, int32_t c, uint32_t len) {
  if (*n)
    syms[*n - 1].next = (int32_t)*n;
  syms[*n].c = c;
  syms[*n].prev = (int32_t)*n - 1;
  syms[*n].next = -1;
  syms[*n].len = len;
  ++*n;
  return 0;
}

static int get_merge(const tok_model *m, int32_t a, int32_t b, uint32_t *rank,
                     uint32_t *new_id) {
  return tok_u64map_get(&m->merges, (uint64_t)(uint32_t)a << 32 | (uint32_t)b,
                        rank, new_id);
}

static int bpe(const tok_model *m, const char *s, uint32_t n, tok_arena *a,
               tok_token **out, uint32_t *nout) {
  bpe_sym *syms;
  bpe_merge *heap;
  size_t nheap = 0, hcap;
  uint32_t nsym = 0, i = 0, off, k, cnt = 0;
  int32_t unk = -1;
  uint32_t unk_len = 0;
  char *buf;
  tok_token *toks;
  if (!n) {
    *nout = 0;
    return 0;
  }
  if (m->ignore_merges) {
    int32_t id = tok_strmap_get(&m->vocab, s, n);
    if (id >= 0) {
      toks = tok_arena_alloc(a, sizeof(*toks));
      if (!toks)
        return BERT_TOK_ERR_NOMEM;
      set_tok(toks, m, id, 0, n);
      *out = toks;
      *nout = 1;
      return 0;
    }
  }
  /* At most one symbol per byte, plus the prefix's bytes under
   * byte_fallback. */
  hcap = (size_t)n * (m->prefix_len + m->suffix_len + 1) + 1;
  syms = tok_arena_alloc(a, hcap * sizeof(*syms));
  /* Each merge pushes at most two new candidates: 3 per symbol suffice. */
  heap = tok_arena_alloc(a, 3 * hcap * sizeof(*heap));
  buf = tok_arena_alloc(a, m->prefix_len + m->suffix_len + 5);
  if (!syms || !heap || !buf)
    return BERT_TOK_ERR_NOMEM;
  while (i < n) {
    int32_t cp, id;
    uint32_t cl = (uint32_t)tok_utf8_next(s + i, &cp), bl = 0;
    if (i > 0 && m->prefix) {
      memcpy(buf, m->prefix, m->prefix_len);
      bl = (uint32_t)m->prefix_len;
    }
    memcpy(buf + bl, s + i, cl);
    bl += cl;
    if (i + cl >= n && m->suffix) {
      memcpy(buf + bl, m->suffix, m->suffix_len);
      bl += (uint32_t)m->suffix_len;
    }
    id = tok_strmap_get(&m->vocab, buf, bl);
    if (id >= 0) {
      if (unk >= 0) {
        add_sym(syms, &nsym, unk, unk_len);
        unk = -1;
      }
      add_sym(syms, &nsym, id, cl);
      i += cl;
      continue;
    }
    if (m->byte_fallback) {
      for (k = 0; k < bl && m->byte_ids[(unsigned char)buf[k]] >= 0; ++k)
        ;
      if (k == bl) {
        for (k = 0; k < bl; ++k)
          add_sym(syms, &nsym, m->byte_ids[(unsigned char)buf[k]], 1);
        i += cl;
        continue;
      }
    }
    if (m->unk_id >= 0) {
      if (unk >= 0 && m->fuse_unk) {
        unk_len += cl;
      } else {
        if (unk >= 0)
          add_sym(syms, &nsym, unk, unk_len);
        unk = m->unk_id;
        unk_len = cl;
      }
    }
    i += cl;
  }
  if (unk >= 0)
    add_sym(syms, &nsym, unk, unk_len);

  for (k = 0; k + 1 < nsym; ++k) {
    bpe_merge mg;
    if (get_merge(m, syms[k].c, syms[k + 1].c, &mg.rank,
                  (uint32_t *)&mg.new_id)) {
      mg.pos = k;
      heap_push(heap, &nheap, mg);
    }
  }
  while (nheap) {
    bpe_merge top = heap_pop(heap, &nheap);
    bpe_sym *cur = &syms[top.pos], right;
    uint32_t r, nid;
    if (!cur->len || cur->next < 0)
      continue;
    right = syms[cur->next];
    if (!get_merge(m, cur->c, right.c, &r, &nid) || (int32_t)nid != top.new_id)
      continue;
    /* Merge right into cur. */
    syms[cur->next].len = 0;
    cur->c = top.new_id;
    cur->len += right.len;
    cur->next = right.next;
    if (right.next >= 0 && (uint32_t)right.next < nsym)
      syms[right.next].prev = (int32_t)top.pos;
    if (cur->prev >= 0) {
      bpe_merge mg;
      if (get_merge(m, syms[cur->prev].c, cur->c, &mg.rank,
                    (uint32_t *)&mg.new_id)) {
        mg.pos = (uint32_t)cur->prev;
        heap_push(heap, &nheap, mg);
      }
    }
    if (cur->next >= 0 && (uint32_t)cur->next < nsym) {
      bpe_merge mg;
      if (get_merge(m, cur->c, syms[cur->next].c, &mg.rank,
                    (uint32_t *)&mg.new_id)) {
        mg.pos = top.pos;
        heap_push(heap, &nheap, mg);
      }
    }
  }
  toks = tok_arena_alloc(a, (nsym + 1) * sizeof(*toks));
  if (!toks)
    return BERT_TOK_ERR_NOMEM;
  for (k = 0, off = 0; k < nsym; ++k) {
    if (!syms[k].len)
      continue;
    set_tok(&toks[cnt++], m, syms[k].c, off, off + syms[k].len);
    off += syms[k].len;
  }
  *out = toks;
  *nout = cnt;
  return 0;
}

/*===--- Unigram
 * -----------------------------------------------------------===*/

typedef struct {
  double score;
  int32_t start; /* -1: unreached */
  int32_t id;
} uni_node;

static int unigram(const tok_model *m, const char *s, uint32_t n, tok_arena *a,
                   tok_token **out, uint32_t *nout) {
  uni_node *best;
  uint32_t at = 0, e, cnt = 0, *starts, nst = 0, k;
  double unk_score = m->min_score - 10.0;
  tok_token *toks;
  if (!n) {
    *nout = 0;
    return 0;
  }
  best = tok_arena_alloc(a, (n + 1) * sizeof(*best));
  starts = tok_arena_alloc(a, (n + 1) * sizeof(*starts));
  if (!best || !starts)
    return BERT_TOK_ERR_NOMEM;
  for (k = 0; k <= n; ++k) {
    best[k].score = 0.0;
    best[k].start = -1;
    best[k].id = 0;
  }
  while (at < n) {
    double here = best[at].score;
    int32_t cp;
    uint32_t mblen = (uint32_t)tok_utf8_next(s + at, &cp), node = 0, p;
    int single = 0;
    for (p = at; p < n; ++p) {
      uint32_t child;
      if (!tok_u64map_get(&m->trie, (uint64_t)node << 8 | (unsigned char)s[p],
                          &child, NULL))
        break;
      node = child;
      if (m->node_token[node] >= 0) {
        int32_t id = m->node_token[node];
        uni_node *t = &best[p + 1];
        double cand = m->scores[id] + here;
        if (t->start < 0 || cand > t->score) {
          t->score = cand;
          t->start = (int32_t)at;
          t->id = id;
        }
        if (p + 1 - at == mblen)
          single = 1;
      }
    }
    if (!single) {
      uni_node *t = &best[at + mblen];
      double cand = unk_score + here;
      if (m->unk_id < 0)
        return BERT_TOK_ERR_NO_UNK;
      if (t->start < 0 || cand > t->score) {
        t->score = cand;
        t->start = (int32_t)at;
        t->id = m->unk_id;
      }
    }
    at += mblen;
  }
  /* Walk back from the end, fusing runs of unknown pieces into one (fuse_unk
   * is always on for Unigram in tokenizers). begs/ends are in reverse. */
  {
    uint32_t *begs = starts,
             *ends = tok_arena_alloc(a, (n + 1) * sizeof(*ends));
    int prev_unk = 0;
    if (!ends)
      return BERT_TOK_ERR_NOMEM;
    e = n;
    while (e > 0) {
      uint32_t st = (uint32_t)best[e].start;
      int is_unk = best[e].id == m->unk_id;
      if (is_unk && prev_unk) {
        begs[nst - 1] = st;
      } else {
        begs[nst] = st;
        ends[nst] = e;
        ++nst;
      }
      prev_unk = is_unk;
      e = st;
    }
    toks = tok_arena_alloc(a, ((size_t)n + 1) * sizeof(*toks));
    if (!toks)
      return BERT_TOK_ERR_NOMEM;
    for (k = nst; k-- > 0;) {
      uint32_t b = begs[k], en = ends[k], len = en - b;
      int32_t id = tok_strmap_get(&m->vocab, s + b, len);
      if (id < 0 && m->byte_fallback) {
        uint32_t j;
        for (j = 0; j < len && m->byte_ids[(unsigned char)s[b + j]] >= 0; ++j)
          ;
        if (j == len) {
          for (j = 0; j < len; ++j)
            set_tok(&toks[cnt++], m, m->byte_ids[(unsigned char)s[b + j]], b,
                    en);
          continue;
        }
      }
      if (id < 0) {
        if (m->unk_id < 0)
          return BERT_TOK_ERR_NO_UNK;
        id = m->unk_id;
      }
      toks[cnt].id = id;
      toks[cnt].s = b;
      toks[cnt].e = en;
      toks[cnt].val = s + b;
      toks[cnt].val_len = len;
      ++cnt;
    }
  }
  *out = toks;
  *nout = cnt;
  return 0;
}

int tok_model_tokenize(const tok_model *m, const tok_nstr *ns, tok_arena *a,
                       tok_token **out, uint32_t *n) {
  *out = NULL;
  *n = 0;
  switch (m->kind) {
  case TOK_M_WORDPIECE:
    return wordpiece(m, ns->str, ns->len, a, out, n);
  case TOK_M_BPE:
    return bpe(m, ns->str, ns->len, a, out, n);
  case TOK_M_UNIGRAM:
    return unigram(m, ns->str, ns->len, a, out, n);
  }
  return BERT_TOK_ERR_FORMAT;
}

void tok_model_free(tok_model *m) {
  tok_strmap_free(&m->vocab);
  free(m->names);
  free(m->name_lens);
  free(m->prefix);
  free(m->suffix);
  tok_u64map_free(&m->merges);
  free(m->scores);
  tok_u64map_free(&m->trie);
  free(m->node_token);
  memset(m, 0, sizeof(*m));
}
