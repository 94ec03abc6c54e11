//===- KernelsBench.cpp - bertc's Halide kernels: GEMM and fusion timings -===//
//
// Not a test: the C++ half of `make bench-kernels` (bench/kernels.py drives
// it, once per thread count, with HL_NUM_THREADS set).
//
//   bert-kernels-bench --part gemm|fusion|all --json OUT.json [--quick]
//
// gemm:   bertc's `linear` (Kernels.h: buildLinear, no bias/activation, W
//         pre-packed once with packLinearWeights, JIT-compiled to a Callable
//         for the host) at M in {128, 1024} x (N, K) in {768x768, 2304x768,
//         3072x768, 768x3072}: Y = X W^T, 2MNK flops.
// fusion: every fused kernel against the unfused chain on the same inputs
//         (small Halide pipelines written here, vectorized and parallel):
//           bias+GELU   linear(act=Gelu)       vs linear(bias) -> GELU pass
//           res+LN      layer_norm(residual)   vs add pass -> layer_norm
//           embeddings  embeddings             vs gather+sum pass -> layer_norm
//           attention   attention (fused)      vs Q.K^T*scale+mask -> scores
//                       [B,h,S,S] in memory -> softmax pass -> P.V pass
//         The two sides are timed in alternating samples (A B A B ...), so
//         a change in machine load hits both; max|diff| compares outputs.
//
// Timing: after warm-up, `samples` samples of `iters` back-to-back calls
// each (iters chosen so one sample lasts ~sampleMs); per-call median and
// min. Beside them: the 1-min load average before/after and, from
// /proc/stat, the CPU share (of all cores) that other processes used while
// the samples ran, and the steal share (the noise figures of bench/report.py).
//===----------------------------------------------------------------------===//

#include "bench/BenchUtil.h"
#include "bench/RegisterTile.h"
#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include "compiler/backend/cpu/kernels/Kernels.h"
#include "test/Backend/KernelDefaults.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace Halide;
namespace dflt = bert::cpu::defaults;
namespace cpu = bert::cpu;
using namespace bert::bench;

namespace {

//===-- timing
//--------------------------------------------------------------===//

double nowSec() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct CpuSnap {
  long long busy = 0, steal = 0, total = 0;
  double self = 0, load1 = 0;
};

CpuSnap snap() {
  CpuSnap s;
  if (FILE *f = std::fopen("/proc/stat", "r")) {
    long long v[10] = {0};
    if (std::fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0],
                    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) >= 4) {
      // user nice system idle iowait irq softirq steal
      s.busy = v[0] + v[1] + v[2] + v[5] + v[6];
      s.steal = v[7];
      s.total = s.busy + v[3] + v[4] + v[7];
    }
    std::fclose(f);
  }
  rusage r;
  getrusage(RUSAGE_SELF, &r);
  s.self = r.ru_utime.tv_sec + r.ru_utime.tv_usec * 1e-6 + r.ru_stime.tv_sec +
           r.ru_stime.tv_usec * 1e-6;
  double la[1];
  if (getloadavg(la, 1) == 1)
    s.load1 = la[0];
  return s;
}

struct Noise {
  double othersPct = 0, stealPct = 0, load0 = 0, load1 = 0;
};

Noise noiseBetween(const CpuSnap &a, const CpuSnap &b) {
  Noise n;
  const double hz = double(sysconf(_SC_CLK_TCK));
  const double tot = std::max<long long>(1, b.total - a.total);
  n.othersPct =
      100 * std::max(0.0, double(b.busy - a.busy) - (b.self - a.self) * hz) /
      tot;
  n.stealPct = 100 * double(b.steal - a.steal) / tot;
  n.load0 = a.load1;
  n.load1 = b.load1;
  return n;
}

struct Timing {
  double medianMs = 0, minMs = 0;
  int samples = 0, iters = 0;
  std::vector<double> sampleMs; ///< per-call ms of each sample
};

double medianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Opts {
  int samples = 15;
  double sampleMs = 40; ///< target length of one sample
} gOpts;

/// Warm-up (>= 2 calls, >= 0.1 s) and the number of calls per sample.
int calibrate(const std::function<void()> &fn) {
  double t0 = nowSec();
  int n = 0;
  while (n < 2 || nowSec() - t0 < 0.1)
    fn(), ++n;
  double t1 = nowSec();
  fn();
  double one = nowSec() - t1;
  return std::max(1, int(gOpts.sampleMs * 1e-3 / std::max(one, 1e-7)));
}

void finish(Timing &t) {
  t.samples = int(t.sampleMs.size());
  t.medianMs = medianOf(t.sampleMs);
  t.minMs = *std::min_element(t.sampleMs.begin(), t.sampleMs.end());
}

double sampleOnce(const std::function<void()> &fn, int iters) {
  double t0 = nowSec();
  for (int i = 0; i < iters; ++i)
    fn();
  return (nowSec() - t0) / iters * 1e3;
}

/// One function alone.
Timing measure(const std::function<void()> &fn, Noise &noise) {
  Timing t;
  t.iters = calibrate(fn);
  CpuSnap a = snap();
  for (int s = 0; s < gOpts.samples; ++s)
    t.sampleMs.push_back(sampleOnce(fn, t.iters));
  noise = noiseBetween(a, snap());
  finish(t);
  return t;
}

/// Two functions in alternating samples (A B A B ...).
std::pair<Timing, Timing> measurePair(const std::function<void()> &a,
                                      const std::function<void()> &b,
                                      Noise &noise) {
  Timing ta, tb;
  ta.iters = calibrate(a);
  tb.iters = calibrate(b);
  CpuSnap s0 = snap();
  for (int s = 0; s < gOpts.samples; ++s) {
    ta.sampleMs.push_back(sampleOnce(a, ta.iters));
    tb.sampleMs.push_back(sampleOnce(b, tb.iters));
  }
  noise = noiseBetween(s0, snap());
  finish(ta);
  finish(tb);
  return {ta, tb};
}

//===-- data and JSON
//-------------------------------------------------------===//

std::string timingJson(const Timing &t) {
  std::ostringstream o;
  o << "{\"median_ms\": " << t.medianMs << ", \"min_ms\": " << t.minMs
    << ", \"samples\": " << t.samples << ", \"iters\": " << t.iters
    << ", \"samples_ms\": [";
  for (size_t i = 0; i < t.sampleMs.size(); ++i)
    o << (i ? ", " : "") << t.sampleMs[i];
  o << "]}";
  return o.str();
}

std::string noiseJson(const Noise &n) {
  std::ostringstream o;
  o << "\"others_cpu_pct\": " << n.othersPct
    << ", \"steal_pct\": " << n.stealPct << ", \"load1_before\": " << n.load0
    << ", \"load1_after\": " << n.load1;
  return o.str();
}

std::vector<std::string> gRecords;
int gThreads = 0;

Callable jit(const cpu::Kernel &k, const Target &t, double *secs = nullptr) {
  double t0 = nowSec();
  Pipeline p = k.pipeline;
  Callable c = p.compile_to_callable(k.args, t);
  if (secs)
    *secs = nowSec() - t0;
  return c;
}

void check(int rc, const char *what) {
  if (rc != 0) {
    std::fprintf(stderr, "bert-kernels-bench: %s returned %d\n", what, rc);
    std::exit(1);
  }
}

//===-- part 1: GEMM
//--------------------------------------------------------===//

void benchGemm(const Target &t, bool quick) {
  std::vector<std::pair<int, int>> shapes = {
      {768, 768}, {2304, 768}, {3072, 768}, {768, 3072}};
  std::vector<int> Ms = {128, 1024};
  for (auto [N, K] : shapes) {
    cpu::LinearSpec spec{N, K, cpu::Activation::None, /*bias*/ false, false};
    cpu::GemmSchedule sched = dflt::gemm(N, t);
    cpu::Kernel k = cpu::buildLinear(spec, sched, t);
    cpu::PackedLayout l = cpu::linearPackedLayout(spec, sched);
    double jitS = 0;
    Callable fn = jit(k, t, &jitS);
    Buffer<float> w =
        filled<float>({K, N}, -.05f, .05f, 11); // row-major [N, K]
    Buffer<float> wp(int(l.nb), K, int(l.numPanels));
    cpu::packLinearWeights(w.data(), l, wp.data()); // once, as the library does
    for (int M : Ms) {
      if (quick && M == 1024 && N != 768)
        continue;
      Buffer<float> x = filled<float>({K, M}, -1, 1, 7);
      Buffer<float> y(N, M);
      check(fn(x, wp, y), "linear");
      // Spot check against a plain dot product.
      std::mt19937 rng(3);
      double err = linearSpotError(x, w, y, M, N, K, 64, rng);
      Noise noise;
      Timing tm = measure([&] { fn(x, wp, y); }, noise);
      const double gflop = 2.0 * M * N * K * 1e-9;
      std::printf("gemm bertc T=%d M=%-5d N=%-5d K=%-5d  median %8.3f ms  min "
                  "%8.3f ms  %6.1f GFLOP/s  (others %.0f%% steal %.0f%%, load "
                  "%.2f->%.2f, max|err| %.1e)\n",
                  gThreads, M, N, K, tm.medianMs, tm.minMs,
                  gflop / tm.medianMs * 1e3, noise.othersPct, noise.stealPct,
                  noise.load0, noise.load1, err);
      std::fflush(stdout);
      std::ostringstream o;
      o << "{\"part\": \"gemm\", \"system\": \"bertc\", \"impl\": \"Halide "
           "linear, "
        << "packed W (nb=" << l.nb << "), JIT " << t.to_string()
        << "\", \"threads\": " << gThreads << ", \"M\": " << M
        << ", \"N\": " << N << ", \"K\": " << K << ", \"gflop\": " << gflop
        << ", \"jit_s\": " << jitS << ", \"max_abs_err\": " << err << ", "
        << noiseJson(noise) << ", \"timing\": " << timingJson(tm) << "}";
      gRecords.push_back(o.str());
    }
  }
}

//===-- part 2: unfused pipelines
//-------------------------------------------===//

struct Pipe {
  Pipeline p;
  std::vector<Argument> args;
  Callable c;
  void compile(const Target &t) { c = p.compile_to_callable(args, t); }
};

void denseRows(const OutputImageParam &p, int inner) {
  for (int d = 0; d < p.dimensions(); ++d)
    p.dim(d).set_min(0);
  p.dim(0).set_stride(1).set_extent(inner);
  if (p.dimensions() > 1)
    p.dim(1).set_stride(inner);
}

/// out(n, m) = f(in(n, m)) (or in + r): rows in parallel blocks, vectorized.
Pipe elementwise(int N, bool add, cpu::Activation act, int vec) {
  ImageParam x(Float(32), 2, "x"), r(Float(32), 2, "r");
  Var n("n"), m("m"), mo("mo"), mi("mi");
  Func out("elementwise");
  Expr v = add ? x(n, m) + r(n, m) : x(n, m);
  out(n, m) = cpu::detail::activate(act, v);
  out.split(m, mo, mi, 8, TailStrategy::GuardWithIf)
      .parallel(mo)
      .vectorize(n, vec);
  Pipe s{Pipeline(out), {}, {}};
  denseRows(x, N);
  denseRows(out.output_buffer(), N);
  s.args.push_back(x);
  if (add) {
    denseRows(r, N);
    s.args.push_back(r);
  }
  return s;
}

/// sum(c, s, b) = word[ids] + pos[s] + type[tt], rows in parallel blocks.
Pipe gatherSum(const cpu::EmbeddingsSpec &e, int vec) {
  ImageParam ids(Int(32), 2, "ids"), tt(Int(32), 2, "tt"),
      word(Float(32), 2, "word"), pos(Float(32), 2, "pos"),
      type(Float(32), 2, "type");
  Var c("c"), s("s"), b("b"), so("so"), si("si"), task("task");
  Func sum("gather_sum");
  Expr id = clamp(ids(s, b), 0, int(e.vocab) - 1);
  Expr ty = clamp(tt(s, b), 0, int(e.typeVocab) - 1);
  Expr p = clamp(s, 0, int(e.maxPositions) - 1); // absolute positions
  sum(c, s, b) = word(c, id) + pos(c, p) + type(c, ty);
  sum.split(s, so, si, 16, TailStrategy::GuardWithIf)
      .fuse(so, b, task)
      .parallel(task)
      .vectorize(c, vec);
  const int H = int(e.H);
  for (ImageParam *q : {&word, &pos, &type})
    denseRows(*q, H);
  for (ImageParam *q : {&ids, &tt})
    q->dim(0).set_min(0).set_stride(1), q->dim(1).set_min(0);
  OutputImageParam o = sum.output_buffer();
  denseRows(o, H);
  return {Pipeline(sum), {ids, tt, word, pos, type}, {}};
}

/// scores(j, i, h, b) = (q_i . k_j) * scale + (mask[b, j] == 0 ? lowest : 0)
/// Register tile of 8 queries x 2 vectors of keys over K^T staged per (h, b),
/// as Linear's tile; (h, b) in parallel.
Pipe attnScores(int H, int heads, int vec) {
  const int d = H / heads;
  ImageParam qkv(Float(32), 5, "qkv"), mask(Int(32), 2, "mask");
  Var j("j"), i("i"), h("h"), b("b"), c("c");
  RDom rc(0, d, "rc");
  Func kT("kT"), dot("dot"), scores("scores");
  kT(j, c, h, b) = qkv(c, h, 1, j, b);
  dot(j, i, h, b) = 0.f;
  dot(j, i, h, b) += qkv(rc, h, 0, i, b) * kT(j, rc, h, b);
  const float scale = 1.f / std::sqrt(float(d));
  scores(j, i, h, b) = dot(j, i, h, b) * scale +
                       select(mask(j, b) == 0, cpu::detail::lowestFloat(), 0.f);
  Var jo("jo"), ji("ji"), io("io"), ii("ii"), hb("hb");
  const int rows = 8, cols = 2 * vec;
  // ShiftInwards tiles need S >= tile (else Halide guards and the register
  // tile loses its constant size): the bench only runs S >= 128.
  auto tile = [&](::Halide::Stage st, TailStrategy tail) {
    st.split(j, jo, ji, cols, tail)
        .split(i, io, ii, rows, tail)
        .reorder(ji, ii, jo, io, h, b)
        .vectorize(ji, vec)
        .unroll(ii)
        .fuse(h, b, hb)
        .parallel(hb);
  };
  OutputImageParam so = scores.output_buffer();
  tile(scores.specialize(so.dim(0).extent() >= cols &&
                         so.dim(1).extent() >= rows),
       TailStrategy::ShiftInwards);
  scores.specialize_fail("bench attention scores: S must be >= 32");
  kT.compute_at(scores, hb).vectorize(j, vec);
  dot.compute_at(scores, jo).vectorize(j, vec).unroll(j).unroll(i);
  dot.update().reorder(j, i, rc.x).vectorize(j, vec).unroll(j).unroll(i);
  cpu::detail::constrainPackedQKV(qkv, d, heads);
  mask.dim(0).set_min(0).set_stride(1), mask.dim(1).set_min(0);
  OutputImageParam o = scores.output_buffer();
  cpu::detail::constrainMinsAndDense(o);
  return {Pipeline(scores), {qkv, mask}, {}};
}

/// p = softmax over dim 0 of scores (j, i, h, b); S a multiple of vec.
/// Per row: vec-lane partial max, exp into a row buffer, partial sums.
Pipe attnSoftmax(int vec) {
  ImageParam s(Float(32), 4, "scores");
  Var j("j"), i("i"), h("h"), b("b"), l("l"), hb("hb");
  Expr S = s.dim(0).extent();
  RDom rk(0, S / vec, "rk");
  Func mxv("mxv"), mx("mx"), e("e"), smv("smv"), sm("sm"), p("p");
  mxv(l, i, h, b) = cpu::detail::lowestFloat();
  mxv(l, i, h, b) = max(mxv(l, i, h, b), s(rk * vec + l, i, h, b));
  RDom rl(0, vec, "rl");
  mx(i, h, b) = cpu::detail::lowestFloat();
  mx(i, h, b) = max(mx(i, h, b), mxv(rl, i, h, b));
  e(j, i, h, b) = exp(s(j, i, h, b) - mx(i, h, b));
  smv(l, i, h, b) = 0.f;
  smv(l, i, h, b) += e(rk * vec + l, i, h, b);
  sm(i, h, b) = 0.f;
  sm(i, h, b) += smv(rl, i, h, b);
  p(j, i, h, b) = e(j, i, h, b) * (1.f / sm(i, h, b));
  p.fuse(h, b, hb).parallel(hb).vectorize(j, vec);
  for (Func f : {mxv, smv}) {
    f.compute_at(p, i).vectorize(l);
    f.update().vectorize(l);
  }
  mx.compute_at(p, i);
  sm.compute_at(p, i);
  e.compute_at(p, i).vectorize(j, vec);
  for (int k = 0; k < 4; ++k)
    s.dim(k).set_min(0);
  s.dim(0).set_stride(1);
  OutputImageParam o = p.output_buffer();
  cpu::detail::constrainMinsAndDense(o);
  return {Pipeline(p), {s}, {}};
}

/// out(c, h, i, b) = sum_j p(j, i, h, b) v_j(c): register tile of 6 queries x
/// d (= 4 vectors at d = 64, AVX-512), reduction over keys; (h, b) parallel.
Pipe attnPV(int H, int heads, int vec) {
  const int d = H / heads;
  ImageParam p(Float(32), 4, "p"), qkv(Float(32), 5, "qkv");
  Var c("c"), i("i"), h("h"), b("b");
  RDom rj(0, p.dim(0).extent(), "rj");
  Func acc("acc"), out("pv");
  acc(c, i, h, b) = 0.f;
  acc(c, i, h, b) += p(rj, i, h, b) * qkv(c, h, 2, rj, b);
  out(c, h, i, b) = acc(c, i, h, b);
  Var io("io"), ii("ii"), hb("hb");
  const int rows = vec >= 16 ? 6 : 3;
  auto tile = [&](::Halide::Stage st, TailStrategy tail) {
    st.split(i, io, ii, rows, tail)
        .reorder(c, ii, io, h, b)
        .vectorize(c, vec)
        .unroll(c)
        .unroll(ii)
        .fuse(h, b, hb)
        .parallel(hb);
  };
  tile(out.specialize(out.output_buffer().dim(2).extent() >= rows),
       TailStrategy::ShiftInwards);
  out.specialize_fail("bench attention P.V: S must be >= 6");
  accumulateInRegisters(acc, out, io, c, i, rj, vec);
  cpu::detail::constrainPackedQKV(qkv, d, heads);
  for (int k = 0; k < 4; ++k)
    p.dim(k).set_min(0);
  p.dim(0).set_stride(1);
  OutputImageParam o = out.output_buffer();
  for (int k = 0; k < 4; ++k)
    o.dim(k).set_min(0);
  o.dim(0).set_extent(d).set_stride(1);
  o.dim(1).set_extent(heads).set_stride(d);
  o.dim(2).set_stride(H);
  return {Pipeline(out), {p, qkv}, {}};
}

void fusionRecord(const std::string &name, const std::string &shape,
                  const std::string &fusedDesc, const std::string &unfusedDesc,
                  const Timing &f, const Timing &u, const Noise &n, double diff,
                  double extra = -1) {
  std::printf(
      "fusion T=%d %-11s %-26s fused %9.3f ms (min %9.3f)  unfused %9.3f "
      "ms (min %9.3f)  speedup %5.2fx  max|diff| %.1e  (others %.0f%% "
      "steal %.0f%%, load %.2f->%.2f)\n",
      gThreads, name.c_str(), shape.c_str(), f.medianMs, f.minMs, u.medianMs,
      u.minMs, u.medianMs / f.medianMs, diff, n.othersPct, n.stealPct, n.load0,
      n.load1);
  std::fflush(stdout);
  std::ostringstream o;
  o << "{\"part\": \"fusion\", \"name\": \"" << name << "\", \"shape\": \""
    << shape << "\", \"threads\": " << gThreads << ", \"fused_impl\": \""
    << fusedDesc << "\", \"unfused_impl\": \"" << unfusedDesc
    << "\", \"fused\": " << timingJson(f) << ", \"unfused\": " << timingJson(u)
    << ", \"speedup\": " << u.medianMs / f.medianMs
    << ", \"max_abs_diff\": " << diff;
  if (extra >= 0)
    o << ", \"intermediate_mib\": " << extra;
  o << ", " << noiseJson(n) << "}";
  gRecords.push_back(o.str());
}

void benchFusion(const Target &t, bool quick) {
  const int vec = t.natural_vector_size<float>();
  const int H = 768, heads = 12;
  std::vector<int> Ms =
      quick ? std::vector<int>{128} : std::vector<int>{128, 1024};

  // bias + GELU epilogue (FFN up projection, N = 3072, K = 768).
  {
    const int N = 3072, K = 768;
    cpu::LinearSpec fs{N, K, cpu::Activation::Gelu, true, false};
    cpu::LinearSpec us{N, K, cpu::Activation::None, true, false};
    Callable fused = jit(cpu::buildLinear(fs, dflt::gemm(N, t), t), t);
    Callable lin = jit(cpu::buildLinear(us, dflt::gemm(N, t), t), t);
    Pipe gelu = elementwise(N, false, cpu::Activation::Gelu, vec);
    gelu.compile(t);
    cpu::PackedLayout l = cpu::linearPackedLayout(fs, dflt::gemm(N, t));
    Buffer<float> w = filled<float>({K, N}, -.05f, .05f, 11);
    Buffer<float> wp(int(l.nb), K, int(l.numPanels));
    cpu::packLinearWeights(w.data(), l, wp.data());
    Buffer<float> bias = filled<float>({N}, -1, 1, 5);
    for (int M : Ms) {
      Buffer<float> x = filled<float>({K, M}, -1, 1, 7);
      Buffer<float> y(N, M), tmp(N, M), y2(N, M);
      auto runF = [&] { check(fused(x, wp, bias, y), "linear+gelu"); };
      auto runU = [&] {
        check(lin(x, wp, bias, tmp), "linear");
        check(gelu.c(tmp, y2), "gelu");
      };
      runF(), runU();
      Noise n;
      auto [tf, tu] = measurePair(runF, runU, n);
      fusionRecord("bias+gelu", "M=" + std::to_string(M) + " N=3072 K=768",
                   "linear(bias, act=gelu)",
                   "linear(bias) -> gelu pass over [M,N]", tf, tu, n,
                   maxAbsDiff(y, y2));
    }
  }

  // residual add + LayerNorm.
  {
    Callable fused =
        jit(cpu::buildLayerNorm({H, 1e-12f, true}, dflt::rows(t), t), t);
    Callable ln =
        jit(cpu::buildLayerNorm({H, 1e-12f, false}, dflt::rows(t), t), t);
    Pipe add = elementwise(H, true, cpu::Activation::None, vec);
    add.compile(t);
    Buffer<float> g = filled<float>({H}, 0, 1, 3),
                  be = filled<float>({H}, 0, 1, 4);
    for (int M : Ms) {
      Buffer<float> x = filled<float>({H, M}, -1, 1, 1),
                    r = filled<float>({H, M}, -1, 1, 2);
      Buffer<float> y(H, M), tmp(H, M), y2(H, M);
      auto runF = [&] { check(fused(x, r, g, be, y), "layer_norm+res"); };
      auto runU = [&] {
        check(add.c(x, r, tmp), "add");
        check(ln(tmp, g, be, y2), "layer_norm");
      };
      runF(), runU();
      Noise n;
      auto [tf, tu] = measurePair(runF, runU, n);
      fusionRecord("res+ln", "M=" + std::to_string(M) + " H=768",
                   "layer_norm(residual)", "add pass -> layer_norm", tf, tu, n,
                   maxAbsDiff(y, y2));
    }
  }

  // Embeddings: gather + sum + LayerNorm.
  {
    const int V = 30522, P = 512;
    cpu::EmbeddingsSpec es{H, V, P, 2, /*paddingIdx=*/-1, 1e-12f}; // BERT
    Callable fused = jit(cpu::buildEmbeddings(es, dflt::rows(t), t), t);
    Callable ln =
        jit(cpu::buildLayerNorm({H, 1e-12f, false}, dflt::rows(t), t), t);
    Pipe gs = gatherSum(es, vec);
    gs.compile(t);
    Buffer<float> w = filled<float>({H, V}, -1, 1, 1),
                  p = filled<float>({H, P}, -1, 1, 2),
                  ty = filled<float>({H, 2}, -1, 1, 3),
                  g = filled<float>({H}, 0, 1, 4),
                  be = filled<float>({H}, 0, 1, 5);
    std::vector<std::pair<int, int>> bs = {{1, 128}, {8, 128}};
    if (quick)
      bs.resize(1);
    for (auto [B, S] : bs) {
      Buffer<int32_t> ids(S, B), tt(S, B);
      std::mt19937 rng(9);
      ids.for_each_value([&](int32_t &v) { v = int32_t(rng() % V); });
      tt.for_each_value([&](int32_t &v) { v = int32_t(rng() % 2); });
      Buffer<float> y(H, S, B), tmp(H, S, B), y2(H, S, B);
      Buffer<float> tmp2(tmp.data(), H, S * B), y22(y2.data(), H, S * B);
      auto runF = [&] {
        check(fused(ids, tt, w, p, ty, g, be, y), "embeddings");
      };
      auto runU = [&] {
        check(gs.c(ids, tt, w, p, ty, tmp), "gather_sum");
        check(ln(tmp2, g, be, y22), "layer_norm");
      };
      runF(), runU();
      Noise n;
      auto [tf, tu] = measurePair(runF, runU, n);
      fusionRecord(
          "embeddings",
          "B=" + std::to_string(B) + " S=" + std::to_string(S) + " H=768",
          "embeddings (gather+sum+LN)", "gather+sum pass -> layer_norm", tf, tu,
          n, maxAbsDiff(y, y2));
    }
  }

  // Attention: fused vs scores materialized + softmax + P.V.
  {
    const int d = H / heads;
    Callable fused =
        jit(cpu::buildAttention({H, heads, 0.f}, dflt::attention(t), t), t);
    Pipe sc = attnScores(H, heads, vec), sm = attnSoftmax(vec),
         pv = attnPV(H, heads, vec);
    sc.compile(t), sm.compile(t), pv.compile(t);
    std::vector<std::pair<int, int>> bs = {{8, 128}, {1, 512}};
    if (quick)
      bs = {{1, 128}, {1, 512}};
    for (auto [B, S] : bs) {
      Buffer<float> qkv = filled<float>({d, heads, 3, S, B}, -1, 1, 8);
      Buffer<int32_t> mask(S, B);
      mask.fill(1);
      // Padding in all but the first sequence: the last quarter of keys masked.
      for (int b = 1; b < B; ++b)
        for (int s = S - S / 4; s < S; ++s)
          mask(s, b) = 0;
      Buffer<float> y(d, heads, S, B), y2(d, heads, S, B);
      Buffer<float> scores(S, S, heads, B), probs(S, S, heads, B);
      auto runF = [&] { check(fused(qkv, mask, y), "attention"); };
      auto runU = [&] {
        check(sc.c(qkv, mask, scores), "scores");
        check(sm.c(scores, probs), "softmax");
        check(pv.c(probs, qkv, y2), "pv");
      };
      runF(), runU();
      Noise n;
      auto [tf, tu] = measurePair(runF, runU, n);
      const double mib = 2.0 * B * heads * double(S) * S * 4 / (1 << 20);
      // Where the unfused chain's time goes (each stage alone).
      Noise ns;
      double tS = measure([&] { sc.c(qkv, mask, scores); }, ns).medianMs;
      double tP = measure([&] { sm.c(scores, probs); }, ns).medianMs;
      double tV = measure([&] { pv.c(probs, qkv, y2); }, ns).medianMs;
      const double gemm = 2.0 * B * heads * double(S) * S * d * 1e-9;
      std::printf(
          "  unfused stages: scores %.3f ms (%.1f GFLOP/s), softmax %.3f ms, "
          "P.V %.3f ms (%.1f GFLOP/s)\n",
          tS, gemm / tS * 1e3, tP, tV, gemm / tV * 1e3);
      fusionRecord("attention",
                   "B=" + std::to_string(B) + " S=" + std::to_string(S) +
                       " H=768/12",
                   "attention (fused, online softmax)",
                   "QK^T*scale+mask -> scores[B,h,S,S] -> softmax -> P.V", tf,
                   tu, n, maxAbsDiff(y, y2), mib);
    }
  }
}

} // namespace

int main(int argc, char **argv) {
  std::string part = "all", json;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--part" && i + 1 < argc)
      part = argv[++i];
    else if (a == "--json" && i + 1 < argc)
      json = argv[++i];
    else if (a == "--quick")
      quick = true;
    else if (a == "--samples" && i + 1 < argc)
      gOpts.samples = std::atoi(argv[++i]);
    else if (a == "--sample-ms" && i + 1 < argc)
      gOpts.sampleMs = std::atof(argv[++i]);
    else {
      std::fprintf(
          stderr,
          "usage: %s [--part gemm|fusion|all] [--json OUT] [--quick] "
          "[--samples N] [--sample-ms MS]   (threads: HL_NUM_THREADS)\n",
          argv[0]);
      return 2;
    }
  }
  const char *th = getenv("HL_NUM_THREADS");
  gThreads = th ? std::atoi(th) : int(sysconf(_SC_NPROCESSORS_ONLN));
  Target t = cpu::parseTarget("host");
  std::printf(
      "# bert-kernels-bench target %s threads %d samples %d x ~%.0f ms\n",
      t.to_string().c_str(), gThreads, gOpts.samples, gOpts.sampleMs);
  try {
    if (part == "gemm" || part == "all")
      benchGemm(t, quick);
    if (part == "fusion" || part == "all")
      benchFusion(t, quick);
  } catch (const Halide::Error &e) {
    std::fprintf(stderr, "bert-kernels-bench: Halide error: %s\n", e.what());
    return 1;
  }
  if (!json.empty()) {
    std::ofstream f(json);
    f << "{\"target\": \"" << t.to_string() << "\", \"threads\": " << gThreads
      << ", \"records\": [\n";
    for (size_t i = 0; i < gRecords.size(); ++i)
      f << (i ? ",\n" : "") << gRecords[i];
    f << "\n]}\n";
  }
  return 0;
}
