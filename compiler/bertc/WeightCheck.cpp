//===- WeightCheck.cpp - a model directory's weights against its IR -------===//

#include "compiler/bertc/WeightCheck.h"
#include "compiler/weights/Safetensors.h"
#include "support/ErrorCodes.h"

#include "dialect/BertOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::bert;

/// "[3, 768]".
static std::string shapeText(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// The config field a weight's location points at (GraphBuilder locates
/// each bert.weight at the key its shape comes from), or "".
static std::string fieldAt(Location loc, const BertConfig &cfg) {
  auto pos = dyn_cast<FileLineColLoc>(loc);
  if (!pos)
    return "";
  std::string found;
  for (const auto &entry : cfg.fieldPos)
    if (entry.second.line == pos.getLine() &&
        entry.second.column == pos.getColumn() &&
        (found.empty() || entry.first() == "num_labels")) // over id2label
      found = entry.first().str();
  return found;
}

llvm::Error mlir::bert::checkWeightsFile(ModuleOp module, const BertConfig &cfg,
                                         llvm::StringRef weightsPath) {
  llvm::Expected<SafetensorsFile> file = SafetensorsFile::open(weightsPath);
  if (!file)
    return makeError(ErrorCode::FileUnreadable, weightsPath, "",
                     llvm::toString(file.takeError()));
  llvm::Error result = llvm::Error::success();
  module.walk([&](WeightOp w) {
    auto want = cast<RankedTensorType>(w.getType()).getShape();
    std::optional<std::vector<int64_t>> have = file->shapeOf(w.getName());
    if (!have) {
      result = makeError(ErrorCode::WeightsMismatch, weightsPath, "",
                         "tensor '" + w.getName().str() + "' is missing (" +
                             cfg.architecture + " of config.json needs it)");
      return WalkResult::interrupt();
    }
    if (llvm::ArrayRef<int64_t>(*have) == want)
      return WalkResult::advance();
    std::string field = fieldAt(w.getLoc(), cfg);
    std::string why =
        field == "num_labels"
            ? llvm::formatv("num_labels = {0}", cfg.numLabels).str()
            : (field.empty() ? "the config" : field);
    result = makeError(
        ErrorCode::WeightsMismatch, cfg.path, field,
        llvm::formatv("tensor '{0}' of {1} has shape {2}, but {3} asks for "
                      "{4}",
                      w.getName(), weightsPath, shapeText(*have), why,
                      shapeText(want))
            .str());
    return WalkResult::interrupt();
  });
  return result;
}
