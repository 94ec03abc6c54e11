//===- MockCudaTest.cpp - the mock driver refuses bad launches ------------===//
//
// test/E2E/cuda-mock.test shows the mock driver accepting a correct
// library; these show that its checks fail when they should: a buffer
// reaching past its allocation, an output overlapping an input, a grid
// short of the output, a block that is not the schedule's, a kernel the
// module does not have, and a copy outside every allocation. Each must
// return CUDA_ERROR_ILLEGAL_ADDRESS (700) or not-found (500). And that it
// tracks device state, so a library that frees too much or in the wrong
// order fails: a second free, destroy, unload or context release, and use
// of a released context or an unloaded module's kernel. And that a graph
// records launches without running them, refuses copies while capturing,
// and replays them through the same checks.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

using GetProc = int (*)(const char *, void **, int, uint64_t, int *);

/// The mock's entry points, by name.
struct Mock {
  void *lib = dlopen(MOCK_CUDA_PATH, RTLD_NOW | RTLD_LOCAL);
  template <typename F> F get(const char *name) {
    auto getProc = reinterpret_cast<GetProc>(dlsym(lib, "cuGetProcAddress_v2"));
    void *p = nullptr;
    EXPECT_EQ(getProc(name, &p, 12000, 0, nullptr), 0) << name;
    return reinterpret_cast<F>(p);
  }
};

/// One linear kernel (N = 8, K = 4) as bertc writes it, and a loaded module.
struct Fixture {
  Mock mock;
  void *fn = nullptr, *module = nullptr;
  uint64_t x = 0, w = 0, b = 0, y = 0;
  int (*launch)(void *, unsigned, unsigned, unsigned, unsigned, unsigned,
                unsigned, unsigned, void *, void **, void **) = nullptr;

  Fixture() {
    std::string cu = testing::TempDir() + "mock_kernels.cu";
    std::ofstream(cu)
        << "// linear n=8 k=4 act=0 bias=1 | tile_m=16 tile_n=64 tile_k=16 "
           "stages=2 warps=2 smem_bytes=10240 vector_width=4\n"
           "extern \"C\" __global__ void __launch_bounds__(64) k_linear(\n"
           "    float *p0, int64_t p0_e0, int64_t p0_s0, int64_t p0_e1, "
           "int64_t p0_s1,\n"
           "    float *p1, int64_t p1_e0, int64_t p1_s0, int64_t p1_e1, "
           "int64_t p1_s1,\n"
           "    float *p2, int64_t p2_e0, int64_t p2_s0,\n"
           "    float *p3, int64_t p3_e0, int64_t p3_s0, int64_t p3_e1, "
           "int64_t p3_s1) {\n}\n";
    setenv("BERT_MOCK_CUDA_KERNELS", cu.c_str(), 1);
    uint32_t image[4] = {0xBA55ED50u, 0, 0, 0};
    EXPECT_EQ(mock.get<int (*)(void **, const void *)>("cuModuleLoadData")(
                  &module, image),
              0);
    EXPECT_EQ(mock.get<int (*)(void **, void *, const char *)>(
                  "cuModuleGetFunction")(&fn, module, "k_linear"),
              0);
    auto alloc = mock.get<int (*)(uint64_t *, size_t)>("cuMemAlloc");
    EXPECT_EQ(alloc(&x, 2 * 4 * 4), 0); // [M = 2][K = 4]
    EXPECT_EQ(alloc(&w, 8 * 4 * 4), 0); // [N = 8][K = 4]
    EXPECT_EQ(alloc(&b, 8 * 4), 0);
    EXPECT_EQ(alloc(&y, 2 * 8 * 4), 0); // [M][N]
    launch = mock.get<decltype(launch)>("cuLaunchKernel");
  }

  /// Launches with rows `m` of x and y, y at `out`, the given grid/block.
  int run(int64_t m, uint64_t out, unsigned gridX = 1, unsigned gridY = 1,
          unsigned block = 64, void *stream = nullptr) {
    int64_t v[] = {4, 1, m, 4, 4, 1, 8, 4, 8, 1, 8, 1, m, 8};
    uint64_t px = x, pw = w, pb = b, py = out;
    void *params[] = {&px,   &v[0], &v[1],  &v[2],  &v[3],  &pw,
                      &v[4], &v[5], &v[6],  &v[7],  &pb,    &v[8],
                      &v[9], &py,   &v[10], &v[11], &v[12], &v[13]};
    return launch(fn, gridX, gridY, 1, block, 1, 1, 10240, stream, params,
                  nullptr);
  }
};

TEST(MockCuda, AcceptsACorrectLaunch) {
  Fixture f;
  EXPECT_EQ(f.run(2, f.y), 0);
}

TEST(MockCuda, RefusesABufferPastItsAllocation) {
  Fixture f;
  EXPECT_EQ(f.run(3, f.y), 700); // 3 rows of x and y: past both
}

TEST(MockCuda, RefusesAnOutputOverlappingAnInput) {
  Fixture f;
  EXPECT_EQ(f.run(1, f.w), 700); // y written over W
}

TEST(MockCuda, RefusesAShortGridOrAWrongBlock) {
  Fixture f;
  EXPECT_EQ(f.run(2, f.y, /*gridX=*/0), 700);
  EXPECT_EQ(f.run(2, f.y, 1, 1, /*block=*/128), 700);
}

TEST(MockCuda, RefusesAnUnknownKernelAndAStrayCopy) {
  Fixture f;
  void *fn = nullptr;
  EXPECT_EQ(f.mock.get<int (*)(void **, void *, const char *)>(
                "cuModuleGetFunction")(&fn, nullptr, "k_missing"),
            500);
  float host[4] = {};
  auto htod = f.mock.get<int (*)(uint64_t, const void *, size_t, void *)>(
      "cuMemcpyHtoDAsync");
  EXPECT_EQ(htod(f.b, host, 8 * 4, nullptr), 0);
  EXPECT_EQ(htod(f.b, host, 8 * 4 + 4, nullptr), 700);
}

TEST(MockCuda, TracksDeviceStateAndRefusesStaleHandles) {
  Fixture f;
  auto unload = f.mock.get<int (*)(void *)>("cuModuleUnload");
  EXPECT_EQ(unload(f.module), 0);
  EXPECT_EQ(f.run(2, f.y), 700); // its kernel is gone with the module
  EXPECT_NE(unload(f.module), 0);

  auto create = f.mock.get<int (*)(void **, unsigned)>("cuStreamCreate");
  auto destroy = f.mock.get<int (*)(void *)>("cuStreamDestroy");
  void *stream = nullptr;
  EXPECT_EQ(create(&stream, 0), 0);
  EXPECT_EQ(destroy(stream), 0);
  EXPECT_NE(destroy(stream), 0);

  auto retain = f.mock.get<int (*)(void **, int)>("cuDevicePrimaryCtxRetain");
  auto release = f.mock.get<int (*)(int)>("cuDevicePrimaryCtxRelease");
  auto setCurrent = f.mock.get<int (*)(void *)>("cuCtxSetCurrent");
  void *ctx = nullptr;
  EXPECT_EQ(retain(&ctx, 0), 0);
  EXPECT_EQ(setCurrent(ctx), 0);
  EXPECT_EQ(release(0), 0);
  EXPECT_NE(setCurrent(ctx), 0); // released: no longer usable
  EXPECT_NE(release(0), 0);

  auto memFree = f.mock.get<int (*)(uint64_t)>("cuMemFree");
  for (uint64_t p : {f.x, f.w, f.b, f.y})
    EXPECT_EQ(memFree(p), 0);
  EXPECT_EQ(memFree(f.x), 700);
}

TEST(MockCuda, RecordsACaptureAndReplaysItChecked) {
  Fixture f;
  using Copy = int (*)(uint64_t, const void *, size_t, void *);
  auto htod = f.mock.get<Copy>("cuMemcpyHtoDAsync");
  auto dtoh = f.mock.get<int (*)(void *, uint64_t, size_t, void *)>(
      "cuMemcpyDtoHAsync");
  auto create = f.mock.get<int (*)(void **, unsigned)>("cuStreamCreate");
  auto begin = f.mock.get<int (*)(void *, int)>("cuStreamBeginCapture");
  auto end = f.mock.get<int (*)(void *, void **)>("cuStreamEndCapture");
  auto instantiate = f.mock.get<int (*)(void **, void *, unsigned long long)>(
      "cuGraphInstantiateWithFlags");
  auto graphLaunch = f.mock.get<int (*)(void *, void *)>("cuGraphLaunch");
  auto execDestroy = f.mock.get<int (*)(void *)>("cuGraphExecDestroy");
  auto graphDestroy = f.mock.get<int (*)(void *)>("cuGraphDestroy");
  std::vector<float> ones(8 * 4, 1.0f), y(2 * 8, -1.0f);
  EXPECT_EQ(htod(f.x, ones.data(), 2 * 4 * 4, nullptr), 0);
  EXPECT_EQ(htod(f.w, ones.data(), 8 * 4 * 4, nullptr), 0);
  void *stream = nullptr, *graph = nullptr, *exec = nullptr;
  ASSERT_EQ(create(&stream, 0), 0);

  ASSERT_EQ(begin(stream, 1), 0);
  EXPECT_EQ(f.run(2, f.y, 1, 1, 64, stream), 0); // recorded, not run
  EXPECT_EQ(htod(f.b, ones.data(), 4, stream), 700);
  ASSERT_EQ(end(stream, &graph), 0);
  EXPECT_EQ(dtoh(y.data(), f.y, 2 * 8 * 4, nullptr), 0);
  EXPECT_EQ(y[0], 0.0f); // still the allocation's zeros
  ASSERT_EQ(instantiate(&exec, graph, 0), 0);
  EXPECT_EQ(graphDestroy(graph), 0);
  EXPECT_EQ(graphLaunch(exec, stream), 0);
  EXPECT_EQ(dtoh(y.data(), f.y, 2 * 8 * 4, nullptr), 0);
  EXPECT_EQ(y[15], 4.0f); // sum over K = 4 of 1 * 1, bias 0
  EXPECT_EQ(execDestroy(exec), 0);
  EXPECT_NE(execDestroy(exec), 0);

  // A bad launch is accepted while recording and refused at replay.
  ASSERT_EQ(begin(stream, 1), 0);
  EXPECT_EQ(f.run(2, f.y, /*gridX=*/0, 1, 64, stream), 0);
  ASSERT_EQ(end(stream, &graph), 0);
  ASSERT_EQ(instantiate(&exec, graph, 0), 0);
  EXPECT_EQ(graphLaunch(exec, stream), 700);
  EXPECT_EQ(execDestroy(exec), 0);
  EXPECT_EQ(graphDestroy(graph), 0);
}

} // namespace
