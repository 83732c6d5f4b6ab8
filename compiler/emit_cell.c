/* emit_cell.c - a cell layer's forward and backward functions.
 * The forward function runs in two phases over the step's nodes, as the
 * passes placed them (IrPhase): nodes that do not depend on the state run
 * a window of steps at a time (about IR_WINDOW_ROWS rows: window_len), at
 * the top of the time loop when it
 * reaches a window's first step, over its steps x B rows (the input
 * projections become one matrix product per window), the rest inside the
 * loop over B rows. The backward function runs its loop newest step
 * first, then the nodes the
 * loop does not need over all steps at once (the parameter gradients
 * become one product each, the input's gradient another).
 * Inside a layer everything is time-major, in the layer's own order of
 * steps (reversed for a reverse layer): the tape keeps states for steps
 * 0..T and taped nodes for 0..T-1 as [step][sample][size]; a node computed
 * for all steps (or a window's) has the same layout, and so does the input's
 * time-major copy. Without a tape the states alternate between two buffers.
 * Scratch (ws) holds, in this order: the states' buffers, the loop's
 * scratch (B floats per row of the memory plan), packed weights, the
 * all-steps buffers, the window buffers and the time-major input:
 * c0 + B c1 + B T c2 + B W c3 floats, W = window_steps(B, T) (the backward
 * copies its input for all T steps). */
#include "emit_internal.h"
#include <string.h>

enum { PACK_NR = 32, PACK_SLACK = 16 }; /* RT_NR, RT_PACK_SLACK in runtime/rnnrt.h */

static int state_floats(const IrStep *s) {
    int n = 0;
    for (int i = 0; i < s->nstates; i++)
        n += s->state_size[i];
    return n;
}

CgV cell_tape_size(Emit *e, const IrLayer *l, CgV B, CgV T) {
    int states = state_floats(l->step), nodes = l->adj->tape_floats - states;
    return mul(e, B, add(e, mul(e, add(e, T, I(e, 1)), I(e, states)), mul(e, T, I(e, nodes))));
}

bool *backward_live(Emit *e, const IrAdjoint *adj, bool want_input) {
    int *roots = arena_alloc(e->a, sizeof(int) * (size_t)(1 + adj->bwd->nstates + 2 * adj->npgrads));
    return ir_reaches(e->a, adj->bwd, roots, grad_roots(adj, want_input, roots));
}

/* ---- names ------------------------------------------------------------- */

/* The source's name of node k (c' as c_next), or NULL. */
static const char *source_name(Emit *e, const IrStep *s, int k) {
    const char *src = s->nodes[k].name;
    if (!src)
        return NULL;
    size_t n = strlen(src);
    bool primed = n && src[n - 1] == '\'';
    return arena_printf(e->a, "%.*s%s", (int)(primed ? n - 1 : n), src, primed ? "_next" : "");
}

/* A variable for node k: NAME_k (PREFIX_NAME_k with a prefix) after the
 * value's name in the source, else PREFIX + k (t + k without one). The
 * node's number keeps the name apart from every other in the function. */
static const char *node_var(Emit *e, const char *prefix, const IrStep *s, int k) {
    const char *src = source_name(e, s, k);
    if (!src)
        return arena_printf(e->a, "%s%d", *prefix ? prefix : "t", k);
    return arena_printf(e->a, "%s%s%s_%d", prefix, *prefix ? "_" : "", src, k);
}

/* State i's name in the source (from its leaf), or "sI". */
static const char *state_name(Emit *e, const IrStep *s, int i) {
    for (int k = 0; k < s->nnodes; k++)
        if (s->nodes[k].op == IR_STATE && s->nodes[k].index == i && s->nodes[k].name)
            return s->nodes[k].name;
    return arena_printf(e->a, "s%d", i);
}

/* "[B, n]" or "[STEPS, B, n]": a buffer's shape, for its comment. */
static const char *shape(Emit *e, const char *steps, int n) {
    return steps ? arena_printf(e->a, "[%s, B, %d]", steps, n) : arena_printf(e->a, "[B, %d]", n);
}

/* ---- what a layer's scratch holds ---------------------------------------- */

static bool in_all_steps(const IrStep *s, int k) {
    return step_has_buffer(s, k) && (s->nodes[k].phase != IRP_LOOP || s->nodes[k].all_steps);
}

/* A forward's nodes before the loop are computed a window of steps at a
 * time, just before the loop reaches them: their buffers (and the input's
 * time-major copy) hold one window, not the whole sequence, and stay in
 * cache between the two. */
static bool in_window(const IrStep *s, int k, bool backward) {
    return !backward && step_has_buffer(s, k) && s->nodes[k].phase == IRP_BEFORE && !s->nodes[k].all_steps;
}

static bool is_product(const IrStep *s, int k) {
    IrKind kind = ir_ops[s->nodes[k].op].kind;
    return kind == IRK_MATVEC || kind == IRK_MATVEC_T;
}

/* Products whose weights are packed once per call: those of the loop,
 * those of a forward's windows, and every product of stacked weights. */
static bool packs(const Emit *e, const IrStep *s, const bool *live, int k, bool backward) {
    return e->pack && live[k] && is_product(s, k) &&
           (s->nodes[k].phase == IRP_LOOP || in_window(s, k, backward) || s->nodes[s->nodes[k].args[0]].op == IR_CONCAT);
}

static int64_t product_k(const IrStep *s, int k) {
    const IrNode *w = &s->nodes[s->nodes[k].args[0]];
    return s->nodes[k].op == IR_MATVEC_T ? w->size : w->cols;
}

static int64_t packed_floats(const IrStep *s, int k) {
    return ((int64_t)s->nodes[k].size + PACK_NR - 1) / PACK_NR * PACK_NR * product_k(s, k) + PACK_SLACK;
}

/* Per live node of the loop scratch: its offset in floats per row. */
static int loop_slots(Emit *e, const IrStep *s, const bool *live, int **slot) {
    *slot = arena_alloc(e->a, sizeof(int) * (size_t)(s->nnodes + 1));
    int total = 0;
    for (int k = 0; k < s->nnodes; k++)
        if (live[k] && ir_in_scratch(s, k)) {
            (*slot)[k] = s->planned ? s->nodes[k].slot : total;
            total = s->planned ? s->scratch : total + s->nodes[k].size;
        }
    return s->planned ? s->scratch : total;
}

typedef struct Layout {
    const IrStep *s;
    const bool *live;
    int *slot;
    size_t loop, packed, all_steps;   /* floats: per row, per call, per row and step */
    size_t window;                    /* floats per row and step of a window */
    bool input_copy;                  /* a time-major copy of the input */
    bool backward;
} Layout;

static Layout layout_of(Emit *e, const IrLayer *l, bool backward) {
    const IrStep *s = backward ? l->adj->bwd : l->step;
    Layout lo = {s, backward ? backward_live(e, l->adj, true) : ir_live(e->a, s), NULL, 0, 0, 0, 0, false, backward};
    lo.loop = (size_t)loop_slots(e, s, lo.live, &lo.slot);
    for (int k = 0; k < s->nnodes; k++) {
        if (packs(e, s, lo.live, k, backward))
            lo.packed += (size_t)packed_floats(s, k);
        if (lo.live[k] && in_all_steps(s, k)) {
            *(in_window(s, k, backward) ? &lo.window : &lo.all_steps) += (size_t)s->nodes[k].size;
            lo.input_copy |= s->nodes[k].phase != IRP_LOOP;
        }
    }
    for (int i = 0; backward && i < l->adj->npgrads; i++)
        lo.input_copy |= l->adj->pgrads[i].after;
    if (lo.input_copy)
        *(backward ? &lo.all_steps : &lo.window) += (size_t)l->step->in_size;
    return lo;
}

void cell_scratch(Emit *e, const IrLayer *l, bool backward, size_t c[4]) {
    Layout lo = layout_of(e, l, backward);
    c[0] = lo.packed;
    c[1] = 2 * (size_t)state_floats(l->step) + lo.loop;
    c[2] = lo.all_steps;
    c[3] = lo.window;
}

/* ir_window_steps in generated code: the steps of a window, and at most T. */
CgV window_len(Emit *e, CgV B) {
    CgV w = e->b->int_op(e->g, '/', I(e, IR_WINDOW_ROWS), B);
    return min_of(e, max_of(e, w, I(e, 1)), I(e, IR_WINDOW));
}
CgV window_steps(Emit *e, CgV B, CgV T) { return min_of(e, T, window_len(e, B)); }

/* Hands out consecutive regions of ws. */
typedef struct Bump {
    Emit *e;
    CgV base, off;
} Bump;

static CgV take(Bump *m, CgV floats) {
    CgV p = at(m->e, m->base, m->off);
    m->off = add(m->e, m->off, floats);
    return p;
}

/* Per cell layer: where each state's steps and each taped node's steps
 * start in the tape (forward and backward agree on it). */
typedef struct TapeLayout {
    CgV *state, *node;
} TapeLayout;

static TapeLayout tape_layout(Emit *e, const IrLayer *l, CgV tape, CgV B, CgV T, CgV has_tape) {
    const IrStep *s = l->step;
    TapeLayout t = {arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nstates + 1)),
                    arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nnodes + 1))};
    CgV off = I(e, 0);
    for (int i = 0; i < s->nstates; i++) {
        t.state[i] = let_shaped(e, arena_printf(e->a, "tape_%s", state_name(e, s, i)),
                                e->b->select(e->g, CGT_PF32, has_tape, at(e, tape, off), tape),
                                shape(e, "T + 1", s->state_size[i]));
        off = add(e, off, mul(e, mul(e, add(e, T, I(e, 1)), B), I(e, s->state_size[i])));
    }
    for (int k = 0; k < s->nnodes; k++)
        if (l->adj->taped[k]) {
            t.node[k] = let_shaped(e, node_var(e, "tape", s, k), e->b->select(e->g, CGT_PF32, has_tape, at(e, tape, off), tape),
                                   shape(e, "T", s->nodes[k].size));
            off = add(e, off, mul(e, mul(e, T, B), I(e, s->nodes[k].size)));
        }
    return t;
}

static View *state_views(Emit *e, int n, CgV *ptrs, const int *sizes) {
    View *v = arena_alloc(e->a, sizeof(View) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        v[i] = view_of(ptrs[i], I(e, sizes[i]), 0);
    return v;
}

/* memcpy or memset B rows of a state from/to the carried states. */
static void carry_copy(Emit *e, CgV carry, CgV B, int at_floats, CgV st, int size, bool in) {
    CgV n = bytes(e, mul(e, B, I(e, size)));
    CgV c = at(e, carry, mul(e, B, I(e, at_floats)));
    cg_call(e->g, CGT_VOID, "memcpy", 3, in ? st : c, in ? c : st, n);
}

/* The time index of loop iteration tt. */
static CgV time_of(Emit *e, const IrLayer *l, CgV tt, CgV T) {
    return l->reverse ? cg_sub(e->g, cg_sub(e->g, T, I(e, 1)), tt) : tt;
}

/* xT[i][b] = in[b][t(t0 + i)] for i < n: the input, time-major in the
 * layer's order, from loop iteration t0 on. */
static void copy_input(Emit *e, const IrLayer *l, CgV xT, CgV in, CgV B, CgV T, CgV t0, CgV n) {
    const CgBackend *b = e->b;
    int w = l->step->in_size;
    CgV i = b->for_begin(e->g, "i", n);
    CgV t = time_of(e, l, add(e, t0, i), T);
    CgV s = b->for_begin(e->g, "b", B);
    cg_call(e->g, CGT_VOID, "memcpy", 3, at(e, xT, mul(e, add(e, mul(e, i, B), s), I(e, w))),
            at(e, in, mul(e, add(e, mul(e, s, T), t), I(e, w))), bytes(e, I(e, w)));
    b->for_end(e->g);
    b->for_end(e->g);
}

/* Pack each packed product's weights (or blocks of stacked weights). */
static CgV *pack_weights(Emit *e, const Layout *lo, Bump *m, CgV P, const int *params) {
    const IrStep *s = lo->s;
    CgV *packed = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nnodes + 1));
    for (int k = 0; k < s->nnodes; k++) {
        if (!packs(e, s, lo->live, k, lo->backward))
            continue;
        packed[k] = let(e, CGT_PF32, name(e, "wp%d", k), take(m, I(e, packed_floats(s, k))));
        const IrNode *w = &s->nodes[s->nodes[k].args[0]];
        bool t = s->nodes[k].op == IR_MATVEC_T;
        int64_t K = product_k(s, k), N = s->nodes[k].size, cols = w->cols;
        int parts = w->op == IR_CONCAT ? w->nargs : 1;
        for (int i = 0, lo_row = 0; i < parts; i++) {
            const IrNode *part = w->op == IR_CONCAT ? &s->nodes[w->args[i]] : w;
            CgV src = e->b->load(e->g, CGT_PPF32, P, I(e, params[part->index]));
            if (t) /* B(k, j) = W[k][j]: a block of rows k */
                cg_call(e->g, CGT_VOID, "rt_pack_part", 10, I(e, K), I(e, N), I(e, lo_row), I(e, part->size), I(e, 0),
                        I(e, N), src, I(e, cols), I(e, 1), packed[k]);
            else /* B(k, j) = W[j][k]: a block of columns j */
                cg_call(e->g, CGT_VOID, "rt_pack_part", 10, I(e, K), I(e, N), I(e, 0), I(e, K), I(e, lo_row),
                        I(e, part->size), src, I(e, 1), I(e, cols), packed[k]);
            lo_row += part->size;
        }
    }
    return packed;
}

/* The loop scratch's buffers, one per live node with a slot. */
static CgV *loop_buffers(Emit *e, const Layout *lo, Bump *m, CgV B, const char *prefix) {
    const IrStep *s = lo->s;
    CgV base = take(m, mul(e, B, I(e, (int64_t)lo->loop)));
    CgV *buf = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nnodes + 1));
    for (int k = 0; k < s->nnodes; k++)
        if (lo->live[k] && ir_in_scratch(s, k))
            buf[k] = let_shaped(e, node_var(e, prefix, s, k), at(e, base, mul(e, B, I(e, lo->slot[k]))),
                                shape(e, NULL, s->nodes[k].size));
    return buf;
}

/* Buffers of all steps: [T][B][size] per node computed before or after the
 * loop, or kept by the loop for after it; [W][B][size] for a window. */
static CgV *all_step_buffers(Emit *e, const Layout *lo, Bump *m, CgV B, CgV T, bool window) {
    const IrStep *s = lo->s;
    CgV *seq = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nnodes + 1));
    CgV steps = window ? window_steps(e, B, T) : T;
    for (int k = 0; k < s->nnodes; k++)
        if (lo->live[k] && in_all_steps(s, k) && in_window(s, k, lo->backward) == window)
            seq[k] = let_shaped(e, node_var(e, window ? "win" : "all", s, k),
                                take(m, mul(e, mul(e, steps, B), I(e, s->nodes[k].size))),
                                shape(e, window ? "W" : "T", s->nodes[k].size));
    return seq;
}

/* Where loop iteration tt's rows of node k, computed before the loop,
 * lie: in the tape (when there is one and it keeps them), in its window (of
 * W steps), or in its buffer of all steps. */
static CgV before_rows(Emit *e, const IrLayer *l, int k, const CgV *seq, const CgV *win, const TapeLayout *tl,
                       CgV has_tape, CgV B, CgV W, CgV tt) {
    CgV row = mul(e, B, I(e, l->step->nodes[k].size));
    if (!win[k])
        return at(e, seq[k], mul(e, tt, row));
    CgV w = at(e, win[k], mul(e, e->b->int_op(e->g, '%', tt, W), row));
    return l->adj->taped[k] ? e->b->select(e->g, CGT_PF32, has_tape, at(e, tl->node[k], mul(e, tt, row)), w) : w;
}

/* How many rows (sequences) a step at time t computes: with lengths, up to
 * the last one still running; else all B. */
static CgV active_rows(Emit *e, CgV len, CgV B, CgV t) {
    return e->lengths ? let(e, CGT_I64, "rows", cg_call(e->g, CGT_I64, "rt_active_rows", 3, len, B, t)) : B;
}

/* ---- forward ------------------------------------------------------------- */

void emit_cell_forward(Emit *e, int index) {
    const IrLayer *l = &e->p->layers[index];
    const IrStep *s = l->step;
    const CgBackend *b = e->b;
    Cg *g = e->g;
    Layout lo = layout_of(e, l, false);
    const bool *live = lo.live;
    int width = e->p->values[l->out].size;
    b->comment(g, arena_printf(e->a, "%s: cell %s over time%s; tape: %d floats per sample per step", l->label, s->cell,
                               l->reverse ? ", reversed" : "", l->adj->tape_floats));
    CgParam ps[] = {{CGT_PPF32, "P"}, {CGT_PF32, "in"}, {CGT_PF32, "out"}, {CGT_I64, "B"},
                    {CGT_I64, "T"},   {CGT_PF32, "ws"}, {CGT_PF32, "tape"}, {CGT_PF32, "carry"}, {CGT_PI32, "len"}};
    CgV v[9];
    b->func_begin(g, arena_printf(e->a, "layer%d", index), CGT_VOID, e->lengths ? 9 : 8, ps, v);
    CgV P = v[0], in = v[1], out = v[2], B = v[3], T = v[4], tape = v[6], carry = v[7];
    CgV has_tape = let(e, CGT_I64, "has_tape", b->select(g, CGT_I64, b->not_null(g, tape), I(e, 1), I(e, 0)));
    TapeLayout tl = tape_layout(e, l, tape, B, T, has_tape);
    Bump m = {e, v[5], I(e, 0)};
    CgV *st = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nstates + 1));
    for (int i = 0; i < s->nstates; i++) /* without a tape: two buffers per state */
        st[i] = let(e, CGT_PF32, name(e, "st%d", i),
                    b->select(g, CGT_PF32, has_tape, tl.state[i], take(&m, mul(e, B, I(e, 2 * s->state_size[i])))));
    CgV *buf = loop_buffers(e, &lo, &m, B, "");
    CgV *packed = pack_weights(e, &lo, &m, P, l->params);
    CgV *seq = all_step_buffers(e, &lo, &m, B, T, false);
    CgV *win = all_step_buffers(e, &lo, &m, B, T, true);
    CgV xT = lo.input_copy ? let(e, CGT_PF32, "xT", take(&m, mul(e, mul(e, window_steps(e, B, T), B), I(e, s->in_size)))) : NULL;
    CgV W = lo.input_copy || lo.window ? let(e, CGT_I64, "window", window_len(e, B)) : NULL;
    for (int k = 0; k < s->nnodes; k++) /* what the tape keeps of them, it keeps in place */
        if (seq[k] && l->adj->taped[k])
            seq[k] = let(e, CGT_PF32, name(e, "pre%d", k), b->select(g, CGT_PF32, has_tape, tl.node[k], seq[k]));
    for (int i = 0, a0 = 0; i < s->nstates; a0 += s->state_size[i], i++) {
        b->if_begin(g, b->not_null(g, carry));
        carry_copy(e, carry, B, a0, st[i], s->state_size[i], true);
        b->if_else(g);
        cg_call(g, CGT_VOID, "memset", 3, st[i], I(e, 0), bytes(e, mul(e, B, I(e, s->state_size[i]))));
        b->if_end(g);
    }
    View *views = arena_alloc(e->a, sizeof(View) * (size_t)(s->nnodes + 1));
    CgV tt = b->for_begin(g, "tt", T);
    if (lo.input_copy) { /* at the start of each window: its steps' nodes of before the loop */
        b->if_begin(g, b->int_op(g, '<', b->int_op(g, '%', tt, W), I(e, 1)));
        CgV n = let(e, CGT_I64, "steps", min_of(e, cg_sub(g, T, tt), W));
        copy_input(e, l, xT, in, B, T, tt, n);
        bool *before = arena_alloc(e->a, sizeof(bool) * (size_t)(s->nnodes + 1));
        CgV *rows = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nnodes + 1));
        for (int k = 0; k < s->nnodes; k++) {
            before[k] = live[k] && (s->nodes[k].phase == IRP_BEFORE ||
                                    (ir_ops[s->nodes[k].op].kind == IRK_LEAF && s->nodes[k].op != IR_STATE));
            if (before[k] && (seq[k] || win[k]))
                rows[k] = before_rows(e, l, k, seq, win, &tl, has_tape, B, W, tt);
        }
        StepEnv env = {.rows = mul(e, n, B), .P = P, .params = l->params, .buffers = rows, .packed = packed,
                       .input = view_of(xT, I(e, s->in_size), 0)};
        emit_step_nodes(g, s, before, views, &env);
        b->if_end(g);
    }
    CgV t = let(e, CGT_I64, "t", time_of(e, l, tt, T));
    CgV rows = active_rows(e, v[8], B, t);
    CgV x = let(e, CGT_PF32, "x", at(e, in, mul(e, t, I(e, s->in_size))));
    CgV cur = let(e, CGT_I64, "cur", b->select(g, CGT_I64, has_tape, tt, b->int_op(g, '%', tt, I(e, 2))));
    CgV next = let(e, CGT_I64, "next", b->select(g, CGT_I64, has_tape, add(e, tt, I(e, 1)),
                                                b->int_op(g, '%', add(e, tt, I(e, 1)), I(e, 2))));
    CgV *sv = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nstates + 1)), *sn = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nstates + 1));
    for (int i = 0; i < s->nstates; i++) {
        CgV row = mul(e, B, I(e, s->state_size[i]));
        sv[i] = let_shaped(e, arena_printf(e->a, "%s_cur", state_name(e, s, i)), at(e, st[i], mul(e, cur, row)),
                           shape(e, NULL, s->state_size[i]));
        sn[i] = let_shaped(e, arena_printf(e->a, "%s_next", state_name(e, s, i)), at(e, st[i], mul(e, next, row)),
                           shape(e, NULL, s->state_size[i]));
    }
    CgV *nodes = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nnodes + 1));
    bool *in_loop = arena_alloc(e->a, sizeof(bool) * (size_t)(s->nnodes + 1));
    for (int k = 0; k < s->nnodes; k++) {
        in_loop[k] = live[k] && !((seq[k] || win[k]) && s->nodes[k].phase == IRP_BEFORE);
        if (live[k] && !in_loop[k]) /* computed before the loop: this step's rows */
            views[k] = view_of(before_rows(e, l, k, seq, win, &tl, has_tape, B, W, tt), I(e, s->nodes[k].size), 0);
        else if (buf[k])
            nodes[k] = !l->adj->taped[k] ? buf[k]
                       : let(e, CGT_PF32, arena_printf(e->a, "%s_t", node_var(e, "", s, k)),
                             b->select(g, CGT_PF32, has_tape, at(e, tl.node[k], mul(e, tt, mul(e, B, I(e, s->nodes[k].size)))), buf[k]));
    }
    StepEnv env = {.rows = rows, .P = P, .params = l->params, .buffers = nodes, .packed = packed,
                   .input = view_of(x, mul(e, T, I(e, s->in_size)), 0),
                   .states = state_views(e, s->nstates, sv, s->state_size)};
    emit_step_nodes(g, s, in_loop, views, &env);
    emit_rows(g, rows, out, mul(e, T, I(e, width)), add(e, mul(e, t, I(e, width)), I(e, l->offset)), &views[s->output],
              s->nodes[s->output].size, false);
    for (int i = 0; i < s->nstates; i++)
        emit_rows(g, rows, sn[i], I(e, s->state_size[i]), I(e, 0), &views[s->state_next[i]], s->state_size[i], false);
    for (int i = 0; e->lengths && i < s->nstates; i++) /* past its length a sequence's states hold */
        cg_call(g, CGT_VOID, "rt_mask_hold", 6, sn[i], sv[i], v[8], B, t, I(e, s->state_size[i]));
    for (int k = 0; e->lengths && k < s->nnodes; k++) /* rows the step skipped: kept finite for backward */
        if (in_loop[k] && buf[k] && l->adj->taped[k])
            cg_call(g, CGT_VOID, "rt_zero_tail", 4, nodes[k], rows, B, I(e, s->nodes[k].size));
    b->for_end(g);
    CgV last = b->select(g, CGT_I64, has_tape, T, b->int_op(g, '%', T, I(e, 2)));
    for (int i = 0, a0 = 0; i < s->nstates; a0 += s->state_size[i], i++) {
        b->if_begin(g, b->not_null(g, carry));
        carry_copy(e, carry, B, a0, at(e, st[i], mul(e, last, mul(e, B, I(e, s->state_size[i])))), s->state_size[i], false);
        b->if_end(g);
    }
    b->func_end(g, NULL);
}

/* ---- backward ------------------------------------------------------------ */

static void emit_param_grads(Emit *e, const IrAdjoint *adj, const View *views, CgV G, CgV rows, const int *params,
                             bool after) {
    Cg *g = e->g;
    for (int i = 0; i < adj->npgrads; i++) {
        const IrParamGrad *pg = &adj->pgrads[i];
        if (pg->after != after)
            continue;
        const View *gv = &views[pg->g];
        CgV dst = e->b->load(g, CGT_PPF32, G, I(e, params[pg->param]));
        int m = adj->bwd->nodes[pg->g].size;
        if (pg->kind == PGRAD_VEC) {
            emit_rows(g, rows, dst, I(e, 0), I(e, 0), gv, m, true);
        } else {
            const View *v = &views[pg->v];
            int n = adj->bwd->nodes[pg->v].size;
            cg_call(g, CGT_VOID, "rt_gemm_tn", 10, I(e, m), I(e, n), rows, view_ptr(g, gv), gv->ld ? gv->ld : I(e, 0),
                    view_ptr(g, v), v->ld ? v->ld : I(e, 0), dst, I(e, n), I(e, 1));
        }
    }
}

/* The forward step's views the backward step reads, over rows: taped nodes
 * from the tape, leaves and slices as views. */
static View *forward_views(Emit *e, const IrLayer *l, CgV P, CgV rows, View input, View *states, CgV *taped) {
    const IrStep *s = l->step;
    View *fwd = arena_alloc(e->a, sizeof(View) * (size_t)(s->nnodes + 1));
    StepEnv env = {.rows = rows, .P = P, .params = l->params, .buffers = taped, .views_only = true,
                   .input = input, .states = states};
    bool *all = arena_alloc(e->a, sizeof(bool) * (size_t)(s->nnodes + 1));
    for (int k = 0; k < s->nnodes; k++)
        all[k] = l->adj->taped[k] || !step_has_buffer(s, k);
    emit_step_nodes(e->g, s, all, fwd, &env);
    return fwd;
}

/* Whether backward node k's value exists for every step after the loop. */
static bool *after_available(Emit *e, const IrStep *bw) {
    bool *avail = arena_alloc(e->a, sizeof(bool) * (size_t)(bw->nnodes + 1));
    for (int k = 0; k < bw->nnodes; k++) {
        const IrNode *n = &bw->nodes[k];
        if (ir_ops[n->op].kind == IRK_LEAF)
            avail[k] = n->op != IR_ADJ_OUT && n->op != IR_ADJ_STATE;
        else if (n->op == IR_SLICE)
            avail[k] = avail[n->args[0]];
        else
            avail[k] = n->phase == IRP_AFTER || n->all_steps;
    }
    return avail;
}

/* After the loop: the nodes it did not need, over all T x B rows. */
static void emit_after(Emit *e, const IrLayer *l, const Layout *lo, CgV *seq, CgV *packed, CgV xT, CgV P, CgV G,
                       CgV d_in, TapeLayout *tl, CgV B, CgV T) {
    const IrStep *s = l->step, *bw = l->adj->bwd;
    const IrAdjoint *adj = l->adj;
    CgV rows = mul(e, T, B);
    CgV *states = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nstates + 1));
    for (int i = 0; i < s->nstates; i++)
        states[i] = tl->state[i]; /* steps 0..T-1: the state each step read */
    View *fwd = forward_views(e, l, P, rows, view_of(xT, I(e, s->in_size), 0),
                              state_views(e, s->nstates, states, s->state_size), tl->node);
    bool *avail = after_available(e, bw), *mask = arena_alloc(e->a, sizeof(bool) * (size_t)(bw->nnodes + 1));
    View *views = arena_alloc(e->a, sizeof(View) * (size_t)(bw->nnodes + 1));
    for (int k = 0; k < bw->nnodes; k++) {
        mask[k] = lo->live[k] && avail[k];
        if (mask[k] && bw->nodes[k].phase == IRP_LOOP && seq[k]) { /* kept by the loop */
            views[k] = view_of(seq[k], I(e, bw->nodes[k].size), 0);
            mask[k] = false;
        }
    }
    StepEnv env = {.rows = rows, .P = P, .params = l->params, .buffers = seq, .packed = packed, .fwd = fwd};
    emit_step_nodes(e->g, bw, mask, views, &env);
    int d = adj->d_input;
    if (d_in && d >= 0 && bw->nodes[d].phase == IRP_AFTER) { /* d_in[b][t] += d_input[tt][b] */
        CgV tt = e->b->for_begin(e->g, "tt", T);
        View step = view_rows(e->g, &views[d], mul(e, tt, B));
        emit_rows(e->g, B, d_in, mul(e, T, I(e, s->in_size)), mul(e, time_of(e, l, tt, T), I(e, s->in_size)), &step,
                  s->in_size, true);
        e->b->for_end(e->g);
    }
    emit_param_grads(e, adj, views, G, rows, l->params, true);
}

void emit_cell_backward(Emit *e, int index) {
    const IrLayer *l = &e->p->layers[index];
    const IrStep *s = l->step, *bw = l->adj->bwd;
    const IrAdjoint *adj = l->adj;
    const CgBackend *b = e->b;
    Cg *g = e->g;
    bool want_input = l->in != e->p->input;
    Layout lo = layout_of(e, l, true);          /* sized for any layer sharing the step */
    lo.live = backward_live(e, adj, want_input); /* emitted for this one: maybe without d input */
    int width = e->p->values[l->out].size;
    CgParam ps[] = {{CGT_PPF32, "P"}, {CGT_PPF32, "G"}, {CGT_PF32, "in"}, {CGT_PF32, "d_in"}, {CGT_PCF32, "d_out"},
                    {CGT_I64, "B"},   {CGT_I64, "T"},   {CGT_PF32, "ws"}, {CGT_PF32, "tape"}, {CGT_PI32, "len"}};
    CgV v[10];
    b->func_begin(g, arena_printf(e->a, "layer%d_backward", index), CGT_VOID, e->lengths ? 10 : 9, ps, v);
    CgV P = v[0], G = v[1], in = v[2], d_in = v[3], d_out = v[4], B = v[5], T = v[6], tape = v[8];
    TapeLayout tl = tape_layout(e, l, tape, B, T, I(e, 1));
    Bump m = {e, v[7], I(e, 0)};
    CgV *dst = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nstates + 1));
    for (int i = 0; i < s->nstates; i++) { /* two buffers per state gradient, by parity */
        CgV n = mul(e, B, I(e, 2 * s->state_size[i]));
        dst[i] = let(e, CGT_PF32, name(e, "dst%d", i), take(&m, n));
        cg_call(g, CGT_VOID, "memset", 3, dst[i], I(e, 0), bytes(e, n));
    }
    CgV *gbuf = loop_buffers(e, &lo, &m, B, "g");
    CgV *packed = pack_weights(e, &lo, &m, P, l->params);
    CgV *seq = all_step_buffers(e, &lo, &m, B, T, false);
    CgV xT = NULL;
    if (lo.input_copy) {
        xT = let(e, CGT_PF32, "xT", take(&m, mul(e, mul(e, T, B), I(e, s->in_size))));
        copy_input(e, l, xT, in, B, T, I(e, 0), T);
    }
    CgV rev = b->for_begin(g, "rev", T);
    CgV tt = let(e, CGT_I64, "tt", cg_sub(g, cg_sub(g, T, I(e, 1)), rev));
    CgV t = let(e, CGT_I64, "t", time_of(e, l, tt, T));
    CgV rows = active_rows(e, v[9], B, t);
    CgV x = let(e, CGT_PF32, "x", at(e, in, mul(e, t, I(e, s->in_size))));
    CgV *sv = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nstates + 1));
    CgV *ds = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nstates + 1)), *dp = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nstates + 1));
    for (int i = 0; i < s->nstates; i++) {
        CgV row = mul(e, B, I(e, s->state_size[i]));
        sv[i] = let(e, CGT_PF32, name(e, "s%d", i), at(e, tl.state[i], mul(e, tt, row)));
        ds[i] = let(e, CGT_PF32, name(e, "ds%d", i), at(e, dst[i], mul(e, b->int_op(g, '%', tt, I(e, 2)), row)));
        dp[i] = let(e, CGT_PF32, name(e, "ds%d_prev", i),
                    at(e, dst[i], mul(e, b->int_op(g, '%', add(e, tt, I(e, 1)), I(e, 2)), row)));
        if (e->lengths) /* a padding step's state only held: no gradient goes through its cell */
            cg_call(g, CGT_VOID, "rt_mask_rows", 5, ds[i], v[9], B, t, I(e, s->state_size[i]));
    }
    CgV *fbuf = arena_alloc(e->a, sizeof(CgV) * (size_t)(s->nnodes + 1));
    for (int k = 0; k < s->nnodes; k++)
        if (adj->taped[k])
            fbuf[k] = let(e, CGT_PF32, arena_printf(e->a, "%s_t", node_var(e, "", s, k)),
                          at(e, tl.node[k], mul(e, tt, mul(e, B, I(e, s->nodes[k].size)))));
    View *fwd = forward_views(e, l, P, B, view_of(x, mul(e, T, I(e, s->in_size)), 0),
                              state_views(e, s->nstates, sv, s->state_size), fbuf);
    StepEnv env = {.rows = rows, .P = P, .params = l->params, .fwd = fwd, .packed = packed};
    env.buffers = arena_alloc(e->a, sizeof(CgV) * (size_t)(bw->nnodes + 1));
    bool *in_loop = arena_alloc(e->a, sizeof(bool) * (size_t)(bw->nnodes + 1));
    for (int k = 0; k < bw->nnodes; k++) {
        in_loop[k] = lo.live[k] && bw->nodes[k].phase != IRP_AFTER;
        env.buffers[k] = seq[k] ? at(e, seq[k], mul(e, tt, mul(e, B, I(e, bw->nodes[k].size)))) : gbuf[k];
    }
    env.adj_out = view_of(at(e, d_out, mul(e, t, I(e, width))), mul(e, T, I(e, width)), l->offset);
    env.adj_states = state_views(e, s->nstates, ds, s->state_size);
    View *views = arena_alloc(e->a, sizeof(View) * (size_t)(bw->nnodes + 1));
    emit_step_nodes(g, bw, in_loop, views, &env);
    if (want_input && adj->d_input >= 0 && bw->nodes[adj->d_input].phase != IRP_AFTER)
        emit_rows(g, rows, d_in, mul(e, T, I(e, s->in_size)), mul(e, t, I(e, s->in_size)), &views[adj->d_input],
                  s->in_size, true);
    emit_param_grads(e, adj, views, G, rows, l->params, false);
    for (int i = 0; i < s->nstates; i++) {
        if (adj->d_state[i] >= 0)
            emit_rows(g, rows, dp[i], I(e, s->state_size[i]), I(e, 0), &views[adj->d_state[i]], s->state_size[i], false);
        else
            cg_call(g, CGT_VOID, "memset", 3, dp[i], I(e, 0), bytes(e, mul(e, B, I(e, s->state_size[i]))));
        if (e->lengths) /* padding steps (the rows skipped among them) pass no gradient */
            cg_call(g, CGT_VOID, "rt_mask_rows", 5, dp[i], v[9], B, t, I(e, s->state_size[i]));
    }
    for (int k = 0; e->lengths && k < bw->nnodes; k++) /* what the products after the loop read: 0 where skipped */
        if (in_loop[k] && seq[k])
            cg_call(g, CGT_VOID, "rt_zero_tail", 4, env.buffers[k], rows, B, I(e, bw->nodes[k].size));
    b->for_end(g);
    if (xT)
        emit_after(e, l, &lo, seq, packed, xT, P, G, want_input ? d_in : NULL, &tl, B, T);
    b->func_end(g, NULL);
}
