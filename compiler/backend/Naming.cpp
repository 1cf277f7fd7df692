//===- Naming.cpp - C identifiers and file names from graph names ---------===//

#include "Naming.h"
#include "HostProgram.h"

#include <algorithm>
#include <dlfcn.h>
#include <unordered_set>

namespace hmc::backend {
namespace {

// C11, C23 and C++20 keywords: the generated header is included from both
// languages, so a sanitised name must be an identifier in each. Each keyword
// is enclosed in spaces so that a lookup matches whole words only.
constexpr std::string_view kKeywords =
    " _Alignas _Alignof _Atomic _BitInt _Bool _Complex _Decimal128 "
    "_Decimal32 _Decimal64 _Generic _Imaginary _Noreturn "
    "_Static_assert _Thread_local alignas alignof and and_eq asm "
    "auto bitand bitor bool break case catch char char16_t char32_t "
    "char8_t class co_await co_return co_yield compl concept const "
    "const_cast consteval constexpr constinit continue decltype "
    "default delete do double dynamic_cast else enum explicit export "
    "extern false float for friend goto if inline int long mutable "
    "namespace new noexcept not not_eq nullptr operator or or_eq "
    "private protected public register reinterpret_cast requires "
    "restrict return short signed sizeof static static_assert "
    "static_cast struct switch template this thread_local throw true "
    "try typedef typeid typename typeof typeof_unqual union unsigned "
    "using virtual void volatile wchar_t while xor xor_eq ";

bool isKeyword(std::string_view text) {
  return text.find(' ') == std::string_view::npos &&
         kKeywords.find(" " + std::string(text) + " ") !=
             std::string_view::npos;
}

bool isAsciiLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentifierChar(char c) {
  return isAsciiLetter(c) || isAsciiDigit(c) || c == '_';
}

// Gives repeated names the first free suffix "_2", "_3", ...; a suffixed
// name may itself collide with a later original, hence the loop.
std::vector<std::string> makeDistinct(std::vector<std::string> names) {
  std::unordered_set<std::string> taken;
  for (std::string &name : names) {
    std::string candidate = name;
    for (int suffix = 2; !taken.insert(candidate).second; ++suffix)
      candidate = name + "_" + std::to_string(suffix);
    name = std::move(candidate);
  }
  return names;
}

} // namespace

bool isCIdentifier(std::string_view text) {
  if (text.empty() || isAsciiDigit(text.front()))
    return false;
  return std::all_of(text.begin(), text.end(), isIdentifierChar) &&
         !isKeyword(text);
}

std::string sanitizeIdentifier(std::string_view name) {
  std::string result(name);
  std::replace_if(
      result.begin(), result.end(), [](char c) { return !isIdentifierChar(c); },
      '_');
  if (result.empty() || isAsciiDigit(result.front()))
    result.insert(0, "t_");
  if (isKeyword(result))
    result += '_';
  return result;
}

std::vector<std::string>
sanitizeIdentifiers(const std::vector<std::string> &names) {
  std::vector<std::string> result;
  result.reserve(names.size());
  for (const std::string &name : names)
    result.push_back(sanitizeIdentifier(name));
  return makeDistinct(std::move(result));
}

std::vector<std::string>
sanitizeFileNames(const std::vector<std::string> &names) {
  std::vector<std::string> result;
  result.reserve(names.size());
  for (const std::string &name : names) {
    std::string file = name;
    std::replace_if(
        file.begin(), file.end(),
        [](char c) { return !isIdentifierChar(c) && c != '.' && c != '-'; },
        '_');
    if (file.empty() || file.front() == '.')
      file.insert(0, "_");
    result.push_back(std::move(file));
  }
  return makeDistinct(std::move(result));
}

Status validateModelName(std::string_view name) {
  auto invalid = [&](const std::string &why) {
    return Status::error("invalid model name '" + std::string(name) +
                         "': " + why);
  };
  if (name.empty())
    return Status::error("the model name is empty");
  if (!isAsciiLetter(name.front()))
    return invalid("it must start with a letter (A-Z, a-z)");
  if (!std::all_of(name.begin(), name.end(), isIdentifierChar))
    return invalid("it may contain only letters, digits and '_', because it "
                   "prefixes every exported C symbol");
  if (isKeyword(name))
    return invalid("it is a C or C++ keyword");
  if (name == "hmc" || name.substr(0, 5) == "hmcrt" ||
      name.substr(0, 6) == "halide")
    return invalid("'hmc' and names starting with 'hmcrt' or 'halide' are "
                   "reserved for the runtime inside the library");
  // NAME_create and friends must not replace the C library's functions
  // (e.g. a model named "pthread" would export pthread_create).
  for (const char *library : {"libc.so.6", "libm.so.6"}) {
    void *handle = dlopen(library, RTLD_LAZY | RTLD_NOLOAD);
    if (!handle)
      continue;
    for (const std::string &symbol : exportedFunctions(std::string(name)))
      if (dlsym(handle, symbol.c_str())) {
        dlclose(handle);
        return invalid("its exported function " + symbol + " is also a " +
                       library + " function");
      }
    dlclose(handle);
  }
  return Status::success();
}

} // namespace hmc::backend
