/* parse.h - the parser's entry point and the state the scanner and parser
 * share (grammar/lexer.l, grammar/parser.y). */
#ifndef RNNC_PARSE_H
#define RNNC_PARSE_H
#include "ast.h"

enum { PARSE_MAX_NESTING = AST_MAX_DEPTH }; /* open ( and [ at once */

typedef struct ParseCtx {
    Arena *arena;
    Diags *diags;
    const Source *src;
    PtrVec blocks;       /* finished cells and models, in order */
    bool block_error;    /* a syntax error since the current block began */
    bool fatal;          /* a limit was hit: stop, report nothing more */
    int nesting;         /* open ( and [ */
    Loc open[PARSE_MAX_NESTING]; /* where each is */
    char open_char[PARSE_MAX_NESTING];
    Loc brace;           /* the last '{' */
    bool in_brace;
    int line, col, offset; /* scanner position */
    int tok, prev_tok;   /* the last two tokens read, for messages */
    Loc tok_loc, prev_loc;
} ParseCtx;

/* Parse src into *out. Errors go to diags; returns false when any
 * syntax error was found (out still holds what could be recovered). */
bool parse_source(Arena *a, Diags *diags, const Source *src, Program *out);

#endif
