#!/bin/sh
# tests/e2e/passes.sh RNNC - the optimisation passes keep what programs
# compute. For each model (the examples, and a user cell with one matrix
# per gate, whose products opt_fuse_matmul stacks; a bidirectional layer over
# 150 steps, whose input projections the forward computes in windows (of 64
# steps at its batch of 2), the last one partial): forward and gradients at
# -O2 agree with -O0 (no IR passes) within the numerics bound (docs/programs.md), and
# `forward` (whose sequences the threads split between them from 16
# sequences on) and a short training run give the same bits with 1 and 2
# threads ($RNNC_THREADS): the kernels never split a sum. `forward
# --precision bf16` stays within 2e-2 of float32's largest output.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
st_compare=$(dirname "$rnnc")/tests/st_compare
cd "$(dirname "$0")/../.." || exit 2
tmp=$(mktemp -d /tmp/rnnc-passes.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1"; head -5 "$tmp/err" 2> /dev/null; fail=$((fail + 1)); }

cat > "$tmp/gates.rnn" <<'EOF2'
cell gates(in, hidden) {
    input x[in]
    state h[hidden]
    param Wi[hidden, in], Wf[hidden, in], Wo[hidden, in], U[3*hidden, hidden]
    u = U @ h
    i = sigmoid(Wi @ x + u[0:hidden])
    f = sigmoid(Wf @ x + u[hidden:2*hidden])
    o = tanh(Wo @ x + u[2*hidden:3*hidden])
    h' = f * h + i * o
    output h'
}
model gates {
    input x : seq vector(6)
    target y : seq vector(5)
    h = gates(x, hidden=7, layers=2)
    out = linear(h, 5)
    loss mse(out, y)
}
EOF2
cat > "$tmp/long.rnn" <<'EOF2'
model long {
    input x : seq vector(6)
    target y : seq vector(5)
    h = lstm(x, hidden=7, bidirectional=true)
    out = linear(h, 5)
    loss mse(out, y)
}
EOF2
/usr/bin/python3 - "$tmp" <<'EOF2' 2> /dev/null || { cp examples/data/timeseries_x.npy "$tmp/gx.npy"; }
import sys, struct
def save(path, shape, seed):
    n = 1
    for d in shape: n *= d
    vals, s = [], seed
    for _ in range(n):
        s = (s * 1103515245 + 12345) % 2**31
        vals.append(s / 2**31 - 0.5)
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join("%d, " % d for d in shape)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % n, *vals))
save(sys.argv[1] + "/gx.npy", (3, 9, 6), 1)
save(sys.argv[1] + "/gy.npy", (3, 9, 5), 2)
save(sys.argv[1] + "/lx.npy", (2, 150, 6), 3)
save(sys.argv[1] + "/ly.npy", (2, 150, 5), 4)
EOF2

check() { # check NAME MODEL X Y
    name=$1 model=$2 x=$3 y=$4
    for level in -O0 -O2; do
        "$rnnc" build "$model" $level -o "$tmp/p$level" 2> "$tmp/err" || { bad "$name: build $level"; return; }
    done
    "$tmp/p-O0" init --seed 3 -o "$tmp/w.safetensors" 2> "$tmp/err" || { bad "$name: init"; return; }
    "$tmp/p-O0" forward --weights "$tmp/w.safetensors" --input "$x" -o "$tmp/f0.npy" 2> "$tmp/err"
    if "$tmp/p-O2" forward --weights "$tmp/w.safetensors" --input "$x" --expect "$tmp/f0.npy" --rtol 1e-4 > "$tmp/err" 2>&1
    then ok; else bad "$name: forward at -O2 differs from -O0"; fi
    "$tmp/p-O0" grad --weights "$tmp/w.safetensors" --input "$x" --target "$y" -o "$tmp/g0.safetensors" > /dev/null 2> "$tmp/err"
    "$tmp/p-O2" grad --weights "$tmp/w.safetensors" --input "$x" --target "$y" -o "$tmp/g2.safetensors" > /dev/null 2> "$tmp/err"
    if "$st_compare" "$tmp/g2.safetensors" "$tmp/g0.safetensors" > "$tmp/err" 2>&1; then ok
    else bad "$name: gradients at -O2 differ from -O0"; fi
    for threads in 1 2; do
        RNNC_THREADS=$threads "$tmp/p-O2" forward --weights "$tmp/w.safetensors" --input "$x" -o "$tmp/f$threads.npy" \
            2> "$tmp/err" || { bad "$name: forward"; return; }
    done
    if cmp -s "$tmp/f1.npy" "$tmp/f2.npy"; then ok; else bad "$name: 1 and 2 threads' forward differ"; fi
    # --precision bf16 (kernels with AVX512_BF16 only): within the int8 bound of embedded C's --quantize
    if "$tmp/p-O2" forward --weights "$tmp/w.safetensors" --input "$x" --precision bf16 --expect "$tmp/f1.npy" \
        --rtol 2e-2 > "$tmp/err" 2>&1; then ok
    elif grep -q "needs kernels built for a CPU with AVX512_BF16" "$tmp/err"; then bf16_skipped=1
    else bad "$name: forward --precision bf16 differs from float32 by more than 2e-2"; fi
    for threads in 1 2; do
        RNNC_THREADS=$threads "$tmp/p-O2" train --weights "$tmp/w.safetensors" --input "$x" --target "$y" --epochs 2 \
            --batch 2 --valid 0 -o "$tmp/t$threads.safetensors" > /dev/null 2> "$tmp/err" || { bad "$name: train"; return; }
    done
    if cmp -s "$tmp/t1.safetensors" "$tmp/t2.safetensors"; then ok; else bad "$name: 1 and 2 threads train differently"; fi
}

check gates "$tmp/gates.rnn" "$tmp/gx.npy" "$tmp/gy.npy"
[ -f "$tmp/lx.npy" ] && check long "$tmp/long.rnn" "$tmp/lx.npy" "$tmp/ly.npy"
for model in examples/*.rnn; do
    name=$(basename "$model" .rnn)
    [ -f "examples/data/${name}_x.npy" ] || continue
    check "$name" "$model" "examples/data/${name}_x.npy" "examples/data/${name}_y.npy"
done
[ -n "$bf16_skipped" ] && echo "passes: forward --precision bf16 not checked: the kernels have no AVX512_BF16"
echo "passes: $pass passed, $fail failed"
[ "$fail" = 0 ]
