//===- EvalInputs.cpp - inputs and .npy files for bert-eval ---------------===//
//
// Random inputs are reproducible (std::mt19937_64 from --input-seed, whose
// sequence the standard fixes) and always valid for the model: ids below the
// embedding table's vocabulary, token types below the type vocabulary, and
// padding only in rows after the first and never on a row's first token, so
// every row keeps at least one key to attend to.
//
//===----------------------------------------------------------------------===//

#include "compiler/bert-eval/EvalInputs.h"
#include "compiler/weights/RandomWeights.h"
#include "dialect/BertOps.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <random>

extern "C" {
#include "npy.h"
}

using namespace llvm;
using namespace mlir;
using namespace mlir::bert;

static Error fail(const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), msg);
}

static bool isIdTensor(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && r.getRank() == 2 && r.getElementType().isInteger(32);
}

std::vector<ArgRole> mlir::bert::argRoles(func::FuncOp func) {
  ArrayRef<Type> inputs = func.getArgumentTypes();
  bool model =
      !inputs.empty() && inputs.size() <= 4 && llvm::all_of(inputs, isIdTensor);
  // The frontend names its arguments (a DistilBERT model has no token
  // types, so position does not tell the role).
  std::vector<ArgRole> named;
  if (!func.isExternal())
    for (BlockArgument arg : func.getArguments()) {
      auto loc = dyn_cast<NameLoc>(arg.getLoc());
      StringRef name = loc ? loc.getName().strref() : "";
      named.push_back(name == "input_ids"        ? ArgRole::InputIds
                      : name == "token_type_ids" ? ArgRole::TokenTypeIds
                      : name == "attention_mask" ? ArgRole::AttentionMask
                      : name == "langs"          ? ArgRole::Langs
                                                 : ArgRole::Generic);
    }
  if (model && llvm::is_contained(named, ArgRole::InputIds))
    return named;
  // Parsed IR has no argument names: the frontend's order, which leaves
  // out the token types of a model without them (model facts type_vocab 0:
  // DistilBERT's ids, mask).
  std::vector<ArgRole> roles;
  static const ArgRole three[] = {ArgRole::InputIds, ArgRole::TokenTypeIds,
                                  ArgRole::AttentionMask};
  static const ArgRole two[] = {ArgRole::InputIds, ArgRole::AttentionMask};
  auto module = func->getParentOfType<ModuleOp>();
  auto facts = module ? module->getAttrOfType<ModelFactsAttr>(
                            BertDialect::getModelFactsAttrName())
                      : ModelFactsAttr();
  std::vector<ArgRole> order(std::begin(three), std::end(three));
  if (facts && facts.getTypeVocab() == 0)
    order.assign(std::begin(two), std::end(two));
  // XLM with languages (bert.n_langs): langs last.
  if (func->hasAttr("bert.n_langs"))
    order.push_back(ArgRole::Langs);
  for (size_t i = 0; i < inputs.size(); ++i)
    roles.push_back(model && i < order.size() ? order[i] : ArgRole::Generic);
  return roles;
}

std::optional<unsigned> mlir::bert::maskArgument(func::FuncOp func) {
  std::vector<ArgRole> roles = argRoles(func);
  std::optional<unsigned> found;
  for (auto [i, t] : llvm::enumerate(func.getArgumentTypes())) {
    if (roles[i] == ArgRole::AttentionMask)
      return unsigned(i);
    if (roles[i] == ArgRole::Generic && isIdTensor(t))
      found = unsigned(i);
  }
  // A model entry point with only ids (and token types) has no mask.
  if (!roles.empty() && roles[0] != ArgRole::Generic)
    return std::nullopt;
  return found;
}

/// (vocab, type vocab) of the function's embedding tables.
static std::pair<int64_t, int64_t> vocabSizes(func::FuncOp func) {
  std::pair<int64_t, int64_t> sizes{0, 0};
  auto record = [&](Value word, Value type) {
    sizes = {cast<ShapedType>(word.getType()).getDimSize(0),
             cast<ShapedType>(type.getType()).getDimSize(0)};
  };
  func.walk([&](EmbeddingsOp op) { record(op.getWord(), op.getTokenType()); });
  func.walk([&](EmbeddingsLayerNormOp op) {
    record(op.getWord(), op.getTokenType());
  });
  return sizes;
}

Expected<std::vector<Tensor>>
mlir::bert::randomInputs(func::FuncOp func, const RandomInputOptions &opts) {
  if (opts.batch < 1 || opts.seq < 1)
    return fail("--batch and --seq must be at least 1");
  if (opts.padLast < 0 || opts.padLast >= opts.seq)
    return fail("--pad-last must be in [0, seq): every row keeps its first "
                "token");
  auto [vocab, typeVocab] = vocabSizes(func);
  std::vector<ArgRole> roles = argRoles(func);
  if (!roles.empty() && roles[0] == ArgRole::InputIds && vocab <= 0)
    return fail("cannot draw random ids: the function has no "
                "bert.embeddings table to take the vocabulary size from");
  std::mt19937_64 rng(opts.seed);
  auto below = [&](int64_t n) { return int32_t(rng() % uint64_t(n)); };

  std::vector<Tensor> args;
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
    auto ranked = dyn_cast<RankedTensorType>(type);
    if (!ranked)
      return fail("argument #" + Twine(i) + " is not a ranked tensor");
    std::vector<int64_t> shape;
    for (int64_t d = 0; d < ranked.getRank(); ++d)
      shape.push_back(!ranked.isDynamicDim(d) ? ranked.getDimSize(d)
                      : d == 0                ? opts.batch
                                              : opts.seq);
    Tensor t;
    t.shape = shape;
    int64_t n = t.numel();
    if (!ranked.getElementType().isInteger(32)) {
      // A float argument: N(0, 1), its own stream per argument.
      NormalGenerator normal(tensorSeed(opts.seed, "arg" + std::to_string(i)));
      t.f.resize(n);
      for (float &v : t.f)
        v = float(normal.normal());
    } else if (roles[i] == ArgRole::InputIds) {
      t.isInt = true;
      for (int64_t j = 0; j < n; ++j)
        t.i.push_back(below(vocab));
    } else if (roles[i] == ArgRole::TokenTypeIds) {
      t.isInt = true;
      for (int64_t j = 0; j < n; ++j)
        t.i.push_back(below(std::max<int64_t>(typeVocab, 1)));
    } else if (roles[i] == ArgRole::Langs) {
      t.isInt = true; // language 0, valid for every n_langs
      t.i.assign(n, 0);
    } else {
      // A mask: ones, the last padLast tokens of rows > 0 padded.
      t.isInt = true;
      t.i.assign(n, 1);
      if (t.rank() == 2)
        for (int64_t b = 1; b < t.shape[0]; ++b)
          for (int64_t s = t.shape[1] - opts.padLast; s < t.shape[1]; ++s)
            t.i[b * t.shape[1] + s] = 0;
    }
    args.push_back(std::move(t));
  }
  return args;
}

Expected<std::vector<Tensor>> mlir::bert::readInputs(func::FuncOp func,
                                                     StringRef dir) {
  std::vector<ArgRole> roles = argRoles(func);
  std::vector<Tensor> args;
  for (auto [i, role] : llvm::enumerate(roles)) {
    std::string name = role == ArgRole::InputIds        ? "input_ids"
                       : role == ArgRole::TokenTypeIds  ? "token_type_ids"
                       : role == ArgRole::AttentionMask ? "attention_mask"
                       : role == ArgRole::Langs         ? "langs"
                                                : "arg" + std::to_string(i);
    SmallString<256> path(dir);
    sys::path::append(path, name + ".npy");
    bool optional = role == ArgRole::TokenTypeIds ||
                    role == ArgRole::AttentionMask || role == ArgRole::Langs;
    if (optional && !sys::fs::exists(path)) {
      // Default token types and langs are 0, default mask is all 1 (no
      // padding).
      Tensor t = args.front();
      std::fill(t.i.begin(), t.i.end(), role == ArgRole::AttentionMask ? 1 : 0);
      args.push_back(std::move(t));
      continue;
    }
    Expected<Tensor> t = readNpy(path);
    if (!t)
      return t.takeError();
    if (i > 0 && role != ArgRole::Generic && t->shape != args.front().shape)
      return fail(path + ": shape " + shapeToString(t->shape) +
                  " differs from input_ids " +
                  shapeToString(args.front().shape));
    args.push_back(std::move(*t));
  }
  return args;
}

Expected<Tensor> mlir::bert::readNpy(StringRef path) {
  bert_npy_array a;
  char err[256];
  std::string p = path.str();
  if (bert_npy_read(p.c_str(), &a, err, sizeof err) != 0)
    return fail(path + ": " + err);
  Tensor t;
  t.shape.assign(a.shape, a.shape + a.rank);
  switch (a.dtype) {
  case BERT_NPY_F32: {
    const float *d = static_cast<const float *>(a.data);
    t.f.assign(d, d + a.numel);
    break;
  }
  case BERT_NPY_I32: {
    const int32_t *d = static_cast<const int32_t *>(a.data);
    t.isInt = true;
    t.i.assign(d, d + a.numel);
    break;
  }
  case BERT_NPY_I64: {
    // NumPy's default integer type; ids and masks fit in int32.
    const int64_t *d = static_cast<const int64_t *>(a.data);
    t.isInt = true;
    for (int64_t j = 0; j < a.numel; ++j) {
      if (d[j] < INT32_MIN || d[j] > INT32_MAX) {
        bert_npy_free(&a);
        return fail(path + ": value " + Twine(d[j]) + " does not fit int32");
      }
      t.i.push_back(int32_t(d[j]));
    }
    break;
  }
  }
  bert_npy_free(&a);
  return t;
}

Error mlir::bert::writeNpy(StringRef path, const Tensor &t) {
  char err[256];
  std::string p = path.str();
  const void *data = t.isInt ? static_cast<const void *>(t.i.data())
                             : static_cast<const void *>(t.f.data());
  if (t.rank() > BERT_NPY_MAX_RANK)
    return fail(path + ": rank " + Twine(t.rank()) + " is too large for .npy");
  if (bert_npy_write(p.c_str(), t.isInt ? BERT_NPY_I32 : BERT_NPY_F32,
                     int(t.rank()), t.shape.data(), data, err, sizeof err) != 0)
    return fail(path + ": " + err);
  return Error::success();
}
