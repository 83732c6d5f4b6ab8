#!/usr/bin/env python3
"""tests/robust/gen.py OUTDIR - write hostile sources for `rnnc check`:
truncations of every example and golden model, binary noise, deep nesting,
long operator chains, and sources near and over the size limit. Each file
is named for what it exercises; run.sh checks rnnc answers each one with a
diagnostic or success, never a crash or a hang."""
import glob, os, random, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
root = os.path.join(os.path.dirname(__file__), "..", "..")
rng = random.Random(1)

def put(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

sources = sorted(glob.glob(os.path.join(root, "examples", "*.rnn")) +
                 glob.glob(os.path.join(root, "tests", "golden", "check", "*.rnn")))
for path in sources:
    text = open(path, "rb").read()
    base = os.path.basename(path)[:-4]
    for cut in sorted(set(rng.randrange(len(text)) for _ in range(6))):
        put(f"trunc_{base}_{cut}.rnn", text[:cut])
    flipped = bytearray(text)
    for _ in range(4):
        flipped[rng.randrange(len(flipped))] = rng.randrange(256)
    put(f"flip_{base}.rnn", bytes(flipped))

put("binary_noise.rnn", bytes(rng.randrange(256) for _ in range(200000)))
put("nul_bytes.rnn", b"cell c(a) {\0\0 input x[a]\0}\n" * 10)
put("deep_parens.rnn", "cell c(n) { a = " + "(" * 100000 + "x" + ")" * 100000 + " }\n")
put("deep_brackets.rnn", "cell c(n) { a = x" + "[" * 100000 + "}\n")
put("deep_unary.rnn", "cell c(n) { a = " + "-" * 1000000 + "x }\n")
put("deep_calls.rnn", "cell c(n) { a = " + "tanh(" * 50000 + "x" + ")" * 50000 + " }\n")
put("long_chain.rnn", "cell c(n) {\n input x[n]\n state h[n]\n h' = x" + " + x" * 1000000 + "\n output h'\n}\n")
put("long_size.rnn", "cell c(n) {\n input x[n]\n state h[" + "n*" * 5000 + "n]\n h' = h\n output h'\n}\n")
put("huge_numbers.rnn", "cell c(n) {\n input x[99999999999999999999999]\n state h[n]\n"
    " param W[n, 4294967296*4294967296]\n h' = h * 1e400\n output h'\n}\n")
put("many_errors.rnn", "cell c(n) {\n" + "  a = $ # @\n" * 20000 + "}\n")
put("unclosed_everything.rnn", "model m { input x : seq token(" + "[(" * 1000)

# Adversarial sources: a million levels of nesting, sizes of
# 2^62 and sizes whose product overflows, invalid UTF-8 (in a name: an
# error; in a comment: legal), a five-million-character name, a hundred
# thousand broken cells.
put("deep_parens_million.rnn", "cell c(n) { a = " + "(" * 1000000 + "x" + ")" * 1000000 + " }\n")
cell = "cell c(i, n) {{\n input x[i]\n state h[{size}]\n param W[{size}, i]\n h' = tanh(W @ x) + h\n output h'\n}}\n"
model = "model m {{\n input x : seq vector(3)\n target y : seq vector(1)\n h = c(x, n={n})\n o = linear(h, 1)\n loss mse(o, y)\n}}\n"
put("size_2_62.rnn", cell.format(size="4611686018427387904") + model.format(n=3))
put("size_n_times_2_62.rnn", cell.format(size="n*4611686018427387904") + model.format(n=4))
put("size_hidden_2_62.rnn", cell.format(size="n") + model.format(n=4611686018427387904))
put("size_square_2_31.rnn", cell.format(size="n*n") + model.format(n=2147483648))
put("size_square_huge.rnn", cell.format(size="n*n") + model.format(n=100000))
put("utf8_bad_name.rnn", b"cell c\xc3\x28(n) {\n input x[n]\n state h[n]\n h' = h\n output h'\n}\n")
put("utf8_bad_comment.rnn", b"# \xff\xfe\xc3\x28 not UTF-8, in a comment\n" + (cell.format(size="n") + model.format(n=3)).encode())
put("name_five_million.rnn", "cell " + "a" * 5000000 + "(n) {\n input x[n]\n state h[n]\n h' = h\n output h'\n}\n")
put("broken_cells_100k.rnn", "cell c(n) { input x[n] state h[ }\n" * 100000)

# A valid source of about 10 MB: one cell with a very long chain of locals.
lines = ["cell big(in, hidden) {", " input x[in]", " state h[hidden]",
         " param W[hidden, in], U[hidden, hidden]", " a0 = W @ x + U @ h"]
i = 0
size = 0
while size < 10_000_000:
    i += 1
    line = f" a{i} = tanh(a{i-1}) * a{i-1} + a{i-1}"
    lines.append(line)
    size += len(line) + 1
lines += [f" h' = a{i}", " output h'", "}"]
put("ten_megabytes.rnn", "\n".join(lines) + "\n")
put("over_limit.rnn", "# " + "x" * (17 << 20) + "\n")
