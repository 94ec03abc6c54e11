//===- AmxEmulatorTest.cpp - the emulated AMX tiles' rules ----------------===//
//
// The emulation (compiler/backend/cpu/amx/AmxEmulator.c) stands in for the
// hardware in the AMX block tests on CPUs without AMX, so what it does must
// be what the SDM says the instructions do, and every misuse the hardware
// would fault on must show up as a recorded fault: a block test that
// passes on the emulation then says something about the hardware.
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/amx/AmxEmulator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace {

/// A palette-1 configuration (LDTILECFG's 64 bytes) with the given
/// (rows, colsb) for tiles 0, 1, 2; the others unused.
struct Config {
  uint8_t bytes[64] = {};
  Config(int rows0, int colsb0, int rows1, int colsb1, int rows2, int colsb2) {
    bytes[0] = 1;
    const int shape[3][2] = {{rows0, colsb0}, {rows1, colsb1}, {rows2, colsb2}};
    for (int t = 0; t < 3; ++t) {
      bytes[16 + 2 * t] = uint8_t(shape[t][1]);
      bytes[48 + t] = uint8_t(shape[t][0]);
    }
  }
};

uint16_t bf16Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return uint16_t(u >> 16); // the test's values are exact in bf16
}

/// acc (one fp32) after TDPBF16PS with one pair of A and one of B.
float dotOnePair(float acc, uint16_t a0, uint16_t a1, uint16_t b0,
                 uint16_t b1) {
  Config cfg(1, 4, 1, 4, 1, 4);
  bert_amx_emu_loadconfig(cfg.bytes);
  uint16_t a[2] = {a0, a1}, b[2] = {b0, b1};
  bert_amx_emu_load(0, &acc, 4);
  bert_amx_emu_load(1, a, 4);
  bert_amx_emu_load(2, b, 4);
  bert_amx_emu_dpbf16ps(0, 1, 2);
  bert_amx_emu_store(0, &acc, 4);
  bert_amx_emu_release();
  return acc;
}

} // namespace

TEST(AmxEmulator, BF16SumsAsTheSDMDefines) {
  bert_amx_emu_reset_errors();
  // The SDM's order: the pair's two products are summed apart from dst
  // (2^-24 + 2^-24 = 2^-23), then added to it: 1 + 2^-23, exact. Adding
  // each product to dst in turn (the intrinsics guide's description) would
  // round 1 + 2^-24 to 1 twice.
  const uint16_t p = bf16Bits(0x1p-12f);
  EXPECT_EQ(dotOnePair(1.f, p, p, p, p), 1.f + 0x1p-23f);
  // Likewise 2^24 + (1 + 1) is exact where 2^24 + 1 rounds to 2^24.
  const uint16_t one = bf16Bits(1.f);
  EXPECT_EQ(dotOnePair(0x1p24f, one, one, one, one), 0x1p24f + 2);
  // A denormal bf16 input counts as zero (it would add 2^-133 * 2^100).
  EXPECT_EQ(dotOnePair(0.f, 0x0001, 0, bf16Bits(0x1p100f), 0), 0.f);
  // A denormal result is flushed to zero (2^-70 * 2^-70 = 2^-140).
  const uint16_t t = bf16Bits(0x1p-70f);
  EXPECT_EQ(dotOnePair(0.f, t, 0, t, 0), 0.f);
  EXPECT_EQ(bert_amx_emu_error_count(), 0) << bert_amx_emu_first_error();
}

TEST(AmxEmulator, Int8SumsUnsignedTimesSignedAndWraps) {
  bert_amx_emu_reset_errors();
  Config cfg(1, 4, 1, 4, 1, 4);
  bert_amx_emu_loadconfig(cfg.bytes);
  int32_t acc = 5;
  uint8_t a[4] = {255, 1, 2, 3};
  int8_t b[4] = {-128, 127, -1, 0};
  bert_amx_emu_load(0, &acc, 4);
  bert_amx_emu_load(1, a, 4);
  bert_amx_emu_load(2, b, 4);
  bert_amx_emu_dpbusd(0, 1, 2);
  bert_amx_emu_store(0, &acc, 4);
  EXPECT_EQ(acc, 5 + 255 * -128 + 127 - 2);
  // int32 wraps around (no saturation).
  acc = INT32_MAX;
  uint8_t one[4] = {1, 0, 0, 0};
  int8_t plusOne[4] = {1, 0, 0, 0};
  bert_amx_emu_load(0, &acc, 4);
  bert_amx_emu_load(1, one, 4);
  bert_amx_emu_load(2, plusOne, 4);
  bert_amx_emu_dpbusd(0, 1, 2);
  bert_amx_emu_store(0, &acc, 4);
  EXPECT_EQ(acc, INT32_MIN);
  bert_amx_emu_release();
  EXPECT_EQ(bert_amx_emu_error_count(), 0) << bert_amx_emu_first_error();
}

TEST(AmxEmulator, FaultsAreRecorded) {
  float buf[16 * 16] = {};
  auto faultsOf = [&](auto &&use) {
    bert_amx_emu_reset_errors();
    use();
    bert_amx_emu_release();
    bert_amx_emu_clear_regions();
    return bert_amx_emu_error_count();
  };
  // Tiles used before any configuration.
  EXPECT_EQ(faultsOf([&] { bert_amx_emu_zero(0); }), 1);
  // 17 rows; a reserved byte set.
  EXPECT_EQ(faultsOf([] {
              Config c(17, 64, 16, 64, 16, 64);
              bert_amx_emu_loadconfig(c.bytes);
            }),
            1);
  EXPECT_EQ(faultsOf([] {
              Config c(16, 64, 16, 64, 16, 64);
              c.bytes[5] = 1;
              bert_amx_emu_loadconfig(c.bytes);
            }),
            1);
  // Shapes that do not agree: dst rows != a rows; a colsb/4 != b rows;
  // dst colsb != b colsb; a tile twice; an unconfigured tile (tmm3).
  const Config shapes[] = {{8, 64, 16, 64, 16, 64},
                           {16, 64, 16, 64, 8, 64},
                           {16, 32, 16, 64, 16, 64}};
  for (const Config &c : shapes)
    EXPECT_EQ(faultsOf([&] {
                bert_amx_emu_loadconfig(c.bytes);
                bert_amx_emu_dpbf16ps(0, 1, 2);
              }),
              1);
  Config good(16, 64, 16, 64, 16, 64);
  EXPECT_EQ(faultsOf([&] {
              bert_amx_emu_loadconfig(good.bytes);
              bert_amx_emu_dpbusd(0, 1, 1);
              bert_amx_emu_dpbusd(0, 1, 3);
            }),
            2);
  // A row outside the declared memory: the 16th row of a load, and a
  // store into read-only memory.
  EXPECT_EQ(faultsOf([&] {
              bert_amx_emu_allow(buf, 15 * 64, 1);
              bert_amx_emu_loadconfig(good.bytes);
              bert_amx_emu_load(0, buf, 64);
            }),
            1);
  EXPECT_EQ(faultsOf([&] {
              bert_amx_emu_allow(buf, sizeof buf, 0);
              bert_amx_emu_loadconfig(good.bytes);
              bert_amx_emu_zero(0);
              bert_amx_emu_store(0, buf, 64);
            }),
            1);
  // The same uses within the configuration and the memory: no fault.
  EXPECT_EQ(faultsOf([&] {
              bert_amx_emu_allow(buf, sizeof buf, 1);
              bert_amx_emu_loadconfig(good.bytes);
              bert_amx_emu_load(1, buf, 64);
              bert_amx_emu_load(2, buf, 64);
              bert_amx_emu_zero(0);
              bert_amx_emu_dpbusd(0, 1, 2);
              bert_amx_emu_store(0, buf, 64);
            }),
            0);
}
