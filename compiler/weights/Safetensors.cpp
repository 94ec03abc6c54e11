//===- Safetensors.cpp - safetensors for the compiler tools ---------------===//
//
// Reading wraps bert_st_open / bert_st_find / bert_st_convert_f32; writing
// wraps bert_st_format_header. Everything about the format itself lives in
// the runtime, so this file only adapts errors and buffers to C++.
//
//===----------------------------------------------------------------------===//

#include "compiler/weights/Safetensors.h"

#include "runtime/src/safetensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>

using namespace llvm;
using namespace mlir::bert;

static Error fail(const Twine &what) {
  return createStringError(inconvertibleErrorCode(), what);
}

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// Reader
//===----------------------------------------------------------------------===//

struct SafetensorsFile::Impl {
  std::string path; // bert_st_file points at it: the Impl never moves
  bert_st_file file{};
  ~Impl() { bert_st_close(&file); }
};

SafetensorsFile::SafetensorsFile(std::unique_ptr<Impl> impl)
    : impl(std::move(impl)) {}
SafetensorsFile::SafetensorsFile(SafetensorsFile &&) noexcept = default;
SafetensorsFile &
SafetensorsFile::operator=(SafetensorsFile &&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

Expected<SafetensorsFile> SafetensorsFile::open(StringRef path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path.str();
  bert_status st;
  if (bert_st_open(impl->path.c_str(), &impl->file, &st) != BERT_OK)
    return fail(st.message); // starts with the path
  return SafetensorsFile(std::move(impl));
}

StringRef SafetensorsFile::path() const { return impl->path; }

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  const bert_st_file &f = impl->file;
  for (int i = 0; i < f.num_tensors; ++i) {
    const bert_st_tensor &t = f.tensors[f.by_name[i]];
    out.emplace_back(t.name, t.name_len);
  }
  return out;
}

std::optional<std::vector<int64_t>>
SafetensorsFile::shapeOf(StringRef name) const {
  const bert_st_tensor *t =
      bert_st_find_n(&impl->file, name.data(), name.size());
  if (!t)
    return std::nullopt;
  return std::vector<int64_t>(t->shape, t->shape + t->rank);
}

Expected<std::vector<float>>
SafetensorsFile::readFloat(StringRef name,
                           std::optional<ArrayRef<int64_t>> expected) const {
  const bert_st_tensor *t =
      bert_st_find_n(&impl->file, name.data(), name.size());
  if (!t)
    return fail(impl->path + ": missing tensor '" + name + "'");
  ArrayRef<int64_t> shape(t->shape, t->rank);
  if (expected && shape != *expected)
    return fail(impl->path + ": tensor '" + name + "' has shape " +
                shapeString(shape) + ", expected " + shapeString(*expected));
  std::vector<float> out(size_t(t->numel));
  if (bert_st_convert_f32(t, 0, t->numel, out.data()) != 0)
    return fail(impl->path + ": tensor '" + name + "' has dtype " +
                bert_st_dtype_name(t->dtype) + "; expected F32, F16 or BF16");
  return out;
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

/// Writes the values of `t` little-endian, a chunk at a time.
static void writeData(raw_ostream &os, const NamedTensor &t, uint64_t numel) {
  constexpr uint64_t kChunk = 1 << 16;
  std::vector<float> chunk(std::min<uint64_t>(numel, kChunk));
  std::vector<char> bytes(chunk.size() * 4);
  for (uint64_t at = 0; at < numel; at += kChunk) {
    size_t n = size_t(std::min<uint64_t>(kChunk, numel - at));
    MutableArrayRef<float> part(chunk.data(), n);
    if (t.produce)
      t.produce(part);
    else
      std::copy_n(t.data.begin() + at, n, part.begin());
    for (size_t i = 0; i < n; ++i) {
      uint32_t bits;
      std::memcpy(&bits, &part[i], 4);
      support::endian::write32le(&bytes[4 * i], bits);
    }
    os.write(bytes.data(), 4 * n);
  }
}

Error mlir::bert::writeSafetensors(
    StringRef path, ArrayRef<NamedTensor> tensors,
    const std::map<std::string, std::string> &metadata) {
  std::vector<const NamedTensor *> sorted;
  for (const NamedTensor &t : tensors)
    sorted.push_back(&t);
  llvm::sort(sorted, [](const NamedTensor *a, const NamedTensor *b) {
    return a->name < b->name;
  });
  std::vector<bert_st_entry> entries;
  std::vector<uint64_t> numels;
  for (const NamedTensor *t : sorted) {
    uint64_t numel = 1;
    for (int64_t d : t->shape)
      numel = d > 0 && numel > UINT64_MAX / uint64_t(d) ? UINT64_MAX
                                                        : numel * uint64_t(d);
    if (!t->produce && numel != t->data.size())
      return fail("tensor '" + t->name + "' has " + Twine(t->data.size()) +
                  " values but shape " + shapeString(t->shape) + " holds " +
                  Twine(numel));
    entries.push_back({t->name.data(), t->name.size(), BERT_ST_F32,
                       int(t->shape.size()), t->shape.data()});
    numels.push_back(numel);
  }
  std::vector<const char *> meta;
  for (const auto &[k, v] : metadata) {
    meta.push_back(k.c_str());
    meta.push_back(v.c_str());
  }
  char *head = nullptr, err[256];
  size_t headLen = 0;
  uint64_t dataBytes = 0;
  if (bert_st_format_header(entries.data(), int(entries.size()), meta.data(),
                            int(metadata.size()), 8, &head, &headLen,
                            &dataBytes, err, sizeof err) != 0)
    return fail(err);
  std::unique_ptr<char, decltype(&std::free)> headOwner(head, &std::free);

  // A temporary file beside the target, renamed over it at the end: a
  // model that has the old file mapped keeps its weights, and a failed
  // write leaves the old file as it was.
  SmallString<256> tmpModel(path);
  tmpModel += ".tmp-%%%%%%";
  SmallString<256> tmp;
  int fd;
  if (std::error_code ec = sys::fs::createUniqueFile(tmpModel, fd, tmp))
    return fail("cannot create a temporary file beside it: " + ec.message());
  {
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(head, headLen);
    for (auto [t, numel] : llvm::zip(sorted, numels))
      writeData(os, *t, numel);
    os.close();
    if (os.has_error()) {
      std::error_code ec = os.error();
      os.clear_error();
      sys::fs::remove(tmp);
      return fail("write failed: " + ec.message());
    }
  }
  if (std::error_code ec = sys::fs::rename(tmp, path)) {
    sys::fs::remove(tmp);
    return fail("cannot replace the file: " + ec.message());
  }
  return Error::success();
}
