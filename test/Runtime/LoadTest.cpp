//===- LoadTest.cpp - bert_model_load: good files and every refusal -------===//
//
// Each refusal test checks the status code and that the message names the
// file and the tensor (or the byte) at fault, because that message is all a
// user gets to fix a broken checkpoint.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "bert_runtime.h"
#include "runtime/src/model.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace berttest;

namespace {

// A model loaded from `path`, or from `ts` written to tempPath(name).
struct Loaded {
  bert_model_t *m = nullptr;
  bert_status st{};
  explicit Loaded(const std::string &path) {
    m = bert_model_load(path.c_str(), &st);
  }
  Loaded(const std::vector<Tensor> &ts, const std::string &name)
      : Loaded(writeTo(name, ts)) {}
  Loaded(const Loaded &) = delete;
  Loaded &operator=(const Loaded &) = delete;
  ~Loaded() { bert_model_free(m); }

private:
  static std::string writeTo(const std::string &name,
                             const std::vector<Tensor> &ts) {
    std::string p = tempPath(name);
    writeSafetensors(p, ts);
    return p;
  }
};

// Loads `path`; expects failure with `code` and every needle in the message.
void expectRefused(const std::string &path, bert_status_code code,
                   std::vector<std::string> needles) {
  Loaded l(path);
  ASSERT_EQ(l.m, nullptr);
  EXPECT_EQ(l.st.code, code) << l.st.message;
  needles.push_back(path);
  for (const std::string &n : needles)
    EXPECT_NE(std::string(l.st.message).find(n), std::string::npos)
        << "message '" << l.st.message << "' lacks '" << n << "'";
}

// Writes a file of JSON header `h` and `data` bytes to `path`; expects it
// refused as a bad format with every needle in the message.
void expectHeaderRefused(const std::string &path, const std::string &h,
                         const std::string &data,
                         std::vector<std::string> needles) {
  SCOPED_TRACE(h);
  rawFile(path, h.size(), h, data);
  expectRefused(path, BERT_ERR_BAD_FORMAT, std::move(needles));
}

// Loads `path` with descriptor `d`; expects failure with `code` and
// `needle` in the message.
void expectDescRefused(const bert_model_desc &d, const std::string &path,
                       bert_status_code code, const std::string &needle) {
  bert_status st;
  EXPECT_EQ(bert_model_load_desc(&d, path.c_str(), &st), nullptr);
  EXPECT_EQ(st.code, code);
  EXPECT_NE(std::string(st.message).find(needle), std::string::npos)
      << st.message;
}

const char *kQuery = "encoder.layer.0.attention.self.query.weight";
const char *kKey = "encoder.layer.0.attention.self.key.weight";
const char *kWord = "embeddings.word_embeddings.weight";

TEST(Load, GoodF32AlignedIsZeroCopy) {
  Loaded l(fakeTensors(), "good.safetensors");
  ASSERT_NE(l.m, nullptr) << l.st.message;
  EXPECT_EQ(l.st.code, BERT_OK);
  EXPECT_STREQ(l.st.message, "");
  // Only the packed QKV slot is copied.
  EXPECT_EQ(bert_model_copied_bytes(l.m), size_t(FAKE_QKV_ROWS * 4 * 4));
  int64_t n = 0;
  const float *w = bert_model_weight(l.m, kWord, &n);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(n, FAKE_VOCAB * FAKE_HIDDEN);
  std::vector<float> want = values(n, 0.5f);
  for (int64_t i = 0; i < n; ++i)
    EXPECT_EQ(w[i], want[i]);
  EXPECT_EQ(bert_model_weight(l.m, "no.such.slot", nullptr), nullptr);
}

TEST(Load, MisalignedF32IsCopied) {
  std::string p = tempPath("skew.safetensors");
  Layout layout;
  layout.skew = 4; // 4-byte aligned, not 64
  writeSafetensors(p, fakeTensors(), layout);
  Loaded l(p);
  ASSERT_NE(l.m, nullptr) << l.st.message;
  EXPECT_EQ(bert_model_copied_bytes(l.m),
            size_t((FAKE_VOCAB + FAKE_TYPE_VOCAB + FAKE_QKV_ROWS + 1) *
                   FAKE_HIDDEN * 4));
  const float *w = bert_model_weight(l.m, kWord, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w) % 64, 0u);
  EXPECT_EQ(w[5], values(40, 0.5f)[5]);
}

TEST(Load, ConcatPackedInOrder) {
  std::string p = tempPath("concat.safetensors");
  std::vector<Tensor> ts = fakeTensors();
  writeSafetensors(p, ts);
  Loaded l(p);
  ASSERT_NE(l.m, nullptr) << l.st.message;
  int64_t n = 0;
  const float *qkv =
      bert_model_weight(l.m, "encoder.layer.0.attention.self.qkv.weight", &n);
  ASSERT_EQ(n, FAKE_QKV_ROWS * FAKE_HIDDEN);
  std::vector<float> q = values(16, 0.25f), k = values(16, -0.75f),
                     v = values(16, 1.5f);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(qkv[i], q[i]);
    EXPECT_EQ(qkv[16 + i], k[i]);
    EXPECT_EQ(qkv[32 + i], v[i]);
  }
}

TEST(Load, F16ConvertedExactly) {
  // Normals, subnormals (2^-24, largest subnormal), max, signed zero, inf.
  const uint16_t halves[] = {0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0001,
                             0x03FF, 0x8400, 0x8000, 0x7C00, 0x3E00};
  const float want[] = {1.0f,
                        -2.0f,
                        0.333251953125f,
                        65504.0f,
                        std::ldexp(1.0f, -24),
                        1023 * std::ldexp(1.0f, -24),
                        -std::ldexp(1.0f, -14),
                        -0.0f,
                        INFINITY,
                        1.5f};
  std::vector<uint16_t> bits(FAKE_VOCAB * FAKE_HIDDEN);
  for (size_t i = 0; i < bits.size(); ++i)
    bits[i] = halves[i % 10];
  std::vector<Tensor> ts = fakeTensors();
  *find(ts, kWord) = u16(kWord, "F16", {FAKE_VOCAB, FAKE_HIDDEN}, bits);
  Loaded l(ts, "f16.safetensors");
  ASSERT_NE(l.m, nullptr) << l.st.message;
  const float *w = bert_model_weight(l.m, kWord, nullptr);
  for (size_t i = 0; i < bits.size(); ++i) {
    float x = want[i % 10];
    EXPECT_EQ(std::memcmp(&w[i], &x, 4), 0)
        << "half 0x" << std::hex << bits[i] << " -> " << w[i];
  }
}

TEST(Load, BF16ConvertedExactly) {
  std::vector<float> src = values(FAKE_VOCAB * FAKE_HIDDEN, 0.3f);
  src[3] = 3.14159265f;
  src[7] = -1e-39f; // subnormal
  std::vector<uint16_t> bits(src.size());
  std::vector<float> want(src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    uint32_t u;
    std::memcpy(&u, &src[i], 4);
    bits[i] = static_cast<uint16_t>(u >> 16);
    u &= 0xFFFF0000u;
    std::memcpy(&want[i], &u, 4);
  }
  std::vector<Tensor> ts = fakeTensors();
  *find(ts, kWord) = u16(kWord, "BF16", {FAKE_VOCAB, FAKE_HIDDEN}, bits);
  // A packed slot with a BF16 source converts too.
  std::vector<uint16_t> kb(16, 0x4040); // 3.0
  *find(ts, kKey) = u16(kKey, "BF16", {4, 4}, kb);
  Loaded l(ts, "bf16.safetensors");
  ASSERT_NE(l.m, nullptr) << l.st.message;
  const float *w = bert_model_weight(l.m, kWord, nullptr);
  for (size_t i = 0; i < src.size(); ++i)
    EXPECT_EQ(std::memcmp(&w[i], &want[i], 4), 0) << i;
  const float *qkv = bert_model_weight(
      l.m, "encoder.layer.0.attention.self.qkv.weight", nullptr);
  EXPECT_EQ(qkv[16], 3.0f);
  EXPECT_EQ(qkv[31], 3.0f);
}

TEST(Load, ExtraTensorsAndEscapedNamesAccepted) {
  std::vector<Tensor> ts = fakeTensors();
  Tensor pos{
      "embeddings.position_ids", "I64", {1, 3}, std::vector<uint8_t>(24)};
  ts.push_back(pos);
  ts.push_back(Tensor{"unused.bool", "BOOL", {0}, {}});
  std::string p = tempPath("extra.safetensors");
  writeSafetensors(p, ts);
  // JSON escapes in a name decode to the plain name.
  editHeader(p, "\"pooler.dense.bias\"", "\"pooler.dense.bia\\u0073\"");
  Loaded l(p);
  ASSERT_NE(l.m, nullptr) << l.st.message;
}

TEST(Load, NameWithNulDoesNotShadow) {
  // "pooler.dense.bias\u0000x" comes first in the file; lookup by strcmp
  // took it for the pooler bias and changed the output.
  std::vector<Tensor> ts = fakeTensors();
  std::string shadow = std::string("pooler.dense.bias") + '\0' + "x";
  ts.insert(ts.begin(), f32(shadow, {FAKE_HIDDEN}, values(FAKE_HIDDEN, 9.0f)));
  Loaded l(ts, "shadow.safetensors");
  ASSERT_NE(l.m, nullptr) << l.st.message;
  const float *bias = bert_model_weight(l.m, "pooler.dense.bias", nullptr);
  std::vector<float> want = values(FAKE_HIDDEN, 3.0f);
  for (int i = 0; i < FAKE_HIDDEN; ++i)
    EXPECT_EQ(bias[i], want[i]) << i;
}

TEST(Load, MissingFile) {
  expectRefused(tempPath("does-not-exist.safetensors"), BERT_ERR_IO,
                {"cannot open"});
}

TEST(Load, MissingTensor) {
  std::vector<Tensor> ts = fakeTensors();
  ts.erase(ts.begin() + 3); // key
  std::string p = tempPath("missing.safetensors");
  writeSafetensors(p, ts);
  expectRefused(p, BERT_ERR_MISSING_TENSOR,
                {kKey, "not found", "encoder.layer.0.attention.self.qkv"});
}

TEST(Load, WrongShapeDirect) {
  std::vector<Tensor> ts = fakeTensors();
  *find(ts, kWord) = f32(kWord, {FAKE_VOCAB, 3}, values(30, 0));
  std::string p = tempPath("shape.safetensors");
  writeSafetensors(p, ts);
  expectRefused(p, BERT_ERR_SHAPE_MISMATCH,
                {std::string("tensor '") + kWord +
                 "': expected shape [10, 4], found [10, 3]"});
}

TEST(Load, WrongRank) {
  std::vector<Tensor> ts = fakeTensors();
  *find(ts, "pooler.dense.bias") =
      f32("pooler.dense.bias", {1, 4}, values(4, 0));
  std::string p = tempPath("rank.safetensors");
  writeSafetensors(p, ts);
  expectRefused(p, BERT_ERR_SHAPE_MISMATCH,
                {"pooler.dense.bias", "expected shape [4], found [1, 4]"});
}

TEST(Load, WrongShapeConcatSource) {
  std::vector<Tensor> ts = fakeTensors();
  *find(ts, kQuery) = f32(kQuery, {4, 3}, values(12, 0));
  std::string p = tempPath("qshape.safetensors");
  writeSafetensors(p, ts);
  expectRefused(p, BERT_ERR_SHAPE_MISMATCH,
                {kQuery, "expected shape [*, 4], found [4, 3]"});
}

TEST(Load, ConcatDim0SumMismatch) {
  std::vector<Tensor> ts = fakeTensors();
  *find(ts, kKey) = f32(kKey, {5, 4}, values(20, 0));
  std::string p = tempPath("qsum.safetensors");
  writeSafetensors(p, ts);
  expectRefused(
      p, BERT_ERR_SHAPE_MISMATCH,
      {"encoder.layer.0.attention.self.qkv.weight", "sums to 13, expected 12"});
}

TEST(Load, WrongDtype) {
  std::vector<Tensor> ts = fakeTensors();
  Tensor *t = find(ts, kWord);
  t->dtype = "I64";
  t->shape = {FAKE_VOCAB, FAKE_HIDDEN};
  t->bytes.resize(FAKE_VOCAB * FAKE_HIDDEN * 8);
  std::string p = tempPath("dtype.safetensors");
  writeSafetensors(p, ts);
  expectRefused(p, BERT_ERR_DTYPE_MISMATCH,
                {kWord, "expected dtype F32, F16 or BF16, found I64"});
}

TEST(Load, UnknownDtype) {
  std::string p = tempPath("f12.safetensors");
  writeSafetensors(p, fakeTensors());
  editHeader(p, "\"pooler.dense.bias\":{\"dtype\":\"F32\"",
             "\"pooler.dense.bias\":{\"dtype\":\"F12\"");
  expectRefused(p, BERT_ERR_BAD_FORMAT,
                {"pooler.dense.bias", "unknown dtype 'F12'"});
}

TEST(Load, TruncatedFile) {
  std::string p = tempPath("trunc.safetensors");
  writeSafetensors(p, fakeTensors());
  std::string all = readBytes(p);
  writeBytes(p, all.substr(0, all.size() - 8));
  // The last tensor written is the pooler bias.
  expectRefused(p, BERT_ERR_BAD_FORMAT,
                {"pooler.dense.bias", "outside the data region"});
  writeBytes(p, all.substr(0, 5));
  expectRefused(p, BERT_ERR_BAD_FORMAT, {"too short"});
}

TEST(Load, HeaderLengthPastEof) {
  std::string p = tempPath("hlen.safetensors");
  rawFile(p, 1000, "{}");
  expectRefused(p, BERT_ERR_BAD_FORMAT, {"header length 1000 exceeds"});
  rawFile(p, ~0ull, "{}");
  expectRefused(p, BERT_ERR_BAD_FORMAT, {"exceeds"});
}

TEST(Load, MalformedJson) {
  const char *bad[] = {
      "{\"a\" {}}",             // missing colon
      "{\"a\":{},}",            // trailing comma
      "{\"a\":\"unterminated}", // unterminated string
      "{\"a\\q\":{}}",          // bad escape
      "{\"a\":01}",             // leading zero
      "{} x",                   // trailing garbage
      "",                       // empty
      "{\"a\":tru}",            // bad literal
      "{\"\\ud800\":{}}",       // lone surrogate
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
      "[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
      "]]]]]]]]]]]", // too deep
  };
  for (const char *h : bad) {
    expectHeaderRefused(tempPath("json.safetensors"), h, "",
                        {"malformed JSON header at byte"});
  }
}

TEST(Load, HeaderNotTensorTable) {
  std::string p = tempPath("notable.safetensors");
  expectHeaderRefused(p, "[]", "", {"not an object"});
  std::string h = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}";
  expectHeaderRefused(p, h, "abcd", {"'t'", "data_offsets"});
  h = "{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}";
  expectHeaderRefused(p, h, "abcd", {"'t'", "non-negative integers"});
  h = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}";
  expectHeaderRefused(p, h, "abcd", {"'t'", "non-negative integers"});
  h = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  expectHeaderRefused(p, h, "abcd", {"'t' appears twice"});
}

TEST(Load, OffsetsOutOfRangeOrInconsistent) {
  std::string p = tempPath("offsets.safetensors");
  std::string h =
      "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
  expectHeaderRefused(
      p, h, "abcdefgh",
      {"'t'", "data_offsets [4, 12] outside the data region of 8"});
  h = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,8]}}";
  expectHeaderRefused(p, h, "abcdefgh",
                      {"'t'", "span 8 bytes, but F32 [2, 4] needs 32"});
  h = "{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}";
  expectHeaderRefused(p, h, "abcdefgh", {"'t'", "outside"});
  // A product of dims that overflows int64 must not wrap to a small size.
  h = "{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],"
      "\"data_offsets\":[0,0]}}";
  expectHeaderRefused(p, h, "", {"'t'", "span 0 bytes"});
}

TEST(Load, AbiMismatch) {
  std::string p = tempPath("abi.safetensors");
  writeSafetensors(p, fakeTensors());
  bert_model_desc d = bert_generated_model;
  d.abi_version = 99;
  bert_status st;
  EXPECT_EQ(bert_model_load_desc(&d, p.c_str(), &st), nullptr);
  EXPECT_EQ(st.code, BERT_ERR_ABI_MISMATCH);
  EXPECT_NE(std::string(st.message).find("ABI version 99"), std::string::npos);
}

// A CUDA library on a machine without the driver: refused at load with
// BERT_ERR_NO_DEVICE naming the library it looked for. ($BERT_LIBCUDA
// points at a path that is missing everywhere, so the test means the same
// on a machine with a GPU; the driver table is loaded once per process and
// no other test here asks for it.)
int cudaUsers = 0;
void fakeAcquire() { ++cudaUsers; }
void fakeRelease(const float *const *) { --cudaUsers; }

TEST(Load, CudaWithoutDriver) {
  std::string p = tempPath("cuda.safetensors");
  writeSafetensors(p, fakeTensors());
  ASSERT_EQ(setenv("BERT_LIBCUDA", "/nonexistent/libcuda.so.1", 1), 0);
  bert_model_desc d = bert_generated_model;
  d.device = BERT_ABI_DEVICE_CUDA;
  bert_status st;
  // A CUDA descriptor without its device-state calls is a generator bug.
  expectDescRefused(d, p, BERT_ERR_ABI_MISMATCH,
                    "device_acquire / device_release");
  d.device_acquire = fakeAcquire;
  d.device_release = fakeRelease;
  EXPECT_EQ(bert_model_load_desc(&d, p.c_str(), &st), nullptr);
  EXPECT_EQ(st.code, BERT_ERR_NO_DEVICE);
  std::string message = st.message;
  EXPECT_NE(message.find("compiled for CUDA"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot load the CUDA driver "
                         "/nonexistent/libcuda.so.1"),
            std::string::npos)
      << message;
  EXPECT_STREQ(bert_status_string(BERT_ERR_NO_DEVICE), "no CUDA device");
  EXPECT_EQ(cudaUsers, 0); // refused before any device state was taken
  // An unknown device is a generator bug, refused as such.
  d.device = 7;
  EXPECT_EQ(bert_model_load_desc(&d, p.c_str(), &st), nullptr);
  EXPECT_EQ(st.code, BERT_ERR_ABI_MISMATCH);
  unsetenv("BERT_LIBCUDA");
}

// A slot computed at load (BERT_WEIGHT_COMPUTED, XLNet's kr): prepare()
// runs once, after the file's slots are built, and writes it; a failing
// prepare() fails the load with the library's error; a computed slot
// without prepare() is a generator bug.
constexpr int kComputedNumel = 2 * FAKE_HIDDEN;
int prepareCalls = 0;
int prepareTwiceTheWords(const float *const *w, void *arena) {
  ++prepareCalls;
  float *out = const_cast<float *>(w[4]); // the slot appended below
  for (int i = 0; i < kComputedNumel; ++i)
    out[i] = 2.0f * w[0][i]; // word embeddings, built first
  return arena ? 0 : -1;
}
int prepareFails(const float *const *, void *) { return -7; }

TEST(Load, ComputedSlotFilledByPrepare) {
  std::string p = tempPath("computed.safetensors");
  writeSafetensors(p, fakeTensors());
  bert_model_desc d = bert_generated_model;
  ASSERT_EQ(d.num_weights, 4);
  std::vector<bert_weight_spec> slots(d.weights, d.weights + 4);
  slots.push_back({"load_time(kr)",
                   BERT_WEIGHT_COMPUTED,
                   0,
                   nullptr,
                   2,
                   {2, FAKE_HIDDEN, 0, 0},
                   0,
                   0,
                   0});
  d.weights = slots.data();
  d.num_weights = 5;
  // Without prepare() nothing would fill it: refused.
  expectDescRefused(d, p, BERT_ERR_ABI_MISMATCH, "weight slot 4 is invalid");
  bert_status st;
  d.prepare = prepareTwiceTheWords;
  bert_model_t *m = bert_model_load_desc(&d, p.c_str(), &st);
  ASSERT_NE(m, nullptr) << st.message;
  EXPECT_EQ(prepareCalls, 1);
  int64_t numel = 0;
  const float *kr = bert_model_weight(m, "load_time(kr)", &numel);
  ASSERT_NE(kr, nullptr);
  EXPECT_EQ(numel, kComputedNumel);
  std::vector<float> words = values(kComputedNumel, 0.5f);
  for (int i = 0; i < kComputedNumel; ++i)
    EXPECT_EQ(kr[i], 2.0f * words[i]) << i;
  bert_model_free(m);
  d.prepare = prepareFails;
  expectDescRefused(d, p, BERT_ERR_KERNEL,
                    p + ": model '" + d.model_name +
                        "': computing the load-time values failed (kernel "
                        "error -7)");
}

TEST(Load, NullStatusAndPath) {
  EXPECT_EQ(bert_model_load(nullptr, nullptr), nullptr);
  bert_status st;
  EXPECT_EQ(bert_model_load(nullptr, &st), nullptr);
  EXPECT_EQ(st.code, BERT_ERR_BAD_ARGUMENT);
  bert_model_free(nullptr);
}

TEST(Status, StringsAndVersion) {
  for (int c = BERT_OK; c <= BERT_ERR_NO_DEVICE; ++c)
    EXPECT_GT(std::strlen(bert_status_string(static_cast<bert_status_code>(c))),
              1u);
  EXPECT_STREQ(bert_status_string(BERT_ERR_MISSING_TENSOR), "missing tensor");
  // The table (status.c) has the last code too; values that are no code
  // get the fallback, not a read outside the table.
  EXPECT_STREQ(bert_status_string(BERT_ERR_UNSUPPORTED_CPU), "unsupported CPU");
  EXPECT_STREQ(bert_status_string(static_cast<bert_status_code>(1000)),
               "unknown status code");
  EXPECT_STREQ(bert_status_string(static_cast<bert_status_code>(-1)),
               "unknown status code");
  EXPECT_STREQ(bert_version(), BERT_RUNTIME_VERSION);
}

} // namespace
