//===- JsonDepth.h - Refusing deeply nested JSON before parsing -*- C++ -*-===//
//
// llvm::json::parse recurses once per nesting level, so a file of 100k '['
// overflows the stack (issue 19: SIGSEGV in bertc and bert-eval). Call this
// on the text first: it walks the bytes once without recursion, skipping
// string contents (and their escapes), and reports where the nesting first
// exceeds the limit. Real configs and caches nest 2-4 levels; the runtime's
// own JSON reader stops at 64 too.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_SUPPORT_JSONDEPTH_H
#define BERT_SUPPORT_JSONDEPTH_H

#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <optional>

namespace bert {

/// Deepest nesting of arrays and objects the compiler tools accept.
inline constexpr unsigned kMaxJsonDepth = 64;

/// The byte offset of the bracket that opens nesting level `limit` + 1 in
/// `text`, or nullopt when the text never nests deeper than `limit`. Only
/// depth is judged: malformed text is left to the parser.
inline std::optional<size_t> findJsonTooDeep(llvm::StringRef text,
                                             unsigned limit = kMaxJsonDepth) {
  unsigned depth = 0;
  bool inString = false;
  for (size_t i = 0, n = text.size(); i < n; ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i; // the escaped byte cannot end the string
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit)
        return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

} // namespace bert

#endif // BERT_SUPPORT_JSONDEPTH_H
