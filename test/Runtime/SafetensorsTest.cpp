//===- SafetensorsTest.cpp - The safetensors reader and writer ------------===//
//
// What issue 19 found the reader accepting or paying too much for: tensors
// that overlap, leave gaps or trailing bytes; names that differ only after
// a \u0000; duplicate checks that were quadratic; a header over the size cap
// reported as running past the file. And the writer that every tool and
// test shares: what it writes, the reader takes back unchanged.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "runtime/src/safetensors.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

using namespace berttest;

namespace {

struct Opened {
  bert_st_file f{};
  bert_status st{};
  bert_status_code code;
  explicit Opened(const std::string &path)
      : code(bert_st_open(path.c_str(), &f, &st)) {}
  ~Opened() { bert_st_close(&f); }
};

void expectRefused(const std::string &path, const std::string &needle) {
  Opened o(path);
  EXPECT_EQ(o.code, BERT_ERR_BAD_FORMAT) << o.st.message;
  std::string msg = o.st.message;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find(needle), std::string::npos)
      << "message '" << msg << "' lacks '" << needle << "'";
}

std::string entry(const std::string &name, int64_t begin, int64_t end) {
  return "\"" + name + "\":{\"dtype\":\"U8\",\"shape\":[" +
         std::to_string(end - begin) + "],\"data_offsets\":[" +
         std::to_string(begin) + "," + std::to_string(end) + "]}";
}

TEST(Safetensors, TensorsMustTileTheData) {
  std::string p = tempPath("tiling.safetensors");
  std::string h = "{" + entry("a", 0, 4) + "," + entry("b", 2, 6) + "}";
  rawFile(p, h.size(), h, "abcdef");
  expectRefused(p, "tensor 'b': data_offsets begin at byte 2, but the "
                   "tensors before it end at byte 4 (overlap)");
  h = "{" + entry("a", 0, 2) + "," + entry("b", 4, 6) + "}";
  rawFile(p, h.size(), h, "abcdef");
  expectRefused(p, "tensor 'b': data_offsets begin at byte 4, but the "
                   "tensors before it end at byte 2 (gap)");
  h = "{" + entry("a", 0, 2) + "," + entry("b", 2, 4) + "}";
  rawFile(p, h.size(), h, "abcdef");
  expectRefused(p, "2 trailing bytes after the last tensor");
  // The same tensors in any header order, exactly covering the data: fine.
  h = "{" + entry("b", 2, 6) + "," + entry("a", 0, 2) + "}";
  rawFile(p, h.size(), h, "abcdef");
  Opened o(p);
  EXPECT_EQ(o.code, BERT_OK) << o.st.message;
}

TEST(Safetensors, NamesAreWholeByteStrings) {
  // "a\u0000x" decodes to 3 bytes; it is neither "a" nor a duplicate of it.
  std::string p = tempPath("nul.safetensors");
  std::string h = "{" + entry("a\\u0000x", 0, 2) + "," + entry("a", 2, 3) + "}";
  rawFile(p, h.size(), h, "abc");
  Opened o(p);
  ASSERT_EQ(o.code, BERT_OK) << o.st.message;
  const bert_st_tensor *a = bert_st_find(&o.f, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->nbytes, 1u);
  EXPECT_EQ(a->data[0], 'c');
  const bert_st_tensor *ax = bert_st_find_n(&o.f, "a\0x", 3);
  ASSERT_NE(ax, nullptr);
  EXPECT_EQ(ax->nbytes, 2u);
  EXPECT_EQ(bert_st_find_n(&o.f, "a\0", 2), nullptr);
  // Equal bytes, written two ways, are one name twice.
  h = "{" + entry("a\\u0000x", 0, 2) + "," + entry("a\\u0000\\u0078", 2, 3) +
      "}";
  rawFile(p, h.size(), h, "abc");
  expectRefused(p, "appears twice in the header");
}

TEST(Safetensors, HeaderOverTheCapInsideTheFile) {
  // A sparse file: 100 MB + 16 bytes of zeros after a length of 100 MB + 1.
  std::string p = tempPath("bigheader.safetensors");
  uint64_t len = uint64_t(BERT_MAX_HEADER_BYTES) + 1;
  rawFile(p, len, "{");
  ASSERT_EQ(truncate(p.c_str(), off_t(8 + len + 8)), 0);
  expectRefused(p, "header length 100000001 exceeds the limit of 100000000 "
                   "bytes (BERT_MAX_HEADER_BYTES)");
}

TEST(Safetensors, EntryCountLimit) {
  std::string h = "{";
  for (int i = 0; i <= BERT_MAX_TENSORS + 1; ++i)
    h += "\"" + std::to_string(i) + "\":0,";
  h.back() = '}';
  std::string p = tempPath("entries.safetensors");
  rawFile(p, h.size(), h);
  expectRefused(p, "header lists 1000002 entries, more than BERT_MAX_TENSORS");
}

TEST(Safetensors, ManyEntriesStayCheap) {
  // 80k tensors: the duplicate check was quadratic (19 s for this header).
  std::vector<Tensor> ts;
  for (int i = 0; i < 80000; ++i)
    ts.push_back(Tensor{"t." + std::to_string(i), "U8", {1}, {uint8_t(i)}});
  std::string p = tempPath("many.safetensors");
  Layout packed;
  packed.align = 1;
  writeSafetensors(p, ts, packed);
  auto start = std::chrono::steady_clock::now();
  Opened o(p);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_EQ(o.code, BERT_OK) << o.st.message;
  EXPECT_EQ(o.f.num_tensors, 80000);
  EXPECT_LT(seconds, 5.0);
  const bert_st_tensor *t = bert_st_find(&o.f, "t.77777");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->data[0], uint8_t(77777));
}

TEST(Safetensors, NotARegularFile) {
  for (const char *dev : {"/dev/zero", "/dev/null", "/tmp"}) {
    Opened o(dev);
    EXPECT_EQ(o.code, BERT_ERR_IO) << dev;
    EXPECT_NE(std::string(o.st.message).find("not a regular file"),
              std::string::npos)
        << o.st.message;
  }
  // A FIFO without a writer: open must not block.
  std::string fifo = tempPath("fifo.safetensors");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Opened o(fifo);
  EXPECT_EQ(o.code, BERT_ERR_IO);
  EXPECT_NE(std::string(o.st.message).find("is a FIFO, not a regular file"),
            std::string::npos)
      << o.st.message;
}

TEST(Safetensors, WriterRoundTrip) {
  const int64_t shape[] = {2, 3};
  std::string odd = std::string("we\"ird\\name\n") + '\0' + "x";
  bert_st_entry e[] = {{"b", 1, BERT_ST_F16, 1, shape + 1},
                       {odd.data(), odd.size(), BERT_ST_F32, 2, shape},
                       {"empty", 5, BERT_ST_I64, 0, shape}};
  const char *meta[] = {"format", "pt", "k\"ey", "v"};
  char *head = nullptr, err[200];
  size_t len = 0;
  uint64_t data = 0;
  ASSERT_EQ(bert_st_format_header(e, 3, meta, 2, 8, &head, &len, &data, err,
                                  sizeof err),
            0)
      << err;
  EXPECT_EQ(len % 8, 0u);
  EXPECT_EQ(data, 3u * 2 + 6 * 4 + 8);
  std::string file(head, len);
  std::free(head);
  for (uint64_t i = 0; i < data; ++i)
    file += char(i);
  std::string p = tempPath("roundtrip.safetensors");
  writeBytes(p, file);
  Opened o(p);
  ASSERT_EQ(o.code, BERT_OK) << o.st.message;
  ASSERT_EQ(o.f.num_tensors, 3);
  const bert_st_tensor *t = bert_st_find_n(&o.f, odd.data(), odd.size());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, BERT_ST_F32);
  EXPECT_EQ(t->rank, 2);
  EXPECT_EQ(t->nbytes, 24u);
  EXPECT_EQ(t->data[0], 6); // after "b" (3 halves)
  const bert_st_tensor *scalar = bert_st_find(&o.f, "empty");
  ASSERT_NE(scalar, nullptr);
  EXPECT_EQ(scalar->rank, 0);
  EXPECT_EQ(scalar->numel, 1);
}

TEST(Safetensors, WriterRefusals) {
  const int64_t shape[] = {1};
  char *head = nullptr, err[200];
  size_t len;
  uint64_t data;
  bert_st_entry dup[] = {{"a", 1, BERT_ST_U8, 1, shape},
                         {"a", 1, BERT_ST_U8, 1, shape}};
  EXPECT_EQ(bert_st_format_header(dup, 2, nullptr, 0, 8, &head, &len, &data,
                                  err, sizeof err),
            -1);
  EXPECT_STREQ(err, "duplicate tensor 'a'");
  bert_st_entry meta[] = {{"__metadata__", 12, BERT_ST_U8, 1, shape}};
  EXPECT_EQ(bert_st_format_header(meta, 1, nullptr, 0, 8, &head, &len, &data,
                                  err, sizeof err),
            -1);
  EXPECT_STREQ(err, "'__metadata__' is not a valid tensor name");
  const int64_t huge[] = {int64_t(1) << 62, 64};
  bert_st_entry big[] = {{"big", 3, BERT_ST_F64, 2, huge}};
  EXPECT_EQ(bert_st_format_header(big, 1, nullptr, 0, 8, &head, &len, &data,
                                  err, sizeof err),
            -1);
  EXPECT_EQ(head, nullptr);
}

TEST(Safetensors, HalfAndBfloat16Conversion) {
  EXPECT_EQ(bert_half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(bert_half_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(bert_half_to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(bert_bf16_to_float(0x4040), 3.0f);
  EXPECT_TRUE(std::isnan(bert_half_to_float(0x7E00)));
}

} // namespace
