//===- RandomWeights.cpp - deterministic random BERT weights --------------===//
//
// Each tensor gets its own generator, seeded from (seed, name), so the
// values of one weight never depend on which other weights exist or in which
// order they are generated: a pass that reorders or packs weights still sees
// the same numbers.
//
//===----------------------------------------------------------------------===//

#include "compiler/weights/RandomWeights.h"
#include "compiler/weights/Safetensors.h"
#include "dialect/BertOps.h"

#include "mlir/IR/BuiltinOps.h"

#include "bert_runtime.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

using namespace llvm;
using namespace mlir;
using namespace mlir::bert;

/// Standard deviation of BERT's initializer (config.initializer_range).

double NormalGenerator::uniform() {
  // The top 53 bits of a 64-bit draw, scaled to [0, 1).
  return double(engine() >> 11) * 0x1.0p-53;
}

double NormalGenerator::normal() {
  // Box-Muller: for u1 in (0, 1], u2 in [0, 1),
  //   z0 = sqrt(-2 ln u1) cos(2 pi u2),  z1 = sqrt(-2 ln u1) sin(2 pi u2)
  // are two independent N(0, 1) samples; the second is kept for next time.
  if (hasSpare) {
    hasSpare = false;
    return spare;
  }
  double u1 = 1.0 - uniform(); // (0, 1]: log(0) never happens
  double u2 = uniform();
  double r = std::sqrt(-2.0 * std::log(u1));
  double theta = 2.0 * M_PI * u2;
  spare = r * std::sin(theta);
  hasSpare = true;
  return r * std::cos(theta);
}

uint64_t mlir::bert::tensorSeed(uint64_t seed, StringRef name) {
  // FNV-1a over the name's bytes (fixed by its definition, unlike std::hash).
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  // splitmix64 of the seed, so seeds 0, 1, 2 ... give unrelated streams.
  uint64_t z = seed + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return h ^ z;
}

std::vector<float> mlir::bert::randomWeightValues(uint64_t seed, StringRef name,
                                                  ArrayRef<int64_t> shape,
                                                  double std) {
  size_t numel = 1;
  for (int64_t d : shape)
    numel *= size_t(d);
  NormalGenerator gen(tensorSeed(seed, name));
  // LayerNorm gammas scale activations: they start near 1, not near 0.
  double mean = name.ends_with("LayerNorm.weight") ? 1.0 : 0.0;
  std::vector<float> values(numel);
  for (float &v : values)
    v = float(mean + std * gen.normal());
  return values;
}

Expected<std::vector<WeightSpec>> mlir::bert::collectWeights(ModuleOp module) {
  std::map<std::string, std::vector<int64_t>> byName;
  std::string conflict;
  module.walk([&](WeightOp op) {
    auto type = cast<RankedTensorType>(op.getType());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    auto [it, inserted] = byName.try_emplace(op.getName().str(), shape);
    if (!inserted && it->second != shape && conflict.empty())
      conflict = op.getName().str();
  });
  if (!conflict.empty())
    return createStringError(inconvertibleErrorCode(),
                             "weight '" + conflict +
                                 "' is used with two different shapes");
  std::vector<WeightSpec> specs;
  for (auto &[name, shape] : byName)
    specs.push_back({name, shape});
  return specs;
}

Error mlir::bert::writeRandomWeights(ArrayRef<WeightSpec> specs, StringRef path,
                                     uint64_t seed, double std) {
  // Up front: a config that passed validation can still ask for more
  // weights than any machine holds; say so instead of running out.
  uint64_t params = 0;
  for (const WeightSpec &s : specs) {
    uint64_t n = 1;
    for (int64_t d : s.shape)
      n = d > 0 && n > uint64_t(BERT_MAX_PARAMETERS) / uint64_t(d)
              ? uint64_t(BERT_MAX_PARAMETERS) + 1
              : n * uint64_t(d);
    params = std::min(params + n, uint64_t(BERT_MAX_PARAMETERS) + 1);
  }
  if (params > uint64_t(BERT_MAX_PARAMETERS))
    return createStringError(inconvertibleErrorCode(),
                             "the model has more than BERT_MAX_PARAMETERS (" +
                                 Twine(int64_t(BERT_MAX_PARAMETERS)) +
                                 ") weights");
  // Each tensor is generated while it is written, a chunk at a time, with
  // the same generator sequence as randomWeightValues.
  std::vector<NamedTensor> tensors;
  for (const WeightSpec &s : specs) {
    auto gen = std::make_shared<NormalGenerator>(tensorSeed(seed, s.name));
    double mean = StringRef(s.name).ends_with("LayerNorm.weight") ? 1.0 : 0.0;
    tensors.push_back(
        {s.name, s.shape, {}, [gen, mean, std](MutableArrayRef<float> out) {
           for (float &v : out)
             v = float(mean + std * gen->normal());
         }});
  }
  return writeSafetensors(
      path, tensors, {{"format", "pt"}, {"bertc.seed", std::to_string(seed)}});
}

Error mlir::bert::writeRandomWeights(ModuleOp module, StringRef path,
                                     uint64_t seed, double std) {
  Expected<std::vector<WeightSpec>> specs = collectWeights(module);
  if (!specs)
    return specs.takeError();
  return writeRandomWeights(*specs, path, seed, std);
}
