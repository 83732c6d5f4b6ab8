#!/bin/sh
# tests/e2e/messages.sh RNNC - options and messages as a user meets them:
# --name=VALUE and unambiguous prefixes on both command lines, one-line
# usage errors that name the option, per-command --help; errors that name
# the flag and its range, the file and what is wrong with it (a weights
# file given as a checkpoint, another model's checkpoint, a reference of
# another shape, an .npy file given as weights, a directory that does not
# exist, a token id or a NaN by sequence and step); forward --precision
# of another kind; where --resume
# continues; a bidirectional model refused a --bptt shorter than its
# sequences; and the runtime found through RNNC_RUNTIME in every layout.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
. tests/e2e/lib.sh
npy() { python3 tests/tools/npy.py "$@"; }
d=examples/data
ts="$tmp/ts"
train_ts="train --input $d/timeseries_x.npy --target $d/timeseries_y.npy --epochs 1 --batch 16"
"$rnnc" build examples/timeseries.rnn -o "$ts" && "$ts" init --seed 3 -o "$tmp/w.safetensors" ||
    { echo "FAIL build"; exit 1; }

# ---- the program's options --------------------------------------------------
expect 0 "--seed=N" "$ts" init --seed=5 -o "$tmp/a.safetensors"
expect 0 "--seed N" "$ts" init --seed 5 -o "$tmp/b.safetensors"
cmp -s "$tmp/a.safetensors" "$tmp/b.safetensors" && ok || bad "--seed=5 and --seed 5 differ"
expect 0 "an unambiguous prefix" "$ts" forward --wei "$tmp/w.safetensors" --inp $d/timeseries_x.npy -o "$tmp/y.npy"
expect 2 "a misspelt option" "$ts" forward --wieghts "$tmp/w.safetensors" --input $d/timeseries_x.npy -o "$tmp/y.npy"
says "unknown option '--wieghts'" "the misspelt option is named"
lines 2 "a usage error is one line and a hint"
says "--help shows the usage" "the hint"
expect 2 "an ambiguous prefix" "$ts" $train_ts --check "$tmp/c" -o "$tmp/t.safetensors"
says "ambiguous option '--check': it could be --checkpoint, --checkpoint-every" "both candidates named"
expect 2 "a missing value" "$ts" init -o
says "option '-o' needs a value" "the option without its value"
expect 2 "a bad number" "$ts" $train_ts --lr=fast -o "$tmp/t.safetensors"
says "--lr takes a number, not 'fast'" "the flag and the value"
expect 0 "forward --help" "$ts" forward --help
says "usage: .*forward --weights W --input X.npy" "forward's usage"
[ "$(wc -l < "$tmp/out")" = 1 ] && ok || bad "forward --help prints forward's usage alone"
expect 0 "--help" "$ts" --help
says "COMMAND --help" "the whole usage"
expect 2 "forward --precision of another kind" "$ts" forward --weights "$tmp/w.safetensors" --input $d/timeseries_x.npy \
    --precision bf17 -o "$tmp/y.npy"
says "--precision must be fp32 or bf16, not 'bf17'" "the precisions there are"

# ---- ranges, by flag ------------------------------------------------------------
for case in "--batch 0|--batch must be in \[1, 16777216\], not 0" "--valid 1.5|--valid must be in \[0, 1), not 1.5" \
    "--epochs 0|--epochs must be in \[1, 2147483647\], not 0" "--lr -1|--lr must be greater than 0, not -1" \
    "--clip -2|--clip must be 0 (no clipping) or more, not -2" "--checkpoint-every 0|--checkpoint-every must be at least 1"; do
    flags=${case%%|*} message=${case#*|}
    expect 2 "train $flags" "$ts" $train_ts $flags -o "$tmp/t.safetensors"
    says "$message" "train $flags names the flag and its range"
done

# ---- files that are not what they should be --------------------------------------
expect 1 "--resume with a weights file" "$ts" $train_ts --resume "$tmp/w.safetensors" -o "$tmp/t.safetensors"
says "w.safetensors: not a checkpoint: it holds no training state" "a weights file is not a checkpoint"
"$rnnc" build examples/sensors.rnn -o "$tmp/other" &&
    "$tmp/other" train --input $d/sensors_x.npy --target $d/sensors_y.npy --epochs 1 -o "$tmp/o.safetensors" 2> /dev/null
expect 1 "--resume with another model's checkpoint" "$ts" $train_ts --resume "$tmp/o.safetensors.ckpt" -o "$tmp/t.safetensors"
says "o.safetensors.ckpt: the checkpoint belongs to another model ('sensors'" "another model's checkpoint"
expect 0 "a checkpoint" "$ts" $train_ts --checkpoint-every 2 -o "$tmp/t.safetensors"
expect 0 "--resume" "$ts" $train_ts --resume "$tmp/t.safetensors.ckpt" -o "$tmp/t2.safetensors"
says "resuming from .*t.safetensors.ckpt at epoch 2/1, step 4 (batch 1 of the epoch, window 1)" "where training resumes"
expect 1 "--expect of another shape" "$ts" forward --weights "$tmp/w.safetensors" --input $d/timeseries_x.npy \
    --expect $d/timeseries_x.npy
says "the output is a float array of shape (64, 50, 1), but this file holds floats of shape (64, 50, 3)" "both shapes"
expect 1 "--weights an .npy file" "$ts" forward --weights $d/timeseries_x.npy --input $d/timeseries_x.npy -o "$tmp/y.npy"
says "timeseries_x.npy: is a NumPy .npy file, not a safetensors file" "an npy file as weights"
printf 'not a safetensors file at all, just text\n' > "$tmp/text.safetensors"
expect 1 "--weights a text file" "$ts" forward --weights "$tmp/text.safetensors" --input $d/timeseries_x.npy -o "$tmp/y.npy"
says "is not a safetensors file: its first 8 bytes" "a text file as weights"
expect 1 "train -o into a missing directory" "$ts" $train_ts -o /nonexistent/dir/w.safetensors
says "/nonexistent/dir/w.safetensors: cannot write here: No such file or directory" "the OS's reason"

# ---- values: token ids and NaN by sequence and step ------------------------------
cat > "$tmp/tok.rnn" << 'EOF'
model tok {
    input  x : seq token(5)
    target y : seq vector(1)
    e = embedding(x, dim=3)
    h = rnn(e, hidden=4)
    o = linear(h, 1)
    loss mse(o, y)
}
EOF
"$rnnc" build "$tmp/tok.rnn" -o "$tmp/tok" && "$tmp/tok" init -o "$tmp/tw.safetensors" || bad "token model"
npy "$tmp/ids.npy" '<i8' '[[0, 1, 2], [3, 4, 7]]'
expect 1 "a token id outside the vocabulary" "$tmp/tok" forward --weights "$tmp/tw.safetensors" --input "$tmp/ids.npy" \
    -o "$tmp/y.npy"
says "ids.npy: sequence 1, step 2: input id 7 is outside the vocabulary \[0, 5)" "the id by sequence and step"
npy "$tmp/nan.npy" '<f4' '[[[1, 2, 3], [4, 5, 6]], [[1, 2, 3], [4, nan, 6]]]'
npy "$tmp/nan_y.npy" '<f4' '[[[1], [2]], [[3], [4]]]'
for cmd in forward eval train; do
    case $cmd in
    forward) args="-o $tmp/y.npy" ;;
    eval) args="--target $tmp/nan_y.npy" ;;
    train) args="--target $tmp/nan_y.npy --valid 0 -o $tmp/t.safetensors" ;;
    esac
    expect 1 "$cmd: a NaN in the input" "$ts" $cmd --weights "$tmp/w.safetensors" --input "$tmp/nan.npy" $args
    says "nan.npy: sequence 1, step 1: the input holds NaN, but every value must be finite" "$cmd names the NaN"
done
npy "$tmp/inf_y.npy" '<f8' '[[[1], [2]], [[inf], [4]]]'
expect 1 "an infinity in the target" "$ts" eval --weights "$tmp/w.safetensors" --input $d/timeseries_x.npy \
    --target "$tmp/inf_y.npy"
says "inf_y.npy: sequence 1, step 0: the target holds an infinity" "the infinity by sequence and step"

# ---- a bidirectional model and --bptt ----------------------------------------------
bi=tests/parity/fixtures/gru_bidirectional
"$rnnc" build $bi/model.rnn -o "$tmp/bi" || bad "bidirectional build"
T=$(python3 -c "import sys; b=open('$bi/input.npy','rb').read(); print(b[10:10+b[8]].decode().split('shape')[1].split(',')[1].strip())")
expect 2 "bidirectional, --bptt shorter than T" "$tmp/bi" train --seed 1 --input $bi/input.npy --target $bi/target.npy \
    --epochs 1 --bptt $((T - 1)) -o "$tmp/b.safetensors"
says "--bptt $((T - 1)) is shorter than the sequences ($T steps), but the model is bidirectional" "why it is refused"
expect 0 "bidirectional, --bptt T" "$tmp/bi" train --seed 1 --input $bi/input.npy --target $bi/target.npy --epochs 1 \
    --bptt "$T" -o "$tmp/b.safetensors"

# ---- rnnc's options ------------------------------------------------------------------
expect 0 "rnnc --target=c" "$rnnc" emit examples/timeseries.rnn --target=c -o "$tmp/a.c"
expect 0 "rnnc --tar c" "$rnnc" emit examples/timeseries.rnn --tar c -o "$tmp/b.c"
cmp -s "$tmp/a.c" "$tmp/b.c" && ok || bad "--target=c and --tar c differ"
expect 0 "rnnc -O=1 as -O1" "$rnnc" build examples/timeseries.rnn -O1 --backend=c -o "$tmp/p"
expect 2 "rnnc: a misspelt option" "$rnnc" emit examples/timeseries.rnn --tagret c
says "rnnc: unknown option '--tagret'" "the misspelt option is named"
lines 2 "rnnc's usage error is one line and a hint"
expect 2 "rnnc: a bad level" "$rnnc" build examples/timeseries.rnn -O7
says "unknown optimisation level '-O7'" "the bad level"
expect 0 "rnnc --help" "$rnnc" --help
for option in --no-libm --quantize --max-steps --print-after-all --weights --mpi --backend --model; do
    says "$option" "rnnc --help lists $option"
done
expect 0 "rnnc emit --help" "$rnnc" emit --help
says "usage: rnnc emit" "emit's usage"
grep -q "rnnc build" "$tmp/out" && bad "rnnc emit --help shows other commands" || ok

# ---- the runtime, through RNNC_RUNTIME -----------------------------------------------
build=$(dirname "$rnnc")
mkdir -p "$tmp/bin" "$tmp/flat" && cp "$rnnc" "$tmp/bin/rnnc" # a copy with no runtime beside it
cp "$build/librnnrt.a" runtime/rnnrt.h "$tmp/flat/"
make --no-print-directory -s install BUILD="$build" PREFIX="$tmp/prefix" > /dev/null
expect 1 "a copied rnnc without RNNC_RUNTIME" "$tmp/bin/rnnc" build examples/timeseries.rnn -o "$tmp/p"
says "cannot find the runtime (librnnrt.a and rnnrt.h); looked for" "what is missing"
says "$tmp/bin/librnnrt.a with $tmp/bin/include/rnnrt.h" "where it looked"
for layout in "$build" "$tmp/prefix" "$tmp/flat"; do
    expect 0 "RNNC_RUNTIME=$layout" env RNNC_RUNTIME="$layout" "$tmp/bin/rnnc" build examples/timeseries.rnn -o "$tmp/p"
done
expect 1 "RNNC_RUNTIME elsewhere" env RNNC_RUNTIME="$tmp/bin" "$tmp/bin/rnnc" build examples/timeseries.rnn -o "$tmp/p"
says "looked for" "RNNC_RUNTIME's message"

report messages
