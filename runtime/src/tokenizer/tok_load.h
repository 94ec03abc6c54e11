/*===- tok_load.h - Shared helpers of the tokenizer.json loader -----------===*\
|*                                                                            *|
|* load.c reads the normalizer and pre-tokenizer sections, load_model.c the   *|
|* model, post-processor, added tokens and the file as a whole; both report   *|
|* errors through one loader so the first message wins.                       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_TOKENIZER_LOAD_H
#define BERT_TOKENIZER_LOAD_H

#include "json.h"
#include "tok_internal.h"

typedef struct {
  const bert_json_doc *doc;
  char *err;
  size_t err_size;
  const char *name;
  int status;
} tok_loader;

/* Records the first error (status and message); returns -1. */
int tok_ld_fail(tok_loader *L, int status, const char *fmt, ...);
const bert_json_value *tok_ld_get(tok_loader *L, const bert_json_value *o,
                                  const char *k);
int tok_ld_bool(tok_loader *L, const bert_json_value *o, const char *k, int def,
                int *out, const char *where);
/* def < 0: required. */
int tok_ld_uint(tok_loader *L, const bert_json_value *o, const char *k,
                int64_t def, int64_t max, int64_t *out, const char *where);
int tok_ld_str(tok_loader *L, const bert_json_value *o, const char *k,
               const bert_json_value **out, const char *where);
/* A required string: as tok_ld_str, and absent or null is an error. */
int tok_ld_req_str(tok_loader *L, const bert_json_value *o, const char *k,
                   const bert_json_value **out, const char *where);
/* The start of every component loader: zeroes the component `out` (`size`
 * bytes), so that its free function is safe whatever fails next, and
 * returns the "type" of object o (NULL, with the error recorded, when o is
 * not an object with a "type" string). */
const char *tok_ld_type(tok_loader *L, const bert_json_value *o, void *out,
                        size_t size, const char *where);
char *tok_ld_dup(const char *s, size_t n);
/* The JSON reader's accessors with the loader's document: a string value
 * ("" for a non-string), its length; a member's key ("" for none) with its
 * length in *n. */
const char *tok_ld_s(const tok_loader *L, const bert_json_value *v);
size_t tok_ld_slen(const tok_loader *L, const bert_json_value *v);
const char *tok_ld_key(const tok_loader *L, const bert_json_value *v,
                       size_t *n);

/* A section loader: loads the section o into *out (a tok_normalizer,
 * tok_pretok or tok_postproc, by the loader), nested depth deep. The element
 * type is left out so that one Sequence reader and one section reader serve
 * all three. */
typedef int (*tok_ld_fn)(tok_loader *L, const bert_json_value *o, void *out,
                         int depth);
/* The last type a section (what: "normalizer", ...) may have: t must be
 * "Sequence", else the type is not supported. The children of a Sequence:
 * o[key] must be an array, and no deeper than 16 Sequences; each element is
 * loaded with load into a new array of `size`-byte items. Returns the array,
 * with *n the items begun (the caller frees those, loaded or not; NULL when
 * none could be allocated), and *rc 0, or -1 after an error. */
void *tok_ld_sequence(tok_loader *L, const bert_json_value *o, const char *t,
                      const char *key, const char *what, int depth, size_t size,
                      tok_ld_fn load, size_t *n, int *rc);

int tok_load_normalizer(tok_loader *L, const bert_json_value *o, void *out,
                        int depth);
int tok_load_model(tok_loader *L, const bert_json_value *o, tok_model *m);
int tok_load_pretok(tok_loader *L, const bert_json_value *o, void *out,
                    int depth);

#endif /* BERT_TOKENIZER_LOAD_H */
