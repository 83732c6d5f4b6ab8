/* sema_inst.c - instantiate a generic cell with concrete sizes.
 * A cell is checked once with symbolic sizes; a use binds them to numbers.
 * Here every declared and derived dimension is evaluated and kept in
 * [1, 2^31), every parameter within the per-tensor element limit, and every
 * slice inside its vector: what the symbolic check could not decide. */
#include "sema.h"
#include <stdio.h>
#include <string.h>

int64_t sema_dim(const Poly *p, const int64_t *vals) {
    int64_t v = 0;
    if (poly_eval(p, vals, &v) != POLY_OK)
        return -1;
    return v;
}

static const char *bindings(Arena *a, CellInfo *c, const int64_t *vals) {
    char buf[256] = "";
    for (int i = 0; i < c->nsizes; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, sizeof buf - len, "%s%s=%lld", i ? ", " : "", c->sizes[i]->name, (long long)vals[i]);
    }
    return arena_strdup(a, buf);
}

/* Check one symbol's dimensions; report at the use. */
static bool check_sym(Sema *s, CellInfo *c, Sym *sym, const int64_t *vals, Loc at, const char *what) {
    if (sym->shape.rank < 1)
        return true;
    int64_t elems = 1;
    for (int d = 0; d < sym->shape.rank; d++) {
        int64_t v = sema_dim(sym->shape.dim[d], vals);
        if (v < 1 || v > SIZE_LIMIT) {
            diag_error(s->diags, at, "%s: %s '%s' of cell '%s' would be %s with %s; sizes must be in [1, 2^31)",
                       what, sym->kind == SYM_LOCAL ? "value" : sym->kind == SYM_PARAM ? "parameter" : sym->kind == SYM_STATE ? "state" : "input",
                       sym->name, c->name, sema_shape_str(s->arena, c, sym->shape), bindings(s->arena, c, vals));
            diag_note(s->diags, sym->loc, "'%s' is declared here", sym->name);
            return false;
        }
        elems *= v;
    }
    if (elems > TENSOR_MAX_ELEMS) {
        diag_error(s->diags, at, "%s: parameter '%s' of cell '%s' would have %lld elements with %s; the limit is %d per tensor",
                   what, sym->name, c->name, (long long)elems, bindings(s->arena, c, vals), TENSOR_MAX_ELEMS);
        return false;
    }
    return true;
}

static bool check_slices(Sema *s, CellInfo *c, const int64_t *vals, Loc at, const char *what) {
    for (int i = 0; i < c->nslices; i++) {
        Expr *e = c->slices[i];
        int64_t lo = sema_dim(e->lo_size, vals), hi = sema_dim(e->hi_size, vals);
        int64_t len = sema_dim(e->lhs->shape->dim[0], vals);
        if (lo < 0 || hi <= lo || hi > len) {
            char base[64];
            loc_text(e->lhs->loc, base, sizeof base);
            diag_error(s->diags, at, "%s: slice [%lld:%lld] of '%s' (size %lld) in cell '%s' is out of range with %s",
                       what, (long long)lo, (long long)hi, base, (long long)len, c->name, bindings(s->arena, c, vals));
            diag_note(s->diags, e->loc, "the slice is here");
            return false;
        }
    }
    return true;
}

int64_t *sema_instantiate(Sema *s, CellInfo *c, const int64_t *given, int64_t in, Loc at, const char *what) {
    int64_t *vals = arena_alloc(s->arena, sizeof(int64_t) * (size_t)(c->nsizes + 1));
    memcpy(vals, given, sizeof(int64_t) * (size_t)c->nsizes);
    if (c->inferred >= 0)
        vals[c->inferred] = in;
    int64_t want = sema_dim(c->input->shape.dim[0], vals);
    if (want != in) {
        diag_error(s->diags, at, "%s: cell '%s' reads an input of size %s = %lld with %s, but its argument has width %lld",
                   what, c->name, sema_shape_str(s->arena, c, c->input->shape), (long long)want,
                   bindings(s->arena, c, vals), (long long)in);
        return NULL;
    }
    bool ok = check_sym(s, c, c->input, vals, at, what);
    for (int i = 0; ok && i < c->nstates; i++)
        ok = check_sym(s, c, c->states[i], vals, at, what);
    for (int i = 0; ok && i < c->nparams; i++)
        ok = check_sym(s, c, c->params[i], vals, at, what);
    for (int i = 0; ok && i < c->nsteps; i++) {
        Stmt *st = c->steps[i];
        Sym *sym = strmap_get(&c->scope, st->name);
        if (!st->primed && sym)
            ok = check_sym(s, c, sym, vals, at, what);
    }
    if (ok)
        ok = check_slices(s, c, vals, at, what);
    int64_t floats = 0; /* every vector of one step: the states and the locals */
    for (int i = 0; ok && i < c->nstates; i++)
        floats += sema_dim(c->states[i]->shape.dim[0], vals);
    for (int i = 0; ok && i < c->nsteps; i++) {
        Sym *sym = strmap_get(&c->scope, c->steps[i]->name);
        if (!c->steps[i]->primed && sym && sym->shape.rank == 1)
            floats += sema_dim(sym->shape.dim[0], vals);
    }
    if (ok && floats > STEP_MAX_FLOATS) {
        diag_error(s->diags, at, "%s: one step of cell '%s' holds %lld values per sample with %s; the limit is 2^28",
                   what, c->name, (long long)floats, bindings(s->arena, c, vals));
        ok = false;
    }
    return ok ? vals : NULL;
}
