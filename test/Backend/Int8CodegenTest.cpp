//===- Int8CodegenTest.cpp - which int8 instructions each target gets -----===//
//
// The int8 linear's speed rests on Halide turning its u8 x s8 -> i32 sums
// into VPDPBUSD; its numbers are tested by Kernels.LinearInt8 on the host
// alone. Here the kernel is compiled (not run, so any x86 host will do) for
// each x86 target class and its assembly read: VPDPBUSD on zmm where the
// target has AVX512-VNNI, never on targets without VNNI (the instruction
// would fault there), and — Halide 21's limit, which LinearInt8.cpp and the
// README state — not for AVX-VNNI (256-bit, VEX) alone.
//===----------------------------------------------------------------------===//

#include "KernelDefaults.h"
#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include "compiler/backend/cpu/kernels/Kernels.h"
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace cpu = bert::cpu;

namespace {

/// The assembly of the 768x3072 int8 linear compiled for `target`.
std::string int8Assembly(const std::string &target) {
  Halide::Target t = cpu::parseTarget(target);
  cpu::LinearSpec spec{768,   3072, cpu::Activation::None, true, false, false,
                       false, true};
  cpu::Kernel k =
      cpu::buildLinearInt8(spec, cpu::defaults::gemm(spec.N, t, 0, 0, 0, 0), t);
  char dir[] = "/tmp/bert-int8-asm-XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  const std::string base = std::string(dir) + "/linear_int8";
  cpu::emitStmtAndAssembly(k, "linear_int8", t, base);
  std::ifstream in(base + ".s");
  std::stringstream text;
  text << in.rdbuf();
  std::remove((base + ".s").c_str());
  std::remove((base + ".stmt").c_str());
  rmdir(dir);
  EXPECT_FALSE(text.str().empty()) << "no assembly for " << target;
  return text.str();
}

bool hasVnniZmm(const std::string &s) {
  return s.find("vpdpbusd\t%zmm") != std::string::npos;
}
bool hasVnni(const std::string &s) {
  return s.find("vpdpbusd") != std::string::npos;
}

} // namespace

TEST(Int8Codegen, VnniByTarget) {
  for (const char *t : {"x86-64-avx512-bf16", "x86-64-amx"})
    EXPECT_TRUE(hasVnniZmm(int8Assembly(t)))
        << t << ": the int8 linear's inner loop should be VPDPBUSD on zmm";
  for (const char *t : {"x86-64-avx512", "x86-64-avx2"})
    EXPECT_FALSE(hasVnni(int8Assembly(t)))
        << t << " has no VNNI: VPDPBUSD would fault there";
  EXPECT_FALSE(hasVnni(int8Assembly("x86-64-linux-sse41-avx-f16c-fma-avx2-"
                                    "avxvnni")))
      << "Halide now emits VPDPBUSD for AVX-VNNI alone: give AVX-VNNI hosts "
         "that path and update LinearInt8.cpp and the README, which say it "
         "cannot";
}
