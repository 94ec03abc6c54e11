//===- RandomWeights.h - deterministic random BERT weights ------*- C++ -*-===//
//
// Random weights that are the same on every machine and every run: the
// values of a tensor depend only on (seed, tensor name, shape), never on the
// order in which tensors are asked for or on the C++ standard library's
// distributions (std::normal_distribution differs between libstdc++ and
// libc++). `bertc init-weights` writes them to a safetensors file and the
// reference evaluator's seeded provider produces the very same values, so a
// weight keeps its values in the IR before and after any pass.
//
// Initialization follows BERT's `_init_weights`: N(0, 0.02) for matrices,
// embeddings and biases (HF zeroes biases; random ones exercise more of the
// compiler), and 1 + N(0, 0.02) for LayerNorm gammas (`*LayerNorm.weight`).
//
//===----------------------------------------------------------------------===//

#ifndef BERT_WEIGHTS_RANDOMWEIGHTS_H
#define BERT_WEIGHTS_RANDOMWEIGHTS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace mlir::bert {

/// Standard normal numbers from std::mt19937_64 (whose output sequence the
/// C++ standard fixes) through our own Box-Muller transform.
class NormalGenerator {
public:
  explicit NormalGenerator(uint64_t seed) : engine(seed) {}

  /// A uniform double in [0, 1) with 53 random bits.
  double uniform();
  /// A standard normal sample N(0, 1).
  double normal();

private:
  std::mt19937_64 engine;
  bool hasSpare = false;
  double spare = 0.0;
};

/// The 64-bit engine seed of tensor `name` under the user's `seed`
/// (FNV-1a of the name mixed with splitmix64 of the seed).
uint64_t tensorSeed(uint64_t seed, llvm::StringRef name);

/// BERT's initializer_range: the default standard deviation.
constexpr double kDefaultInitStd = 0.02;

/// The deterministic initial values of weight `name` with `shape`:
/// N(0, std), or 1 + N(0, std) for LayerNorm gammas.
std::vector<float> randomWeightValues(uint64_t seed, llvm::StringRef name,
                                      llvm::ArrayRef<int64_t> shape,
                                      double std = kDefaultInitStd);

/// A weight to initialize: its Hugging Face name and static shape.
struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;
};

/// The distinct `bert.weight` ops of `module`, sorted by name. Fails when two
/// ops name the same tensor with different shapes.
llvm::Expected<std::vector<WeightSpec>> collectWeights(ModuleOp module);

/// Writes random weights for `specs` to the safetensors file `path`, with
/// metadata {"format": "pt", "bertc.seed": "<seed>"} ("format" is what
/// transformers checks before it loads a safetensors checkpoint).
/// `std` is the standard deviation (larger values make a random model whose
/// attention is far from uniform: the end-to-end tests use 0.2). Refuses a
/// model above BERT_MAX_PARAMETERS before writing anything; memory use does
/// not grow with the model (tensors are generated as they are written).
/// Messages do not repeat `path` (see writeSafetensors).
llvm::Error writeRandomWeights(llvm::ArrayRef<WeightSpec> specs,
                               llvm::StringRef path, uint64_t seed,
                               double std = kDefaultInitStd);

/// As above, for every `bert.weight` of `module`.
llvm::Error writeRandomWeights(ModuleOp module, llvm::StringRef path,
                               uint64_t seed, double std = kDefaultInitStd);

} // namespace mlir::bert

#endif // BERT_WEIGHTS_RANDOMWEIGHTS_H
