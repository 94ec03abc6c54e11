/*===- fuzz_tokenizer.c - libFuzzer target: berttok -----------------------===*\
|*                                                                            *|
|* Any bytes, two ways in, chosen by the first byte:                          *|
|*  - 0xC0..0xFF: the rest is a tokenizer.json; loading must succeed or fail  *|
|*    with a message, and a loaded tokenizer must encode sample texts;        *|
|*  - otherwise: the rest is text (and, with bit 2, a pair after the first    *|
|*    tab) for one of the tokenizers of test/Tokenizer/goldens (bits 0-1, 6), *|
|*    with truncation (bit 3, length from the next byte), padding (bit 4)     *|
|*    and without special tokens (bit 5).                                     *|
|* Encoding must succeed (or report truncation it cannot do, or a missing     *|
|* unknown token in a fuzzed file), and every                                 *|
|* encoding must be self-consistent: offsets inside the texts, masks 0/1,     *|
|* padding where the settings say. ASan/UBSan catch the rest.                 *|
|* The tokenizers are read once from $BERT_FUZZ_TOKENIZERS or, by default,    *|
|* test/Tokenizer/goldens under the working directory.                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_tokenizer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *names[6] = {"minilm.json",         "bpe.json",
                               "unigram.json",        "unigram-xl.json",
                               "wordpiece-misc.json", "bpe-misc.json"};
static bert_tokenizer_t *toks[6];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *dir = getenv("BERT_FUZZ_TOKENIZERS");
  char path[4096], err[512];
  int i;
  (void)argc;
  (void)argv;
  if (!dir)
    dir = "test/Tokenizer/goldens";
  for (i = 0; i < 6; ++i) {
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    toks[i] = bert_tokenizer_load(path, err, sizeof(err));
    if (!toks[i]) {
      fprintf(stderr, "fuzz_tokenizer: %s\n", err);
      abort();
    }
  }
  return 0;
}

static void fail(const char *what, size_t i) {
  fprintf(stderr, "fuzz_tokenizer: %s (token %zu)\n", what, i);
  abort();
}

static void check(const bert_encoding_t *e, size_t max_text) {
  size_t i;
  for (i = 0; i < e->length; ++i) {
    if (e->attention_mask[i] != 0 && e->attention_mask[i] != 1)
      fail("attention mask not 0/1", i);
    if (e->special_tokens_mask[i] != 0 && e->special_tokens_mask[i] != 1)
      fail("special tokens mask not 0/1", i);
    if (e->offsets[2 * i] > max_text || e->offsets[2 * i + 1] > max_text)
      fail("offset past the text", i);
    if (!e->attention_mask[i] && (e->offsets[2 * i] || e->offsets[2 * i + 1] ||
                                  !e->special_tokens_mask[i]))
      fail("padding token with offsets or not special", i);
    if (e->ids[i] < 0)
      fail("negative id", i);
  }
  for (i = 0; i < e->num_overflowing; ++i) {
    if (e->overflowing[i]->num_overflowing)
      fail("a window with windows", i);
    check(e->overflowing[i], max_text);
  }
}

static void encode_checked(bert_tokenizer_t *t, const char *a, size_t an,
                           const char *b, size_t bn, int special, size_t trunc,
                           size_t pad) {
  bert_encoding_t *e = NULL;
  int rc = bert_tokenizer_encode(t, a, an, b, bn, special, &e);
  /* The two failures a valid file and any text may give. */
  if (rc && rc != BERT_TOK_ERR_TRUNCATION && rc != BERT_TOK_ERR_NO_UNK)
    fail(bert_tokenizer_status_string(rc), 0);
  if (rc) {
    if (e)
      fail("an encoding returned with an error", 0);
    return;
  }
  check(e, an > bn ? an : bn);
  if (trunc && e->length > trunc && e->length > pad)
    fail("longer than max_length", e->length); /* padding may add more */
  if (pad && e->length < pad)
    fail("shorter than the padding length", e->length);
  bert_encoding_destroy(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text;
  size_t n;
  uint8_t mode;
  if (!size)
    return 0;
  mode = data[0];
  text = (const char *)data + 1;
  n = size - 1;
  if (mode >= 0xC0) {
    char err[256];
    bert_tokenizer_t *t =
        bert_tokenizer_load_buffer(text, n, "fuzz", err, sizeof(err));
    if (!t) {
      if (!err[0])
        fail("a refused file without a message", 0);
      return 0;
    }
    encode_checked(t, "Hello, world! Caf\xc3\xa9 \xe4\xb8\xad", 18, NULL, 0, 1,
                   0, 0);
    encode_checked(t, "a\tb  c", 6, "[CLS] x", 7, 1, 0, 0);
    bert_tokenizer_destroy(t);
    return 0;
  } else {
    bert_tokenizer_t *t = toks[((mode & 3) + ((mode & 0x40) ? 4 : 0)) % 6];
    size_t max_len = 0, stride = 0, pad = 0, an = n, bn = 0;
    size_t old_max = 0, old_stride = 0;
    bert_tok_truncation_strategy old_st = BERT_TOK_LONGEST_FIRST;
    bert_tok_direction old_dir = BERT_TOK_RIGHT;
    int had = bert_tokenizer_get_truncation(t, &old_max, &old_stride, &old_st,
                                            &old_dir);
    const char *b = NULL;
    if ((mode & 8) && n >= 2) {
      max_len = data[1] % 64;
      stride = data[2] % 8;
      text += 2;
      n -= 2;
      an = n;
      bert_tokenizer_set_truncation(
          t, max_len, stride,
          (bert_tok_truncation_strategy)(data[1] >> 6 > 2 ? 0 : data[1] >> 6),
          (data[2] & 0x80) ? BERT_TOK_LEFT : BERT_TOK_RIGHT);
    }
    if (mode & 4) {
      const char *tab = memchr(text, '\t', n);
      if (tab) {
        an = (size_t)(tab - text);
        b = tab + 1;
        bn = n - an - 1;
      } else {
        b = text + n;
      }
    }
    if (mode & 16) {
      pad = 24;
      bert_tokenizer_set_padding(t, pad, 0, 0, 0, "[PAD]", BERT_TOK_RIGHT);
    } else {
      bert_tokenizer_disable_padding(t);
    }
    encode_checked(t, text, an, b, bn, !(mode & 32), (mode & 8) ? max_len : 0,
                   pad);
    {
      /* The same texts as a batch of two (padding to the longest). */
      const char *texts[2] = {text, b ? b : text};
      size_t lens[2] = {an, b ? bn : an};
      bert_encoding_t *out[2];
      int rc =
          bert_tokenizer_encode_batch(t, 2, texts, lens, NULL, NULL, 1, out);
      if (rc && rc != BERT_TOK_ERR_TRUNCATION && rc != BERT_TOK_ERR_NO_UNK)
        fail(bert_tokenizer_status_string(rc), 0);
      if (!rc) {
        check(out[0], lens[0]);
        check(out[1], lens[1]);
        bert_encoding_destroy(out[0]);
        bert_encoding_destroy(out[1]);
      }
    }
    if (had)
      bert_tokenizer_set_truncation(t, old_max, old_stride, old_st, old_dir);
    else
      bert_tokenizer_disable_truncation(t);
    bert_tokenizer_disable_padding(t);
    return 0;
  }
}
