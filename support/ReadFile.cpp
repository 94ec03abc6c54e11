//===- ReadFile.cpp - Reading a user-named input file ---------------------===//
//
// A thin adapter over bert_file_read (runtime/src/file.c), so the compiler
// tools and the runtime check their inputs the same way.
//
//===----------------------------------------------------------------------===//

#include "support/ReadFile.h"

#include "runtime/src/file.h"

#include <cstdlib>

using namespace llvm;

Expected<std::unique_ptr<MemoryBuffer>> bert::readInputFile(StringRef pathRef,
                                                            uint64_t maxBytes) {
  std::string path = pathRef.str();
  char *data = nullptr, err[256];
  size_t size = 0;
  if (bert_file_read(path.c_str(), maxBytes, &data, &size, err, sizeof err))
    return createStringError(inconvertibleErrorCode(), err);
  std::unique_ptr<MemoryBuffer> buffer =
      MemoryBuffer::getMemBufferCopy(StringRef(data, size), pathRef);
  std::free(data);
  return std::move(buffer);
}
