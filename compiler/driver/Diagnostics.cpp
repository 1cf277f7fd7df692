//===- Diagnostics.cpp ----------------------------------------------------===//

#include "Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace hmc {
namespace {

std::string describe(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return describe(name.getChildLoc()) + ": node '" +
           name.getName().getValue().str() + "'";
  if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    std::string text = file.getFilename().str();
    if (file.getLine() > 0)
      text += ":" + std::to_string(file.getLine()) + ":" +
              std::to_string(file.getColumn());
    return text;
  }
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      return describe(fused.getLocations().front());
  if (auto callSite = dyn_cast<CallSiteLoc>(loc))
    return describe(callSite.getCaller());
  return "<unknown>";
}

const char *severity(DiagnosticSeverity s) {
  switch (s) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Note:
    return "note";
  case DiagnosticSeverity::Remark:
    return "remark";
  }
  return "error";
}

llvm::raw_ostream::Colors colour(DiagnosticSeverity s) {
  switch (s) {
  case DiagnosticSeverity::Error:
    return llvm::raw_ostream::RED;
  case DiagnosticSeverity::Warning:
    return llvm::raw_ostream::MAGENTA;
  case DiagnosticSeverity::Note:
  case DiagnosticSeverity::Remark:
    return llvm::raw_ostream::BLUE;
  }
  return llvm::raw_ostream::RED;
}

} // namespace

DiagnosticPrinter::DiagnosticPrinter(MLIRContext &context, Verbosity verbosity)
    : context(context), verbosity(verbosity) {
  // Messages name the ONNX node; a dump of the IR would bury them.
  context.printOpOnDiagnostic(false);
  id = context.getDiagEngine().registerHandler([this](Diagnostic &diag) {
    DiagnosticSeverity s = diag.getSeverity();
    if ((s == DiagnosticSeverity::Remark &&
         this->verbosity != Verbosity::Verbose) ||
        (s != DiagnosticSeverity::Error && this->verbosity == Verbosity::Quiet))
      return success();
    llvm::errs() << describe(diag.getLocation()) << ": ";
    // WithColor colours only when stderr is a terminal.
    llvm::WithColor(llvm::errs(), colour(s), /*Bold=*/true) << severity(s);
    llvm::errs() << ": " << diag.str() << "\n";
    for (const Diagnostic &note : diag.getNotes())
      llvm::errs() << describe(note.getLocation()) << ": note: " << note.str()
                   << "\n";
    return success();
  });
}

DiagnosticPrinter::~DiagnosticPrinter() {
  context.getDiagEngine().eraseHandler(id);
}

} // namespace hmc
