/*===- json.c - Minimal strict JSON parser --------------------------------===*\
|*                                                                            *|
|* Recursive descent over an untrusted buffer. Nothing is read past `len`,    *|
|* nesting is bounded (a hostile header cannot blow the stack), string        *|
|* escapes are decoded to UTF-8 (surrogate pairs included), and every error   *|
|* carries the byte offset where parsing stopped.                             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any real header (safetensors nests 3 levels). */
#define BERT_JSON_MAX_DEPTH 64

/* bert_json_value.tag: the type in bits 0-2, flags, the key length above. */
#define TAG_TYPE 0x7u
#define TAG_IS_INT 0x8u   /* NUMBER held exactly in u.ival */
#define TAG_LAST 0x10u    /* no next sibling */
#define TAG_HAS_KEY 0x20u /* member of an object */
#define TAG_KEY_SHIFT 6
#define TAG_KEY_MAX ((1u << (32 - TAG_KEY_SHIFT)) - 1)

typedef struct {
  const char *text;
  size_t len;
  size_t pos;
  bert_json_doc *doc;
  size_t str_used;
  char *err;
  size_t err_size;
  int depth;
} json_parser;

static int fail(json_parser *p, const char *what) {
  snprintf(p->err, p->err_size, "at byte %zu: %s", p->pos, what);
  return -1;
}

static void skip_ws(json_parser *p) {
  while (p->pos < p->len) {
    char c = p->text[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      break;
    ++p->pos;
  }
}

static int peek(json_parser *p) {
  return p->pos < p->len ? (unsigned char)p->text[p->pos] : -1;
}

/* Appends a node; returns its index or -1. The array was sized for the
 * most values the text can hold, so it never grows (no copy, and pages
 * never touched are never resident). */
static int64_t new_node(json_parser *p, bert_json_type type) {
  bert_json_doc *d = p->doc;
  bert_json_value *v;
  if (d->num_nodes == d->capacity)
    return fail(p, "too many values"); /* cannot happen: see bert_json_parse */
  v = &d->nodes[d->num_nodes];
  memset(v, 0, sizeof(*v));
  v->tag = (uint32_t)type;
  return (int64_t)d->num_nodes++;
}

static int hex4(json_parser *p, unsigned *out) {
  unsigned v = 0;
  int i;
  if (p->len - p->pos < 4)
    return fail(p, "truncated \\u escape");
  for (i = 0; i < 4; ++i) {
    char c = p->text[p->pos + i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return fail(p, "bad hex digit in \\u escape");
  }
  p->pos += 4;
  *out = v;
  return 0;
}

static void put_utf8(char *out, size_t *n, unsigned cp) {
  if (cp < 0x80) {
    out[(*n)++] = (char)cp;
  } else if (cp < 0x800) {
    out[(*n)++] = (char)(0xC0 | (cp >> 6));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out[(*n)++] = (char)(0xE0 | (cp >> 12));
    out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    out[(*n)++] = (char)(0xF0 | (cp >> 18));
    out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  }
}

/* JSON's one-letter escapes and the characters they stand for. */
static const char kEscapes[] = "\"\\/bfnrt";
static const char kUnescaped[] = "\"\\/\b\f\n\r\t";

/* Parses a string at p->pos (the opening quote) into the string pool. The
 * pool holds len + 1 bytes and a decoded string plus its NUL is never longer
 * than its quoted source, so it cannot overflow. */
static int parse_string(json_parser *p, uint32_t *out, uint32_t *out_len) {
  char *dst = p->doc->strings + p->str_used;
  size_t n = 0;
  ++p->pos; /* opening quote */
  for (;;) {
    unsigned char c;
    const char *esc;
    unsigned cp, lo;
    if (p->pos >= p->len)
      return fail(p, "unterminated string");
    c = (unsigned char)p->text[p->pos];
    if (c == '"') {
      ++p->pos;
      break;
    }
    if (c < 0x20)
      return fail(p, "control character in string");
    if (c != '\\') {
      dst[n++] = (char)c;
      ++p->pos;
      continue;
    }
    if (++p->pos >= p->len)
      return fail(p, "unterminated escape");
    c = (unsigned char)p->text[p->pos++];
    esc = c ? strchr(kEscapes, (int)c) : NULL;
    if (esc) {
      dst[n++] = kUnescaped[esc - kEscapes];
      continue;
    }
    if (c != 'u') {
      --p->pos;
      return fail(p, "invalid escape in string");
    }
    if (hex4(p, &cp))
      return -1;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
      return fail(p, "unpaired low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (p->len - p->pos < 2 || p->text[p->pos] != '\\' ||
          p->text[p->pos + 1] != 'u')
        return fail(p, "unpaired high surrogate in \\u escape");
      p->pos += 2;
      if (hex4(p, &lo))
        return -1;
      if (lo < 0xDC00 || lo > 0xDFFF)
        return fail(p, "bad low surrogate in \\u escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    put_utf8(dst, &n, cp);
  }
  dst[n] = '\0';
  *out = (uint32_t)p->str_used;
  *out_len = (uint32_t)n;
  p->str_used += n + 1;
  return 0;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static int parse_number(json_parser *p, bert_json_value *v) {
  size_t start = p->pos;
  int neg = 0, overflow = 0, integral = 1;
  uint64_t mag = 0;
  char buf[64];
  if (peek(p) == '-') {
    neg = 1;
    ++p->pos;
  }
  if (!is_digit(peek(p)))
    return fail(p, "expected a digit");
  if (peek(p) == '0' && p->pos + 1 < p->len && is_digit(p->text[p->pos + 1]))
    return fail(p, "leading zero in number");
  while (is_digit(peek(p))) {
    unsigned d = (unsigned)(p->text[p->pos++] - '0');
    if (mag > (UINT64_MAX - d) / 10)
      overflow = 1;
    else
      mag = mag * 10 + d;
  }
  if (peek(p) == '.') {
    integral = 0;
    ++p->pos;
    if (!is_digit(peek(p)))
      return fail(p, "expected a digit after '.'");
    while (is_digit(peek(p)))
      ++p->pos;
  }
  if (peek(p) == 'e' || peek(p) == 'E') {
    integral = 0;
    ++p->pos;
    if (peek(p) == '+' || peek(p) == '-')
      ++p->pos;
    if (!is_digit(peek(p)))
      return fail(p, "expected a digit in exponent");
    while (is_digit(peek(p)))
      ++p->pos;
  }
  if (integral && !overflow &&
      mag <= (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
    v->tag |= TAG_IS_INT;
    v->u.ival = neg ? (int64_t)(0 - mag) : (int64_t)mag;
  } else {
    /* Only metadata could hold such a number; a double is good enough. */
    size_t n = p->pos - start;
    if (n >= sizeof(buf))
      n = sizeof(buf) - 1;
    memcpy(buf, p->text + start, n);
    buf[n] = '\0';
    v->u.num = strtod(buf, NULL);
  }
  return 0;
}

static int parse_literal(json_parser *p, const char *word) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
    return fail(p, "invalid literal");
  p->pos += n;
  return 0;
}

static int64_t parse_value(json_parser *p);

/* Parses the elements of an array or members of an object at p->pos. */
static int parse_container(json_parser *p, int64_t self, int is_object) {
  char close = is_object ? '}' : ']';
  int64_t prev = -1;
  if (++p->depth > BERT_JSON_MAX_DEPTH)
    return fail(p, "nesting too deep");
  ++p->pos; /* opening bracket */
  skip_ws(p);
  if (peek(p) == close) {
    ++p->pos;
    --p->depth;
    return 0;
  }
  for (;;) {
    uint32_t key = 0, key_len = 0;
    int64_t child;
    skip_ws(p);
    if (is_object) {
      if (peek(p) != '"')
        return fail(p, "expected a string as object key");
      if (parse_string(p, &key, &key_len))
        return -1;
      skip_ws(p);
      if (peek(p) != ':')
        return fail(p, "expected ':' after object key");
      ++p->pos;
      skip_ws(p);
    }
    child = parse_value(p);
    if (child < 0)
      return -1;
    if (is_object) {
      if (key_len > TAG_KEY_MAX)
        return fail(p, "object key longer than 64 MiB");
      p->doc->nodes[child].tag |= TAG_HAS_KEY | (key_len << TAG_KEY_SHIFT);
      p->doc->nodes[child].key = key;
    }
    prev = child;
    ++p->doc->nodes[self].u.kids.count;
    skip_ws(p);
    if (peek(p) == ',') {
      ++p->pos;
      continue;
    }
    if (peek(p) == close) {
      ++p->pos;
      break;
    }
    return fail(p, is_object ? "expected ',' or '}' in object"
                             : "expected ',' or ']' in array");
  }
  p->doc->nodes[prev].tag |= TAG_LAST;
  --p->depth;
  return 0;
}

static int64_t parse_value(json_parser *p) {
  int64_t self;
  int c;
  skip_ws(p);
  c = peek(p);
  switch (c) {
  case '{':
  case '[':
    self = new_node(p, c == '{' ? BERT_JSON_OBJECT : BERT_JSON_ARRAY);
    if (self < 0 || parse_container(p, self, c == '{'))
      return -1;
    p->doc->nodes[self].u.kids.span =
        (uint32_t)(p->doc->num_nodes - (size_t)self);
    return self;
  case '"':
    self = new_node(p, BERT_JSON_STRING);
    if (self < 0 || parse_string(p, &p->doc->nodes[self].u.str.off,
                                 &p->doc->nodes[self].u.str.len))
      return -1;
    return self;
  case 't':
  case 'f':
    self = new_node(p, BERT_JSON_BOOL);
    if (self < 0 || parse_literal(p, c == 't' ? "true" : "false"))
      return -1;
    p->doc->nodes[self].u.ival = c == 't';
    return self;
  case 'n':
    self = new_node(p, BERT_JSON_NULL);
    if (self < 0 || parse_literal(p, "null"))
      return -1;
    return self;
  case -1:
    return fail(p, "unexpected end of input");
  default:
    if (c == '-' || is_digit(c)) {
      self = new_node(p, BERT_JSON_NUMBER);
      if (self < 0 || parse_number(p, &p->doc->nodes[self]))
        return -1;
      return self;
    }
    return fail(p, "unexpected character");
  }
}

int bert_json_parse(const char *text, size_t len, bert_json_doc *doc, char *err,
                    size_t err_size) {
  json_parser p;
  memset(doc, 0, sizeof(*doc));
  memset(&p, 0, sizeof(p));
  p.text = text;
  p.len = len;
  p.doc = doc;
  p.err = err;
  p.err_size = err_size;
  if (len > BERT_JSON_MAX_TEXT) {
    snprintf(err, err_size, "text of %zu bytes exceeds the %zu-byte limit", len,
             (size_t)BERT_JSON_MAX_TEXT);
    return -1;
  }
  /* Values are at least one byte and separated by at least one, so there
   * are at most (len + 1) / 2 of them. */
  doc->capacity = (len + 1) / 2 + 1;
  doc->nodes = malloc(doc->capacity * sizeof(*doc->nodes));
  doc->strings = malloc(len + 1);
  if (!doc->nodes || !doc->strings) {
    bert_json_free(doc);
    snprintf(err, err_size, "out of memory");
    return -1;
  }
  if (parse_value(&p) < 0)
    goto error;
  doc->nodes[0].tag |= TAG_LAST;
  skip_ws(&p);
  if (p.pos != len) {
    fail(&p, "trailing characters after JSON value");
    goto error;
  }
  return 0;
error:
  bert_json_free(doc);
  return -1;
}

void bert_json_free(bert_json_doc *doc) {
  free(doc->nodes);
  free(doc->strings);
  memset(doc, 0, sizeof(*doc));
}

const bert_json_value *bert_json_first(const bert_json_doc *doc,
                                       const bert_json_value *v) {
  (void)doc;
  return bert_json_count(v) > 0 ? v + 1 : NULL;
}

const bert_json_value *bert_json_next(const bert_json_doc *doc,
                                      const bert_json_value *v) {
  bert_json_type t = bert_json_type_of(v);
  (void)doc;
  if (v->tag & TAG_LAST)
    return NULL;
  return v +
         (t == BERT_JSON_ARRAY || t == BERT_JSON_OBJECT ? v->u.kids.span : 1);
}

const bert_json_value *bert_json_get(const bert_json_doc *doc,
                                     const bert_json_value *obj,
                                     const char *key) {
  const bert_json_value *c;
  const char *k;
  size_t n = strlen(key), kn;
  if (bert_json_type_of(obj) != BERT_JSON_OBJECT)
    return NULL;
  for (c = bert_json_first(doc, obj); c; c = bert_json_next(doc, c)) {
    k = bert_json_key(doc, c, &kn);
    if (kn == n && memcmp(k, key, n) == 0)
      return c;
  }
  return NULL;
}

bert_json_type bert_json_type_of(const bert_json_value *v) {
  return (bert_json_type)(v->tag & TAG_TYPE);
}

int64_t bert_json_count(const bert_json_value *v) {
  bert_json_type t = bert_json_type_of(v);
  return t == BERT_JSON_ARRAY || t == BERT_JSON_OBJECT ? v->u.kids.count : 0;
}

int bert_json_is_int(const bert_json_value *v) {
  return (v->tag & TAG_IS_INT) != 0;
}

int64_t bert_json_int(const bert_json_value *v) {
  bert_json_type t = bert_json_type_of(v);
  return (t == BERT_JSON_NUMBER && (v->tag & TAG_IS_INT)) || t == BERT_JSON_BOOL
             ? v->u.ival
             : 0;
}

double bert_json_number(const bert_json_value *v) {
  if (bert_json_type_of(v) != BERT_JSON_NUMBER)
    return 0.0;
  return (v->tag & TAG_IS_INT) ? (double)v->u.ival : v->u.num;
}

const char *bert_json_string(const bert_json_doc *doc, const bert_json_value *v,
                             size_t *len) {
  if (bert_json_type_of(v) != BERT_JSON_STRING) {
    if (len)
      *len = 0;
    return NULL;
  }
  if (len)
    *len = v->u.str.len;
  return doc->strings + v->u.str.off;
}

const char *bert_json_key(const bert_json_doc *doc, const bert_json_value *v,
                          size_t *len) {
  if (!(v->tag & TAG_HAS_KEY)) {
    if (len)
      *len = 0;
    return NULL;
  }
  if (len)
    *len = v->tag >> TAG_KEY_SHIFT;
  return doc->strings + v->key;
}
