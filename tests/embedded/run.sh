#!/bin/sh
# tests/embedded/run.sh RNNC - embedded C on the host: for every parity
# fixture (with PyTorch's weights) and every example (with `init` weights),
# `rnnc emit --target embedded`, plain, --no-libm (whose object must need
# no symbol at all) and --quantize int8 (within 2e-2 of the largest output,
# docs/embedded.md), must compile
# with -std=c99 -pedantic -Wall -Wextra -Werror, and stepping it one time
# step at a time (tests/embedded/driver.c) must give what the fixture's
# `forward` program gives, within the numerics bound. A fixture of
# variable-length sequences steps each sequence for its own length: the
# same outputs as `forward --lengths`.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
build=$(dirname "$rnnc")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d /tmp/rnnc-embedded.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
# check NAME MODEL.rnn WEIGHTS INPUT.npy [--no-libm | --quantize int8]
check() {
    name=$1 rnn=$2 weights=$3 input=$4 variant=$5
    bound=
    [ "$variant" = "--quantize int8" ] && bound="--rtol 2e-2" # docs/embedded.md
    out=$tmp/$name
    if ! "$rnnc" emit "$rnn" --target embedded --weights "$weights" -o "$out" $variant 2> "$tmp/err"; then
        echo "FAIL $name: emit"; cat "$tmp/err"; fail=$((fail + 1)); return
    fi
    h=$(ls "$out"/*.h)
    model=$(basename "$h" .h)
    flags="-DMODEL=$model -include $out/$model.h"
    grep -q "_VOCAB_SIZE" "$h" && flags="$flags -DTOKENS"
    grep -q "_MAX_STEPS" "$h" && flags="$flags -DBIDIRECTIONAL"
    grep -q "^ *target.*: *seq " "$rnn" && flags="$flags -DSEQ_OUTPUT"
    if ! cc -std=c99 -pedantic -Wall -Wextra -Werror -c "$out/$model.c" -o "$out/model.o" 2> "$tmp/err"; then
        echo "FAIL $name: the embedded C does not compile strictly"; head -5 "$tmp/err"; fail=$((fail + 1)); return
    fi
    if [ "$variant" = --no-libm ] && [ -n "$(nm -u "$out/model.o")" ]; then
        echo "FAIL $name: --no-libm code needs $(nm -u "$out/model.o" | tr '\n' ' ')"; fail=$((fail + 1)); return
    fi
    cc $RNNC_CFLAGS -I"$out" -I"$root/runtime" $flags -o "$out/driver" "$here/driver.c" "$out/model.o" \
        "$build/librnnrt.a" -lm -pthread 2> "$tmp/err" || { echo "FAIL $name: driver"; head -5 "$tmp/err"; fail=$((fail + 1)); return; }
    "$rnnc" build "$rnn" -o "$out/prog" 2> /dev/null
    if "$out/driver" "$input" "$out/y.npy" $lengths 2> "$tmp/err" &&
        "$out/prog" forward --weights "$weights" --input "$input" ${lengths:+--lengths $lengths} --expect "$out/y.npy" \
            $bound > "$tmp/out" 2>&1; then
        pass=$((pass + 1))
    else
        echo "FAIL $name: the embedded model's steps differ from forward"; cat "$tmp/err" "$tmp/out"; fail=$((fail + 1))
    fi
}

for dir in "$root"/tests/parity/fixtures/*/; do
    lengths=
    [ -f "$dir/lengths.npy" ] && lengths=$dir/lengths.npy
    check "$(basename "$dir")" "$dir/model.rnn" "$dir/weights.safetensors" "$dir/input.npy"
    [ -n "$lengths" ] && continue # what lengths change is the stepping, the same for every variant
    check "$(basename "$dir")_nolibm" "$dir/model.rnn" "$dir/weights.safetensors" "$dir/input.npy" --no-libm
    check "$(basename "$dir")_int8" "$dir/model.rnn" "$dir/weights.safetensors" "$dir/input.npy" "--quantize int8"
done
# the examples, with weights from `init`
for example in "$root"/examples/*.rnn; do
    base=$(basename "$example" .rnn)
    lengths=
    [ -f "$root/examples/data/${base}_lengths.npy" ] && lengths=$root/examples/data/${base}_lengths.npy
    "$rnnc" build "$example" -o "$tmp/init" && "$tmp/init" init --seed 3 -o "$tmp/w_$base.safetensors" ||
        { echo "FAIL $base: init"; fail=$((fail + 1)); continue; }
    check "example_$base" "$example" "$tmp/w_$base.safetensors" "$root/examples/data/${base}_x.npy"
    check "example_${base}_nolibm" "$example" "$tmp/w_$base.safetensors" "$root/examples/data/${base}_x.npy" --no-libm
    check "example_${base}_int8" "$example" "$tmp/w_$base.safetensors" "$root/examples/data/${base}_x.npy" \
        "--quantize int8"
done
echo "embedded: $pass passed, $fail failed"
[ "$fail" = 0 ]
