/* parser.y - the grammar of .rnn sources (docs/language.md).
 * Pure, reentrant, with locations and %expect 0. One rule set covers cells,
 * models and train blocks; sema decides which statements each block may
 * hold. Recovery happens at line ends and braces: a broken line becomes
 * `error`, a broken header skips to its block, and the block is marked so
 * that sema does not report the cascade (an undefined name that the broken
 * line would have defined). */
%code requires {
#include "parse.h"
typedef void *yyscan_t;
}

%code provides {
int rnnc_lex(YYSTYPE *yylval, Loc *yylloc, yyscan_t scanner);
}

%code {
#include "util.h"
#include <string.h>

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                            \
    do {                                                                       \
        if (N) {                                                               \
            (Cur) = YYRHSLOC(Rhs, 1);                                          \
            (Cur).end = YYRHSLOC(Rhs, N).end;                                  \
        } else {                                                               \
            (Cur) = YYRHSLOC(Rhs, 0);                                          \
            (Cur).begin = (Cur).offset = (Cur).end;                            \
        }                                                                      \
    } while (0)

static void yyerror(Loc *loc, yyscan_t scanner, ParseCtx *ctx, const char *msg);

/* The scanner, remembering the last two tokens for error messages. */
static int yylex(YYSTYPE *lval, Loc *lloc, yyscan_t scanner, ParseCtx *ctx) {
    int tok = rnnc_lex(lval, lloc, scanner);
    ctx->prev_tok = ctx->tok;
    ctx->prev_loc = ctx->tok_loc;
    ctx->tok = tok;
    ctx->tok_loc = *lloc;
    return tok;
}
static Expr *limited(ParseCtx *ctx, Expr *e);
static Stmt *stmt_new(ParseCtx *ctx, StmtKind kind, Loc loc);
static Block *block_new(ParseCtx *ctx, BlockKind kind, const char *name, Loc loc);
static void block_finish(ParseCtx *ctx, Block *b, PtrVec *stmts, Loc end);
static Loc span(Loc caret, Loc first, Loc last);
#define A (ctx->arena)
}

%define api.pure full
%define api.location.type {Loc}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%lex-param {yyscan_t scanner} {ParseCtx *ctx}
%parse-param {yyscan_t scanner} {ParseCtx *ctx}

%union {
    const char *str;
    Expr *expr;
    Stmt *stmt;
    Decl *decl;
    Arg *arg;
    Block *block;
    TypeSpec type;
    PtrVec vec;
}

%token <str> IDENT "name" PRIMED "primed name" NUMBER "number"
%token CELL "cell" MODEL "model" INPUT "input" TARGET "target" STATE "state"
       PARAM "param" OUTPUT "output" LOSS "loss" TRAIN "train" SEQ "seq"
       TOKEN "token" VECTOR "vector" TRUE "true" FALSE "false"
%token NEWLINE "end of line" BADCHAR "invalid character"

%type <expr> expr postfix primary
%type <stmt> stmt last
%type <decl> decl
%type <arg> arg
%type <block> cell model
%type <type> type
%type <vec> lines items decls exprs args names sizeparams

%left '+' '-'
%left '*' '/'
%precedence NEG
%left '@'

%%

program: %empty
       | program NEWLINE
       | program ';'
       | program cell                       { vec_push(A, &ctx->blocks, $2); }
       | program model                      { vec_push(A, &ctx->blocks, $2); }
       | program error                      { }
       ;

cell: CELL IDENT sizeparams newlines '{' lines '}' {
          $$ = block_new(ctx, BLOCK_CELL, $2, @2);
          $$->sizes = arena_alloc(A, sizeof(SizeParam) * (size_t)($3.len + 1));
          for (int i = 0; i < $3.len; i++)
              $$->sizes[i] = *(SizeParam *)$3.items[i];
          $$->nsizes = $3.len;
          block_finish(ctx, $$, &$6, @7);
      }
    | CELL error '{' lines '}' {
          $$ = block_new(ctx, BLOCK_CELL, "<error>", @1);
          block_finish(ctx, $$, &$4, @5);
          $$->syntax_error = true;
      }
    ;

sizeparams: %empty                          { $$ = (PtrVec){0}; }
          | '(' ')'                         { $$ = (PtrVec){0}; }
          | '(' names ')'                   { $$ = $2; }
          ;

names: IDENT {
           $$ = (PtrVec){0};
           SizeParam *p = arena_alloc(A, sizeof *p);
           *p = (SizeParam){$1, @1};
           vec_push(A, &$$, p);
       }
     | names ',' IDENT {
           $$ = $1;
           SizeParam *p = arena_alloc(A, sizeof *p);
           *p = (SizeParam){$3, @3};
           vec_push(A, &$$, p);
       }
     ;

model: MODEL IDENT newlines '{' lines '}' {
           $$ = block_new(ctx, BLOCK_MODEL, $2, @2);
           block_finish(ctx, $$, &$5, @6);
       }
     | MODEL error '{' lines '}' {
           $$ = block_new(ctx, BLOCK_MODEL, "<error>", @1);
           block_finish(ctx, $$, &$4, @5);
           $$->syntax_error = true;
       }
     ;

newlines: %empty | newlines NEWLINE ;

/* Statements end at a newline, a ';' or the closing brace. A broken
 * statement becomes `error` up to its end; the lines before it are kept. */
lines: items last                           { $$ = $1; if ($2) vec_push(A, &$$, $2); }
     ;

items: %empty                               { $$ = (PtrVec){0}; }
     | items NEWLINE                        { $$ = $1; }
     | items ';'                            { $$ = $1; }
     | items stmt NEWLINE                   { $$ = $1; vec_push(A, &$$, $2); }
     | items stmt ';'                       { $$ = $1; vec_push(A, &$$, $2); }
     | items error NEWLINE                  { $$ = $1; }
     | items error ';'                      { $$ = $1; }
     ;

last: %empty                                { $$ = NULL; }
    | stmt                                  { $$ = $1; }
    | error                                 { $$ = NULL; }
    ;

stmt: INPUT decls                           { $$ = stmt_new(ctx, ST_INPUT, @1); $$->decls = (Decl **)$2.items; $$->ndecls = $2.len; }
    | STATE decls                           { $$ = stmt_new(ctx, ST_STATE, @1); $$->decls = (Decl **)$2.items; $$->ndecls = $2.len; }
    | PARAM decls                           { $$ = stmt_new(ctx, ST_PARAM, @1); $$->decls = (Decl **)$2.items; $$->ndecls = $2.len; }
    | INPUT IDENT ':' type {
          $$ = stmt_new(ctx, ST_INPUT, @1);
          $$->name = $2; $$->name_loc = @2; $$->typed = true; $$->type = $4;
      }
    | TARGET IDENT ':' type {
          $$ = stmt_new(ctx, ST_TARGET, @1);
          $$->name = $2; $$->name_loc = @2; $$->typed = true; $$->type = $4;
      }
    | IDENT '=' expr {
          $$ = stmt_new(ctx, ST_ASSIGN, @1);
          $$->name = $1; $$->name_loc = @1; $$->value = limited(ctx, $3);
      }
    | PRIMED '=' expr {
          $$ = stmt_new(ctx, ST_ASSIGN, @1);
          $$->name = $1; $$->primed = true; $$->name_loc = @1; $$->value = limited(ctx, $3);
      }
    | OUTPUT IDENT                          { $$ = stmt_new(ctx, ST_OUTPUT, @1); $$->name = $2; $$->name_loc = @2; }
    | OUTPUT PRIMED                         { $$ = stmt_new(ctx, ST_OUTPUT, @1); $$->name = $2; $$->primed = true; $$->name_loc = @2; }
    | LOSS expr                             { $$ = stmt_new(ctx, ST_LOSS, @1); $$->value = limited(ctx, $2); }
    | IDENT '=' error {
          /* keep the name defined, so later uses are not reported again */
          $$ = stmt_new(ctx, ST_ASSIGN, @1);
          $$->name = $1;
          $$->name_loc = @1;
          $$->value = ast_error(A, @3);
      }
    | PRIMED '=' error {
          $$ = stmt_new(ctx, ST_ASSIGN, @1);
          $$->name = $1;
          $$->primed = true;
          $$->name_loc = @1;
          $$->value = ast_error(A, @3);
      }
    | TRAIN newlines '{' lines '}' {
          $$ = stmt_new(ctx, ST_TRAIN, @1);
          $$->body = (Stmt **)$4.items;
          $$->nbody = $4.len;
      }
    ;

decls: decl                                 { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
     | decls ',' decl                       { $$ = $1; vec_push(A, &$$, $3); }
     ;

decl: IDENT '[' exprs ']' {
          $$ = arena_alloc(A, sizeof *$$);
          *$$ = (Decl){$1, @1, (Expr **)$3.items, $3.len, NULL};
      }
    | IDENT '[' exprs ']' '=' expr {
          $$ = arena_alloc(A, sizeof *$$);
          *$$ = (Decl){$1, @1, (Expr **)$3.items, $3.len, limited(ctx, $6)};
      }
    ;

exprs: expr                                 { $$ = (PtrVec){0}; vec_push(A, &$$, limited(ctx, $1)); }
     | exprs ',' expr                       { $$ = $1; vec_push(A, &$$, limited(ctx, $3)); }
     ;

type: SEQ TOKEN '(' expr ')'                { $$ = (TypeSpec){true, true, limited(ctx, $4), @$}; }
    | SEQ VECTOR '(' expr ')'               { $$ = (TypeSpec){true, false, limited(ctx, $4), @$}; }
    | TOKEN '(' expr ')'                    { $$ = (TypeSpec){false, true, limited(ctx, $3), @$}; }
    | VECTOR '(' expr ')'                   { $$ = (TypeSpec){false, false, limited(ctx, $3), @$}; }
    ;

expr: expr '+' expr                         { $$ = ast_binary(A, span(@2, @1, @3), '+', $1, $3); }
    | expr '-' expr                         { $$ = ast_binary(A, span(@2, @1, @3), '-', $1, $3); }
    | expr '*' expr                         { $$ = ast_binary(A, span(@2, @1, @3), '*', $1, $3); }
    | expr '/' expr                         { $$ = ast_binary(A, span(@2, @1, @3), '/', $1, $3); }
    | expr '@' expr                         { $$ = ast_binary(A, span(@2, @1, @3), '@', $1, $3); }
    | '-' expr %prec NEG                    { $$ = ast_neg(A, @$, $2); }
    | postfix                               { $$ = $1; }
    ;

postfix: primary                            { $$ = $1; }
       | postfix '[' expr ':' expr ']'      { $$ = ast_slice(A, span(@2, @1, @6), $1, $3, $5); }
       ;

primary: NUMBER                             { $$ = ast_num(A, @1, $1); }
       | IDENT                              { $$ = ast_name(A, @1, $1, false); }
       | PRIMED                             { $$ = ast_name(A, @1, $1, true); }
       | TRUE                               { $$ = ast_bool(A, @1, true); }
       | FALSE                              { $$ = ast_bool(A, @1, false); }
       | IDENT '(' ')'                      { PtrVec none = {0}; $$ = ast_call(A, @$, $1, &none); }
       | IDENT '(' args ')'                 { $$ = ast_call(A, @$, $1, &$3); }
       | '(' expr ')'                       { $$ = $2; $$->loc.begin = @1.begin; $$->loc.end = @3.end; }
       ;

args: arg                                   { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
    | args ',' arg                          { $$ = $1; vec_push(A, &$$, $3); }
    ;

arg: expr {
         $$ = arena_alloc(A, sizeof *$$);
         *$$ = (Arg){NULL, $1->loc, $1};
     }
   | IDENT '=' expr {
         $$ = arena_alloc(A, sizeof *$$);
         *$$ = (Arg){$1, @1, $3};
     }
   ;

%%

static Loc span(Loc caret, Loc first, Loc last) {
    caret.begin = first.begin;
    caret.end = last.end;
    return caret;
}

static Stmt *stmt_new(ParseCtx *ctx, StmtKind kind, Loc loc) {
    Stmt *s = arena_alloc(A, sizeof *s);
    s->kind = kind;
    s->loc = loc;
    return s;
}

static Block *block_new(ParseCtx *ctx, BlockKind kind, const char *name, Loc loc) {
    Block *b = arena_alloc(A, sizeof *b);
    b->kind = kind;
    b->name = name;
    b->loc = loc;
    return b;
}

static void block_finish(ParseCtx *ctx, Block *b, PtrVec *stmts, Loc end) {
    b->stmts = (Stmt **)stmts->items;
    b->nstmts = stmts->len;
    b->end = end;
    b->syntax_error = ctx->block_error;
    ctx->block_error = false;
}

/* Operator chains build deep trees without deep parser stacks; cap them so
 * that every later recursive walk stays shallow. */
static Expr *limited(ParseCtx *ctx, Expr *e) {
    if (e->depth <= AST_MAX_DEPTH)
        return e;
    diag_error(ctx->diags, e->loc, "expression nested more than %d levels deep", AST_MAX_DEPTH);
    ctx->block_error = true;
    return ast_error(A, e->loc);
}

static void yyerror(Loc *loc, yyscan_t scanner, ParseCtx *ctx, const char *msg) {
    (void)scanner;
    ctx->block_error = true;
    if (ctx->fatal)
        return;
    if (!strcmp(msg, "memory exhausted"))
        diag_error(ctx->diags, *loc, "source nested too deeply for the parser");
    else
        diag_error(ctx->diags, *loc, "%s", msg);
    ctx->fatal = true;
}

static bool is_keyword(yysymbol_kind_t k) { return k >= YYSYMBOL_CELL && k <= YYSYMBOL_FALSE; }

/* How a token is named in a message: quoted punctuation and keywords. */
static void describe(char *buf, size_t n, yysymbol_kind_t k, const yypcontext_t *pctx) {
    const char *name = yysymbol_name(k);
    if (k == YYSYMBOL_YYEOF) {
        snprintf(buf, n, "end of file");
    } else if (pctx && (k == YYSYMBOL_IDENT || k == YYSYMBOL_NUMBER || k == YYSYMBOL_PRIMED)) {
        Loc at = *yypcontext_location(pctx);
        char text[48];
        loc_text(at, text, sizeof text);
        snprintf(buf, n, "%s '%s'", k == YYSYMBOL_NUMBER ? "number" : "name", text);
    } else {
        bool quoted = name[0] == '"';
        int len = (int)strlen(name) - (quoted ? 2 : 0);
        snprintf(buf, n, is_keyword(k) ? "'%.*s'" : "%.*s", len, name + quoted);
    }
}

static bool expects(const yysymbol_kind_t *list, int n, yysymbol_kind_t k) {
    for (int i = 0; i < n; i++)
        if (list[i] == k)
            return true;
    return false;
}

static bool expects_char(const yysymbol_kind_t *list, int n, char c) {
    for (int i = 0; i < n; i++) {
        const char *nm = yysymbol_name(list[i]);
        if (nm[0] == '\'' && nm[1] == c)
            return true;
    }
    return false;
}

/* Messages name what was found, then what would have fitted: the bracket
 * or brace still open when there is one, else up to four expected tokens. */
static int yyreport_syntax_error(const yypcontext_t *pctx, yyscan_t scanner, ParseCtx *ctx) {
    (void)scanner;
    ctx->block_error = true;
    yysymbol_kind_t tok = yypcontext_token(pctx);
    if (ctx->fatal || tok == YYSYMBOL_BADCHAR)
        return 0; /* already reported by the scanner */
    Loc loc = *yypcontext_location(pctx);
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(pctx, exp, YYNTOKENS);
    char found[80];
    describe(found, sizeof found, tok, pctx);
    if (is_keyword(tok) && expects(exp, n, YYSYMBOL_IDENT)) {
        diag_error(ctx->diags, loc, "%s is a reserved word and cannot be used as a name", found);
        return 0;
    }
    if (ctx->tok == '=' && ctx->prev_tok >= CELL && ctx->prev_tok <= FALSE) {
        /* `state = ...`: a keyword where a name was meant */
        char kw[48];
        loc_text(ctx->prev_loc, kw, sizeof kw);
        diag_error(ctx->diags, ctx->prev_loc, "'%s' is a reserved word and cannot be used as a name", kw);
        return 0;
    }
    if (ctx->nesting > 0) {
        Loc o = ctx->open[ctx->nesting - 1];
        char open = ctx->open_char[ctx->nesting - 1], close = open == '(' ? ')' : ']';
        /* newlines end statements again, so recovery stops at this line */
        ctx->nesting = 0;
        if (expects_char(exp, n, close)) {
            diag_error(ctx->diags, loc, "unexpected %s; expected '%c' to close '%c' at line %d, column %d",
                       found, close, open, o.line, o.col);
            return 0;
        }
    }
    if (ctx->in_brace && expects_char(exp, n, '}') && (tok == YYSYMBOL_YYEOF || tok == YYSYMBOL_CELL || tok == YYSYMBOL_MODEL)) {
        diag_error(ctx->diags, loc, "unexpected %s; expected '}' to close '{' at line %d, column %d",
                   found, ctx->brace.line, ctx->brace.col);
        return 0;
    }
    if (expects(exp, n, YYSYMBOL_NUMBER) && expects_char(exp, n, '(')) {
        diag_error(ctx->diags, loc, "unexpected %s; expected a value (a name, a number or '(')", found);
        return 0;
    }
    enum { MAX_LISTED = 4 };
    if (n == 0 || n > MAX_LISTED) {
        diag_error(ctx->diags, loc, "unexpected %s", found);
        return 0;
    }
    char list[256] = "";
    for (int i = 0; i < n; i++) {
        char one[64];
        describe(one, sizeof one, exp[i], NULL);
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", one);
    }
    diag_error(ctx->diags, loc, "unexpected %s; expected %s", found, list);
    return 0;
}

int yylex_init_extra(ParseCtx *extra, yyscan_t *scanner);
int yylex_destroy(yyscan_t scanner);
typedef struct yy_buffer_state *YY_BUFFER_STATE;
YY_BUFFER_STATE yy_scan_bytes(const char *bytes, int len, yyscan_t scanner);

bool parse_source(Arena *a, Diags *diags, const Source *src, Program *out) {
    ParseCtx ctx = {.arena = a, .diags = diags, .src = src, .line = 1, .col = 1};
    yyscan_t scanner;
    if (yylex_init_extra(&ctx, &scanner))
        die("cannot start the scanner");
    yy_scan_bytes(src->text, src->len, scanner);
    int before = diags->errors;
    int rc = yyparse(scanner, &ctx);
    yylex_destroy(scanner);
    out->blocks = (Block **)ctx.blocks.items;
    out->nblocks = ctx.blocks.len;
    return rc == 0 && diags->errors == before;
}
