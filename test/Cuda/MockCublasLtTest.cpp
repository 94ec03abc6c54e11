//===- MockCublasLtTest.cpp - the mock cuBLASLt refuses bad matmuls -------===//
//
// test/E2E/cuda-mock-cublaslt*.test show the mock's cuBLASLt accepting a
// correct library; these show that it computes Y = X W^T + b as the
// library asks (op(A) = T on W's rows) and that its checks fail when they
// should: transposes other than the library's, a leading dimension below
// the rows, a matrix reaching past its allocation, a workspace over the
// preference's maximum, a GELU epilogue (and, in every case, a matrix less
// aligned than the heuristics were promised); and that on a capturing stream a
// matmul is recorded, not run, and runs when the graph is launched.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

using GetProc = int (*)(const char *, void **, int, uint64_t, int *);
constexpr int kR32F = 0, kCompute32F = 68, kOpN = 0, kOpT = 1;

/// Y [2][3] = X [2][4] W [3][4]^T + b through the mock, as the generated
/// host code calls it; `prepare` may spoil one thing before the matmul.
struct Lt {
  void *lib = dlopen(MOCK_CUDA_PATH, RTLD_NOW | RTLD_LOCAL);
  template <typename F> F cu(const char *name) {
    auto getProc = reinterpret_cast<GetProc>(dlsym(lib, "cuGetProcAddress_v2"));
    void *p = nullptr;
    EXPECT_EQ(getProc(name, &p, 12000, 0, nullptr), 0) << name;
    return reinterpret_cast<F>(p);
  }
  template <typename F> F lt(const char *name) {
    void *p = dlsym(lib, name);
    EXPECT_NE(p, nullptr) << name;
    return reinterpret_cast<F>(p);
  }
  void *handle = nullptr, *desc = nullptr, *pref = nullptr, *a = nullptr,
       *b = nullptr, *d = nullptr;
  uint64_t x = 0, w = 0, bias = 0, y = 0, ws = 0;
  int32_t transa = kOpT, transb = kOpN;
  uint32_t epilogue = 4; // BIAS
  uint64_t maxWorkspace = 1024, workspaceBytes = 1024;
  int64_t ldy = 3;

  Lt() {
    auto alloc = cu<int (*)(uint64_t *, size_t)>("cuMemAlloc");
    auto htod = cu<int (*)(uint64_t, const void *, size_t, void *)>(
        "cuMemcpyHtoDAsync");
    const float xs[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const float ws3[12] = {1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1};
    const float bs[3] = {10, 20, 30};
    EXPECT_EQ(alloc(&x, sizeof xs), 0);
    EXPECT_EQ(alloc(&w, sizeof ws3), 0);
    EXPECT_EQ(alloc(&bias, sizeof bs), 0);
    EXPECT_EQ(alloc(&y, 6 * 4), 0);
    EXPECT_EQ(alloc(&ws, 1024), 0);
    EXPECT_EQ(htod(x, xs, sizeof xs, nullptr), 0);
    EXPECT_EQ(htod(w, ws3, sizeof ws3, nullptr), 0);
    EXPECT_EQ(htod(bias, bs, sizeof bs, nullptr), 0);
  }
  ~Lt() {
    auto destroyLayout = lt<int (*)(void *)>("cublasLtMatrixLayoutDestroy");
    for (void *l : {a, b, d})
      if (l)
        destroyLayout(l);
    if (desc)
      lt<int (*)(void *)>("cublasLtMatmulDescDestroy")(desc);
    if (pref)
      lt<int (*)(void *)>("cublasLtMatmulPreferenceDestroy")(pref);
    if (handle)
      lt<int (*)(void *)>("cublasLtDestroy")(handle);
    auto free = cu<int (*)(uint64_t)>("cuMemFree");
    for (uint64_t p : {x, w, bias, y, ws})
      free(p);
  }

  /// The descriptors and layouts; the result of the last create.
  int setUp() {
    auto set = lt<int (*)(void *, int, const void *, size_t)>(
        "cublasLtMatmulDescSetAttribute");
    auto layout = lt<int (*)(void **, int, uint64_t, uint64_t, int64_t)>(
        "cublasLtMatrixLayoutCreate");
    EXPECT_EQ(lt<int (*)(void **)>("cublasLtCreate")(&handle), 0);
    EXPECT_EQ(lt<int (*)(void **, int, int)>("cublasLtMatmulDescCreate")(
                  &desc, kCompute32F, kR32F),
              0);
    const void *biasPointer = reinterpret_cast<const void *>(bias);
    int32_t biasType = kR32F;
    EXPECT_EQ(set(desc, 3, &transa, 4), 0);
    EXPECT_EQ(set(desc, 4, &transb, 4), 0);
    EXPECT_EQ(set(desc, 7, &epilogue, 4), 0);
    EXPECT_EQ(set(desc, 8, &biasPointer, sizeof biasPointer), 0);
    EXPECT_EQ(set(desc, 26, &biasType, 4), 0);
    EXPECT_EQ(lt<int (*)(void **)>("cublasLtMatmulPreferenceCreate")(&pref), 0);
    EXPECT_EQ(
        lt<int (*)(void *, int, const void *, size_t)>(
            "cublasLtMatmulPreferenceSetAttribute")(pref, 1, &maxWorkspace, 8),
        0);
    // The 16-byte alignment the library promises (host memory has it).
    const uint32_t alignment = 16;
    for (int attr = 5; attr <= 8; ++attr)
      EXPECT_EQ(lt<int (*)(void *, int, const void *, size_t)>(
                    "cublasLtMatmulPreferenceSetAttribute")(pref, attr,
                                                            &alignment, 4),
                0);
    EXPECT_EQ(layout(&a, kR32F, 4, 3, 4), 0); // W: column-major K x N
    EXPECT_EQ(layout(&b, kR32F, 4, 2, 4), 0); // X: K x M
    return layout(&d, kR32F, 3, 2, ldy);      // Y: N x M
  }

  /// The heuristics' algorithm, then the matmul on `stream`.
  int matmul(void *stream = nullptr) {
    struct {
      uint64_t algo[8];
      size_t workspace;
      int state;
      float waves;
      int reserved[4];
    } found{};
    int count = 0;
    EXPECT_EQ(lt<int (*)(void *, void *, void *, void *, void *, void *, void *,
                         int, void *, int *)>("cublasLtMatmulAlgoGetHeuristic")(
                  handle, desc, a, b, d, d, pref, 1, &found, &count),
              0);
    EXPECT_EQ(count, 1);
    const float one = 1, zero = 0;
    auto p = [](uint64_t v) { return reinterpret_cast<void *>(v); };
    return lt<int (*)(void *, void *, const void *, const void *, void *,
                      const void *, void *, const void *, const void *, void *,
                      void *, void *, const void *, void *, size_t, void *)>(
        "cublasLtMatmul")(handle, desc, &one, p(w), a, p(x), b, &zero, p(y), d,
                          p(y), d, found.algo, p(ws), workspaceBytes, stream);
  }

  std::vector<float> result() {
    std::vector<float> out(6);
    EXPECT_EQ(cu<int (*)(void *, uint64_t, size_t, void *)>(
                  "cuMemcpyDtoHAsync")(out.data(), y, 24, nullptr),
              0);
    return out;
  }
};

TEST(MockCublasLt, ComputesYEqualsXWTransposedPlusBias) {
  Lt t;
  ASSERT_EQ(t.setUp(), 0);
  ASSERT_EQ(t.matmul(), 0);
  // Row m of Y: (x0, x1, x0 + x1 + x2 + x3) + (10, 20, 30).
  EXPECT_EQ(t.result(), (std::vector<float>{11, 22, 40, 15, 26, 56}));
}

TEST(MockCublasLt, RefusesOtherTransposes) {
  Lt t;
  t.transa = kOpN;
  ASSERT_EQ(t.setUp(), 0);
  EXPECT_NE(t.matmul(), 0);
}

TEST(MockCublasLt, RefusesALeadingDimensionBelowTheRows) {
  Lt t;
  t.ldy = 2;
  EXPECT_NE(t.setUp(), 0);
}

TEST(MockCublasLt, RefusesAMatrixPastItsAllocation) {
  Lt t;
  t.ldy = 4; // the second column of Y ends one float past its 6
  ASSERT_EQ(t.setUp(), 0);
  EXPECT_NE(t.matmul(), 0);
}

TEST(MockCublasLt, RefusesAWorkspaceOverThePreference) {
  Lt t;
  t.maxWorkspace = 512;
  ASSERT_EQ(t.setUp(), 0);
  EXPECT_NE(t.matmul(), 0);
}

TEST(MockCublasLt, RefusesTheGeluEpilogue) {
  Lt t;
  t.epilogue = 36; // GELU_BIAS: its form is the device's to show
  ASSERT_EQ(t.setUp(), 0);
  EXPECT_NE(t.matmul(), 0);
}

TEST(MockCublasLt, RecordsUnderCaptureAndRunsAtGraphLaunch) {
  Lt t;
  ASSERT_EQ(t.setUp(), 0);
  void *stream = nullptr, *graph = nullptr, *exec = nullptr;
  ASSERT_EQ(t.cu<int (*)(void **, unsigned)>("cuStreamCreate")(&stream, 0), 0);
  ASSERT_EQ(t.cu<int (*)(void *, int)>("cuStreamBeginCapture")(stream, 1), 0);
  ASSERT_EQ(t.matmul(stream), 0);
  ASSERT_EQ(
      t.cu<int (*)(void *, void **)>("cuStreamEndCapture")(stream, &graph), 0);
  // Recorded, not run: Y still holds the mock's fill of fresh device memory
  // (0xff bytes, a NaN).
  for (float v : t.result())
    EXPECT_TRUE(std::isnan(v));
  ASSERT_EQ(t.cu<int (*)(void **, void *, unsigned long long)>(
                "cuGraphInstantiateWithFlags")(&exec, graph, 0),
            0);
  ASSERT_EQ(t.cu<int (*)(void *, void *)>("cuGraphLaunch")(exec, stream), 0);
  EXPECT_EQ(t.result(), (std::vector<float>{11, 22, 40, 15, 26, 56}));
  t.cu<int (*)(void *)>("cuGraphExecDestroy")(exec);
  t.cu<int (*)(void *)>("cuGraphDestroy")(graph);
  t.cu<int (*)(void *)>("cuStreamDestroy")(stream);
}

} // namespace
