//===- bert-eval.cpp - evaluate bert IR and check passes numerically ------===//
//
// Runs a function of bert IR through the reference evaluator
// (compiler/eval) on real or random inputs and weights, and, with
// --compare-pipeline, checks that a pass pipeline preserves the numbers:
//
//   bert-eval model.mlir --weight-seed 0 --batch 2 --seq 8 --pad-last 3 \
//       --compare-pipeline 'builtin.module(bert-cpu-pipeline)' --each-pass
//
// evaluates the function, runs the pipeline on a clone (after every pass
// with --each-pass, printing the pass name), evaluates again and prints
// `result #i: max abs diff = X PASS|FAIL`; exit status 1 when any result
// differs by more than --tolerance. This is how one finds the pass that
// broke the numbers.
//
// Padding: where a result is [B, S, ...] and the inputs have a [B, S]
// attention mask, only positions with mask 1 are compared. Hugging Face's
// outputs at padded positions are well defined but meaningless, and fused
// kernels are free to compute them differently (or not at all).
//
//===----------------------------------------------------------------------===//

#include "compiler/bert-eval/EvalInputs.h"
#include "compiler/eval/Evaluator.h"
#include "compiler/weights/Safetensors.h"
#include "dialect/BertOps.h"
#include "passes/Passes.h"
#include "passes/Pipelines.h"
#include "support/ReadFile.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>
#include <map>

using namespace llvm;
using namespace mlir;
using namespace mlir::bert;

namespace {
cl::OptionCategory cat("bert-eval options");
cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.mlir|->"),
                               cl::init("-"), cl::cat(cat));
cl::opt<std::string> functionName("function",
                                  cl::desc("Function to evaluate (default: "
                                           "the first function)"),
                                  cl::cat(cat));
cl::opt<std::string> weightsFile("weights",
                                 cl::desc("Weights from a safetensors file"),
                                 cl::cat(cat));
cl::opt<uint64_t> weightSeed("weight-seed",
                             cl::desc("Seeded random weights (default 0; "
                                      "the values of bertc init-weights)"),
                             cl::init(0), cl::cat(cat));
cl::opt<std::string> inputsDir(
    "inputs-dir",
    cl::desc("Read inputs: input_ids.npy [token_type_ids.npy] "
             "[attention_mask.npy], or arg<i>.npy for other functions"),
    cl::cat(cat));
cl::opt<int64_t> batchSize("batch", cl::desc("Random inputs: batch size"),
                           cl::init(2), cl::cat(cat));
cl::opt<int64_t> seqLen("seq", cl::desc("Random inputs: sequence length"),
                        cl::init(8), cl::cat(cat));
cl::opt<uint64_t> inputSeed("input-seed", cl::desc("Random inputs: seed"),
                            cl::init(0), cl::cat(cat));
cl::opt<int64_t> padLast("pad-last",
                         cl::desc("Random inputs: mask out the last K "
                                  "tokens of every row but the first"),
                         cl::init(0), cl::cat(cat));
cl::opt<std::string>
    outDir("out-dir", cl::desc("Write results as result<i>.npy"), cl::cat(cat));
cl::opt<bool> printValues("print-values",
                          cl::desc("Print every value of every result"),
                          cl::cat(cat));
cl::opt<std::string> saveWeights(
    "save-weights",
    cl::desc("Write the weights the function reads to a safetensors file"),
    cl::cat(cat));
cl::opt<std::string> comparePipeline(
    "compare-pipeline",
    cl::desc("Textual pass pipeline to check for numerical equivalence, "
             "e.g. 'builtin.module(func.func(bert-split-heads))'"),
    cl::cat(cat));
cl::opt<bool> eachPass("each-pass",
                       cl::desc("Compare after every pass of the pipeline"),
                       cl::cat(cat));
cl::opt<double> tolerance("tolerance",
                          cl::desc("Largest accepted absolute difference"),
                          cl::init(1e-5), cl::cat(cat));
cl::opt<bool> allowUnregistered(
    "allow-unregistered-dialect",
    cl::desc("Parse ops of unknown dialects (they fail to evaluate)"),
    cl::cat(cat));
cl::opt<bool> printTransformed(
    "print-transformed",
    cl::desc("Print the op counts of the transformed function"), cl::cat(cat));
} // namespace

/// Largest MLIR input read (bert-base's IR with inline weights is smaller).
static constexpr uint64_t kMaxInputBytes = uint64_t(1) << 30;

/// Prints `msg` as `bert-eval: error: msg` and returns exit status 1.
static int error(const Twine &msg) {
  errs() << "bert-eval: error: " << msg << "\n";
  return 1;
}

static func::FuncOp findFunction(ModuleOp module, StringRef name) {
  for (auto f : module.getOps<func::FuncOp>())
    if (!f.isExternal() && (name.empty() || f.getSymName() == name))
      return f;
  return nullptr;
}

/// Largest |a - b| over the compared positions: all of them, except that a
/// [B, S, ...] result is compared only where mask[b, s] == 1. NaN anywhere
/// gives NaN (which fails every tolerance).
static double maxAbsDiff(const Tensor &a, const Tensor &b, const Tensor *mask) {
  if (a.shape != b.shape || a.isInt != b.isInt)
    return INFINITY;
  int64_t inner = 1;
  bool masked = mask && a.rank() >= 3 && a.shape[0] == mask->shape[0] &&
                a.shape[1] == mask->shape[1];
  if (masked)
    inner = a.numel() / (a.shape[0] * a.shape[1]);
  double worst = 0.0;
  for (int64_t j = 0; j < a.numel(); ++j) {
    if (masked && mask->i[j / inner] == 0)
      continue;
    double x = a.isInt ? a.i[j] : a.f[j], y = b.isInt ? b.i[j] : b.f[j];
    double d = std::fabs(x - y);
    if (std::isnan(d))
      return NAN;
    worst = std::max(worst, d);
  }
  return worst;
}

/// Prints one line per result; returns true when all are within tolerance.
static bool compareResults(ArrayRef<Tensor> ref, ArrayRef<Tensor> got,
                           const Tensor *mask, StringRef indent) {
  if (ref.size() != got.size()) {
    outs() << indent << "result count changed: " << ref.size() << " -> "
           << got.size() << " FAIL\n";
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < ref.size(); ++i) {
    double d = maxAbsDiff(ref[i], got[i], mask);
    bool pass = d <= tolerance; // false for NaN
    ok &= pass;
    outs() << indent << "result #" << i << ": ";
    if (ref[i].shape != got[i].shape)
      outs() << "shape " << shapeToString(ref[i].shape) << " -> "
             << shapeToString(got[i].shape) << " FAIL\n";
    else
      outs() << "max abs diff = " << format("%g", d)
             << (pass ? " PASS\n" : " FAIL\n");
  }
  return ok;
}

static void printResult(size_t index, const Tensor &t) {
  double sum = 0.0, absSum = 0.0;
  for (int64_t j = 0; j < t.numel(); ++j) {
    double v = t.isInt ? t.i[j] : t.f[j];
    sum += v;
    absSum += std::fabs(v);
  }
  outs() << "result #" << index << ": shape " << shapeToString(t.shape)
         << format(" sum = %.6f abs_sum = %.6f\n", sum, absSum);
  if (!printValues || t.numel() == 0)
    return;
  int64_t row = t.rank() ? t.shape.back() : 1;
  for (int64_t j = 0; j < t.numel(); ++j) {
    outs() << (j % row ? " " : "  ")
           << format("%.6g", t.isInt ? double(t.i[j]) : double(t.f[j]));
    if (j % row == row - 1)
      outs() << "\n";
  }
}

static void printOpCounts(func::FuncOp func) {
  std::map<std::string, unsigned> counts;
  func.walk([&](Operation *op) {
    if (op != func.getOperation())
      ++counts[op->getName().getStringRef().str()];
  });
  outs() << "transformed function @" << func.getSymName() << ":\n";
  for (auto &[name, n] : counts)
    outs() << "  " << name << ": " << n << "\n";
}

namespace {
/// Evaluates the function after every pass and compares with the reference.
struct CompareAfterEachPass : public PassInstrumentation {
  CompareAfterEachPass(ModuleOp module, StringRef name, ArrayRef<Tensor> args,
                       const WeightProvider &weights,
                       ArrayRef<Tensor> reference, const Tensor *mask)
      : module(module), name(name.str()), args(args), weights(weights),
        reference(reference), mask(mask) {}

  void runAfterPass(Pass *pass, Operation *op) override {
    // Pass-manager adaptors (the nesting of func.func passes) have no flag.
    if (pass->getArgument().empty())
      return;
    if (auto f = dyn_cast<func::FuncOp>(op); f && f.getSymName() != name)
      return;
    outs() << "after " << pass->getArgument() << ":\n";
    func::FuncOp f = findFunction(module, name);
    FailureOr<std::vector<Tensor>> got =
        f ? evaluate(f, args, weights) : FailureOr<std::vector<Tensor>>();
    if (failed(got)) {
      outs() << "  evaluation failed FAIL\n";
      ok = false;
      return;
    }
    ok &= compareResults(reference, *got, mask, "  ");
  }

  ModuleOp module;
  std::string name;
  ArrayRef<Tensor> args;
  const WeightProvider &weights;
  ArrayRef<Tensor> reference;
  const Tensor *mask;
  bool ok = true;
};
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  registerBertPasses();
  registerBertPipelines();
  registerCanonicalizerPass();
  registerCSEPass();
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::ParseCommandLineOptions(argc, argv,
                              "bert-eval: reference evaluator for bert IR\n");

  DialectRegistry registry;
  registry.insert<BertDialect, func::FuncDialect>();
  MLIRContext context(registry);
  // Evaluating inside pass instrumentation must not race with passes on
  // other functions.
  context.disableMultithreading();
  context.loadAllAvailableDialects();
  context.allowUnregisteredDialects(allowUnregistered);

  // "-" is standard input; a named file must be a regular one (a FIFO would
  // block the open, /dev/zero never end).
  std::unique_ptr<llvm::MemoryBuffer> file;
  if (inputFile == "-") {
    std::string errorMessage;
    file = openInputFile(inputFile, &errorMessage);
    if (!file)
      return error(errorMessage);
  } else {
    Expected<std::unique_ptr<llvm::MemoryBuffer>> read =
        ::bert::readInputFile(inputFile, kMaxInputBytes);
    if (!read)
      return error(inputFile + ": " + toString(read.takeError()));
    file = std::move(*read);
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  func::FuncOp func = findFunction(*module, functionName);
  if (!func)
    return error(functionName.empty()
                     ? Twine("no function with a body in ") + inputFile
                     : Twine("no function @") + functionName + " in " +
                           inputFile);
  std::string name = func.getSymName().str();

  // Weights.
  std::unique_ptr<WeightProvider> weights;
  if (!weightsFile.empty()) {
    Expected<SafetensorsFile> st = SafetensorsFile::open(weightsFile);
    if (!st)
      return error(toString(st.takeError()));
    weights = std::make_unique<SafetensorsWeightProvider>(std::move(*st));
  } else {
    weights = std::make_unique<SeededWeightProvider>(weightSeed);
  }

  // Inputs.
  Expected<std::vector<Tensor>> args =
      inputsDir.empty()
          ? randomInputs(func, {batchSize, seqLen, inputSeed, padLast})
          : readInputs(func, inputsDir);
  if (!args)
    return error(toString(args.takeError()));
  std::optional<unsigned> maskArg = maskArgument(func);
  const Tensor *mask = maskArg ? &(*args)[*maskArg] : nullptr;

  // Reference evaluation.
  std::map<std::string, Tensor> seen;
  FailureOr<std::vector<Tensor>> ref =
      evaluate(func, *args, *weights,
               [&](StringRef n, const Tensor &t) { seen.emplace(n.str(), t); });
  if (failed(ref))
    return 1;
  for (auto [i, t] : llvm::enumerate(*ref))
    printResult(i, t);

  if (!outDir.empty()) {
    if (std::error_code ec = sys::fs::create_directories(outDir))
      return error(outDir + ": " + ec.message());
    for (auto [i, t] : llvm::enumerate(*ref)) {
      SmallString<256> path(outDir);
      sys::path::append(path, "result" + std::to_string(i) + ".npy");
      if (Error e = writeNpy(path, t))
        return error(toString(std::move(e)));
    }
  }
  if (!saveWeights.empty()) {
    std::vector<NamedTensor> tensors;
    for (auto &[n, t] : seen)
      tensors.push_back({n, t.shape, t.f});
    if (Error e = writeSafetensors(saveWeights, tensors, {{"format", "pt"}}))
      return error(saveWeights + ": " + toString(std::move(e)));
  }
  if (comparePipeline.empty())
    return 0;

  // Transform a clone and compare.
  OwningOpRef<ModuleOp> clone = cast<ModuleOp>((*module)->clone());
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return 1;
  // The module pass manager takes the pipeline without its anchor:
  // 'builtin.module(X)' is added as X ('X' alone is accepted too).
  StringRef pipeline = StringRef(comparePipeline).trim();
  if (pipeline.consume_front("builtin.module(") && !pipeline.consume_back(")"))
    return error("invalid --compare-pipeline '" + comparePipeline +
                 "': unbalanced parentheses");
  std::string parseErrors;
  raw_string_ostream parseOs(parseErrors);
  if (failed(parsePassPipeline(pipeline, pm, parseOs)))
    return error("invalid --compare-pipeline '" + comparePipeline +
                 "': " + parseErrors);
  CompareAfterEachPass *instrumentation = nullptr;
  if (eachPass) {
    auto owned = std::make_unique<CompareAfterEachPass>(*clone, name, *args,
                                                        *weights, *ref, mask);
    instrumentation = owned.get();
    pm.addInstrumentation(std::move(owned));
  }
  if (failed(pm.run(*clone)))
    return error("pipeline '" + comparePipeline + "' failed");

  func::FuncOp transformed = findFunction(*clone, name);
  if (!transformed)
    return error("the pipeline removed function @" + name);
  if (printTransformed)
    printOpCounts(transformed);
  FailureOr<std::vector<Tensor>> got = evaluate(transformed, *args, *weights);
  if (failed(got))
    return 1;
  outs() << "pipeline " << comparePipeline << ":\n";
  bool ok = compareResults(*ref, *got, mask, "");
  if (instrumentation)
    ok &= instrumentation->ok;
  outs() << (ok ? "PASS" : "FAIL") << "\n";
  return ok ? 0 : 1;
}
