//===- Driver.cpp - the bertc command-line driver -------------------------===//
//
// Commands are a first positional verb rather than llvm::cl subcommands:
// MLIR registers its --mlir-* options (IR printing, timing, threading) in the
// top-level option set, and a subcommand would hide them. So the verb is
// taken off argv first, then one llvm::cl parse sees every option, and
// options that do not belong to the verb are rejected by hand.
//
// The stages of --emit are a table (kEmitKinds): `mlir` is the frontend
// module, every other stage runs buildBert{CPU,GPU}Pipeline up to that stage,
// the same function bert-opt registers as bert-cpu-pipeline, so the driver and
// the lit tests share one pass order.
//
//===----------------------------------------------------------------------===//

#include "compiler/bertc/Driver.h"
#include "compiler/backend/Backend.h"
#include "compiler/backend/cpu/KernelCompiler.h"
#include "compiler/bertc/DiagnosticCollector.h"
#include "compiler/bertc/DriverOptions.h"
#include "compiler/bertc/GraphDump.h"
#include "compiler/bertc/IRDumper.h"
#include "compiler/bertc/ModelDir.h"
#include "compiler/bertc/Tune.h"
#include "compiler/bertc/WeightCheck.h"
#include "compiler/frontend/ConfigReader.h"
#include "compiler/frontend/GraphBuilder.h"
#include "compiler/weights/RandomWeights.h"
#include "support/ErrorCodes.h"

#include "dialect/BertOps.h"
#include "passes/Passes.h"
#include "passes/Pipelines.h"
#include "support/TargetRegistry.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <optional>

using namespace mlir;
using namespace mlir::bert;
using llvm::Error;
using llvm::StringRef;
namespace cl = llvm::cl;

//===----------------------------------------------------------------------===//
// Tables: commands, --emit stages, targets
//===----------------------------------------------------------------------===//

namespace {
enum class Command { Compile, InitWeights, Tune };
struct CommandInfo {
  Command command;
  const char *name;
};
const CommandInfo kCommands[] = {{Command::Compile, "compile"},
                                 {Command::InitWeights, "init-weights"},
                                 {Command::Tune, "tune"}};

/// What `--emit` can stop after. Adding a stage is adding a row.
struct EmitKind {
  const char *name; ///< --emit value, also the stage name in --dump-ir
  const char *help;
  std::optional<mlir::bert::Stage> stage; ///< none: the frontend module
  /// Set for the backend stages: build (part of) the native library.
  std::optional<mlir::bert::LibraryOptions::Stop> library = std::nullopt;
};
const EmitKind kEmitKinds[] = {
    {"mlir", "the bert IR the frontend builds from the config", std::nullopt},
    {"split", "after bert-split-heads, bert-pack-qkv, bert-int8-norm-inputs",
     mlir::bert::Stage::Split},
    {"fused", "after bert-fuse", mlir::bert::Stage::Fused},
    {"tiled", "after bert-tile (kernels carry #bert.schedule)",
     mlir::bert::Stage::Tiled},
    {"planned", "after bert-plan-buffers (arena slots assigned)",
     mlir::bert::Stage::Planned},
    {"halide", "into -o DIR: each kernel's .stmt and .s, and the C host code",
     mlir::bert::Stage::Planned, mlir::bert::LibraryOptions::Stop::Halide},
    {"obj", "into -o DIR: kernel, runtime and host objects",
     mlir::bert::Stage::Planned, mlir::bert::LibraryOptions::Stop::Objects},
    {"lib",
     "into -o DIR: lib<name>.so, lib<name>.a and <name>.h (the "
     "default when -o is a directory)",
     mlir::bert::Stage::Planned, mlir::bert::LibraryOptions::Stop::Library},
};

/// Limits on the compile-time maxima (beyond them buffer sizes overflow
/// long before memory runs out).
constexpr int64_t kMaxBatchLimit = 65536;

std::string emitHelp() {
  std::string s = "Stop after this stage and print its IR:";
  for (const EmitKind &k : kEmitKinds)
    s += std::string("\n  ") + k.name + ": " + k.help;
  return s;
}
} // namespace

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

using namespace mlir::bert::driver;

static const char *const kOverview =
    "bertc: compile Hugging Face BERT configs\n\n"
    "  bertc compile <config.json | model dir> [--emit "
    "mlir|split|fused|tiled|planned]\n"
    "        [-o file|dir] [--max-batch N] [--max-seq N] [--target T]\n"
    "        [--name N] [--dump-ir DIR] [--no-cache] [--precision "
    "f32|bf16|int8]\n"
    "        [--int8-scheme hadamard|mixed|all] [--cuda-gemm ours|cublaslt]\n"
    "        [--mlir-* debugging options]\n"
    "        [--schedules cache.json]\n"
    "  bertc init-weights <config.json> -o model.safetensors [--seed N]\n"
    "  bertc tune <config.json> -o cache.json [--budget 10m] [--target T]\n"
    "        [--max-batch N --max-seq N: the shape timed, default 1 x 128]\n"
    "        (an existing cache.json is added to: entries for other shapes\n"
    "        and targets stay)\n\n"
    "Exit codes: 0 ok, 1 usage, 2 unreadable input, 3 bad config, 4 output "
    "error, 5 internal error.\n";

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// How bertc prints IR: SSA names come from NameLocs (%input_ids,
/// %encoder.layer.0.attention), on top of any --mlir-print-* flag.
static OpPrintingFlags printingFlags() {
  OpPrintingFlags flags;
  flags.printNameLocAsPrefix(true);
  return flags;
}

/// Reads the config and builds the frontend module (shared by both
/// commands); `opts` gets the name and maxima.
static llvm::Expected<OwningOpRef<ModuleOp>>
buildFromConfig(MLIRContext &ctx, GraphOptions &opts, int64_t defaultBatch = 8,
                int64_t defaultSeq = 512, ModelInput *input = nullptr) {
  if (inputPath.empty())
    return makeError(ErrorCode::MissingArgument, "", "<config.json>",
                     "expected the path of a Hugging Face config.json");
  if (Error e = checkPositive("--max-batch", maxBatch, kMaxBatchLimit))
    return std::move(e);
  // A model directory's config.json (ModelDir.h), read and checked whole.
  llvm::Expected<ModelInput> in = readModelInput(inputPath);
  if (!in)
    return in.takeError();
  llvm::Expected<BertConfig> cfg = readBertConfig(in->configPath);
  if (!cfg)
    return cfg.takeError();

  opts.maxBatch =
      maxBatch.getNumOccurrences() ? maxBatch.getValue() : defaultBatch;
  const int64_t longest = maxSequenceOf(*cfg);
  opts.maxSeq = std::min<int64_t>(defaultSeq, longest);
  if (maxSeq.getNumOccurrences()) {
    if (maxSeq < 1)
      return makeError(ErrorCode::BadOptionValue, "", "--max-seq",
                       llvm::formatv("expected a positive integer, got {0}",
                                     maxSeq.getValue()));
    if (maxSeq > longest)
      return makeError(
          ErrorCode::MaxSeqTooLong, inputPath, "max_position_embeddings",
          llvm::formatv(
              "--max-seq {0} is above max_position_embeddings {1}{2} "
              "(the model has no position embeddings beyond it)",
              maxSeq.getValue(), cfg->maxPositionEmbeddings,
              longest == cfg->maxPositionEmbeddings
                  ? std::string()
                  : llvm::formatv(" less pad_token_id + 1 = {0}", longest)
                        .str()));
    opts.maxSeq = maxSeq;
  }
  if (precision == "f32")
    opts.precision = mlir::bert::Precision::f32;
  else if (precision == "bf16")
    opts.precision = mlir::bert::Precision::bf16;
  else if (precision == "int8")
    opts.precision = mlir::bert::Precision::i8;
  else if (precision == "f16")
    opts.precision = mlir::bert::Precision::f16;
  else
    return makeError(ErrorCode::BadOptionValue, "", "--precision",
                     "expected f32, bf16, f16 or int8, got \"" + precision +
                         "\"");
  // fp16 runs on tensor cores only: the CPU kernels have no f16 arithmetic
  // (AVX-512 FP16 is Sapphire Rapids' at the earliest, and none of the CPU
  // targets use it), so refuse here rather than compute something else.
  if (opts.precision == mlir::bert::Precision::f16) {
    std::optional<mlir::bert::TargetInfo> info =
        mlir::bert::lookupTarget(targetName());
    if (!info || !info->isGPU())
      return makeError(ErrorCode::BadOptionValue, "", "--precision",
                       "f16 needs a CUDA target (--target cuda, cuda-sm80); "
                       "the CPU targets run f32, bf16 or int8, got --target " +
                           target);
  }
  // int8 is the CPU's (VPDPBUSD, AMX-INT8): the CUDA kernels have no int8
  // GEMM, and a CUDA plan would fail deep in the backend otherwise.
  if (opts.precision == mlir::bert::Precision::i8) {
    std::optional<mlir::bert::TargetInfo> info =
        mlir::bert::lookupTarget(targetName());
    if (info && info->isGPU())
      return makeError(ErrorCode::BadOptionValue, "", "--precision",
                       "int8 needs a CPU target; the CUDA targets run f32, "
                       "bf16 or f16, got --target " +
                           target);
  }
  if (Error e = checkInt8Scheme())
    return std::move(e);
  if (Error e = checkCudaGemm())
    return std::move(e);
  if (modelName.getNumOccurrences()) {
    if (!isValidModelName(modelName))
      return makeError(ErrorCode::BadOptionValue, "", "--name",
                       "expected a C identifier (letters, digits, '_', not "
                       "starting with a digit), got \"" +
                           modelName + "\"");
    opts.name = modelName;
  } else {
    opts.name = modelNameFromPath(in->configPath);
  }
  if (input)
    *input = std::move(*in);
  llvm::Expected<OwningOpRef<ModuleOp>> module =
      buildBertModule(ctx, *cfg, opts);
  // A model directory's own weights must fit the config (WeightCheck.h).
  SmallString<256> weights(inputPath.getValue());
  llvm::sys::path::append(weights, "model.safetensors");
  if (module && llvm::sys::fs::is_directory(inputPath.getValue()) &&
      llvm::sys::fs::exists(weights))
    if (Error e = checkWeightsFile(**module, *cfg, weights))
      return std::move(e);
  return module;
}

/// The output path for `compile`: stdout, a file, or `<dir>/<name>.mlir`.
static llvm::Expected<std::string> compileOutputPath(StringRef name,
                                                     const EmitKind &kind) {
  if (outputPath.empty() || outputPath == "-")
    return std::string("-");
  bool isDir = llvm::sys::fs::is_directory(outputPath.getValue()) ||
               StringRef(outputPath).ends_with("/");
  if (!isDir)
    return outputPath.getValue();
  if (std::error_code ec = llvm::sys::fs::create_directories(outputPath))
    return makeError(ErrorCode::OutputFailed, outputPath, "-o",
                     "cannot create directory: " + ec.message());
  SmallString<256> path(outputPath);
  std::string file = name.str();
  if (kind.stage)
    file += std::string(".") + kind.name;
  llvm::sys::path::append(path, file + ".mlir");
  return std::string(path);
}

/// The backend of --target (the commands check the target before they get
/// here; null only for a target whose backend this bertc lacks).
static std::unique_ptr<mlir::bert::Backend> targetBackend() {
  std::optional<mlir::bert::TargetInfo> info =
      mlir::bert::lookupTarget(targetName());
  return info ? mlir::bert::createBackend(*info) : nullptr;
}

static Error buildPipeline(PassManager &pm, mlir::bert::Stage stage) {
  std::unique_ptr<mlir::bert::Backend> backend = targetBackend();
  if (!backend)
    return makeError(ErrorCode::BadOptionValue, "", "--target",
                     "no backend in this bertc compiles for \"" + target +
                         "\"");
  mlir::bert::BertPipelineOptions opts;
  opts.target = targetName();
  opts.maxBatch = maxBatch.getValue();
  opts.maxSeq = 0; // the function's bert.max_seq, set by the frontend
  opts.schedules = schedulesPath.getValue();
  opts.cudaGemm = cudaGemm.getValue();
  opts.pruneFirstToken = !noPrune;
  opts.int8NormInputs = int8Scheme == "mixed";
  opts.int8Hadamard = int8Scheme == "hadamard" ? 64 : 0;
  // On a GPU, --precision bf16 / f16 also stores the activations between
  // kernels in that type (half the memory traffic); the CPU keeps f32, and
  // so do cuBLASLt linears for now (they read X f32, rounded to a scratch
  // copy, and write f32 rows).
  if (backend->name() == "cuda" && cudaGemm != "cublaslt" &&
      (precision == "bf16" || precision == "f16"))
    opts.activationType = precision.getValue();
  backend->buildPipeline(pm, opts, stage);
  return Error::success();
}

/// Runs the pipeline up to `stage` on `module`; `extra` instruments it.
static Error runStage(MLIRContext &ctx, ModuleOp module,
                      mlir::bert::Stage stage, StringRef stageName,
                      bool applyCLOptions,
                      std::unique_ptr<PassInstrumentation> extra,
                      std::unique_ptr<PassInstrumentation> extra2 = nullptr) {
  DiagnosticCollector diags(ctx);
  PassManager pm(&ctx, ModuleOp::getOperationName());
  if (applyCLOptions) {
    if (failed(applyPassManagerCLOptions(pm)))
      return makeError(ErrorCode::BadOptionValue, "", "--mlir-*",
                       "invalid pass manager options:" + diags.take());
    auto tm = std::make_unique<DefaultTimingManager>();
    applyDefaultTimingManagerCLOptions(*tm);
    if (tm->isEnabled())
      pm.enableTiming(std::move(tm));
  }
  if (extra)
    pm.addInstrumentation(std::move(extra));
  if (extra2)
    pm.addInstrumentation(std::move(extra2));
  if (Error err = buildPipeline(pm, stage))
    return err;
  if (failed(pm.run(module)))
    return makeError(ErrorCode::PipelineFailed, inputPath, "",
                     ("the pass pipeline failed in stage '" + stageName +
                      "':" + diags.take())
                         .str());
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Commands
//===----------------------------------------------------------------------===//

/// Builds the native library from the planned module into -o DIR.
/// The -o directory of a library (or its objects): named, not a file, and
/// created now, so that an output problem is one line (exit 4) before any
/// compiling rather than a failed kernel write deep in the backend.
static Error prepareOutputDirectory() {
  if (outputPath.empty() || outputPath == "-")
    return makeError(
        ErrorCode::MissingArgument, "", "-o",
        emit.empty() ? std::string("bertc compile writes a library: give an "
                                   "output directory (-o DIR), or --emit "
                                   "mlir|split|fused|tiled|planned to print "
                                   "a stage's IR")
                     : "--emit " + emit.getValue() +
                           " writes files: give an output directory (-o DIR)");
  StringRef dir = outputPath.getValue();
  // "file/" names the file: stat it without the slash (ENOTDIR otherwise).
  std::string bare = dir.rtrim('/').str();
  llvm::sys::fs::file_status status;
  if (!bare.empty() && !llvm::sys::fs::status(bare, status) &&
      !llvm::sys::fs::is_directory(status))
    return makeError(ErrorCode::OutputFailed, dir, "",
                     "exists and is not a directory (-o names the directory "
                     "the library is written into)");
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return makeError(ErrorCode::OutputFailed, dir, "",
                     "cannot create the output directory: " + ec.message());
  if (std::error_code ec =
          llvm::sys::fs::access(dir, llvm::sys::fs::AccessMode::Write))
    return makeError(ErrorCode::OutputFailed, dir, "",
                     "the output directory is not writable: " + ec.message());
  return Error::success();
}

static Error emitLibrary(ModuleOp module, const GraphOptions &opts,
                         const EmitKind &kind) {
  auto funcs = module.getOps<func::FuncOp>();
  if (std::distance(funcs.begin(), funcs.end()) != 1)
    return makeError(ErrorCode::InvalidIR, inputPath, "",
                     "expected exactly one function in the planned module");
  mlir::bert::LibraryOptions lib;
  lib.name = opts.name;
  lib.target = targetName();
  lib.outDir = outputPath.getValue();
  lib.stop = *kind.library;
  lib.cacheDir = noCache ? std::string() : mlir::bert::defaultKernelCacheDir();
  DiagnosticCollector diags(*module.getContext());
  std::unique_ptr<mlir::bert::Backend> backend = targetBackend();
  if (!backend)
    return makeError(ErrorCode::BadOptionValue, "", "--target",
                     "no backend in this bertc compiles for \"" + target +
                         "\"");
  if (failed(
          mlir::bert::emitLibrary(*backend, *funcs.begin(), lib, llvm::errs())))
    return makeError(ErrorCode::BackendFailed, outputPath, "",
                     "building the library failed:" + diags.take());
  // The planned IR beside the library says exactly what was compiled.
  SmallString<256> planned(outputPath);
  llvm::sys::path::append(planned, opts.name + ".planned.mlir");
  std::string message;
  std::unique_ptr<llvm::ToolOutputFile> file =
      openOutputFile(planned, &message);
  if (!file)
    return makeError(ErrorCode::OutputFailed, planned, "", message);
  module->print(file->os(), printingFlags());
  file->keep();
  return Error::success();
}

/// A bad --schedules file is an input error named up front (bert-tile would
/// report it too, but as a failed pass).
static Error checkScheduleCache() {
  if (schedulesPath.empty())
    return Error::success();
  llvm::Expected<mlir::bert::ScheduleCache> cache =
      mlir::bert::ScheduleCache::load(schedulesPath);
  if (!cache)
    return makeError(ErrorCode::BadScheduleCache, schedulesPath, "",
                     llvm::toString(cache.takeError()));
  return Error::success();
}

static Error runCompile() {
  const EmitKind *kind = nullptr;
  // The product of `bertc compile` is the library (as `cc` makes a binary):
  // without --emit it writes lib<name>.{so,a} and <name>.h into the -o
  // directory. IR is printed only when --emit asks for a stage. The one
  // exception is --dump-ir alone, whose product is the dump: every stage up
  // to the planned IR (so the dump shows all passes), nothing printed.
  std::string emitName = emit.getValue();
  bool dumpOnly = emitName.empty() && !dumpIR.empty() && outputPath.empty();
  if (emitName.empty())
    emitName = dumpOnly ? "planned" : "lib";
  for (const EmitKind &k : kEmitKinds)
    if (emitName == k.name)
      kind = &k;
  if (!kind) {
    std::string names;
    for (const EmitKind &k : kEmitKinds)
      names += std::string(names.empty() ? "" : ", ") + k.name;
    return makeError(ErrorCode::BadOptionValue, "", "--emit",
                     "expected one of " + names + ", got \"" + emitName + "\"");
  }
  std::optional<mlir::bert::TargetInfo> targetInfo =
      mlir::bert::lookupTarget(target);
  if (!targetInfo)
    return makeError(ErrorCode::BadOptionValue, "", "--target",
                     "expected one of " + mlir::bert::knownTargetNames() +
                         ", got \"" + target + "\"");
  // The CUDA backend is built only where CMake found the CUDA toolkit.
  if (!mlir::bert::createBackend(*targetInfo))
    return makeError(
        ErrorCode::BadOptionValue, "", "--target",
        "this bertc was built without " +
            std::string(targetInfo->isGPU()
                            ? "CUDA (CMake found no CUDA toolkit)"
                            : "the " + targetInfo->backend + " backend") +
            "; it compiles for " + mlir::bert::knownTargetNames("cpu"));

  if (Error e = checkScheduleCache())
    return e;

  MLIRContext ctx;
  ctx.loadDialect<mlir::bert::BertDialect, func::FuncDialect>();
  // Module-scope snapshots need the whole module quiescent after each pass.
  if (!dumpIR.empty())
    ctx.disableMultithreading();
  GraphOptions opts;
  ModelInput input;
  llvm::Expected<OwningOpRef<ModuleOp>> module =
      buildFromConfig(ctx, opts, 8, 512, &input);
  if (!module)
    return module.takeError();
  if (!input.note.empty())
    llvm::WithColor::warning(llvm::errs(), "bertc") << input.note << "\n";
  // The input is good: the output next, before any compiling.
  if (kind->library)
    if (Error e = prepareOutputDirectory())
      return e;

  std::unique_ptr<IRDumper> dumper;
  if (!dumpIR.empty()) {
    auto created = IRDumper::create(dumpIR, opts.name, printingFlags());
    if (!created)
      return created.takeError();
    dumper = std::move(*created);
    if (Error e = dumper->writeSnapshot("frontend", **module))
      return e;
    if (Error e = dumper->writeStagePicture("frontend", 0, **module))
      return e;
    // Pictures of the stages before the last one come from runs on copies:
    // the pass count of each run numbers its picture like its pass file.
    for (const EmitKind &k : kEmitKinds) {
      if (&k == kind) // the last stage comes from the real run below
        break;
      if (!k.stage)
        continue;
      OwningOpRef<ModuleOp> copy = (*module)->clone();
      unsigned count = 0;
      if (Error e = runStage(ctx, *copy, *k.stage, k.name, false,
                             std::make_unique<PassCounter>(count)))
        return e;
      if (Error e = dumper->writeStagePicture(k.name, count, *copy))
        return e;
    }
  }

  if (kind->stage) {
    unsigned count = 0;
    Error e = runStage(ctx, **module, *kind->stage, kind->name, true,
                       std::make_unique<PassCounter>(count),
                       dumper ? dumper->makeInstrumentation() : nullptr);
    if (dumper) {
      // Keep the dump of a failed run (index included): it is what one
      // debugs the failure with.
      if (Error d = dumper->takeError())
        return joinErrors(std::move(e), std::move(d));
      if (!e)
        if (Error p = dumper->writeStagePicture(kind->name, count, **module))
          return p;
      if (Error i = dumper->writeIndex())
        return joinErrors(std::move(e), std::move(i));
    }
    if (e)
      return e;
  } else if (dumper) {
    if (Error e = dumper->writeIndex())
      return e;
  }
  if (dumper && !dumper->renderedSVG())
    llvm::WithColor::note(llvm::errs(), "bertc")
        << "Graphviz 'dot' is not on PATH: wrote .dot pictures only\n";

  if (kind->library) {
    Error e = emitLibrary(**module, opts, *kind);
    if (e || *kind->library != mlir::bert::LibraryOptions::Stop::Library)
      return e;
    return writeTextFiles(input, outputPath, opts.name); // ModelDir.h
  }
  if (dumpOnly)
    return Error::success();

  llvm::Expected<std::string> out = compileOutputPath(opts.name, *kind);
  if (!out)
    return out.takeError();
  std::string message;
  std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(*out, &message);
  if (!file)
    return makeError(ErrorCode::OutputFailed, *out, "", message);
  (*module)->print(file->os(), printingFlags());
  file->os() << "\n";
  file->keep();
  return Error::success();
}

static Error runInitWeights() {
  if (outputPath.empty())
    return makeError(ErrorCode::MissingArgument, "", "-o",
                     "init-weights needs an output file (-o "
                     "model.safetensors)");
  MLIRContext ctx;
  ctx.loadDialect<mlir::bert::BertDialect, func::FuncDialect>();
  GraphOptions opts;
  llvm::Expected<OwningOpRef<ModuleOp>> module = buildFromConfig(ctx, opts);
  if (!module)
    return module.takeError();
  llvm::Expected<std::vector<mlir::bert::WeightSpec>> specs =
      mlir::bert::collectWeights(**module);
  if (!specs)
    return makeError(ErrorCode::InvalidIR, inputPath, "",
                     "internal error: " + llvm::toString(specs.takeError()));
  if (!(initStd.getValue() > 0.0 && initStd.getValue() < 100.0))
    return makeError(ErrorCode::BadOptionValue, "", "--std",
                     "expected a standard deviation in (0, 100), got " +
                         std::to_string(initStd.getValue()));
  if (Error e =
          mlir::bert::writeRandomWeights(*specs, outputPath, seed, initStd))
    return makeError(ErrorCode::OutputFailed, outputPath, "",
                     llvm::toString(std::move(e)));
  int64_t params = 0;
  for (const mlir::bert::WeightSpec &s : *specs) {
    int64_t n = 1;
    for (int64_t d : s.shape)
      n *= d;
    params += n;
  }
  llvm::outs() << "bertc: wrote " << specs->size() << " tensors (" << params
               << " float32 parameters, seed " << seed << ") to " << outputPath
               << "\n";
  return Error::success();
}

/// `bertc tune`: the pipeline to Planned (the kernels the library would
/// have), then Tune.cpp's search, then the cache file.
static Error runTune() {
  if (outputPath.empty() || outputPath == "-")
    return makeError(ErrorCode::MissingArgument, "", "-o",
                     "tune writes a schedule cache: give its path (-o "
                     "schedules.json)");
  std::optional<mlir::bert::TargetInfo> targetInfo =
      mlir::bert::lookupTarget(target);
  if (!targetInfo || targetInfo->backend != "cpu")
    return makeError(ErrorCode::BadOptionValue, "", "--target",
                     "expected a CPU target (" +
                         mlir::bert::knownTargetNames("cpu") + "), got \"" +
                         target + "\"");
  std::optional<double> seconds = parseBudget(budget);
  if (!seconds)
    return makeError(ErrorCode::BadOptionValue, "", "--budget",
                     "expected a duration such as 10m, 90s, 1h or 600 "
                     "(seconds), got \"" +
                         budget + "\"");
  // An existing cache at -o is updated, not replaced: its entries for other
  // shapes, targets or models stay, so one file can hold a model's schedules
  // at 1x128 and 8x128. Anything else there is an error before the budget is
  // spent, and is never overwritten.
  mlir::bert::ScheduleCache cache;
  bool updating = llvm::sys::fs::exists(outputPath);
  if (updating) {
    llvm::Expected<mlir::bert::ScheduleCache> existing =
        mlir::bert::ScheduleCache::load(outputPath);
    if (!existing)
      return makeError(ErrorCode::BadScheduleCache, outputPath, "",
                       llvm::toString(existing.takeError()) +
                           " (tune adds to an existing schedule cache; "
                           "remove the file or choose another -o)");
    cache = std::move(*existing);
  }
  MLIRContext ctx;
  ctx.loadDialect<mlir::bert::BertDialect, func::FuncDialect>();
  GraphOptions opts;
  // Tuning times kernels at the shape of the compile maxima; by default the
  // latency case, one sequence of 128 tokens (bert-tile's default too).
  llvm::Expected<OwningOpRef<ModuleOp>> module =
      buildFromConfig(ctx, opts, /*defaultBatch=*/1, /*defaultSeq=*/128);
  if (!module)
    return module.takeError();
  if (Error e = runStage(ctx, **module, mlir::bert::Stage::Planned, "planned",
                         true, nullptr))
    return e;
  auto funcs = (*module)->getOps<func::FuncOp>();
  if (std::distance(funcs.begin(), funcs.end()) != 1)
    return makeError(ErrorCode::InvalidIR, inputPath, "",
                     "expected exactly one function in the planned module");
  TuneSettings settings;
  settings.target = targetName();
  settings.budgetSeconds = *seconds;
  settings.batch = opts.maxBatch;
  settings.seq = opts.maxSeq;
  settings.verbose = tuneVerbose;
  DiagnosticCollector diags(ctx);
  llvm::Expected<mlir::bert::ScheduleCache> tuned =
      tuneSchedules(*funcs.begin(), settings, llvm::errs());
  if (!tuned)
    return makeError(ErrorCode::BackendFailed, inputPath, "",
                     "tuning failed: " + llvm::toString(tuned.takeError()) +
                         diags.take());
  size_t added = cache.merge(*tuned);
  llvm::json::Object info = describeTuning(settings);
  info["model"] = opts.name;
  std::string message;
  std::unique_ptr<llvm::ToolOutputFile> file =
      openOutputFile(outputPath, &message);
  if (!file)
    return makeError(ErrorCode::OutputFailed, outputPath, "", message);
  file->os() << llvm::formatv("{0:2}", cache.toJSON(info)) << "\n";
  file->keep();
  llvm::outs() << "bertc: wrote " << cache.entries().size() << " schedules to "
               << outputPath;
  if (updating)
    llvm::outs() << " (" << added << " new, " << tuned->entries().size() - added
                 << " replaced, "
                 << cache.entries().size() - tuned->entries().size()
                 << " kept)";
  llvm::outs() << "\n";
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

/// Prints `err` as `bertc: error: ...` and returns its exit code.
static int report(Error err) {
  int code = ExitSuccess;
  llvm::handleAllErrors(
      std::move(err),
      [&](const BertcError &e) {
        llvm::errs() << "bertc: error: ";
        e.log(llvm::errs());
        llvm::errs() << "\n";
        if (code == ExitSuccess)
          code = e.getExitCode();
      },
      [&](const llvm::ErrorInfoBase &e) {
        llvm::errs() << "bertc: error: " << e.message() << "\n";
        if (code == ExitSuccess)
          code = ExitInternal;
      });
  return code;
}

/// Rejects options that do not belong to `command`.
static Error checkOptionsFor(Command command) {
  struct Owner {
    cl::Option *opt;
    std::initializer_list<Command> commands;
    const char *usedBy;
  };
  const Owner owners[] = {
      {&emit, {Command::Compile}, "'bertc compile'"},
      {&dumpIR, {Command::Compile}, "'bertc compile'"},
      {&noCache, {Command::Compile}, "'bertc compile'"},
      {&precision,
       {Command::Compile, Command::Tune},
       "'bertc compile' and 'bertc tune'"},
      {&int8Scheme,
       {Command::Compile, Command::Tune},
       "'bertc compile' and 'bertc tune'"},
      {&schedulesPath, {Command::Compile}, "'bertc compile'"},
      {&cudaGemm, {Command::Compile}, "'bertc compile'"},
      {&maxSeq,
       {Command::Compile, Command::Tune},
       "'bertc compile' and 'bertc tune'"},
      {&target,
       {Command::Compile, Command::Tune},
       "'bertc compile' and 'bertc tune'"},
      {&budget, {Command::Tune}, "'bertc tune'"},
      {&tuneVerbose, {Command::Tune}, "'bertc tune'"},
      {&seed, {Command::InitWeights}, "'bertc init-weights'"},
      {&initStd, {Command::InitWeights}, "'bertc init-weights'"},
  };
  for (const Owner &o : owners)
    if (o.opt->getNumOccurrences() && !llvm::is_contained(o.commands, command))
      return makeError(ErrorCode::BadOptionValue, "",
                       ("--" + o.opt->ArgStr).str(),
                       std::string("only used by ") + o.usedBy);
  return Error::success();
}

int mlir::bert::runBertc(int argc, char **argv) {
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  // --emit's help lists kEmitKinds (the option itself: DriverOptions.cpp).
  static const std::string emitDescription = emitHelp();
  emit.setDescription(emitDescription);

  // bertc's own version, and what decides its kernels' code.
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "bertc " << BERTC_VERSION << " ("
       << ::bert::cpu::kernelCompilerIdentity() << "; MLIR/LLVM "
       << LLVM_VERSION_STRING << ")\n";
  });
  // `bertc --help`, `bertc --version`: no command needed.
  StringRef verb = argc > 1 ? StringRef(argv[1]) : StringRef();
  if (verb.starts_with("-")) {
    cl::ParseCommandLineOptions(argc, argv, kOverview);
    return report(makeError(ErrorCode::UnknownCommand, "", "",
                            "expected a command first (compile, "
                            "init-weights, tune); see bertc --help"));
  }
  const CommandInfo *command = nullptr;
  for (const CommandInfo &c : kCommands)
    if (verb == c.name)
      command = &c;
  if (!command)
    return report(makeError(
        ErrorCode::UnknownCommand, "", "",
        verb.empty() ? "expected a command (compile, init-weights, tune); "
                       "see bertc --help"
                     : "unknown command \"" + verb +
                           "\" (expected compile, init-weights or tune)"));

  // Parse everything after the verb, with the verb in the program name.
  SmallVector<const char *> args{argv[0]};
  args.append(argv + 2, argv + argc);
  cl::ParseCommandLineOptions(args.size(), args.data(), kOverview);
  if (Error e = checkOptionsFor(command->command))
    return report(std::move(e));
  switch (command->command) {
  case Command::Compile:
    return report(runCompile());
  case Command::InitWeights:
    return report(runInitWeights());
  case Command::Tune:
    return report(runTune());
  }
  return ExitInternal;
}
