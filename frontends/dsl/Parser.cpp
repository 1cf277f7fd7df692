//===- Parser.cpp ---------------------------------------------------------===//

#include "Parser.h"

#include <cctype>
#include <cstdio>
#include <limits>
#include <string>

namespace hmc::dsl {

// Nesting of expressions and of 'repeat' bodies: deep enough for any model,
// shallow enough for the recursive parser and generator on a default stack.
constexpr unsigned kMaxDepth = 256;

Parser::Parser(llvm::StringRef source, ErrorReporter report)
    : report(std::move(report)) {
  Lexer lexer(source);
  do
    tokens.push_back(lexer.next());
  while (tokens.back().kind != TokenKind::EndOfFile);
}

const Token &Parser::peek(size_t ahead) const {
  return tokens[std::min(current + ahead, tokens.size() - 1)];
}

Token Parser::take() {
  Token token = peek();
  if (current + 1 < tokens.size())
    ++current;
  return token;
}

bool Parser::accept(TokenKind kind) {
  if (peek().kind != kind)
    return false;
  take();
  return true;
}

void Parser::error(SourceLoc loc, const std::string &message) {
  if (!failed)
    report(loc, message);
  failed = true;
}

// Names what was found instead of the expected token.
static std::string found(const Token &token) {
  if (token.kind == TokenKind::Invalid) {
    if (token.text == "\"")
      return "an unterminated string";
    if (std::isdigit(static_cast<unsigned char>(token.text[0])))
      return "the out-of-range number " + token.text;
    auto byte = static_cast<unsigned char>(token.text[0]);
    if (byte < 0x20 || byte >= 0x7f) { // not printable ASCII: its code
      char code[8];
      std::snprintf(code, sizeof(code), "0x%02X", byte);
      return std::string("the unexpected byte ") + code +
             (byte >= 0x80 ? " (names and operators are ASCII)" : "");
    }
    return "the unexpected character '" + token.text + "'";
  }
  if (token.kind == TokenKind::Identifier)
    return "'" + token.text + "'";
  return describe(token.kind);
}

bool Parser::expect(TokenKind kind, llvm::StringRef context) {
  if (accept(kind))
    return true;
  error(peek().loc, "expected " + describe(kind) + " " + context.str() +
                        ", got " + found(peek()));
  return false;
}

std::unique_ptr<ModelFile> Parser::parseFile() {
  auto file = std::make_unique<ModelFile>();
  while (!failed && peek().kind != TokenKind::EndOfFile) {
    switch (peek().kind) {
    case TokenKind::Block:
      if (auto block = parseBlock())
        file->blocks.push_back(std::move(block));
      break;
    case TokenKind::Input:
      if (StmtPtr input = parseInput())
        file->statements.push_back(std::move(input));
      break;
    case TokenKind::Output: {
      SourceLoc loc = take().loc;
      Token name = peek();
      if (!expect(TokenKind::Identifier, "after 'output'") ||
          !expect(TokenKind::Equal, "after the output's name"))
        break;
      if (ExprPtr value = parseExpr())
        file->statements.push_back(
            std::make_unique<OutputStmt>(loc, name.text, std::move(value)));
      break;
    }
    case TokenKind::Ignore: {
      SourceLoc loc = take().loc;
      Token pattern = peek();
      if (expect(TokenKind::String, "after 'ignore'"))
        file->statements.push_back(
            std::make_unique<IgnoreStmt>(loc, pattern.text));
      break;
    }
    default:
      if (StmtPtr stmt = parseStatement())
        file->statements.push_back(std::move(stmt));
      break;
    }
  }
  if (failed)
    return nullptr;
  return file;
}

std::unique_ptr<BlockDef> Parser::parseBlock() {
  auto block = std::make_unique<BlockDef>();
  block->loc = take().loc;
  Token name = peek();
  if (!expect(TokenKind::Identifier, "after 'block'"))
    return nullptr;
  block->name = name.text;
  if (!expect(TokenKind::LParen, "after the block's name"))
    return nullptr;
  if (peek().kind != TokenKind::RParen) {
    do {
      Token param = peek();
      if (!expect(TokenKind::Identifier, "(a parameter name)"))
        return nullptr;
      block->params.push_back({param.loc, param.text});
    } while (accept(TokenKind::Comma));
  }
  if (!expect(TokenKind::RParen, "after the block's parameters") ||
      !expect(TokenKind::LBrace, "to open the block's body"))
    return nullptr;
  while (!failed && peek().kind != TokenKind::Return) {
    if (peek().kind == TokenKind::RBrace ||
        peek().kind == TokenKind::EndOfFile) {
      error(peek().loc,
            "block '" + block->name + "' must end with 'return <expression>'");
      return nullptr;
    }
    if (StmtPtr stmt = parseStatement())
      block->body.push_back(std::move(stmt));
  }
  if (failed)
    return nullptr;
  take(); // 'return'
  block->result = parseExpr();
  if (!block->result ||
      !expect(TokenKind::RBrace, "after the block's return value"))
    return nullptr;
  return block;
}

StmtPtr Parser::parseInput() {
  SourceLoc loc = take().loc;
  Token name = peek();
  if (!expect(TokenKind::Identifier, "after 'input'") ||
      !expect(TokenKind::Colon, "after the input's name"))
    return nullptr;
  auto input = std::make_unique<InputStmt>(loc, name.text);
  Token dtype = peek();
  if (!expect(TokenKind::Identifier, "(the element type, e.g. f32 or i64)"))
    return nullptr;
  input->dtypeLoc = dtype.loc;
  input->dtype = dtype.text;
  if (!expect(TokenKind::LBracket, "after the element type"))
    return nullptr;
  do {
    Token dim = take();
    if (dim.kind == TokenKind::Identifier) {
      input->dims.push_back({dim.loc, dim.text, 0});
    } else if (dim.kind == TokenKind::Integer) {
      // Kernels index buffers with 32-bit coordinates.
      if (dim.integer > std::numeric_limits<int32_t>::max()) {
        error(dim.loc,
              "dimension size " + dim.text + " is too large (at most " +
                  std::to_string(std::numeric_limits<int32_t>::max()) + ")");
        return nullptr;
      }
      input->dims.push_back({dim.loc, "", dim.integer});
    } else {
      error(dim.loc,
            "expected a dimension (a name or a size), got " + found(dim));
      return nullptr;
    }
  } while (accept(TokenKind::Comma));
  if (!expect(TokenKind::RBracket, "after the dimensions"))
    return nullptr;
  return input;
}

StmtPtr Parser::parseStatement() {
  Token first = peek();
  switch (first.kind) {
  case TokenKind::Repeat:
    return parseRepeat();
  case TokenKind::Let: {
    take();
    Token name = peek();
    if (!expect(TokenKind::Identifier, "after 'let'") ||
        !expect(TokenKind::Equal, "after the name"))
      return nullptr;
    ExprPtr value = parseExpr();
    if (!value)
      return nullptr;
    return std::make_unique<LetStmt>(first.loc, name.text, std::move(value));
  }
  case TokenKind::Identifier: {
    take();
    if (peek().kind == TokenKind::LParen) {
      error(first.loc, "the result of '" + first.text +
                           "(...)' must be assigned: write 'name = " +
                           first.text + "(...)'");
      return nullptr;
    }
    if (!expect(TokenKind::Equal, "after '" + first.text + "'"))
      return nullptr;
    ExprPtr value = parseExpr();
    if (!value)
      return nullptr;
    return std::make_unique<AssignStmt>(first.loc, first.text,
                                        std::move(value));
  }
  case TokenKind::Input:
  case TokenKind::Output:
  case TokenKind::Block:
  case TokenKind::Ignore:
    error(first.loc,
          describe(first.kind) + " is allowed at the top level only");
    return nullptr;
  default:
    error(first.loc, "expected a statement, got " + found(first));
    return nullptr;
  }
}

StmtPtr Parser::parseRepeat() {
  SourceLoc loc = take().loc;
  Token var = peek();
  if (!expect(TokenKind::Identifier, "after 'repeat'") ||
      !expect(TokenKind::In, "after the loop variable"))
    return nullptr;
  ExprPtr begin = parseExpr();
  if (!begin || !expect(TokenKind::DotDot, "in the range 'begin..end'"))
    return nullptr;
  ExprPtr end = parseExpr();
  if (!end)
    return nullptr;
  auto repeat = std::make_unique<RepeatStmt>(loc, var.text, std::move(begin),
                                             std::move(end));
  // The parser and the generator recurse into bodies too.
  if (repeats == kMaxDepth) {
    error(loc, "'repeat' nested more than " + std::to_string(kMaxDepth) +
                   " levels deep");
    return nullptr;
  }
  ++repeats;
  bool parsed = parseBody(repeat->body, "of 'repeat'");
  --repeats;
  if (!parsed)
    return nullptr;
  return repeat;
}

bool Parser::parseBody(std::vector<StmtPtr> &body, llvm::StringRef context) {
  if (!expect(TokenKind::LBrace, "to open the body " + context.str()))
    return false;
  while (!failed && peek().kind != TokenKind::RBrace) {
    if (peek().kind == TokenKind::EndOfFile) {
      error(peek().loc, "expected '}' to close the body " + context.str());
      return false;
    }
    if (StmtPtr stmt = parseStatement())
      body.push_back(std::move(stmt));
  }
  if (failed)
    return false;
  take(); // '}'
  return true;
}

void Parser::reportTooDeep(SourceLoc loc) {
  error(loc, "expression nested more than " + std::to_string(kMaxDepth) +
                 " levels deep; bind parts of it to names first (part = ...)");
}

ExprPtr Parser::limitDepth(ExprPtr expr) {
  if (!expr || expr->getDepth() <= kMaxDepth)
    return expr;
  reportTooDeep(expr->getLoc());
  return nullptr;
}

ExprPtr Parser::parseExpr() {
  ExprPtr lhs = parseTerm();
  while (lhs &&
         (peek().kind == TokenKind::Plus || peek().kind == TokenKind::Minus)) {
    Token op = take();
    ExprPtr rhs = parseTerm();
    if (!rhs)
      return nullptr;
    lhs = limitDepth(std::make_unique<BinaryExpr>(
        op.loc, op.text[0], std::move(lhs), std::move(rhs)));
  }
  return lhs;
}

ExprPtr Parser::parseTerm() {
  ExprPtr lhs = parsePrimary();
  while (lhs &&
         (peek().kind == TokenKind::Star || peek().kind == TokenKind::Slash)) {
    Token op = take();
    ExprPtr rhs = parsePrimary();
    if (!rhs)
      return nullptr;
    lhs = limitDepth(std::make_unique<BinaryExpr>(
        op.loc, op.text[0], std::move(lhs), std::move(rhs)));
  }
  return lhs;
}

ExprPtr Parser::parsePrimary() {
  Token token = take();
  bool opens =
      token.kind == TokenKind::LParen ||
      (token.kind == TokenKind::Identifier && peek().kind == TokenKind::LParen);
  if (!opens)
    return parseOperand(token);
  if (nesting == kMaxDepth) {
    reportTooDeep(token.loc);
    return nullptr;
  }
  ++nesting;
  ExprPtr expr = parseOperand(token);
  --nesting;
  return expr;
}

ExprPtr Parser::parseOperand(const Token &token) {
  switch (token.kind) {
  case TokenKind::Integer:
    return std::make_unique<IntegerExpr>(token.loc, token.integer);
  case TokenKind::Float:
    return std::make_unique<FloatExpr>(token.loc, token.number);
  case TokenKind::String:
    return std::make_unique<StringExpr>(token.loc, token.text);
  case TokenKind::LParen: {
    ExprPtr inner = parseExpr();
    if (!inner || !expect(TokenKind::RParen, "to close '('"))
      return nullptr;
    return inner;
  }
  case TokenKind::Identifier:
    if (peek().kind == TokenKind::LParen)
      return parseCall(token);
    return std::make_unique<NameExpr>(token.loc, token.text);
  case TokenKind::Minus: {
    // Unary minus (axis = -1, -x): 0 - operand, binding tighter than '*'.
    ExprPtr operand = parsePrimary();
    if (!operand)
      return nullptr;
    return limitDepth(std::make_unique<BinaryExpr>(
        token.loc, '-', std::make_unique<IntegerExpr>(token.loc, 0),
        std::move(operand)));
  }
  default:
    error(token.loc, "expected an expression, got " + found(token));
    return nullptr;
  }
}

ExprPtr Parser::parseCall(Token callee) {
  take(); // '('
  auto call = std::make_unique<CallExpr>(callee.loc, callee.text);
  if (accept(TokenKind::RParen))
    return call;
  do {
    if (peek().kind == TokenKind::Identifier &&
        peek(1).kind == TokenKind::Equal) {
      Token name = take();
      take(); // '='
      ExprPtr value = parseExpr();
      if (!value)
        return nullptr;
      call->keywords.push_back({name.loc, name.text, std::move(value)});
      continue;
    }
    SourceLoc loc = peek().loc;
    ExprPtr value = parseExpr();
    if (!value)
      return nullptr;
    if (!call->keywords.empty()) {
      error(loc, "a positional argument cannot follow keyword arguments");
      return nullptr;
    }
    call->args.push_back(std::move(value));
  } while (accept(TokenKind::Comma));
  if (accept(TokenKind::RParen)) {
    unsigned deepest = 0;
    for (const ExprPtr &arg : call->args)
      deepest = std::max(deepest, arg->getDepth());
    for (const KeywordArg &keyword : call->keywords)
      deepest = std::max(deepest, keyword.value->getDepth());
    call->setDepth(1 + deepest);
    return limitDepth(std::move(call));
  }
  error(peek().loc, "expected ',' or ')' after an argument of '" + callee.text +
                        "', got " + found(peek()));
  return nullptr;
}

} // namespace hmc::dsl
