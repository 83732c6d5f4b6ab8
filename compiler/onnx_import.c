/* onnx_import.c - rnnc import: an ONNX model as rnnc source and weights.
 * The file is read as untrusted data (onnx_file.c), its graph walked into
 * layers (onnx_model.c, with the recurrent nodes' cells from onnx_cells.c),
 * and written out: user cells, then the model, a comment on each layer
 * naming the node it came from, and the weights under the layers' names. */
#include "onnx_import.h"
#include "onnx_model.h"
#include "output.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPSET_MIN = 7, OPSET_MAX = 17 };

/* The graph's name with every character outside [A-Za-z0-9_] made '_'
 * ("imported" when empty, "m_" before a leading digit, "_" after a
 * keyword). */
static const char *model_name(Arena *a, const char *graph) {
    if (!graph || !*graph)
        return "imported";
    char *s = arena_printf(a, "%s%s", graph[0] >= '0' && graph[0] <= '9' ? "m_" : "", graph);
    for (char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            *p = '_';
    return onnx_reserved(s) ? arena_printf(a, "%s_", s) : s;
}

static int64_t opset_of(const Onnx__ModelProto *m) {
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *d = m->opset_import[i]->domain;
        if (!d || !*d || !strcmp(d, "ai.onnx"))
            return m->opset_import[i]->version;
    }
    return 0;
}

static FILE *messages; /* this import's */

static int error(const char *path, const char *why) {
    fprintf(messages, "rnnc: error: %s: %s\n", path, why);
    return 1;
}

/* The model's source: user cells, then the model, a comment on each layer
 * naming the ONNX node it came from. */
static void write_source(FILE *out, const char *path, const char *name, const OnnxModel *m, int opset) {
    fprintf(out, "# %s - imported by rnnc from %s (ONNX opset %d). Its input is batch-first: %s;\n"
                 "# forward writes the graph's first output, %s.\n",
            name, path, opset, m->input_token ? "[batch, time] token ids" : "[batch, time, features]",
            m->output_seq ? "[batch, time, features]" : "[batch, features]");
    if (m->lengths)
        fprintf(out, "# The graph's sequence_lens is the program's --lengths.\n");
    if (m->softmax_dropped)
        fprintf(out, "# The graph's final softmax is left out: the model outputs its logits.\n");
    if (*m->cells)
        fprintf(out, "\n%s", m->cells);
    fprintf(out, "\nmodel %s {\n    input  x : seq %s(%lld)\n", name, m->input_token ? "token" : "vector",
            (long long)m->input_size);
    if (m->softmax_dropped)
        fprintf(out, "    target y : %stoken(%lld)\n\n", m->output_seq ? "seq " : "", (long long)m->output_size);
    else
        fprintf(out, "    target y : %svector(%lld)\n\n", m->output_seq ? "seq " : "", (long long)m->output_size);
    for (int i = 0; i < m->nlayers; i++)
        fprintf(out, "    # %s\n    %s = %s\n", m->layers[i].comment, m->layers[i].name, m->layers[i].expr);
    fprintf(out, "    loss %s(%s, y)\n}\n", m->softmax_dropped ? "cross_entropy" : "mse", m->output);
}

static int write_weights(const char *path, const OnnxWeights *w) {
    rt_error err;
    if (rt_st_write(path, w->items, w->n, NULL, 0, &err)) {
        fprintf(messages, "rnnc: error: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int translate(Arena *a, const ImportOptions *o, const Onnx__ModelProto *mp) {
    int64_t version = opset_of(mp);
    if (version < OPSET_MIN || version > OPSET_MAX)
        return error(o->path, arena_printf(a, "the model uses opset %lld; rnnc imports opsets %d to %d",
                                           (long long)version, OPSET_MIN, OPSET_MAX));
    int opset = (int)version;
    OnnxModel m;
    OnnxWeights w = {0};
    char why[600];
    if (onnx_model(a, mp->graph, &m, &w, why, sizeof why)) {
        onnx_weights_free(&w);
        return error(o->path, why);
    }
    const char *name = model_name(a, mp->graph->name);
    Output src;
    FILE *out = output_open(&src, o->source ? o->source : arena_printf(a, "%s.rnn", name));
    int rc = 1;
    if (out) {
        write_source(out, o->path, name, &m, opset);
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
