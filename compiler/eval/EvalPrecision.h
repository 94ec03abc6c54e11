//===- EvalPrecision.h - operand rounding of the reference evaluator ------===//
//
// Used by the evaluator's op kernels (EvalOps.cpp);
// the definitions and their reasons are in EvalPrecision.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_EVAL_EVALPRECISION_H
#define BERT_EVAL_EVALPRECISION_H

#include "dialect/BertDialect.h"

#include <cstdint>

namespace mlir::bert::eval {

float roundToBF16(float v);
float roundToF16(float v);
/// An operand of a product under `precision` (f32 and i8 unchanged).
double roundOperand(float v, Precision precision);
/// i8 weights: one channel of `k` values, symmetric; returns the scale.
float quantizeChannel(const float *v, int64_t k, int32_t *q);
/// i8 activations: one row, asymmetric (q - zero point in `q`); returns the
/// scale.
float quantizeRowAsym(const float *v, int64_t k, int32_t *q);

} // namespace mlir::bert::eval

#endif // BERT_EVAL_EVALPRECISION_H
