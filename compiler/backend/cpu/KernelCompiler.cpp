//===- KernelCompiler.cpp - Halide side of the kernel facade --------------===//
//
// Maps a KernelRequest to the build*() function of its kernel family and
// compiles it. The only file of the MLIR-facing backend that includes
// Halide.h (see KernelCompiler.h for why). Halide reports errors by
// throwing; every entry point here turns them into an error string.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/KernelCompiler.h"
#include "KernelSourceHash.h" // generated: BERT_KERNEL_SOURCE_HASH
#include "compiler/backend/cpu/Kernels.h"

#include <sstream>

using namespace bert::cpu;

std::string KernelRequest::key() const {
  std::ostringstream os;
  switch (kind) {
  case KernelKind::Linear:
    os << "linear n=" << n << " k=" << k << " act=" << int(activation)
       << " bias=" << hasBias << (bf16 ? " bf16" : "");
    break;
  case KernelKind::LayerNorm:
    os << "layer_norm h=" << hidden << " residual=" << hasResidual
       << " eps=" << epsilon;
    break;
  case KernelKind::Attention:
    os << "attention h=" << hidden << " heads=" << numHeads
       << " scale=" << scale << (bf16 ? " bf16" : "");
    break;
  case KernelKind::Embeddings:
    os << "embeddings h=" << hidden << " vocab=" << vocab
       << " positions=" << maxPositions << " types=" << typeVocab
       << " eps=" << epsilon;
    break;
  case KernelKind::Pooler:
    os << "pooler h=" << hidden;
    break;
  }
  os << " sched=" << tileM << "," << tileN << "," << tileK << "," << vectorWidth
     << "," << unroll << "," << parallelSplit;
  if (colsPerTask)
    os << "," << colsPerTask;
  return os.str();
}

static KernelSchedule scheduleOf(const KernelRequest &req) {
  KernelSchedule s;
  s.tileM = req.tileM;
  s.tileN = req.tileN;
  s.tileK = req.tileK;
  s.vectorWidth = req.vectorWidth;
  s.unroll = req.unroll;
  s.parallelSplit = req.parallelSplit;
  s.colsPerTask = req.colsPerTask;
  return s;
}

static Activation activationOf(KernelActivation a) {
  switch (a) {
  case KernelActivation::None:
    return Activation::None;
  case KernelActivation::Gelu:
    return Activation::Gelu;
  case KernelActivation::GeluTanh:
    return Activation::GeluTanh;
  }
  return Activation::None;
}

static LinearSpec linearSpecOf(const KernelRequest &req) {
  if (req.kind == KernelKind::Pooler) {
    PoolerSpec p;
    p.H = req.hidden;
    return poolerAsLinear(p);
  }
  LinearSpec spec;
  spec.N = req.n;
  spec.K = req.k;
  spec.act = activationOf(req.activation);
  spec.hasBias = req.hasBias;
  spec.hasResidual = false;
  return spec;
}

static Kernel build(const KernelRequest &req, const Halide::Target &target) {
  KernelSchedule sched = scheduleOf(req);
  switch (req.kind) {
  case KernelKind::Linear:
    if (req.bf16)
      return buildLinearBF16(linearSpecOf(req), sched, target);
    return buildLinear(linearSpecOf(req), sched, target);
  case KernelKind::LayerNorm: {
    LayerNormSpec spec;
    spec.H = req.hidden;
    spec.eps = static_cast<float>(req.epsilon);
    spec.hasResidual = req.hasResidual;
    return buildLayerNorm(spec, sched, target);
  }
  case KernelKind::Attention: {
    AttentionSpec spec;
    spec.hidden = req.hidden;
    spec.numHeads = req.numHeads;
    spec.scale = static_cast<float>(req.scale);
    spec.bf16 = req.bf16;
    return buildAttention(spec, sched, target);
  }
  case KernelKind::Embeddings: {
    EmbeddingsSpec spec;
    spec.H = req.hidden;
    spec.vocab = req.vocab;
    spec.maxPositions = req.maxPositions;
    spec.typeVocab = req.typeVocab;
    spec.eps = static_cast<float>(req.epsilon);
    return buildEmbeddings(spec, sched, target);
  }
  case KernelKind::Pooler: {
    PoolerSpec spec;
    spec.H = req.hidden;
    return buildPooler(spec, sched, target);
  }
  }
  throw std::invalid_argument("unknown kernel kind");
}

// For the tuner (KernelTuner.cpp), which JIT-compiles the same kernels.
Kernel bert::cpu::buildRequestKernel(const KernelRequest &req,
                                     const Halide::Target &target) {
  return build(req, target);
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
    nb = linearPackedLayout(linearSpecOf(req), scheduleOf(req),
                            parseTarget(target))
             .nb;
  });
  return nb;
}

bool bert::cpu::linearBF16WeightLayout(const KernelRequest &req,
                                       const std::string &target,
                                       BF16WeightLayout &layout,
                                       std::string &error) {
  return guarded(error, [&] {
    BF16Layout l = linearBF16Layout(linearSpecOf(req), scheduleOf(req),
                                    parseTarget(target));
    layout = {l.nb, l.rowStride, l.numPanels, l.singlePanel};
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
    Kernel k = build(req, t);
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
