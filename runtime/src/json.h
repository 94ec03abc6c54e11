/*===- json.h - Minimal strict JSON parser --------------------------------===*\
|*                                                                            *|
|* The safetensors header is JSON, and the runtime may not use the            *|
|* compiler's libraries, so it carries this small parser. It builds a flat    *|
|* tree (nodes in one array, in document order) from an untrusted buffer and *|
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

/* Longest text bert_json_parse takes (128 MiB, above the safetensors
 * header cap of 100 MB): nodes address keys and strings by 32-bit offsets,
 * and a key's length has 26 bits (longer keys are refused). */
#define BERT_JSON_MAX_TEXT (((size_t)1 << 27) - 1)

/* One value, 16 bytes: a header of 40 MB holds at most 20 M values, so the
 * tree costs at most 8 bytes per byte of text (the old 96-byte node let a
 * 40 MB header take 1.8 GB). Read it only through the accessors below. */
typedef struct {
  uint32_t tag; /* type | flags | key length << 6 (see json.c) */
  uint32_t key; /* offset of the key in doc->strings (members only) */
  union {
    int64_t ival; /* integer NUMBER, BOOL (0 or 1) */
    double num;   /* other NUMBER */
    struct {
      uint32_t off, len;
    } str; /* STRING: offset in doc->strings and length */
    struct {
      uint32_t count, span;
    } kids; /* ARRAY/OBJECT: child count, nodes in the subtree */
  } u;
} bert_json_value;

typedef struct {
  bert_json_value *nodes; /* nodes[0] is the root; children follow parents */
  size_t num_nodes;
  size_t capacity;
  char *strings; /* decoded keys and strings, each NUL-terminated */
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

bert_json_type bert_json_type_of(const bert_json_value *v);
/* ARRAY/OBJECT: number of children; 0 for scalars. */
int64_t bert_json_count(const bert_json_value *v);
/* NUMBER written without fraction or exponent and within int64: 1, and
 * bert_json_int is exact. BOOL: bert_json_int is 0 or 1. */
int bert_json_is_int(const bert_json_value *v);
int64_t bert_json_int(const bert_json_value *v);
/* NUMBER as a double. */
double bert_json_number(const bert_json_value *v);
/* STRING: the decoded value (NUL-terminated; may contain NULs from \u0000,
 * hence the length), else NULL. */
const char *bert_json_string(const bert_json_doc *doc, const bert_json_value *v,
                             size_t *len);
/* Member key when the parent is an object (decoded, NUL-terminated, length
 * in *len), else NULL. */
const char *bert_json_key(const bert_json_doc *doc, const bert_json_value *v,
                          size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_JSON_H */
