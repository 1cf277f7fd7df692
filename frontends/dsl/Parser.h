//===- Parser.h - recursive-descent parser for .hmd files -------*- C++ -*-===//

#ifndef HMC_FRONTENDS_DSL_PARSER_H
#define HMC_FRONTENDS_DSL_PARSER_H

#include "AST.h"
#include "Lexer.h"

#include "llvm/ADT/StringRef.h"

#include <functional>
#include <memory>
#include <vector>

namespace hmc::dsl {

// Receives the first syntax error; parsing stops there.
using ErrorReporter =
    std::function<void(SourceLoc loc, const std::string &message)>;

// Grammar (docs/dsl.md):
//   file      := { topStmt }
//   topStmt   := 'block' NAME '(' [NAME {',' NAME}] ')' '{' {stmt}
//                    'return' expr '}'
//              | 'input' NAME ':' NAME '[' dim {',' dim} ']'
//              | 'output' NAME '=' expr
//              | 'ignore' STRING
//              | stmt
//   stmt      := 'let' NAME '=' expr | NAME '=' expr
//              | 'repeat' NAME 'in' expr '..' expr '{' {stmt} '}'
//   dim       := NAME | INTEGER
//   expr      := term {('+' | '-') term}
//   term      := primary {('*' | '/') primary}
//   primary   := INTEGER | FLOAT | STRING | '(' expr ')'
//              | NAME ['(' [arg {',' arg}] ')']
//   arg       := [NAME '='] expr      (keyword arguments last)
class Parser {
public:
  Parser(llvm::StringRef source, ErrorReporter report);

  // The file's syntax tree, or null after reporting an error.
  std::unique_ptr<ModelFile> parseFile();

private:
  const Token &peek(size_t ahead = 0) const;
  Token take();
  bool accept(TokenKind kind);
  bool expect(TokenKind kind, llvm::StringRef context);
  void error(SourceLoc loc, const std::string &message);

  std::unique_ptr<BlockDef> parseBlock();
  StmtPtr parseInput();
  StmtPtr parseStatement();
  StmtPtr parseRepeat();
  bool parseBody(std::vector<StmtPtr> &body, llvm::StringRef context);
  ExprPtr parseExpr();
  ExprPtr parseTerm();
  ExprPtr parsePrimary();
  ExprPtr parseOperand(const Token &token); // the primary that starts here
  ExprPtr parseCall(Token callee);
  // Reports an expression deeper than the limit (the generator walks
  // expressions recursively); returns it otherwise.
  ExprPtr limitDepth(ExprPtr expr);
  void reportTooDeep(SourceLoc loc);

  std::vector<Token> tokens;
  size_t current = 0;
  ErrorReporter report;
  bool failed = false;
  unsigned nesting = 0; // parentheses and calls open around the parser
  unsigned repeats = 0; // 'repeat' bodies open around the parser
};

} // namespace hmc::dsl

#endif // HMC_FRONTENDS_DSL_PARSER_H
