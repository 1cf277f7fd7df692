//===- Lexer.h - tokens of the .hmd model language --------------*- C++ -*-===//

#ifndef HMC_FRONTENDS_DSL_LEXER_H
#define HMC_FRONTENDS_DSL_LEXER_H

#include "AST.h"

#include "llvm/ADT/StringRef.h"

#include <string>

namespace hmc::dsl {

enum class TokenKind {
  EndOfFile,
  Identifier,
  Integer,
  Float,
  String,
  // Keywords.
  Let,
  Input,
  Output,
  Block,
  Return,
  Repeat,
  In,
  Ignore,
  // Punctuation and operators.
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Equal,
  DotDot,
  Plus,
  Minus,
  Star,
  Slash,
  // A character that starts no token; `text` holds it.
  Invalid,
};

struct Token {
  TokenKind kind = TokenKind::EndOfFile;
  SourceLoc loc;
  // Identifier and keyword spelling, string contents (escapes resolved),
  // number spelling, or the offending character.
  std::string text;
  int64_t integer = 0;
  double number = 0;
};

// Splits .hmd source into tokens; `#` starts a comment to the end of the line.
// Newlines are plain white space: the grammar needs no statement separator.
class Lexer {
public:
  explicit Lexer(llvm::StringRef source) : source(source) {}

  Token next();

private:
  char peek(size_t ahead = 0) const {
    return pos + ahead < source.size() ? source[pos + ahead] : '\0';
  }
  void advance();
  void skipSpaceAndComments();
  Token lexNumber(SourceLoc loc);
  Token lexString(SourceLoc loc);

  llvm::StringRef source;
  size_t pos = 0;
  unsigned line = 1;
  unsigned col = 1;
};

// How a token kind reads in an error message ("'('", "a string", ...).
std::string describe(TokenKind kind);

} // namespace hmc::dsl

#endif // HMC_FRONTENDS_DSL_LEXER_H
