/*===- postprocess.c - Special tokens, offsets trimming, merging ----------===*\
|*                                                                            *|
|* The post-processors of tokenizers: TemplateProcessing, BertProcessing,     *|
|* RobertaProcessing (all type ids 0, offsets trimmed of spaces), ByteLevel   *|
|* (offsets trimmed) and Sequence, over a list of per-sequence encodings      *|
|* that is finally concatenated (Encoding::merge without growing offsets).    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>

void tok_enc_init(tok_enc *e, tok_arena *a) {
  memset(e, 0, sizeof(*e));
  e->arena = a;
}

static int enc_reserve(tok_enc *e, size_t n) {
  size_t cap;
  if (n <= e->cap)
    return 0;
  cap = e->cap ? e->cap * 2 : 32;
  while (cap < n)
    cap *= 2;
#define GROW(field)                                                            \
  do {                                                                         \
    void *p = tok_arena_alloc(e->arena, cap * sizeof(*e->field));              \
    if (!p)                                                                    \
      return -1;                                                               \
    if (e->n)                                                                  \
      memcpy(p, e->field, e->n * sizeof(*e->field));                           \
    e->field = p;                                                              \
  } while (0)
  GROW(ids);
  GROW(type_ids);
  GROW(words);
  GROW(special);
  GROW(attn);
  GROW(vals);
  GROW(val_lens);
#undef GROW
  {
    uint32_t *o = tok_arena_alloc(e->arena, 2 * cap * sizeof(uint32_t));
    if (!o)
      return -1;
    if (e->n)
      memcpy(o, e->offs, 2 * e->n * sizeof(uint32_t));
    e->offs = o;
  }
  e->cap = cap;
  return 0;
}

void tok_enc_push(tok_enc *e, int32_t id, int32_t type_id, int32_t word,
                  uint32_t s, uint32_t end, int special, const char *val,
                  uint32_t val_len) {
  if (e->failed || enc_reserve(e, e->n + 1)) {
    e->failed = 1;
    return;
  }
  e->ids[e->n] = id;
  e->type_ids[e->n] = type_id;
  e->words[e->n] = word;
  e->special[e->n] = special;
  e->attn[e->n] = 1;
  e->offs[2 * e->n] = s;
  e->offs[2 * e->n + 1] = end;
  e->vals[e->n] = val;
  e->val_lens[e->n] = val_len;
  ++e->n;
}

void tok_enc_append(tok_enc *dst, const tok_enc *src) {
  size_t i;
  if (src->failed)
    dst->failed = 1;
  for (i = 0; i < src->n; ++i) {
    tok_enc_push(dst, src->ids[i], src->type_ids[i], src->words[i],
                 src->offs[2 * i], src->offs[2 * i + 1], src->special[i],
                 src->vals[i], src->val_lens[i]);
    if (!dst->failed)
      dst->attn[dst->n - 1] = src->attn[i];
  }
}

int tok_enc_merge(const tok_enc *a, const tok_enc *b, tok_arena *ar,
                  tok_enc *out) {
  size_t i, j, k = 0, n = a->novf * (1 + b->novf) + b->novf;
  tok_enc_init(out, ar);
  tok_enc_append(out, a);
  tok_enc_append(out, b);
  if (n) {
    out->ovf = tok_arena_alloc(ar, n * sizeof(*out->ovf));
    if (!out->ovf)
      return -1;
    for (i = 0; i < a->novf; ++i) {
      tok_enc_init(&out->ovf[k], ar);
      tok_enc_append(&out->ovf[k], &a->ovf[i]);
      tok_enc_append(&out->ovf[k++], b);
      for (j = 0; j < b->novf; ++j) {
        tok_enc_init(&out->ovf[k], ar);
        tok_enc_append(&out->ovf[k], &a->ovf[i]);
        tok_enc_append(&out->ovf[k++], &b->ovf[j]);
      }
    }
    for (j = 0; j < b->novf; ++j) {
      tok_enc_init(&out->ovf[k], ar);
      tok_enc_append(&out->ovf[k], a);
      tok_enc_append(&out->ovf[k++], &b->ovf[j]);
    }
    out->novf = n;
    for (i = 0; i < n; ++i)
      if (out->ovf[i].failed)
        out->failed = 1;
  }
  return out->failed ? -1 : 0;
}

static void push_special(tok_enc *e, int32_t id, int32_t type_id) {
  tok_enc_push(e, id, type_id, -1, 0, 0, 1, "", 0);
}

/* ByteLevel's process_offsets: leading / trailing spaces of a token's
 * string ('Ġ' is the byte-level space) leave its offsets. tokenizers
 * counts them in characters of the offsets it holds (Python's are in
 * characters); in bytes each is its UTF-8 length, and 'Ġ' stands for a
 * one-byte space. */
static void trim_offsets(tok_enc *e, int add_prefix_space) {
  size_t i;
  for (i = 0; i < e->n; ++i) {
    const char *v = e->vals[i];
    uint32_t n = e->val_lens[i], p = 0, lead = 0, trail = 0;
    uint32_t lead_b = 0, trail_b = 0;
    uint32_t *o = &e->offs[2 * i];
    int in_lead = 1;
    while (p < n) {
      int32_t c;
      uint32_t k = (uint32_t)tok_utf8_next(v + p, &c);
      p += k;
      if (c == 0x120 || tok_is_whitespace(c)) {
        uint32_t b = c == 0x120 ? 1 : k;
        if (in_lead) {
          ++lead;
          lead_b += b;
        }
        ++trail;
        trail_b += b;
      } else {
        in_lead = 0;
        trail = trail_b = 0;
      }
    }
    if (!lead && !trail)
      continue;
    if (lead) {
      int is_first = i == 0 || o[0] == 0;
      if (is_first && add_prefix_space && lead == 1)
        lead_b = 0;
      o[0] = o[0] + lead_b < o[1] ? o[0] + lead_b : o[1];
    }
    if (trail && o[1] >= trail_b)
      o[1] = o[1] - trail_b > o[0] ? o[1] - trail_b : o[0];
  }
}

size_t tok_postproc_added(const tok_postproc *p, int pair) {
  size_t i, n = 0;
  if (!p)
    return 0;
  switch (p->kind) {
  case TOK_PP_TEMPLATE: {
    const tok_template_piece *t = pair ? p->pair : p->single;
    size_t nt = pair ? p->npair : p->nsingle;
    for (i = 0; i < nt; ++i)
      if (t[i].is_special)
        n += p->specials[t[i].seq].n;
    return n;
  }
  case TOK_PP_BERT:
    return pair ? 3 : 2;
  case TOK_PP_ROBERTA:
    return pair ? 4 : 2;
  case TOK_PP_BYTE_LEVEL:
    return 0;
  case TOK_PP_SEQUENCE:
    for (i = 0; i < p->nchildren; ++i)
      n += tok_postproc_added(&p->children[i], pair);
    return n;
  }
  return 0;
}

/* One processor over the list encs[0, *n) (capacity cap), in place. */
static int process_list(const tok_postproc *p, tok_enc *encs, size_t *n,
                        size_t cap, int add_special, tok_arena *a) {
  size_t i, k;
  switch (p->kind) {
  case TOK_PP_BYTE_LEVEL:
    if (p->trim_offsets)
      for (i = 0; i < *n; ++i) {
        trim_offsets(&encs[i], p->add_prefix_space);
        for (k = 0; k < encs[i].novf; ++k)
          trim_offsets(&encs[i].ovf[k], p->add_prefix_space);
      }
    return 0;
  case TOK_PP_ROBERTA:
  case TOK_PP_BERT:
    if (p->kind == TOK_PP_ROBERTA) {
      for (i = 0; i < *n; ++i) {
        if (p->trim_offsets) {
          trim_offsets(&encs[i], p->add_prefix_space);
          for (k = 0; k < encs[i].novf; ++k)
            trim_offsets(&encs[i].ovf[k], p->add_prefix_space);
        }
        for (k = 0; k < encs[i].n; ++k)
          encs[i].type_ids[k] = 0;
      }
    }
    if (!add_special)
      return 0;
    for (i = 0; i < *n; ++i) {
      tok_enc out;
      size_t w;
      tok_enc_init(&out, a);
      if (encs[i].novf) {
        out.ovf = tok_arena_alloc(a, encs[i].novf * sizeof(*out.ovf));
        if (!out.ovf)
          return -1;
        out.novf = encs[i].novf;
      }
      /* Window 0 is the encoding itself, then its overflows. Roberta gives
       * every token type 0; Bert keeps the sequence's types and adds 0
       * around the first sequence, 1 after the second. */
      for (w = 0; w <= encs[i].novf; ++w) {
        tok_enc *dst = w ? &out.ovf[w - 1] : &out;
        const tok_enc *src = w ? &encs[i].ovf[w - 1] : &encs[i];
        int roberta = p->kind == TOK_PP_ROBERTA;
        if (w)
          tok_enc_init(dst, a);
        if (i == 0)
          push_special(dst, p->cls_id, 0);
        else if (roberta)
          push_special(dst, p->sep_id, 0);
        tok_enc_append(dst, src);
        push_special(dst, p->sep_id, roberta ? 0 : (i ? 1 : 0));
        if (roberta)
          for (k = 0; k < dst->n; ++k)
            dst->type_ids[k] = 0;
        if (dst->failed)
          return -1;
      }
      encs[i] = out;
    }
    return 0;
  case TOK_PP_TEMPLATE: {
    const tok_template_piece *t = *n > 1 ? p->pair : p->single;
    size_t nt = *n > 1 ? p->npair : p->nsingle, m = 0;
    tok_enc *res = tok_arena_alloc(a, (nt + 1) * sizeof(*res));
    if (!res || nt > cap)
      return -1;
    for (i = 0; i < nt; ++i) {
      if (!t[i].is_special) {
        tok_enc *src = &encs[t[i].seq < (int)*n ? t[i].seq : 0];
        tok_enc_init(&res[m], a);
        tok_enc_append(&res[m], src);
        /* The copy keeps the windows; only its own type ids change. */
        res[m].ovf = src->ovf;
        res[m].novf = src->novf;
        for (k = 0; k < res[m].n; ++k)
          res[m].type_ids[k] = t[i].type_id;
        if (res[m].failed)
          return -1;
        ++m;
      } else if (add_special) {
        const tok_special *sp = &p->specials[t[i].seq];
        tok_enc_init(&res[m], a);
        for (k = 0; k < sp->n; ++k)
          push_special(&res[m], sp->ids[k], t[i].type_id);
        if (res[m].failed)
          return -1;
        ++m;
      }
    }
    for (i = 0; i < m; ++i)
      encs[i] = res[i];
    *n = m;
    return 0;
  }
  case TOK_PP_SEQUENCE:
    for (i = 0; i < p->nchildren; ++i)
      if (process_list(&p->children[i], encs, n, cap, add_special, a))
        return -1;
    return 0;
  }
  return -1;
}

static size_t max_pieces(const tok_postproc *p) {
  size_t i, m = 2;
  if (!p)
    return m;
  if (p->kind == TOK_PP_TEMPLATE)
    m = p->npair > p->nsingle ? p->npair : p->nsingle;
  for (i = 0; i < p->nchildren; ++i) {
    size_t c = max_pieces(&p->children[i]);
    if (c > m)
      m = c;
  }
  return m + 2;
}

int tok_post_process(const tok_postproc *p, tok_enc *seqs, size_t nseq,
                     int add_special, tok_arena *a, tok_enc *out) {
  size_t cap = max_pieces(p), n = nseq, i, k;
  tok_enc *list = tok_arena_alloc(a, cap * sizeof(*list));
  if (!list)
    return -1;
  for (i = 0; i < nseq; ++i) {
    list[i] = seqs[i];
    /* PostProcessor::process: each sequence's type ids become its index. */
    if (p)
      for (k = 0; k < list[i].n; ++k)
        list[i].type_ids[k] = (int32_t)i;
  }
  if (p && process_list(p, list, &n, cap, add_special, a))
    return -1;
  /* Encoding::merge: pieces merged in turn, windows combined. */
  tok_enc_init(out, a);
  for (i = 0; i < n; ++i) {
    tok_enc merged;
    if (tok_enc_merge(out, &list[i], a, &merged))
      return -1;
    *out = merged;
  }
  return out->failed ? -1 : 0;
}

void tok_postproc_free(void *node) {
  tok_postproc *p = node;
  size_t i, k;
  free(p->single);
  free(p->pair);
  for (i = 0; i < p->nspecials; ++i) {
    free(p->specials[i].ids);
    for (k = 0; k < p->specials[i].n; ++k)
      if (p->specials[i].tokens)
        free(p->specials[i].tokens[k]);
    free(p->specials[i].tokens);
    free(p->specials[i].name);
  }
  free(p->specials);
  tok_free_nodes(p->children, p->nchildren, sizeof(*p), tok_postproc_free);
  memset(p, 0, sizeof(*p));
}
