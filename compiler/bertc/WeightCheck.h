//===- WeightCheck.h - a model directory's weights against its IR -*- C++
//-*-===//
//
// When `bertc compile` is given a model directory that holds
// model.safetensors, every bert.weight of the built module is looked up in
// it before anything is compiled: a head tensor the file lacks, or a shape
// the config disagrees with (num_labels against the classifier), is an error
// that names the tensor and the config field the shape comes from. The
// runtime checks the same at load; this says it at compile time, in the
// config's terms.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BERTC_WEIGHTCHECK_H
#define BERT_COMPILER_BERTC_WEIGHTCHECK_H

#include "compiler/frontend/ConfigReader.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

namespace mlir::bert {

/// Checks the weights `module` names against the safetensors file at
/// `weightsPath`.
llvm::Error checkWeightsFile(ModuleOp module, const BertConfig &cfg,
                             llvm::StringRef weightsPath);

} // namespace mlir::bert

#endif // BERT_COMPILER_BERTC_WEIGHTCHECK_H
