//===- EvalPrecision.cpp - operand rounding of the reference evaluator ----===//
//
// What a precision attribute does to the operands of a product, written from
// the number formats' definitions (never from the kernels or the runtime):
// bf16 and f16 rounding, and i8's per-channel and per-row quantization.
//
//===----------------------------------------------------------------------===//

#include "compiler/eval/EvalPrecision.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir::bert;

/// `v` rounded to bfloat16 (nearest even), as a float: what `precision =
/// bf16` does to a linear's operands. Written from the format's definition
/// (keep the top 16 bits after rounding the low 16), not from the kernels.
float mlir::bert::eval::roundToBF16(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  uint32_t lsb = (u >> 16) & 1u;
  u = (u + 0x7fffu + lsb) & 0xffff0000u;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

/// `v` rounded to IEEE half (nearest even) and saturated to +-65504, as a
/// float: what `precision = f16` does to an operand. From the format's
/// definition: 11 significant bits down to 2^-14, then a fixed step of
/// 2^-24 (subnormals); beyond the largest half the value (inf included)
/// saturates, as bert.linear defines it; NaN stays NaN.
float mlir::bert::eval::roundToF16(float v) {
  if (std::isnan(v) || v == 0.0f)
    return v;
  int e;
  std::frexp(v, &e); // |v| in [2^(e-1), 2^e)
  double step = std::ldexp(1.0, std::max(e, -13) - 11);
  double r = std::nearbyint(double(v) / step) * step;
  return float(std::clamp(r, -65504.0, 65504.0));
}

/// An operand of a product under `precision` (f32 and i8: unchanged here;
/// i8 quantizes in linearI8).
double mlir::bert::eval::roundOperand(float v, Precision precision) {
  if (precision == Precision::bf16)
    return roundToBF16(v);
  if (precision == Precision::f16)
    return roundToF16(v);
  return v;
}

/// `precision = i8`'s quantization of one weight channel of `k` values
/// (bert.linear's definition): q = round(v * 127 / max |v|), half to even, in
/// [-127, 127]; returns the scale max |v| / 127 (0 for a zero channel).
float mlir::bert::eval::quantizeChannel(const float *v, int64_t k, int32_t *q) {
  float absmax = 0.f;
  for (int64_t i = 0; i < k; ++i)
    absmax = std::max(absmax, std::fabs(v[i]));
  float inv = absmax > 0.f ? 127.f / absmax : 0.f;
  for (int64_t i = 0; i < k; ++i)
    q[i] = int32_t(std::clamp(std::nearbyint(v[i] * inv), -127.f, 127.f));
  return absmax / 127.f;
}

/// ... and of one input row: its range [lo, hi] widened to include 0,
/// scale (hi - lo) / 255, zero point z = round(-lo * 255 / (hi - lo)),
/// q = round(v * 255 / (hi - lo)) + z in [0, 255]; `q` gets q - z. Returns
/// the scale.
float mlir::bert::eval::quantizeRowAsym(const float *v, int64_t k, int32_t *q) {
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < k; ++i) {
    lo = std::min(lo, v[i]);
    hi = std::max(hi, v[i]);
  }
  float inv = hi > lo ? 255.f / (hi - lo) : 0.f;
  float zero = std::nearbyint(-lo * inv);
  for (int64_t i = 0; i < k; ++i)
    q[i] = int32_t(std::clamp(std::nearbyint(v[i] * inv) + zero, 0.f, 255.f) -
                   zero);
  return (hi - lo) / 255.f;
}
