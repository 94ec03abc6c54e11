//===- KernelCompiler.cpp - Halide side of the kernel facade --------------===//
//
// Maps a KernelRequest to its kernel family (Kernels.h KernelFamily) and
// compiles it. The only file of the MLIR-facing backend that includes
// Halide.h (see KernelCompiler.h for why). Halide reports errors by
// throwing; every entry point here turns them into an error string.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/KernelCompiler.h"
#include "KernelSourceHash.h" // generated: BERT_KERNEL_SOURCE_HASH
#include "compiler/backend/cpu/kernels/Kernels.h"

#include <sstream>

using namespace bert::cpu;

const KernelFamily &bert::cpu::familyOf(const KernelRequest &req) {
  // The one family a schedule names: the AMX block's product is another
  // kernel than the dot-product bf16 linear of the same spec.
  if (std::holds_alternative<AmxSchedule>(req.schedule) &&
      std::holds_alternative<LinearSpec>(req.spec))
    return kLinearAmxFamily;
  // In the order of KernelSpec's alternatives.
  static const KernelFamily *const families[] = {
      &kLinearFamily,           &kLayerNormFamily, &kAttentionFamily,
      &kEmbeddingsFamily,       &kPoolerFamily,    &kUnstackFamily,
      &kMaskRowsFamily,         &kAddFamily,       &kRelativeAttentionFamily,
      &kRelativePositionsFamily};
  static_assert(std::size(families) == std::variant_size_v<KernelSpec>,
                "one family per KernelSpec alternative");
  return *families[req.spec.index()];
}

std::string KernelRequest::key() const {
  return familyOf(*this).describe(*this) + " | " +
         ::bert::describeSchedule(schedule);
}

LinearSpec bert::cpu::weightSpecOf(const KernelRequest &req) {
  if (const auto *pooler = std::get_if<PoolerSpec>(&req.spec))
    return poolerAsLinear(*pooler);
  return std::get<LinearSpec>(req.spec);
}

/// Runs `body`, turning Halide's and the kernels' exceptions into `error`.
template <typename Fn> static bool guarded(std::string &error, Fn &&body) {
  try {
    body();
    return true;
  } catch (const Halide::Error &e) {
    error = e.what();
  } catch (const std::exception &e) {
    error = e.what();
  }
  return false;
}

int64_t bert::cpu::linearPanelWidth(const KernelRequest &req,
                                    const std::string &target,
                                    std::string &error) {
  int64_t nb = 0;
  guarded(error, [&] {
    nb =
        linearPackedLayout(weightSpecOf(req), scheduleAs<GemmSchedule>(req)).nb;
  });
  return nb;
}

bool bert::cpu::linearBF16WeightLayout(const KernelRequest &req,
                                       const std::string &target,
                                       BF16WeightLayout &layout,
                                       std::string &error) {
  return guarded(error, [&] {
    BF16Layout l =
        linearBF16Layout(weightSpecOf(req), req.schedule, parseTarget(target));
    layout = {l.nb, l.rowStride, l.numPanels};
  });
}

bool bert::cpu::linearInt8WeightLayout(const KernelRequest &req,
                                       Int8WeightLayout &layout,
                                       std::string &error) {
  return guarded(error, [&] {
    Int8Layout l =
        linearInt8Layout(weightSpecOf(req), int8DotSchedule(req.schedule));
    layout = {l.nb, l.rowStride, l.numPanels, l.scaleOffset, l.hadamard};
  });
}

bool bert::cpu::compileKernel(const KernelRequest &req,
                              const std::string &fnName,
                              const std::string &target,
                              const std::string &objPath,
                              const std::string &debugBase,
                              std::string &error) {
  return guarded(error, [&] {
    Halide::Target t = parseTarget(target);
    Kernel k = buildRequestKernel(req, t);
    compileToObject(k, fnName, t, objPath);
    if (!debugBase.empty())
      emitStmtAndAssembly(k, fnName, t, debugBase);
  });
}

bool bert::cpu::compileHalideRuntime(const std::string &target,
                                     const std::string &objPath,
                                     std::string &error) {
  return guarded(error, [&] { compileRuntime(parseTarget(target), objPath); });
}

bool bert::cpu::targetHasAMX(const std::string &target) {
  std::string error;
  bool amx = false;
  guarded(error, [&] {
    amx =
        parseTarget(target).has_feature(Halide::Target::AVX512_SapphireRapids);
  });
  return amx;
}

std::string bert::cpu::describeTarget(const std::string &target,
                                      std::string &error) {
  std::string s;
  guarded(error, [&] { s = parseTarget(target).to_string(); });
  return s;
}

std::string bert::cpu::kernelCompilerIdentity() {
  std::ostringstream os;
  os << "halide " << HALIDE_VERSION_MAJOR << "." << HALIDE_VERSION_MINOR << "."
     << HALIDE_VERSION_PATCH << "; kernel sources " << BERT_KERNEL_SOURCE_HASH;
  return os.str();
}
