/* ast.h - the syntax tree the parser builds, in the compiler's arena.
 * One expression type serves values, sizes, named arguments and
 * initialisers; sema decides what each position may hold. Sema annotates
 * expressions in place (sym, shape). */
#ifndef RNNC_AST_H
#define RNNC_AST_H
#include "arena.h"
#include "diag.h"
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    EX_NUM,    /* 3, 0.5, 2e-3 */
    EX_NAME,   /* x, or x' (primed) */
    EX_BOOL,   /* true, false */
    EX_BINARY, /* lhs op rhs, op one of + - * / @ */
    EX_NEG,    /* -lhs */
    EX_CALL,   /* name(args) */
    EX_SLICE,  /* lhs[lo:hi] */
    EX_ERROR,  /* placeholder where parsing failed */
} ExprKind;

typedef struct Expr Expr;
typedef struct Sym Sym;
typedef struct Shape Shape;
struct Poly;

typedef struct Arg {
    const char *name; /* NULL for a positional argument */
    Loc loc;          /* of the name, or of the value when positional */
    Expr *value;
} Arg;

struct Expr {
    ExprKind kind;
    Loc loc;
    int depth;         /* 1 + deepest child: bounded by AST_MAX_DEPTH */
    double num;        /* EX_NUM value; EX_BOOL: 0 or 1 */
    bool is_int;       /* EX_NUM written without '.' or exponent */
    const char *name;  /* EX_NAME, EX_CALL callee */
    bool primed;       /* EX_NAME written x' */
    char op;           /* EX_BINARY */
    Expr *lhs, *rhs;   /* EX_BINARY; EX_NEG and EX_SLICE use lhs */
    Expr *lo, *hi;     /* EX_SLICE bounds (size expressions) */
    Arg **args;        /* EX_CALL */
    int nargs;
    /* filled in by sema */
    Sym *sym;          /* EX_NAME: what the name refers to */
    const Shape *shape;/* value shape in a cell */
    const struct Poly *lo_size, *hi_size; /* EX_SLICE bounds as sizes */
};

typedef struct Decl {     /* one name of an input/state/param statement */
    const char *name;
    Loc loc;
    Expr **dims;          /* size expressions, 1 or 2 */
    int ndims;
    Expr *init;           /* param initialiser, or NULL */
} Decl;

typedef struct TypeSpec { /* seq token(V), vector(N), ... */
    bool seq, token;
    Expr *size;
    Loc loc;
} TypeSpec;

typedef enum {
    ST_INPUT,   /* cell: input x[n]            model: input x : TYPE */
    ST_STATE,   /* state h[n], c[n] */
    ST_PARAM,   /* param W[m, n] = init, ... */
    ST_ASSIGN,  /* name = expr, name' = expr; train-block settings too */
    ST_OUTPUT,  /* output name */
    ST_TARGET,  /* target y : TYPE */
    ST_LOSS,    /* loss f(a, b) */
    ST_TRAIN,   /* train { settings } */
} StmtKind;

typedef struct Stmt Stmt;
struct Stmt {
    StmtKind kind;
    Loc loc;         /* of the keyword, or of the assigned name */
    Decl **decls;    /* ST_STATE, ST_PARAM, cell ST_INPUT */
    int ndecls;
    const char *name;/* ST_ASSIGN, ST_OUTPUT, model ST_INPUT/ST_TARGET */
    bool primed;
    Loc name_loc;
    bool typed;      /* model-style "input x : TYPE" */
    TypeSpec type;
    Expr *value;     /* ST_ASSIGN rhs, ST_LOSS call */
    Stmt **body;     /* ST_TRAIN settings */
    int nbody;
};

typedef enum { BLOCK_CELL, BLOCK_MODEL } BlockKind;

typedef struct SizeParam {
    const char *name;
    Loc loc;
} SizeParam;

typedef struct Block {
    BlockKind kind;
    const char *name;
    Loc loc;           /* of the name */
    SizeParam *sizes;  /* cell size parameters */
    int nsizes;
    Stmt **stmts;
    int nstmts;
    Loc end;           /* the closing brace */
    bool syntax_error; /* parsing recovered inside: suppress cascades */
    bool prelude;      /* comes from the built-in prelude */
    bool duplicate;    /* the user's copy of a prelude cell, word for word */
} Block;

typedef struct Program {
    Block **blocks;
    int nblocks;
} Program;

enum {
    AST_MAX_DEPTH = 1000,     /* expression nesting, including operator chains */
    SOURCE_MAX_BYTES = 16 << 20,
};

/* Constructors used by the parser; each sets loc and depth. */
Expr *ast_num(Arena *a, Loc loc, const char *text);
Expr *ast_name(Arena *a, Loc loc, const char *name, bool primed);
Expr *ast_bool(Arena *a, Loc loc, bool v);
Expr *ast_binary(Arena *a, Loc loc, char op, Expr *l, Expr *r);
Expr *ast_neg(Arena *a, Loc loc, Expr *e);
Expr *ast_call(Arena *a, Loc loc, const char *name, PtrVec *args);
Expr *ast_slice(Arena *a, Loc loc, Expr *base, Expr *lo, Expr *hi);
Expr *ast_error(Arena *a, Loc loc);

/* Print the tree as S-expressions, for tests and `rnnc check -d ast`. */
void ast_print(FILE *out, const Program *p);
void ast_print_expr(FILE *out, const Expr *e);
void ast_print_block(FILE *out, const Block *b);
/* Same tree, ignoring layout and comments. */
bool ast_same_block(const Block *a, const Block *b);

#endif
