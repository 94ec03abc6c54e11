//===- AutoscheduleBench.cpp - hand schedules vs Halide's autoschedulers --===//
//
// Not a test: `make bench-autoschedule` runs it (issue 6: "Halide's own
// autoschedulers are a baseline to compare against").
//
//   bert-autoschedule-bench [--out-dir DIR] [--quick] [--samples N]
//                           [--sample-ms MS] [--only SUBSTR]
//
// For each kernel family at BERT-base shapes, the same algorithm (Kernels.h)
// is compiled twice over: with bertc's hand schedule (the fixed schedules of
// test/Backend/KernelDefaults.h) and, for each autoscheduler plugin shipped
// in the Halide wheel (Adams2019, Mullapudi2016, Li2018, Anderson2021), with
// the kernel's `autoschedule` flag
// (the algorithm with estimates only) + Pipeline::apply_autoscheduler.
//   linear      M in {128, 1024} x (N, K) in {768x768, 3072x768 (+GELU),
//               768x3072}, bias, W packed with packLinearWeights
//   attention   B=1, S in {128, 512}, hidden 768, 12 heads, no padding
//   layer_norm  with residual, M=128, H=768
// Estimates: the kernels' autoschedule branches set some (with M = 1024,
// B = 8, S = 128); the bench overrides every input's and the output's with
// the shapes actually run, so each autoscheduler sees the real problem.
// Each variant's output is compared with the hand schedule's (max|diff| <=
// 1e-4, else 'wrong'); failures to schedule or compile are recorded, not
// fatal. Timing: JIT Callables, 2 threads (HL_NUM_THREADS), interleaved
// samples (hand, auto1, auto2, ... repeated), per-call median and min.
// Results: DIR/autoschedule.txt (the table) and DIR/autoschedule.json.
//===----------------------------------------------------------------------===//

#include "bench/BenchUtil.h"
#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include "compiler/backend/cpu/kernels/Kernels.h"
#include "test/Backend/KernelDefaults.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#ifndef BERT_HALIDE_PLUGIN_DIR
#define BERT_HALIDE_PLUGIN_DIR ""
#endif

using namespace Halide;
namespace cpu = bert::cpu;
using namespace bert::bench;

namespace {

constexpr int kThreads = 2;
constexpr double kTol = 1e-4;

struct Opts {
  int samples = 15;
  double sampleMs = 40;
  bool quick = false;
  std::string outDir = "build/bench", only;
} gOpts;

double nowSec() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double load1() {
  double la[1] = {0};
  return getloadavg(la, 1) == 1 ? la[0] : -1;
}

double medianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string jsonStr(const std::string &s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      o += '\\', o += c;
    else if (c == '\n')
      o += "\\n";
    else if (static_cast<unsigned char>(c) >= 0x20)
      o += c;
  }
  return o + "\"";
}

//===-- the autoschedulers ----------------------------------------------===//

struct Autoscheduler {
  std::string name, plugin; ///< registered name, libautoschedule_<plugin>.so
  /// Try it in a forked child first: Anderson2021's errors are thrown
  /// through a frame that cannot unwind (std::terminate), so a failure there
  /// would end the whole bench.
  bool isolate = false;
  bool loaded = false;
  std::string loadError;
};

std::vector<Autoscheduler> loadAutoschedulers() {
  std::vector<Autoscheduler> as = {{"Adams2019", "adams2019"},
                                   {"Mullapudi2016", "mullapudi2016"},
                                   {"Li2018", "li2018"},
                                   {"Anderson2021", "anderson2021", true}};
  for (Autoscheduler &a : as) {
    std::string lib = std::string(BERT_HALIDE_PLUGIN_DIR) +
                      "/libautoschedule_" + a.plugin + ".so";
    try {
      load_plugin(lib);
      a.loaded = true;
    } catch (const std::exception &e) {
      a.loadError = e.what();
    }
  }
  return as;
}

/// Parameters: 2 threads everywhere; the rest are each plugin's defaults
/// (Adams2019 and Anderson2021 use their built-in cost-model weights).
AutoschedulerParams paramsFor(const Autoscheduler &a) {
  return AutoschedulerParams(a.name,
                             {{"parallelism", std::to_string(kThreads)}});
}

//===-- cases -------------------------------------------------------------===//

/// One benchmark case: how to build its kernel and the buffers it runs on
/// (inputs in Kernel::args order, output last).
struct Case {
  std::string family, shape;
  /// The kernel with the hand schedule, or (true) for an autoscheduler.
  std::function<cpu::Kernel(bool autoschedule)> build;
  std::vector<Buffer<>> args;
};

Region regionOf(const Buffer<> &b) {
  Region r;
  for (int d = 0; d < b.dimensions(); ++d)
    r.push_back(Range(b.dim(d).min(), b.dim(d).extent()));
  return r;
}

std::vector<Case> makeCases(const Target &t) {
  std::vector<Case> cases;
  // linear: Y = act(X W^T + b).
  struct LinShape {
    int N, K;
    cpu::Activation act;
  };
  std::vector<LinShape> lin = {{768, 768, cpu::Activation::None},
                               {3072, 768, cpu::Activation::Gelu},
                               {768, 3072, cpu::Activation::None}};
  for (int M : {128, 1024}) {
    if (gOpts.quick && M == 1024)
      continue;
    for (LinShape s : lin) {
      cpu::LinearSpec spec{s.N, s.K, s.act, /*hasBias=*/true, false};
      cpu::GemmSchedule sched = cpu::defaults::gemm(s.N, t);
      cpu::PackedLayout l = cpu::linearPackedLayout(spec, sched);
      Buffer<float> w = filled<float>({s.K, s.N}, -.05f, .05f, 11);
      Buffer<float> wp(int(l.nb), s.K, int(l.numPanels));
      cpu::packLinearWeights(w.data(), l, wp.data());
      Case c;
      c.family = "linear";
      c.shape = "M=" + std::to_string(M) + " " + std::to_string(s.N) + "x" +
                std::to_string(s.K) +
                (s.act == cpu::Activation::Gelu ? " +gelu" : "");
      c.build = [spec, sched, t](bool autoschedule) {
        return cpu::buildLinear(spec, sched, t, autoschedule);
      };
      c.args = {filled<float>({s.K, M}, -1, 1, 7), wp,
                filled<float>({s.N}, -1, 1, 5), Buffer<float>(s.N, M)};
      cases.push_back(std::move(c));
    }
  }
  // attention: packed QKV of [B*S, 3H], all keys attended.
  const int H = 768, heads = 12, d = H / heads;
  for (int S : {128, 512}) {
    if (gOpts.quick && S == 512)
      continue;
    const int B = 1;
    cpu::AttentionSpec spec{H, heads, 0.f};
    Case c;
    c.family = "attention";
    c.shape = "B=1 S=" + std::to_string(S) + " H=768/12";
    c.build = [spec, t](bool autoschedule) {
      return cpu::buildAttention(spec, cpu::defaults::attention(t), t,
                                 autoschedule);
    };
    Buffer<int32_t> mask(S, B);
    mask.fill(1);
    c.args = {filled<float>({d, heads, 3, S, B}, -1, 1, 8), mask,
              Buffer<float>(d, heads, S, B)};
    cases.push_back(std::move(c));
  }
  // layer_norm with the residual add.
  {
    const int M = 128;
    cpu::LayerNormSpec spec{H, 1e-12f, true};
    Case c;
    c.family = "layer_norm+res";
    c.shape = "M=128 H=768";
    c.build = [spec, t](bool autoschedule) {
      return cpu::buildLayerNorm(spec, cpu::defaults::rows(t), t, autoschedule);
    };
    c.args = {filled<float>({H, M}, -2, 3, 1), filled<float>({H, M}, -1, 1, 2),
              filled<float>({H}, .5f, 1.5f, 3),
              filled<float>({H}, -.5f, .5f, 4), Buffer<float>(H, M)};
    cases.push_back(std::move(c));
  }
  return cases;
}

//===-- variants ----------------------------------------------------------===//

struct Variant {
  std::string name;                 ///< "hand" or the autoscheduler
  std::string status = "ok", error; ///< ok | wrong | failed
  std::string missingEstimates;     ///< what the kernel's branch left unset
  double scheduleS = 0, compileS = 0, maxDiff = 0;
  Callable fn;
  std::vector<Buffer<>> args; ///< own output buffer, shared inputs
  int iters = 1;
  std::vector<double> sampleMs;
  double medianMs = 0, minMs = 0;
};

int call(const Callable &fn, std::vector<Buffer<>> &a) {
  return cpu::detail::callKernel(fn, a, "bench");
}

/// Names of the buffers whose estimates the kernel's autoschedule branch
/// left unset (input params, then the output Func).
std::string missingEstimates(const cpu::Kernel &k) {
  std::string miss;
  for (const ImageParam &p : k.inputs)
    for (int d = 0; d < p.dimensions(); ++d)
      if (!p.parameter().extent_constraint_estimate(d).defined()) {
        miss += (miss.empty() ? "" : ",") + p.name();
        break;
      }
  for (const Func &f : k.pipeline.outputs())
    if (f.function().schedule().estimates().empty())
      miss += (miss.empty() ? "" : ",") + f.name();
  return miss;
}

int gTerminatePipe = -1;

/// Runs `fn` in a forked child; returns "" when it finished, else the error
/// (the exception's message when the child died in std::terminate).
std::string inChild(const std::function<void()> &fn) {
  int fds[2];
  if (pipe(fds) != 0)
    return "pipe() failed";
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    gTerminatePipe = fds[1];
    std::set_terminate([] {
      std::string msg = "std::terminate";
      if (std::exception_ptr e = std::current_exception()) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception &x) {
          msg = x.what();
        } catch (...) {
        }
      }
      (void)!write(gTerminatePipe, msg.data(), msg.size());
      _exit(3);
    });
    try {
      fn();
    } catch (const std::exception &x) {
      (void)!write(fds[1], x.what(), std::strlen(x.what()));
      _exit(2);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string msg;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    msg.append(buf, size_t(n));
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
    return "";
  if (msg.empty())
    msg = WIFSIGNALED(st) ? "killed by signal " + std::to_string(WTERMSIG(st))
                          : "exit " + std::to_string(WEXITSTATUS(st));
  return "(in a forked child, uncatchable) " + msg;
}

/// Builds, (auto)schedules and JIT-compiles one variant; on failure the
/// variant is marked 'failed' with the error.
Variant makeVariant(const Case &c, const Autoscheduler *as, const Target &t) {
  Variant v;
  v.name = as ? as->name : "hand";
  v.args = c.args; // inputs shared; a fresh output per variant
  std::vector<int> shape;
  for (int d = 0; d < c.args.back().dimensions(); ++d)
    shape.push_back(c.args.back().dim(d).extent());
  v.args.back() = Buffer<>(c.args.back().type(), shape);
  try {
    if (as && !as->loaded)
      throw std::runtime_error("plugin did not load: " + as->loadError);
    cpu::Kernel k = c.build(as != nullptr);
    if (as) {
      v.missingEstimates = missingEstimates(k);
      for (size_t i = 0; i < k.inputs.size(); ++i)
        k.inputs[i].set_estimates(regionOf(c.args[i]));
      for (Func f : k.pipeline.outputs())
        f.set_estimates(regionOf(c.args.back()));
      if (as->isolate) {
        std::string err = inChild([&] {
          cpu::Kernel k2 = c.build(true);
          for (size_t i = 0; i < k2.inputs.size(); ++i)
            k2.inputs[i].set_estimates(regionOf(c.args[i]));
          for (Func f : k2.pipeline.outputs())
            f.set_estimates(regionOf(c.args.back()));
          k2.pipeline.apply_autoscheduler(t, paramsFor(*as));
        });
        if (!err.empty() && as->name == "Anderson2021" && !t.has_gpu_feature())
          err += " (Anderson2021 is a GPU autoscheduler: the Python bindings "
                 "raise 'Specified target (...) does not support GPU' for the "
                 "same call)";
        if (!err.empty())
          throw std::runtime_error(err);
      }
      double t0 = nowSec();
      k.pipeline.apply_autoscheduler(t, paramsFor(*as));
      v.scheduleS = nowSec() - t0;
    }
    double t0 = nowSec();
    v.fn = k.pipeline.compile_to_callable(k.args, t);
    v.compileS = nowSec() - t0;
    int rc = call(v.fn, v.args);
    if (rc != 0)
      throw std::runtime_error("call returned " + std::to_string(rc));
  } catch (const std::exception &e) {
    v.status = "failed";
    v.error = e.what();
    // One line is enough for the table; the JSON keeps it all.
    std::string first = v.error.substr(0, v.error.find('\n'));
    std::fprintf(stderr, "  %s %s: %s failed: %s\n", c.family.c_str(),
                 c.shape.c_str(), v.name.c_str(), first.c_str());
  }
  return v;
}

/// Warm-up (>= 2 calls, >= 0.1 s) and calls per sample (~sampleMs).
void calibrate(Variant &v) {
  double t0 = nowSec();
  int n = 0;
  while (n < 2 || nowSec() - t0 < 0.1)
    call(v.fn, v.args), ++n;
  double t1 = nowSec();
  call(v.fn, v.args);
  double one = nowSec() - t1;
  v.iters = std::max(1, int(gOpts.sampleMs * 1e-3 / std::max(one, 1e-7)));
}

/// Interleaved samples: hand, auto1, auto2, ... repeated.
void timeAll(std::vector<Variant *> vs) {
  for (Variant *v : vs)
    calibrate(*v);
  for (int s = 0; s < gOpts.samples; ++s)
    for (Variant *v : vs) {
      double t0 = nowSec();
      for (int i = 0; i < v->iters; ++i)
        call(v->fn, v->args);
      v->sampleMs.push_back((nowSec() - t0) / v->iters * 1e3);
    }
  for (Variant *v : vs) {
    v->medianMs = medianOf(v->sampleMs);
    v->minMs = *std::min_element(v->sampleMs.begin(), v->sampleMs.end());
  }
}

//===-- report
//--------------------------------------------------------------===//

struct Result {
  const Case *c;
  std::vector<Variant> vs; ///< [0] = hand
  double load0 = 0, load1 = 0;
};

std::string cell(const Variant &v, const Variant &hand) {
  char buf[96];
  if (v.status == "failed")
    return "failed";
  if (v.status == "wrong")
    std::snprintf(buf, sizeof buf, "wrong (%.0e)", v.maxDiff);
  else
    std::snprintf(buf, sizeof buf, "%.3f %.2fx %.1fs", v.medianMs,
                  v.medianMs / hand.medianMs, v.scheduleS + v.compileS);
  return buf;
}

std::string table(const std::vector<Result> &rs,
                  const std::vector<Autoscheduler> &as, const Target &t) {
  std::ostringstream o;
  char line[512];
  o << "# bert-autoschedule-bench: hand schedule vs Halide 21 autoschedulers\n"
    << "# target " << t.to_string() << ", " << kThreads << " threads, "
    << gOpts.samples << " interleaved samples x ~" << gOpts.sampleMs
    << " ms; per-call median ms\n"
    << "# auto cell: median ms, ratio to hand (>1 = slower than hand), "
       "autoschedule+JIT compile s\n";
  std::snprintf(line, sizeof line, "%-15s %-20s %-16s", "kernel", "shape",
                "hand ms (min)");
  o << line;
  for (const Autoscheduler &a : as) {
    std::snprintf(line, sizeof line, " %-22s", a.name.c_str());
    o << line;
  }
  o << " load1\n";
  for (const Result &r : rs) {
    const Variant &h = r.vs[0];
    char hand[64];
    if (h.status == "ok")
      std::snprintf(hand, sizeof hand, "%.3f (%.3f)", h.medianMs, h.minMs);
    else
      std::snprintf(hand, sizeof hand, "failed");
    std::snprintf(line, sizeof line, "%-15s %-20s %-16s", r.c->family.c_str(),
                  r.c->shape.c_str(), hand);
    o << line;
    for (size_t i = 1; i < r.vs.size(); ++i) {
      std::snprintf(line, sizeof line, " %-22s", cell(r.vs[i], h).c_str());
      o << line;
    }
    std::snprintf(line, sizeof line, " %.2f->%.2f\n", r.load0, r.load1);
    o << line;
  }
  // Failures, once per distinct message.
  std::vector<std::string> seen;
  for (const Result &r : rs)
    for (const Variant &v : r.vs)
      if (v.status == "failed") {
        std::string msg = v.name + ": " + v.error.substr(0, v.error.find('\n'));
        if (std::find(seen.begin(), seen.end(), msg) == seen.end()) {
          seen.push_back(msg);
          o << "# failed " << msg << " (first: " << r.c->family << " "
            << r.c->shape << ")\n";
        }
      }
  for (const Result &r : rs)
    if (r.vs.size() > 1 && !r.vs[1].missingEstimates.empty())
      o << "# " << r.c->family << ": the kernel's estimates branch left unset: "
        << r.vs[1].missingEstimates << " (set by the bench)\n";
  return o.str();
}

std::string json(const std::vector<Result> &rs, const Target &t) {
  std::ostringstream o;
  o << "{\"target\": " << jsonStr(t.to_string())
    << ", \"threads\": " << kThreads << ", \"samples\": " << gOpts.samples
    << ", \"tolerance\": " << kTol << ", \"records\": [\n";
  for (size_t ri = 0; ri < rs.size(); ++ri) {
    const Result &r = rs[ri];
    o << (ri ? ",\n" : "") << "{\"kernel\": " << jsonStr(r.c->family)
      << ", \"shape\": " << jsonStr(r.c->shape)
      << ", \"load1_before\": " << r.load0 << ", \"load1_after\": " << r.load1
      << ", \"variants\": [";
    for (size_t i = 0; i < r.vs.size(); ++i) {
      const Variant &v = r.vs[i];
      o << (i ? ", " : "") << "{\"name\": " << jsonStr(v.name)
        << ", \"status\": " << jsonStr(v.status);
      if (v.status == "failed") {
        o << ", \"error\": " << jsonStr(v.error) << "}";
        continue;
      }
      o << ", \"median_ms\": " << v.medianMs << ", \"min_ms\": " << v.minMs
        << ", \"ratio_to_hand\": " << v.medianMs / r.vs[0].medianMs
        << ", \"max_abs_diff\": " << v.maxDiff
        << ", \"schedule_s\": " << v.scheduleS
        << ", \"compile_s\": " << v.compileS << ", \"iters\": " << v.iters
        << ", \"samples_ms\": [";
      for (size_t s = 0; s < v.sampleMs.size(); ++s)
        o << (s ? ", " : "") << v.sampleMs[s];
      o << "]";
      if (!v.missingEstimates.empty())
        o << ", \"kernel_missing_estimates\": " << jsonStr(v.missingEstimates);
      o << "}";
    }
    o << "]}";
  }
  o << "\n]}\n";
  return o.str();
}

} // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--out-dir" && i + 1 < argc)
      gOpts.outDir = argv[++i];
    else if (a == "--quick")
      gOpts.quick = true;
    else if (a == "--samples" && i + 1 < argc)
      gOpts.samples = std::atoi(argv[++i]);
    else if (a == "--sample-ms" && i + 1 < argc)
      gOpts.sampleMs = std::atof(argv[++i]);
    else if (a == "--only" && i + 1 < argc)
      gOpts.only = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: %s [--out-dir DIR] [--quick] [--samples N] "
                   "[--sample-ms MS] [--only SUBSTR]\n",
                   argv[0]);
      return 2;
    }
  }
  // Before the first JIT call creates the thread pool.
  setenv("HL_NUM_THREADS", std::to_string(kThreads).c_str(), 1);
  Internal::JITSharedRuntime::set_num_threads(kThreads);

  Target t = cpu::parseTarget("host");
  std::vector<Autoscheduler> as = loadAutoschedulers();
  std::printf("# target %s, %d threads, load1 %.2f\n", t.to_string().c_str(),
              kThreads, load1());
  for (const Autoscheduler &a : as)
    if (!a.loaded)
      std::printf("# %s: plugin failed to load: %s\n", a.name.c_str(),
                  a.loadError.c_str());
  std::fflush(stdout);

  std::vector<Case> cases = makeCases(t);
  std::vector<Result> results;
  for (const Case &c : cases) {
    if (!gOpts.only.empty() &&
        (c.family + " " + c.shape).find(gOpts.only) == std::string::npos)
      continue;
    Result r;
    r.c = &c;
    r.vs.push_back(makeVariant(c, nullptr, t));
    if (r.vs[0].status != "ok") {
      std::fprintf(stderr, "hand schedule failed; skipping the case\n");
      results.push_back(std::move(r));
      continue;
    }
    for (const Autoscheduler &a : as)
      r.vs.push_back(makeVariant(c, &a, t));
    std::vector<Variant *> timed = {&r.vs[0]};
    for (size_t i = 1; i < r.vs.size(); ++i) {
      Variant &v = r.vs[i];
      if (v.status != "ok")
        continue;
      v.maxDiff = maxAbsDiff(Buffer<const float>(v.args.back()),
                             Buffer<const float>(r.vs[0].args.back()));
      if (!(v.maxDiff <= kTol))
        v.status = "wrong";
      timed.push_back(&v); // wrong ones are timed too (in the JSON)
    }
    r.load0 = load1();
    timeAll(timed);
    r.load1 = load1();
    std::printf("%-15s %-20s hand %.3f ms", c.family.c_str(), c.shape.c_str(),
                r.vs[0].medianMs);
    for (size_t i = 1; i < r.vs.size(); ++i)
      std::printf(" | %s %s", r.vs[i].name.c_str(),
                  cell(r.vs[i], r.vs[0]).c_str());
    std::printf("  (load %.2f->%.2f)\n", r.load0, r.load1);
    std::fflush(stdout);
    results.push_back(std::move(r));
  }

  std::string txt = table(results, as, t);
  std::printf("\n%s", txt.c_str());
  std::ofstream(gOpts.outDir + "/autoschedule.txt") << txt;
  std::ofstream(gOpts.outDir + "/autoschedule.json") << json(results, t);
  std::printf("# wrote %s/autoschedule.{txt,json}\n", gOpts.outDir.c_str());
  return 0;
}
