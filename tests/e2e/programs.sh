#!/bin/sh
# tests/e2e/programs.sh RNNC - generated programs as a user meets them:
# deterministic emission, strict C99, every command, `forward --expect`
# on its own output and on a perturbed one, `make install`, and clear errors
# (never crashes) for bad weight, input and target files.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
fx=$root/tests/parity/fixtures
. tests/e2e/lib.sh

# ---- emission ------------------------------------------------------------
"$rnnc" emit examples/charlm.rnn --target c -o "$tmp/a.c" && "$rnnc" emit examples/charlm.rnn --target c -o "$tmp/b.c"
if cmp -s "$tmp/a.c" "$tmp/b.c"; then ok; else bad "emit --target c is not byte-identical across runs"; fi
for model in examples/*.rnn; do
    "$rnnc" emit "$model" --target c -o "$tmp/m.c"
    expect 0 "$model: emitted C compiles with -std=c99 -Wall -Wextra -Werror" \
        cc -std=c99 -pedantic -Wall -Wextra -Werror -I runtime -c "$tmp/m.c" -o "$tmp/m.o"
done

# ---- a model's program ----------------------------------------------------
lstm=$fx/lstm_bidirectional_two_layers_ce
expect 0 "build" "$rnnc" build "$lstm/model.rnn" -o "$tmp/prog"
cp "$tmp/prog" "$tmp/prog.first"
expect 0 "build again" "$rnnc" build "$lstm/model.rnn" -o "$tmp/prog"
if cmp -s "$tmp/prog" "$tmp/prog.first"; then ok; else bad "build is not reproducible"; fi
expect 0 "build -O0" "$rnnc" build "$lstm/model.rnn" -O0 -o "$tmp/prog0"
expect 0 "info" "$tmp/prog" info
says "h.weight_hh_l1_reverse" "info lists parameters"
expect 0 "init" "$tmp/prog" init --seed 3 -o "$tmp/w.safetensors"
expect 0 "init again" "$tmp/prog" init --seed 3 -o "$tmp/w2.safetensors"
if cmp -s "$tmp/w.safetensors" "$tmp/w2.safetensors"; then ok; else bad "init is not deterministic"; fi
expect 0 "forward" "$tmp/prog" forward --weights "$tmp/w.safetensors" --input "$lstm/input.npy" -o "$tmp/y.npy"
expect 0 "-O0 agrees with -O2" "$tmp/prog0" forward --weights "$tmp/w.safetensors" --input "$lstm/input.npy" --expect "$tmp/y.npy"
expect 0 "forward --expect its own output" "$tmp/prog" forward --weights "$tmp/w.safetensors" \
    --input "$lstm/input.npy" --expect "$tmp/y.npy"
says "largest difference: 0 " "--expect prints the difference"
cp "$tmp/y.npy" "$tmp/perturbed.npy"
size=$(wc -c < "$tmp/perturbed.npy")
printf '\000\000\172\104' | dd of="$tmp/perturbed.npy" bs=1 seek=$((size - 4)) conv=notrunc 2> /dev/null
expect 1 "forward --expect a perturbed output" "$tmp/prog" forward --weights "$tmp/w.safetensors" \
    --input "$lstm/input.npy" --expect "$tmp/perturbed.npy"
says "largest difference: 99[0-9.]* at element [0-9]* " "--expect names the largest difference and where"
expect 0 "a loose --tol accepts it" "$tmp/prog" forward --weights "$tmp/w.safetensors" \
    --input "$lstm/input.npy" --expect "$tmp/perturbed.npy" --tol 2000
expect 0 "eval" "$tmp/prog" eval --weights "$lstm/weights.safetensors" --input "$lstm/input.npy" --target "$lstm/target.npy"
for name in loss accuracy bits_per_token perplexity; do says "^$name: " "eval prints $name"; done

# ---- bad files: a message, exit 1, no crash --------------------------------
gru=$fx/gru_bidirectional
expect 1 "missing weights file" "$tmp/prog" forward --weights "$tmp/none.safetensors" --input "$lstm/input.npy" -o "$tmp/o.npy"
says "none.safetensors" "names the missing file"
expect 1 "weights of another model" "$tmp/prog" forward --weights "$gru/weights.safetensors" --input "$lstm/input.npy" -o "$tmp/o.npy"
says "unexpected tensor 'out.weight': model 'm' has no such parameter" "names the parameter"
"$rnnc" build "$gru/model.rnn" -o "$tmp/gru"
printf 'model m {\n input x : seq vector(3)\n target y : seq vector(2)\n h = gru(x, hidden=6, bidirectional=true)\n out = linear(h, 2)\n loss mse(out, y)\n}\n' > "$tmp/gru6.rnn"
"$rnnc" build "$tmp/gru6.rnn" -o "$tmp/gru6"
expect 1 "a parameter of the wrong shape" "$tmp/gru6" forward --weights "$gru/weights.safetensors" --input "$gru/input.npy" -o "$tmp/o.npy"
says "'h.weight_ih_l0' has shape \[21, 3\] in the file, but the model needs \[18, 3\]" "names the parameter and both shapes"
printf 'model m {\n input x : seq vector(3)\n target y : seq vector(2)\n h = gru(x, hidden=7, bidirectional=true)\n out = linear(h, 2)\n o2 = linear(out, 2)\n loss mse(o2, y)\n}\n' > "$tmp/more.rnn"
"$rnnc" build "$tmp/more.rnn" -o "$tmp/more"
expect 1 "a missing parameter" "$tmp/more" forward --weights "$gru/weights.safetensors" --input "$gru/input.npy" -o "$tmp/o.npy"
says "missing parameter 'o2.weight' \[2, 2\]" "names the missing parameter and its shape"
expect 1 "tokens into a vector model" "$tmp/gru" forward --weights "$gru/weights.safetensors" --input "$lstm/input.npy" -o "$tmp/o.npy"
says "the array must be \[batch, time, N\]" "names the expected layout"
expect 1 "vectors of the wrong width" "$tmp/gru" forward --weights "$gru/weights.safetensors" --input "$fx/lstm_two_layers/input.npy" -o "$tmp/o.npy"
says "last dimension is 4" "names the width"
expect 1 "floats into a token model" "$tmp/prog" forward --weights "$lstm/weights.safetensors" --input "$fx/gru_last_classifier/target.npy" -o "$tmp/o.npy"
expect 1 "token ids outside the vocabulary" "$tmp/prog" forward --weights "$lstm/weights.safetensors" --input "$fx/gru_last_classifier/input.npy" -o "$tmp/o.npy"
says "outside the vocabulary" "names the bad id"
expect 1 "targets of another length" "$tmp/prog" eval --weights "$lstm/weights.safetensors" --input "$lstm/input.npy" --target "$fx/rnn_relu_ce_padded/target.npy"
for f in weights.safetensors input.npy; do
    full=$(wc -c < "$lstm/$f")
    for cut in 0 7 9 60 $((full / 2)) $((full - 1)); do
        head -c "$cut" "$lstm/$f" > "$tmp/cut_$f"
        w=$lstm/weights.safetensors i=$lstm/input.npy
        [ "$f" = input.npy ] && i=$tmp/cut_$f || w=$tmp/cut_$f
        expect 1 "$f truncated to $cut bytes" "$tmp/prog" forward --weights "$w" --input "$i" -o "$tmp/o.npy"
        says "cut_$f" "names the truncated file"
    done
done
expect 1 "-o into a missing directory" "$tmp/prog" init -o "$tmp/no/such/dir/w.safetensors"
expect 2 "unknown command" "$tmp/prog" frobnicate
expect 2 "unknown option" "$tmp/prog" info --bogus
expect 2 "forward without --weights" "$tmp/prog" forward --input "$lstm/input.npy" -o "$tmp/o.npy"

# ---- regressions from review --------------------------------------------
# a layer the loss does not depend on, reading the loss's own argument, or
# with an infinite derivative (sqrt at 0): no backward code for it
printf 'model m {\n input x : seq vector(3)\n target y : seq vector(2)\n out = linear(x, 2)\n z = relu(out)\n g = gru(out, hidden=3)\n h = linear(x, 4)\n s = sqrt(h)\n loss mse(out, y)\n}\n' > "$tmp/unused.rnn"
gru_x=$fx/gru_bidirectional/input.npy gru_y=$fx/gru_bidirectional/target.npy
expect 0 "unused layers build" "$rnnc" build "$tmp/unused.rnn" -o "$tmp/unused"
"$tmp/unused" init -o "$tmp/uw.st" 2> /dev/null
expect 0 "unused layers: grad runs" "$tmp/unused" grad --weights "$tmp/uw.st" --input "$gru_x" --target "$gru_y" -o "$tmp/ug.st"
expect 0 "unused layers: train, huge --batch" "$tmp/unused" train --seed 2 --input "$gru_x" --target "$gru_y" --batch 16777216 \
    --epochs 2 -o "$tmp/ut.st"
expect 0 "unused layers: weights stay finite" "$tmp/unused" eval --weights "$tmp/ut.st" --input "$gru_x" --target "$gru_y"
if grep -qi nan "$tmp/out"; then bad "unused layers: NaN in the loss"; else ok; fi
expect 2 "--batch above 2^24" "$tmp/unused" train --input "$gru_x" --target "$gru_y" --batch 4611686018427387904 -o "$tmp/ut.st"
expect 1 "-o into a missing directory fails before training" "$tmp/unused" train --input "$gru_x" --target "$gru_y" \
    -o "$tmp/no/such/w.st"
says "cannot write here" "names the unwritable output"
# resume of a model with no cell state; a checkpoint of another batch size
expect 0 "train with checkpoints" "$tmp/unused" train --seed 2 --input "$gru_x" --target "$gru_y" --batch 2 --epochs 1 \
    -o "$tmp/nc.st"
expect 0 "resume a model without cells" "$tmp/unused" train --input "$gru_x" --target "$gru_y" --batch 2 --epochs 2 \
    --resume "$tmp/nc.st.ckpt" -o "$tmp/nc2.st"
expect 1 "resume with another batch size" "$tmp/unused" train --input "$gru_x" --target "$gru_y" --batch 3 --epochs 2 \
    --resume "$tmp/nc.st.ckpt" -o "$tmp/nc3.st"
says "written with batch 2, not 3" "names both batch sizes"
# a number folded to infinity is still valid C
printf 'cell inf(n) {\n input x[n]\n state h[n]\n param W[n, n]\n h'"'"' = tanh(W @ x) * (1 / 0) + h\n output h'"'"'\n}\nmodel m {\n input x : seq vector(3)\n target y : seq vector(3)\n h = inf(x)\n loss mse(h, y)\n}\n' > "$tmp/inf.rnn"
expect 0 "an infinite constant builds" "$rnnc" build "$tmp/inf.rnn" -o "$tmp/inf"
expect 0 "an infinite constant, LLVM" "$rnnc" build "$tmp/inf.rnn" --backend llvm -o "$tmp/inf"
# eval where every target is -100
printf 'model m {\n input x : seq token(5)\n target y : seq token(5)\n e = embedding(x, dim=2)\n o = linear(e, 5)\n loss cross_entropy(o, y)\n}\n' > "$tmp/ce.rnn"
"$rnnc" build "$tmp/ce.rnn" -o "$tmp/ce" && "$tmp/ce" init -o "$tmp/ce.st"
# tiny npy files by hand (python3 without numpy): ids 1, 2 and targets -100
python3 - "$tmp" <<'PY'
import struct, sys
def npy(path, values):
    head = "{'descr': '<i4', 'fortran_order': False, 'shape': (1, %d), }" % len(values)
    head += " " * (118 - len(head) - 1) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head.encode())
        f.write(struct.pack("<%di" % len(values), *values))
npy(sys.argv[1] + "/ids.npy", [1, 2])
npy(sys.argv[1] + "/ign.npy", [-100, -100])
PY
expect 1 "eval with every target -100" "$tmp/ce" eval --weights "$tmp/ce.st" --input "$tmp/ids.npy" --target "$tmp/ign.npy"
says "every target is -100" "says no position counts"

# ---- make install: the runtime is found beside the installed rnnc ---------
if make -s install PREFIX="$tmp/prefix" BUILD="$(dirname "$rnnc")" > "$tmp/out" 2> "$tmp/err"; then ok; else bad "make install"; fi
expect 0 "the installed rnnc builds" "$tmp/prefix/bin/rnnc" build "$gru/model.rnn" -o "$tmp/installed"
expect 0 "and its program runs" "$tmp/installed" forward --weights "$gru/weights.safetensors" --input "$gru/input.npy" --expect "$gru/output.npy"

echo "programs: $pass passed, $fail failed"
[ "$fail" = 0 ]
