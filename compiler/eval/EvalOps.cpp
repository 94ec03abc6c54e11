//===- EvalOps.cpp - op kernels of the reference evaluator ----------------===//
//
// One kernel per bert op, each the literal formula of the op's ODS
// description: plain loops over row-major data, sums accumulated in double,
// results rounded to float once. Every kernel first checks the run-time
// shapes of its operands (dynamic dims only become known here) and reports a
// mismatch at the op instead of reading out of bounds.
//
// Masking follows Hugging Face literally: a padded key's float score gets
// std::numeric_limits<float>::lowest() *added in float arithmetic* (so the
// score becomes `lowest` up to rounding), then the softmax runs in double.
//
//===----------------------------------------------------------------------===//

#include "compiler/eval/EvalOps.h"
#include "compiler/eval/EvalPrecision.h"
#include "dialect/BertOps.h"
#include "runtime/src/hadamard.h"

#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::bert;
using namespace mlir::bert::eval;

std::string mlir::bert::shapeToString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// Scalar formulas
//===----------------------------------------------------------------------===//

/// GELU, exact: x * 0.5 * (1 + erf(x / sqrt(2))).
static double geluExact(double x) {
  return x * 0.5 * (1.0 + std::erf(x / std::sqrt(2.0)));
}

/// GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
static double geluTanh(double x) {
  return 0.5 * x *
         (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

static double activate(double x, Activation act) {
  switch (act) {
  case Activation::none:
    return x;
  case Activation::gelu:
    return geluExact(x);
  case Activation::gelu_tanh:
    return geluTanh(x);
  case Activation::relu:
    return x > 0.0 ? x : 0.0;
  case Activation::silu:
    return x * sigmoid(x);
  case Activation::quick_gelu:
    return x * sigmoid(1.702 * x);
  case Activation::tanh:
    return std::tanh(x);
  }
  llvm_unreachable("unknown activation");
}

/// The score a key contributes to the softmax: unchanged when mask == 1,
/// `score + lowest` (computed in float, as Hugging Face does) when mask == 0.
static float maskedScore(float score, int32_t mask) {
  if (mask != 0)
    return score;
  return score + std::numeric_limits<float>::lowest();
}

/// softmax over `n` float scores, in place: exp(s_i - max) / sum_j exp(s_j -
/// max).
static void softmaxInPlace(float *s, int64_t n) {
  double mx = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < n; ++j)
    mx = std::max(mx, double(s[j]));
  double sum = 0.0;
  std::vector<double> e(n);
  for (int64_t j = 0; j < n; ++j)
    sum += e[j] = std::exp(double(s[j]) - mx);
  for (int64_t j = 0; j < n; ++j)
    s[j] = float(e[j] / sum);
}

/// (x - mean) / sqrt(var + eps) * gamma + beta over one row of `n` values;
/// mean and biased variance in double.
static void layerNormRow(const float *x, const float *gamma, const float *beta,
                         double eps, int64_t n, float *out) {
  double mean = 0.0;
  for (int64_t j = 0; j < n; ++j)
    mean += x[j];
  mean /= double(n);
  double var = 0.0;
  for (int64_t j = 0; j < n; ++j)
    var += (x[j] - mean) * (x[j] - mean);
  var /= double(n);
  double inv = 1.0 / std::sqrt(var + eps);
  for (int64_t j = 0; j < n; ++j)
    out[j] = float((x[j] - mean) * inv * gamma[j] + beta[j]);
}

//===----------------------------------------------------------------------===//
// Run-time shape checks
//===----------------------------------------------------------------------===//

namespace {
/// Collects the first shape error of a kernel and reports it at the op.
struct Check {
  Operation *op;
  bool ok = true;

  /// Requires `cond`; otherwise reports `msg` (the first failure only).
  Check &require(bool cond, const llvm::Twine &msg) {
    if (ok && !cond) {
      op->emitOpError() << "cannot be evaluated: " << msg.str();
      ok = false;
    }
    return *this;
  }
  Check &rank(const Tensor &t, StringRef what, int64_t r) {
    return require(t.rank() == r, what + " must have rank " + llvm::Twine(r) +
                                      ", got " + shapeToString(t.shape));
  }
  Check &shape(const Tensor &t, StringRef what, ArrayRef<int64_t> s) {
    return require(ArrayRef<int64_t>(t.shape) == s,
                   what + " has shape " + shapeToString(t.shape) +
                       ", expected " + shapeToString(s));
  }
  Check &isFloat(const Tensor &t, StringRef what) {
    return require(!t.isInt, what + " must be a float tensor");
  }
  Check &isInt(const Tensor &t, StringRef what) {
    return require(t.isInt, what + " must be an int32 tensor");
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// Shared kernels
//===----------------------------------------------------------------------===//

/// The i8 linear: exact integer sums of the quantized rows and channels,
/// scaled back by both scales; with `hadamard` > 0 the rows of x and w are
/// rotated first (runtime/src/hadamard.h, the transform's one definition).
static Tensor linearI8(const Tensor &x, const Tensor &w, const Tensor *b,
                       Activation act, int64_t hadamard, Tensor out) {
  int64_t k = x.dim(-1), n = w.dim(0), rows = x.numel() / k;
  std::vector<int32_t> qw(static_cast<size_t>(n * k)),
      qx(static_cast<size_t>(k));
  std::vector<float> sw(static_cast<size_t>(n)), row(static_cast<size_t>(k));
  auto rotated = [&](const float *v) {
    if (hadamard <= 0)
      return v;
    std::copy(v, v + k, row.begin());
    bert_hadamard_row(row.data(), k, hadamard);
    return static_cast<const float *>(row.data());
  };
  for (int64_t j = 0; j < n; ++j)
    sw[j] = quantizeChannel(rotated(&w.f[j * k]), k, &qw[j * k]);
  for (int64_t r = 0; r < rows; ++r) {
    float sx = quantizeRowAsym(rotated(&x.f[r * k]), k, qx.data());
    for (int64_t j = 0; j < n; ++j) {
      int64_t dot = 0;
      for (int64_t i = 0; i < k; ++i)
        dot += int64_t(qx[i]) * qw[j * k + i];
      double acc = double(dot) * sx * sw[j] + (b ? b->f[j] : 0.0);
      out.f[r * n + j] = float(activate(acc, act));
    }
  }
  return out;
}

/// result[r, n] = act(sum_k x[r, k] * w[n, k] + b[n]) over all leading rows
/// r; with `precision = bf16` (f16) x and w are rounded to bf16 (f16) first,
/// with `i8`
/// both are quantized (linearI8).
static Tensor linear(const Tensor &x, const Tensor &w, const Tensor *b,
                     Activation act, Precision precision = Precision::f32,
                     int64_t hadamard = 0) {
  int64_t k = x.dim(-1), n = w.dim(0), rows = x.numel() / k;
  std::vector<int64_t> shape = x.shape;
  shape.back() = n;
  Tensor out = Tensor::floats(shape);
  if (precision == Precision::i8)
    return linearI8(x, w, b, act, hadamard, std::move(out));
  auto operand = [&](float v) { return roundOperand(v, precision); };
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      double acc = b ? b->f[j] : 0.0;
      for (int64_t i = 0; i < k; ++i)
        acc += operand(x.f[r * k + i]) * operand(w.f[j * k + i]);
      out.f[r * n + j] = float(activate(acc, act));
    }
  return out;
}

static Check &checkLinear(Check &c, const Tensor &x, const Tensor &w,
                          const Tensor *b) {
  c.require(x.rank() >= 1, "input must have rank >= 1");
  if (!c.ok)
    return c;
  c.rank(w, "weight", 2);
  if (!c.ok)
    return c;
  c.require(w.dim(1) == x.dim(-1), "weight " + shapeToString(w.shape) +
                                       " does not match input " +
                                       shapeToString(x.shape));
  if (b)
    c.shape(*b, "bias", {w.dim(0)});
  return c;
}

/// Multi-head attention core on [B, S, H] tensors with heads interleaved
/// (head h owns columns h*d .. h*d+d-1):
///   p[b,h,q,:] = softmax_k(mask(scale * sum_i Q[b,q,h*d+i] K[b,k,h*d+i]))
///   out[b,q,h*d+i] = sum_k p[b,h,q,k] V[b,k,h*d+i].
///   With `precision = bf16`, Q and K are rounded to bf16 before their
///   products, p and V before theirs (bert.batch_matmul's definition).
static Tensor attentionCore(const Tensor &q, const Tensor &k, const Tensor &v,
                            const Tensor &mask, int64_t heads, double scale,
                            Precision precision) {
  int64_t batch = q.dim(0), seq = q.dim(1), hidden = q.dim(2);
  int64_t d = hidden / heads;
  Tensor out = Tensor::floats(q.shape);
  std::vector<float> p(seq);
  auto operand = [&](float x) { return roundOperand(x, precision); };
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t qi = 0; qi < seq; ++qi) {
        for (int64_t ki = 0; ki < seq; ++ki) {
          double dot = 0.0;
          for (int64_t i = 0; i < d; ++i)
            dot += operand(q.f[(b * seq + qi) * hidden + h * d + i]) *
                   operand(k.f[(b * seq + ki) * hidden + h * d + i]);
          p[ki] = maskedScore(float(scale * dot), mask.i[b * seq + ki]);
        }
        softmaxInPlace(p.data(), seq);
        for (int64_t i = 0; i < d; ++i) {
          double acc = 0.0;
          for (int64_t ki = 0; ki < seq; ++ki)
            acc += operand(p[ki]) *
                   operand(v.f[(b * seq + ki) * hidden + h * d + i]);
          out.f[(b * seq + qi) * hidden + h * d + i] = float(acc);
        }
      }
  return out;
}

/// word[ids[b,s]] + position[s] + token_type[tt[b,s]], ids checked in range.
/// The position row of token (b, s): s, or with a padding index (RoBERTa)
/// padding_idx + the count of non-padding ids up to s in the row, and
/// padding_idx itself for a padding id.
static std::vector<int64_t> positionIds(const Tensor &ids,
                                        std::optional<int64_t> paddingIdx) {
  int64_t batch = ids.dim(0), seq = ids.dim(1);
  std::vector<int64_t> pos(batch * seq);
  for (int64_t b = 0; b < batch; ++b) {
    int64_t count = 0;
    for (int64_t s = 0; s < seq; ++s) {
      int64_t id = ids.i[b * seq + s];
      if (!paddingIdx)
        pos[b * seq + s] = s;
      else if (id == *paddingIdx)
        pos[b * seq + s] = *paddingIdx;
      else
        pos[b * seq + s] = *paddingIdx + ++count;
    }
  }
  return pos;
}

/// word[ids] (+ position[pos]) (+ type[tt]) (+ lang[langs]); `pos` may be
/// null (XLNet), `tt` and `type` may be, and so may `langs` and `lang`.
static LogicalResult embeddingSum(Check &c, const Tensor &ids, const Tensor *tt,
                                  const Tensor &word, const Tensor *pos,
                                  const Tensor *type, const Tensor *langs,
                                  const Tensor *lang,
                                  std::optional<int64_t> paddingIdx,
                                  Tensor &out) {
  c.isInt(ids, "input_ids").rank(ids, "input_ids", 2);
  c.require(!tt == !type, "token_type_ids and the token type table go "
                          "together");
  c.require(!langs == !lang, "langs and the language table go together");
  if (tt)
    c.isInt(*tt, "token_type_ids").shape(*tt, "token_type_ids", ids.shape);
  if (langs)
    c.isInt(*langs, "langs").shape(*langs, "langs", ids.shape);
  c.rank(word, "word table", 2);
  if (pos)
    c.rank(*pos, "position table", 2);
  if (type)
    c.rank(*type, "token type table", 2);
  if (lang)
    c.rank(*lang, "language table", 2);
  if (!c.ok)
    return failure();
  int64_t batch = ids.dim(0), seq = ids.dim(1), hidden = word.dim(1);
  c.require((!pos || pos->dim(1) == hidden) &&
                (!type || type->dim(1) == hidden) &&
                (!lang || lang->dim(1) == hidden),
            "embedding tables disagree on the hidden size");
  for (int64_t j = 0; c.ok && langs && j < ids.numel(); ++j)
    c.require(langs->i[j] >= 0 && langs->i[j] < lang->dim(0),
              "language " + llvm::Twine(langs->i[j]) + " is outside [0, " +
                  llvm::Twine(lang->dim(0)) + ")");
  for (int64_t j = 0; c.ok && j < ids.numel(); ++j) {
    c.require(ids.i[j] >= 0 && ids.i[j] < word.dim(0),
              "input id " + llvm::Twine(ids.i[j]) + " is outside [0, " +
                  llvm::Twine(word.dim(0)) + ")");
    if (tt)
      c.require(tt->i[j] >= 0 && tt->i[j] < type->dim(0),
                "token type " + llvm::Twine(tt->i[j]) + " is outside [0, " +
                    llvm::Twine(type->dim(0)) + ")");
  }
  std::vector<int64_t> positions = positionIds(ids, paddingIdx);
  for (int64_t j = 0; c.ok && pos && j < ids.numel(); ++j)
    c.require(positions[j] < pos->dim(0),
              "position " + llvm::Twine(positions[j]) + " exceeds the " +
                  llvm::Twine(pos->dim(0)) + " position embeddings");
  if (!c.ok)
    return failure();
  out = Tensor::floats({batch, seq, hidden});
  for (int64_t t = 0; t < batch * seq; ++t) {
    int64_t id = ids.i[t], p = positions[t];
    for (int64_t j = 0; j < hidden; ++j) {
      double sum = double(word.f[id * hidden + j]);
      if (pos)
        sum += pos->f[p * hidden + j];
      if (type)
        sum += type->f[tt->i[t] * hidden + j];
      if (lang)
        sum += lang->f[langs->i[t] * hidden + j];
      out.f[t * hidden + j] = float(sum);
    }
  }
  return success();
}

/// layer_norm over the last dimension of every row of x.
static LogicalResult layerNorm(Check &c, const Tensor &x, const Tensor &gamma,
                               const Tensor &beta, double eps, Tensor &out) {
  c.require(x.rank() >= 1, "input must have rank >= 1");
  if (!c.ok)
    return failure();
  int64_t n = x.dim(-1);
  c.shape(gamma, "gamma", {n}).shape(beta, "beta", {n});
  if (!c.ok)
    return failure();
  out = Tensor::floats(x.shape);
  for (int64_t r = 0; r < x.numel() / std::max<int64_t>(n, 1); ++r)
    layerNormRow(&x.f[r * n], gamma.f.data(), beta.f.data(), eps, n,
                 &out.f[r * n]);
  return success();
}

/// The mask must be [B, S] int32 for activations with batch B, keys S.
static Check &checkMask(Check &c, const Tensor &mask, int64_t batch,
                        int64_t seq) {
  return c.isInt(mask, "mask").shape(mask, "mask", {batch, seq});
}

//===----------------------------------------------------------------------===//
// Per-op kernels
//===----------------------------------------------------------------------===//

/// [B, S, H] -> [B, heads, S, d]: result[b,h,s,i] = input[b,s,h*d+i].
static Tensor splitHeads(const Tensor &x, int64_t heads) {
  int64_t batch = x.dim(0), seq = x.dim(1), hidden = x.dim(2);
  int64_t d = hidden / heads;
  Tensor out = Tensor::floats({batch, heads, seq, d});
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t s = 0; s < seq; ++s)
        for (int64_t i = 0; i < d; ++i)
          out.f[((b * heads + h) * seq + s) * d + i] =
              x.f[(b * seq + s) * hidden + h * d + i];
  return out;
}

/// [B, heads, S, d] -> [B, S, heads*d]: result[b,s,h*d+i] = input[b,h,s,i].
static Tensor mergeHeads(const Tensor &x) {
  int64_t batch = x.dim(0), heads = x.dim(1), seq = x.dim(2), d = x.dim(3);
  Tensor out = Tensor::floats({batch, seq, heads * d});
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t s = 0; s < seq; ++s)
        for (int64_t i = 0; i < d; ++i)
          out.f[(b * seq + s) * heads * d + h * d + i] =
              x.f[((b * heads + h) * seq + s) * d + i];
  return out;
}

/// result[..., m, n] = scale * sum_k lhs[..., m, k] * rhs[..., k, n]
/// (rhs[..., n, k] with transpose_rhs); bf16 and f16 round both operands
/// first.
static LogicalResult batchMatmul(Check &c, const Tensor &a, const Tensor &b,
                                 bool transposeRhs, double scale,
                                 Precision precision, Tensor &out) {
  int64_t rank = a.rank();
  c.require(rank >= 2 && b.rank() == rank,
            "operands must have the same rank >= 2, got " +
                shapeToString(a.shape) + " and " + shapeToString(b.shape));
  if (!c.ok)
    return failure();
  c.require(ArrayRef<int64_t>(a.shape).drop_back(2) ==
                ArrayRef<int64_t>(b.shape).drop_back(2),
            "batch dimensions differ: " + shapeToString(a.shape) + " and " +
                shapeToString(b.shape));
  int64_t m = a.dim(-2), k = a.dim(-1);
  int64_t rk = transposeRhs ? b.dim(-1) : b.dim(-2);
  int64_t n = transposeRhs ? b.dim(-2) : b.dim(-1);
  c.require(k == rk, "contraction sizes differ: " + shapeToString(a.shape) +
                         " and " + shapeToString(b.shape));
  if (!c.ok)
    return failure();
  std::vector<int64_t> shape = a.shape;
  shape[rank - 1] = n;
  out = Tensor::floats(shape);
  int64_t batches = a.numel() / std::max<int64_t>(m * k, 1);
  for (int64_t p = 0; p < batches; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int64_t l = 0; l < k; ++l) {
          float lhs = a.f[(p * m + i) * k + l];
          float rhs = transposeRhs ? b.f[(p * n + j) * k + l]
                                   : b.f[(p * k + l) * n + j];
          acc += roundOperand(lhs, precision) * roundOperand(rhs, precision);
        }
        out.f[(p * m + i) * n + j] = float(scale * acc);
      }
  return success();
}

/// softmax_k(scores[b, ..., q, k] + (mask[b, k] == 0 ? lowest : 0)).
static LogicalResult maskedSoftmax(Check &c, const Tensor &s,
                                   const Tensor &mask, Tensor &out) {
  c.require(s.rank() == 3 || s.rank() == 4,
            "scores must have rank 3 or 4, got " + shapeToString(s.shape));
  if (!c.ok || !checkMask(c, mask, s.dim(0), s.dim(-1)).ok)
    return failure();
  int64_t batch = s.dim(0), keys = s.dim(-1);
  int64_t rowsPerBatch = s.numel() / std::max<int64_t>(batch * keys, 1);
  out = s;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t r = 0; r < rowsPerBatch; ++r) {
      float *row = &out.f[(b * rowsPerBatch + r) * keys];
      for (int64_t k = 0; k < keys; ++k)
        row[k] = maskedScore(row[k], mask.i[b * keys + k]);
      softmaxInPlace(row, keys);
    }
  return success();
}

/// Slicing and joining view a tensor as [outer, x.dim(dim), inner] around
/// dim. Returns {outer, inner} and makes `out` a float tensor of x's shape
/// but `size` along dim.
static std::pair<int64_t, int64_t> viewAroundDim(const Tensor &x, int64_t dim,
                                                 int64_t size, Tensor &out) {
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < dim; ++i)
    outer *= x.dim(i);
  for (int64_t i = dim + 1; i < x.rank(); ++i)
    inner *= x.dim(i);
  std::vector<int64_t> shape = x.shape;
  shape[dim] = size;
  out = Tensor::floats(shape);
  return {outer, inner};
}

/// result = input[..., offset : offset + size, ...] along dim.
static LogicalResult slice(Check &c, const Tensor &x, int64_t dim,
                           int64_t offset, int64_t size, Tensor &out) {
  c.require(dim >= 0 && dim < x.rank() && offset >= 0 &&
                offset + size <= x.dim(dim),
            "slice [" + llvm::Twine(offset) + ", " +
                llvm::Twine(offset + size) + ") of dim " + llvm::Twine(dim) +
                " is out of bounds of " + shapeToString(x.shape));
  if (!c.ok)
    return failure();
  int64_t extent = x.dim(dim);
  auto [outer, inner] = viewAroundDim(x, dim, size, out);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t e = 0; e < size; ++e)
      for (int64_t i = 0; i < inner; ++i)
        out.f[(o * size + e) * inner + i] =
            x.f[(o * extent + offset + e) * inner + i];
  return success();
}

/// Joins inputs along dim; other dims must be equal.
static LogicalResult concat(Check &c, ArrayRef<const Tensor *> xs, int64_t dim,
                            Tensor &out) {
  const Tensor &first = *xs.front();
  c.require(dim >= 0 && dim < first.rank(), "dim out of range");
  int64_t total = 0;
  for (const Tensor *x : xs) {
    bool same = c.ok && x->rank() == first.rank();
    for (int64_t i = 0; same && i < first.rank(); ++i)
      same = i == dim || x->dim(i) == first.dim(i);
    c.require(same, "input shapes " + shapeToString(first.shape) + " and " +
                        shapeToString(x->shape) + " differ outside dim " +
                        llvm::Twine(dim));
    if (c.ok)
      total += x->dim(dim);
  }
  if (!c.ok)
    return failure();
  auto [outer, inner] = viewAroundDim(first, dim, total, out);
  int64_t start = 0; // offset of the current input along dim
  for (const Tensor *x : xs) {
    int64_t extent = x->dim(dim);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t e = 0; e < extent; ++e)
        for (int64_t i = 0; i < inner; ++i)
          out.f[(o * total + start + e) * inner + i] =
              x->f[(o * extent + e) * inner + i];
    start += extent;
  }
  return success();
}

/// Checks an attention-style [B, S, H] activation whose H splits into heads.
static Check &checkHeads(Check &c, const Tensor &x, StringRef what,
                         int64_t heads) {
  c.isFloat(x, what).rank(x, what, 3);
  if (c.ok)
    c.require(x.dim(2) % heads == 0,
              what + " hidden size " + llvm::Twine(x.dim(2)) +
                  " is not divisible by " + llvm::Twine(heads) + " heads");
  return c;
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

static double f64(llvm::APFloat v) { return v.convertToDouble(); }

LogicalResult mlir::bert::evalBertOp(Operation *op, ArrayRef<const Tensor *> in,
                                     MutableArrayRef<Tensor> results) {
  Tensor &out = results[0];
  Check c{op};
  // Every float operand must hold float data (ids and masks are int32).
  // (The present operands, in order, are the non-null entries of `in`.)
  SmallVector<const Tensor *> present;
  for (const Tensor *t : in)
    if (t)
      present.push_back(t);
  for (auto [value, t] : llvm::zip(op->getOperands(), present))
    c.require(t->isInt ==
                  isa<IntegerType>(
                      cast<ShapedType>(value.getType()).getElementType()),
              "operand kind (int/float) does not match its type");
  if (!c.ok)
    return failure();

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](EmbeddingsOp o) {
        return embeddingSum(c, *in[0], in[1], *in[2], in[3], in[4], in[5],
                            in[6], o.getPaddingIdx(), out);
      })
      .Case([&](EmbeddingsLayerNormOp o) {
        Tensor sum;
        if (failed(embeddingSum(c, *in[0], in[1], *in[2], in[3], in[4], in[7],
                                in[8], o.getPaddingIdx(), sum)))
          return failure();
        return layerNorm(c, sum, *in[5], *in[6], f64(o.getEpsilon()), out);
      })
      .Case([&](LayerNormOp o) {
        return layerNorm(c, *in[0], *in[1], *in[2], f64(o.getEpsilon()), out);
      })
      .Case([&](AddLayerNormOp o) {
        // t = input + residual; layer_norm(t).
        if (!c.shape(*in[1], "residual", in[0]->shape).ok)
          return failure();
        Tensor sum = Tensor::floats(in[0]->shape);
        for (int64_t j = 0; j < sum.numel(); ++j)
          sum.f[j] = in[0]->f[j] + in[1]->f[j];
        return layerNorm(c, sum, *in[2], *in[3], f64(o.getEpsilon()), out);
      })
      .Case([&](LinearOp o) {
        if (!checkLinear(c, *in[0], *in[1], in[2]).ok)
          return failure();
        out = linear(*in[0], *in[1], in[2], o.getActivation(), o.getPrecision(),
                     o.getHadamard());
        return success();
      })
      .Case([&](AttentionOp o) {
        // Q, K, V projections, per-head softmax(Q Kᵀ / sqrt(d) + maskbias) V,
        // heads merged, output dense.
        const Tensor &x = *in[0];
        int64_t heads = o.getNumHeads();
        if (!checkHeads(c, x, "input", heads).ok ||
            !checkMask(c, *in[1], x.dim(0), x.dim(1)).ok)
          return failure();
        for (int p = 0; p < 4; ++p)
          if (!checkLinear(c, x, *in[2 + 2 * p], in[3 + 2 * p]).ok)
            return failure();
        c.require(in[8]->dim(0) == x.dim(2),
                  "output weight must map back to the hidden size");
        if (!c.ok)
          return failure();
        Precision p = o.getPrecision();
        Tensor q = linear(x, *in[2], in[3], Activation::none, p);
        Tensor k = linear(x, *in[4], in[5], Activation::none, p);
        Tensor v = linear(x, *in[6], in[7], Activation::none, p);
        double scale = 1.0 / std::sqrt(double(x.dim(2) / heads));
        // i8 quantizes the projections; its two attention matmuls are bf16
        // ones (bert.attention's definition).
        Tensor ctx = attentionCore(q, k, v, *in[1], heads, scale,
                                   p == Precision::i8 ? Precision::bf16 : p);
        out = linear(ctx, *in[8], in[9], Activation::none, p);
        return success();
      })
      .Case([&](RelativeAttentionOp o) {
        return evalRelativeAttention(o, in, out);
      })
      .Case([&](RelativePositionsOp o) {
        return evalRelativePositions(o, in, out);
      })
      .Case([&](FusedAttentionOp o) {
        // The textbook formula (not the online softmax the kernel uses).
        int64_t heads = o.getNumHeads();
        if (!checkHeads(c, *in[0], "query", heads).ok ||
            !c.shape(*in[1], "key", in[0]->shape)
                 .shape(*in[2], "value", in[0]->shape)
                 .ok ||
            !checkMask(c, *in[3], in[0]->dim(0), in[0]->dim(1)).ok)
          return failure();
        out = attentionCore(*in[0], *in[1], *in[2], *in[3], heads,
                            f64(o.getScale()), o.getPrecision());
        return success();
      })
      .Case([&](GeluOp o) {
        out = *in[0];
        bool exact = o.getApproximation() == GeluApproximation::exact;
        for (float &v : out.f)
          v = float(exact ? geluExact(v) : geluTanh(v));
        return success();
      })
      .Case([&](AddOp) {
        if (!c.shape(*in[1], "rhs", in[0]->shape).ok)
          return failure();
        out = *in[0];
        for (int64_t j = 0; j < out.numel(); ++j)
          out.f[j] = in[0]->f[j] + in[1]->f[j];
        return success();
      })
      .Case([&](ActivationOp o) {
        out = *in[0];
        for (float &v : out.f)
          v = float(activate(v, o.getKind()));
        return success();
      })
      .Case<MaskRowsOp, AddMaskRowsOp>([&](Operation *o) {
        // result[b, s, :] = (input[b, s, :] [+ residual[b, s, :]]) * mask[b,
        // s].
        bool add = isa<AddMaskRowsOp>(o);
        const Tensor &x = *in[0], &m = *in[add ? 2 : 1];
        if (!c.isFloat(x, "input").rank(x, "input", 3).isInt(m, "mask").ok ||
            !c.shape(m, "mask", {x.dim(0), x.dim(1)}).ok ||
            (add && !c.shape(*in[1], "residual", x.shape).ok))
          return failure();
        out = x;
        if (add)
          for (int64_t j = 0; j < out.numel(); ++j)
            out.f[j] += in[1]->f[j];
        int64_t hidden = x.dim(2);
        for (int64_t t = 0; t < m.numel(); ++t)
          for (int64_t j = 0; j < hidden; ++j)
            out.f[t * hidden + j] *= float(m.i[t]);
        return success();
      })
      .Case([&](UnstackOp o) {
        // results[j][...] = input[..., j].
        const Tensor &x = *in[0];
        int64_t n = x.shape.back(), rows = x.numel() / n;
        if (!c.isFloat(x, "input")
                 .require(n == int64_t(results.size()),
                          "input has " + llvm::Twine(n) + " columns for " +
                              llvm::Twine(results.size()) + " results")
                 .ok)
          return failure();
        std::vector<int64_t> shape(x.shape.begin(), x.shape.end() - 1);
        for (int64_t j = 0; j < n; ++j) {
          results[j] = Tensor::floats(shape);
          for (int64_t r = 0; r < rows; ++r)
            results[j].f[r] = x.f[r * n + j];
        }
        return success();
      })
      .Case([&](PoolerOp o) {
        // result[b, :] = act(input[b, t, :] · weightᵀ + bias), t = 0 or
        // (last_token) S - 1.
        const Tensor &x = *in[0];
        c.rank(x, "input", 3);
        if (c.ok)
          c.require(x.dim(1) >= 1, "input has no tokens");
        if (!c.ok || !checkLinear(c, x, *in[1], in[2]).ok)
          return failure();
        int64_t batch = x.dim(0), seq = x.dim(1), hidden = x.dim(2);
        int64_t t = o.getLastToken() ? seq - 1 : 0;
        Tensor first = Tensor::floats({batch, hidden});
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t j = 0; j < hidden; ++j)
            first.f[b * hidden + j] = x.f[(b * seq + t) * hidden + j];
        out = linear(first, *in[1], in[2], o.getActivation());
        return success();
      })
      .Case([&](SplitHeadsOp o) {
        if (!checkHeads(c, *in[0], "input", o.getNumHeads()).ok)
          return failure();
        out = splitHeads(*in[0], o.getNumHeads());
        return success();
      })
      .Case([&](MergeHeadsOp) {
        if (!c.rank(*in[0], "input", 4).ok)
          return failure();
        out = mergeHeads(*in[0]);
        return success();
      })
      .Case([&](BatchMatmulOp o) {
        return batchMatmul(c, *in[0], *in[1], o.getTransposeRhs(),
                           f64(o.getScale()), o.getPrecision(), out);
      })
      .Case([&](MaskedSoftmaxOp) {
        return maskedSoftmax(c, *in[0], *in[1], out);
      })
      .Case([&](SliceOp o) {
        return slice(c, *in[0], o.getDim(), o.getOffset(), o.getSize(), out);
      })
      .Case([&](ConcatOp o) { return concat(c, in, o.getDim(), out); })
      .Case([&](WeightMatrixOp o) {
        // [d0, ...] as the row-major matrix [d0, rest], or its transpose.
        const Tensor &w = *in[0];
        int64_t rows = w.dim(0), cols = w.numel() / rows;
        bool t = o.getTransposed();
        out = Tensor::floats(t ? std::vector<int64_t>{cols, rows}
                               : std::vector<int64_t>{rows, cols});
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t k = 0; k < cols; ++k)
            out.f[t ? k * rows + r : r * cols + k] = w.f[r * cols + k];
        return success();
      })
      .Default([&](Operation *other) {
        return other->emitOpError()
               << "is not supported by the reference evaluator";
      });
}
