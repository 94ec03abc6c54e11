//===- ConfigReader.h - Hugging Face BERT config.json reader ----*- C++ -*-===//
//
// Reads a Hugging Face `config.json` into a `BertConfig`. The fields and their
// defaults are those of transformers' `BertConfig`; the structural sizes
// (vocab_size, hidden_size, num_hidden_layers, num_attention_heads,
// intermediate_size) are required, because a JSON object without them is
// almost certainly not a BERT config, and silently compiling BERT-base for it
// would be worse than an error. Every problem is reported as a
// `mlir::bert::BertcError` naming the file and the field.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_FRONTEND_CONFIGREADER_H
#define BERT_COMPILER_FRONTEND_CONFIGREADER_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace mlir::bert {

/// The encoder families bertc compiles; each maps its config and tensor
/// names onto the same ops (see GraphBuilder.cpp).
enum class Family {
  Bert,       ///< model_type "bert"
  Roberta,    ///< "roberta", "xlm-roberta", "camembert": positions from ids
  DistilBert, ///< "distilbert": own names, no token types, no pooler
  Albert,     ///< "albert": factorized embeddings, shared layers
  Xlm,        ///< "xlm", "flaubert": languages, token types in the word
              ///< table, padded rows zeroed, FlauBERT's pre_norm
  Xlnet,      ///< "xlnet": relative positional attention, no position table
};

/// The task head on top of the encoder, from `architectures[0]`.
enum class Head {
  None,                   ///< *Model: last_hidden_state (+ pooler_output)
  MaskedLM,               ///< *ForMaskedLM: logits [B, S, vocab]
  PreTraining,            ///< BertForPreTraining, AlbertForPreTraining
  NextSentence,           ///< BertForNextSentencePrediction: logits [B, 2]
  SequenceClassification, ///< logits [B, num_labels]
  TokenClassification,    ///< logits [B, S, num_labels]
  QuestionAnswering,      ///< start_logits, end_logits [B, S]
  /// *ForMultipleChoice: logits [B * C, 1] over rows of B examples times C
  /// choices ([B, C, S] inputs are the same memory as [B * C, S]).
  MultipleChoice,
};

/// A line/column in the config file (1-based), for IR locations.
struct SourcePos {
  unsigned line = 1, column = 1;
};

/// The fields of a config that shape the compiled graph, in BERT's terms
/// (DistilBERT's `dim` is hiddenSize, ...). Defaults are transformers'
/// BertConfig defaults (BERT-base); each family overrides its own.
struct BertConfig {
  /// The file the config came from, as given on the command line.
  std::string path;

  int64_t vocabSize = 30522;
  int64_t hiddenSize = 768;
  int64_t numHiddenLayers = 12;
  int64_t numAttentionHeads = 12;
  int64_t intermediateSize = 3072;
  /// The activation's config name, as written (`hidden_act`, DistilBERT's
  /// `activation`); GraphBuilder maps it to an op.
  std::string hiddenAct = "gelu";
  int64_t maxPositionEmbeddings = 512;
  /// 0: the family has no token types (DistilBERT).
  int64_t typeVocabSize = 2;
  double layerNormEps = 1e-12;
  std::string modelType = "bert";
  Family family = Family::Bert;
  /// `architectures[0]`, or the family's base model when absent.
  std::string architecture = "BertModel";
  Head head = Head::None;
  /// Classes of the classification heads (`id2label`'s size, else
  /// `num_labels`, else 2 as transformers defaults).
  int64_t numLabels = 2;
  /// RoBERTa: `pad_token_id`, the padding_idx of its positions.
  int64_t padTokenId = 0;
  /// ALBERT: the embeddings' width (`embedding_size`) and layer sharing:
  /// `num_hidden_groups` weight sets, each of `inner_group_num` layers.
  int64_t embeddingSize = 0;
  int64_t numHiddenGroups = 1;
  int64_t innerGroupNum = 1;
  /// Masked-LM decoders read the word embeddings (`tie_word_embeddings`).
  bool tieWordEmbeddings = true;
  /// XLM, FlauBERT: `n_langs` (the bound of the langs input) and whether
  /// there is a language table (`n_langs > 1` and `use_lang_emb`).
  int64_t numLangs = 1;
  bool langEmbeddings = false;
  /// FlauBERT's `pre_norm`: LayerNorm before attention and FFN.
  bool preNorm = false;
  /// XLM's SequenceSummary (sequence classification): the projection's
  /// outputs (`summary_proj_to_labels`: num_labels, else hidden_size) and
  /// `summary_activation` ("" for none).
  bool summaryToLabels = true;
  std::string summaryActivation;
  /// XLNet: `clamp_len` (relative distances clamped to it when > 0).
  int64_t clampLen = -1;

  /// Where each key present in the file starts, so that ops can point at the
  /// field they come from.
  llvm::StringMap<SourcePos> fieldPos;

  /// The position of `field`'s key, or 1:1 when it was defaulted.
  SourcePos posOf(llvm::StringRef field) const {
    auto it = fieldPos.find(field);
    return it == fieldPos.end() ? SourcePos{} : it->second;
  }

  int64_t headSize() const { return hiddenSize / numAttentionHeads; }
  /// The width of the embedding tables (ALBERT's embedding_size, else the
  /// hidden size).
  int64_t embeddingWidth() const {
    return embeddingSize ? embeddingSize : hiddenSize;
  }
};

/// The longest sequence the config's position table serves (RoBERTa's
/// positions start after padding_idx: 512 of its 514; XLNet has no table,
/// kXlnetMaxSequence bounds its compiled maximum).
int64_t maxSequenceOf(const BertConfig &cfg);

/// XLNet's relative positions have no table to run out of; its compiled
/// --max-seq is bounded only to keep the activation arena finite.
constexpr int64_t kXlnetMaxSequence = 8192;

/// Reads and validates the config file at `path`.
llvm::Expected<BertConfig> readBertConfig(llvm::StringRef path);

/// Parses and validates config `text`; `path` is only used in messages and
/// locations.
llvm::Expected<BertConfig> parseBertConfig(llvm::StringRef text,
                                           llvm::StringRef path);

} // namespace mlir::bert

#endif // BERT_COMPILER_FRONTEND_CONFIGREADER_H
