//===- AST.h - syntax tree of the .hmd model language -----------*- C++ -*-===//
//
// A parsed .hmd file: top-level statements, block definitions and the
// expressions inside them. Nothing here knows about MLIR; MLIRGen gives the
// tree its meaning.
//
//===----------------------------------------------------------------------===//

#ifndef HMC_FRONTENDS_DSL_AST_H
#define HMC_FRONTENDS_DSL_AST_H

#include "llvm/Support/Casting.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hmc::dsl {

// 1-based line and column in the .hmd file.
struct SourceLoc {
  unsigned line = 0;
  unsigned col = 0;
};

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Expr {
public:
  enum class Kind { Integer, Float, String, Name, Binary, Call };

  Expr(Kind kind, SourceLoc loc) : kind(kind), loc(loc) {}
  virtual ~Expr() = default;

  Kind getKind() const { return kind; }
  SourceLoc getLoc() const { return loc; }
  // Levels of the tree from here down; a leaf is 1.
  unsigned getDepth() const { return depth; }
  void setDepth(unsigned levels) { depth = levels; }

private:
  Kind kind;
  SourceLoc loc;
  unsigned depth = 1;
};

using ExprPtr = std::unique_ptr<Expr>;

class IntegerExpr : public Expr {
public:
  IntegerExpr(SourceLoc loc, int64_t value)
      : Expr(Kind::Integer, loc), value(value) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Integer; }

  int64_t value;
};

class FloatExpr : public Expr {
public:
  FloatExpr(SourceLoc loc, double value)
      : Expr(Kind::Float, loc), value(value) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Float; }

  double value;
};

// A string literal; `{name}` inside it is replaced by the value of `name`
// when the expression is evaluated.
class StringExpr : public Expr {
public:
  StringExpr(SourceLoc loc, std::string text)
      : Expr(Kind::String, loc), text(std::move(text)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::String; }

  std::string text;
};

class NameExpr : public Expr {
public:
  NameExpr(SourceLoc loc, std::string name)
      : Expr(Kind::Name, loc), name(std::move(name)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Name; }

  std::string name;
};

// `lhs op rhs` with op one of + - * /; located at the operator.
class BinaryExpr : public Expr {
public:
  BinaryExpr(SourceLoc loc, char op, ExprPtr lhs, ExprPtr rhs)
      : Expr(Kind::Binary, loc), op(op), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {
    setDepth(1 + std::max(this->lhs->getDepth(), this->rhs->getDepth()));
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }

  char op;
  ExprPtr lhs, rhs;
};

struct KeywordArg {
  SourceLoc loc;
  std::string name;
  ExprPtr value;
};

// `callee(arg, ..., name = value, ...)`: a built-in op or a block.
class CallExpr : public Expr {
public:
  CallExpr(SourceLoc loc, std::string callee)
      : Expr(Kind::Call, loc), callee(std::move(callee)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }

  std::string callee;
  std::vector<ExprPtr> args;
  std::vector<KeywordArg> keywords;
};

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

class Stmt {
public:
  enum class Kind { Let, Assign, Input, Output, Repeat, Ignore };

  Stmt(Kind kind, SourceLoc loc) : kind(kind), loc(loc) {}
  virtual ~Stmt() = default;

  Kind getKind() const { return kind; }
  SourceLoc getLoc() const { return loc; }

private:
  Kind kind;
  SourceLoc loc;
};

using StmtPtr = std::unique_ptr<Stmt>;

// `let name = expr`: a hyperparameter, fixed once set.
class LetStmt : public Stmt {
public:
  LetStmt(SourceLoc loc, std::string name, ExprPtr value)
      : Stmt(Kind::Let, loc), name(std::move(name)), value(std::move(value)) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Let; }

  std::string name;
  ExprPtr value;
};

// `name = expr`: binds or rebinds a value.
class AssignStmt : public Stmt {
public:
  AssignStmt(SourceLoc loc, std::string name, ExprPtr value)
      : Stmt(Kind::Assign, loc), name(std::move(name)),
        value(std::move(value)) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Assign; }

  std::string name;
  ExprPtr value;
};

// One dimension of an input: a size or a symbol (a dynamic size).
struct DimSpec {
  SourceLoc loc;
  std::string symbol;
  int64_t size = 0;
};

// `input name: dtype[dims]`
class InputStmt : public Stmt {
public:
  InputStmt(SourceLoc loc, std::string name)
      : Stmt(Kind::Input, loc), name(std::move(name)) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Input; }

  std::string name;
  SourceLoc dtypeLoc;
  std::string dtype;
  std::vector<DimSpec> dims;
};

// `output name = expr`
class OutputStmt : public Stmt {
public:
  OutputStmt(SourceLoc loc, std::string name, ExprPtr value)
      : Stmt(Kind::Output, loc), name(std::move(name)),
        value(std::move(value)) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Output; }

  std::string name;
  ExprPtr value;
};

// `repeat var in begin..end { body }`: the body once per integer in
// [begin, end), with `var` bound to it.
class RepeatStmt : public Stmt {
public:
  RepeatStmt(SourceLoc loc, std::string var, ExprPtr begin, ExprPtr end)
      : Stmt(Kind::Repeat, loc), var(std::move(var)), begin(std::move(begin)),
        end(std::move(end)) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Repeat; }

  std::string var;
  ExprPtr begin, end;
  std::vector<StmtPtr> body;
};

// `ignore "pattern"`: weights-file tensors matching the glob are allowed to
// stay unused (buffers such as a stored position table).
class IgnoreStmt : public Stmt {
public:
  IgnoreStmt(SourceLoc loc, std::string pattern)
      : Stmt(Kind::Ignore, loc), pattern(std::move(pattern)) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Ignore; }

  std::string pattern;
};

//===----------------------------------------------------------------------===//
// Blocks and the file
//===----------------------------------------------------------------------===//

struct Param {
  SourceLoc loc;
  std::string name;
};

// `block name(params) { body return expr }`: a layer, inlined at each call.
struct BlockDef {
  SourceLoc loc;
  std::string name;
  std::vector<Param> params;
  std::vector<StmtPtr> body;
  ExprPtr result;
};

struct ModelFile {
  std::vector<std::unique_ptr<BlockDef>> blocks;
  std::vector<StmtPtr> statements;
};

} // namespace hmc::dsl

#endif // HMC_FRONTENDS_DSL_AST_H
