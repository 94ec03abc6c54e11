//===- LinearInt8.cpp - int8 GEMM (VPDPBUSD) + fp32 epilogue emitter ------===//
//
// `--precision int8` (bert.linear `precision <i8>`):
//   Y[m, n] = act(sx[m] * sw[n] * sum_k (ux[m, k] - zx[m]) * qw[n, k] + b[n])
// with
//  * weights quantized symmetrically per output channel to [-127, 127],
//    once, by the runtime at load (runtime/src/weight_pack.c: qw,
//    sw[n] = max_k |W[n, k]| / 127, and the column sums
//    colsum[n] = sum_k qw[n, k]);
//  * activations quantized asymmetrically per row (token) to [0, 255], at
//    every call, inside this kernel: with lo/hi the row's minimum and
//    maximum widened to include 0, sx = (hi - lo) / 255,
//    zx = round(-lo / sx), ux = clamp(round(X / sx) + zx, 0, 255) (round
//    half to even, as 255 / (hi - lo) times X).
// The sum is exact in int32: sum_k ux * qw - zx * colsum[n] (|.| < 2^31 for
// K < 66000). Bias, activation and the result are fp32.
//
// Why asymmetric unsigned activations: VPDPBUSD multiplies unsigned by
// signed bytes, so the unsigned side costs nothing, and the zero point is
// one subtraction per output in the epilogue. Against symmetric per-token
// int8 (X offset by 128 to make it unsigned, the same cost) it uses all
// 256 levels on one-sided rows (after GELU): on all-MiniLM-L6-v2 over 22
// real sentences the worst sentence-embedding cosine with fp32 went from
// 0.9945 to 0.9980 (a PyTorch simulation of both schemes).

// Weight layout ("VNNI", Int8Layout in Kernels.h): panels of nb output
// columns (the register tile's width); in panel p, k-quad row j holds
// (W[n, 4j], ..., W[n, 4j+3]) for the panel's nb columns, so a register
// tile streams one contiguous panel and each vector load feeds one
// VPDPBUSD (16 columns x 4 k). Halide 21 emits VPDPBUSD for
// `i32(widening_mul(u8, i8))` reduced 4 lanes to 1 when the target has
// avx512_zen4 (implied by avx512_sapphirerapids and avx512_zen5, i.e. the
// `x86-64-avx512-bf16` and `x86-64-amx` presets and hosts with
// AVX512-VNNI); other targets get Halide's widening multiplies and adds
// (PMADDUBSW / PMADDWD forms), the same results.
// AVX-VNNI alone (256-bit VEX VPDPBUSD: Alder Lake and later client cores,
// Zen 5 without AVX-512) gets the fallback too: Halide 21's x86 intrinsic
// table keys its u8 x i8 dot products (dpbusdx4/x8/x16) on avx512_zen4
// only, and its avxvnni feature only adds +avxvnni to LLVM's attributes,
// whose instruction selection does not rebuild VPDPBUSD from the widening
// multiplies (measured: this kernel for ...-avx2-avxvnni has no VPDPBUSD,
// Int8Codegen.VnniByTarget). The way there is a C micro-kernel on the VEX
// intrinsic (_mm256_dpbusd_avx_epi32, built with -mavxvnni) as a kernel
// family of its own, the route the AMX micro-kernel takes.
//
// Schedule: the bf16 dot-product one (LinearBF16.cpp): register tiles of
// rows x nb, k-quads unrolled by kUnroll, tasks of rowsPerTask rows of one
// panel, panel-major. X is quantized once per call, in blocks of 16 rows
// across the threads, by the C extern stage of quant/QuantizeRows.h (with
// `hadamard B`, each row rotated first): one read of the fp32 row, its
// range and bytes from a row in L1. (Halide stages did it before: a range
// pass folding every vector horizontally cost more than a quarter of the
// GEMM at M = 128, K = 3072, then a vector-wide range pass and a bytes
// pass, then a rotation pass before them.)
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include "compiler/backend/cpu/quant/QuantizeRows.h"
#include "runtime/src/hadamard.h"
#include "runtime/src/weight_pack.h"

#include <stdexcept>

using namespace Halide;

namespace bert::cpu {

Int8Layout linearInt8Layout(const LinearSpec &spec, const GemmSchedule &sched) {
  Int8Layout l;
  l.N = spec.N;
  l.K = spec.K;
  l.nb = sched.cols;
  l.rowStride = 4 * l.nb;
  l.numPanels = (spec.N + l.nb - 1) / l.nb;
  l.hadamard = spec.hadamard;
  l.bytes = bert_s8_weight_bytes(l.N, l.K, l.nb, l.rowStride, &l.scaleOffset);
  return l;
}

std::vector<halide_dimension_t> Int8Layout::dims() const {
  return {{0, 4, 1},
          {0, int32_t(nb), 4},
          {0, int32_t(K / 4), int32_t(rowStride)},
          {0, int32_t(numPanels), int32_t(K / 4 * rowStride)}};
}

void packLinearWeightsInt8(const float *w, const Int8Layout &l, int8_t *out) {
  std::fill(out, out + l.bytes, int8_t(0));
  std::vector<float> scratch(w, w + l.N * l.K); // rotated in place
  bert_pack_s8_rows(scratch.data(), 0, l.N, l.K, l.hadamard, l.nb, l.rowStride,
                    out, reinterpret_cast<float *>(out + l.scaleOffset),
                    reinterpret_cast<int32_t *>(out + l.scaleOffset +
                                                l.N * int64_t(sizeof(float))));
}

Kernel buildLinearInt8(const LinearSpec &spec, const GemmSchedule &sched,
                       const Target &target) {
  return detail::buildLinearInt8With(spec, sched, nullptr, target);
}

// `amx`: the sums of M >= 16 from the AMX block (LinearAMXInt8.cpp).
Kernel detail::buildLinearInt8With(const LinearSpec &spec,
                                   const GemmSchedule &sched,
                                   const AmxSchedule *amx,
                                   const Target &target) {
  if (spec.K % 4 != 0)
    throw std::invalid_argument(
        "bertc: int8 linear needs in_features % 4 == 0, got " +
        std::to_string(spec.K));
  if (spec.hasResidual)
    throw std::invalid_argument("bertc: int8 linear has no residual input");
  if (spec.hadamard && (!bert_hadamard_block_ok(spec.hadamard) ||
                        spec.K % spec.hadamard != 0 || spec.hadamard > 256))
    throw std::invalid_argument(
        "bertc: int8 linear: hadamard block must be a power of 4 (4 to 256) "
        "dividing in_features " +
        std::to_string(spec.K) + ", got " + std::to_string(spec.hadamard));
  if (target.has_gpu_feature())
    throw std::invalid_argument("bertc: no Halide GPU schedule for linear");
  const int vec = int(sched.vectorWidth), rows = int(sched.rows);
  const int nb = int(sched.cols), unrollK = int(sched.kUnroll);
  if (nb > 3 * vec || nb % vec != 0)
    throw std::invalid_argument("int8 linear: cols must be 1 to 3 vectors of " +
                                std::to_string(vec) + ", got " +
                                std::to_string(nb));
  Int8Layout layout = linearInt8Layout(spec, sched);
  const int N = int(spec.N), K = int(spec.K);

  ImageParam x(Float(32), 2, "x"), bias(Float(32), 1, "bias");
  ImageParam wq(Int(8), 4, "w_i8"), wscale(Float(32), 1, "w_scale");
  ImageParam wsum(Int(32), 1, "w_colsum");
  Var n("n"), m("m"), k("k");
  RDom r(0, K, "r");

  // Per-row quantization of X, with the rotation of `hadamard B` first: one
  // C extern stage (quant/QuantizeRows.h) writes each row's K bytes and then
  // its range (lo, hi as float32) in the row's tail, once per call across
  // the threads in blocks of 16 rows. The epilogue's scale and zero point
  // come from the range, computed as the stage computes them. (Before, three
  // Halide passes read the fp32 rows: the rotation's, the range's and the
  // bytes'.)
  const int pitch = K + BERT_QUANTIZE_TAIL;
  Func xu("x_u8"), rowq("x_row_scale"), prod("linear_prod_i8"), y("linear_y");
  xu.define_extern(BERT_QUANTIZE_ROWS_NAME,
                   {Expr(int32_t(spec.hadamard)), Expr(K), x}, UInt(8), {k, m});
  auto f32At = [&](int at) {
    Expr bits = cast<uint32_t>(xu(at, m));
    for (int i = 1; i < 4; ++i)
      bits = bits | (cast<uint32_t>(xu(at + i, m)) << (8 * i));
    return reinterpret(Float(32), bits);
  };
  {
    Expr lo = f32At(K), hi = f32At(K + 4);
    Expr inv = select(hi > lo, 255.f / (hi - lo), 0.f);
    // The zero point and the row's scale (hi - lo) / 255.
    rowq(m) = {cast<int32_t>(round(-lo * inv)), (hi - lo) * (1.f / 255.f)};
  }
  Expr zero = rowq(m)[0];
  Expr w = wq(r % 4, n % nb, r / 4, n / nb);
  prod(n, m) = 0;
  prod(n, m) += cast<int32_t>(xu(r, m)) * cast<int32_t>(w);
  Expr M = x.dim(1).extent();
  Func amxBlock;
  if (amx)
    amxBlock = detail::amxInt8Block(xu, wq, K, N, nb, n, m);
  Expr sum = amx ? select(M >= 16, amxBlock(n, m), prod(n, m)) : prod(n, m);
  Expr exact = sum - zero * wsum(n);
  Expr acc = cast<float>(exact) * (rowq(m)[1] * wscale(n));
  if (spec.hasBias)
    acc = acc + bias(n);
  y(n, m) = detail::activate(spec.act, acc);

  // Register tiles; single rows when M < rows. Tasks: rowsPerTask rows of
  // one panel, panel-major, so consecutive tasks share the panel in L2.
  Var no("no"), ni("ni"), mo("mo"), mi("mi"), mb("mb"), task("task");
  const TailStrategy nTail =
      N % nb == 0 ? TailStrategy::RoundUp : TailStrategy::ShiftInwards;
  auto tiles = [&](Stage s, int tileRows) {
    s.split(n, no, ni, nb, nTail)
        .split(m, mo, mi, tileRows, TailStrategy::ShiftInwards)
        .reorder(ni, mi, mo, no)
        .vectorize(ni, vec)
        .unroll(mi)
        .split(mo, mb, mo, std::max(1, int(sched.rowsPerTask) / tileRows),
               TailStrategy::GuardWithIf)
        .reorder(mo, mb, no)
        .fuse(mb, no, task)
        .parallel(task);
  };
  if (amx)
    detail::scheduleAmxTasks(y, M, amxBlock, *amx, n, m, task);
  if (rows > 1)
    tiles(y.specialize(M >= rows), rows);
  tiles(y, 1);

  // X quantized once per call in blocks of 16 rows across the threads (the
  // stage writes only the rows X has: the last block is guarded at M); the
  // rows' zero points and scales once, from their ranges.
  Var xo("xo"), xi("xi");
  xu.compute_root()
      .bound(k, 0, pitch) // the bytes and the tail, as the stage writes them
      .split(m, xo, xi, 16, TailStrategy::GuardWithIf)
      .parallel(xo);
  rowq.compute_root();
  prod.compute_at(y, mo)
      .store_in(MemoryType::Register)
      .vectorize(n, vec)
      .unroll(n)
      .unroll(m);
  RVar ko("ko"), ki("ki"), kpo("kpo"), kpi("kpi");
  Stage dot = prod.update();
  dot.split(r, ko, ki, 4);
  if (unrollK > 1 && (K / 4) % unrollK == 0)
    dot.split(ko, kpo, kpi, unrollK).reorder(ki, n, m, kpi, kpo).unroll(kpi);
  else
    dot.reorder(ki, n, m, ko);
  dot.atomic().vectorize(ki).vectorize(n, vec).unroll(n).unroll(m);

  detail::constrainMinsAndDense(x);
  x.dim(0).set_extent(K);
  if (!spec.stridedX)
    x.dim(1).set_stride(K);
  detail::setDims(wq, layout.dims());
  for (const ImageParam *p : {&wscale, &wsum}) {
    detail::constrainMinsAndDense(*p);
    p->dim(0).set_extent(N);
  }
  Kernel kern;
  kern.name = "linear_int8";
  kern.inputs = {x, wq, wscale, wsum};
  detail::finishQuantizedLinear(kern, y, bias, spec.hasBias, N);
  detail::bindCExterns(kern.pipeline);
  return kern;
}

} // namespace bert::cpu
