//===- Lexer.cpp ----------------------------------------------------------===//

#include "Lexer.h"

#include "llvm/ADT/StringSwitch.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace hmc::dsl {

void Lexer::advance() {
  if (source[pos] == '\n') {
    ++line;
    col = 1;
  } else {
    ++col;
  }
  ++pos;
}

void Lexer::skipSpaceAndComments() {
  while (pos < source.size()) {
    char c = peek();
    if (c == '#') {
      while (pos < source.size() && peek() != '\n')
        advance();
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      advance();
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skipSpaceAndComments();
  Token token;
  token.loc = {line, col};
  if (pos >= source.size())
    return token;

  char c = peek();
  if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
    size_t start = pos;
    while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_')
      advance();
    token.text = source.slice(start, pos).str();
    token.kind = llvm::StringSwitch<TokenKind>(token.text)
                     .Case("let", TokenKind::Let)
                     .Case("input", TokenKind::Input)
                     .Case("output", TokenKind::Output)
                     .Case("block", TokenKind::Block)
                     .Case("return", TokenKind::Return)
                     .Case("repeat", TokenKind::Repeat)
                     .Case("in", TokenKind::In)
                     .Case("ignore", TokenKind::Ignore)
                     .Default(TokenKind::Identifier);
    return token;
  }
  if (std::isdigit(static_cast<unsigned char>(c)))
    return lexNumber(token.loc);
  if (c == '"')
    return lexString(token.loc);

  if (c == '.' && peek(1) == '.') {
    advance();
    advance();
    token.kind = TokenKind::DotDot;
    token.text = "..";
    return token;
  }
  token.text = std::string(1, c);
  advance();
  switch (c) {
  case '(':
    token.kind = TokenKind::LParen;
    break;
  case ')':
    token.kind = TokenKind::RParen;
    break;
  case '{':
    token.kind = TokenKind::LBrace;
    break;
  case '}':
    token.kind = TokenKind::RBrace;
    break;
  case '[':
    token.kind = TokenKind::LBracket;
    break;
  case ']':
    token.kind = TokenKind::RBracket;
    break;
  case ',':
    token.kind = TokenKind::Comma;
    break;
  case ':':
    token.kind = TokenKind::Colon;
    break;
  case '=':
    token.kind = TokenKind::Equal;
    break;
  case '+':
    token.kind = TokenKind::Plus;
    break;
  case '-':
    token.kind = TokenKind::Minus;
    break;
  case '*':
    token.kind = TokenKind::Star;
    break;
  case '/':
    token.kind = TokenKind::Slash;
    break;
  default:
    token.kind = TokenKind::Invalid;
    break;
  }
  return token;
}

Token Lexer::lexNumber(SourceLoc loc) {
  Token token;
  token.loc = loc;
  size_t start = pos;
  bool isFloat = false;
  while (std::isdigit(static_cast<unsigned char>(peek())))
    advance();
  // "0..L" is a range, not the float "0." followed by ".L".
  if (peek() == '.' && peek(1) != '.') {
    isFloat = true;
    advance();
    while (std::isdigit(static_cast<unsigned char>(peek())))
      advance();
  }
  if ((peek() == 'e' || peek() == 'E') &&
      (std::isdigit(static_cast<unsigned char>(peek(1))) ||
       ((peek(1) == '-' || peek(1) == '+') &&
        std::isdigit(static_cast<unsigned char>(peek(2)))))) {
    isFloat = true;
    advance();
    advance();
    while (std::isdigit(static_cast<unsigned char>(peek())))
      advance();
  }
  token.text = source.slice(start, pos).str();
  errno = 0;
  if (isFloat) {
    token.kind = TokenKind::Float;
    token.number = std::strtod(token.text.c_str(), nullptr);
  } else {
    token.kind = TokenKind::Integer;
    token.integer = std::strtoll(token.text.c_str(), nullptr, 10);
  }
  // An out-of-range literal is reported by the parser as an invalid token.
  if (errno == ERANGE)
    token.kind = TokenKind::Invalid;
  return token;
}

Token Lexer::lexString(SourceLoc loc) {
  Token token;
  token.loc = loc;
  token.kind = TokenKind::String;
  advance(); // the opening quote
  while (true) {
    char c = peek();
    if (pos >= source.size() || c == '\n') {
      // An unterminated string: reported at its opening quote.
      token.kind = TokenKind::Invalid;
      token.text = "\"";
      return token;
    }
    advance();
    if (c == '"')
      return token;
    if (c == '\\' && (peek() == '"' || peek() == '\\')) {
      c = peek();
      advance();
    }
    token.text += c;
  }
}

std::string describe(TokenKind kind) {
  switch (kind) {
  case TokenKind::EndOfFile:
    return "the end of the file";
  case TokenKind::Identifier:
    return "a name";
  case TokenKind::Integer:
    return "an integer";
  case TokenKind::Float:
    return "a number";
  case TokenKind::String:
    return "a string";
  case TokenKind::Let:
    return "'let'";
  case TokenKind::Input:
    return "'input'";
  case TokenKind::Output:
    return "'output'";
  case TokenKind::Block:
    return "'block'";
  case TokenKind::Return:
    return "'return'";
  case TokenKind::Repeat:
    return "'repeat'";
  case TokenKind::In:
    return "'in'";
  case TokenKind::Ignore:
    return "'ignore'";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Equal:
    return "'='";
  case TokenKind::DotDot:
    return "'..'";
  case TokenKind::Plus:
    return "'+'";
  case TokenKind::Minus:
    return "'-'";
  case TokenKind::Star:
    return "'*'";
  case TokenKind::Slash:
    return "'/'";
  case TokenKind::Invalid:
    return "an invalid character";
  }
  return "a token";
}

} // namespace hmc::dsl
