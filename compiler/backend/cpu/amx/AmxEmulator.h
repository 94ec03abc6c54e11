/*===- AmxEmulator.h - plain-C AMX tile registers for tests ---*- C -*-===
 *
 * What AmxOps.h maps the AMX instructions to in a BERT_AMX_EMULATE build:
 * eight 1 KiB tile registers and their palette-1 configuration, per thread
 * (as the hardware's tile state is), and the instructions as Intel's SDM
 * defines them (AmxEmulator.c says where each rule comes from). Built only
 * into test binaries; nothing in the library calls it.
 *
 * Every use the hardware would fault on (#GP / #UD), and every tile row a
 * load or store would move outside the memory a test declared, is recorded
 * instead of executed: a test asserts bert_amx_emu_error_count() == 0 and
 * prints bert_amx_emu_first_error().
 *===----------------------------------------------------------------------===*/
#ifndef BERT_COMPILER_BACKEND_CPU_AMX_AMXEMULATOR_H
#define BERT_COMPILER_BACKEND_CPU_AMX_AMXEMULATOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void bert_amx_emu_loadconfig(const void *config);
void bert_amx_emu_release(void);
void bert_amx_emu_zero(int tile);
void bert_amx_emu_load(int tile, const void *base, int64_t stride);
void bert_amx_emu_store(int tile, void *base, int64_t stride);
void bert_amx_emu_dpbf16ps(int dst, int a, int b);
void bert_amx_emu_dpbusd(int dst, int a, int b);

/* Memory the test allows: loads must stay inside one of the declared
 * regions, stores inside a writable one. With no region declared every
 * address is allowed. Declarations are process-wide (the threads of a
 * Halide kernel share them); clear them after the call under test. */
void bert_amx_emu_allow(const void *base, size_t bytes, int writable);
void bert_amx_emu_clear_regions(void);

/* Faults recorded since the last reset (all threads), the first one's
 * description, and the reset (which also counts the instructions anew). */
long bert_amx_emu_error_count(void);
const char *bert_amx_emu_first_error(void);
void bert_amx_emu_reset_errors(void);
/* Tile dot products executed (all threads) since the last reset: a test can
 * tell that the tiles, not a fallback path, computed its result. */
long bert_amx_emu_dot_count(void);

#ifdef __cplusplus
}
#endif

#endif /* BERT_COMPILER_BACKEND_CPU_AMX_AMXEMULATOR_H */
