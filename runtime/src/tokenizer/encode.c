/*===- encode.c - The encode pipeline, truncation and padding -------------===*\
|*                                                                            *|
|* encode = per sequence: added tokens + normalizer, pre-tokenizer, model,    *|
|* then truncation of the pair, the post-processor, and padding over the      *|
|* batch, in tokenizers' order.                                               *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_internal.h"

#include "status.h"

#include <stdlib.h>
#include <string.h>

/* Indexed by bert_tok_status (dense from BERT_TOK_OK to BERT_TOK_ERR_NO_UNK),
 * from the list that defines it. */
static const char *const status_strings[] = {
#define STATUS_STRING(name, value, message) [name] = message,
    BERT_TOK_STATUS_LIST(STATUS_STRING)
#undef STATUS_STRING
};
BERT_STATIC_ASSERT(BERT_COUNT(status_strings) == BERT_TOK_ERR_NO_UNK + 1,
                   status_strings_cover_every_status);

const char *bert_tokenizer_status_string(int status) {
  return bert_code_string(status_strings, BERT_COUNT(status_strings), status,
                          "unknown status");
}

/* One sequence to a tok_enc (encode_single_sequence + do_tokenize). Every
 * pre-token is tokenized, truncation or not: the released tokenizers (0.23)
 * does so, and the lengths before truncation decide how LongestFirst splits
 * a pair. */
static int encode_sequence(const bert_tokenizer_t *t, const char *text,
                           size_t len, int32_t type_id, tok_arena *a,
                           tok_enc *out) {
  tok_splits s;
  size_t i;
  int rc;
  if (tok_extract_and_normalize(t, text, len, a, &s))
    return BERT_TOK_ERR_NOMEM;
  if (t->pretok && tok_pre_tokenize(t->pretok, &s))
    return BERT_TOK_ERR_NOMEM;
  tok_enc_init(out, a);
  for (i = 0; i < s.n; ++i) {
    tok_split *sp = &s.v[i];
    uint32_t k;
    if (!sp->has_toks) {
      rc = tok_model_tokenize(&t->model, &sp->ns, a, &sp->toks, &sp->ntoks);
      if (rc)
        return rc;
    }
    for (k = 0; k < sp->ntoks; ++k) {
      const tok_token *tk = &sp->toks[k];
      tok_span o = tok_nstr_original_span(&sp->ns, tk->s, tk->e);
      tok_enc_push(out, tk->id, type_id, (int32_t)i, o.s, o.e, 0, tk->val,
                   tk->val_len);
    }
  }
  return out->failed ? BERT_TOK_ERR_NOMEM : 0;
}

/* A copy of tokens [s, e) of src. */
static void window(const tok_enc *src, size_t s, size_t e, tok_arena *ar,
                   tok_enc *out) {
  tok_enc part = *src;
  part.ids += s;
  part.type_ids += s;
  part.words += s;
  part.special += s;
  part.attn += s;
  part.offs += 2 * s;
  part.vals += s;
  part.val_lens += s;
  part.n = e - s;
  tok_enc_init(out, ar);
  tok_enc_append(out, &part);
}

/* Encoding::truncate: the first window stays, the others (max_len tokens
 * each, overlapping by stride) become the overflowing windows. */
static int truncate_enc(tok_enc *e, size_t max_len, size_t stride,
                        bert_tok_direction dir, tok_arena *ar) {
  size_t n = e->n, step, k = 0, cap, start, stop;
  tok_enc *wins;
  int end = 0;
  if (max_len >= n)
    return 0;
  if (max_len == 0) {
    /* Everything overflows into one window. */
    tok_enc *o = tok_arena_alloc(ar, sizeof(*o));
    if (!o)
      return BERT_TOK_ERR_NOMEM;
    window(e, 0, n, ar, o);
    tok_enc_init(e, ar);
    e->ovf = o;
    e->novf = 1;
    return o->failed ? BERT_TOK_ERR_NOMEM : 0;
  }
  if (stride >= max_len)
    return BERT_TOK_ERR_TRUNCATION;
  step = max_len - stride;
  cap = n / step + 2;
  wins = tok_arena_alloc(ar, cap * sizeof(*wins));
  if (!wins)
    return BERT_TOK_ERR_NOMEM;
  if (dir == BERT_TOK_RIGHT) {
    for (start = 0; start < n && !end; start += step) {
      stop = start + max_len < n ? start + max_len : n;
      end = stop == n;
      window(e, start, stop, ar, &wins[k++]);
    }
  } else {
    size_t s1;
    for (s1 = n; s1 > 0 && !end; s1 = s1 > step ? s1 - step : 0) {
      stop = s1;
      start = stop > max_len ? stop - max_len : 0;
      end = start == 0;
      window(e, start, stop, ar, &wins[k++]);
      if (s1 <= step)
        break;
    }
  }
  *e = wins[0];
  e->ovf = k > 1 ? wins + 1 : NULL;
  e->novf = k - 1;
  for (start = 0; start < k; ++start)
    if (wins[start].failed)
      return BERT_TOK_ERR_NOMEM;
  return 0;
}

static int truncate_pair(const bert_tokenizer_t *t, tok_enc *a, tok_enc *b,
                         size_t max_len, tok_arena *ar) {
  size_t total = a->n + (b ? b->n : 0), n1, n2;
  int rc;
  if (max_len == 0) {
    rc = truncate_enc(a, 0, 0, t->trunc_dir, ar);
    return rc || !b ? rc : truncate_enc(b, 0, 0, t->trunc_dir, ar);
  }
  if (total <= max_len)
    return 0;
  switch (t->trunc_strategy) {
  case BERT_TOK_LONGEST_FIRST:
    if (!b)
      return truncate_enc(a, max_len, t->trunc_stride, t->trunc_dir, ar);
    n1 = a->n;
    n2 = b->n;
    {
      int swap = n1 > n2;
      if (swap) {
        size_t x = n1;
        n1 = n2;
        n2 = x;
      }
      if (n1 > max_len)
        n2 = n1;
      else
        n2 = n1 > max_len - n1 ? n1 : max_len - n1;
      if (n1 + n2 > max_len) {
        n1 = max_len / 2;
        n2 = n1 + max_len % 2;
      }
      if (swap) {
        size_t x = n1;
        n1 = n2;
        n2 = x;
      }
    }
    rc = truncate_enc(a, n1, t->trunc_stride, t->trunc_dir, ar);
    return rc ? rc : truncate_enc(b, n2, t->trunc_stride, t->trunc_dir, ar);
  case BERT_TOK_ONLY_FIRST:
  case BERT_TOK_ONLY_SECOND: {
    tok_enc *target = t->trunc_strategy == BERT_TOK_ONLY_FIRST ? a : b;
    size_t to_remove = total - max_len;
    if (!target || target->n <= to_remove)
      return BERT_TOK_ERR_TRUNCATION;
    return truncate_enc(target, target->n - to_remove, t->trunc_stride,
                        t->trunc_dir, ar);
  }
  }
  return BERT_TOK_ERR_ARGUMENT;
}

/* Everything up to padding, into out (in arena a). */
static int encode_one(const bert_tokenizer_t *t, const char *text, size_t len,
                      const char *pair, size_t pair_len, int add_special,
                      tok_arena *a, tok_enc *out) {
  tok_enc seqs[2];
  int rc;
  size_t nseq = pair ? 2 : 1;
  if ((!text && len) || (pair && !pair_len && 0) ||
      len > BERT_TOK_MAX_TEXT_BYTES || pair_len > BERT_TOK_MAX_TEXT_BYTES)
    return BERT_TOK_ERR_ARGUMENT;
  rc = encode_sequence(t, text ? text : "", len, 0, a, &seqs[0]);
  if (!rc && pair)
    rc = encode_sequence(t, pair, pair_len, 1, a, &seqs[1]);
  if (rc)
    return rc;
  if (t->has_trunc) {
    size_t max = t->trunc_max,
           added = tok_postproc_added(t->post, pair != NULL);
    if (add_special && added > 0) {
      if (max < added)
        return BERT_TOK_ERR_TRUNCATION;
      max -= added;
    }
    rc = truncate_pair(t, &seqs[0], pair ? &seqs[1] : NULL, max, a);
    if (rc)
      return rc;
  }
  if (tok_post_process(t->post, seqs, nseq, add_special, a, out))
    return BERT_TOK_ERR_NOMEM;
  return 0;
}

void bert_encoding_destroy(bert_encoding_t *enc);

static bert_encoding_t *finish(const bert_tokenizer_t *t, const tok_enc *e,
                               size_t target) {
  size_t n = e->n > target ? e->n : target, pad = n - e->n, i;
  size_t lead = t->pad_dir == BERT_TOK_LEFT ? pad : 0;
  bert_encoding_t *r;
  char *mem;
  size_t words = 5 * n * sizeof(int32_t) + 2 * n * sizeof(uint32_t);
  mem = malloc(sizeof(*r) + words + 1);
  if (!mem)
    return NULL;
  r = (bert_encoding_t *)mem;
  r->length = n;
  r->num_overflowing = 0;
  r->overflowing = NULL;
  if (e->novf) {
    size_t k;
    r->overflowing = calloc(e->novf, sizeof(*r->overflowing));
    if (!r->overflowing) {
      free(r);
      return NULL;
    }
    r->num_overflowing = e->novf;
    for (k = 0; k < e->novf; ++k)
      if (!(r->overflowing[k] = finish(t, &e->ovf[k], target))) {
        bert_encoding_destroy(r);
        return NULL;
      }
  }
  r->ids = (int32_t *)(mem + sizeof(*r));
  r->type_ids = r->ids + n;
  r->attention_mask = r->type_ids + n;
  r->special_tokens_mask = r->attention_mask + n;
  r->word_ids = r->special_tokens_mask + n;
  r->offsets = (uint32_t *)(r->word_ids + n);
  for (i = 0; i < n; ++i) {
    if (i < lead || i >= lead + e->n) {
      r->ids[i] = t->pad_id;
      r->type_ids[i] = t->pad_type_id;
      r->attention_mask[i] = 0;
      r->special_tokens_mask[i] = 1;
      r->word_ids[i] = -1;
      r->offsets[2 * i] = r->offsets[2 * i + 1] = 0;
    } else {
      size_t j = i - lead;
      r->ids[i] = e->ids[j];
      r->type_ids[i] = e->type_ids[j];
      r->attention_mask[i] = e->attn[j];
      r->special_tokens_mask[i] = e->special[j];
      r->word_ids[i] = e->words[j];
      r->offsets[2 * i] = e->offs[2 * j];
      r->offsets[2 * i + 1] = e->offs[2 * j + 1];
    }
  }
  return r;
}

static size_t pad_target(const bert_tokenizer_t *t, size_t longest) {
  size_t n;
  if (!t->has_pad)
    return 0;
  n = t->pad_fixed ? t->pad_fixed : longest;
  if (t->pad_multiple && n % t->pad_multiple)
    n += t->pad_multiple - n % t->pad_multiple;
  return n;
}

/* A copy of e padded to target, its windows too (e is freed); NULL when
 * out of memory. */
static bert_encoding_t *repad(const bert_tokenizer_t *t, bert_encoding_t *e,
                              size_t target) {
  tok_enc tmp;
  bert_encoding_t *r;
  size_t k;
  memset(&tmp, 0, sizeof(tmp));
  tmp.n = e->length;
  tmp.ids = e->ids;
  tmp.type_ids = e->type_ids;
  tmp.attn = e->attention_mask;
  tmp.special = e->special_tokens_mask;
  tmp.words = e->word_ids;
  tmp.offs = e->offsets;
  r = finish(t, &tmp, target);
  if (r && e->num_overflowing) {
    r->overflowing = calloc(e->num_overflowing, sizeof(*r->overflowing));
    if (!r->overflowing) {
      bert_encoding_destroy(r);
      r = NULL;
    } else {
      r->num_overflowing = e->num_overflowing;
      for (k = 0; k < e->num_overflowing; ++k) {
        r->overflowing[k] = repad(t, e->overflowing[k], target);
        e->overflowing[k] = NULL;
        if (!r->overflowing[k]) {
          bert_encoding_destroy(r);
          r = NULL;
          break;
        }
      }
    }
  }
  bert_encoding_destroy(e);
  return r;
}

int bert_tokenizer_encode_batch(const bert_tokenizer_t *t, size_t n,
                                const char *const *texts, const size_t *lens,
                                const char *const *pairs,
                                const size_t *pair_lens, int add_special_tokens,
                                bert_encoding_t **out) {
  tok_arena a = {0};
  size_t i, longest = 0, target;
  int rc = 0;
  if (!t || !out || (n && (!texts || !lens)))
    return BERT_TOK_ERR_ARGUMENT;
  for (i = 0; i < n; ++i)
    out[i] = NULL;
  /* One scratch arena, reset between texts: the scratch of a whole batch
   * never piles up; each result is copied out unpadded. */
  for (i = 0; i < n && !rc; ++i) {
    const char *p = pairs ? pairs[i] : NULL;
    tok_enc e;
    rc = encode_one(t, texts[i], lens[i], p, p && pair_lens ? pair_lens[i] : 0,
                    add_special_tokens, &a, &e);
    if (!rc && a.failed)
      rc = BERT_TOK_ERR_NOMEM;
    if (!rc && !(out[i] = finish(t, &e, 0)))
      rc = BERT_TOK_ERR_NOMEM;
    if (!rc && out[i]->length > longest)
      longest = out[i]->length;
    tok_arena_reset(&a);
  }
  tok_arena_free(&a);
  target = pad_target(t, longest);
  for (i = 0; i < n && !rc; ++i)
    if (target && !(out[i] = repad(t, out[i], target)))
      rc = BERT_TOK_ERR_NOMEM;
  if (rc)
    for (i = 0; i < n; ++i) {
      free(out[i]);
      out[i] = NULL;
    }
  return rc;
}

int bert_tokenizer_encode(const bert_tokenizer_t *t, const char *text,
                          size_t len, const char *pair, size_t pair_len,
                          int add_special_tokens, bert_encoding_t **out) {
  size_t pl = pair_len;
  if (!out)
    return BERT_TOK_ERR_ARGUMENT;
  *out = NULL;
  return bert_tokenizer_encode_batch(t, 1, &text, &len, pair ? &pair : NULL,
                                     &pl, add_special_tokens, out);
}

void bert_encoding_destroy(bert_encoding_t *enc) {
  size_t k;
  if (!enc)
    return;
  for (k = 0; k < enc->num_overflowing; ++k)
    bert_encoding_destroy(enc->overflowing[k]);
  free(enc->overflowing);
  free(enc);
}

int bert_tokenizer_encode_to_inputs(
    const bert_tokenizer_t *t, size_t n, const char *const *texts,
    const size_t *lens, const char *const *pairs, const size_t *pair_lens,
    int add_special_tokens, size_t seq_len, int32_t *input_ids,
    int32_t *token_type_ids, int32_t *attention_mask, size_t *lengths) {
  bert_tokenizer_t plain;
  bert_encoding_t **encs;
  size_t i, j;
  int rc;
  if (!t || !input_ids || !seq_len || (n && (!texts || !lens)))
    return BERT_TOK_ERR_ARGUMENT;
  encs = calloc(n + 1, sizeof(*encs));
  if (!encs)
    return BERT_TOK_ERR_NOMEM;
  /* The same tokenizer without padding (a shallow copy: only has_pad
   * differs, nothing is freed through it). */
  plain = *t;
  plain.has_pad = 0;
  rc = bert_tokenizer_encode_batch(&plain, n, texts, lens, pairs, pair_lens,
                                   add_special_tokens, encs);
  for (i = 0; i < n && !rc; ++i) {
    const bert_encoding_t *e = encs[i];
    size_t row = i * seq_len;
    if (e->length > seq_len) {
      rc = BERT_TOK_ERR_TRUNCATION;
      break;
    }
    for (j = 0; j < seq_len; ++j) {
      int tok = j < e->length;
      input_ids[row + j] = tok ? e->ids[j] : (t->has_pad ? t->pad_id : 0);
      if (token_type_ids)
        token_type_ids[row + j] =
            tok ? e->type_ids[j] : (t->has_pad ? t->pad_type_id : 0);
      if (attention_mask)
        attention_mask[row + j] = tok ? e->attention_mask[j] : 0;
    }
    if (lengths)
      lengths[i] = e->length;
  }
  for (i = 0; i < n; ++i)
    bert_encoding_destroy(encs[i]);
  free(encs);
  return rc;
}

int bert_tokenizer_set_truncation(bert_tokenizer_t *t, size_t max_length,
                                  size_t stride,
                                  bert_tok_truncation_strategy strategy,
                                  bert_tok_direction direction) {
  if (!t || strategy > BERT_TOK_ONLY_SECOND || direction > BERT_TOK_LEFT)
    return BERT_TOK_ERR_ARGUMENT;
  t->has_trunc = 1;
  t->trunc_max = max_length;
  t->trunc_stride = stride;
  t->trunc_strategy = strategy;
  t->trunc_dir = direction;
  return 0;
}

void bert_tokenizer_disable_truncation(bert_tokenizer_t *t) {
  if (t)
    t->has_trunc = 0;
}

int bert_tokenizer_get_truncation(const bert_tokenizer_t *t, size_t *max_length,
                                  size_t *stride,
                                  bert_tok_truncation_strategy *strategy,
                                  bert_tok_direction *direction) {
  if (!t || !t->has_trunc)
    return 0;
  if (max_length)
    *max_length = t->trunc_max;
  if (stride)
    *stride = t->trunc_stride;
  if (strategy)
    *strategy = t->trunc_strategy;
  if (direction)
    *direction = t->trunc_dir;
  return 1;
}

int bert_tokenizer_set_padding(bert_tokenizer_t *t, size_t fixed_length,
                               size_t pad_to_multiple_of, int32_t pad_id,
                               int32_t pad_type_id, const char *pad_token,
                               bert_tok_direction direction) {
  char *tok;
  if (!t || direction > BERT_TOK_LEFT)
    return BERT_TOK_ERR_ARGUMENT;
  tok = strdup(pad_token ? pad_token : "");
  if (!tok)
    return BERT_TOK_ERR_NOMEM;
  free(t->pad_token);
  t->pad_token = tok;
  t->has_pad = 1;
  t->pad_fixed = fixed_length;
  t->pad_multiple = pad_to_multiple_of;
  t->pad_id = pad_id;
  t->pad_type_id = pad_type_id;
  t->pad_dir = direction;
  return 0;
}

void bert_tokenizer_disable_padding(bert_tokenizer_t *t) {
  if (t)
    t->has_pad = 0;
}

int32_t bert_tokenizer_token_to_id(const bert_tokenizer_t *t, const char *token,
                                   size_t len) {
  int32_t i;
  if (!t || !token)
    return -1;
  i = tok_strmap_get(&t->added_map, token, len);
  if (i >= 0)
    return t->added[i].id;
  return tok_strmap_get(&t->model.vocab, token, len);
}

const char *bert_tokenizer_id_to_token(const bert_tokenizer_t *t, int32_t id,
                                       size_t *len) {
  size_t i;
  if (!t || id < 0)
    return NULL;
  for (i = 0; i < t->nadded; ++i)
    if (t->added[i].id == id) {
      if (len)
        *len = t->added[i].len;
      return t->added[i].content;
    }
  if ((size_t)id < t->model.nids && t->model.names[id]) {
    if (len)
      *len = t->model.name_lens[id];
    return t->model.names[id];
  }
  return NULL;
}

size_t bert_tokenizer_vocab_size(const bert_tokenizer_t *t) {
  size_t i, n;
  if (!t)
    return 0;
  n = t->model.vocab_size;
  for (i = 0; i < t->nadded; ++i)
    if (tok_strmap_get(&t->model.vocab, t->added[i].content, t->added[i].len) <
        0)
      ++n;
  return n;
}

size_t bert_tokenizer_num_special_tokens(const bert_tokenizer_t *t, int pair) {
  return t ? tok_postproc_added(t->post, pair) : 0;
}
