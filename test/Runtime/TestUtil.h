//===- TestUtil.h - Writing safetensors files for runtime tests -----------===//
//
// The runtime tests must not need Python, so they write safetensors files
// themselves, through the runtime's own writer. Options control the layout
// the loader cares about (alignment of the data, extra tensors); rawFile()
// writes arbitrary bytes and editHeader() changes a written header for the
// malformed-file cases.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_TEST_RUNTIME_TESTUTIL_H
#define BERT_TEST_RUNTIME_TESTUTIL_H

#include "FakeModel.h"
#include "bert_runtime.h"
#include "runtime/src/safetensors.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <ftw.h>
#include <unistd.h>

namespace berttest {

struct Tensor {
  std::string name;
  std::string dtype; // "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

inline Tensor f32(const std::string &name, std::vector<int64_t> shape,
                  const std::vector<float> &v) {
  Tensor t{name, "F32", std::move(shape), {}};
  t.bytes.resize(v.size() * 4);
  std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}

inline Tensor u16(const std::string &name, const std::string &dtype,
                  std::vector<int64_t> shape, const std::vector<uint16_t> &v) {
  Tensor t{name, dtype, std::move(shape), {}};
  t.bytes.resize(v.size() * 2);
  std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}

inline int64_t numel(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

// Deterministic weight values, exact in float32 (multiples of 1/8).
inline std::vector<float> values(int64_t n, float base) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = base + 0.125f * static_cast<float>(i % 17) - 1.0f;
  return v;
}

// The tensors the fake model needs, all F32.
inline std::vector<Tensor> fakeTensors() {
  return {
      f32("embeddings.word_embeddings.weight", {FAKE_VOCAB, FAKE_HIDDEN},
          values(FAKE_VOCAB * FAKE_HIDDEN, 0.5f)),
      f32("embeddings.token_type_embeddings.weight",
          {FAKE_TYPE_VOCAB, FAKE_HIDDEN},
          values(FAKE_TYPE_VOCAB * FAKE_HIDDEN, 2.0f)),
      f32("encoder.layer.0.attention.self.query.weight", {4, 4},
          values(16, 0.25f)),
      f32("encoder.layer.0.attention.self.key.weight", {4, 4},
          values(16, -0.75f)),
      f32("encoder.layer.0.attention.self.value.weight", {4, 4},
          values(16, 1.5f)),
      f32("pooler.dense.bias", {FAKE_HIDDEN}, values(FAKE_HIDDEN, 3.0f)),
  };
}

inline Tensor *find(std::vector<Tensor> &ts, const std::string &name) {
  for (Tensor &t : ts)
    if (t.name == name)
      return &t;
  return nullptr;
}

struct Layout {
  // Offset of every tensor from the data start is a multiple of this, and
  // the data region starts 64-byte aligned in the file. The format allows
  // no gaps, so the bytes between tensors are filler tensors ("__pad.N",
  // U8), which the loader ignores like any tensor it does not need.
  size_t align = 64;
  // Extra bytes before every tensor (4 breaks 64-byte alignment).
  size_t skew = 0;
  std::vector<std::pair<std::string, std::string>> metadata = {
      {"format", "pt"}};
};

inline void writeBytes(const std::string &path, const std::string &bytes) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    std::abort();
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

inline std::string readBytes(const std::string &path) {
  std::string all;
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    std::abort();
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    all.append(buf, n);
  std::fclose(f);
  return all;
}

// A file made of an 8-byte length `len`, the header text and data bytes.
inline void rawFile(const std::string &path, uint64_t len,
                    const std::string &header, const std::string &data = "") {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((len >> (8 * i)) & 0xFF);
  writeBytes(path, out + header + data);
}

// Writes `ts` through the runtime's safetensors writer (the one bertc
// uses), with filler tensors for the layout's alignment.
inline void writeSafetensors(const std::string &path,
                             const std::vector<Tensor> &ts,
                             const Layout &layout = Layout()) {
  std::vector<Tensor> all;
  size_t offset = 0;
  for (const Tensor &t : ts) {
    size_t begin =
        (offset + layout.align - 1) / layout.align * layout.align + layout.skew;
    if (begin > offset) {
      std::string name = "__pad." + std::to_string(all.size());
      all.push_back(Tensor{name,
                           "U8",
                           {int64_t(begin - offset)},
                           std::vector<uint8_t>(begin - offset)});
    }
    all.push_back(t);
    offset = begin + t.bytes.size();
  }
  std::vector<bert_st_entry> entries;
  for (const Tensor &t : all) {
    bert_st_entry e{t.name.data(), t.name.size(), BERT_ST_F32,
                    static_cast<int>(t.shape.size()), t.shape.data()};
    if (bert_st_dtype_from_name(t.dtype.c_str(), &e.dtype) != 0) {
      ADD_FAILURE() << t.name << ": unknown dtype " << t.dtype
                    << " (write a known one, then editHeader)";
      return;
    }
    entries.push_back(e);
  }
  std::vector<const char *> meta;
  for (const auto &kv : layout.metadata) {
    meta.push_back(kv.first.c_str());
    meta.push_back(kv.second.c_str());
  }
  char *head = nullptr, err[256];
  size_t headLen = 0;
  uint64_t dataBytes = 0;
  if (bert_st_format_header(entries.data(), static_cast<int>(entries.size()),
                            meta.data(),
                            static_cast<int>(layout.metadata.size()), 64, &head,
                            &headLen, &dataBytes, err, sizeof err) != 0) {
    ADD_FAILURE() << path << ": " << err;
    return;
  }
  std::string out(head, headLen);
  std::free(head);
  for (const Tensor &t : all)
    out.append(reinterpret_cast<const char *>(t.bytes.data()), t.bytes.size());
  writeBytes(path, out);
}

// Replaces the first `from` in the JSON header of the safetensors file at
// `path` by `to` (same data, header length updated), for headers the
// writer would never produce: raw escapes, overlapping offsets, odd names.
inline void editHeader(const std::string &path, const std::string &from,
                       const std::string &to) {
  std::string all = readBytes(path);
  uint64_t len = 0;
  for (int i = 7; i >= 0; --i)
    len = (len << 8) | static_cast<unsigned char>(all[i]);
  std::string header = all.substr(8, len), data = all.substr(8 + len);
  size_t at = header.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << path << ": header lacks '" << from << "'";
    return;
  }
  header.replace(at, from.size(), to);
  rawFile(path, header.size(), header, data);
}

inline int removeEntry(const char *p, const struct stat *, int, struct FTW *) {
  return std::remove(p);
}

// The per-process temporary directory, removed with its files at exit.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/bert-runtime-test-XXXXXX";
    if (!mkdtemp(tmpl))
      std::abort();
    path = tmpl;
  }
  ~TempDir() { nftw(path.c_str(), removeEntry, 16, FTW_DEPTH | FTW_PHYS); }
};

// A fresh path under the temporary directory.
inline std::string tempPath(const std::string &name) {
  static TempDir dir;
  return dir.path + "/" + name;
}

/// A fixture with the fake model loaded from fakeTensors() written to
/// `file` (a name in the tests' temporary directory), freed after the test.
class LoadedFakeModel : public ::testing::Test {
protected:
  explicit LoadedFakeModel(std::string file) : file(std::move(file)) {}
  void SetUp() override {
    path = tempPath(file);
    writeSafetensors(path, fakeTensors());
    m = bert_model_load(path.c_str(), &st);
    ASSERT_NE(m, nullptr) << st.message;
  }
  void TearDown() override { bert_model_free(m); }

  std::string file, path;
  bert_status st;
  bert_model_t *m = nullptr;
};

} // namespace berttest

#endif // BERT_TEST_RUNTIME_TESTUTIL_H
