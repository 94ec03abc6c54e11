//===- fuzz_config.cpp - libFuzzer target: bertc's config reader ----------===//
//
// Any bytes as a config.json: parseBertConfig must return a config or an
// error (never crash, recurse without bound or leak). An accepted config
// must satisfy what the frontend relies on: sizes in range, heads dividing
// the hidden size, the runtime's limits.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/ConfigReader.h"
#include "runtime/include/bert_runtime.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<mlir::bert::BertConfig> cfg =
      mlir::bert::parseBertConfig(text, "fuzz.json");
  if (!cfg) {
    llvm::consumeError(cfg.takeError());
    return 0;
  }
  if (cfg->hiddenSize < 1 || cfg->numAttentionHeads < 1 ||
      cfg->hiddenSize % cfg->numAttentionHeads != 0 ||
      cfg->numHiddenLayers < 1 || cfg->numHiddenLayers > BERT_MAX_LAYERS ||
      cfg->vocabSize < 1 || cfg->intermediateSize < 1 ||
      !(cfg->layerNormEps > 0))
    std::abort();
  return 0;
}
