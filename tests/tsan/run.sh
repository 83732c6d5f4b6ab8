#!/bin/sh
# tests/tsan/run.sh BUILD - the worker threads under ThreadSanitizer (make
# test-slow builds BUILD = build/tsan with -fsanitize=thread): the kernel
# and thread-pool unit tests, then a model trained with two threads at
# sizes whose products and optimizer steps run on both (an LSTM with
# hidden 256 at batch 32; a recurrent step's product of 32 x 1024 x 256
# multiply-adds is past the size that wakes the other thread), then its
# forward over 64 sequences, which the two threads split between them.
# Any report fails the run.
build=$(cd "$1" && pwd)
cd "$(dirname "$0")/../.." || exit 2
tmp=$(mktemp -d /tmp/rnnc-tsan.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export TSAN_OPTIONS="halt_on_error=1:exitcode=66"
export RNNC_THREADS=2
pass=0 fail=0
run() {
    what=$1
    shift
    if "$@" > "$tmp/out" 2>&1; then pass=$((pass + 1)); else
        echo "FAIL $what"; grep -A 30 "ThreadSanitizer" "$tmp/out" | head -40 || tail -20 "$tmp/out"; fail=$((fail + 1))
    fi
}
run "kernel and thread-pool tests" "$build/tests/test_kernels"
cat > "$tmp/wide.rnn" << 'MODEL'
model wide {
    input  x : seq token(256)
    target y : seq token(256)
    e      = embedding(x, dim=64)
    h      = lstm(e, hidden=256)
    logits = linear(h, 256)
    loss cross_entropy(logits, y)
}
MODEL
python3 tests/tools/npy.py "$tmp/x.npy" '<i4' "[[(7 * b + 3 * t) % 256 for t in range(16)] for b in range(64)]"
python3 tests/tools/npy.py "$tmp/y.npy" '<i4' "[[(7 * b + 3 * t + 1) % 256 for t in range(16)] for b in range(64)]"
RNNC_CFLAGS="-fsanitize=thread -g" "$build/rnnc" build "$tmp/wide.rnn" -o "$tmp/wide" || { echo "FAIL build"; exit 1; }
run "training with two threads" "$tmp/wide" train --seed 1 --input "$tmp/x.npy" --target "$tmp/y.npy" --batch 32 \
    --epochs 2 --valid 0 --checkpoint-every 1 -o "$tmp/w.safetensors"
run "forward with two threads" "$tmp/wide" forward --weights "$tmp/w.safetensors" --input "$tmp/x.npy" -o "$tmp/o.npy"
echo "tsan: $pass passed, $fail failed"
[ "$fail" = 0 ]
