/*===- AmxGemm.h - hand-written AMX GEMM blocks (Halide externs) -*- C -*-===
 *
 * The product part of the bf16 and int8 linears on AMX targets
 * (LinearBF16.cpp, LinearInt8.cpp): Halide extern stages that the kernel
 * calls once per task, for the task's block of the output. Written in C with
 *the AMX intrinsics because Halide 21 keeps one accumulator tile live per loop
 *nest (see LinearBF16.cpp); this block keeps four (2 x 2 tiles = 32 x 32
 *outputs) so that consecutive TDPBF16PS do not wait on each other.
 *
 * Linked into every library compiled for an AMX target (LibraryEmitter) and
 * into the compiler, whose JIT (tests, `bertc tune`) resolves it by address.
 *===----------------------------------------------------------------------===*/
#ifndef BERT_COMPILER_BACKEND_CPU_AMX_AMXGEMM_H
#define BERT_COMPILER_BACKEND_CPU_AMX_AMXGEMM_H

#include "HalideRuntime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The extern stages' C names (the kernels name them in define_extern). */
#define BERT_AMX_BF16_GEMM_NAME "bert_amx_bf16_gemm"
#define BERT_AMX_I8_GEMM_NAME "bert_amx_i8_gemm"

/* acc[m, n] = sum_k x[m, k] * w[n, k] over acc's region (dims: n, m), bf16
 * products summed in fp32.
 *   k, n: the linear's K (a multiple of 32) and N (a multiple of 16).
 *   nb:   the weights' panel width (a multiple of 16).
 *   x:    bf16 (K, M), row pitch x->dim[1].stride (X, rounded by the kernel).
 *   w:    bf16 VNNI pairs in the BF16Layout of kernels/Kernels.h: (2, nb,
 *         K/2, numPanels); a block's columns may straddle panels.
 *   acc:  f32 (cols, rows) of the block; cols a multiple of 16.
 * In a bounds query (a buffer without host memory) it names the region of
 * x and w the block reads, where they are queries, and computes nothing.
 * Returns 0, or -1 where AMX is unavailable (a build for another
 * architecture) or the shape does not fit. */
int bert_amx_bf16_gemm(int32_t k, int32_t n, int32_t nb, halide_buffer_t *x,
                       halide_buffer_t *w, halide_buffer_t *acc);

/* acc[m, n] = sum_k x[m, k] * w[n, k] in int32 (TDPBUSD), as above with
 *   k:    a multiple of 64;
 *   x:    u8 (K, M), the quantized activations;
 *   w:    s8 in the Int8Layout of kernels/Kernels.h: (4, nb, K/4,
 *         numPanels), k-quads of each column (the VNNI panels);
 *   acc:  i32 (cols, rows).
 * Returns 0, or -1 where AMX is unavailable or the shape does not fit. */
int bert_amx_i8_gemm(int32_t k, int32_t n, int32_t nb, halide_buffer_t *x,
                     halide_buffer_t *w, halide_buffer_t *acc);

/* The same blocks built against the emulated tiles (amx/AmxEmulator.h):
 * defined only in test binaries, which link both and run these on every
 * CPU. */
int bert_amx_emu_bf16_gemm(int32_t k, int32_t n, int32_t nb, halide_buffer_t *x,
                           halide_buffer_t *w, halide_buffer_t *acc);
int bert_amx_emu_i8_gemm(int32_t k, int32_t n, int32_t nb, halide_buffer_t *x,
                         halide_buffer_t *w, halide_buffer_t *acc);

#ifdef __cplusplus
}
#endif

#endif /* BERT_COMPILER_BACKEND_CPU_AMX_AMXGEMM_H */
