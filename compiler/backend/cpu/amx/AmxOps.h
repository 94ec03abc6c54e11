/*===- AmxOps.h - the AMX instructions the GEMM blocks use, or their emulation
 *
 * The AMX blocks (AmxGemm.c) are written against these macros rather than
 * the intrinsics, so that one source is both the library's kernel and, built
 * with BERT_AMX_EMULATE (test/Backend only), a plain-C program that runs on
 * any CPU against the emulated tile registers of AmxEmulator.c. Without the
 * emulation a test of the blocks could only run on an AMX machine, and most
 * of the machines the project builds on have none.
 *
 *   AMX_TARGET           the function attribute that allows the intrinsics
 *   AMX_LOADCONFIG(cfg)  LDTILECFG (64-byte palette-1 configuration)
 *   AMX_RELEASE()        TILERELEASE
 *   AMX_ZERO(t)          TILEZERO tmm<t>
 *   AMX_LOAD(t, p, s)    TILELOADD tmm<t>, [p + s * row]
 *   AMX_STORE(t, p, s)   TILESTORED [p + s * row], tmm<t>
 *   AMX_DPBF16PS(c,a,b)  TDPBF16PS tmm<c>, tmm<a>, tmm<b>
 *   AMX_DPBUSD(c,a,b)    TDPBUSD tmm<c>, tmm<a>, tmm<b> (u8 a, s8 b)
 *   AMX_ENTRY(name)      the C name of an entry point: bert_amx_<name>, or
 *                        bert_amx_emu_<name> in the emulated build, so that
 *                        a test binary links both and compares them.
 * Tile numbers must be constants (they are immediates in the instructions).
 *===----------------------------------------------------------------------===*/
#ifndef BERT_COMPILER_BACKEND_CPU_AMX_AMXOPS_H
#define BERT_COMPILER_BACKEND_CPU_AMX_AMXOPS_H

#ifdef BERT_AMX_EMULATE

#include "compiler/backend/cpu/amx/AmxEmulator.h"

#define BERT_AMX_AVAILABLE 1
#define AMX_TARGET
#define AMX_LOADCONFIG(cfg) bert_amx_emu_loadconfig(cfg)
#define AMX_RELEASE() bert_amx_emu_release()
#define AMX_ZERO(t) bert_amx_emu_zero(t)
#define AMX_LOAD(t, p, s) bert_amx_emu_load(t, p, s)
#define AMX_STORE(t, p, s) bert_amx_emu_store(t, p, s)
#define AMX_DPBF16PS(c, a, b) bert_amx_emu_dpbf16ps(c, a, b)
#define AMX_DPBUSD(c, a, b) bert_amx_emu_dpbusd(c, a, b)
#define AMX_ENTRY(name) bert_amx_emu_##name

#else

/* The intrinsics: GCC 11 and Clang 12 have them (under a target attribute,
 * so the rest of the build needs no -mamx flags). Elsewhere the entry
 * points compile to stubs that return -1. */
#if defined(__x86_64__) &&                                                     \
    ((defined(__clang__) && __clang_major__ >= 12) ||                          \
     (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
#define BERT_AMX_AVAILABLE 1
#include <immintrin.h>
#define AMX_TARGET __attribute__((target("amx-tile,amx-bf16,amx-int8")))
#define AMX_LOADCONFIG(cfg) _tile_loadconfig(cfg)
#define AMX_RELEASE() _tile_release()
#define AMX_ZERO(t) _tile_zero(t)
#define AMX_LOAD(t, p, s) _tile_loadd(t, p, s)
#define AMX_STORE(t, p, s) _tile_stored(t, p, s)
#define AMX_DPBF16PS(c, a, b) _tile_dpbf16ps(c, a, b)
#define AMX_DPBUSD(c, a, b) _tile_dpbusd(c, a, b)
#endif
#define AMX_ENTRY(name) bert_amx_##name

#endif /* BERT_AMX_EMULATE */

#endif /* BERT_COMPILER_BACKEND_CPU_AMX_AMXOPS_H */
