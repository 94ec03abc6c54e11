/*===- json.h - Minimal strict JSON parser --------------------------------===*\
|*                                                                            *|
|* The safetensors header is JSON, and the runtime may not use the            *|
|* compiler's libraries, so it carries this small parser. It builds a flat    *|
|* tree (nodes in one array, linked by index) from an untrusted buffer and    *|
|* rejects anything that is not RFC 8259 JSON, with the byte offset of the    *|
|* problem. Integers are kept exactly (int64) because tensor offsets and      *|
|* shapes must not go through a double.                                       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUNTIME_JSON_H
#define BERT_RUNTIME_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  BERT_JSON_NULL,
  BERT_JSON_BOOL,
  BERT_JSON_NUMBER,
  BERT_JSON_STRING,
  BERT_JSON_ARRAY,
  BERT_JSON_OBJECT
} bert_json_type;

typedef struct {
  bert_json_type type;
  /* Member key when the parent is an object (decoded, NUL-terminated; may
   * contain NULs from \u0000, hence the length), else NULL. */
  const char *key;
  size_t key_len;
  /* STRING: decoded value, NUL-terminated. */
  const char *str;
  size_t str_len;
  /* NUMBER: value as double; is_int when written without fraction or
   * exponent and within int64, then ival is exact. BOOL: ival is 0 or 1. */
  double num;
  int is_int;
  int64_t ival;
  /* ARRAY/OBJECT: index of the first child (-1 if empty) and child count.
   * Every node: index of its next sibling, -1 if last. */
  int64_t first;
  int64_t count;
  int64_t next;
} bert_json_value;

typedef struct {
  bert_json_value *nodes; /* nodes[0] is the root */
  size_t num_nodes;
  size_t capacity;
  char *strings; /* decoded keys and strings */
} bert_json_doc;

/* Parses text[0, len). On success returns 0 and fills doc (free with
 * bert_json_free). On failure returns -1, frees everything and writes a
 * message such as "at byte 17: expected ':' after object key" into err. */
int bert_json_parse(const char *text, size_t len, bert_json_doc *doc, char *err,
                    size_t err_size);

void bert_json_free(bert_json_doc *doc);

/* Child iteration: first child / next sibling, NULL at the end. */
const bert_json_value *bert_json_first(const bert_json_doc *doc,
                                       const bert_json_value *v);
const bert_json_value *bert_json_next(const bert_json_doc *doc,
                                      const bert_json_value *v);

/* Member of an object by key, or NULL. */
const bert_json_value *bert_json_get(const bert_json_doc *doc,
                                     const bert_json_value *obj,
                                     const char *key);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_JSON_H */
