/*===- load_model.c - Model, post-processor, added tokens, whole file -----===*\
|*                                                                            *|
|* The rest of tokenizer.json: the model's vocabulary (and merges or          *|
|* scores), the post-processor, truncation, padding and the added tokens,     *|
|* whose ids are resolved as tokenizers does (the model's id for a string     *|
|* it knows, else the next free id).                                          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ids above this are refused: they would only make the id table huge. */
#define TOK_MAX_ID ((int64_t)1 << 24)

static int set_name(tok_loader *L, tok_model *m, size_t entry) {
  uint32_t len;
  const char *k = tok_strmap_key(&m->vocab, entry, &len);
  int32_t id = m->vocab.entries[entry].value;
  if ((size_t)id >= m->nids)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "model id %d out of range", id);
  m->names[id] = k;
  m->name_lens[id] = len;
  return 0;
}

/* names[] (id -> string) once the vocabulary is complete. */
static int build_names(tok_loader *L, tok_model *m, int64_t max_id) {
  size_t i;
  m->nids = (size_t)max_id + 1;
  m->names = calloc(m->nids, sizeof(*m->names));
  m->name_lens = calloc(m->nids, sizeof(*m->name_lens));
  if (!m->names || !m->name_lens)
    return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
  for (i = 0; i < m->vocab.n; ++i)
    if (set_name(L, m, i))
      return -1;
  for (i = 0; i < 256; ++i) {
    char b[8];
    snprintf(b, sizeof(b), "<0x%02X>", (unsigned)i);
    m->byte_ids[i] = tok_strmap_get(&m->vocab, b, 6);
  }
  return 0;
}

static int vocab_object(tok_loader *L, tok_model *m, const bert_json_value *v) {
  const bert_json_value *c;
  int64_t max_id = -1;
  if (!v || bert_json_type_of(v) != BERT_JSON_OBJECT)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "model.vocab must be an object");
  for (c = bert_json_first(L->doc, v); c; c = bert_json_next(L->doc, c)) {
    size_t klen;
    const char *k = tok_ld_key(L, c, &klen);
    if (bert_json_type_of(c) != BERT_JSON_NUMBER || !bert_json_is_int(c) ||
        bert_json_int(c) < 0 || bert_json_int(c) > TOK_MAX_ID)
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "model.vocab[\"%s\"] must be an id in [0, %lld]", k,
                         (long long)TOK_MAX_ID);
    if (tok_strmap_put(&m->vocab, k, klen, (int32_t)bert_json_int(c)))
      return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
    if (bert_json_int(c) > max_id)
      max_id = bert_json_int(c);
  }
  m->vocab_size = m->vocab.n;
  return build_names(L, m, max_id);
}

static int opt_string(tok_loader *L, const bert_json_value *o, const char *k,
                      char **out, size_t *len, const char *def) {
  const bert_json_value *v;
  const bert_json_value *raw = tok_ld_get(L, o, k);
  if (tok_ld_str(L, o, k, &v, "model"))
    return -1;
  if (!v && def && !raw) {
    *out = tok_ld_dup(def, strlen(def));
    *len = strlen(def);
  } else if (v) {
    *out = tok_ld_dup(tok_ld_s(L, v), tok_ld_slen(L, v));
    *len = tok_ld_slen(L, v);
  } else {
    return 0;
  }
  return *out ? 0 : tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
}

static int load_merge(tok_loader *L, tok_model *m, const bert_json_value *c,
                      uint32_t rank, char **buf, size_t *cap) {
  const char *a, *b;
  size_t al, bl, need;
  int32_t ia, ib, in;
  if (bert_json_type_of(c) == BERT_JSON_STRING) {
    const char *sp = memchr(tok_ld_s(L, c), ' ', tok_ld_slen(L, c));
    if (!sp || memchr(sp + 1, ' ',
                      tok_ld_slen(L, c) - (size_t)(sp + 1 - tok_ld_s(L, c))))
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "model.merges[%u] is not \"a b\"", rank);
    a = tok_ld_s(L, c);
    al = (size_t)(sp - tok_ld_s(L, c));
    b = sp + 1;
    bl = tok_ld_slen(L, c) - al - 1;
  } else if (bert_json_type_of(c) == BERT_JSON_ARRAY &&
             bert_json_count(c) == 2) {
    const bert_json_value *x = bert_json_first(L->doc, c);
    const bert_json_value *y = bert_json_next(L->doc, x);
    if (bert_json_type_of(x) != BERT_JSON_STRING ||
        bert_json_type_of(y) != BERT_JSON_STRING)
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "model.merges[%u] must hold two strings", rank);
    a = tok_ld_s(L, x);
    al = tok_ld_slen(L, x);
    b = tok_ld_s(L, y);
    bl = tok_ld_slen(L, y);
  } else {
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "model.merges[%u] must be \"a b\" or [a, b]", rank);
  }
  ia = tok_strmap_get(&m->vocab, a, al);
  ib = tok_strmap_get(&m->vocab, b, bl);
  if (ia < 0 || ib < 0)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "model.merges[%u]: token not in the vocabulary", rank);
  if (bl < m->prefix_len)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "model.merges[%u]: shorter than the subword prefix",
                       rank);
  need = al + bl - m->prefix_len + 1;
  if (need > *cap) {
    char *nb = realloc(*buf, need * 2);
    if (!nb)
      return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
    *buf = nb;
    *cap = need * 2;
  }
  memcpy(*buf, a, al);
  memcpy(*buf + al, b + m->prefix_len, bl - m->prefix_len);
  in = tok_strmap_get(&m->vocab, *buf, al + bl - m->prefix_len);
  if (in < 0)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "model.merges[%u]: merged token not in the vocabulary",
                       rank);
  if (tok_u64map_put(&m->merges, (uint64_t)(uint32_t)ia << 32 | (uint32_t)ib,
                     rank, (uint32_t)in))
    return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
  return 0;
}

static int load_unigram(tok_loader *L, tok_model *m, const bert_json_value *o) {
  const bert_json_value *v = tok_ld_get(L, o, "vocab"), *c, *u;
  size_t i = 0;
  int64_t unk;
  if (!v || bert_json_type_of(v) != BERT_JSON_ARRAY)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "model.vocab must be an array");
  if (bert_json_count(v) > TOK_MAX_ID)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "model.vocab is too large");
  m->scores = malloc(((size_t)bert_json_count(v) + 1) * sizeof(double));
  /* One trie node per vocabulary byte at most, plus the root. */
  m->node_token = NULL;
  if (!m->scores)
    return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
  m->min_score = 1e300;
  {
    size_t bytes = 1;
    for (c = bert_json_first(L->doc, v); c; c = bert_json_next(L->doc, c)) {
      const bert_json_value *p =
          bert_json_type_of(c) == BERT_JSON_ARRAY && bert_json_count(c) == 2
              ? bert_json_first(L->doc, c)
              : NULL;
      const bert_json_value *s = p ? bert_json_next(L->doc, p) : NULL;
      if (!p || bert_json_type_of(p) != BERT_JSON_STRING ||
          bert_json_type_of(s) != BERT_JSON_NUMBER)
        return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                           "model.vocab[%zu] must be [piece, score]", i);
      bytes += tok_ld_slen(L, p);
      ++i;
    }
    m->node_token = malloc(bytes * sizeof(int32_t));
    if (!m->node_token)
      return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
    m->node_token[0] = -1;
    m->nnodes = 1;
  }
  i = 0;
  for (c = bert_json_first(L->doc, v); c; c = bert_json_next(L->doc, c), ++i) {
    const bert_json_value *p = bert_json_first(L->doc, c);
    const bert_json_value *s = bert_json_next(L->doc, p);
    uint32_t node = 0, k;
    m->scores[i] = bert_json_number(s);
    if (bert_json_number(s) < m->min_score)
      m->min_score = bert_json_number(s);
    if (tok_strmap_put(&m->vocab, tok_ld_s(L, p), tok_ld_slen(L, p),
                       (int32_t)i))
      return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
    for (k = 0; k < tok_ld_slen(L, p); ++k) {
      uint64_t key = (uint64_t)node << 8 | (unsigned char)tok_ld_s(L, p)[k];
      uint32_t child;
      if (!tok_u64map_get(&m->trie, key, &child, NULL)) {
        child = (uint32_t)m->nnodes++;
        m->node_token[child] = -1;
        if (tok_u64map_put(&m->trie, key, child, 0))
          return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
      }
      node = child;
    }
    if (tok_ld_slen(L, p))
      m->node_token[node] = (int32_t)i;
  }
  m->vocab_size = (size_t)bert_json_count(v);
  u = tok_ld_get(L, o, "unk_id");
  m->unk_id = -1;
  if (u && bert_json_type_of(u) != BERT_JSON_NULL) {
    if (tok_ld_uint(L, o, "unk_id", 0,
                    bert_json_count(v) ? bert_json_count(v) - 1 : 0, &unk,
                    "model"))
      return -1;
    if (!bert_json_count(v))
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "model.vocab is empty");
    m->unk_id = (int32_t)unk;
  }
  if (tok_ld_bool(L, o, "byte_fallback", 0, &m->byte_fallback, "model"))
    return -1;
  if (build_names(L, m, (int64_t)bert_json_count(v) - 1))
    return -1;
  /* A duplicated piece: the trie answers with the id the map keeps (the
   * last), as tokenizers' token_to_ids does. */
  for (c = bert_json_first(L->doc, v); c; c = bert_json_next(L->doc, c)) {
    const bert_json_value *p = bert_json_first(L->doc, c);
    uint32_t node = 0, k, child = 0;
    for (k = 0; k < tok_ld_slen(L, p); ++k) {
      tok_u64map_get(&m->trie,
                     (uint64_t)node << 8 | (unsigned char)tok_ld_s(L, p)[k],
                     &child, NULL);
      node = child;
    }
    if (tok_ld_slen(L, p))
      m->node_token[node] =
          tok_strmap_get(&m->vocab, tok_ld_s(L, p), tok_ld_slen(L, p));
  }
  return 0;
}

int tok_load_model(tok_loader *L, const bert_json_value *o, tok_model *m) {
  const char *t = tok_ld_type(L, o, m, sizeof(*m), "model");
  const bert_json_value *v;
  m->unk_id = -1;
  if (!t)
    return -1;
  if (!strcmp(t, "WordPiece")) {
    int64_t mx;
    m->kind = TOK_M_WORDPIECE;
    if (vocab_object(L, m, tok_ld_get(L, o, "vocab")) ||
        tok_ld_str(L, o, "unk_token", &v, "model") ||
        opt_string(L, o, "continuing_subword_prefix", &m->prefix,
                   &m->prefix_len, "##") ||
        tok_ld_uint(L, o, "max_input_chars_per_word", 100, INT32_MAX, &mx,
                    "model"))
      return -1;
    m->max_input_chars_per_word = (size_t)mx;
    if (!m->prefix && !(m->prefix = tok_ld_dup("", 0)))
      return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
    m->unk_id =
        v ? tok_strmap_get(&m->vocab, tok_ld_s(L, v), tok_ld_slen(L, v)) : -1;
    return 0;
  }
  if (!strcmp(t, "BPE")) {
    const bert_json_value *mg, *dr, *c;
    char *buf = NULL;
    size_t cap = 0;
    uint32_t rank = 0;
    m->kind = TOK_M_BPE;
    dr = tok_ld_get(L, o, "dropout");
    if (dr && bert_json_type_of(dr) != BERT_JSON_NULL &&
        !(bert_json_type_of(dr) == BERT_JSON_NUMBER &&
          bert_json_number(dr) == 0.0))
      return tok_ld_fail(L, BERT_TOK_ERR_UNSUPPORTED,
                         "model BPE with dropout is not supported");
    if (vocab_object(L, m, tok_ld_get(L, o, "vocab")) ||
        tok_ld_str(L, o, "unk_token", &v, "model") ||
        opt_string(L, o, "continuing_subword_prefix", &m->prefix,
                   &m->prefix_len, NULL) ||
        opt_string(L, o, "end_of_word_suffix", &m->suffix, &m->suffix_len,
                   NULL) ||
        tok_ld_bool(L, o, "fuse_unk", 0, &m->fuse_unk, "model") ||
        tok_ld_bool(L, o, "byte_fallback", 0, &m->byte_fallback, "model") ||
        tok_ld_bool(L, o, "ignore_merges", 0, &m->ignore_merges, "model"))
      return -1;
    if (v) {
      m->unk_id = tok_strmap_get(&m->vocab, tok_ld_s(L, v), tok_ld_slen(L, v));
      if (m->unk_id < 0)
        return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                           "model.unk_token '%s' is not in the vocabulary",
                           tok_ld_s(L, v));
    }
    mg = tok_ld_get(L, o, "merges");
    if (!mg || bert_json_type_of(mg) != BERT_JSON_ARRAY)
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "model.merges must be an array");
    for (c = bert_json_first(L->doc, mg); c; c = bert_json_next(L->doc, c))
      if (load_merge(L, m, c, rank++, &buf, &cap)) {
        free(buf);
        return -1;
      }
    free(buf);
    return 0;
  }
  if (!strcmp(t, "Unigram")) {
    m->kind = TOK_M_UNIGRAM;
    return load_unigram(L, m, o);
  }
  return tok_ld_fail(L, BERT_TOK_ERR_UNSUPPORTED,
                     "model type '%s' is not supported", t);
}
