//===- KernelTuner.cpp - JIT-time schedule variants of one kernel ---------===//
//
// Halide side of `bertc tune` (KernelTuner.h says what and why). Inputs are
// built once per kernel in the layout the generated host code passes
// (Kernels.h documents each argument), random but seeded, so every
// candidate computes the same function of the same data; a candidate whose
// output differs from the default's by more than rounding is rejected.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/KernelTuner.h"
#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include "compiler/backend/cpu/kernels/Kernels.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>

using namespace bert::cpu;

namespace {

/// A candidate must beat the default by this factor in the confirming
/// measurement; closer calls are noise on a shared machine.
constexpr double kMinGain = 0.97;
/// Length of one timing sample; long enough that timer and dispatch noise
/// are < 1%, short enough that a load burst spoils few samples.
constexpr double kSampleSeconds = 0.012;
/// Alternating (default, candidate) sample pairs while searching, and when
/// confirming the winner.
constexpr int kSearchPairs = 3, kConfirmPairs = 7;

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// One kernel argument: owned storage and the halide_buffer_t over it.
struct View {
  enum Elem { F32, I32, BF16, I8 };
  std::vector<float> f;
  std::vector<int32_t> i;
  std::vector<uint16_t> h;
  std::vector<int8_t> b;
  std::vector<halide_dimension_t> dims;
  halide_buffer_t buf{};
  /// Kernel arguments after `buf` that view parts of its storage (an int8
  /// linear's channel scales and column sums after the panels), with their
  /// one dim each.
  std::vector<halide_buffer_t> parts;
  std::vector<halide_dimension_t> partDims;

  /// `dims`: (extent, stride), innermost first; storage covers them all.
  View(std::vector<std::pair<int, int>> shape, bool isInt)
      : View(toDims(shape), isInt ? I32 : F32) {}
  /// `minElems`: storage for at least that many elements (a layout whose
  /// rows are padded past the last element the dims reach, as the one-panel
  /// bf16 weights are, is written whole by its packer).
  View(std::vector<halide_dimension_t> d, Elem elem, size_t minElems = 0)
      : dims(std::move(d)) {
    size_t elems = 1;
    for (const halide_dimension_t &dim : dims)
      elems += size_t(dim.extent - 1) * dim.stride;
    elems = std::max(elems, minElems);
    uint8_t *host = nullptr;
    switch (elem) {
    case F32:
      f.assign(elems, 0.f);
      host = reinterpret_cast<uint8_t *>(f.data());
      buf.type = halide_type_t(halide_type_float, 32);
      break;
    case I32:
      i.assign(elems, 0);
      host = reinterpret_cast<uint8_t *>(i.data());
      buf.type = halide_type_t(halide_type_int, 32);
      break;
    case BF16:
      h.assign(elems, 0);
      host = reinterpret_cast<uint8_t *>(h.data());
      buf.type = halide_type_t(halide_type_bfloat, 16);
      break;
    case I8:
      b.assign(elems, 0);
      host = reinterpret_cast<uint8_t *>(b.data());
      buf.type = halide_type_t(halide_type_int, 8);
      break;
    }
    buf.host = host;
    buf.dimensions = int(dims.size());
    buf.dim = dims.data();
  }
  View(const View &) = delete;

  /// Appends a 1-D part of `extent` elements of `type`, `byteOffset` bytes
  /// into the storage (call once per part, before taking their addresses).
  void addPart(halide_type_t type, int extent, int64_t byteOffset) {
    partDims.reserve(2);
    partDims.push_back(halide_dimension_t(0, extent, 1));
    halide_buffer_t p{};
    p.type = type;
    p.host = buf.host + byteOffset;
    p.dimensions = 1;
    p.dim = &partDims.back();
    parts.push_back(p);
  }

  static std::vector<halide_dimension_t>
  toDims(const std::vector<std::pair<int, int>> &shape) {
    std::vector<halide_dimension_t> d;
    for (auto [extent, stride] : shape)
      d.push_back(halide_dimension_t(0, extent, stride));
    return d;
  }
};

void fillUniform(std::vector<float> &v, unsigned seed, float lo = -1.f,
                 float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  for (float &x : v)
    x = u(rng);
}

/// The kernel's inputs and output for one shape, plus, for linear kernels,
/// the unpacked weights each candidate's panel width repacks.
class Workload {
public:
  Workload(const KernelRequest &req, TuneShape shape) : req(req) {
    std::vector<TuneArg> args =
        familyOf(req).tuneArgs(req, int(shape.batch), int(shape.seq));
    std::mt19937 ids(5);
    for (const TuneArg &arg : args) {
      if (arg.kind == TuneArg::Kind::Weights) {
        // The linear's W[N, K] (the pooler's too), packed per candidate.
        LinearSpec l = weightSpecOf(req);
        n = int(l.N);
        k = int(l.K);
        weights.resize(size_t(n) * k);
        fillUniform(weights, 99, -0.05f, 0.05f);
        weightArg = int(views.size());
        views.push_back(nullptr);
        continue;
      }
      const bool isInt = arg.kind != TuneArg::Kind::Floats;
      views.push_back(std::make_unique<View>(arg.dims, isInt));
      View &v = *views.back();
      if (arg.kind == TuneArg::Kind::Floats)
        fillUniform(v.f, unsigned(views.size()));
      else if (arg.kind == TuneArg::Kind::Ones)
        std::fill(v.i.begin(), v.i.end(), 1);
      else
        for (int32_t &id : v.i)
          id = int32_t(ids() % uint32_t(std::max<int64_t>(1, arg.bound)));
    }
  }

  /// Argument pointers for a candidate (`packed`: its weight panels).
  std::vector<halide_buffer_t *> args(View *packed) {
    std::vector<halide_buffer_t *> a;
    for (size_t j = 0; j < views.size(); ++j)
      if (int(j) != weightArg) {
        a.push_back(&views[j]->buf);
      } else {
        a.push_back(&packed->buf);
        for (halide_buffer_t &p : packed->parts)
          a.push_back(&p);
      }
    return a;
  }

  /// Weight panels in `cand`'s layout (null for kernels without).
  std::unique_ptr<View> packFor(const KernelRequest &cand,
                                const Halide::Target &target) {
    if (weightArg < 0)
      return nullptr;
    std::string error;
    const auto *linear = std::get_if<LinearSpec>(&cand.spec);
    if (linear && linear->int8) {
      // The panels, then the channels' scales and column sums: three
      // kernel arguments over one packed block, as the runtime lays it.
      Int8Layout l = linearInt8Layout(*linear, int8DotSchedule(cand.schedule));
      auto v = std::make_unique<View>(l.dims(), View::I8, size_t(l.bytes));
      packLinearWeightsInt8(weights.data(), l, v->b.data());
      v->addPart(halide_type_t(halide_type_float, 32), n, l.scaleOffset);
      v->addPart(halide_type_t(halide_type_int, 32), n,
                 l.scaleOffset + int64_t(sizeof(float)) * n);
      return v;
    }
    if (linear && linear->bf16) {
      BF16WeightLayout wl;
      if (!linearBF16WeightLayout(cand, target.to_string(), wl, error))
        throw std::runtime_error("bf16 layout: " + error);
      BF16Layout l{n, k, wl.panelWidth, wl.rowStride, wl.numPanels};
      auto v =
          std::make_unique<View>(l.dims(), View::BF16, size_t(l.numElements()));
      packLinearWeightsBF16(weights.data(), l, v->h.data());
      return v;
    }
    int64_t nb = linearPanelWidth(cand, target.to_string(), error);
    if (nb <= 0)
      throw std::runtime_error("panel width: " + error);
    PackedLayout l{n, k, nb, (n + nb - 1) / nb};
    auto v = std::make_unique<View>(
        std::vector<std::pair<int, int>>{
            {int(nb), 1}, {k, int(nb)}, {int(l.numPanels), int(k * nb)}},
        false);
    packLinearWeights(weights.data(), l, v->f.data());
    return v;
  }

  const std::vector<float> &output() const { return views.back()->f; }

private:
  KernelRequest req;
  std::vector<std::unique_ptr<View>> views;
  std::vector<float> weights;
  int weightArg = -1, n = 0, k = 0;
};

/// A compiled candidate with its own weight panels, timed in samples.
struct Candidate {
  KernelRequest req;
  Halide::Callable fn;
  std::unique_ptr<View> packed;
  std::vector<halide_buffer_t *> args;
  int iters = 1;
  double bestMs = 1e30;

  void run() {
    if (int rc = detail::callKernel(fn, args, "tuner"))
      throw std::runtime_error("kernel returned " + std::to_string(rc));
  }
  /// One sample: `iters` back-to-back calls; keeps the fastest per call.
  double sample() {
    double t0 = now();
    for (int j = 0; j < iters; ++j)
      run();
    double ms = (now() - t0) / iters * 1e3;
    bestMs = std::min(bestMs, ms);
    return ms;
  }
};

std::unique_ptr<Candidate> compile(Workload &w, const KernelRequest &req,
                                   const Halide::Target &target) {
  auto c = std::make_unique<Candidate>();
  c->req = req;
  Kernel k = buildRequestKernel(req, target);
  c->fn = k.pipeline.compile_to_callable(k.args, target);
  c->packed = w.packFor(req, target);
  c->args = w.args(c->packed.get());
  // Warm up (first-touch, thread pool start) and size a sample.
  double t0 = now();
  int calls = 0;
  while (calls < 2 || now() - t0 < 0.02)
    c->run(), ++calls;
  double per = (now() - t0) / calls;
  c->iters = std::max(1, int(kSampleSeconds / std::max(per, 1e-7)));
  return c;
}

/// Whether `c`'s output matches `ref` up to the family's tolerance (tile
/// shapes reorder sums).
bool sameOutput(const KernelRequest &req, const std::vector<float> &out,
                const std::vector<float> &ref) {
  const float tol = familyOf(req).tolerance(req);
  for (size_t j = 0; j < out.size(); ++j)
    if (!(std::fabs(out[j] - ref[j]) <= tol * (1.f + std::fabs(ref[j]))))
      return false;
  return true;
}

std::string describe(const KernelRequest &r) {
  return ::bert::describeSchedule(r.schedule);
}

} // namespace

//===----------------------------------------------------------------------===//
// Measurement and search
//===----------------------------------------------------------------------===//

double bert::cpu::timeKernel(const KernelRequest &req,
                             const std::string &target, TuneShape shape,
                             std::string &error) {
  try {
    Halide::Target t = parseTarget(target);
    // AMX kernels run here, in this process: Linux must grant the tile state
    // first (the runtime does the same when it loads an AMX library).
    if (t.has_feature(Halide::Target::AVX512_SapphireRapids))
      requestAMXState();
    Workload w(req, shape);
    std::unique_ptr<Candidate> c = compile(w, req, t);
    for (int j = 0; j < 3; ++j)
      c->sample();
    return c->bestMs;
  } catch (const Halide::Error &e) {
    error = e.what();
  } catch (const std::exception &e) {
    error = e.what();
  }
  return -1;
}

bool bert::cpu::tuneKernel(
    const KernelRequest &req, const std::string &target, TuneShape shape,
    double budgetSeconds, TuneResult &result, std::string &error,
    const std::function<void(const std::string &)> &log) {
  const double start = now();
  Halide::Target t;
  std::unique_ptr<Workload> w;
  std::unique_ptr<Candidate> def;
  try {
    t = parseTarget(target);
    if (t.has_feature(Halide::Target::AVX512_SapphireRapids))
      requestAMXState();
    w = std::make_unique<Workload>(req, shape);
    def = compile(*w, req, t);
  } catch (const Halide::Error &e) {
    error = std::string("the default schedule: ") + e.what();
    return false;
  } catch (const std::exception &e) {
    error = std::string("the default schedule: ") + e.what();
    return false;
  }
  const std::vector<float> ref = w->output();
  result = TuneResult();
  result.best = req;

  // D C D C ...: both keep their fastest sample; returns candidate/default.
  auto race = [&](Candidate &c, int pairs) {
    def->bestMs = c.bestMs = 1e30;
    for (int j = 0; j < pairs; ++j) {
      def->sample();
      c.sample();
    }
    return c.bestMs / def->bestMs;
  };

  std::unique_ptr<Candidate> best;
  double bestRatio = 1.0;
  std::set<std::string> seen{req.key()};
  double lastCost = 0; // seconds the last candidate took, to stop in time
  const KernelFamily &family = familyOf(req);
  std::vector<TuneKnob> space = family.tuningSpace(req, t);
  auto plausible = [&](const KernelRequest &cand) {
    return !family.plausible || family.plausible(cand, t);
  };
  // Sets `knob` of `cand` to `value` (its schedule has the field: the space
  // comes from the family that owns the schedule).
  auto setKnob = [](KernelRequest &cand, const TuneKnob &knob, int64_t value) {
    if (int64_t *field = ::bert::scheduleField(cand.schedule, knob.field))
      *field = value;
  };
  KernelRequest current = req;
  bool outOfTime = false;
  // Once descent converges, random points of the whole space (seeded, so a
  // run is repeatable on a quiet machine) until the budget is spent; a
  // better one restarts the descent from there. Descent alone stops in a
  // local minimum: the knobs interact (rows per task x register tile).
  std::mt19937 rng(7);
  auto randomCandidate = [&]() -> std::optional<KernelRequest> {
    for (int attempt = 0; attempt < 200; ++attempt) {
      KernelRequest cand = current;
      for (const TuneKnob &knob : space)
        setKnob(cand, knob, knob.values[rng() % knob.values.size()]);
      if (!seen.count(cand.key()) && plausible(cand))
        return cand;
    }
    return std::nullopt; // (nearly) everything measured
  };
  for (bool improved = true; !outOfTime;) {
    std::vector<std::pair<const TuneKnob *, int64_t>> moves;
    if (improved) {
      for (const TuneKnob &knob : space)
        for (int64_t value : knob.values)
          moves.push_back({&knob, value});
    }
    improved = false;
    std::optional<KernelRequest> random;
    if (moves.empty()) { // converged: one random point
      random = randomCandidate();
      if (!random)
        break;
      moves.push_back({nullptr, 0});
    }
    {
      for (auto [knob, value] : moves) {
        if (outOfTime)
          break;
        // A descent move changes one knob of the best point so far.
        KernelRequest cand = random ? *random : current;
        if (knob)
          setKnob(cand, *knob, value);
        if (!seen.insert(cand.key()).second || !plausible(cand))
          continue;
        if (now() - start + lastCost > budgetSeconds) {
          outOfTime = true;
          break;
        }
        double t0 = now();
        std::unique_ptr<Candidate> c;
        std::string why;
        try {
          c = compile(*w, cand, t);
          if (!sameOutput(req, w->output(), ref))
            why = "output differs from the default schedule's";
        } catch (const Halide::Error &e) {
          why = e.what();
        } catch (const std::exception &e) {
          why = e.what();
        }
        if (!why.empty()) {
          ++result.rejected;
          if (log)
            log("  rejected " + describe(cand) + ": " + why.substr(0, 200));
          lastCost = now() - t0;
          continue;
        }
        ++result.candidates;
        double ratio = race(*c, kSearchPairs);
        lastCost = now() - t0;
        if (log) {
          std::ostringstream os;
          os.precision(3);
          os << "  " << describe(cand) << ": " << c->bestMs << " ms (" << ratio
             << "x default)";
          log(os.str());
        }
        if (ratio < bestRatio) {
          bestRatio = ratio;
          best = std::move(c);
          current = cand;
          improved = true;
        }
      }
    }
  }
  // Confirm the winner against the default in a fresh window.
  double ratio = best ? race(*best, kConfirmPairs) : 1.0;
  if (best && ratio < kMinGain) {
    result.best = best->req;
    result.bestMs = best->bestMs;
  } else {
    if (!best)
      for (int j = 0; j < kConfirmPairs; ++j)
        def->sample();
    result.bestMs = def->bestMs;
  }
  result.defaultMs = def->bestMs;
  result.seconds = now() - start;
  return true;
}
