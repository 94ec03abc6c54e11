//===- Safetensors.cpp - safetensors reader and writer --------------------===//
//
// Reader: the header is parsed with llvm::json and checked completely before
// any tensor is read, so a damaged file fails at open with a precise message
// instead of yielding garbage later. Writer: F32 only (the compiler's weights
// are f32), deterministic byte for byte (sorted names, fixed padding), so the
// same seed always gives the same file.
//
//===----------------------------------------------------------------------===//

#include "compiler/weights/Safetensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <set>

using namespace llvm;
using namespace mlir::bert;

/// Largest header the reference implementation accepts (100 MB); anything
/// bigger is a damaged length field, not a real header.
static constexpr uint64_t kMaxHeaderBytes = 100'000'000;

static Error fail(StringRef path, const Twine &what) {
  return createStringError(inconvertibleErrorCode(),
                           path + ": " + what);
}

/// Bytes per element of a safetensors dtype, or 0 if unknown.
static size_t dtypeSize(StringRef dtype) {
  return StringSwitch<size_t>(dtype)
      .Cases({"BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3"}, 1)
      .Cases({"I16", "U16", "F16", "BF16"}, 2)
      .Cases({"I32", "U32", "F32"}, 4)
      .Cases({"I64", "U64", "F64"}, 8)
      .Default(0);
}

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// Half-precision conversions
//===----------------------------------------------------------------------===//

float mlir::bert::halfToFloat(uint16_t h) {
  // IEEE 754 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa
  // bits. Rebuild the binary32 pattern: normal numbers rebias the exponent
  // (+112), subnormals are normalized, Inf/NaN keep an all-ones exponent.
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal: value = mant * 2^-24; shift until the implicit bit appears.
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400) == 0);
    bits = sign | uint32_t(112 - e) << 23 | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float mlir::bert::bfloat16ToFloat(uint16_t b) {
  // bfloat16 is the upper half of a binary32.
  uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

//===----------------------------------------------------------------------===//
// Reader
//===----------------------------------------------------------------------===//

Expected<SafetensorsFile> SafetensorsFile::open(StringRef path) {
  auto bufferOr = MemoryBuffer::getFile(path, /*IsText=*/false,
                                        /*RequiresNullTerminator=*/false);
  if (!bufferOr)
    return fail(path, "cannot open: " + bufferOr.getError().message());
  SafetensorsFile file;
  file.filePath = path.str();
  file.buffer = std::move(*bufferOr);
  StringRef bytes = file.buffer->getBuffer();

  if (bytes.size() < 8)
    return fail(path, "truncated: " + Twine(bytes.size()) +
                          " bytes, shorter than the 8-byte header length");
  uint64_t headerLen =
      support::endian::read64le(reinterpret_cast<const void *>(bytes.data()));
  if (headerLen > kMaxHeaderBytes || headerLen > bytes.size() - 8)
    return fail(path, "truncated: header length " + Twine(headerLen) +
                          " exceeds the " + Twine(bytes.size() - 8) +
                          " bytes after the length field");
  file.dataStart = 8 + headerLen;
  uint64_t dataSize = bytes.size() - file.dataStart;

  Expected<json::Value> header = json::parse(bytes.substr(8, headerLen));
  if (!header)
    return fail(path, "invalid header JSON: " + toString(header.takeError()));
  json::Object *root = header->getAsObject();
  if (!root)
    return fail(path, "header is not a JSON object");

  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto &kv : *root) {
    StringRef name = kv.first;
    if (name == "__metadata__") {
      json::Object *m = kv.second.getAsObject();
      if (!m)
        return fail(path, "__metadata__ is not an object");
      for (auto &mkv : *m) {
        std::optional<StringRef> v = mkv.second.getAsString();
        if (!v)
          return fail(path, "__metadata__ value of '" + mkv.first.str() +
                                "' is not a string");
        file.meta[mkv.first.str()] = v->str();
      }
      continue;
    }
    auto bad = [&](const Twine &what) {
      return fail(path, "tensor '" + name + "': " + what);
    };
    json::Object *t = kv.second.getAsObject();
    if (!t)
      return bad("entry is not an object");
    SafetensorsEntry e;
    std::optional<StringRef> dtype = t->getString("dtype");
    if (!dtype)
      return bad("missing dtype");
    e.dtype = dtype->str();
    size_t elemSize = dtypeSize(*dtype);
    if (!elemSize)
      return bad("unknown dtype '" + *dtype + "'");
    json::Array *shape = t->getArray("shape");
    if (!shape)
      return bad("missing shape");
    uint64_t numel = 1;
    for (const json::Value &d : *shape) {
      std::optional<int64_t> v = d.getAsInteger();
      if (!v || *v < 0)
        return bad("shape entries must be non-negative integers");
      e.shape.push_back(*v);
      if (*v && numel > UINT64_MAX / uint64_t(*v))
        return bad("shape overflows");
      numel *= uint64_t(*v);
    }
    json::Array *offsets = t->getArray("data_offsets");
    std::optional<int64_t> begin, end;
    if (offsets && offsets->size() == 2) {
      begin = (*offsets)[0].getAsInteger();
      end = (*offsets)[1].getAsInteger();
    }
    if (!begin || !end || *begin < 0 || *end < *begin)
      return bad("data_offsets must be [begin, end] with 0 <= begin <= end");
    e.begin = *begin;
    e.end = *end;
    if (e.end > dataSize)
      return bad("truncated: data ends at byte " + Twine(e.end) +
                 " but the file has only " + Twine(dataSize) +
                 " data bytes");
    if (e.end - e.begin != numel * elemSize)
      return bad("data_offsets span " + Twine(e.end - e.begin) +
                 " bytes but shape " + shapeString(e.shape) + " of " +
                 *dtype + " needs " + Twine(numel * elemSize));
    ranges.push_back({e.begin, e.end});
    file.entries[name] = std::move(e);
  }

  // The reference implementation rejects holes and overlaps: the tensors,
  // sorted by offset, must tile the data section exactly.
  llvm::sort(ranges);
  uint64_t next = 0;
  for (auto [b, e] : ranges) {
    if (b != next)
      return fail(path, "tensor data is not contiguous (gap or overlap at "
                        "byte " + Twine(b) + ")");
    next = e;
  }
  if (next != dataSize)
    return fail(path, Twine(dataSize - next) +
                          " trailing bytes after the last tensor");
  return std::move(file);
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  for (const auto &kv : entries)
    out.push_back(kv.first().str());
  llvm::sort(out);
  return out;
}

const SafetensorsEntry *SafetensorsFile::find(StringRef name) const {
  auto it = entries.find(name);
  return it == entries.end() ? nullptr : &it->second;
}

Expected<std::vector<float>>
SafetensorsFile::readFloat(StringRef name,
                           std::optional<ArrayRef<int64_t>> expected) const {
  const SafetensorsEntry *e = find(name);
  if (!e)
    return fail(filePath, "missing tensor '" + name + "'");
  if (expected && ArrayRef<int64_t>(e->shape) != *expected)
    return fail(filePath, "tensor '" + name + "' has shape " +
                              shapeString(e->shape) + ", expected " +
                              shapeString(*expected));
  const char *p = buffer->getBufferStart() + dataStart + e->begin;
  size_t bytes = e->end - e->begin;
  std::vector<float> out;
  if (e->dtype == "F32") {
    out.resize(bytes / 4);
    for (size_t i = 0; i < out.size(); ++i) {
      uint32_t bits = support::endian::read32le(p + 4 * i);
      std::memcpy(&out[i], &bits, 4);
    }
  } else if (e->dtype == "F16" || e->dtype == "BF16") {
    bool half = e->dtype == "F16";
    out.resize(bytes / 2);
    for (size_t i = 0; i < out.size(); ++i) {
      uint16_t bits = support::endian::read16le(p + 2 * i);
      out[i] = half ? halfToFloat(bits) : bfloat16ToFloat(bits);
    }
  } else {
    return fail(filePath, "tensor '" + name + "' has dtype " + e->dtype +
                              "; expected F32, F16 or BF16");
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

Error mlir::bert::writeSafetensors(
    StringRef path, ArrayRef<NamedTensor> tensors,
    const std::map<std::string, std::string> &metadata) {
  std::vector<const NamedTensor *> sorted;
  for (const NamedTensor &t : tensors)
    sorted.push_back(&t);
  llvm::sort(sorted, [](const NamedTensor *a, const NamedTensor *b) {
    return a->name < b->name;
  });
  for (size_t i = 0; i < sorted.size(); ++i) {
    const NamedTensor &t = *sorted[i];
    if (i && sorted[i - 1]->name == t.name)
      return fail(path, "duplicate tensor '" + t.name + "'");
    if (t.name == "__metadata__")
      return fail(path, "'__metadata__' is not a valid tensor name");
    uint64_t numel = 1;
    for (int64_t d : t.shape)
      numel *= uint64_t(d);
    if (numel != t.data.size())
      return fail(path, "tensor '" + t.name + "' has " +
                            Twine(t.data.size()) + " values but shape " +
                            shapeString(t.shape) + " holds " + Twine(numel));
  }

  std::string header;
  raw_string_ostream hos(header);
  json::OStream j(hos);
  j.object([&] {
    if (!metadata.empty())
      j.attributeObject("__metadata__", [&] {
        for (const auto &[k, v] : metadata)
          j.attribute(k, v);
      });
    uint64_t offset = 0;
    for (const NamedTensor *t : sorted) {
      uint64_t end = offset + 4 * uint64_t(t->data.size());
      j.attributeObject(t->name, [&] {
        j.attribute("dtype", "F32");
        j.attributeArray("shape", [&] {
          for (int64_t d : t->shape)
            j.value(d);
        });
        j.attributeArray("data_offsets", [&] {
          j.value(int64_t(offset));
          j.value(int64_t(end));
        });
      });
      offset = end;
    }
  });
  hos.flush();
  // Pad with spaces so the data starts 8-byte aligned (8 + N is a multiple
  // of 8), exactly like the reference serializer.
  header.append((8 - header.size() % 8) % 8, ' ');

  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec)
    return fail(path, "cannot write: " + ec.message());
  char len[8];
  support::endian::write64le(len, header.size());
  os.write(len, 8);
  os << header;
  for (const NamedTensor *t : sorted)
    for (float f : t->data) {
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      char le[4];
      support::endian::write32le(le, bits);
      os.write(le, 4);
    }
  os.close();
  if (os.has_error())
    return fail(path, "write failed: " + os.error().message());
  return Error::success();
}
