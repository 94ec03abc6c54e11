//===- ModelPlanTest.cpp - the typed host plan of a small model -----------===//
//
// Builds a two-layer model with the frontend, runs the CPU pipeline and
// plans it, then checks what HostCodeGen relies on: every buffer's role
// (caller inputs and outputs, arena slots, weight slots), that the sizes
// come from #bert.model_facts rather than from the ops, and the errors for
// a module without the facts or with facts its embeddings contradict.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/ModelPlan.h"
#include "compiler/frontend/ConfigReader.h"
#include "compiler/frontend/GraphBuilder.h"
#include "dialect/BertOps.h"
#include "passes/Passes.h"
#include "passes/Pipelines.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::bert;

namespace {

constexpr const char *kTarget = "x86-64-avx2";

const char *kConfig = R"({
  "model_type": "bert", "vocab_size": 50, "hidden_size": 16,
  "num_hidden_layers": 2, "num_attention_heads": 2,
  "intermediate_size": 32, "max_position_embeddings": 16,
  "type_vocab_size": 3
})";

class ModelPlanTest : public ::testing::Test {
protected:
  void SetUp() override {
    ctx.loadDialect<BertDialect, func::FuncDialect>();
    auto cfg = mlir::bert::parseBertConfig(kConfig, "config.json");
    ASSERT_TRUE(static_cast<bool>(cfg)) << llvm::toString(cfg.takeError());
    mlir::bert::GraphOptions opts;
    opts.name = "small";
    opts.maxBatch = 2;
    opts.maxSeq = 8;
    auto built = mlir::bert::buildBertModule(ctx, *cfg, opts);
    ASSERT_TRUE(static_cast<bool>(built)) << llvm::toString(built.takeError());
    module = std::move(*built);
    PassManager pm(&ctx, ModuleOp::getOperationName());
    BertPipelineOptions pipeline;
    pipeline.target = kTarget;
    buildBertCPUPipeline(pm, pipeline);
    ASSERT_TRUE(succeeded(pm.run(*module)));
  }

  func::FuncOp func() { return *module->getOps<func::FuncOp>().begin(); }

  /// Plans the module; on failure, the diagnostics in `errors`.
  FailureOr<ModelPlan> plan() {
    ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
      errors += d.str() + "\n";
      return success();
    });
    return planModel(func(), "small", kTarget);
  }

  /// The module's facts with `edit` applied.
  void
  setFacts(llvm::function_ref<void(int64_t &layers, int64_t &vocab)> edit) {
    auto f = (*module)->getAttrOfType<ModelFactsAttr>(
        BertDialect::getModelFactsAttrName());
    int64_t layers = f.getLayers(), vocab = f.getVocab();
    edit(layers, vocab);
    (*module)->setAttr(BertDialect::getModelFactsAttrName(),
                       ModelFactsAttr::get(&ctx, f.getFamily(), layers,
                                           f.getHidden(), f.getHeads(),
                                           f.getIntermediate(), vocab,
                                           f.getTypeVocab()));
  }

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::string errors;
};

using Role = BufferRef::Role;

TEST_F(ModelPlanTest, BuffersCarryTheirRoles) {
  FailureOr<ModelPlan> p = plan();
  ASSERT_TRUE(succeeded(p)) << errors;
  ASSERT_FALSE(p->calls.empty());
  namespace cpu = ::bert::cpu;
  // Whether call `c` runs a kernel of spec Spec.
  auto runs = [&](const KernelCall &c, auto spec) {
    return std::holds_alternative<decltype(spec)>(p->kernels[c.kernel].spec);
  };

  // Embeddings: the caller's ids, five weight slots, an arena slot.
  const KernelCall &emb = p->calls.front();
  ASSERT_TRUE(runs(emb, cpu::EmbeddingsSpec()));
  ASSERT_EQ(emb.args.size(), 8u);
  EXPECT_TRUE(emb.args[0].base.isInput(p->findInput("input_ids")));
  EXPECT_TRUE(emb.args[1].base.isInput(p->findInput("token_type_ids")));
  for (int a = 2; a < 7; ++a)
    EXPECT_EQ(emb.args[a].base.role, Role::Weight) << a;
  EXPECT_EQ(emb.args[7].base.role, Role::Arena);

  // Every attention reads the caller's mask; exactly one call (the last
  // layer norm) writes last_hidden_state, and the pooler reads it.
  int attentions = 0, lastHiddenWrites = 0;
  for (const KernelCall &c : p->calls) {
    if (runs(c, cpu::AttentionSpec())) {
      ++attentions;
      EXPECT_TRUE(c.args[1].base.isInput(p->findInput("attention_mask")));
      EXPECT_EQ(c.args[0].base.role, Role::Arena);
    }
    lastHiddenWrites +=
        c.args.back().base.isOutput(p->findOutput("last_hidden_state"));
  }
  EXPECT_EQ(attentions, 2);
  EXPECT_EQ(lastHiddenWrites, 1);
  const KernelCall &pool = p->calls.back();
  ASSERT_TRUE(runs(pool, cpu::PoolerSpec()));
  EXPECT_TRUE(
      pool.args.front().base.isOutput(p->findOutput("last_hidden_state")));
  EXPECT_TRUE(pool.args.back().base.isOutput(p->findOutput("pooler_output")));

  // Weight slots are in range; arena slots inside the planned arena.
  for (const KernelCall &c : p->calls)
    for (const BufferArg &a : c.args) {
      if (a.base.role == Role::Weight) {
        EXPECT_LT(a.base.weightSlot, p->slots.size());
      }
      if (a.base.role == Role::Arena) {
        EXPECT_LT(a.base.arenaOffset, p->arenaBytes);
      }
    }
}

TEST_F(ModelPlanTest, SizesComeFromTheFacts) {
  FailureOr<ModelPlan> p = plan();
  ASSERT_TRUE(succeeded(p)) << errors;
  EXPECT_EQ(p->family, "bert");
  EXPECT_EQ(p->layers, 2);
  EXPECT_EQ(p->hidden, 16);
  EXPECT_EQ(p->heads, 2);
  EXPECT_EQ(p->intermediate, 32);
  EXPECT_EQ(p->vocab, 50);
  EXPECT_EQ(p->typeVocab, 3);
  // Facts the kernels do not depend on are published as given, not
  // recounted from the ops.
  setFacts([](int64_t &layers, int64_t &) { layers = 7; });
  FailureOr<ModelPlan> edited = plan();
  ASSERT_TRUE(succeeded(edited)) << errors;
  EXPECT_EQ(edited->layers, 7);
}

TEST_F(ModelPlanTest, SixteenBitSlotsAreRefusedOffCUDA) {
  // bert-plan-buffers' activation-type=bf16 is the CUDA backend's: the CPU
  // kernels read float32 activations.
  PassManager pm(&ctx, ModuleOp::getOperationName());
  PlanBuffersPassOptions replan;
  replan.activationType = "bf16";
  pm.nest<func::FuncOp>().addPass(createPlanBuffersPass(replan));
  ASSERT_TRUE(succeeded(pm.run(*module)));
  EXPECT_TRUE(failed(plan()));
  EXPECT_NE(errors.find("has a 16-bit arena slot (element = 'bf16'), which "
                        "only the CUDA kernels read"),
            std::string::npos)
      << errors;
}

TEST_F(ModelPlanTest, MissingFactsAreNamed) {
  (*module)->removeAttr(BertDialect::getModelFactsAttrName());
  EXPECT_TRUE(failed(plan()));
  EXPECT_NE(errors.find("needs 'bert.model_facts' on the module"),
            std::string::npos)
      << errors;
}

TEST_F(ModelPlanTest, FactsThatContradictTheEmbeddingsAreRefused) {
  // The runtime bounds token ids by the descriptor's vocab_size: a vocab
  // above the table's rows would let ids read past it.
  setFacts([](int64_t &, int64_t &vocab) { vocab = 51; });
  EXPECT_TRUE(failed(plan()));
  EXPECT_NE(errors.find("embedding tables of 50 words"), std::string::npos)
      << errors;
}

// Inputs come from the arguments' names and outputs from bert.output_names,
// in order; the host code binds each by its table index and the packed
// path scatters every per-token output, whatever it is called.
TEST_F(ModelPlanTest, InputsAndOutputsByName) {
  FailureOr<ModelPlan> p = plan();
  ASSERT_TRUE(succeeded(p)) << errors;
  ASSERT_EQ(p->inputs.size(), 3u);
  EXPECT_EQ(p->inputs[0].name, "input_ids");
  EXPECT_EQ(p->inputs[0].upperBound, 50);
  EXPECT_TRUE(p->inputs[0].required);
  EXPECT_EQ(p->inputs[1].upperBound, 3);
  EXPECT_EQ(p->inputs[2].name, "attention_mask");
  EXPECT_EQ(p->inputs[2].defaultValue, 1);
  ASSERT_EQ(p->outputs.size(), 2u);
  EXPECT_EQ(p->outputs[0].dims, (std::vector<int64_t>{kDimBatch, kDimSeq, 16}));
  EXPECT_TRUE(p->outputs[0].perToken());
  EXPECT_EQ(p->outputs[1].dims, (std::vector<int64_t>{kDimBatch, 16}));
  EXPECT_FALSE(p->outputs[1].perToken());

  Builder b(&ctx);
  func()->setAttr("bert.output_names",
                  b.getStrArrayAttr({"sequence_output", "pooled"}));
  p = plan();
  ASSERT_TRUE(succeeded(p)) << errors;
  std::string host = generateHostSource(*p), header = generateHeader(*p);
  EXPECT_NE(host.find("float *sequence_output = (float *)outputs[0];"),
            std::string::npos);
  EXPECT_NE(host.find("bert_scatter_rows(sequence_output, tok, T, "
                      "(int64_t)B * S, 16);"),
            std::string::npos)
      << host;
  EXPECT_EQ(host.find("bert_scatter_rows(pooled"), std::string::npos);
  EXPECT_NE(header.find("pooled: float [batch, 16]"), std::string::npos)
      << header;
  EXPECT_NE(header.find("#define SMALL_OUTPUT_SEQUENCE_OUTPUT 0"),
            std::string::npos);
}

TEST_F(ModelPlanTest, BadInputAndOutputNamesAreNamed) {
  Builder b(&ctx);
  func()->setAttr("bert.output_names", b.getStrArrayAttr({"logits"}));
  EXPECT_TRUE(failed(plan()));
  EXPECT_NE(errors.find("bert.output_names names 1 outputs; the function "
                        "returns 2"),
            std::string::npos)
      << errors;
  errors.clear();
  func()->setAttr("bert.output_names", b.getStrArrayAttr({"a", "a"}));
  EXPECT_TRUE(failed(plan()));
  EXPECT_NE(errors.find("output name 'a' must be a unique C identifier"),
            std::string::npos)
      << errors;
  errors.clear();
  func()->removeAttr("bert.output_names");
  BlockArgument arg = func().getArgument(1);
  arg.setLoc(NameLoc::get(b.getStringAttr("segment_ids"), arg.getLoc()));
  EXPECT_TRUE(failed(plan()));
  EXPECT_NE(errors.find("argument #1 is named 'segment_ids'"),
            std::string::npos)
      << errors;
}

} // namespace
