//===- HalfTest.cpp - float32 to IEEE half, as the CUDA f16 upload does ---===//
//
// bert_float_to_f16 (weight_pack.c), which bert_floats_to_f16 applies to
// an f16 tensor-core linear's weights at upload, against the compiler's own
// _Float16 conversion (round to nearest even, subnormals kept) over a
// stride through every float32 bit pattern and the edge cases by hand;
// beyond the largest half the reference is the saturation that `precision
// <f16>` defines (+-65504 rather than inf), and NaN stays NaN.
//
//===----------------------------------------------------------------------===//

#include "bert_model_abi.h"
#include "runtime/src/weight_pack.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>

namespace {

uint16_t reference(float f) {
  if (std::isnan(f))
    return 0; // checked apart: any NaN encoding
  if (std::fabs(f) >= 65504.0f)
    return f < 0 ? 0xfbffu : 0x7bffu;
  _Float16 h = static_cast<_Float16>(f);
  uint16_t bits;
  std::memcpy(&bits, &h, 2);
  return bits;
}

float fromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

void expectConverts(float f) {
  uint16_t got = bert_float_to_f16(f);
  if (std::isnan(f)) {
    EXPECT_EQ(got & 0x7c00u, 0x7c00u) << "NaN must stay NaN";
    EXPECT_NE(got & 0x03ffu, 0u) << "NaN must stay NaN";
    return;
  }
  EXPECT_EQ(got, reference(f))
      << "f = " << f << " (bits 0x" << std::hex << [&] {
           uint32_t u;
           std::memcpy(&u, &f, 4);
           return u;
         }();
}

TEST(FloatToF16, EdgeCases) {
  const float cases[] = {0.0f,
                         -0.0f,
                         1.0f,
                         -2.5f,
                         65504.0f,
                         65505.0f,
                         65519.0f,
                         65520.0f,
                         1e9f,
                         INFINITY,
                         -INFINITY,
                         NAN,
                         std::ldexp(1.0f, -14),        // smallest normal
                         std::ldexp(1.0f, -24),        // smallest subnormal
                         std::ldexp(1.0f, -25),        // a tie: rounds to 0
                         std::ldexp(1.5f, -25),        // above the tie: 2^-24
                         std::ldexp(3.0f, -25),        // a tie: up to 2 * 2^-24
                         std::ldexp(1023.5f, -24),     // a tie into the normals
                         1.0f + std::ldexp(1.0f, -11), // tie: to even (1.0)
                         1.0f + std::ldexp(3.0f, -11), // tie: up
                         2047.5f,
                         2048.5f,
                         0.1f,
                         -0.3333333f};
  for (float f : cases)
    expectConverts(f);
  EXPECT_EQ(bert_float_to_f16(INFINITY), 0x7bffu);
  EXPECT_EQ(bert_float_to_f16(std::ldexp(1.0f, -25)), 0u);
}

TEST(FloatToF16, StrideThroughAllFloats) {
  // A prime stride visits every exponent and many mantissa low bits.
  for (uint64_t u = 0; u <= 0xffffffffull; u += 7919)
    expectConverts(fromBits(uint32_t(u)));
}

TEST(FloatToF16, ArrayForm) {
  const float src[] = {1.0f, -65536.0f, 3.140625f};
  uint16_t dst[3] = {};
  bert_floats_to_f16(dst, src, 3);
  EXPECT_EQ(dst[0], 0x3c00u);
  EXPECT_EQ(dst[1], 0xfbffu);
  EXPECT_EQ(dst[2], 0x4248u);
}

} // namespace
