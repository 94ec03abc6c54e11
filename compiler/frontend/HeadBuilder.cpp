//===- HeadBuilder.cpp - the task heads on top of the encoder -------------===//
//
// The head of `architectures[0]`, as transformers' modeling files build it
// (dropout is the identity at inference):
//
//   *Model                     last_hidden_state (+ pooler_output)
//   *ForMaskedLM               transform dense + act + LayerNorm, decoder to
//                              the vocabulary (tied to the word embeddings
//                              unless tie_word_embeddings is false): logits
//   BertForPreTraining         the masked-LM head: prediction_logits; NSP on
//                              the pooled output: seq_relationship_logits
//   AlbertForPreTraining       prediction_logits, sop_logits
//   BertForNextSentencePred.   NSP on the pooled output: logits
//   *ForSequenceClassification first token: BERT/ALBERT pooler +
//                              classifier; RoBERTa classifier.dense + tanh +
//                              out_proj; DistilBERT pre_classifier + ReLU +
//                              classifier: logits [B, num_labels]
//   *ForTokenClassification    classifier on every token: logits
//   *ForQuestionAnswering      qa_outputs, unstacked: start_logits,
//                              end_logits
//   *ForMultipleChoice         the pooler (DistilBERT: pre_classifier +
//                              ReLU) and a one-output classifier per row:
//                              logits [B * C, 1], rows being the B examples'
//                              C choices (transformers flattens its
//                              [B, C, S] inputs the same way and views the
//                              result as [B, C])
//   XLM, FlauBERT              *WithLMHeadModel: pred_layer.proj (tied);
//                              *ForSequenceClassification: the
//                              SequenceSummary's first-token projection;
//                              *ForQuestionAnsweringSimple: qa_outputs
//
// Heads are f32 whatever --precision says: they are a small share of the
// work, and logits are what users compare.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/GraphBuilderImpl.h"

#include "dialect/BertOps.h"

using namespace mlir;
using namespace mlir::bert;
using namespace mlir::bert::frontend;

namespace {
/// The Hugging Face names of a family's masked-LM head.
struct MaskedLMNames {
  std::string dense, norm, decoder, bias;
  /// transformers' RobertaLMHead applies `gelu` whatever hidden_act says.
  bool alwaysGelu = false;
};

MaskedLMNames maskedLMNames(const BertConfig &cfg) {
  switch (cfg.family) {
  case Family::Bert:
    return {"cls.predictions.transform.dense",
            "cls.predictions.transform.LayerNorm", "cls.predictions.decoder",
            "cls.predictions.bias"};
  case Family::Roberta:
    return {"lm_head.dense", "lm_head.layer_norm", "lm_head.decoder",
            "lm_head.bias", /*alwaysGelu=*/true};
  case Family::DistilBert:
    return {"vocab_transform", "vocab_layer_norm", "vocab_projector",
            "vocab_projector.bias"};
  case Family::Albert:
    return {"predictions.dense", "predictions.LayerNorm", "predictions.decoder",
            "predictions.bias"};
  case Family::Xlm:   // no transform (xlmPredLayer)
  case Family::Xlnet: // no transform (lm_loss)
    break;
  }
  return {};
}

/// XLM's XLMPredLayer: one projection to the vocabulary, tied to the word
/// embeddings unless tie_word_embeddings is false.
Value xlmPredLayer(GraphBuilder &g, Value hidden) {
  const BertConfig &cfg = g.cfg;
  std::string proj = "pred_layer.proj";
  std::string w =
      cfg.tieWordEmbeddings ? g.base + "embeddings.weight" : proj + ".weight";
  return g.linear(hidden, proj, cfg.hiddenSize, cfg.vocabSize, "vocab_size",
                  Precision::f32, proj, w);
}

/// XLNetLMHeadModel's lm_loss: one projection to the vocabulary with a
/// bias, its weight tied to the word embeddings unless
/// tie_word_embeddings is false.
Value xlnetLMLoss(GraphBuilder &g, Value hidden) {
  const BertConfig &cfg = g.cfg;
  std::string w = cfg.tieWordEmbeddings ? g.base + "word_embedding.weight"
                                        : "lm_loss.weight";
  return g.linear(hidden, "lm_loss", cfg.hiddenSize, cfg.vocabSize,
                  "vocab_size", Precision::f32, "lm_loss", w);
}

/// The masked-LM head on [B, S, H]: [B, S, vocab] logits.
Value maskedLM(GraphBuilder &g, Value hidden) {
  const BertConfig &cfg = g.cfg;
  if (cfg.family == Family::Xlm)
    return xlmPredLayer(g, hidden);
  if (cfg.family == Family::Xlnet)
    return xlnetLMLoss(g, hidden);
  MaskedLMNames n = maskedLMNames(cfg);
  // ALBERT's transform maps down to the embedding width.
  int64_t h = cfg.hiddenSize, e = cfg.embeddingWidth();
  Value x =
      g.linear(hidden, n.dense, h, e, "hidden_size", Precision::f32, n.dense);
  x = g.activation(x, n.alwaysGelu ? StringRef("gelu") : cfg.hiddenAct,
                   n.dense + ".act", "hidden_act");
  double eps = cfg.family == Family::DistilBert ? 1e-12 : cfg.layerNormEps;
  x = g.layerNorm(x, n.norm, e, eps, n.norm);
  std::string decoder = cfg.tieWordEmbeddings
                            ? g.base + "embeddings.word_embeddings.weight"
                            : n.decoder + ".weight";
  return g.linear(x, n.decoder, e, cfg.vocabSize, "vocab_size", Precision::f32,
                  n.decoder, decoder, n.bias);
}
} // namespace

std::vector<ModelOutput> GraphBuilder::head(Value hidden) {
  std::vector<ModelOutput> out;
  Value pooled = hasPooler() ? basePooler(hidden) : Value();
  int64_t h = cfg.hiddenSize, labels = cfg.numLabels;
  switch (cfg.head) {
  case Head::None:
    out.push_back({"last_hidden_state", hidden});
    if (pooled)
      out.push_back({"pooler_output", pooled});
    break;
  case Head::MaskedLM:
    out.push_back({"logits", maskedLM(*this, hidden)});
    break;
  case Head::PreTraining: {
    out.push_back({"prediction_logits", maskedLM(*this, hidden)});
    if (cfg.family == Family::Albert)
      out.push_back(
          {"sop_logits",
           linear(pooled, "sop_classifier.classifier", h, labels, "num_labels",
                  Precision::f32, "sop_classifier.classifier")});
    else
      out.push_back({"seq_relationship_logits",
                     linear(pooled, "cls.seq_relationship", h, 2, "hidden_size",
                            Precision::f32, "cls.seq_relationship")});
    break;
  }
  case Head::NextSentence:
    out.push_back(
        {"logits", linear(pooled, "cls.seq_relationship", h, 2, "hidden_size",
                          Precision::f32, "cls.seq_relationship")});
    break;
  case Head::SequenceClassification: {
    Value first = pooled;
    std::string classifier = "classifier";
    if (cfg.family == Family::Roberta) {
      first = pooler(hidden, "classifier.dense", Activation::tanh,
                     "classifier.dense");
      classifier = "classifier.out_proj";
    } else if (cfg.family == Family::DistilBert) {
      first =
          pooler(hidden, "pre_classifier", Activation::relu, "pre_classifier");
    } else if (cfg.family == Family::Xlnet) {
      // XLNetSequenceSummary "last": projection + summary_activation on
      // the last token, then logits_proj.
      Activation a = cfg.summaryActivation == "tanh"   ? Activation::tanh
                     : cfg.summaryActivation == "relu" ? Activation::relu
                                                       : Activation::none;
      std::string s = "sequence_summary.summary";
      first = pooler(hidden, s, a, s, h, /*lastToken=*/true);
      classifier = "logits_proj";
    } else if (cfg.family == Family::Xlm) {
      // SequenceSummary "first": projection (to the labels or the hidden
      // size), then summary_activation; the logits themselves.
      Activation a = cfg.summaryActivation == "tanh"   ? Activation::tanh
                     : cfg.summaryActivation == "relu" ? Activation::relu
                                                       : Activation::none;
      std::string s = "sequence_summary.summary";
      out.push_back({"logits", pooler(hidden, s, a, s,
                                      cfg.summaryToLabels ? labels : h)});
      break;
    }
    out.push_back({"logits", linear(first, classifier, h, labels, "num_labels",
                                    Precision::f32, classifier)});
    break;
  }
  case Head::MultipleChoice: {
    Value first = pooled;
    if (cfg.family == Family::DistilBert)
      first =
          pooler(hidden, "pre_classifier", Activation::relu, "pre_classifier");
    out.push_back({"logits", linear(first, "classifier", h, 1, "hidden_size",
                                    Precision::f32, "classifier")});
    break;
  }
  case Head::TokenClassification:
    out.push_back(
        {"logits", linear(hidden, "classifier", h, labels, "num_labels",
                          Precision::f32, "classifier")});
    break;
  case Head::QuestionAnswering: {
    Value logits = linear(hidden, "qa_outputs", h, 2, "num_labels",
                          Precision::f32, "qa_outputs");
    auto split = UnstackOp::create(
        b, loc("qa_outputs.split", "num_labels"),
        TypeRange{RankedTensorType::get(
                      {ShapedType::kDynamic, ShapedType::kDynamic}, f32),
                  RankedTensorType::get(
                      {ShapedType::kDynamic, ShapedType::kDynamic}, f32)},
        logits);
    out.push_back({"start_logits", split.getResult(0)});
    out.push_back({"end_logits", split.getResult(1)});
    break;
  }
  }
  return out;
}
