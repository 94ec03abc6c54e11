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
// and replays them through the same checks. And that the packed path's
// kernels are checked too: a row copy's index past its source, a varlen
// attention's sequence longer than its grid, and the rows past its last
// sequence zeroed. And that a kernel reading device memory nothing wrote
// (the allocations start poisoned) fails, and that 16-bit buffers are read
// and written as 16-bit.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cmath>
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
  int (*alloc)(uint64_t *, size_t) = nullptr;
  int (*htod)(uint64_t, const void *, size_t, void *) = nullptr;

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
    alloc = mock.get<decltype(alloc)>("cuMemAlloc");
    EXPECT_EQ(alloc(&x, 2 * 4 * 4), 0); // [M = 2][K = 4]
    EXPECT_EQ(alloc(&w, 8 * 4 * 4), 0); // [N = 8][K = 4]
    EXPECT_EQ(alloc(&b, 8 * 4), 0);
    EXPECT_EQ(alloc(&y, 2 * 8 * 4), 0); // [M][N]
    launch = mock.get<decltype(launch)>("cuLaunchKernel");
    htod = mock.get<decltype(htod)>("cuMemcpyHtoDAsync");
    // Device memory starts poisoned: the inputs must be written.
    const std::vector<float> zeros(8 * 4, 0.0f);
    EXPECT_EQ(htod(x, zeros.data(), 2 * 4 * 4, nullptr), 0);
    EXPECT_EQ(htod(w, zeros.data(), 8 * 4 * 4, nullptr), 0);
    EXPECT_EQ(htod(b, zeros.data(), 8 * 4, nullptr), 0);
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

TEST(MockCuda, RefusesAReadOfMemoryNothingWrote) {
  Fixture f;
  uint64_t fresh = 0;
  ASSERT_EQ(f.alloc(&fresh, 2 * 4 * 4), 0);
  f.x = fresh; // X never written: its poison reaches the reference
  EXPECT_EQ(f.run(2, f.y), 700);
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
  EXPECT_TRUE(std::isnan(y[0])); // still the allocation's poison (0xFF bytes)
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

/// Kernel `symbol` of a module loaded from the .cu text `cu`.
void *loadKernel(Mock &mock, const std::string &cu, const char *symbol) {
  std::string path = testing::TempDir() + symbol + "_kernels.cu";
  std::ofstream(path) << cu;
  setenv("BERT_MOCK_CUDA_KERNELS", path.c_str(), 1);
  uint32_t image[4] = {0xBA55ED50u, 0, 0, 0};
  void *module = nullptr, *fn = nullptr;
  EXPECT_EQ(mock.get<int (*)(void **, const void *)>("cuModuleLoadData")(
                &module, image),
            0);
  EXPECT_EQ(mock.get<int (*)(void **, void *, const char *)>(
                "cuModuleGetFunction")(&fn, module, symbol),
            0);
  return fn;
}

/// The packed path's row copy `symbol` of elements `type` (CudaKernels.cpp).
void *loadCopyRows(Mock &mock, const std::string &type,
                   const std::string &symbol) {
  return loadKernel(mock,
                    "// copy_rows | tile_m=8 warps=8 smem_bytes=0\n"
                    "extern \"C\" __global__ void __launch_bounds__(256) " +
                        symbol +
                        "(\n"
                        "    const int32_t *p0, int64_t p0_e0, int64_t p0_s0,\n"
                        "    " +
                        type +
                        " *p1, int64_t p1_e0, int64_t p1_s0, int64_t p1_e1, "
                        "int64_t p1_s1,\n"
                        "    " +
                        type +
                        " *p2, int64_t p2_e0, int64_t p2_s0, int64_t p2_e1, "
                        "int64_t p2_s1) {\n}\n",
                    symbol.c_str());
}

TEST(MockCuda, CopiesRowsAndRefusesAnIndexPastTheSource) {
  Fixture f; // for its driver entry points
  void *fn = loadCopyRows(f.mock, "float", "bert_copy_rows");
  auto alloc = f.alloc;
  auto htod = f.htod;
  auto dtoh = f.mock.get<int (*)(void *, uint64_t, size_t, void *)>(
      "cuMemcpyDtoHAsync");
  uint64_t idx = 0, src = 0, dst = 0;
  ASSERT_EQ(alloc(&idx, 2 * 4), 0);
  ASSERT_EQ(alloc(&src, 3 * 2 * 4), 0); // 3 rows of 2
  ASSERT_EQ(alloc(&dst, 2 * 2 * 4), 0);
  const float rows[6] = {1, 2, 3, 4, 5, 6};
  ASSERT_EQ(htod(src, rows, sizeof rows, nullptr), 0);
  auto copy = [&](int32_t first, int32_t second) {
    const int32_t from[2] = {first, second};
    EXPECT_EQ(htod(idx, from, sizeof from, nullptr), 0);
    int64_t v[] = {2, 1, 2, 1, 3, 2, 2, 1, 2, 2};
    uint64_t pi = idx, ps = src, pd = dst;
    void *params[] = {&pi,   &v[0], &v[1], &ps,   &v[2], &v[3], &v[4],
                      &v[5], &pd,   &v[6], &v[7], &v[8], &v[9]};
    return f.launch(fn, 1, 1, 1, 256, 1, 1, 0, nullptr, params, nullptr);
  };
  EXPECT_EQ(copy(2, -1), 0);
  float got[4] = {-1, -1, -1, -1};
  EXPECT_EQ(dtoh(got, dst, sizeof got, nullptr), 0);
  EXPECT_EQ(got[0], 5.0f); // row 2
  EXPECT_EQ(got[1], 6.0f);
  EXPECT_EQ(got[2], 0.0f);    // -1: zeros
  EXPECT_EQ(copy(0, 3), 700); // row 3 of a 3-row source
}

TEST(MockCuda, CopiesBF16RowsAsTwoByteElements) {
  Fixture f; // for its driver entry points
  void *fn = loadCopyRows(f.mock, "__nv_bfloat16", "bert_copy_rows_bf16");
  auto dtoh = f.mock.get<int (*)(void *, uint64_t, size_t, void *)>(
      "cuMemcpyDtoHAsync");
  uint64_t idx = 0, src = 0, dst = 0;
  ASSERT_EQ(f.alloc(&idx, 2 * 4), 0);
  ASSERT_EQ(f.alloc(&src, 2 * 2 * 2), 0); // 2 rows of 2 bf16: 8 bytes
  ASSERT_EQ(f.alloc(&dst, 2 * 2 * 2), 0);
  // 1.0, 2.0, 3.0, -0.5 as bf16 (the top halves of their float32 bits).
  const uint16_t rows[4] = {0x3f80, 0x4000, 0x4040, 0xbf00};
  ASSERT_EQ(f.htod(src, rows, sizeof rows, nullptr), 0);
  const int32_t from[2] = {1, -1};
  ASSERT_EQ(f.htod(idx, from, sizeof from, nullptr), 0);
  int64_t v[] = {2, 1, 2, 1, 2, 2, 2, 1, 2, 2};
  uint64_t pi = idx, ps = src, pd = dst;
  void *params[] = {&pi,   &v[0], &v[1], &ps,   &v[2], &v[3], &v[4],
                    &v[5], &pd,   &v[6], &v[7], &v[8], &v[9]};
  EXPECT_EQ(f.launch(fn, 1, 1, 1, 256, 1, 1, 0, nullptr, params, nullptr), 0);
  uint16_t got[4] = {1, 1, 1, 1};
  EXPECT_EQ(dtoh(got, dst, sizeof got, nullptr), 0);
  EXPECT_EQ(got[0], 0x4040); // row 1, exactly
  EXPECT_EQ(got[1], 0xbf00);
  EXPECT_EQ(got[2], 0); // -1: zeros
  EXPECT_EQ(got[3], 0);
  // 8 bytes hold 4 bf16 elements: 3 rows would reach past both buffers.
  v[4] = v[8] = 3;
  EXPECT_EQ(f.launch(fn, 1, 1, 1, 256, 1, 1, 0, nullptr, params, nullptr), 700);
}

TEST(MockCuda, RefusesAVarlenSequenceLongerThanItsGrid) {
  Fixture f;
  void *fn = loadKernel(
      f.mock,
      "// attention varlen h=2 heads=1 scale=0 | tile_m=32 tile_n=32 "
      "tile_k=2 stages=1 warps=1 smem_bytes=512\n"
      "extern \"C\" __global__ void __launch_bounds__(32) k_varlen(\n"
      "    const int32_t *cu,\n"
      "    float *p0, int64_t p0_e0, int64_t p0_s0, int64_t p0_e1, int64_t "
      "p0_s1, int64_t p0_e2, int64_t p0_s2, int64_t p0_e3, int64_t p0_s3, "
      "int64_t p0_e4, int64_t p0_s4,\n"
      "    const int32_t *p1, int64_t p1_e0, int64_t p1_s0, int64_t p1_e1, "
      "int64_t p1_s1,\n"
      "    float *p2, int64_t p2_e0, int64_t p2_s0, int64_t p2_e1, int64_t "
      "p2_s1, int64_t p2_e2, int64_t p2_s2, int64_t p2_e3, int64_t p2_s3) "
      "{\n}\n",
      "k_varlen");
  auto alloc = f.alloc;
  auto htod = f.htod;
  // B = 2 sequences in buffers of B * S = 8 rows (S = 4, d = 2).
  uint64_t cu = 0, qkv = 0, mask = 0, out = 0;
  ASSERT_EQ(alloc(&cu, 4 * 4), 0);
  ASSERT_EQ(alloc(&qkv, 8 * 3 * 2 * 4), 0);
  ASSERT_EQ(alloc(&mask, 8 * 4), 0);
  ASSERT_EQ(alloc(&out, 8 * 2 * 4), 0);
  const int32_t ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  ASSERT_EQ(htod(mask, ones, sizeof ones, nullptr), 0);
  const std::vector<float> values(8 * 3 * 2, 0.5f);
  ASSERT_EQ(htod(qkv, values.data(), values.size() * 4, nullptr), 0);
  // cu[0 .. B], then cu[B + 1]: the GEMMs' rows, those past cu[B] zeroed.
  auto attend = [&](int32_t second, int32_t end, int32_t rows = 8) {
    const int32_t offsets[4] = {0, second, end, rows};
    EXPECT_EQ(htod(cu, offsets, sizeof offsets, nullptr), 0);
    int64_t v[] = {2, 1, 1, 2, 3, 2, 4, 6, 2, 24, 4,
                   1, 2, 4, 2, 1, 1, 2, 4, 2, 2,  8};
    uint64_t pc = cu, pq = qkv, pm = mask, po = out;
    void *params[] = {&pc,    &pq,    &v[0],  &v[1],  &v[2],  &v[3],  &v[4],
                      &v[5],  &v[6],  &v[7],  &v[8],  &v[9],  &pm,    &v[10],
                      &v[11], &v[12], &v[13], &po,    &v[14], &v[15], &v[16],
                      &v[17], &v[18], &v[19], &v[20], &v[21]};
    return f.launch(fn, 1, 1, 3, 32, 1, 1, 512, nullptr, params, nullptr);
  };
  EXPECT_EQ(attend(3, 7), 0); // lengths 3 and 4, row 7 zeroed
  float got[16];
  auto dtoh = f.mock.get<int (*)(void *, uint64_t, size_t, void *)>(
      "cuMemcpyDtoHAsync");
  ASSERT_EQ(dtoh(got, out, sizeof got, nullptr), 0);
  EXPECT_EQ(got[0], 0.5f);  // softmax-weighted V of equal values
  EXPECT_EQ(got[14], 0.0f); // row 7: past the sequences
  EXPECT_EQ(got[15], 0.0f);
  EXPECT_EQ(attend(1, 6), 700);    // a length of 5 past S = 4
  EXPECT_EQ(attend(3, 7, 9), 700); // tile rows past the buffers' 8
}

} // namespace
