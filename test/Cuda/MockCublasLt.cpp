//===- MockCublasLt.cpp - cuBLASLt on host memory, for tests --------------===//
//
// The cuBLASLt entry points a library compiled with --cuda-gemm=cublaslt
// calls (runtime/include/bert_cublaslt_driver.h), exported by the mock
// driver's library so that $BERT_LIBCUBLASLT can name it: they share its
// device memory and streams (MockCuda.h). Handles, descriptors, layouts and
// preferences are tracked (a use after destroy or a leak is reported, the
// latter at exit). cublasLtMatmul checks what the generated host code
// promises before it computes: the descriptor's transposes (op(A) = T,
// op(B) = N: the row-major Y = X W^T), the layouts' types (A and B alike,
// C and D fp32), rows, columns and leading dimensions against each other,
// every matrix, the bias and the workspace inside one allocation, the
// workspace no larger than the preference allows, the alignment promised
// to the heuristics, D not overlapping A or B, C = D and alpha 1, beta 0.
// Then it computes D in double from the operands as stored (fp32, bf16 or
// f16) plus the bias. On a capturing stream the matmul is recorded and
// runs, with its checks, when the graph is launched. GELU epilogues are
// refused: which GELU the device computes is for the device to show
// (scripts/gpu-check.sh), not for a mock to assume.
//
//===----------------------------------------------------------------------===//

#include "MockCuda.h"

#include <cstdio>
#include <set>

using namespace mockcuda;

namespace {

// The values of bert_cublaslt_driver.h (cublasLt.h's).
constexpr int kSuccess = 0, kInvalidValue = 7, kNotSupported = 15,
              kExecutionFailed = 13;
constexpr int kCompute32F = 68, kR32F = 0, kR16F = 2, kR16BF = 14;
constexpr int kOpN = 0, kOpT = 1;
constexpr uint32_t kEpilogueDefault = 1, kEpilogueBias = 4;
/// What the mock's heuristics put in an algorithm, and the matmul checks.
constexpr uint64_t kAlgoTag = 0x6d6f636b6c74ull;

struct Desc {
  int compute = 0, scale = 0, transa = kOpN, transb = kOpN, biasType = -1;
  uint32_t epilogue = kEpilogueDefault;
  uintptr_t bias = 0;
};
struct Layout {
  int type = 0;
  uint64_t rows = 0, cols = 0;
  int64_t ld = 0;
};
struct Pref {
  uint64_t maxWorkspace = 0;
  uint32_t align[4] = {256, 256, 256, 256}; ///< A, B, C, D
};

struct State {
  std::set<uintptr_t> handles;
  std::map<uintptr_t, Desc *> descs;
  std::map<uintptr_t, Layout *> layouts;
  std::map<uintptr_t, Pref *> prefs;
  long matmuls = 0, replayed = 0, heuristics = 0;
  ~State() {
    if (!matmuls && !heuristics && handles.empty())
      return;
    bool clean =
        handles.empty() && descs.empty() && layouts.empty() && prefs.empty();
    std::fprintf(stderr,
                 "mock-cublaslt: %ld matmuls checked (%ld replayed from "
                 "graphs), %ld heuristics queries; %s\n",
                 matmuls, replayed, heuristics,
                 clean ? "all handles released"
                       : ("still live: " + std::to_string(handles.size()) +
                          " handles, " + std::to_string(descs.size()) +
                          " matmul descriptors, " +
                          std::to_string(layouts.size()) + " layouts, " +
                          std::to_string(prefs.size()) + " preferences")
                             .c_str());
  }
};
State lt;

int bytesOf(int type) {
  return type == kR32F ? 4 : type == kR16F || type == kR16BF ? 2 : 0;
}

/// Element i of a matrix of `type` at p, as a double.
double element(uintptr_t p, int type, int64_t i) {
  View v;
  v.base = reinterpret_cast<char *>(p);
  v.bytes = bytesOf(type);
  v.isF16 = type == kR16F;
  return v.get(i);
}

/// A handle of `map` (a live one), or null after a complaint.
template <typename T>
T *live(std::map<uintptr_t, T *> &map, void *h, const char *what) {
  auto it = map.find(reinterpret_cast<uintptr_t>(h));
  if (it == map.end()) {
    fail(std::string("cublasLt: ") + what + " is not a live handle");
    return nullptr;
  }
  return it->second;
}

/// Sets `field` from an attribute buffer of exactly its size.
template <typename T>
int setField(T &field, const void *buf, size_t size, const char *what) {
  if (!buf || size != sizeof(T))
    return fail(std::string("cublasLt: attribute ") + what + " of " +
                std::to_string(size) + " bytes, expected " +
                std::to_string(sizeof(T))),
           kInvalidValue;
  std::memcpy(&field, buf, sizeof(T));
  return kSuccess;
}

/// Bytes from the start of a column-major layout to its end.
int64_t span(const Layout &l) {
  return (int64_t(l.cols - 1) * l.ld + int64_t(l.rows)) * bytesOf(l.type);
}

/// The matmul's checks and reference, at the time it runs.
struct Matmul {
  Desc desc;
  Layout a, b, d;
  uintptr_t A, B, C, D, workspace;
  size_t workspaceBytes;
  Pref pref;
  float alpha, beta;

  std::string check() const {
    if (desc.compute != kCompute32F || desc.scale != kR32F)
      return "compute or scale type is not fp32";
    if (desc.transa != kOpT || desc.transb != kOpN)
      return "op(A), op(B) are not T, N (Y = X W^T)";
    if (desc.epilogue != kEpilogueDefault && desc.epilogue != kEpilogueBias)
      return "epilogue " + std::to_string(desc.epilogue) +
             " is not DEFAULT or BIAS (GELU's form is the device's to show)";
    if (a.type != b.type || !bytesOf(a.type) || d.type != kR32F)
      return "A and B are not of one type, or D not fp32";
    if (a.rows != b.rows || d.rows != a.cols || d.cols != b.cols)
      return "shapes do not chain: A " + std::to_string(a.rows) + " x " +
             std::to_string(a.cols) + " (transposed), B " +
             std::to_string(b.rows) + " x " + std::to_string(b.cols) + ", D " +
             std::to_string(d.rows) + " x " + std::to_string(d.cols);
    for (const Layout *l : {&a, &b, &d})
      if (l->ld < int64_t(l->rows))
        return "a leading dimension is less than its rows";
    if (alpha != 1.0f || beta != 0.0f)
      return "alpha, beta are not 1, 0";
    if (C != D)
      return "C is not D";
    const uintptr_t ptrs[4] = {A, B, C, D};
    for (int i = 0; i < 4; ++i)
      if (ptrs[i] % pref.align[i])
        return std::string("matrix ") + "ABCD"[i] +
               " is less aligned than the heuristics were promised";
    if (!inside(A, span(a)) || !inside(B, span(b)) || !inside(D, span(d)))
      return "a matrix reaches outside its allocation";
    if (desc.epilogue == kEpilogueBias &&
        (desc.biasType != kR32F || !inside(desc.bias, int64_t(d.rows) * 4)))
      return "the bias is not d.rows floats inside an allocation";
    if (workspaceBytes > pref.maxWorkspace ||
        (workspaceBytes && !inside(workspace, int64_t(workspaceBytes))))
      return "the workspace is over the preference's maximum or outside "
             "its allocation";
    for (auto [p, l] : {std::pair{A, &a}, std::pair{B, &b}})
      if (D < p + span(*l) && p < D + span(d))
        return "D overlaps an operand";
    return "";
  }

  int run() const {
    if (std::string c = check(); !c.empty())
      return fail("cublasLtMatmul: " + c);
    // D[i + j ld] = sum_c A[c + i lda] B[c + j ldb] + bias[i].
    std::vector<float> out(d.rows);
    for (uint64_t j = 0; j < d.cols; ++j) {
      for (uint64_t i = 0; i < d.rows; ++i) {
        double acc = desc.epilogue == kEpilogueBias
                         ? reinterpret_cast<const float *>(desc.bias)[i]
                         : 0.0;
        for (uint64_t c = 0; c < a.rows; ++c)
          acc += element(A, a.type, int64_t(c + i * a.ld)) *
                 element(B, b.type, int64_t(c + j * b.ld));
        out[i] = float(acc);
      }
      std::memcpy(reinterpret_cast<float *>(D) + j * d.ld, out.data(),
                  d.rows * 4);
    }
    return kSuccess;
  }
};

// The entry points, each under the mock's lock.
#define LOCK std::lock_guard<std::recursive_mutex> hold(lock())

} // namespace

std::string mockcuda::runCublasLtKernel(const Kernel &k,
                                        const std::vector<View> &a,
                                        unsigned gx) {
  const View &y = a.back();
  const int64_t rows = y.e[1], width = y.e[0];
  if (int64_t(gx) * k.get("tile_m") < rows)
    return "grid does not cover the rows";
  if (k.family == "lt_round") {
    // X rounded into the 16-bit copy cuBLASLt reads.
    const bool half = k.get("f16");
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < width; ++c) {
        float v = float((half ? f16 : bf16)(a[0].f(r * a[0].s[1] + c)));
        uint16_t bits;
        if (half) {
          _Float16 h = _Float16(v);
          std::memcpy(&bits, &h, 2);
        } else {
          uint32_t u;
          std::memcpy(&u, &v, 4);
          bits = uint16_t(u >> 16);
        }
        reinterpret_cast<uint16_t *>(y.base)[r * y.s[1] + c] = bits;
      }
    return "";
  }
  if (k.family == "lt_act") {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < width; ++c) {
        float &v = y.f(r * y.s[1] + c);
        v = float(act(int(k.get("act")), v));
      }
    return "";
  }
  return "no reference for family '" + k.family + "'";
}

#define EXPORT extern "C" __attribute__((visibility("default")))

EXPORT int cublasLtCreate(void **handle) {
  LOCK;
  static uintptr_t next = 0x7100;
  lt.handles.insert(next);
  *handle = reinterpret_cast<void *>(next++);
  return kSuccess;
}
EXPORT int cublasLtDestroy(void *handle) {
  LOCK;
  if (!lt.handles.erase(reinterpret_cast<uintptr_t>(handle)))
    return fail("cublasLtDestroy of a handle not live"), kInvalidValue;
  return kSuccess;
}
EXPORT int cublasLtMatmulDescCreate(void **desc, int compute, int scale) {
  LOCK;
  Desc *d = new Desc;
  d->compute = compute;
  d->scale = scale;
  lt.descs[reinterpret_cast<uintptr_t>(d)] = d;
  *desc = d;
  return kSuccess;
}
EXPORT int cublasLtMatmulDescDestroy(void *desc) {
  LOCK;
  Desc *d = live(lt.descs, desc, "cublasLtMatmulDescDestroy's descriptor");
  if (!d)
    return kInvalidValue;
  lt.descs.erase(reinterpret_cast<uintptr_t>(d));
  delete d;
  return kSuccess;
}
EXPORT int cublasLtMatmulDescSetAttribute(void *desc, int attr, const void *buf,
                                          size_t size) {
  LOCK;
  Desc *d = live(lt.descs, desc, "a matmul descriptor");
  if (!d)
    return kInvalidValue;
  switch (attr) {
  case 3:
    return setField(d->transa, buf, size, "TRANSA");
  case 4:
    return setField(d->transb, buf, size, "TRANSB");
  case 7:
    return setField(d->epilogue, buf, size, "EPILOGUE");
  case 8:
    return setField(d->bias, buf, size, "BIAS_POINTER");
  case 26:
    return setField(d->biasType, buf, size, "BIAS_DATA_TYPE");
  }
  return fail("cublasLtMatmulDescSetAttribute: attribute " +
              std::to_string(attr) + " is not one the mock knows"),
         kNotSupported;
}
EXPORT int cublasLtMatrixLayoutCreate(void **layout, int type, uint64_t rows,
                                      uint64_t cols, int64_t ld) {
  LOCK;
  if (!bytesOf(type) || !rows || !cols || ld < int64_t(rows))
    return fail("cublasLtMatrixLayoutCreate: type " + std::to_string(type) +
                ", " + std::to_string(rows) + " x " + std::to_string(cols) +
                ", ld " + std::to_string(ld) +
                " (ld below the rows of a column-major matrix?)"),
           kInvalidValue;
  Layout *l = new Layout{type, rows, cols, ld};
  lt.layouts[reinterpret_cast<uintptr_t>(l)] = l;
  *layout = l;
  return kSuccess;
}
EXPORT int cublasLtMatrixLayoutDestroy(void *layout) {
  LOCK;
  Layout *l = live(lt.layouts, layout, "cublasLtMatrixLayoutDestroy's layout");
  if (!l)
    return kInvalidValue;
  lt.layouts.erase(reinterpret_cast<uintptr_t>(l));
  delete l;
  return kSuccess;
}
EXPORT int cublasLtMatmulPreferenceCreate(void **pref) {
  LOCK;
  Pref *p = new Pref;
  lt.prefs[reinterpret_cast<uintptr_t>(p)] = p;
  *pref = p;
  return kSuccess;
}
EXPORT int cublasLtMatmulPreferenceDestroy(void *pref) {
  LOCK;
  Pref *p = live(lt.prefs, pref, "cublasLtMatmulPreferenceDestroy's pref");
  if (!p)
    return kInvalidValue;
  lt.prefs.erase(reinterpret_cast<uintptr_t>(p));
  delete p;
  return kSuccess;
}
EXPORT int cublasLtMatmulPreferenceSetAttribute(void *pref, int attr,
                                                const void *buf, size_t size) {
  LOCK;
  Pref *p = live(lt.prefs, pref, "a preference");
  if (!p)
    return kInvalidValue;
  if (attr == 1)
    return setField(p->maxWorkspace, buf, size, "MAX_WORKSPACE_BYTES");
  if (attr >= 5 && attr <= 8)
    return setField(p->align[attr - 5], buf, size, "MIN_ALIGNMENT");
  return fail("cublasLtMatmulPreferenceSetAttribute: attribute " +
              std::to_string(attr) + " is not one the mock knows"),
         kNotSupported;
}
EXPORT int cublasLtMatmulAlgoGetHeuristic(void *handle, void *desc, void *A,
                                          void *B, void *C, void *D, void *pref,
                                          int requested, void *results,
                                          int *count) {
  LOCK;
  ++lt.heuristics;
  if (!lt.handles.count(reinterpret_cast<uintptr_t>(handle)) ||
      !live(lt.descs, desc, "the heuristics' descriptor") ||
      !live(lt.layouts, A, "layout A") || !live(lt.layouts, B, "layout B") ||
      !live(lt.layouts, C, "layout C") || !live(lt.layouts, D, "layout D") ||
      !live(lt.prefs, pref, "the heuristics' preference") || requested < 1)
    return kInvalidValue;
  // cublasLtMatmulHeuristicResult_t: the algorithm (8 uint64), the
  // workspace it needs, its state.
  struct Result {
    uint64_t algo[8];
    size_t workspaceSize;
    int state;
    float waves;
    int reserved[4];
  } r{};
  r.algo[0] = kAlgoTag;
  std::memcpy(results, &r, sizeof r);
  *count = 1;
  return kSuccess;
}
EXPORT int cublasLtMatmul(void *handle, void *desc, const void *alpha,
                          const void *A, void *Adesc, const void *B,
                          void *Bdesc, const void *beta, const void *C,
                          void *Cdesc, void *D, void *Ddesc, const void *algo,
                          void *workspace, size_t workspaceBytes,
                          void *stream) {
  LOCK;
  Desc *d = live(lt.descs, desc, "the matmul's descriptor");
  Layout *a = live(lt.layouts, Adesc, "layout A"),
         *b = live(lt.layouts, Bdesc, "layout B"),
         *c = live(lt.layouts, Cdesc, "layout C"),
         *dd = live(lt.layouts, Ddesc, "layout D");
  if (!lt.handles.count(reinterpret_cast<uintptr_t>(handle)) || !d || !a ||
      !b || !c || !dd || !alpha || !beta || !algo)
    return fail("cublasLtMatmul: a handle, descriptor, layout or scalar is "
                "missing"),
           kInvalidValue;
  if (c != dd && (c->type != dd->type || c->ld != dd->ld))
    return fail("cublasLtMatmul: C's layout is not D's"), kInvalidValue;
  if (*static_cast<const uint64_t *>(algo) != kAlgoTag)
    return fail("cublasLtMatmul: the algorithm is not the heuristics'"),
           kInvalidValue;
  if (!streamLive(stream))
    return fail("cublasLtMatmul on a stream that does not exist"),
           kExecutionFailed;
  // The preference the library made is the one it gave the heuristics; the
  // mock takes the one live preference (the library keeps exactly one).
  if (lt.prefs.size() != 1)
    return fail("cublasLtMatmul: expected one live preference, found " +
                std::to_string(lt.prefs.size())),
           kInvalidValue;
  Matmul m{*d,
           *a,
           *b,
           *dd,
           reinterpret_cast<uintptr_t>(A),
           reinterpret_cast<uintptr_t>(B),
           reinterpret_cast<uintptr_t>(C),
           reinterpret_cast<uintptr_t>(D),
           reinterpret_cast<uintptr_t>(workspace),
           workspaceBytes,
           *lt.prefs.begin()->second,
           *static_cast<const float *>(alpha),
           *static_cast<const float *>(beta)};
  // On a capturing stream: recorded by value, run at each graph launch.
  if (record(stream, [m] {
        ++lt.matmuls;
        ++lt.replayed;
        return m.run() ? 700 : 0;
      }))
    return kSuccess;
  ++lt.matmuls;
  return m.run() ? kExecutionFailed : kSuccess;
}
EXPORT const char *cublasLtGetStatusString(int status) {
  return status == kSuccess ? "CUBLAS_STATUS_SUCCESS (mock)"
                            : "a failed check of the mock (see mock-cuda:)";
}
