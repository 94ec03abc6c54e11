/*===- fuzz_json.c - libFuzzer target: the runtime's JSON reader ----------===*\
|*                                                                            *|
|* Any bytes: bert_json_parse must return 0 or -1 without reading past the    *|
|* input, overflowing the stack or leaking; on success every node must be     *|
|* reachable by the accessors and the tree must account for every node.       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Visits v's subtree; returns the number of nodes in it. */
static size_t walk(const bert_json_doc *doc, const bert_json_value *v,
                   int depth) {
  const bert_json_value *c;
  size_t n = 1, len;
  int64_t kids = 0;
  const char *s;
  if (depth > 65)
    abort(); /* at most 64 nested containers, then a scalar */
  s = bert_json_string(doc, v, &len);
  if (s && s[len] != '\0')
    abort();
  s = bert_json_key(doc, v, &len);
  if (s && s[len] != '\0')
    abort();
  (void)bert_json_number(v);
  (void)bert_json_int(v);
  for (c = bert_json_first(doc, v); c; c = bert_json_next(doc, c)) {
    n += walk(doc, c, depth + 1);
    ++kids;
  }
  if (kids != bert_json_count(v))
    abort();
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bert_json_doc doc;
  char err[160];
  /* A private copy: the parser must honour `size`, and ASan reports any
   * read past the end of this exact-size buffer. */
  char *text = malloc(size ? size : 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  if (bert_json_parse(text, size, &doc, err, sizeof(err)) == 0) {
    if (walk(&doc, &doc.nodes[0], 1) != doc.num_nodes)
      abort();
    if (bert_json_get(&doc, &doc.nodes[0], "dtype"))
      (void)bert_json_count(&doc.nodes[0]);
    bert_json_free(&doc);
  } else if (doc.nodes || doc.strings || !memchr(err, '\0', sizeof(err))) {
    abort(); /* a failed parse frees everything and writes a message */
  }
  free(text);
  return 0;
}
