/*===- unicode.c - UTF-8, Unicode predicates and the arena ----------------===*\
|*                                                                            *|
|* Character classes answer the questions `tokenizers` asks, with the data    *|
|* of libutf8proc, corrected where `tokenizers` uses other Unicode tables by  *|
|* the generated exception lists in hf_unicode_tables.h.                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "hf_unicode_tables.h"

/*===--- Arena ------------------------------------------------------------===*/

struct tok_chunk {
  tok_chunk *next;
  size_t used, cap;
  /* Aligned payload follows. */
};

#define TOK_ALIGN 16
#define TOK_CHUNK_HEADER                                                       \
  ((sizeof(tok_chunk) + TOK_ALIGN - 1) / TOK_ALIGN * TOK_ALIGN)

void *tok_arena_alloc(tok_arena *a, size_t n) {
  tok_chunk *c = a->head;
  n = (n + TOK_ALIGN - 1) / TOK_ALIGN * TOK_ALIGN;
  if (!n)
    n = TOK_ALIGN;
  if (!c || c->cap - c->used < n) {
    /* Chunks double, so an encode call makes O(log n) mallocs. */
    size_t cap = c ? c->cap * 2 : 64 * 1024;
    if (cap < n)
      cap = n;
    if (cap > SIZE_MAX - TOK_CHUNK_HEADER)
      goto oom;
    c = malloc(TOK_CHUNK_HEADER + cap);
    if (!c)
      goto oom;
    c->next = a->head;
    c->used = 0;
    c->cap = cap;
    a->head = c;
  }
  c->used += n;
  return (char *)c + TOK_CHUNK_HEADER + c->used - n;
oom:
  a->failed = 1;
  return NULL;
}

static void free_chunks(tok_chunk *c) {
  while (c) {
    tok_chunk *n = c->next;
    free(c);
    c = n;
  }
}

void tok_arena_reset(tok_arena *a) {
  /* Keep the newest chunk (the largest: chunks double) for the next use. */
  tok_chunk *keep = a->head;
  if (!keep)
    return;
  free_chunks(keep->next);
  keep->next = NULL;
  keep->used = 0;
  a->failed = 0;
}

void *tok_grow(tok_arena *a, void *v, size_t n, size_t *cap, size_t size,
               size_t first) {
  size_t c = *cap ? *cap * 2 : first;
  void *nv;
  if (n < *cap)
    return v;
  if (a) {
    nv = tok_arena_alloc(a, c * size);
    if (nv && n)
      memcpy(nv, v, n * size);
  } else {
    nv = realloc(v, c * size);
  }
  if (nv)
    *cap = c;
  return nv;
}

void tok_free_nodes(void *nodes, size_t n, size_t size, tok_free_fn free_node) {
  size_t i;
  for (i = 0; i < n; ++i)
    free_node((char *)nodes + i * size);
  free(nodes);
}

void tok_arena_free(tok_arena *a) {
  free_chunks(a->head);
  a->head = NULL;
  a->failed = 0;
}

/*===--- UTF-8
 * -------------------------------------------------------------===*/

int tok_utf8_decode(const unsigned char *s, size_t n, int32_t *cp) {
  unsigned c = s[0];
  size_t need, i;
  uint32_t v, lo, hi;
  if (c < 0x80) {
    *cp = (int32_t)c;
    return 1;
  }
  if (c < 0xC2 || c > 0xF4) {
    *cp = 0xFFFD;
    return 1;
  }
  /* Unicode's table of well-formed sequences (3-7): the lead byte gives the
   * number of continuation bytes and narrows the second byte's range after
   * E0 (no overlong), ED (no surrogates), F0 (no overlong), F4 (no code
   * point above U+10FFFF). */
  need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  v = c & (0x3Fu >> need);
  lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
  hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
  /* Maximal subpart: stop at the first byte that cannot continue. Only the
   * second byte has a narrowed range. */
  for (i = 1; i <= need; ++i) {
    unsigned b;
    if (i >= n) {
      *cp = 0xFFFD;
      return (int)i;
    }
    b = s[i];
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) {
      *cp = 0xFFFD;
      return (int)i;
    }
    v = (v << 6) | (b & 0x3F);
  }
  *cp = (int32_t)v;
  return (int)need + 1;
}

int tok_utf8_next(const char *s, int32_t *cp) {
  const unsigned char *u = (const unsigned char *)s;
  if (u[0] < 0x80) {
    *cp = u[0];
    return 1;
  }
  if (u[0] < 0xE0) {
    *cp = ((u[0] & 0x1F) << 6) | (u[1] & 0x3F);
    return 2;
  }
  if (u[0] < 0xF0) {
    *cp = ((u[0] & 0x0F) << 12) | ((u[1] & 0x3F) << 6) | (u[2] & 0x3F);
    return 3;
  }
  *cp = ((u[0] & 0x07) << 18) | ((u[1] & 0x3F) << 12) | ((u[2] & 0x3F) << 6) |
        (u[3] & 0x3F);
  return 4;
}

int tok_utf8_len(int32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

int tok_utf8_encode(int32_t cp, char *out) {
  unsigned u = (unsigned)cp;
  if (u < 0x80) {
    out[0] = (char)u;
    return 1;
  }
  if (u < 0x800) {
    out[0] = (char)(0xC0 | (u >> 6));
    out[1] = (char)(0x80 | (u & 0x3F));
    return 2;
  }
  if (u < 0x10000) {
    out[0] = (char)(0xE0 | (u >> 12));
    out[1] = (char)(0x80 | ((u >> 6) & 0x3F));
    out[2] = (char)(0x80 | (u & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (u >> 18));
  out[1] = (char)(0x80 | ((u >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((u >> 6) & 0x3F));
  out[3] = (char)(0x80 | (u & 0x3F));
  return 4;
}

/*===--- Predicates
 * --------------------------------------------------------===*/

/* The row of a table of n sorted, disjoint ranges {first, last, ...}
 * (`width` values a row) that holds cp, or NULL. */
static const uint32_t *find_range(const uint32_t *rows, size_t n, size_t width,
                                  int32_t cp) {
  size_t lo = 0, hi = n;
  uint32_t c = (uint32_t)cp;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const uint32_t *row = rows + mid * width;
    if (c < row[0])
      hi = mid;
    else if (c > row[1])
      lo = mid + 1;
    else
      return row;
  }
  return NULL;
}

/* Whether cp is in the range set `set` (HF_MN_FLIP, ...) of
 * hf_unicode_tables.h. */
static int in_set(int set, int32_t cp) {
  const uint32_t *first = &hf_ranges[0][0] + 2 * hf_range_sets[set][0];
  return find_range(first, hf_range_sets[set][1], 2, cp) != NULL;
}

int tok_category(int32_t cp) { return (int)utf8proc_category(cp); }

/* The regex engines and Rust's char know a newer Unicode than utf8proc:
 * for code points utf8proc leaves unassigned, their category. */
int tok_regex_category(int32_t cp) {
  int k = (int)utf8proc_category(cp);
  const uint32_t *row;
  if (k != UTF8PROC_CATEGORY_CN)
    return k;
  row = find_range(&hf_newcat[0][0], HF_NEWCAT_N, 3, cp);
  return row ? (int)row[2] : k;
}

int tok_combining_class(int32_t cp) {
  int ccc;
  if (cp < 0x300)
    return 0;
  ccc = utf8proc_get_property(cp)->combining_class;
  return ccc && in_set(HF_CCC0, cp) ? 0 : ccc;
}

/* Rust's char::is_whitespace: the White_Space property, which utf8proc
 * does not expose; the property has been these 25 code points since
 * Unicode 6.3. */
int tok_is_whitespace(int32_t c) {
  if (c < 0x80)
    return c == ' ' || (c >= 0x09 && c <= 0x0D);
  switch (c) {
  case 0x85:
  case 0xA0:
  case 0x1680:
  case 0x2028:
  case 0x2029:
  case 0x202F:
  case 0x205F:
  case 0x3000:
    return 1;
  default:
    return c >= 0x2000 && c <= 0x200A;
  }
}

int tok_is_numeric(int32_t c) {
  int k;
  if (c < 0x80)
    return c >= '0' && c <= '9';
  k = tok_regex_category(c);
  return k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL ||
         k == UTF8PROC_CATEGORY_NO || in_set(HF_NUMERIC_EXTRA, c);
}

int tok_is_digit(int32_t c) {
  if (c < 0x80)
    return c >= '0' && c <= '9';
  return tok_regex_category(c) == UTF8PROC_CATEGORY_ND;
}

/* The regex crates' Unicode \w: Alphabetic, marks, Nd, Pc, Join_Control.
 * Alphabetic is L*, Nl and Other_Alphabetic; the Other_Alphabetic
 * characters outside L/M/N are the circled and squared Latin letters. */
int tok_is_alphanumeric_word(int32_t c) {
  int k;
  if (c < 0x80)
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
  if (c == 0x200C || c == 0x200D)
    return 1;
  if ((c >= 0x24B6 && c <= 0x24E9) || (c >= 0x1F130 && c <= 0x1F149) ||
      (c >= 0x1F150 && c <= 0x1F169) || (c >= 0x1F170 && c <= 0x1F189))
    return 1;
  k = tok_regex_category(c);
  return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_ME) ||
         k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL ||
         k == UTF8PROC_CATEGORY_PC;
}

int tok_hf_is_other(int32_t c) {
  int k;
  if (c < 0x80)
    return c < 0x20 || c == 0x7F;
  k = tok_category(c);
  int v = k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF ||
          k == UTF8PROC_CATEGORY_CS || k == UTF8PROC_CATEGORY_CO;
  return v ^ in_set(HF_OTHER_FLIP, c);
}

int tok_hf_is_mark_nonspacing(int32_t c) {
  int v;
  if (c < 0x300)
    return 0;
  v = tok_category(c) == UTF8PROC_CATEGORY_MN;
  return v ^ in_set(HF_MN_FLIP, c);
}

int tok_hf_is_punctuation(int32_t c) {
  int v;
  if (c < 0x80)
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) ||
           (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
  v = tok_category(c) >= UTF8PROC_CATEGORY_PC &&
      tok_category(c) <= UTF8PROC_CATEGORY_PO;
  return v ^ in_set(HF_PUNCT_FLIP, c);
}

int tok_is_combining_mark(int32_t c) {
  int k;
  if (c < 0x300)
    return 0;
  k = tok_category(c);
  int v = k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_MC ||
          k == UTF8PROC_CATEGORY_ME;
  return v ^ in_set(HF_COMB_FLIP, c);
}

int tok_is_chinese_char(int32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* Full lowercase mapping as Rust's char::to_lowercase: utf8proc's simple
 * mapping plus the generated exceptions (U+0130 maps to two chars).
 * Returns the number of code points written to out[0, 3). */
int tok_lowercase(int32_t c, int32_t out[3]) {
  size_t lo = 0, hi = HF_LOWER_N;
  if (c < 0x80) {
    out[0] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
    return 1;
  }
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (c < hf_lower[mid][0])
      hi = mid;
    else if (c > hf_lower[mid][0])
      lo = mid + 1;
    else {
      int n = 0;
      while (n < 3 && (n == 0 || hf_lower[mid][n + 1]))
        out[n] = hf_lower[mid][n + 1], ++n;
      return n;
    }
  }
  out[0] = utf8proc_tolower(c);
  return 1;
}

/* Whether tokenizers leaves c undecomposed where utf8proc would not. */
int tok_hf_no_decompose(int32_t c, int compat) {
  return compat ? in_set(HF_NODECOMP_K, c) : in_set(HF_NODECOMP_C, c);
}
