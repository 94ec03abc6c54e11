/*===- load_tokenizer.c - Post-processor, added tokens, the whole file ----===*\
|*                                                                            *|
|* Top level of loading: the file's sections in the order tokenizers builds   *|
|* them (model and normalizer first, since added tokens need both), then      *|
|* the post-processor, truncation and padding.                                *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_load.h"

#include "file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int token_pair(tok_loader *L, const bert_json_value *o, const char *k,
                      int32_t *id) {
  const bert_json_value *v = tok_ld_get(L, o, k), *s, *n;
  if (!v || bert_json_type_of(v) != BERT_JSON_ARRAY || bert_json_count(v) != 2)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "post_processor.%s must be [token, id]", k);
  s = bert_json_first(L->doc, v);
  n = bert_json_next(L->doc, s);
  if (bert_json_type_of(s) != BERT_JSON_STRING ||
      bert_json_type_of(n) != BERT_JSON_NUMBER || !bert_json_is_int(n) ||
      bert_json_int(n) < 0 || bert_json_int(n) > INT32_MAX)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "post_processor.%s must be [token, id]", k);
  *id = (int32_t)bert_json_int(n);
  return 0;
}

static int load_template(tok_loader *L, const bert_json_value *o, const char *k,
                         tok_postproc *p, tok_template_piece **out, size_t *n,
                         int allow_b) {
  const bert_json_value *arr = tok_ld_get(L, o, k), *c;
  size_t i = 0;
  if (!arr || bert_json_type_of(arr) != BERT_JSON_ARRAY)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "post_processor.%s must be an array", k);
  *out = calloc((size_t)bert_json_count(arr) + 1, sizeof(**out));
  if (!*out)
    return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
  for (c = bert_json_first(L->doc, arr); c; c = bert_json_next(L->doc, c)) {
    const bert_json_value *sp = tok_ld_get(L, c, "SpecialToken");
    const bert_json_value *sq = tok_ld_get(L, c, "Sequence");
    const bert_json_value *body = sp ? sp : sq, *id;
    int64_t type_id;
    tok_template_piece *pc = &(*out)[i];
    if (!body || bert_json_type_of(body) != BERT_JSON_OBJECT)
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "post_processor.%s[%zu] must be a SpecialToken or "
                         "Sequence",
                         k, i);
    if (tok_ld_uint(L, body, "type_id", 0, INT32_MAX, &type_id,
                    "post_processor template") ||
        tok_ld_str(L, body, "id", &id, "post_processor template"))
      return -1;
    if (!id)
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "post_processor.%s[%zu] has no id", k, i);
    pc->type_id = (int32_t)type_id;
    pc->is_special = sp != NULL;
    if (sp) {
      size_t j;
      for (j = 0; j < p->nspecials; ++j)
        if (!strcmp(p->specials[j].name, tok_ld_s(L, id)))
          break;
      if (j == p->nspecials)
        return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                           "post_processor: special token '%s' is not in "
                           "special_tokens",
                           tok_ld_s(L, id));
      pc->seq = (int)j;
    } else if (!strcmp(tok_ld_s(L, id), "A") ||
               (allow_b && !strcmp(tok_ld_s(L, id), "B"))) {
      pc->seq = tok_ld_s(L, id)[0] == 'B';
    } else {
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "post_processor.%s: sequence '%s' is not allowed", k,
                         tok_ld_s(L, id));
    }
    *n = ++i;
  }
  return 0;
}

static int load_specials(tok_loader *L, const bert_json_value *o,
                         tok_postproc *p) {
  const bert_json_value *st = tok_ld_get(L, o, "special_tokens"), *c;
  if (!st || bert_json_type_of(st) != BERT_JSON_OBJECT)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "post_processor.special_tokens must be an object");
  p->specials = calloc((size_t)bert_json_count(st) + 1, sizeof(*p->specials));
  if (!p->specials)
    return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
  for (c = bert_json_first(L->doc, st); c; c = bert_json_next(L->doc, c)) {
    tok_special *s = &p->specials[p->nspecials++];
    const bert_json_value *ids = tok_ld_get(L, c, "ids"), *x;
    size_t k = 0, klen;
    const char *key = tok_ld_key(L, c, &klen);
    s->name = tok_ld_dup(key, klen);
    if (!s->name)
      return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
    if (!ids || bert_json_type_of(ids) != BERT_JSON_ARRAY)
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "post_processor.special_tokens[\"%s\"].ids must be "
                         "an array",
                         s->name);
    s->ids = calloc((size_t)bert_json_count(ids) + 1, sizeof(*s->ids));
    if (!s->ids)
      return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
    for (x = bert_json_first(L->doc, ids); x; x = bert_json_next(L->doc, x)) {
      if (bert_json_type_of(x) != BERT_JSON_NUMBER || !bert_json_is_int(x) ||
          bert_json_int(x) < 0 || bert_json_int(x) > INT32_MAX)
        return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                           "post_processor.special_tokens[\"%s\"].ids must "
                           "be ids",
                           s->name);
      s->ids[k++] = (int32_t)bert_json_int(x);
    }
    s->n = k;
  }
  return 0;
}

static int load_post(tok_loader *L, const bert_json_value *o, void *out,
                     int depth) {
  tok_postproc *p = out;
  const char *t = tok_ld_type(L, o, p, sizeof(*p), "post_processor");
  int rc;
  if (!t)
    return -1;
  if (!strcmp(t, "TemplateProcessing")) {
    p->kind = TOK_PP_TEMPLATE;
    return load_specials(L, o, p) ||
                   load_template(L, o, "single", p, &p->single, &p->nsingle,
                                 0) ||
                   load_template(L, o, "pair", p, &p->pair, &p->npair, 1)
               ? -1
               : 0;
  }
  if (!strcmp(t, "BertProcessing") || !strcmp(t, "RobertaProcessing")) {
    int roberta = t[0] == 'R';
    p->kind = roberta ? TOK_PP_ROBERTA : TOK_PP_BERT;
    if (token_pair(L, o, "sep", &p->sep_id) ||
        token_pair(L, o, "cls", &p->cls_id))
      return -1;
    if (roberta && (tok_ld_bool(L, o, "trim_offsets", 1, &p->trim_offsets,
                                "post_processor") ||
                    tok_ld_bool(L, o, "add_prefix_space", 1,
                                &p->add_prefix_space, "post_processor")))
      return -1;
    return 0;
  }
  if (!strcmp(t, "ByteLevel")) {
    p->kind = TOK_PP_BYTE_LEVEL;
    return tok_ld_bool(L, o, "trim_offsets", 1, &p->trim_offsets,
                       "post_processor") ||
                   tok_ld_bool(L, o, "add_prefix_space", 1,
                               &p->add_prefix_space, "post_processor")
               ? -1
               : 0;
  }
  p->kind = TOK_PP_SEQUENCE; /* or not supported: tok_ld_sequence says */
  p->children =
      tok_ld_sequence(L, o, t, "processors", "post_processor", depth,
                      sizeof(*p->children), load_post, &p->nchildren, &rc);
  return rc;
}

static int load_truncation(tok_loader *L, const bert_json_value *o,
                           bert_tokenizer_t *t) {
  const bert_json_value *s, *d;
  int64_t max, stride;
  if (!o || bert_json_type_of(o) == BERT_JSON_NULL)
    return 0;
  if (bert_json_type_of(o) != BERT_JSON_OBJECT)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "truncation must be an object");
  if (tok_ld_uint(L, o, "max_length", -1, INT32_MAX, &max, "truncation") ||
      tok_ld_uint(L, o, "stride", 0, INT32_MAX, &stride, "truncation") ||
      tok_ld_str(L, o, "strategy", &s, "truncation") ||
      tok_ld_str(L, o, "direction", &d, "truncation"))
    return -1;
  t->has_trunc = 1;
  t->trunc_max = (size_t)max;
  t->trunc_stride = (size_t)stride;
  t->trunc_strategy = BERT_TOK_LONGEST_FIRST;
  if (s && !strcmp(tok_ld_s(L, s), "OnlyFirst"))
    t->trunc_strategy = BERT_TOK_ONLY_FIRST;
  else if (s && !strcmp(tok_ld_s(L, s), "OnlySecond"))
    t->trunc_strategy = BERT_TOK_ONLY_SECOND;
  else if (!s || strcmp(tok_ld_s(L, s), "LongestFirst"))
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "truncation.strategy must be LongestFirst, OnlyFirst "
                       "or OnlySecond");
  t->trunc_dir =
      d && !strcmp(tok_ld_s(L, d), "Left") ? BERT_TOK_LEFT : BERT_TOK_RIGHT;
  if (d && strcmp(tok_ld_s(L, d), "Left") && strcmp(tok_ld_s(L, d), "Right"))
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "truncation.direction must be Left or Right");
  return 0;
}

static int load_padding(tok_loader *L, const bert_json_value *o,
                        bert_tokenizer_t *t) {
  const bert_json_value *s, *d, *tok;
  int64_t id, tid, mult;
  if (!o || bert_json_type_of(o) == BERT_JSON_NULL)
    return 0;
  if (bert_json_type_of(o) != BERT_JSON_OBJECT)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "padding must be an object");
  s = tok_ld_get(L, o, "strategy");
  t->pad_fixed = 0;
  if (s && bert_json_type_of(s) == BERT_JSON_OBJECT) {
    int64_t fixed;
    if (tok_ld_uint(L, s, "Fixed", -1, INT32_MAX, &fixed, "padding.strategy"))
      return -1;
    t->pad_fixed = (size_t)fixed;
  } else if (!s || bert_json_type_of(s) != BERT_JSON_STRING ||
             strcmp(tok_ld_s(L, s), "BatchLongest")) {
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "padding.strategy must be BatchLongest or {Fixed: n}");
  }
  if (tok_ld_uint(L, o, "pad_to_multiple_of", 0, INT32_MAX, &mult, "padding") ||
      tok_ld_uint(L, o, "pad_id", 0, INT32_MAX, &id, "padding") ||
      tok_ld_uint(L, o, "pad_type_id", 0, INT32_MAX, &tid, "padding") ||
      tok_ld_str(L, o, "pad_token", &tok, "padding") ||
      tok_ld_str(L, o, "direction", &d, "padding"))
    return -1;
  if (d && strcmp(tok_ld_s(L, d), "Left") && strcmp(tok_ld_s(L, d), "Right"))
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "padding.direction must be Left or Right");
  t->has_pad = 1;
  t->pad_multiple = (size_t)mult;
  t->pad_id = (int32_t)id;
  t->pad_type_id = (int32_t)tid;
  t->pad_dir =
      d && !strcmp(tok_ld_s(L, d), "Left") ? BERT_TOK_LEFT : BERT_TOK_RIGHT;
  t->pad_token = tok_ld_dup(tok ? tok_ld_s(L, tok) : "[PAD]",
                            tok ? tok_ld_slen(L, tok) : 5);
  return t->pad_token ? 0 : tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
}

/* The normalized form of an added token's content (normalized: true). */
static int normalize_content(tok_loader *L, bert_tokenizer_t *t,
                             tok_added *ad) {
  tok_arena a = {0};
  tok_nstr ns;
  int rc = 0;
  if (!t->normalizer) {
    ad->norm_content = tok_ld_dup(ad->content, ad->len);
    ad->norm_len = ad->len;
  } else if (tok_nstr_from_text(&ns, &a, ad->content, ad->len) ||
             tok_normalize(t->normalizer, &ns, &a)) {
    rc = -1;
  } else {
    ad->norm_content = tok_ld_dup(ns.str, ns.len);
    ad->norm_len = ns.len;
  }
  tok_arena_free(&a);
  if (rc || !ad->norm_content)
    return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
  return 0;
}

/* Frees the strings an added token owns. */
static void free_added(tok_added *ad) {
  free(ad->content);
  free(ad->norm_content);
}

static int load_added(tok_loader *L, const bert_json_value *arr,
                      bert_tokenizer_t *t) {
  const bert_json_value *c;
  int32_t next_id = (int32_t)t->model.vocab_size;
  if (!arr || bert_json_type_of(arr) == BERT_JSON_NULL)
    return 0;
  if (bert_json_type_of(arr) != BERT_JSON_ARRAY)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "added_tokens must be an array");
  t->added = calloc((size_t)bert_json_count(arr) + 1, sizeof(*t->added));
  if (!t->added)
    return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
  for (c = bert_json_first(L->doc, arr); c; c = bert_json_next(L->doc, c)) {
    const bert_json_value *content;
    tok_added *ad = &t->added[t->nadded];
    int32_t id, prev;
    if (bert_json_type_of(c) != BERT_JSON_OBJECT ||
        tok_ld_str(L, c, "content", &content, "added_tokens[]"))
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "added_tokens entries must be objects");
    if (!content)
      return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                         "added_tokens entry without content");
    if (!tok_ld_slen(L, content))
      continue; /* tokenizers ignores empty tokens */
    if (tok_ld_bool(L, c, "special", 0, &ad->special, "added_tokens[]") ||
        tok_ld_bool(L, c, "single_word", 0, &ad->single_word,
                    "added_tokens[]") ||
        tok_ld_bool(L, c, "lstrip", 0, &ad->lstrip, "added_tokens[]") ||
        tok_ld_bool(L, c, "rstrip", 0, &ad->rstrip, "added_tokens[]") ||
        tok_ld_bool(L, c, "normalized", !ad->special, &ad->normalized,
                    "added_tokens[]"))
      return -1;
    ad->content = tok_ld_dup(tok_ld_s(L, content), tok_ld_slen(L, content));
    ad->len = tok_ld_slen(L, content);
    if (!ad->content)
      return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
    prev = tok_strmap_get(&t->added_map, tok_ld_s(L, content),
                          tok_ld_slen(L, content));
    id = prev >= 0 ? t->added[prev].id
                   : tok_strmap_get(&t->model.vocab, tok_ld_s(L, content),
                                    tok_ld_slen(L, content));
    if (id < 0)
      id = next_id++;
    ad->id = id;
    if (ad->normalized && normalize_content(L, t, ad))
      return -1;
    if (prev >= 0) {
      /* The same content again: the later entry replaces the earlier. */
      tok_added old = t->added[prev];
      t->added[prev] = *ad;
      free_added(&old);
      memset(ad, 0, sizeof(*ad));
      continue;
    }
    if (tok_strmap_put(&t->added_map, ad->content, ad->len, (int32_t)t->nadded))
      return tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
    ++t->nadded;
  }
  return 0;
}

/* Frees a section load_section made (NULL when absent): what it owns, with
 * free_contents, then the section. */
static void free_section(void *section, tok_free_fn free_contents) {
  if (!section)
    return;
  free_contents(section);
  free(section);
}

void bert_tokenizer_destroy(bert_tokenizer_t *t) {
  size_t i;
  if (!t)
    return;
  free_section(t->normalizer, tok_normalizer_free);
  free_section(t->pretok, tok_pretok_free);
  tok_model_free(&t->model);
  free_section(t->post, tok_postproc_free);
  for (i = 0; i < t->nadded; ++i)
    free_added(&t->added[i]);
  free(t->added);
  tok_strmap_free(&t->added_map);
  free(t->pad_token);
  free(t);
}

/* root[key] loaded with load into a new `size`-byte object, returned (with
 * *rc -1 after an error, for the caller to free); NULL where the section is
 * absent or null. Nothing is read once *rc is -1. */
static void *load_section(tok_loader *L, const bert_json_value *root,
                          const char *key, size_t size, tok_ld_fn load,
                          int *rc) {
  const bert_json_value *v = tok_ld_get(L, root, key);
  void *out;
  if (*rc || !v || bert_json_type_of(v) == BERT_JSON_NULL)
    return NULL;
  out = calloc(1, size);
  if (!out)
    *rc = tok_ld_fail(L, BERT_TOK_ERR_NOMEM, "out of memory");
  else if (load(L, v, out, 0))
    *rc = -1;
  return out;
}

static int load_doc(tok_loader *L, const bert_json_value *root,
                    bert_tokenizer_t *t) {
  const bert_json_value *v;
  int rc = 0;
  if (bert_json_type_of(root) != BERT_JSON_OBJECT)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT,
                       "the top level is not an object");
  v = tok_ld_get(L, root, "version");
  if (v && (bert_json_type_of(v) != BERT_JSON_STRING ||
            strcmp(tok_ld_s(L, v), "1.0")))
    return tok_ld_fail(L, BERT_TOK_ERR_UNSUPPORTED,
                       "tokenizer version '%s' is not supported (only 1.0)",
                       bert_json_type_of(v) == BERT_JSON_STRING ? tok_ld_s(L, v)
                                                                : "?");
  v = tok_ld_get(L, root, "model");
  if (!v)
    return tok_ld_fail(L, BERT_TOK_ERR_FORMAT, "no \"model\" section");
  if (tok_load_model(L, v, &t->model))
    return -1;
  t->normalizer = load_section(L, root, "normalizer", sizeof(*t->normalizer),
                               tok_load_normalizer, &rc);
  t->pretok = load_section(L, root, "pre_tokenizer", sizeof(*t->pretok),
                           tok_load_pretok, &rc);
  t->post =
      load_section(L, root, "post_processor", sizeof(*t->post), load_post, &rc);
  return rc || load_truncation(L, tok_ld_get(L, root, "truncation"), t) ||
                 load_padding(L, tok_ld_get(L, root, "padding"), t) ||
                 load_added(L, tok_ld_get(L, root, "added_tokens"), t)
             ? -1
             : 0;
}

bert_tokenizer_t *bert_tokenizer_load_buffer(const char *json, size_t len,
                                             const char *name, char *err,
                                             size_t err_size) {
  bert_json_doc doc;
  char jerr[160];
  tok_loader L;
  bert_tokenizer_t *t;
  memset(&L, 0, sizeof(L));
  L.err = err;
  L.err_size = err_size;
  L.name = name ? name : "tokenizer.json";
  if (err && err_size)
    err[0] = '\0';
  if (!json) {
    tok_ld_fail(&L, BERT_TOK_ERR_ARGUMENT, "no JSON text");
    return NULL;
  }
  {
    /* tokenizers reads the file into a Rust String: bytes that are not
     * UTF-8 make the whole file invalid, and every string below may then be
     * walked as UTF-8 safely. */
    size_t i = 0;
    while (i < len) {
      int32_t cp;
      int k = tok_utf8_decode((const unsigned char *)json + i, len - i, &cp);
      if (cp == 0xFFFD && !(k == 3 && (unsigned char)json[i] == 0xEF)) {
        tok_ld_fail(&L, BERT_TOK_ERR_FORMAT, "invalid UTF-8 at byte %zu", i);
        return NULL;
      }
      i += (size_t)k;
    }
  }
  if (bert_json_parse(json, len, &doc, jerr, sizeof(jerr))) {
    tok_ld_fail(&L, BERT_TOK_ERR_FORMAT, "not valid JSON: %s", jerr);
    return NULL;
  }
  L.doc = &doc;
  t = calloc(1, sizeof(*t));
  if (!t) {
    tok_ld_fail(&L, BERT_TOK_ERR_NOMEM, "out of memory");
  } else if (load_doc(&L, &doc.nodes[0], t)) {
    bert_tokenizer_destroy(t);
    t = NULL;
  }
  bert_json_free(&doc);
  return t;
}

bert_tokenizer_t *bert_tokenizer_load(const char *path, char *err,
                                      size_t err_size) {
  char *buf = NULL, msg[256];
  size_t n = 0;
  bert_tokenizer_t *t;
  if (!path) {
    if (err && err_size)
      snprintf(err, err_size, "no tokenizer path");
    return NULL;
  }
  /* The runtime's reader of user-named files: a FIFO, a directory or a
   * device is refused instead of blocking or reading forever. */
  if (bert_file_read(path, BERT_JSON_MAX_TEXT, &buf, &n, msg, sizeof(msg))) {
    if (err && err_size)
      snprintf(err, err_size, "%s: %s", path, msg);
    return NULL;
  }
  t = bert_tokenizer_load_buffer(buf, n, path, err, err_size);
  free(buf);
  return t;
}
