//===- EvalRelativeAttention.cpp - reference bert.relative_attention ------===//
//
// XLNet's relative attention as the op's ODS description states it, written
// per (query i, key j) pair rather than with transformers' [B, H, S, 2S]
// position scores and rel_shift: the shift only selects, for each pair, the
// position score of the relative distance i - j, which is what this computes
// directly. Sums in double; the sinusoid is formed in float as transformers
// forms it (float inverse frequencies, float products), so that rounding of
// the angle matches.
//
//===----------------------------------------------------------------------===//

#include "compiler/eval/EvalOps.h"
#include "dialect/BertOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::bert;

namespace {
/// One projection with an einsum weight [H, n, d] seen as [H, n * d]:
/// out[t, c] = sum_h x[t, h] * w[h, c] for `rows` rows of `x`.
std::vector<double> project(const float *x, int64_t rows, const Tensor &w) {
  int64_t h = w.dim(0), cols = w.numel() / h;
  std::vector<double> out(rows * cols, 0.0);
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t k = 0; k < h; ++k) {
      double xv = x[t * h + k];
      for (int64_t c = 0; c < cols; ++c)
        out[t * cols + c] += xv * w.f[k * cols + c];
    }
  return out;
}
} // namespace

/// transformers' relative_positional_encoding for bi-directional attention:
/// row p is the encoding of relative position (S - 1) - p, i.e. rows for the
/// distances S-1 down to -(S-1) (the row for distance S that transformers
/// also builds is never selected by rel_shift without memories).
static std::vector<float> sinusoids(int64_t seq, int64_t hidden,
                                    int64_t clampLen) {
  int64_t half = hidden / 2, rows = 2 * seq - 1;
  std::vector<float> out(rows * hidden);
  for (int64_t p = 0; p < rows; ++p) {
    int64_t rel = (seq - 1) - p;
    if (clampLen > 0)
      rel = std::max(-clampLen, std::min(clampLen, rel));
    for (int64_t k = 0; k < half; ++k) {
      float invFreq = 1.0f / std::pow(10000.0f, float(2 * k) / float(hidden));
      float angle = float(rel) * invFreq;
      out[p * hidden + k] = float(std::sin(double(angle)));
      out[p * hidden + half + k] = float(std::cos(double(angle)));
    }
  }
  return out;
}

LogicalResult mlir::bert::evalRelativeAttention(Operation *op,
                                                ArrayRef<const Tensor *> in,
                                                Tensor &out) {
  auto ra = cast<RelativeAttentionOp>(op);
  const Tensor &x = *in[0], &mask = *in[1], &types = *in[2];
  if (x.rank() != 3 ||
      ArrayRef<int64_t>(mask.shape) !=
          ArrayRef<int64_t>({x.dim(0), x.dim(1)}) ||
      types.shape != mask.shape)
    return op->emitOpError()
           << "cannot be evaluated: input " << shapeToString(x.shape)
           << ", mask " << shapeToString(mask.shape) << " and token_type_ids "
           << shapeToString(types.shape)
           << " must be [B, S, H], [B, S], [B, S]";
  const Tensor &wq = *in[3], &wk = *in[4], &wv = *in[5], &wo = *in[6],
               &wr = *in[7], &rw = *in[8], &rr = *in[9], &rs = *in[10],
               &seg = *in[11];
  int64_t batch = x.dim(0), seq = x.dim(1), hidden = x.dim(2);
  int64_t heads = ra.getNumHeads(), d = hidden / heads;
  double scale = 1.0 / std::sqrt(double(d));

  // kr(p) = r(p) · Wr for every relative distance, shared by the batch.
  std::vector<float> r = sinusoids(seq, hidden, ra.getClampLen());
  std::vector<double> kr = project(r.data(), 2 * seq - 1, wr);

  out = Tensor::floats({batch, seq, hidden});
  std::vector<double> score(seq), ctx(seq * hidden);
  for (int64_t b = 0; b < batch; ++b) {
    const float *xb = x.f.data() + b * seq * hidden;
    const int32_t *mb = mask.i.data() + b * seq, *tb = types.i.data() + b * seq;
    std::vector<double> q = project(xb, seq, wq), k = project(xb, seq, wk),
                        v = project(xb, seq, wv);
    for (int64_t n = 0; n < heads; ++n)
      for (int64_t i = 0; i < seq; ++i) {
        const double *qi = &q[i * hidden + n * d];
        double mx = -INFINITY;
        for (int64_t j = 0; j < seq; ++j) {
          // non_tgt_mask: a padded key is excluded, except the query itself.
          if (mb[j] == 0 && j != i) {
            score[j] = -INFINITY;
            continue;
          }
          const double *kj = &k[j * hidden + n * d];
          const double *krp = &kr[((seq - 1) - (i - j)) * hidden + n * d];
          const float *sj = &seg.f[(tb[i] != tb[j] ? 1 : 0) * hidden + n * d];
          double s = 0.0;
          for (int64_t e = 0; e < d; ++e)
            s += (qi[e] + rw.f[n * d + e]) * kj[e] +
                 (qi[e] + rr.f[n * d + e]) * krp[e] +
                 (qi[e] + rs.f[n * d + e]) * sj[e];
          score[j] = s * scale;
          mx = std::max(mx, score[j]);
        }
        double sum = 0.0;
        for (int64_t j = 0; j < seq; ++j)
          sum += score[j] = std::exp(score[j] - mx);
        for (int64_t e = 0; e < d; ++e) {
          double acc = 0.0;
          for (int64_t j = 0; j < seq; ++j)
            acc += score[j] * v[j * hidden + n * d + e];
          ctx[i * hidden + n * d + e] = acc / sum;
        }
      }
    // out[i, h] = sum_c ctx[i, c] * Wo[h, c]: Wo [H, n, d] is nn.Linear's
    // [out, in] already.
    for (int64_t i = 0; i < seq; ++i)
      for (int64_t h = 0; h < hidden; ++h) {
        double acc = 0.0;
        for (int64_t c = 0; c < hidden; ++c)
          acc += ctx[i * hidden + c] * wo.f[h * hidden + c];
        out.f[(b * seq + i) * hidden + h] = float(acc);
      }
  }
  return success();
}
