/* emit_c.c - a model's program: what it computes, said through the code
 * generator (cg.h), and, for C, the file around it (the parameter table,
 * the rt_model descriptor and main()).
 * One function per layer and direction, three entry points that run them in
 * order (forward for inference, forward_train that keeps a tape, backward
 * that walks the layers in reverse), and two size functions. A cell layer is
 * a loop over time; its body is the step over the whole batch (emit_step.c).
 * In training every step's states and the forward values its backward step
 * reads are kept in the tape; without a tape the states alternate between
 * two buffers. The same IR gives the same program. */
#include "emit_c.h"
#include "emit_internal.h"
#include <stdlib.h>
#include <string.h>

/* ---- layers without time loops ---------------------------------------- */

/* Whether layer l's function takes the sequence lengths: cells and last. */
static bool takes_lengths(const Emit *e, const IrLayer *l) {
    return e->lengths && (l->kind == IRL_CELL || l->kind == IRL_LAST);
}

/* The step `last` takes of sequence b: its last valid one. */
static CgV last_step(Emit *e, CgV len, CgV b, CgV T) {
    return e->lengths ? cg_call(e->g, CGT_I64, "rt_last_step", 3, len, b, T) : cg_sub(e->g, T, I(e, 1));
}

/* Zero a sequence value's padding steps (programs with lengths). */
static void mask_value(Emit *e, int v, CgV buf, CgV len, CgV B, CgV T) {
    if (e->lengths && e->p->values[v].seq)
        cg_call(e->g, CGT_VOID, "rt_mask_seq", 5, buf, len, B, T, I(e, e->p->values[v].size));
}

static CgV rows_of(Emit *e, const IrValue *v, CgV B, CgV T) { return v->seq ? mul(e, B, T) : B; }

static void emit_plain_forward(Emit *e, int index) {
    const IrLayer *l = &e->p->layers[index];
    const IrValue *in = &e->p->values[l->in], *o = &e->p->values[l->out];
    const CgBackend *b = e->b;
    Cg *g = e->g;
    b->comment(g, l->label);
    CgParam ps[] = {{CGT_PPF32, "P"}, {in->token ? CGT_PI32 : CGT_PF32, "in"}, {CGT_PF32, "out"}, {CGT_I64, "B"},
                    {CGT_I64, "T"}, {CGT_PI32, "len"}};
    CgV v[6];
    b->func_begin(g, arena_printf(e->a, "layer%d", index), CGT_VOID, takes_lengths(e, l) ? 6 : 5, ps, v);
    CgV P = v[0], x = v[1], out = v[2], R = let(e, CGT_I64, "rows", rows_of(e, in, v[3], v[4]));
    CgV W = l->nparams ? b->load(g, CGT_PPF32, P, I(e, l->params[0])) : NULL;
    switch (l->kind) {
    case IRL_EMBED: {
        CgV r = b->for_begin(g, "r", R);
        CgV row = mul(e, b->to_i64(g, b->load(g, CGT_PI32, x, r)), I(e, o->size));
        cg_call(g, CGT_VOID, "memcpy", 3, at(e, out, mul(e, r, I(e, o->size))), at(e, W, row), bytes(e, I(e, o->size)));
        b->for_end(g);
        break;
    }
    case IRL_LINEAR: {
        cg_call(g, CGT_VOID, "rt_gemm_nt", 10, R, I(e, o->size), I(e, in->size), x, I(e, in->size), W, I(e, in->size), out,
                I(e, o->size), I(e, 0));
        View bias = view_of(b->load(g, CGT_PPF32, P, I(e, l->params[1])), NULL, 0);
        emit_rows(g, R, out, I(e, o->size), I(e, 0), &bias, o->size, true);
        break;
    }
    case IRL_ACT: {
        View vin = view_of(x, I(e, in->size), 0);
        CgV r = b->for_begin(g, "r", R);
        CgV i = b->for_begin(g, "i", I(e, in->size));
        b->store(g, out, add(e, mul(e, r, I(e, in->size)), i), cg_elem(g, l->act, view_get(g, &vin, r, i), NULL), false);
        b->for_end(g);
        b->for_end(g);
        break;
    }
    case IRL_DROPOUT: /* the identity; forward_train applies the mask */
        cg_call(g, CGT_VOID, "memcpy", 3, out, x, bytes(e, mul(e, R, I(e, in->size))));
        break;
    case IRL_LAST: {
        CgV bb = b->for_begin(g, "b", v[3]);
        CgV src = mul(e, add(e, mul(e, bb, v[4]), last_step(e, v[5], bb, v[4])), I(e, in->size));
        cg_call(g, CGT_VOID, "memcpy", 3, at(e, out, mul(e, bb, I(e, o->size))), at(e, x, src), bytes(e, I(e, in->size)));
        b->for_end(g);
        break;
    }
    case IRL_CELL:
        unreachable();
    }
    b->func_end(g, NULL);
}

/* An activation's backward: its derived one-node step over every row. */
static void emit_act_backward(Emit *e, const IrLayer *l, CgV d_in, CgV vin, CgV vout, CgV d_out, CgV ws, CgV R) {
    const IrAdjoint *adj = l->adj;
    int n = e->p->values[l->in].size;
    if (adj->d_input < 0)
        return;
    View fwd[2] = {view_of(vin, I(e, n), 0), view_of(vout, I(e, n), 0)};
    bool *live = backward_live(e, adj, true);
    CgV *buf = arena_alloc(e->a, sizeof(CgV) * (size_t)(adj->bwd->nnodes + 1));
    for (int k = 0; k < adj->bwd->nnodes; k++)
        if (live[k] && step_has_buffer(adj->bwd, k))
            buf[k] = at(e, ws, mul(e, R, I(e, (int64_t)n * k)));
    StepEnv env = {.rows = R, .fwd = fwd, .input = fwd[0], .buffers = buf};
    env.adj_out = view_of(d_out, I(e, n), 0);
    View *views = arena_alloc(e->a, sizeof(View) * (size_t)(adj->bwd->nnodes + 1));
    emit_step_nodes(e->g, adj->bwd, live, views, &env);
    emit_rows(e->g, R, d_in, I(e, n), I(e, 0), &views[adj->d_input], n, true);
}

/* ---- the program's entry points ---------------------------------------- */

static CgV value_size(Emit *e, int v, CgV B, CgV T) {
    const IrValue *val = &e->p->values[v];
    return mul(e, rows_of(e, val, B, T), I(e, val->size));
}

static int64_t larger(int64_t a, size_t b) { return (int64_t)b > a ? (int64_t)b : a; }

/* The most scratch any one layer needs (the largest of each term: cells
 * in both directions; activations' backward steps run over every row). */
static IrSize max_scratch(Emit *e, bool forward_only) {
    IrSize most = {0, 0, 0, 0};
    for (int i = 0; i < e->p->nlayers; i++) {
        const IrLayer *l = &e->p->layers[i];
        size_t c[4] = {0, 0, 0, 0};
        for (int backward = 0; backward <= !forward_only && l->kind == IRL_CELL; backward++) {
            cell_scratch(e, l, backward, c);
            most = (IrSize){larger(most.one, c[0]), larger(most.b, c[1]), larger(most.bt, c[2]), larger(most.bw, c[3])};
        }
        if (l->kind == IRL_ACT && !forward_only)
            most.bt = larger(most.bt, (size_t)l->adj->bwd->nnodes * (size_t)e->p->values[l->in].size);
    }
    return most;
}

/* s += count times value v's floats */
static void add_value(IrSize *s, const IrValue *v, int64_t count) {
    if (v->seq)
        s->bt += count * v->size;
    else
        s->b += count * v->size;
}

ProgramSizes emit_sizes_of(Arena *a, const IrProgram *p, bool packed) {
    Emit e = {NULL, NULL, a, p, packed, false};
    ProgramSizes z = {max_scratch(&e, false), {0, 0, 0, 0}, max_scratch(&e, true)};
    for (int k = 0; k < p->nvalues; k++)
        if (k != p->input && k != p->output) {
            add_value(&z.workspace, &p->values[k], 2); /* the value and its gradient */
            add_value(&z.tape, &p->values[k], 1);
            add_value(&z.forward, &p->values[k], 1);
        }
    for (int i = 0; i < p->nlayers; i++) {
        const IrLayer *l = &p->layers[i];
        if (l->kind == IRL_CELL) { /* the states of steps 0..T, the taped nodes of 0..T-1 */
            int64_t states = 0;
            for (int s = 0; s < l->step->nstates; s++)
                states += l->step->state_size[s];
            z.tape.b += states;
            z.tape.bt += l->adj->tape_floats;
        }
        if (l->kind == IRL_DROPOUT) /* its mask */
            add_value(&z.tape, &p->values[l->out], 1);
    }
    return z;
}

/* A size's value in generated code. */
static CgV size_code(Emit *e, IrSize s, CgV B, CgV T) {
    CgV n = add(e, add(e, I(e, s.one), mul(e, B, I(e, s.b))), mul(e, mul(e, B, T), I(e, s.bt)));
    return s.bw ? add(e, n, mul(e, mul(e, B, window_steps(e, B, T)), I(e, s.bw))) : n;
}

/* size_t workspace(int64_t B, int64_t T) and tape_size(B, T). */
static void emit_sizes(Emit *e) {
    ProgramSizes z = emit_sizes_of(e->a, e->p, e->pack);
    CgParam ps[] = {{CGT_I64, "B"}, {CGT_I64, "T"}};
    CgV v[2];
    e->b->func_begin(e->g, "workspace", CGT_SIZE, 2, ps, v);
    e->b->func_end(e->g, size_code(e, z.workspace, v[0], v[1]));
    e->b->func_begin(e->g, "tape_size", CGT_SIZE, 2, ps, v);
    e->b->func_end(e->g, size_code(e, z.tape, v[0], v[1]));
}

/* Value pointers: the input, the output, and the rest from *from on. */
static CgV *declare_values(Emit *e, CgV x, CgV out, CgV from, CgV B, CgV T, CgV *end) {
    const IrProgram *p = e->p;
    CgV *vals = arena_alloc(e->a, sizeof(CgV) * (size_t)(p->nvalues + 1)), off = I(e, 0);
    for (int v = 0; v < p->nvalues; v++) {
        if (v == p->input) {
            vals[v] = let(e, p->values[v].token ? CGT_PI32 : CGT_PF32, name(e, "v%d", v),
                          e->b->cast(e->g, p->values[v].token ? CGT_PI32 : CGT_PF32, x));
        } else if (v == p->output) {
            vals[v] = out;
        } else {
            vals[v] = let(e, CGT_PF32, name(e, "v%d", v), at(e, from, off));
            off = add(e, off, value_size(e, v, B, T));
        }
    }
    *end = off;
    return vals;
}

/* Per layer with a tape region: its pointer, in layer order. */
static CgV *declare_layer_tapes(Emit *e, CgV tape, CgV off, CgV B, CgV T) {
    CgV *t = arena_alloc(e->a, sizeof(CgV) * (size_t)(e->p->nlayers + 1));
    for (int i = 0; i < e->p->nlayers; i++) {
        const IrLayer *l = &e->p->layers[i];
        if (l->kind != IRL_CELL && l->kind != IRL_DROPOUT)
            continue;
        t[i] = let(e, CGT_PF32, name(e, "tape%d", i), at(e, tape, off));
        off = add(e, off, l->kind == IRL_CELL ? cell_tape_size(e, l, B, T) : value_size(e, l->out, B, T));
    }
    return t;
}

static int carry_offset(const IrProgram *p, int index) {
    int n = 0;
    for (int i = 0; i < index; i++)
        if (p->layers[i].kind == IRL_CELL)
            for (int k = 0; k < p->layers[i].step->nstates; k++)
                n += p->layers[i].step->state_size[k];
    return n;
}

static void call_layer(Emit *e, int i, CgV P, CgV *vals, CgV len, CgV B, CgV T, CgV ws, CgV tape, CgV carry) {
    const IrLayer *l = &e->p->layers[i];
    const char *fn = arena_printf(e->a, "layer%d", i);
    bool lengths = takes_lengths(e, l);
    if (l->kind == IRL_CELL && lengths)
        cg_call(e->g, CGT_VOID, fn, 9, P, vals[l->in], vals[l->out], B, T, ws, tape, carry, len);
    else if (l->kind == IRL_CELL)
        cg_call(e->g, CGT_VOID, fn, 8, P, vals[l->in], vals[l->out], B, T, ws, tape, carry);
    else if (lengths)
        cg_call(e->g, CGT_VOID, fn, 6, P, vals[l->in], vals[l->out], B, T, len);
    else
        cg_call(e->g, CGT_VOID, fn, 5, P, vals[l->in], vals[l->out], B, T);
    mask_value(e, l->out, vals[l->out], len, B, T);
}

/* An entry point's parameters: ps with "len" (the third) left out unless
 * the program takes lengths; v receives them with NULL for len. */
static void entry_begin(Emit *e, const char *fn, CgParam *ps, int n, CgV *v) {
    CgParam *kept = arena_alloc(e->a, sizeof(CgParam) * (size_t)n); /* the backend keeps it */
    CgV got[8];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (i != 2 || e->lengths)
            kept[k++] = ps[i];
    e->b->func_begin(e->g, fn, CGT_VOID, k, kept, got);
    for (int i = 0, j = 0; i < n; i++)
        v[i] = i != 2 || e->lengths ? got[j++] : NULL;
}

static void copy_input_out(Emit *e, CgV x, CgV out, CgV B, CgV T) {
    if (e->p->output == e->p->input)
        cg_call(e->g, CGT_VOID, "memcpy", 3, out, x, bytes(e, value_size(e, e->p->input, B, T)));
}

/* Where cell layer i's carried states lie in state (NULL: none). */
static CgV layer_carry(Emit *e, CgV state, CgV B, int i) {
    return e->b->select(e->g, CGT_PF32, e->b->not_null(e->g, state), at(e, state, mul(e, B, I(e, carry_offset(e->p, i)))),
                        state);
}

static void emit_forward(Emit *e) {
    CgParam ps[] = {{CGT_PPF32, "P"}, {CGT_PVOID, "x"}, {CGT_PI32, "len"}, {CGT_I64, "B"},  {CGT_I64, "T"},
                    {CGT_PF32, "out"}, {CGT_PF32, "ws"}, {CGT_PF32, "state"}};
    CgV v[8], end;
    entry_begin(e, "forward", ps, 8, v);
    CgV B = v[3], T = v[4], len = v[2];
    CgV *vals = declare_values(e, v[1], v[5], v[6], B, T, &end);
    CgV ws = let(e, CGT_PF32, "scratch", at(e, v[6], end));
    CgV null = e->b->cast(e->g, CGT_PF32, I(e, 0));
    for (int i = 0; i < e->p->nlayers; i++)
        call_layer(e, i, v[0], vals, len, B, T, ws, null,
                   e->p->layers[i].kind == IRL_CELL ? layer_carry(e, v[7], B, i) : NULL);
    copy_input_out(e, v[1], v[5], B, T);
    e->b->func_end(e->g, NULL);
}

static void emit_forward_train(Emit *e) {
    const CgBackend *b = e->b;
    Cg *g = e->g;
    CgParam ps[] = {{CGT_PPF32, "P"}, {CGT_PVOID, "x"}, {CGT_PI32, "len"}, {CGT_I64, "B"}, {CGT_I64, "T"},
                    {CGT_PF32, "out"}, {CGT_PF32, "ws"}, {CGT_PCTX, "ctx"}};
    CgV v[8], end;
    entry_begin(e, "forward_train", ps, 8, v);
    CgV B = v[3], T = v[4], ctx = v[7], len = v[2];
    CgV tape = let(e, CGT_PF32, "tape", b->field(g, ctx, "tape"));
    CgV state = let(e, CGT_PF32, "state", b->field(g, ctx, "state"));
    CgV *vals = declare_values(e, v[1], v[5], tape, B, T, &end);
    CgV *tapes = declare_layer_tapes(e, tape, end, B, T);
    for (int i = 0; i < e->p->nlayers; i++) {
        const IrLayer *l = &e->p->layers[i];
        if (l->kind == IRL_CELL) {
            call_layer(e, i, v[0], vals, len, B, T, v[6], tapes[i], layer_carry(e, state, B, i));
        } else if (l->kind == IRL_DROPOUT) {
            cg_call(g, CGT_VOID, "rt_dropout", 6, ctx, b->double_const(g, l->p), value_size(e, l->out, B, T), vals[l->in],
                    vals[l->out], tapes[i]);
        } else {
            call_layer(e, i, v[0], vals, len, B, T, NULL, NULL, NULL);
        }
    }
    copy_input_out(e, v[1], v[5], B, T);
    b->func_end(g, NULL);
}

static void emit_layer_backward(Emit *e, int i, CgV P, CgV G, CgV *vals, CgV *dv, CgV *tapes, CgV len, CgV B, CgV T,
                                CgV ws, CgV ctx) {
    const IrProgram *p = e->p;
    const IrLayer *l = &p->layers[i];
    const IrValue *in = &p->values[l->in], *o = &p->values[l->out];
    const CgBackend *b = e->b;
    Cg *g = e->g;
    bool want_input = l->in != p->input;
    CgV R = rows_of(e, in, B, T), d_out = dv[l->out], d_in = want_input ? dv[l->in] : NULL;
    bool masked = i + 1 < p->nlayers && p->layers[i + 1].out == l->out; /* by the other direction */
    if (l->out != p->output && !masked) /* padding steps get no gradient */
        mask_value(e, l->out, d_out, len, B, T);
    switch (l->kind) {
    case IRL_CELL: {
        const char *fn = arena_printf(e->a, "layer%d_backward", i);
        CgV dx = want_input ? d_in : b->cast(g, CGT_PF32, I(e, 0));
        if (e->lengths)
            cg_call(g, CGT_VOID, fn, 10, P, G, vals[l->in], dx, d_out, B, T, ws, tapes[i], len);
        else
            cg_call(g, CGT_VOID, fn, 9, P, G, vals[l->in], dx, d_out, B, T, ws, tapes[i]);
        break;
    }
    case IRL_EMBED: {
        CgV r = b->for_begin(g, "r", R);
        CgV row = at(e, b->load(g, CGT_PPF32, G, I(e, l->params[0])), mul(e, b->to_i64(g, b->load(g, CGT_PI32, vals[l->in], r)), I(e, o->size)));
        View src = view_of(at(e, d_out, mul(e, r, I(e, o->size))), NULL, 0);
        emit_rows(g, I(e, 1), row, I(e, 0), I(e, 0), &src, o->size, true);
        b->for_end(g);
        break;
    }
    case IRL_LINEAR: {
        CgV W = b->load(g, CGT_PPF32, P, I(e, l->params[0]));
        if (want_input)
            cg_call(g, CGT_VOID, "rt_gemm_nn", 10, R, I(e, in->size), I(e, o->size), d_out, I(e, o->size), W, I(e, in->size),
                    d_in, I(e, in->size), I(e, 1));
        cg_call(g, CGT_VOID, "rt_gemm_tn", 10, I(e, o->size), I(e, in->size), R, d_out, I(e, o->size), vals[l->in],
                I(e, in->size), b->load(g, CGT_PPF32, G, I(e, l->params[0])), I(e, in->size), I(e, 1));
        View dy = view_of(d_out, I(e, o->size), 0);
        emit_rows(g, R, b->load(g, CGT_PPF32, G, I(e, l->params[1])), I(e, 0), I(e, 0), &dy, o->size, true);
        break;
    }
    case IRL_ACT:
        if (want_input)
            emit_act_backward(e, l, d_in, vals[l->in], vals[l->out], d_out, ws, R);
        break;
    case IRL_DROPOUT:
        if (want_input) { /* the mask in training, else the identity */
            CgV n = value_size(e, l->in, B, T);
            CgV k = b->for_begin(g, "k", n);
            CgV dy = b->load(g, CGT_PF32, d_out, k);
            CgV masked = cg_elem(g, IR_MUL, dy, b->load(g, CGT_PF32, tapes[i], k));
            b->store(g, d_in, k, b->select(g, CGT_F32, b->field(g, ctx, "training"), masked, dy), true);
            b->for_end(g);
        }
        break;
    case IRL_LAST:
        if (want_input && e->lengths) { /* each sequence's own last step */
            CgV bb = b->for_begin(g, "seq", B);
            CgV row = add(e, mul(e, bb, T), last_step(e, len, bb, T));
            View dy = view_of(at(e, d_out, mul(e, bb, I(e, in->size))), NULL, 0);
            emit_rows(g, I(e, 1), at(e, d_in, mul(e, row, I(e, in->size))), I(e, 0), I(e, 0), &dy, in->size, true);
            b->for_end(g);
        } else if (want_input) {
            View dy = view_of(d_out, I(e, in->size), 0);
            emit_rows(g, B, d_in, mul(e, T, I(e, in->size)), mul(e, cg_sub(g, T, I(e, 1)), I(e, in->size)), &dy,
                      in->size, true);
        }
        break;
    }
}

/* The layers the loss depends on: walking back from the output value. A
 * layer nothing downstream reads gets no backward code (its gradient is
 * zero, and it may read the loss's own argument). */
static bool *needed_layers(Emit *e) {
    const IrProgram *p = e->p;
    bool *value = arena_alloc(e->a, sizeof(bool) * (size_t)(p->nvalues + 1));
    bool *layer = arena_alloc(e->a, sizeof(bool) * (size_t)(p->nlayers + 1));
    value[p->output] = true;
    for (int i = p->nlayers - 1; i >= 0; i--)
        if (value[p->layers[i].out] && p->layers[i].out != p->layers[i].in)
            layer[i] = value[p->layers[i].in] = true;
    return layer;
}

static void emit_backward(Emit *e) {
    const IrProgram *p = e->p;
    const CgBackend *b = e->b;
    Cg *g = e->g;
    CgParam ps[] = {{CGT_PPF32, "P"}, {CGT_PPF32, "G"}, {CGT_PVOID, "x"}, {CGT_PI32, "len"}, {CGT_I64, "B"},
                    {CGT_I64, "T"},   {CGT_PCF32, "d_out"}, {CGT_PF32, "ws"}, {CGT_PCTX, "ctx"}};
    CgV v[9], end;
    b->func_begin(g, "backward", CGT_VOID, 9, ps, v);
    CgV len = v[3], B = v[4], T = v[5], ws = v[7];
    CgV tape = let(e, CGT_PF32, "tape", b->field(g, v[8], "tape"));
    CgV *vals = declare_values(e, v[2], b->cast(g, CGT_PF32, I(e, 0)), tape, B, T, &end);
    CgV *tapes = declare_layer_tapes(e, tape, end, B, T);
    CgV *dv = arena_alloc(e->a, sizeof(CgV) * (size_t)(p->nvalues + 1)), off = I(e, 0);
    for (int k = 0; k < p->nvalues; k++) {
        if (k == p->input)
            continue;
        if (k == p->output) {
            dv[k] = v[6];
            continue;
        }
        dv[k] = let(e, CGT_PF32, name(e, "d%d", k), at(e, ws, off));
        cg_call(g, CGT_VOID, "memset", 3, dv[k], I(e, 0), bytes(e, value_size(e, k, B, T)));
        off = add(e, off, value_size(e, k, B, T));
    }
    CgV scratch = let(e, CGT_PF32, "scratch", at(e, ws, off));
    bool *needed = needed_layers(e);
    for (int i = p->nlayers - 1; i >= 0; i--)
        if (needed[i])
            emit_layer_backward(e, i, v[0], v[1], vals, dv, tapes, len, B, T, scratch, v[8]);
    b->func_end(g, NULL);
}

/* ---- the C file around it ------------------------------------------------ */

static void emit_params(FILE *out, const IrProgram *p) {
    static const char *init[] = {"RT_INIT_UNIFORM", "RT_INIT_ZEROS", "RT_INIT_ONES", "RT_INIT_UNIFORM",
                                 "RT_INIT_NORMAL"};
    fprintf(out, "static const rt_param_info params[%d] = {\n", p->nparams);
    for (int i = 0; i < p->nparams; i++) {
        const IrParam *pi = &p->params[i];
        fprintf(out, "    {\"%s\", %d, {%lld, %lld}, %s, %.17g, %.17g},\n", pi->name, pi->rank,
                (long long)pi->dims[0], (long long)pi->dims[1], init[pi->init.kind], pi->init.a, pi->init.b);
    }
    fputs("};\n\n", out);
}

static void emit_type(FILE *out, const char *field, bool seq, bool token, int64_t size) {
    fprintf(out, "    .%s = {.seq = %d, .token = %d, .size = %lld},\n", field, seq, token, (long long)size);
}

static void emit_descriptor(FILE *out, const IrProgram *p) {
    const TrainConfig *t = &p->train;
    const IrValue *in = &p->values[p->input], *o = &p->values[p->output];
    int ncarry = ir_carry_sizes(p, NULL), *carry = calloc((size_t)ncarry + 1, sizeof(int));
    ir_carry_sizes(p, carry);
    fputs("static const int carry_sizes[] = {", out);
    for (int i = 0; i < ncarry; i++)
        fprintf(out, "%s%d", i ? ", " : "", carry[i]);
    fputs(ncarry ? "};\n\n" : "0};\n\n", out);
    free(carry);
    fputs("const rt_model rnn_model = {\n", out);
    fprintf(out, "    .name = \"%s\",\n    .params = params,\n    .nparams = %d,\n", p->name, p->nparams);
    emit_type(out, "input", in->seq, in->token, in->size);
    emit_type(out, "target", p->target.seq, p->target.token, p->target.size);
    emit_type(out, "output", o->seq, false, o->size);
    fprintf(out, "    .loss = %s,\n", p->loss == LOSS_CROSS_ENTROPY ? "RT_LOSS_CROSS_ENTROPY" : "RT_LOSS_MSE");
    fprintf(out, "    .train = {.optimizer = %s, .lr = %.17g, .momentum = %.17g, .beta1 = %.17g, .beta2 = %.17g,\n"
                 "              .eps = %.17g, .clip = %.17g, .valid = %.17g, .batch = %lld, .bptt = %lld,\n"
                 "              .epochs = %lld, .seed = %lld},\n",
            t->optimizer == OPT_ADAM ? "RT_OPT_ADAM" : "RT_OPT_SGD", t->lr, t->momentum, t->beta1, t->beta2, t->eps,
            t->clip, t->valid, (long long)t->batch, (long long)t->bptt, (long long)t->epochs, (long long)t->seed);
    fprintf(out, "    .state_floats = %d,\n    .bidirectional = %d,\n", ir_state_floats(p), ir_is_bidirectional(p));
    fputs("    .workspace = workspace,\n    .tape_size = tape_size,\n    .forward = forward,\n"
          "    .forward_train = forward_train,\n    .backward = backward,\n", out);
    fprintf(out, "    .carry_sizes = carry_sizes,\n    .ncarry = %d,\n};\n\n", ncarry);
    fputs("int main(int argc, char **argv)\n{\n    return rt_main(&rnn_model, argc, argv);\n}\n", out);
}

/* Everything the program computes, through any backend. */
void emit_program(Cg *g, const IrProgram *p) {
    Emit e = {g, g->b, g->a, p, true, true};
    for (int i = 0; i < p->nlayers; i++) {
        if (p->layers[i].kind == IRL_CELL) {
            emit_cell_forward(&e, i);
            emit_cell_backward(&e, i);
        } else {
            emit_plain_forward(&e, i);
        }
    }
    emit_sizes(&e);
    emit_forward(&e);
    emit_forward_train(&e);
    emit_backward(&e);
}

/* Only the forward functions: the layers, forward and forward_train. */
void emit_forward_program(Cg *g, const IrProgram *p) {
    Emit e = {g, g->b, g->a, p, false, false};
    for (int i = 0; i < p->nlayers; i++) {
        if (p->layers[i].kind == IRL_CELL)
            emit_cell_forward(&e, i);
        else
            emit_plain_forward(&e, i);
    }
    emit_forward(&e);
    emit_forward_train(&e);
}

void emitc_program(FILE *out, Arena *a, const IrProgram *p) {
    fprintf(out, "/* %s - generated by rnnc %s from model '%s'. Do not edit. */\n", p->name, RNNC_VERSION, p->name);
    fputs("#include \"rnnrt.h\"\n#include <string.h>\n\n", out);
    emit_params(out, p);
    emit_program(cg_c_new(a, out), p);
    emit_descriptor(out, p);
}
