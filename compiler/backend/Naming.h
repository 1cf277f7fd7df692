//===- Naming.h - C identifiers and file names from graph names -*- C++ -*-===//
//
// Graph tensor names are arbitrary strings (torch exports `onnx::Mul_0` or
// `133`). The generated header needs C identifiers and `hmc run` needs file
// names; both are derived here by the rules written down in docs/c-api.md.
//
//===----------------------------------------------------------------------===//

#ifndef HMC_BACKEND_NAMING_H
#define HMC_BACKEND_NAMING_H

#include "Status.h"

#include <string>
#include <string_view>
#include <vector>

namespace hmc::backend {

/// True for [A-Za-z_][A-Za-z0-9_]* that is not a C keyword.
bool isCIdentifier(std::string_view text);

/// Maps one graph name to a C identifier: every character other than
/// [A-Za-z0-9_] becomes '_', a name that is empty or starts with a digit gets
/// the prefix "t_", and a C keyword gets the suffix '_'.
std::string sanitizeIdentifier(std::string_view name);

/// Sanitises `names` in order and makes the results distinct: a result that is
/// already taken gets the first free suffix "_2", "_3", ...
std::vector<std::string>
sanitizeIdentifiers(const std::vector<std::string> &names);

/// Maps graph names to distinct file names (without extension): characters
/// other than [A-Za-z0-9._-] become '_', an empty name or one starting with
/// '.' gets the prefix '_', and repeats get "_2", "_3", ...
std::vector<std::string>
sanitizeFileNames(const std::vector<std::string> &names);

/// Checks a model name, which prefixes every exported symbol: a C identifier
/// starting with a letter and not starting with the runtime's reserved
/// prefixes `hmcrt` and `halide`.
Status validateModelName(std::string_view name);

} // namespace hmc::backend

#endif // HMC_BACKEND_NAMING_H
