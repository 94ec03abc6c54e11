//===- ReadFile.h - Reading a user-named input file -------------*- C++ -*-===//
//
// The compiler tools' side of runtime/src/file.h: a file named on the
// command line is opened without blocking, must be a regular file (a FIFO,
// a directory or /dev/zero is refused at once) and no larger than a cap
// the caller states, then read whole into a MemoryBuffer.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_SUPPORT_READFILE_H
#define BERT_SUPPORT_READFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>

namespace bert {

/// Reads the regular file `path` of at most `maxBytes` bytes. The buffer is
/// NUL-terminated and named after `path`. The error's message does not
/// start with the path ("is a FIFO, not a regular file"): callers name it.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readInputFile(llvm::StringRef path, uint64_t maxBytes);

} // namespace bert

#endif // BERT_SUPPORT_READFILE_H
