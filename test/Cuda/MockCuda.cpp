//===- MockCuda.cpp - a CUDA driver on host memory, for tests -------------===//
//
// A stand-in for libcuda.so.1 that the runtime loads through $BERT_LIBCUDA
// (runtime/include/bert_cuda_driver.h), so a CUDA model library's generated
// host code runs end to end on a machine without a GPU. Device memory is
// host memory; every allocation is recorded. Each cuLaunchKernel is checked
// before it runs: the kernel is one of the library's (read with its
// parameter list and key from the generated <name>_kernels.cu named by
// $BERT_MOCK_CUDA_KERNELS), the block is the schedule's warps, the grid
// covers the kernel's output, every buffer argument lies inside one
// allocation for all its extents and strides, and no output overlaps an
// input. Then a plain-loop reference of the kernel's family computes it in
// double precision (the packed path's too: a varlen attention over the
// sequences' row offsets, checked to lie within the grid and the buffers,
// and the row gathers and scatters, each index checked). What the mock
// checks is the host side (addresses,
// extents, strides, launch shapes, copies); the kernels' own numerics need
// the GPU (scripts/gpu-check.sh).
//
// Device memory starts poisoned (every byte 0xFF: a NaN as float32, bf16
// and f16), and a reference kernel that reads a poisoned float fails the
// launch: no kernel may read memory that nothing wrote (issue 17's packed
// rows). Buffers of 16-bit activations are read and written as the
// kernels' parameter types say (bf16 or f16, rounded to nearest even).
//
// Device state is tracked too: allocations, streams, loaded modules and
// primary-context retains. Freeing, destroying, unloading or releasing
// something not live is an error, and so is using a released context, a
// destroyed stream or an unloaded module's kernel. CUDA graphs: a launch on
// a capturing stream is recorded (its parameter values copied), not run; a
// copy or synchronize there is an error (a graph would keep the host
// pointer); cuGraphLaunch replays the recorded launches through the same
// checks.
//
// A failed check prints "mock-cuda: ..." and makes the call return
// CUDA_ERROR_ILLEGAL_ADDRESS (700); at exit the mock prints how many
// launches it checked and what device state is still live (a leak).
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "MockCuda.h"

using namespace mockcuda;

namespace {

constexpr int kIllegalAddress = 700, kNotFound = 500, kInvalidValue = 1;

/// A recorded launch: its arguments by value.
struct Recorded {
  void *fn;
  unsigned grid[3], block[3], smem;
  std::vector<uint64_t> values;
  /// Instead of a launch: work of another library on the stream (a
  /// cuBLASLt matmul, MockCublasLt.cpp), run with its checks at replay.
  std::function<int()> host;
};
using Graph = std::vector<Recorded>;

struct Mock {
  std::map<uintptr_t, size_t> allocs;
  /// Capturing streams and what they recorded so far.
  std::map<uintptr_t, Graph> capturing;
  /// Graphs (cuStreamEndCapture) and instantiated graphs, both owned here.
  std::set<Graph *> graphs, execs;
  long graphLaunches = 0, replayed = 0;
  /// A deque: functions handed out point into it across module loads.
  std::deque<Kernel> kernels;
  /// Per cuModuleLoadData: whether it is still loaded (its handle points
  /// at its entry).
  std::deque<bool> modules;
  std::set<uintptr_t> streams;
  uintptr_t nextStream = 0x5000;
  long launches = 0, copies = 0, ctxRetains = 0;
  bool failed = false;
  long liveModules() const {
    long n = 0;
    for (bool loaded : modules)
      n += loaded;
    return n;
  }
  /// "all device state released" or what is still live.
  std::string live() const {
    size_t bytes = 0;
    for (const auto &a : allocs)
      bytes += a.second;
    if (allocs.empty() && streams.empty() && !liveModules() && !ctxRetains &&
        graphs.empty() && execs.empty())
      return "all device state released";
    return "still live: " + std::to_string(allocs.size()) + " allocations (" +
           std::to_string(bytes) + " bytes), " +
           std::to_string(streams.size()) + " streams, " +
           std::to_string(liveModules()) + " modules, " +
           std::to_string(ctxRetains) + " context retains, " +
           std::to_string(graphs.size()) + " graphs, " +
           std::to_string(execs.size()) + " graph execs";
  }
  ~Mock() {
    if (launches || failed)
      std::fprintf(stderr,
                   "mock-cuda: %ld launches (%ld replayed by %ld graph "
                   "launches) and %ld copies checked%s; %s\n",
                   launches, replayed, graphLaunches, copies,
                   failed ? ", some FAILED" : "", live().c_str());
  }
  int fail(const std::string &what) {
    std::fprintf(stderr, "mock-cuda: %s\n", what.c_str());
    failed = true;
    return kIllegalAddress;
  }
  /// The allocation holding [p, p + bytes), or false.
  bool inside(uintptr_t p, int64_t bytes) const {
    auto it = allocs.upper_bound(p);
    if (it == allocs.begin())
      return false;
    --it;
    return p >= it->first && p + uint64_t(bytes) <= it->first + it->second;
  }
};

Mock mock;

/// Reads the kernels of the generated .cu: "// <key>" then the signature.
bool readKernels(const char *path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr,
                 "mock-cuda: cannot read $BERT_MOCK_CUDA_KERNELS "
                 "('%s')\n",
                 path ? path : "");
    return false;
  }
  std::string line, key;
  while (std::getline(in, line)) {
    if (line.rfind("// ", 0) == 0) {
      key = line.substr(3);
      continue;
    }
    size_t at = line.find("extern \"C\" __global__");
    if (at == std::string::npos)
      continue;
    Kernel k;
    k.key = key;
    k.module = mock.modules.size();
    std::string sig = line, more;
    while (sig.find(") {") == std::string::npos && std::getline(in, more))
      sig += more;
    size_t open = sig.rfind('(', sig.find(") {"));
    size_t nameEnd = open, nameStart = sig.rfind(' ', open) + 1;
    k.symbol = sig.substr(nameStart, nameEnd - nameStart);
    std::stringstream ps(sig.substr(open + 1, sig.find(") {") - open - 1));
    std::string p;
    while (std::getline(ps, p, ',')) {
      if (p.find('*') != std::string::npos)
        k.params.push_back({p.find("int32_t") != std::string::npos,
                            p.find("bfloat16") != std::string::npos ||
                                    p.find("__half") != std::string::npos
                                ? 2
                                : 4,
                            0, p.find("__half") != std::string::npos});
      else if (p.find("_e") != std::string::npos && !k.params.empty())
        ++k.params.back().dims;
    }
    std::stringstream ks(key.substr(0, key.find(" | ")) + " " +
                         key.substr(key.find(" | ") + 3));
    ks >> k.family;
    std::string f;
    while (ks >> f)
      if (size_t eq = f.find('='); eq != std::string::npos)
        k.fields[f.substr(0, eq)] = f.substr(eq + 1);
      else
        k.fields[f] = "1"; // a flag such as "bf16"
    mock.kernels.push_back(k);
  }
  return !mock.kernels.empty();
}

/// The rounding a kernel's key asks of its operands: "bf16", "f16" or none.
double (*operandRounding(const Kernel &k))(float) {
  if (k.get("bf16"))
    return bf16;
  if (k.get("f16"))
    return f16;
  return [](float v) { return double(v); };
}

void layerNormRow(std::vector<double> &v, const View &g, const View &b,
                  const View &y, int64_t at, double eps) {
  double mean = 0, var = 0;
  for (double x : v)
    mean += x;
  mean /= double(v.size());
  for (double x : v)
    var += (x - mean) * (x - mean);
  double rstd = 1.0 / std::sqrt(var / double(v.size()) + eps);
  for (size_t c = 0; c < v.size(); ++c)
    y.set(at + int64_t(c), (v[c] - mean) * rstd * g.get(c) + b.get(c));
}

/// Whether the grid covers `need` items in tiles of `tile`.
bool covers(unsigned grid, int64_t tile, int64_t need) {
  return int64_t(grid) * tile >= need;
}

/// Runs kernel `k` on `a` after the launch-shape checks; "" or a complaint.
std::string run(const Kernel &k, const std::vector<View> &a, unsigned gx,
                unsigned gy, unsigned gz) {
  const View &y = a.back();
  const int64_t tm = k.get("tile_m"), tn = k.get("tile_n");
  if (k.family == "linear" || k.family == "pooler") {
    const View &x = a[0], &w = a[1];
    const int64_t M = x.e[1], K = x.e[0], N = w.e[1];
    if (!covers(gx, tn, N) || !covers(gy, tm, M))
      return "grid does not cover " + std::to_string(M) + " x " +
             std::to_string(N);
    bool bias = k.family == "pooler" || k.get("bias");
    int a6 = int(k.get("act", k.family == "pooler" ? 6 : 0));
    // bf16, f16: X rounded as the kernel builds its A fragments; W is
    // already of that type.
    auto round = operandRounding(k);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double acc = bias ? a[2].get(n) : 0.0;
        for (int64_t c = 0; c < K; ++c)
          acc += round(x.get(m * x.s[1] + c)) * w.get(n * w.s[1] + c);
        y.set(m * y.s[1] + n, act(a6, acc));
      }
    return "";
  }
  if (k.family == "layer_norm") {
    bool res = k.get("residual");
    const int64_t rows = y.e[1], H = y.e[0];
    if (!covers(gx, tm, rows))
      return "grid does not cover " + std::to_string(rows) + " rows";
    const View &g = a[res ? 2 : 1], &b = a[res ? 3 : 2];
    std::vector<double> v(H);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < H; ++c)
        v[c] = double(a[0].get(r * a[0].s[1] + c)) +
               (res ? a[1].get(r * a[1].s[1] + c) : 0.0);
      layerNormRow(v, g, b, y, r * y.s[1], k.getF("eps"));
    }
    return "";
  }
  if (k.family == "attention") {
    // The varlen variant (the packed path) takes the sequences' cumulative
    // row offsets first: sequence b is rows cu[b] .. cu[b + 1] of the
    // packed buffers, its keys masked by the packed rows' mask values.
    const bool varlen = k.get("varlen");
    const View &qkv = a[varlen], &mask = a[varlen + 1];
    const int64_t d = qkv.e[0], heads = qkv.e[1], S = qkv.e[3], B = qkv.e[4];
    if (!covers(gx, tm, S) || gy != heads || gz != B + varlen)
      return varlen ? "grid is not (S / tile_m, heads, B + 1)"
                    : "grid is not (S / tile_m, heads, B)";
    if (varlen && !mock.inside(uintptr_t(a[0].base), (B + 2) * 4))
      return "cu[0 .. B + 1] reaches outside its allocation";
    if (varlen) {
      // z = B: rows cu[B] .. cu[B + 1] (the GEMMs' tile rows past the
      // tokens) are zeroed.
      const int64_t from = a[0].id(B), to = a[0].id(B + 1);
      if (from < 0 || to < from || to > B * S)
        return "rows cu[B] .. cu[B + 1] = " + std::to_string(from) + " .. " +
               std::to_string(to) + " are not within the buffers' " +
               std::to_string(B * S);
      for (int64_t r = from; r < to; ++r)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t c = 0; c < d; ++c)
            y.set(r * y.s[2] + h * y.s[1] + c, 0.0);
    }
    double scale = k.getF("scale");
    auto round = operandRounding(k);
    const bool roundsP = k.get("bf16") || k.get("f16");
    if (scale == 0)
      scale = 1.0 / std::sqrt(double(d));
    std::vector<double> p(S);
    for (int64_t b = 0; b < B; ++b) {
      // Sequence b: `len` rows, from these element offsets.
      int64_t len = S, qBase = b * qkv.s[4], mBase = b * mask.s[1],
              yBase = b * y.s[3];
      if (varlen) {
        const int64_t first = a[0].id(b);
        len = a[0].id(b + 1) - first;
        if (first < 0 || len < 0 || len > S || first + len > B * S)
          return "sequence " + std::to_string(b) + " is rows " +
                 std::to_string(first) + " .. " + std::to_string(first + len) +
                 ": not within the grid's " + std::to_string(S) +
                 " rows and the buffers' " + std::to_string(B * S);
        qBase = first * qkv.s[3];
        mBase = first;
        yBase = first * y.s[2];
      }
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < len; ++i) {
          // bf16, f16: Q, K, V rounded, and each p before P.V
          // (unnormalized, as the kernel rounds it; the sum stays exact).
          auto at = [&](int64_t row, int part, int64_t c) {
            return round(qkv.get(qBase + row * qkv.s[3] + part * qkv.s[2] +
                                 h * qkv.s[1] + c));
          };
          double mx = -INFINITY, sum = 0;
          for (int64_t j = 0; j < len; ++j) {
            double dot = 0;
            for (int64_t c = 0; c < d; ++c)
              dot += at(i, 0, c) * at(j, 1, c);
            p[j] = dot * scale + (mask.id(mBase + j) ? 0.0 : -3.4e38);
            mx = std::max(mx, p[j]);
          }
          for (int64_t j = 0; j < len; ++j)
            sum += (p[j] = std::exp(p[j] - mx));
          for (int64_t c = 0; c < d; ++c) {
            double acc = 0;
            for (int64_t j = 0; j < len; ++j)
              acc += (roundsP ? round(float(p[j])) : p[j]) / sum * at(j, 2, c);
            y.set(yBase + i * y.s[2] + h * y.s[1] + c, acc);
          }
        }
    }
    return "";
  }
  if (k.family == "copy_rows") {
    // dst row r = src row idx[r], zeros where idx[r] < 0.
    const View &idx = a[0], &src = a[1];
    if (!covers(gx, tm, y.e[1]))
      return "grid does not cover the rows";
    for (int64_t r = 0; r < y.e[1]; ++r) {
      const int64_t from = idx.id(r * idx.s[0]);
      if (from >= src.e[1])
        return "idx[" + std::to_string(r) + "] = " + std::to_string(from) +
               " is past the source's " + std::to_string(src.e[1]) + " rows";
      for (int64_t c = 0; c < y.e[0]; ++c)
        y.set(r * y.s[1] + c, from >= 0 ? src.get(from * src.s[1] + c) : 0.0);
    }
    return "";
  }
  if (k.family == "embeddings") {
    const View &ids = a[0];
    const int64_t S = ids.e[0], B = ids.e[1], H = y.e[0];
    if (!covers(gx, tm, B * S))
      return "grid does not cover the tokens";
    const bool types = k.get("types") > 0, langs = k.get("langs") > 0;
    const int64_t pad = k.get("padding_idx", -1);
    size_t i = types ? 2 : 1;
    const View &word = a[i], &pos = a[i + 1];
    const View *type = types ? &a[i + 2] : nullptr;
    i += types ? 3 : 2;
    const View &g = a[i], &beta = a[i + 1];
    std::vector<double> v(H);
    for (int64_t b = 0; b < B; ++b) {
      int64_t real = 0;
      for (int64_t s = 0; s < S; ++s) {
        int64_t id = ids.id(b * ids.s[1] + s), p = s;
        if (pad >= 0)
          p = id == pad ? pad : pad + ++real;
        for (int64_t c = 0; c < H; ++c) {
          v[c] =
              double(word.get(id * word.s[1] + c)) + pos.get(p * pos.s[1] + c);
          if (type)
            v[c] += type->get(a[1].id(b * a[1].s[1] + s) * type->s[1] + c);
          if (langs)
            v[c] += a[i + 3].get(
                a[i + 2].id(b * a[i + 2].s[1] + s) * a[i + 3].s[1] + c);
        }
        layerNormRow(v, g, beta, y, b * y.s[2] + s * y.s[1], k.getF("eps"));
      }
    }
    return "";
  }
  if (k.family == "mask_rows") {
    for (int64_t r = 0; r < y.e[1]; ++r)
      for (int64_t c = 0; c < y.e[0]; ++c)
        y.set(r * y.s[1] + c,
              a[0].get(r * a[0].s[1] + c) * (a[1].id(r) ? 1 : 0));
    return covers(gx, tm, y.e[1]) ? "" : "grid does not cover the rows";
  }
  if (k.family == "unstack") {
    for (int64_t r = 0; r < a[0].e[1]; ++r)
      for (size_t j = 1; j < a.size(); ++j)
        a[j].set(r, a[0].get(r * a[0].s[1] + int64_t(j) - 1));
    return covers(gx, tm, a[0].e[1]) ? "" : "grid does not cover the rows";
  }
  if (k.family.rfind("lt_", 0) == 0)
    return runCublasLtKernel(k, a, gx);
  return "no reference for family '" + k.family + "'";
}

// The driver entry points (bert_cuda_driver.h's signatures).
int mInit(unsigned) { return 0; }
int mDeviceGetCount(int *n) { return *n = 1, 0; }
int mDeviceGet(int *d, int ordinal) { return *d = ordinal, ordinal ? 101 : 0; }
int mCtxRetain(void **ctx, int) { return ++mock.ctxRetains, *ctx = &mock, 0; }
int mCtxRelease(int) {
  if (mock.ctxRetains == 0)
    return mock.fail("cuDevicePrimaryCtxRelease without a retain"),
           kInvalidValue;
  return --mock.ctxRetains, 0;
}
int mCtxSetCurrent(void *ctx) {
  if (ctx != &mock)
    return kInvalidValue;
  if (mock.ctxRetains == 0)
    return mock.fail("cuCtxSetCurrent on a released primary context"),
           kInvalidValue;
  return 0;
}
int mModuleLoadData(void **module, const void *image) {
  // A fatbin starts with its magic, 0xBA55ED50.
  uint32_t magic = 0;
  std::memcpy(&magic, image, 4);
  if (magic != 0xBA55ED50u)
    return mock.fail("cuModuleLoadData: the image is not a fatbin"), 200;
  if (!readKernels(std::getenv("BERT_MOCK_CUDA_KERNELS")))
    return 200;
  mock.modules.push_back(true);
  return *module = &mock.modules.back(), 0;
}
/// The index of a live module handle, or -1.
long moduleIndex(void *module) {
  for (size_t i = 0; i < mock.modules.size(); ++i)
    if (&mock.modules[i] == module && mock.modules[i])
      return long(i);
  return -1;
}
int mModuleUnload(void *module) {
  long i = moduleIndex(module);
  if (i < 0)
    return mock.fail("cuModuleUnload of a module not loaded"), kInvalidValue;
  mock.modules[size_t(i)] = false;
  return 0;
}
int mModuleGetFunction(void **fn, void *module, const char *name) {
  long m = moduleIndex(module);
  for (Kernel &k : mock.kernels)
    if (k.symbol == name && long(k.module) == m)
      return *fn = &k, 0;
  mock.fail(std::string("cuModuleGetFunction: no kernel ") + name);
  return kNotFound;
}
int mFuncSetAttribute(void *, int, int) { return 0; }
int mMemAlloc(uint64_t *p, size_t bytes) {
  void *m = std::malloc(bytes ? bytes : 1);
  if (m)
    std::memset(m, 0xff, bytes ? bytes : 1); // poison: see the top
  if (!m)
    return 2;
  mock.allocs[reinterpret_cast<uintptr_t>(m)] = bytes;
  return *p = reinterpret_cast<uintptr_t>(m), 0;
}
int mMemFree(uint64_t p) {
  if (!mock.allocs.erase(p))
    return mock.fail("cuMemFree of an unknown pointer");
  std::free(reinterpret_cast<void *>(p));
  return 0;
}
/// Non-empty when `stream` is capturing, where a copy or sync is refused.
std::string capturing(void *stream, const char *call) {
  if (!mock.capturing.count(reinterpret_cast<uintptr_t>(stream)))
    return "";
  return std::string(call) +
         " on a capturing stream (a graph would keep its host pointer)";
}
int mHtoD(uint64_t dst, const void *src, size_t bytes, void *stream) {
  ++mock.copies;
  if (std::string c = capturing(stream, "cuMemcpyHtoDAsync"); !c.empty())
    return mock.fail(c);
  if (!mock.inside(dst, bytes))
    return mock.fail("cuMemcpyHtoDAsync: " + std::to_string(bytes) +
                     " bytes outside every allocation");
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  return 0;
}
int mDtoH(void *dst, uint64_t src, size_t bytes, void *stream) {
  ++mock.copies;
  if (std::string c = capturing(stream, "cuMemcpyDtoHAsync"); !c.empty())
    return mock.fail(c);
  if (!mock.inside(src, bytes))
    return mock.fail("cuMemcpyDtoHAsync: " + std::to_string(bytes) +
                     " bytes outside every allocation");
  std::memcpy(dst, reinterpret_cast<void *>(src), bytes);
  return 0;
}
int mLaunch(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
            unsigned by, unsigned bz, unsigned smem, void *stream,
            void **params, void **) {
  const Kernel &k = *static_cast<Kernel *>(fn);
  const std::string who = "launch of " + k.symbol + " (" + k.key + "): ";
  if (auto c = mock.capturing.find(reinterpret_cast<uintptr_t>(stream));
      c != mock.capturing.end()) {
    Recorded r{fn, {gx, gy, gz}, {bx, by, bz}, smem, {}, {}};
    size_t n = 0;
    for (const Param &param : k.params)
      n += 1 + 2 * size_t(param.dims);
    for (size_t i = 0; i < n; ++i)
      r.values.push_back(*static_cast<uint64_t *>(params[i]));
    c->second.push_back(r);
    return 0;
  }
  ++mock.launches;
  if (!mock.modules[k.module])
    return mock.fail(who + "its module was unloaded");
  if (stream && !mock.streams.count(reinterpret_cast<uintptr_t>(stream)))
    return mock.fail(who + "on a stream that does not exist");
  if (bx != unsigned(k.get("warps") * 32) || by != 1 || bz != 1)
    return mock.fail(who + "block is not warps x 32 threads");
  if (smem != unsigned(k.get("smem_bytes")))
    return mock.fail(who + "shared memory is not smem_bytes");
  std::vector<View> a;
  size_t p = 0;
  for (const Param &param : k.params) {
    View v;
    v.base = reinterpret_cast<char *>(*static_cast<uint64_t *>(params[p++]));
    v.isInt = param.isInt;
    v.bytes = param.bytes;
    v.isF16 = param.isF16;
    for (int d = 0; d < param.dims; ++d) {
      v.e.push_back(*static_cast<int64_t *>(params[p++]));
      v.s.push_back(*static_cast<int64_t *>(params[p++]));
    }
    if (!mock.inside(reinterpret_cast<uintptr_t>(v.base), v.span()))
      return mock.fail(who + "argument " + std::to_string(a.size()) +
                       " reaches outside its allocation");
    a.push_back(v);
  }
  // Outputs: the last argument, or every argument after the first
  // (unstack).
  size_t firstOut = k.family == "unstack" ? 1 : a.size() - 1;
  for (size_t o = firstOut; o < a.size(); ++o)
    for (size_t i = 0; i < firstOut; ++i)
      if (a[o].base < a[i].base + a[i].span() &&
          a[i].base < a[o].base + a[o].span())
        return mock.fail(who + "output " + std::to_string(o) +
                         " overlaps input " + std::to_string(i));
  poisonReads = 0;
  std::string problem = run(k, a, gx, gy, gz);
  if (problem.empty() && poisonReads)
    problem =
        "reads " + std::to_string(poisonReads) +
        " elements that nothing wrote (device memory starts poisoned); "
        "the first at argument " +
        [&] {
          for (size_t i = 0; i < a.size(); ++i)
            if (firstPoison >= a[i].base &&
                firstPoison < a[i].base + a[i].span())
              return std::to_string(i) + ", byte " +
                     std::to_string(static_cast<const char *>(firstPoison) -
                                    a[i].base);
          return std::string("?");
        }();
  return problem.empty() ? 0 : mock.fail(who + problem);
}
int mStreamCreate(void **s, unsigned) {
  mock.streams.insert(mock.nextStream);
  return *s = reinterpret_cast<void *>(mock.nextStream++), 0;
}
int mStreamDestroy(void *s) {
  if (!mock.streams.erase(reinterpret_cast<uintptr_t>(s)))
    return mock.fail("cuStreamDestroy of a stream that does not exist"),
           kInvalidValue;
  return 0;
}
int mStreamSynchronize(void *s) {
  if (s && !mock.streams.count(reinterpret_cast<uintptr_t>(s)))
    return mock.fail("cuStreamSynchronize of a stream that does not exist");
  if (std::string c = capturing(s, "cuStreamSynchronize"); !c.empty())
    return mock.fail(c);
  return mock.failed ? kIllegalAddress : 0;
}
int mBeginCapture(void *s, int) {
  uintptr_t id = reinterpret_cast<uintptr_t>(s);
  if (!mock.streams.count(id) || mock.capturing.count(id))
    return mock.fail("cuStreamBeginCapture: not a stream, or capturing");
  mock.capturing[id];
  return 0;
}
int mEndCapture(void *s, void **graph) {
  auto it = mock.capturing.find(reinterpret_cast<uintptr_t>(s));
  if (it == mock.capturing.end())
    return mock.fail("cuStreamEndCapture of a stream not capturing");
  Graph *g = new Graph(std::move(it->second));
  mock.capturing.erase(it);
  mock.graphs.insert(g);
  return *graph = g, 0;
}
int mInstantiate(void **exec, void *graph, unsigned long long) {
  auto *g = static_cast<Graph *>(graph);
  if (!mock.graphs.count(g))
    return mock.fail("cuGraphInstantiate of an unknown graph");
  Graph *e = new Graph(*g);
  mock.execs.insert(e);
  return *exec = e, 0;
}
int mGraphLaunch(void *exec, void *stream) {
  auto *e = static_cast<Graph *>(exec);
  if (!mock.execs.count(e))
    return mock.fail("cuGraphLaunch of an unknown graph exec");
  ++mock.graphLaunches;
  for (Recorded &r : *e) {
    if (r.host) {
      if (int rc = r.host())
        return rc;
      continue;
    }
    std::vector<void *> params;
    for (uint64_t &v : r.values)
      params.push_back(&v);
    ++mock.replayed;
    if (int rc = mLaunch(r.fn, r.grid[0], r.grid[1], r.grid[2], r.block[0],
                         r.block[1], r.block[2], r.smem, stream, params.data(),
                         nullptr))
      return rc;
  }
  return 0;
}
/// Frees a graph or graph exec of `set`.
int destroyGraph(std::set<Graph *> &set, void *g, const char *call) {
  if (!set.erase(static_cast<Graph *>(g)))
    return mock.fail(std::string(call) + " of an unknown handle");
  delete static_cast<Graph *>(g);
  return 0;
}
int mGraphExecDestroy(void *e) {
  return destroyGraph(mock.execs, e, "cuGraphExecDestroy");
}
int mGraphDestroy(void *g) {
  return destroyGraph(mock.graphs, g, "cuGraphDestroy");
}
int mGetErrorString(int e, const char **text) {
  *text = e == kIllegalAddress ? "mock: illegal address" : "mock error";
  return 0;
}

} // namespace

/// Every entry point runs under one lock: a library's concurrent runs call
/// the driver from several threads (each on its own stream), and the mock's
/// bookkeeping is shared. Recursive: cuGraphLaunch replays through
/// mLaunch.
std::recursive_mutex mockLock;
template <typename F, F f> struct Locked;
template <typename R, typename... A, R (*f)(A...)>
struct Locked<R (*)(A...), f> {
  static R call(A... a) {
    std::lock_guard<std::recursive_mutex> hold(mockLock);
    return f(a...);
  }
};
#define LOCKED(f) reinterpret_cast<void *>(&Locked<decltype(&f), &f>::call)

namespace mockcuda {
long poisonReads = 0;
const void *firstPoison = nullptr;

double act(int a, double v) {
  switch (a) {
  case 1:
    return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  case 2:
    return 0.5 * v *
           (1.0 +
            std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
  case 3:
    return v > 0 ? v : 0.0;
  case 4:
    return v / (1.0 + std::exp(-v));
  case 5:
    return v / (1.0 + std::exp(-1.702 * v));
  case 6:
    return std::tanh(v);
  }
  return v;
}

/// v as a bf16 operand holds it: nearest even of the top 16 bits (the
/// format's definition; what cvt.rn.bf16.f32 and the host conversion do).
double bf16(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  std::memcpy(&v, &u, 4);
  return v;
}

/// v as an f16 operand holds it: IEEE half, nearest even (the compiler's
/// _Float16 conversion), saturated to +-65504 as precision <f16> defines
/// (what cvt.rn.satfinite and the host conversion do).
double f16(float v) {
  if (!std::isnan(v))
    v = std::fmin(std::fmax(v, -65504.0f), 65504.0f);
  return double(_Float16(v));
}

std::recursive_mutex &lock() { return mockLock; }
int fail(const std::string &what) { return mock.fail(what); }
bool inside(uintptr_t p, int64_t bytes) { return mock.inside(p, bytes); }
bool streamLive(void *stream) {
  return !stream || mock.streams.count(reinterpret_cast<uintptr_t>(stream));
}
bool record(void *stream, std::function<int()> op) {
  auto c = mock.capturing.find(reinterpret_cast<uintptr_t>(stream));
  if (c == mock.capturing.end())
    return false;
  c->second.push_back(Recorded{nullptr, {}, {}, 0, {}, std::move(op)});
  return true;
}

void View::set(int64_t i, double v) const {
  if (bytes == 4) {
    reinterpret_cast<float *>(base)[i] = float(v);
    return;
  }
  uint16_t h;
  if (isF16) {
    _Float16 x = _Float16(f16(float(v)));
    std::memcpy(&h, &x, 2);
  } else {
    float x = float(bf16(float(v)));
    uint32_t u;
    std::memcpy(&u, &x, 4);
    h = uint16_t(u >> 16);
  }
  reinterpret_cast<uint16_t *>(base)[i] = h;
}

} // namespace mockcuda

extern "C" __attribute__((visibility("default"))) int
cuGetProcAddress_v2(const char *symbol, void **pfn, int, uint64_t, int *) {
  static const std::map<std::string, void *> table = {
      {"cuInit", LOCKED(mInit)},
      {"cuDeviceGetCount", LOCKED(mDeviceGetCount)},
      {"cuDeviceGet", LOCKED(mDeviceGet)},
      {"cuDevicePrimaryCtxRetain", LOCKED(mCtxRetain)},
      {"cuCtxSetCurrent", LOCKED(mCtxSetCurrent)},
      {"cuModuleLoadData", LOCKED(mModuleLoadData)},
      {"cuModuleGetFunction", LOCKED(mModuleGetFunction)},
      {"cuFuncSetAttribute", LOCKED(mFuncSetAttribute)},
      {"cuMemAlloc", LOCKED(mMemAlloc)},
      {"cuMemFree", LOCKED(mMemFree)},
      {"cuMemcpyHtoDAsync", LOCKED(mHtoD)},
      {"cuMemcpyDtoHAsync", LOCKED(mDtoH)},
      {"cuLaunchKernel", LOCKED(mLaunch)},
      {"cuStreamCreate", LOCKED(mStreamCreate)},
      {"cuStreamSynchronize", LOCKED(mStreamSynchronize)},
      {"cuGetErrorString", LOCKED(mGetErrorString)},
      {"cuModuleUnload", LOCKED(mModuleUnload)},
      {"cuStreamDestroy", LOCKED(mStreamDestroy)},
      {"cuDevicePrimaryCtxRelease", LOCKED(mCtxRelease)},
      {"cuStreamBeginCapture", LOCKED(mBeginCapture)},
      {"cuStreamEndCapture", LOCKED(mEndCapture)},
      {"cuGraphInstantiateWithFlags", LOCKED(mInstantiate)},
      {"cuGraphLaunch", LOCKED(mGraphLaunch)},
      {"cuGraphExecDestroy", LOCKED(mGraphExecDestroy)},
      {"cuGraphDestroy", LOCKED(mGraphDestroy)}};
  auto it = table.find(symbol);
  *pfn = it == table.end() ? nullptr : it->second;
  return it == table.end() ? kNotFound : 0;
}

/// For tests (test/E2E/Inputs/cuda_async.c): what device state is live now,
/// as the exit summary words it.
extern "C" __attribute__((visibility("default"))) const char *
bert_mock_cuda_live(void) {
  std::lock_guard<std::recursive_mutex> hold(mockLock);
  static std::string text;
  return (text = mock.live()).c_str();
}
