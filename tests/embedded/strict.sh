#!/bin/sh
# tests/embedded/strict.sh RNNC - embedded C under every compiler and
# optimisation level a user may pick: for every parity fixture (but the
# variable-length ones, whose models are of the same kinds) and every
# example, the plain, --no-libm and --quantize int8 outputs must compile
# with -std=c99 -pedantic -Wall -Wextra -Werror under gcc and clang at -O0,
# -O1, -O2, -O3 and -Os (and arm-none-eabi-gcc for a Cortex-M4 where it is
# installed), with no other flag; the --no-libm object must reference no
# external symbol at all (nm -u empty), not even memset or memcpy.
strict="-std=c99 -pedantic -Wall -Wextra -Werror"

# compile NAME C CC LEVEL NOLIBM: prints "NAME CC LEVEL: ok", or why not
compile() {
    name=$1 c=$2 cc=$3 level=$4 nolibm=$5 nm=nm
    o=${c%.c}.$cc$level.o
    if [ "$cc" = arm ]; then
        cc="arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" nm=arm-none-eabi-nm
    fi
    if ! $cc $strict $level -c "$c" -o "$o" 2> "$o.err"; then
        result="does not compile: $(grep -m 2 error "$o.err" | tr '\n' ' ')"
    elif [ "$nolibm" = 1 ] && [ -n "$($nm -u "$o")" ]; then
        result="needs $($nm -u "$o" | awk '{print $2}' | tr '\n' ' ')"
    else
        result=ok
    fi
    echo "$name ${cc%% *} $level: $result" # one write: jobs run side by side
    rm -f "$o" "$o.err"
}
if [ "$1" = --job ]; then # one compilation, for xargs below
    shift
    compile "$@"
    exit 0
fi

rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d /tmp/rnnc-strict.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
compilers="gcc clang"
if command -v arm-none-eabi-gcc > /dev/null; then
    compilers="$compilers arm"
else
    echo "strict: arm-none-eabi-gcc not installed, checking gcc and clang only"
fi

# Emit every model in every variant: lines "NAME C NOLIBM" in $tmp/list.
: > "$tmp/list"
emit() {
    name=$1 rnn=$2 weights=$3
    for variant in plain nolibm int8; do
        case $variant in plain) flag= ;; nolibm) flag=--no-libm ;; int8) flag="--quantize int8" ;; esac
        if ! "$rnnc" emit "$rnn" --target embedded --weights "$weights" -o "$tmp/$name.$variant" $flag 2> "$tmp/err"; then
            echo "FAIL $name $variant: emit"; cat "$tmp/err"; echo x >> "$tmp/emit_failed"; continue
        fi
        echo "$name.$variant $(ls "$tmp/$name.$variant"/*.c) $([ $variant = nolibm ] && echo 1 || echo 0)" >> "$tmp/list"
    done
}
for dir in "$root"/tests/parity/fixtures/*/; do
    # the variable-length fixtures' models are of the kinds above; their embedded C is no different
    [ -f "$dir/lengths.npy" ] && continue
    emit "$(basename "$dir")" "$dir/model.rnn" "$dir/weights.safetensors"
done
for example in "$root"/examples/*.rnn; do
    base=$(basename "$example" .rnn)
    "$rnnc" build "$example" -o "$tmp/init" && "$tmp/init" init --seed 3 -o "$tmp/w_$base.safetensors" > /dev/null ||
        { echo "FAIL $base: init"; echo x >> "$tmp/emit_failed"; continue; }
    emit "example_$base" "$example" "$tmp/w_$base.safetensors"
done

# Every (output, compiler, level), two at a time.
while read -r name c nolibm; do
    for cc in $compilers; do
        for level in -O0 -O1 -O2 -O3 -Os; do
            echo "$name $c $cc $level $nolibm"
        done
    done
done < "$tmp/list" > "$tmp/jobs"
xargs -P 2 -L 1 "$here/strict.sh" --job < "$tmp/jobs" > "$tmp/results" 2>&1
pass=$(grep -c ': ok$' "$tmp/results")
fail=$(($(wc -l < "$tmp/jobs") - pass + $(cat "$tmp/emit_failed" 2> /dev/null | wc -l)))
grep -v ': ok$' "$tmp/results" | sed 's/^/FAIL /'
echo "embedded strict: $pass passed, $fail failed"
[ "$fail" = 0 ]
