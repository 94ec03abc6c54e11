//===- GraphBuilder.h - BertConfig to bert dialect IR -----------*- C++ -*-===//
//
// Builds the high-level `bert` IR of a Hugging Face checkpoint from its
// config: one `func.func @<model>` taking input_ids, token_type_ids (where
// the family has token types) and attention_mask, and returning the outputs
// of `architectures[0]` as transformers names them (`bert.output_names`:
// last_hidden_state and pooler_output for a BertModel, logits, start_logits
// and end_logits, ...), with every weight a `bert.weight` named by its
// `state_dict` key.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_FRONTEND_GRAPHBUILDER_H
#define BERT_COMPILER_FRONTEND_GRAPHBUILDER_H

#include "compiler/frontend/ConfigReader.h"
#include "dialect/BertOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace mlir::bert {

/// Compile-time facts recorded on the function.
struct GraphOptions {
  std::string name;     ///< function (model) name, a C identifier
  int64_t maxBatch = 8; ///< bert.max_batch
  int64_t maxSeq = 512; ///< bert.max_seq
  /// Precision of the encoder's linear layers (attention projections and
  /// FFN); the pooler, softmax, LayerNorm and residuals stay f32.
  mlir::bert::Precision precision = mlir::bert::Precision::f32;
};

/// The model name derived from the config path: the name of the directory
/// holding the file, made a C identifier ("bert-base" -> "bert_base").
std::string modelNameFromPath(llvm::StringRef configPath);

/// True when `name` is a valid C identifier (it becomes a symbol prefix).
bool isValidModelName(llvm::StringRef name);

/// Builds and verifies the module. The context must have the bert and func
/// dialects loaded. A verifier failure is an InvalidIR error carrying the
/// diagnostics (it means the builder has a bug).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildBertModule(mlir::MLIRContext &ctx, const BertConfig &cfg,
                const GraphOptions &opts);

} // namespace mlir::bert

#endif // BERT_COMPILER_FRONTEND_GRAPHBUILDER_H
