//===- DslImporter.cpp ----------------------------------------------------===//

#include "DslImporter.h"

#include "MLIRGen.h"
#include "Parser.h"
#include "Safetensors.h"
#include "Weights.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"

#include <optional>

using namespace mlir;

namespace hmc {
namespace {

// Appends the source line and a caret under the column to every diagnostic
// located in the model file, then lets the next handler print it.
class SourceLineAnnotator {
public:
  SourceLineAnnotator(MLIRContext &context, StringRef filename,
                      StringRef source)
      : context(context), filename(filename.str()) {
    source.split(lines, '\n');
    id = context.getDiagEngine().registerHandler([this](Diagnostic &diag) {
      annotate(diag);
      for (Diagnostic &note : diag.getNotes())
        annotate(note);
      return failure(); // not handled: the printer shows it
    });
  }
  ~SourceLineAnnotator() { context.getDiagEngine().eraseHandler(id); }

private:
  void annotate(Diagnostic &diag) {
    auto loc = dyn_cast<FileLineColLoc>(diag.getLocation());
    if (!loc || loc.getFilename() != filename || loc.getLine() == 0 ||
        loc.getLine() > lines.size())
      return;
    StringRef line = lines[loc.getLine() - 1].rtrim("\r");
    // Tabs stay tabs under the caret so it lines up in any terminal.
    std::string pad;
    for (unsigned i = 0; i + 1 < loc.getColumn() && i < line.size(); ++i)
      pad += line[i] == '\t' ? '\t' : ' ';
    diag << "\n  " << line << "\n  " << pad << "^";
  }

  MLIRContext &context;
  std::string filename;
  SmallVector<StringRef> lines;
  DiagnosticEngine::HandlerID id;
};

} // namespace

OwningOpRef<ModuleOp> importDslFile(const std::string &path,
                                    const DslImportOptions &options,
                                    MLIRContext &context) {
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    emitError(fileLoc) << "cannot read the file: "
                       << buffer.getError().message();
    return nullptr;
  }
  StringRef source = (*buffer)->getBuffer();
  SourceLineAnnotator annotator(context, path, source);

  dsl::Parser parser(source, [&](dsl::SourceLoc loc, const std::string &msg) {
    emitError(FileLineColLoc::get(&context, path, loc.line, loc.col)) << msg;
  });
  std::unique_ptr<dsl::ModelFile> file = parser.parseFile();
  if (!file)
    return nullptr;

  std::optional<dsl::WeightSource> weights;
  if (options.randomSeed) {
    weights.emplace(*options.randomSeed);
  } else {
    llvm::Expected<safetensors::File> tensors =
        safetensors::File::open(options.weightsPath);
    if (!tensors) {
      emitError(FileLineColLoc::get(&context, options.weightsPath, 0, 0))
          << toString(tensors.takeError());
      return nullptr;
    }
    weights.emplace(std::move(*tensors), options.weightsPath);
  }

  OwningOpRef<ModuleOp> module = dsl::generateModule(
      *file, path, *weights, options.hypermixAlgorithm, context);
  // The checks above should leave nothing for the verifier; if they miss
  // something, its error still points into the model file.
  if (module && failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace hmc
