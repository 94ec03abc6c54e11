/*===- bert_tokenize.c - Tokenize text lines with a tokenizer.json --------===*\
|*                                                                            *|
|*   bert-tokenize TOKENIZER_JSON [--pairs] [--max-length N]                  *|
|*                 [--stride N] [--strategy longest_first|only_first|         *|
|*                  only_second] [--pad none|longest|N] [--batch N]           *|
|*                 [--no-special-tokens] [--overflow]                         *|
|*                                                                            *|
|* Reads UTF-8 text from standard input, one text per line (lines end at      *|
|* '\n' only; a '\r' stays in the text), and writes one JSON object per line: *|
|*   {"input_ids": [...], "token_type_ids": [...], "attention_mask": [...],   *|
|*    "offsets": [[b, e], ...]}                                               *|
|* with offsets in bytes of the line (of the second text for its tokens).     *|
|* --pairs: each line is two texts separated by the first tab (no tab: the    *|
|* second text is empty). --max-length N truncates to N tokens (the file's    *|
|* strategy and stride, or longest_first); --stride / --strategy set those.   *|
|* --pad pads each batch to its longest or to N (none: no padding);           *|
|* --batch N encodes N lines at a time as one batch (default 1). Without      *|
|* these options the file's own truncation and padding apply, as with         *|
|* tokenizers' Tokenizer.from_file.                                           *|
|* --overflow adds "overflowing": the windows truncation left over (stride    *|
|* tokens of overlap), each an object as above.                               *|
|* A line that cannot be encoded gives {"error": "..."}. Any bytes may come   *|
|* in: invalid UTF-8 is read as U+FFFD (see bert_tokenizer.h).                *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void) {
  fprintf(stderr,
          "usage: bert-tokenize TOKENIZER_JSON [--pairs] [--max-length N]\n"
          "         [--stride N] [--strategy longest_first|only_first|"
          "only_second]\n"
          "         [--pad none|longest|N] [--batch N] [--no-special-tokens]\n"
          "         [--overflow]\n");
  exit(2);
}

static size_t parse_size(const char *s, const char *opt) {
  char *end;
  unsigned long long v;
  if (!s || !*s || *s == '-')
    goto bad;
  v = strtoull(s, &end, 10);
  if (*end || v > (1u << 30))
    goto bad;
  return (size_t)v;
bad:
  fprintf(stderr, "bert-tokenize: error: %s needs a non-negative integer\n",
          opt);
  exit(2);
}

static void put_array(FILE *out, const char *name, const int32_t *v, size_t n) {
  size_t i;
  fprintf(out, "\"%s\": [", name);
  for (i = 0; i < n; ++i)
    fprintf(out, i ? ", %d" : "%d", v[i]);
  fputc(']', out);
}

static void put_encoding(FILE *out, const bert_encoding_t *e, int overflow) {
  size_t i;
  fputc('{', out);
  put_array(out, "input_ids", e->ids, e->length);
  fputs(", ", out);
  put_array(out, "token_type_ids", e->type_ids, e->length);
  fputs(", ", out);
  put_array(out, "attention_mask", e->attention_mask, e->length);
  fputs(", \"offsets\": [", out);
  for (i = 0; i < e->length; ++i)
    fprintf(out, i ? ", [%u, %u]" : "[%u, %u]", e->offsets[2 * i],
            e->offsets[2 * i + 1]);
  fputc(']', out);
  if (overflow) {
    fputs(", \"overflowing\": [", out);
    for (i = 0; i < e->num_overflowing; ++i) {
      if (i)
        fputs(", ", out);
      put_encoding(out, e->overflowing[i], 0);
    }
    fputc(']', out);
  }
  fputc('}', out);
}

typedef struct {
  char **texts, **pairs;
  size_t *lens, *pair_lens;
  size_t n;
} batch;

static void flush(const bert_tokenizer_t *tok, batch *b, int pairs, int special,
                  int overflow, FILE *out) {
  bert_encoding_t **encs;
  size_t i;
  int rc;
  if (!b->n)
    return;
  encs = calloc(b->n, sizeof(*encs));
  if (!encs) {
    fprintf(stderr, "bert-tokenize: error: out of memory\n");
    exit(1);
  }
  rc = bert_tokenizer_encode_batch(tok, b->n, (const char *const *)b->texts,
                                   b->lens,
                                   pairs ? (const char *const *)b->pairs : NULL,
                                   b->pair_lens, special, encs);
  for (i = 0; i < b->n; ++i) {
    if (rc)
      fprintf(out, "{\"error\": \"%s\"}\n", bert_tokenizer_status_string(rc));
    else {
      put_encoding(out, encs[i], overflow);
      fputc('\n', out);
    }
    bert_encoding_destroy(encs[i]);
    free(b->texts[i]);
  }
  free(encs);
  b->n = 0;
}

int main(int argc, char **argv) {
  const char *path = NULL, *pad = NULL, *strategy = NULL;
  int pairs = 0, special = 1, has_max = 0, has_stride = 0, overflow = 0, i;
  size_t max_len = 0, stride = 0, batch_size = 1, cap = 0, len = 0;
  char err[512], *line = NULL;
  bert_tokenizer_t *tok;
  batch b;
  int c;
  for (i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--pairs"))
      pairs = 1;
    else if (!strcmp(argv[i], "--no-special-tokens"))
      special = 0;
    else if (!strcmp(argv[i], "--overflow"))
      overflow = 1;
    else if (!strcmp(argv[i], "--max-length") && i + 1 < argc)
      max_len = parse_size(argv[++i], "--max-length"), has_max = 1;
    else if (!strcmp(argv[i], "--stride") && i + 1 < argc)
      stride = parse_size(argv[++i], "--stride"), has_stride = 1;
    else if (!strcmp(argv[i], "--strategy") && i + 1 < argc)
      strategy = argv[++i];
    else if (!strcmp(argv[i], "--pad") && i + 1 < argc)
      pad = argv[++i];
    else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
      batch_size = parse_size(argv[++i], "--batch");
    else if (argv[i][0] == '-' || path)
      usage();
    else
      path = argv[i];
  }
  if (!path || !batch_size)
    usage();
  tok = bert_tokenizer_load(path, err, sizeof(err));
  if (!tok) {
    fprintf(stderr, "bert-tokenize: error: %s\n", err);
    return 1;
  }
  if (has_max || has_stride || strategy) {
    size_t cur_max = 0, cur_stride = 0;
    bert_tok_truncation_strategy st = BERT_TOK_LONGEST_FIRST;
    bert_tok_direction dir = BERT_TOK_RIGHT;
    int had =
        bert_tokenizer_get_truncation(tok, &cur_max, &cur_stride, &st, &dir);
    if (!has_max && !had) {
      fprintf(stderr, "bert-tokenize: error: --stride/--strategy need "
                      "--max-length (the file sets no truncation)\n");
      return 2;
    }
    if (strategy) {
      if (!strcmp(strategy, "longest_first"))
        st = BERT_TOK_LONGEST_FIRST;
      else if (!strcmp(strategy, "only_first"))
        st = BERT_TOK_ONLY_FIRST;
      else if (!strcmp(strategy, "only_second"))
        st = BERT_TOK_ONLY_SECOND;
      else
        usage();
    }
    bert_tokenizer_set_truncation(tok, has_max ? max_len : cur_max,
                                  has_stride ? stride : cur_stride, st, dir);
  }
  if (pad && !strcmp(pad, "none")) {
    bert_tokenizer_disable_padding(tok);
  } else if (pad) {
    size_t fixed = strcmp(pad, "longest") ? parse_size(pad, "--pad") : 0;
    int32_t pid = bert_tokenizer_token_to_id(tok, "[PAD]", 5);
    if (pid < 0)
      pid = bert_tokenizer_token_to_id(tok, "<pad>", 5);
    bert_tokenizer_set_padding(tok, fixed, 0, pid < 0 ? 0 : pid, 0,
                               pid < 0 ? "" : "[PAD]", BERT_TOK_RIGHT);
  }
  memset(&b, 0, sizeof(b));
  b.texts = calloc(batch_size, sizeof(char *));
  b.pairs = calloc(batch_size, sizeof(char *));
  b.lens = calloc(batch_size, sizeof(size_t));
  b.pair_lens = calloc(batch_size, sizeof(size_t));
  if (!b.texts || !b.pairs || !b.lens || !b.pair_lens) {
    fprintf(stderr, "bert-tokenize: error: out of memory\n");
    return 1;
  }
  for (;;) {
    c = getchar();
    if (c != EOF && c != '\n') {
      if (len + 1 >= cap) {
        char *nl;
        cap = cap ? cap * 2 : 4096;
        nl = realloc(line, cap);
        if (!nl) {
          fprintf(stderr, "bert-tokenize: error: out of memory\n");
          return 1;
        }
        line = nl;
      }
      line[len++] = (char)c;
      continue;
    }
    if (c == EOF && len == 0)
      break;
    {
      char *text = malloc(len + 1), *tab;
      if (!text) {
        fprintf(stderr, "bert-tokenize: error: out of memory\n");
        return 1;
      }
      if (len)
        memcpy(text, line, len);
      text[len] = '\0';
      b.texts[b.n] = text;
      b.lens[b.n] = len;
      b.pairs[b.n] = text + len;
      b.pair_lens[b.n] = 0;
      if (pairs && (tab = memchr(text, '\t', len))) {
        b.lens[b.n] = (size_t)(tab - text);
        b.pairs[b.n] = tab + 1;
        b.pair_lens[b.n] = len - b.lens[b.n] - 1;
      }
      ++b.n;
      len = 0;
    }
    if (b.n == batch_size)
      flush(tok, &b, pairs, special, overflow, stdout);
    if (c == EOF)
      break;
  }
  flush(tok, &b, pairs, special, overflow, stdout);
  free(line);
  free(b.texts);
  free(b.pairs);
  free(b.lens);
  free(b.pair_lens);
  bert_tokenizer_destroy(tok);
  return fflush(stdout) ? 1 : 0;
}
