#!/bin/sh
# tests/e2e/llvm.sh RNNC - the LLVM backend as a user meets it: modules
# build (and verify) at every -O level, `emit --target llvm-ir` is
# deterministic, and after a short training run the LLVM program's weights
# agree with the C program's (the numerics bound; in fact the same bits).
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
st_compare=$(dirname "$rnnc")/tests/st_compare
tmp=$(mktemp -d /tmp/rnnc-llvm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if "$@" > "$tmp/out" 2>&1; then pass=$((pass + 1)); else echo "FAIL: $*"; head -5 "$tmp/out"; fail=$((fail + 1)); fi; }

for level in ${LLVM_LEVELS:--O0 -O1 -O2 -O3}; do # the sanitizer pass narrows this
    for model in examples/*.rnn; do
        check "$rnnc" build "$model" --backend llvm $level -o "$tmp/prog"
        check "$rnnc" emit "$model" --target llvm-ir $level -o "$tmp/m.ll"
    done
done
"$rnnc" emit examples/charlm.rnn --target llvm-ir -O0 -o "$tmp/a.ll"
"$rnnc" emit examples/charlm.rnn --target llvm-ir -O0 -o "$tmp/b.ll"
check cmp "$tmp/a.ll" "$tmp/b.ll"
grep -q 'define internal void @layer1_backward' "$tmp/a.ll" && pass=$((pass + 1)) || { echo "FAIL: no backward in .ll"; fail=$((fail + 1)); }

data="--input $root/examples/data/timeseries_x.npy --target $root/examples/data/timeseries_y.npy"
for backend in c llvm; do
    "$rnnc" build examples/timeseries.rnn --backend $backend -o "$tmp/$backend" &&
        "$tmp/$backend" train $data --epochs 3 --seed 4 -o "$tmp/$backend.safetensors" 2> /dev/null ||
        { echo "FAIL: train with $backend"; fail=$((fail + 1)); }
done
check "$st_compare" "$tmp/llvm.safetensors" "$tmp/c.safetensors"
check cmp "$tmp/llvm.safetensors" "$tmp/c.safetensors"

echo "llvm: $pass passed, $fail failed"
[ "$fail" = 0 ]
