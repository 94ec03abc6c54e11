//===- NpyTest.cpp - .npy reader and writer -------------------------------===//
//
// Round trips for the three dtypes bert-run exchanges, a header written the
// way NumPy writes it, and the refusals bert-run turns into messages.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "runtime/src/npy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace berttest;

namespace {

template <typename T>
void roundTrip(bert_npy_dtype dtype, std::vector<int64_t> shape) {
  std::vector<T> v(numel(shape));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<T>(i * 3) - static_cast<T>(7);
  std::string p = tempPath("rt.npy");
  char err[256];
  ASSERT_EQ(bert_npy_write(p.c_str(), dtype, static_cast<int>(shape.size()),
                           shape.data(), v.data(), err, sizeof(err)),
            0)
      << err;
  bert_npy_array a;
  ASSERT_EQ(bert_npy_read(p.c_str(), &a, err, sizeof(err)), 0) << err;
  EXPECT_EQ(a.dtype, dtype);
  ASSERT_EQ(a.rank, static_cast<int>(shape.size()));
  for (size_t i = 0; i < shape.size(); ++i)
    EXPECT_EQ(a.shape[i], shape[i]);
  if (!v.empty()) {
    EXPECT_EQ(std::memcmp(a.data, v.data(), v.size() * sizeof(T)), 0);
  }
  bert_npy_free(&a);
}

TEST(Npy, RoundTrips) {
  roundTrip<int32_t>(BERT_NPY_I32, {2, 3});
  roundTrip<int64_t>(BERT_NPY_I64, {5});
  roundTrip<float>(BERT_NPY_F32, {2, 3, 4});
  roundTrip<float>(BERT_NPY_F32, {0, 4});
}

TEST(Npy, WriterAlignsDataTo64Bytes) {
  std::string p = tempPath("align.npy");
  int64_t shape[2] = {1, 2};
  int32_t v[2] = {1, 2};
  char err[256];
  ASSERT_EQ(
      bert_npy_write(p.c_str(), BERT_NPY_I32, 2, shape, v, err, sizeof(err)),
      0);
  FILE *f = std::fopen(p.c_str(), "rb");
  std::fseek(f, 0, SEEK_END);
  EXPECT_EQ((std::ftell(f) - 8) % 64, 0); // data starts 64-aligned
  std::fclose(f);
}

std::string npyBytes(const std::string &dict, const std::string &data,
                     int version = 1) {
  std::string h = dict;
  size_t pre = version == 1 ? 10 : 12;
  while ((pre + h.size() + 1) % 64)
    h += ' ';
  h += '\n';
  std::string out = std::string("\x93NUMPY", 6) + char(version) + '\0';
  out += char(h.size() & 0xFF);
  out += char(h.size() >> 8);
  if (version != 1)
    out += std::string(2, '\0');
  return out + h + data;
}

/// A version 1 .npy whose header is numpy's usual dict (its key order and
/// trailing comma) with these values, followed by `bytes` zero bytes.
std::string npyZeros(const char *descr, const char *fortranOrder,
                     const char *shape, size_t bytes) {
  return npyBytes(std::string("{'descr': '") + descr + "', 'fortran_order': " +
                      fortranOrder + ", 'shape': " + shape + ", }",
                  std::string(bytes, '\0'));
}

int parse(const std::string &bytes, bert_npy_array *a, std::string *err) {
  char buf[256] = "";
  int rc = bert_npy_parse(bytes.data(), bytes.size(), a, buf, sizeof(buf));
  *err = buf;
  return rc;
}

TEST(Npy, ParsesNumpyHeaders) {
  bert_npy_array a;
  std::string err;
  std::string data(6 * 8, '\0');
  data[0] = 5;
  ASSERT_EQ(parse(npyBytes("{'descr': '<i8', 'fortran_order': False, "
                           "'shape': (2, 3), }",
                           data),
                  &a, &err),
            0)
      << err;
  EXPECT_EQ(a.dtype, BERT_NPY_I64);
  EXPECT_EQ(a.numel, 6);
  EXPECT_EQ(static_cast<int64_t *>(a.data)[0], 5);
  bert_npy_free(&a);
  // Version 2, key order changed, 1-D tuple.
  ASSERT_EQ(parse(npyBytes("{'shape': (3,), 'fortran_order': False, "
                           "'descr': '<f4'}",
                           std::string(12, '\0'), 2),
                  &a, &err),
            0)
      << err;
  EXPECT_EQ(a.rank, 1);
  EXPECT_EQ(a.shape[0], 3);
  bert_npy_free(&a);
}

TEST(Npy, RejectsBadFiles) {
  struct {
    std::string bytes, needle;
  } cases[] = {
      {"NUMPY", "bad magic"},
      {std::string("\x93NUMPY\x01\x00\xff\x00{", 11), "truncated npy header"},
      {npyZeros(">i4", "False", "(1,)", 4), "unsupported dtype '>i4'"},
      {npyZeros("<f8", "False", "(1,)", 8), "unsupported dtype '<f8'"},
      {npyZeros("<i4", "True", "(1,)", 4), "Fortran-order"},
      {npyZeros("<i4", "False", "(2, 3)", 20),
       "data is 20 bytes, shape and dtype need 24"},
      {npyZeros("<i4", "False", "(2, x)", 0), "bad 'shape'"},
      {npyBytes("{'descr': '<i4', 'shape': (2,), }", std::string(8, '\0')),
       "required"},
      {npyBytes("{'descr': '<i4' 'fortran_order': False}", ""),
       "expected ',' or '}'"},
  };
  for (auto &c : cases) {
    bert_npy_array a;
    std::string err;
    EXPECT_EQ(parse(c.bytes, &a, &err), -1) << c.needle;
    EXPECT_NE(err.find(c.needle), std::string::npos)
        << "'" << err << "' lacks '" << c.needle << "'";
  }
  bert_npy_array a;
  char err[256];
  EXPECT_EQ(bert_npy_read(tempPath("none.npy").c_str(), &a, err, sizeof(err)),
            -1);
  EXPECT_NE(std::string(err).find("cannot open"), std::string::npos);
}

} // namespace
