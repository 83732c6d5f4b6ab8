/* onnx_import.c - rnnc import: an ONNX model as rnnc source and weights.
 * The file is read as untrusted data (onnx_file.c). This version takes a
 * graph of one recurrent node (RNN, GRU or LSTM, onnx_cells.c) reading a
 * graph input, with its weights as initializers; the graph's first output
 * is the node's Y (every step, [B, T, dirs*H] in rnnc's batch-first
 * layout) or a forward node's Y_h (the last step's, through `last`).
 * sequence_lens, given as a graph input, becomes the program's --lengths.
 * Anything else is an error naming the node, its operator and why. */
#include "onnx_import.h"
#include "onnx_cells.h"
#include "output.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPSET_MIN = 7, OPSET_MAX = 17 };

/* The graph's name with every character outside [A-Za-z0-9_] made '_'
 * ("model" when empty, "m_" before a leading digit). */
static const char *model_name(Arena *a, const char *graph) {
    if (!graph || !*graph)
        return "model";
    char *s = arena_printf(a, "%s%s", graph[0] >= '0' && graph[0] <= '9' ? "m_" : "", graph);
    for (char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            *p = '_';
    return s;
}

/* The layer's name from the exporter's node name ("/h/GRU" -> "h"), else l1. */
static const char *layer_name(Arena *a, const Onnx__NodeProto *n) {
    const char *s = n->name;
    if (s && s[0] == '/') {
        const char *end = strchr(s + 1, '/');
        size_t len = end ? (size_t)(end - s - 1) : 0;
        bool ok = len > 0 && len < 64 && !(s[1] >= '0' && s[1] <= '9');
        for (size_t i = 1; ok && i <= len; i++)
            ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
                 s[i] == '_';
        if (ok)
            return arena_printf(a, "%.*s", (int)len, s + 1);
    }
    return "l1";
}

static int opset_of(const Onnx__ModelProto *m) {
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *d = m->opset_import[i]->domain;
        if (!d || !*d || !strcmp(d, "ai.onnx"))
            return (int)m->opset_import[i]->version;
    }
    return 0;
}

static FILE *messages; /* this import's */

/* "rnnc: error: PATH: node 'NAME' (OP): why", or without a node; 1. */
static int error(const char *path, const Onnx__NodeProto *n, const char *why) {
    if (n)
        fprintf(messages, "rnnc: error: %s: node '%s' (%s): %s\n", path, n->name && *n->name ? n->name : "(unnamed)",
                n->op_type ? n->op_type : "", why);
    else
        fprintf(messages, "rnnc: error: %s: %s\n", path, why);
    return 1;
}

/* The one recurrent node, or NULL after an error naming what else is there. */
static const Onnx__NodeProto *the_node(const char *path, const Onnx__GraphProto *g) {
    const Onnx__NodeProto *found = NULL;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        const char *op = n->op_type ? n->op_type : "";
        bool recurrent = !strcmp(op, "RNN") || !strcmp(op, "GRU") || !strcmp(op, "LSTM");
        if (!recurrent || found) {
            error(path, n, recurrent ? "a second recurrent node; this version imports one"
                                     : "this version imports a graph of one RNN, GRU or LSTM node");
            return NULL;
        }
        found = n;
    }
    if (!found)
        error(path, NULL, "the graph has no RNN, GRU or LSTM node");
    return found;
}

/* The model's source: the cell (if a user cell), the layer, the output. */
static void write_source(FILE *out, const char *path, const char *name, const Onnx__NodeProto *n, const char *layer,
                         const OnnxCell *c, bool last, int opset) {
    int64_t width = c->dirs * c->hidden;
    fprintf(out, "# %s - imported by rnnc from %s (ONNX opset %d). Its input is batch-first, [batch, time, %lld];\n"
                 "# forward writes the graph's output %s",
            name, path, opset, (long long)c->in, last ? "Y_h as [batch, hidden]" : "Y as [batch, time, directions * hidden]");
    fprintf(out, "%s.\n", c->lengths ? ", with --lengths for its sequence_lens" : "");
    if (c->cell_source)
        fprintf(out, "\n%s", c->cell_source);
    fprintf(out, "\nmodel %s {\n    input  x : seq vector(%lld)\n    target y : %svector(%lld)\n\n", name,
            (long long)c->in, last ? "" : "seq ", (long long)width);
    fprintf(out, "    # ONNX node '%s' (%s)\n    %s = %s\n", n->name && *n->name ? n->name : "(unnamed)", n->op_type,
            layer, c->layer_call);
    if (last)
        fprintf(out, "    y_h = last(%s)\n    loss mse(y_h, y)\n}\n", layer);
    else
        fprintf(out, "    loss mse(%s, y)\n}\n", layer);
}

static int write_weights(const char *path, const OnnxWeights *w) {
    rt_error err;
    if (rt_st_write(path, w->items, w->n, NULL, 0, &err)) {
        fprintf(messages, "rnnc: error: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int translate(Arena *a, const ImportOptions *o, const Onnx__ModelProto *m) {
    const Onnx__GraphProto *g = m->graph;
    int opset = opset_of(m);
    if (opset < OPSET_MIN || opset > OPSET_MAX)
        return error(o->path, NULL, arena_printf(a, "the model uses opset %d; rnnc imports opsets %d to %d", opset,
                                                 OPSET_MIN, OPSET_MAX));
    const Onnx__NodeProto *n = the_node(o->path, g);
    if (!n)
        return 1;
    if (n->n_input < 1 || !onnx_is_graph_input(g, n->input[0]))
        return error(o->path, n, "its input X is not one of the graph's inputs");
    if (g->n_output < 1 || !g->output[0]->name)
        return error(o->path, NULL, "the graph has no output");
    const char *first = g->output[0]->name;
    bool y = n->n_output > 0 && !strcmp(n->output[0], first), y_h = n->n_output > 1 && !strcmp(n->output[1], first);
    if (!y && !y_h)
        return error(o->path, n, "the graph's first output is neither its Y nor its Y_h");
    const char *name = model_name(a, g->name), *layer = layer_name(a, n);
    OnnxCell c;
    OnnxWeights w = {0};
    char why[400];
    if (onnx_cell(a, g, n, "x", layer, 1, &c, &w, why, sizeof why)) {
        onnx_weights_free(&w);
        return error(o->path, n, why);
    }
    int rc = 0;
    if (y_h && c.dirs == 2)
        rc = error(o->path, n, "the graph's output is a bidirectional node's Y_h, which this version does not import");
    else if (c.lengths && !onnx_is_graph_input(g, c.lengths))
        rc = error(o->path, n, "its sequence_lens is not a graph input (rnnc takes lengths with the data, --lengths)");
    Output src;
    FILE *out = rc ? NULL : output_open(&src, o->source ? o->source : arena_printf(a, "%s.rnn", name));
    if (!rc && !out)
        rc = 1;
    if (out) {
        write_source(out, o->path, name, n, layer, &c, y_h, opset);
        rc = output_close(&src);
    }
    if (!rc)
        rc = write_weights(o->weights ? o->weights : arena_printf(a, "%s.safetensors", name), &w);
    onnx_weights_free(&w);
    return rc;
}

int onnx_import(Arena *a, const ImportOptions *o) {
    OnnxFile f;
    messages = o->messages ? o->messages : stderr;
    if (onnx_file_load(&f, o->path)) {
        fprintf(messages, "rnnc: error: %s\n", f.error);
        return 1;
    }
    int rc = translate(a, o, f.model);
    onnx_file_free(&f);
    return rc;
}
