/*===- hashmap.c - Open-addressing maps for vocabularies and merges -------===*\
|*                                                                            *|
|* Vocabulary lookups are the inner loop of WordPiece and BPE, so they are    *|
|* one hash and, almost always, one probe: linear probing over a table kept   *|
|* at most half full, with the key bytes in one pool.                         *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>

uint32_t tok_hash(const char *k, size_t n) {
  /* FNV-1a: short keys, good spread, no seed needed (the tables are built
   * from the model file, not from text). */
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; ++i) {
    h ^= (unsigned char)k[i];
    h *= 16777619u;
  }
  return h;
}

static int grow_slots(tok_strmap *m) {
  size_t ns = m->nslots ? m->nslots * 2 : 64, i;
  uint32_t *slots = calloc(ns, sizeof(*slots));
  if (!slots)
    return -1;
  for (i = 0; i < m->n; ++i) {
    size_t j = m->entries[i].hash & (ns - 1);
    while (slots[j])
      j = (j + 1) & (ns - 1);
    slots[j] = (uint32_t)(i + 1);
  }
  free(m->slots);
  m->slots = slots;
  m->nslots = ns;
  return 0;
}

int tok_strmap_put(tok_strmap *m, const char *k, size_t n, int32_t v) {
  uint32_t h = tok_hash(k, n);
  size_t j;
  if (n > UINT32_MAX)
    return -1;
  if ((m->n + 1) * 2 > m->nslots && grow_slots(m))
    return -1;
  for (j = h & (m->nslots - 1); m->slots[j]; j = (j + 1) & (m->nslots - 1)) {
    tok_strmap_entry *e = &m->entries[m->slots[j] - 1];
    if (e->hash == h && e->key_len == n && !memcmp(m->pool + e->key, k, n)) {
      e->value = v; /* a later duplicate wins, as in a Rust HashMap */
      return 0;
    }
  }
  {
    tok_strmap_entry *e =
        tok_grow(NULL, m->entries, m->n, &m->cap, sizeof(*e), 64);
    if (!e)
      return -1;
    m->entries = e;
  }
  if (m->pool_len + n + 1 > m->pool_cap) {
    size_t cap = m->pool_cap ? m->pool_cap * 2 : 4096;
    char *p;
    while (cap < m->pool_len + n + 1)
      cap *= 2;
    p = realloc(m->pool, cap);
    if (!p)
      return -1;
    m->pool = p;
    m->pool_cap = cap;
  }
  memcpy(m->pool + m->pool_len, k, n);
  m->pool[m->pool_len + n] = '\0';
  m->entries[m->n].key = m->pool_len;
  m->entries[m->n].key_len = (uint32_t)n;
  m->entries[m->n].hash = h;
  m->entries[m->n].value = v;
  m->pool_len += n + 1;
  m->slots[j] = (uint32_t)(++m->n);
  return 0;
}

int32_t tok_strmap_get(const tok_strmap *m, const char *k, size_t n) {
  uint32_t h;
  size_t j;
  if (!m->nslots)
    return -1;
  h = tok_hash(k, n);
  for (j = h & (m->nslots - 1); m->slots[j]; j = (j + 1) & (m->nslots - 1)) {
    const tok_strmap_entry *e = &m->entries[m->slots[j] - 1];
    if (e->hash == h && e->key_len == n && !memcmp(m->pool + e->key, k, n))
      return e->value;
  }
  return -1;
}

const char *tok_strmap_key(const tok_strmap *m, size_t i, uint32_t *len) {
  *len = m->entries[i].key_len;
  return m->pool + m->entries[i].key;
}

void tok_strmap_free(tok_strmap *m) {
  free(m->slots);
  free(m->entries);
  free(m->pool);
  memset(m, 0, sizeof(*m));
}

static size_t mix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return (size_t)k;
}

static int u64_grow(tok_u64map *m) {
  tok_u64map n;
  size_t i;
  memset(&n, 0, sizeof(n));
  n.nslots = m->nslots ? m->nslots * 2 : 64;
  n.keys = malloc(n.nslots * sizeof(*n.keys));
  n.a = malloc(n.nslots * sizeof(*n.a));
  n.b = malloc(n.nslots * sizeof(*n.b));
  n.used = calloc(n.nslots, 1);
  if (!n.keys || !n.a || !n.b || !n.used) {
    tok_u64map_free(&n);
    return -1;
  }
  for (i = 0; i < m->nslots; ++i)
    if (m->used[i])
      tok_u64map_put(&n, m->keys[i], m->a[i], m->b[i]);
  tok_u64map_free(m);
  *m = n;
  return 0;
}

int tok_u64map_put(tok_u64map *m, uint64_t k, uint32_t a, uint32_t b) {
  size_t j;
  if ((m->n + 1) * 2 > m->nslots && u64_grow(m))
    return -1;
  for (j = mix64(k) & (m->nslots - 1); m->used[j];
       j = (j + 1) & (m->nslots - 1))
    if (m->keys[j] == k) {
      m->a[j] = a;
      m->b[j] = b;
      return 0;
    }
  m->used[j] = 1;
  m->keys[j] = k;
  m->a[j] = a;
  m->b[j] = b;
  ++m->n;
  return 0;
}

int tok_u64map_get(const tok_u64map *m, uint64_t k, uint32_t *a, uint32_t *b) {
  size_t j;
  if (!m->nslots)
    return 0;
  for (j = mix64(k) & (m->nslots - 1); m->used[j];
       j = (j + 1) & (m->nslots - 1))
    if (m->keys[j] == k) {
      if (a)
        *a = m->a[j];
      if (b)
        *b = m->b[j];
      return 1;
    }
  return 0;
}

void tok_u64map_free(tok_u64map *m) {
  free(m->keys);
  free(m->a);
  free(m->b);
  free(m->used);
  memset(m, 0, sizeof(*m));
}
