//===- MockCuda.h - what the mock driver's files share ----------*- C++ -*-===//
//
// The mock CUDA driver (MockCuda.cpp) and its cuBLASLt (MockCublasLt.cpp)
// are one shared library: the runtime loads it as libcuda ($BERT_LIBCUDA)
// and as cuBLASLt ($BERT_LIBCUBLASLT), and both halves share the device
// memory, the streams and their captures through the functions below.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_TEST_CUDA_MOCKCUDA_H
#define BERT_TEST_CUDA_MOCKCUDA_H

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace mockcuda {

/// One buffer parameter: pointer then (extent, stride) per dim.
struct Param {
  bool isInt = false;
  int bytes = 4; ///< 2: bfloat16 or IEEE half (a tensor-core linear's weight)
  int dims = 0;
  bool isF16 = false; ///< 2 bytes: IEEE half rather than bfloat16
};

struct Kernel {
  std::string symbol, key, family;
  size_t module = 0;                         ///< index into Mock::modules
  std::map<std::string, std::string> fields; ///< "n" -> "384", ...
  std::vector<Param> params;
  int64_t get(const std::string &f, int64_t dflt = 0) const {
    auto it = fields.find(f);
    return it == fields.end() ? dflt : std::atoll(it->second.c_str());
  }
  double getF(const std::string &f, double dflt = 0) const {
    auto it = fields.find(f);
    return it == fields.end() ? dflt : std::atof(it->second.c_str());
  }
};

/// Elements read by the current launch's reference that still hold the
/// poison fill (device memory starts as 0xff bytes, NaN in every float
/// type), and the first one's byte address.
extern long poisonReads;
extern const void *firstPoison;

/// A buffer argument of one launch.
struct View {
  char *base = nullptr;
  bool isInt = false;
  int bytes = 4;
  bool isF16 = false;
  std::vector<int64_t> e, s;
  float &f(int64_t i) const { return reinterpret_cast<float *>(base)[i]; }
  /// Element i as a float, whether the buffer is float32, bfloat16 or half;
  /// a poisoned element is counted (poisonReads).
  float get(int64_t i) const {
    const char *at = base + i * bytes;
    if (bytes == 4 ? std::memcmp(at, "\xff\xff\xff\xff", 4) == 0
                   : std::memcmp(at, "\xff\xff", 2) == 0) {
      if (!poisonReads++)
        firstPoison = at;
    }
    if (bytes == 4)
      return f(i);
    if (isF16) {
      _Float16 h;
      std::memcpy(&h, reinterpret_cast<uint16_t *>(base) + i, 2);
      return float(h);
    }
    uint32_t bits = uint32_t(reinterpret_cast<uint16_t *>(base)[i]) << 16;
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }
  /// Stores v as the buffer's type: float32, or bf16 / f16 (nearest even;
  /// f16 saturated at +-65504, as the kernels' stores).
  void set(int64_t i, double v) const;
  int32_t id(int64_t i) const { return reinterpret_cast<int32_t *>(base)[i]; }
  /// Bytes from base to one past the last element.
  int64_t span() const {
    int64_t last = 0;
    for (size_t d = 0; d < e.size(); ++d) {
      if (e[d] <= 0)
        return 0;
      last += (e[d] - 1) * s[d];
    }
    return (last + 1) * bytes;
  }
};

/// Activation `a` of a kernel key's act= field (Activation's order).
double act(int a, double v);
/// v as a bf16 operand holds it (nearest even).
double bf16(float v);
/// v as an f16 operand holds it (nearest even, saturated to +-65504).
double f16(float v);

/// The one lock every entry point of either half runs under.
std::recursive_mutex &lock();
/// Reports a failed check ("mock-cuda: ..."); returns
/// CUDA_ERROR_ILLEGAL_ADDRESS.
int fail(const std::string &what);
/// Whether [p, p + bytes) lies inside one allocation.
bool inside(uintptr_t p, int64_t bytes);
/// Whether `stream` exists (NULL: the legacy default stream does).
bool streamLive(void *stream);
/// When `stream` is capturing, records `op` in its graph (cuGraphLaunch
/// runs it in order with the launches) and returns true.
bool record(void *stream, std::function<int()> op);

/// The reference of a cuBLASLt linear's own kernels (families lt_round,
/// lt_act; MockCublasLt.cpp): "" or a complaint.
std::string runCublasLtKernel(const Kernel &k, const std::vector<View> &a,
                              unsigned gx);

} // namespace mockcuda

#endif // BERT_TEST_CUDA_MOCKCUDA_H
