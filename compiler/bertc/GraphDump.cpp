//===- GraphDump.cpp - Graphviz pictures of bert IR -----------------------===//
//
// A BERT graph is a long chain of a few kinds of ops, with ~16 weights per
// layer. Drawn naively, the weights dominate the picture, so values that
// depend only on weights (bert.weight and, after bert-pack-qkv, the concat of
// weights) are folded into the label of the op that consumes them in a small
// font. What is left is the data flow: activations as edges labelled with
// their shapes, ops as boxes. Colours: white for high-level ops, blue for
// kernel-level ops, orange with a bold border for fused kernels.
//
//===----------------------------------------------------------------------===//

#include "compiler/bertc/GraphDump.h"
#include "support/ErrorCodes.h"

#include "dialect/BertOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

#include <map>

using namespace mlir;
using namespace mlir::bert;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Text helpers
//===----------------------------------------------------------------------===//

/// Escapes text for a Graphviz HTML-like label.
static std::string html(StringRef s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// "?x?x768xf32" for tensor<?x?x768xf32>.
static std::string shapeText(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (auto t = dyn_cast<RankedTensorType>(type)) {
    for (int64_t d : t.getShape())
      os << (ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d))
         << "x";
    os << t.getElementType();
  } else {
    os << type;
  }
  return s;
}

/// True for a NameLoc the frontend gave: a BertModel module path.
static bool isModulePath(StringRef name) {
  return name.starts_with("encoder.layer.") || name.starts_with("embeddings") ||
         name.starts_with("pooler");
}

/// The name describing where an op comes from: the first frontend module
/// path inside `loc` (passes wrap it in their own NameLocs and FusedLocs
/// when they rewrite ops), else the first NameLoc, else "".
static StringRef moduleName(Location loc) {
  StringRef first, path;
  loc->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l)) {
      StringRef name = n.getName().strref();
      if (first.empty())
        first = name;
      if (isModulePath(name)) {
        path = name;
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return path.empty() ? first : path;
}

/// The cluster an op belongs to: "encoder.layer.N", "embeddings", "pooler"
/// or "" (top level).
static std::string clusterOf(Operation *op) {
  StringRef name = moduleName(op->getLoc());
  if (name.starts_with("encoder.layer.")) {
    StringRef rest = name.drop_front(strlen("encoder.layer."));
    return ("encoder.layer." + rest.take_while(llvm::isDigit)).str();
  }
  if (name.starts_with("embeddings"))
    return "embeddings";
  if (name.starts_with("pooler"))
    return "pooler";
  return "";
}

/// "layer.N.attention.self.query.weight" -> "attention.self.query.weight"
/// when the op is already drawn inside the layer's cluster.
static StringRef shortWeightName(StringRef name) {
  if (name.consume_front("encoder.layer.")) {
    name = name.drop_while(llvm::isDigit);
    name.consume_front(".");
  }
  return name;
}

static bool isFusedKernel(Operation *op) {
  if (isa<FusedAttentionOp, AddLayerNormOp, EmbeddingsLayerNormOp>(op))
    return true;
  if (auto linear = dyn_cast<LinearOp>(op))
    return linear.getActivation() != Activation::none;
  return false;
}

static bool isHighLevel(Operation *op) {
  return isa<WeightOp, EmbeddingsOp, LayerNormOp, LinearOp, AttentionOp, GeluOp,
             AddOp, PoolerOp>(op);
}

/// One line per attribute worth showing: inherent scalars and enums, and a
/// compact form of the schedule and arena slot.
static void attributeLines(Operation *op, SmallVectorImpl<std::string> &out) {
  for (NamedAttribute attr : op->getAttrs()) {
    StringRef name = attr.getName().strref();
    Attribute value = attr.getValue();
    std::string text;
    llvm::raw_string_ostream os(text);
    if (auto s = dyn_cast<ScheduleAttrInterface>(value)) {
      ::bert::KernelSchedule fields = s.getSchedule();
      os << ::bert::scheduleKind(fields) << " "
         << ::bert::describeSchedule(fields);
    } else if (auto b = dyn_cast<BufferAttr>(value)) {
      os << "arena @" << b.getOffset() << " +" << b.getBytes() << " B";
    } else if (auto i = dyn_cast<IntegerAttr>(value)) {
      os << name << " = " << i.getValue();
    } else if (auto f = dyn_cast<FloatAttr>(value)) {
      os << name << " = " << f.getValueAsDouble();
    } else if (auto b = dyn_cast<BoolAttr>(value)) {
      os << name << " = " << (b.getValue() ? "true" : "false");
    } else if (auto a = dyn_cast<ActivationAttr>(value)) {
      if (a.getValue() == Activation::none)
        continue;
      os << name << " = " << stringifyActivation(a.getValue());
    } else if (auto g = dyn_cast<GeluApproximationAttr>(value)) {
      os << name << " = " << stringifyGeluApproximation(g.getValue());
    } else {
      continue;
    }
    out.push_back(text);
  }
}

//===----------------------------------------------------------------------===//
// The DOT writer
//===----------------------------------------------------------------------===//

namespace {
class DotWriter {
public:
  explicit DotWriter(llvm::raw_ostream &os) : os(os) {}
  void writeFunction(func::FuncOp fn);

private:
  /// True when `v` depends on weights only (folded into its users).
  bool isWeightLike(Value v);
  /// Label text of a weight-like value.
  std::string weightText(Value v);
  std::string nodeLabel(Operation *op);
  std::string nodeId(Value v);

  llvm::raw_ostream &os;
  llvm::DenseMap<Value, bool> weightLike;
  llvm::DenseMap<Operation *, unsigned> opIds;
};
} // namespace

bool DotWriter::isWeightLike(Value v) {
  auto it = weightLike.find(v);
  if (it != weightLike.end())
    return it->second;
  Operation *def = v.getDefiningOp();
  bool result = def && (isa<WeightOp>(def) ||
                        (def->getNumOperands() > 0 &&
                         llvm::all_of(def->getOperands(), [&](Value o) {
                           return isWeightLike(o);
                         })));
  weightLike[v] = result;
  return result;
}

std::string DotWriter::weightText(Value v) {
  Operation *def = v.getDefiningOp();
  if (auto w = dyn_cast<WeightOp>(def))
    return shortWeightName(w.getName()).str();
  std::string s = def->getName().stripDialect().str() + "(";
  for (auto [i, o] : llvm::enumerate(def->getOperands()))
    s += (i ? ", " : "") + weightText(o);
  return s + ")";
}

std::string DotWriter::nodeId(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return "arg" + std::to_string(arg.getArgNumber());
  return "op" + std::to_string(opIds.lookup(v.getDefiningOp()));
}

std::string DotWriter::nodeLabel(Operation *op) {
  std::string label = "<B>" + html(op->getName().getStringRef()) + "</B>";
  StringRef where = moduleName(op->getLoc());
  if (!where.empty())
    label += "<BR/><I>" + html(shortWeightName(where)) + "</I>";
  SmallVector<std::string> attrs;
  attributeLines(op, attrs);
  for (const std::string &a : attrs)
    label += "<BR/>" + html(a);
  for (Value operand : op->getOperands())
    if (isWeightLike(operand))
      label += "<BR/><FONT POINT-SIZE=\"8\" COLOR=\"gray30\">" +
               html(weightText(operand)) + " " +
               html(shapeText(operand.getType())) + "</FONT>";
  return "<" + label + ">";
}

void DotWriter::writeFunction(func::FuncOp fn) {
  Block &body = fn.getBody().front();
  os << "  subgraph cluster_fn_" << fn.getSymName() << " {\n"
     << "    label=\"func @" << fn.getSymName() << "\"; style=dashed;\n";

  // Inputs: block arguments, named by their NameLoc when they have one.
  for (BlockArgument arg : body.getArguments()) {
    StringRef name = moduleName(arg.getLoc());
    std::string label =
        name.empty() ? "arg" + std::to_string(arg.getArgNumber()) : name.str();
    os << "    " << nodeId(arg) << " [shape=ellipse, style=filled, "
       << "fillcolor=\"#e8f5e9\", label=<<B>" << html(label) << "</B><BR/>"
       << html(shapeText(arg.getType())) << ">];\n";
  }

  // Ops, grouped by cluster in order of first appearance.
  std::vector<std::pair<std::string, SmallVector<Operation *>>> clusters;
  std::map<std::string, size_t> clusterIndex;
  unsigned next = 0;
  for (Operation &op : body) {
    if (op.getNumResults() == 1 && isWeightLike(op.getResult(0)))
      continue;
    opIds[&op] = next++;
    std::string cluster = clusterOf(&op);
    auto [it, inserted] = clusterIndex.try_emplace(cluster, clusters.size());
    if (inserted)
      clusters.push_back({cluster, {}});
    clusters[it->second].second.push_back(&op);
  }
  for (auto &[cluster, ops] : clusters) {
    std::string indent = "    ";
    if (!cluster.empty()) {
      std::string id = cluster;
      std::replace(id.begin(), id.end(), '.', '_');
      os << "    subgraph cluster_" << id << " {\n      label=\"" << cluster
         << "\"; style=\"rounded,filled\"; fillcolor=\"#f7f7f7\";\n";
      indent = "      ";
    }
    for (Operation *op : ops) {
      std::string style = "shape=box, style=\"rounded,filled\", ";
      if (isa<func::ReturnOp>(op))
        style = "shape=ellipse, style=filled, fillcolor=\"#e8f5e9\", ";
      else if (isFusedKernel(op))
        style += "fillcolor=\"#ffcc80\", penwidth=2.5, ";
      else if (isHighLevel(op))
        style += "fillcolor=white, ";
      else
        style += "fillcolor=\"#d6eaf8\", ";
      os << indent << "op" << opIds[op] << " [" << style
         << "label=" << nodeLabel(op) << "];\n";
    }
    if (!cluster.empty())
      os << "    }\n";
  }
  os << "  }\n";

  // Edges: one per activation use, labelled with the tensor's shape.
  for (auto &[cluster, ops] : clusters)
    for (Operation *op : ops)
      for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
        if (isWeightLike(operand))
          continue;
        os << "  " << nodeId(operand) << " -> op" << opIds[op] << " [label=\""
           << shapeText(operand.getType()) << "\"";
        if (isa<func::ReturnOp>(op))
          os << ", taillabel=\"" << i << "\"";
        os << "];\n";
      }
}

void mlir::bert::writeDot(ModuleOp module, StringRef title,
                          llvm::raw_ostream &os) {
  os << "digraph bert {\n"
     << "  label=\"" << title << "\"; labelloc=t; fontname=Helvetica;\n"
     << "  node [fontname=Helvetica, fontsize=10];\n"
     << "  edge [fontname=Helvetica, fontsize=8, color=gray40];\n";
  for (auto fn : module.getOps<func::FuncOp>())
    if (!fn.isExternal())
      DotWriter(os).writeFunction(fn);
  os << "}\n";
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

bool mlir::bert::haveGraphviz() {
  return static_cast<bool>(llvm::sys::findProgramByName("dot"));
}

llvm::Expected<mlir::bert::GraphFiles>
mlir::bert::writeGraphFiles(ModuleOp module, StringRef title,
                            StringRef basePath) {
  GraphFiles files;
  files.dotPath = (basePath + ".dot").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(files.dotPath, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return makeError(ErrorCode::OutputFailed, files.dotPath, "",
                       "cannot write file: " + ec.message());
    writeDot(module, title, os);
  }
  llvm::ErrorOr<std::string> dot = llvm::sys::findProgramByName("dot");
  if (!dot)
    return files;
  std::string svg = (basePath + ".svg").str();
  StringRef args[] = {*dot, "-Tsvg", files.dotPath, "-o", svg};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*dot, args, /*Env=*/std::nullopt,
                                     /*Redirects=*/{}, /*SecondsToWait=*/120,
                                     /*MemoryLimit=*/0, &message);
  if (rc == 0)
    files.svgPath = svg;
  return files;
}
