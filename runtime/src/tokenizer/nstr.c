/*===- nstr.c - Normalized strings with alignments ------------------------===*\
|*                                                                            *|
|* The C form of tokenizers' NormalizedString. Every edit is expressed, as    *|
|* there, as a list of (char, change) steps applied by transform_range, and   *|
|* the alignment rules (an inserted char shares the alignment of the byte     *|
|* before it; a replacing char takes the alignment of the char it replaces)   *|
|* are the same, because they decide every token's offsets. Buffers are       *|
|* never edited in place: a slice shares its parent's arrays, and each edit   *|
|* writes new arrays in the arena.                                            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_internal.h"

#include <string.h>
#include <utf8proc.h>

static int lead_len(unsigned char c) {
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

void tok_changes_init(tok_changes *c, tok_arena *a) {
  memset(c, 0, sizeof(*c));
  c->arena = a;
}

/* Appends a zeroed item of `size` bytes to an arena vector (the changes,
 * pieces and splits share the layout: v, n, cap, arena, failed) and returns
 * it; NULL, with *failed set, when out of memory. array_ptr is the address
 * of the vector's v; its capacity starts at `first` items. */
static void *vec_push(tok_arena *a, void *array_ptr, size_t *n, size_t *cap,
                      size_t size, size_t first, int *failed) {
  void *v, *item;
  /* memcpy: v is a tok_change *, tok_piece * or tok_split *, not a void *. */
  memcpy(&v, array_ptr, sizeof(v));
  v = tok_grow(a, v, *n, cap, size, first);
  if (!v) {
    *failed = 1;
    return NULL;
  }
  memcpy(array_ptr, &v, sizeof(v));
  item = (char *)v + (*n)++ * size;
  memset(item, 0, size);
  return item;
}
#define VEC_PUSH(vec, first)                                                   \
  vec_push((vec)->arena, &(vec)->v, &(vec)->n, &(vec)->cap, sizeof(*(vec)->v), \
           (first), &(vec)->failed)

void tok_changes_push(tok_changes *c, int32_t cp, int32_t change) {
  tok_change *ch = VEC_PUSH(c, 64);
  if (ch) {
    ch->cp = cp;
    ch->change = change;
  }
}

void tok_pieces_push(tok_pieces *p, uint32_t s, uint32_t e, int match) {
  tok_piece *piece = VEC_PUSH(p, 32);
  if (piece) {
    piece->s = s;
    piece->e = e;
    piece->match = match;
  }
}

tok_split *tok_splits_push(tok_splits *s) { return VEC_PUSH(s, 16); }

int tok_nstr_from_text(tok_nstr *ns, tok_arena *a, const char *text,
                       size_t len) {
  const unsigned char *u = (const unsigned char *)text;
  size_t i = 0, out = 0, cap = len * 3 + 1; /* each bad byte -> 3 bytes */
  memset(ns, 0, sizeof(*ns));
  ns->str = tok_arena_alloc(a, cap);
  ns->al = tok_arena_alloc(a, cap * sizeof(tok_span));
  if (!ns->str || !ns->al)
    return -1;
  while (i < len) {
    int32_t cp;
    int n = tok_utf8_decode(u + i, len - i, &cp), k, w;
    if (cp == 0xFFFD && !(n == 3 && u[i] == 0xEF)) {
      w = tok_utf8_encode(cp, ns->str + out);
    } else {
      memcpy(ns->str + out, text + i, (size_t)n);
      w = n;
    }
    for (k = 0; k < w; ++k) {
      ns->al[out + (size_t)k].s = (uint32_t)i;
      ns->al[out + (size_t)k].e = (uint32_t)(i + (size_t)n);
    }
    out += (size_t)w;
    i += (size_t)n;
  }
  ns->len = ns->cap = (uint32_t)out;
  ns->orig_start = 0;
  ns->orig_end = (uint32_t)len;
  return 0;
}

int tok_nstr_transform_range(tok_nstr *ns, tok_arena *a, uint32_t start,
                             uint32_t end, const tok_changes *ch,
                             size_t initial_offset) {
  size_t i, outb = 0, rp = start, off, newlen;
  char *str;
  tok_span *al;
  uint32_t w = 0;
  if (ch->failed)
    return -1;
  for (i = 0; i < ch->n; ++i)
    outb += (size_t)tok_utf8_len(ch->v[i].cp);
  newlen = (size_t)ns->len - (end - start) + outb;
  if (newlen > UINT32_MAX)
    return -1;
  str = tok_arena_alloc(a, newlen + 1);
  al = tok_arena_alloc(a, (newlen + 1) * sizeof(tok_span));
  if (!str || !al)
    return -1;
  memcpy(str, ns->str, start);
  memcpy(al, ns->al, start * sizeof(tok_span));
  w = start;
  for (i = 0; i < initial_offset && rp < end; ++i)
    rp += (size_t)lead_len((unsigned char)ns->str[rp]);
  off = rp;
  for (i = 0; i < ch->n; ++i) {
    int32_t change = ch->v[i].change;
    tok_span sp = {0, 0};
    int n, k;
    if (change > 0) {
      if (off >= 1)
        sp = ns->al[off - 1 < ns->len ? off - 1 : ns->len - 1];
    } else if (ns->len) {
      /* tokenizers would panic past the end; take the last alignment. */
      sp = ns->al[off < ns->len ? off : ns->len - 1];
    }
    if (change <= 0 && rp < end) {
      size_t sz = (size_t)lead_len((unsigned char)ns->str[rp]);
      rp += sz;
      off += sz;
    }
    for (k = 0; change < 0 && k < -change && rp < end; ++k) {
      size_t sz = (size_t)lead_len((unsigned char)ns->str[rp]);
      rp += sz;
      off += sz;
    }
    n = tok_utf8_encode(ch->v[i].cp, str + w);
    for (k = 0; k < n; ++k)
      al[w + (uint32_t)k] = sp;
    w += (uint32_t)n;
  }
  memcpy(str + w, ns->str + end, ns->len - end);
  memcpy(al + w, ns->al + end, (ns->len - end) * sizeof(tok_span));
  ns->str = str;
  ns->al = al;
  ns->len = ns->cap = (uint32_t)newlen;
  return 0;
}

int tok_nstr_transform(tok_nstr *ns, tok_arena *a, const tok_changes *ch,
                       size_t initial_offset) {
  return tok_nstr_transform_range(ns, a, 0, ns->len, ch, initial_offset);
}

int tok_nstr_slice(const tok_nstr *ns, tok_arena *a, uint32_t start,
                   uint32_t end, tok_nstr *out) {
  (void)a;
  out->str = ns->str + start;
  out->al = ns->al + start;
  out->len = out->cap = end - start;
  if (end > start) {
    out->orig_start = ns->al[start].s;
    out->orig_end = ns->al[end - 1].e;
  } else {
    out->orig_start = out->orig_end = ns->orig_start + start;
  }
  return 0;
}

tok_span tok_nstr_original_span(const tok_nstr *ns, uint32_t start,
                                uint32_t end) {
  tok_span r;
  if (end > start && end <= ns->len) {
    r.s = ns->al[start].s;
    r.e = ns->al[end - 1].e;
  } else {
    r.s = r.e = ns->orig_start + start;
  }
  return r;
}

int tok_nstr_prepend(tok_nstr *ns, tok_arena *a, const char *s, size_t n) {
  tok_changes ch;
  size_t i = 0;
  int32_t next, cp;
  int nl, first = 1;
  if (!ns->len)
    return 0;
  nl = tok_utf8_next(ns->str, &next);
  tok_changes_init(&ch, a);
  while (i < n) {
    i += (size_t)tok_utf8_next(s + i, &cp);
    tok_changes_push(&ch, cp, first ? 0 : 1);
    first = 0;
  }
  tok_changes_push(&ch, next, 1);
  return tok_nstr_transform_range(ns, a, 0, (uint32_t)nl, &ch, 0);
}

int tok_nstr_lowercase(tok_nstr *ns, tok_arena *a) {
  tok_changes ch;
  uint32_t i = 0;
  int same_shape = 1, changed = 0;
  char *str;
  for (i = 0; i < ns->len; ++i)
    if ((unsigned char)ns->str[i] >= 0x80 ||
        (ns->str[i] >= 'A' && ns->str[i] <= 'Z'))
      break;
  if (i == ns->len)
    return 0; /* nothing to lower */
  tok_changes_init(&ch, a);
  for (i = 0; i < ns->len;) {
    int32_t cp, lo[3];
    int n = tok_utf8_next(ns->str + i, &cp), k, m = tok_lowercase(cp, lo);
    if (m != 1 || tok_utf8_len(lo[0]) != n)
      same_shape = 0;
    if (m != 1 || lo[0] != cp)
      changed = 1;
    for (k = 0; k < m; ++k)
      tok_changes_push(&ch, lo[k], k > 0);
    i += (uint32_t)n;
  }
  if (!changed)
    return 0;
  if (!same_shape)
    return tok_nstr_transform(ns, a, &ch, 0);
  /* Same lengths everywhere: the alignments do not move. */
  str = tok_arena_alloc(a, ns->len + 1);
  if (!str || ch.failed)
    return -1;
  {
    uint32_t w = 0;
    size_t k;
    for (k = 0; k < ch.n; ++k)
      w += (uint32_t)tok_utf8_encode(ch.v[k].cp, str + w);
  }
  ns->str = str;
  return 0;
}

uint32_t tok_nstr_find(const tok_nstr *ns, int (*pred)(int32_t), int want) {
  uint32_t i;
  for (i = 0; i < ns->len;) {
    int32_t cp;
    int k = tok_utf8_next(ns->str + i, &cp);
    if (!pred(cp) == !want)
      break;
    i += (uint32_t)k;
  }
  return i;
}

int tok_nstr_map(tok_nstr *ns, tok_arena *a,
                 void (*each)(tok_changes *ch, int32_t cp)) {
  tok_changes ch;
  uint32_t i;
  tok_changes_init(&ch, a);
  for (i = 0; i < ns->len;) {
    int32_t cp;
    i += (uint32_t)tok_utf8_next(ns->str + i, &cp);
    each(&ch, cp);
  }
  return tok_nstr_transform(ns, a, &ch, 0);
}

int tok_nstr_filter(tok_nstr *ns, tok_arena *a, int (*keep)(int32_t)) {
  tok_changes ch;
  uint32_t i;
  int32_t removed = 0, last = -1;
  size_t removed_start = 0;
  int any = 0;
  /* Most strings lose nothing: find that out before building steps. */
  if (tok_nstr_find(ns, keep, 0) == ns->len)
    return 0;
  tok_changes_init(&ch, a);
  for (i = 0; i < ns->len;) {
    int32_t cp;
    i += (uint32_t)tok_utf8_next(ns->str + i, &cp);
    if (keep(cp)) {
      if (last >= 0)
        tok_changes_push(&ch, last, -removed);
      else
        removed_start = (size_t)removed;
      last = cp;
      removed = 0;
    } else {
      ++removed;
      any = 1;
    }
  }
  if (!any)
    return 0;
  if (last >= 0)
    tok_changes_push(&ch, last, -removed);
  return tok_nstr_transform(ns, a, &ch, removed_start);
}

int tok_nstr_strip(tok_nstr *ns, tok_arena *a, int left, int right) {
  uint32_t i, count = 0, lead = 0, trail = 0, k;
  int in_lead = 1;
  tok_changes ch;
  for (i = 0; i < ns->len;) {
    int32_t cp;
    i += (uint32_t)tok_utf8_next(ns->str + i, &cp);
    if (tok_is_whitespace(cp)) {
      if (in_lead)
        ++lead;
      ++trail;
    } else {
      in_lead = 0;
      trail = 0;
    }
    ++count;
  }
  if (!left)
    lead = 0;
  if (!right)
    trail = 0;
  if (lead == count)
    trail = 0; /* all whitespace: every char is leading */
  if (!lead && !trail)
    return 0;
  tok_changes_init(&ch, a);
  for (i = 0, k = 0; i < ns->len; ++k) {
    int32_t cp;
    i += (uint32_t)tok_utf8_next(ns->str + i, &cp);
    if (k >= lead && k < count - trail)
      tok_changes_push(&ch, cp, 0);
  }
  return tok_nstr_transform(ns, a, &ch, lead);
}

/* Appends the full decomposition of cp (canonical or compatibility). */
static void decompose(int32_t cp, int compat, tok_changes *out) {
  utf8proc_int32_t buf[32];
  utf8proc_ssize_t n = 1, i;
  int boundclass = 0;
  /* Nothing below U+00A0 decomposes (U+00C0 without compatibility). */
  if (cp < (compat ? 0xA0 : 0xC0) || tok_hf_no_decompose(cp, compat)) {
    buf[0] = cp;
  } else {
    n = utf8proc_decompose_char(
        cp, buf, 32, UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0),
        &boundclass);
    if (n < 1 || n > 32) {
      buf[0] = cp;
      n = 1;
    }
  }
  for (i = 0; i < n; ++i)
    tok_changes_push(out, buf[i], i > 0);
}

/* Canonical ordering: each run of non-starters is stably sorted by
 * combining class, as the crate's Decompositions iterator does. */
static void canonical_order(tok_changes *c) {
  size_t i = 0;
  while (i < c->n) {
    size_t j = i, k;
    while (j < c->n && tok_combining_class(c->v[j].cp) != 0)
      ++j;
    /* Insertion sort: runs are short and it is stable. */
    for (k = i + 1; k < j; ++k) {
      tok_change x = c->v[k];
      int cx = tok_combining_class(x.cp);
      size_t m = k;
      while (m > i && tok_combining_class(c->v[m - 1].cp) > cx) {
        c->v[m] = c->v[m - 1];
        --m;
      }
      c->v[m] = x;
    }
    i = j == i ? i + 1 : j;
  }
}

static int32_t compose_pair(int32_t a, int32_t b) {
  utf8proc_int32_t buf[2];
  if (b < 0x300 && !(b >= 0x1161 && b <= 0x11C2))
    return -1;
  buf[0] = a;
  buf[1] = b;
  /* STABLE: without it utf8proc ignores the composition exclusions. */
  if (utf8proc_normalize_utf32(buf, 2, UTF8PROC_COMPOSE | UTF8PROC_STABLE) == 1)
    return buf[0];
  return -1;
}

/* The crate's Recompositions state machine over decomposed steps. */
static void recompose(const tok_changes *in, tok_changes *out,
                      tok_changes *buf) {
  size_t i, k;
  int have = 0, have_last = 0, last_ccc = 0;
  tok_change comp = {0, 0};
  buf->n = 0;
  for (i = 0; i < in->n; ++i) {
    tok_change c = in->v[i];
    int ccc = tok_combining_class(c.cp);
    int32_t r;
    if (!have) {
      if (ccc != 0) {
        tok_changes_push(out, c.cp, c.change);
        continue;
      }
      comp = c;
      have = 1;
      continue;
    }
    if (!have_last) {
      r = compose_pair(comp.cp, c.cp);
      if (r >= 0) {
        comp.cp = r;
        comp.change = comp.change + c.change - 1;
        continue;
      }
      if (ccc == 0) {
        tok_changes_push(out, comp.cp, comp.change);
        comp = c;
        continue;
      }
      tok_changes_push(buf, c.cp, c.change);
      last_ccc = ccc;
      have_last = 1;
      continue;
    }
    if (last_ccc >= ccc) {
      if (ccc == 0) {
        tok_changes_push(out, comp.cp, comp.change);
        for (k = 0; k < buf->n; ++k)
          tok_changes_push(out, buf->v[k].cp, buf->v[k].change);
        buf->n = 0;
        comp = c;
        have_last = 0;
        continue;
      }
      tok_changes_push(buf, c.cp, c.change);
      last_ccc = ccc;
      continue;
    }
    r = compose_pair(comp.cp, c.cp);
    if (r >= 0) {
      comp.cp = r;
      comp.change = comp.change + c.change - 1;
      continue;
    }
    tok_changes_push(buf, c.cp, c.change);
    last_ccc = ccc;
  }
  /* Finished: the composee, then the marks still pending. */
  if (have)
    tok_changes_push(out, comp.cp, comp.change);
  for (k = 0; k < buf->n; ++k)
    tok_changes_push(out, buf->v[k].cp, buf->v[k].change);
}

int tok_nstr_unicode_normalize(tok_nstr *ns, tok_arena *a, int compose,
                               int compat) {
  tok_changes d, c, b;
  uint32_t i;
  for (i = 0; i < ns->len; ++i)
    if ((unsigned char)ns->str[i] >= 0x80)
      break;
  if (i == ns->len)
    return 0; /* ASCII is in every normal form */
  tok_changes_init(&d, a);
  for (i = 0; i < ns->len;) {
    int32_t cp;
    i += (uint32_t)tok_utf8_next(ns->str + i, &cp);
    decompose(cp, compat, &d);
  }
  if (d.failed)
    return -1;
  canonical_order(&d);
  if (!compose)
    return tok_nstr_transform(ns, a, &d, 0);
  tok_changes_init(&c, a);
  tok_changes_init(&b, a);
  recompose(&d, &c, &b);
  if (b.failed)
    return -1;
  return tok_nstr_transform(ns, a, &c, 0);
}

void tok_find_char_matches(const tok_nstr *ns, int (*pred)(int32_t, int32_t),
                           int32_t arg, tok_pieces *out) {
  uint32_t i = 0, last_off = 0, last_seen = 0;
  if (!ns->len) {
    tok_pieces_push(out, 0, 0, 0);
    return;
  }
  while (i < ns->len) {
    int32_t cp;
    uint32_t n = (uint32_t)tok_utf8_next(ns->str + i, &cp);
    last_seen = i + n;
    if (pred(cp, arg)) {
      if (last_off < i)
        tok_pieces_push(out, last_off, i, 0);
      tok_pieces_push(out, i, i + n, 1);
      last_off = i + n;
    }
    i += n;
  }
  if (last_seen > last_off)
    tok_pieces_push(out, last_off, last_seen, 0);
}

static int push_slice(const tok_nstr *ns, tok_arena *a, uint32_t s, uint32_t e,
                      tok_splits *out) {
  tok_split *sp;
  if (s >= e)
    return 0; /* PreTokenizedString::split drops empty pieces */
  sp = tok_splits_push(out);
  if (!sp)
    return -1;
  return tok_nstr_slice(ns, a, s, e, &sp->ns);
}

int tok_nstr_split(const tok_nstr *ns, tok_arena *a, const tok_pieces *m,
                   tok_split_behavior b, tok_splits *out) {
  size_t i, n = 0;
  tok_piece *acc;
  int prev = 0;
  if (m->failed)
    return -1;
  if (b == TOK_SPLIT_REMOVED || b == TOK_SPLIT_ISOLATED) {
    for (i = 0; i < m->n; ++i)
      if (b == TOK_SPLIT_ISOLATED || !m->v[i].match)
        if (push_slice(ns, a, m->v[i].s, m->v[i].e, out))
          return -1;
    return 0;
  }
  acc = tok_arena_alloc(a, (m->n + 1) * sizeof(*acc));
  if (!acc)
    return -1;
  if (b == TOK_SPLIT_MERGED_WITH_NEXT) {
    for (i = m->n; i-- > 0;) {
      tok_piece p = m->v[i];
      if (p.match && !prev && n)
        acc[n - 1].s = p.s;
      else
        acc[n++] = p;
      prev = p.match;
    }
    for (i = n; i-- > 0;)
      if (push_slice(ns, a, acc[i].s, acc[i].e, out))
        return -1;
    return 0;
  }
  for (i = 0; i < m->n; ++i) {
    tok_piece p = m->v[i];
    int merge = b == TOK_SPLIT_CONTIGUOUS ? p.match == prev : p.match && !prev;
    if (merge && n)
      acc[n - 1].e = p.e;
    else
      acc[n++] = p;
    prev = p.match;
  }
  for (i = 0; i < n; ++i)
    if (push_slice(ns, a, acc[i].s, acc[i].e, out))
      return -1;
  return 0;
}
