/*===- convert.c - Half and bfloat16 tensors to float32 -------------------===*\
|*                                                                            *|
|* The one conversion of file dtypes to float32, used by the loader and by    *|
|* the compiler tools (through safetensors.h). Exact: every half and bfloat16 *|
|* value is a float32 value. Data is little-endian, as the host.              *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "safetensors.h"

#include <string.h>

float bert_half_to_float(uint16_t h) {
  /* binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits. Normal
   * numbers rebias the exponent (+112), Inf/NaN keep an all-ones one. */
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu, bits;
  float out;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13); /* inf / nan */
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    /* Subnormal half: normalize; its value is mant * 2^-24. */
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while (!(mant & 0x400u));
    bits = sign | ((uint32_t)(112 - e) << 23) | ((mant & 0x3FFu) << 13);
  }
  memcpy(&out, &bits, sizeof(out));
  return out;
}

float bert_bf16_to_float(uint16_t b) {
  /* bfloat16 is the upper half of a binary32. */
  uint32_t bits = (uint32_t)b << 16;
  float out;
  memcpy(&out, &bits, sizeof(out));
  return out;
}

int bert_st_convert_f32(const bert_st_tensor *t, int64_t first, int64_t count,
                        float *dst) {
  int64_t i;
  uint16_t h;
  switch (t->dtype) {
  case BERT_ST_F32:
    memcpy(dst, t->data + 4 * first, (size_t)count * 4);
    return 0;
  case BERT_ST_F16:
    for (i = 0; i < count; ++i) {
      memcpy(&h, t->data + 2 * (first + i), 2);
      dst[i] = bert_half_to_float(h);
    }
    return 0;
  case BERT_ST_BF16:
    for (i = 0; i < count; ++i) {
      memcpy(&h, t->data + 2 * (first + i), 2);
      dst[i] = bert_bf16_to_float(h);
    }
    return 0;
  default:
    return -1;
  }
}
