/*===- regex.c - The regex matcher of Split, Replace and ByteLevel --------===*\
|*                                                                            *|
|* tokenizers runs these patterns through Oniguruma, a backtracking engine,   *|
|* so this is one too: the same leftmost, first-alternative-wins semantics    *|
|* give the same matches. Patterns compile to a little program (CHAR, CLASS,  *|
|* SPLIT, JMP, LOOK, MATCH with relative jumps, so a fragment can be copied   *|
|* for counted repetition) run by a VM with an explicit backtrack stack and   *|
|* a step budget, so no text can make it recurse deeply or run without end.   *|
|* Anything outside the supported syntax is refused at compile time with a    *|
|* message naming it, which becomes a load error.                             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tok_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum {
  OP_CHAR,
  OP_ANY,
  OP_CLASS,
  OP_SPLIT,
  OP_JMP,
  OP_LOOK,
  OP_BOL,
  OP_EOL,
  OP_MATCH
};

typedef struct {
  int op;
  int32_t x, y; /* CHAR: code point; CLASS: index; SPLIT: two relative
                   targets (x preferred); JMP: x; LOOK: x = negate, y =
                   length of the inline sub-program that follows */
} re_inst;

enum { CI_RANGE, CI_SPACE, CI_WORD, CI_DIGIT, CI_CATS };

typedef struct {
  int type, neg;
  int32_t lo, hi; /* CI_RANGE */
  uint64_t cats;  /* CI_CATS: bit per utf8proc category */
} re_item;

typedef struct {
  re_item *items;
  size_t n;
  int neg;
} re_class;

struct tok_regex {
  re_inst *code;
  size_t n, cap;
  re_class *classes;
  size_t nclasses;
};

typedef struct {
  tok_regex *re;
  const char *p, *end, *start;
  char *err;
  size_t err_size;
  int failed;
} re_parser;

static int fail(re_parser *ps, const char *what) {
  if (!ps->failed)
    snprintf(ps->err, ps->err_size, "%s at offset %ld", what,
             (long)(ps->p - ps->start));
  ps->failed = 1;
  return -1;
}

static int emit(re_parser *ps, int op, int32_t x, int32_t y) {
  tok_regex *re = ps->re;
  re_inst *c;
  if (re->n == re->cap && re->cap * 2 > 1000000)
    return fail(ps, "pattern too large");
  c = tok_grow(NULL, re->code, re->n, &re->cap, sizeof(*c), 64);
  if (!c)
    return fail(ps, "out of memory");
  re->code = c;
  re->code[re->n].op = op;
  re->code[re->n].x = x;
  re->code[re->n].y = y;
  return (int)re->n++;
}

/* Inserts room for k instructions at position at. */
static int insert_at(re_parser *ps, size_t at, size_t k) {
  size_t i;
  for (i = 0; i < k; ++i)
    if (emit(ps, OP_MATCH, 0, 0) < 0)
      return -1;
  memmove(ps->re->code + at + k, ps->re->code + at,
          (ps->re->n - k - at) * sizeof(re_inst));
  return 0;
}

/* Appends a copy of code[from, to). */
static int copy_frag(re_parser *ps, size_t from, size_t to) {
  size_t i;
  for (i = from; i < to; ++i) {
    re_inst in = ps->re->code[i];
    if (emit(ps, in.op, in.x, in.y) < 0)
      return -1;
  }
  return 0;
}

static const char *cat_names[] = {
    "Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd",
    "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm",
    "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"};

/* \p{Name}: a general category or a one-letter major class. */
static int parse_prop(re_parser *ps, uint64_t *cats) {
  char name[32];
  size_t n = 0, i;
  if (ps->p < ps->end && *ps->p == '{') {
    ++ps->p;
    while (ps->p < ps->end && *ps->p != '}' && n < sizeof(name) - 1)
      name[n++] = *ps->p++;
    if (ps->p >= ps->end || *ps->p != '}')
      return fail(ps, "unterminated \\p{...}");
    ++ps->p;
  } else if (ps->p < ps->end) {
    name[n++] = *ps->p++;
  }
  name[n] = '\0';
  *cats = 0;
  for (i = 0; i < sizeof(cat_names) / sizeof(*cat_names); ++i)
    if ((n == 1 && cat_names[i][0] == name[0]) || !strcmp(cat_names[i], name))
      *cats |= (uint64_t)1 << i;
  if (n == 1 && name[0] == 'C')
    *cats |= 1; /* Cn */
  if (!*cats) {
    snprintf(ps->err, ps->err_size,
             "unsupported property \\p{%s} (only general categories)", name);
    ps->failed = 1;
    return -1;
  }
  return 0;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Parses an escape after '\'. Returns 1 with *item set for a class escape,
 * 0 with *cp set for a single character, -1 on error. */
static int parse_escape(re_parser *ps, re_item *item, int32_t *cp) {
  static const char classes[] = "swdpSWDP", controls[] = "tnrfv";
  const char *k;
  char c;
  if (ps->p >= ps->end)
    return fail(ps, "trailing backslash");
  c = *ps->p++;
  memset(item, 0, sizeof(*item));
  /* Class escapes, in the order of CI_SPACE..CI_CATS (upper case negates),
   * and the control characters. */
  if (c && (k = strchr(classes, c))) {
    item->type = CI_SPACE + (int)((k - classes) % 4);
    item->neg = k - classes >= 4;
    if (item->type == CI_CATS)
      return parse_prop(ps, &item->cats) ? -1 : 1;
    return 1;
  }
  if (c && (k = strchr(controls, c))) {
    *cp = "\t\n\r\f\v"[k - controls];
    return 0;
  }
  switch (c) {
  case 'x':
  case 'u': {
    int32_t v = 0;
    int digits = 0, braced = ps->p < ps->end && *ps->p == '{';
    int want = c == 'x' ? 2 : 4;
    if (braced)
      ++ps->p;
    while (ps->p < ps->end && hexval(*ps->p) >= 0 && digits < 6 &&
           (braced || digits < want)) {
      v = v * 16 + hexval(*ps->p++);
      ++digits;
    }
    if (braced) {
      if (ps->p >= ps->end || *ps->p != '}')
        return fail(ps, "bad \\x{...} escape");
      ++ps->p;
    }
    if (!digits || v > 0x10FFFF)
      return fail(ps, "bad hex escape");
    *cp = v;
    return 0;
  }
  default:
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9')) {
      char msg[64];
      snprintf(msg, sizeof(msg), "unsupported escape \\%c", c);
      return fail(ps, msg);
    }
    *cp = (unsigned char)c; /* escaped punctuation */
    if ((unsigned char)c >= 0x80) {
      ps->p--;
      ps->p += tok_utf8_next(ps->p, cp);
    }
    return 0;
  }
}

static int add_item(re_class *cl, const re_item *it) {
  re_item *v = realloc(cl->items, (cl->n + 1) * sizeof(*v));
  if (!v)
    return -1;
  cl->items = v;
  cl->items[cl->n++] = *it;
  return 0;
}

static int new_class(re_parser *ps) {
  re_class *v = realloc(ps->re->classes, (ps->re->nclasses + 1) * sizeof(*v));
  if (!v)
    return fail(ps, "out of memory");
  ps->re->classes = v;
  memset(&v[ps->re->nclasses], 0, sizeof(*v));
  return (int)ps->re->nclasses++;
}

static int parse_bracket(re_parser *ps) {
  int idx = new_class(ps);
  re_class *cl;
  if (idx < 0)
    return -1;
  cl = &ps->re->classes[idx];
  if (ps->p < ps->end && *ps->p == '^') {
    cl->neg = 1;
    ++ps->p;
  }
  for (int first = 1;; first = 0) {
    re_item it;
    int32_t lo;
    int k;
    if (ps->p >= ps->end)
      return fail(ps, "unterminated [...]");
    if (*ps->p == ']' && !first) {
      ++ps->p;
      break;
    }
    if (*ps->p == '[')
      return fail(ps, "unsupported nested class or POSIX class");
    if (*ps->p == '&' && ps->p + 1 < ps->end && ps->p[1] == '&')
      return fail(ps, "unsupported class intersection &&");
    if (*ps->p == '\\') {
      ++ps->p;
      k = parse_escape(ps, &it, &lo);
      if (k < 0)
        return -1;
      if (k == 1) {
        if (add_item(cl, &it))
          return fail(ps, "out of memory");
        continue;
      }
    } else {
      ps->p += tok_utf8_next(ps->p, &lo);
    }
    memset(&it, 0, sizeof(it));
    it.type = CI_RANGE;
    it.lo = it.hi = lo;
    if (ps->p + 1 < ps->end && *ps->p == '-' && ps->p[1] != ']') {
      int32_t hi;
      ++ps->p;
      if (*ps->p == '\\') {
        re_item dummy;
        ++ps->p;
        if (parse_escape(ps, &dummy, &hi) != 0)
          return fail(ps, "bad range end in [...]");
      } else {
        ps->p += tok_utf8_next(ps->p, &hi);
      }
      if (hi < lo)
        return fail(ps, "reversed range in [...]");
      it.hi = hi;
    }
    if (add_item(cl, &it))
      return fail(ps, "out of memory");
  }
  return emit(ps, OP_CLASS, idx, 0);
}

static int parse_alt(re_parser *ps);

static int parse_atom(re_parser *ps) {
  char c = *ps->p;
  if (c == '(') {
    ++ps->p;
    if (ps->p < ps->end && *ps->p == '?') {
      char k = ps->p + 1 < ps->end ? ps->p[1] : 0;
      if (k == ':') {
        ps->p += 2;
      } else if (k == '=' || k == '!') {
        size_t at;
        ps->p += 2;
        at = ps->re->n;
        if (emit(ps, OP_LOOK, k == '!', 0) < 0 || parse_alt(ps) ||
            emit(ps, OP_MATCH, 0, 0) < 0)
          return -1;
        ps->re->code[at].y = (int32_t)(ps->re->n - at - 1);
        goto close;
      } else {
        return fail(ps, "unsupported group syntax (?...)");
      }
    }
    if (parse_alt(ps))
      return -1;
  close:
    if (ps->p >= ps->end || *ps->p != ')')
      return fail(ps, "missing )");
    ++ps->p;
    return 0;
  }
  if (c == '[') {
    ++ps->p;
    return parse_bracket(ps) < 0 ? -1 : 0;
  }
  if (c == '.') {
    ++ps->p;
    return emit(ps, OP_ANY, 0, 0) < 0 ? -1 : 0;
  }
  if (c == '^' || c == '$') {
    ++ps->p;
    return emit(ps, c == '^' ? OP_BOL : OP_EOL, 0, 0) < 0 ? -1 : 0;
  }
  if (c == '\\') {
    re_item it;
    int32_t cp;
    int k;
    ++ps->p;
    k = parse_escape(ps, &it, &cp);
    if (k < 0)
      return -1;
    if (k == 1) {
      int idx = new_class(ps);
      if (idx < 0 || add_item(&ps->re->classes[idx], &it))
        return fail(ps, "out of memory");
      return emit(ps, OP_CLASS, idx, 0) < 0 ? -1 : 0;
    }
    return emit(ps, OP_CHAR, cp, 0) < 0 ? -1 : 0;
  }
  if (c == '*' || c == '+' || c == '?' || c == '{')
    return fail(ps, "quantifier without operand");
  {
    int32_t cp;
    ps->p += tok_utf8_next(ps->p, &cp);
    return emit(ps, OP_CHAR, cp, 0) < 0 ? -1 : 0;
  }
}

static int parse_count(re_parser *ps, long *v) {
  long n = 0;
  int any = 0;
  while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
    n = n * 10 + (*ps->p++ - '0');
    any = 1;
    if (n > 1000)
      return fail(ps, "repetition count above 1000");
  }
  *v = n;
  return any ? 0 : -1;
}

/* Wraps code[start, n) as x* / x+ (loop: a jump back closes it) or x? (greedy
 * unless lazy). */
static int wrap_split(re_parser *ps, size_t start, int lazy, int loop) {
  int32_t len = (int32_t)(ps->re->n - start), skip = len + 1 + loop;
  if (insert_at(ps, start, 1))
    return -1;
  ps->re->code[start].op = OP_SPLIT;
  ps->re->code[start].x = lazy ? skip : 1;
  ps->re->code[start].y = lazy ? 1 : skip;
  return loop && emit(ps, OP_JMP, -(len + 1), 0) < 0 ? -1 : 0;
}

static int parse_repeat(re_parser *ps) {
  for (;;) {
    size_t start = ps->re->n;
    long lo = 0, hi = 0;
    int lazy;
    if (parse_atom(ps))
      return -1;
    while (ps->p < ps->end &&
           (*ps->p == '*' || *ps->p == '+' || *ps->p == '?' || *ps->p == '{')) {
      char q = *ps->p++;
      size_t len = ps->re->n - start;
      if (q == '{') {
        if (parse_count(ps, &lo))
          return fail(ps, "bad {n,m}");
        hi = lo;
        if (ps->p < ps->end && *ps->p == ',') {
          ++ps->p;
          if (ps->p < ps->end && *ps->p == '}')
            hi = -1;
          else if (parse_count(ps, &hi) || hi < lo)
            return fail(ps, "bad {n,m}");
        }
        if (ps->p >= ps->end || *ps->p != '}')
          return fail(ps, "bad {n,m}");
        ++ps->p;
      }
      lazy = ps->p < ps->end && *ps->p == '?';
      if (lazy)
        ++ps->p;
      if (ps->p < ps->end && *ps->p == '+')
        return fail(ps, "unsupported possessive quantifier");
      if (q == '*') {
        if (wrap_split(ps, start, lazy, 1))
          return -1;
      } else if (q == '+') {
        if (copy_frag(ps, start, start + len) ||
            wrap_split(ps, start + len, lazy, 1))
          return -1;
      } else if (q == '?') {
        if (wrap_split(ps, start, lazy, 0))
          return -1;
      } else {
        /* x{lo,hi}: lo copies, then nested optional copies (or x*). */
        long k;
        size_t frag = ps->re->n - len, tail;
        (void)tail;
        re_inst *saved = malloc(len * sizeof(re_inst) + 1);
        if (!saved)
          return fail(ps, "out of memory");
        memcpy(saved, ps->re->code + frag, len * sizeof(re_inst));
        ps->re->n = start;
        for (k = 0; k < lo; ++k)
          for (size_t i = 0; i < len; ++i)
            if (emit(ps, saved[i].op, saved[i].x, saved[i].y) < 0)
              return free(saved), -1;
        tail = ps->re->n;
        if (hi < 0) {
          for (size_t i = 0; i < len; ++i)
            if (emit(ps, saved[i].op, saved[i].x, saved[i].y) < 0)
              return free(saved), -1;
          if (wrap_split(ps, tail, lazy, 1))
            return free(saved), -1;
        } else {
          /* (x(x(x)?)?)?: each level's SPLIT skips to the very end, which
           * is the same as skipping every level nested inside it. */
          size_t first = ps->re->n, i;
          for (k = lo; k < hi; ++k) {
            if (emit(ps, OP_SPLIT, 1, 0) < 0)
              return free(saved), -1;
            for (i = 0; i < len; ++i)
              if (emit(ps, saved[i].op, saved[i].x, saved[i].y) < 0)
                return free(saved), -1;
          }
          for (i = first; i < ps->re->n; i += len + 1) {
            int32_t skip = (int32_t)(ps->re->n - i);
            ps->re->code[i].x = lazy ? skip : 1;
            ps->re->code[i].y = lazy ? 1 : skip;
          }
        }
        free(saved);
      }
    }
    if (ps->p >= ps->end || *ps->p == '|' || *ps->p == ')')
      return 0;
  }
}

static int parse_alt(re_parser *ps) {
  size_t start = ps->re->n;
  if (ps->p < ps->end && *ps->p != '|' && *ps->p != ')')
    if (parse_repeat(ps))
      return -1;
  if (ps->p < ps->end && *ps->p == '|') {
    int32_t len_a;
    size_t jmp;
    ++ps->p;
    /* SPLIT +1, +(len_a + 2); a; JMP end; b */
    len_a = (int32_t)(ps->re->n - start);
    if (insert_at(ps, start, 1))
      return -1;
    ps->re->code[start].op = OP_SPLIT;
    ps->re->code[start].x = 1;
    ps->re->code[start].y = len_a + 2;
    jmp = ps->re->n;
    if (emit(ps, OP_JMP, 0, 0) < 0 || parse_alt(ps))
      return -1;
    ps->re->code[jmp].x = (int32_t)(ps->re->n - jmp);
  }
  return 0;
}

tok_regex *tok_regex_compile(const char *pattern, size_t len, int literal,
                             char *err, size_t err_size) {
  re_parser ps;
  tok_regex *re = calloc(1, sizeof(*re));
  if (!re) {
    snprintf(err, err_size, "out of memory");
    return NULL;
  }
  memset(&ps, 0, sizeof(ps));
  ps.re = re;
  ps.p = ps.start = pattern;
  ps.end = pattern + len;
  ps.err = err;
  ps.err_size = err_size;
  if (literal) {
    while (ps.p < ps.end) {
      int32_t cp;
      ps.p += tok_utf8_next(ps.p, &cp);
      if (emit(&ps, OP_CHAR, cp, 0) < 0)
        break;
    }
  } else if (!parse_alt(&ps) && ps.p < ps.end) {
    fail(&ps, "unbalanced )");
  }
  if (!ps.failed)
    emit(&ps, OP_MATCH, 0, 0);
  if (ps.failed) {
    tok_regex_free(re);
    return NULL;
  }
  return re;
}

void tok_regex_free(tok_regex *re) {
  size_t i;
  if (!re)
    return;
  for (i = 0; i < re->nclasses; ++i)
    free(re->classes[i].items);
  free(re->classes);
  free(re->code);
  free(re);
}

/*===--- Matching
 * ----------------------------------------------------------===*/

static int item_match(const re_item *it, int32_t c) {
  int v;
  switch (it->type) {
  case CI_RANGE:
    v = c >= it->lo && c <= it->hi;
    break;
  case CI_SPACE:
    v = tok_is_whitespace(c);
    break;
  case CI_WORD:
    v = tok_is_alphanumeric_word(c);
    break;
  case CI_DIGIT:
    v = tok_is_digit(c);
    break;
  default:
    v = (int)((it->cats >> tok_regex_category(c)) & 1);
  }
  return v ^ it->neg;
}

static int class_match(const re_class *cl, int32_t c) {
  size_t i;
  for (i = 0; i < cl->n; ++i)
    if (item_match(&cl->items[i], c))
      return !cl->neg;
  return cl->neg;
}

typedef struct {
  uint32_t pc, pos;
} re_thread;

typedef struct {
  const tok_regex *re;
  const char *s;
  uint32_t n;
  re_thread *stack;
  size_t cap;
  long steps, budget;
} re_vm;

/* Runs the program from pc at pos; returns the end of the match or -1.
 * The stack above `base` belongs to this call (lookaheads nest). */
static int64_t run(re_vm *vm, uint32_t pc, uint32_t pos, size_t base) {
  size_t top = base;
  for (;;) {
    const re_inst *in;
    if (++vm->steps > vm->budget)
      return -1;
    in = &vm->re->code[pc];
    switch (in->op) {
    case OP_MATCH:
      return pos;
    case OP_CHAR:
    case OP_ANY:
    case OP_CLASS: {
      int32_t c;
      int k;
      if (pos >= vm->n)
        goto backtrack;
      k = tok_utf8_next(vm->s + pos, &c);
      if (in->op == OP_CHAR  ? c != in->x
          : in->op == OP_ANY ? c == '\n'
                             : !class_match(&vm->re->classes[in->x], c))
        goto backtrack;
      pos += (uint32_t)k;
      ++pc;
      continue;
    }
    case OP_BOL:
      if (pos != 0 && vm->s[pos - 1] != '\n')
        goto backtrack;
      ++pc;
      continue;
    case OP_EOL:
      if (pos != vm->n && vm->s[pos] != '\n')
        goto backtrack;
      ++pc;
      continue;
    case OP_JMP:
      pc = (uint32_t)((int32_t)pc + in->x);
      continue;
    case OP_SPLIT: {
      re_thread *st =
          tok_grow(NULL, vm->stack, top, &vm->cap, sizeof(*st), 256);
      if (!st)
        return -1;
      vm->stack = st;
    }
      vm->stack[top].pc = (uint32_t)((int32_t)pc + in->y);
      vm->stack[top].pos = pos;
      ++top;
      pc = (uint32_t)((int32_t)pc + in->x);
      continue;
    case OP_LOOK: {
      int64_t r = run(vm, pc + 1, pos, top);
      if (vm->steps > vm->budget)
        return -1;
      if ((r >= 0) == (in->x != 0))
        goto backtrack;
      pc += 1 + (uint32_t)in->y;
      continue;
    }
    }
  backtrack:
    if (top == base)
      return -1;
    --top;
    pc = vm->stack[top].pc;
    pos = vm->stack[top].pos;
  }
}

/* Leftmost match starting at or after from: 1 with [*ms, *me), else 0. */
static int search(re_vm *vm, uint32_t from, uint32_t *ms, uint32_t *me) {
  uint32_t p = from;
  for (;;) {
    int64_t e = run(vm, 0, p, 0);
    if (vm->steps > vm->budget)
      return 0; /* budget spent: no further matches */
    if (e >= 0) {
      *ms = p;
      *me = (uint32_t)e;
      return 1;
    }
    if (p >= vm->n)
      return 0;
    {
      int32_t c;
      p += (uint32_t)tok_utf8_next(vm->s + p, &c);
    }
  }
}

void tok_regex_find_matches(const tok_regex *re, const char *s, uint32_t n,
                            tok_pieces *out) {
  re_vm vm;
  uint32_t prev = 0, last_end = 0, ms, me;
  int have_last = 0;
  uint32_t last_match_end = 0;
  if (!n) {
    tok_pieces_push(out, 0, 0, 0);
    return;
  }
  memset(&vm, 0, sizeof(vm));
  vm.re = re;
  vm.s = s;
  vm.n = n;
  vm.budget = BERT_TOK_REGEX_STEP_LIMIT + 256L * (long)n;
  while (last_end <= n && search(&vm, last_end, &ms, &me)) {
    if (ms == me && have_last && last_match_end == me) {
      /* An empty match right after the previous match: step one char
       * (the onig crate's find_iter does the same). */
      int32_t c;
      if (last_end >= n)
        break;
      last_end += (uint32_t)tok_utf8_next(s + last_end, &c);
      continue;
    }
    last_end = me;
    last_match_end = me;
    have_last = 1;
    if (prev != ms)
      tok_pieces_push(out, prev, ms, 0);
    tok_pieces_push(out, ms, me, 1);
    prev = me;
  }
  if (prev != n)
    tok_pieces_push(out, prev, n, 0);
  free(vm.stack);
}
