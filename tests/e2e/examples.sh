#!/bin/sh
# tests/e2e/examples.sh RNNC - every example builds, initialises, runs
# forward on its data set (examples/data, from tools/make_example_data.py;
# with its sequence lengths where the data set has them) and evaluates to a
# finite loss.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.." || exit 2
tmp=$(mktemp -d /tmp/rnnc-examples.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for model in examples/*.rnn; do
    name=$(basename "$model" .rnn)
    x=examples/data/${name}_x.npy y=examples/data/${name}_y.npy
    lengths=
    [ -f "examples/data/${name}_lengths.npy" ] && lengths="--lengths examples/data/${name}_lengths.npy"
    prog=$tmp/$name
    if "$rnnc" build "$model" -o "$prog" 2> "$tmp/err" &&
        "$prog" init --seed 1 -o "$tmp/w.safetensors" 2>> "$tmp/err" &&
        "$prog" forward --weights "$tmp/w.safetensors" --input "$x" $lengths -o "$tmp/y.npy" 2>> "$tmp/err" &&
        "$prog" eval --weights "$tmp/w.safetensors" --input "$x" --target "$y" $lengths > "$tmp/eval" 2>> "$tmp/err" &&
        grep -q '^loss: [0-9]' "$tmp/eval"; then
        pass=$((pass + 1))
    else
        echo "FAIL $name"; head -5 "$tmp/err"; fail=$((fail + 1))
    fi
done
echo "examples: $pass passed, $fail failed"
[ "$fail" = 0 ]
