/*===- AmxPeak.c - TDPBF16PS throughput probe for bert-backend-bench -----===
 *
 * One thread issuing TDPBF16PS into four independent accumulator tiles (the
 * AMX block's 2 x 2 pattern, without its loads): the bf16 tile peak of the
 * core it runs on, 16 x 16 x 32 multiply-adds per instruction. The bench
 * prints a kernel's GFLOP/s next to it, measured at the same moment, since
 * this machine's load moves absolute figures by 2x.
 *===----------------------------------------------------------------------===*/
#include <stdint.h>
#include <time.h>

double bert_amx_peak_gflops(long iters);

#if defined(__x86_64__) &&                                                     \
    (defined(__GNUC__) && (__GNUC__ >= 11 || defined(__clang__)))
#include <immintrin.h>

__attribute__((target("amx-tile,amx-bf16"))) double
bert_amx_peak_gflops(long iters) {
  static char zeros[1024] __attribute__((aligned(64)));
  /* LDTILECFG's 64 bytes: palette 1, then 16-bit bytes per row and 8-bit
   * rows per tile; eight tiles of 16 rows x 64 bytes. */
  uint8_t cfg[64] = {1};
  struct timespec t0, t1;
  long i;
  for (i = 0; i < 8; ++i) {
    cfg[16 + 2 * i] = 64;
    cfg[48 + i] = 16;
  }
  _tile_loadconfig(cfg);
  _tile_loadd(4, zeros, 64);
  _tile_loadd(5, zeros, 64);
  _tile_loadd(6, zeros, 64);
  _tile_loadd(7, zeros, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (i = 0; i < iters; ++i) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  _tile_release();
  return iters * 4.0 * 16 * 16 * 32 * 2 /
         ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9) * 1e-9;
}
#else
double bert_amx_peak_gflops(long iters) {
  (void)iters;
  return 0;
}
#endif
