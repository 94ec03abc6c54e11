//===- EvalRelativeAttention.cpp - reference bert.relative_attention ------===//
//
// XLNet's relative attention as the op's ODS description states it, written
// per (query i, key j) pair rather than with transformers' [B, H, S, 2S]
// position scores and rel_shift: the shift only selects, for each pair, the
// position key of the relative distance i - j, which is what this reads
// directly. Sums in double. The sinusoids (bert.relative_positions) are
// formed in float as transformers forms them (float inverse frequencies,
// float products), so that rounding of the angle matches.
//
//===----------------------------------------------------------------------===//

#include "compiler/eval/EvalOps.h"
#include "dialect/BertOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::bert;

/// transformers' relative_positional_encoding for bi-directional attention
/// without memories: row p of 2S is the encoding of relative distance S - p
/// (pos_seq = arange(S, -S, -1)), as bert.relative_positions states it.
LogicalResult mlir::bert::evalRelativePositions(Operation *op,
                                                ArrayRef<const Tensor *> in,
                                                Tensor &out) {
  auto rp = cast<RelativePositionsOp>(op);
  const Tensor &mask = *in[0];
  if (mask.rank() != 2)
    return op->emitOpError() << "cannot be evaluated: mask "
                             << shapeToString(mask.shape) << " must be [B, S]";
  int64_t seq = mask.dim(1), clampLen = rp.getClampLen();
  int64_t hidden = cast<RankedTensorType>(rp.getType()).getDimSize(2);
  int64_t half = hidden / 2;
  out = Tensor::floats({2, seq, hidden});
  for (int64_t p = 0; p < 2 * seq; ++p) {
    int64_t rel = seq - p;
    if (clampLen > 0)
      rel = std::max(-clampLen, std::min(clampLen, rel));
    for (int64_t k = 0; k < half; ++k) {
      float invFreq = 1.0f / std::pow(10000.0f, float(2 * k) / float(hidden));
      float angle = float(rel) * invFreq;
      out.f[p * hidden + k] = float(std::sin(double(angle)));
      out.f[p * hidden + half + k] = float(std::cos(double(angle)));
    }
  }
  return success();
}

LogicalResult mlir::bert::evalRelativeAttention(Operation *op,
                                                ArrayRef<const Tensor *> in,
                                                Tensor &out) {
  auto ra = cast<RelativeAttentionOp>(op);
  const Tensor &q = *in[0], &k = *in[1], &v = *in[2], &kr = *in[3],
               &mask = *in[4], &types = *in[5];
  if (q.rank() != 3 || k.shape != q.shape || v.shape != q.shape ||
      ArrayRef<int64_t>(kr.shape) !=
          ArrayRef<int64_t>({2, q.dim(1), q.dim(2)}) ||
      ArrayRef<int64_t>(mask.shape) !=
          ArrayRef<int64_t>({q.dim(0), q.dim(1)}) ||
      types.shape != mask.shape)
    return op->emitOpError()
           << "cannot be evaluated: query " << shapeToString(q.shape)
           << ", key " << shapeToString(k.shape) << ", value "
           << shapeToString(v.shape) << ", position_keys "
           << shapeToString(kr.shape) << ", mask " << shapeToString(mask.shape)
           << " and token_type_ids " << shapeToString(types.shape)
           << " must be [B, S, H] (three times), [2, S, H], [B, S], [B, S]";
  const Tensor &rw = *in[6], &rr = *in[7], &rs = *in[8], &seg = *in[9];
  int64_t batch = q.dim(0), seq = q.dim(1), hidden = q.dim(2);
  int64_t heads = ra.getNumHeads(), d = hidden / heads;
  double scale = 1.0 / std::sqrt(double(d));

  out = Tensor::floats({batch, seq, hidden});
  std::vector<double> score(seq);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t base = b * seq * hidden;
    const int32_t *mb = mask.i.data() + b * seq, *tb = types.i.data() + b * seq;
    for (int64_t n = 0; n < heads; ++n)
      for (int64_t i = 0; i < seq; ++i) {
        const float *qi = &q.f[base + i * hidden + n * d];
        double mx = -INFINITY;
        for (int64_t j = 0; j < seq; ++j) {
          // non_tgt_mask: a padded key is excluded, except the query itself.
          if (mb[j] == 0 && j != i) {
            score[j] = -INFINITY;
            continue;
          }
          const float *kj = &k.f[base + j * hidden + n * d];
          // The row of relative distance i - j (transformers' rel_shift).
          const float *krp = &kr.f[(seq - i + j) * hidden + n * d];
          const float *sj = &seg.f[(tb[i] != tb[j] ? 1 : 0) * hidden + n * d];
          double s = 0.0;
          for (int64_t e = 0; e < d; ++e)
            s += (double(qi[e]) + rw.f[n * d + e]) * kj[e] +
                 (double(qi[e]) + rr.f[n * d + e]) * krp[e] +
                 (double(qi[e]) + rs.f[n * d + e]) * sj[e];
          score[j] = s * scale;
          mx = std::max(mx, score[j]);
        }
        double sum = 0.0;
        for (int64_t j = 0; j < seq; ++j)
          sum += score[j] = std::exp(score[j] - mx);
        for (int64_t e = 0; e < d; ++e) {
          double acc = 0.0;
          for (int64_t j = 0; j < seq; ++j)
            acc += score[j] * v.f[base + j * hidden + n * d + e];
          out.f[base + i * hidden + n * d + e] = float(acc / sum);
        }
      }
  }
  return success();
}
