//===- PackingTest.cpp - padding removal helpers of run_packed ------------===//
//
// bert_pack_tokens, bert_gather_rows and bert_scatter_rows (packing.c), which
// generated run_packed code calls around its kernels. The token lists are
// checked against lists written out by hand; the in-place scatter against an
// out-of-place reference, on masks where a scatter from the first row would
// overwrite packed rows it has not moved yet.
//
//===----------------------------------------------------------------------===//

#include "bert_model_abi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace {

struct Packed {
  std::vector<int32_t> tok, tokMask, cu;
  int32_t count = 0;
};

Packed pack(const std::vector<int32_t> &mask, int64_t batch, int64_t seq) {
  Packed p;
  // Sentinels past what bert_pack_tokens may write show a write too far.
  p.tok.assign(batch * seq + 1, -7);
  p.tokMask.assign(batch * seq + 1, -7);
  p.cu.assign(batch + 2, -7);
  p.count = bert_pack_tokens(mask.data(), batch, seq, p.tok.data(),
                             p.tokMask.data(), p.cu.data());
  EXPECT_EQ(p.tok[batch * seq], -7);
  EXPECT_EQ(p.tokMask[batch * seq], -7);
  EXPECT_EQ(p.cu[batch + 1], -7);
  p.tok.resize(p.count);
  p.tokMask.resize(p.count);
  p.cu.resize(batch + 1);
  return p;
}

using V = std::vector<int32_t>;

TEST(PackTokens, NoPaddingKeepsEveryRowInOrder) {
  Packed p = pack(V(2 * 3, 1), 2, 3);
  EXPECT_EQ(p.count, 6);
  EXPECT_EQ(p.tok, (V{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(p.tokMask, V(6, 1));
  EXPECT_EQ(p.cu, (V{0, 3, 6}));
}

TEST(PackTokens, PositionZeroIsKeptEvenWhenPadding) {
  // Row 0: all padding; row 1: left padding; row 2: a hole, right padding.
  V mask = {0, 0, 0, 0, //
            0, 0, 1, 1, //
            1, 0, 1, 0};
  Packed p = pack(mask, 3, 4);
  EXPECT_EQ(p.count, 6);
  EXPECT_EQ(p.tok, (V{0, 4, 6, 7, 8, 10}));
  EXPECT_EQ(p.tokMask, (V{0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(p.cu, (V{0, 1, 4, 6}));
}

TEST(PackTokens, SingleToken) {
  for (int32_t m : {0, 1}) {
    Packed p = pack(V{m}, 1, 1);
    EXPECT_EQ(p.count, 1);
    EXPECT_EQ(p.tok, V{0});
    EXPECT_EQ(p.tokMask, V{m});
    EXPECT_EQ(p.cu, (V{0, 1}));
  }
}

/// Rows of `width` floats whose values name their row and column.
std::vector<float> numberedRows(int64_t rows, int64_t width) {
  std::vector<float> v(rows * width);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < width; ++c)
      v[r * width + c] = 1000.0f * (r + 1) + c;
  return v;
}

TEST(PackRealTokens, LeftAndRightPaddingAndHoles) {
  // Row 0: left padding (position 0 is not packed); row 1: right padding.
  V mask = {0, 0, 1, 1, //
            1, 1, 1, 0};
  V tok(8, -7), tokMask(8, -7), cu(4, -7);
  int32_t n = bert_pack_real_tokens(mask.data(), 2, 4, tok.data(),
                                    tokMask.data(), cu.data());
  EXPECT_EQ(n, 5);
  EXPECT_EQ(V(tok.begin(), tok.begin() + 5), (V{2, 3, 4, 5, 6}));
  EXPECT_EQ(V(tokMask.begin(), tokMask.begin() + 5), V(5, 1));
  EXPECT_EQ(V(cu.begin(), cu.begin() + 3), (V{0, 2, 5}));
  EXPECT_EQ(tok[5], -7);
  EXPECT_EQ(cu[3], -7);
  // A hole between real tokens: not packable.
  V holes = {1, 1, 1, 1, //
             1, 0, 1, 0};
  EXPECT_EQ(bert_pack_real_tokens(holes.data(), 2, 4, tok.data(),
                                  tokMask.data(), cu.data()),
            -1);
}

TEST(GatherRows, CopiesTheRowsOfThePackedTokens) {
  const int64_t width = 3;
  std::vector<float> src = numberedRows(6, width), dst(3 * width, -1.0f);
  V tok = {0, 4, 5};
  bert_gather_rows(dst.data(), src.data(), tok.data(), 3, width);
  for (int t = 0; t < 3; ++t)
    for (int c = 0; c < width; ++c)
      EXPECT_EQ(dst[t * width + c], src[tok[t] * width + c]) << t << "," << c;
}

/// Scatters in place and compares with writing each packed row straight to
/// its padded row of a zeroed copy.
void checkScatter(const V &mask, int64_t batch, int64_t seq, int64_t width) {
  Packed p = pack(mask, batch, seq);
  const int64_t rows = batch * seq;
  std::vector<float> packed = numberedRows(p.count, width);
  std::vector<float> expected(rows * width, 0.0f);
  for (int32_t t = 0; t < p.count; ++t)
    std::copy_n(&packed[t * width], width, &expected[p.tok[t] * width]);
  // The buffer holds the packed rows at its front and stale values after
  // them, plus one row past num_rows that must stay untouched.
  std::vector<float> data(rows * width + width, -5.0f);
  std::copy(packed.begin(), packed.end(), data.begin());
  bert_scatter_rows(data.data(), p.tok.data(), p.count, rows, width);
  for (int64_t i = 0; i < rows * width; ++i)
    ASSERT_EQ(data[i], expected[i]) << "row " << i / width;
  for (int64_t i = rows * width; i < rows * width + width; ++i)
    EXPECT_EQ(data[i], -5.0f);
}

TEST(ScatterRows, InPlaceFromTheLastRow) {
  // Row 0's two tokens go to rows 0 and 3, so packed rows 1..3 must move
  // out before row 3 is written: a scatter from the first row fails here.
  checkScatter({1, 0, 0, 1, //
                1, 1, 1, 1},
               2, 4, 2);
}

TEST(ScatterRows, EdgeCases) {
  checkScatter(V(3 * 5, 1), 3, 5, 4);  // no padding: nothing moves
  checkScatter(V(3 * 5, 0), 3, 5, 4);  // only position 0 of each row
  checkScatter({0}, 1, 1, 7);          // B = 1, S = 1, padding
  checkScatter({1}, 1, 1, 7);          // B = 1, S = 1
  checkScatter({0, 1, 1, 1}, 1, 4, 1); // left padding, width 1
}

TEST(ScatterRows, RandomMasksRoundTripThroughGather) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 200; ++round) {
    int64_t batch = 1 + rng() % 5, seq = 1 + rng() % 9, width = 1 + rng() % 4;
    V mask(batch * seq);
    for (int32_t &m : mask)
      m = rng() % 3 != 0;
    SCOPED_TRACE(::testing::Message() << "round " << round);
    checkScatter(mask, batch, seq, width);
    // gather then scatter restores the kept rows and zeroes the others.
    Packed p = pack(mask, batch, seq);
    std::vector<float> padded = numberedRows(batch * seq, width);
    std::vector<float> data(batch * seq * width);
    bert_gather_rows(data.data(), padded.data(), p.tok.data(), p.count, width);
    bert_scatter_rows(data.data(), p.tok.data(), p.count, batch * seq, width);
    for (int64_t r = 0; r < batch * seq; ++r) {
      bool kept = r % seq == 0 || mask[r];
      for (int64_t c = 0; c < width; ++c)
        ASSERT_EQ(data[r * width + c], kept ? padded[r * width + c] : 0.0f)
            << "row " << r;
    }
  }
}

} // namespace
