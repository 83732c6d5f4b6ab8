#!/bin/sh
# tests/e2e/lengths.sh RNNC - variable-length sequences (--lengths):
#   lengths that are all T give the bits of a run without --lengths
#   (forward, grad, eval, train; both backends); padding that holds NaN
#   changes nothing; truncated-BPTT training with lengths (windows past a
#   sequence's end included) is reproducible, and a run killed (SIGKILL)
#   mid-epoch resumes to the uninterrupted run's bits; bad lengths files and
#   misuse give clear errors. (PyTorch parity is tests/parity's.)
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
npy="python3 $root/tests/tools/npy.py"
. tests/e2e/lib.sh

# sequence lengths: lengths.npy N T LO: N lengths in [LO, T], some T and one LO
lengths() {
    python3 -c "
import random
random.seed(7)
n, t, lo = $2, $3, $4
v = [random.randint(lo, t) for _ in range(n)]
v[0], v[n // 2] = t, lo
print(v)" > "$tmp/list"
    $npy "$1" '<i8' "$(cat "$tmp/list")"
}

cat > "$tmp/m.rnn" <<'MODEL'
model m {
    input  x : seq vector(3)
    target y : seq vector(1)
    h   = gru(x, hidden=24, layers=2, dropout=0.2)
    out = linear(h, 1)
    loss mse(out, y)
    train { optimizer = adam(lr=0.01); batch = 4; bptt = 20; epochs = 3 }
}
MODEL
data="--input $root/examples/data/timeseries_x.npy --target $root/examples/data/timeseries_y.npy"
$npy "$tmp/all.npy" '<i4' "[50] * 64"
lengths "$tmp/var.npy" 64 50 3

for backend in c llvm; do
    "$rnnc" build "$tmp/m.rnn" --backend $backend -o "$tmp/prog" || { bad "build $backend"; continue; }
    w="--weights $tmp/w.safetensors"
    "$tmp/prog" init --seed 3 -o "$tmp/w.safetensors"
    # all T: the bits of no --lengths
    "$tmp/prog" forward $w $data -o "$tmp/f0.npy" && "$tmp/prog" forward $w $data --lengths "$tmp/all.npy" -o "$tmp/f1.npy" &&
        cmp -s "$tmp/f0.npy" "$tmp/f1.npy" && ok || bad "$backend: forward with lengths all T differs"
    "$tmp/prog" grad $w $data -o "$tmp/g0.st" > "$tmp/l0" && "$tmp/prog" grad $w $data --lengths "$tmp/all.npy" \
        -o "$tmp/g1.st" > "$tmp/l1" && cmp -s "$tmp/g0.st" "$tmp/g1.st" && cmp -s "$tmp/l0" "$tmp/l1" && ok ||
        bad "$backend: grad with lengths all T differs"
    "$tmp/prog" eval $w $data > "$tmp/e0" && "$tmp/prog" eval $w $data --lengths "$tmp/all.npy" > "$tmp/e1" &&
        cmp -s "$tmp/e0" "$tmp/e1" && ok || bad "$backend: eval with lengths all T differs"
    "$tmp/prog" train $w $data --epochs 1 -o "$tmp/t0.st" 2> /dev/null &&
        "$tmp/prog" train $w $data --epochs 1 --lengths "$tmp/all.npy" -o "$tmp/t1.st" 2> /dev/null &&
        cmp -s "$tmp/t0.st" "$tmp/t1.st" && ok || bad "$backend: train with lengths all T differs"
    # variable lengths: zeros at padding, reproducible training
    "$tmp/prog" forward $w $data --lengths "$tmp/var.npy" -o "$tmp/fv.npy" || bad "$backend: forward with lengths"
    python3 - "$tmp/fv.npy" "$tmp/list" <<'PY' && ok || bad "$backend: forward output is not 0 exactly at padding"
import struct, sys
raw = open(sys.argv[1], "rb").read()
head = struct.unpack("<H", raw[8:10])[0]
vals = struct.unpack("<%df" % ((len(raw) - 10 - head) // 4), raw[10 + head:])
lengths = eval(open(sys.argv[2]).read())
T = 50
for b, n in enumerate(lengths):
    row = vals[b * T:(b + 1) * T]
    if any(v != 0 for v in row[n:]) or all(v == 0 for v in row[:n]):
        sys.exit(1)
PY
    "$tmp/prog" train $w $data --lengths "$tmp/var.npy" -o "$tmp/v1.st" 2> "$tmp/log" &&
        "$tmp/prog" train $w $data --lengths "$tmp/var.npy" -o "$tmp/v2.st" 2> /dev/null &&
        cmp -s "$tmp/v1.st" "$tmp/v2.st" && ok || bad "$backend: training with lengths is not reproducible"
    cmp -s "$tmp/v1.st" "$tmp/t0.st" && bad "$backend: lengths changed nothing in training" || ok
done

# NaN (and anything else) at padding positions reaches no result
python3 - "$root/examples/data/timeseries_x.npy" "$tmp/list" "$tmp/nan_x.npy" <<'PY' || bad "writing NaN padding"
import struct, sys
raw = open(sys.argv[1], "rb").read()
head = struct.unpack("<H", raw[8:10])[0]
vals = list(struct.unpack("<%df" % ((len(raw) - 10 - head) // 4), raw[10 + head:]))
lengths = eval(open(sys.argv[2]).read())
for b, n in enumerate(lengths):
    for i in range((b * 50 + n) * 3, (b + 1) * 50 * 3):
        vals[i] = float("nan")
open(sys.argv[3], "wb").write(raw[:10 + head] + struct.pack("<%df" % len(vals), *vals))
PY
nan="--input $tmp/nan_x.npy --target $root/examples/data/timeseries_y.npy --lengths $tmp/var.npy"
"$tmp/prog" grad --weights "$tmp/w.safetensors" $nan -o "$tmp/gn.st" > /dev/null &&
    "$tmp/prog" grad --weights "$tmp/w.safetensors" $data --lengths "$tmp/var.npy" -o "$tmp/gv.st" > /dev/null &&
    cmp -s "$tmp/gn.st" "$tmp/gv.st" && ok || bad "NaN at padding positions changed the gradients"
"$tmp/prog" grad --weights "$tmp/w.safetensors" --input "$tmp/nan_x.npy" \
    --target "$root/examples/data/timeseries_y.npy" -o "$tmp/x.st" > /dev/null 2> "$tmp/err"
grep -q "the input holds NaN" "$tmp/err" && ok || bad "without --lengths, NaN is still an error"

# kill -9 mid-epoch, resume: the uninterrupted run's bits
run="train $data --lengths $tmp/var.npy --seed 5 --epochs 12"
"$tmp/prog" $run -o "$tmp/want.st" 2> /dev/null || bad "uninterrupted run with lengths"
kill_and_resume lengths "$tmp/want.st" "$tmp/prog" $run

# refuses STATUS TEXT ARGS...: the program's exit status and message
refuses() {
    want_status=$1 want_text=$2
    shift 2
    "$tmp/prog" "$@" > "$tmp/out" 2> "$tmp/err"
    status=$?
    if [ $status = "$want_status" ] && grep -qF -- "$want_text" "$tmp/err"; then ok
    else bad "lengths error '$want_text': status $status"; cat "$tmp/err"; fi
}
w="--weights $tmp/w.safetensors"
$npy "$tmp/2d.npy" '<i8' "[[50] * 2] * 64"
$npy "$tmp/zero.npy" '<i8' "[50] * 63 + [0]"
$npy "$tmp/long.npy" '<i4' "[50] * 10 + [51] + [50] * 53"
$npy "$tmp/float.npy" '<f4' "[50.0] * 64"
$npy "$tmp/few.npy" '<i8' "[50] * 63"
refuses 1 "sequence lengths are one number per sequence, shape [batch], but the file's shape is (64, 2)" \
    forward $w $data --lengths "$tmp/2d.npy" -o "$tmp/o.npy"
refuses 1 "sequence 63 has length 0; a length must be at least 1" eval $w $data --lengths "$tmp/zero.npy"
refuses 1 "sequence 10 has length 51, but $root/examples/data/timeseries_x.npy has only 50 steps" \
    grad $w $data --lengths "$tmp/long.npy" -o "$tmp/g.st"
refuses 1 "sequence lengths are integers (<i4 or <i8), but the file holds <f4" \
    train $w $data --lengths "$tmp/float.npy" -o "$tmp/t.st"
refuses 1 "63 sequence lengths, but $root/examples/data/timeseries_x.npy holds 64 sequences" \
    forward $w $data --lengths "$tmp/few.npy" -o "$tmp/o.npy"
refuses 1 "missing.npy: cannot open" forward $w $data --lengths "$tmp/missing.npy" -o "$tmp/o.npy"
echo "hello" > "$tmp/corpus.txt"
cat > "$tmp/lm.rnn" <<'MODEL'
model lm {
    input  x : seq token(256)
    target y : seq token(256)
    e      = embedding(x, dim=4)
    h      = rnn(e, hidden=4)
    logits = linear(h, 256)
    loss cross_entropy(logits, y)
}
MODEL
"$rnnc" build "$tmp/lm.rnn" -o "$tmp/prog" || bad "build lm"
refuses 2 "--lengths goes with --input data, not --text" train --text "$tmp/corpus.txt" --lengths "$tmp/all.npy" \
    -o "$tmp/t.st"

report lengths
