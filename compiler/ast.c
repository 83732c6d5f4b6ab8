/* ast.c - syntax tree constructors and an S-expression printer. */
#include "ast.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Expr *node(Arena *a, ExprKind kind, Loc loc) {
    Expr *e = arena_alloc(a, sizeof *e);
    e->kind = kind;
    e->loc = loc;
    e->depth = 1;
    return e;
}

static int deeper(const Expr *a, const Expr *b) {
    int da = a ? a->depth : 0, db = b ? b->depth : 0;
    return 1 + (da > db ? da : db);
}

Expr *ast_num(Arena *a, Loc loc, const char *text) {
    Expr *e = node(a, EX_NUM, loc);
    e->num = strtod(text, NULL);
    e->is_int = true;
    for (const char *p = text; *p; p++)
        if (*p == '.' || *p == 'e' || *p == 'E')
            e->is_int = false;
    return e;
}

Expr *ast_name(Arena *a, Loc loc, const char *name, bool primed) {
    Expr *e = node(a, EX_NAME, loc);
    e->name = name;
    e->primed = primed;
    return e;
}

Expr *ast_bool(Arena *a, Loc loc, bool v) {
    Expr *e = node(a, EX_BOOL, loc);
    e->num = v;
    return e;
}

Expr *ast_binary(Arena *a, Loc loc, char op, Expr *l, Expr *r) {
    Expr *e = node(a, EX_BINARY, loc);
    e->op = op;
    e->lhs = l;
    e->rhs = r;
    e->depth = deeper(l, r);
    return e;
}

Expr *ast_neg(Arena *a, Loc loc, Expr *x) {
    Expr *e = node(a, EX_NEG, loc);
    e->lhs = x;
    e->depth = deeper(x, NULL);
    return e;
}

Expr *ast_call(Arena *a, Loc loc, const char *name, PtrVec *args) {
    Expr *e = node(a, EX_CALL, loc);
    e->name = name;
    e->args = (Arg **)args->items;
    e->nargs = args->len;
    for (int i = 0; i < args->len; i++) {
        int d = 1 + e->args[i]->value->depth;
        if (d > e->depth)
            e->depth = d;
    }
    return e;
}

Expr *ast_slice(Arena *a, Loc loc, Expr *base, Expr *lo, Expr *hi) {
    Expr *e = node(a, EX_SLICE, loc);
    e->lhs = base;
    e->lo = lo;
    e->hi = hi;
    int d = deeper(lo, hi);
    e->depth = deeper(base, NULL) > d ? deeper(base, NULL) : d;
    return e;
}

Expr *ast_error(Arena *a, Loc loc) { return node(a, EX_ERROR, loc); }

void ast_print_expr(FILE *out, const Expr *e) {
    switch (e->kind) {
    case EX_NUM:
        fprintf(out, "%.17g", e->num);
        break;
    case EX_NAME:
        fprintf(out, "%s%s", e->name, e->primed ? "'" : "");
        break;
    case EX_BOOL:
        fputs(e->num ? "true" : "false", out);
        break;
    case EX_BINARY:
        fprintf(out, "(%c ", e->op);
        ast_print_expr(out, e->lhs);
        fputc(' ', out);
        ast_print_expr(out, e->rhs);
        fputc(')', out);
        break;
    case EX_NEG:
        fputs("(neg ", out);
        ast_print_expr(out, e->lhs);
        fputc(')', out);
        break;
    case EX_CALL:
        fprintf(out, "(call %s", e->name);
        for (int i = 0; i < e->nargs; i++) {
            fputc(' ', out);
            if (e->args[i]->name)
                fprintf(out, "%s=", e->args[i]->name);
            ast_print_expr(out, e->args[i]->value);
        }
        fputc(')', out);
        break;
    case EX_SLICE:
        fputs("(slice ", out);
        ast_print_expr(out, e->lhs);
        fputc(' ', out);
        ast_print_expr(out, e->lo);
        fputc(' ', out);
        ast_print_expr(out, e->hi);
        fputc(')', out);
        break;
    case EX_ERROR:
        fputs("<error>", out);
        break;
    }
}

static void print_decls(FILE *out, const Stmt *s) {
    for (int i = 0; i < s->ndecls; i++) {
        const Decl *d = s->decls[i];
        fprintf(out, " (%s", d->name);
        for (int k = 0; k < d->ndims; k++) {
            fputc(' ', out);
            ast_print_expr(out, d->dims[k]);
        }
        if (d->init) {
            fputs(" = ", out);
            ast_print_expr(out, d->init);
        }
        fputc(')', out);
    }
}

static const char *stmt_keyword[] = {
    [ST_INPUT] = "input", [ST_STATE] = "state", [ST_PARAM] = "param", [ST_ASSIGN] = "=",
    [ST_OUTPUT] = "output", [ST_TARGET] = "target", [ST_LOSS] = "loss", [ST_TRAIN] = "train",
};

static void print_stmt(FILE *out, const Stmt *s, int indent) {
    fprintf(out, "%*s(%s", indent, "", stmt_keyword[s->kind]);
    if (s->name)
        fprintf(out, " %s%s", s->name, s->primed ? "'" : "");
    if (s->typed) {
        fprintf(out, " : %s%s(", s->type.seq ? "seq " : "", s->type.token ? "token" : "vector");
        ast_print_expr(out, s->type.size);
        fputc(')', out);
    }
    print_decls(out, s);
    if (s->value) {
        fputc(' ', out);
        ast_print_expr(out, s->value);
    }
    for (int i = 0; i < s->nbody; i++) {
        fputc('\n', out);
        print_stmt(out, s->body[i], indent + 2);
    }
    fputs(")", out);
}

void ast_print_block(FILE *out, const Block *blk) {
    fprintf(out, "(%s %s", blk->kind == BLOCK_CELL ? "cell" : "model", blk->name);
    if (blk->kind == BLOCK_CELL) {
        fputs(" (", out);
        for (int i = 0; i < blk->nsizes; i++)
            fprintf(out, "%s%s", i ? " " : "", blk->sizes[i].name);
        fputc(')', out);
    }
    for (int i = 0; i < blk->nstmts; i++) {
        fputc('\n', out);
        print_stmt(out, blk->stmts[i], 2);
    }
    fputs(")\n", out);
}

void ast_print(FILE *out, const Program *p) {
    for (int b = 0; b < p->nblocks; b++)
        ast_print_block(out, p->blocks[b]);
}

bool ast_same_block(const Block *a, const Block *b) {
    char *ta = NULL, *tb = NULL;
    size_t na = 0, nb = 0;
    FILE *fa = open_memstream(&ta, &na), *fb = open_memstream(&tb, &nb);
    if (!fa || !fb)
        return false;
    ast_print_block(fa, a);
    ast_print_block(fb, b);
    fclose(fa);
    fclose(fb);
    bool same = na == nb && !memcmp(ta, tb, na);
    free(ta);
    free(tb);
    return same;
}
