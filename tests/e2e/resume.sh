#!/bin/sh
# tests/e2e/resume.sh RNNC - training is reproducible and resumable:
#   the same seed and flags give the same bits; a run killed (SIGKILL) in
#   the middle of an epoch and resumed from its last checkpoint ends at the
#   weights of an uninterrupted run, bit for bit (npy data with dropout,
#   and a --text corpus); a NaN loss stops training with exit 1 and a clear
#   message, keeping the last good checkpoint.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
. tests/e2e/lib.sh

# A GRU with dropout between two layers, small batches: many steps.
cat > "$tmp/m.rnn" <<'MODEL'
model m {
    input  x : seq vector(3)
    target y : seq vector(1)
    h   = gru(x, hidden=24, layers=2, dropout=0.2)
    out = linear(h, 1)
    loss mse(out, y)
    train { optimizer = adam(lr=0.01); batch = 4; bptt = 20; epochs = 6 }
}
MODEL
"$rnnc" build "$tmp/m.rnn" -o "$tmp/prog" || { echo "FAIL build"; exit 1; }
data="--input $root/examples/data/timeseries_x.npy --target $root/examples/data/timeseries_y.npy"

"$tmp/prog" train $data --seed 5 -o "$tmp/a.safetensors" 2> "$tmp/log_a" || bad "uninterrupted run"
"$tmp/prog" train $data --seed 5 -o "$tmp/b.safetensors" 2> /dev/null || bad "second run"
if cmp -s "$tmp/a.safetensors" "$tmp/b.safetensors"; then ok; else bad "two runs with one seed differ"; fi
grep -q "epoch 6/6  validation  loss" "$tmp/log_a" && ok || bad "progress and validation lines"

kill_and_resume npy "$tmp/a.safetensors" "$tmp/prog" train $data --seed 5

# --text: a byte corpus in streams, state carried across windows
cat > "$tmp/lm.rnn" <<'MODEL'
model lm {
    input  x : seq token(256)
    target y : seq token(256)
    e      = embedding(x, dim=8)
    h      = lstm(e, hidden=32)
    logits = linear(h, 256)
    loss cross_entropy(logits, y)
}
MODEL
"$rnnc" build "$tmp/lm.rnn" -o "$tmp/prog" || { echo "FAIL build lm"; exit 1; }
cat /usr/share/common-licenses/GPL-3 > "$tmp/corpus.txt"
text="train --text $tmp/corpus.txt --batch 8 --bptt 16 --epochs 2"
"$tmp/prog" $text -o "$tmp/text.want" 2> "$tmp/log_t" || bad "text run"
grep -q "bpc" "$tmp/log_t" && ok || bad "text progress shows bpc"
kill_and_resume text "$tmp/text.want" "$tmp/prog" $text

# sample: reproducible with a seed, and starts with the prime
"$tmp/prog" sample --weights "$tmp/text.want" --prime "The " --length 40 --seed 3 > "$tmp/s1" || bad "sample"
"$tmp/prog" sample --weights "$tmp/text.want" --prime "The " --length 40 --seed 3 > "$tmp/s2"
if cmp -s "$tmp/s1" "$tmp/s2" && [ "$(head -c 4 "$tmp/s1")" = "The " ] && [ "$(wc -c < "$tmp/s1")" = 45 ]; then ok
else bad "sample: not reproducible, or not prime + 40 bytes + newline"; fi

# a NaN loss (or gradient) stops training and keeps the last good checkpoint
"$rnnc" build "$tmp/m.rnn" -o "$tmp/prog" || exit 1
"$tmp/prog" train $data --optimizer sgd --lr 1e30 --checkpoint-every 1 -o "$tmp/n.safetensors" \
    --checkpoint "$tmp/n.ckpt" 2> "$tmp/err"
status=$?
if [ $status = 1 ] && grep -q "loss is \(NaN\|infinite\)\|gradient is not finite" "$tmp/err" && grep -q "n.ckpt, is kept" "$tmp/err" &&
    [ -f "$tmp/n.ckpt" ] && [ ! -f "$tmp/n.safetensors" ]; then ok
else bad "NaN loss: status $status"; cat "$tmp/err"; fi

report resume
